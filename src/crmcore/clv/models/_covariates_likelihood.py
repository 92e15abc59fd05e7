"""The likelihood of the covariate models: per-row pieces with analytic gradients.

Fader & Hardie (2007), "Incorporating Time-Invariant Covariates into the
Pareto/NBD and BG/NBD Models": given a customer's covariates, the customer's
likelihood is the base model's at the customer's own parameters. Here each
row's log-likelihood and its gradient in the log of each individual parameter
come from the base models' formulas; :class:`Objective` carries them through
``log theta_i = log theta_0 + sign gamma' z_i`` to the coefficients.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from crmcore.clv.models._paretonbd import (
    FIT_SERIES_LIMIT,
    _log_tail_and_gradient,
    _series_table,
    near_tails,
)
from crmcore.clv.models._special import digamma, logaddexp

_LOG = math.log
_EXP = math.exp

#: Up to this frequency the BG/NBD beta-function terms are sums over ``j < x``.
_SHORT_SUM = 64

#: A link of one process: (coefficient group, parameter, sign, process), the parameter
#: being ``theta_i = theta_0 exp(sign * gamma' z_i)``.
Link = tuple[str, str, int, str]

#: ``row_terms(design, base, individual)``: each row's log-likelihood and its gradient in
#: the log of each individual parameter.
RowTerms = Callable[
    ["Design", list[float], list[list[float]]], tuple[list[float], list[list[float]]]
]


class Design:
    """Compressed rows with their standardized covariates and where each coefficient acts."""

    def __init__(
        self,
        rows: Sequence[tuple[float, ...]],
        weights: Sequence[float],
        links: Sequence[Link],
        selections: Mapping[str, tuple[int, ...]],
        moments: Mapping[int, tuple[float, float]],
    ) -> None:
        self.x = [row[0] for row in rows]
        self.t_x = [row[1] for row in rows]
        self.t = [row[2] for row in rows]
        self.w = list(weights)
        self.total = math.fsum(weights)
        # For each link: its parameter's index among the base names is set by the caller;
        # here the standardized columns it uses, per row.
        self.columns: list[list[list[float]]] = []
        for _, _, _, process in links:
            used = selections[process]
            self.columns.append(
                [[(row[3 + j] - moments[j][0]) / moments[j][1] for j in used] for row in rows]
            )


def _offsets(
    design: Design, coefficients: Sequence[Sequence[float]], signs: Sequence[int]
) -> list[list[float]]:
    """``sign * gamma' z_i`` of every link and row."""
    out = []
    for columns, gamma, sign in zip(design.columns, coefficients, signs, strict=True):
        if not gamma:
            out.append([0.0] * len(design.x))
            continue
        out.append(
            [sign * math.fsum(g * z for g, z in zip(gamma, row, strict=True)) for row in columns]
        )
    return out


class Objective:
    """Negative log-likelihood over ``(log base parameters, standardized coefficients)``.

    ``row_terms(base, individual)`` gives each row's log-likelihood and its
    gradient in the log of each individual parameter (the base models'
    formulas); the chain rule through ``log theta_i = log theta_0 + sign gamma' z_i``
    gives the coefficients' gradient. ``penalty`` adds ``weight * sum_k
    (scale_k theta_k)^2`` on the base parameters and ``weight * sum gamma^2`` on
    the standardized coefficients.
    """

    def __init__(  # noqa: PLR0917 - the model's pieces.
        self,
        design: Design,
        names: Sequence[str],
        links: Sequence[Link],
        sizes: Sequence[int],
        row_terms: RowTerms,
        weight: float,
        scales: Sequence[float],
    ) -> None:
        self.design = design
        self.names = list(names)
        self.index = [self.names.index(param) for _, param, _, _ in links]
        self.signs = [sign for _, _, sign, _ in links]
        self.sizes = list(sizes)
        self.row_terms = row_terms
        self.weight = weight
        self.scales = list(scales)

    def split(self, x: Sequence[float]) -> tuple[list[float], list[list[float]]]:
        """Log base parameters and the coefficients of each link."""
        n = len(self.names)
        base = list(x[:n])
        out = []
        at = n
        for size in self.sizes:
            out.append(list(x[at : at + size]))
            at += size
        return base, out

    def __call__(self, x: list[float]) -> tuple[float, list[float]]:
        log_base, gammas = self.split(x)
        design = self.design
        offsets = _offsets(design, gammas, self.signs)
        rows = len(design.x)
        # Each row's log parameters: the base ones, shifted where a link acts.
        individual = [[v] * rows for v in log_base]
        for k, offset in zip(self.index, offsets, strict=True):
            base = log_base[k]
            individual[k] = [base + o for o in offset]
        values, grads = self.row_terms(design, [_EXP(v) for v in log_base], individual)
        w = design.w
        total = math.fsum(wi * v for wi, v in zip(w, values, strict=True))
        grad = [math.fsum(wi * g for wi, g in zip(w, column_, strict=True)) for column_ in grads]
        for link, (k, sign) in enumerate(zip(self.index, self.signs, strict=True)):
            z = design.columns[link]
            g_k = grads[k]
            grad.extend(
                sign * math.fsum(wi * gi * row[c] for wi, gi, row in zip(w, g_k, z, strict=True))
                for c in range(self.sizes[link])
            )
        value = -total
        out = [-g for g in grad]
        if self.weight > 0:
            n = len(self.names)
            for k in range(n):
                square = (self.scales[k] * _EXP(x[k])) ** 2
                value += self.weight * square
                out[k] += 2.0 * self.weight * square
            for k in range(n, len(x)):
                value += self.weight * x[k] * x[k]
                out[k] += 2.0 * self.weight * x[k]
        if not math.isfinite(value):
            return math.inf, [0.0] * len(x)
        return value, out


