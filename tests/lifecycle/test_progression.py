"""Tests for `crmcore.lifecycle._progression`: moving customers along the ladder from facts."""

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, Money, PersonName, ValidationError
from crmcore.errors import CurrencyMismatch, InvalidType
from crmcore.lifecycle import (
    DEFAULT_POLICY,
    LADDER_RUNGS,
    RELATIONSHIP_LADDER,
    Facts,
    ProgressionPolicy,
    ProgressionRule,
    justified_rung,
    progress,
    progression_steps,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LADDER = RELATIONSHIP_LADDER
NAIVE = datetime(2024, 2, 1)  # noqa: DTZ001 - a naive time on purpose


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def customer() -> Customer:
    return Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0)


def bought(count: int, first: float, last: float, **more) -> Facts:
    return Facts(
        purchase_count=count, first_purchase_at=at(first), last_purchase_at=at(last), **more
    )


def summary(steps):
    return [(s.trigger, s.to_stage, s.rule) for s in steps]


# -- promotions ------------------------------------------------------------------------------


def test_no_facts_call_for_nothing():
    """A suspect with no purchases and no interest stays a suspect."""
    assert () == progression_steps(customer(), Facts(), at=at(10))


def test_a_qualified_suspect_becomes_a_prospect_at_evaluation_time():
    """Interest without a purchase makes a prospect."""
    steps = progression_steps(customer(), Facts(qualified=True), at=at(3))
    assert [("qualify", "prospect", ProgressionRule.QUALIFIED)] == summary(steps)
    assert at(3) == steps[0].at


def test_the_first_purchase_makes_a_first_time_customer_dated_at_the_purchase():
    """One purchase: first_purchase, dated when it happened."""
    steps = progression_steps(customer(), bought(1, 5, 5), at=at(6))
    assert [("first_purchase", "first_time_customer", ProgressionRule.FIRST_PURCHASE)] == summary(
        steps
    )
    assert at(5) == steps[0].at


def test_the_second_purchase_makes_a_repeat_customer():
    """Two purchases: first and repeat, each dated at its purchase."""
    steps = progression_steps(customer(), bought(2, 5, 9), at=at(10))
    assert [
        ("first_purchase", "first_time_customer", ProgressionRule.FIRST_PURCHASE),
        ("repeat_purchase", "repeat_customer", ProgressionRule.REPEAT_PURCHASE),
    ] == summary(steps)
    assert [at(5), at(9)] == [s.at for s in steps]


def test_clients_need_purchases_and_tenure():
    """Five purchases over a year make a client; fewer days do not."""
    long_enough = progression_steps(customer(), bought(5, 1, 300), at=at(370))
    assert "client" == long_enough[-1].to_stage
    assert ProgressionRule.CLIENT == long_enough[-1].rule
    too_new = progression_steps(customer(), bought(5, 1, 300), at=at(310))
    assert "repeat_customer" == too_new[-1].to_stage
    unknown_first = Facts(purchase_count=5, last_purchase_at=at(300))
    assert (
        "repeat_customer" == progression_steps(customer(), unknown_first, at=at(370))[-1].to_stage
    )


def test_a_client_spend_threshold_is_applied_in_one_currency():
    """With client_spend set, spend below it is not enough; other currencies are refused."""
    policy = ProgressionPolicy(client_spend=Money("1000", "USD"))
    rich = bought(5, 1, 300, total_spend=Money("1500", "USD"))
    poor = bought(5, 1, 300, total_spend=Money("999.99", "USD"))
    assert "client" == progression_steps(customer(), rich, at=at(370), policy=policy)[-1].to_stage
    assert (
        "repeat_customer"
        == progression_steps(customer(), poor, at=at(370), policy=policy)[-1].to_stage
    )
    unknown = bought(5, 1, 300)
    assert (
        "repeat_customer"
        == progression_steps(customer(), unknown, at=at(370), policy=policy)[-1].to_stage
    )
    with pytest.raises(CurrencyMismatch) as info:
        progression_steps(
            customer(),
            bought(5, 1, 300, total_spend=Money("1500", "EUR")),
            at=at(370),
            policy=policy,
        )
    assert info.value.path.startswith("$.facts.total_spend")


