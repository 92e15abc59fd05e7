"""Bulk import of CDNOW into memory and into the SQLite example, against dicts and executemany.

Reads the CDNOW purchase records (``../shared/data/cdnow/CDNOW_master.txt``:
23,570 customers, 69,659 orders) and builds, once and outside the timing, a
customer per CDNOW customer (with an email address, so the natural-key index
is filled) and a paid order per purchase (placed, then paid, with their
events), as an import holds them. Then each contender imports the same
aggregates, ``--batch`` customers with their orders per transaction, into
fresh storage, the contenders taking turns over ``--repeats`` rounds:

``memory``
    ``InMemoryUnitOfWork``: add every customer and order, commit per batch;
    the events wait in the outbox.
``memory, events streamed``
    the same with ``on_events=handler``: each commit hands its events to the
    handler and they leave the outbox (only where the tree offers it).
``dict``
    the hand-written baseline for memory: plain dicts of customers and orders,
    an email index and a customer-to-orders index.
``sqlite`` / ``sqlite, events streamed``
    the SQLite example's ``SqliteUnitOfWork``, the same way.
``executemany``
    the baseline for SQLite: the same documents (the example's JSON of
    ``spec.to_document``, encoded beforehand) inserted with ``executemany``
    into tables of the same shape, one transaction per batch.
``encode + executemany``
    the same, encoding the documents inside the timing (what a hand-written
    import from these aggregates must do).
``executemany, every row``
    the floor of the SQLite example's own writes (table layouts 3 and 4):
    every row it writes, encoded beforehand (the documents with their
    reference and index columns, the natural keys, the index entries of its
    side tables, and the event documents of the outbox), inserted with
    ``executemany`` into a database of its layout, one transaction per batch.
    What the example costs beyond it is its own work. The rows per table are
    printed first.
``encode + executemany, events``
    the floor of any store that keeps these documents and an outbox of event
    documents: ``encode + executemany`` plus each event encoded (its
    ``to_dict`` as JSON) and inserted into a plain outbox table (no index),
    in the same transactions. No layout of the example can go below it while
    documents and events are encoded this way.

The prebuilt aggregates are frozen out of the garbage collector's sight
(``gc.freeze()``) before the timing: a real import streams its input instead
of holding it all.

Prints the wall time per customer (with their orders) and the ratios of
minima (crmcore time / baseline time; the goal for SQLite is at most 3
against ``executemany``, a third of its speed; the SQLite contenders are also
shown against ``encode + executemany`` and ``executemany, every row``), then the time of one
``orders.for_customer`` lookup in the imported data (goal: milliseconds at
CDNOW size) and the events each import leaves in the outbox, with the time
``collect_events`` takes per event (decoding them, for SQLite).

    python benchmarks/bench_bulk.py                       # the first 5,000 customers
    python benchmarks/bench_bulk.py --n 23570 --repeats 3   # all of CDNOW
    python benchmarks/bench_bulk.py --n 23570 --customers-only   # customers alone

Runs unchanged against an older tree: ``PYTHONPATH=/work/before/src python
benchmarks/bench_bulk.py --sqlite-example /work/before/adapters/sqlite/src`` (an older tree: its ``examples/sqlite``).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from crmcore import ContactPoint, Customer, CustomerId, DomainEvent, Money, PersonName
from crmcore.commerce import Order, OrderId, OrderLine, PaymentId, ProductId
from crmcore.repository import CUSTOMERS, ORDERS, InMemoryStore, InMemoryUnitOfWork
from crmcore.serialization import to_dict

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
CENT = Decimal("0.01")

#: One batch: the customers of one transaction and their orders.
Batch = tuple[list[Customer], list[Order]]


# -- the aggregates --------------------------------------------------------------------------


def read_purchases(n: int) -> dict[str, list[tuple[datetime, int, Decimal]]]:
    """The purchases of the first ``n`` CDNOW customers, by customer."""
    purchases: dict[str, list[tuple[datetime, int, Decimal]]] = {}
    with DATA.open() as lines:
        next(lines)  # the header
        for line in lines:
            customer, day, cds, dollars = line.split()
            if customer not in purchases and len(purchases) == n:
                break
            at = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
            purchases.setdefault(customer, []).append((at, int(cds), Decimal(dollars)))
    return purchases


def build_batches(n: int, batch: int, *, with_orders: bool = True) -> list[Batch]:
    """Customers (each with an email) and paid orders, with their events, in batches."""
    product = ProductId("cd")
    batches: list[Batch] = []
    number = 0
    for position, (customer, bought) in enumerate(read_purchases(n).items()):
        if position % batch == 0:
            batches.append(([], []))
        customers, orders = batches[-1]
        customer_id = CustomerId(f"cdnow-{customer}")
        customers.append(
            Customer.register(
                customer_id,
                name=PersonName(f"Customer {customer}"),
                at=bought[0][0],
                contact_points=[ContactPoint("email", f"customer{customer}@example.com")],
            )
        )
        for at, cds, dollars in bought if with_orders else ():
            number += 1
            unit = (dollars / cds).quantize(CENT, rounding=ROUND_CEILING)
            discount = unit * cds - dollars
            line = OrderLine(
                product,
                cds,
                Money(unit, "USD"),
                category="music",
                discount=Money(discount, "USD") if discount else None,
            )
            order = Order.place(
                OrderId(f"o-{number}"), customer_id=customer_id, lines=[line], at=at
            )
            if dollars:
                order = order.record_payment(PaymentId(f"p-{number}"), Money(dollars, "USD"), at=at)
            orders.append(order)
    return batches


# -- memory ----------------------------------------------------------------------------------


def takes_on_events(cls: type) -> bool:
    """Whether this tree's unit of work can stream its events to a handler."""
    return "on_events" in inspect.signature(cls).parameters


