"""The corpus of the catalog capability: one of every type.

Imported by ``_corpus.py`` before it harvests its samples (the lead wires it in
as ``CORPUS_ROOTS += CATALOG_CORPUS``), so every public attrs type of
:mod:`crmcore.catalog` and every event of its aggregates has a valid sample.
"""

from datetime import date

from crmcore import Money
from crmcore.catalog import PriceBook, PriceBookId, PriceEntry, Product, ProductId, resolve_price

from ._corpus import DAY, HOUR, T0

ROUTER_ID = ProductId("p-router")
#: A product through every command (so every product event has a sample).
PRODUCT = Product.create(
    ROUTER_ID,
    sku="RT-AX3000",
    name="Wi-Fi 6 router AX3000",
    family="networking",
    standard_cost=Money("780000", "IDR"),
    at=T0,
)
RETIRED_PRODUCT = (
    PRODUCT.rename("Router AX3000", at=T0 + HOUR)
    .change_family("wi-fi", at=T0 + HOUR)
    .change_unit("box", at=T0 + HOUR)
    .change_cost(Money("800000", "IDR"), at=T0 + HOUR)
    .change_tax_category("exempt", at=T0 + HOUR)
    .retire(at=T0 + DAY)
    .reactivate(at=T0 + DAY)
    .retire(at=T0 + 2 * DAY)
)
JAN = date(2026, 1, 1)
LIST_PRICE = PriceEntry(ROUTER_ID, Money("1250000", "IDR"), valid_from=JAN)
TIER_PRICE = PriceEntry(ROUTER_ID, Money("1150000", "IDR"), valid_from=JAN, min_quantity=10)
RESELLER_PRICE = PriceEntry(
    ROUTER_ID,
    Money("1050000", "IDR"),
    valid_from=JAN,
    valid_until=date(2027, 1, 1),
    customer_group="reseller",
)
PRICE_BOOK = PriceBook.create(
    PriceBookId("pb-idr"),
    name="Indonesia 2026",
    currency="IDR",
    entries=[LIST_PRICE, TIER_PRICE, RESELLER_PRICE],
    at=T0,
)
#: A book through every command (so every price book event has a sample).
CHANGED_BOOK = (
    PRICE_BOOK.change_price(ROUTER_ID, Money("1190000", "IDR"), on=date(2026, 4, 1), at=T0 + HOUR)
    .end_entry(RESELLER_PRICE, until=date(2026, 12, 1), at=T0 + HOUR)
    .add_entries(
        [PriceEntry(ProductId("p-cable"), Money("25000", "IDR"), valid_from=JAN)], at=T0 + HOUR
    )
    .remove_entry(TIER_PRICE, at=T0 + HOUR)
    .rename("Indonesia 2026 (rev. 2)", at=T0 + HOUR)
    .deactivate(at=T0 + DAY)
    .activate(at=T0 + DAY)
)
RESOLUTION = resolve_price(
    [PRICE_BOOK],
    product_id=ROUTER_ID,
    quantity=12,
    currency="IDR",
    on=date(2026, 2, 10),
    customer_group="reseller",
)

CORPUS = (
    PRODUCT,
    RETIRED_PRODUCT,
    LIST_PRICE,
    PRICE_BOOK,
    CHANGED_BOOK,
    RESOLUTION,
    RESOLUTION.candidates,
)
