"""Tests for `crmcore.clv.summaries._summarize` (and its state and table modules)."""

import csv
import dataclasses
import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, CustomerId, InvalidType, Money, NotFound, ValidationError
from crmcore.clv import (
    CustomerState,
    CustomerSummary,
    PeriodTotal,
    SummaryAccumulator,
    SummaryTable,
    Transaction,
    period_index,
    period_start,
    summarize,
)
from crmcore.testing import strategies as crm

WIB = timezone(timedelta(hours=7))
NAIVE = datetime(2024, 1, 2, 13, 45)  # noqa: DTZ001 - naive on purpose: it must be refused.


def at(year, month, day, hour=12):
    """Noon UTC of a calendar day, unless told otherwise."""
    return datetime(year, month, day, hour, tzinfo=UTC)


# -- the conventions, on hand-computed examples -----------------------------------


def test_daily_summary_of_one_customer():
    """Two purchases on day 0 count once; repeats on days 3 and 10; T runs to day 20."""
    table = summarize(
        [
            ("c1", at(2024, 1, 1, 9), Decimal("10.00")),
            ("c1", at(2024, 1, 1, 18), Decimal("5.00")),
            ("c1", at(2024, 1, 4), Decimal("7.00")),
            ("c1", at(2024, 1, 11), Decimal("3.00")),
        ],
        period="day",
        observation_end=at(2024, 1, 21),
    )
    # Repeat periods: 4 Jan (7.00) and 11 Jan (3.00): mean 5.00.
    assert CustomerSummary(frequency=2, recency=10, T=20, monetary_value=Decimal(5)) == table["c1"]


def test_amounts_of_one_repeat_period_are_summed_before_the_mean():
    """Monetary value is the mean of per-period totals, not of transactions."""
    table = summarize(
        [
            ("c1", at(2024, 1, 1), "100"),
            ("c1", at(2024, 1, 2, 8), "10"),
            ("c1", at(2024, 1, 2, 20), "20"),
            ("c1", at(2024, 1, 5), "6"),
        ],
        period="day",
        observation_end=at(2024, 1, 5),
    )
    # Repeat periods: 2 Jan (10 + 20 = 30) and 5 Jan (6): mean 18; the first day's 100 is left out.
    assert Decimal(18) == table["c1"].monetary_value
    assert (2, 4, 4) == (table["c1"].frequency, table["c1"].recency, table["c1"].T)


def test_weeks_run_monday_to_sunday():
    """Monday 1 January 2024 and Sunday 7 January share a week; Monday 8 January starts the next."""
    same_week = summarize(
        [("c", at(2024, 1, 1), "1"), ("c", at(2024, 1, 7, 23), "1")],
        period="week",
        observation_end=at(2024, 1, 31),
    )
    assert (0, 0, 4) == (same_week["c"].frequency, same_week["c"].recency, same_week["c"].T)
    next_week = summarize(
        [("c", at(2024, 1, 7, 23), "1"), ("c", at(2024, 1, 8, 0), "1")],
        period="week",
        observation_end=at(2024, 1, 31),
    )
    assert (1, 1, 4) == (next_week["c"].frequency, next_week["c"].recency, next_week["c"].T)


def test_months_are_calendar_months():
    """31 January and 1 February are one month apart; 1 and 31 March are the same month."""
    table = summarize(
        [
            ("c", at(2024, 1, 31), "1"),
            ("c", at(2024, 2, 1), "1"),
            ("c", at(2024, 3, 1), "1"),
            ("c", at(2024, 3, 31), "1"),
        ],
        period="month",
        observation_end=at(2024, 12, 1),
    )
    assert (2, 2, 11) == (table["c"].frequency, table["c"].recency, table["c"].T)


def test_unit_weeks_on_daily_periods_gives_days_over_seven():
    """period='day', unit='week' counts days and divides spans by 7 (the CDNOW convention)."""
    table = summarize(
        [("c", at(2024, 1, 1), "1"), ("c", at(2024, 1, 11), "1")],
        period="day",
        unit="week",
        observation_end=at(2024, 1, 15),
    )
    assert (1, 10 / 7, 2.0) == (table["c"].frequency, table["c"].recency, table["c"].T)
    assert "week" == table.unit


def test_the_observation_end_acts_at_period_granularity():
    """Later the same day is kept; the next day is excluded."""
    table = summarize(
        [
            ("c", at(2024, 1, 1), "1"),
            ("c", at(2024, 1, 10, 23), "2"),
            ("c", at(2024, 1, 11, 0), "4"),
        ],
        period="day",
        observation_end=at(2024, 1, 10, 0),
    )
    assert CustomerSummary(frequency=1, recency=9, T=9, monetary_value=Decimal(2)) == table["c"]


def test_customers_who_start_after_the_observation_end_are_left_out():
    """A customer with purchases only after the observation end has no summary."""
    table = summarize(
        [("early", at(2024, 1, 1), "1"), ("late", at(2024, 2, 1), "1")],
        period="day",
        observation_end=at(2024, 1, 15),
    )
    assert ["early"] == list(table)


def test_calibration_and_holdout_split():
    """Calibration figures stop at the calibration end; the holdout counts what follows."""
    table = summarize(
        [
            ("a", at(2024, 1, 1), "10"),
            ("a", at(2024, 1, 5), "20"),
            ("a", at(2024, 1, 12), "30"),
            ("a", at(2024, 1, 12, 20), "6"),
            ("a", at(2024, 1, 15), "50"),
            ("a", at(2024, 1, 25), "99"),  # after the observation end
            ("b", at(2024, 1, 8), "5"),
            ("late", at(2024, 1, 13), "5"),  # first purchase in the holdout
        ],
        period="day",
        calibration_end=at(2024, 1, 10),
        observation_end=at(2024, 1, 20),
    )
    assert ["a", "b"] == list(table)
    # a: calibration days 1 and 5 Jan; holdout 12 Jan (36) and 15 Jan (50): mean 43.
    assert (
        CustomerSummary(
            frequency=1,
            recency=4,
            T=9,
            monetary_value=Decimal(20),
            frequency_holdout=2,
            monetary_value_holdout=Decimal(43),
            duration_holdout=10,
        )
        == table["a"]
    )
    assert (
        CustomerSummary(
            frequency=0,
            recency=0,
            T=2,
            monetary_value=Decimal(0),
            frequency_holdout=0,
            monetary_value_holdout=Decimal(0),
            duration_holdout=10,
        )
        == table["b"]
    )
    assert table.has_holdout
    assert at(2024, 1, 10) == table.calibration_end


