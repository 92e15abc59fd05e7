"""The targets of the catalog capability (see ``_targets.py``; the lead imports this module)."""

from datetime import date

from hypothesis import strategies as st

from crmcore import Money, catalog
from crmcore.catalog import PriceBook, PriceBookId, PriceEntry, Product, ProductId
from crmcore.testing.strategies._catalog import price_books, products

from ._corpus import BASE_END, HOUR, LATER, either
from ._corpus_catalog import CHANGED_BOOK, LIST_PRICE, PRICE_BOOK, PRODUCT, ROUTER_ID
from ._fuzz import function, method

PRODUCTS = either(PRODUCT, products(max_steps=3, max_created_at=BASE_END))
BOOKS = st.one_of(
    st.sampled_from([PRICE_BOOK, CHANGED_BOOK]),
    price_books(currency="IDR", product_ids=[ROUTER_ID], max_entries=4, max_created_at=BASE_END),
)

# -- products --------------------------------------------------------------------------------

function(
    Product.create,
    {"product_id": ProductId("p-9"), "sku": "SKU-9", "name": "Cable", "at": LATER},
    name="Product.create",
)
for _name, _args in {
    "rename": lambda p: {"name": "New name", "at": p.updated_at + HOUR},
    "change_family": lambda p: {"family": "cables", "at": p.updated_at + HOUR},
    "change_unit": lambda p: {"unit": "metre", "at": p.updated_at + HOUR},
    "change_cost": lambda p: {"standard_cost": Money("10", "IDR"), "at": p.updated_at + HOUR},
    "change_tax_category": lambda p: {"tax_category": "exempt", "at": p.updated_at + HOUR},
    "retire": lambda p: {"at": p.updated_at + HOUR},
    "reactivate": lambda p: {"at": p.updated_at + HOUR},
    "without_pending_events": None,
}.items():
    method(PRODUCTS, _name, _args, label="Product")
function(catalog.check_sku, {"value": "ab-1", "path": "$.sku"})
function(catalog.check_customer_group, {"value": "reseller", "path": "$.customer_group"})

# -- price books -----------------------------------------------------------------------------

function(
    PriceEntry,
    {
        "product_id": ROUTER_ID,
        "unit_price": Money("100", "IDR"),
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2026, 2, 1),
        "min_quantity": 5,
        "customer_group": "reseller",
    },
    name="PriceEntry",
)
method(st.just(LIST_PRICE), "is_valid_on", lambda e: {"day": date(2026, 3, 1)}, label="PriceEntry")
method(st.just(LIST_PRICE), "overlaps", lambda e: {"other": e}, label="PriceEntry")
function(
    PriceBook.create,
    {
        "book_id": PriceBookId("pb-9"),
        "name": "Export",
        "currency": "USD",
        "entries": [],
        "at": LATER,
    },
    name="PriceBook.create",
)
for _name, _args in {
    "add_entries": lambda b: {
        "entries": [
            PriceEntry(ProductId("p-new"), Money(1, b.currency), valid_from=date(2026, 1, 1))
        ],
        "at": b.updated_at + HOUR,
    },
    "change_price": lambda b: {
        "product_id": ROUTER_ID,
        "unit_price": Money(1, b.currency),
        "on": date(2031, 1, 1),
        "at": b.updated_at + HOUR,
    },
    "end_entry": lambda b: {
        "entry": b.entries[0] if b.entries else LIST_PRICE,
        "until": date(2040, 1, 1),
        "at": b.updated_at + HOUR,
    },
    "remove_entry": lambda b: {
        "entry": b.entries[0] if b.entries else LIST_PRICE,
        "at": b.updated_at + HOUR,
    },
    "rename": lambda b: {"name": "Renamed", "at": b.updated_at + HOUR},
    "deactivate": lambda b: {"at": b.updated_at + HOUR},
    "activate": lambda b: {"at": b.updated_at + HOUR},
    "entries_for": lambda b: {"product_id": ROUTER_ID},
    "without_pending_events": None,
}.items():
    method(BOOKS, _name, _args, label="PriceBook")
function(
    catalog.resolve_price,
    {
        "books": [PRICE_BOOK, CHANGED_BOOK],
        "product_id": ROUTER_ID,
        "quantity": 12,
        "currency": "IDR",
        "on": date(2026, 2, 10),
        "customer_group": "reseller",
    },
)
