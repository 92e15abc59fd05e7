"""The events a :class:`~crmcore.Customer` records.

Every name starts with ``Customer``. Events reference the customer's personal
data and never copy it: a name change says that the name changed, not the
name; a contact point event names the channel and the contact point's
position in :attr:`~crmcore.Customer.contact_points`, not the address or
number. A handler that needs the value loads the customer, so an erasure of
the customer leaves no copy behind in outboxes and logs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import attrs

from crmcore._kernel._events import DomainEvent, event_rule
from crmcore._kernel._ids import CustomerId, PrivacyRequestId, StaffId, TeamId
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore.customers._consent import ConsentStatus, LegalBasis, Purpose
from crmcore.customers._contact import Channel
from crmcore.customers._privacy import ObjectionKind


@attrs.frozen(slots=True, kw_only=True)
class CustomerEvent(DomainEvent, aggregate="customer"):
    """Base of the events recorded by a :class:`~crmcore.Customer`."""

    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class CustomerRegistered(CustomerEvent):
    """A customer record was created (``kind``: ``"person"`` or ``"organization"``).

    ``owner`` and ``team`` are the member of staff and team it was registered
    with, if any (events stored before customers had owners load with ``None``).
    """

    kind: str
    owner: StaffId | None = None
    team: TeamId | None = None


@attrs.frozen(slots=True, kw_only=True)
class CustomerAssigned(CustomerEvent):
    """The customer's owner, team or both changed.

    ``owner`` and ``team`` are the new values (``None``: none), ``previous_owner``
    and ``previous_team`` the old ones; the part that did not change is the
    same in both. Staff and team ids are not personal data.
    """

    owner: StaffId | None
    team: TeamId | None
    previous_owner: StaffId | None = None
    previous_team: TeamId | None = None


@attrs.frozen(slots=True, kw_only=True)
class CustomerRenamed(CustomerEvent):
    """The customer's name changed (load the customer for the new name)."""

    v1_names: ClassVar[tuple[str, ...]] = ("NameChanged",)


@attrs.frozen(slots=True, kw_only=True)
class CustomerBirthDateChanged(CustomerEvent):
    """The customer's birth date was set or corrected (``cleared``: it was removed)."""

    v1_names: ClassVar[tuple[str, ...]] = ("BirthDateChanged",)

    cleared: bool = False


@attrs.frozen(slots=True, kw_only=True)
class CustomerLanguageChanged(CustomerEvent):
    """The language the customer wants to be addressed in changed (a BCP 47 tag, or None)."""

    v1_names: ClassVar[tuple[str, ...]] = ("PreferredLanguageChanged",)

    language: str | None


@attrs.frozen(slots=True, kw_only=True)
class CustomerAddressAdded(CustomerEvent):
    """A postal address was added (its country, never its lines)."""

    v1_names: ClassVar[tuple[str, ...]] = ("AddressAdded",)

    country: str


@attrs.frozen(slots=True, kw_only=True)
class CustomerAddressRemoved(CustomerEvent):
    """A postal address was removed (its country, never its lines)."""

    v1_names: ClassVar[tuple[str, ...]] = ("AddressRemoved",)

    country: str


@attrs.frozen(slots=True, kw_only=True)
class CustomerAttributeSet(CustomerEvent):
    """A custom attribute was set (its key; the value stays in the record)."""

    v1_names: ClassVar[tuple[str, ...]] = ("AttributeSet",)

    key: str


@attrs.frozen(slots=True, kw_only=True)
class CustomerAttributeRemoved(CustomerEvent):
    """A custom attribute was removed."""

    v1_names: ClassVar[tuple[str, ...]] = ("AttributeRemoved",)

    key: str


def _check_position(event: Any) -> None:
    event_rule(event.position >= 0, "$.position", "must be 0 or more")


@attrs.frozen(slots=True, kw_only=True)
class _CustomerContactPointEvent(CustomerEvent):
    """An event about one contact point: its channel and its index in ``contact_points``."""

    abstract_event: ClassVar[bool] = True

    channel: Channel
    position: int
    _check = _check_position


@attrs.frozen(slots=True, kw_only=True)
class CustomerContactPointAdded(_CustomerContactPointEvent):
    """A way to reach the customer was added.

    ``position`` is its index in the customer's ``contact_points`` after the change.
    """

    v1_names: ClassVar[tuple[str, ...]] = ("ContactPointAdded",)

    primary: bool


@attrs.frozen(slots=True, kw_only=True)
class CustomerContactPointRemoved(_CustomerContactPointEvent):
    """A contact point was removed (``position``: its index before the change)."""

    v1_names: ClassVar[tuple[str, ...]] = ("ContactPointRemoved",)


@attrs.frozen(slots=True, kw_only=True)
class CustomerContactPointVerified(_CustomerContactPointEvent):
    """The customer proved they control a contact point (``position``: its index)."""

    v1_names: ClassVar[tuple[str, ...]] = ("ContactPointVerified",)


@attrs.frozen(slots=True, kw_only=True)
class CustomerPrimaryContactPointChanged(_CustomerContactPointEvent):
    """A different contact point became its channel's primary one (``position``: its index)."""

    v1_names: ClassVar[tuple[str, ...]] = ("PrimaryContactPointChanged",)


