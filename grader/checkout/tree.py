"""Export one commit's tree into a plain workspace, and say what was odd about it.

The tree is walked (bounded) before anything is written. Regular files are written with
their executable bit and nothing else; symlinks and submodules are never created, only
reported; committed bytecode (`__pycache__/`, `*.pyc`, `*.pyo`) is dropped so that what
runs is what the interviewer reads; binary files are kept but reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import git

from grader.errors import CheckoutError
from grader.escape import one_line
from grader.files import makedirs

SYMLINK_MODE = 0o120000
SUBMODULE_MODE = 0o160000
#: Findings listed per kind in the report (a tree may hold thousands of symlinks).
MAX_FINDINGS = 50


@dataclass(frozen=True)
class TreeLimits:
    max_files: int = 5000
    max_file_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    #: Folders deep; a real project is rarely 15. Deeper trees are refused before anything is written.
    max_depth: int = 64
    #: Characters in a path (Linux's PATH_MAX is 4096 bytes for the whole path, with our folder in front).
    max_path_chars: int = 1024


@dataclass
class Export:
    files: int = 0
    bytes: int = 0
    symlinks: list[str] = field(default_factory=list)
    submodules: list[str] = field(default_factory=list)
    bytecode: list[str] = field(default_factory=list)
    binaries: list[str] = field(default_factory=list)

    def findings(self) -> list[str]:
        """One line per oddity, for the report."""
        out = []
        for what, paths in (
            ("symlink not exported", self.symlinks),
            ("submodule not fetched", self.submodules),
            ("committed bytecode removed", self.bytecode),
            ("binary file", self.binaries),
        ):
            out += [f"{what}: {one_line(p, 300)}" for p in paths[:MAX_FINDINGS]]
            if len(paths) > MAX_FINDINGS:
                out.append(f"{what}: {len(paths) - MAX_FINDINGS} more")
        return out


def is_bytecode(path: PurePosixPath) -> bool:
    return "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo")


def safe_relpath(path: str, limits: TreeLimits = TreeLimits()) -> PurePosixPath:
    p = PurePosixPath(path)
    if p.is_absolute() or any(part in ("", ".", "..", ".git") for part in p.parts):
        raise CheckoutError(f"submission contains an unsafe path: '{one_line(path, 200)}'")
    if len(p.parts) > limits.max_depth:
        raise CheckoutError(f"submission has a path more than {limits.max_depth} folders deep: "
                            f"'{one_line(path, 120)}'")
    if len(path) > limits.max_path_chars or any(len(part.encode()) > 255 for part in p.parts):
        raise CheckoutError(f"submission has a path or name too long to export: '{one_line(path, 120)}'")
    return p


def export_tree(commit: git.Commit, dest: Path, limits: TreeLimits = TreeLimits()) -> Export:
    """Write `commit`'s files under `dest` (which must not exist yet)."""
    entries = []
    result = Export()
    for seen, item in enumerate(commit.tree.traverse(), start=1):
        if seen > limits.max_files * 4:  # folders, links and submodules count here too
            raise CheckoutError(f"submission has more than {limits.max_files * 4} entries (files, folders, links)")
        if item.type == "tree":
            if len(PurePosixPath(item.path).parts) > limits.max_depth:
                safe_relpath(item.path, limits)
            continue
        rel = safe_relpath(item.path, limits)
        if item.mode == SUBMODULE_MODE or item.type == "submodule":
            result.submodules.append(str(rel))
            continue
        if item.mode == SYMLINK_MODE:
            result.symlinks.append(str(rel))
            continue
        if is_bytecode(rel):
            result.bytecode.append(str(rel))
            continue
        if item.size > limits.max_file_bytes:
            raise CheckoutError(f"file {one_line(rel, 200)} is larger than {limits.max_file_bytes // (1024 * 1024)} MiB")
        result.files += 1
        result.bytes += item.size
        if result.files > limits.max_files:
            raise CheckoutError(f"submission has more than {limits.max_files} files")
        if result.bytes > limits.max_total_bytes:
            raise CheckoutError(f"submission is larger than {limits.max_total_bytes // (1024 * 1024)} MiB")
        entries.append((rel, item))

    makedirs(dest.parent)
    dest.mkdir()
    for rel, blob in entries:
        target = dest.joinpath(*rel.parts)
        makedirs(target.parent)
        data = blob.data_stream.read()
        if b"\0" in data[:8192]:
            result.binaries.append(str(rel))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(target, flags, 0o755 if blob.mode & 0o111 else 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    return result
