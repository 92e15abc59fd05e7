"""The BG/CNBD-k and MBG/CNBD-k models: regular (Erlang-k) purchase timing.

Platzer & Reutterer (2016), "Ticking Away the Moments: Timing Regularity Helps
to Better Predict Customer Activity", Marketing Science 35(5), 779-799.

While alive, a customer's inter-purchase times are Erlang-k with rate
``lambda ~ Gamma(r, alpha)`` (``k`` Poisson "phases" per purchase, so the
mean gap is ``k / lambda``); after each purchase (MBG/CNBD-k: also at the
first one) the customer drops out for good with probability ``p ~ Beta(a, b)``.
``k = 1`` is the BG/NBD (MBG/NBD) model.

Per customer with ``s = r + k x``, ``m`` = 0 (BG) or 1 (MBG) and
``u = (T - t_x) / (alpha + T)``, the likelihood is (Platzer & Reutterer 2016,
eq. for the (M)BG/CNBD-k likelihood)::

    L = exp((k-1) litt - x log((k-1)!)) * Gamma(s) alpha^r / Gamma(r)
        * B(a, b+x+m) / B(a, b) * (alpha+T)^-s
        * [ sum_{j<k} Gamma(s+j) / (Gamma(s) j!) u^j
            + [x+m>0] a / (b+x-1+m) ((alpha+T)/(alpha+t_x))^s ]

the sum being the Erlang-k survival of the time since the last purchase and
the last term the chance of having dropped out at it. P(alive) is the share
of the first term. Expectations are exact series (see
:func:`_expected_one`): given alive, the posterior over the number ``i`` of
phases already done since the last purchase, the rate's gamma posterior and the
drop-out's beta posterior give the future purchases as a sum of negative
binomial tails.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self

import attrs

from crmcore._kernel._checks import type_name
from crmcore.clv.models._backend import Column, Histories
from crmcore.clv.models._base import ConvergenceError, Objective, ProgressCallback
from crmcore.clv.models._cnbd_data import load_cnbd
from crmcore.clv.models._data import horizon, number, weighted_mean
from crmcore.clv.models._exact import negative_log_likelihood_hessian
from crmcore.clv.models._forecast import (
    RfmModel,
    SimulatedCustomer,
    beta_geo_customer,
    increments,
)
from crmcore.clv.models._priors import Prior
from crmcore.clv.models._special import digamma, lbeta
from crmcore.errors import InvalidType, ValidationError

_LOG = math.log
_EXP = math.exp

#: The largest regularity ``k`` accepted (Platzer & Reutterer search 1..12).
MAX_K = 50
#: Largest number of Poisson phases an exact expectation series may walk through.
MAX_PHASES = 2_000_000

#: Largest estimated number of series steps (pmf terms walked, over the ``k``
#: phase series and every period) one history's lifetime value may take: the
#: exact expectation of period ``j`` walks about ``k (r + k x + k) j / (alpha + T)``
#: terms, so the whole horizon ``H`` grows as ``H^2`` (about a second per million).
MAX_VALUE_STEPS = 5_000_000

#: Parameters in units of 1/time, penalized in units of the longest ``T`` (as RfmModel does).
_RATES = frozenset({"alpha"})


def _check_k(value: object, path: str = "$.k") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not 1 <= value <= MAX_K:
        raise ValidationError(f"must be from 1 to {MAX_K}", path=path, code="range")
    return value


def _k_field(value: object) -> int | None:
    return None if value is None else _check_k(value)


def _k_profile_field(value: object) -> tuple[tuple[int, float], ...] | None:
    """``None`` or at most ``MAX_K`` pairs ``(k, log-likelihood)``: checked before any work."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InvalidType(
            f"must be a sequence of (k, log-likelihood) pairs, not {type_name(value)}",
            path="$.k_profile",
        )
    if len(value) > MAX_K:
        raise ValidationError(
            f"must hold at most {MAX_K} pairs", path="$.k_profile", code="too_many"
        )
    pairs = []
    for i, pair in enumerate(value):
        where = f"$.k_profile[{i}]"
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise InvalidType("must be a (k, log-likelihood) pair", path=where)
        pairs.append((_check_k(pair[0], f"{where}[0]"), number(pair[1], f"{where}[1]")))
    return tuple(pairs)


