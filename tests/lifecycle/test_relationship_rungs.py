"""Properties of the ladder's relationship rungs (member, advocate, partner) and `ladder_facts`.

The rungs follow relationships: purchase inactivity never demotes a customer
who holds one, each is left by its own way out, the batch planner agrees with
the per-customer path, and `ladder_facts` reads the relationship facts
exactly as a brute-force scan of the relationships and accounts does.
"""

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId
from crmcore.errors import CrmcoreError, InvalidType, ValidationError
from crmcore.lifecycle import (
    DEFAULT_POLICY,
    RELATIONSHIP_LADDER,
    RELATIONSHIP_RUNGS,
    Facts,
    PlannedMove,
    ProgressionPolicy,
    ProgressionRow,
    ladder_facts,
    plan_progression,
    progress,
    progression_steps,
)
from crmcore.parties import Relationship, RelationshipGraph, RelationshipId, RelationshipKind
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies import customers, loyalty_accounts, relationships

LADDER = RELATIONSHIP_LADDER
INACTIVE = {"lapsed", "churned"}
EARLY = datetime(2000, 1, 1, tzinfo=UTC)
LATE = datetime(2030, 1, 1, tzinfo=UTC)
PEOPLE = customers(
    with_lifecycle=True,
    pending_events=False,
    max_contact_points=0,
    max_consents=0,
    max_tags=0,
    min_created_at=EARLY,
    max_created_at=LATE,
)
POLICIES = st.sampled_from(
    [
        DEFAULT_POLICY,
        ProgressionPolicy(demote=True),
        ProgressionPolicy(
            lapse_after=relativedelta(days=40),
            churn_after=relativedelta(days=80),
            advocate_referrals=2,
            referral_window=None,
        ),
    ]
)
HELD = {
    "member": {"loyalty_member": True},
    "advocate": {"referrals": 2},
    "partner": {"partner_agreement": True},
}


@st.composite
def histories(draw, since):
    """Purchase facts of any shape, purchases up to ten years before ``since`` or after it."""
    count = draw(st.integers(0, 12))
    if not count:
        return {"qualified": draw(st.booleans())}
    offsets = st.integers(-10 * 365 * 24, 3 * 365 * 24).map(lambda hours: timedelta(hours=hours))
    last = since + draw(offsets)
    first = last if count == 1 else last - abs(draw(offsets))
    return {"purchase_count": count, "first_purchase_at": first, "last_purchase_at": last}


@st.composite
def situations(draw, **held):
    """A customer with a real ladder history, purchase facts, an evaluation time, a policy."""
    person = draw(PEOPLE)
    since = person.updated_at  # the last change of any lifecycle: nothing may come before it
    purchases = draw(histories(since))
    last = purchases.get("last_purchase_at", since)
    when = max(since, last) + timedelta(hours=draw(st.integers(0, 12 * 365 * 24)))
    facts = Facts(**purchases, **held)
    return person, facts, when, draw(POLICIES)


def relationship_facts(rung, policy):
    values = dict(HELD[rung])
    if rung == "advocate":
        values["referrals"] = policy.advocate_referrals
    return values


# -- purchase inactivity never demotes ---------------------------------------------------------


@pytest.mark.parametrize("rung", RELATIONSHIP_RUNGS)
@given(data=st.data())
def test_a_held_relationship_rung_is_never_lapsed_or_churned_by_purchases(rung, data):
    """Whatever the purchase history, holding the rung's relationship never ends lapsed or churned.

    The one exception is a customer with no purchase at all who was already
    put off the ladder by hand: the ladder's rungs above prospect need a purchase.
    """
    person, facts, when, policy = data.draw(situations())
    facts = attrs.evolve(facts, **relationship_facts(rung, policy))
    start = LADDER.stage_of(person)
    final = LADDER.stage_of(progress(person, facts, at=when, policy=policy))
    if facts.purchase_count or start not in INACTIVE:
        assert final not in INACTIVE
    if facts.purchase_count:
        assert LADDER.rank(final) >= LADDER.rank(rung)


@given(situations(), st.data())
def test_purchase_facts_alone_never_move_a_customer_off_a_held_rung(case, data):
    """On a relationship rung that still holds, any purchase history leaves the customer there."""
    person, facts, when, policy = case
    rung = data.draw(st.sampled_from(RELATIONSHIP_RUNGS))
    placed = LADDER.move_to(person, rung, at=person.updated_at)
    facts = attrs.evolve(facts, **relationship_facts(rung, policy))
    steps = progression_steps(placed, facts, at=when, policy=policy)
    assert all(LADDER.rank(step.to_stage) > LADDER.rank(step.from_stage) for step in steps)
    assert not steps or steps[-1].to_stage in RELATIONSHIP_RUNGS


