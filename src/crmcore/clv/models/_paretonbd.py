"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

While alive, a customer buys as a Poisson process with rate
``lambda ~ Gamma(r, alpha)``; the lifetime is exponential with rate
``mu ~ Gamma(s, beta)``. Expressions follow Fader & Hardie (2005), "A Note on
Deriving the Pareto/NBD Model and Related Expressions".
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import attrs

from crmcore.clv.models._backend import Column, Histories
from crmcore.clv.models._base import Objective
from crmcore.clv.models._data import DrawBudget, horizon
from crmcore.clv.models._forecast import RfmModel, SimulatedCustomer, increments
from crmcore.clv.models._special import (
    digamma,
    expm1_ratio,
    gauss7_moments,
    lgamma_step,
    log1mexp,
    log_integrate,
    log_integrate_moments,
    logaddexp,
    pareto_log_tail,
)
from crmcore.clv.models._vector import expm1_ratio as vector_expm1_ratio
from crmcore.clv.models._vector import log1mexp as vector_log1mexp
from crmcore.clv.models._vector import logaddexp as vector_logaddexp
from crmcore.clv.models._vector import pareto_log_tail_many, quiet

_LOG = math.log
_EXP = math.exp

Vector = tuple[float, float, float, float]


def _series_table(bp: float, c: float, z_max: float) -> list[tuple[float, float, float, float]]:
    """Coefficients of ``S``, ``sum t_n P_n``, ``sum t_n Q_n`` and ``dS/dz`` as powers of ``z``.

    Shared by every history with the same frequency: only ``z`` differs between
    them. Enough terms are kept for the largest ``z`` (see
    :func:`pareto_tail_series` for the tail bound); highest power first, ready
    for Horner's rule. The power ``z^n`` of ``dS/dz`` has the coefficient
    ``(n + 1) c_(n+1)``.
    """
    rows = [[1.0, 0.0, 0.0, 0.0]]
    coef = 1.0
    p = q = 0.0
    n = 0
    slack = z_max / (1.0 - z_max)
    power = 1.0
    while True:  # at least one term: dS/dz at z = 0 is its coefficient.
        bn = bp + n
        cn = c + n
        p += 1.0 / bn
        q += 1.0 / cn
        coef *= bn / cn
        n += 1
        rows[-1][3] = n * coef
        rows.append([coef, coef * p, coef * q, 0.0])
        power *= z_max
        if coef * power * (n + 1.0 + slack) * slack <= 1e-16 or n > 100_000:
            break
    rows.reverse()
    return [(a, b, c_, d) for a, b, c_, d in rows]


def _log_tail_and_gradient(  # noqa: PLR0917 - the model's parameters, in the paper's order.
    table: list[tuple[float, float, float, float]],
    x: float,
    y: float,
    r: float,
    alpha: float,
    s: float,
    beta: float,
) -> tuple[float, Vector]:
    """``log H(y)`` and its gradient in ``(r, alpha, s, beta)`` (series region only).

    ``H(y) = g(y) (m + y) / a * S`` with ``g(y) = (alpha+y)^-(r+x) (beta+y)^-(s+1)``,
    ``m = min(alpha, beta)``, ``a = r + s + x`` and ``S = 2F1(1, B; a + 1; z)``
    (see :func:`pareto_log_tail`); each factor is differentiated in closed form
    and ``S`` term by term.
    """
    c_alpha = r + x
    a = r + s + x
    ay = alpha + y
    by = beta + y
    z = (alpha - beta) / ay if alpha >= beta else (beta - alpha) / by
    total = sum_p = sum_q = sum_n = 0.0
    for c0, c1, c2, c3 in table:
        total = total * z + c0
        sum_p = sum_p * z + c1
        sum_q = sum_q * z + c2
        sum_n = sum_n * z + c3
    log_ay = _LOG(ay)
    log_by = _LOG(by)
    slope = sum_n / total  # d log S / dz
    if alpha >= beta:
        small_y = by
        d_s_r = (sum_p - sum_q) / total
        d_s_s = -sum_q / total
        g_alpha = -c_alpha / ay + by / (ay * ay) * slope
        g_beta = -s / by - slope / ay
    else:
        small_y = ay
        d_s_r = -sum_q / total
        d_s_s = (sum_p - sum_q) / total
        g_alpha = (1.0 - c_alpha) / ay - slope / by
        g_beta = -(s + 1.0) / by + ay / (by * by) * slope
    value = -c_alpha * log_ay - (s + 1.0) * log_by + _LOG(small_y) - _LOG(a) + _LOG(total)
    return value, (-log_ay - 1.0 / a + d_s_r, g_alpha, -log_by - 1.0 / a + d_s_s, g_beta)