class _Likelihood:
    """The (M)BG/CNBD-k negative log-likelihood of ``(x, t_x, T)`` rows and its gradient.

    The term ``(k-1) litt - x log((k-1)!)`` does not depend on the parameters
    and is left out here (the fit adds it to the reported log-likelihood).
    Gradient in log-parameters, analytic.
    """

    def __init__(
        self, rows: Sequence[tuple[float, ...]], weights: Sequence[float], k: int, shift: int
    ) -> None:
        self.k = k
        self.shift = shift
        xs = sorted({int(row[0]) for row in rows})
        index = {x: i for i, x in enumerate(xs)}
        self.xs = xs
        self.x_weight = [0.0] * len(xs)
        self.total = math.fsum(weights)
        self.rows: list[tuple[int, float, float, float, float]] = []
        for (x, t_x, t), w in zip(rows, weights, strict=True):
            i = index[int(x)]
            self.x_weight[i] += w
            self.rows.append((i, x, t_x, t, w))

    def __call__(self, log_params: list[float]) -> tuple[float, list[float]]:  # noqa: PLR0915 - one pass, kept inline for speed.
        r, alpha, a, b = (_EXP(v) for v in log_params)
        k, m = self.k, self.shift
        lb_ab = lbeta(a, b)
        psi_r, psi_b, psi_ab = digamma(r), digamma(b), digamma(a + b)
        lgamma_r = math.lgamma(r)
        n = len(self.xs)
        log_c = [0.0] * n  # log a - log(b + x - 1 + m)
        inv_c = [0.0] * n
        value = g_r = g_a = g_b = 0.0
        for i, count in enumerate(self.xs):
            w = self.x_weight[i]
            bx = b + count + m
            psi_abx = digamma(a + bx)
            value += w * (math.lgamma(r + k * count) - lgamma_r + lbeta(a, bx) - lb_ab)
            g_r += w * (digamma(r + k * count) - psi_r)
            g_a += w * (psi_ab - psi_abx)
            g_b += w * (digamma(bx) - psi_abx - psi_b + psi_ab)
            if count + m > 0:
                inv_c[i] = 1.0 / (bx - 1.0)
                log_c[i] = _LOG(a) + _LOG(inv_c[i])
        log_alpha = _LOG(alpha)
        value += self.total * r * log_alpha
        g_r += self.total * log_alpha
        g_alpha = self.total * r / alpha
        for i, x, t_x, t, w in self.rows:
            s = r + k * x
            at = alpha + t
            log_at = _LOG(at)
            value -= w * s * log_at
            g_r -= w * log_at
            g_alpha -= w * s / at
            # Erlang-k survival sum S2 = sum_j c_j, c_j = c_{j-1} (s+j-1)/j u.
            u = (t - t_x) / at
            c = s2 = 1.0
            harmonic = d_r2 = d_j = 0.0
            for j in range(1, k):
                c *= (s + j - 1.0) / j * u
                harmonic += 1.0 / (s + j - 1.0)
                s2 += c
                d_r2 += c * harmonic
                d_j += c * j
            log_s2 = _LOG(s2)
            d_alpha2 = -d_j / at  # d S2 / d alpha, as d log u / d alpha = -1 / (alpha + T)
            if x + m > 0:
                gap = log_at - _LOG(alpha + t_x)
                d = log_c[i] + s * gap - log_s2
                if d > 0:
                    e = _EXP(-d)
                    soft = d + math.log1p(e)
                    p1 = 1.0 / (1.0 + e)
                else:
                    e = _EXP(d)
                    soft = math.log1p(e)
                    p1 = e / (1.0 + e)
                p2 = 1.0 - p1
                value += w * (log_s2 + soft)
                g_r += w * (p1 * gap + p2 * d_r2 / s2)
                g_alpha += w * (p1 * s * (1.0 / at - 1.0 / (alpha + t_x)) + p2 * d_alpha2 / s2)
                g_a += w * p1 / a
                g_b -= w * p1 * inv_c[i]
            else:
                value += w * log_s2
                g_r += w * d_r2 / s2
                g_alpha += w * d_alpha2 / s2
        return -value, [-g_r * r, -g_alpha * alpha, -g_a * a, -g_b * b]


