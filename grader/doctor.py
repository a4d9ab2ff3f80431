"""`grader doctor`: test each sandbox backend for real and say what to do about a missing one."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from grader import catalog
from grader.errors import GraderError
from grader.sandbox import REQUIRED_FACTS, Limits, failed_facts, self_test_backend
from grader.sandbox.local import bwrap_path


@dataclass
class BackendState:
    name: str
    ready: bool
    detail: str
    advice: str = ""
    facts: dict[str, bool] = field(default_factory=dict)


def _facts_line(facts: dict[str, bool]) -> str:
    missing = failed_facts(facts)
    if missing:
        return "self-test FAILED: " + ", ".join(missing)
    return f"self-test: all {len(REQUIRED_FACTS)} required properties hold"


def check_docker(limits: Limits, hidden: list[Path]) -> BackendState:
    from grader.images import docker_client, image_exists, runner_tag

    try:
        client = docker_client()
    except GraderError as exc:
        return BackendState("docker", False, str(exc), "start the engine (dockerd) or point DOCKER_HOST at one")
    version = client.version().get("Version", "?")
    where = os.environ.get("DOCKER_HOST", "the local socket")
    image = runner_tag()
    if not image_exists(client, image):
        return BackendState("docker", False, f"engine {version} at {where}; runner image {image} missing",
                            "run `grader images build` (works offline)")
    try:
        facts = self_test_backend("docker", limits, hidden, image=image)
    except GraderError as exc:
        return BackendState("docker", False, f"engine {version}; {exc}", "see the log above; try `grader images build --force`")
    ok = not failed_facts(facts)
    return BackendState("docker", ok, f"engine {version} at {where}; image {image}; {_facts_line(facts)}",
                        "" if ok else "the engine does not enforce the sandbox settings", facts)


def check_bwrap(limits: Limits, hidden: list[Path]) -> BackendState:
    path = bwrap_path()
    if path is None:
        return BackendState("bwrap", False, "bubblewrap is not installed", "apt-get install bubblewrap")
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
    try:
        facts = self_test_backend("bwrap", limits, hidden)
    except GraderError as exc:
        return BackendState("bwrap", False, f"{version}; {exc}", "user namespaces may be disabled on this machine")
    ok = not failed_facts(facts)
    how = "cgroup limits" if facts.get("cgroup_limits") else "rlimits only (no writable cgroup)"
    return BackendState("bwrap", ok, f"{version}; {how}; {_facts_line(facts)}",
                        "" if ok else "this kernel does not allow the confinement bubblewrap needs", facts)


def diagnose() -> list[BackendState]:
    limits = Limits()
    hidden = catalog.hidden_dirs()
    return [check_docker(limits, hidden), check_bwrap(limits, hidden)]


def leftovers(remove: bool) -> tuple[int, int]:
    """Containers and volumes left by crashed runs (all carry the grader's label)."""
    from grader.images import docker_client
    from grader.sandbox.docker import LABEL, remove_labelled

    client = docker_client()
    if remove:
        return remove_labelled(client, {LABEL: "1"})
    filters = {"label": [f"{LABEL}=1"]}
    return len(client.containers.list(all=True, filters=filters, sparse=True)), len(client.volumes.list(filters=filters))
