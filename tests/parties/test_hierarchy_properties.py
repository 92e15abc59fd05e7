"""Properties of relationship graphs: queries agree with brute force, at every instant and boundary."""

from datetime import datetime, timedelta
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from crmcore.customers import CustomerId
from crmcore.parties import (
    Relationship,
    RelationshipConflict,
    RelationshipGraph,
    RelationshipId,
    RelationshipKind,
    check_relationships,
)
from crmcore.testing.strategies._relationships import _GRID_START, relationship_collections

PARENT = RelationshipKind.PARENT_OF
POOL = [CustomerId(f"p-{n}") for n in range(1, 7)]
#: Every instant validities start or end on, and the microseconds around them.
GRID = [_GRID_START + timedelta(days=d) for d in range(62)]
TICK = timedelta(microseconds=1)
instants = st.sampled_from(GRID).flatmap(
    lambda t: st.sampled_from([t - TICK, t, t + TICK, t + timedelta(hours=12)])
)
any_collection = relationship_collections(valid=False)
hierarchies = relationship_collections(valid=False, kinds=["parent_of"], max_size=15)
valid_collections = relationship_collections()


# -- brute force --------------------------------------------------------------------------


def in_force(rel: Relationship, when: datetime) -> bool:
    """The validity rule written out: start inclusive, end exclusive."""
    if when < rel.valid_from:
        return False
    return rel.valid_until is None or when < rel.valid_until


def distances(edges: set[tuple[CustomerId, CustomerId]], start: CustomerId) -> dict:
    """Shortest number of steps from ``start`` along ``edges``, by relaxing to a fixpoint."""
    best = {start: 0}
    changed = True
    while changed:
        changed = False
        for a, b in edges:
            if a in best and (b not in best or best[a] + 1 < best[b]):
                best[b] = best[a] + 1
                changed = True
    del best[start]
    return best


def ordered(found: dict) -> tuple:
    return tuple(sorted(found, key=lambda node: (found[node], node.value)))


def up_edges(relationships, when):
    return {
        (r.related_id, r.party_id) for r in relationships if r.kind is PARENT and in_force(r, when)
    }


def broken_at(relationships, when) -> bool:
    """True if, at ``when``, a child has two parents or following parents loops."""
    parents: dict[CustomerId, list[CustomerId]] = {}
    for child, parent in up_edges(relationships, when):
        parents.setdefault(child, []).append(parent)
    if any(len(found) > 1 for found in parents.values()):
        return True
    for start in parents:
        seen, node = set(), start
        while node in parents:
            if node in seen:
                return True
            seen.add(node)
            node = parents[node][0]
    return False


def overlapping(a: Relationship, b: Relationship) -> bool:
    return any(in_force(a, t) and in_force(b, t) for t in {a.valid_from, b.valid_from})


def anchor(rel: Relationship):
    if rel.kind is RelationshipKind.REFERRED_BY:
        return (rel.kind, rel.party_id)
    return (rel.kind, rel.related_id)


def breaks_a_rule(relationships) -> bool:
    for a, b in combinations(relationships, 2):
        if not overlapping(a, b):
            continue
        if (a.kind, a.party_id, a.related_id) == (b.kind, b.party_id, b.related_id):
            return True
        if a.primary and b.primary and a.kind is not PARENT and anchor(a) == anchor(b):
            return True
    edges = {r.valid_from for r in relationships} | {r.valid_until for r in relationships}
    return any(broken_at(relationships, t) for t in edges if t is not None)


# -- point in time ------------------------------------------------------------------------


@given(any_collection, instants)
def test_a_view_holds_exactly_the_relationships_in_force(relationships, when):
    """valid_from <= when < valid_until, and nothing else, whatever the collection."""
    view = RelationshipGraph(relationships).at(when)
    expected = sorted(r.id.value for r in relationships if in_force(r, when))
    assert expected == sorted(r.id.value for r in view.relationships)


@given(any_collection)
def test_start_is_inclusive_and_end_exclusive(relationships):
    """At its start a relationship is in force (unless voided); at its end it is not."""
    graph = RelationshipGraph(relationships)
    for rel in relationships:
        at_start = rel.id in {r.id for r in graph.at(rel.valid_from).relationships}
        assert at_start == (rel.valid_until != rel.valid_from)
        assert rel.id not in {r.id for r in graph.at(rel.valid_from - TICK).relationships}
        if rel.valid_until is not None:
            assert rel.id not in {r.id for r in graph.at(rel.valid_until).relationships}


