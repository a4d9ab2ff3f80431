import re

from grader.report.model import (BugResult, CheckResult, CommitInfo, ExerciseInfo, History, Report, SandboxInfo,
                                 ScoreSummary, SubmissionInfo)
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
