"""Bug `over-provisioned-manifests`: the bill, credited only when the SLO holds at the declared size."""

from grader.verify.toolkit import bar_chart

import hidden_data as hd
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
    problems = manifests.problems()
    assert not problems, "; ".join(problems)
    assert manifests.effective_replicas >= hd.MIN_REPLICAS, (
        f"{manifests.effective_replicas} replica(s): the floor is {hd.MIN_REPLICAS}, to survive the loss of one")
    assert after["monthly"] <= hd.BUDGET_PER_MONTH, (
        f"${after['monthly']:,.2f}/month is over the ${hd.BUDGET_PER_MONTH:,.0f} budget")

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
