"""Tests of `crmcore.marketing._campaigns`: the Campaign aggregate, and its repository."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.errors import CurrencyMismatch, InvalidType, TransitionNotAllowed, ValidationError
from crmcore.marketing import (
    CAMPAIGN_STATUSES,
    Campaign,
    CampaignAborted,
    CampaignActivated,
    CampaignBudgetChanged,
    CampaignCompleted,
    CampaignCostRecorded,
    CampaignCreated,
    CampaignDatesChanged,
    CampaignId,
    CampaignMember,
    CampaignRenamed,
    CampaignStatus,
    CampaignType,
    utm_value,
)
from crmcore.repository import InMemoryStore, StoreUnitOfWork
from crmcore.repository._marketing import CAMPAIGNS
from crmcore.repository._marketing_ports import CampaignRepository
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._marketing import campaign_members, campaigns

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = AT + timedelta(days=1)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def campaign(**changes: object) -> Campaign:
    fields: dict[str, object] = {
        "name": "Spring sale",
        "campaign_type": "email",
        "channel": "email",
        "start": date(2026, 3, 9),
        "end": date(2026, 3, 31),
        "budget": usd("5000"),
        "at": AT,
    }
    fields.update(changes)
    return Campaign.create(CampaignId("cmp-1"), **fields)  # type: ignore[arg-type]


def test_create_records_every_fact():
    made = campaign(
        parent_id=CampaignId("cmp-0"),
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="spring_sale",
    )
    (event,) = made.pending_events
    assert isinstance(event, CampaignCreated)
    assert (
        event.name,
        event.campaign_type,
        event.start,
        event.end,
        event.budget,
        event.parent_id,
    ) == (
        "Spring sale",
        CampaignType.EMAIL,
        date(2026, 3, 9),
        date(2026, 3, 31),
        usd("5000"),
        CampaignId("cmp-0"),
    )
    assert (event.utm_source, event.utm_medium, event.utm_campaign) == (
        "newsletter",
        "email",
        "spring_sale",
    )
    assert made.status is CampaignStatus.PLANNED
    assert made.is_open
    assert made.actual_cost is None
    assert made.currency == "USD"
    assert made.remaining_budget == usd("5000")


def test_status_machine_planned_active_completed_or_aborted():
    assert CAMPAIGN_STATUSES.allowed(CampaignStatus.PLANNED) == {
        CampaignStatus.ACTIVE,
        CampaignStatus.ABORTED,
    }
    assert CAMPAIGN_STATUSES.allowed(CampaignStatus.ACTIVE) == {
        CampaignStatus.COMPLETED,
        CampaignStatus.ABORTED,
    }
    done = campaign().activate(at=AT).complete(at=LATER)
    assert [type(e) for e in done.pending_events][1:] == [CampaignActivated, CampaignCompleted]
    assert [c.status for c in done.history] == ["planned", "active", "completed"]
    assert not done.is_open
    with pytest.raises(TransitionNotAllowed):
        done.abort(at=LATER)
    aborted = campaign().abort(at=AT)
    assert isinstance(aborted.pending_events[-1], CampaignAborted)
    with pytest.raises(TransitionNotAllowed):
        campaign().complete(at=AT)
    with pytest.raises(ValidationError) as caught:
        campaign().activate(at=AT - timedelta(seconds=1))
    assert caught.value.code == "time_backwards"


def test_costs_accumulate_in_the_budget_currency():
    spent = campaign().record_cost(usd("1200.50"), at=AT).record_cost(usd("299.50"), at=LATER)
    assert spent.actual_cost == usd("1500")
    assert spent.remaining_budget == usd("3500")
    last = spent.pending_events[-1]
    assert isinstance(last, CampaignCostRecorded)
    assert (last.amount, last.actual_cost) == (usd("299.50"), usd("1500"))
    assert spent.record_cost(usd("0"), at=LATER) is spent
    # Completed campaigns still take invoices.
    closed = spent.activate(at=LATER).complete(at=LATER).record_cost(usd("1"), at=LATER)
    assert closed.actual_cost == usd("1501")
    overspent = campaign(budget=usd("10")).record_cost(usd("25"), at=AT)
    assert overspent.remaining_budget == usd("-15")


def test_no_budget_first_cost_sets_the_currency():
    free = campaign(budget=None)
    assert free.currency is None
    assert free.remaining_budget is None
    spent = free.record_cost(Money("100", "EUR"), at=AT)
    assert spent.currency == "EUR"
    assert spent.remaining_budget is None
    with pytest.raises(CurrencyMismatch) as caught:
        spent.record_cost(usd("1"), at=AT)
    assert caught.value.path == "$.amount"
    with pytest.raises(CurrencyMismatch) as caught:
        spent.change_budget(usd("1"), at=AT)
    assert caught.value.path == "$.budget"
    assert spent.change_budget(Money("500", "EUR"), at=AT).budget == Money("500", "EUR")


@pytest.mark.parametrize(
    ("amount", "error", "code"),
    [
        (usd("-1"), ValidationError, "negative"),
        (Money("1", "EUR"), CurrencyMismatch, "currency_mismatch"),
        (1.5, InvalidType, "type"),
    ],
)
def test_bad_costs_are_refused(amount, error, code):
    planned = campaign()
    with pytest.raises(error) as caught:
        planned.record_cost(amount, at=AT)
    assert caught.value.path == "$.amount"
    assert caught.value.code == code
    assert planned.actual_cost is None
    assert len(planned.pending_events) == 1


def test_budget_changes():
    planned = campaign()
    changed = planned.change_budget(usd("7000"), at=AT)
    event = changed.pending_events[-1]
    assert isinstance(event, CampaignBudgetChanged)
    assert (event.budget, event.previous) == (usd("7000"), usd("5000"))
    assert changed.change_budget(usd("7000.00"), at=AT) is changed
    assert changed.change_budget(None, at=AT).budget is None
    with pytest.raises(ValidationError) as caught:
        planned.change_budget(usd("-1"), at=AT)
    assert (caught.value.path, caught.value.code) == ("$.budget", "negative")


def test_rename_and_dates():
    renamed = campaign().rename("  Spring   sale 2026 ", at=AT)
    assert renamed.name == "Spring sale 2026"
    event = renamed.pending_events[-1]
    assert isinstance(event, CampaignRenamed)
    assert event.previous == "Spring sale"
    assert renamed.rename("Spring sale 2026", at=AT) is renamed
    moved = renamed.change_dates(date(2026, 4, 1), None, at=AT)
    assert isinstance(moved.pending_events[-1], CampaignDatesChanged)
    assert (moved.start, moved.end) == (date(2026, 4, 1), None)
    assert moved.change_dates(date(2026, 4, 1), None, at=AT) is moved
    assert moved.runs_on(date(2099, 1, 1))
    assert not moved.runs_on(date(2026, 3, 31))
    one_day = moved.change_dates(date(2026, 4, 1), date(2026, 4, 1), at=AT)
    assert one_day.runs_on(date(2026, 4, 1))


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"end": date(2026, 3, 8)}, "$.end", "end_before_start"),
        ({"budget": usd("-0.01")}, "$.budget", "negative"),
        ({"campaign_type": "billboard"}, "$.campaign_type", "choice"),
        ({"channel": "pigeon"}, "$.channel", "choice"),
        ({"name": " "}, "$.name", "too_short"),
        ({"name": "x" * 121}, "$.name", "too_long"),
        ({"utm_source": "news letter"}, "$.utm_source", "utm"),
        ({"utm_medium": "x" * 101}, "$.utm_medium", "utm"),
        ({"utm_campaign": ""}, "$.utm_campaign", "utm"),
        ({"parent_id": CampaignId("cmp-1")}, "$.parent_id", "own_parent"),
    ],
)
def test_bad_campaigns_are_refused(changes, path, code):
    with pytest.raises(ValidationError) as caught:
        campaign(**changes)
    assert (caught.value.path, caught.value.code) == (path, code)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"start": datetime(2026, 3, 9, tzinfo=UTC)}, "$.start"),
        ({"end": "2026-03-31"}, "$.end"),
        ({"parent_id": "cmp-0"}, "$.parent_id"),
        ({"utm_source": 7}, "$.utm_source"),
        ({"budget": 5000}, "$.budget"),
    ],
)
def test_wrong_types_are_refused(changes, path):
    with pytest.raises(InvalidType) as caught:
        campaign(**changes)
    assert caught.value.path == path


def test_bad_dates_change_nothing():
    planned = campaign()
    with pytest.raises(ValidationError) as caught:
        planned.change_dates(date(2026, 3, 9), date(2026, 3, 1), at=AT)
    assert (caught.value.path, caught.value.code) == ("$.end", "end_before_start")
    assert (planned.start, planned.end) == (date(2026, 3, 9), date(2026, 3, 31))
    with pytest.raises(InvalidType):
        planned.runs_on(AT)


def test_utm_value():
    assert utm_value(None, "$.x") is None
    assert utm_value("a.b_c~d+e-f", "$.x") == "a.b_c~d+e-f"
    with pytest.raises(ValidationError):
        utm_value("a/b", "$.x")


def test_repr_names_no_personal_data():
    assert repr(campaign()) == (
        "Campaign(id=CampaignId('cmp-1'), type='email', status='planned', version=0, "
        "pending_events=1)"
    )


@given(campaigns())
def test_generated_campaigns_keep_their_rules(made):
    """Every generated history keeps the invariants: dates ordered, money non-negative, one currency."""
    if made.start is not None and made.end is not None:
        assert made.start <= made.end
    for money in (made.budget, made.actual_cost):
        assert money is None or money.amount >= 0
    if made.budget is not None and made.actual_cost is not None:
        assert made.budget.currency == made.actual_cost.currency
    assert made.parent_id != made.id
    # The actual cost is the sum of the recorded costs (computed independently of the aggregate).
    costs = [e.amount for e in made.pending_events if isinstance(e, CampaignCostRecorded)]
    if costs:
        assert made.actual_cost == Money.total(costs, currency=costs[0].currency)
    else:
        assert made.actual_cost is None
    CAMPAIGN_STATUSES.check_path([c.status for c in made.history], path="$.history")


@given(campaigns(), st.integers(min_value=1, max_value=10**6))
def test_a_cost_adds_exactly_its_amount(made, units):
    if made.currency is None:
        return
    cost = Money.from_minor_units(units, made.currency)
    after = made.record_cost(cost, at=made.updated_at)
    before = made.actual_cost.amount if made.actual_cost is not None else 0
    assert after.actual_cost is not None
    assert after.actual_cost.amount == before + cost.amount


# -- repository ----------------------------------------------------------------------------


def test_campaign_repository_lookups():
    uow = StoreUnitOfWork(InMemoryStore(specs=(CAMPAIGNS,)))
    with uow:
        repo = uow.repository(Campaign)
        assert isinstance(repo, CampaignRepository)
        programme = repo.add(
            Campaign.create(CampaignId("cmp-0"), name="Q2", campaign_type="other", at=AT)
        )
        child = repo.add(campaign(parent_id=programme.id).activate(at=AT))
        other = repo.add(
            Campaign.create(
                CampaignId("cmp-2"),
                name="Ads",
                campaign_type="paid_ads",
                parent_id=programme.id,
                at=AT,
            )
        )
        assert [child, other] == repo.children_of(programme.id)
        assert [] == repo.children_of(child.id)
        assert [child] == repo.with_status("active")
        assert [programme, other] == repo.with_status(CampaignStatus.PLANNED)
        with pytest.raises(ValidationError):
            repo.with_status("running")
        with pytest.raises(InvalidType):
            repo.children_of("cmp-0")  # type: ignore[arg-type]
        uow.commit()


@given(campaigns(), campaign_members())
def test_documents_round_trip(made, member):
    """Campaigns, members and their events survive to_dict / from_dict unchanged."""
    assert from_dict(Campaign, to_dict(made)) == made
    assert from_dict(CampaignMember, to_dict(member)) == member
    for event in (*made.pending_events, *member.pending_events):
        assert from_dict(type(event), to_dict(event)) == event