@given(any_collection, instants)
def test_links_agree_with_a_filter(relationships, when):
    """contacts, accounts and members are the relationships in force of that kind and party."""
    view = RelationshipGraph(relationships).at(when)
    live = [r for r in relationships if in_force(r, when)]
    for party in POOL:
        for query, kind, mine, other in (
            (view.contacts, RelationshipKind.CONTACT_OF, "related_id", "party_id"),
            (view.accounts, RelationshipKind.CONTACT_OF, "party_id", "related_id"),
            (view.members, RelationshipKind.HOUSEHOLD_MEMBER, "related_id", "party_id"),
            (view.referrals, RelationshipKind.REFERRED_BY, "related_id", "party_id"),
        ):
            links = query(party)
            expected = sorted(
                (not r.primary, r.valid_from, getattr(r, other).value, r.id.value)
                for r in live
                if r.kind is kind and getattr(r, mine) == party
            )
            assert expected == [
                (not link.primary, link.valid_from, link.party_id.value, link.relationship_id.value)
                for link in links
            ]


# -- the hierarchy ------------------------------------------------------------------------


@given(hierarchies, instants)
def test_ancestors_and_descendants_agree_with_a_brute_force_walk(relationships, when):
    """Nearest first, ties by id, even with cycles and several parents (unchecked data)."""
    view = RelationshipGraph(relationships).at(when)
    up = up_edges(relationships, when)
    down = {(b, a) for a, b in up}
    for account in POOL:
        assert ordered(distances(up, account)) == view.ancestors(account)
        assert ordered(distances(down, account)) == view.descendants(account)
        assert account not in view.ancestors(account)
        for depth in (1, 2):
            limited = {k: v for k, v in distances(up, account).items() if v <= depth}
            assert ordered(limited) == view.ancestors(account, max_depth=depth)


@given(hierarchies, instants)
def test_descendants_mirror_ancestors(relationships, when):
    """An account is below another exactly when that one is above it."""
    view = RelationshipGraph(relationships).at(when)
    for a in POOL:
        for b in POOL:
            assert (b in view.descendants(a)) == (a in view.ancestors(b))


@given(relationship_collections(kinds=["parent_of"], max_size=15), instants)
def test_trees_of_a_valid_hierarchy_follow_the_parents(relationships, when):
    """In checked data every account hangs below its parent, once, in the tree of its root."""
    view = RelationshipGraph(relationships, check=True).at(when)
    for account in POOL:
        tree = view.tree(account)
        ids = tree.ids()
        assert len(ids) == len(set(ids))
        root = view.root(account)
        assert (root, *view.descendants(root)) == tuple(
            sorted(ids, key=lambda n: (0 if n == root else 1 + len(view.ancestors(n)), n.value))
        )
        for _, node in tree.walk():
            if node != root:
                assert view.parent(node) in ids
        assert account in ids


@given(hierarchies, instants)
def test_trees_stay_finite_and_hold_each_account_once(relationships, when):
    """Whatever the data, a tree names each account at most once."""
    view = RelationshipGraph(relationships).at(when)
    for account in POOL:
        ids = view.tree(account).ids()
        assert len(ids) == len(set(ids))
    for tree in view.trees():
        assert len(tree.ids()) == len(set(tree.ids()))


# -- the rules spanning relationships -----------------------------------------------------


@given(any_collection)
def test_check_relationships_refuses_exactly_what_brute_force_finds(relationships):
    """Overlaps, second primaries, second parents and cycles, at any instant, and nothing else."""
    try:
        check_relationships(relationships)
    except RelationshipConflict:
        refused = True
    else:
        refused = False
    assert breaks_a_rule(relationships) == refused


@given(valid_collections, any_collection)
def test_admit_agrees_with_checking_the_whole_collection(base, candidates):
    """Adding to a valid collection: admit() refuses exactly what check_relationships would."""
    graph = RelationshipGraph(base, check=True)
    known = {r.id for r in base}
    for candidate in candidates:
        if candidate.id in known:
            continue
        refused = None
        try:
            graph.admit(candidate)
        except RelationshipConflict as error:
            refused = error
        admitted = refused is None
        if refused is not None:
            assert candidate.id == refused.relationship_id
        assert admitted == (not breaks_a_rule([*base, candidate]))


@given(valid_collections)
def test_drawn_valid_collections_pass_in_any_order(relationships):
    """The rules do not depend on the order of the collection."""
    check_relationships(relationships)
    check_relationships(list(reversed(relationships)))


@given(relationship_collections(kinds=["parent_of"], max_size=15), instants, st.data())
def test_attempted_cycles_are_always_refused(relationships, when, data):
    """Making a root the child of an account of its own tree is refused as a cycle."""
    graph = RelationshipGraph(relationships, check=True)
    view = graph.at(when)
    for tree in view.trees():
        below = data.draw(st.sampled_from(tree.ids()[1:]), label="below")
        candidate = Relationship.establish(
            RelationshipId("rel-cycle"),
            kind="parent_of",
            party_id=below,
            related_id=tree.account_id,
            valid_from=when,
            valid_until=when + TICK,
            at=when,
        )
        try:
            graph.admit(candidate)
        except RelationshipConflict as error:
            code = error.code
        else:
            code = None
        assert "hierarchy_cycle" == code
