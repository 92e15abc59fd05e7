"""The loyalty account: one member of one program, with a points ledger and a tier history.

The **ledger** is append-only. Each :class:`LedgerEntry` carries signed
points: earnings and positive adjustments add points and open a *lot* with
its own expiry; redemptions, negative adjustments and expirations take
points away. Consequences:

* :meth:`LoyaltyAccount.balance` is exactly the sum of the ledger's points
  (up to a time), and it is never negative;
* spending (a redemption or a negative adjustment) consumes the oldest
  unexpired lots first (FIFO); points of a lot past its expiry can no longer
  be spent;
* points past their expiry leave the balance only through an explicit
  ``expire`` entry, written by :meth:`LoyaltyAccount.expire_due` (run it
  from a scheduled job). Until then they count in :meth:`~LoyaltyAccount.balance`
  but not in :meth:`~LoyaltyAccount.available`; :meth:`~LoyaltyAccount.lapsed`
  says how many are waiting to be expired.

Earning for an order is idempotent per order id: a second
:meth:`~LoyaltyAccount.earn_for_order` for an order already in the ledger
returns the account unchanged and records nothing, so an order event
delivered twice never earns twice.

The **tier** follows the program's qualifying activity (points earned, or
spend of the orders earned for, during the rolling ``tier_window``): a member
moves up as soon as an earning qualifies them, and down only at
:meth:`~LoyaltyAccount.evaluate_tier`, once the program's ``downgrade_grace``
has passed since they last qualified for their tier
(:meth:`~LoyaltyAccount.tier_kept_until`).

>>> from datetime import datetime, timedelta, timezone
>>> from crmcore.customers import CustomerId
>>> from crmcore.loyalty import EarnRate, LoyaltyProgram, Tier
>>> from crmcore import Money
>>> from crmcore.commerce import Period
>>> program = LoyaltyProgram(
...     id=ProgramId("kopi-points"),
...     name="Kopi Points",
...     currency="IDR",
...     earn_rate=EarnRate(1, Money(10_000, "IDR")),
...     tiers=[Tier.by_points("bronze", 0, below=100), Tier.by_points("gold", 100)],
...     expiry=Period.months(12),
... )
>>> t0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
>>> account = LoyaltyAccount.enroll(
...     LoyaltyAccountId("la-1"), customer_id=CustomerId("c-1"), program=program, at=t0
... )
>>> account = account.earn(120, program, at=t0, reason="welcome bonus")
>>> account.tier, account.balance()
('gold', 120)
>>> account = account.redeem(50, at=t0 + timedelta(days=30), reason="free coffee")
>>> account.available(t0 + timedelta(days=400)), account.lapsed(t0 + timedelta(days=400))
(0, 70)
>>> account = account.expire_due(at=t0 + timedelta(days=400))
>>> account.balance(), [e.kind.value for e in account.ledger]
(0, ['earn', 'redeem', 'expire'])
>>> account.redeem(1, at=t0 + timedelta(days=401))
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.points: must not exceed the balance
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Final

import attrs

from crmcore._kernel._aggregate import check_version, optional_typed_id, pending_events, typed_id
from crmcore._kernel._checks import (
    aware,
    check_name,
    clean_text,
    enum_converter,
    instance_of,
    optional_aware,
    require_aware,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, LoyaltyAccountId, OrderId, ProgramId, RewardId
from crmcore._kernel._money import Money
from crmcore.commerce._orders import Order, OrderStatus
from crmcore.commerce._payments import same_currency
from crmcore.errors import InvalidType, ValidationError
from crmcore.loyalty._program import MAX_POINTS, LoyaltyProgram, TierBasis, points_value

__all__ = [
    "EntryKind",
    "LedgerEntry",
    "LoyaltyAccount",
    "LoyaltyEvent",
    "MemberEnrolled",
    "PointsAdjusted",
    "PointsEarned",
    "PointsExpired",
    "PointsLot",
    "PointsRedeemed",
    "PointsTotals",
    "RewardRedeemed",
    "TierChange",
    "TierChanged",
]

#: Most entries one ledger may hold.
MAX_ENTRIES: Final = 100_000
#: Most tier changes one account may hold.
MAX_TIER_CHANGES: Final = 10_000
#: Longest reason of a ledger entry or a tier change, in characters.
MAX_REASON: Final = 500
#: Order statuses that earn points: paid in full, maybe partly refunded since.
EARNING_STATUSES: Final = frozenset(
    {OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED}
)


class EntryKind(StrEnum):
    """What a ledger entry records."""

    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"


def _reason(value: object, path: str) -> str | None:
    if value is None:
        return None
    return clean_text(value, path, max_length=MAX_REASON, allow_newlines=True, what="a reason")


def _required_reason(value: object, path: str) -> str:
    if value is None:
        raise ValidationError("is required", path=path, code="required")
    return clean_text(value, path, max_length=MAX_REASON, allow_newlines=True, what="a reason")


# -- the ledger ----------------------------------------------------------------------------


def _entry_kind(value: object) -> EntryKind:
    return enum_converter(EntryKind, "$.kind")(value)


def _entry_at(value: object) -> datetime:
    return aware("$.at")(value)


def _entry_points(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.points")
    if not -MAX_POINTS <= value <= MAX_POINTS:
        raise ValidationError(
            f"must be from -{MAX_POINTS} to {MAX_POINTS}", path="$.points", code="points_range"
        )


def _entry_reason(value: object) -> str | None:
    return _reason(value, "$.reason")


def _entry_spend(value: object) -> Money | None:
    if value is None:
        return None
    money = instance_of(Money, "Money")(value, "$.spend")
    if money.amount < 0:
        raise ValidationError("must not be negative", path="$.spend", code="negative")
    return money


def _entry_expires_at(value: object) -> datetime | None:
    return optional_aware("$.expires_at")(value)


def _entry_lot(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.lot")
    if value < 0:
        raise ValidationError("must be 0 or more", path="$.lot", code="range")


@attrs.frozen(slots=True, kw_only=True)
class LedgerEntry:
    """One line of the points ledger.

    Points are signed: an ``earn`` is 0 or more (an order too small to earn
    still counts towards qualifying spend), a ``redeem`` or an ``expire`` is
    negative, an ``adjust`` is anything but zero. Earnings and positive
    adjustments open a lot (``is_lot``) that may expire at ``expires_at``; an
    ``expire`` entry names the lot it closes by its position in the ledger
    (``lot``).

    Attributes:
        kind: earn, redeem, expire or adjust.
        at: when it was recorded.
        points: the signed number of points.
        reason: why, in words (free text, so left out of the repr).
        order_id: the order an earning came from.
        reward_id: the reward a redemption paid for.
        spend: the qualifying spend of an earning from an order.
        expires_at: when the points of a lot expire (``None``: never).
        lot: for an ``expire`` entry, the index of the lot's entry.
    """

    kind: EntryKind = attrs.field(converter=_entry_kind)
    at: datetime = attrs.field(converter=_entry_at)
    points: int = attrs.field(validator=_entry_points)
    reason: str | None = attrs.field(default=None, converter=_entry_reason, repr=False)
    order_id: OrderId | None = attrs.field(
        default=None, validator=optional_typed_id(OrderId, "$.order_id")
    )
    reward_id: RewardId | None = attrs.field(
        default=None, validator=optional_typed_id(RewardId, "$.reward_id")
    )
    spend: Money | None = attrs.field(default=None, converter=_entry_spend)
    expires_at: datetime | None = attrs.field(default=None, converter=_entry_expires_at)
    lot: int | None = attrs.field(default=None, validator=_entry_lot)

    def __attrs_post_init__(self) -> None:
        signs = {
            EntryKind.EARN: (self.points >= 0, "must be 0 or more for an earning"),
            EntryKind.REDEEM: (self.points < 0, "must be negative for a redemption"),
            EntryKind.EXPIRE: (self.points < 0, "must be negative for an expiry"),
            EntryKind.ADJUST: (self.points != 0, "must not be zero for an adjustment"),
        }
        ok, rule = signs[self.kind]
        if not ok:
            raise ValidationError(rule, path="$.points", code="points_sign")
        only = (
            ("order_id", self.order_id, {EntryKind.EARN, EntryKind.ADJUST}),
            ("reward_id", self.reward_id, {EntryKind.REDEEM}),
            ("spend", self.spend, {EntryKind.EARN}),
            ("lot", self.lot, {EntryKind.EXPIRE}),
        )
        for name, value, kinds in only:
            if value is not None and self.kind not in kinds:
                raise ValidationError(
                    f"an entry of kind {self.kind.value} has no {name}",
                    path=f"$.{name}",
                    code="field_for_kind",
                )
        if self.spend is not None and self.order_id is None:
            raise ValidationError(
                "only an earning from an order carries spend", path="$.spend", code="field_for_kind"
            )
        if self.kind is EntryKind.EXPIRE and self.lot is None:
            raise ValidationError(
                "an expiry must name the lot it closes", path="$.lot", code="required"
            )
        if self.expires_at is not None:
            if not self.is_lot:
                raise ValidationError(
                    "only earnings and positive adjustments expire",
                    path="$.expires_at",
                    code="field_for_kind",
                )
            if self.expires_at <= self.at:
                raise ValidationError(
                    "must be after the entry's time", path="$.expires_at", code="already_expired"
                )

    @property
    def is_lot(self) -> bool:
        """True if the entry adds points that are spent and expire as one lot."""
        return self.kind is EntryKind.EARN or (self.kind is EntryKind.ADJUST and self.points > 0)

    @property
    def is_spending(self) -> bool:
        """True if the entry spends points first-in, first-out (a redemption or a deduction)."""
        return self.kind is EntryKind.REDEEM or (self.kind is EntryKind.ADJUST and self.points < 0)


@attrs.frozen(slots=True, kw_only=True)
class PointsLot:
    """The points one earning (or positive adjustment) added, and how many are left.

    Attributes:
        entry: the index of the entry that opened the lot.
        earned_at: when.
        points: how many it added.
        remaining: how many are neither spent nor expired.
        expires_at: when they expire (``None``: never).
    """

    entry: int
    earned_at: datetime
    points: int
    remaining: int
    expires_at: datetime | None

    def lapsed(self, at: datetime) -> bool:
        """True if the lot's points can no longer be spent at ``at``."""
        return self.expires_at is not None and self.expires_at <= at


