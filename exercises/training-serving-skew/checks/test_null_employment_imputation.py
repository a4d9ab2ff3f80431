"""Bug `null-employment-imputation`: a missing value of the variant's nullable field
(`employment_years` by default, `num_late_payments` in nullable=late-payments) must be treated
as in training.

Power (bench/skew_null_calibration_power.py, 200 reseeded hidden data sets, the starter's
model): applicants without employment history are missing completely at random, so a
pipeline that treats them as training did is as well calibrated on them as on everyone
else. Their *excess* gap (their calibration gap minus that of applicants with a known
history, both against the true probability) was 0.003 to 0.011 for the training-time
median (mean 0.006, sd 0.0013), and 0.021 to 0.067 for the serving path's zero (mean
0.044, sd 0.008). At 0.015 the reference is 7 sd inside and a zero imputation is 3.4 sd
outside (fails on every one of the 200 draws). The plain gap against the observed default
rate, used before, had an sd of 0.014 for the zero imputation and let it pass on 23% of them.
For a missing late-payment count (`bench/skew_null_calibration_power.py 200 late-payments`) the
median's excess gap was 0.002 to 0.011 (mean 0.006, sd 0.0017: 5 sd inside) and the zero's
-0.089 to -0.066 (mean -0.078, sd 0.0047: 13 sd outside); both statistics fail it on every draw.
"""

from grader.verify.toolkit import bar_chart

import hidden_data as hd
from measures import calibration_gap, parity


def test_null_employment_served_calibration(frames, api_scores, batch_scores, evidence):
    # West rows with utilization 0: only the handling of the missing field can differ.
    field, without = hd.NULLABLE_FIELD, hd.NULLABLE["without"]
    evidence["nullable_field"] = field
    agree = evidence["api_vs_batch_null_rows"] = parity(api_scores, batch_scores, frames["null"]["id"])
    calibration = frames["calibration"]
    unknown = calibration[field].isna()
    gap = evidence["batch_calibration_null_rows"] = calibration_gap(calibration[unknown], batch_scores)
    known = evidence["batch_calibration_known_rows"] = calibration_gap(calibration[~unknown], batch_scores)
    excess = evidence["excess_gap_null_rows"] = round(gap["gap"] - known["gap"], 4)
    tol, excess_tol = hd.CALIBRATION_TOLERANCE, hd.EXCESS_GAP_TOLERANCE
    evidence["tolerance"] = tol
    evidence["excess_tolerance"] = excess_tol
    evidence["charts"] = [bar_chart(f"Calibration gap, {field} missing (predicted - true probability)",
                                    {"batch": gap["gap"]}, band=(-tol, tol)),
                          bar_chart(f"Excess gap over applicants with {field} known",
                                    {"batch": excess}, band=(-excess_tol, excess_tol)),
                          bar_chart("API vs batch, largest difference", {"null rows": agree["max_abs_diff"]},
                                    band=(0, hd.PARITY_TOLERANCE))]

    assert agree["failed_requests"] == 0, f"{agree['failed_requests']} valid requests failed"
    assert agree["max_abs_diff"] <= hd.PARITY_TOLERANCE, (
        f"API and batch disagree on applicants {without} (max gap {agree['max_abs_diff']:.4f})"
    )
    assert abs(gap["gap"]) <= tol, f"applicants {without} are miscalibrated by {gap['gap']:+.3f}"
    assert abs(excess) <= excess_tol, (
        f"applicants {without} are miscalibrated by {excess:+.3f} more than those with {field} known "
        f"(gap {gap['gap']:+.3f} vs {known['gap']:+.3f})"
    )
