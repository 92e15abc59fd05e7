"""Tests for `crmcore.analytics._rollups`: roll-ups over an account hierarchy reuse the analytics."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, StaffId, ValidationError
from crmcore.analytics import HierarchyRollup, hierarchy_rollup, purchase_summary
from crmcore.customers import CustomerId
from crmcore.errors import CurrencyMismatch
from crmcore.parties import Relationship, RelationshipGraph, RelationshipId
from crmcore.sales import STANDARD_PIPELINE, Opportunity, OpportunityId, pipeline_forecast
from crmcore.serialization import from_dict, to_dict
from crmcore.service import Case, CaseId

T0 = datetime(2026, 1, 5, tzinfo=UTC)
DAY = timedelta(days=1)
GROUP, ACME, ACME_ID, JKT, OTHER = (
    CustomerId(x) for x in ("group", "acme", "acme-id", "acme-jkt", "other")
)


def parent(number, party, child, start=T0, end=None):
    return Relationship.establish(
        RelationshipId(f"h-{number}"),
        kind="parent_of",
        party_id=party,
        related_id=child,
        valid_from=start,
        valid_until=end,
        at=T0,
    )


GRAPH = RelationshipGraph(
    [
        parent(1, GROUP, ACME),
        parent(2, GROUP, ACME_ID),
        parent(3, ACME_ID, JKT, start=T0 + 30 * DAY),
    ],
    check=True,
)


def idr(amount):
    return Money(amount, "IDR")


ORDERS = [
    (ACME, T0 + DAY, idr(1_000_000)),
    (ACME_ID, T0 + 2 * DAY, idr(500_000)),
    (JKT, T0 + 40 * DAY, idr(250_000)),
    (OTHER, T0 + DAY, idr(9_999_999)),
    (ACME, T0 + 60 * DAY, idr(100_000)),
]


def deal(number, customer, amount, stage="proposal"):
    return Opportunity.open(
        OpportunityId(f"opp-{number}"),
        customer_id=customer,
        name="Renewal",
        amount=idr(amount),
        expected_close=date(2026, 4, 1),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        stage=stage,
        at=T0,
    )


DEALS = [deal(1, ACME, 10_000_000), deal(2, JKT, 4_000_000, "negotiation"), deal(3, OTHER, 1)]


def case(number, customer, *, resolved_at=None):
    opened = Case.open(
        CaseId(f"k-{number}"),
        customer_id=customer,
        kind="complaint",
        subject="Invoice wrong",
        channel="email",
        at=T0,
    )
    if resolved_at is None:
        return opened
    return opened.respond(at=resolved_at).resolve(at=resolved_at)


CASES = [
    case(1, ACME),
    case(2, JKT, resolved_at=T0 + 10 * DAY),
    case(3, ACME_ID),
    case(4, OTHER),
]


def test_a_rollup_sums_the_subtree_with_the_existing_analytics():
    """Revenue is purchase_summary's, pipeline pipeline_forecast's, of the subtree only."""
    view = GRAPH.at(T0 + 45 * DAY)
    accounts = view.subtree(GROUP)
    assert (GROUP, ACME, ACME_ID, JKT) == accounts
    rollup = hierarchy_rollup(
        accounts,
        orders=ORDERS,
        opportunities=DEALS,
        pipeline=STANDARD_PIPELINE,
        cases=CASES,
        clv={ACME: idr(5_000_000), JKT: idr(1_000_000), OTHER: idr(1)},
    )
    mine = [o for o in ORDERS if o[0] != OTHER]
    assert purchase_summary(mine) == rollup.purchases
    assert idr(1_850_000) == rollup.revenue
    assert pipeline_forecast(DEALS[:2], STANDARD_PIPELINE) == rollup.pipeline
    assert idr("8200000.0") == rollup.pipeline.weighted_total("IDR")
    assert (CaseId("k-1"), CaseId("k-3")) == rollup.open_cases
    assert idr(6_000_000) == rollup.clv


def test_a_rollup_follows_the_hierarchy_at_its_instant():
    """Before acme-jkt joined, its figures are not in the group's roll-up."""
    early = hierarchy_rollup(GRAPH.at(T0 + DAY).subtree(GROUP), orders=ORDERS)
    assert idr(1_600_000) == early.revenue
    assert JKT not in early.accounts


def test_orders_count_in_a_half_open_window():
    """Since is inclusive, until exclusive, like the timeline's window."""
    accounts = [ACME]
    rollup = hierarchy_rollup(accounts, orders=ORDERS, since=T0 + DAY, until=T0 + 60 * DAY)
    assert idr(1_000_000) == rollup.revenue
    rollup = hierarchy_rollup(accounts, orders=ORDERS, since=T0 + 2 * DAY)
    assert idr(100_000) == rollup.revenue
    assert hierarchy_rollup(accounts, orders=ORDERS, until=T0 + DAY).revenue is None


def test_open_cases_at_an_instant_use_the_case_history():
    """at= counts the cases open then (through Case.status_at), not now."""
    accounts = (ACME, JKT)
    assert (CaseId("k-1"),) == hierarchy_rollup(accounts, cases=CASES).open_cases
    assert (CaseId("k-1"), CaseId("k-2")) == hierarchy_rollup(
        accounts, cases=CASES, at=T0 + 5 * DAY
    ).open_cases
    assert () == hierarchy_rollup(accounts, cases=CASES, at=T0 - DAY).open_cases


