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
    chain2,
    exp,
    lbeta,
    lgamma,
    log,
    log1p,
    logaddexp,
    logsumexp,
    softplus,
    variables,
    zero,
)
from crmcore.clv.models._special import gauss7_moments, log_integrate_moments
from crmcore.clv.models._special import logaddexp as float_logaddexp

_LOG = math.log
_EXP = math.exp

Rows = Sequence[tuple[float, ...]]


def _grouped(rows: Rows, weights: Sequence[float]) -> dict[tuple[float, ...], float]:
    """Equal rows merged, their weights summed (insertion order kept)."""
    groups: dict[tuple[float, ...], float] = {}
    for row, w in zip(rows, weights, strict=True):
        key = tuple(float(v) for v in row)
        groups[key] = groups.get(key, 0.0) + float(w)
    return groups


# --- BG/NBD and MBG/NBD -----------------------------------------------------


def _log_ages(alpha: Dual) -> Callable[[float], Dual]:
    """``t -> log(alpha + t)``, each distinct ``t`` computed once."""
    logs: dict[float, Dual] = {}

    def log_age(t: float) -> Dual:
        found = logs.get(t)
        if found is None:
            found = logs[t] = log(alpha + t)
        return found

    return log_age


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
    log_age = _log_ages(alpha)

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

#: Above this argument the Pareto/NBD tail's series is not used directly: the
#: integral is split where the argument is 1/2 and its head integrated (as the
#: model's own gradient does, :func:`crmcore.clv.models._paretonbd._tails`).
_SERIES_LIMIT = 0.5

#: Stretches of the head narrower than this over ``1 + r + x + s + 1`` (a bound on
#: the log-integrand's slope) take the 7-point Gauss rule alone (its error is
#: then at rounding level, see :data:`crmcore.clv.models._paretonbd._NARROW`).
_NARROW = 0.25

#: The widest first panel of a head's adaptive quadrature, in ``log(u + min(alpha, beta))``.
_PANEL = 2.0

#: Upper-triangle pairs ``(i, j)`` of four variables, in the order of ``Dual.h``.
_PAIRS4 = tuple((i, j) for i in range(4) for j in range(i, 4))

#: One tail's ``log H``, gradient and Hessian (upper triangle), in floats.
Moments = tuple[float, list[float], list[float]]


def _series_table(bv: float, cv: float, z_cap: float) -> list[tuple[float, ...]]:
    """Terms of ``S = 2F1(1, B; c; z)`` and of its partial derivatives in ``B`` and ``c``.

    Row ``n`` holds ``t_n = (B)_n / (c)_n`` times ``1``, ``P_n``, ``Q_n``,
    ``P_n^2 - P2_n``, ``Q_n^2 + Q2_n`` and ``P_n Q_n`` (``P_n = sum_{k<n} 1/(B+k)``,
    ``Q_n`` the same over ``c + k``, ``P2_n`` and ``Q2_n`` over the squares):
    ``dt_n/dB = t_n P_n``, ``dt_n/dc = -t_n Q_n``, ``d2t_n/dB2 = t_n (P_n^2 - P2_n)``,
    ``d2t_n/dc2 = t_n (Q_n^2 + Q2_n)`` and ``d2t_n/dBdc = -t_n P_n Q_n``
    (``P_n^2 - P2_n`` is summed as twice the cross products, without cancellation).
    The last column bounds the neglected tail after row ``n`` (times ``z^n`` and a
    factor of ``z``): enough rows that it is below 1e-17 of the sum, which is at
    least 1, for every ``z <= z_cap``; at least three rows, so the derivatives are
    right at ``z = 0`` too.
    """
    slack = 1.0 / (1.0 - z_cap) ** 3
    rows: list[tuple[float, ...]] = []
    coef = 1.0
    p = q = cross = q2 = 0.0
    power = 1.0
    n = 0
    while True:
        bound = coef * (n + 2.0) ** 2 * (1.0 + _LOG(n + 2.0) + 1.0 / cv) ** 2
        rows.append(
            (coef, coef * p, coef * q, 2.0 * coef * cross, coef * (q * q + q2), coef * p * q, bound)
        )
        if n >= 2 and bound * power * slack <= 1e-17:
            return rows
        b_n = 1.0 / (bv + n)
        c_n = 1.0 / (cv + n)
        cross += p * b_n
        p += b_n
        q += c_n
        q2 += c_n * c_n
        coef *= (bv + n) * c_n
        power *= z_cap
        n += 1


