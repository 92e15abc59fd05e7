"""The pandas and polars recipes, against the real libraries.

``docs/interop.md`` is run as a doctest here too, so that a missing pandas or
polars under ``CI=true`` fails (the plain doctest run would only error), and
each recipe is checked against an independent path: the same transactions
given as ``Decimal(repr(x))`` tuples, without any DataFrame.
"""

import doctest
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from crmcore.clv import BetaGeo, GammaGamma, predict, summarize, summarize_columns

DOCS = Path(__file__).resolve().parents[2] / "docs" / "interop.md"
END = datetime(2024, 4, 1, tzinfo=UTC)
CUSTOMERS = ["a", "a", "b", "c", "c", "c", "d", "d"]
DAYS = ["2024-01-02", "2024-02-10", "2024-01-15", "2024-01-03", "2024-01-20", "2024-03-01",
        "2024-02-02", "2024-03-12"]  # fmt: skip
AMOUNTS = [12.5, 30.0, 8.25, 19.99, 5.0, 42.1, 7.0, 11.0]


def _reference():
    rows = [
        (who, datetime.fromisoformat(day).replace(tzinfo=UTC), Decimal(repr(amount)))
        for who, day, amount in zip(CUSTOMERS, DAYS, AMOUNTS, strict=True)
    ]
    return summarize(rows, period="week", observation_end=END)


def _frame(pd):
    times = pd.to_datetime(DAYS, utc=True).astype("datetime64[ns, UTC]")
    return pd.DataFrame({"customer": CUSTOMERS, "at": times, "amount": AMOUNTS})


def test_the_docs_page_runs(pd, pl):
    failures, tried = doctest.testfile(
        str(DOCS),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert tried > 10
    assert failures == 0


def test_pandas_recipe_matches_plain_tuples(pd):
    tx = _frame(pd)
    assert str(tx["at"].dtype) == "datetime64[ns, UTC]"
    assert str(tx["amount"].dtype) == "float64"
    expected = _reference().to_columns(monetary="decimal")
    by_columns = summarize_columns(
        tx["customer"], tx["at"], tx["amount"], period="week", observation_end=END
    )
    by_rows = summarize(tx.itertuples(index=False), period="week", observation_end=END)
    by_numpy = summarize_columns(
        tx["customer"].to_numpy(),
        tx["at"],
        tx["amount"].to_numpy(),
        period="week",
        observation_end=END,
    )
    for table in (by_columns, by_rows, by_numpy):
        assert table.to_columns(monetary="decimal") == expected


def test_pandas_fit_predict_and_back(pd):
    tx = _frame(pd)
    table = summarize_columns(
        tx["customer"], tx["at"], tx["amount"], period="week", observation_end=END
    )
    summary = pd.DataFrame(table.to_columns())
    model = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    spend = GammaGamma().fit(
        summary["frequency"], summary["monetary_value"], require_convergence=False
    )
    out = pd.DataFrame(predict(model, table, t=12, spend_model=spend))
    plain = predict(model, _reference(), t=12, spend_model=spend)
    assert out["customer_id"].tolist() == plain["customer_id"]
    assert out["probability_alive"].tolist() == plain["probability_alive"]
    assert out["expected_purchases"].tolist() == plain["expected_purchases"]
    # Straight from the DataFrame's columns, as from lists.
    assert (
        model.probability_alive(summary["frequency"], summary["recency"], summary["T"])
        == (plain["probability_alive"])
    )


def test_polars_recipe_matches_plain_tuples(pd, pl):
    ptx = pl.from_pandas(_frame(pd))
    assert str(ptx.schema["amount"]) == "Float64"
    expected = _reference().to_columns(monetary="decimal")
    by_columns = summarize_columns(
        ptx["customer"], ptx["at"], ptx["amount"], period="week", observation_end=END
    )
    by_rows = summarize(ptx.iter_rows(), period="week", observation_end=END)
    assert by_columns.to_columns(monetary="decimal") == expected
    assert by_rows.to_columns(monetary="decimal") == expected
    out = pl.DataFrame(
        predict(BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}), by_columns)
    )
    assert out["customer_id"].to_list() == expected["customer_id"]


def test_float32_columns_read_at_their_own_precision(pd, pl):
    tx = _frame(pd)
    expected = summarize(
        [(c, t, Decimal(str(a))) for c, t, a in zip(CUSTOMERS, tx["at"], AMOUNTS, strict=True)],
        period="week",
        observation_end=END,
    ).to_columns(monetary="decimal")
    pandas32 = tx["amount"].astype("float32")
    polars32 = pl.Series(AMOUNTS, dtype=pl.Float32)
    for column in (pandas32, polars32, pandas32.to_numpy()):
        table = summarize_columns(
            tx["customer"], tx["at"], column, period="week", observation_end=END
        )
        assert table.to_columns(monetary="decimal") == expected
