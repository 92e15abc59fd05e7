"""Strategies for service: cases, business calendars, SLA policies."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from crmcore._kernel._ids import StaffId, TeamId
from crmcore.commerce import (
    OrderId,
)
from crmcore.customers import (
    Channel,
    CustomerId,
)
from crmcore.service import (
    BusinessCalendar,
    Case,
    CaseId,
    CaseKind,
    CasePriority,
    Escalation,
    EscalationRule,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    TimeOfDay,
    Weekday,
    WorkingDay,
    WorkingHours,
)
from crmcore.service._cases import CASE_STATUSES, CaseStatus
from crmcore.testing.strategies._base import (
    _CALENDAR_ZONES,
    _POLICY_NAMES,
    _ROLES,
    _RULE_NAMES,
    _as_drawn,
    _command_times,
    _customer_choices,
    _enum_choices,
    _id_pool,
    _ids_of,
    _int_arg,
    _multiline_texts,
    _reasons,
    _short_texts,
    _snake_names,
    _StaffedHistory,
    _team_arguments,
    _window,
    aware_datetimes,
)

# -- service cases --------------------------------------------------------------------------


def cases(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    kinds: Iterable[CaseKind | str] | None = None,
    priorities: Iterable[CasePriority | str] | None = None,
    staff_ids: Iterable[StaffId] | None = None,
    team_ids: Iterable[TeamId] | None = None,
    max_steps: int = 6,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Case]:
    """Valid service :class:`~crmcore.service.Case` aggregates with a history built by their commands.

    Each case is opened with :meth:`Case.open <crmcore.service.Case.open>`
    (with or without an assignee and a team) and then goes through up to
    ``max_steps`` commands at later times (never backwards): responses,
    status changes the machine allows (waiting on the customer, resolving,
    closing, reopening), assignment (to someone or no one, the team left out,
    cleared or changed), priority changes and escalations.

    Args:
        customer_ids: the customers; any id by default.
        kinds: complaint, question, request (members or values); all by default.
        priorities: the priorities a case is opened with; all by default.
        staff_ids: the assignees to draw from (``StaffId`` values); any id by default.
        team_ids: the teams to draw from (``TeamId`` values); any id by default.
        max_steps: the most commands after opening (0 to 100).
        min_created_at: the earliest opening time (aware); 2000 by default.
        max_created_at: the latest opening time (aware); 2099 by default.
        pending_events: ``False`` to draw cases as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    plan = _CasePlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        kinds=_enum_choices(kinds, "$.kinds", CaseKind),
        priorities=_enum_choices(priorities, "$.priorities", CasePriority),
        owners=_id_pool(staff_ids, "$.staff_ids", StaffId),
        teams=_id_pool(team_ids, "$.team_ids", TeamId),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(_cases(plan), pending_events)


@attrs.frozen
class _CasePlan(_StaffedHistory):
    kinds: tuple[CaseKind, ...]
    priorities: tuple[CasePriority, ...]


@st.composite
def _cases(draw: st.DrawFn, plan: _CasePlan) -> Case:
    at = draw(plan.start)
    case = Case.open(
        draw(_ids_of(CaseId)),
        customer_id=draw(plan.customers),
        kind=draw(st.sampled_from(plan.kinds)),
        subject=draw(_short_texts()),
        channel=draw(st.sampled_from(Channel)),
        at=at,
        priority=draw(st.sampled_from(plan.priorities)),
        description=draw(st.none() | _multiline_texts()),
        assignee=draw(st.none() | plan.owners),
        order_id=draw(st.none() | _ids_of(OrderId)),
        team=draw(st.none() | plan.teams),
    )
    assigning = _assigning(plan.owners, plan.teams)
    steps = (_responding, _moving_case, assigning, _prioritizing, _escalating)
    for when in _command_times(draw, at, plan.max_steps):
        case = draw(st.sampled_from(steps))(draw, case, when)
    return case


def _responding(_: st.DrawFn, case: Case, when: datetime) -> Case:
    return case.respond(at=when)


def _moving_case(draw: st.DrawFn, case: Case, when: datetime) -> Case:
    target = draw(st.sampled_from(sorted(case.allowed_statuses)))
    return case.change_status(target, at=when, reason=draw(st.none() | _reasons()))


def _assigning(
    owners: st.SearchStrategy[StaffId], teams: st.SearchStrategy[TeamId]
) -> Callable[[st.DrawFn, Case, datetime], Case]:
    """An ``assign``: someone else or no one, the team left out (kept), cleared or changed."""

    def assign(draw: st.DrawFn, case: Case, when: datetime) -> Case:
        assignee = draw(st.none() | owners)
        return case.assign(assignee, draw(_team_arguments(teams)), at=when)

    return assign


def _prioritizing(draw: st.DrawFn, case: Case, when: datetime) -> Case:
    return case.change_priority(draw(st.sampled_from(CasePriority)), at=when)


def _escalating(draw: st.DrawFn, case: Case, when: datetime) -> Case:
    span = (when - case.opened_at) // timedelta(seconds=1)
    due = case.opened_at + timedelta(seconds=draw(st.integers(0, max(span, 0))))
    escalation = Escalation(
        rule=draw(st.sampled_from(_RULE_NAMES) | _short_texts()),
        metric=draw(st.sampled_from(SlaMetric)),
        level=draw(st.integers(min_value=1, max_value=10)),
        due_at=min(due, when),
        notify_role=draw(st.none() | st.sampled_from(_ROLES)),
    )
    return case.escalate(escalation, at=when)


# -- business calendars and SLA policies ----------------------------------------------------


