"""The fuzz suite's own machinery: its reports and its time budget.

- Hypothesis's pretty-printer recurses once per level of nesting, so a failing
  example holding a list 10,000 levels deep raised RecursionError while it was
  being reported, and the failure itself was lost. The junk constants of
  ``_fuzz`` carry printers that show their names instead.
- A call's budget is CPU time: endless work is stopped, a busy machine (time
  that passes while the process waits) is not counted.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ._fuzz import DEEP_DICT, DEEP_LIST, DEEPER_LIST, HUGE_LIST, TookTooLong, time_limit


@pytest.mark.parametrize(
    ("junk", "name"),
    [
        (DEEPER_LIST, "deep_list(10_000)"),
        (DEEP_LIST, "deep_list(5_000)"),
        (DEEP_DICT, "deep_dict(5_000)"),
        (HUGE_LIST, "[MARKER] * 200_000"),
    ],
)
def test_a_failure_on_big_junk_is_reported_with_the_junks_name(junk: object, name: str) -> None:
    @given(st.just({"value": [junk]}))
    def fails(document: dict[str, object]) -> None:
        message = "the property failed"
        raise AssertionError(message)

    with pytest.raises(AssertionError, match="the property failed") as failure:
        fails()
    notes = "\n".join(getattr(failure.value, "__notes__", []))
    assert f"{{'value': [{name}]}}" in notes


def _spin() -> None:
    """Endless CPU work."""
    while True:
        pass


def test_the_time_limit_stops_endless_work() -> None:
    started = time.process_time()
    with pytest.raises(TookTooLong), time_limit(0.05):
        _spin()
    assert time.process_time() - started >= 0.05


def test_the_time_limit_does_not_count_time_spent_waiting() -> None:
    with time_limit(0.05):
        time.sleep(0.3)  # waiting, as a process on a busy machine does: no CPU used


def test_a_block_that_only_waits_is_stopped_by_the_wall_clock_in_the_end() -> None:
    started = time.monotonic()
    with pytest.raises(TookTooLong), time_limit(0.01):
        time.sleep(5.0)  # a hang: 30 times the budget (0.3 s) ends it
    assert time.monotonic() - started < 5.0
