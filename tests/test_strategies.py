"""Tests for `crmcore.testing.strategies` and its registration with Hypothesis (`crmcore.testing._plugin`)."""

import importlib.metadata
import inspect
import itertools
import re
import subprocess
import sys
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import crmcore
from crmcore import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    ContactPoint,
    Currency,
    Customer,
    CustomerId,
    DomainEvent,
    InvalidType,
    Money,
    OrganizationName,
    PartyKind,
    PersonName,
    PostalAddress,
    Profile,
    Purpose,
    SeededIdSource,
    SequentialIdSource,
    ValidationError,
    currency,
)
from crmcore.model import (
    ConsentGiven,
    ConsentWithdrawn,
    ContactPointAdded,
    ContactPointVerified,
    CustomerEvent,
    CustomerRegistered,
    PrimaryContactPointChanged,
    TagAdded,
    event_types,
    normalize_email,
    normalize_phone,
    normalize_tag,
)
from crmcore.model._party import check_attribute_key, check_attribute_value, check_language
from crmcore.testing import strategies as crm

# The events defined with the Customer aggregate; later capabilities add their own.
CUSTOMER_EVENTS = sorted(
    (cls for cls in event_types().values() if cls.__module__ == "crmcore.model._events"),
    key=lambda cls: cls.__name__,
)
INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))


def has_invisible(text: str) -> bool:
    return any(unicodedata.category(ch) in INVISIBLE for ch in text)


# -- the module's surface ---------------------------------------------------------------------


def test_all_is_sorted_and_lists_every_strategy():
    """__all__ is sorted and names exactly the public callables of the module."""
    public = {
        name
        for name, value in vars(crm).items()
        if not name.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == crm.__name__
    }
    assert sorted(crm.__all__) == crm.__all__
    assert public == set(crm.__all__)


@pytest.mark.parametrize("name", crm.__all__)
def test_every_strategy_has_keyword_only_options_and_a_default(name):
    """Every strategy can be called without arguments, and every option is keyword-only."""
    factory = getattr(crm, name)
    kinds = {p.kind for p in inspect.signature(factory).parameters.values()}
    assert kinds <= {inspect.Parameter.KEYWORD_ONLY}
    assert isinstance(factory(), st.SearchStrategy)


def test_importing_without_hypothesis_names_the_extra():
    """Without Hypothesis, importing crmcore.testing fails with the pip command to fix it."""
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "import crmcore\n"
        "try:\n"
        "    import crmcore.testing\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    print('imported')\n"
    )
    result = subprocess.run(  # noqa: S603 - a fixed command line.
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert 'pip install "crmcore[testing]"' in result.stdout


def test_the_entry_point_is_declared():
    """The installed distribution declares the Hypothesis entry point of the plugin."""
    values = {ep.value for ep in importlib.metadata.entry_points(group="hypothesis")}
    assert "crmcore.testing._plugin:_hypothesis_setup_hook" in values


REGISTERED = [
    ConsentRecord,
    ContactPoint,
    Currency,
    Customer,
    CustomerId,
    DomainEvent,
    CustomerEvent,
    Money,
    OrganizationName,
    PersonName,
    PostalAddress,
    Profile,
    SeededIdSource,
    SequentialIdSource,
    *CUSTOMER_EVENTS,
]


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda cls: cls.__name__)
@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_from_type_draws_each_public_type(cls, data):
    """st.from_type works for every public type once the package is installed."""
    assert isinstance(data.draw(st.from_type(cls)), cls)


@settings(max_examples=10)
@given(st.from_type(crmcore.Customer))
def test_from_type_customer_draws_registered_customers(customer):
    """st.from_type(crmcore.Customer) gives customers built through register()."""
    assert isinstance(customer, Customer)
    assert type(customer.pending_events[0]) is CustomerRegistered


# -- values are valid and in crmcore's normalized form ----------------------------------------


