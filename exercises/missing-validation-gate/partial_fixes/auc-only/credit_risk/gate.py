"""The promotion gate: may a registered version replace the champion?

Everything is measured on Risk's frozen evaluation set (`data/eval.csv`, checked against the
checksum in `data/eval.json`), for the challenger and the current champion alike, so the
comparison never depends on what a training run reported about itself. A version is
blocked when:

1. its input signature is missing or is not the warehouse schema, or it cannot score the
   evaluation set (a smoke prediction: one probability in [0, 1] per row);
2. its AUC is under Risk's floor (0.60);
3. it ranks applicants worse than the champion beyond a tolerance, overall or in any region
   (AUC: the metric Risk signs models off with).

The tolerances sit at the noise level of the set, measured by bootstrapping it (see
NOTES.md): AUC moves by 0.007 overall between resamples, and by 0.012 (north, 2,076 rows) to
0.022 (west, 877 rows) per region.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score

from credit_risk.config import EVAL_MANIFEST, EVAL_SET, FEATURES, LABEL, REGIONS

FLOOR_AUC = 0.60
#: How much worse than the champion a challenger may be before it is blocked.
TOLERANCE = {
    "overall": {"auc": 0.01},
    "region": {"auc": 0.03},
}
SLICES = ("overall", *REGIONS)


class GateError(Exception):
    """The gate cannot judge a version (bad evaluation set, unscoreable model)."""


@dataclass(frozen=True)
class EvalSet:
    frame: pd.DataFrame
    name: str
    version: str
    sha256: str

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version} (sha256 {self.sha256[:12]})"


def load_eval_set() -> EvalSet:
    """The frozen evaluation set, refused if it differs from its manifest."""
    manifest = json.loads(EVAL_MANIFEST.read_text())
    data = EVAL_SET.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != manifest["sha256"]:
        raise GateError(f"{EVAL_SET.name} does not match its manifest (sha256 {digest[:12]}, expected {manifest['sha256'][:12]})")
    frame = pd.read_csv(EVAL_SET)
    if len(frame) != manifest["rows"]:
        raise GateError(f"{EVAL_SET.name} has {len(frame)} rows, the manifest says {manifest['rows']}")
    return EvalSet(frame, manifest["name"], str(manifest["version"]), digest)


def check_signature(signature) -> None:
    """The version must declare exactly the warehouse columns as its input."""
    if signature is None or signature.inputs is None:
        raise GateError("no input signature")
    names = signature.inputs.input_names()
    missing = [c for c in FEATURES if c not in names]
    unknown = [c for c in names if c not in FEATURES]
    if missing or unknown:
        raise GateError(f"input signature is not the warehouse schema (missing {missing}, unknown {unknown})")


def score(model, frame: pd.DataFrame) -> np.ndarray:
    """Smoke prediction: P(default) for every row, each a probability."""
    try:
        probabilities = np.asarray(model.predict_proba(frame[FEATURES]))[:, 1].astype(float)
    except Exception as exc:  # noqa: BLE001 - any failure to score means "cannot go live"
        raise GateError(f"cannot score the warehouse schema: {type(exc).__name__}: {str(exc)[:200]}") from None
    if probabilities.shape != (len(frame),) or not np.isfinite(probabilities).all():
        raise GateError("predictions are not one finite number per row")
    if ((probabilities < 0) | (probabilities > 1)).any():
        raise GateError("predictions are not probabilities")
    return probabilities


def evaluate(probabilities: np.ndarray, frame: pd.DataFrame) -> dict:
    """AUC and log loss overall and per region."""
    clipped = np.clip(probabilities, 1e-6, 1 - 1e-6)
    out = {}
    for name in SLICES:
        rows = np.ones(len(frame), bool) if name == "overall" else (frame["region"] == name).to_numpy()
        labels = frame[LABEL].to_numpy()[rows]
        if rows.sum() == 0 or labels.min() == labels.max():
            raise GateError(f"the evaluation set cannot measure slice {name!r}")
        out[name] = {
            "rows": int(rows.sum()),
            "auc": round(float(roc_auc_score(labels, clipped[rows])), 4),
            "log_loss": round(float(log_loss(labels, clipped[rows], labels=[0, 1])), 4),
        }
    return out


@dataclass
class Decision:
    promote: bool
    reason: str
    failures: list[str] = field(default_factory=list)


def decide(challenger: dict, champion: dict | None) -> Decision:
    """Apply the policy to two evaluations (champion None: a new store)."""
    failures = []
    auc = challenger["overall"]["auc"]
    if auc < FLOOR_AUC:
        failures.append(f"AUC {auc:.3f} is under the floor {FLOOR_AUC:.2f}")
    if champion is not None:
        for name in SLICES:
            tolerance = TOLERANCE["overall" if name == "overall" else "region"]
            drop_auc = champion[name]["auc"] - challenger[name]["auc"]
            if drop_auc > tolerance["auc"]:
                failures.append(f"{name}: AUC {challenger[name]['auc']:.3f} vs champion {champion[name]['auc']:.3f}")
    if failures:
        return Decision(False, "blocked: " + "; ".join(failures), failures)
    if champion is None:
        return Decision(True, f"first champion: AUC {auc:.3f} over the floor {FLOOR_AUC:.2f}")
    return Decision(True, f"no regression against the champion overall or in any region (AUC {auc:.3f} vs "
                          f"{champion['overall']['auc']:.3f})")
