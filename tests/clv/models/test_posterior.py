"""The seeded posterior sampler (crmcore.clv.models._posterior): correctness, diagnostics, bad input."""

from __future__ import annotations

import csv
import math
import random
import time

import pytest

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ParetoNBD,
    Percent,
    ShiftedBetaGeometric,
)
from crmcore.clv.models import _posterior
from crmcore.clv.models._mcmc import effective_sample_size, ess_geyer, split_r_hat
from crmcore.clv.models._posterior import (
    Posterior,
    posterior_lifetime_value_intervals,
    run_chains,
    sample_posterior,
)
from crmcore.clv.models._priors import GammaPrior
from crmcore.errors import InvalidType, ValidationError

PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SMALL = {"draws": 60, "warmup": 60, "chains": 2}


@pytest.fixture(scope="module")
def simulated():
    data = BetaGeo(params=PARAMS).simulate(1000, 38.86, seed=12)
    return {"frequency": data["frequency"], "recency": data["recency"], "T": data["T"]}


@pytest.fixture(scope="module")
def posterior(simulated):
    return sample_posterior(BetaGeo(), simulated, seed=5, **SMALL)


@pytest.fixture(scope="module")
def spend_posterior():
    data = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44}).simulate(
        [1, 2, 3, 4, 5] * 40, seed=3
    )
    return sample_posterior(GammaGamma(), data, seed=2, **SMALL)


def _gaussian(mu, sd, rho):
    def density(x):
        u = (x[0] - mu[0]) / sd[0]
        v = (x[1] - mu[1]) / sd[1]
        scale = 1 - rho * rho
        q = (u * u - 2 * rho * u * v + v * v) / scale
        return -q / 2, [-(u - rho * v) / scale / sd[0], -(v - rho * u) / scale / sd[1]]

    return density


def test_the_kernel_recovers_a_correlated_gaussian():
    """Means and sds of N((1, -2), sds (0.5, 3), correlation 0.9) within 4 Monte Carlo standard errors."""
    run = run_chains(
        _gaussian((1.0, -2.0), (0.5, 3.0), 0.9),
        [0.0, 0.0],
        random.Random(3),  # noqa: S311 - a seeded test
        draws=1000,
        warmup=300,
        chains=4,
        leapfrog_steps=3,
        target_acceptance=0.8,
    )
    assert run.divergences == 0
    assert run.mode == pytest.approx((1.0, -2.0), abs=1e-6)
    for i, (mu, sd) in enumerate([(1.0, 0.5), (-2.0, 3.0)]):
        chains = [[draw[i] for draw in chain] for chain in run.samples]
        flat = [v for c in chains for v in c]
        mean = sum(flat) / len(flat)
        spread = math.sqrt(sum((v - mean) ** 2 for v in flat) / (len(flat) - 1))
        ess = effective_sample_size(chains)
        assert ess > 1000
        assert abs(mean - mu) < 4 * sd / math.sqrt(ess)
        # The sd's Monte Carlo error is about sd / sqrt(2 ESS).
        assert abs(spread - sd) < 4 * sd / math.sqrt(2 * ess)
        assert split_r_hat(chains) < 1.01


def _ar1(rho, chains, length, seed):
    rng = random.Random(seed)  # noqa: S311 - a seeded test
    out = []
    for _ in range(chains):
        x = rng.gauss(0, 1 / math.sqrt(1 - rho * rho))
        chain = []
        for _ in range(length):
            x = rho * x + rng.gauss(0, 1)
            chain.append(x)
        out.append(chain)
    return out


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_effective_sample_size_of_ar1_chains(rho):
    """An AR(1) chain's integrated autocorrelation time is (1 + rho)/(1 - rho): ESS = S (1 - rho)/(1 + rho)."""
    chains = _ar1(rho, 4, 5000, seed=7)
    expected = 20000 * (1 - rho) / (1 + rho)
    assert ess_geyer(chains) == pytest.approx(expected, rel=0.12)
    assert effective_sample_size(chains) == pytest.approx(expected, rel=0.12)


