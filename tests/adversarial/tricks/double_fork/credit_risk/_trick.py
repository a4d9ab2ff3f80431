"""Hostile: leave a daemon behind that rewrites the step's outputs after it ended.

The daemon waits until the step's main process has exited (a zombie or gone), then 1.5 s
more, so that its write can only land after the step, never during it: however slow a
loaded host makes the interpreter's shutdown, a header-only output here means the grader
read outputs that a process outliving its step wrote.
"""

import atexit
import os
import sys
import time

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))


def _exited(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _rewrite_later(path):
    main = os.getpid()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            while not _exited(main):
                time.sleep(0.05)
            time.sleep(1.5)
            with open(path, "w") as f:
                f.write("id,probability_default,model_version\n")
            os._exit(0)
        os._exit(0)


if "credit_risk.batch" in STEP:
    out = sys.argv[sys.argv.index("--output") + 1] if "--output" in sys.argv else None
    if out:
        atexit.register(_rewrite_later, out)
