"""SharedResults (tests/conftest.py): a result several test workers read is built once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from tests.conftest import SharedResults


def _read(root: str, built: str, out: str) -> None:
    def build() -> dict:
        with open(built, "a") as f:
            f.write("built\n")
        time.sleep(0.3)  # the other process asks meanwhile and must wait, not build again
        return {"value": 42}

    value = SharedResults(Path(root)).get("calibration/skew/reference", build)
    Path(out).write_text(str(value["value"]))


def test_two_processes_build_once_and_both_read_it(tmp_path):
    built = tmp_path / "built.txt"
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_read, args=(str(tmp_path / "shared"), str(built), str(tmp_path / f"out{i}")))
             for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0, 0]
    assert built.read_text() == "built\n"
    assert [(tmp_path / f"out{i}").read_text() for i in range(2)] == ["42", "42"]


def test_a_failed_build_leaves_nothing_and_the_next_reader_builds(tmp_path):
    shared = SharedResults(tmp_path)

    def broken():
        raise RuntimeError("grading crashed")

    with pytest.raises(RuntimeError):
        shared.get("k", broken)
    assert SharedResults(tmp_path).get("k", lambda: "second try") == "second try"
    assert shared.get("k", lambda: "not built again") == "second try"