@attrs.frozen(slots=True, kw_only=True)
class PointsTotals:
    """Lifetime sums of the ledger by kind (redeemed and expired as positive numbers)."""

    earned: int
    redeemed: int
    expired: int
    adjusted: int

    @property
    def balance(self) -> int:
        """Earned less redeemed less expired plus adjusted: the balance."""
        return self.earned - self.redeemed - self.expired + self.adjusted


class _Lot:
    """A lot while the ledger is replayed (mutable, private)."""

    __slots__ = ("earned_at", "entry", "expires_at", "points", "remaining")

    def __init__(self, entry: int, item: LedgerEntry) -> None:
        self.entry = entry
        self.earned_at = item.at
        self.points = item.points
        self.remaining = item.points
        self.expires_at = item.expires_at

    def lapsed(self, at: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= at

    def frozen(self) -> PointsLot:
        return PointsLot(
            entry=self.entry,
            earned_at=self.earned_at,
            points=self.points,
            remaining=self.remaining,
            expires_at=self.expires_at,
        )


def _replay(ledger: tuple[LedgerEntry, ...]) -> list[_Lot]:
    """Apply the ledger to its lots, checking that no point is spent twice or after expiring."""
    lots: list[_Lot] = []
    by_entry: dict[int, _Lot] = {}
    for index, item in enumerate(ledger):
        if item.is_lot:
            lot = _Lot(index, item)
            lots.append(lot)
            by_entry[index] = lot
        elif item.kind is EntryKind.EXPIRE:
            _replay_expiry(item, index, by_entry)
        else:
            _spend(lots, -item.points, item.at, f"$.ledger[{index}].points")
    return lots


def _replay_expiry(item: LedgerEntry, index: int, by_entry: dict[int, _Lot]) -> None:
    path = f"$.ledger[{index}]"
    lot = by_entry.get(item.lot if item.lot is not None else -1)
    if lot is None:
        raise ValidationError(
            "must name an earlier earning or positive adjustment",
            path=f"{path}.lot",
            code="unknown_lot",
        )
    if not lot.lapsed(item.at):
        raise ValidationError(
            "must not expire a lot before its expiry", path=f"{path}.at", code="not_expired"
        )
    if -item.points != lot.remaining or lot.remaining == 0:
        raise ValidationError(
            "must expire exactly the points left in the lot",
            path=f"{path}.points",
            code="expiry_mismatch",
        )
    lot.remaining = 0


def _spend(lots: list[_Lot], points: int, at: datetime, path: str) -> None:
    """Consume ``points`` from the oldest unexpired lots."""
    if points > sum(lot.remaining for lot in lots if not lot.lapsed(at)):
        raise ValidationError(
            "must not spend more points than the unexpired balance holds",
            path=path,
            code="insufficient_points",
        )
    for lot in lots:
        if points == 0:
            break
        if lot.remaining == 0 or lot.lapsed(at):
            continue
        taken = min(lot.remaining, points)
        lot.remaining -= taken
        points -= taken


# -- tier history ----------------------------------------------------------------------------


def _change_tier(value: object) -> str:
    return check_name(value, "$.tier")


def _change_from(value: object) -> str | None:
    return None if value is None else check_name(value, "$.from_tier")


def _change_at(value: object) -> datetime:
    return aware("$.at")(value)


def _change_reason(value: object) -> str | None:
    return _reason(value, "$.reason")


@attrs.frozen(slots=True, kw_only=True)
class TierChange:
    """One entry of an account's tier history: the tier entered, from which, when and why."""

    tier: str = attrs.field(converter=_change_tier)
    at: datetime = attrs.field(converter=_change_at)
    from_tier: str | None = attrs.field(default=None, converter=_change_from)
    reason: str | None = attrs.field(default=None, converter=_change_reason, repr=False)


# -- events ----------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyEvent(DomainEvent):
    """Base of the events recorded by a :class:`LoyaltyAccount`."""

    abstract_event: ClassVar[bool] = True

    account_id: LoyaltyAccountId
    customer_id: CustomerId
    program_id: ProgramId


@attrs.frozen(slots=True, kw_only=True)
class MemberEnrolled(LoyaltyEvent):
    """A customer joined the program (the ``member`` rung of the relationship ladder)."""

    tier: str


@attrs.frozen(slots=True, kw_only=True)
class PointsEarned(LoyaltyEvent):
    """Points were earned; ``balance`` is the balance after the earning."""

    points: int
    balance: int
    order_id: OrderId | None = None
    expires_at: datetime | None = None
    occasions: tuple[str, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class PointsRedeemed(LoyaltyEvent):
    """Points were redeemed (``points`` is the positive number spent)."""

    points: int
    balance: int
    reward_id: RewardId | None = None


@attrs.frozen(slots=True, kw_only=True)
class PointsExpired(LoyaltyEvent):
    """The unspent points of one lot expired (``points`` is the positive number lost)."""

    points: int
    balance: int
    earned_at: datetime
    expired_at: datetime


@attrs.frozen(slots=True, kw_only=True)
class PointsAdjusted(LoyaltyEvent):
    """Points were added or deducted by hand (``points`` is signed)."""

    points: int
    balance: int
    reason: str = attrs.field(repr=False)


@attrs.frozen(slots=True, kw_only=True)
class RewardRedeemed(LoyaltyEvent):
    """A reward of the catalogue was redeemed; the host hands it over (and takes stock)."""

    reward_id: RewardId
    points_cost: int


@attrs.frozen(slots=True, kw_only=True)
class TierChanged(LoyaltyEvent):
    """The member moved to another tier.

    ``qualifying`` is the qualifying activity that decided it (an amount in
    the program currency, or points), ``None`` for a manual change.
    """

    from_tier: str
    to_tier: str
    upgrade: bool
    reason: str = attrs.field(repr=False)
    qualifying: Decimal | None = None


# -- the aggregate ----------------------------------------------------------------------------


def _account_enrolled_at(value: object) -> datetime:
    return aware("$.enrolled_at")(value)


def _ledger(value: object) -> tuple[LedgerEntry, ...]:
    if type(value) is tuple and all(type(v) is LedgerEntry for v in value):
        entries: tuple[LedgerEntry, ...] = value
    else:
        entries = tuple_of(
            value, "$.ledger", instance_of(LedgerEntry, "a LedgerEntry"), max_items=MAX_ENTRIES
        )
    if len(entries) > MAX_ENTRIES:
        raise ValidationError(
            f"must hold at most {MAX_ENTRIES} entries", path="$.ledger", code="too_many"
        )
    return entries


def _tier_history(value: object) -> tuple[TierChange, ...]:
    if type(value) is tuple and all(type(v) is TierChange for v in value):
        history: tuple[TierChange, ...] = value
    else:
        history = tuple_of(
            value,
            "$.tier_history",
            instance_of(TierChange, "a TierChange"),
            max_items=MAX_TIER_CHANGES,
        )
    if len(history) > MAX_TIER_CHANGES:
        raise ValidationError(
            f"must hold at most {MAX_TIER_CHANGES} changes", path="$.tier_history", code="too_many"
        )
    return history


def _enrolment_time(account: LoyaltyAccount) -> datetime:
    return account.enrolled_at


def _account_confirmed_at(value: object) -> datetime:
    return aware("$.tier_confirmed_at")(value)


def _account_updated_at(value: object) -> datetime:
    return aware("$.updated_at")(value)


@attrs.frozen(slots=True, kw_only=True, repr=False)
class LoyaltyAccount:
    """One customer's membership of one loyalty program: a points ledger and a tier.

    Enrol with :meth:`enroll`. Like every crmcore aggregate it is immutable:
    commands return a new account and record events in :attr:`pending_events`;
    a command that fails raises :class:`~crmcore.ValidationError` and changes
    nothing. Commands take the time they happen at, which must not be before
    the account's last change (:attr:`updated_at`). Commands that need the
    rules take the :class:`~crmcore.loyalty.LoyaltyProgram`, which must be the
    account's program.

    Attributes:
        ledger: every entry, oldest first (times never go backwards).
        tier_history: every tier entered, oldest first; the first is the
            program's lowest tier at ``enrolled_at``.
        tier_confirmed_at: when the member entered their tier, or an evaluation
            last confirmed it; the downgrade grace runs from here or from
            :meth:`last_qualified_at`, whichever is later.
        updated_at: the time of the last command.
    """

    id: LoyaltyAccountId = attrs.field(validator=typed_id(LoyaltyAccountId, "$.id"))
    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    program_id: ProgramId = attrs.field(validator=typed_id(ProgramId, "$.program_id"))
    enrolled_at: datetime = attrs.field(converter=_account_enrolled_at)
    tier_history: tuple[TierChange, ...] = attrs.field(converter=_tier_history)
    ledger: tuple[LedgerEntry, ...] = attrs.field(default=(), converter=_ledger)
    tier_confirmed_at: datetime = attrs.field(
        default=attrs.Factory(_enrolment_time, takes_self=True), converter=_account_confirmed_at
    )
    updated_at: datetime = attrs.field(
        default=attrs.Factory(_enrolment_time, takes_self=True), converter=_account_updated_at
    )
    version: int = attrs.field(default=0, validator=check_version)
    pending_events: tuple[DomainEvent, ...] = attrs.field(
        default=(), converter=pending_events, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        self._check_tier_history()
        latest = max(self.tier_history[-1].at, self.tier_confirmed_at)
        orders: set[OrderId] = set()
        before = self.enrolled_at
        for index, item in enumerate(self.ledger):
            if item.at < before:
                raise ValidationError(
                    "must not be before the entry before it (or the enrolment)",
                    path=f"$.ledger[{index}].at",
                    code="time_backwards",
                )
            before = item.at
            if item.kind is EntryKind.EARN and item.order_id is not None:
                if item.order_id in orders:
                    raise ValidationError(
                        "must not earn twice for one order",
                        path=f"$.ledger[{index}].order_id",
                        code="duplicate",
                    )
                orders.add(item.order_id)
        _replay(self.ledger)
        if self.ledger:
            latest = max(latest, self.ledger[-1].at)
        if self.tier_confirmed_at < self.tier_history[-1].at:
            raise ValidationError(
                "must not be before the current tier was entered",
                path="$.tier_confirmed_at",
                code="time_backwards",
            )
        if latest > self.updated_at:
            raise ValidationError(
                "must not be before the account's last recorded change",
                path="$.updated_at",
                code="time_backwards",
            )

    def _check_tier_history(self) -> None:
        if not self.tier_history:
            raise ValidationError(
                "must start with the tier entered at enrolment",
                path="$.tier_history",
                code="history_start",
            )
        first = self.tier_history[0]
        if first.from_tier is not None or first.at != self.enrolled_at:
            raise ValidationError(
                "must start with the tier entered at enrolment",
                path="$.tier_history[0]",
                code="history_start",
            )
        for index in range(1, len(self.tier_history)):
            before, after = self.tier_history[index - 1], self.tier_history[index]
            if after.at < before.at:
                raise ValidationError(
                    "must not be before the change before it",
                    path=f"$.tier_history[{index}].at",
                    code="time_backwards",
                )
            if after.from_tier != before.tier or after.tier == before.tier:
                raise ValidationError(
                    "must move from the tier entered before it to another tier",
                    path=f"$.tier_history[{index}].from_tier",
                    code="history_chain",
                )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def enroll(
        cls,
        account_id: LoyaltyAccountId,
        *,
        customer_id: CustomerId,
        program: LoyaltyProgram,
        at: datetime,
    ) -> LoyaltyAccount:
        """Enrol a customer in ``program`` at ``at``, in its lowest tier; records :class:`MemberEnrolled`.

        Raises:
            ValidationError: an argument breaks a rule; the path names it.
        """
        checked = instance_of(LoyaltyProgram, "a LoyaltyProgram")(program, "$.program")
        when = require_aware(at, "$.at")
        tier = checked.base_tier.code
        account = cls(
            id=account_id,
            customer_id=customer_id,
            program_id=checked.id,
            enrolled_at=when,
            tier_history=(TierChange(tier=tier, at=when, reason="enrolled"),),
        )
        event = MemberEnrolled(occurred_at=when, tier=tier, **account._ids())
        return attrs.evolve(account, pending_events=(event,))

    # -- queries ----------------------------------------------------------------------------

    @property
    def tier(self) -> str:
        """The code of the member's current tier."""
        return self.tier_history[-1].tier

    def tier_at(self, at: datetime) -> str | None:
        """The tier the member held at ``at`` (``None`` before enrolment)."""
        when = require_aware(at, "$.at")
        index = bisect_right([change.at for change in self.tier_history], when)
        return None if index == 0 else self.tier_history[index - 1].tier

    def _upto(self, at: datetime | None) -> tuple[LedgerEntry, ...]:
        if at is None:
            return self.ledger
        when = require_aware(at, "$.at")
        return self.ledger[: bisect_right([item.at for item in self.ledger], when)]

    def balance(self, at: datetime | None = None) -> int:
        """The sum of the ledger's points (recorded up to ``at``, if given); never negative.

        Points past their expiry still count until :meth:`expire_due` writes
        their ``expire`` entry; :meth:`available` leaves them out.
        """
        return sum(item.points for item in self._upto(at))

    def lots(self, at: datetime | None = None) -> tuple[PointsLot, ...]:
        """Every lot (recorded up to ``at``, if given) with the points left in it, oldest first."""
        return tuple(lot.frozen() for lot in _replay(self._upto(at)))

    def available(self, at: datetime) -> int:
        """The points that can be spent at ``at``: the balance less points past their expiry."""
        when = require_aware(at, "$.at")
        return sum(lot.remaining for lot in self.lots(when) if not lot.lapsed(when))

    def lapsed(self, at: datetime) -> int:
        """Points past their expiry at ``at`` that :meth:`expire_due` has not expired yet."""
        when = require_aware(at, "$.at")
        return sum(lot.remaining for lot in self.lots(when) if lot.lapsed(when))

    def expiring(self, *, at: datetime, until: datetime) -> int:
        """Points spendable at ``at`` that expire by ``until`` (for a reminder to use them)."""
        when = require_aware(at, "$.at")
        end = require_aware(until, "$.until")
        return sum(
            lot.remaining
            for lot in self.lots(when)
            if not lot.lapsed(when) and lot.expires_at is not None and lot.expires_at <= end
        )

    def totals(self) -> PointsTotals:
        """Lifetime points earned, redeemed, expired and adjusted."""
        sums = dict.fromkeys(EntryKind, 0)
        for item in self.ledger:
            sums[item.kind] += item.points
        return PointsTotals(
            earned=sums[EntryKind.EARN],
            redeemed=-sums[EntryKind.REDEEM],
            expired=-sums[EntryKind.EXPIRE],
            adjusted=sums[EntryKind.ADJUST],
        )

    def has_earned_for(self, order_id: OrderId) -> bool:
        """True if the ledger already holds the earning of this order."""
        return any(
            item.kind is EntryKind.EARN and item.order_id == order_id for item in self.ledger
        )

    def _window(self, program: LoyaltyProgram, at: datetime) -> Iterator[LedgerEntry]:
        return (
            item
            for item in self._upto(at)
            if item.kind is EntryKind.EARN and at < program.qualifying_until(item.at)
        )

    @staticmethod
    def _activity(program: LoyaltyProgram, item: LedgerEntry) -> Decimal:
        if program.tier_basis is TierBasis.SPEND:
            if item.spend is None:
                return Decimal(0)
            return same_currency(item.spend, program.currency, "$.ledger[*].spend").amount
        return Decimal(item.points)

    def last_qualified_at(self, program: LoyaltyProgram, *, at: datetime) -> datetime | None:
        """The latest instant up to ``at`` at which the ledger qualified the member for their tier.

        ``at`` itself while the activity in the window still reaches the
        current tier; otherwise the instant (since the tier was entered) at
        which activity left the window and the member fell short; ``None`` if
        the ledger never qualified them for it (a tier given by hand, or
        qualified by spend the host passed to :meth:`evaluate_tier`).
        """
        checked = self._program(program)
        when = require_aware(at, "$.at")
        lower = checked.tier(self.tier).lower
        activity = [
            (item.at, self._activity(checked, item), checked.qualifying_until(item.at))
            for item in self._upto(when)
            if item.kind is EntryKind.EARN
        ]
        if sum((value for _, value, until in activity if when < until), Decimal(0)) >= lower:
            return when
        entered = self.tier_history[-1].at
        exits = sorted({until for _, _, until in activity if entered < until <= when}, reverse=True)
        for moment in exits:
            # Just before ``moment``: everything earned before it that had not left yet.
            before = sum(
                (value for earned, value, until in activity if earned < moment <= until),
                Decimal(0),
            )
            if before >= lower:
                return moment
        return None

    def tier_kept_until(self, program: LoyaltyProgram, *, at: datetime) -> datetime:
        """From when an evaluation may move the member below their tier.

        The later of :attr:`tier_confirmed_at` and :meth:`last_qualified_at`,
        plus the program's ``downgrade_grace``. Before this instant
        :meth:`evaluate_tier` never downgrades.
        """
        checked = self._program(program)
        since = self.tier_confirmed_at
        ledger = self.last_qualified_at(checked, at=at)
        if ledger is not None and ledger > since:
            since = ledger
        if checked.downgrade_grace is None:
            return since
        result: datetime = since + checked.downgrade_grace.to_relativedelta()
        return result

    def qualifying_points(self, program: LoyaltyProgram, *, at: datetime) -> int:
        """Points earned (earnings only, not adjustments) that still count towards tiers at ``at``."""
        checked = self._program(program)
        return sum(item.points for item in self._window(checked, require_aware(at, "$.at")))

    def qualifying_spend(self, program: LoyaltyProgram, *, at: datetime) -> Money:
        """Spend of the orders earned for that still counts towards tiers at ``at``."""
        checked = self._program(program)
        spent = Decimal(0)
        for item in self._window(checked, require_aware(at, "$.at")):
            if item.spend is not None:
                spent += same_currency(item.spend, checked.currency, "$.ledger[*].spend").amount
        return Money(spent, checked.currency)

    def _qualifying(self, program: LoyaltyProgram, at: datetime) -> Money | int:
        if program.tier_basis is TierBasis.SPEND:
            return self.qualifying_spend(program, at=at)
        return self.qualifying_points(program, at=at)

    # -- command helpers --------------------------------------------------------------------

    def _ids(self) -> dict[str, Any]:
        return {
            "account_id": self.id,
            "customer_id": self.customer_id,
            "program_id": self.program_id,
        }

    def _at(self, at: object) -> datetime:
        when = require_aware(at, "$.at")
        if when < self.updated_at:
            raise ValidationError(
                "must not be before the account's last change (times never go backwards)",
                path="$.at",
                code="time_backwards",
            )
        return when

    def _program(self, program: object) -> LoyaltyProgram:
        checked = instance_of(LoyaltyProgram, "a LoyaltyProgram")(program, "$.program")
        if checked.id != self.program_id:
            raise ValidationError(
                "must be the account's own program", path="$.program", code="other_program"
            )
        if self.tier not in {tier.code for tier in checked.tiers}:
            raise ValidationError(
                "must still define the member's tier", path="$.program.tiers", code="unknown_tier"
            )
        return checked

    def _record(self, events: list[DomainEvent], **changes: Any) -> LoyaltyAccount:
        return attrs.evolve(self, pending_events=(*self.pending_events, *events), **changes)

    def _append(self, entry: LedgerEntry) -> tuple[LedgerEntry, ...]:
        if len(self.ledger) >= MAX_ENTRIES:
            raise ValidationError(
                f"must hold at most {MAX_ENTRIES} entries", path="$.ledger", code="too_many"
            )
        return (*self.ledger, entry)

    def _spending(self, points: object, when: datetime, path: str) -> int:
        amount = points_value(points, path, minimum=1)
        if amount > self.balance():
            raise ValidationError(
                "must not exceed the balance",
                path=path,
                code="insufficient_points",
            )
        if amount > self.available(when):
            raise ValidationError(
                "must not exceed the unexpired points: part of the balance has expired",
                path=path,
                code="expired_points",
            )
        return amount

    def _move_tier(
        self,
        program: LoyaltyProgram,
        target: str,
        when: datetime,
        reason: str,
        qualifying: Money | int | None,
    ) -> tuple[list[DomainEvent], dict[str, Any]]:
        current = self.tier
        change = TierChange(tier=target, at=when, from_tier=current, reason=reason)
        if len(self.tier_history) >= MAX_TIER_CHANGES:
            raise ValidationError(
                f"must hold at most {MAX_TIER_CHANGES} changes",
                path="$.tier_history",
                code="too_many",
            )
        value = qualifying.amount if isinstance(qualifying, Money) else qualifying
        event = TierChanged(
            occurred_at=when,
            from_tier=current,
            to_tier=target,
            upgrade=program.rank(target) > program.rank(current),
            reason=reason,
            qualifying=None if value is None else Decimal(value),
            **self._ids(),
        )
        changes = {"tier_history": (*self.tier_history, change), "tier_confirmed_at": when}
        return [event], changes

    def _after_earning(self, program: LoyaltyProgram, when: datetime) -> LoyaltyAccount:
        """Upgrade at once if the earning just recorded qualifies the member for a higher tier."""
        qualifying = self._qualifying(program, when)
        target = program.tier_for(qualifying).code
        rank, current = program.rank(target), program.rank(self.tier)
        if rank <= current:
            return self
        events, changes = self._move_tier(
            program, target, when, f"qualified by {program.tier_basis.value}", qualifying
        )
        return self._record(events, **changes)

    # -- commands ---------------------------------------------------------------------------

    def earn_for_order(
        self,
        order: Order,
        program: LoyaltyProgram,
        *,
        at: datetime,
        birth_date: date | None = None,
    ) -> LoyaltyAccount:
        """Earn the points of a paid order; records :class:`PointsEarned` (and maybe :class:`TierChanged`).

        The order's net amount (its total less refunds so far) earns by the
        program's rules at the member's current tier; bonus occasions are
        judged at the time the order was placed (pass the member's
        ``birth_date`` for a birthday-month bonus). The earning is a lot
        expiring after the program's ``expiry`` from ``at``, and its spend
        counts towards spend tiers. Reaching a higher tier upgrades at once.

        Idempotent per order: if the ledger already holds this order's
        earning, the account is returned unchanged and nothing is recorded.
        Later refunds do not take points back on their own; deduct them with
        :meth:`adjust` (passing the ``order_id``).

        Raises:
            ValidationError: another customer's order (``$.order.customer_id``),
                an order not paid in full or refunded in full (``$.order.status``),
                another currency (``$.order``), ``at`` before the order was
                placed or before the last change (``$.at``).
        """
        checked = self._program(program)
        placed = instance_of(Order, "an Order")(order, "$.order")
        when = require_aware(at, "$.at")
        if self.has_earned_for(placed.id):
            return self
        when = self._at(when)
        if placed.customer_id != self.customer_id:
            raise ValidationError(
                "must be an order of the member", path="$.order.customer_id", code="not_member"
            )
        if placed.status not in EARNING_STATUSES:
            raise ValidationError(
                "must be paid in full (paid, fulfilled or partially refunded) to earn points",
                path="$.order.status",
                code="order_not_paid",
            )
        if when < placed.placed_at:
            raise ValidationError(
                "must not be before the order was placed", path="$.at", code="before_order"
            )
        net = same_currency(placed.amount, checked.currency, "$.order")
        quote = checked.points_for(
            net, placed_at=placed.placed_at, tier=self.tier, birth_date=birth_date
        )
        entry = LedgerEntry(
            kind=EntryKind.EARN,
            at=when,
            points=quote.total,
            reason=f"order {placed.id}",
            order_id=placed.id,
            spend=net,
            expires_at=checked.expires_at(when),
        )
        event = PointsEarned(
            occurred_at=when,
            points=entry.points,
            balance=self.balance() + entry.points,
            order_id=placed.id,
            expires_at=entry.expires_at,
            occasions=quote.occasions,
            **self._ids(),
        )
        earned = self._record([event], ledger=self._append(entry), updated_at=when)
        return earned._after_earning(checked, when)  # noqa: SLF001 - same class

    def earn(
        self, points: int, program: LoyaltyProgram, *, at: datetime, reason: str
    ) -> LoyaltyAccount:
        """Earn points for something other than an order (a review, a referral, a welcome bonus).

        The points form a lot that expires like any earning and count as
        qualifying points; records :class:`PointsEarned` (and maybe :class:`TierChanged`).

        Raises:
            ValidationError: ``points`` is not 1 or more, ``reason`` is empty,
                ``at`` goes backwards.
        """
        checked = self._program(program)
        when = self._at(at)
        amount = points_value(points, "$.points", minimum=1)
        text = _required_reason(reason, "$.reason")
        entry = LedgerEntry(
            kind=EntryKind.EARN,
            at=when,
            points=amount,
            reason=text,
            expires_at=checked.expires_at(when),
        )
        event = PointsEarned(
            occurred_at=when,
            points=amount,
            balance=self.balance() + amount,
            expires_at=entry.expires_at,
            **self._ids(),
        )
        earned = self._record([event], ledger=self._append(entry), updated_at=when)
        return earned._after_earning(checked, when)  # noqa: SLF001 - same class

    def redeem(
        self,
        points: int,
        *,
        at: datetime,
        reason: str | None = None,
        reward_id: RewardId | None = None,
    ) -> LoyaltyAccount:
        """Spend points, oldest unexpired first; records :class:`PointsRedeemed`.

        Raises:
            ValidationError: ``points`` is not 1 or more; more than the balance
                (code ``insufficient_points``); more than the unexpired points
                (code ``expired_points``); ``at`` goes backwards.
        """
        when = self._at(at)
        amount = self._spending(points, when, "$.points")
        text = _reason(reason, "$.reason")
        if reward_id is not None and type(reward_id) is not RewardId:
            raise InvalidType(f"must be a RewardId, not {type_name(reward_id)}", path="$.reward_id")
        entry = LedgerEntry(
            kind=EntryKind.REDEEM, at=when, points=-amount, reason=text, reward_id=reward_id
        )
        event = PointsRedeemed(
            occurred_at=when,
            points=amount,
            balance=self.balance() - amount,
            reward_id=reward_id,
            **self._ids(),
        )
        return self._record([event], ledger=self._append(entry), updated_at=when)

    def redeem_reward(
        self, reward_id: RewardId, program: LoyaltyProgram, *, at: datetime
    ) -> LoyaltyAccount:
        """Redeem a reward of the catalogue; records :class:`PointsRedeemed` and :class:`RewardRedeemed`.

        The reward's stock is the program's: after accepting, the host stores
        ``program.take_stock(reward_id)``.

        Raises:
            ValidationError: unknown reward (``$.reward_id``), the member's tier
                is below the reward's minimum (code ``tier_too_low``), the reward
                is out of stock (code ``out_of_stock``), or the points fall short
                (``$.points``).
        """
        checked = self._program(program)
        reward = checked.reward(reward_id)
        when = self._at(at)
        if reward.min_tier is not None and checked.rank(self.tier) < checked.rank(reward.min_tier):
            raise ValidationError(
                "the member's tier is below the reward's minimum tier",
                path="$.reward_id",
                code="tier_too_low",
            )
        if reward.stock == 0:
            raise ValidationError(
                "the reward is out of stock", path="$.reward_id", code="out_of_stock"
            )
        spent = self.redeem(reward.points_cost, at=when, reason=reward.name, reward_id=reward.id)
        event = RewardRedeemed(
            occurred_at=when, reward_id=reward.id, points_cost=reward.points_cost, **self._ids()
        )
        return attrs.evolve(spent, pending_events=(*spent.pending_events, event))

    def adjust(
        self,
        points: int,
        *,
        at: datetime,
        reason: str,
        expires_at: datetime | None = None,
        order_id: OrderId | None = None,
    ) -> LoyaltyAccount:
        """Add (positive) or deduct (negative) points by hand; records :class:`PointsAdjusted`.

        An addition forms a lot that expires at ``expires_at`` (never, if
        ``None``); adjustments never count as qualifying activity. A deduction
        spends the oldest unexpired points and never takes more than are
        available. ``order_id`` links a correction to an order (a refund).

        Raises:
            ValidationError: ``points`` is zero; a deduction beyond the
                balance or the unexpired points; an ``expires_at`` on a
                deduction or not after ``at``; an empty ``reason``.
        """
        when = self._at(at)
        if isinstance(points, bool) or not isinstance(points, int):
            raise InvalidType(f"must be an int, not {type_name(points)}", path="$.points")
        if points == 0:
            raise ValidationError("must not be zero", path="$.points", code="points_sign")
        if points < 0:
            self._spending(-points, when, "$.points")
            if expires_at is not None:
                raise ValidationError(
                    "only an addition of points expires", path="$.expires_at", code="field_for_kind"
                )
        else:
            points_value(points, "$.points", minimum=1)
        text = _required_reason(reason, "$.reason")
        if order_id is not None and type(order_id) is not OrderId:
            raise InvalidType(f"must be an OrderId, not {type_name(order_id)}", path="$.order_id")
        entry = LedgerEntry(
            kind=EntryKind.ADJUST,
            at=when,
            points=points,
            reason=text,
            expires_at=optional_aware("$.expires_at")(expires_at),
            order_id=order_id,
        )
        event = PointsAdjusted(
            occurred_at=when,
            points=points,
            balance=self.balance() + points,
            reason=text,
            **self._ids(),
        )
        return self._record([event], ledger=self._append(entry), updated_at=when)

    def expire_due(self, *, at: datetime) -> LoyaltyAccount:
        """Expire the unspent points of every lot past its expiry at ``at``.

        Writes one ``expire`` entry (at ``at``) and records one
        :class:`PointsExpired` per lot. With nothing due, returns the account
        unchanged.
        """
        when = self._at(at)
        due = [lot for lot in self.lots() if lot.remaining > 0 and lot.lapsed(when)]
        if not due:
            return self
        if len(self.ledger) + len(due) > MAX_ENTRIES:
            raise ValidationError(
                f"must hold at most {MAX_ENTRIES} entries", path="$.ledger", code="too_many"
            )
        entries = list(self.ledger)
        events: list[DomainEvent] = []
        balance = self.balance()
        for lot in due:
            balance -= lot.remaining
            entries.append(
                LedgerEntry(
                    kind=EntryKind.EXPIRE,
                    at=when,
                    points=-lot.remaining,
                    reason="points expired",
                    lot=lot.entry,
                )
            )
            events.append(
                PointsExpired(
                    occurred_at=when,
                    points=lot.remaining,
                    balance=balance,
                    earned_at=lot.earned_at,
                    expired_at=lot.expires_at or when,
                    **self._ids(),
                )
            )
        return self._record(events, ledger=tuple(entries), updated_at=when)

    def evaluate_tier(
        self,
        program: LoyaltyProgram,
        *,
        at: datetime,
        qualifying_spend: Money | None = None,
    ) -> LoyaltyAccount:
        """Set the tier from the qualifying activity of the window at ``at``.

        The activity is the ledger's (points earned, or spend of the orders
        earned for, within the program's ``tier_window``), or
        ``qualifying_spend`` when given (for spend tiers: spend the host
        counted over every order). A higher tier applies at once. A lower one
        applies only from :meth:`tier_kept_until` on: once the program's
        ``downgrade_grace`` has passed since the member last qualified for
        their tier (by the ledger, or as confirmed at an evaluation or a
        manual change); the member then drops to the tier the activity
        matches. Records :class:`TierChanged`; an evaluation that confirms
        the current tier moves :attr:`tier_confirmed_at` and records nothing.

        Raises:
            ValidationError: ``qualifying_spend`` for a program with points
                tiers, or of another currency (``$.qualifying_spend``).
        """
        checked = self._program(program)
        when = self._at(at)
        qualifying: Money | int
        if qualifying_spend is None:
            qualifying = self._qualifying(checked, when)
        else:
            if checked.tier_basis is not TierBasis.SPEND:
                raise ValidationError(
                    "is only for programs whose tiers qualify by spend",
                    path="$.qualifying_spend",
                    code="tier_basis",
                )
            spend = instance_of(Money, "Money")(qualifying_spend, "$.qualifying_spend")
            if spend.amount < 0:
                raise ValidationError(
                    "must not be negative", path="$.qualifying_spend", code="negative"
                )
            qualifying = same_currency(spend, checked.currency, "$.qualifying_spend")
        target = checked.tier_for(qualifying).code
        rank, current = checked.rank(target), checked.rank(self.tier)
        if rank >= current:
            if rank == current:
                return self._record([], tier_confirmed_at=when, updated_at=when)
            reason = f"qualified by {checked.tier_basis.value}"
        else:
            if when < self.tier_kept_until(checked, at=when):
                return self
            grace = checked.downgrade_grace
            reason = f"{checked.tier_basis.value} in the window below the tier"
            if grace is not None:
                reason += f" after a grace of {grace}"
        events, changes = self._move_tier(checked, target, when, reason, qualifying)
        return self._record(events, updated_at=when, **changes)

    def change_tier(
        self, tier: str, program: LoyaltyProgram, *, at: datetime, reason: str
    ) -> LoyaltyAccount:
        """Move the member to ``tier`` by hand (a VIP upgrade, a correction); records :class:`TierChanged`.

        The tier counts as confirmed at ``at``: the downgrade grace runs from
        here. Moving to the current tier changes nothing.
        """
        checked = self._program(program)
        when = self._at(at)
        target = checked.tier(tier).code
        text = _required_reason(reason, "$.reason")
        if target == self.tier:
            return self
        events, changes = self._move_tier(checked, target, when, text, None)
        return self._record(events, updated_at=when, **changes)

    def without_pending_events(self) -> LoyaltyAccount:
        """The same account with no pending events (what a repository stores)."""
        if not self.pending_events:
            return self
        return attrs.evolve(self, pending_events=())

    def __repr__(self) -> str:
        return (
            f"LoyaltyAccount(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"program_id={self.program_id!r}, tier={self.tier!r}, balance={self.balance()}, "
            f"entries={len(self.ledger)}, version={self.version}, "
            f"pending_events={len(self.pending_events)})"
        )
