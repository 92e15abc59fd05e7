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
from typing import Any

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._numbers import Tabular, keyed_columns
from crmcore.clv.models import _bgbb, _gammagamma
from crmcore.clv.models._base import ModelBase
from crmcore.clv.models._clv import customer_lifetime_value as _clv
from crmcore.clv.models._data import Percent, load_rfm, load_rows, weighted_mean
from crmcore.clv.models._forecast import Forecaster, RfmModel
from crmcore.clv.models._gammagamma import NonPositive, check_policy
from crmcore.clv.models._interval import Interval, confidence_level
from crmcore.clv.models._mcmc import effective_sample_size, interval_of, split_r_hat
from crmcore.clv.models._optimize import (
    cholesky,
    cholesky_inverse,
    hessian_from_gradient,
    minimize,
)
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
#: Most work one sampling run may ask for, in history-evaluations: ``chains * (draws +
#: warmup) * (2 * leapfrog_steps - 1) * distinct histories`` (the longest trajectories).
#: About ten minutes of BG/NBD likelihood in pure Python at the average trajectory length.
MAX_SAMPLER_WORK = 1_000_000_000
#: The largest R-hat that counts as chains agreeing (Vehtari et al. 2021, section 4).
R_HAT_LIMIT = 1.01
#: The smallest bulk effective sample size per chain that counts as enough (Vehtari et al.
#: 2021, section 4: 100 per chain, so that R-hat and the ESS themselves are reliable).
ESS_PER_CHAIN = 100

LogDensity = Callable[[list[float]], tuple[float, list[float]]]

#: The lifetime value, called on models whose class is only known at run time.
customer_lifetime_value: Callable[..., Any] = _clv


def checked_count(value: object, name: str, minimum: int, maximum: int) -> int:
    """A whole-number argument from ``minimum`` to ``maximum`` (not a bool).

    Shared with :mod:`crmcore.clv.models._paretoggg`.
    """
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


def _likelihood(
    model: ModelBase, data: object, policy: NonPositive = "exclude"
) -> tuple[LogDensity, tuple[float, ...], int]:
    """The model's negative log-likelihood over ``data``, a start, and its distinct histories.

    The start is where a search for the mode begins; the count of distinct
    histories is what one evaluation costs. ``policy`` is the Gamma-Gamma ``nonpositive`` policy, as its ``fit`` takes it.
    """
    if isinstance(model, RfmModel):
        columns, weights = _columns(data, ("frequency", "recency", "T"))
        (_, x), (_, t_x), (_, t) = columns
        rows, w = load_rfm(x, t_x, t, weights)
        default = model._guess(weighted_mean((row[2] for row in rows), w))  # noqa: SLF001
        return model._objective(rows, w), default, len(rows)  # noqa: SLF001 - same package.
    if isinstance(model, _bgbb.BetaGeoBetaBinom):
        columns, weights = _columns(data, ("frequency", "recency", "periods"))
        rows, w = load_rows(columns, _bgbb._check_row, weights)  # noqa: SLF001
        return _bgbb._Likelihood(rows, w), (1.0, 1.0, 1.0, 1.0), len(rows)  # noqa: SLF001
    if isinstance(model, _gammagamma.GammaGamma):
        columns, weights = _columns(data, ("frequency", "monetary_value"))
        rules = _gammagamma._rules(policy)  # noqa: SLF001 - the fit's own rules.
        table, counts = load_rows(columns, rules, weights)
        keep = [i for i, row in enumerate(table) if row[0] > 0 and row[1] > 0]
        if not keep:
            raise ValidationError(
                "must hold at least one customer with repeat purchases and a positive spend",
                path="$.data.frequency",
                code="empty",
            )
        rows, w = [table[i] for i in keep], [counts[i] for i in keep]
        start = (1.0, 2.0, weighted_mean((row[1] for row in rows), w))
        return _gammagamma._Likelihood(rows, w), start, len(rows)  # noqa: SLF001
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
    """``log p(phi | data)`` up to a constant and its gradient; ``-inf`` where it fails.

    Each parameter named in ``priors`` has that prior (its density in ``theta``,
    with the Jacobian); every other one, as with ``priors=None``, the default
    ``Normal(0, DEFAULT_PRIOR_SD^2)`` on ``phi``.
    """
    variance = DEFAULT_PRIOR_SD**2
    given = dict(priors) if priors is not None else {}
    default = [name not in given for name in names]

    def run(phi: list[float]) -> tuple[float, list[float]]:
        if any(abs(v) > 50.0 for v in phi):
            return -math.inf, [0.0] * len(phi)
        try:
            value, grad = negative_log_likelihood(phi)
            prior, prior_grad = _prior_of_phi(given, names, phi, default, variance)
        except (OverflowError, ValueError, ZeroDivisionError):
            return -math.inf, [0.0] * len(phi)
        total = prior - value
        gradient = [pg - g for pg, g in zip(prior_grad, grad, strict=True)]
        if not math.isfinite(total) or not all(math.isfinite(g) for g in gradient):
            return -math.inf, [0.0] * len(phi)
        return total, gradient

    return run


