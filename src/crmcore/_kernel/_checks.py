"""Small validation helpers shared by the value objects and aggregates.

Every helper raises :class:`~crmcore.errors.ValidationError` (or its
:class:`~crmcore.errors.InvalidType` subclass) with a path and a rule, and never
puts the offending value in the message: it may be personal data.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sized
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, TypeVar

import attrs

from crmcore.errors import InvalidType, Problem, ValidationError

T = TypeVar("T")
K = TypeVar("K")
E = TypeVar("E", bound=StrEnum)

#: The largest integer (in magnitude) a stored value may hold: what JSON readers and
#: database columns keep exactly.
MAX_INT: Final = 2**63 - 1
#: The default longest text, in characters, of a free-text field.
MAX_TEXT = 1000


def type_name(value: object) -> str:
    """The name of a value's type, for messages (never the value itself)."""
    return type(value).__name__


_JSON_TYPES: Final = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def json_type_name(value: object) -> str:
    """What a value read from JSON is, in JSON's words, for messages.

    >>> json_type_name([1]), json_type_name(None), json_type_name(b"")
    ('an array', 'null', 'bytes')
    """
    return _JSON_TYPES.get(type(value), type_name(value))


def require_type(value: object, expected: type[T] | tuple[type, ...], path: str, what: str) -> T:
    """Return ``value`` if it is an instance of ``expected``; otherwise raise InvalidType.

    ``bool`` is never accepted where ``int`` is asked for.
    """
    if isinstance(value, bool) and expected in (int, (int,)):
        raise InvalidType(f"must be {what}, not bool", path=path)
    if not isinstance(value, expected):
        raise InvalidType(f"must be {what}, not {type_name(value)}", path=path)
    return value  # type: ignore[return-value]


def require_aware(value: object, path: str) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise InvalidType(f"must be a timezone-aware datetime, not {type_name(value)}", path=path)
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(
            "must be timezone-aware (a naive datetime has no offset)",
            path=path,
            code="naive_datetime",
        )
    return value


def require_date(value: object, path: str) -> date:
    """Return ``value`` if it is a plain calendar date (not a datetime)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidType(f"must be a date, not {type_name(value)}", path=path)
    return value


def has_control_chars(text: str, *, allow_newlines: bool = False) -> bool:
    """True if ``text`` holds control, format or unassigned characters."""
    for ch in text:
        if allow_newlines and ch in "\n\t":
            continue
        if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            return True
    return False


def clean_text(
    value: object,
    path: str,
    *,
    max_length: int = MAX_TEXT,
    min_length: int = 1,
    allow_newlines: bool = False,
    what: str = "text",
) -> str:
    """Normalize ``value`` to NFC with trimmed ends, and check its length and characters.

    Runs of spaces inside single-line text are folded to one space.
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    text = unicodedata.normalize("NFC", value).strip(" ")
    if has_control_chars(text, allow_newlines=allow_newlines):
        raise ValidationError(
            f"{what} must not contain control or invisible format characters",
            path=path,
            code="control_characters",
        )
    if not allow_newlines:
        text = " ".join(part for part in text.split(" ") if part)
    else:
        text = text.strip()
    if len(text) < min_length:
        rule = (
            "must not be empty" if min_length == 1 else f"must be at least {min_length} characters"
        )
        raise ValidationError(rule, path=path, code="too_short")
    if len(text) > max_length:
        raise ValidationError(
            f"must be at most {max_length} characters", path=path, code="too_long"
        )
    return text


def optional(check: Callable[[object, str], T]) -> Callable[[object, str], T | None]:
    """Lift a check so that ``None`` passes through."""

    def run(value: object, path: str) -> T | None:
        return None if value is None else check(value, path)

    return run


def tuple_of(
    values: object,
    path: str,
    item: Callable[[Any, str], T],
    *,
    max_items: int | None = None,
) -> tuple[T, ...]:
    """Check every element of an iterable (not a str or mapping), collecting its problems.

    At most :data:`MAX_PROBLEMS` failing items are collected before the error
    is raised, so a sequence of a billion bad items costs no more than a
    hundred; a sized sequence longer than ``max_items`` is refused before
    any item is looked at.
    """
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise InvalidType(f"must be a sequence, not {type_name(values)}", path=path)
    if max_items is not None and isinstance(values, Sized) and len(values) > max_items:
        raise ValidationError(f"must hold at most {max_items} items", path=path, code="too_many")
    out: list[T] = []
    failures: list[ValidationError] = []
    for index, element in enumerate(values):
        if max_items is not None and index >= max_items:
            raise ValidationError(
                f"must hold at most {max_items} items", path=path, code="too_many"
            )
        try:
            out.append(item(element, f"{path}[{index}]"))
        except ValidationError as exc:
            failures.append(exc)
            if len(failures) >= MAX_PROBLEMS:
                break
    if failures:
        raise collect_errors(failures)
    return tuple(out)


