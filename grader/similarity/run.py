"""`grader similarity`: compare graded submissions, write what matched, flag it in the reports.

For each exercise among the submissions found: every pair of submissions, then each
submission against the reference solution and known partial fixes, the known leaked
solutions (`known`) and the earlier submissions in the corpus (`corpus`, read one entry at a
time so memory stays bounded by this run's submissions). Writes into every given folder
`similarity.json` and `similarity.html` (flagged pairs with the matching code side by side,
escaped and capped), puts the same section in a batch's `index.html`, and re-renders each
report with a "similar to" line per flagged pair. Scores never change.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import grader
from grader import catalog
from grader.catalog import Exercise
from grader.changes import TextFile
from grader.errors import GraderError
from grader.report.blind import pseudonym, scrub_report, scrubber
from grader.report.model import SimilarityCheck, SimilarTo
from grader.report.render import write_reports
from grader.similarity import fingerprint as fp
from grader.similarity import model, sources
from grader.similarity.sources import Graded

#: Default share of a submission's own lines that must match to flag a pair. Measured on the
#: labelled set in tests/fixtures/similarity (bench/similarity_labels.py): the copying side of
#: each copied pair 0.70-1.00; independent fixes sharing 12 lines or more at most 0.25.
THRESHOLD = 0.5
#: ...and at least this many of its own lines: the obvious fixes written the obvious way
#: (units, validation) share up to 8 lines with any other fix.
MIN_LINES = 12
#: similarity.json lists a pair when a submission has at least this share matched (or it is flagged).
LISTED_FROM = 0.2
MAX_LISTED = 5000
MAX_BLOCKS = 20
#: Side by side in HTML: flagged pairs shown with code, blocks per pair, lines per block side, characters per line.
SHOWN_PAIRS = 50
SHOWN_BLOCKS = 10
EXCERPT_LINES = 40
LINE_CHARS = 160


@dataclass
class Options:
    threshold: float = THRESHOLD
    min_lines: int = MIN_LINES
    corpus: Path | None = None
    known: Path | None = None
    references: bool = True
    blind: bool = False
    #: Under --blind, more names to hide wherever they appear (a batch's candidates: a copy may name its source).
    hide: dict[str, str] = field(default_factory=dict)


@dataclass
class Compared:
    """One compared pair: side a is always a submission of this run."""

    a: fp.Doc
    b: fp.Doc
    pair: model.Pair
    #: Kept for flagged pairs only (their code is shown side by side).
    found: fp.Overlap | None
    block_list: list[fp.Block]


@dataclass
class Outcome:
    """What a run found; `results` maps each given folder to what was written into it."""

    results: dict[Path, model.Similarity] = field(default_factory=dict)
    flagged: list[Compared] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The graded submissions found (what `grader batch` adds to the corpus).
    graded: list[Graded] = field(default_factory=list)
    submissions: int = 0
    pairs_compared: int = 0
    seconds: float = 0.0


class _Run:
    def __init__(self, options: Options):
        self.options = options
        self.meta: dict[str, model.Document] = {}
        self.texts: dict[str, dict[str, str]] = {}
        self.listed: list[Compared] = []
        self.compared_with: dict[str, int] = defaultdict(int)
        self.pairs_compared = 0
        self.notes: list[str] = []

    def _key(self, wanted: str) -> str:
        key, n = wanted, 1
        while key in self.meta:
            n += 1
            key = f"{wanted}-{n}"
        return key

    def add(self, files: list[TextFile], boilerplate: fp.Boilerplate, label: str, kind: str, exercise: str,
            commit: str | None = None, keep_text: bool = False) -> fp.Doc:
        key = self._key(label if kind == "submission" else f"{kind.replace(' ', '-')}:{label}")
        doc = fp.fingerprint(files, boilerplate, key, label, kind)
        self.notes += [f"{label}: {note}" for note in doc.notes]
        self.meta[key] = model.Document(key=key, label=label, kind=kind, exercise=exercise, commit=commit,
                                        own_lines=doc.own_lines, files=doc.files)
        if keep_text:
            self.texts[key] = {f.path: f.text for f in files}
        return doc

    def compare(self, a: fp.Doc, b: fp.Doc, b_files: list[TextFile] | None = None) -> None:
        self.pairs_compared += 1
        self.compared_with[a.key] += 1
        if b.kind == "submission":
            self.compared_with[b.key] += 1
        found, a_side, b_side = figures(a, b)
        if found is None:
            return
        flagged = is_flagged(a, a_side, self.options) or is_flagged(b, b_side, self.options)
        listed = flagged or a_side.share >= LISTED_FROM or (b.kind == "submission" and b_side.share >= LISTED_FROM)
        if not listed or len(self.listed) >= MAX_LISTED:
            return
        block_list = fp.blocks(a, b, found)
        pair = model.Pair(a=a_side, b=b_side, flagged=flagged,
                          blocks=[self._block(a, b, blk) for blk in block_list[:MAX_BLOCKS]],
                          blocks_truncated=len(block_list) > MAX_BLOCKS)
        self.listed.append(Compared(a, b, pair, found if flagged else None, block_list if flagged else []))
        if flagged and b_files is not None and b.key not in self.texts:
            self.texts[b.key] = {f.path: f.text for f in b_files}

    @staticmethod
    def _block(a: fp.Doc, b: fp.Doc, blk: fp.Block) -> model.Block:
        def span(doc: fp.Doc, lines: np.ndarray) -> model.Span:
            return model.Span(file=doc.files[doc.line_file[lines[0]]], start=int(doc.line_no[lines[0]]),
                              end=int(doc.line_no[lines[-1]]))

        return model.Block(a=span(a, blk.a_lines), b=span(b, blk.b_lines), lines=blk.own_lines)


def figures(a: fp.Doc, b: fp.Doc) -> tuple[fp.Overlap | None, model.Side, model.Side]:
    """What `a` and `b` share, and each side's matched own lines and share of its own lines."""
    found = fp.overlap(a, b)
    sides = []
    for doc, side in ((a, "a"), (b, "b")):
        lines = 0 if found is None else int((found.a_lines if side == "a" else found.b_lines).sum())
        share = 0.0 if found is None else found.share(side, doc)
        sides.append(model.Side(key=doc.key, own_lines=doc.own_lines, matched_lines=lines, share=round(share, 4)))
    return found, sides[0], sides[1]


