"""crmcore over a Dask DataFrame: summaries, the global fit, CLV, RFM and segments.

Every function takes a ``dask.dataframe.DataFrame`` whose columns are named by
keywords and gives what the single-process function gives on the same rows,
built from crmcore's own mergeable pieces:

* :func:`summarize`: each partition's columns go into a
  :class:`~crmcore.clv.summaries.SummaryAccumulator` through the columnar
  entry point (``accumulate_columns``, each column checked once); the
  accumulators are merged by a tree reduction (exact, even when a customer's
  transactions, or one period of them, are spread over several partitions) and
  summarized once. :func:`summarize_with_report` also skips bad rows and
  reports them.
* :func:`fit`: the global fit from merged ``HistoryCounts`` (compressed
  histories) or, for Gamma-Gamma, merged ``SpendInputs``.
* :func:`predict_partitions` and :func:`lifetime_values`: the predictions of
  :func:`~crmcore.clv.predict`, one partition at a time.
* :func:`rfm_scores`: RFM values per customer (after a shuffle that puts each
  customer in one partition), the quintile cut points (``RfmCutPoints``)
  computed once over every customer, ``score_rfm(..., cut_points=...)`` per
  partition.
* :func:`segment_members`: the customers a segment rule selects, per partition.

dask, distributed and pandas are imported inside the functions only: install
them with ``pip install 'crmcore[dask]'``. Nothing else in crmcore imports this
module. The functions run on whatever scheduler is active: a
``distributed.Client`` if one is open, else Dask's default.
"""

from __future__ import annotations

import importlib
import typing
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, Final, Literal, cast

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._columns import column_values, is_null
from crmcore._kernel._money import Money
from crmcore.clv import BetaGeoBetaBinom, GammaGamma, predict
from crmcore.clv.summaries import (
    CalibrationCut,
    HistoryCounts,
    RowReport,
    SpendInputs,
    SummaryAccumulator,
    SummaryTable,
    accumulate_columns,
)
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.segmentation import (
    RfmCutPoints,
    RfmValues,
    Rule,
    rfm_cut_points,
    rfm_values,
    score_rfm,
)

#: The calibration cuts ``summarize`` knows (see :func:`crmcore.clv.summarize`).
_CUTS: Final = typing.get_args(CalibrationCut)


__all__ = [
    "INSTALL",
    "MAX_SPLIT_EVERY",
    "SPLIT_EVERY",
    "fit",
    "lifetime_values",
    "predict_partitions",
    "rfm_scores",
    "segment_members",
    "summarize",
    "summarize_with_report",
    "summary_frame",
]

#: What to install when dask, distributed or pandas is missing.
INSTALL: Final = "pip install 'crmcore[dask]'"
#: Most partitions merged by one task of a tree reduction, by default.
SPLIT_EVERY: Final = 8
#: Largest ``split_every`` accepted.
MAX_SPLIT_EVERY: Final = 1_000

_PREDICTION_COLUMNS: Final = (
    "probability_alive",
    "expected_purchases",
    "expected_average_spend",
    "customer_lifetime_value",
)
_SUMMARY_COLUMNS: Final = ("frequency", "recency", "T", "monetary_value")
_RFM_COLUMNS: Final = ("customer_id", "recency_days", "frequency", "monetary", "r", "f", "m")
_RFM_TYPES: Final = {
    "customer_id": object,
    "recency_days": "int64",
    "frequency": "int64",
    "monetary": object,
    "r": "int64",
    "f": "int64",
    "m": "int64",
}
# pandas dtype kinds whose numpy array reads as a buffer of plain numbers (ints, bools).
_BUFFER_KINDS: Final = frozenset("iub")


# -- the optional modules and the input -------------------------------------------


