"""Train the credit-risk model, register it and make it the champion.

    python -m credit_risk.train --data data/applications.csv

The registered model is the whole pipeline, feature engineering included: it takes rows in
the warehouse schema and returns probabilities, wherever it is loaded.
"""

from __future__ import annotations

import argparse

import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from credit_risk.config import CHAMPION_ALIAS, MODEL_NAME
from credit_risk.features import RAW_COLUMNS, FeatureBuilder
from credit_risk.registry import connect

PIP_REQUIREMENTS = ["scikit-learn==1.9.1", "pandas==2.3.3", "numpy==2.4.6"]


def build_model() -> Pipeline:
    return Pipeline(
        [
            ("features", FeatureBuilder()),
            ("scale", StandardScaler()),
            ("classifier", LogisticRegression(max_iter=1000)),
        ]
    )


def train(data_path: str, seed: int = 7) -> str:
    raw = pd.read_csv(data_path)
    train_raw, valid_raw = train_test_split(raw, test_size=0.2, random_state=seed, stratify=raw["default"])
    model = build_model().fit(train_raw[RAW_COLUMNS], train_raw["default"])
    auc = roc_auc_score(valid_raw["default"], model.predict_proba(valid_raw[RAW_COLUMNS])[:, 1])

    client = connect()
    with mlflow.start_run() as run:
        mlflow.log_params({"seed": seed, "rows": len(raw), "model": "logistic_regression"})
        mlflow.log_metric("valid_auc", auc)
        mlflow.log_dict(model.named_steps["features"].config_, "feature_config.json")  # for humans
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=MODEL_NAME,
            # cloudpickle stores FeatureBuilder by reference: loading needs `credit_risk`
            # importable, which holds for the API and everything else in this repo.
            serialization_format="cloudpickle",
            pip_requirements=PIP_REQUIREMENTS,
        )
    version = str(info.registered_model_version)
    client.set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)
    print(f"trained {MODEL_NAME} v{version} (run {run.info.run_id}): valid AUC {auc:.3f}")
    return version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/applications.csv")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    train(args.data, args.seed)


if __name__ == "__main__":
    main()
