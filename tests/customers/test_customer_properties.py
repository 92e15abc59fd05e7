"""Property tests for `crmcore.customers._customer`, drawing every input from `crmcore.testing.strategies`.

Immutability, events recorded per command, the least-permissive consent rule,
and reprs that keep personal data out.
"""

from datetime import UTC, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import ContactPoint, OrganizationName, PersonName, ValidationError
from crmcore.customers import (
    Channel,
    ConsentStatus,
    CustomerAddressAdded,
    CustomerAddressRemoved,
    CustomerAttributeRemoved,
    CustomerAttributeSet,
    CustomerBirthDateChanged,
    CustomerConsentGiven,
    CustomerConsentWithdrawn,
    CustomerContactPointAdded,
    CustomerContactPointRemoved,
    CustomerContactPointVerified,
    CustomerLanguageChanged,
    CustomerPrimaryContactPointChanged,
    CustomerRenamed,
    CustomerTagAdded,
    CustomerTagRemoved,
    PartyKind,
    PostalAddress,
    Profile,
    Purpose,
)
from crmcore.serialization import to_dict
from crmcore.testing import strategies as crm

#: Commands happen within this long after the generated histories end.
SPAN = timedelta(days=5 * 365)
ONE_MICROSECOND = timedelta(microseconds=1)

customer_settings = settings()


def after_registration(data, customer):
    """A time at or after the customer's last change (commands never go back in time)."""
    return data.draw(
        crm.aware_datetimes(min_value=customer.updated_at, max_value=customer.updated_at + SPAN),
        label="at",
    )


def before_registration(data, customer):
    """A time before the customer's registration."""
    return data.draw(
        crm.aware_datetimes(
            min_value=customer.created_at - SPAN,
            max_value=customer.created_at - ONE_MICROSECOND,
        ),
        label="before",
    )


def name_like(data, customer):
    """A name of the customer's kind."""
    strategy = crm.person_names() if customer.kind is PartyKind.PERSON else crm.organization_names()
    return data.draw(strategy, label="name")


def pick(data, values, label):
    """One of ``values`` (which must not be empty)."""
    return data.draw(st.sampled_from(values), label=label)


def known_or_new(data, known, strategy, label):
    """One of the ``known`` values (if any) or a new one from ``strategy``."""
    if known:
        strategy = st.sampled_from(sorted(known)) | strategy
    return data.draw(strategy, label=label)


# -- commands ---------------------------------------------------------------------------------
#
# Each builder draws the arguments of one command for a customer and returns the
# command to run (customer -> customer) and the event types it must record: an
# empty tuple for a command that changes nothing.


def add_tag(data, customer, at):
    tag = data.draw(crm.tags(), label="tag")
    expected = () if tag in customer.tags else (CustomerTagAdded,)
    return (lambda c: c.add_tag(tag, at=at)), expected


def remove_tag(data, customer, at):
    tag = known_or_new(data, customer.tags, crm.tags(), "tag")
    expected = (CustomerTagRemoved,) if tag in customer.tags else ()
    return (lambda c: c.remove_tag(tag, at=at)), expected


def add_contact_point(data, customer, at):
    point = data.draw(crm.contact_points(), label="contact_point")
    if customer.contact_point(point.channel, point.value) is not None:
        return None
    return (lambda c: c.add_contact_point(point, at=at)), (CustomerContactPointAdded,)


def verify_contact_point(data, customer, at):
    if not customer.contact_points:
        return None
    point = pick(data, customer.contact_points, "contact_point")
    expected = () if point.verified else (CustomerContactPointVerified,)
    return (lambda c: c.verify_contact_point(point.channel, point.value, at=at)), expected


def set_primary_contact_point(data, customer, at):
    if not customer.contact_points:
        return None
    point = pick(data, customer.contact_points, "contact_point")
    expected = () if point.primary else (CustomerPrimaryContactPointChanged,)
    return (lambda c: c.set_primary_contact_point(point.channel, point.value, at=at)), expected


def remove_contact_point(data, customer, at):
    if not customer.contact_points:
        return None
    point = pick(data, customer.contact_points, "contact_point")
    successor = point.primary and len(customer.contact_points_on(point.channel)) > 1
    expected = (
        (CustomerContactPointRemoved, CustomerPrimaryContactPointChanged)
        if successor
        else (CustomerContactPointRemoved,)
    )
    return (lambda c: c.remove_contact_point(point.channel, point.value, at=at)), expected


