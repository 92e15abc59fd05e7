"""Plain-number order amounts in analytics and RFM; the Decimal size check in summaries.

Issue 21 item 3: every analytics entry point that reads ``(customer_id, at,
amount)`` orders takes floats (at their shortest decimal representation),
numpy scalars and DataFrame rows as amounts, not only Money. Each property
compares a float input with the same values as Money of ``Decimal(repr(x))``
(the Money path that existed before), an independent path to the same
figures. The second part checks that a Decimal too long for ``to_decimal`` is
refused wherever it stands in a column (it used to pass when not first).

numpy, pandas and polars are used when installed; under ``CI=true`` a missing
one fails instead of skipping.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore._kernel._checks import to_decimal
from crmcore._kernel._numbers import bounds_check, decimals_fit
from crmcore._kernel._records import read_order_times, read_orders
from crmcore.analytics import (
    average_order_value,
    cohort_retention,
    hierarchy_rollup,
    purchase_frequency,
    purchase_summary,
    repeat_purchase_rate,
    retention_by_period,
    top_clv_products,
    top_products,
)
from crmcore.clv import SummaryAccumulator, accumulate_columns, summarize, summarize_columns
from crmcore.customers import CustomerId
from crmcore.segmentation import purchase_facts, rfm_values

START = datetime(2024, 1, 1, tzinfo=UTC)
AT = datetime(2024, 6, 1, tzinfo=UTC)
SECRET = 987654.321  # a value that must never appear in a message


# Money-sized amounts (Money takes up to 100 digits after the point; these stay far inside).
amounts = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False).map(
    lambda x: x if abs(x) >= 1e-60 else 0.0
)
orders_drawn = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 150), amounts),
    max_size=20,
)


def _orders(drawn, convert, *, lines=False):
    out = []
    for who, day, amount in drawn:
        row = (who, START + timedelta(days=day), convert(amount))
        if lines:
            row = (*row, [(f"p{day % 3}", None, day % 4 + 1)])
        out.append(row)
    return out


def _as_money(x: float) -> Money:
    return Money(Decimal(repr(x)), "USD")


def _outcome(call):
    """The result, or the error's class, path and code: floats and Money must agree on both."""
    try:
        return ("ok", call())
    except ValidationError as exc:
        return ("error", type(exc), exc.path, exc.code)


# -- plain numbers against Money of their shortest repr ---------------------------------------


@given(orders_drawn)
def test_every_entry_point_reads_floats_as_money_of_their_repr(drawn):
    """Floats (in amount_currency) give what Money of Decimal(repr(x)) gives, entry point by entry point."""
    floats, monies = _orders(drawn, float), _orders(drawn, _as_money)
    usd = {"amount_currency": "USD"}
    pairs = [
        (lambda o, k: rfm_values(o, at=AT, **k)),
        (lambda o, k: dict(purchase_facts(o, at=AT, **k))),
        (lambda o, k: purchase_summary(o, **k)),
        (lambda o, k: average_order_value(o, **k)),
        (lambda o, k: purchase_frequency(o)),
        (lambda o, k: repeat_purchase_rate(o)),
        (lambda o, k: cohort_retention(o)),
        (lambda o, k: retention_by_period(o, granularity="week")),
        (
            lambda o, k: hierarchy_rollup(
                [CustomerId("a"), CustomerId("b")],
                orders=[(CustomerId(w), t, a) for w, t, a in o],
                **k,
            )
        ),
    ]
    for call in pairs:
        assert _outcome(lambda c=call: c(floats, usd)) == _outcome(lambda c=call: c(monies, {}))


@given(orders_drawn)
def test_floats_and_their_decimal_repr_agree(drawn):
    """Float and Decimal(repr(x)) amounts are the same input to every entry point."""
    floats = _orders(drawn, float)
    decimals = _orders(drawn, lambda x: Decimal(repr(x)))
    for call in (
        lambda o: rfm_values(o, at=AT, amount_currency="IDR"),
        lambda o: purchase_summary(o, amount_currency="IDR"),
        lambda o: dict(purchase_facts(o, at=AT, amount_currency="IDR")),
        lambda o: cohort_retention(o, granularity="week"),
        purchase_frequency,
    ):
        assert _outcome(lambda c=call: c(floats)) == _outcome(lambda c=call: c(decimals))


@given(orders_drawn, st.integers(1, 5))
def test_products_ignore_the_amount_kind(drawn, limit):
    """top_products and top_clv_products (by quantity) read no amount: floats change nothing."""
    floats, monies = _orders(drawn, float, lines=True), _orders(drawn, _as_money, lines=True)
    assert top_products(floats, limit=limit) == top_products(monies, limit=limit)
    clv = {"a": 5.5, "b": 1.0, "c": 3.25, "d": 0.5}
    assert top_clv_products(floats, clv, limit=limit) == top_clv_products(monies, clv, limit=limit)


