"""Hostile: training never ends."""

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))

if "credit_risk.train" in STEP:
    while True:
        pass
