"""Fingerprints of a submission's own code, and how much of it two documents share.

Built on copydetect (winnowing, as in MOSS): each file is tokenized by Pygments and filtered
(names become V, F or O, strings S; comments and whitespace are dropped) and every k-gram of
`K` filtered characters is hashed (window 1: every k-gram is a fingerprint, so coverage is
exact). Hashes that occur anywhere in the exercise's starter are boilerplate and dropped, so
only what the candidate wrote can match. Renaming, reformatting, new comments and reordered
functions therefore change nothing; rewriting the logic does.

A document's *own lines* are the lines of its files that hold code (at least
`MIN_LINE_CHARS` filtered characters), do not occur in the starter, and have a filtered
character that no k-gram of the starter covers (a starter line with a comment added, or
moved elsewhere, is not own). A line is *matched* by another document when at least half of
its filtered characters lie in k-grams the two share. A side's figure is its matched own
lines over its own lines.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath

import numpy as np

from grader.changes import TextFile

#: Shortest match, in filtered characters (copydetect's default noise threshold).
K = 25
#: A line with fewer filtered characters (a bracket, a lone string) is not counted as code.
MIN_LINE_CHARS = 3
#: Filtered characters per document: files past this are not compared (a guard; sources read 256 KiB at most).
MAX_DOC_CHARS = 300_000
_NEWLINE = re.compile("\n")


def _normal(line: str) -> str:
    return " ".join(line.split())


@lru_cache(maxsize=512)
def language(name: str) -> str | None:
    """Pygments' lexer alias for a file name, or None when it is not code Pygments knows."""
    import pygments.lexers
    import pygments.util

    try:
        lexer = pygments.lexers.get_lexer_for_filename(name)
    except pygments.util.ClassNotFound:
        return None
    return None if lexer.name == "Text only" else lexer.aliases[0]


def _fingerprint(path: str, text: str, boilerplate: np.ndarray):
    from copydetect import CodeFingerprint

    lang = language(PurePosixPath(path).name)
    if lang is None:
        return None
    return CodeFingerprint(path, K, 1, boilerplate=boilerplate, language=lang, fp=io.StringIO(text))


@dataclass
class Boilerplate:
    """What is not the candidate's: the starter's k-gram hashes and its lines."""

    hashes: np.ndarray
    lines: frozenset[str]

    @classmethod
    def of(cls, files: list[TextFile]) -> "Boilerplate":
        hashes: list[int] = []
        lines: set[str] = set()
        for f in files:
            fp = _fingerprint(f.path, f.text, np.array([], dtype=np.int64))
            if fp is not None:
                hashes.extend(fp.hashes)
            lines.update(_normal(line) for line in f.text.split("\n"))
        return cls(np.unique(np.array(hashes, dtype=np.int64)), frozenset(lines - {""}))


@dataclass
class Doc:
    """One side of a comparison: a submission, a corpus entry, a reference or a leaked solution."""

    key: str
    label: str
    kind: str
    files: list[str] = field(default_factory=list)
    #: Fingerprint hashes (sorted) and their positions in the document's filtered text (files end to end).
    hashes: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    positions: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int32))
    #: For each filtered character, its line's index (-1 in the gap between files).
    char_line: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int32))
    #: Per line: its file's index, its 1-based number, its filtered characters, whether it is own code.
    line_file: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int32))
    line_no: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int32))
    line_chars: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int32))
    own: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool))
    notes: list[str] = field(default_factory=list)
    #: The distinct hashes, sorted (for membership tests).
    distinct: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))

    @property
    def own_lines(self) -> int:
        return int(self.own.sum())

    def holds(self, hashes: np.ndarray) -> np.ndarray:
        """For each of `hashes`, whether this document has it too."""
        if not len(self.distinct):
            return np.zeros(len(hashes), dtype=bool)
        at = np.minimum(np.searchsorted(self.distinct, hashes), len(self.distinct) - 1)
        return self.distinct[at] == hashes


@dataclass
class _File:
    """One file's part of a document: its fingerprints and, per filtered character and per line, where it is."""

    hashes: np.ndarray
    positions: np.ndarray
    char_line: np.ndarray
    line_chars: np.ndarray
    own: np.ndarray


def _file(f: TextFile, boilerplate: Boilerplate) -> _File | None:
    fp = _fingerprint(f.path, f.text, boilerplate.hashes)
    if fp is None or not fp.filtered_code:
        return None
    filtered = np.arange(len(fp.filtered_code))
    if len(fp.offsets):  # where each filtered character starts in the raw text (as copydetect maps slices)
        table = fp.offsets
        raw = filtered + table[:, 1][np.clip(np.searchsorted(table[:, 0], filtered), 0, len(table) - 1)]
    else:
        raw = filtered
    starts = np.array([0] + [m.end() for m in _NEWLINE.finditer(f.text)])
    char_line = (np.searchsorted(starts, raw, side="right") - 1).astype(np.int32)
    texts = f.text.split("\n")
    chars = np.bincount(char_line, minlength=len(texts))[: len(texts)].astype(np.int32)
    hashes = np.fromiter((h for h, at in fp.hash_idx.items() for _ in at), dtype=np.int64)
    positions = np.fromiter((i for at in fp.hash_idx.values() for i in at), dtype=np.int32)
    keep = ~np.isin(hashes, boilerplate.hashes)  # copydetect misses repeated boilerplate k-grams
    hashes, positions = hashes[keep], positions[keep]
    # Characters that only ever sit in the starter's k-grams: a starter line with a comment added,
    # reindented or moved to another file is still the starter's.
    starter_kgrams = np.setdiff1d(np.arange(max(len(filtered) - K + 1, 0)), positions)
    mine = ~_covered(starter_kgrams, len(filtered)) if len(filtered) >= K else np.ones(len(filtered), dtype=bool)
    new_chars = np.bincount(char_line[mine], minlength=len(texts))[: len(texts)]
    own = np.array([c >= MIN_LINE_CHARS and fresh > 0 and _normal(t) not in boilerplate.lines
                    for c, fresh, t in zip(chars, new_chars, texts)], dtype=bool)
    return _File(hashes, positions, char_line, chars, own)


