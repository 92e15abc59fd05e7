"""Every script in ``benchmarks/`` still runs, on a tiny input.

The benchmarks are not timed here (timings belong to the scripts, run by hand on a quiet
machine); this only keeps them runnable. Most of them also check, before timing, that
crmcore and its baseline or peer give the same answers, and stop with an error if they do
not: running them small keeps those checks working too. Two scripts went stale unnoticed
when the order's status and the time-unit names changed; this test is what would have
caught it.

The scripts that read CDNOW read ``../shared/data``; without it they are skipped, except
in CI (``CI=true``), where a skip for missing data is a failure.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
CDNOW = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"

#: The peers two scripts compare with that the test extra does not install: without them
#: those scripts stop at once, so they are skipped (in CI too) and run by hand.
PEERS = {"bench_association_rules.py": "mlxtend", "bench_lead_scoring.py": "sklearn"}

#: Each script with the arguments of a tiny run, and whether it reads CDNOW.
RUNS: dict[str, tuple[list[str], bool]] = {
    "bench_association_rules.py": (["--baskets", "300", "--repeats", "1"], False),
    "bench_bulk.py": (["--n", "200", "--repeats", "1", "--lookup-seconds", "0.5"], True),
    "bench_clv_fit.py": (["--repeat", "1"], True),
    "bench_clv_predict.py": (["--n", "500", "--repeats", "1"], True),
    "bench_clv_summaries.py": (
        ["--customers", "50", "--transactions", "2000", "--runs", "1"],
        False,
    ),
    "bench_columnar.py": (["--n", "500", "--repeats", "1"], False),
    "bench_duplicates.py": (["--n", "300", "--naive-n", "50", "--repeats", "1"], False),
    "bench_holdout.py": (["--n", "500", "--repeats", "1"], True),
    "bench_import.py": ([], False),
    "bench_interop.py": (["--n", "500", "--repeats", "1"], False),
    "bench_lead_scoring.py": (["--n", "500", "--repeats", "1"], False),
    "bench_lifecycle.py": (["--n", "500", "--repeats", "1"], False),
    "bench_orders.py": (["--n", "500", "--repeats", "1"], True),
    "bench_paretonbd_fit.py": (["--quick", "--repeat", "1"], True),
    "bench_period_totals.py": ([], False),
    "bench_repository.py": (["--n", "500", "--repeats", "1"], False),
    "bench_rfm.py": (["--n", "1000", "--repeats", "1"], False),
    "bench_rules.py": (["--n", "500", "--repeats", "1"], False),
    "bench_segment_pushdown.py": (["--n", "500", "--repeats", "1"], False),
    "bench_snapshot.py": (["--n", "300", "--repeats", "1"], False),
    "bench_summarize.py": (["--n", "500", "--repeats", "1"], False),
}


def test_every_benchmark_has_a_tiny_run() -> None:
    """A new script in benchmarks/ gets its entry above (and so stays runnable)."""
    scripts = {path.name for path in BENCHMARKS.glob("bench_*.py")}
    assert scripts == set(RUNS)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(RUNS))
def test_the_benchmark_runs(script: str) -> None:
    """The script finishes without an error and prints its figures."""
    arguments, reads_cdnow = RUNS[script]
    if script in PEERS and importlib.util.find_spec(PEERS[script]) is None:
        pytest.skip(f"{PEERS[script]}, the peer it compares with, is not in the test extra")
    if reads_cdnow and not CDNOW.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CDNOW} is missing: CI must have the reference data")
        pytest.skip("the CDNOW reference data is not beside the repository")
    done = subprocess.run(  # noqa: S603 - this interpreter, a script of this repository
        [sys.executable, str(BENCHMARKS / script), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "the script printed nothing"