def business_calendars(*, max_holidays: int = 5) -> st.SearchStrategy[BusinessCalendar]:
    """Valid :class:`~crmcore.service.BusinessCalendar` values on quarter-hour boundaries.

    Each weekday has zero to three working intervals (at least one day has
    some), in a fixed-offset time zone or UTC (so no time zone database is
    needed), with up to ``max_holidays`` holidays between 2000 and 2100.

    Args:
        max_holidays: the most holidays (0 to 1000).

    Raises:
        ValidationError: ``max_holidays`` out of range.
    """
    return _business_calendars(_int_arg(max_holidays, "$.max_holidays", maximum=1000))


@functools.lru_cache(maxsize=16)
def _business_calendars(max_holidays: int) -> st.SearchStrategy[BusinessCalendar]:
    holidays = st.lists(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
        unique=True,
        max_size=max_holidays,
    )
    return _calendar(holidays)


def _quarter(number: int) -> TimeOfDay:
    minutes = number * 15
    return TimeOfDay(minutes // 60, minutes % 60)


@st.composite
def _calendar(draw: st.DrawFn, holidays: st.SearchStrategy[list[date]]) -> BusinessCalendar:
    busy = draw(st.sampled_from(Weekday))
    week = []
    for day in Weekday:
        count = draw(st.integers(min_value=1 if day is busy else 0, max_value=3))
        bounds = sorted(
            draw(st.lists(st.integers(0, 96), min_size=2 * count, max_size=2 * count, unique=True))
        )
        hours = [
            WorkingHours(_quarter(start), _quarter(end))
            for start, end in zip(bounds[::2], bounds[1::2], strict=True)
        ]
        listed = bool(hours) or draw(st.booleans())  # a closed day may be listed, or left out
        if listed:
            week.append(WorkingDay(day, hours))
    return BusinessCalendar(
        week, time_zone=draw(st.sampled_from(_CALENDAR_ZONES)), holidays=draw(holidays)
    )


def sla_policies(*, max_rules: int = 3) -> st.SearchStrategy[SlaPolicy]:
    """Valid :class:`~crmcore.service.SlaPolicy` values on :func:`business_calendars`.

    Every priority has a first-response target of 1 to 5,000 business minutes
    and a resolution target no shorter; escalation rules have distinct names
    and fire at a percentage of a target or on its breach.

    Args:
        max_rules: the most escalation rules (0 to 100).

    Raises:
        ValidationError: ``max_rules`` out of range.
    """
    return _sla_policies(_int_arg(max_rules, "$.max_rules", maximum=100))


@st.composite
def _sla_target(draw: st.DrawFn, priority: CasePriority) -> SlaTarget:
    first = draw(st.integers(min_value=1, max_value=5_000))
    return SlaTarget(priority, first, draw(st.integers(min_value=first, max_value=50_000)))


_ESCALATION_RULES: Final = st.builds(
    EscalationRule,
    name=st.sampled_from(_RULE_NAMES) | _short_texts(),
    metric=st.sampled_from(SlaMetric),
    level=st.integers(min_value=1, max_value=10),
    percent=st.none() | st.integers(min_value=1, max_value=1000),
    notify_role=st.none() | st.sampled_from(_ROLES),
)


@functools.lru_cache(maxsize=16)
def _sla_policies(max_rules: int) -> st.SearchStrategy[SlaPolicy]:
    return st.builds(
        SlaPolicy,
        st.sampled_from(_POLICY_NAMES) | _short_texts(),
        _business_calendars(5),
        st.tuples(*(_sla_target(priority) for priority in CasePriority)),
        st.lists(_ESCALATION_RULES, max_size=max_rules, unique_by=_rule_name),
    )


def _rule_name(rule: EscalationRule) -> str:
    return rule.name


def _case_moves(cls_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Status moves the case machine allows, of the kind the event class records."""
    done = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    moves = [
        (start, end)
        for start, ends in CASE_STATUSES.transitions.items()
        for end in ends
        if {
            "CaseResolved": end is CaseStatus.RESOLVED,
            "CaseClosed": end is CaseStatus.CLOSED,
            "CaseReopened": start in done and end is CaseStatus.OPEN,
            "CaseStatusChanged": end not in done and start not in done,
        }[cls_name]
    ]
    return st.sampled_from(sorted(moves)).map(lambda m: {"from_status": m[0], "to_status": m[1]})


def _priority_moves() -> st.SearchStrategy[dict[str, Any]]:
    pairs = [(a, b) for a in CasePriority for b in CasePriority if a is not b]
    return st.sampled_from(pairs).map(lambda m: {"from_priority": m[0], "to_priority": m[1]})


def _escalations() -> st.SearchStrategy[Escalation]:
    return st.builds(
        Escalation,
        rule=_snake_names(),
        metric=st.sampled_from(SlaMetric),
        level=st.integers(min_value=1, max_value=10),
        due_at=aware_datetimes(),
        notify_role=st.none() | _snake_names(),
    )


def _escalated_fields() -> st.SearchStrategy[dict[str, Any]]:
    """An escalation and a recording time no earlier than its due time."""
    return st.tuples(_escalations(), st.integers(min_value=0, max_value=10**8)).map(
        lambda drawn: {
            "escalation": drawn[0],
            "occurred_at": drawn[0].due_at + timedelta(seconds=drawn[1]),
        }
    )


#: Event fields these strategies constrain beyond their declared type, by event class name.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    **{
        name: {"*": functools.partial(_case_moves, name)}
        for name in ("CaseStatusChanged", "CaseResolved", "CaseClosed", "CaseReopened")
    },
    "CasePriorityChanged": {"*": _priority_moves},
    "CaseEscalated": {"*": _escalated_fields},
}
#: Value types that case events carry, with their own strategies.
EVENT_VALUES: Final[dict[Any, Callable[[], st.SearchStrategy[Any]]]] = {
    Escalation: _escalations,
}
