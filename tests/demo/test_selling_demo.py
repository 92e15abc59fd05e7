"""Tests for `crmcore._demo._selling`: a quote from a price book accepted into an order, a forecast in IDR."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from crmcore import InvalidType
from crmcore._demo._format import parse_money
from crmcore._demo._report import REFERENCE_TIME, build_customers, report
from crmcore._demo._selling import CATALOG, PIPELINE, demo_section
from crmcore.customers import Customer
from crmcore.sales import STANDARD_PIPELINE

SEED = 7
#: An amount as the demo prints it.
MONEY = r"(-?Rp [\d.]+(?:,\d+)?)"


@pytest.fixture(scope="module")
def customers() -> list[Customer]:
    return build_customers(20)


@pytest.fixture(scope="module")
def text(customers: list[Customer]) -> str:
    return demo_section(customers, seed=SEED, at=REFERENCE_TIME)


def amount(text: str, pattern: str) -> Decimal:
    match = re.search(pattern.replace("MONEY", MONEY), text)
    assert match is not None, pattern
    return parse_money(match.group(1)).amount


def test_volume_pricing_picks_the_tier_for_twelve_routers(text: str) -> None:
    tier = CATALOG[0][5]
    assert amount(text, r"12 routers resolve to MONEY each \(volume_tier") == tier


def test_the_quote_adds_up_and_the_order_costs_what_was_quoted(text: str) -> None:
    # Independently: lines at the tier, list and override prices, 5% off, PPN 12% of 11/12 (11%).
    routers, switches = 12 * CATALOG[0][5], 2 * CATALOG[1][4]  # two switches: no tier
    support = 1_800_000
    net = (routers + switches + support) * Decimal("0.95")
    assert amount(text, r"net MONEY") == net
    # Each line's tax is rounded on its own; with these round prices none needs rounding.
    assert amount(text, r"PPN MONEY") == net * Decimal("0.11")
    assert amount(text, r"total MONEY") == net * Decimal("1.11")
    assert "lines add up: True" in text
    assert "(equal to the quote: True)" in text
    assert amount(text, r"opportunity amount MONEY") == net
    assert "from 3 line items" in text


def test_the_forecast_converts_each_deal_at_its_close_date(text: str) -> None:
    switch_day = REFERENCE_TIME.date() + timedelta(days=40)
    probability = {s.code: s.probability for s in STANDARD_PIPELINE.stages}
    weighted = open_total = Decimal(0)
    for code, value, stage, days in PIPELINE:
        close = REFERENCE_TIME.date() + timedelta(days=days)
        rate = {"IDR": 1, "SGD": 12600}.get(code) or (16250 if close < switch_day else 16400)
        converted = Decimal(value) * rate
        open_total += converted
        weighted += converted * probability[stage]
    assert amount(text, r"weighted MONEY") == weighted
    assert amount(text, r"open MONEY") == open_total


def test_margins_are_revenue_less_standard_cost(text: str) -> None:
    rows = re.findall(rf"margin p-([\w-]+): (\d+) units?, revenue {MONEY}, margin {MONEY}", text)
    assert len(rows) == 3
    costs = {sku.lower(): cost for sku, _, _, cost, _, _ in CATALOG}
    for sku, units, revenue, margin in rows:
        assert parse_money(margin).amount == (parse_money(revenue).amount - int(units) * costs[sku])
    assert "3 products, 1 price book, 1 quote for the customer" in text


def test_the_section_is_in_the_report_and_deterministic(customers: list[Customer]) -> None:
    assert demo_section(customers, seed=SEED, at=REFERENCE_TIME) == demo_section(
        customers, seed=SEED, at=REFERENCE_TIME
    )
    assert "Products, quotes and currencies" in report(30)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidType):
        demo_section(5, seed=SEED, at=REFERENCE_TIME)  # type: ignore[arg-type]
