"""Bug `no-quality-gate`: every new version went live, whatever it was worth.

Guards: a gate must still let a sound first model and a clearly better challenger through.
"""

from sklearn.metrics import roc_auc_score

from grader.worlds import credit

import hidden_data as hd
from measures import better_everywhere, premise

SETS = ("fresh", "frozen_eval_set")
WALL = "it was kept out, but the same path also kept out {what} (see {check}): blocking everything is not a gate"


def test_first_model_promoted(trial, evidence):
    frame = hd.first_training_set()
    label_signal = roc_auc_score(frame[credit.LABEL], frame[credit.TRUE_PROBABILITY])
    premise(label_signal >= 0.70, f"the first training set carries too little signal (AUC {label_signal:.3f})")
    step, state = trial.steps["train-first"], trial.mid["train"]
    evidence.update(training_rows=len(frame), auc_of_true_risk_against_labels=round(float(label_signal), 4),
                    train=step.summary(), store=state.summary())

    assert step.finished, f"training did not finish: {step.stopped}"
    assert state.error is None, f"after training into an empty store: {state.error}"
    newest = state.newest()
    assert newest is not None, "training registered no version"
    assert step.exit_code == 0, f"training a sound first model into an empty store exited {step.exit_code}"
    assert state.champion == newest, f"the first model (v{newest}) is not the champion (champion: {state.champion})"


def test_shuffled_label_blocked(trial, evidence):
    frame = hd.shuffled_training_set()
    label_signal = roc_auc_score(frame[credit.LABEL], frame[credit.TRUE_PROBABILITY])
    evidence["auc_of_true_risk_against_shuffled_labels"] = round(float(label_signal), 4)
    premise(abs(label_signal - 0.5) < 0.03, f"shuffled labels still carry signal (AUC {label_signal:.3f})")

    step, before, after = trial.steps["train-shuffled"], trial.mid["train"], trial.final["train"]
    new = trial.new_versions("train", trial.mid, trial.final)
    control = trial.train_promotes_clean_retrain()
    evidence.update(train=step.summary(), champion_before=before.champion, champion_after=after.champion,
                    new_versions=new, control_clean_retrain_promoted=control)

    assert step.finished, f"training did not finish: {step.stopped}"
    assert after.error is None, after.error
    assert new, "training on the shuffled snapshot registered no new version"
    assert after.champion == before.champion, (
        f"a model trained on shuffled labels went live: champion moved from {before.champion} to {after.champion}"
    )
    assert step.exit_code != 0, "the garbage model was kept out, but training exited 0: CI would not notice"
    assert control, WALL.format(what="a clean weekly retrain over a sound champion", check="incident_retrain_blocked")


def test_incident_retrain_blocked(trial, judged, evidence):
    """The README's incident, replayed through the candidate's own training: this week's snapshot
    has the broken join (the variant's incident region, West or North: its outcomes are coin
    flips); last week's sound model is the champion.
    The retrain must not go live, and next week's clean snapshot of the same size must.

    A gate that judges a retrain on its own training snapshot (not on Risk's frozen set) is
    fooled here: on the broken snapshot the champion looks worse too (its labels are noise)."""
    region = hd.INCIDENT_REGION
    frame = hd.incident_training_set()
    rows = frame["region"] == region
    signal = roc_auc_score(frame.loc[rows, credit.LABEL], frame.loc[rows, credit.TRUE_PROBABILITY])
    premise(abs(signal - 0.5) < 0.08, f"the broken snapshot's {region} labels still carry signal (AUC {signal:.3f})")
    facts = {}
    for s in SETS:
        champion, broken, clean = (judged[s][m] for m in ("last_week", "incident_retrain", "clean_retrain"))
        facts[s] = {
            f"{region}_auc": {"champion": champion[region]["auc"], "incident_retrain": broken[region]["auc"]},
            f"{region}_log_loss": {"champion": champion[region]["log_loss"], "incident_retrain": broken[region]["log_loss"]},
            "clean_retrain_smallest_gain": better_everywhere(clean, champion),
        }
        premise(champion["overall"]["auc"] >= 0.70, f"last week's model is not sound on {s}")
        premise(champion[region]["auc"] - broken[region]["auc"] >= 0.04
                and broken[region]["log_loss"] - champion[region]["log_loss"] >= 0.08,
                f"the starter's pipeline on the broken snapshot is not clearly broken for the {region} on {s}")
        premise(min(facts[s]["clean_retrain_smallest_gain"].values()) >= -0.02,
                f"the starter's pipeline on the clean snapshot is not as good as last week's model on {s}")
    evidence["premises"] = facts

    step, clean_step = trial.steps["train-incident"], trial.steps["train-clean"]
    before, after = trial.mid["incident"], trial.final["incident"]
    champion = trial.setup["incident"]["champion"]
    broken_versions = sorted(set(before.versions) - {champion}, key=int)
    evidence.update(champion_before=champion, train_incident=step.summary(), champion_after_incident=before.champion,
                    incident_versions=broken_versions, train_clean=clean_step.summary(),
                    champion_after_clean=after.champion, control_clean_retrain_promoted=trial.train_promotes_clean_retrain())

    assert step.finished, f"training did not finish: {step.stopped}"
    assert before.error is None and after.error is None, before.error or after.error
    assert broken_versions, "training on this week's snapshot registered no new version"
    assert before.champion == champion, (
        f"the incident happened again: the retrain on a snapshot whose {region} outcomes are coin flips went live "
        f"(champion moved from v{champion} to v{before.champion})"
    )
    assert step.exit_code != 0, "the broken retrain was kept out, but training exited 0: the weekly job stays green"
    assert trial.train_promotes_clean_retrain(), (
        "the broken retrain was kept out, but so was next week's clean retrain of the same size: blocking every "
        "retrain is not a gate"
    )


