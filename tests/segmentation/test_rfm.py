"""Tests for `crmcore.segmentation._rfm` and `._ranking`: RFM values, scores and named segments."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.segmentation import (
    SNAPSHOT_FIELDS,
    RfmScheme,
    RfmScore,
    RfmSegment,
    RfmValues,
    quantile_scores,
    rfm_segment,
    rfm_values,
    score_rfm,
    segment_grid,
    spec_for,
    summarize_segments,
    threshold_scores,
)

AT = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)

# The R x F map as RFM tutorials publish it: regular expressions over "<R><F>".
PUBLISHED_SEG_MAP = {
    r"[1-2][1-2]": "hibernating",
    r"[1-2][3-4]": "at_risk",
    r"[1-2]5": "cant_lose_them",
    r"3[1-2]": "about_to_sleep",
    r"33": "need_attention",
    r"[3-4][4-5]": "loyal",
    r"41": "promising",
    r"51": "new_customers",
    r"[4-5][2-3]": "potential_loyalists",
    r"5[4-5]": "champions",
}


def published(code):
    names = [name for pattern, name in PUBLISHED_SEG_MAP.items() if re.fullmatch(pattern, code)]
    assert 1 == len(names), code
    return names[0]


def usd(amount):
    return Money(amount, "USD")


# -- values ------------------------------------------------------------------------------


def test_rfm_values_from_orders():
    """Recency in whole days to `at`, frequency as order count, monetary as total."""
    orders = [
        ("b", AT - timedelta(days=10, hours=1), usd("5")),
        ("a", AT - timedelta(days=30), usd("10")),
        ("a", AT - timedelta(hours=23), usd("2.50")),
        ("a", AT + timedelta(hours=1), usd("1000")),
    ]
    assert (
        RfmValues("a", 0, 2, usd("12.50")),
        RfmValues("b", 10, 1, usd("5")),
    ) == rfm_values(orders, at=AT)
    assert () == rfm_values([], at=AT)


def test_rfm_values_accept_objects():
    """Orders may be objects with customer_id, at and amount attributes."""

    class Order:
        def __init__(self, customer_id, at, amount):
            self.customer_id, self.at, self.amount = customer_id, at, amount

    assert (RfmValues("a", 1, 1, usd("3")),) == rfm_values(
        [Order("a", AT - timedelta(days=1), usd("3"))], at=AT
    )


@pytest.mark.parametrize(
    ("orders", "error", "path"),
    [
        (
            [("a", AT, usd("1")), ("b", AT, Money("1", "EUR"))],
            CurrencyMismatch,
            "$.orders[1].amount",
        ),
        # Behaviour change (issue 21): a plain number is an amount, in the currency
        # amount_currency names; without it, that keyword is what is missing.
        ([("a", AT, Decimal(1))], ValidationError, "$.amount_currency"),
        ([("a", AT, [1])], InvalidType, "$.orders[0].amount"),
        ([("a", AT, usd("1")), ("b", AT, 1.5)], CurrencyMismatch, "$.orders[1].amount"),
        ([("a", AT.replace(tzinfo=None), usd("1"))], ValidationError, "$.orders[0].at"),
        ([("a", AT)], InvalidType, "$.orders[0]"),
        ([(None, AT, usd("1"))], InvalidType, "$.orders[0].customer_id"),
        ("orders", InvalidType, "$.orders"),
    ],
)
def test_rfm_values_refuse_bad_orders(orders, error, path):
    """Bad orders raise errors that say which order and field."""
    with pytest.raises(error) as info:
        rfm_values(orders, at=AT)
    assert path == info.value.path


# -- scores ------------------------------------------------------------------------------


def test_quintiles_of_distinct_values():
    """Ten distinct values: two per quintile; recency reversed (fewer days, higher score)."""
    values = [RfmValues(f"c{i}", i * 10, i + 1, usd(i)) for i in range(10)]
    scores = {s.customer_id: s for s in score_rfm(values)}
    assert [5, 5, 4, 4, 3, 3, 2, 2, 1, 1] == [scores[f"c{i}"].r for i in range(10)]
    assert [1, 1, 2, 2, 3, 3, 4, 4, 5, 5] == [scores[f"c{i}"].f for i in range(10)]
    assert [1, 1, 2, 2, 3, 3, 4, 4, 5, 5] == [scores[f"c{i}"].m for i in range(10)]
    assert "511" == scores["c0"].code


def test_ties_share_a_score():
    """Equal values score alike: the percentile of the middle of their ranks decides."""
    # Positions 0-5 tie at p = 6/16 → floor(1.875) + 1 = 2; position 6: p = 13/16 → 5.
    assert {"a": 2, "b": 2, "c": 2, "d": 2, "e": 2, "f": 2, "g": 5, "h": 5} == quantile_scores(
        {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 2, "h": 3}
    )
    assert {"x": 3, "y": 3} == quantile_scores({"x": 7, "y": 7})


def test_fixed_edges():
    """Edges give bins [e_i, e_i+1); recency edges count days, best lowest."""
    values = [
        RfmValues("a", 5, 1, usd("10")),
        RfmValues("b", 30, 3, usd("100")),
        RfmValues("c", 400, 12, usd("1000")),
    ]
    scores = score_rfm(
        values,
        recency_edges=[30, 90, 180, 365],
        frequency_edges=[2, 4, 8, 12],
        monetary_edges=[usd("50"), usd("100"), usd("500"), usd("1000")],
    )
    assert ["511", "423", "155"] == [s.code for s in scores]


@pytest.mark.parametrize(
    ("kwargs", "path", "code"),
    [
        ({"recency_edges": [30, 90, 180]}, "$.recency_edges", "edge_count"),
        ({"frequency_edges": [1, 2, 2, 3]}, "$.frequency_edges[2]", "edge_order"),
        ({"monetary_edges": [1, 2, 3, 4]}, "$.monetary_edges[0]", "type"),
        ({"monetary_edges": [Money(1, "EUR")] * 4}, "$.monetary_edges[0]", "currency_mismatch"),
        ({"recency_edges": "30,90"}, "$.recency_edges", "type"),
    ],
)
def test_bad_edges(kwargs, path, code):
    """Edge problems name the argument and position."""
    with pytest.raises(ValidationError) as info:
        score_rfm([RfmValues("a", 1, 1, usd("1"))], **kwargs)
    assert (path, code) == (info.value.path, info.value.code)


def test_score_rfm_refuses_repeats_and_junk():
    """One row per customer, and only RfmValues."""
    row = RfmValues("a", 1, 1, usd("1"))
    with pytest.raises(ValidationError):
        score_rfm([row, row])
    with pytest.raises(InvalidType):
        score_rfm([("a", 1, 1, usd("1"))])


def test_threshold_scores_on_plain_numbers():
    """threshold_scores works on any numbers; quantile_scores refuses mixed Money."""
    assert {"a": 1, "b": 2, "c": 3} == threshold_scores({"a": 0, "b": 1.5, "c": 2}, [1, 2])
    with pytest.raises(InvalidType):
        quantile_scores({"a": usd("1"), "b": 2})
    with pytest.raises(ValidationError):
        quantile_scores({"a": 1}, k=1)


# -- segments ----------------------------------------------------------------------------


@pytest.mark.parametrize("r", range(1, 6))
@pytest.mark.parametrize("f", range(1, 6))
def test_rf10_matches_the_published_map(r, f):
    """Every cell of the 10-segment grid is the published regular-expression map's."""
    assert published(f"{r}{f}") == rfm_segment(r, f).value
    assert published(f"{r}{f}") == segment_grid("rf10")[r, f].value


