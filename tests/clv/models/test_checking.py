"""Tests for `crmcore.clv.models._checking`: goodness of fit, holdout metrics, model comparison."""

import collections
import csv
import datetime as dt
import math
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._optional import in_ci

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModelError,
    ModifiedBetaGeo,
    NotFittedError,
    ParetoNBD,
)
from crmcore.clv.models._checking import (
    GoodnessOfFit,
    HistogramCell,
    Holdout,
    compare_models,
    goodness_of_fit,
    period_errors,
)
from crmcore.clv.models._chisquare import chi_square_survival, upper_gamma_regularized
from crmcore.clv.models._holdout import holdout_metrics
from crmcore.errors import InvalidType, ValidationError

# Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way", Marketing Science 24(2).
FHL = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
BGBB = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})


def optional(name):
    """Import an optional test library: a skip without it locally, a failure in CI."""
    try:
        with warnings.catch_warnings():
            # lifetimes 0.11.3 sets a pandas option that pandas 3 deprecates.
            warnings.simplefilter("ignore")
            return __import__(name)
    except ImportError:
        if in_ci():
            pytest.fail(f"{name} is not installed: CI installs it with the test extra")
        pytest.skip(f"{name} is not installed")


def attempt(call):
    """``(result, None)``, or ``(None, error)`` when the call raises a ValidationError."""
    try:
        return call(), None
    except ValidationError as exc:
        return None, exc


