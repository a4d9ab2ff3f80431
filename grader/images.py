"""Container images the Docker sandbox runs: built offline, tagged by a hash of their inputs.

- The runner image (`docker/runner/Dockerfile`) holds the exercises' pinned stack in
  `/opt/venv`. Its tag is a hash of the Dockerfile and the pins, so a changed recipe
  rebuilds and an unchanged one is reused. Packages always come from a local wheelhouse
  built on the host (`pip wheel`), so the image build itself needs no network.
- Its base is `python:3.11-slim` when that image is present or can be pulled, else a
  Debian bookworm root made by `debootstrap` and `docker import`ed: no registry needed.

`GRADER_RUNNER_IMAGE` names a runner image to use instead (e.g. one from a registry).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.errors import GraderError, InfraError

RUNNER_REPO = "mlops-grader-runner"
BASE_REPO = "mlops-grader-base"
REGISTRY_BASE = "python:3.11-slim"
DEBIAN_SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
LABEL = "org.mlops-grader.image"

Say = Callable[[str], None]
#: The grader's own checkout: the image recipes live beside the package, wherever exercises are.
SOURCE_ROOT = Path(__file__).resolve().parents[1]


def _hash(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:12]


def recipe_files() -> dict[str, Path]:
    root = SOURCE_ROOT
    return {
        "Dockerfile": root / "docker" / "runner" / "Dockerfile",
        "runner.txt": root / "requirements" / "runner.txt",
        "lock.txt": root / "requirements" / "lock.txt",
    }


def runner_tag() -> str:
    """`mlops-grader-runner:<hash of the recipe>`, or GRADER_RUNNER_IMAGE."""
    if os.environ.get("GRADER_RUNNER_IMAGE"):
        return os.environ["GRADER_RUNNER_IMAGE"]
    return f"{RUNNER_REPO}:{_hash(*(p.read_bytes() for p in recipe_files().values()))}"


def base_packages() -> list[str]:
    text = (SOURCE_ROOT / "docker" / "base" / "packages.txt").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def base_tag() -> str:
    return f"{BASE_REPO}:{DEBIAN_SUITE}-{_hash(DEBIAN_SUITE.encode(), ' '.join(base_packages()).encode())}"


def docker_client():
    from docker.errors import DockerException

    import docker

    try:
        client = docker.from_env(timeout=300)
        client.ping()
        return client
    except DockerException as exc:
        raise InfraError(f"no Docker engine answers ({_short(exc)}); start dockerd or set DOCKER_HOST") from None


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def image_exists(client, name: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.images.get(name)
        return True
    except ImageNotFound:
        return False


@dataclass
class BuildResult:
    image: str
    base: str
    built: bool
    seconds: float
    steps: dict[str, float]


def wheelhouse(dest_root: Path, say: Say, source: Path | None = None) -> Path:
    """A folder of wheels for the runner's pins, built once per recipe hash."""
    files = recipe_files()
    key = _hash(files["runner.txt"].read_bytes(), files["lock.txt"].read_bytes())
    dest = dest_root / key
    if (dest / ".complete").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if source is not None:
        say(f"copying the wheelhouse from {source}")
        for wheel in source.glob("*.whl"):
            shutil.copy2(wheel, dest)
    else:
        say("building the wheelhouse (pip wheel; uses this machine's package index)")
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(dest),
               "-r", str(files["runner.txt"]), "-c", str(files["lock.txt"])]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["pip failed"]
            raise InfraError(f"could not build the wheelhouse: {tail[0]}")
    shutil.copy2(files["runner.txt"], dest / "runner.txt")
    (dest / ".complete").write_text("")
    return dest


