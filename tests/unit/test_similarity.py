"""Similarity across submissions, without any grading: the labelled set, outputs, corpus, bad input."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from grader import catalog
from grader.errors import GraderError
from grader.report.blind import blind
from grader.report.model import (
    Report,
)
from grader.similarity import Options, add_to_corpus, find_graded, run, sources
from grader.similarity import fingerprint as fp
from grader.similarity.run import EXCERPT_LINES, MIN_LINES, THRESHOLD, compare_overlays
from grader.similarity.sources import overlay
from tests.similarity_outputs import fake_batch, fake_graded

LABELLED = Path(__file__).parents[1] / "fixtures" / "similarity"
LABELS = tomllib.loads((LABELLED / "labels.toml").read_text())
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def skew():
    return catalog.get_exercise("training-serving-skew")


@pytest.fixture(scope="module")
def starter(skew):
    return {f.path: f.text for f in sources.starter_files(skew)}  # templates rendered for the default variant


def own_files(starter: dict[str, str], name: str) -> dict[str, str]:
    return {f.path: f.text for f in overlay(starter, LABELLED / "skew" / name)}


def known_fixes() -> int:
    """The skew exercise's known fixes each submission is compared with: the reference and every partial fix."""
    return 1 + len(catalog.get_exercise("training-serving-skew").spec.partial_fixes)


# -- the labelled set ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled(skew):
    folders = {name: LABELLED / "skew" / name for name in LABELS["submissions"]}
    return compare_overlays(skew, folders)


def is_copied(a: str, b: str) -> bool:
    return any(a in group and b in group for group in LABELS["copied"]["groups"])


def test_labelled_set_is_classified_as_labelled(labelled):
    wrong = [(r.a.key, r.b.key, r.a_side.share, r.b_side.share) for r in labelled
             if r.flagged != is_copied(r.a.key, r.b.key)]
    assert wrong == []
    # every pair of submissions, and each submission against every known fix (the reference, partial fixes)
    known = {d.key for r in labelled for d in (r.a, r.b) if d.kind != "submission"}
    n = len(LABELS["submissions"])
    assert len(known) >= 4 and len(labelled) == n * (n - 1) // 2 + n * len(known)


def test_default_threshold_sits_in_the_measured_gap(labelled):
    copies = [max(r.a_side.share, r.b_side.share) for r in labelled if is_copied(r.a.key, r.b.key)]
    independent = [max(s.share for s, d in ((r.a_side, r.a), (r.b_side, r.b)) if s.matched_lines >= MIN_LINES)
                   for r in labelled if not is_copied(r.a.key, r.b.key)
                   and max(r.a_side.matched_lines, r.b_side.matched_lines) >= MIN_LINES]
    assert min(copies) >= 0.65 > THRESHOLD > 0.35 > max(independent)
    # Fixes too small to tell copying from the obvious way of writing them are never flagged.
    tiny = [side for r in labelled if not is_copied(r.a.key, r.b.key) for side in (r.a_side, r.b_side)
            if side.share >= THRESHOLD]
    assert tiny and all(side.matched_lines < MIN_LINES for side in tiny)


def test_renaming_reordering_and_comments_do_not_hide_a_copy(labelled):
    by_pair = {(r.a.key, r.b.key): r for r in labelled}
    for copy in ("copy-renamed", "copy-reordered"):
        r = by_pair[("alpha", copy)]
        assert r.a_side.share == r.b_side.share == 1.0 and r.flagged


def test_two_independent_fixes_of_the_same_bug_are_not_flagged(labelled):
    by_pair = {(r.a.key, r.b.key): r for r in labelled}
    for pair in (("alpha", "beta"), ("alpha", "one-line"), ("alpha", "reference solution")):
        r = by_pair[pair]
        assert not r.flagged and max(r.a_side.share, r.b_side.share) < 0.3


def test_starter_lines_and_comments_are_not_own_code(skew, starter):
    boilerplate = fp.Boilerplate.of([fp.TextFile(p, t) for p, t in starter.items()])
    api = starter["credit_risk/api.py"]
    commented = fp.fingerprint([fp.TextFile("credit_risk/api.py", api.replace("\n\n", "\n# a comment\n\n", 3))],
                               boilerplate, "c", "c", "submission")
    assert commented.own_lines == 0 and len(commented.hashes) == 0


