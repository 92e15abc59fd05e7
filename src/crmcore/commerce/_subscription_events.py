"""The statuses a :class:`~crmcore.commerce.Subscription` moves through, and its events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._events import DomainEvent, event_rule
from crmcore._kernel._ids import CustomerId, PlanId, StaffId, SubscriptionId, TeamId
from crmcore._kernel._money import Money
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore._kernel._status import StatusMachine
from crmcore._kernel._time import Period
from crmcore.commerce._payments import Payment

# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionEvent(DomainEvent, aggregate="subscription"):
    """Base of the events recorded by a :class:`Subscription`.

    Subscription events carry ids, statuses, amounts, periods and payments;
    the free-text cancellation reason and the plan's name stay in the subscription.
    """

    subscription_id: SubscriptionId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionStarted(SubscriptionEvent):
    """A subscription started on a plan: its id, fee, billing period, trial and product type.

    ``term_periods`` is ``None`` when it renews until cancelled.
    """

    plan_id: PlanId
    fee: Money
    period: Period
    trial: Period | None
    product_type: str
    status: SubscriptionStatus
    term_periods: int | None = None
    owner: StaffId | None = None
    team: TeamId | None = None

    def _check(self) -> None:
        terms = self.term_periods
        event_rule(terms is None or terms >= 1, "$.term_periods", "must be 1 or more")


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionAssigned(SubscriptionEvent):
    """The subscription's owner (``None``: none), its team or both changed.

    ``owner`` and ``team`` are the new values, ``previous`` and ``previous_team``
    the old ones.
    """

    owner: StaffId | None
    previous: StaffId | None = None
    team: TeamId | None = None
    previous_team: TeamId | None = None


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionStatusChanged(SubscriptionEvent):
    """The status moved between trialing, active and past due."""

    previous: SubscriptionStatus
    status: SubscriptionStatus

    def _check(self) -> None:
        SUBSCRIPTION_STATUSES.check(self.previous, self.status)


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionPaymentRecorded(SubscriptionEvent):
    """A fee was paid."""

    payment: Payment


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionPaymentFailed(SubscriptionEvent):
    """An attempt to pay a fee failed (``payment.failure_reason`` is a code)."""

    payment: Payment


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionRenewed(SubscriptionEvent):
    """A fixed-term subscription was extended by ``periods`` billing periods."""

    periods: int
    ends_at: datetime

    def _check(self) -> None:
        event_rule(self.periods >= 1, "$.periods", "must be 1 or more")


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionCancellationScheduled(SubscriptionEvent):
    """The customer cancelled at the end of the current period (``ends_at``)."""

    ends_at: datetime


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionResumed(SubscriptionEvent):
    """A scheduled cancellation was withdrawn."""


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionCancelled(SubscriptionEvent):
    """The subscription ended by cancellation (now, or at the end of a period).

    ``ended_at`` is when it ended: the event's time for an immediate
    cancellation, the end of the period for a scheduled one (which
    :meth:`Subscription.refresh` records when it passes that end, so
    ``occurred_at`` may be later).
    """

    immediately: bool
    ended_at: datetime


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionExpired(SubscriptionEvent):
    """A fixed-term subscription reached the end of its term (``ended_at``).

    Recorded by :meth:`Subscription.refresh` once it passes that end, so
    ``occurred_at`` may be later than ``ended_at``.
    """

    ended_at: datetime


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionCustomerRepointed(CustomerRepointedEvent, SubscriptionEvent):
    """The subscription names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class SubscriptionAnonymised(PersonalDataErasedEvent, SubscriptionEvent):
    """The subscription's free text (``fields``: the cancellation reason) was erased.

    The plan, the schedule and the payments stay: accounting needs them.
    """

    fields: tuple[str, ...]


class SubscriptionStatus(StrEnum):
    """Where a subscription stands."""

    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


_S = SubscriptionStatus


#: The status machine: the statuses each status may change to; cancelled and expired are final.
SUBSCRIPTION_STATUSES: Final = StatusMachine(
    "subscription",
    {
        _S.TRIALING: {_S.ACTIVE, _S.PAST_DUE, _S.CANCELLED, _S.EXPIRED},
        _S.ACTIVE: {_S.PAST_DUE, _S.CANCELLED, _S.EXPIRED},
        _S.PAST_DUE: {_S.ACTIVE, _S.CANCELLED, _S.EXPIRED},
        _S.CANCELLED: set(),
        _S.EXPIRED: set(),
    },
)


_FINAL: Final = frozenset({_S.CANCELLED, _S.EXPIRED})