def bgnbd_rows(  # noqa: PLR0915 - one pass over the rows, kept inline for speed.
    design: Design, base: list[float], individual: list[list[float]]
) -> tuple[list[float], list[list[float]]]:
    """BG/NBD log-likelihood of each row and its gradient in ``log r, log alpha_i, log a_i, log b_i``.

    Fader, Hardie & Lee (2005), eq. (6), at the row's own ``alpha, a, b``:
    ``lgamma(r+x) - lgamma(r) + r log alpha + log B(a, b+x) - log B(a, b)
    + log[(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)]``; for whole
    ``x`` below :data:`_SHORT_SUM` the beta-function ratio and its derivatives
    are finite sums (``B(a, b+x)/B(a, b) = prod_j (b+j)/(a+b+j)``).
    """
    r = base[0]
    log_alpha, log_a, log_b = individual[1], individual[2], individual[3]
    psi_r = digamma(r)
    lg_r = math.lgamma(r)
    by_x: dict[float, tuple[float, float]] = {}
    values: list[float] = []
    g_r: list[float] = []
    g_alpha: list[float] = []
    g_a: list[float] = []
    g_b: list[float] = []
    log = _LOG
    exp = _EXP
    log1p = math.log1p
    for i, (x, t_x, t) in enumerate(zip(design.x, design.t_x, design.t, strict=True)):
        head = by_x.get(x)
        if head is None:
            head = by_x[x] = (math.lgamma(r + x) - lg_r, digamma(r + x) - psi_r)
        la = log_alpha[i]
        alpha = exp(la)
        a = exp(log_a[i])
        b = exp(log_b[i])
        n = int(x)
        ab = a + b
        if n == 0:
            beta_value = d_a = d_b = 0.0
        elif n < _SHORT_SUM:
            beta_value = d_a = d_b = 0.0
            for j in range(n):
                bj = b + j
                abj = ab + j
                beta_value += log(bj / abj)
                d_a -= 1.0 / abj
                d_b += 1.0 / bj - 1.0 / abj
        else:
            beta_value = math.lgamma(b + x) - math.lgamma(b) - math.lgamma(ab + x) + math.lgamma(ab)
            d_a = digamma(ab) - digamma(ab + x)
            d_b = digamma(b + x) - digamma(b) + d_a
        rx = r + x
        log_t = log(alpha + t)
        inv_t = 1.0 / (alpha + t)
        value = head[0] + r * la + beta_value - rx * log_t
        dr = head[1] + la - log_t
        dalpha = r / alpha - rx * inv_t
        if n > 0:
            atx = alpha + t_x
            gap = log_t - log(atx)
            d = log_a[i] - log(b + x - 1.0) + rx * gap
            if d > 0:
                e = exp(-d)
                soft = d + log1p(e)
                p2 = 1.0 / (1.0 + e)
            else:
                e = exp(d)
                soft = log1p(e)
                p2 = e / (1.0 + e)
            value += soft
            dr += p2 * gap
            dalpha += p2 * rx * (inv_t - 1.0 / atx)
            d_a += p2 / a
            d_b -= p2 / (b + x - 1.0)
        values.append(value)
        g_r.append(dr * r)
        g_alpha.append(dalpha * alpha)
        g_a.append(d_a * a)
        g_b.append(d_b * b)
    return values, [g_r, g_alpha, g_a, g_b]


def _truncated(
    table: list[tuple[float, float, float, float]], z: float
) -> list[tuple[float, float, float, float]]:
    """The lowest powers of a series table that a point at ``z`` needs.

    Every coefficient of the table is at most 1 (``B < C``), so the terms past
    ``z^n`` are below ``z^n (n + 2) / (1 - z)``; the table keeps its full length
    for the largest ``z`` of its group.
    """
    if z <= 0.0:
        return table[-2:]
    step = -_LOG(z)
    n = math.ceil(41.5 / step)  # z^n <= 1e-18
    n += math.ceil(_LOG(n + 2.0) / step) + 1
    return table if n + 1 >= len(table) else table[-(n + 1) :]


