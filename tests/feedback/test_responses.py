"""Tests for `crmcore.feedback._responses`."""

from datetime import UTC, datetime

import attrs
import pytest

from crmcore import ValidationError
from crmcore.customers import ContactPoint, PersonName
from crmcore.feedback import Review, ReviewId, response_plan

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PLAN = response_plan(
    Review.receive(ReviewId("r-1"), platform="google", rating=1, at=T0, text="Late"),
    customer_name=PersonName("Ana"),
    service_standard="We deliver within two days.",
    compensation="a voucher",
    offline_contact=ContactPoint("email", "care@shop.example"),
)


def deep(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("field", ["steps", "guidelines"])
@pytest.mark.parametrize("junk", [[deep(5_000)], [[]], [None], ["not_a_step"], deep(5_000)])
def test_steps_and_guidelines_are_checked_by_type_first(field, junk):
    """A nested list is refused by its type, never looked up in the enum (RecursionError in repr)."""
    with pytest.raises(ValidationError) as info:
        attrs.evolve(PLAN, **{field: junk})
    assert info.value.path.startswith(f"$.{field}")


def test_steps_and_guidelines_take_member_values():
    """The enums' values name the members."""
    again = attrs.evolve(PLAN, steps=[s.value for s in PLAN.steps])
    assert PLAN.steps == again.steps
