"""The product catalog: products, price books and price resolution.

A :class:`Product` is what the business sells: a SKU, a name, a family, a
unit of measure, a standard cost (for margins) and a tax category. It is
retired, never deleted while a price book lists it; orders and quotes name
products by id only and keep their own copies of the price and name they
were sold at.

A :class:`PriceBook` holds dated :class:`PriceEntry` prices in one currency:
list prices, volume tiers (``min_quantity`` above 1) and customer-group
prices. :func:`resolve_price` picks the most specific entry that applies
(a customer-group price, then the highest tier reached, then the earlier
book) and explains every candidate in a :class:`PriceResolution`.

>>> from datetime import date, datetime, timezone
>>> from crmcore import Money
>>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
>>> router = Product.create(ProductId("p-router"), sku="RT-AX3000", name="Router AX3000", at=at)
>>> book = PriceBook.create(
...     PriceBookId("pb-idr"),
...     name="Indonesia 2026",
...     currency="IDR",
...     entries=[
...         PriceEntry(router.id, Money("1250000", "IDR"), valid_from=date(2026, 1, 1)),
...         PriceEntry(
...             router.id, Money("1100000", "IDR"), valid_from=date(2026, 1, 1), min_quantity=10
...         ),
...     ],
...     at=at,
... )
>>> price = resolve_price(
...     [book], product_id=router.id, quantity=12, currency="IDR", on=date(2026, 3, 1)
... )
>>> price.unit_price, price.extended_price, price.reason
(Money('1100000', 'IDR'), Money('13200000', 'IDR'), 'volume_tier')
"""

from crmcore._kernel._ids import PriceBookId, ProductId
from crmcore.catalog._price_books import (
    MAX_BOOK_NAME,
    MAX_PRICE_ENTRIES,
    MAX_PRICE_QUANTITY,
    PriceBook,
    PriceBookActivated,
    PriceBookCreated,
    PriceBookDeactivated,
    PriceBookEvent,
    PriceBookRenamed,
    PriceEntriesAdded,
    PriceEntry,
    PriceEntryEnded,
    PriceEntryRemoved,
    check_customer_group,
)
from crmcore.catalog._products import (
    MAX_PRODUCT_NAME,
    MAX_SKU,
    PRODUCT_STATUSES,
    Product,
    ProductCostChanged,
    ProductCreated,
    ProductEvent,
    ProductFamilyChanged,
    ProductReactivated,
    ProductRenamed,
    ProductRetired,
    ProductStatus,
    ProductTaxCategoryChanged,
    ProductUnitChanged,
    check_sku,
)
from crmcore.catalog._resolution import (
    MAX_RESOLUTION_BOOKS,
    CandidateReason,
    PriceCandidate,
    PriceResolution,
    resolve_price,
)

__all__ = [
    "MAX_BOOK_NAME",
    "MAX_PRICE_ENTRIES",
    "MAX_PRICE_QUANTITY",
    "MAX_PRODUCT_NAME",
    "MAX_RESOLUTION_BOOKS",
    "MAX_SKU",
    "PRODUCT_STATUSES",
    "CandidateReason",
    "PriceBook",
    "PriceBookActivated",
    "PriceBookCreated",
    "PriceBookDeactivated",
    "PriceBookEvent",
    "PriceBookId",
    "PriceBookRenamed",
    "PriceCandidate",
    "PriceEntriesAdded",
    "PriceEntry",
    "PriceEntryEnded",
    "PriceEntryRemoved",
    "PriceResolution",
    "Product",
    "ProductCostChanged",
    "ProductCreated",
    "ProductEvent",
    "ProductFamilyChanged",
    "ProductId",
    "ProductReactivated",
    "ProductRenamed",
    "ProductRetired",
    "ProductStatus",
    "ProductTaxCategoryChanged",
    "ProductUnitChanged",
    "check_customer_group",
    "check_sku",
    "resolve_price",
]
