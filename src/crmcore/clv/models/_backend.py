"""Where predictions run: checked columns, distinct histories and the optional numpy path.

Every prediction takes numbers or sequences and checks them all, whichever
path computes it:

- ``backend="python"`` computes in pure Python, once per distinct history
  (CDNOW's 2,357 customers have 1,016 distinct ``(frequency, recency, T)``),
  and spreads the results back to the rows;
- ``backend="numpy"`` does the same arithmetic on numpy arrays, and needs numpy;
- ``backend="auto"`` (the default) takes numpy when it is installed and the
  input has at least :data:`AUTO_NUMPY_ROWS` rows, pure Python otherwise.

The two paths agree to about 1e-12 (relative): the same formulas in the same
order, the same series stopped at the same term, the same quadrature where a
series does not converge; only the last bit of ``log`` and ``exp`` can differ.
numpy is imported inside :func:`numpy_for`, when it is asked for, never at
import time: it is an optional extra, not a dependency.

The answer's shape follows the input, whichever path computes it: numbers give
a float; sequences give a list, except when every sequence argument is a
numpy array, which gives a float64 numpy array (numpy is then already loaded).
"""

from __future__ import annotations

import functools
import importlib
import itertools
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence, Sized
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from crmcore._kernel._checks import type_name
from crmcore.clv.models._data import (
    MAX_ROWS,
    Checker,
    broadcast,
    check_rfm,
    column,
    column_items,
    is_number_type,
    is_scalar,
    number,
    same_length,
)
from crmcore.errors import InvalidType, ValidationError

#: How predictions are computed: ``"auto"``, ``"python"`` or ``"numpy"``.
Backend = Literal["auto", "python", "numpy"]

_BACKENDS = ("auto", "python", "numpy")

#: With ``backend="auto"``, inputs of at least this many rows use numpy when it is installed.
AUTO_NUMPY_ROWS = 256

#: A column of a prediction: a list in pure Python, a float64 array on the numpy path.
Column = Any

if TYPE_CHECKING:  # numpy's types for the signatures only: numpy is never imported here.
    import numpy as np
    import numpy.typing as npt

    #: What the predictions give for numpy arrays in: one float64 per row.
    FloatArray: TypeAlias = npt.NDArray[np.float64]
    #: A numpy array of numbers, as the predictions take it.
    NumberArray: TypeAlias = npt.NDArray[np.integer[Any] | np.floating[Any]]


def check_backend(value: object) -> str:
    """One of ``"auto"``, ``"python"`` or ``"numpy"``."""
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.backend")
    if value not in _BACKENDS:
        raise ValidationError(
            "must be one of 'auto', 'python' or 'numpy'", path="$.backend", code="choice"
        )
    return value


def numpy_for(backend: str, rows: int) -> Any | None:
    """The numpy module if ``backend`` (already checked) asks for it, else ``None``.

    Raises:
        ValidationError: ``backend="numpy"`` and numpy cannot be imported
            (code ``unavailable``).
    """
    if backend == "python" or (backend == "auto" and rows < AUTO_NUMPY_ROWS):
        return None
    try:
        return importlib.import_module("numpy")
    except ImportError:
        if backend == "numpy":
            raise ValidationError(
                "needs numpy, which is not installed: pass backend='python' or 'auto'",
                path="$.backend",
                code="unavailable",
            ) from None
        return None


def _rows_hint(arguments: Sequence[tuple[str, object]]) -> int:
    """The longest sized sequence among the arguments (0 if none is sized)."""
    sizes = [len(v) for _, v in arguments if not is_scalar(v) and isinstance(v, Sized)]
    return max(sizes, default=0)


def _array_column(np: Any, values: object, name: str) -> Any:
    """A checked column as a float64 array.

    A one-dimensional numpy array or pandas Series of numbers, or a list or
    tuple of ints and floats, is converted by numpy and checked in bulk;
    anything else, and any column that fails the bulk check, goes through
    :func:`column`, which names each bad item.
    """
    array = None
    module = type(values).__module__.partition(".")[0]
    kind = getattr(getattr(values, "dtype", None), "kind", None)
    try:
        if module in {"numpy", "pandas"} and kind in {"f", "i", "u"}:
            array = np.asarray(values, dtype=np.float64)
        elif (type(values) is list or type(values) is tuple) and set(map(type, values)) <= {
            float,
            int,
        }:
            array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # NA in a nullable column, a huge int
        array = None
    if (
        array is not None
        and array.ndim == 1
        and len(array) <= MAX_ROWS
        and bool(np.isfinite(array).all())
    ):
        return array
    return np.array(column(values, name), dtype=np.float64)


