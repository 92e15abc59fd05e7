"""Tests for `crmcore.clv.models._sbg`: the shifted-beta-geometric retention model."""

import math
import time

import pytest

from crmcore import ValidationError
from crmcore.clv import ShiftedBetaGeometric
from crmcore.clv.models._sbg import _residual_integral, _residual_series

# Fader & Hardie (2007), "How to Project Customer Retention", Journal of
# Interactive Marketing 21(1), Table 1: survivors of 1000 customers per segment
# after each year; the model is calibrated on years 1-7.
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def test_reproduces_the_published_high_end_fit():
    """High End, years 1-7: alpha 0.668, beta 3.806 (Fader & Hardie 2007)."""
    model = ShiftedBetaGeometric().fit(HIGH_END[:8])
    assert pytest.approx([0.668, 3.806], abs=5e-4) == list(model.params.values())


def test_reproduces_the_published_regular_fit():
    """Regular, years 1-7: alpha 0.704, beta 1.182 (Fader & Hardie 2007)."""
    model = ShiftedBetaGeometric().fit(REGULAR[:8])
    assert pytest.approx([0.704, 1.182], abs=5e-4) == list(model.params.values())


def test_log_likelihood_at_alpha_beta_one():
    """At alpha = beta = 1 the High End log-likelihood is -2115.5 (FH 2007 spreadsheet's -2.115 per customer)."""
    model = ShiftedBetaGeometric(params={"alpha": 1.0, "beta": 1.0}).fit(
        HIGH_END[:8], max_iterations=0, require_convergence=False
    )
    assert pytest.approx(-2115.5, abs=0.1) == model.log_likelihood


def test_projection_tracks_the_holdout_years():
    """Projected survivors for years 8-12 stay within 2 points of the observed ones (FH 2007, Figure 3)."""
    model = ShiftedBetaGeometric().fit(HIGH_END[:8])
    projected = [1000 * v for v in model.survival(range(8, 13))]
    assert all(abs(p - o) < 20 for p, o in zip(projected, HIGH_END[8:], strict=True))


def test_survival_is_the_product_of_retention_rates():
    """S(t) = prod_{i<=t} r_i, and P(T = t) = S(t-1) - S(t) (FH 2007, eq. 1, 6, 8)."""
    model = ShiftedBetaGeometric(params={"alpha": 0.668, "beta": 3.806})
    rates = model.retention_rate(range(1, 11))
    survival = model.survival(range(11))
    assert 1.0 == survival[0]
    assert pytest.approx(math.prod(rates), rel=1e-12) == survival[10]
    assert pytest.approx(survival[4] - survival[5], rel=1e-12) == model.churn_probability(5)


def test_discounted_expected_residual_lifetime():
    """High End after 7 renewals at 10%: DERL 7.530 (as in the sBG reference implementation)."""
    model = ShiftedBetaGeometric().fit(HIGH_END[:8])
    assert pytest.approx(7.530, abs=5e-4) == model.discounted_expected_residual_lifetime(
        0.1, renewals=7
    )


def test_residual_lifetime_is_a_discounted_sum_of_survival():
    """DERL(d, n) = sum_j S(n+1+j)/S(n)/(1+d)^j, summed directly."""
    model = ShiftedBetaGeometric(params={"alpha": 2.0, "beta": 5.0})
    survival = model.survival(range(3, 3000))
    direct = math.fsum(s / survival[0] / 1.2**j for j, s in enumerate(survival[1:]))
    assert pytest.approx(direct, rel=1e-10) == model.discounted_expected_residual_lifetime(
        0.2, renewals=3
    )


def test_simulation_recovers_the_parameters():
    """A simulated cohort of 20000 over 10 periods recovers the parameters within four standard errors."""
    truth = {"alpha": 0.9, "beta": 2.5}
    counts = ShiftedBetaGeometric(params=truth).simulate(20000, 10, seed=2)
    fitted = ShiftedBetaGeometric().fit(counts)
    for name, value in truth.items():
        assert abs(fitted.params[name] - value) < 4 * fitted.standard_errors[name], name


def test_increasing_survivor_counts_are_rejected():
    """Survivors never increase; the error names the index."""
    with pytest.raises(ValidationError) as caught:
        ShiftedBetaGeometric().fit([100, 80, 90])
    assert ("$.survivors[2]", "increasing") == (caught.value.path, caught.value.code)


def test_discount_rate_must_be_positive():
    """Without discounting the residual lifetime can diverge, so d = 0 is refused."""
    with pytest.raises(ValidationError) as caught:
        ShiftedBetaGeometric(
            params={"alpha": 1.0, "beta": 1.0}
        ).discounted_expected_residual_lifetime(0.0)
    assert "$.discount_rate" == caught.value.path


@pytest.mark.parametrize("rate", [1e-9, 1e-6, 1e-4])
def test_small_discount_rates_are_integrated_quickly(rate):
    """D38: a tiny discount rate no longer sums millions of terms; both methods agree."""
    model = ShiftedBetaGeometric(params={"alpha": 0.668, "beta": 3.806})
    started = time.perf_counter()
    value = model.discounted_expected_residual_lifetime(rate, renewals=1)
    assert time.perf_counter() - started < 0.5
    assert value > model.discounted_expected_residual_lifetime(0.01, renewals=1)
    for alpha, beta, d in [(0.668, 4.806, 0.01), (1.2, 0.7, 0.001), (50.0, 200.0, 0.05)]:
        assert pytest.approx(_residual_series(alpha, beta, d), rel=1e-9) == _residual_integral(
            alpha, beta, d
        )


def test_a_discount_rate_above_one_is_refused():
    """A rate of 10 per period is a percentage by mistake: refused with a hint."""
    with pytest.raises(ValidationError) as caught:
        ShiftedBetaGeometric(
            params={"alpha": 0.668, "beta": 3.806}
        ).discounted_expected_residual_lifetime(10)
    assert "not_fraction" == caught.value.code


def test_simulation_periods_are_bounded():
    """D34: n_customers x periods is bounded; 2**63 customers are refused at once."""
    model = ShiftedBetaGeometric(params={"alpha": 0.668, "beta": 3.806})
    with pytest.raises(ValidationError):
        model.simulate(2**63, 4, seed=1)
    with pytest.raises(ValidationError):
        model.simulate(1_000, 2**63, seed=1)
