"""A segment pushed down to an engine against building snapshots in Python.

One realistic audience rule (at least three orders, more than 100 USD spent,
email marketing allowed, a purchase in the last 90 days) is evaluated for
``--n`` customers (default 100,000) five ways, in one process, interleaved:

``facts``
    ``purchase_facts`` over the orders of the real customers (the per-customer
    aggregates crmcore builds from plain orders); reported, not compared;
``snapshot+rule``
    ``snapshot(customer, at=..., facts=..., fields=rule.fields() | {"id"})``
    of real ``Customer`` aggregates (contact points, tags, consents, a rung on
    the relationship ladder) with those facts, then ``rule.predicate()``;
``matches``
    ``rule.matches(snapshot, at=...)`` over prebuilt snapshot dicts;
``predicate``
    ``rule.predicate(at=...)`` over the same prebuilt dicts;
``duckdb``
    ``rule.to_sql(dialect="duckdb")`` in ``SELECT id FROM customers WHERE ...``
    over a DuckDB table of the same rows, ids fetched;
``sqlite``
    the same with ``dialect="sqlite"`` on an in-memory SQLite table;
``polars``
    ``df.filter(rule.to_polars(...))`` on a polars DataFrame, ids to a list.

Building real customers costs about 0.2 ms each, so the first ``--real``
customers (default 100,000, at most ``--n``) are real aggregates, and the
snapshot paths run over those; the rows after them repeat the real rows' values
under new ids (same distribution). Costs are compared **per customer**.
Before timing, every path must select exactly the same customer ids (over the
real customers for ``snapshot+rule``, over all ``--n`` for the others), or the
script stops.

Times are CPU seconds (``time.process_time``: all threads of the process, so
DuckDB's and polars' worker threads count), minimum over ``--repeats`` runs
taken in turns; wall seconds are printed too. Ratios are ratios of minima of
the per-customer CPU cost against DuckDB's.

``--memory`` instead measures with ``tracemalloc`` the memory of ``--real``
in-memory customers, their orders and facts, and their snapshots; ``--rss``
the growth of the peak resident set while building them, untraced.

    python benchmarks/bench_segment_pushdown.py                    # 100,000 customers
    python benchmarks/bench_segment_pushdown.py --n 1000000 --repeats 3
    python benchmarks/bench_segment_pushdown.py --memory --real 100000
    python benchmarks/bench_segment_pushdown.py --rss --real 100000
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sqlite3
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore.lifecycle import RELATIONSHIP_LADDER
from crmcore.segmentation import all_of, field, purchase_facts, snapshot

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
TAGS = ("vip", "newsletter", "wholesale", "b2b", "birthday-club", "referral", "app-user")
Order = tuple[str, datetime, Money]


def audience() -> Any:
    """The rule: a marketer's re-engagement audience over snapshot fields."""
    return all_of(
        field("orders_count") >= 3,
        field("total_spent") > Money(100, "USD"),
        field("may_email_marketing").is_true(),
        field("last_purchase_at").within_last(days=90),
    )


def real_customers(m: int, seed: int = 11) -> tuple[list[Customer], list[Order]]:
    """``m`` registered customers as a CRM holds them, and their orders (0 to 8 each)."""
    rng = random.Random(seed)
    made: list[Customer] = []
    orders: list[Order] = []
    for index in range(m):
        start = AT - timedelta(days=rng.randint(400, 900))
        customer = Customer.register(
            CustomerId(f"c-{index}"),
            name=PersonName("Ana", family="Putri"),
            at=start,
            contact_points=[
                ContactPoint("email", f"c{index}@example.com"),
                ContactPoint("phone", f"+62812{index:07d}"),
            ],
            tags=rng.sample(TAGS, k=rng.randint(0, 3)),
        )
        if rng.random() < 0.6:
            customer = customer.give_consent("email", "marketing", at=start, source="signup-form")
        if rng.random() < 0.1:
            later = start + timedelta(days=30)
            customer = customer.withdraw_consent(None, "marketing", at=later, source="unsubscribe")
        moves = ["qualify", "first_purchase", "repeat_purchase"][: rng.randint(0, 3)]
        for step, trigger in enumerate(moves):
            customer = RELATIONSHIP_LADDER.fire(
                customer, trigger, at=start + timedelta(days=40 + step)
            )
        made.append(customer.without_pending_events())
        for _ in range(rng.randint(0, 8)):
            when = AT - timedelta(days=rng.randint(0, 390), hours=rng.randint(0, 23))
            cents = Decimal(rng.randint(500, 9_000)) / 100
            orders.append((f"c-{index}", when, Money(cents, "USD")))
    return made, orders


