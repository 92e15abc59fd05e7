"""Tests for `crmcore.analytics`: retention, cohorts, purchases and satisfaction."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, TimeUnit, ValidationError
from crmcore.analytics import (
    CohortMatrix,
    PeriodRetention,
    ProductCount,
    average_order_value,
    churn_rate,
    cohort_retention,
    csat,
    nps,
    purchase_frequency,
    purchase_summary,
    repeat_purchase_rate,
    retention_by_period,
    retention_rate,
    top_clv_products,
    top_products,
)
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.customers import CustomerId

WIB = timezone(timedelta(hours=7))


def day(y, m, d, h=12):
    return datetime(y, m, d, h, tzinfo=UTC)


def idr(amount):
    return Money(amount, "IDR")


ORDERS = [
    ("e", day(2025, 12, 15), idr(10)),
    ("a", day(2026, 1, 5), idr(100)),
    ("b", day(2026, 1, 20), idr(50)),
    ("a", day(2026, 2, 3), idr(70)),
    ("b", day(2026, 2, 28), idr(30)),
    ("c", day(2026, 2, 14), idr(20)),
    ("d", day(2026, 3, 1), idr(40)),
    ("e", day(2026, 3, 5), idr(10)),
    ("a", day(2026, 4, 10), idr(90)),
]


# -- retention ---------------------------------------------------------------------------


def test_retention_by_month():
    """Active, new, retained, reactivated and churned customers per month, by hand."""
    rows = retention_by_period(ORDERS)
    assert ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"] == [r.label for r in rows]
    assert [
        (1, 1, 0, 0, 0, 0, None, None),
        (2, 2, 0, 0, 1, 1, 0.0, 1.0),
        (3, 1, 2, 0, 2, 0, 1.0, 0.0),
        (2, 1, 0, 1, 3, 3, 0.0, 1.0),
        (1, 0, 0, 1, 2, 2, 0.0, 1.0),
    ] == [
        (r.active, r.new, r.retained, r.reactivated, r.previous_active, r.churned,
         r.retention_rate, r.churn_rate)
        for r in rows
    ]  # fmt: skip
    assert date(2026, 2, 1) == rows[2].period


def test_retention_window_and_empty_periods():
    """start/end bound the table; quiet periods appear with zero activity."""
    rows = retention_by_period(ORDERS, start=day(2026, 2, 1), end=day(2026, 6, 1))
    assert ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06"] == [r.label for r in rows]
    assert (2, 1.0) == (rows[0].previous_active, rows[0].retention_rate)
    assert PeriodRetention(date(2026, 6, 1), "2026-06", 0, 0, 0, 0, 0, 0, None, None) == rows[-1]
    assert () == retention_by_period([])
    assert 1 == len(retention_by_period([], start=day(2026, 1, 1), end=day(2026, 1, 2)))
    with pytest.raises(ValidationError):
        retention_by_period(ORDERS, start=day(2026, 3, 1), end=day(2026, 1, 1))


def test_periods_follow_the_timezone_and_iso_weeks():
    """An order late on 31 January UTC is February in Jakarta; weeks are ISO weeks."""
    late = [("a", datetime(2026, 1, 31, 20, tzinfo=UTC), idr(1))]
    assert "2026-01" == retention_by_period(late)[0].label
    assert "2026-02" == retention_by_period(late, tz=WIB)[0].label
    weekly = retention_by_period(
        [
            ("a", day(2025, 12, 29), idr(1)),
            ("a", day(2026, 1, 4), idr(1)),
            ("a", day(2026, 1, 5), idr(1)),
        ],
        granularity="week",
    )
    assert [("2026-W01", date(2025, 12, 29)), ("2026-W02", date(2026, 1, 5))] == [
        (r.label, r.period) for r in weekly
    ]
    assert 1.0 == weekly[1].retention_rate
    with pytest.raises(ValidationError):
        retention_by_period(late, granularity="year")
    with pytest.raises(InvalidType):
        retention_by_period(late, tz="Asia/Jakarta")


def test_classic_retention_and_churn_formulas():
    """CRR = (E - N) / S; churn = lost / S; no customers, no rate."""
    assert 0.9 == retention_rate(customers_at_start=200, customers_at_end=210, new_customers=30)
    assert retention_rate(customers_at_start=0, customers_at_end=5, new_customers=5) is None
    assert 0.25 == churn_rate(customers_at_start=8, customers_lost=2)
    assert churn_rate(customers_at_start=0, customers_lost=0) is None
    for kwargs, path in (
        ({"customers_at_start": 10, "customers_at_end": 5, "new_customers": 6}, "$.new_customers"),
        (
            {"customers_at_start": 10, "customers_at_end": 30, "new_customers": 5},
            "$.customers_at_end",
        ),
        (
            {"customers_at_start": -1, "customers_at_end": 0, "new_customers": 0},
            "$.customers_at_start",
        ),
        (
            {"customers_at_start": True, "customers_at_end": 0, "new_customers": 0},
            "$.customers_at_start",
        ),
    ):
        with pytest.raises(ValidationError) as info:
            retention_rate(**kwargs)
        assert path == info.value.path
    with pytest.raises(ValidationError):
        churn_rate(customers_at_start=1, customers_lost=2)


# -- cohorts -----------------------------------------------------------------------------


def test_cohort_matrix_by_hand():
    """Each cohort's row counts its customers active 0, 1, 2, ... months later."""
    matrix = cohort_retention(ORDERS, end=day(2026, 4, 30))
    assert ("2025-12", "2026-01", "2026-02", "2026-03") == matrix.labels
    assert (1, 2, 1, 1) == matrix.sizes
    assert ((1, 0, 0, 1, 0), (2, 2, 0, 1), (1, 0, 0), (1, 0)) == matrix.active
    assert (1.0, 1.0, 0.0, 0.5) == matrix.rates[1]
    assert 1.0 == matrix.rate(1, 1)
    assert matrix.rate(3, 2) is None
    assert matrix.rate(9, 0) is None
    assert 0.4 == matrix.average(1)
    assert matrix.average(9) is None
    assert (
        "cohort    size    +0    +1    +2    +3    +4\n"
        "2025-12      1  100%    0%    0%  100%    0%\n"
        "2026-01      2  100%  100%    0%   50%\n"
        "2026-02      1  100%    0%    0%\n"
        "2026-03      1  100%    0%"
    ) == matrix.render()
    assert (
        "cohort    size    +0    +1\n2025-12      1  100%    0%"
        == matrix.render(max_offsets=2).split("\n2026")[0]
    )


