"""The JUnit XML reader: pytest's own reports read back, hostile ones refused in one line."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from grader.candidate_tests import PYTEST
from grader.errors import OutputError
from grader.junit import MAX_BYTES, MAX_CASES, MAX_NAME, read_junit, reason

SUITE = '''
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("set-up boom")

def test_ok(): pass
def test_fail(): assert 1 == 2, "one is not two"
def test_setup_error(broken): pass
@pytest.mark.skip(reason="not today")
def test_skip(): pass
@pytest.mark.parametrize("x", [1, "a<b&c"])
def test_param(x): pass
class TestThing:
    def test_missing_code(self):
        raise ImportError("cannot import name 'X' from 'y'")
'''


@pytest.fixture(scope="module")
def pytest_report(tmp_path_factory) -> bytes:
    """A real report from the pinned pytest, with the options the candidate-tests step uses."""
    root = tmp_path_factory.mktemp("suite")
    (root / "tests").mkdir()
    (root / "tests" / "test_a.py").write_text(SUITE)
    (root / "tests" / "test_b.py").write_text("from credit_risk.nothing import x\n\ndef test_never(): pass\n")
    command = [a.replace("{python}", sys.executable).replace("{workspace}", str(root)).replace("{out}", str(root))
               for a in PYTEST]
    subprocess.run([*command, "tests"], cwd=root, capture_output=True, timeout=120)
    return (root / "junit.xml").read_bytes()


def test_pytest_report_read_back(pytest_report):
    cases = {c.nodeid: c for c in read_junit(pytest_report).cases}
    assert cases["tests/test_a.py::test_ok"].outcome == "passed"
    failed = cases["tests/test_a.py::test_fail"]
    assert (failed.outcome, failed.reason, failed.exception) == ("failed", "AssertionError: one is not two",
                                                                 "AssertionError")
    assert cases["tests/test_a.py::test_setup_error"].outcome == "error"
    assert cases["tests/test_a.py::test_setup_error"].reason == "RuntimeError: set-up boom"
    assert cases["tests/test_a.py::test_skip"].outcome == "skipped"
    assert cases["tests/test_a.py::test_param[a<b&c]"].outcome == "passed"
    assert cases["tests/test_a.py::TestThing::test_missing_code"].exception == "ImportError"
    collection = cases["tests/test_b.py"]
    assert collection.collection and collection.outcome == "error"
    assert collection.reason == "ModuleNotFoundError: No module named 'credit_risk'"


def test_a_failure_and_a_teardown_error_keep_the_worst():
    data = (b'<testsuites><testsuite><testcase classname="tests.test_a" name="t" file="tests/test_a.py">'
            b'<failure message="AssertionError: x">E   AssertionError: x</failure>'
            b'<error message="failed on teardown with &quot;OSError: y&quot;">E  OSError: y</error>'
            b'</testcase></testsuite></testsuites>')
    (case,) = read_junit(data).cases
    assert (case.outcome, case.reason) == ("error", "OSError: y")


def test_reason_takes_the_exception_line_of_a_collection_failure():
    text = "ImportError while importing test module\nHint: ...\nE   ImportError: cannot import name 'f'\nE   x"
    assert reason("collection failure", text) == "ImportError: cannot import name 'f'"
    assert reason("", "") == ""
    assert "\n" not in reason("line one\nline two", "")


@pytest.mark.parametrize("data, why", [
    (b"", "not well-formed"),
    (b"<testsuites><testcase", "not well-formed"),
    (b"\xff\xfe\x00garbage", "not well-formed"),
    (b'<?xml version="1.0" encoding="utf-8"?><testsuites><testcase name="caf\xe9"/></testsuites>', "not well-formed"),
    (b'<?xml version="1.0" encoding="x-evil"?><testsuites/>', "cannot be decoded"),
    (b'<?xml version="1.0"?><!DOCTYPE t SYSTEM "file:///etc/passwd"><testsuites/>', "DOCTYPE"),
    (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuites>&x;</testsuites>',
     "DOCTYPE"),
])
def test_hostile_or_broken_reports_are_one_line_output_errors(data, why):
    with pytest.raises(OutputError, match=why) as raised:
        read_junit(data)
    assert "\n" not in str(raised.value)


def test_entity_expansion_is_refused_at_once():
    entities = "".join(f'<!ENTITY e{i} "{"&e%d;" % (i - 1) * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY e0 "ha">{entities}]><testsuites><testcase name="&e9;"/>' \
           f'</testsuites>'
    started = time.monotonic()
    with pytest.raises(OutputError, match="DOCTYPE"):
        read_junit(bomb.encode())
    assert time.monotonic() - started < 1.0


def test_deep_nesting_is_refused_without_recursion():
    deep = b"<a>" * 500_000 + b"</a>" * 500_000
    with pytest.raises(OutputError):
        read_junit(deep[:MAX_BYTES])
    with pytest.raises(OutputError, match="nested more than"):
        read_junit(b"<a>" * 100 + b"</a>" * 100)


def test_over_the_size_cap_is_refused_before_parsing():
    with pytest.raises(OutputError, match="over the"):
        read_junit(b" " * (MAX_BYTES + 1))


def test_what_is_kept_is_bounded():
    many = b"".join(b'<testcase classname="c" name="t%d"/>' % i for i in range(MAX_CASES + 10))
    report = read_junit(b"<testsuites>" + many + b"</testsuites>")
    assert len(report.cases) == MAX_CASES and report.dropped == 10
    long_name = "x" * 10_000 + "\u202e"
    text = "E   " + "y" * 1_000_000
    data = (f'<testsuites><testcase classname="c" name="{long_name}"><failure message="">{text}</failure>'
            f'</testcase></testsuites>').encode()
    (case,) = read_junit(data).cases
    assert len(case.name) < MAX_NAME + 50 and "\u202e" not in case.name
    assert len(case.reason) < 400


def test_other_encodings_pytest_never_writes_still_read():
    data = '<?xml version="1.0" encoding="utf-16"?><testsuites><testcase classname="c" name="é"/></testsuites>'
    (case,) = read_junit(data.encode("utf-16")).cases
    assert case.name == "é"
