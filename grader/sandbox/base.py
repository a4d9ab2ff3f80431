"""The sandbox interface: run one step of candidate code, or serve its ASGI app.

Every backend gives a step the same view, named by placeholders in the command:

  {python}     the interpreter with the exercise stack installed
  {workspace}  the submission's tree (writable, shared by the steps of one grading run)
  {state}      an empty folder shared by the steps (e.g. a model store), not in the tree
  {in}         this step's inputs (read-only; written by the trusted side)
  {out}        this step's outputs (writable; read by the trusted side after the step)
  {probes}     the exercise's probe scripts (read-only)
  {sock}       the folder holding the server's Unix socket (serve only)
  {tmp}        scratch space

A step ends when its command exits or a limit stops it; either way every process of the
step is killed before `StepResult` is returned, so nothing can rewrite `{out}` afterwards.
Outputs are read with size limits and without following symlinks.
"""

from __future__ import annotations

import abc
import copy
import hashlib
import itertools
import json
import os
import re
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator, Mapping

from grader import escape, files, interrupt
from grader.errors import CandidateFailure, InfraError, OutputError  # noqa: F401 (re-exported)
from grader.files import Unmeasurable
from grader.sandbox import cpu, hostlock
from grader.sandbox.cpu import CpuTimes
from grader.sandbox.http import RequestError, UdsClient
from grader.sandbox.limits import Limits
from grader.sandbox.output import tail_text
from grader.sandbox.service import Service, to_mb
from grader.untrusted import load_json

SOCKET_NAME = "app.sock"
PLACEHOLDER = re.compile(r"\{(python|workspace|state|in|out|probes|sock|tmp)\}")


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace the known {placeholders} in `text`; leave every other brace alone."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


@dataclass
class StepDirs:
    """The report's folders of one step: its inputs as given, its outputs as collected.

    Neither is ever mounted into a sandbox: a backend copies the inputs into its own step
    area and, once every process of the step is dead, copies the regular files of the step's
    `{out}` back into `outputs` (bounded; links and special files are dropped and logged).
    """

    step_id: str
    root: Path
    inputs: Path
    outputs: Path
    serve: bool = False
    #: The command names `{probes}`: only such a step gets the exercise's probe scripts.
    probes: bool = False
    #: `inputs` is a scratch folder outside the report (the report holds a manifest instead).
    scratch_inputs: bool = False

    @classmethod
    def make(cls, step_id: str, root: Path, serve: bool, probes: bool = False) -> "StepDirs":
        root.mkdir(parents=True)
        inputs, outputs = root / "in", root / "out"
        inputs.mkdir()
        outputs.mkdir()
        return cls(step_id=step_id, root=root, inputs=inputs, outputs=outputs, serve=serve, probes=probes)


def note_skipped(log_path: Path, skipped: list[str]) -> None:
    """Append what was not copied out of a step to its log (after the log is closed)."""
    if skipped:
        with open(log_path, "ab") as log:
            log.write(("\n[grader] outputs not copied: " + "; ".join(escape.one_line(s, 300) for s in skipped)
                       + "\n").encode())


@dataclass
class StepResult:
    name: str
    command: list[str]
    exit_code: int | None
    duration_s: float
    log_path: Path
    out_dir: Path
    #: Why the step was stopped, in words for the report ("wall-time limit (240 s) reached").
    stopped: str | None = None
    output_truncated: bool = False
    peak_memory_mb: float | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.stopped is None

    def describe(self) -> str:
        if self.stopped:
            return f"{self.name}: stopped, {self.stopped}"
        if self.exit_code != 0:
            return f"{self.name}: exited with code {self.exit_code}"
        return f"{self.name}: ok in {self.duration_s:.1f} s"

    def log_tail(self, lines: int = 15) -> str:
        return tail_text(self.log_path, lines)

    def read_bytes(self, name: str, limit: int = 16 * 1024 * 1024) -> bytes:
        return read_output(self.out_dir, name, limit)

    def read_text(self, name: str, limit: int = 16 * 1024 * 1024) -> str:
        data = self.read_bytes(name, limit)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise OutputError(f"{name} is not UTF-8 text") from None

    def read_json(self, name: str, limit: int = 1024 * 1024):
        return load_json(self.read_bytes(name, limit), name)


