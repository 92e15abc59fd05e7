"""Tests for `crmcore.teams._territories`: party facts, size bands, territories and their precedence."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore.customers import PostalAddress
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import (
    Criterion,
    PartyFacts,
    SizeBand,
    Territory,
    TerritoryId,
    TerritoryMatch,
    TerritoryResolution,
    TerritorySet,
    normalize_country,
    normalize_postal_code,
    normalize_region,
)
from crmcore.teams._territories import MAX_CRITERION_VALUES, MAX_REGION
from crmcore.testing.strategies._teams import (
    _scenario_facts,
    _scenario_territory_sets,
    party_facts,
    size_bands,
    territories,
    territory_matches,
    territory_resolutions,
    territory_sets,
)


def territory(tid, **criteria):
    return Territory(id=TerritoryId(tid), name=tid.title(), **criteria)


# -- normalization and facts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (normalize_country, " sg", "SG"),
        (normalize_region, "DKI  Jakarta ", "dki jakarta"),
        (normalize_region, "Île-de-France", "île-de-france"),
        (normalize_postal_code, "sw1a 1aa", "SW1A1AA"),
        (normalize_postal_code, "94043-1351", "940431351"),
    ],
)
def test_values_are_normalized_as_territories_compare_them(function, value, expected):
    """Countries upper-cased, regions folded, postal codes without spaces or hyphens."""
    assert expected == function(value)


@pytest.mark.parametrize(
    ("function", "value", "error", "code"),
    [
        (normalize_country, "XX", ValidationError, "country"),
        (normalize_country, 62, InvalidType, "type"),
        (normalize_region, "", ValidationError, "too_short"),
        (normalize_region, "ß" * MAX_REGION, ValidationError, "too_long"),
        (normalize_postal_code, "40 11!", ValidationError, "postal_code"),
        (normalize_postal_code, "\uff14\uff10\uff11\uff11\uff11", ValidationError, "postal_code"),
        (normalize_postal_code, "1" * 21, ValidationError, "postal_code"),
        (normalize_postal_code, 40111, InvalidType, "type"),
    ],
)
def test_bad_values_raise_specific_errors(function, value, error, code):
    """Each normalizer refuses what it cannot compare, with a code."""
    with pytest.raises(error) as caught:
        function(value)
    assert code == caught.value.code


@given(st.text(max_size=60))
def test_normalizing_a_region_twice_changes_nothing(text):
    """A normalized region is its own normal form (stored documents load unchanged)."""
    try:
        once = normalize_region(text)
    except ValidationError:
        return
    assert once == normalize_region(once)


def test_party_facts_hide_where_the_party_is():
    """The repr of facts leaves out the region and the postal code."""
    facts = PartyFacts(country="ID", region="Bali", postal_code="80361", employee_count=12)
    assert "80361" not in repr(facts)
    assert "bali" not in repr(facts).lower()
    assert "PartyFacts(country='ID', industry=None, employee_count=12, <redacted>)" == repr(facts)


def test_party_facts_come_from_an_address():
    """from_address reads the country, region and postal code; organization facts are added."""
    address = PostalAddress(
        lines=["Jl. Asia Afrika 8"], country="id", region="Jawa Barat", postal_code="40111"
    )
    facts = PartyFacts.from_address(address, industry="Retail", employee_count=80)
    expected = PartyFacts(
        country="ID", region="jawa barat", postal_code="40111", industry="retail", employee_count=80
    )
    assert expected == facts


def test_an_address_with_an_uncomparable_postal_code_names_the_address():
    """A postal code territories cannot compare is refused under $.address."""
    address = PostalAddress(lines=["x"], country="ID", postal_code="40111 (rear)")
    with pytest.raises(ValidationError) as caught:
        PartyFacts.from_address(address)
    assert "$.address.postal_code" == caught.value.path
    with pytest.raises(InvalidType):
        PartyFacts.from_address("Jl. Asia Afrika 8")


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"employee_count": -1}, "$.employee_count"),
        ({"employee_count": True}, "$.employee_count"),
        ({"employee_count": 10**10}, "$.employee_count"),
        ({"industry": ""}, "$.industry"),
        ({"country": "Indonesia"}, "$.country"),
    ],
)
def test_bad_facts_name_the_field(kwargs, path):
    """Each bad fact is refused at its own path."""
    with pytest.raises(ValidationError) as caught:
        PartyFacts(**kwargs)
    assert path == caught.value.path


# -- size bands and territories -------------------------------------------------------------


def test_size_bands_include_both_ends_and_may_be_open():
    """A band holds its bounds; without a top it holds everything above its bottom."""
    band = SizeBand(10, 49)
    assert [False, True, True, False] == [band.contains(n) for n in (9, 10, 49, 50)]
    assert SizeBand(250).contains(10**6)
    with pytest.raises(InvalidType):
        band.contains(12.0)


def test_territory_values_are_sorted_and_kept_once():
    """Criterion values are normalized, sorted and unique, so equal rules are equal values."""
    one = territory("a", countries=["sg", "ID", "id"], postal_prefixes=["40 1", "10"])
    two = territory("a", countries=["ID", "SG"], postal_prefixes=["10", "401"])
    assert one == two
    assert ("ID", "SG") == one.countries
    assert (Criterion.COUNTRY, Criterion.POSTAL_CODE) == one.criteria
    assert 2 == one.specificity


def test_a_party_without_a_constrained_fact_does_not_match():
    """Missing facts never satisfy a criterion; unconstrained criteria ignore them."""
    bandung = territory("bandung", countries=["ID"], postal_prefixes=["40"], sizes=[SizeBand(0, 9)])
    facts = PartyFacts(country="ID")
    assert (Criterion.POSTAL_CODE, Criterion.SIZE) == bandung.mismatches(facts)
    assert territory("world").matches(facts)


@pytest.mark.parametrize(
    ("kwargs", "error", "path", "code"),
    [
        ({"countries": "ID"}, InvalidType, "$.countries", "type"),
        ({"countries": ["ID", "XX"]}, ValidationError, "$.countries[1]", "country"),
        ({"regions": [None]}, InvalidType, "$.regions[0]", "type"),
        ({"postal_prefixes": ["40_"]}, ValidationError, "$.postal_prefixes[0]", "postal_code"),
        ({"postal_prefixes": ["-"]}, ValidationError, "$.postal_prefixes[0]", "postal_code"),
        ({"industries": ["?!"]}, ValidationError, "$.industries[0]", "tag"),
        ({"sizes": [(1, 2)]}, InvalidType, "$.sizes[0]", "type"),
        ({"name": ""}, ValidationError, "$.name", "too_short"),
        ({"id": "t-1"}, InvalidType, "$.id", "type"),
        (
            {"industries": [f"i{n}" for n in range(MAX_CRITERION_VALUES + 1)]},
            ValidationError,
            "$.industries",
            "too_many",
        ),
    ],
)
def test_bad_territories_raise_specific_errors(kwargs, error, path, code):
    """Each bad criterion is refused at its path with its code."""
    arguments = {"id": TerritoryId("t-1"), "name": "T", **kwargs}
    with pytest.raises(error) as caught:
        Territory(**arguments)
    assert (path, code) == (caught.value.path, caught.value.code)


# -- precedence -----------------------------------------------------------------------------

BANDUNG = PartyFacts(
    country="ID", region="Jawa Barat", postal_code="40115", industry="retail", employee_count=60
)


def test_the_most_specific_territory_wins():
    """More constrained criteria beat fewer, whatever the declared order."""
    territory_set = TerritorySet(
        [
            territory("indonesia", countries=["ID"]),
            territory(
                "west-java-retail", countries=["ID"], regions=["jawa barat"], industries=["retail"]
            ),
            territory("west-java", countries=["ID"], regions=["Jawa Barat"]),
        ]
    )
    resolution = territory_set.resolve(BANDUNG)
    assert TerritoryId("west-java-retail") == resolution.territory_id
    assert ["west-java-retail", "west-java", "indonesia"] == [
        m.territory_id.value for m in resolution.matches
    ]
    expected = (
        "west-java-retail wins: it matches country, region, industry (3 criteria)",
        "west-java also matches but is less specific (2 criteria)",
        "indonesia also matches but is less specific (1 criterion)",
    )
    assert expected == resolution.explanation


def test_a_longer_postal_prefix_breaks_a_tie():
    """With as many criteria, the longer matching postal-code prefix wins."""
    territory_set = TerritorySet(
        [
            territory("bandung", postal_prefixes=["40"]),
            territory("bandung-centre", postal_prefixes=["401", "9"]),
        ]
    )
    resolution = territory_set.resolve(BANDUNG)
    assert TerritoryId("bandung-centre") == resolution.territory_id
    assert 3 == resolution.winner.prefix_length
    assert (
        "bandung also matches 1 criterion but with a shorter postal-code prefix (2 against 3 characters)"
        == resolution.explanation[1]
    )


def test_declared_order_breaks_the_last_tie():
    """Equally specific territories: the one declared first wins."""
    territory_set = TerritorySet(
        [
            territory("retail", industries=["retail"]),
            territory("mid-size", sizes=[SizeBand(50, 249)]),
        ]
    )
    resolution = territory_set.resolve(BANDUNG)
    assert TerritoryId("retail") == resolution.territory_id
    assert (
        "mid-size also matches as specifically but is declared later (position 1 after 0)"
        == resolution.explanation[1]
    )


def test_no_match_and_catch_all():
    """No matching territory resolves to None; a territory without criteria matches everyone."""
    assert TerritorySet().resolve(BANDUNG).territory_id is None
    assert ("no territory matches",) == TerritorySet().resolve(BANDUNG).explanation
    world = TerritorySet([territory("sg", countries=["SG"]), territory("world")])
    resolution = world.resolve(BANDUNG)
    assert TerritoryId("world") == resolution.territory_id
    assert ("world wins: it has no criteria and matches every party",) == resolution.explanation


def test_explanations_never_show_the_party_values():
    """The explanation names territories and criteria, not the party's postal code or region."""
    territory_set = TerritorySet([territory("b", postal_prefixes=["4011"], regions=["jawa barat"])])
    text = " ".join(territory_set.resolve(BANDUNG).explanation)
    assert "40115" not in text
    assert "jawa" not in text


