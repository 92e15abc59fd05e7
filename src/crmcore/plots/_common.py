"""What every figure shares: argument checks, bounded reading and the matplotlib import.

Nothing here imports matplotlib at module level: :func:`new_figure` imports it
when a figure is drawn, and says which extra installs it when it is missing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeVar

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

T = TypeVar("T")

#: What to install when matplotlib is missing.
INSTALL: Final = "pip install 'crmcore[plot]'"
#: Longest title a figure takes.
MAX_TITLE: Final = 200


def new_figure(width: float, height: float) -> Figure:
    """A matplotlib ``Figure`` built directly (no pyplot state, no backend chosen).

    Raises:
        ValidationError: matplotlib is not installed (code ``unavailable``),
            naming ``pip install 'crmcore[plot]'``.
    """
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - the optional extra.
    except ImportError:
        raise ValidationError(
            f"needs matplotlib, which is not installed: {INSTALL}",
            path="$",
            code="unavailable",
        ) from None
    return Figure(figsize=(width, height), layout="constrained")


def masked(values: Iterable[Iterable[float | None]]) -> Any:
    """A numpy masked array of the rows, ``None`` cells masked (numpy comes with matplotlib)."""
    import numpy as np  # noqa: PLC0415 - a dependency of matplotlib, loaded with it.

    grid = np.array(
        [[math.nan if v is None else float(v) for v in row] for row in values], dtype=float
    )
    return np.ma.masked_invalid(grid)


def whole(value: object, path: str, *, minimum: int, maximum: int) -> int:
    """An int from ``minimum`` to ``maximum`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not minimum <= value <= maximum:
        raise ValidationError(f"must be from {minimum:,} to {maximum:,}", path=path, code="range")
    return value


def real(value: object, path: str, *, maximum: float, positive: bool = True) -> float:
    """A finite number (int, float or Decimal; bools refused), positive or non-negative.

    The range is checked on the exact value before it becomes a float, so a
    huge int (``10**400``) or Decimal is refused as too large, never overflows.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidType(f"must be a number, not {type_name(value)}", path=path)
    finite = (
        value.is_finite()
        if isinstance(value, Decimal)
        else not isinstance(value, float) or math.isfinite(value)
    )
    if not finite:
        raise ValidationError("must be a finite number", path=path, code="not_finite")
    if value < 0 or (positive and value == 0):
        rule = "must be positive" if positive else "must not be negative"
        raise ValidationError(rule, path=path, code="not_positive" if positive else "negative")
    if value > maximum:
        raise ValidationError(f"must be at most {maximum:,g}", path=path, code="too_large")
    number = float(value)  # from 0 to ``maximum`` now: no overflow
    if positive and number == 0:  # a Decimal such as 1E-999999 underflows to 0.0
        raise ValidationError(
            "must be positive (it rounds to 0.0 as a float)", path=path, code="not_positive"
        )
    return number


def checked_title(value: object) -> str | None:
    """A figure's ``title`` argument checked before any work: None or a str of at most 200.

    Every ``plot_*`` function calls this first, so a bad title is refused
    before the figure's data is computed.
    """
    return None if value is None else title_text(value, "")


def title_text(value: object, default: str) -> str:
    """The figure's title: ``default`` for None, else a str of at most :data:`MAX_TITLE`.

    The title is drawn as plain text (``parse_math=False``): a ``$`` in it is
    a dollar sign, never the start of mathtext that fails when the figure is saved.
    """
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.title")
    if len(value) > MAX_TITLE:
        raise ValidationError(
            f"must be at most {MAX_TITLE} characters", path="$.title", code="too_long"
        )
    return value


def bounded(values: object, path: str, limit: int) -> list[Any]:
    """The items of an iterable (not a str), at most ``limit`` of them, read once."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidType(f"must be an iterable, not {type_name(values)}", path=path)
    items = list(itertools.islice(values, limit + 1))
    if len(items) > limit:
        raise ValidationError(f"must hold at most {limit:,} items", path=path, code="too_many")
    return items


def of_type(value: object, kinds: type[T] | tuple[type[T], ...], path: str, what: str) -> T:
    """``value`` if it is one of ``kinds``, else :class:`InvalidType` naming ``what``."""
    if not isinstance(value, kinds):
        raise InvalidType(f"must be {what}, not {type_name(value)}", path=path)
    return value
