"""The field builder: field(name) and the conditions on one field it builds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType
from crmcore.segmentation._evaluate import Operator
from crmcore.segmentation._rules import Condition, Span
from crmcore.segmentation._values import (
    check_path,
)

# -- the field builder ----------------------------------------------------------------


def _moment(value: object) -> date:
    if not isinstance(value, date):
        raise InvalidType(f"must be a date or datetime, not {type_name(value)}", path="$.value")
    return value


class Field:
    """A field path waiting for a test: ``field("frequency") >= 3`` builds a :class:`Condition`.

    Comparison operators build conditions instead of answering, so a ``Field``
    cannot be hashed or used as a truth value.
    """

    __slots__ = ("path",)
    # Comparisons build conditions, so a Field cannot be hashed.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, path: str) -> None:
        self.path = check_path(path, "$.path")

    def _make(self, op: Operator, value: object = None) -> Condition:
        return Condition(self.path, op, value)

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return self._make(Operator.EQ, value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        return self._make(Operator.NE, value)

    def __lt__(self, value: object) -> Condition:
        return self._make(Operator.LT, value)

    def __le__(self, value: object) -> Condition:
        return self._make(Operator.LE, value)

    def __gt__(self, value: object) -> Condition:
        return self._make(Operator.GT, value)

    def __ge__(self, value: object) -> Condition:
        return self._make(Operator.GE, value)

    def __bool__(self) -> bool:
        raise InvalidType(
            "a field has no truth value: compare it (field('x') >= 3) to build a rule",
            path="$",
            code="rule_truth",
        )

    def is_true(self) -> Condition:
        """The field holds ``True``."""
        return self._make(Operator.EQ, True)

    def is_false(self) -> Condition:
        """The field holds ``False`` (a missing field is neither true nor false)."""
        return self._make(Operator.EQ, False)

    def between(self, low: object, high: object) -> Condition:
        """``low <= value <= high`` (both ends included)."""
        return self._make(Operator.BETWEEN, (low, high))

    def is_in(self, values: Iterable[object]) -> Condition:
        """The value equals one of ``values`` (all of one kind)."""
        return self._make(Operator.IN, values)

    def not_in(self, values: Iterable[object]) -> Condition:
        """The value is present and equals none of ``values``."""
        return self._make(Operator.NOT_IN, values)

    def is_empty(self) -> Condition:
        """Missing, ``None``, blank text or an empty collection."""
        return self._make(Operator.IS_EMPTY)

    def is_not_empty(self) -> Condition:
        """Present and not blank or empty."""
        return self._make(Operator.IS_NOT_EMPTY)

    def contains(self, text: str) -> Condition:
        """The text holds ``text``, ignoring case (Unicode case folding, NFC)."""
        return self._make(Operator.CONTAINS, text)

    def starts_with(self, text: str) -> Condition:
        """The text starts with ``text``, ignoring case."""
        return self._make(Operator.STARTS_WITH, text)

    def ends_with(self, text: str) -> Condition:
        """The text ends with ``text``, ignoring case."""
        return self._make(Operator.ENDS_WITH, text)

    def has(self, item: object) -> Condition:
        """The collection (tags, channels) holds ``item`` (compared exactly)."""
        return self._make(Operator.HAS, item)

    def has_any(self, items: Iterable[object]) -> Condition:
        """The collection holds at least one of ``items``."""
        return self._make(Operator.HAS_ANY, items)

    def has_all(self, items: Iterable[object]) -> Condition:
        """The collection holds every one of ``items``."""
        return self._make(Operator.HAS_ALL, items)

    def before(self, moment: date | datetime) -> Condition:
        """The date or time is earlier than ``moment`` (the same as ``< moment``)."""
        return self._make(Operator.LT, _moment(moment))

    def after(self, moment: date | datetime) -> Condition:
        """The date or time is later than ``moment`` (the same as ``> moment``)."""
        return self._make(Operator.GT, _moment(moment))

    def within_last(self, *, days: int = 0, weeks: int = 0, months: int = 0) -> Condition:
        """The date or time lies in the window ending at the evaluation time ``at``.

        For a datetime: ``at - span <= value <= at``. For a date: between the
        calendar dates of those instants in ``at``'s timezone.
        """
        return self._make(Operator.WITHIN_LAST, Span(days=days, weeks=weeks, months=months))

    def more_than_ago(self, *, days: int = 0, weeks: int = 0, months: int = 0) -> Condition:
        """The date or time lies before ``at - span`` (a missing value does not count)."""
        return self._make(Operator.MORE_THAN_AGO, Span(days=days, weeks=weeks, months=months))

    def within_next(self, *, days: int = 0, weeks: int = 0, months: int = 0) -> Condition:
        """The date or time lies between ``at`` and ``at + span``."""
        return self._make(Operator.WITHIN_NEXT, Span(days=days, weeks=weeks, months=months))

    def birthday_within(self, *, days: int) -> Condition:
        """The birth date's next birthday falls within ``days`` days of ``at``'s date.

        ``days=0`` is "today". 29 February birthdays fall on 28 February in
        common years. Windows run across the year end.
        """
        return self._make(Operator.BIRTHDAY_WITHIN, days)

    def __repr__(self) -> str:
        return f"field({self.path!r})"


def field(path: str) -> Field:
    """Start a condition on the field at ``path`` (dots separate parts).

    >>> rule = field("frequency") >= 3
    >>> rule
    field('frequency') >= 3
    >>> rule.matches({"frequency": 5}), rule.matches({"frequency": 1}), rule.matches({})
    (True, False, False)
    >>> rule.matches({"frequency": "five"})
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.frequency: holds str, which cannot be compared with a number (the rule and the data disagree about this field's type)
    """
    return Field(path)
