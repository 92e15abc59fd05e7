"""Tests for `crmcore.service._cases`: the Case aggregate and its status machine."""

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, DomainEvent, InvalidType, StaffId, ValidationError
from crmcore.commerce import OrderId
from crmcore.interactions import timeline
from crmcore.serialization import from_dict, to_dict
from crmcore.service import (
    CASE_STATUSES,
    Case,
    CaseAssigned,
    CaseClosed,
    CaseEscalated,
    CaseFirstResponded,
    CaseId,
    CaseOpened,
    CasePriorityChanged,
    CaseReopened,
    CaseResolved,
    CaseStatus,
    CaseStatusChanged,
    Escalation,
    StatusChange,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUSTOMER = CustomerId("c-1")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new_case(**options) -> Case:
    arguments = {
        "customer_id": CUSTOMER,
        "kind": "complaint",
        "subject": "Parcel arrived damaged",
        "channel": "email",
        "at": T0,
        "priority": "high",
        "description": "The box was crushed; Ana Putri, Jl. Merdeka 10.",
    }
    arguments.update(options)
    return Case.open(CaseId("case-1"), **arguments)


# Paths through the machine that reach each status.
ROUTES = {
    CaseStatus.NEW: [],
    CaseStatus.OPEN: ["open"],
    CaseStatus.PENDING_CUSTOMER: ["open", "pending_customer"],
    CaseStatus.RESOLVED: ["open", "resolved"],
    CaseStatus.CLOSED: ["open", "resolved", "closed"],
}


def case_in(status: CaseStatus) -> Case:
    case = new_case()
    for step, target in enumerate(ROUTES[status], start=1):
        case = case.change_status(target, at=at(step))
    return case


def test_open_records_the_case_and_its_event():
    """Opening gives a new case at version 0 with CaseOpened."""
    case = new_case(assignee=StaffId("agent-7"), order_id=OrderId("o-9"))
    assert CaseStatus.NEW == case.status
    assert (StatusChange(CaseStatus.NEW, T0),) == case.history
    assert 0 == case.version
    assert [CaseOpened] == [type(e) for e in case.pending_events]
    event = case.pending_events[0]
    assert (case.id, CUSTOMER, StaffId("agent-7"), OrderId("o-9")) == (
        event.case_id,
        event.customer_id,
        event.assignee,
        event.order_id,
    )
    assert T0 == case.updated_at


def test_repr_hides_subject_and_description():
    """The repr shows ids, kind, priority and status; never the free text."""
    text = repr(new_case())
    assert "Parcel" not in text
    assert "Ana" not in text
    assert "status='new'" in text


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"kind": "praise"}, "$.kind"),
        ({"priority": "critical"}, "$.priority"),
        ({"channel": "pigeon"}, "$.channel"),
        ({"subject": "  "}, "$.subject"),
        ({"subject": "x" * 201}, "$.subject"),
        ({"at": datetime(2026, 3, 2, 9, 0)}, "$.at"),  # noqa: DTZ001
        ({"customer_id": "c-1"}, "$.customer_id"),
        ({"assignee": "agent-7"}, "$.assignee"),
    ],
)
def test_open_refuses_bad_input_with_a_path(options, path):
    """Each bad argument is a ValidationError naming it."""
    with pytest.raises(ValidationError) as info:
        new_case(**options)
    assert path == info.value.path


ALL_PAIRS = [(a, b) for a in CaseStatus for b in CaseStatus]


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS)
def test_the_transition_table_is_enforced(start, target):
    """Allowed changes apply; any other raises, lists the allowed targets, changes nothing."""
    case = case_in(start)
    when = at(10)
    if target in CASE_STATUSES.transitions[start]:
        changed = case.change_status(target, at=when)
        assert target == changed.status
        assert StatusChange(target, when) == changed.history[-1]
        assert isinstance(changed.pending_events[-1], CaseStatusChanged)
        assert (start, target) == (
            changed.pending_events[-1].from_status,
            changed.pending_events[-1].to_status,
        )
    else:
        before = to_dict(case)
        with pytest.raises(ValidationError) as info:
            case.change_status(target, at=when)
        assert ("$.status", "transition") == (info.value.path, info.value.code)
        for allowed in CASE_STATUSES.transitions[start]:
            assert allowed.value in info.value.rule
        assert before == to_dict(case)


