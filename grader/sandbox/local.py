"""The local backend: bubblewrap when present, else an unconfined subprocess.

With `bwrap` a step gets its own user, PID, network, IPC and mount namespaces: no network
at all, a non-root user, a root filesystem made only of read-only system folders and the
Python environment, the workspace and `{out}` writable, a size-capped `/tmp`. When the PID
namespace's first process exits, the kernel kills everything left in it.

Everything a step can touch on the host lives in one *area* at a neutral path
(`/tmp/gsbx-XXXXXXXX`): `workspace/`, `state/` and `io/<step>/{in,out,probes,sock}`. Where the
grader may mount (root), the area is a size-capped tmpfs, so the kernel bounds what steps
write (`disk_mb`) and the mounts a step sees name no host path at all; elsewhere it is a
plain folder and the disk watchdog's bounded walk is the only limit. The report's step
folders are never mounted: inputs are copied in, and once every process of the step is
dead, its `{out}` is copied back, regular files only (see grader/files.py). Probe scripts
are copied in only for a step whose command runs one. The Python environment is mounted
through a hard-linked view at a neutral path where possible (runtime.py).

Resource limits come from a throwaway cgroup where the machine allows one (memory, process
count and CPU for the whole tree; also the way to kill every process of a step), and from
rlimits (`prlimit`) otherwise and always for file size and open files.

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

from grader import files
from grader.sandbox import cpu
from grader.sandbox.base import SOCKET_NAME, Handle, Sandbox, StepDirs, note_skipped
from grader.sandbox.cgroups import Cgroup
from grader.sandbox.output import CappedLog
from grader.sandbox.runtime import python_view

# Where things appear inside a bwrap sandbox.
INSIDE = {"workspace": "/workspace", "state": "/state", "in": "/io/in", "out": "/io/out", "probes": "/io/probes",
          "sock": "/io/sock", "tmp": "/tmp"}
_JOIN_CGROUP = 'for f in $1; do echo $$ > "$f"; done; shift; exec "$@"'
#: Inodes of the area's tmpfs: plenty for a model store, not enough to exhaust kernel memory.
AREA_INODES = 200_000


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _neutral_tmp() -> str:
    return "/tmp" if os.access("/tmp", os.W_OK) else tempfile.gettempdir()


class Area:
    """The host side of one local sandbox (see the module docstring)."""

    def __init__(self, disk_mb: int):
        self.root = Path(tempfile.mkdtemp(prefix="gsbx-", dir=_neutral_tmp()))
        self.kernel_limited = self._mount_tmpfs(disk_mb)
        for name in ("workspace", "state", "io"):
            (self.root / name).mkdir()

    def _mount_tmpfs(self, disk_mb: int) -> bool:
        if os.geteuid() != 0 or not shutil.which("mount"):
            return False
        options = f"size={disk_mb}m,nr_inodes={AREA_INODES},mode=0755,nosuid,nodev"
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(self.root)],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        return done.returncode == 0

    @property
    def workspace(self) -> Path:
        return self.root / "workspace"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def step(self, step_id: str) -> Path:
        return self.root / "io" / step_id

    def usage(self) -> int:
        """Bytes written in the area (all of it once its files are used up); raises
        files.Unmeasurable where a walk cannot count them."""
        if self.kernel_limited:
            st = os.statvfs(self.root)
            return _used(st.f_blocks, st.f_bfree, st.f_frsize, st.f_ffree)
        return files.usage([self.root])

    def close(self) -> None:
        """Unmount (lazily: nothing can keep it busy) and delete; never raises."""
        if self.kernel_limited:
            subprocess.run(["umount", "-l", str(self.root)], stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        files.remove_tree(self.root)


def _used(blocks: int, free: int, block_size: int, free_inodes: int) -> int:
    """Bytes used on a size-capped tmpfs, counting it as full when no file can be created."""
    return blocks * block_size if free_inodes < 16 else (blocks - free) * block_size


class LocalHandle(Handle):
    def __init__(self, popen: subprocess.Popen, log: CappedLog, cgroup: Cgroup | None, log_path: Path,
                 sandbox: "LocalSandbox", dirs: StepDirs):
        self.popen = popen
        self.sandbox = sandbox
        self.dirs = dirs
        self.uds = sandbox.area.step(dirs.step_id) / "sock" / SOCKET_NAME if dirs.serve else None
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
        return self.sandbox.area.usage()

    def cpu_times(self) -> cpu.CpuTimes | None:
        pids = self.cgroup.pids() if self.cgroup is not None else cpu.descendants(self.popen.pid)
        return cpu.task_times(pids)

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
        self.record_disk_at_end()
        area = self.sandbox.area.step(self.dirs.step_id)
        copied = files.copy_out(area / "out", self.dirs.outputs)
        note_skipped(self.log_path, copied.skipped)
        files.remove_tree(area)

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
        self.area = Area(self.limits.disk_mb)
        self._workspace_copied = False
        self.runtime = python_view() if confine else None

    def placeholders(self, dirs: StepDirs) -> dict[str, str]:
        if self.confine:
            return {**INSIDE, "python": self.runtime.python}
        step = self.area.step(dirs.step_id)
        return {
            "python": sys.executable,
            "workspace": str(self.area.workspace),
            "state": str(self.area.state),
            "in": str(step / "in"),
            "out": str(step / "out"),
            "probes": str(step / "probes"),
            "sock": str(step / "sock"),
            "tmp": str(step / "tmp"),
        }

    def base_env(self) -> dict[str, str]:
        python = self.runtime.python if self.confine else sys.executable
        path = f"{os.path.dirname(python)}:/usr/local/bin:/usr/bin:/bin"
        return {**super().base_env(), "PATH": path, "USER": "sandbox", "LOGNAME": "sandbox"}

    def _bwrap_options(self, step: Path, dirs: StepDirs, env: dict[str, str]) -> list[str]:
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
        for source, inside in self.runtime.binds:
            cmd += ["--ro-bind", str(source), inside]
        cmd += ["--proc", "/proc", "--dev", "/dev"]
        cmd += ["--bind", str(self.area.workspace), INSIDE["workspace"], "--bind", str(self.area.state), INSIDE["state"]]
        cmd += ["--ro-bind", str(step / "in"), INSIDE["in"], "--bind", str(step / "out"), INSIDE["out"]]
        if dirs.probes:
            cmd += ["--ro-bind", str(step / "probes"), INSIDE["probes"]]
        if dirs.serve:
            cmd += ["--bind", str(step / "sock"), INSIDE["sock"]]
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

    def _step_area(self, dirs: StepDirs) -> Path:
        """Fill the step's folders in the area: its inputs, and the probes if it runs one."""
        if not self._workspace_copied:
            files.copy_tree(self.workspace, self.area.workspace)
            self._workspace_copied = True
        step = self.area.step(dirs.step_id)
        files.copy_tree(dirs.inputs, step / "in")
        (step / "out").mkdir()
        (step / "tmp").mkdir()
        if dirs.probes and self.probes is not None:
            files.copy_tree(self.probes, step / "probes")
        if dirs.serve:
            (step / "sock").mkdir()
        return step

    def _launch(self, name: str, argv: list[str], env: dict[str, str], dirs: StepDirs, log_path: Path) -> Handle:
        step = self._step_area(dirs)
        cgroup = Cgroup.create(self.limits.memory_mb * 1024 * 1024, self.limits.pids, self.limits.cpus)
        self._used_cgroup = cgroup is not None
        command = self._rlimits(cgroup is not None)
        pass_fds: tuple[int, ...] = ()
        if self.confine:
            # Options go through a pipe (`--args FD`), so the sandbox's process 1 does not show
            # the host's paths in its command line.
            options = "\0".join(self._bwrap_options(step, dirs, env)).encode() + b"\0"
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
            cwd = self.area.workspace
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
        return LocalHandle(popen, log, cgroup, log_path, self, dirs)

    def close(self) -> None:
        super().close()
        self.area.close()

    def enforced_limits(self) -> dict[str, bool]:
        return {"memory_limited": True, "process_count_limited": True, "cgroup_limits": bool(self._used_cgroup),
                "disk_limited_by_kernel": self.area.kernel_limited}
