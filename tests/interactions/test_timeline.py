"""Tests for `crmcore._kernel._timeline`: one customer's facts from every source, in time order."""

import json
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, ValidationError
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
from crmcore.customers import CustomerId
from crmcore.feedback import CsatResponse, FeedbackId, Review, ReviewId
from crmcore.interactions import Interaction, InteractionId, TimelineEntry, TimelineFact, timeline
from crmcore.serialization import from_dict, to_dict
from crmcore.service import CaseId

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
ANA = CustomerId("c-ana")
BUDI = CustomerId("c-budi")


def entry(minutes, kind, key, customer=ANA):
    return TimelineEntry(
        at=T0 + timedelta(minutes=minutes), kind=kind, key=key, customer_id=customer
    )


@attrs.frozen
class Feedback:
    """A stand-in for a fact of another capability that uses occurred_at and id."""

    id: str
    customer_id: CustomerId
    occurred_at: datetime
    timeline_kind: str = "feedback"


def test_merges_sources_in_time_order():
    """Facts from several sources come out sorted by time."""
    calls = [entry(30, "interaction", "i-2"), entry(10, "interaction", "i-1")]
    orders = [entry(20, "order", "o-1")]
    assert ["i-1", "o-1", "i-2"] == [e.key for e in timeline(ANA, calls, orders)]


def test_ties_break_by_kind_then_key():
    """Facts at the same instant are ordered by kind, then key, whatever the input order."""
    same = [entry(0, "payment", "p-2"), entry(0, "order", "o-9"), entry(0, "payment", "p-1")]
    expected = [("order", "o-9"), ("payment", "p-1"), ("payment", "p-2")]
    assert expected == [e.identity for e in timeline(ANA, same)]
    assert expected == [e.identity for e in timeline(ANA, list(reversed(same)))]


def test_the_same_instant_in_two_offsets_ties():
    """09:00 UTC and 16:00 at UTC+7 are the same instant; the kind decides."""
    utc = TimelineEntry(at=T0, kind="order", key="o-1", customer_id=ANA)
    wib = TimelineEntry(at=T0.astimezone(WIB), kind="interaction", key="i-1", customer_id=ANA)
    assert ["interaction", "order"] == [e.kind for e in timeline(ANA, [utc, wib])]


def test_each_fact_appears_once_and_the_first_copy_wins():
    """Facts with the same kind and key are one fact; the first one met is kept."""
    first = TimelineEntry(at=T0, kind="order", key="o-1", customer_id=ANA, summary="first")
    again = TimelineEntry(at=T0, kind="order", key="o-1", customer_id=ANA, summary="again")
    other_kind = TimelineEntry(at=T0, kind="refund", key="o-1", customer_id=ANA)
    result = timeline(ANA, [first], [again, other_kind])
    assert [("order", "o-1"), ("refund", "o-1")] == [e.identity for e in result]
    assert "first" == result[0].summary


def test_other_customers_are_left_out():
    """A source may hold everyone's facts; only the customer's own are kept."""
    facts = [entry(0, "order", "o-1"), entry(1, "order", "o-2", customer=BUDI)]
    assert ["o-1"] == [e.key for e in timeline(ANA, facts)]
    assert ["o-2"] == [e.key for e in timeline(BUDI, facts)]


def test_window_is_half_open_and_kinds_filter():
    """The window includes since and excludes until; kinds keeps only those kinds."""
    facts = [entry(m, "order" if m % 2 else "interaction", f"k-{m}") for m in range(6)]
    window = timeline(ANA, facts, since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=4))
    assert ["k-1", "k-2", "k-3"] == [e.key for e in window]
    orders = timeline(ANA, facts, kinds=["order"])
    assert ["k-1", "k-3", "k-5"] == [e.key for e in orders]
    assert () == timeline(ANA, facts, kinds=[])