# ----------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def cdnow(reference_data):
    """CDNOW calibration histories (x, t_x, T) and, from the transaction log, the holdout.

    The 2,357-customer sample's log (``CDNOW_sample.txt``) gives, with purchases
    on one day counted once, exactly the published calibration summary (checked
    below), each customer's transactions in weeks 40-78 (1997-10-01 to
    1998-06-30) and the cohort's repeat transactions week by week since 1997-01-01.
    """
    with reference_data("cdnow", "cdnow_customers_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    x = [int(r["frequency"]) for r in rows]
    t_x = [float(r["recency"]) for r in rows]
    t = [float(r["T"]) for r in rows]
    start, cal_end, end = (
        dt.date(1997, 1, 1),
        dt.date(1997, 9, 30),
        dt.date(1998, 6, 30),
    )
    days = collections.defaultdict(set)
    with reference_data("cdnow", "CDNOW_sample.txt").open() as handle:
        for line in handle:
            _, sample_id, date, _, _ = line.split()
            day = dt.date(int(date[:4]), int(date[4:6]), int(date[6:]))
            days[int(sample_id)].add(day)
    holdout = [0] * len(rows)
    weekly = [0] * 78
    summary = []
    for sample_id in range(1, len(rows) + 1):
        ordered = sorted(days[sample_id])
        first = ordered[0]
        calibration = [d for d in ordered if d <= cal_end]
        summary.append(
            (
                len(calibration) - 1,
                round((calibration[-1] - first).days / 7, 2),
                round((cal_end - first).days / 7, 2),
            )
        )
        holdout[sample_id - 1] = sum(1 for d in ordered if cal_end < d <= end)
        for d in ordered[1:]:
            weekly[(d - start).days // 7] += 1
    assert summary == list(zip(x, t_x, t, strict=True))
    return {"x": x, "t_x": t_x, "T": t, "holdout": holdout, "weekly": weekly}


# ----------------------------------------------------------------------------- incomplete gamma

# Q(a, x) to 25 digits, computed with mpmath 1.4.1 at mp.dps = 40:
# mpmath.gammainc(a, x, mpmath.inf, regularized=True).
GAMMA_REFERENCES = [
    (0.5, 0.01, 0.8875370839817151066339555),
    (1.5, 2.4125, 0.1850692540503480667071507),
    (5.0, 3.0, 0.8152632445237720662867321),
    (5.0, 30.0, 3.624300952061488026229951e-9),
    (50.0, 45.0, 0.7531979655998297272856312),
    (50.0, 120.0, 1.600822679334482870670513e-13),
    (0.5, 400.0, 5.395865611607900928934999e-176),
    (1000.0, 1100.0, 0.001059323253929977348874933),
    (3.5, 3.5, 0.4288798575530547194670868),
    (2.0, 2.9, 0.2145905582199882073892181),
]


@pytest.mark.parametrize(("a", "x", "reference"), GAMMA_REFERENCES)
def test_upper_gamma_matches_40_digit_references(a, x, reference):
    """Relative error below 1e-13 for moderate shapes, 1e-12 at a = 1000 (the log prefactor)."""
    tolerance = 1e-12 if a >= 1000 else 1e-13
    assert abs(upper_gamma_regularized(a, x) - reference) <= tolerance * reference


def test_upper_gamma_closed_forms():
    """Q(1, x) = exp(-x) and Q(1/2, x) = erfc(sqrt(x)), on both sides of x = a + 1."""
    for x in (0.001, 0.5, 1.9, 2.1, 10.0, 700.0):
        assert upper_gamma_regularized(1.0, x) == pytest.approx(math.exp(-x), rel=1e-14)
        assert upper_gamma_regularized(0.5, x) == pytest.approx(math.erfc(math.sqrt(x)), rel=1e-13)
    assert upper_gamma_regularized(3.0, 0.0) == 1.0
    assert upper_gamma_regularized(0.5, 1e6) == 0.0


@given(
    st.integers(min_value=1, max_value=400),
    st.floats(min_value=0.0, max_value=2000.0, allow_nan=False),
)
def test_chi_square_survival_agrees_with_scipy(df, statistic):
    """Our p-value against scipy.stats.chi2.sf, relative 1e-11 where it is not underflowing."""
    scipy_stats = optional("scipy.stats")
    expected = float(scipy_stats.stats.chi2.sf(statistic, df))
    got = chi_square_survival(statistic, df)
    assert 0.0 <= got <= 1.0
    if expected > 1e-290:
        assert got == pytest.approx(expected, rel=1e-11, abs=1e-300)
    else:
        assert got < 1e-280


def test_chi_square_survival_refuses_bad_arguments():
    with pytest.raises(ValidationError) as bad:
        chi_square_survival(-1.0, 3)
    assert bad.value.problems[0].path == "$.statistic"
    with pytest.raises(ValidationError) as bad:
        chi_square_survival(1.0, 0)
    assert bad.value.problems[0].path == "$.degrees_of_freedom"
    with pytest.raises(InvalidType):
        chi_square_survival(1.0, 2.0)
    with pytest.raises(InvalidType):
        chi_square_survival(1.0, True)
    with pytest.raises(ValidationError) as bad:
        upper_gamma_regularized(0.0, 1.0)
    assert bad.value.problems[0].path == "$.a"
    with pytest.raises(ValidationError) as bad:
        upper_gamma_regularized(1.0, -1.0)
    assert bad.value.problems[0].path == "$.x"
    with pytest.raises(ValidationError):
        upper_gamma_regularized(math.nan, 1.0)


# ----------------------------------------------------------------------------- goodness of fit

# Expected customers with 0..6 and 7+ repeat transactions among the 2,357 CDNOW customers
# under the published BG/NBD parameters: FHL (2005) eq. (8) summed over the customers' T,
# evaluated with mpmath 1.4.1 at mp.dps = 40 (closed form with mpmath's gamma and beta;
# the 7+ cell is 2357 minus the others). The paper shows these as its fig. 3 (bars only).
CDNOW_EXPECTED = [
    1406.50004293955798190084,
    460.8075367418848253804456,
    192.7093958034303488582415,
    101.3066988681536721824347,
    59.93606080153326014895946,
    38.17855049550135139480469,
    25.58967196744889099769968,
    71.9720423824896691365744,
]
# The observed histogram of the calibration period (FHL 2005 fig. 3; also lifetimes' tests).
CDNOW_OBSERVED = [1411, 439, 214, 100, 62, 38, 29, 64]


def test_cdnow_histogram_matches_the_40_digit_expected_counts(cdnow):
    """The papers' "7+" histogram: every expected cell within 1e-9 relative of the reference."""
    result = goodness_of_fit(FHL, cdnow["x"], cdnow["T"], tail=7)
    assert [c.label for c in result.cells] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert [c.observed for c in result.cells] == CDNOW_OBSERVED
    for cell, reference in zip(result.cells, CDNOW_EXPECTED, strict=True):
        assert cell.expected == pytest.approx(reference, rel=1e-9)
    statistic = sum((o - e) ** 2 / e for o, e in zip(CDNOW_OBSERVED, CDNOW_EXPECTED, strict=True))
    assert result.statistic == pytest.approx(statistic, rel=1e-9)
    assert pytest.approx(4.825, abs=5e-4) == result.statistic
    assert (result.degrees_of_freedom, result.parameters, result.customers) == (3, 4, 2357.0)
    scipy_stats = optional("scipy.stats")
    assert result.p_value == pytest.approx(float(scipy_stats.stats.chi2.sf(statistic, 3)), rel=1e-9)
    assert pytest.approx(0.1851, abs=1e-4) == result.p_value
    assert "chi-square 4.825 on 3 df (8 cells, 4 parameters), p = 0.1851" in result.table()


def test_cdnow_histogram_default_tail_pools_to_five_expected(cdnow):
    """Without ``tail`` every cell expects at least 5 customers and the cells cover everyone."""
    result = goodness_of_fit(FHL, cdnow["x"], cdnow["T"])
    assert all(c.expected >= 5 for c in result.cells)
    assert sum(c.observed for c in result.cells) == 2357
    assert sum(c.expected for c in result.cells) == pytest.approx(2357, rel=1e-12)
    assert result.cells[-1].high is None
    assert all(a.high + 1 == b.low for a, b in zip(result.cells, result.cells[1:], strict=False))
    assert result.degrees_of_freedom == len(result.cells) - 5
    assert 0.05 < result.p_value < 1  # the BG/NBD is not rejected on CDNOW


def test_cdnow_histogram_agrees_with_lifetimes(cdnow):
    """Each expected cell equals lifetimes 0.11.3's probability_of_n_purchases_up_to_time summed."""
    lifetimes = optional("lifetimes")
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    ages = collections.Counter(cdnow["T"])
    result = goodness_of_fit(FHL, cdnow["x"], cdnow["T"], tail=7)
    for n, cell in enumerate(result.cells[:-1]):
        theirs = sum(
            w * float(fitter.probability_of_n_purchases_up_to_time(t, n)) for t, w in ages.items()
        )
        assert cell.expected == pytest.approx(theirs, rel=1e-9)


def test_pareto_nbd_histogram_sums_its_own_probabilities(cdnow):
    """Pareto/NBD on CDNOW: cells are sums of P(X(T_i) = n); the tail holds the rest."""
    model = ParetoNBD(params={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    result = goodness_of_fit(model, cdnow["x"], cdnow["T"], tail=4, parameters=0)
    ages = collections.Counter(cdnow["T"])
    for n in range(4):
        direct = sum(w * model.probability_of_purchases(n, t) for t, w in ages.items())
        assert result.cells[n].expected == pytest.approx(direct, rel=1e-12)
    assert sum(c.expected for c in result.cells) == pytest.approx(2357, rel=1e-12)


def test_weights_equal_repeated_rows():
    """A row with weight 3 is three customers."""
    x, t = [0, 1, 2, 0, 5], [30.0, 20.0, 38.0, 10.0, 38.0]
    w = [3, 1, 2, 4, 1]
    repeated_x = [v for v, k in zip(x, w, strict=True) for _ in range(k)]
    repeated_t = [v for v, k in zip(t, w, strict=True) for _ in range(k)]
    one = goodness_of_fit(FHL, x, t, weights=w, parameters=0, min_expected=0.5)
    other = goodness_of_fit(FHL, repeated_x, repeated_t, parameters=0, min_expected=0.5)
    assert len(one.cells) == len(other.cells)
    for mine, theirs in zip(one.cells, other.cells, strict=True):
        assert (mine.low, mine.high) == (theirs.low, theirs.high)
        assert mine.observed == theirs.observed
        assert mine.expected == pytest.approx(theirs.expected, rel=1e-12)
    assert one.statistic == pytest.approx(other.statistic, rel=1e-12)


def test_bgbb_histogram_on_donations(reference_data):
    """BG/BB: whole opportunities; cells sum to the 11,104 donors of the published table."""
    with reference_data("cdnow", "donations.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    columns = {k: [float(r[k]) for r in rows] for k in ("frequency", "periods", "weights")}
    result = goodness_of_fit(
        BGBB, columns["frequency"], columns["periods"], weights=columns["weights"], tail=6
    )
    assert [c.label for c in result.cells] == ["0", "1", "2", "3", "4", "5", "6+"]
    assert sum(c.observed for c in result.cells) == 11104
    for n in range(6):
        assert result.cells[n].expected == pytest.approx(
            11104 * BGBB.probability_of_purchases(n, 6), rel=1e-12
        )
    assert result.degrees_of_freedom == 2


def test_pooling_merges_small_cells_from_the_right():
    """Small middle and tail cells merge into their neighbours; nothing is left below threshold."""
    x = [0] * 50 + [1] * 10 + [2] * 3 + [9]
    result = goodness_of_fit(FHL, x, [38.86] * len(x), parameters=0, min_expected=3.0)
    assert all(c.expected >= 3.0 for c in result.cells)
    assert result.cells[0].label == "0"
    assert result.cells[-1].label.endswith("+")
    assert result.cells[0].observed == 50
    # A threshold above everything but the first cell: two cells, the second open.
    two = goodness_of_fit(FHL, x, [38.86] * len(x), parameters=0, min_expected=20.0)
    assert [c.label for c in two.cells] == ["0", "1+"]


def test_a_huge_threshold_or_too_many_parameters_is_refused_naming_the_argument():
    x = [0] * 30 + [1] * 10 + [2] * 5
    t = [38.86] * len(x)
    with pytest.raises(ValidationError) as bad:
        goodness_of_fit(FHL, x, t, min_expected=1e6)
    assert bad.value.problems[0].path == "$.min_expected"
    assert bad.value.problems[0].code == "too_few_cells"
    with pytest.raises(ValidationError) as bad:
        goodness_of_fit(FHL, x, t, tail=2)
    assert bad.value.problems[0].path == "$.tail"
    with pytest.raises(ValidationError) as bad:
        goodness_of_fit(FHL, x, t, min_expected=0.0)
    assert (bad.value.problems[0].path, bad.value.problems[0].code) == (
        "$.min_expected",
        "not_positive",
    )
    with pytest.raises(ValidationError) as bad:
        goodness_of_fit(FHL, x, t, min_expected=math.inf)
    assert bad.value.problems[0].path == "$.min_expected"
    with pytest.raises(ValidationError) as bad:
        goodness_of_fit(FHL, x, t, min_expected=1e300)
    assert bad.value.problems[0].code == "too_large"


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"tail": 0}, "$.tail"),
        ({"tail": 1.5}, "$.tail"),
        ({"tail": 10**9}, "$.tail"),
        ({"parameters": -1}, "$.parameters"),
        ({"parameters": "4"}, "$.parameters"),
        ({"frequency": [0, 1.5]}, "$.frequency[1]"),
        ({"frequency": [0, -1]}, "$.frequency[1]"),
        ({"T": [38.0, -1.0]}, "$.T[1]"),
        ({"T": [38.0, 2e6]}, "$.T[1]"),
        ({"T": [38.0]}, "$.T"),
        ({"frequency": [], "T": []}, "$.frequency"),
        ({"weights": [1, -1]}, "$.weights[1]"),
        ({"weights": [1]}, "$.weights"),
    ],
)
def test_bad_histogram_arguments_name_the_argument(kwargs, path):
    arguments = {"frequency": [0, 1], "T": [38.0, 38.0], "parameters": 0, "min_expected": 0.1}
    arguments.update(kwargs)
    model_args = [arguments.pop("frequency"), arguments.pop("T")]
    with pytest.raises(ValidationError) as bad:
        goodness_of_fit(FHL, *model_args, **arguments)
    assert bad.value.problems[0].path == path


def test_bgbb_periods_must_be_whole():
    with pytest.raises(ValidationError) as bad:
        goodness_of_fit(BGBB, [0, 1], [6, 5.5], parameters=0, min_expected=0.1)
    assert bad.value.problems[0].path == "$.T[1]"


def test_models_without_the_quantity_are_refused():
    gg = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
    for call in (
        lambda: goodness_of_fit(gg, [0], [1.0]),
        lambda: holdout_metrics(gg, [0], [0], [1.0], [0], 1.0),
        lambda: period_errors(gg, [1.0], [0.0]),
    ):
        with pytest.raises(InvalidType) as bad:
            call()
        assert bad.value.problems[0].path == "$.model"
    with pytest.raises(NotFittedError):
        goodness_of_fit(BetaGeo(), [0], [1.0])


def test_histogram_cell_labels():
    assert HistogramCell(3, 3, 1.0, 2.0).label == "3"
    assert HistogramCell(3, 5, 1.0, 2.0).label == "3-5"
    assert HistogramCell(7, None, 1.0, 2.0).label == "7+"
    assert HistogramCell(7, None, 1.0, 2.0).contribution == 0.5
    assert isinstance(
        goodness_of_fit(FHL, [0, 1], [1.0, 30.0], parameters=0, min_expected=0.1), GoodnessOfFit
    )


@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.floats(0.0, 60.0, allow_nan=False)),
        min_size=5,
        max_size=40,
    )
)
def test_histogram_invariants(rows):
    """Pooled cells partition the counts, keep every customer and the expected total."""
    x = [r[0] for r in rows]
    t = [r[1] for r in rows]
    result, error = attempt(lambda: goodness_of_fit(FHL, x, t, parameters=0, min_expected=1.0))
    if error is not None:
        assert error.problems[0].code == "too_few_cells"
        return
    assert sum(c.observed for c in result.cells) == len(rows)
    assert sum(c.expected for c in result.cells) == pytest.approx(len(rows), rel=1e-9)
    assert all(c.expected >= 1.0 for c in result.cells)
    assert result.cells[0].low == 0
    assert result.cells[-1].high is None
    assert 0.0 <= result.p_value <= 1.0


