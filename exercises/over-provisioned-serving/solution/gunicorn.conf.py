"""Gunicorn settings for the credit-risk API.

    gunicorn -c gunicorn.conf.py credit_risk.api:app

Used as is by the container image, docker-compose.yml and deploy/k8s/deployment.yaml.

Workers: a fixed, small number set per deployment (WEB_CONCURRENCY), never derived from the
machine's core count. In a container `multiprocessing.cpu_count()` is the *node's* core count
(64 on our node pool), not the replica's CPU allotment: that formula started 129 workers of
~330 MiB each in a pod limited to a few CPUs. Scoring one application takes a few ms of
CPU, so one CPU is served well by one worker; the second one is there so that a worker
restart does not take the whole replica out. Scale out with replicas, not workers.
"""

import os

bind = "0.0.0.0:8000"

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn.workers.UvicornWorker"

# The model is loaded at start-up, not per request: requests are a few ms, so a worker
# silent for 30 s is stuck, not busy.
timeout = 30
graceful_timeout = 20
keepalive = 5
