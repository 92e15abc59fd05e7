"""Tests for the column paths of `crmcore.segmentation._rfm`: same results and errors as row by row.

`rfm_values` and `score_rfm` read plainly valid inputs a column at a time and build their
results without re-checking fields already checked; anything else goes order by order (row by
row). These tests hold the two paths to identical results (values, reprs, ties, order) and
identical errors, and hold the scores to a reference written straight from the documented rule.
"""

import pickle
from collections import namedtuple
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, localcontext
from enum import IntEnum
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, Money, ValidationError
from crmcore.segmentation import (
    RfmScore,
    RfmValues,
    _rfm,
    quantile_scores,
    rfm_values,
    score_rfm,
)

AT = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
ZONES = (UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-5, minutes=-30)), BERLIN)


def usd(amount):
    return Money(amount, "USD")


# -- a reference written from the documented rule -------------------------------------------


def reference_scores(values, higher_is_better):
    """Scores 1-5: a tie group at sorted positions start..end-1 scores floor((start+end)*5/2n)+1."""
    n = len(values)
    out = []
    for value in values:
        start = sum(1 for other in values if other < value)
        end = sum(1 for other in values if other <= value)
        score = (start + end) * 5 // (2 * n) + 1
        out.append(score if higher_is_better else 6 - score)
    return out


def reference_codes(rows):
    r = reference_scores([row.recency_days for row in rows], higher_is_better=False)
    f = reference_scores([row.frequency for row in rows], higher_is_better=True)
    m = reference_scores([row.monetary.amount for row in rows], higher_is_better=True)
    return {row.customer_id: (a, b, c) for row, a, b, c in zip(rows, r, f, m, strict=True)}


def reference_values(orders, at):
    """RFM values as the module documents them, order by order."""
    kept = [order for order in orders if not order[1] > at]
    out = []
    for key in sorted({order[0] for order in kept}, key=str):
        mine = [order for order in kept if order[0] == key]
        latest = max(order[1] for order in mine)
        total = Decimal(0)
        for order in mine:
            total += order[2].amount
        out.append((key, (at - latest).days, len(mine), total))
    return out


# -- strategies --------------------------------------------------------------------------------

# Few distinct values, so that ties are the rule rather than the exception; amounts with
# several exponents, so that equal values are written differently (1, 1.0, 1.00, 1E+1), and
# amounts closer together than a float tells apart.
AMOUNTS = (
    st.sampled_from(
        [Decimal(t) for t in ("0", "0.00", "1", "1.0", "1.00", "2.5", "2.50", "1E+1", "10", "-3")]
    )
    | st.decimals(min_value=-1000, max_value=1000, places=2)
    | st.integers(0, 3).map(lambda i: Decimal("0.1") + Decimal(i).scaleb(-25))
)
IDS = st.text("abcxyz", min_size=1, max_size=3) | st.integers(0, 30)
TIMES = st.builds(
    lambda minutes, zone: (AT + timedelta(minutes=minutes)).astimezone(zone),
    st.integers(-60 * 24 * 60, 24 * 60),
    st.sampled_from(ZONES),
)
ORDERS = st.lists(st.tuples(IDS, TIMES, AMOUNTS.map(usd)), max_size=40)
VALUES = st.lists(
    st.builds(
        lambda i, days, count, amount: RfmValues(f"c-{i}", days, count, usd(amount)),
        st.integers(0, 10_000),
        st.integers(-3, 6),
        st.integers(0, 5),
        AMOUNTS,
    ),
    max_size=40,
    unique_by=lambda row: row.customer_id,
)


@attrs.frozen
class OrderRecord:
    customer_id: object
    at: datetime
    amount: Money


OrderTuple = namedtuple("OrderTuple", "customer_id at amount")  # noqa: PYI024 - a user's shape


class PlainOrder:
    def __init__(self, customer_id, at, amount):
        self.customer_id, self.at, self.amount = customer_id, at, amount


SHAPES = {
    "tuple": lambda o: o,
    "long tuple": lambda o: (*o, "extra"),
    "namedtuple": lambda o: OrderTuple(*o),
    "attrs": lambda o: OrderRecord(*o),
    "object": lambda o: PlainOrder(*o),
}


def outcome(call):
    """What a call gives: its result, or its error's type, text, path and code."""
    try:
        return ("result", call())
    except ValidationError as exc:
        return ("error", type(exc), str(exc), exc.path, exc.code)


