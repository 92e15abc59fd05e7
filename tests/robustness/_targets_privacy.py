"""The targets of the privacy, access and audit capabilities (see ``_targets.py``)."""

from hypothesis import strategies as st

from crmcore import access, audit, clv, customers, privacy
from crmcore._kernel._ids import PrivacyRequestId
from crmcore.access import AccessPolicy, GuardedUnitOfWork, Principal
from crmcore.audit import (
    AuditEntry,
    AuditLog,
    AuditPolicy,
    Disclosure,
    FieldChange,
    RecordChange,
)
from crmcore.commerce import Order, Subscription
from crmcore.customers import Customer, CustomerId
from crmcore.feedback import NpsResponse, Review
from crmcore.interactions import Interaction
from crmcore.loyalty import LoyaltyAccount
from crmcore.parties import Relationship
from crmcore.privacy import GDPR, UU_PDP, DataSubjectRequest
from crmcore.sales import Lead, Opportunity
from crmcore.service import Case
from crmcore.teams import StaffId, StaffMember, TeamId
from crmcore.testing import strategies as crm

from ._corpus import (
    ACCOUNT,
    ANA,
    BASE_END,
    CASE,
    CID,
    DAY,
    DYNAMIC,
    FROZEN_SEGMENT,
    HOUR,
    INTERACTION,
    LATER,
    LEAD,
    NPS,
    OPPORTUNITY,
    ORDER,
    REVIEW,
    STATIC,
    SUBSCRIPTION,
    T0,
    TEAMS_STAFF,
    either,
)
from ._corpus_activities import ACTIVITY, NOTE
from ._corpus_privacy import (
    ACCESS_POLICY,
    AUDIENCE,
    AUDIT_LOG,
    AUDIT_POLICY,
    DENIED,
    ERASURE,
    EXPORT,
    FULFILLED_REQUEST,
    HELD,
    HOUSE_RULE,
    OPEN_REQUEST,
    PRINCIPAL,
    PRIVATE,
    RELATIONSHIP,
    RETENTION,
    REVEAL,
    SCREEN_CUSTOMERS,
    SCREEN_TABLE,
    SCREENED_SUMMARIES,
    SCREENING,
    audit_log,
    guarded_unit,
    subject_unit,
)
from ._fuzz import function, method

REQUESTS = either(OPEN_REQUEST, crm.data_subject_requests(max_steps=3, max_created_at=BASE_END))
JURISDICTIONS = st.one_of(st.sampled_from([HOUSE_RULE, GDPR, UU_PDP]), crm.jurisdictions())
RETENTIONS = either(RETENTION, crm.retention_policies(max_rules=3))
ACCESS_POLICIES = either(ACCESS_POLICY, crm.access_policies(max_grants=4))
#: A fresh log for every draw: its commands append.
AUDIT_LOGS = st.builds(audit_log)
PRIVATE_CUSTOMERS = either(
    HELD, crm.customers(max_contact_points=2, max_consents=2, max_created_at=BASE_END)
)
ALL_ROLES = ["sales_rep", "sales_manager", "service_agent", "dpo"]

# -- data-subject requests -------------------------------------------------------------------

function(
    DataSubjectRequest.receive,
    {
        "request_id": PrivacyRequestId("dsr-9"),
        "customer_id": CID,
        "kind": "erasure",
        "jurisdiction": "uu_pdp",
        "channel": "email",
        "at": LATER,
    },
    name="DataSubjectRequest.receive",
)
for _name, _args in {
    "is_overdue": lambda r: {"at": LATER},
    "time_left": lambda r: {"at": LATER},
    "verify_identity": lambda r: {"at": r.updated_at + HOUR},
    "extend": lambda r: {"at": r.updated_at + HOUR, "reason": "complexity"},
    "fulfil": lambda r: {"at": r.updated_at + HOUR},
    "refuse": lambda r: {"at": r.updated_at + HOUR, "reason": "excessive"},
    "repoint_customer": lambda r: {
        "previous": r.customer_id,
        "customer_id": CustomerId("c-77"),
        "at": LATER,
    },
    "without_pending_events": None,
}.items():
    method(REQUESTS, _name, _args, label="DataSubjectRequest")
