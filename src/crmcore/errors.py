"""Every error crmcore raises, as one tree.

All of them derive from :class:`CrmcoreError`, so ``except crmcore.CrmcoreError``
catches anything the library raises on purpose. Errors about bad input also
derive from the builtin a caller would expect, so code written against plain
Python keeps working::

    CrmcoreError
    ├── ValidationError (ValueError)          bad input: carries ``path`` and ``rule``
    │   ├── InvalidType (TypeError)           a value of the wrong type
    │   ├── CurrencyMismatch                  Money of two currencies combined
    │   ├── SchemaVersionError                a stored document from an unknown schema version
    │   ├── TransitionNotAllowed              a status change (or lifecycle trigger) not allowed now
    │   ├── InvalidDefinition                 crmcore.lifecycle: an inconsistent definition
    │   ├── RelationshipConflict              crmcore.parties: relationships that contradict each other
    │   ├── MergeConflict                     crmcore.merge: records of two customers that cannot all be re-pointed
    │   ├── CustomerMerged                    crmcore.customers: a customer merged into another (a
    │   │                                     tombstone) takes no command; carries ``survivor_id``
    │   ├── AlreadyErased                     crmcore.customers: an erased customer takes no command
    │   │                                     (an erasure again included); carries ``customer_id``
    │   ├── ErasureBlocked                    crmcore.customers: a legal hold blocks an erasure;
    │   │                                     carries ``hold_codes``
    │   ├── UnknownRole                       crmcore.access: a principal holds a role the policy
    │   │                                     does not declare
    │   ├── UnknownTemplate (LookupError)     crmcore.messaging: no template for a key in a language
    │   │                                     or its fallbacks; carries ``key`` and ``language``
    │   ├── AutomationLoop                    crmcore.automation: rules that trigger each other in a
    │   │                                     loop; carries ``cycle``
    │   └── AssignmentError                   crmcore.teams: no owner could be assigned
    │       ├── EmptyPool                     the pool drawn from has no active staff member
    │       └── NoRoute                       no routed territory and no fallback pool
    ├── RepositoryError                       persistence ports (crmcore.repository)
    │   ├── NotFound (KeyError)               no aggregate with that id or natural key
    │   ├── DuplicateId                       ``add`` of an id that already exists
    │   ├── DuplicateKey                      a natural key (email, phone) another aggregate holds
    │   ├── AmbiguousKey (LookupError)        a shared natural key several customers hold (``get_by_*``)
    │   ├── ConcurrencyConflict               ``save`` of a stale version
    │   │   └── MergePreviewOutdated          crmcore.merge: a merge preview applied on another state of the data
    │   ├── UnknownReference                  a commit that would leave a reference to no aggregate
    │   ├── UnitOfWorkError                   a unit of work used out of order
    │   └── StorageError                      the storage behind a repository failed
    ├── AccessDenied (PermissionError)        crmcore.access: the access policy refuses an action;
    │                                         names the action, the kind and the id only
    ├── RevealNotAllowed (PermissionError)    crmcore.audit: a reveal of personal values for a
    │                                         purpose the audit policy does not allow
    └── ModelError                            crmcore.clv: a statistical model cannot do what was asked
        ├── ConvergenceError                  a fit that did not converge (carries diagnostics)
        └── NotFittedError                    a prediction asked of a model without parameters

Errors defined by a capability live in its package (``crmcore.lifecycle``,
``crmcore.clv``, ...) and are drawn here so the whole tree is in one place.

A :class:`ValidationError` names *where* the problem is as a JSONPath-like
``path`` (``$.contact_points[0].value``) and *what rule* was broken, in words
that never repeat the offending value: values may be personal data (names,
email addresses, phone numbers, birth dates), and error messages end up in
logs. An entry of a mapping is named by its position, ``$.values[3]``, never
by its key: keys are often customer ids, which may be personal data too. When
several problems are found at once, ``problems`` lists each of them and the
error itself describes the first.

Example:
    >>> from crmcore import ValidationError
    >>> err = ValidationError("must be a valid email address", path="$.value", code="email")
    >>> err.path, err.rule, err.code
    ('$.value', 'must be a valid email address', 'email')
    >>> str(err)
    '$.value: must be a valid email address'
    >>> str(err.under("$.contact_points[0]"))
    '$.contact_points[0].value: must be a valid email address'
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ConcurrencyConflict",
    "CrmcoreError",
    "CurrencyMismatch",
    "DuplicateId",
    "DuplicateKey",
    "InvalidType",
    "NotFound",
    "Problem",
    "RepositoryError",
    "SchemaVersionError",
    "StorageError",
    "TransitionNotAllowed",
    "UnitOfWorkError",
    "UnknownReference",
    "ValidationError",
    "join_path",
]


class CrmcoreError(Exception):
    """The root of every error raised by crmcore."""


def join_path(prefix: str, path: str) -> str:
    """Nest ``path`` (relative, starting with ``$``) under ``prefix``.

    >>> join_path("$.contact_points[0]", "$.value")
    '$.contact_points[0].value'
    >>> join_path("$.items", "$[2]")
    '$.items[2]'
    >>> join_path("$.name", "$")
    '$.name'
    """
    if not path.startswith("$"):
        return f"{prefix}.{path}"
    return prefix + path[1:]


class Problem:
    """One broken rule at one place: the unit a :class:`ValidationError` reports."""

    __slots__ = ("code", "path", "rule")

    def __init__(self, path: str, rule: str, code: str) -> None:
        self.path = path
        self.rule = rule
        self.code = code

    def __repr__(self) -> str:
        return f"Problem(path={self.path!r}, rule={self.rule!r}, code={self.code!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.path, self.rule, self.code) == (other.path, other.rule, other.code)

    def __hash__(self) -> int:
        return hash((self.path, self.rule, self.code))

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}"


class ValidationError(CrmcoreError, ValueError):
    """Input broke a rule.

    Attributes:
        path: where the problem is, as ``$`` followed by attribute names and
            indices, such as ``$.contact_points[0].value``.
        rule: what was expected, in words that never contain the offending value.
        code: a short stable identifier of the rule, for programs (``"email"``,
            ``"required"``, ``"naive_datetime"``, ...).
        problems: every problem found; the first one is the error's own.
    """

    default_code = "invalid"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        self.path = path
        self.rule = rule
        self.code = code if code is not None else self.default_code
        first = Problem(self.path, self.rule, self.code)
        self.problems: tuple[Problem, ...] = tuple(problems) if problems else (first,)
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.path}: {self.rule}"
        extra = len(self.problems) - 1
        if extra > 0:
            text += f" (and {extra} more problem{'s' if extra > 1 else ''})"
        return text

    def under(self, prefix: str) -> ValidationError:
        """Return the same error with every path nested under ``prefix``.

        The copy keeps the error's class and any extra attributes it carries.
        """
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone.path = join_path(prefix, self.path)
        clone.problems = tuple(
            Problem(join_path(prefix, p.path), p.rule, p.code) for p in self.problems
        )
        clone.args = (clone._message(),)  # noqa: SLF001 - same class.
        return clone

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Keep every attribute (subclasses add their own) across pickling.
        return (_restore, (type(self), self.args, dict(self.__dict__)))

    @classmethod
    def collect(cls, problems: Sequence[Problem]) -> ValidationError:
        """Build one error that reports several problems, the first as its own.

        Raises:
            ValidationError: ``problems`` is empty (``code`` ``empty``); an
                :class:`InvalidType` if it is not a sequence of :class:`Problem`.
        """
        given: object = problems
        if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
            raise InvalidType(
                f"must be a sequence of Problem, not {type(given).__name__}", path="$.problems"
            )
        if not problems:
            raise ValidationError("must hold at least one problem", path="$.problems", code="empty")
        for index, problem in enumerate(problems):
            if not isinstance(problem, Problem):
                raise InvalidType(
                    f"must be a Problem, not {type(problem).__name__}",
                    path=f"$.problems[{index}]",
                )
        first = problems[0]
        return cls(first.rule, path=first.path, code=first.code, problems=problems)


class InvalidType(ValidationError, TypeError):
    """A value of the wrong type, such as a float where Money needs a Decimal."""

    default_code = "type"


class CurrencyMismatch(ValidationError):
    """Two amounts of different currencies were added, subtracted or compared."""

    default_code = "currency_mismatch"


class SchemaVersionError(ValidationError):
    """A stored document names a schema version this release cannot read."""

    default_code = "schema_version"


class TransitionNotAllowed(ValidationError):
    """A status change that the status machine (or a lifecycle) does not allow now.

    Every aggregate's status machine and every lifecycle raise this one error,
    with code ``transition``; the object it was raised for is unchanged.

    Attributes:
        current: the status (or stage) the object is in.
        wanted: the status asked for, if it is a known one (``None`` otherwise:
            an unknown value is never repeated back).
        allowed: what the object may change to from ``current``, sorted.
        machine: which status machine or lifecycle refused (``"case"``,
            ``"relationship_ladder"``, ...).
        trigger: for a lifecycle, the trigger refused if the lifecycle knows it.
        guard: for a lifecycle, the name of the guard that refused, if one did.
    """

    default_code = "transition"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$.status",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        machine: str = "",
        current: str | None = None,
        wanted: str | None = None,
        allowed: tuple[str, ...] = (),
        trigger: str | None = None,
        guard: str | None = None,
    ) -> None:
        self.machine = machine
        self.current = current
        self.wanted = wanted
        self.allowed = allowed
        self.trigger = trigger
        self.guard = guard
        super().__init__(rule, path=path, code=code, problems=problems)

    @property
    def definition(self) -> str:
        """The lifecycle's name (the ``machine`` that refused)."""
        return self.machine

    @property
    def stage(self) -> str | None:
        """The lifecycle stage the customer is in (the ``current`` value)."""
        return self.current


