"""silent-drift's per-candidate variants: how far average utilization must move to page."""

import json
import subprocess
import sys

import pytest

from grader import catalog, starter_tests, variants
from grader.publish import copy_tree, render_starter, solution
from tests.e2e.conftest import reference_graded_on
from tests.fuzz.conftest import check_module

pytestmark = pytest.mark.e2e

UTILIZATION = "credit_utilization"


def test_a_monitor_copied_from_a_lower_threshold_fails_only_the_utilization_check(bwrap_ready, tmp_path, monkeypatch):
    """End to end, on the 15-point variant (a move under 12 points is ordinary): its starter
    passes its own visible tests (as `grader publish` checks); the default reference (10 points,
    a distance) copied onto it pages on the ordinary +11 points, so it fails
    `detects_utilization_shift` and nothing else. That each variant's own reference pages on its
    own move and not on its own ordinary one, and every other pair of briefs: the next test;
    each variant's own reference graded end to end: `grader validate silent-drift --variants all`
    (a benchmark, README "Every variant"), not the suite."""
    drift = catalog.get_exercise("silent-drift")
    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))  # run them, whatever ran before
    target = variants.parse(drift.spec, "utilization=points-15")
    outcomes = reference_graded_on(drift, target, variants.default(drift.spec), tmp_path / "copied")
    failed = {check: message for check, (outcome, message) in outcomes.items() if outcome != "passed"}
    assert set(failed) == {"detects_utilization_shift"}, failed
    assert "ordinary day" in failed["detects_utilization_shift"]


#: Runs a rendered reference's monitor (`compare`, in-process) on named CSVs against a reference
#: CSV; prints {name: [alert, drifted fields]}.
MONITOR = """
import json, sys
from credit_risk.monitoring.data import from_csv
from credit_risk.monitoring.drift import compare
reference = from_csv(sys.argv[1]).frame
verdicts = {}
for path in sys.argv[2:]:
    summary, _ = compare(reference, from_csv(path).frame)
    verdicts[path] = [summary["alert"], summary["drifted_columns"]]
print(json.dumps(verdicts))
"""


def test_every_pair_of_utilization_briefs_is_told_apart(tmp_path, monkeypatch):
    """Every ordered pair of `utilization` values, on the hidden checks' own batches, with each
    variant's reference monitor (its rendered drift.py, run in the rendered starter): a reference
    pages naming utilization on its own variant's move and not on its own ordinary move, and on
    any other variant's batches it gets one of the two wrong (the two sides
    `detects_utilization_shift` judges)."""
    drift = catalog.get_exercise("silent-drift")
    values = [v["id"] for v in next(p for p in drift.spec.variants if p.name == "utilization").values]
    briefs, batches = {}, {}
    for value in values:
        briefs[value] = variants.parse(drift.spec, f"utilization={value}")
        monkeypatch.setenv(variants.ENV, variants.to_env(drift.spec, briefs[value]))
        hd = check_module("silent-drift", "hidden_data")
        reference = hd.monitor_reference()
        reference.to_csv(tmp_path / "reference.csv", index=False)  # the same for every variant
        for side, batch in (("move", hd.DRIFTS["utilization_up"]), *(("ordinary", b) for b in hd.ORDINARY.values())):
            path = batches.setdefault(value, {})[side] = tmp_path / f"{value}-{side}.csv"
            batch.frame(reference).to_csv(path, index=False)
    monkeypatch.delenv(variants.ENV)

    def pages(verdicts: dict, path) -> bool:
        alert, drifted = verdicts[str(path)]
        return alert and UTILIZATION in drifted

    for value in values:
        repo = render_starter(drift, briefs[value], tmp_path / f"repo-{value}")
        copy_tree(solution(drift, tmp_path / f"fix-{value}", briefs[value]), repo)
        paths = [str(p) for sides in batches.values() for p in sides.values()]
        run = subprocess.run([sys.executable, "-c", MONITOR, str(tmp_path / "reference.csv"), *paths], cwd=repo,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        verdicts = json.loads(run.stdout.strip().splitlines()[-1])
        for other, sides in batches.items():
            right = pages(verdicts, sides["move"]) and not ("ordinary" in sides and pages(verdicts, sides["ordinary"]))
            assert right == (other == value), f"the {value} reference on the {other} brief: {verdicts}"