def _module(name: str) -> Any:
    """Import an optional module, or say which extra installs it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ValidationError(
            f"needs {name.split('.', 1)[0]}, which is not installed: {INSTALL}",
            path="$",
            code="unavailable",
        ) from None


def _frame(ddf: object, path: str = "$.ddf") -> Any:
    """``ddf`` checked to be a Dask DataFrame."""
    dd = _module("dask.dataframe")
    if not isinstance(ddf, dd.DataFrame):
        raise InvalidType(f"must be a dask.dataframe.DataFrame, not {type_name(ddf)}", path=path)
    return ddf


def _column_names(ddf: Any, names: Mapping[str, object]) -> dict[str, str]:
    """The columns named by keyword (``{"at": "ordered_at"}``), each checked to exist."""
    present = set(map(str, ddf.columns))
    checked: dict[str, str] = {}
    for keyword, name in names.items():
        if not isinstance(name, str):
            raise InvalidType(
                f"must be a column name str, not {type_name(name)}", path=f"$.{keyword}"
            )
        if name not in present:
            raise ValidationError(
                f"names column {name!r}, which the DataFrame does not have",
                path=f"$.{keyword}",
                code="unknown_column",
            )
        checked[keyword] = name
    return checked


def _split_every(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.split_every")
    if not 2 <= value <= MAX_SPLIT_EVERY:
        raise ValidationError(
            f"must be from 2 to {MAX_SPLIT_EVERY}", path="$.split_every", code="range"
        )
    return value


def _column(series: Any) -> object:
    """A pandas column as the columnar readers take it: a numpy buffer when it is one."""
    if series.dtype.kind in _BUFFER_KINDS:
        return series.to_numpy()  # ints and bools never hold nulls: read through memoryview
    return series


def _cells(series: Any, path: str) -> list[Any]:
    """A pandas column as plain Python values, ``None`` for every null (None, NaN, NA, NaT)."""
    if series.dtype.kind == "M":  # datetime64: python datetimes, not pandas Timestamps
        values: list[Any] = series.dt.to_pydatetime().tolist()
        if series.hasnans:
            nulls = series.isna().tolist()
            values = [None if null else value for value, null in zip(values, nulls, strict=True)]
        return values
    values = column_values(_column(series), path)
    if series.dtype.kind in _BUFFER_KINDS:
        return values
    return [None if is_null(value) else value for value in values]


def _tree(parts: list[Any], merge: Callable[..., Any], split_every: int) -> Any:
    """Merge delayed values in order, ``split_every`` at a time, down to one."""
    dask = _module("dask")
    while len(parts) > 1:
        parts = [
            dask.delayed(merge, pure=True)(*parts[start : start + split_every])
            for start in range(0, len(parts), split_every)
        ]
    return parts[0]


# -- summaries ---------------------------------------------------------------------


def _times(series: Any) -> tuple[object, Literal["s", "ms", "us", "ns"] | None]:
    """The ``at`` column for ``accumulate_columns``: epoch integers when pandas holds aware times.

    A timezone-aware ``datetime64`` column without nulls is read as its epoch
    integers (the instants themselves; the calendar's time zone decides the
    periods); anything else goes as it is, so that naive times and nulls are
    refused row by row, as in one process.
    """
    dtype = series.dtype
    if dtype.kind == "M" and getattr(dtype, "tz", None) is not None and not series.hasnans:
        # pandas stores datetime64 in seconds, milliseconds, microseconds or nanoseconds.
        unit = cast("Literal['s', 'ms', 'us', 'ns']", str(dtype.unit))
        return series.astype("int64").to_numpy(), unit
    return series, None


def _accumulate(  # noqa: PLR0917 - the pieces of one partition's task.
    frame: Any,
    index: int,
    names: Mapping[str, str],
    period: str,
    zone: tzinfo,
    currency: str | None,
    scale: int | None,
    on_error: Literal["raise", "skip"],
) -> tuple[SummaryAccumulator, RowReport]:
    """One partition's accumulator and row report; an error names the partition and the row."""
    accumulator = SummaryAccumulator(period=period, tz=zone, currency=currency)  # type: ignore[arg-type]
    at, time_unit = _times(frame[names["at"]])
    try:
        report = accumulate_columns(
            accumulator,
            _column(frame[names["customer_id"]]),
            at,
            _column(frame[names["amount"]]),
            time_unit=time_unit,
            amount_scale=scale,
            currency=currency,
            on_error=on_error,
        )
    except ValidationError as error:
        raise error.under(f"$.ddf.partitions[{index}]") from None
    return accumulator, report


