"""An open-loop load generator for hidden checks that measure a candidate's service.

Requests are sent on a fixed schedule (rate x duration) whatever the server does, each
latency is measured from its *scheduled* start (so a slow server cannot slow the generator
down and hide its own queueing: no coordinated omission), and timeouts count as errors.
`check_generator` first proves, against a trivial app in the same sandbox and limits,
that the generator itself reaches the target rate; if it cannot, the measurement would
say nothing about the candidate, so that is an infrastructure fault.
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import httpx

from grader.errors import InfraError
from grader.sandbox import hostlock

Request = tuple[str, str, dict | None]  # method, path, JSON body

TRIVIAL_APP = """
import json
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps({"ok": True}).encode()})
"""


@dataclass
class LoadResult:
    target_rps: float
    duration_s: float
    sent: int
    ok: int
    errors: int
    achieved_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.sent if self.sent else 1.0

    def evidence(self) -> dict:
        """JSON-safe: a figure that could not be measured (no successful request) is None."""
        data = {k: ((round(v, 2) if math.isfinite(v) else None) if isinstance(v, float) else v)
                for k, v in asdict(self).items()}
        data["error_rate"] = round(self.error_rate, 5)
        return data


def measurement():
    """Hold the host for a sequence of measurements (warm-up and windows): see sandbox/hostlock.py."""
    return hostlock.measured()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.inf
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def open_loop(uds: Path, rate: float, duration_s: float, request: Callable[[int], Request],
              timeout_s: float = 5.0, max_in_flight: int = 256) -> LoadResult:
    """Send `rate` requests per second for `duration_s` seconds; request i is `request(i)`.

    The event loop runs on its own thread, so callers that already run one (a check using
    an async library, playwright's sync API in the same pytest session) can still measure.
    A measurement holds the host lock exclusively (sandbox/hostlock.py): no step of any
    grading on this host runs meanwhile.
    """
    with hostlock.measured(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="open-loop") as pool:
        return pool.submit(asyncio.run, _run(uds, rate, duration_s, request, timeout_s, max_in_flight)).result()


async def _run(uds: Path, rate: float, duration_s: float, request, timeout_s: float, max_in_flight: int) -> LoadResult:
    total = max(1, int(rate * duration_s))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=str(uds), limits=limits),
                                 base_url="http://sandbox", timeout=timeout_s) as client:

        async def one(i: int, scheduled: float) -> None:
            method, path, body = request(i)
            try:  # httpx's timeout is per read; a server trickling bytes must not stretch a request
                response = await asyncio.wait_for(client.request(method, path, json=body), timeout_s)
                key = str(response.status_code)
                if response.is_success:
                    latencies.append((time.monotonic() - scheduled) * 1000)
            except (httpx.TimeoutException, asyncio.TimeoutError):
                key = "timeout"
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            statuses[key] = statuses.get(key, 0) + 1

        start = time.monotonic() + 0.05
        tasks = []
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, scheduled)))
        sent_in = time.monotonic() - start
        await asyncio.gather(*tasks)
    ok = len(latencies)
    return LoadResult(
        target_rps=rate, duration_s=duration_s, sent=total, ok=ok, errors=total - ok,
        achieved_rps=total / sent_in if sent_in > 0 else math.inf,
        p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95), p99_ms=percentile(latencies, 99),
        max_ms=max(latencies) if latencies else math.inf, statuses=statuses,
    )


def generator_faults(result: LoadResult, rate: float, ceiling_ms: float = 25.0) -> list[str]:
    """Why a run against the trivial app says the generator (or the host) cannot measure; [] if it can."""
    return [why for bad, why in (
        (result.errors > 0, f"{result.errors} requests failed ({result.statuses})"),
        (result.achieved_rps < 0.97 * rate, f"it sent only {result.achieved_rps:.1f} of {rate:g} rps"),
        (result.p95_ms > ceiling_ms, f"p95 was {result.p95_ms:.1f} ms, over the {ceiling_ms:g} ms a trivial endpoint "
                                     f"must stay under"),
    ) if bad]


def check_generator(sandbox, rate: float, duration_s: float, ceiling_ms: float = 25.0) -> LoadResult:
    """Drive a trivial app in the same sandbox and limits; the generator must keep up."""
    result = drive_trivial_app(sandbox, rate, duration_s)
    failed = generator_faults(result, rate, ceiling_ms)
    if failed:
        raise InfraError(f"the load generator's self-check against a trivial endpoint at {rate:g} rps failed: "
                         + "; ".join(failed) + " (the host is too busy to measure latency)")
    return result


def drive_trivial_app(sandbox, rate: float, duration_s: float) -> LoadResult:
    """Serve TRIVIAL_APP in `sandbox` and send it `rate` requests per second for `duration_s`."""
    argv = ["{python}", "-m", "uvicorn", "--app-dir", "{in}", "trivial_app:app", "--uds", "{sock}/app.sock",
            "--no-access-log", "--log-level", "warning"]
    with sandbox.serve("load-generator-check", argv, inputs={"trivial_app.py": TRIVIAL_APP}, ready_path="/") as app:
        return open_loop(app.uds, rate, duration_s, lambda i: ("POST", "/", {"i": i}))
