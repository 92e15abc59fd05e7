"""The special functions of :mod:`crmcore.clv.models._special`, on numpy arrays.

Only the numpy prediction path calls these, with the numpy module passed in
(numpy is never imported here). Each one repeats its scalar twin's arithmetic
operation for operation: a series is summed term by term in the same order and
each element stops at the same term, so the results differ from the scalar
ones only by the last bit of ``log`` and ``exp``. Elements the scalar function
would hand to a quadrature (or whose series the twin rejects) are computed by
the scalar function itself.
"""

from __future__ import annotations

import math
from typing import Any

from crmcore.clv.models._special import SERIES_LIMIT, log_phi, pareto_log_tail

#: Relative precision of the series, as in ``_special``.
_EPS = 1e-16


def quiet(np: Any) -> Any:
    """A context in which numpy's floating-point warnings stay silent.

    Branches are computed on every element and the unwanted ones dropped by
    ``where``: the dropped elements may divide by zero or overflow.
    """
    return np.errstate(all="ignore")


def expm1_ratio(np: Any, c: float, y: Any) -> Any:
    """``(exp(c * y) - 1) / c`` elementwise for one ``c``, as the scalar ``expm1_ratio``."""
    cy = c * y
    small = y * (1.0 + 0.5 * cy * (1.0 + cy / 3.0))
    if c == 0.0:
        return small
    return np.where(np.abs(cy) < 1e-8, small, np.expm1(cy) / c)


def log1mexp(np: Any, x: Any) -> Any:
    """``log(1 - exp(x))`` for ``x <= 0``, as the scalar ``log1mexp``."""
    near = x > -0.6931471805599453
    return np.where(near, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def logaddexp(np: Any, x: Any, y: Any) -> Any:
    """``log(exp(x) + exp(y))`` with ``-inf`` allowed, as the scalar ``logaddexp``."""
    high = np.maximum(x, y)
    low = np.minimum(x, y)
    return np.where(low == -math.inf, high, high + np.log1p(np.exp(low - high)))


def log_phi_many(np: Any, big_r: Any, a: float, big_b: Any, k: Any) -> Any:
    """:func:`crmcore.clv.models._special.log_phi` for arrays ``big_r``, ``big_b``, ``k``."""
    out = np.full(len(k), -math.inf)
    z = k / (1.0 + k)
    c = a + big_b - 1.0
    tried = np.flatnonzero((k > 0.0) & (z <= SERIES_LIMIT) & (c > 0.0))
    values, accepted = _phi_series(np, big_r[tried], a, z[tried], c[tried])
    out[tried[accepted]] = values[accepted]
    left = np.ones(len(k), dtype=bool)
    left[tried[accepted]] = False
    left &= k > 0.0
    for i in np.flatnonzero(left).tolist():
        out[i] = log_phi(float(big_r[i]), a, float(big_b[i]), float(k[i]))
    return out


def _phi_series(np: Any, big_r: Any, a: float, z: Any, c: Any) -> tuple[Any, Any]:
    """The Euler-transformed series of ``log_phi`` (``c = a + B - 1``): values, and which are kept."""
    log_one_minus_z = np.log1p(-z)
    first = -expm1_ratio(np, a - 1.0, log_one_minus_z)
    scale = np.exp((a - 1.0) * log_one_minus_z)
    cr = c - big_r
    term = cr / c * z
    total = term.copy()
    biggest = np.abs(term)
    failed = np.zeros(len(z), dtype=bool)
    # The elements still summing, and their state.
    live = np.arange(len(z))
    s_term, s_total, s_big, s_cr, s_c, s_z = term, total, biggest, cr, c, z
    n = 1
    while live.size:
        ratio = (s_cr + n) * (a + n - 1.0) / ((s_c + n) * (n + 1.0)) * s_z
        s_term = s_term * ratio
        s_total = s_total + s_term
        n += 1
        size = np.abs(s_term)
        grew = size > s_big
        s_big = np.where(grew, size, s_big)
        blown = grew & (size > 1e250)
        done = (size <= _EPS * np.abs(s_total)) & (ratio > -1.0) & (ratio < 1.0)
        stop = blown | done
        if n > 5_000:
            stop = np.ones(live.size, dtype=bool)
            failed[live[~done]] = True
        failed[live[blown]] = True
        if stop.any():
            ended = live[stop]
            total[ended] = s_total[stop]
            biggest[ended] = s_big[stop]
            keep = ~stop
            live = live[keep]
            s_term, s_total, s_big = s_term[keep], s_total[keep], s_big[keep]
            s_cr, s_c, s_z = s_cr[keep], s_c[keep], s_z[keep]
    value = first - scale * total
    accepted = (
        ~failed & np.isfinite(value) & (value > 0.0) & ~(scale * biggest * 1e-15 > 1e-12 * value)
    )
    return np.log(c) + np.log(value), accepted


def pareto_log_tail_many(  # noqa: PLR0917 - the model's parameters, in the paper's order.
    np: Any, x: Any, y: Any, r: float, alpha: float, s: float, beta: float
) -> Any:
    """:func:`crmcore.clv.models._special.pareto_log_tail` for arrays ``x`` and ``y``."""
    c_alpha = r + x
    c_beta = s + 1.0
    a = r + s + x
    if alpha >= beta:
        big, small, c_big = alpha, beta, c_alpha
    else:
        big, small, c_big = beta, alpha, np.full(len(x), c_beta)
    d = big - small
    z = d / (big + y)
    log_g = -c_alpha * np.log(alpha + y) - c_beta * np.log(beta + y)
    out = np.empty(len(x))
    series = np.flatnonzero(z <= SERIES_LIMIT)
    total = _tail_series(np, c_big[series], a[series] + 1.0, z[series])
    ys = y[series]
    out[series] = log_g[series] + np.log(small + ys) - np.log(a[series]) + np.log(total)
    for i in np.flatnonzero(z > SERIES_LIMIT).tolist():
        out[i] = pareto_log_tail(float(x[i]), float(y[i]), r, alpha, s, beta)
    return out


def _tail_series(np: Any, bp: Any, c: Any, z: Any) -> Any:
    """The sum ``S`` of :func:`crmcore.clv.models._special.pareto_tail_series`, elementwise."""
    total = np.ones(len(z))
    live = np.flatnonzero(z > 0.0)
    s_bp, s_c, s_z = bp[live], c[live], z[live]
    slack = s_z / (1.0 - s_z)
    s_term = np.ones(live.size)
    s_total = np.ones(live.size)
    n = 0
    while live.size:
        bn = s_bp + n
        cn = s_c + n
        s_term = s_term * (bn / cn * s_z)
        n += 1
        s_total = s_total + s_term
        stop = s_term * (n + 1.0 + slack) * slack <= _EPS * s_total
        if n > 100_000:
            stop = np.ones(live.size, dtype=bool)
        if stop.any():
            total[live[stop]] = s_total[stop]
            keep = ~stop
            live = live[keep]
            s_bp, s_c, s_z, slack = s_bp[keep], s_c[keep], s_z[keep], slack[keep]
            s_term, s_total = s_term[keep], s_total[keep]
    return total
