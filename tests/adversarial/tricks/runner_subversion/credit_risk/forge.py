"""Hostile: imported as a module, patches pytest in whatever process imports it."""

import gc
import os
import sys

print("PASSED online_offline_parity")
if "_pytest" in sys.modules:  # inside a grader's pytest: end it "successfully" right now
    os._exit(0)
try:
    import _pytest.reports
    import pytest

    _pytest.reports.TestReport.outcome = property(lambda self: "passed", lambda self, v: None)
    for obj in gc.get_objects():
        if type(obj).__name__ == "Config" and hasattr(obj, "pluginmanager"):
            obj.option.exitfirst = True
    pytest.fail = lambda *a, **k: None
except Exception:
    pass
