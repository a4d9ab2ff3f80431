"""Bug `monitoring-stack-at-startup`: every worker imports the drift-report stack it never uses."""

from grader.sandbox import OutputError
from grader.verify.toolkit import bar_chart

import hidden_data as hd


def _number(data: dict, key: str) -> float:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e6:
        raise OutputError(f"start-up probe: no usable {key!r} ({str(value)[:60]})")
    return float(value)


def test_lean_worker_startup(startup_profile, evidence):
    base = startup_profile.get("baseline") if isinstance(startup_profile, dict) else None
    if not isinstance(base, dict) or "cpu_s" not in base:
        raise OutputError(f"start-up probe: the serving stack's own import could not be measured: {str(base)[:300]}")
    base_cpu, base_rss = _number(base, "cpu_s"), _number(base, "peak_rss_mb")
    cpu, rss = _number(startup_profile, "cpu_s"), _number(startup_profile, "peak_rss_mb")
    ratio = round(cpu / max(base_cpu, 0.01), 2)
    extra = round(rss - base_rss, 1)
    evidence.update(
        worker_cpu_s=cpu, worker_wall_s=startup_profile.get("wall_s"), worker_peak_rss_mb=rss,
        serving_stack_cpu_s=base_cpu, serving_stack_rss_mb=base_rss, cpu_ratio=ratio, extra_rss_mb=extra,
        cpu_ratio_max=hd.STARTUP_CPU_RATIO_MAX, extra_rss_max_mb=hd.STARTUP_EXTRA_RSS_MAX_MB,
        lifespan=str(startup_profile.get("lifespan"))[:300], first_predict_status=startup_profile.get("first_predict_status"),
        heavy_packages=[str(p)[:40] for p in startup_profile.get("heavy_packages", [])][:20]
        if isinstance(startup_profile.get("heavy_packages"), list) else None,
        modules=startup_profile.get("modules"),
    )
    evidence["charts"] = [
        bar_chart("CPU from import to first score, relative to importing the serving stack",
                  {"this worker": ratio, "serving stack": 1.0}, band=(0, hd.STARTUP_CPU_RATIO_MAX), unit="x"),
        bar_chart("Memory of one worker above the serving stack", {"this worker": extra},
                  band=(0, hd.STARTUP_EXTRA_RSS_MAX_MB), unit="MiB"),
    ]
    assert startup_profile.get("lifespan") in ("complete", "unsupported"), (
        f"the app's start-up did not complete: {str(startup_profile.get('lifespan'))[:200]}")
    assert startup_profile.get("first_predict_status") == 200, (
        f"a freshly started worker answered its first prediction with {startup_profile.get('first_predict_status')}")
    assert ratio <= hd.STARTUP_CPU_RATIO_MAX and extra <= hd.STARTUP_EXTRA_RSS_MAX_MB, (
        f"starting one worker and scoring once costs {cpu:.1f} CPU-s ({ratio:.1f}x the serving stack's "
        f"{base_cpu:.1f} s) and {rss:.0f} MiB ({extra:+.0f} MiB over it)")
