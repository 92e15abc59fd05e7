"""Tests for `crmcore.segmentation._snapshot` and `._segments`: snapshots, segments, membership events."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from crmcore import (
    ContactPoint,
    Customer,
    CustomerId,
    DomainEvent,
    InvalidType,
    Money,
    OrganizationName,
    PersonName,
    ValidationError,
)
from crmcore._demo._segments import demo_section
from crmcore.customers import LifecycleState, PostalAddress, Purpose, StageChange
from crmcore.events import event_types
from crmcore.segmentation import (
    SNAPSHOT_FIELDS,
    ClvTier,
    DynamicSegment,
    MembershipChange,
    SegmentEntered,
    SegmentId,
    SegmentLeft,
    SnapshotSegment,
    StaticSegment,
    all_of,
    check_rule,
    field,
    membership_change,
    purchase_facts,
    rfm_values,
    score_rfm,
    snapshot,
    spec_for,
    summarize_segments,
)
from crmcore.serialization import from_dict, to_dict

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def ana() -> Customer:
    customer = Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana", family="Putri"),
        at=T0,
        birth_date=date(1992, 6, 30),
        addresses=[
            PostalAddress(
                lines=["Jl. Merdeka 10"], locality="Bandung", postal_code="40111", country="ID"
            )
        ],
        preferred_language="id",
        attributes={"loyalty_card": "LC-2041", "household_size": 4},
        contact_points=[
            ContactPoint("email", "ana@example.com"),
            ContactPoint("whatsapp", "+6281234567890"),
        ],
        tags=["VIP", "newsletter"],
    )
    customer = customer.give_consent("email", "marketing", at=T0, source="signup-form")
    customer = customer.withdraw_consent(None, "profiling", at=T0, source="privacy-centre")
    return customer.verify_contact_point("email", "ana@example.com", at=T0)


def test_snapshot_flattens_the_customer(ana):
    """Profile, contact points, attributes, tags and consents become plain keys."""
    snap = snapshot(ana, at=AT)
    assert "c-1" == snap["id"]
    assert "person" == snap["kind"]
    assert "Ana Putri" == snap["name"]
    assert "ana@example.com" == snap["email"]
    assert "+6281234567890" == snap["phone"]
    assert "Jl. Merdeka 10, Bandung, 40111, ID" == snap["address"]
    assert ("40111", "Bandung", "ID") == (snap["postal_code"], snap["locality"], snap["country"])
    assert date(1992, 6, 30) == snap["birth_date"]
    assert 34 == snap["age"]
    assert "id" == snap["language"]
    assert T0 == snap["created_at"]
    assert (AT - T0).days == snap["tenure_days"]
    assert frozenset({"vip", "newsletter"}) == snap["tags"]
    assert frozenset({"email", "whatsapp"}) == snap["channels"]
    assert frozenset({"email"}) == snap["verified_channels"]
    assert "LC-2041" == snap["attributes.loyalty_card"]
    assert 4 == snap["attributes.household_size"]
    assert snap["may_email_marketing"] is True
    assert snap["may_whatsapp_marketing"] is False
    assert snap["may_sms_service"] is True
    assert snap["may_email_profiling"] is False
    assert snap["stage"] is None


def test_snapshot_covers_every_channel_and_purpose(ana):
    """A may_<channel>_<purpose> key exists for every pair, and the schema knows each key."""
    snap = snapshot(ana, at=AT)
    assert 32 == sum(1 for key in snap if key.startswith("may_"))
    assert all(spec_for(SNAPSHOT_FIELDS, key) is not None for key in snap)


def test_snapshot_of_an_organization():
    """Organizations have no birth date or age; missing contact points are None."""
    org = Customer.register(CustomerId("o-1"), name=OrganizationName("PT Maju Jaya"), at=T0)
    snap = snapshot(org, at=AT)
    assert ("organization", "PT Maju Jaya") == (snap["kind"], snap["name"])
    assert (None, None, None, None) == (
        snap["birth_date"],
        snap["age"],
        snap["email"],
        snap["address"],
    )


def test_snapshot_reads_lifecycle_stages(ana):
    """The most recently changed lifecycle gives `stage`; each gives lifecycle.<name>."""
    ladder = LifecycleState(
        "relationship_ladder",
        "client",
        (
            StageChange(None, "prospect", "start", T0),
            StageChange("prospect", "client", "promote", T0 + timedelta(days=30)),
        ),
    )
    crm = LifecycleState("crm_stages", "retention", (StageChange(None, "retention", "start", T0),))
    tracked = attrs.evolve(ana, lifecycles=(crm, ladder), updated_at=T0 + timedelta(days=30))
    snap = snapshot(tracked, at=AT)
    assert "client" == snap["stage"]
    assert T0 + timedelta(days=30) == snap["stage_entered_at"]
    assert "retention" == snap["lifecycle.crm_stages"]


def test_snapshot_adds_facts(ana):
    """Facts join the snapshot; sets become frozensets, enums and ids their text."""
    snap = snapshot(
        ana,
        at=AT,
        facts={
            "frequency": 4,
            "monetary": Money("1200000", "IDR"),
            "clv": 2.5,
            "clv_tier": ClvTier.HIGH,
            "favourite_categories": ["books", "tea"],
            "referrer": CustomerId("c-9"),
            "last_purchase_at": AT - timedelta(days=3),
        },
    )
    assert "high" == snap["clv_tier"]
    assert frozenset({"books", "tea"}) == snap["favourite_categories"]
    assert "c-9" == snap["referrer"]
    rule = all_of(
        field("frequency") >= 3,
        field("monetary") >= Money("1000000", "IDR"),
        field("clv_tier") == "high",
        field("last_purchase_at").within_last(days=7),
        field("may_email_marketing").is_true(),
        field("birth_date").birthday_within(days=0),
    )
    assert rule.matches(snap, at=AT)


@pytest.mark.parametrize(
    ("facts", "path", "code"),
    [
        ({"email": "x"}, "$.facts.email", "duplicate"),
        ({"bad key": 1}, "$.facts", "field_path"),
        ({"x": object()}, "$.facts.x", "type"),
        ({"x": float("nan")}, "$.facts.x", "not_finite"),
        ({"x": Decimal("Infinity")}, "$.facts.x", "not_finite"),
        ({"x": AT.replace(tzinfo=None)}, "$.facts.x", "naive_datetime"),
        ({"x": [1, object()]}, "$.facts.x[1]", "type"),
        ({"x": {"nested": 1}}, "$.facts.x", "type"),
    ],
)
def test_bad_facts_are_refused(ana, facts, path, code):
    """Facts may not overwrite the customer or hold anything but plain values."""
    with pytest.raises(ValidationError) as info:
        snapshot(ana, at=AT, facts=facts)
    assert (path, code) == (info.value.path, info.value.code)


def test_snapshot_checks_its_arguments(ana):
    """A naive or too-early `at`, or a non-customer, is refused."""
    with pytest.raises(ValidationError):
        snapshot(ana, at=AT.replace(tzinfo=None))
    with pytest.raises(ValidationError) as info:
        snapshot(ana, at=T0 - timedelta(days=1))
    assert "before_registration" == info.value.code
    with pytest.raises(InvalidType):
        snapshot({"id": "c-1"}, at=AT)
    with pytest.raises(InvalidType):
        snapshot(ana, at=AT, facts=[("x", 1)])


def test_purchase_facts():
    """Per customer: count, first and last purchase, total and average, up to `at`."""
    orders = [
        ("c-1", AT - timedelta(days=40), Money("100", "IDR")),
        ("c-1", AT - timedelta(days=2), Money("50", "IDR")),
        ("c-2", AT - timedelta(days=9), Money("30", "IDR")),
        ("c-2", AT + timedelta(days=1), Money("999", "IDR")),
    ]
    facts = purchase_facts(orders, at=AT)
    assert {
        "orders_count": 2,
        "first_purchase_at": AT - timedelta(days=40),
        "last_purchase_at": AT - timedelta(days=2),
        "total_spent": Money("150", "IDR"),
        "average_order_value": Money("75", "IDR"),
    } == facts["c-1"]
    assert 1 == facts["c-2"]["orders_count"]
    check_rule(all_of(*(field(key).is_not_empty() for key in facts["c-1"])), SNAPSHOT_FIELDS)


def test_rules_work_on_customers_directly(ana):
    """The same rule language reads a Customer aggregate through attribute paths."""
    rule = all_of(
        field("profile.attributes.loyalty_card").starts_with("lc-"),
        field("tags").has("vip"),
        field("kind") == "person",
        field("profile.name.given") == "Ana",
    )
    assert rule.matches(ana)
    assert "profile.name.given == ***" == rule.explain(ana).children[3].clause


# -- segments ----------------------------------------------------------------------------

POPULATION = {
    CustomerId("c-1"): {"frequency": 5},
    CustomerId("c-2"): {"frequency": 1},
    CustomerId("c-3"): {"frequency": 3},
}


def test_dynamic_segment_members_and_freeze():
    """A dynamic segment's members are those matching; freezing keeps them with the rule."""
    segment = DynamicSegment(SegmentId("repeat"), "Repeat buyers", field("frequency") >= 3)
    assert {CustomerId("c-1"), CustomerId("c-3")} == segment.members(POPULATION)
    frozen = segment.freeze(POPULATION, at=AT)
    assert isinstance(frozen, SnapshotSegment)
    assert (AT, segment.rule) == (frozen.taken_at, frozen.rule)
    assert frozen.members() == frozen.member_ids == segment.members(POPULATION)


