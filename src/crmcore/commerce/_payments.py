"""Payments: what orders and subscriptions record when a customer pays (or fails to).

Orders live in :mod:`crmcore.commerce._orders`, subscriptions in
:mod:`crmcore.commerce._subscriptions`; both record :class:`Payment` s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import enum_converter, reason_code, require_aware, type_name
from crmcore._kernel._ids import PaymentId
from crmcore._kernel._money import Money, positive_money, same_currency
from crmcore._kernel._timeline import TimelineEntry
from crmcore.errors import InvalidType, ValidationError

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

    @classmethod
    def _of_checked(
        cls,
        *,
        id: PaymentId,  # noqa: A002 - the field's name.
        amount: Money,
        at: datetime,
        outcome: PaymentOutcome,
        method: PaymentMethod | None = None,
        due_at: datetime | None = None,
        failure_reason: str | None = None,
    ) -> Payment:
        """A payment of values a command has checked already (internal: orders and subscriptions).

        The commands check each value before they build the payment, with the
        checks this class's converters and validators run (and the command's
        own error paths): the id with :func:`typed_id`, the amount with
        :func:`positive_money`, ``at`` and ``due_at`` as aware datetimes (the
        command's time, a due date of the schedule), the method with the same
        enum converter and the reason with :func:`reason_code`. Those checks
        are not run a second time; the rule between the fields is. Anything
        else goes through the full constructor (and its checks): a value not
        exactly of the checked type (``PaymentId``, ``Money``, ``datetime``,
        ``PaymentOutcome``, ``PaymentMethod``), an amount not above zero, a
        naive time, or a failure reason (failed attempts are few).
        """
        if not (
            type(id) is PaymentId
            and type(amount) is Money
            and amount.amount > 0
            and type(at) is datetime
            and at.utcoffset() is not None
            and type(outcome) is PaymentOutcome
            and (method is None or type(method) is PaymentMethod)
            and (due_at is None or (type(due_at) is datetime and due_at.utcoffset() is not None))
            and failure_reason is None
        ):
            return cls(
                id=id,
                amount=amount,
                at=at,
                outcome=outcome,
                method=method,
                due_at=due_at,
                failure_reason=failure_reason,
            )
        payment = _new(cls)
        _set(payment, "id", id)
        _set(payment, "amount", amount)
        _set(payment, "at", at)
        _set(payment, "outcome", outcome)
        _set(payment, "method", method)
        _set(payment, "due_at", due_at)
        _set(payment, "failure_reason", failure_reason)
        if cls.__attrs_post_init__ is not _PAYMENT_RULE:
            payment.__attrs_post_init__()
        # else: the rule between the fields holds, the failure reason being None (above)
        return payment

    @property
    def succeeded(self) -> bool:
        """True if the money arrived."""
        return self.outcome is PaymentOutcome.SUCCEEDED


_new: Final = object.__new__
_set: Final = object.__setattr__
#: The rule between a payment's fields (``Payment.__attrs_post_init__``).
_PAYMENT_RULE: Final = Payment.__attrs_post_init__


# -- what orders and subscriptions share -----------------------------------------------------


def payment_inputs(
    payment_id: object, amount: object, currency: str, method: object, reason: object
) -> tuple[PaymentId, Money, PaymentMethod | None, str | None]:
    """The checked arguments of a payment command of an order or a subscription.

    The checks a command runs before its time (``$.payment_id``, ``$.amount``
    in ``currency``, ``$.method``, ``$.reason``), in that order; the values are
    what :meth:`Payment._of_checked` takes.
    """
    if type(payment_id) is not PaymentId:
        raise InvalidType(f"must be a PaymentId, not {type_name(payment_id)}", path="$.payment_id")
    money = same_currency(positive_money(amount, "$.amount"), currency, "$.amount")
    checked_method = None if method is None else _method(method)
    return payment_id, money, checked_method, reason_code(reason, "$.reason")


def payment_facts(
    payments: Iterable[Payment],
    fact: Callable[[datetime, str, str, str], TimelineEntry],
    key: str,
    of: str,
) -> Iterator[TimelineEntry]:
    """The timeline facts (``payment``, ``payment_failed``) of an order's or a subscription's payments.

    ``fact`` is the aggregate's fact maker, ``key`` its id (each fact's key is
    ``{key}/payment/{payment id}``) and ``of`` how a summary names it (``"order o-1"``).
    """
    for payment in payments:
        kind = "payment" if payment.succeeded else "payment_failed"
        verb = "payment of" if payment.succeeded else "failed payment of"
        yield fact(
            payment.at,
            kind,
            f"{key}/payment/{payment.id}",
            f"{verb} {payment.amount.rounded()} for {of}",
        )
