"""Bug `null-employment-imputation`: unknown employment must be treated as in training."""

from grader.verify.toolkit import bar_chart

import hidden_data as hd
from measures import calibration_gap, parity


def test_null_employment_served_calibration(frames, api_scores, batch_scores, evidence):
    # West rows with utilization 0: only the handling of a null employment can differ.
    agree = evidence["api_vs_batch_null_employment"] = parity(api_scores, batch_scores, frames["null"]["id"])
    calibration = frames["calibration"]
    nulls = calibration[calibration["employment_years"].isna()]
    gap = evidence["batch_calibration_null_employment"] = calibration_gap(nulls, batch_scores)
    evidence["tolerance"] = hd.CALIBRATION_TOLERANCE
    tol = hd.CALIBRATION_TOLERANCE
    evidence["charts"] = [bar_chart("Calibration gap, no employment history (predicted - observed)",
                                    {"batch": gap["gap"]}, band=(-tol, tol)),
                          bar_chart("API vs batch, largest difference", {"null rows": agree["max_abs_diff"]},
                                    band=(0, hd.PARITY_TOLERANCE))]

    assert agree["failed_requests"] == 0, f"{agree['failed_requests']} valid requests failed"
    assert agree["max_abs_diff"] <= hd.PARITY_TOLERANCE, (
        f"API and batch disagree on applicants without employment history (max gap {agree['max_abs_diff']:.4f})"
    )
    assert abs(gap["gap"]) <= hd.CALIBRATION_TOLERANCE, (
        f"applicants without employment history are miscalibrated by {gap['gap']:+.3f}"
    )
