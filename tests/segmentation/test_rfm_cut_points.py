"""RFM cut points: computed once, they score every partition exactly as the global score_rfm."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.segmentation import RfmValues, score_rfm
from crmcore.segmentation._rfm_cuts import RfmCutPoints, rfm_cut_points, score_rfm_columns
from crmcore.serialization import from_dict, to_dict

values_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=30),
        st.integers(min_value=1, max_value=8),
        st.decimals(min_value=0, max_value=50, places=1, allow_nan=False),
    ),
    max_size=60,
).map(lambda rows: [RfmValues(f"c-{i}", r, f, Money(m, "USD")) for i, (r, f, m) in enumerate(rows)])


@given(values_strategy, st.lists(st.integers(min_value=0, max_value=3), min_size=60, max_size=60))
def test_partitions_score_exactly_as_the_whole(values, labels):
    whole = {s.customer_id: s for s in score_rfm(values)}
    cuts = rfm_cut_points(values)
    assert from_dict(RfmCutPoints, json.loads(json.dumps(to_dict(cuts)))) == cuts
    for part in range(4):
        rows = [v for v, label in zip(values, labels, strict=False) if label == part]
        for score in score_rfm(rows, cut_points=cuts):
            assert score == whole[score.customer_id]
        columns = score_rfm_columns(
            [v.customer_id for v in rows],
            [v.recency_days for v in rows],
            [v.frequency for v in rows],
            [v.monetary for v in rows],
            cut_points=cuts,
        )
        expected = [whole[v.customer_id] for v in rows]
        assert columns == {
            "customer_id": [v.customer_id for v in rows],
            "r": [s.r for s in expected],
            "f": [s.f for s in expected],
            "m": [s.m for s in expected],
        }
    plain = score_rfm_columns(
        [v.customer_id for v in values],
        [v.recency_days for v in values],
        [v.frequency for v in values],
        [v.monetary.amount for v in values],
    )
    assert plain["r"] == [whole[v.customer_id].r for v in values]
    assert plain["m"] == [whole[v.customer_id].m for v in values]


def test_cut_points_by_hand():
    # recency 1, 2, 2, 3 of four customers: levels 1, 3, 3, 5 (ties share the middle level)
    values = [RfmValues(f"c-{i}", d, 1, Money(d, "EUR")) for i, d in enumerate((1, 2, 2, 3))]
    cuts = rfm_cut_points(values)
    assert cuts.recency_days == (2, 2, 3, 3)
    assert cuts.frequency == (1, 1, None, None)  # all tied at level 3
    assert cuts.monetary == (Decimal(2), Decimal(2), Decimal(3), Decimal(3))
    assert [s.r for s in score_rfm(values, cut_points=cuts)] == [5, 3, 3, 1]
    assert rfm_cut_points([]) == RfmCutPoints((None,) * 4, (None,) * 4, (None,) * 4, None)


def test_bad_cut_points_and_arguments_are_refused():
    good = {
        "recency_days": (1, 2, 3, 4),
        "frequency": (1, 2, 3, 4),
        "monetary": (Decimal(1),) * 4,
        "currency": "USD",
    }
    for change, path in [
        ({"recency_days": (1, 2, 3)}, "$.recency_days"),
        ({"recency_days": (2, 1, 3, 4)}, "$.recency_days[1]"),
        ({"frequency": (1, None, 3, None)}, "$.frequency[1]"),
        ({"frequency": (1, 2, 3, 1.5)}, "$.frequency[3]"),
        ({"frequency": (1, 2, 3, 2**64)}, "$.frequency[3]"),
        ({"monetary": (1, 2, 3, 4)}, "$.monetary[0]"),
        ({"monetary": "1234"}, "$.monetary"),
        ({"currency": "usd!"}, "$.currency"),
        ({"currency": 5}, "$.currency"),
    ]:
        with pytest.raises(ValidationError) as caught:
            RfmCutPoints(**{**good, **change})
        assert caught.value.path == path, change
    cuts = RfmCutPoints(**good)
    values = [RfmValues("a", 1, 1, Money(1, "EUR"))]
    with pytest.raises(CurrencyMismatch):
        score_rfm(values, cut_points=cuts)
    with pytest.raises(ValidationError) as caught:
        score_rfm(values, cut_points=cuts, recency_edges=[1, 2, 3, 4])
    assert caught.value.code == "conflict"
    with pytest.raises(InvalidType):
        score_rfm(values, cut_points={"recency_days": (1, 2, 3, 4)})
    with pytest.raises(ValidationError) as caught:
        score_rfm([values[0], values[0]], cut_points=cuts)
    assert caught.value.code == "duplicate"
    with pytest.raises(CurrencyMismatch):
        rfm_cut_points([values[0], RfmValues("b", 1, 1, Money(1, "USD"))])


@pytest.mark.parametrize(
    ("columns", "path"),
    [
        ((["a", "a"], [1, 2], [1, 1], ["1", "1"]), "$.customer_id"),
        (([None], [1], [1], ["1"]), "$.customer_id[0]"),
        ((["a"], [1.5], [1], ["1"]), "$.recency[0]"),
        ((["a"], [-1], [1], ["1"]), "$.recency[0]"),
        ((["a"], [1], [None], ["1"]), "$.frequency[0]"),
        ((["a"], [1], [1], [float("inf")]), "$.monetary[0]"),
        ((["a", "b"], [1, 1], [1, 1], [Money(1, "USD"), Money(1, "EUR")]), "$.monetary[1]"),
        ((["a"], [1, 2], [1], ["1"]), "$.recency"),
    ],
)
def test_bad_rfm_columns_name_the_fault(columns, path):
    with pytest.raises(ValidationError) as caught:
        score_rfm_columns(*columns)
    assert caught.value.path == path


def test_columns_refuse_money_beside_plain_numbers():
    """Reviewer R2: a plain number beside Money took Money's currency unasked."""
    with pytest.raises(CurrencyMismatch) as caught:
        score_rfm_columns(["x", "y"], [1, 2], [1, 2], [Money(1, "USD"), "1"])
    assert caught.value.path == "$.monetary[1]"
    with pytest.raises(CurrencyMismatch) as caught:
        score_rfm_columns(["x", "y"], [1, 2], [1, 2], ["1", Money(1, "USD")])
    assert caught.value.path == "$.monetary[0]"
    plain = score_rfm_columns(["x", "y"], [1, 2], [1, 2], ["1", "2"])
    money = score_rfm_columns(["x", "y"], [1, 2], [1, 2], [Money(1, "USD"), Money(2, "USD")])
    assert plain == money
