"""Property tests for `crmcore.customers._merge`, drawing customers from `crmcore.testing.strategies`.

A merge never turns a refusal into a permission, never loses a consent
record, contact point or tag, and applies exactly what its preview predicts.
"""

from datetime import timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.customers import (
    Channel,
    ConsentStatus,
    Customer,
    Purpose,
    decide_consent,
    merge_customers,
    preview_merge,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

PAIRS = [(channel, purpose) for channel in Channel for purpose in Purpose]
PREDICTED = (
    "profile",
    "contact_points",
    "consents",
    "tags",
    "owner",
    "team",
    "lifecycles",
    "created_at",
)


@st.composite
def merges(draw):
    """Two people (distinct ids), a merge time after both last changes, and the merge."""
    survivor = draw(crm.customers(kinds=["person"], max_consents=8), label="survivor")
    absorbed = draw(crm.customers(kinds=["person"], max_consents=8), label="absorbed")
    assume(survivor.id != absorbed.id)
    last = max(survivor.updated_at, absorbed.updated_at)
    at = draw(crm.aware_datetimes(min_value=last, max_value=last + timedelta(days=400)), label="at")
    try:
        preview_merge(survivor, absorbed, at=at)
    except ValidationError as error:
        refusal = (error.path, error.code)
    else:
        refusal = None
    # The merged customer is known since the earlier registration; a birth date after it
    # contradicts the other record, and the merge refuses it (see test_merge.py).
    assert refusal in (None, ("$.profile.birth_date", "future_birth_date"))
    assume(refusal is None)
    return survivor, absorbed, at


def later_times(data, survivor: Customer, absorbed: Customer, at):
    """The merge time, every expiry after it, and a few drawn times after it."""
    expiries = {
        r.expires_at
        for r in (*survivor.consents, *absorbed.consents)
        if r.expires_at is not None and r.expires_at >= at
    }
    drawn = data.draw(
        st.lists(
            crm.aware_datetimes(min_value=at, max_value=at + timedelta(days=5000)), max_size=3
        ),
        label="times",
    )
    return sorted({at, *expiries, *drawn})


def latest_is_withdrawal(records, channel, purpose, when) -> bool:
    """The latest record applying to the pair (either scope) withdraws; a withdrawal wins a tie."""
    applying = [
        r
        for r in records
        if r.purpose is purpose
        and r.channel in (None, channel)
        and r.captured_at <= when
        and not r.for_address  # a record for one address is not about the whole channel
    ]
    if not applying:
        return False
    newest = max(r.captured_at for r in applying)
    return any(r.status is ConsentStatus.WITHDRAWN for r in applying if r.captured_at == newest)


@given(merges(), st.data())
def test_a_merge_never_turns_a_refusal_into_a_permission(merge, data):
    """For every channel, purpose and time after the merge (the issue's consent property).

    - neither customer may be contacted: the merged one may not either;
    - the latest decision across both customers is a withdrawal: the merged one may not be contacted;
    - the merged decision is ``decide_consent`` over its records, which are the union of both
      histories plus the merge's guard withdrawals, and over the plain union where no guard applies.
    """
    survivor, absorbed, at = merge
    merged, _ = merge_customers(survivor, absorbed, at=at)
    union = survivor.consents + absorbed.consents
    guarded = {
        (r.channel, r.purpose)
        for r in merged.consents
        if r.captured_at == at
        and r not in union
        and r.status is ConsentStatus.WITHDRAWN
        and not r.for_address
    }
    for when in later_times(data, survivor, absorbed, at):
        for channel, purpose in PAIRS:
            allowed = merged.may_contact(channel, purpose, at=when)
            if not survivor.may_contact(channel, purpose, at=when) and not absorbed.may_contact(
                channel, purpose, at=when
            ):
                assert not allowed
            if latest_is_withdrawal(union, channel, purpose, when):
                assert not allowed
            decision = merged.consent_decision(channel, purpose, at=when)
            assert decide_consent(merged.consents, channel, purpose, when) == decision
            if (channel, purpose) not in guarded:
                assert decide_consent(union, channel, purpose, when) == decision


@given(merges())
def test_a_merge_loses_no_record_and_keeps_the_invariants(merge):
    """Every consent record, contact point and tag of both is in the survivor; times in order."""
    survivor, absorbed, at = merge
    merged, tombstone = merge_customers(survivor, absorbed, at=at)
    assert set(survivor.consents) | set(absorbed.consents) <= set(merged.consents)
    times = [r.captured_at for r in merged.consents]
    assert sorted(times) == times
    keys = {p.key for p in merged.contact_points}
    assert {p.key for p in (*survivor.contact_points, *absorbed.contact_points)} == keys
    for channel in Channel:
        assert sum(p.primary for p in merged.contact_points_on(channel)) <= 1
        mine = survivor.primary_contact_point(channel)
        if mine is not None:
            assert mine.key == merged.primary_contact_point(channel).key
    assert survivor.tags | absorbed.tags == merged.tags
    assert (merged.id, merged.version, at) == (survivor.id, survivor.version, merged.updated_at)
    assert min(survivor.created_at, absorbed.created_at) == merged.created_at
    assert (survivor.id, ()) == (tombstone.merged_into, tombstone.contact_points)
    assert from_dict(Customer, to_dict(merged)) == merged
    assert from_dict(Customer, to_dict(tombstone)) == tombstone


@given(merges())
def test_the_merge_applies_exactly_what_the_preview_predicts(merge):
    survivor, absorbed, at = merge
    preview = preview_merge(survivor, absorbed, at=at)
    merged, _ = merge_customers(survivor, absorbed, at=at)
    for name in PREDICTED:
        assert getattr(preview, name) == getattr(merged, name), name
    event = merged.pending_events[-1]
    assert preview.changed == event.changed
    assert (absorbed.id,) == event.absorbed_ids
