"""Model fit inputs as small mergeable values: compressed histories and Gamma-Gamma spends.

A global fit on partitioned data needs only, per partition, the distinct
``(frequency, recency, T)`` histories with how many customers share each
(what BG/NBD, Pareto/NBD and their kin fit on) and the distinct
``(frequency, monetary_value)`` pairs with their counts (what Gamma-Gamma
fits on). Both add up across partitions of customers: :meth:`merge` of the
parts equals the value built from the whole table, so the fit is the same.

>>> from datetime import datetime, timezone
>>> from crmcore.clv import summarize
>>> utc = timezone.utc
>>> def table(rows):
...     return summarize(rows, period="day", observation_end=datetime(2024, 1, 11, tzinfo=utc))
>>> day = lambda d: datetime(2024, 1, d, tzinfo=utc)
>>> part_a = table([("a", day(1), "10"), ("a", day(4), "20")])
>>> part_b = table([("b", day(1), "10"), ("b", day(4), "20"), ("c", day(2), "5")])
>>> merged = HistoryCounts.from_table(part_a).merge(HistoryCounts.from_table(part_b))
>>> merged.fit_arguments()
{'frequency': [0, 1], 'recency': [0.0, 3.0], 'T': [9.0, 10.0], 'weights': [1, 2]}
>>> spend = SpendInputs.from_table(part_a).merge(SpendInputs.from_table(part_b))
>>> spend.fit_arguments()
{'frequency': [1], 'monetary_value': [20.0], 'weights': [2]}
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, ClassVar, Final, Self, TypedDict, TypeVar

import attrs

from crmcore._kernel._checks import MAX_DIGITS, MAX_INT, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._money import Money
from crmcore._kernel._time import TimeUnit
from crmcore.clv.summaries._state import scale_of
from crmcore.clv.summaries._table import CompressedHistories, SummaryTable
from crmcore.errors import InvalidType, ValidationError

__all__ = ["MAX_HISTORIES", "HistoryCounts", "SpendFitArguments", "SpendInputs"]

#: Most distinct rows one :class:`HistoryCounts` or :class:`SpendInputs` holds.
MAX_HISTORIES: Final = 10_000_000
# The settings of the summary table that fit inputs keep (only parts of one analysis merge).
_FRAME_NAMES: Final = ("period", "unit", "observation_end", "calibration_end", "currency")
#: One of the two classes of fit inputs.
_Inputs = TypeVar("_Inputs", bound="HistoryCounts | SpendInputs")


class HistoryFitArguments(TypedDict):
    """``model.fit(**arguments)`` for the frequency / recency models (as ``table.compress()``)."""

    frequency: list[int]
    recency: list[float]
    T: list[float]
    weights: list[int]


class SpendFitArguments(TypedDict):
    """``GammaGamma().fit(**arguments)``: repeat buyers' counts and mean spends, with weights."""

    frequency: list[int]
    monetary_value: list[float]
    weights: list[int]


def _columns_checked(_instance: object, _attribute: object, _value: object) -> None:
    """Marks a column field as checked: ``__attrs_post_init__`` checks the columns together."""


def _column(value: object, path: str) -> tuple[Any, ...]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise InvalidType(f"must be a sequence, not {type_name(value)}", path=path)
    if len(value) > MAX_HISTORIES:
        raise ValidationError(f"must hold at most {MAX_HISTORIES} rows", path=path, code="too_many")
    return tuple(value)


def _to_tuple(value: object) -> tuple[int, ...]:
    return _column(value, "$")


