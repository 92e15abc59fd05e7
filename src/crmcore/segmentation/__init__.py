"""Segmentation: a safe, serializable rule language, segments, RFM and CLV tiers.

Rules are written in Python over customer *snapshots* (flat mappings of a
customer's profile, tags, consents and computed facts), compile once into
fast predicates, explain their answers with personal data masked, and
round-trip through JSON-ready dicts for storage::

    >>> from crmcore.segmentation import all_of, field, rule_from_dict, rule_to_dict
    >>> audience = all_of(
    ...     field("frequency") >= 3,
    ...     field("stage").is_in({"client", "member"}),
    ...     field("may_email_marketing").is_true(),
    ... )
    >>> audience.matches({"frequency": 4, "stage": "member", "may_email_marketing": True})
    True
    >>> rule_from_dict(rule_to_dict(audience)) == audience
    True

See docs/segmentation.md for the full guide.
"""

from crmcore.segmentation._audience import MAX_AUDIENCE_CUSTOMERS
from crmcore.segmentation._documents import (
    is_rule_type,
    register_rule_hooks,
    rule_from_dict,
    rule_to_dict,
    structure_rule,
)
from crmcore.segmentation._evaluate import Operator, Predicate
from crmcore.segmentation._field import Field, field
from crmcore.segmentation._ranking import quantile_scores, threshold_scores
from crmcore.segmentation._rfm import (
    RfmScheme,
    RfmScore,
    RfmSegment,
    RfmSegmentSummary,
    RfmValues,
    rfm_segment,
    rfm_values,
    score_rfm,
    segment_grid,
    summarize_segments,
)
from crmcore.segmentation._rfm_columns import rfm_values_columns
from crmcore.segmentation._rfm_cuts import RfmCutPoints, rfm_cut_points, score_rfm_columns
from crmcore.segmentation._rules import (
    DEFAULT_PERSONAL_FIELDS,
    MAX_RULE_DEPTH,
    MAX_RULE_NODES,
    AllOf,
    AnyOf,
    Condition,
    Explanation,
    Not,
    Rule,
    Span,
    all_of,
    any_of,
    is_personal,
    not_,
)
from crmcore.segmentation._schema import (
    SNAPSHOT_FIELDS,
    FieldSpec,
    FieldType,
    Schema,
    check_rule,
    personal_fields,
    spec_for,
)
from crmcore.segmentation._segments import (
    Audience,
    DynamicSegment,
    MembershipChange,
    Segment,
    SegmentEntered,
    SegmentEvent,
    SegmentId,
    SegmentLeft,
    SnapshotSegment,
    StaticSegment,
    membership_change,
)
from crmcore.segmentation._snapshot import purchase_facts, snapshot
from crmcore.segmentation._sql import SqlQuery
from crmcore.segmentation._tiers import (
    ClvTier,
    tier_counts,
    tiers_by_percentile,
    tiers_by_threshold,
)
from crmcore.segmentation._values import MISSING, Kind, fold

__all__ = [
    "DEFAULT_PERSONAL_FIELDS",
    "MAX_AUDIENCE_CUSTOMERS",
    "MAX_RULE_DEPTH",
    "MAX_RULE_NODES",
    "MISSING",
    "SNAPSHOT_FIELDS",
    "AllOf",
    "AnyOf",
    "Audience",
    "ClvTier",
    "Condition",
    "DynamicSegment",
    "Explanation",
    "Field",
    "FieldSpec",
    "FieldType",
    "Kind",
    "MembershipChange",
    "Not",
    "Operator",
    "Predicate",
    "RfmCutPoints",
    "RfmScheme",
    "RfmScore",
    "RfmSegment",
    "RfmSegmentSummary",
    "RfmValues",
    "Rule",
    "Schema",
    "Segment",
    "SegmentEntered",
    "SegmentEvent",
    "SegmentId",
    "SegmentLeft",
    "SnapshotSegment",
    "Span",
    "SqlQuery",
    "StaticSegment",
    "all_of",
    "any_of",
    "check_rule",
    "field",
    "fold",
    "is_personal",
    "is_rule_type",
    "membership_change",
    "not_",
    "personal_fields",
    "purchase_facts",
    "quantile_scores",
    "register_rule_hooks",
    "rfm_cut_points",
    "rfm_segment",
    "rfm_values",
    "rfm_values_columns",
    "rule_from_dict",
    "rule_to_dict",
    "score_rfm",
    "score_rfm_columns",
    "segment_grid",
    "snapshot",
    "spec_for",
    "structure_rule",
    "summarize_segments",
    "threshold_scores",
    "tier_counts",
    "tiers_by_percentile",
    "tiers_by_threshold",
]
