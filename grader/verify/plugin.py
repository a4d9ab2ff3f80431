"""The grader's pytest plugin, loaded into the trusted verifier process with `-p`.

It gives hidden checks their fixtures and records each check's outcome as data:

  grading_session   the session description written by the grader (VerifySession)
  spec              the exercise spec
  sandbox           the sandbox bound to this submission (session-wide)
  evidence          a dict the check fills with the numbers it measured

Outcomes go to `results.jsonl` as each check finishes, one JSON object per line, classified
from the exception itself, never from printed text:

  passed                      the check passed
  failed                      an assertion failed, or the candidate's code failed a step
                              (CandidateFailure, OutputError): the candidate's result
  error (infra=true)          the grading infrastructure failed: inconclusive
  error                       the check itself broke: inconclusive, and a grader bug
  skipped                     the check did not apply
"""

from __future__ import annotations

import json
import signal
import time
import traceback
from pathlib import Path

import pytest

from grader.errors import CandidateFailure, InfraError, OutputError
from grader.escape import clean
from grader.sandbox import make_sandbox
from grader.untrusted import bounded
from grader.verify.session import VerifySession

EVIDENCE = pytest.StashKey[dict]()
STARTED = pytest.StashKey[float]()
SESSION = pytest.StashKey[VerifySession]()
MAX_EVIDENCE_CHARS = 20_000
MAX_MESSAGE_CHARS = 2_000


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--grader-session", required=True, help="path of the grading session JSON")


def pytest_configure(config: pytest.Config) -> None:
    session = VerifySession.load(Path(config.getoption("--grader-session")))
    config.stash[SESSION] = session
    Path(session.results_path).write_text("")

    def terminate(signum, frame):  # let fixtures tear down (and kill sandboxes) on SIGTERM
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    grading = config.stash[SESSION]
    expected = set(grading.check_ids)
    found = {check_id(item) for item in items}
    for missing in sorted(expected - found):
        _record(grading, {"check": missing, "outcome": "error", "infra": False,
                          "message": "no hidden check implements this spec entry", "evidence": {}, "duration_s": 0})
    # Run only the checks the spec names, in the spec's order.
    order = {cid: i for i, cid in enumerate(grading.check_ids)}
    items[:] = sorted((i for i in items if check_id(i) in expected), key=lambda i: order[check_id(i)])


def check_id(item: pytest.Item) -> str:
    name = getattr(item, "originalname", item.name)
    return name[len("test_"):] if name.startswith("test_") else name


@pytest.fixture(scope="session")
def grading_session(pytestconfig: pytest.Config) -> VerifySession:
    return pytestconfig.stash[SESSION]


@pytest.fixture(scope="session")
def spec(grading_session: VerifySession):
    return grading_session.spec()


@pytest.fixture(scope="session")
def sandbox(grading_session: VerifySession):
    box = make_sandbox(grading_session.sandbox_config())
    try:
        yield box
    finally:
        box.close()


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> dict:
    return request.node.stash.setdefault(EVIDENCE, {})


def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[STARTED] = time.monotonic()
    item.stash.setdefault(EVIDENCE, {})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    done = (call.when == "call") or (call.when == "setup" and report.outcome != "passed")
    if done:
        _record(item.config.stash[SESSION], _result(item, call, report))
    return report


def _result(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> dict:
    result = {
        "check": check_id(item),
        "outcome": "passed",
        "infra": False,
        "message": None,
        "evidence": _evidence(item.stash.get(EVIDENCE, {})),
        "duration_s": round(time.monotonic() - item.stash.get(STARTED, time.monotonic()), 3),
    }
    if report.skipped:
        result["outcome"] = "skipped"
        result["message"] = _first_line(str(call.excinfo.value)) if call.excinfo else None
    elif call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, InfraError):
            result.update(outcome="error", infra=True, message=clean(exc, MAX_MESSAGE_CHARS))
        elif isinstance(exc, CandidateFailure):
            result.update(outcome="failed", message=clean(exc, MAX_MESSAGE_CHARS))
            if exc.log:
                result["evidence"]["log_tail"] = clean(exc.log[-4000:])
        elif isinstance(exc, OutputError):
            result.update(outcome="failed", message=clean(f"bad output: {exc}", MAX_MESSAGE_CHARS))
        elif isinstance(exc, AssertionError):
            result.update(outcome="failed", message=_first_line(str(exc)) or "assertion failed")
        else:
            tb = "".join(traceback.format_exception(exc))[-4000:]
            result.update(outcome="error", message=f"check crashed: {type(exc).__name__}: {_first_line(str(exc))}")
            result["evidence"]["traceback"] = tb
    return result


def _first_line(text: str) -> str:
    return clean(text.strip().splitlines()[0], 500) if text.strip() else ""


def _evidence(evidence: dict) -> dict:
    """Evidence as bounded JSON data, whatever a check put there (it may quote candidate output)."""
    data = bounded(evidence)
    text = json.dumps(data)
    if len(text) > MAX_EVIDENCE_CHARS:
        return {"truncated": text[:MAX_EVIDENCE_CHARS]}
    return data if isinstance(data, dict) else {"value": data}


def _record(session: VerifySession, result: dict) -> None:
    with open(session.results_path, "a") as f:
        f.write(json.dumps(result) + "\n")
