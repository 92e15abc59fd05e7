"""The values an order holds: lines, shipments, refunds and returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import (
    category,
    instance_of,
    positive_int,
    reason_text,
    require_aware,
    tuple_of,
    type_name,
)
from crmcore._kernel._derived import Derivable, derived, start_keeping
from crmcore._kernel._ids import ProductId
from crmcore._kernel._money import (
    Money,
    difference,
    less_nothing,
    money_at_least_zero,
    positive_money,
    product,
    same_currency,
)
from crmcore.errors import InvalidType, ValidationError

# -- values ------------------------------------------------------------------------------


def _line_quantity(_: object, __: attrs.Attribute[Any], value: object) -> None:
    positive_int(value, "$.quantity", maximum=MAX_QUANTITY)


def _unit_price(value: object) -> Money:
    return money_at_least_zero(value, "$.unit_price")


def _category(value: object) -> str:
    return category(value, "$.category")


def _discount(value: object) -> Money | None:
    return None if value is None else money_at_least_zero(value, "$.discount")


def _tax(value: object) -> Money | None:
    return None if value is None else money_at_least_zero(value, "$.tax")


@attrs.frozen(slots=True)
class OrderLine(Derivable):
    """One line of an order: a product, how many, at what unit price, less any discount, plus tax.

    ``tax`` is the tax charged on the line (as worked out by whoever priced it,
    such as a quote's tax table), in the line's currency, zero or more; the
    line's :attr:`net` leaves it out and its :attr:`total` adds it.

    >>> line = OrderLine(
    ...     ProductId("sku-1"),
    ...     3,
    ...     Money("20.00", "USD"),
    ...     category="Books",
    ...     discount=Money("5.00", "USD"),
    ...     tax=Money("6.05", "USD"),
    ... )
    >>> line.category, line.gross, line.net, line.total
    ('books', Money('60.00', 'USD'), Money('55.00', 'USD'), Money('61.05', 'USD'))
    """

    product_id: ProductId = attrs.field(validator=typed_id(ProductId, "$.product_id"))
    quantity: int = attrs.field(validator=_line_quantity)
    unit_price: Money = attrs.field(converter=_unit_price)
    category: str = attrs.field(kw_only=True, converter=_category)
    discount: Money | None = attrs.field(default=None, kw_only=True, converter=_discount)
    tax: Money | None = attrs.field(default=None, kw_only=True, converter=_tax)

    def __attrs_post_init__(self) -> None:
        start_keeping(self)
        if self.tax is not None:
            same_currency(self.tax, self.unit_price.currency, "$.tax")
        discount = self.discount
        if discount is not None:
            same_currency(discount, self.unit_price.currency, "$.discount")
            if discount.amount > self._gross_amount:  # one currency, checked just above
                raise ValidationError(
                    "must not exceed the line's quantity times its unit price",
                    path="$.discount",
                    code="discount_exceeds_line",
                )

    @property
    def currency(self) -> str:
        """The line's currency."""
        return self.unit_price.currency

    @derived
    def gross(self) -> Money:
        """Quantity times unit price (computed once per line)."""
        return self.unit_price * self.quantity

    @derived
    def _gross_amount(self) -> Decimal:
        """The amount of :attr:`gross`, digit for digit, without building its Money.

        An order reads the amounts of its lines (its subtotal is a Money of its
        own), so most lines never need their gross as Money.
        """
        return product(self.unit_price.amount, self.quantity)

    def _net_is_zero(self) -> bool:
        """True if :attr:`net` is zero, without building it (a net is never negative)."""
        discount = self.discount
        return self._gross_amount == (0 if discount is None else discount.amount)

    @derived
    def discount_amount(self) -> Money:
        """The line discount, zero if none."""
        return self.discount if self.discount is not None else Money.zero(self.currency)

    @derived
    def net(self) -> Money:
        """Gross less the line discount (computed once per line)."""
        if self.discount is None:
            return less_nothing(self.gross)  # gross less a zero discount
        # gross - discount, from the gross amount: the gross Money is not needed for it.
        return Money(difference(self._gross_amount, self.discount.amount), self.currency)

    @derived
    def tax_amount(self) -> Money:
        """The line's tax, zero if none."""
        return self.tax if self.tax is not None else Money.zero(self.currency)

    @derived
    def total(self) -> Money:
        """What the line charges: its net plus its tax."""
        if self.tax is None:
            return self.net
        return self.net + self.tax


def _refund_amount(value: object) -> Money:
    return positive_money(value, "$.amount")


def _refund_at(value: object) -> datetime:
    return require_aware(value, "$.at")


def _refund_reason(value: object) -> str | None:
    return None if value is None else reason_text(value, "$.reason")


@attrs.frozen(slots=True, kw_only=True)
class Refund:
    """Money given back to the customer, and why (free text, left out of the repr)."""

    amount: Money = attrs.field(converter=_refund_amount)
    at: datetime = attrs.field(converter=_refund_at)
    reason: str | None = attrs.field(default=None, converter=_refund_reason, repr=False)


def _line_index(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.line")
    if not 0 <= value < MAX_LINES:  # an index of the order's lines
        raise ValidationError(f"must be from 0 to {MAX_LINES - 1}", path="$.line", code="range")


def _returned_quantity(_: object, __: attrs.Attribute[Any], value: object) -> None:
    positive_int(value, "$.quantity", maximum=MAX_QUANTITY)


@attrs.frozen(slots=True)
class ReturnedLine:
    """How many units of one order line (by its index) came back."""

    line: int = attrs.field(validator=_line_index)
    quantity: int = attrs.field(validator=_returned_quantity)


@attrs.frozen(slots=True)
class ShippedLine:
    """How many units of one order line (by its index) went out in one shipment."""

    line: int = attrs.field(validator=_line_index)
    quantity: int = attrs.field(validator=_returned_quantity)


def _returned_lines(value: object) -> tuple[ReturnedLine, ...]:
    lines = tuple_of(
        value, "$.lines", instance_of(ReturnedLine, "a ReturnedLine"), max_items=MAX_LINES
    )
    return _distinct_lines(lines)


def _shipped_lines(value: object) -> tuple[ShippedLine, ...]:
    lines = tuple_of(
        value, "$.lines", instance_of(ShippedLine, "a ShippedLine"), max_items=MAX_LINES
    )
    return _distinct_lines(lines)


_L = TypeVar("_L", ReturnedLine, ShippedLine)


def _distinct_lines(lines: tuple[_L, ...]) -> tuple[_L, ...]:
    if not lines:
        raise ValidationError("must hold at least one line", path="$.lines", code="empty")
    seen: set[int] = set()
    for index, item in enumerate(lines):
        if item.line in seen:
            raise ValidationError(
                "must not repeat a line", path=f"$.lines[{index}].line", code="duplicate"
            )
        seen.add(item.line)
    return lines


def _return_refund(value: object) -> Money:
    return money_at_least_zero(value, "$.refund")


def _delivered_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.delivered_at")


def _returned_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.returned_at")


@attrs.frozen(slots=True, kw_only=True)
class Shipment:
    """Units of one or more lines sent out together at ``at``, delivered at ``delivered_at``.

    ``delivered_at`` and ``returned_at`` are ``None`` while the shipment is on
    its way. ``returned_at`` is when a shipment that was never delivered (refused
    at the door, undeliverable) came back to the seller: its units count as not
    shipped.
    """

    lines: tuple[ShippedLine, ...] = attrs.field(converter=_shipped_lines)
    at: datetime = attrs.field(converter=_refund_at)
    delivered_at: datetime | None = attrs.field(default=None, converter=_delivered_at)
    returned_at: datetime | None = attrs.field(default=None, converter=_returned_at)

    def __attrs_post_init__(self) -> None:
        for field, when in (("delivered_at", self.delivered_at), ("returned_at", self.returned_at)):
            if when is not None and when < self.at:
                raise ValidationError(
                    "must not be before the shipment was sent",
                    path=f"$.{field}",
                    code="time_backwards",
                )
        if self.delivered_at is not None and self.returned_at is not None:
            raise ValidationError(
                "must be None for a delivered shipment: only one on its way comes back",
                path="$.returned_at",
                code="delivered",
            )

    @property
    def quantity(self) -> int:
        """Units shipped, over all lines."""
        return sum(item.quantity for item in self.lines)

    @property
    def is_delivered(self) -> bool:
        """True once the shipment arrived."""
        return self.delivered_at is not None

    @property
    def is_returned_to_sender(self) -> bool:
        """True once the shipment came back to the seller undelivered."""
        return self.returned_at is not None

    @property
    def is_on_its_way(self) -> bool:
        """True while the shipment is neither delivered nor back with the seller."""
        return self.delivered_at is None and self.returned_at is None


@attrs.frozen(slots=True, kw_only=True)
class ItemReturn:
    """Units of one or more lines sent back, and the money refunded for them (maybe zero).

    The reason is free text that may hold personal data, so the repr leaves it out.
    """

    lines: tuple[ReturnedLine, ...] = attrs.field(converter=_returned_lines)
    at: datetime = attrs.field(converter=_refund_at)
    refund: Money = attrs.field(converter=_return_refund)
    reason: str | None = attrs.field(default=None, converter=_refund_reason, repr=False)

    @property
    def quantity(self) -> int:
        """Units returned, over all lines."""
        return sum(item.quantity for item in self.lines)


#: Most lines one order may hold.
MAX_LINES: Final = 500


#: Largest quantity of one line.
MAX_QUANTITY: Final = 1_000_000


#: Most payments, refunds or returns one order may record.
MAX_RECORDS: Final = 1_000
