"""The candidate's own files: what a submission added or changed against the published starter.

`save` runs in `grade()` right after the history step, so before any candidate code runs. It
reads the graded commit's blobs from git (never the sandbox workspace) and writes, into the
output folder, `changes/` (each file the candidate added or changed, by its path) and
`changes.json` (what was kept, what was skipped and why). `grader similarity` compares
submissions by these files.

The comparison is against the published starter (what `grader publish` writes), not the
history's root commit: the two are the same tree when the candidate started from our starter,
and when they did not (a squashed copy of someone's fork) the starter is the right baseline.

Only regular text blobs at safe paths are kept, bounded in number and bytes. Binaries (a NUL
in the first 8 KiB), files over 1 MiB, bytecode, lock files, minified and generated files and
data files are skipped with a reason; a notebook is kept as its code cells only (outputs are
generated). `read_folder` applies the same rules to a folder of files (the starter, the
reference solution, a corpus entry, a leaked solution), walking it iteratively and never
following a link.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import git

from grader.catalog import IGNORED, Exercise
from grader.checkout.tree import SUBMODULE_MODE, SYMLINK_MODE, is_bytecode, safe_relpath
from grader.errors import CheckoutError
from grader.publish import publish
from grader.variants import Variant

FOLDER = "changes"
MANIFEST = "changes.json"
MAX_FILES = 300
MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 32
SNIFF_BYTES = 8192
NOTEBOOK_SUFFIX = ".code.py"
GENERATED = ("*.lock", "package-lock.json", "npm-shrinkwrap.json", "*.min.js", "*.min.css", "*.map", "*.svg",
             "*.egg-info", ".DS_Store")
DATA = ("*.csv", "*.tsv", "*.jsonl", "*.ndjson", "*.parquet", "*.feather", "*.arrow", "*.pkl", "*.pickle",
        "*.joblib", "*.skops", "*.npy", "*.npz", "*.db", "*.sqlite")


@dataclass
class TextFile:
    """One file as similarity sees it: its path (as stored) and its text."""

    path: str
    text: str


@dataclass
class ChangeSet:
    """What `save` kept and skipped; `manifest()` is `changes.json`."""

    commit: str
    starter_tree: str
    files: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    bytes: int = 0

    def manifest(self) -> dict:
        return {"commit": self.commit, "against": "published starter", "starter_tree": self.starter_tree,
                "files": self.files, "skipped": self.skipped, "bytes": self.bytes}

    def summary(self) -> dict:
        return {"files": len(self.files), "skipped": len(self.skipped), "bytes": self.bytes}


def skip_reason(path: str, size: int) -> str | None:
    """Why a file is left out by its name and size alone (None: keep it, if it is text)."""
    name = PurePosixPath(path).name
    if is_bytecode(PurePosixPath(path)):
        return "bytecode"
    if any(fnmatch.fnmatch(name, p) for p in GENERATED):
        return "generated file"
    if any(fnmatch.fnmatch(name, p) for p in DATA):
        return "data file"
    if size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"
    return None


def as_text(path: str, data: bytes) -> tuple[TextFile | None, str | None]:
    """The file as text, or why not: binary, or a notebook with no code cells."""
    if b"\0" in data[:SNIFF_BYTES]:
        return None, "binary file"
    text = data.decode("utf-8", errors="replace")
    if path.endswith(".ipynb"):
        code = _notebook_code(text)
        if code is None:
            return None, "notebook without readable code cells"
        return TextFile(path + NOTEBOOK_SUFFIX, code), None
    return TextFile(path, text), None


def _notebook_code(text: str) -> str | None:
    """A notebook's code cells, one after another; outputs are generated, so they are dropped."""
    try:
        cells = json.loads(text).get("cells", [])
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else str(c["source"])
                   for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    return "\n\n# %%\n".join(sources) + "\n" if sources else None


