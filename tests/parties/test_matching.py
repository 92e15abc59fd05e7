"""Tests for `crmcore.parties._matching`: the searches, explanations, blocking and its cap."""

from datetime import UTC, datetime

import pytest

from crmcore.customers import (
    ContactPoint,
    Customer,
    CustomerId,
    OrganizationName,
    PersonName,
    PostalAddress,
)
from crmcore.errors import InvalidType, ValidationError
from crmcore.parties import (
    DEFAULT_RULES,
    Candidate,
    DuplicateReport,
    FieldSimilarity,
    FieldWeight,
    MatchField,
    MatchRule,
    MatchRuleSet,
    PartyRecord,
    RuleMatch,
    find_duplicates,
    find_matches,
    match_pair,
)
from crmcore.parties._matching import _key_kinds, _prepare, all_pairs, blocking_keys

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BANDUNG = PostalAddress(
    lines=["Jl. Merdeka No. 10"], locality="Bandung", postal_code="40111", country="ID"
)
BANDUNG_AGAIN = PostalAddress(
    lines=["Jalan Merdeka 10"], locality="Kota Bandung", postal_code="40111", country="ID"
)
#: Values that must never appear in an explanation, a repr or an error message.
SECRETS = ("ana", "putri", "budi", "santoso", "example", "812", "merdeka", "40111", "bandung")


def customer(cid, name, *points, addresses=()):
    return Customer.register(
        CustomerId(cid), name=name, at=AT, contact_points=list(points), addresses=list(addresses)
    )


def email(value):
    return ContactPoint("email", value)


def phone(value):
    return ContactPoint.phone(value)


@pytest.fixture
def people():
    return [
        customer("c-1", PersonName("Ana", family="Putri"), email("ana@example.com")),
        customer("c-2", PersonName("Budi", family="Santoso"), phone("+62 812 1111 2222")),
        customer("c-3", PersonName("Putri, Ana"), email("ANA@example.com")),
        customer("c-4", PersonName("Bapak Budi", family="Santosa"), phone("+62 812-1111-2222")),
        customer("c-5", PersonName("Sukarno"), addresses=[BANDUNG]),
        customer("c-6", PersonName("Ir. Soekarno"), addresses=[BANDUNG_AGAIN]),
        customer("c-7", PersonName("Siti", family="Rahayu"), email("ana@example.com")),
    ]


def test_finds_the_duplicates_best_first(people):
    """Each pair is found by its rule; the family email alone is not enough."""
    report = find_duplicates(people)
    found = [(str(c.left), str(c.right), c.rule) for c in report.candidates]
    assert [
        ("c-1", "c-3", "email_and_name"),
        ("c-5", "c-6", "name_and_address"),
        ("c-2", "c-4", "phone_and_name"),
    ] == found
    assert 7 == report.parties
    assert report.comparisons >= 3


def test_explanations_name_rules_fields_and_similarities(people):
    """An explanation says which rule held and how similar each field was."""
    by_pair = {(str(c.left), str(c.right)): c for c in find_duplicates(people).candidates}
    assert "email_and_name 1.00: email: exact; name: 1.00 (jaro-winkler, reordered)" == (
        by_pair[("c-1", "c-3")].explain()
    )
    assert (
        "name_and_address 1.00: name: 1.00 (jaro-winkler, titles, old spelling); "
        "address: 1.00 (street 1.00, postal code same, locality 1.00)"
    ) == by_pair[("c-5", "c-6")].explain()
    budi = by_pair[("c-2", "c-4")]
    assert budi.explain().startswith("phone_and_name 0.9")
    assert "phone: exact; name: 0.9" in budi.explain()


def test_explanations_and_reprs_never_show_personal_data(people):
    """No name, email, phone or address value in explanations or reprs."""
    report = find_duplicates(people)
    texts = [repr(report)]
    for candidate in report.candidates:
        texts.extend([candidate.explain(), repr(candidate)])
        texts.extend(str(m) for m in candidate.matches)
    texts.extend(repr(PartyRecord.from_customer(c)) for c in people)
    for text in texts:
        lowered = text.lower()
        assert not [s for s in SECRETS if s in lowered], text


def test_customers_and_records_give_the_same_result(people):
    """A customer and its PartyRecord are compared alike."""
    records = [PartyRecord.from_customer(c) for c in people]
    assert find_duplicates(people) == find_duplicates(records)


def test_the_order_is_deterministic(people):
    """The same input gives the same output; ties keep the input order."""
    assert find_duplicates(people) == find_duplicates(list(people))
    report = find_duplicates(people)
    scores = [c.score for c in report.candidates]
    assert sorted(scores, reverse=True) == scores


def test_groups_link_chains_of_pairs():
    """Candidates a-b and b-c put a, b and c in one group."""
    records = [
        PartyRecord("a", names=["Ana Putri"], emails=["x@example.com"]),
        PartyRecord("b", names=["Ana Putri"], emails=["x@example.com"], phones=["+6281211112222"]),
        PartyRecord("c", names=["Ana Putri"], phones=["+6281211112222"]),
        PartyRecord("d", names=["Budi"], phones=["+6281299998888"]),
    ]
    assert (("a", "b", "c"),) == find_duplicates(records).groups()