def same_values(expected, actual):
    assert expected == actual
    assert [repr(v) for v in expected] == [repr(v) for v in actual]


# -- scores ------------------------------------------------------------------------------------


@given(VALUES)
def test_scores_match_the_reference_rule(rows):
    """Every customer's R, F and M equal the documented rule's, ties included."""
    scores = score_rfm(rows)
    assert reference_codes(rows) == {s.customer_id: (s.r, s.f, s.m) for s in scores}


@given(VALUES)
def test_column_scores_equal_row_by_row_scores(rows):
    """The column path builds the same RfmScores, in the same order, as the row-by-row path."""
    fast = score_rfm(rows)
    slow = _rfm._score_rfm_by_row(tuple(rows), None, None, None)
    assert slow == fast
    assert [repr(s) for s in slow] == [repr(s) for s in fast]
    assert fast == score_rfm(tuple(rows)) == score_rfm(iter(rows))


@given(st.lists(AMOUNTS, max_size=30), st.booleans())
def test_decimal_quintiles_equal_quantile_scores(numbers, higher_is_better):
    """Decimals sorted by their floats where exact: the exact rule, whatever their digits."""
    keyed = {str(i): number for i, number in enumerate(numbers)}
    expected = quantile_scores(keyed, k=5, higher_is_better=higher_is_better)
    assert [expected[str(i)] for i in range(len(numbers))] == _rfm._quintiles(
        numbers, higher_is_better=higher_is_better
    )
    assert reference_scores(numbers, higher_is_better) == _rfm._quintiles(
        numbers, higher_is_better=higher_is_better
    )


@given(VALUES, st.booleans())
def test_quintiles_equal_quantile_scores(rows, higher_is_better):
    """The column quintiles are quantile_scores(k=5) on ints and on Decimals written differently."""
    for numbers in ([row.recency_days for row in rows], [row.monetary.amount for row in rows]):
        keyed = {str(i): number for i, number in enumerate(numbers)}
        expected = quantile_scores(keyed, k=5, higher_is_better=higher_is_better)
        assert [expected[str(i)] for i in range(len(numbers))] == _rfm._quintiles(
            numbers, higher_is_better=higher_is_better
        )


@given(VALUES)
def test_scores_with_edges_equal_row_by_row(rows):
    """Fixed edges on some dimensions and quintiles on others: both paths agree (errors too)."""
    recency, monetary = [0, 2, 4, 5], [usd(-1), usd(0), usd(1), usd(50)]
    assert outcome(lambda: _rfm._score_rfm_by_row(tuple(rows), recency, None, monetary)) == (
        outcome(lambda: score_rfm(rows, recency_edges=recency, monetary_edges=monetary))
    )


def test_int_subclass_values_score_as_ints():
    """Values held as int subclasses (an IntEnum, say) score as the ints they are."""

    class Days(IntEnum):
        WEEK = 7
        MONTH = 30

    rows = [RfmValues("a", Days.WEEK, Days.WEEK, usd(1)), RfmValues("b", Days.MONTH, 1, usd(2))]
    assert _rfm._score_rfm_by_row(tuple(rows), None, None, None) == score_rfm(rows)


def test_all_equal_and_single_customers_score_in_the_middle():
    """One tie group holding everyone sits at the middle score; so does a lone customer."""
    rows = [RfmValues(f"c{i}", 5, 2, usd("1.0" if i % 2 else "1.00")) for i in range(7)]
    assert {"333"} == {s.code for s in score_rfm(rows)}
    assert ["333"] == [s.code for s in score_rfm(rows[:1])]
    assert () == score_rfm([])


def test_scores_are_real_rfm_scores():
    """Scores built without re-checking are ordinary RfmScores: equal, hashed, frozen, pickled."""
    rows = [RfmValues(f"c{i}", i, 10 - i, usd(i * 3)) for i in range(10)]
    for fast in score_rfm(rows):
        checked = RfmScore(
            fast.customer_id,
            fast.recency_days,
            fast.frequency,
            fast.monetary,
            fast.r,
            fast.f,
            fast.m,
        )
        assert checked == fast
        assert hash(checked) == hash(fast)
        assert repr(checked) == repr(fast)
        assert fast == pickle.loads(pickle.dumps(fast))  # noqa: S301 - our own bytes
        assert checked == attrs.evolve(fast)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            fast.r = 1  # type: ignore[misc]


