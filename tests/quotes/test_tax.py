"""Tests for `crmcore.quotes._tax`: tax rules, tables and the Indonesian PPN table."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.errors import InvalidType, ValidationError
from crmcore.quotes import TaxRule, TaxTable, ppn_indonesia, quote_totals
from crmcore.testing.strategies._quotes import tax_rules, tax_tables

from ._helpers import line


def test_rate_is_a_fraction_and_floats_are_refused() -> None:
    """Rates run from 0 to 1; 12 (meaning percent) and floats are refused with their path."""
    with pytest.raises(ValidationError) as caught:
        TaxRule("vat", Decimal(12), category="standard", valid_from=date(2020, 1, 1))
    assert (caught.value.path, caught.value.code) == ("$.rate", "range")
    with pytest.raises(InvalidType) as typed:
        TaxRule("vat", 0.1, category="standard", valid_from=date(2020, 1, 1))  # type: ignore[arg-type]
    assert typed.value.path == "$.rate"


@pytest.mark.parametrize(
    ("kwargs", "path", "code"),
    [
        ({"valid_until": date(2020, 1, 1)}, "$.valid_until", "period"),
        ({"base_numerator": 13, "base_denominator": 12}, "$.base_numerator", "range"),
        ({"base_denominator": 0}, "$.base_denominator", "range"),
        ({"category": "Standard Goods"}, "$.category", "name"),
    ],
)
def test_rule_refusals_name_the_field(kwargs: dict[str, object], path: str, code: str) -> None:
    """A rule that breaks a rule is refused at the field it breaks."""
    base: dict[str, object] = {"category": "standard", "valid_from": date(2020, 1, 1)}
    with pytest.raises(ValidationError) as caught:
        TaxRule("vat", Decimal("0.1"), **{**base, **kwargs})  # type: ignore[arg-type]
    assert (caught.value.path, caught.value.code) == (path, code)


def test_overlapping_rules_are_refused_at_the_later_rule() -> None:
    """Two rules of one category sharing a day: code overlap, path of the later one."""
    first = TaxRule("a", Decimal("0.1"), category="standard", valid_from=date(2020, 1, 1))
    other = TaxRule("b", Decimal("0.1"), category="reduced", valid_from=date(2020, 1, 1))
    second = TaxRule(
        "c",
        Decimal("0.2"),
        category="standard",
        valid_from=date(2019, 1, 1),
        valid_until=date(2020, 1, 2),
    )
    with pytest.raises(ValidationError) as caught:
        TaxTable([first, other, second])
    assert (caught.value.path, caught.value.code) == ("$.rules[2]", "overlap")


def test_adjacent_rules_do_not_overlap() -> None:
    """``valid_until`` is exclusive: a rule may start the day the previous one ends."""
    table = TaxTable(
        [
            TaxRule(
                "a",
                Decimal("0.1"),
                category="standard",
                valid_from=date(2020, 1, 1),
                valid_until=date(2021, 1, 1),
            ),
            TaxRule("b", Decimal("0.2"), category="standard", valid_from=date(2021, 1, 1)),
        ]
    )
    assert table.rule_for("standard", date(2020, 12, 31)).code == "a"
    assert table.rule_for("standard", date(2021, 1, 1)).code == "b"


@given(tax_rules(), tax_rules())
def test_overlap_is_symmetric_and_matches_day_by_day(a: TaxRule, b: TaxRule) -> None:
    """Two rules overlap exactly when some day lies in both periods (and the category is one)."""
    assert a.overlaps(b) == b.overlaps(a)
    end_a = a.valid_until or date.max
    end_b = b.valid_until or date.max
    shared = max(a.valid_from, b.valid_from) < min(end_a, end_b)
    assert a.overlaps(b) == (a.category == b.category and shared)


@given(tax_tables(), st.dates(min_value=date(2022, 4, 1), max_value=date(2100, 1, 1)))
def test_generated_tables_rate_every_category_once(table: TaxTable, day: date) -> None:
    """Exactly one rule applies to each category on any day the table covers (brute force)."""
    for category in table.categories:
        applying = [r for r in table.rules if r.category == category and r.applies_on(day)]
        assert len(applying) == 1
        assert table.rule_for(category, day) == applying[0]


@given(tax_tables(ppn=False), tax_rules())
def test_adding_a_rule_is_refused_exactly_when_it_overlaps(table: TaxTable, rule: TaxRule) -> None:
    """``with_rules`` refuses a rule iff it overlaps one of the table's; nothing else changes."""
    clashes = any(rule.overlaps(existing) for existing in table.rules)
    if clashes:
        with pytest.raises(ValidationError) as caught:
            table.with_rules([rule])
        assert caught.value.code == "overlap"
        assert caught.value.path == f"$.rules[{len(table.rules)}]"
    else:
        assert table.with_rules([rule]).rules[-1] == rule


