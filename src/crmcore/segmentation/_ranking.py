"""Scoring values into ranked bins: quantiles with ties kept together, or fixed edges.

Quantile scores are rank based. Sort the n values; a group of equal values
occupying (0-based) positions ``s .. e-1`` is placed at the percentile of its
middle, ``p = (s + e) / (2n)`` (``(mid + 0.5) / n``, so a lone value at
position r sits at ``(r + 0.5) / n``), and scores::

    score = floor(p * k) + 1

With all values distinct this puts ``floor(n/k)`` or ``ceil(n/k)`` values
in every bin, and a population of equal values scores in the middle bin. Equal values always share a score (two customers who behave
the same are scored the same), so ties can make bins uneven: a bin differs
from ``n/k`` by less than twice the largest tie group. The result depends
only on the values, never on input order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar

from crmcore._kernel._checks import type_name
from crmcore._kernel._money import Money
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
Number = int | Decimal

#: Most bins a score may have.
MAX_BINS: Final = 100


def _number(value: object, path: str) -> Number:
    if isinstance(value, bool):
        raise InvalidType("must be a number, not bool", path=path)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(
                "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(
                "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
            )
        return Decimal(repr(value))
    raise InvalidType(f"must be a number or Money, not {type_name(value)}", path=path)


def numeric_values(
    values: Mapping[K, object], path: str = "$.values"
) -> tuple[dict[K, Number], str | None]:
    """The values as exact numbers, and their currency if they were Money.

    Money amounts must share one currency and may not be mixed with plain
    numbers. Floats (statistical model outputs) become the Decimal of their
    shortest representation.
    """
    if not isinstance(values, Mapping):
        raise InvalidType(
            f"must be a mapping of keys to values, not {type_name(values)}", path=path
        )
    currency: str | None = None
    out: dict[K, Number] = {}
    saw_number = False
    for index, (key, value) in enumerate(values.items()):
        # Entries are named by their position, as every mapping's are: a key may be a
        # customer id, which is personal data and never goes into an error.
        where = f"{path}[{index}]"
        if isinstance(value, Money):
            if saw_number:
                raise InvalidType("must not mix Money and plain numbers", path=where)
            if currency is None:
                currency = value.currency
            elif value.currency != currency:
                raise CurrencyMismatch(
                    f"must all be in one currency: {currency} and {value.currency} are mixed",
                    path=where,
                )
            out[key] = value.amount
        else:
            if currency is not None:
                raise InvalidType("must not mix Money and plain numbers", path=where)
            saw_number = True
            out[key] = _number(value, where)
    return out, currency


def edge_number(value: object, currency: str | None, path: str) -> Number:
    """An edge or threshold, in the same terms as the values (Money of their currency)."""
    if isinstance(value, Money):
        if currency is None:
            raise InvalidType("must be a plain number, as the values are", path=path)
        if value.currency != currency:
            raise CurrencyMismatch(
                f"must be in {currency}, the values' currency, not {value.currency}", path=path
            )
        return value.amount
    if currency is not None:
        raise InvalidType(f"must be Money in {currency}, as the values are", path=path)
    return _number(value, path)


def tie_groups(values: Mapping[K, Number]) -> list[list[K]]:
    """Keys grouped by equal value, groups in ascending value order, keys by their text."""
    ordered = sorted(values, key=lambda key: (values[key], str(key)))
    groups: list[list[K]] = []
    previous: Any = None
    for key in ordered:
        value = values[key]
        if groups and value == previous:
            groups[-1].append(key)
        else:
            groups.append([key])
        previous = value
    return groups


def by_middle_rank(values: Mapping[K, Number], place: Callable[[int], T]) -> dict[K, T]:
    """``place`` of each key's tie group, given as twice its middle rank, keys in input order.

    A group of equal values at (0-based) sorted positions ``s .. e-1`` is
    placed by ``place(s + e)``: the percentile of its middle is
    ``(s + e) / (2n)``, so ``place`` works in integers.
    """
    placed: dict[K, T] = {}
    start = 0
    for group in tie_groups(values):
        end = start + len(group)
        answer = place(start + end)
        for key in group:
            placed[key] = answer
        start = end
    return {key: placed[key] for key in values}


def _check_bins(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise InvalidType(f"must be an int, not {type_name(k)}", path="$.k")
    if not 2 <= k <= MAX_BINS:
        raise ValidationError(f"must be from 2 to {MAX_BINS}", path="$.k", code="out_of_range")
    return k


def quantile_scores(
    values: Mapping[K, object], *, k: int = 5, higher_is_better: bool = True
) -> dict[K, int]:
    """Scores 1..k by rank quantiles (quintiles for k=5), ties kept together.

    With ``higher_is_better=False`` (recency in days) the lowest values get
    the highest score. Values are numbers or Money of one currency.

    >>> quantile_scores({"a": 10, "b": 20, "c": 30, "d": 40, "e": 50})
    {'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5}
    >>> quantile_scores({"a": 1, "b": 1, "c": 2, "d": 9}, k=2)
    {'a': 1, 'b': 1, 'c': 2, 'd': 2}
    >>> quantile_scores({"a": 3, "b": 9, "c": 30, "d": 60, "e": 90}, higher_is_better=False)
    {'a': 5, 'b': 4, 'c': 3, 'd': 2, 'e': 1}
    """
    bins = _check_bins(k)
    numbers, _ = numeric_values(values)
    n = len(numbers)

    def score(twice_middle: int) -> int:
        # floor(p * k) + 1 with p = twice_middle / 2n, in integers.
        rank_score = (twice_middle * bins) // (2 * n) + 1
        return rank_score if higher_is_better else bins + 1 - rank_score

    return by_middle_rank(numbers, score)


def threshold_scores(
    values: Mapping[K, object], edges: Sequence[object], *, higher_is_better: bool = True
) -> dict[K, int]:
    """Scores 1..len(edges)+1 from fixed edges: bins are ``[edge_i, edge_i+1)``.

    Edges must increase strictly. A value equal to an edge belongs to the bin
    above it. With ``higher_is_better=False`` the bin of the lowest values
    scores highest.

    >>> threshold_scores({"a": 5, "b": 30, "c": 400}, [30, 90, 180, 365], higher_is_better=False)
    {'a': 5, 'b': 4, 'c': 1}
    """
    numbers, currency = numeric_values(values)
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Sequence):
        raise InvalidType(f"must be a sequence of edges, not {type_name(edges)}", path="$.edges")
    bounds = [edge_number(edge, currency, f"$.edges[{i}]") for i, edge in enumerate(edges)]
    if not 1 <= len(bounds) <= MAX_BINS - 1:
        raise ValidationError(
            f"must hold 1 to {MAX_BINS - 1} edges", path="$.edges", code="edge_count"
        )
    for index in range(1, len(bounds)):
        if bounds[index] <= bounds[index - 1]:
            raise ValidationError(
                "must increase strictly", path=f"$.edges[{index}]", code="edge_order"
            )
    top = len(bounds) + 1
    scores: dict[K, int] = {}
    for key, value in numbers.items():
        score = 1 + sum(1 for bound in bounds if value >= bound)
        scores[key] = score if higher_is_better else top + 1 - score
    return scores
