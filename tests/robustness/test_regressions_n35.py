"""Regressions for the defects the nightly fuzz profile found at stop 35.

``customer_lifetime_value`` sent CNBD-k models (``BetaGeoCnbd``,
``ModifiedBetaGeoCnbd``) down its generic path, one full forecast per period:
each period's exact series is as long as its span, so the work grew with the
square of the horizon, and the bound CNBD-k keeps on that work (its
``_value_column`` refuses a horizon whose series would pass
``MAX_VALUE_STEPS``) was never consulted. A horizon of 10,000 periods (the
documented maximum) for seven customers ran for many minutes. The models now
take the path every other purchase model takes: the same values to the bit,
and a too-long horizon refused before any work.
"""

from __future__ import annotations

import random

import pytest

from crmcore.clv import (
    BetaGeoCnbd,
    GammaGamma,
    ModifiedBetaGeoCnbd,
    customer_lifetime_value,
)
from crmcore.clv.models import _clv
from crmcore.errors import ValidationError

from ._fuzz import CALL_BUDGET, time_limit

PARAMS = {"r": 0.85, "alpha": 1.45, "a": 0.79, "b": 2.42}
SPEND = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
# The fuzz target's histories: seven customers, one of them never back.
FREQUENCY = [1, 2, 3, 1, 0, 4, 2]
RECENCY = [0.0, 3.0, 10.0, 20.0, 0.0, 28.0, 7.0]
MONETARY = [10.0, 20.0, 35.0, 12.0, 0.0, 41.0, 18.0]


@pytest.mark.parametrize("model_class", [BetaGeoCnbd, ModifiedBetaGeoCnbd])
def test_a_cnbd_lifetime_value_over_the_longest_horizon_is_refused_before_the_work(
    model_class: type[BetaGeoCnbd],
) -> None:
    model = model_class(k=2, params=PARAMS)
    with time_limit(CALL_BUDGET), pytest.raises(ValidationError) as caught:
        customer_lifetime_value(
            model,
            SPEND,
            FREQUENCY,
            RECENCY,
            30.0,
            MONETARY,
            horizon=10_000,
            discount_rate=0.01,
            margin=0.3,
        )
    problem = caught.value.problems[0]
    assert (problem.path, problem.code) == ("$.horizon", "too_large")


@pytest.mark.parametrize("model_class", [BetaGeoCnbd, ModifiedBetaGeoCnbd])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_cnbd_lifetime_values_are_the_per_period_forecasts_summed_to_the_bit(
    model_class: type[BetaGeoCnbd], k: int
) -> None:
    model = model_class(k=k, params=PARAMS)
    rng = random.Random(k)  # noqa: S311 - seeded test data, not a secret
    ages = [round(rng.uniform(5.0, 40.0), 2) for _ in FREQUENCY]
    recency = [
        0.0 if x == 0 else round(rng.uniform(0.0, t), 2)
        for x, t in zip(FREQUENCY, ages, strict=True)
    ]
    columns = [
        ("frequency", FREQUENCY),
        ("recency", recency),
        ("T", ages),
        ("monetary_value", MONETARY),
    ]
    for periods, rate in ((1, 0.0), (12, 0.01), (30, 0.05)):
        shared = customer_lifetime_value(
            model,
            SPEND,
            FREQUENCY,
            recency,
            ages,
            MONETARY,
            horizon=periods,
            discount_rate=rate,
            margin=0.3,
        )
        # One forecast per period, summed as the generic path sums any model's.
        generic = _clv._any_model(
            model.expected_purchases, SPEND, columns, periods, (rate, 0.3, "exclude")
        )
        assert shared == generic
