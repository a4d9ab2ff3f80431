"""The suite's own scheduling: tests that share a session's gradings really run on one worker.

`make test` runs two pytest-xdist workers with `--dist loadgroup`; tests/conftest.py marks tests
that read one calibration, or one backend's hostile-repo baselines, with the same xdist group.
If the marks stop reaching xdist's scheduler (pytest 9.2 keeps a node's id where xdist 3.8 no
longer writes the group suffix), every worker grades the same exercises again and nothing fails:
the suite only gets slower. This runs a small suite the same way and checks where tests ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("xdist")

SUITE = '''
import os, pytest

def _record(name):
    with open(os.environ["WHERE_FILE"], "a") as f:
        f.write(f"{name} {os.environ['PYTEST_XDIST_WORKER']}\\n")

@pytest.hookimpl(tryfirst=True)  # as tests/conftest.py does: marks added by a hook, before xdist reads them
def pytest_collection_modifyitems(items):
    for item in items:
        if item.name.startswith("test_shared"):
            item.add_marker(pytest.mark.xdist_group("shared-grading"))
'''

# The shared tests come first: ungrouped, xdist would hand the first to one worker and the
# second to the other, so a group that does not reach the scheduler always shows.
TESTS = "".join(
    f"def test_{kind}_{i}():\n    from conftest import _record\n    _record('{kind}_{i}')\n\n"
    for kind in ("shared", "alone") for i in range(6)
)


def test_grouped_tests_run_on_one_worker(tmp_path: Path):
    (tmp_path / "conftest.py").write_text(SUITE)
    (tmp_path / "test_groups.py").write_text(TESTS)
    where = tmp_path / "where.txt"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder", "-q",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env={**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}, "WHERE_FILE": str(where)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ran = dict(line.split() for line in where.read_text().splitlines())
    assert len(ran) == 12
    assert len({ran[f"shared_{i}"] for i in range(6)}) == 1, f"the group was split across workers: {ran}"

