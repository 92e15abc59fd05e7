"""Tests for `crmcore.teams._assignment`: territory routes, round robin and least open work."""

import itertools
import pickle
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CrmcoreError, InvalidType, StaffId, ValidationError
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import (
    Assignment,
    AssignmentError,
    AssignmentMethod,
    AssignmentRule,
    Distribution,
    EmptyPool,
    NoRoute,
    PartyFacts,
    Pool,
    RoundRobinCursor,
    RoundRobinState,
    StaffMember,
    Team,
    TeamId,
    Territory,
    TerritoryId,
    TerritoryRoute,
    TerritorySet,
    assign,
    pool_key,
)
from crmcore.testing.strategies._teams import (
    assignment_inputs,
    assignment_rules,
    assignments,
    pools,
    round_robin_states,
    territory_routes,
)

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def member(name, *, active=True):
    staff = StaffMember.register(StaffId(name), display_name="Staff", at=T0)
    return staff if active else staff.deactivate(at=T0)


S1, S2, S3, S4 = (member(n) for n in ("s-1", "s-2", "s-3", "s-4"))
OFF = member("s-0", active=False)
STAFF = [S4, S2, OFF, S1, S3]
TEAM = Team.form(TeamId("t-jkt"), name="Jakarta", members=[S3.id, OFF.id, S1.id, S2.id], at=T0)

JAKARTA = Territory(
    id=TerritoryId("jkt"), name="Jakarta", countries=["ID"], regions=["DKI Jakarta"]
)
INDONESIA = Territory(id=TerritoryId("id"), name="Indonesia", countries=["ID"])
SINGAPORE = Territory(id=TerritoryId("sg"), name="Singapore", countries=["SG"])
TERRITORIES = TerritorySet([INDONESIA, JAKARTA, SINGAPORE])
IN_JAKARTA = PartyFacts(country="ID", region="DKI Jakarta")


# -- round robin ----------------------------------------------------------------------------


def test_round_robin_starts_at_the_lowest_id_and_skips_the_inactive():
    """With no previous owner the lowest active id gets the record; inactive members are named."""
    result = assign(Pool(team_id=TEAM.id), staff=STAFF, teams=[TEAM])
    assert S1.id == result.owner_id
    assert (TEAM.id, None, AssignmentMethod.ROUND_ROBIN) == (
        result.team_id,
        result.territory_id,
        result.method,
    )
    assert "team:t-jkt" == result.pool
    assert RoundRobinState([RoundRobinCursor("team:t-jkt", S1.id)]) == result.state
    expected = (
        "team:t-jkt: skipped inactive staff s-0",
        "team:t-jkt: round robin over 3 active, no previous owner: s-1 (the lowest id)",
    )
    assert expected == result.explanation


def test_round_robin_cycles_through_the_pool_in_id_order():
    """Threading the state gives s-1, s-2, s-3, s-1, ... whatever order the team lists them in."""
    state = RoundRobinState()
    owners = []
    for _ in range(7):
        result = assign(Pool(team_id=TEAM.id), staff=STAFF, teams=[TEAM], state=state)
        owners.append(result.owner_id.value)
        state = result.state
    assert ["s-1", "s-2", "s-3", "s-1", "s-2", "s-3", "s-1"] == owners


def test_round_robin_survives_the_previous_owner_leaving():
    """If the previous owner left the pool, the next id after theirs follows."""
    state = RoundRobinState([RoundRobinCursor("pool", StaffId("s-15"))])
    pool = Pool(staff_ids=[S1.id, S2.id, S3.id])
    assert S2.id == assign(pool, staff=STAFF, state=state).owner_id
    wrapped = RoundRobinState([RoundRobinCursor("pool", StaffId("s-9"))])
    assert S1.id == assign(pool, staff=STAFF, state=wrapped).owner_id


