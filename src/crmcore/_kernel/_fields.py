"""Type checks for the fields of results and values that declare no check of their own.

Aggregates and value objects check each field with a converter or validator
(and events with the checks of :mod:`crmcore._kernel._events`). The results
of queries (summaries, forecasts, explanations, ...) are mostly built by
crmcore itself, but they are public classes too: a caller, a deserializer or
a test may build one by hand. :class:`Checked`
gives them one rule: every field that has neither a converter nor a validator
is checked against its annotated type when the object is built, so a wrong
type never gets in and every object crmcore hands out can be written with
:mod:`crmcore.serialization` and read back.

The check follows the annotation:

- ``str``, ``bool``, ``timedelta``, :class:`~crmcore.Money`, enums, attrs
  classes and other classes: an instance (``bool`` is never an ``int``);
- ``int``: an int of at most 63 bits, what documents and databases keep;
- ``float``: a finite float, or an int a float holds exactly; ``Decimal``: a
  finite Decimal of at most 100 significant digits and 100 digits before or
  after the point;
- ``datetime``: timezone-aware; ``date``: a date that is not a datetime;
- identifiers: exactly the annotated identifier class; ``Hashable`` (the
  annotation of caller-supplied ids): an id as
  :func:`~crmcore._kernel._ids.require_id` accepts them;
- ``X | None``, ``Literal[...]``, ``tuple[X, ...]``, ``frozenset[X]`` and
  mappings: their parts, with at most :data:`MAX_FIELD_ITEMS` items.

>>> import attrs
>>> @attrs.frozen
... class Tally(Checked):
...     label: str
...     count: int
>>> Tally("orders", 3)
Tally(label='orders', count=3)
>>> Tally("orders", "3")
Traceback (most recent call last):
...
crmcore.errors.InvalidType: $.count: must be an int, not str
"""

from __future__ import annotations

import math
import sys
import types
import typing
from collections.abc import Callable, Hashable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from crmcore._kernel._checks import MAX_DIGITS, MAX_INT, require_aware, type_name
from crmcore._kernel._ids import Identifier, require_id
from crmcore.errors import InvalidType, ValidationError

#: Most items a tuple, set or mapping field may hold (what a document may hold).
MAX_FIELD_ITEMS: Final = 100_000

#: A check of one value at a path; raises a ValidationError.
Check = Callable[[object, str], None]


class Checked:
    """Mixin for attrs classes: fields without a converter or validator are type-checked.

    A subclass that defines its own ``__attrs_post_init__`` calls
    :func:`check_fields` from it.
    """

    __slots__ = ()

    def __attrs_post_init__(self) -> None:
        check_fields(self)


class FieldCheck(typing.NamedTuple):
    """How one field is checked: its name, error path, check and the types it passes as they are.

    ``passing`` holds the exact types whose every value the check accepts
    without looking further (an identifier class, ``Money``, ``str``, ``None``
    for an optional field): the check is skipped for them, which leaves its
    outcome unchanged. An int, a Decimal or a datetime still has its range,
    finiteness or offset checked.
    """

    name: str
    path: str
    check: Check
    passing: frozenset[type]


#: The checks of each class, built on first use (annotations resolve once the module is
#: loaded). A memo of pure functions of the class: it never changes what is accepted.
_PLANS: dict[type, tuple[FieldCheck, ...]] = {}


def check_fields(obj: object) -> None:
    """Check every field of ``obj`` that declares no converter or validator of its own.

    Raises:
        InvalidType: a field holds a value of the wrong type.
        ValidationError: a field's value is out of range (an int of more than
            63 bits, a non-finite number, a naive datetime, too many items).
    """
    cls = type(obj)
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = plan_of(cls)
    for name, path, check, passing in plan:
        value = getattr(obj, name)
        if type(value) not in passing:
            check(value, path)


def plan_of(cls: type) -> tuple[FieldCheck, ...]:
    """The checks :func:`check_fields` runs for ``cls``, one per checked field, in field order."""
    return tuple(
        FieldCheck(name, f"$.{name}", check, passing_types(annotation))
        for name, annotation, check in _annotated_checks(cls)
        if check is not None
    )


