"""Tests for `crmcore.clv.models._data` and the models' argument checks: bad input is named, never echoed."""

import math

import pytest

from crmcore import InvalidType, ValidationError
from crmcore.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD

FITS = [BetaGeo(), ModifiedBetaGeo(), ParetoNBD()]
PARAMS = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}


@pytest.mark.parametrize("model", FITS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize(
    ("frequency", "recency", "T", "path", "code"),
    [
        ([1, -2, 0], [1.0, 1.0, 0.0], [5.0, 5.0, 5.0], "$.frequency[1]", "negative"),
        ([1, 2.5, 0], [1.0, 1.0, 0.0], [5.0, 5.0, 5.0], "$.frequency[1]", "not_whole"),
        ([1, 2, 0], [1.0, 7.0, 0.0], [5.0, 5.0, 5.0], "$.recency[1]", "recency_above_T"),
        ([1, 2, 0], [1.0, 1.0, 0.0], [5.0, 5.0, -1.0], "$.T[2]", "negative"),
        ([1, 2, 0], [1.0, -1.0, 0.0], [5.0, 5.0, 5.0], "$.recency[1]", "negative"),
        ([1, 2, 0], [1.0, 1.0, 3.0], [5.0, 5.0, 5.0], "$.recency[2]", "recency_without_purchases"),
        ([1, math.nan, 0], [1.0, 1.0, 0.0], [5.0, 5.0, 5.0], "$.frequency[1]", "not_finite"),
        ([1, 2, 0], [1.0, math.inf, 0.0], [5.0, 5.0, 5.0], "$.recency[1]", "not_finite"),
        ([1, 2, 0], [1.0, 1.0], [5.0, 5.0, 5.0], "$.recency", "length_mismatch"),
        ([], [], [], "$.frequency", "empty"),
    ],
)
def test_bad_histories_name_the_argument_and_index(model, frequency, recency, T, path, code):  # noqa: N803, PLR0917 - parametrized.
    """Each broken rule is a ValidationError at the offending argument and index."""
    with pytest.raises(ValidationError) as caught:
        model.fit(frequency, recency, T)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_wrong_types_are_invalid_type_errors():
    """A string among numbers, or a number where a sequence belongs, is an InvalidType."""
    with pytest.raises(InvalidType) as caught:
        BetaGeo().fit([1, "2"], [1.0, 1.0], [5.0, 5.0])
    assert "$.frequency[1]" == caught.value.path
    with pytest.raises(InvalidType) as caught:
        BetaGeo().fit(3, [1.0], [5.0])  # type: ignore[arg-type]
    assert "$.frequency" == caught.value.path


def test_messages_never_contain_the_offending_value():
    """The value may be personal data: it is never repeated in the message."""
    with pytest.raises(ValidationError) as caught:
        BetaGeo().fit([1], [98765.4321], [5.0])
    assert "98765" not in str(caught.value)


def test_every_problem_is_reported():
    """Several broken rows give one error listing each of them."""
    with pytest.raises(ValidationError) as caught:
        BetaGeo().fit([-1, 1, -3], [0.0, 1.0, 0.0], [5.0, 5.0, 5.0])
    assert ["$.frequency[0]", "$.frequency[2]"] == [p.path for p in caught.value.problems]


def test_weights_are_checked():
    """Negative weights are named by index; all-zero weights are refused."""
    with pytest.raises(ValidationError) as caught:
        BetaGeo().fit([1, 2], [1.0, 1.0], [5.0, 5.0], weights=[1.0, -1.0])
    assert "$.weights[1]" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        BetaGeo().fit([1, 2], [1.0, 1.0], [5.0, 5.0], weights=[0, 0])
    assert ("$.weights", "empty") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize("huge", [6.709767983424324e154, 1.4137189129311497e154, 1e16])
def test_weights_near_the_float_range_are_refused(huge):
    """A weight of 1e154 made the optimizer's dot products overflow (found by the fuzz suite)."""
    frequency, recency, age = [0, 1, 2, 3, 0, 5], [0.0, 3.0, 10.0, 20.0, 0.0, 28.0], [30.0] * 6
    weights = [1.0] * 6
    weights[2] = huge
    with pytest.raises(ValidationError) as caught:
        BetaGeo().fit(frequency, recency, age, weights=weights, max_iterations=5)
    assert ("$.weights[2]", "range") == (caught.value.path, caught.value.code)
    fitted = BetaGeo().fit(
        frequency,
        recency,
        age,
        weights=[1.0, 1.0, 1e15, 1.0, 1.0, 1.0],
        max_iterations=5,
        require_convergence=False,
    )
    assert all(math.isfinite(value) for value in fitted.params.values())


def test_prediction_arguments_are_checked_without_an_index_for_numbers():
    """A single customer's bad value is named without an index; in a sequence with one."""
    model = BetaGeo(params=PARAMS)
    with pytest.raises(ValidationError) as caught:
        model.probability_alive(2, 9.0, 5.0)
    assert "$.recency" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        model.expected_purchases(10, [1, 2], [1.0, 9.0], 5.0)
    assert "$.recency[1]" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        model.expected_purchases(-1, 1, 1.0, 5.0)
    assert "$.t" == caught.value.path


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"r": 0.5, "alpha": 5.0, "a": 0.8}, "$.params"),
        ({"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5, "c": 1.0}, "$.params"),
        ({"r": -0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, "$.params.r"),
        ({"r": 0.5, "alpha": math.nan, "a": 0.8, "b": 2.5}, "$.params.alpha"),
        ({"r": 0.5, "alpha": 5.0, "a": "0.8", "b": 2.5}, "$.params.a"),
    ],
)
def test_parameters_are_checked(params, path):
    """Exactly the literature's names, each a positive finite number."""
    with pytest.raises(ValidationError) as caught:
        BetaGeo(params=params)
    assert path == caught.value.path


@pytest.mark.parametrize(
    ("frequency", "recency", "periods", "path", "code"),
    [
        ([2], [1], [6], "$.recency[0]", "recency_below_frequency"),
        ([1], [7], [6], "$.recency[0]", "recency_above_T"),
        ([1], [1], [-1], "$.periods[0]", "negative"),
        ([0], [2], [6], "$.recency[0]", "recency_without_purchases"),
        ([1], [1.5], [6], "$.recency[0]", "not_whole"),
    ],
)
def test_discrete_histories_are_checked(frequency, recency, periods, path, code):
    """BG/BB histories: whole numbers with frequency <= recency <= periods."""
    with pytest.raises(ValidationError) as caught:
        BetaGeoBetaBinom().fit(frequency, recency, periods)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_spend_data_needs_repeat_buyers():
    """Gamma-Gamma leaves out customers without repeat purchases, so it needs some with them."""
    with pytest.raises(ValidationError) as caught:
        GammaGamma().fit([0, 0], [0.0, 0.0])
    assert ("$.frequency", "empty") == (caught.value.path, caught.value.code)


def test_simulation_arguments_are_checked():
    """The customer count, seed and horizons of a simulation are validated."""
    model = BetaGeo(params=PARAMS)
    with pytest.raises(ValidationError) as caught:
        model.simulate(0, 10.0, seed=1)
    assert "$.n_customers" == caught.value.path
    with pytest.raises(InvalidType) as caught:
        model.simulate(3, 10.0, seed=1.5)  # type: ignore[arg-type]
    assert "$.seed" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        model.simulate(2, [10.0, -1.0], seed=1)
    assert "$.T[1]" == caught.value.path


SNAN = __import__("decimal").Decimal("sNaN")
FREQUENCY = [0, 1, 2, 3, 0, 5, 1]
RECENCY = [0.0, 3.0, 10.0, 20.0, 0.0, 28.0, 7.0]
AGE = [30.0, 30.0, 30.0, 32.0, 25.0, 30.0, 40.0]


@pytest.mark.parametrize("value", [10**400, -(10**400), SNAN])
def test_numbers_beyond_the_float_range_are_validation_errors(value):
    """D18: float() of a huge int or a signalling NaN is refused, never an escaping error."""
    with pytest.raises(ValidationError) as caught:
        BetaGeo(params=PARAMS).probability_alive(value, 1.0, 2.0)
    assert ("$.frequency", "not_finite") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"progress": True}, "$.progress"),
        ({"progress": 5}, "$.progress"),
        ({"max_iterations": None}, "$.max_iterations"),
        ({"max_iterations": 2.5}, "$.max_iterations"),
        ({"max_iterations": -1}, "$.max_iterations"),
        ({"max_iterations": 2**63}, "$.max_iterations"),
        ({"require_convergence": "no"}, "$.require_convergence"),
    ],
)
def test_fit_options_are_checked(kwargs, path):
    """D19 and D34: progress, max_iterations (0 to 10,000) and require_convergence are checked."""
    with pytest.raises(ValidationError) as caught:
        BetaGeo().fit(FREQUENCY, RECENCY, AGE, **kwargs)
    assert path == caught.value.path


