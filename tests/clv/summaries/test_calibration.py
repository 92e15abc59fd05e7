"""Tests for the calibration cut of `crmcore.clv.summarize` (instant, period, lifetimes).

The CDNOW checks compare the code under test with an independent reference
written here (dates bucketed into Monday weeks by hand) and, when
``lifetimes`` 0.11.3 is installed, with its ``calibration_and_holdout_data``.
"""

import warnings
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._optional import in_ci

from crmcore import InvalidType, Money, ValidationError
from crmcore.clv import CustomerSummary, SummaryAccumulator, summarize

WIB = timezone(timedelta(hours=7))
FIELDS = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")
CUTS = ("instant", "period", "lifetimes")


def at(year, month, day, hour=0):
    """An instant on the UTC calendar (midnight unless told otherwise)."""
    return datetime(year, month, day, hour, tzinfo=UTC)


# -- hand-computed examples -------------------------------------------------------------

# Weekly periods, calibration end Tuesday 30 September 1997 (week of Monday 29 September).
WEEK_ROWS = [
    ("a", at(1997, 9, 1), Decimal(10)),  # week of 1 Sep: first purchase
    ("a", at(1997, 9, 29), Decimal(30)),  # Monday of the split week: calibration
    ("a", at(1997, 10, 2), Decimal(7)),  # Thursday of the split week: holdout at the instant
    ("a", at(1997, 10, 3), Decimal(5)),  # the same week and side: counts once
    ("a", at(1997, 10, 15), Decimal(20)),
    ("a", at(1997, 12, 31, 12), Decimal(99)),  # Wednesday after the end, in the end's week
    ("b", at(1997, 10, 1), Decimal(5)),  # first purchase after the instant, in the split week
    ("c", at(1997, 9, 30), Decimal(8)),  # at the instant itself: calibration
]
SPLIT = at(1997, 9, 30)
END = at(1997, 12, 30)  # a Tuesday: 13 weeks after the split week


def split_table(cut, rows=WEEK_ROWS, **options):
    """The weekly summary of ``rows`` split at SPLIT with the given cut."""
    options = {"period": "week", "observation_end": END, "calibration_end": SPLIT} | options
    return summarize(rows, calibration_cut=cut, **options)


def test_the_instant_cut_puts_later_purchases_of_the_split_week_in_the_holdout():
    """The split week is the calibration's last week and, after the instant, the holdout's first."""
    table = split_table("instant")
    assert ["a", "c"] == list(table)  # b's only purchase follows the instant
    assert (
        CustomerSummary(
            frequency=1,
            recency=4,
            T=4,
            monetary_value=Decimal(30),
            frequency_holdout=3,  # the rest of the split week (12), 15 Oct (20), end week (99)
            monetary_value_holdout=Decimal(131) / 3,
            duration_holdout=13,
        )
        == table["a"]
    )
    assert (0, 0, 0, 0) == (
        table["c"].frequency,
        table["c"].recency,
        table["c"].T,
        table["c"].frequency_holdout,
    )


def test_the_period_cut_keeps_the_whole_split_week_in_the_calibration():
    """calibration_cut='period' is the accumulator's split: the whole week of the end."""
    table = split_table("period")
    assert ["a", "b", "c"] == list(table)
    assert (
        CustomerSummary(
            frequency=1,
            recency=4,
            T=4,
            monetary_value=Decimal(42),  # 30 + 7 + 5: one week
            frequency_holdout=2,
            monetary_value_holdout=Decimal(119) / 2,
            duration_holdout=13,
        )
        == table["a"]
    )
    acc = SummaryAccumulator(period="week", tz=UTC)
    acc.extend(WEEK_ROWS)
    assert dict(table) == dict(acc.summarize(observation_end=END, calibration_end=SPLIT))


def test_the_lifetimes_cut_ends_the_holdout_at_the_instant_and_averages_transactions():
    """Holdout after the observation instant dropped; its mean is per transaction."""
    row = split_table("lifetimes")["a"]
    assert (1, 4, 4, Decimal(30)) == (row.frequency, row.recency, row.T, row.monetary_value)
    # Holdout transactions 7, 5 and 20 (99 follows the observation end): two weeks.
    assert (2, Decimal(32) / 3, 13) == (
        row.frequency_holdout,
        row.monetary_value_holdout,
        row.duration_holdout,
    )


def test_the_default_cut_is_the_period():
    """Without calibration_cut, calibration_end cuts after its whole period (as before)."""
    assert dict(split_table("period")) == dict(
        summarize(WEEK_ROWS, period="week", observation_end=END, calibration_end=SPLIT)
    )


