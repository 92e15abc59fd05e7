"""A seeded posterior sampler for the CLV models, in pure Python.

The posterior of a model's log-parameters ``phi = log(theta)`` given
compressed histories is ``log p(phi | data) = loglik(exp(phi)) + log prior``,
with the prior's density taken on ``phi`` (the Jacobian of ``theta = exp(phi)``
included: :func:`crmcore.clv.models._priors.prior_terms` with
``jacobian=True``). The likelihood and its gradient are the model's own
(the same functions its ``fit`` minimizes), evaluated once per distinct history.

Kernel: Hamiltonian Monte Carlo (Neal 2011, "MCMC using Hamiltonian
dynamics", Handbook of MCMC ch. 5) with a random number of leapfrog steps and
a jittered step size (with one step it is MALA), on ``phi`` preconditioned by a dense metric: first the
inverse Hessian at the posterior mode (a Laplace approximation), then the
covariance of the chains' draws in the first half of the warmup (regularized
as Stan does). The step size is tuned in the warmup by dual averaging
(Hoffman & Gelman 2014, "The No-U-Turn Sampler", JMLR 15, algorithm 5) to a
target acceptance rate. Chains start from overdispersed points, the mode plus
twice the Laplace approximation's spread (Gelman et al. 2013, "Bayesian Data
Analysis", 3rd ed., section 11.4).

Diagnostics (Vehtari, Gelman, Simpson, Carpenter & Burkner 2021,
"Rank-normalization, folding, and localization: An improved R-hat for
assessing convergence of MCMC", Bayesian Analysis 16(2), 667-718): the
rank-normalized split R-hat (the larger of the bulk and the folded one) and
the bulk effective sample size, whose autocorrelation sum is truncated by
Geyer's (1992, "Practical Markov chain Monte Carlo", Statistical Science 7(4),
473-483) initial monotone sequence.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from statistics import NormalDist
from typing import Any

import attrs

from crmcore._kernel._checks import type_name
from crmcore.clv.models import _bgbb, _gammagamma
from crmcore.clv.models._base import ModelBase
from crmcore.clv.models._clv import customer_lifetime_value as _clv
from crmcore.clv.models._data import load_rfm, load_rows, weighted_mean
from crmcore.clv.models._forecast import Forecaster, RfmModel
from crmcore.clv.models._interval import Interval, confidence_level
from crmcore.clv.models._optimize import cholesky_inverse, hessian_from_gradient, minimize
from crmcore.clv.models._priors import Prior, prior_terms
from crmcore.clv.models._sim import simulation_seed
from crmcore.errors import InvalidType, ValidationError

#: Most draws (or warmup iterations) per chain.
MAX_DRAWS = 100_000
#: Most chains.
MAX_CHAINS = 64
#: Most leapfrog steps per iteration.
MAX_LEAPFROG_STEPS = 100
#: Standard deviation of the default prior on each log-parameter (``priors=None``):
#: independent ``Normal(0, 10^2)`` on ``log theta``, a log-normal on ``theta``. Proper,
#: and within a factor ``exp(-0.125)`` of flat over ``theta`` in ``[e^-5, e^5]``.
DEFAULT_PRIOR_SD = 10.0
#: Points farther than this many Laplace standard deviations from the mode are outside the
#: support the sampler explores (see :func:`_bounded`).
BOUND = 40.0
#: A trajectory whose energy error exceeds this is a divergence (as in Stan).
DIVERGENCE = 1000.0

LogDensity = Callable[[list[float]], tuple[float, list[float]]]

#: The lifetime value, called on models whose class is only known at run time.
customer_lifetime_value: Callable[..., Any] = _clv


def _count(value: object, name: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=f"$.{name}")
    if value < minimum:
        raise ValidationError(f"must be at least {minimum}", path=f"$.{name}", code="too_small")
    if value > maximum:
        raise ValidationError(f"must be at most {maximum:,}", path=f"$.{name}", code="too_large")
    return value


def _columns(data: object, required: tuple[str, ...]) -> tuple[list[tuple[str, object]], object]:
    """The required columns of ``data`` in order, and its optional ``weights``."""
    if not isinstance(data, Mapping):
        raise InvalidType(
            f"must be a mapping of column names to columns, not {type_name(data)}", path="$.data"
        )
    allowed = (*required, "weights")
    if any(key not in allowed for key in data):
        raise ValidationError(
            f"must hold only the columns {', '.join(allowed)}", path="$.data", code="unknown_column"
        )
    for name in required:
        if name not in data:
            raise ValidationError("is missing", path=f"$.data.{name}", code="missing")
    return [(name, data[name]) for name in required], data.get("weights")


def _likelihood(model: ModelBase, data: object) -> tuple[LogDensity, tuple[float, ...]]:
    """The model's negative log-likelihood over ``data`` and where a search for the mode starts."""
    if isinstance(model, RfmModel):
        columns, weights = _columns(data, ("frequency", "recency", "T"))
        (_, x), (_, t_x), (_, t) = columns
        rows, w = load_rfm(x, t_x, t, weights)
        default = model._guess(weighted_mean((row[2] for row in rows), w))  # noqa: SLF001
        return model._objective(rows, w), default  # noqa: SLF001 - same package.
    if isinstance(model, _bgbb.BetaGeoBetaBinom):
        columns, weights = _columns(data, ("frequency", "recency", "periods"))
        rows, w = load_rows(columns, _bgbb._check_row, weights)  # noqa: SLF001
        return _bgbb._Likelihood(rows, w), (1.0, 1.0, 1.0, 1.0)  # noqa: SLF001
    if isinstance(model, _gammagamma.GammaGamma):
        columns, weights = _columns(data, ("frequency", "monetary_value"))
        table, counts = load_rows(columns, _gammagamma._check, weights)  # noqa: SLF001
        keep = [i for i, row in enumerate(table) if row[0] > 0 and row[1] > 0]
        if not keep:
            raise ValidationError(
                "must hold at least one customer with repeat purchases and a positive spend",
                path="$.data.frequency",
                code="empty",
            )
        rows, w = [table[i] for i in keep], [counts[i] for i in keep]
        start = (1.0, 2.0, weighted_mean((row[1] for row in rows), w))
        return _gammagamma._Likelihood(rows, w), start  # noqa: SLF001
    raise InvalidType(
        "must be a BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom or GammaGamma "
        f"model, not {type_name(model)}",
        path="$.model",
    )


