"""Runs inside the sandbox: what the candidate's steps left in the model stores.

    python -I registry_state.py OUT STATE STORE [STORE ...]

For each store `STATE/<store>`, reads the MLflow registry with MLflow itself (never with the
candidate's code, never loading a model) and writes `OUT/state.json`:
store -> {"aliases": {alias: version}, "versions": {version: {"status", "tags"}}} or
{"error": "..."} when the store holds no registry or no `credit-risk` model. Bounded: at
most 200 versions, 100 tags per version, 500 characters per tag value.
"""

import json
import os
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from mlflow import MlflowClient  # noqa: E402

MODEL_NAME = "credit-risk"
MAX_VERSIONS, MAX_TAGS, MAX_VALUE = 200, 100, 500


def short(value) -> str:
    return str(value)[:MAX_VALUE]


def read(store: Path) -> dict:
    db = store / "mlflow.db"
    if not db.is_file():
        return {"error": "no registry at $CREDIT_RISK_STORE/mlflow.db"}
    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        model = client.get_registered_model(MODEL_NAME)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"error": f"no registered model {MODEL_NAME!r}: {type(exc).__name__}"}
    versions = {}
    for mv in client.search_model_versions(f"name='{MODEL_NAME}'", max_results=MAX_VERSIONS):
        tags = dict(list((mv.tags or {}).items())[:MAX_TAGS])
        versions[str(mv.version)] = {
            "status": short(mv.status),
            "tags": {short(k): short(v) for k, v in tags.items()},
        }
    aliases = {short(alias): str(version) for alias, version in (model.aliases or {}).items()}
    return {"aliases": aliases, "versions": versions}


out, state = Path(sys.argv[1]), Path(sys.argv[2])
result = {}
for name in sys.argv[3:]:
    try:
        result[name] = read(state / name)
    except Exception as exc:  # noqa: BLE001 - a broken store is the candidate's result, reported per store
        result[name] = {"error": f"cannot read the registry: {type(exc).__name__}: {short(exc)}"}
(out / "state.json").write_text(json.dumps(result))
