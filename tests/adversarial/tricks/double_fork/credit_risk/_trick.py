"""Hostile: leave a daemon behind that rewrites the step's outputs after it ended."""

import atexit
import os
import time

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))



def _rewrite_later(path):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1.5)
            with open(path, "w") as f:
                f.write("id,probability_default,model_version\n")
            os._exit(0)
        os._exit(0)


if "credit_risk.batch" in STEP:
    out = sys.argv[sys.argv.index("--output") + 1] if "--output" in sys.argv else None
    if out:
        atexit.register(_rewrite_later, out)