def _log_posterior(
    negative_log_likelihood: LogDensity,
    priors: Mapping[str, Prior] | None,
    names: Sequence[str],
) -> LogDensity:
    """``log p(phi | data)`` up to a constant and its gradient; ``-inf`` where it fails."""
    variance = DEFAULT_PRIOR_SD**2

    def run(phi: list[float]) -> tuple[float, list[float]]:
        if any(abs(v) > 50.0 for v in phi):
            return -math.inf, [0.0] * len(phi)
        try:
            value, grad = negative_log_likelihood(phi)
            if priors is None:
                prior = -math.fsum(v * v for v in phi) / (2.0 * variance)
                prior_grad = [-v / variance for v in phi]
            else:
                prior, prior_grad = prior_terms(priors, names, phi, jacobian=True)
        except (OverflowError, ValueError, ZeroDivisionError):
            return -math.inf, [0.0] * len(phi)
        total = prior - value
        gradient = [pg - g for pg, g in zip(prior_grad, grad, strict=True)]
        if not math.isfinite(total) or not all(math.isfinite(g) for g in gradient):
            return -math.inf, [0.0] * len(phi)
        return total, gradient

    return run


def _cholesky(matrix: Sequence[Sequence[float]]) -> list[list[float]] | None:
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


def _laplace(
    log_density: LogDensity, start: Sequence[float]
) -> tuple[list[float], list[list[float]] | None]:
    """The posterior mode of ``phi`` and the Cholesky factor of the inverse Hessian there.

    None instead of the factor when the Hessian is not positive definite.
    """
    found = minimize(lambda x: _negate(log_density(x)), list(start))
    mode = list(found.x)
    hessian = hessian_from_gradient(lambda x: [-g for g in log_density(x)[1]], mode)
    covariance = cholesky_inverse(hessian)
    return mode, None if covariance is None else _cholesky(covariance)


def _negate(pair: tuple[float, list[float]]) -> tuple[float, list[float]]:
    value, grad = pair
    if not math.isfinite(value):
        return math.inf, [0.0] * len(grad)
    return -value, [-g for g in grad]