def _joined_reports(reports: Iterable[RowReport]) -> RowReport:
    """The reports of consecutive row ranges as one report, row indices counted from the first."""
    rows = 0
    skipped: list[int] = []
    codes: list[str] = []
    for report in reports:
        skipped.extend(rows + row for row in report.skipped)
        codes.extend(report.codes)
        rows += report.rows
    return RowReport(rows=rows, skipped=tuple(skipped), codes=tuple(codes))


def _merge_parts(
    *parts: tuple[SummaryAccumulator, RowReport],
) -> tuple[SummaryAccumulator, RowReport]:
    first = parts[0][0]
    merged = first.merge(*(accumulator for accumulator, _ in parts[1:]))
    return merged, _joined_reports(report for _, report in parts)


def _finish(
    part: tuple[SummaryAccumulator, RowReport],
    observation_end: datetime,
    calibration_end: datetime | None,
    unit: str | None,
) -> tuple[SummaryTable, RowReport]:
    accumulator, report = part
    table = accumulator.summarize(
        observation_end=observation_end,
        calibration_end=calibration_end,
        unit=unit,  # type: ignore[arg-type]
    )
    return table, report


def summarize_with_report(
    ddf: Any,
    *,
    customer_id: str = "customer_id",
    at: str = "at",
    amount: str = "amount",
    period: str = "week",
    observation_end: datetime,
    calibration_end: datetime | None = None,
    calibration_cut: CalibrationCut = "period",
    unit: str | None = None,
    tz: tzinfo | None = None,
    currency: str | None = None,
    amount_scale: int | None = None,
    on_error: Literal["raise", "skip"] = "skip",
    split_every: int = SPLIT_EVERY,
) -> tuple[SummaryTable, RowReport]:
    """:func:`summarize`, skipping bad rows by default, with a report of the rows left out.

    The arguments are those of :func:`summarize`. With ``on_error="skip"`` a
    partition leaves its bad rows out (the first rule each broke is its code)
    and the table summarizes the rest; the returned
    :class:`~crmcore.clv.summaries.RowReport` numbers the rows of the whole
    DataFrame in partition order (row ``i`` is the ``i``-th row of
    ``ddf.compute()``), so ``report.mask`` selects the rows taken. With
    ``on_error="raise"`` the report lists no row.

    Raises:
        ValidationError: as :func:`summarize`; more than 10,000 bad rows to
            report (code ``too_many``).
    """
    return _summarize(
        ddf,
        names={"customer_id": customer_id, "at": at, "amount": amount},
        period=period,
        observation_end=observation_end,
        calibration_end=calibration_end,
        calibration_cut=calibration_cut,
        unit=unit,
        tz=tz,
        currency=currency,
        amount_scale=amount_scale,
        on_error=on_error,
        split_every=split_every,
    )


