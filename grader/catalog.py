"""Where exercises live and how to find one.

An exercise is two folders with the same id:

- `broken_pipelines/<id>/`: the starter repo, exactly what the candidate gets. Its marker
  file `.mlops-exercise` names the exercise.
- `exercises/<id>/`: the hiring team's side: `exercise.toml` (the spec), `checks/` (hidden
  pytest checks), `probes/` (scripts run inside the sandbox), `solution/` (reference
  solution as an overlay on the starter), `partial_fixes/<fix>/` (known partial fixes, same
  form) and `DEBRIEF.md` (for the interviewer).

Both roots default to the project checkout; `GRADER_HOME` points elsewhere.
`fingerprint()` names the exercise content a grader here would use, so that graders on
different machines (a Dask cluster) can tell whether they grade with the same exercises.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from grader.errors import GraderError
from grader.escape import one_line
from grader.spec import ExerciseSpec, load_spec

MARKER = ".mlops-exercise"
MAX_MARKER_CHARS = 4096
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
    return project_root() / "exercises"


def starters_dir() -> Path:
    return project_root() / "broken_pipelines"


def list_exercises() -> list[Exercise]:
    root = exercises_dir()
    if not root.is_dir():
        raise GraderError(f"no exercises folder at {root} (set GRADER_HOME to the project checkout)")
    found = []
    for path in sorted(root.iterdir()):
        if (path / "exercise.toml").is_file():
            found.append(Exercise(root=path, starter=starters_dir() / path.name))
    return found


def get_exercise(exercise_id: str) -> Exercise:
    for exercise in list_exercises():
        if exercise.id == exercise_id:
            if exercise.spec.id != exercise_id:
                raise GraderError(f"exercise folder {exercise_id!r} holds a spec for {exercise.spec.id!r}")
            return exercise
    known = ", ".join(e.id for e in list_exercises()) or "none"
    raise GraderError(f"unknown exercise {exercise_id!r} (known: {known})")


def parse_marker(text: str) -> tuple[str, str | None]:
    """The exercise id and version a repo's marker file names (the file is the candidate's to edit)."""
    try:
        data = tomllib.loads(text[:MAX_MARKER_CHARS])
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise GraderError(f"{MARKER} is not valid TOML: {one_line(exc, 200)}") from None
    exercise_id = data.get("exercise")
    if not isinstance(exercise_id, str) or not exercise_id:
        raise GraderError(f"{MARKER} does not name an exercise (expected: exercise = \"<id>\")")
    version = data.get("version")
    return one_line(exercise_id, 100), one_line(version, 100) if isinstance(version, str) else None


def fingerprint() -> str:
    """A hash over the exercise content a grader here uses: every file of `exercises/` and `broken_pipelines/`.

    Stable across machines: it covers each file's path below its root (POSIX form, sorted)
    and bytes, never timestamps, modes or where the checkout lives; litter (`__pycache__`,
    caches) is left out. A symlink counts as its target text. This is the one place to
    extend when exercises come as separately installed packs.
    """
    digest = hashlib.sha256()
    for label, root in (("exercises", exercises_dir()), ("broken_pipelines", starters_dir())):
        for rel, path in _content_files(root):
            data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            digest.update(f"{label}/{rel}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def _content_files(root: Path) -> list[tuple[str, Path]]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not ignored(d))
        for name in files:
            if not ignored(name):
                path = Path(folder) / name
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)
