"""Hostile: the batch output is a symlink to a file of the host."""

import atexit
import os

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))



def _swap(path):
    os.replace(path, path + ".real")
    os.symlink("/etc/passwd", path)


if "credit_risk.batch" in STEP and "--output" in sys.argv:
    atexit.register(_swap, sys.argv[sys.argv.index("--output") + 1])