def test_classes_built_by_slots_hold_only_their_fields():
    """The slot builder knows Money, RfmValues and RfmScore, and refuses other classes."""
    assert _rfm._MONEY_SLOTS is not None
    assert _rfm._VALUES_SLOTS is not None
    assert _rfm._SCORE_SLOTS is not None

    @attrs.frozen(slots=False)
    class WithDict:
        a: int

    @attrs.frozen(slots=True)
    class Cached:
        a: int
        _memo: object = attrs.field(default=None, init=False)

    assert _rfm._slot_setters(WithDict) is None
    built = _rfm._build(WithDict, _rfm._slot_setters(WithDict), 2, ([1, 2],))
    assert (WithDict(1), WithDict(2)) == built
    assert _rfm._slot_setters(Cached) is not None  # an attrs field, even with init=False
    assert (Cached(1),) == _rfm._build(Cached, None, 1, ([1],))


def test_rows_of_subclasses_are_checked_row_by_row():
    """RfmValues subclasses take the row-by-row path, with the same results."""

    @attrs.frozen
    class MyValues(RfmValues):
        pass

    rows = [MyValues(f"c{i}", i, 1 + i % 3, usd(i % 4)) for i in range(9)]
    plain = [RfmValues(r.customer_id, r.recency_days, r.frequency, r.monetary) for r in rows]
    assert score_rfm(plain) == score_rfm(rows)
    assert _rfm._slot_setters(MyValues) is None  # inherited slots: built by the constructor
    with pytest.raises(ValidationError) as info:
        score_rfm([*rows, rows[0]])
    assert ("$.values", "duplicate") == (info.value.path, info.value.code)


@pytest.mark.parametrize(
    ("rows", "error", "path", "code"),
    [
        ([RfmValues("a", 1, 1, usd(1)), RfmValues("a", 2, 2, usd(2))], ValidationError,
         "$.values", "duplicate"),
        ([RfmValues("a", 1, 1, usd(1)), RfmValues("b", 2, 2, Money(2, "EUR"))], ValidationError,
         "$.values[1]", "currency_mismatch"),
        ([RfmValues("a", 1, 1, usd(1)), "b"], ValidationError, "$.values[1]", "type"),
    ],
)  # fmt: skip
def test_score_errors_match_row_by_row(rows, error, path, code):
    """Duplicates, mixed currencies and junk rows raise as before, at the same path."""
    with pytest.raises(error) as info:
        score_rfm(rows)
    assert (path, code) == (info.value.path, info.value.code)
    with pytest.raises(error) as info:
        score_rfm(rows, monetary_edges=[usd(1), usd(2), usd(3), usd(4)])
    assert (path, code) == (info.value.path, info.value.code)


# -- values ------------------------------------------------------------------------------------


@given(ORDERS, st.sampled_from(sorted(SHAPES)), st.sampled_from(["given", "oldest", "newest"]))
def test_values_equal_order_by_order_values(orders, shape, order):
    """Every record shape, id kind, time zone and order: the same values, reprs and order."""
    if order != "given":
        orders = sorted(orders, key=lambda o: o[1], reverse=order == "newest")
    records = [SHAPES[shape](order) for order in orders]
    fast = rfm_values(records, at=AT)
    same_values(_rfm._rfm_values_by_order(records, AT), fast)
    assert reference_values(orders, AT) == [
        (v.customer_id, v.recency_days, v.frequency, v.monetary.amount) for v in fast
    ]


@given(ORDERS, st.sampled_from(ZONES))
def test_values_at_any_zone_equal_order_by_order(orders, zone):
    """An analysis time in another zone (fixed or not) gives the same values on both paths."""
    at = AT.astimezone(zone)
    same_values(_rfm._rfm_values_by_order(orders, at), rfm_values(orders, at=at))
    ordered = sorted(orders, key=lambda o: o[1])
    same_values(_rfm._rfm_values_by_order(ordered, at), rfm_values(ordered, at=at))


@given(ORDERS)
def test_values_in_a_narrow_decimal_context_equal_order_by_order(orders):
    """Sums are taken in the caller's decimal context, in the same order, on both paths."""
    with localcontext() as context:
        context.prec = 3
        same_values(_rfm._rfm_values_by_order(orders, AT), rfm_values(orders, at=AT))


