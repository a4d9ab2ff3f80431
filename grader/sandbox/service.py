"""A candidate server as the trusted side reaches it: requests with total deadlines over its
Unix socket, a stalled server cut off, and what its step measured (memory, OOM kills)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader import escape
from grader.errors import CandidateFailure, OutputError
from grader.sandbox.http import AnswerTooLarge, RequestError, RequestTimeout, UdsClient
from grader.sandbox.output import tail_text

if TYPE_CHECKING:
    from grader.sandbox.base import Handle


@dataclass
class Service:
    """A running candidate server, reached over its Unix socket.

    Every request has a total deadline (`request_timeout_s`), whatever the server does; after
    `STALL_LIMIT` requests in a row without an answer in time, the server counts as stalled
    and later requests fail at once, so a stalling service cannot stretch a grading run.
    """

    name: str
    started_in_s: float
    log_path: Path
    #: The Unix socket the trusted side connects to (e.g. for a load generator's own client).
    uds: Path
    timeout_s: float
    _client: UdsClient = field(repr=False)
    _handle: "Handle" = field(repr=False)
    _timeouts_in_a_row: int = 0

    STALL_LIMIT = 3

    def request(self, method: str, path: str, payload=None, max_bytes: int = 1024 * 1024,
                timeout_s: float | None = None) -> tuple[int, bytes]:
        """(status, body); a server that does not answer usably is the candidate's failure."""
        what = f"{method} {escape.one_line(path, 100)}"
        if self._timeouts_in_a_row >= self.STALL_LIMIT:
            raise CandidateFailure(f"server stalled: {self.STALL_LIMIT} requests in a row got no answer within "
                                   f"{self.timeout_s:g} s, so {what} was not sent{self._why()}", log=self.log_tail())
        try:
            answer = self._client.request(method, path, json=payload, deadline_s=timeout_s or self.timeout_s,
                                          max_bytes=max_bytes)
        except AnswerTooLarge as exc:
            raise OutputError(f"{what} {exc}") from None
        except RequestTimeout as exc:
            self._timeouts_in_a_row += 1
            raise CandidateFailure(f"server did not answer {what} in time ({exc}){self._why()}",
                                   log=self.log_tail()) from None
        except RequestError as exc:
            raise CandidateFailure(f"server failed on {what}: {exc}{self._why()}", log=self.log_tail()) from None
        self._timeouts_in_a_row = 0
        return answer

    def _why(self) -> str:
        return f" (server stopped: {self.stopped_reason})" if self.stopped_reason else ""

    def alive(self) -> bool:
        return self._handle.poll() is None

    @property
    def stopped_reason(self) -> str | None:
        return self._handle.stopped_reason

    def peak_memory_mb(self) -> float | None:
        return to_mb(self._handle.peak_memory_bytes())

    def oom_kills(self) -> int:
        return self._handle.oom_kills()

    def log_tail(self, lines: int = 15) -> str:
        return tail_text(self.log_path, lines)


def to_mb(value: int | None) -> float | None:
    return None if value is None else round(value / (1024 * 1024), 1)
