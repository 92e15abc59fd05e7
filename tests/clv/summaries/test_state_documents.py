"""Documents of the summary state: CustomerState, SummaryAccumulator and SummaryTable round-trip.

Round trips go through ``json`` (documents must be JSON-ready), and the rebuilt objects are
compared with the originals through an independent view: their period totals, summaries and
settings. Bad documents name the path of the fault and build nothing.
"""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, InvalidType, Money, ValidationError
from crmcore.clv.summaries._documents import MAX_DOCUMENT_ROWS
from crmcore.clv.summaries._state import CustomerState, SummaryAccumulator
from crmcore.clv.summaries._table import SummaryTable
from crmcore.errors import SchemaVersionError
from crmcore.serialization import from_dict, to_dict

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 6, 30, tzinfo=UTC)

amounts = st.decimals(min_value=-500, max_value=500, places=2, allow_nan=False)
transactions = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(min_value=0, max_value=170).map(lambda d: START + timedelta(days=d, hours=5)),
        amounts,
    ),
    max_size=40,
)


def through_json(document):
    return json.loads(json.dumps(document))


def state_of(acc):
    return (acc.period, acc.tz, acc.currency, list(acc.period_totals()), list(acc))


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-(10**6), max_value=10**6),
            st.none() | st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False),
            st.decimals(max_value=0, min_value=-(10**9), places=3, allow_nan=False),
        ),
        max_size=30,
    )
)
def test_customer_states_round_trip_with_decimals(rows):
    state = CustomerState(rows)
    assert from_dict(CustomerState, through_json(to_dict(state))) == state


@given(transactions, st.sampled_from(["day", "week", "month"]))
def test_accumulators_round_trip(rows, period):
    acc = SummaryAccumulator(period=period, tz=UTC)
    acc.extend(rows)
    document = through_json(to_dict(acc))
    back = from_dict(SummaryAccumulator, document)
    assert state_of(back) == state_of(acc)
    assert back.summarize(observation_end=END) == acc.summarize(observation_end=END)
    assert to_dict(back) == document


def test_an_accumulator_document_is_json_ready_and_exact():
    acc = SummaryAccumulator(period="day", tz=ZoneInfo("Asia/Jakarta"))
    acc.add("c1", START, Money("10.50", "USD"))
    acc.add("c1", START + timedelta(days=1), Money("-2.25", "USD"))
    document = to_dict(acc)
    assert document == {
        "period": "day",
        "tz": "Asia/Jakarta",
        "currency": "USD",
        "plain_numbers": False,
        "customer_id_type": "str",
        "customer_id": ["c1", "c1"],
        "period_index": [19723, 19724],
        "purchases": ["10.50", None],
        "refunds": ["0", "-2.25"],
        "schema_version": 2,
    }
    back = from_dict(SummaryAccumulator, document)
    assert back.currency == "USD"
    assert back.tz == ZoneInfo("Asia/Jakarta")
    with pytest.raises(ValidationError):
        back.add("c2", START, "1")  # plain numbers are refused after Money, as before


@pytest.mark.parametrize(
    ("ids", "kind"),
    [
        ([1, 2], "int"),
        ([UUID(int=5), UUID(int=7)], "uuid"),
        ([CustomerId("cus-1"), CustomerId("cus-2")], "customer_id"),
    ],
)
def test_customer_ids_of_each_type_come_back_as_that_type(ids, kind):
    acc = SummaryAccumulator(period="week", tz=timezone(timedelta(hours=-3)))
    for customer in ids:
        acc.add(customer, START, "5")
    document = through_json(to_dict(acc))
    assert document["customer_id_type"] == kind
    assert document["tz"] == "-03:00"
    back = from_dict(SummaryAccumulator, document)
    assert list(back) == ids
    assert state_of(back) == state_of(acc)


def test_plain_numbers_and_unseen_amounts_are_kept_apart():
    seen = SummaryAccumulator.from_period_totals([], period="day", tz=UTC)
    assert to_dict(seen)["plain_numbers"] is False
    plain = SummaryAccumulator.from_period_totals([("a", 1, None, 0)], period="day", tz=UTC)
    document = to_dict(plain)
    assert document["plain_numbers"] is True
    assert document["customer_id"] == []
    back = from_dict(SummaryAccumulator, document)
    with pytest.raises(ValidationError):
        back.add("a", START, Money(1, "EUR"))


def test_ids_that_a_document_cannot_hold_are_refused_by_path():
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.add("a", START, "1")
    acc.add(2, START, "1")
    with pytest.raises(InvalidType) as caught:
        to_dict(acc)
    assert caught.value.path == "$.customer_id[1]"


