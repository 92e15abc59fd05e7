"""Tests for `crmcore._demo._privacy`: an export, an erasure and a denied read over the demo's data."""

from __future__ import annotations

import re

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._demo._commerce import DemoCommerce, demo_commerce
from crmcore._demo._privacy import OWNED, demo_section
from crmcore._demo._report import REFERENCE_TIME, build_customers
from crmcore.customers import Customer

#: The demo builds a whole synthetic customer base: seconds per test.
pytestmark = pytest.mark.slow

SEED = 11


@pytest.fixture(scope="module")
def customers() -> list[Customer]:
    return build_customers(60)


@pytest.fixture(scope="module")
def commerce(customers: list[Customer]) -> DemoCommerce:
    return demo_commerce(customers, seed=SEED, at=REFERENCE_TIME)


@pytest.fixture(scope="module")
def text(customers: list[Customer], commerce: DemoCommerce) -> str:
    return demo_section(customers, commerce, seed=SEED, at=REFERENCE_TIME)


def number(text: str, pattern: str) -> int:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return int(match.group(1))


def test_the_section_is_deterministic(customers, commerce, text):
    assert text == demo_section(customers, commerce, seed=SEED, at=REFERENCE_TIME)


def test_the_access_request_is_fulfilled_with_an_export_of_the_subjects_orders(commerce, text):
    subject = re.search(r"access request dsr-1 of customer (\S+) ", text).group(1)
    orders = sum(1 for order in commerce.orders if order.customer_id.value == subject)
    assert orders == number(text, r"export: \d+ records \(customers 1, orders (\d+)")
    assert "fulfilled, overdue: False" in text


def test_the_erasure_leaves_no_value_behind_and_keeps_the_totals(text):
    assert "refused: legal_hold (tax_audit)" in text
    assert "erased: True" in text
    assert "order totals kept: True" in text
    assert number(text, r"(\d+) of the customer's own personal values") > 0
    assert 0 == number(text, r"and the audit log: (\d+) found")


def test_restricted_and_erased_customers_are_left_out_of_marketing(customers, text):
    included = number(text, r"marketing screening: (\d+) included")
    left_out = number(text, r"included, (\d+) left out")
    assert (included, left_out) == (len(customers) - 2, 2)
    assert "erased 1, processing_restricted 1" in text


def test_the_rep_reads_only_what_they_own_and_the_refusal_is_audited(customers, text):
    assert OWNED == number(text, r"reads (\d+) of")
    assert f"reading customer {customers[-1].id.value}: AccessDenied" in text
    assert "(scope)" in text
    assert 1 == number(text, r"denied attempts in the audit log: (\d+)")


def test_bad_arguments_raise_crmcore_errors(customers, commerce):
    with pytest.raises(InvalidType):
        demo_section(customers, commerce, seed="x", at=REFERENCE_TIME)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        demo_section(customers, commerce, seed=SEED, at=REFERENCE_TIME.replace(tzinfo=None))
