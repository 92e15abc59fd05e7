"""Shared helpers of the column tests: optional column libraries, and rows-vs-columns checks.

Shared by the tests that read columns of every form: a missing library skips the
test locally and fails it under CI (``CI=true``), where the test extra installs them.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType

from tests._optional import optional

from crmcore.clv import summarize

#: The optional libraries whose columns crmcore reads.
LIBRARIES = ("numpy", "pandas", "polars", "pyarrow")


def libraries() -> dict[str, ModuleType]:
    """The optional column libraries by name (a skip or, under CI, a failure without one)."""
    return {name: optional(name) for name in LIBRARIES}


#: Epoch seconds are counted from here in the minor-unit tests.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def by_rows(rows, options, scale):
    """``summarize`` over ``(customer, epoch second, minor units)`` rows as Decimal rows."""
    return summarize(
        [
            (customer, EPOCH + timedelta(seconds=second), Decimal(units).scaleb(-scale))
            for customer, second, units in rows
        ],
        **options,
    )


def same(table, expected):
    """Two summary tables equal to the very ids, types and Decimal exponents."""
    assert list(table) == list(expected)
    # The very ids (1 and 1.0 are equal keys, but the table keeps the first purchase's).
    assert [type(customer) for customer in table] == [type(customer) for customer in expected]
    assert table.currency == expected.currency
    for customer, summary in expected.items():
        mine = table[customer]
        assert mine == summary
        assert type(mine.recency) is type(summary.recency)
        # The very Decimal: value and exponent.
        assert str(mine.monetary_value) == str(summary.monetary_value)
