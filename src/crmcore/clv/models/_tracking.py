"""Tracking curves: a cohort's repeat transactions by period, expected and actual.

The papers' tracking plots (Fader, Hardie & Lee 2005, "Counting Your
Customers the Easy Way", figures 2 and 3; Fader, Hardie & Lee 2005, "RFM and
CLV", figure 2) compare, period by period, the repeat transactions a cohort
actually made with those the model expects: customer ``i``, whose first
purchase is at ``t_i``, is expected to have made ``E[X(t - t_i)]`` repeat
purchases by time ``t`` (the model's new-customer expectation), and the
cohort's expected cumulative curve is the sum over its customers.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._numbers import Tabular
from crmcore.clv.models._data import (
    MAX_COUNT,
    MAX_HORIZON,
    Checker,
    column,
    column_items,
    is_scalar,
    number,
    require_nonempty,
    same_length,
    weights_column,
)
from crmcore.clv.models._forecast import Forecaster, check_new_customer_steps
from crmcore.errors import InvalidType, ValidationError

#: Most (first purchase, period end) pairs one curve may add up: distinct first purchases
#: times period ends (a few hundred nanoseconds each).
MAX_TRACKING_PAIRS = 2_000_000
#: Most new-customer forecasts one curve may need, one per distinct span from a first
#: purchase to a period end: the cost of a curve, bounded on hostile input (a BG/NBD
#: forecast past its series costs some 7 to 10 microseconds: 50,000 about half a second).
MAX_TRACKING_WORK = 50_000


@attrs.frozen(slots=True)
class TrackingCurve(Checked, Tabular):
    """Repeat transactions of a cohort by period.

    Attributes:
        period_ends: the end of each period on the cohort's clock (the first
            period runs from the start of the clock to the first end).
        cumulative: repeat transactions up to each period's end.
        incremental: repeat transactions within each period.
    """

    period_ends: tuple[float, ...]
    cumulative: tuple[float, ...]
    incremental: tuple[float, ...]

    def to_columns(self) -> dict[str, list[Any]]:
        """The curve as columns ``period_end``, ``cumulative``, ``incremental``."""
        return {
            "period_end": list(self.period_ends),
            "cumulative": list(self.cumulative),
            "incremental": list(self.incremental),
        }

    @property
    def total(self) -> float:
        """Repeat transactions up to the last period's end."""
        return self.cumulative[-1]

    def between(self, start: float, end: float) -> float:
        """Repeat transactions after the period ending at ``start`` up to the one ending at ``end``.

        ``start`` of 0 counts from the beginning; both must be period ends (or 0).
        """
        first = number(start, "$.start")  # before any comparison: a signalling NaN raises
        low = 0.0 if first == 0 else self.cumulative[self._index(first, "start")]
        return self.cumulative[self._index(number(end, "$.end"), "end")] - low

    def _index(self, value: float, name: str) -> int:
        i = bisect.bisect_left(self.period_ends, value)
        if i == len(self.period_ends) or self.period_ends[i] != value:
            raise ValidationError("must be one of the period ends", path=f"$.{name}", code="range")
        return i


def _check_time(checker: Checker, where: str, value: float, *, whole: bool) -> bool:
    """A time on the cohort's clock: at most :data:`MAX_HORIZON`, whole for opportunities."""
    if value > MAX_HORIZON:
        return checker.add(where, f"must be at most {MAX_HORIZON:,g}", "too_large")
    if whole and value != math.floor(value):
        return checker.add(where, "must be a whole number of opportunities", "not_whole")
    return False


def _period_ends(value: object, *, whole: bool) -> tuple[float, ...]:
    """``N`` (periods 1..N) or an increasing sequence of positive period ends."""
    path = "$.period_ends"
    if is_scalar(value):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidType(
                f"must be an int or a sequence of numbers, not {type_name(value)}", path=path
            )
        if not 1 <= value <= MAX_COUNT:
            raise ValidationError(f"must be from 1 to {MAX_COUNT:,}", path=path, code="range")
        return tuple(float(k) for k in range(1, value + 1))
    ends = column(value, "period_ends")
    require_nonempty("period_ends", len(ends))
    if len(ends) > MAX_COUNT:
        raise ValidationError(f"must hold at most {MAX_COUNT:,} items", path=path, code="too_many")
    checker = Checker()
    previous = 0.0
    for index, end in enumerate(ends):
        where = f"{path}[{index}]"
        if end <= previous:
            rule = "must be positive" if index == 0 else "must be greater than the previous end"
            stop = checker.add(where, rule, "not_increasing")
        else:
            stop = _check_time(checker, where, end, whole=whole)
        if stop:
            break
        previous = max(previous, end)
    checker.raise_if_any()
    return tuple(ends)


