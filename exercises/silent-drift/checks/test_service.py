"""Guards: the service keeps scoring with the champion, and logging never costs a prediction."""

import math

from sklearn.metrics import roc_auc_score

from grader.worlds import credit

import hidden_data as hd
from measures import premise


def test_service_scores_with_champion(stationary_phase, champion, evidence):
    phase = stationary_phase
    body = phase.health.json() if phase.health.status == 200 else {}
    served = body.get("model_version") if isinstance(body, dict) else None
    replay = phase.replay
    evidence.update(champion=champion, health_status=phase.health.status, health_model_version=served,
                    predict_model_versions=sorted(replay.versions), requests=len(replay.rows), answered_200=replay.ok)
    assert phase.health.status == 200, f"/health answered {phase.health.status}"
    assert str(served) == champion, f"/health reports version {served!r}, the registry's champion is {champion!r}"
    assert replay.versions <= {champion}, f"/predict answered with versions {sorted(replay.versions)}"
    assert replay.ok == len(replay.rows), f"{len(replay.rows) - replay.ok} valid requests failed"
    auc = roc_auc_score(replay.rows[credit.LABEL], replay.probability)
    best = roc_auc_score(replay.rows[credit.LABEL], replay.rows[credit.TRUE_PROBABILITY])
    evidence.update(auc=round(auc, 4), floor=hd.AUC_FLOOR, auc_of_true_probabilities=round(best, 4))
    premise(best >= hd.AUC_FLOOR + 0.01, f"even the true probabilities reach only AUC {best:.3f} on this traffic")
    assert auc >= hd.AUC_FLOOR, f"AUC of served predictions is {auc:.3f}, below {hd.AUC_FLOOR}"


def test_logging_never_fails_a_request(blocked_phase, evidence):
    replay, health = blocked_phase
    valid = sum(1 for s, p in zip(replay.status, replay.probability) if s == 200 and 0 <= p <= 1 and not math.isnan(p))
    evidence.update(log_folder=hd.UNWRITABLE_LOG_DIR, requests=len(replay.rows),
                    answered_with_a_probability=valid, statuses=sorted(set(replay.status)), health_status=health.status)
    assert health.status == 200, f"/health answered {health.status} when the log could not be written"
    assert valid == len(replay.rows), (
        f"only {valid} of {len(replay.rows)} predictions succeeded when the log folder could not be written")
