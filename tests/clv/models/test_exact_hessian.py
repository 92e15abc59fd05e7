"""Exact gradients and Hessians of the models' negative log-likelihoods (second-order AD).

Checked against the models' own analytic gradients, Richardson-extrapolated
central differences of analytic gradients, 40-digit mpmath references and the
standard errors lifetimes computes with autograd on the donations data.
"""

import csv
import math
import warnings

import pytest
from tests._optional import in_ci

from crmcore.clv.models import _bgnbd, _cnbd, _exact, _gammagamma, _paretonbd
from crmcore.clv.models._dual import (
    Dual,
    chain2,
    digamma,
    exp,
    expm1,
    lbeta,
    lgamma,
    log,
    log1p,
    logaddexp,
    logsumexp,
    power,
    softplus,
    trigamma,
    variables,
)
from crmcore.clv.models._exact import (
    log_likelihood,
    negative_log_likelihood_gradient,
    negative_log_likelihood_hessian,
)
from crmcore.clv.models._optimize import cholesky_inverse

BG_PARAMS = [0.243, 4.414, 0.793, 2.426]  # FHL (2005) BG/NBD on CDNOW
MBG_PARAMS = [0.525, 6.183, 0.891, 1.614]
PARETO_PARAMS = [0.5534, 10.5802, 0.6061, 11.6562]  # Pareto/NBD on CDNOW
GG_PARAMS = [6.25, 3.74, 15.44]
BGBB_PARAMS = [1.204, 0.750, 0.657, 2.783]  # FHS (2010) on the donations data
SBG_SURVIVORS = [(1000,), (869,), (743,), (653,), (593,), (551,), (517,), (491,)]
SBG_PARAMS = [0.668, 3.806]


def close(actual, expected, rel, floor=0.0):
    """Equal nested lists up to ``rel`` of the largest magnitude in ``expected`` (plus ``floor``)."""
    flat_a = [v for row in actual for v in (row if isinstance(row, list) else [row])]
    flat_e = [v for row in expected for v in (row if isinstance(row, list) else [row])]
    assert len(flat_a) == len(flat_e)
    scale = max(abs(v) for v in flat_e)
    for a, e in zip(flat_a, flat_e, strict=True):
        assert abs(a - e) <= rel * scale + floor, (a, e)


def richardson_jacobian(gradient, params, rel_step=1e-3):
    """Jacobian of ``gradient`` by central differences, twice Richardson-extrapolated."""
    n = len(params)
    columns = []
    for j in range(n):
        h0 = rel_step * params[j]

        def central(h, j=j):
            up = list(params)
            down = list(params)
            up[j] += h
            down[j] -= h
            return [(u - d) / (2 * h) for u, d in zip(gradient(up), gradient(down), strict=True)]

        d1, d2, d4 = central(h0), central(h0 / 2), central(h0 / 4)
        r1 = [(4 * b - a) / 3 for a, b in zip(d1, d2, strict=True)]
        r2 = [(4 * b - a) / 3 for a, b in zip(d2, d4, strict=True)]
        columns.append([(16 * b - a) / 15 for a, b in zip(r1, r2, strict=True)])
    return [[columns[j][i] for j in range(n)] for i in range(n)]


def natural_gradient(likelihood):
    """A model's analytic ``_Likelihood`` gradient (in log-params) moved to natural params."""

    def gradient(params):
        _, g = likelihood([math.log(v) for v in params])
        return [gi / p for gi, p in zip(g, params, strict=True)]

    return gradient


def own_gradient(model, rows, weights):
    return lambda params: negative_log_likelihood_gradient(model, rows, weights, params)


@pytest.fixture(scope="module")
def cdnow(reference_data):
    path = reference_data("cdnow", "cdnow_customers_summary_with_transactions.csv")
    with path.open() as handle:
        table = list(csv.DictReader(handle))
    rows = [(float(r["x"]), float(r["t_x"]), float(r["T"])) for r in table]
    spends = [(float(r["x"]), float(r["zbar"])) for r in table if float(r["x"]) > 0]
    return rows, spends


@pytest.fixture(scope="module")
def donations(reference_data):
    path = reference_data("cdnow", "donations.csv")
    with path.open() as handle:
        table = list(csv.DictReader(handle))
    rows = [(int(r["frequency"]), int(r["recency"]), int(r["periods"])) for r in table]
    return rows, [int(r["weights"]) for r in table]


# --- the dual numbers --------------------------------------------------------


def test_trigamma_and_digamma_match_40_digit_values():
    """psi'(x) and psi(x) at small, medium and large x (mpmath.psi(1, x), psi(0, x), 40 digits)."""
    # mpmath: [mp.nstr(mp.psi(1, x), 20) for x in ...] with mp.dps = 40
    expected = {
        1e-6: 1000000000001.6450222,
        0.3: 12.245364546107731301,
        1.0: 1.6449340668482264365,
        2.5: 0.49035775610023486497,
        9.9: 0.10628304162874059193,
        50.0: 0.020201333226697125806,
        1e6: 1.0000005000001666667e-06,
    }
    for x, value in expected.items():
        assert trigamma(x) == pytest.approx(value, rel=2e-15)
    assert digamma(1.0) == pytest.approx(-0.57721566490153286061, rel=1e-15)
    assert digamma(0.3) == pytest.approx(-3.5025242222001331249, rel=1e-14)


