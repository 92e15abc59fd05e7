"""Input checking, broadcasting and compression for the CLV models.

Every check names the argument and the index (``$.recency[17]``) and never the
offending value. Inputs are plain iterables: lists, tuples, arrays, pandas
Series.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any, ClassVar, cast

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._columns import column_values, is_null
from crmcore.errors import InvalidType, Problem, ValidationError

#: At most this many problems are collected before the error is raised.
_MAX_PROBLEMS = 20

#: Most items one column of data (a history, a list of horizons) may hold.
MAX_ROWS = 10_000_000
#: Most optimizer iterations a fit may be given (``max_iterations``).
MAX_ITERATIONS = 10_000
#: Largest whole count a model takes: purchases asked about (``n``), periods of the
#: discrete-time models, renewals, and the lifetime-value ``horizon``.
MAX_COUNT = 10_000
#: Largest weight one row may carry: a weight counts customers (or scales them), and the
#: log-likelihood's gradient is a weighted sum, so a weight near the float range would
#: overflow it (a weight of 1e154 made the optimizer's dot products overflow).
MAX_WEIGHT = 1e15
#: Longest continuous-time span (``t``, ``T``), in the model's own period.
MAX_HORIZON = 1_000_000.0
#: Most customers one simulation may draw.
MAX_SIMULATED_CUSTOMERS = 1_000_000
#: Most purchases (or periods) one simulation may draw in all: a simulation costs its draws.
MAX_SIMULATED_DRAWS = 2_000_000


def is_scalar(value: object) -> bool:
    """True for a single number (bool excluded), False for anything else."""
    return isinstance(value, (numbers.Real, Decimal)) and not isinstance(value, bool)


def number(value: object, path: str) -> float:
    """One finite number as a float."""
    if not is_scalar(value):
        raise InvalidType(f"must be a number, not {type_name(value)}", path=path)
    try:
        result = float(value)  # type: ignore[arg-type]
    except (OverflowError, ValueError):  # an int beyond the float range, a signalling NaN
        result = math.nan
    if not math.isfinite(result):
        raise ValidationError(
            "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
        )
    return result


def column(values: object, name: str) -> list[float]:
    """A whole argument as a list of finite floats; every bad item is reported.

    The common case (every item a real number of a plain type, all finite) is
    checked in bulk: one pass collects the item types, another converts, and
    the sum of the floats is finite only if every float is (an infinity or a
    NaN poisons it; a sum that merely overflows sends the column to the slow
    path, which then accepts it). Anything else is checked item by item, so a
    bad item is named by its index exactly as before.
    """
    path = f"$.{name}"
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise InvalidType(f"must be a sequence of numbers, not {type_name(values)}", path=path)
    if isinstance(values, Sized) and len(values) > MAX_ROWS:
        raise ValidationError(f"must hold at most {MAX_ROWS:,} items", path=path, code="too_many")
    items = column_items(values, path)
    if len(items) <= MAX_ROWS:
        kinds = set(map(type, items))
        if kinds == {float}:
            if math.isfinite(sum(items)):
                return list(items)
        elif all(map(is_number_type, kinds)):
            try:
                out = list(map(float, items))
            except (OverflowError, ValueError):  # a huge int, a signalling NaN
                pass
            else:
                if math.isfinite(sum(out)):
                    return out
    return _column_by_item(items, path)


def is_number_type(kind: type) -> bool:
    """True if every value of type ``kind`` is a number to :func:`is_scalar`."""
    return (
        kind is float
        or kind is int
        or (issubclass(kind, (numbers.Real, Decimal)) and not issubclass(kind, bool))
    )


def column_items(values: Iterable[object], path: str = "$.values") -> Sequence[Any]:
    """The items of a column, at most ``MAX_ROWS + 1`` of them.

    A list or tuple is taken as it is. A one-dimensional numpy array or pandas
    Series of numbers is converted with its own ``tolist`` (plain Python
    numbers, the same values iteration gives). Any other column the kernel's
    reader takes (:func:`crmcore._kernel._columns.column_values`: polars Series,
    pyarrow arrays, buffers such as ``array.array``, other sequences) is read by
    it, so nulls come out as ``None`` and are named by their row. Nothing is
    imported for it. Other iterables are read item by item.

    >>> import array
    >>> column_items(array.array("d", [1.5, 2.0]))
    [1.5, 2.0]
    """
    if type(values) is list or type(values) is tuple:
        return values
    module = type(values).__module__.partition(".")[0]
    if module in {"numpy", "pandas"} and getattr(values, "ndim", None) == 1:
        kind = getattr(getattr(values, "dtype", None), "kind", None)
        tolist = getattr(values, "tolist", None)
        if kind in {"f", "i", "u"} and callable(tolist):
            converted = tolist()
            if type(converted) is list:
                return converted
    if not isinstance(values, (str, bytes, bytearray, Mapping, AbstractSet, Iterator)) and (
        not isinstance(values, Sized) or len(values) <= MAX_ROWS
    ):
        try:
            return column_values(values, path, max_rows=MAX_ROWS)
        except InvalidType:
            pass  # not column-shaped after all: read it item by item below.
    return list(itertools.islice(values, MAX_ROWS + 1))


def _column_by_item(items: Sequence[object], path: str) -> list[float]:
    """Check and convert a column one item at a time, collecting the problems."""
    out: list[float] = []
    problems: list[Problem] = []
    only_types = True
    for index, item in enumerate(items):
        if index >= MAX_ROWS:
            raise ValidationError(
                f"must hold at most {MAX_ROWS:,} items", path=path, code="too_many"
            )
        try:
            if item is None or (not isinstance(item, float) and is_null(item)):
                raise ValidationError(  # noqa: TRY301 - collected below like every problem.
                    "is required (a null was given)", path=f"{path}[{index}]", code="required"
                )
            out.append(number(item, f"{path}[{index}]"))
        except ValidationError as exc:
            problems.extend(exc.problems)
            only_types = only_types and isinstance(exc, InvalidType)
            out.append(math.nan)
            if len(problems) >= _MAX_PROBLEMS:
                break
    if problems:
        raise (InvalidType if only_types else ValidationError).collect(problems)
    return out


def same_length(first: str, columns: Sequence[tuple[str, Sequence[float]]]) -> int:
    """The common length of ``columns``; the first is the reference."""
    size = len(columns[0][1])
    for name, values in columns[1:]:
        if len(values) != size:
            raise ValidationError(
                f"must have as many items as {first} ({size}), not {len(values)}",
                path=f"$.{name}",
                code="length_mismatch",
            )
    return size


def require_nonempty(name: str, size: int) -> None:
    """Raise if there is no data at all."""
    if size == 0:
        raise ValidationError("must not be empty", path=f"$.{name}", code="empty")


class Checker:
    """Collects problems about rows of several columns, then raises them together."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, rule: str, code: str) -> bool:
        """Record a problem; True once enough are collected to stop looking."""
        self.problems.append(Problem(path, rule, code))
        return len(self.problems) >= _MAX_PROBLEMS

    def raise_if_any(self) -> None:
        """Raise one ValidationError listing every problem recorded."""
        if self.problems:
            raise ValidationError.collect(self.problems)