def _series_sums(table: list[tuple[float, ...]], z: float) -> tuple[float, ...]:
    """``S`` and its partials ``S_B, S_c, S_z, S_BB, S_cc, S_zz, S_Bc, S_Bz, S_cz`` at ``z``.

    Summed upward until the table's tail bound for this ``z`` is negligible.
    """
    slack = 1.0 / (1.0 - z) ** 3
    s = s_b = s_c = s_bb = s_cc = s_bc = s_z = s_bz = s_cz = s_zz = 0.0
    pw, pw1, pw2 = 1.0, 0.0, 0.0  # z^n, n z^(n-1), n (n-1) z^(n-2)
    for n, (t, tp, tq, tpp, tqq, tpq, bound) in enumerate(table):
        s += t * pw
        s_b += tp * pw
        s_c += tq * pw
        s_bb += tpp * pw
        s_cc += tqq * pw
        s_bc += tpq * pw
        s_z += t * pw1
        s_bz += tp * pw1
        s_cz += tq * pw1
        s_zz += t * pw2
        if n >= 2 and bound * pw * slack <= 1e-17:
            break
        pw2 = z * pw2 + 2.0 * pw1
        pw1 = z * pw1 + pw
        pw *= z
    return s, s_b, -s_c, s_z, s_bb, s_cc, s_zz, -s_bc, s_bz, -s_cz


def _series_tail(
    table: list[tuple[float, ...]], x: float, y: float, values: Sequence[float], alpha_big: bool
) -> Moments:
    """``log H(y)`` by the series, with its gradient and raw second moment (floats).

    ``log H = -(r+x) log(alpha+y) - (s+1) log(beta+y) + log(m+y) - log(r+s+x)
    + log S(B, c, z)`` (see :func:`_pareto_tails`); the partials of ``S`` in
    ``(B, c, z)`` come from :func:`_series_sums` and are combined once by the
    chain rule with ``B``, ``c`` and ``z`` as functions of ``(r, alpha, s, beta)``.
    """
    rv, av, sv, bv = values
    p = rv + x
    q = sv + 1.0
    ay = av + y
    by = bv + y
    la = _LOG(ay)
    lb = _LOG(by)
    inv_a = 1.0 / (rv + sv + x)
    ia = 1.0 / ay
    ib = 1.0 / by
    if alpha_big:
        z = (av - bv) * ia
        # dz/d(alpha, beta) and d2z/d(alpha2, alpha beta, beta2).
        z1, z3 = by * ia * ia, -ia
        z11, z13, z33 = -2.0 * by * ia * ia * ia, ia * ia, 0.0
        value = -p * la - q * lb + lb
    else:
        z = (bv - av) * ib
        z1, z3 = -ib, ay * ib * ib
        z11, z13, z33 = 0.0, ib * ib, -2.0 * ay * ib * ib * ib
        value = -p * la - q * lb + la
    s, s_b, s_c, s_z, s_bb, s_cc, s_zz, s_bc, s_bz, s_cz = _series_sums(table, z)
    inv = 1.0 / s
    l_b, l_c, l_z = s_b * inv, s_c * inv, s_z * inv
    l_bb = s_bb * inv - l_b * l_b
    l_cc = s_cc * inv - l_c * l_c
    l_zz = s_zz * inv - l_z * l_z
    l_bc = s_bc * inv - l_b * l_c
    l_bz = s_bz * inv - l_b * l_z
    l_cz = s_cz * inv - l_c * l_z
    value += _LOG(s) + _LOG(inv_a)
    # The prefactor's gradient and Hessian (upper triangle in (r, alpha, s, beta)).
    g = [-la - inv_a, -p * ia, -lb - inv_a, -q * ib]
    h = [
        inv_a * inv_a, -ia, inv_a * inv_a, 0.0,
        p * ia * ia, 0.0, 0.0,
        inv_a * inv_a, -ib,
        q * ib * ib,
    ]  # fmt: skip
    if alpha_big:
        g[3] += ib
        h[9] -= ib * ib
        # B = r + x: d/dr gets l_b and l_c, d/ds l_c.
        gb = (1.0, 0.0, 0.0, 0.0)
    else:
        g[1] += ia
        h[4] -= ia * ia
        gb = (0.0, 0.0, 1.0, 0.0)
    gc = (1.0, 0.0, 1.0, 0.0)
    gz = (0.0, z1, 0.0, z3)
    hz = (0.0, 0.0, 0.0, 0.0, z11, 0.0, z13, 0.0, 0.0, z33)
    for i in range(4):
        g[i] += l_b * gb[i] + l_c * gc[i] + l_z * gz[i]
    for k, (i, j) in enumerate(_PAIRS4):
        h[k] += (
            l_z * hz[k]
            + l_bb * gb[i] * gb[j]
            + l_cc * gc[i] * gc[j]
            + l_zz * gz[i] * gz[j]
            + l_bc * (gb[i] * gc[j] + gc[i] * gb[j])
            + l_bz * (gb[i] * gz[j] + gz[i] * gb[j])
            + l_cz * (gc[i] * gz[j] + gz[i] * gc[j])
        )
    return value, g, h


