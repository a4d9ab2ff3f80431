"""Bug `region-one-hot-order`: every region must be encoded as in training."""

from grader.verify.toolkit import bar_chart
from grader.worlds import credit

import hidden_data as hd
from measures import calibration_gap, parity


def test_region_served_calibration(frames, api_scores, batch_scores, evidence):
    # Utilization 0 and employment known: only the region encoding can differ.
    agree = evidence["api_vs_batch_by_region"] = parity(api_scores, batch_scores, frames["region"]["id"])
    calibration = frames["calibration"]
    gaps = evidence["batch_calibration_by_region"] = {
        region: calibration_gap(calibration[calibration["region"] == region], batch_scores) for region in credit.REGIONS
    }
    evidence["tolerance"] = hd.CALIBRATION_TOLERANCE
    tol = hd.CALIBRATION_TOLERANCE
    evidence["charts"] = [bar_chart("Batch calibration gap by region (predicted - observed)",
                                    {r: g["gap"] for r, g in gaps.items()}, band=(-tol, tol))]

    assert agree["failed_requests"] == 0, f"{agree['failed_requests']} valid requests failed"
    assert agree["max_abs_diff"] <= hd.PARITY_TOLERANCE, (
        f"API and batch disagree on region encoding (max gap {agree['max_abs_diff']:.4f})"
    )
    off = {r: g["gap"] for r, g in gaps.items() if abs(g["gap"]) > hd.CALIBRATION_TOLERANCE}
    assert not off, "miscalibrated regions: " + ", ".join(f"{r} {g:+.3f}" for r, g in off.items())