def test_pools_with_their_own_keys_rotate_separately():
    """Each pool key keeps its own previous owner; other cursors pass through untouched."""
    state = RoundRobinState([RoundRobinCursor("a", S1.id), RoundRobinCursor("b", S3.id)])
    result = assign(Pool(staff_ids=[S1.id, S2.id, S3.id], key="b"), staff=STAFF, state=state)
    assert S1.id == result.owner_id
    assert (S1.id, S1.id) == (result.state.last_owner("a"), result.state.last_owner("b"))


# -- least open work ------------------------------------------------------------------------


def test_least_open_work_picks_the_fewest_and_breaks_ties_by_id():
    """The member with the fewest open items wins; a missing count is 0; ties go to the lowest id."""
    pool = Pool(team_id=TEAM.id, distribution="least_open_work")
    counts = {S1.id: 4, S2.id: 2, S3.id: 2, OFF.id: 0}
    result = assign(pool, staff=STAFF, teams=[TEAM], open_work=counts)
    assert S2.id == result.owner_id
    assert AssignmentMethod.LEAST_OPEN_WORK == result.method
    assert (
        "team:t-jkt: least open work over 3 active: s-2 with 2 open; 2 tied, the lowest id wins"
        == (result.explanation[-1])
    )
    assert RoundRobinState() == result.state
    assert S1.id == assign(pool, staff=STAFF, teams=[TEAM]).owner_id


# -- territory routes -----------------------------------------------------------------------


def routed(*routes, fallback=None):
    return AssignmentRule(territories=TERRITORIES, routes=routes, fallback=fallback)


def test_a_route_to_an_active_owner_assigns_them():
    """The most specific territory's route names the owner; the team comes along."""
    rule = routed(
        TerritoryRoute(territory_id=JAKARTA.id, owner_id=S4.id, team_id=TEAM.id),
        TerritoryRoute(territory_id=INDONESIA.id, owner_id=S1.id),
    )
    result = assign(rule, staff=STAFF, teams=[TEAM], party=IN_JAKARTA)
    assert (S4.id, TEAM.id, JAKARTA.id) == (result.owner_id, result.team_id, result.territory_id)
    assert AssignmentMethod.TERRITORY_OWNER == result.method
    assert result.pool is None
    assert (
        "jkt wins: it matches country, region (2 criteria)",
        "id also matches but is less specific (1 criterion)",
        "route of jkt: owner s-4",
    ) == result.explanation


def test_an_inactive_route_owner_hands_over_to_the_team():
    """When the route's owner is inactive, the route's team pool picks instead."""
    rule = routed(
        TerritoryRoute(territory_id=JAKARTA.id, owner_id=OFF.id, team_id=TEAM.id),
    )
    result = assign(rule, staff=STAFF, teams=[TEAM], party=IN_JAKARTA)
    assert (S1.id, AssignmentMethod.ROUND_ROBIN) == (result.owner_id, result.method)
    assert "route of jkt: owner s-0 is inactive" in result.explanation


def test_a_party_in_an_unrouted_territory_falls_back():
    """No route for the winning territory: the fallback pool picks, and the territory is kept."""
    rule = routed(
        TerritoryRoute(territory_id=SINGAPORE.id, owner_id=S4.id),
        fallback=Pool(staff_ids=[S2.id, S3.id], distribution=Distribution.LEAST_OPEN_WORK),
    )
    result = assign(rule, staff=STAFF, party=IN_JAKARTA, open_work={S2.id: 1})
    assert (S3.id, JAKARTA.id) == (result.owner_id, result.territory_id)
    assert "jkt has no route" in result.explanation
    assert "falling back to the pool pool" in result.explanation


def test_a_route_with_no_one_active_falls_back_or_raises_empty_pool():
    """An inactive owner alone falls through to the fallback, or raises EmptyPool without one."""
    route = TerritoryRoute(territory_id=JAKARTA.id, owner_id=OFF.id)
    result = assign(routed(route, fallback=Pool(staff_ids=[S4.id])), staff=STAFF, party=IN_JAKARTA)
    assert S4.id == result.owner_id
    with pytest.raises(EmptyPool) as caught:
        assign(routed(route), staff=STAFF, party=IN_JAKARTA)
    error = caught.value
    assert ("$.rule.routes[0]", "empty_pool") == (error.path, error.code)
    assert ("territory:jkt", ("s-0",)) == (error.pool, error.skipped)


