"""Bug `no-decision-record`: nobody could tell why a version went live, or what was live before."""

from measures import DECISION_TAG, PREVIOUS_ALIAS, PREVIOUS_TAG, REASON_TAG, same_version


def _attempts(trial) -> list[tuple[str, str, str | None, object]]:
    """(label, store, version, state right after the attempt) for every promotion attempt."""
    train_mid, train_final = trial.mid["train"], trial.final["train"]
    first = train_mid.newest()
    shuffled = sorted(set(train_final.versions) - set(train_mid.versions), key=int)
    incident = sorted(set(trial.mid["incident"].versions) - {trial.setup["incident"]["champion"]}, key=int)
    clean = trial.new_versions("incident", trial.mid, trial.final)
    return [
        ("first model (train)", "train", first, train_mid),
        ("shuffled labels (train)", "train", shuffled[-1] if shuffled else None, train_final),
        ("incident retrain (train)", "incident", incident[-1] if incident else None, trial.mid["incident"]),
        ("clean retrain (train)", "incident", clean[-1] if clean else None, trial.final["incident"]),
        ("better challenger", "better", trial.challenger("better"), trial.mid["better"]),
        ("worse challenger", "worse", trial.challenger("worse"), trial.final["worse"]),
        ("South-broken challenger", "slice", trial.challenger("slice"), trial.final["slice"]),
        ("missing-feature challenger", "feature", trial.challenger("feature"), trial.final["feature"]),
    ]


def test_decision_recorded(trial, evidence):
    records, problems = [], []
    for label, store, version, state in _attempts(trial):
        if state.error or version is None or version not in state.versions:
            records.append({"attempt": label, "problem": state.error or "no version registered"})
            problems.append(f"{label}: {state.error or 'no version registered'}")
            continue
        outcome = "promoted" if state.champion == version else "blocked"
        tags = state.tags(version)
        decision, reason = tags.get(DECISION_TAG), tags.get(REASON_TAG)
        records.append({"attempt": label, "store": store, "version": version, "outcome": outcome,
                        DECISION_TAG: decision, REASON_TAG: reason})
        if decision != outcome:
            problems.append(f"{label} (v{version}) was {outcome}; {DECISION_TAG} is {decision!r}")
        elif not (reason or "").strip():
            problems.append(f"{label} (v{version}): no {REASON_TAG}")
    evidence["attempts"] = records

    assert not problems, "; ".join(problems)


def test_previous_champion_recoverable(trial, evidence):
    state = trial.mid["better"]
    challenger, replaced = trial.challenger("better"), trial.champion_before("better")
    alias = state.aliases.get(PREVIOUS_ALIAS)
    tag = state.tags(challenger).get(PREVIOUS_TAG)
    evidence.update(replaced_champion=replaced, champion=state.champion, alias_previous_champion=alias,
                    tag_previous_champion=tag, replaced_version_status=state.versions.get(replaced, {}).get("status"))

    assert state.error is None, state.error
    assert state.champion == challenger, (
        "the better challenger was not promoted, so no champion was replaced (see better_challenger_promoted)"
    )
    assert alias is not None or tag is not None, (
        f"after v{challenger} replaced v{replaced}, neither the alias {PREVIOUS_ALIAS!r} nor the tag "
        f"{PREVIOUS_TAG!r} on v{challenger} names the version to roll back to"
    )
    assert alias is None or alias == replaced, f"{PREVIOUS_ALIAS!r} points to v{alias}, not to the replaced v{replaced}"
    assert tag is None or same_version(tag, replaced), f"{PREVIOUS_TAG}={tag!r}, not the replaced v{replaced}"
    assert state.versions.get(replaced, {}).get("status") == "READY", f"the replaced v{replaced} is no longer in the registry"


def test_promotion_idempotent(trial, evidence):
    first, second = trial.steps["promote-better-1"], trial.steps["promote-better-2"]
    before, after = trial.mid["better"], trial.final["better"]
    challenger = trial.challenger("better")
    watched = (DECISION_TAG, PREVIOUS_TAG)
    tags_before = {k: before.tags(challenger).get(k) for k in watched}
    tags_after = {k: after.tags(challenger).get(k) for k in watched}
    evidence.update(first=first.summary(), second=second.summary(), after_first=before.summary(),
                    after_second=after.summary(), tags_after_first=tags_before, tags_after_second=tags_after)

    assert first.finished and second.finished, "a promotion did not finish"
    assert before.error is None and after.error is None, before.error or after.error
    assert (first.exit_code == 0) == (second.exit_code == 0), (
        f"the same promotion exited {first.exit_code} the first time and {second.exit_code} the second"
    )
    assert after.aliases == before.aliases, f"promoting v{challenger} again moved aliases: {before.aliases} -> {after.aliases}"
    assert set(after.versions) == set(before.versions), "promoting again registered or removed versions"
    assert tags_after == tags_before, f"promoting v{challenger} again rewrote its record: {tags_before} -> {tags_after}"