def _phase_weights(s: float, k: int, u: float) -> list[float]:
    """``c_j = Gamma(s+j) / (Gamma(s) j!) u^j`` for ``j < k`` (the Erlang-k survival terms)."""
    out = [1.0]
    for j in range(1, k):
        out.append(out[-1] * (s + j - 1.0) / j * u)
    return out


def _alive_one(  # noqa: PLR0917 - the parameters, k, the shift and one history.
    params: Sequence[float], k: int, m: int, x: float, t_x: float, t: float
) -> float:
    """P(alive at T) of one history: the first term's share of the likelihood.

    Platzer & Reutterer (2016): ``1 / (1 + S1 / S2)`` with ``S2`` the Erlang-k
    survival sum and ``S1 = a/(b+x-1+m) ((alpha+T)/(alpha+t_x))^(r+kx)``;
    1 for BG/CNBD-k without repeat purchases.
    """
    r, alpha, a, b = params
    if x + m == 0:
        return 1.0
    s = r + k * x
    at = alpha + t
    s2 = math.fsum(_phase_weights(s, k, (t - t_x) / at))
    d = _LOG(a) - _LOG(b + x - 1.0 + m) + s * (_LOG(at) - _LOG(alpha + t_x)) - _LOG(s2)
    if d > 0:
        e = _EXP(-d)
        return e / (1.0 + e)
    return 1.0 / (1.0 + _EXP(d))


def _nb_tails(s: float, q: float, first: int, step: int, path: str = "$.t") -> list[float]:  # noqa: C901 - one walk.
    """``P(M >= first + j step)`` for ``j = 0, 1, ...`` while not negligible, ``M ~ NB(s, q)``.

    ``M`` counts Poisson events of a rate ``lambda ~ Gamma(s, beta)`` in a span
    ``t`` with ``q = beta / (beta + t)``: ``P(M = n) = Gamma(s+n)/(Gamma(s) n!)
    q^s (1-q)^n``. The pmf is walked upward in logs until the remaining mass
    is below 1e-17 and below 1e-16 of the first tail (tails past
    the 1e-17 point are not listed); a tail above 1/2 is
    ``1 - P(M < n)``, a smaller one the sum of its terms (no cancellation far out).
    ``path`` names the argument blamed when the series would be too long.
    """
    log_q = _LOG(q)
    one_q = 1.0 - q
    if one_q <= 0.0:
        return [1.0] if first <= 0 else []
    log_1q = math.log1p(-q)
    mean = s * one_q / q
    spread = math.sqrt(s * one_q) / q
    if first + mean + 60.0 * spread > MAX_PHASES:
        raise ValidationError(
            f"is too long for the exact series of this history (more than {MAX_PHASES:,} "
            "purchase phases expected): use a shorter horizon",
            path=path,
            code="too_large",
        )
    marks: list[tuple[int, float]] = []  # (n, P(M < n)) at each threshold reached
    threshold = first
    lower = 0.0  # P(M < n)
    terms: list[float] = []  # the pmf from ``offset`` on, kept once P(M < n) > 1/2
    offset = -1
    log_pmf = s * log_q
    n = 0
    since = 0.0  # the mass from the first threshold on: a lower bound of the first tail
    rest = math.inf  # bounds the mass beyond n once the pmf ratios fall below 1
    while True:
        while threshold <= n and rest >= 1e-17:  # later tails are negligible: not listed
            marks.append((n, lower))
            threshold += step
        term = _EXP(log_pmf)
        if offset < 0 and lower > 0.5:
            offset = n
        if offset >= 0:
            terms.append(term)
        lower += term
        if marks:
            since += term
        ratio = (s + n) / (n + 1.0) * one_q
        if n > mean and ratio < 1.0:
            rest = term * ratio / (1.0 - ratio)
            # Stop once negligible, and small next to the first tail.
            if rest < 1e-17 and (not marks or rest <= 1e-16 * since):
                break
        log_pmf += _LOG((s + n) / (n + 1.0)) + log_1q
        n += 1
    # A small upper tail is summed directly (smallest terms first): 1 - P(M < n)
    # would keep only its rounding error from 1 far out.
    upper = [0.0] * (len(terms) + 1)
    for index in range(len(terms) - 1, -1, -1):
        upper[index] = upper[index + 1] + terms[index]
    return [upper[at - offset] if below > 0.5 else 1.0 - below for at, below in marks]


