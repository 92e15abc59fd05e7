"""Consent for one address on a lead: carried over at conversion only where it still means something."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmcore.customers import ContactPoint, Customer, CustomerId, PersonName
from crmcore.sales import Lead, LeadId

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOME = "dewi@example.com"
WORK = "dewi@kantor.example.co.id"


def lead(*addresses: str) -> Lead:
    return Lead.capture(
        LeadId("lead-1"),
        name=PersonName("Dewi", family="Lestari"),
        source="web",
        at=T0,
        contact_points=[ContactPoint("email", a) for a in addresses],
    )


def test_a_grant_for_an_address_the_customer_lacks_is_not_carried_into_an_existing_customer():
    captured = lead(HOME, WORK).give_consent(
        "email", "marketing", at=T0, source="web-form", address=WORK
    )
    existing = Customer.register(
        CustomerId("c-1"),
        name=PersonName("Dewi"),
        at=T0,
        contact_points=[ContactPoint("email", HOME)],
    )
    later = T0 + timedelta(days=1)
    converted = captured.qualify(at=later).convert_into(existing, at=later)
    customer = converted.customer
    assert () == customer.consent_addresses  # the work address is not the customer's
    assert not customer.may_contact("email", "marketing", at=later, address=HOME)
    assert [e.for_address for e in captured.pending_events if e.type == "LeadConsentRecorded"] == [
        True
    ]


def test_a_grant_for_an_address_the_new_customer_holds_is_carried_for_that_address_only():
    captured = lead(HOME, WORK).give_consent(
        "email", "marketing", at=T0, source="web-form", address=HOME
    )
    later = T0 + timedelta(days=1)
    customer = captured.qualify(at=later).convert(CustomerId("c-2"), at=later).customer
    assert (HOME,) == customer.consent_addresses
    assert customer.may_contact("email", "marketing", at=later, address=HOME)
    assert not customer.may_contact("email", "marketing", at=later, address=WORK)


def test_an_address_record_does_not_hide_the_channel_withdrawal():
    later = T0 + timedelta(days=1)
    captured = (
        lead(HOME)
        .withdraw_consent("email", "marketing", at=T0, source="unsubscribe")
        .give_consent("email", "marketing", at=later, source="web-form", address=HOME)
    )
    customer = captured.qualify(at=later).convert(CustomerId("c-3"), at=later).customer
    # Both records go over: the channel's withdrawal still says no for every address.
    assert {(r.address, r.status.value) for r in customer.consents} == {
        (None, "withdrawn"),
        (HOME, "granted"),
    }
    assert not customer.may_contact("email", "marketing", at=later, address=HOME)


def test_anonymising_a_lead_strips_the_addresses_its_consent_named():
    captured = lead(HOME).give_consent("email", "marketing", at=T0, source="web-form", address=HOME)
    erased = captured.anonymise(at=T0 + timedelta(days=1))
    assert () == erased.consent_addresses
    assert [r.for_address for r in erased.consents] == [True]  # the proof stays, for an address
    assert "consent_addresses" in erased.pending_events[-1].fields
    assert HOME not in repr(erased.consents)