def test_equal_totals_share_money_and_keep_their_digits():
    """Equal totals written alike share one Money; 1.0 and 1.00 keep their own digits."""
    orders = [("a", AT, usd("1.0")), ("b", AT, usd("1.0")), ("c", AT, usd("1.00"))]
    a, b, c = rfm_values(orders, at=AT)
    assert a.monetary is b.monetary
    assert (repr(usd("1.0")), repr(usd("1.00"))) == (repr(a.monetary), repr(c.monetary))
    assert {"333"} == {s.code for s in score_rfm((a, b, c))}


def test_values_from_generators_and_other_ids():
    """Generators are read once; Identifier, tuple and mixed str/int ids take the checked path."""
    orders = [
        (CustomerId("c-2"), AT - timedelta(days=3), usd(5)),
        (("shop", 1), AT - timedelta(days=1), usd(1)),
        (10, AT - timedelta(days=2), usd(2)),
        ("10", AT - timedelta(days=4), usd(4)),
    ]
    expected = _rfm._rfm_values_by_order(orders, AT)
    same_values(expected, rfm_values(iter(orders), at=AT))
    assert ["('shop', 1)", "10", "10", "c-2"] == [str(v.customer_id) for v in expected]


# Ints of many widths and both signs (text order is not number order), and texts of digits
# equal to some of them.
WIDE_INT_IDS = st.integers(0, 10**7) | st.integers(-(10**12), 10**12)


@given(
    st.lists(WIDE_INT_IDS, unique=True, max_size=60)
    | st.lists(st.integers(0, 10**7), unique=True, max_size=60)
    | st.lists(WIDE_INT_IDS | st.text("0123456789-", min_size=1, max_size=3), max_size=60)
)
def test_ids_come_out_in_text_order(keys):
    """Int ids sorted as numbers first end in the same order as sorted by their text."""
    distinct = list(dict.fromkeys(keys))
    assert sorted(distinct, key=str) == _rfm._in_text_order(list(distinct))


@given(
    st.lists(st.tuples(WIDE_INT_IDS, TIMES, AMOUNTS.map(usd)), max_size=40),
    st.sampled_from(["given", "oldest", "newest"]),
)
def test_values_of_wide_int_ids_equal_order_by_order(orders, order):
    """Int ids of many widths and signs, in any time order: the same values and order."""
    if order != "given":
        orders = sorted(orders, key=lambda o: o[1], reverse=order == "newest")
    same_values(_rfm._rfm_values_by_order(orders, AT), rfm_values(orders, at=AT))


@pytest.mark.parametrize("newest_first", [False, True])
def test_values_in_time_order_either_way_keep_the_latest(newest_first):
    """Orders oldest first or newest first (equal instants in other zones too): the latest counts."""
    zone = ZONES[1]
    orders = [
        (7, AT - timedelta(days=9), usd(1)),
        (12, AT - timedelta(days=5), usd(2)),
        (7, (AT - timedelta(days=3)).astimezone(zone), usd(3)),
        (12, AT - timedelta(days=3), usd(4)),
        (7, AT - timedelta(days=1), usd(5)),
        (100, AT + timedelta(days=1), usd(6)),
    ]
    if newest_first:
        orders.reverse()
    values = rfm_values(orders, at=AT)
    same_values(_rfm._rfm_values_by_order(orders, AT), values)
    assert [(12, 3, 2), (7, 1, 3)] == [(v.customer_id, v.recency_days, v.frequency) for v in values]


def test_values_of_unordered_orders_keep_the_latest():
    """Orders out of time order: the latest order sets recency, as order by order."""
    orders = [
        ("a", AT - timedelta(days=1), usd(1)),
        ("a", AT - timedelta(days=9), usd(1)),
        ("b", (AT - timedelta(days=2)).astimezone(BERLIN), usd(1)),
        ("b", AT - timedelta(days=2), usd(1)),
    ]
    assert [1, 2] == [v.recency_days for v in rfm_values(orders, at=AT)]


@pytest.mark.parametrize(
    ("orders", "at"),
    [
        # few orders over many days: recency by subtraction
        ([("a", AT - timedelta(days=400), usd(1)), ("b", AT, usd(1))], AT),
        # a day bound before year 1, in the analysis time's zone
        (
            [("a", datetime(1, 1, 1, 2, tzinfo=UTC), usd(1))],
            datetime(1, 1, 1, 23, tzinfo=timezone(timedelta(hours=-5))),
        ),
        # orders on the same instant in different fixed zones
        ([("a", AT, usd(1)), ("a", AT.astimezone(ZONES[1]), usd(2))], AT + timedelta(hours=30)),
    ],
)
def test_recency_edge_cases_equal_order_by_order(orders, at):
    """Long spans, bounds before year 1 and equal instants: the same recency as order by order."""
    same_values(_rfm._rfm_values_by_order(orders, at), rfm_values(orders, at=at))