def _mix(first: Moments, second: Moments) -> Moments:
    """``log(exp(first) + exp(second))`` with its gradient and Hessian.

    With ``a, b`` the two shares: ``g = a g1 + b g2`` and
    ``H = a H1 + b H2 + a b (g1 - g2)(g1 - g2)^T`` (the law of total variance:
    no cancellation between large raw moments).
    """
    v0, g0, h0 = first
    v1, g1, h1 = second
    if v0 < v1:
        v0, g0, h0, v1, g1, h1 = v1, g1, h1, v0, g0, h0
    if v1 == -math.inf:
        return v0, g0, h0
    e = _EXP(v1 - v0)
    a = 1.0 / (1.0 + e)
    b = e * a
    ab = a * b
    d = [x - y for x, y in zip(g0, g1, strict=True)]
    return (
        v0 + math.log1p(e),
        [a * x + b * y for x, y in zip(g0, g1, strict=True)],
        [a * x + b * y + ab * d[i] * d[j] for x, y, (i, j) in zip(h0, h1, _PAIRS4, strict=True)],
    )


def _heads(
    ys: Sequence[float], x: float, values: Sequence[float], alpha_big: bool, upper_tail: Moments
) -> list[Moments]:
    """``log H(y) = log(int_y^y1 g + H(y1))``, its gradient and Hessian for each ``y`` (decreasing).

    ``g(u) = (alpha+u)^-(r+x) (beta+u)^-(s+1)`` in ``v = log(m + u)`` (``m`` the
    value of ``min(alpha, beta)``, held fixed with the split ``y1``): each
    derivative is the integral of the integrand's derivative. With ``d = d log g``
    and ``g`` normalized over a stretch, the gradient of ``log int g`` is
    ``E[d]`` and its Hessian ``E[d2 log g] + Cov(d)``; the covariance is summed
    about ``d`` at the stretch's middle (a centre inside the range: no
    cancellation), by the rules of
    :func:`crmcore.clv.models._special.gauss7_moments` and
    :func:`~crmcore.clv.models._special.log_integrate_moments`. The second
    derivatives of ``log g`` are ``d_1/(r+x)``, ``d_1^2/(r+x)`` (``r alpha``,
    ``alpha alpha``) and ``d_3/(s+1)``, ``d_3^2/(s+1)`` (``s beta``, ``beta beta``).
    As in the model's own :func:`crmcore.clv.models._paretonbd._heads`, each
    ``y`` adds the stretch from the previous one (:func:`_mix`): one quadrature
    per frequency.
    """
    rv, av, sv, bv = values
    p = rv + x
    q = sv + 1.0
    small = bv if alpha_big else av
    log_d = _LOG(abs(av - bv))

    def slopes(v: float) -> tuple[float, float, float, float, float]:
        lo = float_logaddexp(log_d, v)  # log of the larger of alpha + u, beta + u
        if alpha_big:
            return v - p * lo - q * v, -lo, -p * _EXP(-lo), -v, -q * _EXP(-v)
        return v - p * v - q * lo, -v, -p * _EXP(-v), -lo, -q * _EXP(-lo)

    centre = [0.0] * 4

    def node(v: float) -> tuple[float, list[float]]:
        log_f, g0, g1, g2, g3 = slopes(v)
        c0, c1, c2, c3 = g0 - centre[0], g1 - centre[1], g2 - centre[2], g3 - centre[3]
        return log_f, [
            g0, g1, g2, g3, g1 * g1, g3 * g3,
            c0 * c0, c0 * c1, c0 * c2, c0 * c3, c1 * c1, c1 * c2, c1 * c3, c2 * c2, c2 * c3, c3 * c3,
        ]  # fmt: skip

    out: list[Moments] = []
    upper = log_d
    total: Moments = (-math.inf, [0.0] * 4, [0.0] * 10)
    for y in ys:
        lower = _LOG(small + y)
        if lower < upper:
            centre[:] = slopes(0.5 * (lower + upper))[1:]
            if (upper - lower) * (1.0 + p + q) <= _NARROW:
                log_piece, mean = gauss7_moments(node, lower, upper)
            else:
                steps = max(1, math.ceil((upper - lower) / _PANEL))
                points = [lower + (upper - lower) * i / steps for i in range(steps)]
                points.append(upper)
                floor = float_logaddexp(total[0], upper_tail[0])
                log_piece, mean = log_integrate_moments(node, points, log_floor=floor, rtol=1e-15)
            grad = mean[:4]
            off = [gi - ci for gi, ci in zip(grad, centre, strict=True)]
            hess = [m - off[i] * off[j] for m, (i, j) in zip(mean[6:], _PAIRS4, strict=True)]
            hess[1] += grad[1] / p
            hess[4] += mean[4] / p
            hess[8] += grad[3] / q
            hess[9] += mean[5] / q
            total = _mix(total, (log_piece, grad, hess))
            upper = lower
        out.append(_mix(total, upper_tail))
    return out


