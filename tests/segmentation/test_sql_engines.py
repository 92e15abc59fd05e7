"""Differential tests: `Rule.to_sql` / `Rule.to_polars` against `Rule.matches` on real engines.

Hypothesis generates rules (every operator family, nested all/any/not) and a
table of snapshots; each snapshot is loaded into SQLite (stdlib, in memory),
DuckDB (in memory), a polars DataFrame and, when ``CRMCORE_POSTGRES_DSN`` is
set, PostgreSQL, with the column conventions of docs/segments_in_engines.md.
The ids each engine selects must be exactly the ids ``matches()`` selects.
Rows on which ``matches()`` raises (Money of another currency) are left out:
an engine cannot raise per row.
"""

# ruff: noqa: S608, PT017, DTZ001, SIM102, PLR5501 - test queries and refusals.

import json
import os
import sqlite3
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._optional import in_ci

from crmcore import Money, ValidationError
from crmcore.segmentation import AllOf, AnyOf, Condition, FieldSpec, Not, Span
from crmcore.segmentation._sql import double_safe
from crmcore.segmentation._values import fold

ZONES = [UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5, minutes=-30))]
ALPHABET = "abAB ßSéE\u0301İi\u3000"
SCHEMA = {
    "n": FieldSpec.of("number"),
    "x": FieldSpec.of("number"),
    "s": FieldSpec.of("text"),
    "b": FieldSpec.of("bool"),
    "day": FieldSpec.of("date"),
    "t": FieldSpec.of("datetime"),
    "tags": FieldSpec.of("set"),
    "m": FieldSpec.of("money"),
    "bd": FieldSpec.of("date"),
}
COLUMNS = ("n", "x", "s", "s_folded", "b", "day", "t", "tags", "m_amount", "m_currency", "bd")
# Evaluation times on month ends, around 29 February and the year end, in several zones.
AT_DAYS = [
    datetime(2026, 3, 31, 12),
    datetime(2027, 2, 27, 23),
    datetime(2028, 2, 28, 1),
    datetime(2028, 2, 29, 12),
    datetime(2026, 12, 30, 6),
    datetime(2026, 1, 31, 20),
]
ats = st.builds(lambda d, z: d.replace(tzinfo=z), st.sampled_from(AT_DAYS), st.sampled_from(ZONES))

# -- data -----------------------------------------------------------------------------------

decimals = st.sampled_from([Decimal("0.5"), Decimal("1.0"), Decimal(2), Decimal("3.5"), Decimal(0)])
numbers = st.integers(0, 4) | decimals | st.sampled_from([0.1, 0.5, 1.0, 3.5])
doubles = st.sampled_from([0.1, 0.2 + 0.1, 1 / 3, 2.0, 0.3, -1.5])
texts = st.text(ALPHABET, max_size=3) | st.sampled_from(["", " ", "\u3000\xa0", "Straße"])
days = st.builds(lambda n: date(2026, 3, 31) + timedelta(days=n), st.integers(-70, 70))
births = st.sampled_from(
    [date(2000, 2, 29), date(1999, 2, 28), date(1990, 3, 1), date(1985, 12, 31), date(2001, 1, 1)]
) | st.dates(date(1950, 1, 1), date(2010, 12, 31))
instants = st.builds(
    lambda base, hours, zone: (base.replace(tzinfo=UTC) + timedelta(hours=hours)).astimezone(zone),
    st.sampled_from(AT_DAYS),
    st.integers(-24 * 70, 24 * 40),
    st.sampled_from(ZONES),
)
tag_sets = st.frozensets(st.sampled_from(["vip", "b2b", "new", "x"]), max_size=3)
money = st.builds(Money, st.sampled_from(["0", "1.50", "2", "10", "5.25"]), st.just("USD")) | (
    st.builds(Money, st.just("3"), st.just("EUR"))
)
VALUES = {
    "n": numbers,
    "x": doubles,
    "s": texts,
    "b": st.booleans(),
    "day": days,
    "t": instants,
    "tags": tag_sets,
    "m": money,
    "bd": births,
}