@pytest.mark.parametrize(
    ("extra", "stage", "rule"),
    [
        ({"loyalty_member": True}, "member", ProgressionRule.LOYALTY_MEMBERSHIP),
        ({"referrals": 2}, "advocate", ProgressionRule.REFERRALS),
        ({"partner_agreement": True}, "partner", ProgressionRule.PARTNER_AGREEMENT),
        (
            {"partner_agreement": True, "loyalty_member": True, "referrals": 3},
            "partner",
            ProgressionRule.PARTNER_AGREEMENT,
        ),
    ],
)
def test_loyalty_referrals_and_partnership_lift_a_buyer_to_the_highest_rung(extra, stage, rule):
    """The highest rung the facts justify is reached, skipping rungs the ladder lets skip."""
    steps = progression_steps(customer(), bought(1, 5, 5, **extra), at=at(6))
    assert [
        ("first_purchase", "first_time_customer", ProgressionRule.FIRST_PURCHASE),
        (LADDER.route("first_time_customer", stage)[0], stage, rule),
    ] == summary(steps)


def test_rungs_above_prospect_need_a_purchase():
    """Loyalty membership or a partner relationship without a purchase leaves a suspect."""
    facts = Facts(loyalty_member=True, partner_agreement=True, referrals=4)
    assert "suspect" == justified_rung(facts, at(1), DEFAULT_POLICY)
    assert () == progression_steps(customer(), facts, at=at(1))


def test_progress_fires_the_steps_with_the_rule_as_reason():
    """Progress applies every step; each change records its rule in words."""
    moved = progress(customer(), bought(2, 5, 9), at=at(10), actor="nightly-batch")
    assert "repeat_customer" == moved.lifecycle.stage
    changes = moved.lifecycle.history[1:]
    assert ["first_purchase", "repeat_purchase"] == [c.reason.split(":")[0] for c in changes]
    assert {"nightly-batch"} == {c.actor for c in changes}


# -- inactivity and win-back -----------------------------------------------------------------


def test_a_quiet_buyer_lapses_when_the_window_runs_out():
    """No purchase for lapse_after: lapse, dated when the window ended."""
    active = progress(customer(), bought(2, 5, 9), at=at(10))
    steps = progression_steps(active, bought(2, 5, 9), at=at(500))
    assert [("lapse", "lapsed", ProgressionRule.INACTIVITY_LAPSE)] == summary(steps)
    assert at(9) + relativedelta(months=12) == steps[0].at


def test_a_longer_silence_churns_the_customer():
    """Past churn_after: lapse then churn, each dated at its window's end."""
    active = progress(customer(), bought(1, 5, 5), at=at(6))
    steps = progression_steps(active, bought(1, 5, 5), at=at(900))
    assert ["lapse", "churn"] == [s.trigger for s in steps]
    assert [at(5) + relativedelta(months=12), at(5) + relativedelta(months=24)] == [
        s.at for s in steps
    ]
    lapsed = progress(active, bought(1, 5, 5), at=at(500))
    assert [("churn", "churned", ProgressionRule.INACTIVITY_CHURN)] == summary(
        progression_steps(lapsed, bought(1, 5, 5), at=at(900))
    )
    assert () == progression_steps(lapsed, bought(1, 5, 5), at=at(600))


def test_a_purchase_after_lapsing_wins_the_customer_back_to_the_justified_rung():
    """A lapsed customer who buys again returns where the facts put them, dated at the purchase."""
    lapsed = progress(customer(), bought(3, 5, 9), at=at(500))
    assert "lapsed" == lapsed.lifecycle.stage
    returned = bought(4, 5, 520, loyalty_member=True)
    steps = progression_steps(lapsed, returned, at=at(521))
    assert [("win_back_to_member", "member", ProgressionRule.WIN_BACK)] == summary(steps)
    assert at(520) == steps[0].at
    churned = progress(customer(), bought(2, 5, 9), at=at(900))
    assert "churned" == churned.lifecycle.stage
    assert "repeat_customer" == progress(churned, bought(3, 5, 901), at=at(902)).lifecycle.stage


def test_a_win_back_with_an_old_purchase_lapses_again_at_the_right_time():
    """A purchase after lapsing that is itself past the window: back, then lapsed again."""
    lapsed = progress(customer(), bought(1, 5, 5), at=at(400))
    steps = progression_steps(lapsed, bought(2, 5, 401), at=at(800))
    assert ["win_back_to_repeat_customer", "lapse"] == [s.trigger for s in steps]
    assert [at(401), at(401) + relativedelta(months=12)] == [s.at for s in steps]


