"""Tests for `crmcore.customers._consent`."""

from datetime import UTC, datetime, timedelta

import pytest

from crmcore import InvalidType, ValidationError
from crmcore.customers import ConsentRecord, decide_consent

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
GRANT = ConsentRecord(
    "email", "marketing", "granted", T0, "web-signup-form", expires_at=T0 + timedelta(days=30)
)


def test_decide_consent_takes_channel_and_purpose_values():
    """The least-permissive decision, from enum members or their values."""
    decision = decide_consent([GRANT], "email", "marketing", T0 + timedelta(days=1))
    assert (True, "granted") == (decision.allowed, decision.reason)
    expired = decide_consent([GRANT], "email", "marketing", T0 + timedelta(days=31))
    assert (False, "expired") == (expired.allowed, expired.reason)


@pytest.mark.parametrize(
    ("records", "path"),
    [(None, "$.records"), (5, "$.records"), ([None], "$.records[0]"), ("abc", "$.records")],
)
def test_decide_consent_checks_its_records(records, path):
    """D03: records that are not ConsentRecords are an InvalidType naming the item."""
    with pytest.raises(InvalidType) as info:
        decide_consent(records, "email", "marketing", T0)
    assert path == info.value.path


@pytest.mark.parametrize(
    ("channel", "purpose", "at", "path"),
    [
        ("pigeon", "marketing", T0, "$.channel"),
        ("email", None, T0, "$.purpose"),
        ("email", "marketing", datetime(2026, 1, 5), "$.at"),  # noqa: DTZ001 - naive on purpose.
        ("email", "marketing", None, "$.at"),
    ],
)
def test_decide_consent_checks_channel_purpose_and_time(channel, purpose, at, path):
    """D03: every argument is checked before any record is read."""
    with pytest.raises(ValidationError) as info:
        decide_consent([GRANT], channel, purpose, at)
    assert path == info.value.path


def test_is_live_grant_checks_its_time():
    """D41: a naive or missing time is refused (it raised a bare TypeError)."""
    assert GRANT.is_live_grant(T0 + timedelta(days=1))
    assert not GRANT.is_live_grant(T0 + timedelta(days=30))
    for bad in (None, datetime(2026, 1, 5), "2026-01-05"):  # noqa: DTZ001 - naive on purpose.
        with pytest.raises(ValidationError) as info:
            GRANT.is_live_grant(bad)
        assert "$.at" == info.value.path


def test_applies_to_takes_enum_values():
    """D42: "email" and "marketing" name the members (identity with a str was always False)."""
    assert GRANT.applies_to("email", "marketing")
    assert not GRANT.applies_to("sms", "marketing")
    with pytest.raises(ValidationError) as info:
        GRANT.applies_to("pigeon", "marketing")
    assert "$.channel" == info.value.path


def test_the_source_never_shows_in_the_repr():
    """A consent's source is free text (a store, a form, a person): kept, never shown."""
    record = ConsentRecord("email", "marketing", "granted", T0, "Zqxmarker at the counter")
    assert "Zqxmarker" not in repr(record)
    assert "Zqxmarker at the counter" == record.source
