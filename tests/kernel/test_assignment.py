"""One rule everywhere: ``assign(owner, team=..., *, at)`` on every aggregate with an owner.

Leads, opportunities, cases and subscriptions share the kernel's ``_assign_owner``;
customers have their own ``assign`` (its event names ``previous_owner``) with the
same rules. Every one of them must:

- be created without an owner or a team unless given them (an opportunity always
  has an owner), keep and record the ones it is given, and refuse ids of the
  wrong type;
- record one event with the new and previous owner and team and the envelope;
  leaving ``team`` out keeps the team, ``None`` clears it, a team change alone
  is an assignment, the same owner and team change nothing (the aggregate itself
  is returned);
- refuse wrong types and times before its last change, and apply nothing;
- keep no personal data in its assignment event or its repr;
- round-trip through documents, load documents written before owners or teams,
  refuse stored documents with bad ids, and save through a unit of work.

What is particular to one aggregate stays in its own tests (``tests/customers/test_owner.py``).
"""

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, Money, StaffId, ValidationError
from crmcore.commerce import (
    Period,
    Plan,
    PlanId,
    Subscription,
    SubscriptionAssigned,
    SubscriptionId,
    SubscriptionStarted,
)
from crmcore.customers import (
    ContactPoint,
    Customer,
    CustomerAssigned,
    CustomerId,
    CustomerRegistered,
    PersonName,
)
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import (
    STANDARD_PIPELINE,
    Lead,
    LeadAssigned,
    LeadCaptured,
    LeadId,
    LeadSource,
    Opportunity,
    OpportunityId,
    OpportunityOpened,
    OpportunityOwnerChanged,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.service import Case, CaseAssigned, CaseId, CaseOpened
from crmcore.teams import TeamId
from crmcore.testing import strategies as crm

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
REP1, REP2 = StaffId("rep-1"), StaffId("rep-2")
JKT, SBY = TeamId("team-jkt"), TeamId("team-sby")
META = {"actor": "ops-7", "correlation_id": "corr-1", "causation_id": "cmd-9"}
PLAN = Plan(
    id=PlanId("basic"),
    name="Basic",
    price=Money("9.99", "EUR"),
    period=Period.months(1),
    product_type="Streaming",
)


@attrs.frozen
class Owned:
    """How to build one aggregate of a type with an owner, and what its events are called."""

    cls: type
    #: Builds one at ``T0`` from the creation keywords (``owner``/``assignee``, ``team``).
    create: Callable[..., Any]
    created: type  # the event that creates it
    assigned: type  # the event ``assign`` records
    id_field: str  # the aggregate's id on its events
    repository: str  # the unit of work's repository
    strategy: Callable[[], st.SearchStrategy[Any]]
    field: str = "owner"  # the owner's field (and keyword, and event field)
    previous: str = "previous"  # the event field with the previous owner
    required: bool = False  # always has an owner (``None`` refused)
    since: tuple[str, ...] = ("team",)  # fields documents written before owners lack
    personal: tuple[str, ...] = ()  # personal data it holds, never in the event or repr

    def __str__(self) -> str:
        return self.cls.__name__

    def new(self, owner: StaffId | None = None, team: TeamId | None = None) -> Any:
        """One at ``T0`` with ``owner`` (an opportunity's default is REP1) and ``team``."""
        options: dict[str, Any] = {} if owner is None else {self.field: owner}
        return self.create(team=team, **options)

    @property
    def owners(self) -> list[StaffId | None]:
        """The owners it may be created with: REP1, and nobody unless an owner is required."""
        return [REP1] if self.required else [REP1, None]


def _lead(**options: Any) -> Lead:
    name = PersonName("Ana", family="Putri")
    return Lead.capture(LeadId("lead-1"), name=name, source=LeadSource.WEB, at=T0, **options)


def _opportunity(**options: Any) -> Opportunity:
    options.setdefault("owner", REP1)
    return Opportunity.open(
        OpportunityId("opp-1"),
        customer_id=CustomerId("c-1"),
        name="Coffee machines for Ibu Sari's offices",
        amount=Money(45_000_000, "IDR"),
        expected_close=date(2026, 4, 30),
        pipeline=STANDARD_PIPELINE,
        at=T0,
        **options,
    )


def _case(**options: Any) -> Case:
    return Case.open(
        CaseId("case-1"),
        customer_id=CustomerId("c-1"),
        kind="complaint",
        subject="Parcel for Ana Putri arrived damaged",
        channel="email",
        at=T0,
        description="The box was crushed; Ana Putri, Jl. Merdeka 10.",
        **options,
    )


def _subscription(**options: Any) -> Subscription:
    return Subscription.start(
        SubscriptionId("s-1"), customer_id=CustomerId("c-1"), plan=PLAN, at=T0, **options
    )


def _customer(**options: Any) -> Customer:
    return Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana", family="Putri"),
        at=T0,
        contact_points=[ContactPoint("email", "ana.putri@example.com")],
        **options,
    )


