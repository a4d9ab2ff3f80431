from grader.scoring import score
from grader.spec import ExerciseSpec
from grader.verify.run import CheckOutcome
from tests.unit.test_spec import BASE

SPEC = ExerciseSpec.model_validate(BASE)


def outcomes(**kv):
    return {k: CheckOutcome(k, v) for k, v in kv.items()}


def test_all_pass():
    bugs, service, summary, verdict = score(SPEC, outcomes(c1="passed", g1="passed", svc="passed"))
    assert verdict == "pass" and bugs[0].verdict == "fixed" and (summary.earned, summary.possible) == (4, 4)


def test_starter_shape():
    bugs, service, summary, verdict = score(SPEC, outcomes(c1="failed", g1="passed", svc="passed"))
    assert verdict == "fail" and bugs[0].verdict == "not fixed" and summary.earned == 3


def test_fix_that_breaks_a_guard_is_partly_fixed():
    bugs, _, _, verdict = score(SPEC, outcomes(c1="passed", g1="failed", svc="passed"))
    assert bugs[0].verdict == "partly fixed" and verdict == "partial"


def test_errors_are_inconclusive_never_failures():
    bugs, _, summary, verdict = score(SPEC, {"c1": CheckOutcome("c1", "error", infra=True), "g1": CheckOutcome("g1", "passed")})
    assert bugs[0].verdict == "inconclusive" and verdict == "inconclusive"
    svc = next(c for c in score(SPEC, {})[1])
    assert svc.outcome == "error" and "did not report" in svc.message


def test_skipped_earns_nothing():
    bugs, service, summary, verdict = score(SPEC, outcomes(c1="passed", g1="passed", svc="skipped"))
    assert summary.earned == 2 and verdict == "partial"


def test_stretch_checks_earn_stretch_points_and_never_change_a_verdict():
    spec = ExerciseSpec.model_validate({**BASE, "bugs": [{**BASE["bugs"][0], "checks": [
        *BASE["bugs"][0]["checks"],
        {"id": "extra", "kind": "stretch", "title": "strong", "points": 2,
         "questions": {"passed": ["Why that threshold?"], "failed": ["What would you add?"]}}]}]})
    for stretch in ("passed", "failed", "error"):
        bugs, service, summary, verdict = score(spec, outcomes(c1="passed", g1="passed", svc="passed", extra=stretch))
        assert verdict == "pass" and bugs[0].verdict == "fixed", stretch
        assert (summary.earned, summary.possible) == (4, 4) and bugs[0].max_points == 2
        assert summary.stretch_possible == 2 and summary.stretch_earned == (2 if stretch == "passed" else 0)
        extra = next(c for c in bugs[0].checks if c.id == "extra")
        assert extra.questions == {"passed": ["Why that threshold?"], "failed": ["What would you add?"]}.get(stretch, [])
    assert spec.starter_expectation()["extra"] is False
