"""Benchmark: CLV predictions at scale, side by side with ``lifetimes`` (issue 13, item 3).

Run from the repository root, against this tree or an older one::

    python benchmarks/bench_clv_predict.py [--n 20000] [--repeats 3] [--shape cdnow]
    PYTHONPATH=/path/to/other/src python benchmarks/bench_clv_predict.py --n 100000

What it measures, for BG/NBD, MBG/NBD, Pareto/NBD (CDNOW) and BG/BB
(donations): P(alive), expected purchases in the next 39 periods and the
52-period lifetime value, at ``--n`` customers drawn with a seeded generator
from the reference summaries (``--shape cdnow``: many customers share a
history, as in real data at a weekly grain; ``--shape distinct``: recency and
T jittered so that almost every history is distinct). BG/BB is measured on
the cdnow shape only (its histories are whole numbers).

Both libraries get the **same parameters** (fitted once by crmcore on the
reference sample and handed to lifetimes), and every contender's results are
compared with lifetimes' before anything is timed (largest relative
difference printed; more than 1e-9 stops the run). The contenders run
interleaved, once each per repeat; the script prints the minimum of each and
the **ratio crmcore time / lifetimes time** (below 1: crmcore is faster).

Contenders (inputs as users pass them):

- ``lifetimes``: pandas Series in, as its documentation shows;
- ``python lists`` / ``python Series``: crmcore's pure-Python path
  (``backend="python"``; older trees have only that path) on lists of ints and
  floats, or on the same Series;
- ``numpy lists`` / ``numpy arrays``: crmcore's optional numpy path
  (``backend="numpy"``, newer trees with numpy installed); from session 25 on,
  arrays in give a float64 array out (lists still give lists), as lifetimes
  gives arrays/Series: the timing includes building the answer either way;
- ``python arrays``: the pure path on numpy arrays (newer trees), the answer
  an array too;
- ``predict(table)``: crmcore's batch call on a ``SummaryTable`` (newer trees),
  P(alive), expected purchases and lifetime value in one call, against the
  three lifetimes calls added up (row ``all three``).

lifetimes' lifetime value is ``GammaGammaFitter.customer_lifetime_value`` with
``freq="M"`` (its step is then one model period), ``time=52`` and the same
per-period discount rate: the same sum of discounted period forecasts.
Data: ``../shared/data/cdnow/`` beside the repository.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import math
import random
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import crmcore
from crmcore.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD
from crmcore.clv import customer_lifetime_value as crm_clv

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow"
SPAN = 39  # expected purchases in the next 39 periods (the CDNOW holdout)
HORIZON = 52  # lifetime value over 52 periods
RATE = 0.01  # discount rate per period
TOLERANCE = 1e-9  # largest relative difference from lifetimes accepted before timing
PATHS_AGREE = 1e-12  # largest relative difference between crmcore's two paths

try:
    from crmcore.clv import predict as crm_predict
except ImportError:  # an older tree: no batch call
    crm_predict = None

#: Whether this tree's predictions take ``backend=`` (newer trees).
HAS_BACKEND = "backend" in inspect.signature(BetaGeo.probability_alive).parameters


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open() as handle:
        return list(csv.DictReader(handle))


def rows_of(shape: str, n: int, seed: int) -> dict[str, list[Any]]:
    """``n`` CDNOW customers drawn with replacement; ``distinct`` jitters recency and T."""
    source = read("cdnow_customers_summary_with_transactions.csv")
    rng = random.Random(seed)
    out: dict[str, list[Any]] = {"frequency": [], "recency": [], "T": [], "monetary_value": []}
    for _ in range(n):
        row = source[rng.randrange(len(source))]
        x, t_x, age, spend = int(row["x"]), float(row["t_x"]), float(row["T"]), float(row["zbar"])
        if shape == "distinct":
            age += rng.random()
            t_x = t_x + rng.random() * (age - t_x) if x else 0.0
        out["frequency"].append(x)
        out["recency"].append(t_x)
        out["T"].append(age)
        out["monetary_value"].append(spend)
    return out


def donations_of(n: int, seed: int) -> dict[str, list[Any]]:
    """``n`` donors drawn with replacement from the expanded donations table."""
    rows = read("donations.csv")
    donors = [
        (int(r["frequency"]), int(r["recency"]), int(r["periods"]))
        for r in rows
        for _ in range(int(r["weights"]))
    ]
    rng = random.Random(seed)
    picked = [donors[rng.randrange(len(donors))] for _ in range(n)]
    spend = [20.0 + 5.0 * x for x, _, _ in picked]  # a spend per donor, for the lifetime value
    return {
        "frequency": [p[0] for p in picked],
        "recency": [p[1] for p in picked],
        "T": [p[2] for p in picked],
        "monetary_value": spend,
    }


def summary_table(columns: dict[str, list[Any]]) -> Any:
    """The columns as a crmcore ``SummaryTable`` (day grain, weekly unit)."""
    from crmcore.clv import CustomerSummary, SummaryTable  # noqa: PLC0415 - newer trees only.

    rows = {
        i: CustomerSummary(
            frequency=x, recency=t_x, T=age, monetary_value=Decimal(repr(m)) if x else Decimal(0)
        )
        for i, (x, t_x, age, m) in enumerate(
            zip(
                columns["frequency"],
                columns["recency"],
                columns["T"],
                columns["monetary_value"],
                strict=True,
            )
        )
    }
    return SummaryTable(
        rows,
        period=crmcore.TimeUnit.DAY,
        unit=crmcore.TimeUnit.WEEK,
        observation_end=datetime(1997, 9, 30, tzinfo=UTC),
    )


def largest_difference(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """The largest relative difference (absolute below 1e-300)."""
    worst = 0.0
    for a, b in zip(ours, theirs, strict=True):
        scale = max(abs(b), 1e-300)
        worst = max(worst, abs(a - b) / scale)
    return worst


def fit_models() -> dict[str, tuple[Any, Any]]:
    """The crmcore models fitted on the reference samples: ``name -> (purchase, spend model)``."""
    sample = read("cdnow_customers_summary_with_transactions.csv")
    x = [int(r["x"]) for r in sample]
    t_x = [float(r["t_x"]) for r in sample]
    age = [float(r["T"]) for r in sample]
    spend = [float(r["zbar"]) for r in sample]
    gg = GammaGamma().fit(x, spend)
    donations = read("donations.csv")
    dx, dr, dn, dw = (
        [int(r[k]) for r in donations] for k in ("frequency", "recency", "periods", "weights")
    )
    return {
        "BG/NBD": (BetaGeo().fit(x, t_x, age), gg),
        "MBG/NBD": (ModifiedBetaGeo().fit(x, t_x, age), gg),
        "Pareto/NBD": (ParetoNBD().fit(x, t_x, age), gg),
        "BG/BB": (BetaGeoBetaBinom().fit(dx, dr, dn, weights=dw), gg),
    }


def peers(models: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]] | None:
    """The lifetimes fitters holding crmcore's parameters, or ``None`` without lifetimes."""
    try:
        warnings.simplefilter("ignore")
        import lifetimes  # noqa: PLC0415 - optional peer.
        import pandas as pd  # noqa: PLC0415 - lifetimes needs it.
    except ImportError:
        return None
    classes = {
        "BG/NBD": lifetimes.BetaGeoFitter,
        "MBG/NBD": lifetimes.ModifiedBetaGeoFitter,
        "Pareto/NBD": lifetimes.ParetoNBDFitter,
        "BG/BB": lifetimes.BetaGeoBetaBinomFitter,
    }
    out = {}
    for name, (model, spend_model) in models.items():
        fitter = classes[name]()
        fitter.params_ = pd.Series(dict(model.params))
        fitter.predict = fitter.conditional_expected_number_of_purchases_up_to_time
        spender = lifetimes.GammaGammaFitter()
        spender.params_ = pd.Series(dict(spend_model.params))
        out[name] = (fitter, spender)
    return out