#: Above this argument (of the tail's series) the likelihood's gradient path splits
#: the tail where the argument is 1/2 and integrates its head numerically (the
#: heads of one frequency share their quadrature, see :func:`_heads`).
FIT_SERIES_LIMIT = 0.5

#: The widest first panel of a head's quadrature, in ``log(u + min(alpha, beta))``.
_PANEL = 2.0

#: Stretches of ``v`` narrower than this over ``1 + r + x + s + 1`` (a bound on the
#: log-integrand's slope) take the 7-point Gauss rule alone: its error is then
#: below ``0.25^14 / 14!``, i.e. at rounding level.
_NARROW = 0.25

Tail = tuple[float, Vector]


def _heads(  # noqa: PLR0917 - the model's parameters, in the paper's order.
    ys: Sequence[float],
    x: float,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    log_floor: float,
) -> list[Tail]:
    """``log int_y^y1 g`` and its gradient in ``(r, alpha, s, beta)`` for each ``y``.

    ``g(u) = (alpha+u)^-(r+x) (beta+u)^-(s+1)`` (the integrand of ``H``, see
    :func:`crmcore.clv.models._special.pareto_log_tail`) and ``y1 = big - 2 small``
    (``big, small = max, min of alpha, beta``), where the series argument is 1/2.
    In ``v = log(small + u)`` the integrand is smooth and log-concave. The
    gradient is the integral of ``g d log g / d theta`` (differentiation under
    the integral sign; the moving end ``y1`` cancels against ``H(y1)``'s own
    dependence), summed with the nodes and weights that give the value. ``ys``
    come in decreasing order: each ``y`` adds the stretch down from the previous
    one to a running total, so the heads of one frequency cost one quadrature.
    """
    p = r + x
    q = s + 1.0
    small_beta = alpha >= beta
    d = alpha - beta if small_beta else beta - alpha
    log_d = _LOG(d)

    def node(v: float) -> tuple[float, Vector]:
        if small_beta:
            la = logaddexp(log_d, v)
            return v - p * la - q * v, (-la, -p * _EXP(-la), -v, -q * _EXP(-v))
        lb = logaddexp(log_d, v)
        return v - p * v - q * lb, (-v, -p * _EXP(-v), -lb, -q * _EXP(-lb))

    small = beta if small_beta else alpha
    out: list[Tail] = []
    upper = log_d
    log_total = -math.inf
    grad = (0.0, 0.0, 0.0, 0.0)
    for y in ys:
        lower = _LOG(small + y)
        if lower < upper and (upper - lower) * (1.0 + p + q) <= _NARROW:
            log_piece, mean = gauss7_moments(node, lower, upper)
        elif lower < upper:
            steps = max(1, math.ceil((upper - lower) / _PANEL))
            points = [lower + (upper - lower) * i / steps for i in range(steps)]
            points.append(upper)
            log_piece, mean = log_integrate_moments(
                node, points, log_floor=logaddexp(log_total, log_floor)
            )
        if lower < upper:
            both = logaddexp(log_total, log_piece)
            if both > -math.inf:
                a = _EXP(log_total - both)
                b = _EXP(log_piece - both)
                grad = (
                    a * grad[0] + b * mean[0],
                    a * grad[1] + b * mean[1],
                    a * grad[2] + b * mean[2],
                    a * grad[3] + b * mean[3],
                )
            log_total = both
            upper = lower
        out.append((log_total, grad))
    return out