def test_refunds_are_netted_within_their_period_and_never_count_as_purchases():
    """A refund-only period is not a repeat purchase; refunds lower the repeat value."""
    table = summarize(
        [
            ("c", at(2024, 1, 1), "100"),
            ("c", at(2024, 1, 1, 15), "-100"),  # the first period is left out anyway
            ("c", at(2024, 1, 3), "40"),
            ("c", at(2024, 1, 3, 15), "-10"),  # netted within 3 Jan: 30
            ("c", at(2024, 1, 6), "-12"),  # refund only: lowers the repeat total
            ("c", at(2024, 1, 8), "20"),
        ],
        period="day",
        observation_end=at(2024, 1, 10),
    )
    # Purchase periods: 1, 3 and 8 Jan. Repeat total 30 - 12 + 20 = 38 over 2 periods.
    assert CustomerSummary(frequency=2, recency=7, T=9, monetary_value=Decimal(19)) == table["c"]


def test_a_customer_with_only_refunds_has_no_summary():
    """Without a purchase there is no first purchase period."""
    table = summarize(
        [("c", at(2024, 1, 1), "-5"), ("d", at(2024, 1, 1), "0")],
        period="day",
        observation_end=at(2024, 1, 2),
    )
    assert ["d"] == list(table)


def test_calendar_days_follow_the_time_zone_of_the_observation_end():
    """23:30 UTC on 1 January is already 2 January in Jakarta (UTC+7)."""
    purchases = [
        ("c", datetime(2024, 1, 1, 1, tzinfo=UTC), "1"),
        ("c", datetime(2024, 1, 1, 23, 30, tzinfo=UTC), "1"),
    ]
    in_utc = summarize(purchases, period="day", observation_end=datetime(2024, 1, 5, tzinfo=UTC))
    in_wib = summarize(purchases, period="day", observation_end=datetime(2024, 1, 5, tzinfo=WIB))
    pinned = summarize(
        purchases, period="day", observation_end=datetime(2024, 1, 5, tzinfo=WIB), tz=UTC
    )
    assert (0, 1, 0) == (in_utc["c"].frequency, in_wib["c"].frequency, pinned["c"].frequency)


def test_every_input_shape_gives_the_same_table():
    """Tuples, lists, mappings, named tuples and objects with attributes all work."""

    @dataclasses.dataclass(frozen=True)
    class Order:
        customer_id: str
        at: datetime
        amount: Decimal

    first, second = at(2024, 1, 1), at(2024, 1, 4)
    shapes = [
        [("c", first, Decimal(1)), ("c", second, Decimal(2))],
        [["c", first, 1], ["c", second, "2"]],
        [{"customer_id": "c", "at": first, "amount": 1}, Transaction("c", second, 2)],
        [Order("c", first, Decimal(1)), Order("c", second, Decimal(2))],
    ]
    tables = [summarize(s, period="day", observation_end=at(2024, 1, 9)) for s in shapes]
    expected = CustomerSummary(frequency=1, recency=3, T=8, monetary_value=Decimal(2))
    assert [expected] * 4 == [t["c"] for t in tables]


def test_money_amounts_keep_their_currency():
    """Money in one currency is accepted and the table records the currency."""
    table = summarize(
        [
            ("c", at(2024, 1, 1), Money("275000", "IDR")),
            ("c", at(2024, 2, 15), Money("300000", "IDR")),
        ],
        period="month",
        observation_end=at(2024, 3, 1),
    )
    assert ("IDR", Decimal(300000)) == (table.currency, table["c"].monetary_value)


@pytest.mark.parametrize(
    "second",
    [Money("1", "USD"), Decimal(1)],
    ids=["other-currency", "plain-after-money"],
)
def test_mixed_currencies_are_refused(second):
    """Money of two currencies, or Money then a plain number, is a CurrencyMismatch."""
    with pytest.raises(CurrencyMismatch) as info:
        summarize(
            [("c", at(2024, 1, 1), Money("1", "EUR")), ("c", at(2024, 1, 2), second)],
            period="day",
            observation_end=at(2024, 1, 9),
        )
    assert "$.transactions[1].amount" == info.value.path


