"""The audit trail: who changed what and when, with each field's old and new value.

An access-guarded unit of work hands an :class:`AuditLog` every committed
change (:class:`RecordChange`) and every refusal (:class:`DeniedAttempt`).
The log keeps, per record, an :class:`AuditEntry` with the changed fields
(:class:`FieldChange`: a path in the record's document, the old and the new
value), answers who changed what (:meth:`AuditLog.history`,
:meth:`AuditLog.by_actor`) and what a record looked like at a time
(:meth:`AuditLog.state_at`), masks personal values unless a purpose the
:class:`AuditPolicy` allows is stated, and erases them for good
(:meth:`AuditLog.erase_values`). See ``docs/audit.md``.

.. versionadded:: 0.1
"""

from crmcore.audit._documents import (
    ABSENT,
    MAX_DOCUMENT_DEPTH,
    MAX_DOCUMENT_NODES,
    MAX_PATH_LENGTH,
    FieldChange,
    apply_changes,
    diff_documents,
    format_path,
    parse_path,
)
from crmcore.audit._entries import (
    LEFT_OUT,
    MAX_LOG_ITEMS,
    AuditEntry,
    AuditOperation,
    AuditPolicy,
    Disclosure,
    Reveal,
)
from crmcore.audit._errors import RevealNotAllowed
from crmcore.audit._log import AuditLog, record_document
from crmcore.audit._masking import MASKED, MAX_PERSONAL_PATHS, is_personal_path
from crmcore.audit._records import DeniedAttempt, RecordChange

__all__ = [
    "ABSENT",
    "LEFT_OUT",
    "MASKED",
    "MAX_DOCUMENT_DEPTH",
    "MAX_DOCUMENT_NODES",
    "MAX_LOG_ITEMS",
    "MAX_PATH_LENGTH",
    "MAX_PERSONAL_PATHS",
    "AuditEntry",
    "AuditLog",
    "AuditOperation",
    "AuditPolicy",
    "DeniedAttempt",
    "Disclosure",
    "FieldChange",
    "RecordChange",
    "Reveal",
    "RevealNotAllowed",
    "apply_changes",
    "diff_documents",
    "format_path",
    "is_personal_path",
    "parse_path",
    "record_document",
]
