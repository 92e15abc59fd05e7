"""Second-order forward-mode automatic differentiation in pure Python.

A :class:`Dual` carries a value, its gradient and its Hessian with respect to a
few (up to about four) independent variables. Every operation applies the
first- and second-order chain rule at once (Griewank & Walther 2008,
"Evaluating Derivatives", ch. 13: univariate Taylor propagation): for
``y = f(u)``, ``grad y = f'(u) grad u`` and
``hess y = f'(u) hess u + f''(u) grad u grad u^T``. The Hessian is kept as
its upper triangle, row by row, in a flat list.

Example:
    >>> x, y = variables([2.0, 3.0])
    >>> z = x * x * y + log(y)
    >>> z.v, z.g  # 12 + log 3, (2xy, x^2 + 1/y)
    (13.09861228866811, [12.0, 4.333333333333333])
    >>> [[round(v, 6) for v in row] for row in z.hessian()]
    [[6.0, 4.0], [4.0, -0.111111]]
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

_LOG = math.log
_EXP = math.exp

#: Row and column indices of the flattened upper triangle, per number of variables.
_INDEX: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}


def _index(n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    found = _INDEX.get(n)
    if found is None:
        rows = tuple(i for i in range(n) for _ in range(i, n))
        cols = tuple(j for i in range(n) for j in range(i, n))
        found = _INDEX[n] = (rows, cols)
    return found


class Dual:
    """A value with its gradient ``g`` and flattened upper-triangle Hessian ``h``.

    Arithmetic mixes duals and floats; the functions of this module (``log``,
    ``exp``, ``lgamma``, ...) take either.
    """

    __slots__ = ("g", "h", "v")

    def __init__(self, v: float, g: list[float], h: list[float]) -> None:
        self.v = v
        self.g = g
        self.h = h

    def hessian(self) -> list[list[float]]:
        """The full symmetric Hessian matrix."""
        n = len(self.g)
        matrix = [[0.0] * n for _ in range(n)]
        rows, cols = _index(n)
        for value, i, j in zip(self.h, rows, cols, strict=True):
            matrix[i][j] = matrix[j][i] = value
        return matrix

    def __repr__(self) -> str:
        return f"Dual({self.v!r}, {self.g!r}, {self.h!r})"

    def __neg__(self) -> Dual:
        return Dual(-self.v, list(map(operator.neg, self.g)), list(map(operator.neg, self.h)))

    # The operations below are the hot loop of every exact Hessian: the element-wise
    # ones go through ``map`` and the four-variable product is written out in full.

    def __add__(self, other: Dual | float) -> Dual:
        if isinstance(other, Dual):
            return Dual(
                self.v + other.v,
                list(map(operator.add, self.g, other.g)),
                list(map(operator.add, self.h, other.h)),
            )
        return Dual(self.v + other, self.g, self.h)

    __radd__ = __add__

    def __sub__(self, other: Dual | float) -> Dual:
        if isinstance(other, Dual):
            return Dual(
                self.v - other.v,
                list(map(operator.sub, self.g, other.g)),
                list(map(operator.sub, self.h, other.h)),
            )
        return Dual(self.v - other, self.g, self.h)

    def __rsub__(self, other: float) -> Dual:
        return Dual(
            other - self.v, list(map(operator.neg, self.g)), list(map(operator.neg, self.h))
        )

    def __mul__(self, other: Dual | float) -> Dual:
        if isinstance(other, Dual):
            a, b = self.v, other.v
            ag, bg = self.g, other.g
            if len(ag) == 4:
                p0, p1, p2, p3 = ag
                q0, q1, q2, q3 = bg
                h0, h1, h2, h3, h4, h5, h6, h7, h8, h9 = self.h
                k0, k1, k2, k3, k4, k5, k6, k7, k8, k9 = other.h
                return Dual(
                    a * b,
                    [a * q0 + b * p0, a * q1 + b * p1, a * q2 + b * p2, a * q3 + b * p3],
                    [
                        a * k0 + b * h0 + 2.0 * p0 * q0,
                        a * k1 + b * h1 + p0 * q1 + p1 * q0,
                        a * k2 + b * h2 + p0 * q2 + p2 * q0,
                        a * k3 + b * h3 + p0 * q3 + p3 * q0,
                        a * k4 + b * h4 + 2.0 * p1 * q1,
                        a * k5 + b * h5 + p1 * q2 + p2 * q1,
                        a * k6 + b * h6 + p1 * q3 + p3 * q1,
                        a * k7 + b * h7 + 2.0 * p2 * q2,
                        a * k8 + b * h8 + p2 * q3 + p3 * q2,
                        a * k9 + b * h9 + 2.0 * p3 * q3,
                    ],
                )
            rows, cols = _index(len(ag))
            return Dual(
                a * b,
                [a * y + b * x for x, y in zip(ag, bg, strict=True)],
                [
                    a * y + b * x + ag[i] * bg[j] + ag[j] * bg[i]
                    for x, y, i, j in zip(self.h, other.h, rows, cols, strict=True)
                ],
            )
        return Dual(self.v * other, [other * x for x in self.g], [other * x for x in self.h])

    __rmul__ = __mul__

    def __truediv__(self, other: Dual | float) -> Dual:
        if isinstance(other, Dual):
            return self * reciprocal(other)
        return self * (1.0 / other)

    def __rtruediv__(self, other: float) -> Dual:
        return reciprocal(self) * other


def variables(values: Sequence[float]) -> list[Dual]:
    """Independent variables at ``values`` (unit gradients, zero Hessians)."""
    n = len(values)
    size = n * (n + 1) // 2
    return [
        Dual(float(v), [1.0 if j == i else 0.0 for j in range(n)], [0.0] * size)
        for i, v in enumerate(values)
    ]


def zero(n: int) -> Dual:
    """The constant 0 over ``n`` variables (an accumulator for :func:`accumulate`)."""
    return Dual(0.0, [0.0] * n, [0.0] * (n * (n + 1) // 2))


def accumulate(total: Dual, term: Dual, weight: float = 1.0) -> None:
    """``total += weight * term`` in place (``total`` must not be shared)."""
    total.v += weight * term.v
    if weight == 1.0:
        total.g = list(map(operator.add, total.g, term.g))
        total.h = list(map(operator.add, total.h, term.h))
    else:
        total.g = [x + weight * y for x, y in zip(total.g, term.g, strict=True)]
        total.h = [x + weight * y for x, y in zip(total.h, term.h, strict=True)]


def chain(u: Dual, f0: float, f1: float, f2: float) -> Dual:
    """``f(u)`` given ``f(u.v)``, ``f'(u.v)`` and ``f''(u.v)``."""
    g = u.g
    if len(g) == 4:
        g0, g1, g2, g3 = g
        h0, h1, h2, h3, h4, h5, h6, h7, h8, h9 = u.h
        k0, k1, k2, k3 = f2 * g0, f2 * g1, f2 * g2, f2 * g3
        return Dual(
            f0,
            [f1 * g0, f1 * g1, f1 * g2, f1 * g3],
            [
                f1 * h0 + k0 * g0,
                f1 * h1 + k0 * g1,
                f1 * h2 + k0 * g2,
                f1 * h3 + k0 * g3,
                f1 * h4 + k1 * g1,
                f1 * h5 + k1 * g2,
                f1 * h6 + k1 * g3,
                f1 * h7 + k2 * g2,
                f1 * h8 + k2 * g3,
                f1 * h9 + k3 * g3,
            ],
        )
    rows, cols = _index(len(g))
    return Dual(
        f0,
        [f1 * x for x in g],
        [f1 * x + f2 * g[i] * g[j] for x, i, j in zip(u.h, rows, cols, strict=True)],
    )


