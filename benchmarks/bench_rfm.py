"""RFM scoring against pandas, on the shapes users pass.

Two measurements, each side by side with a pandas pipeline that applies
crmcore's documented tie rule (quantiles by the middle rank of a tie group,
``score = floor((start + end) * 5 / 2n) + 1``; see
``crmcore.segmentation._ranking``):

- **scoring**: ``score_rfm(values)`` over a tuple of ``RfmValues`` against
  ``rank(method="average")`` and integer arithmetic over a DataFrame holding
  the same values (pandas' average rank is ``(start + end + 1) / 2``).
- **values+scores**: ``score_rfm(rfm_values(orders, at=AT))`` over order
  records against a pandas filter, ``groupby(...).agg(...)`` and the same
  scoring over an orders DataFrame that is already built ("pandas"), and
  the same with the DataFrame built from the user's plain columns inside the
  timing ("pandas+frame", for information).

Shapes: customer ids as ``str`` or ``int``; amounts as whole numbers
(``int``; pandas int64), cents arriving as floats (crmcore gets the Decimal
of their text, as Money refuses floats; pandas float64, totals rounded to
cents) or ``Decimal`` (pandas object column); orders as tuples
``(customer_id, at, amount)`` or attrs objects with those attributes. (The
public API reads tuples and objects with attributes; it does not read dicts.)

Before timing, every case checks that crmcore and pandas give the same R, F
and M scores to every customer. Contenders are interleaved over the repeats
and each keeps its best run; ratios are **crmcore time / pandas time** (lower
is better; the goal is at most 3). Times are the process's CPU time
(``time.process_time``: a shared machine's other work is not counted), each
run after ``gc.collect()`` and with the collector on, as in an application
(collecting the objects crmcore builds is part of its cost).

- **columns**: ``score_rfm_columns`` over the values frame's Series (scoring),
  and ``rfm_values_columns`` then ``score_rfm_columns`` over the user's plain
  columns (values+scores): lists (ids, aware datetimes, raw amounts),
  pandas Series (ids, the ``at`` column as int64 epoch values in
  the frame's own unit, ``time_unit=series.dt.unit``, the amount column as it is)
  and the same with the frame's own timezone-aware ``at`` column ("tz-aware",
  also reported against the int64 epoch column). ``--records ""`` skips the
  order-record contenders.

The script runs unchanged against older crmcore trees (the columnar
contenders are skipped where their functions are missing)::

    python benchmarks/bench_rfm.py                    # 50,000 customers
    python benchmarks/bench_rfm.py --n 1000000 --repeats 3
    python benchmarks/bench_rfm.py --newest-first      # orders as ORDER BY at DESC reads them
    PYTHONPATH=/work/before/src python benchmarks/bench_rfm.py --n 20000
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

import crmcore
from crmcore import Money
from crmcore.segmentation import rfm_values, score_rfm

try:  # the columnar entry point (older trees lack it)
    from crmcore.segmentation import score_rfm_columns
except ImportError:  # pragma: no cover - benchmark against an older tree
    score_rfm_columns = None

try:  # the columnar values step (older trees lack it)
    from crmcore.segmentation import rfm_values_columns
except ImportError:  # pragma: no cover - benchmark against an older tree
    rfm_values_columns = None

try:
    import numpy as np
    import pandas as pd
except ImportError:  # pragma: no cover - the benchmark needs its peer
    raise SystemExit("bench_rfm needs pandas (pip install pandas)") from None

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
SCORED = ("recency_days", "frequency", "monetary")
HIGHER_IS_BETTER = (False, True, True)


@attrs.frozen(slots=True)
class OrderRecord:
    """An order as a host application might hold it: an attrs object."""

    customer_id: object
    at: datetime
    amount: Money


def customer_ids(n: int, kind: str) -> list[Any]:
    if kind == "str":
        return [f"c-{index:07d}" for index in range(n)]
    return [100_000 + index for index in range(n)]


def make_orders(
    n: int, ids: str, amounts: str, seed: int = 13, *, newest_first: bool = False
) -> tuple[list[tuple], list[Any]]:
    """About 2.5 orders per customer over two years, 2% dated after AT, in date order.

    Returns the orders as ``(customer_id, at, Money)`` tuples and the raw
    amounts (int, float or Decimal) in the same order. Objects are built in
    date order, as a reader of a database or a file would build them (oldest
    first, or with ``newest_first`` as ``ORDER BY at DESC`` reads them).
    """
    rng = random.Random(seed)
    people = customer_ids(n, ids)
    plan: list[tuple[int, int, int]] = []
    for person in range(n):
        for _ in range(1 + min(int(rng.expovariate(1 / 1.5)), 40)):
            minutes = rng.randrange(-30 * 24 * 60 // 2, 730 * 24 * 60)
            plan.append((-minutes, person, int(rng.lognormvariate(8.5, 1.1))))
    plan.sort()
    orders: list[tuple] = []
    raw: list[Any] = []
    for minutes, person, cents in plan:
        if amounts == "int":
            number: Any = max(1, cents // 100)
            exact = Decimal(number)
        elif amounts == "float":
            number = cents / 100
            exact = Decimal(repr(number))
        else:
            number = exact = Decimal(cents).scaleb(-2)
        orders.append((people[person], AT + timedelta(minutes=minutes), Money(exact, "USD")))
        raw.append(number)
    if newest_first:
        orders.reverse()
        raw.reverse()
    return orders, raw


def orders_frame(orders: list[tuple], raw: list[Any], amounts: str) -> pd.DataFrame:
    """The orders as a pandas user holds them: native number columns."""
    column: Any = raw
    if amounts == "int":
        column = np.array(raw, dtype=np.int64)
    elif amounts == "float":
        column = np.array(raw, dtype=np.float64)
    else:
        column = pd.Series(raw, dtype=object)
    return pd.DataFrame(
        {
            "customer_id": [o[0] for o in orders],
            "at": pd.to_datetime([o[1] for o in orders], utc=True),
            "amount": column,
        }
    )


def values_frame(values: tuple, amounts: str) -> pd.DataFrame:
    """The RFM values crmcore computed, as a DataFrame with the shape's monetary dtype."""
    money = [v.monetary.amount for v in values]
    if amounts == "int":
        monetary: Any = np.array([int(m) for m in money], dtype=np.int64)
    elif amounts == "float":
        monetary = np.array([float(m) for m in money], dtype=np.float64)
    else:
        monetary = pd.Series(money, dtype=object)
    return pd.DataFrame(
        {
            "customer_id": [v.customer_id for v in values],
            "recency_days": np.array([v.recency_days for v in values], dtype=np.int64),
            "frequency": np.array([v.frequency for v in values], dtype=np.int64),
            "monetary": monetary,
        }
    )


