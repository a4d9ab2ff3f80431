"""`grader validate --seeds`: hidden data drawn from other keys, flaky checks found, and the seeds module."""

import json
import os
import subprocess
import sys

import pytest

from grader import catalog, seeds
from grader.reseed import validate_seeds
from tests.unit.conftest import HOME


def test_seeds_default_without_a_key_and_derive_with_one(monkeypatch):
    monkeypatch.delenv(seeds.ENV, raising=False)
    assert seeds.seed(71_101, "train") == 71_101
    assert seeds.describe(None) == "hidden data: public default seeds"
    key = seeds.exercise_key(seeds.validation_key(0, 1), "skew", "1.0.0")
    monkeypatch.setenv(seeds.ENV, key)
    drawn = seeds.seed(71_101, "train")
    assert drawn != 71_101 and drawn == seeds.seed(1, "train") and drawn != seeds.seed(71_101, "parity")
    assert 0 <= drawn < 2**31
    other = seeds.exercise_key(seeds.validation_key(0, 2), "skew", "1.0.0")
    assert other != key and seeds.exercise_key(seeds.validation_key(0, 1), "drift", "1.0.0") != key
    assert key not in seeds.describe(key) and seeds.fingerprint(key) in seeds.describe(key)


@pytest.fixture
def seeded(monkeypatch, bwrap_ready):
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    return catalog.get_exercise("seeded")


def test_validate_seeds_finds_the_flaky_check(seeded, tmp_path):
    done = []
    result = validate_seeds([seeded], tmp_path, count=4, base=3, sandbox="local", jobs=2,
                            on_done=lambda *args: done.append(args[:3]))
    runs = result.exercises["seeded"]
    assert len(done) == 2 * 4 and set(runs.variants) == {"starter", "reference"}
    # base 3 draws even, even, odd, odd seeds for this exercise: the check passes on two of four
    assert runs.flaky() == ["lucky_draw"] and runs.variants["reference"].passes("lucky_draw") == 2
    assert runs.variants["reference"].passes("answer_is_42") == 4 and runs.variants["starter"].passes("answer_is_42") == 0
    assert not result.ok and any("lucky_draw" in line for line in runs.failures())
    saved = json.loads((tmp_path / "validate.json").read_text())
    assert saved["exercises"]["seeded"]["flaky"] == ["lucky_draw"] and saved["ok"] is False
    table = (tmp_path / "validate.md").read_text()
    assert "| `lucky_draw` **flaky** | **2/4** | **2/4** |" in table and "| `answer_is_42` | 0/4 | 4/4 |" in table
    reports = sorted(p.parent.name + "/" + p.name for p in tmp_path.glob("seeded/*/report-seed-*"))
    assert len(reports) == 8
    hidden = json.loads((tmp_path / "seeded" / "reference" / "report-seed-0" / "report.json").read_text())["hidden_data"]
    assert hidden.startswith("hidden data: seed set ")


def test_validate_seeds_command_exits_non_zero_on_a_flaky_expectation(seeded, tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "validate", "seeded", "--seeds", "3", "--seed-base", "3",
                           "--sandbox", "local", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GRADER_HOME": str(HOME)})
    assert done.returncode == 1, done.stderr
    assert "lucky_draw (flaky)" in done.stdout and "Traceback" not in done.stderr
    assert (tmp_path / "validate.json").exists()
    # The same --out again: one line naming the folder, before anything is graded or overwritten.
    again = subprocess.run([sys.executable, "-m", "grader", "validate", "seeded", "--seeds", "3", "--sandbox", "local",
                            "--out", str(tmp_path)], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "GRADER_HOME": str(HOME)})
    assert again.returncode == 2 and "already holds a calibration of seeded" in again.stderr + again.stdout
    assert "Traceback" not in again.stderr
