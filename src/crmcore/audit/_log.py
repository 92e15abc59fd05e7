"""The audit trail: one entry per record a committed unit of work changed.

An :class:`AuditLog` compares each record before and after a commit (their
documents from :func:`crmcore.serialization.to_dict`) and keeps, for each,
an :class:`AuditEntry`: who, when, which events, and every changed field
with its old and new value. Personal values are masked in every view unless
the caller states a purpose the log's :class:`AuditPolicy` allows; each such
reveal is recorded as a :class:`Disclosure`. Refused commands and reads
(:class:`DeniedAttempt`) are kept beside the entries.

The log is plain memory the application owns (no global state); its
:meth:`AuditLog.to_dict` document can be stored and loaded back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from crmcore._kernel._checks import (
    json_type_name,
    require_aware,
    type_name,
)
from crmcore._kernel._ids import id_text
from crmcore.audit._documents import (
    JsonValue,
    apply_changes,
    check_json,
    diff_documents,
)
from crmcore.audit._entries import (
    LEFT_OUT,
    MAX_LOG_ITEMS,
    AuditEntry,
    AuditOperation,
    AuditPolicy,
    Disclosure,
    Reveal,
    _check_denied,
    _code,
    _denied_from_dict,
    _denied_to_dict,
    _fields_of,
    _optional_at,
)
from crmcore.audit._errors import RevealNotAllowed
from crmcore.audit._masking import (
    check_personal_paths,
    erase_change,
    mask_change,
    mask_document,
    personal_paths,
)
from crmcore.audit._records import DeniedAttempt, RecordChange
from crmcore.errors import InvalidType, ValidationError
from crmcore.serialization import to_dict

# -- the log -------------------------------------------------------------------------------------

_Key = tuple[str, str]


def record_document(record: object) -> dict[str, JsonValue]:
    """A record's document as the audit trail compares it: without :data:`LEFT_OUT`."""
    without = getattr(record, "without_pending_events", None)
    document = to_dict(without() if callable(without) else record)
    if not isinstance(document, dict):
        raise InvalidType(f"must be a record, not {type_name(record)}", path="$.record")
    for name in LEFT_OUT:
        document.pop(name, None)
    return document


def _version_after(before: object, after: object) -> int | None:
    """The version the store holds after the commit: a save of version n stores n + 1."""
    if after is None:
        return None
    version: int | None = getattr(after, "version", None)
    if version is not None and before is not None and version == getattr(before, "version", None):
        return version + 1
    return version


