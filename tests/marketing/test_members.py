"""Tests of `crmcore.marketing._members` and `_adding`: members, sending with consent, touches."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, PersonName
from crmcore._kernel._ids import SequentialIdSource
from crmcore.customers import Channel
from crmcore.errors import DuplicateKey, InvalidType, TransitionNotAllowed, ValidationError
from crmcore.marketing import (
    MAX_ADD_MEMBERS,
    MEMBER_STATUSES,
    Campaign,
    CampaignId,
    CampaignMember,
    CampaignMemberAdded,
    CampaignMemberCustomerRepointed,
    CampaignMemberId,
    CampaignMemberStatusChanged,
    MemberStatus,
    Touch,
    add_members,
    touches_of,
)
from crmcore.repository import InMemoryStore, StoreUnitOfWork
from crmcore.repository._marketing import CAMPAIGN_MEMBERS, CAMPAIGNS
from crmcore.repository._marketing_ports import CampaignMemberRepository
from crmcore.sales import BantScore, Lead, LeadId
from crmcore.segmentation import DynamicSegment, SegmentId, field
from crmcore.testing.strategies._marketing import campaign_members

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CMP = CampaignId("cmp-1")
S = MemberStatus
C1 = CustomerId("c-1")


def hours(n: float) -> datetime:
    return AT + timedelta(hours=n)


def customer(name: str = "c-1", *, consent: bool = True) -> Customer:
    made = Customer.register(CustomerId(name), name=PersonName("Ana"), at=AT)
    if consent:
        made = made.give_consent("email", "marketing", at=AT, source="web_form")
    return made


def lead(name: str = "lead-1", *, consent: bool = True) -> Lead:
    made = Lead.capture(LeadId(name), name=PersonName("Dewi"), source="event", at=AT)
    if consent:
        made = made.give_consent("email", "marketing", at=AT, source="web_form")
    return made


def member(subject: CustomerId | LeadId = C1, **changes: object) -> CampaignMember:
    fields: dict[str, object] = {"campaign_id": CMP, "channel": "email", "at": AT}
    if type(subject) is CustomerId:
        fields["customer_id"] = subject
    else:
        fields["lead_id"] = subject
    fields.update(changes)
    return CampaignMember.add(CampaignMemberId("cm-1"), **fields)  # type: ignore[arg-type]


def email_campaign(**changes: object) -> Campaign:
    fields: dict[str, object] = {
        "name": "Spring",
        "campaign_type": "email",
        "channel": "email",
        "at": AT,
    }
    fields.update(changes)
    return Campaign.create(CMP, **fields)  # type: ignore[arg-type]


# -- the status machine -------------------------------------------------------------------------


def test_machine_moves_forward_only_and_two_statuses_are_final():
    funnel = ["targeted", "sent", "delivered", "opened", "clicked", "responded", "converted"]
    for index, status in enumerate(funnel):
        allowed = {s.value for s in MEMBER_STATUSES.allowed(S(status))}
        expected = set(funnel[index + 1 :])
        if status == "targeted":  # nothing is delivered, opened or clicked before it is sent
            expected -= {"delivered", "opened", "clicked"}
        if status != "converted":
            expected.add("unsubscribed")
        assert allowed == expected, status
    assert MEMBER_STATUSES.is_final(S.CONVERTED)
    assert MEMBER_STATUSES.is_final(S.UNSUBSCRIBED)


def test_full_funnel_records_each_step():
    m = member().send(at=hours(1), customer=customer())
    m = m.mark_delivered(at=hours(1)).mark_opened(at=hours(2)).mark_clicked(at=hours(3))
    m = m.respond(at=hours(4)).convert(at=hours(5))
    assert [c.status.value for c in m.history] == [
        "targeted",
        "sent",
        "delivered",
        "opened",
        "clicked",
        "responded",
        "converted",
    ]
    assert isinstance(m.pending_events[0], CampaignMemberAdded)
    changes = m.pending_events[1:]
    assert all(isinstance(e, CampaignMemberStatusChanged) for e in changes)
    assert changes[0].channel is Channel.EMAIL
    assert changes[0].previous is S.TARGETED
    assert (m.sent_at, m.first_responded_at, m.converted_at) == (hours(1), hours(4), hours(5))
    assert m.has_responded
    with pytest.raises(TransitionNotAllowed):
        m.unsubscribe(at=hours(6))


def test_skipping_forward_and_conversion_counts_as_a_response():
    ad = member().convert(at=hours(2))
    assert ad.first_responded_at == hours(2) == ad.converted_at
    replied = member().send(at=hours(1), customer=customer()).respond(at=hours(3))
    assert replied.first_responded_at == hours(3)
    assert replied.converted_at is None
    with pytest.raises(TransitionNotAllowed):
        member().mark_opened(at=hours(1))
    with pytest.raises(TransitionNotAllowed):
        replied.mark_opened(at=hours(4))


def test_unsubscribe_from_any_open_status_keeps_the_response():
    for status in (S.TARGETED, S.SENT, S.RESPONDED):
        m = member()
        if status is not S.TARGETED:
            m = m.send(at=hours(1), customer=customer())
        if status is S.RESPONDED:
            m = m.respond(at=hours(2))
        gone = m.unsubscribe(at=hours(3))
        assert gone.status is S.UNSUBSCRIBED
        assert gone.has_responded == (status is S.RESPONDED)
        with pytest.raises(TransitionNotAllowed):
            gone.respond(at=hours(4))


def test_times_never_go_backwards():
    m = member().respond(at=hours(2))
    with pytest.raises(ValidationError) as caught:
        m.convert(at=hours(1))
    assert caught.value.code == "time_backwards"


def test_member_names_exactly_one_subject():
    with pytest.raises(ValidationError) as caught:
        CampaignMember.add(CampaignMemberId("cm-1"), campaign_id=CMP, at=AT)
    assert (caught.value.path, caught.value.code) == ("$.customer_id", "one_subject")
    with pytest.raises(ValidationError):
        member(lead_id=LeadId("lead-1"))
    with pytest.raises(InvalidType):
        member(campaign_id="cmp-1")
    with pytest.raises(ValidationError):
        member(channel="pigeon")


def test_repr_is_free_of_personal_data():
    assert repr(member()) == (
        "CampaignMember(id=CampaignMemberId('cm-1'), campaign_id=CampaignId('cmp-1'), "
        "subject='customer', status='targeted', version=0, pending_events=1)"
    )
    assert "lead" in repr(member(LeadId("lead-1")))


# -- sending needs consent ---------------------------------------------------------------------


def test_send_without_consent_is_refused_and_changes_nothing():
    m = member()
    with pytest.raises(ValidationError) as caught:
        m.send(at=hours(1), customer=customer(consent=False))
    assert (caught.value.path, caught.value.code) == ("$.consent", "no_consent")
    assert m.status is S.TARGETED
    assert len(m.pending_events) == 1


def test_consent_is_asked_at_the_time_of_sending():
    ana = customer().withdraw_consent("email", "marketing", at=hours(2), source="unsubscribe_link")
    assert member().send(at=hours(1), customer=ana).status is S.SENT
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(3), customer=ana)
    assert caught.value.code == "no_consent"


def test_consent_is_per_channel():
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(1), customer=customer(), channel="sms")
    assert caught.value.code == "no_consent"
    with pytest.raises(ValidationError) as caught:
        member(channel=None).send(at=hours(1), customer=customer())
    assert (caught.value.path, caught.value.code) == ("$.channel", "no_channel")
    assert member(channel=None).send(at=hours(1), customer=customer(), channel="email").sent_at


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            lambda c: c.restrict_processing(at=AT, reason="accuracy_contested"),
            "processing_restricted",
        ),
        (lambda c: c.object_to("direct_marketing", at=AT), "objected_to_direct_marketing"),
    ],
)
def test_restricted_or_objecting_customers_are_not_sent(change, code):
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(1), customer=change(customer()))
    assert (caught.value.path, caught.value.code) == ("$.processing", code)


def test_send_checks_the_subject():
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(1))
    assert caught.value.code == "one_subject"
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(1), customer=customer(), lead=lead())
    assert caught.value.code == "one_subject"
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(1), customer=customer("c-2"))
    assert (caught.value.path, caught.value.code) == ("$.customer", "not_member")
    with pytest.raises(InvalidType):
        member().send(at=hours(1), customer="c-1")
    with pytest.raises(InvalidType):
        member(LeadId("lead-1")).send(at=hours(1), lead="lead-1")
    with pytest.raises(ValidationError) as caught:
        member(LeadId("lead-1")).send(at=hours(1), lead=lead("lead-2"))
    assert (caught.value.path, caught.value.code) == ("$.lead", "not_member")
    with pytest.raises(TransitionNotAllowed):
        member().respond(at=hours(1)).send(at=hours(2), customer=customer())


def test_leads_are_sent_with_their_own_consent():
    dewi = lead()
    sent = member(LeadId("lead-1")).send(at=hours(1), lead=dewi)
    assert sent.status is S.SENT
    with pytest.raises(ValidationError) as caught:
        member(LeadId("lead-1")).send(at=hours(1), lead=lead(consent=False))
    assert caught.value.code == "no_consent"


def converted_lead() -> tuple[Lead, Customer]:
    dewi = lead().contact(at=hours(1)).qualify(at=hours(2), score=BantScore(True, True, True, True))
    done = dewi.convert(CustomerId("c-9"), at=hours(3))
    return done.lead, done.customer


def test_converted_leads_are_messaged_as_customers():
    dewi, customer_9 = converted_lead()
    with pytest.raises(ValidationError) as caught:
        member(LeadId("lead-1")).send(at=hours(4), lead=dewi)
    assert (caught.value.path, caught.value.code) == ("$.lead", "lead_converted")
    # The consent the lead gave moved to the customer it became.
    assert member(customer_9.id).send(at=hours(4), customer=customer_9).status is S.SENT


def test_merges_move_members():
    moved = member().repoint_customer(CustomerId("c-1"), CustomerId("c-2"), at=hours(1))
    assert moved.customer_id == CustomerId("c-2")
    assert isinstance(moved.pending_events[-1], CampaignMemberCustomerRepointed)
    with pytest.raises(ValidationError):
        member(LeadId("lead-1")).repoint_customer(CustomerId("c-1"), CustomerId("c-2"), at=AT)


# -- adding members ----------------------------------------------------------------------------


def test_add_members_from_a_list_keeps_the_order_and_the_channel():
    ids = SequentialIdSource("cm-")
    made = add_members(
        email_campaign(),
        [customer("c-2"), LeadId("lead-1"), CustomerId("c-1"), lead("lead-2")],
        at=AT,
        id_source=ids,
    )
    assert [m.subject_id.value for m in made] == ["c-2", "lead-1", "c-1", "lead-2"]
    assert [m.id.value for m in made] == ["cm-000001", "cm-000002", "cm-000003", "cm-000004"]
    assert all(m.channel is Channel.EMAIL and m.status is S.TARGETED for m in made)
    assert [m.customer_id is None for m in made] == [False, True, False, True]
    sms = add_members(email_campaign(), [CustomerId("c-1")], at=AT, id_source=ids, channel="sms")
    assert sms[0].channel is Channel.SMS


def test_add_members_from_a_segment():
    population = {
        CustomerId("c-3"): {"frequency": 5},
        CustomerId("c-1"): {"frequency": 4},
        CustomerId("c-2"): {"frequency": 1},
    }
    loyal = DynamicSegment(SegmentId("loyal"), "Loyal", field("frequency") >= 3)
    made = add_members(
        email_campaign(), loyal.members(population), at=AT, id_source=SequentialIdSource("cm-")
    )
    assert [m.customer_id for m in made] == [CustomerId("c-1"), CustomerId("c-3")]
    ana = customer("c-1")
    budi = customer("c-2").restrict_processing(at=AT, reason="accuracy_contested")
    vip = DynamicSegment(SegmentId("all"), "All", field("frequency") >= 0)
    audience = vip.audience(
        [ana, budi], at=AT, facts={ana.id: {"frequency": 1}, budi.id: {"frequency": 1}}
    )
    made = add_members(email_campaign(), audience, at=AT, id_source=SequentialIdSource("cm-"))
    assert [m.customer_id for m in made] == [CustomerId("c-1")]


def test_duplicates_are_refused_naming_the_index():
    with pytest.raises(ValidationError) as caught:
        add_members(
            email_campaign(),
            [CustomerId("c-1"), LeadId("c-1"), customer("c-1")],
            at=AT,
            id_source=SequentialIdSource(),
        )
    assert (caught.value.path, caught.value.code) == ("$.subjects[2]", "duplicate")
    existing = add_members(
        email_campaign(), [CustomerId("c-1")], at=AT, id_source=SequentialIdSource("a")
    )
    with pytest.raises(ValidationError) as caught:
        add_members(
            email_campaign(),
            [LeadId("l-1"), CustomerId("c-1")],
            at=AT,
            id_source=SequentialIdSource("b"),
            existing=existing,
        )
    assert (caught.value.path, caught.value.code) == ("$.subjects[1]", "already_member")
    # Members of another campaign do not count.
    other = add_members(
        Campaign.create(CampaignId("cmp-2"), name="Other", campaign_type="email", at=AT),
        [CustomerId("c-1")],
        at=AT,
        id_source=SequentialIdSource("c"),
    )
    assert add_members(
        email_campaign(),
        [CustomerId("c-1")],
        at=AT,
        id_source=SequentialIdSource("d"),
        existing=other,
    )


def test_add_members_refuses_bad_input():
    ids = SequentialIdSource()
    with pytest.raises(ValidationError) as caught:
        add_members(email_campaign().abort(at=AT), [CustomerId("c-1")], at=AT, id_source=ids)
    assert (caught.value.path, caught.value.code) == ("$.campaign.status", "campaign_closed")
    with pytest.raises(ValidationError) as caught:
        add_members(
            email_campaign(),
            [CustomerId("c-1"), CustomerId("c-2")],
            at=AT,
            id_source=lambda: "same",
        )
    assert (caught.value.path, caught.value.code) == ("$.id_source", "duplicate_id")
    with pytest.raises(InvalidType) as caught:
        add_members(email_campaign(), [CustomerId("c-1"), "c-2"], at=AT, id_source=ids)
    assert caught.value.path == "$.subjects[1]"
    with pytest.raises(InvalidType):
        add_members(email_campaign(), {"c-2"}, at=AT, id_source=ids)
    with pytest.raises(InvalidType):
        add_members(email_campaign(), "c-1", at=AT, id_source=ids)
    with pytest.raises(InvalidType):
        add_members("cmp-1", [], at=AT, id_source=ids)
    with pytest.raises(InvalidType):
        add_members(email_campaign(), [], at=AT, id_source="ids")
    with pytest.raises(InvalidType):
        add_members(email_campaign(), [], at=AT, id_source=ids, existing=5)
    with pytest.raises(InvalidType):
        add_members(email_campaign(), [], at=AT, id_source=ids, existing=["cm-1"])
    with pytest.raises(ValidationError):
        add_members(email_campaign(), [], at=datetime(2026, 1, 1), id_source=ids)  # noqa: DTZ001 - naive on purpose
    assert add_members(email_campaign(), [], at=AT, id_source=ids) == ()


def test_add_members_is_bounded():
    many = (CustomerId(f"c-{i}") for i in itertools.count())
    with pytest.raises(ValidationError) as caught:
        add_members(email_campaign(), many, at=AT, id_source=SequentialIdSource())
    assert (caught.value.path, caught.value.code) == ("$.subjects", "too_many")
    too_big = frozenset(CustomerId(f"c-{i}") for i in range(MAX_ADD_MEMBERS + 1))
    with pytest.raises(ValidationError) as caught:
        add_members(email_campaign(), too_big, at=AT, id_source=SequentialIdSource())
    assert caught.value.code == "too_many"
    endless = (member() for _ in itertools.count())
    with pytest.raises(ValidationError) as caught:
        add_members(email_campaign(), [], at=AT, id_source=SequentialIdSource(), existing=endless)
    assert (caught.value.path, caught.value.code) == ("$.existing", "too_many")


# -- touches ----------------------------------------------------------------------------------


def test_touches_are_first_responses_of_customers():
    sent_only = member(CustomerId("c-1")).send(at=hours(1), customer=customer("c-1"))
    replied = member(CustomerId("c-2")).respond(at=hours(5)).convert(at=hours(9))
    early = member(CustomerId("c-3")).convert(at=hours(2))
    lead_member = member(LeadId("lead-1")).respond(at=hours(3))
    touches = touches_of([sent_only, replied, early, lead_member])
    assert touches == (
        Touch(CMP, CustomerId("c-3"), hours(2)),
        Touch(CMP, CustomerId("c-2"), hours(5)),
    )


def test_converted_leads_touch_their_customer():
    dewi, _ = converted_lead()
    responded = member(LeadId("lead-1")).respond(at=hours(4))
    assert touches_of([responded]) == ()
    assert touches_of([responded], leads=[lead("lead-1")]) == ()
    assert touches_of([responded], leads=[dewi]) == (Touch(CMP, CustomerId("c-9"), hours(4)),)


def test_touches_of_refuses_bad_input():
    with pytest.raises(InvalidType) as caught:
        touches_of([member(), "cm-2"])
    assert caught.value.path == "$.members[1]"
    with pytest.raises(InvalidType) as caught:
        touches_of([], leads=["lead-1"])
    assert caught.value.path == "$.leads[0]"
    with pytest.raises(InvalidType):
        touches_of(member())


@given(st.lists(campaign_members(), max_size=8))
def test_one_touch_per_responding_customer_member(members):
    touches = touches_of(members)
    expected = sorted(
        (m.history[i].at, m.campaign_id.value, m.customer_id.value)
        for m in members
        if m.customer_id is not None
        for i in [
            next(
                (k for k, c in enumerate(m.history) if c.status in ("responded", "converted")),
                None,
            )
        ]
        if i is not None
    )
    assert [(t.at, t.campaign_id.value, t.customer_id.value) for t in touches] == expected


@given(campaign_members())
def test_generated_members_follow_the_machine(m):
    MEMBER_STATUSES.check_path([c.status for c in m.history], path="$.history")
    assert (m.customer_id is None) != (m.lead_id is None)
    times = [c.at for c in m.history]
    assert times == sorted(times)
    assert len({c.status for c in m.history}) == len(m.history)


# -- repository ----------------------------------------------------------------------------


def test_member_repository_lookups_and_unique_subjects():
    # Members name customers and leads, which this store does not keep.
    uow = StoreUnitOfWork(
        InMemoryStore(specs=(CAMPAIGNS, CAMPAIGN_MEMBERS)), check_references=False
    )
    with uow:
        uow.repository(Campaign).add(email_campaign())
        repo = uow.repository(CampaignMember)
        assert isinstance(repo, CampaignMemberRepository)
        a, b, c = add_members(
            email_campaign(),
            [CustomerId("c-1"), LeadId("lead-1"), CustomerId("c-2")],
            at=AT,
            id_source=SequentialIdSource("cm-"),
        )
        a = repo.add(a)
        b = repo.add(b.respond(at=hours(1)))
        c = repo.add(c)
        assert [a, b, c] == repo.for_campaign(CMP)
        assert [] == repo.for_campaign(CampaignId("cmp-9"))
        assert [a] == repo.for_customer(CustomerId("c-1"))
        assert [b] == repo.for_lead(LeadId("lead-1"))
        assert [b] == repo.with_status("responded")
        assert [a, c] == repo.with_status(MemberStatus.TARGETED)
        with pytest.raises(ValidationError):
            repo.with_status("bounced")
        with pytest.raises(InvalidType):
            repo.for_customer("c-1")  # type: ignore[arg-type]
        with pytest.raises(InvalidType):
            repo.for_lead(CustomerId("lead-1"))  # type: ignore[arg-type]
        twin = CampaignMember.add(
            CampaignMemberId("cm-9"), campaign_id=CMP, customer_id=CustomerId("c-1"), at=AT
        )
        with pytest.raises(DuplicateKey):
            repo.add(twin)
        # A lead and a customer with the same id text are different subjects.
        repo.add(
            CampaignMember.add(
                CampaignMemberId("cm-8"), campaign_id=CMP, lead_id=LeadId("c-1"), at=AT
            )
        )


@given(
    campaign_members(customer_ids=[], lead_ids=[LeadId("lead-1")]),
    campaign_members(customer_ids=[CustomerId("c-2")], lead_ids=[]),
)
def test_member_strategy_subject_choices(lead_member, customer_member):
    assert lead_member.lead_id == LeadId("lead-1")
    assert customer_member.customer_id == CustomerId("c-2")


def test_member_strategy_arguments():
    with pytest.raises(ValidationError):
        campaign_members(customer_ids=[], lead_ids=[])
    with pytest.raises(InvalidType):
        campaign_members(customer_ids="c-1")


def test_an_unsubscribed_address_is_not_sent_to():
    # The unsubscribe link of a message withdraws consent for that one address: the
    # channel-wide grant must not let the next message go out to it.
    ana = customer().withdraw_consent(
        "email", "marketing", at=hours(1), source="unsubscribe_link", address="ana@example.com"
    )
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(2), customer=ana)
    assert (caught.value.path, caught.value.code) == ("$.consent", "no_consent")
    assert "ana@example.com" not in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(2), customer=ana, address="ana@example.com")
    assert (caught.value.path, caught.value.code) == ("$.consent", "no_consent")
    # Another address of the channel still has the channel-wide grant.
    sent = member().send(at=hours(2), customer=ana, address="ana.work@example.com")
    assert sent.status is S.SENT
    # Before the withdrawal the address was allowed.
    assert member().send(at=hours(0.5), customer=ana).status is S.SENT
    assert "ana" not in repr(sent.pending_events[-1])


def test_send_checks_the_address():
    with pytest.raises(ValidationError) as caught:
        member().send(at=hours(1), customer=customer(), address="not an email")
    assert caught.value.path == "$.address"