def summarize(
    ddf: Any,
    *,
    customer_id: str = "customer_id",
    at: str = "at",
    amount: str = "amount",
    period: str = "week",
    observation_end: datetime,
    calibration_end: datetime | None = None,
    calibration_cut: CalibrationCut = "period",
    unit: str | None = None,
    tz: tzinfo | None = None,
    currency: str | None = None,
    amount_scale: int | None = None,
    on_error: Literal["raise", "skip"] = "raise",
    split_every: int = SPLIT_EVERY,
) -> SummaryTable:
    """:func:`crmcore.clv.summarize` over a Dask DataFrame of transactions.

    Each partition adds its three columns to a
    :class:`~crmcore.clv.summaries.SummaryAccumulator` with the columnar
    entry point (each column checked once, as
    :func:`~crmcore.clv.summarize_columns` checks it); the accumulators are
    merged in partition order, ``split_every`` at a time, and the merged one is
    summarized once. The table equals ``crmcore.clv.summarize`` over the same
    rows in the same order, field for field and in its customer order.

    Args:
        ddf: the transactions, one row each.
        customer_id: the name of the column holding the customer ids.
        at: the name of the column holding the times (timezone-aware
            datetimes; a ``datetime64`` column with a time zone is read as
            its epoch values).
        amount: the name of the column holding the amounts (Decimals, ints,
            numeric text or Money; never floats).
        period: as for :func:`crmcore.clv.summarize`.
        observation_end: as for :func:`crmcore.clv.summarize`.
        calibration_end: as for :func:`crmcore.clv.summarize`.
        unit: as for :func:`crmcore.clv.summarize`.
        tz: as for :func:`crmcore.clv.summarize`.
        calibration_cut: only ``"period"`` (what an accumulator computes);
            ``"instant"`` and ``"lifetimes"`` need every transaction in one
            place.
        currency: the ISO 4217 code of plain-number amounts, if known.
        amount_scale: the amount column holds integer minor units:
            ``amount / 10 ** amount_scale`` (``2`` for cents), exactly.
        on_error: ``"raise"`` (a bad row stops the run) or ``"skip"`` (bad
            rows are left out; :func:`summarize_with_report` says which).
        split_every: how many accumulators one merge task takes.

    Raises:
        ValidationError: a missing column (``$.at``, code ``unknown_column``), an
            option as :func:`crmcore.clv.summarize` checks it, a calibration cut
            other than ``"period"`` with a calibration end (code
            ``unsupported``), dask not installed (code ``unavailable``), or a
            bad row, named as ``$.ddf.partitions[3].at[12]`` (the column by
            its keyword, the row within the partition; nothing is summarized
            then).
        InvalidType: ``ddf`` is not a Dask DataFrame; a float amount (code
            ``float``).
    """
    table, _ = _summarize(
        ddf,
        names={"customer_id": customer_id, "at": at, "amount": amount},
        period=period,
        observation_end=observation_end,
        calibration_end=calibration_end,
        calibration_cut=calibration_cut,
        unit=unit,
        tz=tz,
        currency=currency,
        amount_scale=amount_scale,
        on_error=on_error,
        split_every=split_every,
    )
    return table


def _summarize(
    ddf: Any,
    *,
    names: Mapping[str, object],
    period: str,
    observation_end: datetime,
    calibration_end: datetime | None,
    calibration_cut: CalibrationCut,
    unit: str | None,
    tz: tzinfo | None,
    currency: str | None,
    amount_scale: int | None,
    on_error: Literal["raise", "skip"],
    split_every: int,
) -> tuple[SummaryTable, RowReport]:
    frame = _frame(ddf)
    columns = _column_names(frame, names)
    end = require_aware(observation_end, "$.observation_end")
    given = end.tzinfo if tz is None else tz
    probe = SummaryAccumulator(period=period, tz=given, currency=currency)  # type: ignore[arg-type]
    zone = probe.tz
    if calibration_cut not in _CUTS:
        raise ValidationError(
            f"must be one of {', '.join(_CUTS)}", path="$.calibration_cut", code="choice"
        )
    if calibration_cut != "period" and calibration_end is not None:
        raise ValidationError(
            "must be 'period' over partitions: an accumulator keeps period totals only",
            path="$.calibration_cut",
            code="unsupported",
        )
    probe.summarize(observation_end=end, calibration_end=calibration_end, unit=unit)  # type: ignore[arg-type]
    # The columnar entry point checks amount_scale, currency and on_error: on no rows, here.
    accumulate_columns(
        probe, [], [], [], amount_scale=amount_scale, currency=currency, on_error=on_error
    )
    every = _split_every(split_every)
    dask = _module("dask")
    parts = [
        dask.delayed(_accumulate, pure=True)(
            part, index, columns, probe.period, zone, probe.currency, amount_scale, on_error
        )
        for index, part in enumerate(frame.to_delayed())
    ]
    merged = _tree(parts, _merge_parts, every)
    result: tuple[SummaryTable, RowReport] = dask.compute(
        dask.delayed(_finish, pure=True)(merged, end, calibration_end, unit)
    )[0]
    return result


# -- the global fit -------------------------------------------------------------------


def _tables(data: object) -> list[SummaryTable]:
    if isinstance(data, SummaryTable):
        return [data]
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        raise InvalidType(
            f"must be a SummaryTable or a list of them, not {type_name(data)}", path="$.data"
        )
    tables = list(data)
    for index, table in enumerate(tables):
        if not isinstance(table, SummaryTable):
            raise InvalidType(
                f"must be a SummaryTable, not {type_name(table)}", path=f"$.data[{index}]"
            )
    if not tables:
        raise ValidationError("must hold at least one table", path="$.data", code="empty")
    seen: set[Hashable] = set()
    for index, table in enumerate(tables):
        if not seen.isdisjoint(table):
            raise ValidationError(
                "must hold tables of disjoint customers", path=f"$.data[{index}]", code="duplicate"
            )
        seen.update(table)
    return tables