def _where(name: str, index: int | None) -> str:
    return f"$.{name}" if index is None else f"$.{name}[{index}]"


def check_whole(
    checker: Checker, name: str, index: int | None, value: float, *, minimum: float = 0.0
) -> bool:
    """A whole number at least ``minimum``."""
    if value < minimum:
        rule = "must not be negative" if minimum == 0 else f"must be at least {minimum:g}"
        return checker.add(_where(name, index), rule, "negative" if minimum == 0 else "too_small")
    if value != math.floor(value):
        return checker.add(_where(name, index), "must be a whole number", "not_whole")
    return False


def check_rfm(
    checker: Checker,
    index: int | None,
    x: float,
    t_x: float,
    t: float,
    *,
    names: tuple[str, str, str] = ("frequency", "recency", "T"),
) -> bool:
    """The rules of a continuous-time (frequency, recency, T) history."""
    f_name, r_name, t_name = names
    if check_whole(checker, f_name, index, x):
        return True
    if t < 0:
        # T = 0 is a newcomer (first purchase in the last period): the models define it.
        return checker.add(_where(t_name, index), "must not be negative", "negative")
    if t_x < 0:
        return checker.add(_where(r_name, index), "must not be negative", "negative")
    if t_x > t:
        return checker.add(
            _where(r_name, index), f"must not be greater than {t_name}", "recency_above_T"
        )
    if x == 0 and t_x != 0:
        return checker.add(
            _where(r_name, index),
            f"must be 0 when {f_name} is 0 (recency is the time of the last repeat purchase)",
            "recency_without_purchases",
        )
    return False