# ----------------------------------------------------------------------------- holdout


def test_cdnow_holdout_metrics_against_numpy(cdnow):
    """MAE, RMSE, correlation and totals equal numpy's on the model's own forecasts."""
    np = optional("numpy")
    result = holdout_metrics(FHL, cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["holdout"], 39)
    predicted = np.array(FHL.expected_purchases(39, cdnow["x"], cdnow["t_x"], cdnow["T"]))
    actual = np.array(cdnow["holdout"], dtype=float)
    assert result.mean_absolute_error == pytest.approx(
        np.mean(np.abs(predicted - actual)), rel=1e-12
    )
    assert result.root_mean_squared_error == pytest.approx(
        np.sqrt(np.mean((predicted - actual) ** 2)), rel=1e-12
    )
    assert result.correlation == pytest.approx(np.corrcoef(predicted, actual)[0, 1], rel=1e-12)
    assert result.actual_total == 1882
    assert result.predicted_total == pytest.approx(predicted.sum(), rel=1e-12)
    assert result.total_error == pytest.approx((predicted.sum() - 1882) / 1882, rel=1e-12)
    # The measured figures quoted in docs/clv_model_checking.md.
    assert (round(result.mean_absolute_error, 4), round(result.correlation, 4)) == (0.7856, 0.6256)