def test_operations_follow_the_chain_rule():
    """Value, gradient and Hessian of compound expressions, against hand derivatives."""
    x, y = variables([0.7, 1.9])
    checks = [
        # (dual, value, gradient, hessian upper triangle)
        (x / y, 0.7 / 1.9, [1 / 1.9, -0.7 / 1.9**2], [0.0, -1 / 1.9**2, 2 * 0.7 / 1.9**3]),
        (2.0 / x, 2 / 0.7, [-2 / 0.49, 0.0], [4 / 0.343, 0.0, 0.0]),
        (1.0 - x * 3.0, -1.1, [-3.0, 0.0], [0.0, 0.0, 0.0]),
        (-(x - y) + 2.0, 3.2, [-1.0, 1.0], [0.0, 0.0, 0.0]),
        (x / 2.0 - 1.0, -0.65, [0.5, 0.0], [0.0, 0.0, 0.0]),
        (exp(x), math.exp(0.7), [math.exp(0.7), 0.0], [math.exp(0.7), 0.0, 0.0]),
        (expm1(x), math.expm1(0.7), [math.exp(0.7), 0.0], [math.exp(0.7), 0.0, 0.0]),
        (log1p(y), math.log1p(1.9), [0.0, 1 / 2.9], [0.0, 0.0, -1 / 2.9**2]),
        (power(y, 2.5), 1.9**2.5, [0.0, 2.5 * 1.9**1.5], [0.0, 0.0, 3.75 * 1.9**0.5]),
        (
            power(y, x),
            1.9**0.7,
            [1.9**0.7 * math.log(1.9), 0.7 * 1.9**-0.3],
            [
                1.9**0.7 * math.log(1.9) ** 2,
                1.9**-0.3 * (1 + 0.7 * math.log(1.9)),
                0.7 * -0.3 * 1.9**-1.3,
            ],
        ),
    ]
    for dual, value, gradient, hessian in checks:
        assert dual.v == pytest.approx(value, rel=1e-15)
        assert dual.g == pytest.approx(gradient, rel=1e-14, abs=1e-300)
        assert dual.h == pytest.approx(hessian, rel=1e-14, abs=1e-300)
    assert "Dual(" in repr(x)


def test_log_sums_agree_with_their_direct_forms():
    """logaddexp, logsumexp with signs, softplus and lbeta against log/exp compositions."""
    x, y, z = variables([0.3, -1.2, 2.0])
    direct = log(exp(x) + exp(y * z))
    for found in (logaddexp(x, y * z), logaddexp(y * z, x), logsumexp([x, y * z])):
        close([found.v, *found.g, *found.h], [direct.v, *direct.g, *direct.h], 1e-14)
    direct = log(exp(z) - exp(x * y))
    found = logsumexp([z, x * y], [1.0, -1.0])
    close([found.v, *found.g, *found.h], [direct.v, *direct.g, *direct.h], 1e-14)
    for u in (x * 40.0, y * 40.0):
        found = softplus(u)
        direct = log1p(exp(u))
        close([found.v, *found.g, *found.h], [direct.v, *direct.g, *direct.h], 1e-13)
    a, b = variables([1.5, 0.25])
    found = lbeta(a, b)
    assert found.v == pytest.approx(math.lgamma(1.5) + math.lgamma(0.25) - math.lgamma(1.75))
    assert found.h[1] == pytest.approx(-trigamma(1.75), rel=1e-14)
    assert lgamma(a).g == [digamma(1.5), 0.0]


# --- 40-digit references -----------------------------------------------------