KINDS = [
    Owned(
        Lead,
        _lead,
        LeadCaptured,
        LeadAssigned,
        "lead_id",
        "leads",
        crm.leads,
        personal=("Ana", "Putri"),
    ),
    Owned(
        Opportunity,
        _opportunity,
        OpportunityOpened,
        OpportunityOwnerChanged,
        "opportunity_id",
        "opportunities",
        crm.opportunities,
        required=True,
        personal=("Sari", "Coffee"),
    ),
    Owned(
        Case,
        _case,
        CaseOpened,
        CaseAssigned,
        "case_id",
        "cases",
        crm.cases,
        field="assignee",
        personal=("Ana", "Merdeka"),
    ),
    Owned(
        Subscription,
        _subscription,
        SubscriptionStarted,
        SubscriptionAssigned,
        "subscription_id",
        "subscriptions",
        crm.subscriptions,
        since=("owner", "team"),
    ),
    Owned(
        Customer,
        _customer,
        CustomerRegistered,
        CustomerAssigned,
        "customer_id",
        "customers",
        crm.customers,
        previous="previous_owner",
        since=("owner", "team"),
        personal=("Ana", "Putri", "example.com"),
    ),
]

each_kind = pytest.mark.parametrize("kind", KINDS, ids=str)


def with_owners(*values: Any) -> list[Any]:
    """``(kind, owner, *values)`` for every kind and every owner it may be created with."""
    return [
        pytest.param(kind, owner, *values, id=f"{kind}-{owner or 'nobody'}")
        for kind in KINDS
        for owner in kind.owners
    ]


def change(kind: Owned, event: Any) -> tuple[Any, Any, Any, Any]:
    """An assignment event's (owner, previous owner, team, previous team)."""
    return (
        getattr(event, kind.field),
        getattr(event, kind.previous),
        event.team,
        event.previous_team,
    )


def owner_of(kind: Owned, aggregate: Any) -> tuple[Any, Any]:
    return getattr(aggregate, kind.field), aggregate.team


# -- creation -------------------------------------------------------------------------------


@each_kind
def test_no_owner_or_team_unless_created_with_them(kind):
    created = kind.new()
    event = created.pending_events[0]
    assert isinstance(event, kind.created)
    assert (created.team, event.team) == (None, None)
    nobody = REP1 if kind.required else None
    assert (getattr(created, kind.field), getattr(event, kind.field)) == (nobody, nobody)


@each_kind
def test_the_owner_and_team_given_at_creation_are_kept_and_recorded(kind):
    created = kind.new(REP1, JKT)
    assert owner_of(kind, created) == (REP1, JKT)
    event = created.pending_events[0]
    assert isinstance(event, kind.created)
    assert (getattr(event, kind.field), event.team) == (REP1, JKT)


