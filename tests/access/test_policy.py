"""Tests for `crmcore.access._policy` and `crmcore.access._principal`."""

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import StaffId
from crmcore.access import (
    MAX_GRANTS,
    MAX_PRINCIPAL_ITEMS,
    RECORD_CLASSES,
    AccessAction,
    AccessPolicy,
    FieldMask,
    Grant,
    Principal,
    Scope,
    SharingRule,
    UnknownRole,
)
from crmcore.errors import InvalidType, ValidationError
from crmcore.teams import TeamId, Territory, TerritoryId, TerritorySet
from crmcore.testing.strategies._access import access_policies

DOC = {
    "roles": ["sales_rep", "sales_manager"],
    "grants": [
        {"role": "sales_rep", "kind": "customer", "actions": ["read", "update"], "scope": "own"},
        {"role": "sales_manager", "kind": "*", "actions": ["read"], "scope": "business_unit_tree"},
    ],
    "masks": [{"role": "sales_rep", "kind": "interaction", "fields": ["notes"]}],
    "sharing": [{"kind": "case", "team": "t-1", "role": "sales_rep", "actions": ["read"]}],
    "reports_to": {"sales_rep": "sales_manager"},
    "business_units": {"org": None, "jakarta": "org"},
    "team_units": {"t-1": "jakarta"},
    "territories": {
        "territories": [{"id": "java", "name": "Java", "countries": ["ID"]}],
        "schema_version": 2,
    },
}


def changed(path, value):
    """A copy of DOC with the value at ``path`` (a tuple of keys and indices) replaced."""
    doc = copy.deepcopy(DOC)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def test_a_document_round_trips():
    """from_dict reads what to_dict writes, and the queries answer from it."""
    policy = AccessPolicy.from_dict(DOC)
    assert AccessPolicy.from_dict(policy.to_dict()) == policy
    assert policy.scope_of("sales_rep", "customer", "update") is Scope.OWN
    assert policy.scope_of("sales_rep", "order", "read") is None
    assert policy.scope_of("sales_manager", "order", "read") is Scope.BUSINESS_UNIT_TREE
    assert policy.roles_below("sales_manager") == {"sales_rep"}
    assert policy.roles_below("sales_rep") == frozenset()
    assert policy.units_within("org") == {"org", "jakarta"}
    assert policy.units_within("nowhere") == frozenset()
    assert policy.unit_of_team(TeamId("t-1")) == "jakarta"
    assert policy.unit_of_team(None) is None
    assert policy.masked_for("sales_rep", "interaction") == {"notes"}
    assert policy.territories.ids == (TerritoryId("java"),)


def test_a_grant_for_the_kind_wins_over_the_wildcard():
    """A role's grant for one kind is used before its grant for every kind."""
    policy = AccessPolicy(
        roles=["r"],
        grants=[
            Grant(role="r", kind="*", actions=["read"], scope="all"),
            Grant(role="r", kind="order", actions=["read"], scope="own"),
        ],
    )
    assert policy.scope_of("r", "order", "read") is Scope.OWN
    assert policy.scope_of("r", "case", AccessAction.READ) is Scope.ALL


@given(access_policies())
def test_generated_policies_round_trip(policy):
    """Every generated policy survives to_dict and from_dict."""
    assert AccessPolicy.from_dict(policy.to_dict()) == policy