def test_a_set_refuses_the_same_territory_twice_and_finds_by_id():
    """Ids are unique within a set; get finds one or raises unknown_territory."""
    with pytest.raises(ValidationError) as caught:
        TerritorySet([territory("a"), territory("b"), territory("a", countries=["ID"])])
    assert ("$.territories[2].id", "duplicate") == (caught.value.path, caught.value.code)
    territory_set = TerritorySet([territory("a")])
    assert territory_set.territories[0] is territory_set.get(TerritoryId("a"))
    with pytest.raises(ValidationError) as missing:
        territory_set.get(TerritoryId("b"))
    assert "unknown_territory" == missing.value.code
    with pytest.raises(InvalidType):
        territory_set.get("a")
    with pytest.raises(InvalidType) as facts:
        territory_set.resolve({"country": "ID"})
    assert "$.facts" == facts.value.path


def test_resolutions_check_their_order():
    """A resolution built by hand must list its matches in precedence order, each once."""
    first = TerritoryMatch(territory_id=TerritoryId("a"), position=0, criteria=["country"])
    second = TerritoryMatch(territory_id=TerritoryId("b"), position=1, criteria=[])
    assert TerritoryId("a") == TerritoryResolution(matches=(first, second)).territory_id
    with pytest.raises(ValidationError) as caught:
        TerritoryResolution(matches=(second, first))
    assert "order" == caught.value.code
    with pytest.raises(ValidationError) as unordered:
        TerritoryMatch(territory_id=TerritoryId("a"), position=0, criteria=["size", "country"])
    assert ("$.criteria", "order") == (unordered.value.path, unordered.value.code)
    with pytest.raises(ValidationError) as negative:
        TerritoryMatch(territory_id=TerritoryId("a"), position=-1, criteria=[])
    assert "$.position" == negative.value.path


