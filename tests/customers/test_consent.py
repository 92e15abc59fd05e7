"""Tests for `crmcore.customers._consent`."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, InvalidType, PersonName, ValidationError
from crmcore.customers import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Customer,
    Purpose,
    decide_consent,
)
from crmcore.testing.strategies import aware_datetimes, consent_records, customers

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


# -- the rule against a reference, and many pairs at once -------------------------------------

PAIRS = [(channel, purpose) for channel in Channel for purpose in Purpose]
TIE = datetime(2026, 1, 1, tzinfo=UTC)
# Few instants, so records often tie (a withdrawal at the instant of a grant wins).
tied_records = consent_records(min_captured_at=TIE, max_captured_at=TIE + timedelta(seconds=2))


def reference_allowed(records, channel, purpose, at):
    """The least-permissive rule written out plainly, scope by scope."""
    verdicts = []
    for scope in (channel, None):
        applicable = [
            r
            for r in records
            if r.purpose is purpose and r.channel is scope and r.captured_at <= at
        ]
        if not applicable:
            continue
        newest = max(r.captured_at for r in applicable)
        at_newest = [r for r in applicable if r.captured_at == newest]
        withdrawn = any(r.status is ConsentStatus.WITHDRAWN for r in at_newest)
        verdicts.append("no" if withdrawn else ("yes" if at_newest[0].is_live_grant(at) else "-"))
    if "no" in verdicts:
        return False
    if "yes" in verdicts:
        return True
    return purpose is Purpose.SERVICE


@given(
    st.lists(tied_records, max_size=8).map(tuple),
    st.sampled_from([TIE, TIE + timedelta(seconds=1), TIE + timedelta(days=400)]),
)
def test_decisions_follow_the_least_permissive_rule(records, at):
    """On any records (ties, expiries, global withdrawals), as the rule written out plainly."""
    expected = [reference_allowed(records, c, p, at) for c, p in PAIRS]
    assert expected == [decide_consent(records, c, p, at).allowed for c, p in PAIRS]


@given(customers(), aware_datetimes())
def test_consent_flags_are_may_contact_for_each_pair(customer, at):
    flags = customer.consent_flags(PAIRS, at=at)
    assert flags == tuple(customer.may_contact(c, p, at=at) for c, p in PAIRS)
    values = [(c.value, p.value) for c, p in PAIRS]
    assert customer.consent_flags(values, at=at) == flags


@pytest.mark.parametrize(
    ("pairs", "path"),
    [
        ([("email",)], "$.pairs[0]"),
        ([("email", "marketing"), ("fax", "marketing")], "$.pairs[1][0]"),
        ([("email", "spam")], "$.pairs[0][1]"),
        ("email", "$.pairs"),
        ([("email", "marketing")] * 1001, "$.pairs"),
    ],
)
def test_consent_flags_refuse_bad_pairs(pairs, path):
    customer = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0)
    with pytest.raises(ValidationError) as info:
        customer.consent_flags(pairs, at=T0)
    assert info.value.path == path
