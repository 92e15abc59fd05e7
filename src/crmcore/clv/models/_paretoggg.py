"""The Pareto/GGG model: customer-level timing regularity, estimated by MCMC.

Platzer & Reutterer (2016), "Ticking Away the Moments: Timing Regularity Helps
to Better Predict Customer Activity", Marketing Science 35(5), 779-799.

While alive, customer ``i``'s inter-purchase times are ``Gamma(k_i, k_i lambda_i)``
(shape ``k_i``, rate ``k_i lambda_i``: mean ``1 / lambda_i``, and the larger
``k_i``, the more regular), the lifetime from the first purchase is
``Exponential(mu_i)``, and across customers ``k ~ Gamma(t, gamma)``,
``lambda ~ Gamma(r, alpha)``, ``mu ~ Gamma(s, beta)`` (shape, rate). ``k = 1``
for everyone is the Pareto/NBD. A customer's history enters through
``(x, t_x, T, litt)``, ``litt`` being the sum of the logs of the ``x`` gaps.

Given ``(k, lambda, mu)`` and ``d = T - t_x``, with ``b = k lambda``,
``S(u) = Q(k, b u)`` (the gap's survival, ``Q`` the regularized upper
incomplete gamma) and ``P = 1 - Q``, the lifetime integrated out gives
(the paper's section 3; the closed form by parts)::

    L = (b^k / Gamma(k))^x exp((k-1) litt - b t_x) e^{-mu t_x} [1 - (b/(b+mu))^k P(k, (b+mu) d)]
    P(alive | k, lambda, mu) = e^{-mu d} S(d) / [1 - (b/(b+mu))^k P(k, (b+mu) d)]

the bracket being the chance that no purchase falls in ``(t_x, T]`` before
the customer dies.

Sampler. Like the paper's (and BTYDplus's ``pggg.mcmc.DrawParameters``) a
Gibbs sampler over customer-level latents and the heterogeneity parameters,
with the data augmented by the lifetime ``tau`` and, here also, by ``w``,
the (unobserved) gap from the last purchase to the next one. With ``w`` the
censored gap becomes an ordinary one, so every customer-level update is
cheap and needs no numerical integration (Tanner & Wong 1987, "The calculation of posterior
distributions by data augmentation", JASA 82, 528-540):

* ``tau | w`` with ``mu`` integrated out (``tau`` is then Lomax,
  ``P(tau > u) = (beta / (beta + u))^s``), above ``t_x`` and below ``t_x + w``
  when ``t_x + w <= T`` (the next purchase was not seen, so the customer
  died before it), by inversion; ``mu | tau ~ Gamma(s + 1, beta + tau)`` is
  drawn only for the kept draws;
* ``lambda | k, tau`` with ``w`` integrated out (the censored gap's survival
  ``Q(k, k lambda c)``, ``c = min(tau, T) - t_x``): independence
  Metropolis-Hastings from ``Gamma(r + k x, alpha + k (t_x + c))``, which is
  exact (always accepted) for ``k = 1``; drawing ``lambda`` through ``w``
  instead crawls for customers without repeat purchases, whose small rates
  and long gaps feed each other;
* ``w | tau, k, lambda``: ``Gamma(k, k lambda)`` truncated above
  ``min(tau, T) - t_x`` (by rejection: from the gamma itself, or for a far
  truncation from a shifted exponential);
* ``k | lambda, w``: slice sampling (Neal 2003, "Slice sampling", Annals of
  Statistics 31(3), 705-767) on ``log k``; its density is log-concave.

The heterogeneity pairs ``(t, gamma)`` and ``(r, alpha)`` are drawn as
blocks: the shape from its density with the rate integrated out (the rate's
gamma prior is conjugate), by slice sampling on the log scale, then the rate
from its gamma conditional; then non-centred Metropolis moves carry the
customers' values along (:func:`_rescale_block`). ``(s, beta)`` are drawn
given the gaps ``w`` with every ``tau`` and ``mu`` integrated out
(:func:`_lifetime_block`), so the lifetimes are drawn right after. The
hyperpriors are independent ``Gamma(0.001, 0.001)``, as in BTYDplus.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from crmcore._kernel._numbers import keyed_columns
from crmcore.clv.models._cnbd_data import check_cnbd
from crmcore.clv.models._data import (
    Checker,
    column,
    horizon,
    require_nonempty,
    same_length,
)
from crmcore.clv.models._interval import Interval, confidence_level
from crmcore.clv.models._mcmc import interval_of
from crmcore.clv.models._posterior import ParameterSummary, checked_count, summarize_draws
from crmcore.clv.models._sim import simulation_seed
from crmcore.clv.models._special import digamma
from crmcore.errors import ValidationError

_LOG = math.log
_EXP = math.exp
_LGAMMA = math.lgamma

#: The heterogeneity parameters, in the order of each draw.
NAMES = ("t", "gamma", "r", "alpha", "s", "beta")
#: Most draws (or warmup iterations) per chain.
MAX_DRAWS = 100_000
#: Most chains.
MAX_CHAINS = 16
#: Most customer-level draws kept per chain (for the predictions).
MAX_CUSTOMER_DRAWS = 10_000
#: Most simulated futures per kept draw in :meth:`ParetoGGGPosterior.expected_transactions`.
MAX_REPLICATES = 1_000
#: Shape and rate of the gamma hyperprior on each heterogeneity parameter (BTYDplus's).
HYPERPRIOR = (0.001, 0.001)
#: Customer-level latents are kept within these bounds (log scale) against under/overflow.
_LOG_BOUND = 30.0
#: Most stepping-out and shrinking steps of one slice-sampling update.
_SLICE_STEPS = 50
#: Steps (in log shape, log rate) of the non-centred moves of each heterogeneity pair.
_K_MOVES = ((0.8, 0.8), (0.2, 0.0))
_LAMBDA_MOVES = ((0.06, 0.06), (0.04, 0.0))
#: Most purchases simulated for one customer's future in one replicate.
_MAX_FUTURE = 100_000


# --- special functions -------------------------------------------------------------------


def gamma_p(a: float, x: float) -> float:
    """The regularized lower incomplete gamma ``P(a, x)`` (Numerical Recipes, 3rd ed., 6.2).

    A series for ``x < a + 1``, else ``1 - Q`` from Lentz's continued fraction;
    relative error near machine precision.

    >>> round(gamma_p(1.0, 2.0), 12) == round(1 - math.exp(-2.0), 12)
    True
    """
    if x <= 0.0:
        return 0.0
    if x < a + 1.0:
        return _p_series(a, x)
    return 1.0 - _q_fraction(a, x)


def gamma_q(a: float, x: float) -> float:
    """The regularized upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``.

    >>> round(gamma_q(2.0, 3.0), 12) == round(4.0 * math.exp(-3.0), 12)
    True
    """
    if x <= 0.0:
        return 1.0
    if x < a + 1.0:
        return 1.0 - _p_series(a, x)
    return _q_fraction(a, x)


def _p_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    ap = a
    for _ in range(10_000):
        ap += 1.0
        term *= x / ap
        total += term
        if term < total * 1e-17:
            break
    return total * _EXP(-x + a * _LOG(x) - _LGAMMA(a))


def _q_fraction(a: float, x: float) -> float:
    return _EXP(-x + a * _LOG(x) - _LGAMMA(a)) * _q_fraction_scaled(a, x)


def _q_fraction_scaled(a: float, x: float) -> float:
    """``Q(a, x) e^x x^-a Gamma(a)`` by Lentz's continued fraction."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return h


