import hashlib
import json

import pandas as pd

from credit_risk.config import EVAL_MANIFEST, EVAL_SET
from credit_risk.evaluate import evaluate
from credit_risk.registry import load_version


def test_the_evaluation_set_matches_its_manifest():
    manifest = json.loads(EVAL_MANIFEST.read_text())
    assert hashlib.sha256(EVAL_SET.read_bytes()).hexdigest() == manifest["sha256"]
    assert len(pd.read_csv(EVAL_SET)) == manifest["rows"]


def test_the_champion_ranks_the_evaluation_set(store, champion_version):
    report = evaluate(load_version(champion_version), pd.read_csv(EVAL_SET))
    assert report["rows"] == 6000
    assert 0.65 < report["auc"] <= 1.0