def test_holdout_weights_and_durations_per_customer():
    """Weighted metrics equal repeated rows; each customer can have their own duration."""
    x, t_x, t = [2, 0, 5], [30.43, 0.0, 35.0], [38.86, 38.86, 38.86]
    actual, durations = [1, 0, 3], [39.0, 20.0, 39.0]
    one = holdout_metrics(FHL, x, t_x, t, actual, durations, weights=[2, 1, 1])
    rep = holdout_metrics(
        FHL, [2, *x], [30.43, *t_x], [38.86, *t], [1, *actual], [39.0, *durations]
    )
    assert one.mean_absolute_error == pytest.approx(rep.mean_absolute_error, rel=1e-12)
    assert one.root_mean_squared_error == pytest.approx(rep.root_mean_squared_error, rel=1e-12)
    assert one.correlation == pytest.approx(rep.correlation, rel=1e-12)
    direct = FHL.expected_purchases(20.0, 0, 0.0, 38.86)
    single = holdout_metrics(FHL, [0], [0.0], [38.86], [0], [20.0])
    assert single.mean_absolute_error == pytest.approx(direct, rel=1e-15)
    assert single.correlation is None  # one customer: undefined
    assert holdout_metrics(FHL, [0, 1], [0, 5.0], [38.86] * 2, [0, 0], 10).total_error is None


