"""Tests for `crmcore.analytics` product profitability and revenue in a corporate currency.

The small world below is worked out by hand (the arithmetic is written next to
each expectation); the properties check the figures against each other and
against a brute force in integer minor units.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.analytics import (
    CustomerMargin,
    FamilyMargin,
    MarginFigures,
    ProductMargin,
    Profitability,
    average_order_value,
    customer_margins,
    family_margins,
    hierarchy_rollup,
    product_margins,
    profitability,
    purchase_summary,
    top_clv_products,
)
from crmcore.catalog import Product, ProductId
from crmcore.commerce import Order, OrderId, OrderLine, PaymentId
from crmcore.customers import CustomerId
from crmcore.exchange import ExchangeRate, RateTable
from crmcore.sales import STANDARD_PIPELINE, Opportunity, OpportunityId
from crmcore.teams import StaffId
from crmcore.testing import strategies as crm

ANA, BUDI, CITRA = CustomerId("ana"), CustomerId("budi"), CustomerId("citra")
TEA, CAKE, MUG, GIFT = ProductId("tea"), ProductId("cake"), ProductId("mug"), ProductId("gift")
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def at(day, hour=10):
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


def usd(amount):
    return Money(amount, "USD")


def idr(amount):
    return Money(amount, "IDR")


def product(pid, family, cost):
    return Product.create(
        pid, sku=pid.value.upper(), name=pid.value, family=family, standard_cost=cost, at=T0
    )


#: tea costs 4.00 USD, the cake has no standard cost, the mug costs 30000 IDR; the
#: gift is sold but not in the catalog.
CATALOG = [
    product(TEA, "drinks", usd("4.00")),
    product(CAKE, "food", None),
    product(MUG, "drinks", idr(30_000)),
]

#: 1 USD = 16000 IDR until 10 March, 15000 IDR from then on.
RATES = RateTable(
    [
        ExchangeRate(
            "USD", "IDR", "16000", valid_from=date(2026, 1, 1), valid_until=date(2026, 3, 10)
        ),
        ExchangeRate("USD", "IDR", "15000", valid_from=date(2026, 3, 10)),
    ]
)


def line(pid, quantity, price, **kw):
    return OrderLine(pid, quantity, price, category="shop", **kw)


def settled(order, when):
    return order.record_payment(PaymentId("p-1"), order.total, at=when).fulfil(at=when)


def world():
    """Five orders: two currencies, a return, a product without cost, one unknown, one cancelled."""
    o1 = Order.place(
        OrderId("o-1"),
        customer_id=ANA,
        lines=[
            # 3 x 10.00 - 1.00 = 29.00 net (the line's tax is not revenue)
            line(TEA, 3, usd("10.00"), discount=usd("1.00"), tax=usd("3.19")),
            line(CAKE, 2, usd("5.00")),  # 10.00 net
        ],
        at=at(1),
    )
    o1 = settled(o1, at(2)).return_items({0: 1}, at=at(3))  # one tea back
    o2 = Order.place(
        OrderId("o-2"),
        customer_id=BUDI,
        lines=[line(MUG, 2, idr(50_000)), line(GIFT, 1, idr(20_000))],
        at=at(5),
    )
    o3 = Order.place(
        OrderId("o-3"),
        customer_id=ANA,
        lines=[line(MUG, 1, idr(55_000)), line(TEA, 1, idr(160_000))],
        at=at(12),
    )
    cancelled = Order.place(
        OrderId("o-4"), customer_id=CITRA, lines=[line(TEA, 5, usd("10.00"))], at=at(2)
    ).cancel(at=at(3))
    early = Order.place(
        OrderId("o-5"),
        customer_id=CITRA,
        lines=[line(TEA, 1, usd("10.00"))],
        at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    return [o1, o2, o3, cancelled, early]


SINCE = datetime(2026, 3, 1, tzinfo=UTC)


def figures(row):
    return (row.currency, row.units_sold, row.units_returned, row.revenue, row.cost, row.margin)


# -- the hand-computed world -----------------------------------------------------------------


def test_products_per_currency_by_hand():
    """Each currency apart; the tea's cost in USD converted for its IDR sale at the day's rate."""
    result = profitability(world(), CATALOG, since=SINCE, rates=RATES)
    assert [(r.currency, r.product_id) for r in result.products] == [
        ("IDR", TEA),  # margin 100000
        ("IDR", MUG),  # margin 65000
        ("IDR", GIFT),  # unknown margin, last
        ("USD", TEA),  # margin 11.34
        ("USD", CAKE),  # unknown margin
    ]
    rows = {(r.currency, r.product_id): r for r in result.products}
    # The returned tea's share of its line: 29.00 * 1 / 3 = 9.666.. rounded down to 9.66, as
    # the order refunded it; 29.00 - 9.66 = 19.34 kept. Two teas kept at 4.00 = 8.00.
    tea = rows["USD", TEA]
    assert figures(tea) == ("USD", 3, 1, usd("19.34"), usd("8.00"), usd("11.34"))
    assert tea.units == 2
    assert tea.margin_rate == pytest.approx(11.34 / 19.34)
    assert tea.family == "drinks"
    assert tea.orders == 1
    assert tea.customers == 1
    # The order refunded the same share of the line's charge, tax included: 32.19 / 3 = 10.73.
    assert world()[0].amount_refunded == usd("10.73")
    assert figures(rows["USD", CAKE]) == ("USD", 2, 0, usd("10.00"), None, None)
    assert rows["USD", CAKE].margin_rate is None
    # Mugs: 2 x 50000 + 1 x 55000 = 155000; cost 3 x 30000 = 90000.
    assert figures(rows["IDR", MUG]) == ("IDR", 3, 0, idr(155_000), idr(90_000), idr(65_000))
    assert rows["IDR", MUG].orders == 2
    assert rows["IDR", MUG].customers == 2
    # A tea sold in IDR on 12 March: cost 4.00 USD x 15000 = 60000 IDR.
    assert figures(rows["IDR", TEA]) == ("IDR", 1, 0, idr(160_000), idr(60_000), idr(100_000))
    assert figures(rows["IDR", GIFT]) == ("IDR", 1, 0, idr(20_000), None, None)
    assert rows["IDR", GIFT].family is None
    assert result.uncosted_products == (CAKE,)
    assert result.unknown_products == (GIFT,)
    assert result.currency is None


def test_families_customers_and_totals_by_hand():
    result = profitability(world(), CATALOG, since=SINCE, rates=RATES)
    families = {(r.currency, r.family): r for r in result.families}
    # IDR drinks: tea 160000 + mugs 155000 = 315000; cost 60000 + 90000 = 150000.
    drinks = families["IDR", "drinks"]
    assert figures(drinks) == ("IDR", 4, 0, idr(315_000), idr(150_000), idr(165_000))
    assert drinks.products == 2
    assert figures(families["IDR", None]) == ("IDR", 1, 0, idr(20_000), None, None)
    assert figures(families["USD", "drinks"])[3:] == (usd("19.34"), usd("8.00"), usd("11.34"))
    assert figures(families["USD", "food"])[3:] == (usd("10.00"), None, None)
    assert [(r.currency, r.family) for r in result.families] == [
        ("IDR", "drinks"),
        ("IDR", None),
        ("USD", "drinks"),
        ("USD", "food"),
    ]
    customers = {(r.currency, r.customer_id): r for r in result.customers}
    # Ana in IDR (order 3): 55000 + 160000 = 215000; cost 30000 + 60000 = 90000.
    assert figures(customers["IDR", ANA]) == ("IDR", 2, 0, idr(215_000), idr(90_000), idr(125_000))
    assert customers["IDR", ANA].products == 2
    # Budi: mugs 100000 + gift 20000, the gift's cost unknown.
    assert figures(customers["IDR", BUDI]) == ("IDR", 3, 0, idr(120_000), None, None)
    assert figures(customers["USD", ANA]) == ("USD", 5, 1, usd("29.34"), None, None)
    assert CITRA not in {r.customer_id for r in result.customers}  # cancelled, or too early
    assert [figures(t) for t in result.totals] == [
        ("IDR", 5, 0, idr(335_000), None, None),  # 2 + 1 mugs and gift, then 1 mug and 1 tea
        ("USD", 5, 1, usd("29.34"), None, None),
    ]
    assert result.totals[0].orders == 2
    assert result.totals[0].customers == 2


def test_the_three_views_are_the_parts_of_profitability():
    everything = profitability(world(), CATALOG, since=SINCE, rates=RATES)
    assert product_margins(world(), CATALOG, since=SINCE, rates=RATES) == everything.products
    assert family_margins(world(), CATALOG, since=SINCE, rates=RATES) == everything.families
    assert customer_margins(world(), CATALOG, since=SINCE, rates=RATES) == everything.customers


def test_in_a_corporate_currency_at_each_orders_day():
    """Order 2 (5 March) at 16000 IDR a dollar, order 3 (12 March) at 15000."""
    result = profitability(world(), CATALOG, since=SINCE, currency="USD", rates=RATES)
    rows = {r.product_id: r for r in result.products}
    assert [r.product_id for r in result.products] == [TEA, MUG, CAKE, GIFT]
    # Tea: 19.34 (order 1) + 160000 / 15000 = 10.666.. -> 10.67; cost 3 x 4.00 = 12.00.
    assert figures(rows[TEA]) == ("USD", 4, 1, usd("30.01"), usd("12.00"), usd("18.01"))
    # Mugs: 100000 / 16000 = 6.25 and 55000 / 15000 = 3.666.. -> 3.67; cost 60000 / 16000 =
    # 3.75 and 30000 / 15000 = 2.00.
    assert figures(rows[MUG]) == ("USD", 3, 0, usd("9.92"), usd("5.75"), usd("4.17"))
    assert figures(rows[GIFT]) == ("USD", 1, 0, usd("1.25"), None, None)  # 20000 / 16000
    assert result.currency == "USD"
    families = {r.family: r for r in result.families}
    assert figures(families["drinks"]) == ("USD", 7, 1, usd("39.93"), usd("17.75"), usd("22.18"))
    customers = {r.customer_id: r for r in result.customers}
    # Ana: 19.34 + 10.00 + 3.67 + 10.67; Budi: 6.25 + 1.25.
    assert customers[ANA].revenue == usd("43.68")
    assert customers[BUDI].revenue == usd("7.50")
    (total,) = result.totals
    assert total.revenue == usd("51.18")


def test_the_window_and_the_customers():
    everything = profitability(world(), CATALOG, rates=RATES)
    assert ("USD", 4) in {(r.currency, r.units_sold) for r in everything.products}  # + early tea
    march_5_only = profitability(world(), CATALOG, since=at(5), until=at(12))
    assert {r.product_id for r in march_5_only.products} == {MUG, GIFT}
    budi = profitability(world(), CATALOG, customers=[BUDI], rates=RATES)
    assert {r.customer_id for r in budi.customers} == {BUDI}
    assert profitability([], CATALOG) == Profitability(
        currency=None,
        products=(),
        families=(),
        customers=(),
        totals=(),
        uncosted_products=(),
        unknown_products=(),
    )


def test_products_as_a_mapping():
    mapping = {p.id: p for p in CATALOG}
    assert profitability(world(), mapping, rates=RATES) == profitability(
        world(), CATALOG, rates=RATES
    )


def test_a_fully_returned_line_gives_back_exactly_its_net():
    order = Order.place(
        OrderId("o-9"),
        customer_id=ANA,
        lines=[line(TEA, 3, usd("3.33")), line(CAKE, 1, usd("2.00"))],
        at=at(1),
    )
    order = settled(order, at(1)).return_items({0: 1}, at=at(2)).return_items({0: 2}, at=at(3))
    assert order.is_purchase  # the cake was kept
    rows = {r.product_id: r for r in product_margins([order], CATALOG)}
    # Shares 3.33 then 9.99 - 3.33 = 6.66: the whole 9.99 back, nothing left.
    assert figures(rows[TEA]) == ("USD", 3, 3, usd("0.00"), usd("0.00"), usd("0.00"))
    assert rows[TEA].units == 0
    assert rows[TEA].margin_rate is None
    # A purchase refunded in full is no purchase: it does not count at all.
    refunded = settled(
        Order.place(OrderId("o-8"), customer_id=ANA, lines=[line(TEA, 1, usd("3.00"))], at=at(1)),
        at(1),
    ).return_items({0: 1}, at=at(2))
    assert product_margins([refunded], CATALOG) == ()


# -- revenue in a corporate currency ---------------------------------------------------------


def purchases():
    return [o for o in world() if o.is_purchase and o.at >= SINCE]


def test_purchase_summary_in_a_corporate_currency():
    """Order amounts (total with tax, less refunds) at their day's rate."""
    # Order 1: 29.00 + 10.00 + 3.19 tax = 42.19 less the 10.73 refunded = 31.46 USD.
    assert purchases()[0].amount == usd("31.46")
    summary = purchase_summary(purchases(), currency="USD", rates=RATES)
    # 31.46 + 120000 / 16000 = 7.50 + 215000 / 15000 = 14.333.. -> 14.33.
    assert summary.revenue == usd("53.29")
    assert summary.orders == 3
    assert summary.customers == 2
    assert average_order_value(purchases(), currency="USD", rates=RATES) == usd("53.29") / 3
    in_idr = purchase_summary(purchases(), currency="IDR", rates=RATES)
    # 31.46 USD on 1 March at 16000 = 503360; plus 120000 and 215000.
    assert in_idr.revenue == idr(838_360)