class _Budget:
    """Counts files and bytes against the limits; says why a file no longer fits."""

    def __init__(self, max_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.files = 0
        self.bytes = 0
        self.max_bytes = max_bytes

    def refuse(self, size: int) -> str | None:
        if self.files >= MAX_FILES:
            return f"over the limit of {MAX_FILES} files"
        if self.bytes + size > self.max_bytes:
            return f"over the limit of {self.max_bytes // 1024:,} KiB in all"
        self.files += 1
        self.bytes += size
        return None


def _starter_blobs(exercise: Exercise, scratch: Path, variant: Variant | None = None) -> tuple[str, dict[str, str]]:
    """(tree, {path: blob sha}) of the starter exactly as `grader publish` writes it (for `variant`)."""
    repo_dir = scratch / "changes-starter"
    shutil.rmtree(repo_dir, ignore_errors=True)
    publish(exercise, repo_dir, variant=variant)
    tree = git.Repo(repo_dir).head.commit.tree
    blobs = {item.path: item.hexsha for item in tree.traverse() if item.type == "blob"}
    shutil.rmtree(repo_dir, ignore_errors=True)
    return tree.hexsha, blobs


def save(repo: git.Repo, commit: str, exercise: Exercise, out_dir: Path, scratch: Path,
         scrub: Callable[[str], str] | None = None, variant: Variant | None = None) -> ChangeSet:
    """Write `changes/` and `changes.json` for `commit` into `out_dir`, against the starter of
    `variant` (grader.variants; default: the exercise's default); `scrub` hides names (--blind)."""
    starter_tree, starter = _starter_blobs(exercise, scratch, variant)
    result = ChangeSet(commit=commit, starter_tree=starter_tree)
    dest = out_dir / FOLDER
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    budget = _Budget()
    for item in repo.commit(commit).tree.traverse():
        if item.type == "tree" or starter.get(item.path) == item.hexsha:
            continue
        shown = scrub(item.path) if scrub else item.path
        try:
            rel = safe_relpath(item.path)
        except CheckoutError:
            result.skipped.append({"path": shown, "reason": "unsafe path"})
            continue
        if item.mode == SYMLINK_MODE or item.mode == SUBMODULE_MODE or item.type != "blob":
            result.skipped.append({"path": shown, "reason": "symlink or submodule"})
            continue
        reason = skip_reason(str(rel), item.size)
        text = None
        if reason is None:
            text, reason = as_text(str(rel), item.data_stream.read())
        if reason is None:
            data = (scrub(text.text) if scrub else text.text).encode()
            reason = budget.refuse(len(data))
        if reason is not None:
            result.skipped.append({"path": shown, "reason": reason})
            continue
        stored = scrub(text.path) if scrub else text.path
        try:
            _write_new(dest, stored, data)
        except (OSError, CheckoutError):  # e.g. two paths that blinding made the same
            result.skipped.append({"path": stored, "reason": "could not be stored under this path"})
            continue
        result.files.append({"path": stored, "status": "changed" if item.path in starter else "added",
                             "bytes": len(data)})
        result.bytes += len(data)
    (out_dir / MANIFEST).write_text(json.dumps(result.manifest(), indent=2))
    return result


def _write_new(root: Path, rel: str, data: bytes) -> None:
    target = root.joinpath(*safe_relpath(rel).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


@dataclass
class Folder:
    """The text files of a folder, read by the same rules as `save`, and what was skipped."""

    files: list[TextFile] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def read_folder(root: Path, ignore: tuple[str, ...] = IGNORED, max_bytes: int = MAX_TOTAL_BYTES) -> Folder:
    """Every text file under `root` (iterative walk, no links followed, bounded like `save`, in name order)."""
    found = Folder()
    budget = _Budget(max_bytes)
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            found.skipped.append({"path": str(folder.relative_to(root)), "reason": f"unreadable: {exc.strerror}"})
            continue
        for entry in entries:
            rel = Path(entry.path).relative_to(root).as_posix()
            if entry.name == ".git" or any(fnmatch.fnmatch(entry.name, p) for p in ignore):
                continue
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                if depth + 1 > MAX_DEPTH:
                    found.skipped.append({"path": rel, "reason": f"deeper than {MAX_DEPTH} folders"})
                else:
                    stack.append((Path(entry.path), depth + 1))
                continue
            if not stat.S_ISREG(mode):
                found.skipped.append({"path": rel, "reason": "not a regular file"})
                continue
            size = entry.stat(follow_symlinks=False).st_size
            reason = skip_reason(rel, size) or budget.refuse(size)
            text = None
            if reason is None:
                try:
                    with open(entry.path, "rb", opener=_no_follow) as f:
                        text, reason = as_text(rel, f.read(MAX_FILE_BYTES + 1))
                except OSError as exc:
                    reason = f"unreadable: {exc.strerror}"
            if reason is not None:
                found.skipped.append({"path": rel, "reason": reason})
                continue
            found.files.append(text)
    found.files.sort(key=lambda f: f.path)
    return found


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)