def test_the_machine_is_the_documented_one():
    """The machine: new, open, pending_customer, resolved, closed, and reopening."""
    s = CaseStatus
    assert {
        s.NEW: {s.OPEN, s.PENDING_CUSTOMER, s.RESOLVED},
        s.OPEN: {s.PENDING_CUSTOMER, s.RESOLVED},
        s.PENDING_CUSTOMER: {s.OPEN, s.RESOLVED},
        s.RESOLVED: {s.OPEN, s.CLOSED},
        s.CLOSED: {s.OPEN},
    } == {k: set(v) for k, v in CASE_STATUSES.transitions.items()}


def test_status_events_name_what_happened():
    """Resolving, closing and reopening record their own subclasses of CaseStatusChanged."""
    case = case_in(CaseStatus.OPEN).resolve(at=at(5)).close(at=at(6)).reopen(at=at(7))
    kinds = [type(e) for e in case.pending_events]
    assert [
        CaseOpened,
        CaseStatusChanged,
        CaseFirstResponded,
        CaseResolved,
        CaseClosed,
        CaseReopened,
    ] == kinds
    assert CaseStatus.OPEN == case.status


def test_reopen_needs_a_resolved_or_closed_case():
    """Reopening an active case is a transition error."""
    with pytest.raises(ValidationError) as info:
        case_in(CaseStatus.PENDING_CUSTOMER).reopen(at=at(9))
    assert ("$.status", "transition") == (info.value.path, info.value.code)


def test_respond_records_the_first_response_once_and_opens_a_new_case():
    """The first response is recorded once; a new case becomes open."""
    case = new_case().respond(at=at(20))
    assert at(20) == case.first_responded_at
    assert CaseStatus.OPEN == case.status
    again = case.respond(at=at(30))
    assert at(20) == again.first_responded_at
    assert len(case.pending_events) == len(again.pending_events)


def test_resolving_without_a_response_counts_as_the_first_response():
    """A case resolved before anyone responded gets its first response at the resolution."""
    case = new_case().resolve(at=at(45), reason="answered in the FAQ")
    assert at(45) == case.first_responded_at
    assert [CaseOpened, CaseFirstResponded, CaseResolved] == [type(e) for e in case.pending_events]
    assert "FAQ" not in repr(case.history) + repr(case.pending_events)


def test_times_never_go_backwards():
    """A command dated before the case's last change is refused and changes nothing."""
    case = new_case().respond(at=at(20))
    for command in (
        lambda: case.change_status("resolved", at=at(10)),
        lambda: case.assign(StaffId("a-1"), at=at(10)),
        lambda: case.change_priority("low", at=at(10)),
        lambda: case.respond(at=at(10)),
    ):
        with pytest.raises(ValidationError) as info:
            command()
        assert ("$.at", "time_backwards") == (info.value.path, info.value.code)


def test_naive_times_are_refused():
    """A naive command time is a ValidationError at $.at."""
    with pytest.raises(ValidationError) as info:
        new_case().resolve(at=datetime(2026, 3, 3, 9, 0))  # noqa: DTZ001
    assert ("$.at", "naive_datetime") == (info.value.path, info.value.code)


def test_assign_and_unassign():
    """Assigning records who had it before; assigning the same person is a no-op."""
    case = new_case().assign(StaffId("a-1"), at=at(1)).assign(StaffId("a-2"), at=at(2))
    assert StaffId("a-2") == case.assignee
    last = case.pending_events[-1]
    assert isinstance(last, CaseAssigned)
    assert (StaffId("a-2"), StaffId("a-1")) == (last.assignee, last.previous)
    assert case is case.assign(StaffId("a-2"), at=at(3))
    assert case.assign(None, at=at(3)).assignee is None
    with pytest.raises(InvalidType):
        case.assign("a-3", at=at(3))  # type: ignore[arg-type]


