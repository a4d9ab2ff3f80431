"""Bug `always-green-monitor`: the monitor must alert on what the README requires, name the
field that changed, and stay quiet on stationary data.

Each requirement's batch is 3,000 of the 5,000 reference applications with only that change
applied (hidden_data.counterfactual), compared with the reference in the monitor's explicit
mode (all batches and normal days in one sandbox step, under opaque names). So a flag on an
unchanged field is the change's doing, never sampling noise, and the README's "one stray flag
is tolerated" is judged exactly on one batch; the monitor's noise on ordinary days is judged
by `stationary_batches_quiet` alone, over 60 to 200 fresh normal days. Evidence shows, per
field, whether the data really changed (the generator), whether the grader's own Evidently
report flags it, and whether the candidate's monitor did.
"""

from grader.sandbox import CandidateFailure, OutputError
from grader.verify.toolkit import bar_chart

import hidden_data as hd
from measures import FIELDS, VALUE_TOLERANCE, field_table, grader_figures, premise, reported_pairs, stray_flags


def test_stationary_batches_quiet(monitor_batches, grader_reports, evidence):
    """A monitor must not page on normal days (the README: "3,000 rows of stationary traffic must
    not page"), and three control batches cannot show a monitor that pages on one day in twenty:
    it passes all three 86% of the time. So the monitor also runs on normal days (fresh
    stationary batches of 3,000 against the same reference) until a sequential test decides
    between "pages on at most 1% of normal days" and "on 5% or more" (measures.sequential_verdict:
    a 5% pager fails with probability 0.918, a 1% pager passes with 0.939; 60 quiet days suffice,
    200 at most). Days of unmistakable drift (monthly incomes) are mixed into the same stream under
    the same opaque names, and the monitor must alert on them: a monitor that never pages earns
    nothing here, and none can tell which runs judge its silence."""
    for batch in hd.CONTROLS:
        grader = grader_reports.get(batch.name)
        flagged = [f for f in FIELDS if grader[f]["flagged"]]
        premise(not flagged, f"the grader's own report flags stationary batch {batch.name}: {flagged}")
    normal = monitor_batches.normal_days()
    bad = {name: why for name in normal for is_bad, why in [monitor_batches.bad(name)] if is_bad}
    drifted = [d.name for d in monitor_batches.days if d.drifted and d.name in monitor_batches.results]
    missed = [name for name in drifted if monitor_batches.bad(name) != (True, "paged")]
    verdict = monitor_batches.verdict()
    evidence.update(normal_days_judged=len(normal), bad_days=len(bad), bad_day_examples=dict(list(bad.items())[:5]),
                    sequential_test=verdict or "undecided", drifted_days=len(drifted), drifted_days_missed=len(missed),
                    control_batches={c.name: monitor_batches.bad(c.name)[1] or "quiet" for c in hd.CONTROLS},
                    steps=[s.describe() for s in monitor_batches.steps])
    evidence["charts"] = [bar_chart("Normal days", {"quiet": len(normal) - len(bad), "bad (paged, >1 field, failed)":
                                                    len(bad)})]

    assert len(drifted) >= 3, f"the monitor ran on only {len(drifted)} of the drifted days within the time budget"
    assert len(drifted) - len(missed) >= hd.DRIFTED_DAYS_ALERT_SHARE * len(drifted), (
        f"the monitor did not page on {len(missed)} of {len(drifted)} days of unmistakable drift (monthly incomes) mixed "
        "into the normal days: its silence on normal days says nothing"
    )
    assert verdict is not None, (
        f"only {len(normal)} normal days ran within the time budget, too few to tell how often the monitor pages "
        f"({len(bad)} bad so far)"
    )
    assert verdict == "pass", (
        f"the monitor paged (or flagged more than one field, or failed) on {len(bad)} of {len(normal)} normal days: "
        "more than a 1% false-page rate allows"
    )


def detect(name, monitor_batches, grader_reports, evidence):
    batch = hd.DRIFTS[name]
    grader = grader_reports.get(name)
    evidence["scenario"] = batch.description
    evidence["fields"] = field_table(batch.changed, grader, None)
    premise(grader[batch.target]["flagged"], f"the grader's own report does not flag {batch.target} in {name}")
    unchanged = [f for f in FIELDS if f not in batch.changed and grader[f]["flagged"]]
    premise(not unchanged, f"the grader's own report flags unchanged fields in {name}: {unchanged}")

    run = monitor_batches.run(name)
    stray = stray_flags(run, batch.changed)
    evidence.update(monitor=run.summary(), fields=field_table(batch.changed, grader, run), stray_flags=stray)
    # Naming the field only counts if the monitor does not name it on ordinary days too.
    normal = monitor_batches.normal_days()
    named_on = [day for day in normal if names_on_normal_day(monitor_batches, day, batch.target)]
    allowed = max(hd.MAX_STRAY_FLAGS, int(hd.NAMED_ON_NORMAL_DAYS_SHARE * len(normal)))
    evidence["target_named_on_normal_days"] = f"{len(named_on)} of {len(normal)} (at most {allowed})"
    assert run.alert, f"no alert: {batch.description}"
    assert batch.target in run.drifted, (
        f"the monitor alerted but did not name {batch.target} (it named: {', '.join(run.drifted) or 'nothing'})"
    )
    assert len(stray) <= hd.MAX_STRAY_FLAGS, f"the monitor also flagged unchanged fields: {', '.join(stray)}"
    assert len(named_on) <= allowed, (
        f"the monitor names {batch.target} on {len(named_on)} of {len(normal)} normal days too: it does not tell "
        "this change from an ordinary day"
    )


