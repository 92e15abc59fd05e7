"""Tests for `crmcore.parties._graph` and `crmcore.parties._conflicts`: queries and collection rules."""

from datetime import UTC, datetime, timedelta

import pytest

from crmcore import InvalidType, ValidationError
from crmcore.customers import CustomerId
from crmcore.parties import (
    HierarchyNode,
    PartyLink,
    Relationship,
    RelationshipConflict,
    RelationshipGraph,
    RelationshipId,
    RelationshipKind,
    check_relationships,
)


def day(year, month=1, dom=1):
    return datetime(year, month, dom, tzinfo=UTC)


T0 = day(2020)
C = CustomerId
GROUP, ACME, ACME_ID, JKT, SBY = C("group"), C("acme"), C("acme-id"), C("acme-jkt"), C("acme-sby")
ANA, BUDI, CITRA, HOME = C("ana"), C("budi"), C("citra"), C("rahayu-household")


def rel(number, kind, party, related=None, *, start=T0, end=None, **options):
    return Relationship.establish(
        RelationshipId(f"r-{number:02d}"),
        kind=kind,
        party_id=party,
        related_id=related,
        valid_from=start,
        valid_until=end,
        at=T0,
        **options,
    )


WORLD = [
    rel(1, "parent_of", GROUP, ACME),
    rel(2, "parent_of", GROUP, ACME_ID, start=day(2021)),
    rel(3, "parent_of", ACME, JKT, start=day(2022), end=day(2024)),
    rel(4, "parent_of", ACME_ID, JKT, start=day(2024)),
    rel(5, "parent_of", ACME_ID, SBY, start=day(2024)),
    rel(6, "contact_of", BUDI, ACME, roles=["technical"]),
    rel(7, "contact_of", ANA, ACME, roles=["decision_maker", "billing"], primary=True),
    rel(8, "contact_of", CITRA, ACME, roles=["user"], start=day(2019), end=day(2023)),
    rel(9, "contact_of", ANA, ACME_ID, roles=["champion"], start=day(2021)),
    rel(10, "household_member", ANA, HOME, roles=["head"], primary=True),
    rel(11, "household_member", BUDI, HOME, roles=["spouse"]),
    rel(12, "referred_by", BUDI, ANA, primary=True),
    rel(13, "reseller", ACME, roles=["distributor"]),
    rel(14, "partner", CITRA, ACME, roles=["implementation"]),
]
GRAPH = RelationshipGraph(WORLD, check=True)


def ids(links):
    return [link.party_id for link in links]


# -- links --------------------------------------------------------------------------------


def test_contacts_come_primary_first_then_by_start_then_id():
    """An account's contacts: the primary one first, then the earliest start, then ids."""
    view = GRAPH.at(day(2022))
    assert [ANA, CITRA, BUDI] == ids(view.contacts(ACME))
    first = view.contacts(ACME)[0]
    assert (
        PartyLink(
            party_id=ANA,
            relationship_id=RelationshipId("r-07"),
            kind=RelationshipKind.CONTACT_OF,
            roles=("billing", "decision_maker"),
            primary=True,
            valid_from=T0,
            valid_until=None,
        )
        == first
    )
    assert ANA == view.primary_contact(ACME)
    assert view.primary_contact(ACME_ID) is None


def test_contacts_can_be_filtered_by_role():
    """role= keeps the contacts holding that role."""
    view = GRAPH.at(day(2022))
    assert [BUDI] == ids(view.contacts(ACME, role="technical"))
    assert [] == ids(view.contacts(ACME, role="legal"))


def test_a_contact_who_left_is_gone_from_the_end_on():
    """Validity is [valid_from, valid_until): in force at the start, gone at the end."""
    assert CITRA in ids(GRAPH.at(day(2023) - timedelta(microseconds=1)).contacts(ACME))
    assert CITRA not in ids(GRAPH.at(day(2023)).contacts(ACME))
    assert CITRA in ids(GRAPH.at(day(2019)).contacts(ACME))
    assert [] == ids(GRAPH.at(day(2019) - timedelta(microseconds=1)).contacts(ACME))


