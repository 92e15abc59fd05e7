"""Tests for `crmcore.lifecycle._batch`: planning progression for many customers, applying it.

The planner's promise is that it finds exactly what the per-customer path
finds, errors included, while building nothing for the customers who stay. The
properties draw customers with real ladder histories from the shipped
strategies and facts whose purchases and evaluation times sit on and around
every threshold and window end.
"""

import pickle
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, Money, PersonName
from crmcore.errors import CrmcoreError, CurrencyMismatch, InvalidType, UnitOfWorkError
from crmcore.lifecycle import (
    DEFAULT_POLICY,
    RELATIONSHIP_LADDER,
    Facts,
    PlannedMove,
    ProgressionPolicy,
    ProgressionRow,
    apply_progression,
    plan_progression,
    progress,
    progression_steps,
)
from crmcore.lifecycle._batch import _month_days, _screen
from crmcore.repository import InMemoryUnitOfWork, NotFound
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies import aware_datetimes, customers, moneys

LADDER = RELATIONSHIP_LADDER
T0 = datetime(2024, 1, 1, tzinfo=UTC)
NAIVE = datetime(2024, 2, 1)  # noqa: DTZ001 - a naive time on purpose
DAY = timedelta(days=1)
US = timedelta(microseconds=1)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def customer(name: str = "c-1") -> Customer:
    return Customer.register(CustomerId(name), name=PersonName("Ana"), at=T0)


def bought(count: int, first: float, last: float, **more) -> Facts:
    return Facts(
        purchase_count=count, first_purchase_at=at(first), last_purchase_at=at(last), **more
    )


# -- the cases the properties draw -----------------------------------------------------------


class _NoOffset(tzinfo):
    """A timezone that gives no offset: its datetimes count as naive."""

    def utcoffset(self, dt):
        return None

    def dst(self, dt):
        return None

    def tzname(self, dt):
        return "none"


LIGHT_CUSTOMERS = customers(
    with_lifecycle=True, pending_events=False, max_contact_points=0, max_consents=0, max_tags=0
)
NEW_YORK = ZoneInfo("America/New_York")
ZONES = (UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-9, minutes=-30)), NEW_YORK)

POLICIES = (
    DEFAULT_POLICY,
    ProgressionPolicy(demote=True),
    ProgressionPolicy(
        lapse_after=relativedelta(days=40),
        churn_after=relativedelta(days=80),
        client_tenure=relativedelta(),
        repeat_purchases=3,
        client_purchases=3,
        advocate_referrals=2,
    ),
    ProgressionPolicy(client_spend=Money("100", "USD"), client_tenure=relativedelta(months=6)),
    # Month ends, leap days, hours: windows whose length depends on where they start.
    ProgressionPolicy(
        lapse_after=relativedelta(months=1, hours=-5),
        churn_after=relativedelta(months=2, leapdays=1),
        client_tenure=relativedelta(years=1, leapdays=-1, seconds=1),
        demote=True,
    ),
    # A window that runs backwards from some dates: every row takes the per-customer code.
    ProgressionPolicy(
        lapse_after=relativedelta(months=1, days=-29), churn_after=relativedelta(months=3)
    ),
)

#: Offsets that put a time on, just before or just after another.
NEAR = st.sampled_from([timedelta(0), US, -US, timedelta(seconds=1), -DAY, DAY, 3 * DAY])
SPREAD = st.integers(min_value=-3 * 365 * 86_400, max_value=2 * 365 * 86_400).map(
    lambda seconds: timedelta(seconds=seconds)
)


def _plus(moment: datetime, window: relativedelta) -> datetime | None:
    try:
        return moment + window
    except (OverflowError, ValueError):
        return None


