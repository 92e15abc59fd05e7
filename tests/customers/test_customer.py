"""Tests for `crmcore.customers._customer` and the consent rules it applies."""

from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest

from crmcore import (
    ContactPoint,
    Customer,
    CustomerId,
    InvalidType,
    OrganizationName,
    PersonName,
    ValidationError,
)
from crmcore.customers import (
    Channel,
    ConsentRecord,
    CustomerConsentGiven,
    CustomerConsentWithdrawn,
    CustomerContactPointAdded,
    CustomerContactPointRemoved,
    CustomerPrimaryContactPointChanged,
    CustomerRegistered,
    CustomerTagAdded,
    CustomerTagRemoved,
    PartyKind,
    PostalAddress,
)
from crmcore.serialization import from_dict, to_dict

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(days: float = 0) -> datetime:
    return T0 + timedelta(days=days)


@pytest.fixture
def ana() -> Customer:
    return Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana", family="Putri"),
        at=T0,
        contact_points=[ContactPoint("email", "ana@example.com")],
    )


def test_register_records_events_in_order():
    """Registration records CustomerRegistered, then contact points, then tags."""
    customer = Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana"),
        at=T0,
        contact_points=[
            ContactPoint("email", "a@example.com"),
            ContactPoint("sms", "+6281234567890"),
        ],
        tags=["VIP", "b2b"],
    )
    assert [
        CustomerRegistered,
        CustomerContactPointAdded,
        CustomerContactPointAdded,
        CustomerTagAdded,
        CustomerTagAdded,
    ] == [type(e) for e in customer.pending_events]
    assert PartyKind.PERSON == customer.kind
    assert 0 == customer.version
    assert frozenset({"vip", "b2b"}) == customer.tags


def test_kind_follows_the_name():
    """An OrganizationName registers an organization, which has no birth date."""
    org = Customer.register(CustomerId("o-1"), name=OrganizationName("PT Maju"), at=T0)
    assert PartyKind.ORGANIZATION == org.kind
    with pytest.raises(ValidationError) as info:
        org.change_birth_date(date(2000, 1, 1), at=T0)
    assert "$.profile.birth_date" == info.value.path


def test_kind_and_name_must_agree():
    """A person with an organization name is refused."""
    customer = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0)
    with pytest.raises(ValidationError) as info:
        customer.rename(OrganizationName("PT X"), at=T0)
    assert "$.profile.name" == info.value.path


def test_naive_times_are_refused(ana):
    """Every command needs an aware time."""
    with pytest.raises(ValidationError) as info:
        ana.add_tag("vip", at=datetime(2026, 1, 6))  # noqa: DTZ001
    assert ("$.at", "naive_datetime") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError):
        Customer.register(CustomerId("c-2"), name=PersonName("B"), at=datetime(2026, 1, 1))  # noqa: DTZ001


def test_commands_before_registration_are_refused(ana):
    """Nothing can happen to a customer before they were registered."""
    with pytest.raises(ValidationError) as info:
        ana.add_tag("vip", at=at(-1))
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info:
        ana.give_consent("email", "marketing", at=at(-1), source="form")
    assert ("$.record.captured_at", "time_backwards") == (info.value.path, info.value.code)


def test_commands_before_the_last_change_are_refused_and_change_nothing(ana):
    """Times never go backwards: a command dated before the last change is refused."""
    tagged = ana.add_tag("vip", at=at(10))
    assert at(10) == tagged.updated_at
    before = to_dict(tagged)
    for command in (
        lambda: tagged.add_tag("gold", at=at(5)),
        lambda: tagged.give_consent("email", "marketing", at=at(5), source="form"),
        lambda: tagged.rename(PersonName("Ana Maria"), at=at(5)),
    ):
        with pytest.raises(ValidationError) as info:
            command()
        assert "time_backwards" == info.value.code
    assert before == to_dict(tagged)
    assert at(10) == tagged.add_tag("gold", at=at(10)).updated_at