def test_change_priority():
    """Changing the priority records CasePriorityChanged; the same priority is a no-op."""
    case = new_case().change_priority("urgent", at=at(1))
    assert "urgent" == case.priority.value
    assert isinstance(case.pending_events[-1], CasePriorityChanged)
    assert case is case.change_priority("urgent", at=at(2))


def escalation(rule: str = "lead", minutes: float = 30, level: int = 1) -> Escalation:
    return Escalation(rule=rule, metric="resolution", level=level, due_at=at(minutes))


def test_escalate_is_idempotent_per_rule():
    """A rule is recorded once; recording it again changes nothing."""
    case = new_case().escalate(escalation(), at=at(40))
    assert 1 == case.escalation_level
    assert isinstance(case.pending_events[-1], CaseEscalated)
    assert case is case.escalate(escalation(minutes=35, level=2), at=at(50))
    higher = case.escalate(escalation("manager", 45, 2), at=at(50))
    assert 2 == higher.escalation_level


def test_escalation_must_be_due_when_recorded():
    """An escalation due after the time it is recorded is refused."""
    with pytest.raises(ValidationError) as info:
        new_case().escalate(escalation(minutes=60), at=at(40))
    assert ("$.escalation.due_at", "not_due") == (info.value.path, info.value.code)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"level": 0}, "$.level"),
        ({"level": 11}, "$.level"),
        ({"level": True}, "$.level"),
        ({"rule": ""}, "$.rule"),
        ({"metric": "speed"}, "$.metric"),
        ({"due_at": datetime(2026, 1, 1)}, "$.due_at"),  # noqa: DTZ001
    ],
)
def test_escalation_values_are_checked(fields, path):
    """Bad escalation fields name their path."""
    base = {"rule": "r", "metric": "resolution", "level": 1, "due_at": T0}
    with pytest.raises(ValidationError) as info:
        Escalation(**(base | fields))
    assert path == info.value.path


def test_queries_about_the_past():
    """status_at reads the history; resolved_at is the last resolution of a done case."""
    case = case_in(CaseStatus.CLOSED)
    assert case.status_at(T0 - timedelta(seconds=1)) is None
    assert CaseStatus.NEW == case.status_at(T0)
    assert CaseStatus.OPEN == case.status_at(at(1.5))
    assert at(2) == case.resolved_at
    assert not case.is_active
    assert case.reopen(at=at(9)).resolved_at is None
    assert frozenset({CaseStatus.OPEN}) == case.allowed_statuses


def test_without_pending_events():
    """Stripping events keeps everything else."""
    case = case_in(CaseStatus.OPEN)
    stripped = case.without_pending_events()
    assert () == stripped.pending_events
    assert case == stripped
    assert stripped is stripped.without_pending_events()


# -- construction from stored data ------------------------------------------------------------


def test_history_must_start_new_at_the_opening():
    """A history that does not start with new at opened_at is refused."""
    with pytest.raises(ValidationError) as info:
        attrs.evolve(new_case(), history=(StatusChange("open", T0),))
    assert ("$.history[0]", "history_start") == (info.value.path, info.value.code)


def test_an_empty_history_is_refused():
    """A stored case must have at least its opening in the history."""
    data = to_dict(new_case())
    data["history"] = []
    with pytest.raises(ValidationError) as info:
        from_dict(Case, data)
    assert ("$.history", "history_start") == (info.value.path, info.value.code)


def test_history_follows_the_machine_and_time():
    """A stored history with a forbidden step or a step back in time is refused."""
    case = new_case()
    bad_step = (StatusChange("new", T0), StatusChange("closed", at(1)))
    with pytest.raises(ValidationError) as info:
        attrs.evolve(case, history=bad_step, updated_at=at(1))
    assert ("$.history[1].status", "transition") == (info.value.path, info.value.code)
    backwards = (
        StatusChange("new", T0),
        StatusChange("open", at(5)),
        StatusChange("resolved", at(2)),
    )
    with pytest.raises(ValidationError) as info2:
        attrs.evolve(case, history=backwards, updated_at=at(5))
    assert ("$.history[2].at", "time_backwards") == (info2.value.path, info2.value.code)


