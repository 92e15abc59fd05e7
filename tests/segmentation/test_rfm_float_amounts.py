"""Float amounts in the RFM columns: each distinct float read once, results as row by row.

rfm_values_columns and score_rfm_columns read a float column by converting each
distinct float once (rows holding equal floats share its Decimal). They are held
to the order-by-order path ``score_rfm(rfm_values(...))`` over the same orders
as tuples, digit for digit, on columns where floats repeat, cancel, tie, and
hold both zeros; and to hand-computed cases.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.segmentation import (
    rfm_cut_points,
    rfm_values,
    rfm_values_columns,
    score_rfm,
    score_rfm_columns,
)
from crmcore.testing.strategies import aware_datetimes

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)

# Floats that repeat, sum inexactly in binary (0.1 + 0.2), cancel, and are written
# with exponents (1e-05, 1e+16), beside any finite float Money takes.
POOL = [0.1, 0.2, 0.1 + 0.2, 0.3, -0.1, 12.5, 12.0, 1e-05, 1e16, 19.99, -19.99, 0.0, -0.0]
floats = st.one_of(
    st.sampled_from(POOL),
    st.floats(-(10**9), 10**9, allow_nan=False, allow_infinity=False).filter(
        lambda x: x == 0 or abs(x) >= 1e-6
    ),
)
orders = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        aware_datetimes(
            min_value=datetime(2024, 1, 1, tzinfo=UTC), max_value=datetime(2026, 7, 30, tzinfo=UTC)
        ),
        floats,
    ),
    max_size=40,
)


def row_by_row(records):
    values = rfm_values(records, at=AT, amount_currency="USD")
    scores = score_rfm(values)
    return (
        [v.customer_id for v in values],
        [v.recency_days for v in values],
        [v.frequency for v in values],
        [str(v.monetary.amount) for v in values],
        [(s.r, s.f, s.m) for s in scores],
    )


def by_columns(records):
    values = rfm_values_columns(
        [r[0] for r in records], [r[1] for r in records], [r[2] for r in records], at=AT
    )
    scores = score_rfm_columns(
        values["customer_id"], values["recency_days"], values["frequency"], values["monetary"]
    )
    assert scores["customer_id"] == values["customer_id"]
    return (
        values["customer_id"],
        values["recency_days"],
        values["frequency"],
        list(map(str, values["monetary"])),
        list(zip(scores["r"], scores["f"], scores["m"], strict=True)),
    )


@given(orders)
def test_float_columns_equal_the_order_by_order_path(records):
    assert by_columns(records) == row_by_row(records)


@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 9), floats), max_size=30))
def test_float_monetary_scores_equal_score_rfm(rows):
    ids = [f"c{index}" for index in range(len(rows))]
    days = [r[0] for r in rows]
    counts = [r[1] for r in rows]
    spends = [r[2] for r in rows]
    as_text = [Decimal(repr(x)) for x in spends]
    want = score_rfm_columns(ids, days, counts, as_text)
    assert score_rfm_columns(ids, days, counts, spends) == want
    if rows:  # cut points compare the Decimals the floats stand for
        cuts = rfm_cut_points(
            rfm_values(
                [
                    (i, AT - timedelta(days=d), m)
                    for i, d, m in zip(ids, days, as_text, strict=True)
                ],
                at=AT,
                amount_currency="USD",
            )
        )
        exact = score_rfm_columns(ids, days, counts, spends, cut_points=cuts)
        assert exact["m"] == score_rfm_columns(ids, days, counts, as_text, cut_points=cuts)["m"]


def test_repeated_floats_by_hand():
    got = rfm_values_columns(
        ["a", "b", "a", "b", "c"], [AT] * 5, [0.1, 0.2, 0.2, 0.1, 0.30000000000000004], at=AT
    )
    assert list(map(str, got["monetary"])) == ["0.3", "0.3", "0.30000000000000004"]
    scores = score_rfm_columns(
        got["customer_id"], got["recency_days"], got["frequency"], got["monetary"]
    )
    # a and b tie (0.3) at sorted positions 0..1: floor(2 * 5 / 6) + 1 = 2; c alone: 5.
    assert scores["m"] == [2, 2, 5]


def test_both_zeros_keep_their_sums():
    got = rfm_values_columns(["a", "b", "b"], [AT] * 3, [-0.0, 0.0, -0.0], at=AT)
    want = rfm_values(
        [("a", AT, -0.0), ("b", AT, 0.0), ("b", AT, -0.0)], at=AT, amount_currency="USD"
    )
    assert list(map(str, got["monetary"])) == [str(v.monetary.amount) for v in want]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e-120, -1e120])
def test_a_bad_float_is_named_by_its_row(bad):
    with pytest.raises(ValidationError) as caught:
        rfm_values_columns(["a", "b", "c"], [AT] * 3, [1.5, 1.5, bad], at=AT)
    assert caught.value.path == "$.amount[2]"
    got = rfm_values_columns(["a", "b", "c"], [AT] * 3, [1.5, 1.5, bad], at=AT, on_error="skip")
    assert got["customer_id"] == ["a", "b"]


OFFSETS = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
instants = st.builds(
    lambda minutes, zone: (AT - timedelta(minutes=minutes)).astimezone(zone),
    st.integers(-3 * 24 * 60, 900 * 24 * 60),
    st.sampled_from(OFFSETS),
)


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), instants, floats), max_size=30),
    st.sampled_from([*OFFSETS, ZoneInfo("Europe/Berlin")]),
    st.booleans(),
)
def test_times_of_fixed_offsets_equal_the_order_by_order_path(records, zone, in_order):
    """Datetimes of several fixed offsets (equal instants among them), in time order or not."""
    if in_order:
        records = sorted(records, key=lambda r: r[1])
    at = AT.astimezone(zone)
    values = rfm_values_columns(
        [r[0] for r in records], [r[1] for r in records], [r[2] for r in records], at=at
    )
    want = rfm_values(records, at=at, amount_currency="USD")
    assert values["customer_id"] == [v.customer_id for v in want]
    assert values["recency_days"] == [v.recency_days for v in want]
    assert list(map(str, values["monetary"])) == [str(v.monetary.amount) for v in want]


def test_latest_order_by_hand():
    plus_two = timezone(timedelta(hours=2))
    times = [
        AT - timedelta(days=3),
        (AT - timedelta(days=1, hours=1)).astimezone(plus_two),  # the latest: 1 day before
        AT + timedelta(hours=1),  # after ``at``: left out
        AT - timedelta(days=9),
    ]
    got = rfm_values_columns(["a", "a", "a", "b"], times, [1.5, 2.5, 4.0, 0.1], at=AT)
    assert got == {
        "customer_id": ["a", "b"],
        "recency_days": [1, 9],
        "frequency": [2, 1],
        "monetary": [Decimal("4.0"), Decimal("0.1")],
    }


class Instant(datetime):
    """A datetime subclass as ``at`` (as a pandas Timestamp is): compared at its microseconds."""


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), instants, floats), max_size=20))
def test_a_datetime_subclass_as_at_gives_the_same_values(records):
    at = Instant(2026, 6, 30, 12, 0, tzinfo=UTC)
    columns = ([r[0] for r in records], [r[1] for r in records], [r[2] for r in records])
    assert rfm_values_columns(*columns, at=at) == rfm_values_columns(*columns, at=AT)
