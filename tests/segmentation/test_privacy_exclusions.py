"""Tests for `crmcore.segmentation._segments` audiences: denied customers left out, with reasons."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, InvalidType, PersonName, ValidationError
from crmcore._kernel._frozen import FrozenMap
from crmcore.customers import ProcessingPurpose
from crmcore.segmentation import (
    MAX_AUDIENCE_CUSTOMERS,
    Audience,
    DynamicSegment,
    SegmentId,
    SnapshotSegment,
    StaticSegment,
    field,
    not_,
    snapshot,
)
from crmcore.segmentation import _audience as audience_module
from crmcore.testing.strategies import customers

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_CHANGES = ("restricted", "profiling", "direct_marketing", "erased")
_RULES = (
    field("id").is_not_empty(),
    field("tags").has_any({"vip", "a", "b"}),
    field("may_email_marketing").is_true(),
    not_(field("tags").is_empty()),
    field("tenure_days") >= 30,
)


def _changed(customer: Customer, change: str, at: datetime) -> Customer:
    if change == "restricted":
        return customer.restrict_processing(at=at, reason="accuracy_contested")
    if change == "erased":
        return customer.anonymise(at=at)
    return customer.object_to(change, at=at)


@st.composite
def privacy_customers(draw: st.DrawFn) -> tuple[Customer, Customer]:
    """A shipped customer, and it maybe restricted, objecting and/or erased at later times."""
    before = customer = draw(customers(max_created_at=T0, pending_events=False))
    changes = draw(st.lists(st.sampled_from(_CHANGES), unique=True, max_size=3))
    when = customer.updated_at
    for change in sorted(changes, key=_CHANGES.index):
        if change == "erased" and customer.privacy.legal_holds:
            continue  # a legal hold blocks erasure
        when += timedelta(hours=draw(st.integers(0, 72)))
        customer = _changed(customer, change, when)
    return before, customer


_pairs = st.lists(privacy_customers(), max_size=6, unique_by=lambda pair: pair[0].id)


def _members_before(segment: DynamicSegment, people: list[Customer], at: datetime):
    """What ``members`` gives over full snapshots: the behaviour without screening."""
    return segment.members({c.id: snapshot(c, at=at) for c in people}, at=at)


@given(_pairs, st.sampled_from(_RULES), st.sampled_from(ProcessingPurpose), st.integers(0, 500))
def test_no_denied_customer_is_a_member_and_every_one_says_why(
    pairs, rule, purpose: ProcessingPurpose, hours: int
) -> None:
    """Members are allowed; the denied are excluded with their one reason; others as before."""
    after = [a for _, a in pairs]
    at = max((c.updated_at for c in after), default=T0) + timedelta(hours=hours)
    segment = DynamicSegment(SegmentId("s"), "Segment", rule)
    audience = segment.audience(after, at=at, purpose=purpose)
    decisions = {c.id: c.processing_decision(purpose, at=at) for c in after}
    denied = {cid for cid, d in decisions.items() if not d}
    assert not audience.member_ids & denied
    assert denied == set(audience.excluded)
    for customer_id, reason in audience.excluded.items():
        assert decisions[customer_id].reason == reason
        assert decisions[customer_id] == audience.explain(customer_id)
    allowed_before = [b for b, a in pairs if a.id not in denied]
    assert _members_before(segment, allowed_before, at) == audience.member_ids


@given(_pairs, st.sampled_from(_RULES))
def test_the_default_purpose_is_marketing(pairs, rule) -> None:
    """Without a purpose, the audience is screened for marketing."""
    after = [a for _, a in pairs]
    at = max((c.updated_at for c in after), default=T0)
    segment = DynamicSegment(SegmentId("s"), "Segment", rule)
    assert segment.audience(after, at=at, purpose="marketing") == segment.audience(after, at=at)
    assert ProcessingPurpose.MARKETING == segment.audience(after, at=at).purpose


@given(_pairs, st.data())
def test_held_segments_keep_only_their_allowed_members(pairs, data) -> None:
    """A static or snapshot segment's audience: its members less the denied, each with a reason."""
    after = [a for _, a in pairs]
    at = max((c.updated_at for c in after), default=T0)
    held = data.draw(st.sets(st.sampled_from([c.id for c in after])) if after else st.just(set()))
    for segment in (
        StaticSegment(SegmentId("list"), "List", held),
        SnapshotSegment(SegmentId("frozen"), "Frozen", held, taken_at=at),
    ):
        audience = segment.audience(after, at=at)
        for customer in after:
            decision = customer.processing_decision("marketing", at=at)
            assert (customer.id in audience.member_ids) == (
                customer.id in held and decision.allowed
            )
            if customer.id in held and not decision:
                assert decision.reason == audience.excluded[customer.id]
            else:
                assert customer.id not in audience.excluded