def test_events_carry_the_envelope(ana):
    """Sequence numbers count every event; ids are derived; the actor and ids pass through."""
    tagged = ana.add_tag("vip", at=at(1), actor="agent-7", correlation_id="req-1")
    events = tagged.pending_events
    assert list(range(1, len(events) + 1)) == [e.sequence for e in events]
    assert len(events) == tagged.sequence
    last = events[-1]
    assert (f"customer:c-1#{len(events)}", "customer", "c-1") == (
        last.event_id,
        last.aggregate_kind,
        last.aggregate_id,
    )
    assert ("agent-7", "req-1", None) == (last.actor, last.correlation_id, last.causation_id)
    stored = tagged.without_pending_events()
    again = stored.add_tag("gold", at=at(2))
    assert [len(events) + 1] == [e.sequence for e in again.pending_events]


def test_unknown_or_invalid_envelope_keywords_are_refused(ana):
    """A misspelled keyword or an actor that is not an identifier changes nothing."""
    with pytest.raises(InvalidType) as info:
        ana.add_tag("vip", at=at(1), actr="agent-7")  # type: ignore[call-arg]
    assert "unknown_keyword" == info.value.code
    with pytest.raises(ValidationError) as info:
        ana.add_tag("vip", at=at(1), actor="Ana Putri <ana@example.com>")
    assert "$.actor" == info.value.path
    assert "Ana" not in str(info.value)


def test_events_never_copy_personal_data():
    """Names, addresses, contact values and attribute values stay in the record."""
    customer = Customer.register(
        CustomerId("c-9"),
        name=PersonName("Siti", family="Rahayu"),
        at=T0,
        birth_date=date(1990, 4, 17),
        contact_points=[ContactPoint("email", "siti.rahayu@example.com")],
    )
    customer = customer.set_attribute("nickname", "Sisi", at=T0)
    customer = customer.change_birth_date(date(1990, 4, 18), at=T0)
    text = repr(customer.pending_events) + str(to_dict(customer)["pending_events"])
    for secret in ("Siti", "Rahayu", "siti.rahayu", "Sisi", "1990"):
        assert secret not in text


def test_birth_dates_in_the_future_are_refused():
    """A birth date after the registration date is impossible."""
    with pytest.raises(ValidationError) as info:
        Customer.register(
            CustomerId("c-1"), name=PersonName("A"), at=T0, birth_date=date(2026, 1, 7)
        )
    assert ("$.birth_date", "future_birth_date") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError):
        Customer.register(
            CustomerId("c-1"), name=PersonName("A"), at=T0, birth_date=date(1800, 1, 1)
        )
    with pytest.raises(InvalidType):
        Customer.register(CustomerId("c-1"), name=PersonName("A"), at=T0, birth_date=T0)  # type: ignore[arg-type]


def test_loading_refuses_a_birth_date_after_registration():
    """A stored person born after they were registered is refused, like the command."""
    data = to_dict(
        Customer.register(CustomerId("c-1"), name=PersonName("A"), at=T0).without_pending_events()
    )
    data["profile"]["birth_date"] = "2026-02-01"
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, data)
    assert "future_birth_date" in [p.code for p in info.value.problems]


def test_birth_date_of_today_anywhere_on_earth_is_accepted():
    """A baby born today in Kiribati (UTC+14) can be registered at UTC midnight."""
    midnight = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    baby = Customer.register(
        CustomerId("c-1"), name=PersonName("Bayi"), at=midnight, birth_date=date(2026, 1, 5)
    )
    assert date(2026, 1, 5) == baby.profile.birth_date


def test_failed_command_changes_nothing(ana):
    """A refused command leaves the customer exactly as it was."""
    before = (ana, ana.pending_events)
    with pytest.raises(ValidationError):
        ana.add_contact_point(ContactPoint("email", "ANA@example.com"), at=at(1))
    assert before == (ana, ana.pending_events)


def test_duplicate_contact_points_are_refused_after_normalizing(ana):
    """The same address in another case is the same contact point."""
    with pytest.raises(ValidationError) as info:
        ana.add_contact_point(ContactPoint("email", " Ana@EXAMPLE.com"), at=at(1))
    assert ("$.contact_point", "duplicate") == (info.value.path, info.value.code)