def weights_column(weights: object, size: int) -> list[float]:
    """Non-negative weights, one per row, not all zero; ``None`` means all ones."""
    if weights is None:
        return [1.0] * size
    values = column(weights, "weights")
    same_length("frequency", [("frequency", [0.0] * size), ("weights", values)])
    checker = Checker()
    for index, value in enumerate(values):
        if value < 0 and checker.add(f"$.weights[{index}]", "must not be negative", "negative"):
            break
        if value > MAX_WEIGHT and checker.add(
            f"$.weights[{index}]", f"must be at most {MAX_WEIGHT:g}", "range"
        ):
            break
    checker.raise_if_any()
    if not any(v > 0 for v in values):
        raise ValidationError("must not all be zero", path="$.weights", code="empty")
    return values


def compress(
    rows: Iterable[tuple[float, ...]], weights: Iterable[float]
) -> tuple[list[tuple[float, ...]], list[float]]:
    """Collapse identical rows, adding their weights; rows come back sorted."""
    table: dict[tuple[float, ...], float] = {}
    for row, weight in zip(rows, weights, strict=True):
        if weight > 0:
            table[row] = table.get(row, 0.0) + weight
    keys = sorted(table)
    return keys, [table[k] for k in keys]


def weighted_mean(values: Iterable[float], weights: Sequence[float]) -> float:
    """The mean of ``values`` with each counted ``weights`` times (a compressed column's mean)."""
    return math.fsum(v * w for v, w in zip(values, weights, strict=True)) / math.fsum(weights)


def broadcast(
    arguments: Sequence[tuple[str, object]],
) -> tuple[bool, list[list[float]]]:
    """Numbers or sequences in, equal-length float columns out.

    Returns whether any argument was a sequence (the result is then a list) and
    the columns, scalars repeated to the common length.
    """
    vector = any(not is_scalar(value) for _, value in arguments)
    if not vector:
        return False, [[number(value, f"$.{name}")] for name, value in arguments]
    columns: list[tuple[str, list[float] | None, float]] = []
    for name, value in arguments:
        if is_scalar(value):
            columns.append((name, None, number(value, f"$.{name}")))
        else:
            columns.append((name, column(value, name), 0.0))
    sized = [(name, values) for name, values, _ in columns if values is not None]
    size = same_length(sized[0][0], sized)
    return True, [
        values if values is not None else [scalar] * size for _, values, scalar in columns
    ]


def load_rfm(
    frequency: object,
    recency: object,
    T: object,  # noqa: N803 - the literature's name.
    weights: object,
    *,
    sizes: list[int] | None = None,
) -> tuple[list[tuple[float, ...]], list[float]]:
    """Checked, compressed (frequency, recency, T) rows with their weights (see :func:`load_rows`)."""
    return load_rows(
        [("frequency", frequency), ("recency", recency), ("T", T)], check_rfm, weights, sizes=sizes
    )


def load_rows(
    arguments: Sequence[tuple[str, object]],
    check: Callable[..., bool],
    weights: object,
    *,
    sizes: list[int] | None = None,
) -> tuple[list[tuple[float, ...]], list[float]]:
    """Checked, compressed rows of the named columns, with their weights.

    The columns are read in order, then their lengths compared (errors name
    the first column), then each row checked in order by
    ``check(checker, index, *row)``, which returns True to stop at a problem.
    The number of rows given, before compression, is appended to ``sizes``
    when it is a list.
    """
    columns = [(name, column(values, name)) for name, values in arguments]
    first = columns[0][0]
    size = same_length(first, columns)
    require_nonempty(first, size)
    values = [items for _, items in columns]
    checker = Checker()
    for index, row in enumerate(zip(*values, strict=True)):
        if check(checker, index, *row):
            break
    checker.raise_if_any()
    w = weights_column(weights, size)
    if sizes is not None:
        sizes.append(size)
    return compress(zip(*values, strict=True), w)


