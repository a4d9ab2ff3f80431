"""A small open-loop load test for the API: a fixed request rate, whatever the server does.

    python tools/loadtest.py --rate 60 --duration 20 [--url http://127.0.0.1:8000]

Sends `POST /predict` with applications from data/applications.csv (each one different) on
a fixed schedule and measures every latency from the moment the request was *due*, so a
slow server shows up as latency instead of quietly slowing the test down. After one
request and a few seconds of unmeasured warm-up, prints the latency percentiles, the
error count and the rate actually sent.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from pathlib import Path

import httpx
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "data" / "applications.csv"


def applications() -> list[dict]:
    frame = pd.read_csv(DATA).drop(columns=["id", "default"])
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in rows]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.inf
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


async def load(client: httpx.AsyncClient, payloads: list[dict], rate: float, duration: float) -> dict:
    """Send `rate` requests per second for `duration` seconds; latency counts from when each was due."""
    total = int(rate * duration)
    latencies: list[float] = []
    errors: dict[str, int] = {}

    async def one(i: int, due: float) -> None:
        try:
            response = await client.post("/predict", json=payloads[i % len(payloads)])
            if response.status_code == 200:
                latencies.append((time.monotonic() - due) * 1000)
                return
            key = str(response.status_code)
        except httpx.HTTPError as exc:
            key = type(exc).__name__
        errors[key] = errors.get(key, 0) + 1

    start = time.monotonic() + 0.1
    tasks = []
    for i in range(total):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(one(i, due)))
    sent_in = time.monotonic() - start
    await asyncio.gather(*tasks)
    return {"total": total, "rate": total / sent_in, "latencies": latencies, "errors": errors}


async def run(url: str, rate: float, duration: float, timeout: float, warmup: float) -> None:
    payloads = applications()
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        first = await client.post("/predict", json=payloads[-1], timeout=max(timeout, 60.0))
        print(f"first request: HTTP {first.status_code}")
        if warmup > 0:
            await load(client, payloads, rate, warmup)
        result = await load(client, payloads, rate, duration)
    latencies, failed = result["latencies"], sum(result["errors"].values())
    print(f"sent {result['total']} requests at {result['rate']:.1f} rps (target {rate:g}) for {duration:g} s")
    print(f"latency ms: p50 {percentile(latencies, 50):.1f}  p95 {percentile(latencies, 95):.1f}  "
          f"p99 {percentile(latencies, 99):.1f}  max {max(latencies, default=math.inf):.1f}")
    print(f"errors: {failed} ({100 * failed / max(result['total'], 1):.2f}%) {result['errors'] or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--rate", type=float, default=60.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a request counts as failed")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.rate, args.duration, args.timeout, args.warmup))


if __name__ == "__main__":
    main()
