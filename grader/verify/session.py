"""What the grader hands the verifier process: plain data in one JSON file."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from grader.sandbox import OutputError, SandboxConfig
from grader.sandbox.base import read_output
from grader.spec import ExerciseSpec, load_spec


@dataclass
class VerifySession:
    exercise_id: str
    spec_path: str
    check_ids: list[str]
    sandbox: dict
    results_path: str
    #: Data folder of the exercise's hidden checks' own use (fixtures cache, scratch).
    scratch_dir: str
    #: `commit`, and `tree_path`: the exported tree as committed, never mounted into a sandbox.
    submission: dict = field(default_factory=dict)
    #: The key the hidden data's seeds derive from (grader.seeds); None: the public defaults.
    hidden_key: str | None = None
    #: The graded variant, GRADER_VARIANT's JSON (grader.variants); None: the exercise has none.
    variant: str | None = None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> "VerifySession":
        return cls(**json.loads(path.read_text()))

    def spec(self) -> ExerciseSpec:
        return load_spec(Path(self.spec_path))

    def sandbox_config(self) -> SandboxConfig:
        return SandboxConfig(**self.sandbox)

    def submitted_file(self, path: str, limit: int = 256 * 1024) -> str | None:
        """A text file as the candidate committed it (e.g. a manifest), or None if absent.

        Read from the pristine export, which no candidate code ever ran against; bounded,
        regular files only, no symlinks.
        """
        rel = PurePosixPath(path)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"bad submission path {path!r}")
        try:
            return read_output(Path(self.submission["tree_path"]) / rel.parent, rel.name, limit).decode(
                "utf-8", errors="replace")
        except OutputError as exc:
            if "was not written" in str(exc):
                return None
            raise

    def submitted_names(self, folder: str, limit: int = 64) -> list[str] | None:
        """Names of the regular files directly in `folder` as the candidate committed it, sorted;
        None if there is no such folder. Links and folders are left out; the first `limit`
        names in sorted order of at most 16 x `limit` entries looked at."""
        rel = PurePosixPath(folder)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"bad submission path {folder!r}")
        path = Path(self.submission["tree_path"]) / rel
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                return None
            names = []
            with os.scandir(path) as entries:
                for seen, entry in enumerate(entries):
                    if seen >= 16 * limit:
                        break
                    if entry.is_file(follow_symlinks=False):
                        names.append(entry.name)
        except FileNotFoundError:
            return None
        return sorted(names)[:limit]
