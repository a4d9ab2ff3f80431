import pytest
from fastapi.testclient import TestClient

APPLICATION = {
    "age": 38,
    "annual_income": 52000.0,
    "employment_years": 6.5,
    "debt": 9000.0,
    "credit_utilization_pct": 31.0,
    "num_late_payments": 1,
    "loan_amount": 12000.0,
    "region": "north",
    "home_ownership": "rent",
}


@pytest.fixture(scope="module")
def client(store):
    from credit_risk.api import app

    with TestClient(app) as client:
        yield client


def test_health_reports_the_champion(client, champion_version):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model_version": champion_version}


def test_predict_returns_a_probability(client, champion_version):
    response = client.post("/predict", json=APPLICATION)
    assert response.status_code == 200
    body = response.json()
    assert 0.0 <= body["probability_default"] <= 1.0
    assert body["model_version"] == champion_version


def test_predict_accepts_unknown_employment_history(client):
    response = client.post("/predict", json={**APPLICATION, "employment_years": None})
    assert response.status_code == 200


@pytest.mark.parametrize("change", [{"credit_utilization_pct": 4500}, {"region": "central"}, {"annual_income": 0}])
def test_predict_rejects_invalid_applications(client, change):
    assert client.post("/predict", json={**APPLICATION, **change}).status_code == 422


def test_predict_rejects_an_incomplete_application(client):
    incomplete = {k: v for k, v in APPLICATION.items() if k != "annual_income"}
    assert client.post("/predict", json=incomplete).status_code == 422
