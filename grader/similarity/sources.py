"""Where compared documents come from: grading outputs, the corpus, references and leaked solutions.

- A *grading output* is a `grader score` folder (`report.json`, `changes/`) or a `grader batch`
  folder (`summary.csv` naming one report folder per graded submission).
- The *corpus* keeps earlier submissions' `changes/`, keyed
  `<corpus>/<exercise>/<variant>/<candidate-or-pseudonym>-<commit10>/` with an `entry.json`;
  `grader batch --corpus` appends to it and every later run compares against it.
- *References* are the exercise's reference solution and known partial fixes (overlays on the
  starter; a partial fix based on the solution is the solution plus its overlay).
- *Known* solutions are a folder of leaked solutions, one subfolder each (a whole repo or only
  the changed files); one whose marker names another exercise is not used.

Every folder is read with `changes.read_folder` (bounded, text only, no links followed), and a
document holds only what differs from the starter.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from grader import catalog, partial_fixes, variants
from grader.catalog import Exercise
from grader.changes import FOLDER, MANIFEST, TextFile, read_folder
from grader.errors import GraderError
from grader.marker import identify
from grader.publish import render_starter, render_templates, solution
from grader.report.blind import identities, pseudonym
from grader.report.model import Report

VARIANT = "default"  # until exercises hand out per-candidate variants
#: Text compared per document: far beyond any take-home fix, and it bounds memory (about 16 bytes a character).
COMPARED_BYTES = 256 * 1024
MAX_ENTRIES = 5000
MAX_REPORT_BYTES = 20 * 1024 * 1024
ENTRY = "entry.json"


@dataclass
class Graded:
    """One graded submission found in a grading output."""

    folder: Path
    #: The folder given on the command line (a batch folder or the score folder itself).
    output: Path
    report: Report
    label: str
    files: list[TextFile] = field(default_factory=list)
    #: Names to hide under --blind (empty when the report is already blind).
    names: dict[str, str] = field(default_factory=dict)
    #: Its document's key once fingerprinted.
    key: str | None = None

    @property
    def exercise(self) -> str:
        return self.report.exercise.id

    @property
    def commit(self) -> str:
        return self.report.submission.commit

    @property
    def who(self) -> str:
        """The identity the corpus knows this submission by."""
        return self.report.candidate or self.label


@dataclass
class Found:
    submissions: list[Graded] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Given folders that are batch outputs (their index.html gets the similarity section).
    batches: list[Path] = field(default_factory=list)


def _report_folders(output: Path) -> tuple[list[Path], bool]:
    """The report folders of a grading output, and whether it is a batch."""
    if not output.is_dir():
        raise GraderError(f"{output}: no such folder")
    if (output / "report.json").is_file():
        return [output], False
    summary = output / "summary.csv"
    if not summary.is_file():
        raise GraderError(f"{output} is not a grading output: it holds neither report.json (grader score) "
                          "nor summary.csv (grader batch)")
    from grader.batch import read_summary

    folders = []
    for row in read_summary(summary):
        parts = PurePosixPath(row["report"]).parts
        if len(parts) == 2 and parts[0] not in (".", "..") and (output / parts[0] / "report.json").is_file():
            folders.append(output / parts[0])
    return folders, True


def label_for(report: Report, folder: Path, blind: bool) -> str:
    """How a submission is named: its candidate, else its folder; a pseudonym under --blind."""
    if report.blind or not blind:
        return report.candidate or folder.name
    return pseudonym(f"candidate:{report.candidate}" if report.candidate else f"folder:{folder.resolve()}")


def find_graded(outputs: list[Path], blind: bool) -> Found:
    """Every graded submission in `outputs`, with its own files; one note per one that cannot take part."""
    found = Found()
    seen: set[Path] = set()
    for output in outputs:
        folders, is_batch = _report_folders(output)
        if is_batch:
            found.batches.append(output)
            if not folders:
                found.notes.append(f"{output}: an empty batch (no graded submission in it)")
        for folder in folders:
            if folder.resolve() in seen:  # the same report folder given twice is one submission
                continue
            seen.add(folder.resolve())
            graded = _load(folder, output, blind, found.notes)
            if graded is not None:
                found.submissions.append(graded)
    return found


def _load(folder: Path, output: Path, blind: bool, notes: list[str]) -> Graded | None:
    try:
        if (folder / "report.json").stat().st_size > MAX_REPORT_BYTES:
            raise ValueError("too large")
        report = Report.model_validate_json((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        notes.append(f"{folder}: report.json unreadable ({str(exc).splitlines()[0][:200]}); not compared")
        return None
    graded = Graded(folder=folder, output=output, report=report, label=label_for(report, folder, blind))
    if blind and not report.blind:
        graded.names = identities(report.history, report.submission.url, report.candidate)
    changes = folder / FOLDER
    if not changes.is_dir():
        notes.append(f"{graded.label}: no {FOLDER}/ folder (graded before similarity existed: grade again with "
                     "--force); not compared")
        return None
    read = read_folder(changes, max_bytes=COMPARED_BYTES)
    graded.files = read.files
    skipped = _manifest_skipped(folder / MANIFEST) + read.skipped
    if skipped:
        listed = ", ".join(f"{s.get('path')} ({s.get('reason')})" for s in skipped[:5])
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        notes.append(f"{graded.label}: {len(skipped)} file(s) not compared: {listed}{more}")
    if not graded.files:
        notes.append(f"{graded.label}: no change against the starter; nothing to compare")
    return graded


def _manifest_skipped(path: Path) -> list[dict]:
    try:
        skipped = json.loads(path.read_text(encoding="utf-8")).get("skipped", [])
        return [s for s in skipped if isinstance(s, dict)]
    except (OSError, ValueError, AttributeError):
        return []


def changed(files: list[TextFile], starter: dict[str, str]) -> list[TextFile]:
    """The files that are not the starter's own, unchanged."""
    return [f for f in files if starter.get(f.path) != f.text]


