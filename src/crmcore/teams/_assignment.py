"""Deterministic assignment: by territory, round robin and least open work.

:func:`assign` picks the owner (and team) of a record from an
:class:`AssignmentRule` or a bare :class:`Pool`, the staff members and teams
it may draw on, and the state it is given; it reads no clock, keeps no state
of its own and returns the same owner for the same inputs, whatever order
the staff members and teams are passed in.

**Territory routes.** With :attr:`AssignmentRule.routes`, the party's
:class:`PartyFacts` resolve to a territory (see :class:`TerritorySet` for the
precedence) and the route of that territory applies: its ``owner_id`` if that
staff member is active, otherwise its team's pool (by the route's
distribution). A route with no one active, a territory without a route, or a
party in no territory falls through to :attr:`AssignmentRule.fallback`.

**Pools** are a team's members or a list of staff ids. Inactive staff members
are passed over (and named in the explanation); a pool with no one active
left raises :class:`EmptyPool`. Candidates are taken in ascending id order,
never in the order a team lists them or the caller passes them:

- **round robin** gives the next candidate after the pool's previous owner
  (the smallest id greater than it, wrapping around to the smallest id). The
  previous owners live in a :class:`RoundRobinState` the caller passes in and
  stores from :attr:`Assignment.state`; a member who leaves or is deactivated
  does not break the rotation, and over ``n`` assignments from a pool of ``n``
  active members each gets exactly one.
- **least open work** gives the candidate with the fewest open items, from
  counts the caller passes in (a missing count is 0); ties go to the smallest id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._aggregate import optional_typed_id, typed_id
from crmcore._kernel._checks import (
    enum_converter,
    instance_of,
    items_of,
    limit,
    tuple_of,
    type_name,
)
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import StaffId
from crmcore.errors import InvalidType, ValidationError
from crmcore.teams._errors import EmptyPool, NoRoute
from crmcore.teams._ids import TeamId, TerritoryId
from crmcore.teams._staff import StaffMember
from crmcore.teams._team import Team
from crmcore.teams._territories import PartyFacts, TerritorySet, _check_territory_id

#: Most staff ids a pool may list, and most staff members or teams one call may pass.
MAX_POOL: Final = 10_000
#: Most territory routes one rule may hold.
MAX_ROUTES: Final = 10_000
#: Most pools one round-robin state may track.
MAX_CURSORS: Final = 100_000
#: Largest open-work count.
MAX_OPEN_WORK: Final = 10**9
#: Longest pool key, in characters (a team pool's key is ``"team:"`` and the team id).
MAX_POOL_KEY: Final = 200
#: The rotation key of a pool of listed staff ids that names no key of its own.
DEFAULT_POOL_KEY: Final = "pool"

_POOL_KEY: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]*")


class Distribution(StrEnum):
    """How a pool picks one of its active members."""

    ROUND_ROBIN = "round_robin"
    LEAST_OPEN_WORK = "least_open_work"


class AssignmentMethod(StrEnum):
    """How an :class:`Assignment` chose its owner."""

    TERRITORY_OWNER = "territory_owner"
    ROUND_ROBIN = "round_robin"
    LEAST_OPEN_WORK = "least_open_work"


def pool_key(value: object, path: str = "$.key") -> str:
    """A pool's rotation key: identifier text of at most 200 characters, such as ``"team:t-1"``."""
    if not isinstance(value, str):
        raise InvalidType(f"must be a pool key str, not {type_name(value)}", path=path)
    if len(value) > MAX_POOL_KEY or _POOL_KEY.fullmatch(value) is None:
        raise ValidationError(
            f"must be 1 to {MAX_POOL_KEY} characters: a letter or digit, then letters, "
            "digits and ._:+=/-",
            path=path,
            code="pool_key",
        )
    return value


def _staff_ids(value: object, path: str) -> tuple[StaffId, ...]:
    ids = items_of(value, StaffId, path, "a StaffId", max_items=MAX_POOL, noun="staff ids")
    return tuple(sorted(set(ids)))