def test_accounts_of_a_contact():
    """A person's accounts, each link naming the account."""
    assert [ACME] == ids(GRAPH.at(day(2020)).accounts(ANA))
    assert [ACME, ACME_ID] == ids(GRAPH.at(day(2021)).accounts(ANA))


def test_households_and_their_members():
    """A household's members, the head first; a member's households."""
    view = GRAPH.at(day(2022))
    assert [ANA, BUDI] == ids(view.members(HOME))
    assert [BUDI] == ids(view.members(HOME, role="spouse"))
    assert [HOME] == ids(view.households(BUDI))


def test_partners_referrals_and_links():
    """Partners of the business or of an account, referrals both ways, every link of a party."""
    view = GRAPH.at(day(2022))
    assert [ACME] == ids(view.partners())
    assert [CITRA] == ids(view.partners(of=ACME))
    assert [None] == ids(view.partnerships(ACME))
    assert [BUDI] == ids(view.referrals(ANA))
    assert [ANA] == ids(view.referrers(BUDI))
    kinds = [(link.kind.value, link.party_id) for link in view.links(BUDI)]
    assert [
        ("contact_of", ACME),
        ("household_member", HOME),
        ("referred_by", ANA),
    ] == kinds


# -- the hierarchy ------------------------------------------------------------------------


def test_parent_children_ancestors_and_descendants():
    """Nearest first up the hierarchy; level by level, by id, down it."""
    view = GRAPH.at(day(2022, 6))
    assert ACME == view.parent(JKT)
    assert view.parent(GROUP) is None
    assert (ACME, ACME_ID) == view.children(GROUP)
    assert (ACME, GROUP) == view.ancestors(JKT)
    assert (ACME, ACME_ID, JKT) == view.descendants(GROUP)
    assert (GROUP, ACME, ACME_ID, JKT) == view.subtree(GROUP)
    assert GROUP == view.root(JKT)
    assert GROUP == view.root(GROUP)


def test_max_depth_bounds_the_walks():
    """max_depth stops after that many levels."""
    view = GRAPH.at(day(2022, 6))
    assert (ACME,) == view.ancestors(JKT, max_depth=1)
    assert (ACME, ACME_ID) == view.descendants(GROUP, max_depth=1)
    with pytest.raises(ValidationError) as caught:
        view.descendants(GROUP, max_depth=0)
    assert "$.max_depth" == caught.value.path


def test_reparenting_at_a_boundary():
    """A child moved to another parent belongs to the new one from the switch on."""
    before = GRAPH.at(day(2024) - timedelta(microseconds=1))
    after = GRAPH.at(day(2024))
    assert ACME == before.parent(JKT)
    assert ACME_ID == after.parent(JKT)
    assert (ACME, ACME_ID, JKT) == before.descendants(GROUP)
    assert (ACME, ACME_ID, JKT, SBY) == after.descendants(GROUP)


def test_tree_shows_the_whole_hierarchy_from_its_root():
    """tree() starts at the root whatever account is asked; trees() lists every hierarchy."""
    view = GRAPH.at(day(2024))
    tree = view.tree(SBY)
    assert "group\n  acme\n  acme-id\n    acme-jkt\n    acme-sby" == tree.render()
    assert (
        HierarchyNode(
            GROUP,
            (
                HierarchyNode(ACME),
                HierarchyNode(ACME_ID, (HierarchyNode(JKT), HierarchyNode(SBY))),
            ),
        )
        == tree
    )
    assert (tree,) == view.trees()
    assert (ACME_ID, JKT, SBY) == view.subtree_tree(ACME_ID).ids()
    assert [(0, ACME_ID), (1, JKT), (1, SBY)] == list(view.subtree_tree(ACME_ID).walk())


