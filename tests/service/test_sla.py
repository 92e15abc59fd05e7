"""Tests for `crmcore.service._sla`: SLA policies, clocks that pause, breaches and escalations."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, InvalidType, ValidationError
from crmcore.serialization import from_dict, to_dict
from crmcore.service import (
    BusinessCalendar,
    Case,
    CaseEscalated,
    CaseId,
    CasePriority,
    CaseStatus,
    EscalationRule,
    SlaClock,
    SlaClockState,
    SlaMetric,
    SlaPolicy,
    SlaStatus,
    SlaTarget,
    breached_cases,
    due_escalations,
    escalate_due,
    sla_status,
)

WIB = timezone(timedelta(hours=7))
H = timedelta(hours=1)
M = timedelta(minutes=1)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


CALENDAR = BusinessCalendar.standard(["08:00-12:00", "13:00-17:00"], time_zone=WIB)
TARGETS = [
    SlaTarget("low", 8 * 60, 40 * 60),
    SlaTarget("normal", 4 * H, 16 * H),
    SlaTarget("high", H, 8 * H),
    SlaTarget("urgent", 15 * M, 4 * H),
]
RULES = [
    EscalationRule(
        name="lead-at-75", metric="resolution", level=1, percent=75, notify_role="team_lead"
    ),
    EscalationRule(name="late-reply", metric="first_response", level=2, notify_role="duty"),
]
POLICY = SlaPolicy("standard", CALENDAR, TARGETS, RULES)
MONDAY = wib(2026, 3, 2, 9, 0)


def new_case(priority: str = "high", at: datetime = MONDAY, case_id: str = "k-1") -> Case:
    return Case.open(
        CaseId(case_id),
        customer_id=CustomerId("c-1"),
        kind="question",
        subject="Where is my order?",
        channel="web",
        at=at,
        priority=priority,
    )


# -- policy -----------------------------------------------------------------------------------


def test_targets_accept_minutes_or_timedeltas():
    """A target is whole business minutes, given as an int or a timedelta."""
    target = SlaTarget("urgent", 15, timedelta(hours=4))
    assert (15, 240) == (target.first_response_minutes, target.resolution_minutes)
    assert (15 * M, 4 * H) == (target.first_response, target.resolution)
    assert 4 * H == target.of(SlaMetric.RESOLUTION)


@pytest.mark.parametrize(
    ("first", "resolution", "path"),
    [
        (timedelta(seconds=90), H, "$.first_response_minutes"),
        (0, 60, "$.first_response_minutes"),
        (True, 60, "$.first_response_minutes"),
        (60, 60.0, "$.resolution_minutes"),
        (60, 30, "$.resolution_minutes"),
        (60, 10**9, "$.resolution_minutes"),
    ],
)
def test_bad_targets_are_refused(first, resolution, path):
    """Fractions of a minute, zero, bools, floats, a resolution before the response: refused."""
    with pytest.raises(ValidationError) as info:
        SlaTarget("normal", first, resolution)
    assert path == info.value.path


def test_a_policy_needs_every_priority_once():
    """A missing priority is named; a repeated one points at the repeat."""
    with pytest.raises(ValidationError) as info:
        SlaPolicy("p", CALENDAR, TARGETS[:3])
    assert ("$.targets", "missing_priority") == (info.value.path, info.value.code)
    assert "urgent" in info.value.rule
    with pytest.raises(ValidationError) as info2:
        SlaPolicy("p", CALENDAR, [*TARGETS[:3], TARGETS[0]])
    assert "$.targets[3].priority" == info2.value.path


def test_a_policy_refuses_repeated_rule_names_and_non_calendars():
    """Rule names are unique; the calendar must be a BusinessCalendar."""
    with pytest.raises(ValidationError) as info:
        SlaPolicy("p", CALENDAR, TARGETS, [RULES[0], RULES[0]])
    assert "$.escalation_rules[1].name" == info.value.path
    with pytest.raises(InvalidType) as info2:
        SlaPolicy("p", "Mon-Fri 9-5", TARGETS)
    assert "$.calendar" == info2.value.path


@pytest.mark.parametrize(
    ("fields", "path"),
    [({"percent": 0}, "$.percent"), ({"percent": 1001}, "$.percent"), ({"level": 0}, "$.level")],
)
def test_escalation_rules_are_checked(fields, path):
    """Percentages run from 1 to 1000; levels from 1 to 10."""
    with pytest.raises(ValidationError) as info:
        EscalationRule(**({"name": "r", "metric": "resolution", "level": 1} | fields))
    assert path == info.value.path


def test_target_for_a_priority():
    """The policy hands out the target of a priority."""
    assert H == POLICY.target_for("high").first_response
    assert list(CasePriority) == [t.priority for t in POLICY.targets]


# -- clocks ---------------------------------------------------------------------------------------


def test_a_running_first_response_clock():
    """Before any response the clock runs; the due instant is in business time."""
    status = sla_status(new_case(), POLICY, at=MONDAY + 20 * M)
    clock = status.first_response
    assert SlaClockState.RUNNING == clock.state
    assert (20 * 60, 40 * 60) == (clock.elapsed_seconds, clock.remaining_seconds)
    assert MONDAY + H == clock.due_at == clock.breach_at
    assert not clock.breached
    assert clock.met_at is None
    assert pytest.approx(1 / 3) == clock.fraction_elapsed


def test_the_due_instant_skips_lunch_and_the_night():
    """A high case opened at 16:30 is due (one business hour) at 08:30 the next day."""
    status = sla_status(new_case(at=wib(2026, 3, 2, 16, 30)), POLICY, at=wib(2026, 3, 2, 16, 30))
    assert wib(2026, 3, 3, 8, 30) == status.first_response.due_at


def test_waiting_on_the_customer_pauses_both_clocks():
    """Thirty minutes, a pause until the next day, thirty minutes: breached at the resumed 09:30."""
    case = (
        new_case()
        .wait_on_customer(at=MONDAY + 30 * M)
        .change_status("open", at=wib(2026, 3, 3, 9, 0))
    )
    paused = sla_status(case, POLICY, at=wib(2026, 3, 2, 16, 0))
    assert SlaClockState.PAUSED == paused.first_response.state
    assert 30 * M == paused.first_response.elapsed
    assert paused.first_response.due_at is None
    assert paused.first_response.breach_at is None
    later = sla_status(case, POLICY, at=wib(2026, 3, 3, 10, 0))
    assert 90 * M == later.first_response.elapsed
    assert later.first_response.breached
    assert wib(2026, 3, 3, 9, 30) == later.first_response.breach_at
    assert -30 * 60 == later.first_response.remaining_seconds
    assert 90 * M == later.resolution.elapsed
    assert not later.resolution.breached
    assert later.breached


def test_the_first_response_stops_its_clock():
    """After the response the first-response clock stops; the resolution clock goes on."""
    case = new_case().respond(at=MONDAY + 40 * M)
    status = sla_status(case, POLICY, at=MONDAY + 3 * H)
    assert SlaClockState.STOPPED == status.first_response.state
    assert (40 * M, MONDAY + 40 * M) == (
        status.first_response.elapsed,
        status.first_response.met_at,
    )
    assert status.first_response.due_at is None
    assert SlaClockState.RUNNING == status.resolution.state
    assert 3 * H == status.resolution.elapsed  # 09:00 to 12:00
    assert 3 * H == sla_status(case, POLICY, at=MONDAY + 4 * H).resolution.elapsed  # lunch


def test_resolution_stops_the_clock_and_a_reopen_resumes_it():
    """Resolved at 3 business hours, reopened two days later: the clock continues from 3."""
    resolved_at = MONDAY + 3 * H  # 12:00
    case = new_case().respond(at=MONDAY + 10 * M).resolve(at=resolved_at)
    stopped = sla_status(case, POLICY, at=wib(2026, 3, 4, 12, 0))
    assert SlaClockState.STOPPED == stopped.resolution.state
    assert (3 * H, resolved_at) == (stopped.resolution.elapsed, stopped.resolution.met_at)
    reopened = case.reopen(at=wib(2026, 3, 4, 9, 0))
    running = sla_status(reopened, POLICY, at=wib(2026, 3, 4, 10, 0))
    assert SlaClockState.RUNNING == running.resolution.state
    assert 4 * H == running.resolution.elapsed
    assert wib(2026, 3, 4, 15, 0) == running.resolution.due_at
    assert SlaClockState.STOPPED == running.first_response.state


def test_a_late_resolution_is_breached_with_its_breach_time():
    """Resolved after 10 business hours against 8: breached at the moment 8 were used."""
    case = new_case().respond(at=MONDAY + 5 * M).resolve(at=wib(2026, 3, 3, 11, 0))
    status = sla_status(case, POLICY, at=wib(2026, 3, 5, 9, 0))
    assert status.resolution.breached
    # Monday gives 7 hours (09:00-17:00 less lunch); the 8th ends at 09:00 on Tuesday.
    assert wib(2026, 3, 3, 9, 0) == status.resolution.breach_at
    assert status.resolution.due_at is None
    assert -2 * 3600 == status.resolution.remaining_seconds


def test_elapsed_seconds_round_up():
    """A fraction of a second counts as a whole one, so remaining < 0 exactly when breached."""
    case = new_case(priority="urgent")
    status = sla_status(case, POLICY, at=MONDAY + 15 * M + timedelta(microseconds=1))
    assert 15 * 60 + 1 == status.first_response.elapsed_seconds
    assert status.first_response.breached
    exact = sla_status(case, POLICY, at=MONDAY + 15 * M)
    assert (0, False) == (exact.first_response.remaining_seconds, exact.first_response.breached)


def test_the_current_priority_sets_the_targets():
    """Raising the priority measures the case against the tighter targets."""
    case = new_case(priority="low").change_priority("urgent", at=MONDAY + 5 * M)
    status = sla_status(case, POLICY, at=MONDAY + 20 * M)
    assert (CasePriority.URGENT, 15) == (status.priority, status.first_response.target_minutes)
    assert status.first_response.breached


def test_measuring_a_past_instant_uses_the_history_up_to_then():
    """The status at an earlier instant ignores later changes."""
    case = new_case().respond(at=MONDAY + 30 * M).resolve(at=MONDAY + 2 * H)
    earlier = sla_status(case, POLICY, at=MONDAY + 15 * M)
    assert SlaClockState.RUNNING == earlier.first_response.state
    assert SlaClockState.RUNNING == earlier.resolution.state


def test_bad_instants_are_refused():
    """Before the opening, or naive: a ValidationError at $.at."""
    with pytest.raises(ValidationError) as info:
        sla_status(new_case(), POLICY, at=MONDAY - M)
    assert ("$.at", "before_opened") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info2:
        sla_status(new_case(), POLICY, at=datetime(2026, 3, 2, 10))  # noqa: DTZ001
    assert "$.at" == info2.value.path
    with pytest.raises(InvalidType) as info3:
        sla_status("k-1", POLICY, at=MONDAY)
    assert "$.case" == info3.value.path


# -- escalations ----------------------------------------------------------------------------------


def test_percentage_and_breach_rules_fire_at_their_instants():
    """75% of 8 hours is due at 6 business hours; the late reply at the first-response breach."""
    case = new_case()
    at = wib(2026, 3, 3, 9, 0)  # 7 business hours after the opening, no response yet
    due = due_escalations(case, POLICY, at=at)
    assert [
        ("late-reply", MONDAY + H, 2, "duty"),
        ("lead-at-75", wib(2026, 3, 2, 16, 0), 1, "team_lead"),
    ] == [(e.rule, e.due_at, e.level, e.notify_role) for e in due]


def test_nothing_is_due_before_the_thresholds():
    """Half an hour in, no rule is due."""
    assert () == due_escalations(new_case(), POLICY, at=MONDAY + 30 * M)


def test_stopped_clocks_do_not_escalate():
    """A case responded to in time and resolved never escalates."""
    case = new_case().respond(at=MONDAY + 5 * M).resolve(at=MONDAY + H)
    assert () == due_escalations(case, POLICY, at=wib(2026, 3, 10, 9, 0))


def test_escalating_is_idempotent():
    """escalate_due records each rule once; a second run at a later time adds nothing new."""
    at = wib(2026, 3, 3, 9, 0)
    case = escalate_due(new_case(), POLICY, at=at)
    assert 2 == len(case.escalations)
    assert 2 == case.escalation_level
    assert 2 == sum(isinstance(e, CaseEscalated) for e in case.pending_events)
    assert () == due_escalations(case, POLICY, at=at + H)
    assert case is escalate_due(case, POLICY, at=at + H)


def test_breached_cases_lists_only_the_breached():
    """breached_cases keeps the statuses that are breached, skipping cases opened later."""
    fine = new_case(case_id="k-ok").respond(at=MONDAY + 5 * M)
    late = new_case(case_id="k-late")
    future = new_case(case_id="k-future", at=wib(2026, 3, 9, 9, 0))
    found = breached_cases([fine, late, future], POLICY, at=MONDAY + 2 * H)
    assert [CaseId("k-late")] == [s.case_id for s in found]


# -- serialization --------------------------------------------------------------------------------


def test_policy_values_round_trip():
    """Targets, rules, the policy (with its calendar), clocks and statuses round-trip."""
    status = sla_status(new_case().wait_on_customer(at=MONDAY + 5 * M), POLICY, at=MONDAY + H)
    for value in (TARGETS[0], RULES[0], RULES[1], POLICY, status, status.first_response):
        assert value == from_dict(type(value), to_dict(value))


def test_a_stored_status_with_swapped_clocks_is_refused():
    """The first_response field must hold the first-response clock."""
    data = to_dict(sla_status(new_case(), POLICY, at=MONDAY + H))
    data["first_response"], data["resolution"] = data["resolution"], data["first_response"]
    with pytest.raises(ValidationError) as info:
        from_dict(SlaStatus, data)
    assert info.value.path.startswith("$.first_response")


def test_clock_fields_are_checked():
    """A stored clock with a negative elapsed time is refused."""
    with pytest.raises(ValidationError) as info:
        SlaClock(
            metric="resolution",
            state="running",
            target_minutes=60,
            elapsed_seconds=-1,
            breached=False,
        )
    assert "$.elapsed_seconds" == info.value.path


# -- properties -----------------------------------------------------------------------------------

QUARTER = timedelta(minutes=15)
RUNNING = {CaseStatus.NEW, CaseStatus.OPEN}

steps = st.lists(
    st.tuples(
        st.sampled_from(["open", "pending_customer", "resolved", "closed", "respond"]),
        st.integers(0, 4 * 24 * 3),
    ),
    max_size=8,
)


def build(history_steps) -> Case:
    case = new_case(priority="normal")
    when = MONDAY
    for action, quarters in history_steps:
        when += quarters * QUARTER
        if action == "respond":
            case = case.respond(at=when)
        elif action in {s.value for s in case.allowed_statuses}:
            case = case.change_status(action, at=when)
    return case


def reference_elapsed(case: Case, metric: SlaMetric, at: datetime) -> timedelta:
    """Quarter hours in working time while the case was new or open (and not yet answered)."""
    total = timedelta(0)
    t = case.opened_at
    while t < at:
        counting = CALENDAR.is_working_time(t) and case.status_at(t) in RUNNING
        if metric is SlaMetric.FIRST_RESPONSE and case.first_responded_at is not None:
            counting = counting and t < case.first_responded_at
        if counting:
            total += QUARTER
        t += QUARTER
    return total


@given(history=steps, later=st.integers(0, 4 * 24 * 6), metric=st.sampled_from(list(SlaMetric)))
def test_sla_time_counts_only_working_time_while_running(history, later, metric):
    """Elapsed SLA time equals the working quarter hours in which the clock was running."""
    case = build(history)
    at = case.opened_at + later * QUARTER
    clock = sla_status(case, POLICY, at=at).clock(metric)
    assert reference_elapsed(case, metric, at) == clock.elapsed


@given(history=steps, times=st.lists(st.integers(0, 60 * 24 * 20), min_size=2, max_size=6))
def test_elapsed_sla_time_never_decreases(history, times):
    """As the evaluation instant grows, neither clock's elapsed time goes down."""
    case = build(history)
    previous = None
    for minutes in sorted(times):
        status = sla_status(case, POLICY, at=case.opened_at + minutes * M)
        pair = (status.first_response.elapsed, status.resolution.elapsed)
        if previous is not None:
            assert previous[0] <= pair[0]
            assert previous[1] <= pair[1]
        previous = pair


