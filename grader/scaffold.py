"""`grader new-exercise ID --pack DIR`: a small exercise that works as it stands.

Writing an exercise starts from something that runs: a spec with two planted bugs and a
guard, hidden checks with their session fixture, a starter with its marker, README and
visible tests, the reference solution, one known partial fix, a debrief, and a variant space
of two base rates (grader/variants.py: the starter, solution and partial fix are templates,
the checks read the graded variant's rate). `grader --pack
DIR validate ID` calibrates it unchanged (the starter fails both bugs' checks, the reference
passes all, the partial fix fixes one bug), so every edit after that can be checked the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.errors import GraderError
from grader.escape import one_line

ID_RULE = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}$")

_BUGGY_SCORE = '''def score(utilization: float) -> float:
    """Probability of default for a credit utilization given as a fraction in [0, 1]."""
    return min(1.0, max(0.0, BASE_RATE + SLOPE * utilization / 100))
'''
_FIXED_SCORE = '''def score(utilization: float) -> float:
    """Probability of default for a credit utilization given as a fraction in [0, 1]."""
    return min(1.0, max(0.0, BASE_RATE + SLOPE * utilization))
'''
_QUIET_MAIN = '''def main(out_dir: str, inputs: list[str]) -> None:
    scores = {value: score(float(value)) for value in inputs}
    with open(f"{out_dir}/scores.json", "w") as f:
        json.dump(scores, f)
'''
_LOUD_MAIN = '''def main(out_dir: str, inputs: list[str]) -> None:
    scores = {value: score(float(value)) for value in inputs}
    with open(f"{out_dir}/scores.json", "w") as f:
        json.dump(scores, f)
    print(f"scored {len(scores)} applications")
'''


def _pipeline(score: str, main: str) -> str:
    return f'''"""Scores applications: probability of default from credit utilization.

    python pipeline.py OUT_DIR UTILIZATION...

writes OUT_DIR/scores.json, a mapping from each utilization (as given) to its score.
"""

import json
import sys

BASE_RATE = @{{ base_rate.rate }}@
SLOPE = 0.5


{score}

{main}

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
'''


def files(exercise_id: str) -> dict[str, str]:
    """Every file of the new exercise, by path below the pack."""
    ex, starter = f"exercises/{exercise_id}", f"broken_pipelines/{exercise_id}"
    return {
        f"{ex}/exercise.toml": f'''id = "{exercise_id}"
version = "0.1.0"
title = "{exercise_id}: scores come out wrong"
failure_mode = "unit mismatch"
summary = "pipeline.py divides a utilization that is already a fraction by 100, and logs nothing."
time_budget_hours = 1.0

[resources]
memory_mb = 512
step_timeout_s = 60

[[bugs]]
id = "utilization-units"
title = "Utilization is divided by 100 twice"
symptom = "every application scores about the base rate"

  [[bugs.checks]]
  id = "scores_follow_utilization"
  kind = "fail_to_pass"
  title = "Scores rise with utilization as the spec says (base rate + 0.5 x utilization)"
  points = 2

[[bugs]]
id = "silent-run"
title = "The scoring run logs nothing"
symptom = "operators cannot tell a run happened"

  [[bugs.checks]]
  id = "run_logs_its_count"
  kind = "fail_to_pass"
  title = "A run prints how many applications it scored"

[[checks]]
id = "still_runs"
kind = "pass_to_pass"
title = "pipeline.py exits 0 and writes scores.json"

[[variants]]
name = "base_rate"
title = "the base rate of default the spec states"
values = [
  {{ id = "five-percent", rate = 0.05 }},
  {{ id = "eight-percent", rate = 0.08 }},
]

[[partial_fixes]]
id = "logs-only"
title = "Logs the run, still divides by 100"
passes = ["run_logs_its_count", "still_runs"]
''',
        f"{ex}/checks/hidden_data.py": '''"""Hidden inputs: what the grader feeds the candidate's code (the candidate never sees them)."""

from pathlib import Path

from grader import variants

UTILIZATIONS = ["0.0", "0.2", "0.5", "0.9"]
#: The graded variant's base rate (exercise.toml's [[variants]]; the default one outside a grading).
BASE_RATE = variants.current(Path(__file__).resolve().parents[1] / "exercise.toml")["base_rate"]["rate"]
''',
        f"{ex}/checks/conftest.py": f'''"""Session fixtures of {exercise_id}: the candidate's pipeline runs once, on the grader's inputs."""