def test_empty_input_gives_an_empty_table():
    """No transactions is a defined result: an empty table."""
    table = summarize(iter(()), period="week", observation_end=at(2024, 1, 1))
    assert (0, [], {"frequency": [], "recency": [], "T": [], "weights": []}) == (
        len(table),
        table.to_columns()["frequency"],
        table.compress(),
    )


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "path", "error"),
    [
        (("c", NAIVE, "1"), "$.transactions[1].at", ValidationError),
        (("c", date(2024, 1, 2), "1"), "$.transactions[1].at", InvalidType),
        (("c", at(2024, 1, 2), float("nan")), "$.transactions[1].amount", ValidationError),
        (("c", at(2024, 1, 2), True), "$.transactions[1].amount", InvalidType),
        (("c", at(2024, 1, 2), Decimal("NaN")), "$.transactions[1].amount", ValidationError),
        (("c", at(2024, 1, 2), "12,50"), "$.transactions[1].amount", ValidationError),
        ((None, at(2024, 1, 2), "1"), "$.transactions[1].customer_id", ValidationError),
        ((["c"], at(2024, 1, 2), "1"), "$.transactions[1].customer_id", InvalidType),
        ((["c"], at(2024, 1, 2), Decimal(1)), "$.transactions[1].customer_id", InvalidType),
        ((None, at(2024, 1, 2), Decimal(1)), "$.transactions[1].customer_id", ValidationError),
        ((None, at(2024, 1, 2), Decimal(-1)), "$.transactions[1].customer_id", ValidationError),
        (({}, at(2024, 1, 2), Decimal(-1)), "$.transactions[1].customer_id", InvalidType),
        (("c", at(2024, 1, 2), Decimal("-Infinity")), "$.transactions[1].amount", ValidationError),
        (("c", at(2024, 1, 2)), "$.transactions[1]", ValidationError),
        ({"customer_id": "c"}, "$.transactions[1]", ValidationError),
        ("c,2024-01-02,1", "$.transactions[1]", InvalidType),
        (42, "$.transactions[1]", InvalidType),
    ],
)
def test_bad_transactions_name_the_item_and_field(item, path, error):
    """Every bad item raises a library error whose path names the item and the field."""
    with pytest.raises(error) as info:
        summarize(
            [("c", at(2024, 1, 1), "1"), item],
            period="day",
            observation_end=at(2024, 1, 9),
        )
    assert path == info.value.path


def test_a_naive_datetime_has_its_own_code_and_no_value_in_the_message():
    """The error names the rule and never repeats the customer or the amount."""
    with pytest.raises(ValidationError) as info:
        summarize(
            [("alice@example.com", NAIVE, "123.45")],
            period="day",
            observation_end=at(2024, 1, 9),
        )
    assert "naive_datetime" == info.value.code
    assert "alice" not in str(info.value)
    assert "123.45" not in str(info.value)
    assert "13:45" not in str(info.value)


@pytest.mark.parametrize(
    ("options", "path", "error"),
    [
        ({"period": "fortnights"}, "$.period", ValidationError),
        ({"period": 7}, "$.period", InvalidType),
        ({"period": "week", "unit": "day"}, "$.unit", ValidationError),
        ({"period": "month", "unit": "week"}, "$.unit", ValidationError),
        ({"period": "day", "unit": "hour"}, "$.unit", ValidationError),
        ({"period": "day", "observation_end": NAIVE}, "$.observation_end", ValidationError),
        (
            {"period": "day", "calibration_end": at(2024, 3, 1)},
            "$.calibration_end",
            ValidationError,
        ),
        ({"period": "day", "calibration_end": "2024-01-01"}, "$.calibration_end", InvalidType),
        ({"period": "day", "tz": "Asia/Jakarta"}, "$.tz", InvalidType),
    ],
)
def test_bad_options_are_refused_before_reading_transactions(options, path, error):
    """Options are checked eagerly: the transactions iterator is not consumed."""
    consumed = []

    def transactions():
        consumed.append(True)
        yield ("c", at(2024, 1, 1), "1")

    arguments = {"observation_end": at(2024, 2, 1), **options}
    with pytest.raises(error) as info:
        summarize(transactions(), **arguments)
    assert (path, []) == (info.value.path, consumed)


@pytest.mark.parametrize("bad", ["abc", {"c": 1}, 42, None])
def test_transactions_must_be_an_iterable_of_items(bad):
    """A string, a mapping or a non-iterable is not a transaction list."""
    with pytest.raises(InvalidType) as info:
        summarize(bad, period="day", observation_end=at(2024, 1, 1))
    assert "$.transactions" == info.value.path


def test_a_failed_extend_leaves_the_accumulator_unchanged():
    """An error in the middle of a batch adds nothing of that batch."""
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.add("c", at(2024, 1, 1), Decimal(1))
    before = list(acc.period_totals())
    with pytest.raises(ValidationError):
        acc.extend([("c", at(2024, 1, 2), Decimal(2)), ("d", at(2024, 1, 2), float("inf"))])
    assert (before, ["c"]) == (list(acc.period_totals()), list(acc))


def test_a_failed_add_leaves_the_accumulator_unchanged():
    """A refused amount neither adds a customer nor fixes the kind of amounts."""
    acc = SummaryAccumulator(period="day", tz=UTC)
    with pytest.raises(ValidationError):
        acc.add("c", at(2024, 1, 1), float("nan"))
    acc.add("c", at(2024, 1, 1), Money("1", "USD"))
    assert ("USD", ["c"]) == (acc.currency, list(acc))


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"frequency": -1, "recency": 0, "T": 1, "monetary_value": Decimal(0)}, "$.frequency"),
        ({"frequency": 1.0, "recency": 0, "T": 1, "monetary_value": Decimal(0)}, "$.frequency"),
        ({"frequency": 1, "recency": 5, "T": 4, "monetary_value": Decimal(0)}, "$.recency"),
        ({"frequency": 0, "recency": 1, "T": 4, "monetary_value": Decimal(0)}, "$.recency"),
        ({"frequency": 1, "recency": 1, "T": -4, "monetary_value": Decimal(0)}, "$.T"),
        ({"frequency": 1, "recency": 1, "T": float("nan"), "monetary_value": Decimal(0)}, "$.T"),
        ({"frequency": 1, "recency": 1, "T": 4, "monetary_value": "1"}, "$.monetary_value"),
        (
            {
                "frequency": 1,
                "recency": 1,
                "T": 4,
                "monetary_value": Decimal(1),
                "frequency_holdout": 1,
            },
            "$.frequency_holdout",
        ),
    ],
)
def test_customer_summary_checks_its_invariants(fields, path):
    """A summary cannot be built with impossible figures."""
    with pytest.raises(ValidationError) as info:
        CustomerSummary(**fields)
    assert path == info.value.path


