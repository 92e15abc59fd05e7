"""Special functions for the CLV models, in log space and pure Python.

The models need ``log Beta``, digamma (for analytic gradients), stable sums of
exponentials, a Gaussian hypergeometric function in the two shapes that the
Pareto/NBD likelihood and the BG/NBD expectation produce, and a robust
adaptive quadrature used where a series would converge too slowly.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Callable, Sequence

_LOG = math.log
_EXP = math.exp
_LGAMMA = math.lgamma

#: Below this argument the hypergeometric series are summed directly; above it
#: the integral representation is integrated numerically instead.
SERIES_LIMIT = 0.9

#: Relative precision asked of series and quadratures.
_EPS = 1e-16


#: From this argument on, log-gamma and digamma differences use Stirling's series
#: (its first omitted term is below 3e-17 there).
_STIRLING = 10.0
_HALF_LOG_2PI = 0.9189385332046728


def _stirling_tail(z: float) -> float:
    """``omega(z) = lgamma(z) - (z - 1/2) log z + z - log(2 pi)/2`` for ``z >= 10``.

    Stirling's series (Abramowitz & Stegun 6.1.40), to the term in ``z^-13``.
    """
    inv = 1.0 / z
    inv2 = inv * inv
    return inv * (
        1.0 / 12
        - inv2
        * (
            1.0 / 360
            - inv2
            * (
                1.0 / 1260
                - inv2 * (1.0 / 1680 - inv2 * (1.0 / 1188 - inv2 * (691.0 / 360360 - inv2 / 156)))
            )
        )
    )


def stirling_error(z: float) -> float:
    """``omega(z) = lgamma(z) - (z - 1/2) log z + z - log(2 pi)/2`` for ``z > 0``.

    The remainder of Stirling's formula ("stirlerr" of Loader 2000, "Fast and
    accurate computation of binomial probabilities"): small for large ``z``
    and computed without cancellation there.
    """
    if z >= _STIRLING:
        return _stirling_tail(z)
    return _LGAMMA(z) - (z - 0.5) * _LOG(z) + z - _HALF_LOG_2PI


def lgamma_step(z: float, n: float) -> float:
    """``lgamma(z + n) - lgamma(z)`` for ``z > 0`` and ``n >= 0``, without cancellation.

    For ``z >= 10`` the difference of Stirling's formulas is regrouped as
    ``n log z + z h(n/z) - log1p(n/z)/2 + omega(z+n) - omega(z)`` with
    ``h(u) = (1+u) log1p(u) - u >= 0``: no term cancels, so the result keeps
    its relative precision when ``lgamma(z)`` is huge (``z = 1e15``) and the
    step is small. Below 10 ``lgamma(z)`` is small and the plain difference is exact enough.
    """
    if n == 0.0:
        return 0.0
    if z < _STIRLING:
        return _LGAMMA(z + n) - _LGAMMA(z)
    u = n / z
    lu = math.log1p(u)
    h = (1.0 + u) * lu - u
    return n * _LOG(z) + z * h - 0.5 * lu + (_stirling_tail(z + n) - _stirling_tail(z))


def _digamma_tail(z: float, u: float) -> float:
    """``S(z) - S(z (1 + u))`` for the asymptotic tail ``S(z) = sum B_2k / (2k z^2k)`` of psi."""
    inv2 = 1.0 / (z * z)
    lu = math.log1p(u)
    total = 0.0
    power = 1.0
    for k, coefficient in enumerate(_DIGAMMA_SERIES, start=1):
        power *= inv2
        total += coefficient * power * -math.expm1(-2.0 * k * lu)
    return total


_DIGAMMA_SERIES = (1.0 / 12, -1.0 / 120, 1.0 / 252, -1.0 / 240, 1.0 / 132, -691.0 / 32760)


def digamma_step(z: float, n: float, psi_z: float | None = None) -> float:
    """``psi(z + n) - psi(z)`` for ``z > 0`` and ``n >= 0``, without cancellation.

    For ``z >= 10`` the asymptotic expansion (Abramowitz & Stegun 6.3.18) is
    differenced term by term: ``log1p(n/z) + n / (2 z (z+n)) + S(z) - S(z+n)``,
    each part formed from ``n/z``, so a step far below ``z``'s last digit
    (``z = 1e15``, ``n = 1``) keeps its relative precision. ``psi_z``, when
    given, is ``digamma(z)``, computed once by a caller that steps often from ``z``.
    """
    if n == 0.0:
        return 0.0
    if z < _STIRLING:
        return digamma(z + n) - (digamma(z) if psi_z is None else psi_z)
    u = n / z
    return math.log1p(u) + 0.5 * u / (z + n) + _digamma_tail(z, u)


def lbeta(a: float, b: float) -> float:
    """``log B(a, b)`` for positive ``a`` and ``b``, to relative precision for any size.

    With ``p <= q``: both below 10, the plain sum of log-gammas; ``q`` large,
    ``lgamma(p) - (lgamma(p + q) - lgamma(q))`` by :func:`lgamma_step`; both
    large, Stirling's formula regrouped so that no large terms cancel
    (as in DiDonato & Morris 1992, "Algorithm 708", ACM TOMS 18(3), ``betaln``):
    ``log(2 pi)/2 - log(p)/2 - p log1p((q-p)/p) - (p+q-1/2) log1p(p/q) + omega(p) + omega(q) - omega(p+q)``.
    """
    p, q = (a, b) if a <= b else (b, a)
    if q < _STIRLING:
        return _LGAMMA(a) + _LGAMMA(b) - _LGAMMA(a + b)
    if p < _STIRLING:
        return _LGAMMA(p) - lgamma_step(q, p)
    ratio = p / q
    return (
        _HALF_LOG_2PI
        - 0.5 * _LOG(p)
        - p * math.log1p((q - p) / p)
        - (p + q - 0.5) * math.log1p(ratio)
        + (_stirling_tail(p) + (_stirling_tail(q) - _stirling_tail(p + q)))
    )


#: Up to this many steps :func:`lbeta_step` multiplies the ratios one by one.
_SHORT_STEP = 16


def lbeta_step(a: float, b: float, n: int) -> float:
    """``log B(a, b + n) - log B(a, b)`` for positive ``a, b`` and a whole ``n >= 0``.

    The ratio is ``prod_{j<n} (b + j) / (a + b + j)``: for few steps the sum of
    ``-log1p(a / (b + j))``, exact for every size of ``a`` and ``b``; otherwise
    two log-gamma steps of :func:`lgamma_step`, taken along the smaller of ``a``
    and ``n`` (their error is a few units in the last place of
    ``min(a, n) log(a + b + n)``).
    """
    if n <= _SHORT_STEP:
        return -math.fsum(math.log1p(a / (b + j)) for j in range(n))
    if a < n:
        return lgamma_step(b, a) - lgamma_step(b + n, a)
    return lgamma_step(b, n) - lgamma_step(a + b, n)


def bd0(x: float, m: float, log_m: float) -> float:
    """``x log(x/m) + m - x >= 0`` for ``x > 0`` and ``m = exp(log_m)``, without cancellation.

    Loader (2000), "Fast and accurate computation of binomial probabilities":
    near ``x = m`` the series ``(x-m) v + 2x sum v^(2j+1)/(2j+1)`` with
    ``v = (x-m)/(x+m)``; elsewhere the plain formula, with ``log m`` also given
    so that an ``m`` outside the float range still works.
    """
    if abs(x - m) < 0.1 * (x + m):
        v = (x - m) / (x + m)
        s = (x - m) * v
        ej = 2.0 * x * v
        v2 = v * v
        j = 1
        while True:
            ej *= v2
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                return s1
            s = s1
            j += 1
    return x * (_LOG(x) - log_m) + m - x


def beta_kernel(a: float, b: float) -> Callable[[float, float], float]:
    """``(log p, log q) -> log(p^a q^b / B(a, b))`` with ``q = 1 - p``, for any size of ``a, b``.

    The plain sum ``a log p + b log q - log B(a, b)`` loses ``(a + b) * 1e-16``
    (a whole unit at ``a + b = 1e16``); from ``a + b = 1000`` on it is written
    as in Loader (2000) for the binomial density: ``C - bd0(a, N p) - bd0(b, N q)``
    with ``N = a + b`` and ``C = log(a b / (2 pi N))/2 - omega(a) - omega(b) +
    omega(N)`` (the Stirling remainders of :func:`stirling_error`), where
    nothing large cancels. The constants are computed once.
    """
    big_n = a + b
    if big_n < 1e3:
        log_norm = lbeta(a, b)
        return lambda log_p, log_q: a * log_p + b * log_q - log_norm
    log_n = _LOG(big_n)
    const = (
        0.5 * (_LOG(a) + _LOG(b) - log_n)
        - _HALF_LOG_2PI
        - stirling_error(a)
        - stirling_error(b)
        + stirling_error(big_n)
    )

    def kernel(log_p: float, log_q: float) -> float:
        return (
            const
            - bd0(a, big_n * _EXP(log_p), log_n + log_p)
            - bd0(b, big_n * _EXP(log_q), log_n + log_q)
        )

    return kernel


def digamma(x: float) -> float:
    """The digamma function ``psi(x)`` for ``x > 0``.

    Shifted up by the recurrence ``psi(x) = psi(x + 1) - 1/x`` and then
    evaluated by its asymptotic series (Abramowitz & Stegun 6.3.18).
    """
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    series = inv2 * (
        1.0 / 12
        - inv2
        * (
            1.0 / 120
            - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * 691.0 / 32760)))
        )
    )
    return result + _LOG(x) - 0.5 * inv - series


def logaddexp(x: float, y: float) -> float:
    """``log(exp(x) + exp(y))`` without overflow; ``-inf`` terms are allowed."""
    if x < y:
        x, y = y, x
    if y == -math.inf:
        return x
    return x + math.log1p(_EXP(y - x))


def logsumexp(values: Sequence[float]) -> float:
    """``log(sum(exp(v)))`` without overflow."""
    top = max(values)
    if top == -math.inf:
        return top
    return top + _LOG(math.fsum(_EXP(v - top) for v in values))


def log1mexp(x: float) -> float:
    """``log(1 - exp(x))`` for ``x <= 0`` (Maechler 2012, eq. 7)."""
    if x > -0.6931471805599453:
        return _LOG(-math.expm1(x))
    return math.log1p(-_EXP(x))


def expm1_ratio(c: float, y: float) -> float:
    """``(exp(c * y) - 1) / c``, continuous at ``c = 0`` where it equals ``y``."""
    cy = c * y
    if abs(cy) < 1e-8:
        return y * (1.0 + 0.5 * cy * (1.0 + cy / 3.0))
    return math.expm1(cy) / c


def log_sigmoid(u: float) -> float:
    """``log(1 / (1 + exp(-u)))`` for any real ``u``."""
    if u >= 0:
        return -math.log1p(_EXP(-u))
    return u - math.log1p(_EXP(u))


# --- adaptive Gauss-Kronrod quadrature in log space --------------------------

# The 7-point Gauss and 15-point Kronrod rules (Piessens et al., QUADPACK 1983).
_XGK = (
    0.991455371120812639206854697526329,
    0.949107912342758524526189684047851,
    0.864864423359769072789712788640926,
    0.741531185599394439863864773280788,
    0.586087235467691130294144845693013,
    0.405845151377397166906606412076961,
    0.207784955007898467600689403773245,
    0.000000000000000000000000000000000,
)
_WGK = (
    0.022935322010529224963732008058970,
    0.063092092629978553290700663189204,
    0.104790010322250183839876322541518,
    0.140653259715525918745189590510238,
    0.169004726639267902826583426598550,
    0.190350578064785409913256402421014,
    0.204432940075298892414161999234649,
    0.209482141084727828012999174891714,
)
_WG = (
    0.129484966168869693270611432679082,
    0.279705391489276667901467771423780,
    0.381830050505118944950369775488975,
    0.417959183673469387755102040816327,
)


#: Relative rounding noise of one evaluation of ``exp(logf)``, per unit of ``|logf|``: a log
#: value of -70000 is known to about 1e-11, and so is the integrand's value.
_LOG_NOISE = 8.0 * 2.0**-52


def _gk15(logf: Callable[[float], float], lo: float, hi: float) -> tuple[float, float, float]:
    """Kronrod estimate and error of one panel, as (log scale, integral, error).

    The error is never reported below the rounding noise of the integrand's
    values (large log values carry an absolute rounding error), so the
    adaptive search stops refining once only noise is left.
    """
    centre = 0.5 * (lo + hi)
    half = 0.5 * (hi - lo)
    logs: list[float] = []
    for node in _XGK[:7]:
        logs.append(logf(centre - half * node))
        logs.append(logf(centre + half * node))
    logs.append(logf(centre))
    top = max(logs)
    if top == -math.inf or math.isnan(top):
        return -math.inf, 0.0, 0.0
    vals = [_EXP(v - top) for v in logs]
    kronrod = _WGK[7] * vals[14]
    gauss = _WG[3] * vals[14]
    for i in range(7):
        pair = vals[2 * i] + vals[2 * i + 1]
        kronrod += _WGK[i] * pair
        if i % 2 == 1:
            gauss += _WG[i // 2] * pair
    noise = _LOG_NOISE * max(1.0, abs(top)) * kronrod
    error = max(abs(kronrod - gauss) - noise, 0.0)
    return top, kronrod * half, error * half


def log_integrate(
    logf: Callable[[float], float],
    breakpoints: Sequence[float],
    *,
    rtol: float = 1e-12,
    max_panels: int = 400,
) -> float:
    """``log`` of the integral of ``exp(logf)`` over ``[breakpoints[0], breakpoints[-1]]``.

    Globally adaptive: the panel with the largest error estimate is halved
    until the summed error is below ``rtol`` of the total. Every panel keeps its
    own scale, so integrands spanning hundreds of orders of magnitude are fine.
    The panels' values and errors are kept relative to the largest scale and
    recomputed only when that scale changes, so a step costs a few list
    operations rather than an exponential per panel.
    """
    los: list[float] = []
    his: list[float] = []
    scales: list[float] = []
    raw: list[tuple[float, float]] = []
    for lo, hi in itertools.pairwise(breakpoints):
        if hi > lo:
            scale, value, error = _gk15(logf, lo, hi)
            los.append(lo)
            his.append(hi)
            scales.append(scale)
            raw.append((value, error))
    if not los:
        return -math.inf
    top = math.nan  # forces the first rescaling
    values: list[float] = []
    errors: list[float] = []
    while True:
        new_top = max(scales)
        if new_top != top:
            top = new_top
            if top == -math.inf:
                return -math.inf
            factors = [_EXP(s - top) for s in scales]
            values = [v * f for (v, _), f in zip(raw, factors, strict=True)]
            errors = [e * f for (_, e), f in zip(raw, factors, strict=True)]
        total = math.fsum(values)
        if math.fsum(errors) <= rtol * total or len(los) >= max_panels:
            return top + _LOG(total) if total > 0 else -math.inf
        worst = errors.index(max(errors))
        for column in (scales, raw, values, errors):
            del column[worst]
        lo = los.pop(worst)
        hi = his.pop(worst)
        mid = 0.5 * (lo + hi)
        for a, b in ((lo, mid), (mid, hi)):
            scale, value, error = _gk15(logf, a, b)
            los.append(a)
            his.append(b)
            scales.append(scale)
            raw.append((value, error))
            # A scale above the top is rescaled with all panels at the next step.
            factor = _EXP(scale - top) if scale <= top else 0.0
            values.append(value * factor)
            errors.append(error * factor)


#: One quadrature node's answer for :func:`log_integrate_moments`: ``log f`` and
#: the functions ``g_j`` whose ``f``-weighted integrals are wanted.
Node = tuple[float, Sequence[float]]


def _gk15_moments(
    node: Callable[[float], Node], lo: float, hi: float
) -> tuple[float, float, float, list[float]]:
    """:func:`_gk15` that also sums ``f g_j`` with the same Kronrod nodes and weights.

    Returns ``(log scale, integral, error, moments)``; the integral, its error
    and the moments are relative to ``exp(log scale)``.
    """
    centre = 0.5 * (lo + hi)
    half = 0.5 * (hi - lo)
    logs: list[float] = []
    extras: list[Sequence[float]] = []
    for offset in _XGK[:7]:
        for v in (centre - half * offset, centre + half * offset):
            log_f, g = node(v)
            logs.append(log_f)
            extras.append(g)
    log_f, g = node(centre)
    logs.append(log_f)
    extras.append(g)
    top = max(logs)
    count = len(extras[0])
    if top == -math.inf or math.isnan(top):
        return -math.inf, 0.0, 0.0, [0.0] * count
    weights = [_WGK[i // 2] for i in range(14)]
    weights.append(_WGK[7])
    vals = [_EXP(v - top) for v in logs]
    kronrod = gauss = 0.0
    moments = [0.0] * count
    for i, (w, f, g) in enumerate(zip(weights, vals, extras, strict=True)):
        wf = w * f
        kronrod += wf
        for j in range(count):
            moments[j] += wf * g[j]
        if i < 14 and (i // 2) % 2 == 1:
            gauss += _WG[i // 4] * f
    gauss += _WG[3] * vals[14]
    noise = _LOG_NOISE * max(1.0, abs(top)) * kronrod
    error = max(abs(kronrod - gauss) - noise, 0.0)
    return top, kronrod * half, error * half, [m * half for m in moments]


def gauss7_moments(
    node: Callable[[float], Node], lo: float, hi: float
) -> tuple[float, list[float]]:
    """``log int f`` and the ``f``-weighted means of ``g_j`` by the 7-point Gauss rule alone.

    For panels so narrow that the rule is exact to rounding (the callers check
    the width against the integrand's slope and curvature); the nodes and
    weights are the Gauss ones of :func:`_gk15`.
    """
    centre = 0.5 * (lo + hi)
    half = 0.5 * (hi - lo)
    logs: list[float] = []
    extras: list[Sequence[float]] = []
    weights: list[float] = []
    for k, offset in enumerate(_XGK[1:7:2]):
        for v in (centre - half * offset, centre + half * offset):
            log_f, g = node(v)
            logs.append(log_f)
            extras.append(g)
            weights.append(_WG[k])
    log_f, g = node(centre)
    logs.append(log_f)
    extras.append(g)
    weights.append(_WG[3])
    top = max(logs)
    count = len(g)
    if top == -math.inf or math.isnan(top):
        return -math.inf, [0.0] * count
    total = 0.0
    moments = [0.0] * count
    for w, log_f, g in zip(weights, logs, extras, strict=True):
        wf = w * _EXP(log_f - top)
        total += wf
        for j in range(count):
            moments[j] += wf * g[j]
    return top + _LOG(total * half), [m / total for m in moments]


def log_integrate_moments(
    node: Callable[[float], Node],
    breakpoints: Sequence[float],
    *,
    log_floor: float = -math.inf,
    rtol: float = 1e-13,
    max_panels: int = 400,
) -> tuple[float, list[float]]:
    """``log I`` and ``int f g_j / I`` for ``I = int f`` over the breakpoints' span.

    ``node(v)`` gives ``(log f(v), (g_1(v), ...))``. The panels are chosen as in
    :func:`log_integrate` from the error of ``I`` alone, and every ``f g_j`` is
    summed with the same nodes and weights: differentiating under the integral
    sign, with ``g_j = d log f / d theta_j``, the moments are the gradient of
    ``log I`` computed by the very rule that computed ``I``. The refinement
    stops once the error is below ``rtol`` of ``I + exp(log_floor)`` (a floor
    for integrals that will be added to a known larger one).
    """
    panels: list[tuple[float, float, float, float, float, list[float]]] = []
    for lo, hi in itertools.pairwise(breakpoints):
        if hi > lo:
            panels.append((lo, hi, *_gk15_moments(node, lo, hi)))
    count = len(node(breakpoints[0])[1])
    while True:
        top = max((p[2] for p in panels), default=-math.inf)
        if top == -math.inf:
            return -math.inf, [0.0] * count
        scales = [_EXP(p[2] - top) for p in panels]
        total = math.fsum(p[3] * k for p, k in zip(panels, scales, strict=True))
        errors = [p[4] * k for p, k in zip(panels, scales, strict=True)]
        target = rtol * (total + (_EXP(log_floor - top) if log_floor - top < 700.0 else math.inf))
        if math.fsum(errors) <= target or len(panels) >= max_panels:
            # total > 0: the largest node contributes its positive weight.
            moments = [
                math.fsum(p[5][j] * k for p, k in zip(panels, scales, strict=True)) / total
                for j in range(count)
            ]
            return top + _LOG(total), moments
        worst = max(range(len(panels)), key=errors.__getitem__)
        lo, hi = panels.pop(worst)[:2]
        mid = 0.5 * (lo + hi)
        panels.append((lo, mid, *_gk15_moments(node, lo, mid)))
        panels.append((mid, hi, *_gk15_moments(node, mid, hi)))


_MUL = operator.mul
#: The Kronrod and Gauss weights of the 15 nodes in the order :func:`_gk15_many` takes them.
_KRONROD_BY_NODE = (*_WGK[:7], *_WGK[:7], _WGK[7])
_GAUSS_BY_NODE = tuple(
    (0.0, _WG[0], 0.0, _WG[1], 0.0, _WG[2], 0.0)[i % 7] if i < 14 else _WG[3] for i in range(15)
)


def _gk15_many(
    node: Callable[[float], tuple[float, list[float]]], lo: float, hi: float, count: int
) -> tuple[float, list[float], list[float]]:
    """:func:`_gk15` for ``count`` integrands ``exp(log w) g_j`` on the same nodes.

    ``node(v)`` gives ``(log w(v), [g_1(v), ...])`` with finite ``g_j >= 0``.
    Returns the panel's log scale and, relative to it, every integral and its
    error (the error net of the rounding noise of the values, as in :func:`_gk15`).
    """
    centre = 0.5 * (lo + hi)
    half = 0.5 * (hi - lo)
    answers = [node(centre - half * x) for x in _XGK[:7]]
    answers += [node(centre + half * x) for x in _XGK[:7]]
    answers.append(node(centre))
    top = max(w for w, _ in answers)
    if top == -math.inf or math.isnan(top):
        return -math.inf, [0.0] * count, [0.0] * count
    scaled = [_EXP(log_w - top) for log_w, _ in answers]
    kronrod_w = [w * k for w, k in zip(scaled, _KRONROD_BY_NODE, strict=True)]
    gauss_w = [w * g for w, g in zip(scaled, _GAUSS_BY_NODE, strict=True)]
    # One column of node values per integrand; the sums run in C (map, sum, max).
    columns = list(zip(*(g for _, g in answers), strict=True))
    kronrod = [sum(map(_MUL, kronrod_w, c)) * half for c in columns]
    gauss = [sum(map(_MUL, gauss_w, c)) * half for c in columns]
    peaks = [max(map(_MUL, scaled, c)) for c in columns]
    errors = [
        max(abs(k - g) - _LOG_NOISE * max(1.0, abs(top + _LOG(m))) * k, 0.0) if m > 0 else 0.0
        for k, g, m in zip(kronrod, gauss, peaks, strict=True)
    ]
    return top, kronrod, errors


def _log_integrate_many(
    node: Callable[[float], tuple[float, list[float]]],
    breakpoints: Sequence[float],
    count: int,
    *,
    rtol: float = 1e-12,
    max_panels: int = 400,
) -> list[float]:
    """``log int exp(log w) g_j`` for every ``j``, on shared adaptive panels.

    As :func:`log_integrate`, but each round halves every panel that holds at
    least ``1 / (2 n)`` of the error budget ``rtol`` of some integral not yet
    converged (``n`` panels; there is always one), until every integral's
    summed error is below ``rtol`` of it or the panels reach ``max_panels``.
    """
    panels = [
        (lo, hi, *_gk15_many(node, lo, hi, count))
        for lo, hi in itertools.pairwise(breakpoints)
        if hi > lo
    ]
    while True:
        top = max(p[2] for p in panels)
        if top == -math.inf:
            return [-math.inf] * count
        factors = [_EXP(p[2] - top) for p in panels]
        values = [
            list(map(_MUL, p[3], itertools.repeat(f))) for p, f in zip(panels, factors, strict=True)
        ]
        errors = [
            list(map(_MUL, p[4], itertools.repeat(f))) for p, f in zip(panels, factors, strict=True)
        ]
        totals = [math.fsum(c) for c in zip(*values, strict=True)]
        sums = [math.fsum(c) for c in zip(*errors, strict=True)]
        # Each integral's budget; zero for those already converged.
        budget = [
            1.0 / max(rtol * t, 1e-300) if e > rtol * t else 0.0
            for t, e in zip(totals, sums, strict=True)
        ]
        if not any(budget) or len(panels) >= max_panels:
            return [top + _LOG(t) if t > 0 else -math.inf for t in totals]
        shares = [max(map(_MUL, e, budget)) for e in errors]
        cut = 0.5 / len(panels)
        ranked = sorted(
            (i for i, v in enumerate(shares) if v >= cut), key=shares.__getitem__, reverse=True
        )
        chosen = set(ranked[: max_panels - len(panels)])
        refined: list[tuple[float, float, float, list[float], list[float]]] = []
        for i, panel in enumerate(panels):
            if i in chosen:
                lo, hi = panel[:2]
                mid = 0.5 * (lo + hi)
                refined.append((lo, mid, *_gk15_many(node, lo, mid, count)))
                refined.append((mid, hi, *_gk15_many(node, mid, hi, count)))
            else:
                refined.append(panel)
        panels = refined


# --- Pareto/NBD: the tail integral H ----------------------------------------


def pareto_tail_series(bp: float, c: float, z: float) -> tuple[float, float, float, float]:
    """Sum ``S = 2F1(1, bp; c; z)`` and the sums its parameter derivatives need.

    With ``t_0 = 1`` and ``t_{n+1} = t_n (bp + n) / (c + n) z`` (``c > bp > 0``,
    ``0 <= z < 1``), the terms fall monotonically, so the tail after ``t_n`` is
    below ``t_n z / (1 - z)``. Returns ``(S, sum t_n P_n, sum t_n Q_n,
    sum n t_n)`` with ``P_n = sum_{j<n} 1/(bp+j)`` and ``Q_n = sum_{j<n} 1/(c+j)``.
    """
    total = 1.0
    sum_p = sum_q = sum_n = 0.0
    if z <= 0.0:
        return total, sum_p, sum_q, sum_n
    term = 1.0
    p = q = 0.0
    n = 0
    slack = z / (1.0 - z)
    while True:
        bn = bp + n
        cn = c + n
        p += 1.0 / bn
        q += 1.0 / cn
        term *= bn / cn * z
        n += 1
        total += term
        sum_p += term * p
        sum_q += term * q
        sum_n += n * term
        if term * (n + 1.0 + slack) * slack <= _EPS * total or n > 100_000:
            return total, sum_p, sum_q, sum_n


def pareto_log_tail(  # noqa: PLR0917 - the model's parameters, in the paper's order.
    x: float, y: float, r: float, alpha: float, s: float, beta: float
) -> float:
    """``log H(y)`` where ``H(y) = int_y^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du``.

    ``H`` is the Gaussian hypergeometric expression of Fader & Hardie (2005), "A
    Note on Deriving the Pareto/NBD Model and Related Expressions", eq. (22)-(23),
    after Euler's transformation (Abramowitz & Stegun 15.3.3), which turns it
    into ``g(y) (m + y) / a * 2F1(1, B; a + 1; z)`` with monotonically falling
    terms. Close to ``z = 1`` the integral is split and its head integrated
    numerically.
    """
    c_alpha = r + x
    c_beta = s + 1.0
    a = r + s + x
    if alpha >= beta:
        big, small, c_big = alpha, beta, c_alpha
    else:
        big, small, c_big = beta, alpha, c_beta
    d = big - small
    z = d / (big + y)
    log_g = -c_alpha * _LOG(alpha + y) - c_beta * _LOG(beta + y)
    if z <= SERIES_LIMIT:
        total, _, _, _ = pareto_tail_series(c_big, a + 1.0, z)
        return log_g + _LOG(small + y) - _LOG(a) + _LOG(total)
    # Split at y1 where z = 1/2: H(y) = int_y^y1 g + H(y1).
    y1 = big - 2.0 * small
    head = _pareto_head(y, y1, alpha, beta, c_alpha, c_beta, small)
    rest = pareto_log_tail(x, y1, r, alpha, s, beta)
    return logaddexp(head, rest)


def _pareto_head(  # noqa: PLR0917 - the model's parameters, in the paper's order.
    y: float, y1: float, alpha: float, beta: float, c_alpha: float, c_beta: float, small: float
) -> float:
    """``log int_y^y1 (alpha+u)^-c_alpha (beta+u)^-c_beta du`` by quadrature."""
    log_alpha_off = _LOG(alpha - small) if alpha > small else -math.inf
    log_beta_off = _LOG(beta - small) if beta > small else -math.inf

    def logf(v: float) -> float:
        # u = exp(v) - small, du = exp(v) dv; the integrand is log-concave in v.
        return v - c_alpha * logaddexp(log_alpha_off, v) - c_beta * logaddexp(log_beta_off, v)

    lo = _LOG(small + y)
    hi = _LOG(small + y1)
    points = [lo + (hi - lo) * i / 8 for i in range(9)]
    return log_integrate(logf, points)


# --- BG/NBD and MBG/NBD: the expectation primitive ---------------------------


def log_phi(big_r: float, a: float, big_b: float, k: float) -> float:
    """``log E[(1 - (1 + k p)^-R) / p]`` for ``p ~ Beta(a, B)`` and ``k >= 0``.

    This expectation is the core of the BG/NBD forecasts: Fader, Hardie & Lee
    (2005), "Counting Your Customers the Easy Way", eq. (7) and (10), write it
    as ``C/(a-1) [1 - (1-z)^R 2F1(R, B; C; z)]`` with ``C = a + B - 1`` and
    ``z = k/(1+k)``. Euler's transformation gives
    ``C [(1 - (1-z)^(a-1))/(a-1) - (1-z)^(a-1) sum_n (C-R)_n (a)_(n-1)/((C)_n n!) z^n]``,
    which has no singularity at ``a = 1``. Where that series converges slowly
    or cancels, the expectation is integrated numerically.
    """
    if k <= 0.0:
        return -math.inf
    z = k / (1.0 + k)
    if z <= SERIES_LIMIT:
        value = _phi_series(big_r, a, big_b, z)
        if value is not None:
            return value
    return _phi_quadrature(big_r, a, big_b, k)


def _phi_series(big_r: float, a: float, big_b: float, z: float) -> float | None:
    c = a + big_b - 1.0
    if c <= 0.0:
        # (C)_n would vanish or change sign: leave it to the quadrature.
        return None
    log_one_minus_z = math.log1p(-z)
    first = -expm1_ratio(a - 1.0, log_one_minus_z)
    scale = _EXP((a - 1.0) * log_one_minus_z)
    cr = c - big_r
    term = cr / c * z
    total = term
    biggest = abs(term)
    n = 1
    eps = _EPS
    while True:
        ratio = (cr + n) * (a + n - 1.0) / ((c + n) * (n + 1.0)) * z
        term *= ratio
        total += term
        n += 1
        size = term if term >= 0.0 else -term
        if size > biggest:
            biggest = size
            if size > 1e250:
                return None
        if size <= eps * (total if total >= 0.0 else -total) and -1.0 < ratio < 1.0:
            break
        if n > 5_000:
            return None
    value = first - scale * total
    # Reject results that lost most digits to cancellation between terms.
    if not (math.isfinite(value) and value > 0.0) or scale * biggest * 1e-15 > 1e-12 * value:
        return None
    return _LOG(c) + _LOG(value)


#: Where ``(R + 1) k p`` is below this, ``(1 - (1 + k p)^-R) / p`` is its limit ``R k``
#: to 5e-18 (the next term of its series is ``-R (R + 1) k^2 p / 2``).
_PHI_FLAT = 1e-17
#: Below this ``p`` the product ``k p`` is formed in logs (``p`` may be subnormal).
_PHI_TINY_P = 1e-290


def _phi_ratio(big_r: float, k: float, p: float, log_p: float) -> float:
    """``(1 - (1 + k p)^-R) / p`` for ``p = exp(log_p)``, or ``-1`` where it is ``R k``.

    A subnormal ``p`` carries few digits, so ``k p`` is then formed from the
    logs, and where the ratio equals its limit ``R k`` to 5e-18 the caller
    uses that limit: the integrand then has no rounding noise in its flat tail.
    """
    kp = _EXP(_LOG(k) + log_p) if p < _PHI_TINY_P else k * p
    if (big_r + 1.0) * kp <= _PHI_FLAT:
        return -1.0
    return -math.expm1(-big_r * math.log1p(kp)) / (p if p >= _PHI_TINY_P else _EXP(log_p))


def _phi_range(
    big_r: float, a: float, big_b: float, k: float
) -> tuple[Callable[[float, float], float], list[float]]:
    """The kernel in ``u = logit p`` and the breakpoints of the quadrature for ``k``.

    Outside the breakpoints the integrand is ``exp(a u)`` (left) and
    ``exp(-B u)`` (right) to rounding, whatever the ``k`` up to the one given.
    """
    mode = _LOG(a) - _LOG(big_b)
    width = math.sqrt(1.0 / a + 1.0 / big_b)
    lo = min(mode - 40.0 * width, -37.0 - math.log1p(big_b + k * (big_r + 1.0)))
    hi = max(mode + 40.0 * width, 37.0 + math.log1p(a + k * big_r))
    lo = max(lo, mode - 1e6)
    hi = min(hi, mode + 1e6)
    inner = (mode - 8 * width, mode - 2 * width, mode, mode + 2 * width, mode + 8 * width)
    # Where the integrand turns: (1 - (1 + k p)^-R) / p from k p = e^-37 to k p = 1
    # and from p = 1/2 to p = 1 (u = 0 to 40), and its exponential decays exp(a u)
    # (left) and exp(-B u) (right) at their own scales. A panel far wider than these
    # (a wide density: a or B tiny) could otherwise hold them between its nodes.
    edge = -37.0 - math.log1p(k * (big_r + 1.0))
    turns = (
        edge,
        -_LOG(k),
        0.0,
        2.0,
        8.0,
        40.0,
        *(edge - c / a for c in (2, 8, 40)),
        *(c / big_b for c in (2, 8, 40)),
    )
    points = sorted({lo, hi, *(p for p in (*inner, *turns) if lo < p < hi)})
    return beta_kernel(a, big_b), points


def _phi_quadrature(big_r: float, a: float, big_b: float, k: float) -> float:
    kernel, points = _phi_range(big_r, a, big_b, k)
    limit = _LOG(big_r) + _LOG(k)  # the value at p -> 0: R k

    def logf(u: float) -> float:
        log_p = log_sigmoid(u)
        ratio = _phi_ratio(big_r, k, _EXP(log_p), log_p)
        log_g = limit if ratio <= 0.0 else _LOG(ratio)
        return kernel(log_p, log_sigmoid(-u)) + log_g

    # rtol 1e-13: the error estimate of 1e-12 left up to 2.5e-12 in the result here.
    body = log_integrate(logf, points, rtol=1e-13)
    # Analytic tails: exp(a u) on the left and exp(-B u) on the right.
    left = logf(points[0]) - _LOG(a)
    right = logf(points[-1]) - _LOG(big_b)
    return logsumexp([body, left, right])


def log_phi_periods(
    big_r: float, a: float, big_b: float, ks: Sequence[float], *, rtol: float = 1e-13
) -> list[float]:
    """:func:`log_phi` for every ``k`` of ``ks`` (increasing, positive), by one quadrature.

    The ``k`` that :func:`log_phi` takes by its series take it here too. The
    integrands of :func:`_phi_quadrature` for all ``k`` share the panels:
    each node costs one kernel and one ratio per ``k``, and a panel is halved
    while it holds a large share of the error of any ``k`` that has not yet
    converged (Gauss-Kronrod as in QUADPACK, Piessens et al. 1983), so the
    cost is panels times ``k``s, not a whole adaptive quadrature per ``k``.
    """
    # The ``k`` that :func:`log_phi` sums by its series keep that series' value.
    zs = [k / (1.0 + k) for k in ks]
    answers = [_phi_series(big_r, a, big_b, z) if z <= SERIES_LIMIT else None for z in zs]
    rest = [k for k, v in zip(ks, answers, strict=True) if v is None]
    if rest:
        found = iter(_log_phi_quadratures(big_r, a, big_b, rest, rtol))
        return [next(found) if v is None else v for v in answers]
    return [v for v in answers if v is not None]


def _log_phi_quadratures(
    big_r: float, a: float, big_b: float, ks: Sequence[float], rtol: float
) -> list[float]:
    """The quadratures of :func:`log_phi_periods`, one for all ``ks``."""
    k_top = ks[-1]
    if _LOG(big_r) + _LOG(k_top) > 600.0:  # R k near the float range
        return [_phi_quadrature(big_r, a, big_b, k) for k in ks]
    kernel, points = _phi_range(big_r, a, big_b, k_top)
    limits = [big_r * k for k in ks]

    repeat = itertools.repeat

    def node(u: float) -> tuple[float, list[float]]:
        log_p = log_sigmoid(u)
        p = _EXP(log_p)
        if p >= _PHI_TINY_P:
            # _phi_ratio for every k at once: R k up to ``flat``, the ratio above it,
            # as -expm1(-R log1p(k p)) / p with the loops in C.
            cut = bisect.bisect_right(ks, _PHI_FLAT / ((big_r + 1.0) * p))
            steep = map(math.log1p, map(_MUL, ks[cut:], repeat(p)))
            ratios = limits[:cut]
            ratios += map(_MUL, map(math.expm1, map(_MUL, steep, repeat(-big_r))), repeat(-1.0 / p))
        else:
            ratios = [_phi_ratio(big_r, k, p, log_p) for k in ks]
            ratios = [g if g > 0.0 else lim for g, lim in zip(ratios, limits, strict=True)]
        return kernel(log_p, log_sigmoid(-u)), ratios

    body = _log_integrate_many(node, points, len(ks), rtol=rtol)
    log_w_lo, g_lo = node(points[0])
    log_w_hi, g_hi = node(points[-1])
    log_a, log_b = _LOG(a), _LOG(big_b)
    return [
        logsumexp([v, log_w_lo + _LOG(gl) - log_a, log_w_hi + _LOG(gh) - log_b])
        for v, gl, gh in zip(body, g_lo, g_hi, strict=True)
    ]