def _value_steps(params: Sequence[float], k: int, x: float, t: float, periods: int) -> float:
    """Estimated series steps of the expectations over periods ``1..periods`` of one history.

    Period ``j`` walks each phase series ``i < k`` past the negative binomial
    mean ``(r + k x + i) j / (alpha + T)`` and about ten spreads beyond.
    """
    r, alpha, _, _ = params
    per = (r + k * x + k) / (alpha + t)
    total = periods * (periods + 1) / 2.0
    return k * (per * total + 10.0 * math.sqrt(per * periods) * periods + (k + 20.0) * periods)


def _expected_one(  # noqa: PLR0917 - the parameters, k, the shift, one history and a span.
    params: Sequence[float],
    k: int,
    m: int,
    x: float,
    t_x: float,
    t: float,
    span: float,
    path: str = "$.t",
) -> float:
    """Expected purchases in ``(T, T + span]`` of one history (exact series).

    Given alive at ``T`` with ``i`` of the ``k`` phases since the last purchase
    done (posterior weight ``c_i / S2``), the rate is ``Gamma(r + kx + i,
    alpha + T)`` and the drop-out ``Beta(a, b + x + m)``; the ``j``-th future
    purchase needs ``jk - i`` phases and survival of the ``j - 1`` purchases
    before it, so ``E = P(alive) sum_i (c_i/S2) sum_{j>=1}
    B(a, b+x+m+j-1)/B(a, b+x+m) P(NB(r+kx+i, q) >= jk - i)`` with
    ``q = (alpha+T)/(alpha+T+span)``. For ``k = 1`` it equals the BG/NBD
    expectation (Fader, Hardie & Lee 2005, eq. 10).
    """
    if span == 0:
        return 0.0
    r, alpha, a, b = params
    alive = _alive_one(params, k, m, x, t_x, t)
    if alive == 0.0:
        return 0.0
    s = r + k * x
    at = alpha + t
    phases = _phase_weights(s, k, (t - t_x) / at)
    total_weight = math.fsum(phases)
    q = at / (at + span)
    c = b + x + m
    betas = [1.0]
    out = 0.0
    for i, weight in enumerate(phases):
        if weight == 0.0:
            continue
        tails = _nb_tails(s + i, q, k - i, k, path)
        while len(betas) < len(tails):
            j = len(betas)  # betas[j] = B(a, c+j) / B(a, c)
            betas.append(betas[-1] * (c + j - 1.0) / (a + c + j - 1.0))
        out += weight / total_weight * math.fsum(bj * tj for bj, tj in zip(betas, tails))  # noqa: B905 - betas may be longer.
    return alive * out


