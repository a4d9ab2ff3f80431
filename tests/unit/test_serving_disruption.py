"""The over-provisioned-serving exercise's reading of rollouts and PodDisruptionBudgets: what a
rolling update and a node drain leave serving, resolved as Kubernetes resolves them."""

import pytest
import yaml

from grader.errors import OutputError
from tests.fuzz.conftest import check_module

mf = check_module("over-provisioned-serving", "manifests")


def deployment(replicas=3, strategy=None, labels=None, namespace=None) -> str:
    doc = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "credit-risk-api", **({"namespace": namespace} if namespace else {})},
           "spec": {"replicas": replicas, "template": {
               "metadata": {"labels": labels if labels is not None else {"app": "credit-risk-api", "tier": "api"}},
               "spec": {"containers": [{"name": "api", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}}}}
    if strategy is not None:
        doc["spec"]["strategy"] = strategy
    return yaml.safe_dump(doc)


def rolling(surge, unavailable) -> dict:
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}


@pytest.mark.parametrize("replicas, strategy, serving, problem", [
    (3, rolling(1, 0), 3, None),
    (8, rolling(2, 1), 7, None),
    (3, None, 3, None),                            # defaults 25%/25%: unavailable floor(0.75) = 0, surge ceil = 1
    (4, None, 3, None),                            # 25% of 4 is one replica
    (3, rolling("0%", "10%"), 2, None),            # both resolve to 0: the controller lets one go after all
    (3, rolling("34%", "50%"), 2, None),           # maxUnavailable rounds down: floor(1.5) = 1
    (3, {"type": "Recreate"}, 0, "Recreate"),
    (3, rolling(0, "0%"), None, "both 0"),
    (3, rolling(1, "5"), None, "neither an integer nor a percentage"),
    (3, rolling(1, "150%"), None, "over 100%"),
    (3, rolling(1, True), None, "neither an integer nor a percentage"),
])
def test_what_a_rollout_leaves_serving(replicas, strategy, serving, problem):
    plan = mf.rollout(mf.parse(deployment(replicas, strategy), None))
    assert plan.get("serving_during_rollout") == serving
    assert (plan["problem"] is None) if problem is None else (problem in plan["problem"])


def budget(spec: dict, api="policy/v1", namespace=None) -> str:
    return yaml.safe_dump({"apiVersion": api, "kind": "PodDisruptionBudget",
                           "metadata": {"name": "pdb", **({"namespace": namespace} if namespace else {})}, "spec": spec})


SELECT = {"selector": {"matchLabels": {"app": "credit-risk-api"}}}


@pytest.mark.parametrize("spec, keeps, allowed, problem", [
    ({**SELECT, "maxUnavailable": 1}, 2, 1, None),
    ({**SELECT, "minAvailable": 2}, 2, 1, None),
    ({**SELECT, "minAvailable": "50%"}, 2, 1, None),     # rounds up: ceil(1.5) = 2
    ({**SELECT, "maxUnavailable": "50%"}, 1, 2, None),   # rounds up too: 3 - ceil(1.5) = 1
    ({**SELECT, "minAvailable": "100%"}, 3, 0, None),    # blocks every drain
    ({**SELECT}, 0, 3, None),                            # neither: protects nothing
    ({**SELECT, "minAvailable": 2, "maxUnavailable": 1}, None, None, "both set"),
    ({"selector": {}, "maxUnavailable": 1}, 2, 1, None),  # an empty selector selects every pod of the namespace
    ({"selector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["api", "web"]}]},
      "maxUnavailable": 1}, 2, 1, None),
])
def test_what_a_budget_keeps_through_a_drain(spec, keeps, allowed, problem):
    manifests = mf.parse(deployment(3, rolling(1, 0)), None)
    (found,), notes = mf.disruption_budgets({"pdb.yaml": budget(spec)}, manifests)
    assert found["selects_api_pods"] and not notes
    assert found.get("keeps_at_floor") == keeps and found.get("evictions_allowed_at_floor") == allowed
    assert (found["problem"] is None) if problem is None else (problem in found["problem"])


@pytest.mark.parametrize("text, why", [
    (budget({"maxUnavailable": 1}), "no spec.selector"),
    (budget({"selector": {"matchLabels": {"app": "other"}}, "maxUnavailable": 1}), "does not match"),
    (budget({"selector": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["api"]}]}}),
     "does not match"),
    (budget({"selector": {"matchExpressions": [{"key": "tier", "operator": "Exists", "values": ["api"]}]}}),
     "invalid values"),
    (budget({**SELECT, "maxUnavailable": 1}, api="policy/v1beta1"), "removed in Kubernetes 1.25"),
    (budget({**SELECT, "maxUnavailable": 1}, namespace="other"), "namespace"),
])
def test_budgets_that_do_not_protect_the_api_pods(text, why):
    manifests = mf.parse(deployment(3, rolling(1, 0)), None)
    (found,), _ = mf.disruption_budgets({"pdb.yaml": text}, manifests)
    assert not found["selects_api_pods"] and why in found["problem"]


def test_a_broken_or_unreadable_file_is_a_note_and_the_others_count():
    manifests = mf.parse(deployment(3, rolling(1, 0)), None)
    found, notes = mf.disruption_budgets({"a.yaml": "kind: [", "b.yaml": OutputError("b.yaml is not a regular file"),
                                          "c.yml": deployment() + "---\n" + budget({**SELECT, "minAvailable": 2})},
                                         manifests)
    assert [b["file"] for b in found] == ["c.yml"] and len(notes) == 2
    assert "kubectl apply would fail" in notes[0] and "not a regular file" in notes[1]


def test_the_manifest_folder_is_read_as_kubectl_apply_reads_it(tmp_path):
    from grader.verify.session import VerifySession

    k8s = tmp_path / "tree" / "deploy" / "k8s"
    (k8s / "sub").mkdir(parents=True)
    (k8s / "deployment.yaml").write_text(deployment())
    (k8s / "pdb.yml").write_text(budget({**SELECT, "maxUnavailable": 1}))
    (k8s / "README.md").write_text("not a manifest")
    (k8s / "sub" / "other.yaml").write_text(budget({**SELECT, "maxUnavailable": 2}))  # kubectl apply -f is not recursive
    (k8s / "big.json").write_text("x" * (mf.hd.MANIFEST_LIMIT + 1))
    (k8s / "link.yaml").symlink_to(k8s / "pdb.yml")
    session = VerifySession("x", "x", [], {}, "x", "x", submission={"tree_path": str(tmp_path / "tree")})
    assert session.submitted_names("deploy/k8s") == ["README.md", "big.json", "deployment.yaml", "pdb.yml"]
    assert session.submitted_names("deploy/nothing") is None
    files = mf.read_manifest_folder(session)
    assert sorted(files) == ["big.json", "deployment.yaml", "pdb.yml"] and isinstance(files["big.json"], OutputError)
    found, notes = mf.disruption_budgets(files, mf.parse(files["deployment.yaml"], None))
    assert [b["file"] for b in found] == ["pdb.yml"] and "over the" in notes[0]