def test_r_hat_flags_chains_that_disagree():
    chains = _ar1(0.3, 4, 1000, seed=1)
    assert split_r_hat(chains) < 1.01
    shifted = [[v + (1.0 if k == 0 else 0.0) for v in c] for k, c in enumerate(chains)]
    assert split_r_hat(shifted) > 1.05
    # A chain that drifts disagrees with itself: split R-hat sees it even for one chain.
    drifting = [[v + 0.01 * i for i, v in enumerate(chains[0])]]
    assert split_r_hat(drifting) > 1.1
    # A chain twice as wide is caught by the folded R-hat.
    wide = [[v * (3.0 if k == 0 else 1.0) for v in c] for k, c in enumerate(chains)]
    assert split_r_hat(wide) > 1.05


def test_diagnostics_need_draws_and_spread():
    assert math.isnan(split_r_hat([[1.0, 2.0, 3.0]]))
    assert math.isnan(effective_sample_size([[1.0, 2.0]]))
    assert math.isnan(split_r_hat([[1.0] * 10, [1.0] * 10]))
    assert math.isnan(ess_geyer([[1.0] * 10, [1.0] * 10]))
    assert math.isnan(split_r_hat([]))


def test_the_same_seed_gives_the_same_draws(simulated, posterior):
    again = sample_posterior(BetaGeo(), simulated, seed=5, **SMALL)
    assert again.samples == posterior.samples
    other = sample_posterior(BetaGeo(), simulated, seed=6, **SMALL)
    assert other.samples != posterior.samples


def test_a_posterior_has_its_shape_and_diagnostics(posterior):
    assert posterior.names == ("r", "alpha", "a", "b")
    assert len(posterior.samples) == 2
    assert all(len(chain) == 60 for chain in posterior.samples)
    assert all(len(draw) == 4 for chain in posterior.samples for draw in chain)
    assert all(0.3 < a <= 1 for a in posterior.acceptance)
    assert posterior.divergences == 0
    summary = posterior.summary(level=0.9)
    for name in posterior.names:
        s = summary[name]
        assert s.lower < s.mean < s.upper
        assert s.level == 0.9
        assert s.effective_sample_size > 20
        assert s.r_hat < 1.1
        assert len(posterior.draws_of(name)) == 120


def test_priors_are_taken_with_the_jacobian(simulated, monkeypatch):
    """A tight prior on log r at log 0.5 (sd 0.01) must pull every draw of r there."""
    seen = []

    def tight(priors, names, log_params, *, jacobian):
        seen.append((dict(priors), tuple(names), jacobian))
        z = (log_params[0] - math.log(0.5)) / 0.01
        return -0.5 * z * z, [-z / 0.01, 0.0, 0.0, 0.0]

    monkeypatch.setattr(_posterior, "prior_terms", tight)
    found = sample_posterior(BetaGeo(), simulated, seed=1, priors={"r": "tight"}, **SMALL)
    assert seen[0] == ({"r": "tight"}, ("r", "alpha", "a", "b"), True)
    assert all(0.45 < r < 0.55 for r in found.draws_of("r"))


def test_per_customer_posterior_intervals(posterior, spend_posterior):
    histories = ([2, 0, 5], [30.43, 0, 20.0], [38.86, 38.86, 38.86])
    alive = posterior.probability_alive_intervals(*histories, max_draws=50)
    assert len(alive) == 3
    assert alive[1].estimate == alive[1].lower == alive[1].upper == 1.0
    models = posterior.models(max_draws=50)
    assert len(models) == 50
    values = sorted(m.probability_alive(2, 30.43, 38.86) for m in models)
    assert alive[0].estimate == pytest.approx(sum(values) / 50, rel=1e-12)
    assert values[0] <= alive[0].lower < alive[0].upper <= values[-1]
    one = posterior.expected_purchases_intervals(39, 2, 30.43, 38.86, level=0.5)
    assert one.lower < one.estimate < one.upper
    assert one.level == 0.5
    value = posterior_lifetime_value_intervals(
        posterior,
        spend_posterior,
        *histories,
        [22.35, 0, 40.0],
        horizon=52,
        discount_rate=0.0018,
        max_draws=40,
    )
    assert len(value) == 3
    assert all(v.lower <= v.estimate <= v.upper for v in value)
    assert value[2].estimate > value[1].estimate