def load(backend: object, arguments: Sequence[tuple[str, object]]) -> Histories:
    """Check prediction arguments and broadcast numbers against sequences.

    The columns are checked as :func:`crmcore.clv.models._data.broadcast`
    checks them (types, NaN and infinity, lengths), with the same errors, and
    come back as :class:`Histories`: the distinct rows in pure Python, every
    row as float64 arrays on the numpy path.
    """
    kind = check_backend(backend)
    np = numpy_for(kind, _rows_hint(arguments))
    if np is not None:
        histories = _load_arrays(np, arguments)
    else:
        fast = _load_distinct(arguments)
        if fast is None:
            vector, columns = broadcast(arguments)
            fast = Histories.of_rows(vector, columns)
        histories = fast
    histories.arrays = all_arrays(arguments)
    return histories


def is_array(value: object) -> bool:
    """True for a numpy array or an instance of a subclass (numpy is not imported for it)."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.ndarray)


def all_arrays(arguments: Sequence[tuple[str, object]]) -> bool:
    """True if some argument is a sequence and every sequence argument is a numpy array."""
    sequences = [value for _, value in arguments if not is_scalar(value)]
    return bool(sequences) and all(map(is_array, sequences))


def as_array(values: list[float]) -> FloatArray:
    """A list of floats as a float64 numpy array (numpy is loaded: the caller passed arrays)."""
    np = importlib.import_module("numpy")
    array: FloatArray = np.array(values, dtype=np.float64)
    return array


def _load_distinct(arguments: Sequence[tuple[str, object]]) -> Histories | None:
    """The distinct rows of the arguments, checked in bulk; ``None`` if anything is odd.

    Rows are collapsed before their values are converted: equal numbers hash
    alike whatever their type (``2``, ``2.0`` and ``Decimal(2)``) and convert
    to the same float. Every item's type is still checked, so a ``True``
    hidden among ``1``s is refused. Any irregularity (a bad type, NaN, an
    unhashable item, unequal lengths) returns ``None`` and the caller checks
    item by item, which raises exactly the error it always raised.
    """
    vector = False
    raw: list[Sequence[object] | None] = []
    scalars: list[object] = []
    for _, value in arguments:
        if is_scalar(value):
            raw.append(None)
            scalars.append(value)
            continue
        vector = True
        items = _plain_items(value)
        if items is None:
            return None
        raw.append(items)
        scalars.append(None)
    sizes = {len(items) for items in raw if items is not None}
    if len(sizes) > 1:
        return None
    size = sizes.pop() if sizes else 1
    parts = [
        items if items is not None else itertools.repeat(scalar, size)
        for items, scalar in zip(raw, scalars, strict=True)
    ]
    # Each row's position among the distinct rows, numbered in order of first
    # appearance by the dict's missing-key hook: one pass in C, no Python frame per row.
    positions: defaultdict[tuple[object, ...], int] = defaultdict(itertools.count().__next__)
    try:
        index = list(map(positions.__getitem__, zip(*parts, strict=True)))
        columns = [list(map(float, values)) for values in zip(*positions, strict=True)]
    except (TypeError, ValueError, OverflowError):  # unhashable, a signalling NaN, a huge int
        return None
    if size == 0 or not all(math.isfinite(sum(values)) for values in columns):
        return None
    return Histories(None, vector, columns, size, None if len(positions) == size else index)


def _plain_items(value: object) -> Sequence[object] | None:
    """The items of a sequence argument if each is a number of a plain type, else ``None``."""
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        return None
    if isinstance(value, Sized) and len(value) > MAX_ROWS:
        return None
    items = column_items(value)
    if len(items) > MAX_ROWS or not all(map(is_number_type, set(map(type, items)))):
        return None
    return items


def _load_arrays(np: Any, arguments: Sequence[tuple[str, object]]) -> Histories:
    """Every row as float64 arrays, checked as :func:`broadcast` checks them."""
    vector = any(not is_scalar(value) for _, value in arguments)
    loaded: list[tuple[str, Any | None, float]] = []
    for name, value in arguments:
        if is_scalar(value):
            loaded.append((name, None, number(value, f"$.{name}")))
        else:
            loaded.append((name, _array_column(np, value, name), 0.0))
    sized = [(name, values) for name, values, _ in loaded if values is not None]
    size = same_length(sized[0][0], sized) if sized else 1
    columns = [
        values if values is not None else np.full(size, scalar, dtype=np.float64)
        for _, values, scalar in loaded
    ]
    return Histories(np, vector, columns, size, None)


class Histories:
    """Checked prediction rows: the distinct ones in pure Python, all of them with numpy.

    ``columns`` holds the base rows, one list or array per argument: in pure
    Python each distinct row once (``spread`` says where each input row's
    values are), on the numpy path every row. Models compute one value per
    base row; :meth:`result` turns that into the call's answer. Distinct rows
    of some of the columns are found on demand by :meth:`distinct` and kept.
    """

    __slots__ = ("_distinct", "arrays", "columns", "memo", "np", "size", "spread", "vector")

    def __init__(
        self,
        np: Any | None,
        vector: bool,
        columns: list[Column],
        size: int,
        spread: list[int] | None,
    ) -> None:
        self.np = np
        self.vector = vector
        self.columns = columns
        self.size = size
        #: For each input row, the position of its base row (``None``: one base row per input row).
        self.spread = spread
        #: Whether every sequence argument was a numpy array: the answer is then an array.
        self.arrays = False
        self._distinct: dict[tuple[int, ...], tuple[list[Column], Column | None]] = {}
        #: What one model computed on these rows for reuse within the same call (P(alive)).
        self.memo: dict[str, Any] = {}

    @classmethod
    def of_rows(cls, vector: bool, columns: list[list[float]]) -> Histories:
        """Histories of checked float columns (every row, pure Python), collapsed."""
        positions: defaultdict[tuple[float, ...], int] = defaultdict(itertools.count().__next__)
        index = list(map(positions.__getitem__, zip(*columns, strict=True)))
        size = len(columns[0])
        if len(positions) == size:
            return cls(None, vector, columns, size, None)
        distinct = [list(values) for values in zip(*positions, strict=True)]
        return cls(None, vector, distinct, size, index)

    def rows(self) -> list[list[float]]:
        """Every input row's columns, as lists (for replaying checks in order)."""
        if self.np is not None:
            return [values.tolist() for values in self.columns]
        return [self._spread(values) for values in self.columns]

    def distinct(self, which: tuple[int, ...] = (0, 1, 2)) -> tuple[list[Column], Column | None]:
        """The distinct base rows of the columns ``which``, and where each base row went.

        The index is ``None`` when the base rows are already distinct on those
        columns; :meth:`expand` takes values back to one per base row.
        """
        found = self._distinct.get(which)
        if found is None:
            keys = [self.columns[i] for i in which]
            if self.np is not None:
                found = _distinct_arrays(self.np, keys)
            else:
                found = _distinct_lists(keys)
            self._distinct[which] = found
        return found

    def expand(self, values: Column, index: Column | None) -> Column:
        """One value per base row from one value per distinct row of :meth:`distinct`."""
        if index is None:
            return values
        if self.np is None:
            return list(map(values.__getitem__, index))
        return values[index]

    def result(self, values: Column) -> float | list[float] | FloatArray:
        """The call's answer from one value per base row.

        A float for numbers; for sequences a list, or a float64 numpy array when
        every sequence argument was a numpy array (never one of the input arrays).
        """
        if self.arrays and self.vector:
            if self.np is None:
                return as_array(self._spread(values))
            array: FloatArray = values.copy() if any(values is c for c in self.columns) else values
            return array
        out = self.listed(values)
        return out if self.vector else out[0]

    def listed(self, values: Column) -> list[float]:
        """One value per input row, as a list, from one value per base row."""
        if self.np is not None:
            out: list[float] = values.tolist()
            return out
        return self._spread(values)

    def _spread(self, values: list[float]) -> list[float]:
        if self.spread is None:
            return values
        return list(map(values.__getitem__, self.spread))


