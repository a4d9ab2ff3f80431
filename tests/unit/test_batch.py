"""Batch grading, MLflow tracking and per-commit grading, on the toy exercise (seconds, not minutes)."""

import csv
import json
from pathlib import Path

import git
import pytest

from grader import catalog
from grader.batch import Batch, read_candidates
from grader.errors import GraderError
from grader.grade import Options, grade
from grader.publish import commit_overlay, publish
from grader.similarity import Options as SimilarityOptions
from tests.conftest import commit_files

HOME = Path(__file__).parents[1] / "fixtures" / "home"


@pytest.fixture
def toy(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    exercise = catalog.get_exercise("toy")
    starter = tmp_path / "alice"
    publish(exercise, starter)
    fixed = tmp_path / "bob"
    publish(exercise, fixed)
    commit_overlay(fixed, exercise.partial_fix_dir("prints-only"), "print it", author=git.Actor("Bob B", "bob@x.org"))
    commit_overlay(fixed, exercise.solution_dir, "fix the answer", author=git.Actor("Bob B", "bob@x.org"))
    return exercise, starter, fixed


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_candidates_csv_is_validated(tmp_path):
    with pytest.raises(GraderError, match="missing column"):
        read_candidates(write_csv(tmp_path / "a.csv", [{"name": "x", "repo": "y"}]))
    with pytest.raises(GraderError, match="appears twice"):
        read_candidates(write_csv(tmp_path / "b.csv", [{"candidate": "x", "repo": "y"}, {"candidate": "x", "repo": "z"}]))
    with pytest.raises(GraderError, match=":2: candidate and repo must not be empty"):
        read_candidates(write_csv(tmp_path / "c.csv", [{"candidate": "x", "repo": ""}]))
    subs = read_candidates(write_csv(tmp_path / "d.csv", [{"candidate": "x", "repo": "y", "ref": "", "exercise": "toy"}]))
    assert subs[0].ref is None and subs[0].exercise == "toy"


def test_batch_isolates_failures_writes_summaries_and_resumes(toy, tmp_path):
    _, starter, fixed = toy
    subs = read_candidates(write_csv(tmp_path / "c.csv", [
        {"candidate": "Alice A", "repo": str(starter)},
        {"candidate": "Bob B", "repo": str(fixed)},
        {"candidate": "Carol <C>", "repo": "git://127.0.0.1:9/nothing.git"},
    ]))
    out = tmp_path / "batch"
    template = Options(location="", sandbox="local", trusted=True)
    rows = Batch(subs, out, template, jobs=2, track=True).run()
    status = {r.submission.candidate: (r.status, r.report.verdict if r.report else None) for r in rows}
    assert status == {"Alice A": ("graded", "fail"), "Bob B": ("graded", "pass"), "Carol <C>": ("error", None)}
    summary = list(csv.DictReader(open(out / "summary.csv")))
    assert [s["candidate"] for s in summary] == ["Alice A", "Bob B", "Carol <C>"]
    assert summary[1]["report"] == "Bob-B/report.html" and (out / "Bob-B" / "report.html").exists()
    assert "host '127.0.0.1' is not allowed" in summary[2]["message"]
    index = (out / "index.html").read_text()
    assert "Carol &lt;C&gt;" in index and "<C>" not in index

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{out / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("grading/toy").experiment_id])
    by_name = {r.data.params["candidate"]: r for r in runs}
    assert set(by_name) == {"Alice A", "Bob B"}
    assert by_name["Bob B"].data.metrics["check.answer_is_42"] == 1.0
    assert by_name["Alice A"].data.metrics["score.earned"] == 1.0
    assert by_name["Bob B"].data.params["commit"] == git.Repo(toy[2]).head.commit.hexsha

    again = Batch(subs, out, template, jobs=2).run()
    assert [r.status for r in again] == ["reused", "reused", "error"]
    forced = Batch(subs[:1], out, template, force=True).run()
    assert forced[0].status == "graded"


