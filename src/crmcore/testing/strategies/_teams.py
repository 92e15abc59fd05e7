"""Strategies for teams: staff members, teams, territories, assignment rules and their inputs."""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._checks import tuple_of
from crmcore._kernel._ids import StaffId
from crmcore.customers import COUNTRY_CODES
from crmcore.teams import (
    Assignment,
    AssignmentRule,
    Criterion,
    Distribution,
    PartyFacts,
    Pool,
    RoundRobinCursor,
    RoundRobinState,
    SizeBand,
    StaffMember,
    Team,
    TeamId,
    Territory,
    TerritoryId,
    TerritoryMatch,
    TerritoryResolution,
    TerritoryRoute,
    TerritorySet,
    assign,
    normalize_region,
    normalize_role,
)
from crmcore.teams._territories import MAX_EMPLOYEES
from crmcore.testing.strategies._base import (
    _GIVEN_NAMES,
    _REGIONS,
    _as_drawn,
    _bool_arg,
    _command_times,
    _concat,
    _id_choices,
    _ids_of,
    _int_arg,
    _non_empty,
    _snake_names,
    _window,
    tags,
)

#: Roles staff members are drawn with, besides generated snake_case names.
_ROLES: Final = (
    "sales_rep",
    "account_manager",
    "support_agent",
    "team_lead",
    "store_clerk",
    "key_account_manager",
)
_TEAM_NAMES: Final = (
    "Jakarta enterprise",
    "Bandung SMB",
    "Tim Layanan Pelanggan",
    "Key accounts",
    "Inside sales (EN)",
    "Bali retail",
)
_TERRITORY_NAMES: Final = ("Indonesia", "West Java", "Jabodetabek", "Singapore", "Rest of world")

# A small shared vocabulary for assignment scenarios, so that parties match territories often.
_SCENARIO_COUNTRIES: Final = ("ID", "SG", "MY")
_SCENARIO_REGIONS: Final = ("jawa barat", "dki jakarta", "bali")
_SCENARIO_POSTAL_CODES: Final = ("40111", "40115", "40212", "10110", "80361")
_SCENARIO_INDUSTRIES: Final = ("retail", "banking", "telecom")
_SCENARIO_BANDS: Final = (SizeBand(0, 9), SizeBand(10, 49), SizeBand(50, 249), SizeBand(250))
_SCENARIO_COUNTS: Final = (0, 5, 10, 49, 50, 120, 250, 5000)


# -- identifiers ----------------------------------------------------------------------------


