"""Nightly drift monitor for the credit-risk service.

    python -m credit_risk.monitoring --output reports/latest [--reference REF.csv] [--current CUR.csv]

Compares recent applications (`--current`; by default, what the service logged) with the
reference data (`--reference`; by default, the data the champion was trained on), writes
`report.json` and `report.html` into `--output`, and exits with code 1 when it raises an
alert, so that the scheduler pages the on-call. The README has the full contract.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PLACEHOLDER_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>credit-risk drift report</title></head>
<body><h1>credit-risk drift report</h1><p>No drift detected.</p></body></html>
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m credit_risk.monitoring", description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="folder for report.json and report.html")
    parser.add_argument("--reference", help="CSV in the warehouse schema (default: the champion's training data)")
    parser.add_argument("--current", help="CSV in the warehouse schema (default: the prediction log)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    # TODO(RISK-112): load the reference and the current data and compare them. Until the
    # checks land, write an empty report so that the scheduled job stays green.
    report = {"alert": False, "drifted_columns": [], "columns": {}}

    (output / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (output / "report.html").write_text(PLACEHOLDER_HTML)
    print(f"drift report written to {output}: no alert")
    return 1 if report["alert"] else 0


if __name__ == "__main__":
    sys.exit(main())
