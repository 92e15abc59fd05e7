"""crmcore.interop.dask on a real cluster: two worker processes, results equal to one process.

A missing dask skips these tests locally and fails them in CI (``CI=true``),
where the test extra installs it.
"""

import importlib
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._optional import optional

from crmcore import Money
from crmcore.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, ParetoNBD, predict, summarize
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.segmentation import RfmValues, field, not_, rfm_values, score_rfm
from crmcore.segmentation._rfm_cuts import rfm_cut_points


@pytest.fixture(scope="module")
def dd():
    return optional("dask.dataframe")


@pytest.fixture(scope="module")
def crm_dask(dd):
    return importlib.import_module("crmcore.interop.dask")


@pytest.fixture(scope="module")
def client(dd):
    distributed = optional("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


def day(text):
    return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def cdnow(reference_data):
    """CDNOW's transactions, (customer_id, at, amount in cents) in file order."""
    rows = []
    with reference_data("cdnow", "CDNOW_master.txt").open() as lines:
        for line in lines:
            parts = line.split()
            if not parts or not parts[0].isdigit():
                continue
            rows.append((int(parts[0]), day(parts[1]), int(Decimal(parts[3]) * 100)))
    return rows


def frame_of(pd, rows, *, cents=True):
    ids, ats, amounts = zip(*rows, strict=True) if rows else ((), (), ())
    return pd.DataFrame(
        {
            "customer": list(ids),
            "ordered_at": pd.Series(list(ats), dtype="datetime64[us, UTC]"),
            "cents": list(amounts) if cents else [str(a) for a in amounts],
        }
    )


NAMES = {"customer_id": "customer", "at": "ordered_at", "amount": "cents"}
CAL = datetime(1997, 9, 30, tzinfo=UTC)
END = datetime(1998, 6, 30, tzinfo=UTC)


def single(rows, **options):
    return summarize([(c, at, Decimal(a).scaleb(-2)) for c, at, a in rows], **options)


def same_table(left, right):
    assert list(left) == list(right)  # same customers, same order
    assert left.to_columns() == right.to_columns()
    assert dict(left) == dict(right)  # every field, Decimals included
    for name in ("period", "unit", "observation_end", "calibration_end", "currency"):
        assert getattr(left, name) == getattr(right, name)


@pytest.fixture(scope="module")
def cdnow_tables(client, pd, dd, crm_dask, cdnow):
    ddf = dd.from_pandas(frame_of(pd, cdnow), npartitions=6, sort=False)
    options = {"period": "day", "unit": "week", "observation_end": END, "calibration_end": CAL}
    spread = crm_dask.summarize(ddf, **NAMES, amount_scale=2, split_every=2, **options)
    return spread, single(cdnow, **options)


def test_cdnow_summaries_equal_one_process(cdnow_tables):
    spread, alone = cdnow_tables
    assert len(alone) == 23_570
    same_table(spread, alone)


def sub_table(table, ids):
    """The rows of ``ids`` as a table of their own (fits on CDNOW's first customers stay quick)."""
    return type(table)(
        {c: table[c] for c in ids},
        period=table.period,
        unit=table.unit,
        observation_end=table.observation_end,
        calibration_end=table.calibration_end,
    )


def test_cdnow_fit_and_lifetime_values_equal_one_process(crm_dask, cdnow_tables):
    table, alone = cdnow_tables
    first = list(alone)[:3_000]
    bg = crm_dask.fit(BetaGeo(), sub_table(table, first))
    reference = BetaGeo().fit(**sub_table(alone, first).compress())
    assert dict(bg.params) == dict(reference.params)  # bit-identical
    columns = sub_table(alone, first).to_columns()
    gg = crm_dask.fit(GammaGamma(), sub_table(table, first))
    assert dict(gg.params) == dict(
        GammaGamma().fit(columns["frequency"], columns["monetary_value"]).params
    )
    options = {"horizon": 52, "discount_rate": 0.01, "margin": 0.3}
    for backend in ("python", "numpy"):
        if backend == "numpy":
            optional("numpy")
        out = crm_dask.lifetime_values(
            sub_table(table, first), bg, gg, npartitions=3, t=39, backend=backend, **options
        )
        expected = predict(
            bg, sub_table(alone, first), t=39, spend_model=gg, backend=backend, **options
        )
        assert out["customer_id"].tolist() == expected["customer_id"]
        for name in ("probability_alive", "expected_purchases", "customer_lifetime_value"):
            assert out[name].tolist() == expected[name], name


def test_fit_from_parts_equals_the_fit_of_the_union(crm_dask, cdnow_tables):
    _, alone = cdnow_tables
    ids = list(alone)[:2_000]
    alone = sub_table(alone, ids)
    parts = [sub_table(alone, ids[start::3]) for start in range(3)]
    merged = crm_dask.fit(ParetoNBD(), parts)
    assert dict(merged.params) == dict(ParetoNBD().fit(**alone.compress()).params)
    with pytest.raises(ValidationError) as caught:
        crm_dask.fit(ParetoNBD(), [parts[0], parts[0]])
    assert caught.value.code == "duplicate"


def test_cdnow_rfm_scores_equal_one_process(client, pd, dd, crm_dask, cdnow):
    rows = [r for r in cdnow if r[0] <= 4_000]
    ddf = dd.from_pandas(frame_of(pd, rows, cents=False), npartitions=4, sort=False)
    ddf = ddf.assign(
        dollars=ddf["cents"].map(
            lambda text: str(Decimal(text).scaleb(-2)), meta=("dollars", object)
        )
    )
    as_of = datetime(1997, 12, 31, tzinfo=UTC)
    out = crm_dask.rfm_scores(
        ddf, as_of=as_of, customer_id="customer", at="ordered_at", amount="dollars", currency="USD"
    ).compute()
    orders = [(c, at, Money(Decimal(a).scaleb(-2), "USD")) for c, at, a in rows]
    expected = {s.customer_id: s for s in score_rfm(rfm_values(orders, at=as_of))}
    got = {
        row.customer_id: (row.recency_days, row.frequency, row.monetary, row.r, row.f, row.m)
        for row in out.itertuples()
    }
    assert got == {
        c: (s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m) for c, s in expected.items()
    }


def test_cdnow_segment_members_equal_matches(client, pd, dd, crm_dask, cdnow_tables):
    _, alone = cdnow_tables
    columns = alone.to_columns()
    n = len(columns["customer_id"])
    frame = pd.DataFrame(
        {
            "customer_id": columns["customer_id"],
            "frequency": columns["frequency"],
            "spend": [None if i % 7 == 0 else v for i, v in enumerate(columns["monetary_value"])],
            "tier": [("gold", "silver", None)[i % 3] for i in range(n)],
        }
    )
    rule = (field("frequency") >= 2) & (field("monetary_value") > 30) | not_(
        field("tier") == "silver"
    )
    members = crm_dask.segment_members(
        dd.from_pandas(frame, npartitions=5, sort=False),
        rule,
        columns={"monetary_value": "spend"},
    ).compute()
    expected = [
        row["customer_id"]
        for row in frame.rename(columns={"spend": "monetary_value"}).to_dict("records")
        if rule.matches({k: (None if pd.isna(v) else v) for k, v in row.items()})
    ]
    assert members.tolist() == expected
    assert 0 < len(expected) < n


customers = st.sampled_from(["a", "b", "c", "d", "e"])
moments = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; zone below.
    max_value=datetime(2024, 6, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)
amounts = st.integers(min_value=-500, max_value=5_000)
transactions = st.lists(st.tuples(customers, moments, amounts), min_size=0, max_size=30)


@given(
    rows=transactions,
    partitions=st.integers(1, 4),
    period=st.sampled_from(["day", "week", "month"]),
)
def test_generated_summaries_equal_one_process(  # noqa: PLR0917 - fixtures and examples.
    client, pd, dd, crm_dask, rows, partitions, period
):
    ddf = dd.from_pandas(frame_of(pd, rows), npartitions=partitions, sort=False)
    options = {
        "period": period,
        "observation_end": datetime(2024, 6, 30, tzinfo=UTC),
        "calibration_end": datetime(2024, 4, 1, tzinfo=UTC),
    }
    same_table(crm_dask.summarize(ddf, **NAMES, amount_scale=2, **options), single(rows, **options))


def test_generated_segments_on_dates_and_nulls(client, pd, dd, crm_dask):
    at = datetime(2024, 7, 1, tzinfo=UTC)
    frame = pd.DataFrame(
        {
            "customer_id": list(range(8)),
            "last_order": pd.Series(
                [datetime(2024, 6, d, tzinfo=UTC) for d in range(1, 8)] + [None],
                dtype="datetime64[us, UTC]",
            ),
        }
    )
    rule = field("last_order").within_last(days=27)
    members = crm_dask.segment_members(
        dd.from_pandas(frame, npartitions=3, sort=False), rule, at=at
    ).compute()
    rows = [{"last_order": None if v is pd.NaT else v.to_pydatetime()} for v in frame["last_order"]]
    assert members.tolist() == [i for i, row in enumerate(rows) if rule.matches(row, at=at)]


# -- bad input -----------------------------------------------------------------------


def test_bad_input_is_refused_with_crmcore_errors(client, pd, dd, crm_dask):
    rows = [("a", datetime(2024, 1, 1, tzinfo=UTC), 100)]
    ddf = dd.from_pandas(frame_of(pd, rows), npartitions=1)
    end = datetime(2024, 2, 1, tzinfo=UTC)
    with pytest.raises(InvalidType) as caught:
        crm_dask.summarize(frame_of(pd, rows), observation_end=end)
    assert caught.value.path == "$.ddf"
    with pytest.raises(ValidationError) as caught:
        crm_dask.summarize(ddf, **{**NAMES, "at": "when"}, observation_end=end)
    assert (caught.value.path, caught.value.code) == ("$.at", "unknown_column")
    with pytest.raises(InvalidType):
        crm_dask.summarize(ddf, **{**NAMES, "at": 3}, observation_end=end)
    with pytest.raises(ValidationError) as caught:
        crm_dask.summarize(
            ddf, **NAMES, observation_end=end, calibration_end=end, calibration_cut="instant"
        )
    assert caught.value.code == "unsupported"
    for bad, error in ((1, ValidationError), (True, InvalidType)):
        with pytest.raises(error):
            crm_dask.summarize(ddf, **NAMES, observation_end=end, split_every=bad)
    for bad, error in ((19, ValidationError), ("2", InvalidType)):
        with pytest.raises(error):
            crm_dask.summarize(ddf, **NAMES, observation_end=end, amount_scale=bad)
    # Floats are statistics' input (read at their shortest decimal form), but not infinities.
    infinite = ddf.assign(cents=ddf["cents"] * float("inf"))
    with pytest.raises(ValidationError) as caught:
        crm_dask.summarize(infinite, **NAMES, observation_end=end)
    assert caught.value.code == "not_finite"
    assert caught.value.path == "$.ddf.partitions[0].amount[0]"
    floats = ddf.assign(cents=ddf["cents"] / 3)
    with pytest.raises(InvalidType) as caught:  # minor units are whole numbers
        crm_dask.summarize(floats, **NAMES, observation_end=end, amount_scale=2)
    assert caught.value.path == "$.ddf.partitions[0].amount[0]"
    naive = dd.from_pandas(
        frame_of(pd, rows).assign(ordered_at=lambda f: f["ordered_at"].dt.tz_localize(None)),
        npartitions=1,
    )
    with pytest.raises(ValidationError) as caught:
        crm_dask.summarize(naive, **NAMES, observation_end=end, amount_scale=2)
    assert caught.value.path == "$.ddf.partitions[0].at[0]"


def test_missing_dask_names_the_extra(crm_dask, monkeypatch):
    real = importlib.import_module

    def without_dask(name, *args):
        if name.split(".")[0] in {"dask", "distributed", "pandas"}:
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_dask)
    with pytest.raises(ValidationError) as caught:
        crm_dask.summarize(object(), observation_end=END)
    assert caught.value.code == "unavailable"
    assert "pip install 'crmcore[dask]'" in str(caught.value)


