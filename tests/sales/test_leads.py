"""Tests for `crmcore.sales._leads`: capture, qualification, BANT and conversion."""

import json
from datetime import date, datetime, timedelta, timezone

import attrs
import pytest

from crmcore import DomainEvent, InvalidType, Money, StaffId, TransitionNotAllowed, ValidationError
from crmcore.customers import (
    ContactPoint,
    Customer,
    CustomerEvent,
    CustomerId,
    CustomerRegistered,
    OrganizationName,
    PersonName,
)
from crmcore.sales import (
    LEAD_STATUSES,
    STANDARD_PIPELINE,
    BantScore,
    Lead,
    LeadAssigned,
    LeadCaptured,
    LeadConversion,
    LeadConverted,
    LeadDisqualified,
    LeadId,
    LeadQualified,
    LeadScored,
    LeadSource,
    LeadStatus,
    LeadStatusChange,
    LeadStatusChanged,
    OpportunityEvent,
    OpportunityId,
)
from crmcore.serialization import from_dict, to_dict

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
EMAIL = ContactPoint("email", "dewi.lestari@example.com")


def capture(**changes):
    fields = {
        "name": PersonName("Dewi", family="Lestari"),
        "source": "event",
        "at": T0,
        "contact_points": [EMAIL],
        "interest": "Coffee machines",
        "owner": StaffId("rep-3"),
    }
    fields.update(changes)
    return Lead.capture(LeadId("lead-1"), **fields)


def qualified():
    return capture().contact(at=T0 + HOUR).qualify(at=T0 + 2 * HOUR)


def roundtrip(obj, cls=None):
    return from_dict(cls or type(obj), json.loads(json.dumps(to_dict(obj))))


def test_capture_records_the_source_and_starts_new():
    """A captured lead is new; LeadCaptured carries source, campaign, owner and referrer."""
    lead = capture(source=LeadSource.REFERRAL, referred_by=CustomerId("c-9"), campaign=" Ramadan ")
    assert (LeadStatus.NEW, "ramadan", True) == (lead.status, lead.campaign, lead.is_open)
    assert (LeadStatusChange(LeadStatus.NEW, T0),) == lead.history
    assert (
        LeadCaptured(
            sequence=1,
            occurred_at=T0,
            lead_id=LeadId("lead-1"),
            source=LeadSource.REFERRAL,
            campaign="ramadan",
            owner=StaffId("rep-3"),
            referred_by=CustomerId("c-9"),
        ),
    ) == lead.pending_events


def test_the_repr_hides_personal_data():
    """Name, contact points and interest stay out of the repr."""
    text = repr(capture())
    for private in ("Dewi", "Lestari", "dewi.lestari", "Coffee"):
        assert private not in text


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"name": "Dewi"}, "$.name"),
        ({"source": "billboard"}, "$.source"),
        ({"contact_points": [EMAIL, EMAIL]}, "$.contact_points[1]"),
        ({"owner": "rep-3"}, "$.owner"),
        ({"referred_by": "c-9"}, "$.referred_by"),
        ({"campaign": "   "}, "$.campaign"),
    ],
)
def test_capture_validates_its_fields(fields, path):
    """Bad input names its field."""
    with pytest.raises(ValidationError) as info:
        capture(**fields)
    assert path == info.value.path


def test_qualification_walks_the_status_machine():
    """A lead goes new -> contacted -> qualified, each recorded; the same status again is a no-op."""
    lead = qualified()
    assert [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED] == [
        c.status for c in lead.history
    ]
    changed, qualified_event = lead.pending_events[1:]
    assert (
        LeadStatusChanged(
            sequence=2,
            occurred_at=T0 + HOUR,
            lead_id=lead.id,
            from_status=LeadStatus.NEW,
            to_status=LeadStatus.CONTACTED,
        )
        == changed
    )
    assert isinstance(qualified_event, LeadQualified)
    assert lead is lead.qualify(at=T0 + 3 * HOUR)
    assert frozenset({LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED}) == lead.allowed_statuses


def test_a_new_lead_may_be_qualified_straight_away():
    """Qualifying does not need a contact first."""
    assert LeadStatus.QUALIFIED == capture().qualify(at=T0).status


