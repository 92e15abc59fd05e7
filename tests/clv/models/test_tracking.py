"""Tracking curves: a cohort's expected and actual repeat transactions by period."""

from __future__ import annotations

import csv
import datetime as dt
import math
import statistics

import pytest

from crmcore.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, ParetoNBD
from crmcore.clv.models._tracking import (
    TrackingCurve,
    actual_repeat_transactions,
    expected_repeat_transactions,
    first_purchases,
)
from crmcore.errors import InvalidType, ValidationError

# Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", CDNOW sample (2,357 customers).
BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
PNBD = ParetoNBD(params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
START = dt.date(1997, 1, 1).toordinal()


def _days(path, *, header: bool) -> tuple[list[str], list[int]]:
    """(customer, days since 1997-01-01) of every CDNOW transaction in the file."""
    customers, days = [], []
    with path.open(encoding="ascii") as handle:
        lines = handle.readlines()[1:] if header else handle.readlines()
    for line in lines:
        fields = line.split()
        stamp = fields[-3]
        customers.append(fields[0])
        days.append(dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:])).toordinal() - START)
    return customers, days


@pytest.fixture(scope="module")
def sample(reference_data):
    return _days(reference_data("cdnow", "CDNOW_sample.txt"), header=False)


def test_cdnow_sample_against_lifetimes_and_the_published_summary(sample, reference_data):
    """Daily ends: lifetimes 0.11.3's ``expected_cumulative_transactions`` (freq="D").

    Computed with the BG/NBD parameters above in days (alpha * 7), on CDNOW_sample.txt
    as (id, date). lifetimes' row i holds the prediction at the end of day i + 1 and the
    actual count of the days up to i; crmcore puts both at the period's end (a
    transaction at an end belongs to the period it ends, as in the RFM summaries).
    """
    customers, days = sample
    first = list(first_purchases(customers, [d / 7 for d in days]).values())
    assert len(first) == 2357
    lifetimes_predicted = {
        7: 4.412418089743077,
        31: 84.94591578456115,
        101: 855.4854011185034,
        272: 2497.5635294872795,
        401: 3369.7670879904567,
        546: 4171.433582303185,
    }
    ends = [d / 7 for d in lifetimes_predicted]
    expected = expected_repeat_transactions(BG, first, ends)
    for got, want in zip(expected.cumulative, lifetimes_predicted.values(), strict=True):
        assert abs(got - want) <= 1e-10 * want
    lifetimes_actual = {7: 3, 31: 96, 101: 964, 272: 2457, 401: 3418, 545: 4339}
    actual = actual_repeat_transactions(
        customers, [d / 7 for d in days], [d / 7 for d in lifetimes_actual]
    )
    assert list(actual.cumulative) == [float(v) for v in lifetimes_actual.values()]
    # The calibration total is the summary's total frequency (FHL's published CDNOW summary).
    with reference_data("cdnow", "cdnow_customers_summary.csv").open(encoding="ascii") as handle:
        total = math.fsum(float(row["frequency"]) for row in csv.DictReader(handle))
    assert actual.between(0, 272 / 7) == total == 2457
    # The 39-week holdout: 1,882 actual repeat transactions, 1,668.8 expected (11% under).
    holdout = expected_repeat_transactions(BG, first, [272 / 7, 545 / 7])
    assert round(holdout.incremental[1], 1) == 1668.8
    assert actual.between(272 / 7, 545 / 7) == 1882


