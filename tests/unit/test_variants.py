"""Per-candidate variants (grader/variants.py): the space, the draw, rendering, the marker, grading."""

import json
import tempfile
from pathlib import Path

import git
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader import catalog, marker, secret, starter_tests, variants
from grader.calibrate import named_variants, sample_variants
from grader.calibrate import variants as calibration_variants
from grader.errors import GraderError
from grader.grade import Options, grade
from grader.publish import BOT, commit_overlay, publish, render_overlay, render_starter
from grader.spec import ExerciseSpec
from tests.conftest import grader_cli

HOME = Path(__file__).parents[1] / "fixtures" / "home"

SPEC = {
    "id": "demo", "version": "1", "title": "t", "failure_mode": "f", "summary": "s", "time_budget_hours": 1,
    "bugs": [{"id": "b", "title": "t", "symptom": "s", "checks": [{"id": "c", "kind": "fail_to_pass", "title": "t"}]}],
    "variants": [
        {"name": "unit", "title": "u", "values": [{"id": "percent", "scale": 100}, {"id": "per-mille", "scale": 1000},
                                                  {"id": "basis-points", "scale": 10000}]},
        {"name": "region", "title": "r", "values": [{"id": "west"}, {"id": "east"}]},
    ],
}


def spec(**changes) -> ExerciseSpec:
    return ExerciseSpec.model_validate({**SPEC, **changes})


def test_the_space_is_every_combination_with_the_default_first():
    space = variants.every(spec())
    assert len(space) == 6 and len(set(space)) == 6
    assert space[0] == variants.default(spec()) and space[0].id == "unit=percent,region=west"
    for v in space:
        assert variants.parse(spec(), v.id) == v
    assert variants.parse(spec(), "region=east") == variants.Variant((("unit", "percent"), ("region", "east")))
    assert variants.default(spec()).parameters(spec()) == {"unit": {"id": "percent", "scale": 100},
                                                          "region": {"id": "west"}}


@pytest.mark.parametrize("text, words", [("colour=red", "no variant parameter 'colour'"),
                                         ("unit=furlongs", r"no value 'furlongs' \(values: percent, per-mille"),
                                         ("unit", "no variant parameter 'unit'")])
def test_an_unknown_variant_is_one_line_naming_what_exists(text, words):
    with pytest.raises(GraderError, match=words):
        variants.parse(spec(), text)


@pytest.mark.parametrize("values, words", [([{"id": "a"}, {"id": "a"}], "has a value id twice"),
                                           ([{"scale": 1}], "needs an id"), ([], "at least 1")])
def test_a_bad_variant_space_is_refused_with_the_spec(values, words):
    with pytest.raises(ValueError, match=words):
        spec(variants=[{"name": "unit", "title": "u", "values": values}])


def test_a_candidate_draw_is_fixed_by_the_secret_and_reaches_every_variant():
    names = [f"candidate-{i}" for i in range(200)]
    first = [variants.for_candidate(spec(), n, "s" * 64) for n in names]
    assert first == [variants.for_candidate(spec(), n, "s" * 64) for n in names]
    assert set(first) == set(variants.every(spec()))
    other = [variants.for_candidate(spec(), n, "t" * 64) for n in names]
    assert sum(a != b for a, b in zip(first, other)) > 100  # another secret, another draw


SAFE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200).filter(
    lambda s: not any(d in s for d in variants.DELIMITERS))


@given(SAFE)
def test_text_without_the_delimiters_renders_unchanged(text):
    # Python, Markdown, TOML and YAML use {{ }}, {% %}, ${ } and friends: none of it is a template here.
    assert variants.render_text(text, {}, "x") == text


def test_rendering_refuses_unknown_names_and_residue():
    assert variants.render_text("x = @{ unit.scale }@\n", {"unit": {"scale": 100}}, "f") == "x = 100\n"
    with pytest.raises(GraderError, match="cannot render f: 'unit' is undefined"):
        variants.render_text("x = @{ unit.scale }@", {}, "f")
    with pytest.raises(GraderError, match="left template residue '@{'"):
        variants.render_text("x = @{ '@{' }@", {}, "f")
    with pytest.raises(GraderError, match="cannot render f"):
        variants.render_text("@% if %@", {}, "f")


def test_a_template_rendering_to_nothing_is_no_file_in_that_variant(tmp_path):
    """`@% if %@` around a whole file: the file exists in the variants the condition names and
    is absent (not empty) in the others; a plain file and an `__init__.py` stay as they are."""
    for waste in ("monitoring", "features"):
        folder = tmp_path / waste
        (folder / "pkg").mkdir(parents=True)
        (folder / "pkg" / "monitoring.py.j2").write_text(
            '@% if waste.id == "monitoring" %@"""lean"""\n@% endif %@\n')
        (folder / "pkg" / "features.py.j2").write_text('@% if waste.id == "features" %@x = 1\n@% endif %@')
        (folder / "pkg" / "__init__.py").write_text("")
        variants.render_tree(folder, {"waste": {"id": waste}})
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        assert files == ["pkg/__init__.py", f"pkg/{waste}.py"]
        assert (folder / "pkg" / f"{waste}.py").read_text().strip() in ('"""lean"""', "x = 1")