@given(situations(), st.data())
def test_a_relationship_rung_whose_relationship_ended_is_left_by_its_way_out(case, data):
    """Holding no relationship, a customer on a relationship rung leaves it by the rung's own rule.

    In one step (two with a churn), at the evaluation time, to a lower stage.
    """
    person, facts, when, policy = case
    rung = data.draw(st.sampled_from(RELATIONSHIP_RUNGS))
    placed = LADDER.move_to(person, rung, at=person.updated_at)
    steps = progression_steps(placed, facts, at=when, policy=policy)
    way_out = {
        "member": "membership_ended",
        "advocate": "referrals_lapsed",
        "partner": "partnership_ended",
    }
    assert steps
    assert (way_out[rung], when) == (steps[0].rule.value, steps[0].at)
    assert steps[0].to_stage not in RELATIONSHIP_RUNGS
    assert [s.trigger for s in steps[1:]] in ([], ["churn"])
    moved = progress(placed, facts, at=when, policy=policy)
    assert () == progression_steps(moved, facts, at=when, policy=policy)


# -- the batch planner agrees ------------------------------------------------------------------


@st.composite
def relationship_cases(draw):
    """Customers placed on every stage (relationship rungs and off the ladder included)."""
    person, facts, when, policy = draw(situations())
    stage = draw(st.sampled_from(LADDER.stage_names))
    placed = LADDER.move_to(person, stage, at=person.updated_at)
    facts = attrs.evolve(
        facts,
        loyalty_member=draw(st.booleans()),
        referrals=draw(st.integers(0, 3)),
        partner_agreement=draw(st.booleans()),
    )
    return placed, facts, when, policy


def outcome(call):
    try:
        return call()
    except CrmcoreError as error:
        return error


@given(relationship_cases())
def test_the_batch_plans_the_relationship_rungs_as_the_per_customer_path(case):
    """The same steps (or the same error) for rows on and off the relationship rungs."""
    person, facts, when, policy = case
    expected = outcome(lambda: progression_steps(person, facts, at=when, policy=policy))
    planned = outcome(
        lambda: plan_progression([ProgressionRow.of(person, facts)], at=when, policy=policy)
    )
    if isinstance(expected, CrmcoreError):
        assert isinstance(planned, type(expected))
        return
    state = LADDER.state_of(person)
    moves = (PlannedMove(person.id, state.stage, state.entered_at, expected),) if expected else ()
    assert moves == planned


# -- ladder_facts ------------------------------------------------------------------------------

POOL = tuple(CustomerId(f"c-{n}") for n in range(4))
KINDS = [
    RelationshipKind.PARTNER,
    RelationshipKind.RESELLER,
    RelationshipKind.REFERRED_BY,
    RelationshipKind.CONTACT_OF,
]


def _unique(drawn):
    by_id = {}
    for rel in drawn:
        by_id[rel.id] = rel
    return list(by_id.values())


@given(
    st.lists(relationships(kinds=KINDS, party_ids=POOL, pending_events=False), max_size=8).map(
        _unique
    ),
    st.lists(loyalty_accounts(customer_ids=POOL, max_steps=0, pending_events=False), max_size=3),
    st.sampled_from(POOL),
    st.datetimes(
        min_value=datetime(1995, 1, 1),  # noqa: DTZ001 - made aware below
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    ).map(lambda moment: moment.replace(tzinfo=UTC)),
    POLICIES,
)
def test_ladder_facts_match_a_brute_force_scan(rels, accounts, who, when, policy):
    """Partner, membership and referral counts are those a plain scan finds at ``when``."""
    facts = ladder_facts(who, at=when, relationships=rels, loyalty_accounts=accounts, policy=policy)
    window = policy.referral_window
    partner = any(
        r.kind in {RelationshipKind.PARTNER, RelationshipKind.RESELLER}
        and r.party_id == who
        and r.valid_from <= when
        and (r.valid_until is None or when < r.valid_until)
        for r in rels
    )
    referred = {
        r.party_id
        for r in rels
        if r.kind is RelationshipKind.REFERRED_BY
        and r.related_id == who
        and r.valid_from <= when
        and (r.valid_until is None or when < r.valid_until)
        and (window is None or when < r.valid_from + window)
    }
    member = any(a.customer_id == who and a.enrolled_at <= when for a in accounts)
    assert (partner, member, len(referred)) == (
        facts.partner_agreement,
        facts.loyalty_member,
        facts.referrals,
    )
    same = ladder_facts(
        who,
        at=when,
        relationships=RelationshipGraph(rels),
        loyalty_accounts=accounts,
        policy=policy,
    )
    assert facts == same


