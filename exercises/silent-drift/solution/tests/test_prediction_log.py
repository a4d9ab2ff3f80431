"""Every prediction reaches the prediction log, in warehouse units, without failing requests."""

import json

import pytest
from fastapi.testclient import TestClient

from conftest import to_api_payload


def read_log(folder):
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl")) for line in path.read_text().splitlines()]


def test_each_prediction_is_logged_as_scored(store, champion_version, applications, tmp_path, monkeypatch):
    monkeypatch.setenv("CREDIT_RISK_PREDICTION_LOG_DIR", str(tmp_path / "log"))
    from credit_risk.api import app

    rows = applications.drop(columns=["id", "default"]).head(50).to_dict("records")
    with TestClient(app) as client:  # leaving the block shuts the service down, which flushes the log
        answers = [client.post("/predict", json=to_api_payload(row)).json() for row in rows]

    records = read_log(tmp_path / "log")
    assert len(records) == len(rows)
    for row, answer, record in zip(rows, answers, records):
        assert record["probability_default"] == answer["probability_default"]
        assert record["model_version"] == champion_version
        assert record["timestamp"].endswith("+00:00")
        assert record["features"]["credit_utilization"] == pytest.approx(row["credit_utilization"])
        assert record["features"]["annual_income"] == row["annual_income"]
        assert (record["features"]["employment_years"] is None) == (row["employment_years"] != row["employment_years"])


def test_predictions_are_logged_while_the_service_runs(store, applications, tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("CREDIT_RISK_PREDICTION_LOG_DIR", str(tmp_path / "log"))
    from credit_risk.api import app

    with TestClient(app) as client:
        client.post("/predict", json=to_api_payload(applications.iloc[0].to_dict()))
        time.sleep(2)
        assert len(read_log(tmp_path / "log")) == 1


def test_an_unwritable_log_does_not_fail_predictions(store, applications, tmp_path, monkeypatch):
    (tmp_path / "blocked").write_text("a file where the log folder should be")
    monkeypatch.setenv("CREDIT_RISK_PREDICTION_LOG_DIR", str(tmp_path / "blocked" / "log"))
    from credit_risk.api import app

    with TestClient(app) as client:
        for row in applications.drop(columns=["id", "default"]).head(5).to_dict("records"):
            assert client.post("/predict", json=to_api_payload(row)).status_code == 200
