"""Model checking: goodness of fit, holdout accuracy, and several models compared.

Three checks of a fitted purchase model against data, none of which depends
on a plotting library:

- :func:`goodness_of_fit`: Pearson's chi-square test of the calibration
  period's repeat-transaction histogram (how many customers made 0, 1, 2, ...
  repeat purchases) against the counts the model expects, the comparison the
  papers draw as their first figure (Fader, Hardie & Lee 2005, "'Counting Your
  Customers' the Easy Way", fig. 3), with the right tail pooled and small
  cells pooled;
- :func:`crmcore.clv.models._holdout.holdout_metrics` and :func:`period_errors`:
  how close the model's forecasts of a holdout period come to what customers
  did, customer by customer and period by period;
- :func:`compare_models`: several models fitted on one table and ranked by
  log-likelihood, AIC, BIC and holdout error.

The p-value of the chi-square statistic comes from
:func:`crmcore.clv.models._chisquare.chi_square_survival` (no scipy).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal, cast

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._numbers import Tabular, flatten, record_columns, rows_to_columns
from crmcore.clv.models._base import ModelError
from crmcore.clv.models._bgbb import BetaGeoBetaBinom
from crmcore.clv.models._chisquare import chi_square_survival
from crmcore.clv.models._cnbd import _CnbdFamily
from crmcore.clv.models._data import (
    MAX_COUNT,
    MAX_HORIZON,
    column,
    number,
    require_nonempty,
    same_length,
    weights_column,
)
from crmcore.clv.models._holdout import (
    CountModel,
    HoldoutMetrics,
    conditional_forecasts,
    count_model,
    counts_column,
    holdout_columns,
    holdout_result,
)
from crmcore.clv.models._tracking import cumulative_expected
from crmcore.errors import InvalidType, ValidationError

#: Most purchase-count probabilities one histogram may need (cells times distinct ages):
#: each is a sum over the model's mixture, so the budget bounds the work on hostile input.
MAX_HISTOGRAM_WORK = 200_000

#: Cells whose expected count is below this are pooled with their neighbours
#: (the usual rule of thumb for Pearson's test, used by the papers).
DEFAULT_MIN_EXPECTED = 5.0

#: How :meth:`ModelComparison.ranking` orders the models.
RankBy = Literal["log_likelihood", "aic", "bic", "mae", "rmse"]
_RANKINGS: tuple[str, ...] = ("log_likelihood", "aic", "bic", "mae", "rmse")


# --------------------------------------------------------------------------- shared checks


def _ages(values: object, name: str, *, whole: bool) -> list[float]:
    """Ages (``T``, or BG/BB's ``periods``): non-negative, bounded, whole for BG/BB."""
    return counts_column(values, name, whole=whole, limit=MAX_COUNT if whole else MAX_HORIZON)


def _positive(value: object, name: str, *, maximum: float | None = None) -> float:
    result = number(value, f"$.{name}")
    if result <= 0:
        raise ValidationError("must be positive", path=f"$.{name}", code="not_positive")
    if maximum is not None and result > maximum:
        raise ValidationError(f"must be at most {maximum:,g}", path=f"$.{name}", code="too_large")
    return result


def _whole_int(value: object, name: str, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=f"$.{name}")
    if not minimum <= value <= maximum:
        raise ValidationError(
            f"must be from {minimum} to {maximum:,}", path=f"$.{name}", code="range"
        )
    return value


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:.6g}"


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned text columns under a header."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


# --------------------------------------------------------------------------- goodness of fit


@attrs.frozen(slots=True)
class HistogramCell(Checked, Tabular):
    """One cell of the repeat-transaction histogram after pooling.

    Attributes:
        low: the smallest repeat-transaction count in the cell.
        high: the largest, or None for the open right tail (``low`` or more).
        observed: customers (total weight) whose count falls in the cell.
        expected: what the model expects there: the sum over customers of
            ``P(X(T_i) = n)`` over the cell's counts ``n``.
    """

    low: int
    high: int | None
    observed: float
    expected: float

    @property
    def label(self) -> str:
        """``"3"``, ``"3-5"`` or ``"7+"``."""
        if self.high is None:
            return f"{self.low}+"
        return str(self.low) if self.high == self.low else f"{self.low}-{self.high}"

    @property
    def contribution(self) -> float:
        """The cell's term of the statistic, ``(observed - expected)^2 / expected``."""
        return (self.observed - self.expected) ** 2 / self.expected


