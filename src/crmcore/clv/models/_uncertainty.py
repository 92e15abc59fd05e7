"""Delta-method intervals for the models' parameters and predictions.

A fitted model carries ``covariance``, the asymptotic covariance of its
maximum-likelihood parameters (the inverse Hessian of the negative
log-likelihood at the optimum). For a smooth function ``f`` of the parameters
the delta method (Casella & Berger 2002, "Statistical Inference", 2nd ed.,
theorem 5.5.24; Agresti 2013, "Categorical Data Analysis", section 16.1)
gives ``Var f(theta_hat) ~ grad f' Cov grad f``. The gradient is taken by
central differences on the model's own prediction method, in the
log-parameters (a relative step), with one Richardson extrapolation: with
``D(h) = (f(phi + h) - f(phi - h)) / 2h`` the estimate
``(4 D(h) - D(2h)) / 3`` has an error of order ``h^4``; ``h = 1e-3`` keeps
both that and the rounding error (about ``1e-16 / h`` relative) near ``1e-12``.

Intervals are built on a scale where the quantity is unbounded and then
mapped back (Agresti 2013, section 16.1.6): the logit for P(alive), the log
for parameters, expected purchases and lifetime values. So they never leave
the quantity's range; the standard error reported is on the natural scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import attrs

from crmcore._kernel._checks import type_name
from crmcore.clv.models._base import ModelBase
from crmcore.clv.models._clv import customer_lifetime_value as _clv
from crmcore.clv.models._data import Percent, is_scalar
from crmcore.clv.models._data import horizon as check_horizon
from crmcore.clv.models._forecast import Forecaster
from crmcore.clv.models._gammagamma import GammaGamma, NonPositive
from crmcore.clv.models._interval import Interval, Scale, confidence_level, make_interval
from crmcore.errors import InvalidType, ValidationError

#: Step in the log-parameters of the central differences (see the module docstring).
STEP = 1e-3

_M = TypeVar("_M", bound=ModelBase)

#: The lifetime value, called on models whose class is only known at run time.
customer_lifetime_value: Callable[..., Any] = _clv


def require_covariance(model: object, name: str) -> ModelBase:
    """A fitted model with a covariance matrix; the errors name the argument ``name``."""
    if not isinstance(model, ModelBase):
        raise InvalidType(f"must be a crmcore CLV model, not {type_name(model)}", path=f"$.{name}")
    model._values()  # noqa: SLF001 - same package; raises NotFittedError without params.
    if model.covariance is None:
        raise ValidationError(
            "has no covariance matrix: fit it (a fit whose Hessian was not invertible has "
            "none) or build it with covariance=",
            path=f"$.{name}",
            code="no_covariance",
        )
    return model


def _with_values(model: _M, values: Sequence[float]) -> _M:
    """A copy of ``model`` with other parameter values (and nothing fitted)."""
    names = type(model)._names  # noqa: SLF001 - same package.
    return attrs.evolve(
        model,
        params=dict(zip(names, values, strict=True)),
        covariance=None,
        standard_errors=None,
        log_likelihood=None,
        diagnostics=None,
    )


def _as_list(value: Any) -> list[float]:
    """A prediction (a number, a list or a numpy array) as a list of floats."""
    if is_scalar(value):
        return [float(value)]
    tolist = getattr(value, "tolist", None)
    items = tolist() if callable(tolist) else value
    return [float(v) for v in items]


def propagate(
    function: Callable[[Sequence[ModelBase]], list[float]],
    models: Sequence[ModelBase],
    path: str = "$",
) -> tuple[list[float], list[float]]:
    """Estimates and delta-method variances of ``function(models)``, item by item.

    The models' estimates are independent (separate likelihoods), so their
    covariances add. Each model's gradient is taken in its log-parameters;
    with ``theta = exp(phi)`` the covariance of ``phi`` is
    ``Cov(theta)_ij / (theta_i theta_j)``. A variance beyond the float range
    raises a ValidationError at ``path`` (the arguments that made it so large).
    """
    base = list(models)
    estimates = function(base)
    variances = [0.0] * len(estimates)
    for k, model in enumerate(models):
        values = model._values()  # noqa: SLF001 - same package.
        covariance = model.covariance
        assert covariance is not None  # noqa: S101 - checked by require_covariance.
        gradients: list[list[float]] = []
        for i in range(len(values)):

            def shifted(
                step: float, i: int = i, k: int = k, values: tuple[float, ...] = values
            ) -> list[float]:
                moved = list(values)
                moved[i] = values[i] * math.exp(step)
                changed = list(base)
                changed[k] = _with_values(base[k], moved)
                return function(changed)

            up1, down1, up2, down2 = (shifted(s) for s in (STEP, -STEP, 2 * STEP, -2 * STEP))
            gradients.append(
                [
                    (4.0 * (a - b) / (2 * STEP) - (c - d) / (4 * STEP)) / 3.0
                    for a, b, c, d in zip(up1, down1, up2, down2, strict=True)
                ]
            )
        n = len(values)
        log_cov = [[covariance[i][j] / (values[i] * values[j]) for j in range(n)] for i in range(n)]
        for row in range(len(estimates)):
            g = [gradients[i][row] for i in range(n)]
            try:
                term = math.fsum(g[i] * log_cov[i][j] * g[j] for i in range(n) for j in range(n))
            except (OverflowError, ValueError):  # an intermediate overflow, or inf - inf
                term = math.nan
            if not math.isfinite(term):
                raise ValidationError(
                    "give estimates too large for a delta-method variance",
                    path=path,
                    code="too_large",
                )
            variances[row] += term
    return estimates, [max(v, 0.0) for v in variances]


def _shape(
    estimates: list[float], variances: list[float], level: float, scale: Scale, vector: bool
) -> Interval | list[Interval]:
    out = [make_interval(e, v, level, scale) for e, v in zip(estimates, variances, strict=True)]
    return out if vector else out[0]


def _check_scale(scale: object) -> Scale:
    # A str first: a list or a dict is unhashable, and other objects may compare oddly.
    if type(scale) is str and scale in {"identity", "log", "logit"}:
        return scale  # type: ignore[return-value]
    raise ValidationError(
        'must be "identity", "log" or "logit"', path="$.scale", code="unknown_scale"
    )


def _forecaster(model: object, name: str = "model") -> ModelBase:
    checked = require_covariance(model, name)
    if not isinstance(checked, Forecaster):
        raise InvalidType(
            "must be a purchase model (BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom), "
            f"not {type_name(model)}",
            path=f"$.{name}",
        )
    return checked


def delta_method(
    function: Callable[[ModelBase], object],
    model: ModelBase,
    *,
    level: float = 0.95,
    scale: Scale = "identity",
) -> Interval | list[Interval]:
    """Delta-method interval of any smooth function of a fitted model's parameters.

    ``function(model)`` is called on copies of the model with slightly moved
    parameters and returns a number (one :class:`Interval` back) or a
    sequence of numbers (a list back). ``scale`` is where the normal interval
    is built: ``"log"`` for positive quantities, ``"logit"`` for
    probabilities.

    Raises:
        ValidationError: ``level`` outside (0, 1) (``$.level``), an unknown
            ``scale``, or a model without a covariance matrix (``$.model``).

    Example:
        >>> from crmcore.clv.models._bgnbd import BetaGeo
        >>> covariance = [
        ...     [1.6e-4, 0.0, 0.0, 0.0],
        ...     [0.0, 0.143, 0.0, 0.0],
        ...     [0.0, 0.0, 0.0345, 0.0],
        ...     [0.0, 0.0, 0.0, 0.4975],
        ... ]
        >>> model = BetaGeo(
        ...     params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, covariance=covariance
        ... )
        >>> found = delta_method(lambda m: m.expected_purchases_new(52), model, scale="log")
        >>> round(found.estimate, 3), found.lower < found.estimate < found.upper
        (1.446, True)
    """
    chosen = confidence_level(level)
    how = _check_scale(scale)
    if not callable(function):
        raise InvalidType(f"must be callable, not {type_name(function)}", path="$.function")
    checked = require_covariance(model, "model")
    vector = [False]

    def run(models: Sequence[ModelBase]) -> list[float]:
        value = function(models[0])
        vector[0] = not is_scalar(value)
        return _as_list(value)

    estimates, variances = propagate(run, [checked])
    return _shape(estimates, variances, chosen, how, vector[0])


def probability_alive_intervals(
    model: ModelBase,
    frequency: float | Iterable[float],
    recency: float | Iterable[float],
    T: float | Iterable[float],  # noqa: N803 - the literature's name (BG/BB: periods).
    *,
    level: float = 0.95,
) -> Interval | list[Interval]:
    """Delta-method intervals of each customer's P(alive), built on the logit scale.

    Numbers give one :class:`Interval`, sequences a list. A P(alive) of exactly
    1 (a BG/NBD customer without repeat purchases) has a zero-width interval.

    Raises:
        ValidationError: ``level`` outside (0, 1), bad histories (as the
            model's ``probability_alive``), or no covariance (``$.model``).
    """
    chosen = confidence_level(level)
    checked = _forecaster(model)
    vector = not (is_scalar(frequency) and is_scalar(recency) and is_scalar(T))

    def run(models: Sequence[ModelBase]) -> list[float]:
        return _as_list(models[0].probability_alive(frequency, recency, T, backend="python"))  # type: ignore[attr-defined]

    estimates, variances = propagate(run, [checked])
    return _shape(estimates, variances, chosen, "logit", vector)


def expected_purchases_intervals(
    model: ModelBase,
    t: float,
    frequency: float | Iterable[float],
    recency: float | Iterable[float],
    T: float | Iterable[float],  # noqa: N803 - the literature's name (BG/BB: periods).
    *,
    level: float = 0.95,
) -> Interval | list[Interval]:
    """Delta-method intervals of each customer's expected purchases in the next ``t``, on the log scale.

    Raises:
        ValidationError: ``level`` outside (0, 1), a bad ``t`` or histories
            (as the model's ``expected_purchases``), or no covariance (``$.model``).
    """
    chosen = confidence_level(level)
    checked = _forecaster(model)
    vector = not (is_scalar(frequency) and is_scalar(recency) and is_scalar(T))

    def run(models: Sequence[ModelBase]) -> list[float]:
        answer = models[0].expected_purchases(t, frequency, recency, T, backend="python")  # type: ignore[attr-defined]
        return _as_list(answer)

    estimates, variances = propagate(run, [checked])
    return _shape(estimates, variances, chosen, "log", vector)


#: Longest horizon of :func:`lifetime_value_intervals`: each interval re-runs the lifetime
#: value once per parameter shift (some 30 runs), so it takes a shorter horizon than
#: :data:`crmcore.clv.models._clv.MAX_CLV_HORIZON`.
MAX_INTERVAL_HORIZON = 1_000


def lifetime_value_intervals(  # noqa: PLR0917 - the history columns, as customer_lifetime_value.
    purchase_model: ModelBase,
    spend_model: GammaGamma,
    frequency: float | Iterable[float],
    recency: float | Iterable[float],
    T: float | Iterable[float],  # noqa: N803 - the literature's name.
    monetary_value: float | Iterable[float],
    *,
    horizon: int,
    discount_rate: float | Percent,
    margin: float | Percent = 1.0,
    nonpositive: NonPositive = "exclude",
    level: float = 0.95,
) -> Interval | list[Interval]:
    """Delta-method intervals of each customer's lifetime value, on the log scale.

    The value is :func:`crmcore.clv.customer_lifetime_value`'s, with
    ``discount_rate``, ``margin`` (fractions, or :class:`Percent`) and
    ``nonpositive`` as it takes them; both models' covariances count, as
    independent estimates (they come from separate likelihoods: the
    Gamma-Gamma model assumes spend independent of the purchase process).

    ``horizon`` is at most :data:`MAX_INTERVAL_HORIZON` (1,000 periods; code
    ``too_large``, checked before any work).

    Raises:
        ValidationError: ``level`` outside (0, 1), a horizon over 1,000, either model without a
            covariance (``$.purchase_model`` / ``$.spend_model``), or any
            argument :func:`customer_lifetime_value` refuses.
    """
    chosen = confidence_level(level)
    # Checked before any work: the interval costs some 30 lifetime values.
    check_horizon(horizon, "horizon", whole=True, maximum=MAX_INTERVAL_HORIZON)
    purchases = _forecaster(purchase_model, "purchase_model")
    if not isinstance(spend_model, GammaGamma):
        raise InvalidType(
            f"must be a GammaGamma model, not {type_name(spend_model)}", path="$.spend_model"
        )
    spend = require_covariance(spend_model, "spend_model")
    vector = not all(is_scalar(v) for v in (frequency, recency, T, monetary_value))

    def run(models: Sequence[ModelBase]) -> list[float]:
        answer = customer_lifetime_value(
            models[0],
            models[1],
            frequency,
            recency,
            T,
            monetary_value,
            horizon=horizon,
            discount_rate=discount_rate,
            margin=margin,
            nonpositive=nonpositive,
            backend="python",
        )
        return _as_list(answer)

    estimates, variances = propagate(run, [purchases, spend], "$.monetary_value")
    return _shape(estimates, variances, chosen, "log", vector)
