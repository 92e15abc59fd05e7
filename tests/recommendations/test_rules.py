"""Tests for `crmcore.recommendations._rules`: association rules against brute force and by hand."""

import itertools
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations import (
    AssociationRule,
    Basket,
    _rules,
    association_rules,
    minimum_count,
)
from crmcore.testing.strategies._recommendations import basket_pairs, baskets


def brute_force(table, min_support, min_confidence, min_lift, max_length):
    """Every rule, by counting each candidate item set in every basket (no pruning)."""
    n = len(table)
    sets = [set(b.items) for b in table]
    universe = sorted(set().union(*sets)) if sets else []

    def count(items):
        return sum(1 for s in sets if set(items) <= s)

    found = {}
    for size in range(2, max_length + 1):
        for itemset in itertools.combinations(universe, size):
            together = count(itemset)
            if together == 0 or together / n < min_support:
                continue
            for k in range(1, size):
                for left in itertools.combinations(itemset, k):
                    right = tuple(i for i in itemset if i not in left)
                    a, c = count(left), count(right)
                    confidence = together / a
                    lift = confidence / (c / n)
                    if confidence >= min_confidence and lift >= min_lift * (1 - 1e-12):
                        found[(left, right)] = (together, a, c, together / n, confidence, lift)
    return found


@given(
    baskets(max_size=14, max_items=5),
    st.sampled_from([0.0, 0.1, 0.2, 0.34, 0.5, 1.0]),
    st.sampled_from([0.0, 0.3, 0.5, 0.9]),
    st.sampled_from([0.0, 1.0, 1.5]),
    st.sampled_from([2, 3, 4]),
)
def test_rules_agree_with_a_brute_force_count(table, support, confidence, lift, length):
    """Support, confidence, lift and counts equal a count over every basket of every item set."""
    rules = association_rules(
        table, min_support=support, min_confidence=confidence, min_lift=lift, max_length=length
    )
    expected = brute_force(table, support, confidence, lift, length)
    got = {(r.antecedent, r.consequent): r for r in rules}
    # Lift thresholds compare floats computed two ways; only exact boundary cases may differ.
    assert set(got) <= set(expected)
    for key, (together, a, c, s, conf, li) in expected.items():
        if key not in got:
            assert math.isclose(li, lift)
            continue
        rule = got[key]
        assert (together, a, c, len(table)) == (
            rule.count,
            rule.antecedent_count,
            rule.consequent_count,
            rule.baskets,
        )
        assert math.isclose(s, rule.support)
        assert math.isclose(conf, rule.confidence)
        assert math.isclose(li, rule.lift)


def test_the_textbook_example():
    """Tan, Steinbach & Kumar, Introduction to Data Mining, table 6.1: {Milk, Diapers} -> {Beer}.

    The book gives support 2/5 = 0.4 and confidence 2/3 = 0.67; lift is
    (2/3) / (3/5) = 1.11.
    """
    transactions = [
        {"bread", "milk"},
        {"bread", "diapers", "beer", "eggs"},
        {"milk", "diapers", "beer", "cola"},
        {"bread", "milk", "diapers", "beer"},
        {"bread", "milk", "diapers", "cola"},
    ]
    pairs = [(f"t{n}", item) for n, items in enumerate(transactions) for item in sorted(items)]
    rules = association_rules(pairs, min_support=0.4, max_length=3)
    rule = next(
        r for r in rules if r.antecedent == ("diapers", "milk") and r.consequent == ("beer",)
    )
    assert 0.4 == rule.support
    assert math.isclose(2 / 3, rule.confidence)
    assert math.isclose((2 / 3) / (3 / 5), rule.lift)
    assert all(r.support >= 0.4 for r in rules)


@given(baskets(max_size=12, max_items=4), st.randoms(use_true_random=False))
def test_rules_do_not_depend_on_basket_order(table, rng):
    """Shuffling the baskets gives the same rules in the same order."""
    shuffled = list(table)
    rng.shuffle(shuffled)
    first = association_rules(table, min_support=0.1, max_length=3)
    assert first == association_rules(shuffled, min_support=0.1, max_length=3)