# Computed with mpmath 1.4.1 at mp.dps = 60 (Pareto/NBD: 45) from the published
# closed forms (BG/NBD: FHL 2005 eq. 6, MBG/NBD: Batislam et al. 2007, BG/BB: FHS 2010
# eq. 5 with mp.beta, Gamma-Gamma: Fader & Hardie 2013 eq. 3, sBG: P(T=t) and S(t) as
# Beta-function ratios, Pareto/NBD: FH 2005 eq. 22 with the integral H by mp.quad);
# gradients and Hessians by mp.diff. Printed to 40 digits, quoted here to 20.
REFERENCES = [
    (
        "BetaGeo",
        [(2, 30.43, 38.86), (0, 0, 38.86), (5, 20, 30), (0, 0, 0)],
        [1, 3, 2, 4],
        BG_PARAMS,
        43.742604323581382745,
        [
            -3.8532127229647608626,
            0.099842716663764331651,
            1.2020804266512628043,
            -0.40623382701714182730,
        ],
        [
            [
                53.378725567286242139,
                -1.1860318685385635067,
                -0.26618175471114365768,
                0.038713693292088768061,
            ],
            [
                -1.1860318685385635067,
                0.058541739572822647470,
                0.041658973816928520622,
                -0.0054803990375268149307,
            ],
            [
                -0.26618175471114365768,
                0.041658973816928520622,
                0.078368115538150635683,
                -0.45240019593795776692,
            ],
            [
                0.038713693292088768061,
                -0.0054803990375268149307,
                -0.45240019593795776692,
                0.28942963864211822644,
            ],
        ],
    ),
    (
        "ModifiedBetaGeo",
        [(0, 0, 0), (1, 5, 10), (0, 0, 20)],
        [2, 1, 3],
        MBG_PARAMS,
        5.4540781437266153305,
        [
            0.90722095972365993893,
            -0.064241827924645001523,
            -0.35918231463715203681,
            0.16975851274460515464,
        ],
        [
            [
                2.0441801961155953257,
                -0.18638945573888141426,
                -1.3039783475179120870,
                0.69933359352621946575,
            ],
            [
                -0.18638945573888141426,
                0.019836506563802055850,
                0.065309196122445874453,
                -0.033714103875338196219,
            ],
            [
                -1.3039783475179120870,
                0.065309196122445874453,
                0.56311548953393655261,
                -0.10020847452748624719,
            ],
            [
                0.69933359352621946575,
                -0.033714103875338196219,
                -0.10020847452748624719,
                -0.034895183770784799852,
            ],
        ],
    ),
    (
        "BetaGeoBetaBinom",
        [(3, 4, 6), (0, 0, 6), (6, 6, 6), (2, 5, 6)],
        [5, 10, 3, 2],
        BGBB_PARAMS,
        54.529078991886492662,
        [
            2.1903098178140996863,
            -2.8806198587694846827,
            -2.2146492760118408882,
            0.55747777181870438364,
        ],
        [
            [
                -0.0037037223000785201374,
                -3.5516201213160173102,
                -4.4550544920945088214,
                0.95869994025411566867,
            ],
            [
                -3.5516201213160173102,
                12.819005939242269134,
                4.205425742859316303,
                -0.90210123294959922251,
            ],
            [
                -4.4550544920945088214,
                4.205425742859316303,
                14.545380005141181548,
                -1.9870990339029925598,
            ],
            [
                0.95869994025411566867,
                -0.90210123294959922251,
                -1.9870990339029925598,
                0.13540037950158325045,
            ],
        ],
    ),
    (
        "GammaGamma",
        [(2, 22.35), (1, 11.77), (6, 40.0)],
        [1, 2, 1],
        GG_PARAMS,
        15.335339016319739052,
        [0.52298435659686270468, -0.94810649737314770756, 0.19686044372676300219],
        [
            [0.30480690697752570589, -0.48484403562771259392, 0.13024700737142307996],
            [-0.48484403562771259392, 0.92646280816215325298, -0.16502228672316343517],
            [0.13024700737142307996, -0.16502228672316343517, 0.030645202395295863269],
        ],
    ),
    (
        "ShiftedBetaGeometric",
        SBG_SURVIVORS,
        [1] * 8,
        SBG_PARAMS,
        1611.1581503549219012,
        [-0.077397935458118168136, 0.0095858175420700017473],
        [
            [1013.1968894866267518, -127.48581695677387205],
            [-127.48581695677387205, 17.661413479225117073],
        ],
    ),
    (
        "ParetoNBD",
        [(2, 30.43, 38.86), (0, 0, 38.86), (7, 25, 31), (0, 0, 0)],
        [1, 3, 2, 1],
        PARETO_PARAMS,
        51.723720928018463986,
        [
            -3.003716822259969677,
            0.18534186253758663437,
            2.21748266647327148,
            -0.065313731559699777772,
        ],
        [
            [
                10.74973119520930589,
                -0.33355094961369570561,
                -1.9837836303619670527,
                0.072946026302097653462,
            ],
            [
                -0.33355094961369570561,
                0.014204481516054663817,
                0.052942879620701564671,
                -0.0018875201625174041051,
            ],
            [
                -1.9837836303619670527,
                0.052942879620701564671,
                1.3146291895617358485,
                -0.15179841254468098536,
            ],
            [
                0.072946026302097653462,
                -0.0018875201625174041051,
                -0.15179841254468098536,
                0.0084292418382921299943,
            ],
        ],
    ),
    (
        "ParetoNBD",
        [(2, 30.43, 38.86), (0, 0, 38.86)],
        [1, 2],
        [1.2, 500.0, 0.8, 0.5],
        15.009105854258830143,
        [
            -1.2014399209239272316,
            0.0035167030077719694387,
            4.0798095765159620874,
            -1.5528443672304751212,
        ],
        [
            [
                0.90060277832496749986,
                -0.00016599764507070449389,
                -0.033759567521564332308,
                0.017316026748289774607,
            ],
            [
                -0.00016599764507070449389,
                -6.1361905237205484688e-6,
                0.000085162896596698389762,
                -0.000040756974558953912221,
            ],
            [
                -0.033759567521564332308,
                0.000085162896596698389762,
                0.12273764130375180397,
                -1.9995260220291856493,
            ],
            [
                0.017316026748289774607,
                -0.000040756974558953912221,
                -1.9995260220291856493,
                3.1819169546923619333,
            ],
        ],
    ),
    (
        "ParetoNBD",
        [(2, 30.43, 38.86), (0, 0, 38.86), (1, 3, 50)],
        [1, 2, 1],
        [0.9, 0.4, 1.1, 300.0],
        25.986328073297481928,
        [
            12.926164405290199117,
            -8.3556012587654551354,
            -0.96901891477069968895,
            0.003481067796722757766,
        ],
        [
            [
                -1.7672806637081207336,
                -8.4308959084701664311,
                -1.4688174025084242802,
                0.0053303316092768927536,
            ],
            [
                -8.4308959084701664311,
                21.74479717293835603,
                0.26087911773364225649,
                -0.00095615400590181946992,
            ],
            [
                -1.4688174025084242802,
                0.26087911773364225649,
                0.49014861653916783308,
                0.0014116827159031266789,
            ],
            [
                0.0053303316092768927536,
                -0.00095615400590181946992,
                0.0014116827159031266789,
                -0.000016476869851012995724,
            ],
        ],
    ),
]


