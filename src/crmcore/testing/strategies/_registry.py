"""The strategy for each public crmcore type, as :func:`hypothesis.strategies.from_type` finds it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, Identifier, SeededIdSource, SequentialIdSource
from crmcore.testing.strategies import (
    _access,
    _activities,
    _audit,
    _automation,
    _base,
    _catalog,
    _commerce,
    _customers,
    _exchange,
    _feedback,
    _interactions,
    _lifecycle,
    _loyalty,
    _marketing,
    _messaging,
    _notes,
    _parties,
    _privacy,
    _quotes,
    _relationships,
    _sales,
    _scoring,
    _service,
    _teams,
)
from crmcore.testing.strategies._events import domain_events

#: The strategy of each public value and aggregate type, by class name.
TYPE_STRATEGIES: Final[dict[str, Callable[[], st.SearchStrategy[Any]]]] = {
    "AccessPolicy": _access.access_policies,
    "Activity": _activities.activities,
    "ActivityCompletion": _activities.activity_completions,
    "Assignment": _teams.assignments,
    "AssignmentRule": _teams.assignment_rules,
    "Attachment": _notes.attachments,
    "AuditEntry": _audit.audit_entries,
    "AutomationLedger": _automation.automation_ledgers,
    "AutomationRule": _automation.automation_rules,
    "AutomationRules": _automation.rule_sets,
    "AutomationSettings": _automation.automation_settings,
    "BusinessCalendar": _service.business_calendars,
    "Campaign": _marketing.campaigns,
    "CampaignMember": _marketing.campaign_members,
    "Case": _service.cases,
    "ConsentRecord": _customers.consent_records,
    "ContactPoint": _customers.contact_points,
    "Currency": _base.currencies,
    "Customer": _customers.customers,
    "DataSubjectRequest": _privacy.data_subject_requests,
    "ExchangeRate": _exchange.exchange_rates,
    "ExtensionRule": _privacy.extension_rules,
    "FieldChange": _audit.field_changes,
    "FieldWeight": _parties.field_weights,
    "Interaction": _interactions.interactions,
    "Jurisdiction": _privacy.jurisdictions,
    "Lead": _sales.leads,
    "LegalHold": _customers.legal_holds,
    "LifecycleDefinition": _lifecycle.lifecycle_definitions,
    "LifecycleState": _lifecycle.lifecycle_states,
    "LoyaltyAccount": _loyalty.loyalty_accounts,
    "LoyaltyProgram": _loyalty.loyalty_programs,
    "MatchRule": _parties.match_rules,
    "MatchRuleSet": _parties.match_rule_sets,
    "MessageTemplate": _messaging.message_templates,
    "Money": _base.moneys,
    "Note": _notes.notes,
    "Objection": _customers.objections,
    "Opportunity": _sales.opportunities,
    "OpportunityLine": _sales.opportunity_lines,
    "Order": _commerce.orders,
    "OrderLine": _commerce.order_lines,
    "OrganizationName": _customers.organization_names,
    "PartyFacts": _teams.party_facts,
    "PartyRecord": _parties.party_records,
    "Period": _commerce.periods,
    "PersonName": _customers.person_names,
    "PipelineDefinition": _sales.pipeline_definitions,
    "Plan": _commerce.plans,
    "Pool": _teams.pools,
    "PostalAddress": _customers.postal_addresses,
    "PriceBook": _catalog.price_books,
    "PriceEntry": _catalog.price_entries,
    "Principal": _access.principals,
    "PrivacyState": _customers.privacy_states,
    "ProcessingDecision": _customers.processing_decisions,
    "Product": _catalog.products,
    "Profile": _customers.profiles,
    "QuietHours": _automation.quiet_hours,
    "Quote": _quotes.quotes,
    "QuoteLine": _quotes.quote_lines,
    "RateTable": _exchange.rate_tables,
    "RecordRef": _activities.record_refs,
    "Recurrence": _activities.recurrences,
    "Reminder": _activities.reminders,
    "ReminderDue": _activities.reminder_dues,
    "RenderedMessage": _messaging.rendered_messages,
    "Restriction": _customers.restrictions,
    "RetentionPolicy": _privacy.retention_policies,
    "RetentionRule": _privacy.retention_rules,
    "Review": _feedback.reviews,
    "RoundRobinCursor": _teams.round_robin_cursors,
    "RoundRobinState": _teams.round_robin_states,
    "ScoringModel": _scoring.scoring_models,
    "ScoringRule": _scoring.scoring_rules,
    "SizeBand": _teams.size_bands,
    "SlaPolicy": _service.sla_policies,
    "StaffMember": _teams.staff_members,
    "Subscription": _commerce.subscriptions,
    "SurveyResponse": _feedback.survey_responses,
    "SurvivorshipRules": _customers.survivorship_rules,
    "TaxRule": _quotes.tax_rules,
    "TaxTable": _quotes.tax_tables,
    "Team": _teams.teams,
    "TemplateCatalog": _messaging.template_catalogs,
    "Territory": _teams.territories,
    "TerritoryMatch": _teams.territory_matches,
    "TerritoryResolution": _teams.territory_resolutions,
    "TerritoryRoute": _teams.territory_routes,
    "TerritorySet": _teams.territory_sets,
    **_relationships.TYPE_STRATEGIES,
}


def for_type(cls: type[Any]) -> st.SearchStrategy[Any]:
    """The strategy for ``cls``, or ``NotImplemented`` if these strategies do not know it."""
    factory = _factory(cls)
    if factory is None:
        return NotImplemented  # type: ignore[no-any-return]
    return factory()


def _factory(cls: type[Any]) -> Callable[[], st.SearchStrategy[Any]] | None:
    special: dict[type[Any], Callable[[], st.SearchStrategy[Any]]] = {
        CustomerId: _base.customer_ids,
        SeededIdSource: _base._seeded_id_sources,  # noqa: SLF001 - same package.
        SequentialIdSource: _base._sequential_id_sources,  # noqa: SLF001 - same package.
    }
    for kind, response in _feedback._SURVEY_CLASSES.items():  # noqa: SLF001 - same package.
        special[response] = functools.partial(_feedback.survey_responses, kinds=[kind])
    if cls in special:
        return special[cls]
    if issubclass(cls, DomainEvent):
        return functools.partial(domain_events, types=[cls])
    if issubclass(cls, Identifier):
        return functools.partial(_base._ids_of, cls)  # noqa: SLF001 - same package.
    return TYPE_STRATEGIES.get(cls.__name__)