def test_missing_rule_is_an_error_not_a_zero() -> None:
    """A category without a rule on the day raises no_tax_rule; unknown categories too."""
    table = ppn_indonesia()
    with pytest.raises(ValidationError) as caught:
        table.rule_for("standard", date(2022, 3, 31))
    assert (caught.value.path, caught.value.code) == ("$.category", "no_tax_rule")
    with pytest.raises(ValidationError):
        table.rule_for("groceries", date(2025, 3, 1))


@pytest.mark.parametrize(
    ("category", "day", "rate", "effective"),
    [
        # UU 7/2021 (HPP) Art. 7(1): 11% from 1 April 2022.
        ("standard", date(2022, 4, 1), "0.11", Fraction(11, 100)),
        ("luxury", date(2024, 12, 31), "0.11", Fraction(11, 100)),
        # PMK 131/2024: 12% on a DPP of 11/12 for non-luxury goods and services.
        ("standard", date(2025, 1, 1), "0.12", Fraction(11, 100)),
        # PMK 131/2024 transition: luxury goods in January 2025 also on 11/12.
        ("luxury", date(2025, 1, 31), "0.12", Fraction(11, 100)),
        # From 1 February 2025 luxury goods pay 12% on the full price.
        ("luxury", date(2025, 2, 1), "0.12", Fraction(12, 100)),
        ("exempt", date(2025, 2, 1), "0", Fraction(0)),
    ],
)
def test_ppn_indonesia_rates(category: str, day: date, rate: str, effective: Fraction) -> None:
    """The PPN table gives the published nominal and effective rates."""
    rule = ppn_indonesia().rule_for(category, day)
    assert (rule.rate, rule.effective_rate) == (Decimal(rate), effective)


def test_ppn_published_example_rp_50_million() -> None:
    """PMK 131/2024 illustration: Rp 50 juta, DPP nilai lain 45.83 juta, PPN Rp 5.5 juta."""
    totals = quote_totals(
        [line("50000000", "IDR")],
        currency="IDR",
        tax_table=ppn_indonesia(),
        on=date(2025, 3, 1),
    )
    (breakdown,) = totals.taxes
    assert breakdown.tax == Money("5500000", "IDR")
    # 50,000,000 * 11/12 = 45,833,333.333... rupiah, rounded to the sen.
    assert breakdown.base == Money("45833333.33", "IDR")
    assert (breakdown.rate, breakdown.base_numerator, breakdown.base_denominator) == (
        Decimal("0.12"),
        11,
        12,
    )


def test_table_of_too_many_rules_is_refused() -> None:
    """More than MAX_TAX_RULES rules is refused before any is compared."""
    day = date(2000, 1, 1)
    rules = [
        TaxRule(
            "v",
            Decimal(0),
            category="standard",
            valid_from=day + timedelta(days=i),
            valid_until=day + timedelta(days=i + 1),
        )
        for i in range(201)
    ]
    with pytest.raises(ValidationError) as caught:
        TaxTable(rules)
    assert (caught.value.path, caught.value.code) == ("$.rules", "too_many")
