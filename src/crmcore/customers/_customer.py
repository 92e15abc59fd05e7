"""The Customer aggregate: the one central record every department shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from types import EllipsisType
from typing import Any, Final, TypeGuard, Unpack

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._checks import (
    enum_converter,
    instance_of,
    items_of,
    normalize_tag,
    require_aware,
    require_date,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import EventDraft, EventMeta
from crmcore._kernel._ids import CustomerId, StaffId, TeamId, team_argument
from crmcore.customers._consent import (
    ConsentHolder,
    ConsentRecord,
    ConsentStatus,
    Purpose,
    latest_consents,
    verdict,
)
from crmcore.customers._contact import Channel, ContactPoint
from crmcore.customers._erasure import CustomerPrivacy
from crmcore.customers._events import (
    CustomerAddressAdded,
    CustomerAddressRemoved,
    CustomerAssigned,
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
    CustomerRegistered,
    CustomerRenamed,
    CustomerTagAdded,
    CustomerTagRemoved,
)
from crmcore.customers._lifecycle import (
    CustomerStageChanged,
    LifecycleState,
    NamedDefinition,
    check_lifecycles,
    definition_name,
    to_lifecycles,
)
from crmcore.customers._party import (
    AttributeValue,
    OrganizationName,
    PersonName,
    PostalAddress,
    Profile,
    check_attribute_key,
    check_attribute_value,
    check_language,
)
from crmcore.customers._privacy import PrivacyState
from crmcore.errors import InvalidType, ValidationError

#: Most contact points one customer may hold.
MAX_CONTACT_POINTS = 50
#: Most consent records one customer's history may hold.
MAX_CONSENT_RECORDS = 10_000
#: Most tags one customer may carry.
MAX_TAGS = 200
#: Oldest birth date accepted, relative to the time it is recorded.
MAX_AGE_YEARS = 150


class PartyKind(StrEnum):
    """Whether a customer is a person or an organization."""

    PERSON = "person"
    ORGANIZATION = "organization"


def _tags(value: object) -> frozenset[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be a set of str, not {type_name(value)}", path="$.tags")
    tags = frozenset(normalize_tag(t, "$.tags") for t in value)
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"must hold at most {MAX_TAGS} tags", path="$.tags", code="too_many")
    return tags


def _contact_points(value: object) -> tuple[ContactPoint, ...]:
    points = items_of(
        value,
        ContactPoint,
        "$.contact_points",
        "a ContactPoint",
        max_items=MAX_CONTACT_POINTS,
        noun="contact points",
    )
    seen: set[tuple[Channel, str]] = set()
    primaries: set[Channel] = set()
    for index, point in enumerate(points):
        if point.key in seen:
            raise ValidationError(
                "must not repeat a contact point (same channel and value)",
                path=f"$.contact_points[{index}]",
                code="duplicate",
            )
        seen.add(point.key)
        if point.primary:
            if point.channel in primaries:
                raise ValidationError(
                    "must have at most one primary contact point per channel",
                    path=f"$.contact_points[{index}].primary",
                    code="primary",
                )
            primaries.add(point.channel)
    return points


def _consents(value: object) -> tuple[ConsentRecord, ...]:
    return items_of(
        value,
        ConsentRecord,
        "$.consents",
        "a ConsentRecord",
        max_items=MAX_CONSENT_RECORDS,
        noun="records",
    )


def _profile(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Profile):
        raise InvalidType(f"must be a Profile, not {type_name(value)}", path="$.profile")


def _latest_local_date(at: datetime) -> date:
    # The latest calendar date anywhere on Earth at instant ``at`` (UTC+14).
    try:
        return (at.astimezone(UTC) + timedelta(hours=14)).date()
    except OverflowError:
        return date.max


def _oldest_birth_date(at: datetime) -> date:
    try:
        return at.date() - relativedelta(years=MAX_AGE_YEARS)
    except ValueError:  # before year 1
        return date.min


def _check_birth_date(birth_date: date, at: datetime, path: str) -> None:
    if birth_date > _latest_local_date(at):
        raise ValidationError("must not be in the future", path=path, code="future_birth_date")
    if birth_date < _oldest_birth_date(at):
        raise ValidationError(
            f"must be within the last {MAX_AGE_YEARS} years", path=path, code="birth_date_range"
        )


def _check_owner(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not StaffId:
        raise InvalidType(f"must be a StaffId, not {type_name(value)}", path="$.owner")


def _check_team(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not TeamId:
        raise InvalidType(f"must be a TeamId, not {type_name(value)}", path="$.team")


def _check_merged_into(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not CustomerId:
        raise InvalidType(f"must be a CustomerId, not {type_name(value)}", path="$.merged_into")


def _check_privacy_state(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, PrivacyState):
        raise InvalidType(f"must be a PrivacyState, not {type_name(value)}", path="$.privacy")


def _customer_kind(value: object) -> PartyKind:
    return enum_converter(PartyKind, "$.kind")(value)


#: Most (channel, purpose) pairs one :meth:`Customer.consent_flags` call answers.
_MAX_CONSENT_PAIRS: Final = 1000


def _are_pairs(value: object) -> TypeGuard[tuple[tuple[Channel, Purpose], ...]]:
    """True for a tuple of at most 1,000 (Channel, Purpose) tuples of members: nothing to convert."""
    if type(value) is not tuple or len(value) > _MAX_CONSENT_PAIRS:
        return False
    for pair in value:
        if (
            type(pair) is not tuple
            or len(pair) != 2
            or type(pair[0]) is not Channel
            or type(pair[1]) is not Purpose
        ):
            return False
    return True


def _consent_pair(value: object, path: str) -> tuple[Channel, Purpose]:
    if type(value) is tuple and len(value) == 2:
        channel, purpose = value
        if type(channel) is Channel and type(purpose) is Purpose:
            return channel, purpose
        return (
            enum_converter(Channel, f"{path}[0]")(channel),
            enum_converter(Purpose, f"{path}[1]")(purpose),
        )
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return _consent_pair(tuple(value), path)
    raise InvalidType(f"must be a (channel, purpose) pair, not {type_name(value)}", path=path)


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Customer(CustomerPrivacy, ConsentHolder, kind="customer"):
    """A customer, existing or potential: a person or an organization.

    ``Customer`` is immutable. Every command method (``add_tag``,
    ``give_consent``, ...) returns a *new* customer and records what happened
    as a domain event in its :attr:`pending_events`; a command that fails
    raises a :class:`~crmcore.ValidationError` and changes nothing. Commands
    take the time they happen at as ``at`` (timezone-aware): the library never
    reads a clock, and a command dated before the customer's last change
    (:attr:`updated_at`) is refused. A command that would change nothing
    (adding a tag the customer already has) returns the same customer and
    records no event. Every command also takes the envelope keywords
    ``actor``, ``correlation_id`` and ``causation_id`` (see :mod:`crmcore.events`).

    ``version`` is the version the customer was loaded at, for optimistic
    concurrency: repositories store a save only when it matches, and bump it.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana", family="Putri"), at=at)
    >>> ana = ana.add_contact_point(ContactPoint("email", "ana@example.com"), at=at)
    >>> ana.may_contact("email", "marketing", at=at)  # no record means no marketing
    False
    >>> ana = ana.give_consent("email", "marketing", at=at, source="signup-form")
    >>> ana.may_contact("email", "marketing", at=at)
    True
    >>> [event.type for event in ana.pending_events]
    ['CustomerRegistered', 'CustomerContactPointAdded', 'CustomerConsentGiven']
    >>> ana
    Customer(id=CustomerId('c-1'), kind='person', version=0, contact_points=1, consents=1, tags=0, pending_events=3)
    """

    kind: PartyKind = attrs.field(converter=_customer_kind)
    profile: Profile = attrs.field(validator=_profile)
    contact_points: tuple[ContactPoint, ...] = attrs.field(default=(), converter=_contact_points)
    consents: tuple[ConsentRecord, ...] = attrs.field(default=(), converter=_consents)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tags)
    #: One state per lifecycle definition tracking the customer, the most recently changed last
    #: (moved by :mod:`crmcore.lifecycle`).
    lifecycles: tuple[LifecycleState, ...] = attrs.field(default=(), converter=to_lifecycles)
    #: The member of staff responsible for the customer (the account owner), if any.
    owner: StaffId | None = attrs.field(default=None, validator=_check_owner)
    #: The team the customer belongs to, if any (its owner need not be a member).
    team: TeamId | None = attrs.field(default=None, validator=_check_team)
    #: The customer this one was merged into (see :func:`~crmcore.customers.merge_customers`):
    #: a tombstone refuses every command with :class:`~crmcore.customers.CustomerMerged`.
    merged_into: CustomerId | None = attrs.field(default=None, validator=_check_merged_into)
    #: Erasure, restriction, objections and legal holds (see :mod:`crmcore.customers`).
    privacy: PrivacyState = attrs.field(factory=PrivacyState, validator=_check_privacy_state)

    def _check(self) -> None:
        self._check_privacy()
        if self.merged_into is not None and self.merged_into == self.id:
            raise ValidationError(
                "must name another customer", path="$.merged_into", code="same_customer"
            )
        if self.lifecycles:
            check_lifecycles(self.lifecycles, self.created_at)
        name = self.profile.name
        if self.kind is PartyKind.PERSON and not isinstance(name, PersonName):
            raise ValidationError(
                "a person needs a PersonName", path="$.profile.name", code="kind_mismatch"
            )
        if self.kind is PartyKind.ORGANIZATION:
            if not isinstance(name, OrganizationName):
                raise ValidationError(
                    "an organization needs an OrganizationName",
                    path="$.profile.name",
                    code="kind_mismatch",
                )
            if self.profile.birth_date is not None:
                raise ValidationError(
                    "an organization has no birth date",
                    path="$.profile.birth_date",
                    code="kind_mismatch",
                )
        for index, record in enumerate(self.consents):
            if record.captured_at < self.created_at:
                raise ValidationError(
                    "must not be captured before the customer was registered",
                    path=f"$.consents[{index}].captured_at",
                    code="before_registration",
                )
        born = self.profile.birth_date
        if born is not None:
            _check_birth_date(born, self.created_at, "$.profile.birth_date")

    def _recorded_times(self) -> Iterable[datetime]:
        for record in self.consents:
            yield record.captured_at
        for state in self.lifecycles:
            yield state.history[-1].at
        yield from self.privacy.times()

    def _event_fields(self) -> Mapping[str, object]:
        return {"customer_id": self.id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        customer_id: CustomerId,
        *,
        name: PersonName | OrganizationName,
        at: datetime,
        birth_date: date | None = None,
        addresses: Iterable[PostalAddress] = (),
        preferred_language: str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
        contact_points: Iterable[ContactPoint] = (),
        tags: Iterable[str] = (),
        owner: StaffId | None = None,
        team: TeamId | None = None,
        **meta: Unpack[EventMeta],
    ) -> Customer:
        """Register a new customer (version 0) at time ``at``.

        The kind (person or organization) follows from the type of ``name``.
        ``owner`` is the member of staff responsible for the customer and
        ``team`` the team it belongs to; both are optional (see :meth:`assign`).
        Records ``CustomerRegistered`` (with the owner and team), then a ``CustomerContactPointAdded``
        per contact point and a ``CustomerTagAdded`` per tag. The first
        contact point of each channel becomes its primary one unless another
        is marked primary.

        Raises:
            ValidationError: any argument breaks a rule; the path names it.
        """
        command = cls._begin_new(at, meta)
        kind = PartyKind.PERSON if isinstance(name, PersonName) else PartyKind.ORGANIZATION
        if birth_date is not None:
            _check_birth_date(require_date(birth_date, "$.birth_date"), command.at, "$.birth_date")
        profile = Profile(
            name=name,
            birth_date=birth_date,
            addresses=addresses,
            preferred_language=preferred_language,
            attributes=attributes,
        )
        points = _with_default_primaries(
            tuple_of(
                contact_points, "$.contact_points", instance_of(ContactPoint, "a ContactPoint")
            )
        )
        tag_set = _tags(tags)
        drafts = [CustomerRegistered.draft(kind=kind.value, owner=owner, team=team)]
        drafts.extend(
            CustomerContactPointAdded.draft(
                channel=point.channel, position=position, primary=point.primary
            )
            for position, point in enumerate(points)
        )
        drafts.extend(CustomerTagAdded.draft(tag=tag) for tag in sorted(tag_set))
        return cls._create(
            command,
            *drafts,
            id=customer_id,
            kind=kind,
            profile=profile,
            contact_points=points,
            tags=tag_set,
            owner=owner,
            team=team,
        )

    # -- queries ------------------------------------------------------------------------

    @property
    def name(self) -> PersonName | OrganizationName:
        """The customer's name (a shortcut for ``profile.name``)."""
        return self.profile.name

    def contact_points_on(self, channel: Channel | str) -> tuple[ContactPoint, ...]:
        """The contact points of one channel, primary first."""
        wanted = enum_converter(Channel, "$.channel")(channel)
        points = [p for p in self.contact_points if p.channel is wanted]
        return tuple(sorted(points, key=lambda p: not p.primary))

    def primary_contact_point(self, channel: Channel | str) -> ContactPoint | None:
        """The primary contact point of ``channel``, or ``None`` if it has none."""
        points = self.contact_points_on(channel)
        return points[0] if points and points[0].primary else None

    def consent_flags(
        self, pairs: Iterable[tuple[Channel | str, Purpose | str]], *, at: datetime
    ) -> tuple[bool, ...]:
        """:meth:`may_contact` for many (channel, purpose) pairs, reading the records once.

        >>> from datetime import datetime, timezone
        >>> from crmcore import CustomerId, PersonName
        >>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
        >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at)
        >>> ana.consent_flags([("email", "marketing"), ("email", "service")], at=at)
        (False, True)

        Raises:
            ValidationError: a pair is not a (channel, purpose) pair of known
                values, there are more than 1,000 pairs, or ``at`` is naive.
        """
        when = require_aware(at, "$.at")
        if _are_pairs(pairs):
            wanted: tuple[tuple[Channel, Purpose], ...] = (
                pairs  # already members: nothing to convert
            )
        else:
            wanted = tuple_of(pairs, "$.pairs", _consent_pair, max_items=_MAX_CONSENT_PAIRS)
        latest = latest_consents(self.consents, when)
        return tuple([verdict(latest, channel, purpose, when)[0] for channel, purpose in wanted])

    @property
    def lifecycle(self) -> LifecycleState | None:
        """The lifecycle state changed most recently (``None`` if no lifecycle tracks the customer).

        With several definitions tracking one customer (the relationship ladder
        and the CRM stages), ask for one by name with :meth:`lifecycle_of`.
        """
        return self.lifecycles[-1] if self.lifecycles else None

    def lifecycle_of(self, definition: NamedDefinition | str) -> LifecycleState | None:
        """The state in one lifecycle (a definition or its name), or ``None`` if not tracked."""
        name = definition_name(definition)
        for state in self.lifecycles:
            if state.definition == name:
                return state
        return None

    def has_tag(self, tag: str) -> bool:
        """True if the customer carries ``tag`` (compared after normalizing)."""
        return normalize_tag(tag) in self.tags

    def next_birthday(self, on_or_after: date) -> date | None:
        """The first birthday on or after ``on_or_after``, or ``None`` without a birth date.

        Someone born on 29 February celebrates on 28 February in common years.

        >>> from datetime import date, datetime, timezone
        >>> leap = Customer.register(
        ...     CustomerId("c-2"),
        ...     name=PersonName("Budi"),
        ...     birth_date=date(2000, 2, 29),
        ...     at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        ... )
        >>> leap.next_birthday(date(2026, 1, 1))
        datetime.date(2026, 2, 28)
        >>> leap.next_birthday(date(2028, 1, 1))
        datetime.date(2028, 2, 29)
        """
        start = require_date(on_or_after, "$.on_or_after")
        born = self.profile.birth_date
        if born is None:
            return None
        years = max(0, start.year - born.year)  # the birthday in the year of on_or_after
        candidate = born + relativedelta(years=years)
        if candidate >= start:
            return candidate
        if born.year + years + 1 > date.max.year:
            raise ValidationError(
                "must leave a birthday before the end of the calendar (year 9999)",
                path="$.on_or_after",
                code="out_of_range",
            )
        return born + relativedelta(years=years + 1)

    def age_on(self, day: date) -> int | None:
        """Completed years of age on ``day``, or ``None`` without a birth date."""
        on = require_date(day, "$.day")
        born = self.profile.birth_date
        if born is None:
            return None
        return relativedelta(on, born).years

    # -- commands -----------------------------------------------------------------------

    def rename(
        self, name: PersonName | OrganizationName, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Change the customer's name; records ``CustomerRenamed``."""
        command = self._begin(at, meta)
        if name == self.profile.name:
            return self
        profile = attrs.evolve(self.profile, name=name)
        return self._record(command, CustomerRenamed.draft(), profile=profile)

    def change_birth_date(
        self, birth_date: date | None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Set, correct or clear the birth date; records ``CustomerBirthDateChanged``.

        The date must not lie after the customer's registration (nobody is
        registered before they are born) nor more than 150 years before it.
        """
        command = self._begin(at, meta)
        if birth_date is not None:
            _check_birth_date(
                require_date(birth_date, "$.birth_date"), self.created_at, "$.birth_date"
            )
        if birth_date == self.profile.birth_date:
            return self
        profile = attrs.evolve(self.profile, birth_date=birth_date)
        draft = CustomerBirthDateChanged.draft(cleared=birth_date is None)
        return self._record(command, draft, profile=profile)

    def set_preferred_language(
        self, language: str | None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Set the BCP 47 tag of the language to address the customer in.

        Records ``CustomerLanguageChanged``.
        """
        command = self._begin(at, meta)
        checked = check_language(language, "$.language")
        if checked == self.profile.preferred_language:
            return self
        profile = attrs.evolve(self.profile, preferred_language=checked)
        return self._record(
            command, CustomerLanguageChanged.draft(language=checked), profile=profile
        )

    def add_address(
        self, address: PostalAddress, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Add a postal address; records ``CustomerAddressAdded``. A repeated address is refused."""
        command = self._begin(at, meta)
        checked = instance_of(PostalAddress, "a PostalAddress")(address, "$.address")
        if checked in self.profile.addresses:
            raise ValidationError(
                "the customer already has this address", path="$.address", code="duplicate"
            )
        try:
            profile = attrs.evolve(self.profile, addresses=(*self.profile.addresses, checked))
        except ValidationError as exc:
            raise exc.under("$.profile") from None
        draft = CustomerAddressAdded.draft(country=checked.country)
        return self._record(command, draft, profile=profile)

    def remove_address(
        self, address: PostalAddress, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Remove a postal address; records ``CustomerAddressRemoved``. An unknown one is refused."""
        command = self._begin(at, meta)
        if address not in self.profile.addresses:
            raise ValidationError(
                "the customer has no such address", path="$.address", code="not_found"
            )
        remaining = tuple(a for a in self.profile.addresses if a != address)
        profile = attrs.evolve(self.profile, addresses=remaining)
        draft = CustomerAddressRemoved.draft(country=address.country)
        return self._record(command, draft, profile=profile)

    def set_attribute(
        self, key: str, value: AttributeValue, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Set a custom attribute; records ``CustomerAttributeSet``.

        Keys are snake_case; values are typed scalars (str, int, bool, Decimal,
        date, aware datetime), never floats.
        """
        command = self._begin(at, meta)
        name = check_attribute_key(key, "$.key")
        checked = check_attribute_value(value, "$.value")
        current = self.profile.attributes
        if name in current and current[name] == checked and type(current[name]) is type(checked):
            return self
        try:
            profile = attrs.evolve(self.profile, attributes=current.set(name, checked))
        except ValidationError as exc:
            raise exc.under("$.profile") from None
        return self._record(command, CustomerAttributeSet.draft(key=name), profile=profile)

    def remove_attribute(self, key: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Customer:
        """Remove a custom attribute; records ``CustomerAttributeRemoved`` (no-op if absent)."""
        command = self._begin(at, meta)
        name = check_attribute_key(key, "$.key")
        if name not in self.profile.attributes:
            return self
        profile = attrs.evolve(self.profile, attributes=self.profile.attributes.delete(name))
        return self._record(command, CustomerAttributeRemoved.draft(key=name), profile=profile)

    def add_contact_point(
        self, contact_point: ContactPoint, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Add a way to reach the customer; records ``CustomerContactPointAdded``.

        The first contact point of a channel becomes its primary one; adding a
        primary one makes the channel's previous primary a secondary. A contact
        point with the same channel and value as an existing one is refused.
        """
        command = self._begin(at, meta)
        point = instance_of(ContactPoint, "a ContactPoint")(contact_point, "$.contact_point")
        if any(p.key == point.key for p in self.contact_points):
            raise ValidationError(
                "the customer already has this contact point",
                path="$.contact_point",
                code="duplicate",
            )
        has_primary = self.primary_contact_point(point.channel) is not None
        if not has_primary and not point.primary:
            point = attrs.evolve(point, primary=True)
        points = self.contact_points
        if point.primary and has_primary:
            points = tuple(
                attrs.evolve(p, primary=False) if p.channel is point.channel and p.primary else p
                for p in points
            )
        draft = CustomerContactPointAdded.draft(
            channel=point.channel, position=len(points), primary=point.primary
        )
        try:
            changed = self._record(command, draft, contact_points=(*points, point))
        except ValidationError as exc:
            raise exc.under("$") from None
        return changed

    def _find(self, channel: Channel | str, value: str) -> tuple[int, ContactPoint]:
        probe = ContactPoint(channel, value)
        for index, point in enumerate(self.contact_points):
            if point.key == probe.key:
                return index, point
        raise ValidationError(
            "the customer has no such contact point", path="$.value", code="not_found"
        )

    def contact_point(self, channel: Channel | str, value: str) -> ContactPoint | None:
        """The contact point with this channel and (normalized) value, or ``None``."""
        try:
            return self._find(channel, value)[1]
        except ValidationError as exc:
            if exc.code == "not_found":
                return None
            raise

    def remove_contact_point(
        self, channel: Channel | str, value: str, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Remove a contact point; records ``CustomerContactPointRemoved``.

        If it was its channel's primary, the next one of that channel (in the
        order they were added) becomes primary and
        ``CustomerPrimaryContactPointChanged`` is recorded too. An unknown
        contact point is refused.
        """
        command = self._begin(at, meta)
        index, removed = self._find(channel, value)
        remaining = [p for i, p in enumerate(self.contact_points) if i != index]
        drafts: list[EventDraft] = [
            CustomerContactPointRemoved.draft(channel=removed.channel, position=index)
        ]
        if removed.primary:
            for i, point in enumerate(remaining):
                if point.channel is removed.channel:
                    remaining[i] = attrs.evolve(point, primary=True)
                    drafts.append(
                        CustomerPrimaryContactPointChanged.draft(channel=point.channel, position=i)
                    )
                    break
        return self._record(command, *drafts, contact_points=tuple(remaining))

    def verify_contact_point(
        self, channel: Channel | str, value: str, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Mark a contact point as verified; records ``CustomerContactPointVerified``."""
        command = self._begin(at, meta)
        index, point = self._find(channel, value)
        if point.verified:
            return self
        verified = attrs.evolve(point, verified=True)
        points = (*self.contact_points[:index], verified, *self.contact_points[index + 1 :])
        draft = CustomerContactPointVerified.draft(channel=point.channel, position=index)
        return self._record(command, draft, contact_points=points)

    def set_primary_contact_point(
        self, channel: Channel | str, value: str, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Make a contact point its channel's primary; records ``CustomerPrimaryContactPointChanged``."""
        command = self._begin(at, meta)
        index, target = self._find(channel, value)
        if target.primary:
            return self
        points = tuple(
            attrs.evolve(p, primary=p.key == target.key) if p.channel is target.channel else p
            for p in self.contact_points
        )
        draft = CustomerPrimaryContactPointChanged.draft(channel=target.channel, position=index)
        return self._record(command, draft, contact_points=points)

    def record_consent(self, record: ConsentRecord, **meta: Unpack[EventMeta]) -> Customer:
        """Append a consent record to the history, as of its ``captured_at``.

        Records ``CustomerConsentGiven`` or ``CustomerConsentWithdrawn``.

        The history is append-only: earlier records are never changed. A record
        captured before the customer's last change (or before registration) is
        refused: times never go backwards. A grant for one address needs the
        customer to hold that contact point (a withdrawal does not).
        """
        checked = instance_of(ConsentRecord, "a ConsentRecord")(record, "$.record")
        command = self._begin(checked.captured_at, meta, path="$.record.captured_at")
        if (
            checked.address is not None
            and checked.status is ConsentStatus.GRANTED
            and checked.channel is not None
            and self.contact_point(checked.channel, checked.address) is None
        ):
            raise ValidationError(
                "consent for an address needs the customer to hold that contact point",
                path="$.record.address",
                code="not_found",
            )
        event = (
            CustomerConsentGiven
            if checked.status is ConsentStatus.GRANTED
            else CustomerConsentWithdrawn
        )
        draft = event.draft(
            channel=checked.channel,
            purpose=checked.purpose,
            status=checked.status,
            legal_basis=checked.legal_basis,
            expires_at=checked.expires_at,
            for_address=checked.for_address,
        )
        try:
            return self._record(command, draft, consents=(*self.consents, checked))
        except ValidationError as exc:
            raise exc.under("$") from None

    def assign(
        self,
        owner: StaffId | None,
        team: TeamId | EllipsisType | None = ...,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Customer:
        """Give the customer another owner (``None``: no owner) and team; records ``CustomerAssigned``.

        ``team=None`` takes the customer out of its team; leaving ``team`` out
        keeps the team it has. Giving the owner and team it already has changes
        nothing and records nothing (as for every command). The event names
        the new and the previous owner and team.

        >>> from datetime import datetime, timezone
        >>> from crmcore.teams import StaffId, TeamId
        >>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
        >>> co = Customer.register(
        ...     CustomerId("c-9"), name=OrganizationName("PT Maju"), at=at, owner=StaffId("rep-1")
        ... )
        >>> co = co.assign(StaffId("rep-2"), TeamId("team-jkt"), at=at, actor="ops-1")
        >>> co.owner, co.team
        (StaffId('rep-2'), TeamId('team-jkt'))
        >>> event = co.pending_events[-1]
        >>> event.type, event.previous_owner, event.previous_team, event.actor
        ('CustomerAssigned', StaffId('rep-1'), None, 'ops-1')
        >>> co.assign(StaffId("rep-2"), at=at) is co  # same owner, team kept: nothing to do
        True

        Raises:
            InvalidType: ``owner`` is not a StaffId or ``None`` (``$.owner``),
                or ``team`` not a TeamId or ``None`` (``$.team``).
            ValidationError: ``at`` is before the customer's last change
                (``time_backwards``).
        """
        command = self._begin(at, meta)
        if owner is not None and type(owner) is not StaffId:
            raise InvalidType(f"must be a StaffId or None, not {type_name(owner)}", path="$.owner")
        new_team = team_argument(team, self.team)
        if owner == self.owner and new_team == self.team:
            return self
        draft = CustomerAssigned.draft(
            owner=owner, team=new_team, previous_owner=self.owner, previous_team=self.team
        )
        return self._record(command, draft, owner=owner, team=new_team)

    def add_tag(self, tag: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Customer:
        """Add a tag (normalized); records ``CustomerTagAdded``. A tag already present is a no-op."""
        command = self._begin(at, meta)
        normalized = normalize_tag(tag)
        if normalized in self.tags:
            return self
        if len(self.tags) >= MAX_TAGS:
            raise ValidationError(
                f"must hold at most {MAX_TAGS} tags", path="$.tags", code="too_many"
            )
        draft = CustomerTagAdded.draft(tag=normalized)
        return self._record(command, draft, tags=self.tags | {normalized})

    def remove_tag(self, tag: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Customer:
        """Remove a tag; records ``CustomerTagRemoved``. A tag not present is a no-op."""
        command = self._begin(at, meta)
        normalized = normalize_tag(tag)
        if normalized not in self.tags:
            return self
        draft = CustomerTagRemoved.draft(tag=normalized)
        return self._record(command, draft, tags=self.tags - {normalized})

    def change_lifecycle(
        self, state: LifecycleState, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Customer:
        """Record the customer's new state in one lifecycle; records ``CustomerStageChanged``.

        This is the command :mod:`crmcore.lifecycle` uses when a trigger fires:
        ``state`` must continue the customer's history in that lifecycle by
        exactly one change dated ``at`` (or start it with its entry).

        Raises:
            ValidationError: ``state`` does not continue the stored history.
        """
        checked = instance_of(LifecycleState, "a LifecycleState")(state, "$.state")
        command = self._begin(at, meta)
        current = self.lifecycle_of(checked.definition)
        before = () if current is None else current.history
        grown = len(checked.history) - len(before)
        if checked.history[: len(before)] != before or not 1 <= grown <= (
            2 if current is None else 1
        ):
            raise ValidationError(
                "must continue the customer's history in this lifecycle by one change",
                path="$.state.history",
                code="broken_chain",
            )
        change = checked.history[-1]
        if change.at != command.at:
            raise ValidationError(
                "must be dated when the command is", path="$.state.history", code="time_mismatch"
            )
        others = tuple(s for s in self.lifecycles if s.definition != checked.definition)
        draft = CustomerStageChanged.draft(
            definition=checked.definition,
            from_stage=change.from_stage,
            to_stage=change.to_stage,
            trigger=change.trigger,
        )
        return self._record(command, draft, lifecycles=(*others, checked))

    def __repr__(self) -> str:
        stage = f", lifecycle={self.lifecycles[-1].stage!r}" if self.lifecycles else ""
        if self.merged_into is not None:
            stage += f", merged_into={self.merged_into!r}"
        if self.privacy.erased_at is not None:
            stage += ", erased=True"
        return (
            f"Customer(id={self.id!r}, kind={self.kind.value!r}, version={self.version}, "
            f"contact_points={len(self.contact_points)}, consents={len(self.consents)}, "
            f"tags={len(self.tags)}, pending_events={len(self.pending_events)}{stage})"
        )


def _with_default_primaries(points: tuple[ContactPoint, ...]) -> tuple[ContactPoint, ...]:
    with_primary = {p.channel for p in points if p.primary}
    result: list[ContactPoint] = []
    for point in points:
        if point.channel not in with_primary:
            with_primary.add(point.channel)
            point = attrs.evolve(point, primary=True)  # noqa: PLW2901 - deliberate rebinding
        result.append(point)
    return tuple(result)
