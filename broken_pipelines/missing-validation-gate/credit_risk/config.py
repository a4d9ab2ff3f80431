"""Names and locations shared by every entry point.

The model store is one directory holding the MLflow registry (`mlflow.db`, sqlite) and the
model artifacts (`artifacts/`). Every entry point reads its location from the
`CREDIT_RISK_STORE` environment variable (default: `./mlstore`).
"""

import os
from pathlib import Path

MODEL_NAME = "credit-risk"
CHAMPION_ALIAS = "champion"
EXPERIMENT = "credit-risk"

#: The warehouse columns a model scores (see README, "Warehouse schema"), in order.
FEATURES = [
    "age",
    "annual_income",
    "employment_years",
    "debt",
    "credit_utilization",
    "num_late_payments",
    "loan_amount",
    "region",
    "home_ownership",
]
LABEL = "default"
REGIONS = ["north", "south", "east", "west"]

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
#: Risk's frozen evaluation set and its manifest (version, sha256).
EVAL_SET = DATA_DIR / "eval.csv"
EVAL_MANIFEST = DATA_DIR / "eval.json"

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


def store_dir() -> Path:
    return Path(os.environ.get("CREDIT_RISK_STORE", "mlstore")).resolve()
