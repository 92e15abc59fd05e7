"""Values derived from the fields of an immutable object, computed once and kept with it.

An order's total, a line's net amount: pure functions of fields that never
change once the object is built. :class:`derived` computes such a value the
first time it is asked for and keeps it in one of the object's private slots
(from :class:`Derivable`: one slot per derived value of the class, no
container), so asking again costs a slot read. Constructors that compute a
value while checking the object anyway store it with :func:`keep`, so it is
never computed twice.

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

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar, overload

S = TypeVar("S", bound="Derivable")
T = TypeVar("T")

#: Most derived values one class (with its bases) may have: each has a slot of its own.
MAX_DERIVED: Final = 8

#: What an empty slot holds once the object's store was started (see :func:`start_keeping`).
_MISSING: Final[Any] = object()
_SLOTS: Final = tuple(f"_derived_{index}" for index in range(MAX_DERIVED))


class Derivable:
    """Base of immutable classes with :class:`derived` values: gives them the slots that keep them.

    Subclasses must be frozen, and their derived values pure functions of their fields.
    Each derived value of a class is given one of the :data:`MAX_DERIVED` slots
    when the class is made; a class with more is refused (``TypeError``).

    The slots of a newly built object are started (:func:`start_keeping`) by its
    constructor; an object made otherwise (unpickled, copied) has empty slots
    and computes its values when asked, like a new one.
    """

    __slots__ = _SLOTS

    #: The class's derived values, by name (set for every subclass).
    _derived_: ClassVar[Mapping[str, derived[Any, Any]]] = MappingProxyType({})
    #: The name and the slot setter of each of the class's derived values (shadowed ones too).
    _derived_setters_: ClassVar[tuple[tuple[str, Callable[[Any, Any], None]], ...]] = ()
    #: The name and the slot (attribute name) of each of the class's derived values (shadowed ones too).
    _derived_slots_: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _number(cls)


def _number(cls: type[Derivable]) -> None:
    """Give each derived value of ``cls`` a slot of its own (once: a rebuilt class reuses them)."""
    seen: list[derived[Any, Any]] = []
    visible: dict[str, derived[Any, Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, derived):
                visible[name] = value
                if value not in seen:
                    seen.append(value)
    used = {value.slot for value in seen if value.slot is not None}
    free = (slot for slot in range(MAX_DERIVED) if slot not in used)
    for value in seen:
        if value.slot is None:
            value.bind(next(free, None), cls)
    slots = [value.slot for value in seen if value.slot is not None]
    if len(set(slots)) != len(slots):
        raise TypeError(f"{cls.__name__}: two derived values share a slot (reused descriptors)")
    type.__setattr__(cls, "_derived_", MappingProxyType(visible))
    setters = tuple((value.name, value._set) for value in seen)  # noqa: SLF001 - bound above.
    type.__setattr__(cls, "_derived_setters_", setters)
    slot_names = tuple((value.name, value._slot_name) for value in seen)  # noqa: SLF001 - bound above.
    type.__setattr__(cls, "_derived_slots_", slot_names)


#: The set function of each slot (a C function: no Python frame per call).
_SETTERS: Final = tuple(vars(Derivable)[slot].__set__ for slot in _SLOTS)


class derived(property, Generic[S, T]):  # noqa: N801 - used as a decorator, like property.
    """A value derived from an immutable object's fields, computed once and kept (see above).

    A :class:`property` whose getter reads the value's slot (and computes the
    value the first time): reading a property costs less than calling a
    descriptor's ``__get__`` written in Python.
    """

    def __init__(self, func: Callable[[S], T]) -> None:
        super().__init__(_getter(func, "", _unbound))
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__
        #: The index of the slot the value is kept in (given when its class is made).
        self.slot: int | None = None
        self._slot_name = ""
        self._set: Callable[[Any, Any], None] = _unbound

    def bind(self, slot: int | None, owner: type) -> None:
        """Keep the value in slot ``slot`` (``None``: no slot is free)."""
        if slot is None:
            raise TypeError(
                f"{owner.__name__}.{self.name}: a Derivable class has at most "
                f"{MAX_DERIVED} derived values"
            )
        self.slot = slot
        self._slot_name = _SLOTS[slot]
        self._set = _SETTERS[slot]
        doc = self.__doc__
        property.__init__(self, _getter(self.func, self._slot_name, self._set))
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        if not issubclass(owner, Derivable):
            raise TypeError(f"{owner.__name__}.{name}: derived values need a Derivable class")
        self.name = name

    if TYPE_CHECKING:  # the getter above does the work; these give the types

        @overload
        def __get__(self, obj: None, owner: type | None = None) -> derived[S, T]: ...

        @overload
        def __get__(self, obj: S, owner: type | None = None) -> T: ...

        def __get__(self, obj: S | None, owner: type | None = None) -> T | derived[S, T]: ...


def _getter(
    func: Callable[[Any], Any], slot: str, put: Callable[[Any, Any], None]
) -> Callable[[Any], Any]:
    """The getter of a derived value kept in ``slot``: the kept value, else ``func``'s, kept by ``put``."""

    def get(obj: Any) -> Any:
        try:
            found = getattr(obj, slot)
        except AttributeError:  # an object whose store was never started (unpickled, copied)
            found = _MISSING
        if found is _MISSING:
            found = func(obj)
            put(obj, found)
        return found

    get.__doc__ = func.__doc__
    return get