def _tails(  # noqa: PLR0917 - the model's parameters, in the paper's order.
    x: float, ys: Sequence[float], r: float, alpha: float, s: float, beta: float
) -> list[Tail]:
    """``log H(y)`` and its gradient in ``(r, alpha, s, beta)`` for one frequency's ``ys``.

    Where the series argument ``z`` is at most :data:`FIT_SERIES_LIMIT`, the
    Euler-transformed series of :func:`crmcore.clv.models._special.pareto_log_tail`
    (one table of coefficients for all of them); above it,
    ``H(y) = int_y^y1 g + H(y1)`` with ``H(y1)`` from the same table at
    ``z = 1/2`` and the head from :func:`_heads`. Analytic in every region.
    """
    big, small = (alpha, beta) if alpha >= beta else (beta, alpha)
    d = big - small
    zs = [d / (big + y) for y in ys]
    near = sorted(
        (i for i, z in enumerate(zs) if z > FIT_SERIES_LIMIT), key=ys.__getitem__, reverse=True
    )
    z_max = max((z for z in zs if z <= FIT_SERIES_LIMIT), default=0.0)
    if near:
        z_max = max(z_max, 0.5)
    table = _series_table(r + x if alpha >= beta else s + 1.0, r + s + x + 1.0, z_max)
    out: list[Tail] = [(0.0, (0.0, 0.0, 0.0, 0.0))] * len(ys)
    for i, z in enumerate(zs):
        if z <= FIT_SERIES_LIMIT:
            out[i] = _log_tail_and_gradient(table, x, ys[i], r, alpha, s, beta)
    if near:
        near_tails(out, near, table, x, ys, big - 2.0 * small, (r, alpha, s, beta))
    return out


def near_tails(  # noqa: PLR0917 - the tails, their rows and the model's parameters.
    out: list[Tail],
    near: Sequence[int],
    table: list[tuple[float, float, float, float]],
    x: float,
    ys: Sequence[float],
    y1: float,
    params: tuple[float, float, float, float],
) -> None:
    """Fill ``out[i]`` for the ``near`` rows (series argument above the limit), in place.

    ``H(y) = int_y^y1 g + H(y1)`` with ``H(y1)`` from ``table`` at ``y1 = big - 2 small``
    (``z = 1/2``) and the heads from :func:`_heads`; ``near`` longest ``y`` first.
    """
    r, alpha, s, beta = params
    h1, d1 = _log_tail_and_gradient(table, x, y1, r, alpha, s, beta)
    heads = _heads([ys[i] for i in near], x, r, alpha, s, beta, h1)
    for i, (h0, d0) in zip(near, heads, strict=True):
        both = logaddexp(h0, h1)
        a = _EXP(h0 - both)
        b = 1.0 - a
        out[i] = (
            both,
            (
                a * d0[0] + b * d1[0],
                a * d0[1] + b * d1[1],
                a * d0[2] + b * d1[2],
                a * d0[3] + b * d1[3],
            ),
        )


