"""How the automation engine runs: quiet hours, the default language, limits per run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

import attrs

from crmcore._kernel._checks import positive_int, require_aware, type_name
from crmcore._kernel._zones import zone_named
from crmcore.errors import InvalidType, ValidationError
from crmcore.messaging import normalize_language

#: Most intents one run may produce (the largest ``max_intents_per_run``).
MAX_INTENTS_PER_RUN: Final = 100_000
#: Most events (or time matches) one run may look at (the largest ``max_events_per_run``).
MAX_EVENTS_PER_RUN: Final = 1_000_000


def _wall_time(path: str) -> Callable[[object, attrs.Attribute[time], object], None]:
    def check(_: object, __: attrs.Attribute[time], value: object) -> None:
        if not isinstance(value, time):
            raise InvalidType(f"must be a datetime.time, not {type_name(value)}", path=path)
        if value.tzinfo is not None:
            raise ValidationError(
                "must be a wall-clock time without a tzinfo (the zone is time_zone)",
                path=path,
                code="aware_time",
            )

    return check


def _beyond_the_calendar() -> ValidationError:
    return ValidationError(
        "must leave room for the quiet hours to end before the last representable date",
        path="$.at",
        code="out_of_range",
    )


def _local(at: datetime, zone: tzinfo) -> datetime:
    """``at`` in ``zone``, refused when the zone's date falls outside the calendar."""
    try:
        return at.astimezone(zone)
    except OverflowError:
        raise _beyond_the_calendar() from None


@attrs.frozen(slots=True, init=False)
class QuietHours:
    """Wall-clock hours in a time zone when no message is sent, such as 21:00 to 08:00.

    ``start`` is included and ``end`` is not; a ``start`` later than ``end``
    spans midnight. ``time_zone`` is ``"UTC"``, a fixed offset such as
    ``"+07:00"``, an IANA name, or a tzinfo (kept by name).

    >>> from datetime import datetime, time, timezone
    >>> quiet = QuietHours(time(21, 0), time(8, 0), "+07:00")
    >>> late = datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc)  # 22:30 in +07:00
    >>> quiet.contains(late)
    True
    >>> quiet.ends_after(late)
    datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=25200)))

    Raises:
        ValidationError: equal ``start`` and ``end`` (code ``empty``), an
            unknown zone (``$.time_zone``), aware times.

    .. versionadded:: 0.1
    """

    start: time = attrs.field(validator=_wall_time("$.start"))
    end: time = attrs.field(validator=_wall_time("$.end"))
    time_zone: str

    def __init__(self, start: time, end: time, time_zone: str | tzinfo = "UTC") -> None:
        name, _ = zone_named(time_zone)
        self.__attrs_init__(start=start, end=end, time_zone=name)
        if start == end:
            raise ValidationError(
                "must differ from start (quiet hours of no length are no quiet hours)",
                path="$.end",
                code="empty",
            )

    @property
    def zone(self) -> tzinfo:
        """The time zone the hours are read in."""
        return zone_named(self.time_zone)[1]

    def contains(self, at: datetime) -> bool:
        """True if ``at`` falls within the quiet hours."""
        local = _local(require_aware(at, "$.at"), self.zone).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, at: datetime) -> datetime:
        """When the quiet hours holding ``at`` end (``at`` itself if it is outside them)."""
        if not self.contains(at):
            return at
        local = _local(at, self.zone)
        day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            if day == date.max:
                raise _beyond_the_calendar()
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=self.zone)


def _quiet(value: object) -> QuietHours | None:
    if value is None or isinstance(value, QuietHours):
        return value
    raise InvalidType(f"must be QuietHours or None, not {type_name(value)}", path="$.quiet_hours")


def _language(value: object) -> str:
    return normalize_language(value, "$.default_language")


def _limit(maximum: int, path: str) -> Callable[[object, attrs.Attribute[int], object], None]:
    def check(_: object, __: attrs.Attribute[int], value: object) -> None:
        positive_int(value, path, maximum=maximum)

    return check


@attrs.frozen(slots=True, kw_only=True)
class AutomationSettings:
    """How a run behaves.

    Attributes:
        quiet_hours: when no message is sent (``None``: any time).
        default_language: the language of messages to customers who have
            none recorded.
        max_intents_per_run: most intents one run produces; a run that would
            produce more stops and reports ``run_limit``.
        max_events_per_run: most events one run looks at, or time matches
            yielding intents one run acts on; the rest are left for the next
            run (``run_limit``). Time matches whose actions are all skipped
            (no consent, quiet hours) do not count, so they never hold the
            others back.

    >>> AutomationSettings().max_intents_per_run
    1000

    .. versionadded:: 0.1
    """

    quiet_hours: QuietHours | None = attrs.field(default=None, converter=_quiet)
    default_language: str = attrs.field(default="en", converter=_language)
    max_intents_per_run: int = attrs.field(
        default=1000,
        validator=_limit(MAX_INTENTS_PER_RUN, "$.max_intents_per_run"),
    )
    max_events_per_run: int = attrs.field(
        default=10_000,
        validator=_limit(MAX_EVENTS_PER_RUN, "$.max_events_per_run"),
    )