def chain2(
    u: Dual, w: Dual, f: float, partials: tuple[float, float], second: tuple[float, float, float]
) -> Dual:
    """``f(u, w)`` given its value, its partials ``(f_u, f_w)`` and ``(f_uu, f_uw, f_ww)``.

    ``grad = f_u grad u + f_w grad w`` and ``hess = f_u hess u + f_w hess w +
    f_uu grad u grad u^T + f_uw (grad u grad w^T + grad w grad u^T) + f_ww grad w grad w^T``.
    """
    f_u, f_w = partials
    f_uu, f_uw, f_ww = second
    ug, wg = u.g, w.g
    rows, cols = _index(len(ug))
    return Dual(
        f,
        [f_u * x + f_w * y for x, y in zip(ug, wg, strict=True)],
        [
            f_u * x
            + f_w * y
            + f_uu * ug[i] * ug[j]
            + f_uw * (ug[i] * wg[j] + wg[i] * ug[j])
            + f_ww * wg[i] * wg[j]
            for x, y, i, j in zip(u.h, w.h, rows, cols, strict=True)
        ],
    )


def reciprocal(u: Dual) -> Dual:
    """``1 / u``."""
    inv = 1.0 / u.v
    return chain(u, inv, -inv * inv, 2.0 * inv * inv * inv)


def log(u: Dual) -> Dual:
    """Natural logarithm."""
    inv = 1.0 / u.v
    return chain(u, _LOG(u.v), inv, -inv * inv)


def exp(u: Dual) -> Dual:
    """Exponential."""
    e = _EXP(u.v)
    return chain(u, e, e, e)


def log1p(u: Dual) -> Dual:
    """``log(1 + u)``, accurate for small ``u``."""
    inv = 1.0 / (1.0 + u.v)
    return chain(u, math.log1p(u.v), inv, -inv * inv)


def expm1(u: Dual) -> Dual:
    """``exp(u) - 1``, accurate for small ``u``."""
    e = _EXP(u.v)
    return chain(u, math.expm1(u.v), e, e)


