"""Tests for leads' consent, teams and conversion into existing customers (`crmcore.sales._leads`)."""

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, Money, StaffId, TransitionNotAllowed, ValidationError
from crmcore.customers import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    ContactPoint,
    Customer,
    CustomerConsentGiven,
    CustomerConsentWithdrawn,
    CustomerId,
    OrganizationName,
    PersonName,
    Purpose,
    decide_consent,
)
from crmcore.parties import PartyRecord, find_matches
from crmcore.sales import (
    STANDARD_PIPELINE,
    Lead,
    LeadAssigned,
    LeadCaptured,
    LeadConsentRecorded,
    LeadConversion,
    LeadConverted,
    LeadId,
    OpportunityId,
)
from crmcore.sales._lead_consent import carried_consents, latest_by_scope, newer
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import TeamId
from crmcore.testing.strategies import consent_records

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EMAIL = ContactPoint("email", "dewi.lestari@example.com")
DEWI = PersonName("Dewi", family="Lestari")


def capture(**changes):
    fields = {
        "name": DEWI,
        "source": "web",
        "at": T0,
        "contact_points": [EMAIL],
        "interest": "Coffee machines",
        "owner": StaffId("rep-3"),
    }
    fields.update(changes)
    return Lead.capture(LeadId("lead-1"), **fields)


def customer(at=T0 - DAY, **changes):
    fields = {"name": DEWI, "at": at, "contact_points": [EMAIL]}
    fields.update(changes)
    return Customer.register(CustomerId("c-1"), **fields).without_pending_events()


def roundtrip(obj, cls=None):
    return from_dict(cls or type(obj), json.loads(json.dumps(to_dict(obj))))


# -- teams ---------------------------------------------------------------------------------


def test_capture_sets_the_team_and_the_event_names_it():
    lead = capture(team=TeamId("t-jkt"))
    assert TeamId("t-jkt") == lead.team
    assert TeamId("t-jkt") == lead.pending_events[0].team
    assert capture().team is None
    assert capture().pending_events[0].team is None


def test_capture_refuses_a_team_of_the_wrong_type():
    with pytest.raises(InvalidType) as info:
        capture(team="t-jkt")
    assert "$.team" == info.value.path


def test_reassignment_records_owner_and_team_in_one_event():
    lead = capture(team=TeamId("t-jkt")).without_pending_events()
    moved = lead.assign(StaffId("rep-4"), TeamId("t-bdg"), at=T0 + HOUR, actor="boss")
    assert (StaffId("rep-4"), TeamId("t-bdg")) == (moved.owner, moved.team)
    (event,) = moved.pending_events
    assert isinstance(event, LeadAssigned)
    assert (event.owner, event.previous) == (StaffId("rep-4"), StaffId("rep-3"))
    assert (event.team, event.previous_team) == (TeamId("t-bdg"), TeamId("t-jkt"))
    assert "boss" == event.actor


def test_assign_without_a_team_keeps_it_and_none_clears_it():
    lead = capture(team=TeamId("t-jkt")).without_pending_events()
    kept = lead.assign(StaffId("rep-4"), at=T0)
    assert TeamId("t-jkt") == kept.team
    assert (TeamId("t-jkt"), TeamId("t-jkt")) == (
        kept.pending_events[0].team,
        kept.pending_events[0].previous_team,
    )
    cleared = kept.assign(StaffId("rep-4"), None, at=T0)
    assert cleared.team is None
    assert (None, TeamId("t-jkt")) == (
        cleared.pending_events[-1].team,
        cleared.pending_events[-1].previous_team,
    )
    assert cleared.owner == cleared.pending_events[-1].owner == StaffId("rep-4")
    unassigned = cleared.assign(None, team=TeamId("t-x"), at=T0)
    assert (None, TeamId("t-x")) == (unassigned.owner, unassigned.team)


def test_assigning_the_same_owner_and_team_records_nothing():
    lead = capture(team=TeamId("t-jkt")).without_pending_events()
    assert lead is lead.assign(StaffId("rep-3"), at=T0)
    assert lead is lead.assign(StaffId("rep-3"), TeamId("t-jkt"), at=T0)