def test_no_routed_territory_and_no_fallback_is_no_route():
    """A party in no routed territory with no fallback raises NoRoute."""
    rule = routed(TerritoryRoute(territory_id=SINGAPORE.id, owner_id=S1.id))
    with pytest.raises(NoRoute) as caught:
        assign(rule, staff=STAFF, party=IN_JAKARTA)
    assert ("$.party", "no_route") == (caught.value.path, caught.value.code)
    assert isinstance(caught.value, AssignmentError)
    assert isinstance(caught.value, ValidationError)


def test_an_empty_pool_is_a_specific_error():
    """A pool of inactive staff raises EmptyPool naming the pool and who was skipped."""
    with pytest.raises(EmptyPool) as caught:
        assign(Pool(staff_ids=[OFF.id]), staff=STAFF)
    error = caught.value
    assert ("$.rule", "empty_pool", "pool", ("s-0",)) == (
        error.path,
        error.code,
        error.pool,
        error.skipped,
    )
    empty_team = Team.form(TeamId("t-empty"), name="Empty", at=T0)
    with pytest.raises(EmptyPool) as fallback:
        assign(
            AssignmentRule(fallback=Pool(team_id=empty_team.id)), staff=STAFF, teams=[empty_team]
        )
    assert ("$.rule.fallback", "team:t-empty", ()) == (
        fallback.value.path,
        fallback.value.pool,
        fallback.value.skipped,
    )