class RepositoryError(CrmcoreError):
    """Base of the errors raised by repositories and units of work."""


class NotFound(RepositoryError, KeyError):
    """No aggregate with the given id (or natural key) is stored.

    A lookup by natural key passes ``key`` (such as ``"email address"``)
    instead of an id; the message names the key, never its value.
    """

    def __init__(self, kind: str, aggregate_id: object = None, *, key: str | None = None) -> None:
        self.kind = kind
        self.aggregate_id = aggregate_id
        self.key = key
        if key is not None:
            message = f"no {kind} has this {key}"
        else:
            message = f"no {kind} with id {aggregate_id!s}"
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0])

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Errors cross process boundaries (multiprocessing); rebuild from the fields.
        return (_rebuild, (NotFound, (self.kind, self.aggregate_id), {"key": self.key}))


class DuplicateId(RepositoryError):
    """``add`` was called with an id that is already stored."""

    def __init__(self, kind: str, aggregate_id: object) -> None:
        self.kind = kind
        self.aggregate_id = aggregate_id
        super().__init__(f"a {kind} with id {aggregate_id!s} already exists")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (_rebuild, (DuplicateId, (self.kind, self.aggregate_id), {}))


class DuplicateKey(RepositoryError):
    """An aggregate claims a natural key (an email address, a phone number) another one holds.

    The message names the key and both ids, never the key's value: it is
    personal data.

    Attributes:
        kind: the aggregate kind, such as ``"customer"``.
        key: the natural key's name, such as ``"email"`` or ``"phone"``.
        aggregate_id: the aggregate that tried to take the value.
        owner_id: the aggregate holding it.
    """

    def __init__(self, kind: str, key: str, *, aggregate_id: object, owner_id: object) -> None:
        self.kind = kind
        self.key = key
        self.aggregate_id = aggregate_id
        self.owner_id = owner_id
        super().__init__(
            f"{kind} {aggregate_id!s} cannot take this {key}: {kind} {owner_id!s} already has it"
        )

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        fields = {"aggregate_id": self.aggregate_id, "owner_id": self.owner_id}
        return (_rebuild, (DuplicateKey, (self.kind, self.key), fields))