def _merge_inputs(first: Any, *others: Any) -> Any:
    return first.merge(*others)


def _inputs(
    tables: list[SummaryTable], build: Callable[[SummaryTable], Any], split_every: int
) -> Any:
    """``build`` of each table, merged: at once for one table, by a Dask tree reduction for more."""
    if len(tables) == 1:
        return build(tables[0])
    dask = _module("dask")
    parts = [dask.delayed(build, pure=True)(table) for table in tables]
    return dask.compute(_tree(parts, _merge_inputs, split_every))[0]


def _history_counts(skip_newcomers: bool) -> Callable[[SummaryTable], HistoryCounts]:
    def build(table: SummaryTable) -> HistoryCounts:
        return HistoryCounts.from_table(table, skip_newcomers=skip_newcomers)

    return build


def fit(
    model: Any,
    data: SummaryTable | Iterable[SummaryTable],
    *,
    skip_newcomers: bool = False,
    split_every: int = SPLIT_EVERY,
    **options: Any,
) -> Any:
    """Fit ``model`` to every customer of ``data`` at once: the global fit.

    ``data`` is the :class:`SummaryTable` :func:`summarize` gives, or several
    tables of disjoint customers (say one per partition of customer-partitioned
    data). A purchase model is fitted on the tables'
    :class:`~crmcore.clv.summaries.HistoryCounts` (distinct histories with
    their counts), merged by a Dask tree reduction when there are several
    tables: the parameters are those of ``model.fit(**table.compress())`` on
    the union, to the last bit. A :class:`~crmcore.clv.GammaGamma` spend model
    is fitted on the merged :class:`~crmcore.clv.summaries.SpendInputs` (the
    repeat buyers' distinct frequency and spend, with counts). ``options``
    go to ``fit`` (``penalizer``, ``max_iterations``, ...).

    Raises:
        InvalidType: a model that cannot be fitted, or data that is not
            summary tables.
        ValidationError: tables sharing a customer (code ``duplicate``), no
            table (code ``empty``), tables of different analyses (code
            ``mismatch``), or what the model's ``fit`` refuses.
    """
    if not (
        type(model).__module__.startswith("crmcore.clv.models")
        and callable(getattr(model, "fit", None))
    ):
        raise InvalidType(f"must be a crmcore CLV model, not {type_name(model)}", path="$.model")
    tables = _tables(data)
    every = _split_every(split_every)
    fitter: Any = model
    if isinstance(model, GammaGamma):
        spend: SpendInputs = _inputs(tables, SpendInputs.from_table, every)
        arguments = spend.fit_arguments()
        return fitter.fit(
            arguments["frequency"],
            arguments["monetary_value"],
            weights=arguments["weights"],
            **options,
        )
    counts: HistoryCounts = _inputs(tables, _history_counts(skip_newcomers), every)
    histories = counts.fit_arguments()
    if isinstance(model, BetaGeoBetaBinom):
        return fitter.fit(
            histories["frequency"],
            histories["recency"],
            histories["T"],
            weights=histories["weights"],
            **options,
        )
    return fitter.fit(**histories, **options)


# -- predictions -------------------------------------------------------------------------


def summary_frame(table: SummaryTable, *, npartitions: int = 1) -> Any:
    """A summary table as a Dask DataFrame in ``npartitions`` partitions.

    The columns are those of :meth:`SummaryTable.to_columns` (monetary values
    as floats), in the table's customer order.
    """
    if not isinstance(table, SummaryTable):
        raise InvalidType(f"must be a SummaryTable, not {type_name(table)}", path="$.table")
    if isinstance(npartitions, bool) or not isinstance(npartitions, int):
        raise InvalidType(f"must be an int, not {type_name(npartitions)}", path="$.npartitions")
    if npartitions < 1:
        raise ValidationError("must be at least 1", path="$.npartitions", code="range")
    dd = _module("dask.dataframe")
    pandas = _module("pandas")
    columns = dict(table.to_columns())
    ids = columns.pop("customer_id")
    frame = pandas.DataFrame(columns)
    frame.insert(0, "customer_id", pandas.Series(ids))
    with _module("dask").config.set({"dataframe.convert-string": False}):  # ids stay as they are
        return dd.from_pandas(frame, npartitions=npartitions, sort=False)


