"""Service-level agreements: targets per priority on a business calendar, status, escalation.

An :class:`SlaPolicy` promises, for each :class:`~crmcore.service.CasePriority`,
a first response and a resolution within so much *business time* on a
:class:`~crmcore.service.BusinessCalendar`. The clocks run only during working
hours, and only while the case is ``new`` or ``open``:

* while the case waits on the customer (``pending_customer``) they pause;
* the first-response clock stops at the first response;
* the resolution clock stops when the case is resolved, and runs on from
  where it stopped if the case is reopened.

:func:`sla_status` measures both clocks of a case at any instant;
:func:`due_escalations` applies the policy's :class:`EscalationRule` s and
returns the escalations due, as data, leaving out those the case already
recorded; :func:`escalate_due` records them on the case.

Targets follow the case's *current* priority: changing the priority measures
the whole case against the new targets.

>>> from datetime import datetime, timedelta, timezone
>>> from crmcore.service import BusinessCalendar, Case, CaseId
>>> from crmcore.customers import CustomerId
>>> wib = timezone(timedelta(hours=7))
>>> policy = SlaPolicy(
...     "standard",
...     BusinessCalendar.standard(["08:00-12:00", "13:00-17:00"], time_zone=wib),
...     [
...         SlaTarget("low", timedelta(hours=8), timedelta(hours=40)),
...         SlaTarget("normal", timedelta(hours=4), timedelta(hours=16)),
...         SlaTarget("high", timedelta(hours=1), timedelta(hours=8)),
...         SlaTarget("urgent", timedelta(minutes=15), timedelta(hours=4)),
...     ],
... )
>>> opened = datetime(2026, 3, 6, 16, 30, tzinfo=wib)  # a Friday afternoon
>>> case = Case.open(
...     CaseId("case-7"),
...     customer_id=CustomerId("c-1"),
...     kind="complaint",
...     priority="high",
...     subject="Refund not received",
...     channel="whatsapp",
...     at=opened,
... )
>>> status = sla_status(case, policy, at=datetime(2026, 3, 9, 8, 15, tzinfo=wib))
>>> status.first_response.elapsed  # 30 minutes on Friday, 15 on Monday morning
datetime.timedelta(seconds=2700)
>>> status.first_response.due_at.isoformat()
'2026-03-09T08:30:00+07:00'
>>> status.first_response.breached
False
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import (
    aware,
    check_unique,
    clean_text,
    enum_converter,
    instance_of,
    items_of,
    optional_aware,
    require_aware,
    type_name,
)
from crmcore._kernel._ids import CaseId
from crmcore.errors import InvalidType, ValidationError
from crmcore.service._calendar import BusinessCalendar
from crmcore.service._cases import (
    DONE_STATUSES,
    Case,
    CasePriority,
    CaseStatus,
    Escalation,
    SlaMetric,
)

#: Longest target, in business minutes (a year of round-the-clock time).
MAX_TARGET_MINUTES: Final = 366 * 24 * 60
#: Highest percentage of a target an escalation rule may wait for.
MAX_PERCENT: Final = 1000
#: Most escalation rules one policy may hold.
MAX_RULES: Final = 100
#: Longest policy, rule or role name, in characters.
MAX_NAME: Final = 100
#: Highest escalation level.
MAX_LEVEL: Final = 10
#: Most cases :func:`breached_cases` measures in one call.
MAX_CASES: Final = 1_000_000

_SECOND: Final = timedelta(seconds=1)
_ZERO: Final = timedelta(0)
#: Statuses in which SLA clocks run.
RUNNING_STATUSES: Final = frozenset({CaseStatus.NEW, CaseStatus.OPEN})


def _minutes(value: object, path: str) -> int:
    if isinstance(value, timedelta):
        if value % timedelta(minutes=1):
            raise ValidationError("must be whole minutes", path=path, code="whole_minutes")
        minutes = value // timedelta(minutes=1)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(
            f"must be a timedelta or an int of minutes, not {type_name(value)}", path=path
        )
    else:
        minutes = value
    if not 1 <= minutes <= MAX_TARGET_MINUTES:
        raise ValidationError(
            f"must be from 1 to {MAX_TARGET_MINUTES} minutes", path=path, code="range"
        )
    return minutes


def _name(value: object, path: str) -> str:
    return clean_text(value, path, max_length=MAX_NAME, what="a name")


def _whole(value: object, path: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not low <= value <= high:
        raise ValidationError(f"must be from {low} to {high}", path=path, code="range")


# -- policy ------------------------------------------------------------------------------


def _slatarget_priority(value: object) -> CasePriority:
    return enum_converter(CasePriority, "$.priority")(value)


def _slatarget_first_response(value: object) -> int:
    return _minutes(value, "$.first_response_minutes")


def _slatarget_resolution(value: object) -> int:
    return _minutes(value, "$.resolution_minutes")


@attrs.frozen(slots=True)
class SlaTarget:
    """The promised first-response and resolution times for one priority, in business time.

    Give each as a :class:`~datetime.timedelta` of whole minutes or an int of minutes.

    >>> target = SlaTarget("urgent", timedelta(minutes=30), timedelta(hours=4))
    >>> target.resolution_minutes, target.resolution
    (240, datetime.timedelta(seconds=14400))
    """

    priority: CasePriority = attrs.field(converter=_slatarget_priority)
    first_response_minutes: int = attrs.field(converter=_slatarget_first_response)
    resolution_minutes: int = attrs.field(converter=_slatarget_resolution)

    def __attrs_post_init__(self) -> None:
        if self.first_response_minutes > self.resolution_minutes:
            raise ValidationError(
                "must not be shorter than the first-response target",
                path="$.resolution_minutes",
                code="target_order",
            )

    @property
    def first_response(self) -> timedelta:
        """The first-response target as business time."""
        return timedelta(minutes=self.first_response_minutes)

    @property
    def resolution(self) -> timedelta:
        """The resolution target as business time."""
        return timedelta(minutes=self.resolution_minutes)

    def of(self, metric: SlaMetric) -> timedelta:
        """The target of one metric."""
        return self.first_response if metric is SlaMetric.FIRST_RESPONSE else self.resolution


def _rule_name(value: object) -> str:
    return _name(value, "$.name")


def _rule_metric(value: object) -> SlaMetric:
    return enum_converter(SlaMetric, "$.metric")(value)


def _rule_level(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _whole(value, "$.level", 1, MAX_LEVEL)


def _rule_percent(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _whole(value, "$.percent", 1, MAX_PERCENT)


def _rule_role(value: object) -> str | None:
    return None if value is None else _name(value, "$.notify_role")


@attrs.frozen(slots=True, kw_only=True)
class EscalationRule:
    """Escalate a case when so much of a target has passed, or when it is breached.

    Attributes:
        name: identifies the rule; a case records each rule at most once.
        metric: the target watched (first response or resolution).
        level: the escalation level to raise the case to (1 to 10).
        percent: escalate once this percentage of the target has passed
            (1 to 1000); ``None`` escalates on the breach itself (when the
            elapsed business time exceeds the target).
        notify_role: whom the host application should notify (a role name).

    >>> EscalationRule(
    ...     name="lead-at-75", metric="resolution", level=1, percent=75, notify_role="team_lead"
    ... )
    EscalationRule(name='lead-at-75', metric=<SlaMetric.RESOLUTION: 'resolution'>, level=1, percent=75, notify_role='team_lead')
    """

    name: str = attrs.field(converter=_rule_name)
    metric: SlaMetric = attrs.field(converter=_rule_metric)
    level: int = attrs.field(validator=_rule_level)
    percent: int | None = attrs.field(default=None, validator=_rule_percent)
    notify_role: str | None = attrs.field(default=None, converter=_rule_role)

    @property
    def on_breach(self) -> bool:
        """True if the rule fires on the breach rather than at a percentage."""
        return self.percent is None


def _policy_name(value: object) -> str:
    return _name(value, "$.name")


def _policy_calendar(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, BusinessCalendar):
        raise InvalidType(f"must be a BusinessCalendar, not {type_name(value)}", path="$.calendar")


def _policy_targets(value: object) -> tuple[SlaTarget, ...]:
    targets = items_of(value, SlaTarget, "$.targets", "an SlaTarget", max_items=4)
    seen = check_unique(
        targets,
        attrgetter("priority"),
        "$.targets[{}].priority",
        lambda target: f"must set the {target.priority.value} target once",
    )
    missing = [p.value for p in CasePriority if p not in seen]
    if missing:
        raise ValidationError(
            f"must set a target for every priority; missing: {', '.join(missing)}",
            path="$.targets",
            code="missing_priority",
        )
    return tuple(sorted(targets, key=lambda t: t.priority.rank))


def _policy_rules(value: object) -> tuple[EscalationRule, ...]:
    rules = items_of(
        value, EscalationRule, "$.escalation_rules", "an EscalationRule", max_items=MAX_RULES
    )
    check_unique(
        rules, attrgetter("name"), "$.escalation_rules[{}].name", "must not repeat a rule name"
    )
    return rules


@attrs.frozen(slots=True)
class SlaPolicy:
    """Targets for every priority on a business calendar, and the escalation rules.

    Raises:
        ValidationError: a priority has no target or two (``$.targets``), a
            resolution target is shorter than its first-response target, or
            two rules share a name.
    """

    name: str = attrs.field(converter=_policy_name)
    calendar: BusinessCalendar = attrs.field(validator=_policy_calendar)
    targets: tuple[SlaTarget, ...] = attrs.field(converter=_policy_targets)
    escalation_rules: tuple[EscalationRule, ...] = attrs.field(default=(), converter=_policy_rules)

    def target_for(self, priority: CasePriority | str) -> SlaTarget:
        """The target of one priority."""
        wanted = enum_converter(CasePriority, "$.priority")(priority)
        return next(t for t in self.targets if t.priority is wanted)


# -- status ------------------------------------------------------------------------------


class SlaClockState(StrEnum):
    """Whether an SLA clock is counting."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


