"""What made this service expensive must not come back: per-request loading, heavy imports,
workers from the node's cores, an unprobed or oversized deployment."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
APPLICATION = {"age": 38, "annual_income": 52000.0, "employment_years": 6.5, "debt": 9000.0,
               "credit_utilization": 0.31, "num_late_payments": 1, "loan_amount": 12000.0, "region": "north",
               "home_ownership": "rent"}


def run_python(code: str, env: dict | None = None) -> str:
    import os

    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_the_model_is_loaded_once_not_per_request(store, monkeypatch):
    from fastapi.testclient import TestClient

    import credit_risk.api as api

    calls = []
    real = api.load_champion
    monkeypatch.setattr(api, "load_champion", lambda *a, **k: calls.append(1) or real(*a, **k))
    with TestClient(api.app) as client:
        for _ in range(20):
            assert client.post("/predict", json=APPLICATION).status_code == 200
    assert len(calls) == 1


def test_serving_does_not_import_the_monitoring_stack():
    loaded = run_python("import json, sys, credit_risk.api; "
                        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'evidently', 'plotly'})))")
    assert json.loads(loaded) == []


def test_gunicorn_workers_do_not_follow_the_node_cores():
    code = ("import json, multiprocessing, os, sys\n"
            "counts = {}\n"
            "for cores in (2, 64):\n"
            "    os.cpu_count = multiprocessing.cpu_count = (lambda n: (lambda: n))(cores)\n"
            "    sys.argv = ['gunicorn', '-c', 'gunicorn.conf.py', 'credit_risk.api:app']\n"
            "    from gunicorn.app.wsgiapp import WSGIApplication\n"
            "    counts[cores] = WSGIApplication('%(prog)s [OPTIONS] [APP_MODULE]').cfg.workers\n"
            "print(json.dumps(counts))")
    counts = json.loads(run_python(code, env={"WEB_CONCURRENCY": "2"}))
    assert counts == {"2": 2, "64": 2}


def deployment() -> dict:
    (found,) = [d for d in yaml.safe_load_all((ROOT / "deploy/k8s/deployment.yaml").read_text())
                if d and d["kind"] == "Deployment"]
    return found


def test_pods_take_traffic_only_once_they_can_score():
    (api,) = [c for c in deployment()["spec"]["template"]["spec"]["containers"] if c["name"] == "api"]
    probe = api["readinessProbe"]["httpGet"]
    assert probe["path"] == "/health" and probe["port"] in ("http", 8000)


def test_the_floor_survives_a_lost_replica_within_budget():
    hpa = yaml.safe_load((ROOT / "deploy/k8s/hpa.yaml").read_text())
    (api,) = [c for c in deployment()["spec"]["template"]["spec"]["containers"] if c["name"] == "api"]
    requests = api["resources"]["requests"]
    floor = hpa["spec"]["minReplicas"]
    cpu = float(requests["cpu"])
    memory_gib = float(requests["memory"].removesuffix("Gi"))
    assert floor >= 2
    assert 60 / (floor - 1) <= 40 * cpu  # ~80 rps per CPU measured; keep half of it as headroom
    assert floor * (cpu * 0.04 + memory_gib * 0.005) * 730 <= 150


def test_rollouts_and_drains_keep_the_peak_replicas():
    floor = yaml.safe_load((ROOT / "deploy/k8s/hpa.yaml").read_text())["spec"]["minReplicas"]
    rolling = deployment()["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0 and rolling["maxSurge"] >= 1  # a rollout never dips below the floor
    (budget,) = [d for d in yaml.safe_load_all((ROOT / "deploy/k8s/pdb.yaml").read_text())
                 if d and d["kind"] == "PodDisruptionBudget"]
    assert budget["apiVersion"] == "policy/v1"
    assert budget["spec"]["selector"]["matchLabels"].items() <= deployment()["spec"]["template"]["metadata"]["labels"].items()
    assert budget["spec"]["maxUnavailable"] == 1 and floor - 1 >= 2  # a drain leaves what carries the peak