def test_dynamic_segment_needs_at_for_time_rules():
    """A time-relative segment rule needs the evaluation time."""
    segment = DynamicSegment(SegmentId("recent"), "Recent", field("t").within_last(days=7))
    with pytest.raises(ValidationError):
        segment.members({CustomerId("c-1"): {"t": AT}})
    assert {CustomerId("c-1")} == segment.members({CustomerId("c-1"): {"t": AT}}, at=AT)


def test_static_segment():
    """Static segments list ids; adding and removing returns new segments."""
    board = StaticSegment(SegmentId("board"), "  Advisory   board ", ["c-1", CustomerId("c-2")])
    assert "Advisory board" == board.name
    assert {CustomerId("c-1"), CustomerId("c-2")} == board.members(POPULATION)
    smaller = board.without_members(["c-1"]).with_members(["c-9"])
    assert {CustomerId("c-2"), CustomerId("c-9")} == smaller.member_ids
    assert 2 == len(board.member_ids)


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda: StaticSegment("board", "Board"), "$.id"),
        (lambda: StaticSegment(SegmentId("b"), ""), "$.name"),
        (lambda: StaticSegment(SegmentId("b"), "B", "c-1"), "$.member_ids"),
        (lambda: StaticSegment(SegmentId("b"), "B", ["not an id!"]), "$.member_ids"),
        (lambda: DynamicSegment(SegmentId("d"), "D", field("x")), "$.rule"),
        (
            lambda: SnapshotSegment(SegmentId("s"), "S", [], taken_at=AT.replace(tzinfo=None)),
            "$.taken_at",
        ),
        (lambda: DynamicSegment(SegmentId("d"), "D", field("x") == 1).members([1]), "$.population"),
    ],
)
def test_segments_validate(make, path):
    """Bad segment arguments raise a ValidationError naming the field."""
    with pytest.raises(ValidationError) as info:
        make()
    assert path == info.value.path


