"""Benchmark: holdout metrics with one holdout duration per customer (issue 13).

Run from the repository root, against this tree or an older one::

    python benchmarks/bench_holdout.py [--n 100000] [--repeats 3]
    PYTHONPATH=/path/to/other/src python benchmarks/bench_holdout.py

What it measures, for BG/NBD and Pareto/NBD (fitted on the CDNOW reference
sample), at ``--n`` customers drawn with a seeded generator from that sample
(recency and T jittered, so that almost every history is distinct), in two
shapes of holdout:

- ``distinct``: every customer has a holdout of their own length (39 weeks
  plus a fraction of a week: customers whose observation ends on different
  days);
- ``shared``: one holdout of 39 weeks for everyone.

Contenders, run interleaved, once each per repeat (the script prints the
minimum of each and the ratios of the minima):

- ``holdout_metrics``: ``crmcore.clv.holdout_metrics`` on lists;
- ``hand loop``: what a user writes without it, and what ``holdout_metrics``
  itself did before session 32: group the customers by duration and call the
  public ``expected_purchases`` once per distinct duration (the baseline;
  the metrics themselves are left out, so it is a lower bound);
- ``lifetimes``: lifetimes' ``conditional_expected_number_of_purchases_up_to_time``
  with a pandas Series of durations (its formulas broadcast), if installed.

Before anything is timed, the forecasts behind ``holdout_metrics`` are compared
with the hand loop's: they must be the same floats (the script stops
otherwise), and lifetimes' must agree to 1e-9 (relative). Data:
``../shared/data/cdnow/`` beside the repository.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crmcore.clv import BetaGeo, ParetoNBD, holdout_metrics

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow"
SPAN = 39.0  # the CDNOW holdout, in weeks
TOLERANCE = 1e-9  # largest relative difference from lifetimes accepted before timing


def sample() -> dict[str, list[float]]:
    """The CDNOW reference sample's calibration histories."""
    with (DATA / "cdnow_customers_summary_with_transactions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return {
        "frequency": [float(r["x"]) for r in rows],
        "recency": [float(r["t_x"]) for r in rows],
        "T": [float(r["T"]) for r in rows],
    }


def customers(source: dict[str, list[float]], n: int, seed: int) -> dict[str, list[Any]]:
    """``n`` customers drawn with replacement, recency and T jittered; holdout counts and lengths."""
    rng = random.Random(seed)
    out: dict[str, list[Any]] = {k: [] for k in ("frequency", "recency", "T", "actual", "own")}
    size = len(source["frequency"])
    for _ in range(n):
        i = rng.randrange(size)
        x, t_x, age = source["frequency"][i], source["recency"][i], source["T"][i]
        age += rng.random()
        t_x = t_x + rng.random() * (age - t_x) if x else 0.0
        out["frequency"].append(int(x))
        out["recency"].append(t_x)
        out["T"].append(age)
        out["actual"].append(rng.choice((0, 0, 0, 1, 1, 2, 3)))
        out["own"].append(SPAN + rng.random())
    return out


def hand_loop(model: Any, data: dict[str, list[Any]], durations: list[float]) -> list[float]:
    """Each customer's forecast, one public ``expected_purchases`` call per distinct duration."""
    groups: dict[float, list[int]] = {}
    for index, duration in enumerate(durations):
        groups.setdefault(duration, []).append(index)
    out = [0.0] * len(durations)
    x, t_x, age = data["frequency"], data["recency"], data["T"]
    for duration, rows in groups.items():
        values = model.expected_purchases(
            duration, [x[i] for i in rows], [t_x[i] for i in rows], [age[i] for i in rows]
        )
        for i, value in zip(rows, values, strict=True):
            out[i] = value
    return out


def ours(model: Any, data: dict[str, list[Any]], durations: list[float]) -> Any:
    return holdout_metrics(
        model, data["frequency"], data["recency"], data["T"], data["actual"], durations
    )