# -- rules -------------------------------------------------------------------------------


def _distribution(value: object) -> Distribution:
    return enum_converter(Distribution, "$.distribution")(value)


def _pool_staff_ids(value: object) -> tuple[StaffId, ...]:
    return _staff_ids(value, "$.staff_ids")


def _optional_pool_key(value: object) -> str | None:
    return None if value is None else pool_key(value)


@attrs.frozen(slots=True, kw_only=True)
class Pool:
    """Who may be assigned, and how one of them is picked.

    A pool is either a team's members (``team_id``) or a list of staff ids
    (``staff_ids``, kept sorted and without repeats), never both. Round robin
    remembers the previous owner per :attr:`rotation_key`: ``key`` if given,
    else ``"team:<team id>"`` for a team's pool, else ``"pool"``. Two pools
    with the same key share one rotation.

    >>> Pool(team_id=TeamId("t-jkt")).rotation_key
    'team:t-jkt'
    >>> Pool(staff_ids=[StaffId("s-2"), StaffId("s-1")], distribution="least_open_work")
    Pool(distribution=<Distribution.LEAST_OPEN_WORK: 'least_open_work'>, team_id=None, staff_ids=(StaffId('s-1'), StaffId('s-2')), key=None)
    >>> Pool()
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.team_id: a pool names a team or lists staff ids (exactly one of them)

    .. versionadded:: 0.1
    """

    distribution: Distribution = attrs.field(
        default=Distribution.ROUND_ROBIN, converter=_distribution
    )
    team_id: TeamId | None = attrs.field(
        default=None, validator=optional_typed_id(TeamId, "$.team_id")
    )
    staff_ids: tuple[StaffId, ...] = attrs.field(
        default=(), converter=_pool_staff_ids, metadata=limit(MAX_POOL)
    )
    key: str | None = attrs.field(default=None, converter=_optional_pool_key)

    def __attrs_post_init__(self) -> None:
        if (self.team_id is None) == (not self.staff_ids):
            raise ValidationError(
                "a pool names a team or lists staff ids (exactly one of them)",
                path="$.team_id",
                code="pool",
            )

    @property
    def rotation_key(self) -> str:
        """The key its round-robin position is kept under in a :class:`RoundRobinState`."""
        if self.key is not None:
            return self.key
        if self.team_id is not None:
            return f"team:{self.team_id.value}"
        return DEFAULT_POOL_KEY


@attrs.frozen(slots=True, kw_only=True)
class TerritoryRoute:
    """Where a territory's records go: an owner, a team, or an owner backed by a team.

    With ``owner_id``, an active owner is assigned directly (and ``team_id``,
    if given, is the record's team). Without one, or when the owner is
    inactive, the team's members are the pool, picked by ``distribution``.

    .. versionadded:: 0.1
    """

    territory_id: TerritoryId = attrs.field(validator=typed_id(TerritoryId, "$.territory_id"))
    owner_id: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.owner_id")
    )
    team_id: TeamId | None = attrs.field(
        default=None, validator=optional_typed_id(TeamId, "$.team_id")
    )
    distribution: Distribution = attrs.field(
        default=Distribution.ROUND_ROBIN, converter=_distribution
    )

    def __attrs_post_init__(self) -> None:
        if self.owner_id is None and self.team_id is None:
            raise ValidationError(
                "a route names an owner, a team or both", path="$.owner_id", code="route_target"
            )

    @property
    def pool(self) -> Pool | None:
        """The team pool behind the route, or ``None`` for a route to an owner alone."""
        if self.team_id is None:
            return None
        return Pool(distribution=self.distribution, team_id=self.team_id)


def _rule_territories(value: object) -> TerritorySet:
    return instance_of(TerritorySet, "a TerritorySet")(value, "$.territories")


def _rule_routes(value: object) -> tuple[TerritoryRoute, ...]:
    return items_of(
        value, TerritoryRoute, "$.routes", "a TerritoryRoute", max_items=MAX_ROUTES, noun="routes"
    )