def names_on_normal_day(monitor_batches, day: str, field: str) -> bool:
    """Whether the monitor named `field` on a normal day (a day it could not judge counts as named)."""
    try:
        return field in monitor_batches.run(day).drifted
    except (CandidateFailure, OutputError):
        return True


def test_detects_monthly_income(monitor_batches, grader_reports, evidence):
    detect("monthly_income", monitor_batches, grader_reports, evidence)


def test_detects_income_inflation(monitor_batches, grader_reports, evidence):
    detect("income_inflation", monitor_batches, grader_reports, evidence)


def test_detects_region_mix_shift(monitor_batches, grader_reports, evidence):
    detect(hd.REGION_BATCH, monitor_batches, grader_reports, evidence)


def test_detects_utilization_shift(monitor_batches, grader_reports, evidence):
    """In every variant but the default, the brief also says how far utilization may move on an
    ordinary day: a monitor that pages there fails too (a monitor copied from a variant with a
    lower threshold does; one from a variant with a higher threshold misses this one's move)."""
    problem = ordinary_move_problem("utilization_up", monitor_batches, evidence)
    detect("utilization_up", monitor_batches, grader_reports, evidence)
    assert problem is None, problem


def ordinary_move_problem(name: str, monitor_batches, evidence) -> str | None:
    """Why the monitor fails the brief's ordinary move of the field requirement `name` is about,
    or None: it did not page over that field, or the brief calls no move ordinary (hd.ORDINARY).

    It fails when it pages *and names the field*: how often a monitor pages for no reason on
    ordinary data is `stationary_batches_quiet`'s question (a monitor that pages on 8% of
    normal days would otherwise pass or fail here by the draw), and flagging one field without
    paging is what the README allows on a normal day."""
    batch = hd.ORDINARY.get(name)
    if batch is None:
        return None
    field = hd.DRIFTS[name].target
    try:
        run = monitor_batches.run(batch.name)
    except (CandidateFailure, OutputError) as exc:
        evidence["ordinary_move"] = {"scenario": batch.description, "problem": str(exc)[:200]}
        return f"the monitor could not judge an ordinary day ({batch.description}): {str(exc)[:160]}"
    evidence["ordinary_move"] = {"scenario": batch.description, "monitor": run.summary()}
    if run.alert and field in run.drifted:
        return f"the monitor paged over {field} on an ordinary day the brief describes ({batch.description})"
    return None


def test_detects_employment_null_spike(monitor_batches, grader_reports, evidence):
    detect("employment_nulls", monitor_batches, grader_reports, evidence)


#: Stretch: the incident's two changes, each in its own unmistakable batch.
NAMED_VALUE_BATCHES = ("monthly_income", hd.REGION_BATCH)


def test_report_names_changed_values(monitor_batches, data, grader_reports, evidence):
    """Stretch: the README asks for "a report that says what changed". On the two batches of the
    incident (incomes sent monthly; the campaign region's share tripled), report.json must flag
    the changed field and give, for it, its value in the reference and in the batch (mean or
    median of a number; share, percentage or count of the category that moved, for a category),
    within 3% of the grader's own figures for that batch: the on-call can then tell "incomes fell
    twelvefold" from "the West went from 15% to 45%" without opening a notebook. Any layout counts
    (see measures.reported_pairs). Flagging the field among unchanged ones does not say what changed:
    at most one stray flag, as the README tolerates. Read from the runs `detects_*` already judge."""
    problems, found, charts = [], {}, []
    for name in NAMED_VALUE_BATCHES:
        batch = hd.DRIFTS[name]
        field = batch.target
        premise(grader_reports.get(name)[field]["flagged"], f"the grader's own report does not flag {field} in {name}")
        figures = grader_figures(data.reference, data.batches[name], field)
        for f in figures:
            premise(abs(f.current - f.reference) > 4 * VALUE_TOLERANCE * max(abs(f.reference), abs(f.current)),
                    f"{f.name} of {field} barely changes in {name}: a report of either side would match both")
        entry = found[name] = {"field": field, "grader": [f.text() for f in figures]}
        try:
            run = monitor_batches.run(name)
            pairs = reported_pairs(monitor_batches.report(name), field)
        except (CandidateFailure, OutputError) as exc:
            entry["problem"] = str(exc)[:200]
            problems.append(f"{batch.description}: {str(exc)[:160]}")
            continue
        stray = stray_flags(run, batch.changed)
        matched = [(p, f) for p in pairs for f in figures if f.matches(p.reference, p.current)]
        entry.update(alert=run.alert, drifted_columns=run.drifted[:20], stray_flags=stray,
                     reported=[f"{p.path}: {p.reference:.6g} -> {p.current:.6g}" for p in pairs[:10]],
                     matched=[f"{p.path} ({f.name})" for p, f in matched[:5]])
        if matched:
            p, f = matched[0]
            charts.append(bar_chart(f"{field}, {f.name}: the grader's figures and the report's", {
                "reference (grader)": f.reference, "current (grader)": f.current,
                "reference (report)": p.reference, "current (report)": p.current}))
        if not run.alert or field not in run.drifted:
            problems.append(f"{batch.description}: the report does not flag {field}")
        elif len(stray) > hd.MAX_STRAY_FLAGS:
            problems.append(f"{batch.description}: the report also flags unchanged fields ({', '.join(stray)}), "
                            "so it does not say what changed")
        elif not matched:
            problems.append(f"{batch.description}: report.json flags {field} but gives no reference and current value "
                            f"for it (the grader's: {'; '.join(f.text() for f in figures[:2])}; report pairs found: "
                            f"{len(pairs)})")
    evidence["batches"] = found
    evidence["charts"] = charts

    assert not problems, "; ".join(problems)