def test_holdout_bgbb():
    x, t_x, n = [0, 3, 6], [0, 5, 6], [6, 6, 6]
    result = holdout_metrics(BGBB, x, t_x, n, [0, 1, 5], 5)
    predicted = BGBB.expected_purchases(5, x, t_x, n)
    assert result.predicted_total == pytest.approx(sum(predicted), rel=1e-12)
    with pytest.raises(ValidationError) as bad:
        holdout_metrics(BGBB, x, t_x, n, [0, 1, 5], 2.5)
    assert bad.value.problems[0].path == "$.holdout_duration"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"holdout_frequency": [0, 1]}, "$.holdout_frequency"),
        ({"holdout_frequency": [0, 1, -1]}, "$.holdout_frequency[2]"),
        ({"holdout_duration": -1.0}, "$.holdout_duration"),
        ({"holdout_duration": 2e6}, "$.holdout_duration"),
        ({"holdout_duration": [1.0, 2.0]}, "$.holdout_duration"),
        ({"holdout_duration": [1.0, -2.0, 1.0]}, "$.holdout_duration[1]"),
        ({"recency": [0.0, 1.0]}, "$.recency"),
        ({"frequency": [], "recency": [], "T": []}, "$.frequency"),
        ({"weights": [1, 1]}, "$.weights"),
    ],
)
def test_bad_holdout_arguments_name_the_argument(change, path):
    arguments = {
        "frequency": [0, 1, 2],
        "recency": [0.0, 3.0, 5.0],
        "T": [10.0, 10.0, 10.0],
        "holdout_frequency": [0, 1, 1],
        "holdout_duration": 10.0,
    }
    arguments.update(change)
    weights = arguments.pop("weights", None)
    with pytest.raises(ValidationError) as bad:
        holdout_metrics(FHL, **arguments, weights=weights)
    assert bad.value.problems[0].path == path


# ----------------------------------------------------------------------------- period errors


def test_cdnow_period_errors_track_the_cohort(cdnow):
    """Weekly totals over both periods: expected by age from E[X(t)], summed over the cohort.

    Period k from the start of 1997 ends, for a customer of age T_i at the end of
    calibration (1997-09-30, the last day of week 39), at age T_i + start + k weeks with
    start = -38.86 (the first customers' T, 272/7 rounded as in the summary): week 39
    ends 0.14 weeks after T_i. The cohort's expected cumulative total at the end of
    week 39 is then the sum of E[X(T_i + 0.14)].
    """
    start = -38.86
    result = period_errors(FHL, cdnow["T"], cdnow["weekly"], start=start)
    assert len(result.periods) == 78
    assert result.actual_total == 4339
    cumulative = result.cumulative()
    assert cumulative[38][0] == 2457  # calibration repeat transactions
    at_end = sum(FHL.expected_purchases_new([t + start + 39 for t in cdnow["T"]]))
    assert cumulative[38][1] == pytest.approx(at_end, rel=1e-9)
    at_holdout_end = sum(FHL.expected_purchases_new([t + start + 78 for t in cdnow["T"]]))
    assert cumulative[-1][1] == pytest.approx(at_holdout_end, rel=1e-9)
    errors = [p.error for p in result.periods]
    assert result.mean_absolute_error == pytest.approx(sum(map(abs, errors)) / 78, rel=1e-12)
    assert result.root_mean_squared_error == pytest.approx(
        math.sqrt(sum(e * e for e in errors) / 78), rel=1e-12
    )
    # In weeks 40-78 the cohort made 1,882 repeat purchases; the model expects 1,666.3
    # from the customers' ages alone (an 11.5% under-forecast; measured).
    holdout = sum(p.expected for p in result.periods[39:])
    assert pytest.approx(1666.3, abs=0.05) == holdout
    assert sum(p.actual for p in result.periods[39:]) == 1882
    assert result.total_error == pytest.approx((result.expected_total - 4339) / 4339)


