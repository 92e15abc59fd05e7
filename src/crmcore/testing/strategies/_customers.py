"""Strategies for customers: contact points, names, addresses, profiles, consent, customers."""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs
from hypothesis import strategies as st

from crmcore._kernel._checks import MAX_INT, tuple_of, type_name
from crmcore._kernel._ids import CustomerId, PrivacyRequestId, StaffId, TeamId
from crmcore.customers import (
    ADDRESS_CHANNELS,
    COUNTRY_CODES,
    CUSTOMER_PERSONAL_FIELDS,
    AttributeValue,
    Channel,
    ConsentRecord,
    ConsentStatus,
    ContactPoint,
    Customer,
    LegalBasis,
    LegalHold,
    MergeRule,
    Objection,
    ObjectionKind,
    OrganizationName,
    PartyKind,
    PersonName,
    PostalAddress,
    PrivacyState,
    ProcessingDecision,
    ProcessingPurpose,
    Profile,
    Purpose,
    Restriction,
    SurvivorshipRules,
    decide_processing,
)
from crmcore.customers._contact import _CALLING_CODES
from crmcore.customers._customer import MAX_CONTACT_POINTS, MAX_TAGS
from crmcore.errors import InvalidType
from crmcore.lifecycle import (
    CRM_STAGES,
    RELATIONSHIP_LADDER,
    LifecycleDefinition,
)
from crmcore.repository import UniquenessPolicy
from crmcore.sales import Lead
from crmcore.teams import normalize_country
from crmcore.testing.strategies._base import (
    _ADDRESS_CHARS,
    _ADDRESS_LABELS,
    _ADDRESS_LINES,
    _ATTRIBUTE_KEYS,
    _CONTACT_LABELS,
    _DEFAULT_MAX_DATETIME,
    _DEFAULT_MIN_DATETIME,
    _EMAIL_ATOM_CHARS,
    _FAMILY_NAMES,
    _GIVEN_NAMES,
    _LANGUAGES,
    _LEGAL_FORMS,
    _LEGAL_NAMES,
    _LEGAL_SUFFIXES,
    _LOCALITIES,
    _LOWER_DIGITS,
    _POSTAL_CODES,
    _REGIONS,
    _SOCIAL_NETWORKS,
    _SOURCES,
    _STORES,
    _ascii_slugs,
    _aware_between,
    _birth_date_at,
    _bool_arg,
    _check_order,
    _concat,
    _domains,
    _enum_choices,
    _generated_names,
    _id_pool,
    _id_texts,
    _int_arg,
    _joined,
    _later,
    _nfc,
    _non_empty,
    _optional_aware_arg,
    _optional_channel,
    _short_texts,
    _shuffle,
    _team_arguments,
    aware_datetimes,
    birth_dates,
    customer_ids,
    tags,
)
from crmcore.testing.strategies._lifecycle import _walk

# -- contact details ------------------------------------------------------------------------


@functools.cache
def email_addresses() -> st.SearchStrategy[str]:
    """Valid email addresses in crmcore's normalized form (lower case, ASCII domain).

    ``normalize_email(address) == address`` holds for every address drawn.
    """
    atom = st.text(_EMAIL_ATOM_CHARS, min_size=1, max_size=20)
    local = st.lists(atom, min_size=1, max_size=3).map(".".join)
    return st.builds(lambda a, b: f"{a}@{b}", local, _domains())


@functools.cache
def phone_numbers() -> st.SearchStrategy[str]:
    """Valid phone numbers in E.164 form: ``+``, a calling code in service, 7 to 15 digits.

    ``normalize_phone(number) == number`` holds for every number drawn.
    """
    codes = sorted(_CALLING_CODES, key=lambda c: (len(c), c))
    return st.one_of(
        *(
            st.text(string.digits, min_size=7 - len(code), max_size=15 - len(code)).map(
                functools.partial(_concat, "+" + code)
            )
            for code in codes
        )
    )


@functools.cache
def _social_handles() -> st.SearchStrategy[str]:
    network = st.sampled_from(_SOCIAL_NETWORKS) | _ascii_slugs(16, "_.-")
    handle = st.builds(
        _concat,
        st.sampled_from(("@", "")),
        st.text(string.ascii_letters + string.digits + "._", min_size=1, max_size=30),
    )
    return st.builds(lambda n, h: f"{n}:{h}", network, handle)


@functools.cache
def _address_lines() -> st.SearchStrategy[str]:
    return st.sampled_from(_ADDRESS_LINES) | _short_texts()


