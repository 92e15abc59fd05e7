"""The ``customer_id`` and ``at`` columns of :mod:`crmcore.clv.summaries._columnar`, checked.

Customer ids and times are checked a column at a time; a bad row is named by
its index (``$.at[12]``) or, with ``on_error="skip"``, kept aside with its error.
Times become period indices on the calendar: timezone-aware datetimes, integer
epoch values, or a timezone-aware pandas column read through its epoch values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Final, Literal, TypeAlias

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._columns import TICKS_PER_SECOND, is_null
from crmcore._kernel._time import TimeUnit
from crmcore.clv.summaries._state import (
    _EPOCH_MONTH,
    _EPOCH_ORDINAL,
    _PLAIN_IDS,
    _WEEK_SHIFT,
    _local_index,
    _to_local,
)
from crmcore.errors import InvalidType, ValidationError

#: The unit of epoch values: seconds, milliseconds, microseconds or nanoseconds.
EpochUnit: TypeAlias = Literal["s", "ms", "us", "ns"]

_PER_SECOND: Final = TICKS_PER_SECOND
_DAY_SECONDS: Final = 86_400
_FIRST_DAY: Final = date(1, 1, 1).toordinal() - _EPOCH_ORDINAL
_LAST_DAY: Final = date(9999, 12, 31).toordinal() - _EPOCH_ORDINAL
_EPOCH_UTC: Final = datetime(1970, 1, 1, tzinfo=UTC)

# A bad row: its index and the error, in column order.
_Bad: TypeAlias = dict[int, ValidationError]


# -- one column at a time ------------------------------------------------------------------


def _slow(  # noqa: PLR0917 - internal helper, positional by design.
    values: Sequence[object],
    check: Callable[[object, str], object],
    name: str,
    raising: bool,
    bad: _Bad,
    skip_types: frozenset[type] = frozenset(),
) -> list[object]:
    """Check every row with ``check``; the converted values (None where bad)."""
    out: list[object] = []
    for index, value in enumerate(values):
        if type(value) in skip_types:
            out.append(value)
            continue
        try:
            out.append(check(value, f"$.{name}[{index}]"))
        except ValidationError as error:
            if raising:
                raise
            bad.setdefault(index, error)
            out.append(None)
    return out


def _required(value: object, path: str) -> None:
    if is_null(value):
        raise ValidationError("is required (a null was given)", path=path, code="required")


def _customer(value: object, path: str) -> object:
    _required(value, path)
    try:
        hash(value)
    except TypeError:
        raise InvalidType(
            f"must be a hashable customer id, not {type_name(value)}", path=path
        ) from None
    return value


def _check_ids(values: list[object], raising: bool, bad: _Bad, kinds: set[type]) -> list[object]:
    if kinds <= _PLAIN_IDS:
        return values
    return _slow(values, _customer, "customer_id", raising, bad, _PLAIN_IDS)


class _Times:
    """Turns the ``at`` column into period indices on the calendar of ``zone``."""

    def __init__(self, period: TimeUnit, zone: tzinfo, time_unit: EpochUnit | None) -> None:
        self.period = period
        self.zone = zone
        self.time_unit = time_unit
        # The least and greatest period index, when the bulk path saw them on the way.
        self.bounds: tuple[int, int] | None = None

    def keys(self, values: list[object], raising: bool, bad: _Bad) -> list[object]:
        if self.time_unit is None:
            return self._datetime_keys(values, raising, bad)
        return self._epoch_keys(values, self.time_unit, raising, bad)

    # aware datetimes

    def _datetime_key(self, value: object, path: str) -> int:
        _required(value, path)
        moment = require_aware(value, path)
        return _local_index(_to_local(moment, self.zone, path), self.period)

    def _datetime_keys(self, values: list[object], raising: bool, bad: _Bad) -> list[object]:
        zone = self.zone
        if all(issubclass(kind, datetime) for kind in set(map(type, values))):  # noqa: SIM102 - the type check guards the attribute reads.
            if all(value.tzinfo is zone for value in values):  # type: ignore[attr-defined]
                # On the calendar's own time zone already: the ordinal is the local day.
                ordinals = [value.toordinal() for value in values]  # type: ignore[attr-defined]
                if self.period == TimeUnit.DAY:
                    return [day - _EPOCH_ORDINAL for day in ordinals]
                if self.period == TimeUnit.WEEK:
                    return [(day - _WEEK_SHIFT) // 7 for day in ordinals]
                return [
                    value.year * 12 + value.month - _EPOCH_MONTH  # type: ignore[attr-defined]
                    for value in values
                ]
        return _slow(values, self._datetime_key, "at", raising, bad)

    # epoch values

    def _epoch_key(self, value: object, path: str, per_second: int) -> int:
        _required(value, path)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an integer epoch value, not {type_name(value)}", path=path)
        try:
            moment = _EPOCH_UTC + timedelta(microseconds=value * 1_000_000 // per_second)
        except OverflowError:
            raise ValidationError(
                "must lie within the calendar (years 1 to 9999)", path=path, code="out_of_range"
            ) from None
        return _local_index(_to_local(moment, self.zone, path), self.period)

    def _epoch_keys(
        self, values: list[object], time_unit: EpochUnit, raising: bool, bad: _Bad
    ) -> list[object]:
        per_second = _PER_SECOND[time_unit]
        if values and set(map(type, values)) == {int}:
            keys = self.bulk_keys(values, per_second)  # type: ignore[arg-type]  # ints, checked
            if keys is not None:
                return keys

        def check(value: object, path: str) -> int:
            return self._epoch_key(value, path, per_second)

        return _slow(values, check, "at", raising, bad)

    def bulk_keys(self, values: list[int], per_second: int) -> list[object] | None:
        """The period of each epoch value at once; None unless every one is on the calendar.

        Only on a fixed-offset calendar (UTC or ``timezone(timedelta(...))``), whose
        offset is a whole number of epoch units: the local day is then integer arithmetic.
        """
        offset = _fixed_offset(self.zone, per_second)
        if offset is None:
            return None
        day = _DAY_SECONDS * per_second
        low = min(values)
        high = max(values)
        if not (
            (low + offset) // day >= _FIRST_DAY
            and (high + offset) // day <= _LAST_DAY
            and low // day >= _FIRST_DAY
            and high // day <= _LAST_DAY
        ):
            return None
        # Periods grow with time: those of the extremes bound them all.
        low_key, high_key = _epoch_periods([low, high], offset, day, self.period)
        self.bounds = (low_key, high_key)  # type: ignore[assignment]
        return _epoch_periods(values, offset, day, self.period)


def _fixed_offset(zone: tzinfo, per_second: int) -> int | None:
    """The offset of a fixed-offset zone in epoch units, or None (a zone with rules, a fraction)."""
    if not isinstance(zone, timezone):
        return None
    offset = zone.utcoffset(None)
    micros = (offset.days * _DAY_SECONDS + offset.seconds) * 1_000_000 + offset.microseconds
    if (micros * per_second) % 1_000_000:
        return None
    return micros * per_second // 1_000_000


def _epoch_periods(values: list[int], offset: int, day: int, period: TimeUnit) -> list[object]:
    if period == TimeUnit.DAY:
        return [(value + offset) // day for value in values]
    if period == TimeUnit.WEEK:
        shift = offset + 3 * day
        week = 7 * day
        return [(value + shift) // week for value in values]
    days = [(value + offset) // day for value in values]
    months: dict[int, int] = {}
    for index in set(days):
        moment = date.fromordinal(index + _EPOCH_ORDINAL)
        months[index] = moment.year * 12 + moment.month - _EPOCH_MONTH
    return list(map(months.__getitem__, days))
