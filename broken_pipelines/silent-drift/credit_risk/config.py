"""Where things live and what the model is called.

- The model store: one directory holding the MLflow registry (`mlflow.db`, sqlite) and the
  model artifacts (`artifacts/`), from `CREDIT_RISK_STORE` (default `./mlstore`).
- The prediction log: one directory, from `CREDIT_RISK_PREDICTION_LOG_DIR` (default
  `./prediction-logs`). See the README for what goes in it.
"""

import os
from pathlib import Path

MODEL_NAME = "credit-risk"
CHAMPION_ALIAS = "champion"
EXPERIMENT = "credit-risk"

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


def store_dir() -> Path:
    return Path(os.environ.get("CREDIT_RISK_STORE", "mlstore")).resolve()


def prediction_log_dir() -> Path:
    return Path(os.environ.get("CREDIT_RISK_PREDICTION_LOG_DIR", "prediction-logs")).resolve()
