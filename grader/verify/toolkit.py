"""What hidden checks share: turning candidate steps and outputs into trusted data.

Everything the candidate produced is untrusted text: these helpers read it with limits,
validate its shape and raise `CandidateFailure` / `OutputError` (a failed check) rather
than letting a malformed answer crash the check (an error).
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass

import httpx
import numpy as np
import pandas as pd

from grader.sandbox import CandidateFailure, OutputError, Service, StepResult


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
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype={"id": str}, low_memory=False)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise OutputError(f"{name} is not a readable CSV: {exc}") from None
    for col in ("id", column):
        if col not in frame.columns:
            raise OutputError(f"{name} has no {col!r} column (columns: {', '.join(map(str, frame.columns[:10]))})")
    if frame["id"].duplicated().any():
        raise OutputError(f"{name} has duplicate ids")
    scores = pd.to_numeric(frame[column], errors="coerce")
    scores.index = frame["id"]
    missing = set(ids) - set(scores.index)
    if missing:
        raise OutputError(f"{name} lacks {len(missing)} of the {len(ids)} input ids")
    scores = scores.loc[list(ids)]
    bad = ~np.isfinite(scores) | (scores < 0) | (scores > 1)
    if bad.any():
        raise OutputError(f"{name}: {int(bad.sum())} {column} values are not probabilities in [0, 1]")
    return scores.astype(float)


@dataclass
class Reply:
    """A bounded HTTP response from the candidate's server."""

    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise OutputError(f"response is not JSON: {self.text[:200]!r}") from None

    def number(self, key: str) -> float:
        """`key` of a JSON object response, as a finite float."""
        data = self.json()
        value = data.get(key) if isinstance(data, dict) else None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise OutputError(f"response has no numeric {key!r}: {self.text[:200]!r}") from None
        if not math.isfinite(number):
            raise OutputError(f"{key} is not finite: {value!r}")
        return number


def send(service: Service, method: str, path: str, payload: dict | None = None, max_bytes: int = 1024 * 1024) -> Reply:
    """One request to the candidate's server; a dead, hanging or flooding server is its failure."""
    try:
        with service.client.stream(method, path, json=payload) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise OutputError(f"{method} {path} answered more than {max_bytes} bytes")
            return Reply(response.status_code, bytes(body))
    except httpx.TimeoutException:
        raise CandidateFailure(f"server did not answer {method} {path} in time{_why(service)}", log=service.log_tail()) from None
    except httpx.TransportError as exc:
        raise CandidateFailure(f"server connection failed on {method} {path}: {type(exc).__name__}{_why(service)}",
                               log=service.log_tail()) from None


def _why(service: Service) -> str:
    return f" (server stopped: {service.stopped_reason})" if service.stopped_reason else ""


def bar_chart(title: str, values: dict[str, float], band: tuple[float, float] | None = None, unit: str = "") -> dict:
    """Evidence for an inline chart in the HTML report (add it to `evidence["charts"]`).

    `band` is the accepted range: bars outside it are drawn red.
    """
    return {"kind": "bars", "title": title, "unit": unit, "band": list(band) if band else None,
            "bars": [{"label": str(k), "value": float(v)} for k, v in values.items()]}
