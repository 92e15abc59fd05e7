"""The per-customer int path of `summarize_columns` against `summarize()` over the same rows.

Minor units are summed per customer in lists indexed by a dense customer index,
with each customer's purchase periods as the bits of one int. These properties
compare it with the row path for every kind of customer id (dense ints, sparse
and negative ints, strings, equal ids of different types), refunds before, in
and after the first purchase period, customers with refunds only, purchases
after the observation end, spans too wide for the bits (the per-customer dicts
take over), and skipped bad rows; plus small cases computed by hand.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from tests._columns_forms import by_rows, same

from crmcore.clv.summaries._columnar import summarize_columns

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
START = int((datetime(2022, 1, 3, tzinfo=UTC) - EPOCH).total_seconds())
DAY = 86_400

ID_KINDS = {
    "dense": st.integers(0, 6),
    "shifted": st.integers(1_000, 1_006),
    # Spread far wider than the rows: indexed through a dict.
    "sparse": st.sampled_from([-(10**30), -7, 0, 3, 10**20]),
    "text": st.sampled_from(["a", "b", "c", "d"]),
    "mixed": st.sampled_from([1, 2, "1", "x"]),
    # 1, 1.0 and True are one customer, named by the id of its first purchase.
    "equal": st.sampled_from([1, 1.0, True, 2, 2.0]),
}


@st.composite
def batches(draw):
    ids = draw(st.sampled_from(sorted(ID_KINDS)))
    days = draw(st.sampled_from([30, 400, 3_000]))  # 3,000 days: too wide for the bits.
    rows = draw(
        st.lists(
            st.tuples(
                ID_KINDS[ids],
                st.integers(START, START + days * DAY),
                st.one_of(st.integers(-5_000, -1), st.integers(0, 20_000)),
            ),
            max_size=60,
        )
    )
    end = EPOCH + timedelta(seconds=START + draw(st.integers(0, (days + 30) * DAY)))
    period = draw(st.sampled_from(["day", "week", "month"]))
    unit = "week" if period == "day" and draw(st.booleans()) else None
    scale = draw(st.integers(0, 3))
    return rows, {"period": period, "unit": unit, "observation_end": end, "tz": UTC}, scale


@given(batches())
def test_int_path_summarizes_like_rows(batch):
    rows, options, scale = batch
    ids, seconds, units = ([row[i] for row in rows] for i in range(3))
    table = summarize_columns(ids, seconds, units, time_unit="s", amount_scale=scale, **options)
    same(table, by_rows(rows, options, scale))


@given(batches(), st.data())
def test_skipped_rows_leave_the_rest_summarized_like_rows(batch, data):
    rows, options, scale = batch
    bad = data.draw(st.sets(st.integers(0, max(0, len(rows) - 1)), max_size=5)) if rows else set()
    ids = [None if index in bad else row[0] for index, row in enumerate(rows)]
    seconds = [row[1] for row in rows]
    units = [row[2] for row in rows]
    table = summarize_columns(
        ids, seconds, units, time_unit="s", amount_scale=scale, on_error="skip", **options
    )
    kept = [row for index, row in enumerate(rows) if index not in bad]
    same(table, by_rows(kept, options, scale))


def test_a_hand_computed_week_with_refunds_around_the_first_purchase():
    week = 7 * DAY
    # Customer 5: a refund before any purchase, two purchases and a refund in the first
    # week, a refund in the second week (no purchase there), a purchase in the third,
    # and one after the observation end. Customer 9: refunds only. Customer 7: one week.
    rows = [
        (5, START, -100),
        (9, START, -50),
        (5, START + DAY, 1_000),
        (7, START + week, 300),
        (5, START + 2 * DAY, 500),
        (5, START + 3 * DAY, -200),
        (5, START + week + DAY, -300),
        (5, START + 2 * week, 2_000),
        (7, START + week + DAY, 400),
        (5, START + 9 * week, 9_999),
    ]
    ids, seconds, units = ([row[i] for row in rows] for i in range(3))
    end = EPOCH + timedelta(seconds=START + 4 * week)
    table = summarize_columns(
        ids,
        seconds,
        units,
        time_unit="s",
        amount_scale=2,
        period="week",
        observation_end=end,
        tz=UTC,
    )
    assert list(table) == [5, 7]
    five = table[5]
    # Weeks 0 and 2 hold purchases up to the end; repeat spend: -3.00 + 20.00 over one period.
    assert (five.frequency, five.recency, five.T) == (1, 2, 4)
    assert str(five.monetary_value) == "17.00"
    seven = table[7]
    assert (seven.frequency, seven.recency, seven.T) == (0, 0, 3)
    assert seven.monetary_value == 0


def test_the_first_purchase_names_the_customer_and_fixes_the_order():
    # Row order: a refund of 2, a purchase of 1.0, then purchases of 2 and 1.
    table = summarize_columns(
        [2, 1.0, 2, 1],
        [START, START, START + DAY, START + 2 * DAY],
        [-10, 100, 200, 300],
        time_unit="s",
        amount_scale=0,
        period="day",
        observation_end=EPOCH + timedelta(seconds=START + 3 * DAY),
        tz=UTC,
    )
    assert list(table) == [1.0, 2]
    assert type(next(iter(table))) is float
    assert str(table[1].monetary_value) == "300"
    assert str(table[2].monetary_value) == "0"


def test_a_span_too_wide_for_the_bits_summarizes_like_rows():
    # Daily periods over eleven years: per-customer dicts instead of one int of bits.
    rows = [
        (customer, START + day * DAY, units)
        for customer, day, units in [
            (1, 0, 500),
            (2, 10, 700),
            (1, 4_000, -100),
            (1, 4_001, 900),
            (2, 2_500, 300),
            (1, 4_100, 1_200),
        ]
    ]
    options = {
        "period": "day",
        "unit": None,
        "observation_end": EPOCH + timedelta(seconds=START + 4_050 * DAY),
        "tz": UTC,
    }
    ids, seconds, units = ([row[i] for row in rows] for i in range(3))
    table = summarize_columns(ids, seconds, units, time_unit="s", amount_scale=2, **options)
    same(table, by_rows(rows, options, 2))
    assert str(table[1].monetary_value) == "8.00"


def test_daily_periods_in_weeks_summarize_like_rows():
    rows = [(3, START, 1_000), (3, START + 3 * DAY, 500), (4, START + DAY, 200)]
    options = {
        "period": "day",
        "unit": "week",
        "observation_end": EPOCH + timedelta(seconds=START + 14 * DAY),
        "tz": UTC,
    }
    ids, seconds, units = ([row[i] for row in rows] for i in range(3))
    table = summarize_columns(ids, seconds, units, time_unit="s", amount_scale=2, **options)
    same(table, by_rows(rows, options, 2))
    assert (table[3].recency, table[3].T) == (3 / 7, 2.0)