def test_hand_computed_rfm_and_summary():
    """Small cases worked by hand: 0.1 + 0.2 is 0.3 at the shortest repr, not 0.30000000000000004."""
    t = lambda day: START + timedelta(days=day)  # noqa: E731
    orders = [("a", t(0), 0.1), ("a", t(10), 0.2), ("b", t(5), 7), ("b", t(6), "2.50")]
    values = rfm_values(orders, at=t(30), amount_currency="usd")
    assert [(v.customer_id, v.recency_days, v.frequency, v.monetary) for v in values] == [
        ("a", 20, 2, Money("0.3", "USD")),
        ("b", 24, 2, Money("9.50", "USD")),
    ]
    summary = purchase_summary(orders, amount_currency="USD")
    assert summary.revenue == Money("9.8", "USD")
    assert (summary.orders, summary.customers, summary.repeat_customers) == (4, 2, 2)
    assert average_order_value(orders, amount_currency="USD") == Money("2.45", "USD")
    assert purchase_frequency(orders) == 2.0
    assert repeat_purchase_rate(orders) == 1.0
    facts = purchase_facts(orders, at=t(30), amount_currency="USD")
    assert facts["a"]["total_spent"] == Money("0.3", "USD")
    assert facts["a"]["average_order_value"] == Money("0.15", "USD")


def test_plain_amounts_convert_to_the_reporting_currency():
    """amount_currency names what the numbers are in; currency still names what to report in."""
    from crmcore.exchange import ExchangeRate, RateTable  # noqa: PLC0415

    rates = RateTable([ExchangeRate("USD", "IDR", "16000", valid_from=START.date())])
    orders = [("a", START, 480000.0), ("b", START, 160000)]
    summary = purchase_summary(orders, amount_currency="IDR", currency="USD", rates=rates)
    assert summary.revenue == Money("40.00", "USD")
    rollup = hierarchy_rollup(
        [CustomerId("a")],
        orders=[(CustomerId(w), t, a) for w, t, a in orders],
        amount_currency="IDR",
        currency="USD",
        rates=rates,
    )
    assert rollup.revenue == Money("30.00", "USD")


def test_money_amounts_keep_their_currency_whatever_amount_currency_says():
    """amount_currency is read for plain numbers only; Money carries its own currency."""
    orders = [("a", START, Money("3", "EUR"))]
    assert rfm_values(orders, at=AT, amount_currency="USD")[0].monetary == Money("3", "EUR")


def test_amounts_not_used_need_no_currency():
    """Retention and frequency take plain numbers without amount_currency."""
    orders = [("a", START, 1.5), ("b", START + timedelta(days=40), 2)]
    assert cohort_retention(orders).sizes == (1, 1)
    assert len(retention_by_period(orders)) == 2
    assert purchase_frequency(orders) == 1.0
    assert purchase_frequency([]) is None
    assert repeat_purchase_rate([]) is None
    assert read_order_times(orders, one_currency=True)[0].currency is None


# -- refusals: specific, at a path, never with the value ---------------------------------------


MIXED = [
    [("a", START, Money("1", "USD")), ("b", START, SECRET)],
    [("a", START, SECRET), ("b", START, Money("1", "USD"))],
]
ENTRY_POINTS = {
    "rfm_values": lambda o: rfm_values(o, at=AT, amount_currency="USD"),
    "purchase_facts": lambda o: purchase_facts(o, at=AT, amount_currency="USD"),
    "purchase_summary": lambda o: purchase_summary(o, amount_currency="USD"),
    "average_order_value": lambda o: average_order_value(o, amount_currency="USD"),
    "purchase_frequency": purchase_frequency,
    "repeat_purchase_rate": repeat_purchase_rate,
    "cohort_retention": cohort_retention,
    "retention_by_period": retention_by_period,
    "hierarchy_rollup": lambda o: hierarchy_rollup(
        [CustomerId("a")],
        orders=[(CustomerId(w), t, a) for w, t, a in o],
        amount_currency="USD",
    ),
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("orders", MIXED)
def test_mixing_money_and_plain_numbers_is_refused(name, orders):
    """One call takes Money or plain numbers, never both: the second order is named."""
    with pytest.raises(CurrencyMismatch) as info:
        ENTRY_POINTS[name](orders)
    assert info.value.path == "$.orders[1].amount"
    assert "987654" not in str(info.value)


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), Decimal("NaN")])
def test_nan_and_infinity_are_refused(name, bad):
    """NaN and infinities are not_finite, at the order's amount, even where amounts are unused."""
    with pytest.raises(ValidationError) as info:
        ENTRY_POINTS[name]([("a", START, SECRET), ("a", START, bad)])
    assert (info.value.path, info.value.code) == ("$.orders[1].amount", "not_finite")