# -- periods -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), (0, 0, 0)),
        (datetime(1969, 12, 29, tzinfo=UTC), (-3, 0, -1)),
        (datetime(1969, 12, 28, tzinfo=UTC), (-4, -1, -1)),
        (datetime(1970, 1, 5, tzinfo=UTC), (4, 1, 0)),
        (datetime(1971, 3, 15, tzinfo=UTC), (438, 63, 14)),
    ],
)
def test_period_indices_count_from_the_unix_epoch(moment, expected):
    """Days since 1970-01-01, Monday weeks with week 0 from 1969-12-29, months since January 1970."""
    actual = tuple(period_index(moment, p, tz=UTC) for p in ("day", "week", "month"))
    assert expected == actual


def test_instants_beyond_the_calendar_after_conversion_are_refused():
    """datetime.min in UTC+7 does not exist in UTC: a ValidationError, not an OverflowError."""
    edge = datetime.min.replace(tzinfo=WIB)
    with pytest.raises(ValidationError) as info:
        summarize([("c", edge, "1")], period="day", observation_end=at(2024, 1, 1))
    with pytest.raises(ValidationError) as end:
        summarize([], period="day", observation_end=edge, tz=UTC)
    assert ("$.transactions[0].at", "$.observation_end") == (info.value.path, end.value.path)


def test_period_start_is_the_first_day_of_the_period():
    """period_start inverts period_index to the period's first day."""
    assert (date(1970, 1, 1), date(1969, 12, 29), date(1971, 3, 1)) == (
        period_start(0, "day"),
        period_start(0, "week"),
        period_start(14, "month"),
    )


def test_period_start_refuses_indices_outside_the_calendar():
    """An index beyond year 9999 is a ValidationError, not an OverflowError."""
    with pytest.raises(ValidationError) as info:
        period_start(10**7, "day")
    assert ("$.index", "out_of_range") == (info.value.path, info.value.code)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
)
def test_month_index_differences_are_relativedelta_months(first, second):
    """The month distance equals dateutil's relativedelta between the months' first days."""
    delta = relativedelta(second.replace(day=1), first.replace(day=1))
    moment = datetime.combine(first, datetime.min.time(), UTC)
    later = datetime.combine(second, datetime.min.time(), UTC)
    distance = period_index(later, "month", tz=UTC) - period_index(moment, "month", tz=UTC)
    assert delta.years * 12 + delta.months == distance


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_period_start_and_index_agree(day):
    """Every day lies in the period that starts at period_start of its index."""
    moment = datetime.combine(day, datetime.min.time(), UTC)
    for period, length in (("day", timedelta(days=1)), ("week", timedelta(days=7))):
        start = period_start(period_index(moment, period, tz=UTC), period)
        assert start <= day < start + length
    assert day.replace(day=1) == period_start(period_index(moment, "month", tz=UTC), "month")
    assert 0 == period_start(period_index(moment, "week", tz=UTC), "week").weekday()


# -- table, columns and compression -------------------------------------------------


def small_table():
    """Three customers, two with the same history."""
    return summarize(
        [
            ("a", at(2024, 1, 1), "10"),
            ("b", at(2024, 1, 1), "10"),
            ("c", at(2024, 1, 3), "1"),
            ("c", at(2024, 1, 4), "2.50"),
        ],
        period="day",
        observation_end=at(2024, 1, 5),
    )


def test_to_columns_gives_plain_lists_with_float_money():
    """Columns follow the table's order; monetary values become floats explicitly."""
    assert {
        "customer_id": ["a", "b", "c"],
        "frequency": [0, 0, 1],
        "recency": [0.0, 0.0, 1.0],
        "T": [4.0, 4.0, 2.0],
        "monetary_value": [0.0, 0.0, 2.5],
    } == small_table().to_columns()


def test_compress_counts_distinct_histories():
    """Two customers share (0, 0, 4); the third is (1, 1, 2)."""
    assert {
        "frequency": [0, 1],
        "recency": [0.0, 1.0],
        "T": [4.0, 2.0],
        "weights": [2, 1],
    } == small_table().compress()


def test_holdout_columns_appear_with_a_split():
    """to_columns adds the three holdout columns when the table has a holdout."""
    table = summarize(
        [("a", at(2024, 1, 1), "10"), ("a", at(2024, 1, 8), "4")],
        period="week",
        calibration_end=at(2024, 1, 3),
        observation_end=at(2024, 1, 20),
    )
    columns = table.to_columns()
    assert ([1], [4.0], [2.0]) == (
        columns["frequency_holdout"],
        columns["monetary_value_holdout"],
        columns["duration_holdout"],
    )


def test_the_table_is_a_read_only_mapping():
    """Look-ups work; an unhashable key is simply absent; there is no item assignment."""
    table = small_table()
    assert ("a" in table, ["x"] in table, 3) == (True, False, len(table))
    with pytest.raises(TypeError):
        table["a"] = table["b"]  # type: ignore[index]
    assert isinstance(table, SummaryTable)


def test_a_table_can_be_built_from_summaries():
    """The public constructor takes CustomerSummary values and refuses anything else."""
    row = CustomerSummary(frequency=1, recency=2, T=3, monetary_value=Decimal(4))
    table = SummaryTable({"a": row}, period="day", unit="day", observation_end=at(2024, 1, 1))
    assert ({"a": row}, None, False) == (dict(table), table.currency, table.has_holdout)
    with pytest.raises(InvalidType) as info:
        SummaryTable({"a": (1, 2, 3)}, period="day", unit="day", observation_end=at(2024, 1, 1))
    assert "$.rows" == info.value.path


# -- accumulator, state and merging ---------------------------------------------------


def test_accumulator_summary_of_one_customer():
    """summary() finalizes one customer; an unknown one gives None."""
    acc = SummaryAccumulator(period="week", tz=UTC)
    acc.add("a", at(2024, 1, 1), Decimal(3))
    acc.add("a", at(2024, 1, 15), Decimal(5))
    assert (CustomerSummary(frequency=1, recency=2, T=3, monetary_value=Decimal(5)), None) == (
        acc.summary("a", observation_end=at(2024, 1, 22)),
        acc.summary("zz", observation_end=at(2024, 1, 22)),
    )


