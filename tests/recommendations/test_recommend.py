"""Tests for `crmcore.recommendations._recommend`: exclusions, consent, margins and explanations."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given

from crmcore import CustomerId, Money
from crmcore.catalog import Product
from crmcore.commerce import Order, OrderId, OrderLine, PaymentId, ProductId
from crmcore.customers import Customer, PersonName
from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations import (
    NO_CANDIDATES,
    RECOMMENDED,
    AssociationRule,
    RecommendationBasis,
    UsageRecord,
    _recommend,
    association_rules,
    item_similarity,
    prices_from,
    recommend,
)
from crmcore.testing.strategies._recommendations import baskets

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
C1 = CustomerId("c-1")


def rule(antecedent, consequent, count, a, c, n):  # noqa: PLR0917 - a rule's numbers in reading order
    return AssociationRule(
        antecedent, consequent, count=count, antecedent_count=a, consequent_count=c, baskets=n
    )


def order(key, *products, customer=C1, price="10.00"):
    lines = [OrderLine(ProductId(p), 2, Money(price, "USD"), category="shop") for p in products]
    return Order.place(OrderId(key), customer_id=customer, lines=lines, at=AT)


def product(key, cost, *, retired=False):
    made = Product.create(
        ProductId(key), sku=key.upper(), name=f"Item {key}", standard_cost=cost, at=AT
    )
    return made.retire(at=AT) if retired else made


RULES = (
    rule(("x",), ("y",), 34, 100, 110, 1000),
    rule(("x",), ("z",), 20, 100, 400, 1000),
    rule(("x",), ("w",), 50, 100, 500, 1000),
)


def test_the_explanation_carries_its_numbers():
    """34 of 100 buyers of x bought y; lift = 0.34 / (110/1000) = 3.09 → "lift 3.1"."""
    result = recommend(C1, history=[("h", "x")], rules=RULES)
    top = next(r for r in result if r.item == "y")
    assert "bought x; 34% of buyers of x also bought y, lift 3.1" == top.text
    e = top.explanation
    assert (RecommendationBasis.ASSOCIATION_RULE, ("x",), 34, 100) == (
        e.basis,
        e.because,
        e.together,
        e.of,
    )
    assert pytest.approx(0.34) == e.confidence
    assert pytest.approx(0.34 / 0.11) == e.lift
    assert pytest.approx(0.034) == e.support
    assert pytest.approx(0.34 * 0.34 / 0.11) == top.base_score == top.score


def test_ranking_by_confidence_times_lift():
    """y: 0.34 * 3.09 = 1.05; w: 0.5 * 1.0 = 0.5; z: 0.2 * 0.5 = 0.1."""
    result = recommend(C1, history=[("h", "x")], rules=RULES)
    assert ["y", "w", "z"] == [r.item for r in result]
    assert [1, 2, 3] == [r.rank for r in result]
    assert ["y"] == [r.item for r in recommend(C1, history=[("h", "x")], rules=RULES, limit=1)]
    assert (RECOMMENDED, True, 3) == (result.reason, result.allowed, len(result))


def test_owned_and_returned_products_are_left_out():
    """Owning y, having returned w, asking to leave out nothing else: only z."""
    bought = order("o-1", "x", "y")
    sent_back = (
        order("o-2", "w").fulfil(at=AT).record_payment(PaymentId("p"), Money("20.00", "USD"), at=AT)
    )
    sent_back = sent_back.return_items({0: 2}, at=AT)
    someone_else = order("o-3", "z", customer=CustomerId("c-2"))
    result = recommend(C1, history=[bought, sent_back, someone_else], rules=RULES)
    assert ["z"] == [r.item for r in result]
    assert ProductId("z") == result[0].product_id
    assert 2 == result.excluded


def test_a_partly_returned_line_is_returned_and_not_recommended():
    """One of two units back: still owned, and returned; neither is offered."""
    kept = (
        order("o-1", "x").fulfil(at=AT).record_payment(PaymentId("p"), Money("20.00", "USD"), at=AT)
    )
    kept = kept.return_items({0: 1}, at=AT)
    result = recommend(C1, history=[kept], rules=(rule(("y",), ("x",), 1, 1, 1, 1),))
    assert NO_CANDIDATES == result.reason


def test_exclude_and_retired_products_are_left_out():
    """Exclude leaves out y; a retired w is never offered."""
    catalog = [product("w", Money("1.00", "USD"), retired=True)]
    result = recommend(C1, history=[("h", "x")], rules=RULES, exclude=["y"], products=catalog)
    assert ["z"] == [r.item for r in result]


@given(baskets(max_size=12, with_customers=True))
def test_nothing_owned_or_returned_is_ever_recommended(table):
    """Property: recommendations never include an item of the customer's history."""
    rules = association_rules(table, min_support=0.0)
    similar = item_similarity(table)
    for customer in {b.customer_id for b in table}:
        mine = [b for b in table if b.customer_id == customer]
        owned = {item for b in mine for item in b.items}
        for result in (
            recommend(customer, history=mine, rules=rules, limit=100),
            recommend(customer, history=mine, similarity=similar, limit=100),
        ):
            assert not owned & {r.item for r in result}
            assert [r.score for r in result] == sorted((r.score for r in result), reverse=True)


