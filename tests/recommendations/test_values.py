"""Tests of the result values of `crmcore.recommendations`: every field is checked when built."""

import pytest

from crmcore import CustomerId, Money
from crmcore.commerce import ProductId
from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations import (
    Recommendation,
    RecommendationExplanation,
    Recommendations,
    minimum_count,
    prices_from,
)

EXPLANATION = RecommendationExplanation(
    "association_rule", ("x",), 3, 10, "bought x", confidence=0.3
)
GOOD = {
    "item": "y",
    "product_id": ProductId("y"),
    "rank": 1,
    "score": 0.5,
    "base_score": 0.5,
    "explanation": EXPLANATION,
}


def test_good_values_build():
    """A recommendation with its explanation and margin."""
    explained = RecommendationExplanation(
        "item_similarity",
        ["x"],
        1,
        2,
        "text",
        similarity=0.5,
        measure="cosine",
        margin=Money(1, "USD"),
    )
    made = Recommendations(CustomerId("c"), [Recommendation(**GOOD)], "recommended", excluded=2)
    assert ("text", made[0].text) == (explained.text, "bought x")


@pytest.mark.parametrize(
    ("change", "path", "error"),
    [
        ({"item": ""}, "$.item", ValidationError),
        ({"product_id": "y"}, "$.product_id", InvalidType),
        ({"rank": 0}, "$.rank", ValidationError),
        ({"rank": 1.0}, "$.rank", InvalidType),
        ({"score": -1.0}, "$.score", ValidationError),
        ({"base_score": float("nan")}, "$.base_score", ValidationError),
        ({"explanation": "why"}, "$.explanation", InvalidType),
    ],
)
def test_bad_recommendations(change, path, error):
    """Each field names its path."""
    with pytest.raises(error) as caught:
        Recommendation(**{**GOOD, **change})
    assert path == caught.value.path


@pytest.mark.parametrize(
    ("args", "kwargs", "path"),
    [
        (("rule", ("x",), 1, 1, "t"), {}, "$.basis"),
        (("association_rule", (), 1, 1, "t"), {}, "$.because"),
        (("association_rule", ("x",), -1, 1, "t"), {}, "$.together"),
        (("association_rule", ("x",), 1, True, "t"), {}, "$.of"),
        (("association_rule", ("x",), 1, 1, ""), {}, "$.text"),
        (("association_rule", ("x",), 1, 1, "t"), {"lift": -1.0}, "$.lift"),
        (("association_rule", ("x",), 1, 1, "t"), {"measure": "Cosine!"}, "$.measure"),
        (("association_rule", ("x",), 1, 1, "t"), {"margin": 1}, "$.margin"),
    ],
)
def test_bad_explanations(args, kwargs, path):
    """Each field names its path."""
    with pytest.raises(ValidationError) as caught:
        RecommendationExplanation(*args, **kwargs)
    assert path == caught.value.path


@pytest.mark.parametrize(
    ("args", "kwargs", "path"),
    [
        (("c", (), "recommended"), {}, "$.customer_id"),
        ((CustomerId("c"), "x", "recommended"), {}, "$.items"),
        ((CustomerId("c"), ["x"], "recommended"), {}, "$.items[0]"),
        ((CustomerId("c"), [Recommendation(**GOOD)] * 101, "recommended"), {}, "$.items"),
        ((CustomerId("c"), (), "Not A Code"), {}, "$.reason"),
        ((CustomerId("c"), (), "recommended"), {"excluded": -1}, "$.excluded"),
    ],
)
def test_bad_results(args, kwargs, path):
    """Each field names its path."""
    with pytest.raises(ValidationError) as caught:
        Recommendations(*args, **kwargs)
    assert path == caught.value.path


@pytest.mark.parametrize(
    ("args", "path"),
    [((1.5, 10), "$.min_support"), ((0.5, 0), "$.baskets"), ((0.5, 2.0), "$.baskets")],
)
def test_minimum_count_checks_its_arguments(args, path):
    """A support outside [0, 1] or a basket count below 1."""
    with pytest.raises(ValidationError) as caught:
        minimum_count(*args)
    assert path == caught.value.path


def test_prices_from_needs_an_iterable():
    """A number is not orders."""
    with pytest.raises(InvalidType) as caught:
        prices_from(5)
    assert "$.orders" == caught.value.path
