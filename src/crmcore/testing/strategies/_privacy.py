"""Strategies for privacy: jurisdictions, data-subject requests and retention policies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Final

from hypothesis import strategies as st

from crmcore._kernel._checks import enum_converter, instance_of, tuple_of
from crmcore._kernel._ids import CustomerId, PrivacyRequestId
from crmcore.customers import Channel
from crmcore.errors import ValidationError
from crmcore.privacy import (
    GDPR,
    MAX_PERIOD,
    MAX_RETENTION_MONTHS,
    MAX_RETENTION_YEARS,
    RETENTION_KINDS,
    UU_PDP,
    DataSubjectRequest,
    DeadlineUnit,
    ExtensionReason,
    ExtensionRule,
    Jurisdiction,
    RefusalReason,
    RequestKind,
    RetentionAction,
    RetentionPolicy,
    RetentionRule,
)
from crmcore.service import BusinessCalendar
from crmcore.testing.strategies._base import (
    _as_drawn,
    _bool_arg,
    _customer_choices,
    _id_texts,
    _int_arg,
    _later,
    _non_empty,
    _window,
)

#: Time zones calendars are drawn in (fixed offsets need no time zone database).
_ZONES: Final = ("UTC", "+07:00", "+08:00", "+09:00", "-05:00", "+05:30")
#: Keeps drawn periods small enough that deadlines stay far inside the date range.
_SMALL: Final = {"hours": 24 * 60, "calendar_days": 120, "business_days": 60, "months": 6}


@st.composite
def _calendars(draw: st.DrawFn) -> BusinessCalendar:
    days = draw(
        st.lists(
            st.sampled_from(
                ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            ),
            min_size=1,
            max_size=7,
            unique=True,
        )
    )
    start = draw(st.integers(min_value=0, max_value=12))
    end = draw(st.integers(min_value=start + 1, max_value=24))
    holidays = draw(
        st.lists(
            st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
            max_size=20,
            unique=True,
        )
    )
    return BusinessCalendar.standard(
        [f"{start:02d}:00-{end:02d}:00"],
        time_zone=draw(st.sampled_from(_ZONES)),
        days=days,
        holidays=holidays,
    )


def jurisdictions(
    *,
    units: tuple[DeadlineUnit | str, ...] | None = None,
    extensions: bool = True,
    defaults: bool = True,
) -> st.SearchStrategy[Jurisdiction]:
    """Valid :class:`~crmcore.privacy.Jurisdiction` values, the defaults among them.

    Args:
        units: the units drawn from (every unit by default).
        extensions: ``False`` for jurisdictions that never extend.
        defaults: ``False`` to leave :data:`~crmcore.privacy.GDPR` and
            :data:`~crmcore.privacy.UU_PDP` out.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: an unknown or empty choice of units.
    """
    convert = enum_converter(DeadlineUnit, "$.units")
    chosen = tuple(DeadlineUnit) if units is None else tuple(convert(u) for u in units)
    if not chosen:
        raise ValidationError("must name at least one unit", path="$.units", code="empty")
    with_extensions = _bool_arg(extensions, "$.extensions")
    made = _jurisdictions(chosen, with_extensions)
    if not _bool_arg(defaults, "$.defaults"):
        return made
    fixed = [
        j for j in (GDPR, UU_PDP) if j.unit in chosen and (with_extensions or j.extension is None)
    ]
    return st.one_of(made, st.sampled_from(fixed)) if fixed else made


def extension_rules(*, unit: DeadlineUnit | str = "months") -> st.SearchStrategy[ExtensionRule]:
    """Valid :class:`~crmcore.privacy.ExtensionRule` values whose amount suits ``unit``.

    Raises:
        ValidationError: ``unit`` is not a :class:`~crmcore.privacy.DeadlineUnit` (``$.unit``).
    """
    chosen = enum_converter(DeadlineUnit, "$.unit")(unit)
    return st.builds(
        ExtensionRule,
        st.integers(min_value=1, max_value=_SMALL[chosen.value]),
        max_times=st.integers(min_value=1, max_value=3),
        before_deadline=st.booleans(),
    )


@st.composite
def _jurisdictions(
    draw: st.DrawFn, units: tuple[DeadlineUnit, ...], with_extensions: bool
) -> Jurisdiction:
    unit = draw(st.sampled_from(units))
    top = min(_SMALL[unit.value], MAX_PERIOD[unit.value])
    deadlines = {kind: draw(st.integers(min_value=1, max_value=top)) for kind in RequestKind}
    extension = None
    if with_extensions and draw(st.booleans()):
        extension = draw(extension_rules(unit=unit))
    calendar = None
    if unit is DeadlineUnit.BUSINESS_DAYS or draw(st.booleans()):
        calendar = draw(_calendars())
    code = draw(st.sampled_from(["gdpr_like", "uu_pdp_like", "local_rule", "shop_policy"]))
    return Jurisdiction(
        code, unit=unit, deadlines=deadlines, extension=extension, calendar=calendar
    )


def data_subject_requests(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    laws: Iterable[Jurisdiction] | None = None,
    max_steps: int = 4,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[DataSubjectRequest]:
    """Valid :class:`~crmcore.privacy.DataSubjectRequest` aggregates built by their commands.

    Each is received, then goes through up to ``max_steps`` commands the
    status machine and the jurisdiction allow (verification, extensions,
    fulfilment, refusal), at non-decreasing times; some end overdue.

    Args:
        customer_ids: the subjects drawn from; any id by default.
        laws: the jurisdictions drawn from; :func:`jurisdictions` by default.
        max_steps: the most commands after receipt (0 to 20).
        min_created_at: the earliest receipt (aware); 2000 by default.
        max_created_at: the latest receipt (aware); 2099 by default.
        pending_events: ``False`` to draw requests as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    customers = _customer_choices(customer_ids, "$.customer_ids")
    chosen = (
        jurisdictions()
        if laws is None
        else st.sampled_from(
            _non_empty(
                tuple_of(laws, "$.laws", instance_of(Jurisdiction, "a Jurisdiction")), "$.laws"
            )
        )
    )
    built = _requests(
        customers,
        chosen,
        _int_arg(max_steps, "$.max_steps", maximum=20),
        _window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


_STEP: Final = st.integers(min_value=0, max_value=40 * 24 * 3600).map(
    lambda seconds: timedelta(seconds=seconds)
)


@st.composite
def _requests(
    draw: st.DrawFn,
    customers: st.SearchStrategy[CustomerId],
    laws: st.SearchStrategy[Jurisdiction],
    max_steps: int,
    received: st.SearchStrategy[datetime],
) -> DataSubjectRequest:
    request = DataSubjectRequest.receive(
        draw(_id_texts("dsr").map(PrivacyRequestId)),
        customer_id=draw(customers),
        kind=draw(st.sampled_from(RequestKind)),
        jurisdiction=draw(laws),
        channel=draw(st.sampled_from(Channel)),
        at=draw(received),
    )
    at = request.created_at
    for _ in range(draw(st.integers(min_value=0, max_value=max_steps))):
        if not request.is_open:
            break
        at = _later(at, draw(_STEP))
        step = draw(st.sampled_from(["verify", "extend", "close"]))
        rule = request.jurisdiction.extension
        first_due = request.jurisdiction.due_at(request.kind, request.created_at)
        if (
            step == "extend"
            and rule is not None
            and len(request.extensions) < rule.max_times
            and not (rule.before_deadline and at > first_due)
        ):
            request = request.extend(at=at, reason=draw(st.sampled_from(ExtensionReason)))
        elif step == "verify" and request.status.value == "received":
            request = request.verify_identity(at=at)
        elif step == "close":
            if request.status.value == "identity_verified" and draw(st.booleans()):
                request = request.fulfil(at=at)
            else:
                request = request.refuse(at=at, reason=draw(st.sampled_from(RefusalReason)))
    return request


def retention_policies(
    *, max_rules: int = 5, kinds: tuple[str, ...] | None = None
) -> st.SearchStrategy[RetentionPolicy]:
    """Valid :class:`~crmcore.privacy.RetentionPolicy` values: at most one rule per kind.

    Args:
        max_rules: the most rules (0 to the number of kinds).
        kinds: the record kinds rules are drawn for (every retention kind by default).

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: ``max_rules`` out of range or a kind unknown (``$.kinds``).
    """
    pool = tuple(sorted(RETENTION_KINDS)) if kinds is None else tuple(kinds)
    unknown = [kind for kind in pool if kind not in RETENTION_KINDS]
    if unknown or not pool:
        raise ValidationError("must name known record kinds", path="$.kinds", code="choice")
    top = _int_arg(max_rules, "$.max_rules", maximum=len(RETENTION_KINDS))
    return _policies(pool, min(top, len(pool)))


@st.composite
def _policies(draw: st.DrawFn, pool: tuple[str, ...], top: int) -> RetentionPolicy:
    chosen = draw(st.lists(st.sampled_from(pool), max_size=top, unique=True))
    return RetentionPolicy([draw(_rules(kind)) for kind in chosen])


def retention_rules() -> st.SearchStrategy[RetentionRule]:
    """Valid :class:`~crmcore.privacy.RetentionRule` values of every kind, action and period."""
    return st.sampled_from(sorted(RETENTION_KINDS)).flatmap(_rules)


@st.composite
def _rules(draw: st.DrawFn, kind: str) -> RetentionRule:
    action = draw(st.sampled_from(RetentionAction))
    if draw(st.booleans()):
        months = draw(st.integers(1, MAX_RETENTION_MONTHS))
        return RetentionRule(kind, action=action, after_months=months)
    years = draw(st.integers(1, MAX_RETENTION_YEARS))
    return RetentionRule(kind, action=action, after_years=years)
