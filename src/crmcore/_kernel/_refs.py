"""One typed reference to any record an activity, a note or an automation can name.

A :class:`RecordRef` is a record kind and the text of its id. It lives in the
kernel because activities, notes and automation rules all link to records of
every capability: customers, accounts (organisation customers), leads,
opportunities, cases, orders and subscriptions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._checks import enum_converter, type_name
from crmcore._kernel._ids import (
    CaseId,
    CustomerId,
    Identifier,
    LeadId,
    OpportunityId,
    OrderId,
    SubscriptionId,
    id_text,
)
from crmcore.errors import InvalidType, ValidationError


class RecordKind(StrEnum):
    """The kinds of record a :class:`RecordRef` can name."""

    CUSTOMER = "customer"
    ACCOUNT = "account"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    CASE = "case"
    ORDER = "order"
    SUBSCRIPTION = "subscription"


#: The identifier type of each record kind (an account is an organisation customer).
RECORD_ID_TYPES: Final[dict[RecordKind, type[Identifier]]] = {
    RecordKind.CUSTOMER: CustomerId,
    RecordKind.ACCOUNT: CustomerId,
    RecordKind.LEAD: LeadId,
    RecordKind.OPPORTUNITY: OpportunityId,
    RecordKind.CASE: CaseId,
    RecordKind.ORDER: OrderId,
    RecordKind.SUBSCRIPTION: SubscriptionId,
}

#: The record kind an identifier names when :meth:`RecordRef.to` is given it.
_KIND_OF_ID: Final[dict[type[Identifier], RecordKind]] = {
    CustomerId: RecordKind.CUSTOMER,
    LeadId: RecordKind.LEAD,
    OpportunityId: RecordKind.OPPORTUNITY,
    CaseId: RecordKind.CASE,
    OrderId: RecordKind.ORDER,
    SubscriptionId: RecordKind.SUBSCRIPTION,
}

_KIND_VALUES: Final = frozenset(member.value for member in RecordKind)


def _kind(value: object) -> RecordKind:
    return enum_converter(RecordKind, "$.kind")(value)


def _value(value: object) -> str:
    return id_text(value, "$.value")


@attrs.frozen(slots=True, order=True, repr=False)
class RecordRef:
    """A typed reference to one record: its kind and the text of its id.

    Build one from a typed id with :meth:`to` (or :meth:`account` for an
    organisation customer); :attr:`id` gives the typed id back. Refs order by
    kind, then id, and print as ``kind:id``.

    >>> from crmcore._kernel._ids import LeadId, CustomerId
    >>> ref = RecordRef.to(LeadId("l-7"))
    >>> ref
    RecordRef('lead', 'l-7')
    >>> ref.id
    LeadId('l-7')
    >>> str(RecordRef.account(CustomerId("c-pt-maju")))
    'account:c-pt-maju'
    >>> RecordRef.parse("case:case-9").id
    CaseId('case-9')
    >>> RecordRef("invoice", "x")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.kind: must be one of: customer, account, lead, opportunity, case, order, subscription
    """

    kind: RecordKind = attrs.field(converter=_kind)
    value: str = attrs.field(converter=_value)

    @classmethod
    def to(cls, identifier: Identifier) -> RecordRef:
        """The reference to the record ``identifier`` names (a ``CustomerId`` names a customer).

        Raises:
            InvalidType: ``identifier`` is not the id of a record kind (``$.id``).
        """
        kind = _KIND_OF_ID.get(type(identifier))
        if kind is None:
            raise InvalidType(
                f"must be the id of a customer, lead, opportunity, case, order or subscription, "
                f"not {type_name(identifier)}",
                path="$.id",
            )
        return cls(kind, identifier.value)

    @classmethod
    def account(cls, customer_id: CustomerId) -> RecordRef:
        """The reference to an account: an organisation customer.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId` (``$.id``).
        """
        if type(customer_id) is not CustomerId:
            raise InvalidType(f"must be a CustomerId, not {type_name(customer_id)}", path="$.id")
        return cls(RecordKind.ACCOUNT, customer_id.value)

    @classmethod
    def parse(cls, text: object, path: str = "$") -> RecordRef:
        """The reference written as ``kind:id`` (what :func:`str` gives).

        Raises:
            InvalidType: ``text`` is not a str.
            ValidationError: no ``:``, an unknown kind or a malformed id (code ``record_ref``).
        """
        if not isinstance(text, str):
            raise InvalidType(f"must be a str such as 'lead:l-1', not {type_name(text)}", path=path)
        kind, sep, value = text.partition(":")
        if not sep or kind not in _KIND_VALUES:
            raise ValidationError(
                "must be kind:id with a kind of: "
                + ", ".join(member.value for member in RecordKind),
                path=path,
                code="record_ref",
            )
        return cls(RecordKind(kind), value)

    @property
    def id(self) -> Identifier:
        """The typed id of the record (a :class:`~crmcore.CustomerId` for a customer or account)."""
        return RECORD_ID_TYPES[self.kind](self.value)

    @property
    def customer_id(self) -> CustomerId | None:
        """The customer's id when the record is a customer or an account, else ``None``."""
        if self.kind in (RecordKind.CUSTOMER, RecordKind.ACCOUNT):
            return CustomerId(self.value)
        return None

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.value}"

    def __repr__(self) -> str:
        return f"RecordRef({self.kind.value!r}, {self.value!r})"