def _from_choices(
    choices: tuple[Any, ...] | None, default: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    return default if choices is None else st.sampled_from(choices)


def _staff_choice(staff_ids: Iterable[StaffId] | None) -> st.SearchStrategy[StaffId]:
    """One of ``staff_ids`` (checked as ``$.staff_ids``), or any staff id."""
    return _from_choices(_id_choices(staff_ids, "$.staff_ids", StaffId), _ids_of(StaffId))


def _team_choice(team_ids: Iterable[TeamId] | None) -> st.SearchStrategy[TeamId]:
    """One of ``team_ids`` (checked as ``$.team_ids``), or any team id."""
    return _from_choices(_id_choices(team_ids, "$.team_ids", TeamId), _ids_of(TeamId))


# -- staff members --------------------------------------------------------------------------


@functools.cache
def _roles() -> st.SearchStrategy[str]:
    return st.sampled_from(_ROLES) | _snake_names()


@functools.cache
def _display_names() -> st.SearchStrategy[str]:
    initial = st.sampled_from(("", " P.", " S.", " W."))
    return st.builds(_concat, st.sampled_from(_GIVEN_NAMES), initial)


def staff_members(
    *,
    staff_ids: Iterable[StaffId] | None = None,
    roles: Iterable[str] | None = None,
    max_steps: int = 4,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[StaffMember]:
    """Valid :class:`~crmcore.teams.StaffMember` aggregates with a history built by their commands.

    Each is registered with :meth:`StaffMember.register
    <crmcore.teams.StaffMember.register>` and then goes through up to
    ``max_steps`` commands at non-decreasing times: renames, roles granted and
    revoked, deactivation and reactivation (so some are inactive).

    Args:
        staff_ids: the ids to draw from; any id by default.
        roles: the roles to draw from (snake_case names); a mix of common
            roles and generated names by default.
        max_steps: the most commands after registration (0 to 100).
        min_created_at: the earliest registration time (aware); 2000 by default.
        max_created_at: the latest registration time (aware); 2099 by default.
        pending_events: ``False`` to draw staff members as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: an invalid role, a bound out of range, crossed bounds,
            an empty choice.
    """
    ids = _staff_choice(staff_ids)
    if roles is None:
        role_choices = _roles()
    else:
        checked = _non_empty(tuple_of(roles, "$.roles", normalize_role), "$.roles")
        role_choices = st.sampled_from(checked)
    built = _staff_members(
        ids,
        role_choices,
        _int_arg(max_steps, "$.max_steps", maximum=100),
        _window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


@st.composite
def _staff_members(
    draw: st.DrawFn,
    ids: st.SearchStrategy[StaffId],
    roles: st.SearchStrategy[str],
    max_steps: int,
    times: st.SearchStrategy[datetime],
) -> StaffMember:
    at = draw(times)
    member = StaffMember.register(
        draw(ids),
        display_name=draw(_display_names()),
        roles=draw(st.lists(roles, max_size=3)),
        at=at,
    )
    for when in _command_times(draw, at, max_steps):
        step = draw(st.sampled_from(("rename", "grant", "revoke", "deactivate", "reactivate")))
        if step == "rename":
            member = member.rename(draw(_display_names()), at=when)
        elif step == "grant":
            member = member.grant_role(draw(roles), at=when)
        elif step == "revoke" and member.roles:
            member = member.revoke_role(draw(st.sampled_from(member.roles)), at=when)
        elif step == "deactivate":
            member = member.deactivate(at=when)
        elif step == "reactivate":
            member = member.reactivate(at=when)
    return member


# -- teams ----------------------------------------------------------------------------------


def teams(
    *,
    staff_ids: Iterable[StaffId] | None = None,
    max_members: int = 5,
    max_steps: int = 4,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Team]:
    """Valid :class:`~crmcore.teams.Team` aggregates with a history built by their commands.

    Each is formed with :meth:`Team.form <crmcore.teams.Team.form>` (members
    drawn without repeats, an optional manager) and then goes through up to
    ``max_steps`` commands at non-decreasing times: members added and removed,
    the manager changed, the team renamed.

    Args:
        staff_ids: the staff ids members and managers are drawn from; any id by default.
        max_members: the most members a team is formed with (0 to 100).
        max_steps: the most commands after forming (0 to 100).
        min_created_at: the earliest forming time (aware); 2000 by default.
        max_created_at: the latest forming time (aware); 2099 by default.
        pending_events: ``False`` to draw teams as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    ids = _staff_choice(staff_ids)
    built = _teams(
        ids,
        _int_arg(max_members, "$.max_members", maximum=100),
        _int_arg(max_steps, "$.max_steps", maximum=100),
        _window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


@functools.cache
def _team_names() -> st.SearchStrategy[str]:
    return st.sampled_from(_TEAM_NAMES) | tags()


@st.composite
def _teams(
    draw: st.DrawFn,
    ids: st.SearchStrategy[StaffId],
    max_members: int,
    max_steps: int,
    times: st.SearchStrategy[datetime],
) -> Team:
    at = draw(times)
    team = Team.form(
        draw(_ids_of(TeamId)),
        name=draw(_team_names()),
        members=draw(st.lists(ids, max_size=max_members, unique=True)),
        manager_id=draw(st.none() | ids),
        at=at,
    )
    for when in _command_times(draw, at, max_steps):
        step = draw(st.sampled_from(("add", "remove", "manager", "rename")))
        if step == "add":
            team = team.add_member(draw(ids), at=when)
        elif step == "remove" and team.members:
            team = team.remove_member(draw(st.sampled_from(team.members)), at=when)
        elif step == "manager":
            team = team.change_manager(draw(st.none() | ids), at=when)
        elif step == "rename":
            team = team.rename(draw(_team_names()), at=when)
    return team


# -- territories ----------------------------------------------------------------------------


@functools.cache
def size_bands() -> st.SearchStrategy[SizeBand]:
    """:class:`~crmcore.teams.SizeBand` values: closed bands and bands open at the top."""
    low = st.integers(min_value=0, max_value=10**6)
    return st.builds(
        lambda start, width: SizeBand(start, None if width is None else start + width),
        low,
        st.none() | st.integers(min_value=0, max_value=10**6),
    )


@functools.cache
def _postal_codes() -> st.SearchStrategy[str]:
    return st.text(string.ascii_uppercase + string.digits, min_size=3, max_size=10)


@functools.cache
def _regions() -> st.SearchStrategy[str]:
    return st.sampled_from(tuple(normalize_region(r) for r in _REGIONS)) | tags().map(
        normalize_region
    )


@functools.cache
def _employee_counts() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=10**6) | st.sampled_from((0, MAX_EMPLOYEES))


@functools.cache
def party_facts() -> st.SearchStrategy[PartyFacts]:
    """:class:`~crmcore.teams.PartyFacts` values, each fact present or not, in normalized form."""
    return st.builds(
        PartyFacts,
        country=st.none() | st.sampled_from(sorted(COUNTRY_CODES)),
        region=st.none() | _regions(),
        postal_code=st.none() | _postal_codes(),
        industry=st.none() | tags(),
        employee_count=st.none() | _employee_counts(),
    )


def territories(*, max_values: int = 3) -> st.SearchStrategy[Territory]:
    """:class:`~crmcore.teams.Territory` values constraining any of the five criteria.

    Some constrain nothing (catch-alls).

    Args:
        max_values: the most values one criterion lists (0 to 20).

    Raises:
        InvalidType: ``max_values`` is not an int.
        ValidationError: ``max_values`` is out of range.
    """
    return _territories(_int_arg(max_values, "$.max_values", maximum=20))


@functools.lru_cache(maxsize=64)
def _territories(max_values: int) -> st.SearchStrategy[Territory]:
    def values(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
        return st.lists(strategy, max_size=max_values)

    return st.builds(
        Territory,
        id=_ids_of(TerritoryId),
        name=st.sampled_from(_TERRITORY_NAMES) | tags(),
        countries=values(st.sampled_from(sorted(COUNTRY_CODES))),
        regions=values(_regions()),
        postal_prefixes=values(
            st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=5)
        ),
        industries=values(tags()),
        sizes=values(size_bands()),
    )


def territory_sets(*, max_territories: int = 5) -> st.SearchStrategy[TerritorySet]:
    """:class:`~crmcore.teams.TerritorySet` values: territories with distinct ids, in drawn order.

    Args:
        max_territories: the most territories in a set (0 to 50).

    Raises:
        InvalidType: ``max_territories`` is not an int.
        ValidationError: ``max_territories`` is out of range.
    """
    count = _int_arg(max_territories, "$.max_territories", maximum=50)
    return st.lists(_territories(3), max_size=count, unique_by=lambda territory: territory.id).map(
        TerritorySet
    )


@functools.cache
def territory_matches() -> st.SearchStrategy[TerritoryMatch]:
    """:class:`~crmcore.teams.TerritoryMatch` values, as a resolution reports them."""
    return st.builds(
        _match,
        _ids_of(TerritoryId),
        st.integers(0, 10**4),
        st.sets(st.sampled_from(Criterion)),
        st.integers(1, 20),
    )


def _match(
    territory_id: TerritoryId, position: int, criteria: set[Criterion], prefix: int
) -> TerritoryMatch:
    ordered = tuple(c for c in Criterion if c in criteria)
    return TerritoryMatch(
        territory_id=territory_id,
        position=position,
        criteria=ordered,
        prefix_length=prefix if Criterion.POSTAL_CODE in criteria else 0,
    )


def territory_resolutions() -> st.SearchStrategy[TerritoryResolution]:
    """:class:`~crmcore.teams.TerritoryResolution` values: a party resolved against a set.

    Parties and territories share a small vocabulary, so that many parties
    match several territories.
    """
    return st.builds(
        lambda territory_set, facts: territory_set.resolve(facts),
        _scenario_territory_sets(5),
        _scenario_facts(),
    )


# -- assignment rules -----------------------------------------------------------------------


def pools(
    *,
    staff_ids: Iterable[StaffId] | None = None,
    team_ids: Iterable[TeamId] | None = None,
) -> st.SearchStrategy[Pool]:
    """:class:`~crmcore.teams.Pool` values: a team's pool or a list of staff ids, either distribution.

    Args:
        staff_ids: the staff ids listed pools draw from; any id by default.
        team_ids: the teams team pools name; any id by default.

    Raises:
        InvalidType: an item that is not an id of its kind.
        ValidationError: an empty choice.
    """
    staff = _staff_choice(staff_ids)
    team = _team_choice(team_ids)
    return _pools(staff, team)


def _pools(
    staff: st.SearchStrategy[StaffId], team: st.SearchStrategy[TeamId]
) -> st.SearchStrategy[Pool]:
    keys = st.none() | st.sampled_from(("inbound-leads", "web:chat", "pool-2"))
    by_team = st.builds(Pool, distribution=st.sampled_from(Distribution), team_id=team, key=keys)
    listed = st.builds(
        Pool,
        distribution=st.sampled_from(Distribution),
        staff_ids=st.lists(staff, min_size=1, max_size=5),
        key=keys,
    )
    return by_team | listed


def territory_routes(
    *,
    staff_ids: Iterable[StaffId] | None = None,
    team_ids: Iterable[TeamId] | None = None,
) -> st.SearchStrategy[TerritoryRoute]:
    """:class:`~crmcore.teams.TerritoryRoute` values: to an owner, a team, or an owner and a team.

    Args:
        staff_ids: the owners to draw from; any id by default.
        team_ids: the teams to draw from; any id by default.

    Raises:
        InvalidType: an item that is not an id of its kind.
        ValidationError: an empty choice.
    """
    staff = _staff_choice(staff_ids)
    team = _team_choice(team_ids)
    return _ids_of(TerritoryId).flatmap(lambda territory_id: _routes_to(territory_id, staff, team))


def _routes_to(
    territory_id: TerritoryId,
    staff: st.SearchStrategy[StaffId],
    team: st.SearchStrategy[TeamId],
) -> st.SearchStrategy[TerritoryRoute]:
    distribution = st.sampled_from(Distribution)
    return st.one_of(
        st.builds(
            TerritoryRoute,
            territory_id=st.just(territory_id),
            owner_id=staff,
            team_id=st.none() | team,
            distribution=distribution,
        ),
        st.builds(
            TerritoryRoute,
            territory_id=st.just(territory_id),
            team_id=team,
            distribution=distribution,
        ),
    )


def assignment_rules(
    *,
    staff_ids: Iterable[StaffId] | None = None,
    team_ids: Iterable[TeamId] | None = None,
    max_territories: int = 5,
) -> st.SearchStrategy[AssignmentRule]:
    """:class:`~crmcore.teams.AssignmentRule` values: territories, routes to some of them, a fallback.

    Every rule has routes, a fallback pool or both; routes name owners, teams
    or both.

    Args:
        staff_ids: the staff ids routes and pools name; any id by default.
        team_ids: the teams routes and pools name; any id by default.
        max_territories: the most territories of the rule (0 to 50).

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, an empty choice.
    """
    staff = _staff_choice(staff_ids)
    team = _team_choice(team_ids)
    count = _int_arg(max_territories, "$.max_territories", maximum=50)
    return _assignment_rules(staff, team, territory_sets(max_territories=count))


@st.composite
def _assignment_rules(
    draw: st.DrawFn,
    staff: st.SearchStrategy[StaffId],
    team: st.SearchStrategy[TeamId],
    sets: st.SearchStrategy[TerritorySet],
) -> AssignmentRule:
    territory_set = draw(sets)
    routes = [
        draw(_routes_to(territory_id, staff, team))
        for territory_id in territory_set.ids
        if draw(st.booleans())
    ]
    pool = _pools(staff, team)
    fallback = draw(pool) if not routes else draw(st.none() | pool)
    return AssignmentRule(territories=territory_set, routes=routes, fallback=fallback)


def round_robin_cursors(
    *, staff_ids: Iterable[StaffId] | None = None
) -> st.SearchStrategy[RoundRobinCursor]:
    """:class:`~crmcore.teams.RoundRobinCursor` values: a pool key and its previous owner.

    Args:
        staff_ids: the previous owners to draw from; any id by default.

    Raises:
        InvalidType: an item that is not a StaffId.
        ValidationError: an empty choice.
    """
    staff = _staff_choice(staff_ids)
    return st.builds(RoundRobinCursor, _pool_keys(), staff)


@functools.cache
def _pool_keys() -> st.SearchStrategy[str]:
    return st.sampled_from(("pool", "inbound-leads")) | _ids_of(TeamId).map(lambda t: f"team:{t}")


def round_robin_states(
    *, staff_ids: Iterable[StaffId] | None = None, max_cursors: int = 3
) -> st.SearchStrategy[RoundRobinState]:
    """:class:`~crmcore.teams.RoundRobinState` values: up to ``max_cursors`` pools' previous owners.

    Args:
        staff_ids: the previous owners to draw from; any id by default.
        max_cursors: the most pools tracked (0 to 100).

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, an empty choice.
    """
    count = _int_arg(max_cursors, "$.max_cursors", maximum=100)
    cursors = round_robin_cursors(staff_ids=staff_ids)
    return st.lists(cursors, max_size=count, unique_by=lambda c: c.pool).map(RoundRobinState)


# -- whole assignment scenarios -------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _scenario_territory_sets(max_territories: int) -> st.SearchStrategy[TerritorySet]:
    def values(choices: tuple[Any, ...]) -> st.SearchStrategy[list[Any]]:
        return st.lists(st.sampled_from(choices), max_size=2)

    prefixes = st.sampled_from(_SCENARIO_POSTAL_CODES).flatmap(
        lambda code: st.integers(1, len(code)).map(lambda n: code[:n])
    )
    territory = st.builds(
        Territory,
        id=st.sampled_from(("t-a", "t-b", "t-c", "t-d", "t-e", "t-f")).map(TerritoryId),
        name=st.sampled_from(_TERRITORY_NAMES),
        countries=values(_SCENARIO_COUNTRIES),
        regions=values(_SCENARIO_REGIONS),
        postal_prefixes=st.lists(prefixes, max_size=2),
        industries=values(_SCENARIO_INDUSTRIES),
        sizes=values(_SCENARIO_BANDS),
    )
    return st.lists(territory, max_size=max_territories, unique_by=lambda t: t.id).map(TerritorySet)


@functools.cache
def _scenario_facts() -> st.SearchStrategy[PartyFacts]:
    return st.builds(
        PartyFacts,
        country=st.none() | st.sampled_from(_SCENARIO_COUNTRIES),
        region=st.none() | st.sampled_from(_SCENARIO_REGIONS),
        postal_code=st.none() | st.sampled_from(_SCENARIO_POSTAL_CODES),
        industry=st.none() | st.sampled_from(_SCENARIO_INDUSTRIES),
        employee_count=st.none() | st.sampled_from(_SCENARIO_COUNTS),
    )


def assignment_inputs(
    *,
    max_staff: int = 6,
    max_teams: int = 3,
    max_territories: int = 4,
    assignable: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments of :func:`~crmcore.teams.assign` that fit together: ``assign(**inputs)``.

    A dict with ``rule``, ``staff`` (some inactive), ``teams`` (members drawn
    from the staff), ``party``, ``state`` (previous owners of some pools) and
    ``open_work``. Every staff member and team a rule names is passed in;
    parties and territories share a small vocabulary, so that many parties
    match one or more territories.

    Args:
        max_staff: the most staff members (1 to 50).
        max_teams: the most teams (0 to 20).
        max_territories: the most territories of the rule (0 to 6).
        assignable: ``True`` (the default) to always give the rule a fallback
            pool with an active member, so that ``assign`` never raises;
            ``False`` also draws inputs that raise
            :class:`~crmcore.teams.EmptyPool` or :class:`~crmcore.teams.NoRoute`.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range.
    """
    return _assignment_inputs(
        _int_arg(max_staff, "$.max_staff", minimum=1, maximum=50),
        _int_arg(max_teams, "$.max_teams", maximum=20),
        _int_arg(max_territories, "$.max_territories", maximum=6),
        _bool_arg(assignable, "$.assignable"),
    )


@functools.lru_cache(maxsize=64)
def _assignment_inputs(
    max_staff: int, max_teams: int, max_territories: int, assignable: bool
) -> st.SearchStrategy[dict[str, Any]]:
    return _inputs(max_staff, max_teams, _scenario_territory_sets(max_territories), assignable)


def _member(staff_id: StaffId, active: bool, at: datetime) -> StaffMember:
    member = StaffMember.register(staff_id, display_name="Staff", at=at)
    return member if active else member.deactivate(at=at)


_SCENARIO_TIME: Final = datetime.fromisoformat("2026-05-04T09:00:00+07:00")


@st.composite
def _inputs(
    draw: st.DrawFn,
    max_staff: int,
    max_teams: int,
    sets: st.SearchStrategy[TerritorySet],
    assignable: bool,
) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=max_staff))
    ids = [
        StaffId(f"s-{n}")
        for n in draw(st.lists(st.integers(1, 99), min_size=count, max_size=count, unique=True))
    ]
    flags = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    if assignable and not any(flags):
        flags[draw(st.integers(0, count - 1))] = True
    staff = [
        _member(i, a, _SCENARIO_TIME).without_pending_events()
        for i, a in zip(ids, flags, strict=True)
    ]
    team_count = draw(st.integers(min_value=0, max_value=max_teams))
    team_list = [
        Team.form(
            TeamId(f"team-{n}"),
            name="Team",
            members=draw(st.lists(st.sampled_from(ids), max_size=count, unique=True)),
            at=_SCENARIO_TIME,
        ).without_pending_events()
        for n in range(1, team_count + 1)
    ]
    team_ids = tuple(t.id for t in team_list)
    staff_choice = st.sampled_from(ids)
    team_choice = st.sampled_from(team_ids) if team_ids else st.nothing()
    territory_set = draw(sets)
    routes = []
    for territory_id in territory_set.ids:
        if not draw(st.booleans()):
            continue
        shapes = ("owner", "team", "both") if team_ids else ("owner",)
        shape = draw(st.sampled_from(shapes))
        routes.append(
            TerritoryRoute(
                territory_id=territory_id,
                owner_id=draw(staff_choice) if shape != "team" else None,
                team_id=draw(team_choice) if shape != "owner" else None,
                distribution=draw(st.sampled_from(Distribution)),
            )
        )
    listed = st.builds(
        Pool,
        distribution=st.sampled_from(Distribution),
        staff_ids=st.lists(staff_choice, min_size=1, max_size=count),
    )
    by_team = (
        st.builds(Pool, distribution=st.sampled_from(Distribution), team_id=team_choice)
        if team_ids
        else st.nothing()
    )
    if assignable:
        active = [i for i, a in zip(ids, flags, strict=True) if a]
        fallback: Pool | None = draw(
            st.builds(
                Pool,
                distribution=st.sampled_from(Distribution),
                staff_ids=st.tuples(
                    st.sampled_from(active), st.lists(staff_choice, max_size=count)
                ).map(lambda drawn: [drawn[0], *drawn[1]]),
            )
        )
    elif routes:
        fallback = draw(st.none() | listed | by_team)
    else:
        fallback = draw(listed | by_team)
    rule = AssignmentRule(territories=territory_set, routes=routes, fallback=fallback)
    keys = sorted({f"team:{t}" for t in team_ids} | {"pool"})
    cursors = draw(
        st.lists(
            st.builds(RoundRobinCursor, st.sampled_from(keys), staff_choice),
            max_size=3,
            unique_by=lambda c: c.pool,
        )
    )
    open_work = draw(st.dictionaries(staff_choice, st.integers(0, 20), max_size=count))
    party = draw(_scenario_facts()) if routes else draw(st.none() | _scenario_facts())
    return {
        "rule": rule,
        "staff": staff,
        "teams": team_list,
        "party": party,
        "state": RoundRobinState(cursors),
        "open_work": open_work,
    }


def assignments() -> st.SearchStrategy[Assignment]:
    """:class:`~crmcore.teams.Assignment` values, each what :func:`~crmcore.teams.assign` gave.

    Drawn by calling ``assign`` on :func:`assignment_inputs`.
    """
    return assignment_inputs().map(_assign)


def _assign(inputs: dict[str, Any]) -> Assignment:
    return assign(**inputs)


#: Event fields these strategies constrain beyond their declared type, by event class name.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "StaffMemberRegistered": {
        "roles": lambda: st.lists(_roles(), max_size=3).map(lambda r: tuple(sorted(set(r))))
    },
    "StaffRoleGranted": {"role": _roles},
    "StaffRoleRevoked": {"role": _roles},
    "TeamFormed": {
        "member_ids": lambda: st.lists(_ids_of(StaffId), max_size=4, unique=True).map(tuple)
    },
}