def test_single_items_and_duck_typed_facts_are_accepted():
    """A source may be one item; occurred_at and id stand in for timeline_at and key."""
    feedback = Feedback("fb-1", ANA, T0 + timedelta(days=1))
    result = timeline(ANA, feedback, [entry(0, "order", "o-1")])
    assert [("order", "o-1"), ("feedback", "fb-1")] == [e.identity for e in result]
    assert "feedback" == result[1].summary


def test_aggregates_contribute_their_facts():
    """Interactions, orders (with payments) and subscriptions merge into one picture."""
    call = Interaction.log(
        InteractionId("i-1"),
        customer_id=ANA,
        kind="chat",
        channel="whatsapp",
        direction="inbound",
        at=T0 + timedelta(minutes=5),
    )
    line = OrderLine(ProductId("sku-1"), 1, Money("20", "USD"), category="books")
    order = Order.place(OrderId("o-1"), customer_id=ANA, lines=[line], at=T0)
    order = order.record_payment(PaymentId("p-1"), Money("20", "USD"), at=T0 + timedelta(hours=1))
    plan = Plan(
        id=PlanId("basic"),
        name="Basic",
        price=Money("5", "USD"),
        period=Period.months(1),
        product_type="app",
    )
    sub = Subscription.start(
        SubscriptionId("s-1"), customer_id=ANA, plan=plan, at=T0 - timedelta(days=1)
    )
    result = timeline(ANA, [call], [order], [sub])
    assert [
        ("subscription", "s-1"),
        ("order", "o-1"),
        ("interaction", "i-1"),
        ("payment", "o-1/payment/p-1"),
    ] == [e.identity for e in result]
    assert "inbound chat on whatsapp" == result[2].summary
    assert "payment of 20.00 USD for order o-1" == result[3].summary


def test_facts_sit_at_when_they_happened_not_at_the_last_change():
    """A linked interaction stays at its occurred_at (created_at), not at its updated_at."""
    call = Interaction.log(
        InteractionId("i-1"),
        customer_id=ANA,
        kind="call",
        channel="phone",
        direction="outbound",
        at=T0,
    ).link(at=T0 + timedelta(days=2), case_id=CaseId("case-1"))
    answer = CsatResponse.record(
        FeedbackId("f-1"), customer_id=ANA, score=5, at=T0 + timedelta(hours=1)
    )
    review = Review.receive(
        ReviewId("r-1"), platform="google", rating=4, at=T0 + timedelta(hours=2), customer_id=ANA
    ).answer(at=T0 + timedelta(days=1))
    result = timeline(ANA, [call], [answer], [review])
    assert [
        (T0, "interaction", "i-1"),
        (T0 + timedelta(hours=1), "csat", "f-1"),
        (T0 + timedelta(hours=2), "review", "r-1"),
        (T0 + timedelta(days=1), "review", "r-1/answer"),
    ] == [(e.at, e.kind, e.key) for e in result]
    assert call.updated_at == T0 + timedelta(days=2)
    assert ["CSAT 5/5", "4-star review on google"] == [e.summary for e in result[1:3]]


def test_a_later_version_of_an_aggregate_adds_only_its_new_facts():
    """Passing an order twice (before and after payment) shows each fact once."""
    line = OrderLine(ProductId("sku-1"), 1, Money("20", "USD"), category="books")
    placed = Order.place(OrderId("o-1"), customer_id=ANA, lines=[line], at=T0)
    paid = placed.record_payment(PaymentId("p-1"), Money("20", "USD"), at=T0)
    assert 2 == len(timeline(ANA, [placed, paid]))


def test_timeline_is_idempotent():
    """Feeding a timeline back in gives the same timeline."""
    facts = [entry(m, "order", f"o-{m % 3}") for m in range(7)]
    once = timeline(ANA, facts)
    assert once == timeline(ANA, once)


def test_item_without_the_protocol_is_refused_with_its_path():
    """An item lacking the protocol's members is named by source and position."""
    with pytest.raises(InvalidType) as info:
        timeline(ANA, [entry(0, "order", "o-1")], [entry(1, "order", "o-2"), object()])
    assert "$.sources[1][1]" == info.value.path
    assert "timeline_protocol" == info.value.code


