"""A blind batch of 4 real skew submissions with one disguised copy: the pair is shown, and nobody is named.

Four gradings under bubblewrap (about 30 s of CPU each), one at a time: Alice's fix, Bob's copy
of it (functions reordered, new comments, and a comment that still names Alice), Carol's fix
written differently and Dan's that shares only the obvious one-line fix.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import git
import pytest

from grader.batch import Batch, read_candidates
from grader.grade import Options
from grader.publish import commit_overlay, publish

pytestmark = pytest.mark.e2e

LABELLED = Path(__file__).parents[1] / "fixtures" / "similarity" / "skew"
PEOPLE = {"Alice Archer": "alpha", "Bob Baker": "copy-reordered", "Carol Chen": "beta", "Dan Dunn": "one-line"}
NAMES = ["Alice", "Archer", "alice@", "Bob", "Baker", "Carol", "Chen", "Dan Dunn", "dan@"]


@pytest.fixture(scope="module")
def graded_batch(skew, tmp_path_factory, bwrap_ready):
    root = tmp_path_factory.mktemp("similarity-batch")
    rows = []
    for person, fix in PEOPLE.items():
        repo = root / "repos" / person.split()[0].lower()
        publish(skew, repo)
        overlay = root / "overlays" / fix
        overlay.mkdir(parents=True)
        for src in (LABELLED / fix).rglob("*"):
            if src.is_file():
                dest = overlay / src.relative_to(LABELLED / fix)
                dest.parent.mkdir(parents=True, exist_ok=True)
                text = src.read_text()
                if fix in ("alpha", "copy-reordered") and src.name == "api.py":
                    text = text.replace("_state: dict = {}", "_state: dict = {}  # first written by Alice Archer")
                dest.write_text(text)
        author = git.Actor(person, f"{person.split()[0].lower()}@example.com")
        commit_overlay(repo, overlay, "Fix the skew", author=author)
        rows.append({"candidate": person, "repo": str(repo)})
    with open(root / "candidates.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["candidate", "repo"])
        writer.writeheader()
        writer.writerows(rows)
    out = root / "out"
    job = Batch(read_candidates(root / "candidates.csv"), out, Options(location="", sandbox="local", blind=True, candidate_tests=False), jobs=1)
    job.run()
    return job, out


def test_the_copied_pair_is_shown_with_its_code_and_nobody_is_named(graded_batch):
    job, out = graded_batch
    assert [r.status for r in job.rows] == ["graded"] * 4, [r.message for r in job.rows]
    folder = {r.submission.candidate: r.folder for r in job.rows}
    label = {r.submission.candidate: r.report.candidate for r in job.rows}  # pseudonyms
    alice, bob = label["Alice Archer"], label["Bob Baker"]
    assert job.similarity_error is None
    assert [{c.a.label, c.b.label} for c in job.similar.flagged] == [{alice, bob}]

    index = (out / "index.html").read_text()
    section = index.split('<section id="similarity">')[1]
    assert 'id="pair-1"' in section and alice in section and bob in section
    assert f'href="{folder["Alice Archer"]}/report.html"' in section
    assert "def _to_vector" in section and "def test_api_matches_batch_on_every_region" in section  # the code
    assert label["Carol Chen"] not in section and label["Dan Dunn"] not in section

    pairs = json.loads((out / "similarity.json").read_text())["pairs"]
    flagged = [p for p in pairs if p["flagged"]]
    assert len(flagged) == 1 and min(flagged[0]["a"]["share"], flagged[0]["b"]["share"]) >= 0.9

    for me, other in (("Alice Archer", bob), ("Bob Baker", alice)):
        report = json.loads((out / folder[me] / "report.json").read_text())
        assert [s["other"] for s in report["similarity"]["similar_to"]] == [other]
        assert f"**Similar to:** {other}" in (out / folder[me] / "report.md").read_text()
        assert f"Similar to:</strong> {other}" in (out / folder[me] / "report.html").read_text()
        run = json.loads((out / folder[me] / "run.json").read_text())
        assert report["score"]["earned"] == run["score"]["earned"]  # a flag never changes the score
    for me in ("Carol Chen", "Dan Dunn"):
        assert json.loads((out / folder[me] / "report.json").read_text())["similarity"]["similar_to"] == []

    shown = [index, (out / "similarity.html").read_text(), (out / "similarity.json").read_text()]
    shown += [(out / f / name).read_text() for f in folder.values() for name in ("report.md", "report.html")]
    for text in shown:
        for name in NAMES:
            assert name not in text