def _rule_fallback(value: object) -> Pool | None:
    return None if value is None else instance_of(Pool, "a Pool")(value, "$.fallback")


@attrs.frozen(slots=True, kw_only=True)
class AssignmentRule:
    """Territory routes and a fallback pool: the whole of one assignment rule.

    Every route names a territory of ``territories``, each territory at most
    once; a rule has routes, a fallback, or both.

    .. versionadded:: 0.1
    """

    territories: TerritorySet = attrs.field(factory=TerritorySet, converter=_rule_territories)
    routes: tuple[TerritoryRoute, ...] = attrs.field(
        default=(), converter=_rule_routes, metadata=limit(MAX_ROUTES)
    )
    fallback: Pool | None = attrs.field(default=None, converter=_rule_fallback)

    def __attrs_post_init__(self) -> None:
        if not self.routes and self.fallback is None:
            raise ValidationError(
                "a rule has territory routes, a fallback pool or both",
                path="$.routes",
                code="empty_rule",
            )
        known = set(self.territories.ids)
        seen: set[TerritoryId] = set()
        for index, route in enumerate(self.routes):
            path = f"$.routes[{index}].territory_id"
            if route.territory_id not in known:
                raise ValidationError(
                    "must name a territory of the rule's territories",
                    path=path,
                    code="unknown_territory",
                )
            if route.territory_id in seen:
                raise ValidationError(
                    "must not route the same territory twice", path=path, code="duplicate"
                )
            seen.add(route.territory_id)

    def route_for(self, territory_id: TerritoryId) -> TerritoryRoute | None:
        """The route of ``territory_id``, or ``None`` if the territory has none."""
        _check_territory_id(territory_id)
        for route in self.routes:
            if route.territory_id == territory_id:
                return route
        return None


# -- round-robin state -------------------------------------------------------------------


def _cursor_pool(value: object) -> str:
    return pool_key(value, "$.pool")


@attrs.frozen(slots=True)
class RoundRobinCursor:
    """The previous owner of one pool's rotation."""

    pool: str = attrs.field(converter=_cursor_pool)
    last_owner_id: StaffId = attrs.field(validator=typed_id(StaffId, "$.last_owner_id"))


def _state_cursors(value: object) -> tuple[RoundRobinCursor, ...]:
    cursors = items_of(
        value,
        RoundRobinCursor,
        "$.cursors",
        "a RoundRobinCursor",
        max_items=MAX_CURSORS,
        noun="cursors",
    )
    ordered = tuple(sorted(cursors, key=lambda c: c.pool))
    for index in range(1, len(ordered)):
        if ordered[index].pool == ordered[index - 1].pool:
            raise ValidationError(
                "must hold one cursor per pool", path="$.cursors", code="duplicate"
            )
    return ordered


@attrs.frozen(slots=True)
class RoundRobinState:
    """Where each pool's rotation stands: its previous owner, by pool key (sorted by key).

    Pass it to :func:`assign` and keep the :attr:`Assignment.state` it
    returns for the next call; it is a serializable value, nothing is kept
    anywhere else.

    >>> state = RoundRobinState().advanced("team:t-1", StaffId("s-2"))
    >>> state.last_owner("team:t-1"), state.last_owner("pool")
    (StaffId('s-2'), None)

    .. versionadded:: 0.1
    """

    cursors: tuple[RoundRobinCursor, ...] = attrs.field(
        default=(), converter=_state_cursors, metadata=limit(MAX_CURSORS)
    )

    def last_owner(self, pool: str) -> StaffId | None:
        """The previous owner of the pool with key ``pool``, or ``None``."""
        key = pool_key(pool, "$.pool")
        for cursor in self.cursors:
            if cursor.pool == key:
                return cursor.last_owner_id
        return None

    def advanced(self, pool: str, owner_id: StaffId) -> RoundRobinState:
        """The state after ``owner_id`` was given work from the pool ``pool``."""
        cursor = RoundRobinCursor(pool, owner_id)
        others = [c for c in self.cursors if c.pool != cursor.pool]
        return RoundRobinState((*others, cursor))


