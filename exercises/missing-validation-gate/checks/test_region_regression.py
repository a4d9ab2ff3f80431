"""Bug `region-regression`: a version better on average but broken for one region went live.

The incident broke the West (or the North: the `incident` variant); `slice_regression_blocked`
breaks the South, so a gate that looks at the incident's region alone does not pass it. The stretch check `calibration_regression_blocked`
misprices the East without touching any ranking.
"""

from grader.verify.toolkit import bar_chart
from grader.worlds import credit

import hidden_data as hd
from measures import better_everywhere, premise

SETS = ("fresh", "frozen_eval_set")
BROKEN = hd.BROKEN_REGION
OTHERS = tuple(r for r in credit.REGIONS if r != BROKEN)


def test_slice_regression_blocked(trial, judged, evidence):
    facts = {}
    for s in SETS:
        challenger, champion, control = (judged[s][m] for m in ("south_broken", "scorecard", "scorecard_v2"))
        facts[s] = {
            "overall_auc": {"challenger": challenger["overall"]["auc"], "champion": champion["overall"]["auc"],
                            "control": control["overall"]["auc"]},
            f"{BROKEN}_auc": {"challenger": challenger[BROKEN]["auc"], "champion": champion[BROKEN]["auc"]},
            f"{BROKEN}_log_loss": {"challenger": challenger[BROKEN]["log_loss"], "champion": champion[BROKEN]["log_loss"]},
            "smallest_gain_elsewhere": better_everywhere(challenger, champion, ("overall", *OTHERS)),
        }
    evidence["broken_region"] = BROKEN
    evidence["premises"] = facts
    for s, f in facts.items():
        # hd.south_broken_seed draws the challenger until these hold (hd.slice_story_holds)
        premise(f["overall_auc"]["challenger"] >= f["overall_auc"]["champion"] + hd.SLICE_OVERALL_GAIN,
                f"south_broken is not better than scorecard overall on {s}")
        premise(min(f["smallest_gain_elsewhere"].values()) > 0, f"south_broken is not better outside the {BROKEN} on {s}")
        premise(f[f"{BROKEN}_auc"]["challenger"] <= f[f"{BROKEN}_auc"]["champion"] - hd.SLICE_AUC_DROP
                and f[f"{BROKEN}_log_loss"]["challenger"] >= f[f"{BROKEN}_log_loss"]["champion"] + hd.SLICE_LOG_LOSS_RISE,
                f"south_broken is not clearly broken for the {BROKEN} on {s}")
        # The control challenger (promoted over the same champion in the `better` store) is sound
        # everywhere and no better overall than this one: no floor can block one and not the other.
        premise(f["overall_auc"]["control"] <= f["overall_auc"]["challenger"] - hd.SLICE_CONTROL_MARGIN,
                f"the control challenger is better overall than south_broken on {s}")

    control_promoted = trial.promote_lets_sound_through()
    step, state = trial.steps["promote-slice"], trial.final["slice"]
    champion = trial.champion_before("slice")
    evidence.update(control_promoted=control_promoted, challenger=trial.challenger("slice"), champion_before=champion,
                    promote=step.summary(), store=state.summary())

    frozen = facts["frozen_eval_set"]
    assert step.finished, f"promotion did not finish: {step.stopped}"
    assert state.error is None, state.error
    assert state.champion == champion, (
        f"a challenger better overall (AUC {frozen['overall_auc']['challenger']:.3f} vs "
        f"{frozen['overall_auc']['champion']:.3f} on the frozen set) but broken for the {BROKEN} "
        f"({frozen[f'{BROKEN}_auc']['challenger']:.3f} vs {frozen[f'{BROKEN}_auc']['champion']:.3f}) "
        f"went live (champion moved from {champion} to {state.champion})"
    )
    assert step.exit_code != 0, "the challenger was kept out, but promote exited 0: CI would not notice"
    assert control_promoted, (
        "the gate also blocked a challenger that is better in every region and no better overall, so blocking "
        "this one says nothing about regions"
    )


OVERPRICED = hd.OVERPRICED_REGION