def test_every_variants_starter_is_boilerplate(skew, tmp_path):
    """Two candidates of a non-default variant share its starter's lines (the visible test's
    payload in its unit, the region lists in its order), which the default starter does not
    have: they are not their own code."""
    from grader import variants
    from grader.publish import publish

    publish(skew, tmp_path / "repo", variant=variants.parse(skew.spec, "utilization_unit=per-mille,region_order=region-codes"))
    default_only = fp.Boilerplate.of(sources.starter_files(skew))
    every = fp.Boilerplate.of(sources.boilerplate_files(skew, sources.starter_files(skew)))
    as_given = [fp.TextFile(path, (tmp_path / "repo" / path).read_text())
                for path in ("tests/test_api.py", "credit_risk/api.py", "credit_risk/features.py")]
    assert fp.fingerprint(as_given, default_only, "d", "d", "submission").own_lines > 0  # what was wrong before
    assert fp.fingerprint(as_given, every, "e", "e", "submission").own_lines == 0


# -- grading outputs, without grading ----------------------------------------------------------


@pytest.fixture
def batch_of_four(tmp_path, starter):
    """Alice's fix, Bob's disguised copy of it (with a comment naming Alice), Carol's and Dan's own fixes."""
    alice = own_files(starter, "alpha")
    bob = own_files(starter, "copy-reordered")
    for files in (alice, bob):  # the same hostile string in the copied code on both sides
        files["credit_risk/api.py"] = files["credit_risk/api.py"].replace(
            "_state: dict = {}", f'_state: dict = {{}}\nBANNER = "{EVIL}"  # thanks Alice Archer')
    return fake_batch(tmp_path / "batch", {"Alice Archer": alice, "Bob Baker": bob,
                                           "Carol Chen": own_files(starter, "beta"),
                                           "Dan Dunn": own_files(starter, "one-line")})


def test_batch_pair_shows_in_similarity_json_index_and_both_reports(batch_of_four):
    out = batch_of_four
    before = {p: json.loads((out / p / "report.json").read_text())["score"] for p in ("Alice-Archer", "Bob-Baker")}
    outcome = run([out])
    assert [(c.a.label, c.b.label) for c in outcome.flagged] == [("Alice Archer", "Bob Baker")]
    assert outcome.pairs_compared == 6 + 4 * known_fixes()  # pairs in the batch, then each against the known fixes

    result = json.loads((out / "similarity.json").read_text())
    flagged = [p for p in result["pairs"] if p["flagged"]]
    assert len(flagged) == 1 and flagged[0]["a"]["share"] >= 0.9 and flagged[0]["b"]["share"] >= 0.9
    assert flagged[0]["blocks"] and {"file", "start", "end"} <= set(flagged[0]["blocks"][0]["a"])
    assert result["settings"]["threshold"] == THRESHOLD and result["settings"]["min_lines"] == MIN_LINES

    for page in ("index.html", "similarity.html"):
        html = (out / page).read_text()
        assert 'id="similarity"' in html and 'id="pair-1"' in html
        assert "def _to_vector" in html and "def test_api_matches_batch_on_every_region" in html  # side by side
        assert EVIL not in html and "&lt;script&gt;" in html
        assert "Carol Chen" not in html.split('id="similarity"')[1]
    assert "Alice-Archer/report.html" in (out / "index.html").read_text()

    for folder, other in (("Alice-Archer", "Bob Baker"), ("Bob-Baker", "Alice Archer")):
        report = json.loads((out / folder / "report.json").read_text())
        assert report["score"] == before[folder]  # a flag is evidence, never a verdict
        similar = report["similarity"]["similar_to"]
        assert [s["other"] for s in similar] == [other] and similar[0]["where"] == "../similarity.html#pair-1"
        assert f"**Similar to:** {other}" in (out / folder / "report.md").read_text()
        assert "Similar to:</strong> " + other in (out / folder / "report.html").read_text()
    carol = json.loads((out / "Carol-Chen" / "report.json").read_text())["similarity"]
    assert carol["similar_to"] == [] and carol["compared_with"] == 3 + known_fixes()
    assert "none" in (out / "Carol-Chen" / "report.md").read_text().split("Similarity:")[1].splitlines()[0]


