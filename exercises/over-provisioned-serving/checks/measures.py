"""What the over-provisioned-serving checks measure, and how.

Two runs of the candidate's server, both through the fixed serving command
(`gunicorn -c gunicorn.conf.py credit_risk.api:app`, plus the grader's `--bind` to the
sandbox socket), both under `as_on_node.py`, so that the code sees the production node's
64 cores whatever machine grades it:

- one worker (`--workers 1`) on one CPU, the grader's limits: what the code costs per
  request, independent of any sizing decision (latency at the whole peak on one worker,
  start-up time, prediction quality, the readiness path);
- one replica as the manifests declare it: the CPU *request* (what a replica is
  guaranteed) and the memory *limit* (what gets it OOM-killed), at its share of the peak
  when one replica is lost (N+1).

Latencies come from `grader.verify.load.open_loop` (fixed-rate, measured from each
request's scheduled start), after `check_generator` proved the generator reaches the rate
in the same sandbox and limits, in three windows judged on the median window (see
`measured_load`); a latency failure of an otherwise healthy service is re-checked against
the host (`host_was_busy`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from grader.errors import InfraError
from grader.sandbox import CandidateFailure, OutputError
from grader.verify.load import check_generator, measurement, open_loop
from grader.verify.toolkit import bar_chart, send
from grader.worlds import credit

import hidden_data as hd


def require_docker(sandbox, what: str) -> None:
    """Measured CPU and memory mean something only where the limits are enforced faithfully."""
    if sandbox.backend != "docker":
        raise InfraError(f"{what} measures latency and memory under enforced CPU and memory limits, which needs "
                         f"the docker sandbox (this run used {sandbox.backend!r}); grade with --sandbox docker")


def serve_argv(*extra: str) -> list[str]:
    """The fixed serving command, as it would run on a production node."""
    return ["{python}", "-P", "{probes}/as_on_node.py", str(hd.NODE_CORES), "-c", "gunicorn.conf.py",
            "--bind", "unix:{sock}/app.sock", *extra, "credit_risk.api:app"]


def host_cores(sandbox) -> int:
    try:
        return int(sandbox.client.info()["NCPU"])  # the engine's machine (DOCKER_HOST may be remote)
    except Exception:
        return os.cpu_count() or 1


def measured_load(uds, rate: float, warmup_s: float, window_s: float, payloads: list[dict], start: int) -> dict:
    """Warm-up, then `hd.WINDOWS` open-loop windows; percentiles are the median window's.
    The whole sequence is one measurement: no other step on this host runs in between."""
    with measurement():
        open_loop(uds, rate, warmup_s, predict_requests(payloads, start), timeout_s=hd.REQUEST_TIMEOUT_S)
        start += int(rate * warmup_s) + 1
        windows = []
        for _ in range(hd.WINDOWS):
            windows.append(open_loop(uds, rate, window_s, predict_requests(payloads, start),
                                     timeout_s=hd.REQUEST_TIMEOUT_S).evidence())
            start += int(rate * window_s) + 1
    sent, ok = sum(w["sent"] for w in windows), sum(w["ok"] for w in windows)
    statuses: dict[str, int] = {}
    for w in windows:
        for key, count in w["statuses"].items():
            statuses[key] = statuses.get(key, 0) + count
    value = lambda w, key: np.inf if w[key] is None else w[key]  # noqa: E731  (None: nothing answered)
    median = lambda key: finite(float(np.median([value(w, key) for w in windows])))  # noqa: E731
    return {"target_rps": rate, "duration_s": round(window_s * len(windows), 1), "windows": len(windows),
            "sent": sent, "ok": ok, "errors": sent - ok, "error_rate": round((sent - ok) / sent, 5) if sent else 1.0,
            "achieved_rps": finite(min(value(w, "achieved_rps") for w in windows)),
            "p50_ms": median("p50_ms"), "p95_ms": median("p95_ms"), "p99_ms": median("p99_ms"),
            "max_ms": finite(max(value(w, "max_ms") for w in windows)), "window_p95_ms": [w["p95_ms"] for w in windows],
            "statuses": statuses}


def finite(value: float) -> float | None:
    """Percentiles of no answers at all are infinite; evidence stays plain JSON (None: nothing answered)."""
    return round(value, 2) if np.isfinite(value) else None


def host_was_busy(view, load: dict) -> dict | None:
    """After a latency failure of an otherwise healthy service (median p50 within the SLO), prove
    the grading host can still drive a trivial app at the same rate: if it cannot, the host was
    the bottleneck, and `check_generator` raises InfraError (inconclusive, retried)."""
    if None not in (load["p95_ms"], load["p50_ms"]) and load["p95_ms"] > hd.SLO_P95_MS >= load["p50_ms"]:
        return check_generator(view, load["target_rps"], hd.GENERATOR_CHECK_S).evidence()
    return None


def predict_requests(payloads: list[dict], start: int):
    def request(i: int):
        return "POST", "/predict", payloads[(start + i) % len(payloads)]
    return request


@dataclass
class OneWorker:
    """The candidate's code as one worker on one CPU (grader's limits)."""

    error: str | None = None
    log: str = ""
    started_in_s: float | None = None
    first_predict: dict = field(default_factory=dict)
    readiness_path: dict = field(default_factory=dict)
    probabilities: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    versions: set = field(default_factory=set)
    quality_error: str | None = None
    generator: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)
    generator_after: dict | None = None
    peak_memory_mb: float | None = None
    oom_kills: int = 0


def run_one_worker(sandbox, env: dict, readiness_path: str | None, quality_rows: list[tuple[str, dict]],
                   payloads: list[dict]) -> OneWorker:
    result = OneWorker()
    view = sandbox.limited(cpus=hd.ONE_WORKER_CPUS, memory_mb=hd.ONE_WORKER_MEMORY_MB)
    result.generator = check_generator(view, hd.ONE_WORKER_RPS, hd.GENERATOR_CHECK_S).evidence()
    try:
        with view.serve("one-worker", serve_argv("--workers", "1"), env=env) as service:
            result.started_in_s = round(service.started_in_s, 2)
            t0 = time.monotonic()
            reply = send(service, "POST", "/predict", payloads[-1])
            result.first_predict = {"status": reply.status, "ms": round((time.monotonic() - t0) * 1000, 1)}
            if readiness_path:
                result.readiness_path = {"path": readiness_path, "status": send(service, "GET", readiness_path).status}
            deadline = time.monotonic() + hd.QUALITY_BUDGET_S
            try:
                for row_id, payload in quality_rows:
                    if time.monotonic() > deadline:
                        raise CandidateFailure(f"the API answered only {len(result.statuses)} of {len(quality_rows)} "
                                               f"applications in {hd.QUALITY_BUDGET_S:.0f} s")
                    reply = send(service, "POST", "/predict", payload)
                    result.statuses[row_id] = reply.status
                    if reply.status == 200:
                        result.probabilities[row_id] = reply.number("probability_default")
                        body = reply.json()
                        result.versions.add(str(body.get("model_version")) if isinstance(body, dict) else "?")
            except (CandidateFailure, OutputError) as exc:
                result.quality_error = str(exc)
            result.load = measured_load(service.uds, hd.ONE_WORKER_RPS, hd.WARMUP_S, hd.ONE_WORKER_WINDOW_S,
                                        payloads, 0)
            result.peak_memory_mb = service.peak_memory_mb()
            result.oom_kills = service.oom_kills()
            result.log = service.log_tail(8)
    except CandidateFailure as exc:
        result.error, result.log = str(exc), exc.log
        result.peak_memory_mb = result.peak_memory_mb or exc.peak_memory_mb
        result.oom_kills = max(result.oom_kills, exc.oom_kills)
    if result.load:
        result.generator_after = host_was_busy(view, result.load)
    return result


@dataclass
class Replica:
    """One replica as the manifests declare it, at its share of the peak with one replica lost."""

    replicas: int
    rate: float
    declared: dict
    cpus: float
    memory_mb: int
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    log: str = ""
    started_in_s: float | None = None
    generator: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)
    generator_after: dict | None = None
    peak_memory_mb: float | None = None
    oom_kills: int = 0
    alive_after: bool | None = None
    #: Answers to the first quality applications, after the load: the same model as one worker's?
    spot: dict = field(default_factory=dict)
    spot_statuses: dict = field(default_factory=dict)

    def limits_evidence(self) -> dict:
        return {"declared": self.declared, "ran_with": {"cpus": self.cpus, "memory_mb": self.memory_mb},
                "notes": self.notes}

    def slo(self) -> dict:
        """Whether the measured run meets the README's SLO, and why not."""
        problems = []
        if self.error:
            problems.append(self.error)
        else:
            load = self.load
            if load["p95_ms"] is None:
                problems.append(f"too few requests answered for a p95 ({load['ok']} of {load['sent']})")
            elif load["p95_ms"] > hd.SLO_P95_MS:
                problems.append(f"p95 {load['p95_ms']:.0f} ms > {hd.SLO_P95_MS:.0f} ms")
            if load["error_rate"] > hd.SLO_ERROR_RATE:
                problems.append(f"{load['errors']} of {load['sent']} requests failed ({load['statuses']})")
            if self.oom_kills:
                problems.append(f"{self.oom_kills} process(es) OOM-killed at a {self.memory_mb} MiB limit")
            if self.alive_after is False:
                problems.append("the server died during the load")
        if self.replicas < hd.MIN_REPLICAS:
            problems.append(f"{self.replicas} replica(s) cannot survive the loss of one")
        return {"holds": not problems, "problems": problems}


