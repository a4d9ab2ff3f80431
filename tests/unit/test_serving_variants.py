"""over-provisioned-serving's per-candidate variant: Finance's monthly budget in the brief.

The budget is read statically (the manifests' bill, `manifests.cost_problem`), so which fix
fits which budget is decided here without a grading: every variant's own reference is within
its budget, and the default's reference copied onto the $75 repository is over it. The other
way round a $75 fix is within $150, as every right-sized fix is (the default keeps today's
budget). That the $75 reference also holds the SLO at its size: tests/e2e/test_serving_exercise.py
(inside what the default's graded reference measured) and `grader validate
over-provisioned-serving --variants all` (graded end to end).
"""

import pytest

from grader import catalog, variants
from grader.publish import publish, solution
from tests.fuzz.conftest import check_module

SERVING = catalog.get_exercise("over-provisioned-serving")
EVERY = variants.every(SERVING.spec)


def graded_as(variant, monkeypatch):
    """The hidden checks' manifest reader with `variant`'s parameters, as the verifier sees them."""
    monkeypatch.setenv(variants.ENV, variants.to_env(SERVING.spec, variant))
    return check_module("over-provisioned-serving", "manifests")


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict:
    """variant id -> the folder of that variant's rendered reference solution."""
    return {v.id: solution(SERVING, tmp_path_factory.mktemp("ref"), v) for v in EVERY}


def test_the_space_is_the_budget_and_the_default_is_today(monkeypatch):
    assert [v.id for v in EVERY] == ["budget=usd-150", "budget=usd-75"]
    assert graded_as(variants.default(SERVING.spec), monkeypatch).hd.BUDGET_PER_MONTH == 150.0


@pytest.mark.parametrize("graded", EVERY, ids=lambda v: v.id)
@pytest.mark.parametrize("fix_of", EVERY, ids=lambda v: v.id)
def test_which_reference_fits_which_budget(fix_of, graded, references, monkeypatch):
    mf = graded_as(graded, monkeypatch)
    declared = mf.read_folder(references[fix_of.id])
    budget = graded.parameters(SERVING.spec)["budget"]
    assert mf.hd.BUDGET_PER_MONTH == budget["usd"]
    assert declared.effective_replicas == fix_of.parameters(SERVING.spec)["budget"]["replicas"]
    problem = mf.cost_problem(declared)
    if declared.monthly_cost()["monthly"] <= budget["usd"]:
        assert problem is None
    else:
        assert problem == f"${declared.monthly_cost()['monthly']:,.2f}/month is over the ${budget['usd']} budget"
    # Own budgets are met; the default's three replicas are over $75; a $75 fix fits $150.
    expected_over = (fix_of.id, graded.id) == ("budget=usd-150", "budget=usd-75")
    assert (problem is not None) == expected_over, (fix_of.id, graded.id, problem)


def test_the_brief_states_the_budget_the_checks_hold(tmp_path):
    for variant in EVERY:
        repo = tmp_path / variant.id.replace("=", "-")
        publish(SERVING, repo, variant=variant)
        readme = (repo / "README.md").read_text()
        usd = variant.parameters(SERVING.spec)["budget"]["usd"]
        assert f"Our budget for it next quarter is **${usd} a" in readme
        assert readme.count("budget for it") == 1
