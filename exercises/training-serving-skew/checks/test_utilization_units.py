"""Bug `utilization-units`: the API's utilization (a percentage, per-mille or basis-point figure,
by variant: hd.UNIT) must reach the model as a fraction."""

from sklearn.metrics import roc_auc_score

from grader.verify.toolkit import bar_chart, send
from grader.worlds import credit

import hidden_data as hd
from measures import parity


def test_api_unit_contract(frames, api_scores, batch_scores, service, evidence):
    # West rows with nothing missing: the other two skews cannot move these.
    evidence["same_row_api_vs_batch"] = parity(api_scores, batch_scores, frames["unit"]["id"])
    row = hd.to_api_payload(frames["unit"].iloc[0].to_dict())
    statuses = {}
    field, scale = hd.UNIT["field"], hd.UNIT["scale"]
    for value in (45 * scale, -5):  # 4,500% (or the same share in the variant's unit), and a negative figure
        statuses[str(value)] = send(service, "POST", "/predict", {**row, field: value}).status
    evidence["out_of_range_status"] = statuses

    same = evidence["same_row_api_vs_batch"]
    assert same["failed_requests"] == 0, f"{same['failed_requests']} valid requests failed"
    assert same["max_abs_diff"] <= hd.PARITY_TOLERANCE, (
        f"{field}={scale}*u scores differently from credit_utilization=u in batch "
        f"(max gap {same['max_abs_diff']:.4f})"
    )
    assert all(code == 422 for code in statuses.values()), (
        f"out-of-range {hd.UNIT['noun']}s answered {statuses}, expected 422")


def test_api_auc_floor(frames, api_scores, evidence):
    fresh = frames["parity"][frames["parity"]["id"].str.startswith("p")]
    scores = api_scores.probability.loc[fresh["id"]]
    failed = int(scores.isna().sum())
    evidence["rows"] = len(fresh)
    evidence["failed_requests"] = failed
    assert failed == 0, f"{failed} of {len(fresh)} valid requests failed"
    auc = roc_auc_score(fresh[credit.LABEL], scores)
    evidence.update(auc=round(auc, 4), floor=hd.AUC_FLOOR, mean_predicted=round(float(scores.mean()), 4),
                    observed_rate=round(float(fresh[credit.LABEL].mean()), 4))
    evidence["charts"] = [bar_chart("AUC of API predictions", {"API": auc}, band=(hd.AUC_FLOOR, 1.0))]
    assert auc >= hd.AUC_FLOOR, f"AUC through the API is {auc:.3f}, below {hd.AUC_FLOOR}"