class ConcurrencyConflict(RepositoryError):
    """``save`` of an aggregate whose version is not the stored one.

    Attributes:
        expected_version: the version the caller's copy was loaded at.
        actual_version: the version currently stored (``None`` if it was removed).
    """

    def __init__(
        self,
        kind: str,
        aggregate_id: object,
        *,
        expected_version: int,
        actual_version: int | None,
    ) -> None:
        self.kind = kind
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        stored = "removed" if actual_version is None else f"at version {actual_version}"
        self._fields = {"expected_version": expected_version, "actual_version": actual_version}
        super().__init__(
            f"{kind} {aggregate_id!s} was loaded at version {expected_version} "
            f"but is now {stored}; reload it and apply the change again"
        )

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (_rebuild, (ConcurrencyConflict, (self.kind, self.aggregate_id), self._fields))


class UnknownReference(RepositoryError):
    """A commit would leave an aggregate naming another one that is not stored.

    Raised at commit when an added or saved aggregate names (in ``field``,
    such as ``customer_id``) an aggregate that neither the store nor the same
    unit holds, or when the unit removes an aggregate that another one still
    names. Nothing of the unit is applied. The message names kinds, ids and
    the field, never other values.

    Attributes:
        kind: the kind of the aggregate holding the reference (``"order"``).
        aggregate_id: the id of that aggregate.
        field: the field holding the reference (``"customer_id"``).
        target_kind: the kind of the aggregate referred to (``"customer"``).
        target_id: the id referred to.
        removed: ``True`` when the unit removes the aggregate referred to,
            ``False`` when the referring aggregate names an unknown one.
    """

    def __init__(
        self,
        kind: str,
        aggregate_id: object,
        *,
        field: str,
        target_kind: str,
        target_id: object,
        removed: bool = False,
    ) -> None:
        self.kind = kind
        self.aggregate_id = aggregate_id
        self.field = field
        self.target_kind = target_kind
        self.target_id = target_id
        self.removed = removed
        if removed:
            message = (
                f"{target_kind} {target_id!s} cannot be removed: "
                f"{kind} {aggregate_id!s} still names it in {field}"
            )
        else:
            message = (
                f"{kind} {aggregate_id!s} names {target_kind} {target_id!s} in {field}, "
                f"but no such {target_kind} is stored"
            )
        super().__init__(message)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        fields = {
            "field": self.field,
            "target_kind": self.target_kind,
            "target_id": self.target_id,
            "removed": self.removed,
        }
        return (_rebuild, (UnknownReference, (self.kind, self.aggregate_id), fields))


class UnitOfWorkError(RepositoryError):
    """A unit of work was used outside its ``with`` block or after it ended."""


class StorageError(RepositoryError):
    """The storage behind a repository failed (a locked or unreadable database)."""


def _restore(
    cls: type[ValidationError], args: tuple[object, ...], state: dict[str, object]
) -> ValidationError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


def _rebuild(
    cls: type[RepositoryError], args: tuple[object, ...], kwargs: dict[str, object]
) -> RepositoryError:
    return cls(*args, **kwargs)