def replica_limits(manifests, cores: int) -> tuple[float, int, dict, list[str]]:
    notes = []
    declared = manifests.resources()
    cpus = manifests.cpu_request if manifests.cpu_request is not None else manifests.cpu_limit
    if cpus is None:
        cpus = 1.0
        notes.append("no CPU declared: ran with 1 CPU")
    if manifests.cpu_limit is not None and cpus > manifests.cpu_limit:
        cpus = manifests.cpu_limit
    if cpus > cores:
        notes.append(f"CPU request {cpus:g} clamped to the grading host's {cores} cores")
        cpus = float(cores)
    if cpus < 0.05:
        notes.append(f"CPU request {cpus:g} raised to 0.05 (the smallest quota the sandbox sets)")
        cpus = 0.05
    memory = manifests.memory_limit_mb or manifests.memory_request_mb
    if memory is None:
        memory = hd.MEMORY_CAP_MB
        notes.append(f"no memory limit declared: ran with the grading host's cap of {hd.MEMORY_CAP_MB} MiB")
    elif memory > hd.MEMORY_CAP_MB:
        notes.append(f"memory limit {memory:.0f} MiB clamped to the grading host's cap of {hd.MEMORY_CAP_MB} MiB")
        memory = hd.MEMORY_CAP_MB
    return round(cpus, 3), max(64, int(memory)), declared, notes


