"""Tests for `crmcore.access._decisions`: ownership, scopes and masks."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crmcore import Money, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.access import (
    AccessDecision,
    AccessDenied,
    AccessPolicy,
    FieldMask,
    Grant,
    Principal,
    SharingRule,
    UnknownRole,
    customer_id_of,
    decide,
    require,
    territory_of,
)
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.customers import Customer, CustomerId, PersonName, PostalAddress
from crmcore.errors import InvalidType, ValidationError
from crmcore.interactions import Interaction, InteractionId
from crmcore.notes import Note, NoteId
from crmcore.teams import StaffMember, Team, TeamId, Territory, TerritoryId, TerritorySet

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
ME, YOU = StaffId("s-me"), StaffId("s-you")
RED, BLUE = TeamId("t-red"), TeamId("t-blue")


def policy(scope, *, kind="*", actions=("read",), **extra):
    """A policy granting role ``r`` the actions on ``kind`` at ``scope``."""
    roles = extra.pop("roles", ["r"])
    return AccessPolicy(
        roles=roles, grants=[Grant(role="r", kind=kind, actions=actions, scope=scope)], **extra
    )


def me(**extra):
    """The principal: s-me with role ``r``."""
    return Principal(staff_id=ME, roles=extra.pop("roles", ["r"]), **extra)


def customer(owner=None, team=None, country=None, number=1):
    """A customer, with an address in ``country`` if given."""
    addresses = [PostalAddress(["Jl. Merdeka 1"], country)] if country else []
    return Customer.register(
        CustomerId(f"c-{number}"),
        name=PersonName("Sari"),
        at=T0,
        owner=owner,
        team=team,
        addresses=addresses,
    )


def order(customer_id=None):
    """An order of one line, of customer c-1 unless another is named."""
    line = OrderLine(ProductId("p-1"), 1, Money(Decimal(5), "IDR"), category="books")
    customer_id = CustomerId("c-1") if customer_id is None else customer_id
    return Order.place(OrderId("o-1"), customer_id=customer_id, lines=[line], at=T0)


def test_own_scope():
    """Own: the principal's records only."""
    assert decide(policy("own"), me(), "read", customer(owner=ME)) == AccessDecision(
        allowed=True, rule="own"
    )
    assert decide(policy("own"), me(), "read", customer(owner=YOU)) == AccessDecision(
        allowed=False, rule="scope"
    )
    assert not decide(policy("own"), me(), "read", customer()).allowed


def test_no_grant_differs_from_scope():
    """A refusal says whether any grant exists for the action and kind."""
    assert "no_grant" == decide(policy("all"), me(), "update", customer()).rule
    assert "no_grant" == decide(policy("all", kind="order"), me(), "read", customer()).rule
    assert (
        "no_grant"
        == decide(policy("all", roles=["r", "q"]), me(roles=["q"]), "read", customer()).rule
    )


def test_team_scope():
    """Team: records of one of the principal's teams."""
    assert decide(policy("team"), me(teams=[RED]), "read", customer(team=RED)).allowed
    assert not decide(policy("team"), me(teams=[RED]), "read", customer(team=BLUE)).allowed
    assert not decide(policy("team"), me(teams=[RED]), "read", customer()).allowed


def test_territory_scope_uses_the_customers_address():
    """Territory: the customer's first address resolves to one of the principal's territories."""
    java = TerritoryId("java")
    territories = TerritorySet([Territory(id=java, name="Java", countries=["ID"])])
    rules = policy("territory", territories=territories)
    assert decide(rules, me(territories=[java]), "read", customer(country="ID")).allowed
    assert not decide(rules, me(territories=[java]), "read", customer(country="SG")).allowed
    assert not decide(rules, me(), "read", customer(country="ID")).allowed
    assert territory_of(rules, customer()) is None
    assert territory_of(rules, None) is None
    assert territory_of(rules, customer(country="ID")) == java
    # An order is in its customer's territory.
    assert decide(
        rules, me(territories=[java]), "read", order(), customer=customer(country="ID")
    ).allowed
    assert not decide(rules, me(territories=[java]), "read", order()).allowed


def test_business_unit_scopes():
    """Business unit: the record's team's unit; the tree adds the units below."""
    units = {
        "business_units": {"org": None, "sales": "org"},
        "team_units": {RED: "sales", BLUE: "org"},
    }
    in_org, in_sales = me(business_unit="org"), me(business_unit="sales")
    assert decide(policy("business_unit", **units), in_sales, "read", customer(team=RED)).allowed
    assert not decide(policy("business_unit", **units), in_org, "read", customer(team=RED)).allowed
    assert decide(policy("business_unit_tree", **units), in_org, "read", customer(team=RED)).allowed
    assert not decide(
        policy("business_unit_tree", **units), in_sales, "read", customer(team=BLUE)
    ).allowed
    assert not decide(policy("business_unit", **units), me(), "read", customer(team=RED)).allowed
    assert not decide(policy("business_unit", **units), in_sales, "read", customer()).allowed


