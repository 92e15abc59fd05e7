"""Tests for `crmcore.segmentation._tiers`: CLV tiers by percentile and by threshold."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.segmentation import ClvTier, tier_counts, tiers_by_percentile, tiers_by_threshold

LOW, MEDIUM, HIGH = ClvTier.LOW, ClvTier.MEDIUM, ClvTier.HIGH


def test_percentiles_of_five_customers():
    """Five customers sit at percentiles 10, 30, 50, 70, 90: one low, one high."""
    clv = {"a": Money("10", "IDR"), "b": Money("20", "IDR"), "c": Money("30", "IDR"),
           "d": Money("40", "IDR"), "e": Money("50", "IDR")}  # fmt: skip
    assert {"a": LOW, "b": MEDIUM, "c": MEDIUM, "d": MEDIUM, "e": HIGH} == tiers_by_percentile(clv)


def test_custom_percents_and_ties():
    """Percents are configurable; equal values share a tier."""
    clv = {f"c{i}": i for i in range(10)}
    tiers = tiers_by_percentile(clv, low_percent=10, high_percent=30)
    assert {LOW: 1, MEDIUM: 6, HIGH: 3} == tier_counts(tiers)
    assert {"a": MEDIUM, "b": MEDIUM} == tiers_by_percentile({"a": 5, "b": 5})
    assert {LOW: 0, MEDIUM: 0, HIGH: 0} == tier_counts(tiers_by_percentile({}))


def test_model_floats_and_decimals():
    """CLV model outputs (floats) and Decimals both tier; floats compare by their repr."""
    tiers = tiers_by_percentile({"a": 0.1, "b": Decimal("0.1"), "c": 3.5, "d": 0.0, "e": 9})
    assert tiers["a"] == tiers["b"]
    assert (LOW, HIGH) == (tiers["d"], tiers["e"])


@pytest.mark.parametrize(
    ("values", "kwargs", "error", "path"),
    [
        ({"a": Money("1", "IDR"), "b": Money("1", "USD")}, {}, CurrencyMismatch, "$.values[1]"),
        ({"a": Money("1", "IDR"), "b": 1}, {}, InvalidType, "$.values[1]"),
        ({"a": 1, "b": Money("1", "IDR")}, {}, InvalidType, "$.values[1]"),
        ({"a": float("nan")}, {}, ValidationError, "$.values[0]"),
        ({"a": True}, {}, InvalidType, "$.values[0]"),
        ({"a": "12"}, {}, InvalidType, "$.values[0]"),
        ({"x@example.com": 1, "y@example.com": "2"}, {}, InvalidType, "$.values[1]"),
        ({"a": 1}, {"low_percent": 60, "high_percent": 50}, ValidationError, "$.high_percent"),
        ({"a": 1}, {"low_percent": -1}, ValidationError, "$.low_percent"),
        ({"a": 1}, {"high_percent": 0.2}, InvalidType, "$.high_percent"),
        ([1, 2], {}, InvalidType, "$.values"),
    ],
)
def test_percentile_errors(values, kwargs, error, path):
    """Mixed or bad values and bad percents are refused, naming where."""
    with pytest.raises(error) as info:
        tiers_by_percentile(values, **kwargs)
    assert path == info.value.path


def test_thresholds():
    """At or above high_from is high, at or above medium_from medium."""
    clv = {"a": Money("99.99", "IDR"), "b": Money("100", "IDR"), "c": Money("999", "IDR"),
           "d": Money("1000", "IDR")}  # fmt: skip
    assert {"a": LOW, "b": MEDIUM, "c": MEDIUM, "d": HIGH} == tiers_by_threshold(
        clv, medium_from=Money("100", "IDR"), high_from=Money("1000", "IDR")
    )
    assert {"x": HIGH} == tiers_by_threshold({"x": 2.5}, medium_from=1, high_from=Decimal("2.5"))


@pytest.mark.parametrize(
    ("values", "medium", "high", "error", "path"),
    [
        ({"a": 1}, Money("1", "IDR"), 2, InvalidType, "$.medium_from"),
        ({"a": Money("1", "IDR")}, 1, Money("2", "IDR"), InvalidType, "$.medium_from"),
        (
            {"a": Money("1", "IDR")},
            Money("1", "IDR"),
            Money("2", "USD"),
            CurrencyMismatch,
            "$.high_from",
        ),
        ({"a": 1}, 5, 2, ValidationError, "$.high_from"),
    ],
)
def test_threshold_errors(values, medium, high, error, path):
    """Thresholds must be in the values' terms and in order."""
    with pytest.raises(error) as info:
        tiers_by_threshold(values, medium_from=medium, high_from=high)
    assert path == info.value.path


def test_tier_counts_refuses_junk():
    """Counting needs ClvTier values."""
    with pytest.raises(InvalidType):
        tier_counts({"a": "high"})


@given(
    st.lists(st.integers(-1000, 1000), unique=True, max_size=80),
    st.integers(0, 50),
    st.integers(0, 50),
)
def test_distinct_values_fill_the_tiers_by_their_percents(values, low, high):
    """With distinct values, each outer tier holds its percent of n, rounded (within one half)."""
    clv = {f"c{i}": v for i, v in enumerate(values)}
    counts = tier_counts(tiers_by_percentile(clv, low_percent=low, high_percent=high))
    n = len(values)
    assert abs(counts[LOW] - Fraction(low * n, 100)) <= Fraction(1, 2)
    assert abs(counts[HIGH] - Fraction(high * n, 100)) <= Fraction(1, 2)
    assert n == sum(counts.values())


@given(st.dictionaries(st.text("abcd", min_size=1, max_size=3), st.integers(0, 6), max_size=40))
def test_tiers_follow_value_order(clv):
    """A higher value never gets a lower tier; equal values share one."""
    order = {LOW: 0, MEDIUM: 1, HIGH: 2}
    tiers = tiers_by_percentile(clv)
    for a in clv:
        for b in clv:
            if clv[a] == clv[b]:
                assert tiers[a] == tiers[b]
            elif clv[a] < clv[b]:
                assert order[tiers[a]] <= order[tiers[b]]


@pytest.mark.parametrize("tiers", [None, 5, ["high"], "high"])
def test_tier_counts_needs_a_mapping(tiers):
    """D27: tier_counts checks its argument (it called .items() blindly)."""
    with pytest.raises(InvalidType) as info:
        tier_counts(tiers)
    assert "$.tiers" == info.value.path


def test_tier_counts_never_echoes_a_customer_id():
    """A bad tier is reported without the customer id that holds it."""
    with pytest.raises(InvalidType) as info:
        tier_counts({"zqx.marker@example.com": "high"})
    assert "zqx" not in str(info.value)
