"""Match rules: which fields to compare, their weights, and when a pair is a candidate.

Rules are plain data: frozen attrs classes that :func:`crmcore.serialization.to_dict`
writes and :func:`~crmcore.serialization.from_dict` reads back, checked field by
field (weights, similarities and thresholds are Decimals, written as strings).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import Final

import attrs

from crmcore._kernel._checks import (
    check_name,
    check_unique,
    enum_converter,
    items_of,
    limit,
    positive_int,
    to_decimal,
    type_name,
)
from crmcore.errors import InvalidType, ValidationError


class MatchField(StrEnum):
    """A field two parties are compared on.

    ``email`` and ``phone`` are exact (on the normalized address and E.164
    number: similarity 1 when the two parties share one, else 0); ``name`` and
    ``address`` are fuzzy (from 0 to 1).
    """

    EMAIL = "email"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"


#: The fields compared exactly.
EXACT_FIELDS: Final = frozenset({MatchField.EMAIL, MatchField.PHONE})

#: Most fields one rule may name (each at most once).
MAX_RULE_FIELDS: Final = len(MatchField)
#: Most rules one rule set may hold.
MAX_RULES: Final = 32
#: Largest weight of one field.
MAX_WEIGHT: Final = 1000
#: Largest ``max_block_size`` a rule set may ask for.
MAX_BLOCK_SIZE: Final = 10_000
#: Largest ``window`` a rule set may ask for.
MAX_WINDOW: Final = 1000


def _number(value: object, path: str) -> Decimal:
    """A Decimal from a Decimal, an int, a numeric str or a finite float (by its shortest repr)."""
    if isinstance(value, float):
        value = repr(value)
        if value in {"nan", "inf", "-inf"}:
            raise ValidationError(
                "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
            )
    if not isinstance(value, (Decimal, int, str)):
        raise InvalidType(f"must be a number, not {type_name(value)}", path=path)
    return to_decimal(value, path)


def _check_range(value: object, path: str, *, high: int, open_low: bool, rule: str) -> Decimal:
    number = _number(value, path)
    if not (number > 0 if open_low else number >= 0) or number > high:
        raise ValidationError(rule, path=path, code="range")
    return number


def _weight(value: object) -> Decimal:
    rule = f"must be above 0 and at most {MAX_WEIGHT}"
    return _check_range(value, "$.weight", high=MAX_WEIGHT, open_low=True, rule=rule)


def _min_similarity(value: object) -> Decimal:
    rule = "must be a similarity from 0 to 1"
    return _check_range(value, "$.min_similarity", high=1, open_low=False, rule=rule)


def _threshold(value: object) -> Decimal:
    rule = "must be above 0 and at most 1"
    return _check_range(value, "$.threshold", high=1, open_low=True, rule=rule)


def _field(value: object) -> MatchField:
    return enum_converter(MatchField, "$.field")(value)


@attrs.frozen(slots=True)
class FieldWeight:
    """One field of a rule: its weight in the rule's score and the least similarity it needs.

    Attributes:
        field: the :class:`MatchField` compared.
        weight: how much the field counts in the rule's weighted mean (above 0, at most 1000).
        min_similarity: the rule does not hold when this field's similarity is
            below it (0 to 1; 0 lets the weights decide alone). For an exact
            field any value above 0 means "must be equal".

    >>> FieldWeight("name", weight=2, min_similarity=0.8)
    FieldWeight(field=<MatchField.NAME: 'name'>, weight=Decimal('2'), min_similarity=Decimal('0.8'))

    .. versionadded:: 0.1
    """

    field: MatchField = attrs.field(converter=_field)
    weight: Decimal = attrs.field(default=Decimal(1), converter=_weight, kw_only=True)
    min_similarity: Decimal = attrs.field(
        default=Decimal(0), converter=_min_similarity, kw_only=True
    )


def _rule_name(value: object) -> str:
    return check_name(value, "$.name")


def _rule_fields(value: object) -> tuple[FieldWeight, ...]:
    fields = items_of(
        value, FieldWeight, "$.fields", "a FieldWeight", max_items=MAX_RULE_FIELDS, noun="fields"
    )
    if not fields:
        raise ValidationError("must name at least one field", path="$.fields", code="empty")
    check_unique(fields, attrgetter("field"), "$.fields[{}].field", "must not name a field twice")
    return fields


@attrs.frozen(slots=True)
class MatchRule:
    """A named way two parties can be the same: fields, weights and a threshold.

    The rule *applies* to a pair when both parties have every field it names
    (a missing value is neither agreement nor disagreement). It *holds* when
    it applies, no field is below its ``min_similarity``, and the weighted
    mean of the field similarities reaches ``threshold``; that mean is the
    rule's score.

    >>> rule = MatchRule(
    ...     "email_and_name",
    ...     [FieldWeight("email", min_similarity=1), FieldWeight("name", min_similarity=0.8)],
    ...     threshold=0.9,
    ... )
    >>> rule.name, [f.field.value for f in rule.fields], rule.threshold
    ('email_and_name', ['email', 'name'], Decimal('0.9'))

    .. versionadded:: 0.1
    """

    name: str = attrs.field(converter=_rule_name)
    fields: tuple[FieldWeight, ...] = attrs.field(
        converter=_rule_fields, metadata=limit(MAX_RULE_FIELDS)
    )
    threshold: Decimal = attrs.field(default=Decimal("0.9"), converter=_threshold, kw_only=True)

    def necessary(self) -> tuple[MatchField, ...]:
        """The fields without whose agreement the rule can never hold.

        A field is necessary when it has a ``min_similarity`` above 0, or when
        every other field agreeing perfectly still leaves the weighted mean
        below the threshold. Blocking relies on them (see ``docs/duplicates.md``).
        """
        total = sum((f.weight for f in self.fields), Decimal(0))
        return tuple(
            f.field
            for f in self.fields
            if f.min_similarity > 0 or (total - f.weight) < self.threshold * total
        )


def _rules(value: object) -> tuple[MatchRule, ...]:
    rules = items_of(value, MatchRule, "$.rules", "a MatchRule", max_items=MAX_RULES, noun="rules")
    if not rules:
        raise ValidationError("must hold at least one rule", path="$.rules", code="empty")
    check_unique(rules, attrgetter("name"), "$.rules[{}].name", "must not repeat a rule name")
    return rules


def _max_block_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.max_block_size")
    if not 2 <= value <= MAX_BLOCK_SIZE:
        raise ValidationError(
            f"must be from 2 to {MAX_BLOCK_SIZE}", path="$.max_block_size", code="range"
        )
    return value


def _window(value: object) -> int:
    return positive_int(value, "$.window", maximum=MAX_WINDOW)


@attrs.frozen(slots=True)
class MatchRuleSet:
    """The rules a duplicate search applies, and the limits of its blocking.

    A pair of parties is a candidate when at least one rule holds; its score
    is the best score of the rules that hold.

    Attributes:
        rules: one to 32 rules with distinct names, applied in this order.
        max_block_size: the most parties one block compares all against all
            (2 to 10,000). A larger block (a placeholder email thousands of
            records share, a very common name in one postal code) is compared
            by a sliding window instead, so no input makes the work quadratic.
        window: in a block above ``max_block_size``, each party is compared
            with the ``window`` parties after it in name order (1 to 1,000).

    .. versionadded:: 0.1
    """

    rules: tuple[MatchRule, ...] = attrs.field(converter=_rules, metadata=limit(MAX_RULES))
    max_block_size: int = attrs.field(default=200, converter=_max_block_size, kw_only=True)
    window: int = attrs.field(default=10, converter=_window, kw_only=True)


#: The default rules: a shared email or phone number with a similar name, or a very
#: similar name at a similar address. An email or phone alone is never enough (families
#: share them), nor is a name alone.
DEFAULT_RULES: Final = MatchRuleSet(
    (
        MatchRule(
            "email_and_name",
            (
                FieldWeight(MatchField.EMAIL, min_similarity=Decimal(1)),
                FieldWeight(MatchField.NAME, min_similarity=Decimal("0.8")),
            ),
            threshold=Decimal("0.9"),
        ),
        MatchRule(
            "phone_and_name",
            (
                FieldWeight(MatchField.PHONE, min_similarity=Decimal(1)),
                FieldWeight(MatchField.NAME, min_similarity=Decimal("0.8")),
            ),
            threshold=Decimal("0.9"),
        ),
        MatchRule(
            "name_and_address",
            (
                FieldWeight(MatchField.NAME, weight=Decimal(3), min_similarity=Decimal("0.88")),
                FieldWeight(MatchField.ADDRESS, weight=Decimal(2), min_similarity=Decimal("0.8")),
            ),
            threshold=Decimal("0.9"),
        ),
    )
)
