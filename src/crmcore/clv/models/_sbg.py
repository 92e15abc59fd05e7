"""The shifted-beta-geometric (sBG) model of contractual retention.

Fader & Hardie (2007), "How to Project Customer Retention", Journal of
Interactive Marketing 21(1), 76-90. At the end of each period a customer
cancels with probability ``theta ~ Beta(alpha, beta)``.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Mapping
from typing import ClassVar, Self, overload

import attrs

from crmcore.clv.models._base import ModelBase, ProgressCallback, run_fit
from crmcore.clv.models._data import MAX_HORIZON, Checker, DrawBudget, column, horizon, number
from crmcore.clv.models._exact import negative_log_likelihood_hessian
from crmcore.clv.models._optimize import numeric_gradient
from crmcore.clv.models._priors import Prior
from crmcore.clv.models._sim import simulation_seed, simulation_size
from crmcore.clv.models._special import lbeta, log_integrate, log_sigmoid, logaddexp

_LOG = math.log
_EXP = math.exp


class _Likelihood:
    """``sum_t (n_{t-1} - n_t) log P(T = t) + n_k log S(k)`` (Fader & Hardie 2007, eq. B3)."""

    def __init__(self, survivors: list[float]) -> None:
        self.lost = [a - b for a, b in itertools.pairwise(survivors)]
        self.remaining = survivors[-1]

    def value(self, log_params: list[float]) -> float:
        alpha, beta = (_EXP(v) for v in log_params)
        # P(T=1) = alpha/(alpha+beta); P(T=t) = P(T=t-1) (beta+t-2)/(alpha+beta+t-1) (eq. 7).
        log_p = _LOG(alpha / (alpha + beta))
        log_s = _LOG(beta / (alpha + beta))
        total = 0.0
        for t, lost in enumerate(self.lost, start=1):
            if t > 1:
                log_p += _LOG((beta + t - 2.0) / (alpha + beta + t - 1.0))
                log_s += _LOG((beta + t - 1.0) / (alpha + beta + t - 1.0))
            if lost:
                total += lost * log_p
        if self.remaining:
            total += self.remaining * log_s
        return -total

    def __call__(self, log_params: list[float]) -> tuple[float, list[float]]:
        return self.value(log_params), numeric_gradient(self.value, log_params, step=1e-6)


#: Discount rates from this one up are summed term by term (at most about 40,000 terms).
_SERIES_RATE = 1e-3


def _residual_series(alpha: float, beta: float, rate: float) -> float:
    """``sum_j E[(1-theta)^(j+1)] / (1+rate)^j`` for ``theta ~ Beta(alpha, beta)``, term by term."""
    factor = 1.0 / (1.0 + rate)
    term = beta / (alpha + beta)
    total = 0.0
    j = 0
    while True:
        total += term
        term *= (beta + 1.0 + j) / (alpha + beta + 1.0 + j) * factor
        j += 1
        if term <= 1e-16 * total * (1.0 - factor):
            return total


def _residual_integral(alpha: float, beta: float, rate: float) -> float:
    """``E[(1 - theta)(1 + rate) / (rate + theta)]`` for ``theta ~ Beta(alpha, beta)``.

    Integrated over ``u = logit(theta)``, where the Beta density is smooth and
    both tails fall exponentially.
    """
    log_rate = _LOG(rate)
    scale = _LOG(1.0 + rate) - lbeta(alpha, beta)

    def logf(u: float) -> float:
        log_theta = log_sigmoid(u)
        log_rest = log_sigmoid(-u)
        return alpha * log_theta + (beta + 1.0) * log_rest + scale - logaddexp(log_rate, log_theta)

    mode = _LOG(alpha) - _LOG(beta)
    low = min(log_rate, mode) - 60.0 / min(alpha, 1.0)
    high = max(mode, 0.0) + 60.0 / min(beta + 1.0, 1.0)
    inner = (log_rate - 20.0, log_rate, log_rate + 5.0, mode - 10.0, mode, mode + 10.0)
    points = sorted({low, high, *(p for p in inner if low < p < high)})
    return _EXP(log_integrate(logf, points))


@attrs.frozen(slots=True, kw_only=True)
class ShiftedBetaGeometric(ModelBase):
    """The sBG model of contract renewals (Fader & Hardie 2007).

    Parameters ``alpha, beta`` of the beta distribution of churn probabilities.

    Example:
        >>> from crmcore.clv import ShiftedBetaGeometric
        >>> model = ShiftedBetaGeometric(params={"alpha": 0.668, "beta": 3.806})
        >>> [round(v, 3) for v in model.survival([1, 2, 3])]
        [0.851, 0.747, 0.67]
        >>> round(model.retention_rate(8), 3)
        0.942
    """

    _names: ClassVar[tuple[str, ...]] = ("alpha", "beta")

    def fit(
        self,
        survivors: Iterable[float],
        *,
        initial_params: Mapping[str, float] | None = None,
        progress: ProgressCallback | None = None,
        max_iterations: int = 500,
        require_convergence: bool = True,
        penalizer: float = 0.0,
        priors: Mapping[str, Prior] | None = None,
    ) -> Self:
        """Fit to the survivor counts of one cohort and return a new, fitted model.

        Args:
            survivors: customers still active at the start (the cohort size) and
                after each period: ``[1000, 869, 743, ...]``; never increasing.
            initial_params: where the search starts (see :meth:`BetaGeo.fit`).
            progress: called as ``progress(iteration, negative_log_likelihood)``.
            max_iterations: BFGS iterations allowed.
            require_convergence: raise :class:`ConvergenceError` unless converged
                (its ``reason`` says why).
            penalizer: adds ``penalizer * cohort size * (alpha^2 + beta^2)`` to the
                negative log-likelihood (see docs/clv_fitting.md).
            priors: parameter name to a prior: a MAP fit (see :meth:`BetaGeo.fit`).
        """
        counts = column(survivors, "survivors")
        checker = Checker()
        if len(counts) < 2:
            checker.add(
                "$.survivors", "must hold the cohort size and at least one later count", "too_short"
            )
        for i, value in enumerate(counts):
            if value < 0:
                checker.add(f"$.survivors[{i}]", "must not be negative", "negative")
            elif i == 0 and value == 0:
                checker.add("$.survivors[0]", "must be positive (the cohort size)", "not_positive")
            elif i > 0 and value > counts[i - 1]:
                checker.add(
                    f"$.survivors[{i}]", "must not exceed the count before it", "increasing"
                )
            if checker.problems:
                break
        checker.raise_if_any()
        outcome = run_fit(
            self._names,
            _Likelihood(counts),
            self._start(initial_params, (1.0, 1.0)),
            rows=len(counts),
            customers=counts[0],
            progress=progress,
            max_iterations=max_iterations,
            require_convergence=require_convergence,
            penalizer=penalizer,
            priors=priors,
            hessian=lambda values: negative_log_likelihood_hessian(
                "ShiftedBetaGeometric", [(c,) for c in counts], [], values
            ),
        )
        return self._with_fit(outcome)

    def _log_survival(self, t: float) -> float:
        alpha, beta = self._values()
        # S(t) = B(alpha, beta + t) / B(alpha, beta) (eq. 1).
        return lbeta(alpha, beta + t) - lbeta(alpha, beta)

    @overload
    def survival(self, t: float) -> float: ...
    @overload
    def survival(self, t: Iterable[float]) -> list[float]: ...
    def survival(self, t: float | Iterable[float]) -> float | list[float]:
        """Share of a cohort still active after ``t`` periods, ``S(t)`` (eq. 1)."""
        if isinstance(t, Iterable):
            return [
                _EXP(self._log_survival(horizon(v, f"t[{i}]", whole=True, maximum=MAX_HORIZON)))
                for i, v in enumerate(t)
            ]
        return _EXP(self._log_survival(horizon(t, whole=True, maximum=MAX_HORIZON)))

    @overload
    def retention_rate(self, t: float) -> float: ...
    @overload
    def retention_rate(self, t: Iterable[float]) -> list[float]: ...
    def retention_rate(self, t: float | Iterable[float]) -> float | list[float]:
        """Share of period ``t - 1``'s survivors who renew in period ``t``: ``(beta+t-1)/(alpha+beta+t-1)`` (eq. 8)."""
        alpha, beta = self._values()

        def one(value: object, path: str) -> float:
            period = horizon(value, path, whole=True, maximum=MAX_HORIZON)
            checker = Checker()
            if period < 1:
                checker.add(f"$.{path}", "must be at least 1", "too_small")
            checker.raise_if_any()
            return (beta + period - 1.0) / (alpha + beta + period - 1.0)

        if isinstance(t, Iterable):
            return [one(v, f"t[{i}]") for i, v in enumerate(t)]
        return one(t, "t")

    def churn_probability(self, t: int) -> float:
        """Probability that a new customer cancels in period ``t``: ``B(alpha+1, beta+t-1)/B(alpha, beta)`` (eq. 6)."""
        period = horizon(t, whole=True, maximum=MAX_HORIZON)
        if period < 1:
            return 0.0
        alpha, beta = self._values()
        return _EXP(lbeta(alpha + 1.0, beta + period - 1.0) - lbeta(alpha, beta))

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, *, renewals: int = 0
    ) -> float:
        """Expected discounted number of future payments of a customer who has renewed ``renewals`` times.

        Fader & Hardie (2010), "Customer-Base Valuation in a Contractual Setting:
        The Perils of Ignoring Heterogeneity", eq. (6):
        ``sum_{j>=0} S(n+1+j) / S(n) / (1+d)^j``, the next payment undiscounted.
        Multiply by the margin per period for the residual value.

        The sum equals ``E[(1 - theta)(1 + d) / (d + theta)]`` over the churn
        probabilities ``theta ~ Beta(alpha, beta + n)`` of customers who renewed
        ``n`` times. It is added up term by term for rates of at least 0.1%,
        and integrated numerically below that, where the terms fall too
        slowly: the time taken never grows with a small ``discount_rate``.

        Raises:
            ValidationError: ``discount_rate`` is not in ``(0, 1]`` or
                ``renewals`` is not a whole number from 0 to 1,000,000.
        """
        rate = number(discount_rate, "$.discount_rate")
        n = horizon(renewals, "renewals", whole=True, maximum=MAX_HORIZON)
        checker = Checker()
        if rate <= 0:
            checker.add(
                "$.discount_rate",
                "must be positive (the sum diverges without discounting)",
                "not_positive",
            )
        elif rate > 1:
            checker.add(
                "$.discount_rate",
                "must be a fraction from 0 to 1 (the discount rate per period): "
                "pass 0.1 for 10%, not 10",
                "not_fraction",
            )
        checker.raise_if_any()
        alpha, beta = self._values()
        if rate >= _SERIES_RATE:
            return _residual_series(alpha, beta + n, rate)
        return _residual_integral(alpha, beta + n, rate)

    def simulate(self, n_customers: int, periods: int, *, seed: int) -> list[float]:
        """Survivor counts of a simulated cohort: ``[n_customers, after 1 period, ...]``."""
        size = simulation_size(n_customers)
        length = int(horizon(periods, "periods", whole=True))
        rng = random.Random(simulation_seed(seed))  # noqa: S311 - seeded simulation, not cryptography.
        alpha, beta = self._values()
        DrawBudget().spend(size * length)  # known before the first draw
        counts = [0.0] * (length + 1)
        for _ in range(size):
            theta = rng.betavariate(alpha, beta)
            counts[0] += 1
            for period in range(1, length + 1):
                if rng.random() < theta:
                    break
                counts[period] += 1
        return counts
