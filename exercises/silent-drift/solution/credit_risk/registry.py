"""Thin helpers around the MLflow registry: connect to the store, load the champion and its
reference data."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient

from credit_risk.config import CHAMPION_ALIAS, EXPERIMENT, MODEL_NAME, REFERENCE_ARTIFACT, store_dir


def connect(store: Path | None = None) -> MlflowClient:
    store = store or store_dir()
    store.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{store / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        mlflow.create_experiment(EXPERIMENT, artifact_location=(store / "artifacts").as_uri())
    mlflow.set_experiment(EXPERIMENT)
    return MlflowClient()


@dataclass
class Champion:
    #: A pipeline that takes warehouse rows (see features.RAW_COLUMNS) and returns probabilities.
    model: Any
    version: str
    run_id: str


def load_champion(store: Path | None = None) -> Champion:
    client = connect(store)
    mv = client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS)
    # Load the exact version the alias points to now, not whatever it points to a moment later.
    model = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}/{mv.version}")
    return Champion(model=model, version=str(mv.version), run_id=mv.run_id)


@dataclass
class Reference:
    """The data a model version was trained on (a sample), with that version's scores."""

    frame: pd.DataFrame
    version: str
    run_id: str


def load_reference(store: Path | None = None) -> Reference:
    """The reference stored with the current champion at training time."""
    client = connect(store)
    mv = client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS)
    try:
        text = mlflow.artifacts.load_text(f"runs:/{mv.run_id}/{REFERENCE_ARTIFACT}")
    except Exception as exc:  # MLflow raises several types for a missing artifact
        raise FileNotFoundError(
            f"model version {mv.version} has no reference data ({REFERENCE_ARTIFACT}); retrain it with this code"
        ) from exc
    return Reference(frame=pd.read_csv(io.StringIO(text)), version=str(mv.version), run_id=mv.run_id)