@st.composite
def cases(draw):
    """A customer, facts about them, a time and a policy, often right at a threshold."""
    person = draw(LIGHT_CUSTOMERS)
    policy = draw(st.sampled_from(POLICIES))
    since = LADDER.state_of(person).entered_at
    thresholds = sorted({0, 1, 2, policy.repeat_purchases, policy.client_purchases - 1})
    count = draw(
        st.sampled_from([*thresholds, policy.client_purchases]) | st.integers(0, 2**63 - 1)
    )
    first = last = None
    if count:
        last = (since + draw(NEAR | SPREAD)).astimezone(draw(st.sampled_from(ZONES)))
        if count == 1:
            first = draw(st.sampled_from([last, None]))
        else:
            first = draw(st.none() | (NEAR | SPREAD).map(lambda d: last - abs(d)))
    anchors = [since]
    for moment, window in (
        (last, policy.lapse_after),
        (last, policy.churn_after),
        (first, policy.client_tenure),
    ):
        end = None if moment is None else _plus(moment, window)
        if end is not None:
            anchors.append(end)
    when = draw(st.sampled_from(anchors)) + draw(NEAR | SPREAD.map(abs))
    if draw(st.integers(0, 9)):  # mostly a valid time: not before the stage or a purchase
        when = max(when, since, last or since)
    when = when.astimezone(draw(st.sampled_from(ZONES)))
    facts = Facts(
        purchase_count=count,
        first_purchase_at=first,
        last_purchase_at=last,
        total_spend=draw(st.none() | moneys(currencies=["USD", "EUR"], min_value=0)),
        qualified=draw(st.booleans()),
        loyalty_member=draw(st.booleans()),
        referrals=draw(st.sampled_from([0, 1, 2]) | st.integers(0, 2**63 - 1)),
        partner_agreement=draw(st.integers(0, 4)) == 0,
    )
    return person, facts, when, policy


def outcome(call):
    """The result of ``call``, or the crmcore error it raised."""
    try:
        return call()
    except CrmcoreError as error:
        return error


def batch_path(path: str) -> str:
    """Where the batch reports an error the per-customer path reports at ``path``."""
    if path == "$.at":
        return "$.rows[0].stage_since"
    return path.replace("$.facts", "$.rows[0]", 1)


def assert_same_outcome(person, facts, when, policy, planned):
    expected = outcome(lambda: progression_steps(person, facts, at=when, policy=policy))
    if isinstance(expected, CrmcoreError):
        assert isinstance(planned, type(expected)), (expected, planned)
        code = "backwards" if expected.code == "before_registration" else expected.code
        path = "$.rows[0].stage" if expected.code == "unknown_stage" else batch_path(expected.path)
        assert (path, code) == (planned.path, planned.code)
        return
    state = LADDER.state_of(person)
    moves = (PlannedMove(person.id, state.stage, state.entered_at, expected),) if expected else ()
    assert moves == planned


# -- the planner finds what the per-customer path finds ---------------------------------------


@given(cases())
def test_a_plan_holds_exactly_the_steps_progression_steps_finds(case):
    """For any customer, facts, time and policy: the same steps, or the same error."""
    person, facts, when, policy = case
    row = ProgressionRow.of(person, facts)
    planned = outcome(lambda: plan_progression([row], at=when, policy=policy))
    assert_same_outcome(person, facts, when, policy, planned)


@given(cases(), st.sampled_from([tuple, ProgressionRow._make]))
def test_plain_tuples_plan_as_rows_do(case, shape):
    """A tuple in the row's field order (a database row) is planned like a ProgressionRow."""
    person, facts, when, policy = case
    row = shape(ProgressionRow.of(person, facts))
    planned = outcome(lambda: plan_progression(iter([row]), at=when, policy=policy))
    assert_same_outcome(person, facts, when, policy, planned)


@given(
    st.lists(
        cases(),
        max_size=12,
    ),
    st.sampled_from(POLICIES),
    SPREAD.map(abs),
)
def test_a_batch_plans_the_movers_in_row_order(drawn, policy, later):
    """Many customers at once: only those who move, in row order, each with its steps."""
    pairs = [(person, facts) for person, facts, _, _ in drawn]
    moments = [T0] + [
        moment
        for person, facts in pairs
        for moment in (LADDER.state_of(person).entered_at, facts.last_purchase_at)
        if moment is not None
    ]
    when = max(moments) + later
    expected = []
    for person, facts in pairs:
        steps = outcome(lambda p=person, f=facts: progression_steps(p, f, at=when, policy=policy))
        if isinstance(steps, CrmcoreError):
            with pytest.raises(type(steps)):
                plan_progression(
                    [ProgressionRow.of(p, f) for p, f in pairs], at=when, policy=policy
                )
            return
        if steps:
            state = LADDER.state_of(person)
            expected.append(PlannedMove(person.id, state.stage, state.entered_at, steps))
    rows = (ProgressionRow.of(person, facts) for person, facts in pairs)
    assert tuple(expected) == plan_progression(rows, at=when, policy=policy)