def log_gamma_q(a: float, x: float) -> float:
    """``log Q(a, x)``, without underflow for large ``x``.

    >>> abs(log_gamma_q(1.0, 800.0) + 800.0) < 1e-9
    True
    """
    if x <= 0.0:
        return 0.0
    if x < a + 1.0:
        return math.log1p(-_p_series(a, x))
    return -x + a * _LOG(x) - _LGAMMA(a) + _LOG(_q_fraction_scaled(a, x))


def probability_alive_given(  # noqa: PLR0917 - one customer's history and latents.
    x: float,
    t_x: float,
    T: float,  # noqa: N803 - the literature's name.
    k: float,
    lam: float,
    mu: float,
) -> float:
    """P(alive at ``T``) of one customer given ``(k, lambda, mu)`` (see the module docstring).

    ``x`` does not enter: given the latents, only the time since the last
    purchase does.

    >>> round(probability_alive_given(2, 10.0, 10.0, 1.5, 0.3, 0.1), 12)
    1.0
    """
    del x
    d = T - t_x
    if d <= 0.0:
        return 1.0
    b = k * lam
    alive = _EXP(-mu * d) * gamma_q(k, b * d)
    none_before = 1.0 - _EXP(k * (_LOG(b) - _LOG(b + mu))) * gamma_p(k, (b + mu) * d)
    if not none_before > 0.0:
        return 0.0
    return min(1.0, alive / none_before)


# --- samplers of one variate ---------------------------------------------------------------


def _truncated_gamma(rng: random.Random, shape: float, rate: float, low: float) -> float:
    """A ``Gamma(shape, rate)`` draw conditioned to exceed ``low``, by rejection.

    Near the bulk, plain draws until one exceeds ``low``; in the tail (``rate
    low > shape``), ``low`` plus an exponential whose rate keeps the density
    ratio below 1: ``rate - (shape - 1) / low`` for ``shape >= 1`` (as
    ``(y/low)^(shape-1) <= exp((shape-1)(y-low)/low)``), ``rate`` otherwise.
    """
    if low <= 0.0:
        return rng.gammavariate(shape, 1.0 / rate)
    if rate * low <= shape:
        for _ in range(1000):
            y = rng.gammavariate(shape, 1.0 / rate)
            if y > low:
                return y
    if shape >= 1.0:
        slope = (shape - 1.0) / low
        proposal = rate - slope
        for _ in range(100_000):
            y = low + rng.expovariate(proposal)
            if rng.random() <= _EXP((shape - 1.0) * _LOG(y / low) - slope * (y - low)):
                return y
    else:
        for _ in range(100_000):
            y = low + rng.expovariate(rate)
            if rng.random() <= _EXP((shape - 1.0) * _LOG(y / low)):
                return y
    return low  # pragma: no cover - needs ~1e5 rejections in a row