@pytest.mark.parametrize("r", range(1, 6))
@pytest.mark.parametrize("f", range(1, 6))
@pytest.mark.parametrize("m", range(1, 6))
def test_rfm11_reads_fm_and_adds_lost(r, f, m):
    """The 11-segment grid: FM = mean of F and M rounded half up; Lost at R=1, FM<=2."""
    fm = int((Decimal(f + m) / 2).to_integral_value(rounding="ROUND_HALF_UP"))
    expected = "lost" if r == 1 and fm <= 2 else published(f"{r}{fm}")
    assert expected == rfm_segment(r, f, m, scheme="rfm11").value


def test_every_segment_is_reachable():
    """Each scheme's grid uses exactly its segments."""
    assert set(RfmScheme.RF10.segments) == set(segment_grid(RfmScheme.RF10).values())
    assert set(RfmSegment) == set(segment_grid(RfmScheme.RFM11).values())
    assert 10 == len(RfmScheme.RF10.segments)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Champions", RfmSegment.CHAMPIONS),
        ("can't lose them", RfmSegment.CANT_LOSE_THEM),
        ("CANT_LOSE_THEM", RfmSegment.CANT_LOSE_THEM),
        ("Loyal Customers", RfmSegment.LOYAL),
        ("potential loyalist", RfmSegment.POTENTIAL_LOYALISTS),
        ("about-to-sleep", RfmSegment.ABOUT_TO_SLEEP),
    ],
)
def test_segment_names_parse(name, expected):
    """Labels, values and the common variants name segments."""
    assert expected == RfmSegment.parse(name)