@pytest.mark.parametrize(
    ("doc", "path", "code"),
    [
        (changed(("grants", 0, "role"), "intern"), "$.grants[0].role", "unknown_role"),
        (changed(("grants", 0, "actions"), ["read", "fly"]), "$.grants[0].actions[1]", None),
        (changed(("grants", 0, "actions"), []), "$.grants[0].actions", "empty"),
        (changed(("grants", 0, "kind"), "planet"), "$.grants[0].kind", "unknown_kind"),
        (changed(("grants", 0, "scope"), "galaxy"), "$.grants[0].scope", None),
        (
            changed(("grants", 1), {**DOC["grants"][0], "actions": ["update"]}),
            "$.grants[1].actions",
            "duplicate_grant",
        ),
        (changed(("grants", 0, "color"), "red"), "$.grants[0]", "unknown_key"),
        (changed(("masks", 0, "fields"), ["birth_place"]), "$.masks[0].fields[0]", "unknown_field"),
        (changed(("masks", 0, "fields"), []), "$.masks[0].fields", "empty"),
        (changed(("masks", 0, "fields"), ["notes", "notes"]), "$.masks[0].fields", "duplicate"),
        (changed(("masks", 0, "kind"), "*"), "$.masks[0].kind", "unknown_kind"),
        (changed(("masks", 0, "role"), "intern"), "$.masks[0].role", "unknown_role"),
        (changed(("masks",), [DOC["masks"][0], DOC["masks"][0]]), "$.masks[1]", "duplicate_mask"),
        (changed(("sharing", 0, "role"), "intern"), "$.sharing[0].role", "unknown_role"),
        (changed(("sharing", 0, "team"), ""), "$.sharing[0].team", None),
        (changed(("reports_to",), {"sales_rep": "ceo"}), "$.reports_to[0]", "unknown_role"),
        (changed(("reports_to",), {"intern": "sales_rep"}), "$.reports_to[0]", "unknown_role"),
        (
            changed(("reports_to",), {"sales_rep": "sales_manager", "sales_manager": "sales_rep"}),
            "$.reports_to[0]",
            "cycle",
        ),
        (changed(("reports_to",), {"sales_rep": "sales_rep"}), "$.reports_to[0]", "cycle"),
        (changed(("business_units",), {"a": "b", "b": "a"}), "$.business_units[0]", "cycle"),
        (
            changed(("business_units",), {"a": "nowhere"}),
            "$.business_units[0]",
            "unknown_business_unit",
        ),
        (changed(("team_units",), {"t-1": "nowhere"}), "$.team_units[0]", "unknown_business_unit"),
        (
            changed(("territories",), {"territories": [{"id": "x"}], "schema_version": 2}),
            "$.territories",
            None,
        ),
        (changed(("colour",), "red"), "$", "unknown_key"),
        ({"grants": []}, "$.roles", "required"),
    ],
)
def test_malformed_documents_name_the_path(doc, path, code):
    """Each broken rule raises a ValidationError at its path (with its code where one is specific)."""
    with pytest.raises(ValidationError) as info:
        AccessPolicy.from_dict(doc)
    assert info.value.path.startswith(path)
    if code is not None:
        assert code == info.value.code


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ([], "$"),
        ({"roles": "sales_rep"}, "$.roles"),
        ({"roles": [], "grants": {}}, "$.grants"),
        ({"roles": [], "grants": ["x"]}, "$.grants[0]"),
        ({"roles": [], "reports_to": []}, "$.reports_to"),
        ({"roles": [], "reports_to": {1: "a"}}, "$.reports_to"),
        ({"roles": ["a"], "reports_to": {"a": 1}}, "$.reports_to[0]"),
        ({"roles": [], "sharing": [{"kind": "case", "team": 5, "role": "a"}]}, "$.sharing[0].team"),
    ],
)
def test_documents_of_the_wrong_type_are_refused(doc, path):
    """Wrong types raise InvalidType at their path."""
    with pytest.raises(InvalidType) as info:
        AccessPolicy.from_dict(doc)
    assert path == info.value.path


def test_hostile_documents_are_refused_by_length():
    """Too many grants are refused before any is read."""
    doc = {"roles": ["a"], "grants": [None] * (MAX_GRANTS + 1)}
    with pytest.raises(ValidationError) as info:
        AccessPolicy.from_dict(doc)
    assert ("$.grants", "too_many") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError, match="at most"):
        AccessPolicy.from_dict(
            {"roles": ["a"], "team_units": {f"t{i}": "x" for i in range(10_001)}}
        )


