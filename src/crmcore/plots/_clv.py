"""CLV figures: history matrices, calibration against holdout, period transactions, tracking.

Each figure has a pure data function (no matplotlib) that asks the model and
the model-checking functions of :mod:`crmcore.clv` for its numbers, and a
``plot_*`` function that draws exactly those numbers on a new ``Figure``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Final, Literal, cast

import attrs

from crmcore._kernel._fields import Checked
from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    BetaGeoCnbd,
    HoldoutMetrics,
    ModifiedBetaGeo,
    ModifiedBetaGeoCnbd,
    ParetoNBD,
    actual_repeat_transactions,
    expected_repeat_transactions,
    first_purchases,
    goodness_of_fit,
    holdout_metrics,
)
from crmcore.errors import ValidationError
from crmcore.plots._common import (
    bounded,
    checked_title,
    masked,
    new_figure,
    of_type,
    real,
    title_text,
    whole,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The purchase models a history figure accepts.
HistoryModel = (
    BetaGeo | ModifiedBetaGeo | ParetoNBD | BetaGeoCnbd | ModifiedBetaGeoCnbd | BetaGeoBetaBinom
)
_MODELS: Final = (
    BetaGeo,
    ModifiedBetaGeo,
    ParetoNBD,
    BetaGeoCnbd,
    ModifiedBetaGeoCnbd,
    BetaGeoBetaBinom,
)
_MODEL_NAMES: Final = (
    "a purchase model (BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoCnbd, "
    "ModifiedBetaGeoCnbd or BetaGeoBetaBinom)"
)
#: Most rows (frequencies) and columns (recencies) of a history matrix.
MAX_MATRIX_SIDE: Final = 200
#: Longest age ``T`` and horizon ``t`` of a history matrix, in the model's period.
MAX_MATRIX_SPAN: Final = 100_000.0
#: Most customers (rows) a calibration, period-transactions or tracking figure reads.
MAX_FIGURE_ROWS: Final = 1_000_000
#: Most distinct holdout durations a calibration figure takes (each costs a forecast call).
MAX_DURATIONS: Final = 1_000
#: Largest open-tail start of the calibration and period-transactions figures.
MAX_BUCKETS: Final = 100

Quantity = Literal["expected_purchases", "probability_alive"]


@attrs.frozen(slots=True)
class HistoryMatrix(Checked):
    """A model's prediction for every ``(frequency, recency)`` history of one age.

    Attributes:
        quantity: ``"expected_purchases"`` or ``"probability_alive"``.
        model: the model's class name.
        age: the customers' age ``T`` (BG/BB: ``periods``).
        horizon: the span ``t`` of the expected purchases (None for P(alive)).
        frequencies: the rows: repeat purchases 0, 1, ... ``max_frequency``.
        recencies: the columns: the time of the last repeat purchase, 0 to ``age``.
        values: ``values[i][j]`` for ``frequencies[i]`` and ``recencies[j]``;
            None where the model has no such history (BG/BB: more purchases
            than opportunities up to the recency). A customer without repeat
            purchases has no recency: row 0 repeats that customer's value.
    """

    quantity: Quantity
    model: str
    age: float
    horizon: float | None
    frequencies: tuple[int, ...]
    recencies: tuple[float, ...]
    values: tuple[tuple[float | None, ...], ...]


def _history_matrix(
    quantity: Quantity,
    model: object,
    *,
    t: object,
    T: object,  # noqa: N803 - the literature's name.
    max_frequency: object,
    columns: object,
) -> HistoryMatrix:
    checked = cast("HistoryModel", of_type(model, _MODELS, "$.model", _MODEL_NAMES))
    discrete = isinstance(checked, BetaGeoBetaBinom)
    age = real(T, "$.T", maximum=MAX_MATRIX_SPAN)
    top = whole(max_frequency, "$.max_frequency", minimum=1, maximum=MAX_MATRIX_SIDE - 1)
    span = None if t is None else real(t, "$.t", maximum=MAX_MATRIX_SPAN)
    if discrete:
        if age != math.floor(age) or age > MAX_MATRIX_SIDE - 1:
            raise ValidationError(
                f"must be a whole number of opportunities up to {MAX_MATRIX_SIDE - 1} "
                "for BetaGeoBetaBinom",
                path="$.T",
                code="not_whole",
            )
        if columns is not None:
            raise ValidationError(
                "must be None for BetaGeoBetaBinom (one column per opportunity)",
                path="$.columns",
                code="not_supported",
            )
        if span is not None and span != math.floor(span):
            raise ValidationError(
                "must be a whole number of opportunities for BetaGeoBetaBinom",
                path="$.t",
                code="not_whole",
            )
        recencies = tuple(float(j) for j in range(int(age) + 1))
    else:
        default = max(2, min(math.floor(age) + 1, MAX_MATRIX_SIDE))
        count = (
            default
            if columns is None
            else whole(columns, "$.columns", minimum=2, maximum=MAX_MATRIX_SIDE)
        )
        recencies = tuple(age * j / (count - 1) for j in range(count))
    frequencies = tuple(range(top + 1))
    cells = [(0, 0.0)] + [
        (x, r) for x in frequencies[1:] for r in recencies if not discrete or x <= r
    ]
    xs = [float(x) for x, _ in cells]
    rs = [r for _, r in cells]
    ages = [age] * len(cells)
    if quantity == "probability_alive":
        answers = checked.probability_alive(xs, rs, ages)
    else:
        answers = checked.expected_purchases(1.0 if span is None else span, xs, rs, ages)
    found = {cell: float(v) for cell, v in zip(cells, answers, strict=True)}
    rows: list[tuple[float | None, ...]] = [tuple(found[0, 0.0] for _ in recencies)]
    rows.extend(tuple(found.get((x, r)) for r in recencies) for x in frequencies[1:])
    return HistoryMatrix(
        quantity=quantity,
        model=type(checked).__name__,
        age=age,
        horizon=(1.0 if span is None else span) if quantity == "expected_purchases" else None,
        frequencies=frequencies,
        recencies=recencies,
        values=tuple(rows),
    )


def frequency_recency_matrix(
    model: HistoryModel,
    *,
    T: float,  # noqa: N803 - the literature's name.
    max_frequency: int,
    t: float = 1.0,
    columns: int | None = None,
) -> HistoryMatrix:
    """Expected purchases in the next ``t`` periods for every frequency and recency at age ``T``.

    The lifetimes "frequency/recency matrix": row ``i`` is ``i`` repeat
    purchases, column ``j`` a last purchase at ``recencies[j]``, each value the
    model's own :meth:`expected_purchases` for that history.

    Args:
        model: a fitted BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoCnbd,
            ModifiedBetaGeoCnbd or BetaGeoBetaBinom.
        T: the customers' age, positive, at most 100,000 periods (BG/BB: a
            whole number of opportunities up to 199).
        max_frequency: the last row, 1 to 199.
        t: the forecast's span (BG/BB: whole opportunities).
        columns: recencies evenly spaced from 0 to ``T``, 2 to 200; default
            one per whole period up to 200 (BG/BB: one per opportunity; must be None).

    Raises:
        InvalidType: not such a model, or an argument of the wrong type.
        ValidationError: an argument out of range (naming it).
        NotFittedError: the model has no parameters.

    >>> from crmcore.clv import BetaGeo
    >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> m = frequency_recency_matrix(bg, T=4, max_frequency=2, t=1)
    >>> m.recencies
    (0.0, 1.0, 2.0, 3.0, 4.0)
    >>> [round(v, 3) for v in m.values[2]] == [
    ...     round(bg.expected_purchases(1, 2, r, 4), 3) for r in m.recencies
    ... ]
    True
    """
    return _history_matrix(
        "expected_purchases", model, t=t, T=T, max_frequency=max_frequency, columns=columns
    )


def probability_alive_matrix(
    model: HistoryModel,
    *,
    T: float,  # noqa: N803 - the literature's name.
    max_frequency: int,
    columns: int | None = None,
) -> HistoryMatrix:
    """P(alive) at age ``T`` for every frequency and recency (the lifetimes matrix).

    Arguments as :func:`frequency_recency_matrix` (without ``t``).

    >>> from crmcore.clv import BetaGeo
    >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> m = probability_alive_matrix(bg, T=38.86, max_frequency=2, columns=2)
    >>> m.recencies
    (0.0, 38.86)
    >>> m.values[2] == (bg.probability_alive(2, 0, 38.86), bg.probability_alive(2, 38.86, 38.86))
    True
    """
    return _history_matrix(
        "probability_alive", model, t=None, T=T, max_frequency=max_frequency, columns=columns
    )


def _plot_matrix(data: HistoryMatrix, title: str, label: str) -> Figure:
    figure = new_figure(7.0, 5.5)
    axes = figure.add_subplot()
    image = axes.imshow(masked(data.values), aspect="auto", cmap="viridis", origin="upper")
    figure.colorbar(image, ax=axes, label=label)
    steps = len(data.recencies)
    ticks = sorted({round(k * (steps - 1) / 5) for k in range(6)})
    axes.set_xticks(ticks, [f"{data.recencies[k]:g}" for k in ticks])
    rows = len(data.frequencies)
    y_ticks = sorted({round(k * (rows - 1) / 5) for k in range(6)})
    axes.set_yticks(y_ticks, [str(data.frequencies[k]) for k in y_ticks])
    axes.set_xlabel("recency (time of the last repeat purchase)")
    axes.set_ylabel("frequency (repeat purchases)")
    axes.set_title(title, parse_math=False)
    return figure


def plot_frequency_recency_matrix(
    model: HistoryModel,
    *,
    T: float,  # noqa: N803 - the literature's name.
    max_frequency: int,
    t: float = 1.0,
    columns: int | None = None,
    title: str | None = None,
) -> Figure:
    """The :func:`frequency_recency_matrix` as a heat map (frequency down, recency across).

    ``title`` replaces the default title (at most 200 characters). Returns a
    new matplotlib ``Figure``; nothing is shown or written.

    Raises:
        ValidationError: as :func:`frequency_recency_matrix`; matplotlib is not
            installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = frequency_recency_matrix(model, T=T, max_frequency=max_frequency, t=t, columns=columns)
    default = f"Expected purchases in the next {data.horizon:g} periods at age {data.age:g}"
    return _plot_matrix(data, title_text(title, default), "expected purchases")