# -- the result --------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class Assignment(Checked):
    """Who gets the record, from which team and territory, how, and why.

    Attributes:
        owner_id: the staff member assigned.
        team_id: the team the record goes to, if the pool or route named one.
        territory_id: the territory the party resolved to, if any (also
            when the owner came from the fallback).
        method: how the owner was chosen.
        pool: the rotation key of the pool picked from (``None`` for a
            route's owner).
        state: the round-robin state to pass to the next call (the one given,
            advanced if round robin picked the owner).
        explanation: the steps that led to the owner, one line each; they
            name ids, territories and criteria, never a party's values or a
            staff member's name.
    """

    owner_id: StaffId
    team_id: TeamId | None
    territory_id: TerritoryId | None
    method: AssignmentMethod
    pool: str | None
    state: RoundRobinState
    explanation: tuple[str, ...]


# -- assignment --------------------------------------------------------------------------


@attrs.frozen(slots=True)
class _Roster:
    """The staff members by id and the teams by id, with where each came from."""

    active: Mapping[StaffId, bool]
    teams: Mapping[TeamId, tuple[int, Team]]


def _roster(staff: object, teams: object) -> _Roster:
    members = tuple_of(
        staff, "$.staff", instance_of(StaffMember, "a StaffMember"), max_items=MAX_POOL
    )
    active: dict[StaffId, bool] = {}
    for index, member in enumerate(members):
        if member.id in active:
            raise ValidationError(
                "must not hold the same staff member twice",
                path=f"$.staff[{index}]",
                code="duplicate",
            )
        active[member.id] = member.active
    given = tuple_of(teams, "$.teams", instance_of(Team, "a Team"), max_items=MAX_POOL)
    by_id: dict[TeamId, tuple[int, Team]] = {}
    for index, team in enumerate(given):
        if team.id in by_id:
            raise ValidationError(
                "must not hold the same team twice", path=f"$.teams[{index}]", code="duplicate"
            )
        by_id[team.id] = (index, team)
    return _Roster(active, by_id)


def _open_work(value: object) -> Mapping[StaffId, int]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidType(
            f"must be a mapping of StaffId to int, not {type_name(value)}", path="$.open_work"
        )
    if len(value) > MAX_CURSORS:
        raise ValidationError(
            f"must hold at most {MAX_CURSORS} counts", path="$.open_work", code="too_many"
        )
    for key, count in value.items():
        # Keys are not shown in paths, as for any mapping crmcore reads.
        if type(key) is not StaffId:
            raise InvalidType(f"keys must be StaffId, not {type_name(key)}", path="$.open_work")
        if isinstance(count, bool) or not isinstance(count, int):
            raise InvalidType(f"must be an int, not {type_name(count)}", path="$.open_work[*]")
        if not 0 <= count <= MAX_OPEN_WORK:
            raise ValidationError(
                f"must be from 0 to {MAX_OPEN_WORK}", path="$.open_work[*]", code="range"
            )
    return value


def _ids(ids: Iterable[StaffId]) -> str:
    return ", ".join(i.value for i in ids)


@attrs.frozen(slots=True)
class _Pick:
    owner_id: StaffId | None
    method: AssignmentMethod
    skipped: tuple[StaffId, ...]
    lines: tuple[str, ...]
    state: RoundRobinState


def _candidates(pool: Pool, path: str, roster: _Roster) -> list[StaffId]:
    """The pool's staff ids, every one known; the unknown ones are refused at their path."""
    if pool.team_id is None:
        ids = list(pool.staff_ids)
        paths = [f"{path}.staff_ids[{i}]" for i in range(len(ids))]
    else:
        entry = roster.teams.get(pool.team_id)
        if entry is None:
            raise ValidationError(
                "must name a team passed in teams", path=f"{path}.team_id", code="unknown_team"
            )
        index, team = entry
        ids = list(team.members)
        paths = [f"$.teams[{index}].members[{i}]" for i in range(len(ids))]
    for staff_id, where in zip(ids, paths, strict=True):
        if staff_id not in roster.active:
            raise ValidationError(
                "must name a staff member passed in staff", path=where, code="unknown_staff"
            )
    return sorted(ids)