@given(crm.email_addresses())
def test_email_addresses_are_normalized(address):
    """Every email address is valid and already normalized."""
    assert address == normalize_email(address)


@given(crm.phone_numbers())
def test_phone_numbers_are_e164(number):
    """Every phone number is valid E.164 and already normalized."""
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", number)
    assert number == normalize_phone(number)


@given(crm.tags())
def test_tags_are_normalized(tag):
    """Every tag is already in normalized form."""
    assert tag == normalize_tag(tag)


@given(crm.person_names())
def test_person_names_are_canonical_without_invisible_characters(name):
    """Rebuilding a name from its parts gives it back; no part holds control characters."""
    assert name == PersonName(name.given, family=name.family, preferred=name.preferred)
    for part in (name.given, name.family, name.preferred):
        assert part is None or not has_invisible(part)


@given(crm.organization_names())
def test_organization_names_are_canonical_without_invisible_characters(name):
    """Rebuilding an organization name gives it back; no control characters."""
    assert name == OrganizationName(name.legal, trading=name.trading)
    assert not has_invisible(name.legal)
    assert name.trading is None or not has_invisible(name.trading)


def test_person_names_include_non_ascii_names():
    """Names are not only ASCII: accented and non-Latin names are drawn."""
    found = find(
        crm.person_names(),
        lambda name: not name.full.isascii(),
        settings=settings(database=None, max_examples=500, phases=[Phase.generate]),
    )
    assert not found.full.isascii()


def test_person_names_include_single_names():
    """Single names (no family name), common in Indonesia, are drawn."""
    found = find(
        crm.person_names(),
        lambda name: name.family is None,
        settings=settings(database=None, max_examples=500, phases=[Phase.generate]),
    )
    assert found.family is None


@given(crm.postal_addresses(countries=["ID", "de"]))
def test_postal_addresses_are_canonical_and_in_the_countries_asked(address):
    """Rebuilding an address gives it back; its country is one of those asked for."""
    assert address.country in {"ID", "DE"}
    assert address == PostalAddress(
        lines=list(address.lines),
        country=address.country,
        locality=address.locality,
        region=address.region,
        postal_code=address.postal_code,
        label=address.label,
    )


@given(crm.contact_points(channels=["email", Channel.WHATSAPP, "postal"]))
def test_contact_points_are_normalized_and_on_the_channels_asked(point):
    """Contact points are on the channels asked for and their values already normalized."""
    assert point.channel in {Channel.EMAIL, Channel.WHATSAPP, Channel.POSTAL}
    rebuilt = ContactPoint(
        point.channel,
        point.value,
        primary=point.primary,
        verified=point.verified,
        label=point.label,
    )
    assert point == rebuilt


@given(crm.contact_points())
def test_contact_points_of_every_channel_are_valid(point):
    """Every channel's values survive a rebuild unchanged."""
    assert point.value == ContactPoint(point.channel, point.value).value


@given(crm.language_tags())
def test_language_tags_are_accepted(tag):
    """Language tags have the shape crmcore accepts."""
    assert tag == check_language(tag)


@given(crm.attribute_keys(), crm.attribute_values())
def test_attribute_keys_and_values_are_accepted_unchanged(key, value):
    """Attribute keys and values pass crmcore's checks unchanged and never are floats."""
    assert key == check_attribute_key(key, "$.key")
    checked = check_attribute_value(value, "$.value")
    assert (type(value), value) == (type(checked), checked)
    assert not isinstance(value, float)


@given(crm.customer_ids())
def test_customer_ids_are_valid(customer_id):
    """Customer ids are CustomerId values that rebuild from their text."""
    assert customer_id == CustomerId(str(customer_id))


@settings(max_examples=30)
@given(crm.id_sources())
def test_id_sources_produce_distinct_valid_ids(source):
    """Every id source produces valid, distinct identifiers."""
    ids = [CustomerId.new(source) for _ in range(5)]
    assert len(ids) == len(set(ids))


