"""The command line's application layer: the only part of crmcore that reads or writes files.

The library packages stay free of I/O; this package reads a transactions CSV,
calls crmcore's public API (``crmcore.clv`` and ``crmcore.segmentation``) and
writes the report and the per-customer CSV. ``python -m crmcore clv`` is its
entry point (see docs/cli.md).
"""

from crmcore._cli._command import add_clv_command, run_clv

__all__ = ["add_clv_command", "run_clv"]
