"""Tests for `crmcore._demo._marketing`: a campaign to an RFM segment, attribution, ROI, leads, offers."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from crmcore import InvalidType
from crmcore._demo._commerce import DemoCommerce, demo_commerce
from crmcore._demo._format import parse_money
from crmcore._demo._marketing import CAMPAIGN_COST, OFFERED, demo_section
from crmcore._demo._report import REFERENCE_TIME, build_customers
from crmcore.customers import Customer
from crmcore.marketing import AttributionModel

#: The demo builds a whole synthetic customer base: seconds per test.
pytestmark = pytest.mark.slow

SEED = 3
#: An amount as the demo prints it.
MONEY = r"(-?Rp [\d.]+(?:,\d+)?)"


@pytest.fixture(scope="module")
def customers() -> list[Customer]:
    return build_customers(300)


@pytest.fixture(scope="module")
def commerce(customers: list[Customer]) -> DemoCommerce:
    return demo_commerce(customers, seed=SEED, at=REFERENCE_TIME)


@pytest.fixture(scope="module")
def text(customers: list[Customer], commerce: DemoCommerce) -> str:
    return demo_section(customers, commerce, seed=SEED, at=REFERENCE_TIME)


def figure(text: str, pattern: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


def test_every_member_is_sent_or_refused_with_a_reason(text: str) -> None:
    targets = int(figure(text, r"to the (\d+) champions"))
    sent = int(figure(text, r"(\d+) sent"))
    refused = int(figure(text, r"(\d+) not messaged"))
    responded = int(figure(text, r"(\d+) responded"))
    assert targets == sent + refused
    assert 0 <= responded <= sent
    reasons = figure(text, r"not messaged \(([^)]*)\)")
    assert reasons == "none" or all(
        code in {"no_consent", "processing_restricted", "objected_to_direct_marketing", "erased"}
        for code, _ in (part.split(" ") for part in reasons.split(", "))
    )


def test_every_model_attributes_the_whole_revenue(text: str) -> None:
    for model in AttributionModel:
        line = figure(text, rf"({model.value} +attributes .*)")
        attributed, revenue = re.findall(MONEY, line)
        assert parse_money(attributed) == parse_money(revenue)
        assert "adds up: False" not in line


def test_roi_follows_from_the_cost_and_the_attributed_revenue(text: str) -> None:
    revenue = parse_money(figure(text, rf"position_based +attributes {MONEY}")).amount
    cost = CAMPAIGN_COST.amount
    assert parse_money(figure(text, rf"cost {MONEY}")).amount == cost
    responded = int(figure(text, r"(\d+) responded"))
    per_lead = parse_money(figure(text, rf"cost per lead {MONEY}")).amount
    assert per_lead == (cost / responded).quantize(Decimal("0.01"))
    roi = Decimal(figure(text, r"ROI (-?\d+\.\d+)"))
    assert roi == ((revenue - cost) / cost).quantize(Decimal("0.01"))


def test_leads_are_graded_and_the_model_ranks_better_than_chance(text: str) -> None:
    grades = dict(re.findall(r"([ABCD]) (\d+)", figure(text, r"grades ([^;]*);")))
    assert sum(int(n) for n in grades.values()) == 40
    assert 0.5 < float(figure(text, r"AUC (\d\.\d+)")) <= 1


def test_offers_explain_themselves_with_a_lift_above_one(text: str) -> None:
    rules = int(figure(text, r"(\d+) association rules"))
    offers = re.findall(r"also bought \S+, lift (\d+\.\d+)", text)
    assert len(offers) <= OFFERED
    assert (rules == 0) == (not offers)
    assert all(Decimal(lift) >= 1 for lift in offers)


def test_bad_arguments_are_refused(customers: list[Customer], commerce: DemoCommerce) -> None:
    with pytest.raises(InvalidType):
        demo_section(customers, commerce, seed="7", at=REFERENCE_TIME)  # type: ignore[arg-type]
