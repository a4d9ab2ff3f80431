"""Hostile: the server never finishes starting (batch and training work)."""

import time

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))

if "uvicorn" in STEP:
    while True:
        time.sleep(1)
