"""The power of the silent-drift exercise's test of normal days (`stationary_batches_quiet`).

Computes exactly, by walking every (days, bad days) path of the sequential test in
`exercises/silent-drift/checks/measures.py`, the probability that a monitor paging on a share
p of normal days passes, and how many days the test takes on average:

    .venv/bin/python bench/stationary_power.py

The issue's requirement: a monitor paging on >= 5% of normal days fails with probability
>= 0.90, one paging on <= 1% passes with probability >= 0.90.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "exercises" / "silent-drift" / "checks"))
sys.path.insert(0, str(ROOT))

import hidden_data as hd  # noqa: E402
import measures  # noqa: E402


def operating_characteristic(p: float, max_days: int = hd.DAYS_MAX) -> tuple[float, float]:
    """(probability of passing, expected number of normal days) for a monitor paging on a share p."""
    undecided = {0: 1.0}  # bad days so far -> probability, among paths not decided yet
    passed = days = 0.0
    for n in range(1, max_days + 1):
        after: dict[int, float] = {}
        for bad, prob in undecided.items():
            for b, q in ((bad, 1 - p), (bad + 1, p)):
                if q == 0:
                    continue
                verdict = _decided(b, n) or (_at_the_end(b, n) if n == max_days else None)
                if verdict is None:
                    after[b] = after.get(b, 0.0) + prob * q
                else:
                    passed += prob * q * (verdict == "pass")
                    days += prob * q * n
        undecided = after
    return passed, days


def _decided(bad: int, n: int) -> str | None:
    llr = bad * measures.SPRT_BAD + (n - bad) * measures.SPRT_QUIET
    if llr <= measures.SPRT_PASS_AT:
        return "pass"
    if llr >= measures.SPRT_FAIL_AT:
        return "fail"
    return None


def _at_the_end(bad: int, n: int) -> str:
    return "pass" if bad * measures.SPRT_BAD + (n - bad) * measures.SPRT_QUIET < 0 else "fail"


if __name__ == "__main__":
    print("false-page rate  P(pass)  mean normal days")
    for p in (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.10):
        passed, days = operating_characteristic(p)
        print(f"{p:>15.3f}  {passed:7.3f}  {days:16.1f}")