def test_zero_iterations_evaluate_the_starting_point():
    """max_iterations=0 is allowed: the log-likelihood at the initial parameters."""
    model = BetaGeo().fit(
        FREQUENCY, RECENCY, AGE, initial_params=PARAMS, max_iterations=0, require_convergence=False
    )
    assert 0 == model.diagnostics.iterations


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: BetaGeo(params=PARAMS).simulate(2**63, 10.0, seed=1), "$.n_customers"),
        (lambda: BetaGeo(params=PARAMS).simulate(3, 1e300, seed=1), "$.T"),
        (lambda: ParetoNBD(params=PARAMS_PNBD).simulate(3, [1.0, 2.0, 1e7], seed=1), "$.T[2]"),
        (lambda: BetaGeoBetaBinom(params=PARAMS_BGBB).simulate(3, 2**63, seed=1), "$.periods"),
        (lambda: GammaGamma(params=PARAMS_GG).simulate([2**63], seed=1), "$.n_customers"),
    ],
)
def test_simulations_are_bounded(call, path):
    """D20 and D34: simulations refuse sizes and spans that would run for ever."""
    with pytest.raises(ValidationError) as caught:
        call()
    assert path == caught.value.path


def test_a_simulation_that_would_draw_too_much_is_refused():
    """The draws of one simulation are bounded, whatever mix of sizes makes them."""
    model = BetaGeoBetaBinom(params=PARAMS_BGBB)
    with pytest.raises(ValidationError) as caught:
        model.simulate(1_000_000, 10_000, seed=1)
    assert ("$.n_customers", "too_large") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: BetaGeo(params=PARAMS).probability_of_purchases(2**63, 10), "$.n"),
        (lambda: BetaGeoBetaBinom(params=PARAMS_BGBB).expected_purchases_new(2**63), "$.t"),
        (lambda: BetaGeoBetaBinom(params=PARAMS_BGBB).probability_of_purchases(1, 2**63), "$.t"),
        (lambda: BetaGeoBetaBinom(params=PARAMS_BGBB).probability_alive(1, 1, 2**63), "$.periods"),
        (lambda: ParetoNBD(params=PARAMS_PNBD).expected_purchases_new(1e300), "$.t"),
    ],
)
def test_counts_and_horizons_are_bounded(call, path):
    """D34: a count of 2**63 is refused with code too_large instead of looping 2**63 times."""
    with pytest.raises(ValidationError) as caught:
        call()
    assert (path, "too_large") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize("value", [10**400, 10**400 + 1])
