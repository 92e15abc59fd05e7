"""Domain events: facts about what happened, recorded by aggregates.

Aggregates never send an email or call a webhook. Each command method records
what happened as an event in the new aggregate's ``pending_events``; the unit
of work hands them to the host application, which reacts (sends the welcome
email, schedules the follow-up, fires the birthday greeting).

Events are immutable, carry the time they happened (passed in by the caller,
never read from a clock), and serialize through :mod:`crmcore.serialization`
with their class name as the ``type``. Their reprs hide personal data.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import attrs

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId
from crmcore.customers._consent import ConsentRecord
from crmcore.customers._contact import Channel, ContactPoint
from crmcore.customers._party import (
    AttributeValue,
    OrganizationName,
    PersonName,
    PostalAddress,
    Profile,
)

__all__ = [
    "AddressAdded",
    "AddressRemoved",
    "AttributeRemoved",
    "AttributeSet",
    "BirthDateChanged",
    "ConsentGiven",
    "ConsentWithdrawn",
    "ContactPointAdded",
    "ContactPointRemoved",
    "ContactPointVerified",
    "CustomerEvent",
    "CustomerRegistered",
    "NameChanged",
    "PreferredLanguageChanged",
    "PrimaryContactPointChanged",
    "TagAdded",
    "TagRemoved",
]


@attrs.frozen(slots=True, kw_only=True)
class CustomerEvent(DomainEvent):
    """Base of the events recorded by a :class:`~crmcore.Customer`."""

    abstract_event: ClassVar[bool] = True

    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class CustomerRegistered(CustomerEvent):
    """A customer record was created."""

    kind: str
    profile: Profile


@attrs.frozen(slots=True, kw_only=True)
class NameChanged(CustomerEvent):
    """The customer's name changed."""

    name: PersonName | OrganizationName


@attrs.frozen(slots=True, kw_only=True)
class BirthDateChanged(CustomerEvent):
    """The customer's birth date was set, corrected or cleared."""

    birth_date: date | None = attrs.field(repr=False)


@attrs.frozen(slots=True, kw_only=True)
class PreferredLanguageChanged(CustomerEvent):
    """The language the customer wants to be addressed in changed."""

    language: str | None


@attrs.frozen(slots=True, kw_only=True)
class AddressAdded(CustomerEvent):
    """A postal address was added."""

    address: PostalAddress


@attrs.frozen(slots=True, kw_only=True)
class AddressRemoved(CustomerEvent):
    """A postal address was removed."""

    address: PostalAddress


@attrs.frozen(slots=True, kw_only=True)
class AttributeSet(CustomerEvent):
    """A custom attribute was set (its value is hidden from the repr)."""

    key: str
    value: AttributeValue = attrs.field(repr=False)


@attrs.frozen(slots=True, kw_only=True)
class AttributeRemoved(CustomerEvent):
    """A custom attribute was removed."""

    key: str


@attrs.frozen(slots=True, kw_only=True)
class ContactPointAdded(CustomerEvent):
    """A way to reach the customer was added."""

    contact_point: ContactPoint


@attrs.frozen(slots=True, kw_only=True)
class ContactPointRemoved(CustomerEvent):
    """A contact point was removed."""

    contact_point: ContactPoint


@attrs.frozen(slots=True, kw_only=True)
class ContactPointVerified(CustomerEvent):
    """The customer proved they control a contact point."""

    contact_point: ContactPoint


@attrs.frozen(slots=True, kw_only=True)
class PrimaryContactPointChanged(CustomerEvent):
    """A different contact point became the primary one of its channel."""

    channel: Channel
    contact_point: ContactPoint


@attrs.frozen(slots=True, kw_only=True)
class ConsentGiven(CustomerEvent):
    """The customer granted consent."""

    record: ConsentRecord


@attrs.frozen(slots=True, kw_only=True)
class ConsentWithdrawn(CustomerEvent):
    """The customer withdrew (or refused) consent."""

    record: ConsentRecord


@attrs.frozen(slots=True, kw_only=True)
class TagAdded(CustomerEvent):
    """A tag was added."""

    tag: str


@attrs.frozen(slots=True, kw_only=True)
class TagRemoved(CustomerEvent):
    """A tag was removed."""

    tag: str
