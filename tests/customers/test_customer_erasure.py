"""Erasing a customer: what is replaced, what is kept, what is refused, and nothing left behind."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given

from crmcore import CrmcoreError, ValidationError
from crmcore._kernel._personal import ERASED
from crmcore.customers import (
    CUSTOMER_PERSONAL_FIELDS,
    MAX_LEGAL_HOLDS,
    AlreadyErased,
    Channel,
    ConsentStatus,
    ContactPoint,
    Customer,
    CustomerAnonymised,
    CustomerId,
    CustomerMerged,
    ErasureBlocked,
    LegalBasis,
    OrganizationName,
    PartyKind,
    PersonName,
    PostalAddress,
    Purpose,
    merge_customers,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)


def full_customer(customer_id: str = "c-1") -> Customer:
    customer = Customer.register(
        CustomerId(customer_id),
        name=PersonName("Ana", family="Putri", preferred="Nana"),
        at=T0,
        birth_date=date(1990, 4, 1),
        addresses=[PostalAddress(["Jl. Melati 7"], country="ID", locality="Bandung")],
        preferred_language="id",
        attributes={"shoe_size": "42", "vip_since": date(2020, 1, 1), "credit": Decimal("1.50")},
        contact_points=[
            ContactPoint("email", "ana.putri@example.com", label="home"),
            ContactPoint.phone("+62 812 3456 7890"),
        ],
        tags=["vip"],
    )
    customer = customer.give_consent(
        "email", "marketing", at=T0, source="web-form", address="ana.putri@example.com"
    )
    return customer.give_consent("sms", "service", at=T0, source="store:JKT-01")


def strings_in(value: object) -> set[str]:
    """Every str leaf of a JSON-ready document (keys included)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set(value) | {s for v in value.values() for s in strings_in(v)}
    if isinstance(value, list):
        return {s for v in value for s in strings_in(v)}
    return set()


#: The codes documents hold by design (enum values).
CODES = {m.value for enum in (Channel, Purpose, ConsentStatus, LegalBasis, PartyKind) for m in enum}


def keys_of(event: object) -> set[str]:
    """The keys and the type name of an event's document: what it holds by design."""
    document = to_dict(event)
    return {*document, document["type"], document["aggregate_kind"], *CODES}


def personal_values(customer: Customer) -> set[str]:
    """The personal values a customer holds, as text (what must not survive an erasure)."""
    profile = customer.profile
    found: set[str] = set()
    name = profile.name
    if isinstance(name, PersonName):
        found.update(p for p in (name.given, name.family, name.preferred) if p)
    else:
        found.update(p for p in (name.legal, name.trading) if p)
    if profile.birth_date is not None:
        found.add(profile.birth_date.isoformat())
    for address in profile.addresses:
        found.update(address.lines)
        found.update(p for p in (address.locality, address.postal_code, address.region) if p)
    for value in profile.attributes.values():
        if isinstance(value, str):
            found.add(value)
    for point in customer.contact_points:
        found.add(point.value)
        if point.label is not None:
            found.add(point.label)
    found.update(customer.consent_addresses)
    return {v for v in found if v != ERASED}


# -- what an erasure does -------------------------------------------------------------------------


def test_an_erasure_replaces_every_personal_field_and_keeps_the_rest():
    customer = full_customer()
    erased = customer.anonymise(at=T1, actor="dpo-1")
    assert erased.is_erased
    assert erased.privacy.erased_at == T1
    assert erased.profile.name == PersonName(ERASED)
    assert erased.profile.birth_date is None
    assert erased.profile.addresses == ()
    assert dict(erased.profile.attributes) == {}
    assert erased.profile.preferred_language is None
    assert erased.contact_points == ()
    # Kept: ids, kind, tags (codes), the consent history as proof, without addresses.
    assert (erased.id, erased.kind, erased.tags) == (customer.id, customer.kind, customer.tags)
    assert len(erased.consents) == len(customer.consents)
    for before, after in zip(customer.consents, erased.consents, strict=True):
        assert after.address is None
        assert after.for_address is before.for_address
        assert (after.channel, after.purpose, after.status, after.captured_at) == (
            before.channel,
            before.purpose,
            before.status,
            before.captured_at,
        )
        assert (after.legal_basis, after.source, after.expires_at) == (
            before.legal_basis,
            before.source,
            before.expires_at,
        )
    # One event, naming the fields.
    new_events = erased.pending_events[len(customer.pending_events) :]
    assert [type(e) for e in new_events] == [CustomerAnonymised]
    assert new_events[0].fields == CUSTOMER_PERSONAL_FIELDS
    assert new_events[0].actor == "dpo-1"
    assert erased.personal_data()["profile.name"] == PersonName(ERASED)


