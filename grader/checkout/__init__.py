"""Fetch a submission safely: vet the location, clone, pin a commit, export its tree.

All git work happens here, before any candidate code runs. The result is a bare clone
(full history, for the report's timeline) and a workspace with the pinned tree and no
`.git`, which is all the sandbox ever sees.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import git

from grader.checkout.clone import CloneLimits, clone, resolve
from grader.checkout.tree import Export, TreeLimits, export_tree
from grader.checkout.urls import Source, UrlPolicy, vet

__all__ = ["Submission", "UrlPolicy", "CloneLimits", "TreeLimits", "fetch", "vet"]


@dataclass
class Submission:
    source: Source
    ref: str | None
    commit: str
    tree: str
    clone_dir: Path
    workspace: Path
    export: Export
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def repo(self) -> git.Repo:
        """The clone, with the operator's git configuration kept out of every git call."""
        repo = git.Repo(self.clone_dir)
        repo.git.update_environment(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")
        return repo

    def read_file(self, path: str, limit: int = 64 * 1024, at: str | None = None) -> str | None:
        """A small text file from the pinned commit, or commit `at` (without touching the workspace)."""
        try:
            blob = self.repo.commit(at or self.commit).tree / path
        except KeyError:
            return None
        if blob.type != "blob" or blob.size > limit or blob.mode == 0o120000:
            return None
        return blob.data_stream.read().decode("utf-8", errors="replace")


def fetch(
    location: str,
    ref: str | None,
    into: Path,
    policy: UrlPolicy = UrlPolicy(),
    clone_limits: CloneLimits = CloneLimits(),
    tree_limits: TreeLimits = TreeLimits(),
) -> Submission:
    """Clone `location` into `into/clone.git` and export `ref` into `into/workspace`."""
    source = vet(location, policy)
    into.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    repo = clone(source, into / "clone.git", clone_limits)
    t1 = time.monotonic()
    commit = resolve(repo, ref, source.display)
    export = export_tree(commit, into / "workspace", tree_limits)
    t2 = time.monotonic()
    return Submission(
        source=source,
        ref=ref,
        commit=commit.hexsha,
        tree=commit.tree.hexsha,
        clone_dir=into / "clone.git",
        workspace=into / "workspace",
        export=export,
        timings={"clone": t1 - t0, "export": t2 - t1},
    )