def test_updated_at_covers_every_recorded_time():
    """updated_at cannot be before the last change."""
    case = case_in(CaseStatus.OPEN)
    with pytest.raises(ValidationError) as info:
        attrs.evolve(case, updated_at=T0)
    assert ("$.updated_at", "time_backwards") == (info.value.path, info.value.code)


def test_round_trip_of_a_busy_case():
    """A case with every kind of change survives to_dict/from_dict, events included."""
    case = (
        new_case(assignee=StaffId("a-1"), order_id=OrderId("o-1"))
        .respond(at=at(5))
        .wait_on_customer(at=at(6), reason="asked for photos")
        .change_status("open", at=at(60))
        .change_priority("urgent", at=at(61))
        .assign(StaffId("a-2"), at=at(62))
        .escalate(escalation(minutes=62), at=at(62))
        .resolve(at=at(90))
        .close(at=at(200))
        .reopen(at=at(300), reason="still broken")
    )
    back = from_dict(Case, to_dict(case))
    assert case == back
    assert case.pending_events == back.pending_events
    for event in case.pending_events:
        assert event == from_dict(DomainEvent, to_dict(event))
        assert event == from_dict(type(event), to_dict(event))


def test_stored_case_with_a_forbidden_step_is_refused():
    """from_dict reports the forbidden step with its full path."""
    data = to_dict(case_in(CaseStatus.OPEN))
    data["history"][1]["status"] = "closed"
    with pytest.raises(ValidationError) as info:
        from_dict(Case, data)
    assert "$.history[1].status" == info.value.path


def test_value_round_trips():
    """StatusChange and Escalation round-trip on their own."""
    for value in (StatusChange("pending_customer", T0, "waiting"), escalation()):
        assert value == from_dict(type(value), to_dict(value))


def test_the_case_on_a_customer_timeline():
    """Opening, first response, status changes and escalations appear, in time order."""
    case = new_case().respond(at=at(5)).escalate(escalation(minutes=6), at=at(7)).resolve(at=at(30))
    entries = timeline(CUSTOMER, [case])
    assert [
        "case-1",
        "case-1/first_response",
        "case-1/status/1",
        "case-1/escalation/lead",
        "case-1/status/2",
    ] == [e.key for e in entries]
    assert all("Parcel" not in e.summary for e in entries)
    assert () == timeline(CustomerId("someone-else"), [case])


# -- properties ---------------------------------------------------------------------------------

commands = st.lists(
    st.tuples(
        st.sampled_from(["status", "respond", "assign", "priority"]),
        st.sampled_from(list(CaseStatus)),
        st.integers(-30, 240),
    ),
    max_size=25,
)


@given(commands=commands)
def test_any_command_sequence_keeps_the_case_consistent(commands):
    """Commands either apply or raise leaving the case as it was; the history stays valid."""
    case = new_case()
    for name, status, minutes in commands:
        before = to_dict(case)
        when = case.updated_at + timedelta(minutes=minutes)
        try:
            if name == "status":
                changed = case.change_status(status, at=when)
            elif name == "respond":
                changed = case.respond(at=when)
            elif name == "assign":
                changed = case.assign(StaffId(f"a-{minutes % 3}"), at=when)
            else:
                changed = case.change_priority(["low", "high"][minutes % 2], at=when)
        except ValidationError:
            assert before == to_dict(case)
            assert minutes < 0 or (name == "status" and status not in case.allowed_statuses)
            continue
        assert minutes >= 0
        case = changed
    times = [c.at for c in case.history]
    assert times == sorted(times)
    for earlier, later in zip(case.history, case.history[1:], strict=False):
        assert later.status in CASE_STATUSES.transitions[earlier.status]
    assert case == from_dict(Case, to_dict(case))
    assert len(case.pending_events) >= len(case.history)