def run_replica(sandbox, manifests, env: dict, payloads: list[dict], spot_rows: list[tuple[str, dict]]) -> Replica:
    replicas = manifests.effective_replicas
    rate = round(hd.PEAK_RPS / max(1, replicas - 1), 2)
    cpus, memory_mb, declared, notes = replica_limits(manifests, host_cores(sandbox))
    result = Replica(replicas=replicas, rate=rate, declared=declared, cpus=cpus, memory_mb=memory_mb, notes=notes)
    view = sandbox.limited(cpus=cpus, memory_mb=memory_mb, pids=hd.REPLICA_PIDS)
    result.generator = check_generator(view, rate, hd.GENERATOR_CHECK_S).evidence()
    start = 1500
    try:
        with view.serve("replica", serve_argv(), env=env, start_timeout_s=hd.READY_WITHIN_S) as service:
            result.started_in_s = round(service.started_in_s, 2)
            result.load = measured_load(service.uds, rate, hd.REPLICA_WARMUP_S, hd.REPLICA_WINDOW_S, payloads, start)
            result.peak_memory_mb = service.peak_memory_mb()
            result.oom_kills = service.oom_kills()
            result.alive_after = service.alive()
            deadline = time.monotonic() + hd.SPOT_BUDGET_S
            try:
                for row_id, payload in spot_rows:
                    if time.monotonic() > deadline:
                        break
                    reply = send(service, "POST", "/predict", payload)
                    result.spot_statuses[row_id] = reply.status
                    if reply.status == 200:
                        result.spot[row_id] = reply.number("probability_default")
            except (CandidateFailure, OutputError):
                pass  # unanswered spot checks count against the replica in `answers_match`
            result.peak_memory_mb = service.peak_memory_mb()
            result.log = service.log_tail(8)
    except CandidateFailure as exc:
        hint = " (its log shows workers killed for memory)" if "out of memory" in exc.log.lower() else ""
        result.error, result.log = f"the replica did not serve: {exc}{hint}", exc.log
        result.peak_memory_mb = result.peak_memory_mb or exc.peak_memory_mb
        result.oom_kills = max(result.oom_kills, exc.oom_kills)
    if result.load:
        result.generator_after = host_was_busy(view, result.load)
    return result