@st.composite
def snapshots(draw):
    snap = {}
    for name, values in VALUES.items():
        choice = draw(st.integers(0, 7))
        if choice == 0:
            continue
        snap[name] = None if choice == 1 else draw(values)
    return snap


tables = st.lists(snapshots(), min_size=1, max_size=10)

# -- rules ----------------------------------------------------------------------------------

number_literals = st.integers(0, 4) | st.sampled_from(
    [Decimal("0.1"), Decimal("0.5"), Decimal(1), Decimal("3.5"), Decimal("1.000")]
)
double_literals = st.sampled_from(
    [Decimal("0.3"), Decimal("0.30000000000000004"), Decimal("0.3333333333333333"), 2, -1]
)
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
spans = st.builds(
    lambda d, w, m: Span(days=d, weeks=w, months=m),
    st.integers(0, 10),
    st.integers(0, 2),
    st.integers(0, 13),
)
usd = st.sampled_from(["0", "1.5", "2", "5.25"]).map(lambda a: Money(a, "USD"))


def _nfc(value):
    # Text literals are NFC normalized: order the pair as the rule will hold it.
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def pair(strategy):
    return st.tuples(strategy.map(_nfc), strategy.map(_nfc)).map(sorted).map(tuple)


def inset(strategy):
    return st.frozensets(strategy, min_size=1, max_size=3)


def conditions(name, operators, values):
    return st.builds(Condition, st.just(name), st.sampled_from(operators), values)


FAMILIES = [
    conditions("n", COMPARE, number_literals),
    conditions("n", ["between"], pair(number_literals)),
    conditions("n", ["in", "not_in"], inset(number_literals)),
    conditions("x", COMPARE, double_literals),
    conditions("x", ["between"], pair(double_literals)),
    conditions("s", COMPARE, texts),
    conditions("s", ["between"], pair(texts)),
    conditions("s", ["in", "not_in"], inset(texts)),
    conditions("s", ["contains", "starts_with", "ends_with"], texts.filter(bool)),
    st.builds(
        Condition, st.sampled_from(list(VALUES)), st.sampled_from(["is_empty", "is_not_empty"])
    ),
    conditions("b", ["eq", "ne"], st.booleans()),
    conditions("b", ["in", "not_in"], inset(st.booleans())),
    conditions("day", COMPARE, days),
    conditions("day", ["between"], pair(days)),
    conditions("t", COMPARE, instants),
    conditions("t", ["in", "not_in"], inset(instants)),
    conditions("t", ["between"], pair(instants)),
    conditions("day", ["within_last", "more_than_ago", "within_next"], spans),
    conditions("t", ["within_last", "more_than_ago", "within_next"], spans),
    conditions("bd", ["birthday_within"], st.integers(0, 40)),
    conditions("tags", ["has"], st.sampled_from(["vip", "b2b", "y"])),
    conditions("tags", ["has_any", "has_all"], inset(st.sampled_from(["vip", "b2b", "y"]))),
    conditions("m", COMPARE, usd),
    conditions("m", ["between"], pair(usd)),
]


leaves = st.one_of(FAMILIES)
rules = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(AllOf),
        st.lists(children, max_size=5).map(AnyOf),
        children.map(Not),
    ),
    max_leaves=10,
)

# -- loading --------------------------------------------------------------------------------


def expected_ids(rule, table, at):
    """The ids matches() selects, and the rows it can answer for (it raises on the others)."""
    kept, selected = [], set()
    for index, snap in enumerate(table):
        try:
            answer = rule.matches(snap, at=at)
        except ValidationError:
            continue
        kept.append((index, snap))
        if answer:
            selected.add(index)
    return kept, selected


