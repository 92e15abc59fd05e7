"""Time zones given by name or as a tzinfo: one rule for every capability that keeps a zone.

Business calendars, activities and automation quiet hours all accept a zone
as an IANA name (``"Asia/Jakarta"``), ``"UTC"`` (or ``"Z"``), a fixed offset
(``"+07:00"``, ``"UTC+07:00"``), or a ``tzinfo``: a :class:`zoneinfo.ZoneInfo`
(its key is its name) or a fixed :class:`datetime.timezone`.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, timedelta, timezone, tzinfo
from typing import Final

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError

#: Longest IANA zone name accepted.
MAX_ZONE_NAME: Final = 64

_ZERO: Final = timedelta(0)
_DAY: Final = timedelta(days=1)
_UTC_NAMES: Final = frozenset({"UTC", "Z", "+00:00", "-00:00", "UTC+00:00"})
_OFFSET_NAME: Final = re.compile(r"(?:UTC)?([+-])(\d{2}):(\d{2})")
_ZONE_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*")
ZONE_RULE: Final = (
    "must be an IANA time zone name known to this system such as 'Asia/Jakarta' "
    "(install the tzdata package where the system has no time zone database), "
    "'UTC', or a fixed offset such as '+07:00'"
)


def offset_name(offset: timedelta) -> str:
    """The name of a fixed offset: ``"UTC"`` for zero, else ``"+07:00"`` or ``"-03:30"``."""
    if offset == _ZERO:
        return "UTC"
    sign = "-" if offset < _ZERO else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _from_name(text: str, path: str) -> tuple[str, tzinfo]:
    name = text.strip()
    if name in _UTC_NAMES:
        return "UTC", UTC
    match = _OFFSET_NAME.fullmatch(name)
    if match is not None:
        sign, hours, minutes = match.groups()
        if int(hours) > 23 or int(minutes) > 59:
            raise ValidationError(ZONE_RULE, path=path, code="time_zone")
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        offset = -offset if sign == "-" else offset
        return offset_name(offset), timezone(offset)
    if len(name) > MAX_ZONE_NAME or _ZONE_NAME.fullmatch(name) is None:
        raise ValidationError(ZONE_RULE, path=path, code="time_zone")
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(ZONE_RULE, path=path, code="time_zone") from None
    return name, zone


def zone_named(value: object, path: str = "$.time_zone") -> tuple[str, tzinfo]:
    """A zone's canonical name and its tzinfo, from a name or a tzinfo.

    A ``tzinfo`` with an IANA ``key`` (a :class:`zoneinfo.ZoneInfo`) is used
    as it is, under its key; a fixed offset must be whole minutes under a day.

    >>> zone_named("+07:00")
    ('+07:00', datetime.timezone(datetime.timedelta(seconds=25200)))
    >>> zone_named(" Z ")[0], zone_named("UTC+05:30")[0]
    ('UTC', '+05:30')
    >>> zone_named("Mars/Olympus")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.time_zone: must be an IANA time zone name known to this system such as 'Asia/Jakarta' (install the tzdata package where the system has no time zone database), 'UTC', or a fixed offset such as '+07:00'

    Raises:
        InvalidType: ``value`` is neither a str nor a tzinfo.
        ValidationError: an unknown or malformed name, or a tzinfo that is
            neither named nor a fixed offset (code ``time_zone``).
    """
    if isinstance(value, str):
        return _from_name(value, path)
    if not isinstance(value, tzinfo):
        raise InvalidType(
            f"must be a tzinfo or a time zone name, not {type_name(value)}", path=path
        )
    key = getattr(value, "key", None)
    if isinstance(key, str) and key:
        return key, value
    offset = value.utcoffset(None)
    if offset is not None:
        if offset % timedelta(minutes=1) or abs(offset) >= _DAY:
            raise ValidationError(
                "a fixed offset must be whole minutes under a day", path=path, code="time_zone"
            )
        return offset_name(offset), value
    raise ValidationError(
        "a tzinfo must carry its IANA name (zoneinfo.ZoneInfo) or be a fixed offset "
        "(datetime.timezone); or pass the IANA name",
        path=path,
        code="time_zone",
    )


def zone_of(name: str) -> tzinfo:
    """The tzinfo of a name :func:`zone_named` returned (a stored, already checked name)."""
    return _from_name(name, "$.time_zone")[1]
