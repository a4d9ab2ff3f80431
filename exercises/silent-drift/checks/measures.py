"""What the drift checks measure: the candidate's monitor verdicts, the grader's own drift
report, and how the candidate's prediction log compares with the traffic the grader sent.

Everything read from the sandbox is untrusted text: malformed answers become
`OutputError` / `CandidateFailure` (a failed check), never a crash of the check.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from grader.errors import PremiseError
from grader.sandbox import CandidateFailure, OutputError, StepResult
from grader.verify.toolkit import candidate_data
from grader.worlds import credit

import hidden_data as hd

FIELDS = list(credit.FEATURES)
NUMERIC = list(credit.NUMERIC_FEATURES)
CATEGORICAL = list(credit.CATEGORICAL_FEATURES)
MAX_REPORT_BYTES = 8 * 1024 * 1024
MAX_HTML_BYTES = 64 * 1024 * 1024


def premise(condition: bool, message: str) -> None:
    if not condition:
        raise PremiseError(message)


# -- the candidate's monitor ---------------------------------------------------------------
@dataclass
class MonitorRun:
    exit_code: int
    alert: bool
    drifted: list[str]
    reference_rows: int | None
    current_rows: int | None
    html_bytes: int
    duration_s: float

    @property
    def flagged_fields(self) -> list[str]:
        return [f for f in FIELDS if f in self.drifted]

    def summary(self) -> dict:
        return {"exit_code": self.exit_code, "alert": self.alert, "drifted_columns": self.drifted[:20],
                "reference_rows": self.reference_rows, "current_rows": self.current_rows,
                "report_html_bytes": self.html_bytes,
                "duration_s": None if math.isnan(self.duration_s) else round(self.duration_s, 1)}


def _count(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() else None


def monitor_run(result: StepResult) -> MonitorRun:
    """A monitor step as the on-call tooling reads it: exit code, report.json, report.html."""
    if result.stopped:
        raise CandidateFailure(f"the monitor was {result.stopped}", log=result.log_tail())
    if result.exit_code not in (0, 1):
        raise CandidateFailure(f"the monitor could not run: exit code {result.exit_code}", log=result.log_tail())
    report = result.read_json("report.json", MAX_REPORT_BYTES)
    html = len(result.read_bytes("report.html", MAX_HTML_BYTES))
    return _judge_report(result.exit_code, report, html, result.duration_s)


def batch_monitor_run(result: StepResult, name: str) -> MonitorRun:
    """One run of a monitor step (probes/run_monitors.py), read like `monitor_run`."""
    try:
        runs = result.read_json("runs.json")
    except OutputError:
        runs = {}
    entry = runs.get(name) if isinstance(runs, dict) else None
    try:
        log = result.read_text(f"{name}.log", 64 * 1024)
    except OutputError:
        log = ""
    if not isinstance(entry, dict):
        warm = runs.get("_warm_import_error") if isinstance(runs, dict) else None
        raise CandidateFailure(f"the monitor step ended before this batch was judged ({result.describe()}"
                               + (f"; importing credit_risk.monitoring failed: {str(warm)[:200]}" if warm else "") + ")",
                               log=result.log_tail())
    if entry.get("timed_out"):
        raise CandidateFailure(f"the monitor did not finish within {hd.MONITOR_TIMEOUT_S:.0f} s", log=log)
    code = entry.get("exit_code")
    if code not in (0, 1):
        raise CandidateFailure(f"the monitor could not run: exit code {code}", log=log)
    if entry.get("report_json") is not None:
        raise OutputError(f"report.json: {str(entry['report_json'])[:120]}")
    html = entry.get("report_html_bytes")
    if not isinstance(html, int) or isinstance(html, bool):
        raise OutputError("report.html was not written (or is not a regular file)")
    report = result.read_json(f"{name}.report.json", MAX_REPORT_BYTES)
    duration = entry.get("duration_s")
    return _judge_report(code, report, html, float(duration) if isinstance(duration, (int, float)) else math.nan)


# -- normal days: a sequential test of the false-page rate ----------------------------------
#: Wald's sequential probability ratio test of "pages on 1% of normal days" (H0) against "pages
#: on 5%" (H1), with alpha = beta = 0.08. A normal day is *bad* when the monitor pages (alerts),
#: flags more than one field, or cannot run. After n normal days with b bad ones the log
#: likelihood ratio is b ln(0.05/0.01) + (n - b) ln(0.95/0.99); the monitor passes when it
#: falls to ln(0.08/0.92) (60 quiet days in a row at best), fails when it reaches
#: ln(0.92/0.08), and at DAYS_MAX undecided days it passes only with a ratio under 0. Computed
#: exactly (a walk over every (days, bad days) path, bench/stationary_power.py): a monitor that
#: pages on 1% of normal days passes with probability 0.939, one that pages on 5% with 0.082
#: (on 8%: 0.008), after 60 days for a monitor that never pages and 88 on average at 1%.
SPRT_P0, SPRT_P1, SPRT_ALPHA, SPRT_BETA = 0.01, 0.05, 0.08, 0.08
SPRT_QUIET = math.log((1 - SPRT_P1) / (1 - SPRT_P0))
SPRT_BAD = math.log(SPRT_P1 / SPRT_P0)
SPRT_PASS_AT = math.log(SPRT_BETA / (1 - SPRT_ALPHA))
SPRT_FAIL_AT = math.log((1 - SPRT_BETA) / SPRT_ALPHA)


def sequential_verdict(bad_days: list[bool], max_days: int) -> str | None:
    """"pass", "fail", or None (undecided yet) for normal days judged in order."""
    llr = 0.0
    for n, bad in enumerate(bad_days, start=1):
        llr += SPRT_BAD if bad else SPRT_QUIET
        if llr <= SPRT_PASS_AT:
            return "pass"
        if llr >= SPRT_FAIL_AT:
            return "fail"
        if n >= max_days:
            return "pass" if llr < 0 else "fail"
    return None


def is_bad_day(run: MonitorRun) -> tuple[bool, str]:
    """Whether the monitor's run on a normal day paged (or flagged > 1 field), and why."""
    if run.alert:
        return True, "paged"
    if len(run.flagged_fields) > hd.MAX_STRAY_FLAGS:
        return True, f"flagged {len(run.flagged_fields)} fields"
    return False, ""