def row(snap, engine):  # noqa: PLR0912 - one conversion per column and engine.
    """The snapshot as a row of the COLUMNS in ``engine``'s conventions."""
    out = {}
    for name in VALUES:
        value = snap.get(name)
        if name == "m":
            out["m_amount"] = None if value is None else value.amount
            out["m_currency"] = None if value is None else value.currency
            continue
        if name == "s":
            out["s_folded"] = None if value is None else fold(value)
        out[name] = value
    if engine in ("sqlite", "polars"):
        for name in ("n", "m_amount"):
            if isinstance(out[name], Decimal):
                out[name] = float(out[name])
    else:
        if isinstance(out["n"], float):
            out["n"] = Decimal(repr(out["n"]))
    if engine == "polars" and out["n"] is not None:
        out["n"] = float(out["n"])
    if engine == "sqlite":
        for name in ("day", "bd"):
            out[name] = None if out[name] is None else out[name].isoformat()
        if out["t"] is not None:
            out["t"] = out["t"].astimezone(UTC).isoformat(timespec="microseconds")
        if out["tags"] is not None:
            out["tags"] = json.dumps(sorted(out["tags"]))
    elif out["tags"] is not None:
        out["tags"] = sorted(out["tags"])
    if engine == "polars" and out["t"] is not None:
        out["t"] = out["t"].astimezone(UTC)
    return {name: out[name] for name in COLUMNS}


def ids(cursor):
    return {found for (found,) in cursor.fetchall()}


def may_refuse(rule, error, engine):
    """True if ``engine`` refused ``rule`` for a number literal no double holds exactly."""
    if engine not in ("sqlite", "polars") or error.code != "not_expressible":
        return False
    stack = [rule]
    while stack:
        node = stack.pop()
        if isinstance(node, Condition):
            values = node.value if isinstance(node.value, (tuple, frozenset)) else (node.value,)
            for value in values:
                amount = value.amount if isinstance(value, Money) else value
                if isinstance(amount, (int, Decimal)) and not isinstance(amount, bool):
                    if not double_safe(amount):
                        return True
        else:
            stack.extend(node.children())
    return False


@pytest.fixture(scope="module")
def lite():
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def duck():
    duckdb = pytest.importorskip("duckdb") if not in_ci() else __import__("duckdb")
    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()


def run_sqlite(connection, rule, table, at):
    query = rule.to_sql(dialect="sqlite", at=at, schema=SCHEMA)
    connection.execute("DROP TABLE IF EXISTS snaps")
    connection.execute(
        "CREATE TABLE snaps (id INTEGER, n, x REAL, s TEXT, s_folded TEXT, b INTEGER, day TEXT, "
        "t TEXT, tags TEXT, m_amount, m_currency TEXT, bd TEXT)"
    )
    connection.executemany(
        f"INSERT INTO snaps VALUES (?, {', '.join('?' for _ in COLUMNS)})",
        [(index, *row(snap, "sqlite").values()) for index, snap in table],
    )
    return ids(connection.execute(f"SELECT id FROM snaps WHERE {query.text}", query.params))


DUCK_TYPES = (
    "id INTEGER, n DECIMAL(18, 3), x DOUBLE, s VARCHAR, s_folded VARCHAR, b BOOLEAN, "
    "day DATE, t TIMESTAMPTZ, tags VARCHAR[], m_amount DECIMAL(18, 2), m_currency VARCHAR, "
    "bd DATE"
)


def run_duckdb(connection, rule, table, at):
    query = rule.to_sql(dialect="duckdb", at=at, schema=SCHEMA)
    connection.execute("DROP TABLE IF EXISTS snaps")
    connection.execute(f"CREATE TABLE snaps ({DUCK_TYPES})")
    rows = [(index, *row(snap, "duckdb").values()) for index, snap in table]
    if rows:
        connection.executemany(
            f"INSERT INTO snaps VALUES (?, {', '.join('?' for _ in COLUMNS)})", rows
        )
    return ids(connection.execute(f"SELECT id FROM snaps WHERE {query.text}", query.params))


def run_polars(rule, table, at):
    import polars as pl  # noqa: PLC0415 - an optional package.

    schema = {
        "id": pl.Int64,
        "n": pl.Float64,
        "x": pl.Float64,
        "s": pl.String,
        "s_folded": pl.String,
        "b": pl.Boolean,
        "day": pl.Date,
        "t": pl.Datetime("us", "UTC"),
        "tags": pl.List(pl.String),
        "m_amount": pl.Float64,
        "m_currency": pl.String,
        "bd": pl.Date,
    }
    rows = [{"id": index, **row(snap, "polars")} for index, snap in table]
    frame = pl.DataFrame(rows, schema=schema)
    expr = rule.to_polars(at=at, schema=SCHEMA)
    return set(frame.filter(expr)["id"].to_list())