@each_kind
@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("owner", "rep-1"),
        ("owner", TeamId("rep-1")),
        ("team", "team-jkt"),
        ("team", StaffId("team-jkt")),
        ("team", 4),
        ("team", 1.5),
    ],
    ids=["owner_str", "owner_team_id", "team_str", "team_staff_id", "team_int", "team_float"],
)
def test_creation_refuses_ids_of_the_wrong_type(kind, option, value):
    name = kind.field if option == "owner" else option
    with pytest.raises(InvalidType) as raised:
        kind.create(**{name: value})
    assert raised.value.path == f"$.{name}"


# -- assignment -----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "owner"), with_owners())
def test_assign_sets_owner_and_team_in_one_event_with_the_envelope(kind, owner):
    before = kind.new(owner)
    after = before.assign(REP2, JKT, at=T0 + HOUR, **META)
    assert owner_of(kind, after) == (REP2, JKT)
    assert after.sequence == before.sequence + 1
    assert after.updated_at == T0 + HOUR
    (event,) = after.pending_events[len(before.pending_events) :]
    assert isinstance(event, kind.assigned)
    assert change(kind, event) == (REP2, owner, JKT, None)
    assert (event.actor, event.correlation_id, event.causation_id) == ("ops-7", "corr-1", "cmd-9")
    assert (event.occurred_at, event.sequence) == (T0 + HOUR, after.sequence)
    assert getattr(event, kind.id_field) == before.id


@each_kind
def test_leaving_the_team_out_keeps_it_and_none_clears_it(kind):
    teamed = kind.new(REP1, JKT)
    moved = teamed.assign(REP2, at=T0 + HOUR)
    assert owner_of(kind, moved) == (REP2, JKT)
    assert change(kind, moved.pending_events[-1]) == (REP2, REP1, JKT, JKT)
    last = REP2 if kind.required else None  # released unless an owner is required
    released = moved.assign(last, None, at=T0 + 2 * HOUR)
    assert owner_of(kind, released) == (last, None)
    assert change(kind, released.pending_events[-1]) == (last, REP2, None, JKT)


@pytest.mark.parametrize(("kind", "owner"), with_owners())
def test_a_team_change_alone_is_an_assignment(kind, owner):
    moved = kind.new(owner, JKT).assign(owner, team=SBY, at=T0 + HOUR)
    event = moved.pending_events[-1]
    assert isinstance(event, kind.assigned)
    assert change(kind, event) == (owner, owner, SBY, JKT)
    assert owner_of(kind, moved) == (owner, SBY)


@pytest.mark.parametrize(("kind", "owner"), with_owners())
def test_assigning_the_same_owner_and_team_changes_nothing(kind, owner):
    team = JKT if owner else None
    created = kind.new(owner, team)
    assert created.assign(owner, at=T0 + HOUR) is created  # the team left out
    assert created.assign(owner, team, at=T0 + HOUR) is created
    quiet = created.without_pending_events()
    assert quiet.assign(owner, team, at=T0 + HOUR) is quiet


@each_kind
def test_the_team_may_be_left_out(kind):
    taken = kind.new().assign(REP2, at=T0 + HOUR)
    assert owner_of(kind, taken) == (REP2, None)
    if not kind.required:
        assert getattr(taken.assign(None, at=T0 + HOUR), kind.field) is None


def _name(value: object) -> str:
    return repr(value) if type(value) is int else type(value).__name__


def _refused(kind: Owned) -> list[Any]:
    cases: list[tuple[Any, Any, str]] = [
        ("rep-2", JKT, "owner"),
        ("rep-2", ..., "owner"),
        (TeamId("rep-2"), JKT, "owner"),
        (TeamId("rep-2"), ..., "owner"),
        (REP2, "team-jkt", "team"),
        (REP2, StaffId("team-jkt"), "team"),
        (REP2, [JKT], "team"),
        (REP2, 3, "team"),
        (REP2, 0, "team"),
    ]
    if kind.required:
        cases.insert(0, (None, JKT, "owner"))
    return [
        pytest.param(
            kind,
            owner,
            team,
            f"$.{kind.field if path == 'owner' else path}",
            id=f"{kind}-{_name(owner)}-{_name(team)}",
        )
        for owner, team, path in cases
    ]