def test_organizations_and_people_never_match_by_name():
    """A person and an organization sharing an email and a name are not duplicates."""
    person = PartyRecord.from_parts(
        "p", name=PersonName("Sinar Jaya"), contact_points=[email("info@example.com")]
    )
    company = PartyRecord.from_parts(
        "o", name=OrganizationName("PT Sinar Jaya"), contact_points=[email("info@example.com")]
    )
    assert match_pair(person, company) is None
    other = PartyRecord.from_parts(
        "o2", name=OrganizationName("Sinar Jaya Tbk"), contact_points=[email("info@example.com")]
    )
    assert "email_and_name" == match_pair(company, other).rule


def test_missing_fields_make_a_rule_not_apply():
    """A rule needs every field it names on both sides: missing is not agreement."""
    a = PartyRecord("a", names=["Ana Putri"])
    b = PartyRecord("b", names=["Ana Putri"])
    assert match_pair(a, b) is None
    name_only = MatchRuleSet([MatchRule("name_only", [FieldWeight("name")], threshold=1)])
    assert 1.0 == match_pair(a, b, name_only).score


def test_every_holding_rule_is_listed():
    """When several rules hold, the best gives the score and all are kept."""
    a = PartyRecord("a", names=["Ana Putri"], emails=["a@example.com"], phones=["+6281211112222"])
    b = PartyRecord("b", names=["Ana Putri"], emails=["a@example.com"], phones=["+6281211112222"])
    candidate = match_pair(a, b)
    assert ["email_and_name", "phone_and_name"] == [m.rule for m in candidate.matches]
    assert "email_and_name" == candidate.rule


def test_find_matches_looks_for_one_party():
    """A lead is compared with the customers sharing a key with it; its own key is skipped."""
    customers = [
        PartyRecord("c-1", names=["Ana Putri"], emails=["ana@example.com"]),
        PartyRecord("c-2", names=["Budi"], emails=["budi@example.com"]),
        PartyRecord("c-3", names=["Putri Ana"], emails=["ana@example.com"]),
    ]
    lead = PartyRecord("lead-1", names=["Ibu Ana Putri"], emails=["Ana@Example.com"])
    found = find_matches(lead, customers)
    assert [("lead-1", "c-1"), ("lead-1", "c-3")] == [(c.left, c.right) for c in found]
    assert () == find_matches(customers[0], customers[:1])


def test_find_matches_in_an_oversized_block_keeps_the_nearest_names():
    """Above the cap, only the window of nearest names around the party is compared."""
    shared = ["same@example.com"]
    among = [PartyRecord(f"c-{i:03d}", names=[f"Name{i:03d} X"], emails=shared) for i in range(50)]
    among.append(PartyRecord("c-ana", names=["Ana Putri"], emails=shared))
    rules = MatchRuleSet(DEFAULT_RULES.rules, max_block_size=10, window=2)
    lead = PartyRecord("lead", names=["Ana Putri"], emails=shared)
    assert ["c-ana"] == [c.right for c in find_matches(lead, among, rules)]


def test_progress_is_reported():
    """progress(done, total) ends with done == total."""
    calls = []
    records = [PartyRecord(i, names=["Ana"], emails=["a@example.com"]) for i in range(5)]
    find_duplicates(records, progress=lambda done, total: calls.append((done, total)))
    assert calls
    assert calls[-1][0] == calls[-1][1]


def test_a_hostile_block_is_compared_by_a_window():
    """Thousands of parties sharing one email cost a window each, not all pairs."""
    n = 3000
    records = [
        PartyRecord(i, names=[f"Person {i}"], emails=["noemail@example.com"]) for i in range(n)
    ]
    rules = MatchRuleSet(DEFAULT_RULES.rules, max_block_size=100, window=5)
    report = find_duplicates(records, rules)
    assert 1 == report.oversized_blocks
    assert report.comparisons <= n * 5


def test_comparisons_are_bounded_by_the_memberships():
    """Comparisons are at most memberships times max((cap - 1) / 2, window)."""
    records = [
        PartyRecord(i, names=["Ana Putri"], emails=[f"a{i % 7}@example.com"]) for i in range(700)
    ]
    rules = MatchRuleSet(DEFAULT_RULES.rules, max_block_size=50, window=3)
    report = find_duplicates(records, rules)
    memberships = sum(
        len(blocking_keys(p, _key_kinds(rules))) for p in _prepare(records, "$.parties")
    )
    assert report.comparisons <= memberships * max((50 - 1) / 2, 3)


def test_all_pairs_agrees_on_a_small_input(people):
    """The quadratic baseline finds the same pairs here (every block is under the cap)."""
    assert find_duplicates(people).candidates == all_pairs(people).candidates


