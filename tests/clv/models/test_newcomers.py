"""Newcomers (T = 0): accepted by every BG/NBD, MBG/NBD and Pareto/NBD prediction and fit.

Issue 19, item 1: a customer whose first purchase falls in the last period has
``T = 0``; crmcore's own ``summarize`` produces them (CDNOW_master, weekly
periods, observation end 1997-03-25), and they used to be refused everywhere.
A newcomer's history has probability 1 under all three models, so it adds
nothing to a log-likelihood, and its forecast is a new customer's.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, date, datetime

import pytest

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    customer_lifetime_value,
    summarize,
)
from crmcore.errors import ValidationError

# Published CDNOW parameters: Fader, Hardie & Lee (2005), Marketing Science 24(2) (BG/NBD);
# Batislam et al. (2007) style MBG/NBD fit of the same data; Fader & Hardie's Pareto/NBD note.
BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
MBG = ModifiedBetaGeo(params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614})
PNBD = ParetoNBD(params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
MODELS = [BG, MBG, PNBD]
GG = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
END = datetime(1997, 3, 25, tzinfo=UTC)


def newcomer_alive(model):
    """P(alive) of a newcomer with no repeat purchase: 1, or b/(a+b) for MBG/NBD.

    MBG/NBD lets a customer drop out right after the first purchase with
    probability p ~ Beta(a, b): a newcomer survived nothing yet, so it is alive
    with probability E[1 - p] = b / (a + b) (Batislam et al. 2007).
    """
    if isinstance(model, ModifiedBetaGeo):
        return model.params["b"] / (model.params["a"] + model.params["b"])
    return 1.0


@pytest.fixture(scope="module")
def master(reference_data):
    """CDNOW_master.txt as (customer, time, amount) transactions, and each first purchase date."""
    path = reference_data("cdnow", "CDNOW_master.txt")
    transactions = []
    first: dict[str, date] = {}
    for line in path.read_text().splitlines()[1:]:
        customer, when, _, amount = line.split()
        day = date(int(when[:4]), int(when[4:6]), int(when[6:]))
        transactions.append((customer, datetime(day.year, day.month, day.day, tzinfo=UTC), amount))
        first[customer] = min(first.get(customer, day), day)
    return transactions, first


@pytest.fixture(scope="module")
def table(master):
    """The weekly summary of CDNOW_master at 1997-03-25 (issue 19's reproducer)."""
    return summarize(master[0], period="week", observation_end=END)


def test_reproducer_newcomers_are_the_last_weeks_first_buyers(table, master):
    """T = 0 exactly for the customers whose first purchase falls in the week of the end.

    Computed independently from the file: the week of 1997-03-25 (a Tuesday)
    starts on Monday 1997-03-24; 263 customers first bought that Monday and
    241 on the Tuesday (the issue's 241), none later.
    """
    columns = table.to_columns()
    newcomers = {c for c, t in zip(columns["customer_id"], columns["T"], strict=True) if t == 0}
    expected = {c for c, day in master[1].items() if day >= date(1997, 3, 24)}
    assert newcomers == expected
    assert 241 == sum(1 for day in master[1].values() if day == date(1997, 3, 25))
    assert len(newcomers) >= 241


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_reproducer_every_prediction_accepts_the_whole_table(table, model, backend, np):
    """P(alive), expected purchases and CLV of all 23,570 customers: finite, newcomers' own limits."""
    del np  # only for the skip without numpy
    c = table.to_columns()
    alive = model.probability_alive(c["frequency"], c["recency"], c["T"], backend=backend)
    expected = model.expected_purchases(10, c["frequency"], c["recency"], c["T"], backend=backend)
    values = customer_lifetime_value(
        model,
        GG,
        c["frequency"],
        c["recency"],
        c["T"],
        c["monetary_value"],
        horizon=52,
        discount_rate=0.002,
        backend=backend,
    )
    assert all(math.isfinite(v) for v in alive + expected + values)
    new = model.expected_purchases_new(10)
    for i, t in enumerate(c["T"]):
        if t == 0 and c["frequency"][i] == 0:
            assert alive[i] == pytest.approx(newcomer_alive(model), rel=1e-14)
            assert expected[i] == pytest.approx(new, rel=1e-12)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_newcomer_forecast_is_a_new_customers(model):
    """A newcomer (0, 0, 0) is a customer at its first purchase: E[X(t) | history] = E[X(t)] new."""
    for t in (0.5, 1.0, 10.0, 52.0, 500.0):
        assert model.expected_purchases(t, 0, 0, 0) == pytest.approx(
            model.expected_purchases_new(t), rel=1e-12
        )
    assert model.probability_alive(0, 0, 0) == pytest.approx(newcomer_alive(model), rel=1e-15)


def test_bgnbd_newcomer_with_same_period_repeats():
    """With x > 0 at T = 0 (all purchases in one instant): P(alive) = (b+x-1)/(b+x-1+a) (FHL 2008, eq. 2)."""
    r, alpha, a, b = (BG.params[k] for k in ("r", "alpha", "a", "b"))
    del r, alpha
    for x in (1, 2, 7):
        assert BG.probability_alive(x, 0, 0) == pytest.approx(
            (b + x - 1) / (b + x - 1 + a), rel=1e-15
        )
    assert math.isfinite(PNBD.probability_alive(3, 0, 0))
    assert PNBD.probability_alive(3, 0, 0) == 1.0  # no time to die: t_x = T


def test_negative_T_is_refused_with_its_index(np):  # noqa: N802 - the literature's name.
    """T < 0 stays an error, named by index, on both paths."""
    for backend in ("python", "numpy"):
        with pytest.raises(ValidationError) as caught:
            BG.probability_alive([1, 0], [0.5, 0.0], [2.0, -1.0], backend=backend)
        assert ("$.T[1]", "negative") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        BG.fit([1, 0], [0.5, 0.0], [2.0, -1.0])
    assert ("$.T[1]", "negative") == (caught.value.path, caught.value.code)
    arrays = [np.array([1.0, 0.0, 0.0]), np.array([0.5, 0.0, 0.0]), np.array([2.0, 0.0, 3.0])]
    assert BG.probability_alive(*arrays, backend="numpy")[1] == 1.0


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_reproducer_fit_on_compress_needs_no_skip(table, model):
    """``fit(**table.compress())`` runs; newcomers add exactly nothing to the log-likelihood.

    Evaluated at the published parameters (``max_iterations=0``): the weekly
    13-week log of the master file has no interior optimum to compare.
    """
    start = dict(model.params)
    kwargs = {"initial_params": start, "max_iterations": 0, "require_convergence": False}
    everyone = type(model)().fit(**table.compress(), **kwargs)
    without = type(model)().fit(**table.compress(skip_newcomers=True), **kwargs)
    assert everyone.log_likelihood == pytest.approx(without.log_likelihood, rel=1e-13)
    assert everyone.diagnostics.customers == without.diagnostics.customers + 504


@pytest.fixture(scope="module")
def cdnow(reference_data):
    """The 2,357-customer CDNOW calibration summary (FHL 2005)."""
    with reference_data("cdnow", "cdnow_customers_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return (
        [float(r["frequency"]) for r in rows],
        [float(r["recency"]) for r in rows],
        [float(r["T"]) for r in rows],
    )


@pytest.mark.parametrize(
    "model",
    [BetaGeo(), ModifiedBetaGeo(), ParetoNBD()],
    ids=["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"],
)
def test_fit_with_241_newcomers_equals_the_fit_without(cdnow, model):
    """CDNOW plus 241 newcomers fits to the published optimum, the same as without them."""
    x, t_x, t = cdnow
    plain = model.fit(x, t_x, t)
    mixed = model.fit([*x, *[0.0] * 241], [*t_x, *[0.0] * 241], [*t, *[0.0] * 241])
    assert mixed.log_likelihood == pytest.approx(plain.log_likelihood, abs=1e-6)
    for name, value in plain.params.items():
        assert mixed.params[name] == pytest.approx(value, rel=1e-4), name
    if isinstance(model, BetaGeo):  # FHL (2005), section 5: LL = -9582.4
        assert plain.log_likelihood == pytest.approx(-9582.4, abs=0.05)
        assert mixed.params["r"] == pytest.approx(0.243, abs=5e-4)


# --- BG/BB newcomers: periods = 0 (R1 item 10) -------------------------------------------

# Fader, Hardie & Shang (2010), table 2: the donations fit.
BB = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})