@functools.cache
def _contact_values(channel: Channel) -> st.SearchStrategy[str]:
    if channel is Channel.EMAIL:
        return email_addresses()
    if channel in (Channel.PHONE, Channel.SMS, Channel.WHATSAPP):
        return phone_numbers()
    if channel is Channel.SOCIAL:
        return _social_handles()
    if channel is Channel.POSTAL:
        return st.lists(_address_lines(), min_size=1, max_size=4).map("\n".join)
    if channel is Channel.WEB:
        path = st.lists(_ascii_slugs(12), max_size=3).map(lambda ps: "".join("/" + p for p in ps))
        return st.builds(lambda d, p: f"https://{d}{p}", _domains(), path)
    return st.sampled_from(_STORES) | _short_texts()


def contact_points(
    *, channels: Iterable[Channel | str] | None = None
) -> st.SearchStrategy[ContactPoint]:
    """:class:`~crmcore.ContactPoint` values with a valid, already normalized value per channel.

    Emails and phone numbers as :func:`email_addresses` and :func:`phone_numbers`
    draw them, social handles as ``network:handle``, postal contact points as
    address lines, web ones as URLs. ``primary``, ``verified`` and the label vary.

    Args:
        channels: the channels to draw from (members or values); all by default.

    Raises:
        ValidationError: an unknown channel, or an empty ``channels``.
    """
    return _contact_points(_enum_choices(channels, "$.channels", Channel))


@functools.lru_cache(maxsize=256)
def _contact_points(channels: tuple[Channel, ...]) -> st.SearchStrategy[ContactPoint]:
    return st.one_of(
        *(
            st.builds(
                ContactPoint,
                st.just(channel),
                _contact_values(channel),
                primary=st.booleans(),
                verified=st.booleans(),
                label=st.none() | st.sampled_from(_CONTACT_LABELS),
            )
            for channel in channels
        )
    )


# -- names, addresses, profiles -------------------------------------------------------------


@functools.cache
def person_names() -> st.SearchStrategy[PersonName]:
    """:class:`~crmcore.PersonName` values: single names, given and family names, preferred names.

    Real names (Indonesian, accented, non-Latin) mix with generated Unicode
    letters; never control or format characters.
    """
    given = st.sampled_from(_GIVEN_NAMES) | _generated_names()
    family = st.none() | st.sampled_from(_FAMILY_NAMES) | _generated_names()
    preferred = st.none() | st.sampled_from(_GIVEN_NAMES)
    return st.builds(PersonName, given, family=family, preferred=preferred)


@functools.cache
def organization_names() -> st.SearchStrategy[OrganizationName]:
    """:class:`~crmcore.OrganizationName` values, with or without a trading name."""
    generated = st.builds(
        lambda form, words, suffix: " ".join(p for p in (form, words, suffix) if p),
        st.sampled_from(("", *_LEGAL_FORMS)),
        _generated_names(),
        st.sampled_from(("", *_LEGAL_SUFFIXES)),
    )
    legal = st.sampled_from(_LEGAL_NAMES) | generated
    trading = st.none() | _generated_names()
    return st.builds(OrganizationName, legal, trading=trading)


def _names_of(kind: PartyKind) -> st.SearchStrategy[PersonName | OrganizationName]:
    if kind is PartyKind.PERSON:
        return person_names()
    return organization_names()


def postal_addresses(*, countries: Iterable[str] | None = None) -> st.SearchStrategy[PostalAddress]:
    """:class:`~crmcore.PostalAddress` values: 1 to 4 lines, optional locality, region, code, label.

    Args:
        countries: ISO 3166-1 alpha-2 codes to draw from; every country by default.

    Raises:
        ValidationError: an unknown country code, or an empty ``countries``.
    """
    if countries is None:
        return _postal_addresses(tuple(sorted(COUNTRY_CODES)))
    return _postal_addresses(
        _non_empty(tuple_of(countries, "$.countries", normalize_country), "$.countries")
    )


@functools.lru_cache(maxsize=256)
def _postal_addresses(countries: tuple[str, ...]) -> st.SearchStrategy[PostalAddress]:
    return st.builds(
        PostalAddress,
        lines=st.lists(_address_lines(), min_size=1, max_size=3),
        country=st.sampled_from(countries),
        locality=st.none() | st.sampled_from(_LOCALITIES) | _short_texts(),
        region=st.none() | st.sampled_from(_REGIONS) | _short_texts(),
        postal_code=st.none()
        | st.sampled_from(_POSTAL_CODES)
        | st.text(string.digits, min_size=3, max_size=10),
        label=st.none() | st.sampled_from(_ADDRESS_LABELS),
    )