def _covered(starts: np.ndarray, n: int) -> np.ndarray:
    """Which of `n` filtered characters lie in a k-gram starting at one of `starts`."""
    delta = np.bincount(starts, minlength=n + K + 1) - np.bincount(starts + K, minlength=n + K + 1)
    return np.cumsum(delta[:n]) > 0


def fingerprint(files: list[TextFile], boilerplate: Boilerplate, key: str, label: str, kind: str) -> Doc:
    """A document of `files` (end to end, K apart): the starter's k-grams and lines removed as boilerplate."""
    doc = Doc(key=key, label=label, kind=kind)
    parts: list[_File] = []
    offset = n_lines = 0
    for f in files:
        if offset > MAX_DOC_CHARS:
            doc.notes.append(f"{f.path}: not compared, the document is over {MAX_DOC_CHARS:,} characters of code")
            continue
        part = _file(f, boilerplate)
        if part is None:
            continue
        part.positions += offset
        part.char_line += n_lines
        parts.append(part)
        doc.files.append(f.path)
        offset += len(part.char_line) + K
        n_lines += len(part.line_chars)
    if not parts:
        return doc
    gap = np.full(K, -1, dtype=np.int32)  # between files, so that no k-gram or slice spans two
    doc.char_line = np.concatenate([a for p in parts for a in (p.char_line, gap)])
    doc.line_file = np.concatenate([np.full(len(p.line_chars), i, dtype=np.int32) for i, p in enumerate(parts)])
    doc.line_no = np.concatenate([np.arange(1, len(p.line_chars) + 1, dtype=np.int32) for p in parts])
    doc.line_chars = np.concatenate([p.line_chars for p in parts])
    doc.own = np.concatenate([p.own for p in parts])
    hashes, positions = np.concatenate([p.hashes for p in parts]), np.concatenate([p.positions for p in parts])
    order = np.argsort(hashes, kind="stable")  # sorted queries make membership tests ~5x faster
    doc.hashes, doc.positions = hashes[order], positions[order]
    doc.distinct = np.unique(doc.hashes)
    return doc


def matched_lines(doc: Doc, starts: np.ndarray) -> np.ndarray:
    """Own lines of `doc` with at least half their filtered characters in k-grams starting at `starts`."""
    lines = doc.char_line[_covered(starts, len(doc.char_line))]
    hits = np.bincount(lines[lines >= 0], minlength=len(doc.line_chars))
    return doc.own & (hits * 2 >= doc.line_chars)


@dataclass
class Overlap:
    """What two documents share: per side the matched own lines, and the shared k-grams of `a`."""

    a_lines: np.ndarray
    b_lines: np.ndarray
    a_starts: np.ndarray
    a_hashes: np.ndarray

    def share(self, side: str, doc: Doc) -> float:
        matched = self.a_lines if side == "a" else self.b_lines
        return float(matched.sum()) / doc.own_lines if doc.own_lines else 0.0


def overlap(a: Doc, b: Doc) -> Overlap | None:
    """The k-grams `a` and `b` share and the own lines they match on each side, or None."""
    in_b = b.holds(a.hashes)
    if not in_b.any():
        return None
    in_a = a.holds(b.hashes)
    a_starts = a.positions[in_b]
    return Overlap(matched_lines(a, a_starts), matched_lines(b, b.positions[in_a]), a_starts, a.hashes[in_b])


@dataclass
class Block:
    """One run of matching code: on each side, the lines (document line indexes) its k-grams cover."""

    a_lines: np.ndarray
    b_lines: np.ndarray
    #: Own lines of `a` matched inside the block.
    own_lines: int


def _lines(doc: Doc, starts: np.ndarray) -> np.ndarray:
    """The lines (indexes) at least half covered by the k-grams at `starts`, else every line they touch."""
    chars = np.unique((starts[:, None] + np.arange(K)).ravel())
    lines = doc.char_line[chars]
    lines = lines[lines >= 0]
    hits = np.bincount(lines, minlength=len(doc.line_chars))
    full = np.flatnonzero((hits > 0) & (hits * 2 >= doc.line_chars))
    return full if len(full) else np.unique(lines)


def blocks(a: Doc, b: Doc, found: Overlap) -> list[Block]:
    """Runs of matching code in `a` (copydetect's slices), each with where the same k-grams sit in `b`."""
    from copydetect.utils import get_copied_slices

    out = []
    for start, end in get_copied_slices(found.a_starts, K).T.astype(np.int64):
        inside = (found.a_starts >= start) & (found.a_starts < end)
        a_lines = _lines(a, found.a_starts[inside])
        own = int(found.a_lines[a_lines].sum())
        if own == 0:
            continue  # only the starter's context around an edit both made
        b_pos = b.positions[np.searchsorted(b.hashes, found.a_hashes[inside])]  # b.hashes is sorted
        b_file = b.line_file[b.char_line[b_pos]]
        out.append(Block(a_lines, _lines(b, b_pos[b_file == np.bincount(b_file).argmax()]), own))
    out.sort(key=lambda blk: -blk.own_lines)
    return out