@pytest.mark.parametrize(("kind", "owner", "team", "path"), [p for k in KINDS for p in _refused(k)])
def test_assign_refuses_wrong_types_and_changes_nothing(kind, owner, team, path):
    created = kind.new(REP1, SBY)
    events = created.pending_events
    before = to_dict(created)
    with pytest.raises(InvalidType) as raised:
        created.assign(owner, team, at=T0 + HOUR)
    assert raised.value.path == path
    assert owner_of(kind, created) == (REP1, SBY)
    assert created.pending_events == events
    assert to_dict(created) == before


@each_kind
def test_assign_refuses_a_time_before_the_last_change(kind):
    moved = kind.new().assign(REP2, at=T0 + 2 * HOUR)
    before = to_dict(moved)
    for at in (T0 + HOUR, T0 - HOUR):
        with pytest.raises(ValidationError) as raised:
            moved.assign(REP1, JKT, at=at)
        assert (raised.value.path, raised.value.code) == ("$.at", "time_backwards")
    with pytest.raises(ValidationError) as raised:
        moved.assign(REP1, JKT, at=datetime(2026, 3, 2, 12, 0))  # noqa: DTZ001 - naive on purpose
    assert raised.value.code == "naive_datetime"
    assert to_dict(moved) == before


@pytest.mark.parametrize("kind", [k for k in KINDS if k.personal], ids=str)
def test_no_personal_data_in_the_assignment_event_or_repr(kind):
    moved = kind.new(REP1, JKT).assign(REP2, SBY, at=T0 + HOUR)
    document = str(to_dict(moved.pending_events[-1]))
    for text in kind.personal:
        assert text not in document
        assert text not in repr(moved)
        assert text not in repr(moved.pending_events[-1])


# -- documents ------------------------------------------------------------------------------


@each_kind
def test_new_documents_round_trip(kind):
    moved = kind.new(REP1, JKT).assign(REP2, SBY, at=T0 + HOUR, **META)
    loaded = from_dict(kind.cls, json.loads(json.dumps(to_dict(moved))))
    assert loaded == moved
    assert owner_of(kind, loaded) == (REP2, SBY)
    for event in moved.pending_events:
        document = json.loads(json.dumps(to_dict(event)))
        assert from_dict(DomainEvent, document) == event
        assert from_dict(type(event), document) == event
    document = to_dict(moved.pending_events[-1])
    assert (document["type"], document[kind.field], document[kind.previous]) == (
        kind.assigned.__name__,
        "rep-2",
        "rep-1",
    )
    assert (document["team"], document["previous_team"]) == ("team-sby", "team-jkt")


@each_kind
def test_documents_written_before_owners_or_teams_still_load(kind):
    created = kind.new()
    document = to_dict(created)
    creation = document["pending_events"][0]
    assert creation["type"] == kind.created.__name__
    for name in kind.since:
        del document[name]
        del creation[name]
    loaded = from_dict(kind.cls, document)
    assert loaded == created
    nobody = REP1 if kind.required else None
    assert owner_of(kind, loaded) == (nobody, None)
    assert (getattr(loaded.pending_events[0], kind.field), loaded.pending_events[0].team) == (
        nobody,
        None,
    )
    stored = to_dict(created.without_pending_events())
    for name in kind.since:
        del stored[name]
    assert owner_of(kind, from_dict(kind.cls, stored)) == (nobody, None)