@pytest.mark.slow
def test_cdnow_posterior_agrees_with_the_mle_and_its_standard_errors(reference_data):
    """BG/NBD on CDNOW (n = 2,357): posterior mean and sd of each log-parameter against the MLE and its SE.

    By Bernstein-von Mises the posterior is N(MLE, inverse information) up to
    terms of relative order n^-1/2: the mean may differ from the MLE by a
    fraction of an SE that grows with the likelihood's skewness. r and alpha
    are estimated from every customer and their likelihood is near quadratic
    (measured: mean offsets under 0.01 SE, sds within 1%); a and b only from
    the repeat buyers' drop-out and are skewed (measured with 4,000 draws:
    offsets 0.14 and 0.16 SE, sds 8% wider). Monte Carlo error with about 1,500
    effective draws adds 1/sqrt(1500) = 0.026 SE to a mean. Tolerances: mean
    offsets 0.1 SE (r, alpha) and 0.3 SE (a, b); sd ratios 0.93-1.07 and
    0.95-1.2. The prior (Normal(0, 10^2) on each log) moves nothing measurable.
    """
    path = reference_data("cdnow", "cdnow_customers_summary.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    data = {k: [float(r[k]) for r in rows] for k in ("frequency", "recency", "T")}
    fitted = BetaGeo().fit(data["frequency"], data["recency"], data["T"])
    found = sample_posterior(BetaGeo(), data, seed=1, draws=400, warmup=200, chains=4)
    assert found.divergences == 0
    assert found.ok, found.warnings
    limits = {
        "r": (0.1, 0.93, 1.07),
        "alpha": (0.1, 0.93, 1.07),
        "a": (0.3, 0.95, 1.2),
        "b": (0.3, 0.95, 1.2),
    }
    for name, (offset, low, high) in limits.items():
        logs = [math.log(v) for v in found.draws_of(name)]
        mean = sum(logs) / len(logs)
        sd = math.sqrt(sum((v - mean) ** 2 for v in logs) / (len(logs) - 1))
        se = fitted.standard_errors[name] / fitted.params[name]  # delta method to the log scale
        assert abs(mean - math.log(fitted.params[name])) < offset * se, name
        assert low < sd / se < high, name
        assert split_r_hat(found.chains_of(name)) < 1.01
        assert effective_sample_size(found.chains_of(name)) > 800
    assert found.mode == pytest.approx(tuple(fitted.params.values()), rel=1e-3)


def test_bgbb_and_pareto_models_are_sampled():
    bgbb = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    data = bgbb.simulate(200, 6, seed=1)
    found = sample_posterior(BetaGeoBetaBinom(), data, seed=1, draws=30, warmup=40, chains=2)
    assert found.names == ("alpha", "beta", "gamma", "delta")
    assert found.probability_alive_intervals(2, 4, 6, max_draws=10).estimate > 0
    pareto = ParetoNBD(params={"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
    data = pareto.simulate(150, 38.86, seed=2)
    found = sample_posterior(pareto, data, seed=1, draws=20, warmup=20, chains=1, leapfrog_steps=1)
    assert len(found.samples) == 1
    assert len(found.samples[0]) == 20
    assert math.isnan(found.summary()["r"].r_hat) is False


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"draws": 0}, "$.draws"),
        ({"draws": 1.5}, "$.draws"),
        ({"chains": 0}, "$.chains"),
        ({"chains": True}, "$.chains"),
        ({"warmup": -1}, "$.warmup"),
        ({"leapfrog_steps": 0}, "$.leapfrog_steps"),
        ({"leapfrog_steps": 101}, "$.leapfrog_steps"),
        ({"target_acceptance": 1.0}, "$.target_acceptance"),
        ({"seed": "1"}, "$.seed"),
        ({"priors": [1, 2]}, "$.priors"),
        ({"draws": 10**6}, "$.draws"),
    ],
)
def test_bad_settings_are_refused_by_name(simulated, options, path):
    arguments = {"seed": 1, **options}
    with pytest.raises(ValidationError) as caught:
        sample_posterior(BetaGeo(), simulated, **arguments)
    assert caught.value.problems[0].path == path