import pytest

import hidden_data as hd


@pytest.fixture(scope="session")
def scored(sandbox):
    """One run of the fixed interface, `python pipeline.py OUT_DIR UTILIZATION...`, in the sandbox."""
    return sandbox.run("score", ["{{python}}", "pipeline.py", "{{out}}", *hd.UTILIZATIONS])
''',
        f"{ex}/checks/test_{exercise_id.replace('-', '_')}.py": '''"""Hidden checks: one test per check id of exercise.toml, named test_<check id>."""

import pytest

from grader.verify.toolkit import require_ok

import hidden_data as hd


def expected(utilization: str) -> float:
    return hd.BASE_RATE + 0.5 * float(utilization)


def test_scores_follow_utilization(scored, evidence):
    scores = require_ok(scored).read_json("scores.json")
    assert isinstance(scores, dict), "scores.json is not a JSON object"
    evidence["scores"] = {u: scores.get(u) for u in hd.UTILIZATIONS}
    for u in hd.UTILIZATIONS:
        value = scores.get(u)
        assert isinstance(value, (int, float)), f"no score for utilization {u}"
        assert value == pytest.approx(expected(u), abs=1e-6), f"utilization {u} scored {value}, expected {expected(u)}"


def test_run_logs_its_count(scored):
    require_ok(scored)
    assert f"scored {len(hd.UTILIZATIONS)} applications" in scored.log_path.read_text(errors="replace"), (
        "the run printed no count of scored applications")


def test_still_runs(scored):
    require_ok(scored).read_json("scores.json")
''',
        f"{ex}/solution/pipeline.py.j2": _pipeline(_FIXED_SCORE, _LOUD_MAIN),
        f"{ex}/partial_fixes/logs-only/pipeline.py.j2": _pipeline(_BUGGY_SCORE, _LOUD_MAIN),
        f"{ex}/DEBRIEF.md": f'''# Debrief: {exercise_id}

For the interviewer; never share this file, the hidden checks or the solution with candidates.

- **utilization-units**: `score()` divides a fraction by 100, so every score sits at the base
  rate. Ask how they found it, and what test would have caught it.
- **silent-run**: the run prints nothing; the fix logs the count of scored applications.

Each candidate gets one of two base rates (exercise.toml's `[[variants]]`): a fix copied from
another candidate's repository scores with the wrong rate and fails `scores_follow_utilization`.
''',
        f"{starter}/.mlops-exercise": f'exercise = "{exercise_id}"\nversion = "0.1.0"\n',
        f"{starter}/README.md.j2": f'''# {exercise_id}

`pipeline.py` scores credit applications: the probability of default is
`@{{ base_rate.rate }}@ + 0.5 x utilization`, where utilization is a fraction in [0, 1].

    python pipeline.py OUT_DIR 0.2 0.5

writes `OUT_DIR/scores.json` and should print how many applications it scored.

Operations report that every application scores about the same, and that nobody can tell
from the logs whether a run happened. Fix both, add tests that would have caught them, and
write down what you found in NOTES.md. Keep the command line as it is.
''',
        f"{starter}/NOTES.md": "# Notes\n",
        f"{starter}/Makefile": "test:\n\tpython -m pytest -q tests\n",
        f"{starter}/pipeline.py.j2": _pipeline(_BUGGY_SCORE, _QUIET_MAIN),
        f"{starter}/tests/test_pipeline.py": '''import pipeline


def test_zero_utilization_scores_the_base_rate():
    assert pipeline.score(0.0) == pipeline.BASE_RATE
''',
    }


def scaffold(exercise_id: str, pack: Path) -> list[Path]:
    """Write the new exercise into `pack`; refuse to touch an id that exists there."""
    if not ID_RULE.match(exercise_id):
        raise GraderError(f"exercise id {one_line(exercise_id, 60)!r} must be 2 to 49 lower-case letters, digits "
                          "and '-', starting with a letter or digit")
    for folder in ("exercises", "broken_pipelines"):
        if (pack / folder / exercise_id).exists():
            raise GraderError(f"{pack / folder / exercise_id} already exists: nothing written")
    written = []
    for rel, text in files(exercise_id).items():
        path = pack / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