def check_unique(
    items: Iterable[T], key: Callable[[T], K], path: str, rule: str | Callable[[T], str]
) -> set[K]:
    """Refuse the first item whose ``key`` an earlier item already has; return the keys.

    ``path`` places the item with ``{}`` for its index (``"$.rules[{}].name"``);
    ``rule`` is the error's message, or makes it from the repeated item. The
    error's code is ``duplicate``.

    >>> check_unique(["a", "b", "a"], str.lower, "$.tags[{}]", "must not repeat a tag")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.tags[2]: must not repeat a tag
    """
    seen: set[K] = set()
    for index, item in enumerate(items):
        found = key(item)
        if found in seen:
            message = rule if isinstance(rule, str) else rule(item)
            raise ValidationError(message, path=path.format(index), code="duplicate")
        seen.add(found)
    return seen


#: Most failing items :func:`tuple_of` collects before it reports them.
MAX_PROBLEMS: Final = 100


def collect_errors(failures: list[ValidationError]) -> ValidationError:
    """One error reporting every problem of ``failures``.

    The result is an :class:`InvalidType` (and so a TypeError) only when every
    failure was one.
    """
    problems: list[Problem] = [p for failure in failures for p in failure.problems]
    if all(isinstance(failure, InvalidType) for failure in failures):
        return InvalidType.collect(problems)
    return ValidationError.collect(problems)


def instance_of(cls: type[T], what: str) -> Callable[[object, str], T]:
    """A check that accepts only instances of ``cls``."""

    def run(value: object, path: str) -> T:
        return require_type(value, cls, path, what)

    return run


def reject_float(value: object, path: str) -> None:
    """Raise InvalidType for floats, which cannot carry exact decimal amounts."""
    if isinstance(value, float):
        raise InvalidType(
            "must be a Decimal, int or str: floats cannot hold exact decimal amounts",
            path=path,
            code="float",
        )


#: Most significant digits a decimal number may carry (inputs and Money amounts).
MAX_DIGITS = 100


def _check_decimal_bounds(number: Decimal, path: str) -> None:
    if not number.is_finite():
        raise ValidationError(
            "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
        )
    if len(number.as_tuple().digits) > MAX_DIGITS:
        raise ValidationError(
            f"must have at most {MAX_DIGITS} significant digits", path=path, code="too_long"
        )
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and (exponent < -MAX_DIGITS or number.adjusted() >= MAX_DIGITS):
        raise ValidationError(
            f"must have at most {MAX_DIGITS} digits before and after the decimal point",
            path=path,
            code="too_long",
        )


def to_decimal(value: object, path: str) -> Decimal:
    """Convert a Decimal, int or numeric string to a finite Decimal.

    At most :data:`MAX_DIGITS` significant digits are accepted, so that every
    accepted number also reads back from its string form.
    """
    reject_float(value, path)
    if isinstance(value, bool):
        raise InvalidType("must be a Decimal, int or str, not bool", path=path)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        if abs(value).bit_length() > 400:
            raise ValidationError(
                f"must have at most {MAX_DIGITS} significant digits", path=path, code="too_long"
            )
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DIGITS + 30:
            raise ValidationError(
                f"must be at most {MAX_DIGITS + 30} characters", path=path, code="too_long"
            )
        try:
            number = Decimal(text)
        except ArithmeticError:
            raise ValidationError(
                "must be a decimal number such as '12.50'", path=path, code="decimal"
            ) from None
    else:
        raise InvalidType(f"must be a Decimal, int or str, not {type_name(value)}", path=path)
    _check_decimal_bounds(number, path)
    return number