def test_period_totals_round_trip():
    """The GROUP BY rows read back into an identical accumulator."""
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.extend(
        [
            ("a", at(2024, 1, 1), "5"),
            ("a", at(2024, 1, 1), "-2"),
            ("a", at(2024, 1, 2), "-1"),
            ("b", at(2024, 1, 3), "7"),
        ]
    )
    rows = list(acc.period_totals())
    assert [
        ("a", 19723, Decimal(5), Decimal(-2)),
        ("a", 19724, None, Decimal(-1)),
        ("b", 19725, Decimal(7), Decimal(0)),
    ] == rows
    again = SummaryAccumulator.from_period_totals(rows, period="day", tz=UTC)
    assert rows == list(again.period_totals())


@pytest.mark.parametrize(
    ("row", "path"),
    [
        (("a", 1, "-5", 0), "$.rows[0].purchased"),
        (("a", 1, "5", "1"), "$.rows[0].refunded"),
        (("a", 1.5, "5", 0), "$.rows[0].period"),
        ((None, 1, "5", 0), "$.rows[0].customer_id"),
        (("a", 1, "5"), "$.rows[0]"),
    ],
)
def test_bad_period_total_rows_are_refused(row, path):
    """Rows from another engine are checked like transactions."""
    with pytest.raises(ValidationError) as info:
        SummaryAccumulator.from_period_totals([row], period="day", tz=UTC)
    assert path == info.value.path


def test_merge_refuses_different_setups():
    """Accumulators of different periods, time zones or currencies do not merge."""
    days = SummaryAccumulator(period="day", tz=UTC)
    with pytest.raises(ValidationError) as period:
        days.merge(SummaryAccumulator(period="week", tz=UTC))
    with pytest.raises(ValidationError) as zone:
        days.merge(SummaryAccumulator(period="day", tz=WIB))
    euros = SummaryAccumulator(period="day", tz=UTC, currency="EUR")
    with pytest.raises(CurrencyMismatch):
        euros.merge(SummaryAccumulator(period="day", tz=UTC, currency="USD"))
    with pytest.raises(InvalidType):
        days.merge("not an accumulator")  # type: ignore[arg-type]
    assert ("period_mismatch", "tz_mismatch") == (period.value.code, zone.value.code)


def test_refund_only_customers_are_in_the_state_but_not_in_the_table():
    """The accumulator knows every customer; only those with a purchase are summarized."""
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.extend([("buyer", at(2024, 1, 1), "5"), ("returner", at(2024, 1, 1), "-5")])
    table = acc.summarize(observation_end=at(2024, 1, 2))
    assert (2, ["buyer", "returner"], ["buyer"]) == (len(acc), list(acc), list(table))
    assert ("returner" in acc, "nobody" in acc, ["x"] in acc) == (True, False, False)


class Awkward:
    """A customer id that hashes but cannot be compared."""

    def __hash__(self):
        return 1

    def __eq__(self, other):
        raise TypeError


def test_an_id_that_cannot_be_compared_is_a_type_error():
    """A broken __eq__ surfaces as InvalidType naming the customer id."""
    with pytest.raises(InvalidType) as info:
        summarize(
            [(Awkward(), at(2024, 1, 1), Decimal(1)), (Awkward(), at(2024, 1, 2), Decimal(1))],
            period="day",
            observation_end=at(2024, 1, 9),
        )
    assert "$.transactions[1].customer_id" == info.value.path


def test_customer_ids_of_any_hashable_type_work():
    """CustomerId, int and tuple ids are all accepted; unhashable look-ups are type errors."""
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.extend([(CustomerId("c-1"), at(2024, 1, 1), Decimal(1)), (("shop", 7), at(2024, 1, 1), 1)])
    assert [CustomerId("c-1"), ("shop", 7)] == list(acc)
    with pytest.raises(InvalidType) as info:
        acc.state(["c-1"])
    with pytest.raises(InvalidType):
        acc.summary({}, observation_end=at(2024, 1, 2))
    assert "$.customer_id" == info.value.path


@pytest.mark.parametrize(
    ("row", "path"),
    [
        ((1, "-1", 0), "$.periods[0].purchased"),
        ((1, "1", "2"), "$.periods[0].refunded"),
        (("1", "1", 0), "$.periods[0].period"),
        ((1, float("nan"), 0), "$.periods[0].purchased"),
    ],
)
def test_customer_state_checks_its_rows(row, path):
    """A state built by hand is validated like rows from an engine."""
    with pytest.raises(ValidationError) as info:
        CustomerState([row])
    assert path == info.value.path


def test_successive_extends_add_up():
    """Two batches extended one after the other give the state of both at once."""
    first = [("a", at(2024, 1, 1), Decimal(1)), ("b", at(2024, 1, 2), Decimal(-2))]
    second = [("a", at(2024, 1, 1, 20), Decimal(3)), ("b", at(2024, 1, 2), Decimal(5))]
    acc = accumulate(first, "day")
    acc.extend(second)
    assert states(accumulate(first + second, "day")) == states(acc)
    assert [("a", 19723, Decimal(4), Decimal(0)), ("b", 19724, Decimal(5), Decimal(-2))] == list(
        acc.period_totals()
    )


def test_holdout_duration_is_scaled_to_the_unit():
    """With unit='week' on daily periods, the holdout lasts days / 7."""
    table = summarize(
        [("a", at(2024, 1, 1), "1")],
        period="day",
        unit="week",
        calibration_end=at(2024, 1, 8),
        observation_end=at(2024, 1, 22),
    )
    assert (1.0, 2.0) == (table["a"].T, table["a"].duration_holdout)


