"""The deployment files are well-formed and agree with the serving interface."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def documents(path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((ROOT / path).read_text()) if d]


def deployment() -> dict:
    (found,) = [d for d in documents("deploy/k8s/deployment.yaml") if d["kind"] == "Deployment"]
    return found


def api_container() -> dict:
    (found,) = [c for c in deployment()["spec"]["template"]["spec"]["containers"] if c["name"] == "api"]
    return found


def test_the_deployment_runs_the_serving_command():
    assert deployment()["metadata"]["name"] == "credit-risk-api"
    assert api_container()["command"] == ["gunicorn", "-c", "gunicorn.conf.py", "credit_risk.api:app"]


def test_the_api_container_declares_requests_and_limits():
    resources = api_container()["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[kind]), kind


def test_the_hpa_scales_the_deployment():
    (hpa,) = documents("deploy/k8s/hpa.yaml")
    assert hpa["kind"] == "HorizontalPodAutoscaler"
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment()["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_gunicorn_config_loads_with_asgi_workers():
    # Loading the config is all `gunicorn --check-config` needs; it must not start a server.
    code = ("import sys; sys.argv = ['gunicorn', '-c', 'gunicorn.conf.py', 'credit_risk.api:app']\n"
            "from gunicorn.app.wsgiapp import WSGIApplication\n"
            "cfg = WSGIApplication('%(prog)s [OPTIONS] [APP_MODULE]').cfg\n"
            "print(cfg.worker_class_str, cfg.workers)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    worker_class, workers = out.stdout.split()
    assert "Uvicorn" in worker_class or worker_class == "asgi"
    assert int(workers) >= 1
