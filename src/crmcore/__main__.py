"""Command line: ``python -m crmcore demo`` prints the built-in demonstration.

``python -m crmcore clv TRANSACTIONS.csv`` reports customer lifetime value from a
transactions CSV (see docs/cli.md); its application code is ``crmcore._cli``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crmcore import __version__
from crmcore._cli import add_clv_command, run_clv
from crmcore._demo import report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m crmcore",
        description="crmcore: an embeddable CRM domain library.",
    )
    parser.add_argument("--version", action="version", version=f"crmcore {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="print a report on a deterministic, in-memory synthetic customer base"
    )
    demo.add_argument(
        "--customers",
        type=int,
        default=300,
        metavar="N",
        help="how many synthetic customers to generate (default: 300)",
    )
    add_clv_command(commands)
    args = parser.parse_args(argv)
    if args.command == "clv":
        return run_clv(args)
    if args.command == "demo":
        if not 1 <= args.customers <= 100_000:
            parser.error("--customers must be between 1 and 100000")
        print(report(args.customers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