@pytest.mark.parametrize(
    "call",
    [
        lambda o: rfm_values(o, at=AT),
        lambda o: purchase_facts(o, at=AT),
        lambda o: purchase_summary(o, currency="USD"),
        average_order_value,
        lambda o: hierarchy_rollup([CustomerId("a")], orders=[(CustomerId("a"), START, SECRET)]),
    ],
)
def test_plain_numbers_need_a_named_currency_where_the_amount_is_money(call):
    """Revenue and monetary value are Money: the numbers' currency is never guessed."""
    with pytest.raises(ValidationError) as info:
        call([("a", START, SECRET)])
    assert (info.value.path, info.value.code) == ("$.amount_currency", "required")
    assert "987654" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "error", "path"),
    [
        ("XYZ", ValidationError, "$.amount_currency"),
        (840, InvalidType, "$.amount_currency"),
    ],
)
def test_amount_currency_is_checked(value, error, path):
    """amount_currency must be an ISO 4217 code, checked even without orders."""
    for call in (
        lambda: rfm_values([], at=AT, amount_currency=value),
        lambda: purchase_summary([], amount_currency=value),
        lambda: purchase_facts([], at=AT, amount_currency=value),
        lambda: hierarchy_rollup([], amount_currency=value),
    ):
        with pytest.raises(error) as info:
            call()
        assert info.value.path == path


@pytest.mark.parametrize(
    ("amount", "error", "code"),
    [
        (True, InvalidType, None),
        ([1], InvalidType, None),
        ("ten", ValidationError, "decimal"),
        (Decimal("1E+100"), ValidationError, "too_long"),
    ],
)
def test_other_amounts_are_refused_at_their_path(amount, error, code):
    """Bools, containers, non-numeric text and oversized numbers: refused, the order named."""
    for call in ENTRY_POINTS.values():
        with pytest.raises(error) as info:
            call([("a", START, 1.0), ("a", START, amount)])
        assert info.value.path == "$.orders[1].amount"
        if code is not None:
            assert info.value.code == code


def test_money_in_two_currencies_still_refused_where_it_was():
    """purchase_frequency kept its one-currency rule for Money; retention never had it."""
    orders = [("a", START, Money("1", "USD")), ("b", START, Money("1", "EUR"))]
    with pytest.raises(CurrencyMismatch) as info:
        purchase_frequency(orders)
    assert info.value.path == "$.orders[1].amount"
    assert cohort_retention(orders).sizes == (2,)


def test_late_orders_are_checked_too():
    """An order after ``until`` is left out, but still checked (no mixing hidden by the window)."""
    late = START + timedelta(days=400)
    rows = read_orders([("a", START, 1), ("a", late, 2)], until=AT, currency="USD")
    assert [row.amount for row in rows] == [Money("1", "USD")]
    with pytest.raises(CurrencyMismatch):
        read_orders([("a", START, 1), ("a", late, Money("2", "USD"))], until=AT, currency="USD")


# -- numpy scalars and DataFrames ----------------------------------------------------------


def test_numpy_scalars(np):
    """Numpy floats at their own shortest repr (float32 0.1 is 0.1), numpy ints exactly."""
    orders = [
        ("a", START, np.float64(0.1)),
        ("a", START, np.float32(0.1)),
        ("b", START, np.int64(3)),
    ]
    values = rfm_values(orders, at=AT, amount_currency="USD")
    assert [v.monetary for v in values] == [Money("0.2", "USD"), Money("3", "USD")]
    assert purchase_frequency(orders) == 1.5
    with pytest.raises(ValidationError) as info:
        rfm_values([("a", START, np.float64("nan"))], at=AT, amount_currency="USD")
    assert info.value.code == "not_finite"


@given(orders_drawn)
def test_pandas_rows_match_the_tuples(pd, drawn):
    """``df.itertuples(index=False)`` rows (pandas Timestamps, numpy floats) give what tuples give."""
    frame = pd.DataFrame(
        {
            "customer_id": [who for who, _, _ in drawn],
            "at": pd.to_datetime([START + timedelta(days=day) for _, day, _ in drawn], utc=True),
            "amount": pd.Series([amount for _, _, amount in drawn], dtype="float64"),
        }
    )
    tuples = _orders(drawn, float)
    rows = list(frame.itertuples(index=False))
    assert rfm_values(rows, at=AT, amount_currency="USD") == rfm_values(
        tuples, at=AT, amount_currency="USD"
    )
    assert purchase_summary(rows, amount_currency="USD") == purchase_summary(
        tuples, amount_currency="USD"
    )
    assert cohort_retention(rows) == cohort_retention(tuples)


