"""Tests for `crmcore.privacy._jurisdictions`: statutory deadlines and their extensions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import InvalidType, ValidationError
from crmcore.privacy import (
    GDPR,
    UU_PDP,
    Deadline,
    DeadlineUnit,
    ExtensionRule,
    Jurisdiction,
    RequestKind,
    jurisdiction_of,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.service import BusinessCalendar
from crmcore.testing.strategies._privacy import extension_rules, jurisdictions

_T0 = datetime(2026, 1, 30, 15, 0, tzinfo=UTC)
_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - Hypothesis bounds are naive
    max_value=datetime(2090, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(jurisdictions(), st.sampled_from(RequestKind), _TIMES, _TIMES)
def test_deadlines_are_monotone_in_receipt(
    law: Jurisdiction, kind: RequestKind, a: datetime, b: datetime
) -> None:
    """A later receipt never gets an earlier deadline."""
    first, second = sorted((a, b))
    assert law.due_at(kind, first) <= law.due_at(kind, second)


@given(jurisdictions(units=("business_days",)), st.sampled_from(RequestKind), _TIMES)
def test_business_day_deadline_is_close_of_a_working_day(
    law: Jurisdiction, kind: RequestKind, received: datetime
) -> None:
    """A business-day deadline is the end of working time on a working day, after the receipt day."""
    calendar = law.calendar
    assert calendar is not None
    due = law.due_at(kind, received)
    assert calendar.is_working_time(due - timedelta(microseconds=1))
    assert not calendar.is_holiday(
        (due - timedelta(microseconds=1)).astimezone(calendar.tzinfo).date()
    )
    assert due.astimezone(calendar.tzinfo).date() > received.astimezone(calendar.tzinfo).date()


@given(jurisdictions(), st.sampled_from(RequestKind), _TIMES)
def test_extensions_are_bounded_and_move_the_deadline_on(
    law: Jurisdiction, kind: RequestKind, received: datetime
) -> None:
    """Each allowed extension moves the deadline later; one more than the rule is refused."""
    dues = [law.due_at(kind, received, extensions=n) for n in range(law.max_extensions + 1)]
    assert dues == sorted(dues)
    assert len(set(dues)) == len(dues)
    with pytest.raises(ValidationError) as caught:
        law.due_at(kind, received, extensions=law.max_extensions + 1)
    assert caught.value.code == "too_many_extensions"


@given(st.sampled_from(RequestKind), _TIMES)
def test_gdpr_is_one_month_plus_two(kind: RequestKind, received: datetime) -> None:
    """GDPR Art. 12(3): one month, extended once by two more (derived with relativedelta)."""
    assert GDPR.due_at(kind, received) == received + relativedelta(months=1)
    assert GDPR.due_at(kind, received, extensions=1) == received + relativedelta(months=3)
    assert GDPR.max_extensions == 1


@given(st.sampled_from(RequestKind), _TIMES)
def test_uu_pdp_is_three_times_24_hours(kind: RequestKind, received: datetime) -> None:
    """UU PDP: 3 x 24 hours, no extension."""
    assert UU_PDP.due_at(kind, received) - received == timedelta(hours=3 * 24)
    assert UU_PDP.max_extensions == 0


def test_calendar_days_and_hours() -> None:
    """Calendar days and hours add elapsed time."""
    law = Jurisdiction("local_rule", unit="calendar_days", deadlines=dict.fromkeys(RequestKind, 30))
    assert law.due_at("access", _T0) == _T0 + timedelta(days=30)
    assert law.deadline_for(RequestKind.ERASURE) == 30


def test_business_days_skip_weekend_and_holiday() -> None:
    """From a Friday, two business days skip the weekend and a Monday holiday."""
    calendar = BusinessCalendar.standard(
        ["08:00-17:00"], time_zone="UTC", holidays=[_T0.date() + timedelta(days=3)]
    )
    law = Jurisdiction(
        "local_rule",
        unit="business_days",
        deadlines=dict.fromkeys(RequestKind, 2),
        calendar=calendar,
    )
    assert law.due_at("access", _T0) == datetime(2026, 2, 4, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "path", "code"),
    [
        ({"deadlines": {"access": 0}}, "$.deadlines.access", "range"),
        ({"deadlines": {"access": True}}, "$.deadlines.access", "type"),
        ({"deadlines": {"portability": 3}}, "$.deadlines", "choice"),
        ({"deadlines": {"access": 3}}, "$.deadlines", "missing"),
        ({"deadlines": dict.fromkeys(RequestKind, 10**6)}, "$.deadlines[0].amount", "range"),
        ({"unit": "business_days"}, "$.calendar", "calendar_required"),
        ({"unit": "weeks"}, "$.unit", "choice"),
        ({"extension": "two months"}, "$.extension", "type"),
        ({"calendar": "Asia/Jakarta"}, "$.calendar", "type"),
        ({"extension": ExtensionRule(1, max_times=1)}, None, None),
    ],
)
def test_malformed_jurisdictions_name_the_path(
    kwargs: dict[str, object], path: str | None, code: str | None
) -> None:
    """Malformed jurisdictions raise ValidationError at the path of the fault."""
    args: dict[str, object] = {"unit": "calendar_days", "deadlines": dict.fromkeys(RequestKind, 5)}
    args.update(kwargs)
    if path is None:
        assert Jurisdiction("local_rule", **args).max_extensions == 1
        return
    with pytest.raises(ValidationError) as caught:
        Jurisdiction("local_rule", **args)
    assert (caught.value.path, caught.value.code) == (path, code)


def test_extension_needs_a_limit_and_a_duplicate_kind_is_refused() -> None:
    """An extension without a limit, a duplicate kind and a too-long total are refused."""
    with pytest.raises(ValidationError) as caught:
        ExtensionRule(1, max_times=0)
    assert caught.value.path == "$.max_times"
    with pytest.raises(InvalidType):
        ExtensionRule(1, max_times=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        ExtensionRule("1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        ExtensionRule(0)
    assert caught.value.path == "$.amount"
    doubled = [*[Deadline(kind, 1) for kind in RequestKind][1:], Deadline("rectification", 2)]
    with pytest.raises(ValidationError) as caught:
        Jurisdiction("x", unit="hours", deadlines=doubled)
    assert (caught.value.path, caught.value.code) == ("$.deadlines[5].kind", "duplicate")
    with pytest.raises(ValidationError) as caught:
        Jurisdiction("x", unit="hours", deadlines={str(n): 1 for n in range(7)})
    assert (caught.value.path, caught.value.code) == ("$.deadlines", "too_many")
    with pytest.raises(ValidationError) as caught:
        Jurisdiction(
            "x",
            unit="months",
            deadlines=dict.fromkeys(RequestKind, 1),
            extension=ExtensionRule(12, max_times=12),
        )
    assert caught.value.path == "$.extension"


def test_due_at_checks_its_arguments() -> None:
    """Naive receipts and non-int extension counts are refused."""
    with pytest.raises(ValidationError):
        GDPR.due_at("access", datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(InvalidType):
        GDPR.due_at("access", _T0, extensions="1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        GDPR.due_at("access", datetime(9999, 12, 20, tzinfo=UTC))
    assert caught.value.code == "out_of_range"


def test_jurisdiction_of() -> None:
    """Codes name the defaults; unknown codes are refused."""
    assert jurisdiction_of("uu_pdp") is UU_PDP
    assert jurisdiction_of(GDPR) is GDPR
    with pytest.raises(ValidationError) as caught:
        jurisdiction_of("ccpa")
    assert caught.value.code == "choice"


def test_units_are_the_documented_ones() -> None:
    """The four units exist."""
    assert {u.value for u in DeadlineUnit} == {"hours", "calendar_days", "business_days", "months"}


@given(extension_rules(unit="hours"))
def test_extension_rules_round_trip(rule: ExtensionRule) -> None:
    """An extension rule survives to_dict/from_dict and has a limit."""
    assert from_dict(ExtensionRule, to_dict(rule)) == rule
    assert 1 <= rule.max_times


@given(jurisdictions())
def test_jurisdictions_round_trip(law: Jurisdiction) -> None:
    """A jurisdiction, calendar included, survives to_dict/from_dict."""
    assert from_dict(Jurisdiction, to_dict(law)) == law