def _moments_dual(found: Moments) -> Dual:
    """A tail's value, gradient and Hessian as a :class:`Dual`."""
    v, g, h = found
    return Dual(v, g, h)


def _pareto_tails(
    values: Sequence[float], points: set[tuple[float, float]]
) -> dict[tuple[float, float], Dual]:
    """``log H(y)`` at each ``(x, y)``, with ``H(y) = int_y^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du``.

    Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related
    Expressions", eq. (22)-(23), after Euler's transformation (Abramowitz &
    Stegun 15.3.3): ``H(y) = (alpha+y)^-(r+x) (beta+y)^-(s+1) (m+y) / (r+s+x)
    * 2F1(1, B; r+s+x+1; z)`` with ``m = min(alpha, beta)``, ``B = r+x`` and
    ``z = (alpha-beta)/(alpha+y)`` when ``alpha >= beta``, else ``B = s+1``
    and ``z = (beta-alpha)/(beta+y)``. The series (positive, falling terms) is
    differentiated term by term, in floats. Where ``z > 1/2`` the integral is
    split at the ``y1`` where ``z = 1/2`` and its head integrated numerically.
    """
    rv, av, sv, bv = values
    alpha_big = av >= bv
    big, small = (av, bv) if alpha_big else (bv, av)
    gap = big - small
    y1 = big - 2.0 * small
    by_x: dict[float, list[float]] = {}
    for x, y in points:
        by_x.setdefault(x, []).append(y)
    out: dict[tuple[float, float], Dual] = {}
    for x, ys in by_x.items():
        zs = [gap / (big + y) for y in ys]
        near = sorted((y for y, z in zip(ys, zs, strict=True) if z > _SERIES_LIMIT), reverse=True)
        cap = max((z for z in zs if z <= _SERIES_LIMIT), default=0.0)
        if near:
            cap = max(cap, 0.5)
        table = _series_table(rv + x if alpha_big else sv + 1.0, rv + sv + x + 1.0, cap)
        for y, z in zip(ys, zs, strict=True):
            if z <= _SERIES_LIMIT:
                out[x, y] = _moments_dual(_series_tail(table, x, y, values, alpha_big))
        if near:
            upper_tail = _series_tail(table, x, y1, values, alpha_big)
            for y, found in zip(near, _heads(near, x, values, alpha_big, upper_tail), strict=True):
                out[x, y] = _moments_dual(found)
    return out


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
    tails = _pareto_tails(params, points)
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
                log_j = logsumexp([h0, h1], [1.0, -1.0])
                if log_s.v + log_j.v >= inner.v:
                    inner = logaddexp(inner, log_s + log_j)
                else:
                    # s exp(J - E1) with s itself: log s's curvature -1/s^2 would
                    # cancel against the weights' (ruinously when s is small).
                    inner += log1p(s * exp(log_j - inner))
        accumulate(total, base + inner, w)
    accumulate(total, r * log(alpha) + s * log(beta), customers)
    return total