def test_purchase_summary_is_unchanged_without_the_keywords():
    with pytest.raises(CurrencyMismatch):
        purchase_summary(purchases())
    idr_only = [o for o in purchases() if o.currency == "IDR"]
    assert purchase_summary(idr_only).revenue == idr(335_000)
    assert purchase_summary(idr_only, currency="IDR").revenue == idr(335_000)  # no rates needed


def test_purchase_summary_conversion_errors_name_the_order():
    with pytest.raises(CurrencyMismatch) as err:
        purchase_summary(purchases(), currency="USD")
    assert err.value.path == "$.orders[1].amount"
    early = RateTable([ExchangeRate("USD", "IDR", "16000", valid_from=date(2026, 3, 6))])
    with pytest.raises(ValidationError) as err:
        purchase_summary(purchases(), currency="USD", rates=early)
    assert err.value.code == "no_rate"
    assert err.value.path.startswith("$.orders[1].amount")
    with pytest.raises(ValidationError) as err:
        purchase_summary(purchases(), currency="XXY", rates=RATES)
    assert err.value.path == "$.currency"
    with pytest.raises(InvalidType) as err:
        purchase_summary(purchases(), currency="USD", rates={"USD": 1})
    assert err.value.path == "$.rates"
    with pytest.raises(InvalidType) as err:
        purchase_summary(purchases(), tz="UTC")
    assert err.value.path == "$.tz"


