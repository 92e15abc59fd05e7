"""Every aggregate holding personal data declares it: ``anonymise``, ``masked``, ``personal_data``.

Covers the records of issue 16 item 3 other than customers and interactions:
cases, reviews, survey responses, notes, activities, leads, opportunities,
relationships, orders, subscriptions, loyalty accounts and staff members.

The leak checks count, in the JSON of a record and its events, every string of
its personal data that appears nowhere else in that JSON (a code or an id that
happens to equal a subject is left alone): after ``anonymise`` none of them may
remain, in the record's document, its repr or any pending event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import DomainEvent, Money, StaffId, ValidationError
from crmcore._kernel._personal import ERASED, PersonalDataErasedEvent, personal_value
from crmcore._kernel._refs import RecordRef
from crmcore.activities import Activity, ActivityAnonymised, ActivityId
from crmcore.commerce import (
    Order,
    OrderAnonymised,
    OrderId,
    OrderLine,
    PaymentId,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionAnonymised,
    SubscriptionId,
)
from crmcore.customers import ContactPoint, CustomerId, OrganizationName, PersonName
from crmcore.feedback import (
    CsatResponse,
    FeedbackId,
    Review,
    ReviewAnonymised,
    ReviewId,
    SurveyResponseAnonymised,
)
from crmcore.loyalty import LoyaltyAccountAnonymised
from crmcore.notes import Attachment, Note, NoteAnonymised, NoteId
from crmcore.parties import Relationship, RelationshipAnonymised, RelationshipId
from crmcore.sales import (
    STANDARD_PIPELINE,
    Lead,
    LeadAnonymised,
    LeadId,
    LeadStatus,
    Opportunity,
    OpportunityAnonymised,
    OpportunityId,
)
from crmcore.serialization import from_dict, make_converter, to_dict
from crmcore.service import Case, CaseAnonymised, CaseId
from crmcore.teams import StaffMember, StaffMemberAnonymised
from crmcore.testing import strategies as gen

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_CONVERTER = make_converter()
#: The keys of the envelope every event carries (the rest is the event's own content).
_ENVELOPE = frozenset(
    {
        "event_id",
        "type",
        "occurred_at",
        "aggregate_kind",
        "aggregate_id",
        "sequence",
        "actor",
        "correlation_id",
        "causation_id",
        "schema_version",
        "event_version",
    }
)


@attrs.frozen
class Kind:
    """One record kind: how to draw it, its event, and the init fields anonymise may change."""

    draw: Callable[[], st.SearchStrategy[Any]]
    event: type[Any]
    changes: frozenset[str]
    ids: frozenset[str]


KINDS: dict[str, Kind] = {
    "case": Kind(
        gen.cases,
        CaseAnonymised,
        frozenset({"subject", "description", "history"}),
        frozenset({"case_id", "customer_id"}),
    ),
    "review": Kind(
        gen.reviews,
        ReviewAnonymised,
        frozenset({"text", "author_name", "url"}),
        frozenset({"review_id", "customer_id"}),
    ),
    "survey_response": Kind(
        gen.survey_responses,
        SurveyResponseAnonymised,
        frozenset({"comment"}),
        frozenset({"response_id", "customer_id"}),
    ),
    "note": Kind(
        gen.notes, NoteAnonymised, frozenset({"body", "attachments"}), frozenset({"note_id"})
    ),
    "activity": Kind(
        gen.activities,
        ActivityAnonymised,
        frozenset({"subject", "outcome", "cancel_reason"}),
        frozenset({"activity_id"}),
    ),
    "lead": Kind(
        gen.leads,
        LeadAnonymised,
        frozenset({"name", "contact_points", "interest", "history"}),
        frozenset({"lead_id"}),
    ),
    "opportunity": Kind(
        gen.opportunities,
        OpportunityAnonymised,
        frozenset({"name", "next_step", "history"}),
        frozenset({"opportunity_id", "customer_id"}),
    ),
    "relationship": Kind(
        gen.relationships,
        RelationshipAnonymised,
        frozenset({"job_title", "department"}),
        frozenset({"relationship_id", "kind", "party_id", "related_id"}),
    ),
    "order": Kind(
        gen.orders,
        OrderAnonymised,
        frozenset({"cancel_reason", "refunds", "returns"}),
        frozenset({"order_id", "customer_id"}),
    ),
    "subscription": Kind(
        gen.subscriptions,
        SubscriptionAnonymised,
        frozenset({"cancel_reason"}),
        frozenset({"subscription_id", "customer_id"}),
    ),
    "loyalty_account": Kind(
        gen.loyalty_accounts,
        LoyaltyAccountAnonymised,
        frozenset({"ledger", "tier_history"}),
        frozenset({"account_id", "customer_id", "program_id"}),
    ),
    "staff_member": Kind(
        gen.staff_members,
        StaffMemberAnonymised,
        frozenset({"display_name"}),
        frozenset({"staff_id"}),
    ),
}
NAMES = sorted(KINDS)


# -- helpers ------------------------------------------------------------------------------


def _strings(value: object) -> Iterator[str]:
    """Every string leaf of a value as documents hold it."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _personal_strings(record: Any) -> list[str]:
    found: list[str] = []
    for value in record.personal_data().values():
        found.extend(_strings(_CONVERTER.unstructure(value)))
    return [text for text in found if text]