@given(
    st.lists(
        cases(),
        max_size=8,
        unique_by=lambda case: case[0].id,
    ),
    st.sampled_from(POLICIES),
)
def test_applying_a_plan_saves_what_progress_returns(drawn, policy):
    """Movers are loaded, moved as progress moves them and saved; nobody else is touched."""
    pairs = [(person, facts) for person, facts, _, _ in drawn]
    moments = [T0] + [
        moment
        for person, facts in pairs
        for moment in (
            LADDER.state_of(person).entered_at,
            facts.last_purchase_at,
            person.updated_at,
        )
        if moment is not None
    ]
    when = max(moments) + DAY
    expected = [
        outcome(lambda p=person, f=facts: progress(p, f, at=when, policy=policy, actor="nightly"))
        for person, facts in pairs
    ]
    rows = [ProgressionRow.of(person, facts) for person, facts in pairs]
    failures = [e for e in expected if isinstance(e, CrmcoreError)]
    if failures:
        with pytest.raises(type(failures[0])):
            plan_progression(rows, at=when, policy=policy)
        return
    uow = stored(*(person for person, _ in pairs))
    with uow:
        moves = plan_progression(rows, at=when, policy=policy)
        saved = apply_progression(uow, moves, actor="nightly")
        uow.commit()
    movers = [
        moved for (person, _), moved in zip(pairs, expected, strict=True) if moved is not person
    ]
    assert [m.id for m in movers] == [c.id for c in saved]
    with uow:
        for (person, _), moved in zip(pairs, expected, strict=True):
            kept = uow.customers.get(person.id)
            assert (moved.lifecycles, moved.updated_at) == (kept.lifecycles, kept.updated_at)
            assert person.version + (moved is not person) == kept.version
        events = [stage_change(e) for e in uow.collect_events()]
    fired = [stage_change(e) for moved in movers for e in moved.pending_events]
    assert fired == events


def stage_change(event):
    return (event.customer_id, event.from_stage, event.to_stage, event.trigger, event.occurred_at)


# -- the window screens ----------------------------------------------------------------------

WINDOWS = st.builds(
    relativedelta,
    years=st.integers(0, 3),
    months=st.integers(0, 30),
    days=st.integers(-40, 400),
    hours=st.integers(-30, 30),
    seconds=st.integers(-5, 5),
    microseconds=st.integers(-5, 5),
    leapdays=st.integers(-3, 3),
)


@given(
    aware_datetimes(max_value=datetime(2300, 1, 1, tzinfo=UTC)),
    st.sampled_from([*ZONES, None]),
    WINDOWS,
    NEAR | SPREAD | st.integers(-86_400_000_000, 86_400_000_000).map(lambda us: us * US),
    st.sampled_from(ZONES),
)
def test_a_screen_never_contradicts_the_calendar(moment, zone, window, gap, when_zone):
    """Below the screen's low bound the window runs on; from its high bound it has run out."""
    if zone is not None:
        moment = moment.astimezone(zone)
    end = _plus(moment, window)
    if end is None:
        return
    when = max(moment, end + gap).astimezone(when_zone)
    bounds = _screen(window, when)
    if bounds is None:
        return
    low, high = bounds
    age = when - moment
    ended = when >= moment + window
    if age < low:
        assert not ended
    if age >= high:
        assert ended