@pytest.mark.parametrize(
    ("model", "rows", "weights", "params", "value", "gradient", "hessian"), REFERENCES
)
def test_derivatives_match_40_digit_references(  # noqa: PLR0917 - one reference's fields.
    model, rows, weights, params, value, gradient, hessian
):
    """Value, gradient and Hessian of the negative log-likelihood against mpmath (see REFERENCES)."""
    found = log_likelihood(model, rows, weights, params)
    assert -found.v == pytest.approx(value, rel=1e-14)
    # Rounding scales with the summed terms (the value), not with a gradient near zero.
    floor = 1e-15 * abs(value)
    close(negative_log_likelihood_gradient(model, rows, weights, params), gradient, 1e-13, floor)
    close(negative_log_likelihood_hessian(model, rows, weights, params), hessian, 1e-12, floor)


# --- against the models' own likelihoods --------------------------------------


def test_gradients_equal_the_models_analytic_gradients_on_cdnow(cdnow):
    """BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma: value and d/dlog(theta) = theta d/dtheta."""
    rows, spends = cdnow
    cases = [
        ("BetaGeo", rows, BG_PARAMS, _bgnbd._Likelihood(rows, [1.0] * len(rows), 0)),
        ("ModifiedBetaGeo", rows, MBG_PARAMS, _bgnbd._Likelihood(rows, [1.0] * len(rows), 1)),
        ("ParetoNBD", rows, PARETO_PARAMS, _paretonbd._Likelihood(rows, [1.0] * len(rows))),
        ("GammaGamma", spends, GG_PARAMS, _gammagamma._Likelihood(spends, [1.0] * len(spends))),
    ]
    for model, data, params, likelihood in cases:
        weights = [1.0] * len(data)
        value, gradient = likelihood([math.log(v) for v in params])
        found = log_likelihood(model, data, weights, params)
        assert -found.v == pytest.approx(value, rel=1e-13)
        mine = negative_log_likelihood_gradient(model, data, weights, params)
        close([g * p for g, p in zip(mine, params, strict=True)], gradient, 1e-9, 1e-12 * value)


@pytest.mark.parametrize(
    ("model", "params", "shift"),
    [
        ("BetaGeo", BG_PARAMS, 0),
        ("ModifiedBetaGeo", MBG_PARAMS, 1),
        ("ParetoNBD", PARETO_PARAMS, None),
    ],
)
def test_cdnow_hessians_match_richardson_differences_of_analytic_gradients(
    cdnow, model, params, shift
):
    """The exact Hessian against twice-extrapolated central differences of the model's gradient."""
    rows, _ = cdnow
    weights = [1.0] * len(rows)
    if shift is None:
        likelihood = _paretonbd._Likelihood(rows, weights)
    else:
        likelihood = _bgnbd._Likelihood(rows, weights, shift)
    expected = richardson_jacobian(natural_gradient(likelihood), params)
    close(negative_log_likelihood_hessian(model, rows, weights, params), expected, 1e-8)