def test_bad_data_and_models_are_refused_by_name(simulated):
    cases = [
        (BetaGeo(), [1, 2], "$.data"),
        (BetaGeo(), {"frequency": [1], "recency": [1.0]}, "$.data.T"),
        (BetaGeo(), {**simulated, "spend": [1.0]}, "$.data"),
        (BetaGeo(), {"frequency": [1], "recency": [2.0], "T": [1.0]}, "$.recency[0]"),
        (ShiftedBetaGeometric(), simulated, "$.model"),
        ("BetaGeo", simulated, "$.model"),
        (GammaGamma(), {"frequency": [0, 0], "monetary_value": [0.0, 0.0]}, "$.data.frequency"),
    ]
    for model, data, path in cases:
        with pytest.raises(ValidationError) as caught:
            sample_posterior(model, data, seed=1, draws=5, warmup=0)
        assert caught.value.problems[0].path == path, path


def test_posterior_questions_with_bad_arguments_are_named(posterior, spend_posterior):
    with pytest.raises(ValidationError) as caught:
        posterior.summary(level=1.0)
    assert caught.value.problems[0].path == "$.level"
    with pytest.raises(ValidationError) as caught:
        posterior.probability_alive_intervals(2, 30.43, 38.86, level=0)
    assert caught.value.problems[0].path == "$.level"
    with pytest.raises(ValidationError) as caught:
        posterior.models(max_draws=0)
    assert caught.value.problems[0].path == "$.max_draws"
    with pytest.raises(ValidationError) as caught:
        posterior.draws_of("gamma")
    assert caught.value.problems[0].path == "$.name"
    with pytest.raises(InvalidType) as caught:
        spend_posterior.expected_purchases_intervals(1, 2, 30.43, 38.86)
    assert caught.value.problems[0].path == "$.posterior"
    for first, second, path in [
        ("x", spend_posterior, "$.purchase_posterior"),
        (posterior, posterior, "$.spend_posterior"),
        (spend_posterior, spend_posterior, "$.posterior"),
    ]:
        with pytest.raises(InvalidType) as caught:
            posterior_lifetime_value_intervals(
                first, second, 2, 30.43, 38.86, 22.35, horizon=5, discount_rate=0.01
            )
        assert caught.value.problems[0].path == path
    assert isinstance(posterior, Posterior)


def test_a_model_whose_mode_has_no_curvature_still_samples():
    """A flat density (no Hessian at the mode): the sampler falls back to a fixed metric."""
    run = run_chains(
        lambda x: (0.0, [0.0 for _ in x]),
        [0.0, 0.0],
        random.Random(1),  # noqa: S311 - a seeded test
        draws=5,
        warmup=0,
        chains=1,
        leapfrog_steps=1,
        target_acceptance=0.8,
    )
    assert len(run.samples[0]) == 5


# --- R1 items 2-5: priors, the spend policy, bounded work, warnings ----------------------


