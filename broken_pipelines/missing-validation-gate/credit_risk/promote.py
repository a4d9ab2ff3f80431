"""Make a registered version of credit-risk the champion (used by hand, e.g. to roll back).

    python -m credit_risk.promote --version 6
"""

from __future__ import annotations

import argparse
import sys

from credit_risk.config import CHAMPION_ALIAS, MODEL_NAME
from credit_risk.registry import connect


def promote(version: str) -> int:
    """Point `champion` at `version`; return the exit code."""
    client = connect()
    client.set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, str(version))
    print(f"{MODEL_NAME} v{version} is now the champion")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True)
    args = parser.parse_args(argv)
    return promote(args.version)


if __name__ == "__main__":
    sys.exit(main())
