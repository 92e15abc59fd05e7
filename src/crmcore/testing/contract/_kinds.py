"""How the contract builds, changes and looks up the aggregates of every repository."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from crmcore._kernel._ids import Identifier
from crmcore.customers import Customer, PersonName
from crmcore.repository import UnitOfWork
from crmcore.teams import StaffMember
from crmcore.testing.contract._builders import (
    _answer_review,
    _change_activity,
    _change_case,
    _change_interaction,
    _change_lead,
    _change_loyalty_account,
    _change_note,
    _change_opportunity,
    _change_order,
    _change_privacy_request,
    _change_relationship,
    _change_staff_member,
    _change_subscription,
    _change_team,
    _make_activity,
    _make_case,
    _make_interaction,
    _make_lead,
    _make_loyalty_account,
    _make_note,
    _make_opportunity,
    _make_order,
    _make_privacy_request,
    _make_relationship,
    _make_review,
    _make_staff_member,
    _make_subscription,
    _make_survey,
    _make_team,
    _unchanged,
)
from crmcore.testing.contract._selling import (
    _book_products,
    _change_campaign,
    _change_price_book,
    _change_product,
    _change_quote,
    _make_campaign,
    _make_price_book,
    _make_product,
    _make_quote,
    _parent_needs,
    _quote_products,
)
from crmcore.testing.contract._selling import _when_active as _when_listed
from crmcore.testing.contract._support import T0, _drain
from crmcore.testing.strategies import (
    activities,
    campaigns,
    cases,
    data_subject_requests,
    interactions,
    leads,
    loyalty_accounts,
    notes,
    opportunities,
    orders,
    price_books,
    products,
    quotes,
    relationships,
    reviews,
    staff_members,
    subscriptions,
    survey_responses,
    teams,
)

# -- the other aggregates: how the contract builds, changes and looks them up --------------


def _one(value: object) -> list[tuple[object, ...]]:
    return [] if value is None else [(value,)]


@attrs.frozen
class _Lookup:
    """A secondary lookup of a repository and the arguments that find an aggregate."""

    method: str
    finds: Callable[[Any], list[tuple[object, ...]]]


@attrs.frozen
class _Kind:
    """How the contract exercises one repository of the unit of work.

    ``make(number, customer)`` builds new aggregate ``number`` of customer
    ``customer`` (version 0, with its events), ``change`` applies the next
    command (or none, when the aggregate has none left), ``lookups`` lists
    the repository's secondary lookups, ``generated`` draws valid aggregates.
    ``names_customer`` says whether the aggregate's ``customer_field`` (the
    field ``make`` puts the customer in) is a reference the unit of work
    checks at commit (not for leads, whose ``customer_id`` records the
    customer a lead was converted into, nor for staff and teams, which name
    no customer). ``for_customer`` says whether the repository has that
    lookup; ``needs(aggregate)`` lists what must be stored before a
    generated aggregate can be (its customers, a team's manager) as
    ``(repository name, aggregate)`` pairs.
    """

    make: Callable[[int, int], Any]
    change: Callable[[Any], Any]
    id_of: Callable[[int], Identifier]
    lookups: tuple[_Lookup, ...]
    generated: Callable[[], st.SearchStrategy[Any]]
    names_customer: bool = True
    customer_field: str = "customer_id"
    for_customer: bool = True
    needs: Callable[[Any], list[tuple[str, Any]]] = attrs.field(
        factory=lambda: _customer_needs("customer_id")
    )


def _finder(path: str) -> Callable[[Any], list[tuple[object, ...]]]:
    """What finds an aggregate by its attribute ``path`` (dotted).

    A trailing ``?`` marks an optional attribute: when it is ``None`` the
    lookup has nothing to find the aggregate by.
    """
    optional = path.endswith("?")
    names = path.removesuffix("?").split(".")

    def finds(aggregate: Any) -> list[tuple[object, ...]]:
        value = aggregate
        for name in names:
            value = getattr(value, name)
        return _one(value) if optional else [(value,)]

    return finds


_Maker = tuple[
    Callable[[int, int], Any], Callable[[Any], Any], Callable[[], st.SearchStrategy[Any]]
]


def _customer_needs(*fields: str) -> Callable[[Any], list[tuple[str, Any]]]:
    """What stores the customers an aggregate names in ``fields`` (``None`` names none)."""

    def needs(aggregate: Any) -> list[tuple[str, Any]]:
        found = []
        for field in fields:
            ident = getattr(aggregate, field)
            if ident is not None:
                named = Customer.register(ident, name=PersonName("Named"), at=T0)
                found.append(("customers", named))
        return found

    return needs


def _manager_needs(team: Any) -> list[tuple[str, Any]]:
    if team.manager_id is None:
        return []
    return [("staff", StaffMember.register(team.manager_id, display_name="Manager", at=T0))]


def _either_party(relationship: Any) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = [(relationship.party_id,)]
    return found + _one(relationship.related_id)


def _each(path: str) -> Callable[[Any], list[tuple[object, ...]]]:
    """What finds an aggregate by any item of its tuple attribute ``path``."""

    def finds(aggregate: Any) -> list[tuple[object, ...]]:
        return [(item,) for item in getattr(aggregate, path)]

    return finds


def _when_active(member: Any) -> list[tuple[object, ...]]:
    return [()] if member.active else []


#: How each repository's aggregates are built (``make``), changed and drawn.
_MAKERS: Final[dict[str, _Maker]] = {
    "orders": (_make_order, _change_order, orders),
    "subscriptions": (_make_subscription, _change_subscription, subscriptions),
    "interactions": (_make_interaction, _change_interaction, interactions),
    "cases": (_make_case, _change_case, cases),
    "reviews": (_make_review, _answer_review, reviews),
    "surveys": (_make_survey, _unchanged, survey_responses),
    "loyalty_accounts": (_make_loyalty_account, _change_loyalty_account, loyalty_accounts),
    "leads": (_make_lead, _change_lead, leads),
    "opportunities": (_make_opportunity, _change_opportunity, opportunities),
    "relationships": (_make_relationship, _change_relationship, relationships),
    "staff": (_make_staff_member, _change_staff_member, staff_members),
    "teams": (_make_team, _change_team, teams),
    "activities": (_make_activity, _change_activity, activities),
    "notes": (_make_note, _change_note, notes),
    "privacy_requests": (
        _make_privacy_request,
        _change_privacy_request,
        data_subject_requests,
    ),
    "campaigns": (_make_campaign, _change_campaign, campaigns),
    "quotes": (_make_quote, _change_quote, quotes),
    "price_books": (_make_price_book, _change_price_book, price_books),
    # Last: a product a price book or quote names cannot be removed before them.
    "products": (_make_product, _change_product, products),
}

#: The secondary lookups besides ``for_customer`` of the repositories :func:`_plain_kind`
#: describes, as ``method=attribute`` pairs (see :func:`_finder`).
_LOOKUPS: Final[dict[str, str]] = {
    "orders": "with_status=status with_payment_status=payment_status "
    "with_fulfilment_status=fulfilment_status",
    "subscriptions": "for_plan=plan.id with_status=status",
    "interactions": "for_case=case_id? for_opportunity=opportunity_id?",
    "cases": "for_order=order_id? assigned_to=assignee? with_status=status",
    "reviews": "on_platform=platform",
    "surveys": "for_case=case_id? for_order=order_id? of_survey=survey",
    "loyalty_accounts": "for_program=program_id in_tier=tier",
    "leads": "with_status=status from_source=source assigned_to=owner?",
    "opportunities": "in_stage=stage owned_by=owner",
    "privacy_requests": "with_status=status",
}

#: A lead's ``customer_id`` records the customer it was converted into, not a reference.
_NOT_REFERRING: Final = frozenset({"leads"})


def _kind(name: str, lookups: Iterable[_Lookup], **options: Any) -> _Kind:
    """The kind of repository ``name``: its builders, ``lookups`` and other ``options``.

    Aggregate ``number`` has the id ``make`` gives it, whatever its customer.
    """
    make, change, generated = _MAKERS[name]
    return _Kind(
        make=make,
        change=change,
        id_of=lambda n: make(n, 1).id,
        lookups=tuple(lookups),
        generated=generated,
        **options,
    )


def _plain_kind(name: str) -> _Kind:
    """The kind of a repository whose aggregates name their customer in ``customer_id``."""
    pairs = [item.split("=") for item in ("for_customer=customer_id? " + _LOOKUPS[name]).split()]
    lookups = (_Lookup(method, _finder(path)) for method, path in pairs)
    return _kind(name, lookups, names_customer=name not in _NOT_REFERRING)


def _relationship_kind() -> _Kind:
    """Relationships name customers on both sides: ``for_party`` and ``for_customer`` find either."""
    lookups = (
        _Lookup("for_customer", _either_party),
        _Lookup("for_party", _either_party),
        _Lookup("of_kind", _finder("kind")),
    )
    return _kind(
        "relationships",
        lookups,
        customer_field="party_id",
        needs=_customer_needs("party_id", "related_id"),
    )


def _staff_kind() -> _Kind:
    lookups = (_Lookup("with_role", _each("roles")), _Lookup("active", _when_active))
    return _kind("staff", lookups, names_customer=False, for_customer=False, needs=lambda _: [])


def _team_kind() -> _Kind:
    lookups = (
        _Lookup("with_member", _each("members")),
        _Lookup("managed_by", _finder("manager_id?")),
    )
    return _kind("teams", lookups, names_customer=False, for_customer=False, needs=_manager_needs)


def _participants(activity: Any) -> list[tuple[object, ...]]:
    return [(member,) for member in (*activity.staff, *activity.contacts)]


def _activity_customers(activity: Any) -> list[tuple[object, ...]]:
    """The customers an activity names: its linked customer or account, and its contacts."""
    linked = None if activity.link is None else activity.link.customer_id
    return _one(linked) + [(contact,) for contact in activity.contacts]


def _when_pinned(note: Any) -> list[tuple[object, ...]]:
    return [(note.link,)] if note.pinned else []


def _activity_kind() -> _Kind:
    """Activities link to a record of any kind: not a customer reference checked at commit.

    ``for_customer`` finds an activity by the customer or account it is linked
    to and by each of its contacts.
    """
    lookups = (
        _Lookup("for_customer", _activity_customers),
        _Lookup("owned_by", _finder("owner_id?")),
        _Lookup("linked_to", _finder("link?")),
        _Lookup("with_participant", _participants),
        _Lookup("with_status", _finder("status")),
    )
    return _kind("activities", lookups, names_customer=False, needs=lambda _: [])


def _note_kind() -> _Kind:
    """Notes link to a record of any kind; ``for_customer`` finds those on a customer or account."""
    lookups = (
        _Lookup("for_customer", _finder("link.customer_id?")),
        _Lookup("linked_to", _finder("link")),
        _Lookup("pinned_on", _when_pinned),
        _Lookup("by_author", _finder("author_id?")),
    )
    return _kind("notes", lookups, names_customer=False, needs=lambda _: [])


def _quote_kind() -> _Kind:
    """Quotes name their customer and, by each line, the products they sell."""
    lookups = (
        _Lookup("for_customer", _finder("customer_id")),
        _Lookup("for_opportunity", _finder("opportunity_id?")),
        _Lookup("for_product", _quote_products),
        _Lookup("with_status", _finder("status")),
    )
    return _kind("quotes", lookups)


def _price_book_kind() -> _Kind:
    """Price books name no customer; ``listing`` finds a book by each product it lists."""
    lookups = (
        _Lookup("for_currency", _finder("currency")),
        _Lookup("active", _when_listed),
        _Lookup("listing", _book_products),
    )
    return _kind(
        "price_books", lookups, names_customer=False, for_customer=False, needs=lambda _: []
    )


def _product_kind() -> _Kind:
    """Products name no customer; ``family`` is optional, ``active`` finds the ones sold now."""
    lookups = (
        _Lookup("in_family", _finder("family?")),
        _Lookup("with_status", _finder("status")),
        _Lookup("active", _when_listed),
    )
    return _kind("products", lookups, names_customer=False, for_customer=False, needs=lambda _: [])


def _campaign_kind() -> _Kind:
    """Campaigns name no customer; a generated one may name a parent campaign, stored first."""
    lookups = (
        _Lookup("with_status", _finder("status")),
        _Lookup("children_of", _finder("parent_id?")),
    )
    return _kind(
        "campaigns", lookups, names_customer=False, for_customer=False, needs=_parent_needs
    )


_SPECIAL: Final[dict[str, Callable[[], _Kind]]] = {
    "campaigns": _campaign_kind,
    "quotes": _quote_kind,
    "price_books": _price_book_kind,
    "products": _product_kind,
    "relationships": _relationship_kind,
    "staff": _staff_kind,
    "teams": _team_kind,
    "activities": _activity_kind,
    "notes": _note_kind,
}

#: The repositories besides ``customers``, by the name of their unit-of-work property.
AGGREGATE_REPOSITORIES: Final[dict[str, _Kind]] = {
    name: _SPECIAL[name]() if name in _SPECIAL else _plain_kind(name) for name in _MAKERS
}


def _repository(uow: UnitOfWork, name: str) -> Any:
    """The unit's repository called ``name`` (its property of that name)."""
    return getattr(uow, name)


def _referring_repositories() -> list[str]:
    """The repositories whose aggregates name a customer the unit of work checks."""
    return [name for name, kind in AGGREGATE_REPOSITORIES.items() if kind.names_customer]


def _clear(uow: UnitOfWork) -> None:
    """Remove every aggregate of every repository (in one unit) and drain the outbox."""
    with uow:
        for name in ("customers", *AGGREGATE_REPOSITORIES):
            repository = _repository(uow, name)
            for found in list(repository):
                repository.remove(found.id)
        uow.commit()
    _drain(uow)