def test_item_with_a_naive_time_is_refused():
    """A fact with a naive time is refused with the path of its field."""
    bad = Feedback("fb-1", ANA, datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value under test.
    with pytest.raises(ValidationError) as info:
        timeline(ANA, [bad])
    assert "$.sources[0][0].at" == info.value.path
    assert "naive_datetime" == info.value.code


def test_item_with_a_plain_string_customer_is_refused():
    """customer_id must be a CustomerId."""
    bad = Feedback("fb-1", "c-ana", T0)
    with pytest.raises(InvalidType) as info:
        timeline(ANA, [bad])
    assert "$.sources[0][0].customer_id" == info.value.path


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"since": T0 + timedelta(1), "until": T0}, "$.since"),
        ({"since": datetime(2026, 1, 1)}, "$.since"),  # noqa: DTZ001 - naive on purpose.
        ({"until": "2026-01-01"}, "$.until"),
        ({"kinds": "order"}, "$.kinds"),
    ],
)
def test_bad_options_are_refused(kwargs, path):
    """A reversed window, naive or non-datetime bounds and a bare string of kinds are refused."""
    with pytest.raises(ValidationError) as info:
        timeline(ANA, [], **kwargs)
    assert path == info.value.path


def test_customer_must_be_a_customer_id():
    """The customer is a CustomerId, not its text."""
    with pytest.raises(InvalidType) as info:
        timeline("c-ana", [])
    assert "$.customer_id" == info.value.path


def test_a_source_must_be_iterable():
    """A number is neither an item nor a source of items."""
    with pytest.raises(InvalidType) as info:
        timeline(ANA, 42)
    assert "$.sources[0]" == info.value.path


def test_entries_follow_the_protocol_and_round_trip():
    """A TimelineEntry is a TimelineFact and survives JSON."""
    fact = TimelineEntry(at=T0, kind="order", key="o-1", customer_id=ANA, summary="placed")
    assert isinstance(fact, TimelineFact)
    assert fact == from_dict(TimelineEntry, json.loads(json.dumps(to_dict(fact))))


def test_entry_checks_its_fields():
    """An entry's kind must be text without control characters."""
    with pytest.raises(ValidationError) as info:
        TimelineEntry(at=T0, kind="ord\ner", key="o-1", customer_id=ANA)
    assert "$.kind" == info.value.path


facts = st.builds(
    TimelineEntry,
    at=st.integers(0, 50).map(lambda m: T0 + timedelta(minutes=m)),
    kind=st.sampled_from(["interaction", "order", "payment"]),
    key=st.integers(0, 8).map(lambda n: f"k-{n}"),
    customer_id=st.sampled_from([ANA, BUDI]),
)


@given(
    st.lists(st.lists(facts, max_size=15), max_size=4),
    st.none() | st.integers(0, 50),
    st.none() | st.integers(0, 50),
)
def test_timeline_is_sorted_and_holds_every_fact_exactly_once(sources, since, until):
    """Sorted by (time, kind, key); every fact of the customer in the window, each once."""
    low = None if since is None else T0 + timedelta(minutes=since)
    high = None if until is None else T0 + timedelta(minutes=until)
    if low is not None and high is not None and low > high:
        low, high = high, low
    result = timeline(ANA, *sources, since=low, until=high)
    keys = [(e.at, e.kind, e.key) for e in result]
    assert sorted(keys) == keys
    identities = [e.identity for e in result]
    assert len(set(identities)) == len(identities)
    first_seen = {}
    for fact in (f for source in sources for f in source if f.customer_id == ANA):
        first_seen.setdefault(fact.identity, fact)
    expected = {
        identity
        for identity, fact in first_seen.items()
        if (low is None or fact.at >= low) and (high is None or fact.at < high)
    }
    assert expected == set(identities)
    assert all(e.customer_id == ANA for e in result)
