"""Runs inside the sandbox: which version does the registry's `champion` alias point to?

Reads the store the candidate's training wrote (`CREDIT_RISK_STORE`) with MLflow itself,
not with the candidate's code, and writes `champion.json` into the given output folder.
"""

import json
import os
import sys

from mlflow import MlflowClient

store = os.environ["CREDIT_RISK_STORE"]
uri = f"sqlite:///{store}/mlflow.db"
client = MlflowClient(tracking_uri=uri, registry_uri=uri)
version = client.get_model_version_by_alias("credit-risk", "champion")
with open(os.path.join(sys.argv[1], "champion.json"), "w") as f:
    json.dump({"version": str(version.version), "run_id": version.run_id}, f)
