"""Bulk-checked RFM columns: score_rfm_columns and rfm_values_columns against independent paths.

score_rfm_columns is held to score_rfm over RfmValues and to a tie rule written by hand;
rfm_values_columns to rfm_values over the same orders as tuples. Errors are held to the
row-by-row reading (class, path, code) by putting one bad value anywhere in a column.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.segmentation import (
    RfmValues,
    rfm_cut_points,
    rfm_values,
    rfm_values_columns,
    score_rfm,
    score_rfm_columns,
)
from crmcore.testing.strategies import aware_datetimes, moneys

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def by_hand(values, higher_is_better):
    n = len(values)
    out = []
    for value in values:
        start = sum(1 for other in values if other < value)
        end = sum(1 for other in values if other <= value)
        score = (start + end) * 5 // (2 * n) + 1
        out.append(score if higher_is_better else 6 - score)
    return out


amounts = st.one_of(
    st.integers(-(10**6), 10**6),
    st.decimals(-(10**6), 10**6, places=2, allow_nan=False),
)
rows = st.lists(
    st.tuples(st.integers(0, 50), st.integers(0, 9), st.integers(-50, 50)),
    min_size=1,
    max_size=30,
)


@given(rows, st.sampled_from(["int", "decimal", "str", "float", "money"]))
def test_scores_equal_score_rfm_and_the_hand_rule(data, kind):
    ids = [f"c{index}" for index in range(len(data))]
    days = [d for d, _, _ in data]
    counts = [f for _, f, _ in data]
    cents = [m for _, _, m in data]
    column = {
        "int": cents,
        "decimal": [Decimal(c).scaleb(-2) for c in cents],
        "str": [f" {Decimal(c).scaleb(-2)}" for c in cents],
        "float": [c / 100 for c in cents],
        "money": [Money(Decimal(c).scaleb(-2), "EUR") for c in cents],
    }[kind]
    got = score_rfm_columns(ids, days, counts, column)
    shift = 0 if kind == "int" else -2
    values = [
        RfmValues(i, d, f, Money(Decimal(c).scaleb(shift), "EUR"))
        for i, d, f, c in zip(ids, days, counts, cents, strict=True)
    ]
    scores = score_rfm(values)
    assert got == {
        "customer_id": ids,
        "r": [s.r for s in scores],
        "f": [s.f for s in scores],
        "m": [s.m for s in scores],
    }
    assert got["r"] == by_hand(days, False)
    assert got["m"] == by_hand(cents, True)
    cuts = rfm_cut_points(values)
    assert score_rfm_columns(ids, days, counts, column, cut_points=cuts)["m"] == got["m"]


def test_hand_computed_ties():
    got = score_rfm_columns(list("abcde"), [5, 5, 5, 1, 9], [1, 1, 2, 2, 2], [7.5, 7.5, 1, 2, 2])
    # recency 1 | 5 5 5 | 9: groups (0,1), (1,4), (4,5) of n=5
    assert got["r"] == [3, 3, 3, 6 - 1, 6 - 5]
    assert got["f"] == [2, 2, 4, 4, 4]
    assert got["m"] == [5, 5, 1, 3, 3]


BAD_SCORES = [
    ("customer_id", None, ValidationError, "$.customer_id[{}]", "required"),
    ("customer_id", 1.5, InvalidType, "$.customer_id[{}]", "type"),
    ("recency", -1, ValidationError, "$.recency[{}]", "range"),
    ("recency", 2**63, ValidationError, "$.recency[{}]", "range"),
    ("recency", True, InvalidType, "$.recency[{}]", "type"),
    ("frequency", None, ValidationError, "$.frequency[{}]", "required"),
    ("frequency", "3", InvalidType, "$.frequency[{}]", "type"),
    ("monetary", float("nan"), ValidationError, "$.monetary[{}]", "required"),
    ("monetary", float("inf"), ValidationError, "$.monetary[{}]", "not_finite"),
    ("monetary", 1e-200, ValidationError, "$.monetary[{}]", "too_long"),
    ("monetary", 10**100, ValidationError, "$.monetary[{}]", "too_long"),
    ("monetary", "x1", ValidationError, "$.monetary[{}]", "decimal"),
    ("monetary", Decimal("NaN"), ValidationError, "$.monetary[{}]", "not_finite"),
    ("monetary", Decimal("1E+200"), ValidationError, "$.monetary[{}]", "too_long"),
    ("monetary", Money(1, "USD"), CurrencyMismatch, "$.monetary[{}]", None),
]


@pytest.mark.parametrize(("column", "bad", "error", "path", "code"), BAD_SCORES)
@pytest.mark.parametrize("where", [0, 3, 6])
@pytest.mark.parametrize("kind", ["int", "str", "float", "decimal"])
def test_score_errors_name_the_bad_row(column, bad, error, path, code, where, kind):  # noqa: PLR0917
    columns = {
        "customer_id": [f"c{i}" for i in range(7)],
        "recency": [1, 2, 3, 4, 5, 6, 7],
        "frequency": [1, 1, 2, 2, 3, 3, 4],
        "monetary": {
            "int": [1, 2, 3, 4, 5, 6, 7],
            "str": ["1", "2", "3", "4", "5", "6", "7.5"],
            "float": [1.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0],
            "decimal": [Decimal(i) for i in range(7)],
        }[kind],
    }
    columns[column] = list(columns[column])
    columns[column][where] = bad
    with pytest.raises(error) as caught:
        score_rfm_columns(*columns.values())
    # Money beside plain numbers: the first plain number is the one without a currency.
    row = (1 if where == 0 else 0) if isinstance(bad, Money) else where
    assert caught.value.path == path.format(row)
    if code is not None:
        assert caught.value.code == code


def test_money_columns_keep_their_currency_checks():
    cuts = rfm_cut_points([RfmValues("a", 1, 1, Money(1, "EUR"))])
    with pytest.raises(CurrencyMismatch) as caught:
        score_rfm_columns(["a", "b"], [1, 2], [1, 2], [Money(1, "USD")] * 2, cut_points=cuts)
    assert caught.value.path == "$.monetary[0]"
    with pytest.raises(CurrencyMismatch) as caught:
        score_rfm_columns(["a", "b"], [1, 2], [1, 2], [Money(1, "USD"), Money(1, "EUR")])
    assert caught.value.path == "$.monetary[1]"


# -- rfm_values_columns ----------------------------------------------------------------------

orders = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", 7, 10]),
        aware_datetimes(
            min_value=datetime(2024, 1, 1, tzinfo=UTC), max_value=datetime(2026, 7, 10, tzinfo=UTC)
        ),
        moneys(currencies=["USD"], min_value=Decimal(-100), max_value=Decimal(10**6)),
    ),
    max_size=25,
)


def expected(records, at=AT):
    return {
        "customer_id": [v.customer_id for v in rfm_values(records, at=at)],
        "recency_days": [v.recency_days for v in rfm_values(records, at=at)],
        "frequency": [v.frequency for v in rfm_values(records, at=at)],
        "monetary": [v.monetary.amount for v in rfm_values(records, at=at)],
    }


def same(got, want):
    assert got == want
    assert list(map(str, got["monetary"])) == list(map(str, want["monetary"]))


@given(orders)
def test_values_equal_rfm_values(records):
    ids = [r[0] for r in records]
    times = [r[1] for r in records]
    want = expected(records)
    same(rfm_values_columns(ids, times, [r[2] for r in records], at=AT), want)
    same(rfm_values_columns(ids, times, [r[2].amount for r in records], at=AT), want)
    same(rfm_values_columns(ids, times, [str(r[2].amount) for r in records], at=AT), want)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 5), st.integers(-(10**9), 2 * 10**9), st.integers(-(10**4), 10**7)
        ),
        max_size=25,
    ),
    st.sampled_from(["s", "ms", "us", "ns"]),
    st.sampled_from([UTC, timezone(timedelta(hours=-5)), ZoneInfo("Europe/Berlin")]),
    st.integers(0, 4),
)
def test_epoch_and_minor_units_equal_rfm_values(rows, unit, zone, scale):
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    at = datetime(2026, 6, 30, 12, tzinfo=zone)
    ids = [r[0] for r in rows]
    epochs = [r[1] * per_second // 1000 for r in rows]
    units = [r[2] for r in rows]
    records = [
        (
            i,
            (
                datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=e * 10**6 // per_second)
            ).astimezone(zone),
            Money(Decimal(u).scaleb(-scale), "USD"),
        )
        for i, e, u in zip(ids, epochs, units, strict=True)
    ]
    got = rfm_values_columns(ids, epochs, units, at=at, time_unit=unit, tz=zone, amount_scale=scale)
    same(got, expected(records, at))
    plain = rfm_values_columns(ids, epochs, units, at=at, time_unit=unit, tz=zone)
    assert plain["recency_days"] == got["recency_days"]


def test_floats_are_read_at_their_shortest_repr():
    got = rfm_values_columns(["a", "a"], [AT, AT], [0.1, 0.2], at=AT)
    assert got["monetary"] == [Decimal("0.3")]


def test_orders_after_at_are_left_out():
    later = AT + timedelta(microseconds=1)
    got = rfm_values_columns(["a", "b"], [AT, later], [1, 2], at=AT)
    assert got == {"customer_id": ["a"], "recency_days": [0], "frequency": [1], "monetary": [1]}
    empty = rfm_values_columns(["b"], [later], [2], at=AT)
    assert empty == {"customer_id": [], "recency_days": [], "frequency": [], "monetary": []}


BAD_ORDERS = [
    ("customer_id", None, ValidationError, "required"),
    ("customer_id", [1], InvalidType, "type"),
    ("at", None, ValidationError, "required"),
    ("at", datetime(2026, 1, 1), ValidationError, "naive_datetime"),  # noqa: DTZ001
    ("at", 5, InvalidType, "type"),
    ("amount", float("nan"), ValidationError, "required"),
    ("amount", float("inf"), ValidationError, "not_finite"),
    ("amount", "x", ValidationError, "decimal"),
    ("amount", Money(1, "USD"), CurrencyMismatch, "currency_mismatch"),
]


@pytest.mark.parametrize(("column", "bad", "error", "code"), BAD_ORDERS)
@pytest.mark.parametrize("where", [0, 2])
def test_value_errors_name_the_bad_row(column, bad, error, code, where):
    cols = {"customer_id": ["a", "b", "c"], "at": [AT] * 3, "amount": ["1", "2", "3"]}
    cols[column][where] = bad
    with pytest.raises(error) as caught:
        rfm_values_columns(*cols.values(), at=AT)
    name = "ordered_at" if column == "at" else column
    row = 1 if isinstance(bad, Money) and where == 0 else where  # the first to disagree
    assert caught.value.path == f"$.{name}[{row}]"
    assert caught.value.code == code
    skipped = rfm_values_columns(*cols.values(), at=AT, on_error="skip")
    kept = [i for i in range(3) if i != where]
    if isinstance(bad, Money) and where == 0:
        kept = [0]  # the first amount's kind wins: the plain numbers after it are skipped
    assert skipped["customer_id"] == [["a", "b", "c"][i] for i in kept]


@pytest.mark.parametrize(
    ("options", "path", "code"),
    [
        ({"time_unit": "h", "tz": UTC}, "$.time_unit", "choice"),
        ({"time_unit": "s"}, "$.tz", "required"),
        ({"tz": "UTC"}, "$.tz", "type"),
        ({"amount_scale": 1.5}, "$.amount_scale", "type"),
        ({"amount_scale": 19}, "$.amount_scale", "range"),
        ({"currency": 3}, "$.currency", "type"),
        ({"on_error": "ignore"}, "$.on_error", "choice"),
    ],
)
def test_bad_options(options, path, code):
    with pytest.raises(ValidationError) as caught:
        rfm_values_columns([1], [0], [1], at=AT, **options)
    assert (caught.value.path, caught.value.code) == (path, code)


def test_epoch_and_minor_unit_row_errors():
    with pytest.raises(InvalidType) as caught:
        rfm_values_columns([1, 2], [0, 0], [1, 2.5], at=AT, time_unit="s", tz=UTC, amount_scale=2)
    assert (caught.value.path, caught.value.code) == ("$.amount[1]", "float")
    with pytest.raises(ValidationError) as caught:
        rfm_values_columns([1, 2], [0, 10**12], [1, 2], at=AT, time_unit="s", tz=UTC)
    assert (caught.value.path, caught.value.code) == ("$.ordered_at[1]", "out_of_range")
    with pytest.raises(InvalidType):
        rfm_values_columns([1], ["0"], [1], at=AT, time_unit="s", tz=UTC)
    with pytest.raises(ValidationError) as caught:
        rfm_values_columns([1], [0], [10**100], at=AT, time_unit="s", tz=UTC, amount_scale=0)
    assert caught.value.code == "too_long"
    with pytest.raises(CurrencyMismatch):
        rfm_values_columns([1], [AT], [Money(1, "USD")], at=AT, currency="EUR")


def test_big_int_sums_are_summed_as_decimals():
    big = 5 * 10**27  # three of them pass the decimal precision: summed as Decimals
    got = rfm_values_columns(["a"] * 3, [AT] * 3, [big, big, 1], at=AT, amount_scale=10)
    money = [Money(Decimal(units).scaleb(-10), "USD") for units in (big, big, 1)]
    same(got, expected([("a", AT, m) for m in money]))
