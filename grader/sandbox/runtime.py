"""The Python environment as a local sandbox step sees it, mounted from a neutral path.

Steps run with the exercise stack, which for the local backend is the grader's own Python
environment. Mounting a virtualenv where it lives would show its host path (the grader's
checkout, next to the hidden checks) in the step's `/proc/self/mountinfo`, `PATH` and
`pyvenv.cfg`. So a virtualenv is mounted from a hard-linked view of it at a neutral path
(`/var/tmp/mlops-grader-runtime/<hash>`, built once per environment, atomically) and
appears inside as `/opt/venv`; the files that would name the checkout are left out (the
grader's own editable install) or rewritten (`pyvenv.cfg`, console scripts' `#!` lines).
The base interpreter is mounted where it lives (a system path such as `/usr/local` or a
pyenv folder, which says nothing about the grader). Where hard links cannot be made
(another filesystem, no permission), the environment is mounted as it is, and
`RuntimeView.hidden` is False. Known limit: compiled `.pyc` files still carry the paths they
were compiled at in their bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INSIDE_VENV = "/opt/venv"
CACHE_DIRS = ("/var/tmp/mlops-grader-runtime", "/tmp/mlops-grader-runtime")
#: The grader's own installation inside site-packages: not needed by steps, and names the checkout.
_SKIP_TOP = ("__editable__", "mlops_grader")
#: Views unused for this long are removed (hard links pin the files of an old environment).
PRUNE_AFTER_S = 7 * 24 * 3600


@dataclass(frozen=True)
class RuntimeView:
    binds: tuple[tuple[Path, str], ...]  # (host source, path inside)
    python: str
    #: The virtualenv's host path is not visible inside.
    hidden: bool


@lru_cache(maxsize=1)
def python_view() -> RuntimeView:
    prefix = Path(os.path.realpath(sys.prefix))
    base = Path(os.path.realpath(sys.base_prefix))
    binds: list[tuple[Path, str]] = []
    if not str(base).startswith("/usr/"):
        binds.append((base, str(base)))
    if prefix == base:
        return RuntimeView(tuple(binds), sys.executable, hidden=True)
    view = _linked_view(prefix)
    if view is None:
        binds.append((prefix, str(prefix)))
        return RuntimeView(tuple(binds), sys.executable, hidden=False)
    binds.append((view, INSIDE_VENV))
    return RuntimeView(tuple(binds), f"{INSIDE_VENV}/bin/python", hidden=True)


def _fingerprint(prefix: Path) -> str:
    """Changes when packages are installed or removed (site-packages' entries change)."""
    digest = hashlib.sha256(str(prefix).encode())
    for site in sorted(prefix.glob("lib/python*/site-packages")):
        for entry in sorted(os.listdir(site)):
            digest.update(entry.encode())
            digest.update(str(os.lstat(site / entry).st_mtime_ns).encode())
    return digest.hexdigest()[:16]


def _linked_view(prefix: Path) -> Path | None:
    key = _fingerprint(prefix)
    for cache in CACHE_DIRS:
        view = Path(cache) / key
        if (view / "pyvenv.cfg").exists():
            return view
        try:
            Path(cache).mkdir(parents=True, exist_ok=True)
            os.chmod(cache, 0o755)
            if os.stat(cache).st_dev != os.stat(prefix).st_dev:
                continue
            staging = Path(cache) / f".build-{uuid.uuid4().hex[:8]}"
            _build(prefix, staging)
            try:
                staging.rename(view)
            except OSError:  # another grading built it first
                shutil.rmtree(staging, ignore_errors=True)
            _prune(Path(cache), keep=key)
            return view if (view / "pyvenv.cfg").exists() else None
        except OSError:
            continue
    return None


def _build(prefix: Path, dest: Path) -> None:
    for root, dirs, names in os.walk(prefix):
        rel = Path(root).relative_to(prefix)
        in_site = rel.parts[:1] == ("lib",) and len(rel.parts) >= 3 and rel.parts[2] == "site-packages"
        if in_site and len(rel.parts) == 3:
            dirs[:] = [d for d in dirs if not d.startswith(_SKIP_TOP)]
        if in_site and (len(rel.parts) == 3 or rel.parts[3:] == ("__pycache__",)):
            names = [n for n in names if not n.startswith(_SKIP_TOP)]
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in dirs:  # symlinked folders are not walked: recreate them as links
            if (Path(root) / name).is_symlink():
                os.symlink(os.readlink(Path(root) / name), dest / rel / name)
        for name in names:
            source, target = Path(root) / name, dest / rel / name
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
            elif rel == Path("bin") and _is_script(source, prefix):
                _rewrite_script(source, target, prefix)
            elif rel == Path(".") and name == "pyvenv.cfg":
                _write_config(source, target)
            elif source.is_file():
                os.link(source, target)


def _is_script(path: Path, prefix: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2 + len(str(prefix))) == b"#!" + str(prefix).encode()


def _rewrite_script(source: Path, target: Path, prefix: Path) -> None:
    data = source.read_bytes()
    first, _, rest = data.partition(b"\n")
    target.write_bytes(first.replace(str(prefix).encode(), INSIDE_VENV.encode(), 1) + b"\n" + rest)
    target.chmod(source.stat().st_mode & 0o777)


def _write_config(source: Path, target: Path) -> None:
    keep = ("home", "include-system-site-packages", "version")
    lines = [ln for ln in source.read_text().splitlines() if ln.split("=", 1)[0].strip() in keep]
    target.write_text("\n".join(lines) + "\n")


def _prune(cache: Path, keep: str) -> None:
    """Views of environments that changed long ago (a running grading may still use a recent one)."""
    now = time.time()
    for old in cache.iterdir():
        try:
            stale = now - old.stat().st_mtime > PRUNE_AFTER_S
        except OSError:
            continue
        if old.name != keep and stale:
            shutil.rmtree(old, ignore_errors=True)