def _prior_of_phi(
    given: Mapping[str, Prior],
    names: Sequence[str],
    phi: list[float],
    default: Sequence[bool],
    variance: float,
) -> tuple[float, list[float]]:
    """Log prior density of ``phi`` and its gradient: given priors, the default for the rest."""
    value, grad = (
        prior_terms(given, names, phi, jacobian=True) if given else (0.0, [0.0] * len(phi))
    )
    for i, fallback in enumerate(default):
        if fallback:
            if given:
                # prior_terms added the Jacobian for every parameter; not for these.
                value -= phi[i]
                grad[i] -= 1.0
            value -= phi[i] * phi[i] / (2.0 * variance)
            grad[i] -= phi[i] / variance
    return value, grad


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
    return mode, None if covariance is None else cholesky(covariance)


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
    nonpositive: NonPositive = "exclude",
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
        priors: a prior per parameter name (``GammaPrior``, ``LogNormalPrior``).
            Every parameter not named (all of them with None, the default) has
            the default prior, an independent ``Normal(0, 10^2)`` on its
            ``log theta`` (:data:`DEFAULT_PRIOR_SD`): naming some never leaves
            the others with an improper flat prior.
        draws: draws kept per chain, after the warmup.
        warmup: iterations per chain that tune the step size and the metric
            and are then thrown away.
        chains: independent chains, from dispersed starts (R-hat needs at least 2).
        leapfrog_steps: gradient evaluations per iteration, on average (each
            trajectory takes 1 to ``2 * leapfrog_steps - 1``, uniformly).
        target_acceptance: the acceptance rate the warmup tunes the step size to.
        nonpositive: the Gamma-Gamma policy for a repeat buyer with a zero or
            negative mean spend, as :meth:`GammaGamma.fit` takes it:
            ``"exclude"`` (default) leaves the row out, ``"refuse"`` raises.

    Returns:
        A :class:`Posterior`; check its :attr:`~Posterior.ok` (or
        :attr:`~Posterior.warnings`) before using it. Cost: ``chains * (draws +
        warmup) * leapfrog_steps`` likelihood evaluations on average (with the
        defaults, 18,000: about twenty seconds for BG/NBD on CDNOW's 2,357
        customers, 1,100 distinct histories).

    Raises:
        ValidationError: ``draws`` below 1 (``$.draws``), ``chains`` below 1
            (``$.chains``), other settings out of range, more work than
            :data:`MAX_SAMPLER_WORK` (``$.draws``, code ``too_much_work``), bad
            data (named by column and index, as ``fit`` names it), a bad
            ``nonpositive``, or a model of another kind (``$.model``).
    """
    rounds = checked_count(draws, "draws", 1, MAX_DRAWS)
    burn = checked_count(warmup, "warmup", 0, MAX_DRAWS)
    count = checked_count(chains, "chains", 1, MAX_CHAINS)
    steps = checked_count(leapfrog_steps, "leapfrog_steps", 1, MAX_LEAPFROG_STEPS)
    target = confidence_level(target_acceptance, "$.target_acceptance")
    policy = check_policy(nonpositive)
    rng = random.Random(simulation_seed(seed))  # noqa: S311 - seeded sampling, not cryptography.
    if priors is not None and not isinstance(priors, Mapping):
        raise InvalidType(
            f"must be a mapping of parameter names to priors, not {type_name(priors)}",
            path="$.priors",
        )
    if not isinstance(model, ModelBase):
        raise InvalidType(f"must be a crmcore CLV model, not {type_name(model)}", path="$.model")
    names = type(model)._names  # noqa: SLF001 - same package.
    objective, default, distinct = _likelihood(model, data, policy)
    _check_work(count, rounds + burn, steps, distinct)
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


def _check_work(chains: int, iterations: int, steps: int, histories: int) -> None:
    """Refuse a run whose longest trajectories would pass :data:`MAX_SAMPLER_WORK`."""
    work = chains * iterations * (2 * steps - 1) * histories
    if work > MAX_SAMPLER_WORK:
        raise ValidationError(
            f"asks too much work: chains * (draws + warmup) * (2 * leapfrog_steps - 1) * "
            f"distinct histories must be at most {MAX_SAMPLER_WORK:,} "
            f"(here {work:,}); ask fewer draws, warmup, chains or leapfrog_steps",
            path="$.draws",
            code="too_much_work",
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
            low = cholesky(_sample_covariance(window)) if len(window) > 2 * len(mode) else None
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


@attrs.frozen(slots=True)
class ParameterSummary(Tabular):
    """A parameter's posterior: mean, sd, equal-tailed interval, bulk ESS and R-hat.

    Every attribute is a float. The bulk effective sample size and the split
    R-hat are NaN where they are undefined (chains of fewer than four draws,
    or draws with no spread, such as a chain that never moved), so that
    comparisons like ``s.r_hat < 1.1`` are simply false there. The plain-value
    views, :meth:`to_dict` and :meth:`to_columns` (and the columns of a
    posterior), give None for an undefined number instead: they are JSON
    (``json.dumps(s.to_dict(), allow_nan=False)``) and a DataFrame reads None
    as a missing value.

    Example:
        >>> import json
        >>> s = ParameterSummary(1.0, 0.0, 1.0, 1.0, 0.95, float("nan"), float("nan"))
        >>> json.dumps(s.to_dict(), allow_nan=False)
        '{"mean": 1.0, "sd": 0.0, "lower": 1.0, "upper": 1.0, "level": 0.95, "effective_sample_size": null, "r_hat": null}'
    """

    mean: float
    sd: float
    lower: float
    upper: float
    level: float
    effective_sample_size: float
    r_hat: float

    def __attrs_post_init__(self) -> None:
        # Numbers only; NaN is allowed (the ESS and R-hat of a chain that never moved).
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidType(
                    f"must be a number, not {type_name(value)}", path=f"$.{field.name}"
                )
            try:
                number = float(value)
            except OverflowError:  # an int beyond the float range has no float
                raise ValidationError(
                    "must be within the range of a float", path=f"$.{field.name}", code="range"
                ) from None
            object.__setattr__(self, field.name, number)

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values, None for an undefined (NaN) number: JSON as it is."""
        return {
            name: None if isinstance(value, float) and math.isnan(value) else value
            for name, value in super().to_dict().items()
        }


