"""The Docker backend: each step in a hardened container of the runner image.

Every container: no network, user 65534, read-only root filesystem, all capabilities
dropped, no-new-privileges, memory limit with swap equal to it, CPU quota, process limit,
open-file and file-size ulimits, a size-capped tmpfs at /tmp, capped logs.

Nothing of the host is mounted into a container but an empty folder for a server's socket.
A sandbox owns three kinds of volumes, all labelled with its session: the workspace (the submission's tree, copied in once), the
state folder (shared by the steps), and one `/io` volume per step that holds `{in}` and
`{probes}` (copied in, read-only to the step) and `{out}` (copied out after the container
has been killed). A server's Unix socket is in an empty bind-mounted folder with a local
engine, and reached through `ExecRelay` with a remote one (`DOCKER_HOST`), so everything
works with either.
"""

from __future__ import annotations

import io
import os
import tarfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from grader.archive import pack, unpack
from grader.errors import InfraError
from grader.sandbox.base import SOCKET_NAME, Handle, Sandbox, StepDirs
from grader.sandbox.cgroups import count_oom_kills
from grader.sandbox.output import CappedLog
from grader.sandbox.relay import ExecRelay

LABEL = "org.mlops-grader"
USER = "65534:65534"
PYTHON = "/opt/venv/bin/python"
INSIDE = {"python": PYTHON, "workspace": "/workspace", "state": "/state", "in": "/io/in", "out": "/io/out",
          "probes": "/io/probes", "sock": "/io/sock", "tmp": "/tmp"}
MAX_OUTPUT_BYTES = 256 * 1024 * 1024


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


def extract_outputs(chunks, dest: Path, limit: int = MAX_OUTPUT_BYTES) -> list[str]:
    """Unpack a container's `/io/out` archive: regular files only, no escaping, bounded (see grader.archive).

    Returns what was skipped (symlinks, devices, oversize), for the log.
    """
    return unpack(chunks, dest, limit)


