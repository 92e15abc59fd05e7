"""The audit trail: who changed what and when, with each field's old and new value.

.. versionadded:: 0.1
"""

from crmcore.audit._records import DeniedAttempt, RecordChange

__all__ = ["DeniedAttempt", "RecordChange"]
