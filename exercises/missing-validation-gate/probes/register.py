"""Runs inside the sandbox before any candidate step: the grader's own versions, registered.

    python -I register.py OUT IN STATE

Reads `IN/plan.json` (stores, and per store the models to register in order and which one
becomes the champion, if any), `IN/models.pkl` (the grader's scikit-learn pipelines, trained on the
trusted side) and `IN/sample.csv` (unlabelled warehouse rows for the input signatures). For
every store it creates the registry the way the starter's `credit_risk.registry` does
(sqlite `STATE/<store>/mlflow.db`, experiment `credit-risk` with its artifacts in
`STATE/<store>/artifacts`), logs and registers each model as a notebook would, with an input
signature and a `valid_auc` metric, and points `champion` at the chosen version, as the old
pipeline left the registry (a new store has no champion). Writes `OUT/setup.json`: store -> {"versions":
{model name: version}, "champion": version or null}.

Uses MLflow directly and never imports the candidate's code.
"""

import json
import os
import pickle
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402

MODEL_NAME = "credit-risk"
EXPERIMENT = "credit-risk"
PIP_REQUIREMENTS = ["scikit-learn==1.9.1", "pandas==2.3.3", "numpy==2.4.6"]

out, inputs, state = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
plan = json.loads((inputs / "plan.json").read_text())
with open(inputs / "models.pkl", "rb") as f:
    models = pickle.load(f)
sample = pd.read_csv(inputs / "sample.csv")


def rows_for(columns: list[str]) -> pd.DataFrame:
    frame = sample.copy()
    frame["credit_utilization_pct"] = frame["credit_utilization"] * 100
    return frame[columns]


template = None  # an empty, migrated registry: creating one costs seconds, copying it does not
result = {}
for store_name, store_plan in plan["stores"].items():
    store = state / store_name
    store.mkdir(parents=True)
    db = store / "mlflow.db"
    if template is not None:
        shutil.copyfile(template, db)
    uri = f"sqlite:///{db}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if template is None:
        MlflowClient().search_experiments()  # creates and migrates the database
        template = state / ".template.db"
        shutil.copyfile(db, template)
    mlflow.create_experiment(EXPERIMENT, artifact_location=(store / "artifacts").as_uri())
    mlflow.set_experiment(EXPERIMENT)
    versions = {}
    for entry in store_plan["models"]:
        model = models[entry["name"]]
        rows = rows_for(entry["columns"])
        signature = infer_signature(rows, model.predict_proba(rows)[:, 1])
        with mlflow.start_run(run_name=entry["name"]):
            mlflow.log_params(entry["params"])
            mlflow.log_metrics({"valid_auc": entry["valid_auc"]})
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                registered_model_name=MODEL_NAME,
                signature=signature,
                serialization_format="cloudpickle",
                pip_requirements=PIP_REQUIREMENTS,
            )
        versions[entry["name"]] = str(info.registered_model_version)
    champion = versions[store_plan["champion"]] if store_plan["champion"] else None
    if champion is not None:
        MlflowClient().set_registered_model_alias(MODEL_NAME, "champion", champion)
    result[store_name] = {"versions": versions, "champion": champion}

if template is not None:
    template.unlink()
(out / "setup.json").write_text(json.dumps(result))