@pytest.mark.parametrize(
    ("call", "path", "error"),
    [
        (lambda: find_duplicates(["c-1"]), "$.parties[0]", InvalidType),
        (lambda: find_duplicates("abc"), "$.parties", InvalidType),
        (lambda: find_duplicates([], rules={"rules": []}), "$.rules", InvalidType),
        (lambda: find_duplicates([], progress="yes"), "$.progress", InvalidType),
        (
            lambda: find_duplicates([PartyRecord("k"), PartyRecord("k")]),
            "$.parties[1].key",
            ValidationError,
        ),
        (lambda: find_matches(None, []), "$.party", InvalidType),
        (lambda: find_matches(PartyRecord("k"), [1]), "$.among[0]", InvalidType),
        (lambda: match_pair(PartyRecord("k"), "ana@example.com"), "$.b", InvalidType),
        (lambda: PartyRecord("ana@example.com"), "$.key", ValidationError),
        (lambda: PartyRecord(1.5), "$.key", InvalidType),
        (lambda: PartyRecord(True), "$.key", InvalidType),
        (lambda: PartyRecord(2**64), "$.key", ValidationError),
        (lambda: PartyRecord("k", names="Ana Putri"), "$.names", InvalidType),
        (lambda: PartyRecord("k", names=["Ana"] * 5), "$.names", ValidationError),
        (lambda: PartyRecord("k", emails=["ana.putri"]), "$.emails[0]", ValidationError),
        (lambda: PartyRecord("k", phones=["0812 1111 2222"]), "$.phones[0]", ValidationError),
        (lambda: PartyRecord("k", addresses=["Jl. Merdeka 10"]), "$.addresses[0]", InvalidType),
        (lambda: PartyRecord("k", kind="household"), "$.kind", ValidationError),
        (lambda: PartyRecord.from_parts("k", name="Ana Putri"), "$.name", InvalidType),
        (
            lambda: PartyRecord.from_parts("k", contact_points=["ana@example.com"]),
            "$.contact_points[0]",
            InvalidType,
        ),
        (lambda: PartyRecord.from_customer("Ana Putri"), "$.customer", InvalidType),
    ],
)
def test_bad_input_raises_specific_errors_without_personal_data(call, path, error):
    """Each refusal names the path, and the message never repeats the value."""
    with pytest.raises(error) as info:
        call()
    assert path == info.value.path
    message = str(info.value).lower()
    assert not [s for s in ("ana", "putri", "merdeka", "0812", "1111") if s in message], message


def test_result_types_check_their_fields():
    """Results built by hand are type-checked like every crmcore result."""
    with pytest.raises(InvalidType):
        FieldSimilarity("name", 0.5)
    with pytest.raises(InvalidType):
        RuleMatch("r", "high", ())
    with pytest.raises(InvalidType):
        Candidate("a", 1.5, 1.0, "r", ())
    with pytest.raises(InvalidType):
        DuplicateReport((), "1", 0, 0, 0)


def test_field_similarity_text():
    """Exact fields say exact or different; fuzzy ones their similarity and notes."""
    assert "phone: different" == str(FieldSimilarity(MatchField.PHONE, 0.0))
    assert "address: 0.50 (street 0.50)" == str(
        FieldSimilarity(MatchField.ADDRESS, 0.5, ("street 0.50",))
    )
    assert "name: 0.80 (jaro-winkler)" == str(FieldSimilarity(MatchField.NAME, 0.8))


def test_blocking_keys_follow_the_rules():
    """Each kind of rule files parties under its own keys; a prepared party shows no values."""
    record = PartyRecord(
        "k",
        names=["Budi Santoso"],
        emails=["b@example.com"],
        phones=["+6281211112222"],
        addresses=[PostalAddress(lines=["Jl. Merdeka 10"], locality="Bandung", country="ID")],
    )
    (party,) = _prepare([record], "$.parties")
    assert "_Party(index=0)" == repr(party)
    either = MatchRuleSet(
        [MatchRule("either", [FieldWeight("email"), FieldWeight("name")], threshold="0.5")]
    )
    assert frozenset({"email", "name"}) == _key_kinds(either)
    names = set(blocking_keys(party, frozenset({"name"})))
    assert {("n", "budi"), ("n", "sant"), ("nn", "bud", "san")} == names
    places = blocking_keys(party, frozenset({"address"}))
    assert [("ad", "lc", "ID", "bandung", "mer")] == places
    address_only = MatchRuleSet([MatchRule("place", [FieldWeight("address")], threshold=1)])
    assert frozenset({"address"}) == _key_kinds(address_only)


def test_rules_needing_a_name_or_an_address_only_find_pairs():
    """Name-only and address-only rules find their pairs through their own keys."""
    records = [
        PartyRecord("a", names=["Budi Santoso"], addresses=[BANDUNG]),
        PartyRecord("b", names=["Santoso Budi"], addresses=[BANDUNG_AGAIN]),
        PartyRecord("c", names=["Ana Putri"]),
    ]
    name_only = MatchRuleSet([MatchRule("name", [FieldWeight("name", min_similarity=1)])])
    assert [("a", "b")] == [
        (c.left, c.right) for c in find_duplicates(records, name_only).candidates
    ]
    place = MatchRuleSet([MatchRule("place", [FieldWeight("address", min_similarity=1)])])
    assert [("a", "b")] == [(c.left, c.right) for c in find_duplicates(records, place).candidates]
