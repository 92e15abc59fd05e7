"""Values derived from the fields of an immutable object, computed once and kept with it.

An order's total, a line's net amount: pure functions of fields that never
change once the object is built. :class:`derived` computes such a value the
first time it is asked for and keeps it in the object's private
``_derived_values`` slot (from :class:`Derivable`), so asking again costs a
dictionary look-up. Constructors that compute a value while checking the
object anyway store it with :func:`keep`, so it is never computed twice.

The kept values are no fields: they take no part in equality, hashing,
``repr``, pickling or documents, and a changed copy (every command builds a
new object) starts without them, unless the kernel carries over a value whose
inputs the change left alone (see ``Aggregate.derived_inputs``).

>>> import attrs
>>> @attrs.frozen(slots=True)
... class Box(Derivable):
...     width: int
...     height: int
...
...     @derived
...     def area(self) -> int:
...         return self.width * self.height
>>> box = Box(2, 3)
>>> box.area, box == Box(2, 3)
(6, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar, overload

S = TypeVar("S", bound="Derivable")
T = TypeVar("T")

_MISSING: Final = object()
_set: Final = object.__setattr__


class Derivable:
    """Base of immutable classes with :class:`derived` values: gives them the slot that keeps them.

    Subclasses must be frozen, and their derived values pure functions of their fields.
    """

    __slots__ = ("_derived_values",)
    _derived_values: dict[str, Any]


class derived(Generic[S, T]):  # noqa: N801 - used as a decorator, like property.
    """A value derived from an immutable object's fields, computed once and kept (see above)."""

    def __init__(self, func: Callable[[S], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> derived[S, T]: ...

    @overload
    def __get__(self, obj: S, owner: type | None = None) -> T: ...

    def __get__(self, obj: S | None, owner: type | None = None) -> T | derived[S, T]:
        if obj is None:
            return self
        try:
            values = obj._derived_values  # noqa: SLF001 - the slot this module manages.
        except AttributeError:  # a fresh object (or one just unpickled)
            values = _values(obj)
        found = values.get(self.name, _MISSING)
        if found is _MISSING:
            found = values[self.name] = self.func(obj)
        return found  # type: ignore[no-any-return]


def _values(obj: Derivable) -> dict[str, Any]:
    try:
        return obj._derived_values  # noqa: SLF001 - the slot this module manages.
    except AttributeError:  # a fresh object (or one just unpickled)
        values: dict[str, Any] = {}
        _set(obj, "_derived_values", values)
        return values


def keep(obj: Derivable, name: str, value: T) -> T:
    """Keep ``value`` as ``obj``'s derived value ``name`` (computed while building ``obj``)."""
    _values(obj)[name] = value
    return value


def kept(obj: Derivable) -> dict[str, Any]:
    """The derived values ``obj`` keeps so far, by name (a copy)."""
    return dict(_values(obj))


def start_keeping(obj: Derivable, values: dict[str, Any] | None = None) -> None:
    """Give a newly built ``obj`` its store of derived values (``values`` are carried over)."""
    _set(obj, "_derived_values", {} if values is None else values)