def _bounded(log_density: LogDensity, mode: Sequence[float], low: list[list[float]]) -> LogDensity:
    """``log_density`` restricted to within :data:`BOUND` Laplace standard deviations of the mode.

    Outside, the density is taken as zero: a normal approximation gives such
    points a density below ``exp(-BOUND^2 / 2)``, and far out some likelihoods
    lose all precision (BG/NBD's at ``a = 1e8, b = 1e15`` on CDNOW evaluates
    above its maximum by cancellation), which could capture a chain.
    """
    n = len(mode)
    limit = BOUND * BOUND

    def run(phi: list[float]) -> tuple[float, list[float]]:
        z = [0.0] * n
        for i in range(n):
            z[i] = (phi[i] - mode[i] - math.fsum(low[i][k] * z[k] for k in range(i))) / low[i][i]
        if math.fsum(v * v for v in z) > limit:
            return -math.inf, [0.0] * n
        return log_density(phi)

    return run


class _Chain:
    """One chain's state in the preconditioned coordinates ``z``: ``phi = centre + L z``."""

    __slots__ = ("grad", "log_p", "phi")

    def __init__(self, phi: list[float], log_p: float, grad: list[float]) -> None:
        self.phi = phi
        self.log_p = log_p
        self.grad = grad  # in phi


class _Metric:
    """The preconditioner: ``phi = L z``; ``grad_z = L' grad_phi``."""

    __slots__ = ("low",)

    def __init__(self, low: list[list[float]]) -> None:
        self.low = low

    def to_phi(self, z: Sequence[float]) -> list[float]:
        n = len(z)
        return [math.fsum(self.low[i][k] * z[k] for k in range(i + 1)) for i in range(n)]

    def grad_z(self, grad_phi: Sequence[float]) -> list[float]:
        n = len(grad_phi)
        return [math.fsum(self.low[k][i] * grad_phi[k] for k in range(i, n)) for i in range(n)]


def _transition(  # noqa: PLR0917 - the chain, its density, metric, step, steps and generator.
    chain: _Chain,
    log_density: LogDensity,
    metric: _Metric,
    step: float,
    steps: int,
    rng: random.Random,
) -> tuple[float, bool]:
    """One HMC transition in place; returns the acceptance probability and whether it diverged.

    The trajectory's length is random, uniform from 1 to ``2 steps - 1``
    leapfrog steps (``steps`` on average), and the step size jittered by up to
    20%: fixed lengths can be periodic, which makes chains antithetic or stuck
    (Neal 2011, section 5.4.2).
    """
    n = len(chain.phi)
    momentum = [rng.gauss(0.0, 1.0) for _ in range(n)]
    energy = -chain.log_p + 0.5 * math.fsum(p * p for p in momentum)
    eps = step * rng.uniform(0.8, 1.2)
    steps = rng.randint(1, 2 * steps - 1)
    phi = list(chain.phi)
    log_p, grad = chain.log_p, chain.grad
    g = metric.grad_z(grad)
    p = [m + 0.5 * eps * gi for m, gi in zip(momentum, g, strict=True)]
    for k in range(steps):
        move = metric.to_phi([eps * v for v in p])
        phi = [a + b for a, b in zip(phi, move, strict=True)]
        log_p, grad = log_density(phi)
        if not math.isfinite(log_p):
            return 0.0, True
        g = metric.grad_z(grad)
        half = 0.5 if k == steps - 1 else 1.0
        p = [v + half * eps * gi for v, gi in zip(p, g, strict=True)]
    change = -log_p + 0.5 * math.fsum(v * v for v in p) - energy
    if not math.isfinite(change) or change > DIVERGENCE:
        return 0.0, True
    accept = 1.0 if change <= 0 else math.exp(-change)
    if rng.random() < accept:
        chain.phi, chain.log_p, chain.grad = phi, log_p, grad
    return accept, False