def test_a_day_outside_the_calendar_in_tz():
    edge = [("a", datetime(1, 1, 1, 1, tzinfo=UTC), usd("1"))]
    with pytest.raises(ValidationError) as err:
        purchase_summary(edge, currency="IDR", rates=RATES, tz=timezone(timedelta(hours=-5)))
    assert err.value.path == "$.orders[0].at"
    assert err.value.code == "out_of_range"


def test_hierarchy_rollup_revenue_in_a_corporate_currency():
    rollup = hierarchy_rollup([ANA, BUDI], orders=purchases(), currency="USD", rates=RATES)
    assert rollup.revenue == usd("53.29")
    ana_only = hierarchy_rollup([ANA], orders=purchases(), currency="USD", rates=RATES)
    assert ana_only.revenue == usd("45.79")  # 31.46 + 14.33
    with pytest.raises(CurrencyMismatch) as err:
        hierarchy_rollup([ANA, BUDI], orders=purchases())
    assert err.value.path == "$.orders[1].amount"  # the position in the input, not filtered


def test_hierarchy_rollup_pipeline_in_a_corporate_currency():
    deal = Opportunity.open(
        OpportunityId("opp-1"),
        customer_id=ANA,
        name="Renewal",
        amount=idr(16_000_000),
        expected_close=date(2026, 4, 1),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        stage="proposal",
        at=T0,
    )
    rollup = hierarchy_rollup(
        [ANA], opportunities=[deal], pipeline=STANDARD_PIPELINE, currency="USD", rates=RATES
    )
    # At the close date's rate (15000 from 10 March): 16000000 / 15000 = 1066.666.. -> 1066.67.
    assert rollup.pipeline.currencies == ("USD",)
    assert rollup.pipeline.open_total("USD") == usd("1066.67")


