"""Properties of duplicate detection: symmetry, bounds, identity, blocking and order."""

from itertools import combinations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore.customers import PostalAddress
from crmcore.errors import ValidationError
from crmcore.parties import (
    DEFAULT_RULES,
    FieldWeight,
    MatchRule,
    MatchRuleSet,
    PartyRecord,
    find_duplicates,
    jaro_winkler,
    match_pair,
    name_similarity,
    normalize_name,
)
from crmcore.parties._matching import _key_kinds, _prepare, all_pairs, blocking_keys
from crmcore.testing.strategies._parties import match_rule_sets, party_records

# A small pool of values, so that drawn records often share emails, phones, names and places.
GIVEN = ["Ana", "Budi", "Siti", "Sukarno", "Soekarno", "Dewi", "Agus", "José", "Zoë"]
FAMILY = ["Putri", "Santoso", "Santosa", "Rahayu", "Wijaya", "Núñez", ""]
TITLES = ["", "Bapak ", "Ibu ", "Dr. ", "H. "]
EMAILS = ["a@example.com", "b@example.com", "family@example.co.id"]
PHONES = ["+6281211112222", "+6281233334444", "+6591234567"]
ADDRESSES = [
    PostalAddress(
        lines=["Jl. Merdeka No. 10"], locality="Bandung", postal_code="40111", country="ID"
    ),
    PostalAddress(
        lines=["Jalan Merdeka 10"], locality="Kota Bandung", postal_code="40111", country="ID"
    ),
    PostalAddress(
        lines=["Jl. Merdeka No. 12"], locality="Bandung", postal_code="40111", country="ID"
    ),
    PostalAddress(
        lines=["Orchard Road 1"], locality="Singapore", postal_code="238801", country="SG"
    ),
]


@st.composite
def names(draw):
    given_name, family = draw(st.sampled_from(GIVEN)), draw(st.sampled_from(FAMILY))
    title = draw(st.sampled_from(TITLES))
    if draw(st.booleans()) and family:
        text = f"{title}{family}, {given_name}"
    else:
        text = f"{title}{given_name} {family}".strip()
    return text.upper() if draw(st.booleans()) else text


@st.composite
def pooled_records(draw, *, min_size=0, max_size=12):
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    return [
        PartyRecord(
            f"p-{index}",
            names=draw(st.lists(names(), max_size=2)),
            emails=draw(st.lists(st.sampled_from(EMAILS), max_size=2)),
            phones=draw(st.lists(st.sampled_from(PHONES), max_size=1)),
            addresses=draw(st.lists(st.sampled_from(ADDRESSES), max_size=2, unique=True)),
        )
        for index in range(count)
    ]


EXACT_ONLY = MatchRuleSet(
    [
        MatchRule("email", [FieldWeight("email", min_similarity=1)], threshold=1),
        MatchRule(
            "phone_and_name",
            [FieldWeight("phone", min_similarity=1), FieldWeight("name")],
            threshold="0.6",
        ),
    ]
)


@given(st.text(max_size=12), st.text(max_size=12))
def test_jaro_winkler_is_symmetric_and_bounded(a, b):
    """jaro_winkler(a, b) == jaro_winkler(b, a), in [0, 1], and 1 for equal strings."""
    score = jaro_winkler(a, b)
    assert score == jaro_winkler(b, a)
    assert 0.0 <= score <= 1.0
    assert 1.0 == jaro_winkler(a, a)


@given(st.one_of(names(), st.text(max_size=30)), st.one_of(names(), st.text(max_size=30)))
def test_name_similarity_is_symmetric_and_bounded(a, b):
    """name_similarity is symmetric, in [0, 1], and 1 for a name against itself."""
    score = name_similarity(a, b)
    assert score == name_similarity(b, a)
    assert 0.0 <= score <= 1.0
    if normalize_name(a):
        assert 1.0 == name_similarity(a, a)


@given(pooled_records(min_size=2, max_size=2), st.one_of(st.just(DEFAULT_RULES), match_rule_sets()))
def test_match_pair_is_symmetric_and_bounded(pair, rules):
    """The same rules hold with the same scores whichever party comes first."""
    a, b = pair
    one, other = match_pair(a, b, rules), match_pair(b, a, rules)
    assert (one is None) == (other is None)
    if one is not None:
        assert one.score == other.score
        assert one.matches == other.matches
        assert 0.0 <= one.score <= 1.0
        for match in one.matches:
            assert all(0.0 <= f.similarity <= 1.0 for f in match.fields)


