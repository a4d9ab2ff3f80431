"""The hidden checks' own readers of candidate data: registry state read back by a probe, the
Kubernetes manifests, the drift monitor's report, the prediction log. Each returns a value that
is safe to use further (its methods too), or raises OutputError; never anything else."""

from __future__ import annotations

import json
import math

import yaml
from hypothesis import given
from hypothesis import strategies as st

from grader.errors import OutputError
from grader.untrusted import load_json
from tests.fuzz.conftest import check_module, within
from tests.fuzz.test_parsers import json_bytes, values

gate = check_module("missing-validation-gate", "measures")
manifests = check_module("over-provisioned-serving", "manifests")
drift = check_module("silent-drift", "measures")

versions = st.one_of(st.integers(0, 10**12).map(str), st.text(max_size=8), st.just("²"), st.just("9" * 5000))
store_state = st.dictionaries(
    st.text(max_size=6),
    st.one_of(values, st.fixed_dictionaries({
        "aliases": st.dictionaries(st.text(max_size=8), st.one_of(versions, values), max_size=3),
        "versions": st.dictionaries(versions, st.one_of(values, st.fixed_dictionaries(
            {"status": values, "tags": st.dictionaries(st.text(max_size=8), values, max_size=3)})), max_size=4),
    }), st.fixed_dictionaries({"error": values})), max_size=3)


@given(st.one_of(store_state, values, json_bytes.map(lambda b: _json_or_none(b))))
def test_registry_state_read_back(data):
    try:
        states = gate.parse_states(data)
    except OutputError:
        return
    for state in states.values():  # what the checks then do with it
        json.dumps(state.summary())
        state.newest()
        state.tags(state.champion)
        gate.same_version(state.champion, "3")


def _json_or_none(data: bytes):
    try:
        return load_json(data, "x")
    except OutputError:
        return None


quantities = st.one_of(st.text(max_size=12), st.integers(-10**30, 10**30), st.floats(), st.just("1e999"),
                       st.just("500m"), st.just("768Mi"), st.booleans(), st.none())
containers = st.lists(st.fixed_dictionaries({
    "name": st.sampled_from(["api", "x", 3]),
    "resources": st.one_of(values, st.fixed_dictionaries({
        "requests": st.dictionaries(st.sampled_from(["cpu", "memory"]), quantities),
        "limits": st.dictionaries(st.sampled_from(["cpu", "memory"]), quantities)})),
    "ports": st.one_of(values, st.lists(st.fixed_dictionaries({"containerPort": st.one_of(st.integers(), values),
                                                               "name": values}), max_size=3)),
    "readinessProbe": st.one_of(values, st.fixed_dictionaries({"httpGet": st.dictionaries(
        st.sampled_from(["path", "port"]), values), "periodSeconds": values})),
    "env": st.one_of(values, st.lists(st.fixed_dictionaries({"name": values, "value": values}), max_size=3)),
}), max_size=2)
int_or_percent = st.one_of(st.none(), st.integers(-10**12, 10**12), st.integers(-3, 9),
                           st.sampled_from(["0%", "25%", "100%", "150%", "1e3%", "5", " 5%"]), values)
labels = st.one_of(values, st.dictionaries(st.sampled_from(["app", "team", "x"]),
                                           st.one_of(st.sampled_from(["credit-risk-api", "y"]), values), max_size=3))