def test_spend_and_donation_hessians_match_richardson_differences(cdnow, donations):
    """Gamma-Gamma (the model's analytic gradient) and BG/BB, sBG (the exact gradient)."""
    _, spends = cdnow
    weights = [1.0] * len(spends)
    expected = richardson_jacobian(
        natural_gradient(_gammagamma._Likelihood(spends, weights)), GG_PARAMS
    )
    close(negative_log_likelihood_hessian("GammaGamma", spends, weights, GG_PARAMS), expected, 1e-8)
    rows, counts = donations
    expected = richardson_jacobian(own_gradient("BetaGeoBetaBinom", rows, counts), BGBB_PARAMS)
    close(
        negative_log_likelihood_hessian("BetaGeoBetaBinom", rows, counts, BGBB_PARAMS),
        expected,
        1e-8,
    )
    expected = richardson_jacobian(
        own_gradient("ShiftedBetaGeometric", SBG_SURVIVORS, []), SBG_PARAMS
    )
    close(
        negative_log_likelihood_hessian("ShiftedBetaGeometric", SBG_SURVIVORS, [], SBG_PARAMS),
        expected,
        1e-8,
    )


def test_numerically_integrated_pareto_region_matches_its_differences_and_the_series(monkeypatch):
    """Where z > 0.9 the tail integral's head is integrated.

    Richardson differences of the exact gradient agree, and so do the series-only
    derivatives (z up to 0.99 summed directly).
    """
    rows = [(2, 30.43, 38.86), (0, 0, 38.86), (1, 3, 50), (4, 10.0, 12.0)]
    weights = [1, 2, 1, 3]
    params = [2.0, 100.0, 1.0, 1.0]
    split = negative_log_likelihood_hessian("ParetoNBD", rows, weights, params)
    expected = richardson_jacobian(own_gradient("ParetoNBD", rows, weights), params)
    close(split, expected, 1e-7)
    extreme = ([0.5, 500.0, 8.0, 1e-4], [0.5, 5000.0, 30.0, 1e-6], [40.0, 1e-6, 0.5, 5000.0])
    for other in ([1.2, 500.0, 0.8, 0.5], [0.9, 0.4, 1.1, 300.0], params, *extreme):
        value = _paretonbd._Likelihood(rows, weights).value([math.log(v) for v in other])
        assert -log_likelihood("ParetoNBD", rows, weights, other).v == pytest.approx(
            value, rel=1e-12
        )
    monkeypatch.setattr(_exact, "_SERIES_LIMIT", 0.995)
    close(negative_log_likelihood_hessian("ParetoNBD", rows, weights, params), split, 1e-11)


def test_bgbb_and_sbg_gradients_match_the_models_likelihoods(donations):
    """Values equal the models' own; their (finite-difference) gradients agree to 1e-6."""
    from crmcore.clv.models import _bgbb, _sbg  # noqa: PLC0415 - only this test needs them.

    rows, counts = donations
    for model, likelihood, data, w, params in [
        ("BetaGeoBetaBinom", _bgbb._Likelihood(rows, counts), rows, counts, BGBB_PARAMS),
        (
            "ShiftedBetaGeometric",
            _sbg._Likelihood([s for (s,) in SBG_SURVIVORS]),
            SBG_SURVIVORS,
            [],
            SBG_PARAMS,
        ),
    ]:
        value, gradient = likelihood([math.log(v) for v in params])
        assert -log_likelihood(model, data, w, params).v == pytest.approx(value, rel=1e-13)
        mine = negative_log_likelihood_gradient(model, data, w, params)
        close([g * p for g, p in zip(mine, params, strict=True)], gradient, 1e-5, 1e-9 * value)


def test_newcomer_rows_contribute_nothing():
    """T = 0 rows (x = 0, t_x = 0) have likelihood 1: value, gradient and Hessian unchanged."""
    rows = [(2, 30.43, 38.86), (0, 0, 38.86), (5, 20.0, 30.0)]
    for model, params in [
        ("BetaGeo", BG_PARAMS),
        ("ModifiedBetaGeo", MBG_PARAMS),
        ("ParetoNBD", PARETO_PARAMS),
    ]:
        without = log_likelihood(model, rows, [1, 1, 1], params)
        with_new = log_likelihood(model, [*rows, (0, 0, 0)], [1, 1, 1, 7], params)
        only_new = log_likelihood(model, [(0, 0, 0)], [5], params)
        assert [abs(v) for v in (only_new.v, *only_new.g, *only_new.h)] == pytest.approx(
            [0.0] * 15, abs=1e-13
        )
        close([with_new.v, *with_new.g, *with_new.h], [without.v, *without.g, *without.h], 1e-14)


