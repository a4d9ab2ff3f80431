"""Bug `always-green-monitor`: the monitor must alert on what the README requires, name the
field that changed, and stay quiet on stationary data.

Each batch is 3,000 fresh applications compared with 5,000 reference applications, both
handed to the monitor's explicit mode (all batches in one sandbox step, under opaque names). Evidence shows, per field, whether the data really
changed (the generator), whether the grader's own Evidently report flags it, and whether the
candidate's monitor did.
"""

from grader.sandbox import CandidateFailure, OutputError

import hidden_data as hd
from measures import FIELDS, batch_monitor_run, field_table, premise, stray_flags


def test_stationary_batches_quiet(monitor_batches, grader_reports, evidence):
    failures = []
    for batch in hd.CONTROLS:
        grader = grader_reports.get(batch.name)
        record = evidence[batch.name] = {"fields_flagged_by_grader": [f for f in FIELDS if grader[f]["flagged"]]}
        premise(not record["fields_flagged_by_grader"], f"the grader's own report flags stationary batch {batch.name}")
        try:
            run = batch_monitor_run(monitor_batches, hd.OPAQUE[batch.name])
        except (CandidateFailure, OutputError) as exc:
            record["monitor_failed"] = str(exc)
            failures.append(exc)
            continue
        record.update(monitor=run.summary(), fields_flagged_by_monitor=run.flagged_fields)
        if run.alert:
            failures.append(AssertionError(f"the monitor alerted on stationary batch {batch.name} "
                                           f"(flagged: {', '.join(run.drifted) or 'nothing'})"))
        elif len(run.flagged_fields) > hd.MAX_STRAY_FLAGS:
            failures.append(AssertionError(f"the monitor flagged {len(run.flagged_fields)} fields on stationary batch "
                                           f"{batch.name}: {', '.join(run.flagged_fields)}"))
    evidence["batches_quiet"] = f"{len(hd.CONTROLS) - len(failures)} of {len(hd.CONTROLS)}"
    if failures:
        raise failures[0]


def detect(name, monitor_batches, grader_reports, evidence):
    batch = hd.DRIFTS[name]
    grader = grader_reports.get(name)
    evidence["scenario"] = batch.description
    evidence["fields"] = field_table(batch.changed, grader, None)
    premise(grader[batch.target]["flagged"], f"the grader's own report does not flag {batch.target} in {name}")
    unchanged = [f for f in FIELDS if f not in batch.changed and grader[f]["flagged"]]
    premise(not unchanged, f"the grader's own report flags unchanged fields in {name}: {unchanged}")

    run = batch_monitor_run(monitor_batches, hd.OPAQUE[name])
    stray = stray_flags(run, batch.changed)
    evidence.update(monitor=run.summary(), fields=field_table(batch.changed, grader, run), stray_flags=stray)
    # Naming the field only counts if the monitor does not name it on ordinary days too.
    on_controls = [c.name for c in hd.CONTROLS if flags_on_control(monitor_batches, c.name, batch.target)]
    evidence["target_flagged_on_controls"] = f"{len(on_controls)} of {len(hd.CONTROLS)}"
    assert run.alert, f"no alert: {batch.description}"
    assert batch.target in run.drifted, (
        f"the monitor alerted but did not name {batch.target} (it named: {', '.join(run.drifted) or 'nothing'})"
    )
    assert len(stray) <= hd.MAX_STRAY_FLAGS, f"the monitor also flagged unchanged fields: {', '.join(stray)}"
    assert len(on_controls) <= hd.MAX_STRAY_FLAGS, (
        f"the monitor names {batch.target} on stationary batches too ({', '.join(on_controls)}): it does not tell "
        "this change from an ordinary day"
    )


def flags_on_control(monitor_batches, control: str, field: str) -> bool:
    """Whether the monitor named `field` on a control batch (a control it could not judge counts as named)."""
    try:
        return field in batch_monitor_run(monitor_batches, hd.OPAQUE[control]).drifted
    except (CandidateFailure, OutputError):
        return True


def test_detects_monthly_income(monitor_batches, grader_reports, evidence):
    detect("monthly_income", monitor_batches, grader_reports, evidence)


def test_detects_income_inflation(monitor_batches, grader_reports, evidence):
    detect("income_inflation", monitor_batches, grader_reports, evidence)


def test_detects_region_mix_shift(monitor_batches, grader_reports, evidence):
    detect("region_west_heavy", monitor_batches, grader_reports, evidence)


def test_detects_utilization_shift(monitor_batches, grader_reports, evidence):
    detect("utilization_up", monitor_batches, grader_reports, evidence)


def test_detects_employment_null_spike(monitor_batches, grader_reports, evidence):
    detect("employment_nulls", monitor_batches, grader_reports, evidence)