def test_membership_change_and_events():
    """Entered and left ids become SegmentEntered / SegmentLeft events, sorted by id."""
    change = membership_change(SegmentId("vip"), {"c-1", "c-2"}, {"c-2", "c-4", "c-3"})
    assert (
        MembershipChange(
            SegmentId("vip"),
            frozenset({CustomerId("c-3"), CustomerId("c-4")}),
            frozenset({CustomerId("c-1")}),
        )
        == change
    )
    events = change.events(at=AT, after=7, actor="segment-job")
    vip, job = SegmentId("vip"), "segment-job"
    assert [
        SegmentEntered(
            sequence=8, occurred_at=AT, actor=job, customer_id=CustomerId("c-3"), segment_id=vip
        ),
        SegmentEntered(
            sequence=9, occurred_at=AT, actor=job, customer_id=CustomerId("c-4"), segment_id=vip
        ),
        SegmentLeft(
            sequence=10, occurred_at=AT, actor=job, customer_id=CustomerId("c-1"), segment_id=vip
        ),
    ] == list(events)
    assert ["segment:vip#8", "segment:vip#9", "segment:vip#10"] == [e.event_id for e in events]
    assert {"segment-job"} == {e.actor for e in events}
    assert [1, 2, 3] == [e.sequence for e in change.events(at=AT)]
    assert () == membership_change(SegmentId("vip"), {"c-1"}, {"c-1"}).events(at=AT)
    with pytest.raises(ValidationError):
        change.events(at=AT, after=-1)


