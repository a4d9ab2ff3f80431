"""Bug `workers-from-node-cores`: gunicorn's worker count follows the node's cores, not the replica's CPU."""

from grader.sandbox import CandidateFailure, OutputError
from grader.verify.toolkit import bar_chart

import hidden_data as hd


def test_workers_independent_of_node_cores(worker_counts, request, evidence):
    counts, errors = {}, {}
    for cores in map(str, hd.CORE_COUNTS):
        entry = worker_counts.get(cores) if isinstance(worker_counts, dict) else None
        workers = entry.get("workers") if isinstance(entry, dict) else None
        if isinstance(workers, int) and not isinstance(workers, bool) and 0 < workers <= 100_000:
            counts[cores] = workers
        else:
            errors[cores] = str(entry.get("error") if isinstance(entry, dict) else entry)[:300]
    evidence.update(workers_by_node_cores=counts, errors=errors)
    try:  # what those workers would weigh, from the start-up probe (evidence only)
        rss = float(request.getfixturevalue("startup_profile").get("peak_rss_mb"))
        submitted = request.getfixturevalue("submitted")
        limit = getattr(submitted, "memory_limit_mb", None)
        if counts:
            top = counts[str(hd.NODE_CORES)] if str(hd.NODE_CORES) in counts else max(counts.values())
            evidence["on_a_64_core_node"] = {"workers": top, "per_worker_mb": round(rss), "projected_mb": round(top * rss),
                                             "declared_memory_limit_mb": limit}
    except (CandidateFailure, OutputError, TypeError, ValueError, AttributeError):
        pass
    if counts:
        evidence["charts"] = [bar_chart("gunicorn workers by node size (cores)", counts,
                                        band=(0, min(counts.values())), unit="workers")]
    assert not errors, "gunicorn could not load its configuration: " + "; ".join(f"{c} cores: {e}" for c, e in errors.items())
    assert len(set(counts.values())) == 1, (
        "the number of workers depends on the node's core count: "
        + ", ".join(f"{n} workers on {c} cores" for c, n in counts.items()))