def test_bad_models_rules_and_tables(client, pd, dd, crm_dask, cdnow_tables):
    table, _ = cdnow_tables
    with pytest.raises(InvalidType):
        crm_dask.fit(object(), table)
    for bad in ("x", [object()], 3):
        with pytest.raises(InvalidType):
            crm_dask.fit(BetaGeo(), bad)
    with pytest.raises(ValidationError) as caught:
        crm_dask.fit(BetaGeo(), [])
    assert caught.value.code == "empty"
    with pytest.raises(InvalidType):
        crm_dask.summary_frame({}, npartitions=2)
    with pytest.raises(InvalidType):
        crm_dask.summary_frame(table, npartitions="2")
    with pytest.raises(ValidationError):
        crm_dask.summary_frame(table, npartitions=0)
    frame = dd.from_pandas(pd.DataFrame({"customer_id": [1], "x": [2]}), npartitions=1)
    with pytest.raises(InvalidType):
        crm_dask.segment_members(frame, "x == 2")
    with pytest.raises(ValidationError) as caught:
        crm_dask.segment_members(frame, field("y") == 2)
    assert (caught.value.path, caught.value.code) == ("$.columns", "unknown_field")
    with pytest.raises(ValidationError) as caught:
        crm_dask.segment_members(frame, field("x").within_last(days=3))
    assert caught.value.code == "at_required"
    with pytest.raises(ValidationError):
        crm_dask.predict_partitions(frame, BetaGeo(params={"r": 1, "alpha": 1, "a": 1, "b": 1}))
    summaries = crm_dask.summary_frame(table, npartitions=2)
    with pytest.raises(ValidationError) as caught:
        crm_dask.predict_partitions(
            summaries, BetaGeo(params={"r": 1, "alpha": 1, "a": 1, "b": 1}), t=-1
        )
    assert caught.value.path == "$.t"