class _Likelihood:
    """Pareto/NBD negative log-likelihood with an analytic gradient in every region.

    Per history (Fader & Hardie 2005, eq. 22-23):
    ``L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [(alpha+T)^-(r+x) (beta+T)^-s
    + s (H(t_x) - H(T))]``; ``H`` and its gradient come from :func:`_tails`.
    """

    def __init__(self, rows: Sequence[tuple[float, ...]], weights: Sequence[float]) -> None:
        points: dict[tuple[float, float], int] = {}

        def point(x: float, y: float) -> int:
            return points.setdefault((x, y), len(points))

        self.rows = [
            (x, t_x, t, w, point(x, t_x), point(x, t))
            for (x, t_x, t), w in zip(rows, weights, strict=True)
        ]
        self.points = sorted(points, key=points.__getitem__)
        groups: dict[float, tuple[list[float], list[int]]] = {}
        for i, (x, y) in enumerate(self.points):
            ys, index = groups.setdefault(x, ([], []))
            ys.append(y)
            index.append(i)
        self.groups = groups
        self.xs = sorted(groups)
        self.total = math.fsum(weights)

    def value(self, log_params: Sequence[float]) -> float:
        """The negative log-likelihood alone."""
        return self(list(log_params))[0]

    def __call__(self, log_params: list[float]) -> tuple[float, list[float]]:
        r, alpha, s, beta = (_EXP(v) for v in log_params)
        tails: list[Tail] = [(0.0, (0.0, 0.0, 0.0, 0.0))] * len(self.points)
        for x, (ys, index) in self.groups.items():
            for i, tail in zip(index, _tails(x, ys, r, alpha, s, beta), strict=True):
                tails[i] = tail
        log_alpha = _LOG(alpha)
        log_beta = _LOG(beta)
        psi_r = digamma(r)
        lg_r = math.lgamma(r)
        base = {x: (math.lgamma(r + x) - lg_r, digamma(r + x) - psi_r) for x in self.xs}
        value = self.total * (r * log_alpha + s * log_beta)
        g_r = self.total * log_alpha
        g_alpha = self.total * r / alpha
        g_s = self.total * log_beta
        g_beta = self.total * s / beta
        inv_s = 1.0 / s
        for x, t_x, t, w, i0, i1 in self.rows:
            lg, dg = base[x]
            rx = r + x
            at = alpha + t
            bt = beta + t
            log_at = _LOG(at)
            log_bt = _LOG(bt)
            log_e1 = -rx * log_at - s * log_bt
            e_r, e_alpha, e_s, e_beta = -log_at, -rx / at, -log_bt, -s / bt
            h0, d0 = tails[i0]
            h1, d1 = tails[i1]
            if t_x < t and h1 < h0:
                rho = _EXP(h1 - h0)
                log_j = _LOG(s) + h0 + math.log1p(-rho)
                inner = logaddexp(log_e1, log_j)
                w1 = _EXP(log_e1 - inner)
                w2 = _EXP(log_j - inner)
                k = 1.0 / (1.0 - rho)
                j_r = (d0[0] - rho * d1[0]) * k
                j_alpha = (d0[1] - rho * d1[1]) * k
                j_s = (d0[2] - rho * d1[2]) * k + inv_s
                j_beta = (d0[3] - rho * d1[3]) * k
                value += w * (lg + inner)
                g_r += w * (dg + w1 * e_r + w2 * j_r)
                g_alpha += w * (w1 * e_alpha + w2 * j_alpha)
                g_s += w * (w1 * e_s + w2 * j_s)
                g_beta += w * (w1 * e_beta + w2 * j_beta)
            else:
                value += w * (lg + log_e1)
                g_r += w * (dg + e_r)
                g_alpha += w * e_alpha
                g_s += w * e_s
                g_beta += w * e_beta
        return -value, [-g_r * r, -g_alpha * alpha, -g_s * s, -g_beta * beta]


def _alive(
    params: Sequence[float], x: float, t_x: float, t: float, tails: dict[tuple[float, float], float]
) -> float:
    """P(alive) of one history: the first term of the bracket over the bracket (eq. 11).

    ``tails`` keeps ``log H(y)`` per ``(x, y)``: histories share their ends.
    """
    r, alpha, s, beta = params
    log_e1 = -(r + x) * _LOG(alpha + t) - s * _LOG(beta + t)
    log_j = -math.inf
    if t_x < t:
        h0 = tails.get((x, t_x))
        if h0 is None:
            h0 = tails[x, t_x] = pareto_log_tail(x, t_x, r, alpha, s, beta)
        h1 = tails.get((x, t))
        if h1 is None:
            h1 = tails[x, t] = pareto_log_tail(x, t, r, alpha, s, beta)
        if h1 < h0:
            log_j = _LOG(s) + h0 + log1mexp(h1 - h0)
    return _EXP(log_e1 - logaddexp(log_e1, log_j))


def _alive_many(np: Any, params: Sequence[float], x: Any, t_x: Any, t: Any) -> Any:
    """:func:`_alive` on arrays (the tails of both ends in one vectorized call)."""
    r, alpha, s, beta = params
    log_e1 = -(r + x) * np.log(alpha + t) - s * np.log(beta + t)
    tails = pareto_log_tail_many(
        np, np.concatenate((x, x)), np.concatenate((t_x, t)), r, alpha, s, beta
    )
    h0, h1 = tails[: len(x)], tails[len(x) :]
    second = (t_x < t) & (h1 < h0)
    log_j = np.where(second, _LOG(s) + h0 + vector_log1mexp(np, h1 - h0), -math.inf)
    return np.exp(log_e1 - vector_logaddexp(np, log_e1, log_j))


