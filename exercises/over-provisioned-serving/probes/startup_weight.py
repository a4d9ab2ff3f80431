"""Runs inside the sandbox: what does it cost to start one worker of the candidate's API?

    python -P startup_weight.py OUT_DIR credit_risk.api:app PAYLOAD_JSON

Does what a gunicorn/uvicorn worker does until it has scored its first application:
imports the ASGI app, runs its lifespan start-up (where a model is usually loaded) and
answers one `POST /predict` with the given payload, all in this process. Measures the CPU
seconds that took (process time: what a busy node charges, whatever runs beside it), the
wall time and the process's peak resident memory, and lists heavy packages that ended up
imported. The server (gunicorn, uvicorn) is imported before the clock starts.

For scale, a fresh process first imports the stack any such worker needs (FastAPI,
pandas, scikit-learn, MLflow's pyfunc and sklearn flavours) and reports the same figures: CPU speed
differs between machines, so the grader compares the two. Writes `startup.json`.
"""

import asyncio
import importlib
import json
import os
import resource
import subprocess
import sys
import time

out_dir, target, payload = sys.argv[1], sys.argv[2], sys.argv[3].encode()

BASELINE = """
import json, resource, sys, time
import gunicorn.app.wsgiapp, uvicorn
c0, w0 = time.process_time(), time.perf_counter()
import fastapi, pydantic, numpy, pandas, sklearn.linear_model, sklearn.pipeline, sklearn.preprocessing, mlflow, mlflow.pyfunc, mlflow.sklearn
print(json.dumps({"cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
WATCHED = ("evidently", "plotly", "nltk", "litestar", "matplotlib", "statsmodels", "scipy", "mlflow", "sklearn",
           "pandas", "torch", "tensorflow")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline() -> dict:
    proc = subprocess.run([sys.executable, "-P", "-c", BASELINE], capture_output=True, timeout=120)
    try:
        return {k: round(v, 3) for k, v in json.loads(proc.stdout.decode().strip().splitlines()[-1]).items()}
    except (ValueError, IndexError):
        return {"error": proc.stderr.decode(errors="replace")[-300:]}


async def lifespan_startup(app, timeout: float = 120.0) -> str:
    """Run the ASGI lifespan start-up, as uvicorn's `lifespan="auto"` does."""
    inbox: asyncio.Queue = asyncio.Queue()
    done = asyncio.Event()
    outcome = {}

    async def receive():
        return await inbox.get()

    async def send(message):
        kind = message.get("type", "")
        if kind in ("lifespan.startup.complete", "lifespan.startup.failed"):
            outcome["status"] = "complete" if kind.endswith("complete") else "failed: " + str(message.get("message"))[:300]
            done.set()

    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, receive, send))
    waiter = asyncio.ensure_future(done.wait())
    await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if done.is_set():
        return outcome["status"]
    if task.done():
        return "unsupported"  # the app does not speak lifespan: uvicorn carries on without it
    return f"timeout after {timeout:.0f} s"


async def first_prediction(app, timeout: float = 120.0) -> int:
    """One POST /predict through the ASGI interface; returns the HTTP status."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/predict", "raw_path": b"/predict", "query_string": b"",
             "root_path": "", "headers": [(b"host", b"sandbox"), (b"content-type", b"application/json"),
                                          (b"content-length", str(len(payload)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
    sent = {"body": False}
    status = {"code": 0}

    async def receive():
        if not sent["body"]:
            sent["body"] = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await asyncio.sleep(timeout)
        return {"type": "http.disconnect"}

    async def send(message):
        if message.get("type") == "http.response.start":
            status["code"] = int(message.get("status", 0))

    await asyncio.wait_for(app(scope, receive, send), timeout)
    return status["code"]


async def worker(app) -> tuple[str, int]:
    status = await lifespan_startup(app)
    if status not in ("complete", "unsupported"):
        return status, 0
    return status, await first_prediction(app)


base = baseline()
rss_before = peak_rss_mb()
wall0, cpu0 = time.perf_counter(), time.process_time()
sys.path.insert(0, os.getcwd())
module_name, _, attr = target.partition(":")
app = getattr(importlib.import_module(module_name), attr)
import_cpu, import_wall = time.process_time() - cpu0, time.perf_counter() - wall0
lifespan, status = asyncio.run(worker(app))
result = {
    "baseline": base,
    "import_cpu_s": round(import_cpu, 3),
    "import_wall_s": round(import_wall, 3),
    "cpu_s": round(time.process_time() - cpu0, 3),
    "wall_s": round(time.perf_counter() - wall0, 3),
    "server_rss_mb": round(rss_before, 1),
    "peak_rss_mb": round(peak_rss_mb(), 1),
    "lifespan": lifespan,
    "first_predict_status": status,
    "modules": len(sys.modules),
    "heavy_packages": sorted({m.split(".")[0] for m in sys.modules} & set(WATCHED)),
}
with open(os.path.join(out_dir, "startup.json"), "w") as f:
    json.dump(result, f)
sys.stdout.flush()
os._exit(0)  # do not wait for threads the app may have started