def test_calibration_regression_blocked(trial, judged, evidence):
    """Stretch: a challenger that ranks applicants better than the champion overall and in every
    region, but whose probabilities in one region (the East) are far too high: its odds of default
    there are tripled (an intercept shift, so the order of scores within every region is intact).
    Pricing uses the probability, so this is the incident's "average quoted risk doubled" in
    another market. A gate that compares AUC only, or calibration only overall, promotes it (its
    overall log loss and Brier score are better than the champion's); one that compares a
    calibration-sensitive measure per region (log loss, Brier, mean predicted against observed
    default rate) blocks it. Control: the same champion, the same path, a sound challenger
    (`scorecard_v2`) is promoted, so a gate that blocks everything earns nothing here."""
    facts = {}
    for s in SETS:
        challenger, champion, base, control = (judged[s][m] for m in ("east_overpriced", "scorecard", "full", "scorecard_v2"))
        facts[s] = {
            "overall": {metric: {"challenger": challenger["overall"][metric], "champion": champion["overall"][metric]}
                        for metric in ("auc", "log_loss", "brier")},
            OVERPRICED: {metric: {"challenger": challenger[OVERPRICED][metric], "champion": champion[OVERPRICED][metric]}
                         for metric in ("auc", "log_loss", "brier", "mean_predicted", "observed_rate")},
            "smallest_auc_gain_over_all_slices": better_everywhere(challenger, champion)["auc"],
            "control_largest_calibration_gap_increase": round(max(
                abs(control[r]["mean_predicted"] - control[r]["observed_rate"])
                - abs(champion[r]["mean_predicted"] - champion[r]["observed_rate"]) for r in credit.REGIONS), 4),
        }
        f, east = facts[s], challenger[OVERPRICED]
        premise(all(challenger[r]["auc"] == base[r]["auc"] for r in credit.REGIONS),
                f"east_overpriced does not rank like full within every region on {s}")
        premise(f["smallest_auc_gain_over_all_slices"] >= 0.02,
                f"east_overpriced does not rank clearly better than scorecard overall and in every region on {s}")
        premise(challenger["overall"]["log_loss"] <= champion["overall"]["log_loss"]
                and challenger["overall"]["brier"] <= champion["overall"]["brier"],
                f"east_overpriced is worse than scorecard in overall log loss or Brier on {s}")
        premise(east["mean_predicted"] - east["observed_rate"] >= 0.15
                and east["log_loss"] - champion[OVERPRICED]["log_loss"] >= 0.04
                and east["brier"] - champion[OVERPRICED]["brier"] >= 0.02,
                f"east_overpriced is not clearly miscalibrated in the {OVERPRICED} on {s}")
        premise(f["control_largest_calibration_gap_increase"] <= 0.02,
                f"the control challenger is worse calibrated than scorecard in some region on {s}")
    evidence["overpriced_region"] = OVERPRICED
    evidence["odds_multiplied_by"] = hd.OVERPRICED_ODDS
    evidence["premises"] = facts
    frozen = facts["frozen_eval_set"][OVERPRICED]
    evidence["charts"] = [bar_chart(f"Mean predicted default in the {OVERPRICED}, frozen evaluation set", {
        "observed default rate": frozen["observed_rate"]["challenger"],
        "champion (scorecard)": frozen["mean_predicted"]["champion"],
        "challenger (east_overpriced)": frozen["mean_predicted"]["challenger"],
    })]

    control_promoted = trial.promote_lets_sound_through()
    step, state = trial.steps["promote-pricing"], trial.final["pricing"]
    champion = trial.champion_before("pricing")
    evidence.update(control_promoted=control_promoted, challenger=trial.challenger("pricing"), champion_before=champion,
                    promote=step.summary(), store=state.summary())

    assert step.finished, f"promotion did not finish: {step.stopped}"
    assert state.error is None, state.error
    assert state.champion == champion, (
        f"a challenger that ranks better everywhere but overprices the {OVERPRICED} (mean predicted default "
        f"{frozen['mean_predicted']['challenger']:.2f} against {frozen['observed_rate']['challenger']:.2f} observed on the "
        f"frozen set; the champion's {frozen['mean_predicted']['champion']:.2f}) went live (champion moved from "
        f"{champion} to {state.champion})"
    )
    assert step.exit_code != 0, "the mispriced challenger was kept out, but promote exited 0: CI would not notice"
    assert control_promoted, (
        "the gate also blocked a challenger that is sound and better in every region, so blocking this one says "
        "nothing about calibration"
    )
