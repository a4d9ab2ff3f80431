"""Bug `region-one-hot-order`: every region must be encoded as in training, and a category
training never saw must be refused (stretch: the next skew of this kind)."""

from grader.errors import OutputError
from grader.escape import one_line
from grader.verify.toolkit import bar_chart, send
from grader.worlds import credit

import hidden_data as hd
from measures import calibration_gap, parity


def test_region_served_calibration(frames, api_scores, batch_scores, evidence):
    # Utilization 0 and nothing missing: only the region encoding can differ.
    agree = evidence["api_vs_batch_by_region"] = parity(api_scores, batch_scores, frames["region"]["id"])
    calibration = frames["calibration"]
    gaps = evidence["batch_calibration_by_region"] = {
        region: calibration_gap(calibration[calibration["region"] == region], batch_scores) for region in credit.REGIONS
    }
    evidence["tolerance"] = hd.CALIBRATION_TOLERANCE
    tol = hd.CALIBRATION_TOLERANCE
    evidence["charts"] = [bar_chart("Batch calibration gap by region (predicted - true probability)",
                                    {r: g["gap"] for r, g in gaps.items()}, band=(-tol, tol))]

    assert agree["failed_requests"] == 0, f"{agree['failed_requests']} valid requests failed"
    assert agree["max_abs_diff"] <= hd.PARITY_TOLERANCE, (
        f"API and batch disagree on region encoding (max gap {agree['max_abs_diff']:.4f})"
    )
    off = {r: g["gap"] for r, g in gaps.items() if abs(g["gap"]) > hd.CALIBRATION_TOLERANCE}
    assert not off, "miscalibrated regions: " + ", ".join(f"{r} {g:+.3f}" for r, g in off.items())


def test_unseen_category_refused(service, evidence):
    # Controls first: the same applications with known categories must still be scored, so
    # an API that refuses everything earns nothing here.
    bases = hd.unseen_category_probe().to_dict("records")
    controls = {}
    for row in bases:
        reply = send(service, "POST", "/predict", hd.to_api_payload(row))
        label = f"{row['region']}/{row['home_ownership']}"
        controls[label] = reply.status
        if reply.status == 200:
            reply.number("probability_default")  # a 200 must carry a score
    evidence["known_categories_status"] = controls

    answers = []
    for i, (field, value) in enumerate((f, v) for f, values in hd.UNSEEN_CATEGORIES.items() for v in values):
        for row in (bases[i], bases[i + 3]):
            reply = send(service, "POST", "/predict", {**hd.to_api_payload(row), field: value})
            text = reply.text[:4000].lower()
            answer = {"field": field, "value": value, "status": reply.status,
                      "names_field_or_value": field in text or value in text, "answer": one_line(reply.text, 160)}
            if reply.status == 200:
                try:
                    answer["probability_default"] = round(reply.number("probability_default"), 4)
                except OutputError:
                    answer["probability_default"] = None
            answers.append(answer)
    evidence["unseen_categories"] = answers
    scored = [a for a in answers if a["status"] == 200]
    refused = [a for a in answers if 400 <= a["status"] < 500]

    bad = {k: s for k, s in controls.items() if s != 200}
    assert not bad, (f"{len(bad)} of {len(controls)} valid applications with known categories were not scored (e.g. "
                     f"{next(iter(bad))} answered {next(iter(bad.values()))}): refusing must not cost sound requests")
    assert not scored, (f"{len(scored)} of {len(answers)} applications with a category never seen in training were "
                        f"answered 200, not refused: {scored[0]['field']}={scored[0]['value']!r} got "
                        f"probability_default {scored[0]['probability_default']}")
    other = [a for a in answers if a not in refused]
    assert not other, (f"an unseen category must be a 4xx refusal: {other[0]['field']}={other[0]['value']!r} "
                       f"answered {other[0]['status']}")
    unclear = [a for a in refused if not a["names_field_or_value"]]
    assert not unclear, (f"{unclear[0]['field']}={unclear[0]['value']!r} was refused with {unclear[0]['status']}, but "
                         f"the answer names neither the field nor the value: {unclear[0]['answer'][:80]!r}")