def plot_probability_alive_matrix(
    model: HistoryModel,
    *,
    T: float,  # noqa: N803 - the literature's name.
    max_frequency: int,
    columns: int | None = None,
    title: str | None = None,
) -> Figure:
    """The :func:`probability_alive_matrix` as a heat map, on a new ``Figure``.

    Raises:
        ValidationError: as :func:`probability_alive_matrix`; matplotlib is not
            installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = probability_alive_matrix(model, T=T, max_frequency=max_frequency, columns=columns)
    default = f"Probability alive at age {data.age:g}"
    return _plot_matrix(data, title_text(title, default), "P(alive)")


# --------------------------------------------------------------------------- holdout


@attrs.frozen(slots=True)
class CalibrationHoldout(Checked):
    """Mean holdout purchases by calibration frequency: actual and the model's forecast.

    Attributes:
        labels: the groups: ``"0"``, ``"1"``, ... and the open tail ``"7+"``
            (only groups with customers).
        frequencies: each group's smallest calibration frequency.
        customers: customers (total weight) in each group.
        actual: the group's weighted mean of ``holdout_frequency``.
        predicted: the group's weighted mean of the model's
            ``expected_purchases(duration, frequency, recency, T)``.
        metrics: :func:`crmcore.clv.holdout_metrics` of the same data.
    """

    labels: tuple[str, ...]
    frequencies: tuple[int, ...]
    customers: tuple[float, ...]
    actual: tuple[float, ...]
    predicted: tuple[float, ...]
    metrics: HoldoutMetrics


def _few_durations(durations: list[object]) -> None:
    """At most :data:`MAX_DURATIONS` distinct holdout durations (one forecast call each)."""
    seen: set[object] = set()
    for index, duration in enumerate(durations):
        try:
            seen.add(duration)
        except TypeError:  # unhashable junk (or a signalling NaN): holdout_metrics names it
            seen.add(("unhashable", index))
        if len(seen) > MAX_DURATIONS:
            raise ValidationError(
                f"must hold at most {MAX_DURATIONS:,} distinct durations",
                path="$.holdout_duration",
                code="too_many_durations",
            )


def calibration_holdout(  # noqa: PLR0917 - the model and the holdout_metrics columns.
    model: HistoryModel,
    frequency: Iterable[float],
    recency: Iterable[float],
    T: Iterable[float],  # noqa: N803 - the literature's name.
    holdout_frequency: Iterable[float],
    holdout_duration: float | Iterable[float],
    *,
    weights: Iterable[float] | None = None,
    max_frequency: int = 7,
) -> CalibrationHoldout:
    """Customers grouped by calibration frequency: mean holdout purchases, actual and predicted.

    The lifetimes "calibration purchases vs holdout purchases" comparison.
    The columns are those of :func:`crmcore.clv.holdout_metrics` (which checks
    them; its result comes along), at most 1,000,000 rows; the forecast of each customer is the
    model's ``expected_purchases`` over that customer's holdout duration.

    Args:
        model: a fitted purchase model (as :func:`frequency_recency_matrix`).
        frequency: each customer's repeat purchases in the calibration period.
        recency: the time of each customer's last calibration purchase.
        T: each customer's age at the end of calibration.
        holdout_frequency: each customer's purchases in the holdout period.
        holdout_duration: the holdout's length: one number, or one per customer
            with at most 1,000 distinct values (:data:`MAX_DURATIONS`).
        weights: customers per row; default one each.
        max_frequency: where the open last group starts, 1 to 100.

    >>> from crmcore.clv import BetaGeo
    >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> c = calibration_holdout(
    ...     bg, [0, 0, 2, 9], [0, 0, 30, 35], [38] * 4, [0, 1, 2, 6], 39, max_frequency=2
    ... )
    >>> c.labels, c.customers, c.actual
    (('0', '2+'), (2.0, 2.0), (0.5, 4.0))
    """
    checked = cast("HistoryModel", of_type(model, _MODELS, "$.model", _MODEL_NAMES))
    cap = whole(max_frequency, "$.max_frequency", minimum=1, maximum=MAX_BUCKETS)
    x = bounded(frequency, "$.frequency", MAX_FIGURE_ROWS)
    t_x = bounded(recency, "$.recency", MAX_FIGURE_ROWS)
    ages = bounded(T, "$.T", MAX_FIGURE_ROWS)
    actual = bounded(holdout_frequency, "$.holdout_frequency", MAX_FIGURE_ROWS)
    durations: object = holdout_duration
    if isinstance(holdout_duration, Iterable) and not isinstance(holdout_duration, (str, bytes)):
        durations = bounded(holdout_duration, "$.holdout_duration", MAX_FIGURE_ROWS)
        _few_durations(durations)
    w = None if weights is None else bounded(weights, "$.weights", MAX_FIGURE_ROWS)
    metrics = holdout_metrics(checked, x, t_x, ages, actual, durations, weights=w)  # type: ignore[arg-type]
    spans = durations if isinstance(durations, list) else [durations] * len(x)
    groups: dict[float, list[int]] = {}
    for index, span in enumerate(spans):
        groups.setdefault(float(span), []).append(index)
    predicted = [0.0] * len(x)
    for span, indices in groups.items():
        values = checked.expected_purchases(
            span, [x[i] for i in indices], [t_x[i] for i in indices], [ages[i] for i in indices]
        )
        for i, value in zip(indices, values, strict=True):
            predicted[i] = float(value)
    sums: dict[int, list[float]] = {}
    for i, count in enumerate(x):
        weight = 1.0 if w is None else float(w[i])
        bucket = sums.setdefault(min(int(count), cap), [0.0, 0.0, 0.0])
        bucket[0] += weight
        bucket[1] += weight * float(actual[i])
        bucket[2] += weight * predicted[i]
    kept = [k for k in sorted(sums) if sums[k][0] > 0]
    return CalibrationHoldout(
        labels=tuple(f"{k}+" if k == cap else str(k) for k in kept),
        frequencies=tuple(kept),
        customers=tuple(sums[k][0] for k in kept),
        actual=tuple(sums[k][1] / sums[k][0] for k in kept),
        predicted=tuple(sums[k][2] / sums[k][0] for k in kept),
        metrics=metrics,
    )


def _labelled(axes: Axes, heading: str, xlabel: str, ylabel: str) -> None:
    """Name both axes, title them (text as given, no mathtext) and add the legend."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(heading, parse_math=False)
    axes.legend()