def test_the_role_hierarchy_extends_own():
    """A manager's own scope covers records owned by holders of roles below it."""
    rules = policy("own", roles=["r", "rep", "clerk"], reports_to={"rep": "r", "clerk": "rep"})
    assert (
        "hierarchy" == decide(rules, me(), "read", customer(owner=YOU), owner_roles=["clerk"]).rule
    )
    assert not decide(rules, me(), "read", customer(owner=YOU), owner_roles=["r"]).allowed
    assert not decide(rules, me(), "read", customer(owner=YOU)).allowed
    assert not decide(rules, me(), "read", customer(), owner_roles=["clerk"]).allowed


def test_sharing_rules_open_a_teams_records():
    """A sharing rule lets a role read a team's records, and only for its actions and kind."""
    rules = AccessPolicy(roles=["r"], sharing=[SharingRule(kind="customer", team=RED, role="r")])
    assert "sharing" == decide(rules, me(), "read", customer(team=RED)).rule
    assert "scope" == decide(rules, me(), "read", customer(team=BLUE)).rule
    assert "no_grant" == decide(rules, me(), "update", customer(team=RED)).rule


def test_ownership_per_kind():
    """Each kind's owner field counts; parental kinds follow their customer."""
    rules = policy("own")
    call = Interaction.log(
        InteractionId("i-1"),
        customer_id=CustomerId("c-1"),
        kind="call",
        channel="phone",
        direction="inbound",
        at=T0,
        staff_id=ME,
    )
    note = Note.write(
        NoteId("n-1"), link=RecordRef.to(CustomerId("c-1")), body="x", at=T0, author_id=ME
    )
    staff = StaffMember.register(ME, display_name="Me", at=T0)
    team = Team.form(RED, name="Red", at=T0, manager_id=ME)
    for record in (call, note, staff, team):
        assert decide(rules, me(), "read", record).allowed, record.aggregate_kind
    assert decide(rules, me(), "read", order(), customer=customer(owner=ME)).allowed
    assert not decide(rules, me(), "read", order(), customer=customer(owner=YOU)).allowed
    assert customer_id_of(note) == CustomerId("c-1")
    assert customer_id_of(order()) == CustomerId("c-1")
    assert customer_id_of(staff) is None


def test_masks_apply_when_every_allowing_role_masks():
    """A field stays masked only if each role that lets the principal in masks it."""
    rules = AccessPolicy(
        roles=["a", "b"],
        grants=[
            Grant(role="a", kind="interaction", actions=["read"], scope="all"),
            Grant(role="b", kind="interaction", actions=["read"], scope="own"),
        ],
        masks=[
            FieldMask(role="a", kind="interaction", fields=("subject", "notes")),
            FieldMask(role="b", kind="interaction", fields=("notes",)),
        ],
    )
    call = Interaction.log(
        InteractionId("i-1"),
        customer_id=CustomerId("c-1"),
        kind="call",
        channel="phone",
        direction="inbound",
        at=T0,
        staff_id=YOU,
    )
    mine = Interaction.log(
        InteractionId("i-2"),
        customer_id=CustomerId("c-1"),
        kind="call",
        channel="phone",
        direction="inbound",
        at=T0,
        staff_id=ME,
    )
    both = me(roles=["a", "b"])
    assert ("subject", "notes") == decide(rules, both, "read", call).masked_fields
    assert ("notes",) == decide(rules, both, "read", mine).masked_fields
    assert () == decide(rules, both, "update", mine).masked_fields


def test_require_raises_access_denied():
    """The require function returns the decision when allowed and raises AccessDenied (no values) when not."""
    rules = policy("own", actions=("export",))
    assert require(rules, me(), "export", customer(owner=ME)).allowed
    with pytest.raises(AccessDenied) as info:
        require(rules, me(), "export", customer(owner=YOU))
    assert "export of customer c-1 denied (scope)" == str(info.value)
    assert isinstance(info.value, PermissionError)
    assert ("export", "customer", "c-1", "scope") == (
        info.value.action,
        info.value.aggregate_kind,
        info.value.aggregate_id,
        info.value.rule,
    )
    assert "erase of customer denied (no_grant)" == str(
        AccessDenied("erase", "customer", rule="no_grant")
    )


def test_arguments_are_checked():
    """Wrong arguments raise specific errors naming their path."""
    rules = policy("all")
    with pytest.raises(InvalidType, match=r"\$\.policy"):
        decide({}, me(), "read", customer())
    with pytest.raises(UnknownRole):
        decide(rules, me(roles=["x"]), "read", customer())
    with pytest.raises(ValidationError, match=r"\$\.action"):
        decide(rules, me(), "fly", customer())
    with pytest.raises(InvalidType, match=r"\$\.record"):
        decide(rules, me(), "read", object())
    with pytest.raises(InvalidType, match=r"\$\.customer"):
        decide(rules, me(), "read", order(), customer="c-1")
    with pytest.raises(ValidationError) as info:
        decide(rules, me(), "read", order(), customer=customer(number=2))
    assert "wrong_customer" == info.value.code
    with pytest.raises(InvalidType, match=r"\$\.owner_roles"):
        decide(rules, me(), "read", customer(), owner_roles="r")