def _shape_block(
    rng: random.Random, current: float, count: int, total: float, log_total: float
) -> tuple[float, float]:
    """A draw of ``(shape, rate)`` of a gamma given ``count`` values, their sum and log sum.

    The shape from its density with the rate integrated out (by slice sampling
    on ``log shape``), then the rate from its gamma conditional.
    """
    a0, b0 = HYPERPRIOR
    spread = b0 + total

    def log_density(u: float) -> float:
        a = _EXP(u)
        n_a = a0 + count * a
        return (
            a0 * u
            - b0 * a
            + _LGAMMA(n_a)
            - n_a * _LOG(spread)
            + (a - 1.0) * log_total
            - count * _LGAMMA(a)
        )

    u = _slice(rng, log_density, _LOG(current), 1.0 / math.sqrt(count + 1.0) + 0.05)
    shape = _EXP(u)
    rate = rng.gammavariate(a0 + count * shape, 1.0 / spread)
    return shape, rate


def trigamma(x: float) -> float:
    """``psi'(x)`` for ``x > 0``: the recurrence up to 10, then the asymptotic series (A&S 6.4.12).

    >>> abs(trigamma(1.0) - math.pi**2 / 6) < 1e-12
    True
    """
    total = 0.0
    while x < 10.0:
        total += 1.0 / (x * x)
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    return total + inv * (
        1.0 + inv * (0.5 + inv * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (1.0 / 42 - inv2 / 30))))
    )


def _rescale_block(  # noqa: PLR0917 - the block, its values and their likelihood.
    rng: random.Random,
    shape: float,
    rate: float,
    values: list[float],
    log_likelihood: object,
    moves: Sequence[tuple[float, float]],
) -> tuple[float, float]:
    """Metropolis moves of ``(shape, rate)`` that carry the customer-level values along.

    A gamma's ``log`` has mean ``psi(shape) - log(rate)`` and variance
    ``psi'(shape)``. Each move proposes ``(log shape, log rate)`` plus a
    random step along a direction in ``moves`` (scaled by a normal draw) and
    maps every value's log by the affine map that sends the old mean and
    spread of ``log value`` to the new ones: the standardized value stays put
    (a non-centred move, Papaspiliopoulos, Roberts & Skold 2007, "A general
    framework for the parametrization of hierarchical models", Statistical
    Science 22(1), 59-73). The map is its own inverse's mirror, so the
    acceptance ratio is the density ratio times its Jacobian. ``values`` is
    updated in place; ``log_likelihood(old, new)`` is the customers' summed
    log-likelihood change when the values go from ``old`` to ``new``.
    """
    a0, b0 = HYPERPRIOR
    count = len(values)
    log, lgamma = _LOG, _LGAMMA
    change = log_likelihood  # called as change(old, new)
    for step_shape, step_rate in moves:
        z = rng.gauss(0.0, 1.0)
        new_shape = shape * _EXP(z * step_shape)
        new_rate = rate * _EXP(z * step_rate)
        if not (1e-8 < new_shape < 1e8 and 1e-8 < new_rate < 1e8):
            continue
        mean, new_mean = digamma(shape) - log(rate), digamma(new_shape) - log(new_rate)
        ratio = math.sqrt(trigamma(new_shape) / trigamma(shape))
        logs = [log(v) for v in values]
        new_logs = [new_mean + ratio * (lv - mean) for lv in logs]
        if max(map(abs, new_logs)) > _LOG_BOUND:
            continue
        new_values = [_EXP(lv) for lv in new_logs]
        sum_log, new_sum_log = math.fsum(logs), math.fsum(new_logs)

        def prior(sh: float, ra: float, total: float, sum_l: float) -> float:
            # hyperpriors on log scale (Jacobian included) and the gamma density of the values
            return (
                a0 * (log(sh) + log(ra))
                - b0 * (sh + ra)
                + count * (sh * log(ra) - lgamma(sh))
                + (sh - 1.0) * sum_l
                - ra * total
            )

        delta = (
            prior(new_shape, new_rate, math.fsum(new_values), new_sum_log)
            - prior(shape, rate, math.fsum(values), sum_log)
            + change(values, new_values)  # type: ignore[operator]
            + (new_sum_log - sum_log)  # Jacobian of the map on the values themselves
            + count * log(ratio)
        )
        if delta >= 0.0 or rng.random() < _EXP(delta):
            shape, rate = new_shape, new_rate
            values[:] = new_values
    return shape, rate