@given(crm.currency_codes())
def test_currency_codes_are_active_codes(code):
    """Currency codes are looked up by crmcore's currency table."""
    assert code == currency(code).code


@given(crm.currencies())
def test_currencies_are_the_table_entries(record):
    """Currency records are those the table gives for their code."""
    assert record == currency(record.code)


# -- bounds are respected ---------------------------------------------------------------------

LOW = datetime(2024, 2, 29, 23, 30, tzinfo=WIB)
HIGH = datetime(2024, 3, 1, 0, 30, tzinfo=UTC)


@given(crm.aware_datetimes(min_value=LOW, max_value=HIGH))
def test_aware_datetimes_stay_within_the_instants_asked(moment):
    """Datetimes are aware and within the bounds, compared as instants."""
    assert moment.utcoffset() is not None
    assert LOW <= moment <= HIGH


def test_aware_datetimes_use_several_offsets():
    """Datetimes come in offsets other than UTC."""
    found = find(
        crm.aware_datetimes(),
        lambda moment: moment.utcoffset() == timedelta(hours=7),
        settings=settings(database=None, max_examples=1000, phases=[Phase.generate]),
    )
    assert timedelta(hours=7) == found.utcoffset()


@given(crm.birth_dates(min_value=date(2000, 2, 28), max_value=date(2000, 3, 1)))
def test_birth_dates_stay_within_bounds(day):
    """Birth dates are plain dates within the bounds."""
    assert type(day) is date
    assert date(2000, 2, 28) <= day <= date(2000, 3, 1)


@given(crm.moneys())
def test_moneys_are_in_whole_minor_units_by_default(money):
    """By default an amount has exactly its currency's decimal places."""
    assert -money.minor_unit == money.amount.as_tuple().exponent
    assert money == money.rounded()


@given(crm.moneys(currencies=["IDR", "jpy", "KWD"], min_value="-0.5", max_value=100))
def test_moneys_respect_currencies_and_bounds(money):
    """Amounts are in the currencies asked for and within the bounds."""
    assert money.currency in {"IDR", "JPY", "KWD"}
    assert Decimal("-0.5") <= money.amount <= Decimal(100)


@given(crm.moneys(currencies=["USD"], places=6))
def test_moneys_with_places_have_that_many_decimal_places(money):
    """``places`` overrides the currency's minor unit."""
    assert -6 == money.amount.as_tuple().exponent


@given(
    crm.consent_records(
        channels=[None, "sms"],
        purposes=[Purpose.MARKETING],
        min_captured_at=LOW,
        max_captured_at=HIGH,
    )
)
def test_consent_records_respect_their_bounds(record):
    """Consent records are on the channels and purposes asked for, captured within bounds."""
    assert record.channel in {None, Channel.SMS}
    assert Purpose.MARKETING == record.purpose
    assert LOW <= record.captured_at <= HIGH
    if record.expires_at is not None:
        assert ConsentStatus.GRANTED == record.status
        assert record.captured_at < record.expires_at


@given(crm.consent_records(statuses=["withdrawn"]))
def test_consent_records_of_one_status(record):
    """``statuses`` restricts the status."""
    assert ConsentStatus.WITHDRAWN == record.status


@settings(max_examples=40)
@given(crm.profiles(kinds=["organization"]))
def test_organization_profiles_have_no_birth_date(profile):
    """An organization's profile has an organization name and no birth date."""
    assert isinstance(profile.name, OrganizationName)
    assert profile.birth_date is None


@settings(max_examples=40)
@given(crm.profiles(kinds=[PartyKind.PERSON]))
def test_person_profiles_have_person_names(profile):
    """A person's profile has a person name."""
    assert isinstance(profile.name, PersonName)


