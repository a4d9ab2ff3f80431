"""Reading the JUnit XML report that a pytest run of the candidate's own tests wrote in the sandbox.

The file comes out of the sandbox, so it is hostile input like any other candidate output (see
`grader/untrusted.py`, whose promises hold here too): `read_junit` returns or raises
`OutputError` with a one-line reason, ends in bounded time and memory, and what it returns is
bounded. How:

- the bytes are size-capped before parsing (`StepResult.read_bytes`, `MAX_BYTES`);
- the parser is expat driven by handlers (no tree is built), and any DOCTYPE or entity
  declaration is refused outright: pytest never writes one, and without one there is no entity
  to expand (billion laughs, quadratic blow-up, external entities);
- elements deeper than `MAX_DEPTH`, more than `MAX_ELEMENTS` elements, and encodings expat
  does not know are refused; text is kept only where it is needed (failures), head and tail
  capped;
- only `MAX_CASES` test cases are kept (the rest are counted), and every string is capped.

What is read is only what pytest's own report says, written by a process in which the
candidate's conftest ran: evidence, never a verdict.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from typing import Literal

from grader.errors import OutputError
from grader.escape import one_line
from grader.untrusted import candidate_data

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 16
MAX_ELEMENTS = 200_000
MAX_CASES = 5000
MAX_NAME = 300
MAX_REASON = 300
#: Characters of a failure's text kept from its start and from its end (the reason is often last).
TEXT_HEAD = 4000
TEXT_TAIL = 4000

Outcome = Literal["passed", "failed", "error", "skipped"]
_OUTCOME_TAGS = {"failure": "failed", "error": "error", "skipped": "skipped"}
#: pytest's line for the exception in a traceback ("E   ImportError: cannot import name ...").
_E_LINE = re.compile(r"^E\s+(\S.*)$", re.M)
_SETUP = re.compile(r'^failed on (?:setup|teardown) with "(.*)"$', re.S)
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))\b")


@dataclass
class Case:
    """One test case as pytest reported it."""

    #: The test module's path from the rootdir ("tests/test_api.py"), when pytest wrote it (xunit1).
    file: str | None
    classname: str
    name: str
    outcome: Outcome
    #: One line: why it failed, errored or was skipped ("ImportError: cannot import name 'x' from 'y'").
    reason: str = ""
    #: The case stands for a test module that could not be collected (pytest's "collection failure").
    collection: bool = False

    @property
    def nodeid(self) -> str:
        """pytest's node id as near as the report tells it: `path::Class::name`."""
        if self.collection:
            return self.file or self.name
        if not self.file:
            return f"{self.classname}::{self.name}" if self.classname else self.name
        module = self.file[:-3].replace("/", ".") if self.file.endswith(".py") else self.file
        inner = self.classname[len(module) + 1:] if self.classname.startswith(module + ".") else ""
        return "::".join(p for p in (self.file, inner.replace(".", "::"), self.name) if p)

    @property
    def exception(self) -> str | None:
        """The exception's class name at the start of the reason, if any (`ImportError`)."""
        match = _EXCEPTION.match(self.reason)
        return match.group(1).rsplit(".", 1)[-1] if match else None


@dataclass
class JUnitReport:
    cases: list[Case] = field(default_factory=list)
    #: Test cases beyond MAX_CASES, counted but not kept.
    dropped: int = 0


class _Refused(Exception):
    """Raised inside the handlers to stop expat; becomes an OutputError."""


class _Reader:
    def __init__(self) -> None:
        self.report = JUnitReport()
        self.depth = 0
        self.elements = 0
        self.case: dict | None = None  # the <testcase> being read
        self.result: dict | None = None  # its <failure>/<error>/<skipped>
        self.head: list[str] = []
        self.head_len = 0
        self.tail = ""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"elements nested more than {MAX_DEPTH} deep")
        if self.elements > MAX_ELEMENTS:
            raise _Refused(f"more than {MAX_ELEMENTS} elements")
        if tag == "testcase" and self.case is None:
            self.case = {"file": attrs.get("file"), "classname": attrs.get("classname", ""),
                         "name": attrs.get("name", ""), "outcome": "passed", "reason": "", "collection": False}
        elif tag in _OUTCOME_TAGS and self.case is not None and self.result is None:
            self.result = {"tag": tag, "message": attrs.get("message", "")}
            self.head, self.head_len, self.tail = [], 0, ""

    def text(self, data: str) -> None:
        if self.result is None:
            return
        if self.head_len < TEXT_HEAD:
            piece = data[: TEXT_HEAD - self.head_len]
            self.head.append(piece)
            self.head_len += len(piece)
            data = data[len(piece):]
        if data:
            self.tail = (self.tail + data)[-TEXT_TAIL:]

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.result is not None and tag == self.result["tag"]:
            self._close_result()
        elif tag == "testcase" and self.case is not None:
            self._close_case()

    def _close_result(self) -> None:
        tag, message = self.result["tag"], self.result["message"]
        text = "".join(self.head) + self.tail
        self.result = None
        case = self.case
        rank = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
        outcome = _OUTCOME_TAGS[tag]
        if rank[outcome] <= rank[case["outcome"]]:
            return  # a test can report a failure and a teardown error: keep the worst
        case["outcome"] = outcome
        case["collection"] = tag == "error" and message == "collection failure"
        case["reason"] = reason(message, text)

    def _close_case(self) -> None:
        case, self.case = self.case, None
        if len(self.report.cases) >= MAX_CASES:
            self.report.dropped += 1
            return
        file = case["file"]
        self.report.cases.append(Case(
            file=one_line(file, MAX_NAME) if file else None, classname=one_line(case["classname"], MAX_NAME),
            name=one_line(case["name"], MAX_NAME), outcome=case["outcome"], reason=case["reason"],
            collection=case["collection"],
        ))


def reason(message: str, text: str) -> str:
    """One line saying why a test did not pass: the exception pytest reported, else the message."""
    message = message.strip()
    setup = _SETUP.match(message)
    if setup:
        message = setup.group(1)
    lines = _E_LINE.findall(text)
    if message in ("", "collection failure") and lines:
        # a collection failure's traceback ends with the exception; skip pytest's own hint lines
        message = next((ln for ln in reversed(lines) if _EXCEPTION.match(ln)), lines[-1])
    first = message.strip().splitlines()[0] if message.strip() else ""
    return one_line(first, MAX_REASON)


def _refuse(*_args) -> None:
    raise _Refused("it declares a DOCTYPE or entities (pytest writes neither)")


@candidate_data("the JUnit XML report")
def read_junit(data: bytes) -> JUnitReport:
    """The test cases of a JUnit XML report (pytest's), read within bounds; OutputError if unusable."""
    if len(data) > MAX_BYTES:
        raise OutputError(f"the JUnit XML report is {len(data)} bytes, over the {MAX_BYTES}-byte limit")
    reader = _Reader()
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise OutputError(f"the JUnit XML report was refused: {exc}") from None
    except xml.parsers.expat.ExpatError as exc:
        raise OutputError(f"the JUnit XML report is not well-formed XML: {one_line(exc, 200)}") from None
    except (ValueError, LookupError) as exc:  # unknown encodings
        raise OutputError(f"the JUnit XML report cannot be decoded: {one_line(exc, 200)}") from None
    return reader.report