def registered():
    return Customer.register(C1, name=PersonName("Ana"), at=AT)


LATER = AT + timedelta(hours=1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda c: c.restrict_processing(at=AT, reason="accuracy_contested"),
            "processing_restricted",
        ),
        (lambda c: c.object_to("profiling", at=AT), "objected_to_profiling"),
        (lambda c: c.object_to("direct_marketing", at=AT), "objected_to_direct_marketing"),
    ],
)
def test_restricted_or_objecting_customers_get_nothing_with_a_reason(change, reason):
    """The decision's reason code, no recommendations."""
    result = recommend(
        C1, history=[("h", "x")], rules=RULES, customer=change(registered()), at=LATER
    )
    assert (reason, (), False) == (result.reason, result.items, result.allowed)


def test_a_restriction_after_at_does_not_count_yet():
    """Decisions replay at the instant asked."""
    customer = registered().restrict_processing(at=LATER, reason="accuracy_contested")
    assert (
        RECOMMENDED
        == recommend(C1, history=[("h", "x")], rules=RULES, customer=customer, at=AT).reason
    )


def test_consent_on_a_channel_is_needed_when_one_is_named():
    """No record: no marketing; a grant allows it; a withdrawal denies it."""
    customer = registered()
    args = {"history": [("h", "x")], "rules": RULES, "at": LATER, "channel": "email"}
    assert "no_consent" == recommend(C1, customer=customer, **args).reason
    granted = customer.give_consent("email", "marketing", at=AT, source="form")
    assert RECOMMENDED == recommend(C1, customer=granted, **args).reason
    withdrawn = granted.withdraw_consent("email", "marketing", at=AT, source="form")
    assert "consent_withdrawn" == recommend(C1, customer=withdrawn, **args).reason


def test_the_customer_must_match_and_needs_a_time():
    """Another customer, or no at, is refused."""
    with pytest.raises(ValidationError) as caught:
        recommend(CustomerId("c-2"), history=[], rules=RULES, customer=registered(), at=AT)
    assert ("$.customer", "other_customer") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        recommend(C1, history=[], rules=RULES, customer=registered())
    assert ("$.at", "required") == (caught.value.path, caught.value.code)
    with pytest.raises(InvalidType):
        recommend(C1, history=[], rules=RULES, customer="c-1", at=AT)


TIED = (rule(("x",), ("a",), 10, 100, 100, 1000), rule(("x",), ("b",), 10, 100, 100, 1000))