def test_empty_cohort_matrix():
    """No orders: an empty matrix that still renders."""
    matrix = cohort_retention([], granularity=TimeUnit.WEEK)
    assert CohortMatrix(TimeUnit.WEEK, (), (), (), ()) == matrix
    assert "cohort    size" == matrix.render()
    assert matrix.average(0) is None


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 400)),
        max_size=40,
    )
)
def test_cohort_matrix_properties(raw):
    """Offset 0 is everyone; cells never exceed the cohort; sizes add up to the customers."""
    orders = [(c, day(2025, 1, 1) + timedelta(days=n), idr(1)) for c, n in raw]
    matrix = cohort_retention(orders)
    assert len({c for c, _ in raw}) == sum(matrix.sizes)
    for size, row in zip(matrix.sizes, matrix.active, strict=True):
        assert size == row[0]
        assert all(0 <= count <= size for count in row)
    assert [len(row) for row in matrix.active] == sorted(
        (len(row) for row in matrix.active), reverse=True
    )


def test_cdnow_cohort_is_the_first_quarter_of_1997(reference_data):
    """The CDNOW master file: 23,570 customers who first bought in Q1 1997, 69,659 orders."""
    path = reference_data("cdnow", "CDNOW_master.txt")
    orders = []
    for line in path.read_text().splitlines()[1:]:
        customer, when, _, value = line.split()
        at = datetime.strptime(when, "%Y%m%d").replace(tzinfo=UTC)
        orders.append((customer, at, Money(value, "USD")))
    matrix = cohort_retention(orders)
    assert ("1997-01", "1997-02", "1997-03") == matrix.labels
    assert 23_570 == sum(matrix.sizes)
    assert 18 == len(matrix.active[0])
    summary = purchase_summary(orders)
    counts = Counter(customer for customer, _, _ in orders)
    assert (69_659, 23_570) == (summary.orders, summary.customers)
    assert sum(1 for n in counts.values() if n > 1) / len(counts) == summary.repeat_purchase_rate