def _lifetime_block(
    rng: random.Random,
    s: float,
    beta: float,
    rows: Sequence[tuple[float, float, float, float]],
    ws: Sequence[float],
) -> tuple[float, float]:
    """A draw of ``(s, beta)`` given the next gaps ``w``, each ``mu`` and ``tau`` integrated out.

    With ``mu ~ Gamma(s, beta)`` and ``tau ~ Exponential(mu)``, ``tau`` is
    Lomax, ``P(tau > u) = (beta / (beta + u))^s``. A customer whose next
    purchase would fall after ``T`` (``t_x + w > T``) only needs ``tau > t_x``;
    one whose next purchase would fall before ``T`` must have died in between,
    ``t_x < tau < t_x + w``. Slice updates of ``log s``, ``log beta`` and of
    both together (along the ridge where ``s / beta``, the mean drop-out
    rate, stays put).
    """
    a0, b0 = HYPERPRIOR
    count = len(rows)
    log, expm1 = _LOG, math.expm1
    starts = [t_x for _, t_x, _, _ in rows]
    ends = [(t_x + w) for (_, t_x, big_t, _), w in zip(rows, ws, strict=True) if t_x + w <= big_t]
    begins = [t_x for (_, t_x, big_t, _), w in zip(rows, ws, strict=True) if t_x + w <= big_t]

    def terms(log_beta: float) -> tuple[float, list[float]]:
        """``sum log(beta/(beta+t_x))`` and, per dead customer, ``log((beta+t_x)/(beta+t_x+w))``."""
        b_ = _EXP(log_beta)
        head = count * log_beta - math.fsum([log(b_ + u) for u in starts])
        gaps = [log(b_ + a) - log(b_ + e) for a, e in zip(begins, ends, strict=True)]
        return head, gaps

    def log_density(log_s: float, log_beta: float, cached: tuple[float, list[float]]) -> float:
        if abs(log_s) > _LOG_BOUND or abs(log_beta) > _LOG_BOUND:
            return -math.inf
        s_, b_ = _EXP(log_s), _EXP(log_beta)
        head, gaps = cached
        dead = math.fsum([log(-expm1(s_ * g)) if g < 0.0 else -math.inf for g in gaps])
        return a0 * (log_s + log_beta) - b0 * (s_ + b_) + s_ * head + dead

    def bounded_terms(log_beta: float) -> tuple[float, list[float]]:
        return terms(max(-_LOG_BOUND, min(_LOG_BOUND, log_beta)))

    u, v = _LOG(s), _LOG(beta)
    cached = terms(v)
    width = 1.0 / math.sqrt(count) + 0.1
    u = _slice(rng, lambda z: log_density(z, v, cached), u, width)
    v = _slice(rng, lambda z: log_density(u, z, bounded_terms(z)), v, width)
    shift = _slice(rng, lambda z: log_density(u + z, v + z, bounded_terms(v + z)), 0.0, width)
    return _EXP(u + shift), _EXP(v + shift)


def _mu_draws(chain: _Chain) -> list[float]:
    """Each customer's drop-out rate from ``mu | tau ~ Gamma(s + 1, beta + tau)``."""
    s, beta = chain.hyper[4], chain.hyper[5]
    gammavariate = chain.rng.gammavariate
    return [min(max(gammavariate(s + 1.0, 1.0 / (beta + tau)), 1e-13), 1e13) for tau in chain.tau]


def _slice(rng: random.Random, log_density: object, u: float, width: float) -> float:
    """One slice-sampling update of ``u`` with stepping out and shrinkage (Neal 2003, fig. 3, 5)."""
    f = log_density  # typed loosely: called in the hot loop
    level = f(u) - rng.expovariate(1.0)  # type: ignore[operator]
    left = u - width * rng.random()
    right = left + width
    steps = _SLICE_STEPS
    while steps and left > -_LOG_BOUND and f(left) > level:  # type: ignore[operator]
        left -= width
        steps -= 1
    steps = _SLICE_STEPS
    while steps and right < _LOG_BOUND and f(right) > level:  # type: ignore[operator]
        right += width
        steps -= 1
    for _ in range(_SLICE_STEPS):
        proposal = left + (right - left) * rng.random()
        if f(proposal) > level:  # type: ignore[operator]
            return proposal
        if proposal < u:
            left = proposal
        else:
            right = proposal
    return u  # pragma: no cover - the slice always holds u


# --- the Gibbs sampler -------------------------------------------------------------------


