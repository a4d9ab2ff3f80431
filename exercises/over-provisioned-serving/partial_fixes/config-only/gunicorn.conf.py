"""Gunicorn settings for the credit-risk API.

    gunicorn -c gunicorn.conf.py credit_risk.api:app

Used as is by the container image, docker-compose.yml and deploy/k8s/deployment.yaml.
"""

import os

bind = "0.0.0.0:8000"

# A fixed number of workers per replica (WEB_CONCURRENCY in the Deployment): in a container,
# cpu_count() is the node's 64 cores, not the replica's CPU.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn.workers.UvicornWorker"

# Loading the model can take a while under load: don't let the arbiter kill a busy worker.
timeout = 120
graceful_timeout = 30
keepalive = 5