@pytest.mark.parametrize(
    ("call", "path", "code"),
    [
        (lambda: RfmSegment.parse("Whales"), "$.segment", "segment"),
        (lambda: RfmSegment.parse(3), "$.segment", "type"),
        (lambda: rfm_segment(0, 3), "$.r", "score"),
        (lambda: rfm_segment(3, 6), "$.f", "score"),
        (lambda: rfm_segment(3, True), "$.f", "type"),
        (lambda: rfm_segment(3, 3, 9), "$.m", "score"),
        (lambda: rfm_segment(3, 3, scheme="rfm11"), "$.m", "required"),
        (lambda: rfm_segment(3, 3, scheme="rfm12"), "$.scheme", "scheme"),
        (lambda: segment_grid(12), "$.scheme", "type"),
    ],
)
def test_unknown_names_and_bad_scores(call, path, code):
    """Unknown segment or scheme names and scores outside 1..5 are clear errors."""
    with pytest.raises(ValidationError) as info:
        call()
    assert (path, code) == (info.value.path, info.value.code)


def test_labels():
    """Display names are the ones analysts know."""
    assert ["Champions", "Loyal", "Potential Loyalists", "New Customers", "Promising",
            "Need Attention", "About to Sleep", "At Risk", "Can't Lose Them", "Hibernating",
            "Lost"] == [s.label for s in RfmSegment]  # fmt: skip


def test_summary_and_facts():
    """The segment table counts, averages and totals per segment; facts feed snapshots."""
    scores = [
        RfmScore("a", 2, 9, usd("900"), 5, 5, 5),
        RfmScore("b", 4, 7, usd("700"), 5, 4, 4),
        RfmScore("c", 300, 1, usd("10"), 1, 1, 1),
    ]
    rows = {row.segment: row for row in summarize_segments(scores)}
    assert 10 == len(rows)
    champions = rows[RfmSegment.CHAMPIONS]
    assert (2, 2 / 3, 3.0, 8.0, usd("1600")) == (
        champions.customers,
        champions.share,
        champions.mean_recency_days,
        champions.mean_frequency,
        champions.monetary,
    )
    assert (0, 0.0, None, None) == (
        rows[RfmSegment.LOYAL].customers,
        rows[RfmSegment.LOYAL].share,
        rows[RfmSegment.LOYAL].mean_frequency,
        rows[RfmSegment.LOYAL].monetary,
    )
    assert RfmSegment.LOST in {row.segment for row in summarize_segments(scores, scheme="rfm11")}
    assert all(row.share is None for row in summarize_segments([]))
    facts = scores[2].facts(scheme="rfm11")
    assert "lost" == facts["rfm_segment"]
    assert all(spec_for(SNAPSHOT_FIELDS, key) is not None for key in facts)


# -- properties --------------------------------------------------------------------------

value_maps = st.dictionaries(
    st.text("abcdef", min_size=1, max_size=4),
    st.integers(0, 8) | st.decimals(min_value=0, max_value=8, places=1),
    max_size=60,
)


@given(value_maps, st.integers(2, 7), st.booleans())
def test_quantile_scores_properties(values, k, higher_is_better):
    """Scores lie in 1..k, follow the values' order, tie alike, and fill bins evenly."""
    scores = quantile_scores(values, k=k, higher_is_better=higher_is_better)
    assert set(values) == set(scores)
    assert all(1 <= s <= k for s in scores.values())
    for a in values:
        for b in values:
            if values[a] == values[b]:
                assert scores[a] == scores[b]
            elif (values[a] < values[b]) == higher_is_better:
                assert scores[a] <= scores[b]
    n = len(values)
    largest_tie = max(Counter(values.values()).values(), default=0)
    for size in Counter(scores.values()).values():
        assert abs(size - n / k) < 2 * largest_tie + 1
    if largest_tie == 1:
        assert all(size in (n // k, -(-n // k)) for size in Counter(scores.values()).values())
        assert n < k or k == len(Counter(scores.values()))


@given(value_maps, st.randoms(use_true_random=False))
def test_quantile_scores_ignore_input_order(values, random):
    """Shuffling the input changes nothing."""
    items = list(values.items())
    random.shuffle(items)
    assert quantile_scores(values) == quantile_scores(dict(items))


@pytest.mark.parametrize("values", [None, 5, "abc", [None], [3]])
def test_score_rfm_checks_its_rows(values):
    """D26: rows that are not RfmValues are refused with a path (was a bare TypeError)."""
    with pytest.raises(InvalidType) as info:
        score_rfm(values)
    assert info.value.path.startswith("$.values")


@pytest.mark.parametrize("scores", [None, 5, [None]])
def test_summarize_segments_checks_its_rows(scores):
    """D26: scores that are not RfmScores are refused with a path."""
    with pytest.raises(InvalidType) as info:
        summarize_segments(scores)
    assert info.value.path.startswith("$.scores")


@pytest.mark.parametrize("customer_id", [None, [], Decimal("sNaN"), 1.5])
def test_rfm_rows_hold_ids(customer_id):
    """D15, D33: an RFM row's customer id is an id: hashable, never a float or a signalling NaN."""
    with pytest.raises(InvalidType) as info:
        RfmValues(customer_id, 10, 2, Money("15", "USD"))
    assert "$.customer_id" == info.value.path
