"""Property tests of the audit trail over random record histories (`record_histories`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmcore._kernel._personal import ERASED
from crmcore.audit import (
    MASKED,
    AuditLog,
    AuditPolicy,
    RecordChange,
    Reveal,
    apply_changes,
    is_personal_path,
    record_document,
)
from crmcore.audit._masking import personal_paths
from crmcore.testing.strategies._audit import record_histories

POLICY = AuditPolicy({"dpo": ["dispute"]})


def _logged(history: tuple[RecordChange, ...]) -> AuditLog:
    log = AuditLog(policy=POLICY)
    for change in history:
        log.record_commit([change])
    return log


def _reveal(history: tuple[RecordChange, ...]) -> Reveal:
    last = history[-1].after
    return Reveal(viewer="s-dpo", roles=["dpo"], purpose="dispute", at=last.updated_at)


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar in a JSON value with its path (keys joined by dots, list indices as [i])."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, f"{path}[{index}]")
    else:
        yield path, value


def _personal_texts(history: tuple[RecordChange, ...]) -> set[str]:
    """Every personal text any state of the record held (what must not leak)."""
    found: set[str] = set()
    for change in history:
        for record in (change.before, change.after):
            if record is None:
                continue
            paths = personal_paths(record)
            for path, value in _leaves(record_document(record)):
                if (
                    isinstance(value, str)
                    and value not in {ERASED, MASKED}
                    and is_personal_path(path, paths)
                ):
                    found.add(value)
    return found


@given(record_histories())
def test_replaying_the_history_gives_the_current_document(
    history: tuple[RecordChange, ...],
) -> None:
    """Replaying every entry of a record from its first gives its document without pending events."""
    log = _logged(history)
    kind, ident = history[0].aggregate_kind, history[0].aggregate_id
    replayed = apply_changes(None, [c for e in log.entries for c in e.changes])
    assert replayed == record_document(history[-1].after.without_pending_events())
    assert [e.record for e in log.history(kind, ident)] == [(kind, ident)] * len(history)


@given(record_histories())
def test_state_at_each_change_is_the_document_then(history: tuple[RecordChange, ...]) -> None:
    """state_at at each commit's time equals the record's document after the last commit of that time."""
    log = _logged(history)
    kind, ident = history[0].aggregate_kind, history[0].aggregate_id
    reveal = _reveal(history)
    for entry, change in zip(log.entries, history, strict=True):
        if entry.at is None:
            continue
        later_same_time = [
            other
            for other, dated in zip(history, log.entries, strict=True)
            if dated.at is not None and dated.at <= entry.at
        ]
        expected = record_document(later_same_time[-1].after)
        assert log.state_at(kind, ident, entry.at, reveal=reveal) == expected
        assert change.after is not None


@given(record_histories())
def test_masked_views_hold_no_personal_value(history: tuple[RecordChange, ...]) -> None:
    """No personal text appears in a masked view unless it also appears as non-personal data."""
    log = _logged(history)
    kind, ident = history[0].aggregate_kind, history[0].aggregate_id
    masked = log.history(kind, ident)
    actor = history[-1].actor
    views = [
        json.dumps([e.to_dict() for e in masked]),
        json.dumps(log.state_at(kind, ident, history[-1].after.updated_at)),
        json.dumps([e.to_dict() for e in log.by_actor(actor)]) if actor else "[]",
    ]
    allowed = _non_personal_text(log)
    for value in _personal_texts(history):
        encoded = json.dumps(value)
        for view in views:
            assert encoded not in view or encoded in allowed
    assert log.disclosures() == ()
    revealed = log.history(kind, ident, reveal=_reveal(history))
    assert revealed == log.entries
    assert len(log.disclosures()) == 1


def _strip(value: Any, path: str, personal: tuple[str, ...]) -> Any:
    """``value`` (at ``path``) with every personal place replaced by None."""
    if is_personal_path(path, personal):
        return None
    if isinstance(value, dict):
        return {key: _strip(child, f"{path}.{key}", personal) for key, child in value.items()}
    if isinstance(value, list):
        return [_strip(child, f"{path}[{index}]", personal) for index, child in enumerate(value)]
    return value


def _non_personal_text(log: AuditLog) -> str:
    """The entries' text with every personal place left out (keys, paths, codes and other values kept)."""
    documents = []
    for entry in log.entries:
        document = entry.to_dict()
        document["changes"] = [
            {
                key: _strip(value, change["path"], entry.personal)
                if key in {"old", "new"}
                else value
                for key, value in change.items()
            }
            for change in document["changes"]
        ]
        documents.append(document)
    return json.dumps(documents)


@given(record_histories(anonymised=True))
def test_erase_values_leaves_no_personal_value_in_the_log(
    history: tuple[RecordChange, ...],
) -> None:
    """After anonymisation and erase_values, no personal text of any state survives in the log."""
    log = _logged(history)
    kind, ident = history[0].aggregate_kind, history[0].aggregate_id
    allowed = _non_personal_text(log) + json.dumps(record_document(history[-1].after))
    log.erase_values([(kind, ident)])
    text = json.dumps(log.to_dict())
    for value in _personal_texts(history):
        encoded = json.dumps(value)
        assert encoded not in text or encoded in allowed
    replayed = log.state_at(kind, ident, history[-1].after.updated_at, reveal=_reveal(history))
    assert replayed == record_document(history[-1].after)
    assert AuditLog.from_dict(json.loads(text)).entries == log.entries


@given(record_histories(), st.data())
def test_entries_round_trip_through_plain_dicts(
    history: tuple[RecordChange, ...], data: st.DataObject
) -> None:
    """Every entry survives to_dict, JSON and from_dict."""
    log = _logged(history)
    loaded = AuditLog.from_dict(json.loads(json.dumps(log.to_dict())), policy=POLICY)
    assert loaded.entries == log.entries
    entry = data.draw(st.sampled_from(log.entries))
    assert type(entry).from_dict(json.loads(json.dumps(entry.to_dict()))) == entry
