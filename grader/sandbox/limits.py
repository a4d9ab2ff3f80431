"""What a sandboxed step may use: one `Limits` per grading, from the exercise's `[resources]`
(grader.spec.Resources) with a run's overrides; every backend enforces the same fields."""

from __future__ import annotations

from dataclasses import dataclass

from grader.spec import Resources


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    nofile: int = 1024
    file_size_mb: int = 512
    tmpfs_mb: int = 256
    disk_mb: int = 2048
    output_kb: int = 512
    step_timeout_s: float = 180
    serve_start_timeout_s: float = 90
    request_timeout_s: float = 10

    @classmethod
    def from_resources(cls, r: Resources) -> "Limits":
        return cls(**{k: getattr(r, k) for k in cls.__dataclass_fields__})