@functools.cache
def language_tags() -> st.SearchStrategy[str]:
    """BCP 47 language tags of the shape crmcore accepts: ``id``, ``en-GB``, ``zh-Hant-TW``."""
    script = st.none() | st.builds(
        _concat,
        st.sampled_from(string.ascii_uppercase),
        st.text(string.ascii_lowercase, min_size=3, max_size=3),
    )
    region = (
        st.none()
        | st.text(string.ascii_uppercase, min_size=2, max_size=2)
        | st.text(string.digits, min_size=3, max_size=3)
    )
    generated = st.builds(
        lambda lang, scr, reg: "-".join(p for p in (lang, scr, reg) if p),
        st.text(string.ascii_lowercase, min_size=2, max_size=3),
        script,
        region,
    )
    return st.sampled_from(_LANGUAGES) | generated


@functools.cache
def attribute_keys() -> st.SearchStrategy[str]:
    """Custom attribute keys: snake_case, a lowercase letter first, at most 64 characters."""
    generated = st.builds(
        _concat,
        st.sampled_from(string.ascii_lowercase),
        st.text(_LOWER_DIGITS + "_", max_size=63),
    )
    return st.sampled_from(_ATTRIBUTE_KEYS) | generated


@functools.cache
def attribute_values() -> st.SearchStrategy[AttributeValue]:
    """Custom attribute values: str, int, bool, Decimal, date or aware datetime (never float).

    Strings may span several lines; decimals have up to six places.
    """
    word = st.text(_ADDRESS_CHARS, min_size=1, max_size=12).map(_nfc)
    text = st.just("") | _joined(word, 6, " \n")
    decimals = st.builds(
        lambda units, places: Decimal(units).scaleb(-places),
        st.integers(min_value=-(10**15), max_value=10**15),
        st.integers(min_value=0, max_value=6),
    )
    return st.one_of(
        text,
        st.integers(min_value=-MAX_INT, max_value=MAX_INT),
        st.booleans(),
        decimals,
        st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
        aware_datetimes(),
    )


@functools.cache
def _attribute_maps() -> st.SearchStrategy[dict[str, AttributeValue]]:
    return st.dictionaries(attribute_keys(), attribute_values(), max_size=3)


def _kind_choices(kinds: Iterable[PartyKind | str] | None) -> tuple[PartyKind, ...]:
    return _enum_choices(kinds, "$.kinds", PartyKind)


def profiles(*, kinds: Iterable[PartyKind | str] | None = None) -> st.SearchStrategy[Profile]:
    """:class:`~crmcore.Profile` values of persons and organizations.

    A person's profile may carry a birth date from :func:`birth_dates`; an
    organization's never does.

    Args:
        kinds: ``"person"`` and/or ``"organization"``; both by default.

    Raises:
        ValidationError: an unknown kind, or an empty ``kinds``.
    """
    return _profiles(_kind_choices(kinds))


@st.composite
def _profiles(draw: st.DrawFn, kinds: tuple[PartyKind, ...]) -> Profile:
    kind = draw(st.sampled_from(kinds))
    person = kind is PartyKind.PERSON
    return Profile(
        name=draw(_names_of(kind)),
        birth_date=draw(st.none() | birth_dates()) if person else None,
        addresses=tuple(draw(st.lists(postal_addresses(), unique=True, max_size=3))),
        preferred_language=draw(st.none() | language_tags()),
        attributes=draw(_attribute_maps()),
    )


# -- tags and consent -----------------------------------------------------------------------


@functools.cache
def _sources() -> st.SearchStrategy[str]:
    return st.sampled_from(_SOURCES) | _ascii_slugs(30, "-_:.")


#: How long a generated grant may last before it expires.
_MAX_LIFETIME: Final = timedelta(days=3660)
#: Durations drawn as whole microseconds: one choice each instead of three.
_LIFETIMES: Final = st.none() | st.integers(
    min_value=1, max_value=_MAX_LIFETIME // timedelta(microseconds=1)
).map(lambda us: timedelta(microseconds=us))


def consent_records(
    *,
    channels: Iterable[Channel | str | None] | None = None,
    purposes: Iterable[Purpose | str] | None = None,
    statuses: Iterable[ConsentStatus | str] | None = None,
    min_captured_at: datetime | None = None,
    max_captured_at: datetime | None = None,
    addresses: bool = False,
) -> st.SearchStrategy[ConsentRecord]:
    """:class:`~crmcore.ConsentRecord` values: grants (some expiring) and withdrawals.

    Args:
        channels: channels to draw from; ``None`` in the list stands for every
            channel (a global record). Every channel and ``None`` by default.
        purposes: purposes to draw from; all by default.
        statuses: granted and/or withdrawn; both by default.
        min_captured_at: the earliest capture time (aware); 2000 by default.
        max_captured_at: the latest capture time (aware); 2099 by default.
        addresses: ``True`` to let records of channels with addresses (email,
            phone, SMS, WhatsApp, social, postal) name one contact point
            (``address``) sometimes.

    Raises:
        ValidationError: an unknown channel, purpose or status, an empty list,
            a naive bound, or ``max_captured_at`` before ``min_captured_at``.
    """
    if channels is None:
        channel_choices: tuple[Channel | None, ...] = (None, *Channel)
    else:
        channel_choices = _non_empty(
            tuple_of(channels, "$.channels", _optional_channel), "$.channels"
        )
    purpose_choices = _enum_choices(purposes, "$.purposes", Purpose)
    status_choices = _enum_choices(statuses, "$.statuses", ConsentStatus)
    low = _optional_aware_arg(min_captured_at, "$.min_captured_at", _DEFAULT_MIN_DATETIME)
    high = _optional_aware_arg(max_captured_at, "$.max_captured_at", _DEFAULT_MAX_DATETIME)
    _check_order(low, high, "$.max_captured_at", "min_captured_at")
    return _consent_records(
        _aware_between(low, high),
        channel_choices,
        purpose_choices,
        status_choices,
        addresses=_bool_arg(addresses, "$.addresses"),
    )