def _ana() -> Customer:
    return Customer.register(CustomerId("c-ana"), name=PersonName("Ana"), at=T0, tags=["vip"])


def test_a_denied_customers_data_is_never_read() -> None:
    """No snapshot of a denied customer is built: facts given for them are not even checked."""
    restricted = _ana().restrict_processing(at=T0, reason="accuracy_contested")
    segment = DynamicSegment(SegmentId("vip"), "VIP", field("tags").has("vip"))
    audience = segment.audience(
        [restricted], at=T0, facts={restricted.id: {"not a path!": object()}}
    )
    assert frozenset() == audience.member_ids
    assert {restricted.id: "processing_restricted"} == dict(audience.excluded)
    with pytest.raises(ValidationError):
        segment.audience([_ana()], at=T0, facts={CustomerId("c-ana"): {"not a path!": 1}})


def test_facts_reach_the_rule() -> None:
    """Facts per customer id are read as snapshot facts."""
    segment = DynamicSegment(SegmentId("loyal"), "Loyal", field("frequency") >= 3)
    ana = _ana()
    assert {ana.id} == segment.audience([ana], at=T0, facts={ana.id: {"frequency": 4}}).member_ids
    assert frozenset() == segment.audience([ana], at=T0).member_ids


def test_a_held_member_must_be_given() -> None:
    """A listed member whose decisions cannot be asked refuses the audience (no id echoed)."""
    board = StaticSegment(SegmentId("board"), "Board", {"c-secret"})
    with pytest.raises(ValidationError) as raised:
        board.audience([_ana()], at=T0)
    assert ("missing_customer", "$.customers") == (raised.value.code, raised.value.path)
    assert "c-secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "path"),
    [
        ({"customers": "c-ana"}, InvalidType, "$.customers"),
        ({"customers": ["c-ana"]}, InvalidType, "$.customers[0]"),
        ({"purpose": "selling"}, ValidationError, "$.purpose"),
        ({"at": T0.replace(tzinfo=None)}, ValidationError, "$.at"),
        ({"facts": [1]}, InvalidType, "$.facts"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, path) -> None:
    """Each bad argument raises its crmcore error at its path."""
    segment = DynamicSegment(SegmentId("vip"), "VIP", field("tags").has("vip"))
    arguments = {"customers": [_ana()], "at": T0, **kwargs}
    with pytest.raises(error) as raised:
        segment.audience(**arguments)
    assert path == raised.value.path


def test_duplicates_and_too_many_are_refused(monkeypatch) -> None:
    """Each customer once; at most MAX_AUDIENCE_CUSTOMERS, refused before any is asked."""
    segment = DynamicSegment(SegmentId("vip"), "VIP", field("tags").has("vip"))
    with pytest.raises(ValidationError) as raised:
        segment.audience([_ana(), _ana()], at=T0)
    assert "duplicate" == raised.value.code
    monkeypatch.setattr(audience_module, "MAX_AUDIENCE_CUSTOMERS", 1)
    with pytest.raises(ValidationError) as raised:
        segment.audience(iter([_ana(), _ana()]), at=T0)
    assert "too_many" == raised.value.code
    assert MAX_AUDIENCE_CUSTOMERS >= 100_000


def test_an_audience_checks_its_fields_and_explains() -> None:
    """Hand-built audiences are checked; explain names allowed customers too."""
    audience = Audience(SegmentId("s"), ProcessingPurpose.MARKETING, T0, frozenset(), {})
    assert audience.explain(CustomerId("c-1")).allowed
    with pytest.raises(InvalidType):
        audience.explain("c-1")  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        Audience(SegmentId("s"), ProcessingPurpose.MARKETING, T0, frozenset(), [1])
    with pytest.raises(InvalidType):
        Audience("s", ProcessingPurpose.MARKETING, T0, frozenset(), {})  # type: ignore[arg-type]
    assert hash(audience) == hash(
        Audience(SegmentId("s"), ProcessingPurpose.MARKETING, T0, frozenset(), FrozenMap())
    )