def test_status_changes_outside_the_machine_are_refused():
    """A contacted lead cannot go back to new; converting goes through convert()."""
    contacted = capture().contact(at=T0)
    with pytest.raises(TransitionNotAllowed) as info:
        contacted.change_status("new", at=T0)
    assert ("$.status", "transition") == (info.value.path, info.value.code)
    assert ("lead", "contacted", "new", ("disqualified", "qualified")) == (
        info.value.machine,
        info.value.current,
        info.value.wanted,
        info.value.allowed,
    )
    assert "it may become: disqualified, qualified" in info.value.rule
    lead = qualified()
    with pytest.raises(TransitionNotAllowed) as convert:
        lead.change_status("converted", at=T0 + 3 * HOUR)
    assert ("$.status", "transition") == (convert.value.path, convert.value.code)
    assert "convert()" in convert.value.rule
    assert ("qualified", "converted", ("disqualified",)) == (
        convert.value.current,
        convert.value.wanted,
        convert.value.allowed,
    )
    assert (LeadStatus.QUALIFIED, 3) == (lead.status, len(lead.pending_events))
    assert set(LEAD_STATUSES.transitions) == set(LeadStatus)


@pytest.mark.parametrize(
    ("command", "wanted"),
    [
        (lambda lead: lead.contact(at=T0 + 3 * HOUR), "contacted"),
        (lambda lead: lead.change_status("new", at=T0 + 3 * HOUR), "new"),
        (lambda lead: lead.recycle(at=T0 + 3 * HOUR), "new"),
    ],
)
def test_every_refused_status_change_is_transition_not_allowed(command, wanted):
    """Whatever command asks for it, a change the machine refuses is TransitionNotAllowed."""
    lead = qualified()
    before = (lead, lead.pending_events)
    with pytest.raises(TransitionNotAllowed) as info:
        command(lead)
    assert ("transition", "qualified", wanted) == (
        info.value.code,
        info.value.current,
        info.value.wanted,
    )
    assert before == (lead, lead.pending_events)


def test_disqualifying_needs_a_reason_and_recycling_clears_it():
    """Disqualification keeps its reason until the lead is recycled to new."""
    with pytest.raises(ValidationError) as info:
        capture().change_status("disqualified", at=T0)
    assert ("$.reason", "reason_required") == (info.value.path, info.value.code)
    out = capture().disqualify(at=T0 + HOUR, reason="student, no budget")
    assert (LeadStatus.DISQUALIFIED, "student, no budget", False) == (
        out.status,
        out.disqualification_reason,
        out.is_open,
    )
    assert isinstance(out.pending_events[-1], LeadDisqualified)
    back = out.recycle(at=T0 + 2 * HOUR)
    assert (LeadStatus.NEW, None) == (back.status, back.disqualification_reason)
    with pytest.raises(TransitionNotAllowed) as info:
        capture().recycle(at=T0)
    assert "transition" == info.value.code


def test_bant_score_counts_the_criteria_met():
    """The BANT score is the number of criteria met, from 0 to 4; bools only."""
    assert 0 == BantScore(False, False, False, False).score
    assert 4 == BantScore(True, True, True, True).score
    with pytest.raises(InvalidType) as info:
        BantScore(1, True, True, True)
    assert "$.budget" == info.value.path


def test_scoring_is_recorded_and_may_come_with_qualification():
    """Rescoring records LeadScored; qualify(score=...) scores first; the same score is a no-op."""
    score = BantScore(True, True, True, False)
    lead = capture().qualify(at=T0, score=score)
    assert score == lead.score
    scored, qualified_event = lead.pending_events[-2:]
    assert LeadScored(sequence=2, occurred_at=T0, lead_id=lead.id, score=score) == scored
    assert isinstance(qualified_event, LeadQualified)
    assert lead is lead.rescore(score, at=T0)


def test_assigning_records_the_previous_owner():
    """Assigning records LeadAssigned with the previous owner; None unassigns."""
    lead = capture().assign(StaffId("rep-4"), at=T0).assign(None, at=T0)
    assert lead.owner is None
    assert (
        LeadAssigned(
            sequence=3, occurred_at=T0, lead_id=lead.id, owner=None, previous=StaffId("rep-4")
        )
        == lead.pending_events[-1]
    )


