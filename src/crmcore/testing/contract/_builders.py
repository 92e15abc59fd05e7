"""How the contract builds and changes the aggregates of every repository besides customers."""

from __future__ import annotations

from datetime import timedelta

from crmcore._kernel._ids import ActivityId, NoteId, PrivacyRequestId, StaffId
from crmcore._kernel._money import Money
from crmcore._kernel._refs import RecordRef
from crmcore.activities import Activity
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    PaymentId,
    PaymentStatus,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from crmcore.customers import (
    PersonName,
)
from crmcore.feedback import (
    CesResponse,
    CsatResponse,
    FeedbackId,
    NpsResponse,
    Review,
    ReviewId,
    SurveyResponse,
)
from crmcore.interactions import Interaction, InteractionId
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId, LoyaltyProgram, ProgramId, Tier
from crmcore.notes import Note
from crmcore.parties import Relationship, RelationshipId
from crmcore.privacy import DataSubjectRequest, RequestStatus
from crmcore.sales import STANDARD_PIPELINE, Lead, LeadId, LeadStatus, Opportunity, OpportunityId
from crmcore.service import Case, CaseId, CaseStatus
from crmcore.teams import StaffMember, Team, TeamId
from crmcore.testing.contract._support import T0, _customer_id

# -- commerce -----------------------------------------------------------------------------


def _make_order(number: int, customer: int) -> Order:
    lines = [
        OrderLine(ProductId("sku-1"), 2, Money("10.00", "USD"), category="books"),
        OrderLine(ProductId(f"sku-{number}"), 1, Money("5.00", "USD"), category="games"),
    ]
    return Order.place(
        OrderId(f"o-{number:04d}"), customer_id=_customer_id(customer), lines=lines, at=T0
    )


def _change_order(order: Order) -> Order:
    """The order's next step: delivered (cash on delivery), paid, partly refunded, refunded."""
    if not order.is_fulfilled:
        return order.fulfil(at=T0)
    if order.payment_status is PaymentStatus.UNPAID:
        payment = PaymentId(f"p-{len(order.payments) + 1}")
        return order.record_payment(payment, order.balance_due, at=T0)
    if order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED):
        return order.refund(min(order.refundable, Money("15.00", "USD")), at=T0)
    return order


def _make_subscription(number: int, customer: int) -> Subscription:
    plan = Plan(
        id=PlanId(f"plan-{number % 2}"),
        name="Basic",
        price=Money("9.99", "EUR"),
        period=Period.months(1),
        product_type="streaming",
    )
    return Subscription.start(
        SubscriptionId(f"s-{number:04d}"), customer_id=_customer_id(customer), plan=plan, at=T0
    )


def _change_subscription(subscription: Subscription) -> Subscription:
    """The subscription's next step: a fee paid, then cancelled, then nothing."""
    if subscription.status is SubscriptionStatus.CANCELLED:
        return subscription
    if not subscription.payments:
        return subscription.record_payment(PaymentId("p-1"), subscription.fee, at=T0)
    return subscription.cancel(at=T0, immediately=True)


# -- interactions -------------------------------------------------------------------------


def _make_interaction(number: int, customer: int) -> Interaction:
    return Interaction.log(
        InteractionId(f"i-{number:04d}"),
        customer_id=_customer_id(customer),
        kind="call",
        channel="phone",
        direction="inbound",
        at=T0,
        case_id=_CASE_LINKS[number % 3] if number % 2 else None,
    )


def _change_interaction(interaction: Interaction) -> Interaction:
    """Link the interaction to the next case, and to an opportunity."""
    current = -1 if interaction.case_id is None else _CASE_LINKS.index(interaction.case_id)
    return interaction.link(
        at=T0,
        case_id=_CASE_LINKS[(current + 1) % len(_CASE_LINKS)],
        opportunity_id=OpportunityId("opp-1"),
    )


# -- service ------------------------------------------------------------------------------


_CASE_LINKS = tuple(CaseId(f"case-{n}") for n in range(3))


_AGENTS = (StaffId("agent-1"), StaffId("agent-2"))


def _other_agent(current: StaffId | None) -> StaffId:
    """The agent to hand work held by ``current`` to: the second after the first, else the first."""
    return _AGENTS[1] if current == _AGENTS[0] else _AGENTS[0]


def _make_case(number: int, customer: int) -> Case:
    return Case.open(
        CaseId(f"case-{number:04d}"),
        customer_id=_customer_id(customer),
        kind="complaint",
        subject="Parcel arrived damaged",
        channel="email",
        at=T0,
        assignee=_AGENTS[number % 2] if number % 3 else None,
        order_id=OrderId(f"o-{number % 3:04d}"),
    )


