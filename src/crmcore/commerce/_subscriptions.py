"""Subscriptions: plans, renewal schedules, due dates and payment history.

A :class:`Subscription` follows a :class:`Plan` (a fee every billing period,
maybe after a free trial). Its due dates are anchored on the day billing
starts: the ``n``-th due date is ``anchor + n * period`` computed in one step
with :mod:`dateutil`, never by adding one period at a time, so a schedule that
starts on 31 January falls due on 28 (or 29) February and then on 31 March
again. Its status follows an explicit machine (:data:`SUBSCRIPTION_STATUSES`)::

    trialing ──► active ◄──► past_due
        │           │            │
        └───────────┴────────────┴──► cancelled | expired   (final)

The library never reads a clock: :meth:`Subscription.refresh` applies what
time changes (a trial ending, a payment overdue past its grace days, a
scheduled cancellation or the end of a fixed term) as of a time you pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from types import EllipsisType
from typing import Unpack

import attrs

from crmcore._kernel._aggregate import (
    Command,
    RepointsCustomer,
    optional_typed_id,
    typed_id,
)
from crmcore._kernel._checks import (
    instance_of,
    limit,
    positive_int,
    reason_text,
    require_aware,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import EventDraft, EventMeta
from crmcore._kernel._ids import CustomerId, PaymentId, StaffId, SubscriptionId, TeamId
from crmcore._kernel._money import Money, same_currency
from crmcore._kernel._personal import HoldsPersonalData
from crmcore._kernel._timeline import TimelineEntry
from crmcore.commerce._payments import (
    Payment,
    PaymentMethod,
    PaymentOutcome,
    payment_facts,
    payment_inputs,
)
from crmcore.commerce._plans import (
    _OUT_OF_RANGE,
    MAX_DUES,
    MAX_PAYMENTS,
    PaymentDue,
    PaymentDueStatus,
    Plan,
    _add,
    _estimate,
    _is_due_date,
    _pinned,
    _sub_cancel_reason,
    _sub_cancel_requested_at,
    _sub_created_at,
    _sub_ended_at,
    _sub_grace,
    _sub_payments,
    _sub_plan,
    _sub_status,
    _sub_term,
)
from crmcore.commerce._subscription_events import (
    _FINAL,
    SUBSCRIPTION_STATUSES,
    SubscriptionAnonymised,
    SubscriptionAssigned,
    SubscriptionCancellationScheduled,
    SubscriptionCancelled,
    SubscriptionCustomerRepointed,
    SubscriptionExpired,
    SubscriptionPaymentFailed,
    SubscriptionPaymentRecorded,
    SubscriptionRenewed,
    SubscriptionResumed,
    SubscriptionStarted,
    SubscriptionStatus,
    SubscriptionStatusChanged,
)
from crmcore.errors import InvalidType, ValidationError

# -- the aggregate -----------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Subscription(
    RepointsCustomer[SubscriptionId],
    HoldsPersonalData[SubscriptionId],
    kind="subscription",
    v1_renames={"started_at": "created_at"},
):
    """A customer's subscription to a plan: schedule, status and payment history.

    Start one with :meth:`start`. Billing begins when the trial (if the plan
    has one) ends: that instant is the first due date, and every later one is
    the anchor plus ``n`` billing periods. ``term_periods`` limits the
    subscription to that many billing periods (``None``: it renews until
    cancelled). ``grace_days`` is how long after a due date a payment still
    counts as on time. Due dates keep the time of day and UTC offset of
    ``created_at``, the start (a named time zone is pinned to its offset at
    the start), so a schedule is the same after a round trip through
    serialization.

    Like every crmcore aggregate it is immutable: commands return a new
    subscription and record events in :attr:`pending_events`; a command that
    fails raises :class:`~crmcore.ValidationError` and changes nothing. Every
    command, :meth:`refresh` included, takes the time it happens at, which must
    not be before the subscription's last change (:attr:`updated_at`): times
    never go backwards. A fee may still be paid for an earlier due date, as
    long as the payment itself is not dated before the last change. Every
    command also takes the envelope keywords ``actor``, ``correlation_id`` and
    ``causation_id`` (see :mod:`crmcore.events`).

    >>> from datetime import datetime, timezone
    >>> from crmcore.commerce import Period, Plan, PlanId
    >>> plan = Plan(
    ...     id=PlanId("basic"),
    ...     name="Basic",
    ...     price=Money("9.99", "EUR"),
    ...     period=Period.months(1),
    ...     product_type="streaming",
    ... )
    >>> sub = Subscription.start(
    ...     SubscriptionId("s-1"),
    ...     customer_id=CustomerId("c-1"),
    ...     plan=plan,
    ...     at=datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc),
    ... )
    >>> [
    ...     d.date().isoformat()
    ...     for d in sub.due_dates(until=datetime(2026, 5, 1, tzinfo=timezone.utc))
    ... ]
    ['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']
    >>> sub = sub.record_payment(
    ...     PaymentId("p-1"),
    ...     Money("9.99", "EUR"),
    ...     at=datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc),
    ... )
    >>> [
    ...     (d.due_at.date().isoformat(), d.status.value)
    ...     for d in sub.payment_history(at=datetime(2026, 3, 10, tzinfo=timezone.utc))
    ... ]
    [('2026-01-31', 'paid'), ('2026-02-28', 'overdue')]
    >>> sub = sub.refresh(at=datetime(2026, 3, 10, tzinfo=timezone.utc))
    >>> sub.status.value, [e.event_id for e in sub.pending_events]
    ('past_due', ['subscription:s-1#1', 'subscription:s-1#2', 'subscription:s-1#3'])

    Attributes:
        customer_id: the subscriber.
        plan: what they subscribe to.
        status: where the subscription stands (see :data:`SUBSCRIPTION_STATUSES`).
        term_periods: a fixed term in billing periods, or ``None``.
        grace_days: days after a due date during which a payment counts as on time.
        cancel_requested_at: when a cancellation at the end of the period was
            asked for, while one is scheduled.
        cancel_reason: the reason given for the cancellation (free text; it
            stays here, never goes into an event, and :meth:`anonymise` erases it).
        ended_at: when the subscription ended (cancelled or expired).
        payments: every payment and failed attempt, oldest first.
    """

    _repointed_by = SubscriptionCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = SubscriptionAnonymised
    personal_fields = ("cancel_reason",)

    # The base's ``created_at``, pinned to its UTC offset (see the class documentation).
    created_at: datetime = attrs.field(converter=_sub_created_at)
    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    plan: Plan = attrs.field(validator=_sub_plan)
    status: SubscriptionStatus = attrs.field(converter=_sub_status)
    term_periods: int | None = attrs.field(default=None, validator=_sub_term)
    grace_days: int = attrs.field(default=0, validator=_sub_grace)
    cancel_requested_at: datetime | None = attrs.field(
        default=None, converter=_sub_cancel_requested_at
    )
    cancel_reason: str | None = attrs.field(default=None, converter=_sub_cancel_reason)
    ended_at: datetime | None = attrs.field(default=None, converter=_sub_ended_at)
    payments: tuple[Payment, ...] = attrs.field(
        default=(), converter=_sub_payments, metadata=limit(MAX_PAYMENTS)
    )
    #: The member of staff who owns the subscription, and its team (both optional).
    owner: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.owner")
    )
    team: TeamId | None = attrs.field(default=None, validator=optional_typed_id(TeamId, "$.team"))

    def _check(self) -> None:
        if (self.status in _FINAL) != (self.ended_at is not None):
            raise ValidationError(
                f"does not match the status {self.status.value}",
                path="$.ended_at",
                code="status_mismatch",
            )
        if self.status is SubscriptionStatus.TRIALING and self.plan.trial is None:
            raise ValidationError(
                "only a plan with a trial has a trialing subscription",
                path="$.status",
                code="status_mismatch",
            )
        try:
            self._due(0)
        except ValidationError as exc:
            raise ValidationError(exc.rule, path="$.created_at", code=exc.code) from None
        self._check_payments()
        self._check_not_before_start()

    def _check_payments(self) -> None:
        anchor, period, currency = self.billing_anchor, self.plan.period, self.currency
        settled: set[datetime] = set()
        ids: set[PaymentId] = set()
        for index, payment in enumerate(self.payments):
            where = f"$.payments[{index}]"
            same_currency(payment.amount, currency, f"{where}.amount")
            if payment.id in ids:
                raise ValidationError(
                    "must not repeat a payment id", path=f"{where}.id", code="duplicate"
                )
            ids.add(payment.id)
            if payment.due_at is None or not _is_due_date(anchor, period, payment.due_at):
                raise ValidationError(
                    "must name one of the subscription's due dates",
                    path=f"{where}.due_at",
                    code="not_a_due_date",
                )
            if payment.succeeded:
                if payment.due_at in settled:
                    raise ValidationError(
                        "must not pay a due date twice", path=f"{where}.due_at", code="already_paid"
                    )
                settled.add(payment.due_at)

    def _check_not_before_start(self) -> None:
        timed: list[tuple[str, datetime | None]] = [
            *((f"$.payments[{i}].at", p.at) for i, p in enumerate(self.payments)),
            ("$.cancel_requested_at", self.cancel_requested_at),
            ("$.ended_at", self.ended_at),
        ]
        for path, when in timed:
            if when is not None and when < self.created_at:
                raise ValidationError(
                    "must not be before the subscription started",
                    path=path,
                    code="time_backwards",
                )

    def _recorded_times(self) -> Iterable[datetime]:
        for payment in self.payments:
            yield payment.at
        if self.cancel_requested_at is not None:
            yield self.cancel_requested_at
        if self.ended_at is not None:
            yield self.ended_at

    def _event_fields(self) -> Mapping[str, object]:
        return {"subscription_id": self.id, "customer_id": self.customer_id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, object]:
        return dict.fromkeys(fields)  # the cancellation reason is optional text

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        subscription_id: SubscriptionId,
        *,
        customer_id: CustomerId,
        plan: Plan,
        at: datetime,
        periods: int | None = None,
        grace_days: int = 0,
        owner: StaffId | None = None,
        team: TeamId | None = None,
        **meta: Unpack[EventMeta],
    ) -> Subscription:
        """Start a subscription at ``at``; records :class:`SubscriptionStarted`.

        It is trialing when the plan has a trial, active otherwise.

        Args:
            subscription_id: the new subscription's id.
            customer_id: the subscriber.
            plan: what they subscribe to.
            at: when it starts (timezone-aware).
            periods: a fixed term of this many billing periods; ``None``
                renews until cancelled.
            grace_days: days after a due date during which a payment still
                counts as on time.
            owner: the member of staff who owns it (see :meth:`assign`).
            team: the team it belongs to.
            meta: the envelope keywords (``actor``, ``correlation_id``, ``causation_id``).

        Raises:
            ValidationError: an argument breaks a rule; the path names it.
        """
        begun = cls._begin_new(at, meta)
        command = attrs.evolve(begun, at=_pinned(begun.at))
        if periods is not None:
            positive_int(periods, "$.periods", maximum=MAX_DUES)
        checked = instance_of(Plan, "a Plan")(plan, "$.plan")
        trialing = checked.trial is not None

        def started(sub: Subscription) -> EventDraft:
            if periods is not None:
                try:
                    sub.due_at(periods)  # refuses a term past year 9999
                except ValidationError as exc:
                    raise ValidationError(exc.rule, path="$.periods", code=exc.code) from None
            return SubscriptionStarted.draft(
                plan_id=sub.plan.id,
                fee=sub.fee,
                period=sub.plan.period,
                trial=sub.plan.trial,
                product_type=sub.plan.product_type,
                status=sub.status,
                term_periods=periods,
                owner=sub.owner,
                team=sub.team,
            )

        return cls._create(
            command,
            started,
            id=subscription_id,
            customer_id=customer_id,
            plan=checked,
            status=SubscriptionStatus.TRIALING if trialing else SubscriptionStatus.ACTIVE,
            term_periods=periods,
            grace_days=grace_days,
            owner=owner,
            team=team,
        )

    def assign(
        self,
        owner: StaffId | None,
        team: TeamId | EllipsisType | None = ...,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Subscription:
        """Give the subscription an owner (``None``: none); records :class:`SubscriptionAssigned`.

        Leaving ``team`` out keeps the team, ``None`` clears it; the owner and
        team it already has change nothing and record nothing.
        """
        return self._assign_owner("owner", owner, team, SubscriptionAssigned, self._begin(at, meta))

    @property
    def started_at(self) -> datetime:
        """When the subscription started (its ``created_at``)."""
        return self.created_at

    # -- the schedule ---------------------------------------------------------------------

    @property
    def currency(self) -> str:
        """The currency of the plan's fee."""
        return self.plan.price.currency

    @property
    def fee(self) -> Money:
        """The fee due every billing period (the plan's price)."""
        return self.plan.price

    @property
    def product_type(self) -> str:
        """The plan's product type."""
        return self.plan.product_type

    @property
    def billing_anchor(self) -> datetime:
        """The first due date: the start, or the end of the trial."""
        if self.plan.trial is None:
            return self.created_at
        return _add(self.created_at, self.plan.trial, 1)

    @property
    def trial_ends_at(self) -> datetime | None:
        """When the trial ends, or ``None`` for a plan without one."""
        return None if self.plan.trial is None else self.billing_anchor

    @property
    def grace(self) -> timedelta:
        """The grace period after each due date."""
        return timedelta(days=self.grace_days)

    def _due(self, number: int) -> datetime:
        try:
            return _add(self.billing_anchor, self.plan.period, number)
        except (OverflowError, ValueError):
            raise ValidationError(_OUT_OF_RANGE, path="$", code="date_range") from None

    def _estimate(self, at: datetime) -> int:
        """The number of whole periods from the anchor to ``at``, by calendar arithmetic.

        Exact for a due date; for any other time it is off by at most one.
        """
        return _estimate(self.billing_anchor, self.plan.period, at)

    def due_at(self, number: int) -> datetime:
        """The ``number``-th due date (from 0), computed as anchor + number * period.

        Raises:
            ValidationError: ``number`` is negative or the date is past year 9999.
        """
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidType(f"must be an int, not {type_name(number)}", path="$.number")
        if number < 0:
            raise ValidationError("must be 0 or more", path="$.number", code="range")
        try:
            return self._due(number)
        except ValidationError as exc:
            raise ValidationError(exc.rule, path="$.number", code=exc.code) from None

    def _first_after(self, at: datetime, *, inclusive: bool) -> int:
        """The smallest n with due(n) > at (or >= at when ``inclusive``)."""

        def reached(n: int) -> bool:
            try:
                due = self._due(n)
            except ValidationError:
                return True
            return due >= at if inclusive else due > at

        number = max(self._estimate(at), 0)
        while number > 0 and reached(number - 1):
            number -= 1
        while not reached(number):
            number += 1
        return number

    def _number_of(self, due_at: datetime) -> int | None:
        number = self._estimate(due_at)
        if number < 0:
            return None
        try:
            return number if self._due(number) == due_at else None
        except ValidationError:
            return None

    @property
    def ends_at(self) -> datetime | None:
        """When the subscription ends (or ended); ``None`` while it renews until cancelled.

        The end of a fixed term, the end of the period in which a
        cancellation was asked for, or the time it ended, whichever is known.
        """
        if self.ended_at is not None:
            return self.ended_at
        return self._end_if_cancelled_at(self.cancel_requested_at)

    def _end_if_cancelled_at(self, requested_at: datetime | None) -> datetime | None:
        """The end of the term or of the period in which ``requested_at`` falls, the earlier."""
        ends = []
        if self.term_periods is not None:
            ends.append(self._due(self.term_periods))
        scheduled = self._scheduled_end(requested_at)
        if scheduled is not None:
            ends.append(scheduled)
        return min(ends) if ends else None

    def _scheduled_end(self, requested_at: datetime | None) -> datetime | None:
        if requested_at is None:
            return None
        return self._due(self._first_after(requested_at, inclusive=False))

    def _owed_count(self, through: datetime) -> int:
        """How many due dates fall on or before ``through`` and before the end."""
        count = self._first_after(through, inclusive=False)
        end = self.ends_at
        if end is not None:
            count = min(count, self._first_after(end, inclusive=True))
        return count

    def due_dates(self, *, until: datetime) -> tuple[datetime, ...]:
        """Every due date up to and including ``until``, before the subscription's end.

        Raises:
            ValidationError: ``until`` is naive, or would list more than
                ``MAX_DUES`` dates.
        """
        limit = require_aware(until, "$.until")
        count = self._owed_count(limit)
        if count > MAX_DUES:
            raise ValidationError(
                f"must not list more than {MAX_DUES} due dates", path="$.until", code="too_many"
            )
        return tuple(self._due(n) for n in range(count))

    def next_due_date(self, *, at: datetime) -> datetime | None:
        """The first due date at or after ``at``, or ``None`` if the subscription ends first."""
        when = require_aware(at, "$.at")
        if self.status in _FINAL:
            return None
        number = self._first_after(when, inclusive=True)
        try:
            due = self._due(number)
        except ValidationError:
            return None
        end = self.ends_at
        if end is not None and due >= end:
            return None
        return due

    # -- payment history ------------------------------------------------------------------

    def payment_history(self, *, at: datetime) -> tuple[PaymentDue, ...]:
        """Each due date up to ``at`` (and any later one already paid) and how it stands.

        Only payments made by ``at`` count, so the history can be replayed as
        of any past time.

        Raises:
            ValidationError: ``at`` is naive, or the history would hold more
                than ``MAX_DUES`` due dates.
        """
        when = require_aware(at, "$.at")
        count = self._owed_count(when)
        paid: dict[datetime, Payment] = {}
        failed: dict[datetime, int] = {}
        for payment in self.payments:
            if payment.at > when or payment.due_at is None:
                continue
            if payment.succeeded:
                paid[payment.due_at] = payment
            else:
                failed[payment.due_at] = failed.get(payment.due_at, 0) + 1
        # Recorded payments name real due dates (checked on construction), so
        # the calendar estimate is their exact number.
        later = sorted(n for n in (self._estimate(d) for d in (*paid, *failed)) if n >= count)
        numbers = [*range(count), *dict.fromkeys(later)]
        if len(numbers) > MAX_DUES:
            raise ValidationError(
                f"must not hold more than {MAX_DUES} due dates", path="$.at", code="too_many"
            )
        return tuple(self._entry(n, when, paid, failed) for n in numbers)

    def _entry(
        self,
        number: int,
        when: datetime,
        paid: Mapping[datetime, Payment],
        failed: Mapping[datetime, int],
    ) -> PaymentDue:
        due = self._due(number)
        grace_ends = due + self.grace
        payment = paid.get(due)
        attempts = failed.get(due, 0)
        if payment is not None:
            status = PaymentDueStatus.PAID if payment.at <= grace_ends else PaymentDueStatus.LATE
        elif self.fee.is_zero():
            status = PaymentDueStatus.PAID if due <= when else PaymentDueStatus.UPCOMING
        elif due > when:
            status = PaymentDueStatus.UPCOMING
        elif attempts:
            status = PaymentDueStatus.FAILED
        elif when <= grace_ends:
            status = PaymentDueStatus.DUE
        else:
            status = PaymentDueStatus.OVERDUE
        return PaymentDue(
            number=number,
            due_at=due,
            amount=self.fee,
            status=status,
            grace_ends_at=grace_ends,
            paid_at=None if payment is None else payment.at,
            payment_id=None if payment is None else payment.id,
            failed_attempts=attempts,
        )

    def outstanding(self, *, at: datetime) -> Money:
        """The fees due by ``at`` and not paid by then."""
        unpaid = [
            d.amount
            for d in self.payment_history(at=at)
            if not d.settled and d.status is not PaymentDueStatus.UPCOMING
        ]
        return Money.total(unpaid, currency=self.currency)

    def is_overdue(self, *, at: datetime) -> bool:
        """True if some fee is unpaid past its grace days at ``at``."""
        when = require_aware(at, "$.at")
        if self.fee.is_zero():
            return False
        anchor, period = self.billing_anchor, self.plan.period
        settled = {
            _estimate(anchor, period, p.due_at)
            for p in self.payments
            if p.succeeded and p.due_at is not None and p.at <= when
        }
        earliest = 0
        while earliest in settled:
            earliest += 1
        if earliest >= self._owed_count(when):
            return False
        return self._due(earliest) + self.grace < when

    @property
    def amount_paid(self) -> Money:
        """Every fee paid so far."""
        return Money.total((p.amount for p in self.payments if p.succeeded), currency=self.currency)

    @property
    def allowed_statuses(self) -> frozenset[SubscriptionStatus]:
        """The statuses the subscription may change to."""
        return SUBSCRIPTION_STATUSES.allowed(self.status)

    # -- timeline -------------------------------------------------------------------------

    def timeline_facts(self) -> tuple[TimelineEntry, ...]:
        """The subscription's facts for a customer timeline.

        Kinds: ``subscription`` (started, cancellation asked for, ended),
        ``payment`` and ``payment_failed``; keys start with the subscription id.
        """
        sid = self.id.value
        facts = [
            self._fact(
                self.created_at,
                "subscription",
                sid,
                (
                    f"subscription {sid} started: {self.plan.name}, "
                    f"{self.fee.rounded()} every {self.plan.period}"
                ),
            )
        ]
        facts.extend(payment_facts(self.payments, self._fact, sid, f"subscription {sid}"))
        if self.cancel_requested_at is not None:
            facts.append(
                self._fact(
                    self.cancel_requested_at,
                    "subscription",
                    f"{sid}/cancellation-requested",
                    f"subscription {sid}: cancellation at the end of the period",
                )
            )
        if self.ended_at is not None:
            facts.append(
                self._fact(
                    self.ended_at,
                    "subscription",
                    f"{sid}/ended",
                    f"subscription {sid} {self.status.value}",
                )
            )
        return tuple(facts)

    # -- commands -------------------------------------------------------------------------

    def refresh(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Subscription:
        """Apply what time changes, as of ``at``.

        A subscription whose end has come becomes cancelled (when a
        cancellation ended it) or expired (a fixed term ran out), recording
        :class:`SubscriptionCancelled` or :class:`SubscriptionExpired` with the
        end time as ``ended_at``. Otherwise one whose trial is over becomes
        active, or past due if a fee is unpaid past its grace days; a past due
        one whose fees are all paid becomes active again, recording
        :class:`SubscriptionStatusChanged`. Nothing else changes; a final
        status stays as it is.

        Like every command, ``at`` must not be before the last change.

        Raises:
            ValidationError: ``at`` is naive or before the last change
                (``$.at``, code ``time_backwards``).
        """
        command = self._begin(at, meta)
        when = command.at
        if self.status in _FINAL:
            return self
        end = self.ends_at
        if end is not None and end <= when:
            scheduled = self._scheduled_end(self.cancel_requested_at)
            draft: EventDraft
            if scheduled is not None and scheduled == end:
                status = SubscriptionStatus.CANCELLED
                draft = SubscriptionCancelled.draft(immediately=False, ended_at=end)
            else:
                status = SubscriptionStatus.EXPIRED
                draft = SubscriptionExpired.draft(ended_at=end)
            SUBSCRIPTION_STATUSES.check(self.status, status)
            return self._record(command, draft, status=status, ended_at=end)
        trial_end = self.trial_ends_at
        if trial_end is not None and when < trial_end:
            return self  # still trialing
        target = (
            SubscriptionStatus.PAST_DUE if self.is_overdue(at=when) else SubscriptionStatus.ACTIVE
        )
        if target is self.status:
            return self
        SUBSCRIPTION_STATUSES.check(self.status, target)
        draft = SubscriptionStatusChanged.draft(previous=self.status, status=target)
        return self._record(command, draft, status=target)

    def _target_due(self, due_at: object) -> datetime:
        if self.fee.is_zero():
            raise ValidationError(
                "a free plan has nothing to pay", path="$.amount", code="nothing_due"
            )
        settled = {p.due_at for p in self.payments if p.succeeded}
        end = self.ends_at
        if due_at is not None:
            target = require_aware(due_at, "$.due_at")
            if self._number_of(target) is None:
                raise ValidationError(
                    "must be one of the subscription's due dates",
                    path="$.due_at",
                    code="not_a_due_date",
                )
            if end is not None and target >= end:
                raise ValidationError(
                    "must be before the subscription ends", path="$.due_at", code="after_end"
                )
            if target in settled:
                raise ValidationError("is already paid", path="$.due_at", code="already_paid")
            return target
        number = 0
        while True:
            try:
                candidate = self._due(number)
            except ValidationError:
                candidate = None
            if candidate is None or (end is not None and candidate >= end):
                raise ValidationError(
                    "every due date is paid already", path="$.due_at", code="nothing_due"
                )
            if candidate not in settled:
                return candidate
            number += 1

    def _pay(
        self,
        payment_id: object,
        amount: object,
        *,
        at: object,
        meta: EventMeta,
        due_at: object,
        method: object,
        outcome: PaymentOutcome,
        reason: object = None,
    ) -> Subscription:
        """Record a payment (or a failed attempt) of ``outcome``, then refresh as of its time."""
        checked_id, money, checked_method, code = payment_inputs(
            payment_id, amount, self.currency, method, reason
        )
        command = self._begin(at, meta)
        if any(p.id == checked_id for p in self.payments):
            raise ValidationError(
                "must not repeat a payment of this subscription",
                path="$.payment_id",
                code="duplicate",
            )
        if money != self.fee:
            raise ValidationError("must equal the plan's fee", path="$.amount", code="amount")
        target = self._target_due(due_at)
        payment = Payment._of_checked(  # noqa: SLF001 - checked just above
            id=checked_id,
            amount=money,
            at=command.at,
            outcome=outcome,
            method=checked_method,
            due_at=target,
            failure_reason=code,
        )
        if outcome is PaymentOutcome.SUCCEEDED:
            draft = SubscriptionPaymentRecorded.draft(payment=payment)
        else:
            draft = SubscriptionPaymentFailed.draft(payment=payment)
        tried = self._record(command, draft, payments=(*self.payments, payment))
        return tried.refresh(at=command.at, **meta)

    def record_payment(
        self,
        payment_id: PaymentId,
        amount: Money,
        *,
        at: datetime,
        due_at: datetime | None = None,
        method: PaymentMethod | str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Subscription:
        """Record a fee paid at ``at``; records :class:`SubscriptionPaymentRecorded`.

        The payment settles ``due_at``, by default the earliest unpaid due
        date (paying ahead, or late for an earlier due date, is allowed). A
        fee still owed after the subscription ended may be paid too. The
        subscription is then refreshed as of ``at`` (a past due one whose fees
        are all paid becomes active again).

        Raises:
            ValidationError: the amount is not the plan's fee (``$.amount``),
                ``due_at`` is not an unpaid due date before the end
                (``$.due_at``), the payment id was used already, ``at`` is
                before the last change (``$.at``, ``time_backwards``), ...
        """
        return self._pay(
            payment_id,
            amount,
            at=at,
            meta=meta,
            due_at=due_at,
            method=method,
            outcome=PaymentOutcome.SUCCEEDED,
        )

    def record_failed_payment(
        self,
        payment_id: PaymentId,
        amount: Money,
        *,
        at: datetime,
        due_at: datetime | None = None,
        method: PaymentMethod | str | None = None,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Subscription:
        """Record a failed attempt to pay a fee; records :class:`SubscriptionPaymentFailed`.

        ``reason`` is a snake_case code (``"card_declined"``), kept as the
        payment's ``failure_reason``. Then refreshes the subscription as of ``at``.

        Raises:
            ValidationError: as for :meth:`record_payment`, or a ``reason``
                that is not a snake_case code (``$.reason``).
        """
        return self._pay(
            payment_id,
            amount,
            at=at,
            meta=meta,
            due_at=due_at,
            method=method,
            outcome=PaymentOutcome.FAILED,
            reason=reason,
        )

    def _refreshed(
        self, at: datetime, meta: EventMeta, wanted: SubscriptionStatus
    ) -> tuple[Subscription, Command]:
        """The subscription refreshed as of ``at``, and the command begun on it.

        An ended subscription is refused as a move to ``wanted`` (``$.status``,
        code ``transition``): a final status moves nowhere.
        """
        current = self.refresh(at=at, **meta)
        command = current._begin(at, meta)  # noqa: SLF001 - the same class.
        if current.status in _FINAL:
            SUBSCRIPTION_STATUSES.check(current.status, wanted)
        return current, command

    def cancel(
        self,
        *,
        at: datetime,
        immediately: bool = False,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Subscription:
        """Cancel at the end of the current billing period, or ``immediately``.

        The subscription is refreshed as of ``at`` first. At period end (the
        default) records :class:`SubscriptionCancellationScheduled` and keeps
        the status until :meth:`refresh` passes the end; asking again changes
        nothing. Immediately records :class:`SubscriptionCancelled` and ends
        it now. Fees already due stay owed either way. The ``reason`` (free
        text) is kept as :attr:`cancel_reason`, never in the events.

        Raises:
            TransitionNotAllowed: the subscription has ended already
                (``$.status``, code ``transition``).
        """
        text = reason_text(reason, "$.reason")
        if not isinstance(immediately, bool):
            raise InvalidType(f"must be a bool, not {type_name(immediately)}", path="$.immediately")
        current, command = self._refreshed(at, meta, SubscriptionStatus.CANCELLED)
        if immediately:
            draft = SubscriptionCancelled.draft(immediately=True, ended_at=command.at)
            return current._record(  # noqa: SLF001 - the same class.
                command,
                draft,
                status=SubscriptionStatus.CANCELLED,
                ended_at=command.at,
                cancel_reason=text,
            )
        if current.cancel_requested_at is not None:
            return current
        end = current._end_if_cancelled_at(command.at)  # noqa: SLF001 - the same class.
        if end is None:  # pragma: no cover - a scheduled cancellation always has an end.
            raise ValidationError("has no end", path="$.at", code="no_end")
        draft = SubscriptionCancellationScheduled.draft(ends_at=end)
        return current._record(  # noqa: SLF001 - the same class.
            command, draft, cancel_requested_at=command.at, cancel_reason=text
        )

    def resume(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Subscription:
        """Withdraw a scheduled cancellation; records :class:`SubscriptionResumed`.

        The subscription is refreshed as of ``at`` first.

        Raises:
            TransitionNotAllowed: the subscription has ended already (``$.status``).
            ValidationError: no cancellation is scheduled (``$.cancel_requested_at``).
        """
        current, command = self._refreshed(at, meta, SubscriptionStatus.ACTIVE)
        if current.cancel_requested_at is None:
            raise ValidationError(
                "has no scheduled cancellation to withdraw",
                path="$.cancel_requested_at",
                code="nothing_scheduled",
            )
        return current._record(  # noqa: SLF001 - the same class.
            command, SubscriptionResumed.draft(), cancel_requested_at=None, cancel_reason=None
        )

    def renew(self, *, at: datetime, periods: int = 1, **meta: Unpack[EventMeta]) -> Subscription:
        """Extend a fixed-term subscription by ``periods`` billing periods.

        The subscription is refreshed as of ``at`` first. Records
        :class:`SubscriptionRenewed`; a scheduled cancellation is withdrawn.
        Subscriptions without a term renew by themselves.

        Raises:
            TransitionNotAllowed: the subscription has ended (``$.status``).
            ValidationError: it has no fixed term (``$.term_periods``), or
                ``periods`` is not 1 or more.
        """
        count = positive_int(periods, "$.periods", maximum=MAX_DUES)
        current, command = self._refreshed(at, meta, SubscriptionStatus.ACTIVE)
        if current.term_periods is None:
            raise ValidationError(
                "renews until cancelled; only a fixed term can be extended",
                path="$.term_periods",
                code="open_ended",
            )
        term = current.term_periods + count
        if term > MAX_DUES:
            raise ValidationError(
                f"must not make the term longer than {MAX_DUES} periods",
                path="$.periods",
                code="range",
            )
        try:
            ends = current._due(term)  # noqa: SLF001 - the same class.
        except ValidationError as exc:
            raise ValidationError(exc.rule, path="$.periods", code=exc.code) from None
        draft = SubscriptionRenewed.draft(periods=count, ends_at=ends)
        return current._record(  # noqa: SLF001 - the same class.
            command, draft, term_periods=term, cancel_requested_at=None, cancel_reason=None
        )

    def __repr__(self) -> str:
        return (
            f"Subscription(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"plan={self.plan.id!r}, status={self.status.value!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )


def first_subscription_date(
    subscriptions: Iterable[Subscription], *, customer_id: CustomerId | None = None
) -> date | None:
    """The date of the earliest subscription start (of one customer, if given).

    The date is the calendar date of ``created_at`` (the start) in its own offset;
    ``None`` when there is no subscription.
    """
    wanted = customer_id
    if wanted is not None and type(wanted) is not CustomerId:
        raise InvalidType(f"must be a CustomerId, not {type_name(wanted)}", path="$.customer_id")
    items = tuple_of(subscriptions, "$.subscriptions", instance_of(Subscription, "a Subscription"))
    starts = [s.created_at for s in items if wanted is None or s.customer_id == wanted]
    return min(starts).date() if starts else None
