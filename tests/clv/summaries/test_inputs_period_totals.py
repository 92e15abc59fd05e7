"""from_period_total_columns equals from_period_totals over the same rows; bad rows raise or skip."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.clv.summaries._state import SummaryAccumulator

END = datetime(2000, 1, 1, tzinfo=UTC)

rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", 7, 8]),
        st.integers(min_value=10_000, max_value=10_900),
        st.none() | st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False),
        st.decimals(min_value=-50, max_value=0, places=2, allow_nan=False),
    ),
    max_size=50,
)


def columns_of(rows):
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[], [], [], []]


def view(acc):
    return (acc.currency, list(acc.period_totals()), list(acc), acc.summarize(observation_end=END))


@given(rows_strategy, st.sampled_from([None, "EUR"]))
def test_columns_equal_rows(rows, currency):
    acc, report = SummaryAccumulator.from_period_total_columns(
        *columns_of(rows), period="day", tz=UTC
    )
    expected = SummaryAccumulator.from_period_totals(rows, period="day", tz=UTC)
    assert view(acc) == view(expected)
    assert (report.rows, report.skipped) == (len(rows), ())
    if currency is not None:
        money_rows = [
            (c, k, None if p is None else Money(p, currency), Money(r, currency))
            for c, k, p, r in rows
        ]
        acc, _ = SummaryAccumulator.from_period_total_columns(
            *columns_of(rows), period="day", tz=UTC, currency=currency
        )
        expected = SummaryAccumulator.from_period_totals(
            money_rows, period="day", tz=UTC, currency=currency
        )
        assert view(acc) == view(expected)


@given(rows_strategy)
def test_minor_units_equal_decimals(rows):
    cents = [(c, k, None if p is None else int(p * 100), int(r * 100)) for c, k, p, r in rows]
    acc, _ = SummaryAccumulator.from_period_total_columns(
        *columns_of(cents), period="week", tz=UTC, amount_scale=2
    )
    expected = SummaryAccumulator.from_period_totals(rows, period="week", tz=UTC)
    assert view(acc) == view(expected)


BAD = [
    (("a", 1, "-1", "0"), "$.purchases[{}]", "negative"),
    (("a", 1, "1", "2"), "$.refunds[{}]", "positive"),
    (("a", 1, float("inf"), "0"), "$.purchases[{}]", "not_finite"),
    (("a", 1, "1", None), "$.refunds[{}]", "required"),
    ((None, 1, "1", "0"), "$.customer_id[{}]", "required"),
    ((["x"], 1, "1", "0"), "$.customer_id[{}]", "type"),
    (("a", "1", "1", "0"), "$.period_index[{}]", "type"),
    (("a", 2**64, "1", "0"), "$.period_index[{}]", "range"),
    (("a", None, "1", "0"), "$.period_index[{}]", "required"),
    (("a", 1, "abc", "0"), "$.purchases[{}]", "decimal"),
    (("a", 1, Money(1, "USD"), "0"), "$.purchases[{}]", "currency_mismatch"),
]


@pytest.mark.parametrize(("bad", "path", "code"), BAD)
def test_a_bad_row_raises_with_its_path_or_is_skipped(bad, path, code):
    good = [("a", 1, "5", "0"), ("b", 2, None, "-1")]
    rows = [*good, bad, ("c", 3, "2", "0")]
    with pytest.raises(ValidationError) as caught:
        SummaryAccumulator.from_period_total_columns(*columns_of(rows), period="day", tz=UTC)
    assert (caught.value.path, caught.value.code) == (path.format(2), code)
    acc, report = SummaryAccumulator.from_period_total_columns(
        *columns_of(rows), period="day", tz=UTC, on_error="skip"
    )
    assert report.skipped == (2,)
    assert report.codes == (code,)
    assert report.mask == (True, True, False, True)
    kept = [row for row, taken in zip(rows, report.mask, strict=True) if taken]
    assert view(acc) == view(SummaryAccumulator.from_period_totals(kept, period="day", tz=UTC))


def test_bad_columns_and_settings_always_raise():
    with pytest.raises(ValidationError) as caught:
        SummaryAccumulator.from_period_total_columns(
            ["a"], [1, 2], ["1"], ["0"], period="day", tz=UTC
        )
    assert (caught.value.path, caught.value.code) == ("$.period_index", "length_mismatch")
    with pytest.raises(InvalidType):
        SummaryAccumulator.from_period_total_columns("abc", [1], ["1"], ["0"], period="day", tz=UTC)
    with pytest.raises(ValidationError) as caught:
        SummaryAccumulator.from_period_total_columns(
            [], [], [], [], period="day", tz=UTC, on_error="ignore"
        )
    assert caught.value.path == "$.on_error"
    for scale, kind in (
        (-1, ValidationError),
        (19, ValidationError),
        (1.5, InvalidType),
        (True, InvalidType),
    ):
        with pytest.raises(kind) as caught:
            SummaryAccumulator.from_period_total_columns(
                [], [], [], [], period="day", tz=UTC, amount_scale=scale
            )
        assert caught.value.path == "$.amount_scale"
    with pytest.raises(InvalidType) as caught:
        SummaryAccumulator.from_period_total_columns(
            ["a"], [1], ["1"], ["0"], period="day", tz=UTC, amount_scale=2
        )
    assert caught.value.path == "$.purchases[0]"


def test_money_columns_take_the_first_currency_and_refuse_others():
    rows = [("a", 1, Money(5, "USD"), Money(0, "USD")), ("a", 2, None, Money(-1, "EUR"))]
    with pytest.raises(CurrencyMismatch) as caught:
        SummaryAccumulator.from_period_total_columns(*columns_of(rows), period="day", tz=UTC)
    assert caught.value.path == "$.refunds[1]"
    acc, report = SummaryAccumulator.from_period_total_columns(
        *columns_of(rows), period="day", tz=UTC, on_error="skip"
    )
    assert acc.currency == "USD"
    assert report.codes == ("currency_mismatch",)
    plain = [("a", 1, Decimal(1), Decimal(0)), ("a", 2, Money(1, "USD"), Decimal(0))]
    with pytest.raises(CurrencyMismatch):
        SummaryAccumulator.from_period_total_columns(*columns_of(plain), period="day", tz=UTC)


def test_numpy_and_arrow_columns_are_read_as_they_are():
    np = pytest.importorskip("numpy")
    pa = pytest.importorskip("pyarrow")
    acc, _ = SummaryAccumulator.from_period_total_columns(
        pa.array(["a", "a"]),
        np.array([10_000, 10_003], dtype="int64"),
        pa.array([Decimal("1.50"), None], type=pa.decimal128(18, 2)),
        pa.array([Decimal("0.00"), Decimal("-0.50")], type=pa.decimal128(18, 2)),
        period="day",
        tz=UTC,
    )
    rows = [("a", 10_000, Decimal("1.50"), Decimal(0)), ("a", 10_003, None, Decimal("-0.50"))]
    assert view(acc) == view(SummaryAccumulator.from_period_totals(rows, period="day", tz=UTC))