def _change_case(case: Case) -> Case:
    """Hand the case to the other agent and move it one status on."""
    case = case.assign(_other_agent(case.assignee), at=T0)
    if case.first_responded_at is None:
        return case.respond(at=T0)
    moves = {
        CaseStatus.OPEN: CaseStatus.PENDING_CUSTOMER,
        CaseStatus.PENDING_CUSTOMER: CaseStatus.RESOLVED,
        CaseStatus.RESOLVED: CaseStatus.CLOSED,
        CaseStatus.CLOSED: CaseStatus.OPEN,
    }
    return case.change_status(moves[case.status], at=T0)


# -- feedback -----------------------------------------------------------------------------


_SURVEY_TYPES: tuple[type[CsatResponse | NpsResponse | CesResponse], ...] = (
    CsatResponse,
    NpsResponse,
    CesResponse,
)


def _make_review(number: int, customer: int) -> Review:
    return Review.receive(
        ReviewId(f"r-{number:04d}"),
        platform=("Google", "tokopedia")[number % 2],
        rating=number % 5 + 1,
        at=T0,
        customer_id=_customer_id(customer) if number % 3 else None,
    )


def _answer_review(review: Review) -> Review:
    """Answer the review (answering again changes nothing)."""
    return review.answer(at=T0)


def _make_survey(number: int, customer: int) -> SurveyResponse:
    cls = _SURVEY_TYPES[number % 3]
    return cls.record(
        FeedbackId(f"f-{number:04d}"),
        customer_id=_customer_id(customer),
        score=cls.min_score + number % (cls.max_score - cls.min_score + 1),
        at=T0,
        case_id=_CASE_LINKS[number % 3] if number % 2 else None,
        order_id=OrderId(f"o-{number % 2:04d}") if number % 3 else None,
    )


def _unchanged(aggregate: object) -> object:
    """A survey answer has no commands: it is saved as it is."""
    return aggregate


# -- loyalty ------------------------------------------------------------------------------


def _make_loyalty_account(number: int, customer: int) -> LoyaltyAccount:
    return LoyaltyAccount.enroll(
        LoyaltyAccountId(f"la-{number:04d}"),
        customer_id=_customer_id(customer),
        program=_PROGRAMS[number % 7],
        at=T0,
    )


def _change_loyalty_account(account: LoyaltyAccount) -> LoyaltyAccount:
    """Earn 150 points: silver after one change, gold after two."""
    program = _PROGRAMS[int(account.program_id.value.removeprefix("prog-"))]
    return account.earn(150, program, at=T0, reason="activity")


# Memberships: program ``number % 7`` never meets the same customer twice among
# the accounts one test of the contract makes, so the natural key holds.
_PROGRAMS = tuple(
    LoyaltyProgram(
        id=ProgramId(f"prog-{n}"),
        name="Points",
        currency="USD",
        tiers=[
            Tier.by_points("bronze", 0, below=100),
            Tier.by_points("silver", 100, below=300),
            Tier.by_points("gold", 300),
        ],
    )
    for n in range(7)
)


# -- sales --------------------------------------------------------------------------------


def _make_lead(number: int, customer: int) -> Lead:
    lead = Lead.capture(
        LeadId(f"lead-{number:04d}"),
        name=PersonName(f"Lead {number}"),
        source=("web", "referral", "event")[number % 3],
        at=T0,
        owner=_AGENTS[number % 2] if number % 3 else None,
    )
    if number % 2:
        return lead.qualify(at=T0).convert(_customer_id(customer), at=T0).lead
    return lead


def _change_lead(lead: Lead) -> Lead:
    """Hand the lead to the other agent and move it one status on (a converted lead: only hand it)."""
    lead = lead.assign(_other_agent(lead.owner), at=T0)
    moves = {
        LeadStatus.NEW: lambda: lead.contact(at=T0),
        LeadStatus.CONTACTED: lambda: lead.qualify(at=T0),
        LeadStatus.QUALIFIED: lambda: lead.disqualify(at=T0, reason="no budget"),
        LeadStatus.DISQUALIFIED: lambda: lead.recycle(at=T0),
    }
    move = moves.get(lead.status)
    return lead if move is None else move()


def _make_opportunity(number: int, customer: int) -> Opportunity:
    return Opportunity.open(
        OpportunityId(f"opp-{number:04d}"),
        customer_id=_customer_id(customer),
        name="Fleet renewal",
        amount=Money("1000.00", "USD"),
        expected_close=T0.date(),
        owner=_AGENTS[number % 2],
        pipeline=STANDARD_PIPELINE,
        at=T0,
        stage=STANDARD_PIPELINE.open_stages[number % 2].code,
    )


def _change_opportunity(deal: Opportunity) -> Opportunity:
    """Hand the deal to the other agent and move it on: next open stage, lost, reopened."""
    deal = deal.assign(_other_agent(deal.owner), at=T0)
    if deal.is_lost:
        return deal.reopen(STANDARD_PIPELINE, at=T0)
    codes = [stage.code for stage in STANDARD_PIPELINE.open_stages]
    position = codes.index(deal.stage)
    if position + 1 < len(codes):
        return deal.move_to(codes[position + 1], STANDARD_PIPELINE, at=T0)
    return deal.lose(STANDARD_PIPELINE, at=T0, reason="went with a competitor")


