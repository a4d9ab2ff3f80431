"""over-provisioned-serving's per-candidate variants: Finance's monthly budget and the price
list in the brief, and which module drags Evidently into every worker.

Both are read statically (the manifests' bill, `manifests.cost_problem`), so which fix fits
which budget under which prices is decided here without a grading: every variant's own
reference is within its budget, and a reference sized for $150 copied onto a $75 repository is
over it, whatever the prices. The other way round a $75 fix is within $150, as every
right-sized fix is (the default keeps today's budget and prices). Under `prices=memory-dear` a
fix that pads memory is over a budget it fits at list prices, and every known partial fix's
bill stays on the side of each budget its spec expects. That the $75 reference also holds the SLO at its size: tests/e2e/test_serving_exercise.py
(inside what the default's graded reference measured) and `grader validate
over-provisioned-serving --variants all` (graded end to end).

The `waste` parameter moves the Evidently import from `monitoring.py` to `features.py`. Each
variant's reference rewrites only its own variant's module, so either reference copied onto the
other variant leaves that variant's import in place: importing the API still loads Evidently,
and costs a worker more memory than lean_worker_startup allows (its own probe, run here with
this Python; each variant's own starter and reference under the whole check, CPU included:
`grader validate over-provisioned-serving --variants all`).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import catalog, variants
from grader.publish import copy_tree, publish, render_starter, solution
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


def test_the_space_is_budget_by_prices_and_the_default_is_today(monkeypatch):
    assert [v.id for v in EVERY] == [f"budget={b},prices={p},waste={w}" for b in ("usd-150", "usd-75")
                                     for p in ("list", "memory-dear") for w in ("monitoring", "features")]
    assert variants.default(SERVING.spec).id == "budget=usd-150,prices=list,waste=monitoring"
    hd = graded_as(variants.default(SERVING.spec), monkeypatch).hd
    assert (hd.BUDGET_PER_MONTH, hd.PRICE_VCPU_HOUR, hd.PRICE_GIB_HOUR) == (150.0, 0.04, 0.005)


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
    # Own budgets are met; three replicas are over $75 at either price list; a $75 fix fits $150.
    budget_of = lambda v: v.parameters(SERVING.spec)["budget"]["id"]  # noqa: E731
    expected_over = (budget_of(fix_of), budget_of(graded)) == ("usd-150", "usd-75")
    assert (problem is not None) == expected_over, (fix_of.id, graded.id, problem)


def test_the_brief_states_the_budget_the_checks_hold(tmp_path):
    for variant in EVERY:
        repo = tmp_path / variant.id.replace("=", "-")
        publish(SERVING, repo, variant=variant)
        readme = (repo / "README.md").read_text()
        usd = variant.parameters(SERVING.spec)["budget"]["usd"]
        assert f"Our budget for it next quarter is **${usd} a" in readme
        assert readme.count("budget for it") == 1
        prices = variant.parameters(SERVING.spec)["prices"]
        assert f"**${prices['cpu']} per vCPU-hour** and **${prices['gib']} per GiB-hour**" in readme
        assert f"8 × (4 × ${prices['cpu']} + 8 × ${prices['gib']}) × 730 = **$1,168 a month**" in readme


@pytest.mark.parametrize("graded", EVERY, ids=lambda v: v.id)
def test_the_bill_is_the_variants_price_list(graded, references, monkeypatch, tmp_path):
    """The hidden checks bill by the variant's prices: the reference's bill is its replicas x
    (1 CPU x the CPU price + 1 GiB x the memory price) x 730, the figure its NOTES give, and
    today's 8 x (4 CPU, 8 GiB) is $1,168 under either list. A fix that pads memory to 4Gi
    fits $150 at list prices and not where memory is dear."""
    mf = graded_as(graded, monkeypatch)
    parameters = graded.parameters(SERVING.spec)
    prices, replicas = parameters["prices"], parameters["budget"]["replicas"]
    declared = mf.read_folder(references[graded.id])
    per_replica = (prices["cpu_hour"] + prices["gib_hour"]) * 730
    assert declared.monthly_cost()["monthly"] == pytest.approx(replicas * per_replica, abs=0.01)
    figure = prices["three"] if replicas == 3 else prices["two"]
    assert f"**${figure}/month**" in (references[graded.id] / "NOTES.md").read_text()
    assert 8 * (4 * prices["cpu_hour"] + 8 * prices["gib_hour"]) * 730 == pytest.approx(1168)
    padded = tmp_path / "padded"
    shutil.copytree(references["budget=usd-150,prices=list,waste=monitoring"], padded)
    deployment = padded / "deploy" / "k8s" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("memory: 1Gi", "memory: 4Gi"))
    bill = mf.read_folder(padded)
    assert bill.memory_request_mb == 4096 and bill.effective_replicas == 3
    over = mf.cost_problem(bill) is not None
    assert over == (parameters["budget"]["usd"] == 75 or prices["id"] == "memory-dear"), mf.cost_problem(bill)


def test_each_partial_fix_bill_is_on_the_same_side_of_every_budget(monkeypatch, tmp_path):
    """A partial fix whose spec says it passes the cost check declares a bill within every
    variant's budget; every other one is refused on its declarations before anything is
    measured in every variant, or in none (then it fails on what the grading measures: its SLO,
    memory or readiness). Neither the budget nor the price list moves a fix across."""
    from grader.partial_fixes import overlays
    from grader.publish import copy_tree, render_starter

    within: dict[str, dict[str, bool]] = {}
    for graded in EVERY:
        mf = graded_as(graded, monkeypatch)
        starter = render_starter(SERVING, graded, tmp_path / graded.id / "starter")
        for fix in SERVING.spec.partial_fixes:
            repo = tmp_path / graded.id / fix.id
            shutil.copytree(starter, repo)
            for layer in overlays(SERVING, fix, tmp_path / graded.id / f"{fix.id}-layers", graded):
                copy_tree(layer, repo)
            problem = mf.cost_problem(mf.read_folder(repo))
            within.setdefault(fix.id, {})[graded.id] = problem is None
            if "monthly_cost_within_budget" in fix.passes:
                assert problem is None, (fix.id, graded.id, problem)
    for fix_id, by_variant in within.items():
        assert len(set(by_variant.values())) == 1, (fix_id, by_variant)


@pytest.mark.parametrize("waste", ["monitoring", "features"])
@pytest.mark.parametrize("budget", ["usd-150", "usd-75"])
def test_a_price_list_changes_only_the_references_notes_and_cost_test(budget, waste, references):
    """What the grading runs and measures (code, image, manifests) is the same under either price
    list, so the measured checks of a `memory-dear` reference are those of its `list` twin,
    graded end to end; only the bill differs, and it is read statically (above)."""
    folders = [references[f"budget={budget},prices={prices},waste={waste}"] for prices in ("list", "memory-dear")]
    files = [{p.relative_to(f): p.read_bytes() for p in f.rglob("*") if p.is_file()} for f in folders]
    assert files[0].keys() == files[1].keys()
    differ = {str(rel) for rel, data in files[0].items() if files[1][rel] != data}
    assert differ == {"NOTES.md", "tests/test_serving_cost.py"}


WASTES = ("monitoring", "features")
PROBE = SERVING.root / "probes" / "startup_weight.py"
APPLICATION = {"age": 38, "annual_income": 52000.0, "employment_years": 6.5, "debt": 9000.0, "credit_utilization": 0.31,
               "num_late_payments": 1, "loan_amount": 12000.0, "region": "north", "home_ownership": "rent"}


@pytest.fixture(scope="module")
def champion_store(tmp_path_factory) -> Path:
    """One champion trained by the default starter: the model pickles FeatureBuilder by
    reference, the same class in every variant, so every repo below serves it."""
    repo = render_starter(SERVING, variants.default(SERVING.spec), tmp_path_factory.mktemp("train") / "repo")
    store = repo.parent / "mlstore"
    done = subprocess.run([sys.executable, "-m", "credit_risk.train", "--data", "data/applications.csv"], cwd=repo,
                          env={**os.environ, "CREDIT_RISK_STORE": str(store)}, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return store


def startup(repo: Path, store: Path) -> dict:
    """lean_worker_startup's probe (probes/startup_weight.py) run on `repo` with this Python:
    one worker's import, start-up and first score, beside the serving stack's own import.

    Started from a fresh `sh` child, as the sandbox starts it from a fresh process: on Linux a
    process spawned by vfork and exec inherits its parent's peak resident memory as its own
    `ru_maxrss`, so the probe spawned straight from this (large) test process would report the
    test process's peak as the worker's."""
    probe = [sys.executable, "-P", str(PROBE), str(repo), "credit_risk.api:app", json.dumps(APPLICATION)]
    done = subprocess.run(["sh", "-c", '"$@" & wait $!', "sh", *probe],
                          cwd=repo, env={**os.environ, "CREDIT_RISK_STORE": str(store)}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((repo / "startup.json").read_text())


@pytest.mark.parametrize("graded", WASTES)
@pytest.mark.parametrize("fix_of", [None, *WASTES], ids=lambda w: f"reference-{w}" if w else "starter")
def test_only_the_variants_own_reference_keeps_evidently_out_of_a_worker(fix_of, graded, champion_store, tmp_path):
    """Every starter's worker loads Evidently; its own variant's reference's does not; the other
    variant's reference copied onto it still does (its module is not in that overlay), and so
    costs more memory than lean_worker_startup allows: memory is the half of the check that
    does not depend on how busy the host is. (`validate` grades each variant's own starter and
    reference under the whole check, CPU included.)"""
    repo = render_starter(SERVING, variants.parse(SERVING.spec, f"waste={graded}"), tmp_path / "repo")
    if fix_of is not None:
        reference = solution(SERVING, tmp_path / "ref", variants.parse(SERVING.spec, f"waste={fix_of}"))
        owned = {str(p.relative_to(reference)) for p in (reference / "credit_risk").iterdir()}
        assert f"credit_risk/{fix_of}.py" in owned and f"credit_risk/{WASTES[fix_of == 'monitoring']}.py" not in owned
        copy_tree(reference, repo)
    profile = startup(repo, champion_store)
    assert (profile["lifespan"], profile["first_predict_status"]) in {("complete", 200), ("unsupported", 200)}
    lean = fix_of == graded
    assert ("evidently" in profile["heavy_packages"]) is not lean, profile["heavy_packages"]
    limit = check_module("over-provisioned-serving", "hidden_data").STARTUP_EXTRA_RSS_MAX_MB
    extra = profile["peak_rss_mb"] - profile["baseline"]["peak_rss_mb"]
    assert (extra <= limit) is lean, (extra, limit)


@pytest.mark.parametrize("fixed", [False, True], ids=["starter", "reference"])
def test_the_weekly_report_still_runs_where_evidently_moved(fixed, tmp_path):
    """In `waste=features` the report takes its column types from `features.data_definition()`
    and imports Evidently itself when it runs: it still compares the columns, before and after
    the fix."""
    waste = variants.parse(SERVING.spec, "waste=features")
    repo = render_starter(SERVING, waste, tmp_path / "repo")
    if fixed:
        copy_tree(solution(SERVING, tmp_path / "ref", waste), repo)
    code = ("import pandas as pd; from credit_risk.monitoring import drift_report\n"
            "frame = pd.read_csv('data/reference_sample.csv')\n"
            "result = drift_report(frame.head(300), frame.tail(300)).dict()\n"
            "print(len(result['metrics']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) > 9  # a drift share plus one per input column
