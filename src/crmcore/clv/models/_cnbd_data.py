"""Summaries and checks for the (M)BG/CNBD-k models: ``(frequency, recency, T, litt)``.

The (M)BG/CNBD-k likelihood (Platzer & Reutterer 2016) needs, besides the usual
``(x, t_x, T)``, the sum of the logarithms of each customer's inter-transaction
times, ``litt``. :func:`cnbd_summary` computes all four from a transaction log.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

from crmcore._kernel._checks import type_name
from crmcore.clv.models._data import (
    MAX_ROWS,
    Checker,
    check_rfm,
    column,
    compress,
    number,
    require_nonempty,
    same_length,
    weights_column,
)
from crmcore.errors import InvalidType, ValidationError

#: Slack allowed above the bound ``x log(t_x / x)`` of ``litt`` (rounding of summaries).
_LITT_SLACK = 1e-6


def cnbd_summary(
    transactions: Iterable[Sequence[object]], *, observation_end: float | None = None
) -> dict[str, list[float] | list[object]]:
    """``(frequency, recency, T, litt)`` of each customer from ``(customer, time)`` pairs.

    Times are numbers in the model's unit (for example days / 7 for weeks).
    Purchases of one customer at the same time count once; purchases after
    ``observation_end`` (default: the latest time) are left out, and so are
    customers whose first purchase comes after it. ``frequency`` counts repeat
    purchases, ``recency`` is the time from the first to the last purchase,
    ``T`` from the first purchase to ``observation_end``, and ``litt`` the sum
    of the logarithms of the times between consecutive purchases (0 without
    repeat purchases), as Platzer & Reutterer (2016) use it.

    Returns:
        Columns ``customer`` (in order of first appearance), ``frequency``,
        ``recency``, ``T`` and ``litt``, ready for ``fit(**...)`` once
        ``customer`` is dropped.

    Raises:
        InvalidType: ``transactions`` is not an iterable of pairs, a customer
            is not hashable, or a time is not a number.
        ValidationError: a pair has the wrong length, a time or
            ``observation_end`` is not finite, or nothing is left to summarize.

    >>> table = cnbd_summary([("a", 0.0), ("a", 2.0), ("a", 5.0), ("b", 1.0)], observation_end=6.0)
    >>> table["frequency"], table["recency"], table["T"]
    ([2.0, 0.0], [5.0, 0.0], [6.0, 5.0])
    >>> round(table["litt"][0], 4)  # log 2 + log 3
    1.7918
    """
    if isinstance(transactions, (str, bytes, dict)) or not isinstance(transactions, Iterable):
        raise InvalidType(
            f"must be an iterable of (customer, time) pairs, not {type_name(transactions)}",
            path="$.transactions",
        )
    times: dict[object, set[float]] = {}
    checker = Checker()
    for index, item in enumerate(transactions):
        where = f"$.transactions[{index}]"
        if index >= MAX_ROWS:
            raise ValidationError(
                f"must hold at most {MAX_ROWS:,} items", path="$.transactions", code="too_many"
            )
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence):
            raise InvalidType(f"must be a (customer, time) pair, not {type_name(item)}", path=where)
        if len(item) != 2:
            if checker.add(where, "must be a (customer, time) pair", "shape"):
                break
            continue
        customer, time = item
        try:
            hash(customer)
        except TypeError:
            raise InvalidType(
                f"must be hashable (an id), not {type_name(customer)}", path=f"{where}[0]"
            ) from None
        times.setdefault(customer, set()).add(number(time, f"{where}[1]"))
    checker.raise_if_any()
    end = (
        max((max(v) for v in times.values()), default=0.0)
        if observation_end is None
        else number(observation_end, "$.observation_end")
    )
    out: dict[str, list[object]] = {k: [] for k in ("customer", "frequency", "recency", "T")}
    litts: list[float] = []
    for customer, moments in times.items():
        kept = sorted(t for t in moments if t <= end)
        if not kept:
            continue
        first = kept[0]
        out["customer"].append(customer)
        out["frequency"].append(float(len(kept) - 1))
        out["recency"].append(kept[-1] - first)
        out["T"].append(end - first)
        litts.append(math.fsum(math.log(b - a) for a, b in itertools.pairwise(kept)))
    require_nonempty("transactions", len(litts))
    result: dict[str, list[float] | list[object]] = dict(out)
    result["litt"] = litts
    return result


def litt_bound(x: float, t_x: float) -> float:
    """The largest ``litt`` possible: ``x`` gaps summing to ``t_x`` (AM-GM), ``x log(t_x/x)``."""
    if x == 0:
        return 0.0
    if t_x <= 0:
        return -math.inf
    return x * math.log(t_x / x)


def check_cnbd(  # noqa: PLR0917 - one row's columns.
    checker: Checker, index: int, x: float, t_x: float, t: float, litt: float
) -> bool:
    """The rules of a ``(frequency, recency, T, litt)`` row."""
    before = len(checker.problems)
    if check_rfm(checker, index, x, t_x, t):
        return True
    if len(checker.problems) > before:
        return False  # the row is already wrong: no litt rule on top
    where = f"$.litt[{index}]"
    if x == 0 and litt != 0:
        return checker.add(
            where, "must be 0 when frequency is 0 (no inter-transaction times)", "litt_nonzero"
        )
    bound = litt_bound(x, t_x)
    if bound == -math.inf or litt > bound + _LITT_SLACK * max(1.0, abs(bound)):
        return checker.add(
            where,
            "must not exceed frequency * log(recency / frequency) "
            "(a sum of log gaps adding up to recency)",
            "litt_above_bound",
        )
    return False


def load_cnbd(
    frequency: object,
    recency: object,
    T: object,  # noqa: N803 - the literature's name.
    litt: object,
    weights: object,
) -> tuple[list[tuple[float, ...]], list[float], float]:
    """Checked, compressed ``(x, t_x, T)`` rows, their weights and ``sum w * litt``.

    ``litt`` only enters the likelihood through a constant, so rows are
    compressed on ``(x, t_x, T)`` alone; with ``litt=None`` the sum is 0.
    """
    names = ("frequency", "recency", "T")
    columns = [(n, column(v, n)) for n, v in zip(names, (frequency, recency, T), strict=True)]
    if litt is not None:
        columns.append(("litt", column(litt, "litt")))
    size = same_length("frequency", columns)
    require_nonempty("frequency", size)
    checker = Checker()
    values = [items for _, items in columns]
    for index, row in enumerate(zip(*values, strict=True)):
        stop = (
            check_cnbd(checker, index, *row)
            if litt is not None
            else check_rfm(checker, index, *row)
        )
        if stop:
            break
    checker.raise_if_any()
    w = weights_column(weights, size)
    total = 0.0 if litt is None else math.fsum(v * wi for v, wi in zip(values[3], w, strict=True))
    rows, counts = compress(zip(*values[:3], strict=True), w)
    return rows, counts, total
