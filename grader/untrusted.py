"""Reading data the candidate controls into bounded, plain values.

Everything a submission produces is hostile input for trusted code: HTTP answers, JSON and
CSV outputs, what probes read back from a model registry, manifests. The functions here are
the only way such bytes become Python values, and each of them holds three promises,
which the fuzz suite (tests/fuzz/) checks:

- it returns, or raises `OutputError` with a one-line reason, and nothing else: a failure to
  read candidate data is the candidate's failure, never a crash of a check (an `error`);
- it ends in bounded time and memory (inputs are size-capped before parsing);
- what it returns is bounded: JSON at most `MAX_DEPTH` deep, integers of at most
  `MAX_INT_DIGITS` digits, strings valid Unicode.

`candidate_data` wraps a hidden check's own parser of candidate data with the same promise,
and `bounded` makes any value safe to store as evidence (JSON-able, shallow, capped).
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import math
from typing import Any, Callable, TypeVar

from grader.errors import CandidateFailure, OutputError, PremiseError
from grader.escape import clean, one_line

MAX_DEPTH = 64
MAX_INT_DIGITS = 30
MAX_CSV_COLUMNS = 2000

F = TypeVar("F", bound=Callable[..., Any])


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer with {len(text.lstrip('-'))} digits")
    return int(text)


def load_json(data: bytes | str, what: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON the candidate wrote; raise OutputError (one line) if it is not usable."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError:
        raise OutputError(f"{what} is not UTF-8 text") from None
    try:
        value = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise OutputError(f"{what} is nested too deeply to read") from None
    except ValueError as exc:
        raise OutputError(f"{what} is not JSON: {one_line(exc, 200)}") from None
    return _sanitised(value, what, max_depth)


def _sanitised(value: Any, what: str, max_depth: int) -> Any:
    """A copy of parsed JSON with valid strings, checked to be at most `max_depth` deep (iteratively)."""
    if not isinstance(value, (dict, list)):
        return clean(value) if isinstance(value, str) else value
    root: list = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 1)]  # (source, parent, key in parent, depth)
    while stack:
        source, parent, key, depth = stack.pop()
        if depth > max_depth:
            raise OutputError(f"{what} is nested more than {max_depth} levels deep")
        if isinstance(source, dict):
            copy: Any = {}
            for k, v in source.items():
                k = clean(k)
                if isinstance(v, (dict, list)):
                    copy[k] = None
                    stack.append((v, copy, k, depth + 1))
                else:
                    copy[k] = clean(v) if isinstance(v, str) else v
        else:
            copy = [None] * len(source)
            for i, v in enumerate(source):
                if isinstance(v, (dict, list)):
                    stack.append((v, copy, i, depth + 1))
                else:
                    copy[i] = clean(v) if isinstance(v, str) else v
        parent[key] = copy
    return root[0]


def finite_number(value: Any, what: str) -> float:
    """A finite float from a JSON value (a number or a numeric string, not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise OutputError(f"{what} is not a number: {one_line(repr(value), 80)}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise OutputError(f"{what} is not a number: {one_line(repr(value), 80)}") from None
    if not math.isfinite(number):
        raise OutputError(f"{what} is not finite: {one_line(repr(value), 80)}")
    return number


def read_csv(data: bytes, what: str, max_columns: int = MAX_CSV_COLUMNS, **options):
    """A pandas DataFrame from CSV the candidate wrote; anything unreadable is an OutputError."""
    import pandas as pd

    header = data[: data.find(b"\n") if b"\n" in data else len(data)]
    if header.count(b",") + 1 > max_columns:
        raise OutputError(f"{what} has more than {max_columns} columns")
    try:
        return pd.read_csv(io.BytesIO(data), low_memory=False, **options)
    except Exception as exc:  # pandas raises many types for malformed input; all are the candidate's
        raise OutputError(f"{what} is not a readable CSV: {type(exc).__name__}: {one_line(exc, 200)}") from None


def candidate_data(what: str) -> Callable[[F], F]:
    """Decorate a parser of candidate data: any failure inside it becomes an OutputError.

    For the hidden checks' own readers (manifests, registry states, monitor reports): they
    validate shapes by hand, and whatever they miss must still be the candidate's failure,
    not a crash. Only exceptions are converted; a PremiseError (the grader's own data is
    wrong), KeyboardInterrupt and SystemExit pass.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except (OutputError, CandidateFailure, PremiseError):
                raise
            except Exception as exc:
                raise OutputError(f"{what} could not be read: {type(exc).__name__}: {one_line(exc, 200)}") from None

        return wrapper  # type: ignore[return-value]

    return decorate


# -- evidence -----------------------------------------------------------------------------
MAX_EVIDENCE_DEPTH = 8
MAX_EVIDENCE_ITEMS = 200
MAX_EVIDENCE_STRING = 4000
#: Values copied in all, whatever the nesting: shared references cannot multiply the work.
MAX_EVIDENCE_NODES = 5000
_INT_BOUND = 10**MAX_INT_DIGITS


def _leaf(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_INT_BOUND < value < _INT_BOUND else "<integer too large>"
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean(value, MAX_EVIDENCE_STRING)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _leaf(item())
        except Exception:
            pass
    try:
        return clean(str(value), MAX_EVIDENCE_STRING)
    except Exception:
        return f"<{type(value).__name__}>"


def bounded(value: Any, max_depth: int = MAX_EVIDENCE_DEPTH, max_items: int = MAX_EVIDENCE_ITEMS) -> Any:
    """A JSON-able copy of `value`: at most `max_depth` deep, `max_items` per container and
    `MAX_EVIDENCE_NODES` values in all, strings capped, non-finite floats as None, other objects as
    their (capped) text. Never recursive, so a self-referencing, shared or absurdly deep value from
    candidate data cannot break it or blow it up."""
    containers = (dict, list, tuple, set, frozenset)
    if not isinstance(value, containers):
        return _leaf(value)
    root: list = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 1)]
    budget = MAX_EVIDENCE_NODES
    while stack:
        source, parent, key, depth = stack.pop()
        if depth > max_depth or budget <= 0:
            parent[key] = "<nested too deeply>" if depth > max_depth else "<too large>"
            continue
        total = len(source)
        items = list(itertools.islice(source.items() if isinstance(source, dict) else source, max_items))
        budget -= len(items)
        copy: Any = {} if isinstance(source, dict) else [None] * len(items)
        for i, item in enumerate(items):
            k, v = item if isinstance(source, dict) else (i, item)
            if isinstance(source, dict):
                k = clean(k, 200) if isinstance(k, str) else one_line(_leaf(k), 200)
            copy[k] = None if isinstance(v, containers) else _leaf(v)
            if isinstance(v, containers):
                stack.append((v, copy, k, depth + 1))
        if total > max_items:
            if isinstance(copy, dict):
                copy["…"] = f"{total - max_items} more entries"
            else:
                copy.append(f"… {total - max_items} more items")
        parent[key] = copy
    return root[0]