class Sink:
    """An event handler that counts what it is given (a real one would forward it)."""

    def __init__(self) -> None:
        self.events = 0

    def __call__(self, events: Sequence[DomainEvent]) -> None:
        """Count the events of one commit."""
        self.events += len(events)


def import_units(make_unit: Callable[[], Any], batches: list[Batch]) -> Any:
    uow = make_unit()
    for customers, orders in batches:
        with uow:
            for customer in customers:
                uow.customers.add(customer)
            for order in orders:
                uow.orders.add(order)
            uow.commit()
    return uow


def import_dicts(batches: list[Batch]) -> dict[str, Any]:
    """The hand-written baseline: the aggregates in dicts, with the two indexes."""
    customers: dict[CustomerId, Customer] = {}
    emails: dict[str, CustomerId] = {}
    orders: dict[OrderId, Order] = {}
    by_customer: dict[CustomerId, list[OrderId]] = {}
    for batch_customers, batch_orders in batches:
        for customer in batch_customers:
            customers[customer.id] = customer
            for point in customer.contact_points:
                emails[point.value] = customer.id
        for order in batch_orders:
            orders[order.id] = order
            by_customer.setdefault(order.customer_id, []).append(order.id)
    return {"customers": customers, "orders": orders}


# -- SQLite ----------------------------------------------------------------------------------


def load_sqlite_example(folder: Path) -> Any:
    sys.path.insert(0, str(folder))
    import crmcore_sqlite  # noqa: PLC0415 - found on the path given on the command line.

    return crmcore_sqlite


#: A reusable encoder with the example's options (cheaper than ``json.dumps`` with options).
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def encode(spec: Any, aggregate: Any) -> str:
    # What the SQLite example stores: sorted, compact JSON of the spec's document.
    document = spec.to_document(aggregate.without_pending_events())
    return ENCODER.encode(document)


def raw_tables(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    for table in ("customers", "orders"):
        connection.execute(
            f"CREATE TABLE {table} (id TEXT PRIMARY KEY, version INTEGER NOT NULL,"
            " document TEXT NOT NULL)"
        )
    return connection


def raw_insert(connection: sqlite3.Connection, rows: list[tuple[list[Any], list[Any]]]) -> None:
    for customers, orders in rows:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany("INSERT INTO customers VALUES (?, ?, ?)", customers)
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?)", orders)
        connection.execute("COMMIT")


def raw_insert_with_events(connection: sqlite3.Connection, batches: list[Batch]) -> None:
    """Encode and insert the documents and, in the same transaction, the events."""
    connection.execute(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, event TEXT NOT NULL)"
    )
    for (customers, orders), (customer_rows, order_rows) in zip(
        batches, encoded(batches), strict=True
    ):
        events = [
            (event.event_id, ENCODER.encode(to_dict(event)))
            for a in (*customers, *orders)
            for event in a.pending_events
        ]
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany("INSERT INTO customers VALUES (?, ?, ?)", customer_rows)
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?)", order_rows)
        connection.executemany("INSERT INTO outbox (event_id, event) VALUES (?, ?)", events)
        connection.execute("COMMIT")


