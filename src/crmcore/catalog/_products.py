"""Products: what a business sells, by SKU, with the facts quotes, orders and margins need.

A :class:`Product` is an aggregate on the crmcore kernel. It holds product
facts only (a SKU, a name, a family, a unit of measure, a standard cost and a
tax category): nothing in it is personal data, so its events may carry the
name. Products are retired, never deleted while something lists them: orders
and quotes name a product by its :class:`~crmcore.ProductId` only and keep
their own copies of the price and name they were sold at, so renaming or
retiring a product never rewrites a sale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import Aggregate
from crmcore._kernel._checks import (
    category,
    check_name,
    clean_text,
    enum_converter,
    type_name,
)
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import ProductId
from crmcore._kernel._money import Money, money_at_least_zero
from crmcore._kernel._status import StatusMachine
from crmcore.errors import InvalidType, ValidationError

#: Longest SKU, in characters.
MAX_SKU: Final = 64
#: Longest product name, in characters.
MAX_PRODUCT_NAME: Final = 200

_SKU: Final = re.compile(r"[A-Z0-9][A-Z0-9._/-]*\Z")


class ProductStatus(StrEnum):
    """Whether a product is sold: ``active``, or ``retired`` (kept for history, not sold)."""

    ACTIVE = "active"
    RETIRED = "retired"


#: The status machine of products: active and retired, each way.
PRODUCT_STATUSES: Final = StatusMachine(
    "product",
    {
        ProductStatus.ACTIVE: {ProductStatus.RETIRED},
        ProductStatus.RETIRED: {ProductStatus.ACTIVE},
    },
)


# -- field checks ----------------------------------------------------------------------------


def check_sku(value: object, path: str = "$.sku") -> str:
    """A stock-keeping unit code: trimmed and upper-cased, ASCII letters, digits and ``._/-``.

    SKUs compare without regard to case, so they are kept upper-case. At most
    :data:`MAX_SKU` characters, starting with a letter or digit.

    >>> check_sku(" ab-100/x ")
    'AB-100/X'
    >>> check_sku("AB 100")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.sku: must be a SKU code: ASCII letters, digits and ._/- (starting with a letter or digit), at most 64 characters
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    text = value.strip().upper() if len(value) <= 4 * MAX_SKU else value
    if not text.isascii() or len(text) > MAX_SKU or _SKU.match(text) is None:
        raise ValidationError(
            f"must be a SKU code: ASCII letters, digits and ._/- (starting with a letter or "
            f"digit), at most {MAX_SKU} characters",
            path=path,
            code="sku",
        )
    return text


def _sku(value: object) -> str:
    return check_sku(value, "$.sku")


def _product_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_PRODUCT_NAME, what="a product name")


def _family(value: object) -> str | None:
    return None if value is None else category(value, "$.family")


def _unit(value: object) -> str:
    return check_name(value, "$.unit")


def _tax_category(value: object) -> str:
    return check_name(value, "$.tax_category")


def _standard_cost(value: object) -> Money | None:
    return None if value is None else money_at_least_zero(value, "$.standard_cost")


def _status(value: object) -> ProductStatus:
    return enum_converter(ProductStatus, "$.status")(value)


# -- events ----------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class ProductEvent(DomainEvent, aggregate="product"):
    """Base of the events recorded by a :class:`Product` (product facts only: no personal data).

    .. versionadded:: 0.1
    """

    product_id: ProductId


@attrs.frozen(slots=True, kw_only=True)
class ProductCreated(ProductEvent):
    """A product was created with these facts.

    .. versionadded:: 0.1
    """

    sku: str
    name: str
    family: str | None = None
    unit: str = "each"
    standard_cost: Money | None = None
    tax_category: str = "standard"


@attrs.frozen(slots=True, kw_only=True)
class ProductRenamed(ProductEvent):
    """A product's name changed from ``previous`` to ``name``.

    .. versionadded:: 0.1
    """

    name: str
    previous: str


@attrs.frozen(slots=True, kw_only=True)
class ProductFamilyChanged(ProductEvent):
    """A product moved from the family ``previous`` to ``family`` (``None``: no family).

    .. versionadded:: 0.1
    """

    family: str | None = None
    previous: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class ProductUnitChanged(ProductEvent):
    """A product's unit of measure changed from ``previous`` to ``unit``.

    .. versionadded:: 0.1
    """

    unit: str
    previous: str