def test_rfm_refuses_mixed_currencies_and_bad_codes(client, pd, dd, crm_dask):
    at = datetime(2024, 1, 1, tzinfo=UTC)
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "at": pd.Series([at, at], dtype="datetime64[us, UTC]"),
            "amount": pd.Series([Money("1", "USD"), Money("2", "EUR")], dtype=object),
        }
    )
    with importlib.import_module("dask").config.set({"dataframe.convert-string": False}):
        ddf = dd.from_pandas(frame, npartitions=2, sort=False)
    with pytest.raises(CurrencyMismatch):
        crm_dask.rfm_scores(ddf, as_of=at).compute()
    with pytest.raises(ValidationError):
        crm_dask.rfm_scores(ddf, as_of=at, currency="XXXX")
    with pytest.raises(ValidationError) as caught:
        crm_dask.rfm_scores(ddf, as_of=at.replace(tzinfo=None)).compute()
    assert caught.value.path == "$.as_of"


def test_rfm_cut_points_from_counts_equal_those_of_the_values(crm_dask):
    """The merged counts give the cut points of the customers' values themselves."""
    days = [3, 3, 3, 3, 3, 3, 7, 9, 9, 12, 40]
    values = [
        RfmValues(f"c{i}", d, (i % 4) + 1, Money(Decimal(d * 3 % 11), "EUR"))
        for i, d in enumerate(days)
    ]
    parts = [crm_dask._rfm_counts(tuple(values[start::3])) for start in range(3)]
    merged = crm_dask._merge_counts(*parts)
    assert crm_dask._cut_points(merged) == rfm_cut_points(values)
    assert crm_dask._cut_points(crm_dask._merge_counts()) == rfm_cut_points([])