def encoded(batches: list[Batch]) -> list[tuple[list[Any], list[Any]]]:
    return [
        (
            [(str(c.id), c.version, encode(CUSTOMERS, c)) for c in customers],
            [(str(o.id), o.version, encode(ORDERS, o)) for o in orders],
        )
        for customers, orders in batches
    ]


#: The rows of one batch for every table the example writes, by table name.
Rows = dict[str, list[tuple[Any, ...]]]


def layout4_columns(spec: Any, aggregate: Any) -> tuple[str | None, ...]:
    """The reference and index columns of a row in layout 4 (an index value held alone)."""
    named = {field: str(target) for field, _, target in spec.references_of(aggregate)}
    values: dict[str, list[str]] = {}
    for name, value in spec.index_values(aggregate):
        values.setdefault(name, []).append(value)
    single = {name: found[0] for name, found in values.items() if len(found) == 1}
    return (
        *(named.get(field) for field, _ in spec.references),
        *(single.get(name) for name in spec.index_names),
    )


def layout4_entries(spec: Any, aggregate: Any) -> list[tuple[str, str, str]]:
    """The side-table index entries of a row in layout 4 (indexes holding several values)."""
    values: dict[str, list[str]] = {}
    for name, value in spec.index_values(aggregate):
        values.setdefault(name, []).append(value)
    return [
        (name, value, str(aggregate.id))
        for name, found in values.items()
        if len(found) > 1
        for value in found
    ]


def example_rows(batches: list[Batch], layout: int) -> list[Rows]:
    """Every row the SQLite example (table layout 3 or 4) writes for each batch, encoded."""
    found: list[Rows] = []
    for customers, orders in batches:
        rows: Rows = {}
        for spec, aggregates in ((CUSTOMERS, customers), (ORDERS, orders)):
            rows[spec.name] = [(str(a.id), a.version, encode(spec, a)) for a in aggregates]
            rows[f"{spec.name}_keys"] = [
                (key, value, str(a.id)) for a in aggregates for key, value in spec.keys_of(a)
            ]
            if layout >= 4:
                rows[spec.name] = [
                    (str(a.id), a.version, encode(spec, a), *layout4_columns(spec, a))
                    for a in aggregates
                ]
                if spec.indexes:
                    rows[f"{spec.name}_index"] = [
                        entry for a in aggregates for entry in layout4_entries(spec, a)
                    ]
                continue
            if spec.references:
                rows[f"{spec.name}_refs"] = [
                    (field, str(target), str(a.id))
                    for a in aggregates
                    for field, _, target in spec.references_of(a)
                ]
            if spec.indexes:
                rows[f"{spec.name}_index"] = [
                    (name, value, str(a.id))
                    for a in aggregates
                    for name, value in spec.index_values(a)
                ]
        rows["outbox"] = [
            (None, event.event_id, ENCODER.encode(to_dict(event)))
            for a in (*customers, *orders)
            for event in a.pending_events
        ]
        found.append(rows)
    return found


def example_insert(connection: sqlite3.Connection, batches: list[Rows]) -> None:
    for rows in batches:
        connection.execute("BEGIN IMMEDIATE")
        for table, values in rows.items():
            if values:
                marks = ", ".join("?" * len(values[0]))
                sql = f"INSERT INTO {table} VALUES ({marks})"  # noqa: S608 - names of the layout
                connection.executemany(sql, values)
        connection.execute("COMMIT")


def outbox_size(store: Any) -> int:
    """How many events wait in a store's outbox (counted, not decoded, in SQLite)."""
    if isinstance(store, InMemoryStore):
        return len(store.pending_events())
    connection = store.acquire()
    try:
        return int(connection.execute("SELECT count(*) FROM outbox").fetchone()[0])
    finally:
        store.release(connection)


def close(uow: Any) -> None:
    """Close the store of a SQLite unit (and so its database file)."""
    store = getattr(uow, "store", None)
    if store is not None and hasattr(store, "close"):
        store.close()