def test_an_explicit_lapse_is_respected_until_a_new_purchase():
    """A customer lapsed by hand is not won back by purchases made before."""
    active = progress(customer(), bought(2, 5, 9), at=at(10))
    lapsed = LADDER.fire(active, "lapse", at=at(20), reason="closed account")
    assert () == progression_steps(lapsed, bought(2, 5, 9), at=at(30))
    assert "repeat_customer" == progress(lapsed, bought(3, 5, 25), at=at(30)).lifecycle.stage


def test_inactivity_windows_are_configurable():
    """Shorter windows lapse and churn sooner."""
    policy = ProgressionPolicy(
        lapse_after=relativedelta(days=30), churn_after=relativedelta(days=90)
    )
    active = progress(customer(), bought(1, 5, 5), at=at(6), policy=policy)
    assert "lapsed" == progress(active, bought(1, 5, 5), at=at(40), policy=policy).lifecycle.stage
    assert "churned" == progress(active, bought(1, 5, 5), at=at(100), policy=policy).lifecycle.stage


def test_an_imported_customer_with_old_purchases_climbs_then_lapses():
    """Purchases long ago: the customer is placed on the ladder, then lapses and churns."""
    moved = progress(customer(), bought(3, -900, -800), at=at(10))
    assert ["start", "first_purchase", "repeat_purchase", "lapse", "churn"] == [
        c.trigger for c in moved.lifecycle.history
    ]
    assert all(c.at >= T0 for c in moved.lifecycle.history)


# -- demotion --------------------------------------------------------------------------------


def test_progression_does_not_demote_unless_asked():
    """By default demotion on the purchase rungs stays an explicit trigger; demote=True obeys the facts."""
    client = progress(customer(), bought(5, 5, 380), at=at(381))
    assert "client" == client.lifecycle.stage
    facts = bought(2, 5, 380)  # fewer purchases than recorded: a corrected import
    assert () == progression_steps(client, facts, at=at(382))
    steps = progression_steps(client, facts, at=at(382), policy=ProgressionPolicy(demote=True))
    assert [("demote", "repeat_customer", ProgressionRule.DEMOTION)] == summary(steps)


def test_a_quiet_customer_lapses_rather_than_climbing_the_purchase_rungs():
    """A buyer past the lapse window is lapsed where they stand, not promoted by old purchases."""
    first = progress(customer(), bought(1, 5, 5), at=at(6))
    steps = progression_steps(first, bought(2, 3, 5), at=at(400))
    assert ["lapse"] == [s.trigger for s in steps]


# -- the relationship rungs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "stage"),
    [
        ({"loyalty_member": True}, "member"),
        ({"referrals": 1}, "advocate"),
        ({"partner_agreement": True}, "partner"),
    ],
)
def test_purchase_inactivity_never_demotes_a_relationship_rung(held, stage):
    """Behaviour change: a member, advocate or partner no longer lapses or churns for not buying."""
    placed = progress(customer(), bought(2, 5, 9, **held), at=at(10))
    assert stage == placed.lifecycle.stage
    for later in (400, 800, 5000):
        assert () == progression_steps(placed, bought(2, 5, 9, **held), at=at(later))


def test_a_quiet_buyer_who_joins_the_loyalty_program_becomes_a_member():
    """Behaviour change: joining, advocating or partnering lifts a quiet buyer instead of lapsing them."""
    first = progress(customer(), bought(1, 5, 5), at=at(6))
    steps = progression_steps(first, bought(1, 5, 5, loyalty_member=True), at=at(400))
    assert [("join_loyalty", "member", ProgressionRule.LOYALTY_MEMBERSHIP)] == summary(steps)
    assert at(400) == steps[0].at


@pytest.mark.parametrize("stage", ["lapsed", "churned"])
def test_a_lapsed_customer_holding_a_relationship_rung_returns_to_it(stage):
    """Behaviour change: a lapsed member is a member again, at the evaluation time."""
    gone = progress(customer(), bought(1, 5, 5), at=at(900 if stage == "churned" else 400))
    assert stage == gone.lifecycle.stage
    steps = progression_steps(gone, bought(1, 5, 5, partner_agreement=True), at=at(1000))
    assert [("win_back_to_partner", "partner", ProgressionRule.PARTNER_AGREEMENT)] == summary(steps)
    assert at(1000) == steps[0].at
    # A purchase after leaving dates the return at the purchase, as any win-back.
    steps = progression_steps(gone, bought(2, 5, 950, loyalty_member=True), at=at(1000))
    assert [("win_back_to_member", at(950), ProgressionRule.WIN_BACK)] == [
        (s.trigger, s.at, s.rule) for s in steps
    ]