def good_document():
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.extend([("a", START, "10"), ("b", START, "-3"), ("a", END, "2.5")])
    return to_dict(acc)


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"period": "year"}, "$.period", "choice"),
        ({"period": 3}, "$.period", "type"),
        ({"tz": "Mars/Olympus"}, "$.tz", "time_zone"),
        ({"tz": 7}, "$.tz", "type"),
        ({"plain_numbers": "yes"}, "$.plain_numbers", "type"),
        ({"plain_numbers": True, "currency": "USD"}, "$.plain_numbers", "conflict"),
        ({"currency": 5}, "$.currency", "type"),
        ({"customer_id_type": "float"}, "$.customer_id_type", "choice"),
        ({"customer_id": ["a", 1, "b"]}, "$.customer_id[1]", "type"),
        ({"customer_id": "abc"}, "$.customer_id", "type"),
        ({"period_index": [1, 2]}, "$.period_index", "length_mismatch"),
        ({"period_index": [19723, "x", 1]}, "$.period_index[1]", "type"),
        ({"period_index": [19723, 2**70, 1]}, "$.period_index[1]", "range"),
        ({"purchases": ["10", None, 1.5]}, "$.purchases[2]", "float"),
        ({"purchases": ["1e3", None, "1"]}, "$.purchases[0]", "decimal"),
        ({"purchases": ["-1", None, "1"]}, "$.purchases[0]", "negative"),
        ({"refunds": ["0", "3", "0"]}, "$.refunds[1]", "positive"),
        ({"refunds": ["0", None, "0"]}, "$.refunds[1]", "type"),
        ({"extra": 1}, "$", "unknown_keys"),
    ],
)
def test_bad_accumulator_documents_name_the_fault(change, path, code):
    document = {**good_document(), **change}
    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryAccumulator, document)
    assert (caught.value.path, caught.value.code) == (path, code)


def test_missing_keys_and_versions_are_refused():
    document = good_document()
    del document["refunds"]
    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryAccumulator, document)
    assert caught.value.path == "$.refunds"
    for version in (None, 1, 3):
        with pytest.raises(SchemaVersionError):
            from_dict(SummaryAccumulator, {**good_document(), "schema_version": version})
    with pytest.raises(InvalidType):
        from_dict(SummaryAccumulator, [1])


def test_oversized_documents_are_refused_before_reading_them():
    class Huge(list):
        def __len__(self):
            return MAX_DOCUMENT_ROWS + 1

    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryAccumulator, {**good_document(), "customer_id": Huge()})
    assert caught.value.code == "too_many"
    deep = {**good_document(), "currency": [[[[[]]]]] * 1}
    for _ in range(80):
        deep["currency"] = [deep["currency"]]
    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryAccumulator, deep)
    assert caught.value.code == "too_deep"


@pytest.mark.parametrize("split", [None, datetime(2024, 4, 1, tzinfo=UTC)])
@given(rows=transactions)
def test_summary_tables_round_trip(split, rows):
    if not hasattr(SummaryTable, "from_columns"):
        pytest.skip("parcel A's SummaryTable.from_columns is not there yet")
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.extend(rows)
    table = acc.summarize(observation_end=END, calibration_end=split, unit="week")
    document = through_json(to_dict(table))
    assert "schema_version" in document
    back = from_dict(SummaryTable, document)
    assert dict(back) == dict(table)
    assert list(back) == list(table)
    settings = ("period", "unit", "observation_end", "calibration_end", "currency")
    assert [getattr(back, name) for name in settings] == [getattr(table, name) for name in settings]
    assert isinstance(back[next(iter(back))].monetary_value, Decimal) if len(back) else True


def test_bad_table_documents_name_the_fault():
    if not hasattr(SummaryTable, "from_columns"):
        pytest.skip("parcel A's SummaryTable.from_columns is not there yet")
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.extend([("a", START, "10"), ("a", END - timedelta(days=3), "5"), ("b", START, "1")])
    document = to_dict(acc.summarize(observation_end=END))
    for change, path in [
        ({"monetary_value": ["5", 1.5]}, "$.monetary_value[1]"),
        ({"recency": [1, "x"]}, "$.recency[1]"),
        ({"customer_id": ["a", "a"]}, "$.customer_id"),
        ({"observation_end": "2024-01-01T00:00:00"}, "$.observation_end"),
        ({"frequency_holdout": [0, 0]}, "$.frequency_holdout"),
        ({"T": [1]}, "$.T"),
    ]:
        with pytest.raises(ValidationError) as caught:
            from_dict(SummaryTable, {**document, **change})
        assert caught.value.path == path, change