def is_bool(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: the field must be a real bool (not 0/1 or a truthy string)."""
    if not isinstance(value, bool):
        raise InvalidType(f"must be a bool, not {type_name(value)}", path=f"$.{attribute.name}")


def enum_converter(enum: type[E], path: str) -> Callable[[object], E]:
    """A converter that accepts a member of ``enum`` or its value string."""

    def convert(value: object) -> E:
        if isinstance(value, enum):
            return value
        if isinstance(value, str):
            try:
                return enum(value)
            except ValueError:
                pass
            choices = ", ".join(member.value for member in enum)
            raise ValidationError(f"must be one of: {choices}", path=path, code="choice")
        raise InvalidType(f"must be a {enum.__name__}, not {type_name(value)}", path=path)

    return convert


def aware(path: str) -> Callable[[object], datetime]:
    """A converter that accepts only timezone-aware datetimes."""

    def convert(value: object) -> datetime:
        return require_aware(value, path)

    return convert


def optional_aware(path: str) -> Callable[[object], datetime | None]:
    """Like :func:`aware`, letting ``None`` through."""

    def convert(value: object) -> datetime | None:
        return None if value is None else require_aware(value, path)

    return convert


#: Longest stage, trigger, guard or definition name.
MAX_NAME_LENGTH: Final = 64


_NAME: Final = re.compile(r"[a-z][a-z0-9_]*\Z")


_NAME_RULE: Final = (
    f"must be a snake_case name (a lowercase letter, then lowercase letters, digits "
    f"or underscores; at most {MAX_NAME_LENGTH} characters)"
)


def check_name(value: object, path: str) -> str:
    """Return ``value`` if it is a snake_case name such as ``"first_time_customer"``.

    >>> check_name("repeat_customer", "$.stage")
    'repeat_customer'
    >>> check_name("Repeat Customer", "$.stage")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.stage: must be a snake_case name (a lowercase letter, then lowercase letters, digits or underscores; at most 64 characters)
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    if len(value) > MAX_NAME_LENGTH or _NAME.match(value) is None:
        raise ValidationError(_NAME_RULE, path=path, code="name")
    return value


#: Longest tag, in characters.
MAX_TAG_LENGTH = 64


_TAG_CHARS = re.compile(r"[\w \-:./]+")


_TAG_PUNCTUATION = frozenset(" -_:./")


def normalize_tag(tag: object, path: str = "$.tag") -> str:
    """Tags are trimmed, NFC-normalized, case-folded and at most 64 characters.

    >>> normalize_tag("  VIP ")
    'vip'
    """
    return _normalize_tag(tag, error_path(path))


def _normalize_tag(tag: object, path: str) -> str:
    """:func:`normalize_tag` at a path crmcore itself names (so it needs no check)."""
    if not isinstance(tag, str):
        raise InvalidType(f"must be a str, not {type_name(tag)}", path=path)
    text = tag.strip()
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)  # ASCII text is always NFC
    text = text.casefold()
    if not text:
        raise ValidationError("must not be empty", path=path, code="too_short")
    if len(text) > MAX_TAG_LENGTH:
        raise ValidationError(
            f"must be at most {MAX_TAG_LENGTH} characters", path=path, code="too_long"
        )
    if _TAG_CHARS.fullmatch(text) is None and not all(
        ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LMN" for ch in text
    ):
        raise ValidationError(
            "must use only letters, digits, spaces and -_:./", path=path, code="tag"
        )
    return text


#: Longest refund, return or cancellation reason, in characters.
MAX_REASON: Final = 200


def category(value: object, path: str) -> str:
    """A product category or type: a normalized label such as ``"mobile-data"``."""
    return _normalize_tag(value, path)


def reason_text(value: object, path: str) -> str | None:
    """An optional short free-text reason (a refund, a return, a cancellation).

    Free text may name people, so it stays in the aggregate and never goes
    into an event.
    """
    if value is None:
        return None
    return clean_text(value, path, max_length=MAX_REASON, what="a reason")


def reason_code(value: object, path: str) -> str | None:
    """An optional snake_case reason code, such as a payment failure's ``"card_declined"``.

    >>> reason_code("insufficient_funds", "$.failure_reason")
    'insufficient_funds'
    >>> reason_code("Card was declined", "$.failure_reason")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.failure_reason: must be a snake_case name (a lowercase letter, then lowercase letters, digits or underscores; at most 64 characters)
    """
    if value is None:
        return None
    return check_name(value, path)


