"""The results of summarizing transactions: one summary per customer, and the table of them."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal, NotRequired, TypeAlias, TypedDict

import attrs

from crmcore._kernel._checks import MAX_INT, require_aware, to_decimal, type_name
from crmcore._kernel._columns import column_values, equal_lengths, first_null
from crmcore._kernel._money import Money
from crmcore._kernel._time import TimeUnit, time_unit
from crmcore.errors import InvalidType, NotFound, ValidationError

#: The calendar periods transactions are grouped into (weeks run Monday to Sunday).
PERIODS: Final[tuple[TimeUnit, ...]] = (TimeUnit.DAY, TimeUnit.WEEK, TimeUnit.MONTH)


def _check_count(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if value < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    if value > MAX_INT:
        raise ValidationError("must be at most 2**63 - 1", path=path, code="range")
    return value


def _check_span(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidType(f"must be a finite int or float, not {type_name(value)}", path=path)
    if isinstance(value, int):
        return _check_count(value, path)
    if not math.isfinite(value):
        raise ValidationError(
            "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
        )
    if value < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    return value


def _check_amount(value: object, path: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise InvalidType(f"must be a Decimal, not {type_name(value)}", path=path)
    # The bounds every decimal input has (finite, at most MAX_DIGITS digits either side of
    # the point), so that a summary always writes a document that from_dict reads back.
    return to_decimal(value, path)


@attrs.frozen(slots=True, repr=False)
class CustomerSummary:
    """One customer's purchase history in the terms of the probabilistic CLV literature.

    All spans are counted in whole calendar periods (``int``) unless the table
    was built with a finer period than its unit (``period="day"``,
    ``unit="week"``), in which case they are ``float`` (days / 7).

    Attributes:
        frequency: the number of *repeat* purchase periods: distinct periods
            with a purchase, less the first one. Several purchases in one
            period count once.
        recency: periods from the first purchase period to the last one
            (0 without repeat purchases).
        T: periods from the first purchase period to the end of the
            (calibration) observation period: the customer's age.
        monetary_value: the mean net amount of the repeat purchase periods
            (amounts of one period are summed first); ``Decimal(0)`` without
            repeat purchases. Exact up to the decimal context's precision.
        frequency_holdout: with a calibration / holdout split, the number of
            purchase periods in the holdout; otherwise ``None``.
        monetary_value_holdout: the mean net amount of those holdout periods
            (``Decimal(0)`` if none); ``None`` without a split.
        duration_holdout: the length of the holdout in periods; ``None``
            without a split.

    >>> CustomerSummary(frequency=2, recency=5, T=9, monetary_value=Decimal("12.50"))
    CustomerSummary(frequency=2, recency=5, T=9, monetary_value=Decimal('12.50'))
    >>> CustomerSummary(frequency=0, recency=3, T=9, monetary_value=Decimal(0))
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.recency: must be 0 when frequency is 0
    """

    frequency: int
    recency: float
    T: float
    monetary_value: Decimal
    frequency_holdout: int | None = None
    monetary_value_holdout: Decimal | None = None
    duration_holdout: float | None = None

    def __attrs_post_init__(self) -> None:
        _check_count(self.frequency, "$.frequency")
        _check_span(self.recency, "$.recency")
        _check_span(self.T, "$.T")
        _check_amount(self.monetary_value, "$.monetary_value")
        if self.recency > self.T:
            raise ValidationError("must not exceed T", path="$.recency", code="recency_above_t")
        if self.frequency == 0 and self.recency != 0:
            raise ValidationError(
                "must be 0 when frequency is 0", path="$.recency", code="recency_without_repeats"
            )
        holdout = (self.frequency_holdout, self.monetary_value_holdout, self.duration_holdout)
        if all(part is None for part in holdout):
            return
        if any(part is None for part in holdout):
            raise ValidationError(
                "frequency_holdout, monetary_value_holdout and duration_holdout "
                "must be given together",
                path="$.frequency_holdout",
                code="partial_holdout",
            )
        _check_count(self.frequency_holdout, "$.frequency_holdout")
        _check_amount(self.monetary_value_holdout, "$.monetary_value_holdout")
        _check_span(self.duration_holdout, "$.duration_holdout")

    @property
    def has_holdout(self) -> bool:
        """True if the summary carries holdout figures."""
        return self.frequency_holdout is not None

    def __repr__(self) -> str:
        text = (
            f"CustomerSummary(frequency={self.frequency}, recency={self.recency!r}, "
            f"T={self.T!r}, monetary_value={self.monetary_value!r}"
        )
        if self.has_holdout:
            text += (
                f", frequency_holdout={self.frequency_holdout}, "
                f"monetary_value_holdout={self.monetary_value_holdout!r}, "
                f"duration_holdout={self.duration_holdout!r}"
            )
        return text + ")"


#: A summary's fields in column order (the first four without a holdout split).
_FIELDS: Final = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "frequency_holdout",
    "monetary_value_holdout",
    "duration_holdout",
)
# Slot descriptors write a frozen instance's fields directly, for the fast constructor below.
_SET_FIELDS: Final = tuple(CustomerSummary.__dict__[name].__set__ for name in _FIELDS)


def new_summary(  # noqa: PLR0917 - internal fast constructor, positional by design.
    frequency: int,
    recency: float,
    age: float,
    monetary_value: Decimal,
    frequency_holdout: int | None,
    monetary_value_holdout: Decimal | None,
    duration_holdout: float | None,
) -> CustomerSummary:
    """Build a summary whose invariants the caller has established, skipping the checks.

    Finalizing a table builds one summary per customer; this is about twice as
    fast as the validating constructor.
    """
    summary: CustomerSummary = object.__new__(CustomerSummary)
    set0, set1, set2, set3, set4, set5, set6 = _SET_FIELDS
    set0(summary, frequency)
    set1(summary, recency)
    set2(summary, age)
    set3(summary, monetary_value)
    set4(summary, frequency_holdout)
    set5(summary, monetary_value_holdout)
    set6(summary, duration_holdout)
    return summary


#: A summary as the table stores it: the fields of :class:`CustomerSummary`, in order.
SummaryRow: TypeAlias = tuple[int, float, float, Decimal, int | None, Decimal | None, float | None]


def _row_of(summary: CustomerSummary) -> SummaryRow:
    return (
        summary.frequency,
        summary.recency,
        summary.T,
        summary.monetary_value,
        summary.frequency_holdout,
        summary.monetary_value_holdout,
        summary.duration_holdout,
    )


class SummaryColumns(TypedDict):
    """A summary table as plain, equally long lists: ready for model fitting or a DataFrame.

    ``monetary_value`` (and ``monetary_value_holdout``) are converted to
    ``float`` here, explicitly, because the models fit floats. The holdout
    columns are present only when the table has a calibration / holdout split.
    """

    customer_id: list[Hashable]
    frequency: list[int]
    recency: list[float]
    T: list[float]
    monetary_value: list[float]
    frequency_holdout: NotRequired[list[int]]
    monetary_value_holdout: NotRequired[list[float]]
    duration_holdout: NotRequired[list[float]]


class CompressedHistories(TypedDict):
    """Distinct ``(frequency, recency, T)`` histories with how many customers share each.

    The keys are the argument names of the models' ``fit``, so a fit on the
    compressed data reads ``model.fit(**table.compress())``.
    """

    frequency: list[int]
    recency: list[float]
    T: list[float]
    weights: list[int]


class SummaryTable(Mapping[Hashable, CustomerSummary]):
    """An immutable mapping of customer id to :class:`CustomerSummary`.

    Customers appear in the order they first appeared in the input (or in the
    accumulator). The table remembers how it was built: ``period``, ``unit``,
    ``observation_end``, ``calibration_end`` and ``currency`` (the currency of
    Money amounts, or ``None`` for plain numbers). It stores compact rows and
    builds each :class:`CustomerSummary` when it is looked up.
    """

    __slots__ = (
        "_calibration_end",
        "_currency",
        "_observation_end",
        "_period",
        "_rows",
        "_unit",
    )

    def __init__(
        self,
        rows: Mapping[Hashable, CustomerSummary],
        *,
        period: TimeUnit,
        unit: TimeUnit,
        observation_end: datetime,
        calibration_end: datetime | None = None,
        currency: str | None = None,
    ) -> None:
        self._rows: dict[Hashable, SummaryRow] = {}
        for customer_id, summary in rows.items():
            if not isinstance(summary, CustomerSummary):
                raise InvalidType(
                    f"must be a CustomerSummary, not {type_name(summary)}", path="$.rows"
                )
            self._rows[customer_id] = _row_of(summary)
        self._period: TimeUnit = period
        self._unit: TimeUnit = unit
        self._observation_end = observation_end
        self._calibration_end = calibration_end
        self._currency = currency

    @property
    def period(self) -> TimeUnit:
        """The calendar period purchases were grouped into."""
        return self._period

    @property
    def unit(self) -> TimeUnit:
        """The unit ``recency``, ``T`` and ``duration_holdout`` are expressed in."""
        return self._unit

    @property
    def observation_end(self) -> datetime:
        """The end of the observation (the end of the holdout with a split)."""
        return self._observation_end

    @property
    def calibration_end(self) -> datetime | None:
        """The end of the calibration period, or ``None`` without a split."""
        return self._calibration_end

    @property
    def currency(self) -> str | None:
        """The ISO 4217 code of Money amounts, or ``None`` for plain numbers."""
        return self._currency

    @property
    def has_holdout(self) -> bool:
        """True if the table was built with a calibration / holdout split."""
        return self._calibration_end is not None

    @classmethod
    def _from_rows(
        cls,
        rows: dict[Hashable, SummaryRow],
        *,
        period: TimeUnit,
        unit: TimeUnit,
        observation_end: datetime,
        calibration_end: datetime | None,
        currency: str | None,
    ) -> SummaryTable:
        """Wrap rows whose invariants the caller has established (owned from now on)."""
        table: SummaryTable = cls.__new__(cls)
        table._rows = rows
        table._period = period
        table._unit = unit
        table._observation_end = observation_end
        table._calibration_end = calibration_end
        table._currency = currency
        return table

    def __getitem__(self, customer_id: Hashable) -> CustomerSummary:
        """The summary of one customer.

        Raises:
            NotFound: no customer with this id is in the table (a KeyError
                too, as a mapping's lookups expect; the id is never echoed).
            InvalidType: the id cannot be hashed.
        """
        try:
            row = self._rows[customer_id]
        except KeyError:
            raise NotFound("customer summary", key="customer id") from None
        except TypeError:
            raise InvalidType(
                f"must be a hashable customer id, not {type_name(customer_id)}",
                path="$.customer_id",
            ) from None
        return new_summary(*row)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, customer_id: object) -> bool:
        try:
            return customer_id in self._rows
        except TypeError:  # an unhashable key is simply absent
            return False

    def __repr__(self) -> str:
        split = "" if self._calibration_end is None else ", with holdout"
        return (
            f"<SummaryTable of {len(self._rows)} customers, period={self._period.value!r}, "
            f"unit={self._unit.value!r}{split}>"
        )

    def to_columns(self, *, monetary: Literal["float", "decimal"] = "float") -> SummaryColumns:
        """The table as plain lists, one per field, in the table's customer order.

        ``monetary="float"`` (the default) gives the money columns as floats, what
        the models fit; ``monetary="decimal"`` keeps them Decimal, the spans as they
        are stored and the holdout columns with their ``None``, so that
        :meth:`from_columns` rebuilds exactly this table.

        >>> from datetime import datetime, timezone
        >>> from crmcore.clv import summarize
        >>> utc = timezone.utc
        >>> table = summarize(
        ...     [
        ...         ("c1", datetime(2024, 1, 1, tzinfo=utc), "10"),
        ...         ("c1", datetime(2024, 1, 4, tzinfo=utc), "20"),
        ...     ],
        ...     period="day",
        ...     observation_end=datetime(2024, 1, 11, tzinfo=utc),
        ... )
        >>> table.to_columns()
        {'customer_id': ['c1'], 'frequency': [1], 'recency': [3.0], 'T': [10.0], 'monetary_value': [20.0]}
        """
        rows = self._rows.values()
        given: object = monetary  # checked: callers may pass anything
        # A str first: comparing any other object with a str may warn or raise.
        if type(given) is not str or given not in {"float", "decimal"}:
            raise ValidationError("must be 'float' or 'decimal'", path="$.monetary", code="choice")
        if monetary == "decimal":
            return self._exact_columns()
        columns: SummaryColumns = {
            "customer_id": list(self._rows),
            "frequency": [row[0] for row in rows],
            "recency": [float(row[1]) for row in rows],
            "T": [float(row[2]) for row in rows],
            "monetary_value": [float(row[3]) for row in rows],
        }
        if self.has_holdout:
            columns["frequency_holdout"] = [row[4] or 0 for row in rows]
            columns["monetary_value_holdout"] = [float(row[5] or 0) for row in rows]
            columns["duration_holdout"] = [float(row[6] or 0) for row in rows]
        return columns

    def _exact_columns(self) -> SummaryColumns:
        rows = self._rows.values()
        columns: dict[str, list[Any]] = {"customer_id": list(self._rows)}
        for index, name in enumerate(_FIELDS[: 7 if self.has_holdout else 4]):
            columns[name] = [row[index] for row in rows]
        return columns  # type: ignore[return-value]  # the keys of SummaryColumns

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, object],
        *,
        period: TimeUnit | str,
        unit: TimeUnit | str | None = None,
        observation_end: datetime,
        calibration_end: datetime | None = None,
        currency: str | None = None,
    ) -> SummaryTable:
        """Build a table from columns: what ``to_columns(monetary="decimal")`` gives back.

        ``columns`` maps ``customer_id``, ``frequency``, ``recency``, ``T`` and
        ``monetary_value`` (and, with ``calibration_end``, the three holdout
        columns) to equally long columns of any form
        :func:`~crmcore._kernel._columns.column_values` reads. Every row is
        checked as :class:`CustomerSummary` checks it; customer ids must be
        distinct.

        >>> from datetime import datetime, timezone
        >>> table = SummaryTable.from_columns(
        ...     {
        ...         "customer_id": ["a", "b"],
        ...         "frequency": [2, 0],
        ...         "recency": [5, 0],
        ...         "T": [9, 3],
        ...         "monetary_value": [Decimal("12.50"), Decimal(0)],
        ...     },
        ...     period="week",
        ...     observation_end=datetime(2024, 6, 30, tzinfo=timezone.utc),
        ... )
        >>> table["a"]
        CustomerSummary(frequency=2, recency=5, T=9, monetary_value=Decimal('12.50'))
        >>> SummaryTable.from_columns(
        ...     table.to_columns(monetary="decimal"),
        ...     period="week",
        ...     observation_end=table.observation_end,
        ... ) == table
        True
        """
        return _table_from_columns(
            cls, columns, period, unit, observation_end, calibration_end, currency
        )

    def compress(self, *, skip_newcomers: bool = False) -> CompressedHistories:
        """Distinct ``(frequency, recency, T)`` histories with their counts, sorted.

        With a calibration / holdout split these are the calibration histories.
        ``model.fit(**table.compress())`` fits any table: customers whose first
        purchase falls in the last period (newcomers, ``T == 0``) are accepted
        by every model and add nothing to the log-likelihood of BG/NBD and
        Pareto/NBD (their history has probability 1), so
        ``skip_newcomers=True``, which leaves them out, gives the same fit; it
        is kept for callers who want them out of the row counts.

        >>> from datetime import datetime, timezone
        >>> from crmcore.clv import summarize
        >>> utc = timezone.utc
        >>> table = summarize(
        ...     [(name, datetime(2024, 1, 1, tzinfo=utc), "10") for name in "abc"],
        ...     period="day",
        ...     observation_end=datetime(2024, 1, 8, tzinfo=utc),
        ... )
        >>> table.compress()
        {'frequency': [0], 'recency': [0.0], 'T': [7.0], 'weights': [3]}
        """
        if not isinstance(skip_newcomers, bool):
            raise InvalidType(
                f"must be a bool, not {type(skip_newcomers).__name__}", path="$.skip_newcomers"
            )
        counts = Counter(
            row[:3] for row in self._rows.values() if not (skip_newcomers and row[2] == 0)
        )
        histories = sorted(counts)
        return {
            "frequency": [history[0] for history in histories],
            "recency": [float(history[1]) for history in histories],
            "T": [float(history[2]) for history in histories],
            "weights": [counts[history] for history in histories],
        }


def _table_from_columns(  # noqa: C901, PLR0917 - the checks of from_columns, one after another.
    cls: type[SummaryTable],
    columns: Mapping[str, object],
    period: object,
    unit: object,
    observation_end: object,
    calibration_end: object,
    currency: str | None,
) -> SummaryTable:
    if not isinstance(columns, Mapping):
        raise InvalidType(
            f"must be a mapping of columns, not {type_name(columns)}", path="$.columns"
        )
    kind = time_unit(period, "$.period", PERIODS)
    chosen = kind if unit is None else time_unit(unit, "$.unit", PERIODS)
    if (kind, chosen) not in {(kind, kind), (TimeUnit.DAY, TimeUnit.WEEK)}:
        raise ValidationError(
            "must equal period, or be 'week' with period 'day'", path="$.unit", code="unit"
        )
    end = require_aware(observation_end, "$.observation_end")
    split = None if calibration_end is None else require_aware(calibration_end, "$.calibration_end")
    if currency is not None:
        currency = Money(0, currency).currency
    names = ("customer_id", *_FIELDS[: 7 if split is not None else 4])
    unknown = [key for key in columns if key not in names]
    if unknown:  # the path stops at $.columns: a caller's key is never echoed
        raise ValidationError(
            f"must hold only the summary columns ({', '.join(names)}); "
            f"{len(unknown)} other key(s) given",
            path="$.columns",
            code="unknown_field",
        )
    values: dict[str, list[object]] = {}
    for name in names:
        if name not in columns:
            raise ValidationError("is a required column", path=f"$.columns.{name}", code="required")
        values[name] = column_values(columns[name], f"$.columns.{name}")
        null = first_null(values[name])
        if null is not None:
            raise ValidationError(
                "is required (a null was given)", path=f"$.columns.{name}[{null}]", code="required"
            )
    equal_lengths(values, "$.columns")
    rows: dict[Hashable, SummaryRow] = {}
    ids = values.pop("customer_id")
    fields = list(values.values())
    for index, customer in enumerate(ids):
        parts = [column[index] for column in fields]
        try:
            summary = CustomerSummary(*parts)  # type: ignore[arg-type]  # checked by the class
        except ValidationError as error:
            field = error.path.removeprefix("$.")
            raise error.__class__(
                error.rule, path=f"$.columns.{field}[{index}]", code=error.code
            ) from None
        try:
            seen = customer in rows
        except TypeError:
            raise InvalidType(
                f"must be a hashable customer id, not {type_name(customer)}",
                path=f"$.columns.customer_id[{index}]",
            ) from None
        if seen:
            raise ValidationError(
                "must not repeat a customer id",
                path=f"$.columns.customer_id[{index}]",
                code="duplicate",
            )
        rows[customer] = _row_of(summary)
    return cls._from_rows(
        rows,
        period=kind,
        unit=chosen,
        observation_end=end,
        calibration_end=split,
        currency=currency,
    )