@attrs.frozen(slots=True)
class GoodnessOfFit(Checked, Tabular):
    """Pearson's chi-square test of the repeat-transaction histogram.

    Attributes:
        cells: the histogram after pooling, from 0 repeat transactions up; the
            last cell is the open right tail.
        statistic: ``sum (observed - expected)^2 / expected`` over the cells.
        degrees_of_freedom: cells - 1 - ``parameters``.
        p_value: ``P(chi-square > statistic)``; small values reject the model.
        parameters: estimated parameters subtracted from the degrees of freedom.
        customers: total weight of the customers.
        min_expected: the pooling threshold used.
    """

    cells: tuple[HistogramCell, ...]
    statistic: float
    degrees_of_freedom: int
    p_value: float
    parameters: int
    customers: float
    min_expected: float

    def to_columns(self) -> dict[str, list[Any]]:
        """The histogram's cells as columns ``low``, ``high``, ``observed``, ``expected``."""
        return record_columns(self.cells, HistogramCell)

    def table(self) -> str:
        """The histogram, cell by cell, and the test on its last line.

        Example:
            >>> from crmcore.clv import BetaGeo
            >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
            >>> frequency = [0] * 60 + [1] * 18 + [2] * 8 + [3] * 4 + [5] * 3
            >>> result = goodness_of_fit(bg, frequency, [38.86] * 93, parameters=0)
            >>> print(result.table())
            repeat  observed  expected  (O-E)^2/E
            ------  --------  --------  ---------
                 0        60      53.4     0.8147
                 1        18     18.54    0.01556
                 2         8     7.939  0.0004757
               3-4         4     6.829      1.172
                5+         3     6.291      1.722
            chi-square 3.724 on 4 df (5 cells, 0 parameters), p = 0.4446
        """
        rows = [
            [c.label, _fmt(c.observed), f"{c.expected:.4g}", f"{c.contribution:.4g}"]
            for c in self.cells
        ]
        text = _grid(["repeat", "observed", "expected", "(O-E)^2/E"], rows)
        return (
            f"{text}\nchi-square {self.statistic:.4g} on {self.degrees_of_freedom} df "
            f"({len(self.cells)} cells, {self.parameters} parameters), p = {self.p_value:.4g}"
        )


