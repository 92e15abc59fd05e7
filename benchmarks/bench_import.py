"""Import cost: crmcore against its dependencies, and Hypothesis with and without crmcore's plugin.

Each measurement is a fresh interpreter (``python -X importtime -c ...``)
reading the cumulative time of the top-level import, so nothing is cached
between runs. The measurements are interleaved and repeated; each line
reports the minimum and the ratio of minima.

- ``import crmcore`` against ``import attrs, cattrs, dateutil`` (goal: at most 2x);
- ``from crmcore import Customer`` (the first real use) against the same;
- ``import hypothesis`` plus crmcore's setup hook against ``import hypothesis`` alone,
  both with ``HYPOTHESIS_NO_PLUGINS=1`` (goal: the plugin adds at most 20%); and, for
  reference, ``import hypothesis`` loading every installed plugin, which also pays for
  scanning the installed packages' entry points and for any other package's plugin, so it
  grows with what the environment holds, not with crmcore.

Run: python benchmarks/bench_import.py [--repeats N]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

#: A top-level line of ``-X importtime``: nested imports are indented after the bar.
_LINE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$")


def cumulative_us(code: str, *, env: dict[str, str] | None = None) -> int:
    """The time ``code`` spends importing, in microseconds: every top-level import it triggers.

    The interpreter's own start-up imports (``-c pass``) are not counted: they
    are measured separately and subtracted by the caller.
    """
    result = subprocess.run(  # noqa: S603 - runs this interpreter on fixed code.
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    total = 0
    for line in result.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            total += int(match.group(1))
    return total


CASES = {
    "python -c pass": "pass",
    "deps": "import attrs, cattrs, dateutil.relativedelta, dateutil.tz",
    "crmcore": "import crmcore",
    "crmcore.Customer": "from crmcore import Customer",
    "hypothesis (no plugins)": "import hypothesis",
    "hypothesis + crmcore hook (no plugins)": (
        "import hypothesis; from crmcore.testing._plugin import _hypothesis_setup_hook as h; h()"
    ),
    "hypothesis (all installed plugins)": "import hypothesis",
}


def main() -> None:
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 7
    best: dict[str, int] = {}
    for _ in range(repeats):
        for name, code in CASES.items():
            env = {"HYPOTHESIS_NO_PLUGINS": "1"} if "no plugins" in name else None
            took = cumulative_us(code, env=env)
            best[name] = min(best.get(name, took), took)
    startup = best.pop("python -c pass")
    best = {name: max(took - startup, 1) for name, took in best.items()}
    deps = best["deps"]
    print(f"{'measurement':<30} {'min ms':>8}  ratio")
    for name, took in best.items():
        print(f"{name:<30} {took / 1000:8.1f}")
    print()
    print(f"import crmcore / dependencies:           {best['crmcore'] / deps:.2f}  (goal <= 2)")
    print(f"from crmcore import Customer / deps:     {best['crmcore.Customer'] / deps:.2f}")
    bare = best["hypothesis (no plugins)"]
    plugin = best["hypothesis + crmcore hook (no plugins)"] / bare
    print(f"hypothesis with crmcore's hook / without: {plugin:.2f}  (goal <= 1.20)")
    every = best["hypothesis (all installed plugins)"] / bare
    print(f"hypothesis with every installed plugin:   {every:.2f}  (entry-point scan included)")


if __name__ == "__main__":
    main()
