"""Fetch a submission with git under hardened settings and pin it to one commit.

Git is hostile input: the clone is bare (no working tree, so no checkout-time symlinks,
filters or hooks), global and system config are ignored, only the vetted protocol is
allowed, `ext::` is disabled, no terminal prompt, objects are fsck'd on transfer, and a
wall-time limit and a size cap are enforced by this module (GitPython's own timeout does
not apply to clone). Everything after the clone reads objects through GitPython.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import git

from grader import interrupt
from grader.checkout.urls import Source
from grader.errors import CheckoutError

HARDENING = (
    "protocol.ext.allow=never",
    "protocol.fd.allow=never",
    "core.hooksPath=/dev/null",
    "core.symlinks=false",
    "core.fsmonitor=false",
    "core.askPass=",
    "credential.helper=",
    "transfer.fsckObjects=true",
    "fetch.fsckObjects=true",
    "submodule.recurse=false",
    "http.followRedirects=false",
)


@dataclass(frozen=True)
class CloneLimits:
    timeout_s: float = 180.0
    max_bytes: int = 300 * 1024 * 1024


def git_env(source: Source, home: Path) -> dict[str, str]:
    """Environment for every git process: nothing from the operator's git setup leaks in."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_ALLOW_PROTOCOL": ":".join(source.protocols),
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new",
    }
    for key in ("SSH_AUTH_SOCK", "http_proxy", "https_proxy", "no_proxy", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def clone(source: Source, dest: Path, limits: CloneLimits = CloneLimits()) -> git.Repo:
    """Bare-clone `source` into `dest` with full history; raise CheckoutError on failure."""
    home = Path(tempfile.mkdtemp(prefix="grader-git-home-"))
    cmd = ["git"]
    for setting in HARDENING:
        cmd += ["-c", setting]
    if source.kind == "file":
        cmd += ["-c", "protocol.file.allow=always"]
    cmd += ["clone", "--bare", "--no-local", "--quiet", "--", source.git_url, str(dest)]
    started = time.monotonic()
    log = dest.parent / f"{dest.name}.clone.log"
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                cmd, env=git_env(source, home), stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
            )
            reason = _watch(proc, dest, limits, started)
        if reason:
            raise CheckoutError(f"clone of {source.display} stopped: {reason}")
        if proc.returncode != 0:
            raise CheckoutError(f"clone of {source.display} failed: {_last_line(log)}")
        if _dir_size(dest) > limits.max_bytes:  # a fast clone can finish between two looks
            raise CheckoutError(f"clone of {source.display} stopped: {_too_big(limits)}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return git.Repo(dest)


def _watch(proc: subprocess.Popen, dest: Path, limits: CloneLimits, started: float) -> str | None:
    """Wait for git; kill its whole process group on timeout or when the clone grows too big."""
    while True:
        try:
            proc.wait(timeout=0.25)
            return None
        except subprocess.TimeoutExpired:
            pass
        try:
            interrupt.check()
        except KeyboardInterrupt:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        reason = None
        if time.monotonic() - started > limits.timeout_s:
            reason = f"took longer than {limits.timeout_s:.0f} s"
        elif dest.exists() and _dir_size(dest) > limits.max_bytes:
            reason = _too_big(limits)
        if reason:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            return reason


def _too_big(limits: CloneLimits) -> str:
    return f"repository is larger than {limits.max_bytes // (1024 * 1024)} MiB"


def _last_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    if not lines:
        return "git exited with an error"
    line = lines[-1]
    for prefix in ("fatal: ", "error: "):
        if line.startswith(prefix):
            line = line[len(prefix):]
    return line[:300]


def resolve(repo: git.Repo, ref: str | None, display: str) -> git.Commit:
    """Pin `ref` (branch, tag or commit; default: the remote's HEAD) to one commit."""
    if ref is not None and (not ref or ref.startswith("-") or any(ord(c) < 0x21 for c in ref) or ".." in ref):
        raise CheckoutError(f"invalid ref {ref!r}")
    candidates = ["HEAD"] if ref is None else [f"refs/heads/{ref}", f"refs/tags/{ref}", ref]
    for name in candidates:
        try:
            return repo.rev_parse(f"{name}^{{commit}}")
        except (git.BadName, git.BadObject, ValueError, IndexError):
            continue
    if ref is None:
        raise CheckoutError(f"{display} has no commits (empty repository)")
    raise CheckoutError(f"ref {ref!r} not found in {display}")
