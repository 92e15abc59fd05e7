"""Tests for `crmcore.testing.strategies` and its registration with Hypothesis (`crmcore.testing._plugin`)."""

import importlib
import importlib.metadata
import inspect
import itertools
import json
import pkgutil
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
    ContactPoint,
    Currency,
    Customer,
    CustomerId,
    DomainEvent,
    InvalidType,
    Money,
    OrganizationName,
    PersonName,
    SeededIdSource,
    SequentialIdSource,
    ValidationError,
    commerce,
    currency,
    customers,
    feedback,
    interactions,
    lifecycle,
    loyalty,
    sales,
    service,
)
from crmcore.customers import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    CustomerConsentGiven,
    CustomerConsentWithdrawn,
    CustomerContactPointAdded,
    CustomerContactPointVerified,
    CustomerEvent,
    CustomerRegistered,
    CustomerTagAdded,
    PartyKind,
    PostalAddress,
    Profile,
    Purpose,
    normalize_email,
    normalize_phone,
    normalize_tag,
)
from crmcore.customers._party import check_attribute_key, check_attribute_value, check_language
from crmcore.events import event_types
from crmcore.lifecycle import CRM_STAGES, RELATIONSHIP_LADDER
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

# Import every module, so that event_types() knows every event class of crmcore.
for _info in pkgutil.walk_packages(crmcore.__path__, prefix="crmcore."):
    importlib.import_module(_info.name)

# The events defined with the Customer aggregate, and every event class of crmcore.
CUSTOMER_EVENTS = sorted(
    (cls for cls in event_types().values() if cls.__module__ == "crmcore.customers._events"),
    key=lambda cls: cls.__name__,
)
ALL_EVENTS = sorted(
    (cls for cls in event_types().values() if cls.__module__.startswith("crmcore.")),
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
        and getattr(value, "__module__", "").startswith(crm.__name__ + "._")
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
    *ALL_EVENTS,
    commerce.OrderEvent,
    commerce.SubscriptionEvent,
    interactions.InteractionEvent,
    service.CaseEvent,
    sales.LeadEvent,
    loyalty.LoyaltyEvent,
    sales.OpportunityEvent,
    service.BusinessCalendar,
    service.Case,
    feedback.CesResponse,
    feedback.CsatResponse,
    interactions.Interaction,
    customers.LifecycleState,
    feedback.NpsResponse,
    commerce.Order,
    commerce.OrderLine,
    commerce.Period,
    commerce.Plan,
    feedback.Review,
    service.SlaPolicy,
    commerce.Subscription,
    feedback.SurveyResponse,
    lifecycle.LifecycleDefinition,
    sales.Lead,
    loyalty.LoyaltyAccount,
    loyalty.LoyaltyProgram,
    sales.Opportunity,
    sales.PipelineDefinition,
    sales.LeadId,
    loyalty.LoyaltyAccountId,
    sales.PipelineId,
    loyalty.ProgramId,
    loyalty.RewardId,
    service.CaseId,
    feedback.FeedbackId,
    interactions.InteractionId,
    sales.OpportunityId,
    commerce.OrderId,
    commerce.PaymentId,
    commerce.PlanId,
    commerce.ProductId,
    feedback.ReviewId,
    crmcore.StaffId,
    commerce.SubscriptionId,
]


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda cls: cls.__name__)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_from_type_draws_each_public_type(cls, data):
    """st.from_type works for every public type once the package is installed."""
    assert isinstance(data.draw(st.from_type(cls)), cls)


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


@given(crm.profiles(kinds=["organization"]))
def test_organization_profiles_have_no_birth_date(profile):
    """An organization's profile has an organization name and no birth date."""
    assert isinstance(profile.name, OrganizationName)
    assert profile.birth_date is None


@given(crm.profiles(kinds=[PartyKind.PERSON]))
def test_person_profiles_have_person_names(profile):
    """A person's profile has a person name."""
    assert isinstance(profile.name, PersonName)


@given(
    crm.customers(
        kinds=["person"],
        min_contact_points=2,
        max_contact_points=3,
        max_consents=2,
        max_tags=1,
        min_created_at=LOW,
        max_created_at=HIGH,
    )
)
def test_customers_respect_their_bounds(customer):
    """Customers have the kind, counts and registration time asked for."""
    assert PartyKind.PERSON == customer.kind
    assert 2 <= len(customer.contact_points) <= 3
    assert len(customer.consents) <= 2
    assert len(customer.tags) <= 1
    assert LOW <= customer.created_at <= HIGH


