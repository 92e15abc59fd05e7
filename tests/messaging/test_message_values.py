"""Tests for `crmcore.messaging._fields`: the standard fields and ``message_values``."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import (
    CustomerId,
    InvalidType,
    Money,
    OrganizationName,
    PersonName,
    ValidationError,
)
from crmcore.commerce import Period, Plan, PlanId, Subscription, SubscriptionId
from crmcore.customers import Customer
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    ProgramId,
    Tier,
)
from crmcore.messaging import MESSAGE_FIELDS, MessageTemplate, message_values
from crmcore.testing.strategies import aware_datetimes
from crmcore.testing.strategies._commerce import subscriptions
from crmcore.testing.strategies._customers import customers
from crmcore.testing.strategies._loyalty import loyalty_accounts
from crmcore.testing.strategies._service import cases

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2100, 1, 1, tzinfo=UTC)


def test_nothing_given_gives_nothing():
    """Without objects there are no values."""
    assert {} == message_values(at=T0)


def test_a_person_is_greeted_by_the_preferred_name():
    """first_name is the preferred name when there is one; full_name joins given and family."""
    ana = Customer.register(
        CustomerId("c-1"), name=PersonName("Ana", family="Putri", preferred="Nana"), at=T0
    )
    assert {"first_name": "Nana", "full_name": "Ana Putri"} == message_values(customer=ana, at=T0)


def test_an_organization_is_greeted_by_its_trading_name():
    """An organization's first_name is its trading name, full_name its legal name."""
    shop = Customer.register(
        CustomerId("c-2"),
        name=OrganizationName("PT Sinar Jaya Abadi", trading="Sinar Jaya"),
        at=T0,
    )
    assert {"first_name": "Sinar Jaya", "full_name": "PT Sinar Jaya Abadi"} == message_values(
        customer=shop, at=T0
    )


@given(customers(), aware_datetimes())
def test_customer_values_come_from_the_name(customer, at):
    """The customer's values are its name's greeting and full form."""
    values = message_values(customer=customer, at=at)
    assert {"first_name": customer.name.greeting, "full_name": customer.name.full} == values


@given(loyalty_accounts(), st.integers(min_value=-5, max_value=800))
def test_loyalty_values_are_the_available_points_and_the_tier_at_the_time(account, days):
    """points_balance is what can be spent at ``at``; tier the tier held then.

    Nothing comes from a membership not in force (before enrolment, after closing).
    """
    at = account.enrolled_at + timedelta(days=days)
    values = message_values(loyalty_account=account, at=at)
    if not account.is_active_at(at):
        assert {} == values
    else:
        assert {"points_balance": account.available(at), "tier": account.tier_at(at)} == values


@given(subscriptions(), st.integers(min_value=0, max_value=800))
def test_subscription_values_are_the_plan_the_fee_and_the_next_due_date(subscription, days):
    """plan_name and amount_due from the plan; due_date is the next due date's calendar day."""
    at = subscription.created_at + timedelta(days=days)
    values = message_values(subscription=subscription, at=at)
    assert subscription.plan.name == values["plan_name"]
    assert subscription.fee == values["amount_due"]
    due = subscription.next_due_date(at=at)
    if due is None:
        assert "due_date" not in values
    else:
        assert due.date() == values["due_date"]


def test_due_dates_are_taken_in_the_time_zone_asked_for():
    """``tz`` decides the calendar day of the due date."""
    plan = Plan(
        id=PlanId("basic"),
        name="Basic",
        price=Money("150000", "IDR"),
        period=Period.months(1),
        product_type="data",
    )
    start = datetime(2026, 1, 31, 20, 0, tzinfo=UTC)  # 1 February 03:00 in Jakarta
    sub = Subscription.start(
        SubscriptionId("s-1"), customer_id=CustomerId("c-1"), plan=plan, at=start
    )
    jakarta = timezone(timedelta(hours=7))
    utc_day = message_values(subscription=sub, at=start)["due_date"]
    local_day = message_values(subscription=sub, at=start, tz=jakarta)["due_date"]
    assert utc_day + timedelta(days=1) == local_day


@given(cases(), aware_datetimes())
def test_case_values_are_the_reference(case, at):
    """case_reference is the case's id as text."""
    assert {"case_reference": str(case.id)} == message_values(case=case, at=at)


@pytest.mark.parametrize(
    ("keyword", "path"),
    [
        ("customer", "$.customer"),
        ("loyalty_account", "$.loyalty_account"),
        ("subscription", "$.subscription"),
        ("case", "$.case"),
        ("tz", "$.tz"),
    ],
)
def test_wrong_objects_are_refused(keyword, path):
    """Each argument must be of its class."""
    with pytest.raises(InvalidType) as caught:
        message_values(at=T0, **{keyword: "not it"})
    assert path == caught.value.path


def test_naive_times_are_refused():
    """``at`` must be timezone-aware."""
    with pytest.raises(ValidationError) as caught:
        message_values(at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    assert ("$.at", "naive_datetime") == (caught.value.path, caught.value.code)


@given(customers(), loyalty_accounts(), subscriptions(), cases())
def test_values_render_a_template_of_the_standard_fields_they_fill(
    customer, account, subscription, case
):
    """Every value message_values builds is accepted by render, and names a standard field."""
    at = max(customer.created_at, account.created_at, subscription.created_at, case.created_at)
    values = message_values(
        customer=customer, loyalty_account=account, subscription=subscription, case=case, at=at
    )
    assert set(values) <= set(MESSAGE_FIELDS)
    template = MessageTemplate(
        key="all",
        language="id",
        body=" ".join("{" + name + "}" for name in sorted(values)),
        fields=set(values),
    )
    assert template.render(values).body


def _program():
    return LoyaltyProgram(
        id=ProgramId("kopi-points"),
        name="Kopi Points",
        currency="IDR",
        earn_rate=EarnRate(1, Money(10_000, "IDR")),
        tiers=[Tier.by_points("bronze", 0, below=100), Tier.by_points("gold", 100)],
        expiry=Period.months(12),
    )


def test_a_closed_membership_gives_no_loyalty_values():
    """Points and tier come from a membership in force: open, and not before enrolment."""
    program = _program()
    account = LoyaltyAccount.enroll(
        LoyaltyAccountId("la-1"), customer_id=CustomerId("c-1"), program=program, at=T0
    ).earn(120, program, at=T0, reason="welcome bonus")
    assert {"points_balance": 120, "tier": "gold"} == message_values(loyalty_account=account, at=T0)
    closed = account.close(at=T0 + timedelta(days=1))
    assert {} == message_values(loyalty_account=closed, at=T0 + timedelta(days=2))
    assert {} == message_values(loyalty_account=closed, at=T0 - timedelta(days=1))