def rfm_arguments(
    frequency: object,
    recency: object,
    T: object,  # noqa: N803 - the literature's name.
) -> tuple[bool, list[tuple[float, float, float]]]:
    """Checked prediction arguments: numbers or sequences, broadcast together."""
    vector, (x, t_x, t) = broadcast([("frequency", frequency), ("recency", recency), ("T", T)])
    checker = Checker()
    for index in range(len(x)):
        if check_rfm(checker, index if vector else None, x[index], t_x[index], t[index]):
            break
    checker.raise_if_any()
    return vector, list(zip(x, t_x, t, strict=True))


def horizon(
    value: object, name: str = "t", *, whole: bool = False, maximum: float | None = None
) -> float:
    """A non-negative forecast horizon, at most ``maximum``.

    The default maximum is :data:`MAX_COUNT` for a whole number of periods (or
    of purchases) and :data:`MAX_HORIZON` for a continuous span: every loop
    over periods or purchases stays bounded.
    """
    result = number(value, f"$.{name}")
    limit = maximum if maximum is not None else (MAX_COUNT if whole else MAX_HORIZON)
    checker = Checker()
    if result < 0:
        checker.add(f"$.{name}", "must not be negative", "negative")
    elif result > limit:
        checker.add(f"$.{name}", f"must be at most {limit:,g}", "too_large")
    elif whole and result != math.floor(result):
        checker.add(f"$.{name}", "must be a whole number of periods", "not_whole")
    checker.raise_if_any()
    return result


def iterations(value: object) -> int:
    """An optimizer's iteration limit: an int from 0 (evaluate the start) to :data:`MAX_ITERATIONS`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.max_iterations")
    if not 0 <= value <= MAX_ITERATIONS:
        raise ValidationError(
            f"must be from 0 to {MAX_ITERATIONS}", path="$.max_iterations", code="range"
        )
    return value


def _percent_value(value: object) -> float:
    result = number(value, "$.value")
    if not 0.0 <= result <= 100.0:
        raise ValidationError(
            "must be a percentage from 0 to 100", path="$.value", code="not_percent"
        )
    return result


@attrs.frozen(slots=True)
class Percent:
    """A rate or a share given in per cent: ``Percent(10)`` is 10%, the fraction 0.1.

    Every argument that takes a fraction from 0 to 1 (a margin, a discount
    rate) also takes a ``Percent``, each on its own: ``discount_rate=Percent(10),
    margin=0.3`` is 10% a period and a 30% margin. A bare ``10`` stays refused:
    above 1 it is almost always a percentage typed as a fraction.

    >>> Percent(12.5).fraction
    0.125
    >>> Percent(120)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.value: must be a percentage from 0 to 100
    """

    _crmcore_percent: ClassVar[bool] = True

    #: The percentage, a finite number from 0 to 100.
    value: float = attrs.field(converter=_percent_value)

    @property
    def fraction(self) -> float:
        """The share, ``value / 100``."""
        return self.value / 100.0


def fraction(value: object, name: str, *, what: str) -> float:
    """A share from 0 to 1, such as a margin or a discount rate per period.

    A :class:`Percent` gives its fraction. A number above 1 is almost always
    a percentage (``30`` for 30%): it is refused with a hint instead of
    multiplying the result by 100.

    >>> fraction(0.3, "margin", what="the margin")
    0.3
    >>> fraction(Percent(30), "margin", what="the margin")
    0.3
    """
    # Judged by the marker, not the class object (as the priors are): a second import of
    # this module makes a second Percent class whose values are just as good.
    if getattr(value, "_crmcore_percent", False) and isinstance(
        getattr(value, "value", None), float
    ):
        return cast("Percent", value).fraction
    result = number(value, f"$.{name}")
    if result < 0:
        raise ValidationError("must not be negative", path=f"$.{name}", code="negative")
    if result > 1:
        raise ValidationError(
            f"must be a fraction from 0 to 1 ({what}): pass 0.3 for 30%, not 30 "
            "(or Percent(30) to give per cent)",
            path=f"$.{name}",
            code="not_fraction",
        )
    return result


class DrawBudget:
    """Counts a simulation's draws and refuses to go past :data:`MAX_SIMULATED_DRAWS`."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_SIMULATED_DRAWS

    def spend(self, draws: int = 1) -> None:
        """Account for ``draws`` more draws."""
        self.left -= draws
        if self.left < 0:
            raise ValidationError(
                f"would draw more than {MAX_SIMULATED_DRAWS:,} purchases or periods: "
                "simulate fewer customers or shorter spans",
                path="$.n_customers",
                code="too_large",
            )
