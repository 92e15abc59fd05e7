"""Shared fixtures of the catalog tests: times, ids and a small price book."""

from datetime import UTC, date, datetime

from crmcore import Money
from crmcore.catalog import PriceBook, PriceBookId, PriceEntry, Product, ProductId

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)
ROUTER = ProductId("p-router")
SWITCH = ProductId("p-switch")


def idr(amount):
    """Rupiah."""
    return Money(str(amount), "IDR")


def product(**changes):
    """A product with defaults for every argument not given."""
    args = {"sku": "rt-ax3000", "name": "Router AX3000", "at": AT, **changes}
    return Product.create(ROUTER, **args)


def book(*entries, book_id="pb-idr", currency="IDR", active=True):
    """A price book holding ``entries``."""
    return PriceBook.create(
        PriceBookId(book_id),
        name="Indonesia 2026",
        currency=currency,
        entries=entries,
        active=active,
        at=AT,
    )


def entry(amount, *, product_id=ROUTER, valid_from=JAN, currency="IDR", **options):
    """A price entry of ``amount`` in ``currency``."""
    return PriceEntry(product_id, Money(str(amount), currency), valid_from=valid_from, **options)