def _pareto_tails(  # noqa: PLR0917 - one row's parameters and its two ends.
    table: list[tuple[float, float, float, float]],
    x: float,
    ys: Sequence[float],
    r: float,
    alpha: float,
    s: float,
    beta: float,
) -> list[tuple[float, tuple[float, float, float, float]]]:
    """``log H(y)`` and its gradient in ``(r, alpha, s, beta)`` for one row's ``ys``.

    As :func:`crmcore.clv.models._paretonbd._tails` (Fader & Hardie 2005's
    ``H`` by the series where its argument is at most 1/2, else a quadrature
    head plus the series at 1/2), with the series table of the row's group.
    """
    big, small = (alpha, beta) if alpha >= beta else (beta, alpha)
    d = big - small
    out: list[tuple[float, tuple[float, float, float, float]]] = []
    near: list[int] = []
    for i, y in enumerate(ys):
        z = d / (big + y)
        if z <= FIT_SERIES_LIMIT:
            out.append(_log_tail_and_gradient(_truncated(table, z), x, y, r, alpha, s, beta))
        else:
            out.append((0.0, (0.0, 0.0, 0.0, 0.0)))
            near.append(i)
    if near:
        near.sort(key=ys.__getitem__, reverse=True)
        near_tails(out, near, table, x, ys, big - 2.0 * small, (r, alpha, s, beta))
    return out


def pareto_rows(  # noqa: PLR0915 - one pass over the rows, kept inline for speed.
    design: Design, base: list[float], individual: list[list[float]]
) -> tuple[list[float], list[list[float]]]:
    """Pareto/NBD log-likelihood of each row and its gradient in ``log r, log alpha_i, log s, log beta_i``.

    Fader & Hardie (2005), eq. (22)-(23), at the row's own ``alpha, beta``:
    ``lgamma(r+x) - lgamma(r) + r log alpha + s log beta + log[(alpha+T)^-(r+x)
    (beta+T)^-s + s (H(t_x) - H(T))]``. The rows of one frequency and one
    order of ``alpha, beta`` share one series table, built for their largest
    series argument.
    """
    r, s = base[0], base[2]
    log_alpha, log_beta = individual[1], individual[3]
    alphas = [_EXP(v) for v in log_alpha]
    betas = [_EXP(v) for v in log_beta]
    rows = len(design.x)
    # One table per (frequency, alpha >= beta), for the group's largest z.
    groups: dict[tuple[float, bool], float] = {}
    for i in range(rows):
        x = design.x[i]
        if design.t_x[i] >= design.t[i]:
            continue
        alpha, beta = alphas[i], betas[i]
        big, small = (alpha, beta) if alpha >= beta else (beta, alpha)
        z = (big - small) / (big + design.t_x[i])
        key = (x, alpha >= beta)
        groups[key] = max(groups.get(key, 0.0), min(z, FIT_SERIES_LIMIT))
    tables = {
        (x, order): _series_table(r + x if order else s + 1.0, r + s + x + 1.0, z_max)
        for (x, order), z_max in groups.items()
    }
    psi_r = digamma(r)
    lg_r = math.lgamma(r)
    by_x: dict[float, tuple[float, float]] = {}
    values: list[float] = []
    g_r: list[float] = []
    g_alpha: list[float] = []
    g_s: list[float] = []
    g_beta: list[float] = []
    log = _LOG
    inv_s = 1.0 / s
    for i in range(rows):
        x, t_x, t = design.x[i], design.t_x[i], design.t[i]
        alpha, beta = alphas[i], betas[i]
        la, lb = log_alpha[i], log_beta[i]
        head = by_x.get(x)
        if head is None:
            head = by_x[x] = (math.lgamma(r + x) - lg_r, digamma(r + x) - psi_r)
        rx = r + x
        at = alpha + t
        bt = beta + t
        log_at = log(at)
        log_bt = log(bt)
        log_e1 = -rx * log_at - s * log_bt
        e = (-log_at, -rx / at, -log_bt, -s / bt)
        grad = [head[1] + la, r / alpha, lb, s / beta]
        value = head[0] + r * la + s * lb
        if t_x < t:
            table = tables[x, alpha >= beta]
            (h0, d0), (h1, d1) = _pareto_tails(table, x, (t_x, t), r, alpha, s, beta)
        else:
            h0 = h1 = 0.0
            d0 = d1 = (0.0, 0.0, 0.0, 0.0)
        if t_x < t and h1 < h0:
            rho = _EXP(h1 - h0)
            log_j = log(s) + h0 + math.log1p(-rho)
            inner = logaddexp(log_e1, log_j)
            w1 = _EXP(log_e1 - inner)
            w2 = _EXP(log_j - inner)
            k = 1.0 / (1.0 - rho)
            j = [(d0[m] - rho * d1[m]) * k for m in range(4)]
            j[2] += inv_s
            value += inner
            for m in range(4):
                grad[m] += w1 * e[m] + w2 * j[m]
        else:
            value += log_e1
            for m in range(4):
                grad[m] += e[m]
        values.append(value)
        g_r.append(grad[0] * r)
        g_alpha.append(grad[1] * alpha)
        g_s.append(grad[2] * s)
        g_beta.append(grad[3] * beta)
    return values, [g_r, g_alpha, g_s, g_beta]
