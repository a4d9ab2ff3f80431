"""Runs inside the sandbox: gunicorn as it would run on one of the company's nodes.

    python -P as_on_node.py CORES [--workers-to FILE] GUNICORN_ARGS...

A container sees the node's CPUs, not its own CPU allotment: on the production node pool
`multiprocessing.cpu_count()` is 64 whatever the pod's requests and limits. The grading
machine has other core counts, so this wrapper makes every core-count API of this
process (and of the workers it forks) report CORES, then runs gunicorn with
GUNICORN_ARGS exactly as the `gunicorn` command would. CPU time and memory are still
limited by the sandbox; only the number the code *sees* changes.

With `--workers-to FILE`, gunicorn only loads its configuration (the candidate's
gunicorn.conf.py, the environment, the command line) and the number of workers it would
start is written to FILE as JSON; nothing is served.
"""

import json
import multiprocessing
import os
import sys

cores = int(sys.argv[1])
args = sys.argv[2:]
workers_to = None
if args[:1] == ["--workers-to"]:
    workers_to, args = args[1], args[2:]

_sysconf = os.sysconf
_names = {"SC_NPROCESSORS_ONLN", "SC_NPROCESSORS_CONF"}
_codes = {os.sysconf_names[n] for n in _names if n in os.sysconf_names}


def sysconf(name):
    if name in _names or name in _codes:
        return cores
    return _sysconf(name)


os.cpu_count = lambda: cores
os.sched_getaffinity = lambda pid=0: set(range(cores))
os.sysconf = sysconf
multiprocessing.cpu_count = lambda: cores
multiprocessing.context.BaseContext.cpu_count = lambda self: cores

sys.argv = ["gunicorn", *args]

if workers_to is None:
    from gunicorn.app.wsgiapp import run

    sys.exit(run())

from gunicorn.app.wsgiapp import WSGIApplication  # noqa: E402

app = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")
with open(workers_to, "w") as f:
    json.dump({"cores": cores, "workers": app.cfg.workers, "worker_class": str(app.cfg.worker_class_str)}, f)