def _unbound(*_: object) -> Any:
    raise TypeError("derived values need a Derivable class")


def _of(obj: Derivable, name: str) -> derived[Any, Any]:
    found = type(obj)._derived_.get(name)
    if found is None:
        raise AttributeError(f"{type(obj).__name__} has no derived value {name!r}")
    return found


def keep(obj: Derivable, name: str, value: T) -> T:
    """Keep ``value`` as ``obj``'s derived value ``name`` (computed while building ``obj``)."""
    _of(obj, name)._set(obj, value)  # noqa: SLF001 - the slot this module manages.
    return value


def kept(obj: Derivable) -> dict[str, Any]:
    """The derived values ``obj`` keeps so far, by name (a copy)."""
    found: dict[str, Any] = {}
    for name, value in type(obj)._derived_.items():
        try:
            held = getattr(obj, value._slot_name)  # noqa: SLF001 - the slot this module manages.
        except AttributeError:  # a store never started (unpickled, copied)
            continue
        if held is not _MISSING:
            found[name] = held
    return found


def carried_slots(
    cls: type[Derivable], carried: Iterable[str]
) -> tuple[tuple[str, str | None], ...]:
    """How a copy's store is started from the old object's, carrying the derived values ``carried``.

    One pair per slot of ``cls``: the slot, and the slot of the old object
    whose value it takes (``None``: it starts empty). Writing each slot so
    does what ``start_keeping(new, {n: v for n, v in kept(old).items() if n
    in carried})`` does, for an old object whose store was started.
    """
    names = frozenset(carried)
    visible = cls._derived_
    plan: list[tuple[str, str | None]] = []
    for name, slot in cls._derived_slots_:
        source = visible.get(name) if name in names else None
        plan.append((slot, None if source is None else source._slot_name))  # noqa: SLF001
    return tuple(plan)


#: What an empty slot holds (for code that starts a store itself; see :func:`carried_slots`).
EMPTY: Final[Any] = _MISSING


def start_keeping(obj: Derivable, values: dict[str, Any] | None = None) -> None:
    """Give a newly built ``obj`` its store of derived values (``values`` are carried over).

    Every slot is written: the store holds exactly ``values``.
    """
    setters = type(obj)._derived_setters_
    if not values:
        for _, empty in setters:
            empty(obj, _MISSING)
        return
    for name, put in setters:
        put(obj, values.get(name, _MISSING))
    if not values.keys() <= type(obj)._derived_.keys():
        for name in values:
            _of(obj, name)  # raises for the first name that is no derived value