def test_the_cuts_agree_without_transactions_after_the_instant_in_its_period():
    """Date-only data with daily periods: the three cuts give one table."""
    rows = [row for row in WEEK_ROWS if row[1].hour == 0]
    tables = [
        dict(split_table(cut, rows, period="day", unit="week")) for cut in ("instant", "period")
    ]
    assert tables[0] == tables[1]
    assert [4.0, 13.0] == [tables[0]["a"].recency, tables[0]["a"].duration_holdout]
    lifetimes = split_table("lifetimes", rows, period="day")
    assert [s.frequency_holdout for s in lifetimes.values()] == [
        s.frequency_holdout for s in tables[0].values()
    ]


def test_without_calibration_end_every_cut_gives_the_same_table():
    """The cut only concerns calibration_end."""
    tables = [
        dict(summarize(WEEK_ROWS, period="week", observation_end=END, calibration_cut=cut))
        for cut in CUTS
    ]
    assert tables[0] == tables[1] == tables[2]


def test_refunds_after_the_instant_lower_the_holdout():
    """A refund in the split week after the instant nets into the holdout, never a purchase."""
    rows = [
        ("a", at(1997, 9, 1), "10"),
        ("a", at(1997, 9, 29), "30"),
        ("a", at(1997, 9, 29, 12), "-4"),  # before the instant: calibration
        ("a", at(1997, 10, 1), "-5"),  # after the instant, no purchase there: holdout net only
        ("a", at(1997, 10, 8), "20"),
        ("r", at(1997, 9, 2), "-1"),  # refunds only: not in the table
        ("r", at(1997, 10, 2), "-1"),
    ]
    table = split_table("instant", rows)
    assert ["a"] == list(table)
    row = table["a"]
    assert (1, Decimal(26), 1, Decimal(15)) == (
        row.frequency,
        row.monetary_value,
        row.frequency_holdout,
        row.monetary_value_holdout,
    )
    with_purchase = [*rows, ("a", at(1997, 10, 2), "9")]
    assert (2, Decimal(12)) == (
        split_table("instant", with_purchase)["a"].frequency_holdout,
        split_table("instant", with_purchase)["a"].monetary_value_holdout,
    )


def test_any_input_shape_time_zone_and_money():
    """Mappings, objects, other offsets and Money take the general path with the same result."""

    class Order:
        def __init__(self, customer_id, moment, amount):
            self.customer_id, self.at, self.amount = customer_id, moment, amount

    rows = [
        {"customer_id": "a", "at": at(1997, 9, 1).astimezone(WIB), "amount": Money("10", "USD")},
        Order("a", at(1997, 9, 29), Money("30", "USD")),
        ["a", at(1997, 10, 2).astimezone(WIB), Money("7", "USD")],
        ("a", at(1997, 10, 15), Money("20", "USD")),
    ]
    row = split_table("instant", rows)["a"]
    assert (1, 4, 2, Decimal("13.5")) == (
        row.frequency,
        row.recency,
        row.frequency_holdout,
        row.monetary_value_holdout,
    )
    assert "USD" == split_table("instant", rows).currency


@pytest.mark.parametrize("cut", ["instant", "lifetimes"])
@pytest.mark.parametrize(
    ("rows", "path", "error"),
    [
        ([("a", at(1997, 9, 1), "1"), ("a", datetime(1997, 9, 2), "1")], "$.transactions[1].at", ValidationError),  # noqa: DTZ001
        ([("a", at(1997, 9, 1), "1"), ("a", at(1997, 9, 2), float("nan"))], "$.transactions[1].amount", ValidationError),
        ([("a", at(1997, 9, 1), "1"), (None, at(1997, 9, 2), "1")], "$.transactions[1].customer_id", ValidationError),
        ([("a", at(1997, 9, 1))], "$.transactions[0]", ValidationError),
        ("abc", "$.transactions", InvalidType),
        (42, "$.transactions", InvalidType),
    ],
)  # fmt: skip
def test_bad_transactions_are_named_by_their_index(cut, rows, path, error):
    """Every transaction is validated, with the path of the item in the input."""
    with pytest.raises(error) as caught:
        split_table(cut, rows)
    assert path == caught.value.path


@pytest.mark.parametrize(
    ("value", "error", "code"),
    [("exact", ValidationError, "calibration_cut"), (None, InvalidType, "type")],
)
def test_an_unknown_cut_is_refused_before_reading_transactions(value, error, code):
    """The cut is checked with the other options, even without calibration_end."""

    def never():
        raise AssertionError
        yield  # pragma: no cover

    with pytest.raises(error) as caught:
        summarize(never(), period="week", observation_end=END, calibration_cut=value)
    assert ("$.calibration_cut", code) == (caught.value.path, caught.value.code)


# -- an independent oracle, on random data ------------------------------------------------


def bucket(moment, period):
    """The period of ``moment`` on the UTC calendar, as an int, computed by hand."""
    day = moment.astimezone(UTC).date()
    if period == "day":
        return day.toordinal()
    if period == "week":
        return (day.toordinal() - day.weekday() - 1) // 7  # 0001-01-01 is a Monday
    return day.year * 12 + day.month


