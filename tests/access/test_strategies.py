"""Tests for `crmcore.testing.strategies._access`."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import StaffId
from crmcore.access import RECORD_CLASSES, AccessPolicy, Principal
from crmcore.errors import ValidationError
from crmcore.teams import TeamId, TerritoryId
from crmcore.testing.strategies._access import access_policies, principals


@given(st.data())
def test_principals_are_valid_for_their_policy(data):
    """A principal drawn for a policy holds only its roles and business units, and the ids given."""
    policy = data.draw(access_policies(roles=["a", "b"], kinds=["customer", "*"], max_grants=3))
    principal = data.draw(
        principals(policy=policy, staff_ids=[StaffId("s-1")], team_ids=[TeamId("t-1")])
    )
    assert policy.check_principal(principal) is principal
    assert principal.staff_id == StaffId("s-1")
    assert principal.teams <= {TeamId("t-1")}
    assert principal.business_unit in {None, *(u for u, _ in policy.business_units)}
    assert {g.kind for g in policy.grants} <= {"customer", "*"}
    assert len(policy.grants) <= 3


@given(access_policies(masks=False, hierarchy=False, sharing=False, business_units=False))
def test_parts_can_be_left_out(policy):
    """Each optional part of a policy can be turned off."""
    assert (policy.masks, policy.reports_to, policy.sharing, policy.business_units) == (
        (),
        (),
        (),
        (),
    )


@given(access_policies(territory_ids=[TerritoryId("java")]), principals())
def test_territories_and_default_principals(policy, principal):
    """Territory ids become the policy's territory set; principals draw from the default roles."""
    assert policy.territories.ids == (TerritoryId("java"),)
    assert isinstance(principal, Principal)


@given(principals(policy=AccessPolicy(roles=[])))
def test_a_policy_without_roles_yields_principals_without_roles(principal):
    """An empty policy's principals hold no role."""
    assert principal.roles == frozenset()


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: access_policies(roles="admin"), "$.roles"),
        (lambda: access_policies(kinds=["planet"]), "$.kinds[0]"),
        (lambda: access_policies(kinds=[]), "$.kinds"),
        (lambda: access_policies(roles=[]), "$.roles"),
        (lambda: access_policies(max_grants=-1), "$.max_grants"),
        (lambda: principals(policy="admin"), "$.policy"),
        (lambda: principals(staff_ids=[]), "$.staff_ids"),
    ],
)
def test_options_are_checked(call, path):
    """Bad options raise a ValidationError naming the option."""
    with pytest.raises(ValidationError) as info:
        call()
    assert path == info.value.path


def test_every_kind_is_drawn_by_default():
    """Without ``kinds``, grants may name every record kind and the wildcard."""
    kinds = set()

    @given(access_policies())
    def collect(policy):
        kinds.update(g.kind for g in policy.grants)

    collect()
    assert kinds <= {*RECORD_CLASSES, "*"}
    assert isinstance(AccessPolicy(roles=[]), AccessPolicy)
