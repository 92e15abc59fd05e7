"""The audit trail's own error."""

from __future__ import annotations

from crmcore.errors import CrmcoreError


class RevealNotAllowed(CrmcoreError, PermissionError):
    """A reveal of personal values in an audit view for a purpose the audit policy does not allow.

    The message names the purpose's rule, never a record's values. The
    refusal itself is recorded (see :meth:`AuditLog.denied <crmcore.audit.AuditLog.denied>`).

    .. versionadded:: 0.1
    """