def _encoded(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _json(obj: object) -> str:
    return json.dumps(to_dict(obj), ensure_ascii=False, sort_keys=True)


def _own_content(event: object) -> dict[str, Any]:
    return {k: v for k, v in to_dict(event).items() if k not in _ENVELOPE}


def _last_fields(record: Any) -> tuple[str, ...]:
    """The ``fields`` of the record's last event (an ``...Anonymised`` one)."""
    fields: tuple[str, ...] = getattr(record.pending_events[-1], "fields")  # noqa: B009
    return fields


def _changed_fields(before: Any, after: Any) -> tuple[str, ...]:
    return tuple(
        name
        for name in type(before).personal_fields
        if personal_value(before, name) != personal_value(after, name)
    )


def _assert_unchanged_but(before: Any, after: Any, allowed: frozenset[str]) -> None:
    skip = allowed | {"pending_events", "sequence", "updated_at", "version"}
    for field in attrs.fields(type(before)):
        if field.name.lstrip("_") in skip or field.alias in skip:
            continue
        assert getattr(before, field.name) == getattr(after, field.name), field.name


@st.composite
def _drawn(draw: st.DrawFn, name: str) -> tuple[Any, datetime]:
    record = draw(KINDS[name].draw())
    later = draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
    return record, record.updated_at + later


# -- properties ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_anonymise_leaves_no_personal_value(name: str, data: st.DataObject) -> None:
    record, at = data.draw(_drawn(name))
    personal = _personal_strings(record)
    after = record.anonymise(at=at, actor="dpo-1")
    new_events = after.pending_events[len(record.pending_events) :]
    assert after.pending_events[: len(record.pending_events)] == record.pending_events
    # The text that is not the person's: the record and events before, the new event
    # (its own content is checked below to be ids and field names only).
    baseline = _json(record) + "".join(_json(e) for e in after.pending_events) + repr(record)
    after_texts = [_json(after), repr(after), *(_json(e) for e in after.pending_events)]
    for text in set(personal):
        needle = _encoded(text)
        if text in ERASED or baseline.count(needle) != sum(
            _encoded(p).count(needle) for p in personal
        ):
            continue  # an id, a code or a tombstone also holds this text
        for document in after_texts:
            assert needle not in document, (name, text)
    if new_events:
        (event,) = new_events
        assert isinstance(event, KINDS[name].event)
        assert isinstance(event, PersonalDataErasedEvent)
        content = _own_content(event)
        assert set(content) <= KINDS[name].ids | {"fields"}
        assert content["fields"] == list(_changed_fields(record, after))
        assert after.pending_events[-1].actor == "dpo-1"
        assert from_dict(DomainEvent, to_dict(event)) == after.pending_events[-1]
    else:
        assert after is record


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_anonymise_keeps_everything_else(name: str, data: st.DataObject) -> None:
    record, at = data.draw(_drawn(name))
    after = record.anonymise(at=at)
    _assert_unchanged_but(record, after, KINDS[name].changes)
    changed = _changed_fields(record, after)
    if changed:
        assert after.version == record.version
        assert len(after.pending_events) == len(record.pending_events) + 1
        assert _last_fields(after) == changed
        assert after.updated_at == at
    again = after.anonymise(at=at)
    assert again is after
    assert _changed_fields(after, after.masked(type(after).personal_fields)) == ()


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_anonymised_record_round_trips(name: str, data: st.DataObject) -> None:
    record, at = data.draw(_drawn(name))
    after = record.anonymise(at=at)
    loaded = from_dict(type(after), to_dict(after))
    assert loaded.personal_data() == after.personal_data()
    assert to_dict(loaded) == to_dict(after)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_masked_changes_only_that_field(name: str, data: st.DataObject) -> None:
    record, at = data.draw(_drawn(name))
    fields = type(record).personal_fields
    field = data.draw(st.sampled_from(fields))
    view = record.masked([field])
    anonymised = record.anonymise(at=at)
    assert view.version == record.version
    assert view.pending_events == record.pending_events
    assert view.updated_at == record.updated_at
    assert personal_value(view, field) == personal_value(anonymised, field)
    for other in fields:
        if other != field:
            assert personal_value(view, other) == personal_value(record, other)
    _assert_unchanged_but(record, view, KINDS[name].changes)
    # The repr never depends on a personal value.
    assert repr(record.masked(fields)) == repr(record)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_masked_refuses_unknown_fields(name: str, data: st.DataObject) -> None:
    record, _ = data.draw(_drawn(name))
    fields = type(record).personal_fields
    unknown = data.draw(st.text(min_size=1, max_size=20).filter(lambda t: t not in fields))
    names = [*data.draw(st.lists(st.sampled_from(fields), max_size=2)), unknown]
    with pytest.raises(ValidationError) as caught:
        record.masked(names)
    assert caught.value.code == "unknown_field"
    assert caught.value.path == f"$.fields[{len(names) - 1}]"


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_anonymise_refuses_an_earlier_time(name: str, data: st.DataObject) -> None:
    record, _ = data.draw(_drawn(name))
    earlier = data.draw(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=9)))
    assume(record.personal_data())
    with pytest.raises(ValidationError) as caught:
        record.anonymise(at=record.updated_at - earlier)
    assert caught.value.code == "time_backwards"


