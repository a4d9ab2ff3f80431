"""The result of `grader similarity`: the `similarity.json` schema.

Figures are shares of *own lines* (see `fingerprint`): for each side of a pair, the lines it
wrote itself (not the starter's) that the other side matches. A pair is flagged when a
submission of this run has at least `threshold` of its own lines matched and at least
`min_lines` of them. Names follow `--blind` like everything else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1.0"

Kind = Literal["submission", "corpus", "reference", "partial fix", "known"]


class Document(BaseModel):
    """One side: a submission of this run, an earlier one from the corpus, a reference or a leak."""

    key: str
    label: str
    kind: Kind
    exercise: str
    commit: str | None = None
    #: The submission's report folder, relative to the folder this file is in.
    folder: str | None = None
    own_lines: int = 0
    files: list[str] = Field(default_factory=list)


class Side(BaseModel):
    key: str
    own_lines: int
    matched_lines: int
    share: float


class Span(BaseModel):
    """Lines `start`..`end` (1-based, inclusive) of one file."""

    file: str
    start: int
    end: int


class Block(BaseModel):
    """One run of matching code, where it is on each side."""

    a: Span
    b: Span
    #: Own lines of side a matched in this block.
    lines: int


class Pair(BaseModel):
    a: Side
    b: Side
    flagged: bool
    blocks: list[Block] = Field(default_factory=list)
    blocks_truncated: bool = False


class Settings(BaseModel):
    threshold: float
    min_lines: int
    k: int
    corpus: str | None = None
    known: str | None = None
    references: bool = True
    blind: bool = False


class Similarity(BaseModel):
    schema_version: str = SCHEMA_VERSION
    grader_version: str
    generated_at: str
    settings: Settings
    #: Submissions of this folder, then every other document that appears in a pair.
    documents: list[Document] = Field(default_factory=list)
    #: Pairs with at least one matched own line on a side with a share of at least `listed_from`.
    pairs: list[Pair] = Field(default_factory=list)
    listed_from: float = 0.0
    pairs_compared: int = 0
    pairs_truncated: bool = False
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0
