"""Bug `no-reference-stored`: the monitor's default run must compare the service's own log
with the reference stored with the champion.

The grader trains on a world unlike the starter's committed data and replays traffic
through POST /predict: the training applications themselves must not alert (a reference
that is not the champion's own training data alerts here; any sample of that data is a
subset of the replay, so the monitor's statistical noise cannot decide this check: the
normal days of `stationary_batches_quiet` judge it), the incident applied to 1,500 of them
must (the campaign region's share x3.3, 40% of applications with the partner's garbled
income). Being quiet on stationary traffic counts only when the same run alerts on the
incident's traffic, and naming the incident's fields only when the same run does not name them
on stationary traffic.
"""

from grader.sandbox import CandidateFailure, OutputError

import hidden_data as hd
from measures import FIELDS, field_table, monitor_run, premise, stray_flags

ROWS_READ = 0.95  # the monitor must have read (nearly) every logged prediction


def judge(phase, grader, changed, evidence):
    replay = phase.replay
    evidence["replay"] = {"requests": len(replay.rows), "answered_200": replay.ok}
    evidence["log_records"] = phase.log.summary.get("records")
    evidence["fields"] = field_table(changed, grader, None)
    run = monitor_run(phase.monitor)
    evidence.update(monitor=run.summary(), fields=field_table(changed, grader, run))
    assert replay.ok == len(replay.rows), f"{len(replay.rows) - replay.ok} valid requests failed"
    assert run.current_rows is not None and run.reference_rows is not None, (
        "report.json lacks reference_rows/current_rows, so it does not show what was compared")
    assert ROWS_READ * replay.ok <= run.current_rows <= replay.ok, (
        f"the monitor compared {run.current_rows} current rows; the service answered {replay.ok} predictions")
    assert run.reference_rows > 0, "the monitor compared against an empty reference"
    return run


def test_e2e_stationary_traffic_quiet(stationary_phase, drifted_phase, grader_reports, evidence):
    grader = grader_reports.get("stationary_replay")
    premise(not any(grader[f]["flagged"] for f in FIELDS), "the grader's own report flags the stationary replay")
    run = judge(stationary_phase, grader, hd.STATIONARY_REPLAY_CHANGED, evidence)
    assert not run.alert, (
        f"the monitor alerted on stationary traffic against the champion's reference (flagged: {', '.join(run.drifted)})")
    assert len(run.flagged_fields) <= hd.MAX_STRAY_FLAGS, f"flagged on stationary traffic: {', '.join(run.flagged_fields)}"
    # Quiet only counts from a monitor that is not blind: run the same way on the incident's
    # traffic, it must alert (what it names is judged by e2e_drifted_traffic_alerts).
    try:
        drifted = monitor_run(drifted_phase.monitor)
    except (CandidateFailure, OutputError) as exc:
        evidence["same_monitor_on_incident_traffic"] = f"failed: {exc}"
        raise AssertionError("quiet, but the same default run failed on the incident's traffic, so it proves nothing") from None
    evidence["same_monitor_on_incident_traffic"] = drifted.summary()
    assert drifted.alert, "quiet, but the same default run did not alert on the incident's traffic either: it never alerts"


def test_e2e_drifted_traffic_alerts(drifted_phase, stationary_phase, grader_reports, evidence):
    grader = grader_reports.get("drifted_replay")
    premise(all(grader[f]["flagged"] for f in hd.DRIFTED_REPLAY_CHANGED), "the grader's own report misses the incident")
    run = judge(drifted_phase, grader, hd.DRIFTED_REPLAY_CHANGED, evidence)
    stray = evidence["stray_flags"] = stray_flags(run, hd.DRIFTED_REPLAY_CHANGED)
    assert run.alert, (f"no alert on the incident's traffic ({hd.CAMPAIGN_REGION} share x3.3, 40% of incomes "
                       f"divided by {hd.PARTNER['divisor']})")
    missed = [f for f in hd.DRIFTED_REPLAY_CHANGED if f not in run.drifted]
    assert not missed, f"the monitor alerted but did not name {', '.join(missed)}"
    assert len(stray) <= hd.MAX_STRAY_FLAGS, f"the monitor also flagged unchanged fields: {', '.join(stray)}"
    # Naming them only counts if the same default run does not name them on stationary traffic.
    try:
        quiet = monitor_run(stationary_phase.monitor)
    except (CandidateFailure, OutputError) as exc:
        evidence["same_monitor_on_stationary_traffic"] = f"failed: {exc}"
        raise AssertionError("the same default run failed on stationary traffic, so naming these proves nothing") from None
    evidence["same_monitor_on_stationary_traffic"] = quiet.summary()
    named = [f for f in hd.DRIFTED_REPLAY_CHANGED if f in quiet.drifted]
    assert not named, f"the same default run names {', '.join(named)} on stationary traffic too"