# -- measuring -------------------------------------------------------------------------------


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def lookup_time(uow: Any, ids: list[CustomerId], budget: float) -> tuple[float, int]:
    """Seconds per ``orders.for_customer`` (the fastest), and how many were run in ``budget``."""
    best = float("inf")
    done = 0
    started = time.perf_counter()
    with uow:
        for ident in ids:
            took, found = timed(lambda ident=ident: uow.orders.for_customer(ident))
            if not found:
                raise SystemExit(f"no orders found for {ident}")
            best = min(best, took)
            done += 1
            if time.perf_counter() - started > budget:
                break
    return best, done


class Contenders:
    """The importers of one run: each imports every batch into fresh storage."""

    def __init__(self, batches: list[Batch], sqlite_example: Any, folder: Path) -> None:
        self.batches = batches
        self.documents = encoded(batches)
        self.sqlite = sqlite_example
        self.folder = folder
        self.files = 0
        # The example's own layout (3 or 4) is needed to write every row it writes.
        self.layout = getattr(sqlite_example, "LAYOUT_VERSION", 0)
        self.every_row = self.layout in {3, 4}
        self.rows = example_rows(batches, self.layout) if self.every_row else []

    def path(self) -> Path:
        """A new database file in the run's folder."""
        self.files += 1
        return self.folder / f"db-{self.files}.sqlite"

    def memory(self, *, stream: bool) -> Any:
        """Import into a new in-memory store; the last unit of work is returned."""
        store = InMemoryStore()
        if stream:
            return import_units(lambda: InMemoryUnitOfWork(store, on_events=Sink()), self.batches)
        return import_units(lambda: InMemoryUnitOfWork(store), self.batches)

    def sqlite_units(self, *, stream: bool) -> Any:
        """Import into a new SQLite example database; the last unit of work is returned."""
        store = self.sqlite.SqliteStore(self.path())
        unit = self.sqlite.SqliteUnitOfWork
        if stream:
            return import_units(lambda: unit(store, on_events=Sink()), self.batches)
        return import_units(lambda: unit(store), self.batches)

    def executemany(self, *, encode_inside: bool) -> None:
        """Insert the documents into a new database with plain ``executemany``."""
        connection = raw_tables(self.path())
        try:
            raw_insert(connection, encoded(self.batches) if encode_inside else self.documents)
        finally:
            connection.close()

    def executemany_with_events(self) -> None:
        """Encode and insert the documents and the events with plain ``executemany``."""
        connection = raw_tables(self.path())
        try:
            raw_insert_with_events(connection, self.batches)
        finally:
            connection.close()

    def row_counts(self) -> dict[str, int]:
        """How many rows the example writes per table for the whole import."""
        counts: dict[str, int] = {}
        for rows in self.rows:
            for table, values in rows.items():
                counts[table] = counts.get(table, 0) + len(values)
        return counts

    def example_executemany(self) -> None:
        """Insert every row the example writes into a new database of its layout."""
        store = self.sqlite.SqliteStore(self.path())
        connection = store.acquire()
        try:
            example_insert(connection, self.rows)
        finally:
            store.release(connection)
            store.close()

    def runs(self) -> dict[str, Callable[[], Any]]:
        """Every contender this tree offers, by name."""
        found: dict[str, Callable[[], Any]] = {
            "dict": lambda: import_dicts(self.batches),
            "memory": lambda: self.memory(stream=False),
            "executemany": lambda: self.executemany(encode_inside=False),
            "encode + executemany": lambda: self.executemany(encode_inside=True),
            "encode + executemany, events": self.executemany_with_events,
            "sqlite": lambda: self.sqlite_units(stream=False),
        }
        if self.every_row:
            found["executemany, every row"] = self.example_executemany
        if takes_on_events(InMemoryUnitOfWork):
            found["memory, events streamed"] = lambda: self.memory(stream=True)
        if takes_on_events(self.sqlite.SqliteUnitOfWork):
            found["sqlite, events streamed"] = lambda: self.sqlite_units(stream=True)
        return found


#: Each crmcore contender's baseline.
BASELINES = {
    "memory": "dict",
    "memory, events streamed": "dict",
    "sqlite": "executemany",
    "sqlite, events streamed": "executemany",
    "encode + executemany": "executemany",
    "encode + executemany, events": "executemany",
    "executemany, every row": "executemany",
}