def test_accumulator_describes_itself():
    """Period, time zone, currency and size are visible; the repr holds no customer data."""
    acc = SummaryAccumulator(period="month", tz=WIB, currency="idr")
    acc.add("secret-customer", at(2024, 1, 1), Money("5", "IDR"))
    assert ("month", WIB, "IDR", 1) == (acc.period, acc.tz, acc.currency, len(acc))
    assert "secret" not in repr(acc)
    assert "secret" not in repr(acc.summarize(observation_end=at(2024, 2, 1)))


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: SummaryAccumulator(period="day", tz="UTC"), "$.tz"),
        (lambda: SummaryAccumulator(period="day", tz=UTC, currency="XXX"), "$.currency"),
        (lambda: period_start("3", "day"), "$.index"),
        (lambda: period_index(at(2024, 1, 1), "day", tz=None), "$.tz"),
        (lambda: CustomerState("not rows"), "$.periods"),
        (lambda: CustomerState().merge([(1, "1", 0)]), "$.other"),
        (lambda: SummaryAccumulator.from_period_totals("rows", period="day", tz=UTC), "$.rows"),
    ],
)
def test_bad_arguments_elsewhere_name_the_argument(call, path):
    """Constructors and helpers check their arguments too."""
    with pytest.raises(ValidationError) as info:
        call()
    assert path == info.value.path


def test_customer_state_adds_rows_of_the_same_period():
    """Rows of one period from several partitions add up on construction."""
    state = CustomerState([(3, "1", 0), (3, None, "-2"), (3, "4", 0), (1, "2", 0)])
    assert (
        PeriodTotal(1, Decimal(2), Decimal(0)),
        PeriodTotal(3, Decimal(5), Decimal(-2)),
    ) == state.periods
    assert ((1, 3), Decimal(3)) == (state.purchase_periods, state.periods[1].net)


def test_the_empty_state_is_the_identity_of_merge():
    """Merging with an empty state changes nothing."""
    state = CustomerState([(1, "2", 0)])
    assert (state, state) == (state.merge(CustomerState()), CustomerState().merge(state))


# -- properties ------------------------------------------------------------------------

START = datetime(2023, 12, 1, tzinfo=UTC)
OFFSETS = [UTC, WIB, timezone(timedelta(hours=-5)), ZoneInfo("Europe/Berlin")]


@st.composite
def transaction(draw):
    """A transaction of one of five customers within about three months, maybe a refund."""
    customer = draw(st.sampled_from(["a", "b", "c", "d", "e"]))
    moment = START + timedelta(minutes=draw(st.integers(0, 130_000)))
    moment = moment.astimezone(draw(st.sampled_from(OFFSETS)))
    cents = draw(st.integers(-5_000, 50_000))
    return (customer, moment, Decimal(cents).scaleb(-2))


transactions = st.lists(transaction(), max_size=40)
periods = st.sampled_from(["day", "week", "month"])
END = datetime(2024, 2, 15, tzinfo=UTC)
SPLIT = datetime(2024, 1, 10, tzinfo=UTC)


def accumulate(rows, period):
    """An accumulator of ``rows`` on the UTC calendar."""
    acc = SummaryAccumulator(period=period, tz=UTC)
    acc.extend(rows)
    return acc


def states(acc):
    """Every customer's state, as a plain dict."""
    return {customer: acc.state(customer) for customer in acc}


@given(transactions, st.lists(st.integers(0, 2), min_size=40, max_size=40), periods)
def test_merge_is_associative_and_commutative(rows, parts, period):
    """Partitions merge into the state of the whole, in any order and grouping."""
    split = [[row for row, part in zip(rows, parts, strict=False) if part == k] for k in range(3)]
    a, b, c = (accumulate(chunk, period) for chunk in split)
    whole = states(accumulate(rows, period))
    assert whole == states(a.merge(b).merge(c))
    assert whole == states(a.merge(b.merge(c)))
    assert whole == states(c.merge(a, b))
    assert whole == states(b.merge(c).merge(a))
    assert dict(accumulate(rows, period).summarize(observation_end=END)) == dict(
        c.merge(b, a).summarize(observation_end=END)
    )


@given(transactions, st.lists(st.integers(0, 1), min_size=40, max_size=40))
def test_customer_states_merge_like_their_union(rows, parts):
    """CustomerState.merge of two halves is the state of all of one customer's rows."""
    left = accumulate([r for r, p in zip(rows, parts, strict=False) if p == 0], "day")
    right = accumulate([r for r, p in zip(rows, parts, strict=False) if p == 1], "day")
    whole = accumulate(rows, "day")
    for customer in "abcde":
        merged = left.state(customer).merge(right.state(customer))
        assert whole.state(customer) == merged
        assert merged == right.state(customer).merge(left.state(customer))


@given(st.lists(st.sampled_from(["0", "1.5", "-2"]), min_size=2, max_size=6), periods)
def test_one_period_split_across_partitions_counts_once(amounts, period):
    """Transactions of one period, each in its own partition, still make one period."""
    rows = [("a", at(2024, 1, 3, hour), amount) for hour, amount in enumerate(amounts)]
    parts = [accumulate([row], period) for row in rows]
    merged = parts[0].merge(*parts[1:])
    assert states(accumulate(rows, period)) == states(merged)
    assert len(merged.state("a").periods) == 1


@given(transactions, periods)
def test_incremental_adds_equal_the_batch(rows, period):
    """add() one by one gives the same table as summarize() on the list."""
    acc = SummaryAccumulator(period=period, tz=UTC)
    for customer, moment, amount in rows:
        acc.add(customer, moment, amount)
    # The accumulator keeps period totals: it cuts the calibration at period granularity.
    batch = summarize(
        rows, period=period, observation_end=END, calibration_end=SPLIT, calibration_cut="period"
    )
    assert dict(batch) == dict(acc.summarize(observation_end=END, calibration_end=SPLIT))
    assert list(batch) == list(acc.summarize(observation_end=END, calibration_end=SPLIT))