def _check_int(value: object, path: str, *, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not least <= value <= MAX_INT:
        raise ValidationError(
            f"must be an integer from {least} to 2**63 - 1", path=path, code="range"
        )
    return value


def _check_span(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidType(f"must be a float, not {type_name(value)}", path=path)
    try:
        number = float(value)
    except OverflowError:  # an int beyond the float range
        number = math.inf
    if not math.isfinite(number) or number < 0:
        raise ValidationError("must be a finite number >= 0", path=path, code="range")
    return number


def _check_money(value: object, path: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise InvalidType(f"must be a Decimal, not {type_name(value)}", path=path)
    if not value.is_finite() or len(value.as_tuple().digits) > MAX_DIGITS:
        raise ValidationError(
            f"must be a finite Decimal of at most {MAX_DIGITS} digits",
            path=path,
            code="not_finite",
        )
    return value


def _check_lengths(names: Sequence[str], columns: Sequence[tuple[Any, ...]]) -> int:
    size = len(columns[0])
    if size > MAX_HISTORIES:
        raise ValidationError(
            f"must hold at most {MAX_HISTORIES} rows", path=f"$.{names[0]}", code="too_many"
        )
    for name, column in zip(names[1:], columns[1:], strict=True):
        if len(column) != size:
            raise ValidationError(
                f"must hold as many rows as {names[0]} ({len(column)} != {size})",
                path=f"$.{name}",
                code="length_mismatch",
            )
    return size


def _check_sorted(keys: list[tuple[Any, ...]]) -> None:
    for index, (before, after) in enumerate(pairwise(keys)):
        if not before < after:
            raise ValidationError(
                "must be distinct rows in increasing order (as from_table and merge give them)",
                path=f"$.frequency[{index + 1}]",
                code="order",
            )


def _same_frame(mine: HistoryCounts | SpendInputs, other: object, cls: type, path: str) -> None:
    if type(other) is not cls:
        raise InvalidType(f"must be a {cls.__name__}, not {type_name(other)}", path=path)
    for name in _FRAME_NAMES:
        if getattr(mine, name) != getattr(other, name):
            raise ValidationError(
                f"must have the same {name} as the values it merges with",
                path=f"{path}.{name}",
                code="mismatch",
            )


def _check_frame(value: HistoryCounts | SpendInputs) -> None:
    """The settings describe a summary table: a valid unit, currency and calibration split."""
    scale_of(value.period, value.unit)
    if value.currency is not None:
        try:
            code = Money(0, value.currency).currency
        except ValidationError as exc:
            raise ValidationError(exc.rule, path="$.currency", code=exc.code) from None
        if code != value.currency:
            raise ValidationError(
                "must be an upper-case ISO 4217 code", path="$.currency", code="currency"
            )
    if value.calibration_end is not None and value.calibration_end > value.observation_end:
        raise ValidationError(
            "must not be after observation_end", path="$.calibration_end", code="order"
        )


def _merged_weights(counts: Counter[tuple[Any, ...]], path: str) -> None:
    if counts and max(counts.values()) > MAX_INT:
        raise ValidationError(
            "must not make a weight above 2**63 - 1 (the parts overlap or are huge)",
            path=path,
            code="range",
        )


def _check_table(table: object) -> SummaryTable:
    if not isinstance(table, SummaryTable):
        raise InvalidType(f"must be a SummaryTable, not {type_name(table)}", path="$.table")
    return table


def _too_many(size: int, path: str) -> None:
    if size > MAX_HISTORIES:
        raise ValidationError(
            f"must hold at most {MAX_HISTORIES} distinct rows", path=path, code="too_many"
        )


def _frame_of(value: SummaryTable | HistoryCounts | SpendInputs) -> dict[str, Any]:
    """The settings of a table (or of fit inputs built from one), by field name."""
    return {name: getattr(value, name) for name in _FRAME_NAMES}


def _key_counts(
    keys: Sequence[tuple[Any, ...]], weights: tuple[int, ...]
) -> Counter[tuple[Any, ...]]:
    """The weights of fit inputs by their key row (the key columns zipped)."""
    return Counter(dict(zip(zip(*keys, strict=True), weights, strict=True)))


def _key_columns(names: Sequence[str], counts: Mapping[tuple[Any, ...], int]) -> dict[str, Any]:
    """The sorted distinct key rows of ``counts`` as columns ``names``, with their weights."""
    keys = sorted(counts)
    columns: dict[str, Any] = {
        name: tuple(key[place] for key in keys) for place, name in enumerate(names)
    }
    columns["weights"] = tuple(counts[key] for key in keys)
    return columns


def _built(
    cls: type[_Inputs], frame: Mapping[str, Any], counts: Mapping[tuple[Any, ...], int]
) -> _Inputs:
    """Fit inputs of class ``cls``: a table's settings, and the distinct key rows of ``counts``."""
    return cls(**frame, **_key_columns(cls._KEYS, counts))


def _merged(
    value: HistoryCounts | SpendInputs, others: Sequence[object]
) -> Counter[tuple[Any, ...]]:
    """The key counts of ``value`` and ``others`` together (checked: same class, frame, bounds)."""
    counts = value._counts()  # noqa: SLF001 - the two classes of this module.
    for index, other in enumerate(others):
        _same_frame(value, other, type(value), f"$.others[{index}]")
        counts.update(other._counts())  # type: ignore[attr-defined]  # noqa: SLF001 - same class.
        _too_many(len(counts), f"$.others[{index}]")
        _merged_weights(counts, f"$.others[{index}]")
    return counts


@attrs.frozen(slots=True)
class HistoryCounts(Checked):
    """Distinct ``(frequency, recency, T)`` calibration histories with how many customers share each.

    Rows are sorted and distinct; ``weights`` are positive counts. Build it
    with :meth:`from_table`, add partitions with :meth:`merge`, fit with
    ``model.fit(**counts.fit_arguments())``. The table's ``period``, ``unit``,
    ``observation_end``, ``calibration_end`` and ``currency`` are kept so that
    only parts of one analysis merge.
    """

    period: TimeUnit
    unit: TimeUnit
    observation_end: datetime
    calibration_end: datetime | None
    currency: str | None
    frequency: tuple[int, ...] = attrs.field(converter=_to_tuple, validator=_columns_checked)
    recency: tuple[float, ...] = attrs.field(converter=_to_tuple, validator=_columns_checked)
    T: tuple[float, ...] = attrs.field(converter=_to_tuple, validator=_columns_checked)
    weights: tuple[int, ...] = attrs.field(converter=_to_tuple, validator=_columns_checked)
    #: The key columns: one row each per distinct history.
    _KEYS: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        _check_frame(self)
        names = ("frequency", "recency", "T", "weights")
        columns = (self.frequency, self.recency, self.T, self.weights)
        size = _check_lengths(names, columns)
        recency: list[float] = []
        ages: list[float] = []
        for index in range(size):
            x = _check_int(self.frequency[index], f"$.frequency[{index}]", least=0)
            r = _check_span(self.recency[index], f"$.recency[{index}]")
            t = _check_span(self.T[index], f"$.T[{index}]")
            _check_int(self.weights[index], f"$.weights[{index}]", least=1)
            if r > t:
                raise ValidationError(
                    "must not exceed T", path=f"$.recency[{index}]", code="recency_above_t"
                )
            if x == 0 and r != 0:
                raise ValidationError(
                    "must be 0 when frequency is 0",
                    path=f"$.recency[{index}]",
                    code="recency_without_repeats",
                )
            recency.append(r)
            ages.append(t)
        object.__setattr__(self, "recency", tuple(recency))
        object.__setattr__(self, "T", tuple(ages))
        _check_sorted(list(zip(self.frequency, recency, ages, strict=True)))

    @classmethod
    def from_table(cls, table: SummaryTable, *, skip_newcomers: bool = False) -> Self:
        """The histories of ``table`` (calibration histories with a holdout split).

        ``from_table(t).fit_arguments()`` equals ``t.compress()``, with the same
        ``skip_newcomers``.
        """
        checked = _check_table(table)
        compressed = checked.compress(skip_newcomers=skip_newcomers)
        _too_many(len(compressed["weights"]), "$.table")
        return _built(cls, _frame_of(checked), Counter(dict(_history_rows(compressed))))

    def _counts(self) -> Counter[tuple[Any, ...]]:
        return _key_counts((self.frequency, self.recency, self.T), self.weights)

    def merge(self, *others: HistoryCounts) -> Self:
        """The histories of this part and ``others`` together (parts of disjoint customers).

        Raises:
            InvalidType: a part is not a HistoryCounts.
            ValidationError: parts of different tables (code ``mismatch``), or
                more than :data:`MAX_HISTORIES` distinct rows (``too_many``).
        """
        return _built(type(self), _frame_of(self), _merged(self, others))

    @property
    def customers(self) -> int:
        """How many customers the histories describe."""
        return sum(self.weights)

    def fit_arguments(self) -> HistoryFitArguments:
        """The keyword arguments of ``model.fit``: frequency, recency, T and weights."""
        return {
            "frequency": list(self.frequency),
            "recency": list(self.recency),
            "T": list(self.T),
            "weights": list(self.weights),
        }


def _history_rows(compressed: CompressedHistories) -> Iterable[tuple[tuple[Any, ...], int]]:
    return zip(
        zip(compressed["frequency"], compressed["recency"], compressed["T"], strict=True),
        compressed["weights"],
        strict=True,
    )


@attrs.frozen(slots=True)
class SpendInputs(Checked):
    """Distinct ``(frequency, monetary_value)`` pairs of repeat buyers with their counts.

    What :class:`~crmcore.clv.models.GammaGamma` fits on: customers with at
    least one repeat purchase period (the others carry no spend information
    and the model leaves them out anyway). ``monetary_value`` is kept exact
    (Decimal); :meth:`fit_arguments` gives floats, as ``to_columns()`` does.
    """

    period: TimeUnit
    unit: TimeUnit
    observation_end: datetime
    calibration_end: datetime | None
    currency: str | None
    frequency: tuple[int, ...] = attrs.field(converter=_to_tuple, validator=_columns_checked)
    monetary_value: tuple[Decimal, ...] = attrs.field(
        converter=_to_tuple, validator=_columns_checked
    )
    weights: tuple[int, ...] = attrs.field(converter=_to_tuple, validator=_columns_checked)
    #: The key columns: one row each per distinct (count, mean spend).
    _KEYS: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        _check_frame(self)
        names = ("frequency", "monetary_value", "weights")
        size = _check_lengths(names, (self.frequency, self.monetary_value, self.weights))
        for index in range(size):
            _check_int(self.frequency[index], f"$.frequency[{index}]", least=1)
            _check_money(self.monetary_value[index], f"$.monetary_value[{index}]")
            _check_int(self.weights[index], f"$.weights[{index}]", least=1)
        _check_sorted(list(zip(self.frequency, self.monetary_value, strict=True)))

    @classmethod
    def from_table(cls, table: SummaryTable) -> Self:
        """The repeat buyers' (calibration) counts and mean spends of ``table``."""
        checked = _check_table(table)
        counts: Counter[tuple[int, Decimal]] = Counter()
        for summary in checked.values():
            if summary.frequency:
                counts[summary.frequency, summary.monetary_value] += 1
        _too_many(len(counts), "$.table")
        return _built(cls, _frame_of(checked), counts)

    def _counts(self) -> Counter[tuple[Any, ...]]:
        return _key_counts((self.frequency, self.monetary_value), self.weights)

    def merge(self, *others: SpendInputs) -> Self:
        """The spends of this part and ``others`` together (parts of disjoint customers).

        Raises:
            InvalidType: a part is not a SpendInputs.
            ValidationError: parts of different tables (code ``mismatch``), or
                more than :data:`MAX_HISTORIES` distinct rows (``too_many``).
        """
        return _built(type(self), _frame_of(self), _merged(self, others))

    @property
    def customers(self) -> int:
        """How many repeat buyers the spends describe."""
        return sum(self.weights)

    def fit_arguments(self) -> SpendFitArguments:
        """The keyword arguments of ``GammaGamma().fit``: frequency, monetary_value (floats), weights."""
        return {
            "frequency": list(self.frequency),
            "monetary_value": [float(value) for value in self.monetary_value],
            "weights": list(self.weights),
        }