def test_totals_money_refuses_go_order_by_order():
    """A total Money would refuse (too large) raises the same error as order by order."""
    big = usd(Decimal(10) ** 21 - 1)
    orders = [("a", AT, big), ("a", AT, big)]
    with pytest.raises(ValidationError) as fast:
        rfm_values(orders, at=AT)
    with pytest.raises(ValidationError) as slow:
        _rfm._rfm_values_by_order(orders, AT)
    assert (slow.value.path, slow.value.code) == (fast.value.path, fast.value.code)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_plain_amounts_are_amounts_money_takes(number):
    """The quick amount check only passes numbers Money's own check accepts."""
    if _rfm._plain_amounts([number], [str(number)]):
        assert number == Money(number, "USD").amount


def test_plain_amounts_refuse_what_money_refuses():
    """Not finite, too large, too many digits, too small an exponent: not plain."""
    for text in ("NaN", "Infinity", "1E+21", "-1E+21", "1" * 101, "1E-101", "0E+150"):
        assert not _rfm._plain_amounts([Decimal(text)], [text]), text
    assert _rfm._plain_amounts([], [])


class Gappy(tzinfo):
    """A zone that knows no offset for times before 2026 (as a hand-written tzinfo may)."""

    def utcoffset(self, dt):
        return None if dt is None or dt.year < 2026 else timedelta(0)

    def dst(self, dt):
        return timedelta(0)


def test_hand_written_zones_are_asked_for_every_time():
    """A tzinfo crmcore does not know is asked for each time's offset, as order by order."""
    fine = [("a", datetime(2026, 1, 2, tzinfo=Gappy()), usd(1))]
    same_values(_rfm._rfm_values_by_order(fine, AT), rfm_values(fine, at=AT))
    naive = [*fine, ("b", datetime(2025, 1, 2, tzinfo=Gappy()), usd(1))]
    with pytest.raises(ValidationError) as info:
        rfm_values(naive, at=AT)
    assert ("$.orders[1].at", "naive_datetime") == (info.value.path, info.value.code)


class Broken:
    @property
    def customer_id(self):
        raise RuntimeError("no id")


BAD_ORDERS = [
    [("a", AT, usd(1)), ("b", AT)],
    [("a", AT, usd(1)), (None, AT, usd(1))],
    [("a", AT, usd(1)), (True, AT, usd(1))],
    [("a", AT, usd(1)), (1.5, AT, usd(1))],
    [("a", AT, usd(1)), ([1], AT, usd(1))],
    [("a", AT, usd(1)), ("b", AT.replace(tzinfo=None), usd(1))],
    [("a", AT, usd(1)), ("b", "2026-06-01", usd(1))],
    [("a", AT, usd(1)), ("b", AT, Decimal(1))],
    [("a", AT, usd(1)), ("b", AT, Money(1, "EUR"))],
    [("a", AT + timedelta(days=1), Money(1, "EUR")), ("b", AT, usd(1)), ("c", AT, 1)],
    [("a", AT, usd(1)), PlainOrder("b", AT, usd(1)), "c"],
    [PlainOrder("a", AT, usd(1)), object()],
    [PlainOrder("a", AT, usd(1)), Broken()],
    [{"customer_id": "a", "at": AT, "amount": usd(1)}],
]


@pytest.mark.parametrize("orders", BAD_ORDERS)
def test_bad_orders_raise_as_order_by_order(orders):
    """Each bad input raises what reading order by order raises: same type, path, code, text."""
    try:
        _rfm._rfm_values_by_order(orders, AT)
    except Exception as exc:  # noqa: BLE001 - whatever it raises, the fast path must too
        expected = exc
    else:  # the future EUR order is left out before currencies are compared
        same_values(_rfm._rfm_values_by_order(orders, AT), rfm_values(orders, at=AT))
        return
    with pytest.raises(type(expected)) as info:
        rfm_values(orders, at=AT)
    assert str(expected) == str(info.value)
    if isinstance(expected, ValidationError):
        assert (expected.path, expected.code) == (info.value.path, info.value.code)