@pytest.mark.parametrize("months", [1, 2, 11, 12, 13, 24, 25, 100, 4800, 4801, -1, -12, -4801])
def test_month_spans_match_the_calendar(months):
    """The fewest and most days of a run of months, checked against every start in 400 years."""
    lows = []
    for number in range(4800):
        start = datetime(2000 + number // 12, number % 12 + 1, 1, tzinfo=UTC)
        try:
            lows.append(((start + relativedelta(months=months)) - start).days)
        except ValueError:  # before year 1
            continue
    assert (min(lows), max(lows)) == _month_days(months)


def test_windows_that_may_run_backwards_or_past_the_calendar_are_not_screened():
    """Then every customer takes the per-customer code."""
    late = datetime(9999, 6, 1, tzinfo=UTC)
    assert _screen(relativedelta(months=1, days=-29), T0) is None
    assert _screen(relativedelta(months=-1, days=60), T0) is None
    assert _screen(relativedelta(months=12), late) is None
    assert _screen(relativedelta(months=12), T0) is not None


# -- examples --------------------------------------------------------------------------------


def test_a_quiet_night_plans_nothing_and_a_purchase_plans_a_move():
    """Customers where their facts put them stay out of the plan."""
    settled = progress(customer("c-1"), bought(2, 5, 9), at=at(10))
    newcomer = customer("c-2")
    rows = [
        ProgressionRow.of(settled, bought(2, 5, 9)),
        ProgressionRow.of(newcomer, Facts()),
        ProgressionRow.of(newcomer, bought(1, 20, 20)),
    ]
    (move,) = plan_progression(rows, at=at(21))
    assert (CustomerId("c-2"), "suspect", T0) == (move.customer_id, move.stage, move.since)
    assert ["first_purchase"] == [s.trigger for s in move.steps]
    assert "first_time_customer" == move.to_stage


def test_rows_come_from_a_query_or_from_columns():
    """Plain tuples with text ids, in the row's field order: zip(*columns) works."""
    columns = {
        "customer_id": ["c-1", "c-2"],
        "stage": ["suspect", "repeat_customer"],
        "stage_since": [T0, at(9)],
        "purchase_count": [1, 2],
        "first_purchase_at": [at(4), at(5)],
        "last_purchase_at": [at(4), at(9)],
        "total_spend": [None, None],
        "qualified": [False, False],
        "loyalty_member": [False, False],
        "referrals": [0, 0],
        "partner_agreement": [False, False],
    }
    (move,) = plan_progression(zip(*columns.values(), strict=True), at=at(10))
    assert CustomerId("c-1") == move.customer_id
    assert [("first_purchase", at(4))] == [(s.trigger, s.at) for s in move.steps]


def test_unusual_values_take_the_per_customer_code_and_plan_the_same():
    """Int subclasses, datetime subclasses and tuple subclasses are planned exactly."""

    class Count(int):
        pass

    class Moment(datetime):
        pass

    class Row(tuple):  # a tuple subclass, as a database driver might return
        __slots__ = ()

    last = Moment(2024, 1, 10, tzinfo=UTC)
    rows = [
        ("c-1", "suspect", T0, Count(2), None, last, None, False, False, 0, False),
        Row(("c-2", "suspect", Moment(2024, 1, 1, tzinfo=UTC), 0, None, None, None, True)),
    ]
    rows[1] = Row((*rows[1], False, 0, False))
    first, second = plan_progression(rows, at=at(20))
    assert ["first_purchase", "repeat_purchase"] == [s.trigger for s in first.steps]
    assert ["qualify"] == [s.trigger for s in second.steps]


def test_customers_who_stay_are_not_built():
    """A row of a customer who stays is only compared: even a junk id goes unnoticed."""
    rows = [(object(), "suspect", T0, 0, None, None, None, False, False, 0, False)]
    assert () == plan_progression(rows, at=at(1))
    rows = [(object(), "suspect", T0, 0, None, None, None, True, False, 0, False)]
    with pytest.raises(InvalidType) as info:
        plan_progression(rows, at=at(1))
    assert "$.rows[0].customer_id" == info.value.path


def test_a_stale_tenure_and_spend_are_compared_as_the_per_customer_path_does():
    """Client spend in another currency is refused even when a higher rung applies."""
    policy = ProgressionPolicy(client_spend=Money("100", "USD"))
    facts = bought(5, 1, 300, total_spend=Money("500", "EUR"), partner_agreement=True)
    row = ProgressionRow.of(customer(), facts)
    with pytest.raises(CurrencyMismatch) as info:
        plan_progression([row], at=at(400), policy=policy)
    assert info.value.path.startswith("$.rows[0].total_spend")
    rich = bought(5, 1, 300, total_spend=Money("500", "USD"))
    poor = bought(5, 1, 300, total_spend=Money("99.99", "USD"))
    client = progress(customer(), rich, at=at(400), policy=policy)
    assert "client" == client.lifecycle.stage
    assert () == plan_progression([ProgressionRow.of(client, rich)], at=at(400), policy=policy)
    assert () == plan_progression(
        [ProgressionRow.of(customer(), Facts())], at=at(400), policy=policy
    )
    (move,) = plan_progression([ProgressionRow.of(customer(), poor)], at=at(400), policy=policy)
    assert "repeat_customer" == move.to_stage


def test_lapse_and_churn_are_planned_at_the_window_ends():
    """A month-end purchase lapses exactly at the calendar's window end, not a day off."""
    month_end = datetime(2024, 1, 31, 12, tzinfo=UTC)
    active = progress(customer(), Facts(purchase_count=1, last_purchase_at=month_end), at=at(31))
    facts = Facts(purchase_count=1, last_purchase_at=month_end)
    lapse_at = month_end + relativedelta(months=12)
    row = ProgressionRow.of(active, facts)
    assert () == plan_progression([row], at=lapse_at - US)
    (move,) = plan_progression([row], at=lapse_at)
    assert [("lapse", lapse_at)] == [(s.trigger, s.at) for s in move.steps]
    lapsed = progress(active, facts, at=lapse_at)
    row = ProgressionRow.of(lapsed, facts)
    churn_at = month_end + relativedelta(months=24)
    assert () == plan_progression([row], at=churn_at - US)
    assert ["churn"] == [s.trigger for s in plan_progression([row], at=churn_at)[0].steps]


def test_a_purchase_after_leaving_plans_a_win_back():
    """Lapsed or churned, a later purchase brings the customer back."""
    lapsed = progress(customer(), bought(2, 5, 9), at=at(500))
    assert "lapsed" == lapsed.lifecycle.stage
    (move,) = plan_progression([ProgressionRow.of(lapsed, bought(3, 5, 520))], at=at(521))
    assert ["win_back_to_repeat_customer"] == [s.trigger for s in move.steps]
    churned = progress(customer(), bought(2, 5, 9), at=at(900))
    assert () == plan_progression([ProgressionRow.of(churned, bought(2, 5, 9))], at=at(2000))


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "path", "code"),
    [
        ("c-1", "$.rows[0]", "type"),
        (("c-1", "suspect", T0), "$.rows[0]", "row"),
        (ProgressionRow("c-1", "suspect", T0, -1), "$.rows[0].purchase_count", "negative"),
        (ProgressionRow("c-1", "suspect", T0, 2**63), "$.rows[0].purchase_count", "range"),
        (ProgressionRow("c-1", "suspect", T0, True), "$.rows[0].purchase_count", "type"),
        (ProgressionRow("c-1", "suspect", T0, 1), "$.rows[0].last_purchase_at", "required"),
        (
            ProgressionRow("c-1", "suspect", T0, 0, None, at(1)),
            "$.rows[0].last_purchase_at",
            "inconsistent",
        ),
        (
            ProgressionRow("c-1", "suspect", T0, 2, at(3), at(2)),
            "$.rows[0].first_purchase_at",
            "order",
        ),
        (
            ProgressionRow("c-1", "suspect", T0, 1, at(1), at(2)),
            "$.rows[0].first_purchase_at",
            "inconsistent",
        ),
        (
            ProgressionRow("c-1", "suspect", T0, 1, None, NAIVE),
            "$.rows[0].last_purchase_at",
            "naive_datetime",
        ),
        (
            ProgressionRow("c-1", "suspect", T0, 1, None, datetime(2024, 1, 2, tzinfo=_NoOffset())),
            "$.rows[0].last_purchase_at",
            "naive_datetime",
        ),
        (ProgressionRow("c-1", "suspect", T0, total_spend=5), "$.rows[0].total_spend", "type"),
        (ProgressionRow("c-1", "suspect", T0, qualified=1), "$.rows[0].qualified", "type"),
        (ProgressionRow("c-1", "suspect", T0, referrals=-2), "$.rows[0].referrals", "negative"),
        (ProgressionRow("c-1", "suspect", NAIVE), "$.rows[0].stage_since", "naive_datetime"),
        (
            ProgressionRow("c-1", "suspect", datetime(2024, 1, 1, tzinfo=_NoOffset())),
            "$.rows[0].stage_since",
            "naive_datetime",
        ),
        (ProgressionRow("c-1", "suspect", None), "$.rows[0].stage_since", "type"),
        (ProgressionRow("c-1", "vip", T0), "$.rows[0].stage", "unknown_stage"),
        (ProgressionRow("c-1", 3, T0), "$.rows[0].stage", "type"),
        (ProgressionRow("c-1", "suspect", at(30)), "$.rows[0].stage_since", "backwards"),
        (
            ProgressionRow("c-1", "suspect", T0, 2, at(3), at(40)),
            "$.rows[0].last_purchase_at",
            "after_at",
        ),
        (
            ProgressionRow("c-1", "suspect", T0, 2, at(35), at(40)),
            "$.rows[0].first_purchase_at",
            "after_at",
        ),
        (ProgressionRow("bad id", "suspect", T0, qualified=True), "$.rows[0].customer_id", None),
    ],
)
def test_bad_rows_are_refused_with_their_position(row, path, code):
    """Each row is checked as a customer and its facts are; the error names the row."""
    good = ProgressionRow("c-0", "suspect", T0)
    with pytest.raises(CrmcoreError) as info:
        plan_progression([good, row], at=at(20))
    assert path.replace("[0]", "[1]") == info.value.path
    if code is not None:
        assert code == info.value.code