def test_converting_creates_a_customer_with_the_leads_name_and_contact_points():
    """Conversion registers the customer and marks the lead converted."""
    done = qualified().convert(CustomerId("c-77"), at=T0 + 3 * HOUR)
    assert isinstance(done, LeadConversion)
    assert done.opportunity is None
    customer = done.customer
    assert (CustomerId("c-77"), PersonName("Dewi", family="Lestari")) == (
        customer.id,
        customer.name,
    )
    assert EMAIL.value == customer.contact_points[0].value
    assert isinstance(customer.pending_events[0], CustomerRegistered)
    lead = done.lead
    assert (LeadStatus.CONVERTED, CustomerId("c-77"), None) == (
        lead.status,
        lead.customer_id,
        lead.opportunity_id,
    )
    assert (
        LeadConverted(
            sequence=4,
            occurred_at=T0 + 3 * HOUR,
            lead_id=lead.id,
            from_status=LeadStatus.QUALIFIED,
            to_status=LeadStatus.CONVERTED,
            customer_id=CustomerId("c-77"),
        )
        == lead.pending_events[-1]
    )
    assert frozenset() == lead.allowed_statuses


def test_converting_an_organization_lead():
    """An organization lead becomes an organization customer."""
    lead = capture(name=OrganizationName("PT Kopi Kita")).qualify(at=T0)
    assert "organization" == lead.convert(CustomerId("c-1"), at=T0).customer.kind.value


def test_converting_can_open_an_opportunity():
    """With an opportunity id, the new customer gets an opportunity linked to the lead."""
    done = qualified().convert(
        CustomerId("c-77"),
        at=T0 + 3 * HOUR,
        opportunity_id=OpportunityId("opp-1"),
        pipeline=STANDARD_PIPELINE,
        amount=Money(45_000_000, "IDR"),
        expected_close=date(2026, 4, 30),
        stage="qualification",
    )
    deal = done.opportunity
    assert (CustomerId("c-77"), LeadId("lead-1"), "qualification", "Coffee machines") == (
        deal.customer_id,
        deal.lead_id,
        deal.stage,
        deal.name,
    )
    assert StaffId("rep-3") == deal.owner
    assert OpportunityId("opp-1") == done.lead.opportunity_id


@pytest.mark.parametrize(
    ("missing", "path"),
    [
        ("pipeline", "$.pipeline"),
        ("amount", "$.amount"),
        ("expected_close", "$.expected_close"),
    ],
)
def test_an_opportunity_on_conversion_needs_its_fields(missing, path):
    """Pipeline, amount and expected close are required to open the opportunity."""
    given = {
        "pipeline": STANDARD_PIPELINE,
        "amount": Money(1, "IDR"),
        "expected_close": date(2026, 4, 30),
    }
    given.pop(missing)
    lead = qualified()
    with pytest.raises(ValidationError) as info:
        lead.convert(
            CustomerId("c-1"), at=T0 + 3 * HOUR, opportunity_id=OpportunityId("o"), **given
        )
    assert (path, "required") == (info.value.path, info.value.code)
    assert LeadStatus.QUALIFIED == lead.status


def test_an_opportunity_needs_a_name_and_an_owner_from_somewhere():
    """Without interest or owner on the lead, they must be passed."""
    lead = capture(interest=None, owner=None).qualify(at=T0)
    common = {
        "opportunity_id": OpportunityId("o"),
        "pipeline": STANDARD_PIPELINE,
        "amount": Money(1, "IDR"),
        "expected_close": date(2026, 4, 30),
    }
    with pytest.raises(ValidationError) as name:
        lead.convert(CustomerId("c-1"), at=T0, **common)
    assert "$.opportunity_name" == name.value.path
    with pytest.raises(ValidationError) as owner:
        lead.convert(CustomerId("c-1"), at=T0, opportunity_name="Deal", **common)
    assert "$.owner" == owner.value.path
    done = lead.convert(
        CustomerId("c-1"), at=T0, opportunity_name="Deal", owner=StaffId("r"), **common
    )
    assert ("Deal", StaffId("r")) == (done.opportunity.name, done.opportunity.owner)


