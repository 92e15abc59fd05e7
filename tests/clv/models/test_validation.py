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
        ([1, 2, 0], [1.0, 1.0, 0.0], [5.0, 5.0, 0.0], "$.T[2]", "not_positive"),
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
        ([1], [1], [0], "$.periods[0]", "too_small"),
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
