import pytest

from grader import catalog, marker, partial_fixes
from grader.errors import GraderError
from grader.spec import ExerciseSpec, load_spec

BASE = {
    "id": "x", "version": "1", "title": "t", "failure_mode": "f", "summary": "s", "time_budget_hours": 1,
    "bugs": [{"id": "b", "title": "t", "symptom": "s", "checks": [
        {"id": "c1", "kind": "fail_to_pass", "title": "t"}, {"id": "g1", "kind": "pass_to_pass", "title": "t"}]}],
    "checks": [{"id": "svc", "kind": "pass_to_pass", "title": "t", "points": 2}],
    "partial_fixes": [{"id": "p", "title": "t", "passes": ["g1"]}],
}


def test_expectations():
    spec = ExerciseSpec.model_validate(BASE)
    assert spec.starter_expectation() == {"c1": False, "g1": True, "svc": True}
    assert spec.partial_expectation("p") == {"c1": False, "g1": True, "svc": False}
    assert spec.check("svc").points == 2


@pytest.mark.parametrize("change, message", [
    ({"bugs": [{"id": "b", "title": "t", "symptom": "s", "checks": [{"id": "g", "kind": "pass_to_pass", "title": "t"}]}]},
     "needs at least one fail_to_pass"),
    ({"checks": [{"id": "c1", "kind": "pass_to_pass", "title": "t"}]}, "used twice"),
    ({"partial_fixes": [{"id": "p", "title": "t", "passes": ["nope"]}]}, "unknown checks"),
    ({"surprise": 1}, "Extra inputs"),
    ({"id": "Bad Id"}, "String should match"),
])
def test_invalid_specs(change, message):
    with pytest.raises(ValueError, match=message):
        ExerciseSpec.model_validate({**BASE, **change})


def test_load_spec_errors_are_one_line(tmp_path):
    bad = tmp_path / "exercise.toml"
    bad.write_text("id = ")
    with pytest.raises(GraderError, match="cannot read exercise spec"):
        load_spec(bad)
    bad.write_text('id = "x"')
    with pytest.raises(GraderError, match="invalid exercise spec .*version"):
        load_spec(bad)


def test_every_shipped_exercise_loads_and_has_its_parts():
    found = catalog.list_exercises()
    assert found, "no exercises shipped"
    for ex in found:
        assert ex.spec.id == ex.id
        assert (ex.starter / catalog.MARKER).is_file()
        assert marker.identify((ex.starter / catalog.MARKER).read_text()) == (ex.id, ex.spec.version)
        assert ex.solution_dir.is_dir() and ex.debrief.is_file() and ex.checks_dir.is_dir()
        for fix in ex.spec.partial_fixes:
            assert partial_fixes.defined(ex, fix.id)
        assert len(ex.spec.partial_fixes) >= 2
        # a variant that blocks, alerts on or rejects everything, which the suite always calibrates
        assert [f for f in ex.spec.partial_fixes if f.control], f"{ex.id} has no control variant"


def test_marker_parsing():
    assert marker.identify('exercise = "a"\nversion = "2"') == ("a", "2")
    with pytest.raises(GraderError, match="does not name an exercise"):
        marker.identify("version = 1")
    with pytest.raises(GraderError, match="not valid TOML"):
        marker.identify("exercise = ")
    with pytest.raises(GraderError, match="unknown exercise 'nope'"):
        catalog.get_exercise("nope")


def test_a_stretch_check_needs_a_partial_fix_that_misses_it():
    stretch = {"id": "extra", "kind": "stretch", "title": "strong"}
    bugs = [{**BASE["bugs"][0], "checks": [*BASE["bugs"][0]["checks"], stretch]}]
    with pytest.raises(ValueError, match="needs a known partial fix that misses it"):
        ExerciseSpec.model_validate({**BASE, "bugs": bugs, "partial_fixes": [
            {"id": "p", "title": "t", "passes": ["g1", "extra"]}]})
    spec = ExerciseSpec.model_validate({**BASE, "bugs": bugs})
    assert [c.id for c in spec.stretch_checks()] == ["extra"] and spec.starter_expectation()["extra"] is False