def forecasts_behind(model: Any, data: dict[str, list[Any]], durations: list[float]) -> Any:
    """The per-customer forecasts holdout_metrics uses (this tree's internal path), or None."""
    try:
        from crmcore.clv.models._holdout import conditional_forecasts  # noqa: PLC0415
    except ImportError:  # an older tree
        return None
    return conditional_forecasts(model, durations, data["frequency"], data["recency"], data["T"])


def peer(model: Any) -> Any:
    """A lifetimes fitter holding the model's parameters, or None without lifetimes."""
    try:
        warnings.simplefilter("ignore")
        import lifetimes  # noqa: PLC0415 - optional peer.
        import pandas as pd  # noqa: PLC0415 - lifetimes needs it.
    except ImportError:
        return None
    fitter = (
        lifetimes.BetaGeoFitter() if isinstance(model, BetaGeo) else lifetimes.ParetoNBDFitter()
    )
    fitter.params_ = pd.Series(dict(model.params))
    return fitter


def theirs(fitter: Any, frames: dict[str, Any], durations: Any) -> Any:
    return fitter.conditional_expected_number_of_purchases_up_to_time(
        durations, frames["frequency"], frames["recency"], frames["T"]
    )


def largest_difference(a: list[float], b: list[float]) -> float:
    return max(abs(p - q) / max(abs(q), 1e-300) for p, q in zip(a, b, strict=True))


def measure(  # noqa: PLR0917 - one model, one shape, its peer and the data.
    name: str,
    model: Any,
    fitter: Any,
    frames: dict[str, Any],
    data: dict[str, list[Any]],
    shape: str,
    durations: list[float],
    repeats: int,
) -> None:
    """Check that the contenders agree, then time them interleaved and print the minima."""
    loop = hand_loop(model, data, durations)
    behind = forecasts_behind(model, data, durations)
    if behind is not None and behind != loop:
        raise SystemExit(f"{name} {shape}: holdout_metrics' forecasts differ from the loop")
    contenders: dict[str, Callable[[], Any]] = {
        "holdout_metrics": lambda: ours(model, data, durations),
        "hand loop": lambda: hand_loop(model, data, durations),
    }
    if fitter is not None:
        import pandas as pd  # noqa: PLC0415 - lifetimes is installed, so pandas is.

        series = pd.Series(durations, dtype=float) if shape == "distinct" else SPAN
        worst = largest_difference(loop, list(theirs(fitter, frames, series)))
        if worst > TOLERANCE:
            raise SystemExit(f"{name} {shape}: lifetimes differs by {worst:.2e}")
        contenders["lifetimes"] = lambda: theirs(fitter, frames, series)
    best = dict.fromkeys(contenders, math.inf)
    for _ in range(repeats):
        for label, run in contenders.items():
            start = time.perf_counter()
            run()
            best[label] = min(best[label], time.perf_counter() - start)
    line = ", ".join(f"{label} {seconds:.3f} s" for label, seconds in best.items())
    ratios = f"holdout_metrics / hand loop {best['holdout_metrics'] / best['hand loop']:.2f}"
    if "lifetimes" in best:
        ratios += f", / lifetimes {best['holdout_metrics'] / best['lifetimes']:.1f}"
    print(f"{name:10} {shape:8} {line}; {ratios}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="customers")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs; minima kept")
    args = parser.parse_args()
    source = sample()
    models = {
        "BG/NBD": BetaGeo().fit(source["frequency"], source["recency"], source["T"]),
        "Pareto/NBD": ParetoNBD().fit(source["frequency"], source["recency"], source["T"]),
    }
    data = customers(source, args.n, seed=32)
    shapes = {"distinct": data["own"], "shared": [SPAN] * args.n}
    print(f"{args.n:,} customers; {len(set(data['own'])):,} distinct durations in 'distinct'")
    for name, model in models.items():
        fitter = peer(model)
        frames: dict[str, Any] = {}
        if fitter is not None:
            import pandas as pd  # noqa: PLC0415 - lifetimes is installed, so pandas is.

            frames = {k: pd.Series(data[k], dtype=float) for k in ("frequency", "recency", "T")}
        for shape, durations in shapes.items():
            measure(name, model, fitter, frames, data, shape, durations, args.repeats)


if __name__ == "__main__":
    main()
