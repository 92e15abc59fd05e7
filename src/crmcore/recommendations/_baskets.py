"""Baskets: what was bought (or used) together, from orders, plain pairs or usage records.

A :class:`Basket` is one set of items that occurred together: the products of
one purchase, the items of one ``(basket_id, item)`` group, or the usage
categories of one customer (the telecom example: calls, SMS, data, video).
Every analysis of this package reads baskets through :func:`as_baskets`, so
orders, pairs, usage records and ready baskets go through one API.

Items are text: a product's id text (``ProductId("sku-1")`` is ``"sku-1"``)
or a usage category (``"data"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from crmcore._kernel._checks import clean_text, require_aware, to_decimal, type_name
from crmcore._kernel._ids import CustomerId, Identifier
from crmcore.commerce import Order
from crmcore.errors import InvalidType, ValidationError

#: The most baskets one analysis reads.
MAX_BASKETS: Final = 1_000_000
#: The most distinct items one basket holds.
MAX_BASKET_ITEMS: Final = 1_000
#: The longest item text.
MAX_ITEM_LENGTH: Final = 200

_ZERO: Final = Decimal(0)


def check_item(value: object, path: str) -> str:
    """An item's text: a product id's text, or a non-empty single-line str of at most 200 characters."""
    if isinstance(value, Identifier):
        return value.value
    return clean_text(value, path, max_length=MAX_ITEM_LENGTH, what="an item")


def _items(value: object) -> tuple[str, ...]:
    if not isinstance(value, (tuple, list, frozenset, set)):
        raise InvalidType(f"must be a tuple of items, not {type_name(value)}", path="$.items")
    if len(value) > MAX_BASKET_ITEMS:
        raise ValidationError(
            f"must hold at most {MAX_BASKET_ITEMS} items", path="$.items", code="too_many"
        )
    checked = {check_item(item, f"$.items[{index}]") for index, item in enumerate(value)}
    return tuple(sorted(checked))


def _returned(value: object) -> tuple[str, ...]:
    if not isinstance(value, (tuple, list, frozenset, set)):
        raise InvalidType(f"must be a tuple of items, not {type_name(value)}", path="$.returned")
    if len(value) > MAX_BASKET_ITEMS:
        raise ValidationError(
            f"must hold at most {MAX_BASKET_ITEMS} items", path="$.returned", code="too_many"
        )
    checked = {check_item(item, f"$.returned[{index}]") for index, item in enumerate(value)}
    return tuple(sorted(checked))


def _basket_id(value: object) -> str:
    if isinstance(value, Identifier):
        return value.value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return clean_text(value, "$.basket_id", max_length=MAX_ITEM_LENGTH, what="a basket id")


def _optional_customer(value: object) -> CustomerId | None:
    if value is None or type(value) is CustomerId:
        return value
    raise InvalidType(f"must be a CustomerId or None, not {type_name(value)}", path="$.customer_id")


@attrs.frozen(slots=True)
class Basket:
    """Items that occurred together, once each, sorted; and the items returned from them.

    >>> Basket("o-1", ["tea", "cups", "tea"]).items
    ('cups', 'tea')

    Attributes:
        basket_id: the order id text, the caller's basket id, or the customer id text
            of a usage basket.
        items: the distinct items, sorted (a product's id text or a usage category).
        customer_id: whose basket it is, where known.
        returned: items of the basket sent back (every unit of some line returned
            counts), sorted; they are left out of ``items`` once no unit is kept.
    """

    basket_id: str = attrs.field(converter=_basket_id)
    items: tuple[str, ...] = attrs.field(converter=_items)
    customer_id: CustomerId | None = attrs.field(
        default=None, kw_only=True, converter=_optional_customer
    )
    returned: tuple[str, ...] = attrs.field(default=(), kw_only=True, converter=_returned)


def _quantity(value: object) -> Decimal:
    number = to_decimal(value, "$.quantity")
    if number < _ZERO:
        raise ValidationError("must be zero or more", path="$.quantity", code="negative")
    return number


def _customer(value: object) -> CustomerId:
    if type(value) is not CustomerId:
        raise InvalidType(f"must be a CustomerId, not {type_name(value)}", path="$.customer_id")
    return value


def _usage_item(value: object) -> str:
    return check_item(value, "$.item")


def _usage_at(value: object) -> datetime:
    return require_aware(value, "$.at")


@attrs.frozen(slots=True)
class UsageRecord:
    """A customer's use of a service category at an instant (calls, SMS, data, video, ...).

    >>> from datetime import datetime, timezone
    >>> UsageRecord(CustomerId("c-1"), "data", datetime(2026, 1, 1, tzinfo=timezone.utc), 512)
    ... # doctest: +ELLIPSIS
    UsageRecord(customer_id=CustomerId('c-1'), item='data', at=..., quantity=Decimal('512'))

    Attributes:
        customer_id: who used it.
        item: the usage category (an item of the customer's usage basket).
        at: when (timezone-aware).
        quantity: how much (minutes, messages, megabytes: the caller's unit), zero or
            more; an int or a Decimal (floats are refused, as for Money).
    """

    customer_id: CustomerId = attrs.field(converter=_customer)
    item: str = attrs.field(converter=_usage_item)
    at: datetime = attrs.field(converter=_usage_at)
    quantity: Decimal = attrs.field(converter=_quantity)


def _limited(source: object, path: str) -> Iterator[tuple[int, object]]:
    if isinstance(source, (str, bytes)) or not isinstance(source, Iterable):
        raise InvalidType(f"must be an iterable, not {type_name(source)}", path=path)
    for index, element in enumerate(source):
        if index >= MAX_BASKETS:
            raise ValidationError(
                f"must hold at most {MAX_BASKETS} records", path=path, code="too_many"
            )
        yield index, element


def _order_basket(order: Order) -> Basket | None:
    """The products of a purchase of which some unit is kept, and those sent back."""
    if not order.is_purchase:
        return None
    kept: set[str] = set()
    returned: set[str] = set()
    for index, line in enumerate(order.lines):
        back = order.returned_quantity(index) if order.returns else 0
        if back:
            returned.add(line.product_id.value)
        if line.quantity > back:
            kept.add(line.product_id.value)
    return Basket(order.id.value, kept, customer_id=order.customer_id, returned=returned - kept)


def _usage(element: object, path: str) -> UsageRecord:
    if type(element) is UsageRecord:
        return element
    if not isinstance(element, tuple) or len(element) != 4:  # pragma: no cover - sorted out before
        raise InvalidType("must be a usage record", path=path)
    try:
        return UsageRecord(*element)
    except ValidationError as exc:
        raise exc.under(path) from None


def _kind(element: object) -> str:
    if isinstance(element, Basket):
        return "basket"
    if isinstance(element, Order):
        return "order"
    if isinstance(element, UsageRecord) or (isinstance(element, tuple) and len(element) == 4):
        return "usage"
    if isinstance(element, tuple) and len(element) == 2:
        return "pair"
    return "unknown"


def as_baskets(source: Iterable[Any], *, path: str = "$.baskets") -> tuple[Basket, ...]:
    """The baskets of ``source``: baskets, orders, ``(basket_id, item)`` pairs or usage records.

    - :class:`Basket` values are taken as they are.
    - :class:`~crmcore.commerce.Order` values: one basket per purchase
      (``order.is_purchase``) holding the products of which some unit is kept
      (lines every unit of which came back are left out and named in
      ``returned``). Cancelled and fully refunded orders are no purchases.
    - ``(basket_id, item)`` pairs: one basket per basket id, in the order first seen.
    - :class:`UsageRecord` values or ``(customer_id, item, at, quantity)``
      tuples: one basket per customer (basket id: the customer id's text),
      holding every category used with a quantity above zero.

    One source holds one kind of element; mixing them is refused.

    >>> as_baskets([("o-1", "tea"), ("o-2", "tea"), ("o-1", "cups")])
    (Basket(basket_id='o-1', items=('cups', 'tea'), customer_id=None, returned=()), Basket(basket_id='o-2', items=('tea',), customer_id=None, returned=()))

    Raises:
        InvalidType: ``source`` is not iterable, or holds something else
            (``$.baskets[i]``).
        ValidationError: kinds mixed (code ``mixed_sources``), more than
            :data:`MAX_BASKETS` records (code ``too_many``), a bad item
            (``$.baskets[i].item`` ...).
    """
    kind: str | None = None
    elements: list[object] = []
    for index, element in _limited(source, path):
        this = _kind(element)
        if this == "unknown":
            raise InvalidType(
                "must be a Basket, an Order, a (basket_id, item) pair or a usage record, "
                f"not {type_name(element)}",
                path=f"{path}[{index}]",
            )
        if kind is None:
            kind = this
        elif this != kind:
            raise ValidationError(
                f"must be a {kind} like the records before it",
                path=f"{path}[{index}]",
                code="mixed_sources",
            )
        elements.append(element)
    if kind == "pair":
        return _from_pairs(elements, path)
    if kind == "usage":
        return _from_usage(elements, path)
    if kind == "order":
        return tuple(b for b in map(_order_basket, elements) if b is not None)  # type: ignore[arg-type]
    return tuple(elements)  # type: ignore[arg-type]


def _from_pairs(elements: list[Any], path: str) -> tuple[Basket, ...]:
    grouped: dict[str, set[str]] = {}
    seen: dict[str, str] = {}
    for index, (key_value, item_value) in enumerate(elements):
        here = f"{path}[{index}]"
        try:
            key = _basket_id(key_value)
        except ValidationError as exc:
            raise exc.under(here) from None
        item = seen.get(item_value) if isinstance(item_value, str) else None
        if item is None:
            item = check_item(item_value, f"{here}[1]")
            if isinstance(item_value, str):
                seen[item_value] = item
        group = grouped.setdefault(key, set())
        group.add(item)
        if len(group) > MAX_BASKET_ITEMS:
            raise ValidationError(
                f"a basket must hold at most {MAX_BASKET_ITEMS} items", path=here, code="too_many"
            )
    return tuple(Basket(key, items) for key, items in grouped.items())


def _from_usage(elements: list[Any], path: str) -> tuple[Basket, ...]:
    used: dict[CustomerId, set[str]] = {}
    for index, element in enumerate(elements):
        record = _usage(element, f"{path}[{index}]")
        categories = used.setdefault(record.customer_id, set())
        if record.quantity > _ZERO:
            categories.add(record.item)
    return tuple(
        Basket(customer.value, items, customer_id=customer)
        for customer, items in used.items()
        if items
    )


def source_kind(source: Iterable[Any]) -> str:
    """``"usage"`` if ``source`` holds usage records, else ``"purchase"`` (for the wording)."""
    if isinstance(source, (list, tuple)) and source and _kind(source[0]) == "usage":
        return "usage"
    return "purchase"