class _StepSize:
    """Dual averaging of the log step size (Hoffman & Gelman 2014, algorithm 5)."""

    __slots__ = ("count", "h_bar", "log_bar", "log_step", "mu", "target")

    def __init__(self, step: float, target: float) -> None:
        self.target = target
        self.restart(step)

    def restart(self, step: float) -> None:
        # Hoffman & Gelman bias the exploration to 10 steps; on a preconditioned
        # scale 2 is enough, and larger first steps fling chains far out.
        self.mu = math.log(2.0 * step)
        self.count = 0
        self.h_bar = 0.0
        self.log_step = math.log(step)
        self.log_bar = 0.0

    def update(self, accept: float) -> None:
        self.count += 1
        m = self.count
        self.h_bar += ((self.target - accept) - self.h_bar) / (m + 10.0)
        self.log_step = self.mu - math.sqrt(m) / 0.05 * self.h_bar
        eta = m**-0.75
        self.log_bar = eta * self.log_step + (1.0 - eta) * self.log_bar

    @property
    def step(self) -> float:
        return math.exp(self.log_step)

    @property
    def final(self) -> float:
        return math.exp(self.log_bar) if self.count else math.exp(self.log_step)


def _sample_covariance(points: Sequence[Sequence[float]]) -> list[list[float]]:
    """Stan's regularized covariance: ``n/(n+5) S + 1e-3 * 5/(n+5) I``."""
    count = len(points)
    n = len(points[0])
    means = [math.fsum(p[i] for p in points) / count for i in range(n)]
    shrink = count / (count + 5.0)
    return [
        [
            shrink * math.fsum((p[i] - means[i]) * (p[j] - means[j]) for p in points) / (count - 1)
            + (1e-3 * 5.0 / (count + 5.0) if i == j else 0.0)
            for j in range(n)
        ]
        for i in range(n)
    ]


def _start(
    log_density: LogDensity,
    mode: list[float],
    metric: _Metric,
    rng: random.Random,
) -> _Chain:
    """An overdispersed start: the mode plus twice the Laplace spread, shrunk until finite."""
    n = len(mode)
    z = [2.0 * rng.gauss(0.0, 1.0) for _ in range(n)]
    for _ in range(30):
        phi = [a + b for a, b in zip(mode, metric.to_phi(z), strict=True)]
        log_p, grad = log_density(phi)
        if math.isfinite(log_p):
            return _Chain(phi, log_p, grad)
        z = [v / 2.0 for v in z]
    log_p, grad = log_density(mode)
    return _Chain(list(mode), log_p, grad)


def sample_posterior(
    model: ModelBase,
    data: Mapping[str, Iterable[float]],
    *,
    seed: int,
    priors: Mapping[str, Prior] | None = None,
    draws: int = 1000,
    warmup: int = 500,
    chains: int = 4,
    leapfrog_steps: int = 3,
    target_acceptance: float = 0.8,
) -> Posterior:
    """Draw from the posterior of a model's parameters given histories, reproducibly.

    Args:
        model: a BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom or
            GammaGamma model, fitted or not (only its class is used, and its
            parameters, when it has some, as where the search for the mode starts).
        data: the columns its ``fit`` takes, by name, and optionally
            ``weights``: ``frequency``, ``recency``, ``T`` (BG/BB: ``periods``;
            Gamma-Gamma: ``frequency``, ``monetary_value``), such as
            ``SummaryTable.compress()``. Identical histories are collapsed first.
        seed: seed of the ``random.Random`` generator; the same seed gives the
            same draws.
        priors: a prior per parameter name (``GammaPrior``, ``LogNormalPrior``);
            None means independent ``Normal(0, 10^2)`` priors on each
            ``log theta`` (:data:`DEFAULT_PRIOR_SD`).
        draws: draws kept per chain, after the warmup.
        warmup: iterations per chain that tune the step size and the metric
            and are then thrown away.
        chains: independent chains, from dispersed starts (R-hat needs at least 2).
        leapfrog_steps: gradient evaluations per iteration, on average (each
            trajectory takes 1 to ``2 * leapfrog_steps - 1``, uniformly).
        target_acceptance: the acceptance rate the warmup tunes the step size to.

    Returns:
        A :class:`Posterior`. Cost: ``chains * (draws + warmup) * leapfrog_steps``
        likelihood evaluations (with the defaults, 18,000: about ten seconds
        for BG/NBD on CDNOW's 2,357 customers).

    Raises:
        ValidationError: ``draws`` below 1 (``$.draws``), ``chains`` below 1
            (``$.chains``), other settings out of range, bad data (named by column
            and index, as ``fit`` names it), or a model of another kind (``$.model``).
    """
    rounds = _count(draws, "draws", 1, MAX_DRAWS)
    burn = _count(warmup, "warmup", 0, MAX_DRAWS)
    count = _count(chains, "chains", 1, MAX_CHAINS)
    steps = _count(leapfrog_steps, "leapfrog_steps", 1, MAX_LEAPFROG_STEPS)
    target = confidence_level(target_acceptance, "$.target_acceptance")
    rng = random.Random(simulation_seed(seed))  # noqa: S311 - seeded sampling, not cryptography.
    if priors is not None and not isinstance(priors, Mapping):
        raise InvalidType(
            f"must be a mapping of parameter names to priors, not {type_name(priors)}",
            path="$.priors",
        )
    if not isinstance(model, ModelBase):
        raise InvalidType(f"must be a crmcore CLV model, not {type_name(model)}", path="$.model")
    names = type(model)._names  # noqa: SLF001 - same package.
    objective, default = _likelihood(model, data)
    start = model._values() if model.params is not None else default  # noqa: SLF001
    log_density = _log_posterior(objective, priors, names)
    run = run_chains(
        log_density,
        [math.log(v) for v in start],
        rng,
        draws=rounds,
        warmup=burn,
        chains=count,
        leapfrog_steps=steps,
        target_acceptance=target,
    )
    return Posterior(
        model=model,
        samples=tuple(
            tuple(tuple(math.exp(v) for v in phi) for phi in chain) for chain in run.samples
        ),
        mode=tuple(math.exp(v) for v in run.mode),
        step_sizes=run.step_sizes,
        acceptance=run.acceptance,
        divergences=run.divergences,
    )


