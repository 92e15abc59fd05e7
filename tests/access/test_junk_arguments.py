"""Regression tests: junk arguments to the access package raise a specific crmcore error.

Each case was found by the fuzz suite (``tests/robustness``); before the fix it raised a
plain ValueError, TypeError or AttributeError, or was accepted.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crmcore.access import (
    AccessAction,
    AccessDecision,
    AccessPolicy,
    Grant,
    Scope,
    territory_of,
)
from crmcore.customers import Customer, CustomerId, PersonName
from crmcore.errors import CrmcoreError, InvalidType, ValidationError
from crmcore.teams import TeamId

POLICY = AccessPolicy(
    roles=["sales_rep", "sales_manager"],
    grants=[Grant(role="sales_rep", kind="customer", actions=["read"], scope="own")],
    reports_to={"sales_rep": "sales_manager"},
    business_units={"north": None},
    team_units={TeamId("t-1"): "north"},
)


@pytest.mark.parametrize(
    ("call", "path", "error"),
    [
        (lambda: POLICY.scope_of("sales_rep", "customer", None), "$.action", InvalidType),
        (lambda: POLICY.scope_of("sales_rep", "customer", []), "$.action", InvalidType),
        (lambda: POLICY.scope_of("sales_rep", "customer", "fly"), "$.action", ValidationError),
        (lambda: POLICY.scope_of(Decimal("sNaN"), "customer", "read"), "$.role", InvalidType),
        (lambda: POLICY.scope_of([], "customer", "read"), "$.role", InvalidType),
        (lambda: POLICY.scope_of("sales_rep", [], "read"), "$.kind", InvalidType),
        (lambda: POLICY.masked_for([], "customer"), "$.role", InvalidType),
        (lambda: POLICY.masked_for("sales_rep", {}), "$.kind", InvalidType),
        (lambda: POLICY.roles_below([]), "$.role", InvalidType),
        (lambda: POLICY.units_within([]), "$.unit", InvalidType),
        (lambda: POLICY.unit_of_team([]), "$.team", InvalidType),
        (lambda: POLICY.unit_of_team("t-1"), "$.team", InvalidType),
    ],
)
def test_policy_queries_refuse_junk_arguments(call, path, error):
    """Each query names the argument of the wrong type or value."""
    with pytest.raises(error) as info:
        call()
    assert info.value.path == path


def test_policy_queries_still_answer_good_arguments():
    """Well-typed arguments (known or not) keep their answers."""
    assert POLICY.scope_of("sales_rep", "customer", AccessAction.READ) is Scope.OWN
    assert POLICY.scope_of("nobody", "customer", "read") is None
    assert POLICY.masked_for("nobody", "customer") == frozenset()
    assert POLICY.roles_below("sales_manager") == frozenset({"sales_rep"})
    assert POLICY.units_within("north") == frozenset({"north"})
    assert POLICY.unit_of_team(TeamId("t-1")) == "north"
    assert POLICY.unit_of_team(None) is None


def test_territory_of_refuses_junk_arguments():
    """territory_of type-checks the policy and the customer."""
    customer = Customer.register(
        CustomerId("c-1"), name=PersonName("Sari"), at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    with pytest.raises(InvalidType) as info:
        territory_of(None, customer)  # type: ignore[arg-type]
    assert info.value.path == "$.policy"
    with pytest.raises(InvalidType) as info:
        territory_of(POLICY, "x")  # type: ignore[arg-type]
    assert info.value.path == "$.customer"
    assert territory_of(POLICY, None) is None
    assert territory_of(POLICY, customer) is None


@pytest.mark.parametrize(
    ("fields", "path", "error"),
    [
        ({"allowed": None, "rule": "own"}, "$.allowed", InvalidType),
        ({"allowed": 1, "rule": "own"}, "$.allowed", InvalidType),
        ({"allowed": True, "rule": None}, "$.rule", InvalidType),
        ({"allowed": True, "rule": "no_grant"}, "$.rule", ValidationError),
        ({"allowed": False, "rule": "own"}, "$.rule", ValidationError),
        ({"allowed": True, "rule": "own", "masked_fields": None}, "$.masked_fields", InvalidType),
        ({"allowed": True, "rule": "own", "masked_fields": "name"}, "$.masked_fields", InvalidType),
        (
            {"allowed": True, "rule": "own", "masked_fields": (None,)},
            "$.masked_fields[0]",
            InvalidType,
        ),
        (
            {"allowed": True, "rule": "own", "masked_fields": ("notes", "notes")},
            "$.masked_fields[1]",
            ValidationError,
        ),
        (
            {"allowed": False, "rule": "scope", "masked_fields": ("notes",)},
            "$.masked_fields",
            ValidationError,
        ),
    ],
)
def test_access_decision_checks_its_fields(fields, path, error):
    """An AccessDecision that could not be serialized is refused when built."""
    with pytest.raises(error) as info:
        AccessDecision(**fields)
    assert info.value.path == path


def test_access_decision_keeps_good_fields():
    """Good fields are kept; a list of masked fields becomes a tuple."""
    decision = AccessDecision(allowed=True, rule="hierarchy", masked_fields=["profile.name"])
    assert decision.masked_fields == ("profile.name",)
    assert AccessDecision(allowed=False, rule="no_grant").masked_fields == ()


@pytest.mark.parametrize(
    ("doc", "path", "code"),
    [
        ({"roles": ["a"], "zz_secret_key": 1}, "$", "unknown_key"),
        (
            {"roles": ["a"], "grants": [{"zz_secret": 1, "role": "a"}]},
            "$.grants[0]",
            "unknown_key",
        ),
        ({"roles": ["a"], "team_units": {"t-secret": "Bad Unit"}}, "$.team_units[0]", "name"),
        ({"roles": ["a"], "team_units": {"bad secret": "u"}}, "$.team_units[0]", None),
        ({"roles": ["a"], "reports_to": {"Secret Role": "a"}}, "$.reports_to[0]", "name"),
        ({"roles": ["a"], "reports_to": {"a": "secret_boss"}}, "$.reports_to[0]", "unknown_role"),
        (
            {"roles": ["a"], "business_units": {"b_unit": None, "secret_unit": "nowhere"}},
            "$.business_units[1]",
            "unknown_business_unit",
        ),
        (
            {"roles": ["a"], "business_units": {"Secret Unit": None}},
            "$.business_units[0]",
            "name",
        ),
    ],
)
def test_documents_never_name_their_keys(doc, path, code):
    """Unknown keys and mapping entries are reported by place, never by the key's text."""
    with pytest.raises(CrmcoreError) as info:
        AccessPolicy.from_dict(doc)
    error = info.value
    assert isinstance(error, ValidationError)
    assert error.path == path
    if code is not None:
        assert error.code == code
    for text in ("secret", "Secret"):
        assert text not in str(error)


def test_constructor_names_mapping_entries_by_position():
    """The constructor reports mapping entries by their position in key order too."""
    with pytest.raises(ValidationError) as info:
        AccessPolicy(roles=["a"], team_units={TeamId("t-2"): "u", TeamId("t-1"): "Bad"})
    assert info.value.path == "$.team_units[0]"
    assert "t-1" not in str(info.value)
