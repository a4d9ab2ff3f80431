"""The local backend: bubblewrap when present, else an unconfined subprocess.

With `bwrap` a step gets its own user, PID, network, IPC and mount namespaces: no network
at all, a non-root user, a root filesystem made only of read-only system folders and the
grader's Python environment, the workspace and `{out}` writable, a size-capped `/tmp`.
When the PID namespace's first process exits, the kernel kills everything left in it.

Resource limits come from a throwaway cgroup where the machine allows one (memory, process
count and CPU for the whole tree; also the way to kill every process of the step), and
from rlimits (`prlimit`) otherwise and always for file size and open files.

Without bwrap, steps run as plain subprocesses: `isolated` is False and the caller must
refuse untrusted submissions unless the operator explicitly allowed it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.sandbox.base import SOCKET_NAME, Handle, Sandbox, StepDirs
from grader.sandbox.cgroups import Cgroup
from grader.sandbox.output import CappedLog

# Where things appear inside a bwrap sandbox.
INSIDE = {"workspace": "/workspace", "state": "/state", "in": "/io/in", "out": "/io/out", "probes": "/io/probes", "sock": "/io/sock", "tmp": "/tmp"}
_JOIN_CGROUP = 'for f in $1; do echo $$ > "$f"; done; shift; exec "$@"'


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _python_roots() -> list[str]:
    roots = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    return sorted(roots)


class LocalHandle(Handle):
    def __init__(self, popen: subprocess.Popen, log: CappedLog, cgroup: Cgroup | None, log_path: Path, uds: Path | None,
                 writable: list[Path]):
        self.popen = popen
        self.uds = uds
        self.writable = writable
        self.log = log
        self.cgroup = cgroup
        self.log_path = log_path
        self._destroyed = False
        self._oom = False
        self._pids_hit = False
        self._peak: int | None = None
        self._oom_kills = 0

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def disk_usage(self) -> int:
        return sum(_usage(p) for p in self.writable)

    def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        self.kill()
        self.popen.wait()
        self.log.close()
        if self.cgroup is not None:
            self._oom = self.cgroup.oom_killed()
            self._oom_kills = self.cgroup.oom_kills()
            self._pids_hit = self.cgroup.pids_limit_hit()
            self._peak = self.cgroup.peak_memory()
            self.cgroup.remove()

    def memory_exceeded(self) -> bool:
        if self.cgroup is not None:
            return self._oom
        return "MemoryError" in _tail(self.log_path)

    def pids_exceeded(self) -> bool:
        return self._pids_hit

    def peak_memory_bytes(self) -> int | None:
        if self.cgroup is not None and not self._destroyed:
            return self.cgroup.peak_memory()
        return self._peak

    def oom_kills(self) -> int:
        if self.cgroup is not None and not self._destroyed:
            return self.cgroup.oom_kills()
        return self._oom_kills

    @property
    def output_truncated(self) -> bool:
        return self.log.truncated


def _usage(folder: Path, max_entries: int = 200_000) -> int:
    """Allocated bytes under `folder` (sparse files count as what they really use)."""
    total = 0
    seen = 0
    for root, dirs, files in os.walk(folder):
        for name in files:
            seen += 1
            if seen > max_entries:
                return total
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def _tail(path: Path) -> str:
    from grader.sandbox.output import tail_text

    return tail_text(path, 40)


class LocalSandbox(Sandbox):
    """`confine=True` needs bwrap; `confine=False` runs unconfined (not isolated)."""

    def __init__(self, *args, confine: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.confine = confine
        self.backend = "bwrap" if confine else "unconfined"
        self.isolated = confine
        self._used_cgroup: bool | None = None
        # Scratch shared by the steps (e.g. a model store): outside the report folder.
        self.state = Path(tempfile.mkdtemp(prefix="grader-state-"))

    def placeholders(self, dirs: StepDirs) -> dict[str, str]:
        if self.confine:
            return {**INSIDE, "python": sys.executable}
        tmp = dirs.root / "tmp"
        tmp.mkdir(exist_ok=True)
        return {
            "python": sys.executable,
            "workspace": str(self.workspace),
            "state": str(self.state),
            "in": str(dirs.inputs),
            "out": str(dirs.outputs),
            "probes": str(self.probes or ""),
            "sock": str(dirs.sock or ""),
            "tmp": str(tmp),
        }

    def base_env(self) -> dict[str, str]:
        path = f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin"
        return {**super().base_env(), "PATH": path, "USER": "sandbox", "LOGNAME": "sandbox"}

    def _bwrap_options(self, dirs: StepDirs, env: dict[str, str]) -> list[str]:
        cmd = [
            "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr",
        ]
        for top in ("bin", "lib", "lib64", "sbin"):
            host = Path("/") / top
            if host.is_symlink():
                cmd += ["--symlink", os.readlink(host), f"/{top}"]
            elif host.is_dir():
                cmd += ["--ro-bind", str(host), f"/{top}"]
        for name in ("ssl", "localtime", "alternatives", "ld.so.cache", "mime.types"):
            if (Path("/etc") / name).exists():
                cmd += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        # /tmp first: a Python environment under /tmp (a CI checkout) is bound on top of it, not hidden by it.
        cmd += ["--size", str(self.limits.tmpfs_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        for root in _python_roots():
            cmd += ["--ro-bind", root, root]
        cmd += ["--proc", "/proc", "--dev", "/dev"]
        cmd += ["--bind", str(self.workspace), INSIDE["workspace"], "--bind", str(self.state), INSIDE["state"]]
        cmd += ["--ro-bind", str(dirs.inputs), INSIDE["in"], "--bind", str(dirs.outputs), INSIDE["out"]]
        if self.probes is not None:
            cmd += ["--ro-bind", str(self.probes), INSIDE["probes"]]
        if dirs.sock is not None:
            cmd += ["--bind", str(dirs.sock), INSIDE["sock"]]
        cmd += ["--remount-ro", "/", "--chdir", INSIDE["workspace"], "--clearenv"]
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        return cmd

    def _rlimits(self, with_cgroup: bool) -> list[str]:
        lim = self.limits
        args = ["prlimit", f"--fsize={lim.file_size_mb * 1024 * 1024}", f"--nofile={lim.nofile}", "--core=0"]
        if not with_cgroup:
            # Without a cgroup these are the only memory and process limits we can set.
            args += [f"--as={lim.memory_mb * 1024 * 1024 * 2}", f"--nproc={lim.pids}"]
        return args + ["--"]

    def _launch(self, name: str, argv: list[str], env: dict[str, str], dirs: StepDirs, log_path: Path) -> Handle:
        cgroup = Cgroup.create(self.limits.memory_mb * 1024 * 1024, self.limits.pids, self.limits.cpus)
        self._used_cgroup = cgroup is not None
        command = self._rlimits(cgroup is not None)
        pass_fds: tuple[int, ...] = ()
        if self.confine:
            # Options go through a pipe (`--args FD`), so the sandbox's process 1 does not show
            # the host's paths in its command line.
            options = "\0".join(self._bwrap_options(dirs, env)).encode() + b"\0"
            read_end, write_end = os.pipe()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(options)
            pass_fds = (read_end,)
            command += [bwrap_path() or "bwrap", "--args", str(read_end), "--", *argv]
            popen_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            cwd = None
        else:
            command += argv
            popen_env = env
            cwd = self.workspace
        if cgroup is not None:
            command = ["/bin/sh", "-c", _JOIN_CGROUP, "sh", " ".join(cgroup.procs_files), *command]
        log = CappedLog(log_path, self.limits.output_kb * 1024)
        try:
            popen = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                env=popen_env, cwd=cwd, start_new_session=True, pass_fds=pass_fds,
            )
        finally:
            for fd in pass_fds:
                os.close(fd)
        log.pump(popen.stdout)
        return LocalHandle(popen, log, cgroup, log_path, dirs.sock / SOCKET_NAME if dirs.sock else None,
                           writable=[self.workspace, self.state, dirs.outputs])

    def close(self) -> None:
        super().close()
        shutil.rmtree(self.state, ignore_errors=True)

    def enforced_limits(self) -> dict[str, bool]:
        return {"memory_limited": True, "process_count_limited": True, "cgroup_limits": bool(self._used_cgroup)}