def report_imports(best: dict[str, float], customers: int) -> None:
    print(f"{'contender':<30}{'s':>8}{'us/customer':>13}{'customers/s':>13}  ratio")
    for name, seconds in best.items():
        ratio = ""
        if name in BASELINES:
            base = BASELINES[name]
            ratio = f"{seconds / best[base]:6.2f} x {base}"
            if name.startswith("sqlite"):
                ratio += f"   {seconds / best['encode + executemany']:5.2f} x encode + executemany"
                if "executemany, every row" in best:
                    ratio += f"   {seconds / best['executemany, every row']:5.2f} x every row"
                ratio += f"   {seconds / best['encode + executemany, events']:5.2f} x ..., events"
        per = seconds / customers
        print(f"{name:<30}{seconds:>8.2f}{per * 1e6:>13.1f}{1 / per:>13,.0f}  {ratio}")
    print("goal: sqlite / executemany <= 3 (a third of its speed)")


def report_lookups(kept: dict[str, Any], batches: list[Batch], budget: float) -> None:
    rng = random.Random(20260105)
    picked = [
        c.id for customers, _ in batches for c in rng.sample(customers, min(20, len(customers)))
    ]
    rng.shuffle(picked)
    print(f"\nper-customer lookup, orders.for_customer (fastest; {budget:.0f} s budget)")
    for name in ("memory", "sqlite"):
        seconds, done = lookup_time(kept[name], picked, budget)
        print(f"{name:<26}{seconds * 1e3:>10.3f} ms   ({done} lookups)")


def report_outboxes(kept: dict[str, Any]) -> None:
    print("\nevents left in the outbox after the import, and the time to collect them")
    for name, uow in kept.items():
        if name.startswith(("memory", "sqlite")):
            start = time.perf_counter()
            pending = uow.collect_events(limit=2_000)
            took = time.perf_counter() - start
            per = f"{took / len(pending) * 1e6:7.1f} us each" if pending else ""
            print(f"{name:<26}{outbox_size(uow.store):>10,}   {per}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000, help="customers (CDNOW has 23,570)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds, minimum kept")
    parser.add_argument("--batch", type=int, default=1_000, help="customers per transaction")
    parser.add_argument(
        "--sqlite-example",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "adapters" / "sqlite" / "src",
        help="the folder of crmcore_sqlite.py",
    )
    parser.add_argument("--lookup-seconds", type=float, default=10.0, help="time for lookups")
    parser.add_argument(
        "--customers-only", action="store_true", help="import the customers without their orders"
    )
    args = parser.parse_args()
    if not DATA.exists():
        print(f"reference data not found at {DATA}")
        return
    took, batches = timed(
        lambda: build_batches(args.n, args.batch, with_orders=not args.customers_only)
    )
    customers = sum(len(c) for c, _ in batches)
    orders = sum(len(o) for _, o in batches)
    events = sum(len(a.pending_events) for c, o in batches for a in (*c, *o))
    print(f"{customers:,} customers, {orders:,} orders, {events:,} events (built in {took:.1f} s)")
    # The prebuilt input (millions of objects) stays alive all run, as a streaming import's
    # input would not: keep the collector from walking it again in every contender's time.
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory() as folder:
        contenders = Contenders(batches, load_sqlite_example(args.sqlite_example), Path(folder))
        if contenders.every_row:
            counts = ", ".join(f"{t} {n:,}" for t, n in contenders.row_counts().items() if n)
            print(f"rows the SQLite example (layout {contenders.layout}) writes: {counts}")
        runs = contenders.runs()
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.repeats):
            for name, run in runs.items():
                gc.collect()
                took, result = timed(run)
                best[name] = min(best[name], took)
                close(result)  # nothing of one contender stays alive in another's time
                del result
        print(f"\nimport, {args.batch:,} customers per transaction, fastest of {args.repeats}")
        report_imports(best, customers)
        kept = {name: run() for name, run in runs.items() if name.startswith(("memory", "sqlite"))}
        if not args.customers_only:
            report_lookups(kept, batches, args.lookup_seconds)
        report_outboxes(kept)
        for uow in kept.values():
            close(uow)


if __name__ == "__main__":
    main()