@given(crm.customers())
def test_customers_carry_the_history_that_built_them(customer):
    """Pending events start with the registration and account for every part of the customer."""
    events = customer.pending_events
    assert 0 == customer.version
    assert type(events[0]) is CustomerRegistered
    assert customer.created_at == events[0].occurred_at
    assert {customer.id} == {e.customer_id for e in events}
    assert all(a.occurred_at <= b.occurred_at for a, b in itertools.pairwise(events))
    added = [e.channel for e in events if isinstance(e, CustomerContactPointAdded)]
    assert sorted(added) == sorted(p.channel for p in customer.contact_points)
    assert customer.tags == {e.tag for e in events if isinstance(e, CustomerTagAdded)}
    recorded = [
        (e.occurred_at, e.channel, e.purpose, e.status)
        for e in events
        if isinstance(e, CustomerConsentGiven | CustomerConsentWithdrawn)
    ]
    assert [(r.captured_at, r.channel, r.purpose, r.status) for r in customer.consents] == recorded
    assert list(range(1, len(events) + 1)) == [e.sequence for e in events]
    assert all(r.captured_at >= customer.created_at for r in customer.consents)


@given(crm.customers(pending_events=False))
def test_customers_without_pending_events(customer):
    """``pending_events=False`` draws customers as a repository stores them."""
    assert () == customer.pending_events


def test_the_event_walk_finds_the_events_of_every_aggregate():
    """ALL_EVENTS is not accidentally narrow: it holds the events of every capability."""
    names = {cls.__name__ for cls in ALL_EVENTS}
    expected = {
        "CustomerRegistered",
        "OrderPlaced",
        "CaseResolved",
        "SurveyAnswered",
        "LoyaltyPointsEarned",
        "LeadConverted",
        "OpportunityWon",
        "SegmentEntered",
    }
    assert expected <= names
    assert len(CUSTOMER_EVENTS) < len(ALL_EVENTS)


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda cls: cls.__name__)
def test_domain_events_cover_every_event_type(cls):
    """Every event class of crmcore has a strategy: ``types=[cls]`` draws exactly that class."""
    found = find(
        crm.domain_events(types=[cls]),
        lambda event: type(event) is cls,
        settings=settings(max_examples=100, database=None, phases=[Phase.generate]),
    )
    assert cls is type(found)


