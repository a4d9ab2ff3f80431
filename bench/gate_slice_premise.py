"""Does `slice_regression_blocked`'s grader-made challenger hold its premises under reseeded data?

For seed sets 0..N-1 of `grader validate --seeds` (base 0), trains the gate exercise's
`scorecard`, `scorecard_v2` and `south_broken` as the hidden checks do (each seed set in a
child process: hidden-data seeds are read at import) and prints, per judging set, how far
`south_broken` falls in the South (AUC, log loss) and gains overall, whether the premises hold,
and whether `hd.south_broken_seed` kept the first draw or redrew it:

    .venv/bin/python bench/gate_slice_premise.py [N]     # default 12, ~8 s per seed set
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import catalog, seeds  # noqa: E402

CHILD = f"""
import json, sys
sys.path.insert(0, {str(ROOT / "exercises" / "missing-validation-gate" / "checks")!r}); sys.path.insert(0, {str(ROOT)!r})
import hidden_data as hd
from measures import quality_by_region
models = {{n: hd.train(n) for n in ("scorecard", "south_broken", "scorecard_v2")}}
out = {{"first_draw": hd.south_broken_seed() == hd.RECIPES["south_broken"].seed}}
for name, frame in (("fresh", hd.judge_set()), ("frozen", hd.starter_eval_set())):
    q = {{n: quality_by_region(frame, m.probabilities(frame)) for n, m in models.items()}}
    b = hd.BROKEN_REGION
    out[name] = {{"holds": hd.slice_story_holds(q),
                 "south_auc_drop": round(q["scorecard"][b]["auc"] - q["south_broken"][b]["auc"], 3),
                 "south_log_loss_rise": round(q["south_broken"][b]["log_loss"] - q["scorecard"][b]["log_loss"], 3),
                 "overall_auc_gain": round(q["south_broken"]["overall"]["auc"] - q["scorecard"]["overall"]["auc"], 3)}}
print(json.dumps(out))
"""


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    spec = catalog.get_exercise("missing-validation-gate").spec
    for index in range(count):
        key = seeds.exercise_key(seeds.validation_key(0, index), spec.id, spec.version)
        done = subprocess.run([sys.executable, "-c", CHILD], env={**os.environ, seeds.ENV: key},
                              capture_output=True, text=True)
        if done.returncode:
            print(f"seed set {index}: failed\n{done.stderr[-800:]}")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        first = result.pop("first_draw")
        holds = all(r.pop("holds") for r in result.values())
        print(f"seed set {index}: {'holds' if holds else 'FAILS'} ({'first draw' if first else 'redrawn'}) {result}",
              flush=True)


if __name__ == "__main__":
    main()