def test_equal_scores_rank_the_higher_margin_first():
    """A and b score alike; b's margin (10 - 2) beats a's (10 - 7)."""
    catalog = {
        ProductId("a"): product("a", Money("7.00", "USD")),
        ProductId("b"): product("b", Money("2.00", "USD")),
    }
    prices = {"a": Money("10.00", "USD"), ProductId("b"): Money("10.00", "USD")}
    result = recommend(C1, history=[("h", "x")], rules=TIED, products=catalog, prices=prices)
    assert ["b", "a"] == [r.item for r in result]
    assert [Money("8.00", "USD"), Money("3.00", "USD")] == [r.explanation.margin for r in result]
    assert result[0].text.endswith("; margin 8.00 USD")
    assert "bought Item x" not in result[0].text  # x is no product given: its id is its name
    assert "also bought Item b" in result[0].text
    without = recommend(C1, history=[("h", "x")], rules=TIED)
    assert ["a", "b"] == [r.item for r in without]  # no margins: the items' text


def test_margin_weight_lets_margin_beat_a_slightly_better_rule():
    """a: 0.11 * 1.1 = 0.121 at margin rate 0.1; b: 0.1 * 1.0 at 0.8. Weight 1: a 0.1331, b 0.18."""
    rules = (rule(("x",), ("a",), 11, 100, 100, 1000), rule(("x",), ("b",), 10, 100, 100, 1000))
    catalog = [product("a", Money("9.00", "USD")), product("b", Money("2.00", "USD"))]
    prices = {"a": Money("10.00", "USD"), "b": Money("10.00", "USD")}
    plain = recommend(C1, history=[("h", "x")], rules=rules, products=catalog, prices=prices)
    weighted = recommend(
        C1, history=[("h", "x")], rules=rules, products=catalog, prices=prices, margin_weight=1
    )
    assert ["a", "b"] == [r.item for r in plain]
    assert ["b", "a"] == [r.item for r in weighted]
    assert pytest.approx(0.1 * 1.0 * 1.8) == weighted[0].score


def test_prices_from_orders():
    """The latest line's net unit price: (2 * 10.00 - 0) / 2."""
    assert {"a": Money("10.00", "USD")} == prices_from([order("o-1", "a")])
    with pytest.raises(InvalidType):
        prices_from(["x"])


def test_similarity_recommendations_explain_themselves():
    """Two of three buyers of router also bought extender: cosine 2 / sqrt(3 * 2)."""
    pairs = [("c1", "router"), ("c1", "ext"), ("c2", "router"), ("c2", "ext"), ("c3", "router")]
    result = recommend(C1, history=[("mine", "router")], similarity=item_similarity(pairs))
    (top,) = result
    assert (
        "bought router; 2 of 3 buyers of router also bought ext, cosine similarity 0.82" == top.text
    )
    assert (2, 3, RecommendationBasis.ITEM_SIMILARITY) == (
        top.explanation.together,
        top.explanation.of,
        top.explanation.basis,
    )
    other_side = recommend(C1, history=[("mine", "ext")], similarity=item_similarity(pairs))
    assert "2 of 2 buyers of ext also bought router" in other_side[0].text


def test_usage_records_recommend_through_the_same_api():
    """Telecom: most data users also stream video; a data-only customer is offered video."""
    usage = []
    for n in range(10):
        customer = CustomerId(f"u-{n}")
        usage.append(UsageRecord(customer, "data", AT, 100))
        if n < 8:
            usage.append(UsageRecord(customer, "video", AT, 50))
        if n < 3:
            usage.append(UsageRecord(customer, "sms", AT, 5))
    rules = association_rules(usage, min_support=0.2, min_confidence=0.5)
    mine = [UsageRecord(C1, "data", AT, 700), UsageRecord(C1, "calls", AT, 0)]
    result = recommend(C1, history=mine, rules=rules)
    assert ["video"] == [r.item for r in result]
    assert "used data; 80% of users of data also used video, lift 1.0" == result[0].text
    assert result[0].product_id is None


