"""Session fixtures of the drift exercise: train once, run every monitor batch once, serve
and replay each phase once.

The candidate's fixed interfaces (from the starter README) are the only way in:
`python -m credit_risk.train`, the ASGI app `credit_risk.api:app` behind uvicorn,
`python -m credit_risk.monitoring`, the model store in `CREDIT_RISK_STORE` and the
prediction log in `CREDIT_RISK_PREDICTION_LOG_DIR`. The grader's own Evidently reports run
in a background thread on the trusted side while the sandbox works.
"""

from __future__ import annotations

import gzip
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from grader.errors import InfraError
from grader.sandbox import CandidateFailure, OutputError, StepResult
from grader.verify.toolkit import Reply, frame_to_csv, require_ok, send
from grader.worlds import credit

import hidden_data as hd
import measures

SERVE = ["{python}", "-m", "uvicorn", "credit_risk.api:app", "--uds", "{sock}/app.sock", "--no-access-log"]
MONITOR = ["{python}", "-m", "credit_risk.monitoring", "--output", "{out}"]


@dataclass
class HiddenData:
    training: pd.DataFrame
    reference: pd.DataFrame
    batches: dict[str, pd.DataFrame]
    stationary: pd.DataFrame
    drifted: pd.DataFrame
    blocked: pd.DataFrame


@pytest.fixture(scope="session")
def data() -> HiddenData:
    reference = hd.monitor_reference()
    return HiddenData(
        training=hd.training_set(),
        reference=reference,
        batches={name: batch.frame(reference) for name, batch in hd.BATCHES.items()},
        stationary=hd.stationary_replay(),
        drifted=hd.drifted_replay(),
        blocked=hd.blocked_log_probe(),
    )


class GraderReports:
    """The grader's own drift report per comparison, computed off the main thread."""

    def __init__(self, futures: dict[str, Future]):
        self._futures = futures

    def get(self, name: str) -> dict[str, dict]:
        return self._futures[name].result(timeout=600)


@pytest.fixture(scope="session")
def grader_reports(data):
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-drift")
    futures = {name: executor.submit(measures.grader_drift, data.reference, frame) for name, frame in data.batches.items()}
    futures["stationary_replay"] = executor.submit(measures.grader_drift, data.training, data.stationary)
    futures["drifted_replay"] = executor.submit(measures.grader_drift, data.training, data.drifted)
    yield GraderReports(futures)
    executor.shutdown(wait=False, cancel_futures=True)


@pytest.fixture(scope="session")
def trained(sandbox, data, grader_reports) -> StepResult:
    """The candidate's training run on the grader's training set (grader_reports starts first)."""
    result = sandbox.run(
        "train",
        ["{python}", "-m", "credit_risk.train", "--data", "{in}/train.csv"],
        inputs={"train.csv": frame_to_csv(data.training)},
        env=hd.STORE_ENV,
    )
    return require_ok(result)


@pytest.fixture(scope="session")
def champion(sandbox, trained) -> str:
    probe = require_ok(sandbox.run("champion-probe", ["{python}", "-I", "{probes}/champion.py", "{out}"], env=hd.STORE_ENV))
    return str(probe.read_json("champion.json").get("version"))


