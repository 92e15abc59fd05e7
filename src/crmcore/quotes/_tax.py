"""Tax rules and tables: which rate applies to a product tax category on a day.

A :class:`TaxRule` says that goods or services of one tax *category*
(``"standard"``, ``"luxury"``, ``"exempt"``, ...) are taxed at ``rate`` from
``valid_from`` up to, not including, ``valid_until``. The rate is a
**fraction**: ``Decimal("0.12")`` is 12%. Some laws tax only part of the price
(a reduced tax base); ``base_numerator``/``base_denominator`` give that part as
an exact fraction (Indonesia's "DPP nilai lain" is 11/12 of the price, which no
Decimal holds exactly). The *effective* rate is ``rate * base``.

A :class:`TaxTable` holds rules whose validity never overlaps within one
category, so that exactly one rule (or none) applies to a category on a day.
A category with no rule on a day is an error (``no_tax_rule``), never a silent
zero: goods that bear no tax get an explicit rule of rate 0 (such as the
``"exempt"`` category of :func:`ppn_indonesia`).

>>> from datetime import date
>>> table = ppn_indonesia()
>>> rule = table.rule_for("standard", date(2025, 3, 1))
>>> rule.code, rule.rate, rule.base_fraction, rule.effective_rate
('ppn_12_dpp_11_12', Decimal('0.12'), Fraction(11, 12), Fraction(11, 100))
>>> table.rate_for("luxury", date(2025, 3, 1))
Decimal('0.12')
>>> table.rule_for("standard", date(2022, 1, 1))
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.category: no tax rule of this category applies on that day
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

import attrs

from crmcore._kernel._checks import (
    check_name,
    items_of,
    limit,
    require_date,
    to_decimal,
    type_name,
)
from crmcore.errors import InvalidType, ValidationError

#: Most rules one tax table may hold.
MAX_TAX_RULES: Final = 200
#: Largest denominator of a rule's tax base fraction.
MAX_BASE_DENOMINATOR: Final = 1_000_000


def _code(value: object) -> str:
    return check_name(value, "$.code")


def _rate(value: object) -> Decimal:
    rate = to_decimal(value, "$.rate")
    if not 0 <= rate <= 1:
        raise ValidationError(
            "must be a fraction from 0 to 1 (Decimal('0.12') is 12%)", path="$.rate", code="range"
        )
    return rate


def _category(value: object) -> str:
    return check_name(value, "$.category")


def _valid_from(value: object) -> date:
    return require_date(value, "$.valid_from")


def _valid_until(value: object) -> date | None:
    return None if value is None else require_date(value, "$.valid_until")


def _base_part(path: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
        if not 1 <= value <= MAX_BASE_DENOMINATOR:
            raise ValidationError(
                f"must be from 1 to {MAX_BASE_DENOMINATOR}", path=path, code="range"
            )

    return check


@attrs.frozen(slots=True)
class TaxRule:
    """One tax rate for one product tax category over a period of days.

    Args:
        code: a snake_case name of the rule, printed on the quote's tax
            summary (``"ppn_12_dpp_11_12"``).
        rate: the nominal rate as a **fraction** from 0 to 1
            (``Decimal("0.12")`` is 12%); floats are refused.
        category: the product tax category it applies to (snake_case).
        valid_from: the first day it applies.
        valid_until: the first day it no longer applies (exclusive), or
            ``None`` for open-ended.
        base_numerator, base_denominator: the share of the amount the rate
            is charged on (the tax base), ``1/1`` unless the law says
            otherwise; the numerator may not exceed the denominator.

    >>> from datetime import date
    >>> TaxRule("vat", Decimal("0.2"), category="standard", valid_from=date(2011, 1, 4))
    TaxRule(code='vat', rate=Decimal('0.2'), category='standard', valid_from=datetime.date(2011, 1, 4), valid_until=None, base_numerator=1, base_denominator=1)

    .. versionadded:: 0.1
    """

    code: str = attrs.field(converter=_code)
    rate: Decimal = attrs.field(converter=_rate)
    category: str = attrs.field(kw_only=True, converter=_category)
    valid_from: date = attrs.field(kw_only=True, converter=_valid_from)
    valid_until: date | None = attrs.field(default=None, kw_only=True, converter=_valid_until)
    base_numerator: int = attrs.field(
        default=1, kw_only=True, validator=_base_part("$.base_numerator")
    )
    base_denominator: int = attrs.field(
        default=1, kw_only=True, validator=_base_part("$.base_denominator")
    )

    def __attrs_post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValidationError(
                "must be after valid_from (it is the first day the rule no longer applies)",
                path="$.valid_until",
                code="period",
            )
        if self.base_numerator > self.base_denominator:
            raise ValidationError(
                "must not exceed base_denominator: the tax base is at most the whole amount",
                path="$.base_numerator",
                code="range",
            )

    @property
    def base_fraction(self) -> Fraction:
        """The share of the amount taxed, exactly (``Fraction(11, 12)``)."""
        return Fraction(self.base_numerator, self.base_denominator)

    @property
    def effective_rate(self) -> Fraction:
        """``rate * base_fraction``, exactly: the tax per unit of amount."""
        return Fraction(self.rate) * self.base_fraction

    def applies_on(self, on: date) -> bool:
        """True if the rule applies on the day ``on``."""
        day = require_date(on, "$.on")
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    def overlaps(self, other: TaxRule) -> bool:
        """True if both rules are of one category and their periods share a day.

        Raises:
            InvalidType: ``other`` is not a :class:`TaxRule`.
        """
        if type(other) is not TaxRule:
            raise InvalidType(f"must be a TaxRule, not {type_name(other)}", path="$.other")
        if self.category != other.category:
            return False
        ends_after = other.valid_until is None or self.valid_from < other.valid_until
        starts_before = self.valid_until is None or other.valid_from < self.valid_until
        return ends_after and starts_before


def _rules(value: object) -> tuple[TaxRule, ...]:
    return items_of(value, TaxRule, "$.rules", "a TaxRule", max_items=MAX_TAX_RULES, noun="rules")


@attrs.frozen(slots=True)
class TaxTable:
    """Tax rules of which at most one applies to a category on any day.

    Raises:
        ValidationError: a rule overlaps an earlier one of its category
            (``$.rules[i]``, code ``overlap``, ``i`` the later rule); more
            than :data:`MAX_TAX_RULES` rules (``$.rules``, ``too_many``).

    .. versionadded:: 0.1
    """

    rules: tuple[TaxRule, ...] = attrs.field(converter=_rules, metadata=limit(MAX_TAX_RULES))

    def __attrs_post_init__(self) -> None:
        # At most MAX_TAX_RULES rules: the pairwise check is bounded (20,000 pairs).
        for index, rule in enumerate(self.rules):
            for earlier in range(index):
                if rule.overlaps(self.rules[earlier]):
                    raise ValidationError(
                        f"must not overlap rule {earlier} of the same category "
                        "(validity periods share a day)",
                        path=f"$.rules[{index}]",
                        code="overlap",
                    )

    @property
    def categories(self) -> frozenset[str]:
        """Every category some rule of the table names."""
        return frozenset(rule.category for rule in self.rules)

    def rule_for(self, category: str, on: date) -> TaxRule:
        """The rule that applies to ``category`` on the day ``on``.

        Raises:
            ValidationError: no rule of that category applies that day
                (``$.category``, code ``no_tax_rule``); ``category`` is not a
                snake_case name; ``on`` is not a date (``$.on``).
        """
        wanted = check_name(category, "$.category")
        day = require_date(on, "$.on")
        for rule in self.rules:
            if rule.category == wanted and rule.applies_on(day):
                return rule
        raise ValidationError(
            "no tax rule of this category applies on that day",
            path="$.category",
            code="no_tax_rule",
        )

    def rate_for(self, category: str, on: date) -> Decimal:
        """The nominal rate (a fraction) of :meth:`rule_for`; see its effective rate for the base."""
        return self.rule_for(category, on).rate

    def with_rules(self, rules: Iterable[TaxRule]) -> TaxTable:
        """A table with ``rules`` added after this one's (checked for overlaps the same way)."""
        return TaxTable((*self.rules, *_rules(rules)))