def _predict_partition(
    frame: Any,
    purchase_model: Any,
    options: Mapping[str, Any],
    names: Mapping[str, str],
    index: int,
) -> Any:
    pandas = _module("pandas")
    try:
        columns = {field: _cells(frame[name], f"$.{field}") for field, name in names.items()}
        out = predict(purchase_model, columns, **options)
    except ValidationError as error:
        raise error.under(f"$.summaries.partitions[{index}]") from None
    found: dict[str, Any] = dict(out)
    found.pop("customer_id", None)
    result = pandas.DataFrame(found, index=frame.index)
    result.insert(0, "customer_id", frame[names["customer_id"]])
    return result


def predict_partitions(
    summaries: Any,
    purchase_model: Any,
    *,
    customer_id: str = "customer_id",
    columns: Mapping[str, str] | None = None,
    **options: Any,
) -> Any:
    """:func:`crmcore.clv.predict` on each partition of a Dask DataFrame of summaries.

    ``summaries`` has a row per customer with ``frequency``, ``recency``,
    ``T`` and (for a spend model) ``monetary_value`` (``columns`` renames them:
    ``{"T": "age"}``), such as :func:`summary_frame` gives. ``options`` are
    those of :func:`~crmcore.clv.predict` (``t``, ``spend_model``,
    ``horizon``, ``discount_rate``, ``margin``, ``nonpositive``, ``backend``);
    they are checked here, before any partition runs. Every row's predictions
    are those :func:`~crmcore.clv.predict` gives on the whole table with the
    same backend (pass ``backend="python"`` or ``"numpy"``: ``"auto"`` chooses
    per partition, by its size).

    Returns:
        A lazy Dask DataFrame with ``customer_id`` and a float column per
        prediction, partitioned as ``summaries``.
    """
    frame = _frame(summaries, "$.summaries")
    renamed = dict(columns or {})
    wanted = {"customer_id": customer_id}
    for field in _SUMMARY_COLUMNS:
        if field != "monetary_value" or options.get("spend_model") is not None:
            wanted[field] = renamed.get(field, field)
    names = _column_names(frame, wanted)
    empty = predict(purchase_model, {field: [] for field in names}, **options)
    pandas = _module("pandas")
    meta = pandas.DataFrame(
        {key: pandas.Series([], dtype="float64") for key in _PREDICTION_COLUMNS if key in empty}
    )
    meta.insert(0, "customer_id", frame._meta[names["customer_id"]])  # noqa: SLF001 - Dask's meta.
    parts = [
        _module("dask").delayed(_predict_partition, pure=True)(
            part, purchase_model, options, names, index
        )
        for index, part in enumerate(frame.to_delayed())
    ]
    dd = _module("dask.dataframe")
    return dd.from_delayed(parts, meta=meta, divisions=frame.divisions, verify_meta=False)


def lifetime_values(
    summaries: SummaryTable | Any,
    purchase_model: Any,
    spend_model: GammaGamma,
    *,
    horizon: int,
    discount_rate: float,
    margin: float = 1.0,
    npartitions: int = 2,
    **options: Any,
) -> Any:
    """Every customer's lifetime value, computed per partition; a pandas DataFrame.

    ``summaries`` is a :class:`SummaryTable` (split into ``npartitions``
    partitions) or a Dask DataFrame of summaries (see
    :func:`predict_partitions`). The values are those of
    ``crmcore.clv.predict(purchase_model, table, spend_model=spend_model,
    horizon=..., discount_rate=..., margin=...)``, row for row.
    """
    frame = (
        summary_frame(summaries, npartitions=npartitions)
        if isinstance(summaries, SummaryTable)
        else summaries
    )
    lazy = predict_partitions(
        frame,
        purchase_model,
        spend_model=spend_model,
        horizon=horizon,
        discount_rate=discount_rate,
        margin=margin,
        **options,
    )
    return lazy.compute()


