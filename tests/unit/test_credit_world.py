"""The credit world's scenarios: `regions_swapped`, which a variant uses to put another region
in a region's place without changing anything else about the world."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.worlds import credit

regions = st.sampled_from(credit.REGIONS)
scenarios = st.builds(credit.Scenario, region_probs=st.permutations((0.35, 0.25, 0.25, 0.15)).map(tuple),
                      income_median=st.sampled_from((55_000.0, 75_000.0)))


@given(scenario=scenarios, a=regions, b=regions)
def test_two_regions_trade_shares_and_nothing_else_changes(scenario, a, b):
    swapped = scenario.regions_swapped(a, b)
    before, after = dict(zip(credit.REGIONS, scenario.region_probs)), dict(zip(credit.REGIONS, swapped.region_probs))
    assert after[a] == before[b] and after[b] == before[a]
    assert all(after[r] == before[r] for r in credit.REGIONS if r not in (a, b))
    assert swapped.with_(region_probs=scenario.region_probs) == scenario
    assert swapped.regions_swapped(a, b) == scenario == scenario.regions_swapped(b, b)


@given(seed=st.integers(0, 2**31 - 1), region=regions)
def test_a_region_swapped_with_itself_is_the_very_same_draw(seed, region):
    """What keeps a default variant's data byte-identical: west with west is no swap."""
    pd.testing.assert_frame_equal(credit.sample(50, seed, credit.Scenario().regions_swapped(region, region)),
                                  credit.sample(50, seed))


def test_the_swapped_world_draws_the_shares_it_says():
    frame = credit.sample(20_000, 7, credit.Scenario().regions_swapped("west", "north"))
    shares = frame["region"].value_counts(normalize=True)
    assert shares["west"] == pytest.approx(0.35, abs=0.01) and shares["north"] == pytest.approx(0.15, abs=0.01)


def test_an_unknown_region_is_refused_by_name():
    with pytest.raises(ValueError, match="no such region: mars"):
        credit.Scenario().regions_swapped("west", "mars")


@given(seed=st.integers(0, 2**31 - 1), rate=st.sampled_from((0.01, 0.1, 0.5, 1.0)))
def test_missing_late_payments_leave_every_other_column_as_drawn(seed, rate):
    """The late-payment nulls are drawn last: every other column, and every known count, is the
    draw without them; with none, the column is the integer column it always was."""
    plain = credit.sample(200, seed)
    assert plain["num_late_payments"].dtype.kind == "i"
    holed = credit.sample(200, seed, credit.Scenario(late_payments_null_rate=rate))
    others = [c for c in plain.columns if c != "num_late_payments"]
    pd.testing.assert_frame_equal(holed[others], plain[others])
    known = holed["num_late_payments"].notna()
    assert (holed.loc[known, "num_late_payments"] == plain.loc[known, "num_late_payments"]).all()
    missing = 1.0 - known.mean()
    assert missing == 1.0 if rate == 1.0 else missing <= 3 * rate + 0.05  # binomial(200, rate), loosely


def test_only_one_field_is_missing_and_an_unknown_one_is_refused():
    assert credit.missing_only("employment_years", 0.01) == credit.Scenario()
    late = credit.missing_only("num_late_payments", 0.2)
    assert (late.employment_null_rate, late.late_payments_null_rate) == (0.0, 0.2)
    with pytest.raises(ValueError, match="debt is never missing"):
        credit.missing_only("debt", 0.1)