# --- BG/CNBD-k and MBG/CNBD-k ------------------------------------------------


def _erlang_survival(
    s: float, u: float, k: int
) -> tuple[float, tuple[float, float], tuple[float, float, float]]:
    """``log S2`` and its partials in ``(s, u)``: ``S2 = sum_{j<k} (s)_j / j! u^j``.

    The Erlang-k survival sum of the (M)BG/CNBD-k likelihood (Platzer & Reutterer
    2016). With ``c_j = (s)_j / j!``: ``dc_j/ds = c_j P_j`` and
    ``d2c_j/ds2 = 2 c_j E_j`` (``P_j = sum_{i<j} 1/(s+i)``, ``E_j`` the sum of
    the products of pairs of those reciprocals). Returns
    ``(log S2, (d/ds, d/du), (d2/ds2, d2/dsdu, d2/du2))`` of ``log S2``.
    """
    c = total = 1.0
    c_back = 0.0  # c_(j-2)
    d_s = d_u = d_ss = d_su = d_uu = 0.0
    harmonic = cross = 0.0  # P_(j-1) and E_(j-1) before each step
    for j in range(1, k):
        step = s + j - 1.0
        # dc_j/du = (s+j-1) c_(j-1); d2c_j/du2 = (s+j-1)(s+j-2) c_(j-2);
        # d2c_j/dsdu = c_(j-1) (1 + (s+j-1) P_(j-1)).
        d_u += step * c
        d_su += c * (1.0 + step * harmonic)
        d_uu += step * (step - 1.0) * c_back
        inv = 1.0 / step
        cross += harmonic * inv
        harmonic += inv
        c_back = c
        c *= step / j * u
        total += c
        d_s += c * harmonic
        d_ss += 2.0 * c * cross
    l_s, l_u = d_s / total, d_u / total
    return (
        _LOG(total),
        (l_s, l_u),
        (
            d_ss / total - l_s * l_s,
            d_su / total - l_s * l_u,
            d_uu / total - l_u * l_u,
        ),
    )


