"""Every sink escapes what the candidate wrote: the terminal (no markup, no control characters),
summary.csv (no formulas), report.md and report.html (no markup of theirs, no control
characters), each report file within its size budget whatever the strings."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from grader.batch import Batch, Row, Submission
from grader.escape import csv_cell, for_terminal, one_line
from grader.grade import Options
from grader.report.budget import MAX_REPORT_BYTES
from grader.report.model import (
    BugResult,
    CheckResult,
    CommitInfo,
    Diff,
    ExerciseInfo,
    FileChange,
    History,
    Report,
    SandboxInfo,
    ScoreSummary,
    SubmissionInfo,
    WriteUp,
)
from grader.report.render import md, render_all, write_reports

hostile = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["[/]", "[bold]x[/bold]", "[link=http://evil]x[/link]", "\x1b[2J\x1b]0;pwn\x07", "\u202eexe.txt",
                     "<script>alert(1)</script>", "](javascript:alert(1))", "=cmd|' /C calc'!A0", "+1", "-2", "@x",
                     "\tx", "\rx", "\ud800", "```", "| a | b |", "&amp;", "\\", "x\\"]),
)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@given(st.lists(hostile, max_size=4).map("".join))
def test_the_terminal_shows_text_not_markup_or_controls(text):
    console = Console(file=io.StringIO(), width=400, color_system=None, force_terminal=False)
    console.print(f"[bold]error:[/] {for_terminal(text)}", soft_wrap=True)
    shown = console.file.getvalue()
    assert not CONTROL.search(shown) and "\n" not in shown.rstrip("\n")
    assert shown.rstrip("\n").replace("\u200b", "") == "error: " + one_line(text, 2000)


@given(hostile)
def test_csv_cells_are_never_formulas(text):
    cell = csv_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20"))
    assert cell.removeprefix("'") == one_line(text, 2000)  # nothing lost but the formula


@given(hostile)
def test_markdown_escapes_everything(text):
    out = md(text)
    assert "<" not in out and ">" not in out and "\n" not in out and not CONTROL.search(out)
    assert not re.search(r"(?<!\\)[\[\]`*_|#~!]", out)


def report_with(text: str, big: int) -> Report:
    check = CheckResult(id="c", title=text, kind="fail_to_pass", outcome="failed", points=0, max_points=1,
                        message=text * big, evidence={"quoted": text * big, text[:50]: [text] * big})
    commits = [CommitInfo(sha=f"{i:040x}", author=text * big, email=text * big, date="2026-01-01T00:00:00+00:00",
                          message=text * big, files_changed=1, insertions=1, deletions=1) for i in range(500)]
    return Report(
        grader_version="t", generated_at="now", candidate=text, banner=None,
        exercise=ExerciseInfo(id="e", version="1", title=text, failure_mode=text, time_budget_hours=1),
        submission=SubmissionInfo(url=text, ref=text, commit="0" * 40, tree="0" * 40, findings=[text] * big),
        sandbox=SandboxInfo(backend="bwrap", isolated=True, notes=[text]),
        score=ScoreSummary(earned=0, possible=1, percent=0), verdict="fail",
        bugs=[BugResult(id="b", title=text, symptom=text, verdict="not fixed", points=0, max_points=1,
                        checks=[check] * 20, questions=[text], changes=Diff(files=[text] * big, text=(text + "\n") * big))
              for _ in range(5)],
        history=History(commits=commits, files=[FileChange(path=text * 3, insertions=1, deletions=1)] * 600),
        write_up=WriteUp(path="NOTES.md", text=text * big, changed=True), notes=[text],
    )


@settings(max_examples=15)
@given(hostile.filter(bool), st.sampled_from([1, 50, 400]))
def test_reports_are_escaped_and_within_budget(tmp_path_factory, text, big):
    out = tmp_path_factory.mktemp("report")
    write_reports(report_with(text, big), out)
    for name in ("report.json", "report.md", "report.html"):
        data = (out / name).read_text()
        assert len(data.encode()) <= MAX_REPORT_BYTES, (name, len(data))
        if name != "report.json":
            assert not CONTROL.search(data), name
    html = (out / "report.html").read_text()
    assert "<script>" not in html and "<script" not in html.replace('<script', '', 0)


def test_a_report_at_every_cap_fits_the_budget(tmp_path):
    """The worst case: every candidate string at its cap, made of characters escaping multiplies."""
    from grader import history

    nasty = "<&\x1b" * 100
    report = report_with(nasty[: history.MAX_NAME], 1)
    for c in report.history.commits:
        c.message = (nasty * 10)[: history.MAX_MESSAGE]
    for bug in report.bugs:
        bug.changes = Diff(files=[nasty[:300]] * 300, text="\n".join([(nasty * 2)[:400]] * 400))
        for check in bug.checks:
            check.evidence = {"truncated": (nasty * 100)[:20_000]}
    report.write_up = WriteUp(path="NOTES.md", text=(nasty * 100)[: history.MAX_WRITE_UP], changed=True)
    before = {name: len(text.encode()) for name, text in render_all(report).items()}
    written = write_reports(report, tmp_path)
    after = {name: (tmp_path / name).stat().st_size for name in before}
    assert max(before.values()) > MAX_REPORT_BYTES  # the caps alone do not keep it small
    assert max(after.values()) <= MAX_REPORT_BYTES and any("cut to keep" in n for n in written.notes), after


@given(st.lists(st.tuples(hostile, hostile), min_size=1, max_size=4, unique_by=lambda t: t[0]))
def test_summary_csv_and_index(tmp_path_factory, rows):
    out = tmp_path_factory.mktemp("batch")
    job = Batch([Submission(c or "x", r or "y") for c, r in rows if c], out, Options(location=""))
    if not job.rows:
        return
    for row in job.rows:
        row.status, row.message = "error", row.submission.repo
    job.write_summary()
    with open(out / "summary.csv", newline="") as f:
        cells = [cell for row in list(csv.reader(f))[1:] for cell in row]
    assert cells and not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    index = (out / "index.html").read_text()
    assert not CONTROL.search(index) and "<script>" not in index


def test_rows_are_rows():
    assert Row(Submission("a", "b"), "a").summary()["status"] == "pending"