@dataclass
class MonitorRuns:
    """Every run of the candidate's monitor in explicit mode, against the grader's reference:
    the named batches and the normal (and unmistakably drifted) days, under opaque names."""

    results: dict[str, tuple[StepResult, str]]  # batch or day name -> (its step, its opaque run name)
    days: list[hd.Day]  # in the order they ran
    steps: list[StepResult]
    #: Each run's verdict, read once: every detection check reads every normal day, and each
    #: read parses up to two candidate-written JSON files of up to 1 MiB.
    judged: dict[str, measures.MonitorRun | CandidateFailure | OutputError] = field(default_factory=dict, repr=False)

    def run(self, name: str) -> measures.MonitorRun:
        """The monitor's verdict on one batch or day (CandidateFailure / OutputError if it has none)."""
        if name not in self.results:
            raise CandidateFailure(f"the monitor steps ended before {name} ran (time budget "
                                   f"{hd.MONITOR_STEP_BUDGET_S} s a step)", log=self.steps[-1].log_tail())
        if name not in self.judged:
            result, opaque = self.results[name]
            try:
                self.judged[name] = measures.batch_monitor_run(result, opaque)
            except (CandidateFailure, OutputError) as exc:
                self.judged[name] = exc.with_traceback(None)
        judged = self.judged[name]
        if isinstance(judged, Exception):
            raise judged
        return judged

    def report(self, name: str):
        """The report.json of one run as parsed JSON (call `run` first: it says why a run has none)."""
        result, opaque = self.results[name]
        return result.read_json(f"{opaque}.report.json", measures.MAX_REPORT_BYTES)

    def bad(self, name: str) -> tuple[bool, str]:
        """Whether the monitor paged (or flagged more than one field, or failed) on one normal day, and why."""
        if name not in self.results:
            return True, "not run within the time budget"
        try:
            return measures.is_bad_day(self.run(name))
        except (CandidateFailure, OutputError) as exc:
            return True, f"could not run: {str(exc)[:120]}"

    def normal_days(self) -> list[str]:
        """The stationary runs in the order they ran: the control batches, then the normal days."""
        return [c.name for c in hd.CONTROLS] + [d.name for d in self.days if not d.drifted and d.name in self.results]

    def verdict(self) -> str | None:
        return measures.sequential_verdict([self.bad(n)[0] for n in self.normal_days()], hd.DAYS_MAX)


def monitor_step(sandbox, name: str, entries: list[tuple[str, pd.DataFrame]], reference: pd.DataFrame,
                 first: int) -> tuple[StepResult, dict[str, str]]:
    """One step of monitor runs (probes/run_monitors.py); `entries` in order, named r{first}, r{first+1}, ..."""
    opaque = {entry: f"r{first + i:03d}" for i, (entry, _) in enumerate(entries)}
    frames = [credit.features_only(frame).assign(**{hd.RUN_COLUMN: opaque[entry]}) for entry, frame in entries]
    runs = gzip.compress(frame_to_csv(pd.concat(frames, ignore_index=True)), compresslevel=6, mtime=0)
    result = sandbox.run(
        name,
        ["{python}", "-I", "{probes}/run_monitors.py", "{out}", "{in}", str(hd.MONITOR_PARALLEL),
         str(hd.MONITOR_TIMEOUT_S), str(hd.MONITOR_STEP_BUDGET_S)],
        inputs={"reference.csv": frame_to_csv(credit.features_only(reference)), "runs.csv.gz": runs},
        env=hd.service_env(name), timeout_s=hd.MONITOR_STEP_BUDGET_S + hd.MONITOR_TIMEOUT_S + 120,
        keep_inputs=False,
    )
    return result, opaque


