"""The fuzz suite's report: how many tries it made, and what came of them.

The shared corpora live in ``_corpus.py`` (valid values of every public type,
built through the public commands) and ``_targets.py`` (every public callable
with a recipe for valid arguments); ``_fuzz.py`` holds the junk, the oracle
and the counts. This hook prints the counts at the end of the run, for
example::

    ----------------------- crmcore fuzz suite (profile ci) -----------------------
    calls: 9120 tries in 6.3 s (InvalidType(type) 5311, ValidationError(range) 912, ...)
"""

import pytest
from hypothesis import settings

from . import _fuzz


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fuzz suite's counts: tries per category and their outcomes."""
    lines = _fuzz.STATS.lines()
    if not lines:
        return
    profile = settings._current_profile
    terminalreporter.write_sep("-", f"crmcore fuzz suite (profile {profile})")
    for line in lines:
        terminalreporter.write_line(line)