def _distinct_lists(columns: list[list[float]]) -> tuple[list[list[float]], list[int] | None]:
    """Distinct rows in order of first appearance, and each row's position among them."""
    position: defaultdict[tuple[float, ...], int] = defaultdict(itertools.count().__next__)
    index = list(map(position.__getitem__, zip(*columns, strict=True)))
    if len(position) == len(index):
        return columns, None
    return [list(values) for values in zip(*position, strict=True)], index


def _distinct_arrays(np: Any, columns: list[Any]) -> tuple[list[Any], Any]:
    """Distinct rows (sorted) of float64 columns and each row's position among them."""
    size = len(columns[0])
    order = np.lexsort(columns[::-1])
    ordered = [values[order] for values in columns]
    first = np.ones(size, dtype=bool)
    if size > 1:
        same = np.ones(size - 1, dtype=bool)
        for values in ordered:
            same &= values[1:] == values[:-1]
        first[1:] = ~same
    index = np.empty(size, dtype=np.intp)
    index[order] = np.cumsum(first) - 1
    return [values[first] for values in ordered], index


def rfm_histories(
    frequency: object,
    recency: object,
    T: object,  # noqa: N803 - the literature's name.
    backend: object,
    *,
    name: str = "T",
) -> Histories:
    """Checked ``(frequency, recency, T)`` histories; ``name`` is what errors call ``T``."""
    histories = load(backend, [("frequency", frequency), ("recency", recency), (name, T)])
    check_rfm_histories(histories, name)
    return histories