def test_period_errors_small():
    """Two customers, two periods, checked against E[X(t)] directly; ages clipped at 0."""
    result = period_errors(FHL, [10.0, 2.0], [1.0, 0.0], start=-3.0, period=2.0)
    e = FHL.expected_purchases_new
    first = e(9.0) - e(7.0) + e(1.0) - 0.0
    second = e(11.0) - e(9.0) + e(3.0) - e(1.0)
    assert [p.expected for p in result.periods] == pytest.approx([first, second], rel=1e-12)
    assert [p.period for p in result.periods] == [1, 2]
    assert result.periods[0].error == pytest.approx(first - 1.0)
    assert result.total_error == pytest.approx((first + second - 1.0) / 1.0)
    assert period_errors(FHL, [10.0], [0.0]).total_error is None
    weighted = period_errors(FHL, [10.0, 2.0], [1.0], weights=[3, 0])
    assert weighted.periods[0].expected == pytest.approx(3 * (e(11.0) - e(10.0)), rel=1e-12)
    discrete = period_errors(BGBB, [6, 4], [0.5, 0.5])
    f = BGBB.expected_purchases_new
    assert discrete.periods[1].expected == pytest.approx(f(8) - f(7) + f(6) - f(5), rel=1e-12)


@pytest.mark.parametrize(
    ("model", "change", "path"),
    [
        (FHL, {"period": 0.0}, "$.period"),
        (FHL, {"period": math.nan}, "$.period"),
        (FHL, {"start": math.inf}, "$.start"),
        (FHL, {"actual": []}, "$.actual"),
        (FHL, {"actual": [1.0, -1.0]}, "$.actual[1]"),
        (FHL, {"T": []}, "$.T"),
        (FHL, {"T": [10.0, -1.0]}, "$.T[1]"),
        (FHL, {"weights": [1.0]}, "$.weights"),
        (FHL, {"period": 999_999.0}, "$.actual"),
        (BGBB, {"period": 1.5}, "$.period"),
        (BGBB, {"start": -0.5}, "$.start"),
    ],
)
def test_bad_period_arguments_name_the_argument(model, change, path):
    arguments = {"T": [10.0, 4.0], "actual": [1.0, 2.0]}
    arguments.update(change)
    with pytest.raises(ValidationError) as bad:
        period_errors(model, arguments.pop("T"), arguments.pop("actual"), **arguments)
    assert bad.value.problems[0].path == path


# ----------------------------------------------------------------------------- compare_models


def test_compare_models_on_cdnow(cdnow):
    """Published log-likelihoods, BIC = k ln n - 2 LL, and each fitted model's holdout metrics.

    BG/NBD -9582.4 (FHL 2005), Pareto/NBD -9595.0 (Fader & Hardie 2005, the
    Pareto/NBD implementation note).
    """
    result = compare_models(
        [BetaGeo(), ModifiedBetaGeo(), ParetoNBD()],
        cdnow["x"],
        cdnow["t_x"],
        cdnow["T"],
        holdout=Holdout(cdnow["holdout"], 39),
    )
    scores = {s.name: s for s in result.scores}
    assert pytest.approx(-9582.4, abs=0.05) == scores["BetaGeo"].log_likelihood
    assert pytest.approx(-9595.0, abs=0.05) == scores["ParetoNBD"].log_likelihood
    for s in result.scores:
        assert s.parameters == 4
        assert s.bic == pytest.approx(4 * math.log(2357) - 2 * s.log_likelihood, rel=1e-15)
        assert s.aic == pytest.approx(8 - 2 * s.log_likelihood, rel=1e-15)
        alone = holdout_metrics(s.model, cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["holdout"], 39)
        assert s.holdout == alone
    assert [s.name for s in result.ranking("bic")] == ["ModifiedBetaGeo", "BetaGeo", "ParetoNBD"]
    assert result.best("log_likelihood").name == "ModifiedBetaGeo"
    assert result.best("rmse").name == "ParetoNBD"
    assert result.best("mae").name == "ParetoNBD"
    assert result.best("aic").name == "ModifiedBetaGeo"
    table = result.table()
    assert table.splitlines()[0].split() == [
        "rank", "model", "k", "log-lik", "AIC", "BIC", "MAE", "RMSE", "corr",
    ]  # fmt: skip
    assert "ranked by BIC, n = 2357" in table
    assert "-9582.4" in table


