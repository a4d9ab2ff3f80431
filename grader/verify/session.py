"""What the grader hands the verifier process: plain data in one JSON file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.sandbox import SandboxConfig
from grader.spec import ExerciseSpec, load_spec


@dataclass
class VerifySession:
    exercise_id: str
    spec_path: str
    check_ids: list[str]
    sandbox: dict
    results_path: str
    #: Data folder of the exercise's hidden checks' own use (fixtures cache, scratch).
    scratch_dir: str
    submission: dict = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> "VerifySession":
        return cls(**json.loads(path.read_text()))

    def spec(self) -> ExerciseSpec:
        return load_spec(Path(self.spec_path))

    def sandbox_config(self) -> SandboxConfig:
        return SandboxConfig(**self.sandbox)
