"""The catalog ports: products and price books.

.. versionadded:: 0.1
"""

from __future__ import annotations

from abc import abstractmethod

from crmcore._kernel._ids import Identifier, ProductId
from crmcore.catalog import PriceBook, Product, ProductStatus
from crmcore.repository._ports import Repository


class ProductRepository(Repository[Product]):
    """The products, with lookups by SKU, family and status.

    The SKU is a natural key: two products never share one
    (:class:`~crmcore.errors.DuplicateKey` on ``add`` or ``save``). Products
    are retired, not deleted: ``remove`` refuses a product that a price book
    or a quote still names. Orders and quotes name products by id only and keep their
    own copies of the price and name they were sold at, so a retired (or,
    once unlisted, removed) product never changes a past sale. The lookups
    return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def by_sku(self, sku: str) -> Product | None:
        """The product with this SKU (compared upper-case, as products keep it), or ``None``.

        Raises:
            InvalidType: ``sku`` is not a str.
            ValidationError: ``sku`` is not a SKU code (``$.sku``).
        """

    @abstractmethod
    def in_family(self, family: str | None) -> list[Product]:
        """The products of a family (normalized as products keep it; ``None``: without a family).

        Raises:
            ValidationError: ``family`` is not a category label (``$.family``).
        """

    @abstractmethod
    def with_status(self, status: ProductStatus | str) -> list[Product]:
        """The products with this status (``"active"`` or ``"retired"``).

        Raises:
            ValidationError: ``status`` is not a product status.
        """

    @abstractmethod
    def active(self) -> list[Product]:
        """The products sold now (status ``active``)."""

    @abstractmethod
    def remove(self, aggregate_id: Identifier) -> None:
        """Delete a product no price book or quote names.

        Raises:
            NotFound: no product has this id.
            ValidationError: a price book or quote the unit sees names the product
                (``$.aggregate_id``, code ``referenced``): retire it instead.
        """


class PriceBookRepository(Repository[PriceBook]):
    """The price books, with lookups by currency, activity and product listed.

    The lookups return matches in ascending id order; pass them, in the
    precedence you want, to :func:`~crmcore.catalog.resolve_price`.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_currency(self, currency: str) -> list[PriceBook]:
        """The books in this ISO 4217 currency (active or not).

        Raises:
            ValidationError: ``currency`` is not an ISO 4217 code (``$.currency``).
        """

    @abstractmethod
    def active(self) -> list[PriceBook]:
        """The active books, in every currency."""

    @abstractmethod
    def listing(self, product_id: ProductId) -> list[PriceBook]:
        """The books with at least one entry of ``product_id`` (valid or not, active or not).

        Raises:
            InvalidType: ``product_id`` is not a :class:`~crmcore.ProductId`.
        """