@pytest.mark.parametrize(
    ("args", "path"),
    [
        ((StaffId("rep-4"), "t-jkt"), "$.team"),
        ((StaffId("rep-4"), StaffId("t-jkt")), "$.team"),
        (("rep-4",), "$.owner"),
    ],
)
def test_assign_refuses_wrong_types_and_changes_nothing(args, path):
    lead = capture(team=TeamId("t-jkt"))
    with pytest.raises(InvalidType) as info:
        lead.assign(*args, at=T0)
    assert path == info.value.path
    assert TeamId("t-jkt") == lead.team


def test_the_opportunity_opened_on_conversion_takes_the_leads_team():
    lead = capture(team=TeamId("t-jkt")).qualify(at=T0)
    done = lead.convert(
        CustomerId("c-9"),
        at=T0,
        opportunity_id=OpportunityId("opp-1"),
        pipeline=STANDARD_PIPELINE,
        amount=Money(1_000, "IDR"),
        expected_close=date(2026, 5, 1),
    )
    assert TeamId("t-jkt") == done.opportunity.team


# -- consent on a lead ---------------------------------------------------------------------


def test_a_lead_records_consent_with_an_event():
    lead = capture().without_pending_events()
    lead = lead.give_consent(
        "email", "marketing", at=T0 + HOUR, source="web-form", expires_at=T0 + 400 * DAY
    )
    lead = lead.withdraw_consent(None, "profiling", at=T0 + 2 * HOUR, source="web-form")
    assert 2 == len(lead.consents)
    first, second = lead.pending_events
    assert isinstance(first, LeadConsentRecorded)
    assert (first.channel, first.purpose, first.status) == (
        Channel.EMAIL,
        Purpose.MARKETING,
        ConsentStatus.GRANTED,
    )
    assert (T0 + HOUR, T0 + 400 * DAY) == (first.occurred_at, first.expires_at)
    assert (None, ConsentStatus.WITHDRAWN) == (second.channel, second.status)
    assert "web-form" not in json.dumps(to_dict(first))
    assert T0 + 2 * HOUR == lead.updated_at
    assert lead.may_contact("email", "marketing", at=T0 + 3 * HOUR)
    assert not lead.may_contact("sms", "marketing", at=T0 + 3 * HOUR)
    assert lead.may_contact("sms", "service", at=T0 + 3 * HOUR)
    assert "withdrawn" == lead.consent_decision("email", "profiling", at=T0 + 3 * HOUR).reason


def test_record_consent_takes_a_record_and_follows_the_time_rule():
    lead = capture().contact(at=T0 + 2 * HOUR)
    record = ConsentRecord("sms", "marketing", "granted", T0 + HOUR, "web-form")
    with pytest.raises(ValidationError) as info:
        lead.record_consent(record)
    assert ("$.record.captured_at", "time_backwards") == (info.value.path, info.value.code)
    with pytest.raises(InvalidType) as info:
        lead.record_consent({"channel": "sms"})
    assert "$.record" == info.value.path
    later = lead.record_consent(ConsentRecord("sms", "marketing", "granted", T0 + 3 * HOUR, "x"))
    assert T0 + 3 * HOUR == later.updated_at


def test_a_disqualified_lead_still_records_a_withdrawal_a_converted_one_none():
    lead = capture().give_consent("email", "marketing", at=T0, source="web-form")
    out = lead.disqualify(at=T0 + HOUR, reason="no budget")
    out = out.withdraw_consent("email", "marketing", at=T0 + 2 * HOUR, source="reply")
    assert not out.may_contact("email", "marketing", at=T0 + 2 * HOUR)
    done = lead.qualify(at=T0 + HOUR).convert(CustomerId("c-9"), at=T0 + HOUR).lead
    with pytest.raises(ValidationError) as info:
        done.withdraw_consent("email", "marketing", at=T0 + 2 * HOUR, source="reply")
    assert ("$.status", "converted") == (info.value.path, info.value.code)


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (
            lambda d: d["consents"][0].update(captured_at="2026-03-01T00:00:00+00:00"),
            "$.consents[0].captured_at",
            "before_capture",
        ),
        (
            lambda d: (
                d.update(updated_at="2026-03-09T00:00:00+07:00")
                or d["consents"][0].update(captured_at="2026-03-08T00:00:00+07:00")
            ),
            "$.consents[0].captured_at",
            "after_conversion",
        ),
        (lambda d: d["consents"][0].update(status="maybe"), "$.consents[0].status", None),
        (lambda d: d.update(team=7), "$.team", "type"),
    ],
)
def test_tampered_consent_documents_are_refused(change, path, code):
    lead = capture().give_consent("email", "marketing", at=T0 + HOUR, source="web-form")
    lead = lead.qualify(at=T0 + HOUR).convert(CustomerId("c-1"), at=T0 + 2 * HOUR).lead
    document = to_dict(lead.without_pending_events())
    change(document)
    with pytest.raises(ValidationError) as info:
        from_dict(Lead, document)
    assert path == info.value.path
    if code is not None:
        assert code == info.value.code


