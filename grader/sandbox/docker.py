"""The Docker backend (hardened containers on the Docker SDK)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DockerStatus:
    ready: bool
    problem: str = ""
    image: str | None = None


def docker_status() -> DockerStatus:
    return DockerStatus(ready=False, problem="the docker backend is not built yet")
