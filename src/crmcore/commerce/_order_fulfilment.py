"""Shipping, delivering and taking back an :class:`~crmcore.commerce.Order`'s units.

The order's commands (``ship``, ``deliver``, ``fulfil``, ``return_items``)
check their arguments and work out their events and changes here; the order
records them. The checks of the units an order holds (no line shipped beyond
what was ordered, none returned beyond what was delivered before the return)
live here too.

Units are counted per line: ``ordered`` (the line's quantity), ``shipped``
(in any shipment), ``delivered`` (in a delivered shipment) and ``returned``.
Always ``returned <= delivered <= shipped <= ordered``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crmcore._kernel._aggregate import Command
from crmcore._kernel._checks import positive_int, type_name
from crmcore._kernel._events import EventDraft
from crmcore._kernel._money import Money, money_at_least_zero, same_currency
from crmcore.commerce._order_events import (
    OrderDelivered,
    OrderFulfilled,
    OrderItemsReturned,
    OrderRefunded,
    OrderReturnedToSender,
    OrderShipped,
)
from crmcore.commerce._order_lines import (
    MAX_QUANTITY,
    MAX_RECORDS,
    ItemReturn,
    Refund,
    ReturnedLine,
    Shipment,
    ShippedLine,
)
from crmcore.commerce._order_states import (
    FULFILMENT_STATUSES,
    FulfilmentStatus,
    fulfilment_status_of,
)
from crmcore.errors import InvalidType, TransitionNotAllowed, ValidationError

if TYPE_CHECKING:
    from crmcore.commerce._orders import Order


# -- counting units ----------------------------------------------------------------------


def shipped_units(lines: int, shipments: tuple[Shipment, ...]) -> list[int]:
    """Units shipped per line, over ``lines`` lines (a shipment back with the seller ships none)."""
    units = [0] * lines
    for shipment in shipments:
        if shipment.returned_at is not None:
            continue
        for part in shipment.lines:
            if part.line < lines:
                units[part.line] += part.quantity
    return units


def delivered_units(lines: int, shipments: tuple[Shipment, ...]) -> list[int]:
    """Units delivered per line, over ``lines`` lines."""
    return shipped_units(lines, tuple(s for s in shipments if s.delivered_at is not None))


def returned_units(lines: int, returns: tuple[ItemReturn, ...]) -> list[int]:
    """Units returned per line, over ``lines`` lines."""
    units = [0] * lines
    for item in returns:
        for part in item.lines:
            if part.line < lines:
                units[part.line] += part.quantity
    return units


def status_of_units(
    order: Order, shipments: tuple[Shipment, ...], returns: tuple[ItemReturn, ...]
) -> FulfilmentStatus:
    """The fulfilment status of ``order``'s lines with ``shipments`` and ``returns``."""
    count = len(order.lines)
    return fulfilment_status_of(
        [line.quantity for line in order.lines],
        shipped_units(count, shipments),
        delivered_units(count, shipments),
        returned_units(count, returns),
    )


# -- the checks of an order's units ------------------------------------------------------


def check_shipments(order: Order) -> None:
    """Every shipment names lines of the order, none beyond what was ordered, none before placing.

    A shipment back with the seller undelivered ships no units.
    """
    ordered = [line.quantity for line in order.lines]
    shipped = [0] * len(ordered)
    placed = order.created_at
    for index, shipment in enumerate(order.shipments):
        if shipment.at < placed:
            raise ValidationError(
                "must not be before the order was placed",
                path=f"$.shipments[{index}].at",
                code="time_backwards",
            )
        for position, part in enumerate(shipment.lines):
            where = f"$.shipments[{index}].lines[{position}]"
            if part.line >= len(ordered):
                raise ValidationError(
                    "must name a line of the order", path=f"{where}.line", code="no_such_line"
                )
            if shipment.returned_at is not None:
                continue  # came back undelivered: its units are not shipped
            shipped[part.line] += part.quantity
            if shipped[part.line] > ordered[part.line]:
                raise ValidationError(
                    "must not ship more units than were ordered",
                    path=f"{where}.quantity",
                    code="ship_exceeds_ordered",
                )


def check_returns(order: Order) -> None:
    """Every return names lines of the order and takes back only units delivered before it.

    One sweep over the deliveries and returns in time order (a delivery before a
    return at the same time), so the work grows with their number, not its square.
    """
    count = len(order.lines)
    moments: list[tuple[datetime, int, int]] = [
        (shipment.delivered_at, 0, index)
        for index, shipment in enumerate(order.shipments)
        if shipment.delivered_at is not None
    ]
    moments.extend((item.at, 1, index) for index, item in enumerate(order.returns))
    moments.sort()
    delivered = [0] * count
    returned = [0] * count
    for _, kind, index in moments:
        if kind == 0:
            for part in order.shipments[index].lines:
                delivered[part.line] += part.quantity  # lines checked by check_shipments
            continue
        item = order.returns[index]
        same_currency(item.refund, order.currency, f"$.returns[{index}].refund")
        for position, returned_part in enumerate(item.lines):
            where = f"$.returns[{index}].lines[{position}]"
            line = returned_part.line
            if line >= count:
                raise ValidationError(
                    "must name a line of the order", path=f"{where}.line", code="no_such_line"
                )
            returned[line] += returned_part.quantity
            if returned[line] > delivered[line]:
                raise ValidationError(
                    "must not return more units than were delivered before the return",
                    path=f"{where}.quantity",
                    code="return_exceeds_ordered",
                )


