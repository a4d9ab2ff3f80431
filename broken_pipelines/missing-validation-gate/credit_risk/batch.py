"""Score a CSV of applications with the champion (the nightly pricing batch).

    python -m credit_risk.batch --input applications.csv --output scores.csv

Input: the warehouse schema with an `id` column. Output: `id,probability_default,model_version`.
"""

from __future__ import annotations

import argparse
import sys

import mlflow
import pandas as pd

from credit_risk.config import CHAMPION_ALIAS, FEATURES, MODEL_NAME
from credit_risk.registry import connect


def score(input_path: str, output_path: str) -> None:
    client = connect()
    champion = client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS)
    model = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}/{champion.version}")
    raw = pd.read_csv(input_path)
    out = pd.DataFrame(
        {
            "id": raw["id"],
            "probability_default": model.predict_proba(raw[FEATURES])[:, 1],
            "model_version": str(champion.version),
        }
    )
    out.to_csv(output_path, index=False)
    print(f"scored {len(out)} applications with {MODEL_NAME} v{champion.version}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    score(args.input, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
