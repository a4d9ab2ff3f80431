"""Hidden data and the numbers the over-provisioned-serving checks hold a submission to.

Fresh samples of the credit world (seeds never published). Only feature columns enter the
sandbox, as training CSV or as `POST /predict` payloads; labels stay here. The traffic,
SLO, prices and platform rules are the ones the starter's README states (the budget and the
price list, the graded variant's).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from grader import seeds, variants
from grader.worlds import credit

TRAIN_SEED = seeds.seed(81_101, "train")
QUALITY_SEED = seeds.seed(82_202, "quality")
LOAD_SEED = seeds.seed(83_303, "load")

#: Where the candidate's code keeps its model store during grading: a fresh folder outside the repo.
STORE_ENV = {"CREDIT_RISK_STORE": "{state}/mlstore"}

#: The graded variant's parameters (exercise.toml's [[variants]]): Finance's budget, the price list.
VARIANT = variants.current(Path(__file__).resolve().parents[1] / "exercise.toml")

# -- from the README: traffic, SLO, platform rules, prices -------------------------------------
PEAK_RPS = 60.0
SLO_P95_MS = 150.0
SLO_ERROR_RATE = 0.001
MIN_REPLICAS = 2
MEMORY_HEADROOM = 1.2  # memory request >= 1.2 x measured peak
READY_WITHIN_S = 60.0  # a new replica must take traffic within 60 s
NODE_CORES = 64  # what `cpu_count()` says on the production node pool
PRICE_VCPU_HOUR = float(VARIANT["prices"]["cpu_hour"])  # $0.04 by default
PRICE_GIB_HOUR = float(VARIANT["prices"]["gib_hour"])  # $0.005 by default
HOURS_PER_MONTH = 730
BUDGET_PER_MONTH = float(VARIANT["budget"]["usd"])  # $150 by default

# -- grader-side choices ------------------------------------------------------------------------
#: The largest replica the grading host runs: declared CPU is clamped to the host's cores,
#: declared memory to this (the evidence says so when it happens).
MEMORY_CAP_MB = 4096
#: Processes and threads of one replica: generous, so that memory, not this, is what stops a
#: replica that starts too many workers.
REPLICA_PIDS = 1024
#: One worker on one CPU must serve the whole peak. Measured here: scoring one application
#: takes ~4 ms of CPU once the model is in memory (p95 10-40 ms at 60 rps, busy host or not);
#: loading the model per request costs ~35 ms more, so one CPU saturates near 28 rps and
#: 60 rps needs twice what it has. A rate well inside one CPU's capacity for a correct
#: service keeps the verdict when other work competes for the grading host (at 90 rps the
#: reference's p95 swung from 10 to 140 ms with the host's load).
ONE_WORKER_RPS = PEAK_RPS
ONE_WORKER_CPUS = 1.0
ONE_WORKER_MEMORY_MB = 2048
WARMUP_S = 3.0
REPLICA_WARMUP_S = 5.0
#: Each load is measured as WINDOWS back-to-back windows and judged on the median window's
#: p95: one burst of work elsewhere on the grading host cannot fail a healthy service, and a
#: saturated service fails every window. Errors count over all windows.
WINDOWS = 3
ONE_WORKER_WINDOW_S = 4.0
REPLICA_WINDOW_S = 7.0
GENERATOR_CHECK_S = 3.0
REQUEST_TIMEOUT_S = 5.0
#: Start-up weight of one worker (import + lifespan + first prediction), relative to a plain
#: import of the serving stack (FastAPI, pandas, scikit-learn, mlflow.sklearn) in the same
#: sandbox. Measured: reference 1.7x / +56 MiB; with the monitoring stack 3.0x / +136 MiB.
STARTUP_CPU_RATIO_MAX = 2.3
STARTUP_EXTRA_RSS_MAX_MB = 95.0
#: Simulated node sizes for the worker-count probe.
CORE_COUNTS = (2, 16, NODE_CORES)
#: Prediction quality through the API.
QUALITY_ROWS = 600
AUC_FLOOR = 0.68
#: The replica as declared must answer the first SPOT_ROWS quality applications exactly as
#: the one-worker run did (same code, same champion).
SPOT_ROWS = 100
SPOT_BUDGET_S = 30.0
SAME_ANSWER_TOLERANCE = 1e-6
QUALITY_BUDGET_S = 150.0
MANIFEST_LIMIT = 64 * 1024


def training_set() -> pd.DataFrame:
    """Labelled applications the candidate's training runs on (8,000 rows)."""
    return credit.sample(8_000, TRAIN_SEED, id_prefix="t").drop(columns=[credit.TRUE_PROBABILITY])


def quality_set() -> pd.DataFrame:
    """Labelled applications scored one by one through the API (labels stay here)."""
    return credit.sample(QUALITY_ROWS, QUALITY_SEED, credit.Scenario(employment_null_rate=0.05), id_prefix="q")


def load_payloads() -> list[dict]:
    """Unique applications: 0-1499 for the one-worker load, 1500-3499 for the replica, then probes."""
    frame = credit.sample(4_000, LOAD_SEED, credit.Scenario(employment_null_rate=0.05), id_prefix="l")
    return [to_payload(row) for row in frame.to_dict("records")]


def to_payload(row: dict) -> dict:
    """A warehouse row as a `POST /predict` body: raw features, unknown employment as null."""
    payload = {}
    for key in credit.FEATURES:
        value = row[key]
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        payload[key] = value
    return payload
