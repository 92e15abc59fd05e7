"""Tests for `crmcore._demo._automation`: the standard automations over the demo's two years."""

from __future__ import annotations

import re

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._demo._automation import DAYS, demo_section
from crmcore._demo._commerce import DemoCommerce, demo_commerce
from crmcore._demo._loyalty import DemoLoyalty, demo_loyalty
from crmcore._demo._report import REFERENCE_TIME, build_customers
from crmcore.automation import (
    AutomationRules,
    payment_reminder,
    standard_automations,
    standard_templates,
)
from crmcore.customers import Customer

#: The demo builds a whole synthetic customer base: seconds per test.
pytestmark = pytest.mark.slow

SEED = 11
STANDARD = {"rules": standard_automations(), "templates": standard_templates()}


@pytest.fixture(scope="module")
def customers() -> list[Customer]:
    return build_customers(60)


@pytest.fixture(scope="module")
def commerce(customers: list[Customer]) -> DemoCommerce:
    return demo_commerce(customers, seed=SEED, at=REFERENCE_TIME)


@pytest.fixture(scope="module")
def loyalty(customers: list[Customer], commerce: DemoCommerce) -> DemoLoyalty:
    return demo_loyalty(customers, commerce.orders, seed=SEED, at=REFERENCE_TIME)


@pytest.fixture(scope="module")
def text(customers: list[Customer], commerce: DemoCommerce, loyalty: DemoLoyalty) -> str:
    return demo_section(customers, commerce, loyalty, seed=SEED, at=REFERENCE_TIME, **STANDARD)


def counted(text: str, heading: str) -> dict[str, int]:
    """The ``name  count`` lines under the heading that starts with ``heading``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line) + 1
    found = {}
    for line in lines[start:]:
        match = re.fullmatch(r"  (.+?)\s+(\d+)", line)
        if match is None:
            break
        found[match.group(1)] = int(match.group(2))
    return found


def test_the_section_is_deterministic(
    customers: list[Customer], commerce: DemoCommerce, loyalty: DemoLoyalty, text: str
) -> None:
    """The same data, seed and time give the same text."""
    assert text == demo_section(
        customers, commerce, loyalty, seed=SEED, at=REFERENCE_TIME, **STANDARD
    )


def test_counts_add_up(text: str) -> None:
    """The totals are the sums of the lines, and every standard rule produced something."""
    intents = counted(text, "intents produced")
    skipped = counted(text, "actions skipped")
    total = int(re.search(r"(\d+) intents produced", text).group(1))  # type: ignore[union-attr]
    assert total == sum(intents.values())
    assert int(re.search(r"(\d+) actions skipped", text).group(1)) == sum(skipped.values())  # type: ignore[union-attr]
    rules = {name.split(":")[0] for name in intents}
    assert {rule.key for rule in standard_automations()} == rules
    assert f"over {DAYS} days" in text


def test_running_the_last_day_again_adds_nothing(text: str) -> None:
    """The ledger makes the replay idempotent: the last day run again yields no intent."""
    match = re.search(r"running the last day again: (\d+) new intents \((\d+) idempotency", text)
    assert match is not None
    assert match.group(1) == "0"
    assert int(match.group(2)) == sum(counted(text, "intents produced").values())


def test_no_personal_data_in_the_text(customers: list[Customer], text: str) -> None:
    """No name, email address or phone number of a customer appears in the section."""
    for customer in customers:
        assert customer.name.full not in text
        for point in customer.contact_points:
            assert point.value not in text


def test_rules_can_be_chosen(
    customers: list[Customer], commerce: DemoCommerce, loyalty: DemoLoyalty, text: str
) -> None:
    """With one rule chosen, only its intents appear."""
    one = demo_section(
        customers,
        commerce,
        loyalty,
        seed=SEED,
        at=REFERENCE_TIME,
        rules=AutomationRules([payment_reminder(days_before=7)]),
        templates=standard_templates(),
    )
    assert set(counted(one, "intents produced")) == {"payment_reminder: MessageIntent"}
    assert "1 standard automations" in one


def test_inputs_are_checked(
    customers: list[Customer], commerce: DemoCommerce, loyalty: DemoLoyalty
) -> None:
    """A bad seed, customer list or reference time is refused with its path."""
    with pytest.raises(InvalidType) as info:
        demo_section(customers, commerce, loyalty, seed="11", at=REFERENCE_TIME, **STANDARD)  # type: ignore[arg-type]
    assert info.value.path == "$.seed"
    with pytest.raises(InvalidType) as info:
        demo_section(iter(customers), commerce, loyalty, seed=SEED, at=REFERENCE_TIME, **STANDARD)  # type: ignore[arg-type]
    assert info.value.path == "$.customers"
    with pytest.raises(ValidationError) as info:
        demo_section(
            customers,
            commerce,
            loyalty,
            seed=SEED,
            at=REFERENCE_TIME.replace(tzinfo=None),
            **STANDARD,
        )
    assert info.value.path == "$.at"