def overlay(starter: dict[str, str], *folders: Path) -> list[TextFile]:
    """The files of `folders` laid over each other (later ones win), less those equal to the starter's."""
    files: dict[str, TextFile] = {}
    for folder in folders:
        files.update({f.path: f for f in read_folder(folder).files})
    return changed(sorted(files.values(), key=lambda f: f.path), starter)


#: How many of an exercise's variants lend their templated starter files to its boilerplate.
MAX_BOILERPLATE_VARIANTS = 64


def starter_files(exercise: Exercise) -> list[TextFile]:
    """The starter's files as its default variant publishes them (grader.variants)."""
    with tempfile.TemporaryDirectory(prefix="grader-starter-") as scratch:
        return read_folder(render_starter(exercise, variants.default(exercise.spec), Path(scratch) / "starter")).files


def boilerplate_files(exercise: Exercise, starter: list[TextFile]) -> list[TextFile]:
    """What no candidate wrote, whichever variant they were given: the default `starter`'s files,
    then the starter's templates rendered for every other variant (up to
    MAX_BOILERPLATE_VARIANTS), so that two candidates of one variant do not share its starter's
    lines as if they were their own."""
    files = list(starter)
    for variant in variants.every(exercise.spec)[1:MAX_BOILERPLATE_VARIANTS]:
        with tempfile.TemporaryDirectory(prefix="grader-templates-") as scratch:
            if not render_templates(exercise, exercise.starter, variant, Path(scratch)):
                return files
            files += read_folder(Path(scratch)).files
    return files


def references(exercise: Exercise, starter: dict[str, str]) -> list[tuple[str, str, list[TextFile]]]:
    """(kind, label, files) of the reference solution and of each known partial fix (default variant)."""
    if not exercise.solution_dir.is_dir():
        return []
    with tempfile.TemporaryDirectory(prefix="grader-fixes-") as scratch:
        found = [("reference", "reference solution", overlay(starter, solution(exercise, Path(scratch))))]
        for fix in exercise.spec.partial_fixes:
            if partial_fixes.defined(exercise, fix.id):
                folders = partial_fixes.overlays(exercise, fix, Path(scratch))
                found.append(("partial fix", f"partial fix {fix.id}", overlay(starter, *folders)))
    return found


def known_solutions(known: Path, exercise_id: str, starter: dict[str, str],
                    notes: list[str]) -> Iterator[tuple[str, list[TextFile]]]:
    """(name, files) of each leaked solution in `known` that may be of this exercise."""
    folders = sorted(p for p in known.iterdir() if p.is_dir() and not p.is_symlink())[:MAX_ENTRIES]
    if not folders:
        notes.append(f"{known}: no solution folders in it (one subfolder per known solution)")
    for folder in folders:
        files = read_folder(folder, max_bytes=COMPARED_BYTES).files
        marker = next((f.text for f in files if f.path == catalog.MARKER), None)
        if marker is not None:
            try:
                if identify(marker)[0] != exercise_id:
                    continue
            except GraderError:
                pass
        yield folder.name, changed(files, starter)


def corpus_entries(corpus: Path, exercise_id: str, notes: list[str]) -> Iterator[tuple[dict, list[TextFile]]]:
    """(entry.json, files) of each earlier submission of this exercise in the corpus, one at a time."""
    root = corpus / exercise_id
    if not root.is_dir():
        return
    entries = sorted(e for v in root.iterdir() if v.is_dir() and not v.is_symlink()
                     for e in v.iterdir() if e.is_dir() and not e.is_symlink())
    if len(entries) > MAX_ENTRIES:
        notes.append(f"corpus {root}: {len(entries)} entries, only the {MAX_ENTRIES} first compared")
    for entry in entries[:MAX_ENTRIES]:
        try:
            meta = json.loads((entry / ENTRY).read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            notes.append(f"corpus entry {entry.name}: unreadable {ENTRY} ({exc}); skipped")
            continue
        meta.setdefault("name", entry.name)
        meta["variant"] = entry.parent.name
        yield meta, read_folder(entry / FOLDER, max_bytes=COMPARED_BYTES).files


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-")[:60] or "candidate"


def add_to_corpus(corpus: Path, graded: Graded) -> Path | None:
    """Keep a submission's own files in the corpus (once per candidate and commit); its folder, or None."""
    if not graded.files:
        return None
    dest = corpus / graded.exercise / VARIANT / f"{_slug(graded.label)}-{graded.commit[:10]}"
    if dest.exists():
        return None
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for f in graded.files:
        target = tmp / FOLDER / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f.text, encoding="utf-8")
    if (graded.folder / MANIFEST).is_file():
        shutil.copyfile(graded.folder / MANIFEST, tmp / MANIFEST)
    meta = {"candidate": graded.who, "blind": graded.report.blind,
            "exercise": graded.exercise, "version": graded.report.exercise.version, "commit": graded.commit,
            "added_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    (tmp / ENTRY).write_text(json.dumps(meta, indent=2))
    tmp.rename(dest)
    return dest
