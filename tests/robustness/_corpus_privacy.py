"""The corpus of the privacy, access and audit capabilities: one of every type.

Imported by ``_corpus.py`` before it harvests its samples, so every public attrs type of
:mod:`crmcore.privacy`, :mod:`crmcore.access` and :mod:`crmcore.audit` (and the privacy
state, decisions and ``...Anonymised`` events of the record packages) has a valid sample.
"""

from datetime import date

from crmcore import clv
from crmcore._kernel._ids import PrivacyRequestId
from crmcore.access import AccessPolicy, GuardedUnitOfWork, Principal, decide
from crmcore.audit import AuditLog, AuditPolicy, DeniedAttempt, RecordChange, Reveal
from crmcore.commerce import Order, OrderId
from crmcore.customers import ContactPoint, Customer, CustomerId, PersonName, PostalAddress
from crmcore.interactions import Interaction, InteractionId
from crmcore.parties import Relationship, RelationshipId
from crmcore.privacy import (
    GDPR,
    DataSubjectRequest,
    ExtensionRule,
    Jurisdiction,
    RetentionPolicy,
    RetentionRule,
    due_for_retention,
    erase_subject,
    export_subject,
    screen,
)
from crmcore.repository import InMemoryUnitOfWork
from crmcore.service import Case, CaseId
from crmcore.teams import StaffId, StaffMember, TeamId, TerritoryId

from ._corpus import (
    ACCOUNT,
    ANA,
    CALENDAR,
    CID,
    CLOSED_CASE,
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
    TEA,
    TEAMS_STAFF,
    TEAMS_TERRITORIES,
)
from ._corpus_activities import ACTIVITY, NOTE

# -- data-subject requests, jurisdictions and retention --------------------------------------

REQUEST_ID = PrivacyRequestId("dsr-1")
OPEN_REQUEST = DataSubjectRequest.receive(
    REQUEST_ID, customer_id=CID, kind="access", jurisdiction=GDPR, channel="web", at=T0
)
#: A request through every command (so every event has a sample).
FULFILLED_REQUEST = (
    OPEN_REQUEST.verify_identity(at=T0 + DAY)
    .extend(at=T0 + 2 * DAY, reason="complexity")
    .repoint_customer(CID, CustomerId("c-77"), at=T0 + 3 * DAY)
    .fulfil(at=T0 + 10 * DAY)
)
REFUSED_REQUEST = DataSubjectRequest.receive(
    PrivacyRequestId("dsr-2"),
    customer_id=CID,
    kind="erasure",
    jurisdiction="uu_pdp",
    channel="email",
    at=T0,
).refuse(at=T0 + HOUR, reason="identity_not_verified")
HOUSE_RULE = Jurisdiction(
    "house_rule",
    unit="business_days",
    deadlines=dict.fromkeys(
        ["access", "rectification", "erasure", "restriction", "objection", "consent_withdrawal"], 5
    ),
    extension=ExtensionRule(5, max_times=2, before_deadline=False),
    calendar=CALENDAR,
)
RETENTION = RetentionPolicy(
    [
        RetentionRule("privacy_request", action="delete", after_years=5),
        RetentionRule("interaction", action="anonymise", after_months=24),
    ]
)
RETENTION_DUE = due_for_retention(
    RETENTION, [REFUSED_REQUEST, INTERACTION], at=LATER, held={CustomerId("c-77")}
)

# -- customers: restriction, objection, legal holds, erasure ---------------------------------

PRIVATE = Customer.register(
    CustomerId("c-priv"),
    name=PersonName("Sari", family="Wulandari"),
    at=T0,
    birth_date=date(1990, 2, 14),
    addresses=[PostalAddress(["Jl. Kenanga 3"], "ID", locality="Bandung", postal_code="40115")],
    contact_points=[ContactPoint("email", "sari.w@example.com", primary=True)],
    owner=StaffId("rep-1"),
    team=TeamId("t-1"),
).give_consent("email", "marketing", at=T0 + HOUR, source="web-form", address="sari.w@example.com")
#: A customer through every privacy command, restricted, objecting and under a hold.
HELD = (
    PRIVATE.restrict_processing(at=T0 + DAY, reason="accuracy_contested", request_id=REQUEST_ID)
    .lift_restriction(at=T0 + DAY)
    .object_to("profiling", at=T0 + DAY)
    .object_to("direct_marketing", at=T0 + DAY)
    .withdraw_objection("direct_marketing", at=T0 + DAY)
    .place_legal_hold("tax_2026", at=T0 + DAY, reason="tax_audit")
    .place_legal_hold("claim_7", at=T0 + DAY, reason="litigation")
    .release_legal_hold("claim_7", at=T0 + DAY)
    .restrict_processing(at=T0 + 2 * DAY, reason="accuracy_contested")
)
ERASED = PRIVATE.anonymise(at=T0 + 2 * DAY, actor="staff:dpo-1", correlation_id="dsr-1")
OBJECTOR = Customer.register(
    CustomerId("c-obj"),
    name=PersonName("Dewi"),
    at=T0,
    contact_points=[ContactPoint("email", "dewi@example.com")],
    tags=["vip"],
).object_to("direct_marketing", at=T0 + HOUR)
SCREENED = (PRIVATE, HELD.without_pending_events(), OBJECTOR)
#: Different ids, so they may be screened together.
SCREEN_CUSTOMERS = (
    PRIVATE,
    OBJECTOR,
    Customer.register(CustomerId("c-res"), name=PersonName("Rudi"), at=T0).restrict_processing(
        at=T0 + HOUR, reason="accuracy_contested"
    ),
)
SCREENING = screen(SCREEN_CUSTOMERS, "marketing", at=LATER)
AUDIENCE = DYNAMIC.audience(SCREEN_CUSTOMERS, at=LATER)
SUMMARY_ORDERS = [(c.id.value, T0, "100000") for c in SCREEN_CUSTOMERS]
SCREEN_TABLE = clv.summarize(SUMMARY_ORDERS, period="day", observation_end=LATER)
SCREENED_SUMMARIES = clv.screen_summaries(SCREEN_TABLE, SCREEN_CUSTOMERS, at=LATER)