def test_an_organization_keeps_a_placeholder_of_its_kind():
    company = Customer.register(CustomerId("c-9"), name=OrganizationName("PT Maju"), at=T0)
    erased = company.anonymise(at=T0)
    assert erased.profile.name == OrganizationName(ERASED)
    assert erased.pending_events[-1].fields == ("profile.name",)


def test_an_erased_customer_takes_no_command():
    erased = full_customer().anonymise(at=T1)
    commands = [
        lambda c: c.add_tag("x", at=T2),
        lambda c: c.rename(PersonName("Budi"), at=T2),
        lambda c: c.give_consent("email", "marketing", at=T2, source="web"),
        lambda c: c.restrict_processing(at=T2, reason="legal_claims"),
        lambda c: c.place_legal_hold("h", at=T2, reason="litigation"),
        lambda c: c.object_to("profiling", at=T2),
        lambda c: c.anonymise(at=T2),
    ]
    for command in commands:
        with pytest.raises(AlreadyErased) as info:
            command(erased)
        assert (info.value.code, info.value.path, info.value.customer_id) == (
            "erased",
            "$.privacy.erased_at",
            erased.id,
        )
        assert isinstance(info.value, CrmcoreError)


def test_a_legal_hold_blocks_the_erasure_and_nothing_is_applied():
    held = (
        full_customer()
        .place_legal_hold("tax_2026", at=T0, reason="tax_audit")
        .place_legal_hold("case_17", at=T0, reason="litigation")
    )
    with pytest.raises(ErasureBlocked) as info:
        held.anonymise(at=T1)
    assert info.value.hold_codes == ("case_17", "tax_2026")
    assert info.value.code == "legal_hold"
    message = str(info.value)
    assert "case_17" in message
    assert "tax_2026" in message
    for value in personal_values(held):
        assert value not in message
    assert not held.is_erased
    released = held.release_legal_hold("tax_2026", at=T1).release_legal_hold("case_17", at=T1)
    assert released.anonymise(at=T1).is_erased


def test_an_erased_customer_is_not_merged_either_way():
    erased = full_customer("c-1").anonymise(at=T1)
    other = Customer.register(CustomerId("c-2"), name=PersonName("Ana"), at=T0)
    with pytest.raises(AlreadyErased) as info:
        merge_customers(erased, other, at=T2)
    assert info.value.path == "$.survivor.privacy.erased_at"
    with pytest.raises(AlreadyErased) as info:
        merge_customers(other, erased, at=T2)
    assert info.value.path == "$.absorbed.privacy.erased_at"


def test_an_absorbed_tombstone_can_be_erased():
    survivor = Customer.register(CustomerId("c-2"), name=PersonName("Ana"), at=T0)
    _, tombstone = merge_customers(survivor, full_customer("c-1"), at=T1)
    assert tombstone.profile.birth_date is not None  # the tombstone kept its old profile
    with pytest.raises(CustomerMerged):
        tombstone.add_tag("x", at=T2)
    erased = tombstone.anonymise(at=T2)
    assert erased.is_erased
    assert erased.merged_into == survivor.id
    assert personal_values(erased) == set()
    with pytest.raises(AlreadyErased):
        erased.add_tag("x", at=T2)


def test_an_erasure_keeps_the_time_rule():
    with pytest.raises(ValidationError) as info:
        full_customer().add_tag("x", at=T2).anonymise(at=T1)
    assert info.value.code == "time_backwards"


def test_an_erased_document_must_hold_no_personal_data():
    document = to_dict(full_customer().anonymise(at=T1).without_pending_events())
    assert from_dict(Customer, document).is_erased
    document["profile"]["birth_date"] = "1990-04-01"
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, document)
    assert "erased" in {p.code for p in info.value.problems} | {info.value.code}


