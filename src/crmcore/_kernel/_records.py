"""Reading plain records: tuples or objects with documented attributes.

Segmentation and analytics take their inputs as plain iterables, so that
domain orders, rows from a database cursor and tuples typed in a notebook
all work. A record is either a tuple whose first items are the named
fields, in order, or an object with attributes of those names.

Orders are ``(customer_id, at, amount)`` or objects with ``customer_id``,
``at`` (timezone-aware) and ``amount``: :class:`~crmcore.Money`, or a plain
number (Decimal, int, numeric str, float at its shortest decimal
representation, numpy scalar; see
:func:`~crmcore._kernel._numbers.statistic_decimal`) that the caller reads in a
currency it names. One input holds either kind, never both; order lines,
where needed, are the fourth tuple item or the ``lines`` attribute, each line
``(product_id, category, quantity)`` or an object with those attributes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._ids import require_id
from crmcore._kernel._money import Money, currency_code
from crmcore._kernel._numbers import statistic_decimal
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


class OrderTime(NamedTuple):
    """One order as read where its amount is not used: who, when, the amount's currency."""

    customer_id: Hashable
    at: datetime
    currency: str | None  # None for a plain-number amount
    position: int


#: The rule broken by an input mixing Money and plain-number amounts.
MIXED_AMOUNTS = "must be all Money or all plain numbers (a plain number has no currency)"


def _read(
    orders: object, until: datetime | None, path: str
) -> tuple[list[tuple[Hashable, datetime, Money | Decimal, int]], bool]:
    """Every order up to ``until``, amounts checked; and whether they are plain numbers.

    A Money amount stays Money; a plain one becomes a finite Decimal. Mixing
    the two is refused at the first order whose kind differs from the first's.
    """
    rows: list[tuple[Hashable, datetime, Money | Decimal, int]] = []
    plain: bool | None = None
    for index, record in enumerate(require_iterable(orders, path)):
        where = f"{path}[{index}]"
        customer_id, at, amount = fields_of(record, ("customer_id", "at", "amount"), where)
        require_id(customer_id, f"{where}.customer_id")
        when = require_aware(at, f"{where}.at")
        is_money = isinstance(amount, Money)
        value: Money | Decimal = (
            amount if is_money else statistic_decimal(amount, f"{where}.amount")
        )
        if plain is None:
            plain = not is_money
        elif plain is is_money:
            raise CurrencyMismatch(MIXED_AMOUNTS, path=f"{where}.amount")
        if until is not None and when > until:
            continue
        rows.append((customer_id, when, value, index))
    return rows, bool(plain)


def amount_currency_code(value: object, path: str = "$.amount_currency") -> str | None:
    """The checked ISO 4217 code of an ``amount_currency`` keyword (None stays None).

    Raises:
        ValidationError: not a known currency code (``path``).
    """
    if value is None:
        return None
    return currency_code(value, path)


def read_orders(
    orders: object,
    *,
    until: datetime | None = None,
    path: str = "$.orders",
    currency: str | None = None,
    currency_path: str = "$.amount_currency",
) -> list[OrderRow]:
    """Read and check every order; orders dated after ``until`` are left out.

    Plain-number amounts become Money in ``currency`` (the currency code the
    caller checked, given by its keyword at ``currency_path``); Money amounts
    keep their own currency.

    Raises:
        InvalidType: an order is not a record of the expected shape or types.
        ValidationError: an order's time is naive; an amount is NaN or
            infinite (``not_finite``) or too long; plain-number amounts
            without ``currency`` (``currency_path``, code ``required``).
        CurrencyMismatch: Money and plain-number amounts mixed.
    """
    rows, plain = _read(orders, until, path)
    if not plain:
        return [OrderRow(*row) for row in rows]  # type: ignore[arg-type]  # all Money
    if currency is None:
        raise ValidationError(
            "must name the currency of plain-number amounts (or give Money amounts)",
            path=currency_path,
            code="required",
        )
    return [
        OrderRow(customer_id, at, Money(amount, currency), index)
        for customer_id, at, amount, index in rows
    ]


def read_order_times(
    orders: object,
    *,
    until: datetime | None = None,
    path: str = "$.orders",
    one_currency: bool = False,
) -> list[OrderTime]:
    """Read and check every order whose amount is not used: any Money or plain numbers.

    Amounts are checked as :func:`read_orders` checks them (no mixing, no NaN)
    and need no currency. With ``one_currency``, Money amounts must all be in
    one currency.

    Raises:
        CurrencyMismatch: Money and plain numbers mixed, or (``one_currency``)
            Money in two currencies.
    """
    rows, _ = _read(orders, until, path)
    out = [
        OrderTime(customer_id, at, amount.currency if isinstance(amount, Money) else None, index)
        for customer_id, at, amount, index in rows
    ]
    if one_currency and out and out[0].currency is not None:
        found = out[0].currency
        for row in out:
            if row.currency != found:
                raise CurrencyMismatch(
                    f"must all be in one currency: {found} and {row.currency} are mixed",
                    path=f"{path}[{row.position}].amount",
                )
    return out


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
