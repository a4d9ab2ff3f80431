"""Runs inside the sandbox: flatten the candidate's prediction log into bounded CSV text.

    python -I prediction_log.py OUT_DIR LOG_DIR

Reads every regular `*.jsonl` file under LOG_DIR (symlinks are not followed) with the
standard library only, and writes into OUT_DIR:

- `records.csv`: one row per line that is a JSON object: `timestamp`, `model_version`,
  `probability_default` and the nine application fields from `features`, as text (numbers
  in `repr` form, null as empty, anything else truncated), plus `problem` when the line
  lacks part of the contract;
- `summary.json`: counts (files, lines, records, unreadable lines) and whether a cap was hit.

The trusted side parses both as untrusted text.
"""

import csv
import json
import os
import sys

FIELDS = ("age", "annual_income", "employment_years", "debt", "credit_utilization", "num_late_payments",
          "loan_amount", "region", "home_ownership")
COLUMNS = ("file", "line", "timestamp", "model_version", "probability_default", *FIELDS, "problem")
MAX_FILES = 2_000
MAX_BYTES = 64 * 1024 * 1024
MAX_RECORDS = 50_000
MAX_TEXT = 80


def text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return repr(value)
    return str(value).replace("\n", " ").replace("\r", " ")[:MAX_TEXT]


def log_files(root):
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(".jsonl") and os.path.isfile(path) and not os.path.islink(path):
                found.append(path)
    return sorted(found)


def main(out_dir, log_dir):
    summary = {"log_dir_exists": os.path.isdir(log_dir), "files": 0, "lines": 0, "records": 0,
               "unreadable_lines": 0, "capped": False}
    files = log_files(log_dir) if summary["log_dir_exists"] else []
    if len(files) > MAX_FILES:
        files, summary["capped"] = files[:MAX_FILES], True
    summary["files"] = len(files)
    budget = MAX_BYTES
    with open(os.path.join(out_dir, "records.csv"), "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for index, path in enumerate(files):
            try:
                f = open(path, "rb")
            except OSError:
                summary["unreadable_files"] = summary.get("unreadable_files", 0) + 1
                continue
            with f:
                for number, raw in enumerate(f, start=1):
                    budget -= len(raw)
                    if budget < 0 or summary["records"] >= MAX_RECORDS:
                        summary["capped"] = True
                        break
                    if not raw.strip():
                        continue
                    summary["lines"] += 1
                    try:
                        record = json.loads(raw.decode("utf-8"))
                    except (UnicodeDecodeError, ValueError):
                        summary["unreadable_lines"] += 1
                        continue
                    if not isinstance(record, dict):
                        summary["unreadable_lines"] += 1
                        continue
                    features = record.get("features")
                    problems = []
                    if not isinstance(features, dict):
                        problems.append("no features object")
                        features = {}
                    missing = [k for k in ("timestamp", "model_version", "probability_default") if k not in record]
                    missing += [k for k in FIELDS if k not in features]
                    if missing:
                        problems.append("missing " + ",".join(missing))
                    summary["records"] += 1
                    writer.writerow([index, number, text(record.get("timestamp")), text(record.get("model_version")),
                                     text(record.get("probability_default")), *[text(features.get(k)) for k in FIELDS],
                                     "; ".join(problems)[:MAX_TEXT]])
            if summary["capped"]:
                break
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