def check_rfm_histories(histories: Histories, name: str = "T") -> None:
    """Check the rules of :func:`crmcore.clv.models._data.check_rfm` on the first three columns.

    They are checked on the distinct rows (or on the arrays at once); when one
    fails, every row is checked in order so that the error names the same
    indices as a row-by-row check.
    """
    names = ("frequency", "recency", name)
    np = histories.np
    x, t_x, t = histories.columns[:3]
    if np is not None:
        # The columns are finite, so a minimum decides each sign rule; the rules
        # between columns are checked a block at a time (see :data:`BLOCK`).
        ok = not len(x) or bool(
            x.min() >= 0 and t.min() >= 0 and t_x.min() >= 0 and _rfm_rows_hold(np, x, t_x, t)
        )
    else:
        probe = Checker()
        for a, b, c in zip(x, t_x, t, strict=True):
            if check_rfm(probe, None, a, b, c, names=names) or probe.problems:
                break
        ok = not probe.problems
    if not ok:
        replay(histories, functools.partial(check_rfm, names=names))


#: Rows per block when the numpy path works a block at a time: temporaries of a whole
#: column (800 kB per 100,000 rows) are fresh memory the system must map in on every call,
#: which costs more than the arithmetic; a block's stay in the cache and are reused.
BLOCK = 32_768


def blocks(size: int) -> list[slice]:
    """The rows ``0 .. size`` in consecutive slices of at most :data:`BLOCK` rows."""
    return [slice(start, min(start + BLOCK, size)) for start in range(0, size, BLOCK)]


def _rfm_rows_hold(np: Any, x: Any, t_x: Any, t: Any) -> bool:
    """Whole frequencies, ``t_x <= T``, and ``t_x == 0`` wherever ``x == 0``, on arrays."""
    whole = np.empty(min(len(x), BLOCK))
    for rows in blocks(len(x)):
        xs, recencies = x[rows], t_x[rows]
        floor = whole[: len(xs)]
        np.floor(xs, out=floor)
        if not (
            bool((floor == xs).all())
            and bool((recencies <= t[rows]).all())
            and not bool(((xs == 0) & (recencies != 0)).any())
        ):
            return False
    return True


def replay(
    histories: Histories,
    check: Callable[..., bool],
    which: tuple[int, ...] = (0, 1, 2),
) -> None:
    """Check every input row's columns ``which`` in order with ``check``; raise what it finds.

    Called once a bulk check has failed: the error then names the first
    offending rows by their index, exactly as a row-by-row check would.
    """
    columns = histories.rows()
    checker = Checker()
    for index, row in enumerate(zip(*(columns[i] for i in which), strict=True)):
        if check(checker, index if histories.vector else None, *row):
            break
    checker.raise_if_any()
