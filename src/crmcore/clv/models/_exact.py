"""Exact derivatives of the models' negative log-likelihoods.

Each model's log-likelihood is written once over :class:`~crmcore.clv.models._dual.Dual`
numbers (second-order forward-mode automatic differentiation), in the model's
natural parameters, following the formulas of the model modules and their
papers. Series are differentiated term by term; the Pareto/NBD integral that
the model integrates numerically near ``z = 1`` is differentiated under the
integral sign. The result is exact up to rounding (no finite differences).

Example:
    >>> rows, weights = [(2.0, 30.43, 38.86), (0.0, 0.0, 38.86)], [1.0, 3.0]
    >>> params = [0.243, 4.414, 0.793, 2.426]
    >>> [round(g, 6) for g in negative_log_likelihood_gradient("BetaGeo", rows, weights, params)]
    [4.152109, -0.148101, 0.202885, -0.0766]
    >>> hessian = negative_log_likelihood_hessian("BetaGeo", rows, weights, params)
    >>> round(hessian[0][1], 6) == round(hessian[1][0], 6)
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from crmcore.clv.models._dual import (
    Dual,
    accumulate,
    lbeta,
    lgamma,
    log,
    logaddexp,
    logsumexp,
    softplus,
    variables,
    zero,
)

_LOG = math.log
_EXP = math.exp

Rows = Sequence[tuple[float, ...]]

#: Above this argument the Pareto/NBD tail's series is not used directly: the
#: integral is split where the argument is 1/2 and its head integrated (as
#: :func:`crmcore.clv.models._special.pareto_log_tail` does).
_SERIES_LIMIT = 0.9


def _grouped(rows: Rows, weights: Sequence[float]) -> dict[tuple[float, ...], float]:
    """Equal rows merged, their weights summed (insertion order kept)."""
    groups: dict[tuple[float, ...], float] = {}
    for row, w in zip(rows, weights, strict=True):
        key = tuple(float(v) for v in row)
        groups[key] = groups.get(key, 0.0) + float(w)
    return groups


# --- BG/NBD and MBG/NBD -----------------------------------------------------


def _beta_geo(rows: Rows, weights: Sequence[float], params: Sequence[float], shift: int) -> Dual:
    """BG/NBD and MBG/NBD log-likelihood (``shift`` 0 and 1).

    Fader, Hardie & Lee (2005), eq. (6); Batislam et al. (2007), eq. (4):

    ``log L = lgamma(r+x) - lgamma(r) + r log alpha + log B(a, b+x+m) - log B(a, b)
    - (r+x) log(alpha+T) + [x+m>0] softplus(log a - log(b+x-1+m)
    + (r+x) (log(alpha+T) - log(alpha+t_x)))``.
    """
    r, alpha, a, b = variables(params)
    lg_r = lgamma(r)
    lb_ab = lbeta(a, b)
    log_a = log(a)
    per_x: dict[float, tuple[Dual, Dual | None]] = {}
    logs: dict[float, Dual] = {}

    def log_age(t: float) -> Dual:
        found = logs.get(t)
        if found is None:
            found = logs[t] = log(alpha + t)
        return found

    total = zero(4)
    customers = 0.0
    for (x, t_x, t), w in _grouped(rows, weights).items():
        customers += w
        found = per_x.get(x)
        if found is None:
            base = lgamma(r + x) - lg_r + lbeta(a, b + (x + shift)) - lb_ab
            delta0 = log_a - log(b + (x - 1.0 + shift)) if x + shift > 0 else None
            found = per_x[x] = (base, delta0)
        base, delta0 = found
        rx = r + x
        log_t = log_age(t)
        term = base - rx * log_t
        if delta0 is not None:
            term += softplus(delta0 + rx * (log_t - log_age(t_x)))
        accumulate(total, term, w)
    accumulate(total, r * log(alpha), customers)
    return total


# --- Pareto/NBD --------------------------------------------------------------

# The 7-point Gauss and 15-point Kronrod rules (Piessens et al., QUADPACK 1983):
# nodes on [0, 1) (and their negatives), the Kronrod weights and the Gauss weights.
_NODES = (
    0.991455371120812639206854697526329,
    0.949107912342758524526189684047851,
    0.864864423359769072789712788640926,
    0.741531185599394439863864773280788,
    0.586087235467691130294144845693013,
    0.405845151377397166906606412076961,
    0.207784955007898467600689403773245,
    0.0,
)
_KRONROD = (
    0.022935322010529224963732008058970,
    0.063092092629978553290700663189204,
    0.104790010322250183839876322541518,
    0.140653259715525918745189590510238,
    0.169004726639267902826583426598550,
    0.190350578064785409913256402421014,
    0.204432940075298892414161999234649,
    0.209482141084727828012999174891714,
)
_GAUSS = (
    0.0,
    0.129484966168869693270611432679082,
    0.0,
    0.279705391489276667901467771423780,
    0.0,
    0.381830050505118944950369775488975,
    0.0,
    0.417959183673469387755102040816327,
)


def _rule(lo: float, hi: float) -> list[tuple[float, float, float]]:
    """The 15 Kronrod nodes of ``[lo, hi]`` with their Kronrod and Gauss weights."""
    centre = 0.5 * (lo + hi)
    half = 0.5 * (hi - lo)
    out = []
    for node, wk, wg in zip(_NODES, _KRONROD, _GAUSS, strict=True):
        out.append((centre - half * node, wk * half, wg * half))
        if node:
            out.append((centre + half * node, wk * half, wg * half))
    return out


def _panels(logf: Callable[[float], float], lo: float, hi: float) -> list[tuple[float, float]]:
    """Panels of ``[lo, hi]`` on which the 15-point Kronrod rule integrates ``exp(logf)``.

    Globally adaptive on the value (the panel with the largest Gauss-Kronrod
    difference is halved) to a relative 1e-14; each final panel is halved once
    more, so the derivative integrands (the value times polynomials in logs)
    are integrated as accurately.
    """
    found: list[tuple[float, float, float, float]] = []  # (lo, hi, integral, error)

    def panel(a: float, b: float) -> tuple[float, float, float, float]:
        rule = _rule(a, b)
        values = [_EXP(logf(v) - shift) for v, _, _ in rule]
        kronrod = math.fsum(wk * f for (_, wk, _), f in zip(rule, values, strict=True))
        gauss = math.fsum(wg * f for (_, _, wg), f in zip(rule, values, strict=True))
        return a, b, kronrod, abs(kronrod - gauss)

    shift = max(logf(lo), logf(hi), logf(0.5 * (lo + hi)))
    found = [panel(lo + (hi - lo) * i / 8, lo + (hi - lo) * (i + 1) / 8) for i in range(8)]
    while len(found) < 200:
        total = math.fsum(p[2] for p in found)
        if math.fsum(p[3] for p in found) <= 1e-14 * total:
            break
        worst = max(range(len(found)), key=lambda i: found[i][3])
        a, b, _, _ = found.pop(worst)
        middle = 0.5 * (a + b)
        found += [panel(a, middle), panel(middle, b)]
    out: list[tuple[float, float]] = []
    for a, b, _, _ in sorted(found):
        middle = 0.5 * (a + b)
        out += [(a, middle), (middle, b)]
    return out


def _pareto_head(  # noqa: PLR0917 - the variables, their values and the limits.
    duals: Sequence[Dual], values: Sequence[float], x: float, y: float, y1: float, small: float
) -> Dual:
    """``log int_y^y1 (alpha+u)^-(r+x) (beta+u)^-(s+1) du``, differentiated under the integral.

    With the fixed substitution ``u = exp(v) - small`` (``small`` the value of
    ``min(alpha, beta)``) the limits do not depend on the parameters, so each
    derivative is the integral of the integrand's derivative: the same
    quadrature nodes, evaluated on duals.
    """
    r, alpha, s, beta = duals
    rv, av, sv, bv = values
    off_a = av - small
    off_b = bv - small

    def logf(v: float) -> float:
        e = _EXP(v)
        return v - (rv + x) * _LOG(off_a + e) - (sv + 1.0) * _LOG(off_b + e)

    lo = _LOG(small + y)
    hi = _LOG(small + y1)
    rx = r + x
    s1 = s + 1.0
    terms = []
    for a, b in _panels(logf, lo, hi):
        for v, wk, _ in _rule(a, b):
            u = _EXP(v) - small
            terms.append((v + _LOG(wk)) - rx * log(alpha + u) - s1 * log(beta + u))
    return logsumexp(terms)


def _pareto_tails(
    duals: Sequence[Dual], values: Sequence[float], points: set[tuple[float, float]]
) -> dict[tuple[float, float], Dual]:
    """``log H(y)`` at each ``(x, y)``, with ``H(y) = int_y^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du``.

    Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related
    Expressions", eq. (22)-(23), after Euler's transformation (Abramowitz &
    Stegun 15.3.3): ``H(y) = (alpha+y)^-(r+x) (beta+y)^-(s+1) (m+y) / (r+s+x)
    * 2F1(1, B; r+s+x+1; z)`` with ``m = min(alpha, beta)``, ``B = r+x`` and
    ``z = (alpha-beta)/(alpha+y)`` when ``alpha >= beta``, else ``B = s+1``
    and ``z = (beta-alpha)/(beta+y)``. The series (positive, falling terms) is
    differentiated term by term. Where ``z > 0.9`` the integral is split at the
    ``y1`` where ``z = 1/2`` and its head integrated numerically.
    """
    r, alpha, s, beta = duals
    _, av, _, bv = values
    alpha_big = av >= bv
    big, small = (av, bv) if alpha_big else (bv, av)
    gap = big - small
    y1 = big - 2.0 * small
    z_dual = {}
    logs_alpha: dict[float, Dual] = {}
    logs_beta: dict[float, Dual] = {}
    caps: dict[float, float] = {}
    split = set()
    for x, y in points:
        z = gap / (big + y)
        if z > _SERIES_LIMIT:
            split.add((x, y))
            z = 0.5
        caps[x] = max(caps.get(x, 0.0), z)
    series_points = {(x, y1 if (x, y) in split else y) for x, y in points}
    tables = {x: _series_table(duals, values, x, z, alpha_big) for x, z in caps.items()}
    series: dict[tuple[float, float], Dual] = {}
    for x, y in series_points:
        la = logs_alpha.get(y)
        if la is None:
            la = logs_alpha[y] = log(alpha + y)
            logs_beta[y] = log(beta + y)
            z_dual[y] = (alpha - beta) / (alpha + y) if alpha_big else (beta - alpha) / (beta + y)
        lb = logs_beta[y]
        total = tables[x][-1]
        zy = z_dual[y]
        for coef in reversed(tables[x][:-1]):
            total = total * zy + coef
        head = -(r + x) * la - (s + 1.0) * lb + (lb if alpha_big else la)
        series[x, y] = head - log(r + s + x) + log(total)
    out = {}
    for x, y in points:
        if (x, y) in split:
            head = _pareto_head(duals, values, x, y, y1, small)
            out[x, y] = logaddexp(head, series[x, y1])
        else:
            out[x, y] = series[x, y]
    return out


def _series_table(
    duals: Sequence[Dual], values: Sequence[float], x: float, z_cap: float, alpha_big: bool
) -> list[Dual]:
    """The coefficients ``(B)_n / (c)_n`` of ``2F1(1, B; c; z)`` (``c = r+s+x+1``) as duals.

    Enough terms that the neglected tail of the series and of its first and
    second derivatives (in ``z`` and in the parameters) is below 1e-17 of the
    sum, which is at least 1, for every ``z <= z_cap``; at least three terms,
    so the derivatives are right at ``z = 0`` too.
    """
    r, _, s, _ = duals
    rv, _, sv, _ = values
    bv = rv + x if alpha_big else sv + 1.0
    cv = rv + sv + x + 1.0
    coef = 1.0
    power = 1.0
    count = 0
    slack = 1.0 / (1.0 - z_cap) ** 3
    while (
        count < 2
        or coef * power * slack * (count + 2.0) ** 2 * (1.0 + _LOG(count + 2.0) + 1.0 / cv) ** 2
        > 1e-17
    ):
        coef *= (bv + count) / (cv + count)
        power *= z_cap
        count += 1
    big_b = r + x if alpha_big else s + 1.0
    c = r + s + (x + 1.0)
    table = [zero(4) + 1.0]
    term = table[0]
    for n in range(count):
        term = term * (big_b + n) / (c + n)
        table.append(term)
    return table


def _pareto(rows: Rows, weights: Sequence[float], params: Sequence[float]) -> Dual:
    """Pareto/NBD log-likelihood (Fader & Hardie 2005, eq. 22-23).

    ``L = Gamma(r+x) alpha^r beta^s / Gamma(r) [(alpha+T)^-(r+x) (beta+T)^-s
    + s (H(t_x) - H(T))]``, the bracket summed in logs.
    """
    duals = variables(params)
    r, alpha, s, beta = duals
    groups = _grouped(rows, weights)
    points: set[tuple[float, float]] = set()
    for x, t_x, t in groups:
        if t_x < t:
            points.update(((x, t_x), (x, t)))
    tails = _pareto_tails(duals, params, points)
    lg_r = lgamma(r)
    log_s = log(s)
    per_x: dict[float, Dual] = {}
    per_t: dict[float, tuple[Dual, Dual]] = {}
    total = zero(4)
    customers = 0.0
    for (x, t_x, t), w in groups.items():
        customers += w
        base = per_x.get(x)
        if base is None:
            base = per_x[x] = lgamma(r + x) - lg_r
        logs = per_t.get(t)
        if logs is None:
            logs = per_t[t] = (log(alpha + t), log(beta + t))
        inner = -(r + x) * logs[0] - s * logs[1]
        if t_x < t:
            h0 = tails[x, t_x]
            h1 = tails[x, t]
            if h1.v < h0.v:
                inner = logaddexp(inner, log_s + logsumexp([h0, h1], [1.0, -1.0]))
        accumulate(total, base + inner, w)
    accumulate(total, r * log(alpha) + s * log(beta), customers)
    return total


# --- BG/BB, Gamma-Gamma, sBG ------------------------------------------------


def _bgbb(rows: Rows, weights: Sequence[float], params: Sequence[float]) -> Dual:
    """BG/BB log-likelihood (Fader, Hardie & Shang 2010, eq. 5).

    ``L = B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n)/B(gamma, delta)
    + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
    B(gamma+1, delta+t_x+i)/B(gamma, delta)``.
    """
    alpha, beta, gamma, delta = variables(params)
    lb_ab = lbeta(alpha, beta)
    lb_gd = lbeta(gamma, delta)
    buying: dict[tuple[float, float], Dual] = {}
    staying: dict[tuple[float, float], Dual] = {}

    def buy(x: float, k: float) -> Dual:
        found = buying.get((x, k))
        if found is None:
            found = buying[x, k] = lbeta(alpha + x, beta + k) - lb_ab
        return found

    def stay(first: float, k: float) -> Dual:
        found = staying.get((first, k))
        if found is None:
            found = staying[first, k] = lbeta(gamma + first, delta + k) - lb_gd
        return found

    total = zero(4)
    for (x, t_x, n), w in _grouped(rows, weights).items():
        terms = [buy(x, n - x) + stay(0.0, n)]
        terms += [buy(x, t_x - x + i) + stay(1.0, t_x + i) for i in range(int(n - t_x))]
        accumulate(total, logsumexp(terms), w)
    return total


def _gamma_gamma(rows: Rows, weights: Sequence[float], params: Sequence[float]) -> Dual:
    """Gamma-Gamma log-likelihood of mean spends (Fader & Hardie 2013, eq. 3).

    ``log f(m) = lgamma(px+q) - lgamma(px) - lgamma(q) + q log v + (px-1) log m
    + px log x - (px+q) log(v + x m)``.
    """
    p, q, v = variables(params)
    total = zero(3)
    customers = 0.0
    for (x, m), w in _grouped(rows, weights).items():
        customers += w
        px = p * x
        pq = px + q
        term = lgamma(pq) - lgamma(px) + px * (_LOG(m) + _LOG(x)) - pq * log(v + x * m)
        accumulate(total, term, w)
        total.v -= w * _LOG(m)
    accumulate(total, q * log(v) - lgamma(q), customers)
    return total


def _sbg(rows: Rows, weights: Sequence[float], params: Sequence[float]) -> Dual:
    """The sBG log-likelihood of one cohort's survivors (Fader & Hardie 2007, eq. B3 and 7).

    ``sum_t (n_{t-1} - n_t) log P(T = t) + n_k log S(k)`` with
    ``P(T=1) = alpha/(alpha+beta)``, ``P(T=t) = P(T=t-1) (beta+t-2)/(alpha+beta+t-1)``
    and ``S(t) = S(t-1) (beta+t-1)/(alpha+beta+t-1)``, ``S(0) = 1``.
    """
    del weights
    alpha, beta = variables(params)
    survivors = [float(row[0]) for row in rows]
    log_ab = log(alpha + beta)
    log_p = log(alpha) - log_ab
    log_s = log(beta) - log_ab
    total = zero(2)
    for t in range(1, len(survivors)):
        if t > 1:
            log_next = log(alpha + beta + (t - 1.0))
            log_p += log(beta + (t - 2.0)) - log_next
            log_s += log(beta + (t - 1.0)) - log_next
        lost = survivors[t - 1] - survivors[t]
        if lost:
            accumulate(total, log_p, lost)
    if survivors[-1]:
        accumulate(total, log_s, survivors[-1])
    return total


_MODELS: dict[str, Callable[[Rows, Sequence[float], Sequence[float]], Dual]] = {
    "BetaGeo": lambda rows, w, params: _beta_geo(rows, w, params, 0),
    "ModifiedBetaGeo": lambda rows, w, params: _beta_geo(rows, w, params, 1),
    "ParetoNBD": _pareto,
    "BetaGeoBetaBinom": _bgbb,
    "GammaGamma": _gamma_gamma,
    "ShiftedBetaGeometric": _sbg,
}


def log_likelihood(
    model: str, rows: Rows, weights: Sequence[float], params: Sequence[float]
) -> Dual | None:
    """A model's weighted log-likelihood as a :class:`Dual` (value, gradient, Hessian).

    In the natural parameters, in the model's ``_names`` order. None for an
    unknown model name or where the arithmetic fails or is not finite.
    """
    build = _MODELS.get(model)
    if build is None:
        return None
    try:
        found = build(rows, weights, [float(v) for v in params])
    except (ArithmeticError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (found.v, *found.g, *found.h)):
        return None
    return found


def negative_log_likelihood_hessian(
    model: str,
    rows: Sequence[tuple[float, ...]],
    weights: Sequence[float],
    params: Sequence[float],
) -> list[list[float]] | None:
    """Hessian of a model's weighted negative log-likelihood in its natural parameters.

    ``model`` is the class name (``"BetaGeo"``, ``"ModifiedBetaGeo"``, ``"ParetoNBD"``,
    ``"BetaGeoBetaBinom"``, ``"GammaGamma"``, ``"ShiftedBetaGeometric"``); ``rows``
    and ``weights`` are what the model's likelihood is built on (RFM models
    ``(x, t_x, T)``, BG/BB ``(x, t_x, n)``, Gamma-Gamma ``(x, m)`` with ``x > 0``,
    sBG ``(survivors,)`` per period with the weights ignored); ``params`` are
    in the model's ``_names`` order. None when not available.
    """
    found = log_likelihood(model, rows, weights, params)
    if found is None:
        return None
    return [[-v for v in row] for row in found.hessian()]


def negative_log_likelihood_gradient(
    model: str,
    rows: Sequence[tuple[float, ...]],
    weights: Sequence[float],
    params: Sequence[float],
) -> list[float] | None:
    """Gradient of a model's weighted negative log-likelihood in its natural parameters.

    The same arguments as :func:`negative_log_likelihood_hessian`.
    """
    found = log_likelihood(model, rows, weights, params)
    if found is None:
        return None
    return [-v for v in found.g]
