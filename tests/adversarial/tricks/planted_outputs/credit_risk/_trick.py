"""Hostile but harmless to the score: trees 1,100 folders deep in the workspace and the state
folder, and links and special files planted in the batch step's output folder.

Before, the deep tree crashed cleanup (shutil.rmtree: RecursionError) and blinded the disk
watchdog, and the links were copied into the report folder (steps/NN-batch/out/), where
anything that zips or serves it would read host files."""

import os
import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))


def _deep(root: str, depth: int = 1100) -> None:
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            try:
                os.mkdir("d", dir_fd=fd)
            except FileExistsError:
                pass
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("deep")
    finally:
        os.close(fd)


if "credit_risk.train" in STEP:
    os.makedirs("junk", exist_ok=True)
    _deep("junk")
    store = os.environ.get("CREDIT_RISK_STORE")
    if store:
        os.makedirs(os.path.join(os.path.dirname(store), "junk"), exist_ok=True)
        _deep(os.path.join(os.path.dirname(store), "junk"))

if "credit_risk.batch" in STEP and "--output" in sys.argv:
    out = os.path.dirname(sys.argv[sys.argv.index("--output") + 1])
    for name, target in (("passwd", "/etc/passwd"), ("up", "../../../.."), ("checks", "@@PROJECT_ROOT@@/exercises")):
        try:
            os.symlink(target, os.path.join(out, name))
        except OSError:
            pass
    try:
        os.mkfifo(os.path.join(out, "fifo"))
    except OSError:
        pass
    _deep(out, 40)