# -- the partition code, run in this process (where coverage sees it) -------------------


@pytest.fixture
def in_process(dd):
    """Dask's synchronous scheduler for one test: the partition functions run here."""
    with importlib.import_module("dask").config.set(scheduler="synchronous"):
        yield


def test_partitions_in_process_equal_one_process(in_process, pd, dd, crm_dask):
    rows = [
        ("a", datetime(2024, 1, 1, 9, tzinfo=UTC), 1_000),
        ("b", datetime(2024, 1, 2, tzinfo=UTC), 250),
        ("a", datetime(2024, 1, 1, 17, tzinfo=UTC), 500),
        ("a", datetime(2024, 2, 3, tzinfo=UTC), 2_000),
        ("b", datetime(2024, 2, 9, tzinfo=UTC), -100),
        ("c", datetime(2024, 3, 1, tzinfo=UTC), 700),
        ("b", datetime(2024, 3, 4, tzinfo=UTC), 900),
    ]
    ddf = dd.from_pandas(frame_of(pd, rows), npartitions=3, sort=False)
    options = {"period": "week", "observation_end": datetime(2024, 4, 1, tzinfo=UTC)}
    table = crm_dask.summarize(ddf, **NAMES, amount_scale=2, **options)
    same_table(table, single(rows, **options))
    text = dd.from_pandas(frame_of(pd, rows, cents=False), npartitions=2, sort=False)
    with pytest.raises(ValidationError) as caught:
        crm_dask.summarize(text, **NAMES, amount_scale=2, **options)
    assert re.fullmatch(r"\$\.ddf\.partitions\[[01]\]\.amount\[0\]", caught.value.path)
    bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    gg = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
    clv = {"horizon": 12, "discount_rate": 0.01}
    out = crm_dask.lifetime_values(table, bg, gg, npartitions=2, backend="python", **clv)
    expected = predict(bg, table, spend_model=gg, backend="python", **clv)
    assert out["customer_lifetime_value"].tolist() == expected["customer_lifetime_value"]
    lazy = crm_dask.predict_partitions(
        crm_dask.summary_frame(table, npartitions=2).rename(columns={"T": "age"}),
        bg,
        columns={"T": "age"},
        backend="python",
    )
    assert lazy.compute()["probability_alive"].tolist() == expected["probability_alive"]
    broken = crm_dask.summary_frame(table, npartitions=2).assign(frequency=-1)
    with pytest.raises(ValidationError) as caught:
        crm_dask.predict_partitions(broken, bg).compute()
    assert caught.value.path.startswith("$.summaries.partitions[")
    as_of = datetime(2024, 4, 1, tzinfo=UTC)
    text = text.assign(cents=text["cents"].where(text["cents"] != "-100", "-1"))
    scores = crm_dask.rfm_scores(text, as_of=as_of, **NAMES, currency="EUR").compute()
    orders = [(c, at, Money(str(a) if a != -100 else "-1", "EUR")) for c, at, a in rows]
    expected_scores = score_rfm(rfm_values(orders, at=as_of))
    assert sorted(scores.itertuples(index=False, name=None)) == sorted(
        (s.customer_id, s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m)
        for s in expected_scores
    )
    naive = text.assign(ordered_at=text["ordered_at"].dt.tz_localize(None))
    with pytest.raises(ValidationError) as caught:
        crm_dask.rfm_scores(naive, as_of=as_of, **NAMES, currency="EUR").compute()
    assert caught.value.path.startswith("$.ddf.partitions[")
    snapshots = pd.DataFrame({"customer_id": ["a", "b", "c"], "n": [1.0, None, 3.0]})
    members = crm_dask.segment_members(
        dd.from_pandas(snapshots, npartitions=2, sort=False), field("n") >= 2
    )
    assert members.compute().tolist() == ["c"]
    empty = dd.from_pandas(snapshots.iloc[:0], npartitions=1)
    assert crm_dask.segment_members(empty, field("n") >= 2).compute().tolist() == []


