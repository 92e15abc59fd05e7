"""Junk in every public callable of `crmcore.parties`: only crmcore errors come out."""

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.customers import ContactPoint, CustomerId, PersonName, PostalAddress
from crmcore.errors import CrmcoreError
from crmcore.parties import (
    DEFAULT_RULES,
    FieldWeight,
    MatchRule,
    MatchRuleSet,
    PartyRecord,
    find_duplicates,
    find_matches,
    jaro_winkler,
    match_pair,
    name_similarity,
    normalize_name,
)
from crmcore.serialization import from_dict, to_dict

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=5),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just(object()),
    st.just([PartyRecord("x")] * 2),
)

RECORD = PartyRecord(
    CustomerId("c-1"),
    names=["Ana Putri"],
    emails=["ana@example.com"],
    phones=["+6281211112222"],
    addresses=[PostalAddress(lines=["Jl. Merdeka 10"], country="ID", postal_code="40111")],
)
OTHER = PartyRecord(CustomerId("c-2"), names=["Putri Ana"], emails=["ana@example.com"])

#: Each target: a callable and valid positional and keyword arguments.
TARGETS = {
    "find_duplicates": (find_duplicates, [[RECORD, OTHER]], {"rules": DEFAULT_RULES}),
    "find_matches": (find_matches, [RECORD, [OTHER]], {"rules": DEFAULT_RULES}),
    "match_pair": (match_pair, [RECORD, OTHER], {"rules": DEFAULT_RULES}),
    "jaro_winkler": (jaro_winkler, ["a", "b"], {}),
    "name_similarity": (name_similarity, ["Ana", "Ani"], {}),
    "normalize_name": (normalize_name, ["Ana"], {"organization": False}),
    "FieldWeight": (FieldWeight, ["name"], {"weight": 1, "min_similarity": Decimal(0)}),
    "MatchRule": (MatchRule, ["r", [FieldWeight("name")]], {"threshold": 1}),
    "MatchRuleSet": (
        MatchRuleSet,
        [DEFAULT_RULES.rules],
        {"max_block_size": 10, "window": 2},
    ),
    "PartyRecord": (
        PartyRecord,
        ["k"],
        {"names": ["Ana"], "emails": [], "phones": [], "addresses": [], "kind": "person"},
    ),
    "PartyRecord.from_parts": (
        PartyRecord.from_parts,
        ["k"],
        {
            "name": PersonName("Ana"),
            "contact_points": [ContactPoint("email", "a@example.com")],
            "addresses": [],
        },
    ),
    "PartyRecord.from_customer": (PartyRecord.from_customer, [None], {}),
}


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(data=st.data())
def test_junk_arguments_raise_only_crmcore_errors(name, data):
    """Replace one argument by junk: the call succeeds or raises a CrmcoreError."""
    function, args, kwargs = TARGETS[name]
    args, kwargs = list(args), dict(kwargs)
    slots = [("arg", i) for i in range(len(args))] + [("kw", k) for k in kwargs]
    kind, slot = data.draw(st.sampled_from(slots))
    junk = data.draw(JUNK)
    if kind == "arg":
        args[slot] = junk
    else:
        kwargs[slot] = junk
    with contextlib.suppress(CrmcoreError):
        function(*args, **kwargs)


def _documents():
    base = to_dict(DEFAULT_RULES)

    @st.composite
    def mutated(draw):
        document = to_dict(DEFAULT_RULES)
        rule = draw(st.integers(min_value=0, max_value=len(base["rules"]) - 1))
        target = draw(st.sampled_from(["set", "rule", "field", "drop_rule_key", "drop_field_key"]))
        junk = draw(JUNK)
        if target == "set":
            document[draw(st.sampled_from(["rules", "max_block_size", "window", "x"]))] = junk
        elif target == "rule":
            document["rules"][rule][draw(st.sampled_from(["name", "fields", "threshold"]))] = junk
        elif target == "field":
            field = document["rules"][rule]["fields"][0]
            field[draw(st.sampled_from(["field", "weight", "min_similarity"]))] = junk
        elif target == "drop_rule_key":
            document["rules"][rule].pop(draw(st.sampled_from(["name", "fields", "threshold"])))
        else:
            document["rules"][rule]["fields"][0].pop(draw(st.sampled_from(["field", "weight"])))
        return document

    return mutated()


@given(_documents())
def test_mutated_documents_raise_only_validation_errors(document):
    """A damaged rule-set document is refused with a crmcore error, or still reads."""
    with contextlib.suppress(CrmcoreError):
        from_dict(MatchRuleSet, document)