def test_floor_is_the_policy(trial, judged, evidence):
    """Risk's floor is a number in the brief (it differs between variants): in new stores, a
    first version 0.01 AUC under it on the frozen evaluation set stays out and exits non-zero,
    and one 0.01 over it goes live. The versions are `full` with its late-payments weight tuned
    to those AUCs (hidden_data._at_auc), so only the floor decides. A gate copied from a
    variant with another floor gets one of the two wrong; a gate that blocks everything is
    caught by the control every promote check shares (better_challenger_promoted)."""
    frozen = {name: judged["frozen_eval_set"][name]["overall"]["auc"] for name in hd.AT_FLOOR}
    evidence.update(floor=hd.AUC_FLOOR, frozen_set_auc={n: round(a, 4) for n, a in frozen.items()})
    for name, offset in hd.AT_FLOOR.items():
        premise(abs(frozen[name] - (hd.AUC_FLOOR + offset)) <= hd.FLOOR_PRECISION,
                f"{name} scores {frozen[name]:.4f} on the frozen set, not {hd.AUC_FLOOR + offset:.2f}")

    outcomes = {}
    for store in ("under-floor", "over-floor"):
        step, state = trial.steps[f"promote-{store}"], trial.final[store]
        outcomes[store] = (step, state, trial.challenger(store))
        evidence[store] = {"version": trial.challenger(store), "promote": step.summary(), "store": state.summary()}
        assert step.finished, f"promotion did not finish: {step.stopped}"
        assert state.error is None, state.error
    evidence["control_promoted"] = trial.promote_lets_sound_through()

    step, state, version = outcomes["under-floor"]
    assert state.champion is None, (
        f"a first version with AUC {frozen['under_floor']:.3f} on the frozen set, under Risk's floor of "
        f"{hd.AUC_FLOOR:.2f}, went live (champion: v{state.champion})"
    )
    assert step.exit_code != 0, "the version under the floor was kept out, but promote exited 0: CI would not notice"
    step, state, version = outcomes["over-floor"]
    assert state.champion == version, (
        f"a first version with AUC {frozen['over_floor']:.3f} on the frozen set, over Risk's floor of "
        f"{hd.AUC_FLOOR:.2f}, did not go live in a new store (champion: {state.champion}): the policy lets it through"
    )
    assert step.exit_code == 0, f"the version over the floor went live but promote exited {step.exit_code}"
    assert trial.promote_lets_sound_through(), WALL.format(what="a challenger better everywhere",
                                                           check="better_challenger_promoted")