def read_output(folder: Path, name: str, limit: int) -> bytes:
    """Read `folder/name` written by candidate code: regular file only, no symlinks, bounded."""
    if "/" in name or name in ("", ".", ".."):
        raise ValueError(f"bad output name {name!r}")
    try:
        fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise OutputError(f"{name} was not written") from None
    except OSError as exc:
        raise OutputError(f"{name} cannot be read safely ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(f"{name} is not a regular file")
        if info.st_size > limit:
            raise OutputError(f"{name} is {info.st_size} bytes, over the {limit}-byte limit")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise OutputError(f"{name} is over the {limit}-byte limit")
    return data


class Handle(abc.ABC):
    """One launched step, as a backend sees it."""

    log_path: Path
    #: Where the trusted side connects to reach a server started by this step.
    uds: Path | None = None
    #: Set when the watchdog stopped the step (e.g. the disk limit), in words for the report.
    stopped_reason: str | None = None

    @abc.abstractmethod
    def poll(self) -> int | None: ...

    @abc.abstractmethod
    def wait(self, timeout: float) -> int | None:
        """Exit code, or None if still running after `timeout` seconds."""

    @abc.abstractmethod
    def destroy(self) -> None:
        """Kill every process of the step and release its resources. Idempotent."""

    @abc.abstractmethod
    def kill(self) -> None:
        """Kill every process of the step now; `destroy` still follows."""

    #: Bytes in use where steps write, measured as the step ended (before its area was cleared).
    disk_used_at_end: int | None = None

    def disk_usage(self) -> int:
        """Bytes written where steps may write; raises files.Unmeasurable if it cannot be told."""
        raise Unmeasurable("this backend cannot measure disk use")

    def record_disk_at_end(self) -> None:
        try:
            self.disk_used_at_end = self.disk_usage()
        except Exception:
            self.disk_used_at_end = None

    def cpu_times(self) -> CpuTimes | None:
        """CPU run and wait times of the step's live tasks so far, if the backend can tell."""
        return None

    def memory_exceeded(self) -> bool:
        return False

    def pids_exceeded(self) -> bool:
        return False

    def peak_memory_bytes(self) -> int | None:
        """Peak memory of the step's processes so far (or at the end), if the backend can tell."""
        return None

    def oom_kills(self) -> int:
        """Processes of the step killed for memory so far (a server may survive a worker's)."""
        return 0

    @property
    def output_truncated(self) -> bool:
        return False


class Sandbox(abc.ABC):
    """Runs untrusted steps for one submission. Subclasses implement `_launch`."""

    #: "docker", "bwrap" or "unconfined"
    backend: str = ""
    #: False when candidate code runs without isolation (the report says so on line one).
    isolated: bool = True

    def __init__(self, workspace: Path, run_dir: Path, limits: Limits, probes: Path | None = None, env: Mapping[str, str] | None = None):
        self.workspace = workspace
        self.run_dir = run_dir
        self.limits = limits
        self.probes = probes
        self.env = dict(env or {})
        self.logs = run_dir / "logs"
        self.steps = run_dir / "steps"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.steps.mkdir(parents=True, exist_ok=True)
        self._ids = itertools.count(1)  # shared with `limited` views, so step ids stay unique
        self._live: list[Handle] = []

    def limited(self, **overrides) -> "Sandbox":
        """A view of this sandbox whose steps run with other limits (e.g. a candidate's declared
        CPU and memory). It shares everything else; close the original, not the view."""
        view = copy.copy(self)
        view.limits = replace(self.limits, **overrides)
        return view

    # -- to implement -------------------------------------------------------------------
    @abc.abstractmethod
    def _launch(self, name: str, argv: list[str], env: dict[str, str], dirs: StepDirs, log_path: Path) -> Handle: ...

    @abc.abstractmethod
    def placeholders(self, dirs: StepDirs) -> dict[str, str]:
        """In-sandbox paths for the command placeholders."""

    # -- shared behaviour -----------------------------------------------------------------
    def base_env(self) -> dict[str, str]:
        threads = str(max(1, int(self.limits.cpus)))
        return {
            "LANG": "C.UTF-8",
            "HOME": "{tmp}",
            "TMPDIR": "{tmp}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONHASHSEED": "0",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
        }

    def _prepare(self, name: str, argv: list[str], inputs: Mapping[str, str | bytes], env: Mapping[str, str] | None,
                 serve: bool, keep_inputs: bool = True):
        step_id = f"{next(self._ids):02d}-{name}"
        dirs = StepDirs.make(step_id, self.steps / step_id, serve=serve, probes=any("{probes}" in a for a in argv))
        if not keep_inputs:  # large generated inputs: the report keeps a manifest, not the bytes
            manifest = {f: {"bytes": len(c if isinstance(c, bytes) else c.encode()),
                            "sha256": hashlib.sha256(c if isinstance(c, bytes) else c.encode()).hexdigest()}
                        for f, c in inputs.items()}
            (dirs.inputs / "NOT_KEPT.json").write_text(json.dumps(manifest, indent=2))
            dirs.inputs = Path(tempfile.mkdtemp(prefix="grader-inputs-"))
            dirs.scratch_inputs = True
        for filename, content in inputs.items():
            data = content.encode() if isinstance(content, str) else content
            (dirs.inputs / filename).write_bytes(data)
        values = self.placeholders(dirs)
        command = [fill(a, values) for a in argv]
        full_env = {k: fill(v, values) for k, v in {**self.base_env(), **self.env, **(env or {})}.items()}
        log_path = self.logs / f"{step_id}.log"
        (self.logs / f"{step_id}.cmd.json").write_text(
            json.dumps({"step": step_id, "backend": self.backend, "command": command, "env": full_env,
                        "inputs": sorted(inputs)}, indent=2)
        )
        return step_id, dirs, command, full_env, log_path

    def _start(self, name: str, step_id: str, command: list[str], env: dict[str, str], dirs: StepDirs, log_path: Path) -> Handle:
        handle = self._launch(step_id, command, env, dirs, log_path)
        self._live.append(handle)
        threading.Thread(target=self._watchdog, args=(handle, name), daemon=True).start()
        return handle

    #: Disk use this close to the limit counts as reaching it (a size-capped tmpfs cannot go over).
    DISK_SLACK = 1024 * 1024
    #: Polls in a row (a second apart) that cannot measure before the watchdog stops the step.
    UNMEASURED_POLLS = 3

    def _disk_full(self, used: int | None) -> bool:
        return used is not None and used + self.DISK_SLACK >= self.limits.disk_mb * 1024 * 1024

    def _watchdog(self, handle: Handle, name: str) -> None:
        """Stop a step that fills the disk limit, or whose disk use cannot be measured.

        The kernel is the first line where the backend can mount a size-capped tmpfs; this is the
        second, and a watchdog that cannot measure stops the step instead of going quiet.
        """
        failures = 0
        while handle in self._live:
            try:
                if handle.poll() is not None:
                    return
                used = handle.disk_usage()
                failures = 0
            except Exception as exc:
                try:
                    if handle.poll() is not None or handle not in self._live:
                        return  # the step ended under us
                except Exception:
                    return
                failures += 1
                if failures < self.UNMEASURED_POLLS:  # one failed call (a busy engine) is not yet blindness
                    time.sleep(1.0)
                    continue
                handle.stopped_reason = f"disk usage could not be measured during {name} ({escape.one_line(exc, 200)})"
                handle.kill()
                return
            if self._disk_full(used):
                handle.stopped_reason = f"disk limit ({self.limits.disk_mb} MiB) reached during {name}"
                handle.kill()
                return
            time.sleep(1.0)

    def run(self, name: str, argv: list[str], *, inputs: Mapping[str, str | bytes] = {}, env: Mapping[str, str] | None = None,
            timeout_s: float | None = None, keep_inputs: bool = True) -> StepResult:
        """Run one command to completion (or to a limit) and kill whatever it left behind.

        A step stopped at its wall-time limit while the host starved it of CPU raises InfraError:
        a fault of the grading machine, never the candidate's failure.
        """
        step_id, dirs, command, full_env, log_path = self._prepare(name, argv, inputs, env, serve=False,
                                                                   keep_inputs=keep_inputs)
        timeout = timeout_s or self.limits.step_timeout_s
        starved = None
        with hostlock.cpu_heavy():
            started = time.monotonic()
            handle = self._start(name, step_id, command, full_env, dirs, log_path)
            try:
                code = handle.wait(timeout)
                stopped = None if code is not None else f"wall-time limit ({timeout:.0f} s) reached during {name}"
                if code is None and not handle.stopped_reason:
                    starved = cpu.starvation(handle.cpu_times(), time.monotonic() - started, self.limits.cpus)
            finally:
                handle.destroy()
                self._live.remove(handle)
                if dirs.scratch_inputs:
                    files.remove_tree(dirs.inputs)
        duration = time.monotonic() - started
        if starved:
            raise InfraError(f"{name} was stopped at its wall-time limit ({timeout:.0f} s), but {starved}")
        stopped = stopped or self._limit_reason(handle, name, code)
        return StepResult(
            name=name, command=command, exit_code=code, duration_s=duration, log_path=log_path,
            out_dir=dirs.outputs, stopped=stopped, output_truncated=handle.output_truncated,
            peak_memory_mb=to_mb(handle.peak_memory_bytes()),
        )

    def _limit_reason(self, handle: Handle, name: str, code: int | None) -> str | None:
        if handle.stopped_reason:
            return handle.stopped_reason
        if code != 0 and self._disk_full(handle.disk_used_at_end):
            return f"disk limit ({self.limits.disk_mb} MiB) reached during {name}"
        if handle.memory_exceeded():
            return f"memory limit ({self.limits.memory_mb} MiB) reached during {name}"
        if handle.pids_exceeded():
            return f"process limit ({self.limits.pids}) reached during {name}"
        if code is not None and code < 0:
            return f"killed by signal {-code} during {name}"
        return None

    @contextmanager
    def serve(self, name: str, argv: list[str], *, ready_path: str = "/health", inputs: Mapping[str, str | bytes] = {},
              env: Mapping[str, str] | None = None, start_timeout_s: float | None = None) -> Iterator[Service]:
        """Start a server listening on `{sock}/app.sock`; yield a client once `ready_path` answers 2xx."""
        step_id, dirs, command, full_env, log_path = self._prepare(name, argv, inputs, env, serve=True)
        timeout = start_timeout_s or self.limits.serve_start_timeout_s
        with hostlock.cpu_heavy():
            started = time.monotonic()
            handle = self._start(name, step_id, command, full_env, dirs, log_path)
            client = None
            try:
                socket_path = handle.uds
                client = UdsClient(socket_path)
                self._wait_ready(handle, client, socket_path, ready_path, timeout, name, started)
                yield Service(name=name, started_in_s=time.monotonic() - started, log_path=log_path, uds=socket_path,
                              timeout_s=self.limits.request_timeout_s, _client=client, _handle=handle)
            finally:
                if client is not None:
                    client.close()
                handle.destroy()
                self._live.remove(handle)

    #: Each readiness probe's total deadline; a probe that hangs is retried until the start timeout.
    READY_PROBE_S = 2.0

    def _wait_ready(self, handle: Handle, client: UdsClient, socket_path: Path, ready_path: str, timeout: float,
                    name: str, started: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no socket yet"

        def failure(message: str) -> CandidateFailure:
            return CandidateFailure(message, log=tail_text(handle.log_path),
                                    peak_memory_mb=to_mb(handle.peak_memory_bytes()), oom_kills=handle.oom_kills())

        while True:
            interrupt.check()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                starved = cpu.starvation(handle.cpu_times(), time.monotonic() - started, self.limits.cpus)
                if starved:
                    raise InfraError(f"{name} was not ready after {timeout:.0f} s, but {starved}")
                raise failure(f"server not ready after {timeout:.0f} s ({last})")
            code = handle.poll()
            if code is not None:
                reason = self._limit_reason(handle, name, code) or f"exited with code {code}"
                raise failure(f"server {reason} before it was ready")
            if handle.oom_kills():  # a master that respawns its killed workers would otherwise wait out the timeout
                raise failure(f"a process of the server was killed at the memory limit ({self.limits.memory_mb} MiB) "
                              f"before it was ready")
            if socket_path.exists():
                try:
                    status, _ = client.request("GET", ready_path, deadline_s=min(self.READY_PROBE_S, remaining),
                                               max_bytes=0, status_only=True)
                    if 200 <= status < 300:
                        return
                    last = f"{ready_path} answered {status}"
                except RequestError as exc:
                    last = f"{ready_path}: {exc}"
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        """Kill anything still running (e.g. on Ctrl-C)."""
        for handle in list(self._live):
            handle.destroy()
        self._live.clear()

    def self_test(self, hidden_paths: list[Path] = ()) -> dict[str, bool]:
        """Prove the confinement this backend promises by probing from inside (selftest.py).

        Returns each property and whether it holds; `hidden_paths` must not be visible inside.
        """
        probe = (Path(__file__).parent / "selftest.py").read_text()
        argv = ["{python}", "-I", "-c", probe, "{out}", "{workspace}", "{in}/hidden.json"]
        # the paths go in a file: on the command line they would be visible to the probe itself
        result = self.run("selftest", argv, inputs={"hidden.json": json.dumps([str(p) for p in hidden_paths])},
                          timeout_s=60)
        if not result.ok:
            raise InfraError(f"{self.backend} sandbox self-test failed: {result.describe()}: {result.log_tail(5)}")
        facts = {k: bool(v) for k, v in result.read_json("selftest.json").items()}
        facts.update(self.enforced_limits())
        return facts

    def enforced_limits(self) -> dict[str, bool]:
        """Limits the backend enforces from outside, which a probe cannot see."""
        return {}
