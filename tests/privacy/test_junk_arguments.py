"""Junk arguments to the privacy functions and result types raise crmcore errors naming the path."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from crmcore import CustomerId
from crmcore.automation import QuietHours
from crmcore.customers import ProcessingDecision
from crmcore.errors import InvalidType, ValidationError
from crmcore.privacy import (
    ErasedRecord,
    ErasureReport,
    ExportSection,
    RetentionPolicy,
    RetentionRule,
    due_for_retention,
    erase_subject,
    export_subject,
    jurisdiction_of,
)

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = RetentionPolicy([RetentionRule("note", action="delete", after_months=1)])


@pytest.mark.parametrize("service", [export_subject, erase_subject])
def test_a_unit_that_is_no_unit_of_work_is_refused(service):
    with pytest.raises(InvalidType) as raised:
        service(None, CustomerId("c-1"), at=AT)
    assert "$.unit" == raised.value.path


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"held": None}, "$.held"),
        ({"held": [[1]]}, "$.held[0]"),
        ({"held": ["c-1"]}, "$.held[0]"),
        ({"last_order_at": True}, "$.last_order_at"),
        ({"last_order_at": "x"}, "$.last_order_at"),
        ({"last_order_at": {"c-1": AT}}, "$.last_order_at[0]"),
    ],
)
def test_retention_arguments_are_checked(kwargs, path):
    with pytest.raises(InvalidType) as raised:
        due_for_retention(POLICY, [], at=AT, **kwargs)
    assert path == raised.value.path


def test_retention_records_must_be_an_iterable():
    with pytest.raises(InvalidType) as raised:
        due_for_retention(POLICY, None, at=AT)  # type: ignore[arg-type]
    assert "$.records" == raised.value.path


def test_jurisdictions_are_looked_up_among_known_ones_and_named_in_the_error():
    assert "gdpr" == jurisdiction_of("GDPR").code
    with pytest.raises(ValidationError) as raised:
        jurisdiction_of("eu")
    assert "gdpr, uu_pdp" in str(raised.value)
    with pytest.raises(InvalidType):
        jurisdiction_of("gdpr", known=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: ErasedRecord("customers", "c-1", None),
        lambda: ErasedRecord("widgets", "c-1", ()),
        lambda: ErasureReport(CustomerId("c-1"), AT, [None]),
        lambda: ErasureReport(CustomerId("c-1"), AT.replace(tzinfo=None), ()),
        lambda: ExportSection(None, ()),
        lambda: ProcessingDecision(allowed=False, purpose="marketing", reason=[]),
    ],
)
def test_result_types_refuse_junk(build):
    with pytest.raises(ValidationError):
        build()


def test_quiet_hours_at_the_edge_of_the_calendar_are_refused_not_overflowed():
    quiet = QuietHours(start=time(21), end=time(8), time_zone="Asia/Jakarta")
    with pytest.raises(ValidationError) as raised:
        quiet.ends_after(datetime(9999, 12, 31, 23, 0, tzinfo=UTC))
    assert "out_of_range" == raised.value.code
