"""Runs inside the sandbox: how many workers would gunicorn start on nodes of each size?

    python -P gunicorn_workers.py OUT_DIR CORES...

Loads the candidate's gunicorn configuration (gunicorn.conf.py, the environment, the
command line) in a fresh process per simulated core count, through `as_on_node.py`, and
writes `workers.json`: {"<cores>": {"workers": N, ...} or {"error": "..."}}.
"""

import json
import os
import subprocess
import sys
import tempfile

out_dir, counts = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
results = {}
for cores in counts:
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "workers.json")
        argv = [sys.executable, "-P", os.path.join(here, "as_on_node.py"), cores, "--workers-to", target,
                "-c", "gunicorn.conf.py", "credit_risk.api:app"]
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            results[cores] = {"error": "loading the gunicorn configuration took more than 60 s"}
            continue
        try:
            with open(target) as f:
                results[cores] = json.load(f)
        except (OSError, ValueError):
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
            results[cores] = {"error": f"gunicorn could not load its configuration (exit {proc.returncode}): "
                                       + " | ".join(tail)[:400]}
with open(os.path.join(out_dir, "workers.json"), "w") as f:
    json.dump(results, f)
