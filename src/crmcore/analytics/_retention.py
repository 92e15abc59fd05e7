"""Retention and churn: per period, by acquisition cohort, and the classic formula.

Activity-based retention, from orders: a customer is *active* in a period
when they ordered in it. Of the customers active in one period, the share
active again in the next is that period's retention rate; the rest churned.
A cohort is the customers whose first order fell in one period; the cohort
matrix shows, for each cohort, the share active k periods later.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import date, datetime, tzinfo
from typing import Any, Final

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._fields import Checked, check_fields
from crmcore._kernel._numbers import Tabular
from crmcore._kernel._records import read_order_times
from crmcore._kernel._time import TimeUnit
from crmcore.analytics._periods import Buckets, check_tz
from crmcore.errors import InvalidType, ValidationError

#: Most periods :func:`retention_by_period` lists (192 years of weeks).
MAX_PERIODS: Final = 10_000
#: Most cells (cohorts times offsets) a :func:`cohort_retention` matrix holds.
MAX_CELLS: Final = 1_000_000


def _count(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if value < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    return value


def retention_rate(
    *, customers_at_start: int, customers_at_end: int, new_customers: int
) -> float | None:
    """The customer retention rate of a period: ``(E - N) / S``.

    ``S`` customers at the start, ``E`` at the end, ``N`` acquired during the
    period (the standard CRR formula). ``None`` when ``S`` is 0.

    >>> retention_rate(customers_at_start=200, customers_at_end=210, new_customers=30)
    0.9

    Raises:
        ValidationError: a count is negative, ``N > E``, or ``E - N > S``.
    """
    start = _count(customers_at_start, "$.customers_at_start")
    end = _count(customers_at_end, "$.customers_at_end")
    new = _count(new_customers, "$.new_customers")
    if new > end:
        raise ValidationError(
            "must not exceed customers_at_end", path="$.new_customers", code="count_order"
        )
    if end - new > start:
        raise ValidationError(
            "customers kept (end - new) must not exceed customers_at_start",
            path="$.customers_at_end",
            code="count_order",
        )
    return (end - new) / start if start else None


def churn_rate(*, customers_at_start: int, customers_lost: int) -> float | None:
    """The share of the customers at the start of a period lost during it (``None`` if none).

    >>> churn_rate(customers_at_start=200, customers_lost=18)
    0.09
    """
    start = _count(customers_at_start, "$.customers_at_start")
    lost = _count(customers_lost, "$.customers_lost")
    if lost > start:
        raise ValidationError(
            "must not exceed customers_at_start", path="$.customers_lost", code="count_order"
        )
    return lost / start if start else None


@attrs.frozen(slots=True)
class PeriodRetention(Checked, Tabular):
    """Activity in one period, compared with the period before.

    Attributes:
        period: the first day of the period.
        label: ``2026-01`` or ``2026-W05``.
        active: customers who ordered in the period.
        new: of them, those whose first order ever it was.
        retained: of them, those also active in the previous period.
        reactivated: of them, returning after at least one inactive period.
        previous_active: customers active in the previous period.
        churned: of those, the ones not active in this period.
        retention_rate: ``retained / previous_active`` (``None`` if no one was active before).
        churn_rate: ``churned / previous_active`` (``None`` likewise).
    """

    period: date
    label: str
    active: int
    new: int
    retained: int
    reactivated: int
    previous_active: int
    churned: int
    retention_rate: float | None
    churn_rate: float | None


def _read(
    orders: Iterable[object], unit: Buckets, tz: tzinfo, end: datetime | None
) -> tuple[dict[int, set[Hashable]], dict[Hashable, int]]:
    active: dict[int, set[Hashable]] = {}
    first: dict[Hashable, int] = {}
    for row in read_order_times(orders, until=end):
        index = unit.of(row.at, tz, f"$.orders[{row.position}].at")
        active.setdefault(index, set()).add(row.customer_id)
        if row.customer_id not in first or index < first[row.customer_id]:
            first[row.customer_id] = index
    return active, first


def retention_by_period(
    orders: Iterable[object],
    *,
    granularity: TimeUnit | str = TimeUnit.MONTH,
    tz: tzinfo | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[PeriodRetention, ...]:
    """Retention and churn for every period from the first order's (or ``start``'s) to the last's.

    Orders are ``(customer_id, at, amount)`` tuples or objects with those
    attributes; those after ``end`` are left out. Periods without orders are
    listed too (with zero activity). No orders (and no ``start``/``end``)
    gives an empty tuple.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> jan, feb = (
    ...     datetime(2026, 1, 9, tzinfo=timezone.utc),
    ...     datetime(2026, 2, 9, tzinfo=timezone.utc),
    ... )
    >>> orders = [
    ...     ("a", jan, Money("1", "USD")),
    ...     ("b", jan, Money("1", "USD")),
    ...     ("a", feb, Money("1", "USD")),
    ... ]
    >>> [(p.label, p.active, p.retained, p.churn_rate) for p in retention_by_period(orders)]
    [('2026-01', 2, 0, None), ('2026-02', 1, 1, 0.5)]
    """
    unit = Buckets(granularity)
    zone = check_tz(tz)
    until = None if end is None else require_aware(end, "$.end")
    since = None if start is None else require_aware(start, "$.start")
    active, first = _read(orders, unit, zone, until)
    indexes = set(active)
    if since is not None:
        indexes.add(unit.of(since, zone, "$.start"))
    if until is not None:
        indexes.add(unit.of(until, zone, "$.end"))
    if not indexes:
        return ()
    low = unit.of(since, zone, "$.start") if since is not None else min(indexes)
    high = unit.of(until, zone, "$.end") if until is not None else max(indexes)
    if low > high:
        raise ValidationError("must not be after end", path="$.start", code="order")
    if high - low + 1 > MAX_PERIODS:
        raise ValidationError(
            f"must span at most {MAX_PERIODS:,} periods (choose a later start or an earlier end)",
            path="$.start" if since is not None else "$.orders",
            code="too_many",
        )
    seen_before: set[Hashable] = {c for c, f in first.items() if f < low}
    rows: list[PeriodRetention] = []
    for index in range(low, high + 1):
        now = active.get(index, set())
        before = active.get(index - 1, set())
        retained = len(now & before)
        new = sum(1 for c in now if first[c] == index)
        reactivated = sum(1 for c in now - before if c in seen_before)
        churned = len(before - now)
        rows.append(
            PeriodRetention(
                period=unit.start(index),
                label=unit.label(index),
                active=len(now),
                new=new,
                retained=retained,
                reactivated=reactivated,
                previous_active=len(before),
                churned=churned,
                retention_rate=retained / len(before) if before else None,
                churn_rate=churned / len(before) if before else None,
            )
        )
        seen_before |= now
    return tuple(rows)


@attrs.frozen(slots=True)
class CohortMatrix(Checked, Tabular):
    """Retention by acquisition cohort: who of each cohort was active k periods later.

    Attributes:
        granularity: the period length.
        cohorts: the first day of each cohort's period, oldest first.
        labels: the cohorts as text (``2026-01``).
        sizes: customers in each cohort.
        active: for each cohort, customers active at offsets 0, 1, ... up to
            the last period observed (so later cohorts have shorter rows).
    """

    granularity: TimeUnit
    cohorts: tuple[date, ...]
    labels: tuple[str, ...]
    sizes: tuple[int, ...]
    active: tuple[tuple[int, ...], ...]

    def __attrs_post_init__(self) -> None:
        check_fields(self)
        count = len(self.cohorts)
        for name in ("labels", "sizes", "active"):
            if len(getattr(self, name)) != count:
                raise ValidationError(
                    "must hold one item per cohort", path=f"$.{name}", code="length_mismatch"
                )
        for index, (size, row) in enumerate(zip(self.sizes, self.active, strict=True)):
            if size < 1:
                raise ValidationError(
                    "must be at least 1 (a cohort has members)",
                    path=f"$.sizes[{index}]",
                    code="too_small",
                )
            if any(not 0 <= cell <= size for cell in row):
                raise ValidationError(
                    "must count from 0 to the cohort's size",
                    path=f"$.active[{index}]",
                    code="range",
                )

    @property
    def rates(self) -> tuple[tuple[float, ...], ...]:
        """``active / size`` for every cell (offset 0 is always 1.0)."""
        return tuple(
            tuple(count / size for count in row)
            for size, row in zip(self.sizes, self.active, strict=True)
        )

    def rate(self, cohort: int, offset: int) -> float | None:
        """The share of cohort number ``cohort`` active ``offset`` periods later (``None`` if unobserved)."""
        for name, value in (("cohort", cohort), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidType(f"must be an int, not {type_name(value)}", path=f"$.{name}")
        if not 0 <= cohort < len(self.cohorts) or not 0 <= offset < len(self.active[cohort]):
            return None
        return self.active[cohort][offset] / self.sizes[cohort]

    def average(self, offset: int) -> float | None:
        """Retention at ``offset`` across every cohort observed that long, weighted by size.

        ``None`` when no cohort was observed that long.

        Raises:
            ValidationError: ``offset`` is not an int of 0 or more.
        """
        offset = _count(offset, "$.offset")
        reached = [
            (size, row[offset])
            for size, row in zip(self.sizes, self.active, strict=True)
            if offset < len(row)
        ]
        total = sum(size for size, _ in reached)
        return sum(count for _, count in reached) / total if total else None

    def to_columns(self) -> dict[str, list[Any]]:
        """The matrix in long form: one row per cohort and offset observed.

        Columns ``cohort`` (the label), ``cohort_start`` (its first day), ``size``,
        ``offset``, ``active`` and ``rate`` (``active / size``): what a heatmap or a
        pivot table takes.
        """
        columns: dict[str, list[Any]] = {
            name: [] for name in ("cohort", "cohort_start", "size", "offset", "active", "rate")
        }
        for label, start, size, row in zip(
            self.labels, self.cohorts, self.sizes, self.active, strict=True
        ):
            for offset, count in enumerate(row):
                columns["cohort"].append(label)
                columns["cohort_start"].append(start)
                columns["size"].append(size)
                columns["offset"].append(offset)
                columns["active"].append(count)
                columns["rate"].append(count / size)
        return columns

    def render(self, *, max_offsets: int = 12) -> str:
        """The matrix as a text table of percentages.

        >>> from datetime import datetime, timezone
        >>> from crmcore import Money
        >>> t = lambda m: datetime(2026, m, 3, tzinfo=timezone.utc)
        >>> usd = Money("5", "USD")
        >>> orders = [("a", t(1), usd), ("b", t(1), usd), ("a", t(2), usd), ("c", t(2), usd)]
        >>> print(cohort_retention(orders).render())
        cohort    size    +0    +1
        2026-01      2  100%   50%
        2026-02      1  100%
        """
        limit = _count(max_offsets, "$.max_offsets")
        width = min(limit, max((len(row) for row in self.active), default=0))
        header = "cohort    size" + "".join(f"{'+' + str(k):>6}" for k in range(width))
        lines = [header]
        for label, size, row in zip(self.labels, self.sizes, self.active, strict=True):
            cells = "".join(f"{round(100 * count / size):>5}%" for count in row[:width])
            lines.append(f"{label:<8}{size:>6}{cells}")
        return "\n".join(line.rstrip() for line in lines)


def cohort_retention(
    orders: Iterable[object],
    *,
    granularity: TimeUnit | str = TimeUnit.MONTH,
    tz: tzinfo | None = None,
    end: datetime | None = None,
) -> CohortMatrix:
    """The cohort retention matrix: cohorts by the period of each customer's first order.

    The last period observed is ``end``'s (orders after it are left out) or
    the last order's. No orders gives an empty matrix.
    """
    unit = Buckets(granularity)
    zone = check_tz(tz)
    until = None if end is None else require_aware(end, "$.end")
    active, first = _read(orders, unit, zone, until)
    if not first:
        return CohortMatrix(unit.unit, (), (), (), ())
    last = unit.of(until, zone, "$.end") if until is not None else max(active)
    members: dict[int, set[Hashable]] = {}
    for customer, index in first.items():
        members.setdefault(index, set()).add(customer)
    cohorts = sorted(members)
    cells = sum(last - c + 1 for c in cohorts)
    if cells > MAX_CELLS:
        raise ValidationError(
            f"would hold more than {MAX_CELLS:,} cells (choose a coarser granularity or an "
            "earlier end)",
            path="$.orders",
            code="too_many",
        )
    rows = tuple(
        tuple(len(members[c] & active.get(c + k, set())) for k in range(last - c + 1))
        for c in cohorts
    )
    return CohortMatrix(
        granularity=unit.unit,
        cohorts=tuple(unit.start(c) for c in cohorts),
        labels=tuple(unit.label(c) for c in cohorts),
        sizes=tuple(len(members[c]) for c in cohorts),
        active=rows,
    )