@attrs.frozen(slots=True, kw_only=True)
class ParetoNBD(RfmModel):
    """The Pareto/NBD model of repeat buying with unobserved defection.

    Schmittlein, Morrison & Colombo (1987); the expressions are those of Fader
    & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related
    Expressions". Parameters ``r, alpha`` (gamma heterogeneity of purchase
    rates) and ``s, beta`` (gamma heterogeneity of drop-out rates).

    Example:
        >>> from crmcore.clv import ParetoNBD
        >>> model = ParetoNBD(params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
        >>> round(model.probability_alive(26, 30.86, 31), 4)  # the BTYD walk-through's example
        0.9979
    """

    _names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    def _objective(self, rows: Sequence[tuple[float, ...]], weights: Sequence[float]) -> Objective:
        return _Likelihood(rows, weights)

    def _guess(self, mean_age: float) -> tuple[float, ...]:
        scale = max(mean_age / 4.0, 1e-3)
        return (1.0, scale, 1.0, scale)

    def _alive_distinct(self, histories: Histories) -> tuple[Column, Column | None]:
        """P(alive) of each distinct history (Fader & Hardie 2005, eq. 11), and the index."""
        found: tuple[Column, Column | None] | None = histories.memo.get("alive")
        if found is None:
            params = self._values()
            (x, t_x, t), index = histories.distinct()
            np = histories.np
            if np is None:
                tails: dict[tuple[float, float], float] = {}
                rows = zip(x, t_x, t, strict=True)
                found = [_alive(params, *row, tails) for row in rows], index
            else:
                with quiet(np):
                    found = _alive_many(np, params, x, t_x, t), index
            histories.memo["alive"] = found
        return found

    def _alive_column(self, histories: Histories) -> Column:
        """P(alive) of every base row.

        Fader & Hardie (2005), eq. (11): the first bracketed term of the
        likelihood over the whole bracket.
        """
        return histories.expand(*self._alive_distinct(histories))

    def _expected_column(self, histories: Histories, span: float) -> Column:
        """Expected purchases in ``(T, T + span]`` of every base row.

        Fader & Hardie (2005), eq. (18):
        ``P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]``,
        continuous at ``s = 1``.
        """
        r, alpha, s, beta = self._values()
        alive, index = self._alive_distinct(histories)
        (x, _, age), _ = histories.distinct()
        np = histories.np
        if np is None:
            values = []
            for p, xi, ti in zip(alive, x, age, strict=True):
                bt = beta + ti
                flow = -expm1_ratio(s - 1.0, _LOG(bt) - _LOG(bt + span))
                values.append(p * (r + xi) * bt / (alpha + ti) * flow)
            return histories.expand(values, index)
        with quiet(np):
            bt = beta + age
            flow = -vector_expm1_ratio(np, s - 1.0, np.log(bt) - np.log(bt + span))
            return histories.expand(alive * (r + x) * bt / (alpha + age) * flow, index)

    def _value_column(self, histories: Histories, factors: Sequence[float]) -> Column:
        """``sum_k (E[X(k)] - E[X(k-1)]) factors[k-1]`` of every base row.

        ``E[X(k)]`` is P(alive) and ``(r+x)(beta+T)/(alpha+T)`` times a flow
        that depends on ``T`` alone: the periods are summed on the flow.
        """
        r, alpha, s, beta = self._values()
        alive, index = self._alive_distinct(histories)
        (x, _, age), _ = histories.distinct()
        np = histories.np
        if np is None:
            sums: dict[float, float] = {}
            for ti in age:
                if ti not in sums:
                    bt = beta + ti
                    flows = (
                        -expm1_ratio(s - 1.0, _LOG(bt) - _LOG(bt + k))
                        for k in range(1, len(factors) + 1)
                    )
                    sums[ti] = increments(flows, factors, 0.0)
            values = [
                p * (r + xi) * (beta + ti) / (alpha + ti) * sums[ti]
                for p, xi, ti in zip(alive, x, age, strict=True)
            ]
            return histories.expand(values, index)
        with quiet(np):
            bt = beta + age
            flows = (
                -vector_expm1_ratio(np, s - 1.0, np.log(bt) - np.log(bt + k))
                for k in range(1, len(factors) + 1)
            )
            total = increments(flows, factors, np.zeros(len(age)))
            return histories.expand(alive * (r + x) * bt / (alpha + age) * total, index)

    def _new_customer(self) -> Callable[[float], float]:
        """Expected purchases of a new customer in ``(0, span]``.

        Fader & Hardie (2005), eq. (17): ``r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]``.
        """
        r, alpha, s, beta = self._values()

        def one(span: float) -> float:
            return max(
                0.0, r * beta / alpha * -expm1_ratio(s - 1.0, _LOG(beta) - _LOG(beta + span))
            )

        return one

    def probability_of_purchases(self, n: int, t: float) -> float:
        """Probability that a new customer makes exactly ``n`` purchases in ``(0, t]``.

        Fader & Hardie (2005), section 4: alive throughout and ``n`` purchases,
        plus dying at ``tau < t`` after ``n`` purchases, the second part
        integrated numerically over ``tau``.
        """
        k = int(horizon(n, "n", whole=True))
        span = horizon(t)
        r, alpha, s, beta = self._values()
        if span == 0:
            return 1.0 if k == 0 else 0.0
        # For the huge r of a posterior after a huge frequency (r + x): lgamma(r + k) -
        # lgamma(r) by lgamma_step (no overflow, no cancellation), (alpha / (alpha + t))^r
        # by log1p, and alpha^-(r+k) taken out of the integrand (below) so that it never
        # meets r log(alpha): every term stays of the size of the result.
        log_nb = (
            lgamma_step(r, k)
            - math.lgamma(k + 1.0)
            - r * math.log1p(span / alpha)
            + k * (_LOG(span) - _LOG(alpha + span))
        )
        alive = log_nb + s * (_LOG(beta) - _LOG(beta + span))
        log_beta_off = _LOG(beta)
        log_alpha = _LOG(alpha)

        def logf(v: float) -> float:
            # tau = exp(v); integrand tau^k (1 + tau/alpha)^-(r+k) (beta+tau)^-(s+1) dtau,
            # which is alpha^(r+k) times the paper's tau^k (alpha+tau)^-(r+k) (beta+tau)^-(s+1).
            return (
                (k + 1.0) * v
                - (r + k) * logaddexp(0.0, v - log_alpha)
                - (s + 1.0) * logaddexp(log_beta_off, v)
            )

        top = _LOG(span)
        lo = min(top, _LOG(min(alpha, beta))) - 37.0 - math.log1p(r + k + s + 1.0)
        points = [lo + (top - lo) * i / 12 for i in range(13)]
        body = logaddexp(log_integrate(logf, points), logf(lo) - _LOG(k + 1.0))
        died = (
            lgamma_step(r, k)
            - math.lgamma(k + 1.0)
            - k * log_alpha
            + _LOG(s)
            + s * log_beta_off
            + body
        )
        return min(1.0, _EXP(logaddexp(alive, died)))

    def _simulated_customer(self) -> SimulatedCustomer:
        """One customer's ``(frequency, recency)`` up to an age: the Pareto/NBD story.

        Buys at a gamma-distributed rate until an exponential lifetime with a
        gamma-distributed rate ends.
        """
        r, alpha, s, beta = self._values()

        def customer(rng: random.Random, budget: DrawBudget, age: float) -> tuple[int, float]:
            rate = rng.gammavariate(r, 1.0 / alpha)
            death = rng.gammavariate(s, 1.0 / beta)
            end = min(age, rng.expovariate(death)) if death > 0 else age
            x, last, now = 0, 0.0, 0.0
            while rate > 0:
                budget.spend()
                now += rng.expovariate(rate)
                if now > end:
                    break
                x += 1
                last = now
            return x, last

        return customer