@given(data=st.data())
def test_accounting_stays_on_orders(data: st.DataObject) -> None:
    order, at = data.draw(_drawn("order"))
    after = order.anonymise(at=at)
    assert (after.total, after.subtotal, after.discount) == (
        order.total,
        order.subtotal,
        order.discount,
    )
    assert after.payments == order.payments
    assert after.lines == order.lines
    assert [(r.amount, r.at) for r in after.refunds] == [(r.amount, r.at) for r in order.refunds]
    assert [(r.lines, r.at, r.refund) for r in after.returns] == [
        (r.lines, r.at, r.refund) for r in order.returns
    ]
    assert after.amount_refunded == order.amount_refunded
    assert (after.status, after.cancelled_at) == (order.status, order.cancelled_at)
    assert after.refund_reasons == (None,) * len(order.refunds)
    assert after.return_reasons == (None,) * len(order.returns)
    assert after.cancel_reason is None


@given(data=st.data())
def test_accounting_stays_on_subscriptions(data: st.DataObject) -> None:
    subscription, at = data.draw(_drawn("subscription"))
    after = subscription.anonymise(at=at)
    assert after.plan == subscription.plan
    assert after.plan.price == subscription.plan.price
    assert after.payments == subscription.payments
    assert (after.status, after.ended_at) == (subscription.status, subscription.ended_at)
    assert after.cancel_reason is None


@given(data=st.data())
def test_loyalty_points_stay(data: st.DataObject) -> None:
    account, at = data.draw(_drawn("loyalty_account"))
    after = account.anonymise(at=at)
    assert after.balance() == account.balance()
    assert after.totals() == account.totals()
    assert [(e.kind, e.at, e.points) for e in after.ledger] == [
        (e.kind, e.at, e.points) for e in account.ledger
    ]
    assert [(c.tier, c.at) for c in after.tier_history] == [
        (c.tier, c.at) for c in account.tier_history
    ]
    assert set(after.entry_reasons) | set(after.tier_reasons) <= {None}


# -- examples in every status -------------------------------------------------------------