def test_unavailable_answers_are_none():
    """Unknown models and undefined likelihoods give None (the caller falls back).

    The sBG ignores its weights.
    """
    rows = [(2, 30.43, 38.86)]
    assert negative_log_likelihood_hessian("BetaGeoCNBD", rows, [1], BG_PARAMS) is None
    assert negative_log_likelihood_gradient("BetaGeoCNBD", rows, [1], BG_PARAMS) is None
    assert negative_log_likelihood_hessian("BetaGeo", rows, [1], [0.2, -1.0, 0.8, 2.4]) is None
    assert (
        negative_log_likelihood_gradient("GammaGamma", [(1, 10.0)], [1], [1.0, 1.0, math.inf])
        is None
    )
    ignored = negative_log_likelihood_hessian(
        "ShiftedBetaGeometric", SBG_SURVIVORS, [9] * 8, SBG_PARAMS
    )
    assert ignored == negative_log_likelihood_hessian(
        "ShiftedBetaGeometric", SBG_SURVIVORS, [], SBG_PARAMS
    )
    assert isinstance(log_likelihood("GammaGamma", [(1, 10.0)], [1], GG_PARAMS), Dual)
    for k in (None, 0, True, 2.0):
        assert negative_log_likelihood_hessian("BetaGeoCnbd", rows, [1], BG_PARAMS, k=k) is None
    assert negative_log_likelihood_gradient("ModifiedBetaGeoCnbd", rows, [1], BG_PARAMS, k=2)


# --- standard errors ---------------------------------------------------------


def standard_errors(hessian):
    inverse = cholesky_inverse(hessian)
    return [math.sqrt(inverse[i][i]) for i in range(len(hessian))]


@pytest.fixture(scope="module")
def lifetimes():
    try:
        with warnings.catch_warnings():  # lifetimes 0.11.3 sets options pandas 3 deprecates
            warnings.simplefilter("ignore")
            import lifetimes  # noqa: PLC0415 - optional: imported only by the tests that need it.
    except ImportError:
        if in_ci():
            pytest.fail("lifetimes is not installed: CI installs it with the test extra")
        pytest.skip("lifetimes is not installed")
    return lifetimes


def test_bgbb_donation_standard_errors_match_lifetimes_autograd(donations, lifetimes):
    """BG/BB on the donations data: standard errors from the exact Hessian at the fit.

    They equal lifetimes 0.11.3's (autograd Hessian) to 1e-5; both fits agree to 1e-5.
    """
    from crmcore.clv import BetaGeoBetaBinom  # noqa: PLC0415

    rows, counts = donations
    x, t_x, n = (list(c) for c in zip(*rows, strict=True))
    ours = BetaGeoBetaBinom().fit(x, t_x, n, weights=counts)
    with warnings.catch_warnings():  # pandas deprecations inside lifetimes 0.11.3
        warnings.simplefilter("ignore")
        theirs = lifetimes.BetaGeoBetaBinomFitter().fit(x, t_x, n, weights=counts)
    params = list(ours.params.values())
    close(params, list(theirs.params_.values), 1e-5)
    errors = standard_errors(
        negative_log_likelihood_hessian("BetaGeoBetaBinom", rows, counts, params)
    )
    close(errors, list(theirs.standard_errors_.values), 1e-5)
    # lifetimes 0.11.3 prints these (to 8 digits): 0.06939136, 0.02944772, 0.05100985, 0.32081894.
    assert errors == pytest.approx([0.06939136, 0.02944772, 0.05100985, 0.32081894], rel=1e-5)


def test_edge_rows_follow_the_models():
    """Rows at the edges of the formulas follow the models.

    A Pareto/NBD row whose T is the next float after t_x equals the t_x = T row;
    sBG periods without losses and a cohort that all left match the model's likelihood.
    """
    from crmcore.clv.models import _sbg  # noqa: PLC0415 - only this test needs it.

    nudged = log_likelihood("ParetoNBD", [(1, 5.0, math.nextafter(5.0, 9.0))], [1], PARETO_PARAMS)
    exact = log_likelihood("ParetoNBD", [(1, 5.0, 5.0)], [1], PARETO_PARAMS)
    close([nudged.v, *nudged.g, *nudged.h], [exact.v, *exact.g, *exact.h], 1e-12)
    survivors = [10.0, 10.0, 4.0, 0.0]
    value = _sbg._Likelihood(survivors).value([math.log(v) for v in SBG_PARAMS])
    found = log_likelihood("ShiftedBetaGeometric", [(s,) for s in survivors], [], SBG_PARAMS)
    assert -found.v == pytest.approx(value, rel=1e-14)
    gradient = own_gradient("ShiftedBetaGeometric", [(s,) for s in survivors], [])
    close(
        [[-v for v in row] for row in found.hessian()],
        richardson_jacobian(gradient, SBG_PARAMS),
        1e-8,
    )


# --- speed-ups: float series, cumulative heads; the CNBD-k models ------------


def test_chain2_composes_a_function_of_two_duals():
    """``f(u, w) = u^2 w^3`` given its partials equals the product computed on duals."""
    x, y, z = variables([0.7, 1.9, -0.4])
    u, w = x * y, y + z * x
    direct = u * u * (w * w * w)
    uv, wv = u.v, w.v
    found = chain2(
        u,
        w,
        uv**2 * wv**3,
        (2 * uv * wv**3, 3 * uv**2 * wv**2),
        (2 * wv**3, 6 * uv * wv**2, 6 * uv**2 * wv),
    )
    close([found.v, *found.g, *found.h], [direct.v, *direct.g, *direct.h], 1e-14)


