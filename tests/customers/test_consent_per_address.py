"""Consent for one contact point (an address or a number) as well as for a whole channel."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore._kernel._personal import ERASED
from crmcore.customers import (
    ADDRESS_CHANNELS,
    ConsentRecord,
    ConsentStatus,
    ContactPoint,
    Customer,
    CustomerId,
    PersonName,
    Purpose,
    consents_without_identity,
    decide_consent,
    merge_customers,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HOME = "ana@home.example"
WORK = "ana@work.example"


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def ana(customer_id: str = "c-1") -> Customer:
    return Customer.register(
        CustomerId(customer_id),
        name=PersonName("Ana"),
        at=T0,
        contact_points=[ContactPoint("email", HOME), ContactPoint("email", WORK)],
    )


# -- the rules, by example --------------------------------------------------------------------


def test_a_grant_for_one_address_covers_that_address_only():
    customer = ana().give_consent("email", "marketing", at=at(1), source="web", address=HOME)
    assert customer.may_contact("email", "marketing", at=at(1), address=HOME)
    assert customer.may_contact("email", "marketing", at=at(1), address="Ana@Home.Example")
    assert not customer.may_contact("email", "marketing", at=at(1), address=WORK)
    assert not customer.may_contact("email", "marketing", at=at(1))  # as before: no channel record
    decision = customer.consent_decision("email", "marketing", at=at(1), address=HOME)
    assert (decision.reason, decision.record) == ("granted", customer.consents[-1])


def test_an_address_withdrawal_beats_a_channel_grant():
    customer = (
        ana()
        .give_consent("email", "marketing", at=at(1), source="web")
        .withdraw_consent("email", "marketing", at=at(2), source="unsubscribe", address=WORK)
    )
    assert customer.may_contact("email", "marketing", at=at(2))
    assert customer.may_contact("email", "marketing", at=at(2), address=HOME)
    decision = customer.consent_decision("email", "marketing", at=at(2), address=WORK)
    assert (decision.allowed, decision.reason) == (False, "withdrawn")
    # A later grant for the address opens it again.
    regranted = customer.give_consent("email", "marketing", at=at(3), source="web", address=WORK)
    assert regranted.may_contact("email", "marketing", at=at(3), address=WORK)


@pytest.mark.parametrize("channel", ["email", None])
def test_a_channel_withdrawal_beats_an_address_grant(channel):
    customer = (
        ana()
        .give_consent("email", "marketing", at=at(1), source="web", address=HOME)
        .withdraw_consent(channel, "marketing", at=at(2), source="unsubscribe")
    )
    decision = customer.consent_decision("email", "marketing", at=at(2), address=HOME)
    assert (decision.allowed, decision.reason) == (False, "withdrawn")
    assert decision.record.address is None


def test_an_expired_address_grant_leaves_the_channel_decision():
    customer = ana().give_consent(
        "email", "marketing", at=at(1), source="web", address=HOME, expires_at=at(5)
    )
    decision = customer.consent_decision("email", "marketing", at=at(6), address=HOME)
    assert (decision.allowed, decision.reason) == (False, "expired")
    channel_grant = customer.give_consent("email", "marketing", at=at(2), source="web")
    decision = channel_grant.consent_decision("email", "marketing", at=at(6), address=HOME)
    assert (decision.allowed, decision.reason) == (True, "granted")
    assert decision.record.address is None
    service = customer.give_consent(
        "email", "service", at=at(2), source="web", address=HOME, expires_at=at(3)
    )
    assert service.consent_decision("email", "service", at=at(4), address=HOME).allowed


def test_events_say_for_an_address_but_never_which():
    customer = ana().give_consent("email", "marketing", at=at(1), source="web", address=HOME)
    event = customer.pending_events[-1]
    assert event.for_address is True
    assert HOME not in repr(event)
    assert HOME not in str(to_dict(event))
    assert HOME not in repr(customer.consents[-1])
    plain = customer.give_consent("email", "marketing", at=at(1), source="web")
    assert plain.pending_events[-1].for_address is False


def test_removing_a_contact_point_keeps_its_consent_history():
    customer = ana().withdraw_consent(
        "email", "marketing", at=at(1), source="unsubscribe", address=WORK
    )
    customer = customer.give_consent("email", "marketing", at=at(2), source="web")
    removed = customer.remove_contact_point("email", WORK, at=at(3))
    assert removed.consents == customer.consents
    assert not removed.may_contact("email", "marketing", at=at(3), address=WORK)


# -- the errors --------------------------------------------------------------------------------


def test_a_grant_needs_the_contact_point_a_withdrawal_does_not():
    with pytest.raises(ValidationError) as info:
        ana().give_consent("email", "marketing", at=T0, source="web", address="x@other.example")
    assert (info.value.path, info.value.code) == ("$.record.address", "not_found")
    assert "other.example" not in str(info.value)
    withdrawn = ana().withdraw_consent(
        "email", "marketing", at=T0, source="web", address="x@other.example"
    )
    assert withdrawn.consents[-1].address == "x@other.example"


def test_an_address_needs_a_channel_with_addresses():
    with pytest.raises(ValidationError) as info:
        ConsentRecord(None, "marketing", "granted", T0, "web", address=HOME)
    assert (info.value.path, info.value.code) == ("$.channel", "address_without_channel")
    with pytest.raises(ValidationError) as info:
        ConsentRecord(None, "marketing", "granted", T0, "web", for_address=True)
    assert info.value.code == "address_without_channel"
    with pytest.raises(ValidationError) as info:
        ConsentRecord("web", "marketing", "granted", T0, "web", address="https://example.com")
    assert (info.value.path, info.value.code) == ("$.channel", "no_address_channel")
    with pytest.raises(ValidationError) as info:
        ana().may_contact("in_person", "marketing", at=T0, address="store")
    assert info.value.code == "no_address_channel"


def test_an_address_is_normalized_and_checked_for_its_channel():
    record = ConsentRecord("sms", "marketing", "granted", T0, "web", address="+62 812-3456-7890")
    assert (record.address, record.for_address) == ("+6281234567890", True)
    with pytest.raises(ValidationError) as info:
        ConsentRecord("email", "marketing", "granted", T0, "web", address="not-an-email")
    assert (info.value.path, info.value.code) == ("$.address", "email")
    with pytest.raises(ValidationError) as info:
        ConsentRecord("email", "marketing", "granted", T0, "web", address=HOME, for_address=False)
    assert (info.value.path, info.value.code) == ("$.for_address", "for_address")
    with pytest.raises(ValidationError) as info:
        decide_consent([], "email", "marketing", T0, address="nope")
    assert info.value.path == "$.address"


# -- identity removed, proof kept ------------------------------------------------------------------


@given(st.lists(crm.consent_records(addresses=True), max_size=8), crm.aware_datetimes())
def test_consents_without_identity_keep_the_proof_and_every_channel_decision(records, when):
    stripped = consents_without_identity(records)
    assert len(stripped) == len(records)
    for before, after in zip(records, stripped, strict=True):
        assert after.address is None
        # A source that is a code stays; free text (it may name a person) is erased.
        coded = re.fullmatch(r"[a-z0-9][a-z0-9_.:/-]*", before.source) is not None or (
            re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/-]*", before.source) is not None
            and re.search(r"[0-9_.:/-]", before.source) is not None
        )
        assert after.source == (before.source if coded or before.source == ERASED else ERASED)
        assert attrs_without_address(after)[:4] == attrs_without_address(before)[:4]
        assert attrs_without_address(after)[5:] == attrs_without_address(before)[5:]
    for channel in ADDRESS_CHANNELS:
        for purpose in Purpose:
            kept = decide_consent(stripped, channel, purpose, when)
            given_ = decide_consent(records, channel, purpose, when)
            assert bool(kept) == bool(given_)
            assert (kept.record is None) == (given_.record is None)
            if kept.record is not None and given_.record is not None:  # the same record decides
                assert (
                    attrs_without_address(kept.record)[:4]
                    == (attrs_without_address(given_.record)[:4])
                )


def attrs_without_address(record: ConsentRecord) -> tuple[object, ...]:
    return (
        record.channel,
        record.purpose,
        record.status,
        record.captured_at,
        record.source,
        record.legal_basis,
        record.expires_at,
        record.for_address,
    )


def test_consents_without_identity_checks_its_input():
    with pytest.raises(ValidationError) as info:
        consents_without_identity(["not a record"])  # type: ignore[list-item]
    assert info.value.path == "$.records[0]"


@given(crm.consent_records(addresses=True))
def test_consent_records_round_trip_with_their_address(record):
    assert from_dict(ConsentRecord, to_dict(record)) == record


def test_old_consent_documents_still_load():
    document = to_dict(ConsentRecord("email", "marketing", "granted", T0, "web"))
    del document["address"], document["for_address"]
    assert from_dict(ConsentRecord, document) == ConsentRecord(
        "email", "marketing", "granted", T0, "web"
    )


# -- the property ---------------------------------------------------------------------------------


def latest(records, when):
    """The latest of ``records`` at ``when`` (a withdrawal wins a tie), or None."""
    applying = [r for r in records if r.captured_at <= when]
    if not applying:
        return None
    newest = max(r.captured_at for r in applying)
    ties = [r for r in applying if r.captured_at == newest]
    return next((r for r in ties if r.status is ConsentStatus.WITHDRAWN), ties[0])


def live(record, when) -> bool:
    return record.status is ConsentStatus.GRANTED and (
        record.expires_at is None or when < record.expires_at
    )


@given(crm.customers(min_contact_points=1, max_consents=10), st.data())
def test_an_address_decision_is_never_more_permissive_than_its_records_allow(customer, data):
    points = [p for p in customer.contact_points if p.channel in ADDRESS_CHANNELS]
    times = sorted({r.captured_at for r in customer.consents} | {customer.updated_at})
    when = data.draw(st.sampled_from(times), label="when")
    for point in points:
        for purpose in Purpose:
            channel = customer.consent_decision(point.channel, purpose, at=when)
            decision = customer.consent_decision(
                point.channel, purpose, at=when, address=point.value
            )
            own = latest(
                [
                    r
                    for r in customer.consents
                    if r.address == point.value
                    and r.channel is point.channel
                    and r.purpose is purpose
                ],
                when,
            )
            if not channel.allowed and channel.reason == "withdrawn":
                assert decision == channel  # a channel withdrawal always wins
            elif own is None:
                assert decision == channel  # no record of its own: the channel decides
            elif own.status is ConsentStatus.WITHDRAWN:
                assert (decision.allowed, decision.reason) == (False, "withdrawn")
            elif live(own, when):
                assert (decision.allowed, decision.record) == (True, own)
            else:  # an expired grant for the address: never more than the channel allows
                assert decision.allowed == channel.allowed
            if decision.allowed:
                assert channel.allowed or (own is not None and live(own, when))


def test_a_merge_never_opens_an_address_neither_customer_could_be_reached_at():
    # Survivor: the channel withdrawn, then the home address granted (closed: the channel wins).
    survivor = (
        ana("c-1")
        .withdraw_consent("email", "marketing", at=at(1), source="unsubscribe")
        .give_consent("email", "marketing", at=at(3), source="web", address=HOME)
    )
    # Absorbed: the home address withdrawn, then the channel granted (closed: the address wins).
    absorbed = (
        Customer.register(CustomerId("c-2"), name=PersonName("Ana"), at=T0)
        .withdraw_consent("email", "marketing", at=at(2), source="unsubscribe", address=HOME)
        .give_consent("email", "marketing", at=at(4), source="web")
    )
    for customer in (survivor, absorbed):
        assert not customer.may_contact("email", "marketing", at=at(5), address=HOME)
    union = survivor.consents + absorbed.consents
    assert decide_consent(union, "email", "marketing", at(5), address=HOME).allowed
    merged, _ = merge_customers(survivor, absorbed, at=at(5))
    assert not merged.may_contact("email", "marketing", at=at(5), address=HOME)
    guard = merged.consents[-1]
    assert (guard.address, guard.status, guard.captured_at) == (
        HOME,
        ConsentStatus.WITHDRAWN,
        at(5),
    )


def test_a_record_for_an_address_applies_to_that_address_only():
    record = ConsentRecord("email", "marketing", "granted", T0, "web", address=HOME)
    assert record.applies_to("email", "marketing", address="ANA@home.example")
    assert not record.applies_to("email", "marketing")
    assert not record.applies_to("email", "marketing", address=WORK)
    assert not record.applies_to("sms", "marketing", address="+6281234567890")
    assert not record.applies_to("email", "service", address=HOME)
    channel_wide = ConsentRecord(None, "marketing", "granted", T0, "web")
    assert channel_wide.applies_to("email", "marketing", address=HOME)