def test_constructor_arguments_are_checked():
    """The constructor refuses wrong item types and a non-TerritorySet."""
    with pytest.raises(InvalidType, match=r"\$\.grants\[0\]"):
        AccessPolicy(roles=["a"], grants=["x"])
    with pytest.raises(InvalidType, match=r"\$\.grants"):
        AccessPolicy(roles=["a"], grants="x")
    with pytest.raises(InvalidType, match=r"\$\.grants"):
        AccessPolicy(roles=["a"], grants=iter(()))
    with pytest.raises(InvalidType, match=r"\$\.territories"):
        AccessPolicy(roles=["a"], territories=[])
    with pytest.raises(InvalidType, match=r"\$\.roles"):
        AccessPolicy(roles="a")
    with pytest.raises(InvalidType, match=r"\$\.team_units"):
        AccessPolicy(roles=["a"], team_units={"t": "u"})
    with pytest.raises(InvalidType, match=r"\$\.actions"):
        Grant(role="a", kind="case", actions="read", scope="all")
    with pytest.raises(InvalidType, match=r"\$\.kind"):
        Grant(role="a", kind=3, actions=["read"], scope="all")
    with pytest.raises(InvalidType, match=r"\$\.fields"):
        FieldMask(role="a", kind="interaction", fields=["notes"])
    with pytest.raises(InvalidType, match=r"\$\.team"):
        SharingRule(kind="case", team="t-1", role="a")


def test_masks_name_only_personal_fields():
    """Kinds without personal fields take no mask."""
    plain = [k for k, cls in RECORD_CLASSES.items() if not getattr(cls, "personal_fields", ())]
    for kind in plain:
        with pytest.raises(ValidationError) as info:
            FieldMask(role="a", kind=kind, fields=("anything",))
        assert "unknown_field" == info.value.code


def test_principals_are_validated():
    """Principals hold checked ids and roles; a role the policy does not know is an UnknownRole."""
    principal = Principal(
        staff_id=StaffId("s-1"),
        roles=("sales_rep",),
        teams={TeamId("t-1")},
        territories=[TerritoryId("java")],
        business_unit="jakarta",
    )
    policy = AccessPolicy.from_dict(DOC)
    assert policy.check_principal(principal) is principal
    with pytest.raises(UnknownRole) as info:
        policy.check_principal(Principal(staff_id=StaffId("s-1"), roles=["intern", "sales_rep"]))
    assert ("$.principal.roles", "unknown_role") == (info.value.path, info.value.code)
    with pytest.raises(InvalidType, match=r"\$\.principal"):
        policy.check_principal("s-1")
    for kwargs, path in [
        ({"staff_id": "s-1"}, "$.staff_id"),
        ({"staff_id": StaffId("s"), "roles": "admin"}, "$.roles"),
        ({"staff_id": StaffId("s"), "roles": ["Admin"]}, "$.roles[0]"),
        ({"staff_id": StaffId("s"), "teams": ["t-1"]}, "$.teams[0]"),
        ({"staff_id": StaffId("s"), "territories": None}, "$.territories"),
        ({"staff_id": StaffId("s"), "territories": ["java"]}, "$.territories[0]"),
        ({"staff_id": StaffId("s"), "business_unit": "Jakarta!"}, "$.business_unit"),
        ({"staff_id": StaffId("s"), "roles": ["a"] * (MAX_PRINCIPAL_ITEMS + 1)}, "$.roles"),
    ]:
        with pytest.raises(ValidationError) as info:
            Principal(**kwargs)
        assert path == info.value.path


def test_policies_with_territories_compare_by_value():
    """Two policies built alike are equal; the territory set takes part."""
    java = TerritorySet([Territory(id=TerritoryId("java"), name="Java", countries=["ID"])])
    assert AccessPolicy(roles=["a"], territories=java) == AccessPolicy(
        roles=["a"], territories=java
    )
    assert AccessPolicy(roles=["a"], territories=java) != AccessPolicy(roles=["a"])


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.sampled_from(["read", "own", "*", "customer", "sales_rep", "notes"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "roles",
                    "grants",
                    "masks",
                    "role",
                    "kind",
                    "actions",
                    "scope",
                    "fields",
                    "team",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(JSON, st.sampled_from(sorted(DOC)))
def test_hostile_documents_raise_only_validation_errors(value, key):
    """Any JSON value, alone or in place of one part of a good document, is read or refused with a ValidationError."""
    for doc in (value, {**DOC, key: value}):
        try:
            policy = AccessPolicy.from_dict(doc)
        except ValidationError as exc:
            path = exc.path
        else:
            path = "$"
            assert AccessPolicy.from_dict(policy.to_dict()) == policy
        assert path.startswith("$")