@given(history=steps, later=st.integers(0, 4 * 24 * 10))
def test_breach_and_due_instants_are_where_the_target_runs_out(history, later):
    """At the breach (or due) instant exactly the target has elapsed, and it is not yet breached."""
    case = build(history)
    at = max(case.updated_at, case.opened_at + later * QUARTER)
    status = sla_status(case, POLICY, at=at)
    for clock in (status.first_response, status.resolution):
        assert clock.breached == (clock.remaining_seconds < 0)
        if clock.breach_at is None:
            continue
        then = sla_status(case, POLICY, at=clock.breach_at).clock(clock.metric)
        assert clock.target == then.elapsed
        assert not then.breached


@pytest.mark.parametrize(
    ("cases", "policy", "at", "path"),
    [
        (None, POLICY, MONDAY, "$.cases"),
        (5, POLICY, MONDAY, "$.cases"),
        ([None], POLICY, MONDAY, "$.cases[0]"),
        ([], None, MONDAY, "$.policy"),
        ([], POLICY, None, "$.at"),
        ([], POLICY, datetime(2026, 3, 2, 9, 0), "$.at"),  # noqa: DTZ001 - naive on purpose.
    ],
)
def test_breached_cases_checks_its_arguments(cases, policy, at, path):
    """D09: junk is refused with a path (it raised a bare TypeError or AttributeError)."""
    with pytest.raises(ValidationError) as info:
        breached_cases(cases, policy, at=at)
    assert path == info.value.path


def test_breached_cases_leaves_out_cases_opened_later():
    """Only cases open at ``at`` are measured."""
    late = new_case(at=MONDAY + 48 * H, case_id="k-2")
    breached = breached_cases([new_case(), late], POLICY, at=MONDAY + 24 * H)
    assert [CaseId("k-1")] == [status.case_id for status in breached]
