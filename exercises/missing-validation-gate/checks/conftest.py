"""Session fixtures of the validation-gate exercise: one scripted week in nine model stores.

The candidate's fixed interfaces (starter README) are the only way in:
`python -m credit_risk.train --data PATH` and `python -m credit_risk.promote --version N`,
with the model store in `CREDIT_RISK_STORE`. Registry states are read back by a probe.

The script, in order (each store is a folder under the run's `{state}`):

| step | store | what happens | judged by |
|---|---|---|---|
| register (probe) | better, worse, slice, feature, incident, pricing, under-floor, over-floor | the grader's versions registered, champions set as the old pipeline left them | - |
| train-first | train | candidate trains on clean data in an empty store | first_model_promoted |
| promote-better-1 | better | `scorecard_v2` over the `scorecard` champion | better_challenger_promoted |
| train-incident | incident | the README's incident: this week's snapshot, one region's outcomes scrambled (the variant's), over last week's sound model | incident_retrain_blocked |
| state (probe) | train, better, incident | - | - |
| train-shuffled | train | candidate trains on shuffled labels | shuffled_label_blocked |
| train-clean | incident | next week's clean snapshot of the same size (the control of every training check) | incident_retrain_blocked, shuffled_label_blocked |
| promote-better-2 | better | the same promotion again | promotion_idempotent |
| promote-slice | slice | `south_broken` over `scorecard` | slice_regression_blocked |
| promote-feature | feature | `pct_schema` over `scorecard` | missing_feature_blocked |
| promote-worse | worse | `scorecard_retrain` over `full` | worse_challenger_blocked |
| promote-pricing | pricing | `east_overpriced` over `scorecard` | calibration_regression_blocked (stretch) |
| promote-under-floor, promote-over-floor | under-floor, over-floor | a first version 0.01 AUC under / over Risk's floor on the frozen set, no champion | floor_is_the_policy |
| state (probe) | all | - | - |

`decision_recorded` and `previous_champion_recoverable` read the states after each attempt.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass

import pandas as pd
import pytest

from grader.errors import InfraError
from grader.verify.toolkit import frame_to_csv, require_ok
from grader.worlds import credit

import hidden_data as hd
from measures import Step, StoreState, parse_states, quality_by_region

STEP_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def models() -> dict[str, hd.Trained]:
    return {name: hd.train(name) for name in hd.MODELS}


@pytest.fixture(scope="session")
def judged(models) -> dict[str, dict[str, dict]]:
    """data set -> model -> quality overall and per region, against true labels."""
    sets = {"fresh": hd.judge_set(), "frozen_eval_set": hd.starter_eval_set()}
    return {
        set_name: {name: quality_by_region(frame, model.probabilities(frame)) for name, model in models.items()}
        for set_name, frame in sets.items()
    }


@pytest.fixture(scope="session")
def setup(sandbox, models) -> dict[str, dict]:
    """The grader's versions, registered in the candidate's stores by the register probe."""
    plan = {"stores": {}}
    for store, registration in hd.SETUP.items():
        plan["stores"][store] = {
            "champion": registration.champion,
            "models": [
                {"name": name, "columns": models[name].columns, "valid_auc": round(models[name].valid_auc, 4),
                 "params": {"rows": models[name].rows, "model": name, "source": "notebook"}}
                for name in registration.models
            ],
        }
    used = {name for registration in hd.SETUP.values() for name in registration.models}
    result = sandbox.run(
        "register",
        ["{python}", "-I", "{probes}/register.py", "{out}", "{in}", "{state}"],
        inputs={
            "plan.json": json.dumps(plan),
            "models.pkl": pickle.dumps({name: models[name].model for name in used}),
            "sample.csv": frame_to_csv(hd.signature_rows()),
        },
        timeout_s=STEP_TIMEOUT_S,
    )
    if not result.ok:
        raise InfraError(f"the grader's register probe failed: {result.describe()}: {result.log_tail(8)}")
    return result.read_json("setup.json")


@dataclass
class Trial:
    """Everything the candidate's steps did, and the stores as they were left."""

    setup: dict[str, dict]
    steps: dict[str, Step]
    mid: dict[str, StoreState]    # after train-first, promote-better-1 and train-incident
    final: dict[str, StoreState]  # after every step

    def version(self, store: str, model: str) -> str:
        return self.setup[store]["versions"][model]

    def champion_before(self, store: str) -> str:
        return self.setup[store]["champion"]

    def challenger(self, store: str) -> str:
        return self.version(store, hd.CHALLENGER[store])

    def new_versions(self, store: str, before: dict[str, StoreState], after: dict[str, StoreState]) -> list[str]:
        return sorted(set(after[store].versions) - set(before[store].versions), key=int)

    # Controls: a blocked version is evidence of a gate only if the same path lets a sound one through.
    def promote_lets_sound_through(self) -> bool:
        """`promote` moved `champion` to the challenger that is better everywhere."""
        return self.mid["better"].champion == self.challenger("better") and self.steps["promote-better-1"].exit_code == 0

    def train_lets_sound_through(self) -> bool:
        """`train` made a sound first model the champion of an empty store."""
        state = self.mid["train"]
        return state.champion is not None and state.champion == state.newest() and self.steps["train-first"].exit_code == 0

    def train_promotes_clean_retrain(self) -> bool:
        """`train` made a clean weekly retrain the champion over a sound champion (the incident store)."""
        new = self.new_versions("incident", self.mid, self.final)
        return bool(new) and self.final["incident"].champion == new[-1] and self.steps["train-clean"].exit_code == 0


@pytest.fixture(scope="session")
def trial(sandbox, setup) -> Trial:
    steps: dict[str, Step] = {}

    def train(name: str, frame: pd.DataFrame, store: str = "train") -> None:
        steps[name] = Step.of(sandbox.run(
            name, ["{python}", "-m", "credit_risk.train", "--data", "{in}/train.csv"],
            inputs={"train.csv": frame_to_csv(frame[["id", *credit.FEATURES, credit.LABEL]])},
            env=hd.store_env(store), timeout_s=STEP_TIMEOUT_S,
        ))

    def promote(name: str, store: str) -> None:
        version = setup[store]["versions"][hd.CHALLENGER[store]]
        steps[name] = Step.of(sandbox.run(
            name, ["{python}", "-m", "credit_risk.promote", "--version", version],
            env=hd.store_env(store), timeout_s=STEP_TIMEOUT_S,
        ))

    def state(name: str, stores) -> dict[str, StoreState]:
        result = require_ok(sandbox.run(
            name, ["{python}", "-I", "{probes}/registry_state.py", "{out}", "{state}", *stores], timeout_s=STEP_TIMEOUT_S,
        ))
        return parse_states(result.read_json("state.json"))

    train("train-first", hd.first_training_set())
    promote("promote-better-1", "better")
    train("train-incident", hd.incident_training_set(), store="incident")
    mid = state("state-mid", ["train", "better", "incident"])
    train("train-shuffled", hd.shuffled_training_set())
    train("train-clean", hd.clean_retraining_set(), store="incident")
    promote("promote-better-2", "better")
    promote("promote-slice", "slice")
    promote("promote-feature", "feature")
    promote("promote-worse", "worse")
    promote("promote-pricing", "pricing")
    promote("promote-under-floor", "under-floor")
    promote("promote-over-floor", "over-floor")
    final = state("state-final", hd.STORES)
    return Trial(setup, steps, mid, final)