def _cnbd(
    rows: Rows, weights: Sequence[float], params: Sequence[float], k: int, shift: int
) -> Dual:
    """BG/CNBD-k and MBG/CNBD-k log-likelihood (``shift`` 0 and 1), without ``(k-1) litt``.

    Platzer & Reutterer (2016), with ``s = r + k x`` and ``u = (T - t_x)/(alpha + T)``:
    ``log L = lgamma(s) - lgamma(r) + r log alpha + log B(a, b+x+m) - log B(a, b)
    - s log(alpha+T) + log S2 + [x+m>0] softplus(log a - log(b+x-1+m)
    + s (log(alpha+T) - log(alpha+t_x)) - log S2)`` (see :mod:`crmcore.clv.models._cnbd`);
    ``log S2`` from :func:`_erlang_survival`, composed once with ``s`` and ``u``.
    ``k = 1`` is the (M)BG/NBD likelihood.
    """
    r, alpha, a, b = variables(params)
    rv, av = params[0], params[1]
    lg_r = lgamma(r)
    lb_ab = lbeta(a, b)
    log_a = log(a)
    per_x: dict[float, tuple[Dual, Dual, Dual | None]] = {}
    inverses: dict[float, Dual] = {}
    log_age = _log_ages(alpha)

    total = zero(4)
    customers = 0.0
    for (x, t_x, t), w in _grouped(rows, weights).items():
        customers += w
        found = per_x.get(x)
        if found is None:
            s_dual = r + k * x
            base = lgamma(s_dual) - lg_r + lbeta(a, b + (x + shift)) - lb_ab
            delta0 = log_a - log(b + (x - 1.0 + shift)) if x + shift > 0 else None
            found = per_x[x] = (s_dual, base, delta0)
        s_dual, base, delta0 = found
        log_t = log_age(t)
        term = base - s_dual * log_t
        log_s2 = None
        if k > 1 and t > t_x:
            inv = inverses.get(t)
            if inv is None:
                inv = inverses[t] = 1.0 / (alpha + t)
            u_dual = inv * (t - t_x)
            value, partials, second = _erlang_survival(rv + k * x, (t - t_x) / (av + t), k)
            log_s2 = chain2(s_dual, u_dual, value, partials, second)
            term += log_s2
        if delta0 is not None:
            d = delta0 + s_dual * (log_t - log_age(t_x))
            term += softplus(d if log_s2 is None else d - log_s2)
        accumulate(total, term, w)
    accumulate(total, r * log(alpha), customers)
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

#: The models whose likelihood also takes the regularity ``k``, with their shift.
_K_MODELS = {"BetaGeoCnbd": 0, "ModifiedBetaGeoCnbd": 1}


def log_likelihood(
    model: str,
    rows: Rows,
    weights: Sequence[float],
    params: Sequence[float],
    *,
    k: int | None = None,
) -> Dual | None:
    """A model's weighted log-likelihood as a :class:`Dual` (value, gradient, Hessian).

    In the natural parameters, in the model's ``_names`` order. ``k`` is the
    regularity of ``"BetaGeoCnbd"`` and ``"ModifiedBetaGeoCnbd"`` (required there,
    an int of at least 1; ignored by the other models; their likelihood leaves
    out the constant ``(k-1) litt``). None for an unknown model name, a missing
    or bad ``k``, or where the arithmetic fails or is not finite.
    """
    shift = _K_MODELS.get(model)
    build: Callable[[Rows, Sequence[float], Sequence[float]], Dual] | None
    if shift is not None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            return None
        regularity = k

        def build(rows: Rows, w: Sequence[float], params: Sequence[float]) -> Dual:
            return _cnbd(rows, w, params, regularity, shift)

    else:
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
    *,
    k: int | None = None,
) -> list[list[float]] | None:
    """Hessian of a model's weighted negative log-likelihood in its natural parameters.

    ``model`` is the class name (``"BetaGeo"``, ``"ModifiedBetaGeo"``, ``"ParetoNBD"``,
    ``"BetaGeoBetaBinom"``, ``"GammaGamma"``, ``"ShiftedBetaGeometric"``,
    ``"BetaGeoCnbd"``, ``"ModifiedBetaGeoCnbd"``); ``rows``
    and ``weights`` are what the model's likelihood is built on (RFM models
    ``(x, t_x, T)``, BG/BB ``(x, t_x, n)``, Gamma-Gamma ``(x, m)`` with ``x > 0``,
    sBG ``(survivors,)`` per period with the weights ignored); ``params`` are
    in the model's ``_names`` order; ``k`` the CNBD models' regularity. None
    when not available.
    """
    found = log_likelihood(model, rows, weights, params, k=k)
    if found is None:
        return None
    return [[-v for v in row] for row in found.hessian()]


def negative_log_likelihood_gradient(
    model: str,
    rows: Sequence[tuple[float, ...]],
    weights: Sequence[float],
    params: Sequence[float],
    *,
    k: int | None = None,
) -> list[float] | None:
    """Gradient of a model's weighted negative log-likelihood in its natural parameters.

    The same arguments as :func:`negative_log_likelihood_hessian`.
    """
    found = log_likelihood(model, rows, weights, params, k=k)
    if found is None:
        return None
    return [-v for v in found.g]