# -- RFM ------------------------------------------------------------------------------------


def _rfm_partition(
    frame: Any, index: int, names: Mapping[str, str], as_of: datetime, currency: str | None
) -> tuple[RfmValues, ...]:
    """One partition's RFM values (each customer wholly in it, after the shuffle)."""
    try:
        ids = _cells(frame[names["customer_id"]], "$.customer_id")
        moments = _cells(frame[names["at"]], "$.at")
        amounts = _cells(frame[names["amount"]], "$.amount")
        if currency is not None:
            amounts = [
                Money(amount, currency) if amount is not None else None for amount in amounts
            ]
        return rfm_values(list(zip(ids, moments, amounts, strict=True)), at=as_of)
    except ValidationError as error:
        raise error.under(f"$.ddf.partitions[{index}]") from None


_RfmCounts = tuple[Counter[int], Counter[int], Counter[Decimal], frozenset[str]]


def _rfm_counts(values: tuple[RfmValues, ...]) -> _RfmCounts:
    """How many customers have each recency, frequency and amount: all the cut points need."""
    return (
        Counter(value.recency_days for value in values),
        Counter(value.frequency for value in values),
        Counter(value.monetary.amount for value in values),
        frozenset(value.monetary.currency for value in values),
    )


def _merge_counts(*parts: _RfmCounts) -> _RfmCounts:
    recency: Counter[int] = Counter()
    frequency: Counter[int] = Counter()
    monetary: Counter[Decimal] = Counter()
    currencies: set[str] = set()
    for r, f, m, codes in parts:
        recency.update(r)
        frequency.update(f)
        monetary.update(m)
        currencies.update(codes)
    return recency, frequency, monetary, frozenset(currencies)


def _sorted_values(counts: Counter[Any]) -> list[Any]:
    return [value for value in sorted(counts) for _ in range(counts[value])]


def _cut_points(counts: _RfmCounts) -> RfmCutPoints:
    """:func:`~crmcore.segmentation.rfm_cut_points` of every customer, from the merged counts.

    The cut points of a dimension depend on the multiset of its values only, so
    the ``i``-th customer here takes the ``i``-th smallest value of each
    dimension: the same multisets, hence the same cut points.
    """
    recency, frequency, monetary, currencies = counts
    if len(currencies) > 1:
        raise CurrencyMismatch("must all be in one currency", path="$.ddf.amount")
    code = next(iter(currencies), None)
    columns = (_sorted_values(recency), _sorted_values(frequency), _sorted_values(monetary))
    return rfm_cut_points(
        RfmValues(index, days, orders, Money(amount, code))
        for index, (days, orders, amount) in enumerate(zip(*columns, strict=True))
    )


def _score_partition(  # noqa: PLR0917 - the pieces of one partition's task.
    frame: Any,
    index: int,
    names: Mapping[str, str],
    as_of: datetime,
    currency: str | None,
    cuts: RfmCutPoints,
) -> Any:
    pandas = _module("pandas")
    scores = score_rfm(_rfm_partition(frame, index, names, as_of, currency), cut_points=cuts)
    out = pandas.DataFrame(
        {name: [getattr(score, name) for score in scores] for name in _RFM_COLUMNS}
    )
    return out.astype(_RFM_TYPES)