@candidate_data("the monitor's report.json")
def _judge_report(exit_code: int, report, html_bytes: int, duration_s: float) -> MonitorRun:
    if not isinstance(report, dict):
        raise OutputError("report.json is not a JSON object")
    alert = report.get("alert")
    if not isinstance(alert, bool):
        raise OutputError(f"report.json: 'alert' must be true or false, found {str(alert)[:40]!r}")
    drifted = report.get("drifted_columns")
    if not isinstance(drifted, list) or not all(isinstance(c, str) for c in drifted):
        raise OutputError("report.json: 'drifted_columns' must be a list of field names")
    if exit_code != (1 if alert else 0):
        raise OutputError(f"the monitor exited with code {exit_code} but report.json says alert={alert}")
    if html_bytes == 0:
        raise OutputError("report.html is empty")
    return MonitorRun(exit_code=exit_code, alert=alert, drifted=[c[:80] for c in drifted[:1000]],
                      reference_rows=_count(report.get("reference_rows")),
                      current_rows=_count(report.get("current_rows")), html_bytes=html_bytes, duration_s=duration_s)


# -- what the report says changed: reference and current values ----------------------------
#: Words that mark a value in report.json as the reference's or the current batch's.
REFERENCE_WORDS = frozenset({"ref", "reference", "baseline", "train", "training", "expected", "before", "old", "previous"})
CURRENT_WORDS = frozenset({"cur", "current", "production", "prod", "actual", "after", "new", "recent", "live", "today",
                           "batch", "observed"})
#: Bounds on the walk over report.json (it is at most MAX_REPORT_BYTES already).
MAX_WALK_NODES = 50_000
MAX_FIELD_LEAVES = 5_000
MAX_PAIRS = 2_000
#: A reported value matches the grader's figure within 3% (rounding, another median convention),
#: or within the absolute tolerance of its kind (shares rounded to a point: 0.005 or 0.5%).
VALUE_TOLERANCE = 0.03


