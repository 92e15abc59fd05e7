"""The values a loyalty account holds: ledger entries, their lots, lifetime totals, tier changes.

A :class:`LedgerEntry` is one line of the append-only points ledger; a
:class:`PointsLot` is what is left of the points one earning (or positive
adjustment) added; :class:`PointsTotals` sums the ledger by kind; a
:class:`TierChange` is one entry of the tier history. :func:`replay` applies a
ledger to its lots, checking that no point is spent twice or after expiring.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import optional_typed_id
from crmcore._kernel._checks import (
    aware,
    check_name,
    clean_text,
    enum_converter,
    instance_of,
    optional_aware,
    require_aware,
    type_name,
)
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import OrderId, RewardId
from crmcore._kernel._money import Money
from crmcore.errors import InvalidType, ValidationError
from crmcore.loyalty._program import MAX_POINTS

#: Longest reason of a ledger entry or a tier change, in characters.
MAX_REASON: Final = 500


class EntryKind(StrEnum):
    """What a ledger entry records."""

    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"


def optional_reason(value: object, path: str) -> str | None:
    """A reason (free text), or ``None``."""
    if value is None:
        return None
    return clean_text(value, path, max_length=MAX_REASON, allow_newlines=True, what="a reason")


def required_reason(value: object, path: str) -> str:
    """A reason (free text) that must be given."""
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
    return optional_reason(value, "$.reason")


def _entry_spend(value: object) -> Money | None:
    if value is None:
        return None
    money = instance_of(Money, "Money")(value, "$.spend")
    if money.amount < 0:
        raise ValidationError("must not be negative", path="$.spend", code="negative")
    return money


def _entry_expires_at(value: object) -> datetime | None:
    return optional_aware("$.expires_at")(value)


#: Most entries one ledger holds (an entry's ``lot`` is an index below it).
MAX_LEDGER_ENTRIES: Final = 100_000


def _entry_lot(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.lot")
    if not 0 <= value < MAX_LEDGER_ENTRIES:  # an index of the ledger
        raise ValidationError(
            f"must be from 0 to {MAX_LEDGER_ENTRIES - 1}", path="$.lot", code="range"
        )


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
class PointsLot(Checked):
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
        """True if the lot's points can no longer be spent at ``at``.

        Raises:
            ValidationError: ``at`` is not a timezone-aware datetime.
        """
        when = require_aware(at, "$.at")
        return self.expires_at is not None and self.expires_at <= when


@attrs.frozen(slots=True, kw_only=True)
class PointsTotals(Checked):
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


def replay(ledger: tuple[LedgerEntry, ...]) -> tuple[PointsLot, ...]:
    """Apply the ledger to its lots, checking that no point is spent twice or after expiring.

    Returns every lot with the points left in it, oldest first.

    Raises:
        ValidationError: an entry spends more than the unexpired lots hold
            (``insufficient_points``), or an expiry does not close a lapsed
            lot exactly (``unknown_lot``, ``not_expired``, ``expiry_mismatch``).
    """
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
    return tuple(lot.frozen() for lot in lots)


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
    return optional_reason(value, "$.reason")


@attrs.frozen(slots=True, kw_only=True)
class TierChange:
    """One entry of an account's tier history: the tier entered, from which, when and why.

    The reason is free text: the repr and the :class:`LoyaltyTierChanged
    <crmcore.loyalty.LoyaltyTierChanged>` event leave it out.
    """

    tier: str = attrs.field(converter=_change_tier)
    at: datetime = attrs.field(converter=_change_at)
    from_tier: str | None = attrs.field(default=None, converter=_change_from)
    reason: str | None = attrs.field(default=None, converter=_change_reason, repr=False)
