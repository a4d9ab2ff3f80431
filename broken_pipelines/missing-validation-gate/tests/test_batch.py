import pandas as pd

from credit_risk.batch import score


def test_batch_scores_every_application_with_the_champion(store, champion_version, last_week, tmp_path):
    unlabelled = last_week.drop(columns="default").tail(300)
    unlabelled.to_csv(tmp_path / "in.csv", index=False)

    score(str(tmp_path / "in.csv"), str(tmp_path / "out.csv"))

    out = pd.read_csv(tmp_path / "out.csv", dtype={"model_version": str})
    assert list(out.columns) == ["id", "probability_default", "model_version"]
    assert out["id"].tolist() == unlabelled["id"].tolist()
    assert out["probability_default"].between(0, 1).all()
    assert (out["model_version"] == champion_version).all()
