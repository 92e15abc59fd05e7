"""A summary holds only amounts its document can carry: what it accepts reads back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.clv import CustomerSummary, SummaryTable
from crmcore.errors import ValidationError
from crmcore.serialization import from_dict, to_dict

END = datetime(2024, 6, 30, tzinfo=UTC)


def table_of(amount: Decimal) -> SummaryTable:
    return SummaryTable.from_columns(
        {
            "customer_id": ["a"],
            "frequency": [1],
            "recency": [1],
            "T": [2],
            "monetary_value": [amount],
        },
        period="week",
        observation_end=END,
    )


def within_bounds(amount: Decimal) -> bool:
    """The decimal bounds of every input: at most 100 digits, 100 either side of the point."""
    digits = amount.as_tuple()
    return not (len(digits.digits) > 100 or amount.adjusted() >= 100 or digits.exponent < -100)


@given(amount=st.decimals(allow_nan=False, allow_infinity=False))
def test_every_accepted_amount_round_trips_through_its_document(amount):
    if not within_bounds(amount):
        with pytest.raises(ValidationError) as caught:
            table_of(amount)
        assert (caught.value.path, caught.value.code) == ("$.columns.monetary_value[0]", "too_long")
        return
    table = table_of(amount)
    assert from_dict(SummaryTable, to_dict(table)) == table


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [
        ("1E+999999", False),
        ("1E-150", False),
        ("1" * 101, False),
        ("9" * 100, True),
        ("0." + "1" * 100, True),
        ("-12.50", True),
    ],
)
def test_the_constructor_applies_the_decimal_bounds_of_every_input(amount, accepted):
    value = Decimal(amount)
    if accepted:
        summary = CustomerSummary(frequency=1, recency=1, T=2, monetary_value=value)
        assert summary.monetary_value == value
        assert from_dict(SummaryTable, to_dict(table_of(value)))["a"] == summary
        return
    with pytest.raises(ValidationError) as caught:
        CustomerSummary(frequency=1, recency=1, T=2, monetary_value=value)
    assert (caught.value.path, caught.value.code) == ("$.monetary_value", "too_long")
    with pytest.raises(ValidationError) as caught:
        CustomerSummary(
            frequency=1,
            recency=1,
            T=2,
            monetary_value=Decimal(0),
            frequency_holdout=1,
            monetary_value_holdout=value,
            duration_holdout=4,
        )
    assert caught.value.path == "$.monetary_value_holdout"