def test_the_marker_signs_the_variant(tmp_path):
    text = marker.render("demo", "1", "alice", "k" * 64, "unit=per-mille,region=west")
    published = marker.parse(text)
    assert published.variant == "unit=per-mille,region=west"
    assert marker.check(published, "alice", "k" * 64) == ([], ["marker verified: published for 'alice'"])
    edited = marker.parse(text.replace("per-mille", "percent"))
    assert marker.check(edited, "alice", "k" * 64)[0] == [
        "Marker does not verify: it was edited, or published under another grading secret"]


# -- a scaffolded exercise with two variants (its base rate), published and graded -------------

def _pricing(pack):
    return catalog.get_exercise("pricing-units")


def test_each_variant_publishes_its_own_starter_with_no_template_left(pack, tmp_path):
    exercise = _pricing(pack)
    five, eight = variants.every(exercise.spec)
    for chosen, rate in ((five, "0.05"), (eight, "0.08")):
        repo = tmp_path / chosen.id
        publish(exercise, repo, variant=chosen)
        assert f"BASE_RATE = {rate}\n" in (repo / "pipeline.py").read_text()
        assert f"`{rate} + 0.5 x utilization`" in (repo / "README.md").read_text()
        assert not list(repo.rglob("*.j2"))
        assert f'variant = "{chosen.id}"' in (repo / catalog.MARKER).read_text()
        for path in repo.rglob("*"):
            if path.is_file() and ".git" not in path.parts:
                assert not any(d in path.read_text(errors="replace") for d in variants.DELIMITERS), path


def test_a_named_candidate_gets_the_drawn_variant_signed(pack, tmp_path, monkeypatch):
    key = tmp_path / "grading.key"
    secret.init(key)
    monkeypatch.setenv(secret.ENV, str(key))
    exercise = _pricing(pack)
    repo = tmp_path / "alice"
    publish(exercise, repo, "alice")
    drawn = variants.for_candidate(exercise.spec, "alice", secret.load())
    published = marker.parse((repo / catalog.MARKER).read_text())
    assert published.variant == drawn.id and published.candidate == "alice"
    assert marker.check(published, "alice", secret.load())[0] == []


def test_validate_variants_samples_the_default_first_then_draws(pack):
    exercise = _pricing(pack)
    assert sample_variants(exercise, "all") == variants.every(exercise.spec)
    assert sample_variants(exercise, "1") == [variants.default(exercise.spec)]
    toy = catalog.Exercise(root=HOME / "exercises" / "toy", starter=HOME / "broken_pipelines" / "toy")
    assert not toy.spec.variants and sample_variants(toy, "all") is None  # an exercise without a variant space
    with pytest.raises(GraderError, match="--variants takes a number"):
        sample_variants(exercise, "lots")
    eight = variants.parse(exercise.spec, "base_rate=eight-percent")
    assert named_variants(exercise, ["base_rate=eight-percent", "default", "base_rate=eight-percent"]) == \
        [eight, variants.default(exercise.spec)]  # in the order given, each once
    with pytest.raises(GraderError, match="has no value 'ten-percent'"):
        named_variants(exercise, ["base_rate=ten-percent"])
    with pytest.raises(GraderError, match="no per-candidate variants"):
        named_variants(toy, ["default"])
    names = [v.name for v in calibration_variants(exercise, variants.every(exercise.spec))]
    assert names == ["starter@base_rate=five-percent", "reference@base_rate=five-percent",
                     "logs-only@base_rate=five-percent", "starter@base_rate=eight-percent",
                     "reference@base_rate=eight-percent", "logs-only@base_rate=eight-percent"]


def test_a_fix_copied_from_another_variant_fails_where_they_differ(pack, tmp_path, bwrap_ready):
    """The hidden checks read the graded variant (the first commit's marker), so variant A's
    reference over variant B's starter scores with A's rate and fails; B's own reference passes."""
    exercise = _pricing(pack)
    five, eight = variants.every(exercise.spec)
    outcomes = {}
    for name, fix_of in (("own", eight), ("copied", five)):
        repo = tmp_path / name
        publish(exercise, repo, variant=eight)
        commit_overlay(repo, render_overlay(exercise, exercise.solution_dir, fix_of, tmp_path / f"{name}-fix"), "fix")
        report = grade(Options(location=str(repo), out_dir=tmp_path / f"{name}-out", sandbox="local",
                               candidate_tests=False))
        assert report.exercise.variant == eight.id
        assert "the history's first commit is not the published starter" not in report.notes
        outcomes[name] = {c.id: c.outcome for c in report.all_checks()}
    assert set(outcomes["own"].values()) == {"passed"}
    assert outcomes["copied"]["scores_follow_utilization"] == "failed"
    session = json.loads(next((tmp_path / "copied-out").rglob("verify.cmd.json")).read_text())
    assert json.loads(session["env"][variants.ENV])["parameters"]["base_rate"]["rate"] == 0.08