def test_constructor_refuses_duplicates_and_two_primaries():
    """Invariants hold for directly built customers too, with index paths."""
    point = ContactPoint("email", "a@example.com", primary=True)
    other = ContactPoint("email", "b@example.com", primary=True)
    base = Customer.register(CustomerId("c-1"), name=PersonName("A"), at=T0)
    with pytest.raises(ValidationError) as info:
        attrs.evolve(base, contact_points=(point, point))
    assert "$.contact_points[1]" == info.value.path
    with pytest.raises(ValidationError) as info:
        attrs.evolve(base, contact_points=(point, other))
    assert "$.contact_points[1].primary" == info.value.path


def test_first_contact_point_of_a_channel_becomes_primary(ana):
    """The registered email is primary; a second one is not, unless asked."""
    assert ana.primary_contact_point("email").value == "ana@example.com"
    second = ana.add_contact_point(ContactPoint("email", "ana@work.example"), at=at(1))
    assert "ana@example.com" == second.primary_contact_point("email").value
    switched = ana.add_contact_point(
        ContactPoint("email", "ana@work.example", primary=True), at=at(1)
    )
    assert "ana@work.example" == switched.primary_contact_point("email").value
    assert 1 == sum(p.primary for p in switched.contact_points_on("email"))


def test_removing_the_primary_promotes_the_next(ana):
    """The next contact point of the channel becomes primary, with an event."""
    two = ana.add_contact_point(ContactPoint("email", "ana@work.example"), at=at(1))
    removed = two.remove_contact_point("email", "ANA@example.com", at=at(2))
    assert "ana@work.example" == removed.primary_contact_point("email").value
    assert [CustomerContactPointRemoved, CustomerPrimaryContactPointChanged] == [
        type(e) for e in removed.pending_events[-2:]
    ]
    with pytest.raises(ValidationError) as info:
        removed.remove_contact_point("email", "ana@example.com", at=at(3))
    assert "not_found" == info.value.code


def test_verify_and_set_primary(ana):
    """Verification and primary changes are recorded once; repeats are no-ops."""
    verified = ana.verify_contact_point("email", "ana@example.com", at=at(1))
    assert verified.contact_point("email", "ana@example.com").verified
    assert verified is verified.verify_contact_point("email", "ana@example.com", at=at(2))
    two = verified.add_contact_point(ContactPoint("email", "b@example.com"), at=at(1))
    moved = two.set_primary_contact_point("email", "b@example.com", at=at(2))
    assert "b@example.com" == moved.primary_contact_point("email").value
    assert moved is moved.set_primary_contact_point("email", "b@example.com", at=at(3))
    assert ana.contact_point("sms", "+6281234567890") is None


def test_tags_are_normalized_and_idempotent(ana):
    """Adding a present tag or removing an absent one records nothing."""
    tagged = ana.add_tag("  VIP ", at=at(1))
    assert tagged.has_tag("vip")
    assert tagged is tagged.add_tag("vip", at=at(2))
    untagged = tagged.remove_tag("Vip", at=at(3))
    assert not untagged.has_tag("VIP")
    assert untagged is untagged.remove_tag("vip", at=at(4))
    assert [CustomerTagAdded, CustomerTagRemoved] == [type(e) for e in untagged.pending_events[-2:]]
    with pytest.raises(ValidationError):
        ana.add_tag("no<script>", at=at(1))


def test_attributes_and_addresses(ana):
    """Attributes set and remove; a repeated address is refused."""
    changed = ana.set_attribute("loyalty_card", "LC-001", at=at(1))
    assert "LC-001" == changed.profile.attributes["loyalty_card"]
    assert changed is changed.set_attribute("loyalty_card", "LC-001", at=at(2))
    assert (
        "loyalty_card" not in changed.remove_attribute("loyalty_card", at=at(2)).profile.attributes
    )
    home = PostalAddress(lines=["Jl. A"], country="ID")
    with_home = ana.add_address(home, at=at(1))
    with pytest.raises(ValidationError) as info:
        with_home.add_address(home, at=at(2))
    assert "duplicate" == info.value.code
    assert () == with_home.remove_address(home, at=at(2)).profile.addresses
    with pytest.raises(InvalidType):
        ana.set_attribute("score", 1.5, at=at(1))  # type: ignore[arg-type]