@given(transactions, periods, st.randoms(use_true_random=False))
def test_the_order_of_transactions_does_not_matter(rows, period, rng):
    """Shuffling the input changes nothing but the customers' order."""
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert dict(summarize(rows, period=period, observation_end=END)) == dict(
        summarize(shuffled, period=period, observation_end=END)
    )


@given(transactions, periods)
def test_summary_invariants(rows, period):
    """Frequency never exceeds the transactions, 0 <= recency <= T, holdout within duration."""
    table = summarize(rows, period=period, observation_end=END, calibration_end=SPLIT)
    for customer, row in table.items():
        count = sum(1 for r in rows if r[0] == customer)
        assert row.frequency <= count
        assert 0 <= row.recency <= row.T
        assert row.frequency_holdout <= row.duration_holdout + 1
        assert row.frequency_holdout <= count


def oracle(rows, period, end):
    """A direct, independent computation of the summaries for the UTC calendar."""

    def bucket(moment):
        day = moment.astimezone(UTC).date()
        if period == "day":
            return day
        if period == "week":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    def distance(first, second):
        if period == "month":
            delta = relativedelta(second, first)
            return delta.years * 12 + delta.months
        return (second - first).days // (7 if period == "week" else 1)

    last_bucket = bucket(end)
    result = {}
    for customer in sorted({r[0] for r in rows}):
        totals, bought = {}, set()
        for who, moment, amount in rows:
            if who == customer and bucket(moment) <= last_bucket:
                totals[bucket(moment)] = totals.get(bucket(moment), Decimal(0)) + amount
                if amount >= 0:
                    bought.add(bucket(moment))
        if not bought:
            continue
        first, last = min(bought), max(bought)
        repeat = sum((v for k, v in totals.items() if k > first), Decimal(0))
        frequency = len(bought) - 1
        result[customer] = (
            frequency,
            distance(first, last),
            distance(first, last_bucket),
            repeat / frequency if frequency else Decimal(0),
        )
    return result


@given(transactions, periods)
def test_summaries_match_a_direct_computation(rows, period):
    """The accumulator agrees with a naive computation on calendar dates."""
    table = summarize(rows, period=period, observation_end=END)
    actual = {
        customer: (row.frequency, row.recency, row.T, row.monetary_value)
        for customer, row in table.items()
    }
    assert oracle(rows, period, END) == actual


# -- the CDNOW reference -------------------------------------------------------------


def cdnow_transactions(reference_data):
    """The CDNOW 1/10th sample as (sample id, midnight UTC, dollars) tuples."""
    path = reference_data("cdnow", "CDNOW_sample.txt")
    rows = []
    with path.open() as lines:
        for line in lines:
            _, sample_id, day, _, dollars = line.split()
            moment = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
            rows.append((int(sample_id), moment, Decimal(dollars)))
    return rows


def cdnow_reference(reference_data, name):
    """A published CDNOW summary file, keyed by customer id."""
    path = reference_data("cdnow", name)
    with path.open(newline="") as handle:
        return {int(row["ID"]): row for row in csv.DictReader(handle)}


def test_cdnow_summary_reproduces_the_published_file(reference_data):
    """Days counted once, spans in days / 7 to 1997-09-30: every customer matches."""
    table = summarize(
        cdnow_transactions(reference_data),
        period="day",
        unit="week",
        observation_end=datetime(1997, 9, 30, tzinfo=UTC),
    )
    published = cdnow_reference(reference_data, "cdnow_customers_summary.csv")
    assert sorted(published) == sorted(table)
    for customer, row in published.items():
        ours = table[customer]
        assert int(row["frequency"]) == ours.frequency, customer
        assert float(row["recency"]) == pytest.approx(ours.recency, abs=0.005 + 1e-9), customer
        assert float(row["T"]) == pytest.approx(ours.T, abs=0.005 + 1e-9), customer


def test_cdnow_monetary_value_reproduces_zbar(reference_data):
    """The mean repeat-day spend rounds (half up, to cents) to the published zbar."""
    table = summarize(
        cdnow_transactions(reference_data),
        period="day",
        unit="week",
        observation_end=datetime(1997, 9, 30, tzinfo=UTC),
    )
    published = cdnow_reference(reference_data, "cdnow_customers_summary_with_transactions.csv")
    cents = Decimal("0.01")
    mismatches = [
        customer
        for customer, row in published.items()
        if Decimal(row["zbar"]) != table[customer].monetary_value.quantize(cents, ROUND_HALF_UP)
    ]
    assert [] == mismatches
    assert 2357 == len(published)


def test_cdnow_compresses_to_fewer_histories_with_full_weight(reference_data):
    """The compressed CDNOW histories weigh up to the 2,357 customers."""
    table = summarize(
        cdnow_transactions(reference_data),
        period="day",
        unit="week",
        observation_end=datetime(1997, 9, 30, tzinfo=UTC),
    )
    compressed = table.compress()
    assert 2357 == sum(compressed["weights"])
    assert len(compressed["weights"]) < 2357


def test_a_seeded_shuffle_of_cdnow_merges_back(reference_data):
    """Eight random partitions of CDNOW merge into the summaries of the whole."""
    rows = cdnow_transactions(reference_data)
    rng = random.Random(6)  # noqa: S311 - seeded partitions, not cryptography.
    parts = [[] for _ in range(8)]
    for row in rows:
        parts[rng.randrange(8)].append(row)
    built = [accumulate(part, "day") for part in parts]
    end = datetime(1997, 9, 30, tzinfo=UTC)
    merged = built[0].merge(*built[1:]).summarize(observation_end=end, unit="week")
    assert dict(summarize(rows, period="day", unit="week", observation_end=end)) == dict(merged)