@st.composite
def _consent_records(
    draw: st.DrawFn,
    times: st.SearchStrategy[datetime],
    channels: tuple[Channel | None, ...],
    purposes: tuple[Purpose, ...],
    statuses: tuple[ConsentStatus, ...],
    *,
    addresses: bool,
) -> ConsentRecord:
    record = _draw_consent(draw, draw(times), channels, purposes, statuses)
    if addresses and record.channel in ADDRESS_CHANNELS and draw(st.booleans()):
        address = draw(_contact_values(record.channel))
        return attrs.evolve(record, address=address, for_address=True)
    return record


def _draw_consent(
    draw: st.DrawFn,
    captured_at: datetime,
    channels: tuple[Channel | None, ...] = (None, *Channel),
    purposes: tuple[Purpose, ...] = tuple(Purpose),
    statuses: tuple[ConsentStatus, ...] = tuple(ConsentStatus),
) -> ConsentRecord:
    """A consent record captured at ``captured_at``, drawn with ``draw``."""
    status = draw(st.sampled_from(statuses))
    expires_at = None
    legal_basis = LegalBasis.CONSENT
    if status is ConsentStatus.GRANTED:
        legal_basis = draw(st.sampled_from(LegalBasis))
        lifetime = draw(_LIFETIMES)
        if lifetime is not None and (later := _later(captured_at, lifetime)) > captured_at:
            expires_at = later
    return ConsentRecord(
        channel=draw(st.sampled_from(channels)),
        purpose=draw(st.sampled_from(purposes)),
        status=status,
        captured_at=captured_at,
        source=draw(_sources()),
        legal_basis=legal_basis,
        expires_at=expires_at,
    )


# -- customers ------------------------------------------------------------------------------