@given(baskets(max_size=12, max_items=4))
def test_rules_come_strongest_first(table):
    """Confidence never rises down the list; at equal confidence lift never rises."""
    rules = association_rules(table, min_support=0.0)
    for before, after in itertools.pairwise(rules):
        assert (before.confidence, before.lift) >= (after.confidence, after.lift) or (
            before.confidence > after.confidence
        )


@given(basket_pairs(max_baskets=10))
def test_pairs_and_baskets_give_the_same_rules(pairs):
    """The pairs of an order-lines table mine like the baskets they group into."""
    grouped = {}
    for key, item in pairs:
        grouped.setdefault(key, set()).add(item)
    table = [Basket(key, items) for key, items in grouped.items()]
    assert association_rules(pairs, min_support=0.2) == association_rules(table, min_support=0.2)


@pytest.mark.parametrize(
    ("keyword", "value", "path", "error"),
    [
        ("min_support", -0.1, "$.min_support", ValidationError),
        ("min_support", 1.01, "$.min_support", ValidationError),
        ("min_support", math.nan, "$.min_support", ValidationError),
        ("min_support", math.inf, "$.min_support", ValidationError),
        ("min_support", "0.5", "$.min_support", InvalidType),
        ("min_support", True, "$.min_support", InvalidType),
        ("min_confidence", 1.5, "$.min_confidence", ValidationError),
        ("min_confidence", -1, "$.min_confidence", ValidationError),
        ("min_lift", -0.5, "$.min_lift", ValidationError),
        ("max_length", 1, "$.max_length", ValidationError),
        ("max_length", 5, "$.max_length", ValidationError),
        ("max_length", 2.0, "$.max_length", InvalidType),
    ],
)
def test_thresholds_outside_their_range_are_refused(keyword, value, path, error):
    """A threshold outside [0, 1] (lift: below 0) names its path."""
    options = {"min_support": 0.1, keyword: value}
    with pytest.raises(error) as caught:
        association_rules([("b", "x")], **options)
    assert path == caught.value.path


def test_a_lift_above_one_is_a_valid_threshold():
    """Lift has no upper bound: 3 keeps only strong rules."""
    pairs = [("1", "a"), ("1", "b"), ("2", "c"), ("3", "d")]
    rules = association_rules(pairs, min_support=0.25, min_lift=3)
    # a and b: each in 1 of 3 baskets, together in 1: lift = 1 * 3 / (1 * 1) = 3.
    assert [3.0, 3.0] == [rule.lift for rule in rules]
    assert () == association_rules(pairs, min_support=0.25, min_lift=3.01)


def test_no_baskets_give_no_rules():
    """Nothing to mine is no rule, not an error."""
    assert () == association_rules([], min_support=0.5)


def test_support_one_keeps_only_items_in_every_basket():
    """min_support 1: the pair must be in every basket."""
    pairs = [("1", "a"), ("1", "b"), ("2", "a"), ("2", "b"), ("2", "c")]
    rules = association_rules(pairs, min_support=1.0)
    assert {(("a",), ("b",)), (("b",), ("a",))} == {(r.antecedent, r.consequent) for r in rules}


@pytest.mark.parametrize(
    ("support", "n", "expected"),
    [(0.1, 10, 1), (0.3, 10, 3), (0.0, 7, 1), (1.0, 3, 3), (0.7, 10, 7), (0.07, 100, 7)],
)
def test_minimum_count(support, n, expected):
    """The fewest baskets whose share reaches the support (at least one)."""
    assert expected == minimum_count(support, n)
    assert expected / n >= support
    assert expected == 1 or (expected - 1) / n < support


def test_too_many_candidates_are_refused_before_counting(monkeypatch):
    """Work is bounded: more candidate pairs than the cap is an error at $.min_support."""
    monkeypatch.setattr(_rules, "MAX_CANDIDATES", 5)
    pairs = [("1", item) for item in "abcdef"]
    with pytest.raises(ValidationError) as caught:
        association_rules(pairs, min_support=0.5)
    assert ("$.min_support", "too_many_candidates") == (caught.value.path, caught.value.code)


