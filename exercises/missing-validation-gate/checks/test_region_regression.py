"""Bug `region-regression`: a version better on average but broken for one region went live.

The incident broke the West; this check breaks the South, so a gate that looks at the West
alone does not pass it.
"""

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
        premise(f["overall_auc"]["challenger"] >= f["overall_auc"]["champion"] + 0.02,
                f"south_broken is not better than scorecard overall on {s}")
        premise(min(f["smallest_gain_elsewhere"].values()) > 0, f"south_broken is not better outside the {BROKEN} on {s}")
        premise(f[f"{BROKEN}_auc"]["challenger"] <= f[f"{BROKEN}_auc"]["champion"] - 0.07
                and f[f"{BROKEN}_log_loss"]["challenger"] >= f[f"{BROKEN}_log_loss"]["champion"] + 0.03,
                f"south_broken is not clearly broken for the {BROKEN} on {s}")
        # The control challenger (promoted over the same champion in the `better` store) is sound
        # everywhere and no better overall than this one: no floor can block one and not the other.
        premise(f["overall_auc"]["control"] <= f["overall_auc"]["challenger"] - 0.005,
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