def give_consent(data, customer, at):
    record = data.draw(crm.consent_records(statuses=["granted"]), label="record")
    expires_at = (
        None if record.expires_at is None else at + (record.expires_at - record.captured_at)
    )

    def run(c):
        return c.give_consent(
            record.channel,
            record.purpose,
            at=at,
            source=record.source,
            legal_basis=record.legal_basis,
            expires_at=expires_at,
        )

    return run, (CustomerConsentGiven,)


def withdraw_consent(data, customer, at):
    record = data.draw(crm.consent_records(statuses=["withdrawn"]), label="record")
    return (
        lambda c: c.withdraw_consent(record.channel, record.purpose, at=at, source=record.source)
    ), (CustomerConsentWithdrawn,)


def rename(data, customer, at):
    name = name_like(data, customer)
    expected = () if name == customer.name else (CustomerRenamed,)
    return (lambda c: c.rename(name, at=at)), expected


def change_birth_date(data, customer, at):
    if customer.kind is not PartyKind.PERSON:
        return None
    registered = customer.created_at.astimezone(UTC).date()
    day = data.draw(
        st.none()
        | crm.birth_dates(
            min_value=registered.replace(year=registered.year - 100, day=1), max_value=registered
        ),
        label="birth_date",
    )
    expected = () if day == customer.profile.birth_date else (CustomerBirthDateChanged,)
    return (lambda c: c.change_birth_date(day, at=at)), expected


def set_preferred_language(data, customer, at):
    language = data.draw(st.none() | crm.language_tags(), label="language")
    expected = () if language == customer.profile.preferred_language else (CustomerLanguageChanged,)
    return (lambda c: c.set_preferred_language(language, at=at)), expected


def add_address(data, customer, at):
    address = data.draw(crm.postal_addresses(), label="address")
    if address in customer.profile.addresses:
        return None
    return (lambda c: c.add_address(address, at=at)), (CustomerAddressAdded,)


def remove_address(data, customer, at):
    if not customer.profile.addresses:
        return None
    address = pick(data, customer.profile.addresses, "address")
    return (lambda c: c.remove_address(address, at=at)), (CustomerAddressRemoved,)


def set_attribute(data, customer, at):
    key = known_or_new(data, customer.profile.attributes, crm.attribute_keys(), "key")
    value = data.draw(crm.attribute_values(), label="value")
    current = customer.profile.attributes.get(key)
    same = key in customer.profile.attributes and (type(current), current) == (type(value), value)
    return (lambda c: c.set_attribute(key, value, at=at)), () if same else (CustomerAttributeSet,)


def remove_attribute(data, customer, at):
    attributes = customer.profile.attributes
    key = known_or_new(data, attributes, crm.attribute_keys(), "key")
    expected = (CustomerAttributeRemoved,) if key in attributes else ()
    return (lambda c: c.remove_attribute(key, at=at)), expected


COMMANDS = {
    builder.__name__: builder
    for builder in (
        add_tag,
        remove_tag,
        add_contact_point,
        verify_contact_point,
        set_primary_contact_point,
        remove_contact_point,
        give_consent,
        withdraw_consent,
        rename,
        change_birth_date,
        set_preferred_language,
        add_address,
        remove_address,
        set_attribute,
        remove_attribute,
    )
}


def draw_command(data, customer):
    """A command that applies to ``customer``, its time and the events it must record."""
    at = after_registration(data, customer)
    while True:
        name = data.draw(st.sampled_from(sorted(COMMANDS)), label="command")
        built = COMMANDS[name](data, customer, at)
        if built is not None:
            return name, at, *built


# -- immutability -----------------------------------------------------------------------------


@customer_settings
@given(customer=crm.customers(), data=st.data())
def test_commands_return_a_new_customer_and_leave_the_original_unchanged(customer, data):
    """A command never changes the customer it is called on."""
    snapshot = to_dict(customer)
    events = customer.pending_events
    _, _, command, expected = draw_command(data, customer)
    changed = command(customer)
    assert snapshot == to_dict(customer)
    assert events == customer.pending_events
    assert (changed is customer) == (expected == ())