@attrs.frozen(slots=True, kw_only=True)
class _CnbdFamily(RfmModel):
    """What BG/CNBD-k and MBG/CNBD-k share; ``_shift`` is 1 for the modified model."""

    _names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _shift: ClassVar[int] = 0

    #: Regularity: Erlang-k inter-purchase times (1 = exponential). None: chosen by the fit.
    k: int | None = attrs.field(default=None, converter=_k_field)
    #: ``(k, log-likelihood)`` of each ``k`` tried when the fit chose ``k``; else None.
    k_profile: tuple[tuple[int, float], ...] | None = attrs.field(
        default=None, repr=False, converter=_k_profile_field
    )

    def _k(self) -> int:
        if self.k is None:
            raise ValidationError(
                "is not set: give k=, or fit with litt= to choose it", path="$.k", code="missing"
            )
        return self.k

    def _objective(self, rows: Sequence[tuple[float, ...]], weights: Sequence[float]) -> Objective:
        return _Likelihood(rows, weights, self._k(), self._shift)

    def _guess(self, mean_age: float) -> tuple[float, ...]:
        # BetaGeo's start for k = 1; alpha grows with k (the mean gap is k / lambda).
        return (1.0, self._k() * max(mean_age / 10.0, 1e-3), 1.0, 3.0)

    def fit(
        self,
        frequency: Iterable[float],
        recency: Iterable[float],
        T: Iterable[float],  # noqa: N803 - the literature's name.
        litt: Iterable[float] | None = None,
        *,
        weights: Iterable[float] | None = None,
        initial_params: Mapping[str, float] | None = None,
        progress: ProgressCallback | None = None,
        max_iterations: int = 500,
        require_convergence: bool = True,
        penalizer: float = 0.0,
        priors: Mapping[str, Prior] | None = None,
        max_k: int = 12,
    ) -> Self:
        """Fit by maximum likelihood (or MAP with priors) and return a new, fitted model.

        With ``k`` set on the model, ``r, alpha, a, b`` are fitted for that
        ``k``; ``litt`` is then optional (it only adds a constant to the
        log-likelihood: without it ``log_likelihood`` leaves out
        ``(k-1) sum litt``, as BTYDplus does). With ``k=None``, ``litt`` is
        required and each ``k`` from 1 to ``max_k`` is fitted, stopping early
        once the log-likelihood fell twice in a row (after ``k = 2``); the one
        with the largest log-likelihood is returned, with ``k_profile`` listing
        every ``(k, log_likelihood)`` tried.

        Args:
            frequency: repeat purchases of each customer (whole numbers).
            recency: time of the last repeat purchase from the first (0 without).
            T: time from the first purchase to the end of observation.
            litt: each customer's sum of log inter-transaction times (see
                :func:`cnbd_summary`); 0 when frequency is 0.
            weights: how many customers each row stands for; default one each.
            initial_params: where the search starts (for every ``k`` tried).
            progress: called as ``progress(iteration, negative_log_likelihood)``.
            max_iterations: BFGS iterations allowed (per ``k``).
            require_convergence: raise :class:`ConvergenceError` if the fit does
                not converge (default), else return it with ``diagnostics``.
            penalizer: as for :meth:`BetaGeo.fit` (``alpha`` in units of the longest ``T``).
            priors: parameter name to prior: a MAP fit.
            max_k: the largest ``k`` tried when ``k`` is chosen.

        Raises:
            ValidationError: bad data (naming the argument and index), ``litt``
                missing when ``k`` is to be chosen, a bad ``max_k``.
            ConvergenceError: the fit did not converge (with ``k`` chosen: the
                fit of the most likely ``k`` did not converge).
        """
        if self.k is None:
            if litt is None:
                raise ValidationError(
                    "is required to choose k (or set k= on the model)",
                    path="$.litt",
                    code="missing",
                )
            top = _check_k(max_k, "$.max_k")
            rows, w, litt_sum = load_cnbd(frequency, recency, T, litt, weights)
            tried: list[Self] = []
            for k in range(1, top + 1):
                model = attrs.evolve(self, k=k)._fit_rows(  # noqa: SLF001 - a copy of self.
                    rows,
                    w,
                    litt_sum,
                    initial_params,
                    progress,
                    max_iterations,
                    False,
                    penalizer,
                    priors,
                )
                tried.append(model)
                ll = [fitted.log_likelihood or -math.inf for fitted in tried]
                if k > 2 and ll[-1] < ll[-2] < ll[-3]:
                    break
            profile = tuple((m.k or 0, m.log_likelihood or -math.inf) for m in tried)
            # The largest likelihood over every k tried, converged or not: a k whose
            # fit ran off (boundary) must not win over a better one that stalled.
            best = max(tried, key=lambda m: m.log_likelihood or -math.inf)
            assert best.diagnostics is not None  # noqa: S101 - every fit records them.
            if require_convergence and not best.diagnostics.converged:
                raise ConvergenceError(
                    f"the fit for k={best.k}, the most likely k tried, did not converge "
                    f"({best.diagnostics.reason}); try require_convergence=False or set k=",
                    diagnostics=best.diagnostics,
                    params=best.params or {},
                )
            return attrs.evolve(best, k_profile=profile)
        rows, w, litt_sum = load_cnbd(frequency, recency, T, litt, weights)
        return self._fit_rows(
            rows,
            w,
            litt_sum,
            initial_params,
            progress,
            max_iterations,
            require_convergence,
            penalizer,
            priors,
        )

    def _fit_rows(  # noqa: PLR0917 - the loaded data and the fit's options.
        self,
        rows: list[tuple[float, ...]],
        w: list[float],
        litt_sum: float,
        initial_params: Mapping[str, float] | None,
        progress: ProgressCallback | None,
        max_iterations: int,
        require_convergence: bool,
        penalizer: float,
        priors: Mapping[str, Prior] | None,
    ) -> Self:
        k = self._k()
        start = self._start(initial_params, self._guess(weighted_mean((row[2] for row in rows), w)))
        longest = max((row[2] for row in rows), default=0.0)
        unit = 1.0 / longest if longest > 0 else 1.0
        fitted = self._fit(
            self._objective(rows, w),
            start,
            w,
            progress=progress,
            max_iterations=max_iterations,
            require_convergence=require_convergence,
            penalizer=penalizer,
            priors=priors,
            penalty_scales=[unit if p in _RATES else 1.0 for p in self._names],
            hessian=lambda values: negative_log_likelihood_hessian(
                type(self).__name__, rows, w, values, k=k
            ),
        )
        # The timing term (k-1) sum litt - sum x log((k-1)!) (constant in the parameters).
        x_sum = math.fsum(row[0] * wi for row, wi in zip(rows, w, strict=True))
        constant = (k - 1) * litt_sum - x_sum * math.lgamma(k)
        ll = fitted.log_likelihood
        return attrs.evolve(fitted, log_likelihood=None if ll is None else ll + constant)

    def _per_row(self, histories: Histories, one: Callable[[float, float, float], float]) -> Column:
        """One value per base row from ``one(x, t_x, T)`` over the distinct histories."""
        (x, t_x, t), index = histories.distinct()
        np = histories.np
        if np is not None:
            x, t_x, t = x.tolist(), t_x.tolist(), t.tolist()
        values: Any = [one(*row) for row in zip(x, t_x, t, strict=True)]
        if np is not None:
            values = np.asarray(values, dtype=float)
        return histories.expand(values, index)

    def _alive_column(self, histories: Histories) -> Column:
        """P(alive) of every base row (Platzer & Reutterer 2016; see :func:`_alive_one`)."""
        params, k, m = self._values(), self._k(), self._shift
        return self._per_row(histories, lambda x, t_x, t: _alive_one(params, k, m, x, t_x, t))

    def _expected_column(self, histories: Histories, span: float) -> Column:
        """Expected purchases in ``(T, T + span]`` of every base row (:func:`_expected_one`)."""
        params, k, m = self._values(), self._k(), self._shift
        return self._per_row(
            histories, lambda x, t_x, t: _expected_one(params, k, m, x, t_x, t, span)
        )

    def _value_column(self, histories: Histories, factors: Sequence[float]) -> Column:
        """``sum_k (E[X(k)] - E[X(k-1)]) factors[k-1]`` of every base row.

        Each period's expectation is an exact series as long as the span, so
        the work grows with the square of the horizon: a history whose
        estimated work (:func:`_value_steps`) exceeds :data:`MAX_VALUE_STEPS`
        is refused before any is done (``ValidationError`` at ``$.horizon``,
        code ``too_large``).
        """
        params, k, m = self._values(), self._k(), self._shift
        spans = [float(j) for j in range(1, len(factors) + 1)]
        (xs, t_xs, ts), _ = histories.distinct()
        for x, t_x, t in zip(list(xs), list(t_xs), list(ts), strict=True):
            if _value_steps(params, k, float(x), float(t), len(spans)) > MAX_VALUE_STEPS and (
                _alive_one(params, k, m, float(x), float(t_x), float(t)) > 0.0
            ):
                raise ValidationError(
                    f"is too long for the exact CNBD-k lifetime value of this history (more "
                    f"than {MAX_VALUE_STEPS:,} series steps): use a shorter horizon",
                    path="$.horizon",
                    code="too_large",
                )

        def one(x: float, t_x: float, t: float) -> float:
            return increments(
                (_expected_one(params, k, m, x, t_x, t, span, "$.horizon") for span in spans),
                factors,
                0.0,
            )

        return self._per_row(histories, one)

    def _new_customer(self) -> Callable[[float], float]:
        """Expected repeat purchases of a new customer in ``(0, span]``.

        The conditional expectation at ``x = t_x = T = 0`` (P(alive) 1 for
        BG/CNBD-k, ``b/(a+b)`` for MBG/CNBD-k).
        """
        params, k, m = self._values(), self._k(), self._shift
        return lambda span: _expected_one(params, k, m, 0.0, 0.0, 0.0, span)

    def _new_customer_steps(self, spans: Sequence[float]) -> float:
        """Estimated series steps of the new-customer forecasts at ``spans``.

        As :func:`_value_steps` for ``x = T = 0``: each phase series walks past
        its negative binomial mean ``(r + i) span / alpha`` and some spreads on.
        """
        r, alpha, _, _ = self._values()
        k = self._k()
        per = (r + k) / alpha
        return math.fsum(k * (per * s + 10.0 * math.sqrt(per * s) + k + 20.0) for s in spans)

    def probability_of_purchases(self, n: int, t: float) -> float:
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``.

        ``P(X >= n) = P(NB(r, alpha/(alpha+t)) >= n k) * E[(1-p)^(n-1+m)]``
        (``n`` purchases need ``n k`` phases; each purchase before the ``n``-th,
        and in MBG/CNBD-k the first one, survived); ``P(X = n)`` is the
        difference of two of them (Platzer & Reutterer 2016).
        """
        count = int(horizon(n, "n", whole=True))
        span = horizon(t)
        r, alpha, a, b = self._values()
        k, m = self._k(), self._shift
        if span == 0:
            return 1.0 if count == 0 else 0.0
        if count * k > MAX_PHASES:
            raise ValidationError(
                f"needs more than {MAX_PHASES:,} purchase phases (n * k): use a smaller n",
                path="$.n",
                code="too_large",
            )
        tails = _nb_tails(r, alpha / (alpha + span), count * k, k, "$.t")[:2]
        tails += [0.0] * (2 - len(tails))

        def survive(j: int) -> float:
            return 1.0 if j == 0 else _EXP(lbeta(a, b + j - 1 + m) - lbeta(a, b))

        return min(1.0, max(0.0, tails[0] * survive(count) - tails[1] * survive(count + 1)))

    def _simulated_customer(self) -> SimulatedCustomer:
        """One customer's ``(frequency, recency)``: Erlang-k gaps, drop-out after each purchase."""
        k = self._k()
        return beta_geo_customer(
            self._values(), self._shift, lambda rng, rate: rng.gammavariate(k, 1.0 / rate)
        )


