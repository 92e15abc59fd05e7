"""Jurisdictions: the statutory deadline of each kind of data-subject request, and its extension.

A :class:`Jurisdiction` names a law (``"gdpr"``, ``"uu_pdp"``), the unit its
periods are counted in (:class:`DeadlineUnit`), the deadline of each
:class:`RequestKind` and an optional :class:`ExtensionRule`. Periods in
business days run on a :class:`~crmcore.service.BusinessCalendar`, so they
skip weekends and holidays.

>>> from datetime import datetime, timezone
>>> received = datetime(2026, 1, 31, 10, 0, tzinfo=timezone.utc)
>>> GDPR.due_at(RequestKind.ACCESS, received).isoformat()  # one month, clipped to February
'2026-02-28T10:00:00+00:00'
>>> GDPR.due_at(RequestKind.ACCESS, received, extensions=1).isoformat()
'2026-04-30T10:00:00+00:00'
>>> UU_PDP.due_at(RequestKind.ACCESS, received).isoformat()  # 3 x 24 hours
'2026-02-03T10:00:00+00:00'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._checks import (
    check_name,
    enum_converter,
    instance_of,
    is_bool,
    items_of,
    require_aware,
    tuple_of,
    type_name,
)
from crmcore.errors import InvalidType, ValidationError
from crmcore.service import BusinessCalendar

#: The longest deadline or extension, per unit: about two years of each.
MAX_PERIOD: Final[Mapping[str, int]] = {
    "hours": 24 * 731,
    "calendar_days": 731,
    "business_days": 520,
    "months": 24,
}
#: Most extensions a jurisdiction may allow for one request.
MAX_EXTENSIONS: Final = 12


class RequestKind(StrEnum):
    """What a data subject asks for.

    ``access`` (a copy of their data: an export), ``rectification``,
    ``erasure``, ``restriction`` (of processing), ``objection`` (to
    processing such as profiling) and ``consent_withdrawal``.
    """

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    CONSENT_WITHDRAWAL = "consent_withdrawal"


class DeadlineUnit(StrEnum):
    """What a jurisdiction counts its periods in.

    ``hours`` (elapsed time), ``calendar_days`` and ``months`` (wall-clock
    time in the zone of the receipt; a month from 31 January is the last day
    of February), ``business_days`` (working days of the jurisdiction's
    calendar after the day of receipt; the deadline is the close of business
    of the last one).
    """

    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"
    MONTHS = "months"


def _period(value: int, path: str, unit: DeadlineUnit) -> int:
    """``value`` (an int already checked positive) if the unit allows a period that long."""
    maximum = MAX_PERIOD[unit.value]
    if not 1 <= value <= maximum:
        raise ValidationError(f"must be from 1 to {maximum} {unit.value}", path=path, code="range")
    return value


def _deadline_kind(value: object) -> RequestKind:
    return enum_converter(RequestKind, "$.kind")(value)


def _positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    path = f"$.{attribute.name}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if value < 1:
        raise ValidationError("must be 1 or more", path=path, code="range")


@attrs.frozen(slots=True)
class Deadline:
    """The deadline of one kind of request: ``amount`` of the jurisdiction's unit.

    .. versionadded:: 0.1
    """

    kind: RequestKind = attrs.field(converter=_deadline_kind)
    amount: int = attrs.field(validator=_positive)


def _extension_times(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.max_times")
    if not 1 <= value <= MAX_EXTENSIONS:
        raise ValidationError(
            f"must be from 1 to {MAX_EXTENSIONS} (an extension needs a limit)",
            path="$.max_times",
            code="range",
        )


@attrs.frozen(slots=True)
class ExtensionRule:
    """How far a deadline may be extended: ``amount`` more units, at most ``max_times`` times.

    ``before_deadline``: the extension must be decided (and the subject told)
    before the first deadline passes, as GDPR Art. 12(3) requires.

    .. versionadded:: 0.1
    """

    amount: int = attrs.field(validator=_positive)
    max_times: int = attrs.field(default=1, validator=_extension_times)
    before_deadline: bool = attrs.field(default=True, validator=is_bool)


def _jurisdiction_code(value: object) -> str:
    return check_name(value, "$.code")


def _jurisdiction_unit(value: object) -> DeadlineUnit:
    return enum_converter(DeadlineUnit, "$.unit")(value)


def _deadline_item(value: object, path: str) -> Deadline:
    return instance_of(Deadline, "a Deadline")(value, path)


def _jurisdiction_deadlines(value: object) -> tuple[Deadline, ...]:
    if isinstance(value, Mapping):
        if len(value) > len(RequestKind):
            raise ValidationError(
                "must name each request kind once", path="$.deadlines", code="too_many"
            )
        items: list[Deadline] = []
        for key, amount in value.items():
            kind = enum_converter(RequestKind, "$.deadlines")(key)
            items.append(Deadline(kind, _amount_arg(amount, f"$.deadlines.{kind.value}")))
        value = items
    return tuple_of(value, "$.deadlines", _deadline_item, max_items=len(RequestKind))


def _amount_arg(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if value < 1:
        raise ValidationError("must be 1 or more", path=path, code="range")
    return value


def _optional_extension(value: object) -> ExtensionRule | None:
    if value is None or isinstance(value, ExtensionRule):
        return value
    raise InvalidType(
        f"must be an ExtensionRule or None, not {type_name(value)}", path="$.extension"
    )


def _optional_calendar(value: object) -> BusinessCalendar | None:
    if value is None or isinstance(value, BusinessCalendar):
        return value
    raise InvalidType(
        f"must be a BusinessCalendar or None, not {type_name(value)}", path="$.calendar"
    )


@attrs.frozen(slots=True)
class Jurisdiction:
    """A law's deadlines for data-subject requests (see the module documentation).

    Args:
        code: a snake_case name of the law (``"gdpr"``).
        unit: what the periods count (:class:`DeadlineUnit`).
        deadlines: the deadline of every :class:`RequestKind`, as
            :class:`Deadline` values or a mapping from kind to amount.
        extension: how the deadline may be extended, or ``None``: never.
        calendar: the business calendar; required for ``business_days``.

    Raises:
        ValidationError: a kind is unknown, named twice or missing
            (``$.deadlines``, codes ``choice``, ``duplicate``, ``missing``), a
            period is not from 1 to :data:`MAX_PERIOD` of the unit
            (``$.deadlines[i].amount``, ``$.extension.amount``, code
            ``range``), an extension allows no limit (``$.extension.max_times``),
            or business days have no calendar (``$.calendar``, code
            ``calendar_required``).

    >>> Jurisdiction("shop_policy", unit="calendar_days", deadlines={"access": -3})
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.deadlines.access: must be 1 or more

    .. versionadded:: 0.1
    """

    code: str = attrs.field(converter=_jurisdiction_code)
    unit: DeadlineUnit = attrs.field(converter=_jurisdiction_unit)
    deadlines: tuple[Deadline, ...] = attrs.field(converter=_jurisdiction_deadlines)
    extension: ExtensionRule | None = attrs.field(default=None, converter=_optional_extension)
    calendar: BusinessCalendar | None = attrs.field(
        default=None, converter=_optional_calendar, repr=False
    )

    def __attrs_post_init__(self) -> None:
        seen: set[RequestKind] = set()
        for index, deadline in enumerate(self.deadlines):
            if deadline.kind in seen:
                raise ValidationError(
                    "must name each request kind once",
                    path=f"$.deadlines[{index}].kind",
                    code="duplicate",
                )
            seen.add(deadline.kind)
            _period(deadline.amount, f"$.deadlines[{index}].amount", self.unit)
        missing = [kind.value for kind in RequestKind if kind not in seen]
        if missing:
            raise ValidationError(
                f"must give a deadline for every request kind; missing: {', '.join(missing)}",
                path="$.deadlines",
                code="missing",
            )
        if self.extension is not None:
            _period(self.extension.amount, "$.extension.amount", self.unit)
            total = self.extension.amount * self.extension.max_times + max(
                d.amount for d in self.deadlines
            )
            _period(total, "$.extension", self.unit)
        if self.unit is DeadlineUnit.BUSINESS_DAYS and self.calendar is None:
            raise ValidationError(
                "must be given when periods count business days",
                path="$.calendar",
                code="calendar_required",
            )

    def deadline_for(self, kind: RequestKind | str) -> int:
        """The period (in :attr:`unit`) of ``kind`` before any extension."""
        wanted = enum_converter(RequestKind, "$.kind")(kind)
        for deadline in self.deadlines:
            if deadline.kind is wanted:
                return deadline.amount
        raise AssertionError("unreachable: every kind has a deadline")  # pragma: no cover

    @property
    def max_extensions(self) -> int:
        """How many times a deadline may be extended (0: never)."""
        return 0 if self.extension is None else self.extension.max_times

    def due_at(
        self, kind: RequestKind | str, received_at: datetime, *, extensions: int = 0
    ) -> datetime:
        """When a ``kind`` request received at ``received_at`` is due after ``extensions`` extensions.

        Raises:
            ValidationError: ``received_at`` is naive (``$.received_at``) or
                ``extensions`` is more than the rule allows (``$.extensions``,
                code ``too_many_extensions``).
        """
        start = require_aware(received_at, "$.received_at")
        if isinstance(extensions, bool) or not isinstance(extensions, int):
            raise InvalidType(f"must be an int, not {type_name(extensions)}", path="$.extensions")
        if not 0 <= extensions <= self.max_extensions:
            raise ValidationError(
                f"must be from 0 to {self.max_extensions} (the extensions the rule allows)",
                path="$.extensions",
                code="too_many_extensions",
            )
        amount = self.deadline_for(kind)
        if self.extension is not None:
            amount += self.extension.amount * extensions
        return self._add(start, amount)

    def _add(self, start: datetime, amount: int) -> datetime:
        try:
            if self.unit is DeadlineUnit.HOURS:
                return start + timedelta(hours=amount)
            if self.unit is DeadlineUnit.CALENDAR_DAYS:
                return start + timedelta(days=amount)
            if self.unit is DeadlineUnit.MONTHS:
                return start + relativedelta(months=amount)
            assert self.calendar is not None  # noqa: S101 - checked on construction
            return _business_days(self.calendar, start, amount)
        except (OverflowError, ValueError):
            raise ValidationError(
                "takes the deadline beyond the supported date range",
                path="$.received_at",
                code="out_of_range",
            ) from None


def _business_days(calendar: BusinessCalendar, start: datetime, amount: int) -> datetime:
    """The close of business on the ``amount``-th working day after the local day of ``start``."""
    zone = calendar.tzinfo
    day = start.astimezone(zone).date()
    counted = 0
    # Every week has a working day; each holiday can take one away, so the loop is bounded.
    for _ in range(7 * (amount + len(calendar.holidays) + 1)):
        day += timedelta(days=1)
        hours = calendar.working_hours_on(day)
        if hours:
            counted += 1
            if counted == amount:
                close = datetime.combine(day, time(), tzinfo=zone) + timedelta(
                    minutes=hours[-1].end.minutes
                )
                return close.astimezone(start.tzinfo)
    raise ValidationError(  # pragma: no cover - the bound above always suffices
        "has no working day within reach", path="$.calendar", code="out_of_range"
    )


# GDPR Art. 12(3): act on a request "without undue delay and in any event within one month
# of receipt"; extendable "by two further months where necessary", the subject being told
# of the extension and its reasons within the first month.
#: The GDPR's rule: one month for every kind, extendable once by two months before it passes.
GDPR: Final = Jurisdiction(
    "gdpr",
    unit=DeadlineUnit.MONTHS,
    deadlines=dict.fromkeys(RequestKind, 1),
    extension=ExtensionRule(2, max_times=1, before_deadline=True),
)

# UU PDP (Law No. 27 of 2022): the controller acts within 3 x 24 hours of receiving a request
# to update or correct data (Art. 30(1)), for access (Art. 32(2)), to stop processing after
# consent is withdrawn (Art. 40(1)) and to delay or restrict processing (Art. 41(1)). Erasure
# (Art. 43) and objection to automated decisions (Art. 10) carry no period in the law; the
# default applies the same 3 x 24 hours, the strictest reading. The law provides no extension.
#: Indonesia's UU PDP: 3 x 24 hours for every kind, never extended.
UU_PDP: Final = Jurisdiction(
    "uu_pdp", unit=DeadlineUnit.HOURS, deadlines=dict.fromkeys(RequestKind, 72)
)


def jurisdiction_of(
    value: Jurisdiction | str, known: Iterable[Jurisdiction] = (GDPR, UU_PDP)
) -> Jurisdiction:
    """``value`` itself, or the jurisdiction among ``known`` with that code.

    >>> jurisdiction_of("gdpr") is GDPR
    True

    Raises:
        ValidationError: no known jurisdiction has the code (``$.jurisdiction``, code ``choice``).
    """
    if isinstance(value, Jurisdiction):
        return value
    candidates = items_of(known, Jurisdiction, "$.known", "a Jurisdiction", max_items=1000)
    if (
        type(value) is str
        and value.lower() != value
        and value.lower() in {j.code for j in candidates}
    ):
        value = value.lower()  # "GDPR" names the jurisdiction "gdpr"
    code = check_name(value, "$.jurisdiction")
    for jurisdiction in candidates:
        if jurisdiction.code == code:
            return jurisdiction
    codes = ", ".join(j.code for j in candidates)
    raise ValidationError(
        f"must be a known jurisdiction ({codes})", path="$.jurisdiction", code="choice"
    )