def _pick(
    pool: Pool,
    path: str,
    roster: _Roster,
    state: RoundRobinState,
    counts: Mapping[StaffId, int],
) -> _Pick:
    candidates = _candidates(pool, path, roster)
    active = [s for s in candidates if roster.active[s]]
    skipped = tuple(s for s in candidates if not roster.active[s])
    key = pool.rotation_key
    lines: list[str] = []
    if skipped:
        lines.append(f"{key}: skipped inactive staff {_ids(skipped)}")
    if pool.distribution is Distribution.ROUND_ROBIN:
        method = AssignmentMethod.ROUND_ROBIN
        if not active:
            return _Pick(None, method, skipped, tuple(lines), state)
        last = state.last_owner(key)
        owner = active[0] if last is None else next((s for s in active if s > last), active[0])
        if last is None:
            lines.append(
                f"{key}: round robin over {len(active)} active, no previous owner: "
                f"{owner} (the lowest id)"
            )
        else:
            lines.append(
                f"{key}: round robin over {len(active)} active, after {last} comes {owner}"
            )
        return _Pick(owner, method, skipped, tuple(lines), state.advanced(key, owner))
    method = AssignmentMethod.LEAST_OPEN_WORK
    if not active:
        return _Pick(None, method, skipped, tuple(lines), state)
    owner = min(active, key=lambda s: (counts.get(s, 0), s))
    least = counts.get(owner, 0)
    tied = sum(1 for s in active if counts.get(s, 0) == least)
    tie = f"; {tied} tied, the lowest id wins" if tied > 1 else ""
    lines.append(
        f"{key}: least open work over {len(active)} active: {owner} with {least} open{tie}"
    )
    return _Pick(owner, method, skipped, tuple(lines), state)


def _rule_arg(value: object) -> tuple[AssignmentRule, str]:
    if isinstance(value, Pool):
        return AssignmentRule(fallback=value), "$.rule"
    return instance_of(AssignmentRule, "an AssignmentRule or a Pool")(value, "$.rule"), (
        "$.rule.fallback"
    )


def assign(
    rule: AssignmentRule | Pool,
    *,
    staff: Iterable[StaffMember],
    teams: Iterable[Team] = (),
    party: PartyFacts | None = None,
    state: RoundRobinState | None = None,
    open_work: Mapping[StaffId, int] | None = None,
) -> Assignment:
    """The owner (and team) of a record under ``rule``, with the reasons.

    See the module documentation for how territory routes, round robin and
    least open work decide. The same arguments always give the same
    :class:`Assignment`, whatever order ``staff`` and ``teams`` come in.

    Args:
        rule: an :class:`AssignmentRule`, or a :class:`Pool` to pick from directly.
        staff: every staff member a pool or route may name (their ``active``
            flag decides who is skipped).
        teams: every team a pool or route names.
        party: the facts territories read; required when ``rule`` has routes.
        state: the round-robin state from the previous call (empty by default).
        open_work: the open items of each staff member, for least open work
            (a missing member counts 0).

    Returns:
        The :class:`Assignment`; its ``state`` is the one to pass next time.

    Raises:
        EmptyPool: the pool picked from (or, with nothing to fall back on, the
            route tried) has no active staff member.
        NoRoute: the party matched no routed territory and the rule has no fallback.
        InvalidType: an argument of the wrong type (the path names it).
        ValidationError: a pool or route names a staff member or team not
            passed in (code ``unknown_staff`` or ``unknown_team``), ``staff``
            or ``teams`` holds one twice (``duplicate``), routes without
            ``party`` (``$.party``, ``required``), or a count out of range.
    """
    checked, fallback_path = _rule_arg(rule)
    roster = _roster(staff, teams)
    current = RoundRobinState() if state is None else _state_arg(state)
    counts = _open_work(open_work)
    facts = None if party is None else instance_of(PartyFacts, "a PartyFacts")(party, "$.party")
    if checked.routes and facts is None:
        raise ValidationError(
            "is required when the rule routes by territory", path="$.party", code="required"
        )

    lines: list[str] = []
    territory_id: TerritoryId | None = None
    if facts is not None and checked.territories.territories:
        resolution = checked.territories.resolve(facts)
        lines.extend(resolution.explanation)
        territory_id = resolution.territory_id
    empty: EmptyPool | None = None
    route = None if territory_id is None else checked.route_for(territory_id)
    if route is not None:
        routed = _by_route(
            route,
            index=checked.routes.index(route),
            roster=roster,
            state=current,
            counts=counts,
            lines=lines,
        )
        if isinstance(routed, Assignment):
            return routed
        empty = routed
    elif territory_id is not None and checked.routes:
        lines.append(f"{territory_id} has no route")

    fallback = checked.fallback
    if fallback is None:
        if empty is not None:
            raise empty
        raise NoRoute(
            "matches no routed territory and the rule has no fallback pool", path="$.party"
        )
    if checked.routes:
        lines.append(f"falling back to the pool {fallback.rotation_key}")
    picked = _pick(fallback, fallback_path, roster, current, counts)
    lines.extend(picked.lines)
    if picked.owner_id is None:
        raise EmptyPool(
            "holds no active staff member",
            path=fallback_path,
            pool=fallback.rotation_key,
            skipped=tuple(s.value for s in picked.skipped),
        )
    return _assignment(picked.owner_id, picked, fallback, territory_id, lines)


