"""Before a starter reaches a candidate: it passes its own visible tests, for its variant.

A variant space renders the starter's code, README and tests from templates
(grader.variants), so an exercise author can write one that renders a starter whose own
`tests/` fail, and a candidate would start from a red `make test`. `grader publish` runs
them on the rendered starter (the grader's Python, `python -m pytest -q tests`, in a
throwaway copy) before anything is published, and refuses in one line naming the variant and
the first failing test. Exercises come from packs, which are trusted (DESIGN.md): the tests run
unsandboxed, under a deadline.

A rendered starter is deterministic per variant, so a tree that passed is remembered by its
content hash (under the user's cache folder): publishing for a cohort runs each variant's
tests once.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.catalog import content_files
from grader.errors import GraderError
from grader.escape import one_line

#: How long a starter's visible tests may take (the built-in ones take 15-50 s on 2 cores).
TIMEOUT_S = 900
CACHE_ENV = "XDG_CACHE_HOME"
_FIRST_FAILURE = re.compile(r"^(?:FAILED|ERROR) (\S+)(?: - (.*))?$", re.MULTILINE)


def cache_dir() -> Path:
    base = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache")
    return base / "mlops-grader" / "starter-tests"


def tree_hash(root: Path) -> str:
    """A hash of every file's path and bytes below `root` (catalog.content_files: sorted, litter aside)."""
    digest = hashlib.sha256(sys.version.encode() + b"\0")
    for rel, path in content_files(root):
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def check(rendered: Path, what: str, timeout_s: float = TIMEOUT_S) -> bool:
    """Run `rendered`'s own visible tests (its `tests/` folder) unless this tree passed before.

    Returns True if they ran now. Raises GraderError (one line naming `what`, the exercise and
    variant) when they fail, cannot be collected or overrun `timeout_s`."""
    if not (rendered / "tests").is_dir():
        return False
    key = tree_hash(rendered)
    passed = cache_dir() / key
    if passed.is_file():
        return False
    with tempfile.TemporaryDirectory(prefix="grader-starter-tests-") as scratch:
        work = Path(scratch) / "starter"
        shutil.copytree(rendered, work)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        try:
            done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "tests"],
                                  cwd=work, env=env, capture_output=True, text=True, timeout=timeout_s,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise GraderError(f"{what}: the starter's own tests took longer than {timeout_s:.0f} s: "
                              "nothing published") from None
    if done.returncode != 0:
        raise GraderError(f"{what}: the starter fails its own visible tests ({_first_failure(done.stdout)}): "
                          "nothing published")
    passed.parent.mkdir(parents=True, exist_ok=True)
    passed.write_text(f"{what}\n")
    return True


def _first_failure(output: str) -> str:
    found = _FIRST_FAILURE.search(output)
    if found is not None:
        return one_line(f"{found.group(1)}: {found.group(2)}" if found.group(2) else found.group(1), 200)
    lines = [ln for ln in output.splitlines() if ln.strip()]
    return one_line(lines[-1] if lines else "pytest printed nothing", 200)