def goodness_of_fit(
    model: CountModel,
    frequency: Iterable[float],
    T: Iterable[float],  # noqa: N803 - the literature's name.
    *,
    weights: Iterable[float] | None = None,
    tail: int | None = None,
    min_expected: float = DEFAULT_MIN_EXPECTED,
    parameters: int | None = None,
) -> GoodnessOfFit:
    """Chi-square test of the calibration period's repeat-transaction histogram.

    The observed count of cell ``n`` is the number of customers with ``n``
    repeat transactions; the expected count is ``sum_i P(X(T_i) = n)``, the
    model's probability (``probability_of_purchases``) that a customer of age
    ``T_i`` has made ``n`` repeat purchases, summed over customers (Fader,
    Hardie & Lee 2005, fig. 3; Fader, Hardie & Lee 2007, "Creating a Fit
    Histogram for the BG/NBD Model"). Customers are grouped by distinct age,
    so the cost grows with the distinct ``T`` times the cells.

    Cells are ``0, 1, ..., tail - 1`` and the open tail ``tail+`` (whose
    expected count is the customers minus the other cells'). Without ``tail``,
    the tail starts at the first count where fewer than ``min_expected``
    customers are expected beyond. Then, from the right, adjacent cells are
    pooled until each expects at least ``min_expected`` customers (the usual
    condition for the chi-square approximation; 5 in the papers). The
    degrees of freedom are the cells left, minus 1, minus ``parameters``
    (default: the model's parameter count, as when it was fitted on this data;
    pass 0 for parameters fixed in advance).

    Args:
        model: a fitted BetaGeo, ModifiedBetaGeo, ParetoNBD or BetaGeoBetaBinom.
        frequency: each customer's repeat transactions in the calibration period.
        T: each customer's age at the end of calibration (BG/BB: ``periods``).
        weights: customers per row; default one each.
        tail: where the open right cell starts (the papers' "7+" is ``tail=7``).
        min_expected: the pooling threshold, a positive number.
        parameters: estimated parameters to subtract from the degrees of freedom.

    Raises:
        InvalidType: ``model`` does not define ``P(X(t) = n)`` (such as GammaGamma).
        NotFittedError: the model has no parameters.
        ValidationError: bad data (naming the argument and index), mismatched
            lengths, ``tail`` or ``min_expected`` out of range, or fewer cells
            after pooling than the test needs (naming ``min_expected`` or ``tail``).
    """
    checked = count_model(model)
    whole = isinstance(checked, BetaGeoBetaBinom)
    counts = counts_column(frequency, "frequency")
    ages = _ages(T, "T", whole=whole)
    size = same_length("frequency", [("frequency", counts), ("T", ages)])
    require_nonempty("frequency", size)
    w = weights_column(weights, size)
    threshold = _positive(min_expected, "min_expected", maximum=MAX_COUNT * 1e6)
    first_tail = None if tail is None else _whole_int(tail, "tail", minimum=1, maximum=MAX_COUNT)
    values = checked._values()  # noqa: SLF001 - raises NotFittedError before any work.
    # A CNBD-k model whose k was chosen by maximum likelihood estimated k too.
    chose_k = isinstance(checked, _CnbdFamily) and bool(checked.k_profile)
    estimated = (
        len(values) + chose_k
        if parameters is None
        else _whole_int(parameters, "parameters", minimum=0, maximum=100)
    )
    by_age: dict[float, float] = {}
    for age, weight in zip(ages, w, strict=True):
        if weight > 0:
            by_age[age] = by_age.get(age, 0.0) + weight
    total = math.fsum(by_age.values())
    probability = cast(
        "Callable[[int, float], float] | None", getattr(checked, "probability_of_purchases", None)
    )
    if probability is None:
        raise InvalidType(
            f"must define probability_of_purchases, which {type_name(checked)} does not",
            path="$.model",
        )
    if first_tail is not None and (first_tail + 1) * len(by_age) > MAX_HISTOGRAM_WORK:
        raise ValidationError(
            f"needs more than {MAX_HISTOGRAM_WORK:,} purchase-count probabilities "
            "(cells times distinct ages): pass a smaller tail= or fewer distinct ages",
            path="$.T",
            code="too_much_work",
        )
    expected = _expected_cells(checked, probability, by_age, total, threshold, first_tail)
    cutoff = max(len(expected), 1)
    if not expected:  # even the whole population expects fewer than the threshold
        expected.append(total)
    expected.append(max(0.0, total - math.fsum(expected)))
    observed = [0.0] * (cutoff + 1)
    for count, weight in zip(counts, w, strict=True):
        observed[min(int(count), cutoff)] += weight
    raw = [
        HistogramCell(n, None if n == cutoff else n, observed[n], expected[n])
        for n in range(cutoff + 1)
    ]
    cells = _pool(raw, threshold)
    degrees = len(cells) - 1 - estimated
    if degrees < 1:
        few = first_tail is not None and first_tail < estimated + 1
        name = "tail" if few else "min_expected"
        raise ValidationError(
            f"leaves {len(cells)} cells after pooling, too few for a test with "
            f"{estimated} estimated parameters (at least {estimated + 2} are needed)",
            path=f"$.{name}",
            code="too_few_cells",
        )
    statistic = math.fsum(cell.contribution for cell in cells)
    return GoodnessOfFit(
        cells=tuple(cells),
        statistic=statistic,
        degrees_of_freedom=degrees,
        p_value=chi_square_survival(statistic, degrees),
        parameters=estimated,
        customers=total,
        min_expected=threshold,
    )


def _pool(cells: Sequence[HistogramCell], threshold: float) -> list[HistogramCell]:
    """Adjacent cells merged, from the right, until each expects at least ``threshold``."""

    def merge(left: HistogramCell, right: HistogramCell) -> HistogramCell:
        return HistogramCell(
            left.low, right.high, left.observed + right.observed, left.expected + right.expected
        )

    groups: list[HistogramCell] = []
    pending: HistogramCell | None = None
    for cell in reversed(cells):
        pending = cell if pending is None else merge(cell, pending)
        if pending.expected >= threshold:
            groups.append(pending)
            pending = None
    if pending is not None:
        if groups:
            groups[-1] = merge(pending, groups[-1])
        else:
            groups.append(pending)
    groups.reverse()
    return groups


