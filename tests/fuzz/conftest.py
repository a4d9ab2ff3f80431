"""The fuzz suite: properties of every function that reads candidate-controlled data.

Each property says: the function returns, or raises the candidate-failure type (OutputError,
CandidateFailure, or for checkout a CheckoutError/GraderError: one clear line) and nothing
else; it ends within the time stated in the test; what it returns is bounded and escaped
for its sink. `make test` runs the derandomised `ci` profile (fixed examples, no flaky
deadlines); `HYPOTHESIS_PROFILE=deep` explores further.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", deadline=None, max_examples=2000,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PROJECT = Path(__file__).resolve().parents[2]


def check_module(exercise_id: str, name: str):
    """Import a hidden check's helper module (they import each other by bare name)."""
    checks = PROJECT / "exercises" / exercise_id / "checks"
    saved = {k: sys.modules.pop(k) for k in ("hidden_data", "measures", "manifests") if k in sys.modules}
    sys.path.insert(0, str(checks))
    try:
        module = importlib.import_module(name)
        return module
    finally:
        sys.path.remove(str(checks))
        for key in ("hidden_data", "measures", "manifests"):
            sys.modules.pop(key, None)
        sys.modules.update(saved)


#: A loaded host (CI shares its machine) may run a block several times slower than a quiet
#: one; the bounds catch blow-ups (exponential time, a hang), not speed.
LOADED_HOST_SLACK = 4


@contextmanager
def within(seconds: float):
    """The block must end within `seconds` on a quiet machine (it takes a small fraction), with
    LOADED_HOST_SLACK times that allowed."""
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    bound = seconds * LOADED_HOST_SLACK
    assert elapsed < bound, f"took {elapsed:.2f} s, bound {bound} s"
