"""The consent verdict, written for speed, against its plain statement."""

from hypothesis import given
from hypothesis import strategies as st

from crmcore.customers import Channel, ConsentStatus, Purpose
from crmcore.customers._consent import DEFAULT_ALLOWED, latest_consents, verdict
from crmcore.testing.strategies import aware_datetimes, consent_records


def plain_verdict(latest, channel, purpose, when):
    """The least-permissive rule as the module docstring states it, step by step."""
    kept = [
        r for r in (latest.get((channel, purpose)), latest.get((None, purpose))) if r is not None
    ]
    for record in kept:
        if record.status is ConsentStatus.WITHDRAWN:
            return False, "withdrawn", record
    for record in kept:
        if record.expires_at is None or when < record.expires_at:
            return True, "granted", record
    default = purpose in DEFAULT_ALLOWED
    return (default, "expired", kept[0]) if kept else (default, "default", None)


@given(
    st.lists(consent_records(), max_size=8),
    aware_datetimes(),
    st.sampled_from(list(Channel)),
    st.sampled_from(list(Purpose)),
)
def test_the_verdict_is_the_plain_rule(records, when, channel, purpose):
    """Same answer, reason and deciding record (identity) as the plain statement."""
    latest = latest_consents(records, when)
    expected = plain_verdict(latest, channel, purpose, when)
    found = verdict(latest, channel, purpose, when)
    assert expected[:2] == found[:2]
    assert expected[2] is found[2]
