"""Where exercises live and how to find one.

An exercise is two folders with the same id:

- `broken_pipelines/<id>/`: the starter repo, exactly what the candidate gets. Its marker
  file `.mlops-exercise` names the exercise.
- `exercises/<id>/`: the hiring team's side: `exercise.toml` (the spec), `checks/` (hidden
  pytest checks), `probes/` (scripts run inside the sandbox), `solution/` (reference
  solution as an overlay on the starter), `partial_fixes/` (known partial fixes: see
  grader/partial_fixes.py) and `DEBRIEF.md` (for the interviewer).

Exercises come in *packs*: a pack is a folder holding `exercises/` and `broken_pipelines/`.
The built-in pack is the project checkout (`GRADER_HOME` points elsewhere); `GRADER_PACKS`
(a `:`-separated list of folders, which `grader --pack DIR` extends) adds others, so a hiring
team keeps its exercises in a private repository. An exercise id defined in two packs is an
error naming both places. `fingerprint()` names the exercise content a grader here would
use, so that graders on different machines (a Dask cluster) can tell whether they grade
with the same exercises.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from grader.errors import GraderError
from grader.escape import one_line
from grader.spec import ExerciseSpec, load_spec

MARKER = ".mlops-exercise"
PACKS_ENV = "GRADER_PACKS"
BUILT_IN = "built-in"
#: Local build and run litter: never published, never part of the fingerprint.
IGNORED = ("__pycache__", "*.pyc", "*.pyo", ".venv", "mlstore", ".grader-mlstore", ".pytest_cache", "*.egg-info",
           ".mypy_cache", ".ruff_cache", "mlruns", "mlflow.db")


def ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED)


def project_root() -> Path:
    return Path(os.environ.get("GRADER_HOME") or Path(__file__).resolve().parents[1])


@dataclass(frozen=True)
class Exercise:
    """One exercise: its spec and the folders that hold its parts."""

    root: Path  # exercises/<id>
    starter: Path  # broken_pipelines/<id>
    pack: str = BUILT_IN  # "built-in", or the folder of the pack that holds it

    @cached_property
    def spec(self) -> ExerciseSpec:
        return load_spec(self.root / "exercise.toml")

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def checks_dir(self) -> Path:
        return self.root / "checks"

    @property
    def probes_dir(self) -> Path:
        return self.root / "probes"

    @property
    def solution_dir(self) -> Path:
        return self.root / "solution"

    def partial_fix_dir(self, fix_id: str) -> Path:
        return self.root / "partial_fixes" / fix_id

    @property
    def debrief(self) -> Path:
        return self.root / "DEBRIEF.md"


def exercises_dir() -> Path:
    """The built-in pack's exercises (see `packs()` for all of them)."""
    return project_root() / "exercises"


def starters_dir() -> Path:
    return project_root() / "broken_pipelines"


@dataclass(frozen=True)
class Pack:
    """A folder of exercises: `exercises/<id>/` and `broken_pipelines/<id>/`."""

    root: Path
    name: str

    @property
    def exercises(self) -> Path:
        return self.root / "exercises"

    @property
    def starters(self) -> Path:
        return self.root / "broken_pipelines"


def packs() -> list[Pack]:
    """The built-in pack, then each folder of GRADER_PACKS in order (each checked: one clear line if wrong)."""
    found = [Pack(project_root(), BUILT_IN)]
    if not found[0].exercises.is_dir():
        raise GraderError(f"no exercises folder at {found[0].exercises} (set GRADER_HOME to the project checkout)")
    for entry in os.environ.get(PACKS_ENV, "").split(":"):
        if not entry.strip():
            continue
        root = Path(entry).expanduser()
        for folder in ("exercises", "broken_pipelines"):
            if not (root / folder).is_dir():
                raise GraderError(f"pack {one_line(root, 300)} has no {folder}/ folder (a pack holds exercises/<id>/ "
                                  f"and broken_pipelines/<id>/; see `grader new-exercise`)")
        root = root.resolve()
        if all(p.root.resolve() != root for p in found):
            found.append(Pack(root, str(root)))
    return found


def hidden_dirs() -> list[Path]:
    """The hiring side of every pack: never visible inside a sandbox."""
    return [pack.exercises for pack in packs()]


def list_exercises() -> list[Exercise]:
    found: dict[str, Exercise] = {}
    for pack in packs():
        for path in sorted(pack.exercises.iterdir()):
            if not (path / "exercise.toml").is_file():
                continue
            if path.name in found:
                raise GraderError(f"exercise {path.name!r} is defined twice: in {found[path.name].root} and in {path}")
            found[path.name] = Exercise(root=path, starter=pack.starters / path.name, pack=pack.name)
    return list(found.values())


def get_exercise(exercise_id: str) -> Exercise:
    for exercise in list_exercises():
        if exercise.id == exercise_id:
            if exercise.spec.id != exercise_id:
                raise GraderError(f"exercise folder {exercise_id!r} holds a spec for {exercise.spec.id!r}")
            return exercise
    known = ", ".join(e.id for e in list_exercises()) or "none"
    raise GraderError(f"unknown exercise {exercise_id!r} (known: {known})")


def fingerprint(exercises: list[Exercise] | None = None) -> str:
    """A hash over the exercise content a grader here uses: every file of every exercise of every
    pack (or of `exercises`).

    Stable across machines: it covers each exercise's files by id and path below its folders
    (POSIX form, sorted) and bytes, never timestamps, modes or where the checkout or a pack
    lives; litter (`__pycache__`, caches) is left out. A symlink counts as its target text.
    """
    digest = hashlib.sha256()
    for exercise in sorted(list_exercises() if exercises is None else exercises, key=lambda e: e.id):
        for label, root in (("exercises", exercise.root), ("broken_pipelines", exercise.starter)):
            hash_tree(digest, f"{label}/{exercise.id}", root)
    return digest.hexdigest()


def hash_tree(digest: hashlib._Hash, label: str, root: Path) -> None:
    """Feed `digest` every file under `root` (`content_files`): its path as `label/<path>`, its
    length and its bytes; a symlink counts as its target text."""
    for rel, path in content_files(root):
        data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        digest.update(f"{label}/{rel}\0{len(data)}\0".encode())
        digest.update(data)


def content_files(root: Path) -> list[tuple[str, Path]]:
    """(POSIX path below `root`, path) of every file under `root`, sorted, litter left out."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not ignored(d))
        for name in files:
            if not ignored(name):
                path = Path(folder) / name
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)