# -- parties ------------------------------------------------------------------------------


def _make_relationship(number: int, customer: int) -> Relationship:
    """Relationship ``number`` of customer ``customer``.

    The customer is a partner of the business (no related party), except
    for numbers divisible by 4, where the customer was referred by customer
    ``customer % 3 + 1`` (the tests using those numbers store customers 1
    to 3). Each number has its own validity (20 days from day
    ``30 * number``), so the contract's relationships never conflict.
    """
    start = T0 + timedelta(days=30 * number)
    referred = number % 4 == 0
    return Relationship.establish(
        RelationshipId(f"rel-{number:04d}"),
        kind="referred_by" if referred else "partner",
        party_id=_customer_id(customer),
        related_id=_customer_id(customer % 3 + 1) if referred else None,
        roles=[] if referred else ["reseller"],
        valid_from=start,
        valid_until=start + timedelta(days=20),
        at=T0,
    )


def _change_relationship(relationship: Relationship) -> Relationship:
    """Make the relationship primary, then add or drop the role ``champion``."""
    if not relationship.primary:
        return relationship.set_primary(at=T0)
    roles = set(relationship.roles) ^ {"champion"}
    return relationship.change_roles(sorted(roles), at=T0)


# -- teams --------------------------------------------------------------------------------


def _make_staff_member(number: int, _customer: int) -> StaffMember:
    return StaffMember.register(
        StaffId(f"staff-{number:04d}"),
        display_name=f"Staff {number}",
        roles=[("sales_rep", "support_agent")[number % 2]],
        at=T0,
    )


def _change_staff_member(member: StaffMember) -> StaffMember:
    """Grant ``team_lead``, then deactivate and reactivate in turn."""
    if not member.has_role("team_lead"):
        return member.grant_role("team_lead", at=T0)
    if member.active:
        return member.deactivate(at=T0)
    return member.reactivate(at=T0)


def _make_team(number: int, _customer: int) -> Team:
    """A team of one or two of the contract's agents, without a manager (no reference)."""
    return Team.form(
        TeamId(f"team-{number:04d}"),
        name=f"Team {number}",
        members=list(_AGENTS[: 1 + number % 2]),
        at=T0,
    )


def _change_team(team: Team) -> Team:
    """Add the missing agent, or else remove the first member."""
    for agent in _AGENTS:
        if not team.has_member(agent):
            return team.add_member(agent, at=T0)
    return team.remove_member(team.members[0], at=T0)


# -- activities and notes -----------------------------------------------------------------


def _make_activity(number: int, customer: int) -> Activity:
    """A call with customer ``customer``, due ``number % 7 + 1`` days after T0, owned by an agent."""
    contact = _customer_id(customer)
    return Activity.plan(
        ActivityId(f"act-{number:04d}"),
        kind="call",
        subject=f"Call {number}",
        due_at=T0 + timedelta(days=number % 7 + 1),
        at=T0,
        owner_id=_AGENTS[number % 2],
        contacts=[contact],
        link=RecordRef.to(contact),
    )


def _change_activity(activity: Activity) -> Activity:
    """Move a planned activity one day later; a done or cancelled one has no command left."""
    if not activity.is_planned:
        return activity
    return activity.reschedule(activity.due_at + timedelta(days=1), at=T0)


def _make_note(number: int, customer: int) -> Note:
    """A note on customer ``customer`` by an agent (every third note by nobody)."""
    return Note.write(
        NoteId(f"note-{number:04d}"),
        link=RecordRef.to(_customer_id(customer)),
        body=f"Note {number}",
        author_id=_AGENTS[number % 2] if number % 3 else None,
        at=T0,
    )


def _change_note(note: Note) -> Note:
    """Pin the note, or unpin it."""
    return note.unpin(at=T0) if note.pinned else note.pin(at=T0)


# -- data-subject requests ----------------------------------------------------------------


def _make_privacy_request(number: int, customer: int) -> DataSubjectRequest:
    """An access request of customer ``customer`` under the GDPR (every other one UU PDP)."""
    return DataSubjectRequest.receive(
        PrivacyRequestId(f"dsr-{number:04d}"),
        customer_id=_customer_id(customer),
        kind="access" if number % 3 else "erasure",
        jurisdiction="gdpr" if number % 2 else "uu_pdp",
        channel="email",
        at=T0,
    )


def _change_privacy_request(request: DataSubjectRequest) -> DataSubjectRequest:
    """Verify the subject's identity, then fulfil the request; a closed one stays as it is."""
    if request.status is RequestStatus.RECEIVED:
        return request.verify_identity(at=request.updated_at)
    if request.is_open:
        return request.fulfil(at=request.updated_at)
    return request