def _by_route(
    route: TerritoryRoute,
    *,
    index: int,
    roster: _Roster,
    state: RoundRobinState,
    counts: Mapping[StaffId, int],
    lines: list[str],
) -> Assignment | EmptyPool:
    """The assignment a route gives, or the EmptyPool error if no one it names is active.

    The assignment's ``territory_id`` is the route's; ``lines`` grows by the steps taken.
    """
    where = f"$.rule.routes[{index}]"
    skipped: tuple[StaffId, ...] = ()
    if route.owner_id is not None:
        if route.owner_id not in roster.active:
            raise ValidationError(
                "must name a staff member passed in staff",
                path=f"{where}.owner_id",
                code="unknown_staff",
            )
        if roster.active[route.owner_id]:
            lines.append(f"route of {route.territory_id}: owner {route.owner_id}")
            return Assignment(
                owner_id=route.owner_id,
                team_id=route.team_id,
                territory_id=route.territory_id,
                method=AssignmentMethod.TERRITORY_OWNER,
                pool=None,
                state=state,
                explanation=tuple(lines),
            )
        lines.append(f"route of {route.territory_id}: owner {route.owner_id} is inactive")
        skipped = (route.owner_id,)
    pool = route.pool
    key = f"territory:{route.territory_id.value}"
    if pool is not None:
        picked = _pick(pool, where, roster, state, counts)
        lines.extend(picked.lines)
        if picked.owner_id is not None:
            return _assignment(picked.owner_id, picked, pool, route.territory_id, lines)
        skipped = tuple(sorted({*skipped, *picked.skipped}))
        key = pool.rotation_key
    lines.append(f"route of {route.territory_id}: no active staff member")
    return EmptyPool(
        "holds no active staff member",
        path=where,
        pool=key,
        skipped=tuple(s.value for s in skipped),
    )


def _assignment(
    owner_id: StaffId,
    picked: _Pick,
    pool: Pool,
    territory_id: TerritoryId | None,
    lines: list[str],
) -> Assignment:
    return Assignment(
        owner_id=owner_id,
        team_id=pool.team_id,
        territory_id=territory_id,
        method=picked.method,
        pool=pool.rotation_key,
        state=picked.state,
        explanation=tuple(lines),
    )


def _state_arg(value: object) -> RoundRobinState:
    return instance_of(RoundRobinState, "a RoundRobinState")(value, "$.state")