def test_the_arguments_are_checked():
    """Rows must be iterable, at aware and the policy a ProgressionPolicy."""
    for kwargs, path in (
        ({"rows": 3}, "$.rows"),
        ({"at": NAIVE}, "$.at"),
        ({"at": None}, "$.at"),
        ({"policy": {"demote": True}}, "$.policy"),
    ):
        args = {"rows": [], "at": T0, "policy": DEFAULT_POLICY} | kwargs
        with pytest.raises(CrmcoreError) as info:
            plan_progression(args["rows"], at=args["at"], policy=args["policy"])
        assert path == info.value.path
    for args, path in (((None, Facts()), "$.customer"), ((customer(), None), "$.facts")):
        with pytest.raises(InvalidType) as info:
            ProgressionRow.of(*args)
        assert path == info.value.path


def test_windows_past_the_calendar_are_refused_by_both_paths():
    """Behaviour change: a window ending after year 9999 raised a bare ValueError."""
    last = datetime(9999, 3, 1, tzinfo=UTC)
    facts = Facts(purchase_count=1, last_purchase_at=last)
    active = LADDER.start(customer(), at=T0, stage="first_time_customer")
    when = datetime(9999, 4, 1, tzinfo=UTC)
    with pytest.raises(CrmcoreError) as expected:
        progression_steps(active, facts, at=when)
    assert ("$.facts.last_purchase_at", "range") == (expected.value.path, expected.value.code)
    with pytest.raises(CrmcoreError) as info:
        plan_progression([ProgressionRow.of(active, facts)], at=when)
    assert ("$.rows[0].last_purchase_at", "range") == (info.value.path, info.value.code)
    tenure = Facts(purchase_count=5, first_purchase_at=last, last_purchase_at=last)
    with pytest.raises(CrmcoreError) as expected:
        progression_steps(customer(), tenure, at=when)
    assert ("$.facts.first_purchase_at", "range") == (expected.value.path, expected.value.code)