def test_blind_names_nobody_in_similarity_outputs(batch_of_four):
    out = batch_of_four
    outcome = run([out], Options(blind=True))
    similar = json.loads((out / "Alice-Archer" / "report.json").read_text())["similarity"]["similar_to"]
    texts = [(out / name).read_text() for name in ("similarity.json", "similarity.html")] + [json.dumps(similar)]
    for text in texts:
        for name in ("Alice", "Archer", "Bob Baker", "bob@example.com", "Carol", "Dan"):
            assert name not in text
    assert similar[0]["other"].startswith("author-")
    assert "thanks author-" in texts[1]  # a name in the code itself is replaced too
    # This batch was not graded blind: its index.html names everyone, so the section stays out of it.
    assert 'id="similarity"' not in (out / "index.html").read_text()
    assert any("index.html left as it is" in n for n in outcome.notes)


def test_excerpts_are_capped(tmp_path, starter):
    long = "\n".join(f"def helper_{i}(value):\n    return value * {i} + len(str(value)) - {i}\n" for i in range(60))
    files = {"credit_risk/helpers.py": long + "\n" + "x = '" + "y" * 5000 + "'\n"}
    out = fake_batch(tmp_path / "b", {"Ann A": files, "Ben B": dict(files)})
    run([out])
    html = (out / "similarity.html").read_text()
    assert "… (cut)" in html and "y" * 161 not in html
    rows = html.split('id="pair-1"')[1].split("</table>")[0].count('class="hit"')
    assert 0 < rows <= 2 * EXCERPT_LINES


def test_corpus_is_appended_and_compared_with_later_batches(tmp_path, starter):
    first = fake_batch(tmp_path / "cohort-1", {"Alice Archer": own_files(starter, "alpha"),
                                                "Carol Chen": own_files(starter, "beta")})
    corpus = tmp_path / "corpus"
    for graded in find_graded([first], blind=False).submissions:
        add_to_corpus(corpus, graded)
    entries = sorted(p.relative_to(corpus).as_posix() for p in corpus.glob("*/*/*"))
    assert entries == ["training-serving-skew/default/Alice-Archer-0101010101",
                       "training-serving-skew/default/Carol-Chen-0202020202"]
    assert json.loads((corpus / entries[0] / "entry.json").read_text())["candidate"] == "Alice Archer"
    # Again: nothing is added twice.
    assert add_to_corpus(corpus, find_graded([first], blind=False).submissions[0]) is None

    later = fake_batch(tmp_path / "cohort-2", {"Eve Evans": own_files(starter, "copy-renamed"),
                                                "Alice Archer": own_files(starter, "alpha")}, first=3)
    outcome = run([later], Options(corpus=corpus))
    flagged = {(c.a.label, c.b.label, c.b.kind) for c in outcome.flagged}
    # Eve's copy matches Alice's earlier submission; Alice is never compared with her own earlier one.
    assert ("Eve Evans", "Alice Archer (default, 0101010101)", "corpus") in flagged
    assert not any(a == "Alice Archer" and kind == "corpus" for a, _, kind in flagged)


def test_known_leaked_solutions_are_compared(tmp_path, starter):
    known = tmp_path / "known"
    for path, text in own_files(starter, "alpha").items():
        (known / "forum-post" / path).parent.mkdir(parents=True, exist_ok=True)
        (known / "forum-post" / path).write_text(text)
    (known / "other-exercise").mkdir()
    (known / "other-exercise" / ".mlops-exercise").write_text('exercise = "silent-drift"\n')
    out = fake_batch(tmp_path / "b", {"Eve Evans": own_files(starter, "copy-renamed")})
    outcome = run([out], Options(known=known))
    assert [(c.b.label, c.b.kind) for c in outcome.flagged] == [("known forum-post", "known")]
    assert outcome.pairs_compared == known_fixes() + 1


def test_a_score_output_gets_its_own_similarity_page(tmp_path, starter):
    fake_graded(tmp_path / "alice", "Alice Archer", own_files(starter, "alpha"), "a" * 40)
    fake_graded(tmp_path / "bob", "Bob Baker", own_files(starter, "copy-renamed"), "b" * 40)
    outcome = run([tmp_path / "alice", tmp_path / "bob"])
    assert len(outcome.flagged) == 1
    for who in ("alice", "bob"):
        assert (tmp_path / who / "similarity.html").is_file() and not (tmp_path / who / "index.html").exists()
        similar = json.loads((tmp_path / who / "report.json").read_text())["similarity"]["similar_to"]
        assert similar[0]["where"] == "similarity.html#pair-1"


