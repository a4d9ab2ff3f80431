"""Exercise packs outside the repository, `grader new-exercise`, and the grading secret."""

import json
import os
import stat
import subprocess
import sys

import git
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader import catalog, secret, seeds
from grader.calibrate import calibrate
from grader.errors import GraderError
from grader.grade import Options, grade
from grader.publish import BOT, commit_overlay, publish, solution
from grader.scaffold import scaffold
from tests.conftest import grader_cli
from tests.unit.conftest import HOME

# -- packs -------------------------------------------------------------------------------------


def test_a_pack_outside_the_repository_is_listed_with_its_place(pack):
    found = {e.id: e for e in catalog.list_exercises()}
    assert found["pricing-units"].pack == str(pack.resolve()) and found["training-serving-skew"].pack == "built-in"
    assert pack.resolve() / "exercises" in catalog.hidden_dirs()
    done = grader_cli("--pack", str(pack), "exercises", env={catalog.PACKS_ENV: ""})
    assert done.returncode == 0 and "pricing-units" in done.stdout and "built-in" in done.stdout, done.stderr


def test_a_scaffolded_exercise_calibrates_publishes_and_grades_as_it_stands(pack, bwrap_ready, tmp_path):
    exercise = catalog.get_exercise("pricing-units")
    rows = {r.variant: r for r in calibrate(exercise, tmp_path / "cal", sandbox="local", jobs=2)}
    assert {v: (r.ok, r.verdict) for v, r in rows.items()} == {
        "starter": (True, "fail"), "reference": (True, "pass"), "logs-only": (True, "partial")}
    assert list(rows) == ["starter", "reference", "logs-only"]  # two at a time, rows in the calibration's order
    repo = tmp_path / "candidate"
    publish(exercise, repo)
    assert (repo / ".mlops-exercise").read_text().startswith('exercise = "pricing-units"')
    assert subprocess.run(["make", "test"], cwd=repo, capture_output=True, env={**os.environ, "PATH":
                          f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}).returncode == 0
    commit_overlay(repo, solution(exercise, tmp_path), "fix")
    report = grade(Options(location=str(repo), out_dir=tmp_path / "out", sandbox="local", candidate_tests=False))
    assert report.verdict == "pass" and report.exercise.id == "pricing-units"


def test_an_id_defined_in_two_packs_names_both_places(pack, tmp_path, monkeypatch):
    other = tmp_path / "other-pack"
    scaffold("pricing-units", other)
    monkeypatch.setenv(catalog.PACKS_ENV, f"{pack}:{other}")
    with pytest.raises(GraderError, match="defined twice") as err:
        catalog.list_exercises()
    assert str(pack) in str(err.value) and str(other) in str(err.value)


def test_a_folder_that_is_not_a_pack_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "exercises").mkdir()
    done = grader_cli("--pack", str(tmp_path), "exercises")
    assert done.returncode == 2 and "has no broken_pipelines/ folder" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_new_exercise_refuses_a_bad_or_existing_id(pack):
    with pytest.raises(GraderError, match="must be 2 to 49"):
        scaffold("Bad Id", pack)
    with pytest.raises(GraderError, match="already exists: nothing written"):
        scaffold("pricing-units", pack)


# -- the grading secret ---------------------------------------------------------------------------


def test_secret_init_writes_a_private_random_secret_once(tmp_path):
    path = tmp_path / "grading.key"
    done = grader_cli("secret", "init", str(path))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(secret.load(path)) >= secret.MIN_CHARS
    first = path.read_text()
    again = grader_cli("secret", "init", str(path))
    assert again.returncode == 2 and "never overwritten" in again.stderr and path.read_text() == first
    secret.init(tmp_path / "other.key")
    assert secret.load(tmp_path / "other.key") != secret.load(path)


