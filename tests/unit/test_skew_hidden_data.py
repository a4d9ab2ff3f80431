"""The skew exercise's hidden data per `nullable` variant: only the variant's field is ever
missing, in every frame the checks send, and the default variant's frames are the ones they
were before the parameter existed."""

from __future__ import annotations

import math

import pytest

from grader import catalog, variants
from grader.worlds import credit
from tests.fuzz.conftest import check_module

SKEW = catalog.get_exercise("training-serving-skew")
NULLABLE = [v["id"] for v in next(p for p in SKEW.spec.variants if p.name == "nullable").values]


def hidden_data(nullable: str, monkeypatch):
    monkeypatch.setenv(variants.ENV, variants.to_env(SKEW.spec, variants.parse(SKEW.spec, f"nullable={nullable}")))
    return check_module("training-serving-skew", "hidden_data")


@pytest.mark.parametrize("nullable", NULLABLE)
def test_only_the_variants_field_is_ever_missing(nullable, monkeypatch):
    hd = hidden_data(nullable, monkeypatch)
    field = hd.NULLABLE_FIELD
    frames = {"train": hd.training_set(), "calibration": hd.calibration_set(), "parity": hd.parity_set(),
              "unit": hd.unit_probe(), "null": hd.null_probe(), "region": hd.region_probe(),
              "unseen": hd.unseen_category_probe()}
    for name, frame in frames.items():
        missing = {c for c in credit.FEATURES if frame[c].isna().any()}
        assert missing <= {field}, (name, missing)
    assert frames["null"][field].isna().all() and not frames["unit"][field].isna().any()
    assert frames["calibration"][field].isna().mean() == pytest.approx(0.10, abs=0.01)
    parity = frames["parity"][frames["parity"]["id"].str.startswith("p")]
    assert parity[field].isna().mean() == pytest.approx(0.15, abs=0.02)
    assert frames["train"][field].isna().mean() == pytest.approx(0.01, abs=0.005)
    for row in frames["parity"].head(300).to_dict("records"):
        payload = hd.to_api_payload(row)
        assert (payload[field] is None) == (isinstance(row[field], float) and math.isnan(row[field]))
        assert all(v is not None for k, v in payload.items() if k != field)
        assert payload["num_late_payments"] is None or type(payload["num_late_payments"]) is int


def test_the_default_variant_draws_what_it_always_drew(monkeypatch):
    hd = hidden_data("employment", monkeypatch)
    assert hd.with_nulls(0.01) == credit.Scenario()
    assert hd.with_nulls(0.10) == credit.Scenario(employment_null_rate=0.10)
    assert hd.training_set().equals(credit.sample(8_000, hd.TRAIN_SEED, id_prefix="t").drop(columns=[credit.TRUE_PROBABILITY]))