def _in_window(at: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if start is None and end is None:
        return True
    if at is None:
        return False
    return (start is None or start <= at) and (end is None or at < end)


class AuditLog:
    """An append-only audit trail of committed changes, refusals and reveals (see the module).

    Args:
        policy: who may reveal personal values, for which purposes (none by default).
        personal_fields: more personal paths per record kind, added to those
            each entry took from its record's class (for kinds whose class
            declared fewer when older entries were written).

    >>> log = AuditLog()
    >>> log.entries
    ()

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        policy: AuditPolicy | None = None,
        personal_fields: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        if policy is not None and not isinstance(policy, AuditPolicy):
            raise InvalidType(f"must be an AuditPolicy, not {type_name(policy)}", path="$.policy")
        self._policy = AuditPolicy() if policy is None else policy
        extra = {} if personal_fields is None else personal_fields
        if not isinstance(extra, Mapping):
            raise InvalidType(
                f"must be a mapping, not {type_name(extra)}", path="$.personal_fields"
            )
        self._extra = {
            _code(kind, "$.personal_fields[*]"): check_personal_paths(
                paths, f"$.personal_fields.{kind}"
            )
            for kind, paths in extra.items()
        }
        self._entries: list[AuditEntry] = []
        self._by_record: dict[_Key, list[int]] = {}
        self._current: dict[_Key, dict[str, JsonValue] | None] = {}
        self._denied: list[DeniedAttempt] = []
        self._disclosures: list[Disclosure] = []

    def __repr__(self) -> str:
        return (
            f"AuditLog(entries={len(self._entries)}, denied={len(self._denied)}, "
            f"disclosures={len(self._disclosures)})"
        )

    @property
    def policy(self) -> AuditPolicy:
        """The policy deciding reveals."""
        return self._policy

    @property
    def entries(self) -> tuple[AuditEntry, ...]:
        """Every entry, unmasked, in order: for storing the log, not for display."""
        return tuple(self._entries)

    # -- recording -------------------------------------------------------------------------------

    def record_commit(self, changes: Sequence[RecordChange]) -> None:
        """Record a committed unit's changes (they are then the last :attr:`entries`).

        Each record gets one entry (after an ``observed`` one if the log had
        not seen the record as it was before). All are checked first:
        nothing is recorded if one is refused.

        Raises:
            InvalidType: not a sequence of RecordChange, or a record that is not one.
            ValidationError: a change with neither record, records of another
                kind or id, or a time before the record's last entry
                (``time_backwards``).
        """
        if not isinstance(changes, Sequence):
            raise InvalidType(
                f"must be a sequence of RecordChange, not {type_name(changes)}", path="$.changes"
            )
        current: dict[_Key, dict[str, JsonValue] | None] = {}
        last: dict[_Key, datetime | None] = {}
        made: list[AuditEntry] = []
        for index, change in enumerate(changes):
            path = f"$.changes[{index}]"
            if not isinstance(change, RecordChange):
                raise InvalidType(f"must be a RecordChange, not {type_name(change)}", path=path)
            try:
                self._entries_of(change, current, last, made)
            except ValidationError as error:
                raise error.under(path) from None
        for entry in made:
            self._append(entry)
        for key, document in current.items():
            self._current[key] = document

    def _entries_of(
        self,
        change: RecordChange,
        current: dict[_Key, dict[str, JsonValue] | None],
        last: dict[_Key, datetime | None],
        made: list[AuditEntry],
    ) -> None:
        key = (
            _code(change.aggregate_kind, "$.aggregate_kind"),
            id_text(change.aggregate_id, "$.aggregate_id"),
        )
        before, after = change.before, change.after
        if before is None and after is None:
            raise ValidationError(
                "must have a record before or after", path="$.after", code="empty"
            )
        old = None if before is None else record_document(before)
        new = None if after is None else record_document(after)
        for record in (before, after):
            if record is not None and (
                getattr(record, "aggregate_kind", key[0]) != key[0]
                or str(getattr(getattr(record, "id", None), "value", key[1])) != key[1]
            ):
                raise ValidationError(
                    "must be a record of this kind and id", path="$.after", code="other_record"
                )
        seen = current[key] if key in current else self._current.get(key)
        previous = last[key] if key in last else self._last_time(key)
        at = _optional_at(change.at)
        events = self._events(before, after)
        if at is None and events:
            at = max(event.occurred_at for event in events)
        if at is not None and previous is not None and at < previous:
            raise ValidationError(
                "must not be before the record's last audit entry",
                path="$.at",
                code="time_backwards",
            )
        personal = personal_paths(after if after is not None else before)
        number = len(self._entries) + len(made) + 1
        if seen != old:
            observed_at = getattr(before, "updated_at", None) if before is not None else at
            if observed_at is not None and previous is not None and observed_at < previous:
                observed_at = previous
            made.append(
                AuditEntry(
                    number=number,
                    aggregate_kind=key[0],
                    aggregate_id=key[1],
                    operation=AuditOperation.OBSERVED,
                    version=getattr(before, "version", None),
                    at=observed_at,
                    changes=diff_documents(seen, old),
                    personal=personal,
                )
            )
            number += 1
        actors = {event.actor for event in events} - {None}
        actor = (
            change.actor
            if change.actor is not None
            else (actors.pop() if len(actors) == 1 else None)
        )
        operation = (
            AuditOperation.ADDED
            if before is None
            else AuditOperation.REMOVED
            if after is None
            else AuditOperation.SAVED
        )
        made.append(
            AuditEntry(
                number=number,
                aggregate_kind=key[0],
                aggregate_id=key[1],
                operation=operation,
                version=_version_after(before, after),
                at=at,
                actor=actor,
                event_types=[type(event).__name__ for event in events],
                event_ids=[event.event_id for event in events],
                changes=diff_documents(old, new),
                personal=personal,
            )
        )
        current[key] = new
        if at is not None:
            last[key] = at

    @staticmethod
    def _events(before: object, after: object) -> tuple[Any, ...]:
        if after is None:
            return ()
        since = getattr(before, "sequence", 0) if before is not None else 0
        events: tuple[Any, ...] = getattr(after, "pending_events", ())
        return tuple(event for event in events if event.sequence > since)

    def _last_time(self, key: _Key) -> datetime | None:
        for index in reversed(self._by_record.get(key, ())):
            at = self._entries[index].at
            if at is not None:
                return at
        return None

    def _append(self, entry: AuditEntry) -> None:
        self._by_record.setdefault(entry.record, []).append(len(self._entries))
        self._entries.append(entry)

    def record_denied(self, attempt: DeniedAttempt) -> None:
        """Keep one refused read, command or export.

        Raises:
            InvalidType: not a DeniedAttempt, or a field of the wrong type.
            ValidationError: a field breaking its rule (ids, codes, an aware time).
        """
        if not isinstance(attempt, DeniedAttempt):
            raise InvalidType(
                f"must be a DeniedAttempt, not {type_name(attempt)}", path="$.attempt"
            )
        self._denied.append(_check_denied(attempt))

    # -- reading ---------------------------------------------------------------------------------

    def _personal(self, entry: AuditEntry) -> tuple[str, ...]:
        extra = self._extra.get(entry.aggregate_kind, ())
        return tuple(sorted({*entry.personal, *extra})) if extra else entry.personal

    def _revealed(self, reveal: Reveal | None, records: Iterable[_Key]) -> bool:
        """True if ``reveal`` is allowed (each record's disclosure is recorded); refusals raise."""
        if reveal is None:
            return False
        if not isinstance(reveal, Reveal):
            raise InvalidType(f"must be a Reveal, not {type_name(reveal)}", path="$.reveal")
        keys = sorted(set(records))
        if not self._policy.allows(reveal.roles, reveal.purpose):
            refused: list[tuple[str, str | None]] = [*keys] or [("audit", None)]
            for kind, ident in refused:
                self._denied.append(
                    DeniedAttempt(
                        actor=reveal.viewer,
                        action="reveal",
                        aggregate_kind=kind,
                        aggregate_id=ident,
                        rule="purpose",
                        at=reveal.at,
                    )
                )
            raise RevealNotAllowed(
                "the audit policy allows none of these roles to reveal personal values "
                "for this purpose"
            )
        self._disclosures.extend(
            Disclosure(
                viewer=reveal.viewer,
                purpose=reveal.purpose,
                aggregate_kind=kind,
                aggregate_id=ident,
                at=reveal.at,
            )
            for kind, ident in keys
        )
        return True

    def _shown(self, entries: list[AuditEntry], reveal: Reveal | None) -> tuple[AuditEntry, ...]:
        if self._revealed(reveal, (entry.record for entry in entries)):
            return tuple(entries)
        return tuple(self._masked(entry) for entry in entries)

    def _masked(self, entry: AuditEntry) -> AuditEntry:
        personal = self._personal(entry)
        if not personal:
            return entry
        return attrs.evolve(entry, changes=[mask_change(c, personal) for c in entry.changes])

    def history(
        self, aggregate_kind: str, aggregate_id: object, *, reveal: Reveal | None = None
    ) -> tuple[AuditEntry, ...]:
        """The entries of one record, oldest first; personal values masked unless revealed.

        Raises:
            RevealNotAllowed: ``reveal`` states a purpose the policy does not
                allow the roles (the refusal is recorded).
        """
        key = (_code(aggregate_kind, "$.aggregate_kind"), id_text(aggregate_id, "$.aggregate_id"))
        return self._shown([self._entries[i] for i in self._by_record.get(key, ())], reveal)

    def by_actor(
        self,
        actor: object,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        reveal: Reveal | None = None,
    ) -> tuple[AuditEntry, ...]:
        """The entries of changes ``actor`` made, oldest first, at ``start`` or later and before ``end``.

        Entries with no time are left out when a bound is given. Personal
        values are masked unless revealed.
        """
        who = id_text(actor, "$.actor")
        low, high = _optional_at(start), _optional_at(end)
        found = [e for e in self._entries if e.actor == who and _in_window(e.at, low, high)]
        return self._shown(found, reveal)

    def state_at(
        self,
        aggregate_kind: str,
        aggregate_id: object,
        at: datetime,
        *,
        reveal: Reveal | None = None,
    ) -> dict[str, JsonValue] | None:
        """The record's document as it was at ``at`` (``None``: it did not exist then).

        Replays the record's entries dated at or before ``at`` (an entry with
        no time counts once a later entry at or before ``at`` follows it).
        The document leaves out :data:`LEFT_OUT`; personal values are masked
        unless revealed.
        """
        key = (_code(aggregate_kind, "$.aggregate_kind"), id_text(aggregate_id, "$.aggregate_id"))
        when = require_aware(at, "$.at")
        entries = [self._entries[i] for i in self._by_record.get(key, ())]
        count = 0
        for position, entry in enumerate(entries, start=1):
            if entry.at is not None:
                if entry.at > when:
                    break
                count = position
        replayed = entries[:count]
        if not replayed:
            return None
        document = apply_changes(None, (c for e in replayed for c in e.changes))
        if replayed[-1].operation is AuditOperation.REMOVED and not document:
            return None
        if self._revealed(reveal, [key]):
            return document
        return mask_document(document, self._personal(replayed[-1]))

    def denied(
        self,
        *,
        actor: object = None,
        aggregate_kind: str | None = None,
        aggregate_id: object = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[DeniedAttempt, ...]:
        """The refused attempts, oldest first, filtered by any of the arguments given."""
        who = None if actor is None else id_text(actor, "$.actor")
        kind = None if aggregate_kind is None else _code(aggregate_kind, "$.aggregate_kind")
        ident = None if aggregate_id is None else id_text(aggregate_id, "$.aggregate_id")
        low, high = _optional_at(start), _optional_at(end)
        return tuple(
            attempt
            for attempt in self._denied
            if (who is None or attempt.actor == who)
            and (kind is None or attempt.aggregate_kind == kind)
            and (ident is None or attempt.aggregate_id == ident)
            and _in_window(attempt.at, low, high)
        )

    def disclosures(
        self,
        *,
        viewer: object = None,
        aggregate_kind: str | None = None,
        aggregate_id: object = None,
    ) -> tuple[Disclosure, ...]:
        """The reveals that happened, oldest first, filtered by any of the arguments given."""
        who = None if viewer is None else id_text(viewer, "$.viewer")
        kind = None if aggregate_kind is None else _code(aggregate_kind, "$.aggregate_kind")
        ident = None if aggregate_id is None else id_text(aggregate_id, "$.aggregate_id")
        return tuple(
            found
            for found in self._disclosures
            if (who is None or found.viewer == who)
            and (kind is None or found.aggregate_kind == kind)
            and (ident is None or found.aggregate_id == ident)
        )

    # -- erasure ---------------------------------------------------------------------------------

    def erase_values(self, records: Iterable[tuple[str, str]]) -> int:
        """Replace every personal value in the entries of ``records`` by ``"[erased]"``.

        For each ``(aggregate_kind, aggregate_id)``, every text and number at
        or under a personal path, old or new, in every entry becomes
        :data:`~crmcore._kernel._personal.ERASED`, except the values the
        record holds there now (run it after the anonymisation was
        committed: those are then its tombstones), so the history still
        replays to the record's current, anonymised state. ``None`` and
        booleans are kept. Returns how many values were erased.

        Raises:
            InvalidType: ``records`` is not an iterable of (kind, id) pairs.
        """
        given: object = records
        if isinstance(given, str) or not isinstance(given, Iterable):
            raise InvalidType(
                f"must be an iterable of pairs, not {type_name(given)}", path="$.records"
            )
        keys: list[_Key] = []
        for index, pair in enumerate(given):
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidType(
                    f"must be a (kind, id) pair, not {type_name(pair)}", path=f"$.records[{index}]"
                )
            keys.append(
                (
                    _code(pair[0], f"$.records[{index}][0]"),
                    id_text(pair[1], f"$.records[{index}][1]"),
                )
            )
        erased = 0
        for key in keys:
            final = self._current.get(key)
            for position in self._by_record.get(key, ()):
                entry = self._entries[position]
                personal = self._personal(entry)
                if not personal:
                    continue
                changes = []
                for change in entry.changes:
                    new_change, count = erase_change(change, personal, final)
                    changes.append(new_change)
                    erased += count
                self._entries[position] = attrs.evolve(entry, changes=changes)
        return erased

    # -- storage ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, JsonValue]:
        """The whole log as a plain dict (values included: store it as securely as the records)."""
        return {
            "entries": [entry.to_dict() for entry in self._entries],
            "denied": [_denied_to_dict(attempt) for attempt in self._denied],
            "disclosures": [found.to_dict() for found in self._disclosures],
        }

    @classmethod
    def from_dict(
        cls,
        document: object,
        *,
        policy: AuditPolicy | None = None,
        personal_fields: Mapping[str, Iterable[str]] | None = None,
    ) -> AuditLog:
        """The log a :meth:`to_dict` document describes, validated and replayed.

        Raises:
            InvalidType: a value of the wrong type.
            ValidationError: a missing or unknown key, entries out of number
                or time order, or changes that do not replay.
        """
        log = cls(policy=policy, personal_fields=personal_fields)
        fields = _fields_of(document, "$", ("entries", "denied", "disclosures"))
        for name in ("entries", "denied", "disclosures"):
            items = fields[name]
            if not isinstance(items, list):
                raise InvalidType(f"must be a list, not {json_type_name(items)}", path=f"$.{name}")
            if len(items) > MAX_LOG_ITEMS:
                raise ValidationError("holds too many items", path=f"$.{name}", code="too_many")
        check_json(fields, "$")
        for index, item in enumerate(fields["entries"]):
            path = f"$.entries[{index}]"
            entry = AuditEntry.from_dict(item, path)
            if entry.number != index + 1:
                raise ValidationError(
                    "must be numbered in order from 1", path=f"{path}.number", code="order"
                )
            previous = log._last_time(entry.record)
            if entry.at is not None and previous is not None and entry.at < previous:
                raise ValidationError(
                    "must not be before the record's last entry",
                    path=f"{path}.at",
                    code="time_backwards",
                )
            try:
                replayed = apply_changes(log._current.get(entry.record), entry.changes)
            except ValidationError as error:
                raise error.under(path) from None
            log._current[entry.record] = replayed or None
            log._append(entry)
        log._denied = [
            _denied_from_dict(item, f"$.denied[{i}]") for i, item in enumerate(fields["denied"])
        ]
        log._disclosures = [
            Disclosure.from_dict(item, f"$.disclosures[{i}]")
            for i, item in enumerate(fields["disclosures"])
        ]
        return log