@given(crm.domain_events(types=[CustomerEvent]))
def test_domain_events_are_consistent_like_the_aggregate_makes_them(event):
    """Event fields agree with each other the way the Customer aggregate records them."""
    assert isinstance(event, CustomerEvent)
    if isinstance(event, CustomerConsentGiven | CustomerConsentWithdrawn):
        expected = ConsentStatus.GRANTED if isinstance(event, CustomerConsentGiven) else "withdrawn"
        assert expected == event.status
        if event.expires_at is not None:
            assert expected == ConsentStatus.GRANTED
            assert event.expires_at > event.occurred_at
    if isinstance(event, CustomerContactPointAdded | CustomerContactPointVerified):
        assert event.position >= 0
    if isinstance(event, CustomerRegistered):
        assert event.kind in {"person", "organization"}


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
    (crm.customers, {"min_created_at": NAIVE}, ValidationError, "$.min_created_at"),
    (
        crm.customers,
        {"min_created_at": HIGH, "max_created_at": LOW},
        ValidationError,
        "$.max_created_at",
    ),
    (crm.customers, {"pending_events": "yes"}, InvalidType, "$.pending_events"),
    (crm.domain_events, {"types": []}, ValidationError, "$.types"),
    (crm.domain_events, {"types": [int]}, InvalidType, "$.types[0]"),
    (crm.customers, {"with_lifecycle": 1}, InvalidType, "$.with_lifecycle"),
    (crm.order_lines, {"currencies": ["XXX"]}, ValidationError, "$.currencies[0]"),
    (crm.order_lines, {"max_quantity": 0}, ValidationError, "$.max_quantity"),
    (crm.orders, {"customer_ids": []}, ValidationError, "$.customer_ids"),
    (crm.orders, {"customer_ids": ["c-1"]}, InvalidType, "$.customer_ids[0]"),
    (crm.orders, {"max_lines": 0}, ValidationError, "$.max_lines"),
    (crm.orders, {"max_steps": 101}, ValidationError, "$.max_steps"),
    (crm.orders, {"min_created_at": NAIVE}, ValidationError, "$.min_created_at"),
    (
        crm.orders,
        {"min_created_at": HIGH, "max_created_at": LOW},
        ValidationError,
        "$.max_created_at",
    ),
    (crm.orders, {"pending_events": None}, InvalidType, "$.pending_events"),
    (crm.periods, {"units": ["fortnight"]}, ValidationError, "$.units[0]"),
    (crm.periods, {"max_count": 0}, ValidationError, "$.max_count"),
    (crm.plans, {"currencies": []}, ValidationError, "$.currencies"),
    (crm.plans, {"trial": "yes"}, InvalidType, "$.trial"),
    (crm.subscriptions, {"max_steps": -1}, ValidationError, "$.max_steps"),
    (
        crm.subscriptions,
        {"min_created_at": HIGH, "max_created_at": LOW},
        ValidationError,
        "$.max_created_at",
    ),
    (crm.interactions, {"kinds": ["fax"]}, ValidationError, "$.kinds[0]"),
    (
        crm.interactions,
        {"kinds": ["letter"], "channels": ["email"]},
        ValidationError,
        "$.channels",
    ),
    (crm.interactions, {"max_created_at": NAIVE}, ValidationError, "$.max_created_at"),
    (crm.cases, {"priorities": ["critical"]}, ValidationError, "$.priorities[0]"),
    (crm.cases, {"kinds": []}, ValidationError, "$.kinds"),
    (crm.cases, {"min_created_at": "2026"}, InvalidType, "$.min_created_at"),
    (crm.business_calendars, {"max_holidays": -1}, ValidationError, "$.max_holidays"),
    (crm.sla_policies, {"max_rules": 101}, ValidationError, "$.max_rules"),
    (crm.reviews, {"ratings": [0]}, ValidationError, "$.ratings[0]"),
    (crm.reviews, {"ratings": []}, ValidationError, "$.ratings"),
    (crm.survey_responses, {"kinds": ["csi"]}, ValidationError, "$.kinds[0]"),
    (crm.survey_responses, {"min_created_at": NAIVE}, ValidationError, "$.min_created_at"),
    (crm.lifecycle_states, {"definitions": []}, ValidationError, "$.definitions"),
    (crm.lifecycle_states, {"definitions": ["ladder"]}, InvalidType, "$.definitions[0]"),
    (crm.lifecycle_states, {"max_changes": 0}, ValidationError, "$.max_changes"),
    (crm.lifecycle_definitions, {"min_states": 0}, ValidationError, "$.min_states"),
    (crm.lifecycle_definitions, {"max_states": 27}, ValidationError, "$.max_states"),
    (
        crm.lifecycle_definitions,
        {"min_states": 4, "max_states": 3},
        ValidationError,
        "$.max_states",
    ),
    (crm.loyalty_programs, {"currencies": ["XXX"]}, ValidationError, "$.currencies[0]"),
    (crm.loyalty_programs, {"max_tiers": 0}, ValidationError, "$.max_tiers"),
    (crm.loyalty_accounts, {"program": "gold"}, InvalidType, "$.program"),
    (crm.loyalty_accounts, {"max_steps": 101}, ValidationError, "$.max_steps"),
    (crm.loyalty_accounts, {"min_created_at": NAIVE}, ValidationError, "$.min_created_at"),
    (crm.pipeline_definitions, {"max_stages": 2}, ValidationError, "$.max_stages"),
    (crm.leads, {"sources": ["tv"]}, ValidationError, "$.sources[0]"),
    (crm.leads, {"customer_ids": []}, ValidationError, "$.customer_ids"),
    (crm.leads, {"pending_events": 1}, InvalidType, "$.pending_events"),
    (crm.opportunities, {"pipeline": "standard"}, InvalidType, "$.pipeline"),
    (crm.opportunities, {"currencies": []}, ValidationError, "$.currencies"),
    (
        crm.opportunities,
        {"min_created_at": HIGH, "max_created_at": LOW},
        ValidationError,
        "$.max_created_at",
    ),
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
        crm.domain_events(types=[CustomerTagAdded, Unknown])
    assert "$.types[1]" == info.value.path