@pytest.mark.parametrize(
    ("held", "still", "target", "rule"),
    [
        ({"partner_agreement": True}, {"referrals": 1}, "advocate", "partnership_ended"),
        ({"partner_agreement": True}, {"loyalty_member": True}, "member", "partnership_ended"),
        ({"partner_agreement": True}, {}, "repeat_customer", "partnership_ended"),
        ({"referrals": 2}, {"loyalty_member": True}, "member", "referrals_lapsed"),
        ({"referrals": 2}, {"referrals": 0}, "repeat_customer", "referrals_lapsed"),
        ({"loyalty_member": True}, {}, "repeat_customer", "membership_ended"),
    ],
)
def test_each_relationship_rung_has_its_own_way_out(held, still, target, rule):
    """Behaviour change: the rung is left when its relationship ends, whatever `demote` says."""
    placed = progress(customer(), bought(2, 5, 9, **held), at=at(10))
    for policy in (DEFAULT_POLICY, ProgressionPolicy(demote=True)):
        steps = progression_steps(placed, bought(2, 5, 9, **still), at=at(30), policy=policy)
        assert [(f"step_down_to_{target}", target, rule)] == summary(steps)
        assert at(30) == steps[0].at
        assert steps[0].reason.startswith(f"{rule}: ")
    moved = progress(placed, bought(2, 5, 9, **still), at=at(30))
    assert () == progression_steps(moved, bought(2, 5, 9, **still), at=at(30))


def test_an_advocate_who_joins_the_loyalty_program_falls_back_to_member():
    """An advocate who enrols stays an advocate, and is a member once the referrals stop counting."""
    advocate = progress(customer(), bought(2, 5, 9, referrals=1), at=at(10))
    both = bought(2, 5, 9, referrals=1, loyalty_member=True)
    assert () == progression_steps(advocate, both, at=at(20))
    member = progress(advocate, bought(2, 5, 9, loyalty_member=True), at=at(900))
    assert ["become_advocate", "step_down_to_member"] == [
        c.trigger for c in member.lifecycle.history[-2:]
    ]


def test_leaving_a_relationship_rung_after_a_long_silence_lapses_then_churns():
    """Off the relationship with the purchase windows run out: lapsed, churned, at evaluation time."""
    partner = progress(customer(), bought(2, 5, 9, partner_agreement=True), at=at(10))
    steps = progression_steps(partner, bought(2, 5, 9), at=at(500))
    assert [("lapse", "lapsed", ProgressionRule.PARTNERSHIP_ENDED)] == summary(steps)
    steps = progression_steps(partner, bought(2, 5, 9), at=at(1000))
    assert [
        ("lapse", "lapsed", ProgressionRule.PARTNERSHIP_ENDED),
        ("churn", "churned", ProgressionRule.INACTIVITY_CHURN),
    ] == summary(steps)
    assert {at(1000)} == {s.at for s in steps}


def test_a_relationship_rung_placed_by_hand_follows_the_relationship_alone():
    """A partner placed by hand with no purchase stays while the partnership holds, then steps down."""
    partner = LADDER.move_to(customer(), "partner", at=at(1))
    assert () == progression_steps(partner, Facts(partner_agreement=True), at=at(2))
    steps = progression_steps(partner, Facts(loyalty_member=True), at=at(2))
    assert [("step_down_to_member", "member", ProgressionRule.PARTNERSHIP_ENDED)] == summary(steps)
    steps = progression_steps(partner, Facts(qualified=True), at=at(2))
    assert [("step_down_to_prospect", "prospect", ProgressionRule.PARTNERSHIP_ENDED)] == summary(
        steps
    )
    # Without a purchase nobody climbs to a relationship rung.
    assert "suspect" == justified_rung(Facts(partner_agreement=True), at(2), DEFAULT_POLICY)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "path", "code"),
    [
        ({"purchase_count": -1}, "$.purchase_count", "negative"),
        ({"purchase_count": True}, "$.purchase_count", "type"),
        ({"referrals": 1.0}, "$.referrals", "type"),
        ({"purchase_count": 1}, "$.last_purchase_at", "required"),
        ({"last_purchase_at": T0}, "$.last_purchase_at", "inconsistent"),
        (
            {"purchase_count": 2, "first_purchase_at": at(3), "last_purchase_at": at(2)},
            "$.first_purchase_at",
            "order",
        ),
        (
            {"purchase_count": 1, "first_purchase_at": at(1), "last_purchase_at": at(2)},
            "$.first_purchase_at",
            "inconsistent",
        ),
        ({"purchase_count": 1, "last_purchase_at": NAIVE}, "$.last_purchase_at", "naive_datetime"),
        ({"total_spend": "12.50"}, "$.total_spend", "type"),
        ({"loyalty_member": "yes"}, "$.loyalty_member", "type"),
    ],
)
def test_inconsistent_facts_are_refused(kwargs, path, code):
    """Facts are checked when built; the error names the field."""
    with pytest.raises(ValidationError) as info:
        Facts(**kwargs)
    assert (path, code) == (info.value.path, info.value.code)