# -- bad input: one clear line each ------------------------------------------------------------


def test_a_folder_that_is_not_a_grading_output(tmp_path):
    (tmp_path / "random").mkdir()
    with pytest.raises(GraderError, match=r"is not a grading output: it holds neither report.json"):
        run([tmp_path / "random"])
    with pytest.raises(GraderError, match="no such folder"):
        run([tmp_path / "missing"])


def test_an_empty_batch(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "summary.csv").write_text("candidate,repo,status,report\nx,y,error,\n")
    with pytest.raises(GraderError, match=r"an empty batch \(no graded submission in it\)"):
        run([tmp_path / "b"])


def test_a_submission_with_no_change_or_no_changes_folder(tmp_path, starter):
    out = fake_batch(tmp_path / "b", {"Ann A": {}, "Ben B": own_files(starter, "alpha")})
    import shutil

    fake_graded(out / "Old-O", "Old O", {}, "c" * 40)
    shutil.rmtree(out / "Old-O" / "changes")
    with open(out / "summary.csv", "a") as f:
        f.write("Old O,,,,,graded,,,,,,Old-O/report.html,,\n")
    outcome = run([out])
    assert "Ann A: no change against the starter; nothing to compare" in outcome.notes
    assert any(n.startswith("Old O: no changes/ folder (graded before similarity existed") for n in outcome.notes)
    assert outcome.pairs_compared == known_fixes()  # Ben against the reference and partial fixes only


def test_cli_similarity_errors_in_one_line_and_prints_flags(tmp_path, batch_of_four):
    from grader.cli import app

    runner = CliRunner()
    bad = runner.invoke(app, ["similarity", str(tmp_path / "nowhere")])
    assert bad.exit_code == 2 and bad.output.strip().count("\n") == 0 and "no such folder" in bad.output
    good = runner.invoke(app, ["similarity", str(batch_of_four), "--threshold", "0.6"])
    assert good.exit_code == 0, good.output
    assert "Alice Archer" in good.output and "1 flagged" in good.output


def test_the_same_submission_twice_is_not_a_copy(tmp_path, starter):
    files = own_files(starter, "alpha")
    fake_graded(tmp_path / "alice", "Alice Archer", files, "a" * 40)
    fake_graded(tmp_path / "regraded" / "alice", "Alice Archer", files, "a" * 40)
    outcome = run([tmp_path / "alice", tmp_path / "alice", tmp_path / "regraded" / "alice"])
    assert outcome.submissions == 2 and outcome.flagged == []
    assert "Alice Archer and Alice Archer-2: the same commit aaaaaaaaaa; not compared" in outcome.notes


def test_a_blind_batch_hides_other_candidates_named_in_copied_code(batch_of_four):
    out = batch_of_four
    for folder in ("Alice-Archer", "Bob-Baker", "Carol-Chen", "Dan-Dunn"):  # as `grader batch --blind` leaves them
        path = out / folder / "report.json"
        path.write_text(blind(Report.model_validate_json(path.read_text())).model_dump_json())
    bob = out / "Bob-Baker" / "report.json"
    report = Report.model_validate_json(bob.read_text())
    bob.write_text(report.model_copy(update={"notes": ["a diff line: thanks Alice Archer"]}).model_dump_json())
    run([out], Options(blind=True, hide={"Alice Archer": "author-0a"}))
    html = (out / "similarity.html").read_text()
    assert "Alice Archer" not in html and "thanks author-0a" in html
    for name in ("report.json", "report.md", "report.html"):  # reports of a blind batch are scrubbed too
        text = (out / "Bob-Baker" / name).read_text()
        assert "Alice Archer" not in text and "thanks author-0a" in text


def test_what_is_compared_per_submission_is_bounded(tmp_path, starter):
    files = own_files(starter, "alpha")
    files["credit_risk/zz_vendored.py"] = "".join(f"value_{i} = {i} * 3 + 1\n" for i in range(20000))  # ~400 KiB
    out = fake_batch(tmp_path / "b", {"Ann A": files})
    outcome = run([out])
    assert any(n.startswith("Ann A: 1 file(s) not compared: credit_risk/zz_vendored.py (over the limit of 256 KiB")
               for n in outcome.notes), outcome.notes
