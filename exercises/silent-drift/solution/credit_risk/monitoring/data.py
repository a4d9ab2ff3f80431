"""The two sides of a comparison, as frames of application fields in warehouse units.

Reference: a CSV, or the reference stored with the champion at training time. Current: a
CSV, or every prediction in the prediction log. Values are coerced to the warehouse types;
a value that cannot be read becomes missing, so broken input shows up as a rise in missing
values rather than disappearing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from credit_risk.features import RAW_COLUMNS

FIELDS = list(RAW_COLUMNS)
CATEGORICAL = ["region", "home_ownership"]
NUMERIC = [c for c in FIELDS if c not in CATEGORICAL]
#: The model's score, compared too when both sides have it (the log and the stored reference).
SCORE = "probability_default"


@dataclass
class Side:
    frame: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in FIELDS if c not in frame.columns]
    if missing:
        raise ValueError(f"missing application fields: {', '.join(missing)}")
    out = pd.DataFrame(index=frame.index)
    for column in NUMERIC + ([SCORE] if SCORE in frame.columns else []):
        out[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in CATEGORICAL:
        out[column] = frame[column].where(frame[column].isna(), frame[column].astype(str))
    return out.reset_index(drop=True)


def from_csv(path: str | Path) -> Side:
    return Side(normalise(pd.read_csv(path)), source=str(path))


def from_prediction_log(folder: Path) -> Side:
    rows, bad, files = [], 0, sorted(folder.rglob("*.jsonl")) if folder.is_dir() else []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    rows.append({**record["features"], SCORE: record.get(SCORE)})
                except (ValueError, KeyError, TypeError):
                    bad += 1  # e.g. a line being written right now
    if not rows:
        raise ValueError(f"no predictions in the prediction log {folder} ({len(files)} files)")
    notes = [f"{bad} unreadable lines skipped"] if bad else []
    frame = pd.DataFrame(rows, columns=[*FIELDS, SCORE])
    return Side(normalise(frame), source=f"prediction log {folder} ({len(files)} files)", notes=notes)


def champion_reference() -> Side:
    from credit_risk.registry import load_reference  # MLflow only when it is needed

    reference = load_reference()
    return Side(normalise(reference.frame), source=f"reference of model version {reference.version} (run {reference.run_id})")