def test_parameters_beyond_the_float_range_are_refused(value):
    """D37: make_params converts without an escaping OverflowError."""
    with pytest.raises(ValidationError) as caught:
        GammaGamma(params={"p": value, "q": 3.74, "v": 15.44})
    assert "$.params.p" == caught.value.path


def test_parameter_names_are_never_echoed():
    """An unknown parameter name may be anything: the error lists the expected names only."""
    with pytest.raises(ValidationError) as caught:
        GammaGamma(params={"p": 1.0, "q": 1.0, "Zqxmarker": 1.0})
    assert "Zqxmarker" not in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("log_likelihood", "high"),
        ("log_likelihood", math.inf),
        ("diagnostics", 3),
        ("standard_errors", {"p": -1.0, "q": 1.0, "v": 1.0}),
        ("standard_errors", [1, 2, 3]),
    ],
)
def test_fitted_fields_are_checked(field, value):
    """D33: a model built by hand refuses a log-likelihood, diagnostics or errors of the wrong kind."""
    with pytest.raises(ValidationError) as caught:
        GammaGamma(params=PARAMS_GG, **{field: value})
    assert caught.value.path.startswith(f"$.{field}")


PARAMS_PNBD = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.66}
PARAMS_BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
PARAMS_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def test_columns_are_bounded_before_they_are_read():
    """A lazy sequence of 2**62 numbers is refused by its length, not read for ever."""
    with pytest.raises(ValidationError) as caught:
        GammaGamma(params=PARAMS_GG).expected_average_spend(2, range(2**62))
    assert ("$.monetary_value", "too_many") == (caught.value.path, caught.value.code)
