"""Bug `no-readiness-probe`: traffic reaches replicas before they can score."""

from grader.verify.toolkit import bar_chart

import hidden_data as hd
from manifests import manifests_or_fail


def test_readiness_probe_on_health(submitted, one_worker, evidence):
    manifests = manifests_or_fail(submitted)
    probe, killer = manifests.readiness, manifests.startup or manifests.liveness
    evidence.update(readiness=probe.describe() if probe else None,
                    liveness=manifests.liveness.describe() if manifests.liveness else None,
                    startup=manifests.startup.describe() if manifests.startup else None,
                    container_ports=manifests.ports, measured_startup_s=one_worker.started_in_s,
                    readiness_path_answer=one_worker.readiness_path, ready_within_s=hd.READY_WITHIN_S)
    assert probe is not None, "the api container declares no readinessProbe: traffic reaches replicas still starting"
    assert probe.kind == "httpGet", (
        f"the readinessProbe is {probe.kind}, not an HTTP GET: an open port says nothing about a loaded model")
    assert not manifests.ports or str(probe.port) in manifests.ports, (
        f"the readinessProbe checks port {probe.port!r}, which the container does not declare ({sorted(manifests.ports)})")
    assert one_worker.error is None, f"the service could not be started to measure its start-up: {one_worker.error}"
    status = one_worker.readiness_path.get("status")
    assert status is not None and 200 <= status < 300, f"GET {probe.path} answered {status} on a started service"
    started = one_worker.started_in_s
    ready_by = max(started, probe.initial_delay_s) + probe.period_s
    evidence["ready_by_s"] = round(ready_by, 1)
    bars = {"start-up (measured)": started, "ready by": ready_by}
    if killer is not None:
        evidence["kill_allowance_s"] = killer.allowance_s
        bars["killed if not up by"] = killer.allowance_s
    evidence["charts"] = [bar_chart("Replica start-up vs probes", bars, band=(0, hd.READY_WITHIN_S), unit="s")]
    assert ready_by <= hd.READY_WITHIN_S, (
        f"with initialDelaySeconds {probe.initial_delay_s} and periodSeconds {probe.period_s}, a replica that starts in "
        f"{started:.0f} s takes traffic only after {ready_by:.0f} s (the platform asks for {hd.READY_WITHIN_S:.0f} s)")
    if killer is not None:
        name = "startupProbe" if manifests.startup else "livenessProbe"
        assert killer.allowance_s >= 2 * started, (
            f"the {name} kills a replica not up after {killer.allowance_s} s; start-up measured {started:.0f} s "
            f"(needs at least twice that)")
