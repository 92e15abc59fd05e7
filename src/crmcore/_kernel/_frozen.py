"""An immutable, hashable mapping for attribute maps inside frozen value objects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, TypeVar

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only mapping that keeps its keys sorted and can be hashed.

    >>> m = FrozenMap({"b": 2, "a": 1})
    >>> list(m), m["a"], m == {"a": 1, "b": 2}
    (['a', 'b'], 1, True)
    >>> hash(m) == hash(FrozenMap({"a": 1, "b": 2}))
    True
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        items = _entries(data)
        self._data: dict[K, V] = dict(sorted(items.items(), key=_order))
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def set(self, key: K, value: V) -> FrozenMap[K, V]:
        """A copy with ``key`` set to ``value``.

        Raises:
            InvalidType: ``key`` or ``value`` cannot be hashed.
        """
        _hashable(key, "$.key")
        _hashable(value, "$.value")
        data = dict(self._data)
        data[key] = value
        return type(self)(data)

    def delete(self, key: K) -> FrozenMap[K, V]:
        """A copy without ``key`` (the same map if it is absent).

        Raises:
            InvalidType: ``key`` cannot be hashed.
        """
        _hashable(key, "$.key")
        if key not in self._data:
            return self
        return type(self)((k, v) for k, v in self._data.items() if k != key)


#: Most entries a FrozenMap holds.
MAX_ENTRIES: Final = 100_000


def _order(entry: tuple[object, object]) -> str:
    """Entries are kept in the order of their keys' text (a key too large to print goes last)."""
    key = entry[0]
    if isinstance(key, str):
        return key
    try:
        return str(key)
    except ValueError:  # an int with more digits than Python prints
        return "\U0010ffff"


def _hashable(value: object, path: str) -> None:
    try:
        hash(value)
    except TypeError:
        raise InvalidType(
            f"must be hashable (a FrozenMap can be hashed), not {type_name(value)}", path=path
        ) from None


def _entries(data: object) -> dict[Any, Any]:
    """The entries of a mapping or of an iterable of (key, value) pairs, all hashable."""
    if isinstance(data, FrozenMap):
        return dict(data._data)  # noqa: SLF001 - same class, already checked.
    if isinstance(data, Mapping):
        pairs: Iterable[object] = data.items()
    elif isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise InvalidType(
            f"must be a mapping or an iterable of (key, value) pairs, not {type_name(data)}",
            path="$.data",
        )
    else:
        pairs = data
    out: dict[Any, Any] = {}
    for index, pair in enumerate(pairs):
        if index >= MAX_ENTRIES:
            raise ValidationError(
                f"must hold at most {MAX_ENTRIES} entries", path="$.data", code="too_many"
            )
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InvalidType(
                f"must be a (key, value) pair, not {type_name(pair)}", path=f"$.data[{index}]"
            )
        key, value = pair
        _hashable(key, f"$.data[{index}].key")
        _hashable(value, f"$.data[{index}].value")
        out[key] = value
    return out
