"""Make a registered version of credit-risk the champion, if it clears Risk's AUC floor.

    python -m credit_risk.promote --version 6
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from credit_risk.config import CHAMPION_ALIAS, EVAL_SET, MODEL_NAME
from credit_risk.evaluate import evaluate
from credit_risk.registry import connect, load_version

FLOOR_AUC = 0.60


def promote(version: str) -> int:
    """Point `champion` at `version` if its AUC on the evaluation set clears the floor."""
    client = connect()
    report = evaluate(load_version(str(version)), pd.read_csv(EVAL_SET))
    if report["auc"] < FLOOR_AUC:
        print(f"{MODEL_NAME} v{version} blocked: AUC {report['auc']:.3f} < {FLOOR_AUC}")
        return 1
    client.set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, str(version))
    print(f"{MODEL_NAME} v{version} is now the champion (AUC {report['auc']:.3f})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True)
    args = parser.parse_args(argv)
    return promote(args.version)


if __name__ == "__main__":
    sys.exit(main())
