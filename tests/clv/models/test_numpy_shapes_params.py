"""Model parameters given as numpy scalars (a fit made elsewhere, a pandas row's values).

`make_params` reads numpy integer and float scalars as the kernel reads them
(`crmcore._kernel._numbers.numpy_number`): a float32 at its own shortest
representation. Differential: a model built from numpy scalars predicts exactly
what the model built from the Python numbers of those representations predicts.
numpy tests skip without numpy locally and fail under ``CI=true``.
"""

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore.clv import BetaGeo, GammaGamma, ParetoNBD
from crmcore.clv.models._base import make_params

NAMES = ("r", "alpha", "a", "b")


def test_float32_is_read_at_its_own_shortest_repr(np):
    params = make_params(NAMES, {"r": np.float32(0.24), "alpha": 4.414, "a": 0.793, "b": 2.426})
    # float(np.float32(0.24)) is 0.23999999463558197; the float32's shortest repr is '0.24'.
    assert float(np.float32(0.24)) != 0.24
    assert params["r"] == 0.24
    assert type(params["r"]) is float


def test_every_numpy_number_kind_is_taken(np):
    given_params = {
        "r": np.float16(0.5),
        "alpha": np.int32(4),
        "a": np.uint8(1),
        "b": np.int64(3),
    }
    params = make_params(NAMES, given_params)
    assert dict(params) == {"r": 0.5, "alpha": 4.0, "a": 1.0, "b": 3.0}
    assert all(type(value) is float for value in params.values())
    assert make_params(("p",), {"p": np.float64(0.1)})["p"] == 0.1
    assert make_params(("p",), {"p": np.longdouble("2.5")})["p"] == 2.5
    assert make_params(("p",), {"p": np.uint64(2**64 - 1)})["p"] == float(2**64 - 1)


@pytest.mark.parametrize(
    ("value", "error", "code"),
    [
        ("bool_true", InvalidType, "type"),
        ("bool_false", InvalidType, "type"),
        ("complex", InvalidType, "type"),
        ("datetime", InvalidType, "type"),
        ("array", InvalidType, "type"),
        ("nan32", ValidationError, "not_positive"),
        ("inf32", ValidationError, "not_positive"),
        ("ninf16", ValidationError, "not_positive"),
        ("zero32", ValidationError, "not_positive"),
        ("negative_int", ValidationError, "not_positive"),
        ("huge_longdouble", ValidationError, "not_positive"),
    ],
)
def test_what_stays_refused(np, value, error, code):
    values = {
        "bool_true": np.bool_(True),
        "bool_false": np.bool_(False),
        "complex": np.complex64(1),
        "datetime": np.datetime64("2024-01-01"),
        "array": np.array([1.0], dtype=np.float32),
        "nan32": np.float32("nan"),
        "inf32": np.float32("inf"),
        "ninf16": np.float16("-inf"),
        "zero32": np.float32(0),
        "negative_int": np.int32(-1),
        "huge_longdouble": np.longdouble(2.0) ** 2000,
    }
    with pytest.raises(error) as info:
        make_params(("p",), {"p": values[value]})
    assert info.value.code == code
    assert info.value.path == "$.params.p"


def test_python_values_keep_their_reading():
    assert make_params(("p",), {"p": 0.1})["p"] == 0.1
    with pytest.raises(InvalidType):
        make_params(("p",), {"p": True})
    with pytest.raises(InvalidType):
        make_params(("p",), {"p": Decimal("0.1")})
    with pytest.raises(ValidationError) as info:
        make_params(("p",), {"p": math.nan})
    assert info.value.code == "not_positive"


@given(
    st.lists(
        st.floats(min_value=2.0**-10, max_value=2.0**10, width=32),
        min_size=4,
        max_size=4,
    )
)
def test_a_model_of_float32_scalars_predicts_as_one_of_their_reprs(np, values):
    scalars = dict(zip(NAMES, map(np.float32, values), strict=True))
    plain = {name: float(str(scalar)) for name, scalar in scalars.items()}
    ours, theirs = BetaGeo(params=scalars), BetaGeo(params=plain)
    assert ours.params == theirs.params
    assert ours.probability_alive(2, 30.0, 38.0) == theirs.probability_alive(2, 30.0, 38.0)
    assert ours.expected_purchases(10, 2, 30.0, 38.0) == theirs.expected_purchases(
        10, 2, 30.0, 38.0
    )


def test_a_pandas_rows_values(np, pd):
    frame = pd.DataFrame(
        {"r": [0.553], "alpha": [10.578], "s": [0.606], "beta": [11.669]}, dtype="float32"
    )
    row = frame.iloc[0]
    # A row's own scalars (row[name]) are numpy float32; row.items() and row.to_dict() widen
    # them to Python floats first (0.5529999732971191), which read as the floats they are.
    model = ParetoNBD(params={name: row[name] for name in row.index})
    assert dict(model.params) == {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    spend = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44}, dtype="float32")
    assert dict(GammaGamma(params={name: spend[name] for name in spend.index}).params) == {
        "p": 6.25,
        "q": 3.74,
        "v": 15.44,
    }