def test_clv_values_are_money_of_the_accounts_only():
    """CLV sums the accounts' values; accounts without one add nothing."""
    assert idr(3) == hierarchy_rollup([ACME, JKT], clv={ACME: idr(1), JKT: idr(2)}).clv
    assert hierarchy_rollup([ACME], clv={JKT: idr(1)}).clv is None
    assert hierarchy_rollup([ACME]).clv is None


def test_an_empty_rollup_has_no_revenue_and_no_pipeline():
    """Without inputs: no revenue, no pipeline, no cases, no CLV."""
    rollup = hierarchy_rollup([ACME])
    assert (None, None, (), None) == (
        rollup.revenue,
        rollup.pipeline,
        rollup.open_cases,
        rollup.clv,
    )
    assert 0 == rollup.purchases.orders


def test_accounts_are_kept_once_in_order():
    """A repeated account counts once."""
    rollup = hierarchy_rollup([ACME, GROUP, ACME], orders=ORDERS)
    assert (ACME, GROUP) == rollup.accounts
    assert idr(1_100_000) == rollup.revenue


def test_a_rollup_round_trips():
    """The result is a document like every other analytics result."""
    rollup = hierarchy_rollup(
        [ACME, JKT], orders=ORDERS, opportunities=DEALS, pipeline=STANDARD_PIPELINE, cases=CASES
    )
    assert isinstance(rollup, HierarchyRollup)
    assert rollup == from_dict(HierarchyRollup, to_dict(rollup))


@pytest.mark.parametrize(
    ("options", "error", "path"),
    [
        ({"opportunities": DEALS}, ValidationError, "$.pipeline"),
        (
            {"opportunities": [object()], "pipeline": STANDARD_PIPELINE},
            InvalidType,
            "$.opportunities[0]",
        ),
        ({"cases": [object()]}, InvalidType, "$.cases[0]"),
        ({"clv": [1]}, InvalidType, "$.clv"),
        ({"clv": {ACME: idr(1), JKT: 2}}, InvalidType, "$.clv[acme-jkt]"),
        ({"clv": {ACME: 1.5}}, InvalidType, "$.clv[acme]"),
        ({"since": T0, "until": T0 - DAY}, ValidationError, "$.since"),
        ({"at": datetime(2026, 1, 1)}, ValidationError, "$.at"),  # noqa: DTZ001
        # A plain-number amount needs the currency it is in; an amount of no number is refused.
        ({"orders": [(ACME, T0, 5)]}, ValidationError, "$.amount_currency"),
        (
            {"orders": [(ACME, T0, object())], "amount_currency": "IDR"},
            InvalidType,
            "$.orders[0].amount",
        ),
    ],
)
def test_bad_input_is_refused_with_its_path(options, error, path):
    """Each argument is checked and named."""
    with pytest.raises(error) as caught:
        hierarchy_rollup([ACME, JKT], **options)
    assert path == caught.value.path


def test_accounts_must_be_customer_ids():
    """Accounts are CustomerIds, as the relationship graph gives them."""
    with pytest.raises(InvalidType) as caught:
        hierarchy_rollup([ACME, "acme-jkt"])
    assert "$.accounts[1]" == caught.value.path


def test_mixed_currencies_are_refused_as_the_analytics_refuse_them():
    """Orders in two currencies raise CurrencyMismatch, as purchase_summary does."""
    with pytest.raises(CurrencyMismatch):
        hierarchy_rollup([ACME], orders=[(ACME, T0, idr(1)), (ACME, T0, Money(1, "USD"))])
    with pytest.raises(CurrencyMismatch):
        hierarchy_rollup([ACME, JKT], clv={ACME: idr(1), JKT: Money(1, "USD")})


amounts = st.integers(min_value=0, max_value=10**9)


@given(
    st.lists(st.tuples(st.sampled_from([GROUP, ACME, ACME_ID, JKT, OTHER]), amounts), max_size=20),
    st.dictionaries(st.sampled_from([GROUP, ACME, ACME_ID, JKT, OTHER]), amounts),
)
def test_a_rollup_is_the_sum_of_its_accounts(orders, clv):
    """Revenue, CLV and open cases of a subtree add up account by account."""
    records = [(customer, T0, idr(amount)) for customer, amount in orders]
    values = {k: idr(v) for k, v in clv.items()}
    accounts = GRAPH.at(T0 + 45 * DAY).subtree(GROUP)
    whole = hierarchy_rollup(accounts, orders=records, clv=values, cases=CASES)
    parts = [hierarchy_rollup([a], orders=records, clv=values, cases=CASES) for a in accounts]
    revenue = [p.revenue for p in parts if p.revenue is not None]
    assert whole.revenue == (Money.total(revenue, currency="IDR") if revenue else None)
    clvs = [p.clv for p in parts if p.clv is not None]
    assert whole.clv == (Money.total(clvs, currency="IDR") if clvs else None)
    assert sorted(c for p in parts for c in p.open_cases) == list(whole.open_cases)
    assert sum(p.purchases.orders for p in parts) == whole.purchases.orders