deployment = st.fixed_dictionaries({
    "kind": st.sampled_from(["Deployment", "Service", 7]),
    "metadata": st.one_of(values, st.fixed_dictionaries({"name": st.sampled_from(["credit-risk-api", "x"]),
                                                         "namespace": st.one_of(st.none(), st.just("ns"), values)})),
    "spec": st.one_of(values, st.fixed_dictionaries({
        "replicas": st.one_of(st.integers(-5, 10**9), values),
        "strategy": st.one_of(values, st.fixed_dictionaries({
            "type": st.one_of(st.sampled_from(["RollingUpdate", "Recreate", "x"]), values),
            "rollingUpdate": st.one_of(values, st.fixed_dictionaries({"maxSurge": int_or_percent,
                                                                      "maxUnavailable": int_or_percent}))})),
        "template": st.fixed_dictionaries({"metadata": st.fixed_dictionaries({"labels": labels}),
                                           "spec": st.fixed_dictionaries({"containers": st.one_of(containers, values)})}),
        "minReplicas": values, "scaleTargetRef": values})),
})
budget = st.fixed_dictionaries({
    "apiVersion": st.one_of(st.sampled_from(["policy/v1", "policy/v1beta1"]), values),
    "kind": st.just("PodDisruptionBudget"),
    "metadata": st.one_of(values, st.fixed_dictionaries({"name": values, "namespace": st.one_of(st.none(), st.just("ns"),
                                                                                                values)})),
    "spec": st.one_of(values, st.fixed_dictionaries({
        "selector": st.one_of(values, st.fixed_dictionaries({
            "matchLabels": labels,
            "matchExpressions": st.one_of(values, st.lists(st.fixed_dictionaries({
                "key": st.one_of(st.sampled_from(["app", "x"]), values),
                "operator": st.one_of(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Is"]), values),
                "values": st.one_of(values, st.lists(st.one_of(st.just("credit-risk-api"), values), max_size=3)),
            }), max_size=3))})),
        "minAvailable": int_or_percent, "maxUnavailable": int_or_percent})),
})


def to_yaml(docs) -> str:
    try:
        return yaml.safe_dump_all(docs)
    except Exception:
        return "kind: [unclosed"


yaml_texts = st.one_of(
    st.lists(deployment, max_size=3).map(to_yaml),
    st.text(max_size=400),
    st.integers(0, 50_000).map(lambda n: "a: " + "[" * n + "]" * n),
    st.just("a: &a [*a, *a]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b, *b]\n"),  # aliases (a billion laughs in small)
    st.just("a: !!python/object/apply:os.system ['true']\n"),
)


@given(st.one_of(st.none(), yaml_texts), st.one_of(st.none(), yaml_texts))
def test_kubernetes_manifests(deployment_text, hpa_text):
    with within(5.0):
        try:
            parsed = manifests.parse(deployment_text, hpa_text)
        except OutputError:
            return
    json.dumps(parsed.summary(), default=str)
    parsed.problems()
    try:
        cost = parsed.monthly_cost()
        assert math.isfinite(cost["monthly"])
    except OutputError:
        pass


manifest_folder = st.dictionaries(st.sampled_from(["pdb.yaml", "a.yml", "b.json", "deployment.yaml"]), st.one_of(
    st.lists(st.one_of(budget, deployment), max_size=3).map(to_yaml), yaml_texts,
    st.just(OutputError("pdb.yaml is over the 65536-byte limit"))), max_size=4)


@given(st.lists(deployment, min_size=1, max_size=2).map(to_yaml), st.one_of(st.none(), yaml_texts), manifest_folder)
def test_rollout_and_disruption_budgets(deployment_text, hpa_text, folder):
    with within(5.0):
        try:
            parsed = manifests.parse(deployment_text, hpa_text)
        except OutputError:
            return
        try:
            json.dumps(manifests.rollout(parsed))
        except OutputError:
            pass
        try:
            budgets, notes = manifests.disruption_budgets(folder, parsed)
        except OutputError:
            return
    json.dumps([budgets, notes])
    for found in budgets:
        assert found["problem"] is None or isinstance(found["problem"], str)
        if found["selects_api_pods"] and found["problem"] is None:
            assert 0 <= found["keeps_at_floor"] and found["evictions_allowed_at_floor"] <= parsed.effective_replicas


report_values = st.one_of(values, st.fixed_dictionaries({
    "alert": st.one_of(st.booleans(), values),
    "drifted_columns": st.one_of(st.lists(st.text(max_size=100), max_size=2000), values),
    "reference_rows": st.one_of(st.integers(-10**40, 10**40), st.floats(), values),
    "current_rows": st.one_of(st.integers(-10**40, 10**40), st.floats(), values),
}))


@given(report_values, st.integers(-1, 3), st.integers(0, 10**9), st.floats())
def test_the_drift_monitors_report(report, exit_code, html_bytes, duration):
    try:
        run = drift._judge_report(exit_code, report, html_bytes, duration)
    except OutputError:
        return
    json.dumps(run.summary(), allow_nan=True)
    assert len(run.drifted) <= 1000 and all(len(c) <= 80 for c in run.drifted)


side_keys = st.sampled_from(["reference", "current", "ref_median", "cur_median", "referenceMean", "currentMean",
                             "baseline", "production", "mean", "shares", "west", "annual_income", "column"])
field_report = st.recursive(
    st.one_of(values, st.just("annual_income"), st.floats(), st.integers(-10**30, 10**30)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.one_of(side_keys, st.text(max_size=8)), inner, max_size=5),
    max_leaves=40)


@given(st.one_of(field_report, json_bytes.map(lambda b: _json_or_none(b))))
def test_the_values_a_drift_report_gives_for_a_field(report):
    """`reported_pairs` walks whatever report.json holds: finite numbers out, or OutputError."""
    try:
        pairs = drift.reported_pairs(report, "annual_income")
    except OutputError:
        return
    assert len(pairs) <= drift.MAX_PAIRS
    figure = drift.Figure("median", 55_000.0, 4_600.0)
    for pair in pairs:
        assert math.isfinite(pair.reference) and math.isfinite(pair.current) and len(pair.path) <= 200
        figure.matches(pair.reference, pair.current)


def test_the_values_reader_is_bounded_on_a_wide_report():
    wide = {"columns": {"annual_income": {"reference": {f"q{i}": i for i in range(20_000)},
                                          "current": {f"q{i}": i for i in range(20_000)}}}}
    with within(2.0):
        pairs = drift.reported_pairs(wide, "annual_income")
    assert len(pairs) <= drift.MAX_PAIRS
