"""Tests for `crmcore.recommendations._similarity`: item-to-item similarity against set arithmetic."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations import (
    ItemSimilarity,
    SimilarItems,
    _rules,
    _similarity,
    item_similarity,
)
from crmcore.testing.strategies._recommendations import baskets


@given(baskets(max_size=14, with_customers=True), st.sampled_from(["cosine", "jaccard"]))
def test_similarity_agrees_with_set_arithmetic(table, measure):
    """Cosine and Jaccard computed from each item's set of customers with set operations."""
    buyers = {}
    for basket in table:
        for item in basket.items:
            buyers.setdefault(item, set()).add(basket.customer_id)
    result = item_similarity(table, measure=measure)
    got = {(p.item, p.other): p.similarity for p in result.pairs}
    expected = {}
    for x in sorted(buyers):
        for y in sorted(buyers):
            common = buyers[x] & buyers[y]
            if x < y and common:
                if measure == "cosine":
                    expected[(x, y)] = len(common) / math.sqrt(len(buyers[x]) * len(buyers[y]))
                else:
                    expected[(x, y)] = len(common) / len(buyers[x] | buyers[y])
    assert set(expected) == set(got)
    for key, value in expected.items():
        assert math.isclose(value, got[key])
    values = [p.similarity for p in result.pairs]
    assert values == sorted(values, reverse=True)


def test_thresholds_leave_pairs_out():
    """min_common and min_similarity filter."""
    pairs = [("c1", "a"), ("c1", "b"), ("c2", "a"), ("c2", "b"), ("c3", "a"), ("c3", "c")]
    assert [("a", "b")] == [(p.item, p.other) for p in item_similarity(pairs, min_common=2).pairs]
    # a-b: 2 / sqrt(3 * 2) = 0.816; a-c: 1 / sqrt(3) = 0.577
    assert 1 == len(item_similarity(pairs, min_similarity=0.7).pairs)
    table = item_similarity(pairs)
    assert (("a", 2 / math.sqrt(6)),) == table.similar_to("b")
    assert 1 == len(table.similar_to("a", limit=1))
    assert 3 == table.customers


@pytest.mark.parametrize(
    ("kwargs", "path", "error"),
    [
        ({"min_similarity": 1.5}, "$.min_similarity", ValidationError),
        ({"min_similarity": -0.01}, "$.min_similarity", ValidationError),
        ({"min_similarity": 10**400}, "$.min_similarity", ValidationError),
        ({"min_similarity": -(10**400)}, "$.min_similarity", ValidationError),
        ({"min_common": 0}, "$.min_common", ValidationError),
        ({"min_common": 1.0}, "$.min_common", InvalidType),
        ({"measure": "pearson"}, "$.measure", ValidationError),
    ],
)
def test_bad_options_name_their_path(kwargs, path, error):
    """Thresholds outside [0, 1] and unknown measures are refused."""
    with pytest.raises(error) as caught:
        item_similarity([("c", "a")], **kwargs)
    assert path == caught.value.path
    assert str(10**400)[:40] not in str(caught.value)  # the rule, never the value


def test_too_much_work_is_refused(monkeypatch):
    """Histories with more pairs than the cap are refused before counting."""
    monkeypatch.setattr(_similarity, "MAX_PAIR_WORK", 2)
    with pytest.raises(ValidationError) as caught:
        item_similarity([("c", "a"), ("c", "b"), ("c", "d")])
    assert ("$.baskets", "too_much_work") == (caught.value.path, caught.value.code)


def test_similar_to_checks_its_limit():
    """A limit below 1 is refused."""
    with pytest.raises(ValidationError):
        item_similarity([("c", "a")]).similar_to("a", limit=0)


class TestValues:
    """SimilarItems and ItemSimilarity check their fields."""

    def test_pair_partner_and_measures(self):
        """12 in common of 48 and 27: cosine 12/36, Jaccard 12/63."""
        pair = SimilarItems("a", "b", common=12, item_count=48, other_count=27)
        assert (pair.similarity, pair.partner("a"), pair.partner("b")) == (12 / 36, "b", "a")
        jaccard = SimilarItems(
            "a", "b", common=12, item_count=48, other_count=27, measure="jaccard"
        )
        assert 12 / 63 == jaccard.similarity

    @pytest.mark.parametrize(
        ("args", "counts", "path"),
        [
            (("b", "a"), (1, 1, 1), "$.other"),
            (("a", "a"), (1, 1, 1), "$.other"),
            (("a", "b"), (2, 1, 2), "$.common"),
        ],
    )
    def test_bad_pairs(self, args, counts, path):
        """Unsorted pairs and too many in common are refused."""
        common, x, y = counts
        with pytest.raises(ValidationError) as caught:
            SimilarItems(*args, common=common, item_count=x, other_count=y)
        assert path == caught.value.path

    @pytest.mark.parametrize(
        ("args", "kwargs", "path"),
        [
            (("x",), {}, "$.pairs"),
            ((["x"],), {}, "$.pairs[0]"),
            (((),), {"customers": -1}, "$.customers"),
            (((),), {"customers": 1.0}, "$.customers"),
            (
                (
                    (
                        SimilarItems(
                            "a", "b", common=1, item_count=1, other_count=1, measure="jaccard"
                        ),
                    ),
                ),
                {},
                "$.pairs[0].measure",
            ),
        ],
    )
    def test_bad_tables(self, args, kwargs, path):
        """A table holds pairs of its one measure and a customer count."""
        with pytest.raises(ValidationError) as caught:
            ItemSimilarity(*args, **kwargs)
        assert path == caught.value.path


def test_an_int_beyond_every_float_is_out_of_range_for_every_share():
    """An int too large for a float is refused as out of range, bounded share or not."""
    for upper in (1.0, None):
        with pytest.raises(ValidationError) as caught:
            _rules.check_share(10**400, "$.x", upper=upper)
        assert ("$.x", "out_of_range") == (caught.value.path, caught.value.code)
