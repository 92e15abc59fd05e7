"""The BG/BB model for discrete transaction opportunities.

Fader, Hardie & Shang (2010), "Customer-Base Analysis in a Discrete-Time
Noncontractual Setting", Marketing Science 29(6), 1086-1108. While alive, a
customer transacts at each opportunity with probability ``p ~ Beta(alpha,
beta)``; at the start of each opportunity a living customer drops out with
probability ``theta ~ Beta(gamma, delta)``.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Self, overload

import attrs

from crmcore.clv.models._backend import Backend, Column, Histories, load, replay
from crmcore.clv.models._base import ModelBase, ProgressCallback
from crmcore.clv.models._data import (
    MAX_COUNT,
    Checker,
    DrawBudget,
    check_whole,
    horizon,
    load_rows,
)
from crmcore.clv.models._exact import negative_log_likelihood_hessian
from crmcore.clv.models._forecast import Forecaster
from crmcore.clv.models._priors import Prior
from crmcore.clv.models._sim import simulation_horizons, simulation_seed, simulation_size
from crmcore.clv.models._special import digamma, lbeta, logsumexp

if TYPE_CHECKING:
    from crmcore.clv.models._backend import FloatArray, NumberArray

_LOG = math.log
_EXP = math.exp


def _check_row(  # noqa: PLR0911, PLR0917 - one return per rule; a row's three values.
    checker: Checker,
    index: int | None,
    x: float,
    t_x: float,
    n: float,
    periods: str = "periods",
) -> bool:
    if check_whole(checker, "frequency", index, x):
        return True
    if check_whole(checker, "recency", index, t_x):
        return True
    # periods = 0 is a newcomer (first purchase at the last opportunity): the model defines it.
    if check_whole(checker, periods, index, n):
        return True
    if n > MAX_COUNT:  # the likelihood adds one term per period
        where = f"$.{periods}" if index is None else f"$.{periods}[{index}]"
        return checker.add(where, f"must be at most {MAX_COUNT:,}", "too_large")
    where = "$.recency" if index is None else f"$.recency[{index}]"
    if t_x > n:
        return checker.add(where, f"must not be greater than {periods}", "recency_above_T")
    if t_x < x:
        return checker.add(
            where,
            "must be at least frequency (one purchase per period at most)",
            "recency_below_frequency",
        )
    if x == 0 and t_x != 0:
        return checker.add(where, "must be 0 when frequency is 0", "recency_without_purchases")
    return False


def _check_histories(histories: Histories, name: str = "periods") -> None:
    """Check discrete histories (the first three columns); the third is called ``name``."""
    x, t_x, n = histories.columns[:3]
    np = histories.np
    if np is not None:
        ok = bool(
            (
                (x >= 0)
                & (x == np.floor(x))
                & (t_x >= 0)
                & (t_x == np.floor(t_x))
                & (n >= 0)
                & (n == np.floor(n))
                & (n <= MAX_COUNT)
                & (t_x <= n)
                & (t_x >= x)
                & ((x != 0) | (t_x == 0))
            ).all()
        )
    else:
        probe = Checker()
        for row in zip(x, t_x, n, strict=True):
            if _check_row(probe, None, *row, periods=name) or probe.problems:
                break
        ok = not probe.problems
    if not ok:
        replay(histories, functools.partial(_check_row, periods=name))


def _log_terms(params: Sequence[float], x: int, t_x: int, n: int) -> tuple[float, list[float]]:
    """The alive-throughout term and the died-after-``t_x`` terms of the likelihood, in logs.

    Fader, Hardie & Shang (2010), eq. (5).
    """
    alpha, beta, gamma, delta = params
    lb_ab = lbeta(alpha, beta)
    lb_gd = lbeta(gamma, delta)
    alive = lbeta(alpha + x, beta + n - x) - lb_ab + lbeta(gamma, delta + n) - lb_gd
    died = [
        lbeta(alpha + x, beta + t_x - x + i) - lb_ab + lbeta(gamma + 1.0, delta + t_x + i) - lb_gd
        for i in range(n - t_x)
    ]
    return alive, died


class _Likelihood:
    """The weighted negative log-likelihood and its analytic gradient in log-parameters.

    Each row's likelihood is ``sum_j exp(term_j)`` over the terms of
    :func:`_log_terms`; every term is a sum of log-beta functions, whose
    derivatives are digamma differences (``d lbeta(a, b) / da = psi(a) - psi(a + b)``),
    so the gradient is the terms' gradients weighted by their softmax. The
    digammas of consecutive periods follow from ``psi(z + 1) = psi(z) + 1/z``.
    """

    def __init__(self, rows: Sequence[tuple[float, ...]], weights: Sequence[float]) -> None:
        self.rows = [
            (int(x), int(t_x), int(n), w) for (x, t_x, n), w in zip(rows, weights, strict=True)
        ]

    def value(self, log_params: Sequence[float]) -> float:
        params = [_EXP(v) for v in log_params]
        total = 0.0
        for x, t_x, n, w in self.rows:
            alive, died = _log_terms(params, x, t_x, n)
            total += w * logsumexp([alive, *died])
        return -total

    def __call__(self, log_params: list[float]) -> tuple[float, list[float]]:
        alpha, beta, gamma, delta = params = [_EXP(v) for v in log_params]
        ab, gd = alpha + beta, gamma + delta
        # The gradient of -lbeta(alpha, beta) - lbeta(gamma, delta), common to every term.
        psi_ab, psi_gd, psi_g = digamma(ab), digamma(gd), digamma(gamma)
        common = (
            psi_ab - digamma(alpha),
            psi_ab - digamma(beta),
            psi_gd - psi_g,
            psi_gd - digamma(delta),
        )
        psi_g1 = digamma(gamma + 1.0)
        total = 0.0
        grad = [0.0, 0.0, 0.0, 0.0]
        for x, t_x, n, w in self.rows:
            alive, died = _log_terms(params, x, t_x, n)
            top = max(alive, *died) if died else alive
            psi_ax = digamma(alpha + x)
            weight = _EXP(alive - top)
            size = weight
            d_alpha = weight * (psi_ax - digamma(ab + n))
            d_beta = weight * (digamma(beta + n - x) - digamma(ab + n))
            d_gamma = weight * (psi_g - digamma(gd + n))
            d_delta = weight * (digamma(delta + n) - digamma(gd + n))
            if died:
                # Period i = 0, then the recurrence for i = 1, 2, ...
                p_b = digamma(beta + t_x - x)
                p_ab = digamma(ab + t_x)
                p_d = digamma(delta + t_x)
                p_gd = digamma(gd + 1.0 + t_x)
                for i, term in enumerate(died):
                    if i:
                        p_b += 1.0 / (beta + t_x - x + i - 1.0)
                        p_ab += 1.0 / (ab + t_x + i - 1.0)
                        p_d += 1.0 / (delta + t_x + i - 1.0)
                        p_gd += 1.0 / (gd + t_x + i)
                    weight = _EXP(term - top)
                    size += weight
                    d_alpha += weight * (psi_ax - p_ab)
                    d_beta += weight * (p_b - p_ab)
                    d_gamma += weight * (psi_g1 - p_gd)
                    d_delta += weight * (p_d - p_gd)
            total += w * (top + _LOG(size))
            scale = w / size
            grad[0] += scale * d_alpha
            grad[1] += scale * d_beta
            grad[2] += scale * d_gamma
            grad[3] += scale * d_delta
        customers = math.fsum(w for *_, w in self.rows)
        return -total, [
            -(g + customers * c) * p for g, c, p in zip(grad, common, params, strict=True)
        ]


@attrs.frozen(slots=True, kw_only=True)
class BetaGeoBetaBinom(ModelBase, Forecaster):
    """The BG/BB model (Fader, Hardie & Shang 2010) for discrete opportunities.

    Histories are ``frequency`` (opportunities with a transaction), ``recency``
    (the last such opportunity, 0 if none) and ``periods`` (opportunities
    observed). Parameters ``alpha, beta`` (transaction probability) and
    ``gamma, delta`` (drop-out probability).

    Example:
        >>> from crmcore.clv import BetaGeoBetaBinom
        >>> model = BetaGeoBetaBinom(
        ...     params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
        ... )
        >>> [round(model.probability_alive(x, t_x, 6), 2) for x, t_x in [(0, 0), (2, 4), (6, 6)]]
        [0.11, 0.59, 0.93]
    """

    _names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    _whole: ClassVar[bool] = True

    def fit(
        self,
        frequency: Iterable[float],
        recency: Iterable[float],
        periods: Iterable[float],
        *,
        weights: Iterable[float] | None = None,
        initial_params: Mapping[str, float] | None = None,
        progress: ProgressCallback | None = None,
        max_iterations: int = 500,
        require_convergence: bool = True,
        penalizer: float = 0.0,
        priors: Mapping[str, Prior] | None = None,
    ) -> Self:
        """Fit by maximum likelihood (or MAP with priors) and return a new, fitted model.

        Args:
            frequency: opportunities with a transaction, per row.
            recency: the last opportunity with a transaction (0 if none).
            periods: opportunities observed (``n``); 0 for a newcomer, whose
                likelihood is 1 (it contributes nothing to the fit).
            weights: customers per row, as in the published recency/frequency
                tables; default one each.
            initial_params: where the search starts (see :meth:`BetaGeo.fit`).
            progress: called as ``progress(iteration, negative_log_likelihood)``.
            max_iterations: BFGS iterations allowed.
            require_convergence: raise :class:`ConvergenceError` unless converged
                (its ``reason`` says why).
            penalizer: lifetimes' ``penalizer_coef``: adds
                ``penalizer * customers * (alpha^2 + beta^2 + gamma^2 + delta^2)``
                to the negative log-likelihood (see docs/clv_fitting.md).
            priors: parameter name to a prior: a MAP fit (see :meth:`BetaGeo.fit`).
        """
        arguments = [("frequency", frequency), ("recency", recency), ("periods", periods)]
        rows, w = load_rows(arguments, _check_row, weights)
        return self._fit(
            _Likelihood(rows, w),
            self._start(initial_params, (1.0, 1.0, 1.0, 1.0)),
            w,
            progress=progress,
            max_iterations=max_iterations,
            require_convergence=require_convergence,
            penalizer=penalizer,
            priors=priors,
            hessian=lambda values: negative_log_likelihood_hessian(
                "BetaGeoBetaBinom", rows, w, values
            ),
        )

    def _log_likelihood(self, x: int, t_x: int, n: int) -> float:
        alive, died = _log_terms(self._values(), x, t_x, n)
        return logsumexp([alive, *died])

    def _check_histories(self, histories: Histories, name: str = "periods") -> None:
        _check_histories(histories, name)

    def _histories(
        self, frequency: object, recency: object, periods: object, backend: object
    ) -> Histories:
        histories = load(
            backend, [("frequency", frequency), ("recency", recency), ("periods", periods)]
        )
        _check_histories(histories)
        return histories

    def _per_history(
        self, histories: Histories, value: Callable[[int, int, int, float], float]
    ) -> Column:
        """``value(x, t_x, n, log_likelihood)`` of each distinct history, spread to the base rows.

        Discrete histories repeat a lot (at most ``n (n + 1) / 2 + 1`` of them
        for ``n`` opportunities), so both paths compute them one by one.
        """
        (x, t_x, n), index = histories.distinct()
        np = histories.np
        rows: list[tuple[int, int, int]] | None = histories.memo.get("rows")
        likelihoods: list[float] | None = histories.memo.get("log_likelihood")
        if rows is None or likelihoods is None:
            listed = (x, t_x, n) if np is None else (x.tolist(), t_x.tolist(), n.tolist())
            rows = [(int(a), int(b), int(c)) for a, b, c in zip(*listed, strict=True)]
            likelihoods = [self._log_likelihood(*row) for row in rows]
            histories.memo["rows"] = rows
            histories.memo["log_likelihood"] = likelihoods
        values = [value(*row, ll) for row, ll in zip(rows, likelihoods, strict=True)]
        return histories.expand(values if np is None else np.array(values, dtype=np.float64), index)

    def _alive_column(self, histories: Histories) -> Column:
        """P(alive) at the next opportunity of every base row (Fader, Hardie & Shang 2010, eq. 11)."""
        alpha, beta, gamma, delta = self._values()
        lb_ab = lbeta(alpha, beta)
        lb_gd = lbeta(gamma, delta)

        def alive(x: int, _: int, n: int, log_likelihood: float) -> float:
            top = lbeta(alpha + x, beta + n - x) - lb_ab + lbeta(gamma, delta + n + 1.0) - lb_gd
            return min(1.0, _EXP(top - log_likelihood))

        return self._per_history(histories, alive)

    def _log_survival_terms(self, start: int, count: int) -> tuple[float, list[float]]:
        """``B(gamma, delta+start+i) / B(gamma, delta)`` for ``i = 1..count``, as ``(log first, ratios)``.

        The ratios are each term over the first (at most 1: the terms fall), so
        sums of them neither overflow nor lose the first term; one pass, by
        ``B(gamma, d + 1) / B(gamma, d) = d / (gamma + d)``.
        """
        _, _, gamma, delta = self._values()
        first = lbeta(gamma, delta + start + 1.0) - lbeta(gamma, delta)
        ratios = [1.0] * count
        ratio = 1.0
        for i in range(1, count):
            ratio *= (delta + start + i) / (gamma + delta + start + i)
            ratios[i] = ratio
        return first, ratios

    def _log_survival_sum(self, start: int, count: int) -> float:
        """``log sum_{i=1..count} B(gamma, delta+start+i) / B(gamma, delta)``."""
        if count <= 0:
            return -math.inf
        first, ratios = self._log_survival_terms(start, count)
        return first + _LOG(math.fsum(ratios))

    def _log_discounted_survival(self, start: int, factors: Sequence[float]) -> float:
        """``log sum_k factors[k-1] B(gamma, delta+start+k) / B(gamma, delta)`` (-inf if zero)."""
        first, ratios = self._log_survival_terms(start, len(factors))
        total = math.fsum(f * r for f, r in zip(factors, ratios, strict=True))
        return first + _LOG(total) if total > 0 else -math.inf

    def _expected_column(self, histories: Histories, span: float) -> Column:
        """Expected transactions in the next ``span`` opportunities of every base row.

        Fader, Hardie & Shang (2010), eq. (13), summed period by period:
        ``B(alpha+x+1, beta+n-x)/B(alpha, beta) / L * sum_{i=1..t} B(gamma, delta+n+i)/B(gamma, delta)``,
        which stays finite at ``gamma = 1``.
        """
        alpha, beta, _, _ = self._values()
        lb_ab = lbeta(alpha, beta)
        count = int(span)
        survival: dict[int, float] = {}

        def expected(x: int, _: int, n: int, log_likelihood: float) -> float:
            if count == 0:
                return 0.0
            if n not in survival:
                survival[n] = self._log_survival_sum(n, count)
            head = lbeta(alpha + x + 1.0, beta + n - x) - lb_ab
            return _EXP(head + survival[n] - log_likelihood)

        return self._per_history(histories, expected)

    def _value_column(self, histories: Histories, factors: Sequence[float]) -> Column:
        """``sum_k (E[X(k)] - E[X(k-1)]) factors[k-1]`` of every base row, the likelihood once each.

        ``E[X(k)] = B(alpha+x+1, beta+n-x)/B(alpha, beta) / L * sum_{i=1..k} B(gamma, delta+n+i)/B(gamma, delta)``
        (Fader, Hardie & Shang 2010, eq. 13), so the ``k``-th period's increment is the
        history's factor times ``B(gamma, delta+n+k)/B(gamma, delta)``: the discounted
        sum over the horizon is computed once per distinct ``n`` (cost linear in the
        horizon), then once per history.
        """
        alpha, beta, _, _ = self._values()
        lb_ab = lbeta(alpha, beta)
        sums: dict[int, float] = {}

        def value(x: int, _: int, n: int, log_likelihood: float) -> float:
            if not factors:
                return 0.0
            log_sum = sums.get(n)
            if log_sum is None:
                log_sum = sums[n] = self._log_discounted_survival(n, factors)
            head = lbeta(alpha + x + 1.0, beta + n - x) - lb_ab
            return _EXP(head + log_sum - log_likelihood)

        return self._per_history(histories, value)

    @overload
    def probability_alive(
        self, frequency: float, recency: float, periods: float, *, backend: Backend = "auto"
    ) -> float: ...
    @overload
    def probability_alive(
        self,
        frequency: NumberArray,
        recency: NumberArray | float,
        periods: NumberArray | float,
        *,
        backend: Backend = "auto",
    ) -> FloatArray: ...
    @overload
    def probability_alive(
        self,
        frequency: Iterable[float],
        recency: Iterable[float] | float,
        periods: Iterable[float] | float,
        *,
        backend: Backend = "auto",
    ) -> list[float]: ...
    def probability_alive(
        self,
        frequency: float | Iterable[float],
        recency: float | Iterable[float],
        periods: float | Iterable[float],
        *,
        backend: Backend = "auto",
    ) -> float | list[float] | FloatArray:
        """Probability of being alive at the next opportunity, ``periods + 1``.

        Numbers give a number, sequences a list, numpy arrays a numpy array.
        A newcomer (``periods`` 0, so ``frequency`` and ``recency`` 0) is alive
        now; at its first opportunity with probability ``delta / (gamma + delta)``,
        the chance of not dropping out at it (eq. 11 at ``n = 0``).
        ``backend`` chooses pure Python or numpy (see :func:`crmcore.clv.predict`).
        """
        return self._alive(frequency, recency, periods, backend)

    @overload
    def expected_purchases(
        self,
        t: float,
        frequency: float,
        recency: float,
        periods: float,
        *,
        backend: Backend = "auto",
    ) -> float: ...
    @overload
    def expected_purchases(
        self,
        t: float,
        frequency: NumberArray,
        recency: NumberArray | float,
        periods: NumberArray | float,
        *,
        backend: Backend = "auto",
    ) -> FloatArray: ...
    @overload
    def expected_purchases(
        self,
        t: float,
        frequency: Iterable[float],
        recency: Iterable[float] | float,
        periods: Iterable[float] | float,
        *,
        backend: Backend = "auto",
    ) -> list[float]: ...
    def expected_purchases(
        self,
        t: float,
        frequency: float | Iterable[float],
        recency: float | Iterable[float],
        periods: float | Iterable[float],
        *,
        backend: Backend = "auto",
    ) -> float | list[float] | FloatArray:
        """Expected transactions in the next ``t`` opportunities, given the history.

        Numbers give a number, sequences a list, numpy arrays a numpy array.
        A newcomer (``periods`` 0) expects what a new customer does
        (:meth:`expected_purchases_new`, eq. 9: eq. 13 at ``n = 0``).
        """
        return self._expected(t, frequency, recency, periods, backend)

    def _new_customer(self) -> Callable[[float], float]:
        """Expected transactions of a new customer in the first ``span`` opportunities.

        Fader, Hardie & Shang (2010), eq. (9), as ``alpha/(alpha+beta) sum_i B(gamma, delta+i)/B(gamma, delta)``.
        """
        alpha, beta, _, _ = self._values()
        share = alpha / (alpha + beta)
        # The terms of the longest span asked for so far: a shorter span's are their first
        # ones (the same recurrence), so horizons asked longest first cost one pass in all.
        longest: list[tuple[float, list[float]]] = []

        def one(span: float) -> float:
            count = int(span)
            if count <= 0:
                return share * 0.0
            if not longest or len(longest[0][1]) < count:
                longest[:] = [self._log_survival_terms(0, count)]
            first, ratios = longest[0]
            return share * _EXP(first + _LOG(math.fsum(ratios[:count])))

        return one

    def _new_customer_many(
        self, one: Callable[[float], float], spans: Sequence[float]
    ) -> list[float]:
        """:meth:`_new_customer` at each increasing span, the sums of terms shared.

        The longest span's terms serve every span (as in ``one``); each span's
        ``fsum`` of its first terms comes from one running exact sum (Shewchuk's
        partials, which ``math.fsum`` rounds correctly: the same value as the
        ``fsum`` of the prefix), so the cost grows with the longest span, not
        with the spans times their lengths.
        """
        counts = [int(span) for span in spans]
        top = max(counts, default=0)
        if top <= 0:
            return [one(span) for span in spans]
        alpha, beta, _, _ = self._values()
        share = alpha / (alpha + beta)
        first, ratios = self._log_survival_terms(0, top)
        partials: list[float] = []
        sums: list[float] = []
        for value in ratios:
            _add_exactly(partials, value)
            sums.append(math.fsum(partials))
        return [share * (_EXP(first + _LOG(sums[c - 1])) if c > 0 else 0.0) for c in counts]

    def probability_of_purchases(self, n: int, t: int) -> float:
        """Probability of exactly ``n`` transactions in the first ``t`` opportunities.

        Fader, Hardie & Shang (2010), eq. (8).
        """
        k = int(horizon(n, "n", whole=True))
        span = int(horizon(t, whole=True))
        if k > span:
            return 0.0
        alpha, beta, gamma, delta = self._values()
        lb_ab = lbeta(alpha, beta)
        lb_gd = lbeta(gamma, delta)

        def log_choose(a: int, b: int) -> float:
            return math.lgamma(a + 1.0) - math.lgamma(b + 1.0) - math.lgamma(a - b + 1.0)

        terms = [
            log_choose(span, k)
            + lbeta(alpha + k, beta + span - k)
            - lb_ab
            + lbeta(gamma, delta + span)
            - lb_gd
        ]
        terms.extend(
            log_choose(i, k)
            + lbeta(alpha + k, beta + i - k)
            - lb_ab
            + lbeta(gamma + 1.0, delta + i)
            - lb_gd
            for i in range(k, span)
        )
        return min(1.0, _EXP(logsumexp(terms)))

    def simulate(
        self, n_customers: int, periods: int | Iterable[int], *, seed: int
    ) -> dict[str, list[float]]:
        """Simulate customers over ``periods`` opportunities, reproducibly.

        Returns columns ``frequency``, ``recency`` and ``periods`` for :meth:`fit`.
        """
        size = simulation_size(n_customers)
        lengths = simulation_horizons(periods, size, "periods", whole=True)
        rng = random.Random(simulation_seed(seed))  # noqa: S311 - seeded simulation, not cryptography.
        alpha, beta, gamma, delta = self._values()
        budget = DrawBudget()
        budget.spend(int(math.fsum(lengths)))  # known before the first draw
        out: dict[str, list[float]] = {"frequency": [], "recency": [], "periods": []}
        for length in lengths:
            p = rng.betavariate(alpha, beta)
            theta = rng.betavariate(gamma, delta)
            x = last = 0
            for period in range(1, int(length) + 1):
                if rng.random() < theta:
                    break
                if rng.random() < p:
                    x += 1
                    last = period
            out["frequency"].append(float(x))
            out["recency"].append(float(last))
            out["periods"].append(length)
        return out


def _add_exactly(partials: list[float], value: float) -> None:
    """Add ``value`` to the non-overlapping ``partials`` whose exact sum they keep.

    Shewchuk (1997), "Adaptive Precision Floating-Point Arithmetic", the
    ``msum`` recipe behind ``math.fsum`` (finite values, as the terms here are).
    """
    i = 0
    for other in partials:
        x, y = (value, other) if abs(value) >= abs(other) else (other, value)
        high = x + y
        low = y - (high - x)
        if low:
            partials[i] = low
            i += 1
        value = high
    partials[i:] = [value]