# -- purchases ---------------------------------------------------------------------------


def test_purchase_measures():
    """AOV is Money (unrounded), frequency and repeat rate are floats."""
    summary = purchase_summary(ORDERS)
    assert (9, 5, 3) == (summary.orders, summary.customers, summary.repeat_customers)
    assert idr(420) == summary.revenue
    assert idr(420) / 9 == summary.average_order_value == average_order_value(ORDERS)
    assert 9 / 5 == summary.purchase_frequency == purchase_frequency(ORDERS)
    assert 3 / 5 == summary.repeat_purchase_rate == repeat_purchase_rate(ORDERS)


def test_purchase_measures_of_nothing():
    """No orders: counts are 0 and every rate or average is None."""
    summary = purchase_summary([])
    assert (0, 0, 0, None, None, None, None) == (
        summary.orders,
        summary.customers,
        summary.repeat_customers,
        summary.revenue,
        summary.average_order_value,
        summary.purchase_frequency,
        summary.repeat_purchase_rate,
    )


def test_purchase_measures_refuse_mixed_currencies():
    """Two currencies cannot be averaged."""
    with pytest.raises(CurrencyMismatch) as info:
        purchase_summary(
            [("a", day(2026, 1, 1), idr(1)), ("b", day(2026, 1, 1), Money("1", "USD"))]
        )
    assert "$.orders[1].amount" == info.value.path


LINED = [
    (
        "a",
        day(2026, 1, 1),
        idr(1),
        [("tea", "drinks", 3), ("cake", "food", 1), ("tea", "drinks", 1)],
    ),
    ("b", day(2026, 1, 2), idr(1), [("cake", "food", 2)]),
    ("c", day(2026, 1, 3), idr(1), [("coffee", "drinks", 5)]),
    ("a", day(2026, 1, 4), idr(1), [("coffee", "drinks", 1)]),
]


def test_top_products():
    """Quantities add up per product; orders and customers are counted once each."""
    assert (
        ProductCount("coffee", "drinks", 6, 2, 2),
        ProductCount("tea", "drinks", 4, 1, 1),
        ProductCount("cake", "food", 3, 2, 2),
    ) == top_products(LINED)
    assert (ProductCount("cake", "food", 2, 1, 1),) == top_products(LINED, customers={"b"})
    assert 1 == len(top_products(LINED, limit=1))
    assert () == top_products([])


def test_top_clv_products():
    """The products of the customers in the top CLV percent."""
    clv = {"a": Money("900", "IDR"), "b": Money("10", "IDR"), "c": Money("20", "IDR"),
           "d": Money("30", "IDR"), "e": Money("40", "IDR")}  # fmt: skip
    top = top_clv_products(LINED, clv, top_percent=20)
    assert ["tea", "cake", "coffee"] == [p.product_id for p in top]
    assert () == top_clv_products(LINED, {}, top_percent=20)