def test_opportunity_arguments_without_an_opportunity_id_are_refused():
    """Passing a pipeline without an opportunity id is a mistake, not silently ignored."""
    with pytest.raises(ValidationError) as info:
        qualified().convert(CustomerId("c-1"), at=T0 + 3 * HOUR, pipeline=STANDARD_PIPELINE)
    assert ("$.pipeline", "without_opportunity") == (info.value.path, info.value.code)


def test_only_a_qualified_lead_converts_and_only_once():
    """New, contacted, disqualified and converted leads are refused."""
    for lead in (capture(), capture().contact(at=T0), capture().disqualify(at=T0, reason="x")):
        with pytest.raises(TransitionNotAllowed) as info:
            lead.convert(CustomerId("c-1"), at=T0 + HOUR)
        assert ("$.status", "transition") == (info.value.path, info.value.code)
    converted = qualified().convert(CustomerId("c-1"), at=T0 + 3 * HOUR).lead
    with pytest.raises(TransitionNotAllowed) as again:
        converted.convert(CustomerId("c-2"), at=T0 + 4 * HOUR)
    assert "that status is final" in again.value.rule
    assert () == again.value.allowed
    with pytest.raises(ValidationError) as rescore:
        converted.rescore(BantScore(True, True, True, True), at=T0 + 4 * HOUR)
    assert "converted" == rescore.value.code
    with pytest.raises(TransitionNotAllowed) as requalify:
        converted.qualify(at=T0 + 4 * HOUR, score=BantScore(True, True, True, True))
    assert ("converted", "qualified") == (requalify.value.current, requalify.value.wanted)


@pytest.mark.parametrize(
    "command",
    [
        lambda lead, at: lead.qualify(at=at),
        lambda lead, at: lead.qualify(at=at, score=BantScore(True, True, True, True)),
        lambda lead, at: lead.contact(at=at),
        lambda lead, at: lead.disqualify(at=at, reason="no budget"),
        lambda lead, at: lead.rescore(BantScore(True, False, False, False), at=at),
        lambda lead, at: lead.assign(StaffId("rep-9"), at=at),
        lambda lead, at: lead.assign(StaffId("rep-3"), at=at),
        lambda lead, at: lead.convert(CustomerId("c-1"), at=at),
    ],
)
def test_times_never_go_backwards(command):
    """A command dated before the last change is refused (time_backwards) and changes nothing."""
    lead = capture().contact(at=T0 + HOUR)
    before = (lead, lead.pending_events, lead.updated_at)
    with pytest.raises(ValidationError) as info:
        command(lead, T0 + HOUR / 2)
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    assert before == (lead, lead.pending_events, lead.updated_at)


def test_commands_at_the_time_of_the_last_change_are_accepted():
    """Times may stand still: a command dated exactly at the last change is fine."""
    lead = capture().contact(at=T0 + HOUR).qualify(at=T0 + HOUR)
    assert (LeadStatus.QUALIFIED, T0 + HOUR) == (lead.status, lead.updated_at)


def test_events_carry_the_envelope():
    """Events are numbered 1..n with derived ids; actor and correlation id come from the command."""
    lead = capture(actor="web-form")
    lead = lead.contact(at=T0 + HOUR, actor="rep-3", correlation_id="call-1")
    lead = lead.qualify(
        at=T0 + 2 * HOUR,
        score=BantScore(True, True, False, True),
        actor="rep-3",
        causation_id="m-9",
    )
    events = lead.pending_events
    assert [1, 2, 3, 4] == [e.sequence for e in events]
    assert ["lead:lead-1#1", "lead:lead-1#2", "lead:lead-1#3", "lead:lead-1#4"] == [
        e.event_id for e in events
    ]
    assert {("lead", "lead-1")} == {(e.aggregate_kind, e.aggregate_id) for e in events}
    assert ["web-form", "rep-3", "rep-3", "rep-3"] == [e.actor for e in events]
    assert [None, "call-1", None, None] == [e.correlation_id for e in events]
    assert [None, None, "m-9", "m-9"] == [e.causation_id for e in events]
    assert (4, T0 + 2 * HOUR) == (lead.sequence, lead.updated_at)
    stored = lead.without_pending_events().assign(StaffId("rep-4"), at=T0 + 3 * HOUR)
    assert [5] == [e.sequence for e in stored.pending_events]
    with pytest.raises(ValidationError) as unknown:
        lead.contact(at=T0 + 3 * HOUR, user="rep-3")
    assert ("$", "unknown_keyword") == (unknown.value.path, unknown.value.code)


