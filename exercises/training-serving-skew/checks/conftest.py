"""Session fixtures of the skew exercise: train once, serve once, score everything once.

The candidate's fixed interfaces (from the starter README) are the only way in:
`python -m credit_risk.train`, `python -m credit_risk.batch` and the ASGI app
`credit_risk.api:app` behind uvicorn, with the model store in `CREDIT_RISK_STORE`.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from grader.sandbox import CandidateFailure
from grader.verify.toolkit import frame_to_csv, read_scores_csv, require_ok, send
from grader.worlds import credit

import hidden_data as hd
from measures import ApiScores


@pytest.fixture(scope="session")
def frames() -> dict[str, pd.DataFrame]:
    return {
        "calibration": hd.calibration_set(),
        "parity": hd.parity_set(),
        "unit": hd.unit_probe(),
        "null": hd.null_probe(),
        "region": hd.region_probe(),
    }


@pytest.fixture(scope="session")
def trained(sandbox):
    """The candidate's training run on the grader's training set."""
    result = sandbox.run(
        "train",
        ["{python}", "-m", "credit_risk.train", "--data", "{in}/train.csv"],
        inputs={"train.csv": frame_to_csv(hd.training_set())},
        env=hd.STORE_ENV,
    )
    return require_ok(result)


@pytest.fixture(scope="session")
def service(sandbox, trained):
    with sandbox.serve(
        "serve",
        ["{python}", "-m", "uvicorn", "credit_risk.api:app", "--uds", "{sock}/app.sock", "--no-access-log"],
        env=hd.STORE_ENV,
    ) as running:
        yield running


@pytest.fixture(scope="session")
def batch_scores(sandbox, trained, frames) -> pd.Series:
    """Batch-job probabilities for every hidden row, by id (one batch run for all checks)."""
    rows = pd.concat(list(frames.values()), ignore_index=True)
    result = sandbox.run(
        "batch",
        ["{python}", "-m", "credit_risk.batch", "--input", "{in}/applications.csv", "--output", "{out}/scores.csv"],
        inputs={"applications.csv": frame_to_csv(credit.features_only(rows))},
        env=hd.STORE_ENV,
    )
    require_ok(result)
    return read_scores_csv(result, "scores.csv", rows["id"], "probability_default")


@pytest.fixture(scope="session")
def api_scores(service, frames) -> ApiScores:
    """POST /predict for every parity and probe row (calibration goes through batch)."""
    rows = pd.concat([frames[k] for k in ("parity", "unit", "null", "region")], ignore_index=True)
    probability, status, versions = {}, {}, set()
    deadline = time.monotonic() + hd.API_BUDGET_S
    for row in rows.to_dict("records"):
        if time.monotonic() > deadline:
            raise CandidateFailure(f"the API answered only {len(status)} of {len(rows)} requests in {hd.API_BUDGET_S} s",
                                   log=service.log_tail())
        reply = send(service, "POST", "/predict", hd.to_api_payload(row))
        status[row["id"]] = reply.status
        probability[row["id"]] = np.nan
        if reply.status == 200:
            probability[row["id"]] = reply.number("probability_default")
            body = reply.json()
            versions.add(str(body.get("model_version")) if isinstance(body, dict) else "?")
    return ApiScores(pd.Series(probability, dtype=float), pd.Series(status), versions)
