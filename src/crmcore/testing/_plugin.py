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

from crmcore import lifecycle, model
from crmcore.testing import strategies

__all__: list[str] = []

_Factory = Callable[[], st.SearchStrategy[Any]]


def _type_strategies() -> dict[type[Any], _Factory]:
    """Each public crmcore type and the strategy factory registered for it."""
    found: dict[type[Any], _Factory] = {
        model.ConsentRecord: strategies.consent_records,
        model.ContactPoint: strategies.contact_points,
        model.Currency: strategies.currencies,
        model.Customer: strategies.customers,
        model.CustomerEvent: _events_of(model.CustomerEvent),
        model.CustomerId: strategies.customer_ids,
        model.DomainEvent: strategies.domain_events,
        model.Money: strategies.moneys,
        model.OrganizationName: strategies.organization_names,
        model.PersonName: strategies.person_names,
        model.PostalAddress: strategies.postal_addresses,
        model.Profile: strategies.profiles,
        model.SeededIdSource: strategies._seeded_id_sources,  # noqa: SLF001 - same package.
        model.SequentialIdSource: strategies._sequential_id_sources,  # noqa: SLF001
        # The relationship aggregates and their values.
        model.BusinessCalendar: strategies.business_calendars,
        model.Case: strategies.cases,
        model.Interaction: strategies.interactions,
        model.Lead: strategies.leads,
        model.LifecycleState: strategies.lifecycle_states,
        model.LoyaltyAccount: strategies.loyalty_accounts,
        model.LoyaltyProgram: strategies.loyalty_programs,
        model.Opportunity: strategies.opportunities,
        model.Order: strategies.orders,
        model.OrderLine: strategies.order_lines,
        model.Period: strategies.periods,
        model.PipelineDefinition: strategies.pipeline_definitions,
        model.Plan: strategies.plans,
        model.Review: strategies.reviews,
        model.SlaPolicy: strategies.sla_policies,
        model.Subscription: strategies.subscriptions,
        model.SurveyResponse: strategies.survey_responses,
        lifecycle.LifecycleDefinition: strategies.lifecycle_definitions,
        # Event bases stand for their subclasses.
        model.CaseEvent: _events_of(model.CaseEvent),
        model.InteractionEvent: _events_of(model.InteractionEvent),
        model.LeadEvent: _events_of(model.LeadEvent),
        model.LoyaltyEvent: _events_of(model.LoyaltyEvent),
        model.OpportunityEvent: _events_of(model.OpportunityEvent),
        model.OrderEvent: _events_of(model.OrderEvent),
        model.SubscriptionEvent: _events_of(model.SubscriptionEvent),
    }
    for kind, response in strategies._SURVEY_CLASSES.items():  # noqa: SLF001 - same package.
        found[response] = _surveys_of(kind)
    for id_type in strategies._ID_PREFIXES:  # noqa: SLF001 - same package.
        found[id_type] = _ids_of(id_type)
    for event_type in strategies._EVENT_STRATEGIES:  # noqa: SLF001 - same package.
        found[event_type] = _events_of(event_type)
    return found


def _surveys_of(kind: model.SurveyKind) -> _Factory:
    def factory() -> st.SearchStrategy[Any]:
        return strategies.survey_responses(kinds=[kind])

    return factory


def _ids_of(id_type: type[model.Identifier]) -> _Factory:
    def factory() -> st.SearchStrategy[Any]:
        return strategies._ids_of(id_type)  # noqa: SLF001 - same package.

    return factory


def _events_of(event_type: type[model.DomainEvent]) -> _Factory:
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