def test_bgbb_newcomer_predictions_are_a_new_customers(np):
    """``probability_alive(0, 0, 0)`` raised "$.periods: must be at least 1".

    A newcomer (first purchase at the last opportunity) has likelihood 1. Its
    P(alive at the next opportunity) is eq. (11) at n = 0: B(gamma, delta + 1) /
    B(gamma, delta) = delta / (gamma + delta), surviving the first opportunity;
    its expected transactions are a new customer's (eq. 13 at n = 0 is eq. 9).
    """
    assert BB.probability_alive(0, 0, 0) == pytest.approx(2.783 / (0.657 + 2.783), rel=1e-14)
    for t in (1, 5, 10, 100):
        assert BB.expected_purchases(t, 0, 0, 0) == pytest.approx(
            BB.expected_purchases_new(t), rel=1e-12
        )
    arrays = BB.probability_alive(np.array([0, 2]), np.array([0, 4]), np.array([0, 6]))
    assert arrays.tolist() == pytest.approx(
        [BB.probability_alive(0, 0, 0), BB.probability_alive(2, 4, 6)], rel=1e-14
    )
    value = customer_lifetime_value(BB, GG, 0, 0, 0, 0.0, horizon=5, discount_rate=0.0)
    mean_spend = 6.25 * 15.44 / 2.74  # a customer without repeat spend: the population mean
    assert value == pytest.approx(mean_spend * BB.expected_purchases_new(5), rel=1e-12)
    with pytest.raises(ValidationError) as caught:
        BB.probability_alive(0, 1, 0)
    assert caught.value.problems[0].path == "$.recency"


def test_bgbb_fit_with_newcomers_equals_the_fit_without(reference_data):
    """A newcomer's likelihood is 1: 500 of them change no parameter, log-likelihood or SE."""
    with reference_data("cdnow", "donations.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    columns = [[int(r[k]) for r in rows] for k in ("frequency", "recency", "periods", "weights")]
    plain = BetaGeoBetaBinom().fit(*columns[:3], weights=columns[3])
    more = BetaGeoBetaBinom().fit(*([*c, 0] for c in columns[:3]), weights=[*columns[3], 500])
    assert more.diagnostics.customers == plain.diagnostics.customers + 500
    assert more.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    for name in plain.params:
        assert more.params[name] == pytest.approx(plain.params[name], rel=1e-9)
        assert more.standard_errors[name] == pytest.approx(plain.standard_errors[name], rel=1e-7)