@dataclass(frozen=True)
class Figure:
    """One of the grader's own figures for a field: its value in the reference and in the batch."""

    name: str
    reference: float
    current: float
    absolute: float = 0.0

    def matches(self, reference: float, current: float) -> bool:
        def close(value: float, figure: float) -> bool:
            return abs(value - figure) <= max(VALUE_TOLERANCE * abs(figure), self.absolute)
        return close(reference, self.reference) and close(current, self.current)

    def text(self) -> str:
        return f"{self.name} {_fmt(self.reference)} -> {_fmt(self.current)}"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def grader_figures(reference: pd.DataFrame, current: pd.DataFrame, column: str) -> list[Figure]:
    """What the on-call needs to see for a changed field, computed by the grader: mean and median
    of a numeric field; for a categorical one, the share (or percentage, or count) of the
    category whose share moved most."""
    ref, cur = reference[column].dropna(), current[column].dropna()
    if column not in CATEGORICAL:
        return [Figure("mean", float(ref.mean()), float(cur.mean())),
                Figure("median", float(ref.median()), float(cur.median()))]
    ref_share, cur_share = ref.value_counts(normalize=True), cur.value_counts(normalize=True)
    moved = (cur_share.reindex(ref_share.index.union(cur_share.index), fill_value=0)
             - ref_share.reindex(ref_share.index.union(cur_share.index), fill_value=0)).abs().idxmax()
    r, c = float(ref_share.get(moved, 0.0)), float(cur_share.get(moved, 0.0))
    return [Figure(f"share of {moved}", r, c, 0.005), Figure(f"% of {moved}", 100 * r, 100 * c, 0.5),
            Figure(f"count of {moved}", float((ref == moved).sum()), float((cur == moved).sum()))]


@dataclass(frozen=True)
class ReportedPair:
    """A value the report gives for the reference and one for the current batch, of the same quantity."""

    path: str
    reference: float
    current: float


def _words(key: str) -> list[str]:
    key = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key[:200])
    return [w for w in re.split(r"[^a-z0-9]+", key.lower()) if w]


def _parts(parts: tuple) -> tuple[set[str], tuple]:
    """The sides a key path names, and the path with the side words taken out. Dict keys are
    strings; list positions are (index, length) pairs."""
    sides, stat = set(), []
    for part in parts:
        if isinstance(part, tuple):
            stat.append(part)
            continue
        words = _words(part)
        sides |= {"reference" for w in words if w in REFERENCE_WORDS} | {"current" for w in words if w in CURRENT_WORDS}
        rest = [w for w in words if w not in REFERENCE_WORDS and w not in CURRENT_WORDS]
        if rest:
            stat.append("_".join(rest))
    return sides, tuple(stat)


def _side(parts: tuple, outer: str | None) -> tuple[str | None, tuple]:
    """Which side a number at `parts` (below a place whose own path says `outer`) is, and what
    quantity: the side its keys name; else the side of the place; else, for a two-item list,
    [reference, current]."""
    sides, stat = _parts(parts)
    if len(sides) == 1:
        return sides.pop(), stat
    if sides:
        return None, stat
    if outer is not None:
        return outer, stat
    if stat and isinstance(stat[-1], tuple) and stat[-1][1] == 2:
        return ("reference", "current")[stat[-1][0]], stat[:-1]
    return None, stat


def _label(parts: tuple) -> str:
    return ".".join(f"[{p[0]}]" if isinstance(p, tuple) else p[:40] for p in parts)[:200]


@candidate_data("the monitor's report.json")
def reported_pairs(report, column: str) -> list[ReportedPair]:
    """Every (reference value, current value) pair report.json gives for `column`.

    The report's layout is the candidate's: the values may sit under the field's own key
    (`columns.<field>`, or `reference.<field>` and `current.<field>`) or in an object that names
    the field (`{"column": "<field>", ...}`). Numbers under such a place are read with their key
    path; a key with a reference word (reference, baseline, train, expected, ...) or a current word
    (current, production, actual, ...) says which side a number is, and two numbers whose paths
    are the same once those words are taken out are one quantity (`reference_median` and
    `current_median`; `reference.mean` and `current.mean`; `mean: [ref, cur]`). The walk is bounded."""
    scopes, seen, nodes = [], set(), 0
    stack: list[tuple[object, tuple]] = [(report, ())]
    while stack and nodes < MAX_WALK_NODES:
        node, path = stack.pop()
        nodes += 1
        if isinstance(node, dict):
            for key, value in node.items():
                key = str(key)
                if key == column and isinstance(value, (dict, list)) and id(value) not in seen:
                    seen.add(id(value))
                    scopes.append((value, (*path, key)))
                if isinstance(value, str) and value == column and id(node) not in seen:
                    seen.add(id(node))
                    scopes.append((node, path))
                if isinstance(value, (dict, list)):
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            stack.extend((value, (*path, (i, len(node)))) for i, value in enumerate(node) if isinstance(value, (dict, list)))
    sides: dict[tuple, dict[str, list[tuple[tuple, float]]]] = {}
    leaves = 0
    for scope, scope_path in scopes:
        named, _ = _parts(scope_path)
        outer = next(iter(named)) if len(named) == 1 else None
        inner: list[tuple[object, tuple]] = [(scope, ())]
        while inner and leaves < MAX_FIELD_LEAVES:
            node, rel = inner.pop()
            items = node.items() if isinstance(node, dict) else (((i, len(node)), v) for i, v in enumerate(node))
            for key, value in items:
                if leaves >= MAX_FIELD_LEAVES:
                    break
                part = str(key) if isinstance(node, dict) else key
                if isinstance(value, (dict, list)):
                    inner.append((value, (*rel, part)))
                elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                    leaves += 1
                    side, stat = _side((*rel, part), outer)
                    if side is not None:
                        where = sides.setdefault(stat, {"reference": [], "current": []})
                        where[side].append(((*scope_path, *rel, part), float(value)))
    pairs = []
    for stat, both in sides.items():
        for ref_path, ref in both["reference"]:
            for _, cur in both["current"]:
                if len(pairs) >= MAX_PAIRS:
                    return pairs
                pairs.append(ReportedPair(_label(ref_path), ref, cur))
    return pairs


