"""Holdout accuracy: each customer's conditional forecast against what they did.

:func:`holdout_metrics` compares a fitted purchase model's forecast of each
customer's holdout purchases with the purchases made; :func:`compare_models`
(in :mod:`crmcore.clv.models._checking`) scores every model it fits the same
way. The columns are checked once, whole; the forecasts then come from the
model's own per-history column (``_expected_column``, the code behind
``expected_purchases``), once per distinct holdout duration and without the
argument checks of a public call.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._numbers import Tabular
from crmcore.clv.models._backend import AUTO_NUMPY_ROWS, Histories, numpy_for
from crmcore.clv.models._bgbb import BetaGeoBetaBinom
from crmcore.clv.models._data import (
    MAX_COUNT,
    MAX_HORIZON,
    Checker,
    check_whole,
    column,
    is_scalar,
    number,
    require_nonempty,
    same_length,
    weights_column,
)
from crmcore.clv.models._forecast import RfmModel
from crmcore.errors import InvalidType, ValidationError

#: The models a histogram or holdout check accepts: those with P(X(t) = n).
CountModel = RfmModel | BetaGeoBetaBinom


def count_model(model: object, path: str = "$.model") -> CountModel:
    """A purchase model that defines ``P(X(t) = n)``: BG/NBD, MBG/NBD, Pareto/NBD or BG/BB."""
    if not isinstance(model, (RfmModel, BetaGeoBetaBinom)):
        raise InvalidType(
            "must be a purchase model that defines probability_of_purchases "
            f"(BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom), not {type_name(model)}",
            path=path,
        )
    return model


def counts_column(
    values: object, name: str, *, whole: bool = True, limit: float | None = None
) -> list[float]:
    """A column of non-negative counts (whole numbers unless ``whole`` is False).

    With ``limit``, each value must also be at most ``limit`` (code ``too_large``).
    """
    counts = column(values, name)
    checker = Checker()
    for index, value in enumerate(counts):
        if whole:
            if check_whole(checker, name, index, value):
                break
        elif value < 0 and checker.add(f"$.{name}[{index}]", "must not be negative", "negative"):
            break
        if (
            limit is not None
            and value > limit
            and checker.add(f"$.{name}[{index}]", f"must be at most {limit:,g}", "too_large")
        ):
            break
    checker.raise_if_any()
    return counts


@attrs.frozen(slots=True)
class HoldoutMetrics(Checked, Tabular):
    """How close per-customer forecasts of a holdout period came to the actual counts.

    Attributes:
        customers: total weight of the customers.
        mean_absolute_error: weighted mean of ``|predicted - actual|``.
        root_mean_squared_error: square root of the weighted mean squared error.
        correlation: weighted Pearson correlation of predicted and actual; None
            when either is constant (the correlation is undefined there).
        predicted_total: the forecasts' weighted sum.
        actual_total: the actual counts' weighted sum.
    """

    customers: float
    mean_absolute_error: float
    root_mean_squared_error: float
    correlation: float | None
    predicted_total: float
    actual_total: float

    @property
    def total_error(self) -> float | None:
        """``(predicted_total - actual_total) / actual_total``; None when nothing was bought."""
        if self.actual_total == 0:
            return None
        return (self.predicted_total - self.actual_total) / self.actual_total


def holdout_metrics(  # noqa: PLR0917 - the model, the three history columns, the holdout.
    model: CountModel,
    frequency: Iterable[float],
    recency: Iterable[float],
    T: Iterable[float],  # noqa: N803 - the literature's name.
    holdout_frequency: Iterable[float],
    holdout_duration: float | Iterable[float],
    *,
    weights: Iterable[float] | None = None,
) -> HoldoutMetrics:
    """MAE, RMSE and correlation of the model's conditional forecasts over a holdout period.

    Each customer's forecast is ``expected_purchases(holdout_duration_i,
    frequency_i, recency_i, T_i)`` (the model's conditional expectation given
    the calibration history, e.g. Fader, Hardie & Lee 2005, eq. 10); it is
    compared with the customer's ``holdout_frequency`` (transactions in the
    holdout period). The columns are checked once; the forecasts are the very
    numbers ``expected_purchases`` gives, computed once per distinct duration
    without repeating its checks (one duration per customer still costs more
    than one shared duration: each distinct duration is its own computation).

    Args:
        model: a fitted BetaGeo, ModifiedBetaGeo, ParetoNBD or BetaGeoBetaBinom.
        frequency: each customer's repeat transactions in the calibration period.
        recency: the time of each customer's last calibration transaction.
        T: each customer's age at the end of calibration (BG/BB: ``periods``).
        holdout_frequency: each customer's transactions in the holdout period.
        holdout_duration: the holdout's length: one number, or one per customer
            (BG/BB: whole opportunities).
        weights: customers per row; default one each.

    Raises:
        InvalidType: ``model`` does not define forecasts of this kind.
        ValidationError: bad or mismatched columns, naming the argument and index
            (a history that breaks the model's rules, such as a recency past
            ``T``, is named by its row: ``$.recency[7]``).

    Example:
        >>> from crmcore.clv import BetaGeo
        >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m = holdout_metrics(bg, [2, 0, 5], [30.43, 0, 35.0], [38.86] * 3, [1, 0, 3], 39)
        >>> round(m.mean_absolute_error, 4), round(m.correlation, 4)
        (0.1967, 0.9999)
    """
    checked = count_model(model)
    whole = isinstance(checked, BetaGeoBetaBinom)
    x = column(frequency, "frequency")
    t_x = column(recency, "recency")
    t = column(T, "T")
    size = same_length("frequency", [("frequency", x), ("recency", t_x), ("T", t)])
    require_nonempty("frequency", size)
    actual, durations = holdout_columns(
        holdout_frequency, holdout_duration, size, whole=whole, names="holdout_{}"
    )
    w = weights_column(weights, size)
    return holdout_result(conditional_forecasts(checked, durations, x, t_x, t), actual, w)


def holdout_columns(
    holdout_frequency: object, holdout_duration: object, size: int, *, whole: bool, names: str
) -> tuple[list[float], list[float]]:
    """The checked holdout counts and durations (named ``names.format("frequency")``...)."""
    actual = counts_column(holdout_frequency, names.format("frequency"), whole=False)
    same_length("frequency", [("frequency", [0.0] * size), (names.format("frequency"), actual)])
    durations = _durations(holdout_duration, size, whole=whole, name=names.format("duration"))
    return actual, durations


def _durations(value: object, size: int, *, whole: bool, name: str) -> list[float]:
    if is_scalar(value):
        one = number(value, f"$.{name}")
        _check_duration(one, f"$.{name}", whole=whole)
        return [one] * size
    values = column(value, name)
    same_length("frequency", [("frequency", [0.0] * size), (name, values)])
    for index, one in enumerate(values):
        _check_duration(one, f"$.{name}[{index}]", whole=whole)
    return values


def _check_duration(value: float, path: str, *, whole: bool) -> None:
    limit = MAX_COUNT if whole else MAX_HORIZON
    if value < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    if value > limit:
        raise ValidationError(f"must be at most {limit:,g}", path=path, code="too_large")
    if whole and value != math.floor(value):
        raise ValidationError(
            "must be a whole number of opportunities", path=path, code="not_whole"
        )


def conditional_forecasts(
    model: CountModel,
    durations: Sequence[float],
    x: Sequence[float],
    t_x: Sequence[float],
    t: Sequence[float],
) -> list[float]:
    """Each customer's expected purchases over their own duration, the histories checked once.

    The histories are checked against the model's rules once, whole, so that
    an error names the customer's own row. The customers are then grouped by
    duration and each group is handed to the model's ``_expected_column`` (the
    computation behind ``expected_purchases``) on the path ``expected_purchases``
    itself would take for a group of that size (``backend="auto"``: numpy for
    a group of at least :data:`~crmcore.clv.models._backend.AUTO_NUMPY_ROWS`
    customers when numpy is installed, pure Python otherwise), so every number
    is the one ``expected_purchases(duration, ...)`` gives for the group. A
    group of one customer skips the collapsing of repeated histories: the
    fixed cost per distinct duration is a few microseconds, not a public call's.
    """
    size = len(durations)
    whole = _rows([list(x), list(t_x), list(t)], size)
    model._check_histories(whole, "T")  # noqa: SLF001 - same package.
    groups: dict[float, list[int]] = {}
    for index, duration in enumerate(durations):
        groups.setdefault(duration, []).append(index)
    if len(groups) == 1:
        return whole.listed(model._expected_column(whole, durations[0]))  # noqa: SLF001
    out = [0.0] * size
    for duration, indices in groups.items():
        if len(indices) == 1:
            (i,) = indices
            rows = Histories(None, True, [[x[i]], [t_x[i]], [t[i]]], 1, None)
        else:
            rows = _rows([[values[i] for i in indices] for values in (x, t_x, t)], len(indices))
        values = rows.listed(model._expected_column(rows, duration))  # noqa: SLF001
        for i, value in zip(indices, values, strict=True):
            out[i] = value
    return out


def _rows(columns: list[list[float]], size: int) -> Histories:
    """Checked columns as ``expected_purchases`` would hold them for ``size`` rows.

    ``backend="auto"``: float64 arrays when there are at least
    :data:`~crmcore.clv.models._backend.AUTO_NUMPY_ROWS` rows and numpy is
    installed, else the distinct rows in pure Python.
    """
    np = numpy_for("auto", size) if size >= AUTO_NUMPY_ROWS else None
    if np is None:
        return Histories.of_rows(True, columns)
    return Histories(np, True, [np.array(c, dtype=np.float64) for c in columns], size, None)


def holdout_result(
    predicted: Sequence[float], actual: Sequence[float], weights: Sequence[float]
) -> HoldoutMetrics:
    """The metrics of forecasts against actual counts, weighted."""
    total = math.fsum(weights)
    errors = [p - a for p, a in zip(predicted, actual, strict=True)]
    mae = math.fsum(w * abs(e) for w, e in zip(weights, errors, strict=True)) / total
    mse = math.fsum(w * e * e for w, e in zip(weights, errors, strict=True)) / total
    mean_p = math.fsum(w * p for w, p in zip(weights, predicted, strict=True)) / total
    mean_a = math.fsum(w * a for w, a in zip(weights, actual, strict=True)) / total
    dp = [p - mean_p for p in predicted]
    da = [a - mean_a for a in actual]
    cov = math.fsum(w * p * a for w, p, a in zip(weights, dp, da, strict=True))
    var_p = math.fsum(w * p * p for w, p in zip(weights, dp, strict=True))
    var_a = math.fsum(w * a * a for w, a in zip(weights, da, strict=True))
    correlation = None
    if var_p > 0 and var_a > 0:
        correlation = max(-1.0, min(1.0, cov / math.sqrt(var_p * var_a)))
    return HoldoutMetrics(
        customers=total,
        mean_absolute_error=mae,
        root_mean_squared_error=math.sqrt(mse),
        correlation=correlation,
        predicted_total=mean_p * total,
        actual_total=mean_a * total,
    )