# -- every record kind anonymised ------------------------------------------------------------

RELATIONSHIP = Relationship.establish(
    RelationshipId("rel-1"),
    kind="contact_of",
    party_id=CID,
    related_id=CustomerId("c-2"),
    at=T0,
    job_title="Buyer",
    department="Purchasing",
)
ANONYMISED = (
    INTERACTION.anonymise(at=LATER),
    CLOSED_CASE.anonymise(at=LATER),
    REVIEW.anonymise(at=LATER),
    NPS.anonymise(at=LATER),
    NOTE.anonymise(at=LATER),
    ACTIVITY.anonymise(at=LATER),
    LEAD.anonymise(at=LATER),
    OPPORTUNITY.anonymise(at=LATER),
    RELATIONSHIP.anonymise(at=LATER),
    ORDER.anonymise(at=LATER),
    SUBSCRIPTION.cancel(at=T0 + 50 * DAY, reason="too pricey").anonymise(at=LATER),
    ACCOUNT.anonymise(at=LATER),
    TEAMS_STAFF.anonymise(at=LATER),
)

# -- access ----------------------------------------------------------------------------------

ACCESS_POLICY = AccessPolicy.from_dict(
    {
        "roles": ["sales_rep", "sales_manager", "service_agent", "dpo"],
        "reports_to": {"sales_rep": "sales_manager"},
        "business_units": {"organization": None, "jakarta": "organization"},
        "team_units": {"t-1": "jakarta"},
        "grants": [
            {
                "role": "sales_rep",
                "kind": "*",
                "actions": ["read", "create", "update"],
                "scope": "own",
            },
            {"role": "sales_rep", "kind": "case", "actions": ["read"], "scope": "territory"},
            {
                "role": "sales_manager",
                "kind": "*",
                "actions": ["read", "update"],
                "scope": "business_unit_tree",
            },
            {"role": "dpo", "kind": "*", "actions": ["read", "export", "erase"], "scope": "all"},
        ],
        "masks": [{"role": "sales_rep", "kind": "customer", "fields": ["profile.birth_date"]}],
        "sharing": [{"kind": "customer", "team": "t-1", "role": "service_agent"}],
    }
)
ACCESS_POLICY = AccessPolicy(
    roles=ACCESS_POLICY.roles,
    grants=ACCESS_POLICY.grants,
    masks=ACCESS_POLICY.masks,
    sharing=ACCESS_POLICY.sharing,
    reports_to=ACCESS_POLICY.reports_to,
    business_units=ACCESS_POLICY.business_units,
    team_units=ACCESS_POLICY.team_units,
    territories=TEAMS_TERRITORIES,
)
PRINCIPAL = Principal(
    staff_id=StaffId("rep-1"),
    roles=["sales_rep"],
    teams=[TeamId("t-1")],
    territories=[TerritoryId("west-java")],
    business_unit="jakarta",
)
DPO = Principal(staff_id=StaffId("s-dpo"), roles=["dpo"])
ACCESS_DECISION = decide(ACCESS_POLICY, PRINCIPAL, "read", PRIVATE, owner_roles=["sales_rep"])

# -- audit -----------------------------------------------------------------------------------

AUDIT_POLICY = AuditPolicy({"dpo": ["subject_access", "dispute"]})
REVEAL = Reveal(viewer="s-dpo", roles=["dpo"], purpose="dispute", at=LATER)
DENIED = DeniedAttempt(
    actor="rep-1", action="read", aggregate_kind="customer", aggregate_id="c-2", rule="scope", at=T0
)