def test_conversion_passes_the_envelope_to_the_customer_and_the_opportunity():
    """The actor and correlation id of a conversion are on the events of all three aggregates."""
    done = qualified().convert(
        CustomerId("c-77"),
        at=T0 + 3 * HOUR,
        opportunity_id=OpportunityId("opp-1"),
        pipeline=STANDARD_PIPELINE,
        amount=Money(45_000_000, "IDR"),
        expected_close=date(2026, 4, 30),
        actor="rep-3",
        correlation_id="req-7",
    )
    lead_event = done.lead.pending_events[-1]
    assert ("lead:lead-1#4", "rep-3", "req-7") == (
        lead_event.event_id,
        lead_event.actor,
        lead_event.correlation_id,
    )
    for event in (*done.customer.pending_events, *done.opportunity.pending_events):
        assert isinstance(event, CustomerEvent | OpportunityEvent)
        assert ("rep-3", "req-7", T0 + 3 * HOUR) == (
            event.actor,
            event.correlation_id,
            event.occurred_at,
        )
    assert ["customer:c-77#1", "customer:c-77#2"] == [
        e.event_id for e in done.customer.pending_events
    ]
    assert ["opportunity:opp-1#1"] == [e.event_id for e in done.opportunity.pending_events]


def test_events_carry_no_free_text():
    """Reasons, the name, the interest and contact points stay in the lead, out of its events."""
    lead = (
        capture()
        .disqualify(at=T0 + HOUR, reason="Pak Budi says no budget")
        .recycle(at=T0 + 2 * HOUR, reason="Budi called back")
    )
    assert "Pak Budi says no budget" == lead.history[1].reason
    for event in lead.pending_events:
        assert not {"reason", "name", "interest", "contact_points"} & {
            f.name for f in attrs.fields(type(event))
        }
        text = json.dumps(to_dict(event))
        for private in ("Budi", "Dewi", "Coffee", "dewi.lestari"):
            assert private not in text


def test_leads_and_their_events_round_trip_through_json():
    """Leads in every state, conversions and events survive to_dict, JSON and from_dict."""
    done = (
        capture(
            name=OrganizationName("PT Kopi Kita"), campaign="ramadan", referred_by=CustomerId("c-9")
        )
        .disqualify(at=T0, reason="no budget")
        .recycle(at=T0 + HOUR)
        .qualify(at=T0 + 2 * HOUR, score=BantScore(True, False, True, True))
        .assign(StaffId("rep-5"), at=T0 + 2 * HOUR)
        .convert(
            CustomerId("c-1"),
            at=T0 + 3 * HOUR,
            opportunity_id=OpportunityId("opp-1"),
            pipeline=STANDARD_PIPELINE,
            amount=Money(1_000, "USD"),
            expected_close=date(2026, 5, 1),
        )
    )
    for obj in (done.lead, capture(), done.customer, done.opportunity, done):
        back = roundtrip(obj)
        assert obj == back
    assert done.lead.pending_events == roundtrip(done.lead).pending_events
    assert Customer is type(roundtrip(done).customer)
    for event in done.lead.pending_events:
        assert event == roundtrip(event, DomainEvent)
    assert () == done.lead.without_pending_events().pending_events


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (lambda d: d.update(customer_id=None), "$.customer_id", "status_mismatch"),
        (lambda d: d["history"][1].update(reason=None), "$.history[1].reason", "reason_required"),
        (lambda d: d["history"][2].update(status="converted"), "$.history[2].status", "transition"),
        (lambda d: d["history"][0].update(status="contacted"), "$.history[0]", "history_start"),
    ],
)
def test_tampered_lead_documents_are_refused(change, path, code):
    """Stored leads follow the same rules as the commands."""
    lead = capture().disqualify(at=T0, reason="x").recycle(at=T0).qualify(at=T0)
    lead = lead.convert(CustomerId("c-1"), at=T0).lead
    document = to_dict(lead.without_pending_events())
    change(document)
    with pytest.raises(ValidationError) as info:
        from_dict(Lead, document)
    assert (path, code) == (info.value.path, info.value.code)
