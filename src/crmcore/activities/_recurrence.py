"""Recurrence of activities: RFC 5545 rules through :mod:`dateutil.rrule`, always bounded.

A :class:`Recurrence` is the text of one ``RRULE`` (``FREQ=WEEKLY;BYDAY=MO;COUNT=10``),
the start of the series and the time zone its wall-clock times are meant in,
plus exception dates (``EXDATE``). Its occurrences are what
``dateutil.rrule.rrulestr(rule, dtstart=start)`` gives for the start read in
that zone, minus the exception dates: a weekly meeting at 09:00 in
``Europe/Berlin`` stays at 09:00 local time when the clocks change.

Occurrences are computed when the recurrence is built, never stored in
documents, and the computation is bounded whatever the text says:

- the rule must end (``COUNT`` or ``UNTIL``; a rule without end is refused);
- it holds at most :data:`MAX_OCCURRENCES` occurrences, all within
  :data:`MAX_SERIES_YEARS` years of the start;
- it repeats at most daily (``FREQ=DAILY``, ``WEEKLY``, ``MONTHLY`` or ``YEARLY``);
- a rule whose filters can never (or only rarely) match, such as the 30th of
  February, is found by a probe over a calendar-equivalent stretch of years
  near the end of the calendar, where :mod:`dateutil` stops by itself, before
  the rule is evaluated for real.

The Gregorian calendar repeats every 400 years (and every 28 years between
1901 and 2099, which have no skipped leap year): shifting the start by such a
period gives the same weekdays and leap days, so the probe sees what the real
rule would see.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Final

import attrs
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from crmcore._kernel._checks import limit, require_aware, tuple_of, type_name
from crmcore._kernel._zones import zone_named, zone_of
from crmcore.errors import InvalidType, ValidationError

#: Most occurrences one recurrence may hold (before exception dates are taken out).
MAX_OCCURRENCES: Final = 1_000
#: Most exception dates one recurrence may hold.
MAX_EXDATES: Final = 1_000
#: Longest rule text, in characters.
MAX_RULE_LENGTH: Final = 500
#: The last occurrence (and ``UNTIL``) must lie within this many years of the start.
MAX_SERIES_YEARS: Final = 50

#: The frequencies a rule may have (activities repeat at most daily).
FREQUENCIES: Final = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})

_RULE_PATH: Final = "$.rule"
_RULE_PART: Final = re.compile(r"[A-Z]+=[A-Z0-9,+\-:TZ]+")
#: Parts dateutil reads that are not RFC 5545 rule parts (or that belong elsewhere).
_FOREIGN_PARTS: Final = frozenset({"BYEASTER", "DTSTART", "TZID", "EXDATE", "RDATE"})
_MAX_YEAR: Final = 9999
#: The probe's start year is at most this: its horizon and a margin fit before year 9999.
_LAST_PROBE_YEAR: Final = _MAX_YEAR - MAX_SERIES_YEARS - 2

#: Years without a skipped leap year around the present: their calendar repeats every 28 years.
_PLAIN_CENTURY: Final = (1901, 2099)
#: The instants a start, an exception date or an activity's due time may be: a year's margin
#: inside what ``datetime`` holds, so any time zone, and a reminder weeks before, can read them.
_EARLIEST: Final = datetime(2, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(_MAX_YEAR - 1, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
#: What dateutil raises on rule values RFC 5545 does not allow (``BYYEARDAY=-367``, ...), at
#: parse time or while it steps through the calendar.
_DATEUTIL_ERRORS: Final = (ValueError, TypeError, OverflowError, IndexError, KeyError)


# -- time zones ----------------------------------------------------------------------------


def zone_name(value: object, path: str = "$.time_zone") -> str:
    """The name of a time zone: an IANA name, ``"UTC"`` or a fixed offset such as ``"+07:00"``.

    Accepts what business calendars accept (:class:`crmcore.service.BusinessCalendar`):
    the name, a :class:`zoneinfo.ZoneInfo` (its key) or a fixed
    :class:`datetime.timezone` (its offset).

    >>> zone_name("Asia/Jakarta"), zone_name("+07:00"), zone_name("Z")
    ('Asia/Jakarta', '+07:00', 'UTC')
    >>> zone_name("Mars/Olympus")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.time_zone: must be an IANA time zone name known to this system such as 'Asia/Jakarta' (install the tzdata package where the system has no time zone database), 'UTC', or a fixed offset such as '+07:00'

    Raises:
        InvalidType: ``value`` is neither a str nor a tzinfo.
        ValidationError: an unknown or malformed name (code ``time_zone``).
    """
    return zone_named(value, path)[0]


# -- the rule text -------------------------------------------------------------------------


def _rule_error(rule: str, code: str = "rrule") -> ValidationError:
    return ValidationError(rule, path=_RULE_PATH, code=code)


def _unreadable() -> ValidationError:
    return _rule_error("must be an RFC 5545 rule dateutil reads (with UNTIL in UTC, ending in Z)")


def utc_instant(value: object, path: str) -> datetime:
    """``value``, an aware datetime, as an instant in UTC within the years 2 to 9998.

    Raises:
        InvalidType: ``value`` is not a datetime.
        ValidationError: naive (``naive_datetime``) or out of that range (``range``).
    """
    moment = require_aware(value, path)
    try:
        instant = moment.astimezone(UTC)
    except OverflowError:  # an offset takes it out of datetime's range
        instant = None
    if instant is None or not _EARLIEST <= instant <= _LATEST:
        raise ValidationError(
            f"must lie within the years {_EARLIEST.year} to {_LATEST.year}", path=path, code="range"
        )
    return instant


def _rule_text(value: object) -> str:
    """The rule in capitals without an ``RRULE:`` prefix; its parts checked."""
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=_RULE_PATH)
    if len(value) > MAX_RULE_LENGTH:
        raise _rule_error(f"must be at most {MAX_RULE_LENGTH} characters", "too_long")
    text = value.strip().upper().removeprefix("RRULE:")
    parts = text.split(";")
    names = [part.partition("=")[0] for part in parts]
    if "DTSTART" in names or "DTSTART" in text:
        raise _rule_error(
            "must not hold DTSTART: the series starts at the activity's due time", "dtstart"
        )
    if not text or any(_RULE_PART.fullmatch(part) is None for part in parts):
        raise _rule_error(
            "must be an RFC 5545 rule such as 'FREQ=WEEKLY;BYDAY=MO;COUNT=10' "
            "(NAME=VALUE parts separated by ';')"
        )
    if _FOREIGN_PARTS.intersection(names):
        raise _rule_error(
            "must hold rule parts only (not BYEASTER, DTSTART, TZID, EXDATE or RDATE)"
        )
    if len(set(names)) != len(names):
        raise _rule_error("must name each RFC 5545 rule part at most once")
    _check_parts(dict(part.split("=", 1) for part in parts))
    return text


def _check_parts(values: dict[str, str]) -> None:
    """Refuse a rule that repeats more than daily, has no end, or too many occurrences."""
    if values.get("FREQ") not in FREQUENCIES:
        raise _rule_error(
            "must have a FREQ of DAILY, WEEKLY, MONTHLY or YEARLY (activities repeat at most daily)",
            "frequency",
        )
    if "COUNT" not in values and "UNTIL" not in values:
        raise _rule_error(
            "must end: give COUNT or UNTIL (a rule without end is refused)", "unbounded"
        )
    if "COUNT" in values and "UNTIL" in values:
        raise _rule_error("must not give both COUNT and UNTIL (RFC 5545)")
    count = values.get("COUNT", "1")
    if not count.isdigit() or len(count) > len(str(MAX_OCCURRENCES)) + 1:
        raise _rule_error("COUNT must be a whole number")
    if not 1 <= int(count) <= MAX_OCCURRENCES:
        raise _rule_error(
            f"COUNT must be from 1 to {MAX_OCCURRENCES}",
            "no_occurrences" if int(count) == 0 else "too_many_occurrences",
        )
    # RFC 5545: a positive integer. dateutil takes 0, which never moves on (a rule whose
    # filters never match would then loop for ever), and negative ones, which step backwards.
    interval = values.get("INTERVAL", "1")
    if not interval.isdigit() or int(interval) < 1:
        raise _rule_error("INTERVAL must be a whole number of 1 or more")


def _parse(text: str, start: datetime) -> rrule:
    try:
        parsed = rrulestr(text, dtstart=start)
    except _DATEUTIL_ERRORS:
        raise _unreadable() from None
    if not isinstance(parsed, rrule):  # pragma: no cover - the parts checked above make one rule
        raise _rule_error("must be one rule")
    return parsed


def _probe_year(year: int) -> int:
    """A year as late as possible whose calendar (weekdays, leap days) repeats ``year``'s."""
    first, last = _PLAIN_CENTURY
    period = 28 if first <= year and year + MAX_SERIES_YEARS + 2 <= last else 400
    return year + max(0, (_LAST_PROBE_YEAR - year) // period) * period


def _check_ends(parsed: rrule, local_start: datetime) -> None:
    """Refuse a rule that does not end within the bounds; the probe is bounded by year 9999.

    The probe runs the same rule without its end from a calendar-equivalent
    start shortly before year 9999, without a zone (filters only read the wall
    clock): dateutil stops at year 9999, so a rule whose filters never match
    costs a few dozen years of stepping, not thousands.
    """
    until: datetime | None = getattr(parsed, "_until", None)
    count: int | None = getattr(parsed, "_count", None)
    naive = local_start.replace(tzinfo=None)
    shift = _probe_year(naive.year) - naive.year
    horizon_years = MAX_SERIES_YEARS
    shifted = naive + relativedelta(years=shift)
    horizon = shifted + relativedelta(years=horizon_years)
    stop: datetime | None = None
    if until is not None:
        local_until = until.astimezone(local_start.tzinfo).replace(tzinfo=None)
        if local_until > naive + relativedelta(years=horizon_years):
            raise _rule_error(
                f"UNTIL must lie within {MAX_SERIES_YEARS} years of the start", "span"
            )
        # A day's margin: wall-clock order may differ from instant order across a fold.
        stop = local_until + relativedelta(years=shift) + timedelta(days=1)
    probe = parsed.replace(dtstart=shifted, until=None, count=None)
    for found, candidate in enumerate(probe, start=1):
        if candidate > horizon:
            break
        if stop is not None and candidate > stop:
            return
        if found == count:
            return
        if found > MAX_OCCURRENCES:
            raise _rule_error(
                f"must hold at most {MAX_OCCURRENCES} occurrences", "too_many_occurrences"
            )
    raise _rule_error(
        f"must reach its end within {MAX_SERIES_YEARS} years of the start "
        "(its filters may never match)",
        "span",
    )


def _as_utc(moment: datetime) -> datetime:
    """The instant ``moment`` in UTC; past either end of the calendar, that end."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # an offset takes it past year 1 or year 9999
        return (
            datetime.min.replace(tzinfo=UTC)
            if moment.year < 5000
            else datetime.max.replace(tzinfo=UTC)
        )


def _exdates(value: object) -> tuple[datetime, ...]:
    # Kept in UTC: a local time in a repeated hour never equals a time of another zone.
    days = tuple_of(value, "$.exdates", utc_instant, max_items=MAX_EXDATES)
    return tuple(sorted(set(days)))


def _start(value: object) -> datetime:
    start = utc_instant(value, "$.start")
    if start.year > _LAST_PROBE_YEAR:
        raise ValidationError(
            f"must be before the year {_LAST_PROBE_YEAR + 1}",
            path="$.start",
            code="range",
        )
    return start


def _zone_field(value: object) -> str:
    return zone_name(value, "$.time_zone")


@attrs.frozen(slots=True, repr=False)
class Recurrence:
    """An RFC 5545 recurrence rule with its start, time zone and exception dates.

    ``rule`` is the text of one ``RRULE`` (an ``RRULE:`` prefix is allowed and
    dropped; the text is kept in capitals); ``start`` the series start (the
    ``DTSTART``, timezone-aware), read in ``time_zone``; ``exdates`` the
    exception dates, aware datetimes taken out of the occurrences (kept sorted,
    each once). ``start`` and ``exdates`` are kept in UTC, and exception dates
    take out the occurrences at the same instant (an occurrence in a repeated
    hour is matched by its instant, although Python never finds a local time
    in a repeated hour equal to a time of another zone). See the module
    documentation for the bounds.

    >>> from datetime import datetime, timezone
    >>> start = datetime(2026, 3, 23, 8, 0, tzinfo=timezone.utc)  # 09:00 in Berlin
    >>> weekly = Recurrence("FREQ=WEEKLY;BYDAY=MO;COUNT=3", start, "Europe/Berlin")
    >>> [o.strftime("%m-%d %H:%M %Z") for o in weekly.occurrences()]
    ['03-23 09:00 CET', '03-30 09:00 CEST', '04-06 09:00 CEST']
    >>> Recurrence("FREQ=WEEKLY;BYDAY=MO", start)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.rule: must end: give COUNT or UNTIL (a rule without end is refused)

    Raises:
        InvalidType: a field of the wrong type.
        ValidationError: ``$.rule`` with code ``rrule`` (malformed
            text), ``unbounded`` (no COUNT or UNTIL), ``dtstart``,
            ``frequency``, ``too_long``, ``too_many_occurrences``, ``span`` or
            ``no_occurrences`` (none left after the exception dates);
            ``$.start`` or ``$.exdates[i]`` with code ``naive_datetime``,
            or ``range`` (outside the years 2 to 9998; a start after 9947);
            ``$.time_zone`` (``time_zone``). Paths are relative to the
            recurrence: an activity's commands report them under
            ``$.recurrence`` (``$.recurrence.rule``).

    .. versionadded:: 0.1
    """

    rule: str = attrs.field(converter=_rule_text)
    start: datetime = attrs.field(converter=_start)
    time_zone: str = attrs.field(default="UTC", converter=_zone_field)
    exdates: tuple[datetime, ...] = attrs.field(
        default=(), converter=_exdates, metadata=limit(MAX_EXDATES)
    )
    _occurrences: tuple[datetime, ...] = attrs.field(
        init=False, default=(), eq=False, hash=False, repr=False
    )
    #: The occurrences in UTC, for lookups by instant.
    _instants: tuple[datetime, ...] = attrs.field(
        init=False, default=(), eq=False, hash=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        local_start = self.start.astimezone(zone_of(self.time_zone))
        parsed = _parse(self.rule, local_start)
        try:
            _check_ends(parsed, local_start)
            every = tuple(itertools.islice(parsed, MAX_OCCURRENCES + 1))
        except ValidationError:
            raise
        except _DATEUTIL_ERRORS:  # a value dateutil reads but cannot step through
            raise _unreadable() from None
        if len(every) > MAX_OCCURRENCES:  # pragma: no cover - the probe counts the same
            raise _rule_error(
                f"must hold at most {MAX_OCCURRENCES} occurrences", "too_many_occurrences"
            )
        excluded = frozenset(self.exdates)
        kept = tuple(o for o in every if o.astimezone(UTC) not in excluded)
        if not kept:
            raise _rule_error("must leave at least one occurrence", "no_occurrences")
        object.__setattr__(self, "_occurrences", kept)
        object.__setattr__(self, "_instants", tuple(o.astimezone(UTC) for o in kept))

    def occurrences(self) -> tuple[datetime, ...]:
        """Every occurrence, oldest first, in the recurrence's time zone (the exceptions left out)."""
        return self._occurrences

    @property
    def first(self) -> datetime:
        """The first occurrence."""
        return self._occurrences[0]

    @property
    def last(self) -> datetime:
        """The last occurrence."""
        return self._occurrences[-1]

    def __len__(self) -> int:
        return len(self._occurrences)

    def __iter__(self) -> Iterator[datetime]:
        return iter(self._occurrences)

    def __contains__(self, moment: object) -> bool:
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            return False
        instant = _as_utc(moment)
        index = bisect.bisect_left(self._instants, instant)
        return index < len(self._instants) and self._instants[index] == instant

    def after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after the instant ``moment``, or ``None``.

        Raises:
            InvalidType: ``moment`` is not a datetime (``$.moment``).
            ValidationError: ``moment`` is naive (``naive_datetime``).
        """
        index = bisect.bisect_right(self._instants, _as_utc(require_aware(moment, "$.moment")))
        return self._occurrences[index] if index < len(self._occurrences) else None

    def from_(self, moment: datetime) -> tuple[datetime, ...]:
        """The occurrences at or after the instant ``moment``.

        Raises:
            InvalidType: ``moment`` is not a datetime (``$.moment``).
            ValidationError: ``moment`` is naive (``naive_datetime``).
        """
        instant = _as_utc(require_aware(moment, "$.moment"))
        return self._occurrences[bisect.bisect_left(self._instants, instant) :]

    def between(self, start: datetime, end: datetime) -> tuple[datetime, ...]:
        """The occurrences in ``[start, end)`` (instants).

        Raises:
            InvalidType: ``start`` or ``end`` is not a datetime (``$.start``, ``$.end``).
            ValidationError: a naive one (``naive_datetime``).
        """
        low = bisect.bisect_left(self._instants, _as_utc(require_aware(start, "$.start")))
        high = bisect.bisect_left(self._instants, _as_utc(require_aware(end, "$.end")))
        return self._occurrences[low:high]

    def starting_at(self, start: datetime) -> Recurrence:
        """The same rule started again at ``start``; exception dates before it are dropped.

        Raises:
            InvalidType: ``start`` is not a datetime (``$.start``).
            ValidationError: see the class (``$.start``, ``$.rule``).
        """
        start = _start(start)
        return Recurrence(
            self.rule,
            start,
            self.time_zone,
            tuple(day for day in self.exdates if day >= start),
        )

    def excluding(self, moment: datetime) -> Recurrence:
        """The same recurrence with ``moment`` added to the exception dates.

        Raises:
            InvalidType: ``moment`` is not a datetime (``$.moment``).
            ValidationError: ``moment`` is naive or out of range (``$.moment``); too
                many exception dates (``$.exdates``); none left (``$.rule``).
        """
        instant = utc_instant(moment, "$.moment")
        return Recurrence(self.rule, self.start, self.time_zone, (*self.exdates, instant))

    def __repr__(self) -> str:
        return (
            f"Recurrence({self.rule!r}, start={self.start.isoformat()!r}, "
            f"time_zone={self.time_zone!r}, exdates={len(self.exdates)}, "
            f"occurrences={len(self._occurrences)})"
        )