def _brute_force_matches(t, facts):
    """Whether ``t`` matches ``facts``, and the longest postal prefix, written out longhand."""
    checks = []
    if t.countries:
        checks.append(facts.country in t.countries)
    if t.regions:
        checks.append(facts.region in t.regions)
    prefix = 0
    if t.postal_prefixes:
        lengths = [
            len(p)
            for p in t.postal_prefixes
            if facts.postal_code and facts.postal_code[: len(p)] == p
        ]
        prefix = max(lengths, default=0)
        checks.append(bool(lengths))
    if t.industries:
        checks.append(facts.industry in t.industries)
    if t.sizes:
        count = facts.employee_count
        checks.append(
            count is not None
            and any(
                b.min_employees <= count and (b.max_employees is None or count <= b.max_employees)
                for b in t.sizes
            )
        )
    return all(checks), prefix


@given(_scenario_territory_sets(6), _scenario_facts())
def test_resolution_agrees_with_a_brute_force_ranking(territory_set, facts):
    """The winner is the matching territory with most criteria, then longest prefix, then first."""
    ranked = []
    for position, t in enumerate(territory_set.territories):
        matched, prefix = _brute_force_matches(t, facts)
        if matched:
            ranked.append(((-len(t.criteria), -prefix, position), t.id))
    resolution = territory_set.resolve(facts)
    assert [tid for _, tid in sorted(ranked)] == [m.territory_id for m in resolution.matches]
    if ranked:
        assert min(ranked)[1] == resolution.territory_id
        assert len(resolution.matches) == len(resolution.explanation)
    else:
        assert resolution.territory_id is None