def test_omitted_parameters_get_the_default_prior(simulated):
    """R1 item 3: ``priors={}`` left every parameter flat in theta (improper); now as None."""
    objective, _, _ = _posterior._likelihood(BetaGeo(), simulated)
    names = ("r", "alpha", "a", "b")
    default = _posterior._log_posterior(objective, None, names)
    empty = _posterior._log_posterior(objective, {}, names)
    one = _posterior._log_posterior(objective, {"r": GammaPrior(2.0, 4.0)}, names)
    for phi in ([-1.4, 1.5, -0.2, 0.9], [0.3, -2.0, 1.0, 4.0]):
        assert empty(phi) == default(phi)
        value, grad = one(phi)
        base, base_grad = default(phi)
        # Only r's prior changes: the default Normal(0, 10^2) on log r out, Gamma(2, 4) on r
        # with its Jacobian in: log(16) + log r - 4 r + log r, by hand.
        r = math.exp(phi[0])
        change = math.log(16.0) + 2 * phi[0] - 4.0 * r + phi[0] ** 2 / 200.0
        assert value == pytest.approx(base + change, rel=1e-12)
        assert grad[0] == pytest.approx(base_grad[0] + 2.0 - 4.0 * r + phi[0] / 100.0, rel=1e-12)
        assert grad[1:] == pytest.approx(base_grad[1:], rel=1e-15)


def test_the_spend_sampler_takes_the_fits_policy():
    """R1 item 4: the fit left a zero spend out, the sampler refused it ($.monetary_value[2])."""
    x, m = [2, 3, 1, 4, 2, 5, 1], [10.0, 12.0, 0.0, 9.0, 11.0, 14.0, 8.0]
    assert GammaGamma().fit(x, m, require_convergence=False).excluded_rows == (2,)
    options = {"seed": 1, "draws": 10, "warmup": 10, "chains": 1}
    kept = sample_posterior(GammaGamma(), {"frequency": x, "monetary_value": m}, **options)
    without = {"frequency": x[:2] + x[3:], "monetary_value": m[:2] + m[3:]}
    assert kept.samples == sample_posterior(GammaGamma(), without, **options).samples
    data = {"frequency": x, "monetary_value": m}
    with pytest.raises(ValidationError) as caught:
        sample_posterior(GammaGamma(), data, nonpositive="refuse", **options)
    assert caught.value.problems[0].path == "$.monetary_value[2]"
    with pytest.raises(ValidationError) as caught:
        sample_posterior(GammaGamma(), data, nonpositive="drop", **options)
    assert caught.value.problems[0].path == "$.nonpositive"


def test_the_sampler_refuses_unbounded_work_before_starting(simulated):
    """R1 item 5: 64 chains of 200,000 iterations of 199 steps was accepted (about 2.5e9 evaluations)."""
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        sample_posterior(
            BetaGeo(),
            simulated,
            seed=1,
            chains=64,
            draws=100_000,
            warmup=100_000,
            leapfrog_steps=100,
        )
    assert (caught.value.problems[0].path, caught.value.problems[0].code) == (
        "$.draws",
        "too_much_work",
    )
    assert time.perf_counter() - started < 2.0
    _posterior._check_work(4, 1500, 3, 1000)  # the defaults on 1,000 histories: accepted
    with pytest.raises(ValidationError):
        _posterior._check_work(4, 1500, 3, 40_000)


def _random_walks(chains, length, seed):
    rng = random.Random(seed)  # noqa: S311 - a seeded test
    out = []
    for _ in range(chains):
        x, chain = 0.0, []
        for _ in range(length):
            x += rng.gauss(0, 1)
            chain.append(x)
        out.append(chain)
    return out


def _ess_direct(chains):
    """ESS with every autocovariance summed directly (the O(n^2) definition), for reference."""
    m, n = len(chains), len(chains[0])
    means = [sum(c) / n for c in chains]
    acov = [
        [sum((c[i] - mu) * (c[i + k] - mu) for i in range(n - k)) / n for k in range(n)]
        for c, mu in zip(chains, means, strict=True)
    ]
    within = sum(a[0] * n / (n - 1) for a in acov) / m
    grand = sum(means) / m
    var_plus = within * (n - 1) / n + sum((mu - grand) ** 2 for mu in means) / (m - 1)
    rho = [1 - (within - sum(a[k] for a in acov) / m) / var_plus for k in range(n)]
    total, previous, lag = 0.0, math.inf, 0
    while lag + 1 < n:
        pair = rho[lag] + rho[lag + 1]
        if pair <= 0:
            break
        pair = min(pair, previous)
        total, previous, lag = total + pair, pair, lag + 2
    return m * n / max(-1 + 2 * total, 1 / math.log10(m * n))