@pytest.mark.parametrize(
    ("kwargs", "path", "error"),
    [
        ({}, "$.rules", ValidationError),
        ({"rules": RULES, "similarity": item_similarity([])}, "$.rules", ValidationError),
        ({"rules": RULES, "margin_weight": 1.5}, "$.margin_weight", ValidationError),
        ({"rules": RULES, "margin_weight": -0.1}, "$.margin_weight", ValidationError),
        ({"rules": RULES, "limit": 0}, "$.limit", ValidationError),
        ({"rules": RULES, "limit": 1.0}, "$.limit", InvalidType),
        ({"rules": ["r"]}, "$.rules[0]", InvalidType),
        ({"rules": 5}, "$.rules", InvalidType),
        ({"similarity": "s"}, "$.similarity", InvalidType),
        ({"rules": RULES, "products": ["p"]}, "$.products[0]", InvalidType),
        ({"rules": RULES, "products": 5}, "$.products", InvalidType),
        ({"rules": RULES, "prices": ["p"]}, "$.prices", InvalidType),
        ({"rules": RULES, "prices": {"a": 1}}, "$.prices[0]", InvalidType),
        (
            {"rules": RULES, "prices": {"a": Money(1, "USD"), "b": Money(1, "EUR")}},
            "$.prices[1]",
            ValidationError,
        ),
        (
            {"rules": RULES, "prices": {"a": Money(1, "USD"), 7: Money(1, "USD")}},
            "$.prices[1]",
            InvalidType,
        ),
        ({"rules": RULES, "exclude": "y"}, "$.exclude", InvalidType),
        ({"rules": RULES, "exclude": [""]}, "$.exclude[0]", ValidationError),
        ({"rules": RULES, "at": AT.replace(tzinfo=None)}, "$.at", ValidationError),
    ],
)
def test_bad_arguments_name_their_path(kwargs, path, error):
    """Each bad argument is refused with its path."""
    with pytest.raises(error) as caught:
        recommend(C1, history=[("h", "x")], **kwargs)
    assert path == caught.value.path


def test_other_bad_inputs():
    """A wrong customer id type, history or currency of a price against the cost."""
    with pytest.raises(InvalidType):
        recommend("c-1", history=[], rules=RULES)
    with pytest.raises(InvalidType) as caught:
        recommend(C1, history=5, rules=RULES)
    assert "$.history" == caught.value.path
    catalog = [product("y", Money("1.00", "EUR"))]
    with pytest.raises(ValidationError) as caught:
        recommend(
            C1,
            history=[("h", "x")],
            rules=RULES,
            products=catalog,
            prices={"x": Money("3", "USD"), "y": Money("2", "USD")},
        )
    assert ("$.prices[1]", "currency_mismatch") == (caught.value.path, caught.value.code)


def test_too_many_exclusions(monkeypatch):
    """Bounded work on exclude."""
    monkeypatch.setattr(_recommend, "MAX_BASKETS", 1)
    with pytest.raises(ValidationError):
        recommend(C1, history=[], rules=RULES, exclude=["a", "b"])


def test_multi_item_rules_need_everything_owned():
    """{x, v} -> y only applies to an owner of both; consequents of two items are not offers."""
    rules = (rule(("v", "x"), ("y",), 5, 10, 20, 100), rule(("x",), ("v", "y"), 5, 10, 10, 100))
    assert NO_CANDIDATES == recommend(C1, history=[("h", "x")], rules=rules).reason
    both = recommend(C1, history=[("h", "x"), ("h", "v")], rules=rules)
    assert "bought v and x; 50% of buyers of v and x also bought y, lift 2.5" == both[0].text


def test_the_best_rule_per_item_is_kept():
    """Two rules for y: the stronger one explains it."""
    rules = (rule(("x",), ("y",), 5, 10, 20, 100), rule(("v",), ("y",), 9, 10, 20, 100))
    result = recommend(C1, history=[("h", "x"), ("h", "v")], rules=rules)
    assert ("v",) == result[0].explanation.because
    reverse = recommend(C1, history=[("h", "x"), ("h", "v")], rules=rules[::-1])
    assert result == reverse


def test_margins_with_a_zero_price_rate_nothing():
    """A free item's margin rate counts as 0."""
    catalog = [product("y", Money("0.00", "USD"))]
    result = recommend(
        C1,
        history=[("h", "x")],
        rules=RULES[:1],
        products=catalog,
        prices={"y": Money("0.00", "USD")},
        margin_weight=1,
    )
    assert result[0].score == result[0].base_score