def failing_commands(data, customer):
    """Commands that must fail for ``customer``, each with a name."""
    before = before_registration(data, customer)
    naive = after_registration(data, customer).replace(tzinfo=None)
    at = after_registration(data, customer)
    tag = data.draw(crm.tags(), label="tag")
    point = data.draw(crm.contact_points(), label="contact_point")
    address = data.draw(crm.postal_addresses(), label="address")
    record = data.draw(crm.consent_records(), label="record")
    commands = {
        "tag before registration": lambda c: c.add_tag(tag, at=before),
        "tag at a naive time": lambda c: c.add_tag(tag, at=naive),
        "contact point before registration": lambda c: c.add_contact_point(point, at=before),
        "consent captured before registration": lambda c: c.give_consent(
            record.channel, record.purpose, at=before, source=record.source
        ),
        "withdrawal at a naive time": lambda c: c.withdraw_consent(
            record.channel, record.purpose, at=naive, source=record.source
        ),
        "address before registration": lambda c: c.add_address(address, at=before),
    }
    if address not in customer.profile.addresses:
        commands["removing an unknown address"] = lambda c: c.remove_address(address, at=at)
    if customer.contact_point(point.channel, point.value) is None:
        commands["removing an unknown contact point"] = lambda c: c.remove_contact_point(
            point.channel, point.value, at=at
        )
    if customer.contact_points:
        existing = customer.contact_points[0]
        commands["a repeated contact point"] = lambda c: c.add_contact_point(existing, at=at)
    if customer.profile.addresses:
        known = customer.profile.addresses[0]
        commands["a repeated address"] = lambda c: c.add_address(known, at=at)
    if customer.kind is PartyKind.PERSON:
        registered = customer.created_at.astimezone(UTC).date()
        future = data.draw(
            crm.birth_dates(min_value=registered + timedelta(days=2), max_value=registered + SPAN),
            label="future_birth_date",
        )
        commands["a birth date after registration"] = lambda c: c.change_birth_date(future, at=at)
    return commands


@customer_settings
@given(customer=crm.customers(), data=st.data())
def test_failed_commands_raise_validation_error_and_change_nothing(customer, data):
    """A command that breaks a rule raises ValidationError and leaves the customer as it was."""
    snapshot = to_dict(customer)
    events = customer.pending_events
    commands = failing_commands(data, customer)
    name = data.draw(st.sampled_from(sorted(commands)), label="failing_command")
    with pytest.raises(ValidationError):
        commands[name](customer)
    assert snapshot == to_dict(customer)
    assert events == customer.pending_events


# -- event recording --------------------------------------------------------------------------


@customer_settings
@given(customer=crm.customers(max_consents=2), data=st.data())
def test_each_command_records_its_events_in_order(customer, data):
    """Each effective command appends exactly its events; a no-op returns the same customer."""
    for _ in range(data.draw(st.integers(min_value=1, max_value=6), label="commands")):
        before = customer.pending_events
        name, at, command, expected = draw_command(data, customer)
        changed = command(customer)
        added = changed.pending_events[len(before) :]
        assert before == changed.pending_events[: len(before)], name
        assert list(expected) == [type(e) for e in added], name
        assert [(customer.id, at)] * len(added) == [(e.customer_id, e.occurred_at) for e in added]
        if not expected:
            assert changed is customer, name
        customer = changed


@given(customer=crm.customers(max_consents=0), data=st.data())
def test_version_and_registration_are_not_touched_by_commands(customer, data):
    """Commands keep the id, kind, creation time and version."""
    _, _, command, _ = draw_command(data, customer)
    changed = command(customer)
    keep = ("id", "kind", "created_at", "version")
    assert [getattr(customer, f) for f in keep] == [getattr(changed, f) for f in keep]


# -- least-permissive consent -----------------------------------------------------------------


@customer_settings
@given(customer=crm.customers(max_consents=0), data=st.data())
def test_without_records_service_is_allowed_and_nothing_else(customer, data):
    """With no consent record, service messages are allowed; marketing and the rest are not."""
    at = after_registration(data, customer)
    channel = data.draw(st.sampled_from(Channel), label="channel")
    assert () == customer.consents
    expected = {purpose: purpose is Purpose.SERVICE for purpose in Purpose}
    assert expected == {p: customer.may_contact(channel, p, at=at) for p in Purpose}