def plot_calibration_holdout(  # noqa: PLR0917 - as calibration_holdout.
    model: HistoryModel,
    frequency: Iterable[float],
    recency: Iterable[float],
    T: Iterable[float],  # noqa: N803 - the literature's name.
    holdout_frequency: Iterable[float],
    holdout_duration: float | Iterable[float],
    *,
    weights: Iterable[float] | None = None,
    max_frequency: int = 7,
    title: str | None = None,
) -> Figure:
    """:func:`calibration_holdout` as two lines, actual and predicted, on a new ``Figure``.

    Raises:
        ValidationError: as :func:`calibration_holdout`; matplotlib is not
            installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = calibration_holdout(
        model,
        frequency,
        recency,
        T,
        holdout_frequency,
        holdout_duration,
        weights=weights,
        max_frequency=max_frequency,
    )
    heading = title_text(title, "Actual and predicted holdout purchases")
    figure = new_figure(7.0, 4.5)
    axes = figure.add_subplot()
    positions = list(range(len(data.labels)))
    axes.plot(positions, data.actual, marker="o", label="actual")
    axes.plot(positions, data.predicted, marker="s", linestyle="--", label="predicted")
    axes.set_xticks(positions, data.labels)
    _labelled(
        axes, heading, "purchases in the calibration period", "mean purchases in the holdout period"
    )
    return figure


# --------------------------------------------------------------------------- period transactions


@attrs.frozen(slots=True)
class PeriodTransactions(Checked):
    """Customers by repeat transactions in the calibration period: actual and expected.

    Attributes:
        labels: the cells, ``"0"``, ``"1"``, ... and the open tail ``"7+"``.
        observed: customers (total weight) in each cell.
        expected: the model's expected customers in each cell.
        customers: the total weight.
    """

    labels: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    customers: float


def period_transactions(
    model: HistoryModel,
    frequency: Iterable[float],
    T: Iterable[float],  # noqa: N803 - the literature's name.
    *,
    weights: Iterable[float] | None = None,
    max_frequency: int = 7,
) -> PeriodTransactions:
    """The repeat-transaction histogram: how many customers made 0, 1, ... repeat purchases.

    The cells of :func:`crmcore.clv.goodness_of_fit` with the open tail at
    ``max_frequency`` and no pooling: ``expected`` sums each customer's
    ``P(X(T_i) = n)`` (Fader, Hardie & Lee 2005, fig. 3).

    Args:
        model: a fitted purchase model (as :func:`crmcore.clv.goodness_of_fit`).
        frequency: each customer's repeat purchases; at most 1,000,000 rows.
        T: each customer's age (BG/BB: ``periods``).
        weights: customers per row; default one each.
        max_frequency: where the open tail starts, 1 to 100.

    >>> from crmcore.clv import BetaGeo
    >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> p = period_transactions(bg, [0, 0, 1, 3], [38.86] * 4, max_frequency=2)
    >>> p.labels, p.observed
    (('0', '1', '2+'), (2.0, 1.0, 1.0))
    """
    cap = whole(max_frequency, "$.max_frequency", minimum=1, maximum=MAX_BUCKETS)
    x = bounded(frequency, "$.frequency", MAX_FIGURE_ROWS)
    ages = bounded(T, "$.T", MAX_FIGURE_ROWS)
    w = None if weights is None else bounded(weights, "$.weights", MAX_FIGURE_ROWS)
    fit = goodness_of_fit(model, x, ages, weights=w, tail=cap, min_expected=1e-300, parameters=0)
    return PeriodTransactions(
        labels=tuple(cell.label for cell in fit.cells),
        observed=tuple(cell.observed for cell in fit.cells),
        expected=tuple(cell.expected for cell in fit.cells),
        customers=fit.customers,
    )


def plot_period_transactions(
    model: HistoryModel,
    frequency: Iterable[float],
    T: Iterable[float],  # noqa: N803 - the literature's name.
    *,
    weights: Iterable[float] | None = None,
    max_frequency: int = 7,
    title: str | None = None,
) -> Figure:
    """:func:`period_transactions` as side-by-side bars, actual and model, on a new ``Figure``.

    Raises:
        ValidationError: as :func:`period_transactions`; matplotlib is not
            installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = period_transactions(model, frequency, T, weights=weights, max_frequency=max_frequency)
    heading = title_text(title, "Repeat transactions in the calibration period")
    figure = new_figure(7.0, 4.5)
    axes = figure.add_subplot()
    positions = list(range(len(data.labels)))
    axes.bar([p - 0.2 for p in positions], data.observed, width=0.4, label="actual")
    axes.bar([p + 0.2 for p in positions], data.expected, width=0.4, label="model")
    axes.set_xticks(positions, data.labels)
    _labelled(axes, heading, "repeat transactions", "customers")
    return figure