@pytest.mark.parametrize(
    "factory", [crm.moneys, crm.customers, crm.contact_points, crm.orders, crm.lifecycle_states]
)
def test_options_are_keyword_only(factory):
    """Positional options are refused."""
    with pytest.raises(TypeError):
        factory(None)


# -- the relationship aggregates --------------------------------------------------------------

POOL = [CustomerId("c-1"), CustomerId("c-2")]
DEFINITIONS = {d.name: d for d in (RELATIONSHIP_LADDER, CRM_STAGES)}
SOME = settings(suppress_health_check=[HealthCheck.too_slow])

ROUND_TRIPS = [
    ("order_lines", crm.order_lines()),
    ("orders", crm.orders()),
    ("periods", crm.periods()),
    ("plans", crm.plans()),
    ("subscriptions", crm.subscriptions()),
    ("interactions", crm.interactions()),
    ("cases", crm.cases()),
    ("business_calendars", crm.business_calendars()),
    ("sla_policies", crm.sla_policies()),
    ("reviews", crm.reviews()),
    ("survey_responses", crm.survey_responses()),
    ("lifecycle_states", crm.lifecycle_states()),
    ("lifecycle_definitions", crm.lifecycle_definitions()),
    ("customers_with_lifecycle", crm.customers(with_lifecycle=True, max_consents=2)),
    ("loyalty_programs", crm.loyalty_programs()),
    ("loyalty_accounts", crm.loyalty_accounts()),
    ("pipeline_definitions", crm.pipeline_definitions()),
    ("leads", crm.leads()),
    ("opportunities", crm.opportunities()),
]


@pytest.mark.parametrize(("name", "strategy"), ROUND_TRIPS, ids=[n for n, _ in ROUND_TRIPS])
@SOME
@given(data=st.data())
def test_values_round_trip_through_dicts_and_json(name, strategy, data):
    """Every value drawn comes back equal from to_dict, and from a JSON text of it."""
    value = data.draw(strategy, label=name)
    document = to_dict(value)
    assert value == from_dict(type(value), document)
    assert value == from_dict(type(value), json.loads(json.dumps(document)))


@given(crm.domain_events())
def test_every_event_round_trips_through_json(event):
    """Events of every aggregate come back equal, as their own class, from JSON."""
    back = from_dict(DomainEvent, json.loads(json.dumps(to_dict(event))))
    assert (type(event), event) == (type(back), back)


def in_time_order(events):
    return all(a.occurred_at <= b.occurred_at for a, b in itertools.pairwise(events))


@SOME
@given(crm.order_lines(currencies=["JPY", "KWD"], max_quantity=3))
def test_order_lines_respect_their_bounds(line):
    """Lines are in the currencies asked, at most max_quantity, discounts within the gross."""
    assert line.currency in {"JPY", "KWD"}
    assert 1 <= line.quantity <= 3
    assert line.discount_amount <= line.gross


@SOME
@given(
    crm.orders(
        customer_ids=POOL,
        currencies=["IDR"],
        max_lines=2,
        min_created_at=LOW,
        max_created_at=HIGH,
    )
)
def test_orders_carry_the_history_that_built_them(order):
    """An order's events start with its placing, name it, run in time order and add up."""
    events = order.pending_events
    assert (0, commerce.OrderPlaced) == (order.version, type(events[0]))
    assert {order.id} == {e.order_id for e in events}
    assert order.customer_id in POOL
    assert LOW <= order.placed_at <= HIGH
    assert ("IDR", True) == (order.currency, len(order.lines) <= 2)
    assert in_time_order(events)
    assert events[0].total == order.total
    payments = [e.payment for e in events if isinstance(e, commerce.OrderPaymentRecorded)]
    failed = [e.payment for e in events if isinstance(e, commerce.OrderPaymentFailed)]
    assert sorted(order.payments, key=str) == sorted(payments + failed, key=str)
    refunds = [e.amount for e in events if isinstance(e, commerce.OrderRefunded)]
    assert [r.amount for r in order.refunds] == refunds
    assert [r.lines for r in order.returns] == [
        e.lines for e in events if isinstance(e, commerce.OrderItemsReturned)
    ]


@SOME
@given(crm.periods(units=["week", "year"], max_count=3))
def test_periods_respect_their_bounds(period):
    """Periods use the units asked and at most max_count of them."""
    assert period.unit in {crmcore.TimeUnit.WEEK, crmcore.TimeUnit.YEAR}
    assert 1 <= period.count <= 3


