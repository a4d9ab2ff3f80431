"""The Docker backend: each step in a hardened container of the runner image.

Every step container: no network, user 65534, read-only root filesystem, all capabilities
dropped, no-new-privileges, memory limit with swap equal to it, CPU quota, process limit,
open-file and file-size ulimits, a size-capped tmpfs at /tmp, capped logs.

Nothing of the host is mounted into a container but an empty folder for a server's socket
(at a neutral path). A sandbox owns three volumes, all labelled with its session: the
workspace (the submission's tree, copied in at the first step), the state folder (shared by
the steps) and `/io`, which holds one folder per step with its `{in}` and `{probes}` (copied
in, read-only to the step) and its `{out}` (copied out once the step's container is dead, then
deleted). The volumes are size-capped tmpfs volumes where the engine allows it, so the
kernel bounds what steps write (`disk_mb` each) and a step's mounts name no host path; they
stay mounted between steps because a *holder* container (the runner image's `sleep`, no
network, never running candidate code) keeps them, and all copying in and out goes through
it. A server's Unix socket is in an empty bind-mounted folder with a local engine, and
reached through `ExecRelay` with a remote one (`DOCKER_HOST`), so everything works with either.
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from grader.archive import add_folder, pack, unpack
from grader.errors import InfraError
from grader.files import CopyLimits, Unmeasurable, remove_tree
from grader.sandbox import cpu
from grader.sandbox.base import SOCKET_NAME, Handle, Sandbox, StepDirs, note_skipped
from grader.sandbox.cgroups import count_oom_kills
from grader.sandbox.local import _used
from grader.sandbox.output import CappedLog
from grader.sandbox.relay import ExecRelay

LABEL = "org.mlops-grader"
#: An operator's tag for everything this process starts on the engine (label
#: `org.mlops-grader.owner`): tells apart the containers of gradings that share one engine, as
#: the test suite's parallel workers do when they look for leftovers of their own.
OWNER_ENV = "GRADER_DOCKER_OWNER"
USER = "65534:65534"
PYTHON = "/opt/venv/bin/python"
INSIDE = {"python": PYTHON, "workspace": "/workspace", "state": "/state", "sock": "/io/sock", "tmp": "/tmp"}
MAX_OUTPUT_BYTES = 256 * 1024 * 1024
#: Inodes of each tmpfs volume: plenty for a model store, not enough to exhaust kernel memory.
VOLUME_INODES = 200_000


@dataclass
class DockerStatus:
    ready: bool
    problem: str = ""
    image: str | None = None


def docker_status() -> DockerStatus:
    """Is an engine reachable and the runner image present?"""
    from grader.images import docker_client, image_exists, runner_tag

    try:
        client = docker_client()
    except InfraError as exc:
        return DockerStatus(False, str(exc))
    image = runner_tag()
    if not image_exists(client, image):
        return DockerStatus(False, f"runner image {image} is missing; run `grader images build`")
    return DockerStatus(True, image=image)


def tar_folder(folder: Path, arcname: str, writable: bool) -> bytes:
    """A tar of `folder` as `arcname` for a container: regular files and folders only (see grader.archive)."""
    return pack(folder, arcname, writable)[0]


def extract_outputs(chunks, dest: Path, limits: CopyLimits = CopyLimits(max_bytes=MAX_OUTPUT_BYTES)) -> list[str]:
    """Unpack a step's `out` folder as archived by the engine: regular files only, no escaping,
    bounded in bytes, files and depth (the rules of files.copy_out, see grader.archive).
    Returns what was skipped, for the log."""
    return unpack(chunks, dest, limits.max_bytes, limits.max_files, limits.max_depth)


class DockerHandle(Handle):
    def __init__(self, sandbox: "DockerSandbox", container, dirs: StepDirs, log: CappedLog, log_path: Path):
        self.sandbox = sandbox
        self.container = container
        self.dirs = dirs
        self.log = log
        self.log_path = log_path
        self.relay: ExecRelay | None = None
        self._destroyed = False
        self._oom = False
        self._exit: int | None = None
        self._peak: int | None = None
        self._oom_kills = 0
        threading.Thread(target=self._pump_logs, daemon=True).start()

    def _pump_logs(self) -> None:
        try:
            for chunk in self.container.logs(stream=True, follow=True, stdout=True, stderr=True):
                self.log.feed(chunk)
        except Exception:  # the container went away: the stream simply ends
            pass

    @property
    def uds(self) -> Path | None:
        if not self.dirs.serve:
            return None
        if self.sandbox.bind_socket:
            return self.sandbox._sock_dirs[self.dirs.step_id] / SOCKET_NAME
        if self.relay is None:
            inside = self.sandbox.placeholders(self.dirs)["sock"]
            self.relay = ExecRelay(self.sandbox.client, self.container.id, PYTHON, f"{inside}/{SOCKET_NAME}", USER)
        return self.relay.path

    def _exec(self, command: list[str]) -> str | None:
        """Run a trusted read-only command inside the step's container (it sees what the step sees)."""
        try:
            result = self.container.exec_run(command, user=USER, stderr=False)
        except Exception:
            return None
        return result.output.decode(errors="replace") if result.exit_code == 0 else None

    def _read_cgroup(self, *candidates: str) -> str | None:
        """A cgroup file as the container sees it (cgroupfs is mounted read-only inside)."""
        for path in candidates:
            text = self._exec(["cat", path])
            if text is not None:
                return text
        return None

    def peak_memory_bytes(self) -> int | None:
        if not self._destroyed:
            text = self._read_cgroup("/sys/fs/cgroup/memory/memory.max_usage_in_bytes", "/sys/fs/cgroup/memory.peak")
            if text and text.strip().isdigit():
                self._peak = int(text.strip())
        return self._peak

    def oom_kills(self) -> int:
        if not self._destroyed:
            text = self._read_cgroup("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
            if text is not None:
                self._oom_kills = count_oom_kills(text)
        return self._oom_kills

    def cpu_times(self) -> cpu.CpuTimes | None:
        text = self._exec(["sh", "-c", "cat /proc/[0-9]*/task/*/schedstat 2>/dev/null; true"])
        return cpu.parse_schedstat(text) if text else None

    def poll(self) -> int | None:
        if self._exit is not None or self._destroyed:
            return self._exit if self._exit is not None else -9
        try:
            self.container.reload()
        except Exception as exc:
            raise InfraError(f"lost the container: {exc}") from None
        if self.container.status in ("exited", "dead"):
            self._exit = int(self.container.attrs["State"]["ExitCode"])
        return self._exit

    def wait(self, timeout: float) -> int | None:
        import requests

        try:
            self._exit = int(self.container.wait(timeout=timeout)["StatusCode"])
            return self._exit
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            return None

    def kill(self) -> None:
        try:
            self.container.kill()
        except Exception:  # already exited
            pass

    def disk_usage(self) -> int:
        return self.sandbox.disk_usage()

    def destroy(self) -> None:
        if self._destroyed:
            return
        if self.relay is not None:
            self.relay.close()
        self.peak_memory_bytes()  # last look, while the container still runs
        self.oom_kills()
        self._destroyed = True
        self.kill()
        try:
            code = int(self.container.wait(timeout=30)["StatusCode"])
            self._exit = code if self._exit is None else self._exit
            self.container.reload()
            self._oom = bool(self.container.attrs["State"].get("OOMKilled")) or self._oom_kills > 0
            self.record_disk_at_end()
            skipped = self.sandbox.collect_outputs(self.dirs)
        except Exception as exc:
            skipped = [f"could not collect outputs: {exc}"]
        finally:
            self.log.close(timeout=2)
            self.sandbox._remove_step(self.container, self.dirs)
        note_skipped(self.log_path, skipped)

    def memory_exceeded(self) -> bool:
        return self._oom

    def pids_exceeded(self) -> bool:
        tail = self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""
        return "Resource temporarily unavailable" in tail or "can't start new thread" in tail

    @property
    def output_truncated(self) -> bool:
        return self.log.truncated


class DockerSandbox(Sandbox):
    backend = "docker"
    isolated = True

    def __init__(self, *args, image: str | None = None, run_id: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        from grader.images import docker_client, runner_tag

        self.client = docker_client()
        self.image = image or runner_tag()
        self.session = uuid.uuid4().hex[:12]
        self.labels = {LABEL: "1", f"{LABEL}.session": self.session}
        if os.environ.get(OWNER_ENV):
            self.labels[f"{LABEL}.owner"] = os.environ[OWNER_ENV][:63]
        if run_id:
            self.labels[f"{LABEL}.run"] = run_id
        self._volumes: dict[str, object] = {}
        self._holder = None
        self._workspace_copied = False
        self._lock = threading.Lock()  # steps may be started from several threads
        self._sock_dirs: dict[str, Path] = {}
        self.kernel_limited = False
        # A local engine can bind-mount the socket folder (no relay in the path, which matters
        # for load tests); a remote engine cannot, and GRADER_DOCKER_RELAY=1 forces the relay.
        host = os.environ.get("DOCKER_HOST", "")
        self.bind_socket = (not host or host.startswith("unix://")) and os.environ.get("GRADER_DOCKER_RELAY") != "1"

    def placeholders(self, dirs: StepDirs) -> dict[str, str]:
        step = f"/io/{dirs.step_id}"
        return {**INSIDE, "in": f"{step}/in", "out": f"{step}/out", "probes": f"{step}/probes",
                "sock": INSIDE["sock"] if self.bind_socket else f"{step}/sock"}

    def base_env(self) -> dict[str, str]:
        return {**super().base_env(), "PATH": "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin", "USER": "sandbox",
                "LOGNAME": "sandbox"}

    # -- the volumes and their holder -------------------------------------------------------
    def _ready(self):
        """The holder container with the three volumes mounted (made at the first step): tmpfs
        volumes capped at `disk_mb` each where the engine can mount them, else plain ones."""
        if self._holder is not None:
            return self._holder
        from docker.errors import DockerException

        try:
            self._holder = self._start_holder(tmpfs=True)
            self.kernel_limited = True
        except DockerException:
            remove_labelled(self.client, {f"{LABEL}.session": self.session})
            self._holder = self._start_holder(tmpfs=False)
            self._holder.exec_run(["chmod", "0777", "/workspace", "/state"], user="0")
        return self._holder

    def _start_holder(self, tmpfs: bool):
        options = {"driver": "local", "driver_opts": {
            "type": "tmpfs", "device": "tmpfs", "o": f"size={self.limits.disk_mb}m,nr_inodes={VOLUME_INODES}"}} \
            if tmpfs else {}
        for role in ("workspace", "state", "io"):
            self._volumes[role] = self.client.volumes.create(name=f"grader-{self.session}-{role}", labels=self.labels,
                                                             **options)
        mounts = {self._volumes[r].name: {"bind": f"/{r}", "mode": "rw"} for r in ("workspace", "state", "io")}
        holder = self.client.containers.create(
            self.image, command=["sleep", "infinity"], user="0:0", network_mode="none", read_only=True,
            security_opt=["no-new-privileges"], volumes=mounts, labels=self.labels, mem_limit="128m", pids_limit=64,
            log_config=_log_config())
        holder.start()
        return holder

    def _put(self, path: str, data: bytes) -> None:
        if not self._ready().put_archive(path, data):
            raise InfraError(f"could not copy files into the sandbox's {path} volume")

    def disk_usage(self) -> int:
        """Bytes used in the three volumes, as the holder sees them; raises Unmeasurable."""
        holder = self._ready()
        if self.kernel_limited:
            result = holder.exec_run(["stat", "-f", "-c", "%b %f %S %d", "/workspace", "/state", "/io"], user="0")
            rows = [line.split() for line in result.output.decode(errors="replace").splitlines()]
            if result.exit_code != 0 or len(rows) != 3 or not all(len(r) == 4 and all(x.isdigit() for x in r) for r in rows):
                raise Unmeasurable("stat of the volumes failed")
            return max(_used(*map(int, row)) for row in rows) if any(int(r[3]) < 16 for r in rows) else \
                sum(_used(*map(int, row)) for row in rows)
        result = holder.exec_run(["du", "-skx", "/workspace", "/state", "/io"], user="0")
        sizes = [line.split()[0] for line in result.output.decode(errors="replace").splitlines() if line.split()]
        if not sizes or not all(x.isdigit() for x in sizes):
            raise Unmeasurable("du of the volumes failed")
        return sum(int(x) * 1024 for x in sizes)

    def collect_outputs(self, dirs: StepDirs) -> list[str]:
        """Copy the dead step's `{out}` into the report's step folder (regular files only, bounded)."""
        stream, _ = self._ready().get_archive(f"/io/{dirs.step_id}/out")
        return extract_outputs(stream, dirs.outputs)

    def _step_io(self, dirs: StepDirs) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            add_folder(tar, None, dirs.step_id, writable=False, mode=0o755)
            add_folder(tar, dirs.inputs, f"{dirs.step_id}/in", writable=False)
            add_folder(tar, None, f"{dirs.step_id}/out", writable=True)
            if dirs.probes and self.probes is not None and self.probes.is_dir():
                add_folder(tar, self.probes, f"{dirs.step_id}/probes", writable=False)
            if dirs.serve and not self.bind_socket:
                add_folder(tar, None, f"{dirs.step_id}/sock", writable=True)
        return buf.getvalue()

    def _container_config(self, argv: list[str], env: dict[str, str], dirs: StepDirs) -> dict:
        from docker.types import Ulimit

        lim = self.limits
        return dict(
            image=self.image, command=argv, user=USER, environment=env, working_dir=INSIDE["workspace"],
            network_mode="none", read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
            mem_limit=f"{lim.memory_mb}m", memswap_limit=f"{lim.memory_mb}m", nano_cpus=int(lim.cpus * 1e9),
            pids_limit=lim.pids, init=True,
            ulimits=[Ulimit(name="nofile", soft=lim.nofile, hard=lim.nofile),
                     Ulimit(name="fsize", soft=lim.file_size_mb * 1024 * 1024, hard=lim.file_size_mb * 1024 * 1024),
                     Ulimit(name="core", soft=0, hard=0)],
            tmpfs={"/tmp": f"rw,nosuid,nodev,size={lim.tmpfs_mb}m,mode=1777"},
            volumes=self._mounts(dirs), log_config=_log_config(), labels=self.labels,
        )

    def _mounts(self, dirs: StepDirs) -> dict:
        mounts = {self._volumes[r].name: {"bind": f"/{r}", "mode": "rw"} for r in ("workspace", "state", "io")}
        if self.bind_socket and dirs.serve:
            sock = Path(tempfile.mkdtemp(prefix="gs-", dir="/tmp"))  # a neutral path: it shows in mountinfo
            sock.chmod(0o777)  # an empty folder; only the server's socket appears in it
            self._sock_dirs[dirs.step_id] = sock
            mounts[str(sock)] = {"bind": INSIDE["sock"], "mode": "rw"}
        return mounts

    def _launch(self, name: str, argv: list[str], env: dict[str, str], dirs: StepDirs, log_path: Path) -> Handle:
        from docker.errors import DockerException

        try:
            with self._lock:
                self._ready()
                if not self._workspace_copied:
                    self._put("/workspace", tar_folder(self.workspace, ".", writable=True))
                    self._workspace_copied = True
            self._put("/io", self._step_io(dirs))
            container = self.client.containers.create(**self._container_config(argv, env, dirs))
            log = CappedLog(log_path, self.limits.output_kb * 1024)
            container.start()
        except DockerException as exc:
            raise InfraError(f"docker failed to start step {name}: {exc}") from None
        return DockerHandle(self, container, dirs, log, log_path)

    def _remove_step(self, container, dirs: StepDirs) -> None:
        try:
            container.remove(force=True)
        except Exception:
            pass
        try:
            self._ready().exec_run(["rm", "-rf", f"/io/{dirs.step_id}"], user="0")
        except Exception:
            pass
        sock = self._sock_dirs.pop(dirs.step_id, None)
        if sock is not None:
            remove_tree(sock)

    def close(self) -> None:
        super().close()
        remove_labelled(self.client, {f"{LABEL}.session": self.session})
        self._volumes.clear()
        self._holder = None
        for sock in self._sock_dirs.values():
            remove_tree(sock)
        self._sock_dirs.clear()

    def enforced_limits(self) -> dict[str, bool]:
        self._ready()  # the volumes decide whether the kernel bounds disk use
        return {"memory_limited": self.limits.memory_mb > 0, "process_count_limited": self.limits.pids > 0,
                "read_only_root": True, "capabilities_dropped": True, "disk_limited_by_kernel": self.kernel_limited}


def _log_config():
    from docker.types import LogConfig

    return LogConfig(type="json-file", config={"max-size": "10m", "max-file": "1"})


def remove_labelled(client, labels: dict[str, str]) -> tuple[int, int]:
    """Force-remove every container, then every volume, carrying these labels."""
    filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
    containers = client.containers.list(all=True, filters=filters, sparse=True)  # no inspect: a container may go meanwhile
    for c in containers:
        try:
            c.remove(force=True)
        except Exception:
            pass
    volumes = client.volumes.list(filters=filters)
    for v in volumes:
        try:
            v.remove(force=True)
        except Exception:
            pass
    return len(containers), len(volumes)