def test_an_account_outside_any_hierarchy_is_its_own_tree():
    """An account with no parent and no children is a tree of one."""
    view = GRAPH.at(day(2022))
    assert HierarchyNode(ANA) == view.tree(ANA)
    assert () == view.ancestors(ANA)
    assert () == view.descendants(ANA)


def test_walks_stay_finite_on_data_with_cycles_and_two_parents():
    """On unchecked data the walks visit each account once and stay deterministic."""
    bad = RelationshipGraph(
        [
            rel(1, "parent_of", GROUP, ACME),
            rel(2, "parent_of", ACME, JKT),
            rel(3, "parent_of", JKT, GROUP),
            rel(4, "parent_of", SBY, JKT),
        ]
    )
    view = bad.at(T0)
    assert (ACME, SBY, GROUP) == view.ancestors(JKT)
    assert (GROUP, ACME) == view.descendants(JKT)
    assert GROUP == view.root(JKT)
    assert "group\n  acme\n    acme-jkt" == view.tree(JKT).render()
    assert ("acme-sby\n  acme-jkt\n    group\n      acme",) == tuple(
        tree.render() for tree in view.trees()
    )


def test_a_view_knows_its_time_and_relationships():
    """The view keeps the instant and the relationships in force then, by id."""
    view = GRAPH.at(day(2019, 6))
    assert day(2019, 6) == view.at
    assert [RelationshipId("r-08")] == [r.id for r in view.relationships]
    assert "RelationshipView(at='2019-06-01T00:00:00+00:00', relationships=1)" == repr(view)


# -- the graph ----------------------------------------------------------------------------


def test_the_graph_indexes_by_id_and_party():
    """get(), of_party(), len() and iteration, all by id."""
    assert 14 == len(GRAPH)
    assert [r.id for r in WORLD] == [r.id for r in GRAPH]
    assert WORLD[0] is GRAPH.get(RelationshipId("r-01"))
    assert GRAPH.get(RelationshipId("r-99")) is None
    assert ["r-07", "r-09", "r-10", "r-12"] == [r.id.value for r in GRAPH.of_party(ANA)]
    assert "RelationshipGraph(relationships=14)" == repr(GRAPH)


def test_the_graph_refuses_two_versions_of_one_relationship():
    """The same id twice is a duplicate_id conflict."""
    first = WORLD[0]
    with pytest.raises(RelationshipConflict) as caught:
        RelationshipGraph([first, first.set_primary(at=T0)])
    assert ("$.relationships[1].id", "duplicate_id") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: RelationshipGraph([object()]), "$.relationships[0]"),
        (lambda: RelationshipGraph(WORLD, check=1), "$.check"),
        (lambda: GRAPH.get("r-01"), "$.relationship_id"),
        (lambda: GRAPH.of_party("ana"), "$.party_id"),
        (lambda: GRAPH.at(T0).contacts("acme"), "$.account_id"),
        (lambda: GRAPH.admit(object()), "$.relationship"),
    ],
)
def test_wrong_types_are_refused(call, path):
    """Arguments of the wrong type raise InvalidType with their path."""
    with pytest.raises(InvalidType) as caught:
        call()
    assert path == caught.value.path


def test_a_naive_time_is_refused():
    """Views need an aware instant."""
    with pytest.raises(ValidationError) as caught:
        GRAPH.at(datetime(2022, 1, 1))  # noqa: DTZ001
    assert ("$.when", "naive_datetime") == (caught.value.path, caught.value.code)


# -- admitting one relationship -----------------------------------------------------------


def conflict_of(candidate, graph=GRAPH):
    with pytest.raises(RelationshipConflict) as caught:
        graph.admit(candidate)
    return caught.value


def test_admit_adds_a_relationship_that_keeps_the_rules():
    """admit() returns a new graph; the old one is unchanged."""
    extra = rel(20, "contact_of", BUDI, ACME_ID)
    bigger = GRAPH.admit(extra)
    assert 15 == len(bigger)
    assert 14 == len(GRAPH)
    assert [BUDI] == ids(bigger.at(day(2022)).contacts(ACME_ID))[:1]