# -- commands ----------------------------------------------------------------------------


def refused(
    order: Order, rule: str, wanted: FulfilmentStatus | None = None
) -> TransitionNotAllowed:
    """A refusal of a fulfilment command that is not a plain move of the machine."""
    current = order.fulfilment_status
    return TransitionNotAllowed(
        rule,
        path="$.fulfilment_status",
        machine=FULFILMENT_STATUSES.name,
        current=current.value,
        wanted=None if wanted is None else wanted.value,
        allowed=tuple(sorted(s.value for s in FULFILMENT_STATUSES.allowed(current))),
    )


def line_index(order: Order, line: object, path: str) -> int:
    """``line`` if it is the index of a line of ``order``."""
    if isinstance(line, bool) or not isinstance(line, int):
        raise InvalidType(f"must be a line index (int), not {type_name(line)}", path=path)
    if not 0 <= line < len(order.lines):
        raise ValidationError("must name a line of the order", path=path, code="no_such_line")
    return line


def _units(
    order: Order, quantities: object, room: list[int], code: str, rule: str
) -> list[tuple[int, int]]:
    """The ``{line index: units}`` of a command as sorted pairs, each within ``room`` per line."""
    if not isinstance(quantities, Mapping):
        raise InvalidType(
            f"must be a mapping of line index to units, not {type_name(quantities)}",
            path="$.quantities",
        )
    if not quantities:
        raise ValidationError("must name at least one unit", path="$.quantities", code="empty")
    if len(quantities) > len(order.lines):
        raise ValidationError(
            "must not name more lines than the order holds", path="$.quantities", code="too_many"
        )
    parts: list[tuple[int, int]] = []
    for line, units in sorted(quantities.items(), key=lambda kv: repr(kv[0])):
        path = f"$.quantities[{line!r}]" if isinstance(line, int) else "$.quantities[*]"
        index = line_index(order, line, path)
        count = positive_int(units, path, maximum=MAX_QUANTITY)
        if count > room[index]:
            raise ValidationError(rule, path=path, code=code)
        parts.append((index, count))
    parts.sort()
    return parts


def _room(order: Order, kind: str) -> None:
    if len(getattr(order, kind)) >= MAX_RECORDS:
        raise ValidationError(
            f"must hold at most {MAX_RECORDS} records", path=f"$.{kind}", code="too_many"
        )


def _moved(order: Order, new: FulfilmentStatus) -> None:
    current = order.fulfilment_status
    if new is not current:
        FULFILMENT_STATUSES.check(current, new, path="$.fulfilment_status")


def shipping(
    order: Order, quantities: Mapping[int, int] | None, command: Command
) -> tuple[list[EventDraft], dict[str, Any]]:
    """The events and changes of shipping ``quantities`` (``None``: every unit not shipped yet)."""
    count = len(order.lines)
    shipped = shipped_units(count, order.shipments)
    room = [line.quantity - shipped[i] for i, line in enumerate(order.lines)]
    if quantities is None:
        parts = [(i, units) for i, units in enumerate(room) if units]
        if not parts:
            raise refused(order, "every unit of the order was shipped already")
    else:
        parts = _units(
            order,
            quantities,
            room,
            "ship_exceeds_ordered",
            "must not be more than was ordered less what was already shipped",
        )
    _room(order, "shipments")
    lines = tuple(ShippedLine(line, units) for line, units in parts)
    shipment = Shipment(lines=lines, at=command.at)
    shipments = (*order.shipments, shipment)
    new = status_of_units(order, shipments, order.returns)
    _moved(order, new)
    draft = OrderShipped.draft(shipment=len(shipments), lines=lines)
    return [draft], {"shipments": shipments, "fulfilment_status": new}


def _chosen(
    order: Order, shipment: int | None, shipments: tuple[Shipment, ...], none_rule: str
) -> list[int]:
    """The indexes of shipment number ``shipment`` (from 1), or of every shipment on its way."""
    if shipment is None:
        chosen = [i for i, s in enumerate(shipments) if s.is_on_its_way]
        if not chosen:
            raise refused(order, none_rule)
        return chosen
    if isinstance(shipment, bool) or not isinstance(shipment, int):
        raise InvalidType(
            f"must be a shipment number (int), not {type_name(shipment)}", path="$.shipment"
        )
    if not 1 <= shipment <= len(shipments):
        raise ValidationError(
            "must name a shipment of the order", path="$.shipment", code="no_such_shipment"
        )
    named = shipments[shipment - 1]
    if named.delivered_at is not None:
        raise ValidationError(
            "must name a shipment not delivered yet", path="$.shipment", code="delivered"
        )
    if named.returned_at is not None:
        raise ValidationError(
            "must name a shipment not returned to the sender", path="$.shipment", code="returned"
        )
    return [shipment - 1]


