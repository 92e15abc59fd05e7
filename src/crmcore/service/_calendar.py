"""Business calendars: working hours per weekday, holidays, a time zone, and business time.

A :class:`BusinessCalendar` says when the business works: one or more
intervals of wall-clock time per weekday (``08:00-12:00`` and ``13:00-17:00``),
minus holidays, in one time zone. On it, crmcore measures *business time*: the
part of a span that falls inside working hours.

Working hours are wall-clock times in the calendar's zone, so a 08:00-17:00
day is nine hours in January and in July even where the clocks change; a day
whose working hours contain a clock change is as long as the time that really
passed. Holidays are local dates.

The time zone is stored as a name, so a calendar serializes: an IANA name
(``"Asia/Jakarta"``), ``"UTC"``, or a fixed offset (``"+07:00"``). Pass a
``tzinfo`` object instead and the calendar uses that object as it is (it only
records its name): :class:`zoneinfo.ZoneInfo` carries its IANA key and a
:class:`datetime.timezone` a fixed offset. A calendar rebuilt from its name
(by :func:`crmcore.serialization.from_dict`, say) resolves an IANA name with
:mod:`zoneinfo`, which needs a time zone database: the operating system's, or
the ``tzdata`` package where there is none (Windows). Fixed offsets need
nothing.

>>> from datetime import datetime, timedelta, timezone
>>> wib = timezone(timedelta(hours=7))  # Western Indonesian Time
>>> jakarta = BusinessCalendar.standard(
...     ["08:00-12:00", "13:00-17:00"], time_zone=wib, holidays=[date(2026, 1, 1)]
... )
>>> friday_afternoon = datetime(2026, 1, 2, 16, 0, tzinfo=wib)
>>> due = jakarta.add_business_time(friday_afternoon, timedelta(hours=2))  # over the weekend
>>> due.isoformat()
'2026-01-05T09:00:00+07:00'
>>> jakarta.business_time_between(friday_afternoon, due) == timedelta(hours=2)
True
>>> jakarta.is_working_time(datetime(2026, 1, 5, 12, 30, tzinfo=wib))  # lunch
False
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from operator import attrgetter
from typing import Any, Final

import attrs

from crmcore._kernel._checks import (
    check_unique,
    enum_converter,
    require_aware,
    require_date,
    tuple_of,
    type_name,
)
from crmcore._kernel._zones import zone_named
from crmcore.errors import InvalidType, ValidationError

#: Most holidays one calendar may hold.
MAX_HOLIDAYS: Final = 20_000
#: Most working intervals one weekday may hold.
MAX_INTERVALS: Final = 48

_DAY: Final = timedelta(days=1)
_ZERO: Final = timedelta(0)
_MICROSECOND: Final = timedelta(microseconds=1)
# Offsets are sampled this far apart when looking for clock changes. Every
# pair of changes in the IANA database is at least a week apart, so no pair
# can hide between two samples.
_SAMPLE: Final = timedelta(days=6)
_TIME_TEXT: Final = re.compile(r"(\d{1,2}):(\d{2})")


class Weekday(StrEnum):
    """A day of the week, Monday first (as :meth:`datetime.date.weekday` counts)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """0 for Monday up to 6 for Sunday.

        >>> Weekday.SUNDAY.number
        6
        """
        return _WEEKDAYS.index(self)

    @classmethod
    def of(cls, day: date) -> Weekday:
        """The weekday of a date.

        >>> Weekday.of(date(2026, 1, 1))
        <Weekday.THURSDAY: 'thursday'>
        """
        return _WEEKDAYS[require_date(day, "$.day").weekday()]


_WEEKDAYS: Final = tuple(Weekday)
_WORKWEEK: Final = _WEEKDAYS[:5]