@given(party_records(kinds=("person",)))
def test_identical_records_score_one(record):
    """A record and a copy of it (another key) score exactly 1 when a rule applies."""
    assume(record.emails and any(normalize_name(n) for n in record.names))
    copy = PartyRecord(
        "copy",
        names=record.names,
        emails=record.emails,
        phones=record.phones,
        addresses=record.addresses,
    )
    candidate = match_pair(record, copy)
    assert candidate is not None
    assert 1.0 == candidate.score
    assert all(m.score == 1.0 for m in candidate.matches)


def _shares_a_key(records, rules):
    prepared = _prepare(records, "$.parties")
    kinds = _key_kinds(rules)
    keys = {p.key: set(blocking_keys(p, kinds)) for p in prepared}
    return lambda a, b: bool(keys[a] & keys[b])


@given(pooled_records(), st.one_of(st.just(DEFAULT_RULES), match_rule_sets()))
def test_blocked_results_are_all_pairs_results_sharing_a_key(records, rules):
    """Blocking only leaves pairs out: under the cap, it keeps every pair sharing a key."""
    blocked = find_duplicates(records, rules)
    naive = all_pairs(records, rules)
    assert set(blocked.candidates) <= set(naive.candidates)
    if blocked.oversized_blocks == 0:
        shares = _shares_a_key(records, rules)
        expected = tuple(c for c in naive.candidates if shares(c.left, c.right))
        assert expected == blocked.candidates


@given(pooled_records())
def test_exact_blocking_loses_nothing(records):
    """Rules that need an equal email or phone find exactly what all pairs find."""
    assert (
        all_pairs(records, EXACT_ONLY).candidates == find_duplicates(records, EXACT_ONLY).candidates
    )


@given(
    pooled_records(), st.integers(min_value=2, max_value=4), st.integers(min_value=1, max_value=3)
)
def test_capped_blocks_stay_a_subset(records, cap, window):
    """With tiny blocks and windows, blocking still finds nothing all pairs would not."""
    rules = MatchRuleSet(DEFAULT_RULES.rules, max_block_size=cap, window=window)
    assert set(find_duplicates(records, rules).candidates) <= set(
        all_pairs(records, rules).candidates
    )


@given(pooled_records(), st.one_of(st.just(DEFAULT_RULES), match_rule_sets()))
def test_the_order_is_deterministic(records, rules):
    """Best score first, then input order of left and right; the same input, the same output."""
    report = find_duplicates(records, rules)
    assert report == find_duplicates(list(records), rules)
    position = {r.key: i for i, r in enumerate(records)}
    order = [(-c.score, position[c.left], position[c.right]) for c in report.candidates]
    assert sorted(order) == order
    assert all(position[c.left] < position[c.right] for c in report.candidates)
    assert len({(c.left, c.right) for c in report.candidates}) == len(report.candidates)


@given(pooled_records())
def test_groups_cover_every_candidate(records):
    """Each candidate's two parties land in the same group, and no party in two groups."""
    report = find_duplicates(records)
    groups = report.groups()
    where = {key: i for i, group in enumerate(groups) for key in group}
    assert sum(len(g) for g in groups) == len(where)
    for candidate in report.candidates:
        assert where[candidate.left] == where[candidate.right]
    for group in groups:
        for a, b in combinations(group, 2):
            assert where[a] == where[b]


#: Every fragment of personal data the pool holds (name tokens, email parts, digits, streets).
PERSONAL = {
    *(t.lower() for n in GIVEN + FAMILY if n for t in (n, normalize_name(n))),
    "example",
    "family@",
    "81211112222",
    "81233334444",
    "91234567",
    "merdeka",
    "orchard",
    "40111",
    "238801",
    "bandung",
}


@given(pooled_records(min_size=2))
def test_explanations_and_reprs_hold_no_personal_data(records):
    """Explanations, reprs and notes name rules, fields and numbers, never a value."""
    report = find_duplicates(records)
    texts = [repr(report), *(repr(r) for r in records)]
    for candidate in report.candidates:
        texts.append(candidate.explain())
        texts.extend(note for m in candidate.matches for f in m.fields for note in f.notes)
    for text in texts:
        lowered = text.lower()
        assert not [p for p in PERSONAL if p and p in lowered], text


def test_strategy_options_are_checked():
    """party_records validates its options when created, naming the argument."""
    with pytest.raises(ValidationError) as info:
        party_records(kinds=[])
    assert "$.kinds" == info.value.path
    with pytest.raises(ValidationError) as info:
        party_records(kinds=["household"])
    assert "$.kinds[0]" == info.value.path
    with pytest.raises(ValidationError) as info:
        party_records(max_contacts=99)
    assert "$.max_contacts" == info.value.path
