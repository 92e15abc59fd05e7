"""The BG/NBD model and its modified variant, MBG/NBD.

BG/NBD: Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way:
An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284.
MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical validation and
comparison of models for customer base analysis", IJRM 24(3), 201-209.

While alive, a customer buys as a Poisson process with rate ``lambda ~
Gamma(r, alpha)``; after each purchase (and, in MBG/NBD, also at time zero) the
customer drops out with probability ``p ~ Beta(a, b)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import attrs

from crmcore.clv.models._backend import BLOCK, Column, Histories, blocks
from crmcore.clv.models._base import Objective
from crmcore.clv.models._data import MAX_HORIZON, horizon
from crmcore.clv.models._forecast import (
    RfmModel,
    SimulatedCustomer,
    beta_geo_customer,
    increments,
)
from crmcore.clv.models._special import (
    SERIES_LIMIT,
    beta_kernel,
    digamma,
    digamma_step,
    lbeta_step,
    lgamma_step,
    log_phi,
    log_phi_periods,
)
from crmcore.clv.models._vector import log_phi_many, quiet

_LOG = math.log
_EXP = math.exp
#: Below this, digamma differences start from a digamma computed once per evaluation.
_SMALL = 10.0


class _Likelihood:
    """The BG/NBD family's negative log-likelihood and its analytic gradient.

    ``shift`` is 0 for BG/NBD and 1 for MBG/NBD. Per history, with
    ``m = shift`` (Fader, Hardie & Lee 2005, eq. 6; Batislam et al. 2007, eq. 4):
    ``L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x+m)/B(a,b) * [(alpha+T)^-(r+x)
    + [x+m>0] a/(b+x-1+m) (alpha+t_x)^-(r+x)]``.
    """

    def __init__(
        self, rows: Sequence[tuple[float, ...]], weights: Sequence[float], shift: int
    ) -> None:
        self.shift = shift
        xs = sorted({int(row[0]) for row in rows})
        index = {x: i for i, x in enumerate(xs)}
        self.xs = xs
        self.x_weight = [0.0] * len(xs)
        self.total = math.fsum(weights)
        # Histories with a second term (x + m > 0) go to the hot loop; the terms
        # that depend on T alone are grouped by T.
        pairs: list[tuple[int, float, float, float, float]] = []
        for (x, t_x, t), w in zip(rows, weights, strict=True):
            i = index[int(x)]
            self.x_weight[i] += w
            if int(x) + shift > 0:
                pairs.append((i, x, t_x, t, w))
        ages = sorted({t for _, _, _, t, _ in pairs})
        age_weight: dict[float, float] = {}
        for (_, _, t), w in zip(rows, weights, strict=True):
            age_weight[t] = age_weight.get(t, 0.0) + w
        self.age_weight = sorted(age_weight.items())
        age_index = {t: j for j, t in enumerate(ages)}
        self.ages = ages
        # Parallel columns make the hot loop a plain zip.
        self.pair_x = [pairs[j][0] for j in range(len(pairs))]
        self.pair_rx = [pairs[j][1] for j in range(len(pairs))]
        self.pair_tx = [pairs[j][2] for j in range(len(pairs))]
        self.pair_age = [age_index[pairs[j][3]] for j in range(len(pairs))]
        self.pair_w = [pairs[j][4] for j in range(len(pairs))]

    def __call__(self, log_params: list[float]) -> tuple[float, list[float]]:  # noqa: PLR0915 - one pass, kept inline for speed.
        """The negative log-likelihood and its gradient in the log-parameters.

        Every term is formed so that no two large numbers cancel, for any
        parameters from 1e-8 to 1e15: per history ``n = x + m``,
        ``log L = [lgamma(r+x) - lgamma(r)] - r log1p(T/alpha) - x log(alpha+T)
        + [log B(a, b+n) - log B(a, b)] + softplus(d)`` with
        ``d = log a - log(b+n-1) + (r+x) log1p((T-t_x)/(alpha+t_x))`` (the
        second term's log-ratio to the first). The log-gamma, log-beta and
        digamma differences are the cancellation-free steps of
        :mod:`crmcore.clv.models._special`, and the alpha-derivative uses
        ``r/alpha - r/(alpha+T) = r T / (alpha (alpha+T))``.
        """
        r, alpha, a, b = (_EXP(v) for v in log_params)
        m = self.shift
        log_a = _LOG(a)
        ab = a + b
        psi_r, psi_b, psi_ab = (digamma(z) if z < _SMALL else None for z in (r, b, ab))
        n = len(self.xs)
        base = [0.0] * n  # lgamma(r+x) - lgamma(r) + log B(a, b+x+m) - log B(a, b)
        d_r = [0.0] * n
        d_a = [0.0] * n
        d_b = [0.0] * n
        delta0 = [0.0] * n  # log a - log(b + x - 1 + m)
        inv_b = [0.0] * n
        for i, x in enumerate(self.xs):
            steps = x + m
            ab_step = digamma_step(ab, steps, psi_ab)
            base[i] = lgamma_step(r, x) + lbeta_step(a, b, steps)
            d_r[i] = digamma_step(r, x, psi_r)
            d_a[i] = -ab_step
            d_b[i] = digamma_step(b, steps, psi_b) - ab_step
            if steps > 0:
                inv_b[i] = 1.0 / (b + (steps - 1))
                delta0[i] = log_a + _LOG(inv_b[i])
        value = math.fsum(w * v for w, v in zip(self.x_weight, base, strict=True))
        g_r = math.fsum(w * v for w, v in zip(self.x_weight, d_r, strict=True))
        g_a = math.fsum(w * v for w, v in zip(self.x_weight, d_a, strict=True))
        g_b = math.fsum(w * v for w, v in zip(self.x_weight, d_b, strict=True))
        # Terms of every history that depend on T alone: r log(alpha / (alpha + T)).
        log1p = math.log1p
        g_alpha = 0.0
        for t, w in self.age_weight:
            shrink = log1p(t / alpha)
            value -= w * r * shrink
            g_r -= w * shrink
            g_alpha += w * r * t / (alpha * (alpha + t))
        p2_by_x = [0.0] * n
        acc_value = 0.0
        acc_r = 0.0
        acc_alpha = 0.0
        ages = self.ages
        log_ages = [_LOG(alpha + t) for t in ages]
        inv_ages = [1.0 / (alpha + t) for t in ages]
        exp = _EXP
        for i, xf, t_x, j, w in zip(
            self.pair_x, self.pair_rx, self.pair_tx, self.pair_age, self.pair_w, strict=True
        ):
            rx = r + xf
            inv_tx = 1.0 / (alpha + t_x)
            span = (ages[j] - t_x) * inv_tx
            gap = log1p(span)  # log((alpha + T) / (alpha + t_x))
            d = delta0[i] + rx * gap
            # softplus(d) and the logistic weight of the second term, inline.
            if d > 0:
                e = exp(-d)
                soft = d + log1p(e)
                p2 = 1.0 / (1.0 + e)
            else:
                e = exp(d)
                soft = log1p(e)
                p2 = e / (1.0 + e)
            inv_t = inv_ages[j]
            acc_value += w * (soft - xf * log_ages[j])
            acc_r += w * p2 * gap
            acc_alpha -= w * (xf + p2 * rx * span) * inv_t
            p2_by_x[i] += w * p2
        value += acc_value
        g_r += acc_r
        g_alpha += acc_alpha
        g_a += math.fsum(p2_by_x) / a
        g_b -= math.fsum(p * ib for p, ib in zip(p2_by_x, inv_b, strict=True))
        # Chain rule to log-parameters; negate for minimization.
        return -value, [-g_r * r, -g_alpha * alpha, -g_a * a, -g_b * b]


def _alive_many(  # noqa: PLR0917 - the parameters, the shift and the three columns.
    np: Any, params: Sequence[float], m: int, x: Any, t_x: Any, t: Any
) -> Any:
    """P(alive) of every row on arrays: the pure path's operations, a block at a time.

    Fader, Hardie & Lee (2008), eq. (2); Batislam et al. (2007) for MBG/NBD:
    P(alive) is ``1 / (1 + exp(d))`` with ``d = log a - log(b + x - 1 + m) +
    (r + x) log1p((T - t_x) / (alpha + t_x))``, as :func:`_alive_one` computes
    it: the log-ratio is formed from ``T - t_x`` (not as a ratio of two ages,
    whose rounding ``r + x = 1e15`` would magnify) and the logistic function
    never overflows. Each block is computed in its slice of the answer with
    one scratch block (see :data:`crmcore.clv.models._backend.BLOCK`).
    """
    r, alpha, a, b = params
    log_a = _LOG(a)
    out = np.empty(len(x))
    scratch = np.empty(min(len(x), BLOCK))
    for rows in blocks(len(x)):
        d = out[rows]
        c = scratch[: len(d)]
        xs = x[rows]
        np.subtract(t[rows], t_x[rows], out=d)
        np.add(t_x[rows], alpha, out=c)
        d /= c
        np.log1p(d, out=d)
        np.add(xs, r, out=c)
        d *= c
        np.add(xs, m - 1.0, out=c)
        c += b
        np.log(c, out=c)
        d -= c
        d += log_a
        # The logistic 1 / (1 + e^d) from e^-|d| <= 1.
        np.abs(d, out=c)
        np.negative(c, out=c)
        np.exp(c, out=c)
        d[...] = np.where(d > 0.0, c, 1.0) / (1.0 + c)
    if m == 0:
        np.putmask(out, x == 0, 1.0)
    return out


def _alive_one(  # noqa: PLR0917 - the parameters, the shift and one history.
    r: float, alpha: float, a: float, b: float, m: int, x: float, t_x: float, t: float
) -> float:
    """P(alive) of one history, as :func:`_alive_many` computes it for every row."""
    if x + m == 0:
        return 1.0
    d = _LOG(a) - _LOG(b + (x + (m - 1.0))) + (r + x) * math.log1p((t - t_x) / (alpha + t_x))
    e = _EXP(-abs(d))
    return (e if d > 0.0 else 1.0) / (1.0 + e)


#: Up to this ``k = span / (alpha + T)`` the forecast's series is short (``z <= 4/5``,
#: some 100 terms): it is summed; above it the expectation over ``p`` is a fixed quadrature.
_SERIES_K = 4.0
#: Step of the quadrature in ``s = logit(1 - p)`` for a wide posterior of ``p``.
_STEP = 0.25
#: Most quadrature nodes; beyond (a posterior of ``p`` with a very long tail, ``a`` or
#: ``B`` far below 1) the periods share one adaptive quadrature (:func:`log_phi_periods`).
_MAX_NODES = 1_500
#: Periods integrated together by :func:`log_phi_periods` when the nodes give up
#: (bounds the memory of one quadrature: panels times periods).
_PERIOD_BLOCK = 256


def _phi_nodes(
    big_r: float, a: float, big_b: float, k_low: float, k_high: float
) -> tuple[list[float], list[float]] | None:
    """Nodes ``p_j`` and weights ``v_j`` with ``g(k) = sum_j v_j (1 - (1 + k p_j)^-R)``.

    ``g(k) = E[(1 - (1 + k p)^-R) / p]`` for ``p ~ Beta(a, B)`` (Fader, Hardie &
    Lee 2005, eq. 10, without P(alive)), for every ``k`` from ``k_low`` to
    ``k_high``. With ``p = 1 / (1 + e^s)`` the integrand is smooth and
    decays exponentially in ``s``; its singularities are ``pi`` away from the
    real axis, so the trapezoidal rule with a step of 1/4 (smaller for a
    narrow posterior) converges to the float precision (Trefethen & Weideman
    2014, "The exponentially convergent trapezoidal rule", SIAM Review 56(3)).
    The nodes run out until the terms at both ends of the range of ``k`` fall
    below 1e-18 of their sums. ``None`` when more than :data:`_MAX_NODES`
    would be needed.
    """
    step = min(_STEP, 0.6 * math.sqrt(1.0 / a + 1.0 / big_b))
    log_step = _LOG(step)
    kernel = beta_kernel(a, big_b)  # the density of s, without cancellation for large a, B
    ps: list[float] = []
    vs: list[float] = []
    sums = [0.0, 0.0]
    turn = _LOG(k_high) + 1.0
    for direction in (1, -1):
        j = 0 if direction == 1 else -1
        while len(ps) <= _MAX_NODES:
            s = j * step
            soft = s + math.log1p(_EXP(-s)) if s > 0 else math.log1p(_EXP(s))
            p = _EXP(-soft)
            v = _EXP(kernel(-soft, s - soft) + soft + log_step)
            low = v * -math.expm1(-big_r * math.log1p(k_low * p))
            high = v * -math.expm1(-big_r * math.log1p(k_high * p))
            ps.append(p)
            vs.append(v)
            sums[0] += low
            sums[1] += high
            j += direction
            past = direction == -1 or s > turn
            if past and low <= 1e-18 * sums[0] and high <= 1e-18 * sums[1]:
                break
        else:
            return None
    return ps, vs


#: A node whose ``(R + 1) k p`` (every ``k``), or whose ``(R + 1) (1 - p)``, is at most this
#: joins its tail's power sums (:func:`_node_sums`): each next term is at most half this.
_COLLAPSE = 0.1
#: Terms of those power series: the first left out is below ``0.05^18`` of the first.
_TERMS = 18


def _node_sums(
    big_r: float,
    ps: Sequence[float],
    vs: Sequence[float],
    ks: Sequence[float],
    k_high: float = 0.0,
) -> list[float]:
    """``g(k) = sum_j v_j (1 - (1 + k p_j)^-R)`` for each ``k`` of ``ks`` (increasing).

    The nodes of :func:`_phi_nodes` for a long-tailed posterior are mostly far
    out where ``k p`` is tiny (``a`` below 1: a thousand and more) or ``p``
    is close to 1 (``B`` below 1). Those tails are summed once, as power sums,
    and expanded per ``k``: ``1 - (1 + x)^-R = sum_n (-1)^(n+1) (R)_n / n! x^n``
    for ``x = k p``, and with ``e = 1 - p`` and ``w = k / (1 + k)``,
    ``1 - (1 + k p)^-R = (1 - (1 + k)^-R) - (1 + k)^-R sum_n (R)_n / n! (w e)^n``
    (no cancellation: the correction is a small share of the first part).
    Both series shrink by at least ``_COLLAPSE / 2`` a term, so
    :data:`_TERMS` terms leave less than ``1e-20`` of the tail out. Only the
    nodes between the tails are summed term by term for each ``k``: their
    count grows with the log of the longest ``k`` (or ``k_high``, when
    larger), not with the tails.
    """
    limit = _COLLAPSE / (big_r + 1.0)
    small = limit / max(ks[-1], k_high)
    low = [0.0] * _TERMS  # sum v p^n over the tail of tiny p, n = 1..TERMS
    high = [0.0] * (_TERMS + 1)  # sum v (1 - p)^n over the tail of p near 1, n = 0..TERMS
    band_p: list[float] = []
    band_v: list[float] = []
    for p, v in zip(ps, vs, strict=True):
        e = 1.0 - p
        if p <= small or e <= limit:
            sums, base, power = (low, p, p) if p <= small else (high, e, 1.0)
            for n in range(len(sums)):
                sums[n] += v * power
                power *= base
        else:
            band_p.append(p)
            band_v.append(v)
    # Coefficients: (-1)^(n+1) (R)_n / n! for the tiny p, (R)_n / n! for p near 1.
    coefficient = big_r
    for n in range(_TERMS):
        low[n] *= coefficient
        coefficient *= -(big_r + n + 1.0) / (n + 2.0)
    coefficient = 1.0
    for n in range(1, _TERMS + 1):
        coefficient *= (big_r + n - 1.0) / n
        high[n] *= coefficient
    low.reverse()
    near, count = high[0], high[1:]
    count.reverse()
    expm1, log1p = math.expm1, math.log1p
    pairs = list(zip(band_p, band_v, strict=True))
    values: list[float] = []
    for k in ks:
        total = -sum(v * expm1(-big_r * log1p(k * p)) for p, v in pairs)
        tail = 0.0
        for d in low:
            tail = (tail + d) * k
        if near:
            log_k1 = log1p(k)
            w = k / (1.0 + k)
            side = 0.0
            for d in count:
                side = (side + d) * w
            total += -expm1(-big_r * log_k1) * near - _EXP(-big_r * log_k1) * side
        values.append(total + tail)
    return values


def _series_periods(scale: float, periods: int) -> int:
    """How many first periods take the series: those with ``k / scale <= 4``.

    A scale past the float range (an age of 1e308) takes every period.
    """
    bound = scale * _SERIES_K
    return periods if bound >= periods else math.floor(bound)


def _given_alive_sums(  # noqa: PLR0917 - the expectation's parameters, the age, the factors.
    big_r: float,
    a: float,
    big_b: float,
    scale: float,
    factors: Sequence[float],
    np: Any,
    head: list[float] | None = None,
) -> float:
    """``sum_k (g(k / scale) - g((k-1) / scale)) factors[k-1]`` for one distinct history.

    ``g`` as in :func:`_phi_nodes` (``scale = alpha + T``). The first periods
    (:func:`_series_periods`) take the series of :func:`log_phi` (``head``
    holds their ``g`` when computed already, on arrays); the others one
    quadrature built once for all of them, so each period costs the same
    whatever the horizon. On the numpy path the quadrature runs on arrays.
    Where the fixed nodes give up, or the series fails, the periods share the
    adaptive panels of :func:`log_phi_periods` (a block at a time).
    """
    periods = len(factors)
    short = _series_periods(scale, periods)
    if head is None:
        # log_phi's series, or else one quadrature shared by the periods it fails on.
        ks = [k / scale for k in range(1, short + 1)]
        head = [_EXP(v) for v in log_phi_periods(big_r, a, big_b, ks)]
    values = head
    if periods > short:
        nodes = _phi_nodes(big_r, a, big_b, (short + 1) / scale, periods / scale)
        if nodes is None:
            # All periods on shared adaptive panels, a block of periods at a time.
            for first in range(short + 1, periods + 1, _PERIOD_BLOCK):
                ks = [k / scale for k in range(first, min(first + _PERIOD_BLOCK, periods + 1))]
                values.extend(_EXP(v) for v in log_phi_periods(big_r, a, big_b, ks))
        elif np is None:
            values.extend(
                _node_sums(big_r, *nodes, [k / scale for k in range(short + 1, periods + 1)])
            )
        else:
            ps_array, vs_array = np.array(nodes[0]), np.array(nodes[1])
            for first in range(short + 1, periods + 1, 1024):
                spans = np.arange(first, min(first + 1024, periods + 1)) / scale
                grid = -np.expm1(-big_r * np.log1p(np.multiply.outer(spans, ps_array)))
                values.extend((grid @ vs_array).tolist())
    return increments(values, factors, 0.0)


def _series_heads(
    np: Any, params: tuple[float, float, float, float], x: Any, t: Any, periods: int
) -> list[list[float]]:
    """The series periods' ``g`` of every distinct history, in one call on arrays.

    ``params`` are ``(r, alpha, a, b + shift)``; row ``i`` gets the first
    :func:`_series_periods` values of ``g(k / (alpha + T_i))``.
    """
    r, alpha, a, b = params
    scale = alpha + t
    counts = [_series_periods(s, periods) for s in scale.tolist()]
    row = np.repeat(np.arange(len(x)), counts)
    starts = np.cumsum(counts) - np.asarray(counts)
    k = np.arange(int(sum(counts))) - np.repeat(starts, counts) + 1.0
    with quiet(np):
        flat = np.exp(log_phi_many(np, r + x[row], a, b + x[row], k / scale[row])).tolist()
    return [flat[s : s + n] for s, n in zip(starts.tolist(), counts, strict=True)]


@attrs.frozen(slots=True, kw_only=True)
class _BetaGeoFamily(RfmModel):
    _names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _shift: ClassVar[int] = 0

    def _objective(self, rows: Sequence[tuple[float, ...]], weights: Sequence[float]) -> Objective:
        return _Likelihood(rows, weights, self._shift)

    def _guess(self, mean_age: float) -> tuple[float, ...]:
        return (1.0, max(mean_age / 10.0, 1e-3), 1.0, 3.0)

    def _alive_column(self, histories: Histories) -> Column:
        """P(alive) of every base row.

        Fader, Hardie & Lee (2008), "Computing P(alive) Using the BG/NBD Model",
        eq. (2); Batislam et al. (2007) for MBG/NBD.
        """
        r, alpha, a, b = self._values()
        m = self._shift
        np = histories.np
        if np is None:
            (xs, recencies, ages), index = histories.distinct()
            values = [
                _alive_one(r, alpha, a, b, m, x, t_x, t)
                for x, t_x, t in zip(xs, recencies, ages, strict=True)
            ]
            return histories.expand(values, index)
        x, t_x, t = histories.columns[:3]
        with quiet(np):
            return _alive_many(np, (r, alpha, a, b), m, x, t_x, t)

    def _given_alive(
        self, histories: Histories, spans: Sequence[float]
    ) -> tuple[list[Column], Column | None]:
        """``E[purchases in (T, T+t] | alive]`` for each span, per distinct ``(frequency, T)``.

        Fader, Hardie & Lee (2005), eq. (10) without its P(alive) factor: it
        depends on the frequency and the age only. Returns one column per span
        and the index that expands them to the base rows.
        """
        r, alpha, a, b = self._values()
        m = self._shift
        (x, t), index = histories.distinct((0, 2))
        np = histories.np
        if np is None:
            pairs = list(zip(x, t, strict=True))
            columns: list[Column] = [
                [_EXP(log_phi(r + xi, a, b + xi + m, span / (alpha + ti))) for xi, ti in pairs]
                for span in spans
            ]
            return columns, index
        with quiet(np):
            columns = [
                np.exp(log_phi_many(np, r + x, a, b + x + m, span / (alpha + t))) for span in spans
            ]
        return columns, index

    def _expected_column(self, histories: Histories, span: float) -> Column:
        """Expected purchases in ``(T, T + span]`` of every base row.

        Fader, Hardie & Lee (2005), eq. (10) (Batislam et al. 2007 for MBG/NBD):
        ``P(alive) * E[(1 - (1 + t p/(alpha+T))^-(r+x)) / p]`` under the posterior
        ``p ~ Beta(a, b + x + m)``, evaluated without the removable singularity
        of the published closed form at ``a = 1``.
        """
        np = histories.np
        rows = len(histories.columns[0])
        if span == 0:
            return [0.0] * rows if np is None else np.zeros(rows)
        (given,), index = self._given_alive(histories, [span])
        alive = self._alive_column(histories)
        if np is None:
            return [p * g for p, g in zip(alive, histories.expand(given, index), strict=True)]
        return alive * histories.expand(given, index)

    def _value_column(self, histories: Histories, factors: Sequence[float]) -> Column:
        """``sum_k (E[X(k)] - E[X(k-1)]) factors[k-1]`` of every base row.

        ``E[X(k)] = P(alive) g(k)``: P(alive) is computed once and the sum
        runs over the ``g(k)`` of each distinct ``(frequency, T)``, each at a
        cost that does not grow with ``k`` (see :func:`_given_alive_sums`).
        """
        r, alpha, a, b = self._values()
        m = self._shift
        (x, t), index = histories.distinct((0, 2))
        np = histories.np
        heads: list[list[float] | None] = [None] * len(x)
        if np is not None:
            heads = list(_series_heads(np, (r, alpha, a, b + m), x, t, len(factors)))
            x, t = x.tolist(), t.tolist()
        sums = [
            _given_alive_sums(r + xi, a, b + xi + m, alpha + ti, factors, np, head)
            for xi, ti, head in zip(x, t, heads, strict=True)
        ]
        alive = self._alive_column(histories)
        if np is None:
            return [p * v for p, v in zip(alive, histories.expand(sums, index), strict=True)]
        return alive * histories.expand(np.array(sums, dtype=np.float64), index)

    def _new_customer(self) -> Callable[[float], float]:
        """Expected repeat purchases of a new customer in ``(0, span]``.

        Fader, Hardie & Lee (2005), eq. (7); for MBG/NBD the same with the
        drop-out chance at time zero, ``b/(a+b) E[...]`` under ``Beta(a, b+1)``.
        """
        r, alpha, a, b = self._values()
        m = self._shift
        factor = 1.0 if m == 0 else b / (a + b)

        def one(span: float) -> float:
            if span == 0:
                return 0.0
            return factor * _EXP(log_phi(r, a, b + m, span / alpha))

        return one

    def _new_customer_many(
        self, one: Callable[[float], float], spans: Sequence[float]
    ) -> list[float]:
        """:meth:`_new_customer` at each increasing span, the long ones on shared nodes.

        Spans whose ``k = span / alpha`` :func:`log_phi` sums by its series keep
        it; the longer ones share one set of :func:`_phi_nodes` (summed by
        :func:`_node_sums`, whose cost per span does not grow with the tails)
        instead of an adaptive quadrature each. Where the nodes give up, each
        span takes :func:`log_phi`.
        """
        r, alpha, a, b = self._values()
        m = self._shift
        ks = [span / alpha for span in spans]
        first = next((i for i, k in enumerate(ks) if k / (1.0 + k) > SERIES_LIMIT), len(ks))
        values = [one(span) for span in spans[:first]]
        if first < len(ks):
            # Nodes for every span a forecast may take (from the series' end to MAX_HORIZON),
            # so a span's value does not depend on the others asked with it.
            k_low = SERIES_LIMIT / (1.0 - SERIES_LIMIT)
            nodes = _phi_nodes(r, a, b + m, k_low, max(ks[-1], MAX_HORIZON / alpha))
            if nodes is None:
                values.extend(one(span) for span in spans[first:])
            else:
                factor = 1.0 if m == 0 else b / (a + b)
                values.extend(
                    factor * g for g in _node_sums(r, *nodes, ks[first:], MAX_HORIZON / alpha)
                )
        return values

    def probability_of_purchases(self, n: int, t: float) -> float:
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``.

        Fader, Hardie & Lee (2005), eq. (8); Batislam et al. (2007) for MBG/NBD.
        """
        count = horizon(n, "n", whole=True)
        span = horizon(t)
        r, alpha, a, b = self._values()
        m = self._shift
        k = int(count)
        if span == 0:
            return 1.0 if k == 0 else 0.0
        # log(alpha / (alpha + t)) and log(t / (alpha + t)), each from one ratio.
        log_q = -math.log1p(span / alpha)
        log_1q = -math.log1p(alpha / span)

        def log_nb(j: int) -> float:
            # j = 0 has no t/(alpha+t) factor (0 * log 0 would be NaN at a tiny t).
            power = j * log_1q if j else 0.0
            return lgamma_step(r, j) - math.lgamma(j + 1.0) + r * log_q + power

        # B(a, b + k + m) / B(a, b) and B(a + 1, b + k + m - 1) / B(a, b), as steps
        # of lbeta_step (B(a + 1, c) = B(a, c) a / (a + c)).
        first = _EXP(lbeta_step(a, b, k + m) + log_nb(k))
        if k + m == 0:
            return first
        tail = _nb_upper_tail(log_nb, k, r, log_1q)
        steps = k + m - 1
        second = _EXP(lbeta_step(a, b, steps) + _LOG(a / (a + (b + steps)))) * tail
        return min(1.0, first + second)

    def _simulated_customer(self) -> SimulatedCustomer:
        """One customer's ``(frequency, recency)`` up to an age: the BG/NBD story.

        Buys at a gamma-distributed rate and drops out with a beta-distributed
        chance after each purchase (MBG/NBD: also at time zero).
        """
        return beta_geo_customer(
            self._values(), self._shift, lambda rng, rate: rng.expovariate(rate)
        )


def _nb_upper_tail(pmf: Callable[[int], float], k: int, r: float, log_1q: float) -> float:
    """``P(N >= k)`` for the negative binomial count ``N`` (pmf given in logs)."""
    lower = math.fsum(_EXP(pmf(j)) for j in range(k))
    if lower <= 0.9:
        return max(0.0, 1.0 - lower)
    # Most of the mass is below k: sum the upper terms instead of subtracting.
    total = 0.0
    j = k
    term = _EXP(pmf(j))
    q1 = _EXP(log_1q)
    while j < k + 1_000_000:
        total += term
        ratio = (r + j) / (j + 1.0) * q1
        term *= ratio
        j += 1
        if term <= 1e-17 * total and ratio < 1.0:
            break
    return min(total, 1.0)


@attrs.frozen(slots=True, kw_only=True)
class BetaGeo(_BetaGeoFamily):
    """The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005).

    Parameters ``r, alpha`` (gamma heterogeneity of purchase rates) and
    ``a, b`` (beta heterogeneity of drop-out probabilities). Build it unfitted
    and :meth:`fit` it, or give known parameters.

    Example:
        >>> from crmcore.clv import BetaGeo
        >>> model = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> round(model.expected_purchases(39, 2, 30.43, 38.86), 3)  # FHL (2005), section 5
        1.226
        >>> round(model.probability_alive(2, 30.43, 38.86), 3)
        0.727
        >>> round(model.expected_purchases_new(52), 3)
        1.446
    """


@attrs.frozen(slots=True, kw_only=True)
class ModifiedBetaGeo(_BetaGeoFamily):
    """The MBG/NBD model (Batislam, Denizel & Filiztekin 2007).

    Like BG/NBD, but a customer may also drop out right after the first
    purchase, so customers without repeat purchases are not assumed alive.

    Example:
        >>> from crmcore.clv import ModifiedBetaGeo
        >>> model = ModifiedBetaGeo(params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614})
        >>> round(model.probability_alive(0, 0, 38.86), 2)
        0.39
    """

    _shift: ClassVar[int] = 1