for _name, _args in {
    "deadline_for": lambda j: {"kind": "access"},
    "due_at": lambda j: {"kind": "erasure", "received_at": T0, "extensions": j.max_extensions},
}.items():
    method(JURISDICTIONS, _name, _args, label="Jurisdiction")
function(privacy.jurisdiction_of, {"value": "gdpr", "known": (GDPR, UU_PDP, HOUSE_RULE)})
method(RETENTIONS, "rule_for", lambda p: {"kind": "interaction"}, label="RetentionPolicy")
function(
    privacy.due_for_retention,
    {
        "policy": RETENTION,
        "records": [OPEN_REQUEST, FULFILLED_REQUEST, INTERACTION],
        "at": LATER,
        "last_order_at": {CID: T0},
        "held": [CustomerId("c-77")],
    },
)

# -- export, erasure, screening --------------------------------------------------------------

# A fresh unit for every call: an accepted erasure changes it.
function(
    privacy.export_subject,
    lambda _: {"unit": subject_unit(), "customer_id": PRIVATE.id, "at": LATER},
)
function(
    privacy.erase_subject,
    lambda _: {"unit": subject_unit(), "customer_id": PRIVATE.id, "at": LATER},
)
method(st.just(ERASURE), "counts", label="ErasureReport")
method(st.just(EXPORT.manifest), "as_document", label="ExportManifest")
function(privacy.screen, {"customers": SCREEN_CUSTOMERS, "purpose": "profiling", "at": LATER})
method(st.just(SCREENING), "explain", lambda s: {"customer_id": PRIVATE.id}, label="Screening")
method(st.just(SCREENING), "reasons", label="Screening")
function(clv.screen_summaries, {"table": SCREEN_TABLE, "customers": SCREEN_CUSTOMERS, "at": LATER})
method(
    st.just(SCREENED_SUMMARIES),
    "explain",
    lambda s: {"customer_id": PRIVATE.id.value},
    label="ScreenedSummaries",
)
method(
    st.just(DYNAMIC),
    "audience",
    lambda s: {
        "customers": SCREEN_CUSTOMERS,
        "at": LATER,
        "purpose": "marketing",
        "facts": {PRIVATE.id: {"orders_count": 3}},
    },
    label="DynamicSegment",
)
for _segment, _label in ((STATIC, "StaticSegment"), (FROZEN_SEGMENT, "SnapshotSegment")):
    method(
        st.just(_segment),
        "audience",
        lambda s: {"customers": (ANA, *SCREEN_CUSTOMERS), "at": LATER, "purpose": "automation"},
        label=_label,
    )
method(st.just(AUDIENCE), "explain", lambda a: {"customer_id": CID}, label="Audience")

# -- customers: privacy state and commands ---------------------------------------------------

for _name, _args in {
    "processing_decision": lambda c: {"purpose": "profiling", "at": LATER},
    "restrict_processing": lambda c: {
        "at": LATER,
        "reason": "accuracy_contested",
        "request_id": PrivacyRequestId("dsr-3"),
    },
    "lift_restriction": lambda c: {"at": LATER},
    "object_to": lambda c: {"kind": "profiling", "at": LATER},
    "withdraw_objection": lambda c: {"kind": "profiling", "at": LATER},
    "place_legal_hold": lambda c: {"code": "claim_9", "at": LATER, "reason": "litigation"},
    "release_legal_hold": lambda c: {
        "code": c.privacy.legal_holds[0].code if c.privacy.legal_holds else "tax_2026",
        "at": LATER,
    },
    "anonymise": lambda c: {"at": LATER},
    "masked": lambda c: {"fields": list(Customer.personal_fields)},
    "personal_data": None,
}.items():
    method(PRIVATE_CUSTOMERS, _name, _args, label="Customer")
