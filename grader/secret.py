"""The grading secret: a hiring team's private key, from which every hidden-data seed derives.

This repository is public, and so are the default seeds of the hidden data. A team that
keeps a secret file (`grader secret init PATH`, then `GRADER_SECRET_FILE=PATH` or
`grader --secret-file PATH`) grades on hidden data nobody can regenerate from the source:
each exercise's seeds come from HMAC(secret, exercise id, version, purpose) (grader.seeds).
Only a fingerprint of the secret is ever written (run.json, reports); the secret itself
never enters a sandbox or a report. Without a secret the public default seeds are used and
the report says so.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from grader.errors import GraderError
from grader.escape import one_line

ENV = "GRADER_SECRET_FILE"
#: A secret shorter than this (in characters) is refused: it could be guessed.
MIN_CHARS = 32
MAX_BYTES = 4096


def init(path: Path) -> None:
    """Write a new random secret to `path`, readable by its owner only; never overwrite one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise GraderError(f"{one_line(path, 300)} already exists: a grading secret is never overwritten "
                          "(hidden data drawn from the old one could not be drawn again)") from None
    except OSError as exc:
        raise GraderError(f"cannot create the grading secret {one_line(path, 300)}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")


def configured() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value).expanduser() if value else None


def load(path: Path | None = None) -> str | None:
    """The secret named by `path` (default: GRADER_SECRET_FILE), or None when none is configured.

    A configured secret that cannot be used is an error, never a silent fall-back to the
    public seeds: missing, unreadable, readable by others, too short.
    """
    path = path or configured()
    if path is None:
        return None
    where = one_line(path, 300)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise GraderError(f"grading secret {where} is not a regular file")
        if info.st_mode & 0o077:
            raise GraderError(f"grading secret {where} is readable by others (mode {stat.S_IMODE(info.st_mode):o}): "
                              f"chmod 600 {where}")
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise GraderError(f"grading secret {where} does not exist (create one with `grader secret init {where}`)") \
            from None
    except OSError as exc:
        raise GraderError(f"cannot read the grading secret {where}: {exc.strerror}") from None
    text = data.decode("utf-8", errors="replace").strip()
    if len(data) > MAX_BYTES or len(text) < MIN_CHARS or any(c.isspace() for c in text):
        raise GraderError(f"grading secret {where} must hold one line of {MIN_CHARS} to {MAX_BYTES} characters "
                          "(as `grader secret init` writes)")
    return text