def test_pareto_head_region_with_many_ends_matches_40_digit_reference():
    """Many ends per frequency where z > 1/2 (the cumulative head quadrature).

    Parameters of the alpha = 100, beta = 1 benchmark's fit. mpmath 1.4.1, mp.dps = 45:
    FH (2005) eq. 22 with the integral from t_x to T by mp.quad, Hessian by mp.diff.
    """
    rows = [(0, 0, 31), (0, 0, 35.5), (0, 0, 38), (1, 5, 33), (1, 12, 39), (2, 3, 30), (0, 0, 0.5)]
    weights = [2, 1, 3, 1, 2, 1, 1]
    params = [0.6117, 171.7486, 0.7928, 4.3441]
    hessian = [
        [11.036713357695737379, -0.0045414309776639467977, -0.64142177840523586475,
         0.053744260968872086927],
        [-0.0045414309776639467977, -0.00010575162968608452311, 0.0033764003744935178212,
         -0.00024867507955324604749],
        [-0.64142177840523586475, 0.0033764003744935178212, 0.78406506159671037002,
         -0.55333337215447664413],
        [0.053744260968872086927, -0.00024867507955324604749, -0.55333337215447664413,
         0.13178479365874682387],
    ]  # fmt: skip
    found = log_likelihood("ParetoNBD", rows, weights, params)
    assert -found.v == pytest.approx(31.478245025802060875, rel=1e-14)
    close(negative_log_likelihood_hessian("ParetoNBD", rows, weights, params), hessian, 1e-12)


def test_pareto_drop_out_shape_near_zero_keeps_its_curvature():
    """S = 1e-9 (where a one-customer fit ends): the (s, s) entry is right.

    log s's curvature -1/s^2 no longer cancels against the bracket's weights
    (the earlier code was 2e-3 off there). mpmath as in the test above. The other
    entries are limited to ~1e-9 by H(t_x) - H(T) taken as a difference.
    """
    params = [50411.2378, 979489.7396, 1e-9, 40694.9964]
    hessian = negative_log_likelihood_hessian("ParetoNBD", [(2, 30.43, 38.86)], [1], params)
    assert hessian[2][2] == pytest.approx(9.6517862216734919512e-9, rel=1e-8)
    assert hessian[2][3] == pytest.approx(-1.7080139703064214472e-8, rel=1e-8)
    assert hessian[0][0] == pytest.approx(7.8698536883300517824e-10, rel=1e-8)
    assert hessian[3][3] == pytest.approx(8.3913618903610086367e-22, rel=1e-8)