@attrs.frozen(slots=True)
class PeriodError(Checked, Tabular):
    """One period of a cohort's aggregate forecast beside what happened.

    Attributes:
        period: 1 for the first period after ``start``, 2 for the next, ...
        actual: the cohort's transactions in the period, as given.
        expected: the model's expected transactions of the cohort in the period.
    """

    period: int
    actual: float
    expected: float

    @property
    def error(self) -> float:
        """``expected - actual``."""
        return self.expected - self.actual


@attrs.frozen(slots=True)
class PeriodErrors(Checked, Tabular):
    """The aggregate forecast by period, with summary errors.

    Attributes:
        periods: one :class:`PeriodError` per period, in order.
        mean_absolute_error: mean of ``|expected - actual|`` over the periods.
        root_mean_squared_error: square root of the mean squared error over the periods.
        actual_total, expected_total: sums over the periods.
    """

    periods: tuple[PeriodError, ...]
    mean_absolute_error: float
    root_mean_squared_error: float
    actual_total: float
    expected_total: float

    def to_columns(self) -> dict[str, list[Any]]:
        """The periods as columns ``period``, ``actual``, ``expected``."""
        return record_columns(self.periods, PeriodError)

    @property
    def total_error(self) -> float | None:
        """``(expected_total - actual_total) / actual_total``; None when nothing was bought."""
        if self.actual_total == 0:
            return None
        return (self.expected_total - self.actual_total) / self.actual_total

    def cumulative(self) -> list[tuple[float, float]]:
        """``(actual, expected)`` cumulative totals at the end of each period."""
        out: list[tuple[float, float]] = []
        actual = expected = 0.0
        for one in self.periods:
            actual += one.actual
            expected += one.expected
            out.append((actual, expected))
        return out


def period_errors(
    model: CountModel,
    T: Iterable[float],  # noqa: N803 - the literature's name.
    actual: Iterable[float],
    *,
    weights: Iterable[float] | None = None,
    period: float = 1.0,
    start: float = 0.0,
) -> PeriodErrors:
    """The cohort's expected transactions period by period against the actual totals.

    Period ``k`` (from 1) runs from ``start + (k - 1) period`` to
    ``start + k period`` after the calibration end; a customer of age ``T_i``
    then is ``T_i + start + ...`` old at those bounds (never less than 0), and
    the model expects ``E[X(end)] - E[X(begin)]`` repeat transactions from them
    in the period, with ``E[X(age)]`` a new customer's expected repeat
    transactions by that age (``expected_purchases_new``; Fader, Hardie & Lee
    2005, eq. 7, summed over the cohort as in their tracking figure). A
    negative ``start`` reaches back into the calibration period.

    Args:
        model: a fitted BetaGeo, ModifiedBetaGeo, ParetoNBD or BetaGeoBetaBinom.
        T: each customer's age at the end of calibration (BG/BB: ``periods``).
        actual: the cohort's repeat transactions in each period, in order.
        weights: customers per row; default one each.
        period: the length of a period, in the model's unit (BG/BB: whole).
        start: where the first period begins, relative to the calibration end.

    Raises:
        InvalidType: ``model`` does not define a new customer's expectation.
        ValidationError: bad ages or totals, ``period`` not positive, or
            periods reaching beyond the longest horizon (naming the argument).

    Example:
        >>> from crmcore.clv import BetaGeo
        >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> result = period_errors(bg, [38.86, 20.0], [0.1, 0.1])
        >>> [round(p.expected, 4) for p in result.periods]
        [0.0481, 0.0473]
    """
    checked = count_model(model)
    whole = isinstance(checked, BetaGeoBetaBinom)
    ages = _ages(T, "T", whole=whole)
    require_nonempty("T", len(ages))
    totals = counts_column(actual, "actual", whole=False)
    require_nonempty("actual", len(totals))
    w = weights_column(weights, len(ages))
    length = _positive(period, "period")
    offset = number(start, "$.start")
    limit = float(MAX_COUNT if whole else MAX_HORIZON)
    if whole:
        for name, value in (("period", length), ("start", offset)):
            if value != math.floor(value):
                raise ValidationError(
                    "must be a whole number of opportunities", path=f"$.{name}", code="not_whole"
                )
    if max(ages) + offset + len(totals) * length > limit:
        raise ValidationError(
            f"reach customer ages beyond {limit:,g} periods: give fewer periods, "
            "a shorter period or an earlier start",
            path="$.actual",
            code="too_large",
        )
    # On the tracking clock (0 at the calibration end) a customer of age T_i was born at -T_i.
    bounds = [offset + k * length for k in range(len(totals) + 1)]
    curve = cumulative_expected(checked, [-age for age in ages], w, bounds)
    expected = [after - before for before, after in itertools.pairwise(curve)]
    rows = tuple(
        PeriodError(k + 1, a, e) for k, (a, e) in enumerate(zip(totals, expected, strict=True))
    )
    count = len(rows)
    return PeriodErrors(
        periods=rows,
        mean_absolute_error=math.fsum(abs(r.error) for r in rows) / count,
        root_mean_squared_error=math.sqrt(math.fsum(r.error**2 for r in rows) / count),
        actual_total=math.fsum(totals),
        expected_total=math.fsum(expected),
    )


