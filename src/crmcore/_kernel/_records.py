"""Reading plain records: tuples or objects with documented attributes.

Segmentation and analytics take their inputs as plain iterables, so that
domain orders, rows from a database cursor and tuples typed in a notebook
all work. A record is either a tuple whose first items are the named
fields, in order, or an object with attributes of those names.

Orders are ``(customer_id, at, amount)`` or objects with ``customer_id``,
``at`` (timezone-aware) and ``amount`` (:class:`~crmcore.Money`); order lines,
where needed, are the fourth tuple item or the ``lines`` attribute, each line
``(product_id, category, quantity)`` or an object with those attributes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._ids import require_id
from crmcore._kernel._money import Money
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

_ABSENT = object()


def require_iterable(values: object, path: str) -> Iterable[Any]:
    """``values`` if it can be iterated (and is not text or a mapping)."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise InvalidType(f"must be an iterable of records, not {type_name(values)}", path=path)
    return values


def fields_of(
    record: object, names: tuple[str | tuple[str, ...], ...], path: str
) -> tuple[Any, ...]:
    """The named fields of a tuple record (in order) or an object (by attribute).

    A name given as a tuple lists alternatives: ``("at", "occurred_at")``.
    """
    count = len(names)
    wanted = ", ".join(n if isinstance(n, str) else n[0] for n in names)
    if isinstance(record, tuple):
        if len(record) < count:
            raise InvalidType(
                f"must be a tuple ({wanted}) or an object with those attributes", path=path
            )
        return tuple(record[:count])
    values: list[Any] = []
    for name in names:
        choices = (name,) if isinstance(name, str) else name
        found: Any = _ABSENT
        for choice in choices:
            found = getattr(record, choice, _ABSENT)
            if found is not _ABSENT:
                break
        if found is _ABSENT:
            raise InvalidType(
                f"must be a tuple ({wanted}) or an object with those attributes, "
                f"not {type_name(record)}",
                path=path,
            )
        values.append(found)
    return tuple(values)


class OrderRow(NamedTuple):
    """One order as read: who, when, how much, and its position in the input."""

    customer_id: Hashable
    at: datetime
    amount: Money
    position: int


class LineRow(NamedTuple):
    """One order line as read."""

    product_id: Hashable
    category: str | None
    quantity: int


def read_orders(
    orders: object, *, until: datetime | None = None, path: str = "$.orders"
) -> list[OrderRow]:
    """Read and check every order; orders dated after ``until`` are left out.

    Raises:
        InvalidType: an order is not a record of the expected shape or types.
        ValidationError: an order's time is naive.
    """
    rows: list[OrderRow] = []
    for index, record in enumerate(require_iterable(orders, path)):
        where = f"{path}[{index}]"
        customer_id, at, amount = fields_of(record, ("customer_id", "at", "amount"), where)
        require_id(customer_id, f"{where}.customer_id")
        when = require_aware(at, f"{where}.at")
        if not isinstance(amount, Money):
            raise InvalidType(f"must be Money, not {type_name(amount)}", path=f"{where}.amount")
        if until is not None and when > until:
            continue
        rows.append(OrderRow(customer_id, when, amount, index))
    return rows


def read_lines(record: object, path: str) -> list[LineRow]:
    """The lines of one order record (none if it has no lines)."""
    if isinstance(record, tuple):
        lines: object = record[3] if len(record) > 3 else ()
    else:
        lines = getattr(record, "lines", ())
    out: list[LineRow] = []
    for index, line in enumerate(require_iterable(lines, f"{path}.lines")):
        where = f"{path}.lines[{index}]"
        product_id, category, quantity = fields_of(
            line, ("product_id", "category", "quantity"), where
        )
        require_id(product_id, f"{where}.product_id")
        if category is not None and not isinstance(category, str):
            raise InvalidType(
                f"must be a str or None, not {type_name(category)}", path=f"{where}.category"
            )
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidType(
                f"must be an int, not {type_name(quantity)}", path=f"{where}.quantity"
            )
        if quantity < 0:
            raise ValidationError("must not be negative", path=f"{where}.quantity", code="negative")
        out.append(LineRow(product_id, category, quantity))
    return out


def single_currency(rows: Iterable[OrderRow], path: str = "$.orders") -> str | None:
    """The one currency of every order's amount (``None`` without orders).

    Raises:
        CurrencyMismatch: two orders are in different currencies.
    """
    found: str | None = None
    for row in rows:
        if found is None:
            found = row.amount.currency
        elif row.amount.currency != found:
            raise CurrencyMismatch(
                f"must all be in one currency: {found} and {row.amount.currency} are mixed",
                path=f"{path}[{row.position}].amount",
            )
    return found