def oracle(rows, period, cut, split, end):
    """Summaries by the documented rules, written directly over the transactions."""
    split_key, end_key = bucket(split, period), bucket(end, period)
    sides = defaultdict(lambda: {"cal": defaultdict(list), "hold": defaultdict(list)})
    for customer, moment, amount in rows:
        key = bucket(moment, period)
        if cut == "period":
            side = "cal" if key <= split_key else "hold" if key <= end_key else None
        elif moment <= split:
            side = "cal"
        elif (moment <= end) if cut == "lifetimes" else (key <= end_key):
            side = "hold"
        else:
            side = None
        if side:
            sides[customer][side][key].append(Decimal(amount))
    table = {}
    for customer, parts in sides.items():
        cal = {k: v for k, v in parts["cal"].items() if any(a >= 0 for a in v)}
        if not cal:
            continue
        first, last = min(cal), max(cal)
        repeat = sum((sum(v) for k, v in parts["cal"].items() if k > first), Decimal(0))
        bought = [k for k, v in parts["hold"].items() if any(a >= 0 for a in v)]
        amounts = [a for v in parts["hold"].values() for a in v]
        if cut == "lifetimes":
            mean = sum(amounts) / len(amounts) if amounts else Decimal(0)
        else:
            mean = sum(amounts) / len(bought) if bought else Decimal(0)
        table[customer] = CustomerSummary(
            frequency=len(cal) - 1,
            recency=last - first,
            T=split_key - first,
            monetary_value=repeat / (len(cal) - 1) if len(cal) > 1 else Decimal(0),
            frequency_holdout=len(bought),
            monetary_value_holdout=mean,
            duration_holdout=end_key - split_key,
        )
    return table


START = at(2023, 12, 1)


@st.composite
def transaction(draw, refunds):
    """A transaction of one of four customers within about three months."""
    customer = draw(st.sampled_from("abcd"))
    moment = START + timedelta(minutes=draw(st.integers(0, 130_000)))
    moment = moment.astimezone(draw(st.sampled_from([UTC, WIB])))
    cents = draw(st.integers(-2_000 if refunds else 0, 20_000))
    return (customer, moment, Decimal(cents).scaleb(-2))


@given(
    st.booleans().flatmap(lambda refunds: st.lists(transaction(refunds), max_size=40)),
    st.sampled_from(["day", "week", "month"]),
    st.sampled_from(CUTS),
    st.integers(0, 60 * 24 * 90),
    st.integers(0, 60 * 24 * 60),
)
def test_every_cut_matches_the_oracle(rows, period, cut, split_minutes, more_minutes):
    """Random transactions, periods, instants: the table is the oracle's."""
    split = START + timedelta(minutes=split_minutes)
    end = split + timedelta(minutes=more_minutes)
    if cut == "lifetimes" and any(amount < 0 for _, _, amount in rows):
        cut = "instant"  # the lifetimes rules are defined on data without refunds
    table = summarize(
        rows, period=period, observation_end=end, calibration_end=split, calibration_cut=cut
    )
    assert oracle(rows, period, cut, split, end) == dict(table)


# -- CDNOW: the full log, weekly periods, calibration end Tuesday 30 September 1997 -----


@pytest.fixture(scope="module")
def cdnow_log(reference_data):
    """CDNOW_master: (customer, date, dollars) per row, date-only."""
    rows = []
    with reference_data("cdnow", "CDNOW_master.txt").open() as handle:
        next(handle)
        for line in handle:
            customer, day, _, dollars = line.split()
            rows.append((int(customer), date(int(day[:4]), int(day[4:6]), int(day[6:])), dollars))
    return rows


def reference_split(log, cut):
    """The weekly split of the CDNOW log, computed by hand from dates (Monday weeks)."""

    def monday(day):
        return day - timedelta(days=day.weekday())

    split, end = date(1997, 9, 30), date(1998, 6, 30)
    cal, hold = defaultdict(lambda: defaultdict(Decimal)), defaultdict(list)
    for customer, day, dollars in log:
        if (monday(day) <= monday(split)) if cut == "period" else (day <= split):
            cal[customer][monday(day)] += Decimal(dollars)
        elif day <= end:
            hold[customer].append((monday(day), Decimal(dollars)))
    out = {}
    for customer, weeks in cal.items():
        first, last = min(weeks), max(weeks)
        later = hold.get(customer, [])
        holdout_weeks = {week for week, _ in later}
        if cut == "lifetimes":  # the mean of the transactions
            mean = sum(a for _, a in later) / len(later) if later else Decimal(0)
        else:  # the mean of the weeks' totals
            mean = sum(a for _, a in later) / len(holdout_weeks) if later else Decimal(0)
        out[customer] = (
            len(weeks) - 1,
            (last - first).days // 7,
            (monday(split) - first).days // 7,
            sum(v for k, v in weeks.items() if k != first) / max(len(weeks) - 1, 1),
            len(holdout_weeks),
            mean,
            39,  # weeks from the split week to the end week
        )
    return out


