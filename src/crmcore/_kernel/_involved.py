"""The contacts involved in an opportunity or a case, and their roles in it.

Salesforce calls these *contact roles* (on opportunities and cases), HubSpot
*associations with labels*. An :class:`InvolvedContact` names a person by
customer id and the role they play (``decision_maker``, ``technical``, the
``reporter`` of a case, ...); :func:`check_involved_contacts` checks a sequence of
them as an aggregate field: each contact and role once, at most one primary.
:class:`InvolvesContacts` gives the aggregates that hold them their queries
and the :meth:`~InvolvesContacts.change_contacts` command.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, Final, Self, Unpack

import attrs

from crmcore._kernel._aggregate import Aggregate, IdT, typed_id
from crmcore._kernel._checks import check_name, error_path, is_bool, items_of
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import CustomerId
from crmcore.errors import ValidationError

#: Most contacts one opportunity or case may name.
MAX_INVOLVED_CONTACTS: Final = 100


def _role(value: object) -> str:
    return str.__str__(check_name(value, "$.role"))


@attrs.frozen(slots=True)
class InvolvedContact:
    """A contact involved in an opportunity or case: who (a customer id) and in what role.

    >>> InvolvedContact(CustomerId("ana"), "decision_maker", primary=True)
    InvolvedContact(contact_id=CustomerId('ana'), role='decision_maker', primary=True)

    Attributes:
        contact_id: the person (a customer, usually a ``contact_of`` the account).
        role: a snake_case role code (see :class:`~crmcore.parties.ContactRole`).
        primary: the main contact of the opportunity or case.
    """

    contact_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.contact_id"))
    role: str = attrs.field(converter=_role)
    primary: bool = attrs.field(default=False, validator=is_bool)


def check_involved_contacts(value: object, path: str = "$.contacts") -> tuple[InvolvedContact, ...]:
    """Check the contacts an opportunity or case names: each (contact, role) once, one primary.

    The order given is kept. Meant as the converter of an aggregate's field.

    >>> ana, budi = CustomerId("ana"), CustomerId("budi")
    >>> [
    ...     c.role
    ...     for c in check_involved_contacts(
    ...         [InvolvedContact(ana, "champion"), InvolvedContact(budi, "technical")]
    ...     )
    ... ]
    ['champion', 'technical']
    >>> check_involved_contacts(
    ...     [
    ...         InvolvedContact(ana, "champion", primary=True),
    ...         InvolvedContact(budi, "technical", primary=True),
    ...     ]
    ... )
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.contacts[1].primary: at most one involved contact may be primary

    Raises:
        InvalidType: not a sequence of InvolvedContact.
        ValidationError: more than 100 (code ``too_many``), a contact named
            twice in the same role (code ``duplicate``), two primaries (code
            ``multiple_primary``).
    """
    where = error_path(path)
    contacts = items_of(
        value,
        InvolvedContact,
        where,
        "an InvolvedContact",
        max_items=MAX_INVOLVED_CONTACTS,
        noun="contacts",
    )
    seen: set[tuple[CustomerId, str]] = set()
    primary = False
    for index, contact in enumerate(contacts):
        key = (contact.contact_id, contact.role)
        if key in seen:
            raise ValidationError(
                "must name each contact in each role once",
                path=f"{where}[{index}]",
                code="duplicate",
            )
        seen.add(key)
        if contact.primary:
            if primary:
                raise ValidationError(
                    "at most one involved contact may be primary",
                    path=f"{where}[{index}].primary",
                    code="multiple_primary",
                )
            primary = True
    return contacts


class InvolvesContacts(Aggregate[IdT]):
    """Base of the aggregates that name the contacts involved in them (an opportunity, a case).

    The aggregate declares the field ``contacts: tuple[InvolvedContact, ...]``
    (converted by :func:`check_involved_contacts`) and sets
    ``_contacts_changed`` to the event class :meth:`change_contacts` records,
    whose fields are ``contacts`` (the new list) and ``previous`` (the list
    before).
    """

    __slots__ = ()

    #: The event class :meth:`change_contacts` records (``OpportunityContactsChanged``, ...).
    _contacts_changed: ClassVar[type[DomainEvent]]
    contacts: tuple[InvolvedContact, ...]

    @property
    def primary_contact(self) -> InvolvedContact | None:
        """The primary involved contact (who, and in what role), if one is marked primary."""
        return next((contact for contact in self.contacts if contact.primary), None)

    def contacts_in_role(self, role: str) -> tuple[CustomerId, ...]:
        """The contacts involved in ``role`` (a role code such as ``"decision_maker"``), in order.

        Raises:
            ValidationError: ``role`` is not a snake_case code (``$.role``).
        """
        wanted = check_name(role, "$.role")
        return tuple(contact.contact_id for contact in self.contacts if contact.role == wanted)

    def change_contacts(
        self, contacts: Sequence[InvolvedContact], *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Self:
        """Replace the contacts involved; records one ``ContactsChanged`` event of the aggregate.

        (:class:`~crmcore.sales.OpportunityContactsChanged` for an
        opportunity, :class:`~crmcore.service.CaseContactsChanged` for a case.)
        ``contacts`` is the whole new list (an empty one removes every
        contact); its order is kept. Giving the list the aggregate already
        has (the same contacts, roles, primary flags and order) changes
        nothing and records nothing. Contacts may change in any stage or
        status: a won or lost opportunity, a resolved or closed case.

        Raises:
            InvalidType: ``contacts`` is not a sequence of InvolvedContact
                (``$.contacts``).
            ValidationError: a contact is named twice in one role
                (``$.contacts[i]``, code ``duplicate``), two are primary
                (``$.contacts[i].primary``, code ``multiple_primary``), more
                than 100 (code ``too_many``), or ``at`` goes backwards
                (``$.at``, code ``time_backwards``).
        """
        command = self._begin(at, meta)
        checked = check_involved_contacts(contacts, "$.contacts")
        if checked == self.contacts:
            return self
        draft = self._contacts_changed.draft(contacts=checked, previous=self.contacts)
        return self._record(command, draft, contacts=checked)