def test_blind_batch_names_nobody(toy, tmp_path):
    _, starter, fixed = toy
    subs = read_candidates(write_csv(tmp_path / "c.csv", [{"candidate": "Bob B", "repo": str(fixed)}]))
    out = tmp_path / "batch"
    rows = Batch(subs, out, Options(location="", sandbox="local", trusted=True, blind=True)).run()
    assert rows[0].folder.startswith("author-")
    for path in [out / "summary.csv", out / "index.html", *(out / rows[0].folder).glob("report.*")]:
        text = path.read_text()
        assert "Bob B" not in text and "bob@x.org" not in text, path


def test_per_commit_finds_when_each_bug_got_fixed(toy, tmp_path):
    _, _, fixed = toy
    report = grade(Options(location=str(fixed), out_dir=tmp_path / "out", sandbox="local", trusted=True,
                           per_commit=True))
    shas = [c.sha for c in report.history.commits]
    assert len(shas) == 2 and report.history.per_commit[0].sha == shas[0]
    assert report.history.per_commit[0].verdicts == {"wrong-answer": "partly fixed"}
    assert report.bugs[0].first_fixed_commit == shas[1]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "First fixed at" in html and shas[1][:10] in html
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert [s["step"] for s in run["steps"]][-3:] == ["per-commit", "score", "report"]


HELPER = '''import json
import sys


def write_answer(folder, value):
    """Write the answer where the checks look for it."""
    with open(f"{folder}/answer.json", "w") as out:
        json.dump(value, out)
    return value


def parse_folder(argv):
    if len(argv) < 2:
        raise SystemExit("usage: answer.py FOLDER")
    folder = argv[1]
    if not folder:
        raise SystemExit("empty folder")
    return folder


def main(argv):
    folder = parse_folder(argv)
    print(write_answer(folder, 6 * 7))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
'''
OWN = '''import sys
from pathlib import Path

ANSWER = 42

target = Path(sys.argv[1]) / "answer.json"
target.write_text(str(ANSWER))
for attempt in range(3):
    if target.read_text() == str(ANSWER):
        break
else:
    raise RuntimeError("could not write the answer")
print(ANSWER)
'''


def test_batch_compares_submissions_and_fills_the_corpus(toy, tmp_path):
    exercise = toy[0]
    renamed = HELPER.replace("write_answer", "store").replace("parse_folder", "target_of").replace("folder", "dest")
    rows = []
    for name, text in (("Alice A", HELPER), ("Bob B", renamed), ("Carol C", OWN)):
        repo = tmp_path / "repos" / name.split()[0].lower()
        publish(exercise, repo)
        commit_files(git.Repo(repo), {"answer.py": text}, "fix")
        rows.append({"candidate": name, "repo": str(repo)})
    out, corpus = tmp_path / "batch", tmp_path / "corpus"
    subs = read_candidates(write_csv(tmp_path / "c.csv", rows))
    job = Batch(subs, out, Options(location="", sandbox="local", trusted=True), jobs=2,
                similarity=SimilarityOptions(corpus=corpus))
    job.run()
    assert [(c.a.label, c.b.label) for c in job.similar.flagged] == [("Alice A", "Bob B")]
    index = (out / "index.html").read_text()
    assert 'id="pair-1"' in index and "def write_answer" in index and "def store" in index
    assert "Carol C" not in index.split('id="similarity"')[1]
    for folder, other in (("Alice-A", "Bob B"), ("Bob-B", "Alice A")):
        assert f"**Similar to:** {other}: 100% of this submission's own lines match" in (out / folder / "report.md").read_text()
    assert json.loads((out / "Carol-C" / "report.json").read_text())["score"]["earned"] == 5  # scores unchanged
    assert sorted(p.name for p in (corpus / "toy" / "default").iterdir()) == [
        f"{r.folder}-{r.report.submission.commit[:10]}" for r in sorted(job.rows, key=lambda r: r.folder)]