# --------------------------------------------------------------------------- tracking


@attrs.frozen(slots=True)
class TransactionTracking(Checked):
    """A cohort's repeat transactions by period: actual and the model's expectation.

    Attributes:
        period_ends: the end of each period on the cohort's clock.
        actual: repeat transactions in each period
            (:func:`crmcore.clv.actual_repeat_transactions`).
        expected: the model's expected repeat transactions in each period
            (:func:`crmcore.clv.expected_repeat_transactions` of every
            customer's first purchase).
    """

    period_ends: tuple[float, ...]
    actual: tuple[float, ...]
    expected: tuple[float, ...]


def transaction_tracking(
    model: HistoryModel,
    customers: Iterable[Hashable],
    times: Iterable[float],
    period_ends: int | Iterable[float],
) -> TransactionTracking:
    """The tracking comparison: a cohort's repeat transactions per period, actual and expected.

    Args:
        model: a fitted purchase model (as :func:`crmcore.clv.expected_repeat_transactions`).
        customers: the customer of each transaction; at most 1,000,000.
        times: each transaction's time on the cohort's clock, in the model's period.
        period_ends: ``N`` for periods ending at 1, ..., N, or the ends.

    >>> from crmcore.clv import BetaGeo
    >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> tr = transaction_tracking(bg, ["a", "a", "b"], [0, 1.5, 0], 2)
    >>> tr.actual
    (0.0, 1.0)
    """
    keys = bounded(customers, "$.customers", MAX_FIGURE_ROWS)
    stamps = bounded(times, "$.times", MAX_FIGURE_ROWS)
    ends: object = period_ends
    if isinstance(period_ends, Iterable) and not isinstance(period_ends, (str, bytes)):
        ends = bounded(period_ends, "$.period_ends", MAX_FIGURE_ROWS)
    actual = actual_repeat_transactions(keys, stamps, ends)  # type: ignore[arg-type]
    starts = list(first_purchases(keys, stamps).values())
    expected = expected_repeat_transactions(model, starts, ends)  # type: ignore[arg-type]
    return TransactionTracking(
        period_ends=actual.period_ends, actual=actual.incremental, expected=expected.incremental
    )


def plot_transaction_tracking(
    model: HistoryModel,
    customers: Iterable[Hashable],
    times: Iterable[float],
    period_ends: int | Iterable[float],
    *,
    title: str | None = None,
) -> Figure:
    """:func:`transaction_tracking` as two lines by period end, on a new ``Figure``.

    Raises:
        ValidationError: as :func:`transaction_tracking`; matplotlib is not
            installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = transaction_tracking(model, customers, times, period_ends)
    heading = title_text(title, "Repeat transactions by period")
    figure = new_figure(7.0, 4.5)
    axes = figure.add_subplot()
    axes.plot(data.period_ends, data.actual, label="actual")
    axes.plot(data.period_ends, data.expected, linestyle="--", label="model")
    _labelled(axes, heading, "end of period", "repeat transactions")
    return figure