for _name, _args in {
    "objection": lambda s: {"kind": "profiling"},
    "legal_hold": lambda s: {"code": "tax_2026"},
    "times": None,
}.items():
    method(st.just(HELD.privacy), _name, _args, label="PrivacyState")
function(customers.decide_processing, {"state": HELD.privacy, "purpose": "marketing", "at": LATER})
function(customers.consents_without_identity, {"records": list(PRIVATE.consents)})

# -- every record kind: anonymise, masked, personal_data -------------------------------------

for _cls, _subjects in (
    (Interaction, either(INTERACTION, crm.interactions(max_created_at=BASE_END))),
    (Case, either(CASE, crm.cases(max_steps=3, max_created_at=BASE_END))),
    (Review, either(REVIEW, crm.reviews(max_created_at=BASE_END))),
    (NpsResponse, st.just(NPS)),
    (type(NOTE), either(NOTE, crm.notes(max_steps=3, max_created_at=BASE_END))),
    (type(ACTIVITY), either(ACTIVITY, crm.activities(max_steps=3, max_created_at=BASE_END))),
    (Lead, st.just(LEAD)),
    (Opportunity, st.just(OPPORTUNITY)),
    (Relationship, st.just(RELATIONSHIP)),
    (Order, either(ORDER, crm.orders(max_lines=2, max_steps=3, max_created_at=BASE_END))),
    (Subscription, st.just(SUBSCRIPTION)),
    (LoyaltyAccount, st.just(ACCOUNT)),
    (StaffMember, st.just(TEAMS_STAFF)),
):
    for _name, _args in {
        "anonymise": lambda r: {"at": LATER},
        "masked": lambda r: {"fields": list(type(r).personal_fields)},
        "personal_data": None,
    }.items():
        method(_subjects, _name, _args, label=_cls.__qualname__)

# -- access ----------------------------------------------------------------------------------

function(
    Principal,
    {
        "staff_id": StaffId("rep-9"),
        "roles": ["sales_rep"],
        "teams": [TeamId("t-1")],
        "territories": [],
        "business_unit": "jakarta",
    },
    name="Principal",
)
for _name, _args in {
    "scope_of": lambda p: {"role": "sales_rep", "kind": "customer", "action": "read"},
    "masked_for": lambda p: {"role": "sales_rep", "kind": "customer"},
    "roles_below": lambda p: {"role": "sales_manager"},
    "units_within": lambda p: {"unit": "organization"},
    "unit_of_team": lambda p: {"team": TeamId("t-1")},
    "check_principal": lambda p: {"principal": Principal(staff_id=StaffId("s-x"))},
    "to_dict": None,
}.items():
    method(ACCESS_POLICIES, _name, _args, label="AccessPolicy")
function(AccessPolicy.from_dict, {"doc": ACCESS_POLICY.to_dict()}, name="AccessPolicy.from_dict")
for _func in (access.decide, access.require):
    function(
        _func,
        {
            "policy": ACCESS_POLICY,
            "principal": PRINCIPAL,
            "action": "read",
            "record": PRIVATE,
            "customer": PRIVATE,
            "owner_roles": ["sales_rep"],
        },
    )
function(access.customer_id_of, {"record": CASE})
function(access.territory_of, {"policy": ACCESS_POLICY, "customer": PRIVATE})
function(
    GuardedUnitOfWork,
    lambda _: {
        "unit": subject_unit(open_=False),
        "principal": PRINCIPAL,
        "policy": ACCESS_POLICY,
        "audit": AuditLog(),
    },
    name="GuardedUnitOfWork",
)
GUARDED = st.builds(guarded_unit)
for _name, _args in {
    "commit": None,
    "rollback": None,
    "collect_events": lambda u: {"limit": 5},
    "acknowledge": lambda u: {"events": [e.event_id for e in u.collect_events(limit=2)]},
    "authorize": lambda u: {"action": "export", "record": PRIVATE},
}.items():
    method(GUARDED, _name, _args, label="GuardedUnitOfWork")

# -- audit -----------------------------------------------------------------------------------