@pytest.mark.parametrize(
    ("kwargs", "path", "code"),
    [
        ({"lapse_after": relativedelta(month=3)}, "$.lapse_after", "absolute"),
        ({"lapse_after": relativedelta(months=-1)}, "$.lapse_after", "window"),
        ({"lapse_after": relativedelta()}, "$.lapse_after", "window"),
        ({"lapse_after": timedelta(days=30)}, "$.lapse_after", "type"),
        ({"churn_after": relativedelta(months=6)}, "$.churn_after", "window"),
        ({"client_tenure": relativedelta(days=-1)}, "$.client_tenure", "window"),
        ({"repeat_purchases": 1}, "$.repeat_purchases", "too_small"),
        ({"repeat_purchases": 6}, "$.client_purchases", "too_small"),
        ({"client_spend": 100}, "$.client_spend", "type"),
        ({"demote": 1}, "$.demote", "type"),
    ],
)
def test_unreasonable_policies_are_refused(kwargs, path, code):
    """Windows are relative and positive, churn comes after lapse, thresholds make sense."""
    with pytest.raises(ValidationError) as info:
        ProgressionPolicy(**kwargs)
    assert (path, code) == (info.value.path, info.value.code)


def test_the_documented_defaults():
    """Defaults: 2 purchases repeat, 5 over a year client, 1 referral, 12 and 24 months windows."""
    assert (
        2,
        5,
        relativedelta(years=1),
        None,
        1,
        relativedelta(months=12),
        relativedelta(months=24),
        False,
    ) == (
        DEFAULT_POLICY.repeat_purchases,
        DEFAULT_POLICY.client_purchases,
        DEFAULT_POLICY.client_tenure,
        DEFAULT_POLICY.client_spend,
        DEFAULT_POLICY.advocate_referrals,
        DEFAULT_POLICY.lapse_after,
        DEFAULT_POLICY.churn_after,
        DEFAULT_POLICY.demote,
    )
    assert ProgressionPolicy() == DEFAULT_POLICY
    assert hash(ProgressionPolicy()) == hash(DEFAULT_POLICY)


def test_evaluation_times_are_checked():
    """Naive times, times before the last change, and purchases after `at` are refused."""
    active = LADDER.fire(customer(), "qualify", at=at(10))
    with pytest.raises(ValidationError) as info:
        progression_steps(active, Facts(qualified=True), at=at(8))
    assert ("$.at", "backwards") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info:
        progression_steps(customer(), Facts(), at=T0 - timedelta(days=1))
    assert "before_registration" == info.value.code
    with pytest.raises(ValidationError) as info:
        progression_steps(customer(), bought(1, 5, 5), at=at(4))
    assert ("$.facts.first_purchase_at", "after_at") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info:
        progression_steps(customer(), Facts(), at=NAIVE)
    assert "naive_datetime" == info.value.code


def test_arguments_of_the_wrong_type_are_named():
    """Customer, facts and policy are type-checked."""
    for kwargs, path in (
        ({"customer": "c-1"}, "$.customer"),
        ({"facts": {"purchase_count": 1}}, "$.facts"),
        ({"policy": {"demote": True}}, "$.policy"),
    ):
        args = {"customer": customer(), "facts": Facts(), "policy": DEFAULT_POLICY} | kwargs
        with pytest.raises(InvalidType) as info:
            progression_steps(args["customer"], args["facts"], at=at(1), policy=args["policy"])
        assert path == info.value.path


def test_reasons_name_the_rule_and_thresholds():
    """Each step's reason starts with its rule and speaks the policy's numbers."""
    policy = ProgressionPolicy(
        lapse_after=relativedelta(months=18), churn_after=relativedelta(years=3)
    )
    steps = progression_steps(customer(), bought(1, 5, 5), at=at(1200), policy=policy)
    assert [s.rule.value for s in steps] == [s.reason.split(":")[0] for s in steps]
    assert "1 year 6 months" in steps[1].reason
    assert "3 years" in steps[2].reason