# --------------------------------------------------------------------------- comparison


@attrs.frozen(slots=True)
class Holdout(Checked):
    """A holdout period for :func:`compare_models`.

    Attributes:
        frequency: each customer's transactions in the holdout period.
        duration: the holdout's length, one number or one per customer.
    """

    frequency: Iterable[float]
    duration: float | Iterable[float]


@attrs.frozen(slots=True)
class ModelScore(Checked, Tabular):
    """One model of a comparison: fitted, with its fit criteria and holdout error.

    Attributes:
        name: the model's name in the comparison (its class name unless given).
        model: the model fitted on the comparison's data.
        parameters: its number of parameters ``k``.
        log_likelihood: the maximized log-likelihood ``LL`` on the data.
        aic: ``2 k - 2 LL``.
        bic: ``k ln(n) - 2 LL`` with ``n`` the customers.
        holdout: the holdout metrics, if a holdout was given.
    """

    name: str
    model: CountModel
    parameters: int
    log_likelihood: float
    aic: float
    bic: float
    holdout: HoldoutMetrics | None = None

    @classmethod
    def _skipped_fields(cls) -> tuple[str, ...]:
        return ("model",)  # a row holds the holdout metrics as holdout_<metric>, no model

    def to_dict(self) -> dict[str, Any]:
        """The score's plain values, without the model; ``holdout_<metric>`` keys."""
        return flatten(super().to_dict(), "holdout", HoldoutMetrics)

    def criterion(self, by: str) -> float:
        """The number ``by`` ranks on, oriented so that smaller is better."""
        if by not in _RANKINGS:
            raise ValidationError(
                f"must be one of {', '.join(_RANKINGS)}", path="$.by", code="unknown_criterion"
            )
        if by == "log_likelihood":
            return -self.log_likelihood
        if by in {"aic", "bic"}:
            return cast("float", getattr(self, by))
        if self.holdout is None:
            raise ValidationError(
                "ranks by holdout error, but the comparison has no holdout",
                path="$.by",
                code="no_holdout",
            )
        if by == "mae":
            return self.holdout.mean_absolute_error
        return self.holdout.root_mean_squared_error


