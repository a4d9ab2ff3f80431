"""Bug `over-provisioned-manifests`: the bill, credited only when the SLO holds at the declared size."""

from grader.verify.toolkit import bar_chart

import hidden_data as hd
import manifests as mf
from manifests import manifests_or_fail
from measures import service_verdict


def test_monthly_cost_within_budget(submitted, starter_manifests, request, evidence):
    # The SLO measurement and the answers' quality come from the same session fixtures as
    # the SLO check; they are requested only once the static figures are recorded.
    before = starter_manifests.monthly_cost()
    manifests = manifests_or_fail(submitted)
    evidence.update(before=before, declared=manifests.summary(), budget=hd.BUDGET_PER_MONTH)
    after = manifests.monthly_cost()
    evidence.update(after=after, saving_per_month=round(before["monthly"] - after["monthly"], 2))
    evidence["charts"] = [bar_chart("Monthly cost of the replica floor (requests x prices x 730 h)",
                                    {"before (starter)": before["monthly"], "after": after["monthly"]},
                                    band=(0, hd.BUDGET_PER_MONTH), unit="$")]
    problem = mf.cost_problem(manifests)
    assert problem is None, problem

    replica = request.getfixturevalue("replica")
    slo = service_verdict(replica, request.getfixturevalue("one_worker"), request.getfixturevalue("quality"),
                          request.getfixturevalue("champion"))
    evidence.update(slo=slo, peak_memory_mb=replica.peak_memory_mb,
                    memory_request_floor_mb=round(hd.MEMORY_HEADROOM * replica.peak_memory_mb, 1)
                    if replica.peak_memory_mb else None)
    assert slo["holds"], "no cost credit: the SLO does not hold at the declared resources: " + "; ".join(slo["problems"])
    assert replica.peak_memory_mb is not None, "the replica's peak memory could not be measured"
    assert manifests.memory_request_mb >= hd.MEMORY_HEADROOM * replica.peak_memory_mb, (
        f"memory request {manifests.memory_request_mb:.0f} MiB is below {hd.MEMORY_HEADROOM} x the measured peak "
        f"({replica.peak_memory_mb:.0f} MiB): the scheduler would pack replicas onto nodes that cannot hold them")


def test_rollout_keeps_capacity(submitted, manifest_files, request, evidence):
    # Stretch. Right-sizing removes the slack that hid rollouts and drains: at the N+1 floor,
    # a rollout (after every promotion, at peak too) must not spend the replica kept for a
    # loss, and a node drain may take that one replica but never a second.
    manifests = manifests_or_fail(submitted)
    floor = manifests.effective_replicas
    needed = mf.peak_replicas(floor)
    plan = mf.rollout(manifests)
    budgets, notes = mf.disruption_budgets(manifest_files, manifests)
    selecting = [b for b in budgets if b["selects_api_pods"]]
    evidence.update(replica_floor=floor, replicas_peak_needs=needed, pod_labels=manifests.pod_labels, rollout=plan,
                    readiness_probe=manifests.readiness.describe() if manifests.readiness else None,
                    disruption_budgets=budgets, manifest_files=sorted(manifest_files), notes=notes)

    missing = []
    if plan["problem"]:
        missing.append(plan["problem"])
    elif plan["surge_at_floor"] == 0:
        missing.append(f"maxSurge {plan['maxSurge']} resolves to 0 at {floor} replicas, so a rollout can only make "
                       f"progress by taking a floor replica out of service")
    elif plan["serving_during_rollout"] < floor:
        declared, resolved = plan["maxUnavailable"], plan["unavailable_at_floor"]
        how = f"maxUnavailable {declared}" + ("" if declared == resolved else f", {resolved} at {floor} replicas")
        missing.append(f"a rollout takes {floor - plan['serving_during_rollout']} of the {floor} floor replicas out of "
                       f"service ({how}): it spends the replica kept for a loss; maxUnavailable 0 with a surge keeps "
                       f"them all")
    if not selecting:
        why = next((f" ({b['file']}: {b['name']}: {b['problem']})" for b in budgets if b["problem"]), "")
        missing.append(f"no policy/v1 PodDisruptionBudget selects the api pods {manifests.pod_labels}: a node drain "
                       f"may evict every replica at once{why}")
    elif len(selecting) > 1:
        missing.append(f"{len(selecting)} PodDisruptionBudgets select the api pods: the eviction API refuses to "
                       f"evict a pod with more than one, so node drains stall")
    else:
        budget = selecting[0]
        if budget["problem"]:
            missing.append(f"PodDisruptionBudget {budget['name']}: {budget['problem']}")
        elif budget["keeps_at_floor"] < needed:
            missing.append(f"PodDisruptionBudget {budget['name']} keeps {budget['keeps_at_floor']} of the {floor} floor "
                           f"replicas through a drain; peak needs {needed}")
        elif budget["evictions_allowed_at_floor"] < 1:
            missing.append(f"PodDisruptionBudget {budget['name']} allows no eviction at the floor of {floor} "
                           f"replica(s): node drains stall until someone deletes it")
    # "Available" is what readiness says: without a probe that passes, maxUnavailable 0 keeps pods, not capacity.
    probe = manifests.readiness
    if probe is None:
        missing.append("no readinessProbe: a new pod counts as available as soon as its container starts, so a "
                       "rollout keeps pods, not capacity")
    elif probe.kind != "httpGet":
        missing.append(f"the readinessProbe is {probe.kind}, not an HTTP GET: a pod counts as available before it "
                       f"can score, so a rollout keeps pods, not capacity")
    else:
        worker = request.getfixturevalue("one_worker")
        evidence["readiness_path_answer"] = worker.readiness_path
        status = worker.readiness_path.get("status")
        if worker.error is not None:
            missing.append(f"the service could not be started to try its readiness path: {worker.error}")
        elif status is None or not 200 <= status < 300:
            missing.append(f"the readinessProbe's GET {probe.path} answered {status} on a started replica: no pod "
                           f"ever counts as available, so there is no capacity to keep")
    evidence["missing"] = missing
    assert not missing, missing[0] + (f" (and {len(missing) - 1} more, see the evidence)" if len(missing) > 1 else "")