def test_compare_models_mapping_fitted_models_and_no_holdout():
    data = FHL.simulate(200, 30.0, seed=3)
    fitted = BetaGeo().fit(*data.values())
    result = compare_models(
        {"fitted": fitted, "fresh": BetaGeo(), "mbg": ModifiedBetaGeo()}, *data.values()
    )
    names = [s.name for s in result.scores]
    assert names == ["fitted", "fresh", "mbg"]
    assert result.scores[0].log_likelihood == pytest.approx(fitted.log_likelihood, abs=1e-6)
    assert result.scores[0].log_likelihood == pytest.approx(
        result.scores[1].log_likelihood, abs=1e-4
    )
    assert result.scores[0].holdout is None
    assert "MAE" not in result.table("log_likelihood")
    with pytest.raises(ValidationError) as bad:
        result.ranking("rmse")
    assert (bad.value.problems[0].path, bad.value.problems[0].code) == ("$.by", "no_holdout")
    with pytest.raises(ValidationError) as bad:
        result.ranking("likelihood")
    assert bad.value.problems[0].path == "$.by"


def test_compare_models_bgbb_with_weights(reference_data):
    with reference_data("cdnow", "donations.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    columns = [[float(r[k]) for r in rows] for k in ("frequency", "recency", "periods")]
    weights = [float(r["weights"]) for r in rows]
    result = compare_models(
        [BetaGeoBetaBinom()],
        *columns,
        weights=weights,
        holdout=Holdout([0.0] * len(rows), 5),
    )
    (score,) = result.scores
    # Fader, Hardie & Shang (2010): LL -33,225.6 on the donations data.
    assert pytest.approx(-33225.6, abs=0.05) == score.log_likelihood
    assert score.bic == pytest.approx(4 * math.log(11104) - 2 * score.log_likelihood)
    assert score.holdout.actual_total == 0
    assert score.holdout.correlation is None


@pytest.mark.parametrize(
    ("models", "error", "path"),
    [
        ([], ValidationError, "$.models"),
        ({}, ValidationError, "$.models"),
        ("BetaGeo", InvalidType, "$.models"),
        (BetaGeo(), InvalidType, "$.models"),
        ([BetaGeo(), GammaGamma()], InvalidType, "$.models[1]"),
        ({"a": BetaGeo(), "b": GammaGamma()}, InvalidType, "$.models[1]"),
        ({"": BetaGeo()}, InvalidType, "$.models"),
        ([BetaGeo(), BetaGeo()], ValidationError, "$.models[1]"),
        ([BetaGeo(), BetaGeoBetaBinom()], ValidationError, "$.models"),
    ],
)
def test_compare_models_refuses_bad_models(models, error, path):
    with pytest.raises(error) as bad:
        compare_models(models, [0, 1], [0.0, 1.0], [2.0, 2.0])
    assert bad.value.problems[0].path == path


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"holdout": ([0, 1],)}, "$.holdout"),
        ({"holdout": Holdout([0], 1.0)}, "$.holdout.frequency"),
        ({"holdout": Holdout([0, -1], 1.0)}, "$.holdout.frequency[1]"),
        ({"holdout": Holdout([0, 1], -1.0)}, "$.holdout.duration"),
        ({"T": [2.0]}, "$.T"),
        ({"weights": [1.0]}, "$.weights"),
    ],
)
def test_compare_models_refuses_bad_data_before_fitting(change, path):
    arguments = {"frequency": [0, 1], "recency": [0.0, 1.0], "T": [2.0, 2.0]}
    arguments.update(change)
    with pytest.raises(ValidationError) as bad:
        compare_models(
            [BetaGeo()],
            arguments.pop("frequency"),
            arguments.pop("recency"),
            arguments.pop("T"),
            **arguments,
        )
    assert bad.value.problems[0].path == path


def test_many_bad_rows_are_reported_together_up_to_the_limit():
    """Each checker stops after its problem limit instead of scanning a huge column."""
    many = 500
    cases = [
        (lambda: goodness_of_fit(FHL, [-1] * many, [1.0] * many), "$.frequency[0]"),
        (lambda: goodness_of_fit(FHL, [0] * many, [-1.0] * many), "$.T[0]"),
        (lambda: goodness_of_fit(FHL, [0] * many, [2e6] * many), "$.T[0]"),
        (lambda: goodness_of_fit(BGBB, [0] * many, [0.5] * many), "$.T[0]"),
        (lambda: holdout_metrics(FHL, [0] * many, [0] * many, [1.0] * many, [-1] * many, 1),
         "$.holdout_frequency[0]"),
    ]  # fmt: skip
    for call, path in cases:
        with pytest.raises(ValidationError) as bad:
            call()
        assert bad.value.problems[0].path == path
        assert 1 < len(bad.value.problems) < many