def test_membership_events_are_domain_events_that_serialize():
    """The events are DomainEvents the library's serializer round-trips by type name."""
    event = SegmentEntered(
        sequence=1, occurred_at=AT, customer_id=CustomerId("c-1"), segment_id=SegmentId("vip")
    )
    assert isinstance(event, DomainEvent)
    assert {"SegmentEntered", "SegmentLeft"} <= set(event_types())
    assert event == from_dict(DomainEvent, to_dict(event))


def test_static_segments_serialize():
    """Static and snapshot segments round-trip through crmcore.serialization."""
    board = StaticSegment(
        SegmentId("board"), "Board", ["c-1", "c-2"], description="Quarterly\nadvisors"
    )
    assert board == from_dict(StaticSegment, to_dict(board))


def test_segment_of_real_snapshots(ana):
    """Segments evaluate snapshots built from customers, keyed by customer id."""
    budi = Customer.register(CustomerId("c-2"), name=PersonName("Budi"), at=T0)
    population = {c.id: snapshot(c, at=AT) for c in (ana, budi)}
    reachable = DynamicSegment(
        SegmentId("email-ok"),
        "Email marketing allowed",
        field(f"may_email_{Purpose.MARKETING}").is_true(),
    )
    assert {CustomerId("c-1")} == reachable.members(population, at=AT)


# -- the demo section --------------------------------------------------------------------


def test_demo_section_renders_segments_audience_and_cohorts():
    """The demo section shows the RFM table, a stored audience rule and the cohort matrix."""
    people = [
        Customer.register(CustomerId(f"c-{i}"), name=PersonName(f"P{i}"), at=T0) for i in range(6)
    ]
    people[0] = people[0].give_consent("email", "marketing", at=T0, source="form")
    orders = [
        (people[i].id, T0 + timedelta(days=20 * i + 9 * k), Money(1000 * (i + 1), "IDR"))
        for i in range(5)
        for k in range(i + 1)
    ]
    text = demo_section(people, orders, at=AT)
    table = summarize_segments(score_rfm(rfm_values([(str(c), t, m) for c, t, m in orders], at=AT)))
    champions = next(row for row in table if row.segment.label == "Champions")
    assert "RFM segments of the 5 customers with purchases (of 6)" in text
    assert f"  Champions{champions.customers:>21}" in text
    assert "field('may_email_marketing').is_true()" in text
    assert "cohort    size    +0" in text
    assert "2026-01      2  100%" in text
    assert "no orders yet: nothing to segment" == demo_section(people, [], at=AT)
