"""Documents of the summary state: accumulators and summary tables as JSON-ready columns.

:func:`crmcore.serialization.to_dict` and :func:`~crmcore.serialization.from_dict`
use these for :class:`SummaryAccumulator` and :class:`SummaryTable` (neither is
an attrs class). A document holds the object's settings and its rows as
columns, which is also the Arrow / Parquet layout of the state (see
``docs/state.md``): Decimals as strings in plain notation, customer ids of
one type named by ``customer_id_type``.

Reading checks everything before anything is built (bounded by
:data:`MAX_DOCUMENT_ROWS` rows) and raises a crmcore error naming the path
(``$.purchases[12]``); it never returns a half-built object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, cast
from uuid import UUID

from crmcore._kernel._checks import (
    iso_datetime,
    json_type_name,
    to_decimal,
    type_name,
)
from crmcore._kernel._time import TimeUnit
from crmcore._kernel._zones import zone_named
from crmcore.clv.summaries._inputs import HistoryCounts, SpendInputs
from crmcore.clv.summaries._state import SummaryAccumulator, check_period
from crmcore.clv.summaries._table import SummaryTable
from crmcore.clv.summaries._totals import fill_from_columns
from crmcore.customers import CustomerId
from crmcore.errors import InvalidType, Problem, ValidationError

__all__ = [
    "MAX_DOCUMENT_ROWS",
    "accumulator_document",
    "accumulator_from_document",
    "history_counts_from_document",
    "inputs_document",
    "spend_inputs_from_document",
    "table_document",
    "table_from_document",
]

#: Most rows (period totals or customers) one document of the state holds.
MAX_DOCUMENT_ROWS: Final = 10_000_000

# A decimal amount as documents write it: ASCII digits, an optional sign and decimal point.
_DECIMAL: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_MAX_DECIMAL_TEXT: Final = 400
_ACCUMULATOR_KEYS: Final = frozenset(
    {
        "period",
        "tz",
        "currency",
        "plain_numbers",
        "customer_id_type",
        "customer_id",
        "period_index",
        "purchases",
        "refunds",
    }
)
_TABLE_COLUMNS: Final = ("customer_id", "frequency", "recency", "T", "monetary_value")
_HOLDOUT_COLUMNS: Final = ("frequency_holdout", "monetary_value_holdout", "duration_holdout")
_TABLE_KEYS: Final = frozenset(
    {"period", "unit", "observation_end", "calibration_end", "currency", "customer_id_type"}
    | set(_TABLE_COLUMNS)
    | set(_HOLDOUT_COLUMNS)
)


# -- customer ids ------------------------------------------------------------------

_ID_TYPES: Final[Mapping[type, str]] = {
    str: "str",
    int: "int",
    UUID: "uuid",
    CustomerId: "customer_id",
}


def _id_type(ids: list[Hashable]) -> str:
    """The one id type of ``ids`` (``"str"`` for none); refuses other or mixed types."""
    if not ids:
        return "str"
    first = _ID_TYPES.get(type(ids[0]))
    for index, value in enumerate(ids):
        kind = _ID_TYPES.get(type(value))
        if kind is None or kind != first:
            raise InvalidType(
                "must be customer ids of one type: str, int, UUID or CustomerId "
                f"(this one is {type_name(value)})",
                path=f"$.customer_id[{index}]",
            )
    assert first is not None  # noqa: S101 - the loop checked the first id.
    return first


def _write_ids(ids: list[Hashable], kind: str) -> list[Any]:
    if kind in {"str", "int"}:
        return ids
    if kind == "uuid":
        return [str(value) for value in ids]
    return [value.value for value in ids]  # type: ignore[attr-defined]


def _read_str(value: object) -> Hashable:
    if not isinstance(value, str):
        raise InvalidType(f"must be a string, not {json_type_name(value)}")
    return value


def _read_int(value: object) -> Hashable:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an integer, not {json_type_name(value)}")
    if not -(2**63 - 1) <= value <= 2**63 - 1:
        raise ValidationError("must be a 64-bit integer", code="range")
    return value


def _read_uuid(value: object) -> Hashable:
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidType(f"must be a UUID string, not {json_type_name(value)}")
    try:
        return UUID(value)
    except ValueError:
        raise ValidationError("must be a UUID string", code="uuid") from None


def _read_customer_id(value: object) -> Hashable:
    if not isinstance(value, str):
        raise InvalidType(f"must be a string, not {json_type_name(value)}")
    try:
        return CustomerId(value)
    except ValidationError as exc:
        raise ValidationError(exc.rule, code=exc.code) from None


_ID_READERS: Final[Mapping[str, Callable[[object], Hashable]]] = {
    "str": _read_str,
    "int": _read_int,
    "uuid": _read_uuid,
    "customer_id": _read_customer_id,
}


def _read_ids(body: Mapping[str, Any], size: int) -> list[Hashable]:
    kind = body.get("customer_id_type")
    if kind not in ("str", "int", "uuid", "customer_id"):
        raise ValidationError(
            "must be 'str', 'int', 'uuid' or 'customer_id'",
            path="$.customer_id_type",
            code="choice",
        )
    values = _list(body, "customer_id", size)
    read = _ID_READERS[kind]
    ids: list[Hashable] = []
    for index, value in enumerate(values):
        try:
            ids.append(read(value))
        except ValidationError as exc:
            raise exc.under(f"$.customer_id[{index}]") from None
    if len(set(ids)) != len(ids) and "period_index" not in body:
        raise ValidationError("must not repeat a customer", path="$.customer_id", code="duplicate")
    return ids


# -- shared checks ----------------------------------------------------------------


def _check_keys(
    body: Mapping[str, Any], allowed: frozenset[str], required: tuple[str, ...]
) -> None:
    unknown = sum(1 for key in body if key not in allowed)
    if unknown:
        # Key names are not echoed: a document's keys can be personal data too.
        raise ValidationError(
            f"has {unknown} unknown key{'s' if unknown > 1 else ''}", path="$", code="unknown_keys"
        )
    for key in required:
        if key not in body:
            raise ValidationError("is required", path=f"$.{key}", code="required")


def _list(body: Mapping[str, Any], key: str, size: int | None) -> list[Any]:
    value = body.get(key)
    if not isinstance(value, list):
        raise InvalidType(f"must be an array, not {json_type_name(value)}", path=f"$.{key}")
    if len(value) > MAX_DOCUMENT_ROWS:
        raise ValidationError(
            f"must hold at most {MAX_DOCUMENT_ROWS} rows", path=f"$.{key}", code="too_many"
        )
    if size is not None and len(value) != size:
        raise ValidationError(
            f"must hold as many rows as the first column ({size}), not {len(value)}",
            path=f"$.{key}",
            code="length_mismatch",
        )
    return value


def _decimal(value: object, path: str, *, nullable: bool = False) -> Decimal | None:
    if value is None and nullable:
        return None
    if isinstance(value, float):
        raise InvalidType(
            "must be a decimal string such as '12.50', not a float", path=path, code="float"
        )
    if not isinstance(value, str):
        raise InvalidType(f"must be a decimal string, not {json_type_name(value)}", path=path)
    if len(value) > _MAX_DECIMAL_TEXT or _DECIMAL.fullmatch(value) is None:
        raise ValidationError(
            "must be a decimal string such as '12.50' (ASCII digits, no spaces or exponent)",
            path=path,
            code="decimal",
        )
    return to_decimal(Decimal(value), path)


def _decimals(values: list[Any], key: str, *, nullable: bool = False) -> list[Decimal | None]:
    return [
        _decimal(value, f"$.{key}[{index}]", nullable=nullable)
        for index, value in enumerate(values)
    ]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _zone_name(tz: object) -> str:
    return zone_named(tz, "$.tz")[0]


def _period(value: object, path: str) -> TimeUnit:
    if not isinstance(value, str):
        raise InvalidType(f"must be a string, not {json_type_name(value)}", path=path)
    return check_period(value, path)


def _currency(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidType(
            f"must be a currency code or null, not {json_type_name(value)}", path="$.currency"
        )
    return value


def _moment(value: object, path: str) -> datetime:
    return iso_datetime(value, path, describe=json_type_name)


# -- accumulators -------------------------------------------------------------------


def accumulator_document(acc: SummaryAccumulator) -> dict[str, Any]:
    """The document of an accumulator: its settings and its period totals as columns.

    Raises:
        InvalidType: customer ids that are not all of one of the types str,
            int, UUID or CustomerId.
        ValidationError: a time zone that is neither named nor a fixed offset.
    """
    rows = list(acc.period_totals())
    ids: list[Hashable] = [row[0] for row in rows]
    kind = _id_type(ids)
    zone = _zone_name(acc.tz)
    return {
        "period": acc.period.value,
        "tz": zone,
        "currency": acc.currency,
        "plain_numbers": acc._kind == "",  # noqa: SLF001 - the state's own document.
        "customer_id_type": kind,
        "customer_id": _write_ids(ids, kind),
        "period_index": [row[1] for row in rows],
        "purchases": [_text(row[2]) for row in rows],
        "refunds": [_text(row[3]) for row in rows],
    }


def accumulator_from_document(body: Mapping[str, Any]) -> SummaryAccumulator:
    """The accumulator a document describes, checked in full first.

    Rows repeating a customer and period are added up, as
    :meth:`SummaryAccumulator.from_period_totals` does.
    """
    _check_keys(body, _ACCUMULATOR_KEYS, tuple(sorted(_ACCUMULATOR_KEYS)))
    period = _period(body["period"], "$.period")
    if not isinstance(body["tz"], str):
        raise InvalidType(
            f"must be a time zone name, not {json_type_name(body['tz'])}", path="$.tz"
        )
    zone = zone_named(body["tz"], "$.tz")[1]
    currency = _currency(body["currency"])
    plain = body["plain_numbers"]
    if not isinstance(plain, bool):
        raise InvalidType(
            f"must be true or false, not {json_type_name(plain)}", path="$.plain_numbers"
        )
    if plain and currency is not None:
        raise ValidationError(
            "must be false when a currency is given", path="$.plain_numbers", code="conflict"
        )
    size = len(_list(body, "customer_id", None))
    ids = _read_ids(body, size)
    keys = _list(body, "period_index", size)
    purchases = _decimals(_list(body, "purchases", size), "purchases", nullable=True)
    refunds = _decimals(_list(body, "refunds", size), "refunds")
    acc = SummaryAccumulator(period=period, tz=zone, currency=currency)
    fill_from_columns(acc, (ids, keys, purchases, refunds), None, "raise")
    if plain and not acc._kind:  # noqa: SLF001 - the state's own document.
        acc._kind = ""  # noqa: SLF001
    return acc


# -- summary tables -----------------------------------------------------------------


def _frame_document(value: SummaryTable | HistoryCounts | SpendInputs) -> dict[str, Any]:
    """The settings of a table (or of fit inputs built from one) as document values."""
    split = value.calibration_end
    return {
        "period": value.period.value,
        "unit": value.unit.value,
        "observation_end": value.observation_end.isoformat(),
        "calibration_end": None if split is None else split.isoformat(),
        "currency": value.currency,
    }


def table_document(table: SummaryTable) -> dict[str, Any]:
    """The document of a summary table: its settings and its columns, amounts exact.

    Raises:
        InvalidType: customer ids that are not all of one of the types str,
            int, UUID or CustomerId.
    """
    columns = cast(
        "Mapping[str, list[Any]]",
        table.to_columns(monetary="decimal"),  # type: ignore[call-arg, unused-ignore]
    )
    ids: list[Hashable] = columns["customer_id"]
    kind = _id_type(ids)
    document: dict[str, Any] = {
        **_frame_document(table),
        "customer_id_type": kind,
        "customer_id": _write_ids(ids, kind),
    }
    for name, values in columns.items():
        if name == "customer_id":
            continue
        if name.startswith("monetary_value"):
            document[name] = [_text(value) for value in values]
        else:
            document[name] = list(values)
    return document


def table_from_document(body: Mapping[str, Any]) -> SummaryTable:
    """The summary table a document describes, checked in full first."""
    settings = ("period", "unit", "observation_end", "calibration_end", "currency")
    _check_keys(body, _TABLE_KEYS, (*settings, "customer_id_type", *_TABLE_COLUMNS))
    period = _period(body["period"], "$.period")
    unit = _period(body["unit"], "$.unit")
    end = _moment(body["observation_end"], "$.observation_end")
    split = body["calibration_end"]
    calibration_end = None if split is None else _moment(split, "$.calibration_end")
    currency = _currency(body["currency"])
    size = len(_list(body, "customer_id", None))
    names = _TABLE_COLUMNS if calibration_end is None else _TABLE_COLUMNS + _HOLDOUT_COLUMNS
    for name in _HOLDOUT_COLUMNS:
        if calibration_end is None and name in body:
            raise ValidationError(
                "must be left out without a calibration_end", path=f"$.{name}", code="holdout"
            )
    columns: dict[str, list[Any]] = {"customer_id": _read_ids(body, size)}
    for name in names[1:]:
        if name not in body:
            raise ValidationError("is required", path=f"$.{name}", code="required")
        values = _list(body, name, size)
        if name.startswith("monetary_value"):
            columns[name] = _decimals(values, name)
        else:
            for index, value in enumerate(values):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise InvalidType(
                        f"must be a number, not {json_type_name(value)}", path=f"$.{name}[{index}]"
                    )
            columns[name] = values
    try:
        table: SummaryTable = SummaryTable.from_columns(  # type: ignore[attr-defined, unused-ignore]
            columns,
            period=period,
            unit=unit,
            observation_end=end,
            calibration_end=calibration_end,
            currency=currency,
        )
    except ValidationError as error:
        raise _in_document(error) from None
    return table


def _in_document(error: ValidationError) -> ValidationError:
    """``error`` of ``from_columns`` with its paths in the document (``$.T[3]``, not ``$.columns.T[3]``)."""

    def place(path: str) -> str:
        return "$." + path[len(_COLUMNS_PREFIX) :] if path.startswith(_COLUMNS_PREFIX) else path

    moved = error.under("$")  # a copy of the same class
    moved.path = place(moved.path)
    moved.problems = tuple(Problem(place(p.path), p.rule, p.code) for p in moved.problems)
    moved.args = (moved._message(),)  # noqa: SLF001 - rebuilt as ValidationError.under does.
    return moved


_COLUMNS_PREFIX: Final = "$.columns."


# -- fit inputs ---------------------------------------------------------------------

_HISTORY_COLUMNS: Final = ("frequency", "recency", "T", "weights")
_SPEND_COLUMNS: Final = ("frequency", "monetary_value", "weights")
_FRAME_KEYS: Final = ("period", "unit", "observation_end", "calibration_end", "currency")


def inputs_document(value: HistoryCounts | SpendInputs) -> dict[str, Any]:
    """The document of fit inputs: the table's settings and the distinct rows as columns.

    Up to :data:`MAX_DOCUMENT_ROWS` rows (the generic attrs documents stop at
    ``MAX_ITEMS``, and a population of millions has more distinct spends).
    """
    document: dict[str, Any] = {
        **_frame_document(value),
        "frequency": list(value.frequency),
    }
    if isinstance(value, HistoryCounts):
        document["recency"] = list(value.recency)
        document["T"] = list(value.T)
    else:
        document["monetary_value"] = [_text(amount) for amount in value.monetary_value]
    document["weights"] = list(value.weights)
    return document


def _frame(body: Mapping[str, Any]) -> dict[str, Any]:
    split = body["calibration_end"]
    return {
        "period": _period(body["period"], "$.period"),
        "unit": _period(body["unit"], "$.unit"),
        "observation_end": _moment(body["observation_end"], "$.observation_end"),
        "calibration_end": None if split is None else _moment(split, "$.calibration_end"),
        "currency": _currency(body["currency"]),
    }


def _inputs_frame(body: Mapping[str, Any], columns: tuple[str, ...]) -> tuple[dict[str, Any], int]:
    """The checked settings of a fit-inputs document with ``columns``, and its row count."""
    keys = (*_FRAME_KEYS, *columns)
    _check_keys(body, frozenset(keys), keys)
    return _frame(body), len(_list(body, "frequency", None))


def _ints(values: list[Any], key: str) -> list[Any]:
    for index, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(
                f"must be an integer, not {json_type_name(value)}", path=f"$.{key}[{index}]"
            )
    return values


def _numbers(values: list[Any], key: str) -> list[Any]:
    for index, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidType(
                f"must be a number, not {json_type_name(value)}", path=f"$.{key}[{index}]"
            )
    return values


def history_counts_from_document(body: Mapping[str, Any]) -> HistoryCounts:
    """The :class:`HistoryCounts` a document describes, checked in full first."""
    frame, size = _inputs_frame(body, _HISTORY_COLUMNS)
    return HistoryCounts(
        **frame,
        frequency=_ints(_list(body, "frequency", size), "frequency"),
        recency=_numbers(_list(body, "recency", size), "recency"),
        T=_numbers(_list(body, "T", size), "T"),
        weights=_ints(_list(body, "weights", size), "weights"),
    )


def spend_inputs_from_document(body: Mapping[str, Any]) -> SpendInputs:
    """The :class:`SpendInputs` a document describes, checked in full first."""
    frame, size = _inputs_frame(body, _SPEND_COLUMNS)
    return SpendInputs(
        **frame,
        frequency=_ints(_list(body, "frequency", size), "frequency"),
        monetary_value=_decimals(_list(body, "monetary_value", size), "monetary_value"),
        weights=_ints(_list(body, "weights", size), "weights"),
    )


#: A column document's writer and reader.
DocumentFunctions = tuple[Callable[[Any], dict[str, Any]], Callable[[Mapping[str, Any]], Any]]


def column_documents() -> dict[type, DocumentFunctions]:
    """The summary classes whose documents are columns, with their writer and reader.

    :mod:`crmcore.serialization` uses them for ``to_dict``/``from_dict``: the
    accumulator and the table are no attrs classes, and fit inputs outgrow the
    generic reader's list limit. Each document holds at most
    :data:`MAX_DOCUMENT_ROWS` rows.

    >>> from crmcore.clv.summaries import SummaryTable
    >>> SummaryTable in column_documents()
    True
    """
    return {
        SummaryAccumulator: (accumulator_document, accumulator_from_document),
        SummaryTable: (table_document, table_from_document),
        HistoryCounts: (inputs_document, history_counts_from_document),
        SpendInputs: (inputs_document, spend_inputs_from_document),
    }