@attrs.frozen(slots=True, kw_only=True)
class _CustomerConsentEvent(CustomerEvent):
    abstract_event: ClassVar[bool] = True

    channel: Channel | None
    purpose: Purpose
    status: ConsentStatus
    legal_basis: LegalBasis
    expires_at: datetime | None = None
    #: True if the record speaks for one contact point (never which one: load the customer).
    for_address: bool = False


@attrs.frozen(slots=True, kw_only=True)
class CustomerConsentGiven(_CustomerConsentEvent):
    """The customer granted consent for a channel (``None``: every channel) and a purpose."""

    v1_names: ClassVar[tuple[str, ...]] = ("ConsentGiven",)


@attrs.frozen(slots=True, kw_only=True)
class CustomerConsentWithdrawn(_CustomerConsentEvent):
    """The customer withdrew (or refused) consent for a channel and a purpose."""

    v1_names: ClassVar[tuple[str, ...]] = ("ConsentWithdrawn",)


@attrs.frozen(slots=True, kw_only=True)
class CustomerTagAdded(CustomerEvent):
    """A tag was added."""

    v1_names: ClassVar[tuple[str, ...]] = ("TagAdded",)

    tag: str


@attrs.frozen(slots=True, kw_only=True)
class CustomerTagRemoved(CustomerEvent):
    """A tag was removed."""

    v1_names: ClassVar[tuple[str, ...]] = ("TagRemoved",)

    tag: str


@attrs.frozen(slots=True, kw_only=True)
class CustomersMerged(CustomerEvent):
    """Other customers were merged into this one, the survivor.

    ``absorbed_ids`` names them (ids only); ``changed`` names the survivor's
    fields the merge changed (``"addresses"``, ``"attributes"``,
    ``"birth_date"``, ``"consents"``, ``"contact_points"``, ``"created_at"``,
    ``"lifecycles"``, ``"name"``, ``"owner"``, ``"preferred_language"``,
    ``"tags"``), sorted; the counts say how many contact points, tags and
    consent records it gained. The values stay in the customer: load it for
    them (see :func:`~crmcore.customers.merge_customers`).
    """

    absorbed_ids: tuple[CustomerId, ...]
    changed: tuple[str, ...] = ()
    contact_points_added: int = 0
    tags_added: int = 0
    consents_added: int = 0

    def _check(self) -> None:
        event_rule(bool(self.absorbed_ids), "$.absorbed_ids", "must name at least one customer")
        event_rule(
            self.customer_id not in self.absorbed_ids,
            "$.absorbed_ids",
            "must not name the survivor",
            "same_customer",
        )
        for name in ("contact_points_added", "tags_added", "consents_added"):
            event_rule(getattr(self, name) >= 0, f"$.{name}", "must be 0 or more")


@attrs.frozen(slots=True, kw_only=True)
class CustomerAbsorbed(CustomerEvent):
    """This customer was merged into ``survivor_id`` and is now a tombstone.

    Its contact points moved to the survivor (``contact_points_moved`` says
    how many); every later command on it is refused with
    :class:`~crmcore.customers.CustomerMerged`.
    """

    survivor_id: CustomerId
    contact_points_moved: int = 0

    def _check(self) -> None:
        event_rule(
            self.survivor_id != self.customer_id,
            "$.survivor_id",
            "must name another customer",
            "same_customer",
        )
        event_rule(self.contact_points_moved >= 0, "$.contact_points_moved", "must be 0 or more")


@attrs.frozen(slots=True, kw_only=True)
class CustomerProcessingRestricted(CustomerEvent):
    """Processing of the customer's data was restricted (``reason``: a code).

    ``request_id`` names the data-subject request that asked for it, if one did.
    """

    reason: str
    request_id: PrivacyRequestId | None = None


@attrs.frozen(slots=True, kw_only=True)
class CustomerRestrictionLifted(CustomerEvent):
    """The restriction of processing was lifted."""


@attrs.frozen(slots=True, kw_only=True)
class CustomerObjected(CustomerEvent):
    """The customer objected to a kind of processing (``objection``)."""

    objection: ObjectionKind


@attrs.frozen(slots=True, kw_only=True)
class CustomerObjectionWithdrawn(CustomerEvent):
    """The customer withdrew an objection (``objection``)."""

    objection: ObjectionKind


@attrs.frozen(slots=True, kw_only=True)
class CustomerLegalHoldPlaced(CustomerEvent):
    """A legal hold (``code``, for ``reason``, both codes) now blocks the customer's erasure."""

    code: str
    reason: str


@attrs.frozen(slots=True, kw_only=True)
class CustomerLegalHoldReleased(CustomerEvent):
    """The legal hold ``code`` was released."""

    code: str


@attrs.frozen(slots=True, kw_only=True)
class CustomerAnonymised(PersonalDataErasedEvent, CustomerEvent):
    """The customer's personal data was erased; ``fields`` names the personal fields replaced.

    The customer is marked erased (``privacy.erased_at``) and takes no more
    commands. Its consent history stays as proof, without addresses.
    """

    fields: tuple[str, ...]