# -- properties ------------------------------------------------------------------------------


@st.composite
def facts_and_times(draw):
    count = draw(st.integers(min_value=0, max_value=8))
    now = draw(st.integers(min_value=0, max_value=1500))
    if count:
        last = draw(st.integers(min_value=-400, max_value=now))
        first = last if count == 1 else draw(st.integers(min_value=-900, max_value=last))
        timing = {"first_purchase_at": at(first), "last_purchase_at": at(last)}
    else:
        timing = {}
    facts = Facts(
        purchase_count=count,
        qualified=draw(st.booleans()),
        loyalty_member=draw(st.booleans()),
        referrals=draw(st.integers(min_value=0, max_value=3)),
        partner_agreement=draw(st.booleans()),
        **timing,
    )
    return facts, at(now)


START_STAGES = st.sampled_from([*LADDER.stage_names, None])
POLICIES = st.sampled_from(
    [
        DEFAULT_POLICY,
        ProgressionPolicy(demote=True),
        ProgressionPolicy(
            lapse_after=relativedelta(days=40),
            churn_after=relativedelta(days=80),
            client_tenure=relativedelta(),
        ),
    ]
)


def placed(stage):
    base = customer()
    return base if stage is None else LADDER.move_to(base, stage, at=T0)


@given(START_STAGES, facts_and_times(), POLICIES)
def test_progression_is_idempotent(stage, spec, policy):
    """Applying progression twice to the same facts adds nothing the second time."""
    facts, when = spec
    once = progress(placed(stage), facts, at=when, policy=policy)
    assert () == progression_steps(once, facts, at=when, policy=policy)
    assert once == progress(once, facts, at=when, policy=policy)


@given(START_STAGES, facts_and_times(), POLICIES)
def test_progression_steps_are_moves_the_ladder_allows_in_time_order(stage, spec, policy):
    """Each step leaves where the last one ended, by an allowed trigger, never earlier, never after `at`."""
    facts, when = spec
    start = placed(stage)
    steps = progression_steps(start, facts, at=when, policy=policy)
    current = LADDER.state_of(start)
    previous_stage, previous_at = current.stage, current.entered_at
    for step in steps:
        assert previous_stage == step.from_stage
        assert step.to_stage == LADDER.target_of(step.from_stage, step.trigger)
        assert previous_at <= step.at <= when
        previous_stage, previous_at = step.to_stage, step.at
    final = progress(start, facts, at=when, policy=policy).lifecycle_of(LADDER)
    assert (final.stage if final else "suspect") == previous_stage
    active = facts.last_purchase_at is None or when < facts.last_purchase_at + policy.lapse_after
    started_on_ladder = stage is None or stage in LADDER_RUNGS
    if previous_stage in LADDER_RUNGS and active and started_on_ladder:
        justified = justified_rung(facts, when, policy)
        assert LADDER.rank(previous_stage) >= LADDER.rank(justified)


@pytest.mark.parametrize(
    ("facts", "when", "policy", "path"),
    [
        (None, T0, DEFAULT_POLICY, "$.facts"),
        (Facts(), T0, None, "$.policy"),
        (Facts(), NAIVE, DEFAULT_POLICY, "$.at"),
        (Facts(), None, DEFAULT_POLICY, "$.at"),
    ],
)
def test_justified_rung_checks_its_arguments(facts, when, policy, path):
    """D17: junk is refused with a path (it raised a bare AttributeError)."""
    with pytest.raises(ValidationError) as info:
        justified_rung(facts, when, policy)
    assert path == info.value.path


@pytest.mark.parametrize("field", ["purchase_count", "referrals"])
def test_fact_counts_hold_at_most_63_bits(field):
    """A count no document or database can hold is refused."""
    with pytest.raises(ValidationError) as info:
        Facts(**{field: 2**63})
    assert (f"$.{field}", "range") == (info.value.path, info.value.code)


@pytest.mark.parametrize("field", ["repeat_purchases", "client_purchases", "advocate_referrals"])
def test_policy_thresholds_hold_at_most_63_bits(field):
    """A threshold no document can hold is refused (it built a policy that could not be stored)."""
    with pytest.raises(ValidationError) as info:
        ProgressionPolicy(**{field: 2**63})
    assert (f"$.{field}", "range") == (info.value.path, info.value.code)
