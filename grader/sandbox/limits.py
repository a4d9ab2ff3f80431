"""What a sandboxed step may use: one `Limits` per grading, from the exercise's `[resources]`
(grader.spec.Resources) with a run's overrides; every backend enforces the same fields."""

from __future__ import annotations

from dataclasses import dataclass

from grader.spec import Resources

#: The defaults are the exercise spec's (one place says what a step gets unless an exercise says otherwise).
_SPEC = Resources()


@dataclass(frozen=True)
class Limits:
    memory_mb: int = _SPEC.memory_mb
    cpus: float = _SPEC.cpus
    pids: int = _SPEC.pids
    nofile: int = _SPEC.nofile
    file_size_mb: int = _SPEC.file_size_mb
    tmpfs_mb: int = _SPEC.tmpfs_mb
    disk_mb: int = _SPEC.disk_mb
    output_kb: int = _SPEC.output_kb
    step_timeout_s: float = _SPEC.step_timeout_s
    serve_start_timeout_s: float = _SPEC.serve_start_timeout_s
    request_timeout_s: float = _SPEC.request_timeout_s

    @classmethod
    def from_resources(cls, r: Resources) -> "Limits":
        return cls(**{k: getattr(r, k) for k in cls.__dataclass_fields__})
