"""Strategies for the merge and uniqueness settings: valid values that round-trip as documents."""

from hypothesis import given
from hypothesis import strategies as st

from crmcore.customers import MergeRule, SurvivorshipRules
from crmcore.repository import InMemoryStore, UniquenessPolicy
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm


@given(crm.survivorship_rules())
def test_survivorship_rules_are_valid_documents(rules):
    assert isinstance(rules, SurvivorshipRules)
    assert from_dict(SurvivorshipRules, to_dict(rules)) == rules
    singles = (rules.name, rules.birth_date, rules.preferred_language, rules.attributes)
    assert MergeRule.UNION not in (*singles, rules.owner)


@given(st.from_type(SurvivorshipRules))
def test_hypothesis_infers_survivorship_rules(rules):
    assert isinstance(rules, SurvivorshipRules)


@given(crm.uniqueness_policies())
def test_uniqueness_policies_configure_a_store(policy):
    assert isinstance(policy, UniquenessPolicy)
    assert InMemoryStore(uniqueness=policy).uniqueness == policy