@attrs.frozen(slots=True)
class Run:
    """What :func:`run_chains` returns: draws of ``phi`` per chain and the sampler's state."""

    samples: tuple[tuple[tuple[float, ...], ...], ...]
    mode: tuple[float, ...]
    step_sizes: tuple[float, ...]
    acceptance: tuple[float, ...]
    divergences: int


def run_chains(
    log_density: LogDensity,
    start: Sequence[float],
    rng: random.Random,
    *,
    draws: int,
    warmup: int,
    chains: int,
    leapfrog_steps: int,
    target_acceptance: float,
) -> Run:
    """HMC chains on any log density of ``phi`` (value and gradient); see the module docstring.

    The mode is searched from ``start``; the metric is the Laplace
    approximation there, replaced at half the warmup by the chains' covariance
    over the second quarter of the warmup (when it has more than ``2 d`` draws).
    """
    mode, factor = _laplace(log_density, start)
    if factor is None:
        n = len(mode)
        metric = _Metric([[0.1 if i == j else 0.0 for j in range(n)] for i in range(n)])
    else:
        metric = _Metric(factor)
        log_density = _bounded(log_density, mode, factor)
    states = [_start(log_density, mode, metric, rng) for _ in range(chains)]
    tuners = [_StepSize(0.5, target_acceptance) for _ in range(chains)]
    update_at = warmup // 2 if warmup >= 40 else -1
    window: list[list[float]] = []
    kept: list[list[tuple[float, ...]]] = [[] for _ in range(chains)]
    accepted = [0.0] * chains
    divergences = 0
    for iteration in range(warmup + draws):
        adapting = iteration < warmup
        if iteration == update_at:
            low = _cholesky(_sample_covariance(window)) if len(window) > 2 * len(mode) else None
            if low is not None:
                metric = _Metric(low)
            for tuner in tuners:
                tuner.restart(tuner.step)
        for c, chain in enumerate(states):
            step = tuners[c].step if adapting else tuners[c].final
            accept, diverged = _transition(chain, log_density, metric, step, leapfrog_steps, rng)
            if adapting:
                tuners[c].update(accept)
                if update_at // 2 <= iteration < update_at:
                    window.append(chain.phi)
            else:
                accepted[c] += accept
                divergences += diverged
                kept[c].append(tuple(chain.phi))
    return Run(
        samples=tuple(tuple(chain) for chain in kept),
        mode=tuple(mode),
        step_sizes=tuple(t.final for t in tuners),
        acceptance=tuple(a / draws for a in accepted),
        divergences=divergences,
    )


# --- diagnostics (Vehtari et al. 2021) ---------------------------------------------------


def _split(chains: Sequence[Sequence[float]]) -> list[list[float]]:
    """Each chain cut into its first and last halves (the middle draw of an odd chain dropped)."""
    out: list[list[float]] = []
    for chain in chains:
        half = len(chain) // 2
        out.extend((list(chain[:half]), list(chain[len(chain) - half :])))
    return out


