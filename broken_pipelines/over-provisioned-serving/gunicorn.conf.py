"""Gunicorn settings for the credit-risk API.

    gunicorn -c gunicorn.conf.py credit_risk.api:app

Used as is by the container image, docker-compose.yml and deploy/k8s/deployment.yaml.
"""

import multiprocessing

bind = "0.0.0.0:8000"

# The usual recommendation: two workers per core, plus one.
workers = multiprocessing.cpu_count() * 2 + 1
worker_class = "uvicorn.workers.UvicornWorker"

# Loading the model can take a while under load: don't let the arbiter kill a busy worker.
timeout = 120
graceful_timeout = 30
keepalive = 5