class DockerHandle(Handle):
    def __init__(self, sandbox: "DockerSandbox", container, io_volume, dirs: StepDirs, log: CappedLog, log_path: Path):
        self.sandbox = sandbox
        self.container = container
        self.io_volume = io_volume
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
        if self.sandbox.bind_socket and self.dirs.sock is not None:
            return self.dirs.sock / SOCKET_NAME
        if self.relay is None:
            self.relay = ExecRelay(self.sandbox.client, self.container.id, PYTHON, f"{INSIDE['sock']}/{SOCKET_NAME}", USER)
        return self.relay.path

    def _read_cgroup(self, *candidates: str) -> str | None:
        """A cgroup file as the container sees it (cgroupfs is mounted read-only inside)."""
        for path in candidates:
            try:
                result = self.container.exec_run(["cat", path], user=USER, stderr=False)
            except Exception:
                return None
            if result.exit_code == 0:
                return result.output.decode(errors="replace")
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

    def disk_usage(self) -> int | None:
        """Measured inside the container (works with a remote engine too)."""
        try:
            result = self.container.exec_run(["du", "-skx", INSIDE["workspace"], INSIDE["state"], INSIDE["out"]],
                                             user=USER, stderr=False)
        except Exception:
            return None
        return sum(int(line.split()[0]) * 1024 for line in result.output.decode().splitlines() if line.split()[:1]
                   and line.split()[0].isdigit())

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
            stream, _ = self.container.get_archive(INSIDE["out"])
            skipped = extract_outputs(stream, self.dirs.outputs)
            if skipped:
                self.log.feed(("\n[grader] outputs not copied: " + "; ".join(skipped[:20]) + "\n").encode())
        except Exception as exc:
            self.log.feed(f"\n[grader] could not collect outputs: {exc}\n".encode())
        finally:
            self.log.close(timeout=2)
            self.sandbox._remove(self.container, self.io_volume)

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
        if run_id:
            self.labels[f"{LABEL}.run"] = run_id
        self._volumes: dict[str, object] = {}
        self._volume_lock = threading.Lock()
        # A local engine can bind-mount the socket folder (no relay in the path, which matters
        # for load tests); a remote engine cannot, and GRADER_DOCKER_RELAY=1 forces the relay.
        host = os.environ.get("DOCKER_HOST", "")
        self.bind_socket = (not host or host.startswith("unix://")) and os.environ.get("GRADER_DOCKER_RELAY") != "1"

    def placeholders(self, dirs: StepDirs) -> dict[str, str]:
        return dict(INSIDE)

    def base_env(self) -> dict[str, str]:
        return {**super().base_env(), "PATH": "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin", "USER": "sandbox",
                "LOGNAME": "sandbox"}

    def _volume(self, role: str):
        with self._volume_lock:  # steps may be started from several threads
            return self._volume_unlocked(role)

    def _volume_unlocked(self, role: str):
        if role not in self._volumes:
            self._volumes[role] = self.client.volumes.create(name=f"grader-{self.session}-{role}", labels=self.labels)
            if role == "workspace":
                self._copy_in("workspace", "/workspace", tar_folder(self.workspace, "workspace", writable=True), "/")
        return self._volumes[role]

    def _copy_in(self, role: str, mount: str, data: bytes, dest: str) -> None:
        """Copy a tar into a volume through a container that is created but never started."""
        helper = self.client.containers.create(self.image, command=["true"], network_disabled=True, labels=self.labels,
                                               volumes={self._volumes[role].name: {"bind": mount, "mode": "rw"}})
        try:
            if not helper.put_archive(dest, data):
                raise InfraError(f"could not copy files into the {role} volume")
        finally:
            helper.remove(force=True)

    def _container_config(self, argv: list[str], env: dict[str, str], io_volume, dirs: StepDirs) -> dict:
        from docker.types import LogConfig, Ulimit

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
            volumes=self._mounts(io_volume, dirs),
            log_config=LogConfig(type="json-file", config={"max-size": "10m", "max-file": "1"}),
            labels=self.labels,
        )

    def _mounts(self, io_volume, dirs: StepDirs) -> dict:
        mounts = {self._volume("workspace").name: {"bind": INSIDE["workspace"], "mode": "rw"},
                  self._volume("state").name: {"bind": INSIDE["state"], "mode": "rw"},
                  io_volume.name: {"bind": "/io", "mode": "rw"}}
        if self.bind_socket and dirs.sock is not None:
            dirs.sock.chmod(0o777)  # an empty folder; only the server's socket appears in it
            mounts[str(dirs.sock)] = {"bind": INSIDE["sock"], "mode": "rw"}
        return mounts

    def _launch(self, name: str, argv: list[str], env: dict[str, str], dirs: StepDirs, log_path: Path) -> Handle:
        from docker.errors import DockerException

        try:
            io_volume = self.client.volumes.create(name=f"grader-{self.session}-{name}", labels=self.labels)
            container = self.client.containers.create(**self._container_config(argv, env, io_volume, dirs))
            payload = io.BytesIO()
            with tarfile.open(fileobj=payload, mode="w") as tar:
                for folder, arcname in ((dirs.inputs, "in"), (self.probes, "probes")):
                    if folder is not None and folder.is_dir():
                        with tarfile.open(fileobj=io.BytesIO(tar_folder(folder, arcname, writable=False))) as part:
                            for member in part:
                                tar.addfile(member, part.extractfile(member) if member.isfile() else None)
            if not container.put_archive("/io", payload.getvalue()):
                raise InfraError("could not copy the step's inputs into its container")
            log = CappedLog(log_path, self.limits.output_kb * 1024)
            container.start()
        except DockerException as exc:
            raise InfraError(f"docker failed to start step {name}: {exc}") from None
        return DockerHandle(self, container, io_volume, dirs, log, log_path)

    def _remove(self, container, volume) -> None:
        for action in (lambda: container.remove(force=True), lambda: volume.remove(force=True)):
            try:
                action()
            except Exception:
                pass

    def close(self) -> None:
        super().close()
        remove_labelled(self.client, {f"{LABEL}.session": self.session})
        self._volumes.clear()

    def enforced_limits(self) -> dict[str, bool]:
        return {"memory_limited": self.limits.memory_mb > 0, "process_count_limited": self.limits.pids > 0,
                "read_only_root": True, "capabilities_dropped": True}


def remove_labelled(client, labels: dict[str, str]) -> tuple[int, int]:
    """Force-remove every container, then every volume, carrying these labels."""
    filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
    containers = client.containers.list(all=True, filters=filters)
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