def rows_of(table):
    return {
        customer: (
            s.frequency,
            s.recency,
            s.T,
            s.monetary_value,
            s.frequency_holdout,
            s.monetary_value_holdout,
            s.duration_holdout,
        )
        for customer, s in table.items()
    }


@pytest.fixture(scope="module")
def cdnow_tables(cdnow_log):
    """The code under test and the reference, for each cut."""
    rows = [
        (customer, datetime(day.year, day.month, day.day, tzinfo=UTC), Decimal(dollars))
        for customer, day, dollars in cdnow_log
    ]
    return {
        cut: (
            rows_of(
                summarize(
                    rows,
                    period="week",
                    calibration_end=at(1997, 9, 30),
                    observation_end=at(1998, 6, 30),
                    calibration_cut=cut,
                )
            ),
            reference_split(cdnow_log, cut),
        )
        for cut in CUTS
    }


def differing(first, second, columns):
    """The customers whose given columns differ between two tables of one population."""
    return {c for c in first if any(first[c][i] != second[c][i] for i in columns)}


def test_cdnow_weekly_split_matches_the_reference_for_every_cut(cdnow_tables):
    """All 23,570 customers, every column, each cut."""
    for code, reference in cdnow_tables.values():
        assert len(reference) == 23_570
        assert reference == code


def test_cdnow_weekly_split_counts_of_customers_that_differ(cdnow_tables):
    """Regression figures: how much the cut moves CDNOW's weekly calibration and holdout.

    Counted on the reference tables, then on the code's: 292 customers buy
    after Tuesday 30 September within its week and have a calibration history
    (frequency, recency, T) that the whole-week cut changes (the figure of issue
    19, measured against lifetimes); 301 have another holdout frequency; 956
    have another holdout mean when it averages transactions (lifetimes) rather
    than weekly totals.
    """
    for which in (1, 0):  # the reference first, then the code under test
        instant, period, lifetimes = (cdnow_tables[cut][which] for cut in CUTS)
        assert 292 == len(differing(period, instant, (0, 1, 2)))
        assert 301 == len(differing(period, instant, (4,)))
        assert 0 == len(differing(instant, lifetimes, (0, 1, 2, 3, 4, 6)))
        assert 956 == len(differing(instant, lifetimes, (5,)))


@pytest.fixture(scope="module")
def lifetimes_utils():
    """lifetimes.utils; a skip without it locally, a failure without it in CI."""
    try:
        with warnings.catch_warnings():  # lifetimes 0.11.3 sets options pandas 3 deprecates
            warnings.simplefilter("ignore")
            from lifetimes import utils  # noqa: PLC0415 - optional: the test extra installs it.
    except ImportError:
        if in_ci():
            pytest.fail("lifetimes is not installed: CI installs it with the test extra")
        pytest.skip("lifetimes is not installed")
    return utils


def test_cdnow_weekly_split_against_lifetimes(cdnow_log, cdnow_tables, lifetimes_utils):
    """calibration_cut='lifetimes' is calibration_and_holdout_data of lifetimes 0.11.3, exactly."""
    import pandas as pd  # noqa: PLC0415 - lifetimes brings pandas.

    frame = pd.DataFrame(
        {
            "id": [row[0] for row in cdnow_log],
            "date": pd.to_datetime([row[1] for row in cdnow_log]),
            "amount": [float(row[2]) for row in cdnow_log],
        }
    )
    with warnings.catch_warnings():  # pandas deprecations inside lifetimes 0.11.3
        warnings.simplefilter("ignore")
        theirs = lifetimes_utils.calibration_and_holdout_data(
            frame,
            "id",
            "date",
            calibration_period_end="1997-09-30",
            observation_period_end="1998-06-30",
            freq="W",
            monetary_value_col="amount",
        )
    columns = [
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "monetary_value_cal",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    lifetimes = {
        int(i): tuple(row) for i, row in zip(theirs.index, theirs[columns].to_numpy(), strict=True)
    }
    code = cdnow_tables["lifetimes"][0]
    assert set(lifetimes) == set(code)
    for customer, values in lifetimes.items():
        ours = [float(v) for v in code[customer]]
        assert ours == pytest.approx(list(values), rel=1e-12, abs=1e-9), customer
    period = {c: tuple(float(v) for v in row) for c, row in cdnow_tables["period"][0].items()}
    assert 292 == len(differing(period, lifetimes, (0, 1, 2)))