@pytest.fixture(scope="session")
def monitor_batches(sandbox, trained, data) -> MonitorRuns:
    """The monitor on every batch and on normal days, in as few steps as the sequential test of
    normal days needs (usually one): see hd.Day and measures.sequential_verdict."""
    measures.premise(sorted(hd.MONITOR_ORDER) == sorted(hd.BATCHES), "MONITOR_ORDER must name every batch once")
    first_days = hd.days(0, hd.DAYS_FIRST_STAGE + hd.DAYS_FIRST_STAGE // hd.DRIFTED_DAY_EVERY)
    entries = [(d.name, d.frame()) for d in first_days]
    # The batches land early (a slow monitor may not finish every run of a step), among the days.
    rng = np.random.default_rng(hd.DAYS_SEED)
    for name, place in zip(hd.MONITOR_ORDER, sorted(rng.choice(16, len(hd.MONITOR_ORDER), replace=False))):
        entries.insert(int(place), (name, data.batches[name]))
    step, opaque = monitor_step(sandbox, "monitor-batches", entries, data.reference, 1)
    runs = MonitorRuns({k: (step, v) for k, v in opaque.items() if _ran(step, v)}, list(first_days), [step])
    if runs.verdict() is None:  # some bad days: more days, up to the test's maximum
        more = hd.days(first_days[-1].index + 1, hd.DAYS_MAX + hd.DAYS_MAX // hd.DRIFTED_DAY_EVERY)
        step, opaque = monitor_step(sandbox, "monitor-days", [(d.name, d.frame()) for d in more], data.reference,
                                    len(entries) + 1)
        runs.results.update({k: (step, v) for k, v in opaque.items() if _ran(step, v)})
        runs.days += more
        runs.steps.append(step)
    return runs


def _ran(result: StepResult, opaque: str) -> bool:
    try:
        entries = result.read_json("runs.json")
    except Exception:
        return False
    return isinstance(entries, dict) and opaque in entries


# -- serving phases ----------------------------------------------------------------------------
@dataclass
class Phase:
    replay: measures.Replay
    health: Reply
    log: measures.LogRead
    log_reads: list[dict]
    monitor: StepResult


def replay_traffic(service, rows: pd.DataFrame) -> measures.Replay:
    """POST every row, a few requests at a time (as production traffic arrives), in row order."""
    replay = measures.Replay(rows=rows, started=datetime.now(timezone.utc))
    deadline = time.monotonic() + hd.REPLAY_BUDGET_S

    def one(row: dict) -> tuple[int, float, str | None, float]:
        if time.monotonic() > deadline:
            raise CandidateFailure(f"the API did not answer {len(rows)} requests in {hd.REPLAY_BUDGET_S} s",
                                   log=service.log_tail())
        started = time.perf_counter()
        reply = send(service, "POST", "/predict", hd.to_api_payload(row))
        latency = (time.perf_counter() - started) * 1000
        if reply.status != 200:
            return reply.status, math.nan, None, latency
        body = reply.json()
        version = str(body.get("model_version")) if isinstance(body, dict) else "?"
        return reply.status, reply.number("probability_default"), version, latency

    with ThreadPoolExecutor(max_workers=hd.REPLAY_CONCURRENCY, thread_name_prefix="replay") as pool:
        for status, probability, version, latency in pool.map(one, rows.to_dict("records")):
            replay.status.append(status)
            replay.probability.append(probability)
            replay.latency_ms.append(latency)
            if version is not None:
                replay.versions.add(version)
    replay.ended = datetime.now(timezone.utc)
    return replay


def read_log(sandbox, log_name: str, waited_s: float) -> measures.LogRead:
    result = sandbox.run(f"read-log-{log_name}",
                         ["{python}", "-I", "{probes}/prediction_log.py", "{out}", "{state}/prediction-logs/" + log_name])
    if not result.ok:
        raise InfraError(f"the prediction-log probe failed: {result.describe()}: {result.log_tail(5)}")
    return measures.read_log_records(result, waited_s)


def wait_for_log(sandbox, log_name: str, expected: int) -> tuple[measures.LogRead, list[dict]]:
    """Read the log until it holds `expected` records: at once, at the promised 2 s (plus
    margin), and once more a little later (shown in the evidence as late)."""
    started, reads = time.monotonic(), []
    for wait_until in (0.0, *hd.LOG_READ_AT_S):
        time.sleep(max(0.0, wait_until - (time.monotonic() - started)))
        log = read_log(sandbox, log_name, round(time.monotonic() - started, 1))
        reads.append({"after_s": log.waited_s, **log.summary})
        if int(log.summary.get("records", 0) or 0) >= expected:
            break
    return log, reads


def run_phase(sandbox, log_name: str, rows: pd.DataFrame) -> Phase:
    """Serve, replay `rows`, wait for the log as the README promises, then run the monitor's
    default mode (the champion's reference against the service's own log) while it still runs."""
    env = hd.service_env(log_name)
    with sandbox.serve(f"serve-{log_name}", SERVE, env=env) as service:
        replay = replay_traffic(service, rows)
        health = send(service, "GET", "/health")
        log, reads = wait_for_log(sandbox, log_name, replay.ok)
        monitor = sandbox.run(f"monitor-{log_name}", MONITOR, env=env)
    return Phase(replay=replay, health=health, log=log, log_reads=reads, monitor=monitor)


@pytest.fixture(scope="session")
def stationary_phase(sandbox, trained, data) -> Phase:
    return run_phase(sandbox, "stationary", data.stationary)


@pytest.fixture(scope="session")
def drifted_phase(sandbox, trained, data) -> Phase:
    return run_phase(sandbox, "drifted", data.drifted)


@pytest.fixture(scope="session")
def blocked_phase(sandbox, trained, data) -> tuple[measures.Replay, Reply]:
    """The service with a prediction-log folder that can never be created (/dev/null is in the way)."""
    env = {**hd.STORE_ENV, "CREDIT_RISK_PREDICTION_LOG_DIR": hd.UNWRITABLE_LOG_DIR}
    with sandbox.serve("serve-unwritable-log", SERVE, env=env) as service:
        replay = replay_traffic(service, data.blocked)
        health = send(service, "GET", "/health")
    return replay, health