@attrs.frozen(slots=True)
class ModelComparison(Checked, Tabular):
    """Several models fitted on one table, with their criteria side by side.

    Attributes:
        scores: one :class:`ModelScore` per model, in the order given.
        customers: the customers ``n`` (total weight) each model was fitted on.
    """

    _labels: ClassVar[dict[str, str]] = {
        "log_likelihood": "log-likelihood",
        "aic": "AIC",
        "bic": "BIC",
        "mae": "holdout MAE",
        "rmse": "holdout RMSE",
    }

    scores: tuple[ModelScore, ...]
    customers: float

    def to_columns(self) -> dict[str, list[Any]]:
        """One row per model, in the order given (see :meth:`ModelScore.to_dict`)."""
        return rows_to_columns(self.scores)

    def ranking(self, by: RankBy = "bic") -> tuple[ModelScore, ...]:
        """The scores best first: highest log-likelihood, lowest AIC/BIC/holdout MAE/RMSE.

        Ties keep the order given.

        Raises:
            ValidationError: ``by`` is not one of ``log_likelihood``, ``aic``,
                ``bic``, ``mae``, ``rmse``, or asks for holdout error without a holdout.
        """
        if by not in _RANKINGS:
            raise ValidationError(
                f"must be one of {', '.join(_RANKINGS)}", path="$.by", code="unknown_criterion"
            )
        return tuple(sorted(self.scores, key=lambda s: s.criterion(by)))

    def best(self, by: RankBy = "bic") -> ModelScore:
        """The best model by ``by`` (see :meth:`ranking`)."""
        return self.ranking(by)[0]

    def table(self, by: RankBy = "bic") -> str:
        """The models ranked by ``by``, one line each, criteria in columns."""
        ranked = self.ranking(by)
        header = ["rank", "model", "k", "log-lik", "AIC", "BIC"]
        holdout = ranked[0].holdout is not None
        if holdout:
            header += ["MAE", "RMSE", "corr"]
        rows = []
        for place, s in enumerate(ranked, 1):
            row = [
                str(place),
                s.name,
                str(s.parameters),
                f"{s.log_likelihood:.1f}",
                f"{s.aic:.1f}",
                f"{s.bic:.1f}",
            ]
            if s.holdout is not None:
                row += [
                    f"{s.holdout.mean_absolute_error:.4f}",
                    f"{s.holdout.root_mean_squared_error:.4f}",
                    _fmt(s.holdout.correlation),
                ]
            rows.append(row)
        return f"{_grid(header, rows)}\nranked by {self._labels[by]}, n = {_fmt(self.customers, 8)}"


def compare_models(
    models: Sequence[CountModel] | Mapping[str, CountModel],
    frequency: Iterable[float],
    recency: Iterable[float],
    T: Iterable[float],  # noqa: N803 - the literature's name.
    *,
    weights: Iterable[float] | None = None,
    holdout: Holdout | None = None,
) -> ModelComparison:
    """Fit several models on the same histories and score them side by side.

    Each model is fitted by its own ``fit`` (a fitted model restarts from its
    parameters, so it is refitted on this data); each score has the maximized
    log-likelihood ``LL``, ``AIC = 2 k - 2 LL`` and ``BIC = k ln(n) - 2 LL``
    (``k`` parameters, ``n`` customers: Schwarz 1978) and, given a
    :class:`Holdout`, :func:`holdout_metrics`. Log-likelihoods compare only
    models of the same data, so continuous-time models (BetaGeo,
    ModifiedBetaGeo, ParetoNBD) and BG/BB are not mixed.

    Args:
        models: the models, as a sequence (named by class) or a mapping of
            names to models.
        frequency: each customer's repeat transactions in the calibration period.
        recency: the time of each customer's last calibration transaction.
        T: each customer's age at the end of calibration (BG/BB: ``periods``).
        weights: customers per row; default one each.
        holdout: the holdout period's transactions and length, for holdout error.

    Raises:
        InvalidType: ``models`` is not a sequence or mapping of purchase models.
        ValidationError: no models, repeated names, continuous and discrete
            models mixed, or bad data (naming the argument).
        ConvergenceError: a model's fit did not converge (a note on the error
            names the model); fit that model with its own options, or leave it out.

    Example:
        >>> from crmcore.clv import BetaGeo, ModifiedBetaGeo
        >>> data = BetaGeo(params={"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}).simulate(
        ...     300, 30.0, seed=7
        ... )
        >>> result = compare_models([BetaGeo(), ModifiedBetaGeo()], *data.values())
        >>> [score.name for score in result.ranking("bic")]
        ['BetaGeo', 'ModifiedBetaGeo']
    """
    named = _named_models(models)
    histories = {"frequency": frequency, "recency": recency, "T": T}
    columns = {name: column(values, name) for name, values in histories.items()}
    size = same_length("frequency", list(columns.items()))
    require_nonempty("frequency", size)
    w = weights_column(weights, size)
    checked_holdout = None
    if holdout is not None:
        if not isinstance(holdout, Holdout):
            raise InvalidType(f"must be a Holdout, not {type_name(holdout)}", path="$.holdout")
        whole = isinstance(named[0][1], BetaGeoBetaBinom)
        checked_holdout = holdout_columns(
            holdout.frequency, holdout.duration, size, whole=whole, names="holdout.{}"
        )
    customers = math.fsum(w)
    scores = []
    for name, model in named:
        try:
            fitted = model.fit(columns["frequency"], columns["recency"], columns["T"], weights=w)
        except ModelError as exc:
            exc.add_note(f"while fitting the model named {name!r} of the comparison")
            raise
        k = len(fitted.params or ())
        ll = float(fitted.log_likelihood or 0.0)
        metrics = None
        if checked_holdout is not None:
            actual, durations = checked_holdout
            predicted = conditional_forecasts(
                fitted, durations, columns["frequency"], columns["recency"], columns["T"]
            )
            metrics = holdout_result(predicted, actual, w)
        scores.append(
            ModelScore(
                name=name,
                model=fitted,
                parameters=k,
                log_likelihood=ll,
                aic=2.0 * k - 2.0 * ll,
                bic=k * math.log(customers) - 2.0 * ll,
                holdout=metrics,
            )
        )
    return ModelComparison(scores=tuple(scores), customers=customers)