def _later(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def test_a_closed_case_with_reasons() -> None:
    case = Case.open(
        CaseId("case-1"),
        customer_id=CustomerId("c-1"),
        kind="complaint",
        subject="Parcel for Ibu Sari arrived damaged",
        description="She sent photos to sari@example.com",
        channel="email",
        at=T0,
    )
    case = case.respond(at=_later(1)).wait_on_customer(at=_later(2), reason="asked Sari for photos")
    case = case.resolve(at=_later(3), reason="refunded Sari").close(at=_later(4))
    after = case.anonymise(at=_later(5))
    assert (after.subject, after.description) == (ERASED, None)
    assert after.status_reasons == (None,) * len(case.history)
    assert [(c.status, c.at) for c in after.history] == [(c.status, c.at) for c in case.history]
    assert after.status.value == "closed"
    assert _last_fields(after) == ("subject", "description", "status_reasons")
    assert "Sari" not in _json(after)
    assert after.reopen(at=_later(6)).status.value == "open"


def test_a_disqualified_lead_keeps_a_required_reason_and_its_consents() -> None:
    lead = Lead.capture(
        LeadId("lead-1"),
        name=OrganizationName("PT Maju Jaya"),
        source="event",
        at=T0,
        contact_points=[ContactPoint("email", "budi@maju.example")],
        interest="Coffee machines for Budi's offices",
    )
    lead = lead.give_consent("email", "marketing", at=_later(1), source="web-form")
    lead = lead.disqualify(at=_later(2), reason="Budi has no budget")
    after = lead.anonymise(at=_later(3))
    assert after.name == OrganizationName(ERASED)
    assert (after.contact_points, after.interest) == ((), None)
    assert after.status is LeadStatus.DISQUALIFIED
    assert after.disqualification_reason == ERASED
    assert after.consents == lead.consents
    text = _json(after)
    assert "Budi" not in text
    assert "Maju" not in text
    assert after.recycle(at=_later(4)).status is LeadStatus.NEW


def test_a_converted_person_lead() -> None:
    lead = Lead.capture(
        LeadId("lead-2"), name=PersonName("Dewi", family="Lestari"), source="referral", at=T0
    )
    lead = lead.qualify(at=_later(1))
    done = lead.convert(CustomerId("c-9"), at=_later(2)).lead
    after = done.anonymise(at=_later(3))
    assert after.name == PersonName(ERASED)
    assert after.customer_id == CustomerId("c-9")
    assert _last_fields(after) == ("name",)


def test_a_lost_opportunity() -> None:
    deal = Opportunity.open(
        OpportunityId("opp-1"),
        customer_id=CustomerId("c-1"),
        pipeline=STANDARD_PIPELINE,
        name="Coffee machines for Ibu Sari",
        amount=Money("1000.00", "USD"),
        expected_close=date(2026, 6, 30),
        owner=StaffId("rep-1"),
        at=T0,
    )
    deal = deal.set_next_step("Call Sari on Friday", at=_later(1))
    lost = next(s.code for s in STANDARD_PIPELINE.stages if s.kind.value == "lost")
    deal = deal.move_to(lost, STANDARD_PIPELINE, at=_later(2), reason="Sari chose a rival")
    after = deal.anonymise(at=_later(3))
    assert (after.name, after.next_step, after.lost_reason) == (ERASED, None, ERASED)
    assert after.amount == deal.amount
    assert "Sari" not in _json(after)


def test_a_cancelled_order_keeps_its_accounting() -> None:
    line = OrderLine(ProductId("sku-1"), 2, Money("15.00", "USD"), category="books")
    order = Order.place(OrderId("o-1"), customer_id=CustomerId("c-1"), lines=[line], at=T0)
    order = order.record_payment(PaymentId("p-1"), Money("30.00", "USD"), at=_later(1))
    order = order.cancel(at=_later(2), reason="Pak Budi moved to Surabaya")
    after = order.anonymise(at=_later(3))
    assert after.cancel_reason is None
    assert after.refund_reasons == (None,)
    assert after.amount_refunded == order.amount_refunded == Money("30.00", "USD")
    assert after.status is order.status
    assert _last_fields(after) == ("cancel_reason", "refund_reasons")
    assert "Budi" not in _json(after)


def test_a_returned_order() -> None:
    line = OrderLine(ProductId("sku-1"), 2, Money("15.00", "USD"), category="books")
    order = Order.place(OrderId("o-2"), customer_id=CustomerId("c-1"), lines=[line], at=T0)
    order = order.record_payment(PaymentId("p-1"), Money("30.00", "USD"), at=_later(1))
    order = order.fulfil(at=_later(2)).return_items({0: 1}, at=_later(3), reason="Sari: torn")
    after = order.anonymise(at=_later(4))
    assert after.return_reasons == (None,)
    assert after.net_revenue == order.net_revenue
    assert "Sari" not in _json(after)


def test_a_cancelled_subscription() -> None:
    plan = Plan(
        id=PlanId("basic"),
        name="Basic",
        price=Money("9.99", "EUR"),
        period=Period.months(1),
        product_type="streaming",
    )
    sub = Subscription.start(SubscriptionId("s-1"), customer_id=CustomerId("c-1"), plan=plan, at=T0)
    sub = sub.cancel(at=_later(1), reason="Budi lost his job", immediately=True)
    after = sub.anonymise(at=_later(2))
    assert after.cancel_reason is None
    assert after.plan.price == Money("9.99", "EUR")
    assert after.status is sub.status
    assert _last_fields(after) == ("cancel_reason",)


def test_a_done_and_a_cancelled_activity() -> None:
    call = Activity.plan(
        ActivityId("act-1"),
        kind="call",
        subject="Call Ibu Sari about the renewal",
        due_at=_later(24),
        at=T0,
    )
    done = call.complete(outcome="Sari agreed", at=_later(25)).anonymise(at=_later(26))
    assert (done.subject, done.outcome, done.status.value) == (ERASED, None, "done")
    cancelled = call.cancel(at=_later(2), reason="Sari is ill").anonymise(at=_later(3))
    assert (cancelled.cancel_reason, cancelled.status.value) == (None, "cancelled")
    assert _last_fields(cancelled) == ("subject", "cancel_reason")


def test_a_note_with_attachments() -> None:
    scan = Attachment.describe(
        b"id card", file_name="KTP Budi Santoso.jpg", media_type="image/jpeg", storage_key="b-1"
    )
    note = Note.write(NoteId("n-1"), link=RecordRef.to(CaseId("c-1")), attachments=[scan], at=T0)
    after = note.anonymise(at=_later(1))
    assert after.body == ""  # an empty body has nothing to erase
    assert after.attachment_names == (ERASED,)
    assert after.attachments[0].storage_key == "b-1"
    assert after.attachments[0].sha256 == scan.sha256
    assert _last_fields(after) == ("attachment_names",)
    worded = note.edit("Budi's ID card", at=_later(2)).anonymise(at=_later(3))
    assert worded.body == ERASED
    assert "Budi" not in _json(worded)


def test_review_survey_relationship_and_staff() -> None:
    review = Review.receive(
        ReviewId("r-1"),
        platform="google",
        rating=2,
        at=T0,
        text="Rude staff",
        author_name="Ana P.",
        url="https://example.com/r/1",
        customer_id=CustomerId("c-1"),
    ).answer(at=_later(1))
    after = review.anonymise(at=_later(2))
    assert (after.text, after.author_name, after.url) == (None, None, None)
    assert (after.customer_id, after.rating, after.answered) == (CustomerId("c-1"), 2, True)
    csat = CsatResponse.record(
        FeedbackId("f-1"), customer_id=CustomerId("c-1"), score=4, at=T0, comment="Thanks, Rina"
    )
    assert csat.anonymise(at=T0).comment is None
    assert csat.anonymise(at=T0).score == 4
    rel = Relationship.establish(
        RelationshipId("rel-1"),
        kind="contact_of",
        party_id=CustomerId("ana"),
        related_id=CustomerId("acme"),
        job_title="CFO",
        department="Finance",
        at=T0,
    ).end(at=_later(1))
    ended = rel.anonymise(at=_later(2))
    assert (ended.job_title, ended.department) == (None, None)
    assert ended.valid_until == rel.valid_until
    staff = StaffMember.register(StaffId("s-rina"), display_name="Rina Wijaya", at=T0)
    staff = staff.deactivate(at=_later(1)).anonymise(at=_later(2))
    assert (staff.display_name, staff.active) == (ERASED, False)


def test_nothing_personal_left_records_nothing() -> None:
    csat = CsatResponse.record(FeedbackId("f-2"), customer_id=CustomerId("c-1"), score=5, at=T0)
    assert csat.anonymise(at=T0) is csat
    assert csat.masked(["comment"]) is csat
    assert csat.personal_data() == {"comment": None}