def test_errors_keep_their_details_across_pickling_and_nesting():
    """EmptyPool keeps its pool and skipped ids when pickled or nested under a path."""
    error = EmptyPool("holds no active staff member", pool="team:t-1", skipped=("s-0",))
    restored = pickle.loads(pickle.dumps(error))  # noqa: S301 - a pickle made here.
    for copy in (restored, error.under("$.request")):
        assert ("team:t-1", ("s-0",)) == (copy.pool, copy.skipped)
        assert isinstance(copy, EmptyPool)


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "path", "code"),
    [
        (
            lambda: assign(Pool(staff_ids=[StaffId("s-9")]), staff=STAFF),
            ValidationError,
            "$.rule.staff_ids[0]",
            "unknown_staff",
        ),
        (
            lambda: assign(Pool(team_id=TEAM.id), staff=STAFF),
            ValidationError,
            "$.rule.team_id",
            "unknown_team",
        ),
        (
            lambda: assign(Pool(team_id=TEAM.id), staff=[S1, S2, S3], teams=[TEAM]),
            ValidationError,
            "$.teams[0].members[1]",
            "unknown_staff",
        ),
        (
            lambda: assign(Pool(staff_ids=[S1.id]), staff=[S1, S1]),
            ValidationError,
            "$.staff[1]",
            "duplicate",
        ),
        (
            lambda: assign(Pool(team_id=TEAM.id), staff=STAFF, teams=[TEAM, TEAM]),
            ValidationError,
            "$.teams[1]",
            "duplicate",
        ),
        (
            lambda: assign(Pool(staff_ids=[S1.id]), staff=[S1, "s-2"]),
            InvalidType,
            "$.staff[1]",
            "type",
        ),
        (lambda: assign(Pool(staff_ids=[S1.id]), staff=S1), InvalidType, "$.staff", "type"),
        (lambda: assign("round_robin", staff=STAFF), InvalidType, "$.rule", "type"),
        (
            lambda: assign(Pool(staff_ids=[S1.id]), staff=STAFF, state={}),
            InvalidType,
            "$.state",
            "type",
        ),
        (
            lambda: assign(Pool(staff_ids=[S1.id]), staff=STAFF, open_work={S1.id: -1}),
            ValidationError,
            "$.open_work[*]",
            "range",
        ),
        (
            lambda: assign(Pool(staff_ids=[S1.id]), staff=STAFF, open_work={S1.id: 1.0}),
            InvalidType,
            "$.open_work[*]",
            "type",
        ),
        (
            lambda: assign(Pool(staff_ids=[S1.id]), staff=STAFF, open_work={"s-1": 1}),
            InvalidType,
            "$.open_work",
            "type",
        ),
        (
            lambda: assign(Pool(staff_ids=[S1.id]), staff=STAFF, open_work=[1]),
            InvalidType,
            "$.open_work",
            "type",
        ),
        (
            lambda: assign(Pool(staff_ids=[S1.id]), staff=STAFF, party="ID"),
            InvalidType,
            "$.party",
            "type",
        ),
        (
            lambda: assign(
                routed(TerritoryRoute(territory_id=JAKARTA.id, owner_id=S1.id)), staff=STAFF
            ),
            ValidationError,
            "$.party",
            "required",
        ),
        (
            lambda: assign(
                routed(TerritoryRoute(territory_id=JAKARTA.id, owner_id=StaffId("s-9"))),
                staff=STAFF,
                party=IN_JAKARTA,
            ),
            ValidationError,
            "$.rule.routes[0].owner_id",
            "unknown_staff",
        ),
    ],
)
def test_bad_input_raises_a_specific_error(call, error, path, code):
    """Every bad argument of assign names where it is and which rule it broke."""
    with pytest.raises(error) as caught:
        call()
    assert (path, code) == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("build", "error", "path", "code"),
    [
        (Pool, ValidationError, "$.team_id", "pool"),
        (lambda: Pool(team_id=TEAM.id, staff_ids=[S1.id]), ValidationError, "$.team_id", "pool"),
        (lambda: Pool(team_id="t-jkt"), InvalidType, "$.team_id", "type"),
        (lambda: Pool(staff_ids=["s-1"]), InvalidType, "$.staff_ids[0]", "type"),
        (
            lambda: Pool(staff_ids=[S1.id], distribution="random"),
            ValidationError,
            "$.distribution",
            "choice",
        ),
        (lambda: Pool(staff_ids=[S1.id], key="a key"), ValidationError, "$.key", "pool_key"),
        (
            lambda: TerritoryRoute(territory_id=JAKARTA.id),
            ValidationError,
            "$.owner_id",
            "route_target",
        ),
        (
            lambda: TerritoryRoute(territory_id="jkt", owner_id=S1.id),
            InvalidType,
            "$.territory_id",
            "type",
        ),
        (AssignmentRule, ValidationError, "$.routes", "empty_rule"),
        (
            lambda: AssignmentRule(
                routes=[TerritoryRoute(territory_id=JAKARTA.id, owner_id=S1.id)]
            ),
            ValidationError,
            "$.routes[0].territory_id",
            "unknown_territory",
        ),
        (
            lambda: routed(
                TerritoryRoute(territory_id=JAKARTA.id, owner_id=S1.id),
                TerritoryRoute(territory_id=JAKARTA.id, owner_id=S2.id),
            ),
            ValidationError,
            "$.routes[1].territory_id",
            "duplicate",
        ),
        (
            lambda: AssignmentRule(territories=[JAKARTA], fallback=Pool(staff_ids=[S1.id])),
            InvalidType,
            "$.territories",
            "type",
        ),
        (lambda: AssignmentRule(fallback="pool"), InvalidType, "$.fallback", "type"),
        (
            lambda: RoundRobinState([RoundRobinCursor("a", S1.id), RoundRobinCursor("a", S2.id)]),
            ValidationError,
            "$.cursors",
            "duplicate",
        ),
        (lambda: RoundRobinCursor("a", "s-1"), InvalidType, "$.last_owner_id", "type"),
        (lambda: RoundRobinState().last_owner(""), ValidationError, "$.pool", "pool_key"),
        (
            lambda: routed(TerritoryRoute(territory_id=JAKARTA.id, owner_id=S1.id)).route_for(
                "jkt"
            ),
            InvalidType,
            "$.territory_id",
            "type",
        ),
        (lambda: pool_key(None), InvalidType, "$.key", "type"),
    ],
)
def test_bad_rules_raise_specific_errors(build, error, path, code):
    """Pools, routes, rules and states refuse what they cannot mean, naming the field."""
    with pytest.raises(error) as caught:
        build()
    assert (path, code) == (caught.value.path, caught.value.code)


