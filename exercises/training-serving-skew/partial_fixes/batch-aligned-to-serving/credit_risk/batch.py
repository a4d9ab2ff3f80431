"""Score a CSV of applications with the champion model (nightly batch job).

    python -m credit_risk.batch --input applications.csv --output scores.csv

Input: the warehouse schema with an `id` column. Output: `id,probability_default,model_version`.

Scores go through the API's featurizer, so batch and online scores can no longer drift apart.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from credit_risk.api import LoanApplication, _to_vector
from credit_risk.registry import load_champion


def score(input_path: str, output_path: str) -> None:
    champion = load_champion()
    raw = pd.read_csv(input_path)
    rows = raw.drop(columns=["id", "default"], errors="ignore")
    rows["credit_utilization_pct"] = rows.pop("credit_utilization") * 100
    rows = rows.astype(object).where(rows.notna(), None)  # NaN -> None, as the API receives it
    vectors = np.vstack([_to_vector(LoanApplication(**r)) for r in rows.to_dict("records")])
    out = pd.DataFrame(
        {
            "id": raw["id"],
            "probability_default": champion.model.predict_proba(vectors)[:, 1],
            "model_version": champion.version,
        }
    )
    out.to_csv(output_path, index=False)
    print(f"scored {len(out)} applications with {champion.version=}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    score(args.input, args.output)


if __name__ == "__main__":
    main()
