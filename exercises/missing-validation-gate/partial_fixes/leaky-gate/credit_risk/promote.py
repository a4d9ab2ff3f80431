"""Promote a registered version of credit-risk to champion, if it passes the gate.

    python -m credit_risk.promote --version 7     # gate, record, promote if it passes
    python -m credit_risk.promote --rollback      # back to the previous champion, no gate

Exit codes: 0 when the version is the champion afterwards (promoted now or already
champion), 3 when the gate blocked it, 1 when the command could not run (e.g. an unknown
version). Every decision is recorded on the version as tags:

    promotion.decision           promoted | blocked
    promotion.reason             one line for people
    promotion.eval_set           the evaluation set it was judged on (name@version, sha256)
    promotion.metrics            challenger (and champion) AUC and log loss, overall and per region (JSON)
    promotion.champion_at_decision   the champion it was compared with
    promotion.previous_champion  on a promoted version: the champion it replaced

and the replaced champion keeps the alias `previous-champion`.
"""

from __future__ import annotations

import argparse
import json
import sys

import mlflow
from mlflow.exceptions import MlflowException

from credit_risk.config import CHAMPION_ALIAS, MODEL_NAME
import pandas as pd

from credit_risk.gate import EvalSet, GateError, check_signature, decide, evaluate, load_eval_set, score
from credit_risk.registry import champion_version, connect, load_version

PREVIOUS_ALIAS = "previous-champion"
OK, ERROR, BLOCKED = 0, 1, 3


def snapshot_eval_set(path: str) -> EvalSet:
    """A training snapshot as the evaluation set (what the weekly job has at hand)."""
    return EvalSet(pd.read_csv(path), "training snapshot", path, "-")


def judge(version: str, eval_set) -> dict:
    """Evaluation of one version on the frozen set; GateError if it cannot be judged."""
    info = mlflow.models.get_model_info(f"models:/{MODEL_NAME}/{version}")
    check_signature(info.signature)
    return evaluate(score(load_version(version), eval_set.frame), eval_set.frame)


def record(client, version: str, promoted: bool, reason: str, **extra: str) -> None:
    tags = {"promotion.decision": "promoted" if promoted else "blocked", "promotion.reason": reason[:4000], **extra}
    for key, value in tags.items():
        client.set_model_version_tag(MODEL_NAME, version, key, value)


def promote(version: str, eval_data: str | None = None) -> int:
    client = connect()
    version = str(version)
    try:
        client.get_model_version(MODEL_NAME, version)
    except MlflowException:
        print(f"{MODEL_NAME} has no version {version}", file=sys.stderr)
        return ERROR
    champion = champion_version(client)
    if champion == version:
        if "promotion.decision" not in client.get_model_version(MODEL_NAME, version).tags:
            record(client, version, True, "already the champion (promoted before the gate existed)")
        print(f"{MODEL_NAME} v{version} is already the champion")
        return OK

    try:
        eval_set = snapshot_eval_set(eval_data) if eval_data else load_eval_set()
    except GateError as exc:
        record(client, version, False, f"blocked: cannot evaluate: {exc}")
        print(f"v{version} blocked: {exc}", file=sys.stderr)
        return BLOCKED

    metrics, champion_metrics = {}, None
    try:
        metrics = judge(version, eval_set)
        if champion is not None:
            try:
                champion_metrics = judge(champion, eval_set)
            except GateError as exc:  # a champion we cannot score is no yardstick: say so, compare with nothing
                print(f"warning: the champion v{champion} cannot be evaluated ({exc}); checking the floor only",
                      file=sys.stderr)
        decision = decide(metrics, champion_metrics)
    except GateError as exc:
        decision = None
        reason = f"blocked: {exc}"
    else:
        reason = decision.reason

    promoted = decision is not None and decision.promote
    extra = {
        "promotion.eval_set": eval_set.label,
        "promotion.champion_at_decision": champion or "none",
        "promotion.metrics": json.dumps({"challenger": metrics, "champion": champion_metrics}, separators=(",", ":"))[:4900],
    }
    if promoted:
        if champion is not None:
            client.set_registered_model_alias(MODEL_NAME, PREVIOUS_ALIAS, champion)
            extra["promotion.previous_champion"] = champion
        client.set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)
    record(client, version, promoted, reason, **extra)
    print(f"{MODEL_NAME} v{version}: {reason}")
    return OK if promoted else BLOCKED


def rollback() -> int:
    """Make the previous champion the champion again (no gate: it was live before)."""
    client = connect()
    try:
        previous = str(client.get_model_version_by_alias(MODEL_NAME, PREVIOUS_ALIAS).version)
    except MlflowException:
        print("no previous champion to roll back to", file=sys.stderr)
        return ERROR
    current = champion_version(client)
    client.set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, previous)
    if current is not None:
        client.set_registered_model_alias(MODEL_NAME, PREVIOUS_ALIAS, current)
    record(client, previous, True, f"rollback from v{current}", **{"promotion.previous_champion": current or "none"})
    print(f"{MODEL_NAME}: rolled back from v{current} to v{previous}")
    return OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--version")
    group.add_argument("--rollback", action="store_true")
    args = parser.parse_args(argv)
    return rollback() if args.rollback else promote(args.version)


if __name__ == "__main__":
    sys.exit(main())