# -- the grader's own drift report (trusted side, grader data only) --------------------------
def grader_drift(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, dict]:
    """Per application field: Evidently distance and flag, and the missing-value shares."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    metrics = [ValueDrift(column=c, method=hd.GRADER_NUMERIC[0], threshold=hd.GRADER_NUMERIC[1]) for c in NUMERIC]
    metrics += [ValueDrift(column=c, method=hd.GRADER_CATEGORICAL[0], threshold=hd.GRADER_CATEGORICAL[1]) for c in CATEGORICAL]
    snapshot = Report(metrics).run(Dataset.from_pandas(current[FIELDS], data_definition=definition),
                                   Dataset.from_pandas(reference[FIELDS], data_definition=definition))
    scores = {m["config"]["column"]: float(m["value"]) for m in snapshot.dict()["metrics"]}
    out = {}
    for column in FIELDS:
        method, threshold = hd.GRADER_CATEGORICAL if column in CATEGORICAL else hd.GRADER_NUMERIC
        ref_missing, cur_missing = float(reference[column].isna().mean()), float(current[column].isna().mean())
        out[column] = {
            "method": method,
            "score": round(scores[column], 4),
            "missing_share": [round(ref_missing, 4), round(cur_missing, 4)],
            "flagged": bool(scores[column] >= threshold or cur_missing - ref_missing > hd.GRADER_MISSING_RISE),
        }
    return out


def field_table(changed: tuple[str, ...], grader: dict[str, dict], run: MonitorRun | None) -> dict[str, str]:
    """Per field, one line for the report: truly changed (the generator), the grader's own
    report (distance, missing shares, its verdict) and what the candidate's monitor flagged."""
    table = {}
    for column in FIELDS:
        g = grader[column]
        ref_missing, cur_missing = g["missing_share"]
        missing = f", missing {ref_missing:.1%} -> {cur_missing:.1%}" if ref_missing or cur_missing else ""
        line = (f"{'CHANGED' if column in changed else 'same'} | grader {g['method']} {g['score']:.3f}{missing}"
                f"{' (drift)' if g['flagged'] else ''}")
        if run is not None:
            line += f" | monitor: {'FLAGGED' if column in run.drifted else '-'}"
        table[column] = line
    return table


def stray_flags(run: MonitorRun, changed: tuple[str, ...]) -> list[str]:
    """Application fields the monitor flagged although the data did not change them."""
    return [f for f in run.flagged_fields if f not in changed]


# -- replayed traffic and the prediction log -----------------------------------------------
@dataclass
class Replay:
    """Traffic the grader sent through POST /predict, and what came back."""

    rows: pd.DataFrame
    status: list[int] = field(default_factory=list)
    probability: list[float] = field(default_factory=list)
    versions: set[str] = field(default_factory=set)
    latency_ms: list[float] = field(default_factory=list)
    started: datetime | None = None
    ended: datetime | None = None

    @property
    def ok(self) -> int:
        return sum(s == 200 for s in self.status)

    def latency(self) -> dict:
        if not self.latency_ms:
            return {}
        values = np.array(self.latency_ms)
        return {"p50_ms": round(float(np.percentile(values, 50)), 1), "p95_ms": round(float(np.percentile(values, 95)), 1),
                "max_ms": round(float(values.max()), 1)}


@dataclass
class LogRead:
    """One read of the prediction log by the probe."""

    summary: dict
    records: pd.DataFrame
    waited_s: float


