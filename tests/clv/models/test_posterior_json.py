"""Tests for `ParameterSummary`'s plain-value views: an undefined ESS or R-hat is None there.

The attributes stay floats (NaN where a diagnostic is undefined); ``to_dict``
and ``to_columns`` (and a posterior's columns) give None instead, so that they
are JSON with ``allow_nan=False``.
"""

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from crmcore.clv import BetaGeo, ParameterSummary, sample_posterior
from crmcore.clv.models._posterior import effective_sample_size, split_r_hat, summarize_draws

HISTORIES = {
    "frequency": [0, 1, 2, 5, 0, 3],
    "recency": [0, 4.0, 8.0, 20.0, 0, 15.0],
    "T": [30.0] * 6,
}


def test_constant_draws_give_nan_attributes_and_none_in_the_dict():
    summary = summarize_draws([[2.0] * 8, [2.0] * 8], 0.9)
    assert math.isnan(summary.effective_sample_size)
    assert math.isnan(summary.r_hat)
    row = summary.to_dict()
    assert row["effective_sample_size"] is None
    assert row["r_hat"] is None
    assert row["mean"] == 2.0
    assert json.loads(json.dumps(row, allow_nan=False)) == row
    assert summary.to_columns() == {name: [value] for name, value in row.items()}


def test_defined_diagnostics_are_the_attributes():
    chains = [
        [0.1 * i + 0.37 * (i % 3) for i in range(10)],
        [0.2 * i - 0.1 * (i % 4) for i in range(10)],
    ]
    summary = summarize_draws(chains, 0.95)
    row = summary.to_dict()
    assert row["effective_sample_size"] == effective_sample_size(chains)
    assert row["r_hat"] == split_r_hat(chains)
    assert row == {f: getattr(summary, f) for f in row}


def test_posterior_columns_of_too_short_chains_are_json():
    """Two draws per chain: R-hat and ESS are undefined for every parameter."""
    posterior = sample_posterior(
        BetaGeo(params={"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}),
        HISTORIES,
        seed=3,
        draws=2,
        warmup=4,
        chains=2,
    )
    columns = posterior.to_columns()
    assert columns["r_hat"] == [None] * 4
    json.dumps(columns, allow_nan=False)
    for name, summary in posterior.summary().items():
        assert math.isnan(summary.r_hat)
        json.dumps(summary.to_dict(), allow_nan=False)
        assert summary.to_dict()["mean"] == summary.mean, name


finite = st.floats(-1e6, 1e6)


@given(st.lists(st.lists(finite, min_size=1, max_size=12), min_size=1, max_size=4))
def test_every_summary_dict_is_json(chains):
    size = min(len(c) for c in chains)
    chains = [c[:size] for c in chains]
    summary = summarize_draws(chains, 0.9)
    row = summary.to_dict()
    json.dumps(row, allow_nan=False)
    for name, value in row.items():
        attribute = getattr(summary, name)
        assert value == attribute or (value is None and math.isnan(attribute))


def test_a_summary_built_by_hand():
    summary = ParameterSummary(1.0, 0.5, 0.2, 1.8, 0.9, float("nan"), 1.01)
    assert summary.to_dict()["effective_sample_size"] is None
    assert summary.to_dict()["r_hat"] == 1.01
