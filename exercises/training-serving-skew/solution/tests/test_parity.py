"""The API must score an application exactly as the batch job scores it in warehouse units."""

import math

import numpy as np
import pandas as pd

from credit_risk.batch import score
from credit_risk.features import REGIONS


def to_api_payload(row: pd.Series) -> dict:
    payload = row.drop(["id", "credit_utilization"]).to_dict()
    payload["credit_utilization_pct"] = row["credit_utilization"] * 100
    if math.isnan(payload["employment_years"]):
        payload["employment_years"] = None
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in payload.items()}


def parity_sample(applications: pd.DataFrame) -> pd.DataFrame:
    """Every region with and without employment history, plus the extremes of each input."""
    frame = applications.drop(columns="default")
    parts = [frame.sample(200, random_state=0), frame[frame["employment_years"].isna()]]
    for region in REGIONS:
        parts.append(frame[frame["region"] == region].head(5))
    extremes = frame.head(4).copy()
    extremes["credit_utilization"] = [0.0, 1.0, 0.0, 1.0]
    extremes["employment_years"] = [0.0, np.nan, 45.0, np.nan]
    extremes["annual_income"] = [1_000.0, 2_000_000.0, 5_000.0, 50_000.0]
    extremes["id"] = [f"extreme-{i}" for i in range(4)]
    parts.append(extremes)
    return pd.concat(parts).drop_duplicates("id").reset_index(drop=True)


def test_api_scores_like_batch(client, applications, tmp_path):
    sample = parity_sample(applications)
    assert sample["employment_years"].isna().any() and set(sample["region"]) == set(REGIONS)
    sample.to_csv(tmp_path / "in.csv", index=False)
    score(str(tmp_path / "in.csv"), str(tmp_path / "out.csv"))
    offline = pd.read_csv(tmp_path / "out.csv")["probability_default"].to_numpy()

    online = []
    for _, row in sample.iterrows():
        response = client.post("/predict", json=to_api_payload(row))
        assert response.status_code == 200, response.text
        online.append(response.json()["probability_default"])

    np.testing.assert_allclose(online, offline, rtol=0, atol=1e-9)


def test_model_imputes_unknown_employment_with_the_training_median(store, applications):
    from credit_risk.registry import load_champion

    model = load_champion(store).model
    median = model.named_steps["features"].config_["employment_years_median"]
    rows = applications.drop(columns=["id", "default"]).head(3).copy()
    unknown, imputed = rows.copy(), rows.copy()
    unknown["employment_years"] = None
    imputed["employment_years"] = median
    np.testing.assert_allclose(model.predict_proba(unknown), model.predict_proba(imputed), rtol=0, atol=1e-12)