def theirs(
    name: str, peer: tuple[Any, Any], series: list[Any]
) -> dict[str, Callable[[], Sequence[float]]]:
    """The lifetimes calls: ``operation -> run``."""
    fitter, spender = peer

    def alive() -> Sequence[float]:
        if name == "BG/BB":
            return fitter.conditional_probability_alive(1, *series[:3])
        return fitter.conditional_probability_alive(*series[:3])

    def expected() -> Sequence[float]:
        return fitter.conditional_expected_number_of_purchases_up_to_time(SPAN, *series[:3])

    def value() -> Sequence[float]:
        return spender.customer_lifetime_value(
            fitter, *series, time=HORIZON, discount_rate=RATE, freq="M"
        )

    return {"P(alive)": alive, "expected purchases": expected, "lifetime value": value}


def ours(
    model: Any, spend_model: Any, data: list[Any], backend: str | None
) -> dict[str, Callable[[], Sequence[float]]]:
    """The crmcore calls on one shape of input: ``operation -> run``."""
    options = {} if backend is None else {"backend": backend}
    return {
        "P(alive)": lambda: model.probability_alive(*data[:3], **options),
        "expected purchases": lambda: model.expected_purchases(SPAN, *data[:3], **options),
        "lifetime value": lambda: crm_clv(
            model, spend_model, *data, horizon=HORIZON, discount_rate=RATE, **options
        ),
    }