def customers(
    *,
    kinds: Iterable[PartyKind | str] | None = None,
    min_contact_points: int = 0,
    max_contact_points: int = 4,
    max_consents: int = 6,
    max_tags: int = 5,
    max_reassignments: int = 2,
    staff_ids: Iterable[StaffId] | None = None,
    team_ids: Iterable[TeamId] | None = None,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
    with_lifecycle: bool = False,
    with_privacy: bool = True,
    with_legal_holds: bool = False,
) -> st.SearchStrategy[Customer]:
    """Valid :class:`~crmcore.Customer` aggregates with a realistic history.

    Each customer is built the way an application builds one: through
    :meth:`Customer.register <crmcore.Customer.register>` (with some of its
    contact points, addresses and tags) followed by commands at later times
    (``add_contact_point``, ``add_address``, ``add_tag``, ``give_consent``,
    ``withdraw_consent``, ``verify_contact_point``, ``set_attribute``,
    ``rename``, ``reassign``). So ``pending_events`` holds exactly the events
    those commands recorded, in order, and ``version`` is 0. The history spans
    at most three years after registration; consent is never captured before
    registration. A customer may be registered with an owner and a team, and
    reassigned to another owner (or none) with its team left out (kept),
    cleared with ``None``, or changed; the simplest customers have neither.

    Args:
        kinds: ``"person"`` and/or ``"organization"``; both by default.
        min_contact_points: the fewest contact points.
        max_contact_points: the most contact points (at most 50).
        max_consents: the most consent records in the history (at most 1000).
        max_tags: the most tags (at most 200).
        max_reassignments: the most ``reassign`` commands in the history (0 to 100).
        staff_ids: the owners to draw from (``StaffId`` values); any id by default.
        team_ids: the teams to draw from (``TeamId`` values); any id by default.
        min_created_at: the earliest registration time (aware); 2000 by default.
        max_created_at: the latest registration time (aware); 2099 by default.
        pending_events: ``False`` to draw customers as a repository stores
            them, without pending events.
        with_lifecycle: ``True`` to end each history with moves along
            ``RELATIONSHIP_LADDER`` (and sometimes ``CRM_STAGES``): triggers
            the definition allows from the current stage, fired with
            ``definition.fire`` (after an explicit ``start`` in a drawn stage,
            sometimes) at later times, so ``lifecycles`` and their
            ``LifecycleStageChanged`` events are real.
        with_privacy: ``False`` to leave out the privacy commands a history
            may otherwise hold (``restrict_processing``, ``lift_restriction``,
            ``object_to``, ``withdraw_objection``). Consent given or withdrawn
            for one held contact point (``address=``) is part of every history.
        with_legal_holds: ``True`` to let histories place and release legal
            holds too (a customer under a hold cannot be erased, so they are
            left out by default). No generated customer is erased.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound is out of range or the bounds are crossed.

    >>> customers(min_contact_points=3, max_contact_points=1)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.max_contact_points: must not be less than min_contact_points
    """
    kind_choices = _kind_choices(kinds)
    low_points = _int_arg(min_contact_points, "$.min_contact_points", maximum=MAX_CONTACT_POINTS)
    high_points = _int_arg(max_contact_points, "$.max_contact_points", maximum=MAX_CONTACT_POINTS)
    _check_order(low_points, high_points, "$.max_contact_points", "min_contact_points")
    consent_count = _int_arg(max_consents, "$.max_consents", maximum=1000)
    tag_count = _int_arg(max_tags, "$.max_tags", maximum=MAX_TAGS)
    reassignments = _int_arg(max_reassignments, "$.max_reassignments", maximum=100)
    owners = _id_pool(staff_ids, "$.staff_ids", StaffId)
    teams = _id_pool(team_ids, "$.team_ids", TeamId)
    low = _optional_aware_arg(min_created_at, "$.min_created_at", _DEFAULT_MIN_DATETIME)
    high = _optional_aware_arg(max_created_at, "$.max_created_at", _DEFAULT_MAX_DATETIME)
    _check_order(low, high, "$.max_created_at", "min_created_at")
    if not isinstance(pending_events, bool):
        raise InvalidType(
            f"must be a bool, not {type_name(pending_events)}", path="$.pending_events"
        )
    walks = (
        (RELATIONSHIP_LADDER, CRM_STAGES) if _bool_arg(with_lifecycle, "$.with_lifecycle") else ()
    )
    built = _customers(
        _CustomerPlan(
            kinds=kind_choices,
            min_contact_points=low_points,
            max_contact_points=high_points,
            max_consents=consent_count,
            max_tags=tag_count,
            max_reassignments=reassignments,
            owners=owners,
            teams=teams,
            registered=_aware_between(low, high),
            lifecycles=walks,
            privacy=_bool_arg(with_privacy, "$.with_privacy"),
            legal_holds=_bool_arg(with_legal_holds, "$.with_legal_holds"),
        )
    )
    return built if pending_events else built.map(Customer.without_pending_events)


@attrs.frozen
class _CustomerPlan:
    kinds: tuple[PartyKind, ...]
    min_contact_points: int
    max_contact_points: int
    max_consents: int
    max_tags: int
    max_reassignments: int
    owners: st.SearchStrategy[StaffId]
    teams: st.SearchStrategy[TeamId]
    registered: st.SearchStrategy[datetime]
    lifecycles: tuple[LifecycleDefinition, ...] = ()
    privacy: bool = True
    legal_holds: bool = False


#: How far after registration a generated history reaches.
_HISTORY_SPAN: Final = timedelta(days=3 * 365)
_HISTORY_OFFSETS: Final = st.integers(
    min_value=0, max_value=_HISTORY_SPAN // timedelta(microseconds=1)
).map(lambda us: timedelta(microseconds=us))


def _one_primary_per_channel(points: list[ContactPoint]) -> list[ContactPoint]:
    seen: set[Channel] = set()
    result = []
    for point in points:
        if point.primary and point.channel in seen:
            result.append(attrs.evolve(point, primary=False))
            continue
        if point.primary:
            seen.add(point.channel)
        result.append(point)
    return result


def _contact_key(point: ContactPoint) -> tuple[Channel, str]:
    return point.key