def superseded(customer, withdrawal, at):
    """True if a grant of the withdrawal's scope was captured after it and by ``at``."""
    return any(
        r.status is ConsentStatus.GRANTED
        and r.purpose is withdrawal.purpose
        and r.channel == withdrawal.channel
        and withdrawal.captured_at < r.captured_at <= at
        for r in customer.consents
    )


@customer_settings
@given(customer=crm.customers(), data=st.data())
def test_a_withdrawal_wins_until_a_later_grant_of_its_scope(customer, data):
    """A withdrawal for the channel, or for every channel, means no, unless granted again later."""
    withdrawal = data.draw(
        crm.consent_records(
            statuses=["withdrawn"],
            min_captured_at=customer.updated_at,
            max_captured_at=customer.updated_at + SPAN,
        ),
        label="withdrawal",
    )
    customer = customer.record_consent(withdrawal)
    channel = withdrawal.channel or data.draw(st.sampled_from(Channel), label="channel")
    at = data.draw(
        crm.aware_datetimes(min_value=withdrawal.captured_at, max_value=customer.updated_at + SPAN),
        label="at",
    )
    # A grant captured later in the *same* scope lifts it; anything else cannot.
    if not superseded(customer, withdrawal, at):
        assert not customer.may_contact(channel, withdrawal.purpose, at=at)


@customer_settings
@given(customer=crm.customers(), data=st.data())
def test_the_latest_withdrawal_always_wins(customer, data):
    """A withdrawal captured after every other record of its scope means no, for any time after it."""
    latest = customer.updated_at
    withdrawal = data.draw(
        crm.consent_records(
            statuses=["withdrawn"], min_captured_at=latest, max_captured_at=latest + SPAN
        ),
        label="withdrawal",
    )
    customer = customer.record_consent(withdrawal)
    channel = withdrawal.channel or data.draw(st.sampled_from(Channel), label="channel")
    at = data.draw(
        crm.aware_datetimes(min_value=withdrawal.captured_at, max_value=latest + 2 * SPAN),
        label="at",
    )
    assert not customer.may_contact(channel, withdrawal.purpose, at=at)


@customer_settings
@given(customer=crm.customers(), data=st.data())
def test_adding_a_withdrawal_never_turns_no_into_yes(customer, data):
    """Recording any withdrawal can only take permission away, never grant it."""
    withdrawal = data.draw(
        crm.consent_records(
            statuses=["withdrawn"],
            min_captured_at=customer.updated_at,
            max_captured_at=customer.updated_at + SPAN,
        ),
        label="withdrawal",
    )
    channel = data.draw(st.sampled_from(Channel), label="channel")
    purpose = data.draw(st.sampled_from(Purpose), label="purpose")
    at = after_registration(data, customer)
    before = customer.may_contact(channel, purpose, at=at)
    after = customer.record_consent(withdrawal).may_contact(channel, purpose, at=at)
    if not before:
        assert not after


@customer_settings
@given(customer=crm.customers(max_consents=0), data=st.data())
def test_a_grant_allows_within_its_scope_until_it_expires(customer, data):
    """A lone grant allows its purpose on its channels from capture until it expires."""
    grant = data.draw(
        crm.consent_records(
            statuses=["granted"],
            min_captured_at=customer.updated_at,
            max_captured_at=customer.updated_at + SPAN,
        ),
        label="grant",
    )
    customer = customer.record_consent(grant)
    channel = grant.channel or data.draw(st.sampled_from(Channel), label="channel")
    end = grant.expires_at or grant.captured_at + SPAN
    during = data.draw(
        crm.aware_datetimes(min_value=grant.captured_at, max_value=end - ONE_MICROSECOND),
        label="during",
    )
    assert customer.may_contact(channel, grant.purpose, at=during)
    if grant.expires_at is not None:
        after = data.draw(
            crm.aware_datetimes(min_value=grant.expires_at, max_value=grant.expires_at + SPAN),
            label="after",
        )
        assert (grant.purpose is Purpose.SERVICE) == customer.may_contact(
            channel, grant.purpose, at=after
        )


