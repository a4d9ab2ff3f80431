"""The `.mlops-exercise` marker: which exercise a repository was published from, and for whom.

`grader publish ID DEST --candidate NAME` writes a marker naming the exercise, its version,
the variant (grader/variants.py) and the candidate; with a grading secret (grader.secret) it also carries an HMAC of those
fields under the secret, so nobody without the secret can write a marker that verifies.
At grading time the marker of the repository's *first* commit (what was published; the
candidate may edit later ones) is read and checked against `grader score --candidate
NAME`: a repository published for someone else, or a marker whose signature does not
verify, is flagged at the top of the report. The marker is the candidate's file: it is read
with bounds and never trusted beyond what its signature proves.
"""

from __future__ import annotations

import hmac
import json
import tomllib
from dataclasses import dataclass

from grader.catalog import MARKER
from grader.errors import GraderError
from grader.escape import one_line
from grader.seeds import derive

MAX_MARKER_CHARS = 4096


@dataclass(frozen=True)
class Marker:
    exercise: str | None
    version: str | None
    candidate: str | None = None
    signature: str | None = None
    variant: str | None = None


def sign(secret: str, marker: Marker) -> str:
    """HMAC-SHA256 under the secret of the fields the marker vouches for (grader.seeds.derive)."""
    return derive(secret, "marker", marker.exercise or "", marker.version or "", marker.candidate or "",
                  marker.variant or "")


def render(exercise_id: str, version: str, candidate: str | None = None, secret: str | None = None,
           variant: str | None = None) -> str:
    """The marker file's text (TOML; strings JSON-quoted, which TOML reads the same)."""
    lines = [f"exercise = {json.dumps(exercise_id)}", f"version = {json.dumps(version)}"]
    if variant is not None:
        lines.append(f"variant = {json.dumps(variant)}")
    if candidate is not None:
        lines.append(f"candidate = {json.dumps(candidate)}")
        if secret:
            signed = Marker(exercise_id, version, candidate, variant=variant)
            lines.append(f"signature = {json.dumps(sign(secret, signed))}")
    return "\n".join(lines) + "\n"


def _load(text: str) -> dict:
    """The marker's TOML, read from its first MAX_MARKER_CHARS characters; ValueError if it is not TOML."""
    try:
        return tomllib.loads(text[:MAX_MARKER_CHARS])
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise ValueError(one_line(exc, 200)) from None


def _text(data: dict, name: str, limit: int = 200) -> str | None:
    value = data.get(name)
    return one_line(value, limit) if isinstance(value, str) else None


def parse(text: str | None) -> Marker | None:
    """The fields of a marker's text; None when it is missing or not TOML (bounded, never raises)."""
    if text is None:
        return None
    try:
        data = _load(text)
    except ValueError:
        return None
    return Marker(*(_text(data, name) for name in ("exercise", "version", "candidate", "signature", "variant")))


def identify(text: str) -> tuple[str, str | None]:
    """The exercise id and version a repo's marker names; GraderError (one line) if it names none."""
    try:
        data = _load(text)
    except ValueError as exc:
        raise GraderError(f"{MARKER} is not valid TOML: {exc}") from None
    exercise_id = _text(data, "exercise", 100)
    if not exercise_id:
        raise GraderError(f"{MARKER} does not name an exercise (expected: exercise = \"<id>\")")
    return exercise_id, _text(data, "version", 100)


def check(published: Marker | None, candidate: str | None, secret: str | None) -> tuple[list[str], list[str]]:
    """(flags for the top of the report, plain notes) about the first commit's marker.

    Nothing is said about a repository published for nobody in particular and graded for
    nobody in particular (the demo, the tests, a team without per-candidate repositories)."""
    if published is None or published.candidate is None:
        if candidate is None:
            return [], []
        return [], ["the first commit's marker names no candidate: who it was published for is unknown"]
    flags, notes = [], []
    if candidate is not None and published.candidate != candidate:
        flags.append(f"Built on the repository published for another candidate ({published.candidate!r}, "
                     f"graded as {candidate!r})")
    if not secret:
        notes.append(f"marker for {published.candidate!r} not verified: no grading secret here")
    elif published.signature is None or not hmac.compare_digest(published.signature.encode(),
                                                                 sign(secret, published).encode()):
        flags.append("Marker does not verify: it was edited, or published under another grading secret")
    else:
        notes.append(f"marker verified: published for {published.candidate!r}")
    return flags, notes