def test_skipped_rows_are_reported_in_frame_order(in_process, pd, dd, crm_dask):
    at = [datetime(2024, 1, d, tzinfo=UTC) for d in range(1, 11)]
    cents = [100, "x", 300, 400, 500, 600, 2.5, None, 900, -50]
    frame = pd.DataFrame(
        {
            "customer": ["a", "b", "a", "c", "b", "a", "c", "b", "a", "c"],
            "ordered_at": pd.Series([*at[:4], None, *at[5:]], dtype="datetime64[us, UTC]"),
            "cents": pd.Series(cents, dtype=object),
        }
    )
    with importlib.import_module("dask").config.set({"dataframe.convert-string": False}):
        ddf = dd.from_pandas(frame, npartitions=3, sort=False)
        good = dd.from_pandas(frame.iloc[[0, 2, 3]], npartitions=2, sort=False)
    options = {"period": "day", "observation_end": datetime(2024, 1, 31, tzinfo=UTC)}
    table, report = crm_dask.summarize_with_report(ddf, **NAMES, amount_scale=2, **options)
    bad = {1, 4, 6, 7}  # text, a null time, a float, a null amount
    assert report.rows == 10
    assert report.skipped == tuple(sorted(bad))
    assert report.codes[1:] == ("required", "float", "required")
    assert report.mask == tuple(i not in bad for i in range(10))
    kept = [
        (c, a, m)
        for i, (c, a, m) in enumerate(zip(frame["customer"], at, cents, strict=True))
        if i not in bad
    ]
    same_table(table, single(kept, **options))
    same_table(crm_dask.summarize(ddf, **NAMES, amount_scale=2, on_error="skip", **options), table)
    with pytest.raises(ValidationError) as caught:
        crm_dask.summarize_with_report(ddf, **NAMES, amount_scale=2, on_error="raise", **options)
    assert caught.value.path.startswith("$.ddf.partitions[")
    _, clean = crm_dask.summarize_with_report(
        good, **NAMES, amount_scale=2, on_error="raise", **options
    )
    assert (clean.rows, clean.skipped) == (3, ())
    with pytest.raises(ValidationError) as caught:
        crm_dask.summarize(ddf, **NAMES, on_error="ignore", **options)
    assert caught.value.path == "$.on_error"