def test_a_population_smaller_than_the_threshold_is_one_cell():
    with pytest.raises(ValidationError) as bad:
        goodness_of_fit(FHL, [0, 1], [1.0, 30.0], parameters=0)
    assert (bad.value.problems[0].path, bad.value.problems[0].code) == (
        "$.min_expected",
        "too_few_cells",
    )


def test_a_purchase_model_without_the_probability_is_refused():
    """A model class that does not (yet) define P(X(t) = n) is named, not crashed on."""
    from crmcore.clv.models._forecast import RfmModel  # noqa: PLC0415 - the base class only here.

    with pytest.raises(InvalidType) as bad:
        goodness_of_fit(RfmModel(params={}), [0], [1.0])
    assert bad.value.problems[0].path == "$.model"


def test_a_small_first_cell_joins_its_right_neighbour():
    """Frequent buyers: the 0 cell expects little and is pooled into the cell after it."""
    keen = BetaGeoBetaBinom(params={"alpha": 20.0, "beta": 1.0, "gamma": 0.5, "delta": 50.0})
    x = [6] * 30 + [5] * 8 + [4] * 2 + [0]
    result = goodness_of_fit(keen, x, [6] * len(x), parameters=0, min_expected=1.0)
    assert result.cells[0].low == 0
    assert result.cells[0].high >= 1
    assert all(c.expected >= 1.0 for c in result.cells)
    assert sum(c.observed for c in result.cells) == len(x)


class _Failing(BetaGeo):
    """A BetaGeo whose fit always fails, standing for a fit that does not converge."""

    def fit(self, *args, **kwargs):
        raise ModelError("the fit did not converge")


def test_a_failing_fit_names_the_model():
    with pytest.raises(ModelError) as bad:
        compare_models(
            {"good": BetaGeo(), "bad": _Failing()}, *FHL.simulate(200, 30.0, seed=3).values()
        )
    assert "while fitting the model named 'bad' of the comparison" in bad.value.__notes__


@pytest.mark.parametrize("k", [2, None])
def test_compare_models_refuses_cnbd_models_that_need_litt(k):
    """A CNBD-k likelihood with k > 1 (or k to be chosen) needs litt, which the columns lack."""
    from crmcore.clv import BetaGeoCnbd  # noqa: PLC0415 - one test.

    with pytest.raises(InvalidType) as caught:
        compare_models([BetaGeo(), BetaGeoCnbd(k=k)], [1, 2, 0], [3.0, 4.0, 0.0], [5.0, 6.0, 6.0])
    assert caught.value.path == "$.models[1]"


def test_a_histogram_too_costly_to_build_is_refused_before_the_work():
    """Cells times distinct ages is bounded: huge weights on many ages cannot run for minutes."""
    ages = [100.0 + i for i in range(3000)]
    with pytest.raises(ValidationError) as caught:
        goodness_of_fit(FHL, [0] * 3000, ages, weights=[1e12] * 3000, tail=1000)
    assert (caught.value.path, caught.value.code) == ("$.T", "too_much_work")
    # Without a tail the open cell moves right as long as customers are expected there.
    with pytest.raises(ValidationError) as caught:
        goodness_of_fit(FHL, [0] * 3000, ages, weights=[1e12] * 3000)
    assert (caught.value.path, caught.value.code) == ("$.T", "too_much_work")


def test_the_chosen_k_of_a_cnbd_model_counts_as_an_estimated_parameter():
    """A CNBD-k model whose k was chosen by maximum likelihood estimated five parameters."""
    from crmcore.clv import BetaGeoCnbd  # noqa: PLC0415 - one test.

    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    fixed = BetaGeoCnbd(k=1, params=params)
    chosen = BetaGeoCnbd(k=1, params=params, k_profile=((1, -10.0), (2, -12.0)))
    ages = [38.86] * 93
    frequency = [0] * 50 + [1] * 15 + [2] * 8 + [3] * 6 + [4] * 5 + [5] * 4 + [6] * 3 + [7] * 2
    options = {"tail": 7, "min_expected": 1e-6}
    assert goodness_of_fit(chosen, frequency, ages, **options).parameters == 5
    assert goodness_of_fit(fixed, frequency, ages, **options).parameters == 4


@pytest.mark.parametrize("by", ["nonsense", [], None])
def test_a_score_is_asked_for_by_a_known_criterion(by):
    data = FHL.simulate(500, 38.86, seed=3)
    found = compare_models([FHL], data["frequency"], data["recency"], data["T"])
    with pytest.raises(ValidationError) as caught:
        found.scores[0].criterion(by)
    assert (caught.value.path, caught.value.code) == ("$.by", "unknown_criterion")
