"""Shared fixtures: a throwaway model store whose champion the weekly job trained."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
LAST_WEEK = DATA / "applications_2026-01-05.csv"


@pytest.fixture(scope="session")
def last_week() -> pd.DataFrame:
    return pd.read_csv(LAST_WEEK)


@pytest.fixture(scope="session")
def store(tmp_path_factory, last_week) -> Path:
    """A fresh store after one run of the weekly job, on a slice of last week's (clean) snapshot."""
    root = tmp_path_factory.mktemp("store")
    subset = root / "train.csv"
    last_week.head(3000).to_csv(subset, index=False)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CREDIT_RISK_STORE", str(root / "mlstore"))
        from credit_risk.train import main

        assert main(["--data", str(subset)]) == 0
        yield root / "mlstore"


@pytest.fixture
def client(store):
    from credit_risk.registry import connect

    return connect(store)


@pytest.fixture
def champion_version(client) -> str | None:
    from credit_risk.registry import champion_version

    return champion_version(client)
