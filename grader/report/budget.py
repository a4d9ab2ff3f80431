"""The size budget of a report: whatever the submission, each report file stays under 5 MB.

Every candidate string is capped where it is read (history.py, checkout, the verifier's
evidence), so an ordinary report is far below the budget. What is left is the product of
many caps (500 commits, 20 checks of evidence, a diff per bug), which escaping can still
blow up; `shrink` cuts a report down in levels, most verbose parts first, and says so in
its notes and at each section it cut ("truncated").
"""

from __future__ import annotations

import json

from grader.report.model import Report

MAX_REPORT_BYTES = 5 * 1024 * 1024
#: Per level: commits kept (first and last), evidence characters per check, diff characters
#: per bug, changed files listed, write-up characters.
SHRINK_LEVELS = (
    {"commits": 100, "evidence": 4000, "diff": 20_000, "files": 100, "write_up": 10_000},
    {"commits": 20, "evidence": 500, "diff": 2_000, "files": 20, "write_up": 2_000},
    {"commits": 0, "evidence": 0, "diff": 0, "files": 0, "write_up": 500},
)
NOTE = "parts of this report were cut to keep each report file under 5 MB (see the sections marked truncated)"


def shrink(report: Report, level: int) -> Report:
    """A copy of `report` cut down to the given level of SHRINK_LEVELS."""
    cut = SHRINK_LEVELS[level]
    r = report.model_copy(deep=True)
    for check in r.all_checks():
        text = json.dumps(check.evidence)
        if len(text) > cut["evidence"]:
            check.evidence = {"truncated": text[: cut["evidence"]]} if cut["evidence"] else {"truncated": ""}
    for bug in r.bugs:
        if bug.changes is not None and len(bug.changes.text) > cut["diff"]:
            bug.changes.text = bug.changes.text[: cut["diff"]]
            bug.changes.truncated = True
        if bug.changes is not None and len(bug.changes.files) > max(cut["files"], 1):
            bug.changes.files = bug.changes.files[: max(cut["files"], 1)]
            bug.changes.truncated = True
    h = r.history
    if h is not None:
        keep = cut["commits"]
        if len(h.commits) > 2 * keep:
            h.commits = h.commits[:keep] + h.commits[-keep:] if keep else []
            h.truncated = True
        if len(h.files) > cut["files"]:
            h.files_truncated += len(h.files) - cut["files"]
            h.files = h.files[: cut["files"]]
    if r.write_up is not None and len(r.write_up.text) > cut["write_up"]:
        r.write_up.text = r.write_up.text[: cut["write_up"]]
        r.write_up.truncated = True
    if len(r.submission.findings) > max(cut["files"], 5):
        r.submission.findings = r.submission.findings[: max(cut["files"], 5)] + ["... (more findings cut)"]
    if NOTE not in r.notes:
        r.notes.append(NOTE)
    return r