def _first_purchase_column(values: object, *, whole: bool) -> list[float]:
    starts = column(values, "first_purchase")
    require_nonempty("first_purchase", len(starts))
    checker = Checker()
    for index, start in enumerate(starts):
        where = f"$.first_purchase[{index}]"
        if start < 0:
            stop = checker.add(where, "must not be negative", "negative")
        else:
            stop = _check_time(checker, where, start, whole=whole)
        if stop:
            break
    checker.raise_if_any()
    return starts


def _curve(ends: tuple[float, ...], cumulative: Sequence[float]) -> TrackingCurve:
    incremental = [cumulative[0]] + [b - a for a, b in itertools.pairwise(cumulative)]
    return TrackingCurve(ends, tuple(cumulative), tuple(incremental))


def expected_repeat_transactions(
    model: object,
    first_purchase: Iterable[float],
    period_ends: int | Iterable[float],
    *,
    weights: Iterable[float] | None = None,
) -> TrackingCurve:
    """The repeat transactions a cohort is expected to make, by period.

    ``cumulative[k] = sum_i w_i E[X(max(0, end_k - t_i))]`` with ``E[X(t)]``
    the model's :meth:`expected_purchases_new` (Fader, Hardie & Lee 2005,
    eq. 7 for BG/NBD; each model cites its own). Customers sharing a first
    purchase time are computed once.

    Args:
        model: a fitted BetaGeo, ModifiedBetaGeo, ParetoNBD or BetaGeoBetaBinom
            (for BG/BB, first purchases and period ends count opportunities
            and must be whole).
        first_purchase: each customer's first-purchase time on the cohort's
            clock (0 = the start of the tracking), in the model's period.
        period_ends: ``N`` for periods ending at 1, 2, ..., N, or the ends.
        weights: customers each row stands for (default one each).

    Example:
        >>> from crmcore.clv import BetaGeo
        >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> curve = expected_repeat_transactions(bg, [0.0, 0.0, 1.5], 3)
        >>> [round(v, 4) for v in curve.cumulative]
        [0.1065, 0.2338, 0.3804]
        >>> [round(v, 4) for v in curve.incremental]
        [0.1065, 0.1273, 0.1466]
    """
    if not isinstance(model, Forecaster):
        raise InvalidType(
            "must be a purchase model (BetaGeo, ModifiedBetaGeo, ParetoNBD, "
            f"BetaGeoBetaBinom, BetaGeoCnbd, ModifiedBetaGeoCnbd), not {type_name(model)}",
            path="$.model",
        )
    whole = model._whole  # noqa: SLF001 - same package.
    starts = _first_purchase_column(first_purchase, whole=whole)
    w = weights_column(weights, len(starts))
    ends = _period_ends(period_ends, whole=whole)
    return _curve(ends, cumulative_expected(model, starts, w, ends))


def cumulative_expected(
    model: Forecaster, starts: Sequence[float], weights: Sequence[float], ends: Sequence[float]
) -> list[float]:
    """``sum_i w_i E[X(max(0, end - t_i))]`` at each of the increasing ``ends`` (checked inputs).

    Customers sharing a start are computed once; a start at or after an end
    adds nothing to it.
    """
    cohorts: dict[float, float] = {}
    for start, weight in zip(starts, weights, strict=True):
        cohorts[start] = cohorts.get(start, 0.0) + weight
    if len(cohorts) * len(ends) > MAX_TRACKING_PAIRS:
        raise ValidationError(
            f"needs more than {MAX_TRACKING_PAIRS:,} pairs of a first purchase and a period "
            "end: round the first purchases to the period grid or give fewer ends",
            path="$.first_purchase",
            code="too_much_work",
        )
    work: list[tuple[float, int, list[float]]] = []
    for start, weight in sorted(cohorts.items()):
        first = bisect.bisect_right(ends, start)
        if weight != 0 and first < len(ends):
            work.append((weight, first, [end - start for end in ends[first:]]))
    # Cohorts on the period grid share their spans: each distinct span is forecast once
    # (a forecast does not depend on the other spans asked with it).
    spans = sorted({span for _, _, spans in work for span in spans})
    if len(spans) > MAX_TRACKING_WORK:
        raise ValidationError(
            f"needs more than {MAX_TRACKING_WORK:,} forecasts (distinct spans from a first "
            "purchase to a period end): round the first purchases to the period grid or give "
            "fewer ends",
            path="$.first_purchase",
            code="too_much_work",
        )
    # A model whose forecasts are series as long as their spans: bounded before any work.
    check_new_customer_steps(model, spans, "$.period_ends")
    # The spans come from checked ends and first purchases: the model's own forecasts take
    # them as they are (expected_purchases_new would check each one again).
    one = model._new_customer()  # noqa: SLF001 - same package.
    forecast = dict(zip(spans, model._new_customer_many(one, spans), strict=True))  # noqa: SLF001
    totals = [0.0] * len(ends)
    for weight, first, cohort in work:
        for k, value in enumerate(map(forecast.__getitem__, cohort), start=first):
            totals[k] += weight * value
    return totals