def rfm_scores(
    ddf: Any,
    *,
    as_of: datetime,
    customer_id: str = "customer_id",
    at: str = "at",
    amount: str = "amount",
    currency: str | None = None,
) -> Any:
    """RFM scores of every customer of a Dask DataFrame of orders, quintiles taken globally.

    The orders are shuffled so that each customer's rows are in one partition;
    each partition computes its customers' :func:`~crmcore.segmentation.rfm_values`
    (orders after ``as_of`` left out); how many customers have each value is
    merged by a tree reduction into the quintile cut points of R, F and M
    (``rfm_cut_points``), and each partition scores its customers with
    ``score_rfm(values, cut_points=...)``. The scores are those of
    ``score_rfm(rfm_values(orders, at=as_of))`` customer for customer.

    Args:
        ddf: the orders, one row each.
        as_of: the analysis time, timezone-aware.
        customer_id: the name of the column holding the customer ids.
        at: the name of the column holding the order times (timezone-aware).
        amount: the name of the column holding the amounts.
        currency: the ISO 4217 code of plain-number amounts (Decimals, ints,
            numeric text); ``None`` when the column holds Money.

    Returns:
        A lazy Dask DataFrame with the columns of
        :class:`~crmcore.segmentation.RfmScore` (``customer_id``,
        ``recency_days``, ``frequency``, ``monetary`` as Money, ``r``, ``f``, ``m``),
        in no particular order.
    """
    frame = _frame(ddf)
    names = _column_names(frame, {"customer_id": customer_id, "at": at, "amount": amount})
    when = require_aware(as_of, "$.as_of")
    if currency is not None:
        Money(0, currency)  # refuses an unknown code here, at $.currency
    dask = _module("dask")
    dd = _module("dask.dataframe")
    pandas = _module("pandas")
    shuffled = frame.shuffle(on=names["customer_id"], shuffle_method="tasks").persist()
    parts = shuffled.to_delayed()
    counts = [
        dask.delayed(_rfm_counts, pure=True)(
            dask.delayed(_rfm_partition, pure=True)(part, index, names, when, currency)
        )
        for index, part in enumerate(parts)
    ]
    cuts = _cut_points(dask.compute(_tree(counts, _merge_counts, SPLIT_EVERY))[0])
    meta = pandas.DataFrame({name: [] for name in _RFM_COLUMNS}).astype(_RFM_TYPES)
    scored = [
        dask.delayed(_score_partition, pure=True)(part, index, names, when, currency, cuts)
        for index, part in enumerate(parts)
    ]
    with dask.config.set({"dataframe.convert-string": False}):  # ids and Money stay as they are
        return dd.from_delayed(scored, meta=meta, verify_meta=False)


# -- segments -----------------------------------------------------------------------------------


def _segment_partition(
    frame: Any, rule: Rule, at: datetime | None, fields: Mapping[str, str], customer_id: str
) -> Any:
    test = rule.predicate(at=at)
    columns = {field: _cells(frame[name], f"$.{field}") for field, name in fields.items()}
    keys = list(columns)
    rows = (dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True))
    if not keys:
        rows = ({} for _ in range(len(frame)))
    mask = [bool(test(row)) for row in rows]
    return frame.loc[mask, customer_id] if mask else frame[customer_id]


def segment_members(
    ddf: Any,
    rule: Rule,
    *,
    customer_id: str = "customer_id",
    columns: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> Any:
    """The customers ``rule`` selects among the rows of a Dask DataFrame, per partition.

    Each row is one customer's snapshot: the field ``x`` of the rule reads
    column ``x`` (``columns`` maps other names: ``{"facts.total": "total"}``).
    A null (None, NaN, NaT, NA) is a missing value, as in a snapshot. The
    members are the rows ``rule.matches`` accepts, given ``at`` for rules on
    time windows: each partition runs ``rule.predicate(at=at)`` over its rows.

    Returns:
        A lazy Dask Series of the members' ids, in the rows' order.

    Raises:
        ValidationError: a field of the rule has no column (code
            ``unknown_field``, naming the field at ``$.columns``), a missing
            ``at`` for a time-relative rule.
        InvalidType: ``rule`` is not a Rule, ``ddf`` not a Dask DataFrame.
    """
    frame = _frame(ddf)
    if not isinstance(rule, Rule):
        raise InvalidType(f"must be a Rule, not {type_name(rule)}", path="$.rule")
    rule.predicate(at=at)  # checks `at` now, before any partition runs
    mapping = dict(columns or {})
    present = set(map(str, frame.columns))
    fields: dict[str, str] = {}
    for field in sorted(rule.fields()):
        name = mapping.get(field, field)
        if name not in present:
            raise ValidationError(
                f"has no column for the field {field!r}", path="$.columns", code="unknown_field"
            )
        fields[field] = name
    key = _column_names(frame, {"customer_id": customer_id})["customer_id"]
    return frame.map_partitions(
        _segment_partition,
        rule,
        at,
        fields,
        key,
        meta=frame._meta[key],  # noqa: SLF001
    )
