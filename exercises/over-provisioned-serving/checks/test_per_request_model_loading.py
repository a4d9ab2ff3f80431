"""Bug `per-request-model-loading`: the API loads the champion from the registry for every request."""

import hidden_data as hd
from measures import generator_kept_up, latency_chart, quality_problem


def test_one_worker_serves_peak(one_worker, quality, champion, evidence):
    # One worker on one CPU, whatever the manifests say: this isolates what a request costs.
    evidence.update(workers=1, cpus=hd.ONE_WORKER_CPUS, rate_rps=hd.ONE_WORKER_RPS, started_in_s=one_worker.started_in_s,
                    first_predict=one_worker.first_predict, generator_check=one_worker.generator,
                    load=one_worker.load, generator_check_after=one_worker.generator_after,
                    peak_memory_mb=one_worker.peak_memory_mb, oom_kills=one_worker.oom_kills)
    assert one_worker.error is None, f"one worker could not be measured: {one_worker.error}"
    load = one_worker.load
    evidence["charts"] = [latency_chart(f"One worker, one CPU, {hd.ONE_WORKER_RPS:g} rps: latency", load)]
    assert load["error_rate"] <= hd.SLO_ERROR_RATE, (
        f"{load['errors']} of {load['sent']} requests failed or timed out at {hd.ONE_WORKER_RPS:g} rps on one worker "
        f"({load['statuses']})")
    assert load["p95_ms"] is not None, f"one worker answered {load['ok']} of {load['sent']} requests"
    assert load["p95_ms"] <= hd.SLO_P95_MS, (
        f"one worker on one CPU answers {hd.ONE_WORKER_RPS:g} rps with p95 {load['p95_ms']:.0f} ms "
        f"(p50 {load['p50_ms']:.0f} ms): each request costs far more than scoring one application")
    problem = quality_problem(quality, champion)
    assert problem is None, f"fast, but the answers are not the model's: {problem}"
    generator_kept_up(load)