# -- conversion into a new customer ----------------------------------------------------------


def test_conversion_into_a_new_customer_carries_the_latest_consent():
    lead = (
        capture()
        .give_consent("email", "marketing", at=T0, source="web-form")
        .withdraw_consent("email", "marketing", at=T0 + HOUR, source="reply")
        .give_consent("email", "marketing", at=T0 + 2 * HOUR, source="call")
        .give_consent("sms", "marketing", at=T0 + 2 * HOUR, source="call", expires_at=T0 + DAY)
        .give_consent(
            "whatsapp", "marketing", at=T0 + 2 * HOUR, source="w", expires_at=T0 + 3 * HOUR
        )
        .withdraw_consent(None, "profiling", at=T0 + 2 * HOUR, source="web-form")
        .qualify(at=T0 + 3 * HOUR)
    )
    done = lead.convert(CustomerId("c-9"), at=T0 + 4 * HOUR)
    assert not done.into_existing
    assert not done.lead.pending_events[-1].into_existing
    new = done.customer
    # The lead's latest record per scope, lapsed grants left out, dated at the conversion.
    assert [
        ("email", "granted", "call"),
        ("sms", "granted", "call"),
        (None, "withdrawn", "web-form"),
    ] == [(r.channel and r.channel.value, r.status.value, r.source) for r in new.consents]
    assert {T0 + 4 * HOUR} == {r.captured_at for r in new.consents}
    assert T0 + DAY == new.consents[1].expires_at
    kinds = [type(e) for e in new.pending_events if e.type.startswith("CustomerConsent")]
    assert [CustomerConsentGiven, CustomerConsentGiven, CustomerConsentWithdrawn] == kinds
    for channel in Channel:
        for purpose in Purpose:
            for when in (T0 + 4 * HOUR, T0 + 2 * DAY):
                assert lead.may_contact(channel, purpose, at=when) == new.may_contact(
                    channel, purpose, at=when
                )


def test_consent_dated_after_the_conversion_time_is_refused():
    lead = capture().qualify(at=T0).give_consent("email", "marketing", at=T0 + DAY, source="form")
    for convert in (
        lambda: lead.convert(CustomerId("c-9"), at=T0 + HOUR),
        lambda: lead.convert_into(customer(), at=T0 + HOUR),
    ):
        with pytest.raises(ValidationError) as info:
            convert()
        assert ("$.at", "time_backwards") == (info.value.path, info.value.code)


# -- conversion into an existing customer ------------------------------------------------------


def qualified_with_consent():
    return (
        capture()
        .give_consent("email", "marketing", at=T0, source="web-form")
        .give_consent("sms", "marketing", at=T0, source="web-form")
        .qualify(at=T0 + HOUR)
    )