# -- the top products of the most valuable customers -----------------------------------------


CLV = {ANA: usd("900"), BUDI: usd("100"), CITRA: usd("50")}


def test_top_clv_products_by_margin_and_revenue():
    by_margin = top_clv_products(
        purchases(), CLV, top_percent=34, by="margin", products=CATALOG, currency="USD", rates=RATES
    )
    # Ana only: tea 19.34 + 10.67 = 30.01 (margin 18.01), mug 3.67 (margin 1.67), cake 10.00.
    assert [(r.product_id, r.margin) for r in by_margin] == [
        (TEA, usd("18.01")),
        (MUG, usd("1.67")),
        (CAKE, None),
    ]
    by_revenue = top_clv_products(
        purchases(),
        CLV,
        top_percent=34,
        by="revenue",
        products=CATALOG,
        currency="USD",
        rates=RATES,
    )
    assert [(r.product_id, r.revenue) for r in by_revenue] == [
        (TEA, usd("30.01")),
        (CAKE, usd("10.00")),
        (MUG, usd("3.67")),
    ]
    two = top_clv_products(
        purchases(),
        CLV,
        top_percent=34,
        by="margin",
        products=CATALOG,
        currency="USD",
        rates=RATES,
        limit=2,
    )
    assert len(two) == 2