@candidate_data("the prediction log")
def read_log_records(result: StepResult, waited_s: float) -> LogRead:
    summary = result.read_json("summary.json")
    raw = result.read_bytes("records.csv", 32 * 1024 * 1024)
    try:
        records = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise OutputError(f"prediction log could not be flattened: {exc}") from None
    return LogRead(summary=summary if isinstance(summary, dict) else {}, records=records, waited_s=waited_s)


def _numbers(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.replace("", np.nan), errors="coerce").astype(float)


def _key(frame: pd.DataFrame) -> pd.Series:
    """Matches a logged record to the request it came from (unique in the grader's traffic)."""
    parts = [_numbers(frame["age"]).round(0), _numbers(frame["annual_income"]).round(2),
             _numbers(frame["debt"]).round(2), _numbers(frame["loan_amount"]).round(2)]
    return pd.Series(list(zip(*parts)), index=frame.index).map(lambda t: "|".join(f"{v:.2f}" for v in t))


@candidate_data("the prediction log")
def compare_log(replay: Replay, log: LogRead, champion: str) -> dict:
    """Every successful request must be in the log exactly once, as sent and as answered."""
    sent = replay.rows.reset_index(drop=True).copy()
    sent["_probability"] = replay.probability
    sent["_status"] = replay.status
    sent = sent[sent["_status"] == 200]
    sent_key = _key(sent)
    premise(sent_key.is_unique, "the grader's replayed applications are not unique on (age, income, debt, loan)")
    sent.index = sent_key

    records = log.records
    result = {"requests_answered": int(len(sent)), "records": int(len(records)),
              "unreadable_lines": int(log.summary.get("unreadable_lines", 0) or 0),
              "files": int(log.summary.get("files", 0) or 0), "capped": bool(log.summary.get("capped"))}
    if records.empty:
        result.update(matched=0, missing=int(len(sent)), duplicates=0, unmatched_records=0, mismatches={})
        return result
    problems = records["problem"].replace("", np.nan).dropna()
    result["records_lacking_fields"] = int(len(problems))
    if len(problems):
        result["example_problem"] = str(problems.iloc[0])[:120]
    keys = _key(records)
    counts = keys.value_counts()
    matched_keys = [k for k in sent.index if k in counts.index]
    result["matched"] = len(matched_keys)
    result["missing"] = int(len(sent) - len(matched_keys))
    result["duplicates"] = int((counts[counts.index.isin(sent.index)] > 1).sum())
    result["unmatched_records"] = int((~keys.isin(sent.index)).sum())

    logged = records.assign(_key=keys).drop_duplicates("_key").set_index("_key").loc[matched_keys]
    expected = sent.loc[matched_keys]
    mismatches: dict[str, int] = {}

    def note(name: str, bad: pd.Series) -> None:
        if int(bad.sum()):
            mismatches[name] = int(bad.sum())

    for column in NUMERIC:
        got, want = _numbers(logged[column]).to_numpy(), expected[column].astype(float).to_numpy()
        both_missing = np.isnan(got) & np.isnan(want)
        close = np.isclose(got, want, rtol=1e-6, atol=1e-6)
        note(column, pd.Series(~(both_missing | close)))
    for column in CATEGORICAL:
        note(column, pd.Series(logged[column].to_numpy() != expected[column].astype(str).to_numpy()))
    probability = _numbers(logged["probability_default"]).to_numpy()
    note("probability_default", pd.Series(~np.isclose(probability, expected["_probability"].to_numpy(), rtol=0, atol=1e-6)))
    versions = sorted(set(logged["model_version"]))[:5]
    result["logged_model_versions"] = versions
    note("model_version", pd.Series(logged["model_version"].to_numpy() != champion))

    stamps = pd.to_datetime(logged["timestamp"], utc=True, errors="coerce", format="ISO8601")
    # Naive timestamps are read as UTC; any time zone mistake still lands within 14 hours.
    lo = pd.Timestamp(replay.started) - pd.Timedelta(hours=14, minutes=5)
    hi = pd.Timestamp(replay.ended) + pd.Timedelta(hours=14, minutes=5)
    note("timestamp", pd.Series((stamps.isna() | (stamps < lo) | (stamps > hi)).to_numpy()))
    if stamps.notna().any():
        result["timestamps"] = [str(stamps.min()), str(stamps.max())]
    result["replay_window_utc"] = [replay.started.isoformat(timespec="seconds"), replay.ended.isoformat(timespec="seconds")]
    result["mismatches"] = mismatches
    if len(logged):
        result["example_record"] = {k: str(v)[:40] for k, v in logged.iloc[0].drop(["problem", "file", "line"]).items()}
    return result
