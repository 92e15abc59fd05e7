"""Merging duplicate customers in a unit of work: preview, apply all or nothing, resolve.

:func:`merge_customers_in` merges one customer (the *absorbed*) into another
(the *survivor*) with :func:`crmcore.customers.merge_customers` and re-points
every record naming the absorbed customer (orders and their payments,
subscriptions, interactions, cases, reviews, survey responses, loyalty
accounts, leads, opportunities, relationships, activities, notes, and the
involved contacts of opportunities and cases) to the survivor, saving everything in the caller's
unit of work, or nothing. :func:`preview_customer_merge`
says what would change; :func:`apply_merge` applies a preview if nothing it saw
has changed since. :func:`resolve_customer` follows an absorbed id to the
customer that survived. See ``docs/merge.md``.
"""

from crmcore.merge._errors import MergeConflict, MergePreviewOutdated
from crmcore.merge._results import REPOSITORIES, MergePreview, MergeResult, RecordVersion
from crmcore.merge._service import (
    MAX_MERGE_CHAIN,
    apply_merge,
    merge_customers_in,
    preview_customer_merge,
    resolve_customer,
)

__all__ = [
    "MAX_MERGE_CHAIN",
    "REPOSITORIES",
    "MergeConflict",
    "MergePreview",
    "MergePreviewOutdated",
    "MergeResult",
    "RecordVersion",
    "apply_merge",
    "merge_customers_in",
    "preview_customer_merge",
    "resolve_customer",
]