@given(_scenario_territory_sets(6), _scenario_facts(), st.randoms(use_true_random=False))
def test_reordering_only_matters_between_equally_specific_territories(territory_set, facts, rnd):
    """Shuffling the set never changes the winner's criteria count and prefix length."""
    shuffled = list(territory_set.territories)
    rnd.shuffle(shuffled)
    one = territory_set.resolve(facts).winner
    two = TerritorySet(shuffled).resolve(facts).winner
    assert (one is None) == (two is None)
    if one is not None:
        assert one.precedence[:2] == two.precedence[:2]


@given(territory_sets(), party_facts())
def test_resolving_is_deterministic(territory_set, facts):
    """The same set and facts always resolve the same way."""
    assert territory_set.resolve(facts) == territory_set.resolve(facts)


# -- documents ------------------------------------------------------------------------------


@given(
    st.one_of(
        territories(),
        territory_sets(),
        size_bands(),
        party_facts(),
        territory_matches(),
        territory_resolutions(),
    )
)
def test_territory_values_round_trip(value):
    """Every territory value survives to_dict and from_dict unchanged."""
    assert value == from_dict(type(value), to_dict(value))


@pytest.mark.parametrize(
    ("document", "path", "code"),
    [
        (
            {"territories": [{"id": "a", "name": "A", "countries": ["XX"]}]},
            "$.territories[0].countries[0]",
            "country",
        ),
        (
            {"territories": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]},
            "$.territories[1].id",
            "duplicate",
        ),
        (
            {
                "territories": [
                    {"id": "a", "name": "A", "sizes": [{"min_employees": 9, "max_employees": 1}]}
                ]
            },
            "$.territories[0].sizes[0].max_employees",
            "bounds",
        ),
        (
            {"territories": [{"id": "a", "name": "A", "sizes": [{"min_employees": "9"}]}]},
            "$.territories[0].sizes[0].min_employees",
            "type",
        ),
        (
            {"territories": [{"id": "a", "name": "A", "regions": "bali"}]},
            "$.territories[0].regions",
            "type",
        ),
        ({"territories": [{"id": "a"}]}, "$.territories[0].name", "required"),
        (
            {"territories": [{"id": "a", "name": "A", "extra": 1}]},
            "$.territories[0]",
            "unknown_keys",
        ),
    ],
)
def test_bad_territory_documents_name_the_field(document, path, code):
    """A stored territory set breaking a rule is refused with the field's path and code."""
    with pytest.raises(ValidationError) as caught:
        from_dict(TerritorySet, {**document, "schema_version": 2})
    assert (path, code) in [(p.path, p.code) for p in caught.value.problems]


def test_a_territory_document_is_plain_json():
    """Territories are written as sorted lists of normalized values."""
    value = territory(
        "b", countries=["id"], postal_prefixes=["40 1"], sizes=[SizeBand(1000), SizeBand(0, 9)]
    )
    expected = {
        "id": "b",
        "name": "B",
        "countries": ["ID"],
        "regions": [],
        "postal_prefixes": ["401"],
        "industries": [],
        "sizes": [
            {"min_employees": 0, "max_employees": 9},
            {"min_employees": 1000, "max_employees": None},
        ],
        "schema_version": 2,
    }
    assert expected == to_dict(value)


def test_organization_facts_from_an_address_keep_their_own_paths():
    """A bad industry or headcount next to an address is reported at its own path."""
    address = PostalAddress(lines=["x"], country="ID")
    with pytest.raises(ValidationError) as caught:
        PartyFacts.from_address(address, employee_count=-3)
    assert "$.employee_count" == caught.value.path


@pytest.mark.parametrize(
    ("build", "error", "path", "code"),
    [
        (
            lambda: TerritoryMatch(territory_id=TerritoryId("a"), position=0, criteria="country"),
            InvalidType,
            "$.criteria",
            "type",
        ),
        (
            lambda: TerritoryMatch(
                territory_id=TerritoryId("a"), position=0, criteria=[], prefix_length=21
            ),
            ValidationError,
            "$.prefix_length",
            "range",
        ),
        (
            lambda: TerritoryResolution(
                matches=(
                    TerritoryMatch(territory_id=TerritoryId("a"), position=0, criteria=[]),
                    TerritoryMatch(territory_id=TerritoryId("a"), position=1, criteria=[]),
                )
            ),
            ValidationError,
            "$.matches",
            "duplicate",
        ),
        (lambda: TerritorySet("territories"), InvalidType, "$.territories", "type"),
    ],
)
def test_results_refuse_what_a_resolution_never_gives(build, error, path, code):
    """Matches, resolutions and sets built by hand are checked like any value."""
    with pytest.raises(error) as caught:
        build()
    assert (path, code) == (caught.value.path, caught.value.code)
