"""Where the model store lives and what the model is called.

The store is one directory holding the MLflow registry (`mlflow.db`, sqlite) and the
model artifacts (`artifacts/`). Every entry point reads its location from the
`CREDIT_RISK_STORE` environment variable (default: `./mlstore`).
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