def record_changes() -> list[list[RecordChange]]:
    """A few commits: a customer added, renamed and tagged, a case opened and resolved."""
    stored = PRIVATE.without_pending_events()
    fixed = stored.rename(PersonName("Sari", family="W."), at=T0 + 3 * DAY).add_tag(
        "vip", at=T0 + 3 * DAY
    )
    case = Case.open(
        CaseId("k-priv"),
        customer_id=PRIVATE.id,
        kind="complaint",
        subject="Wrong address",
        channel="email",
        at=T0 + DAY,
    )
    return [
        [
            RecordChange(
                aggregate_kind="customer", aggregate_id="c-priv", after=PRIVATE, actor="s-a"
            )
        ],
        [
            RecordChange(
                aggregate_kind="customer",
                aggregate_id="c-priv",
                before=stored,
                after=fixed,
                actor="s-b",
            ),
            RecordChange(aggregate_kind="case", aggregate_id="k-priv", after=case, actor="s-b"),
        ],
        [
            RecordChange(
                aggregate_kind="case",
                aggregate_id="k-priv",
                before=case.without_pending_events(),
                after=case.without_pending_events().resolve(at=T0 + 4 * DAY, reason="fixed"),
                actor="s-a",
            )
        ],
    ]


def audit_log() -> AuditLog:
    """A log fed by a few commits, one refusal and one reveal (a fresh one on every call)."""
    log = AuditLog(policy=AUDIT_POLICY, personal_fields={"case": ["subject"]})
    for commit in record_changes():
        log.record_commit(commit)
    log.record_denied(DENIED)
    log.history("customer", "c-priv", reveal=REVEAL)
    return log


AUDIT_LOG = audit_log()

# -- export and erasure over a unit of work --------------------------------------------------


def subject_unit(*, open_: bool = True) -> InMemoryUnitOfWork:
    """A unit holding a customer, an interaction, an order and a case about them (left open)."""
    unit = InMemoryUnitOfWork()
    with unit:
        unit.staff.add(StaffMember.register(StaffId("rep-1"), display_name="Rina", at=T0))
        unit.customers.add(PRIVATE)
        unit.customers.add(
            Customer.register(
                CustomerId("c-hold"), name=PersonName("Budi"), at=T0
            ).place_legal_hold("tax_2026", at=T0, reason="tax_audit")
        )
        unit.interactions.add(
            Interaction.log(
                InteractionId("i-priv"),
                customer_id=PRIVATE.id,
                kind="call",
                channel="phone",
                direction="inbound",
                at=T0 + HOUR,
                subject="Asked to move the delivery",
            )
        )
        unit.orders.add(
            Order.place(OrderId("o-priv"), customer_id=PRIVATE.id, lines=[TEA], at=T0 + HOUR)
        )
        unit.privacy_requests.add(
            DataSubjectRequest.receive(
                PrivacyRequestId("dsr-9"),
                customer_id=PRIVATE.id,
                kind="erasure",
                jurisdiction="gdpr",
                channel="web",
                at=T0 + HOUR,
            )
        )
        unit.commit()
    if open_:
        unit.__enter__()
    return unit


_EXPORT_UNIT = subject_unit()
EXPORT = export_subject(_EXPORT_UNIT, PRIVATE.id, at=LATER)
ERASURE = erase_subject(_EXPORT_UNIT, PRIVATE.id, at=LATER, actor="staff:dpo-1")
_EXPORT_UNIT.rollback()


def guarded_unit() -> GuardedUnitOfWork:
    """A guarded unit over :func:`subject_unit` for the DPO, open, with the audit log as sink."""
    unit = GuardedUnitOfWork(subject_unit(open_=False), DPO, ACCESS_POLICY, audit=audit_log())
    unit.__enter__()
    return unit


CORPUS = (
    OPEN_REQUEST,
    FULFILLED_REQUEST,
    REFUSED_REQUEST,
    HOUSE_RULE,
    GDPR,
    RETENTION,
    tuple(RETENTION_DUE),
    HELD,
    ERASED,
    HELD.processing_decision("marketing", at=LATER),
    SCREENING,
    AUDIENCE,
    STATIC.audience((ANA, *SCREEN_CUSTOMERS), at=LATER),
    FROZEN_SEGMENT.audience((ANA, *SCREEN_CUSTOMERS), at=LATER),
    SCREENED_SUMMARIES,
    *ANONYMISED,
    ACCESS_POLICY,
    PRINCIPAL,
    ACCESS_DECISION,
    AUDIT_POLICY,
    REVEAL,
    DENIED,
    *record_changes()[1],
    AUDIT_LOG.entries,
    AUDIT_LOG.disclosures(),
    EXPORT,
    EXPORT.manifest,
    ERASURE,
)
