"""Start the verifier process for one submission and collect the outcomes it records.

The process is `python -I -m pytest` on the exercise's `checks/` folder with the grader's
plugin, autoloading of other plugins disabled, its own empty ini file and rootdir, and
the grader's run folder as working directory: no candidate file is on its path or can be
picked up as configuration. Its output is kept as a log; outcomes come from the plugin's
`results.jsonl`, never from that output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from grader import interrupt, seeds, variants
from grader.catalog import Exercise
from grader.errors import InfraError
from grader.verify.session import VerifySession

MAX_RESULTS_BYTES = 5 * 1024 * 1024


@dataclass
class CheckOutcome:
    check: str
    outcome: str  # passed | failed | error | skipped
    infra: bool = False
    message: str | None = None
    evidence: dict = field(default_factory=dict)
    duration_s: float = 0.0


def pytest_command(exercise: Exercise, session_path: Path, ini_path: Path) -> list[str]:
    checks = str(exercise.checks_dir)
    return [
        sys.executable, "-I", "-B", "-m", "pytest", checks,
        "-p", "grader.verify.plugin", "-p", "no:cacheprovider", "-p", "no:stepwise",
        "-c", str(ini_path), "--rootdir", checks, "--confcutdir", checks,
        "--grader-session", str(session_path),
        "-q", "-rN", "--tb=short", "--color=no",
    ]


def verify(
    exercise: Exercise,
    session: VerifySession,
    work_dir: Path,
    log_path: Path,
    timeout_s: float,
    on_result: Callable[[CheckOutcome], None] | None = None,
) -> dict[str, CheckOutcome]:
    """Run the hidden checks; return outcomes by check id. Raises InfraError if the run broke."""
    work_dir.mkdir(parents=True, exist_ok=True)
    session_path = work_dir / "session.json"
    session.save(session_path)
    ini = work_dir / "pytest.ini"
    ini.write_text("[pytest]\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work_dir),
        "LANG": "C.UTF-8",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }
    if session.hidden_key:
        env[seeds.ENV] = session.hidden_key
    if session.variant:
        env[variants.ENV] = session.variant
    for key in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "GRADER_HOME", "GRADER_RUNNER_IMAGE",
                "GRADER_DOCKER_OWNER"):
        if key in os.environ:
            env[key] = os.environ[key]
    command = pytest_command(exercise, session_path, ini)
    shown = {**env, seeds.ENV: seeds.describe(env[seeds.ENV])} if seeds.ENV in env else env  # never the key itself
    (log_path.parent / "verify.cmd.json").write_text(json.dumps({"command": command, "env": shown}, indent=2))

    results_path = Path(session.results_path)
    seen = 0
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=work_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        try:
            while proc.poll() is None:
                interrupt.check()
                if time.monotonic() > deadline:
                    _stop(proc)
                    raise InfraError(f"verifier did not finish within {timeout_s:.0f} s (see {log_path})")
                seen = _report_new(results_path, seen, on_result)
                time.sleep(0.2)
        except BaseException:
            _stop(proc)
            raise
    _report_new(results_path, seen, on_result)
    outcomes = read_results(results_path)
    if proc.returncode not in (0, 1) or not outcomes:
        raise InfraError(f"verifier exited with code {proc.returncode} (see {log_path})")
    return outcomes


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM first so fixtures tear their sandboxes down, then SIGKILL the group."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    if path.stat().st_size > MAX_RESULTS_BYTES:
        raise InfraError(f"verifier results file is larger than {MAX_RESULTS_BYTES} bytes")
    return [ln for ln in path.read_text().splitlines() if ln.strip()]


def _report_new(path: Path, seen: int, on_result: Callable[[CheckOutcome], None] | None) -> int:
    lines = _lines(path)
    if on_result is not None:
        for line in lines[seen:]:
            on_result(CheckOutcome(**json.loads(line)))
    return len(lines)


def read_results(path: Path) -> dict[str, CheckOutcome]:
    outcomes: dict[str, CheckOutcome] = {}
    for line in _lines(path):
        outcome = CheckOutcome(**json.loads(line))
        outcomes.setdefault(outcome.check, outcome)
    return outcomes