def positive_int(value: object, path: str, *, maximum: int) -> int:
    """Return ``value`` if it is an int from 1 to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not 1 <= value <= maximum:
        raise ValidationError(f"must be from 1 to {maximum}", path=path, code="range")
    return value


#: The attrs field metadata key naming the most items a tuple field may hold. Documents
#: are checked against it before their items are converted (see crmcore.serialization).
MAX_ITEMS_KEY: Final = "max_items"


def limit(max_items: int) -> dict[str, int]:
    """Field metadata declaring that a tuple field holds at most ``max_items`` items."""
    return {MAX_ITEMS_KEY: max_items}


def items_of(
    value: object,
    cls: type[T],
    path: str,
    what: str,
    *,
    max_items: int,
    noun: str = "items",
) -> tuple[T, ...]:
    """A tuple of ``cls`` items from any sequence (not a str or mapping), at most ``max_items``.

    A tuple that already holds only ``cls`` items is returned as it is (the
    aggregates' own commands build those); anything else is checked item by
    item, collecting every problem. A sequence longer than ``max_items`` is
    refused before a single item is looked at, so a hostile document costs
    no more than its length.
    """
    if type(value) is tuple or (
        isinstance(value, Sized) and not isinstance(value, (str, bytes, dict))
    ):
        if len(value) > max_items:
            raise ValidationError(
                f"must hold at most {max_items} {noun}", path=path, code="too_many"
            )
        if type(value) is tuple and all(type(v) is cls for v in value):
            return value
        if type(value) is list and all(type(v) is cls for v in value):
            return tuple(value)  # what tuple_of would build, without a path per item
    return tuple_of(value, path, instance_of(cls, what), max_items=max_items)


#: Longest error path a caller may pass to a function that reports at a path of its choice.
MAX_PATH: Final = 200


def error_path(path: object) -> str:
    """Return ``path`` if it is a path a caller may ask errors to be reported at.

    Public helpers such as ``normalize_email(value, path)`` let the caller
    name where the value sits; the path must look like one: text starting
    with ``$``, printable, at most :data:`MAX_PATH` characters.

    >>> error_path("$.contact_points[0].value")
    '$.contact_points[0].value'
    """
    if not isinstance(path, str):
        raise InvalidType(
            f"must be a path str such as '$.email', not {type_name(path)}", path="$.path"
        )
    if not path.startswith("$") or len(path) > MAX_PATH or not path.isprintable():
        raise ValidationError(
            f"must be a path such as '$.email' (at most {MAX_PATH} printable characters)",
            path="$.path",
            code="path",
        )
    return path


def distinct_items(
    value: object,
    cls: type[T],
    key: Callable[[T], object],
    path: str,
    *,
    max_items: int,
    noun: str,
    what: str,
    repeated: str,
) -> list[T]:
    """The items of any iterable (not a str, bytes or mapping): each a ``cls``, each ``key`` once.

    Unlike :func:`items_of` it takes a one-pass iterable too (a generator):
    at most ``max_items + 1`` items are read, and more than ``max_items`` is
    refused (code ``too_many``) before any item is looked at. Then each item
    must be a ``cls`` (``what`` names it: ``"a Customer"``) and no key may come
    twice (``repeated`` is the message, code ``duplicate``), in item order.

    >>> rule = {"max_items": 2, "noun": "numbers", "what": "an int", "repeated": "repeats one"}
    >>> distinct_items(iter([3, 1]), int, abs, "$.n", **rule)
    [3, 1]
    >>> distinct_items([3, -3], int, abs, "$.n", **rule)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.n[1]: repeats one
    """
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be an iterable of {noun}, not {type_name(value)}", path=path)
    taken = list(itertools.islice(value, max_items + 1))
    if len(taken) > max_items:
        raise ValidationError(f"must hold at most {max_items} {noun}", path=path, code="too_many")
    seen: set[object] = set()
    for index, item in enumerate(taken):
        if not isinstance(item, cls):
            raise InvalidType(f"must be {what}, not {type_name(item)}", path=f"{path}[{index}]")
        found = key(item)
        if found in seen:
            raise ValidationError(repeated, path=f"{path}[{index}]", code="duplicate")
        seen.add(found)
    return taken


def time_window(since: object, until: object) -> tuple[datetime | None, datetime | None]:
    """The ``since`` and ``until`` keywords of a query: each ``None`` or aware, in order.

    Raises:
        ValidationError: a naive time (``$.since``, ``$.until``), or ``since``
            after ``until`` (``$.since``, code ``window``).
    """
    start = None if since is None else require_aware(since, "$.since")
    end = None if until is None else require_aware(until, "$.until")
    if start is not None and end is not None and start > end:
        raise ValidationError("must not be after until", path="$.since", code="window")
    return start, end


#: What an ISO 8601 datetime of a document must look like (the rule of every error about one).
ISO_DATETIME_RULE: Final = (
    "must be an ISO 8601 datetime with an offset, such as '2026-01-05T09:00:00+07:00'"
)


def iso_datetime(
    value: object, path: str = "$", *, describe: Callable[[object], str] = type_name
) -> datetime:
    """The timezone-aware datetime an ISO 8601 string of a document names.

    One rule for every document: a str (else ``InvalidType``; ``describe``
    names the type: :func:`type_name` by default, :func:`json_type_name` for
    JSON) of at most 64 characters that :meth:`datetime.fromisoformat` reads
    (else code ``datetime``), with an offset (else ``naive_datetime``).

    >>> iso_datetime("2026-03-02T09:00:00+07:00", "$.at").isoformat()
    '2026-03-02T09:00:00+07:00'
    >>> iso_datetime("next Tuesday", "$.at")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.at: must be an ISO 8601 datetime with an offset, such as '2026-01-05T09:00:00+07:00'
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be an ISO 8601 datetime string, not {describe(value)}", path=path)
    if len(value) > 64:
        raise ValidationError(ISO_DATETIME_RULE, path=path, code="datetime")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(ISO_DATETIME_RULE, path=path, code="datetime") from None
    return require_aware(parsed, path)
