"""Thin helpers around the MLflow registry: connect to the store, register and load versions."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from credit_risk.config import CHAMPION_ALIAS, EXPERIMENT, MODEL_NAME, store_dir

PIP_REQUIREMENTS = ["scikit-learn==1.9.1", "pandas==2.3.3", "numpy==2.4.6"]


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


def register(model, sample: pd.DataFrame, params: dict, metrics: dict) -> str:
    """Log `model` with its input signature and register it as a new version; return the version."""
    signature = infer_signature(sample, model.predict_proba(sample)[:, 1])
    with mlflow.start_run():
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=MODEL_NAME,
            signature=signature,
            serialization_format="cloudpickle",
            pip_requirements=PIP_REQUIREMENTS,
        )
    return str(info.registered_model_version)


def load_version(version: str):
    """The scikit-learn pipeline of one registered version."""
    return mlflow.sklearn.load_model(f"models:/{MODEL_NAME}/{version}")


def champion_version(client: MlflowClient) -> str | None:
    """The version the `champion` alias points to, or None if there is none yet."""
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS).version)
    except MlflowException:
        return None