def _slaclock_metric(value: object) -> SlaMetric:
    return enum_converter(SlaMetric, "$.metric")(value)


def _slaclock_state(value: object) -> SlaClockState:
    return enum_converter(SlaClockState, "$.state")(value)


def _slaclock_target(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _whole(value, "$.target_minutes", 1, MAX_TARGET_MINUTES)


def _slaclock_elapsed(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _whole(value, "$.elapsed_seconds", 0, 2**62)


def _slaclock_breached(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidType(f"must be a bool, not {type_name(value)}", path="$.breached")


def _slaclock_breach_at(value: object) -> datetime | None:
    return optional_aware("$.breach_at")(value)


def _slaclock_due_at(value: object) -> datetime | None:
    return optional_aware("$.due_at")(value)


def _slaclock_met_at(value: object) -> datetime | None:
    return optional_aware("$.met_at")(value)


@attrs.frozen(slots=True, kw_only=True)
class SlaClock:
    """One SLA clock of a case at one instant.

    Attributes:
        metric: first response or resolution.
        state: running, paused (waiting on the customer) or stopped (met).
        target_minutes: the target, in business minutes.
        elapsed_seconds: business time counted so far, in whole seconds
            (rounded up, so that it exceeds the target exactly when breached).
        breached: the elapsed business time exceeds the target.
        breach_at: when the target was (or, if running, will be) exceeded;
            ``None`` if not breached and not running.
        due_at: while running, the instant the target runs out (in the past
            if breached); ``None`` otherwise.
        met_at: when the clock stopped (the first response, the resolution).
    """

    metric: SlaMetric = attrs.field(converter=_slaclock_metric)
    state: SlaClockState = attrs.field(converter=_slaclock_state)
    target_minutes: int = attrs.field(validator=_slaclock_target)
    elapsed_seconds: int = attrs.field(validator=_slaclock_elapsed)
    breached: bool = attrs.field(validator=_slaclock_breached)
    breach_at: datetime | None = attrs.field(default=None, converter=_slaclock_breach_at)
    due_at: datetime | None = attrs.field(default=None, converter=_slaclock_due_at)
    met_at: datetime | None = attrs.field(default=None, converter=_slaclock_met_at)

    @property
    def target(self) -> timedelta:
        """The target as business time."""
        return timedelta(minutes=self.target_minutes)

    @property
    def elapsed(self) -> timedelta:
        """The business time counted so far."""
        return timedelta(seconds=self.elapsed_seconds)

    @property
    def remaining_seconds(self) -> int:
        """Target minus elapsed, in seconds; negative once breached."""
        return self.target_minutes * 60 - self.elapsed_seconds

    @property
    def remaining(self) -> timedelta:
        """Target minus elapsed; negative once breached."""
        return timedelta(seconds=self.remaining_seconds)

    @property
    def fraction_elapsed(self) -> float:
        """Elapsed over target (1.0 when the target is used up)."""
        return self.elapsed_seconds / (self.target_minutes * 60)


def _slastatus_at(value: object) -> datetime:
    return aware("$.at")(value)


def _slastatus_policy(value: object) -> str:
    return _name(value, "$.policy")


def _slastatus_priority(value: object) -> CasePriority:
    return enum_converter(CasePriority, "$.priority")(value)


def _slastatus_clock(path: str, metric: SlaMetric) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, SlaClock):
            raise InvalidType(f"must be an SlaClock, not {type_name(value)}", path=path)
        if value.metric is not metric:
            raise ValidationError(
                f"must measure {metric.value}", path=f"{path}.metric", code="metric"
            )

    return check


@attrs.frozen(slots=True, kw_only=True)
class SlaStatus:
    """Both SLA clocks of one case at one instant, under one policy."""

    case_id: CaseId = attrs.field(validator=typed_id(CaseId, "$.case_id"))
    policy: str = attrs.field(converter=_slastatus_policy)
    priority: CasePriority = attrs.field(converter=_slastatus_priority)
    at: datetime = attrs.field(converter=_slastatus_at)
    first_response: SlaClock = attrs.field(
        validator=_slastatus_clock("$.first_response", SlaMetric.FIRST_RESPONSE)
    )
    resolution: SlaClock = attrs.field(
        validator=_slastatus_clock("$.resolution", SlaMetric.RESOLUTION)
    )

    @property
    def breached(self) -> bool:
        """True if either target is breached."""
        return self.first_response.breached or self.resolution.breached

    def clock(self, metric: SlaMetric | str) -> SlaClock:
        """The clock of one metric."""
        wanted = enum_converter(SlaMetric, "$.metric")(metric)
        return self.first_response if wanted is SlaMetric.FIRST_RESPONSE else self.resolution


# -- measuring ---------------------------------------------------------------------------


class _Measure:
    """The running segments of one clock up to an instant, measured on a calendar."""

    __slots__ = ("calendar", "elapsed", "lengths", "segments")

    def __init__(
        self, calendar: BusinessCalendar, segments: list[tuple[datetime, datetime]]
    ) -> None:
        self.calendar = calendar
        self.segments = segments
        self.lengths = [calendar.business_time_between(a, b) for a, b in segments]
        self.elapsed = sum(self.lengths, _ZERO)

    def reached(self, amount: timedelta) -> datetime | None:
        """The first instant at which ``amount`` of business time had been counted."""
        counted = _ZERO
        for (start, _), length in zip(self.segments, self.lengths, strict=True):
            if counted + length >= amount:
                return self.calendar.add_business_time(start, amount - counted)
            counted += length
        return None


def _segments(case: Case, at: datetime, stop: datetime | None) -> list[tuple[datetime, datetime]]:
    history = [change for change in case.history if change.at <= at]
    found = []
    for index, change in enumerate(history):
        if change.status not in RUNNING_STATUSES:
            continue
        end = history[index + 1].at if index + 1 < len(history) else at
        if stop is not None:
            end = min(end, stop)
        if end > change.at:
            found.append((change.at, end))
    return found


def _last_resolution(case: Case, at: datetime) -> datetime | None:
    for change in reversed(case.history):
        if change.at <= at and change.status is CaseStatus.RESOLVED:
            return change.at
    return None


def _clock_state(
    case: Case, metric: SlaMetric, at: datetime
) -> tuple[SlaClockState, datetime | None]:
    status = case.status_at(at)
    if metric is SlaMetric.FIRST_RESPONSE:
        responded = case.first_responded_at
        if responded is not None and responded <= at:
            return SlaClockState.STOPPED, responded
    if status in DONE_STATUSES:
        return SlaClockState.STOPPED, _last_resolution(case, at)
    if status is CaseStatus.PENDING_CUSTOMER:
        return SlaClockState.PAUSED, None
    return SlaClockState.RUNNING, None


def _measure(
    case: Case, policy: SlaPolicy, metric: SlaMetric, at: datetime
) -> tuple[SlaClock, _Measure]:
    target = policy.target_for(case.priority).of(metric)
    state, met_at = _clock_state(case, metric, at)
    stop = case.first_responded_at if metric is SlaMetric.FIRST_RESPONSE else None
    measure = _Measure(policy.calendar, _segments(case, at, stop))
    breached = measure.elapsed > target
    breach_at: datetime | None = None
    if breached:
        breach_at = measure.reached(target)
    elif state is SlaClockState.RUNNING:
        breach_at = policy.calendar.add_business_time(at, target - measure.elapsed)
    clock = SlaClock(
        metric=metric,
        state=state,
        target_minutes=target // timedelta(minutes=1),
        elapsed_seconds=-(-measure.elapsed // _SECOND),
        breached=breached,
        breach_at=breach_at,
        due_at=breach_at if state is SlaClockState.RUNNING else None,
        met_at=met_at,
    )
    return clock, measure


def _checked(case: object, policy: object, at: object) -> tuple[Case, SlaPolicy, datetime]:
    checked_case = instance_of(Case, "a Case")(case, "$.case")
    checked_policy = instance_of(SlaPolicy, "an SlaPolicy")(policy, "$.policy")
    when = require_aware(at, "$.at")
    if when < checked_case.opened_at:
        raise ValidationError(
            "must not be before the case was opened", path="$.at", code="before_opened"
        )
    return checked_case, checked_policy, when


def sla_status(case: Case, policy: SlaPolicy, *, at: datetime) -> SlaStatus:
    """Measure both SLA clocks of ``case`` at ``at`` under ``policy``.

    Only what the case's history says up to ``at`` counts, so a case can be
    measured at any past instant too.

    Raises:
        ValidationError: ``at`` is naive or before the case was opened.
    """
    checked, checked_policy, when = _checked(case, policy, at)
    first, _ = _measure(checked, checked_policy, SlaMetric.FIRST_RESPONSE, when)
    resolution, _ = _measure(checked, checked_policy, SlaMetric.RESOLUTION, when)
    return SlaStatus(
        case_id=checked.id,
        policy=checked_policy.name,
        priority=checked.priority,
        at=when,
        first_response=first,
        resolution=resolution,
    )


def due_escalations(case: Case, policy: SlaPolicy, *, at: datetime) -> tuple[Escalation, ...]:
    """The escalations the policy's rules call for at ``at`` that the case has not recorded.

    A rule is due when its clock is running or paused (not stopped) and the
    business time counted reached its percentage of the target, or (for a
    breach rule) exceeded the target. Each escalation's ``due_at`` is the
    instant that happened. The result is sorted by ``due_at``, then level,
    then rule name, and never repeats a rule the case has recorded.

    Raises:
        ValidationError: ``at`` is naive or before the case was opened.
    """
    checked, checked_policy, when = _checked(case, policy, at)
    recorded = {e.rule for e in checked.escalations}
    measures: dict[SlaMetric, tuple[SlaClock, _Measure]] = {}
    due: list[Escalation] = []
    for rule in checked_policy.escalation_rules:
        if rule.name in recorded:
            continue
        if rule.metric not in measures:
            measures[rule.metric] = _measure(checked, checked_policy, rule.metric, when)
        clock, measure = measures[rule.metric]
        if clock.state is SlaClockState.STOPPED:
            continue
        target = clock.target
        if rule.percent is None:
            if not clock.breached:
                continue
            reached = measure.reached(target)
        else:
            threshold = timedelta(
                microseconds=(target // timedelta(microseconds=1)) * rule.percent // 100
            )
            if measure.elapsed < threshold:
                continue
            reached = measure.reached(threshold)
        if reached is None:  # pragma: no cover - the elapsed time reached it
            continue
        due.append(
            Escalation(
                rule=rule.name,
                metric=rule.metric,
                level=rule.level,
                due_at=reached,
                notify_role=rule.notify_role,
            )
        )
    due.sort(key=lambda e: (e.due_at, e.level, e.rule))
    return tuple(due)


def escalate_due(case: Case, policy: SlaPolicy, *, at: datetime) -> Case:
    """Record on ``case`` every escalation :func:`due_escalations` finds at ``at``.

    Records one :class:`~crmcore.service.CaseEscalated` per escalation; calling
    it again at the same time changes nothing.
    """
    result = case
    for escalation in due_escalations(case, policy, at=at):
        result = result.escalate(escalation, at=at)
    return result


def breached_cases(
    cases: Iterable[Case], policy: SlaPolicy, *, at: datetime
) -> tuple[SlaStatus, ...]:
    """The SLA statuses of the cases in ``cases`` that are breached at ``at``.

    Cases opened after ``at`` are left out.

    Raises:
        ValidationError: ``cases`` is not a sequence of Case (the path names the
            item), ``policy`` is not an SlaPolicy, or ``at`` is naive.
    """
    checked = items_of(cases, Case, "$.cases", "a Case", max_items=MAX_CASES, noun="cases")
    checked_policy = instance_of(SlaPolicy, "an SlaPolicy")(policy, "$.policy")
    when = require_aware(at, "$.at")
    return tuple(
        status
        for status in (
            sla_status(case, checked_policy, at=when) for case in checked if case.opened_at <= when
        )
        if status.breached
    )