@pytest.mark.slow
def test_cdnow_master_weekly_tracking(reference_data):
    """The full CDNOW cohort (23,570 customers), weekly, BG/NBD and Pareto/NBD fitted on 39 weeks."""
    customers, days = _days(reference_data("cdnow", "CDNOW_master.txt"), header=True)
    per: dict[str, set[int]] = {}
    for customer, day in zip(customers, days, strict=True):
        per.setdefault(customer, set()).add(day)
    x, t_x, age, first = [], [], [], []
    for purchases in per.values():
        start = min(purchases)
        calibration = sorted(d for d in purchases if d <= 272)
        x.append(len(calibration) - 1)
        t_x.append((calibration[-1] - start) / 7)
        age.append((272 - start) / 7)
        first.append(start / 7)
    weeks = [d / 7 for d in days]
    actual = actual_repeat_transactions(customers, weeks, 78)
    assert len(per) == 23570
    assert actual.total == 44021
    assert math.fsum(actual.incremental) == actual.total
    bg = BetaGeo().fit(x, t_x, age)
    pnbd = ParetoNBD().fit(x, t_x, age)
    ends = [272 / 7, 545 / 7]
    calibration = actual_repeat_transactions(customers, weeks, ends)
    assert calibration.cumulative == (24337.0, 44021.0) == (float(sum(x)), 44021.0)
    for model in (bg, pnbd):
        weekly = expected_repeat_transactions(model, first, 78)
        assert len(weekly.incremental) == 78
        curve = expected_repeat_transactions(model, first, ends)
        # In calibration the fitted models track the actual total within 1.5%;
        # both under-forecast the 39-week holdout (BG/NBD 16,849, Pareto/NBD 17,535
        # against 19,684 actual), as the papers report for the CDNOW sample.
        assert abs(curve.cumulative[0] / 24337 - 1) < 0.015
        assert 0.8 < curve.incremental[1] / 19684 < 0.95


@pytest.mark.parametrize("model", [BG, PNBD], ids=["BG", "PNBD"])
def test_expected_curve_matches_a_seeded_simulation(model):
    first = [i / 10 for i in range(200)] * 15  # 3,000 customers joining over 20 weeks
    end = 40.0
    simulated = model.simulate(len(first), [end - t for t in first], seed=2029)
    counts = simulated["frequency"]
    total = math.fsum(counts)
    se = statistics.pstdev(counts) * math.sqrt(len(counts))
    curve = expected_repeat_transactions(model, first, [10.0, 25.0, end])
    assert abs(curve.total - total) <= 4 * se
    # The curve is each customer's own expectation, summed.
    direct = math.fsum(model.expected_purchases_new(max(0.0, 25.0 - t)) for t in first)
    assert abs(curve.cumulative[1] - direct) <= 1e-9 * direct