def test_order_objects_with_lines():
    """Orders and lines may be objects with the documented attributes."""

    class Line:
        def __init__(self, product_id, category, quantity):
            self.product_id, self.category, self.quantity = product_id, category, quantity

    class Order:
        def __init__(self, customer_id, lines):
            self.customer_id, self.at, self.amount, self.lines = (
                customer_id,
                day(2026, 1, 1),
                idr(5),
                lines,
            )

    orders = [Order("a", [Line("p", None, 2)]), Order("b", [Line("p", None, 1)])]
    assert (ProductCount("p", None, 3, 2, 2),) == top_products(orders)
    assert 2 == purchase_summary(orders).customers


@pytest.mark.parametrize(
    ("orders", "path"),
    [
        ([("a", day(2026, 1, 1), idr(1), [("p", None, -1)])], "$.orders[0].lines[0].quantity"),
        ([("a", day(2026, 1, 1), idr(1), [("p", None, 1.5)])], "$.orders[0].lines[0].quantity"),
        ([("a", day(2026, 1, 1), idr(1), [("p", 3, 1)])], "$.orders[0].lines[0].category"),
        ([("a", day(2026, 1, 1), idr(1), [("p",)])], "$.orders[0].lines[0]"),
        ([("a", day(2026, 1, 1), idr(1), "p")], "$.orders[0].lines"),
    ],
)
def test_bad_lines(orders, path):
    """Line problems name the order and line."""
    with pytest.raises(ValidationError) as info:
        top_products(orders)
    assert path == info.value.path


def test_top_products_limit_is_checked():
    """The limit must be a positive int."""
    with pytest.raises(ValidationError):
        top_products(LINED, limit=0)


def test_domain_orders_plug_in():
    """The library's own Order exposes customer_id, at, amount and lines."""
    order = Order.place(
        OrderId("o-1"),
        customer_id=CustomerId("c-1"),
        lines=[OrderLine(ProductId("sku-1"), 2, Money("5000", "IDR"), category="tea")],
        at=day(2026, 1, 5),
    )
    assert idr(10000) == purchase_summary([order]).revenue
    assert (ProductCount(ProductId("sku-1"), "tea", 2, 1, 1),) == top_products([order])


# -- satisfaction ------------------------------------------------------------------------


def test_nps():
    """Promoters 9-10, passives 7-8, detractors 0-6; score = %promoters - %detractors."""
    summary = nps([10, 9, 9, 8, 7, 6, 3, 10, 10, 0])
    assert (10, 5, 2, 3, 20.0) == (
        summary.responses,
        summary.promoters,
        summary.passives,
        summary.detractors,
        summary.score,
    )
    assert -100.0 == nps([0, 6]).score
    assert nps([]).score is None


def test_csat():
    """CSAT is the percent of top-two-box answers; the mean comes along."""
    summary = csat([5, 4, 3, 5, 1])
    assert (5, 3, 5, 60.0, 3.6) == (
        summary.responses,
        summary.satisfied,
        summary.scale,
        summary.score,
        summary.mean,
    )
    assert 50.0 == csat([7, 6, 5, 1], scale=7).score
    assert 75.0 == csat([3, 4, 5, 1], satisfied_from=3).score
    empty = csat([])
    assert (0, None, None) == (empty.responses, empty.score, empty.mean)


def test_scores_may_be_feedback_objects():
    """Objects with a score attribute count like their score."""

    class Feedback:
        def __init__(self, score):
            self.score = score

    assert 100.0 == nps([Feedback(9), Feedback(10)]).score


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: nps([10, 11]), "$.scores[1]"),
        (lambda: nps([True]), "$.scores[0]"),
        (lambda: nps([Decimal(9)]), "$.scores[0]"),
        (lambda: nps(["9"]), "$.scores[0]"),
        (lambda: nps(9), "$.scores"),
        (lambda: csat([0]), "$.scores[0]"),
        (lambda: csat([1], scale=1), "$.scale"),
        (lambda: csat([1], satisfied_from=6), "$.satisfied_from"),
        (lambda: csat([1], scale=5.0), "$.scale"),
    ],
)
def test_bad_scores(call, path):
    """Scores outside the scale, or not ints, are refused with their position."""
    with pytest.raises(ValidationError) as info:
        call()
    assert path == info.value.path


