"""Bug `no-prediction-log`: every prediction must reach the prediction log, as the README
describes it, within the promised 2 seconds, while the service runs."""

from measures import compare_log


def test_prediction_log_records_traffic(stationary_phase, champion, evidence):
    phase = stationary_phase
    replay = phase.replay
    evidence["replay"] = {"requests": len(replay.rows), "answered_200": replay.ok, **replay.latency()}
    evidence["log_reads"] = phase.log_reads
    assert replay.ok == len(replay.rows), f"{len(replay.rows) - replay.ok} valid requests failed"

    result = evidence["log"] = compare_log(replay, phase.log, champion)
    assert result["records"] > 0, "no prediction records (*.jsonl) in CREDIT_RISK_PREDICTION_LOG_DIR"
    assert result["missing"] == 0, f"{result['missing']} of {result['requests_answered']} predictions are not in the log"
    assert result["duplicates"] == 0, f"{result['duplicates']} predictions are logged more than once"
    assert result["unmatched_records"] == 0, f"{result['unmatched_records']} records match no request that was sent"
    assert not result["mismatches"], "logged values differ from what was sent and answered: " + ", ".join(
        f"{field} ({count})" for field, count in result["mismatches"].items())