# -- reprs keep personal data out -------------------------------------------------------------
#
# A repr that showed a personal value would change when that value changes. So
# each test swaps every personal value (names, birth dates, address lines,
# contact point values, attribute values) for another drawn one and checks
# that the repr stays the same.


class Swapper:
    """Replaces the personal values inside crmcore objects with freshly drawn ones."""

    def __init__(self, data):
        self.data = data

    def draw(self, strategy):
        return self.data.draw(strategy, label="replacement")

    def name(self, name):
        if isinstance(name, PersonName):
            return self.draw(crm.person_names())
        return self.draw(crm.organization_names())

    def address(self, address):
        other = self.draw(crm.postal_addresses(countries=[address.country]))
        return attrs.evolve(other, label=address.label)

    def point(self, point):
        value = self.draw(crm.contact_points(channels=[point.channel])).value
        return attrs.evolve(point, value=value)

    def points(self, points):
        # Distinct values per channel, so the customer's no-repeat rule still holds.
        fresh = {}
        for channel in dict.fromkeys(p.channel for p in points):
            count = sum(p.channel is channel for p in points)
            drawn = self.draw(
                st.lists(
                    crm.contact_points(channels=[channel]),
                    min_size=count,
                    max_size=count,
                    unique_by=lambda p: p.value,
                )
            )
            fresh[channel] = iter(drawn)
        return tuple(attrs.evolve(p, value=next(fresh[p.channel]).value) for p in points)

    def profile(self, profile):
        addresses = self.draw(
            st.lists(
                crm.postal_addresses(),
                min_size=len(profile.addresses),
                max_size=len(profile.addresses),
                unique_by=lambda a: a.lines,
            )
        )
        birth_date = None if profile.birth_date is None else self.draw(crm.birth_dates())
        attributes = {key: self.draw(crm.attribute_values()) for key in profile.attributes}
        return Profile(
            name=self.name(profile.name),
            birth_date=birth_date,
            addresses=addresses,
            preferred_language=profile.preferred_language,
            attributes=attributes,
        )

    def event(self, event):
        changes = {}
        for field in attrs.fields(type(event)):
            value = getattr(event, field.name)
            if field.name == "birth_date" and value is not None:
                changes[field.name] = self.draw(crm.birth_dates())
            elif field.name == "value":  # an attribute value
                changes[field.name] = self.draw(crm.attribute_values())
            elif isinstance(value, PersonName | OrganizationName):
                changes[field.name] = self.name(value)
            elif isinstance(value, PostalAddress):
                changes[field.name] = self.address(value)
            elif isinstance(value, ContactPoint):
                changes[field.name] = self.point(value)
            elif isinstance(value, Profile):
                changes[field.name] = self.profile(value)
        return attrs.evolve(event, **changes)

    def customer(self, customer):
        return attrs.evolve(
            customer,
            profile=self.profile(customer.profile),
            contact_points=self.points(customer.contact_points),
            pending_events=tuple(self.event(e) for e in customer.pending_events),
        )


@given(name=st.one_of(crm.person_names(), crm.organization_names()), data=st.data())
def test_name_reprs_hide_the_name(name, data):
    """A name's repr is the same whatever the name."""
    assert repr(name) == repr(Swapper(data).name(name))


@given(address=crm.postal_addresses(), data=st.data())
def test_address_reprs_hide_the_lines(address, data):
    """An address's repr does not change with its lines, locality, region or postal code."""
    assert repr(address) == repr(Swapper(data).address(address))


@given(point=crm.contact_points(), data=st.data())
def test_contact_point_reprs_hide_the_value(point, data):
    """A contact point's repr does not change with its value."""
    assert repr(point) == repr(Swapper(data).point(point))


@given(event=crm.domain_events(), data=st.data())
def test_event_reprs_hide_personal_data(event, data):
    """An event's repr does not change with the personal data it carries."""
    assert repr(event) == repr(Swapper(data).event(event))


@given(customer=crm.customers(), data=st.data())
def test_customer_reprs_hide_personal_data(customer, data):
    """A customer's repr, and its events' reprs, do not change with its personal data."""
    swapped = Swapper(data).customer(customer)
    assert repr(customer) == repr(swapped)
    assert [repr(e) for e in customer.pending_events] == [repr(e) for e in swapped.pending_events]