def delivering(
    order: Order,
    shipment: int | None,
    command: Command,
    shipments: tuple[Shipment, ...],
    current: FulfilmentStatus,
) -> tuple[list[EventDraft], dict[str, Any]]:
    """The events and changes of delivering shipment number ``shipment`` (``None``: every one on its way).

    ``shipments`` and ``current`` are the order's shipments and fulfilment status
    (with any shipment made by the same command).
    """
    chosen = _chosen(order, shipment, shipments, "no shipment of the order is on its way")
    updated = list(shipments)
    drafts: list[EventDraft] = []
    for index in chosen:
        sent = shipments[index]
        arrived = Shipment(lines=sent.lines, at=sent.at, delivered_at=command.at)
        updated[index] = arrived
        drafts.append(OrderDelivered.draft(shipment=index + 1, lines=arrived.lines))
    after = tuple(updated)
    new = status_of_units(order, after, order.returns)
    if new is not current:
        FULFILMENT_STATUSES.check(current, new, path="$.fulfilment_status")
    if new is FulfilmentStatus.DELIVERED:
        drafts.append(OrderFulfilled.draft())
    return drafts, {"shipments": after, "fulfilment_status": new}


def sending_back(
    order: Order, shipment: int | None, command: Command
) -> tuple[list[EventDraft], dict[str, Any]]:
    """The events and changes of shipment ``shipment`` (``None``: every one on its way) coming back undelivered."""
    shipments = order.shipments
    chosen = _chosen(order, shipment, shipments, "no shipment of the order is on its way")
    updated = list(shipments)
    drafts: list[EventDraft] = []
    for index in chosen:
        sent = shipments[index]
        updated[index] = Shipment(lines=sent.lines, at=sent.at, returned_at=command.at)
        drafts.append(OrderReturnedToSender.draft(shipment=index + 1, lines=sent.lines))
    after = tuple(updated)
    new = status_of_units(order, after, order.returns)
    _moved(order, new)
    return drafts, {"shipments": after, "fulfilment_status": new}


def returning(
    order: Order,
    quantities: Mapping[int, int],
    command: Command,
    refund: Money | None,
    reason: str | None,
) -> tuple[list[EventDraft], dict[str, Any]]:
    """The events and changes of taking back ``quantities`` of delivered units."""
    count = len(order.lines)
    delivered = delivered_units(count, order.shipments)
    if not any(delivered):
        raise refused(order, "only delivered units can be returned")
    if not order.balance_due.is_zero():
        raise ValidationError(
            "must be nothing: units of an order not paid in full cannot be returned "
            "(take the payment first)",
            path="$.balance_due",
            code="balance_due",
        )
    returned = returned_units(count, order.returns)
    room = [delivered[i] - returned[i] for i in range(count)]
    parts = _units(
        order,
        quantities,
        room,
        "return_exceeds_ordered",
        "must not be more than was delivered less what was already returned",
    )
    _room(order, "returns")
    if refund is None:
        money = order._zero()  # noqa: SLF001 - same package
        for line, units in parts:
            charged = order.lines[line].total
            of = order.lines[line].quantity
            before = returned[line]
            money += rounded_share(charged, before + units, of) - rounded_share(charged, before, of)
        money = min(money, order.refundable)
    else:
        money = same_currency(money_at_least_zero(refund, "$.refund"), order.currency, "$.refund")
        if money > order.refundable:
            raise ValidationError(
                "must not exceed what was paid less what was already refunded",
                path="$.refund",
                code="refund_exceeds_paid",
            )
    lines = tuple(ReturnedLine(line, units) for line, units in parts)
    item = ItemReturn(lines=lines, at=command.at, refund=money, reason=reason)
    returns = (*order.returns, item)
    new = status_of_units(order, order.shipments, returns)
    _moved(order, new)
    drafts: list[EventDraft] = [OrderItemsReturned.draft(lines=lines, refund=money)]
    changes: dict[str, Any] = {"returns": returns, "fulfilment_status": new}
    if not money.is_zero():
        after = order.amount_refunded + money
        given = Refund(amount=money, at=command.at, reason=reason)
        drafts.append(OrderRefunded.draft(amount=money, refunded_total=after))
        changes.update(
            refunds=(*order.refunds, given),
            payment_status=order._payment_move(refunded=after),  # noqa: SLF001 - same package
        )
    return drafts, changes


def rounded_share(charged: Money, units: int, of: int) -> Money:
    """The refund for the first ``units`` of ``of`` units of a line charging ``charged``.

    In whole minor units, rounded down. Refunds of successive returns are
    differences of these, so a line returned in full refunds exactly what it
    charged (its net plus its tax), never a cent more or less; rounding down
    keeps a partial return from refunding the whole line early.
    """
    return (charged * units / of).rounded("ROUND_DOWN")
