"""An immutable, hashable mapping for attribute maps inside frozen value objects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

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
        items = dict(data)
        self._data: dict[K, V] = dict(sorted(items.items(), key=lambda kv: str(kv[0])))
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
        """A copy with ``key`` set to ``value``."""
        data = dict(self._data)
        data[key] = value
        return FrozenMap(data)

    def delete(self, key: K) -> FrozenMap[K, V]:
        """A copy without ``key`` (the same map if it is absent)."""
        if key not in self._data:
            return self
        return FrozenMap((k, v) for k, v in self._data.items() if k != key)