def test_top_clv_products_by_quantity_is_unchanged():
    by_count = top_clv_products(purchases(), CLV, top_percent=34)
    assert [(p.product_id, p.quantity) for p in by_count] == [(TEA, 4), (CAKE, 2), (MUG, 1)]


def test_top_clv_products_refusals():
    with pytest.raises(CurrencyMismatch) as err:
        top_clv_products(
            purchases(), CLV, top_percent=34, by="margin", products=CATALOG, rates=RATES
        )
    assert err.value.path == "$.currency"
    with pytest.raises(ValidationError) as err:
        top_clv_products(purchases(), CLV, by="profit")
    assert err.value.path == "$.by"
    with pytest.raises(InvalidType) as err:
        top_clv_products(purchases(), CLV, by=3)
    assert err.value.path == "$.by"
    with pytest.raises(ValidationError) as err:
        top_clv_products(purchases(), CLV, products=CATALOG)
    assert (err.value.path, err.value.code) == ("$.products", "unused")
    with pytest.raises(ValidationError) as err:
        top_clv_products(purchases(), CLV, by="margin", limit=0)
    assert err.value.path == "$.limit"
    with pytest.raises(InvalidType) as err:
        top_clv_products(purchases(), CLV, by="margin", limit="2")
    assert err.value.path == "$.limit"


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orders", "products", "options", "error", "path"),
    [
        ("orders", CATALOG, {}, InvalidType, "$.orders"),
        ([("ana", T0, usd("1"))], CATALOG, {}, InvalidType, "$.orders[0]"),
        ([], [CATALOG[0], "tea"], {}, InvalidType, "$.products[1]"),
        ([], [CATALOG[0], CATALOG[0]], {}, ValidationError, "$.products[1].id"),
        ([], {CAKE: CATALOG[0]}, {}, ValidationError, "$.products[0].id"),
        ([], 7, {}, InvalidType, "$.products"),
        ([], CATALOG, {"since": datetime(2026, 1, 1)}, ValidationError, "$.since"),  # noqa: DTZ001 - naive on purpose
        ([], CATALOG, {"until": "2026"}, InvalidType, "$.until"),
        ([], CATALOG, {"since": at(5), "until": at(1)}, ValidationError, "$.since"),
        ([], CATALOG, {"customers": [None]}, InvalidType, "$.customers[0]"),
        ([], CATALOG, {"currency": "dollars"}, ValidationError, "$.currency"),
        ([], CATALOG, {"rates": "x"}, InvalidType, "$.rates"),
        ([], CATALOG, {"tz": 7}, InvalidType, "$.tz"),
    ],
)
def test_bad_input_names_the_path(orders, products, options, error, path):
    with pytest.raises(error) as err:
        profitability(orders, products, **options)
    assert err.value.path == path


