"""Shared fixtures: one model trained once per test session into a throwaway store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "applications.csv"


@pytest.fixture(scope="session")
def applications() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="session")
def store(tmp_path_factory, applications) -> Path:
    """A model store holding one champion, trained on a small slice of the data for speed.

    The prediction log goes to a throwaway folder as well, never into the repo."""
    root = tmp_path_factory.mktemp("store")
    subset = root / "train.csv"
    applications.head(1500).to_csv(subset, index=False)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CREDIT_RISK_STORE", str(root / "mlstore"))
        mp.setenv("CREDIT_RISK_PREDICTION_LOG_DIR", str(root / "prediction-logs"))
        from credit_risk.train import train

        train(str(subset))
        yield root / "mlstore"


@pytest.fixture(scope="session")
def champion_version(store) -> str:
    from credit_risk.registry import load_champion

    return load_champion(store).version