@pytest.mark.parametrize("args", [["pricing-units", "training-serving-skew", "--variant", "default"],
                                  ["--variant", "default"],
                                  ["pricing-units", "--variants", "all", "--variant", "default"],
                                  ["pricing-units", "--variant", "base_rate=ten-percent"]])
def test_validate_refuses_a_variant_it_cannot_place_in_one_line(pack, tmp_path, args):
    done = grader_cli("validate", *args, "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "error:" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_publish_takes_a_variant_and_refuses_an_unknown_one_in_one_line(pack, tmp_path):
    done = grader_cli("publish", "pricing-units", str(tmp_path / "eight"), "--variant", "base_rate=eight-percent")
    assert done.returncode == 0 and "variant base_rate=eight-percent" in done.stdout, done.stderr
    assert "BASE_RATE = 0.08\n" in (tmp_path / "eight" / "pipeline.py").read_text()
    done = grader_cli("publish", "pricing-units", str(tmp_path / "never"), "--variant", "base_rate=ten-percent")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "no value 'ten-percent' (values: five-percent, eight-percent)" in done.stderr
    assert not (tmp_path / "never").exists()


def test_a_marker_edited_to_name_another_variant_is_graded_as_the_files_are(pack, tmp_path, bwrap_ready):
    exercise = _pricing(pack)
    five, eight = variants.every(exercise.spec)
    repo_dir = tmp_path / "edited"
    publish(exercise, repo_dir, variant=eight)
    # the first commit rebuilt with a marker that names the other variant, then variant eight's own fix
    (repo_dir / catalog.MARKER).write_text((repo_dir / catalog.MARKER).read_text().replace(eight.id, five.id))
    repo = git.Repo(repo_dir)
    repo.index.add([catalog.MARKER])
    repo.head.reference.set_commit(repo.index.commit("Starter", parent_commits=[], author=BOT, committer=BOT))
    commit_overlay(repo_dir, render_overlay(exercise, exercise.solution_dir, eight, tmp_path / "fix"), "fix")
    report = grade(Options(location=str(repo_dir), out_dir=tmp_path / "out", sandbox="local", candidate_tests=False))
    assert report.banner.startswith(f"Built on the starter of variant {eight.id}, although its marker names {five.id}")
    assert report.exercise.variant == eight.id and report.verdict == "pass"


def test_a_template_error_is_one_line_and_publishes_nothing(pack, tmp_path):
    readme = pack / "broken_pipelines" / "pricing-units" / "README.md.j2"
    readme.write_text(readme.read_text() + "Ask @{ recruiter.name }@ for help.\n")
    done = grader_cli("publish", "pricing-units", str(tmp_path / "never"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "cannot render README.md.j2: 'recruiter' is undefined" in done.stderr
    assert not (tmp_path / "never").exists()


def test_an_overlay_with_unrendered_templates_is_refused(pack, tmp_path):
    exercise = _pricing(pack)
    publish(exercise, tmp_path / "repo")
    with pytest.raises(GraderError, match=r"holds an unrendered template \(pipeline.py.j2\)"):
        commit_overlay(tmp_path / "repo", exercise.solution_dir, "raw")


def test_publish_refuses_a_variant_whose_starter_fails_its_own_tests(pack, tmp_path, monkeypatch):
    """A visible test that holds for one base rate only: that variant is refused in one line
    naming it and the test, and nothing is published; the other one publishes, and its passing
    tree is remembered so the next candidate's publish does not run the tests again."""
    monkeypatch.setenv(starter_tests.CACHE_ENV, str(tmp_path / "cache"))
    (pack / "broken_pipelines" / "pricing-units" / "tests" / "test_rate.py.j2").write_text(
        "import pipeline\n\n\ndef test_the_rate_is_the_spec_rate():\n    assert pipeline.BASE_RATE == 0.05\n")
    done = grader_cli("publish", "pricing-units", str(tmp_path / "eight"), "--variant", "base_rate=eight-percent")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert ("exercise pricing-units variant base_rate=eight-percent: the starter fails its own visible tests "
            "(tests/test_rate.py::test_the_rate_is_the_spec_rate: assert 0.08 == 0.05): nothing published") \
        in done.stderr
    assert not (tmp_path / "eight").exists()
    for name in ("alice", "bob"):
        done = grader_cli("publish", "pricing-units", str(tmp_path / name), "--variant", "base_rate=five-percent")
        assert done.returncode == 0, done.stderr
    assert len(list(starter_tests.cache_dir().iterdir())) == 1
    exercise = _pricing(pack)
    with tempfile.TemporaryDirectory() as scratch:
        rendered = render_starter(exercise, variants.default(exercise.spec), Path(scratch) / "starter")
        assert starter_tests.check(rendered, "again") is False  # remembered
        (rendered / "tests" / "test_rate.py").write_text("def test_changed():\n    assert True\n")
        assert starter_tests.check(rendered, "changed") is True  # another tree runs again
