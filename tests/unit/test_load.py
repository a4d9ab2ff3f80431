"""The open-loop load generator: it keeps its schedule, and a slow server shows as latency."""

import asyncio
import json

from grader.verify.load import LoadResult, check_generator, open_loop, percentile

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


def test_generator_reaches_its_rate_against_a_trivial_endpoint(box):
    result = check_generator(box, rate=100, duration_s=3)
    assert result.errors == 0 and result.achieved_rps >= 97 and result.p95_ms < 25


def test_open_loop_keeps_schedule_when_the_server_is_slow(box):
    (box.workspace / "slow.py").write_text(SLOW_APP)
    with box.serve("slow", ["{python}", "-m", "uvicorn", "slow:app", "--uds", "{sock}/app.sock"], ready_path="/") as app:
        result = open_loop(app.uds, rate=50, duration_s=2, request=lambda i: ("GET", "/slow", None))
    assert result.sent == 100 and result.errors == 0
    assert result.achieved_rps >= 48  # the schedule did not wait for the slow answers
    assert 190 < result.p50_ms < 400


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
