"""Whole-service checks: the SLO at the declared size, and predictions that are still the model's."""

from grader.verify.toolkit import bar_chart

import hidden_data as hd
from manifests import manifests_or_fail
from measures import generator_kept_up, latency_chart, memory_chart, quality_problem, service_verdict


def test_slo_at_declared_resources(submitted, replica, one_worker, quality, champion, evidence):
    manifests = manifests_or_fail(submitted)
    readiness = manifests.readiness
    evidence.update(replicas=replica.replicas, rate_rps=replica.rate, per_replica_share=f"{hd.PEAK_RPS:g} rps / "
                    f"({replica.replicas} - 1) replicas", limits=replica.limits_evidence(),
                    started_in_s=replica.started_in_s,
                    readiness_ready_by_s=(max(replica.started_in_s or 0, readiness.initial_delay_s) + readiness.period_s)
                    if readiness else None,
                    generator_check=replica.generator, load=replica.load, generator_check_after=replica.generator_after,
                    peak_memory_mb=replica.peak_memory_mb,
                    oom_kills=replica.oom_kills, alive_after=replica.alive_after)
    if replica.error:
        evidence["log_tail"] = replica.log[-3000:]
    charts = []
    if replica.load:
        charts.append(latency_chart(f"One replica at {replica.rate:g} rps (N+1 share of {hd.PEAK_RPS:g}): latency",
                                    replica.load))
    charts.append(memory_chart("One replica: memory", replica.peak_memory_mb, replica.declared, replica.memory_mb))
    evidence["charts"] = charts
    verdict = evidence["slo"] = service_verdict(replica, one_worker, quality, champion)
    assert verdict["holds"], "; ".join(verdict["problems"])
    generator_kept_up(replica.load)


def test_predictions_keep_quality(quality, champion, evidence):
    evidence.update(champion=champion, floor=hd.AUC_FLOOR, **quality)
    if quality.get("auc") is not None:
        evidence["charts"] = [bar_chart("AUC of API predictions on fresh applications", {"API": quality["auc"]},
                                        band=(hd.AUC_FLOOR, 1.0))]
    problem = quality_problem(quality, champion)
    assert problem is None, problem