def is_flagged(doc: fp.Doc, side: model.Side, options: Options) -> bool:
    """A submission of this run with enough of its own lines matched (a reference or corpus side never is)."""
    return doc.kind == "submission" and side.share >= options.threshold and side.matched_lines >= options.min_lines


@dataclass
class Figure:
    """One compared pair of `compare_overlays`: both sides' figures and whether it is flagged."""

    a: fp.Doc
    b: fp.Doc
    a_side: model.Side
    b_side: model.Side
    flagged: bool


def _starter(exercise: Exercise) -> tuple[dict[str, str], fp.Boilerplate]:
    """The default starter's text by path (what overlays lie on) and the exercise's boilerplate
    (every variant's starter, sources.boilerplate_files)."""
    files = sources.starter_files(exercise)
    return {f.path: f.text for f in files}, fp.Boilerplate.of(sources.boilerplate_files(exercise, files))


def compare_overlays(exercise: Exercise, folders: dict[str, Path], options: Options | None = None) -> list[Figure]:
    """Every pair of `folders` (overlays on the starter, as submissions), then each against the references.

    No grading and no output: this is how the default threshold is measured on a labelled set.
    """
    options = options or Options()
    starter, boilerplate = _starter(exercise)
    mine = [fp.fingerprint(sources.overlay(starter, folder), boilerplate, name, name, "submission")
            for name, folder in folders.items()]
    others = [fp.fingerprint(files, boilerplate, label, label, kind)
              for kind, label, files in (sources.references(exercise, starter) if options.references else [])]
    pairs = [(a, b) for i, a in enumerate(mine) for b in mine[i + 1:]] + [(a, b) for a in mine for b in others]
    out = []
    for a, b in pairs:
        _, a_side, b_side = figures(a, b)
        out.append(Figure(a, b, a_side, b_side, is_flagged(a, a_side, options) or is_flagged(b, b_side, options)))
    return out


def run(outputs: list[Path], options: Options | None = None) -> Outcome:
    """Compare the submissions graded into `outputs`; write the results; return what was found."""
    options = options or Options()
    started = time.monotonic()
    if options.known is not None and not options.known.is_dir():
        raise GraderError(f"--known {options.known}: no such folder")
    found = sources.find_graded(outputs, options.blind)
    if not found.submissions:
        raise GraderError(found.notes[0] if len(found.notes) == 1 else
                          f"nothing to compare: no graded submission in {', '.join(map(str, outputs))}")
    state = _Run(options)
    by_exercise: dict[str, list[Graded]] = defaultdict(list)
    for graded in (g for g in found.submissions if g.files):
        by_exercise[graded.exercise].append(graded)
    for exercise_id, group in sorted(by_exercise.items()):
        try:
            exercise = catalog.get_exercise(exercise_id)
        except GraderError as exc:
            found.notes.append(f"{len(group)} submission(s) of {exercise_id!r} not compared: {exc}")
            continue
        _compare_exercise(state, exercise, group)
    outcome = Outcome(notes=found.notes + state.notes, graded=found.submissions, submissions=len(found.submissions),
                      pairs_compared=state.pairs_compared)
    outcome.flagged = sorted((c for c in state.listed if c.pair.flagged),
                             key=lambda c: -max(c.pair.a.share, c.pair.b.share))
    outcome.seconds = round(time.monotonic() - started, 2)
    _write(state, found, outcome, outputs)
    return outcome