def contenders(  # noqa: PLR0917 - everything one model's runs need.
    name: str,
    model: Any,
    spend_model: Any,
    peer: tuple[Any, Any],
    columns: dict[str, list[Any]],
    table: Any,
) -> dict[str, dict[str, Callable[[], Sequence[float]]]]:
    """``operation -> contender -> run`` for one model."""
    import numpy as np  # noqa: PLC0415 - lifetimes needs it anyway.
    import pandas as pd  # noqa: PLC0415

    lists = [columns[k] for k in ("frequency", "recency", "T", "monetary_value")]
    series = [pd.Series(v, dtype=float) for v in lists]
    arrays = [np.asarray(v, dtype=float) for v in lists]
    peer_runs = theirs(name, peer, series)
    runs = {operation: {"lifetimes": run} for operation, run in peer_runs.items()}
    python = "python" if HAS_BACKEND else None
    variants = [("python lists", lists, python), ("python Series", series, python)]
    if HAS_BACKEND:
        variants += [
            ("python arrays", arrays, "python"),
            ("numpy lists", lists, "numpy"),
            ("numpy arrays", arrays, "numpy"),
        ]
    for label, data, backend in variants:
        for operation, run in ours(model, spend_model, data, backend).items():
            runs[operation][label] = run
    if crm_predict is not None and table is not None:
        runs["all three"] = {"lifetimes": lambda: [v for run in peer_runs.values() for v in run()]}
        for backend in ("python", "numpy"):
            runs["all three"][f"predict(table) {backend}"] = _batch(
                model, spend_model, table, backend
            )
    return runs


def _batch(model: Any, spend_model: Any, table: Any, backend: str) -> Callable[[], list[float]]:
    def run() -> list[float]:
        out = crm_predict(
            model,
            table,
            t=SPAN,
            spend_model=spend_model,
            horizon=HORIZON,
            discount_rate=RATE,
            backend=backend,
        )
        return [
            *out["probability_alive"],
            *out["expected_purchases"],
            *out["customer_lifetime_value"],
        ]

    return run


def check(runs: dict[str, Callable[[], Sequence[float]]]) -> float:
    """Run every contender once; the largest difference from lifetimes (stops if too large)."""
    reference = [float(v) for v in runs["lifetimes"]()]
    worst = 0.0
    results = {}
    for label, run in runs.items():
        if label == "lifetimes":
            continue
        values = [float(v) for v in run()]
        results[label] = values
        difference = largest_difference(values, reference)
        if not difference <= TOLERANCE:
            message = f"{label} differs from lifetimes by {difference:.2e} (relative)"
            raise SystemExit(message)
        worst = max(worst, difference)
    pure = [v for k, v in results.items() if "python" in k]
    fast = [v for k, v in results.items() if "numpy" in k]
    for a in pure:
        for b in fast:
            gap = largest_difference(b, a)
            if not gap <= PATHS_AGREE:
                raise SystemExit(f"the numpy path differs from the pure one by {gap:.2e}")
    return worst


def race(runs: dict[str, Callable[[], Sequence[float]]], repeats: int) -> dict[str, float]:
    """Interleaved runs; the minimum time of each contender, in seconds."""
    best = dict.fromkeys(runs, math.inf)
    for _ in range(repeats):
        for label, run in runs.items():
            start = time.perf_counter()
            run()
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="customers (default 20,000)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs; minima kept")
    parser.add_argument("--shape", choices=("cdnow", "distinct"), default="cdnow")
    parser.add_argument(
        "--models", default="BG/NBD,MBG/NBD,Pareto/NBD,BG/BB", help="comma-separated"
    )
    parser.add_argument(
        "--operations",
        default="P(alive),expected purchases,lifetime value,all three",
        help="comma-separated operations to measure",
    )
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"reference data not found at {DATA}")
        return
    fitted = fit_models()
    lifetimes_models = peers(fitted)
    if lifetimes_models is None:
        print("lifetimes (and pandas) are not installed: nothing to compare with")
        return
    wanted = [m.strip() for m in args.models.split(",") if m.strip()]
    cdnow = rows_of(args.shape, args.n, args.seed)
    donations = donations_of(args.n, args.seed)
    print(
        f"crmcore {crmcore.__version__} ({Path(crmcore.__file__).parent}); "
        f"n={args.n:,}, shape={args.shape}, repeats={args.repeats}; "
        "ratio = crmcore time / lifetimes time (minima of interleaved runs)"
    )
    print(f"{'model':<11} {'operation':<19} {'contender':<23} {'time':>10} {'ratio':>7}")
    for name in wanted:
        if name == "BG/BB" and args.shape != "cdnow":
            continue
        model, spend_model = fitted[name]
        columns = donations if name == "BG/BB" else cdnow
        distinct = len(
            set(zip(columns["frequency"], columns["recency"], columns["T"], strict=True))
        )
        table = summary_table(columns) if crm_predict is not None else None
        runs = contenders(name, model, spend_model, lifetimes_models[name], columns, table)
        operations = {o.strip() for o in args.operations.split(",")}
        for operation, contenders_of in runs.items():
            if operation not in operations:
                continue
            worst = check(contenders_of)
            best = race(contenders_of, args.repeats)
            base = best["lifetimes"]
            for label, seconds in best.items():
                ratio = "" if label == "lifetimes" else f"{seconds / base:7.2f}"
                print(f"{name:<11} {operation:<19} {label:<23} {seconds * 1e3:8.1f}ms {ratio:>7}")
            print(f"{'':<11} {'':<19} ({distinct:,} distinct histories; max rel. diff {worst:.1e})")


if __name__ == "__main__":
    main()