def test_fit_of_parts_in_process(in_process, crm_dask):
    utc = UTC
    rows = [
        (c, datetime(2024, 1, 1 + (c * d) % 27, tzinfo=utc), 100 + 37 * ((c + d) % 5))
        for c in range(60)
        for d in range(c % 6 + 1)
    ]
    options = {"period": "day", "observation_end": datetime(2024, 2, 29, tzinfo=utc)}
    whole = single(rows, **options)
    parts = [single([r for r in rows if r[0] % 4 == k], **options) for k in range(4)]
    for model in (BetaGeo(), ParetoNBD(), BetaGeoBetaBinom()):
        fitted = crm_dask.fit(model, parts, split_every=2, penalizer=0.1)
        h = whole.compress()
        reference = type(model)().fit(
            h["frequency"], h["recency"], h["T"], weights=h["weights"], penalizer=0.1
        )
        assert dict(fitted.params) == dict(reference.params)
    columns = whole.to_columns()
    spend = crm_dask.fit(GammaGamma(), parts, split_every=3, penalizer=0.1)
    reference = GammaGamma().fit(columns["frequency"], columns["monetary_value"], penalizer=0.1)
    assert dict(spend.params) == pytest.approx(dict(reference.params), rel=1e-9)
    assert dict(spend.params) == dict(crm_dask.fit(GammaGamma(), whole, penalizer=0.1).params)
    with pytest.raises(ValidationError) as caught:
        crm_dask.fit(BetaGeo(), parts, split_every=1)
    assert caught.value.path == "$.split_every"