# -- properties -----------------------------------------------------------------------------


@given(assignment_inputs(), st.randoms(use_true_random=False))
def test_assignment_is_deterministic_whatever_the_order_of_staff_and_teams(inputs, rnd):
    """The same inputs give the same assignment, also with staff and teams shuffled."""
    first = assign(**inputs)
    assert first == assign(**inputs)
    shuffled = {**inputs, "staff": list(inputs["staff"]), "teams": list(inputs["teams"])}
    rnd.shuffle(shuffled["staff"])
    rnd.shuffle(shuffled["teams"])
    assert first == assign(**shuffled)


@given(assignment_inputs())
def test_the_owner_is_active_and_comes_from_what_the_rule_names(inputs):
    """The owner is an active staff member from the route or pool the method says."""
    result = assign(**inputs)
    active = {m.id for m in inputs["staff"] if m.active}
    assert result.owner_id in active
    rule = inputs["rule"]
    teams = {t.id: t for t in inputs["teams"]}
    if result.method is AssignmentMethod.TERRITORY_OWNER:
        assert result.owner_id == rule.route_for(result.territory_id).owner_id
    elif result.team_id is not None:
        assert result.owner_id in teams[result.team_id].members
    if inputs["party"] is not None and rule.territories.territories:
        assert rule.territories.resolve(inputs["party"]).territory_id == result.territory_id
    assert all(m.display_name not in line for m in inputs["staff"] for line in result.explanation)


@given(assignment_inputs(assignable=False))
def test_any_inputs_assign_or_raise_an_assignment_error(inputs):
    """Fitting inputs either assign someone or raise EmptyPool or NoRoute, nothing else."""
    try:
        result = assign(**inputs)
    except AssignmentError as error:
        refused: CrmcoreError | None = error
    else:
        refused = None
        assert result.owner_id in {m.id for m in inputs["staff"] if m.active}
    assert refused is None or isinstance(refused, EmptyPool | NoRoute)


@st.composite
def staff_pools(draw):
    """Staff members (some inactive, at least one active) and a pool listing all of them."""
    ids = draw(st.lists(st.integers(0, 50), min_size=1, max_size=8, unique=True))
    flags = draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)))
    flags[draw(st.integers(0, len(ids) - 1))] = True
    return [member(f"s-{n}", active=a) for n, a in zip(ids, flags, strict=True)]


@given(staff_pools(), st.integers(1, 3), round_robin_states(max_cursors=2))
def test_round_robin_gives_everyone_active_the_same_share(staff, rounds, state):
    """Over k rounds of n assignments, each of the n active members gets exactly k."""
    pool = Pool(staff_ids=[m.id for m in staff])
    active = sorted(m.id for m in staff if m.active)
    owners = []
    for _ in range(rounds * len(active)):
        result = assign(pool, staff=staff, state=state)
        owners.append(result.owner_id)
        state = result.state
    assert dict.fromkeys(active, rounds) == dict(Counter(owners))
    # And in id order: each owner is followed by the next active id, wrapping around.
    for before, after in itertools.pairwise(owners):
        assert active[(active.index(before) + 1) % len(active)] == after


@given(staff_pools(), st.data())
def test_least_open_work_picks_a_minimum(staff, data):
    """The owner has the fewest open items among the active members, the lowest id among ties."""
    counts = {m.id: data.draw(st.integers(0, 5)) for m in staff if data.draw(st.booleans())}
    pool = Pool(staff_ids=[m.id for m in staff], distribution=Distribution.LEAST_OPEN_WORK)
    owner = assign(pool, staff=staff, open_work=counts).owner_id
    active = [m.id for m in staff if m.active]
    least = min(counts.get(s, 0) for s in active)
    assert least == counts.get(owner, 0)
    assert owner == min(s for s in active if counts.get(s, 0) == least)


