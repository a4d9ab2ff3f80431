"""What hidden checks share: turning candidate steps and outputs into trusted data.

Everything the candidate produced is untrusted text: these helpers read it with limits,
validate its shape and raise `CandidateFailure` / `OutputError` (a failed check) rather
than letting a malformed answer crash the check (an error). The parsers themselves live in
`grader.untrusted`; checks import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from grader.errors import CandidateFailure, OutputError
from grader.escape import one_line
from grader.sandbox import Service, StepResult
from grader.untrusted import bounded, candidate_data, finite_number, load_json, read_csv  # noqa: F401 (for checks)


def require_ok(result: StepResult) -> StepResult:
    """The step must have exited 0 within its limits."""
    if not result.ok:
        raise CandidateFailure(result.describe(), log=result.log_tail())
    return result


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def read_scores_csv(result: StepResult, name: str, ids: pd.Series, column: str, max_bytes: int = 32 * 1024 * 1024) -> pd.Series:
    """A CSV with `id` and a probability `column` per input id -> Series indexed by id."""
    raw = result.read_bytes(name, max_bytes)
    return _scores(raw, name, ids, column)


@candidate_data("a scores CSV")
def _scores(raw: bytes, name: str, ids: pd.Series, column: str) -> pd.Series:
    frame = read_csv(raw, name, dtype={"id": str})
    for col in ("id", column):
        if col not in frame.columns:
            shown = ", ".join(one_line(c, 40) for c in frame.columns[:10])
            raise OutputError(f"{name} has no {col!r} column (columns: {shown})")
    if frame["id"].duplicated().any():
        raise OutputError(f"{name} has duplicate ids")
    scores = pd.to_numeric(frame[column], errors="coerce")
    scores.index = frame["id"]
    missing = set(ids) - set(scores.index)
    if missing:
        raise OutputError(f"{name} lacks {len(missing)} of the {len(ids)} input ids")
    scores = scores.loc[list(ids)].astype(float)
    bad = ~np.isfinite(scores) | (scores < 0) | (scores > 1)
    if bad.any():
        raise OutputError(f"{name}: {int(bad.sum())} {column} values are not probabilities in [0, 1]")
    return scores


@dataclass
class Reply:
    """A bounded HTTP answer from the candidate's server; `what` names the request."""

    status: int
    body: bytes
    what: str = "the answer"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        """The body as bounded JSON data; anything unreadable is an OutputError."""
        return load_json(self.body, f"the {self.what} answer")

    def number(self, key: str) -> float:
        """`key` of a JSON object answer, as a finite float."""
        data = self.json()
        if not isinstance(data, dict) or key not in data:
            raise OutputError(f"the {self.what} answer has no {key!r}: {one_line(self.text, 200)}")
        return finite_number(data[key], f"{key!r} in the {self.what} answer")


def send(service: Service, method: str, path: str, payload: dict | None = None, max_bytes: int = 1024 * 1024) -> Reply:
    """One request to the candidate's server, within its total deadline; a dead, hanging,
    stalling or flooding server is its failure (CandidateFailure / OutputError)."""
    status, body = service.request(method, path, payload, max_bytes=max_bytes)
    return Reply(status, body, f"{method} {one_line(path, 100)}")


def bar_chart(title: str, values: dict[str, float], band: tuple[float, float] | None = None, unit: str = "") -> dict:
    """Evidence for an inline chart in the HTML report (add it to `evidence["charts"]`).

    `band` is the accepted range: bars outside it are drawn red.
    """
    return {"kind": "bars", "title": title, "unit": unit, "band": list(band) if band else None,
            "bars": [{"label": str(k), "value": float(v)} for k, v in values.items()]}