def test_too_many_deeper_candidates_are_refused(monkeypatch):
    """The cap counts candidates at every depth, not only pairs."""
    monkeypatch.setattr(_rules, "MAX_CANDIDATES", 12)
    pairs = [("1", item) for item in "abcde"]  # 10 pairs, then 10 triples
    with pytest.raises(ValidationError) as caught:
        association_rules(pairs, min_support=0.5, max_length=3)
    assert "too_many_candidates" == caught.value.code


@pytest.mark.parametrize("items", ["abc", "abcdef"])
def test_too_many_itemsets_are_refused(monkeypatch, items):
    """More frequent item sets than the cap is an error at $.min_support."""
    monkeypatch.setattr(_rules, "MAX_ITEMSETS", 4)
    pairs = [("1", item) for item in items]
    with pytest.raises(ValidationError) as caught:
        association_rules(pairs, min_support=0.5, max_length=3)
    assert ("$.min_support", "too_many_itemsets") == (caught.value.path, caught.value.code)


def test_a_large_run_is_quick_and_exact():
    """10,000 seeded baskets: the pair counts match a direct count."""
    rng = random.Random(3)  # noqa: S311 - seeded test data
    pool = [f"p{n}" for n in range(30)]
    table = [Basket(str(n), rng.sample(pool, rng.randint(1, 5))) for n in range(10_000)]
    rules = association_rules(table, min_support=0.01)
    sets = [set(b.items) for b in table]
    for rule in rules[:20]:
        both = set(rule.antecedent) | set(rule.consequent)
        assert sum(both <= s for s in sets) == rule.count


class TestAssociationRule:
    """The rule value checks its counts."""

    def test_measures_from_counts(self):
        """Support = 30/200, confidence = 30/60, lift = 0.5 / (40/200)."""
        rule = AssociationRule(
            ("tea",), ("cups",), count=30, antecedent_count=60, consequent_count=40, baskets=200
        )
        assert (0.15, 0.5, 2.5) == (rule.support, rule.confidence, rule.lift)
        assert (0.3, 0.2) == (rule.antecedent_support, rule.consequent_support)

    @pytest.mark.parametrize(
        ("args", "counts", "path", "code"),
        [
            ((("a",), ("a",)), (1, 1, 1, 1), "$.consequent", "overlap"),
            ((("b", "a"), ("c",)), (1, 1, 1, 1), "$.antecedent", "not_sorted"),
            ((("a",), ("b",)), (2, 1, 2, 2), "$.count", "out_of_range"),
            ((("a",), ("b",)), (1, 2, 2, 2), "$.baskets", "out_of_range"),
            ((("a",), ("b",)), (0, 1, 1, 1), "$.count", "out_of_range"),
            ((("a",) * 5, ("b",)), (1, 1, 1, 1), "$.antecedent", "too_many"),
            ((("a", "b"), ("c", "d", "e")), (1, 1, 1, 1), "$.consequent", "too_many"),
            ((("a", "b", "c"), ("d", "e")), (1, 1, 1, 1), "$.consequent", "too_many"),
            (((), ("b",)), (1, 1, 1, 1), "$.antecedent", "type"),
        ],
    )
    def test_inconsistent_rules_are_refused(self, args, counts, path, code):
        """Each broken rule names its field."""
        count, a, c, n = counts
        with pytest.raises(ValidationError) as caught:
            AssociationRule(*args, count=count, antecedent_count=a, consequent_count=c, baskets=n)
        assert (path, code) == (caught.value.path, caught.value.code)

    def test_counts_must_be_ints(self):
        """A float count is a type error."""
        with pytest.raises(InvalidType):
            AssociationRule(
                ("a",), ("b",), count=1.0, antecedent_count=1, consequent_count=1, baskets=1
            )
