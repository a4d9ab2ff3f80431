import pytest

from credit_risk.api import LoanApplication, to_warehouse_row

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


def test_predict_rejects_an_incomplete_application(client):
    incomplete = {k: v for k, v in APPLICATION.items() if k != "annual_income"}
    assert client.post("/predict", json=incomplete).status_code == 422


def test_utilization_percentage_becomes_a_fraction():
    row = to_warehouse_row(LoanApplication(**{**APPLICATION, "credit_utilization_pct": 45}))
    assert row["credit_utilization"] == pytest.approx(0.45)
    assert "credit_utilization_pct" not in row


def test_unknown_employment_stays_unknown_for_the_model_to_impute():
    row = to_warehouse_row(LoanApplication(**{**APPLICATION, "employment_years": None}))
    assert row["employment_years"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"credit_utilization_pct": 4500},
        {"credit_utilization_pct": -5},
        {"region": "North"},
        {"region": "central"},
        {"home_ownership": "lease"},
        {"annual_income": 0},
    ],
)
def test_predict_rejects_invalid_applications(client, change):
    assert client.post("/predict", json={**APPLICATION, **change}).status_code == 422


@pytest.mark.parametrize("pct", [0, 100])
def test_predict_accepts_utilization_bounds(client, pct):
    assert client.post("/predict", json={**APPLICATION, "credit_utilization_pct": pct}).status_code == 200
