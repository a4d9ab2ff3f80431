"""What the gate checks measure: model quality against truth, and registry states read back.

Quality is computed here, on the trusted side, from labels the sandbox never sees. Registry
states come out of the sandbox as JSON written by the `registry_state` probe; their content
is whatever the candidate's code left in its stores, so it is validated like any untrusted
output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from grader.errors import PremiseError
from grader.sandbox import OutputError, StepResult
from grader.verify.toolkit import candidate_data
from grader.worlds import credit

CHAMPION = "champion"
PREVIOUS_ALIAS = "previous-champion"
DECISION_TAG = "promotion.decision"
REASON_TAG = "promotion.reason"
PREVIOUS_TAG = "promotion.previous_champion"


def premise(condition: bool, message: str) -> None:
    if not condition:
        raise PremiseError(message)


# -- quality against truth ------------------------------------------------------------------

def quality(labels: pd.Series, probabilities: np.ndarray) -> dict:
    labels = labels.to_numpy()
    return {
        "rows": int(len(labels)),
        "auc": round(float(roc_auc_score(labels, probabilities)), 4),
        "log_loss": round(float(log_loss(labels, probabilities)), 4),
        "brier": round(float(brier_score_loss(labels, probabilities)), 4),
        "mean_predicted": round(float(np.mean(probabilities)), 4),
        "observed_rate": round(float(np.mean(labels)), 4),
    }


def quality_by_region(frame: pd.DataFrame, probabilities: np.ndarray) -> dict:
    """Overall and per-region quality of `probabilities` for the labelled `frame`."""
    out = {"overall": quality(frame[credit.LABEL], probabilities)}
    for region in credit.REGIONS:
        rows = (frame["region"] == region).to_numpy()
        out[region] = quality(frame[credit.LABEL][rows], probabilities[rows])
    return out


def better_everywhere(challenger: dict, champion: dict, slices=("overall", *credit.REGIONS)) -> dict:
    """Smallest improvement of `challenger` over `champion` across `slices`, per metric (>0: better)."""
    return {
        "auc": round(min(challenger[s]["auc"] - champion[s]["auc"] for s in slices), 4),
        "log_loss": round(min(champion[s]["log_loss"] - challenger[s]["log_loss"] for s in slices), 4),
        "brier": round(min(champion[s]["brier"] - challenger[s]["brier"] for s in slices), 4),
    }


# -- steps and registry states --------------------------------------------------------------

@dataclass
class Step:
    """How one candidate step ended, in plain data."""

    name: str
    exit_code: int | None
    stopped: str | None
    duration_s: float
    log: str = field(repr=False, default="")

    @classmethod
    def of(cls, result: StepResult) -> "Step":
        return cls(result.name, result.exit_code, result.stopped, round(result.duration_s, 1), result.log_tail(10))

    @property
    def finished(self) -> bool:
        return self.stopped is None and self.exit_code is not None

    def summary(self) -> dict:
        return {"exit_code": self.exit_code, "stopped": self.stopped, "duration_s": self.duration_s}


@dataclass
class StoreState:
    """One model store as the `registry_state` probe read it."""

    error: str | None
    aliases: dict[str, str]
    versions: dict[str, dict]  # version -> {"status": str, "tags": {str: str}}

    @property
    def champion(self) -> str | None:
        return self.aliases.get(CHAMPION)

    def tags(self, version: str | None) -> dict[str, str]:
        return self.versions.get(str(version), {}).get("tags", {}) if version is not None else {}

    def newest(self) -> str | None:
        return max(self.versions, key=int) if self.versions else None

    def summary(self) -> dict:
        if self.error:
            return {"error": self.error}
        return {"aliases": self.aliases, "versions": sorted(self.versions, key=int)}


_VERSION = re.compile(r"[0-9]{1,9}")


@candidate_data("the registry state the probe read back")
def parse_states(data) -> dict[str, StoreState]:
    if not isinstance(data, dict):
        raise OutputError("state.json is not an object")
    states = {}
    for store, raw in data.items():
        if not isinstance(raw, dict):
            raise OutputError(f"state of store {store!r} is not an object")
        if raw.get("error"):
            states[store] = StoreState(str(raw["error"]), {}, {})
            continue
        aliases, versions = raw.get("aliases"), raw.get("versions")
        if not isinstance(aliases, dict) or not isinstance(versions, dict):
            raise OutputError(f"state of store {store!r} lacks aliases or versions")
        parsed = {}
        for version, info in versions.items():
            if not _VERSION.fullmatch(str(version)) or not isinstance(info, dict) \
                    or not isinstance(info.get("tags", {}), dict):
                raise OutputError(f"store {store!r}: malformed version entry {str(version)[:20]!r}")
            parsed[str(version)] = {"status": str(info.get("status")), "tags": {str(k): str(v) for k, v in info["tags"].items()}}
        states[store] = StoreState(None, {str(k): str(v) for k, v in aliases.items()}, parsed)
    return states


def same_version(value: str | None, version: str) -> bool:
    """A version named in a tag: '3' and 'v3' both name version 3."""
    if value is None:
        return False
    text = str(value).strip().lower()
    return text.removeprefix("v") == str(version)