def pandas_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """The tie rule of crmcore in pandas: one average rank per column, then integers."""
    n = len(frame)
    out = {}
    for name, column, best_high in zip("rfm", SCORED, HIGHER_IS_BETTER, strict=True):
        # average rank = (start + end + 1) / 2 for a tie group at positions start..end-1
        twice = (frame[column].rank(method="average").to_numpy() * 2).astype(np.int64)
        score = ((twice - 1) * 5) // (2 * n) + 1
        out[name] = score if best_high else 6 - score
    return pd.DataFrame(out, index=frame.index)


def columns_scores(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Scores by score_rfm_columns, handed the DataFrame's own Series (no conversion)."""
    return score_rfm_columns(
        frame["customer_id"], frame["recency_days"], frame["frequency"], frame["monetary"]
    )


def columns_values_and_scores(ids: Any, at: Any, amount: Any, **options: Any) -> dict:
    """rfm_values_columns then score_rfm_columns over the user's own columns."""
    values = rfm_values_columns(ids, at, amount, at=AT, **options)
    return score_rfm_columns(
        values["customer_id"], values["recency_days"], values["frequency"], values["monetary"]
    )


def column_score_map(columns: dict) -> dict[Any, tuple[int, int, int]]:
    return dict(
        zip(
            columns["customer_id"],
            zip(columns["r"], columns["f"], columns["m"], strict=True),
            strict=True,
        )
    )


def columns_score_check(frame: pd.DataFrame, ours: dict, label: str) -> bool:
    """True if score_rfm_columns takes the frame's Series and agrees with score_rfm."""
    if score_rfm_columns is None:
        return False
    try:
        columns = columns_scores(frame)
    except crmcore.CrmcoreError:  # float amounts, on trees that refused them
        return False
    require_same(
        label,
        ours,
        dict(
            zip(
                columns["customer_id"],
                zip(columns["r"], columns["f"], columns["m"], strict=True),
                strict=True,
            )
        ),
    )
    return True


def pandas_values_and_scores(orders: pd.DataFrame, amounts: str) -> pd.DataFrame:
    kept = orders[orders["at"] <= AT]
    table = kept.groupby("customer_id", sort=True).agg(
        last=("at", "max"), frequency=("at", "size"), monetary=("amount", "sum")
    )
    table["recency_days"] = (AT - table["last"]).dt.days
    if amounts == "float":
        table["monetary"] = table["monetary"].round(2)  # float sums of cents, back to cents
    return table.join(pandas_scores(table.reset_index(drop=True)).set_axis(table.index))


def pandas_with_frame(orders: list[tuple], raw: list[Any], amounts: str) -> pd.DataFrame:
    return pandas_values_and_scores(orders_frame(orders, raw, amounts), amounts)


def as_records(orders: list[tuple], shape: str) -> list[Any]:
    if shape == "tuple":
        return orders
    return [OrderRecord(*order) for order in orders]


def crmcore_score_map(scores: tuple) -> dict[Any, tuple[int, int, int]]:
    return {s.customer_id: (s.r, s.f, s.m) for s in scores}


def pandas_score_map(ids: Any, scores: pd.DataFrame) -> dict[Any, tuple[int, int, int]]:
    return dict(
        zip(
            list(ids),
            zip(scores["r"].tolist(), scores["f"].tolist(), scores["m"].tolist(), strict=True),
            strict=True,
        )
    )


def require_same(label: str, ours: dict, theirs: dict) -> None:
    if ours != theirs:
        wrong = sum(1 for key in ours if ours[key] != theirs.get(key))
        raise SystemExit(
            f"{label}: crmcore and pandas disagree on {wrong} of {len(ours)} customers"
        )


def race(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Each contender's best time, running them in turn ``repeats`` times."""
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeats):
        for name, run in contenders.items():
            gc.collect()
            start = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="customers (default 50,000)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs (default 3)")
    parser.add_argument("--ids", default="str,int", help="id kinds: str,int")
    parser.add_argument("--amounts", default="int,float,decimal", help="int,float,decimal")
    parser.add_argument("--records", default="tuple,attrs", help="order shapes: tuple,attrs")
    parser.add_argument("--skip-values", action="store_true", help="time only the scoring step")
    parser.add_argument(
        "--newest-first", action="store_true", help="orders newest first (default: oldest first)"
    )
    args = parser.parse_args()
    print(f"crmcore from {crmcore.__file__}")
    print(f"customers: {args.n:,}; repeats: {args.repeats}; python {sys.version.split()[0]}")
    print(f"orders {'newest' if args.newest_first else 'oldest'} first")
    print("ratios are crmcore time / pandas time (lower is better; goal <= 3)")
    for ids in args.ids.split(","):
        for amounts in args.amounts.split(","):
            orders, raw = make_orders(args.n, ids, amounts, newest_first=args.newest_first)
            values = rfm_values(orders, at=AT)
            frame = values_frame(values, amounts)
            ours = crmcore_score_map(score_rfm(values))
            require_same(
                f"scoring {ids}/{amounts}",
                ours,
                pandas_score_map(frame["customer_id"], pandas_scores(frame)),
            )
            contenders = {
                "crmcore": lambda values=values: score_rfm(values),
                "pandas": lambda frame=frame: pandas_scores(frame),
            }
            if columns_score_check(frame, ours, f"scoring {ids}/{amounts}/columns"):
                contenders["columns"] = lambda frame=frame: columns_scores(frame)
            best = race(contenders, args.repeats)
            print(
                f"scoring        ids={ids:3} amounts={amounts:7}          "
                f"crmcore {best['crmcore']:7.3f}s  pandas {best['pandas']:7.3f}s  "
                f"ratio {best['crmcore'] / best['pandas']:6.2f}"
            )
            if "columns" in best:
                print(
                    f"  score_rfm_columns over the frame's Series        "
                    f"crmcore {best['columns']:7.3f}s  pandas {best['pandas']:7.3f}s  "
                    f"ratio {best['columns'] / best['pandas']:6.2f}"
                )
            del frame
            if args.skip_values:
                continue
            order_frame = orders_frame(orders, raw, amounts)
            expected = pandas_values_and_scores(order_frame, amounts)
            require_same(
                f"values+scores {ids}/{amounts}",
                ours,
                pandas_score_map(expected.index, expected),
            )
            del expected
            if rfm_values_columns is not None:
                epoch_ns = order_frame["at"].astype("int64")  # the user's epoch column
                inputs = {
                    "lists": ([o[0] for o in orders], [o[1] for o in orders], raw, {}),
                    "series": (
                        order_frame["customer_id"],
                        epoch_ns,
                        order_frame["amount"],
                        {"time_unit": order_frame["at"].dt.unit, "tz": UTC},
                    ),
                    # The frame's own timezone-aware datetime column, as the user holds it.
                    "tz-aware": (
                        order_frame["customer_id"],
                        order_frame["at"],
                        order_frame["amount"],
                        {},
                    ),
                }
                for label, (c_ids, c_at, c_amount, options) in inputs.items():
                    require_same(
                        f"values+scores {ids}/{amounts}/columns {label}",
                        ours,
                        column_score_map(
                            columns_values_and_scores(c_ids, c_at, c_amount, **options)
                        ),
                    )
                best = race(
                    {
                        **{
                            label: lambda i=i, a=a, m=m, o=o: columns_values_and_scores(
                                i, a, m, **o
                            )
                            for label, (i, a, m, o) in inputs.items()
                        },
                        "pandas": lambda f=order_frame, a=amounts: pandas_values_and_scores(f, a),
                    },
                    args.repeats,
                )
                for label in inputs:
                    print(
                        f"values+scores  ids={ids:3} amounts={amounts:7} columns {label:8} "
                        f"crmcore {best[label]:7.3f}s  pandas {best['pandas']:7.3f}s  "
                        f"ratio {best[label] / best['pandas']:6.2f}"
                    )
                print(
                    f"  tz-aware Series / int64 epoch Series: "
                    f"{best['tz-aware'] / best['series']:6.2f}"
                )
                del inputs, epoch_ns
            for shape in filter(None, args.records.split(",")):
                records = as_records(orders, shape)
                require_same(
                    f"values+scores {ids}/{amounts}/{shape}",
                    ours,
                    crmcore_score_map(score_rfm(rfm_values(records, at=AT))),
                )
                best = race(
                    {
                        "crmcore": lambda r=records: score_rfm(rfm_values(r, at=AT)),
                        "pandas": lambda f=order_frame, a=amounts: pandas_values_and_scores(f, a),
                        "pandas+frame": lambda o=orders, w=raw, a=amounts: pandas_with_frame(
                            o, w, a
                        ),
                    },
                    args.repeats,
                )
                print(
                    f"values+scores  ids={ids:3} amounts={amounts:7} {shape:6}   "
                    f"crmcore {best['crmcore']:7.3f}s  pandas {best['pandas']:7.3f}s  "
                    f"ratio {best['crmcore'] / best['pandas']:6.2f}  "
                    f"(vs pandas+frame {best['pandas+frame']:7.3f}s: "
                    f"{best['crmcore'] / best['pandas+frame']:5.2f})"
                )
                del records
            del order_frame, orders, raw, values


if __name__ == "__main__":
    main()
