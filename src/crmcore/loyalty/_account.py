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

:meth:`~LoyaltyAccount.close` ends the membership (:attr:`~LoyaltyAccount.closed_at`):
the ledger and the tier stay as they were, and every later command but
``repoint_customer`` is refused (code ``closed``).
:meth:`~LoyaltyAccount.is_active_at` says whether the membership is in force.

>>> from datetime import datetime, timedelta, timezone
>>> from crmcore.customers import CustomerId
>>> from crmcore.loyalty import LoyaltyProgram, Tier
>>> from crmcore.commerce import Period
>>> tiers = [Tier.by_points("bronze", 0, below=100), Tier.by_points("gold", 100)]
>>> program = LoyaltyProgram(
...     id=ProgramId("club"), name="Club", currency="IDR", tiers=tiers, expiry=Period.months(12)
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
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, Unpack

import attrs

from crmcore._kernel._aggregate import Command, RepointsCustomer, typed_id
from crmcore._kernel._checks import (
    instance_of,
    items_of,
    optional_aware,
    reason_code,
    require_aware,
    type_name,
)
from crmcore._kernel._events import EventDraft, EventMeta, check_meta
from crmcore._kernel._ids import CustomerId, LoyaltyAccountId, OrderId, ProgramId, RewardId
from crmcore._kernel._money import Money, same_currency
from crmcore._kernel._personal import HoldsPersonalData
from crmcore.commerce import Order, PaymentStatus
from crmcore.errors import InvalidType, ValidationError
from crmcore.loyalty._events import (
    LoyaltyAccountAnonymised,
    LoyaltyCustomerRepointed,
    LoyaltyMemberEnrolled,
    LoyaltyMembershipClosed,
    LoyaltyPointsAdjusted,
    LoyaltyPointsEarned,
    LoyaltyPointsExpired,
    LoyaltyPointsRedeemed,
    LoyaltyRewardRedeemed,
    LoyaltyTierChanged,
)
from crmcore.loyalty._ledger import (
    EntryKind,
    LedgerEntry,
    PointsLot,
    PointsTotals,
    TierChange,
    optional_reason,
    replay,
    required_reason,
)
from crmcore.loyalty._program import LoyaltyProgram, TierBasis, points_value

_Reasoned = TypeVar("_Reasoned", LedgerEntry, TierChange)

#: Most entries one ledger may hold.
MAX_ENTRIES: Final = 100_000
#: Most tier changes one account may hold.
MAX_TIER_CHANGES: Final = 10_000
#: Order payment statuses that earn points: paid in full, maybe partly refunded since
#: (an order must also have nothing left due and not be cancelled: ``Order.is_paid``).
EARNING_STATUSES: Final = frozenset({PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED})


def _ledger(value: object) -> tuple[LedgerEntry, ...]:
    return items_of(
        value, LedgerEntry, "$.ledger", "a LedgerEntry", max_items=MAX_ENTRIES, noun="entries"
    )


def _tier_history(value: object) -> tuple[TierChange, ...]:
    return items_of(
        value,
        TierChange,
        "$.tier_history",
        "a TierChange",
        max_items=MAX_TIER_CHANGES,
        noun="changes",
    )


def _enrolment_time(account: LoyaltyAccount) -> datetime:
    return account.created_at


def _account_confirmed_at(value: object) -> datetime:
    return require_aware(value, "$.tier_confirmed_at")


def _closed_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.closed_at")


def _unreasoned(item: _Reasoned) -> _Reasoned:
    return item if item.reason is None else attrs.evolve(item, reason=None)


@attrs.frozen(slots=True, kw_only=True, repr=False)
class LoyaltyAccount(
    RepointsCustomer[LoyaltyAccountId],
    HoldsPersonalData[LoyaltyAccountId],
    kind="loyalty_account",
    v1_renames={"enrolled_at": "created_at"},
):
    """One customer's membership of one loyalty program: a points ledger and a tier.

    Enrol with :meth:`enroll`. Like every crmcore aggregate it is immutable:
    commands return a new account and record events in :attr:`pending_events`;
    a command that fails raises :class:`~crmcore.ValidationError` and changes
    nothing. Commands take the time they happen at, which must not be before
    the account's last change (:attr:`updated_at`): times never go backwards.
    Every command also takes the envelope keywords ``actor``,
    ``correlation_id`` and ``causation_id`` (see :mod:`crmcore.events`).
    Commands that need the rules take the
    :class:`~crmcore.loyalty.LoyaltyProgram`, which must be the account's
    program.

    Reasons given to commands are free text: they stay in the ledger and the
    tier history, and the repr and the events leave them out.
    :meth:`anonymise` erases every reason (:class:`LoyaltyAccountAnonymised`);
    points, lots, tiers and times stay.

    Attributes:
        ledger: every entry, oldest first (times never go backwards).
        tier_history: every tier entered, oldest first; the first is the
            program's lowest tier at ``created_at`` (the enrolment).
        tier_confirmed_at: when the member entered their tier, or an evaluation
            last confirmed it; the downgrade grace runs from here or from
            :meth:`last_qualified_at`, whichever is later.
        closed_at: when the membership ended (:meth:`close`), ``None`` while
            it is open; nothing in the ledger or the tier history lies after it.
    """

    _repointed_by = LoyaltyCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = LoyaltyAccountAnonymised
    personal_fields = ("entry_reasons", "tier_reasons")

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    program_id: ProgramId = attrs.field(validator=typed_id(ProgramId, "$.program_id"))
    tier_history: tuple[TierChange, ...] = attrs.field(converter=_tier_history)
    ledger: tuple[LedgerEntry, ...] = attrs.field(default=(), converter=_ledger)
    tier_confirmed_at: datetime = attrs.field(
        default=attrs.Factory(_enrolment_time, takes_self=True), converter=_account_confirmed_at
    )
    closed_at: datetime | None = attrs.field(default=None, converter=_closed_at)

    def _check(self) -> None:
        self._check_tier_history()
        orders: set[OrderId] = set()
        before = self.created_at
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
        replay(self.ledger)
        if self.tier_confirmed_at < self.tier_history[-1].at:
            raise ValidationError(
                "must not be before the current tier was entered",
                path="$.tier_confirmed_at",
                code="time_backwards",
            )
        if self.closed_at is not None and self.closed_at < max(
            self.tier_confirmed_at, self.ledger[-1].at if self.ledger else self.created_at
        ):
            raise ValidationError(
                "must not be before the last entry, tier change or tier confirmation",
                path="$.closed_at",
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
        if first.from_tier is not None or first.at != self.created_at:
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

    def _recorded_times(self) -> Iterable[datetime]:
        yield self.tier_history[-1].at
        yield self.tier_confirmed_at
        if self.ledger:
            yield self.ledger[-1].at
        if self.closed_at is not None:
            yield self.closed_at

    def _tombstones(self, fields: frozenset[str]) -> dict[str, object]:
        changes: dict[str, object] = {}
        if "entry_reasons" in fields:
            changes["ledger"] = tuple(_unreasoned(entry) for entry in self.ledger)
        if "tier_reasons" in fields:
            changes["tier_history"] = tuple(_unreasoned(change) for change in self.tier_history)
        return changes

    @property
    def entry_reasons(self) -> tuple[str | None, ...]:
        """The reason of each ledger entry, in the order of :attr:`ledger` (free text)."""
        return tuple(entry.reason for entry in self.ledger)

    @property
    def tier_reasons(self) -> tuple[str | None, ...]:
        """The reason of each tier change, in the order of :attr:`tier_history` (free text)."""
        return tuple(change.reason for change in self.tier_history)

    def _event_fields(self) -> Mapping[str, object]:
        return {
            "account_id": self.id,
            "customer_id": self.customer_id,
            "program_id": self.program_id,
        }

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def enroll(
        cls,
        account_id: LoyaltyAccountId,
        *,
        customer_id: CustomerId,
        program: LoyaltyProgram,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> LoyaltyAccount:
        """Enrol a customer in ``program`` at ``at``, in its lowest tier.

        Records :class:`~crmcore.loyalty.LoyaltyMemberEnrolled`.

        Raises:
            ValidationError: an argument breaks a rule; the path names it.
        """
        checked = instance_of(LoyaltyProgram, "a LoyaltyProgram")(program, "$.program")
        command = cls._begin_new(at, meta)
        tier = checked.base_tier.code
        return cls._create(
            command,
            LoyaltyMemberEnrolled.draft(tier=tier),
            id=account_id,
            customer_id=customer_id,
            program_id=checked.id,
            tier_history=(TierChange(tier=tier, at=command.at, reason="enrolled"),),
        )

    # -- queries ----------------------------------------------------------------------------

    @property
    def enrolled_at(self) -> datetime:
        """When the customer enrolled (the account's ``created_at``)."""
        return self.created_at

    def is_active_at(self, when: datetime) -> bool:
        """True if the membership is in force at ``when``: enrolled by then, not closed by then."""
        moment = require_aware(when, "$.when")
        return self.enrolled_at <= moment and (self.closed_at is None or moment < self.closed_at)

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
        return replay(self._upto(at))

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

    def _begin_open(self, at: object, meta: Mapping[str, object]) -> Command:
        """The time rule (:meth:`_begin`); then refuse if the membership is closed.

        Every command but ``repoint_customer`` starts here (a merge still
        re-points a closed account).
        """
        command = self._begin(at, meta)
        if self.closed_at is not None:
            raise ValidationError(
                "the membership is closed: the account takes no more commands",
                path="$.closed_at",
                code="closed",
            )
        return command

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
    ) -> tuple[EventDraft, dict[str, Any]]:
        current = self.tier
        change = TierChange(tier=target, at=when, from_tier=current, reason=reason)
        if len(self.tier_history) >= MAX_TIER_CHANGES:
            raise ValidationError(
                f"must hold at most {MAX_TIER_CHANGES} changes",
                path="$.tier_history",
                code="too_many",
            )
        value = qualifying.amount if isinstance(qualifying, Money) else qualifying
        draft = LoyaltyTierChanged.draft(
            from_tier=current,
            to_tier=target,
            upgrade=program.rank(target) > program.rank(current),
            qualifying=None if value is None else Decimal(value),
        )
        changes = {"tier_history": (*self.tier_history, change), "tier_confirmed_at": when}
        return draft, changes

    def _earned(
        self, command: Command, program: LoyaltyProgram, entry: LedgerEntry, draft: EventDraft
    ) -> LoyaltyAccount:
        """Record an earning, then upgrade at once if it qualifies the member for a higher tier."""
        earned = self._record(command, draft, ledger=self._append(entry))
        qualifying = earned._qualifying(program, command.at)  # noqa: SLF001 - same class
        target = program.tier_for(qualifying).code
        if program.rank(target) <= program.rank(earned.tier):
            return earned
        upgrade, changes = earned._move_tier(  # noqa: SLF001 - same class
            program, target, command.at, f"qualified by {program.tier_basis.value}", qualifying
        )
        return earned._record(command, upgrade, **changes)  # noqa: SLF001 - same class

    def _redemption(
        self, command: Command, points: object, reward_id: RewardId | None, reason: str | None
    ) -> tuple[EventDraft, tuple[LedgerEntry, ...]]:
        amount = self._spending(points, command.at, "$.points")
        entry = LedgerEntry(
            kind=EntryKind.REDEEM, at=command.at, points=-amount, reason=reason, reward_id=reward_id
        )
        draft = LoyaltyPointsRedeemed.draft(
            points=amount, balance=self.balance() - amount, reward_id=reward_id
        )
        return draft, self._append(entry)

    # -- commands ---------------------------------------------------------------------------

    def earn_for_order(
        self,
        order: Order,
        program: LoyaltyProgram,
        *,
        at: datetime,
        birth_date: date | None = None,
        **meta: Unpack[EventMeta],
    ) -> LoyaltyAccount:
        """Earn the points of a paid order; records :class:`~crmcore.loyalty.LoyaltyPointsEarned`.

        The order's net amount (its total less refunds so far) earns by the
        program's rules at the member's current tier; bonus occasions are
        judged at the time the order was placed (pass the member's
        ``birth_date`` for a birthday-month bonus). The earning is a lot
        expiring after the program's ``expiry`` from ``at``, and its spend
        counts towards spend tiers. Reaching a higher tier upgrades at once
        (:class:`~crmcore.loyalty.LoyaltyTierChanged`).

        Idempotent per order: if the ledger already holds this order's
        earning, the account is returned unchanged and nothing is recorded,
        whatever ``at`` is (an order event delivered again, late, earns
        nothing and is not refused). Later refunds do not take points back on
        their own; deduct them with :meth:`adjust` (passing the ``order_id``).

        Raises:
            ValidationError: another customer's order (``$.order.customer_id``),
                an order not paid in full, refunded in full or cancelled
                (``$.order.payment_status``, code ``order_not_paid``),
                another currency (``$.order``), ``at`` before the order was
                placed (``$.at``, code ``before_order``) or before the account's
                last change (``$.at``, code ``time_backwards``).
        """
        checked = self._program(program)
        placed = instance_of(Order, "an Order")(order, "$.order")
        require_aware(at, "$.at")
        check_meta(meta)
        if self.has_earned_for(placed.id):
            return self
        command = self._begin_open(at, meta)
        if placed.customer_id != self.customer_id:
            raise ValidationError(
                "must be an order of the member", path="$.order.customer_id", code="not_member"
            )
        if not placed.is_paid:
            raise ValidationError(
                "must be paid in full (paid, or partly refunded since) and not cancelled "
                "to earn points",
                path="$.order.payment_status",
                code="order_not_paid",
            )
        if command.at < placed.at:
            raise ValidationError(
                "must not be before the order was placed", path="$.at", code="before_order"
            )
        net = same_currency(placed.amount, checked.currency, "$.order")
        quote = checked.points_for(net, placed_at=placed.at, tier=self.tier, birth_date=birth_date)
        entry = LedgerEntry(
            kind=EntryKind.EARN,
            at=command.at,
            points=quote.total,
            reason=f"order {placed.id}",
            order_id=placed.id,
            spend=net,
            expires_at=checked.expires_at(command.at),
        )
        draft = LoyaltyPointsEarned.draft(
            points=entry.points,
            balance=self.balance() + entry.points,
            order_id=placed.id,
            expires_at=entry.expires_at,
            occasions=quote.occasions,
        )
        return self._earned(command, checked, entry, draft)

    def earn(
        self,
        points: int,
        program: LoyaltyProgram,
        *,
        at: datetime,
        reason: str,
        **meta: Unpack[EventMeta],
    ) -> LoyaltyAccount:
        """Earn points for something other than an order (a review, a referral, a welcome bonus).

        The points form a lot that expires like any earning and count as
        qualifying points; records :class:`~crmcore.loyalty.LoyaltyPointsEarned`
        (and maybe :class:`~crmcore.loyalty.LoyaltyTierChanged`). The reason
        stays in the ledger entry.

        Raises:
            ValidationError: ``points`` is not 1 or more, ``reason`` is empty,
                ``at`` goes backwards.
        """
        checked = self._program(program)
        amount = points_value(points, "$.points", minimum=1)
        text = required_reason(reason, "$.reason")
        command = self._begin_open(at, meta)
        entry = LedgerEntry(
            kind=EntryKind.EARN,
            at=command.at,
            points=amount,
            reason=text,
            expires_at=checked.expires_at(command.at),
        )
        draft = LoyaltyPointsEarned.draft(
            points=amount, balance=self.balance() + amount, expires_at=entry.expires_at
        )
        return self._earned(command, checked, entry, draft)

    def redeem(
        self,
        points: int,
        *,
        at: datetime,
        reason: str | None = None,
        reward_id: RewardId | None = None,
        **meta: Unpack[EventMeta],
    ) -> LoyaltyAccount:
        """Spend points, oldest unexpired first; records :class:`~crmcore.loyalty.LoyaltyPointsRedeemed`.

        The reason stays in the ledger entry.

        Raises:
            ValidationError: ``points`` is not 1 or more; more than the balance
                (code ``insufficient_points``); more than the unexpired points
                (code ``expired_points``); ``at`` goes backwards.
        """
        text = optional_reason(reason, "$.reason")
        if reward_id is not None and type(reward_id) is not RewardId:
            raise InvalidType(f"must be a RewardId, not {type_name(reward_id)}", path="$.reward_id")
        command = self._begin_open(at, meta)
        draft, ledger = self._redemption(command, points, reward_id, text)
        return self._record(command, draft, ledger=ledger)

    def redeem_reward(
        self,
        reward_id: RewardId,
        program: LoyaltyProgram,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> LoyaltyAccount:
        """Redeem a reward of the catalogue, paying its points cost.

        Records :class:`~crmcore.loyalty.LoyaltyPointsRedeemed` and
        :class:`~crmcore.loyalty.LoyaltyRewardRedeemed`. The reward's stock is
        the program's: after accepting, the host stores
        ``program.take_stock(reward_id)``.

        Raises:
            ValidationError: unknown reward (``$.reward_id``), the member's tier
                is below the reward's minimum (code ``tier_too_low``), the reward
                is out of stock (code ``out_of_stock``), or the points fall short
                (``$.points``).
        """
        checked = self._program(program)
        reward = checked.reward(reward_id)
        command = self._begin_open(at, meta)
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
        spent, ledger = self._redemption(command, reward.points_cost, reward.id, reward.name)
        draft = LoyaltyRewardRedeemed.draft(reward_id=reward.id, points_cost=reward.points_cost)
        return self._record(command, spent, draft, ledger=ledger)

    def adjust(
        self,
        points: int,
        *,
        at: datetime,
        reason: str,
        expires_at: datetime | None = None,
        order_id: OrderId | None = None,
        **meta: Unpack[EventMeta],
    ) -> LoyaltyAccount:
        """Add (positive) or deduct (negative) points by hand; records :class:`~crmcore.loyalty.LoyaltyPointsAdjusted`.

        An addition forms a lot that expires at ``expires_at`` (never, if
        ``None``); adjustments never count as qualifying activity. A deduction
        spends the oldest unexpired points and never takes more than are
        available. ``order_id`` links a correction to an order (a refund).
        The reason stays in the ledger entry, not the event.

        Raises:
            ValidationError: ``points`` is zero; a deduction beyond the
                balance or the unexpired points; an ``expires_at`` on a
                deduction or not after ``at``; an empty ``reason``.
        """
        command = self._begin_open(at, meta)
        if isinstance(points, bool) or not isinstance(points, int):
            raise InvalidType(f"must be an int, not {type_name(points)}", path="$.points")
        if points == 0:
            raise ValidationError("must not be zero", path="$.points", code="points_sign")
        if points < 0:
            self._spending(-points, command.at, "$.points")
            if expires_at is not None:
                raise ValidationError(
                    "only an addition of points expires", path="$.expires_at", code="field_for_kind"
                )
        else:
            points_value(points, "$.points", minimum=1)
        text = required_reason(reason, "$.reason")
        if order_id is not None and type(order_id) is not OrderId:
            raise InvalidType(f"must be an OrderId, not {type_name(order_id)}", path="$.order_id")
        entry = LedgerEntry(
            kind=EntryKind.ADJUST,
            at=command.at,
            points=points,
            reason=text,
            expires_at=optional_aware("$.expires_at")(expires_at),
            order_id=order_id,
        )
        draft = LoyaltyPointsAdjusted.draft(points=points, balance=self.balance() + points)
        return self._record(command, draft, ledger=self._append(entry))

    def expire_due(self, *, at: datetime, **meta: Unpack[EventMeta]) -> LoyaltyAccount:
        """Expire the unspent points of every lot past its expiry at ``at``.

        Writes one ``expire`` entry (at ``at``) and records one
        :class:`~crmcore.loyalty.LoyaltyPointsExpired` per lot. With nothing
        due, returns the account unchanged.
        """
        command = self._begin_open(at, meta)
        due = [lot for lot in self.lots() if lot.remaining > 0 and lot.lapsed(command.at)]
        if not due:
            return self
        if len(self.ledger) + len(due) > MAX_ENTRIES:
            raise ValidationError(
                f"must hold at most {MAX_ENTRIES} entries", path="$.ledger", code="too_many"
            )
        entries = list(self.ledger)
        drafts: list[EventDraft] = []
        balance = self.balance()
        for lot in due:
            balance -= lot.remaining
            entries.append(
                LedgerEntry(
                    kind=EntryKind.EXPIRE,
                    at=command.at,
                    points=-lot.remaining,
                    reason="points expired",
                    lot=lot.entry,
                )
            )
            drafts.append(
                LoyaltyPointsExpired.draft(
                    points=lot.remaining,
                    balance=balance,
                    earned_at=lot.earned_at,
                    expired_at=lot.expires_at or command.at,
                )
            )
        return self._record(command, *drafts, ledger=tuple(entries))

    def evaluate_tier(
        self,
        program: LoyaltyProgram,
        *,
        at: datetime,
        qualifying_spend: Money | None = None,
        **meta: Unpack[EventMeta],
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
        matches. Records :class:`~crmcore.loyalty.LoyaltyTierChanged`; an
        evaluation that confirms the current tier moves
        :attr:`tier_confirmed_at` (and :attr:`updated_at`) and records
        nothing; one that may not downgrade yet changes nothing.

        Raises:
            ValidationError: ``qualifying_spend`` for a program with points
                tiers, or of another currency (``$.qualifying_spend``).
        """
        checked = self._program(program)
        command = self._begin_open(at, meta)
        when = command.at
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
                if when == self.tier_confirmed_at:
                    return self
                return self._record(command, tier_confirmed_at=when)
            reason = f"qualified by {checked.tier_basis.value}"
        else:
            if when < self.tier_kept_until(checked, at=when):
                return self
            grace = checked.downgrade_grace
            reason = f"{checked.tier_basis.value} in the window below the tier"
            if grace is not None:
                reason += f" after a grace of {grace}"
        draft, changes = self._move_tier(checked, target, when, reason, qualifying)
        return self._record(command, draft, **changes)

    def change_tier(
        self,
        tier: str,
        program: LoyaltyProgram,
        *,
        at: datetime,
        reason: str,
        **meta: Unpack[EventMeta],
    ) -> LoyaltyAccount:
        """Move the member to ``tier`` by hand (a VIP upgrade, a correction).

        Records :class:`~crmcore.loyalty.LoyaltyTierChanged`; the reason stays
        in the tier history, not the event. The tier counts as confirmed at
        ``at``: the downgrade grace runs from here. Moving to the current tier
        changes nothing.
        """
        checked = self._program(program)
        target = checked.tier(tier).code
        text = required_reason(reason, "$.reason")
        command = self._begin_open(at, meta)
        if target == self.tier:
            return self
        draft, changes = self._move_tier(checked, target, command.at, text, None)
        return self._record(command, draft, **changes)

    def close(
        self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]
    ) -> LoyaltyAccount:
        """End the membership at ``at``; records :class:`~crmcore.loyalty.LoyaltyMembershipClosed`.

        ``reason`` is an optional snake_case code (``"member_request"``), not
        free text: it goes into the event. The ledger, the balance and the
        tier stay as they were; from ``at`` on :meth:`is_active_at` is false
        and every command but ``repoint_customer`` is refused.

        Raises:
            ValidationError: ``reason`` is not a snake_case code (``$.reason``);
                the account is closed already (``$.closed_at``, code ``closed``);
                ``at`` is naive or before the last change (``time_backwards``).
        """
        code = reason_code(reason, "$.reason")
        command = self._begin_open(at, meta)
        draft = LoyaltyMembershipClosed.draft(reason=code)
        return self._record(command, draft, closed_at=command.at)

    def __repr__(self) -> str:
        return (
            f"LoyaltyAccount(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"program_id={self.program_id!r}, tier={self.tier!r}, balance={self.balance()}, "
            f"entries={len(self.ledger)}, version={self.version}, "
            f"pending_events={len(self.pending_events)})"
        )