# -- documents ------------------------------------------------------------------------------


@given(
    st.one_of(assignment_rules(), pools(), territory_routes(), round_robin_states(), assignments())
)
def test_rules_states_and_assignments_round_trip(value):
    """Rules, pools, states and assignments survive to_dict and from_dict unchanged."""
    assert value == from_dict(type(value), to_dict(value))


def test_an_assignment_document():
    """An assignment is plain JSON: ids, the method, the state and the explanation."""
    result = assign(Pool(staff_ids=[S1.id]), staff=STAFF)
    expected = {
        "owner_id": "s-1",
        "team_id": None,
        "territory_id": None,
        "method": "round_robin",
        "pool": "pool",
        "state": {"cursors": [{"pool": "pool", "last_owner_id": "s-1"}]},
        "explanation": ["pool: round robin over 1 active, no previous owner: s-1 (the lowest id)"],
        "schema_version": 2,
    }
    assert expected == to_dict(result)
    assert result == from_dict(Assignment, expected)


@pytest.mark.parametrize(
    ("cls", "document", "path", "code"),
    [
        (Pool, {"staff_ids": ["s-1"], "team_id": "t-1"}, "$.team_id", "pool"),
        (Pool, {"staff_ids": ["s 1"]}, "$.staff_ids[0]", "id_format"),
        (Pool, {"team_id": "t-1", "distribution": "fastest"}, "$.distribution", "choice"),
        (
            AssignmentRule,
            {"routes": [{"territory_id": "x", "team_id": "t"}]},
            "$.routes[0].territory_id",
            "unknown_territory",
        ),
        (
            AssignmentRule,
            {"routes": [{"territory_id": "x"}]},
            "$.routes[0].owner_id",
            "route_target",
        ),
        (
            RoundRobinState,
            {"cursors": [{"pool": "a", "last_owner_id": 1}]},
            "$.cursors[0].last_owner_id",
            "type",
        ),
        (
            Assignment,
            {
                "owner_id": "s-1",
                "team_id": None,
                "territory_id": None,
                "method": "luck",
                "pool": None,
                "state": {"cursors": []},
                "explanation": [],
            },
            "$.method",
            "choice",
        ),
    ],
)
def test_bad_rule_documents_name_the_field(cls, document, path, code):
    """A stored rule, state or assignment breaking a rule is refused with the field's path."""
    with pytest.raises(ValidationError) as caught:
        from_dict(cls, {**document, "schema_version": 2})
    assert (path, code) in [(p.path, p.code) for p in caught.value.problems]


def test_a_route_whose_team_is_all_inactive_names_the_team_pool():
    """Without a fallback, a route whose owner and team members are all inactive is an EmptyPool."""
    idle = Team.form(TeamId("t-idle"), name="Idle", members=[OFF.id], at=T0)
    rule = routed(TerritoryRoute(territory_id=JAKARTA.id, owner_id=OFF.id, team_id=idle.id))
    with pytest.raises(EmptyPool) as caught:
        assign(rule, staff=STAFF, teams=[idle], party=IN_JAKARTA)
    assert ("$.rule.routes[0]", "team:t-idle", ("s-0",)) == (
        caught.value.path,
        caught.value.pool,
        caught.value.skipped,
    )


def test_too_many_open_work_counts_are_refused():
    """The open-work mapping is bounded like every other input."""
    counts = dict.fromkeys((StaffId(f"s-{n}") for n in range(100_001)), 0)
    with pytest.raises(ValidationError) as caught:
        assign(Pool(staff_ids=[S1.id]), staff=STAFF, open_work=counts)
    assert ("$.open_work", "too_many") == (caught.value.path, caught.value.code)