def debootstrap_base(client, say: Say, mirror: str | None = None) -> str:
    """Bootstrap Debian into a folder and import it as an image; no registry involved."""
    tag = base_tag()
    if image_exists(client, tag):
        return tag
    if shutil.which("debootstrap") is None:
        raise InfraError("no base image: python:3.11-slim cannot be pulled and debootstrap is not installed "
                         "(apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise InfraError("bootstrapping the offline base image needs root (debootstrap); run `grader images build` as root")
    mirror = mirror or os.environ.get("GRADER_DEBIAN_MIRROR", DEFAULT_MIRROR)
    work = Path(tempfile.mkdtemp(prefix="grader-rootfs-"))
    try:
        rootfs = work / "rootfs"
        say(f"debootstrap {DEBIAN_SUITE} from {mirror} (about a minute)")
        done = subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(base_packages())}", DEBIAN_SUITE, str(rootfs), mirror],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["debootstrap failed"]
            raise InfraError(f"debootstrap failed: {tail[0]}")
        for litter in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
            shutil.rmtree(rootfs / litter, ignore_errors=True)
        say("importing the root filesystem as an image")
        archive = work / "rootfs.tar"
        subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
        repository, _, version = tag.partition(":")
        client.api.import_image_from_file(str(archive), repository=repository, tag=version,
                                          changes=['CMD ["/bin/bash"]', "ENV LANG=C.UTF-8"])
        return tag
    finally:
        shutil.rmtree(work, ignore_errors=True)


def choose_base(client, say: Say, mode: str, mirror: str | None) -> str:
    """auto: python:3.11-slim if present or pullable, else the debootstrapped base."""
    if mode in ("auto", "registry"):
        if image_exists(client, REGISTRY_BASE):
            return REGISTRY_BASE
        try:
            say(f"pulling {REGISTRY_BASE}")
            client.images.pull(REGISTRY_BASE)
            return REGISTRY_BASE
        except Exception as exc:  # docker.errors.APIError and connection errors alike
            if mode == "registry":
                raise InfraError(f"cannot pull {REGISTRY_BASE}: {_short(exc)}") from None
            say(f"no registry ({_short(exc)}); bootstrapping a Debian base instead")
    return debootstrap_base(client, say, mirror)


def build_runner(base_mode: str = "auto", force: bool = False, mirror: str | None = None,
                 wheels: Path | None = None, say: Say = lambda s: None) -> BuildResult:
    """Build the runner image unless an image with the same recipe hash exists."""
    if base_mode not in ("auto", "registry", "debootstrap"):
        raise GraderError(f"unknown base {base_mode!r} (auto, registry or debootstrap)")
    started = time.monotonic()
    client = docker_client()
    tag = runner_tag()
    if image_exists(client, tag) and not force:
        base = client.images.get(tag).labels.get(f"{LABEL}.base", "?")
        return BuildResult(tag, base, False, time.monotonic() - started, {})
    steps: dict[str, float] = {}
    t = time.monotonic()
    base = choose_base(client, say, base_mode, mirror)
    steps["base"] = time.monotonic() - t
    t = time.monotonic()
    house = wheelhouse(SOURCE_ROOT / ".cache" / "wheelhouse", say, wheels)
    steps["wheelhouse"] = time.monotonic() - t
    t = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grader-build-") as ctx:
        shutil.copy2(recipe_files()["Dockerfile"], Path(ctx) / "Dockerfile")
        shutil.copytree(house, Path(ctx) / "wheelhouse")
        say(f"building {tag} on {base} (offline: no network during the build)")
        log = []
        for chunk in client.api.build(path=ctx, tag=tag, buildargs={"BASE": base}, network_mode="none", rm=True,
                                      forcerm=True, pull=False, decode=True,
                                      labels={f"{LABEL}.base": base, f"{LABEL}.role": "runner"}):
            if "error" in chunk:
                raise InfraError(f"runner image build failed: {chunk['error'].strip()[:300]}")
            if chunk.get("stream", "").strip():
                log.append(chunk["stream"].rstrip())
    steps["build"] = time.monotonic() - t
    return BuildResult(tag, base, True, time.monotonic() - started, steps)