# -- applying --------------------------------------------------------------------------------


def stored(*people: Customer) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    with uow:
        for person in people:
            uow.customers.add(person)
        uow.commit()
    return uow


def test_apply_fires_the_planned_steps_and_saves_only_the_movers():
    """The movers come back saved, at version + 1, with the rule as reason and the actor."""
    quiet = progress(customer("c-1"), bought(2, 5, 9), at=at(10)).without_pending_events()
    buyer = customer("c-2")
    uow = stored(quiet, buyer)
    rows = [ProgressionRow.of(quiet, bought(2, 5, 9)), ProgressionRow.of(buyer, bought(2, 5, 9))]
    with uow:
        moves = plan_progression(rows, at=at(10))
        (saved,) = apply_progression(uow, moves, actor="nightly")
        uow.commit()
    assert (CustomerId("c-2"), 1, "repeat_customer") == (
        saved.id,
        saved.version,
        saved.lifecycle.stage,
    )
    assert {"nightly"} == {c.actor for c in saved.lifecycle.history[1:]}
    with uow:
        assert 0 == uow.customers.get(CustomerId("c-1")).version
        assert saved == uow.customers.get(CustomerId("c-2"))


def test_a_stale_plan_is_refused_and_nothing_is_applied():
    """A customer who moved since the rows were read is not moved again from old facts."""
    buyer = customer("c-1")
    uow = stored(buyer, customer("c-2"))
    moves = plan_progression(
        [
            ProgressionRow.of(customer("c-2"), Facts(qualified=True)),
            ProgressionRow.of(buyer, bought(1, 5, 5)),
        ],
        at=at(6),
    )
    with uow:
        uow.customers.save(LADDER.fire(uow.customers.get(buyer.id), "qualify", at=at(2)))
        uow.commit()
    with uow, pytest.raises(CrmcoreError) as info:
        apply_progression(uow, moves)
    assert ("$.moves[1]", "stale") == (info.value.path, info.value.code)
    with uow:
        assert "suspect" == LADDER.stage_of(uow.customers.get(CustomerId("c-2")))