@attrs.frozen(slots=True, kw_only=True)
class BetaGeoCnbd(_CnbdFamily):
    """The BG/CNBD-k model (Platzer & Reutterer 2016): BG/NBD with Erlang-k purchase timing.

    Parameters ``r, alpha`` (gamma heterogeneity of the Erlang rates), ``a, b``
    (beta heterogeneity of drop-out), and the regularity ``k`` (a field;
    ``k=1`` is BG/NBD). Fit it with ``k`` set, or with ``k=None`` and ``litt``
    to choose ``k`` by maximum likelihood.

    Example:
        >>> from crmcore.clv import BetaGeoCnbd
        >>> model = BetaGeoCnbd(k=1, params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> round(model.probability_alive(2, 30.43, 38.86), 3)  # as BG/NBD
        0.727
        >>> regular = BetaGeoCnbd(k=2, params={"r": 0.243, "alpha": 8.828, "a": 0.793, "b": 2.426})
        >>> round(regular.probability_alive(2, 30.43, 38.86), 3)
        0.768
    """


@attrs.frozen(slots=True, kw_only=True)
class ModifiedBetaGeoCnbd(_CnbdFamily):
    """The MBG/CNBD-k model (Platzer & Reutterer 2016): MBG/NBD with Erlang-k timing.

    Like :class:`BetaGeoCnbd`, but a customer may also drop out at the first
    purchase (``k=1`` is MBG/NBD, Batislam et al. 2007).

    Example:
        >>> from crmcore.clv import ModifiedBetaGeoCnbd
        >>> model = ModifiedBetaGeoCnbd(
        ...     k=1, params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
        ... )
        >>> round(model.probability_alive(0, 0, 38.86), 2)
        0.39
    """

    _shift: ClassVar[int] = 1