def test_conversion_into_an_existing_customer_returns_both_to_save():
    existing = customer().add_tag("vip", at=T0 - HOUR).without_pending_events()
    lead = qualified_with_consent()
    done = lead.convert_into(existing, at=T0 + 2 * HOUR, actor="rep-3")
    assert isinstance(done, LeadConversion)
    assert done.into_existing
    assert done.opportunity is None
    event = done.lead.pending_events[-1]
    assert isinstance(event, LeadConverted)
    assert (CustomerId("c-1"), True, "rep-3") == (
        event.customer_id,
        event.into_existing,
        event.actor,
    )
    assert CustomerId("c-1") == done.lead.customer_id
    # The same customer, its version and data kept, with the lead's consent on top.
    updated = done.customer
    assert (existing.id, existing.version, existing.tags) == (
        updated.id,
        updated.version,
        updated.tags,
    )
    assert existing.contact_points == updated.contact_points
    assert existing.consents == updated.consents[: len(existing.consents)]
    assert [CustomerConsentGiven, CustomerConsentGiven] == [type(e) for e in updated.pending_events]
    assert {"rep-3"} == {e.actor for e in updated.pending_events}
    assert updated.may_contact("sms", "marketing", at=T0 + 2 * HOUR)
    back = roundtrip(done)
    assert done == back
    assert back.into_existing


def test_a_later_withdrawal_by_the_customer_stays_the_latest_decision():
    existing = (
        customer()
        .withdraw_consent("email", "marketing", at=T0 + 30 * timedelta(minutes=1), source="unsub")
        .without_pending_events()
    )
    done = qualified_with_consent().convert_into(existing, at=T0 + 2 * HOUR)
    assert not done.customer.may_contact("email", "marketing", at=T0 + 2 * HOUR)
    assert done.customer.may_contact("sms", "marketing", at=T0 + 2 * HOUR)
    assert 1 == len(done.customer.pending_events)  # only the sms grant came over


def test_a_withdrawal_for_every_channel_still_wins_over_a_carried_grant():
    existing = customer().withdraw_consent(None, "marketing", at=T0 - HOUR, source="unsub")
    existing = existing.without_pending_events()
    done = qualified_with_consent().convert_into(existing, at=T0 + 2 * HOUR)
    assert 2 == len(done.customer.pending_events)
    assert not done.customer.may_contact("email", "marketing", at=T0 + 2 * HOUR)


def test_the_leads_later_withdrawal_overrules_the_customers_grant():
    existing = customer().give_consent("email", "marketing", at=T0 - HOUR, source="shop")
    lead = qualified_with_consent().withdraw_consent(
        "email", "marketing", at=T0 + HOUR, source="reply"
    )
    done = lead.convert_into(existing, at=T0 + 2 * HOUR)
    assert not done.customer.may_contact("email", "marketing", at=T0 + 2 * HOUR)


def test_a_withdrawal_wins_a_tie_at_the_same_instant():
    existing = customer().withdraw_consent("email", "marketing", at=T0, source="unsub")
    done = qualified_with_consent().convert_into(existing, at=T0 + 2 * HOUR)
    assert not done.customer.may_contact("email", "marketing", at=T0 + 2 * HOUR)
    tie = customer().give_consent("email", "marketing", at=T0, source="shop")
    lead = capture().withdraw_consent("email", "marketing", at=T0, source="form").qualify(at=T0)
    done = lead.convert_into(tie, at=T0 + HOUR)
    assert not done.customer.may_contact("email", "marketing", at=T0 + HOUR)


def test_conversion_into_an_existing_customer_can_open_an_opportunity():
    done = qualified_with_consent().convert_into(
        customer(),
        at=T0 + 2 * HOUR,
        opportunity_id=OpportunityId("opp-1"),
        pipeline=STANDARD_PIPELINE,
        amount=Money(5_000_000, "IDR"),
        expected_close=date(2026, 5, 1),
    )
    assert (CustomerId("c-1"), LeadId("lead-1")) == (
        done.opportunity.customer_id,
        done.opportunity.lead_id,
    )
    assert OpportunityId("opp-1") == done.lead.pending_events[-1].opportunity_id
    with pytest.raises(ValidationError) as info:
        qualified_with_consent().convert_into(customer(), at=T0 + 2 * HOUR, stage="proposal")
    assert ("$.stage", "without_opportunity") == (info.value.path, info.value.code)


def test_an_organization_lead_converts_into_an_account():
    account = customer(name=OrganizationName("PT Kopi Kita"), contact_points=[])
    lead = capture(name=OrganizationName("PT Kopi Kita")).qualify(at=T0)
    done = lead.convert_into(account, at=T0)
    assert done.customer is account  # nothing to carry: the same customer, unchanged


