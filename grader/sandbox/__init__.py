"""Run untrusted candidate code: one interface, several backends, and the choice between them.

`SandboxConfig` is plain data (it crosses into the verifier process as JSON);
`make_sandbox` builds the backend it names; `choose` picks a backend for a grading run,
proves it with a self-test and refuses to run untrusted code unconfined unless told to.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.errors import GraderError, InfraError
from grader.sandbox.base import CandidateFailure, OutputError, Sandbox, StepResult
from grader.sandbox.limits import Limits
from grader.sandbox.local import LocalSandbox, bwrap_path
from grader.sandbox.service import Service

__all__ = [
    "CandidateFailure", "Limits", "OutputError", "Sandbox", "SandboxConfig", "Service", "StepResult",
    "Choice", "choose", "make_sandbox", "sweep",
]

BACKENDS = ("auto", "docker", "local")
#: Facts a backend must prove before untrusted code may run in it.
REQUIRED_FACTS = ("no_network", "python_read_only", "workspace_writable", "non_root", "hidden_paths_invisible",
                  "file_size_limited", "own_pid_namespace", "memory_limited", "process_count_limited")


@dataclass
class SandboxConfig:
    backend: str  # docker | bwrap | unconfined
    workspace: str
    run_dir: str
    limits: dict
    probes: str | None = None
    env: dict = field(default_factory=dict)
    image: str | None = None
    #: Labels everything the backend creates, so a run can be swept up even if it crashed.
    run_id: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def make_sandbox(config: SandboxConfig) -> Sandbox:
    args = dict(
        workspace=Path(config.workspace), run_dir=Path(config.run_dir), limits=Limits(**config.limits),
        probes=Path(config.probes) if config.probes else None, env=config.env,
    )
    if config.backend in ("bwrap", "unconfined"):
        return LocalSandbox(**args, confine=config.backend == "bwrap")
    if config.backend == "docker":
        from grader.sandbox.docker import DockerSandbox

        return DockerSandbox(**args, image=config.image, run_id=config.run_id)
    raise GraderError(f"unknown sandbox backend {config.backend!r}")


@dataclass
class Choice:
    """The backend a run will use, and the evidence for choosing it."""

    backend: str
    isolated: bool
    self_test: dict[str, bool]
    image: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def banner(self) -> str | None:
        if self.isolated:
            return None
        return "NOT ISOLATED: candidate code ran without a sandbox on the grading machine; do not trust this result."


def self_test_backend(backend: str, limits: Limits, hidden: list[Path], image: str | None = None) -> dict[str, bool]:
    scratch = Path(tempfile.mkdtemp(prefix="grader-selftest-"))
    try:
        (scratch / "workspace").mkdir()
        config = SandboxConfig(backend=backend, workspace=str(scratch / "workspace"), run_dir=str(scratch / "run"),
                               limits=asdict(limits), image=image)
        sandbox = make_sandbox(config)
        try:
            return sandbox.self_test(hidden)
        finally:
            sandbox.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def sweep(config: SandboxConfig) -> None:
    """Remove whatever a crashed or killed run left behind (containers, volumes)."""
    if config.backend == "docker" and config.run_id:
        from grader.images import docker_client
        from grader.sandbox.docker import LABEL, remove_labelled

        remove_labelled(docker_client(), {f"{LABEL}.run": config.run_id})


def failed_facts(facts: dict[str, bool]) -> list[str]:
    return [name for name in REQUIRED_FACTS if not facts.get(name, False)]


def choose(kind: str, limits: Limits, *, trusted: bool, allow_unsandboxed: bool, hidden: list[Path]) -> Choice:
    """Pick and prove a backend. `trusted` is for the project's own exercises only."""
    if kind not in BACKENDS:
        raise GraderError(f"unknown sandbox {kind!r} (choose from {', '.join(BACKENDS)})")
    notes: list[str] = []
    if kind in ("auto", "docker"):
        from grader.sandbox.docker import docker_status

        status = docker_status()
        if status.ready:
            facts = self_test_backend("docker", limits, hidden, image=status.image)
            missing = failed_facts(facts)
            if not missing:
                return Choice("docker", True, facts, image=status.image)
            problem = f"docker self-test failed: {', '.join(missing)}"
        else:
            problem = status.problem
        if kind == "docker":
            raise InfraError(problem)
        notes.append(f"docker not used: {problem}")
    if bwrap_path():
        facts = self_test_backend("bwrap", limits, hidden)
        missing = failed_facts(facts)
        if not missing:
            return Choice("bwrap", True, facts, notes=notes)
        notes.append(f"bubblewrap self-test failed: {', '.join(missing)}")
    else:
        notes.append("bubblewrap (bwrap) is not installed")
    if trusted or allow_unsandboxed:
        why = "the project's own exercise" if trusted else "--allow-unsandboxed"
        notes.append(f"running unconfined ({why})")
        return Choice("unconfined", False, {}, notes=notes)
    raise InfraError(
        "no sandbox backend passed its self-test (" + "; ".join(notes) + "); install bubblewrap or start Docker "
        "(see `grader doctor`), or pass --allow-unsandboxed to run candidate code unconfined"
    )