def _rank_normalize(chains: Sequence[Sequence[float]]) -> list[list[float]]:
    """Pooled ranks (ties averaged) mapped to normal scores ``Phi^-1((r - 3/8) / (S + 1/4))``."""
    flat = [v for chain in chains for v in chain]
    total = len(flat)
    order = sorted(range(total), key=flat.__getitem__)
    ranks = [0.0] * total
    i = 0
    while i < total:
        j = i
        while j + 1 < total and flat[order[j + 1]] == flat[order[i]]:
            j += 1
        average = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = average
        i = j + 1
    normal = NormalDist()
    scores = [normal.inv_cdf((r - 0.375) / (total + 0.25)) for r in ranks]
    out: list[list[float]] = []
    at = 0
    for chain in chains:
        out.append(scores[at : at + len(chain)])
        at += len(chain)
    return out


def _r_hat_basic(chains: Sequence[Sequence[float]]) -> float:
    """``sqrt(var+ / W)`` over equal-length chains (BDA3 eq. 11.3-11.4)."""
    n = len(chains[0])
    means = [math.fsum(c) / n for c in chains]
    within = math.fsum(
        math.fsum((v - mu) ** 2 for v in c) / (n - 1) for c, mu in zip(chains, means, strict=True)
    ) / len(chains)
    grand = math.fsum(means) / len(means)
    between = n * math.fsum((mu - grand) ** 2 for mu in means) / (len(means) - 1)
    if not within > 0:
        return math.nan
    var_plus = (n - 1) / n * within + between / n
    return math.sqrt(var_plus / within)


def split_r_hat(chains: Sequence[Sequence[float]]) -> float:
    """Rank-normalized split R-hat: the larger of the bulk and the folded (Vehtari et al. 2021).

    Values near 1 (below 1.01) mean the chains agree. NaN when the chains have
    fewer than 4 draws each or no spread at all.
    """
    if not chains or min(len(c) for c in chains) < 4:
        return math.nan
    length = min(len(c) for c in chains)
    equal = [list(c[:length]) for c in chains]
    halves = _split(equal)
    bulk = _r_hat_basic(_rank_normalize(halves))
    flat = sorted(v for c in equal for v in c)
    middle = len(flat) // 2
    median = flat[middle] if len(flat) % 2 else (flat[middle - 1] + flat[middle]) / 2.0
    folded = _r_hat_basic(_rank_normalize([[abs(v - median) for v in c] for c in halves]))
    if math.isnan(bulk) or math.isnan(folded):
        return math.nan
    return max(bulk, folded)


def _autocovariance(chain: Sequence[float], mean: float, lag: int) -> float:
    n = len(chain)
    return math.fsum((chain[i] - mean) * (chain[i + lag] - mean) for i in range(n - lag)) / n


def ess_geyer(chains: Sequence[Sequence[float]]) -> float:
    """Effective sample size of equal-length chains, without rank normalization.

    The multi-chain autocorrelation ``rho_t = 1 - (W - mean_m acov_m(t)) / var+``
    (Vehtari et al. 2021, eq. 10; BDA3 section 11.5) summed in pairs
    ``P_k = rho_2k + rho_2k+1`` while positive, each pair capped by the
    previous one (Geyer's initial monotone sequence); capped at
    ``S log10(S)`` as Stan caps it. NaN without spread.
    """
    m = len(chains)
    n = min(len(c) for c in chains)
    equal = [list(c[:n]) for c in chains]
    means = [math.fsum(c) / n for c in equal]
    variances = [
        _autocovariance(c, mu, 0) * n / (n - 1) for c, mu in zip(equal, means, strict=True)
    ]
    within = math.fsum(variances) / m
    var_plus = within * (n - 1) / n
    if m > 1:
        grand = math.fsum(means) / m
        var_plus += math.fsum((mu - grand) ** 2 for mu in means) / (m - 1)
    if not var_plus > 0:
        return math.nan

    def rho(lag: int) -> float:
        acov = (
            math.fsum(_autocovariance(c, mu, lag) for c, mu in zip(equal, means, strict=True)) / m
        )
        return 1.0 - (within - acov) / var_plus

    total = 0.0
    previous = math.inf
    lag = 0
    while lag + 1 < n:
        pair = rho(lag) + rho(lag + 1)
        if pair <= 0:
            break
        pair = min(pair, previous)
        total += pair
        previous = pair
        lag += 2
    tau = max(-1.0 + 2.0 * total, 1.0 / math.log10(max(m * n, 10)))
    return m * n / tau


