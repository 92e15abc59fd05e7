"""The converters of an :class:`~crmcore.commerce.Order`'s fields (checked once per change)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import attrs

from crmcore._kernel._checks import items_of, reason_text, require_aware
from crmcore._kernel._money import same_currency
from crmcore.commerce._order_lines import (
    MAX_LINES,
    MAX_RECORDS,
    ItemReturn,
    OrderLine,
    Refund,
    Shipment,
)
from crmcore.commerce._payments import Payment
from crmcore.errors import ValidationError

_R = TypeVar("_R", Refund, ItemReturn)


def _order_lines(value: object) -> tuple[OrderLine, ...]:
    # One line, exactly an OrderLine (what most orders hold): the checks below pass as
    # they are (one item, of one currency), and a list gives the tuple they would give.
    if (type(value) is tuple or type(value) is list) and (
        len(value) == 1 and type(value[0]) is OrderLine
    ):
        return value if type(value) is tuple else (value[0],)
    lines = items_of(value, OrderLine, "$.lines", "an OrderLine", max_items=MAX_LINES, noun="lines")
    if not lines:
        raise ValidationError("must hold at least one line", path="$.lines", code="empty")
    first = lines[0].currency
    for index, line in enumerate(lines):
        if line.unit_price.currency != first:
            same_currency(line.unit_price, first, f"$.lines[{index}].unit_price")
    return lines


def _order_payments(value: object) -> tuple[Payment, ...]:
    # A tuple of payments, exactly (what the commands build), is what items_of returns as it is.
    if type(value) is tuple and len(value) <= MAX_RECORDS:
        for payment in value:
            if type(payment) is not Payment:
                break
        else:
            return value
    return items_of(value, Payment, "$.payments", "a Payment", max_items=MAX_RECORDS)


def _order_refunds(value: object) -> tuple[Refund, ...]:
    return items_of(value, Refund, "$.refunds", "a Refund", max_items=MAX_RECORDS)


def _order_returns(value: object) -> tuple[ItemReturn, ...]:
    return items_of(value, ItemReturn, "$.returns", "an ItemReturn", max_items=MAX_RECORDS)


def _order_shipments(value: object) -> tuple[Shipment, ...]:
    return items_of(value, Shipment, "$.shipments", "a Shipment", max_items=MAX_RECORDS)


def _order_closed_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.closed_at")


def _order_cancelled_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.cancelled_at")


def _order_cancel_reason(value: object) -> str | None:
    return None if value is None else reason_text(value, "$.cancel_reason")


def _without_reasons(items: tuple[_R, ...]) -> tuple[_R, ...]:
    """``items`` (refunds or returns) with their free-text reasons erased."""
    return tuple(item if item.reason is None else attrs.evolve(item, reason=None) for item in items)