@st.composite
def _customers(draw: st.DrawFn, plan: _CustomerPlan) -> Customer:
    at = draw(plan.registered)
    kind = draw(st.sampled_from(plan.kinds))
    addresses = draw(st.lists(postal_addresses(), unique=True, max_size=2))
    points = draw(
        st.lists(
            contact_points(),
            min_size=plan.min_contact_points,
            max_size=plan.max_contact_points,
            unique_by=_contact_key,
        )
    )
    tag_list = draw(st.lists(tags(), unique=True, max_size=plan.max_tags))
    # How many of the contact points, addresses and tags come with registration.
    first_points = draw(st.integers(0, len(points)))
    first_addresses = draw(st.integers(0, len(addresses)))
    first_tags = draw(st.integers(0, len(tag_list)))
    customer = Customer.register(
        draw(customer_ids()),
        name=draw(_names_of(kind)),
        at=at,
        birth_date=draw(_birth_date_at(at)) if kind is PartyKind.PERSON else None,
        addresses=addresses[:first_addresses],
        preferred_language=draw(st.none() | language_tags()),
        attributes=draw(_attribute_maps()),
        contact_points=_one_primary_per_channel(points[:first_points]),
        tags=tag_list[:first_tags],
        owner=draw(st.none() | plan.owners),
        team=draw(st.none() | plan.teams),
    )

    # The rest of the history: one command per step, in a drawn order.
    steps: list[_Step] = [
        *(_adding_contact_point(p) for p in points[first_points:]),
        *(_adding_address(a) for a in addresses[first_addresses:]),
        *(_adding_tag(t) for t in tag_list[first_tags:]),
        *_consent_steps(draw, plan.max_consents),
        *(_privacy_step for _ in range(draw(st.integers(0, 2)) if plan.privacy else 0)),
        *(_legal_hold_step for _ in range(draw(st.integers(0, 2)) if plan.legal_holds else 0)),
        *(_verifying(points[i]) for i in draw(_indices(len(points), max_size=2))),
        *(_setting_attribute for _ in range(draw(st.integers(0, 1)))),
        *(_renaming for _ in range(draw(st.integers(0, 1)))),
        *(
            _reassigning(plan.owners, plan.teams)
            for _ in range(draw(st.integers(0, plan.max_reassignments)))
        ),
    ]
    _shuffle(draw, steps)
    offsets = sorted(draw(st.lists(_HISTORY_OFFSETS, min_size=len(steps), max_size=len(steps))))
    for step, offset in zip(steps, offsets, strict=True):
        customer = step(draw, customer, _later(at, offset))
    # Lifecycle moves come last, so every event stays in time order.
    when = _later(at, offsets[-1]) if offsets else at
    for number, definition in enumerate(plan.lifecycles):
        if number == 0 or draw(st.booleans()):
            customer, when = _walk(draw, definition, customer, when)
    return customer


#: One command of a generated history: (draw, customer, when) -> customer.
_Step = Callable[[st.DrawFn, Customer, datetime], Customer]


def _indices(length: int, *, max_size: int) -> st.SearchStrategy[list[int]]:
    if length == 0:
        return st.just([])
    return st.lists(st.integers(min_value=0, max_value=length - 1), max_size=max_size)


def _adding_contact_point(point: ContactPoint) -> _Step:
    return lambda _, customer, when: customer.add_contact_point(point, at=when)


def _adding_address(address: PostalAddress) -> _Step:
    return lambda _, customer, when: customer.add_address(address, at=when)


def _adding_tag(tag: str) -> _Step:
    return lambda _, customer, when: customer.add_tag(tag, at=when)


def _verifying(point: ContactPoint) -> _Step:
    def verify(_: st.DrawFn, customer: Customer, when: datetime) -> Customer:
        if customer.contact_point(point.channel, point.value) is None:
            return customer  # not added yet at this point of the history
        return customer.verify_contact_point(point.channel, point.value, at=when)

    return verify