def _whole_int(value: object, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not low <= value <= high:
        raise ValidationError(f"must be from {low} to {high}", path=path, code="range")
    return value


def _hour(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _whole_int(value, "$.hour", 0, 24)


def _minute(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _whole_int(value, "$.minute", 0, 59)


@attrs.frozen(slots=True, order=True, repr=False)
class TimeOfDay:
    """A wall-clock time of day to the minute, from 00:00 to 24:00 (the end of the day).

    >>> TimeOfDay(8, 30)
    TimeOfDay('08:30')
    >>> TimeOfDay.parse("24:00").minutes
    1440
    >>> TimeOfDay(8) < TimeOfDay.parse("13:00")
    True
    """

    hour: int = attrs.field(validator=_hour)
    minute: int = attrs.field(default=0, validator=_minute)

    def __attrs_post_init__(self) -> None:
        if self.hour == 24 and self.minute != 0:
            raise ValidationError("24:00 is the latest time of day", path="$.minute", code="range")

    @classmethod
    def parse(cls, text: str) -> TimeOfDay:
        """Read ``"HH:MM"`` (24-hour clock; ``"24:00"`` is the end of the day).

        Raises:
            ValidationError: ``text`` is not such a time.
        """
        return _time_of_day(text, "$")

    @property
    def minutes(self) -> int:
        """Minutes since midnight (0 to 1440)."""
        return self.hour * 60 + self.minute

    def __str__(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    def __repr__(self) -> str:
        return f"TimeOfDay({str(self)!r})"


def _time_of_day(value: object, path: str) -> TimeOfDay:
    if isinstance(value, TimeOfDay):
        return value
    if not isinstance(value, str):
        raise InvalidType(f"must be a TimeOfDay or 'HH:MM' text, not {type_name(value)}", path=path)
    match = _TIME_TEXT.fullmatch(value.strip())
    if match is None:
        raise ValidationError("must be a time such as '08:30'", path=path, code="time")
    try:
        return TimeOfDay(int(match.group(1)), int(match.group(2)))
    except ValidationError as exc:
        raise ValidationError(exc.rule, path=path, code=exc.code) from None


def _workinghours_start(value: object) -> TimeOfDay:
    return _time_of_day(value, "$.start")


def _workinghours_end(value: object) -> TimeOfDay:
    return _time_of_day(value, "$.end")


@attrs.frozen(slots=True, order=True, repr=False)
class WorkingHours:
    """One interval of working time in a day: from ``start`` up to (not including) ``end``.

    >>> WorkingHours("08:00", "12:00")
    WorkingHours('08:00-12:00')
    >>> WorkingHours.parse("13:00-17:00").duration
    datetime.timedelta(seconds=14400)
    """

    start: TimeOfDay = attrs.field(converter=_workinghours_start)
    end: TimeOfDay = attrs.field(converter=_workinghours_end)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError("must be after the start", path="$.end", code="empty_interval")

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """Read ``"HH:MM-HH:MM"``.

        Raises:
            ValidationError: ``text`` is not such an interval.
        """
        return _working_hours(text, "$")

    @property
    def duration(self) -> timedelta:
        """The wall-clock length of the interval."""
        return timedelta(minutes=self.end.minutes - self.start.minutes)

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"

    def __repr__(self) -> str:
        return f"WorkingHours({str(self)!r})"


def _working_hours(value: object, path: str) -> WorkingHours:
    if isinstance(value, WorkingHours):
        return value
    parts: tuple[object, ...]
    if isinstance(value, str):
        pieces = value.split("-")
        if len(pieces) != 2:
            raise ValidationError(
                "must be working hours such as '08:00-12:00'", path=path, code="hours"
            )
        parts = (pieces[0], pieces[1])
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        parts = (value[0], value[1])
    else:
        raise InvalidType(
            "must be WorkingHours, 'HH:MM-HH:MM' text or a (start, end) pair, "
            f"not {type_name(value)}",
            path=path,
        )
    try:
        return WorkingHours(parts[0], parts[1])
    except ValidationError as exc:
        raise exc.under(path) from None


def _workingday_weekday(value: object) -> Weekday:
    return enum_converter(Weekday, "$.weekday")(value)


def _workingday_hours(value: object) -> tuple[WorkingHours, ...]:
    if type(value) is tuple and all(type(v) is WorkingHours for v in value):
        hours: tuple[WorkingHours, ...] = value
    else:
        hours = tuple_of(value, "$.hours", _working_hours, max_items=MAX_INTERVALS)
    if len(hours) > MAX_INTERVALS:
        raise ValidationError(
            f"must hold at most {MAX_INTERVALS} intervals", path="$.hours", code="too_many"
        )
    return tuple(sorted(hours))


@attrs.frozen(slots=True, repr=False)
class WorkingDay:
    """The working hours of one weekday (sorted; they must not overlap; none means closed).

    >>> WorkingDay("monday", ["13:00-17:00", "08:00-12:00"])
    WorkingDay('monday', '08:00-12:00', '13:00-17:00')
    >>> WorkingDay("monday", ["08:00-12:00", "11:00-17:00"])
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.hours[1]: working hours on monday must not overlap
    """

    weekday: Weekday = attrs.field(converter=_workingday_weekday)
    hours: tuple[WorkingHours, ...] = attrs.field(default=(), converter=_workingday_hours)

    def __attrs_post_init__(self) -> None:
        for index in range(1, len(self.hours)):
            if self.hours[index].start < self.hours[index - 1].end:
                raise ValidationError(
                    f"working hours on {self.weekday.value} must not overlap",
                    path=f"$.hours[{index}]",
                    code="overlap",
                )

    @property
    def duration(self) -> timedelta:
        """The wall-clock working time of the day."""
        return sum((h.duration for h in self.hours), _ZERO)

    def __repr__(self) -> str:
        inner = "".join(f", {str(h)!r}" for h in self.hours)
        return f"WorkingDay({self.weekday.value!r}{inner})"


def _working_day(value: object, path: str) -> WorkingDay:
    if isinstance(value, WorkingDay):
        return value
    raise InvalidType(f"must be a WorkingDay, not {type_name(value)}", path=path)


def _hours_of(value: object) -> tuple[WorkingHours, ...]:
    """The working hours given to :meth:`BusinessCalendar.standard`, checked once for every day."""
    return tuple_of(value, "$.hours", _working_hours, max_items=MAX_INTERVALS)


#: The weekday names a week mapping may use as keys (others are refused, never echoed).
_WEEKDAY_KEYS: Final = frozenset(day.value for day in Weekday)


def _calendar_week(value: object) -> tuple[WorkingDay, ...]:
    if isinstance(value, Mapping):
        if len(value) > len(_WEEKDAY_KEYS):
            raise ValidationError(
                f"must hold at most {len(_WEEKDAY_KEYS)} weekdays", path="$.week", code="too_many"
            )
        days: list[WorkingDay] = []
        failures: list[ValidationError] = []
        for key, hours in value.items():
            # A key that is no weekday may be anything (even personal data): never echoed.
            where = f"$.week.{key}" if key in _WEEKDAY_KEYS else "$.week"
            try:
                days.append(WorkingDay(key, hours))
            except ValidationError as exc:
                failures.append(exc.under(where))
        if failures:
            raise failures[0]
        week: tuple[WorkingDay, ...] = tuple(days)
    elif type(value) is tuple and all(type(v) is WorkingDay for v in value):
        week = value
    else:
        week = tuple_of(value, "$.week", _working_day, max_items=7)
    check_unique(
        week, attrgetter("weekday"), "$.week[{}]", lambda day: f"must list {day.weekday.value} once"
    )
    return tuple(sorted(week, key=lambda d: d.weekday.number))


def _calendar_holidays(value: object) -> tuple[date, ...]:
    if type(value) is tuple and all(type(v) is date for v in value):
        days: tuple[date, ...] = value
    else:
        days = tuple_of(value, "$.holidays", require_date, max_items=MAX_HOLIDAYS)
    return tuple(sorted(set(days)))


def _calendar_time_zone(value: object) -> str:
    # The name was checked (and resolved) by BusinessCalendar.__init__.
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.time_zone")
    return value


@attrs.frozen(slots=True, init=False, repr=False)
class BusinessCalendar:
    """When the business works: hours per weekday and holidays, in one time zone.

    Args:
        week: the working days, as :class:`WorkingDay` values or a mapping
            from weekday to working hours (``{"monday": ["08:00-17:00"]}``).
            A weekday left out is closed.
        time_zone: a ``tzinfo`` (used as it is) or a name: IANA
            (``"Asia/Jakarta"``), ``"UTC"`` or a fixed offset (``"+07:00"``).
        holidays: local dates on which nobody works.

    Raises:
        ValidationError: the calendar has no working time at all
            (``$.week``, code ``no_working_time``), hours overlap on a day
            (the rule names the weekday), a weekday appears twice, or the time
            zone is unknown (``$.time_zone``).

    All instants passed in must be timezone-aware; results come back in the
    time zone of the instant passed in.

    >>> BusinessCalendar({"saturday": ["09:00-13:00"]}, time_zone="UTC")
    BusinessCalendar(time_zone='UTC', week=['saturday 09:00-13:00'], holidays=0)
    >>> BusinessCalendar({"saturday": []}, time_zone="UTC")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.week: must have some working time in the week
    """

    week: tuple[WorkingDay, ...] = attrs.field(converter=_calendar_week)
    time_zone: str = attrs.field(converter=_calendar_time_zone)
    holidays: tuple[date, ...] = attrs.field(default=(), converter=_calendar_holidays)
    _zone: tzinfo = attrs.field(init=False, eq=False, hash=False, repr=False)
    _fixed: bool = attrs.field(init=False, eq=False, hash=False, repr=False)
    _hours: tuple[tuple[tuple[int, int], ...], ...] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )
    _day_nominal: tuple[timedelta, ...] = attrs.field(init=False, eq=False, hash=False, repr=False)
    _week_nominal: timedelta = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __init__(
        self,
        week: Mapping[Weekday | str, Iterable[WorkingHours | str | tuple[str, str]]]
        | Iterable[WorkingDay],
        *,
        time_zone: str | tzinfo,
        holidays: Iterable[date] = (),
    ) -> None:
        name, zone = zone_named(time_zone, "$.time_zone")
        self.__attrs_init__(week=week, time_zone=name, holidays=holidays)
        hours: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
        nominal = [_ZERO] * 7
        for day in self.week:
            hours[day.weekday.number] = tuple((h.start.minutes, h.end.minutes) for h in day.hours)
            nominal[day.weekday.number] = day.duration
        week_nominal = sum(nominal, _ZERO)
        if week_nominal <= _ZERO:
            raise ValidationError(
                "must have some working time in the week", path="$.week", code="no_working_time"
            )
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_fixed", zone.utcoffset(None) is not None)
        object.__setattr__(self, "_hours", tuple(hours))
        object.__setattr__(self, "_day_nominal", tuple(nominal))
        object.__setattr__(self, "_week_nominal", week_nominal)

    @classmethod
    def standard(
        cls,
        hours: Iterable[WorkingHours | str | tuple[str, str]],
        *,
        time_zone: str | tzinfo,
        days: Iterable[Weekday | str] = _WORKWEEK,
        holidays: Iterable[date] = (),
    ) -> BusinessCalendar:
        """The same working hours on each of ``days`` (Monday to Friday by default).

        >>> BusinessCalendar.standard(["08:00-16:00"], time_zone="+07:00").week[0]
        WorkingDay('monday', '08:00-16:00')
        """
        listed = (hours,) if isinstance(hours, str) else _hours_of(hours)
        weekdays = tuple_of(days, "$.days", lambda v, p: enum_converter(Weekday, p)(v))
        return cls(
            [WorkingDay(day, listed) for day in dict.fromkeys(weekdays)],
            time_zone=time_zone,
            holidays=holidays,
        )

    # -- queries ----------------------------------------------------------------------

    @property
    def tzinfo(self) -> tzinfo:
        """The time zone working hours are read in."""
        return self._zone

    @property
    def weekly_hours(self) -> timedelta:
        """The wall-clock working time of a week without holidays."""
        return self._week_nominal

    def is_holiday(self, day: date) -> bool:
        """True if ``day`` is one of the calendar's holidays."""
        return self._is_holiday(require_date(day, "$.day"))

    def working_hours_on(self, day: date) -> tuple[WorkingHours, ...]:
        """The working hours of a local date (none on a holiday or a closed weekday)."""
        checked = require_date(day, "$.day")
        if self._is_holiday(checked):
            return ()
        for working_day in self.week:
            if working_day.weekday.number == checked.weekday():
                return working_day.hours
        return ()

    def is_working_time(self, at: datetime) -> bool:
        """True if ``at`` falls inside working hours (each interval includes its start only).

        >>> from datetime import datetime, timezone
        >>> calendar = BusinessCalendar.standard(["08:00-17:00"], time_zone="UTC")
        >>> calendar.is_working_time(datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc))
        True
        >>> calendar.is_working_time(datetime(2026, 1, 5, 17, 0, tzinfo=timezone.utc))
        False
        """
        instant = _utc(at, "$.at")
        try:
            day = instant.astimezone(self._zone).date()
            return any(start <= instant < end for start, end in self._periods(day))
        except OverflowError:
            raise ValidationError(
                "must lie within the supported date range", path="$.at", code="out_of_range"
            ) from None

    def next_working_instant(self, at: datetime) -> datetime:
        """``at`` itself during working hours, otherwise the start of the next working interval.

        >>> from datetime import datetime, timezone
        >>> calendar = BusinessCalendar.standard(["08:00-17:00"], time_zone="UTC")
        >>> calendar.next_working_instant(datetime(2026, 1, 9, 18, 0, tzinfo=timezone.utc))
        datetime.datetime(2026, 1, 12, 8, 0, tzinfo=datetime.timezone.utc)
        """
        given = require_aware(at, "$.at")
        instant = _utc(given, "$.at")
        try:
            day = instant.astimezone(self._zone).date()
            # A working weekday comes every week, and each holiday can take away one of
            # them, so the next working interval starts within a week per holiday, plus one.
            for _ in range(7 * (len(self.holidays) + 1) + 1):
                for start, end in self._periods(day):
                    if instant < end:
                        return max(start, instant).astimezone(given.tzinfo)
                day += _DAY
        except OverflowError:
            pass
        raise ValidationError(
            "has no working time after it within the supported date range",
            path="$.at",
            code="out_of_range",
        )

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from ``start`` to ``end``; negative if ``end`` comes first.

        Measured in real elapsed time, so it is additive: from *a* to *b* plus
        from *b* to *c* is from *a* to *c*. Whole weeks are counted by
        arithmetic, never by stepping through them.
        """
        a, b = _utc(start, "$.start"), _utc(end, "$.end")
        try:
            if b < a:
                return -self._between(b, a)
            return self._between(a, b)
        except OverflowError:
            raise ValidationError(
                "must lie within the supported date range", path="$.end", code="out_of_range"
            ) from None

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of working time has passed since ``start``.

        A zero duration gives ``start`` itself; a duration that ends exactly
        at the end of a working interval gives that end (not the next
        morning). ``business_time_between(start, result) == duration`` always.

        Raises:
            ValidationError: ``duration`` is negative, or the result lies
                beyond the last representable date.
        """
        given = require_aware(start, "$.start")
        if not isinstance(duration, timedelta):
            raise InvalidType(f"must be a timedelta, not {type_name(duration)}", path="$.duration")
        if duration < _ZERO:
            raise ValidationError("must not be negative", path="$.duration", code="negative")
        try:
            return self._add(_utc(given, "$.start"), duration).astimezone(given.tzinfo)
        except OverflowError:
            raise ValidationError(
                "takes the result beyond the supported date range",
                path="$.duration",
                code="out_of_range",
            ) from None

    def __repr__(self) -> str:
        week = [
            f"{d.weekday.value} {' '.join(str(h) for h in d.hours)}" for d in self.week if d.hours
        ]
        return (
            f"BusinessCalendar(time_zone={self.time_zone!r}, week={week!r}, "
            f"holidays={len(self.holidays)})"
        )

    # -- the engine -------------------------------------------------------------------

    def _is_holiday(self, day: date) -> bool:
        index = bisect_left(self.holidays, day)
        return index < len(self.holidays) and self.holidays[index] == day

    def _holidays_in(self, first: date, stop: date) -> tuple[date, ...]:
        return self.holidays[bisect_left(self.holidays, first) : bisect_left(self.holidays, stop)]

    def _instant(self, day: date, minute: int) -> datetime:
        """The UTC instant of wall-clock ``minute`` on local ``day``.

        A wall time skipped by a clock change maps to the instant of the
        change, so the mapping never runs backwards; a repeated wall time maps
        to its first occurrence.
        """
        if minute >= 1440:
            day, minute = day + _DAY, minute - 1440
        local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self._zone)
        instant = local.astimezone(UTC)
        if self._fixed:
            return instant
        if instant.astimezone(self._zone).replace(tzinfo=None) == local.replace(tzinfo=None):
            return instant
        return self._first_change(local.replace(fold=1).astimezone(UTC), instant)

    def _offset(self, instant: datetime) -> timedelta | None:
        return instant.astimezone(self._zone).utcoffset()

    def _first_change(self, low: datetime, high: datetime) -> datetime:
        """The first whole second after ``low`` (at most ``high``) with another offset than ``low``'s.

        ``high`` must have another offset than ``low``.
        """
        before = self._offset(low)
        second = timedelta(seconds=1)
        lo, hi = 0, -((low - high) // second)
        while hi - lo > 1:
            middle = (lo + hi) // 2
            if self._offset(low + middle * second) == before:
                lo = middle
            else:
                hi = middle
        return min(low + hi * second, high)

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of a local date as UTC instants."""
        if self._is_holiday(day):
            return []
        periods = []
        for start, end in self._hours[day.weekday()]:
            begin, finish = self._instant(day, start), self._instant(day, end)
            if finish > begin:
                periods.append((begin, finish))
        return periods

    def _day_exact(self, day: date) -> timedelta:
        return sum((end - start for start, end in self._periods(day)), _ZERO)

    def _nominal(self, first: date, stop: date) -> timedelta:
        """Wall-clock working time of the local dates in [first, stop), by arithmetic."""
        count = (stop - first).days
        if count <= 0:
            return _ZERO
        weeks, rest = divmod(count, 7)
        total = self._week_nominal * weeks
        weekday = first.weekday()
        for offset in range(rest):
            total += self._day_nominal[(weekday + offset) % 7]
        for holiday in self._holidays_in(first, stop):
            total -= self._day_nominal[holiday.weekday()]
        return total

    def _changed_days(self, first: date, stop: date) -> set[date]:
        """The local dates in [first, stop) on which the zone's offset changes."""
        if self._fixed or stop <= first:
            return set()
        found: set[date] = set()
        begin, finish = self._instant(first, 0), self._instant(stop, 0)
        low = begin
        while low < finish:
            high = min(low + _SAMPLE, finish)
            while self._offset(low) != self._offset(high):
                change = self._first_change(low, high)
                found.add(change.astimezone(self._zone).date())
                found.add((change - _MICROSECOND).astimezone(self._zone).date())
                low = change
            low = high
        return {day for day in found if first <= day < stop}

    def _full_days(self, first: date, stop: date) -> timedelta:
        """Working time of the local dates in [first, stop), exact across clock changes."""
        total = self._nominal(first, stop)
        for day in self._changed_days(first, stop):
            if not self._is_holiday(day):
                total += self._day_exact(day) - self._day_nominal[day.weekday()]
        return total

    def _between(self, a: datetime, b: datetime) -> timedelta:
        first = a.astimezone(self._zone).date()
        last = b.astimezone(self._zone).date()
        if first == last:
            return _overlap(self._periods(first), a, b)
        total = _overlap(self._periods(first), a, None)
        total += _overlap(self._periods(last), None, b)
        return total + self._full_days(first + _DAY, last)

    def _add(self, start: datetime, duration: timedelta) -> datetime:
        if duration == _ZERO:
            return start
        day = start.astimezone(self._zone).date()
        found, remaining = _walk(self._periods(day), start, duration)
        if found is not None:
            return found
        day += _DAY
        # Skip whole weeks by arithmetic, keeping a week in hand so that a
        # clock change (which can lengthen a week) never carries us past the end.
        weeks = remaining // self._week_nominal - 1
        while weeks > 0:
            stop = day + timedelta(days=7 * weeks)
            chunk = self._full_days(day, stop)
            if chunk >= remaining:
                weeks //= 2
                continue
            remaining -= chunk
            day = stop
            weeks = remaining // self._week_nominal - 1
        while True:
            found, remaining = _walk(self._periods(day), None, remaining)
            if found is not None:
                return found
            day += _DAY


def _walk(
    periods: list[tuple[datetime, datetime]], start: datetime | None, remaining: timedelta
) -> tuple[datetime | None, timedelta]:
    """Spend ``remaining`` working time in ``periods`` from ``start``: (instant reached, rest)."""
    for begin, end in periods:
        first = begin if start is None else max(begin, start)
        if end <= first:
            continue
        if remaining <= end - first:
            return first + remaining, _ZERO
        remaining -= end - first
    return None, remaining


def _utc(value: object, path: str) -> datetime:
    """An aware datetime as UTC; one that has no UTC equivalent is out of range."""
    checked = require_aware(value, path)
    try:
        return checked.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            "must lie within the supported date range", path=path, code="out_of_range"
        ) from None


def _overlap(
    periods: list[tuple[datetime, datetime]], low: datetime | None, high: datetime | None
) -> timedelta:
    total = _ZERO
    for start, end in periods:
        begin = start if low is None else max(start, low)
        finish = end if high is None else min(end, high)
        if finish > begin:
            total += finish - begin
    return total