_BEFORE = {"status": "open", "tags": ["vip", "late"], "profile": {"name": "Ana"}}
_AFTER = {"status": "closed", "tags": ["vip"], "reason": "solved", "profile": {"name": "Anna"}}
function(audit.diff_documents, {"before": _BEFORE, "after": _AFTER})
function(
    audit.apply_changes,
    {"document": _BEFORE, "changes": list(audit.diff_documents(_BEFORE, _AFTER))},
)
function(audit.format_path, {"segments": ["contact_points", 1, "value", "tier-1"]})
function(audit.parse_path, {"text": 'contact_points[1].attributes["tier-1"]', "path": "$.path"})
function(
    audit.is_personal_path,
    {"path": "profile.name.given", "personal": ["profile.name", "contact_points"]},
)
function(audit.record_document, {"record": PRIVATE})
function(
    AuditLog,
    {"policy": AUDIT_POLICY, "personal_fields": {"case": ["subject", "description"]}},
    name="AuditLog",
)
for _name, _args in {
    "record_commit": lambda log: {
        "changes": [
            RecordChange(
                aggregate_kind="customer",
                aggregate_id="c-priv",
                before=PRIVATE.without_pending_events(),
                after=PRIVATE.without_pending_events().add_tag("gold", at=LATER),
                actor="s-c",
            )
        ]
    },
    "record_denied": lambda log: {"attempt": DENIED},
    "history": lambda log: {
        "aggregate_kind": "customer",
        "aggregate_id": "c-priv",
        "reveal": REVEAL,
    },
    "by_actor": lambda log: {"actor": "s-b", "start": T0, "end": LATER, "reveal": None},
    "state_at": lambda log: {
        "aggregate_kind": "case",
        "aggregate_id": "k-priv",
        "at": T0 + 4 * DAY,
        "reveal": REVEAL,
    },
    "denied": lambda log: {
        "actor": "rep-1",
        "aggregate_kind": "customer",
        "aggregate_id": "c-2",
        "start": T0,
        "end": LATER,
    },
    "disclosures": lambda log: {
        "viewer": "s-dpo",
        "aggregate_kind": "customer",
        "aggregate_id": "c-priv",
    },
    "erase_values": lambda log: {"records": [("customer", "c-priv"), ("case", "k-priv")]},
    "to_dict": None,
}.items():
    method(AUDIT_LOGS, _name, _args, label="AuditLog")
function(
    AuditLog.from_dict,
    {
        "document": AUDIT_LOG.to_dict(),
        "policy": AUDIT_POLICY,
        "personal_fields": {"case": ["subject"]},
    },
    name="AuditLog.from_dict",
)
_ENTRIES = st.sampled_from(AUDIT_LOG.entries)
method(_ENTRIES, "to_dict", label="AuditEntry")
function(
    AuditEntry.from_dict,
    {"document": AUDIT_LOG.entries[1].to_dict(), "path": "$.entries[1]"},
    name="AuditEntry.from_dict",
)
_POLICIES = either(AUDIT_POLICY, st.just(AuditPolicy()))
method(
    _POLICIES,
    "allows",
    lambda p: {"roles": ["sales_rep", "dpo"], "purpose": "dispute"},
    label="AuditPolicy",
)
method(_POLICIES, "to_dict", label="AuditPolicy")
function(AuditPolicy.from_dict, {"document": AUDIT_POLICY.to_dict()}, name="AuditPolicy.from_dict")
_DISCLOSURE = AUDIT_LOG.disclosures()[0]
method(st.just(_DISCLOSURE), "to_dict", label="Disclosure")
function(
    Disclosure.from_dict,
    {"document": _DISCLOSURE.to_dict(), "path": "$.disclosures[0]"},
    name="Disclosure.from_dict",
)
_CHANGES = either(FieldChange("status", "open", "closed"), crm.field_changes())
method(_CHANGES, "to_dict", label="FieldChange")
function(
    FieldChange.from_dict,
    {"document": {"path": "tags[1]", "old": "late"}, "path": "$.changes[0]"},
    name="FieldChange.from_dict",
)