def unchecked_fields(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` that nothing checks: no converter, no validator, no usable type.

    A field annotated ``Any`` (or with a name that does not resolve at run
    time) is listed; crmcore's tests keep this empty for its public classes.
    """
    return tuple(name for name, check in _checks_of(cls) if check is None)


def _declaring_namespace(cls: type, name: str) -> dict[str, Any]:
    """The names an annotation of field ``name`` may use: its declaring class's module."""
    for base in cls.__mro__:
        if name in vars(base).get("__annotations__", {}):
            module = sys.modules.get(base.__module__)
            return {**(vars(module) if module is not None else {}), **vars(base)}
    return {}


def _checks_of(cls: type) -> list[tuple[str, Check | None]]:
    return [(name, check) for name, _, check in _annotated_checks(cls)]


def _annotated_checks(cls: type) -> list[tuple[str, object, Check | None]]:
    """(name, resolved annotation, check) of the fields nothing else checks."""
    found: list[tuple[str, object, Check | None]] = []
    for field in attrs.fields(cls):
        if not field.init or field.validator is not None or field.converter is not None:
            continue
        annotation = resolved_annotation(cls, field)
        found.append(
            (field.name, annotation, None if annotation is None else check_for(annotation))
        )
    return found


def resolved_annotation(cls: type, field: attrs.Attribute[Any]) -> object:
    """The annotation of ``field`` of ``cls`` as an object, ``None`` if a name does not resolve."""
    annotation: object = field.type
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, _declaring_namespace(cls, field.name))  # noqa: S307 - annotations of crmcore's own classes.
        except NameError:
            return None
    return annotation


def passing_types(tp: object) -> frozenset[type]:
    """The exact types whose every value :func:`check_for` ``(tp)`` accepts without looking further.

    >>> sorted(t.__name__ for t in passing_types(str | None))
    ['NoneType', 'str']
    >>> passing_types(int)  # an int still has its range checked
    frozenset()
    """
    if tp is None or tp is type(None):
        return frozenset({type(None)})
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if check_for(tp) is None:
            return frozenset()
        return frozenset().union(*(passing_types(arg) for arg in typing.get_args(tp)))
    if origin is not None or not isinstance(tp, type) or tp in _INSPECTED:
        return frozenset()
    if check_for(tp) is None:
        return frozenset()
    # Everything else is checked by type alone: an identifier class exactly, any
    # other class (``str``, ``Money``, an enum, a date) as an instance.
    return frozenset({tp})


#: Types whose values the checks look into (range, finiteness, offset, id rules).
_INSPECTED: Final = frozenset({int, float, Decimal, datetime, Hashable, object})


def _describe(tp: object) -> str:
    names = {
        str: "a str",
        int: "an int",
        bool: "a bool",
        float: "a number",
        Decimal: "a Decimal",
        datetime: "a timezone-aware datetime",
        date: "a date",
        type(None): "None",
    }
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(tp))
    if origin is typing.Literal:
        return "one of: " + ", ".join(str(arg) for arg in typing.get_args(tp))
    if origin is not None:
        return f"a {getattr(origin, '__name__', 'collection')}"
    name = getattr(tp, "__name__", "value")
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}"


def _wrong(tp: object, value: object, path: str) -> InvalidType:
    return InvalidType(f"must be {_describe(tp)}, not {type_name(value)}", path=path)


def check_for(tp: object) -> Check | None:  # noqa: C901, PLR0911, PLR0912 - one branch per kind of annotation.
    """The check of values annotated ``tp``, or ``None`` when anything goes (``Any``)."""
    if tp is Any or tp is object:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.ClassVar:
        return None
    if origin in (typing.Union, types.UnionType):
        return _union(tp, args)
    if origin is typing.Literal:
        return _literal(tp, args)
    if origin is tuple:
        return _tuple(args)
    if origin in (frozenset, set):
        return _collection(tp, origin, args[0] if args else Any)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return _mapping(tp, origin, args)
    if tp is type(None):
        return _none
    if tp is bool:
        return _exact_bool
    if tp is int:
        return _int
    if tp is float:
        return _float
    if tp is Decimal:
        return _decimal
    if tp is datetime:
        return _aware
    if tp is date:
        return _date
    if tp is Hashable:
        return _id
    if isinstance(tp, type) and issubclass(tp, Identifier):
        return _exact(tp)
    if isinstance(tp, type):
        if getattr(tp, "_is_protocol", False) and not getattr(tp, "_is_runtime_protocol", False):
            return None
        return _instance(tp)
    if isinstance(origin, type):
        return _instance(origin)
    return None


def _id(value: object, path: str) -> None:
    require_id(value, path)


def _none(value: object, path: str) -> None:
    if value is not None:
        raise InvalidType(f"must be None, not {type_name(value)}", path=path)


def _exact_bool(value: object, path: str) -> None:
    if not isinstance(value, bool):
        raise _wrong(bool, value, path)


def _int(value: object, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(int, value, path)
    if not -MAX_INT <= value <= MAX_INT:
        raise ValidationError("must be an int of at most 63 bits", path=path, code="range")


def _float(value: object, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (float, int)):
        raise _wrong(float, value, path)
    if isinstance(value, int):
        _int(value, path)
        if float(value) != value:  # a document keeps a float: the int must survive that
            raise ValidationError(
                "must be a float (or an int a float holds exactly)", path=path, code="range"
            )
    elif not math.isfinite(value):
        raise ValidationError(
            "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
        )


def _decimal(value: object, path: str) -> None:
    if not isinstance(value, Decimal):
        raise _wrong(Decimal, value, path)
    if not value.is_finite():
        raise ValidationError(
            "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
        )
    exponent = value.as_tuple().exponent
    if (
        len(value.as_tuple().digits) > MAX_DIGITS
        or value.adjusted() > MAX_DIGITS
        or (isinstance(exponent, int) and exponent < -2 * MAX_DIGITS)
    ):
        # What a document can hold in plain notation: no 1E+999999 or 0E-999999.
        raise ValidationError(
            f"must have at most {MAX_DIGITS} significant digits and digits before or after "
            "the point",
            path=path,
            code="too_long",
        )


def _aware(value: object, path: str) -> None:
    require_aware(value, path)


def _date(value: object, path: str) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _wrong(date, value, path)


def _exact(cls: type) -> Check:
    def check(value: object, path: str) -> None:
        if type(value) is not cls:
            raise _wrong(cls, value, path)

    return check


def _instance(cls: type) -> Check:
    def check(value: object, path: str) -> None:
        if isinstance(value, bool) and cls is not bool and not issubclass(bool, cls):
            raise _wrong(cls, value, path)
        if not isinstance(value, cls):
            raise _wrong(cls, value, path)

    return check


def _union(tp: object, args: tuple[object, ...]) -> Check | None:
    checks: list[Check] = []
    for arg in args:
        one = check_for(arg)
        if one is None:
            return None
        checks.append(one)
    plain = [arg for arg in args if arg is not type(None)]

    def check(value: object, path: str) -> None:
        if value is None and len(plain) < len(args):
            return
        errors: list[ValidationError] = []
        for one in checks:
            try:
                one(value, path)
            except ValidationError as exc:
                errors.append(exc)
            else:
                return
        # A value of a right type but out of range says so; anything else names every type.
        for error in errors:
            if not isinstance(error, InvalidType):
                raise error
        raise _wrong(tp, value, path)

    return check


def _literal(tp: object, args: tuple[object, ...]) -> Check:
    allowed = frozenset((type(arg), arg) for arg in args)

    def check(value: object, path: str) -> None:
        try:
            known = (type(value), value) in allowed
        except TypeError:  # unhashable
            known = False
        if not known:
            raise InvalidType(f"must be {_describe(tp)}, not {type_name(value)}", path=path)

    return check


def _size(value: object, path: str) -> None:
    if len(value) > MAX_FIELD_ITEMS:  # type: ignore[arg-type]
        raise ValidationError(
            f"must hold at most {MAX_FIELD_ITEMS} items", path=path, code="too_many"
        )


def _tuple(args: tuple[object, ...]) -> Check:
    if len(args) == 2 and args[1] is Ellipsis:  # tuple[X, ...]
        return _items(check_for(args[0]), passing_types(args[0]))
    return _fixed(args)


def _items(item: Check | None, passing: frozenset[type]) -> Check:
    def check(value: object, path: str) -> None:
        if not isinstance(value, tuple):
            raise _wrong(tuple, value, path)
        if len(value) > MAX_FIELD_ITEMS:
            _size(value, path)
        if item is not None:
            for element in value:  # items of types passing as they are need no check
                if type(element) not in passing:
                    break
            else:
                return
            for index, element in enumerate(value):
                if type(element) not in passing:
                    item(element, f"{path}[{index}]")

    return check


def _fixed(args: tuple[object, ...]) -> Check:
    items = [check_for(arg) for arg in args]

    def check(value: object, path: str) -> None:
        if not isinstance(value, tuple):
            raise _wrong(tuple, value, path)
        if args and len(value) != len(args):
            raise InvalidType(f"must be a tuple of {len(args)} items", path=path)
        for index, (one, element) in enumerate(zip(items, value, strict=False)):
            if one is not None:
                one(element, f"{path}[{index}]")

    return check


def _collection(tp: object, origin: type, arg: object) -> Check:
    item = check_for(arg)

    def check(value: object, path: str) -> None:
        if not isinstance(value, origin):
            raise _wrong(tp, value, path)
        _size(value, path)
        if item is not None:
            for element in value:  # type: ignore[attr-defined]
                item(element, f"{path}[*]")

    return check


def _mapping(tp: object, origin: type, args: tuple[object, ...]) -> Check:
    key = check_for(args[0]) if args else None
    item = check_for(args[1]) if len(args) > 1 else None

    def check(value: object, path: str) -> None:
        if not isinstance(value, origin):
            raise _wrong(tp, value, path)
        _size(value, path)
        for name, element in value.items():  # type: ignore[attr-defined]
            where = f"{path}[*]"
            if key is not None:
                key(name, where)
            if item is not None:
                item(element, where)

    return check
