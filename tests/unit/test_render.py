import re

from grader.report.model import (
    BugResult,
    CheckResult,
    CommitInfo,
    ExerciseInfo,
    History,
    Report,
    SandboxInfo,
    ScoreSummary,
    SubmissionInfo,
)
from grader.report.render import md, md_code, render_markdown

EVIL = "<img src=x onerror=alert(1)> [click](https://evil.example) **bold** | col `code` www.evil.example"


def report(**overrides) -> Report:
    check = CheckResult(id="c", title="t", kind="fail_to_pass", outcome="failed", points=0, max_points=1,
                        message=EVIL, evidence={"auc": 0.61234, "log_tail": "```\n# heading\n```"})
    base = dict(
        grader_version="0", generated_at="now",
        exercise=ExerciseInfo(id="x", version="1", title="T", failure_mode="f", time_budget_hours=1),
        submission=SubmissionInfo(url="https://github.com/a/b", ref=None, commit="a" * 40, tree="b" * 40,
                                  findings=[f"symlink not exported: {EVIL}"]),
        sandbox=SandboxInfo(backend="bwrap", isolated=True), score=ScoreSummary(earned=0, possible=1, percent=0),
        verdict="fail", bugs=[BugResult(id="b", title="B", symptom="s", verdict="not fixed", points=0, max_points=1,
                                        checks=[check])],
        history=History(commits=[CommitInfo(sha="c" * 40, author=EVIL, email="e", date="d", message=EVIL,
                                            files_changed=1, insertions=1, deletions=0)]),
    )
    return Report(**{**base, **overrides})


def test_markdown_escapes_candidate_text():
    text = render_markdown(report())
    assert "<img" not in text and not re.search(r"(?<!\\)\]\(", text)
    assert "**bold**" not in text and "`code`" not in text
    assert "www.evil" not in text and "https://evil" not in text
    assert text.count("&lt;img") == 3  # message, finding, commit message
    assert "auc: 0.6123" in text


def test_log_tail_fence_cannot_be_closed_by_content():
    block = md_code("```\n# heading\n```")
    assert block.startswith("````text\n") and block.endswith("\n````")


def test_banner_comes_first():
    text = render_markdown(report(banner="NOT ISOLATED: do not trust"))
    assert text.splitlines()[0] == "> **NOT ISOLATED: do not trust**"


def test_md_is_one_line():
    assert "\n" not in md("a\n# b\n- c")


def test_html_is_self_contained_and_escaped():
    from grader.report.render import render_html
    from grader.verify.toolkit import bar_chart

    r = report()
    r.bugs[0].checks[0].evidence["charts"] = [bar_chart("gap <by> region", {"<east>": 0.1, "west": -0.01}, band=(-0.035, 0.035))]
    html = render_html(r)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<script" not in html.lower() and "<img" not in html and "&lt;img src=x" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.count("<svg") == 1 and "&lt;east&gt;" in html and 'fill="#cf222e"' in html
    for section in ('id="summary"', 'id="bugs"', 'id="write-up"', 'id="history"', 'id="sandbox"'):
        assert section in html


def test_similar_to_lines_are_escaped_and_say_the_score_is_unchanged():
    from grader.report.model import SimilarityCheck, SimilarTo
    from grader.report.render import render_html

    similar = SimilarTo(other=EVIL, kind="submission", share=0.93, other_share=0.71, lines=40,
                        where="../similarity.html#pair-1")
    r = report(similarity=SimilarityCheck(checked_at="now", threshold=0.5, min_lines=12, compared_with=7,
                                          similar_to=[similar]))
    text, html = render_markdown(r), render_html(r)
    assert "**Similar to:** &lt;img" in text and "93% of this submission's own lines match (40 lines)" in text
    assert "<img" not in html and "Similar to:</strong> &lt;img" in html and 'href="../similarity.html#pair-1"' in html
    for page in (text, html):
        assert "not a verdict: the score is unchanged" in page and "compared with 7 other" in page
    quiet = render_markdown(report(similarity=SimilarityCheck(checked_at="now", threshold=0.5, min_lines=12,
                                                              compared_with=7)))
    assert "Similar to" not in quiet and "match: none." in quiet


def test_the_candidates_own_tests_are_shown_per_bug_and_escaped():
    from grader.report.model import CandidateTests, DetectingTest, FailedTest, OwnTests, SuiteRun
    from grader.report.render import render_html

    evil_test = f"tests/test_x.py::test_{EVIL}"
    r = report(candidate_tests=CandidateTests(
        test_files=[f"tests/{EVIL}.py"],
        suite=SuiteRun(tree="their fix", paths=["tests"], reported=True, passed=3, failed=1, duration_s=2.0,
                       failures=[FailedTest(test=evil_test, reason=f"AssertionError: {EVIL}")]),
        starter=SuiteRun(tree="the starter with their tests", reported=True, failed=1),
        fail_on_starter=[evil_test], cannot_run_on_starter=[FailedTest(test="tests/test_y.py (2 tests)",
                                                                       outcome="error", reason="ImportError: x")],
    ))
    r.bugs[0].own_tests = OwnTests(measured=True, detected_by=[DetectingTest(test=evil_test, one_of=["b", "other"])],
                                   how="they pass on the fix and fail with pkg/api.py put back")
    text, html = render_markdown(r), render_html(r)
    assert "<img" not in html and "<img" not in text and "https://evil" not in text
    assert 'id="own-tests-b"' in html and 'id="candidate-tests"' in html
    assert "1 of their tests catch it" in html and "detects one of: b, other" in html
    assert "*Their own tests:* 1 of their tests catch it" in text and "3 passed, 1 failed, 0 errors" in text
    assert "Could not run against the starter" in text and "ImportError: x" in html
    for page in (text, html):
        assert "never points" in page and "no points" in page
    r.bugs[0].own_tests = OwnTests(measured=False, how="the exercise names no fix files for this bug")
    assert "*Their own tests:* not measured (the exercise names no fix files for this bug" in render_markdown(r)
