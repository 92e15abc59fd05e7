"""Benchmark: Pareto/NBD fits where the tail's series argument nears 1, beside ``lifetimes``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_paretonbd_fit.py [--repeat N] [--quick]

Issue 19 item 3: with ``|alpha - beta|`` large against ``max(alpha, beta) + t``
the hypergeometric series of the likelihood converges slowly; crmcore then
integrates the tail's head numerically with an analytic gradient. Cases: CDNOW
(the ordinary region), single customers that drive the parameters to the
boundary (the issue's ``[2], [30.43], [38.86]`` and a heavy early buyer), and
2,000 customers simulated with ``r = s = 0.5, alpha = 100, beta = 1`` and ages
uniform on 30-40 weeks (seeded): the slowest case.

Repeats are interleaved (crmcore, then lifetimes, per round) so that drifts in
machine load hit both; the minimum of each is kept and the ratio of the minima
printed (crmcore / lifetimes: below 1 means crmcore is faster). Fits that do not
reach an optimum (the single customers) run with ``require_convergence=False``.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from crmcore.clv import ParetoNBD

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow"

Columns = tuple[list[float], list[float], list[float]]


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def cases() -> dict[str, Columns]:
    """The histories of each case, as ``(frequency, recency, T)`` columns."""
    out: dict[str, Columns] = {}
    if DATA.exists():
        with (DATA / "cdnow_customers_summary.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        out["CDNOW (2357)"] = (
            [float(r["frequency"]) for r in rows],
            [float(r["recency"]) for r in rows],
            [float(r["T"]) for r in rows],
        )
    out["one [2],[30.43],[38.86]"] = ([2.0], [30.43], [38.86])
    out["one [5],[0.5],[38.86]"] = ([5.0], [0.5], [38.86])
    rng = random.Random(7)
    ages = [rng.uniform(30.0, 40.0) for _ in range(2000)]
    model = ParetoNBD(params={"r": 0.5, "alpha": 100.0, "s": 0.5, "beta": 1.0})
    sim = model.simulate(2000, ages, seed=11)
    out["sim a=100 b=1 (2000)"] = (sim["frequency"], sim["recency"], sim["T"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds per case")
    parser.add_argument("--quick", action="store_true", help="skip the 2,000-customer case")
    args = parser.parse_args()
    try:
        warnings.simplefilter("ignore")
        import lifetimes  # noqa: PLC0415 - optional peer, only for comparison.
        import pandas as pd  # noqa: PLC0415 - lifetimes needs it.

        peer = f"lifetimes {lifetimes.__version__}"
    except ImportError:
        lifetimes = None
        peer = "lifetimes not installed"

    print(f"Pareto/NBD fits; minimum of {args.repeat} interleaved rounds; peer: {peer}")
    print(f"{'case':<26} {'crmcore':>10} {'lifetimes':>10} {'ratio':>7}")
    for name, (x, t_x, age) in cases().items():
        if args.quick and name.startswith("sim"):
            continue

        def ours(x: list[float] = x, t_x: list[float] = t_x, age: list[float] = age) -> None:
            ParetoNBD().fit(x, t_x, age, require_convergence=len(x) > 1)

        theirs: Callable[[], object] | None = None
        if lifetimes is not None:
            frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": age})

            def theirs_run(frame: pd.DataFrame = frame) -> None:
                lifetimes.ParetoNBDFitter().fit(frame["frequency"], frame["recency"], frame["T"])

            theirs = theirs_run
        mine = other = float("inf")
        for _ in range(args.repeat):
            mine = min(mine, timed(ours))
            if theirs is not None:
                other = min(other, timed(theirs))
        if theirs is None:
            print(f"{name:<26} {mine:>9.2f}s {'-':>10} {'-':>7}")
        else:
            print(f"{name:<26} {mine:>9.2f}s {other:>9.2f}s {mine / other:>7.2f}")


if __name__ == "__main__":
    main()