def check(engine, run, rule, table, at):
    kept, expected = expected_ids(rule, table, at)
    try:
        found = run(rule, kept, at)
    except ValidationError as error:
        assert may_refuse(rule, error, engine), error
        return
    assert found == expected


@given(rules, tables, ats)
def test_sqlite_duckdb_and_polars_select_what_matches_selects(lite, duck, rule, table, at):
    """Each engine selects exactly the customers matches() selects, for generated rules and rows."""
    check("sqlite", lambda r, t, a: run_sqlite(lite, r, t, a), rule, table, at)
    check("duckdb", lambda r, t, a: run_duckdb(duck, r, t, a), rule, table, at)
    check("polars", run_polars, rule, table, at)


@pytest.mark.parametrize("family", range(len(FAMILIES)))
@given(data=st.data())
def test_every_operator_family_on_every_engine(lite, duck, family, data):
    """Each operator family alone and negated, on rows drawn near its literals."""
    leaf = data.draw(FAMILIES[family])
    table = data.draw(tables)
    at = data.draw(ats)
    for rule in (leaf, Not(leaf)) if data.draw(st.booleans()) else (leaf,):
        check("sqlite", lambda r, t, a: run_sqlite(lite, r, t, a), rule, table, at)
        check("duckdb", lambda r, t, a: run_duckdb(duck, r, t, a), rule, table, at)
        check("polars", run_polars, rule, table, at)


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg():
    dsn = os.environ.get("CRMCORE_POSTGRES_DSN")
    if not dsn:
        if in_ci():
            pytest.fail("CRMCORE_POSTGRES_DSN is not set: CI starts PostgreSQL (.ci/postgres.sh)")
        pytest.skip("CRMCORE_POSTGRES_DSN is not set")
    psycopg = pytest.importorskip("psycopg") if not in_ci() else __import__("psycopg")
    connection = psycopg.connect(dsn, autocommit=True)
    connection.execute("SET TIME ZONE 'Asia/Tokyo'")  # a session zone must change nothing
    connection.execute(
        "CREATE TEMP TABLE snaps (id integer, n numeric, x double precision, s text, "
        "s_folded text, b boolean, day date, t timestamptz, tags text[], m_amount numeric, "
        "m_currency text, bd date)"
    )
    yield connection
    connection.close()


def run_postgres(connection, rule, table, at):
    query = rule.to_sql(dialect="postgresql", at=at, schema=SCHEMA)
    connection.execute("TRUNCATE snaps")
    with connection.cursor() as cursor:
        rows = [(index, *row(snap, "postgresql").values()) for index, snap in table]
        if rows:
            cursor.executemany(
                f"INSERT INTO snaps VALUES (%s, {', '.join('%s' for _ in COLUMNS)})", rows
            )
        cursor.execute(f"SELECT id FROM snaps WHERE {query.text}", query.params)
        return ids(cursor)


@given(rules, tables, ats)
def test_postgresql_selects_what_matches_selects(pg, rule, table, at):
    """A real PostgreSQL server selects exactly the customers matches() selects."""
    check("postgresql", lambda r, t, a: run_postgres(pg, r, t, a), rule, table, at)


@given(rules, ats)
def test_placeholders_match_the_parameters(rule, at):
    """Every dialect binds one parameter per placeholder; a refusal is always not_expressible."""
    for dialect in ("sqlite", "duckdb", "postgresql", "spark"):
        try:
            query = rule.to_sql(dialect=dialect, at=at, schema=SCHEMA)
        except ValidationError as error:
            assert may_refuse(rule, error, dialect), error
            continue
        mark = "%s" if dialect == "postgresql" else "?"
        assert query.text.count(mark) == len(query.params)
        assert query.fields == tuple(sorted(rule.fields()))