# -- Indonesia --------------------------------------------------------------------------------

#: The day the 11% PPN rate took effect: UU No. 7/2021 (UU HPP), Art. 7(1)(a).
PPN_11_FROM: Final = date(2022, 4, 1)
#: The day the 12% PPN rate took effect: UU HPP Art. 7(1)(b); PMK 131/2024 applies it.
PPN_12_FROM: Final = date(2025, 1, 1)
#: The first day luxury goods pay 12% on the full price (PMK 131/2024, transition in January 2025).
PPN_LUXURY_FULL_FROM: Final = date(2025, 2, 1)

#: The categories of :func:`ppn_indonesia`.
PPN_CATEGORIES: Final = ("standard", "luxury", "exempt")


def ppn_indonesia() -> TaxTable:
    """Indonesian VAT (PPN) from 1 April 2022, as a tax table.

    Categories:

    ``standard``
        most goods and services: 11% from 1 April 2022 (UU No. 7/2021 "HPP",
        Art. 7(1)); from 1 January 2025 12% charged on a tax base ("DPP nilai
        lain") of 11/12 of the price (PMK No. 131/2024 Art. 3), an effective 11%.
    ``luxury``
        goods also subject to the sales tax on luxury goods (PPnBM; the PPnBM
        itself is not modelled): 11% from 1 April 2022; in January 2025 12% on
        11/12 of the price (the transition of PMK 131/2024); from 1 February
        2025 12% on the full price (PMK 131/2024 Art. 2).
    ``exempt``
        goods and services that bear no PPN (rate 0), so that a quote names
        their treatment explicitly.

    Dates before 1 April 2022 have no rule (``no_tax_rule``).

    >>> from datetime import date
    >>> [r.code for r in ppn_indonesia().rules if r.applies_on(date(2025, 1, 15))]
    ['ppn_12_dpp_11_12', 'ppn_12_luxury_dpp_11_12', 'ppn_exempt']
    """
    # Sources (checked December 2024 / January 2025 press copies of the regulations):
    # UU 7/2021 Art. 7(1): 11% from 1 April 2022, 12% no later than 1 January 2025;
    # PMK 131/2024 Art. 2-3: 12% for PPnBM goods (11/12 base during January 2025),
    # 12% on a base of 11/12 of the price for all other goods and services.
    standard, luxury, exempt = PPN_CATEGORIES
    eleven = Decimal("0.11")
    twelve = Decimal("0.12")
    dpp = {"base_numerator": 11, "base_denominator": 12}
    return TaxTable(
        (
            TaxRule(
                "ppn_11", eleven, category=standard, valid_from=PPN_11_FROM, valid_until=PPN_12_FROM
            ),
            TaxRule("ppn_12_dpp_11_12", twelve, category=standard, valid_from=PPN_12_FROM, **dpp),
            TaxRule(
                "ppn_11_luxury",
                eleven,
                category=luxury,
                valid_from=PPN_11_FROM,
                valid_until=PPN_12_FROM,
            ),
            TaxRule(
                "ppn_12_luxury_dpp_11_12",
                twelve,
                category=luxury,
                valid_from=PPN_12_FROM,
                valid_until=PPN_LUXURY_FULL_FROM,
                **dpp,
            ),
            TaxRule("ppn_12_luxury", twelve, category=luxury, valid_from=PPN_LUXURY_FULL_FROM),
            TaxRule("ppn_exempt", Decimal(0), category=exempt, valid_from=PPN_11_FROM),
        )
    )