@pytest.mark.parametrize("kind", [k for k in KINDS if "owner" not in k.since], ids=str)
def test_assignments_written_before_teams_still_load(kind):
    moved = kind.new(REP1).assign(REP2, at=T0 + HOUR)
    document = to_dict(moved)
    del document["team"]
    for event in document["pending_events"]:
        event.pop("team", None)
        event.pop("previous_team", None)
    loaded = from_dict(kind.cls, document)
    assert loaded == moved
    assert loaded.team is None
    created, assigned = loaded.pending_events
    assert created.team is None
    assert change(kind, assigned) == (REP2, REP1, None, None)


@each_kind
@pytest.mark.parametrize(
    ("field", "value"),
    [("owner", "ana.putri@example.com"), ("team", "not an id!"), ("team", 12)],
)
def test_a_stored_document_with_a_bad_owner_or_team_is_refused(kind, field, value):
    name = kind.field if field == "owner" else field
    document = to_dict(kind.new())
    document[name] = value  # an id never looks like an email address
    with pytest.raises(ValidationError) as raised:
        from_dict(kind.cls, document)
    assert any(problem.path == f"$.{name}" for problem in raised.value.problems)


@each_kind
def test_saving_an_assignment_bumps_the_version_and_keeps_owner_and_team(kind):
    uow = InMemoryUnitOfWork(check_references=False)
    created = kind.new()
    with uow:
        getattr(uow, kind.repository).add(created)
        uow.commit()
    with uow:
        stored = getattr(uow, kind.repository).get(created.id)
        saved = getattr(uow, kind.repository).save(stored.assign(REP2, JKT, at=T0 + HOUR))
        uow.commit()
    assert saved.version == stored.version + 1
    with uow:
        loaded = getattr(uow, kind.repository).get(created.id)
    assert (*owner_of(kind, loaded), loaded.version) == (REP2, JKT, saved.version)
    assert [e.type for e in uow.collect_events()][-1] == kind.assigned.__name__


# -- property: many assignment sequences ----------------------------------------------------

TEAM_CHOICES = st.sampled_from([..., None, JKT, SBY])


def _steps(kind: Owned) -> st.SearchStrategy[list[tuple[Any, Any, int]]]:
    staff = [REP1, REP2, StaffId("rep-3")] if kind.required else [None, REP1, REP2]
    return st.lists(
        st.tuples(st.sampled_from(staff), TEAM_CHOICES, st.integers(min_value=-2, max_value=3))
    )


@each_kind
@given(data=st.data())
def test_owner_and_team_follow_the_last_assignment(kind, data):
    current = data.draw(kind.strategy())
    for owner, team, hours in data.draw(_steps(kind)):
        at = current.updated_at + timedelta(hours=hours)
        if hours < 0:
            with pytest.raises(ValidationError) as raised:
                current.assign(owner, team, at=at)
            assert raised.value.code == "time_backwards"
            continue
        wanted_team = current.team if team is ... else team
        after = current.assign(owner, team, at=at)
        if (owner, wanted_team) == owner_of(kind, current):
            assert after is current
            continue
        assert after.sequence == current.sequence + 1
        assert after.pending_events[:-1] == current.pending_events
        event = after.pending_events[-1]
        assert isinstance(event, kind.assigned)
        assert owner_of(kind, after) == (owner, wanted_team)
        previous_owner, previous_team = owner_of(kind, current)
        assert change(kind, event) == (owner, previous_owner, wanted_team, previous_team)
        assert event.sequence == after.sequence
        assert event.occurred_at == after.updated_at == at
        current = after
    changes = [e for e in current.pending_events if isinstance(e, (kind.created, kind.assigned))]
    if changes:  # the last event that set them: the last assignment, or the creation
        assert (getattr(changes[-1], kind.field), changes[-1].team) == owner_of(kind, current)
    times = [e.occurred_at for e in current.pending_events]
    assert times == sorted(times)
    assert from_dict(kind.cls, to_dict(current)) == current