def test_shapes_and_weights():
    curve = expected_repeat_transactions(PNBD, [0.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    weighted = expected_repeat_transactions(PNBD, [0.0, 2.0], [1.0, 2.0, 3.0], weights=[1, 2])
    assert curve.cumulative == pytest.approx(weighted.cumulative, rel=1e-15)
    assert curve.incremental[1] == pytest.approx(curve.cumulative[1] - curve.cumulative[0])
    assert curve.cumulative[1] == PNBD.expected_purchases_new(2.0)  # joiners at 2 add nothing yet
    late = expected_repeat_transactions(PNBD, [5.0], 3)
    assert late.cumulative == (0.0, 0.0, 0.0)
    skipped = expected_repeat_transactions(PNBD, [0.0, 1.0], 2, weights=[1, 0])
    assert skipped.cumulative == (
        PNBD.expected_purchases_new(1.0),
        PNBD.expected_purchases_new(2.0),
    )


def test_bgbb_counts_opportunities():
    bgbb = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    curve = expected_repeat_transactions(bgbb, [0, 1, 1], 4)
    want = [
        bgbb.expected_purchases_new(k) + 2 * bgbb.expected_purchases_new(max(0, k - 1))
        for k in range(1, 5)
    ]
    assert list(curve.cumulative) == pytest.approx(want, rel=1e-14)
    with pytest.raises(ValidationError) as caught:
        expected_repeat_transactions(bgbb, [0, 0.5], 4)
    assert (caught.value.path, caught.value.code) == ("$.first_purchase[1]", "not_whole")
    with pytest.raises(ValidationError) as caught:
        expected_repeat_transactions(bgbb, [0], [1, 2.5])
    assert (caught.value.path, caught.value.code) == ("$.period_ends[1]", "not_whole")


def test_actual_curve_rules():
    customers = ["a", "a", "a", "a", "b", "b", "c"]
    times = [0.0, 0.0, 1.5, 3.0, 1.0, 2.0, 9.0]
    merged = actual_repeat_transactions(customers, times, 3)
    assert merged == TrackingCurve((1.0, 2.0, 3.0), (0.0, 2.0, 3.0), (0.0, 2.0, 1.0))
    raw = actual_repeat_transactions(customers, times, 3, merge_same_time=False)
    assert raw.incremental == (1.0, 2.0, 1.0)  # a's second purchase at 0 counts
    assert merged.between(1.0, 3.0) == 3.0
    assert merged.between(0, 2.0) == 2.0
    with pytest.raises(ValidationError) as caught:
        merged.between(0, 2.5)
    assert caught.value.path == "$.end"
    assert first_purchases([1, 2, 1], [3.0, 1.0, 2.0]) == {1: 2.0, 2: 1.0}


@pytest.mark.parametrize(
    ("call", "path", "kind"),
    [
        (
            lambda: expected_repeat_transactions(
                GammaGamma(params={"p": 1, "q": 2, "v": 3}), [0], 2
            ),
            "$.model",
            InvalidType,
        ),
        (lambda: expected_repeat_transactions(BG, [0], 0), "$.period_ends", ValidationError),
        (lambda: expected_repeat_transactions(BG, [0], 2.0), "$.period_ends", InvalidType),
        (lambda: expected_repeat_transactions(BG, [0], True), "$.period_ends", InvalidType),
        (
            lambda: expected_repeat_transactions(BG, [0], [1, 1]),
            "$.period_ends[1]",
            ValidationError,
        ),
        (
            lambda: expected_repeat_transactions(BG, [0], [0, 1]),
            "$.period_ends[0]",
            ValidationError,
        ),
        (
            lambda: expected_repeat_transactions(BG, [0], [1, 2e7]),
            "$.period_ends[1]",
            ValidationError,
        ),
        (lambda: expected_repeat_transactions(BG, [0], []), "$.period_ends", ValidationError),
        (lambda: expected_repeat_transactions(BG, [], 2), "$.first_purchase", ValidationError),
        (
            lambda: expected_repeat_transactions(BG, [0, -1], 2),
            "$.first_purchase[1]",
            ValidationError,
        ),
        (
            lambda: expected_repeat_transactions(BG, [2e7], 2),
            "$.first_purchase[0]",
            ValidationError,
        ),
        (
            lambda: expected_repeat_transactions(BG, [0], 2, weights=[-1]),
            "$.weights[0]",
            ValidationError,
        ),
        (lambda: actual_repeat_transactions("abc", [0, 1, 2], 2), "$.customers", InvalidType),
        (lambda: actual_repeat_transactions([[1], [2]], [0, 1], 2), "$.customers[0]", InvalidType),
        (
            lambda: actual_repeat_transactions([1.0, math.nan], [0, 1], 2),
            "$.customers[1]",
            InvalidType,
        ),
        (lambda: actual_repeat_transactions([1, 2], [0], 2), "$.times", ValidationError),
        (lambda: actual_repeat_transactions([1, 2], [0, -1], 2), "$.times[1]", ValidationError),
        (lambda: actual_repeat_transactions([], [], 2), "$.customers", ValidationError),
        (
            lambda: actual_repeat_transactions([1], [0], 2, merge_same_time=1),
            "$.merge_same_time",
            InvalidType,
        ),
    ],
)
def test_bad_arguments(call, path, kind):
    with pytest.raises(kind) as caught:
        call()
    assert caught.value.path == path


def test_a_curve_too_costly_to_build_is_refused_before_the_work():
    """Distinct first purchases times period ends is bounded."""
    model = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    with pytest.raises(ValidationError) as caught:
        expected_repeat_transactions(model, [i * 0.5 for i in range(2001)], 1000)
    assert (caught.value.path, caught.value.code) == ("$.first_purchase", "too_much_work")


@pytest.mark.parametrize("junk", ["1", None, [1.0]])
def test_between_takes_numbers(junk):
    curve = actual_repeat_transactions(["a", "a", "a"], [0.0, 1.0, 2.0], 3)
    with pytest.raises(ValidationError) as caught:
        curve.between(junk, 2.0)
    assert caught.value.path == "$.start"
