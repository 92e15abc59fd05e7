"""The converter's faster hooks and memos give the documents and classes the plain path gives."""

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import CustomerId, DomainEvent, Money
from crmcore import serialization as ser
from crmcore._kernel._events import event_classes_defined
from crmcore.customers import CustomerEvent, CustomerTagAdded
from crmcore.errors import ValidationError
from crmcore.events import event_types
from crmcore.serialization import from_dict, make_converter, to_dict
from crmcore.testing import strategies as crm

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SOME = settings(suppress_health_check=[HealthCheck.too_slow])

#: Strategies of documents of every kind: aggregates (with and without events), events, values.
SHAPES = {
    "customers": crm.customers(),
    "customers-stored": crm.customers(pending_events=False),
    "orders": crm.orders(),
    "order_lines": crm.order_lines(),
    "subscriptions": crm.subscriptions(),
    "domain_events": crm.domain_events(),
    "moneys": crm.moneys(places=8),
    "profiles": crm.profiles(),
    "consent_records": crm.consent_records(),
    "lifecycle_states": crm.lifecycle_states(),
    "loyalty_accounts": crm.loyalty_accounts(),
    "reviews": crm.reviews(),
    "survey_responses": crm.survey_responses(),
    "interactions": crm.interactions(),
    "cases": crm.cases(),
    "leads": crm.leads(),
    "opportunities": crm.opportunities(),
}

#: The converter without the faster hooks: what documents were before them.
PLAIN = ser._build_converter(plans=False)


def typed(node: object) -> object:
    """The document with each leaf's exact type beside it (a str enum member is not a str)."""
    if isinstance(node, dict):
        return {key: typed(value) for key, value in node.items()}
    if isinstance(node, list):
        return [typed(item) for item in node]
    return [type(node).__qualname__, node]


def text(document: object) -> str:
    """The document as JSON text in its own key order, with its leaves' types."""
    assert type(document) is dict
    return json.dumps(typed(document), ensure_ascii=False)


@pytest.mark.parametrize("strategy", SHAPES.values(), ids=list(SHAPES))
def test_documents_are_byte_identical_to_the_plain_converter(strategy):
    """Same keys, in the same order, with the same values and types, as the plain hooks give."""

    @SOME
    @given(strategy)
    def check(value):
        expected = PLAIN.unstructure(value)
        assert text(expected) == text(ser._CONVERTER.unstructure(value))
        assert text(expected) == text(make_converter().unstructure(value))

    check()


def test_odd_decimals_and_empty_collections_match_the_plain_converter():
    """Exponent decimals, negative zero and empty tuples: the edge cases of the faster hooks."""
    for amount in (
        "1E+2",
        "0E-8",
        "-0.00",
        "12345678901234567890.5",
        "1.000000000000000000000000000001",
    ):
        money = Money(Decimal(amount), "USD")
        assert text(PLAIN.unstructure(money)) == text(ser._CONVERTER.unstructure(money))
    event = CustomerTagAdded(customer_id=CustomerId("c-1"), sequence=1, occurred_at=AT, tag="vip")
    assert text(PLAIN.unstructure(event)) == text(ser._CONVERTER.unstructure(event))


def test_event_documents_carry_the_envelope_first():
    """The envelope keys come first, as the event's own properties give them."""
    event = CustomerTagAdded(customer_id=CustomerId("c-9"), sequence=3, occurred_at=AT, tag="t")
    document = to_dict(event)
    assert ["type", "event_id", "aggregate_kind", "aggregate_id"] == list(document)[:4]
    assert event.event_id == document["event_id"] == "customer:c-9#3"
    assert event.aggregate_id == document["aggregate_id"]


@attrs.frozen(slots=True, kw_only=True)
class RenumberedEvent(CustomerEvent):
    """An event class that computes its own event id (the plan must ask the event)."""

    note: str

    @property
    def event_id(self) -> str:
        """Another id scheme."""
        return f"renumbered-{self.customer_id.value}-{self.sequence}"


def test_an_event_class_with_its_own_envelope_is_asked_for_it():
    """A class overriding ``event_id`` gets its own id in the document, not the default one."""
    event = RenumberedEvent(customer_id=CustomerId("c-1"), sequence=2, occurred_at=AT, note="n")
    document = to_dict(event)
    assert "renumbered-c-1-2" == document["event_id"]
    assert text(PLAIN.unstructure(event)) == text(ser._CONVERTER.unstructure(event))
    assert event == from_dict(DomainEvent, document)


