"""Whole-service checks: the two scoring paths agree, and what worked keeps working."""

from sklearn.metrics import roc_auc_score

from grader.verify.toolkit import bar_chart, require_ok, send
from grader.worlds import credit

import hidden_data as hd
from measures import parity


def test_online_offline_parity(frames, api_scores, batch_scores, evidence):
    rows = frames["parity"]
    result = evidence["api_vs_batch"] = parity(api_scores, batch_scores, rows["id"])
    diff = (api_scores.probability.loc[rows["id"]] - batch_scores.loc[rows["id"]]).abs().fillna(float("inf"))
    off = rows[(diff > hd.PARITY_TOLERANCE).to_numpy()]
    evidence["rows_over_tolerance_by_region"] = off["region"].value_counts().to_dict()
    evidence[f"rows_over_tolerance_with_{hd.NULLABLE_FIELD}_missing"] = int(off[hd.NULLABLE_FIELD].isna().sum())
    by_region = diff.groupby(rows["region"].to_numpy()).max().replace(float("inf"), 1.0)
    evidence["charts"] = [bar_chart("Largest |API - batch| by region", by_region.to_dict(), band=(0, hd.PARITY_TOLERANCE))]
    assert result["max_abs_diff"] <= hd.PARITY_TOLERANCE, (
        f"{result['rows_over_tolerance']} of {result['rows']} applications score differently online and offline "
        f"(max gap {result['max_abs_diff']:.4f})"
    )


def test_served_version_is_champion(sandbox, service, request, evidence):
    probe = require_ok(sandbox.run("champion-probe", ["{python}", "-I", "{probes}/champion.py", "{out}"], env=hd.STORE_ENV))
    champion = str(probe.read_json("champion.json").get("version"))
    health = send(service, "GET", "/health")
    body = health.json() if health.status == 200 else {}
    served = body.get("model_version") if isinstance(body, dict) else None
    evidence.update(champion=champion, health_status=health.status, health_model_version=served)
    assert health.status == 200, f"/health answered {health.status}"
    assert str(served) == champion, f"/health reports version {served!r}, the registry's champion is {champion!r}"
    versions = request.getfixturevalue("api_scores").versions  # every /predict answer, too
    evidence["predict_model_versions"] = sorted(versions)
    assert versions <= {champion}, f"/predict answered with versions {sorted(versions)}"


def test_batch_auc_floor(frames, batch_scores, evidence):
    rows = frames["calibration"]
    auc = roc_auc_score(rows[credit.LABEL], batch_scores.loc[rows["id"]])
    evidence.update(rows=len(rows), auc=round(auc, 4), floor=hd.AUC_FLOOR)
    assert auc >= hd.AUC_FLOOR, f"batch AUC is {auc:.3f}, below {hd.AUC_FLOOR}"
