"""Progression for many customers at once: plan from plain rows, load and fire only the movers.

A nightly job over every customer mostly finds that nobody moves. Building a
:class:`~crmcore.Customer` and :class:`~crmcore.lifecycle.Facts` for each one
only to learn that costs far more than the few comparisons the rules need.
:func:`plan_progression` reads one :class:`ProgressionRow` per customer (the
stage the customer stands in, since when, and the facts, as plain values a
database query or a dataframe yields), applies every check the per-customer
path applies, and returns a :class:`PlannedMove` only for the customers the
facts move, with exactly the steps :func:`~crmcore.lifecycle.progression_steps`
finds. :func:`apply_progression` then loads those customers through a unit of
work and fires their steps, as :func:`~crmcore.lifecycle.progress` would.

How the rows stay cheap: the thresholds are integer and flag comparisons; a
window (``lapse_after``, ``churn_after``, ``client_tenure``) is a calendar
``relativedelta``, so instead of adding it to every purchase date, the planner
bounds how long the window can last from any date and compares the time since
the purchase with those bounds. Only a purchase within a few days of a window's
end is settled by the calendar arithmetic itself, and every customer who moves,
or whose row is unusual (a subclass, a timezone without an offset, an error to
report), takes the per-customer code. So the result is the per-customer result,
errors included.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._checks import MAX_INT, require_aware, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CustomerId, id_text
from crmcore._kernel._money import Money
from crmcore.customers import Customer
from crmcore.errors import InvalidType, ValidationError
from crmcore.lifecycle._progression import (
    _INACTIVE,
    _LADDER,
    _REFERENCE,
    _RUNG,
    DEFAULT_POLICY,
    Facts,
    ProgressionPolicy,
    Step,
    check_purchases_by,
    plan_steps,
)
from crmcore.lifecycle._standard import LadderStage

if TYPE_CHECKING:
    from crmcore.repository import UnitOfWork

_LAPSED: Final = LadderStage.LAPSED.value
_CHURNED: Final = LadderStage.CHURNED.value
_FIRST_BUYER: Final = _RUNG[LadderStage.FIRST_TIME_CUSTOMER.value]
_REPEAT: Final = _RUNG[LadderStage.REPEAT_CUSTOMER.value]
_CLIENT: Final = _RUNG[LadderStage.CLIENT.value]
_MEMBER: Final = _RUNG[LadderStage.MEMBER.value]
_ADVOCATE: Final = _RUNG[LadderStage.ADVOCATE.value]
_PARTNER: Final = _RUNG[LadderStage.PARTNER.value]
_PROSPECT: Final = _RUNG[LadderStage.PROSPECT.value]
_SUSPECT: Final = _RUNG[LadderStage.SUSPECT.value]


class ProgressionRow(NamedTuple):
    """One customer as the batch planner reads it: where they stand, and the facts.

    A plain tuple in this field order works too (a database row, or
    ``zip(*columns)``). The fields after ``stage_since`` are those of
    :class:`~crmcore.lifecycle.Facts`, with the same defaults and checks.

    Attributes:
        customer_id: the customer (a :class:`~crmcore.CustomerId` or its text;
            checked for the customers who move).
        stage: the customer's stage on :data:`~crmcore.lifecycle.RELATIONSHIP_LADDER`
            (``"suspect"`` for a customer the ladder does not track yet).
        stage_since: when the customer entered it: the ladder's last change,
            or registration for a customer the ladder does not track yet
            (``RELATIONSHIP_LADDER.state_of(customer).entered_at``).
        purchase_count: purchases so far.
        first_purchase_at: when the first purchase was made, if known.
        last_purchase_at: when the latest purchase was made.
        total_spend: spend so far, if the policy asks for a client spend.
        qualified: showed strong interest and is able to buy.
        loyalty_member: enrolled in the loyalty program.
        referrals: customers this one has referred.
        partner_agreement: has an agreement to help the business grow.

    .. versionadded:: 0.1
    """

    customer_id: CustomerId | str
    stage: str
    stage_since: datetime
    purchase_count: int = 0
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    total_spend: Money | None = None
    qualified: bool = False
    loyalty_member: bool = False
    referrals: int = 0
    partner_agreement: bool = False

    @classmethod
    def of(cls, customer: Customer, facts: Facts) -> ProgressionRow:
        """The row of a customer already in memory, with the facts about them.

        Raises:
            InvalidType: ``customer`` is not a Customer or ``facts`` not Facts.
        """
        if not isinstance(customer, Customer):
            raise InvalidType(f"must be a Customer, not {type_name(customer)}", path="$.customer")
        if not isinstance(facts, Facts):
            raise InvalidType(f"must be Facts, not {type_name(facts)}", path="$.facts")
        state = _LADDER.state_of(customer)
        return cls(
            customer.id,
            state.stage,
            state.entered_at,
            facts.purchase_count,
            facts.first_purchase_at,
            facts.last_purchase_at,
            facts.total_spend,
            facts.qualified,
            facts.loyalty_member,
            facts.referrals,
            facts.partner_agreement,
        )


_FIELDS: Final = len(ProgressionRow._fields)


def _customer_id(value: object) -> CustomerId:
    if type(value) is CustomerId:
        return value
    if type(value) is str:
        try:
            return CustomerId(value)
        except ValidationError:
            id_text(value, "$.customer_id")  # raises the same error at this field's path
            raise  # pragma: no cover - id_text and CustomerId accept the same text
    raise InvalidType(
        f"must be a CustomerId or its text, not {type_name(value)}", path="$.customer_id"
    )


@attrs.frozen(slots=True)
class PlannedMove(Checked):
    """The moves progression calls for for one customer, planned from a row.

    Attributes:
        customer_id: the customer who moves.
        stage: the stage the plan starts from (the row's ``stage``).
        since: when the customer entered it (the row's ``stage_since``).
        steps: the moves, in order, as :func:`~crmcore.lifecycle.progression_steps`
            finds them for that customer.

    .. versionadded:: 0.1
    """

    customer_id: CustomerId = attrs.field(converter=_customer_id)
    stage: str
    since: datetime
    steps: tuple[Step, ...]

    @property
    def to_stage(self) -> str:
        """The stage the customer ends in."""
        return self.steps[-1].to_stage if self.steps else self.stage


# -- windows ----------------------------------------------------------------------------------

#: The Gregorian calendar repeats every 400 years: 4,800 months, 146,097 days.
_CYCLE_MONTHS: Final = 4800
_CYCLE_DAYS: Final = 146_097
#: Two aware datetimes' UTC offsets differ by less than two days (each is under 24 hours).
_OFFSETS: Final = timedelta(days=2)
#: The last wall-clock time (labelled UTC: compared with wall-clock times only).
_LATEST: Final = datetime.max.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=64)
def _month_days(months: int) -> tuple[int, int]:
    """The fewest and the most days ``months`` whole calendar months span, from any month.

    A pure memo (the answer depends on ``months`` only), so repeated plans with
    the same policy do not walk the calendar again.
    """
    if months == 0:
        return 0, 0
    cycles, rest = divmod(abs(months), _CYCLE_MONTHS)
    low = high = cycles * _CYCLE_DAYS
    if rest:
        lengths = [
            calendar.monthrange(2000 + number // 12, number % 12 + 1)[1]
            for number in range(_CYCLE_MONTHS)
        ]
        span = sum(lengths[:rest])
        fewest = most = span
        for start in range(1, _CYCLE_MONTHS):  # slide the span one month on
            span += lengths[(start + rest - 1) % _CYCLE_MONTHS] - lengths[start - 1]
            fewest, most = min(fewest, span), max(most, span)
        low, high = low + fewest, high + most
    # Moving back spans the months before the start: the same spans, negated.
    return (low, high) if months > 0 else (-high, -low)


def _screen(window: relativedelta, when: datetime) -> tuple[timedelta, timedelta] | None:
    """Bounds on the time since a moment that decide whether ``window`` has run out from it.

    For any aware ``moment`` not after ``when``, with ``age = when - moment``:
    ``age < low`` means ``when < moment + window`` and ``age >= high`` means
    ``when >= moment + window``; between the two only the arithmetic tells.
    ``None`` when the window can move backwards or end past the calendar from
    such a moment: then every customer takes the per-customer code.

    ``moment + window`` moves the month (``years`` and ``months``) on the wall
    clock, keeping the day unless the month is shorter (31 becomes 28 at worst,
    3 days lost), then adds ``days`` (plus ``leapdays`` after February of a
    leap year) and the time parts, still on the wall clock. Comparing it with
    ``when`` may convert both to UTC, and the offsets of the two wall clocks
    differ by less than two days.
    """
    months = window.years * 12 + window.months
    if months < 0:
        return None
    try:
        fewest, most = _month_days(months)
        rest = timedelta(
            days=window.days,
            hours=window.hours,
            minutes=window.minutes,
            seconds=window.seconds,
            microseconds=window.microseconds,
        )
        leap = window.leapdays
        low = timedelta(days=fewest - (3 if months else 0) + min(leap, 0)) + rest
        high = timedelta(days=most + max(leap, 0)) + rest
        if low < timedelta(0):
            return None
        # Every moment up to `when` lies within two days of its wall clock.
        if when.replace(tzinfo=UTC) > _LATEST - max(high, timedelta(days=most)) - 2 * _OFFSETS:
            return None
        return low - _OFFSETS, high + _OFFSETS
    except OverflowError:
        return None


def _ended(moment: datetime, window: relativedelta, when: datetime) -> bool:
    """Whether ``window`` from ``moment`` has run out at ``when`` (calendar arithmetic)."""
    return when >= moment + window


# -- planning ---------------------------------------------------------------------------------


def plan_progression(
    rows: Iterable[ProgressionRow | tuple[Any, ...]],
    *,
    at: datetime,
    policy: ProgressionPolicy = DEFAULT_POLICY,
) -> tuple[PlannedMove, ...]:
    """The moves along the ladder the facts call for at ``at``, for the customers who move.

    Gives, in row order, one :class:`PlannedMove` for each row whose customer
    :func:`~crmcore.lifecycle.progression_steps` would move, with the same
    steps; a customer who stays costs a few comparisons and nothing is built
    for them. Fire the moves with :func:`apply_progression`.

    Every row is checked as the per-customer path checks a customer and its
    facts, and the first bad row raises with its position:
    ``$.rows[3].last_purchase_at``. A stage entered after ``at`` raises
    ``$.rows[i].stage_since`` (code ``backwards``).

    Raises:
        ValidationError: ``at`` is naive; a row is not a ProgressionRow (or a
            tuple of its 11 fields), its facts are inconsistent, its stage is
            not a ladder stage, it entered its stage or purchased after ``at``,
            or its spend is in another currency than the client spend.
    """
    if not isinstance(policy, ProgressionPolicy):
        raise InvalidType(f"must be a ProgressionPolicy, not {type_name(policy)}", path="$.policy")
    when = require_aware(at, "$.at")
    try:
        rows = iter(rows)
    except TypeError:
        raise InvalidType(
            f"must be an iterable of ProgressionRow, not {type_name(rows)}", path="$.rows"
        ) from None
    return tuple(_plan(rows, when, policy))


def _plan(  # noqa: C901, PLR0912, PLR0915 - one loop, so a customer who stays costs no calls.
    rows: Iterable[ProgressionRow | tuple[Any, ...]], when: datetime, policy: ProgressionPolicy
) -> list[PlannedMove]:
    moves: list[PlannedMove] = []
    lapse = _screen(policy.lapse_after, when)
    churn = _screen(policy.churn_after, when)
    tenure_counts = _REFERENCE + policy.client_tenure > _REFERENCE
    tenure = _screen(policy.client_tenure, when) if tenure_counts else (timedelta(0),) * 2
    if lapse is None or churn is None or tenure is None:
        # A window that may run backwards or past the calendar: the per-customer code decides.
        for index, row in enumerate(rows):
            _add(moves, index, row, when, policy)
        return moves
    lapse_low, lapse_high = lapse
    churn_low, churn_high = churn
    tenure_low, tenure_high = tenure
    lapse_after, churn_after, client_tenure = (
        policy.lapse_after,
        policy.churn_after,
        policy.client_tenure,
    )
    repeat_purchases = policy.repeat_purchases
    client_purchases = policy.client_purchases
    client_spend = policy.client_spend
    advocate_referrals = policy.advocate_referrals
    demote = policy.demote
    rungs = _RUNG
    row_class, biggest = ProgressionRow, MAX_INT
    fixed, utc = timezone, UTC

    for index, row in enumerate(rows):
        # A row the checks below cannot vouch for takes the per-customer code, which
        # refuses it with the per-customer error or plans it exactly.
        kind = row.__class__
        if kind is not tuple and kind is not row_class:
            _add(moves, index, row, when, policy)
            continue
        try:
            _, stage, since, count, first, last, spend, qualified, loyal, referrals, partner = row
        except ValueError:  # not 11 fields
            _add(moves, index, row, when, policy)
            continue
        if not (
            count.__class__ is int
            and referrals.__class__ is int
            and qualified.__class__ is bool
            and loyal.__class__ is bool
            and partner.__class__ is bool
            and stage.__class__ is str
            and since.__class__ is datetime
            and (spend is None or spend.__class__ is Money)
            and 0 <= count <= biggest
            and 0 <= referrals <= biggest
        ):
            _add(moves, index, row, when, policy)
            continue
        # Aware: UTC itself, another fixed offset, or a zone that gives this time an offset.
        zone = since.tzinfo
        if zone is not utc and (
            zone is None or (zone.__class__ is not fixed and since.utcoffset() is None)
        ):
            _add(moves, index, row, when, policy)
            continue
        if since > when:
            _add(moves, index, row, when, policy)
            continue
        if count:
            if last.__class__ is not datetime:
                _add(moves, index, row, when, policy)
                continue
            zone = last.tzinfo
            if zone is not utc and (
                zone is None or (zone.__class__ is not fixed and last.utcoffset() is None)
            ):
                _add(moves, index, row, when, policy)
                continue
            if last > when:
                _add(moves, index, row, when, policy)
                continue
            if first is not None:
                if first.__class__ is not datetime:
                    _add(moves, index, row, when, policy)
                    continue
                zone = first.tzinfo
                if zone is not utc and (
                    zone is None or (zone.__class__ is not fixed and first.utcoffset() is None)
                ):
                    _add(moves, index, row, when, policy)
                    continue
                if first > last or (count == 1 and first != last):
                    _add(moves, index, row, when, policy)
                    continue
            # The rung the facts justify (justified_rung), every part of it evaluated.
            client = False
            if count >= client_purchases:
                client = True
                if tenure_counts:
                    if first is None:
                        client = False
                    else:
                        age = when - first
                        if age < tenure_low:
                            client = False
                        elif age < tenure_high:
                            client = _ended(first, client_tenure, when)
                if client and client_spend is not None:
                    if spend is None:
                        client = False
                    elif spend.currency != client_spend.currency:
                        _add(moves, index, row, when, policy)  # raises: currencies never mix
                        continue
                    else:
                        client = not spend < client_spend
            if partner:
                justified = _PARTNER
            elif referrals >= advocate_referrals:
                justified = _ADVOCATE
            elif loyal:
                justified = _MEMBER
            elif client:
                justified = _CLIENT
            elif count >= repeat_purchases:
                justified = _REPEAT
            else:
                justified = _FIRST_BUYER
        elif first is not None or last is not None:
            _add(moves, index, row, when, policy)
            continue
        else:
            justified = _PROSPECT if qualified else _SUSPECT

        rung = rungs.get(stage)
        if rung is not None:
            if rung >= _MEMBER:
                # A relationship rung: kept while it holds, whatever the purchases say.
                if count == 0:  # placed there by hand: the relationship alone decides
                    if partner:
                        justified = _PARTNER
                    elif referrals >= advocate_referrals:
                        justified = _ADVOCATE
                    elif loyal:
                        justified = _MEMBER
                if justified == rung:
                    continue
            elif justified == rung or (justified < rung and not demote):
                # Where the facts say, unless a buyer has gone quiet past lapse_after.
                if rung < _FIRST_BUYER or last is None:
                    continue
                age = when - last
                if age < lapse_low or (age < lapse_high and not _ended(last, lapse_after, when)):
                    continue
        elif justified >= _MEMBER:
            pass  # lapsed or churned, holding a relationship rung: back to it
        elif stage in (_LAPSED, _CHURNED):
            # Off the ladder until a purchase after leaving, or a lapsed customer churns.
            if last is None:
                continue
            if not last > since:
                if stage == _CHURNED:
                    continue
                age = when - last
                if age < churn_low or (age < churn_high and not _ended(last, churn_after, when)):
                    continue
        _add(moves, index, row, when, policy)
    return moves


def _add(
    moves: list[PlannedMove], index: int, row: object, when: datetime, policy: ProgressionPolicy
) -> None:
    """Plan one row with the per-customer code; keep it if the customer moves."""
    prefix = f"$.rows[{index}]"
    if not isinstance(row, tuple):
        raise InvalidType(f"must be a ProgressionRow, not {type_name(row)}", path=prefix)
    if len(row) != _FIELDS:
        raise ValidationError(
            f"must hold the {_FIELDS} fields of a ProgressionRow", path=prefix, code="row"
        )
    customer_id, stage, since, count, first, last, spend, qualified, loyal, referrals, partner = row
    try:
        facts = Facts(
            purchase_count=count,
            first_purchase_at=first,
            last_purchase_at=last,
            total_spend=spend,
            qualified=qualified,
            loyalty_member=loyal,
            referrals=referrals,
            partner_agreement=partner,
        )
    except ValidationError as exc:
        raise exc.under(prefix) from None
    since = require_aware(since, f"{prefix}.stage_since")
    if not isinstance(stage, str):
        raise InvalidType(f"must be a str, not {type_name(stage)}", path=f"{prefix}.stage")
    if stage not in _RUNG and stage not in _INACTIVE:
        raise ValidationError(
            "must be a stage of the relationship ladder",
            path=f"{prefix}.stage",
            code="unknown_stage",
        )
    if when < since:
        raise ValidationError(
            "must not be after the time progression is evaluated at (time never goes backwards)",
            path=f"{prefix}.stage_since",
            code="backwards",
        )
    check_purchases_by(facts, when, prefix)
    steps = plan_steps(stage, since, facts, when=when, policy=policy, prefix=prefix)
    if steps:
        try:
            moves.append(PlannedMove(customer_id, stage, since, steps))
        except ValidationError as exc:
            raise exc.under(prefix) from None


# -- applying ---------------------------------------------------------------------------------


def apply_progression(
    uow: UnitOfWork, moves: Iterable[PlannedMove], *, actor: str | None = None
) -> tuple[Customer, ...]:
    """Load each planned customer through ``uow``, fire the planned steps, save the customer.

    Call it inside the unit's ``with`` block; committing stays the caller's
    decision. Each step is fired as :func:`~crmcore.lifecycle.progress` fires
    it (dated at the step, or at the customer's last change if that came
    later; the rule in words as the reason; ``actor`` on every change), so
    the saved customers are those ``progress`` returns. Nobody else is loaded.

    A plan is only as fresh as its rows: a customer whose ladder stage (or the
    time they entered it) is no longer the plan's is refused with
    ``$.moves[i]`` (code ``stale``), and the unit, left without a commit,
    rolls back. Plan again from fresh rows. (A customer planned twice is stale
    the second time: the first move changed their stage.)

    Returns:
        The saved customers, in the order of ``moves``.

    Raises:
        UnitOfWorkError: called outside the unit's ``with`` block.
        NotFound: a planned customer is not stored.
        ValidationError: a stale plan, or a move the customer's lifecycle refuses.
        ConcurrencyConflict, DuplicateKey: as ``uow.customers.save`` raises them.
    """
    from crmcore.repository import UnitOfWork  # noqa: PLC0415 - lifecycle loads without it.

    if not isinstance(uow, UnitOfWork):
        raise InvalidType(f"must be a UnitOfWork, not {type_name(uow)}", path="$.uow")
    try:
        moves = iter(moves)
    except TypeError:
        raise InvalidType(
            f"must be an iterable of PlannedMove, not {type_name(moves)}", path="$.moves"
        ) from None
    customers = uow.customers
    saved: list[Customer] = []
    for index, move in enumerate(moves):
        if not isinstance(move, PlannedMove):
            raise InvalidType(
                f"must be a PlannedMove, not {type_name(move)}", path=f"$.moves[{index}]"
            )
        customer = customers.get(move.customer_id)
        state = _LADDER.state_of(customer)
        if state.stage != move.stage or state.entered_at != move.since:
            raise ValidationError(
                "the customer no longer stands where the plan assumed; plan again from fresh rows",
                path=f"$.moves[{index}]",
                code="stale",
            )
        moved = customer
        for step in move.steps:
            moved = _LADDER.fire(
                moved,
                step.trigger,
                at=max(step.at, moved.updated_at),
                actor=actor,
                reason=step.reason,
            )
        saved.append(customers.save(moved))
    return tuple(saved)
