"""Strategies for parties: match rules, rule sets and party records."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal

from hypothesis import strategies as st

from crmcore.customers import OrganizationName, PartyKind, PersonName
from crmcore.parties import (
    FieldWeight,
    MatchField,
    MatchRule,
    MatchRuleSet,
    PartyKey,
    PartyRecord,
)
from crmcore.parties._records import MAX_ADDRESSES, MAX_CONTACTS, MAX_NAMES, names_of
from crmcore.parties._rules import MAX_BLOCK_SIZE, MAX_RULES, MAX_WINDOW
from crmcore.testing.strategies._base import (
    _enum_choices,
    _int_arg,
    _snake_names,
    customer_ids,
)
from crmcore.testing.strategies._customers import (
    email_addresses,
    organization_names,
    person_names,
    phone_numbers,
    postal_addresses,
)


def _hundredths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Decimals with two places from ``low / 100`` to ``high / 100`` (exact in documents)."""
    return st.integers(min_value=low, max_value=high).map(lambda n: Decimal(n).scaleb(-2))


@functools.cache
def field_weights() -> st.SearchStrategy[FieldWeight]:
    """:class:`~crmcore.parties.FieldWeight` values: any field, weight and least similarity."""
    return st.builds(
        FieldWeight,
        st.sampled_from(MatchField),
        weight=_hundredths(1, 100_000),
        min_similarity=_hundredths(0, 100),
    )


@functools.cache
def match_rules() -> st.SearchStrategy[MatchRule]:
    """:class:`~crmcore.parties.MatchRule` values: one to four distinct fields and a threshold."""
    return st.builds(
        MatchRule,
        _snake_names(),
        st.lists(field_weights(), min_size=1, max_size=len(MatchField), unique_by=_field_of),
        threshold=_hundredths(1, 100),
    )


def _field_of(weight: FieldWeight) -> MatchField:
    return weight.field


def _rule_name(rule: MatchRule) -> str:
    return rule.name


@functools.cache
def match_rule_sets() -> st.SearchStrategy[MatchRuleSet]:
    """:class:`~crmcore.parties.MatchRuleSet` values: rules with distinct names and limits."""
    return st.builds(
        MatchRuleSet,
        st.lists(match_rules(), min_size=1, max_size=min(MAX_RULES, 6), unique_by=_rule_name),
        max_block_size=st.integers(min_value=2, max_value=MAX_BLOCK_SIZE),
        window=st.integers(min_value=1, max_value=MAX_WINDOW),
    )


@functools.cache
def party_keys() -> st.SearchStrategy[PartyKey]:
    """Party keys: customer ids, identifier text and ints."""
    return st.one_of(
        customer_ids(),
        customer_ids().map(str),
        st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1),
    )


def party_records(
    *, kinds: Iterable[PartyKind | str] | None = None, max_contacts: int = 3
) -> st.SearchStrategy[PartyRecord]:
    """:class:`~crmcore.parties.PartyRecord` values with names, emails, phones and addresses.

    Args:
        kinds: the party kinds to draw (persons and organizations by default).
        max_contacts: the most emails, phone numbers and addresses of one
            record (0 to 20).

    Raises:
        ValidationError: ``kinds`` is empty or names an unknown kind, or
            ``max_contacts`` is out of range.
    """
    choices = _enum_choices(kinds, "$.kinds", PartyKind)
    limit = _int_arg(max_contacts, "$.max_contacts", maximum=min(MAX_CONTACTS, MAX_ADDRESSES))
    return st.sampled_from(choices).flatmap(lambda kind: _records(kind, limit))


@functools.lru_cache(maxsize=64)
def _records(kind: PartyKind, limit: int) -> st.SearchStrategy[PartyRecord]:
    names: st.SearchStrategy[PersonName | OrganizationName] = (
        person_names() if kind is PartyKind.PERSON else organization_names()
    )
    return st.builds(
        PartyRecord,
        party_keys(),
        names=st.lists(names, max_size=2).map(_name_texts),
        emails=st.lists(email_addresses(), max_size=limit, unique=True),
        phones=st.lists(phone_numbers(), max_size=limit, unique=True),
        addresses=st.lists(postal_addresses(), max_size=limit, unique=True),
        kind=st.just(kind),
    )


def _name_texts(names: list[PersonName | OrganizationName]) -> list[str]:
    texts: list[str] = []
    for name in names:
        texts.extend(names_of(name))
    return texts[:MAX_NAMES]