# mpmath 1.4.1, mp.dps = 50: Platzer & Reutterer (2016) likelihood (the module docstring of
# crmcore.clv.models._cnbd, without the (k-1) litt constant), S2 summed with mp.gamma,
# derivatives by mp.diff. Rows, weights and parameters as in test_cnbd_... below.
CNBD_REFERENCES = [
    (
        "BetaGeoCnbd",
        88.30344874484668049107,
        [-7.506101603435796193751, 1.029446663841408694554, 0.8518934035568844982539,
         -0.2682402817402154168042],
        [
            [9.500791759474375242844, -0.3468403019736562106953, -0.2820187796583802153042,
             0.06610760055001435092882],
            [-0.3468403019736562106953, -0.01620724054222379872446, 0.09207507323998311134642,
             -0.01921993928746272072239],
            [-0.2820187796583802153042, 0.09207507323998311134642, 0.3199300625151367199495,
             -0.3648670078838656754452],
            [0.06610760055001435092882, -0.01921993928746272072239, -0.3648670078838656754452,
             0.1919938903898345790298],
        ],
    ),
    (
        "ModifiedBetaGeoCnbd",
        89.02534823139883892128,
        [-8.151798147983848223032, 1.0531584190312143171, 1.667642855073106455974,
         -0.4790755140544550202114],
        [
            [8.933788597597511912899, -0.2833195699506379433643, -0.8430986243888214411754,
             0.2245835945403690436385],
            [-0.2833195699506379433643, -0.01995649914654391939137, 0.1194920818574660838824,
             -0.02385136915569014359037],
            [-0.8430986243888214411754, 0.1194920818574660838824, 0.158622498692556841874,
             -0.5807006130402239597759],
            [0.2245835945403690436385, -0.02385136915569014359037, -0.5807006130402239597759,
             0.3236781585867688078971],
        ],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("model", "value", "gradient", "hessian"), CNBD_REFERENCES)
def test_cnbd_k3_derivatives_match_40_digit_references(model, value, gradient, hessian):
    """BG/CNBD-3 and MBG/CNBD-3: value, gradient and Hessian against mpmath."""
    rows = [(2, 30.43, 38.86), (0, 0, 38.86), (5, 20, 30), (0, 0, 0), (1, 1.5, 12)]
    weights = [1, 3, 2, 4, 2]
    params = [0.9, 12.5, 0.8, 2.6]
    found = log_likelihood(model, rows, weights, params, k=3)
    assert -found.v == pytest.approx(value, rel=1e-14)
    floor = 1e-15 * value
    close(
        negative_log_likelihood_gradient(model, rows, weights, params, k=3), gradient, 1e-13, floor
    )
    close(negative_log_likelihood_hessian(model, rows, weights, params, k=3), hessian, 1e-12, floor)


@pytest.mark.parametrize(
    ("model", "shift", "k"), [("BetaGeoCnbd", 0, 2), ("ModifiedBetaGeoCnbd", 1, 4)]
)
def test_cnbd_hessians_match_richardson_differences_of_the_models_gradient(cdnow, model, shift, k):
    """On CDNOW: value and gradient equal the model's analytic ones; the Hessian its differences."""
    rows, _ = cdnow
    weights = [1.0] * len(rows)
    params = [0.243 * k**0.5, 4.414 * k, 0.793, 2.426]
    likelihood = _cnbd._Likelihood(rows, weights, k, shift)
    value, gradient = likelihood([math.log(v) for v in params])
    assert -log_likelihood(model, rows, weights, params, k=k).v == pytest.approx(value, rel=1e-13)
    mine = negative_log_likelihood_gradient(model, rows, weights, params, k=k)
    close([g * p for g, p in zip(mine, params, strict=True)], gradient, 1e-12)
    expected = richardson_jacobian(natural_gradient(likelihood), params)
    close(negative_log_likelihood_hessian(model, rows, weights, params, k=k), expected, 1e-8)


def test_cnbd_with_k_1_is_the_bg_nbd_likelihood():
    """K = 1 (no Erlang survival sum): BG/CNBD-1 and MBG/CNBD-1 equal BG/NBD and MBG/NBD."""
    rows = [(2, 30.43, 38.86), (0, 0, 38.86), (5, 20.0, 30.0), (0, 0, 0), (3, 7.0, 7.0)]
    weights = [1, 3, 2, 4, 1]
    for cnbd, plain in (("BetaGeoCnbd", "BetaGeo"), ("ModifiedBetaGeoCnbd", "ModifiedBetaGeo")):
        one = log_likelihood(cnbd, rows, weights, MBG_PARAMS, k=1)
        other = log_likelihood(plain, rows, weights, MBG_PARAMS)
        close([one.v, *one.g, *one.h], [other.v, *other.g, *other.h], 1e-14)


def test_erlang_survival_partials_match_differences():
    """Log S2 and its partials in (s, u) against central differences (k = 6, and u = 0)."""
    s, u, k = 1.7, 0.35, 6
    value, (l_s, l_u), (l_ss, l_su, l_uu) = _exact._erlang_survival(s, u, k)
    terms = [math.gamma(s + j) / (math.gamma(s) * math.factorial(j)) * u**j for j in range(k)]
    assert value == pytest.approx(math.log(math.fsum(terms)), rel=1e-14)
    h = 1e-4

    def f(a, b):
        return _exact._erlang_survival(a, b, k)[0]

    def slopes(a, b):
        return _exact._erlang_survival(a, b, k)[1]

    assert l_s == pytest.approx((f(s + h, u) - f(s - h, u)) / (2 * h), rel=1e-7)
    assert l_u == pytest.approx((f(s, u + h) - f(s, u - h)) / (2 * h), rel=1e-7)
    up, down = slopes(s + h, u), slopes(s - h, u)
    assert l_ss == pytest.approx((up[0] - down[0]) / (2 * h), rel=1e-6)
    assert l_su == pytest.approx((up[1] - down[1]) / (2 * h), rel=1e-6)
    up, down = slopes(s, u + h), slopes(s, u - h)
    assert l_uu == pytest.approx((up[1] - down[1]) / (2 * h), rel=1e-6)
    # At u = 0: S2 = 1, slope s, curvature s (s + 1) - s^2.
    value, first, second = _exact._erlang_survival(s, 0.0, k)
    assert [value, *first, *second] == pytest.approx([0.0, 0.0, s, 0.0, 1.0, s], rel=1e-14)


def test_cnbd_standard_errors_from_the_exact_hessian_match_the_fit(cdnow):
    """A BG/CNBD-2 fit's finite-difference standard errors agree with the exact ones to 1e-4."""
    from crmcore.clv import BetaGeoCnbd  # noqa: PLC0415

    rows, _ = cdnow
    x, t_x, age = (list(c) for c in zip(*rows[:600], strict=True))
    fitted = BetaGeoCnbd(k=2).fit(x, t_x, age)
    params = list(fitted.params.values())
    exact = standard_errors(
        negative_log_likelihood_hessian("BetaGeoCnbd", rows[:600], [1.0] * 600, params, k=2)
    )
    close(exact, list(fitted.standard_errors.values()), 1e-4)
