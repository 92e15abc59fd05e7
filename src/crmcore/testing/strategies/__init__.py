"""Hypothesis strategies for crmcore's public types.

One strategy per type, named in the plural (``customers()``, ``moneys()``,
``contact_points()``, ...). Every value drawn is valid: strategies build values
constructively instead of filtering, so Hypothesis' health checks pass and no
draw is wasted. Text is NFC-normalized and already in the form crmcore stores
it in (trimmed, lower-cased emails, E.164 phone numbers, case-folded tags), so
a value survives a trip through its constructor or :mod:`crmcore.serialization`
unchanged. Names mix real names (Indonesian ones among them, accented and
non-Latin ones) with generated Unicode letters, never control characters.

Options are keyword-only and validated when the strategy is created, not when
it is drawn from: bad bounds raise :class:`~crmcore.ValidationError` (or
:class:`~crmcore.InvalidType` for a wrong type) naming the argument.

>>> from hypothesis import given, settings
>>> from crmcore import Customer
>>> from crmcore.serialization import from_dict, to_dict
>>> @settings(max_examples=5, deadline=None, database=None)
... @given(customers(max_contact_points=2))
... def check_round_trip(customer):
...     assert from_dict(Customer, to_dict(customer)) == customer
>>> check_round_trip()
>>> moneys(currencies=["IDR"], min_value=10, max_value=1)
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.max_value: must not be less than min_value
"""

from __future__ import annotations

from crmcore.testing.strategies._access import access_policies, principals
from crmcore.testing.strategies._activities import (
    activities,
    activity_completions,
    activity_ids,
    record_refs,
    recurrences,
    reminder_dues,
    reminders,
    rrule_texts,
)
from crmcore.testing.strategies._audit import (
    audit_entries,
    field_changes,
    json_documents,
    record_histories,
)
from crmcore.testing.strategies._automation import (
    automation_actions,
    automation_ledgers,
    automation_rules,
    automation_settings,
    looping_rules,
    message_actions,
    quiet_hours,
    rule_sets,
)
from crmcore.testing.strategies._base import (
    aware_datetimes,
    birth_dates,
    currencies,
    currency_codes,
    customer_ids,
    id_sources,
    moneys,
    tags,
)
from crmcore.testing.strategies._catalog import price_books, price_entries, products
from crmcore.testing.strategies._commerce import order_lines, orders, periods, plans, subscriptions
from crmcore.testing.strategies._customers import (
    attribute_keys,
    attribute_values,
    consent_records,
    contact_points,
    customers,
    email_addresses,
    language_tags,
    legal_holds,
    objections,
    organization_names,
    person_names,
    phone_numbers,
    postal_addresses,
    privacy_reason_codes,
    privacy_states,
    processing_decisions,
    profiles,
    restrictions,
    survivorship_rules,
    uniqueness_policies,
)
from crmcore.testing.strategies._events import domain_events
from crmcore.testing.strategies._exchange import exchange_rates, rate_tables
from crmcore.testing.strategies._feedback import reviews, survey_responses
from crmcore.testing.strategies._interactions import interactions
from crmcore.testing.strategies._lifecycle import lifecycle_definitions, lifecycle_states
from crmcore.testing.strategies._loyalty import loyalty_accounts, loyalty_programs
from crmcore.testing.strategies._marketing import campaign_members, campaigns
from crmcore.testing.strategies._messaging import (
    message_templates,
    rendered_messages,
    template_catalogs,
    unsafe_placeholders,
    unsafe_template_texts,
    value_texts,
)
from crmcore.testing.strategies._notes import attachments, notes
from crmcore.testing.strategies._parties import (
    field_weights,
    match_rule_sets,
    match_rules,
    party_keys,
    party_records,
)
from crmcore.testing.strategies._privacy import (
    data_subject_requests,
    extension_rules,
    jurisdictions,
    retention_policies,
    retention_rules,
)
from crmcore.testing.strategies._quotes import quote_lines, quotes, tax_rules, tax_tables
from crmcore.testing.strategies._recommendations import basket_pairs, baskets, usage_records
from crmcore.testing.strategies._relationships import (
    hierarchy_nodes,
    involved_contacts,
    party_links,
    relationship_collections,
    relationship_ids,
    relationships,
)
from crmcore.testing.strategies._sales import (
    leads,
    opportunities,
    opportunity_lines,
    pipeline_definitions,
)
from crmcore.testing.strategies._scoring import scoring_models, scoring_rules
from crmcore.testing.strategies._service import business_calendars, cases, sla_policies
from crmcore.testing.strategies._teams import (
    assignment_inputs,
    assignment_rules,
    assignments,
    party_facts,
    pools,
    round_robin_cursors,
    round_robin_states,
    size_bands,
    staff_members,
    teams,
    territories,
    territory_matches,
    territory_resolutions,
    territory_routes,
    territory_sets,
)

__all__ = [
    "access_policies",
    "activities",
    "activity_completions",
    "activity_ids",
    "assignment_inputs",
    "assignment_rules",
    "assignments",
    "attachments",
    "attribute_keys",
    "attribute_values",
    "audit_entries",
    "automation_actions",
    "automation_ledgers",
    "automation_rules",
    "automation_settings",
    "aware_datetimes",
    "basket_pairs",
    "baskets",
    "birth_dates",
    "business_calendars",
    "campaign_members",
    "campaigns",
    "cases",
    "consent_records",
    "contact_points",
    "currencies",
    "currency_codes",
    "customer_ids",
    "customers",
    "data_subject_requests",
    "domain_events",
    "email_addresses",
    "exchange_rates",
    "extension_rules",
    "field_changes",
    "field_weights",
    "hierarchy_nodes",
    "id_sources",
    "interactions",
    "involved_contacts",
    "json_documents",
    "jurisdictions",
    "language_tags",
    "leads",
    "legal_holds",
    "lifecycle_definitions",
    "lifecycle_states",
    "looping_rules",
    "loyalty_accounts",
    "loyalty_programs",
    "match_rule_sets",
    "match_rules",
    "message_actions",
    "message_templates",
    "moneys",
    "notes",
    "objections",
    "opportunities",
    "opportunity_lines",
    "order_lines",
    "orders",
    "organization_names",
    "party_facts",
    "party_keys",
    "party_links",
    "party_records",
    "periods",
    "person_names",
    "phone_numbers",
    "pipeline_definitions",
    "plans",
    "pools",
    "postal_addresses",
    "price_books",
    "price_entries",
    "principals",
    "privacy_reason_codes",
    "privacy_states",
    "processing_decisions",
    "products",
    "profiles",
    "quiet_hours",
    "quote_lines",
    "quotes",
    "rate_tables",
    "record_histories",
    "record_refs",
    "recurrences",
    "relationship_collections",
    "relationship_ids",
    "relationships",
    "reminder_dues",
    "reminders",
    "rendered_messages",
    "restrictions",
    "retention_policies",
    "retention_rules",
    "reviews",
    "round_robin_cursors",
    "round_robin_states",
    "rrule_texts",
    "rule_sets",
    "scoring_models",
    "scoring_rules",
    "size_bands",
    "sla_policies",
    "staff_members",
    "subscriptions",
    "survey_responses",
    "survivorship_rules",
    "tags",
    "tax_rules",
    "tax_tables",
    "teams",
    "template_catalogs",
    "territories",
    "territory_matches",
    "territory_resolutions",
    "territory_routes",
    "territory_sets",
    "uniqueness_policies",
    "unsafe_placeholders",
    "unsafe_template_texts",
    "usage_records",
    "value_texts",
]