def _compare_exercise(state: _Run, exercise: Exercise, group: list[Graded]) -> None:
    options = state.options
    starter, boilerplate = _starter(exercise)
    mine = []
    for graded in group:
        doc = state.add(graded.files, boilerplate, graded.label, "submission", exercise.id, graded.commit,
                        keep_text=True)
        graded.key = doc.key
        mine.append((graded, doc))
    for i, (first, a) in enumerate(mine):
        for second, b in mine[i + 1:]:
            if first.commit == second.commit:  # one commit graded twice is not two people
                state.notes.append(f"{a.key} and {b.key}: the same commit {first.commit[:10]}; not compared")
            else:
                state.compare(a, b)
    others: list[tuple[str, str, list[TextFile]]] = []
    if options.references:
        others += sources.references(exercise, starter)
    if options.known is not None:
        others += [("known", f"known {name}", files)
                   for name, files in sources.known_solutions(options.known, exercise.id, starter, state.notes)]
    for kind, label, files in others:
        other = state.add(files, boilerplate, label, kind, exercise.id)
        for _, a in mine:
            state.compare(a, other, files)
    if options.corpus is not None:
        for meta, files in sources.corpus_entries(options.corpus, exercise.id, state.notes):
            peers = [a for g, a in mine if meta.get("commit") != g.commit and meta.get("candidate") != g.who]
            if not peers:
                continue
            who = str(meta.get("candidate") or meta["name"])
            label = who if meta.get("blind") or not options.blind else pseudonym(f"candidate:{who}")
            commit = str(meta.get("commit") or "")
            other = state.add(sources.changed(files, starter), boilerplate, f"{label} ({meta['variant']}, {commit[:10]})",
                              "corpus", exercise.id, commit or None)
            for a in peers:
                state.compare(a, other, files)


def _write(state: _Run, found: sources.Found, outcome: Outcome, outputs: list[Path]) -> None:
    from grader.batch import read_summary, render_index, render_similarity_page

    names = dict(state.options.hide) if state.options.blind else {}
    for graded in found.submissions:
        names.update(graded.names)
    scrub = scrubber(names)
    shown = {id(c): f"pair-{n}" for n, c in enumerate(outcome.flagged[:SHOWN_PAIRS], start=1)}
    settings = model.Settings(threshold=state.options.threshold, min_lines=state.options.min_lines, k=fp.K,
                              corpus=str(state.options.corpus) if state.options.corpus else None,
                              known=str(state.options.known) if state.options.known else None,
                              references=state.options.references, blind=state.options.blind)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    batches = {p.resolve() for p in found.batches}
    named = {g.output for g in found.submissions if g.names}  # --blind, but the batch was graded with names
    for output in named & {p for p in outputs if p.resolve() in batches}:
        outcome.notes.append(f"{output}: index.html left as it is (the batch was not graded --blind and names its "
                             "candidates); the similarity section is in similarity.html")
    for output in dict.fromkeys(outputs):
        here = [g for g in found.submissions if g.output == output]
        keys = [g.key for g in here if g.key]
        pairs = [c for c in state.listed if c.a.key in keys or c.b.key in keys]
        involved = list(dict.fromkeys(keys + [k for c in pairs for k in (c.a.key, c.b.key)]))
        documents = [_document(state.meta[k], found, output, scrub) for k in involved]
        result = model.Similarity(
            grader_version=grader.__version__, generated_at=now, settings=settings, documents=documents,
            pairs=[_scrub_pair(c.pair, scrub) for c in pairs], listed_from=LISTED_FROM,
            pairs_compared=outcome.pairs_compared, pairs_truncated=len(state.listed) >= MAX_LISTED,
            notes=[scrub(n) for n in outcome.notes], seconds=outcome.seconds)
        (output / "similarity.json").write_text(result.model_dump_json(indent=2))
        is_batch = output.resolve() in batches
        section = _section(state, outcome, [c for c in outcome.flagged if c.a.key in keys or c.b.key in keys],
                           shown, output, found, scrub)
        (output / "similarity.html").write_text(render_similarity_page(section))
        if is_batch and output not in named:
            (output / "index.html").write_text(render_index(read_summary(output / "summary.csv"), section))
        outcome.results[output] = result
    for graded in found.submissions:
        _update_report(state, outcome, graded, shown, graded.output.resolve() in batches, now)


