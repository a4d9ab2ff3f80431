"""Each model version carries its reference; the default monitor run uses it and the log."""

import json

from fastapi.testclient import TestClient

from conftest import to_api_payload
from credit_risk.features import RAW_COLUMNS


def test_training_stores_a_reference_with_the_model(store):
    from credit_risk.registry import load_reference

    reference = load_reference(store).frame
    assert set(RAW_COLUMNS) <= set(reference.columns)
    assert "default" not in reference.columns
    assert 1000 <= len(reference) <= 5000
    assert reference["probability_default"].between(0, 1).all()


def test_default_run_compares_the_log_with_the_champions_reference(store, applications, tmp_path, monkeypatch):
    monkeypatch.setenv("CREDIT_RISK_PREDICTION_LOG_DIR", str(tmp_path / "log"))
    from credit_risk.api import app
    from credit_risk.monitoring.__main__ import main

    # The champion's own training applications replayed (the store fixture trains on the first
    # 1,500): its stored reference is a sample of them, so nothing may alert, whatever the draw.
    rows = applications.drop(columns=["id", "default"]).iloc[:1500].to_dict("records")
    with TestClient(app) as client:
        for row in rows:
            assert client.post("/predict", json=to_api_payload(row)).status_code == 200

    code = main(["--output", str(tmp_path / "report")])
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["current_rows"] == len(rows)
    assert report["reference_rows"] >= 1000
    assert "probability_default" in report["columns"]
    assert code == 0, report["drifted_columns"]
