"""One behaviour everywhere: the kernel's rules, checked once for every aggregate type.

Every aggregate builds on the one base, so every aggregate must:

- record events that carry the one envelope (sequence 1, 2, 3 ... without gaps, a
  derived ``event_id``, its kind and id, times in order, at most its last change);
- refuse a command dated before its last change, with code ``time_backwards``,
  and stay unchanged;
- pass ``actor``, ``correlation_id`` and ``causation_id`` through to its events and
  refuse any other unknown keyword;
- refuse, when loading, pending events of another aggregate, and a last change
  dated before what its own data records;
- load its documents of schema version 1;
- refuse a status change its machine does not allow with ``TransitionNotAllowed``
  (code ``transition``).
"""

import gc
import types
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import CustomerId, Money, PersonName, StaffId, TransitionNotAllowed, ValidationError
from crmcore._kernel._aggregate import Aggregate, Command, _compile_maker
from crmcore._kernel._events import EventDraft
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    PaymentId,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
)
from crmcore.customers import Customer
from crmcore.errors import InvalidType
from crmcore.events import DomainEvent
from crmcore.feedback import Review, SurveyResponse
from crmcore.interactions import Interaction
from crmcore.lifecycle import RELATIONSHIP_LADDER
from crmcore.loyalty import LoyaltyAccount
from crmcore.sales import (
    STANDARD_PIPELINE,
    Lead,
    LeadId,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityId,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.service import Case, CaseId
from crmcore.testing import strategies as crm

SECOND = timedelta(seconds=1)
MICROSECOND = timedelta(microseconds=1)
TOO_MANY = [HealthCheck.too_slow, HealthCheck.filter_too_much]


def _subscription_touch(sub: Subscription, at: Any, **meta: Any) -> Subscription:
    return sub.record_failed_payment(
        PaymentId(f"fail-{sub.sequence}"), sub.fee, at=at, reason="card_declined", **meta
    )


#: Commands that record at least one event on most aggregates of each type; a draw
#: where none applies is skipped by ``_touched``.
TOUCHES: dict[type, list[Callable[..., Any]]] = {
    Customer: [lambda c, at, **m: c.add_tag(f"touch-{c.sequence}", at=at, **m)],
    Interaction: [lambda i, at, **m: i.link(case_id=CaseId(f"case-t{i.sequence}"), at=at, **m)],
    Order: [
        lambda o, at, **m: o.record_failed_payment(
            PaymentId(f"fail-{o.sequence}"), o.total, at=at, **m
        ),
        lambda o, at, **m: o.refund(Money("0.01", o.currency), at=at, reason="goodwill", **m),
        lambda o, at, **m: o.fulfil(at=at, **m),
        lambda o, at, **m: o.cancel(at=at, **m),
    ],
    Subscription: [_subscription_touch, lambda s, at, **m: s.cancel(at=at, **m)],
    Case: [lambda c, at, **m: c.assign(StaffId(f"agent-t{c.sequence}"), at=at, **m)],
    Review: [lambda r, at, **m: r.answer(at=at, **m)],
    LoyaltyAccount: [lambda a, at, **m: a.adjust(1, at=at, reason="goodwill", **m)],
    Lead: [lambda lead, at, **m: lead.assign(StaffId(f"agent-t{lead.sequence}"), at=at, **m)],
    Opportunity: [lambda o, at, **m: o.assign(StaffId(f"agent-t{o.sequence}"), at=at, **m)],
}

STRATEGIES: dict[type, Callable[[], st.SearchStrategy[Any]]] = {
    Customer: crm.customers,
    Interaction: crm.interactions,
    Order: crm.orders,
    Subscription: crm.subscriptions,
    Case: crm.cases,
    SurveyResponse: crm.survey_responses,
    Review: crm.reviews,
    LoyaltyAccount: crm.loyalty_accounts,
    Lead: crm.leads,
    Opportunity: crm.opportunities,
}
ALL = list(STRATEGIES)
COMMANDED = list(TOUCHES)


def _ids(cls: type) -> str:
    return cls.__name__


def _touched(aggregate: Any, at: Any, **meta: Any) -> tuple[Any, Callable[..., Any]] | None:
    """The aggregate after the first touch that records an event at ``at``, and that touch."""
    for touch in TOUCHES[type(aggregate)]:
        try:
            changed = touch(aggregate, at, **meta)
        except ValidationError:
            continue
        if changed.sequence > aggregate.sequence:
            return changed, touch
    return None


def aggregates(cls: type) -> st.SearchStrategy[Any]:
    return STRATEGIES[cls]()


# -- events -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_events_carry_the_envelope(cls, data):
    """Sequences run 1..n without gaps, ids are derived, kinds and ids match, times in order."""
    aggregate = data.draw(aggregates(cls))
    events = aggregate.pending_events
    assert events
    assert list(range(1, len(events) + 1)) == [e.sequence for e in events]
    assert len(events) == aggregate.sequence
    for event in events:
        assert isinstance(event, DomainEvent)
        assert aggregate.aggregate_kind == event.aggregate_kind
        assert aggregate.id.value == event.aggregate_id
        expected = f"{aggregate.aggregate_kind}:{aggregate.id.value}#{event.sequence}"
        assert expected == event.event_id
    times = [e.occurred_at for e in events]
    assert sorted(times) == times
    assert aggregate.created_at == times[0]
    assert times[-1] <= aggregate.updated_at


@pytest.mark.parametrize("cls", ALL, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_aggregates_and_their_events_round_trip(cls, data):
    """Every aggregate, with its pending events, survives a trip through JSON documents."""
    aggregate = data.draw(aggregates(cls))
    again = from_dict(type(aggregate), to_dict(aggregate))
    assert aggregate == again
    assert aggregate.pending_events == again.pending_events
    assert (aggregate.sequence, aggregate.updated_at) == (again.sequence, again.updated_at)


# -- the time rule and the envelope keywords -------------------------------------------------


@pytest.mark.parametrize("cls", COMMANDED, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_a_command_dated_before_the_last_change_is_refused(cls, data):
    """Times never go backwards: ``time_backwards`` at ``$.at``, and nothing changes."""
    aggregate = data.draw(aggregates(cls))
    later = aggregate.updated_at + data.draw(st.integers(0, 3600)) * SECOND
    found = _touched(aggregate, later)
    if found is None:
        return
    _, touch = found
    before = to_dict(aggregate)
    with pytest.raises(ValidationError) as info:
        touch(aggregate, aggregate.updated_at - MICROSECOND)
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    assert before == to_dict(aggregate)


@pytest.mark.parametrize("cls", COMMANDED, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_commands_pass_the_envelope_through(cls, data):
    """The actor, correlation and causation ids a command is given reach every event it records."""
    aggregate = data.draw(aggregates(cls)).without_pending_events()
    meta = {"actor": "agent-7", "correlation_id": "req-1", "causation_id": "order:o-1#3"}
    found = _touched(aggregate, aggregate.updated_at, **meta)
    if found is None:
        return
    changed, _ = found
    new = changed.pending_events
    assert new
    assert [aggregate.sequence + n for n in range(1, len(new) + 1)] == [e.sequence for e in new]
    for event in new:
        assert ("agent-7", "req-1", "order:o-1#3") == (
            event.actor,
            event.correlation_id,
            event.causation_id,
        )
        assert aggregate.updated_at == event.occurred_at
    assert aggregate.updated_at == changed.updated_at


@pytest.mark.parametrize("cls", COMMANDED, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_unknown_keywords_are_refused(cls, data):
    """A misspelled envelope keyword is an error, never silently ignored."""
    aggregate = data.draw(aggregates(cls))
    at = aggregate.updated_at + SECOND
    if _touched(aggregate, at) is None:
        return
    with pytest.raises(InvalidType) as info:
        _touched_strict(aggregate, at, actr="agent-7")
    assert "unknown_keyword" == info.value.code


def _touched_strict(aggregate: Any, at: Any, **meta: Any) -> Any:
    last: ValidationError | None = None
    for touch in TOUCHES[type(aggregate)]:
        try:
            return touch(aggregate, at, **meta)
        except InvalidType:
            raise
        except ValidationError as exc:
            last = exc
    raise AssertionError(f"no touch applied: {last}")


# -- loading ------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_events_of_another_aggregate_are_refused_on_load(cls, data):
    """A stored document cannot smuggle in events that belong to another aggregate."""
    aggregate = data.draw(aggregates(cls))
    document = to_dict(aggregate)
    event = document["pending_events"][0]
    field = type(aggregate.pending_events[0]).aggregate_id_field
    event[field] = "someone-else"
    event.pop("event_id")
    event.pop("aggregate_id")
    with pytest.raises(ValidationError) as info:
        from_dict(type(aggregate), document)
    assert "foreign_event" in {p.code for p in info.value.problems}


#: Aggregates whose events carry the customer's id besides their own.
WITH_CUSTOMER = [cls for cls in ALL if cls not in (Customer, Lead)]


@pytest.mark.parametrize("cls", WITH_CUSTOMER, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_events_naming_another_customer_are_refused_on_load(cls, data):
    """The ids an aggregate stamps on its events must match its own (customer_id here)."""
    aggregate = data.draw(aggregates(cls))
    document = to_dict(aggregate)
    event = document["pending_events"][-1]
    event["customer_id"] = "someone-else"
    with pytest.raises(ValidationError) as info:
        from_dict(type(aggregate), document)
    assert ("foreign_event", ".customer_id") in {
        (p.code, p.path[p.path.rfind(".") :]) for p in info.value.problems
    }


@pytest.mark.parametrize("cls", ALL, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_a_last_change_before_the_data_is_refused_on_load(cls, data):
    """``updated_at`` before the creation time is impossible."""
    aggregate = data.draw(aggregates(cls))
    document = to_dict(aggregate.without_pending_events())
    document["updated_at"] = (aggregate.created_at - SECOND).isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(type(aggregate), document)
    assert "time_backwards" in {p.code for p in info.value.problems}


@pytest.mark.parametrize("cls", ALL, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data())
def test_schema_1_documents_load(cls, data):
    """A document written before the kernel (its own field names, no sequence) still loads."""
    aggregate = data.draw(aggregates(cls)).without_pending_events()
    document = to_dict(aggregate)
    concrete = type(aggregate)
    old_names = {new: old for old, new in concrete.v1_renames.items()}
    v1 = {old_names.get(key, key): value for key, value in document.items()}
    del v1["sequence"]
    v1.pop("updated_at")
    v1["schema_version"] = 1
    loaded = from_dict(type(aggregate), v1)
    kernel_only = {"sequence", "updated_at"}
    assert {k: v for k, v in document.items() if k not in kernel_only} == {
        k: v for k, v in to_dict(loaded).items() if k not in kernel_only
    }
    assert 0 == loaded.sequence
    assert aggregate.created_at <= loaded.updated_at <= aggregate.updated_at


# -- status machines ----------------------------------------------------------------------


def _refused_moves() -> list[tuple[str, Callable[[], Any]]]:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    later = at + timedelta(days=1)
    who = CustomerId("c-1")
    case = Case.open(
        CaseId("case-1"), customer_id=who, kind="question", subject="Hi", channel="email", at=at
    )
    order = Order.place(
        OrderId("o-1"),
        customer_id=who,
        lines=[OrderLine(ProductId("sku-1"), 1, Money("10.00", "USD"), category="books")],
        at=at,
    )
    plan = Plan(
        id=PlanId("plan-1"),
        name="Basic",
        price=Money("9.99", "USD"),
        period=Period.months(1),
        product_type="streaming",
    )
    sub = Subscription.start(SubscriptionId("s-1"), customer_id=who, plan=plan, at=at)
    lead = Lead.capture(LeadId("lead-1"), name=PersonName("Ana"), source=LeadSource.WEB, at=at)
    deal = Opportunity.open(
        OpportunityId("opp-1"),
        customer_id=who,
        name="Fleet renewal",
        amount=Money("100", "USD"),
        expected_close=date(2026, 6, 30),
        owner=StaffId("agent-1"),
        pipeline=STANDARD_PIPELINE,
        at=at,
    )
    customer = Customer.register(who, name=PersonName("Ana"), at=at)
    return [
        ("case", lambda: case.close(at=later)),
        ("order", lambda: order.cancel(at=later).close(at=later)),
        ("subscription", lambda: sub.cancel(at=at, immediately=True).renew(at=later)),
        ("lead", lambda: lead.change_status(LeadStatus.CONVERTED, at=later)),
        ("opportunity", lambda: deal.reopen(pipeline=STANDARD_PIPELINE, at=later)),
        (
            "relationship_ladder",
            lambda: RELATIONSHIP_LADDER.fire(customer, "become_partner", at=later),
        ),
    ]


@pytest.mark.parametrize(
    ("machine", "move"), _refused_moves(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_refused_status_changes_are_transition_not_allowed(machine, move):
    """Every status machine, and every lifecycle, refuses with one error type and one code."""
    with pytest.raises(TransitionNotAllowed) as info:
        move()
    error = info.value
    assert ("transition", machine) == (error.code, error.machine)
    assert error.current is not None
    assert isinstance(error.allowed, tuple)


# -- recording events: the makers and the events sound by construction --------------------


@pytest.mark.parametrize("cls", COMMANDED, ids=_ids)
@settings(suppress_health_check=TOO_MANY)
@given(data=st.data(), meta=st.sampled_from([{}, {"actor": "staff-1", "causation_id": "x:y#1"}]))
def test_recorded_events_are_what_their_classes_build(cls, data, meta):
    """Every event a command records equals the event its class builds from the same fields.

    The kernel builds events through makers (the envelope converted once per
    command) and does not check sound events again: both must leave the
    events exactly as the classes' own constructors and checks would.
    """
    aggregate = data.draw(aggregates(cls))
    touched = _touched(aggregate, aggregate.updated_at, **meta)
    if touched is None:
        return
    changed = touched[0]
    for event in changed.pending_events:
        fields = {f.alias or f.name: getattr(event, f.name) for f in attrs.fields(type(event))}
        rebuilt = type(event)(**fields)
        assert rebuilt == event
        assert repr(rebuilt) == repr(event)
    changed._check_events()  # the checks skipped for sound events pass
    for event in changed.pending_events[len(aggregate.pending_events) :]:
        assert event.actor == meta.get("actor")
        assert event.causation_id == meta.get("causation_id")


@attrs.frozen(slots=True, kw_only=True)
class _Probe(DomainEvent, aggregate="order"):
    """An order event with a converter, a validator, a default and a factory (never registered)."""

    abstract_event: ClassVar[bool] = True

    order_id: OrderId
    customer_id: CustomerId
    code: str = attrs.field(converter=str.lower)
    count: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    notes: tuple[str, ...] = attrs.field(factory=tuple)


@attrs.frozen(slots=True, kw_only=True)
class _Foreign(DomainEvent, aggregate="customer", id_field="customer_id"):
    """An event of another aggregate kind with an order's fields (never registered)."""

    abstract_event: ClassVar[bool] = True

    order_id: OrderId
    customer_id: CustomerId


def _placed() -> Order:
    line = OrderLine(ProductId("cd"), 1, Money("5.00", "USD"), category="music")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Order.place(OrderId("o-1"), customer_id=CustomerId("c-1"), lines=[line], at=at)


def test_a_maker_builds_what_the_class_builds():
    """Converters, validators, defaults and factories run as the attrs __init__ runs them."""
    make = _compile_maker(_Probe, ("order_id", "customer_id"), ("code",))
    assert make is not None
    at = datetime(2026, 1, 1, tzinfo=UTC)
    own = (OrderId("o-1"), CustomerId("c-1"))
    made = make(3, at, "staff-1", None, None, own, {"code": "ABC"})
    built = _Probe(
        sequence=3, occurred_at=at, actor="staff-1", order_id=own[0], customer_id=own[1], code="ABC"
    )
    assert made == built
    assert (made.code, made.count, made.notes) == ("abc", 1, ())
    make_bad = _compile_maker(_Probe, ("order_id", "customer_id"), ("code", "count"))
    assert make_bad is not None
    with pytest.raises(ValueError, match="count") as from_maker:
        make_bad(1, at, None, None, None, own, {"code": "a", "count": 0})
    with pytest.raises(ValueError, match="count") as from_class:
        _Probe(sequence=1, occurred_at=at, order_id=own[0], customer_id=own[1], code="a", count=0)
    assert str(from_maker.value) == str(from_class.value)


def test_a_maker_checks_the_drafted_fields_types():
    """The event's own field checks run on what the draft gives."""
    make = _compile_maker(_Probe, ("order_id", "customer_id"), ("code", "notes"))
    assert make is not None
    at = datetime(2026, 1, 1, tzinfo=UTC)
    own = (OrderId("o-1"), CustomerId("c-1"))
    with pytest.raises(ValidationError) as info:
        make(1, at, None, None, None, own, {"code": "a", "notes": ("bad\x00text",)})
    assert info.value.path == "$.notes[0]"


@attrs.frozen(slots=True, kw_only=True)
class _Ruled(DomainEvent, aggregate="order"):
    """An order event with a rule of its own and text items (never registered)."""

    abstract_event: ClassVar[bool] = True

    order_id: OrderId
    customer_id: CustomerId
    codes: tuple[str, ...]
    count: int

    def _check(self) -> None:
        if self.count > len(self.codes):
            raise ValidationError("must not exceed the codes", path="$.count", code="range")


@attrs.frozen(slots=True, kw_only=True)
class _PostInit(DomainEvent, aggregate="order"):
    """An order event with its own __attrs_post_init__ (never registered)."""

    abstract_event: ClassVar[bool] = True
    seen: ClassVar[list[str]] = []

    order_id: OrderId
    customer_id: CustomerId

    def __attrs_post_init__(self) -> None:
        type(self).seen.append(self.order_id.value)
        super().__attrs_post_init__()


def _outcome(build: Callable[[], object]) -> object:
    """What building gives: the event, or the error's class, path, code and message."""
    try:
        return build()
    except ValidationError as error:
        return (type(error), error.path, error.code, str(error))


_RULED_DRAFTS = [
    {"codes": ("a", "b"), "count": 2},  # good
    {"codes": ("a",), "count": 2},  # the class's own rule
    {"codes": ("a", "b\x00"), "count": 1},  # text of a later item
    {"codes": ("a", 3), "count": 1},  # an item of the wrong type
    {"codes": ["a"], "count": 1},  # not a tuple
    {"codes": (), "count": "1"},  # a field of the wrong type, before any text
    {"codes": ("\x01",), "count": True},  # types first, then text
    {"codes": ("x" * 201,), "count": 9},  # text before the class's rule
]


@pytest.mark.parametrize("drafted", _RULED_DRAFTS)
def test_a_makers_written_out_checks_give_what_the_class_gives(drafted):
    """The maker runs the event's checks on the values it set: same events, same first error."""
    make = _compile_maker(_Ruled, ("order_id", "customer_id"), ("codes", "count"))
    assert make is not None
    at = datetime(2026, 1, 1, tzinfo=UTC)
    own = (OrderId("o-1"), CustomerId("c-1"))
    made = _outcome(lambda: make(4, at, "staff-1", None, None, own, drafted))
    built = _outcome(
        lambda: _Ruled(
            sequence=4,
            occurred_at=at,
            actor="staff-1",
            order_id=own[0],
            customer_id=own[1],
            **drafted,
        )
    )
    assert made == built
    assert repr(made) == repr(built)


def test_item_and_text_checks_name_the_item_that_breaks_them():
    """The shortcuts for tuples whose items all pass keep the paths of the item-by-item checks."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    own = {"order_id": OrderId("o-1"), "customer_id": CustomerId("c-1")}
    with pytest.raises(InvalidType) as wrong:
        _Ruled(sequence=1, occurred_at=at, codes=("a", "b", 3), count=1, **own)
    assert wrong.value.path == "$.codes[2]"
    with pytest.raises(ValidationError) as text:
        _Ruled(sequence=1, occurred_at=at, codes=("a", "b", "c\x00"), count=1, **own)
    assert (text.value.path, text.value.code) == ("$.codes[2]", "control")


def test_a_maker_runs_an_events_own_post_init():
    """An event class with its own __attrs_post_init__ is built through it, as its class builds it."""
    make = _compile_maker(_PostInit, ("order_id", "customer_id"), ())
    assert make is not None
    at = datetime(2026, 1, 1, tzinfo=UTC)
    _PostInit.seen.clear()
    made = make(1, at, None, None, None, (OrderId("o-7"), CustomerId("c-1")), {})
    assert _PostInit.seen == ["o-7"]
    assert made == _PostInit(
        sequence=1, occurred_at=at, order_id=OrderId("o-7"), customer_id=CustomerId("c-1")
    )


def test_a_draft_is_the_draft_its_class_builds():
    """``Event.draft`` sets the draft's slots itself: equal to ``EventDraft(cls, fields)``."""
    fields = {"codes": ("a",), "count": 1}
    draft = _Ruled.draft(**fields)
    assert draft == EventDraft(_Ruled, fields)
    assert repr(draft) == repr(EventDraft(_Ruled, fields))
    assert hash(draft.cls) == hash(_Ruled)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        draft.cls = _Probe  # type: ignore[misc]


def test_no_maker_for_names_the_class_does_not_take():
    """Unknown, repeated or missing names leave the event to its class (which raises)."""
    assert _compile_maker(_Probe, ("order_id", "customer_id"), ("nope",)) is None
    assert _compile_maker(_Probe, ("order_id", "customer_id"), ("order_id", "code")) is None
    assert _compile_maker(_Probe, ("order_id",), ("customer_id",)) is None  # code is mandatory
    order = _placed()
    command = order._begin(order.updated_at, {})
    with pytest.raises(TypeError):
        order._record(command, _Probe.draft(nope=1))


def test_an_event_of_another_kind_is_still_refused():
    """A draft of another aggregate's event is not sound: the recorded events are checked."""
    order = _placed()
    command = order._begin(order.updated_at, {})
    with pytest.raises(ValidationError) as info:
        order._record(command, _Foreign.draft())
    assert info.value.code == "foreign_event"
    assert info.value.path == "$.pending_events[1]"


def test_sound_events_of_a_new_kind_of_event_are_recorded_in_sequence():
    """A maker-built event of the aggregate's kind continues the sequence at the command's time."""
    order = _placed()
    later = order.updated_at + timedelta(days=1)
    changed = order._record(order._begin(later, {"actor": "staff-9"}), _Probe.draft(code="X"))
    event = changed.pending_events[-1]
    assert isinstance(event, _Probe)
    assert (event.sequence, event.occurred_at, event.actor) == (2, later, "staff-9")
    assert changed.updated_at == later
    assert changed.sequence == 2
    changed._check_events()


def test_an_invalid_envelope_is_refused_as_the_events_refuse_it():
    """The envelope is converted once per command, with the events' converters."""
    order = _placed()
    command = Command(order.updated_at, actor="not an id!")
    with pytest.raises(ValidationError) as info:
        order._record(command, _Probe.draft(code="x"))
    with pytest.raises(ValidationError) as expected:
        _Probe(
            sequence=2,
            occurred_at=order.updated_at,
            actor="not an id!",
            order_id=order.id,
            customer_id=order.customer_id,
            code="x",
        )
    assert (info.value.path, info.value.code) == (expected.value.path, expected.value.code)


def _aggregate_classes() -> list[type[Aggregate[Any]]]:
    found: list[type[Aggregate[Any]]] = []
    pending: list[type[Aggregate[Any]]] = [Aggregate]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            found.append(sub)
    return found


def test_declared_event_field_inputs_are_all_that_event_fields_read():
    """A class declaring ``event_field_inputs`` reads no other field in ``_event_fields``.

    ``_changed`` relies on it to keep the events held without comparing the
    event fields again; an object holding only the declared fields must do.
    """
    declared = [cls for cls in _aggregate_classes() if cls.event_field_inputs is not None]
    assert Order in declared
    order = _placed()
    for cls in declared:
        inputs = cls.event_field_inputs
        assert inputs is not None
        fields = {f.alias or f.name: f.name for f in attrs.fields(cls)}
        assert inputs <= fields.keys()
        if cls is Order:
            only = types.SimpleNamespace(
                **{fields[name]: getattr(order, fields[name]) for name in inputs}
            )
            assert Order._event_fields(only) == order._event_fields()  # type: ignore[arg-type]


def test_a_subclass_with_its_own_event_fields_is_compared_again():
    """Overriding ``_event_fields`` without declaring its inputs drops the inherited declaration."""

    @attrs.frozen(slots=True, kw_only=True, repr=False)
    class _Tagged(Order):
        def _event_fields(self) -> dict[str, object]:
            return {**super()._event_fields(), "status": self.status}

    assert Order.event_field_inputs == frozenset({"id", "customer_id"})
    assert _Tagged.event_field_inputs is None
    del _Tagged
    gc.collect()  # leave no subclass of Order behind for the tests that walk subclasses


def test_recording_keeps_the_events_held_only_while_their_fields_hold():
    """A payment recorded after placing leaves the placed event known good; a re-pointing does not."""
    order = _placed()
    paid = order.record_payment(PaymentId("p-1"), Money("5.00", "USD"), at=order.updated_at)
    paid._check_events()
    moved = paid.repoint_customer(CustomerId("c-1"), CustomerId("c-2"), at=paid.updated_at)
    assert [e.type for e in moved.pending_events][-1] == "OrderCustomerRepointed"
    moved._check_events()