@attrs.frozen(slots=True, kw_only=True)
class ProductCostChanged(ProductEvent):
    """A product's standard cost changed from ``previous`` to ``standard_cost`` (``None``: unknown).

    .. versionadded:: 0.1
    """

    standard_cost: Money | None = None
    previous: Money | None = None


@attrs.frozen(slots=True, kw_only=True)
class ProductTaxCategoryChanged(ProductEvent):
    """A product's tax category changed from ``previous`` to ``tax_category``.

    .. versionadded:: 0.1
    """

    tax_category: str
    previous: str


@attrs.frozen(slots=True, kw_only=True)
class ProductRetired(ProductEvent):
    """A product was retired: no longer sold, kept for the records that name it.

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class ProductReactivated(ProductEvent):
    """A retired product is sold again.

    .. versionadded:: 0.1
    """


# -- the aggregate ---------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Product(Aggregate[ProductId], kind="product"):
    """A product the business sells: a SKU, a name, a family, a unit, a standard cost and a tax category.

    Create one with :meth:`create` (:class:`ProductCreated`); :meth:`rename`,
    :meth:`change_family`, :meth:`change_unit`, :meth:`change_cost`,
    :meth:`change_tax_category`, :meth:`retire` and :meth:`reactivate`
    change it. A command that changes nothing returns the product itself and
    records nothing (retiring a retired product is refused instead: the
    status machine :data:`PRODUCT_STATUSES` allows ``active`` ↔ ``retired``).

    The SKU is kept upper-case (see :func:`check_sku`); the family is a
    category label such as ``"software"`` (trimmed, case-folded); the unit of
    measure and the tax category are snake_case codes (``"each"``,
    ``"hour"``, ``"standard"``, ``"exempt"``); the standard cost, what one
    unit costs the business, is Money of zero or more (``None``: unknown) and
    is what margins are computed from. Prices live in price books
    (:class:`~crmcore.catalog.PriceBook`), not in the product.

    Like every crmcore aggregate it is immutable: each command returns a new
    product and records an event; a command dated before the last change is
    refused (``time_backwards``); a refused command leaves the product as it
    was. Every command takes the envelope keywords ``actor``,
    ``correlation_id`` and ``causation_id``.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
    >>> product = Product.create(
    ...     ProductId("p-router"),
    ...     sku="rt-ax3000",
    ...     name="Wi-Fi 6 router AX3000",
    ...     family="Networking",
    ...     standard_cost=Money("650000", "IDR"),
    ...     at=at,
    ... )
    >>> product
    Product(id=ProductId('p-router'), sku='RT-AX3000', family='networking', status='active', version=0, pending_events=1)
    >>> product = product.retire(at=at)
    >>> product.is_active, [e.type for e in product.pending_events]
    (False, ['ProductCreated', 'ProductRetired'])
    >>> product.retire(at=at)
    Traceback (most recent call last):
    ...
    crmcore.errors.TransitionNotAllowed: $.status: a product that is retired cannot become retired; it may become: active

    Attributes:
        sku: the stock-keeping unit code (upper-case).
        name: the product's name (product facts are not personal data).
        family: the product family, a category label, or ``None``.
        unit: the unit of measure quantities count (``"each"`` by default).
        standard_cost: what one unit costs the business, or ``None``.
        tax_category: the tax category code (``"standard"`` by default).
        status: :class:`ProductStatus`.

    .. versionadded:: 0.1
    """

    sku: str = attrs.field(converter=_sku)
    name: str = attrs.field(converter=_product_name)
    family: str | None = attrs.field(default=None, converter=_family)
    unit: str = attrs.field(default="each", converter=_unit)
    standard_cost: Money | None = attrs.field(default=None, converter=_standard_cost)
    tax_category: str = attrs.field(default="standard", converter=_tax_category)
    status: ProductStatus = attrs.field(default=ProductStatus.ACTIVE, converter=_status)

    def _event_fields(self) -> Mapping[str, object]:
        return {"product_id": self.id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        product_id: ProductId,
        *,
        sku: str,
        name: str,
        at: datetime,
        family: str | None = None,
        unit: str = "each",
        standard_cost: Money | None = None,
        tax_category: str = "standard",
        **meta: Unpack[EventMeta],
    ) -> Product:
        """Create an active product at ``at``; records :class:`ProductCreated`.

        Raises:
            InvalidType: ``product_id`` is not a ProductId, or an argument has the wrong type.
            ValidationError: an argument breaks a rule; the path names it
                (``$.sku`` code ``sku``, ``$.name``, ``$.family``, ``$.unit``,
                ``$.standard_cost`` code ``negative``, ``$.tax_category``, ``$.at``).
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda product: ProductCreated.draft(
                sku=product.sku,
                name=product.name,
                family=product.family,
                unit=product.unit,
                standard_cost=product.standard_cost,
                tax_category=product.tax_category,
            ),
            id=product_id,
            sku=sku,
            name=name,
            family=family,
            unit=unit,
            standard_cost=standard_cost,
            tax_category=tax_category,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        """True while the product is sold (not retired)."""
        return self.status is ProductStatus.ACTIVE

    # -- commands -------------------------------------------------------------------------

    def _change(
        self, field: str, value: Any, event: type[ProductEvent], at: object, meta: Any
    ) -> Product:
        command = self._begin(at, meta)
        current = getattr(self, field)
        if value == current:
            return self
        return self._record(
            command, event.draft(**{field: value, "previous": current}), **{field: value}
        )

    def rename(self, name: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Product:
        """Change the product's name; records :class:`ProductRenamed` (the same name is a no-op).

        Raises:
            ValidationError: the name breaks a rule (``$.name``) or ``at`` is refused (``$.at``).
        """
        return self._change("name", _product_name(name), ProductRenamed, at, meta)

    def change_family(
        self, family: str | None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Product:
        """Move the product to ``family`` (``None``: no family); records :class:`ProductFamilyChanged`.

        Raises:
            ValidationError: the family breaks a rule (``$.family``) or ``at`` is refused.
        """
        return self._change("family", _family(family), ProductFamilyChanged, at, meta)

    def change_unit(self, unit: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Product:
        """Change the unit of measure; records :class:`ProductUnitChanged`.

        Raises:
            ValidationError: ``unit`` is not a snake_case code (``$.unit``) or ``at`` is refused.
        """
        return self._change("unit", _unit(unit), ProductUnitChanged, at, meta)

    def change_cost(
        self, standard_cost: Money | None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Product:
        """Change the standard cost (``None``: unknown); records :class:`ProductCostChanged`.

        A cost in another currency than the current one is allowed (the
        business may change its costing currency); the same amount in the
        same currency (``1.50`` and ``1.5``) is a no-op.

        Raises:
            InvalidType: ``standard_cost`` is not Money (``$.standard_cost``).
            ValidationError: it is negative (``$.standard_cost``, code
                ``negative``) or ``at`` is refused.
        """
        checked = _standard_cost(standard_cost)
        command = self._begin(at, meta)
        current = self.standard_cost
        if checked == current:
            return self
        draft = ProductCostChanged.draft(standard_cost=checked, previous=current)
        return self._record(command, draft, standard_cost=checked)

    def change_tax_category(
        self, tax_category: str, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Product:
        """Change the tax category; records :class:`ProductTaxCategoryChanged`.

        Raises:
            ValidationError: ``tax_category`` is not a snake_case code
                (``$.tax_category``) or ``at`` is refused.
        """
        return self._change(
            "tax_category", _tax_category(tax_category), ProductTaxCategoryChanged, at, meta
        )

    def retire(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Product:
        """Stop selling the product; records :class:`ProductRetired`.

        Raises:
            TransitionNotAllowed: the product is retired already.
            ValidationError: ``at`` is refused (``$.at``).
        """
        command = self._begin(at, meta)
        PRODUCT_STATUSES.check(self.status, ProductStatus.RETIRED)
        return self._record(command, ProductRetired.draft(), status=ProductStatus.RETIRED)

    def reactivate(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Product:
        """Sell a retired product again; records :class:`ProductReactivated`.

        Raises:
            TransitionNotAllowed: the product is active already.
            ValidationError: ``at`` is refused (``$.at``).
        """
        command = self._begin(at, meta)
        PRODUCT_STATUSES.check(self.status, ProductStatus.ACTIVE)
        return self._record(command, ProductReactivated.draft(), status=ProductStatus.ACTIVE)

    def __repr__(self) -> str:
        return (
            f"Product(id={self.id!r}, sku={self.sku!r}, family={self.family!r}, "
            f"status={self.status.value!r}, version={self.version}, "
            f"pending_events={len(self.pending_events)})"
        )
