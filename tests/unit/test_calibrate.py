"""`grader validate --resume`: an interrupted calibration goes on where it stopped, and reuses
nothing graded by other code, content, backend or hidden data (on a scaffolded pack exercise)."""

import json

from grader import catalog, secret
from grader.calibrate import STAMP, grading_key
from tests.conftest import grader_cli

VARIANTS = ("starter", "reference", "logs-only")


def validate(out, *args):
    return grader_cli("validate", "pricing-units", "--sandbox", "local", "--out", str(out), *args)


def reports(out):
    """variant -> (inode, mtime) of its report.json: the same pair means the same file, not regraded."""
    found = {}
    for name in VARIANTS:
        info = (out / "pricing-units" / name / "report" / "report.json").stat()
        found[name] = (info.st_ino, info.st_mtime_ns)
    return found


def test_resume_reuses_what_an_earlier_run_finished_and_grades_the_rest(pack, bwrap_ready, tmp_path):
    out = tmp_path / "cal"
    done = validate(out)
    assert done.returncode == 0, done.stderr
    stamps = {n: json.loads((out / "pricing-units" / n / STAMP).read_text()) for n in VARIANTS}
    assert {s["variant"] for s in stamps.values()} == set(VARIANTS) and len({s["key"] for s in stamps.values()}) == 1
    first = reports(out)

    # As if the run had been stopped during the partial fix's grading: its stamp is written last.
    (out / "pricing-units" / "logs-only" / STAMP).unlink()
    refused = validate(out)
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1 and "--resume" in refused.stderr
    assert reports(out) == first

    resumed = validate(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "2 of 3 gradings reused from an earlier run" in resumed.stdout, resumed.stdout
    second = reports(out)
    assert {n: second[n] == first[n] for n in VARIANTS} == {"starter": True, "reference": True, "logs-only": False}
    assert (out / "pricing-units" / "logs-only" / STAMP).is_file()

    # Nothing is reused once what the outcomes depend on changes: here a hidden check's file.
    check = next((pack / "exercises" / "pricing-units" / "checks").glob("test_*.py"))
    check.write_text(check.read_text() + "\n# edited after the first calibration\n")
    again = validate(out, "--resume")
    assert again.returncode == 0, again.stderr
    assert "gradings reused" not in again.stdout, again.stdout
    assert all(reports(out)[n] != second[n] for n in VARIANTS)


def test_the_key_changes_with_the_content_backend_secret_and_own_tests(pack, tmp_path, monkeypatch):
    exercise = catalog.get_exercise("pricing-units")
    key = grading_key(exercise, "bwrap", False)
    assert grading_key(exercise, "bwrap", False) == key
    assert grading_key(exercise, "docker", False) != key
    assert grading_key(exercise, "bwrap", True) != key
    secret.init(tmp_path / "secret")
    monkeypatch.setenv(secret.ENV, str(tmp_path / "secret"))
    assert grading_key(exercise, "bwrap", False) != key
    monkeypatch.delenv(secret.ENV)
    (pack / "broken_pipelines" / "pricing-units" / "README.md.j2").write_text("another brief\n")
    assert grading_key(exercise, "bwrap", False) != key


def test_resume_needs_the_folder_and_is_not_for_seeds(pack, tmp_path):
    for args in (["pricing-units", "--resume"], ["pricing-units", "--resume", "--seeds", "1", "--out", str(tmp_path)]):
        done = grader_cli("validate", *args)
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "--resume" in done.stderr, done.stderr
