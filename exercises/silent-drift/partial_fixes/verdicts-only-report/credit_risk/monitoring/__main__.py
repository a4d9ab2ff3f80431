"""Nightly drift monitor for the credit-risk service.

    python -m credit_risk.monitoring --output reports/latest [--reference REF.csv] [--current CUR.csv]

Compares recent applications (`--current`; by default, every prediction in the prediction
log) with the reference data (`--reference`; by default, the reference stored with the
champion at training time), writes `report.json` and `report.html` into `--output`, and
exits with code 1 when it raises an alert (the scheduler pages the on-call), 0 when it does
not, 2 when it could not compare (the scheduler opens a ticket).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from credit_risk.config import prediction_log_dir
from credit_risk.monitoring import data

OK, ALERT, FAILED = 0, 1, 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m credit_risk.monitoring", description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="folder for report.json and report.html")
    parser.add_argument("--reference", help="CSV in the warehouse schema (default: the champion's reference)")
    parser.add_argument("--current", help="CSV in the warehouse schema (default: the prediction log)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    from credit_risk.monitoring.drift import compare

    reference = data.from_csv(args.reference) if args.reference else data.champion_reference()
    current = data.from_csv(args.current) if args.current else data.from_prediction_log(prediction_log_dir())
    summary, snapshot = compare(reference.frame, current.frame)
    summary["reference_source"] = reference.source
    summary["current_source"] = current.source
    summary["warnings"] += reference.notes + current.notes

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "report.json").write_text(json.dumps(summary, indent=2) + "\n")
    snapshot.save_html(str(output / "report.html"))

    verdict = "ALERT: " + ", ".join(summary["drifted_columns"]) if summary["alert"] else "no alert"
    print(f"compared {summary['current_rows']} rows ({current.source}) with {summary['reference_rows']} "
          f"({reference.source}): {verdict}")
    for warning in summary["warnings"]:
        print(f"warning: {warning}")
    return ALERT if summary["alert"] else OK


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except Exception as exc:  # any failure must reach the scheduler as "could not run", not as "all quiet"
        print(f"monitoring failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