def test_a_cost_in_another_currency_needs_rates():
    with pytest.raises(CurrencyMismatch) as err:
        profitability(world(), CATALOG, since=SINCE)
    assert err.value.path == "$.products[0].standard_cost"  # the tea, sold in IDR on 12 March


def test_a_sale_to_convert_needs_rates_and_a_rate_for_its_day():
    with pytest.raises(CurrencyMismatch) as err:
        profitability(world(), CATALOG, since=SINCE, currency="USD")
    assert err.value.path == "$.orders[1].lines[0]"
    late = RateTable([ExchangeRate("USD", "IDR", "15000", valid_from=date(2026, 3, 10))])
    with pytest.raises(ValidationError) as err:
        profitability(world(), CATALOG, since=SINCE, currency="USD", rates=late)
    assert err.value.code == "no_rate"
    assert err.value.path.startswith("$.orders[1].lines[0]")


def test_results_refuse_inconsistent_figures():
    good = {
        "currency": "USD",
        "units_sold": 2,
        "units_returned": 1,
        "revenue": usd("5"),
        "cost": usd("2"),
        "orders": 1,
        "customers": 1,
    }
    assert MarginFigures(**good).margin == usd("3")
    for change, path in [
        ({"units_returned": 3}, "$.units_returned"),
        ({"orders": -1}, "$.orders"),
        ({"revenue": idr(5)}, "$.revenue"),
        ({"cost": idr(2)}, "$.cost"),
        ({"units_sold": "2"}, "$.units_sold"),
        ({"currency": "dollars"}, "$.currency"),
    ]:
        with pytest.raises(ValidationError) as err:
            MarginFigures(**{**good, **change})
        assert err.value.path == path
    with pytest.raises(InvalidType) as err:
        ProductMargin(product_id="tea", family=None, **good)
    assert err.value.path == "$.product_id"
    assert FamilyMargin(family=None, products=1, **good).products == 1
    assert CustomerMargin(customer_id=ANA, products=1, **good).customer_id == ANA
    empty = {
        "currency": None,
        "products": (),
        "families": (),
        "customers": (),
        "totals": (),
        "uncosted_products": (),
        "unknown_products": (),
    }
    for field, value, path in [
        ("products", [MarginFigures(**good)], "$.products[0]"),
        ("families", 3, "$.families"),
        ("unknown_products", ["tea"], "$.products[0]"),
        ("currency", 3, "$.currency"),
    ]:
        with pytest.raises(InvalidType) as err:
            Profitability(**{**empty, field: value})
        assert err.value.path == path


# -- properties ------------------------------------------------------------------------------

CUSTOMERS = [CustomerId(f"c-{n}") for n in range(4)]
#: 1 USD = 0.9 EUR for the whole range of the order strategy.
USD_EUR = RateTable([ExchangeRate("USD", "EUR", "0.9", valid_from=date(1999, 1, 1))])
ONE = RateTable([ExchangeRate("USD", "EUR", "1", valid_from=date(1999, 1, 1))])


@st.composite
def worlds(draw, currencies=("USD", "EUR")):
    orders = draw(
        st.lists(crm.orders(customer_ids=CUSTOMERS, currencies=currencies, max_lines=3), max_size=6)
    )
    ids = sorted(
        {line.product_id for order in orders for line in order.lines}, key=lambda p: p.value
    )
    catalog = []
    for number, pid in enumerate(ids):
        if draw(st.booleans()) and number:  # some sold products are not in the catalog
            continue
        cost = draw(
            st.none()
            | st.builds(Money.from_minor_units, st.integers(0, 10**6), st.sampled_from(currencies))
        )
        family = draw(st.sampled_from([None, "a", "b"]))
        catalog.append(
            Product.create(
                pid, sku=f"S{number}", name="p", family=family, standard_cost=cost, at=T0
            )
        )
    return orders, catalog


def add_up(rows, currency, attribute):
    values = [getattr(r, attribute) for r in rows if r.currency == currency]
    if any(v is None for v in values):
        return None
    return Money.total(values, currency=currency)


