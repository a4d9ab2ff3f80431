"""The promotion step end to end, in throwaway stores: what went wrong on the 12th cannot go live."""

from pathlib import Path

import pandas as pd
import pytest

from credit_risk.config import FEATURES, LABEL, MODEL_NAME

DATA = Path(__file__).resolve().parents[1] / "data"
BLOCKED = 3


@pytest.fixture
def fresh_store(tmp_path, monkeypatch):
    monkeypatch.setenv("CREDIT_RISK_STORE", str(tmp_path / "mlstore"))
    from credit_risk.registry import connect

    return connect(tmp_path / "mlstore")


def snapshot(name: str, rows: int, tmp_path: Path) -> str:
    path = tmp_path / f"{name}-{rows}.csv"
    pd.read_csv(DATA / f"applications_{name}.csv").head(rows).to_csv(path, index=False)
    return str(path)


def train(path: str) -> int:
    from credit_risk.train import main

    return main(["--data", path])


def promote(version: str) -> int:
    from credit_risk.promote import main

    return main(["--version", version])


def tags(client, version: str) -> dict:
    return client.get_model_version(MODEL_NAME, version).tags


def aliases(client) -> dict:
    return {k: str(v) for k, v in client.get_registered_model(MODEL_NAME).aliases.items()}


def test_the_snapshot_with_the_broken_west_join_is_blocked(fresh_store, tmp_path):
    assert train(snapshot("2026-01-05", 4000, tmp_path)) == 0
    assert train(snapshot("2026-01-12", 4000, tmp_path)) == BLOCKED

    assert aliases(fresh_store) == {"champion": "1"}
    record = tags(fresh_store, "2")
    assert record["promotion.decision"] == "blocked"
    assert "west" in record["promotion.reason"]


def test_a_better_model_is_promoted_and_the_old_champion_stays_recoverable(fresh_store, tmp_path):
    assert train(snapshot("2026-01-05", 800, tmp_path)) == 0
    assert train(snapshot("2026-01-05", 8000, tmp_path)) == 0

    assert aliases(fresh_store) == {"champion": "2", "previous-champion": "1"}
    assert tags(fresh_store, "2")["promotion.previous_champion"] == "1"

    # Promoting again changes nothing; rolling back restores the previous champion.
    assert promote("2") == 0
    assert aliases(fresh_store) == {"champion": "2", "previous-champion": "1"}
    from credit_risk.promote import main

    assert main(["--rollback"]) == 0
    assert aliases(fresh_store) == {"champion": "1", "previous-champion": "2"}


def test_a_version_that_cannot_score_the_warehouse_schema_is_blocked(fresh_store, tmp_path):
    from credit_risk.model import build_model
    from credit_risk.registry import register

    assert train(snapshot("2026-01-05", 4000, tmp_path)) == 0
    raw = pd.read_csv(DATA / "applications_2026-01-05.csv").head(2000)
    renamed = raw.rename(columns={"employment_years": "tenure_years"})  # a notebook's own naming
    columns = [c if c != "employment_years" else "tenure_years" for c in FEATURES]
    model = build_model()
    categorical, (name, numeric_steps, numeric) = model.named_steps["prepare"].transformers
    numeric = [c if c != "employment_years" else "tenure_years" for c in numeric]
    model.named_steps["prepare"].set_params(transformers=[categorical, (name, numeric_steps, numeric)])
    model.fit(renamed[columns], renamed[LABEL])
    version = register(model, renamed[columns].head(50), params={"source": "test"}, metrics={})

    assert promote(version) == BLOCKED
    assert aliases(fresh_store) == {"champion": "1"}
    assert tags(fresh_store, version)["promotion.decision"] == "blocked"
