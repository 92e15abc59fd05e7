"""How the contract builds, changes and looks up the aggregates of every repository."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from crmcore._kernel._ids import Identifier
from crmcore.commerce import (
    OrderId,
    SubscriptionId,
)
from crmcore.feedback import (
    FeedbackId,
    ReviewId,
)
from crmcore.interactions import InteractionId
from crmcore.loyalty import LoyaltyAccountId
from crmcore.repository import UnitOfWork
from crmcore.sales import LeadId, OpportunityId
from crmcore.service import CaseId
from crmcore.testing.contract._builders import (
    _answer_review,
    _change_case,
    _change_interaction,
    _change_lead,
    _change_loyalty_account,
    _change_opportunity,
    _change_order,
    _change_subscription,
    _make_case,
    _make_interaction,
    _make_lead,
    _make_loyalty_account,
    _make_opportunity,
    _make_order,
    _make_review,
    _make_subscription,
    _make_survey,
    _unchanged,
)
from crmcore.testing.strategies import (
    cases,
    interactions,
    leads,
    loyalty_accounts,
    opportunities,
    orders,
    reviews,
    subscriptions,
    survey_responses,
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
    ``names_customer`` says whether the aggregate's ``customer_id`` is a
    reference the unit of work checks at commit (not for leads, whose
    ``customer_id`` records the customer a lead was converted into).
    """

    make: Callable[[int, int], Any]
    change: Callable[[Any], Any]
    id_of: Callable[[int], Identifier]
    lookups: tuple[_Lookup, ...]
    generated: Callable[[], st.SearchStrategy[Any]]
    names_customer: bool = True


def _by_customer(aggregate: Any) -> list[tuple[object, ...]]:
    return _one(aggregate.customer_id)


def _by_status(aggregate: Any) -> list[tuple[object, ...]]:
    return [(aggregate.status,)]


#: The repositories besides ``customers``, by the name of their unit-of-work property.
AGGREGATE_REPOSITORIES: Final[dict[str, _Kind]] = {
    "orders": _Kind(
        make=_make_order,
        change=_change_order,
        id_of=lambda n: OrderId(f"o-{n:04d}"),
        lookups=(_Lookup("for_customer", _by_customer), _Lookup("with_status", _by_status)),
        generated=orders,
    ),
    "subscriptions": _Kind(
        make=_make_subscription,
        change=_change_subscription,
        id_of=lambda n: SubscriptionId(f"s-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_plan", lambda s: [(s.plan.id,)]),
            _Lookup("with_status", _by_status),
        ),
        generated=subscriptions,
    ),
    "interactions": _Kind(
        make=_make_interaction,
        change=_change_interaction,
        id_of=lambda n: InteractionId(f"i-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_case", lambda i: _one(i.case_id)),
            _Lookup("for_opportunity", lambda i: _one(i.opportunity_id)),
        ),
        generated=interactions,
    ),
    "cases": _Kind(
        make=_make_case,
        change=_change_case,
        id_of=lambda n: CaseId(f"case-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_order", lambda c: _one(c.order_id)),
            _Lookup("assigned_to", lambda c: _one(c.assignee)),
            _Lookup("with_status", _by_status),
        ),
        generated=cases,
    ),
    "reviews": _Kind(
        make=_make_review,
        change=_answer_review,
        id_of=lambda n: ReviewId(f"r-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("on_platform", lambda r: [(r.platform,)]),
        ),
        generated=reviews,
    ),
    "surveys": _Kind(
        make=_make_survey,
        change=_unchanged,
        id_of=lambda n: FeedbackId(f"f-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_case", lambda s: _one(s.case_id)),
            _Lookup("for_order", lambda s: _one(s.order_id)),
            _Lookup("of_survey", lambda s: [(s.survey,)]),
        ),
        generated=survey_responses,
    ),
    "loyalty_accounts": _Kind(
        make=_make_loyalty_account,
        change=_change_loyalty_account,
        id_of=lambda n: LoyaltyAccountId(f"la-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_program", lambda a: [(a.program_id,)]),
            _Lookup("in_tier", lambda a: [(a.tier,)]),
        ),
        generated=loyalty_accounts,
    ),
    "leads": _Kind(
        make=_make_lead,
        change=_change_lead,
        id_of=lambda n: LeadId(f"lead-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("with_status", _by_status),
            _Lookup("from_source", lambda lead: [(lead.source,)]),
            _Lookup("assigned_to", lambda lead: _one(lead.owner)),
        ),
        generated=leads,
        names_customer=False,
    ),
    "opportunities": _Kind(
        make=_make_opportunity,
        change=_change_opportunity,
        id_of=lambda n: OpportunityId(f"opp-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("in_stage", lambda deal: [(deal.stage,)]),
            _Lookup("owned_by", lambda deal: [(deal.owner,)]),
        ),
        generated=opportunities,
    ),
}


def _repository(uow: UnitOfWork, name: str) -> Any:
    """The unit's repository called ``name`` (its property of that name)."""
    return getattr(uow, name)


def _referring_repositories() -> list[str]:
    """The repositories whose aggregates name a customer the unit of work checks."""
    return [name for name, kind in AGGREGATE_REPOSITORIES.items() if kind.names_customer]
