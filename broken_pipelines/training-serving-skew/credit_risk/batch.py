"""Score a CSV of applications with the champion model (nightly batch job).

    python -m credit_risk.batch --input applications.csv --output scores.csv

Input: the warehouse schema with an `id` column. Output: `id,probability_default,model_version`.
"""

from __future__ import annotations

import argparse

import pandas as pd

from credit_risk.features import build_features
from credit_risk.registry import load_champion


def score(input_path: str, output_path: str) -> None:
    champion = load_champion()
    raw = pd.read_csv(input_path)
    features = build_features(raw, champion.feature_config)
    out = pd.DataFrame(
        {
            "id": raw["id"],
            "probability_default": champion.model.predict_proba(features)[:, 1],
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