def test_admit_replaces_an_earlier_version():
    """Admitting a changed relationship replaces its earlier version."""
    ended = WORLD[5].end(at=T0, valid_until=day(2021))
    graph = GRAPH.admit(ended)
    assert 14 == len(graph)
    assert BUDI not in ids(graph.at(day(2022)).contacts(ACME))


def test_overlapping_validity_of_the_same_relationship_is_refused():
    """The same kind between the same parties cannot hold twice at once."""
    error = conflict_of(rel(20, "contact_of", CITRA, ACME, start=day(2022, 12), end=day(2025)))
    assert ("$.valid_from", "overlap") == (error.path, error.code)
    assert (RelationshipId("r-20"), RelationshipId("r-08")) == (
        error.relationship_id,
        error.other_id,
    )
    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)


def test_adjacent_validities_do_not_overlap():
    """One ending exactly when the other starts is fine (half-open validity)."""
    candidate = rel(20, "contact_of", CITRA, ACME, start=day(2023))
    assert candidate == GRAPH.admit(candidate).get(candidate.id)


def test_a_voided_relationship_conflicts_with_nothing():
    """A relationship that ends when it starts was never in force."""
    voided = rel(20, "contact_of", ANA, ACME, start=day(2022), end=day(2022))
    admitted = GRAPH.admit(voided)
    assert voided == admitted.get(voided.id)
    assert voided.id not in {link.relationship_id for link in admitted.at(day(2022)).links(ANA)}


def test_a_second_primary_is_refused():
    """One primary contact per account at a time; clearing the old one first works."""
    candidate = rel(20, "contact_of", CITRA, ACME_ID, start=day(2021), primary=True)
    GRAPH.admit(candidate)
    second = GRAPH.admit(candidate)
    error = conflict_of(rel(21, "contact_of", BUDI, ACME_ID, primary=True), second)
    assert ("$.primary", "multiple_primary") == (error.path, error.code)
    error = conflict_of(rel(20, "household_member", CITRA, HOME, primary=True))
    assert "multiple_primary" == error.code
    assert (RelationshipId("r-10"),) == (error.other_id,)


def test_a_second_referrer_may_not_be_primary_but_may_be_recorded():
    """The credited (primary) referrer is unique per referred customer."""
    GRAPH.admit(rel(20, "referred_by", BUDI, CITRA))
    assert "multiple_primary" == conflict_of(rel(20, "referred_by", BUDI, CITRA, primary=True)).code


def test_a_second_parent_is_refused():
    """An organization has one parent at a time."""
    error = conflict_of(rel(20, "parent_of", ACME_ID, ACME, start=day(2022)))
    assert ("$.related_id", "multiple_parents") == (error.path, error.code)
    assert RelationshipId("r-01") == error.other_id


def test_a_cycle_is_refused_at_any_overlapping_time():
    """A parent_of that would make an account its own ancestor while it holds is refused."""
    error = conflict_of(rel(20, "parent_of", JKT, GROUP, start=day(2023), end=day(2023, 6)))
    assert ("$.related_id", "hierarchy_cycle") == (error.path, error.code)
    assert error.other_id is None
    error = conflict_of(rel(20, "parent_of", JKT, GROUP, start=day(2030)))
    assert "hierarchy_cycle" == error.code
    GRAPH.admit(rel(20, "parent_of", JKT, GROUP, start=day(2019), end=day(2020, 6)))


def test_a_loop_that_never_holds_at_once_is_no_cycle():
    """acme-jkt may own a company acme owned before, once acme's link ended."""
    graph = RelationshipGraph(
        [rel(1, "parent_of", ACME, SBY, end=day(2022)), rel(2, "parent_of", SBY, JKT)]
    )
    graph.admit(rel(3, "parent_of", JKT, ACME, start=day(2022)))
    error = conflict_of(rel(3, "parent_of", JKT, ACME, start=day(2021, 12)), graph)
    assert "hierarchy_cycle" == error.code