def test_better_challenger_promoted(trial, judged, evidence):
    gains = {s: better_everywhere(judged[s]["scorecard_v2"], judged[s]["scorecard"]) for s in SETS}
    overall = {s: round(judged[s]["scorecard_v2"]["overall"]["auc"] - judged[s]["scorecard"]["overall"]["auc"], 4) for s in SETS}
    evidence.update(challenger_vs_champion_overall_auc_gain=overall, smallest_gain_over_all_slices=gains)
    for s in SETS:
        premise(overall[s] >= 0.015 and gains[s]["auc"] >= 0.01 and gains[s]["log_loss"] > 0 and gains[s]["brier"] > 0,
                f"scorecard_v2 is not clearly better than scorecard everywhere on {s}: {gains[s]}")

    step, state = trial.steps["promote-better-1"], trial.mid["better"]
    challenger, champion = trial.challenger("better"), trial.champion_before("better")
    evidence.update(challenger=challenger, champion_before=champion, promote=step.summary(), store=state.summary())

    assert step.finished, f"promotion did not finish: {step.stopped}"
    assert state.error is None, state.error
    assert state.champion == challenger, (
        f"a challenger better than the champion overall and in every region was not promoted "
        f"(champion still {state.champion})"
    )
    assert step.exit_code == 0, f"the challenger was promoted but promote exited {step.exit_code}"


def test_worse_challenger_blocked(trial, judged, evidence):
    drop = {s: round(judged[s]["full"]["overall"]["auc"] - judged[s]["scorecard_retrain"]["overall"]["auc"], 4) for s in SETS}
    level = {s: judged[s]["scorecard_retrain"]["overall"]["auc"] for s in SETS}
    evidence.update(challenger_auc=level, champion_minus_challenger_auc=drop, floor=hd.AUC_FLOOR)
    for s in SETS:
        premise(drop[s] >= 0.05, f"scorecard_retrain is not clearly worse than full on {s}")
        premise(level[s] >= hd.AUC_FLOOR + 0.03, f"scorecard_retrain is not clearly over the floor on {s}")

    step, state = trial.steps["promote-worse"], trial.final["worse"]
    champion = trial.champion_before("worse")
    evidence.update(challenger=trial.challenger("worse"), champion_before=champion, promote=step.summary(),
                    store=state.summary(), control_promoted=trial.promote_lets_sound_through())

    assert step.finished, f"promotion did not finish: {step.stopped}"
    assert state.error is None, state.error
    assert state.champion == champion, (
        f"a challenger over the floor but {drop['frozen_eval_set']:.2f} AUC worse than the champion went live "
        f"(champion moved from {champion} to {state.champion})"
    )
    assert step.exit_code != 0, "the worse challenger was kept out, but promote exited 0: CI would not notice"
    assert trial.promote_lets_sound_through(), WALL.format(what="a challenger better everywhere",
                                                           check="better_challenger_promoted")


def test_missing_feature_blocked(trial, models, judged, evidence):
    challenger = models["pct_schema"]
    try:
        challenger.model.predict_proba(hd.starter_eval_set()[hd.FEATURES])
        scores_contract = True
    except (KeyError, ValueError):
        scores_contract = False
    own = {s: judged[s]["pct_schema"]["overall"]["auc"] for s in SETS}
    champion_auc = {s: judged[s]["scorecard"]["overall"]["auc"] for s in SETS}
    evidence.update(challenger_columns=challenger.columns, scores_warehouse_columns=scores_contract,
                    challenger_auc_on_its_own_columns=own, champion_auc=champion_auc,
                    challenger_logged_valid_auc=round(challenger.valid_auc, 4))
    premise(not scores_contract, "pct_schema can score the warehouse columns")
    for s in SETS:
        premise(own[s] >= champion_auc[s] + 0.03, f"pct_schema is not otherwise better than scorecard on {s}")

    step, state = trial.steps["promote-feature"], trial.final["feature"]
    champion = trial.champion_before("feature")
    evidence.update(challenger=trial.challenger("feature"), champion_before=champion, promote=step.summary(),
                    store=state.summary(), control_promoted=trial.promote_lets_sound_through())

    assert step.finished, f"promotion did not finish: {step.stopped}"
    assert state.error is None, state.error
    assert state.champion == champion, (
        "a version that lacks `credit_utilization` (it expects `credit_utilization_pct`) and cannot score the "
        f"warehouse schema went live (champion moved from {champion} to {state.champion})"
    )
    assert step.exit_code != 0, "the incompatible version was kept out, but promote exited 0: CI would not notice"
    assert trial.promote_lets_sound_through(), WALL.format(what="a challenger better everywhere",
                                                           check="better_challenger_promoted")
