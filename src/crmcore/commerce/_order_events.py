"""The events an :class:`~crmcore.commerce.Order` records."""

from __future__ import annotations

from typing import ClassVar

import attrs

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, OrderId
from crmcore._kernel._money import Money
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore.commerce._order_lines import OrderLine, ReturnedLine, ShippedLine
from crmcore.commerce._payments import Payment

# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class OrderEvent(DomainEvent, aggregate="order"):
    """Base of the events recorded by an :class:`Order`.

    Order events carry ids, statuses, amounts, lines and payments; the free
    text reasons given for refunds, returns and cancellations stay in the order.
    """

    order_id: OrderId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class OrderPlaced(OrderEvent):
    """An order was placed."""

    lines: tuple[OrderLine, ...]
    total: Money


@attrs.frozen(slots=True, kw_only=True)
class OrderPaymentRecorded(OrderEvent):
    """A payment against the order went through."""

    payment: Payment


@attrs.frozen(slots=True, kw_only=True)
class OrderPaymentFailed(OrderEvent):
    """An attempt to pay for the order failed (``payment.failure_reason`` is a code)."""

    payment: Payment


@attrs.frozen(slots=True, kw_only=True)
class OrderPaid(OrderEvent):
    """The order is paid in full (its payment status became paid)."""

    amount: Money


@attrs.frozen(slots=True, kw_only=True)
class OrderShipped(OrderEvent):
    """Units of the order went out: shipment number ``shipment`` (from 1) holding ``lines``."""

    shipment: int
    lines: tuple[ShippedLine, ...]


@attrs.frozen(slots=True, kw_only=True)
class OrderDelivered(OrderEvent):
    """Shipment number ``shipment`` (from 1), holding ``lines``, arrived."""

    shipment: int
    lines: tuple[ShippedLine, ...]


@attrs.frozen(slots=True, kw_only=True)
class OrderReturnedToSender(OrderEvent):
    """Shipment number ``shipment`` (from 1), holding ``lines``, came back undelivered.

    Refused at the door or undeliverable: its units count as not shipped again.
    """

    shipment: int
    lines: tuple[ShippedLine, ...]


@attrs.frozen(slots=True, kw_only=True)
class OrderFulfilled(OrderEvent):
    """Every unit of the order was delivered or handed over (its fulfilment status became delivered).

    Follows the :class:`OrderDelivered` of the last shipment to arrive.
    """


@attrs.frozen(slots=True, kw_only=True)
class OrderClosed(OrderEvent):
    """The order was closed (archived): it takes no more payments or shipments."""


@attrs.frozen(slots=True, kw_only=True)
class OrderReopened(OrderEvent):
    """A closed order was opened again."""


@attrs.frozen(slots=True, kw_only=True)
class OrderCancelled(OrderEvent):
    """The order was cancelled (anything paid was refunded just before).

    The reason given, if any, stays in the order.
    """


@attrs.frozen(slots=True, kw_only=True)
class OrderRefunded(OrderEvent):
    """Money was refunded: ``amount`` now, ``refunded_total`` everything refunded so far.

    The reason given, if any, stays in the order's :attr:`~Order.refunds`.
    """

    amount: Money
    refunded_total: Money


@attrs.frozen(slots=True, kw_only=True)
class OrderItemsReturned(OrderEvent):
    """Units of the order came back: ``lines`` (by line index) and the ``refund`` for them.

    The refund may be zero (an exchange); when it is not, :class:`OrderRefunded`
    follows. The reason given, if any, stays in the order's :attr:`~Order.returns`.
    """

    v1_names: ClassVar[tuple[str, ...]] = ("ItemsReturned",)

    lines: tuple[ReturnedLine, ...]
    refund: Money


@attrs.frozen(slots=True, kw_only=True)
class OrderCustomerRepointed(CustomerRepointedEvent, OrderEvent):
    """The order names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class OrderAnonymised(PersonalDataErasedEvent, OrderEvent):
    """The order's free-text reasons (``fields``: cancellation, refund, return reasons) were erased.

    Lines, amounts, payments and dates stay: accounting needs them.
    """

    fields: tuple[str, ...]