SNAN = Decimal("sNaN")
_T = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "call",
    [
        lambda: purchase_summary([(SNAN, _T, Money("1", "USD"))]),
        lambda: top_products([(SNAN, _T, Money("1", "USD"), [("tea", None, 1)])]),
        lambda: top_products([("a", _T, Money("1", "USD"), [("tea", None, 1)])], customers=[SNAN]),
        lambda: cohort_retention([(SNAN, _T, Money("1", "USD"))]),
        lambda: retention_by_period([(1.5, _T, Money("1", "USD"))]),
    ],
)
def test_ids_that_cannot_be_found_again_are_refused(call):
    """D15: a signalling NaN (or a float) as an id is an InvalidType, never an escaping TypeError."""
    with pytest.raises(InvalidType) as info:
        call()
    assert "customer" in info.value.path


@pytest.mark.parametrize(
    "call",
    [
        lambda: cohort_retention(
            [("a", _T, Money("1", "USD"))],
            end=datetime.max.replace(tzinfo=timezone(timedelta(hours=-12))),
        ),
        lambda: retention_by_period(
            [("a", _T, Money("1", "USD"))],
            start=datetime.min.replace(tzinfo=timezone(timedelta(hours=14))),
        ),
        lambda: cohort_retention(
            [("a", datetime.max.replace(tzinfo=UTC), Money("1", "USD"))],
            tz=timezone(timedelta(hours=1)),
        ),
    ],
)
def test_times_at_the_edges_of_the_calendar_are_validation_errors(call):
    """D28: periods near year 1 or 9999 are refused (code date_range), never an OverflowError."""
    with pytest.raises(ValidationError) as info:
        call()
    assert "date_range" == info.value.code


def test_period_counts_are_bounded():
    """A retention table over thousands of years is refused before it is built."""
    with pytest.raises(ValidationError) as info:
        retention_by_period(
            [("a", _T, Money("1", "USD"))],
            granularity="week",
            start=datetime(1000, 1, 1, tzinfo=UTC),
        )
    assert "too_many" == info.value.code
    orders = [
        (f"c{year}", datetime(year, 1, 5, tzinfo=UTC), Money("1", "USD"))
        for year in range(1, 9999, 50)
    ]
    with pytest.raises(ValidationError) as info:
        cohort_retention(orders, granularity="week")
    assert "too_many" == info.value.code


@pytest.mark.parametrize(
    ("offset", "path"), [(None, "$.offset"), (-1, "$.offset"), (1.5, "$.offset")]
)
def test_cohort_average_checks_the_offset(offset, path):
    """D29: a junk offset is refused (a negative one silently read from the end of each row)."""
    matrix = cohort_retention(
        [("a", _T, Money("1", "USD")), ("a", _T + timedelta(days=40), Money("1", "USD"))]
    )
    assert 1.0 == matrix.average(1)
    assert matrix.average(99) is None
    with pytest.raises(ValidationError) as info:
        matrix.average(offset)
    assert path == info.value.path
    with pytest.raises(ValidationError) as info:
        matrix.render(max_offsets=offset)
    assert "$.max_offsets" == info.value.path


def test_a_cohort_matrix_checks_its_shape():
    """D33: a matrix built by hand must hold one row per cohort with counts within its size."""
    with pytest.raises(ValidationError):
        CohortMatrix(TimeUnit.MONTH, (date(2026, 1, 1),), ("2026-01",), (0,), ((0,),))
    with pytest.raises(ValidationError):
        CohortMatrix(TimeUnit.MONTH, (date(2026, 1, 1),), (), (1,), ((1,),))
    with pytest.raises(InvalidType):
        CohortMatrix(None, (), (), (), ())