def _named_models(models: object) -> list[tuple[str, CountModel]]:
    if isinstance(models, Mapping):
        items = list(models.items())
        for name, _ in items:
            if not isinstance(name, str) or not name:
                raise InvalidType("must have non-empty str names", path="$.models")
        pairs = [(name, count_model(m, f"$.models[{i}]")) for i, (name, m) in enumerate(items)]
    elif isinstance(models, Sequence) and not isinstance(models, (str, bytes)):
        pairs = [(type(m).__name__, count_model(m, f"$.models[{i}]")) for i, m in enumerate(models)]
        seen: set[str] = set()
        for i, (name, _) in enumerate(pairs):
            if name in seen:
                raise ValidationError(
                    "repeats a model class: pass a mapping of names to models to compare "
                    "two models of one class",
                    path=f"$.models[{i}]",
                    code="duplicate_name",
                )
            seen.add(name)
    else:
        raise InvalidType(
            f"must be a sequence or mapping of purchase models, not {type_name(models)}",
            path="$.models",
        )
    if not pairs:
        raise ValidationError("must hold at least one model", path="$.models", code="empty")
    _check_comparable(pairs)
    return pairs


def _check_comparable(pairs: Sequence[tuple[str, CountModel]]) -> None:
    """Models whose likelihoods are of the same data: refuse the others."""
    for i, (_, model) in enumerate(pairs):
        if isinstance(model, _CnbdFamily) and model.k != 1:
            # Their likelihood needs each customer's log inter-purchase times (litt),
            # which the (frequency, recency, T) columns here do not carry.
            raise InvalidType(
                "is a CNBD-k model with k other than 1, whose likelihood needs litt: "
                "compare it by its own fit(..., litt=) log-likelihood",
                path=f"$.models[{i}]",
            )
    kinds = {isinstance(m, BetaGeoBetaBinom) for _, m in pairs}
    if len(kinds) > 1:
        raise ValidationError(
            "mixes BG/BB (discrete opportunities) with continuous-time models: their "
            "likelihoods are of different data and do not compare",
            path="$.models",
            code="incompatible_models",
        )


def _expected_cells(  # noqa: PLR0917 - the model, its probability and the histogram's settings.
    checked: CountModel,
    probability: Callable[[int, float], float],
    by_age: Mapping[float, float],
    total: float,
    threshold: float,
    first_tail: int | None,
) -> list[float]:
    """Expected customers with 0, 1, ... repeat purchases, up to the tail (bounded work)."""
    expected: list[float] = []
    while True:
        k = len(expected)
        left = total - math.fsum(expected)
        if (first_tail is None and (left < threshold or k >= MAX_COUNT)) or k == first_tail:
            break
        if (k + 1) * len(by_age) > MAX_HISTOGRAM_WORK:
            raise ValidationError(
                f"needs more than {MAX_HISTOGRAM_WORK:,} purchase-count probabilities "
                "(cells times distinct ages): pass a smaller tail= or fewer distinct ages",
                path="$.T",
                code="too_much_work",
            )
        cell = math.fsum(wt * probability(k, age) for age, wt in by_age.items())
        if not math.isfinite(cell):
            raise ModelError(
                f"{type(checked).__name__} gives no finite probability of {k} purchases at "
                "these ages; check the ages and the parameters"
            )
        expected.append(cell)
    return expected