def test_apply_checks_its_arguments_and_the_unit():
    """A unit of work, PlannedMove items, inside the with block, stored customers only."""
    move = plan_progression([ProgressionRow.of(customer(), Facts(qualified=True))], at=at(1))
    uow = stored()
    with pytest.raises(InvalidType) as info:
        apply_progression(None, move)
    assert "$.uow" == info.value.path
    with uow:
        with pytest.raises(InvalidType) as info:
            apply_progression(uow, 3)
        assert "$.moves" == info.value.path
        with pytest.raises(InvalidType) as info:
            apply_progression(uow, ["c-1"])
        assert "$.moves[0]" == info.value.path
        with pytest.raises(NotFound):
            apply_progression(uow, move)
        assert () == apply_progression(uow, [])
    with pytest.raises(UnitOfWorkError):
        apply_progression(uow, move)


# -- the values ------------------------------------------------------------------------------


def test_planned_moves_pickle_and_round_trip_through_serialization():
    """A plan can be sent to a worker process or stored as a document."""
    moves = plan_progression([ProgressionRow.of(customer(), bought(2, 5, 9))], at=at(10))
    assert moves == pickle.loads(pickle.dumps(moves))  # noqa: S301 - our own bytes.
    assert moves[0] == from_dict(PlannedMove, to_dict(moves[0]))
    row = ProgressionRow.of(customer(), bought(2, 5, 9, total_spend=Money(Decimal(5), "USD")))
    assert row == pickle.loads(pickle.dumps(row))  # noqa: S301 - our own bytes.


def test_planned_moves_check_their_fields():
    """A PlannedMove built by hand is type-checked like every result crmcore hands out."""
    with pytest.raises(InvalidType) as info:
        PlannedMove(3, "suspect", T0, ())
    assert "$.customer_id" == info.value.path
    with pytest.raises(CrmcoreError):
        PlannedMove("c-1", "suspect", NAIVE, ())
    assert "suspect" == PlannedMove("c-1", "suspect", T0, ()).to_stage