@settings(max_examples=30)
@given(
    crm.customers(
        kinds=["person"],
        min_contact_points=2,
        max_contact_points=3,
        max_consents=2,
        max_tags=1,
        registered_after=LOW,
        registered_before=HIGH,
    )
)
def test_customers_respect_their_bounds(customer):
    """Customers have the kind, counts and registration time asked for."""
    assert PartyKind.PERSON == customer.kind
    assert 2 <= len(customer.contact_points) <= 3
    assert len(customer.consents) <= 2
    assert len(customer.tags) <= 1
    assert LOW <= customer.created_at <= HIGH


@settings(max_examples=40)
@given(crm.customers())
def test_customers_carry_the_history_that_built_them(customer):
    """Pending events start with the registration and account for every part of the customer."""
    events = customer.pending_events
    assert 0 == customer.version
    assert type(events[0]) is CustomerRegistered
    assert customer.created_at == events[0].occurred_at
    assert {customer.id} == {e.customer_id for e in events}
    assert all(a.occurred_at <= b.occurred_at for a, b in itertools.pairwise(events))
    added = [e.contact_point.key for e in events if isinstance(e, ContactPointAdded)]
    assert sorted(added) == sorted(p.key for p in customer.contact_points)
    assert customer.tags == {e.tag for e in events if isinstance(e, TagAdded)}
    recorded = [e.record for e in events if isinstance(e, ConsentGiven | ConsentWithdrawn)]
    assert list(customer.consents) == recorded
    assert all(r.captured_at >= customer.created_at for r in customer.consents)


@settings(max_examples=10)
@given(crm.customers(pending_events=False))
def test_customers_without_pending_events(customer):
    """``pending_events=False`` draws customers as a repository stores them."""
    assert () == customer.pending_events


@pytest.mark.parametrize("cls", CUSTOMER_EVENTS, ids=lambda cls: cls.__name__)
@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_domain_events_cover_every_customer_event(cls, data):
    """``types`` picks one event class; every customer event has a strategy."""
    assert type(data.draw(crm.domain_events(types=[cls]))) is cls


@given(crm.domain_events(types=[CustomerEvent]))
def test_domain_events_are_consistent_like_the_aggregate_makes_them(event):
    """Event fields agree with each other the way the Customer aggregate records them."""
    assert isinstance(event, CustomerEvent)
    if isinstance(event, ConsentGiven | ConsentWithdrawn):
        expected = ConsentStatus.GRANTED if isinstance(event, ConsentGiven) else "withdrawn"
        assert expected == event.record.status
        assert event.record.captured_at == event.occurred_at
    if isinstance(event, ContactPointVerified):
        assert event.contact_point.verified
    if isinstance(event, PrimaryContactPointChanged):
        assert event.channel == event.contact_point.channel
        assert event.contact_point.primary
    if isinstance(event, CustomerRegistered):
        expected_kind = "person" if isinstance(event.profile.name, PersonName) else "organization"
        assert expected_kind == event.kind


# -- arguments are validated when the strategy is made ----------------------------------------

NAIVE = datetime(2026, 1, 5, 9, 0)  # noqa: DTZ001 - a naive datetime on purpose.


