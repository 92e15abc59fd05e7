"""Party records: what duplicate detection reads about a customer, a lead or any party."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import attrs

from crmcore._kernel._checks import MAX_INT, clean_text, enum_converter, tuple_of, type_name
from crmcore._kernel._ids import Identifier, id_text
from crmcore.customers import (
    Channel,
    ContactPoint,
    Customer,
    OrganizationName,
    PartyKind,
    PersonName,
    PostalAddress,
    normalize_email,
    normalize_phone,
)
from crmcore.errors import InvalidType, ValidationError

#: What identifies a party in the results: a typed id (``CustomerId``, ``LeadId``), or
#: identifier text, or an int.
PartyKey = Identifier | str | int

#: Most names (a full name and its variants) one record may hold.
MAX_NAMES: Final = 4
#: Longest name, in characters (three name parts of 200 and their spaces).
MAX_NAME_LENGTH: Final = 610
#: Most email addresses, and most phone numbers, one record may hold.
MAX_CONTACTS: Final = 50
#: Most postal addresses one record may hold.
MAX_ADDRESSES: Final = 20

#: The channels whose contact points are phone numbers.
PHONE_CHANNELS: Final = (Channel.PHONE, Channel.SMS, Channel.WHATSAPP)


def check_key(value: object, path: str) -> PartyKey:
    """A party key: an :class:`~crmcore.Identifier`, identifier text or an int of 63 bits.

    Identifier text never holds ``@`` or spaces, so a key can never be an
    email address and may appear in reprs and messages.
    """
    if isinstance(value, Identifier):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidType(
            f"must be an id (an Identifier such as CustomerId, a str or an int), "
            f"not {type_name(value)}",
            path=path,
        )
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise ValidationError(
                "must be an integer between -(2**63 - 1) and 2**63 - 1", path=path, code="range"
            )
        return value
    return id_text(value, path)


def _key(value: object) -> PartyKey:
    return check_key(value, "$.key")


def _names(value: object) -> tuple[str, ...]:
    return tuple_of(
        value,
        "$.names",
        lambda item, path: clean_text(item, path, max_length=MAX_NAME_LENGTH, what="a name"),
        max_items=MAX_NAMES,
    )


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _emails(value: object) -> tuple[str, ...]:
    return _unique(tuple_of(value, "$.emails", normalize_email, max_items=MAX_CONTACTS))


def _phones(value: object) -> tuple[str, ...]:
    return _unique(tuple_of(value, "$.phones", normalize_phone, max_items=MAX_CONTACTS))


def _addresses(value: object) -> tuple[PostalAddress, ...]:
    def check(item: object, path: str) -> PostalAddress:
        if not isinstance(item, PostalAddress):
            raise InvalidType(f"must be a PostalAddress, not {type_name(item)}", path=path)
        return item

    return tuple(dict.fromkeys(tuple_of(value, "$.addresses", check, max_items=MAX_ADDRESSES)))


def _kind(value: object) -> PartyKind:
    return enum_converter(PartyKind, "$.kind")(value)


def names_of(name: PersonName | OrganizationName) -> tuple[str, ...]:
    if isinstance(name, OrganizationName):
        return (name.legal,) if name.trading is None else (name.legal, name.trading)
    names = [name.full]
    if name.preferred is not None and name.preferred != name.given:
        names.append(name.preferred if name.family is None else f"{name.preferred} {name.family}")
    return tuple(names)


@attrs.frozen(slots=True, repr=False)
class PartyRecord:
    """What duplicate detection compares about one party: names, emails, phones, addresses.

    Build one from a customer with :meth:`from_customer`, or from any party
    that has a name and contact points (a lead, a web-form submission) with
    :meth:`from_parts`. Emails and phone numbers are normalized as contact
    points are (a phone number in international form); repeats count once.
    The repr shows the key and counts only.

    >>> from crmcore.customers import CustomerId, PersonName
    >>> record = PartyRecord.from_parts(
    ...     CustomerId("c-1"),
    ...     name=PersonName("Ana", family="Putri"),
    ...     contact_points=[ContactPoint("email", "Ana@Example.co.id")],
    ... )
    >>> record.emails
    ('ana@example.co.id',)
    >>> record
    PartyRecord(key=CustomerId('c-1'), kind='person', names=1, emails=1, phones=0, addresses=0)

    Attributes:
        key: what identifies the party in results (see :data:`PartyKey`).
        names: the party's names: the full name first, then variants (a
            preferred name, a trading name); at most 4.
        emails: normalized email addresses.
        phones: phone numbers in E.164 form.
        addresses: postal addresses.
        kind: a person or an organization; names of different kinds never match.

    .. versionadded:: 0.1
    """

    key: PartyKey = attrs.field(converter=_key)
    names: tuple[str, ...] = attrs.field(default=(), converter=_names)
    emails: tuple[str, ...] = attrs.field(default=(), converter=_emails)
    phones: tuple[str, ...] = attrs.field(default=(), converter=_phones)
    addresses: tuple[PostalAddress, ...] = attrs.field(default=(), converter=_addresses)
    kind: PartyKind = attrs.field(default=PartyKind.PERSON, converter=_kind)

    @classmethod
    def from_parts(
        cls,
        key: PartyKey,
        *,
        name: PersonName | OrganizationName | None = None,
        contact_points: Iterable[ContactPoint] = (),
        addresses: Iterable[PostalAddress] = (),
    ) -> PartyRecord:
        """A record from a name, contact points and addresses (what a lead has).

        The kind follows the name's type (a person without a name). Email
        contact points give the emails; phone, SMS and WhatsApp ones the phones.

        Raises:
            ValidationError: an argument has the wrong type or too many items.
        """
        if name is not None and not isinstance(name, (PersonName, OrganizationName)):
            raise InvalidType(
                f"must be a PersonName or OrganizationName, not {type_name(name)}", path="$.name"
            )

        def point(item: object, path: str) -> ContactPoint:
            if not isinstance(item, ContactPoint):
                raise InvalidType(f"must be a ContactPoint, not {type_name(item)}", path=path)
            return item

        points = tuple_of(contact_points, "$.contact_points", point, max_items=2 * MAX_CONTACTS)
        return cls(
            key,
            names=() if name is None else names_of(name),
            emails=[p.value for p in points if p.channel is Channel.EMAIL],
            phones=[p.value for p in points if p.channel in PHONE_CHANNELS],
            addresses=addresses,
            kind=PartyKind.ORGANIZATION if isinstance(name, OrganizationName) else PartyKind.PERSON,
        )

    @classmethod
    def from_customer(cls, customer: Customer) -> PartyRecord:
        """The record of a customer: its id, names, emails, phone numbers and addresses.

        Raises:
            InvalidType: ``customer`` is not a :class:`~crmcore.Customer`.
        """
        if not isinstance(customer, Customer):
            raise InvalidType(f"must be a Customer, not {type_name(customer)}", path="$.customer")
        return cls.from_parts(
            customer.id,
            name=customer.name,
            contact_points=customer.contact_points,
            addresses=customer.profile.addresses,
        )

    def __repr__(self) -> str:
        return (
            f"PartyRecord(key={self.key!r}, kind={self.kind.value!r}, names={len(self.names)}, "
            f"emails={len(self.emails)}, phones={len(self.phones)}, "
            f"addresses={len(self.addresses)})"
        )
