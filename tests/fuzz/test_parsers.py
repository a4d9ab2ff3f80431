"""Candidate output -> trusted values: JSON, numbers, CSV, evidence, answers, the marker file."""

from __future__ import annotations

import json
import math
import tracemalloc

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.errors import GraderError, OutputError
from grader.junit import MAX_CASES, read_junit
from grader.marker import identify
from grader.untrusted import MAX_DEPTH, bounded, finite_number, load_json, read_csv
from grader.verify.toolkit import Reply, _scores
from tests.fuzz.conftest import within

# JSON-ish text: real JSON of hostile values, nested, and its mutations.
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**500, max_value=10**500),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=50))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                                                            max_size=5), max_leaves=30)


def dumped(value) -> bytes:
    try:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    except (ValueError, OverflowError):
        return b"null"


def nested(depth: int, kind: str) -> bytes:
    return (b"[" * depth + b"]" * depth) if kind == "list" else (b'{"a":' * depth + b"1" + b"}" * depth)


json_bytes = st.one_of(
    values.map(dumped),
    st.binary(max_size=300),
    st.builds(nested, st.integers(0, 200_000), st.sampled_from(["list", "dict"])),
    st.builds(lambda digits: b'{"probability_default": ' + b"9" * digits + b"}", st.integers(1, 5000)),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.just(b'{"a": "\\ud800"}'),
)


def depth_of(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def all_strings(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


@given(json_bytes)
def test_load_json_returns_bounded_data_or_fails_as_output(data):
    tracemalloc.start()
    try:
        with within(2.0):
            try:
                value = load_json(data, "answer")
            except OutputError as exc:
                assert "\n" not in str(exc) and len(str(exc)) < 400
                return
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
    assert depth_of(value) <= MAX_DEPTH
    for s in all_strings(value):
        s.encode("utf-8")  # no lone surrogates
    json.dumps(value)  # usable downstream, never recursing past the interpreter's limit


@given(json_bytes, st.sampled_from(["probability_default", "model_version"]))
def test_a_number_from_an_answer_is_finite_or_an_output_error(body, key):
    try:
        number = Reply(200, body, "POST /predict").number(key)
    except OutputError:
        return
    assert isinstance(number, float) and math.isfinite(number)


@given(values)
def test_finite_number(value):
    try:
        assert math.isfinite(finite_number(value, "x"))
    except OutputError:
        pass


csv_bytes = st.one_of(
    st.binary(max_size=400),
    st.lists(st.tuples(st.text(max_size=6), st.one_of(st.text(max_size=8), st.floats(), st.integers())), max_size=20)
    .map(lambda rows: ("id,probability_default\n" + "\n".join(f"{a},{b}" for a, b in rows)).encode("utf-8",
                                                                                                    "surrogatepass")),
    st.integers(1, 200_000).map(lambda n: b"," * n + b"\n1"),
    st.just(b'id,probability_default\n"unterminated,0.5\n'),
)


@given(csv_bytes)
def test_a_scores_csv_gives_probabilities_or_an_output_error(raw):
    ids = pd.Series(["a", "b"])
    with within(5.0):
        try:
            scores = _scores(raw, "scores.csv", ids, "probability_default")
        except OutputError as exc:
            assert "\n" not in str(exc)
            return
    assert list(scores.index) == ["a", "b"] and ((scores >= 0) & (scores <= 1)).all()


@given(csv_bytes)
def test_read_csv_is_a_frame_or_an_output_error(raw):
    with within(5.0):
        try:
            assert isinstance(read_csv(raw, "x.csv"), pd.DataFrame)
        except OutputError:
            pass


def shared(depth: int):
    node: list = [1]
    for _ in range(depth):
        node = [node, node]  # 2**depth paths through `depth` objects
    return node


def cyclic():
    a: dict = {}
    a["self"] = a
    return a


evidence_values = st.one_of(values, st.builds(shared, st.integers(0, 60)), st.builds(cyclic),
                            st.builds(lambda n: list(range(n)), st.integers(0, 100_000)),
                            st.builds(lambda s: {s: object()}, st.text(max_size=5)))


@given(evidence_values)
def test_evidence_is_always_small_json(value):
    with within(2.0):
        data = bounded(value)
        text = json.dumps(data, allow_nan=False)
    assert len(text) < 2_000_000
    for s in all_strings(data):
        s.encode("utf-8")


@given(st.text(max_size=5000))
def test_the_marker_file_names_an_exercise_or_says_why_not(text):
    try:
        exercise, version = identify(text)
    except GraderError as exc:
        assert "\n" not in str(exc)
        return
    assert len(exercise) < 200 and (version is None or len(version) < 200)


@pytest.mark.parametrize("text", ["a = " + "[" * 100_000 + "]" * 100_000, 'exercise = "' + "x" * 10**6 + '"'])
def test_the_marker_file_at_its_extremes(text):
    try:
        exercise, _ = identify(text)
        assert len(exercise) < 200
    except GraderError:
        pass


# JUnit XML of the candidate's own test runs: pytest's shape, mutated, and noise.
_CASE = ('<testcase classname="{c}" name="{n}" file="tests/test_a.py">{body}</testcase>')
junit_cases = st.builds(
    lambda c, n, kind, msg: _CASE.format(c=c, n=n, body="" if kind == "passed" else
                                         f'<{kind} message="{msg}">E   {msg}</{kind}>'),
    st.text(max_size=20), st.text(max_size=40), st.sampled_from(["passed", "failure", "error", "skipped"]),
    st.text(max_size=60))
junit_bytes = st.one_of(
    st.lists(junit_cases, max_size=20).map(lambda cases: ("<testsuites><testsuite>" + "".join(cases)
                                                          + "</testsuite></testsuites>").encode("utf-8",
                                                                                                "surrogatepass")),
    st.binary(max_size=300),
    st.builds(lambda depth: b"<a>" * depth + b"</a>" * depth, st.integers(0, 300_000)),
    st.builds(lambda n: b'<!DOCTYPE a [<!ENTITY x "' + b"x" * n + b'">]><a>&x;</a>', st.integers(0, 10_000)),
)


@given(junit_bytes)
def test_a_junit_report_is_bounded_cases_or_an_output_error(data):
    with within(2.0):
        try:
            report = read_junit(data)
        except OutputError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 400
            return
    assert len(report.cases) <= MAX_CASES
    for case in report.cases:
        for text in (case.name, case.classname, case.reason, case.nodeid):
            text.encode("utf-8")
            assert "\n" not in text and len(text) < 2000