def test_masking_names_the_consent_addresses_too():
    customer = full_customer()
    masked = customer.masked(["consent_addresses", "contact_points"])
    assert masked.consent_addresses == ()
    assert masked.contact_points == ()
    assert masked.version == customer.version
    assert masked.pending_events == customer.pending_events
    assert customer.personal_data()["consent_addresses"] == ("ana.putri@example.com",)


# -- the property ----------------------------------------------------------------------------


@given(crm.customers(max_consents=8))
def test_after_an_erasure_no_personal_value_is_left(customer):
    # Values kept by design (codes, ids, sources, keys) may coincide with a personal value.
    kept = {*customer.tags, *customer.profile.attributes, *(r.source for r in customer.consents)}
    kept |= {customer.id.value, *(s for e in customer.pending_events for s in keys_of(e))}
    values = personal_values(customer) - kept
    erased = customer.anonymise(at=customer.updated_at)
    assert erased.is_erased
    assert personal_values(erased) == set()
    stored = strings_in(to_dict(erased))
    events = {s for event in erased.pending_events for s in strings_in(to_dict(event))}
    text = repr(erased).replace(repr(erased.id), "")
    for value in values:
        assert value not in stored
        assert value not in events
        if len(value) >= 4:
            assert value not in text
    # What the event lists is exactly what changed.
    event = erased.pending_events[-1]
    assert isinstance(event, CustomerAnonymised)
    before, after = customer.personal_data(), erased.personal_data()
    assert event.fields == tuple(n for n in CUSTOMER_PERSONAL_FIELDS if before[n] != after[n])
    assert from_dict(Customer, to_dict(erased)) == erased


@given(crm.customers(with_legal_holds=True))
def test_an_erasure_is_refused_exactly_under_a_hold(customer):
    assume(customer.privacy.legal_holds)
    with pytest.raises(ErasureBlocked) as info:
        customer.anonymise(at=customer.updated_at)
    assert set(info.value.hold_codes) == {h.code for h in customer.privacy.legal_holds}


def test_masking_one_field_leaves_the_others():
    customer = full_customer()
    masked = customer.masked(["profile.birth_date"])
    assert masked.profile.birth_date is None
    assert masked.contact_points == customer.contact_points
    assert masked.consents == customer.consents
    assert masked.profile.name == customer.profile.name


def test_a_merge_keeps_both_customers_refusals():
    survivor = full_customer("c-1").object_to("profiling", at=T0)
    absorbed = (
        Customer.register(CustomerId("c-2"), name=PersonName("Ana"), at=T0)
        .object_to("profiling", at=T0)
        .object_to("direct_marketing", at=T0)
        .restrict_processing(at=T0, reason="accuracy_contested")
        .place_legal_hold("case_17", at=T0, reason="litigation")
    )
    merged, _ = merge_customers(survivor, absorbed, at=T1)
    assert merged.privacy.restriction == absorbed.privacy.restriction
    assert {o.kind for o in merged.privacy.objections} == {"profiling", "direct_marketing"}
    assert merged.privacy.objection("profiling") == survivor.privacy.objection("profiling")
    assert [h.code for h in merged.privacy.legal_holds] == ["case_17"]
    assert "privacy" in merged.pending_events[-1].changed
    # Nothing to carry over: the survivor's state is kept as it is.
    plain, _ = merge_customers(
        survivor, Customer.register(CustomerId("c-3"), name=PersonName("Ana"), at=T0), at=T1
    )
    assert plain.privacy is survivor.privacy
    assert "privacy" not in plain.pending_events[-1].changed


def test_a_merge_refuses_too_many_legal_holds():
    survivor, absorbed = full_customer("c-1"), full_customer("c-2")
    for number in range(MAX_LEGAL_HOLDS):
        survivor = survivor.place_legal_hold(f"a_{number}", at=T0, reason="litigation")
        absorbed = absorbed.place_legal_hold(f"b_{number}", at=T0, reason="litigation")
    with pytest.raises(ValidationError) as info:
        merge_customers(survivor, absorbed, at=T1)
    assert (info.value.path, info.value.code) == ("$.privacy.legal_holds", "too_many")