def wanted_fields(rule: Any) -> frozenset[str]:
    return frozenset(rule.fields()) | {"id"}


def snapshots_of(
    people: list[Customer], facts: dict[Any, dict[str, Any]], wanted: frozenset[str]
) -> list[dict[str, Any]]:
    return [snapshot(c, at=AT, facts=facts[c.id.value], fields=wanted) for c in people]


def widen(real: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """``n`` snapshot dicts: the real ones, then their values again under new ids."""
    rows = list(real[:n])
    for index in range(len(rows), n):
        row = dict(real[index % len(real)])
        row["id"] = f"c-{index}"
        rows.append(row)
    return rows


def columns_of(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The table's columns, as docs/segments_in_engines.md lays them out."""
    spent = [row["total_spent"] for row in rows]
    return {
        "id": [row["id"] for row in rows],
        "orders_count": [row["orders_count"] for row in rows],
        "total_spent_amount": [None if s is None else s.amount for s in spent],
        "total_spent_currency": [None if s is None else s.currency for s in spent],
        "may_email_marketing": [row["may_email_marketing"] for row in rows],
        "last_purchase_at": [row["last_purchase_at"] for row in rows],
    }


def polars_frame(cols: dict[str, list[Any]]) -> Any:
    import polars as pl  # noqa: PLC0415 - benchmark-only dependency.

    amounts = [None if a is None else float(a) for a in cols["total_spent_amount"]]
    return pl.DataFrame(
        {
            "id": pl.Series(cols["id"], dtype=pl.String),
            "orders_count": pl.Series(cols["orders_count"], dtype=pl.Int64),
            "total_spent_amount": pl.Series(amounts, dtype=pl.Float64),
            "total_spent_currency": pl.Series(cols["total_spent_currency"], dtype=pl.String),
            "may_email_marketing": pl.Series(cols["may_email_marketing"], dtype=pl.Boolean),
            "last_purchase_at": pl.Series(
                cols["last_purchase_at"], dtype=pl.Datetime("us", time_zone="UTC")
            ),
        }
    )


def duckdb_table(frame: Any, cols: dict[str, list[Any]]) -> Any:
    """A DuckDB table of the rows; money as an exact DECIMAL(18, 2)."""
    import duckdb  # noqa: PLC0415 - benchmark-only dependencies.
    import polars as pl  # noqa: PLC0415

    exact = frame.with_columns(
        pl.Series("total_spent_amount", cols["total_spent_amount"], dtype=pl.Decimal(18, 2))
    )
    con = duckdb.connect(":memory:")
    con.register("source", exact.to_arrow())
    con.execute(
        "CREATE TABLE customers AS SELECT id, orders_count, total_spent_amount,"
        " total_spent_currency, may_email_marketing, last_purchase_at FROM source"
    )
    con.unregister("source")
    return con


def sqlite_table(cols: dict[str, list[Any]]) -> sqlite3.Connection:
    """An in-memory SQLite table: bools as 0/1, datetimes as UTC ISO text, money as REAL."""
    con = sqlite3.connect(":memory:")
    con.execute(
        "CREATE TABLE customers (id TEXT, orders_count INTEGER, total_spent_amount REAL,"
        " total_spent_currency TEXT, may_email_marketing INTEGER, last_purchase_at TEXT)"
    )

    def text(at: datetime | None) -> str | None:
        return None if at is None else at.astimezone(UTC).isoformat(timespec="microseconds")

    con.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
        zip(
            cols["id"],
            cols["orders_count"],
            [None if a is None else float(a) for a in cols["total_spent_amount"]],
            cols["total_spent_currency"],
            [None if b is None else int(b) for b in cols["may_email_marketing"]],
            [text(a) for a in cols["last_purchase_at"]],
            strict=True,
        ),
    )
    con.commit()
    return con


def timed(run: Callable[[], object]) -> tuple[float, float]:
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


def memory(m: int) -> None:
    """Peak and retained memory of ``m`` in-memory customers and what is built on them."""
    tracemalloc.start()
    people, orders = real_customers(m)
    with_orders = tracemalloc.get_traced_memory()[0]
    facts = purchase_facts(orders, at=AT)
    with_facts = tracemalloc.get_traced_memory()[0]
    full = [snapshot(c, at=AT, facts=facts[c.id.value]) for c in people]
    with_full = tracemalloc.get_traced_memory()[0]
    del full
    small = snapshots_of(people, facts, wanted_fields(audience()))
    with_small = tracemalloc.get_traced_memory()[0]
    peak = tracemalloc.get_traced_memory()[1]
    count = len(orders)
    del small, facts
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    del orders
    gc.collect()
    alone = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    mib = 1024 * 1024
    print(f"customers: {m:,}, orders: {count:,}; tracemalloc: MiB, and bytes per customer")
    steps = [
        ("Customer aggregates alone", alone),
        (f"their {count:,} orders (Money)", before - alone),
        ("customers + orders", with_orders),
        ("+ purchase_facts", with_facts),
        ("+ full snapshots", with_full),
        ("+ fields-only snapshots (full dropped)", with_small),
        ("peak", peak),
    ]
    for label, size in steps:
        print(f"  {label:<40} {size / mib:>9.1f}  {size / m:>7,.0f} B")
    print(f"  Customer aggregates at 1,000,000: {alone / m * 1e6 / 1024**3:.2f} GiB")
    print(f"  peak above, at 1,000,000:         {peak / m * 1e6 / 1024**3:.2f} GiB")


def resident(m: int) -> None:
    """Peak resident memory (``ru_maxrss``, Linux: KiB) of ``m`` customers and orders, no tracing."""
    import resource  # noqa: PLC0415 - Unix only, and only here.

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    people, orders = real_customers(m)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    print(
        f"customers: {len(people):,}, orders: {len(orders):,}; peak RSS growth "
        f"{grown / 1024:.1f} MiB, {grown * 1024 / m:,.0f} B per customer; "
        f"at 1,000,000: {grown * 1024 / m * 1e6 / 1024**3:.2f} GiB"
    )


def main() -> None:  # noqa: C901, PLR0915 - one script, read top to bottom.
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="customers")
    parser.add_argument("--n", dest="n_opt", type=int, default=None, help="customers, as option")
    parser.add_argument("--real", type=int, default=100_000, help="real customers (<= n)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs, minimum kept")
    parser.add_argument("--memory", action="store_true", help="measure memory instead")
    parser.add_argument("--rss", action="store_true", help="peak RSS of --real customers instead")
    args = parser.parse_args()
    n = args.n if args.n_opt is None else args.n_opt
    if args.memory:
        memory(args.real)
        return
    if args.rss:
        resident(args.real)
        return
    m = min(n, args.real)

    started = time.perf_counter()
    people, orders = real_customers(m)
    built = time.perf_counter() - started
    rule = audience()
    wanted = wanted_fields(rule)
    facts = purchase_facts(orders, at=AT)
    real = snapshots_of(people, facts, wanted)
    rows = widen(real, n)
    cols = columns_of(rows)
    loads: dict[str, float] = {}
    start = time.perf_counter()
    frame = polars_frame(cols)
    loads["polars"] = time.perf_counter() - start
    start = time.perf_counter()
    duck = duckdb_table(frame, cols)
    loads["duckdb"] = time.perf_counter() - start
    start = time.perf_counter()
    lite = sqlite_table(cols)
    loads["sqlite"] = time.perf_counter() - start
    del cols

    test = rule.predicate(at=AT)

    def by_snapshot() -> list[str]:
        return [s["id"] for s in snapshots_of(people, facts, wanted) if test(s)]

    def by_matches() -> list[str]:
        return [s["id"] for s in rows if rule.matches(s, at=AT)]

    def by_predicate() -> list[str]:
        check = rule.predicate(at=AT)
        return [s["id"] for s in rows if check(s)]

    def by_duckdb() -> list[str]:
        query = rule.to_sql(dialect="duckdb", at=AT)
        found = duck.execute(f"SELECT id FROM customers WHERE {query.text}", query.params)  # noqa: S608
        return [r[0] for r in found.fetchall()]

    def by_sqlite() -> list[str]:
        query = rule.to_sql(dialect="sqlite", at=AT)
        found = lite.execute(f"SELECT id FROM customers WHERE {query.text}", query.params)  # noqa: S608
        return [r[0] for r in found.fetchall()]

    def by_polars() -> list[str]:
        found: list[str] = frame.filter(rule.to_polars(at=AT)).get_column("id").to_list()
        return found

    # Every path must select the same customers before anything is timed.
    expected = sorted(by_matches())
    if sorted(by_snapshot()) != sorted(s["id"] for s in rows[:m] if test(s)):
        raise SystemExit("snapshot+rule selects other customers than matches()")
    for name, run in [("predicate", by_predicate), ("duckdb", by_duckdb),
                      ("sqlite", by_sqlite), ("polars", by_polars)]:  # fmt: skip
        if sorted(run()) != expected:
            raise SystemExit(f"{name} selects other customers than matches()")

    contenders: dict[str, tuple[int, Callable[[], object]]] = {
        "facts": (m, lambda: purchase_facts(orders, at=AT)),
        "snapshot+rule": (m, by_snapshot),
        "matches": (n, by_matches),
        "predicate": (n, by_predicate),
        "duckdb": (n, by_duckdb),
        "sqlite": (n, by_sqlite),
        "polars": (n, by_polars),
    }
    cpu = {name: float("inf") for name in contenders}
    wall = {name: float("inf") for name in contenders}
    for _ in range(args.repeats):
        for name, (_, contender) in contenders.items():
            spent, elapsed = timed(contender)
            cpu[name] = min(cpu[name], spent)
            wall[name] = min(wall[name], elapsed)

    per = {name: cpu[name] / size for name, (size, _) in contenders.items()}
    print(
        f"customers: {n:,} ({len(expected):,} selected); real customers: {m:,} "
        f"with {len(orders):,} orders (built in {built:.0f} s wall); repeats: {args.repeats}"
    )
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load (wall s): polars {loads['polars']:.1f}, duckdb {loads['duckdb']:.1f}, "
        f"sqlite {loads['sqlite']:.1f}"
    )
    print(
        f"{'path':<14} {'rows':>10} {'CPU s':>8} {'wall s':>8} {'us/customer':>12} {'x duckdb':>9}"
    )
    for name, (size, _) in contenders.items():
        print(
            f"{name:<14} {size:>10,} {cpu[name]:>8.3f} {wall[name]:>8.3f} "
            f"{per[name] * 1e6:>12.3f} {per[name] / per['duckdb']:>9.1f}"
        )
    both = per["facts"] + per["snapshot+rule"]
    print(
        f"facts + snapshot+rule per customer: {both * 1e6:.2f} us, {both / per['duckdb']:.1f}x duckdb"
    )


if __name__ == "__main__":
    main()