def test_no_record_means_no_marketing_but_service_is_allowed(ana):
    """Defaults: marketing, profiling and sharing need consent; service does not."""
    assert not ana.may_contact("email", "marketing", at=at(1))
    assert not ana.may_contact("email", "profiling", at=at(1))
    assert not ana.may_contact("email", "third_party_sharing", at=at(1))
    assert ana.may_contact("email", "service", at=at(1))
    assert "default" == ana.consent_decision("email", "marketing", at=at(1)).reason


def test_consent_is_decided_at_the_time_asked(ana):
    """A grant counts from its capture time; a later withdrawal from its own."""
    customer = ana.give_consent("email", "marketing", at=at(1), source="form")
    customer = customer.withdraw_consent("email", "marketing", at=at(5), source="unsubscribe")
    assert not customer.may_contact("email", "marketing", at=at(0.5))
    assert customer.may_contact("email", "marketing", at=at(3))
    assert not customer.may_contact("email", "marketing", at=at(6))
    assert [CustomerConsentGiven, CustomerConsentWithdrawn] == [
        type(e) for e in customer.pending_events[-2:]
    ]


def test_withdrawal_for_every_channel_beats_a_channel_grant(ana):
    """Least permissive: a global opt-out wins over a later channel-specific grant."""
    customer = ana.withdraw_consent(None, "marketing", at=at(1), source="privacy-centre")
    customer = customer.give_consent("sms", "marketing", at=at(2), source="form")
    decision = customer.consent_decision(Channel.SMS, "marketing", at=at(3))
    assert (False, "withdrawn") == (decision.allowed, decision.reason)
    assert decision.record is not None
    assert decision.record.channel is None


def test_a_grant_and_a_withdrawal_at_the_same_instant_deny(ana):
    """Ties go to the less permissive record."""
    customer = ana.give_consent("email", "marketing", at=at(1), source="a")
    customer = customer.withdraw_consent("email", "marketing", at=at(1), source="b")
    customer = customer.give_consent("email", "marketing", at=at(1), source="c")
    assert not customer.may_contact("email", "marketing", at=at(2))


def test_expired_grants_fall_back_to_the_default(ana):
    """After expires_at a grant no longer counts."""
    customer = ana.give_consent("email", "marketing", at=at(1), source="promo", expires_at=at(30))
    assert customer.may_contact("email", "marketing", at=at(29))
    decision = customer.consent_decision("email", "marketing", at=at(30))
    assert (False, "expired") == (decision.allowed, decision.reason)


def test_consent_records_validate_their_fields():
    """Bad consent input names its field."""
    with pytest.raises(ValidationError) as info:
        ConsentRecord(channel="email", purpose="spam", status="granted", captured_at=T0, source="x")
    assert "$.purpose" == info.value.path
    with pytest.raises(ValidationError) as info:
        ConsentRecord(
            channel="email",
            purpose="marketing",
            status="withdrawn",
            captured_at=T0,
            source="x",
            expires_at=at(1),
        )
    assert "$.expires_at" == info.value.path
    with pytest.raises(ValidationError) as info:
        ConsentRecord(
            channel="email",
            purpose="marketing",
            status="granted",
            captured_at=T0,
            source="x",
            expires_at=T0,
        )
    assert "$.expires_at" == info.value.path


def test_consent_history_is_append_only(ana):
    """Each decision adds a record; earlier records are untouched."""
    first = ana.give_consent("email", "marketing", at=at(1), source="form")
    second = first.withdraw_consent("email", "marketing", at=at(2), source="link")
    assert first.consents == second.consents[: len(first.consents)]
    assert 2 == len(second.consents)


def test_next_birthday_and_age():
    """Birthdays handle 29 February; age counts completed years."""
    leap = Customer.register(
        CustomerId("c-1"), name=PersonName("Budi"), birth_date=date(2000, 2, 29), at=T0
    )
    assert date(2026, 2, 28) == leap.next_birthday(date(2026, 1, 1))
    assert date(2026, 2, 28) == leap.next_birthday(date(2026, 2, 28))
    assert date(2027, 2, 28) == leap.next_birthday(date(2026, 3, 1))
    assert date(2028, 2, 29) == leap.next_birthday(date(2028, 1, 1))
    assert 25 == leap.age_on(date(2026, 2, 27))
    nobody = Customer.register(CustomerId("c-2"), name=PersonName("X"), at=T0)
    assert nobody.next_birthday(date(2026, 1, 1)) is None
    assert nobody.age_on(date(2026, 1, 1)) is None