def answers_match(replica: Replica, one_worker: OneWorker) -> dict:
    """The replica as declared answers like the one-worker run (whose answers passed the quality guard)."""
    diffs = [abs(p - one_worker.probabilities[i]) for i, p in replica.spot.items() if i in one_worker.probabilities]
    return {"rows": hd.SPOT_ROWS, "answered": len(replica.spot), "compared": len(diffs),
            "max_abs_diff": max(diffs) if diffs else None,
            "ok": len(diffs) == hd.SPOT_ROWS and max(diffs) <= hd.SAME_ANSWER_TOLERANCE}


def quality(one_worker: OneWorker, rows) -> dict:
    """Prediction quality of the one-worker run's answers on labelled fresh applications."""
    ids = list(rows["id"])
    failed = [i for i in ids if one_worker.statuses.get(i) != 200 or i not in one_worker.probabilities]
    result = {"rows": len(ids), "failed_requests": len(failed), "served_versions": sorted(one_worker.versions)[:10],
              "error": one_worker.error or one_worker.quality_error}
    if result["error"] is None and not failed:
        scores = np.array([one_worker.probabilities[i] for i in ids])
        labels = rows[credit.LABEL].to_numpy()
        result.update(auc=round(auc(labels, scores), 4) if np.all((scores >= 0) & (scores <= 1)) else None,
                      mean_predicted=round(float(scores.mean()), 4), observed_rate=round(float(labels.mean()), 4),
                      distinct_answers=int(len(np.unique(scores))))
    return result


def quality_problem(q: dict, champion: str) -> str | None:
    """Why the answers are not the champion's (None when they are)."""
    if q["error"]:
        return f"the service could not be measured: {q['error']}"
    if q["failed_requests"]:
        return f"{q['failed_requests']} of {q['rows']} valid applications were not scored"
    if q.get("auc") is None:
        return "some answers are not probabilities"
    if not set(q["served_versions"]) <= {champion}:
        return f"/predict answered with model versions {q['served_versions']}, the registry's champion is {champion!r}"
    if q["auc"] < hd.AUC_FLOOR:
        return f"AUC through the API is {q['auc']:.3f}, below {hd.AUC_FLOOR}"
    return None


def service_verdict(replica: Replica, one_worker: OneWorker, q: dict, champion: str) -> dict:
    """The SLO at the declared size, and that the fast answers are still the champion's."""
    verdict = replica.slo()
    same = answers_match(replica, one_worker) if not replica.error else None
    problem = quality_problem(q, champion)
    if problem:
        verdict["problems"].append(f"answers not verified: {problem}")
    elif same is not None and not same["ok"] and not verdict["problems"]:
        if same["answered"] < same["rows"]:
            verdict["problems"].append(f"after the load the replica answered {same['answered']} of {hd.SPOT_ROWS} "
                                       f"spot-check applications")
        else:
            verdict["problems"].append(f"the replica's answers differ from one worker's on the same applications "
                                       f"(max diff {same['max_abs_diff']})")
    verdict["holds"] = not verdict["problems"]
    verdict["same_answers_as_one_worker"] = same
    return verdict


def generator_kept_up(load: dict) -> None:
    """A passing latency means something only if the generator really sent the target rate."""
    if (load.get("achieved_rps") or 0) < 0.97 * load.get("target_rps", 0):
        raise InfraError(f"the load generator sent {load.get('achieved_rps')} rps of the {load.get('target_rps')} "
                         f"planned (grading machine overloaded?): latency not measured at the target rate")


def latency_chart(title: str, load: dict) -> dict:
    """p50/p95/p99 of the median window; no answers at all is drawn as the request timeout."""
    cap = hd.REQUEST_TIMEOUT_S * 1000
    values = {k: cap if load[f"{k}_ms"] is None else min(load[f"{k}_ms"], cap) for k in ("p50", "p95", "p99")}
    return bar_chart(title, values, band=(0, hd.SLO_P95_MS), unit="ms")


def memory_chart(title: str, peak: float | None, declared: dict, ran_with: int) -> dict:
    bars = {"peak measured": peak or 0.0, "ran with (limit)": ran_with}
    if declared.get("memory_request_mb") is not None:
        bars["request (declared)"] = declared["memory_request_mb"]
    if declared.get("memory_limit_mb") is not None:
        bars["limit (declared)"] = declared["memory_limit_mb"]
    return bar_chart(title, bars, band=(0, ran_with), unit="MiB")


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))