@pytest.mark.parametrize(
    ("lead", "target", "error", "path", "code"),
    [
        (
            qualified_with_consent,
            lambda: CustomerId("c-1"),
            InvalidType,
            "$.customer",
            "type",
        ),
        (qualified_with_consent, lambda: None, InvalidType, "$.customer", "type"),
        (
            capture,
            customer,
            TransitionNotAllowed,
            "$.status",
            "transition",
        ),
        (
            lambda: capture().disqualify(at=T0, reason="no budget"),
            customer,
            TransitionNotAllowed,
            "$.status",
            "transition",
        ),
        (
            lambda: qualified_with_consent().convert(CustomerId("c-2"), at=T0 + HOUR).lead,
            customer,
            TransitionNotAllowed,
            "$.status",
            "transition",
        ),
        (
            qualified_with_consent,
            lambda: customer(at=T0 + 3 * HOUR),
            ValidationError,
            "$.at",
            "time_backwards",
        ),
        (
            qualified_with_consent,
            lambda: customer().add_tag("late", at=T0 + 3 * HOUR),
            ValidationError,
            "$.at",
            "time_backwards",
        ),
        (
            qualified_with_consent,
            lambda: customer(name=OrganizationName("PT Kopi Kita")),
            ValidationError,
            "$.customer.kind",
            "kind_mismatch",
        ),
        (
            lambda: capture(referred_by=CustomerId("c-1")).qualify(at=T0),
            customer,
            ValidationError,
            "$.customer",
            "self_referral",
        ),
    ],
)
def test_refused_conversions_into_existing_customers(lead, target, error, path, code):
    subject, existing = lead(), target()
    with pytest.raises(error) as info:
        subject.convert_into(existing, at=T0 + 2 * HOUR)
    assert (path, code) == (info.value.path, info.value.code)


def test_a_customer_full_of_consent_is_refused_under_its_own_path(monkeypatch):
    import crmcore.customers._customer as module  # noqa: PLC0415 - only to shrink the limit

    monkeypatch.setattr(module, "MAX_CONSENT_RECORDS", 0)
    with pytest.raises(ValidationError) as info:
        qualified_with_consent().convert_into(customer(), at=T0 + 2 * HOUR)
    assert info.value.path.startswith("$.customer.")


def test_the_documented_way_to_find_the_customer_with_match_rules():
    existing = customer()
    other = Customer.register(CustomerId("c-2"), name=PersonName("Budi"), at=T0)
    lead = qualified_with_consent()
    probe = PartyRecord.from_parts(lead.id, name=lead.name, contact_points=lead.contact_points)
    (candidate,) = find_matches(probe, [existing, other])
    assert CustomerId("c-1") == candidate.right
    done = lead.convert_into(existing, at=T0 + 2 * HOUR)
    assert done.lead.customer_id == candidate.right


# -- documents -------------------------------------------------------------------------------


def test_a_lead_with_consent_and_team_round_trips():
    lead = (
        capture(team=TeamId("t-jkt"))
        .give_consent("email", "marketing", at=T0, source="web-form", expires_at=T0 + 90 * DAY)
        .withdraw_consent(None, "third_party_sharing", at=T0 + HOUR, source="web-form")
        .assign(StaffId("rep-4"), TeamId("t-bdg"), at=T0 + HOUR)
        .qualify(at=T0 + 2 * HOUR)
    )
    done = lead.convert_into(customer(), at=T0 + 3 * HOUR)
    for obj in (lead, done.lead, done.customer, done):
        assert obj == roundtrip(obj)
    back = roundtrip(lead)
    assert (lead.team, lead.consents) == (back.team, back.consents)
    assert lead.consents[0].source == back.consents[0].source
    assert lead.pending_events == back.pending_events
    for event in done.lead.pending_events:
        assert event == roundtrip(event, DomainEvent)