def test_event_classes_defined_counts_every_class_statement():
    """The count grows with each new event class, so kept lookups are refreshed."""
    before = event_classes_defined()

    class Local(DomainEvent):  # not a module attribute: event_types() leaves it out
        __slots__ = ()

    assert event_classes_defined() > before
    assert "Local" not in event_types()


def test_the_event_lookup_finds_classes_defined_after_it_was_first_used():
    """A class defined (and bound in its module) after a lookup is found by the next load."""
    document = to_dict(
        CustomerTagAdded(customer_id=CustomerId("c-1"), sequence=1, occurred_at=AT, tag="a")
    )
    from_dict(DomainEvent, document)  # the lookup is filled now
    module = sys.modules[__name__]

    @attrs.frozen(slots=True, kw_only=True)
    class LateEvent(CustomerEvent):
        """Defined after the first lookup."""

        note: str

    late = LateEvent(customer_id=CustomerId("c-2"), sequence=1, occurred_at=AT, note="x")
    late_document = to_dict(late)
    with pytest.raises(ValidationError) as info:  # not a module attribute: unknown, as before
        from_dict(DomainEvent, late_document)
    assert "$.type" == info.value.path
    LateEvent.__qualname__ = "LateEvent"
    module.LateEvent = LateEvent  # type: ignore[attr-defined]
    try:
        assert late == from_dict(DomainEvent, late_document)
        assert event_types()["LateEvent"] is ser._HOOKS.event_type("LateEvent")
    finally:
        del module.LateEvent  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):  # unbound again: the kept answer is not trusted
        from_dict(DomainEvent, late_document)


def test_the_event_lookup_agrees_with_event_types():
    """Every known type name gives the class ``event_types()`` gives; others give None."""
    hooks = ser._HOOKS
    for name, cls in event_types().items():
        assert cls is hooks.event_type(name)
    assert hooks.event_type("NoSuchEvent") is None
    assert hooks.event_type("CustomerEvent") is None  # an abstract base


# -- the shape check -------------------------------------------------------------------------


def reference_check_shape(data: object) -> None:
    """The shape check as it was before strings within the limits were left off its stack."""
    stack: list[tuple[object, int, object]] = [(data, 0, None)]
    nodes = 0
    while stack:
        entry = stack.pop()
        value, depth, _ = entry
        if depth > ser.MAX_DEPTH:
            raise ValidationError("deep", path=ser._path_of(entry), code="too_deep")
        if isinstance(value, str):
            if len(value) > ser.MAX_STRING:
                raise ValidationError("long", path=ser._path_of(entry), code="too_long")
            continue
        if isinstance(value, (list, tuple)) and len(value) > ser.MAX_ITEMS:
            raise ValidationError("many", path=ser._path_of(entry), code="too_many")
        nodes += len(value)  # type: ignore[arg-type]
        if nodes > ser.MAX_NODES:
            raise ValidationError("large", code="too_large")
        pairs = value.items() if isinstance(value, dict) else enumerate(value)  # type: ignore[union-attr]
        stack.extend(
            (child, depth + 1, (entry, key))
            for key, child in pairs
            if isinstance(child, (dict, list, tuple, str))
        )


def first_fault(check, data):
    """The (code, path) of the fault ``check`` reports, or None."""
    try:
        check(data)
    except ValidationError as exc:
        return exc.code, exc.path
    return None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(["a", "b", "c", "Key 1"]), inner, max_size=4)
    ),
    max_leaves=40,
)


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "Key 1"]), json_values, max_size=4))
def test_the_shape_check_reports_the_fault_it_reported_before(data):
    """With small limits, every document gets the same first fault (or none) as before."""
    limits = {"MAX_DEPTH": 3, "MAX_STRING": 3, "MAX_ITEMS": 4, "MAX_NODES": 12}
    saved = {name: getattr(ser, name) for name in limits}
    try:
        for name, value in limits.items():
            setattr(ser, name, value)
        assert first_fault(reference_check_shape, data) == first_fault(ser._check_shape, data)
    finally:
        for name, value in saved.items():
            setattr(ser, name, value)