def test_compress_can_skip_newcomers_so_any_table_fits():
    """Customers first seen in the last period (T == 0) can be left out of the fit data."""
    end = datetime(2024, 3, 1, tzinfo=UTC)
    table = summarize(
        [
            ("old", datetime(2024, 1, 1, tzinfo=UTC), "10"),
            ("old", datetime(2024, 2, 1, tzinfo=UTC), "10"),
            ("new", end, "10"),
        ],
        period="day",
        observation_end=end,
    )
    assert [0.0, 60.0] == sorted(table.compress()["T"])
    assert {"frequency": [1], "recency": [31.0], "T": [60.0], "weights": [1]} == table.compress(
        skip_newcomers=True
    )
    with pytest.raises(InvalidType):
        table.compress(skip_newcomers=1)


def test_a_missing_customer_is_a_not_found_error_that_is_a_key_error():
    """D22: the lookup raises crmcore.NotFound (also a KeyError), never echoing the id."""
    table = summarize(
        [("ana", datetime(2024, 1, 1, tzinfo=UTC), Decimal(5))],
        period="day",
        observation_end=datetime(2024, 2, 1, tzinfo=UTC),
    )
    with pytest.raises(NotFound) as caught:
        table["zqx.marker@example.com"]
    assert "zqx" not in str(caught.value)
    assert isinstance(caught.value, KeyError)
    assert table.get("nobody") is None
    with pytest.raises(InvalidType):
        table[Decimal("sNaN")]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("recency", 10**400, "range"),
        ("T", 10**400, "range"),
        ("frequency", 2**63, "range"),
        ("T", float("inf"), "not_finite"),
    ],
)
def test_summary_numbers_beyond_63_bits_are_refused(field, value, code):
    """D23: huge ints are refused by range, never by an OverflowError from math.isfinite."""
    values = {"frequency": 1, "recency": 1, "T": 2, "monetary_value": Decimal(1)}
    values[field] = value
    with pytest.raises(ValidationError) as caught:
        CustomerSummary(**values)
    assert (f"$.{field}", code) == (caught.value.path, caught.value.code)


# -- objects read by attribute -----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Purchase:
    """A transaction as an object with the three attributes."""

    customer_id: object
    at: object
    amount: object


def as_money(rows, code="EUR"):
    """The rows with their amounts as Money."""
    return [(customer, moment, Money(amount, code)) for customer, moment, amount in rows]


@given(transactions, periods, st.booleans())
def test_objects_give_the_table_of_the_same_tuples(rows, period, money):
    """Objects with attributes, Decimal or Money amounts: the table of the same tuples."""
    rows = as_money(rows) if money else rows
    objects = [Purchase(*row) for row in rows]
    expected = summarize(rows, period=period, observation_end=END)
    assert dict(expected) == dict(summarize(objects, period=period, observation_end=END))


@given(crm.orders(currencies=["USD"]), periods)
def test_orders_give_the_table_of_their_tuples(order, period):
    """An order is read as (customer_id, at, amount)."""
    rows = [(order.customer_id, order.at, order.amount)]
    end = order.at + timedelta(days=30)
    assert dict(summarize(rows, period=period, observation_end=end)) == dict(
        summarize([order], period=period, observation_end=end)
    )


@pytest.mark.parametrize(
    ("item", "path", "error"),
    [
        (Purchase("c", NAIVE, Decimal(1)), "$.transactions[2].at", ValidationError),
        (Purchase("c", at(2024, 1, 3), float("inf")), "$.transactions[2].amount", ValidationError),
        (
            Purchase("c", at(2024, 1, 3), Money("1", "USD")),
            "$.transactions[2].amount",
            CurrencyMismatch,
        ),
        (
            Purchase(None, at(2024, 1, 3), Decimal(1)),
            "$.transactions[2].customer_id",
            ValidationError,
        ),
        (Purchase(["c"], at(2024, 1, 3), Decimal(1)), "$.transactions[2].customer_id", InvalidType),
        (
            Purchase("c", at(2024, 1, 3).astimezone(WIB), Decimal("NaN")),
            "$.transactions[2].amount",
            ValidationError,
        ),
    ],
)
def test_a_bad_object_after_good_ones_names_its_item_and_field(item, path, error):
    """Once a class was read by attribute, its later items are checked as fully as the first."""
    good = [Purchase("c", at(2024, 1, 1), Decimal(1)), Purchase("c", at(2024, 1, 2), Decimal(2))]
    with pytest.raises(error) as info:
        summarize([*good, item], period="day", observation_end=at(2024, 1, 9))
    assert path == info.value.path


def test_an_object_without_an_attribute_after_good_ones_is_refused():
    """An item of a known class that lacks an attribute is refused with the shape rule."""

    class Loose:
        def __init__(self, amount=None):
            self.customer_id, self.at = "c", at(2024, 1, 1)
            if amount is not None:
                self.amount = amount

    with pytest.raises(InvalidType) as info:
        summarize([Loose(Decimal(1)), Loose()], period="day", observation_end=at(2024, 1, 9))
    assert "$.transactions[1]" == info.value.path


def test_tuples_of_other_classes_are_read_by_position():
    """A named tuple is a tuple: its items are read in order, whatever its fields are called."""

    class Swapped(tuple):
        __slots__ = ()
        customer_id = "wrong"  # attributes a reader by attribute would take instead

        @property
        def at(self):
            return self[1]

        @property
        def amount(self):
            return self[2]

    rows = [Swapped(("c", at(2024, 1, 1), Decimal(1))), Swapped(("c", at(2024, 1, 4), Decimal(2)))]
    table = summarize(rows, period="day", observation_end=at(2024, 1, 9))
    assert ["c"] == list(table)


def test_mappings_with_attributes_are_read_by_key():
    """An item that is a mapping is read by key, even if it also has the attributes."""

    class Both(dict):
        customer_id = "wrong"  # attributes a reader by attribute would take instead
        at = datetime(2024, 1, 2, tzinfo=UTC)
        amount = Decimal(5)

    rows = [
        Both(customer_id="c", at=at(2024, 1, 1), amount=1),
        Both(customer_id="c", at=at(2024, 1, 4), amount=2),
    ]
    table = summarize(rows, period="day", observation_end=at(2024, 1, 9))
    assert ["c"] == list(table)