def power(u: Dual, p: Dual | float) -> Dual:
    """``u ** p`` for ``u > 0`` (any real ``p``; a dual exponent goes through logs)."""
    if isinstance(p, Dual):
        return exp(p * log(u))
    head = u.v ** (p - 2.0)
    return chain(u, head * u.v * u.v, p * head * u.v, p * (p - 1.0) * head)


def softplus(u: Dual) -> Dual:
    """``log(1 + exp(u))`` for any real ``u`` (its derivative is the logistic function)."""
    v = u.v
    if v > 0:
        e = _EXP(-v)
        value = v + math.log1p(e)
        sig = 1.0 / (1.0 + e)
    else:
        e = _EXP(v)
        value = math.log1p(e)
        sig = e / (1.0 + e)
    return chain(u, value, sig, sig * (1.0 - sig))


def logsumexp(terms: Sequence[Dual], signs: Sequence[float] | None = None) -> Dual:
    """``log(sum_k sign_k exp(term_k))`` (the sum must be positive).

    With weights ``w_k = sign_k exp(term_k - result)``:
    ``grad = sum w_k grad_k`` and
    ``hess = sum w_k (hess_k + grad_k grad_k^T) - grad grad^T``.
    """
    top = max(t.v for t in terms)
    if signs is None:
        signs = [1.0] * len(terms)
    scaled = [s * _EXP(t.v - top) for t, s in zip(terms, signs, strict=True)]
    total = math.fsum(scaled)
    value = top + _LOG(total)
    weights = [s / total for s in scaled]
    n = len(terms[0].g)
    rows, cols = _index(n)
    grad = [math.fsum(w * t.g[k] for w, t in zip(weights, terms, strict=True)) for k in range(n)]
    hess = [0.0] * len(rows)
    for w, t in zip(weights, terms, strict=True):
        tg = t.g
        hess = [
            x + w * (y + tg[i] * tg[j]) for x, y, i, j in zip(hess, t.h, rows, cols, strict=True)
        ]
    hess = [x - grad[i] * grad[j] for x, i, j in zip(hess, rows, cols, strict=True)]
    return Dual(value, grad, hess)


def logaddexp(a: Dual, b: Dual) -> Dual:
    """``log(exp(a) + exp(b))``.

    With ``p = exp(a - result)``,
    ``hess = p hess_a + (1-p) hess_b + p (1-p) (grad_a - grad_b)(grad_a - grad_b)^T``.
    """
    if a.v < b.v:
        a, b = b, a
    e = _EXP(b.v - a.v)
    p = 1.0 / (1.0 + e)
    q = e * p
    pq = p * q
    diff = [x - y for x, y in zip(a.g, b.g, strict=True)]
    rows, cols = _index(len(diff))
    return Dual(
        a.v + math.log1p(e),
        [p * x + q * y for x, y in zip(a.g, b.g, strict=True)],
        [
            p * x + q * y + pq * diff[i] * diff[j]
            for x, y, i, j in zip(a.h, b.h, rows, cols, strict=True)
        ],
    )


# --- the gamma function's logarithm and its derivatives ---------------------


def digamma(x: float) -> float:
    """The digamma function ``psi(x)`` for ``x > 0``.

    The recurrence ``psi(x) = psi(x+1) - 1/x`` up to 10, then the
    asymptotic series (Abramowitz & Stegun 1964, 6.3.18).
    """
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    series = inv2 * (
        1.0 / 12
        - inv2
        * (
            1.0 / 120
            - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * 691.0 / 32760)))
        )
    )
    return result + _LOG(x) - 0.5 / x - series


def trigamma(x: float) -> float:
    """The trigamma function ``psi'(x)`` for ``x > 0``.

    The recurrence ``psi'(x) = psi'(x+1) + 1/x^2`` up to 10, then
    the asymptotic series ``1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1)`` (Abramowitz & Stegun
    1964, 6.4.12 and 6.4.6; Bernoulli numbers 1/6, -1/30, 1/42, -1/30, 5/66, -691/2730, 7/6).
    """
    result = 0.0
    while x < 10.0:
        result += 1.0 / (x * x)
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    series = 1.0 / 6 - inv2 * (
        1.0 / 30
        - inv2
        * (
            1.0 / 42
            - inv2 * (1.0 / 30 - inv2 * (5.0 / 66 - inv2 * (691.0 / 2730 - inv2 * 7.0 / 6)))
        )
    )
    return result + inv + 0.5 * inv2 + inv * inv2 * series


def lgamma(u: Dual) -> Dual:
    """``log Gamma(u)`` for ``u > 0``, with digamma and trigamma as its derivatives."""
    return chain(u, math.lgamma(u.v), digamma(u.v), trigamma(u.v))


def lbeta(a: Dual, b: Dual) -> Dual:
    """``log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b)``."""
    return lgamma(a) + lgamma(b) - lgamma(a + b)
