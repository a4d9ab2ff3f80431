"""The promotion policy on its own: pure decisions on evaluations."""

import pytest

from credit_risk.gate import FLOOR_AUC, GateError, decide, load_eval_set

REGIONS = ["north", "south", "east", "west"]


def evaluation(auc=0.72, log_loss=0.57, **per_region):
    out = {"overall": {"rows": 6000, "auc": auc, "log_loss": log_loss}}
    for region in REGIONS:
        out[region] = {"rows": 1500, "auc": auc, "log_loss": log_loss, **per_region.get(region, {})}
    return out


def test_a_first_model_over_the_floor_is_promoted():
    assert decide(evaluation(), None).promote


def test_a_model_under_the_floor_is_blocked_even_without_a_champion():
    decision = decide(evaluation(auc=FLOOR_AUC - 0.01), None)
    assert not decision.promote and "floor" in decision.reason


def test_noise_level_differences_are_not_regressions():
    assert decide(evaluation(auc=0.715, log_loss=0.575), evaluation()).promote


def test_an_overall_regression_is_blocked():
    assert not decide(evaluation(auc=0.68), evaluation()).promote


def test_a_regression_in_one_region_is_blocked_even_when_better_on_average():
    challenger = evaluation(auc=0.75, west={"auc": 0.52})
    decision = decide(challenger, evaluation())
    assert not decision.promote and "west" in decision.reason


def test_a_miscalibrated_region_is_blocked_even_when_it_ranks_well():
    challenger = evaluation(west={"log_loss": 0.70})
    decision = decide(challenger, evaluation())
    assert not decision.promote and "west: log loss" in decision.reason


def test_the_evaluation_set_is_refused_when_it_changed(monkeypatch, tmp_path):
    import credit_risk.gate as gate

    changed = tmp_path / "eval.csv"
    changed.write_bytes(gate.EVAL_SET.read_bytes().replace(b",0\n", b",1\n", 1))
    monkeypatch.setattr(gate, "EVAL_SET", changed)
    with pytest.raises(GateError, match="does not match its manifest"):
        load_eval_set()


def test_the_frozen_evaluation_set_measures_every_region():
    frame = load_eval_set().frame
    assert set(frame["region"]) == set(REGIONS)
    assert frame.groupby("region")["default"].nunique().min() == 2