def test_the_candidate_is_checked_at_every_change_of_its_parents_chain():
    """A cycle that forms only midway through the candidate's validity is still found."""
    graph = RelationshipGraph(
        [rel(1, "parent_of", GROUP, ACME), rel(2, "parent_of", ACME, JKT, start=day(2025))]
    )
    error = conflict_of(rel(3, "parent_of", JKT, GROUP, start=day(2021), end=day(2026)), graph)
    assert "hierarchy_cycle" == error.code
    graph.admit(rel(3, "parent_of", JKT, GROUP, start=day(2021), end=day(2025)))


def test_admit_ignores_problems_that_do_not_involve_the_candidate():
    """Unchecked data with a cycle still admits an unrelated relationship."""
    bad = RelationshipGraph([rel(1, "parent_of", GROUP, ACME), rel(2, "parent_of", ACME, GROUP)])
    bad.admit(rel(3, "contact_of", ANA, ACME))


# -- checking a collection ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "path", "code"),
    [
        (
            rel(20, "contact_of", BUDI, ACME, start=day(2025)),
            "$.relationships[14].valid_from",
            "overlap",
        ),
        (
            rel(20, "contact_of", C("dewi"), ACME, primary=True),
            "$.relationships[14].primary",
            "multiple_primary",
        ),
        (
            rel(20, "parent_of", ACME_ID, ACME, start=day(2030)),
            "$.relationships[14].related_id",
            "multiple_parents",
        ),
        (
            rel(20, "parent_of", SBY, GROUP, start=day(2025)),
            "$.relationships[14].related_id",
            "hierarchy_cycle",
        ),
        (WORLD[3], "$.relationships[14].id", "duplicate_id"),
    ],
)
def test_check_relationships_names_the_relationship_by_index(extra, path, code):
    """The first broken rule is reported at the index of the relationship that breaks it."""
    with pytest.raises(RelationshipConflict) as caught:
        check_relationships([*WORLD, extra])
    assert (path, code) == (caught.value.path, caught.value.code)


def test_a_graph_built_with_check_refuses_a_broken_collection():
    """check=True runs check_relationships on the collection."""
    loop = [rel(1, "parent_of", GROUP, ACME), rel(2, "parent_of", ACME, GROUP)]
    with pytest.raises(RelationshipConflict) as caught:
        RelationshipGraph(loop, check=True)
    assert ("$.relationships[1].related_id", "hierarchy_cycle") == (
        caught.value.path,
        caught.value.code,
    )
    assert 2 == len(RelationshipGraph(loop))


def test_check_relationships_accepts_a_valid_world_in_any_order():
    """The order of the collection does not matter."""
    check_relationships(reversed(WORLD))
    check_relationships([])


def test_ends_free_the_slot_at_the_same_instant():
    """A parent link ending when another starts leaves the child one parent at a time."""
    check_relationships(
        [
            rel(1, "parent_of", ACME, JKT, end=day(2022)),
            rel(2, "parent_of", ACME_ID, JKT, start=day(2022)),
            rel(3, "parent_of", JKT, ACME, start=day(2022)),
        ]
    )


def test_conflict_messages_name_ids_only():
    """A conflict's message names relationship ids and rules, nothing personal."""
    error = conflict_of(rel(20, "contact_of", CITRA, ACME, start=day(2022), job_title="Rahasia"))
    assert "Rahasia" not in str(error)
    assert "r-08" in str(error)


def test_links_and_the_graph_answer_small_questions():
    """PartyLink.has_role and the graph's relationships tuple."""
    link = GRAPH.at(day(2022)).contacts(ACME)[0]
    assert link.has_role("billing")
    assert not link.has_role("legal")
    assert tuple(WORLD) == GRAPH.relationships
