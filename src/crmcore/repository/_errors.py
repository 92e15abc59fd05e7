"""The repository errors defined here, and helpers for those defined in :mod:`crmcore.errors`."""

from __future__ import annotations

from crmcore.errors import NotFound, RepositoryError


def not_found_by_key(kind: str, key: str) -> NotFound:
    """A NotFound for a natural-key lookup whose message leaves the value out."""
    return NotFound(kind, key=key)


class AmbiguousKey(RepositoryError, LookupError):
    """A lookup that must find one aggregate found several.

    Raised by ``customers.get_by_email`` (``get_by_phone``) when the store
    lets customers share an email address (a phone number) and more than one
    customer holds it (see :class:`~crmcore.repository.UniquenessPolicy`);
    ``find_by_email`` returns them all. The message names the key and how
    many matched, never the value: it is personal data.

    >>> error = AmbiguousKey("customer", "email address", count=2)
    >>> str(error), error.count, error.code
    ('2 customers have this email address; find them all with find_by_email', 2, 'ambiguous')

    Attributes:
        kind: the aggregate kind, such as ``"customer"``.
        key: the key looked up, such as ``"email address"``.
        count: how many aggregates hold the value (2 or more).
        code: ``"ambiguous"``.

    .. versionadded:: 0.1
    """

    code = "ambiguous"

    def __init__(self, kind: str, key: str, *, count: int) -> None:
        self.kind = kind
        self.key = key
        self.count = count
        finder = "find_by_email" if key == "email address" else "find_by_phone"
        super().__init__(f"{count} {kind}s have this {key}; find them all with {finder}")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (_rebuild_ambiguous, (self.kind, self.key, self.count))


def _rebuild_ambiguous(kind: str, key: str, count: int) -> AmbiguousKey:
    return AmbiguousKey(kind, key, count=count)
