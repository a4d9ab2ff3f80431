"""From check outcomes to points and verdicts, per planted bug and overall.

A check earns its points only when it passed. A bug is `fixed` when all its checks pass,
`partly fixed` when some fail-to-pass check passes (or all do but a guard broke), `not
fixed` when none does, and `inconclusive` when any of its checks could not be judged
(infrastructure fault or a broken check): an error is never counted against the candidate.
Overall: `pass` when every bug is fixed and every whole-service check passes, `fail` when no
fail-to-pass check passes at all, `partial` in between, `inconclusive` as for bugs.
Stretch checks stand apart: their points are summed separately (`stretch_earned`), and their
outcomes, errors included, never change a bug's verdict, the score or the overall verdict.
"""

from __future__ import annotations

from grader.report.model import BugResult, CheckResult, ScoreSummary
from grader.spec import Check, ExerciseSpec
from grader.verify.run import CheckOutcome


def check_result(check: Check, outcome: CheckOutcome | None) -> CheckResult:
    if outcome is None:
        outcome = CheckOutcome(check=check.id, outcome="error", message="the verifier did not report this check")
    return CheckResult(
        id=check.id,
        title=check.title,
        kind=check.kind,
        outcome=outcome.outcome,
        infra=outcome.infra,
        points=check.points if outcome.outcome == "passed" else 0.0,
        max_points=check.points,
        message=outcome.message,
        evidence=outcome.evidence,
        duration_s=outcome.duration_s,
        questions=(check.questions.passed if outcome.outcome == "passed" else
                   check.questions.failed if outcome.outcome == "failed" else []),
    )


def bug_verdict(checks: list[CheckResult]) -> str:
    checks = [c for c in checks if c.kind != "stretch"]
    if any(c.outcome == "error" for c in checks):
        return "inconclusive"
    if all(c.outcome == "passed" for c in checks):
        return "fixed"
    if any(c.outcome == "passed" for c in checks if c.kind == "fail_to_pass"):
        return "partly fixed"
    return "not fixed"


def score(spec: ExerciseSpec, outcomes: dict[str, CheckOutcome]) -> tuple[list[BugResult], list[CheckResult], ScoreSummary, str]:
    bugs = []
    for bug in spec.bugs:
        checks = [check_result(c, outcomes.get(c.id)) for c in bug.checks]
        bugs.append(BugResult(
            id=bug.id, title=bug.title, symptom=bug.symptom, verdict=bug_verdict(checks),
            points=sum(c.points for c in checks), max_points=sum(c.max_points for c in checks), checks=checks,
        ))
    service = [check_result(c, outcomes.get(c.id)) for c in spec.checks]
    stretch = [c for b in bugs for c in b.checks if c.kind == "stretch"] + [c for c in service if c.kind == "stretch"]
    every = [c for b in bugs for c in b.checks if c.kind != "stretch"] + [c for c in service if c.kind != "stretch"]
    earned = sum(c.points for c in every)
    possible = sum(c.max_points for c in every)
    summary = ScoreSummary(earned=earned, possible=possible, percent=round(100 * earned / possible, 1) if possible else 0.0,
                           stretch_earned=sum(c.points for c in stretch), stretch_possible=sum(c.max_points for c in stretch))
    bugs = [b.model_copy(update={"points": sum(c.points for c in b.checks if c.kind != "stretch"),
                                 "max_points": sum(c.max_points for c in b.checks if c.kind != "stretch")}) for b in bugs]

    if any(c.outcome == "error" for c in every):
        verdict = "inconclusive"
    elif all(b.verdict == "fixed" for b in bugs) and all(c.outcome == "passed" for c in service if c.kind != "stretch"):
        verdict = "pass"
    elif not any(c.outcome == "passed" for c in every if c.kind == "fail_to_pass"):
        verdict = "fail"
    else:
        verdict = "partial"
    return bugs, service, summary, verdict