class _Chain:
    """One chain's state: customer-level latents and the heterogeneity parameters."""

    __slots__ = ("hyper", "k", "lam", "rng", "tau", "w")

    def __init__(
        self, rows: Sequence[tuple[float, float, float, float]], rng: random.Random
    ) -> None:
        self.rng = rng
        jitter = _EXP(rng.gauss(0.0, 0.5))
        total_x = math.fsum(r[0] for r in rows)
        total_t = math.fsum(r[2] for r in rows)
        mean_rate = max(total_x, 1.0) / max(total_t, 1e-9)
        self.k = [1.0] * len(rows)
        self.lam = [mean_rate * jitter for _ in rows]
        self.tau = [r[2] + 1.0 / mean_rate for r in rows]
        self.w = [rng.expovariate(mean_rate) for _ in rows]
        self.hyper = [
            _EXP(rng.gauss(0.0, 0.5)),
            _EXP(rng.gauss(0.0, 0.5)),
            0.5 * jitter,
            0.5 / mean_rate,
            _EXP(rng.gauss(0.0, 0.5)),
            max(total_t / len(rows), 1.0) * jitter,
        ]


def _sweep(  # noqa: C901, PLR0912, PLR0915 - the hot loop, kept in one function for speed.
    chain: _Chain,
    rows: Sequence[tuple[float, float, float, float]],
    *,
    update_hyper: bool = True,
) -> int:
    """One Gibbs sweep: the heterogeneity parameters, then every customer.

    ``(s, beta)`` are drawn with each ``tau`` integrated out, so each
    ``tau`` is drawn right after, before anything conditions on it.
    Returns the number of customers alive (``tau > T``) after the sweep.
    """
    rng = chain.rng
    if update_hyper:
        count = len(rows)
        hyper = chain.hyper
        for at, values in ((0, chain.k), (2, chain.lam)):
            hyper[at], hyper[at + 1] = _shape_block(
                rng, hyper[at], count, math.fsum(values), math.fsum(map(_LOG, values))
            )
        spans = [t_x + w for (_, t_x, _, _), w in zip(rows, chain.w, strict=True)]
        sizes = [x + 1.0 for x, _, _, _ in rows]
        log_gaps = [litt + _LOG(w) for (_, _, _, litt), w in zip(rows, chain.w, strict=True)]
        lam_spans = [lam * sp for lam, sp in zip(chain.lam, spans, strict=True)]
        log_lams = [_LOG(lam) for lam in chain.lam]

        def k_change(old: list[float], new: list[float]) -> float:
            return math.fsum(
                [
                    n * (k1 * (_LOG(k1) + ll) - _LGAMMA(k1) - k0 * (_LOG(k0) + ll) + _LGAMMA(k0))
                    + (k1 - k0) * (lg - ls)
                    for k0, k1, n, ll, lg, ls in zip(
                        old, new, sizes, log_lams, log_gaps, lam_spans, strict=True
                    )
                ]
            )

        hyper[0], hyper[1] = _rescale_block(rng, hyper[0], hyper[1], chain.k, k_change, _K_MOVES)
        shapes = [k * n for k, n in zip(chain.k, sizes, strict=True)]
        rates = [k * sp for k, sp in zip(chain.k, spans, strict=True)]

        def lam_change(old: list[float], new: list[float]) -> float:
            return math.fsum(
                [
                    a * (_LOG(l1) - _LOG(l0)) - b * (l1 - l0)
                    for l0, l1, a, b in zip(old, new, shapes, rates, strict=True)
                ]
            )

        hyper[2], hyper[3] = _rescale_block(
            rng, hyper[2], hyper[3], chain.lam, lam_change, _LAMBDA_MOVES
        )
        hyper[4], hyper[5] = _lifetime_block(rng, hyper[4], hyper[5], rows, chain.w)
    gammavariate = rng.gammavariate
    expovariate = rng.expovariate
    uniform = rng.random
    t_shape, t_rate, r, alpha, s, beta = chain.hyper
    ks, lams, taus, ws = chain.k, chain.lam, chain.tau, chain.w
    log, exp, lgamma = _LOG, _EXP, _LGAMMA
    log_gamma_q_ = log_gamma_q
    bound = _LOG_BOUND
    alive = 0
    for i, (x, t_x, big_t, litt) in enumerate(rows):
        k, lam, w = ks[i], lams[i], ws[i]
        d = big_t - t_x
        # tau | w (mu integrated out: tau is Lomax(s, beta) above t_x), by inversion.
        # The next purchase, at t_x + w, was not seen before min(tau, T).
        base = beta + t_x
        if w > d:
            tau = base * exp(min(-log(1.0 - uniform()) / s, 700.0)) - beta
        else:
            tail = exp(s * (log(base) - log(base + w)))
            tau = base * exp(min(-math.log1p(-uniform() * (1.0 - tail)) / s, 700.0)) - beta
            tau = min(tau, t_x + w)
        tau = max(tau, t_x)
        # tau | k, lambda with w integrated out: independence Metropolis-Hastings
        # from tau's Lomax prior above t_x, accepted by the ratio of the censored
        # gap's survival Q(k, k lambda c), c = min(tau, T) - t_x. Through w alone,
        # a customer's alive / dead state would flip only slowly.
        c = min(tau, big_t) - t_x
        b = k * lam
        current = log_gamma_q_(k, b * c) if c > 0.0 else 0.0
        other = max(base * exp(min(-log(1.0 - uniform()) / s, 700.0)) - beta, t_x)
        other_c = min(other, big_t) - t_x
        candidate = log_gamma_q_(k, b * other_c) if other_c > 0.0 else 0.0
        if candidate >= current or uniform() < exp(candidate - current):
            tau, c, current = other, other_c, candidate
        # lambda | k, tau with w integrated out, likewise: independence
        # Metropolis-Hastings from Gamma(r + k x, alpha + k (t_x + c)), exact
        # for k = 1 (then always accepted).
        proposal = gammavariate(r + k * x, 1.0 / (alpha + k * (t_x + c)))
        proposal = min(max(proposal, 1e-13), 1e13)
        if c > 0.0:
            excess = log_gamma_q_(k, k * proposal * c) + k * proposal * c
            excess -= current + b * c
            if excess >= 0.0 or uniform() < exp(excess):
                lam = proposal
        else:
            lam = proposal
        # w | tau, k, lambda: the next gap outlasts min(tau, T) - t_x.
        w = _truncated_gamma(rng, k, k * lam, c)
        w = max(w, 1e-300)
        n = x + 1.0
        span = t_x + w
        # k | lambda, w: slice sampling on u = log k (Jacobian included).
        logs = litt + log(w)
        log_lam = log(lam)
        lam_span = lam * span

        def f(
            u: float, n: float = n, logs: float = logs, ll: float = log_lam, ls: float = lam_span
        ) -> float:
            kk = exp(u)
            return t_shape * u - t_rate * kk + n * (kk * (u + ll) - lgamma(kk)) + kk * (logs - ls)

        u = log(k)
        width = 2.5 / math.sqrt(t_shape + 0.5 * n)
        level = f(u) - expovariate(1.0)
        left = u - width * uniform()
        right = left + width
        steps = _SLICE_STEPS
        while steps and left > -bound and f(left) > level:
            left -= width
            steps -= 1
        steps = _SLICE_STEPS
        while steps and right < bound and f(right) > level:
            right += width
            steps -= 1
        for _ in range(_SLICE_STEPS):  # pragma: no branch - the slice holds u
            proposal = left + (right - left) * uniform()
            if f(proposal) > level:
                u = proposal
                break
            if proposal < u:
                left = proposal
            else:
                right = proposal
        ks[i], lams[i], taus[i], ws[i] = exp(u), lam, tau, w
        alive += tau > big_t
    return alive


