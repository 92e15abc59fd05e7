"""The demo's selling section: a catalog, a B2B quote with volume pricing and PPN, a forecast in IDR.

The section builds a small catalog (three products with standard costs) and a
rupiah price book with list prices, a volume tier from ten units and a reseller
price. A customer drawn with the seed gets a quote: lines priced
from the book (the resolution says which entry won and why), a 5% quote
discount, Indonesian PPN; it is sent and accepted in one call, which places the
order (whose total is the quote's to the last sen) and fills the opportunity's
line items. Then a pipeline in three currencies is forecast in rupiah at the
rate of each deal's close date, and the accepted order's margin is read per
product. Everything is stored in one unit of work. The section prints ids,
codes and amounts only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Final

from crmcore._demo._format import money, plural
from crmcore._demo._inputs import check_inputs
from crmcore._kernel._ids import OpportunityId, OrderId, PriceBookId, ProductId, QuoteId, StaffId
from crmcore._kernel._money import Money
from crmcore.analytics import profitability
from crmcore.catalog import PriceBook, PriceEntry, Product, resolve_price
from crmcore.customers import Customer
from crmcore.exchange import ExchangeRate, RateTable
from crmcore.quotes import Quote, accept_quote, ppn_indonesia, price_line
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import STANDARD_PIPELINE, Opportunity, pipeline_forecast

#: The catalog: SKU, name, family, standard cost (IDR), list price, price from ten units.
CATALOG: Final = (
    ("RTR-AX3000", "Wi-Fi 6 router AX3000", "hardware", 820_000, 1_250_000, 1_100_000),
    ("SW-24P", "24-port PoE switch", "hardware", 2_900_000, 4_200_000, 3_900_000),
    ("SUP-1Y", "Support plan, one year", "services", 600_000, 2_000_000, 2_000_000),
)
#: Deals of the multi-currency pipeline: currency, amount, stage, days to close.
PIPELINE: Final = (
    ("IDR", "180000000", "proposal", 20),
    ("USD", "42000", "negotiation", 45),
    ("SGD", "65000", "qualification", 70),
    ("USD", "18500", "prospecting", 100),
    ("IDR", "96000000", "negotiation", 12),
)


def _catalog(at: datetime) -> tuple[list[Product], PriceBook]:
    products = [
        Product.create(
            ProductId(f"p-{sku.lower()}"),
            sku=sku,
            name=name,
            family=family,
            standard_cost=Money(cost, "IDR"),
            at=at,
        )
        for sku, name, family, cost, _, _ in CATALOG
    ]
    start = date(at.year, 1, 1)
    entries = []
    for product, (_, _, _, _, price, tier) in zip(products, CATALOG, strict=True):
        entries.append(PriceEntry(product.id, Money(price, "IDR"), valid_from=start))
        if tier != price:
            entries.append(
                PriceEntry(product.id, Money(tier, "IDR"), valid_from=start, min_quantity=10)
            )
            entries.append(
                PriceEntry(
                    product.id,
                    Money(tier * 95 // 100, "IDR"),
                    valid_from=start,
                    customer_group="reseller",
                )
            )
    book = PriceBook.create(
        PriceBookId("pb-idr"), name="Indonesia list", currency="IDR", entries=entries, at=at
    )
    return products, book


def _rates(at: datetime) -> RateTable:
    start = date(at.year, 1, 1)
    middle = at.date() + timedelta(days=40)
    return RateTable(
        [
            ExchangeRate("USD", "IDR", "16250", valid_from=start, valid_until=middle),
            ExchangeRate("USD", "IDR", "16400", valid_from=middle),
            ExchangeRate("SGD", "IDR", "12600", valid_from=start),
        ],
        pivot="IDR",
    )


def _pipeline(customers: Sequence[Customer], at: datetime) -> list[Opportunity]:
    deals = []
    for number, (code, amount, stage, days) in enumerate(PIPELINE, start=1):
        deal = Opportunity.open(
            OpportunityId(f"opp-fx-{number}"),
            customer_id=customers[number % len(customers)].id,
            name=f"Deal {number}",
            amount=Money(amount, code),
            expected_close=at.date() + timedelta(days=days),
            owner=StaffId("rep-1"),
            pipeline=STANDARD_PIPELINE,
            at=at,
        )
        deals.append(deal.move_to(stage, STANDARD_PIPELINE, at=at))
    return deals


def demo_section(customers: Sequence[Customer], *, seed: int, at: datetime) -> str:
    """The selling section of the demo report."""
    at = check_inputs(seed, at, customers=customers)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets.
    buyer = customers[rng.randrange(len(customers))]
    products, book = _catalog(at)
    routers, switches, support = (product.id for product in products)
    lines = []
    resolution = resolve_price(
        [book], product_id=routers, quantity=12, currency="IDR", on=at.date()
    )
    lines.append(
        f"price book {book.id.value}: {plural(len(book.entries), 'entry', 'entries')}; "
        f"12 routers resolve to {money(resolution.unit_price)} each ({resolution.reason}, "
        f"{plural(len(resolution.candidates), 'entry', 'entries')} considered)"
    )
    deal = Opportunity.open(
        OpportunityId("opp-branches"),
        customer_id=buyer.id,
        name="Branch network refresh",
        amount=Money("20000000", "IDR"),
        expected_close=at.date() + timedelta(days=30),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        at=at,
    )
    quote = Quote.create(
        QuoteId("q-0001"),
        customer_id=buyer.id,
        currency="IDR",
        lines=[
            price_line([book], product_id=routers, quantity=12, currency="IDR", on=at.date()),
            price_line([book], product_id=switches, quantity=2, currency="IDR", on=at.date()),
            price_line(
                [book], product_id=support, quantity=1, currency="IDR", on=at.date()
            ).overridden(Money(1_800_000, "IDR"), reason="bundle price agreed"),
        ],
        tax_table=ppn_indonesia(),
        discount_percent=5,
        valid_until=at + timedelta(days=14),
        opportunity_id=deal.id,
        price_book_id=book.id,
        at=at,
    ).send(at=at + timedelta(hours=2))
    totals = quote.totals
    lines.append(
        f"quote {quote.id.value} (revision {quote.revision}): {plural(len(quote.lines), 'line')}, "
        f"net {money(totals.net)}, PPN {money(totals.tax)}, total {money(totals.total)}; "
        f"lines add up: {sum((t.net for t in totals.lines), Money.zero('IDR')) == totals.net}"
    )
    done = accept_quote(
        quote, order_id=OrderId("o-q-0001"), at=at + timedelta(days=3), opportunity=deal
    )
    order, won = done.order, done.opportunity or deal  # the quote names the deal: updated
    lines.append(
        f"accepted: order {order.id.value} total {money(order.total)} "
        f"(equal to the quote: {order.total == quote.total}); opportunity amount "
        f"{money(won.amount)} from {plural(len(won.lines), 'line item')}"
    )
    deals = _pipeline(customers, at)
    forecast = pipeline_forecast(deals, STANDARD_PIPELINE, currency="IDR", rates=_rates(at))
    lines.append(
        f"forecast of {plural(len(deals), 'deal')} in IDR, USD and SGD, reported in IDR at each "
        f"close date's rate: weighted {money(forecast.weighted_total('IDR'))}, "
        f"open {money(forecast.open_total('IDR'))}"
    )
    margins = profitability([order], products)
    lines.extend(
        f"  margin {row.product_id.value}: {plural(row.units, 'unit')}, "
        f"revenue {money(row.revenue)}, margin {'n/a' if row.margin is None else money(row.margin)}"
        for row in margins.products
    )
    uow = InMemoryUnitOfWork()
    with uow:
        for product in products:
            uow.products.add(product)
        uow.price_books.add(book)
        uow.customers.add(buyer)
        uow.opportunities.add(won)
        uow.quotes.add(done.quote)
        uow.orders.add(order)
        uow.commit()
    with uow:
        stored = (
            uow.products.count(),
            uow.price_books.count(),
            len(uow.quotes.for_customer(buyer.id)),
        )
    lines.append(
        f"stored in one unit of work: {plural(stored[0], 'product')}, "
        f"{plural(stored[1], 'price book')}, {plural(stored[2], 'quote')} for the customer"
    )
    return "\n".join(lines)
