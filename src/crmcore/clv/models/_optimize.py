"""A small BFGS minimizer with a strong Wolfe line search, in pure Python.

The models minimize their negative log-likelihood over the logarithms of their
parameters, so the search is unconstrained. Dimensions are tiny (two to four),
so plain lists are fast enough; the cost is all in the objective.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import attrs

Objective = Callable[[list[float]], tuple[float, list[float]]]
Progress = Callable[[int, float], object]


@attrs.frozen(slots=True)
class Minimum:
    """Where the search stopped and how it got there."""

    x: tuple[float, ...]
    value: float
    gradient: tuple[float, ...]
    iterations: int
    evaluations: int
    converged: bool
    message: str

    @property
    def gradient_norm(self) -> float:
        """The largest absolute gradient component at ``x``."""
        return max((abs(g) for g in self.gradient), default=0.0)


def _dot(u: Sequence[float], v: Sequence[float]) -> float:
    return math.fsum(a * b for a, b in zip(u, v, strict=True))


def _safe(fun: Objective, x: list[float]) -> tuple[float, list[float]]:
    value, grad = fun(x)
    if not math.isfinite(value) or not all(math.isfinite(g) for g in grad):
        return math.inf, [0.0] * len(x)
    return value, grad


def _cubic_min(  # noqa: PLR0917 - two points with values and slopes.
    a: float, fa: float, da: float, b: float, fb: float, db: float
) -> float:
    """Minimizer of the cubic through two points with slopes (Nocedal & Wright 3.59)."""
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if disc < 0 or not math.isfinite(disc):
        return 0.5 * (a + b)
    d2 = math.copysign(math.sqrt(disc), b - a)
    denom = db - da + 2.0 * d2
    if denom == 0:
        return 0.5 * (a + b)
    t = b - (b - a) * (db + d2 - d1) / denom
    lo, hi = min(a, b), max(a, b)
    margin = 0.1 * (hi - lo)
    if not (lo + margin <= t <= hi - margin):
        return 0.5 * (a + b)
    return t


def _line_search(  # noqa: C901, PLR0917 - Nocedal & Wright's algorithm, kept in one piece.
    fun: Objective,
    x: list[float],
    f0: float,
    g0: list[float],
    direction: list[float],
    step: float,
    counter: list[int],
) -> tuple[float, float, list[float]] | None:
    """Strong Wolfe line search (Nocedal & Wright, Algorithms 3.5 and 3.6)."""
    c1, c2 = 1e-4, 0.9
    d0 = _dot(g0, direction)
    if d0 >= 0:
        return None

    def phi(t: float) -> tuple[float, float, list[float]]:
        counter[0] += 1
        value, grad = _safe(fun, [xi + t * di for xi, di in zip(x, direction, strict=True)])
        return value, _dot(grad, direction), grad

    def zoom(  # noqa: PLR0917 - the bracket's two points.
        lo: float, f_lo: float, d_lo: float, hi: float, f_hi: float, d_hi: float
    ) -> tuple[float, float, list[float]] | None:
        for _ in range(30):
            if math.isfinite(f_hi):
                t = _cubic_min(lo, f_lo, d_lo, hi, f_hi, d_hi)
            else:
                t = 0.5 * (lo + hi)
            ft, dt, gt = phi(t)
            if ft > f0 + c1 * t * d0 or ft >= f_lo:
                hi, f_hi, d_hi = t, ft, dt
            else:
                if abs(dt) <= -c2 * d0:
                    return t, ft, gt
                if dt * (hi - lo) >= 0:
                    hi, f_hi, d_hi = lo, f_lo, d_lo
                lo, f_lo, d_lo = t, ft, dt
            if abs(hi - lo) < 1e-14 * max(1.0, abs(lo)):
                break
        if lo > 0 and f_lo < f0:
            counter[0] += 1
            value, grad = _safe(fun, [xi + lo * di for xi, di in zip(x, direction, strict=True)])
            return lo, value, grad
        return None

    prev, f_prev, d_prev = 0.0, f0, d0
    t = step
    for i in range(30):
        ft, dt, gt = phi(t)
        if not math.isfinite(ft):
            # Outside where the objective is finite: come back towards x.
            t = prev + 0.25 * (t - prev)
            continue
        if ft > f0 + c1 * t * d0 or (i > 0 and ft >= f_prev):
            return zoom(prev, f_prev, d_prev, t, ft, dt)
        if abs(dt) <= -c2 * d0:
            return t, ft, gt
        if dt >= 0:
            return zoom(t, ft, dt, prev, f_prev, d_prev)
        prev, f_prev, d_prev = t, ft, dt
        t *= 2.0
    return None


def minimize(  # noqa: C901, PLR0912, PLR0915 - BFGS with its stopping rules in one loop.
    fun: Objective,
    x0: Sequence[float],
    *,
    max_iterations: int = 500,
    gtol: float = 1e-9,
    max_step: float = 3.0,
    progress: Progress | None = None,
) -> Minimum:
    """Minimize ``fun`` (returning value and gradient) from ``x0`` by BFGS.

    Converged means the largest gradient component is at most
    ``gtol * max(1, |f|)``: relative to the objective, so a total over many
    customers is held to the same precision as an average.
    """
    n = len(x0)
    x = [float(v) for v in x0]
    counter = [1]
    f, g = _safe(fun, x)
    if not math.isfinite(f):
        return Minimum(tuple(x), f, tuple(g), 0, 1, False, "objective is not finite at the start")
    inv_h = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    first = True
    message = "iteration limit reached"
    converged = False
    done = 0
    stalls = 0
    for iteration in range(1, max_iterations + 1):
        done = iteration
        gnorm = max(abs(v) for v in g)
        if gnorm <= gtol * max(1.0, abs(f)):
            converged, message = True, "gradient below tolerance"
            done = iteration - 1
            break
        direction = [-_dot(row, g) for row in inv_h]
        if _dot(direction, g) >= 0:
            inv_h = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
            direction = [-v for v in g]
            first = True
        longest = max(abs(v) for v in direction)
        step = 1.0
        if first:
            step = min(1.0, 1.0 / max(longest, 1e-300))
        if longest * step > max_step:
            step = max_step / longest
        found = _line_search(fun, x, f, g, direction, step, counter)
        if found is None:
            if gnorm <= 1e3 * gtol * max(1.0, abs(f)):
                # At the optimum up to rounding: no lower point is measurable.
                converged, message = True, "objective flat to rounding at the minimum"
                break
            if not first and stalls < 2:
                # Restart from steepest descent before giving up.
                inv_h = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
                first = True
                stalls += 1
                continue
            message = "line search found no lower point"
            break
        t, f_new, g_new = found
        s = [t * d for d in direction]
        y = [a - b for a, b in zip(g_new, g, strict=True)]
        x = [a + b for a, b in zip(x, s, strict=True)]
        f_old, f, g = f, f_new, g_new
        if progress is not None:
            progress(iteration, f)
        ys = _dot(y, s)
        if ys > 1e-12 * math.sqrt(_dot(y, y) * _dot(s, s)):
            if first:
                scale = ys / _dot(y, y)
                inv_h = [[scale if i == j else 0.0 for j in range(n)] for i in range(n)]
                first = False
            rho = 1.0 / ys
            hy = [_dot(row, y) for row in inv_h]
            yhy = _dot(y, hy)
            factor = (1.0 + rho * yhy) * rho
            inv_h = [
                [
                    inv_h[i][j] - rho * (hy[i] * s[j] + s[i] * hy[j]) + factor * s[i] * s[j]
                    for j in range(n)
                ]
                for i in range(n)
            ]
        if abs(f_old - f) <= 1e-15 * max(1.0, abs(f)) and max(
            abs(v) for v in g
        ) <= 1e3 * gtol * max(1.0, abs(f)):
            converged, message = True, "objective stopped changing"
            break
    return Minimum(tuple(x), f, tuple(g), done, counter[0], converged, message)


def numeric_gradient(
    fun: Callable[[list[float]], float], x: Sequence[float], *, step: float = 1e-6
) -> list[float]:
    """Central-difference gradient of a scalar function."""
    grad = []
    for i in range(len(x)):
        up = list(x)
        down = list(x)
        up[i] += step
        down[i] -= step
        grad.append((fun(up) - fun(down)) / (2.0 * step))
    return grad


def hessian_from_gradient(
    grad: Callable[[list[float]], list[float]],
    x: Sequence[float],
    *,
    at: Sequence[float] | None = None,
    step: float = 1e-5,
) -> list[list[float]]:
    """Symmetrized finite-difference Hessian from a gradient function.

    Forward differences when the gradient ``at`` ``x`` is given (one gradient
    per dimension), central differences otherwise.
    """
    n = len(x)
    columns = []
    for j in range(n):
        up = list(x)
        up[j] += step
        g_up = grad(up)
        if at is not None:
            columns.append([(a - b) / step for a, b in zip(g_up, at, strict=True)])
            continue
        down = list(x)
        down[j] -= step
        g_down = grad(down)
        columns.append([(a - b) / (2.0 * step) for a, b in zip(g_up, g_down, strict=True)])
    return [[0.5 * (columns[j][i] + columns[i][j]) for j in range(n)] for i in range(n)]


def cholesky(matrix: Sequence[Sequence[float]]) -> list[list[float]] | None:
    """The lower Cholesky factor of a symmetric positive definite matrix, or None."""
    n = len(matrix)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            total = matrix[i][j] - math.fsum(low[i][k] * low[j][k] for k in range(j))
            if i == j:
                if not (total > 0 and math.isfinite(total)):
                    return None
                low[i][i] = math.sqrt(total)
            else:
                low[i][j] = total / low[j][j]
    return low


def cholesky_inverse(matrix: Sequence[Sequence[float]]) -> list[list[float]] | None:
    """Inverse of a symmetric positive definite matrix, or None if it is not one."""
    n = len(matrix)
    low = cholesky(matrix)
    if low is None:
        return None
    # Invert the triangular factor, then form inv(L)^T inv(L).
    inv_low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        inv_low[i][i] = 1.0 / low[i][i]
        for j in range(i):
            total = math.fsum(low[i][k] * inv_low[k][j] for k in range(j, i))
            inv_low[i][j] = -total / low[i][i]
    return [
        [math.fsum(inv_low[k][i] * inv_low[k][j] for k in range(max(i, j), n)) for j in range(n)]
        for i in range(n)
    ]
