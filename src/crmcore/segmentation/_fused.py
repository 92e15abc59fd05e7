# ruff: noqa: C901, PLR0911, PLR0912, PLR0915 - hand-unrolled templates, one branch per step.
"""Fused runs: several simple conditions of one all_of / any_of tested in a single closure.

Most audience rules are conjunctions of simple tests (``frequency >= 3``,
``stage in {...}``, a time window, a consent flag). Calling one closure per
condition costs a Python call each; a *run* tests them all inline instead.
Each condition contributes *steps* ``(key, cls, test, operand)``: read
``obj[key]`` from a plain dict, check the value's exact class, and call
``test(operand, value)``, where ``test`` is a two-argument C function such
as ``operator.le`` (``operator.le(3, value)`` is ``value >= 3``) or
``operator.contains`` (``operator.contains(stages, value)``).

A run is an exact shortcut, never a different semantics: whenever the input
is not a plain dict, a key is absent, a value has another class, or a test
raises, the run hands the object to its *slow* predicate, which evaluates the
same conditions one by one (with full type checks and error messages) in
rule order. The fast path only answers when every step it took was decisive.

The templates are unrolled by hand (no code generation) for up to
:data:`MAX_ALL_STEPS` steps of an all_of and :data:`MAX_ANY_STEPS` of an
any_of; longer runs are split into chained runs. After its last step, a run
continues with its *tail*: the predicate of the rule's remaining children.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

#: One test of a run: the dict key, the exact class of values it decides on, the test, its operand.
Step = tuple[str, type, Callable[[Any, Any], Any], Any]
_Pred = Callable[[Any], bool]

#: Most steps in one unrolled all_of run, and in one any_of run.
MAX_ALL_STEPS: Final = 6
MAX_ANY_STEPS: Final = 4


class _Slow(Exception):
    """Raised inside a run to hand the object to the slow predicate."""


_FALLBACK: Final = (KeyError, TypeError, ArithmeticError, _Slow)


def all_run(steps: Sequence[Step], slow: _Pred, tail: _Pred | None) -> _Pred:
    """A predicate: every step holds, then ``tail`` (if any); ``slow`` decides when a step cannot."""
    count = len(steps)
    if count == 1:
        ((k1, c1, t1, x1),) = steps

        def all1(obj: Any) -> bool:
            if type(obj) is not dict:
                return slow(obj)
            try:
                v = obj[k1]
                if type(v) is not c1:
                    raise _Slow
                if not t1(x1, v):
                    return False
            except _FALLBACK:
                return slow(obj)
            return True if tail is None else tail(obj)

        return all1
    if count == 2:
        (k1, c1, t1, x1), (k2, c2, t2, x2) = steps

        def all2(obj: Any) -> bool:
            if type(obj) is not dict:
                return slow(obj)
            try:
                v = obj[k1]
                if type(v) is not c1:
                    raise _Slow
                if not t1(x1, v):
                    return False
                v = obj[k2]
                if type(v) is not c2:
                    raise _Slow
                if not t2(x2, v):
                    return False
            except _FALLBACK:
                return slow(obj)
            return True if tail is None else tail(obj)

        return all2
    if count == 3:
        (k1, c1, t1, x1), (k2, c2, t2, x2), (k3, c3, t3, x3) = steps

        def all3(obj: Any) -> bool:
            if type(obj) is not dict:
                return slow(obj)
            try:
                v = obj[k1]
                if type(v) is not c1:
                    raise _Slow
                if not t1(x1, v):
                    return False
                v = obj[k2]
                if type(v) is not c2:
                    raise _Slow
                if not t2(x2, v):
                    return False
                v = obj[k3]
                if type(v) is not c3:
                    raise _Slow
                if not t3(x3, v):
                    return False
            except _FALLBACK:
                return slow(obj)
            return True if tail is None else tail(obj)

        return all3
    if count == 4:
        (k1, c1, t1, x1), (k2, c2, t2, x2), (k3, c3, t3, x3), (k4, c4, t4, x4) = steps

        def all4(obj: Any) -> bool:
            if type(obj) is not dict:
                return slow(obj)
            try:
                v = obj[k1]
                if type(v) is not c1:
                    raise _Slow
                if not t1(x1, v):
                    return False
                v = obj[k2]
                if type(v) is not c2:
                    raise _Slow
                if not t2(x2, v):
                    return False
                v = obj[k3]
                if type(v) is not c3:
                    raise _Slow
                if not t3(x3, v):
                    return False
                v = obj[k4]
                if type(v) is not c4:
                    raise _Slow
                if not t4(x4, v):
                    return False
            except _FALLBACK:
                return slow(obj)
            return True if tail is None else tail(obj)

        return all4
    if count == 5:
        (k1, c1, t1, x1), (k2, c2, t2, x2), (k3, c3, t3, x3), (k4, c4, t4, x4), (k5, c5, t5, x5) = (
            steps
        )

        def all5(obj: Any) -> bool:
            if type(obj) is not dict:
                return slow(obj)
            try:
                v = obj[k1]
                if type(v) is not c1:
                    raise _Slow
                if not t1(x1, v):
                    return False
                v = obj[k2]
                if type(v) is not c2:
                    raise _Slow
                if not t2(x2, v):
                    return False
                v = obj[k3]
                if type(v) is not c3:
                    raise _Slow
                if not t3(x3, v):
                    return False
                v = obj[k4]
                if type(v) is not c4:
                    raise _Slow
                if not t4(x4, v):
                    return False
                v = obj[k5]
                if type(v) is not c5:
                    raise _Slow
                if not t5(x5, v):
                    return False
            except _FALLBACK:
                return slow(obj)
            return True if tail is None else tail(obj)

        return all5
    (
        (k1, c1, t1, x1),
        (k2, c2, t2, x2),
        (k3, c3, t3, x3),
        (k4, c4, t4, x4),
        (k5, c5, t5, x5),
        (k6, c6, t6, x6),
    ) = steps

    def all6(obj: Any) -> bool:
        if type(obj) is not dict:
            return slow(obj)
        try:
            v = obj[k1]
            if type(v) is not c1:
                raise _Slow
            if not t1(x1, v):
                return False
            v = obj[k2]
            if type(v) is not c2:
                raise _Slow
            if not t2(x2, v):
                return False
            v = obj[k3]
            if type(v) is not c3:
                raise _Slow
            if not t3(x3, v):
                return False
            v = obj[k4]
            if type(v) is not c4:
                raise _Slow
            if not t4(x4, v):
                return False
            v = obj[k5]
            if type(v) is not c5:
                raise _Slow
            if not t5(x5, v):
                return False
            v = obj[k6]
            if type(v) is not c6:
                raise _Slow
            if not t6(x6, v):
                return False
        except _FALLBACK:
            return slow(obj)
        return True if tail is None else tail(obj)

    return all6


def any_run(steps: Sequence[Step], slow: _Pred, tail: _Pred | None) -> _Pred:
    """A predicate: some step holds, else ``tail`` (if any); ``slow`` decides when a step cannot."""
    count = len(steps)
    if count == 1:
        ((k1, c1, t1, x1),) = steps

        def any1(obj: Any) -> bool:
            if type(obj) is not dict:
                return slow(obj)
            try:
                v = obj[k1]
                if type(v) is not c1:
                    raise _Slow
                if t1(x1, v):
                    return True
            except _FALLBACK:
                return slow(obj)
            return False if tail is None else tail(obj)

        return any1
    if count == 2:
        (k1, c1, t1, x1), (k2, c2, t2, x2) = steps

        def any2(obj: Any) -> bool:
            if type(obj) is not dict:
                return slow(obj)
            try:
                v = obj[k1]
                if type(v) is not c1:
                    raise _Slow
                if t1(x1, v):
                    return True
                v = obj[k2]
                if type(v) is not c2:
                    raise _Slow
                if t2(x2, v):
                    return True
            except _FALLBACK:
                return slow(obj)
            return False if tail is None else tail(obj)

        return any2
    if count == 3:
        (k1, c1, t1, x1), (k2, c2, t2, x2), (k3, c3, t3, x3) = steps

        def any3(obj: Any) -> bool:
            if type(obj) is not dict:
                return slow(obj)
            try:
                v = obj[k1]
                if type(v) is not c1:
                    raise _Slow
                if t1(x1, v):
                    return True
                v = obj[k2]
                if type(v) is not c2:
                    raise _Slow
                if t2(x2, v):
                    return True
                v = obj[k3]
                if type(v) is not c3:
                    raise _Slow
                if t3(x3, v):
                    return True
            except _FALLBACK:
                return slow(obj)
            return False if tail is None else tail(obj)

        return any3
    (k1, c1, t1, x1), (k2, c2, t2, x2), (k3, c3, t3, x3), (k4, c4, t4, x4) = steps

    def any4(obj: Any) -> bool:
        if type(obj) is not dict:
            return slow(obj)
        try:
            v = obj[k1]
            if type(v) is not c1:
                raise _Slow
            if t1(x1, v):
                return True
            v = obj[k2]
            if type(v) is not c2:
                raise _Slow
            if t2(x2, v):
                return True
            v = obj[k3]
            if type(v) is not c3:
                raise _Slow
            if t3(x3, v):
                return True
            v = obj[k4]
            if type(v) is not c4:
                raise _Slow
            if t4(x4, v):
                return True
        except _FALLBACK:
            return slow(obj)
        return False if tail is None else tail(obj)

    return any4