def test_polars_rows_match_the_tuples(pl):
    """``df.iter_rows()`` of a polars frame gives plain tuples: the same figures."""
    t = [START, START + timedelta(days=3), START + timedelta(days=40)]
    frame = pl.DataFrame({"customer_id": ["a", "a", "b"], "at": t, "amount": [0.1, 0.2, 4.5]})
    tuples = [("a", t[0], 0.1), ("a", t[1], 0.2), ("b", t[2], 4.5)]
    rows = list(frame.iter_rows())
    assert rfm_values(rows, at=AT, amount_currency="USD") == rfm_values(
        tuples, at=AT, amount_currency="USD"
    )
    assert retention_by_period(rows) == retention_by_period(tuples)


# -- the Decimal size check, wherever the Decimal stands (task 2) -------------------------------


TOO_LONG = [Decimal("1E+100"), Decimal("5E-324"), Decimal("1." + "0" * 120), Decimal("0E-101")]


def _summaries(amounts):
    """Every reading of one customer's amounts: rows, columns, the accumulator (add, extend)."""
    n = len(amounts)
    times = [START + timedelta(days=i) for i in range(n)]
    rows = list(zip(["a"] * n, times, amounts, strict=True))
    end = START + timedelta(days=n + 1)

    def add_each():
        acc = SummaryAccumulator(period="day", tz=UTC)
        for row in rows:
            acc.add(*row)

    def extend():
        SummaryAccumulator(period="day", tz=UTC).extend(rows)

    def accumulate():
        acc = SummaryAccumulator(period="day", tz=UTC)
        accumulate_columns(acc, ["a"] * n, times, amounts)

    return {
        "summarize": lambda: summarize(rows, observation_end=end, period="day"),
        "summarize_columns": lambda: summarize_columns(
            ["a"] * n, times, amounts, observation_end=end, period="day"
        ),
        "add": add_each,
        "extend": extend,
        "accumulate_columns": accumulate,
    }


@pytest.mark.parametrize("bad", TOO_LONG, ids=str)
@pytest.mark.parametrize("position", [0, 1, 3])
def test_too_long_decimals_are_refused_wherever_they_stand(bad, position):
    """First, later or last in a column of Decimals (or beside an int): refused alike."""
    for column in (
        [Decimal("2.50")] * 4,
        [Decimal("2.50"), 3, Decimal(1), Decimal(4)],
    ):
        amounts = list(column)
        amounts[position] = bad
        for name, call in _summaries(amounts).items():
            with pytest.raises(ValidationError) as info:
                call()
            assert info.value.code == "too_long", name
            expected = {
                "add": "$.amount",  # one transaction per call
                "summarize_columns": f"$.amount[{position}]",
                "accumulate_columns": f"$.amount[{position}]",
            }.get(name, f"$.transactions[{position}].amount")
            assert info.value.path == expected, name


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None)
    | st.builds(
        lambda digits, exponent, sign: Decimal((sign, digits, exponent)),
        st.lists(st.integers(0, 9), min_size=1, max_size=130).map(tuple),
        st.integers(-260, 200),
        st.integers(0, 1),
    )
)
def test_bulk_bounds_agree_with_to_decimal(value):
    """decimals_fit (one context call per value) takes exactly what to_decimal takes."""
    try:
        to_decimal(value, "$")
        expected = True
    except ValidationError:
        expected = False
    assert decimals_fit([value]) is expected
    assert decimals_fit((Decimal(1), value)) is expected
    assert decimals_fit(iter([value, Decimal(2)])) is expected


def test_bulk_bounds_refuse_non_finite_and_take_empty_columns():
    """NaN and infinities fail the bulk check (the per-value check names them); empty passes."""
    assert not decimals_fit([Decimal(1), Decimal("NaN")])
    assert not decimals_fit([Decimal("-Infinity")])
    assert decimals_fit([])
    assert bounds_check() is not bounds_check()  # a new context each time: no shared flags


def test_adding_a_non_finite_decimal_is_refused():
    """The accumulator's one-transaction add refuses a Decimal NaN after good amounts."""
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.add("a", START, Decimal("2.5"))
    with pytest.raises(ValidationError) as info:
        acc.add("a", START, Decimal("NaN"))
    assert (info.value.path, info.value.code) == ("$.amount", "not_finite")


def test_fast_and_slow_paths_still_agree_on_good_decimals():
    """Decimals within the bounds keep the fast path's result: rows, columns and add agree."""
    amounts = [Decimal("2.50"), Decimal("1E+99"), Decimal("1E-100"), Decimal("-0.5")]
    times = [START + timedelta(days=i) for i in range(4)]
    end = START + timedelta(days=10)
    rows = summarize(
        list(zip(["a"] * 4, times, amounts, strict=True)), observation_end=end, period="day"
    )
    columns = summarize_columns(["a"] * 4, times, amounts, observation_end=end, period="day")
    assert rows == columns
