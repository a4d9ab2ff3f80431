"""The open-loop load generator: it keeps its schedule, and a slow server shows as latency.

Nothing here depends on the host's speed (CI may run on a busy machine): real runs assert
what holds however slow the host is (every request sent and answered, a slow server's
latency at least its own delay); the self-check's judgement is tested on made-up results.
How fast the generator is on a quiet host is a benchmark's claim (bench/bench_sandbox.py).
"""

import asyncio
import json

import pytest

from grader.errors import InfraError
from grader.verify import load
from grader.verify.load import LoadResult, drive_trivial_app, generator_faults, open_loop, percentile

SLOW_APP = """
import asyncio
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await asyncio.sleep(0.2 if scope["path"] == "/slow" else 0)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})
"""


def test_percentile():
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile(list(range(1, 101)), 95) == 95
    assert percentile([], 50) == float("inf")


def result(sent=300, errors=0, achieved=100.0, p95=5.0) -> LoadResult:
    return LoadResult(target_rps=100, duration_s=3, sent=sent, ok=sent - errors, errors=errors, achieved_rps=achieved,
                      p50_ms=p95 / 2, p95_ms=p95, p99_ms=p95, max_ms=p95, statuses={"200": sent - errors})


def test_the_generator_sends_its_whole_schedule_to_a_trivial_endpoint(box):
    run = drive_trivial_app(box, rate=100, duration_s=3)
    assert run.sent == 300 and run.errors == 0 and run.ok == 300


@pytest.mark.parametrize("bad, words", [
    (dict(errors=3), "3 requests failed"),
    (dict(achieved=80.0), "sent only 80.0 of 100 rps"),
    (dict(p95=283.3), "p95 was 283.3 ms"),
])
def test_the_self_check_names_each_reason_the_host_cannot_measure(bad, words, monkeypatch):
    assert generator_faults(result(), 100) == []
    faults = generator_faults(result(**bad), 100)
    assert len(faults) == 1 and words in faults[0]
    monkeypatch.setattr(load, "drive_trivial_app", lambda *a: result(**bad))
    with pytest.raises(InfraError, match="host is too busy to measure latency"):
        load.check_generator(None, 100, 3)


def test_open_loop_keeps_schedule_when_the_server_is_slow(box):
    (box.workspace / "slow.py").write_text(SLOW_APP)
    with box.serve("slow", ["{python}", "-m", "uvicorn", "slow:app", "--uds", "{sock}/app.sock"], ready_path="/") as app:
        result = open_loop(app.uds, rate=50, duration_s=2, request=lambda i: ("GET", "/slow", None))
    assert result.sent == 100 and result.errors == 0
    # the schedule did not wait for the answers: 100 requests answered one after another take 20 s
    assert result.achieved_rps > 10
    assert result.p50_ms >= 195  # each answer takes at least the server's 0.2 s


def test_open_loop_works_inside_a_running_event_loop_and_bounds_each_request(box):
    (box.workspace / "slow.py").write_text(SLOW_APP)

    async def caller_with_its_own_loop():
        return open_loop(app.uds, rate=10, duration_s=1, request=lambda i: ("GET", "/slow", None), timeout_s=0.1)

    with box.serve("slow", ["{python}", "-m", "uvicorn", "slow:app", "--uds", "{sock}/app.sock"], ready_path="/") as app:
        result = asyncio.run(caller_with_its_own_loop())
    assert result.sent == 10 and result.statuses == {"timeout": 10}


def test_evidence_is_strict_json_when_nothing_succeeded():
    result = LoadResult(target_rps=5, duration_s=1, sent=5, ok=0, errors=5, achieved_rps=5.0, p50_ms=float("inf"),
                        p95_ms=float("inf"), p99_ms=float("inf"), max_ms=float("inf"), statuses={"timeout": 5})
    evidence = json.loads(json.dumps(result.evidence(), allow_nan=False))
    assert evidence["p95_ms"] is None and evidence["error_rate"] == 1.0 and evidence["achieved_rps"] == 5.0
