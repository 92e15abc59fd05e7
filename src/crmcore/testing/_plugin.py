"""Registers crmcore's strategies with Hypothesis through its entry point.

``pyproject.toml`` declares :func:`_hypothesis_setup_hook` under the
``hypothesis`` entry-point group, so Hypothesis calls it when it is imported
and ``st.from_type(crmcore.Customer)`` (or ``@given`` with inferred arguments)
draws from :func:`crmcore.testing.strategies.customers`. Each type is
registered with a function that builds its strategy on first use, so nothing
is built or drawn while Hypothesis is still importing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

import crmcore as kernel
from crmcore import commerce, customers, feedback, interactions, lifecycle, loyalty, sales, service
from crmcore.testing import strategies

__all__: list[str] = []

_Factory = Callable[[], st.SearchStrategy[Any]]


def _type_strategies() -> dict[type[Any], _Factory]:
    """Each public crmcore type and the strategy factory registered for it."""
    found: dict[type[Any], _Factory] = {
        customers.ConsentRecord: strategies.consent_records,
        customers.ContactPoint: strategies.contact_points,
        kernel.Currency: strategies.currencies,
        customers.Customer: strategies.customers,
        customers.CustomerEvent: _events_of(customers.CustomerEvent),
        customers.CustomerId: strategies.customer_ids,
        kernel.DomainEvent: strategies.domain_events,
        kernel.Money: strategies.moneys,
        customers.OrganizationName: strategies.organization_names,
        customers.PersonName: strategies.person_names,
        customers.PostalAddress: strategies.postal_addresses,
        customers.Profile: strategies.profiles,
        kernel.SeededIdSource: strategies._seeded_id_sources,  # noqa: SLF001 - same package.
        kernel.SequentialIdSource: strategies._sequential_id_sources,  # noqa: SLF001
        # The relationship aggregates and their values.
        service.BusinessCalendar: strategies.business_calendars,
        service.Case: strategies.cases,
        interactions.Interaction: strategies.interactions,
        sales.Lead: strategies.leads,
        customers.LifecycleState: strategies.lifecycle_states,
        loyalty.LoyaltyAccount: strategies.loyalty_accounts,
        loyalty.LoyaltyProgram: strategies.loyalty_programs,
        sales.Opportunity: strategies.opportunities,
        commerce.Order: strategies.orders,
        commerce.OrderLine: strategies.order_lines,
        commerce.Period: strategies.periods,
        sales.PipelineDefinition: strategies.pipeline_definitions,
        commerce.Plan: strategies.plans,
        feedback.Review: strategies.reviews,
        service.SlaPolicy: strategies.sla_policies,
        commerce.Subscription: strategies.subscriptions,
        feedback.SurveyResponse: strategies.survey_responses,
        lifecycle.LifecycleDefinition: strategies.lifecycle_definitions,
        # Event bases stand for their subclasses.
        service.CaseEvent: _events_of(service.CaseEvent),
        interactions.InteractionEvent: _events_of(interactions.InteractionEvent),
        sales.LeadEvent: _events_of(sales.LeadEvent),
        loyalty.LoyaltyEvent: _events_of(loyalty.LoyaltyEvent),
        sales.OpportunityEvent: _events_of(sales.OpportunityEvent),
        commerce.OrderEvent: _events_of(commerce.OrderEvent),
        commerce.SubscriptionEvent: _events_of(commerce.SubscriptionEvent),
    }
    for kind, response in strategies._SURVEY_CLASSES.items():  # noqa: SLF001 - same package.
        found[response] = _surveys_of(kind)
    for id_type in strategies._ID_PREFIXES:  # noqa: SLF001 - same package.
        found[id_type] = _ids_of(id_type)
    for event_type in strategies._EVENT_STRATEGIES:  # noqa: SLF001 - same package.
        found[event_type] = _events_of(event_type)
    return found


def _surveys_of(kind: feedback.SurveyKind) -> _Factory:
    def factory() -> st.SearchStrategy[Any]:
        return strategies.survey_responses(kinds=[kind])

    return factory


def _ids_of(id_type: type[kernel.Identifier]) -> _Factory:
    def factory() -> st.SearchStrategy[Any]:
        return strategies._ids_of(id_type)  # noqa: SLF001 - same package.

    return factory


def _events_of(event_type: type[kernel.DomainEvent]) -> _Factory:
    def factory() -> st.SearchStrategy[Any]:
        return strategies.domain_events(types=[event_type])

    return factory


def _resolver(factory: _Factory) -> Callable[[type[Any]], st.SearchStrategy[Any]]:
    def resolve(_: type[Any]) -> st.SearchStrategy[Any]:
        return factory()

    return resolve


def _hypothesis_setup_hook() -> None:
    """Register a strategy for every public crmcore type (Hypothesis calls this)."""
    for cls, factory in _type_strategies().items():
        st.register_type_strategy(cls, _resolver(factory))
