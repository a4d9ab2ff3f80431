"""Hostile: allocate far more memory than allowed when training starts."""

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))

if "credit_risk.train" in STEP:
    hog = [bytearray(256 * 1024 * 1024) for _ in range(64)]