@SOME
@given(crm.plans(currencies=["EUR"], trial=True), crm.plans(trial=False))
def test_plans_respect_the_trial_option(with_trial, without):
    """trial=True draws plans with a trial, trial=False plans without one."""
    assert with_trial.trial is not None
    assert "EUR" == with_trial.price.currency
    assert without.trial is None


@SOME
@given(crm.subscriptions(customer_ids=POOL, min_created_at=LOW, max_created_at=HIGH))
def test_subscriptions_carry_the_history_that_built_them(sub):
    """A subscription's events start with its start, name it, and account for its payments."""
    events = sub.pending_events
    assert (0, commerce.SubscriptionStarted) == (sub.version, type(events[0]))
    assert {sub.id} == {e.subscription_id for e in events}
    assert sub.customer_id in POOL
    assert LOW <= sub.started_at <= HIGH
    assert in_time_order(events)
    paid = (commerce.SubscriptionPaymentRecorded, commerce.SubscriptionPaymentFailed)
    assert list(sub.payments) == [e.payment for e in events if isinstance(e, paid)]
    ended = any(
        isinstance(e, commerce.SubscriptionCancelled | commerce.SubscriptionExpired) for e in events
    )
    assert ended == (sub.ended_at is not None)


@SOME
@given(crm.interactions(customer_ids=POOL, kinds=["call", "chat"], channels=["whatsapp", "web"]))
def test_interactions_respect_kinds_and_channels(interaction):
    """Interactions have the kinds and channels asked; the first event logs them."""
    assert interaction.kind in {
        interactions.InteractionKind.CALL,
        interactions.InteractionKind.CHAT,
    }
    assert interaction.channel in {Channel.WHATSAPP, Channel.WEB}
    logged = interaction.pending_events[0]
    assert (interactions.InteractionLogged, interaction.kind) == (type(logged), logged.kind)
    assert interaction.customer_id in POOL


@SOME
@given(crm.cases(customer_ids=POOL, kinds=["complaint"], priorities=["urgent"]))
def test_cases_carry_the_history_that_built_them(case):
    """A case opens as asked; its status events retrace its history, in time order."""
    events = case.pending_events
    opened = events[0]
    assert (service.CaseOpened, "complaint", "urgent") == (
        type(opened),
        opened.kind,
        opened.priority,
    )
    assert case.customer_id in POOL
    assert in_time_order(events)
    moves = [e.to_status for e in events if isinstance(e, service.CaseStatusChanged)]
    assert [change.status for change in case.history[1:]] == moves


@SOME
@given(crm.business_calendars(max_holidays=2))
def test_business_calendars_have_working_time(calendar):
    """Every calendar has working time in its week and at most max_holidays holidays."""
    assert calendar.weekly_hours > timedelta(0)
    assert len(calendar.holidays) <= 2


@SOME
@given(crm.sla_policies(max_rules=1))
def test_sla_policies_cover_every_priority(policy):
    """Policies set one target per priority, and at most max_rules escalation rules."""
    assert list(service.CasePriority) == [t.priority for t in policy.targets]
    assert len(policy.escalation_rules) <= 1


@SOME
@given(crm.reviews(customer_ids=POOL, ratings=[1, 2]))
def test_reviews_respect_their_ratings(review):
    """Reviews carry the ratings asked and a known customer or none."""
    assert review.rating in {1, 2}
    assert review.customer_id in {None, *POOL}
    assert feedback.ReviewReceived is type(review.pending_events[0])
    assert review.answered == any(
        isinstance(e, feedback.ReviewAnswered) for e in review.pending_events
    )


@SOME
@given(crm.survey_responses(kinds=["nps", "ces"], customer_ids=POOL))
def test_survey_responses_respect_their_kinds(response):
    """Answers are of the kinds asked, with a score in range and their SurveyAnswered event."""
    assert type(response) in {feedback.NpsResponse, feedback.CesResponse}
    assert response.min_score <= response.score <= response.max_score
    (answered,) = response.pending_events
    assert (response.survey, response.score) == (answered.survey, answered.score)


@SOME
@given(crm.lifecycle_states(max_changes=4, min_started_at=LOW, max_started_at=HIGH))
def test_lifecycle_states_replay_to_their_stage(state):
    """A generated history is a walk its definition allows, ending in the state's stage."""
    assert state.stage == DEFINITIONS[state.definition].replay(state.history)
    assert 1 <= len(state.history) <= 4
    assert LOW <= state.started_at <= HIGH