def effective_sample_size(chains: Sequence[Sequence[float]]) -> float:
    """Bulk effective sample size: :func:`ess_geyer` of the rank-normalized split chains.

    Vehtari et al. (2021), section 3.2. NaN with fewer than 4 draws per chain.
    """
    if not chains or min(len(c) for c in chains) < 4:
        return math.nan
    length = min(len(c) for c in chains)
    return ess_geyer(_rank_normalize(_split([list(c[:length]) for c in chains])))


def _quantile(ordered: Sequence[float], probability: float) -> float:
    """Linear interpolation between order statistics (Hyndman & Fan 1996, type 7)."""
    position = probability * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def interval_of(values: Sequence[float], level: float) -> Interval:
    """Mean, standard deviation and the equal-tailed ``level`` interval of draws."""
    n = len(values)
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    ordered = sorted(values)
    tail = (1.0 - level) / 2.0
    return Interval(mean, sd, _quantile(ordered, tail), _quantile(ordered, 1.0 - tail), level)


@attrs.frozen(slots=True)
class ParameterSummary:
    """A parameter's posterior: mean, sd, equal-tailed interval, bulk ESS and R-hat."""

    mean: float
    sd: float
    lower: float
    upper: float
    level: float
    effective_sample_size: float
    r_hat: float