def _usable_key(item: object) -> bool:
    """A customer id that hashes and equals itself (not NaN; a signalling NaN cannot hash)."""
    if isinstance(item, Decimal):
        return not item.is_nan()  # quiet or signalling; an ordinary Decimal hashes
    if isinstance(item, float) and math.isnan(item):
        return False
    try:
        hash(item)
    except TypeError:
        return False
    return True


def _customer_keys(customers: object) -> list[Hashable]:
    path = "$.customers"
    if isinstance(customers, (str, bytes, dict)) or not isinstance(customers, Iterable):
        raise InvalidType(
            f"must be a sequence of customer ids, not {type_name(customers)}", path=path
        )
    items = list(column_items(customers))
    for index, item in enumerate(items):
        if not _usable_key(item):
            raise InvalidType("must be a hashable customer id (not NaN)", path=f"{path}[{index}]")
    return items


def first_purchases(customers: Iterable[Hashable], times: Iterable[float]) -> dict[Hashable, float]:
    """Each customer's first transaction time, from ``(customer, time)`` transactions.

    Example:
        >>> first_purchases(["a", "b", "a"], [2.0, 1.0, 0.5])
        {'a': 0.5, 'b': 1.0}
    """
    keys, stamps = _transactions(customers, times)
    first: dict[Hashable, float] = {}
    for key, time in zip(keys, stamps, strict=True):
        known = first.get(key)
        if known is None or time < known:
            first[key] = time
    return first


def _transactions(customers: object, times: object) -> tuple[list[Hashable], list[float]]:
    keys = _customer_keys(customers)
    stamps = column(times, "times")
    same_length("customers", [("customers", [0.0] * len(keys)), ("times", stamps)])
    require_nonempty("customers", len(keys))
    checker = Checker()
    for index, time in enumerate(stamps):
        if time < 0 and checker.add(f"$.times[{index}]", "must not be negative", "negative"):
            break
    checker.raise_if_any()
    return keys, stamps


def actual_repeat_transactions(
    customers: Iterable[Hashable],
    times: Iterable[float],
    period_ends: int | Iterable[float],
    *,
    merge_same_time: bool = True,
) -> TrackingCurve:
    """The repeat transactions a cohort actually made, by period.

    Every transaction after each customer's first is a repeat transaction;
    with ``merge_same_time`` (the default) a customer's transactions at the
    same time count once, as the models' histories count them (``summarize``
    and lifetimes collapse a customer's purchases within one period).
    Transactions after the last period end are left out.

    Args:
        customers: the customer of each transaction (any hashable id).
        times: the time of each transaction on the cohort's clock, in the
            model's period (for example days since the cohort's start / 7).
        period_ends: ``N`` for periods ending at 1, 2, ..., N, or the ends.
        merge_same_time: count a customer's transactions at one time once.

    Example:
        >>> curve = actual_repeat_transactions(["a", "a", "a", "b", "b"], [0, 0.5, 2.5, 1, 1], 3)
        >>> curve.incremental
        (1.0, 0.0, 1.0)
    """
    if not isinstance(merge_same_time, bool):
        raise InvalidType(
            f"must be a bool, not {type_name(merge_same_time)}", path="$.merge_same_time"
        )
    keys, stamps = _transactions(customers, times)
    ends = _period_ends(period_ends, whole=False)
    first = first_purchases(keys, stamps)
    counts = [0.0] * len(ends)
    seen: set[tuple[Hashable, float]] = set()
    skipped: set[Hashable] = set()
    for key, time in sorted(zip(keys, stamps, strict=True), key=lambda item: item[1]):
        if merge_same_time:
            if (key, time) in seen:
                continue
            seen.add((key, time))
        if time == first[key] and key not in skipped:
            skipped.add(key)  # the first transaction is not a repeat
            continue
        k = bisect.bisect_left(ends, time)
        if k < len(ends):
            counts[k] += 1.0
    cumulative = []
    running = 0.0
    for value in counts:
        running += value
        cumulative.append(running)
    return _curve(ends, cumulative)