def test_events_carry_the_command_time_in_its_offset(ana):
    """occurred_at is exactly the time passed in."""
    jakarta = datetime(2026, 1, 6, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    tagged = ana.add_tag("vip", at=jakarta)
    assert jakarta == tagged.pending_events[-1].occurred_at


def test_without_pending_events_keeps_state_and_equality(ana):
    """Pending events are not part of a customer's state."""
    cleared = ana.without_pending_events()
    assert () == cleared.pending_events
    assert ana == cleared


def test_repr_hides_personal_data(ana):
    """Names and addresses never reach a repr."""
    text = repr(ana.set_attribute("nickname", "Secret", at=at(1)))
    for secret in ("Ana", "Putri", "ana@example.com", "Secret"):
        assert secret not in text


def test_direct_construction_checks_types():
    """Building a Customer by hand validates every field."""
    good = Customer.register(CustomerId("c-1"), name=PersonName("A"), at=T0)
    with pytest.raises(InvalidType) as info:
        attrs.evolve(good, id="c-1")
    assert "$.id" == info.value.path
    with pytest.raises(InvalidType):
        attrs.evolve(good, version="1")
    with pytest.raises(ValidationError):
        attrs.evolve(good, version=-1)
    with pytest.raises(InvalidType):
        attrs.evolve(good, contact_points=["a@example.com"])


def test_birth_date_checks_at_the_edges_of_the_calendar():
    """Years near 1 and 9999 give a decision, never an OverflowError or bare ValueError."""
    early = Customer.register(
        CustomerId("c-1"),
        name=PersonName("A"),
        at=datetime(100, 1, 1, tzinfo=UTC),
        birth_date=date(90, 1, 1),
    )
    assert date(90, 1, 1) == early.profile.birth_date
    with pytest.raises(ValidationError) as info:
        Customer.register(
            CustomerId("c-1"),
            name=PersonName("A"),
            at=datetime(9999, 12, 31, 12, tzinfo=UTC),
            birth_date=date(2000, 1, 1),
        )
    assert ("$.birth_date", "birth_date_range") == (info.value.path, info.value.code)


def test_tags_accept_words_that_case_fold_to_combining_marks():
    """Turkish dotted capital I folds to i + combining dot, which is still a letter."""
    customer = Customer.register(CustomerId("c-1"), name=PersonName("A"), at=T0)
    assert customer.add_tag("İstanbul", at=T0).has_tag("İstanbul")


@pytest.mark.parametrize("addresses", [None, 5, "Jl. Merdeka", [None]])
def test_register_checks_the_addresses(addresses):
    """D01: register hands the addresses to the profile's check (it iterated them blindly)."""
    with pytest.raises(InvalidType) as info:
        Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0, addresses=addresses)
    assert info.value.path.startswith("$.addresses")


@pytest.mark.parametrize("on_or_after", [date(9999, 12, 31), date.max])
def test_next_birthday_at_the_end_of_the_calendar_is_a_validation_error(on_or_after):
    """D32: a birthday after year 9999 does not exist; dateutil's ValueError never escapes."""
    ana = Customer.register(
        CustomerId("c-1"), name=PersonName("Ana"), at=T0, birth_date=date(1990, 3, 1)
    )
    with pytest.raises(ValidationError) as info:
        ana.next_birthday(on_or_after)
    assert ("$.on_or_after", "out_of_range") == (info.value.path, info.value.code)
    assert date(9999, 3, 1) == ana.next_birthday(date(9999, 2, 1))


def test_birthday_queries_check_their_date_even_without_a_birth_date():
    """A wrong argument is refused whether or not the customer has a birth date."""
    ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0)
    with pytest.raises(InvalidType):
        ana.next_birthday("2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        ana.age_on(None)  # type: ignore[arg-type]
