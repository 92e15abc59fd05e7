"""The strategies draw owners, teams, reassignments and lead consent (`crmcore.testing.strategies`).

``customers()``, ``leads()``, ``opportunities()`` and ``cases()`` draw an
optional owner and team at creation and reassignment commands whose team is
left out (kept), cleared with ``None`` or changed; ``leads()`` draws consent
commands and conversions into customers that exist already. These tests show
each of them does get drawn (``hypothesis.find``), that the simplest examples
have no owner and no team, that the id pools and bounds are honoured, and
that what is drawn round-trips through ``crmcore.serialization``.
"""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from crmcore import InvalidType, StaffId, ValidationError
from crmcore.customers import ConsentStatus, CustomerAssigned, CustomerId
from crmcore.sales import (
    LeadAssigned,
    LeadCaptured,
    LeadConsentRecorded,
    LeadConverted,
    LeadStatus,
    OpportunityOpened,
    OpportunityOwnerChanged,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.service import CaseAssigned, CaseOpened
from crmcore.teams import TeamId
from crmcore.testing import strategies as crm
from crmcore.testing.strategies._base import _team_arguments

REP1, REP2 = StaffId("rep-1"), StaffId("rep-2")
JKT, SBY = TeamId("team-jkt"), TeamId("team-sby")
STAFF = [REP1, REP2]
TEAMS = [JKT, SBY]
MAX_REASSIGNMENTS = 6
POOL = [CustomerId(f"c-{number}") for number in range(1, 5)]

#: ``find`` without a database, generating only; the number of examples comes from the profile.
FIND = settings(phases=[Phase.generate], database=None)
#: ``find`` that shrinks, to look at the simplest example.
SHRINK = settings(phases=[Phase.generate, Phase.shrink], database=None)
SOME = settings(suppress_health_check=[HealthCheck.too_slow])

# Strategies rich enough that each kind of step turns up in most examples.
CUSTOMERS = crm.customers(
    max_contact_points=1,
    max_consents=0,
    max_tags=0,
    max_reassignments=MAX_REASSIGNMENTS,
    staff_ids=STAFF,
    team_ids=TEAMS,
)
LEADS = crm.leads(customer_ids=POOL, staff_ids=STAFF, team_ids=TEAMS, max_steps=20)
OPPORTUNITIES = crm.opportunities(staff_ids=STAFF, team_ids=TEAMS, max_steps=20)
CASES = crm.cases(staff_ids=STAFF, team_ids=TEAMS, max_steps=20)


class Drawn:
    """Aggregates ``find`` drew, shown by their ids: the repr of a whole history runs to kilobytes."""

    def __init__(self, values):
        self.values = values

    def __repr__(self):
        return f"Drawn({', '.join(str(value.id) for value in self.values)})"


def drawn(strategy, predicate):
    """An aggregate of ``strategy`` that meets ``predicate``, looked for three at a time.

    The profile decides how many examples ``find`` tries (the first ones small);
    three aggregates an example make a rarer history turn up among them too.
    """
    found = find(
        st.lists(strategy, min_size=3, max_size=3).map(Drawn),
        lambda d: any(predicate(value) for value in d.values),
        settings=FIND,
    )
    return next(value for value in found.values if predicate(value))


def simplest(strategy, predicate=lambda _: True):
    """The example of ``strategy`` meeting ``predicate`` that Hypothesis shrinks to."""
    found = find(
        strategy.map(lambda value: Drawn([value])),
        lambda d: predicate(d.values[0]),
        settings=SHRINK,
    )
    return found.values[0]


def events_of(aggregate, cls):
    return [e for e in aggregate.pending_events if isinstance(e, cls)]


def team_moves(events):
    """How the reassignment events moved the team: ``kept``, ``cleared``, ``joined``, ``changed``."""
    moves = set()
    for event in events:
        if event.team == event.previous_team:
            moves.add("kept")
        elif event.team is None:
            moves.add("cleared")
        elif event.previous_team is None:
            moves.add("joined")
        else:
            moves.add("changed")
    return moves


def test_team_arguments_shrink_to_leaving_the_team_out():
    """The ``team`` a reassignment is drawn with is ``...`` (kept) first, then ``None``, then a team."""
    teams = st.sampled_from(TEAMS)
    assert find(_team_arguments(teams), lambda _: True, settings=SHRINK) is ...
    assert find(_team_arguments(teams), lambda t: t is not ..., settings=SHRINK) is None
    assert find(_team_arguments(teams), lambda t: t not in (..., None), settings=FIND) in TEAMS


# -- customers ------------------------------------------------------------------------------


def test_the_simplest_customer_has_no_owner_and_no_team():
    """Shrinking goes towards a customer without owner, team or reassignment."""
    customer = simplest(crm.customers())
    assert (customer.owner, customer.team) == (None, None)
    assert not events_of(customer, CustomerAssigned)


def test_the_simplest_reassignment_gives_one_of_owner_or_team():
    """The simplest reassignment gives a customer without owner or team just one of the two."""
    customer = simplest(crm.customers(), lambda c: bool(events_of(c, CustomerAssigned)))
    (event,) = events_of(customer, CustomerAssigned)
    assert (event.previous_owner, event.previous_team) == (None, None)
    assert (event.owner is None) != (event.team is None)


@pytest.mark.parametrize(("field", "pool"), [("owner", STAFF), ("team", TEAMS)])
def test_customers_are_registered_with_owners_and_teams(field, pool):
    """Some customers are registered with an owner, some with a team, in the registration event."""
    drawn(CUSTOMERS, lambda c: getattr(c.pending_events[0], field) in pool)


@pytest.mark.parametrize("move", ["kept", "cleared", "joined", "changed"])
def test_customers_are_reassigned_every_way(move):
    """Reassignments keep the team (left out), clear it (``None``), or give one."""
    drawn(CUSTOMERS, lambda c: move in team_moves(events_of(c, CustomerAssigned)))


def test_customers_are_reassigned_to_no_owner():
    """A reassignment to ``None`` takes the owner away."""
    drawn(
        CUSTOMERS,
        lambda c: any(e.owner is None and e.previous_owner for e in events_of(c, CustomerAssigned)),
    )


@given(CUSTOMERS)
def test_customers_owner_and_team_follow_their_events(customer):
    """Owner and team come from the pools, and are those of the last registration or reassignment."""
    registered = customer.pending_events[0]
    changes = events_of(customer, CustomerAssigned)
    last = changes[-1] if changes else registered
    assert (last.owner, last.team) == (customer.owner, customer.team)
    assert {e.owner for e in (registered, *changes)} <= {None, *STAFF}
    assert {e.team for e in (registered, *changes)} <= {None, *TEAMS}
    previous = (registered.owner, registered.team)
    for event in changes:
        assert (event.previous_owner, event.previous_team) == previous
        assert (event.owner, event.team) != previous
        previous = (event.owner, event.team)
    assert len(changes) <= MAX_REASSIGNMENTS


@given(crm.customers(max_reassignments=0))
def test_max_reassignments_zero_draws_no_reassignment(customer):
    """``max_reassignments=0`` leaves the owner and team of the registration."""
    assert not events_of(customer, CustomerAssigned)


# -- leads ----------------------------------------------------------------------------------


def test_the_simplest_lead_has_no_owner_team_or_consent():
    """Shrinking goes towards a lead without owner, team or consent."""
    lead = simplest(crm.leads())
    assert (lead.owner, lead.team, lead.consents) == (None, None, ())


@pytest.mark.parametrize(("field", "pool"), [("owner", STAFF), ("team", TEAMS)])
def test_leads_are_captured_with_owners_and_teams(field, pool):
    """Some leads are captured with an owner, some in a team."""
    drawn(LEADS, lambda lead: getattr(lead.pending_events[0], field) in pool)


@pytest.mark.parametrize("move", ["kept", "cleared", "joined", "changed"])
def test_leads_are_assigned_every_way(move):
    """Assignments keep the team (left out), clear it (``None``), or give one."""
    drawn(LEADS, lambda lead: move in team_moves(events_of(lead, LeadAssigned)))


@pytest.mark.parametrize("status", list(ConsentStatus))
def test_leads_give_and_withdraw_consent(status):
    """Leads grant and withdraw consent, each recorded as a LeadConsentRecorded event."""
    drawn(LEADS, lambda lead: any(e.status is status for e in events_of(lead, LeadConsentRecorded)))


def test_leads_with_consent_are_converted():
    """Converted leads may hold the consent they gave before their conversion."""
    drawn(LEADS, lambda lead: lead.status is LeadStatus.CONVERTED and lead.consents)


@pytest.mark.parametrize("into_existing", [False, True])
def test_leads_are_converted_into_new_and_existing_customers(into_existing):
    """Leads convert into a new customer (``convert``) and into one that exists (``convert_into``)."""
    drawn(
        LEADS,
        lambda lead: any(e.into_existing is into_existing for e in events_of(lead, LeadConverted)),
    )


@SOME
@given(LEADS)
def test_lead_consent_lies_between_capture_and_conversion(lead):
    """Consent is captured at or after the capture, never after the conversion, as its events say."""
    recorded = [
        (e.occurred_at, e.channel, e.purpose, e.status, e.legal_basis, e.expires_at)
        for e in events_of(lead, LeadConsentRecorded)
    ]
    held = [
        (r.captured_at, r.channel, r.purpose, r.status, r.legal_basis, r.expires_at)
        for r in lead.consents
    ]
    assert held == recorded
    assert all(lead.created_at <= r.captured_at for r in lead.consents)
    if lead.status is LeadStatus.CONVERTED:
        converted_at = lead.history[-1].at
        assert all(r.captured_at <= converted_at for r in lead.consents)
        assert lead.customer_id in POOL
    captured = lead.pending_events[0]
    assert isinstance(captured, LeadCaptured)
    assignments = events_of(lead, LeadAssigned)
    last = assignments[-1] if assignments else captured
    assert (last.owner, last.team) == (lead.owner, lead.team)
    assert {lead.owner, *(e.owner for e in assignments)} <= {None, *STAFF}
    assert {lead.team, *(e.team for e in assignments)} <= {None, *TEAMS}


# -- opportunities --------------------------------------------------------------------------


def test_the_simplest_opportunity_has_no_team():
    """Shrinking goes towards an opportunity without a team (an owner it must have)."""
    deal = simplest(crm.opportunities())
    assert deal.team is None
    assert not events_of(deal, OpportunityOwnerChanged)


def test_opportunities_are_opened_in_teams():
    """Some opportunities are opened with a team, in the opening event."""
    drawn(OPPORTUNITIES, lambda d: d.pending_events[0].team in TEAMS)


@pytest.mark.parametrize("move", ["kept", "cleared", "joined", "changed"])
def test_opportunities_are_reassigned_every_way(move):
    """Reassignments keep the team (left out), clear it (``None``), or give one."""
    drawn(OPPORTUNITIES, lambda d: move in team_moves(events_of(d, OpportunityOwnerChanged)))


@given(OPPORTUNITIES)
def test_opportunity_owner_and_team_follow_their_events(deal):
    """Owner and team come from the pools and are those of the opening or the last reassignment."""
    opened = deal.pending_events[0]
    assert isinstance(opened, OpportunityOpened)
    changes = events_of(deal, OpportunityOwnerChanged)
    last = changes[-1] if changes else opened
    assert (last.owner, last.team) == (deal.owner, deal.team)
    assert {opened.owner, *(e.owner for e in changes)} <= set(STAFF)
    assert {opened.team, *(e.team for e in changes)} <= {None, *TEAMS}


# -- cases ----------------------------------------------------------------------------------


def test_the_simplest_case_has_no_assignee_and_no_team():
    """Shrinking goes towards a case without assignee or team."""
    case = simplest(crm.cases())
    assert (case.assignee, case.team) == (None, None)


@pytest.mark.parametrize(("field", "pool"), [("assignee", STAFF), ("team", TEAMS)])
def test_cases_are_opened_with_assignees_and_teams(field, pool):
    """Some cases are opened with an assignee, some in a team (a service queue)."""
    drawn(CASES, lambda c: getattr(c.pending_events[0], field) in pool)


@pytest.mark.parametrize("move", ["kept", "cleared", "joined", "changed"])
def test_cases_are_assigned_every_way(move):
    """Assignments keep the team (left out), clear it (``None``), or give one."""
    drawn(CASES, lambda c: move in team_moves(events_of(c, CaseAssigned)))


@given(CASES)
def test_case_assignee_and_team_follow_their_events(case):
    """Assignee and team come from the pools and are those of the opening or the last assignment."""
    opened = case.pending_events[0]
    assert isinstance(opened, CaseOpened)
    changes = events_of(case, CaseAssigned)
    last = changes[-1] if changes else opened
    assert (last.assignee, last.team) == (case.assignee, case.team)
    assert {opened.assignee, *(e.assignee for e in changes)} <= {None, *STAFF}
    assert {opened.team, *(e.team for e in changes)} <= {None, *TEAMS}


# -- round trips ----------------------------------------------------------------------------

ROUND_TRIPS = [
    ("customers", CUSTOMERS),
    ("customers-stored", crm.customers(pending_events=False, max_reassignments=4)),
    ("leads", LEADS),
    ("leads-stored", crm.leads(pending_events=False, max_steps=12)),
    ("opportunities", OPPORTUNITIES),
    ("opportunities-stored", crm.opportunities(pending_events=False)),
    ("cases", CASES),
    ("cases-stored", crm.cases(pending_events=False)),
]


@pytest.mark.parametrize(("name", "strategy"), ROUND_TRIPS, ids=[n for n, _ in ROUND_TRIPS])
@SOME
@given(data=st.data())
def test_owned_aggregates_round_trip(name, strategy, data):
    """Drawn aggregates, owners, teams and consent included, come back equal from dicts and JSON."""
    value = data.draw(strategy, label=name)
    document = to_dict(value)
    assert value == from_dict(type(value), document)
    assert value == from_dict(type(value), json.loads(json.dumps(document)))
    for event in value.pending_events:
        assert event == from_dict(type(event), json.loads(json.dumps(to_dict(event))))


@pytest.mark.parametrize(
    ("strategy", "field"),
    [
        (CUSTOMERS, "owner"),
        (CUSTOMERS, "team"),
        (LEADS, "team"),
        (LEADS, "consents"),
        (OPPORTUNITIES, "team"),
        (CASES, "assignee"),
        (CASES, "team"),
    ],
)
def test_round_trips_cover_owners_teams_and_consent(strategy, field):
    """The round-trip strategies do draw what they are meant to exercise."""
    drawn(strategy, lambda value: getattr(value, field))


@given(crm.domain_events(types=[LeadConsentRecorded]))
def test_lead_consent_events_are_drawn_as_leads_record_them(event):
    """A drawn LeadConsentRecorded is as a consent record makes it: expiring grants only."""
    if event.status is ConsentStatus.WITHDRAWN:
        assert event.expires_at is None
    elif event.expires_at is not None:
        assert event.expires_at > event.occurred_at


# -- arguments ------------------------------------------------------------------------------

FACTORIES = {
    "customers": crm.customers,
    "leads": crm.leads,
    "opportunities": crm.opportunities,
    "cases": crm.cases,
}


@pytest.mark.parametrize("factory", FACTORIES.values(), ids=list(FACTORIES))
@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"staff_ids": ["rep-1"]}, "$.staff_ids[0]"),
        ({"staff_ids": [REP1, JKT]}, "$.staff_ids[1]"),
        ({"team_ids": [REP1]}, "$.team_ids[0]"),
        ({"team_ids": "team-jkt"}, "$.team_ids"),
    ],
)
def test_id_pools_of_the_wrong_type_are_refused(factory, arguments, path):
    """Pools hold exactly StaffId and TeamId values."""
    with pytest.raises(InvalidType) as raised:
        factory(**arguments)
    assert raised.value.path == path


@pytest.mark.parametrize("factory", FACTORIES.values(), ids=list(FACTORIES))
@pytest.mark.parametrize("name", ["staff_ids", "team_ids"])
def test_empty_id_pools_are_refused(factory, name):
    """An empty pool leaves nothing to draw."""
    with pytest.raises(ValidationError) as raised:
        factory(**{name: []})
    assert (raised.value.path, raised.value.code) == (f"$.{name}", "empty")


@pytest.mark.parametrize(
    ("value", "error"), [(-1, ValidationError), (101, ValidationError), (True, InvalidType)]
)
def test_max_reassignments_is_checked(value, error):
    with pytest.raises(error) as raised:
        crm.customers(max_reassignments=value)
    assert raised.value.path == "$.max_reassignments"


@given(crm.leads(staff_ids=[REP1], team_ids=[JKT], min_created_at=datetime(2030, 1, 1, tzinfo=UTC)))
def test_a_pool_of_one_names_only_it(lead):
    """With one staff id and one team, a lead names those or none."""
    assert lead.owner in (None, REP1)
    assert lead.team in (None, JKT)