def _setting_attribute(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    return customer.set_attribute(draw(attribute_keys()), draw(attribute_values()), at=when)


def _renaming(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    return customer.rename(draw(_names_of(customer.kind)), at=when)


def _reassigning(owners: st.SearchStrategy[StaffId], teams: st.SearchStrategy[TeamId]) -> _Step:
    """An ``assign``: another owner or none, the team left out (kept), cleared or changed."""

    def reassign(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
        owner = draw(st.none() | owners)
        return customer.assign(owner, draw(_team_arguments(teams)), at=when)

    return reassign


def _recording_consent(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    return _given_or_withdrawn(customer, _draw_consent(draw, when), when)


def _consent_steps(draw: st.DrawFn, most: int) -> list[_Step]:
    """Up to ``most`` consent commands, some for one held contact point."""
    count = draw(st.integers(0, most))
    for_address = draw(st.integers(0, count))
    return [
        *(_recording_consent for _ in range(count - for_address)),
        *(_recording_address_consent for _ in range(for_address)),
    ]


def _recording_address_consent(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    """Consent given or withdrawn for one contact point the customer holds (if it holds one)."""
    held = [p for p in customer.contact_points if p.channel in ADDRESS_CHANNELS]
    if not held:
        return customer
    point = draw(st.sampled_from(held))
    record = _draw_consent(draw, when, (point.channel,))
    return _given_or_withdrawn(customer, record, when, address=point.value)


#: Reason codes of restrictions and legal holds, as applications name them.
_PRIVACY_REASONS: Final = (
    "accuracy_contested",
    "unlawful_processing",
    "legal_claims",
    "objection_pending",
    "litigation",
    "tax_audit",
    "regulator_inquiry",
)


@functools.cache
def privacy_reason_codes() -> st.SearchStrategy[str]:
    """Snake_case reason codes: restriction and legal hold reasons, known and generated."""
    generated = st.builds(
        _concat,
        st.sampled_from(string.ascii_lowercase),
        st.text(string.ascii_lowercase + string.digits + "_", max_size=30),
    )
    return st.sampled_from(_PRIVACY_REASONS) | generated


def _privacy_step(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    """A restriction (placed or lifted) or an objection (made or withdrawn)."""
    action = draw(st.sampled_from(["restrict", "lift", "object", "withdraw"]))
    if action == "restrict":
        request = draw(st.none() | _id_texts("dsr").map(PrivacyRequestId))
        return customer.restrict_processing(
            at=when, reason=draw(privacy_reason_codes()), request_id=request
        )
    if action == "lift":
        return customer.lift_restriction(at=when)
    kind = draw(st.sampled_from(ObjectionKind))
    if action == "object":
        return customer.object_to(kind, at=when)
    return customer.withdraw_objection(kind, at=when)


def _legal_hold_step(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    """A legal hold placed, or one held released."""
    held = customer.privacy.legal_holds
    if len(held) > 0 and draw(st.booleans()):
        return customer.release_legal_hold(draw(st.sampled_from(held)).code, at=when)
    code = draw(privacy_reason_codes())
    if customer.privacy.legal_hold(code) is not None:
        return customer
    return customer.place_legal_hold(code, at=when, reason=draw(privacy_reason_codes()))


def restrictions() -> st.SearchStrategy[Restriction]:
    """:class:`~crmcore.customers.Restriction` values: a time, a reason code, maybe a request id."""
    return st.builds(
        Restriction,
        since=aware_datetimes(),
        reason=privacy_reason_codes(),
        request_id=st.none() | _id_texts("dsr").map(PrivacyRequestId),
    )


def objections() -> st.SearchStrategy[Objection]:
    """:class:`~crmcore.customers.Objection` values of either kind."""
    return st.builds(Objection, kind=st.sampled_from(ObjectionKind), since=aware_datetimes())


def legal_holds() -> st.SearchStrategy[LegalHold]:
    """:class:`~crmcore.customers.LegalHold` values: a code, a reason code and a time."""
    return st.builds(
        LegalHold,
        code=privacy_reason_codes(),
        reason=privacy_reason_codes(),
        placed_at=aware_datetimes(),
    )


def processing_decisions() -> st.SearchStrategy[ProcessingDecision]:
    """:class:`~crmcore.customers.ProcessingDecision` values, as :func:`decide_processing` gives them."""
    return st.builds(
        decide_processing,
        privacy_states(),
        st.sampled_from(ProcessingPurpose),
        at=aware_datetimes(),
    )


def privacy_states(*, erased: bool | None = None) -> st.SearchStrategy[PrivacyState]:
    """:class:`~crmcore.customers.PrivacyState` values: restrictions, objections, legal holds.

    Args:
        erased: ``True`` for erased states only, ``False`` for none; both by default.

    Raises:
        InvalidType: ``erased`` is not a bool or ``None``.
    """
    if erased is not None and not isinstance(erased, bool):
        raise InvalidType(f"must be a bool or None, not {type_name(erased)}", path="$.erased")
    return _privacy_states(erased)


@st.composite
def _privacy_states(draw: st.DrawFn, erased: bool | None) -> PrivacyState:
    times = aware_datetimes()
    restriction = draw(st.none() | restrictions())
    kinds = draw(st.lists(st.sampled_from(ObjectionKind), unique=True))
    holds = draw(st.lists(legal_holds(), max_size=3, unique_by=lambda hold: hold.code))
    erased_at = draw(times) if erased else None
    if erased is None:
        erased_at = draw(st.none() | times)
    return PrivacyState(
        erased_at=erased_at,
        restriction=restriction,
        objections=[Objection(kind=kind, since=draw(times)) for kind in kinds],
        legal_holds=holds,
    )


#: The aggregates that take consent by ``give_consent`` and ``withdraw_consent``.
_ConsentHolder = TypeVar("_ConsentHolder", Customer, Lead)


def _given_or_withdrawn(
    holder: _ConsentHolder, record: ConsentRecord, when: datetime, *, address: str | None = None
) -> _ConsentHolder:
    """``holder`` after ``give_consent`` or ``withdraw_consent`` (at ``when``) as ``record`` says."""
    if record.status is ConsentStatus.GRANTED:
        return holder.give_consent(
            record.channel,
            record.purpose,
            at=when,
            source=record.source,
            legal_basis=record.legal_basis,
            expires_at=record.expires_at,
            address=address,
        )
    return holder.withdraw_consent(
        record.channel, record.purpose, at=when, source=record.source, address=address
    )


def _consent_fields(status: ConsentStatus) -> st.SearchStrategy[dict[str, Any]]:
    """A consent event's fields, from a record of ``status`` captured when the event occurred."""
    return consent_records(statuses=[status]).map(_record_fields)


def _customer_consent_fields(status: ConsentStatus) -> st.SearchStrategy[dict[str, Any]]:
    """A customer consent event's fields: as :func:`_consent_fields`, some for one address."""
    return consent_records(statuses=[status], addresses=True).map(
        lambda record: {**_record_fields(record), "for_address": record.for_address}
    )


def _record_fields(record: ConsentRecord) -> dict[str, Any]:
    """The fields a consent event takes from ``record`` (dated when it was captured)."""
    return {
        "occurred_at": record.captured_at,
        "channel": record.channel,
        "purpose": record.purpose,
        "status": record.status,
        "legal_basis": record.legal_basis,
        "expires_at": record.expires_at,
    }


def _anonymised_fields() -> st.SearchStrategy[tuple[str, ...]]:
    """Personal field names in their declared order, as ``CustomerAnonymised`` lists them."""
    return st.lists(st.sampled_from(CUSTOMER_PERSONAL_FIELDS), unique=True).map(
        lambda names: tuple(n for n in CUSTOMER_PERSONAL_FIELDS if n in names)
    )


def _merge_ids(most: int) -> st.SearchStrategy[list[CustomerId]]:
    """Two to ``most`` distinct customer ids: the survivor first, then the absorbed."""
    return st.lists(customer_ids(), min_size=2, max_size=most, unique=True)


def _merged_fields(ids: list[CustomerId]) -> dict[str, Any]:
    return {"customer_id": ids[0], "absorbed_ids": tuple(ids[1:])}


def _absorbed_fields(ids: list[CustomerId]) -> dict[str, Any]:
    return {"customer_id": ids[1], "survivor_id": ids[0]}


#: Event fields these strategies constrain beyond their declared type, by event class name.
#: The key ``"*"`` draws several fields together, consistent the way the aggregate makes them.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "CustomerConsentGiven": {"*": lambda: _customer_consent_fields(ConsentStatus.GRANTED)},
    "CustomerConsentWithdrawn": {"*": lambda: _customer_consent_fields(ConsentStatus.WITHDRAWN)},
    "CustomerTagAdded": {"tag": tags},
    "CustomerTagRemoved": {"tag": tags},
    "CustomerLanguageChanged": {"language": lambda: st.none() | language_tags()},
    "CustomerAttributeSet": {"key": attribute_keys},
    "CustomerAttributeRemoved": {"key": attribute_keys},
    "CustomerAddressAdded": {"country": lambda: st.sampled_from(sorted(COUNTRY_CODES))},
    "CustomerAddressRemoved": {"country": lambda: st.sampled_from(sorted(COUNTRY_CODES))},
    "CustomerRegistered": {"kind": lambda: st.sampled_from([k.value for k in PartyKind])},
    "CustomersMerged": {"*": lambda: _merge_ids(4).map(_merged_fields)},
    "CustomerAbsorbed": {"*": lambda: _merge_ids(2).map(_absorbed_fields)},
    "CustomerProcessingRestricted": {"reason": privacy_reason_codes},
    "CustomerLegalHoldPlaced": {"code": privacy_reason_codes, "reason": privacy_reason_codes},
    "CustomerLegalHoldReleased": {"code": privacy_reason_codes},
    "CustomerAnonymised": {"fields": _anonymised_fields},
}


def survivorship_rules() -> st.SearchStrategy[SurvivorshipRules]:
    """:class:`~crmcore.customers.SurvivorshipRules`: a rule per field, ``union`` for addresses only."""
    single = st.sampled_from(["most_recent", "survivor", "absorbed"])
    return st.builds(
        SurvivorshipRules,
        name=single,
        birth_date=single,
        preferred_language=single,
        addresses=st.sampled_from([rule.value for rule in MergeRule]),
        attributes=single,
        owner=single,
    )


def uniqueness_policies() -> st.SearchStrategy[UniquenessPolicy]:
    """:class:`~crmcore.repository.UniquenessPolicy`: email and phone each unique or shared."""
    choice = st.sampled_from(["unique", "shared"])
    return st.builds(UniquenessPolicy, email=choice, phone=choice)
