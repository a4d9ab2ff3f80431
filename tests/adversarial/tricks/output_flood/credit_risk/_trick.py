"""Hostile: flood the output (about 200 MB) at every start-up, then carry on normally."""

import os

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))

line = b"spam " * 200 + b"\n"
for _ in range(200_000):
    os.write(1, line)