def test_an_old_lead_document_without_the_new_fields_still_loads():
    lead = capture().assign(StaffId("rep-4"), at=T0).qualify(at=T0)
    lead = lead.convert(CustomerId("c-1"), at=T0 + HOUR).lead
    document = json.loads(json.dumps(to_dict(lead)))
    del document["team"]
    del document["consents"]
    for event in document["pending_events"]:
        for field in ("team", "previous_team", "into_existing"):
            event.pop(field, None)
    old = from_dict(Lead, document)
    assert (old.team, old.consents) == (None, ())
    assert old == lead
    captured, assigned = old.pending_events[0], old.pending_events[1]
    assert isinstance(captured, LeadCaptured)
    assert captured.team is None
    assert (None, None) == (assigned.team, assigned.previous_team)
    assert not old.pending_events[-1].into_existing
    conversion = json.loads(json.dumps(to_dict(LeadConversion(lead=lead, customer=customer()))))
    del conversion["into_existing"]
    assert not from_dict(LeadConversion, conversion).into_existing


# -- properties ------------------------------------------------------------------------------

CHANNELS = [Channel.EMAIL, Channel.SMS, None]
PURPOSES = [Purpose.MARKETING, Purpose.PROFILING]


def _records(start, end):
    return st.lists(
        consent_records(
            channels=CHANNELS, purposes=PURPOSES, min_captured_at=start, max_captured_at=end
        ),
        max_size=6,
    ).map(lambda rs: sorted(rs, key=lambda r: r.captured_at))


@given(
    customer_records=_records(T0 - 10 * DAY, T0 + 5 * DAY),
    lead_records=_records(T0, T0 + 5 * DAY),
    offsets=st.lists(st.integers(0, 400), min_size=1, max_size=4),
)
def test_conversion_decides_as_the_joined_histories_and_never_frees_a_withdrawal(
    customer_records, lead_records, offsets
):
    """After conversion the customer decides as its history joined with the lead's live latest records."""
    at = T0 + 6 * DAY
    existing = Customer.register(CustomerId("c-1"), name=DEWI, at=T0 - 10 * DAY)
    for record in customer_records:
        existing = existing.record_consent(record)
    lead = capture()
    for record in lead_records:
        lead = lead.record_consent(record)
    lead = lead.qualify(at=at)
    done = lead.convert_into(existing, at=at)
    after = done.customer
    # What still decides on the lead: its latest record per scope, lapsed grants left out.
    kept = [
        r
        for r in latest_by_scope(lead.consents, at).values()
        if r.status is ConsentStatus.WITHDRAWN or r.is_live_grant(at)
    ]
    joined = [*existing.consents, *kept]
    for days in offsets:
        when = at + timedelta(days=days)
        for channel in (Channel.EMAIL, Channel.SMS, Channel.PHONE):
            for purpose in PURPOSES:
                got = after.consent_decision(channel, purpose, at=when)
                assert decide_consent(joined, channel, purpose, when).allowed == got.allowed
                # A withdrawal newer than everything the other side said in its scope holds.
                for side, other in ((existing.consents, kept), (kept, existing.consents)):
                    latest, theirs = latest_by_scope(side, at), latest_by_scope(other, at)
                    for scope in ((channel, purpose), (None, purpose)):
                        mine = latest.get(scope)
                        if mine is None or mine.status is not ConsentStatus.WITHDRAWN:
                            continue
                        rival = theirs.get(scope)
                        if rival is None or not newer(rival, mine):
                            assert not got.allowed
    assert after.consents[: len(existing.consents)] == existing.consents
    assert all(r.captured_at == at for r in after.consents[len(existing.consents) :])


@given(lead_records=_records(T0, T0 + 5 * DAY))
def test_a_new_customer_decides_as_the_lead(lead_records):
    lead = capture()
    for record in lead_records:
        lead = lead.record_consent(record)
    at = T0 + 6 * DAY
    new = lead.qualify(at=at).convert(CustomerId("c-9"), at=at).customer
    assert len(new.consents) == len(carried_consents(lead.consents, (), at))
    for days in (0, 1, 30, 400):
        when = at + timedelta(days=days)
        for channel in (Channel.EMAIL, Channel.SMS, Channel.PHONE):
            for purpose in Purpose:
                assert lead.may_contact(channel, purpose, at=when) == new.may_contact(
                    channel, purpose, at=when
                )
