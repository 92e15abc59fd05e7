"""The product and price book repositories and the registration of their aggregates.

Products are retired, never deleted while a price book lists them:
:meth:`StoreProductRepository.remove` asks the price books of the same unit
(their ``product`` index) first. Orders and quotes name products by id only
and keep their own copies of the price and name they were sold at.
"""

from __future__ import annotations

from typing import Final

from crmcore._kernel._checks import category, type_name
from crmcore._kernel._ids import Identifier, PriceBookId, ProductId
from crmcore._kernel._money import currency
from crmcore.catalog import PriceBook, Product, ProductStatus, check_sku
from crmcore.errors import InvalidType, ValidationError
from crmcore.repository._catalog_ports import PriceBookRepository, ProductRepository
from crmcore.repository._lookups import by_status, choice_argument, id_argument
from crmcore.repository._store import AggregateSpec, StoreRepository

#: The ``family`` index value of products without a family (family labels are never empty).
NO_FAMILY: Final = ""


#: The repositories whose records name products (each has a ``product`` index).
_LISTING: Final = frozenset({"price_books", "quotes"})


def _by_sku(product: Product) -> tuple[str, ...]:
    return (product.sku,)


def _by_family(product: Product) -> tuple[str, ...]:
    return (NO_FAMILY if product.family is None else product.family,)


def _by_currency(book: PriceBook) -> tuple[str, ...]:
    return (book.currency,)


def _by_activity(book: PriceBook) -> tuple[str, ...]:
    return ("active" if book.active else "inactive",)


def _by_product(book: PriceBook) -> tuple[str, ...]:
    return tuple(sorted({entry.product_id.value for entry in book.entries}))


class StoreProductRepository(StoreRepository[Product], ProductRepository):
    """The product repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    ``remove`` refuses a product a price book the unit sees still lists
    (code ``referenced``); the check reads the price books' ``product``
    index, so it costs the books that list the product, not all of them. A
    store without price books removes products freely. A price book added
    later in the same unit, listing a removed product, is not refused:
    remove products in a unit of their own.

    .. versionadded:: 0.1
    """

    def by_sku(self, sku: str) -> Product | None:
        """The product with this SKU, or ``None`` (see :class:`ProductRepository`)."""
        self._unit.view()
        return self.find_by_key("sku", check_sku(sku, "$.sku"))

    def in_family(self, family: str | None) -> list[Product]:
        """The products of a family (see :class:`ProductRepository`)."""
        self._unit.view()
        value = NO_FAMILY if family is None else category(family, "$.family")
        return self.find_by_index("family", value)

    def with_status(self, status: ProductStatus | str) -> list[Product]:
        """The products with this status (see :class:`ProductRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, ProductStatus, "$.status"))

    def active(self) -> list[Product]:
        """The products sold now (see :class:`ProductRepository`)."""
        return self.with_status(ProductStatus.ACTIVE)

    def remove(self, aggregate_id: Identifier) -> None:
        """Delete a product no price book or quote names (see :class:`ProductRepository`)."""
        self._unit.view()
        checked = self._id(aggregate_id)
        for spec in self._unit.store.specs:
            if spec.name in _LISTING and StoreRepository(self._unit, spec).find_by_index(
                "product", checked.value
            ):
                raise ValidationError(
                    f"must not be named by any of the {spec.name}: retire the product instead",
                    path="$.aggregate_id",
                    code="referenced",
                )
        super().remove(checked)


class StorePriceBookRepository(StoreRepository[PriceBook], PriceBookRepository):
    """The price book repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_currency(self, currency: str) -> list[PriceBook]:
        """The books in this currency (see :class:`PriceBookRepository`)."""
        self._unit.view()
        return self.find_by_index("currency", _currency_argument(currency))

    def active(self) -> list[PriceBook]:
        """The active books (see :class:`PriceBookRepository`)."""
        self._unit.view()
        return self.find_by_index("activity", "active")

    def listing(self, product_id: ProductId) -> list[PriceBook]:
        """The books listing a product (see :class:`PriceBookRepository`)."""
        self._unit.view()
        return self.find_by_index("product", id_argument(product_id, ProductId, "$.product_id"))


def _currency_argument(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(
            f"must be an ISO 4217 code as str, not {type_name(value)}", path="$.currency"
        )
    try:
        return currency(value).code
    except ValidationError as exc:
        raise exc.under("$.currency") from None


#: The registration of the :class:`~crmcore.catalog.Product` aggregate.
PRODUCTS: Final[AggregateSpec[Product]] = AggregateSpec(
    name="products",
    kind="product",
    aggregate_type=Product,
    id_type=ProductId,
    natural_keys={"sku": _by_sku},
    indexes={"family": _by_family, "status": by_status},
    repository_type=StoreProductRepository,
)

#: The registration of the :class:`~crmcore.catalog.PriceBook` aggregate.
PRICE_BOOKS: Final[AggregateSpec[PriceBook]] = AggregateSpec(
    name="price_books",
    kind="price_book",
    aggregate_type=PriceBook,
    id_type=PriceBookId,
    indexes={"currency": _by_currency, "activity": _by_activity, "product": _by_product},
    repository_type=StorePriceBookRepository,
)