@attrs.frozen(slots=True)
class Posterior:
    """Draws from a model's posterior, per chain, with the sampler's own diagnostics.

    Attributes:
        model: the model the draws are for (its class decides the predictions).
        samples: ``samples[chain][draw]`` is one draw of the parameters, in
            the model's order (``r, alpha, a, b`` for BG/NBD), on their own scale.
        mode: the posterior mode (the MAP estimate) the chains started around.
        step_sizes: each chain's tuned leapfrog step (in the preconditioned scale).
        acceptance: each chain's mean acceptance probability after the warmup.
        divergences: transitions after the warmup whose energy blew up (should be 0).
    """

    model: ModelBase
    samples: tuple[tuple[tuple[float, ...], ...], ...]
    mode: tuple[float, ...]
    step_sizes: tuple[float, ...]
    acceptance: tuple[float, ...]
    divergences: int

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters' names, in the order of each draw."""
        return type(self.model)._names  # noqa: SLF001 - same package.

    def _index(self, name: str) -> int:
        if name not in self.names:
            raise ValidationError(
                f"must be one of {', '.join(self.names)}", path="$.name", code="unknown_parameter"
            )
        return self.names.index(name)

    def chains_of(self, name: str) -> list[list[float]]:
        """One list per chain of the draws of parameter ``name``."""
        i = self._index(name)
        return [[draw[i] for draw in chain] for chain in self.samples]

    def draws_of(self, name: str) -> list[float]:
        """All draws of parameter ``name``, chain after chain."""
        return [v for chain in self.chains_of(name) for v in chain]

    def summary(self, *, level: float = 0.95) -> dict[str, ParameterSummary]:
        """Each parameter's posterior mean, sd, equal-tailed interval, bulk ESS and R-hat."""
        chosen = confidence_level(level)
        out = {}
        for name in self.names:
            chains = self.chains_of(name)
            found = interval_of([v for c in chains for v in c], chosen)
            out[name] = ParameterSummary(
                mean=found.estimate,
                sd=found.standard_error,
                lower=found.lower,
                upper=found.upper,
                level=chosen,
                effective_sample_size=effective_sample_size(chains),
                r_hat=split_r_hat(chains),
            )
        return out

    def models(self, *, max_draws: int | None = None) -> list[Any]:
        """One model per draw (at most ``max_draws``, evenly spaced over all chains)."""
        flat = [draw for chain in self.samples for draw in chain]
        if max_draws is not None:
            limit = _count(max_draws, "max_draws", 1, MAX_DRAWS * MAX_CHAINS)
            if limit < len(flat):
                flat = [flat[k * len(flat) // limit] for k in range(limit)]
        names = self.names
        return [
            attrs.evolve(
                self.model,
                params=dict(zip(names, draw, strict=True)),
                covariance=None,
                standard_errors=None,
                log_likelihood=None,
                diagnostics=None,
            )
            for draw in flat
        ]

    def _forecaster(self) -> None:
        if not isinstance(self.model, Forecaster):
            raise InvalidType(
                f"has draws of a {type(self.model).__name__}, which forecasts no purchases",
                path="$.posterior",
            )

    def probability_alive_intervals(
        self,
        frequency: float | Iterable[float],
        recency: float | Iterable[float],
        T: float | Iterable[float],  # noqa: N803 - the literature's name (BG/BB: periods).
        *,
        level: float = 0.95,
        max_draws: int = 1000,
    ) -> Interval | list[Interval]:
        """Posterior mean, sd and equal-tailed interval of each customer's P(alive).

        P(alive) is computed under each of at most ``max_draws`` draws (evenly
        spaced); numbers give one :class:`Interval`, sequences a list.
        """
        chosen = confidence_level(level)
        self._forecaster()
        return _per_draw(
            [
                m.probability_alive(frequency, recency, T, backend="python")
                for m in self.models(max_draws=max_draws)
            ],
            chosen,
        )

    def expected_purchases_intervals(
        self,
        t: float,
        frequency: float | Iterable[float],
        recency: float | Iterable[float],
        T: float | Iterable[float],  # noqa: N803 - the literature's name (BG/BB: periods).
        *,
        level: float = 0.95,
        max_draws: int = 1000,
    ) -> Interval | list[Interval]:
        """Posterior mean, sd and equal-tailed interval of each customer's expected purchases in ``t``."""
        chosen = confidence_level(level)
        self._forecaster()
        return _per_draw(
            [
                m.expected_purchases(t, frequency, recency, T, backend="python")
                for m in self.models(max_draws=max_draws)
            ],
            chosen,
        )


def _per_draw(results: Sequence[Any], level: float) -> Interval | list[Interval]:
    """Intervals per customer from one prediction (a number or a list) per draw."""
    if results and isinstance(results[0], float):
        return interval_of([float(v) for v in results], level)
    columns = list(zip(*results, strict=True))
    return [interval_of(column, level) for column in columns]


def posterior_lifetime_value_intervals(  # noqa: PLR0917 - the history columns, as customer_lifetime_value.
    purchase_posterior: Posterior,
    spend_posterior: Posterior,
    frequency: float | Iterable[float],
    recency: float | Iterable[float],
    T: float | Iterable[float],  # noqa: N803 - the literature's name.
    monetary_value: float | Iterable[float],
    *,
    horizon: int,
    discount_rate: float,
    margin: float = 1.0,
    level: float = 0.95,
    max_draws: int = 1000,
) -> Interval | list[Interval]:
    """Posterior intervals of each customer's lifetime value from two independent posteriors.

    The purchase and spend likelihoods are separate and their priors
    independent, so the joint posterior is the product: the ``k``-th draw of
    each is paired (up to the shorter of the two, at most ``max_draws``)
    and :func:`crmcore.clv.customer_lifetime_value` evaluated per pair.
    """
    chosen = confidence_level(level)
    if not isinstance(purchase_posterior, Posterior):
        raise InvalidType(
            f"must be a Posterior, not {type_name(purchase_posterior)}", path="$.purchase_posterior"
        )
    spend_model: object = getattr(spend_posterior, "model", None)
    if not isinstance(spend_model, _gammagamma.GammaGamma):
        raise InvalidType("must be a Posterior of a GammaGamma model", path="$.spend_posterior")
    purchase_posterior._forecaster()  # noqa: SLF001 - same module.
    limit = _count(max_draws, "max_draws", 1, MAX_DRAWS * MAX_CHAINS)
    buys = purchase_posterior.models()
    spends = spend_posterior.models()
    pairs = min(len(buys), len(spends))
    chosen_pairs = [k * pairs // min(limit, pairs) for k in range(min(limit, pairs))]
    results = [
        customer_lifetime_value(
            buys[k],
            spends[k],
            frequency,
            recency,
            T,
            monetary_value,
            horizon=horizon,
            discount_rate=discount_rate,
            margin=margin,
            backend="python",
        )
        for k in chosen_pairs
    ]
    return _per_draw(results, chosen)