def test_the_ess_of_stuck_chains_is_exact_and_fast():
    """R1 item 5: a stuck chain summed every lag directly (8,000 draws: 21 s a parameter)."""
    walks = _random_walks(3, 400, seed=4)
    assert ess_geyer(walks) == pytest.approx(_ess_direct(walks), rel=1e-9)
    long = _random_walks(4, 8000, seed=1)
    started = time.perf_counter()
    found = effective_sample_size(long)
    assert time.perf_counter() - started < 10.0  # measured 2.4 s (was 21 s)
    assert found < 50  # a random walk has almost no independent draws


def _posterior_of(chains, divergences=0):
    return Posterior(
        model=GammaGamma(),
        samples=tuple(tuple((a, a, a) for a in chain) for chain in chains),
        mode=(1.0, 1.0, 1.0),
        step_sizes=(0.5,) * len(chains),
        acceptance=(0.8,) * len(chains),
        divergences=divergences,
    )


def test_a_posterior_says_whether_it_can_be_trusted():
    """R1 item 2: R-hat 3, 297 divergences, a = 1e15 came back with no word of warning."""
    rng = random.Random(2)  # noqa: S311 - a seeded test
    good = [[math.exp(rng.gauss(0, 0.1)) for _ in range(500)] for _ in range(4)]
    assert _posterior_of(good).ok
    assert _posterior_of(good).warnings == ()
    apart = [[v * (3.0 if k == 0 else 1.0) for v in c] for k, c in enumerate(good)]
    found = _posterior_of(apart)
    assert not found.ok
    assert "R-hat" in found.warnings[0]
    assert "3 divergent" in _posterior_of(good, divergences=3).warnings[0]
    sticky = [[c[i // 50 * 50] for i in range(500)] for c in good]
    assert any("effective draws" in w for w in _posterior_of(sticky).warnings)
    assert "cannot be computed" in _posterior_of([[1.0, 2.0, 3.0]]).warnings[0]
    assert "not finite" in _posterior_of([[1.0, math.inf, 2.0, 3.0]]).warnings[0]


def test_the_small_bgnbd_posterior_is_flagged():
    """The reviewer's 50 customers: the likelihood has no maximum (a, b run off together)."""
    rng = random.Random(2)  # noqa: S311 - the reviewer's seeded ages
    ages = [round(rng.uniform(27, 39), 2) for _ in range(50)]
    data = BetaGeo(params={"r": 0.5, "alpha": 2.0, "a": 2.0, "b": 8.0}).simulate(50, ages, seed=2)
    found = sample_posterior(BetaGeo(), data, seed=3, draws=100, warmup=100)
    assert not found.ok
    assert found.warnings


def test_posterior_lifetime_values_build_only_the_models_they_use(
    posterior, spend_posterior, monkeypatch
):
    """R1 item 5: a model per draw (up to 6.4e6) was built before subsampling to max_draws."""
    built = []
    original = Posterior._model_at

    def counting(self, draw):
        built.append(draw)
        return original(self, draw)

    monkeypatch.setattr(Posterior, "_model_at", counting)
    value = posterior_lifetime_value_intervals(
        posterior,
        spend_posterior,
        2,
        30.43,
        38.86,
        22.35,
        horizon=5,
        discount_rate=0.01,
        max_draws=7,
    )
    assert len(built) == 14
    assert value.lower <= value.estimate <= value.upper
    with pytest.raises(ValidationError) as caught:
        posterior_lifetime_value_intervals(
            posterior,
            spend_posterior,
            [2, 3],
            [30.43, 20.0],
            38.86,
            [22.35, 0.0],
            horizon=5,
            discount_rate=Percent(1),
            max_draws=3,
            nonpositive="refuse",
        )
    assert caught.value.problems[0].path == "$.monetary_value[1]"
