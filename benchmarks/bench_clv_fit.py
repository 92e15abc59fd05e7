"""Benchmark: fitting the CLV models on CDNOW, side by side with ``lifetimes``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_clv_fit.py [--repeat N]

Prints the best time per fit for crmcore and, when ``lifetimes`` is
importable, for lifetimes on the same data in the same process, and their
ratio (crmcore / lifetimes: below 1 means crmcore is faster). The reference
data is read from ``../shared/data/cdnow/``.
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from crmcore.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow"


def best_time(run: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open() as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="runs per fit; the best is kept")
    repeat = parser.parse_args().repeat
    if not DATA.exists():
        print(f"reference data not found at {DATA}")
        return
    summary = read("cdnow_customers_summary.csv")
    x = [int(r["frequency"]) for r in summary]
    t_x = [float(r["recency"]) for r in summary]
    age = [float(r["T"]) for r in summary]
    spend_rows = [
        r for r in read("cdnow_customers_summary_with_transactions.csv") if int(r["x"]) > 0
    ]
    gx = [int(r["x"]) for r in spend_rows]
    gm = [float(r["zbar"]) for r in spend_rows]
    donations = read("donations.csv")
    dx, dr, dn, dw = (
        [int(r[k]) for r in donations] for k in ("frequency", "recency", "periods", "weights")
    )

    ours: dict[str, Callable[[], object]] = {
        "BG/NBD": lambda: BetaGeo().fit(x, t_x, age),
        "Pareto/NBD": lambda: ParetoNBD().fit(x, t_x, age),
        "MBG/NBD": lambda: ModifiedBetaGeo().fit(x, t_x, age),
        "BG/BB": lambda: BetaGeoBetaBinom().fit(dx, dr, dn, weights=dw),
        "Gamma-Gamma": lambda: GammaGamma().fit(gx, gm),
    }
    theirs: dict[str, Callable[[], object]] = {}
    try:
        warnings.simplefilter("ignore")
        import lifetimes  # noqa: PLC0415 - optional peer, only for comparison.
        import pandas as pd  # noqa: PLC0415 - lifetimes needs it.

        frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": age})
        theirs = {
            "BG/NBD": lambda: lifetimes.BetaGeoFitter().fit(
                frame["frequency"], frame["recency"], frame["T"]
            ),
            "Pareto/NBD": lambda: lifetimes.ParetoNBDFitter().fit(
                frame["frequency"], frame["recency"], frame["T"]
            ),
            "MBG/NBD": lambda: lifetimes.ModifiedBetaGeoFitter().fit(
                frame["frequency"], frame["recency"], frame["T"]
            ),
            "BG/BB": lambda: lifetimes.BetaGeoBetaBinomFitter().fit(
                pd.Series(dx), pd.Series(dr), pd.Series(dn), pd.Series(dw)
            ),
            "Gamma-Gamma": lambda: lifetimes.GammaGammaFitter().fit(pd.Series(gx), pd.Series(gm)),
        }
        peer = f"lifetimes {lifetimes.__version__}"
    except ImportError:
        peer = "lifetimes not installed"

    print(f"CDNOW: {len(x)} customers; best of {repeat} runs per fit; peer: {peer}")
    print(f"{'model':<12} {'crmcore':>10} {'lifetimes':>10} {'ratio':>7}")
    for name, run in ours.items():
        mine = best_time(run, repeat)
        if name in theirs:
            other = best_time(theirs[name], repeat)
            print(f"{name:<12} {mine * 1e3:>8.1f}ms {other * 1e3:>8.1f}ms {mine / other:>7.2f}")
        else:
            print(f"{name:<12} {mine * 1e3:>8.1f}ms {'-':>10} {'-':>7}")


if __name__ == "__main__":
    main()
