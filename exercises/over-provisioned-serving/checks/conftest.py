"""Session fixtures of the over-provisioned-serving exercise: train once, probe once, serve twice.

The candidate's fixed interfaces (from the starter README) are the only way in:
`python -m credit_risk.train`, the model store in `CREDIT_RISK_STORE`, the serving command
`gunicorn -c gunicorn.conf.py credit_risk.api:app` with the environment the `api`
container declares, and the manifests under `deploy/k8s/`, read as committed.
"""

from __future__ import annotations

import json

import pytest

from grader import catalog
from grader.sandbox import OutputError
from grader.verify.toolkit import frame_to_csv, require_ok
from grader.worlds import credit

import hidden_data as hd
import manifests as mf
import measures


@pytest.fixture(scope="session")
def submitted(grading_session):
    """The candidate's manifests, or the OutputError that explains why they cannot be read."""
    try:
        return mf.read_submitted(grading_session)
    except OutputError as exc:
        return exc


@pytest.fixture(scope="session")
def manifest_files(grading_session) -> dict:
    """Every manifest file of deploy/k8s/ as committed (name -> text, or why it was not read)."""
    return mf.read_manifest_folder(grading_session)


@pytest.fixture(scope="session")
def starter_manifests(grading_session) -> mf.Manifests:
    """The published starter's manifests (trusted files), for the "before" figures."""
    return mf.read_folder(catalog.get_exercise(grading_session.exercise_id).starter)


@pytest.fixture(scope="session")
def step_env(submitted) -> dict:
    """The `api` container's literal environment (e.g. WEB_CONCURRENCY), plus the grader's store."""
    declared = {} if isinstance(submitted, OutputError) else submitted.env
    return {**declared, **hd.STORE_ENV}


@pytest.fixture(scope="session")
def payloads() -> list[dict]:
    return hd.load_payloads()


@pytest.fixture(scope="session")
def quality_rows():
    return hd.quality_set()


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
def champion(sandbox, trained) -> str:
    probe = require_ok(sandbox.run("champion-probe", ["{python}", "-I", "{probes}/champion.py", "{out}"],
                                   env=hd.STORE_ENV))
    return str(probe.read_json("champion.json").get("version"))


@pytest.fixture(scope="session")
def startup_profile(sandbox, trained, step_env, payloads) -> dict:
    """One worker's import + lifespan + first prediction, measured in-process (probes/startup_weight.py)."""
    view = sandbox.limited(cpus=hd.ONE_WORKER_CPUS, memory_mb=hd.ONE_WORKER_MEMORY_MB)
    result = require_ok(view.run("startup-weight", ["{python}", "-P", "{probes}/startup_weight.py", "{out}",
                                                    "credit_risk.api:app", json.dumps(payloads[-2])], env=step_env))
    return result.read_json("startup.json")


@pytest.fixture(scope="session")
def worker_counts(sandbox, step_env) -> dict:
    """Workers gunicorn would start on nodes of 2, 16 and 64 cores (probes/gunicorn_workers.py)."""
    result = require_ok(sandbox.run("gunicorn-workers", ["{python}", "-P", "{probes}/gunicorn_workers.py", "{out}",
                                                         *map(str, hd.CORE_COUNTS)], env=step_env))
    return result.read_json("workers.json")


@pytest.fixture(scope="session")
def one_worker(sandbox, trained, submitted, step_env, quality_rows, payloads) -> measures.OneWorker:
    measures.require_docker(sandbox, "the one-worker run (latency, start-up, answers)")
    readiness = None if isinstance(submitted, OutputError) or submitted.readiness is None else submitted.readiness.path
    rows = [(row["id"], hd.to_payload(row)) for row in credit.features_only(quality_rows).to_dict("records")]
    return measures.run_one_worker(sandbox, step_env, readiness, rows, payloads)


@pytest.fixture(scope="session")
def quality(one_worker, quality_rows) -> dict:
    """AUC and failures of the one-worker run's answers (labels stay here)."""
    return measures.quality(one_worker, quality_rows)


@pytest.fixture(scope="session")
def replica(sandbox, trained, submitted, step_env, payloads, quality_rows) -> measures.Replica:
    measures.require_docker(sandbox, "the replica run (the SLO at the declared size)")
    spot = [(row["id"], hd.to_payload(row))
            for row in credit.features_only(quality_rows.head(hd.SPOT_ROWS)).to_dict("records")]
    return measures.run_replica(sandbox, mf.manifests_or_fail(submitted), step_env, payloads, spot)
