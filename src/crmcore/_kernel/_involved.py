"""The contacts involved in an opportunity or a case, and their roles in it.

Salesforce calls these *contact roles* (on opportunities and cases), HubSpot
*associations with labels*. An :class:`InvolvedContact` names a person by
customer id and the role they play (``decision_maker``, ``technical``, the
``reporter`` of a case, ...); :func:`check_involved_contacts` checks a sequence of
them as an aggregate field: each contact and role once, at most one primary.
"""

from __future__ import annotations

from typing import Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import check_name, error_path, is_bool, items_of
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