BAD_ARGUMENTS = [
    (crm.moneys, {"currencies": ["XXX"]}, ValidationError, "$.currencies[0]"),
    (crm.moneys, {"currencies": []}, ValidationError, "$.currencies"),
    (crm.moneys, {"currencies": "IDR"}, InvalidType, "$.currencies"),
    (crm.moneys, {"min_value": 1.5}, InvalidType, "$.min_value"),
    (crm.moneys, {"min_value": 10, "max_value": 1}, ValidationError, "$.max_value"),
    (crm.moneys, {"max_value": 10**19}, ValidationError, "$.max_value"),
    (
        crm.moneys,
        {"currencies": ["USD", "JPY"], "min_value": "0.1", "max_value": "0.9"},
        ValidationError,
        "$.currencies[1]",
    ),
    (crm.moneys, {"places": -1}, ValidationError, "$.places"),
    (crm.moneys, {"places": True}, InvalidType, "$.places"),
    (crm.aware_datetimes, {"min_value": NAIVE}, ValidationError, "$.min_value"),
    (crm.aware_datetimes, {"max_value": "2026-01-05"}, InvalidType, "$.max_value"),
    (crm.aware_datetimes, {"min_value": HIGH, "max_value": LOW}, ValidationError, "$.max_value"),
    (crm.birth_dates, {"min_value": T0}, InvalidType, "$.min_value"),
    (
        crm.birth_dates,
        {"min_value": date(2000, 1, 2), "max_value": date(2000, 1, 1)},
        ValidationError,
        "$.max_value",
    ),
    (crm.contact_points, {"channels": []}, ValidationError, "$.channels"),
    (crm.contact_points, {"channels": ["email", "fax"]}, ValidationError, "$.channels[1]"),
    (crm.contact_points, {"channels": [1]}, InvalidType, "$.channels[0]"),
    (crm.postal_addresses, {"countries": ["XX"]}, ValidationError, "$.countries[0]"),
    (crm.profiles, {"kinds": ["robot"]}, ValidationError, "$.kinds[0]"),
    (crm.consent_records, {"purposes": ["spam"]}, ValidationError, "$.purposes[0]"),
    (crm.consent_records, {"statuses": []}, ValidationError, "$.statuses"),
    (crm.consent_records, {"channels": [None, "fax"]}, ValidationError, "$.channels[1]"),
    (crm.consent_records, {"min_captured_at": NAIVE}, ValidationError, "$.min_captured_at"),
    (
        crm.consent_records,
        {"min_captured_at": HIGH, "max_captured_at": LOW},
        ValidationError,
        "$.max_captured_at",
    ),
    (crm.customers, {"kinds": []}, ValidationError, "$.kinds"),
    (
        crm.customers,
        {"min_contact_points": 3, "max_contact_points": 2},
        ValidationError,
        "$.max_contact_points",
    ),
    (crm.customers, {"min_contact_points": -1}, ValidationError, "$.min_contact_points"),
    (crm.customers, {"max_contact_points": 51}, ValidationError, "$.max_contact_points"),
    (crm.customers, {"max_consents": 1.0}, InvalidType, "$.max_consents"),
    (crm.customers, {"max_tags": True}, InvalidType, "$.max_tags"),
    (crm.customers, {"max_tags": 201}, ValidationError, "$.max_tags"),
    (crm.customers, {"registered_after": NAIVE}, ValidationError, "$.registered_after"),
    (
        crm.customers,
        {"registered_after": HIGH, "registered_before": LOW},
        ValidationError,
        "$.registered_before",
    ),
    (crm.customers, {"pending_events": "yes"}, InvalidType, "$.pending_events"),
    (crm.domain_events, {"types": []}, ValidationError, "$.types"),
    (crm.domain_events, {"types": [int]}, InvalidType, "$.types[0]"),
]


@pytest.mark.parametrize(
    ("factory", "kwargs", "error", "path"),
    BAD_ARGUMENTS,
    ids=[f"{f.__name__}-{'-'.join(k)}-{i}" for i, (f, k, _, _) in enumerate(BAD_ARGUMENTS)],
)
def test_bad_arguments_fail_when_the_strategy_is_made(factory, kwargs, error, path):
    """Bad options raise a crmcore error naming the argument at call time, before any draw."""
    with pytest.raises(error) as info:
        factory(**kwargs)
    assert path == info.value.path


def test_domain_events_refuse_event_classes_they_do_not_know():
    """An event class without a strategy is refused when the strategy is made."""

    class Unknown(DomainEvent):  # not a module attribute, so event_types() ignores it
        __slots__ = ()

    with pytest.raises(ValidationError) as info:
        crm.domain_events(types=[TagAdded, Unknown])
    assert "$.types[1]" == info.value.path


@pytest.mark.parametrize("factory", [crm.moneys, crm.customers, crm.contact_points])
def test_options_are_keyword_only(factory):
    """Positional options are refused."""
    with pytest.raises(TypeError):
        factory(None)