@SOME
@given(crm.lifecycle_definitions(min_states=2, max_states=5))
def test_lifecycle_definitions_reach_every_state(definition):
    """Every state of a generated definition can be reached from its initial state."""
    assert 2 <= len(definition.states) <= 5
    for stage in definition.stage_names:
        definition.route(definition.initial, stage)
    for state in definition.states:
        assert state.terminal == (definition.triggers_from(state.name) == ())


@SOME
@given(crm.lifecycle_states(definitions=[RELATIONSHIP_LADDER]))
def test_lifecycle_states_of_one_definition(state):
    """definitions= limits the walks to the definitions given."""
    assert RELATIONSHIP_LADDER.name == state.definition


@given(crm.customers(with_lifecycle=True, max_consents=2))
def test_customers_with_lifecycle_fired_their_moves(customer):
    """with_lifecycle moves customers along the ladder by fire(); events match the history."""
    assert RELATIONSHIP_LADDER.name in [s.definition for s in customer.lifecycles]
    assert in_time_order(customer.pending_events)
    for state in customer.lifecycles:
        assert state.stage == DEFINITIONS[state.definition].replay(state.history)
        changed = [
            (e.from_stage, e.to_stage, e.trigger)
            for e in customer.pending_events
            if isinstance(e, customers.CustomerStageChanged) and e.definition == state.definition
        ]
        recorded = [(c.from_stage, c.to_stage, c.trigger) for c in state.history]
        assert recorded[len(recorded) - len(changed) :] == changed


@given(
    crm.domain_events(types=[commerce.OrderEvent, commerce.SubscriptionEvent, service.CaseEvent])
)
def test_relationship_events_are_consistent_like_the_aggregates_make_them(event):
    """Payments match their event, case moves are allowed by the machine and named by class."""
    if isinstance(event, commerce.OrderPaymentRecorded | commerce.SubscriptionPaymentRecorded):
        assert event.payment.succeeded
        assert event.occurred_at == event.payment.at
    if isinstance(event, commerce.OrderPaymentFailed | commerce.SubscriptionPaymentFailed):
        assert not event.payment.succeeded
    if isinstance(event, commerce.OrderPlaced):
        assert event.total == Money.total(
            [line.total for line in event.lines], currency=event.total.currency
        )
    if isinstance(event, commerce.SubscriptionStatusChanged):
        assert event.status in commerce.SUBSCRIPTION_STATUSES.allowed(event.previous)
    if isinstance(event, service.CaseStatusChanged):
        assert event.to_status in service.CASE_STATUSES.allowed(event.from_status)
        if isinstance(event, service.CaseResolved | service.CaseClosed):
            expected = "resolved" if isinstance(event, service.CaseResolved) else "closed"
            assert expected == event.to_status
    if isinstance(event, service.CasePriorityChanged):
        assert event.from_priority != event.to_priority
    if isinstance(event, service.CaseEscalated):
        assert event.escalation.due_at <= event.occurred_at


@given(crm.domain_events(types=[customers.CustomerStageChanged]))
def test_lifecycle_events_are_moves_their_definition_allows(event):
    """A CustomerStageChanged is an entry (trigger start) or a move of its definition."""
    definition = DEFINITIONS[event.definition]
    if event.from_stage is None:
        assert "start" == event.trigger
    else:
        assert event.to_stage == definition.target_of(event.from_stage, event.trigger)


# -- loyalty and the sales pipeline ------------------------------------------------------------

PROGRAM = loyalty.LoyaltyProgram(
    id=loyalty.ProgramId("points"),
    name="Points",
    currency="IDR",
    tiers=[loyalty.Tier.by_points("bronze", 0, below=300), loyalty.Tier.by_points("gold", 300)],
    earn_rate=loyalty.EarnRate(1, Money(10_000, "IDR")),
    expiry=commerce.Period.days(30),
    tier_window=commerce.Period.days(60),
)
# Finding an example is enough: no shrinking, no example database.
FIND = settings(max_examples=500, phases=[Phase.generate], database=None)
BALANCE_EVENTS = (
    loyalty.LoyaltyPointsEarned,
    loyalty.LoyaltyPointsRedeemed,
    loyalty.LoyaltyPointsExpired,
    loyalty.LoyaltyPointsAdjusted,
)