@given(worlds())
def test_families_customers_and_totals_add_up_to_the_products(case):
    orders, catalog = case
    result = profitability(orders, catalog, rates=USD_EUR)
    for total in result.totals:
        code = total.currency
        for rows in (result.products, result.families, result.customers):
            assert add_up(rows, code, "revenue") == total.revenue
            assert add_up(rows, code, "cost") == total.cost
            assert sum(r.units_sold for r in rows if r.currency == code) == total.units_sold
            assert sum(r.units_returned for r in rows if r.currency == code) == total.units_returned
    assert {t.currency for t in result.totals} == {r.currency for r in result.products}


@given(worlds())
def test_margin_is_revenue_less_cost_and_units_never_negative(case):
    orders, catalog = case
    result = profitability(orders, catalog, currency="EUR", rates=USD_EUR)
    for row in (*result.products, *result.families, *result.customers, *result.totals):
        assert row.currency == "EUR"
        assert 0 <= row.units_returned <= row.units_sold
        assert row.units >= 0
        assert row.revenue.amount >= 0
        if row.cost is None:
            assert row.margin is None
            assert row.margin_rate is None
        else:
            assert row.margin == row.revenue - row.cost
            assert row.margin + row.cost == row.revenue


@given(worlds(currencies=("USD",)))
def test_revenue_and_units_match_a_brute_force_in_minor_units(case):
    """Kept revenue = net - floor(net * returned / quantity), in integer cents."""
    orders, catalog = case
    revenue, sold, kept = defaultdict(int), defaultdict(int), defaultdict(int)
    for order in orders:
        if not order.is_purchase:
            continue
        for index, item in enumerate(order.lines):
            back = sum(p.quantity for r in order.returns for p in r.lines if p.line == index)
            cents = item.net.to_minor_units()
            revenue[item.product_id] += cents - cents * back // item.quantity
            sold[item.product_id] += item.quantity
            kept[item.product_id] += item.quantity - back
    rows = {r.product_id: r for r in product_margins(orders, catalog)}
    assert set(rows) == set(revenue)
    costs = {p.id: p.standard_cost for p in catalog}
    for pid, row in rows.items():
        assert row.revenue == Money.from_minor_units(revenue[pid], "USD")
        assert (row.units_sold, row.units) == (sold[pid], kept[pid])
        cost = costs.get(pid)
        assert row.cost == (None if cost is None else cost * kept[pid])


@given(worlds(currencies=("USD",)))
def test_a_rate_of_one_changes_only_the_currency(case):
    orders, catalog = case
    catalog = [
        p if p.standard_cost is None else p.change_cost(usd(p.standard_cost.amount), at=T0)
        for p in catalog
    ]

    def plain(result):
        return [
            (
                r.product_id,
                r.units_sold,
                r.units_returned,
                r.revenue.amount,
                None if r.cost is None else r.cost.amount,
            )
            for r in result.products
        ]

    assert plain(profitability(orders, catalog, currency="EUR", rates=ONE)) == plain(
        profitability(orders, catalog)
    )
    kept = [o for o in orders if o.is_purchase]
    converted = purchase_summary(kept, currency="EUR", rates=ONE).revenue
    original = purchase_summary(kept).revenue
    assert (converted is None) == (original is None)
    if converted is not None:
        assert converted.amount == original.amount
        assert converted.currency == "EUR"


@given(worlds(currencies=("USD",)), st.sampled_from(["margin", "revenue"]))
def test_top_clv_products_rank_the_top_customers_rows(case, by):
    orders, catalog = case
    clv = {c: usd(n * 100) for n, c in enumerate(CUSTOMERS)}
    top = top_clv_products(orders, clv, top_percent=25, by=by, products=catalog)
    mine = product_margins(orders, catalog, customers=[CUSTOMERS[-1]])
    assert set(top) <= set(mine)
    if by == "revenue":
        amounts = [r.revenue.amount for r in top]
    else:
        amounts = [r.margin.amount for r in top if r.margin is not None]
        known = [r.margin is not None for r in top]
        assert known == sorted(known, reverse=True)  # unknown margins last
    assert amounts == sorted(amounts, reverse=True)