@pytest.mark.parametrize("problem, words", [
    ("missing", "does not exist"),
    ("shared", "readable by others"),
    ("short", "must hold one line"),
    ("folder", "not a regular file"),
])
def test_an_unusable_secret_is_refused_in_one_line(problem, words, tmp_path):
    path = tmp_path / "grading.key"
    if problem == "shared":
        path.write_text("a" * 64)
        path.chmod(0o644)
    elif problem == "short":
        path.write_text("abc")
        path.chmod(0o600)
    elif problem == "folder":
        path.mkdir()
    with pytest.raises(GraderError, match=words):
        secret.load(path)
    done = grader_cli("--secret-file", str(path), "exercises")
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_the_secret_draws_the_hidden_data_and_only_its_fingerprint_is_written(tmp_path, monkeypatch, bwrap_ready):
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    exercise = catalog.get_exercise("seeded")
    repo = tmp_path / "repo"
    publish(exercise, repo)
    commit_overlay(repo, exercise.solution_dir, "fix")
    monkeypatch.delenv(secret.ENV, raising=False)
    public = grade(Options(location=str(repo), out_dir=tmp_path / "public", sandbox="local", candidate_tests=False))
    assert public.hidden_data == seeds.describe(None)
    path = tmp_path / "grading.key"
    secret.init(path)
    monkeypatch.setenv(secret.ENV, str(path))
    drawn = grade(Options(location=str(repo), out_dir=tmp_path / "secret", sandbox="local", candidate_tests=False))
    key = seeds.exercise_key(secret.load(path), "seeded", exercise.spec.version)
    assert drawn.hidden_data == seeds.describe(key) != public.hidden_data
    draws = {r.hidden_data: next(c.evidence["draw"] for c in r.all_checks() if c.id == "lucky_draw")
             for r in (public, drawn)}
    assert draws[public.hidden_data] == 0 and draws[drawn.hidden_data] != 0
    written = "".join(p.read_text(errors="replace") for p in (tmp_path / "secret").rglob("*") if p.is_file())
    assert secret.load(path) not in written and key not in written
    assert json.loads((tmp_path / "secret" / "run.json").read_text())["hidden_data"] == seeds.fingerprint(key)


def test_a_cluster_worker_with_another_secret_refuses_the_client():
    from grader.cluster import Identity

    client = Identity("1.0", "f" * 64, "abc123")
    assert client.differences(Identity("1.0", "f" * 64, "abc123")) == ""
    assert client.differences(Identity("1.0", "f" * 64, "")) == "grading secret none (client: abc123)"


# -- the signed marker --------------------------------------------------------------------------


@pytest.fixture
def toy_for(tmp_path, monkeypatch):
    """Publish the toy exercise for a candidate (under the secret in force), with the fix committed."""
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    exercise = catalog.get_exercise("toy")

    def make(candidate: str, name: str = "repo"):
        repo = tmp_path / name
        publish(exercise, repo, candidate)
        commit_overlay(repo, exercise.solution_dir, "fix")
        return repo

    return make


def graded(repo, candidate, tmp_path, name):
    return grade(Options(location=str(repo), out_dir=tmp_path / name, sandbox="local", candidate=candidate,
                         candidate_tests=False))


def test_a_signed_marker_verifies_for_its_candidate_and_flags_anyone_else(toy_for, tmp_path, monkeypatch, bwrap_ready):
    key = tmp_path / "grading.key"
    secret.init(key)
    monkeypatch.setenv(secret.ENV, str(key))
    repo = toy_for("alice")
    text = (repo / catalog.MARKER).read_text()
    assert 'candidate = "alice"' in text and "signature = " in text
    own = graded(repo, "alice", tmp_path, "own")
    assert own.verdict == "pass" and own.banner is None
    assert "marker verified: published for 'alice'" in own.notes
    assert "the history's first commit is not the published starter" not in own.notes
    borrowed = graded(repo, "bob", tmp_path, "borrowed")
    assert borrowed.banner.startswith("Built on the repository published for another candidate ('alice'")
    # a marker edited in the first commit (the repository rebuilt to claim another name) does not verify
    edited = tmp_path / "edited"
    publish(catalog.get_exercise("toy"), edited, "alice")
    (edited / catalog.MARKER).write_text(text.replace('"alice"', '"bob"'))
    repo_e = git.Repo(edited)
    repo_e.index.add([catalog.MARKER])
    repo_e.head.reference.set_commit(repo_e.index.commit("Starter", parent_commits=[], author=BOT, committer=BOT))
    commit_overlay(edited, catalog.get_exercise("toy").solution_dir, "fix")
    report = graded(edited, "bob", tmp_path, "edited-out")
    assert report.banner.startswith("Marker does not verify") and report.verdict == "pass"


def test_without_a_secret_the_marker_is_unsigned_and_the_report_says_so(toy_for, tmp_path, monkeypatch, bwrap_ready):
    monkeypatch.delenv(secret.ENV, raising=False)
    repo = toy_for("alice")
    assert "signature" not in (repo / catalog.MARKER).read_text()
    report = graded(repo, "alice", tmp_path, "out")
    assert report.banner is None and "marker for 'alice' not verified: no grading secret here" in report.notes


@given(st.text(max_size=3000), st.one_of(st.none(), st.text(max_size=20)), st.one_of(st.none(), st.just("k" * 64)))
def test_any_marker_text_is_read_in_bounds_and_judged_in_one_line(text, candidate, key):
    from grader.marker import check, parse

    published = parse(text)
    flags, notes = check(published, candidate, key)
    assert all("\n" not in line and len(line) < 600 for line in flags + notes)
