"""Payments: what orders and subscriptions record when a customer pays (or fails to).

Orders live in :mod:`crmcore.commerce._orders`, subscriptions in
:mod:`crmcore.commerce._subscriptions`; both record :class:`Payment` s.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import enum_converter, reason_code, require_aware
from crmcore._kernel._ids import PaymentId
from crmcore._kernel._money import Money, positive_money
from crmcore.errors import ValidationError

# -- shared checks -------------------------------------------------------------------------


# -- payments ----------------------------------------------------------------------------


class PaymentOutcome(StrEnum):
    """Whether a payment attempt went through."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentMethod(StrEnum):
    """How the customer paid (or tried to)."""

    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    DIRECT_DEBIT = "direct_debit"
    E_WALLET = "e_wallet"
    CASH = "cash"
    OTHER = "other"


def _payment_amount(value: object) -> Money:
    return positive_money(value, "$.amount")


def _payment_at(value: object) -> datetime:
    return require_aware(value, "$.at")


_outcome: Final = enum_converter(PaymentOutcome, "$.outcome")
_method: Final = enum_converter(PaymentMethod, "$.method")


def _payment_outcome(value: object) -> PaymentOutcome:
    if type(value) is PaymentOutcome:
        return value
    return _outcome(value)


def _payment_method(value: object) -> PaymentMethod | None:
    if value is None:
        return None
    return _method(value)


def _payment_due_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.due_at")


def _payment_reason(value: object) -> str | None:
    return None if value is None else reason_code(value, "$.failure_reason")


@attrs.frozen(slots=True, kw_only=True)
class Payment:
    """One payment, or one failed attempt to pay, of an order or a subscription.

    Attributes:
        id: the payment's identifier (from the payment provider, say).
        amount: how much was paid or attempted (more than zero).
        at: when it was paid or attempted.
        outcome: succeeded or failed.
        method: how, if known.
        due_at: for a subscription, the due date this payment settles.
        failure_reason: for a failed attempt, a snake_case reason code
            (``"insufficient_funds"``, at most 64 characters); never free
            text or card data, so payments may travel in events.

    >>> from datetime import datetime, timezone
    >>> Payment(
    ...     id=PaymentId("p-1"),
    ...     amount=Money("9.99", "EUR"),
    ...     at=datetime(2026, 2, 1, tzinfo=timezone.utc),
    ... ).succeeded
    True
    """

    id: PaymentId = attrs.field(validator=typed_id(PaymentId, "$.id"))
    amount: Money = attrs.field(converter=_payment_amount)
    at: datetime = attrs.field(converter=_payment_at)
    outcome: PaymentOutcome = attrs.field(
        default=PaymentOutcome.SUCCEEDED, converter=_payment_outcome
    )
    method: PaymentMethod | None = attrs.field(default=None, converter=_payment_method)
    due_at: datetime | None = attrs.field(default=None, converter=_payment_due_at)
    failure_reason: str | None = attrs.field(default=None, converter=_payment_reason)

    def __attrs_post_init__(self) -> None:
        if self.failure_reason is not None and self.outcome is PaymentOutcome.SUCCEEDED:
            raise ValidationError(
                "only a failed payment has a failure reason",
                path="$.failure_reason",
                code="reason_on_success",
            )

    @property
    def succeeded(self) -> bool:
        """True if the money arrived."""
        return self.outcome is PaymentOutcome.SUCCEEDED


# -- billing periods -----------------------------------------------------------------------