# --- the public API ----------------------------------------------------------------------


def load_histories(
    frequency: object,
    recency: object,
    T: object,  # noqa: N803 - the literature's name.
    litt: object,
) -> list[tuple[float, float, float, float]]:
    """Checked ``(x, t_x, T, litt)`` rows, one per customer (no compression: latents are per customer)."""
    names = ("frequency", "recency", "T", "litt")
    columns = [(n, column(v, n)) for n, v in zip(names, (frequency, recency, T, litt), strict=True)]
    size = same_length("frequency", columns)
    require_nonempty("frequency", size)
    checker = Checker()
    values = [items for _, items in columns]
    for index, row in enumerate(zip(*values, strict=True)):
        if check_cnbd(checker, index, *row):
            break
    checker.raise_if_any()
    rows: list[tuple[float, float, float, float]] = []
    for x, t_x, t, gaps in zip(*values, strict=True):
        if t <= 0.0:
            raise ValidationError(
                "must be positive: a customer observed for no time tells the sampler nothing",
                path=f"$.T[{len(rows)}]",
                code="too_small",
            )
        rows.append((x, t_x, t, gaps))
    return rows


@attrs.frozen(slots=True)
class ParetoGGG:
    """The Pareto/GGG model (Platzer & Reutterer 2016), estimated by MCMC.

    It has no point estimate: :meth:`sample` returns a
    :class:`ParetoGGGPosterior` with the draws of the heterogeneity parameters
    ``t, gamma`` (regularity ``k ~ Gamma(t, gamma)``), ``r, alpha``
    (purchase rate) and ``s, beta`` (drop-out rate), their effective sample
    sizes and R-hats, and per-customer predictions.

    >>> posterior = ParetoGGG().sample(
    ...     [2, 0, 5],
    ...     [6.0, 0.0, 9.0],
    ...     [10.0, 8.0, 10.0],
    ...     [1.2, 0.0, 2.9],
    ...     seed=1,
    ...     draws=20,
    ...     warmup=10,
    ...     chains=2,
    ... )
    >>> len(posterior.draws_of("t"))
    40
    >>> len(posterior.probability_alive())
    3
    """

    def sample(
        self,
        frequency: Iterable[float],
        recency: Iterable[float],
        T: Iterable[float],  # noqa: N803 - the literature's name.
        litt: Iterable[float],
        *,
        seed: int,
        draws: int = 1000,
        warmup: int = 300,
        chains: int = 2,
        thin: int = 1,
        customer_draws: int = 100,
    ) -> ParetoGGGPosterior:
        """Draw from the posterior given each customer's ``(x, t_x, T, litt)``, reproducibly.

        Args:
            frequency: repeat purchases ``x`` of each customer, as
                :func:`crmcore.clv.cnbd_summary` computes them.
            recency: time ``t_x`` from the first to the last purchase.
            T: time from the first purchase to the end of observation (``> 0``).
            litt: sum of the logs of the ``x`` gaps, at most ``x log(t_x / x)``
                (0 without repeat purchases).
            seed: seed of the ``random.Random`` generator; chain ``c`` uses
                a generator seeded from ``(seed, c)``.
            draws: iterations kept per chain (every ``thin``-th after the warmup).
            warmup: iterations per chain thrown away first.
            chains: independent chains from dispersed starts (R-hat needs 2).
            thin: keep every ``thin``-th iteration.
            customer_draws: customer-level draws ``(k, lambda, mu)`` kept per
                chain, evenly spaced, for the predictions.

        Cost: ``chains * (warmup + draws * thin)`` sweeps, each about 17
        microseconds of CPU per customer: CDNOW's 2,357 customers take 0.04 s
        per sweep, and the defaults (2,600 sweeps) about 105 s, which give
        each of ``r, alpha, s, beta`` an effective sample size near 100 there.

        Raises:
            ValidationError: ``draws``, ``chains``, ``thin`` or
                ``customer_draws`` below 1, ``warmup`` negative, a setting too
                large, or a bad history (named by column and index: for
                example ``$.litt[3]`` above its bound, or ``$.T[0]`` zero).
            InvalidType: a setting that is not an int, or a column that is not numbers.
        """
        rounds = checked_count(draws, "draws", 1, MAX_DRAWS)
        burn = checked_count(warmup, "warmup", 0, MAX_DRAWS)
        count = checked_count(chains, "chains", 1, MAX_CHAINS)
        step = checked_count(thin, "thin", 1, MAX_DRAWS)
        keep = min(checked_count(customer_draws, "customer_draws", 1, MAX_CUSTOMER_DRAWS), rounds)
        base = simulation_seed(seed)
        rows = load_histories(frequency, recency, T, litt)
        kept_at = {j * rounds // keep for j in range(keep)}
        samples = []
        latents = []
        alive_counts = [0] * len(rows)
        for c in range(count):
            rng = random.Random(f"crmcore-paretoggg/{base}/{c}")  # noqa: S311 - seeded sampling.
            chain = _Chain(rows, rng)
            for _ in range(burn):
                _sweep(chain, rows)
            kept = []
            stored = []
            for j in range(rounds):
                for _ in range(step):
                    _sweep(chain, rows)
                kept.append(tuple(chain.hyper))
                for i, (tau, row) in enumerate(zip(chain.tau, rows, strict=True)):
                    alive_counts[i] += tau > row[2]
                if j in kept_at:
                    stored.append(
                        (array("d", chain.k), array("d", chain.lam), array("d", _mu_draws(chain)))
                    )
            samples.append(tuple(kept))
            latents.append(tuple(stored))
        total = count * rounds
        return ParetoGGGPosterior(
            samples=tuple(samples),
            histories=tuple(rows),
            customer_samples=tuple(latents),
            alive_share=tuple(a / total for a in alive_counts),
            seed=base,
        )

    fit = sample


def _per_customer(values: Sequence[Sequence[float]], level: float) -> list[Interval]:
    """Per-customer intervals from ``values[draw][customer]``."""
    return [interval_of([v[i] for v in values], level) for i in range(len(values[0]))]


@attrs.frozen(slots=True, eq=False)
class ParetoGGGPosterior:
    """Draws of a Pareto/GGG posterior, per chain, and per-customer predictions.

    Attributes:
        samples: ``samples[chain][draw]`` is one draw of ``(t, gamma, r, alpha, s, beta)``.
        histories: the ``(x, t_x, T, litt)`` of each customer, in the order given.
        customer_samples: per chain, the kept customer-level draws, each a triple
            of arrays ``(k, lambda, mu)`` with one value per customer.
        alive_share: per customer, the share of all kept iterations in which
            the sampled lifetime outlasted ``T`` (a plain Monte Carlo P(alive)).
        seed: the seed the draws came from.
    """

    samples: tuple[tuple[tuple[float, ...], ...], ...]
    histories: tuple[tuple[float, float, float, float], ...]
    customer_samples: tuple[tuple[tuple[array[float], array[float], array[float]], ...], ...]
    alive_share: tuple[float, ...]
    seed: int

    names = NAMES

    def chains_of(self, name: str) -> list[list[float]]:
        """One list per chain of the draws of parameter ``name``."""
        if name not in NAMES:
            raise ValidationError(
                f"must be one of {', '.join(NAMES)}", path="$.name", code="unknown_parameter"
            )
        i = NAMES.index(name)
        return [[draw[i] for draw in chain] for chain in self.samples]

    def draws_of(self, name: str) -> list[float]:
        """All draws of parameter ``name``, chain after chain."""
        return [v for chain in self.chains_of(name) for v in chain]

    def medians(self) -> dict[str, float]:
        """The posterior median of each parameter (what the paper and BTYDplus report)."""
        out = {}
        for name in NAMES:
            ordered = sorted(self.draws_of(name))
            middle = len(ordered) // 2
            out[name] = (
                ordered[middle]
                if len(ordered) % 2
                else (ordered[middle - 1] + ordered[middle]) / 2.0
            )
        return out

    def summary(self, *, level: float = 0.95) -> dict[str, ParameterSummary]:
        """Each parameter's posterior mean, sd, equal-tailed interval, bulk ESS and R-hat.

        ESS and R-hat are Vehtari et al.'s (2021), from
        :mod:`crmcore.clv.models._posterior`; NaN with fewer than 4 draws per chain.
        """
        chosen = confidence_level(level)
        out = {}
        for name in NAMES:
            out[name] = summarize_draws(self.chains_of(name), chosen)
        return out

    @property
    def params(self) -> dict[str, float]:
        """Each heterogeneity parameter's posterior mean: a plain dict, JSON-ready."""
        return {
            name: math.fsum(draws) / len(draws) for name in NAMES for draws in [self.draws_of(name)]
        }

    def to_columns(self, *, level: float = 0.95) -> dict[str, list[Any]]:
        """:meth:`summary` as columns: ``parameter``, ``mean``, ``sd``, ``lower``, ... ."""
        return keyed_columns("parameter", self.summary(level=level))

    def _latents(self) -> list[tuple[array[float], array[float], array[float]]]:
        return [draw for chain in self.customer_samples for draw in chain]

    def probability_alive(self, *, level: float = 0.95) -> list[Interval]:
        """Each customer's P(alive at ``T``): posterior mean, sd and equal-tailed interval.

        Per kept draw, the exact P(alive) given ``(k, lambda, mu)`` (module
        docstring); the estimate is their mean, which is P(alive | data).
        """
        chosen = confidence_level(level)
        histories = self.histories
        values = [
            [
                probability_alive_given(x, t_x, big_t, k, lam, mu)
                for (x, t_x, big_t, _), k, lam, mu in zip(histories, ks, lams, mus, strict=True)
            ]
            for ks, lams, mus in self._latents()
        ]
        return _per_customer(values, chosen)

    def expected_transactions(
        self, t: float, *, level: float = 0.95, replicates: int = 10
    ) -> list[Interval]:
        """Each customer's expected purchases in ``(T, T + t]``: posterior mean and interval.

        Per kept draw, ``P(alive | k, lambda, mu)`` times the mean count over
        ``replicates`` simulated futures of a customer alive at ``T``: the
        next gap ``Gamma(k, k lambda)`` conditioned to outlast ``T - t_x``,
        the remaining lifetime ``Exponential(mu)``. The estimate (the mean over
        draws) is the posterior predictive mean; the interval, over draws, also
        holds the simulation noise of ``replicates`` futures. Seeded from the
        posterior's seed: the same call gives the same numbers.
        """
        span = horizon(t)
        chosen = confidence_level(level)
        reps = checked_count(replicates, "replicates", 1, MAX_REPLICATES)
        rng = random.Random(f"crmcore-paretoggg-future/{self.seed}")  # noqa: S311 - seeded.
        values = []
        for ks, lams, mus in self._latents():
            row = []
            for (x, t_x, big_t, _), k, lam, mu in zip(self.histories, ks, lams, mus, strict=True):
                alive = probability_alive_given(x, t_x, big_t, k, lam, mu)
                row.append(alive * _future_mean(rng, t_x, big_t, k, lam, mu, span, reps))
            values.append(row)
        return _per_customer(values, chosen)


def _future_mean(  # noqa: PLR0917 - one customer's history, latents and horizon.
    rng: random.Random,
    t_x: float,
    big_t: float,
    k: float,
    lam: float,
    mu: float,
    span: float,
    replicates: int,
) -> float:
    """Mean purchases in ``(T, T + span]`` over simulated futures of a customer alive at ``T``."""
    rate = k * lam
    scale = 1.0 / rate
    total = 0
    for _ in range(replicates):
        end = big_t + min(span, rng.expovariate(mu))
        moment = t_x + _truncated_gamma(rng, k, rate, big_t - t_x)
        for _ in range(_MAX_FUTURE):
            if moment > end:
                break
            total += 1
            moment += rng.gammavariate(k, scale)
    return total / replicates