def summarize_draws(chains: Sequence[Sequence[float]], level: float) -> ParameterSummary:
    """The summary of one parameter's draws, chain by chain, at a checked ``level``."""
    found = interval_of([v for chain in chains for v in chain], level)
    return ParameterSummary(
        mean=found.estimate,
        sd=found.standard_error,
        lower=found.lower,
        upper=found.upper,
        level=level,
        effective_sample_size=effective_sample_size(chains),
        r_hat=split_r_hat(chains),
    )


def _check_sized(value: object, path: str, most: int) -> None:
    """A list or tuple of at most ``most`` items (checked before anything iterates it)."""
    if not isinstance(value, (tuple, list)):
        raise InvalidType(f"must be a tuple or list, not {type_name(value)}", path=path)
    if len(value) > most:
        raise ValidationError(f"must hold at most {most:,} items", path=path, code="too_many")


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
        warnings: why the draws should not be trusted, one sentence each, empty
            when none (computed from the draws): a parameter's R-hat above
            :data:`R_HAT_LIMIT` (or not computable), divergent transitions, a
            bulk effective sample size below :data:`ESS_PER_CHAIN` per chain,
            or draws that are not finite. See :attr:`ok`.
    """

    model: ModelBase
    samples: tuple[tuple[tuple[float, ...], ...], ...]
    mode: tuple[float, ...]
    step_sizes: tuple[float, ...]
    acceptance: tuple[float, ...]
    divergences: int
    warnings: tuple[str, ...] = attrs.field(init=False, default=())

    def __attrs_post_init__(self) -> None:
        given: object = self.model
        if not isinstance(given, ModelBase):
            raise InvalidType(f"must be a CLV model, not {type_name(given)}", path="$.model")
        size = len(type(self.model)._names)  # noqa: SLF001 - same package.
        chains: object = self.samples
        _check_sized(chains, "$.samples", MAX_CHAINS)
        assert isinstance(chains, (tuple, list))  # noqa: S101 - checked above.
        for c, chain in enumerate(chains):
            _check_sized(chain, f"$.samples[{c}]", MAX_DRAWS)
            for d, draw in enumerate(chain):
                where = f"$.samples[{c}][{d}]"
                _check_sized(draw, where, size)
                if len(draw) != size:
                    raise ValidationError(
                        f"must hold one value per parameter ({size})", path=where, code="shape"
                    )
                for value in draw:
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        raise InvalidType(f"must be a number, not {type_name(value)}", path=where)
        if isinstance(self.divergences, bool) or not isinstance(self.divergences, int):
            raise InvalidType(
                f"must be an int, not {type_name(self.divergences)}", path="$.divergences"
            )
        object.__setattr__(self, "warnings", _warnings_of(self))

    @property
    def ok(self) -> bool:
        """True when the sampler's diagnostics raise no :attr:`warnings`.

        Not a proof of convergence (no diagnostic is), but a posterior that is
        not ``ok`` should not be used: sample longer, give priors, or use more
        data.
        """
        return not self.warnings

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
            out[name] = summarize_draws(self.chains_of(name), chosen)
        return out

    @property
    def params(self) -> dict[str, float]:
        """Each parameter's posterior mean: a plain dict, JSON-ready."""
        return {
            name: math.fsum(draws) / len(draws)
            for name in self.names
            for draws in [self.draws_of(name)]
        }

    def to_columns(self, *, level: float = 0.95) -> dict[str, list[Any]]:
        """:meth:`summary` as columns: ``parameter``, ``mean``, ``sd``, ``lower``, ... ."""
        return keyed_columns("parameter", self.summary(level=level))

    def models(self, *, max_draws: int | None = None) -> list[Any]:
        """One model per draw (at most ``max_draws``, evenly spaced over all chains)."""
        flat = [draw for chain in self.samples for draw in chain]
        if max_draws is not None:
            limit = checked_count(max_draws, "max_draws", 1, MAX_DRAWS * MAX_CHAINS)
            if limit < len(flat):
                flat = [flat[k * len(flat) // limit] for k in range(limit)]
        return [self._model_at(draw) for draw in flat]

    def _model_at(self, draw: Sequence[float]) -> Any:
        """The model with one draw's parameters (in :attr:`names` order), nothing fitted."""
        return attrs.evolve(
            self.model,
            params=dict(zip(self.names, draw, strict=True)),
            covariance=None,
            standard_errors=None,
            log_likelihood=None,
            diagnostics=None,
        )

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


def _warnings_of(posterior: Posterior) -> tuple[str, ...]:
    """The diagnostics' verdicts on a posterior's draws (Vehtari et al. 2021, section 4)."""
    out: list[str] = []
    draws = [v for chain in posterior.samples for draw in chain for v in draw]
    if not all(math.isfinite(v) for v in draws):
        return ("some draws are not finite numbers",)
    chains = len(posterior.samples)
    worst_r_hat = 0.0
    low_ess: list[str] = []
    for name in posterior.names:
        split = posterior.chains_of(name)
        r_hat = split_r_hat(split)
        worst_r_hat = math.nan if math.isnan(r_hat) else max(worst_r_hat, r_hat)
        ess = effective_sample_size(split)
        if not ess >= ESS_PER_CHAIN * chains:
            low_ess.append(name)
        if math.isnan(worst_r_hat):
            break
    if math.isnan(worst_r_hat):
        out.append("R-hat cannot be computed (fewer than 4 draws per chain, or no spread)")
    elif worst_r_hat > R_HAT_LIMIT:
        out.append(
            f"the chains disagree: the largest R-hat is {worst_r_hat:.3g}, above {R_HAT_LIMIT}"
        )
    if posterior.divergences:
        out.append(
            f"{posterior.divergences} divergent transitions: the draws may miss part of "
            "the posterior"
        )
    if low_ess:
        out.append(
            f"too few effective draws (below {ESS_PER_CHAIN} per chain) for " + ", ".join(low_ess)
        )
    return tuple(out)


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
    discount_rate: float | Percent,
    margin: float | Percent = 1.0,
    nonpositive: NonPositive = "exclude",
    level: float = 0.95,
    max_draws: int = 1000,
) -> Interval | list[Interval]:
    """Posterior intervals of each customer's lifetime value from two independent posteriors.

    The purchase and spend likelihoods are separate and their priors
    independent, so the joint posterior is the product: the ``k``-th draw of
    each is paired (up to the shorter of the two, at most ``max_draws``,
    evenly spaced, chosen before any model is built) and
    :func:`crmcore.clv.customer_lifetime_value` evaluated per pair, with
    ``discount_rate``, ``margin`` (fractions, or :class:`Percent`) and
    ``nonpositive`` as it takes them.
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
    limit = checked_count(max_draws, "max_draws", 1, MAX_DRAWS * MAX_CHAINS)
    buys = [draw for chain in purchase_posterior.samples for draw in chain]
    spends = [draw for chain in spend_posterior.samples for draw in chain]
    pairs = min(len(buys), len(spends))
    chosen_pairs = [k * pairs // min(limit, pairs) for k in range(min(limit, pairs))]
    results = [
        customer_lifetime_value(
            purchase_posterior._model_at(buys[k]),  # noqa: SLF001 - same module.
            spend_posterior._model_at(spends[k]),  # noqa: SLF001 - same module.
            frequency,
            recency,
            T,
            monetary_value,
            horizon=horizon,
            discount_rate=discount_rate,
            margin=margin,
            nonpositive=nonpositive,
            backend="python",
        )
        for k in chosen_pairs
    ]
    return _per_draw(results, chosen)
