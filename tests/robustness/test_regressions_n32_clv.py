"""Regressions for the CLV defects the nightly fuzz profile found (s32, N1)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from tests.robustness import _corpus  # noqa: F401 - imported first: _corpus_clv needs it loaded.
from tests.robustness._corpus_clv import BG_FIT, GAMMA_COV

from crmcore.clv import GammaPrior, LogNormalPrior
from crmcore.clv.models._data import Percent
from crmcore.clv.models._tracking import TrackingCurve, first_purchases
from crmcore.clv.models._uncertainty import lifetime_value_intervals
from crmcore.errors import InvalidType, ValidationError
from crmcore.plots._tiers import clv_tier_histogram

TINY = 3.849241416522622e-290


@pytest.mark.parametrize("prior", [GammaPrior(2.0, 1.0), LogNormalPrior(1.0, 1.0)])
def test_log_density_of_a_tiny_theta_is_a_number(prior: GammaPrior | LogNormalPrior) -> None:
    # theta * theta underflowed to 0 and the curvature divided by it (ZeroDivisionError).
    assert math.isfinite(prior.log_density(TINY))


@pytest.mark.parametrize("monetary_value", [2.9824324770286e155, 1.9822723378314795e155])
def test_lifetime_value_intervals_huge_monetary_value(monetary_value: float) -> None:
    # The delta-method variance overflowed in math.fsum (ValueError / OverflowError).
    with pytest.raises(ValidationError) as caught:
        lifetime_value_intervals(
            BG_FIT,
            GAMMA_COV,
            [1, 2],
            [5.0, 10.0],
            [30.0, 30.0],
            monetary_value,
            horizon=6,
            discount_rate=0.01,
            margin=Percent(30),
            level=0.9,
        )
    assert caught.value.path == "$.monetary_value"
    assert caught.value.code == "too_large"


def test_first_purchases_signalling_nan_id() -> None:
    # Hashing Decimal('sNaN') raised TypeError.
    with pytest.raises(InvalidType) as caught:
        first_purchases([Decimal("sNaN"), "b"], [1.0, 2.0])
    assert caught.value.path == "$.customers[0]"


def test_tracking_curve_between_signalling_nan_start() -> None:
    # start == 0 raised decimal.InvalidOperation on a signalling NaN.
    curve = TrackingCurve((1.0, 2.0, 3.0), (0.0, 2.0, 3.0), (0.0, 2.0, 1.0))
    with pytest.raises(ValidationError) as caught:
        curve.between(Decimal("sNaN"), 2.0)
    assert caught.value.path == "$.start"
    assert caught.value.code == "not_finite"


def test_clv_tier_histogram_int_beyond_float_range() -> None:
    # float() of an int beyond the float range raised OverflowError.
    with pytest.raises(ValidationError) as caught:
        clv_tier_histogram({"": 10**400})
    assert caught.value.path == "$.values[*]"
    assert caught.value.code == "too_large"
