"""The events a :class:`~crmcore.loyalty.LoyaltyAccount` records.

Every name starts with ``Loyalty``. Events carry ids, tier codes, points,
balances, times and snake_case reason codes, never free text: the reason
given for an adjustment or a tier change stays in the account's ledger and
tier history, where a handler that needs it can read it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from crmcore._kernel._checks import check_name
from crmcore._kernel._events import DomainEvent, event_rule
from crmcore._kernel._ids import CustomerId, LoyaltyAccountId, OrderId, ProgramId, RewardId
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyEvent(DomainEvent, aggregate="loyalty_account", id_field="account_id"):
    """Base of the events recorded by a :class:`~crmcore.loyalty.LoyaltyAccount`."""

    account_id: LoyaltyAccountId
    customer_id: CustomerId
    program_id: ProgramId


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyMemberEnrolled(LoyaltyEvent):
    """A customer joined the program (the ``member`` rung of the relationship ladder)."""

    v1_names: ClassVar[tuple[str, ...]] = ("MemberEnrolled",)

    tier: str


def _check_points(event: Any, rule: str, holds: bool) -> None:
    """The points rule of one event, and a balance that never goes below zero."""
    event_rule(holds, "$.points", rule)
    event_rule(event.balance >= 0, "$.balance", "must be 0 or more")


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyPointsEarned(LoyaltyEvent):
    """Points were earned; ``balance`` is the balance after the earning.

    ``occasions`` are the codes of the bonus rules that applied.
    """

    v1_names: ClassVar[tuple[str, ...]] = ("PointsEarned",)

    points: int
    balance: int
    order_id: OrderId | None = None
    expires_at: datetime | None = None
    occasions: tuple[str, ...] = ()

    def _check(self) -> None:
        # A tiny order earns 0 points and is still recorded (an order is earned on once).
        _check_points(self, "must be 0 or more", self.points >= 0)


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyPointsRedeemed(LoyaltyEvent):
    """Points were redeemed (``points`` is the positive number spent)."""

    v1_names: ClassVar[tuple[str, ...]] = ("PointsRedeemed",)

    points: int
    balance: int
    reward_id: RewardId | None = None

    def _check(self) -> None:
        _check_points(self, "must be 1 or more", self.points >= 1)


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyPointsExpired(LoyaltyEvent):
    """The unspent points of one lot expired (``points`` is the positive number lost)."""

    v1_names: ClassVar[tuple[str, ...]] = ("PointsExpired",)

    points: int
    balance: int
    earned_at: datetime
    expired_at: datetime

    def _check(self) -> None:
        _check_points(self, "must be 1 or more", self.points >= 1)
        event_rule(
            self.earned_at <= self.expired_at,
            "$.expired_at",
            "must not be before the points were earned",
            "time_backwards",
        )


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyPointsAdjusted(LoyaltyEvent):
    """Points were added or deducted by hand (``points`` is signed).

    The reason stays in the ledger entry, not the event.
    """

    v1_names: ClassVar[tuple[str, ...]] = ("PointsAdjusted",)

    points: int
    balance: int

    def _check(self) -> None:
        _check_points(self, "must not be 0", self.points != 0)


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyRewardRedeemed(LoyaltyEvent):
    """A reward of the catalogue was redeemed; the host hands it over (and takes stock)."""

    v1_names: ClassVar[tuple[str, ...]] = ("RewardRedeemed",)

    reward_id: RewardId
    points_cost: int

    def _check(self) -> None:
        event_rule(self.points_cost >= 1, "$.points_cost", "must be 1 or more")


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyTierChanged(LoyaltyEvent):
    """The member moved to another tier.

    ``qualifying`` is the qualifying activity that decided it (an amount in
    the program currency, or points), ``None`` for a manual change. The reason
    stays in the account's tier history, not the event.
    """

    v1_names: ClassVar[tuple[str, ...]] = ("TierChanged",)

    from_tier: str
    to_tier: str
    upgrade: bool
    qualifying: Decimal | None = None


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyMembershipClosed(LoyaltyEvent):
    """The membership ended: the *member* rung of the relationship ladder is left.

    ``reason`` is an optional snake_case code (``"member_request"``), never
    free text. The account keeps its ledger and balance, and takes no more
    earnings, spending or tier changes.
    """

    reason: str | None = None

    def _check(self) -> None:
        if self.reason is not None:
            check_name(self.reason, "$.reason")


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyCustomerRepointed(CustomerRepointedEvent, LoyaltyEvent):
    """The loyalty account names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyAccountAnonymised(PersonalDataErasedEvent, LoyaltyEvent):
    """The account's free-text reasons (``fields``: ledger and tier-change reasons) were erased.

    Points, lots, tiers and dates stay.
    """

    fields: tuple[str, ...]
