"""``expected_purchases_new`` over many horizons: bounded, checked first, one forecast per horizon.

The nightly fuzz passed ``range(0, 2**62)`` as the horizons of a BG/BB model: the call
walked the range one forecast at a time, each up to 10,000 opportunities long, and never
came back. The horizons are now read as a column (at most ``MAX_ROWS``), every one is
checked before any forecast, and each distinct horizon is forecast once.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    BetaGeoCnbd,
    ModifiedBetaGeo,
    ParetoNBD,
)
from crmcore.clv.models._data import MAX_COUNT, MAX_ROWS
from crmcore.errors import InvalidType, ValidationError

BB = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.75, "gamma": 0.657, "delta": 2.783})
CONTINUOUS = [
    BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    ModifiedBetaGeo(params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    ParetoNBD(params={"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}),
    BetaGeoCnbd(k=2, params={"r": 1.2, "alpha": 3.0, "a": 0.8, "b": 2.5}),
]


@given(spans=st.lists(st.integers(0, 400), max_size=40))
def test_bgbb_horizons_are_what_each_horizon_alone_gives(spans):
    """Digit for digit: the shared survival terms are the ones each horizon computes alone."""
    assert BB.expected_purchases_new(spans) == [BB.expected_purchases_new(t) for t in spans]


@pytest.mark.parametrize("model", CONTINUOUS, ids=lambda m: type(m).__name__)
@given(spans=st.lists(st.sampled_from([0.0, 0.5, 1.0, 7.25, 39.0, 52.0, 1e3]), max_size=20))
def test_continuous_horizons_are_what_each_horizon_alone_gives(model, spans):
    assert model.expected_purchases_new(spans) == [model.expected_purchases_new(t) for t in spans]


def test_a_range_beyond_the_row_limit_is_refused_before_any_forecast():
    with pytest.raises(ValidationError) as raised:
        BB.expected_purchases_new(range(2**62))
    assert ("$.t", "too_many") == (raised.value.path, raised.value.code)
    assert MAX_ROWS < 2**62


def test_every_horizon_is_checked_before_any_forecast(monkeypatch):
    """The horizon past the limit is named by its index, and nothing was forecast before."""
    calls = []
    terms = BetaGeoBetaBinom._log_survival_terms

    def counting(self, start, count):
        calls.append(count)
        return terms(self, start, count)

    # Since s33 the horizons share one pass of survival terms (and one running sum):
    # the work is counted in those passes, not in calls of the per-horizon forecast.
    monkeypatch.setattr(BetaGeoBetaBinom, "_log_survival_terms", counting)
    with pytest.raises(ValidationError) as raised:
        BB.expected_purchases_new([3, 5, MAX_COUNT + 1, 2])
    assert ("$.t[2]", "too_large", []) == (raised.value.path, raised.value.code, calls)
    BB.expected_purchases_new([3, 5, 3, 5, 3])
    assert [5] == calls  # one pass, as long as the longest distinct horizon


def test_bgbb_computes_its_survival_terms_once_for_every_horizon(monkeypatch):
    """Many horizons cost one pass over the longest: bounded by MAX_COUNT, not by the list."""
    lengths = []
    terms = BetaGeoBetaBinom._log_survival_terms

    def counting(self, start, count):
        lengths.append(count)
        return terms(self, start, count)

    monkeypatch.setattr(BetaGeoBetaBinom, "_log_survival_terms", counting)
    values = BB.expected_purchases_new(list(range(MAX_COUNT + 1)) * 2)
    assert [MAX_COUNT] == lengths
    assert values[0] == 0.0
    assert values[1 : MAX_COUNT + 1] == sorted(
        values[1 : MAX_COUNT + 1]
    )  # more opportunities, more


@pytest.mark.parametrize("bad", ["abc", {"t": 1}, [1, "2"], [1, float("nan")], [True]])
def test_bad_horizons_are_refused_with_a_crmcore_error(bad):
    with pytest.raises((InvalidType, ValidationError)) as raised:
        BB.expected_purchases_new(bad)
    assert raised.value.path.startswith("$.t")