@SOME
@given(crm.loyalty_programs(currencies=["EUR"], max_tiers=3))
def test_loyalty_programs_respect_their_bounds(program):
    """Programs are in the currency asked, with at most max_tiers tiers starting at zero."""
    assert ("EUR", True) == (program.currency, 1 <= len(program.tiers) <= 3)
    assert 0 == program.base_tier.lower


@SOME
@given(crm.loyalty_accounts(program=PROGRAM, customer_ids=POOL, max_steps=10))
def test_loyalty_accounts_carry_a_valid_ledger_and_the_events_that_built_it(account):
    """The balance is the ledger's sum, never negative at any entry; events retrace the ledger."""
    events = account.pending_events
    assert (0, loyalty.LoyaltyMemberEnrolled) == (account.version, type(events[0]))
    assert (PROGRAM.id, True) == (account.program_id, account.customer_id in POOL)
    assert {account.id} == {e.account_id for e in events}
    assert in_time_order(events)
    running = list(itertools.accumulate(entry.points for entry in account.ledger))
    assert all(value >= 0 for value in running)
    assert (running[-1] if running else 0) == account.balance()
    balances = [e.balance for e in events if isinstance(e, BALANCE_EVENTS)]
    assert (balances[-1] if balances else 0) == account.balance()
    moves = [e.to_tier for e in events if isinstance(e, loyalty.LoyaltyTierChanged)]
    assert [change.tier for change in account.tier_history[1:]] == moves


def test_loyalty_accounts_reach_higher_tiers_and_spend_points():
    """Generated accounts include upgraded members and redemptions."""
    strategy = crm.loyalty_accounts(program=PROGRAM, max_steps=10)
    find(strategy, lambda a: a.tier == "gold", settings=FIND)
    find(
        strategy,
        lambda a: any(isinstance(e, loyalty.LoyaltyPointsRedeemed) for e in a.pending_events),
        settings=FIND,
    )


@SOME
@given(crm.pipeline_definitions(max_stages=5))
def test_pipeline_definitions_have_every_kind_of_stage(pipeline):
    """Pipelines hold open, won and lost stages, at most max_stages unless the standard one."""
    assert {sales.StageKind.OPEN, sales.StageKind.WON, sales.StageKind.LOST} == {
        stage.kind for stage in pipeline.stages
    }
    assert pipeline is sales.STANDARD_PIPELINE or len(pipeline.stages) <= 5


@SOME
@given(crm.leads(customer_ids=POOL, sources=["referral"]))
def test_leads_carry_the_history_that_built_them(lead):
    """A lead is captured as asked; its status events retrace its history, in time order."""
    events = lead.pending_events
    assert (sales.LeadCaptured, sales.LeadSource.REFERRAL) == (type(events[0]), events[0].source)
    assert in_time_order(events)
    moves = [e.to_status for e in events if isinstance(e, sales.LeadStatusChanged)]
    assert [change.status for change in lead.history[1:]] == moves
    assert (lead.status is sales.LeadStatus.CONVERTED) == (lead.customer_id in POOL)


@SOME
@given(crm.opportunities(customer_ids=POOL, pipeline=sales.STANDARD_PIPELINE, currencies=["USD"]))
def test_opportunities_carry_the_history_that_built_them(deal):
    """A deal opens in an open stage; stage events retrace its history; won amounts are frozen."""
    events = deal.pending_events
    assert (sales.OpportunityOpened, "USD") == (type(events[0]), deal.amount.currency)
    assert sales.StageKind.OPEN is deal.history[0].kind
    assert in_time_order(events)
    moves = [e.to_stage for e in events if isinstance(e, sales.OpportunityStageChanged)]
    assert [entry.stage for entry in deal.history[1:]] == moves
    assert deal.is_lost == (deal.lost_reason is not None)
    won = [e.amount for e in events if isinstance(e, sales.OpportunityWon)]
    assert (won[-1:] if deal.is_won else []) == ([deal.amount] if deal.is_won else [])


def test_opportunities_are_won_lost_and_restored():
    """Generated deals include won ones, lost ones and restored ones."""
    strategy = crm.opportunities(max_steps=8)
    for kind in (sales.OpportunityWon, sales.OpportunityLost, sales.OpportunityReopened):
        find(
            strategy,
            lambda d, kind=kind: any(type(e) is kind for e in d.pending_events),
            settings=FIND,
        )