T0 = datetime(2026, 1, 5, tzinfo=UTC)


def test_ladder_facts_keep_the_purchase_facts_and_replace_the_relationship_facts():
    """Purchases come from `purchases`; the relationship facts only from relationships and accounts."""
    purchases = Facts(
        purchase_count=2,
        first_purchase_at=T0,
        last_purchase_at=T0 + timedelta(days=3),
        partner_agreement=True,
        referrals=5,
        loyalty_member=True,
    )
    facts = ladder_facts(CustomerId("ana"), at=T0 + timedelta(days=4), purchases=purchases)
    assert (
        attrs.evolve(purchases, partner_agreement=False, referrals=0, loyalty_member=False) == facts
    )
    assert Facts() == ladder_facts(CustomerId("ana"), at=T0)


def test_referrals_count_for_the_policy_window():
    """A referral counts for `referral_window` after it was made (24 months by default)."""
    ana = CustomerId("ana")
    tip = Relationship.establish(
        RelationshipId("r-1"),
        kind="referred_by",
        party_id=CustomerId("budi"),
        related_id=ana,
        at=T0,
    )
    end = T0 + relativedelta(months=24)
    assert 1 == ladder_facts(ana, at=end - timedelta(microseconds=1), relationships=[tip]).referrals
    assert 0 == ladder_facts(ana, at=end, relationships=[tip]).referrals
    forever = ProgressionPolicy(referral_window=None)
    assert 1 == ladder_facts(ana, at=end, relationships=[tip], policy=forever).referrals
    assert 0 == ladder_facts(ana, at=T0 - timedelta(seconds=1), relationships=[tip]).referrals


def test_a_partner_relationship_drives_the_partner_rung_end_to_end():
    """Partner while the agreement holds, however long without buying; stepped down once it ends."""
    from crmcore import Customer, PersonName  # noqa: PLC0415 - local to this example

    who = CustomerId("ana")
    deal = Relationship.establish(
        RelationshipId("r-1"), kind="reseller", party_id=who, at=T0, valid_from=T0
    )
    bought = Facts(purchase_count=1, last_purchase_at=T0)
    ana = Customer.register(who, name=PersonName("Ana"), at=T0)
    for days in (1, 400, 800, 3000):
        when = T0 + timedelta(days=days)
        facts = ladder_facts(who, at=when, purchases=bought, relationships=[deal])
        ana = progress(ana, facts, at=when)
        assert "partner" == ana.lifecycle.stage
    ended = deal.end(at=T0 + timedelta(days=3001))
    when = T0 + timedelta(days=3002)
    ana = progress(
        ana, ladder_facts(who, at=when, purchases=bought, relationships=[ended]), at=when
    )
    assert ("churned", "partnership_ended") == (
        ana.lifecycle.stage,
        ana.lifecycle.history[-2].reason.split(":")[0],
    )


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"customer_id": "ana"}, "$.customer_id"),
        ({"at": datetime(2026, 1, 1)}, "$.at"),  # noqa: DTZ001 - naive on purpose
        ({"purchases": {}}, "$.purchases"),
        ({"relationships": ["r-1"]}, "$.relationships[0]"),
        ({"loyalty_accounts": ["a-1"]}, "$.loyalty_accounts[0]"),
        ({"policy": None}, "$.policy"),
    ],
)
def test_ladder_facts_check_their_arguments(kwargs, path):
    """Junk is refused with the argument's path."""
    args = {"customer_id": CustomerId("ana"), "at": T0} | kwargs
    customer_id = args.pop("customer_id")
    with pytest.raises(ValidationError) as info:
        ladder_facts(customer_id, **args)
    assert info.value.path.startswith(path)


def test_the_referral_window_is_checked_and_round_trips():
    """A relative, positive window or None; policies keep it through serialization."""
    for bad, code in ((relativedelta(months=-1), "window"), (relativedelta(month=3), "absolute")):
        with pytest.raises(ValidationError) as info:
            ProgressionPolicy(referral_window=bad)
        assert ("$.referral_window", code) == (info.value.path, info.value.code)
    with pytest.raises(InvalidType):
        ProgressionPolicy(referral_window=timedelta(days=30))
    for policy in (DEFAULT_POLICY, ProgressionPolicy(referral_window=None)):
        assert policy == from_dict(ProgressionPolicy, to_dict(policy))