def _document(meta: model.Document, found: sources.Found, output: Path, scrub) -> model.Document:
    graded = next((g for g in found.submissions if g.key == meta.key), None)
    return meta.model_copy(update={"folder": _relative(graded, output, "."), "files": [scrub(f) for f in meta.files]})


def _relative(graded: Graded | None, output: Path, name: str) -> str | None:
    """A path to a submission's folder (or a file in it), unless --blind and its folder may be named after them."""
    if graded is None or graded.names:
        return None
    return os.path.normpath(os.path.relpath(graded.folder / name, output))


def _scrub_pair(pair: model.Pair, scrub) -> model.Pair:
    blocks = [b.model_copy(update={"a": b.a.model_copy(update={"file": scrub(b.a.file)}),
                                   "b": b.b.model_copy(update={"file": scrub(b.b.file)})}) for b in pair.blocks]
    return pair.model_copy(update={"blocks": blocks})


def _update_report(state: _Run, outcome: Outcome, graded: Graded, shown: dict[int, str], in_batch: bool,
                   now: str) -> None:
    similar = []
    for c in outcome.flagged:
        if graded.key is None or graded.key not in (c.a.key, c.b.key):
            continue
        mine, theirs, other = (c.pair.a, c.pair.b, c.b) if c.a.key == graded.key else (c.pair.b, c.pair.a, c.a)
        anchor = shown.get(id(c))
        where = f"{'../' if in_batch else ''}similarity.html#{anchor}" if anchor else None
        similar.append(SimilarTo(other=other.label, kind=other.kind, share=mine.share, other_share=theirs.share,
                                 lines=mine.matched_lines, where=where))
    report = graded.report.model_copy(update={"similarity": SimilarityCheck(
        checked_at=now, threshold=state.options.threshold, min_lines=state.options.min_lines,
        compared_with=state.compared_with.get(graded.key or "", 0), similar_to=similar)})
    if report.blind and state.options.blind and state.options.hide:
        report = scrub_report(report, state.options.hide)  # the code in its diffs may name another candidate
    write_reports(report, graded.folder)


def _section(state: _Run, outcome: Outcome, flagged: list[Compared], shown: dict[int, str], output: Path,
             found: sources.Found, scrub) -> dict:
    """What the similarity section of index.html and similarity.html shows (plain values, escaped by Jinja)."""
    graded_by_key = {g.key: g for g in found.submissions if g.key}

    def side(doc: fp.Doc, s: model.Side) -> dict:
        return {"label": doc.label, "kind": doc.kind, "share": s.share, "lines": s.matched_lines,
                "own": s.own_lines, "link": _relative(graded_by_key.get(doc.key), output, "report.html")}

    pairs = []
    for c in flagged:
        view = {"id": shown.get(id(c)), "a": side(c.a, c.pair.a), "b": side(c.b, c.pair.b), "blocks": [],
                "more_blocks": 0}
        if view["id"] is not None:
            blocks = c.block_list[:SHOWN_BLOCKS]
            view["blocks"] = [{"a": _excerpt(state, c.a, blk.a_lines, c.found.a_lines, scrub),
                               "b": _excerpt(state, c.b, blk.b_lines, c.found.b_lines, scrub)} for blk in blocks]
            view["more_blocks"] = len(c.block_list) - len(blocks)
        pairs.append(view)
    return {"threshold": state.options.threshold, "min_lines": state.options.min_lines,
            "submissions": outcome.submissions, "pairs_compared": outcome.pairs_compared, "pairs": pairs,
            "notes": [scrub(n) for n in outcome.notes], "seconds": outcome.seconds}


def _excerpt(state: _Run, doc: fp.Doc, lines: np.ndarray, matched: np.ndarray, scrub) -> dict:
    """One side of a block: its matched own lines with one line of context, gaps elided, capped."""
    first, last = int(lines[0]), int(lines[-1])
    path = doc.files[doc.line_file[first]]
    text = state.texts.get(doc.key, {}).get(path, "").split("\n")
    hits = {int(g) for g in lines if matched[g]}
    wanted = sorted({x for g in hits for x in (g - 1, g, g + 1) if first <= x <= last}) or list(range(first, last + 1))
    rows, previous = [], None
    for g in wanted[:EXCERPT_LINES]:
        if previous is not None and g != previous + 1:
            rows.append({"gap": True})
        number = int(doc.line_no[g])
        line = text[number - 1] if number - 1 < len(text) else ""
        cut = line[:LINE_CHARS] + ("…" if len(line) > LINE_CHARS else "")
        rows.append({"no": number, "text": scrub(cut), "hit": g in hits, "gap": False})
        previous = g
    numbers = [r["no"] for r in rows if not r["gap"]]
    return {"file": scrub(path), "start": numbers[0], "end": numbers[-1], "rows": rows,
            "truncated": len(wanted) > EXCERPT_LINES}
