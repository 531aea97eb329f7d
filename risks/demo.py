"""The demo programs' RAID logs: a believable log for the ERP S/4HANA migration (about forty
items in every state, linked to the demo plan's WBS items) and a smaller one for the CRM rollout.

Everything is written through the services, by the people who would write it, so the items have
a real history. The data is fixed (no randomness). Plan-related dates (proximity, needed-by,
validate-by) come from the program and its plan; what must be late or upcoming *now* (overdue
actions and issues, escalations, the next review of a risk, the weekly snapshots) is computed
from today, so the demo shows overdue items whenever it is built.
"""

# ruff: noqa: C408 - the demo tables read best as dict(title=..., ...) calls
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit_guard import bulk_writes_allowed
from core.models import User
from programs.models import Program, ProgramMembership, Workstream
from schedules.models import Item

from . import services
from .models import Action, Assumption, Dependency, Issue, Risk
from .selectors import has_raid_data, risk_exposure

# Who is who in the demo (the people seed_demo creates).
PEOPLE = {
    "pm": "pm@example.com",
    "apm": "coordinator@example.com",
    "ana": "contributor@example.com",
    "fatima": "finance@example.com",
    "daniel": "exec@example.com",
    "julien": "j.moreau@example.com",
    "sara": "s.ibrahim@example.com",
    "kenji": "k.tanaka@example.com",
    "lena": "l.novak@example.com",
}
EDITORS = {"manager", "coordinator", "contributor"}


class _Ctx:
    def __init__(self, program: Program):
        self.program = program
        self.today = timezone.localdate()
        self.now = timezone.now()
        by_email = {u.email: u for u in User.objects.filter(email__in=PEOPLE.values())}
        self.users = {who: by_email.get(email) for who, email in PEOPLE.items()}
        self.roles = dict(
            ProgramMembership.objects.filter(program=program).values_list("user__email", "role")
        )
        self.workstreams = {w.name: w for w in Workstream.objects.filter(program=program)}
        self.items = {i.name: i for i in Item.objects.filter(program=program)}
        self.keys: dict[str, Any] = {}

    def user(self, who: str | None):
        return self.users.get(who) if who else None

    def editor(self, who: str | None):
        """`who` if their role edits the RAID log, else the program manager."""
        user = self.user(who)
        if user is not None and self.roles.get(user.email) in EDITORS:
            return user
        return self.user("pm")

    def ws(self, name: str | None):
        return self.workstreams.get(name) if name else None

    def wbs(self, names: tuple[str, ...]) -> list[Item]:
        return [self.items[n] for n in names if n in self.items]

    def plan_date(self, name: str, field: str = "start", fallback: dt.date | None = None):
        item = self.items.get(name)
        value = getattr(item, field, None) if item is not None else None
        return value or fallback

    def days(self, n: int) -> dt.date:
        """A date `n` days from today (negative: in the past)."""
        return self.today + dt.timedelta(days=n)


# ---------------------------------------------------------------------------------------------
# ERP: the S/4HANA migration
# ---------------------------------------------------------------------------------------------

FI, SC, DM, IT = (
    "Finance & Controlling",
    "Supply Chain & Procurement",
    "Data Migration",
    "Integration & Technical Architecture",
)

# (ref, author, fields); ratings as (probability, schedule, cost, scope, quality), residual
# as (probability, impact) or None; `review` in days from today; `near` the WBS item whose
# start is the proximity date.
ERP_RISKS: list[tuple[str, str, dict[str, Any]]] = [
    ("dataq", "sara", dict(
        title="Legacy vendor and customer master data fails the S/4HANA load rules",
        category="data", ws=DM, owner="sara",
        cause="ECC master data has 14 years of duplicates and missing tax numbers",
        event="mock load 2 rejects a large share of business partners",
        effect="the wave 1 cut-over slips and finance reconciles by hand",
        ratings=(4, 5, 3, 2, 4), residual=(2, 3), cost="420000",
        strategy="mitigate", near="Mock load 2: full finance data with open items", review=5,
        mitigation="Cleansing sprint with named data owners per company code; weekly dashboard "
        "of load-rule failures; business partner de-duplication tool licensed.",
        contingency="Load only active partners (last 24 months) and migrate the rest after "
        "go-live from the archive.",
        trigger="More than 5 % of business partners fail validation in mock load 2.",
        wbs=("Cleansing sprint: vendors, customers, GL balances",
             "Mock load 2: full finance data with open items", "Profile legacy ECC data quality"),
    )),
    ("keyusers", "ana", dict(
        title="Finance key users not released from month-end duties for UAT",
        category="resource", ws=FI, owner="ana",
        cause="UAT overlaps the January year-end close",
        event="key users join UAT late or part-time",
        effect="UAT coverage falls short and defects surface after go-live",
        ratings=(4, 4, 2, 2, 4), residual=(2, 3), cost="150000", strategy="mitigate",
        near="User acceptance test (finance key users)", review=9,
        mitigation="Backfill two contractors for AP and GL during UAT; CFO letter releasing "
        "key users two days a week.",
        contingency="Extend UAT by one week into the hypercare buffer.",
        trigger="Key-user attendance below 70 % in the first UAT week.",
        wbs=("User acceptance test (finance key users)",),
    )),
    ("bank", "kenji", dict(
        title="House banks certify the EBICS connection late",
        category="vendor", ws=IT, owner="kenji",
        cause="Two of the four house banks need six weeks for certification",
        event="payment files cannot be tested end-to-end before SIT 2",
        effect="no payment run on day one of wave 1",
        ratings=(3, 4, 2, 1, 3), residual=(2, 2), cost="90000", strategy="mitigate",
        near="Connectivity test with the house banks", review=-6,
        mitigation="Certification slots booked; fallback test with the bank's sandbox.",
        contingency="Manual upload of payment files in the banks' portals for the first month.",
        trigger="No certification date confirmed by the end of SIT 1.",
        wbs=("Build banking interface (EBICS) and bank statement import",
             "Connectivity test with the house banks"),
    )),
    ("ricefw", "pm", dict(
        title="Supply chain RICEFW backlog larger than estimated",
        category="scope", ws=SC, owner="julien",
        cause="Plant walk-throughs found 9 more custom label and EDI variants",
        event="the wave 2 build needs 30 % more development effort",
        effect="wave 2 build completes late and the SI asks for a change order",
        ratings=(4, 4, 5, 3, 2), residual=(3, 3), cost="680000", strategy="mitigate",
        near="Develop supply chain RICEFW objects (31)", review=12,
        mitigation="Fit-to-standard challenge session per variant; park nice-to-haves for "
        "after go-live.",
        contingency="Change request for a second offshore build team.",
        trigger="Backlog above 35 objects after the challenge sessions.",
        wbs=("Develop supply chain RICEFW objects (31)",
             "Supply chain gap list and RICEFW estimate"),
    )),
    ("perf", "kenji", dict(
        title="Month-end close runs too slowly on the sized hardware",
        category="technical", ws=IT, owner="kenji",
        cause="Sizing assumed today's posting volumes, not the plants' added volumes",
        event="the close jobs exceed the 6-hour batch window",
        effect="the first close in S/4HANA misses the group reporting deadline",
        ratings=(2, 3, 3, 1, 4), residual=(1, 3), cost="240000", strategy="mitigate",
        near="Performance test: month-end close", review=20,
        mitigation="Performance test with wave 2 volumes; hosting contract allows a scale-up "
        "within 5 days.",
        contingency="Scale up the database tier; run allocations over the weekend.",
        trigger="Close jobs over 4 hours in the performance test.",
        wbs=("Performance test: month-end close", "Hardware sizing and hosting contract"),
    )),
    ("mes", "kenji", dict(
        title="MES vendor cannot deliver the new interface for the Brno plant on time",
        category="vendor", ws=IT, owner="kenji",
        cause="Brno runs an older MES release that the vendor must upgrade first",
        event="the MES interface for Brno is not ready for SIT cycle 1 of wave 2",
        effect="Brno goes live on a manual workaround or slips to a later wave",
        ratings=(3, 5, 3, 3, 3), residual=None, cost="310000", strategy="escalate",
        near="SIT cycle 1: supply chain", review=3,
        mitigation="Escalated to the vendor's account executive; upgrade window agreed in "
        "principle.",
        contingency="Keep Brno on flat-file interfaces for three months.",
        trigger="No upgrade date by the end of wave 1 build.",
        wbs=("Build MES interface (three plants)",),
    )),
    ("sox", "apm", dict(
        title="SOX controls not redesigned before the first close",
        category="compliance", ws=FI, owner="fatima",
        cause="The controls catalogue still describes ECC transactions",
        event="auditors find untested key controls in the new system",
        effect="a significant deficiency in the year-end audit",
        ratings=(3, 2, 2, 2, 5), residual=(1, 4), cost="120000", strategy="mitigate",
        near="SOX controls documentation for S/4HANA finance", review=15,
        mitigation="Internal audit reviews the control redesign in UAT; evidence collected "
        "during UAT.",
        contingency="Compensating manual controls for the first quarter.",
        trigger="Control redesign less than 80 % done at UAT start.",
        wbs=("SOX controls documentation for S/4HANA finance",),
    )),
    ("einv", "ana", dict(
        title="E-invoicing mandate changes before go-live",
        category="compliance", ws=FI, owner="ana",
        cause="The tax authority publishes the final e-invoicing schema late",
        event="the interface must be rebuilt after SIT",
        effect="rework and a risk of non-compliant invoices",
        ratings=(2, 3, 2, 3, 3), residual=(2, 2), cost="60000", strategy="accept",
        near="Build e-invoicing interface to the tax authority", review=30,
        mitigation="Use the SAP document and reporting compliance standard content.",
        contingency="Keep the legacy e-invoicing service for one more quarter.",
        wbs=("Build e-invoicing interface to the tax authority",),
    )),
    ("change", "lena", dict(
        title="Plants resist the new warehouse processes",
        category="organisational", ws=SC, owner="lena",
        cause="Warehouse teams see EWM as extra scanning work",
        event="adoption in the first weeks after wave 2 go-live is low",
        effect="stock accuracy drops and shipments are delayed",
        ratings=(3, 2, 2, 2, 4), residual=(2, 3), cost="180000", strategy="mitigate",
        near="End-user training: plants and warehouses (420 users)", review=25,
        mitigation="Champions on every shift; day-in-the-life sessions on the plant floor.",
        contingency="Super-user floor walkers for four weeks after go-live.",
        wbs=("Build a network of 40 change champions",
             "End-user training: plants and warehouses (420 users)"),
    )),
    ("si", "pm", dict(
        title="System integrator rotates senior finance consultants off the program",
        category="vendor", ws=FI, owner="pm",
        cause="Northwind has a large new client starting in Q1",
        event="two senior FI consultants leave before UAT",
        effect="knowledge loss and slower defect fixing",
        ratings=(3, 3, 3, 1, 3), residual=(2, 2), cost="200000", strategy="transfer",
        near="User acceptance test (finance key users)", review=-2,
        mitigation="Key-person clause invoked in the SOW; named deputies shadow both consultants.",
        contingency="Penalty under the key-person clause funds replacement onboarding.",
        wbs=("Onboard system integrator (Northwind Consulting)",),
    )),
    ("cutover", "apm", dict(
        title="Cut-over weekend too short for the opening balance load",
        category="schedule", ws=DM, owner="sara",
        cause="The dress-rehearsal load took 41 hours",
        event="the load overruns the 48-hour cut-over window",
        effect="the business cannot post on Monday morning",
        ratings=(2, 5, 3, 1, 3), residual=(1, 4), cost="350000", strategy="mitigate",
        near="Cut-over weekend and opening balance load", review=18,
        mitigation="Pre-load master data the week before; parallel load streams.",
        contingency="Agreed fallback: a second cut-over weekend two weeks later.",
        wbs=("Cut-over weekend and opening balance load", "Mock load 3: dress-rehearsal load"),
    )),
    ("licence", "pm", dict(
        title="Digital access licences under-counted for the e-commerce interface",
        category="financial", ws=IT, owner="fatima",
        cause="Indirect access by the web shop creates documents in S/4HANA",
        event="SAP's licence audit counts more digital documents than contracted",
        effect="an unbudgeted licence true-up",
        ratings=(2, 1, 4, 1, 1), residual=None, cost="250000", strategy="avoid",
        near="Build e-commerce order interface", review=40,
        mitigation="Document volumes estimated with SAP's estimation tool; contract amendment "
        "requested.",
        wbs=("Build e-commerce order interface",),
    )),
    # monitoring
    ("security", "kenji", dict(
        title="Role design too coarse for segregation of duties",
        category="security", ws=IT, owner="kenji",
        cause="Roles were copied from ECC composites", event="SoD conflicts in production",
        effect="audit findings and emergency role changes",
        ratings=(2, 2, 1, 1, 3), residual=(1, 2), cost="40000", strategy="mitigate",
        status="monitoring", near="Security and authorisation concept", review=35,
        mitigation="SoD ruleset run on every role change; quarterly review.",
        wbs=("Security and authorisation concept",),
    )),
    ("tax", "ana", dict(
        title="SAF-T file rejected by the Polish tax portal",
        category="compliance", ws=FI, owner="ana",
        event="the first SAF-T submission is rejected", effect="late filing penalties",
        ratings=(1, 2, 2, 1, 3), residual=(1, 2), cost="25000", strategy="accept",
        status="monitoring", near="Configure tax reporting and SAF-T", review=45,
        wbs=("Configure tax reporting and SAF-T",),
    )),
    # occurred (an issue was raised from it) and closed
    ("archive", "sara", dict(
        title="Legacy archive decision delays the data migration strategy",
        category="data", ws=DM, owner="sara",
        cause="Legal and finance disagree on the retention period",
        event="the archive decision is not taken by the design sign-off",
        effect="the migration object list stays open",
        ratings=(4, 4, 2, 3, 2), residual=None, cost="90000", strategy="escalate",
        near="Legacy archive decision", review=None,
        wbs=("Legacy archive decision", "Data migration strategy"),
    )),
    ("sandbox", "kenji", dict(
        title="Sandbox landscape delivered late by the hosting provider",
        category="technical", ws=IT, owner="kenji", status="closed",
        event="the sandbox is not ready for the fit-to-standard workshops",
        effect="Explore starts late",
        ratings=(3, 3, 1, 1, 1), residual=(1, 1), cost="30000", strategy="mitigate",
        near="Provision sandbox and DEV landscape", review=None,
        mitigation="Used SAP's trial landscape for the first two workshops.",
        wbs=("Provision sandbox and DEV landscape",),
    )),
    ("charter", "pm", dict(
        title="Steering committee does not approve the charter in March",
        category="organisational", owner="pm", status="closed",
        event="the program starts without an approved charter",
        effect="budget release is delayed",
        ratings=(2, 3, 3, 1, 1), residual=None, cost="0", strategy="accept",
        near="Program charter approved", review=None,
        wbs=("Program charter approved",),
    )),
]  # fmt: skip

# (ref, author, fields); `due` in days from today (negative: overdue), `escalate` the level
# the escalation job reached (and how many days ago).
ERP_ISSUES: list[tuple[str, str, dict[str, Any]]] = [
    ("archive-open", "sara", dict(
        from_risk="archive", title="Archive decision still open: migration object list blocked",
        severity=4, priority=4, due=-9, escalate=(3, 2), status="in_progress",
        description="Without the retention decision the team cannot finalise which historic "
        "documents migrate. Data migration strategy sign-off is on hold.",
    )),
    ("m1-recon", "sara", dict(
        title="Mock load 1: 312 GL balances do not reconcile", ws=DM, owner="sara",
        severity=3, priority=3, due=-4, escalate=(1, 1), status="in_progress",
        description="Differences trace to currency translation of historic balances.",
        wbs=("Mock load 1 reconciliation report",),
    )),
    ("sit-defects", "ana", dict(
        title="SIT cycle 1 defect backlog above the exit threshold", ws=FI, owner="ana",
        severity=3, priority=3, due=6, status="open",
        description="47 open defects (threshold 25), of which 6 high. Fix rate is 9 a week.",
        wbs=("System integration test, cycle 1",),
    )),
    ("qa-env", "kenji", dict(
        title="QA landscape refresh breaks the interface connections", ws=IT, owner="kenji",
        severity=2, priority=3, due=-15, escalate=(2, 5), status="open",
        description="After each client copy the RFC destinations point at production.",
        wbs=("Provision QA and pre-production landscapes",),
    )),
    ("trainer", "lena", dict(
        title="Two finance trainers unavailable for train-the-trainer", ws=FI, owner="lena",
        severity=2, priority=2, due=14, status="open",
        wbs=("Train-the-trainer: finance",),
    )),
    ("design-late", "pm", dict(
        title="Design sign-off three weeks late", owner="pm", severity=3, priority=3,
        status="resolved", resolution="Re-plan Q3 approved by the steering committee; design "
        "signed off on 4 September.", due=None,
        wbs=("Design sign-off",),
    )),
    ("vpn", "kenji", dict(
        title="Offshore team without VPN access to DEV", ws=IT, owner="kenji",
        severity=2, priority=4, status="closed",
        resolution="Access granted through the SI's jump host.", due=None,
    )),
    ("coa", "ana", dict(
        title="Group chart of accounts mapping disputed by two subsidiaries", ws=FI,
        owner="ana", severity=2, priority=2, due=21, status="open",
        wbs=("Fit-to-standard: general ledger and chart of accounts",),
    )),
]  # fmt: skip

ERP_ASSUMPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("freeze", "pm", dict(
        title="The business accepts a two-week posting freeze before wave 1 cut-over",
        owner="pm", ws=FI, validate_by=("Freeze legacy ECC finance postings", -30),
        status="validated", consequence_if_false="Cut-over needs a delta-load approach and "
        "two more weeks of rehearsal.",
    )),
    ("volumes", "kenji", dict(
        title="Posting volumes grow no more than 10 % a year until 2028", owner="kenji", ws=IT,
        validate_by=("Performance test: month-end close", 0), status="open",
        consequence_if_false="The database tier must be resized before wave 2.",
    )),
    ("standard-tax", "ana", dict(
        title="Standard SAP tax content covers all five countries", owner="ana", ws=FI,
        validate_by=("Fit-to-standard: tax reporting (VAT, SAF-T)", 0), status="invalid",
        consequence_if_false="Custom reports for Poland and Czechia (raised as RICEFW).",
    )),
    ("keyuser-time", "lena", dict(
        title="Key users can spend 50 % of their time on the program during UAT", owner="lena",
        ws=FI, overdue=-5, status="open",
        consequence_if_false="UAT takes twice as long; see the key-user risk.",
    )),
    ("sandbox-size", "kenji", dict(
        title="The standard sandbox sizing is enough for the Explore workshops", owner="kenji",
        ws=IT, validate_by=("Provision sandbox and DEV landscape", 0), status="closed",
        consequence_if_false="Workshops on the SAP trial landscape instead.",
    )),
    ("plants-wifi", "julien", dict(
        title="Warehouse Wi-Fi covers all storage bins for RF scanning", owner="julien", ws=SC,
        validate_by=("SIT cycle 1: supply chain", -30), status="open",
        consequence_if_false="Access points must be added before EWM go-live (about EUR 80k).",
    )),
]  # fmt: skip

ERP_DEPENDENCIES: list[tuple[str, str, dict[str, Any]]] = [
    ("banks", "kenji", dict(
        title="House banks certify EBICS connectivity", direction="inbound", owner="kenji",
        ws=IT, giver_external="House banks (Deutsche Bank, ING, KB, BNP)", receiver_ws=IT,
        needed_by=("System integration test, cycle 2", "start"), status="at_risk",
        wbs=("Connectivity test with the house banks",),
    )),
    ("mes-upgrade", "kenji", dict(
        title="MES vendor upgrades Brno to the supported release", direction="inbound",
        owner="kenji", ws=IT, giver_external="Siemens Opcenter (MES vendor)", receiver_ws=SC,
        needed_by=("SIT cycle 1: supply chain", "start"), status="open",
        wbs=("Build MES interface (three plants)",),
    )),
    ("crm-customers", "pm", dict(
        title="Customer master in S/4HANA ready for the CRM integration", direction="outbound",
        owner="sara", ws=DM, giver_ws=DM, receiver_program="CRM",
        needed_by=("Wave 1 go-live: Finance on S/4HANA", "finish"), status="agreed",
    )),
    ("group-reporting", "ana", dict(
        title="Group reporting team provides the new consolidation mapping",
        direction="inbound", owner="ana", ws=FI, giver_external="Group reporting (HQ)",
        receiver_ws=FI, overdue=-3, status="open",
        wbs=("Build consolidation interface to group reporting",),
    )),
    ("edi-broker", "julien", dict(
        title="EDI broker supports the legacy VDA formats until wave 2", direction="inbound",
        owner="julien", ws=SC, giver_external="EDI broker (TrustEDI)", receiver_ws=SC,
        needed_by=("Supplier EDI: orders, ASN, invoices", "start"), status="cancelled",
        description="No longer needed: suppliers move to EDIFACT with the new S/4HANA outputs.",
    )),
    ("hosting", "kenji", dict(
        title="Hosting provider delivers the pre-production landscape", direction="inbound",
        owner="kenji", ws=IT, giver_external="Hosting provider", receiver_ws=IT,
        needed_by=("Provision QA and pre-production landscapes", "finish"),
        status="delivered",
    )),
]  # fmt: skip

# (subject ref, author, fields); `due` in days from today; `escalate` (level, days ago).
ERP_ACTIONS: list[tuple[str | None, str, dict[str, Any]]] = [
    ("risk:dataq", "sara", dict(
        title="Assign a data owner per company code", owner="sara", due=-12,
        escalate=(2, 4), status="in_progress")),
    ("risk:dataq", "sara", dict(
        title="Licence the business partner de-duplication tool", owner="fatima", due=10)),
    ("risk:keyusers", "ana", dict(
        title="Get the CFO's release letter for finance key users", owner="ana", due=-5,
        escalate=(1, 1))),
    ("risk:bank", "kenji", dict(
        title="Confirm certification slots with KB and BNP", owner="kenji", due=-3)),
    ("risk:ricefw", "julien", dict(
        title="Run fit-to-standard challenge sessions for the 9 new variants", owner="julien",
        due=7, status="in_progress")),
    ("risk:mes", "pm", dict(
        title="Escalation call with the MES vendor's account executive", owner="pm", due=2)),
    ("issue:archive-open", "pm", dict(
        title="Put the archive retention decision on the steering committee agenda",
        owner="pm", due=-8, escalate=(3, 2))),
    ("issue:m1-recon", "sara", dict(
        title="Re-run currency translation for historic balances", owner="sara", due=3,
        status="in_progress")),
    ("issue:design-late", "pm", dict(
        title="Prepare the Q3 re-plan for the steering committee", owner="pm", status="done",
        completed_ago=110, due=None)),
    ("risk:sandbox", "kenji", dict(
        title="Book SAP trial landscape for the first workshops", owner="kenji",
        status="done", completed_ago=240, due=None)),
    ("assumption:keyuser-time", "lena", dict(
        title="Confirm key-user availability with the finance department heads", owner="lena",
        due=-1)),
    (None, "apm", dict(
        title="Send the RAID log summary to the steering committee members", owner="apm",
        due=4)),
    ("risk:licence", "pm", dict(
        title="Request the digital access contract amendment from SAP", owner="fatima",
        status="cancelled", due=None)),
]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# CRM: the smaller log
# ---------------------------------------------------------------------------------------------

SALES, SERVICE = "Sales Cloud Rollout", "Service Desk"

CRM_RISKS: list[tuple[str, str, dict[str, Any]]] = [
    ("erp-dep", "pm", dict(
        title="CRM go-live depends on the S/4HANA customer master", category="schedule",
        ws=SALES, owner="julien", event="the ERP wave 1 slips",
        effect="the CRM launches without the customer master integration",
        ratings=(3, 4, 2, 3, 2), residual=(2, 3), cost="80000", strategy="mitigate",
        near="Sales data migration from the legacy CRM", review=8,
        wbs=("Sales data migration from the legacy CRM",),
    )),
    ("adoption", "lena", dict(
        title="Sales teams keep working in spreadsheets", category="organisational",
        ws=SALES, owner="lena", event="pipeline data stays outside the CRM",
        effect="forecasts remain unreliable", ratings=(4, 1, 1, 2, 4), residual=(2, 3),
        cost="50000", strategy="mitigate", near="Sales team training", review=14,
        wbs=("Sales team training",),
    )),
    ("gdpr", "pm", dict(
        title="Customer portal processes personal data without a completed DPIA",
        category="compliance", ws=SERVICE, owner="pm",
        event="the portal goes live before the DPIA is signed off",
        effect="regulatory exposure", ratings=(2, 2, 1, 1, 5), residual=None,
        cost="120000", strategy="avoid", near="Customer portal (Experience Cloud)", review=-4,
        wbs=("Data protection impact assessment",),
    )),
]  # fmt: skip
CRM_ISSUES: list[tuple[str, str, dict[str, Any]]] = [
    ("funding", "pm", dict(
        title="Investment committee asked for a revised business case", owner="pm",
        severity=3, priority=3, due=-6, escalate=(1, 2), status="open",
        wbs=("Investment committee approval",),
    )),
]  # fmt: skip
CRM_ASSUMPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("licences", "pm", dict(
        title="Existing Salesforce enterprise agreement covers 300 Service Cloud seats",
        owner="pm", ws=SERVICE, validate_by=("Investment committee approval", 0),
        status="open", consequence_if_false="About GBP 140k a year in additional licences.",
    )),
    ("kb", "lena", dict(
        title="Knowledge articles can be migrated as they are", owner="lena", ws=SERVICE,
        validate_by=("Knowledge base migration", 0), status="validated",
    )),
]  # fmt: skip
CRM_DEPENDENCIES: list[tuple[str, str, dict[str, Any]]] = [
    ("erp-master", "pm", dict(
        title="Customer master from the S/4HANA program", direction="inbound", owner="julien",
        ws=SALES, giver_program="ERP", receiver_ws=SALES,
        needed_by=("Sales data migration from the legacy CRM", "start"), status="agreed",
    )),
]  # fmt: skip
CRM_ACTIONS: list[tuple[str | None, str, dict[str, Any]]] = [
    ("issue:funding", "pm", dict(
        title="Revise the business case with finance", owner="pm", due=-2, escalate=(1, 1))),
    ("risk:adoption", "lena", dict(
        title="Nominate one CRM champion per sales region", owner="lena", due=9)),
]  # fmt: skip

# ERP's exposure over the last 12 weeks as a share of today's (oldest first): it rose through
# the design overrun and the start of the build, peaked at the re-plan and falls as mitigations
# land.
ERP_TREND = (0.74, 0.81, 0.9, 0.98, 1.07, 1.16, 1.21, 1.19, 1.13, 1.08, 1.04, 1.0)
CRM_TREND = (0.62, 0.7, 0.83, 0.95, 1.02, 1.04, 1.01, 1.0)


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------


def _risk(ctx: _Ctx, ref: str, author: str, spec: dict[str, Any]) -> Risk:
    p, s, c, sc, q = spec["ratings"]
    residual = spec.get("residual")
    fields: dict[str, Any] = {
        "title": spec["title"],
        "category": spec["category"],
        "workstream": ctx.ws(spec.get("ws")),
        "owner": ctx.user(spec.get("owner")),
        "cause": spec.get("cause", ""),
        "event": spec.get("event", ""),
        "effect": spec.get("effect", ""),
        "probability": p,
        "impact_schedule": s,
        "impact_cost": c,
        "impact_scope": sc,
        "impact_quality": q,
        "residual_probability": residual[0] if residual else None,
        "residual_impact": residual[1] if residual else None,
        "cost_impact_amount": Decimal(spec["cost"]),
        "response_strategy": spec["strategy"],
        "mitigation_plan": spec.get("mitigation", ""),
        "contingency_plan": spec.get("contingency", ""),
        "trigger": spec.get("trigger", ""),
        "proximity_date": ctx.plan_date(spec["near"], "finish") if spec.get("near") else None,
        "review_date": ctx.days(spec["review"]) if spec.get("review") is not None else None,
        "wbs_items": ctx.wbs(spec.get("wbs", ())),
    }
    if spec.get("review") is not None:
        fields["last_reviewed_on"] = ctx.days(spec["review"] - 28)
    risk = services.risk_create(actor=ctx.user(author), program=ctx.program, **fields)
    if spec.get("status") in ("monitoring", "closed"):
        risk = services.risk_update(
            actor=ctx.user("pm"), risk=risk, expected_version=risk.version, status=spec["status"]
        )
    return risk


def _escalate(ctx: _Ctx, item, level_days: tuple[int, int] | None):
    if not level_days:
        return item
    level, ago = level_days
    return services.raid_item_update(
        actor=None,  # the escalation job
        item=item,
        expected_version=item.version,
        escalation_level=level,
        escalated_at=ctx.now - dt.timedelta(days=ago, hours=3),
    )


def _issue(ctx: _Ctx, ref: str, author: str, spec: dict[str, Any]) -> Issue:
    due = ctx.days(spec["due"]) if spec.get("due") is not None else None
    fields: dict[str, Any] = {
        "title": spec["title"],
        "severity": spec["severity"],
        "priority": spec["priority"],
        "due_date": due,
        "description": spec.get("description", ""),
    }
    from_risk = spec.get("from_risk")
    if from_risk:
        risk = ctx.keys[f"risk:{from_risk}"]
        issue = services.risk_raise_issue(
            actor=ctx.user(author), risk=risk, expected_version=risk.version, **fields
        )
    else:
        fields.update(
            workstream=ctx.ws(spec.get("ws")),
            owner=ctx.user(spec.get("owner")),
            wbs_items=ctx.wbs(spec.get("wbs", ())),
        )
        issue = services.issue_create(actor=ctx.user(author), program=ctx.program, **fields)
    status = spec.get("status", "open")
    if status != "open":
        changes: dict[str, Any] = {"status": status}
        if spec.get("resolution"):
            changes["resolution"] = spec["resolution"]
        issue = services.issue_update(
            actor=ctx.user("pm"), issue=issue, expected_version=issue.version, **changes
        )
    return _escalate(ctx, issue, spec.get("escalate"))


def _assumption(ctx: _Ctx, ref: str, author: str, spec: dict[str, Any]) -> Assumption:
    validate_by: dt.date | None
    if spec.get("overdue") is not None:
        validate_by = ctx.days(spec["overdue"])
    elif spec.get("validate_by"):
        name, offset = spec["validate_by"]
        validate_by = ctx.plan_date(name, "finish")
        validate_by = validate_by + dt.timedelta(days=offset) if validate_by else None
    else:
        validate_by = None
    item = services.assumption_create(
        actor=ctx.user(author),
        program=ctx.program,
        title=spec["title"],
        owner=ctx.user(spec.get("owner")),
        workstream=ctx.ws(spec.get("ws")),
        validate_by=validate_by,
        consequence_if_false=spec.get("consequence_if_false", ""),
    )
    if spec.get("status", "open") != "open":
        item = services.assumption_update(
            actor=ctx.user(author),
            assumption=item,
            expected_version=item.version,
            status=spec["status"],
        )
    return item


def _dependency(ctx: _Ctx, ref: str, author: str, spec: dict[str, Any]) -> Dependency:
    if spec.get("overdue") is not None:
        needed_by = ctx.days(spec["overdue"])
    else:
        name, field = spec["needed_by"]
        needed_by = ctx.plan_date(name, field)
    fields: dict[str, Any] = {
        "title": spec["title"],
        "direction": spec["direction"],
        "owner": ctx.user(spec.get("owner")),
        "workstream": ctx.ws(spec.get("ws")),
        "needed_by": needed_by,
        "description": spec.get("description", ""),
        "wbs_items": ctx.wbs(spec.get("wbs", ())),
    }
    for side in ("giver", "receiver"):
        if spec.get(f"{side}_external"):
            fields[f"{side}_external"] = spec[f"{side}_external"]
        elif spec.get(f"{side}_ws"):
            fields[f"{side}_workstream"] = ctx.ws(spec[f"{side}_ws"])
        elif spec.get(f"{side}_program"):
            other = Program.objects.filter(code=spec[f"{side}_program"]).first()
            if other is None:
                fields[f"{side}_external"] = f"{spec[f'{side}_program']} program"
            else:
                fields[f"{side}_program"] = other
    item = services.dependency_create(actor=ctx.user(author), program=ctx.program, **fields)
    if spec.get("status", "open") != "open":
        item = services.dependency_update(
            actor=ctx.user(author),
            dependency=item,
            expected_version=item.version,
            status=spec["status"],
        )
    return item


def _action(ctx: _Ctx, subject_ref: str | None, author: str, spec: dict[str, Any]) -> Action:
    subject = ctx.keys[subject_ref] if subject_ref else None
    owner = ctx.user(spec.get("owner"))
    due = ctx.days(spec["due"]) if spec.get("due") is not None else None
    if due is None and spec.get("completed_ago"):
        due = ctx.days(-spec["completed_ago"] - 3)
    action = services.action_create(
        actor=ctx.user(author),
        program=ctx.program,
        subject=subject,
        title=spec["title"],
        owner=owner,
        due_date=due,
        workstream=getattr(subject, "workstream", None),
    )
    status = spec.get("status", "open")
    if status != "open":
        changes: dict[str, Any] = {"status": status}
        if spec.get("completed_ago"):
            changes["completed_on"] = ctx.days(-spec["completed_ago"])
        action = services.action_update(
            actor=ctx.editor(spec.get("owner")),
            action=action,
            expected_version=action.version,
            **changes,
        )
    return _escalate(ctx, action, spec.get("escalate"))


def _snapshots(ctx: _Ctx, trend: tuple[float, ...]) -> int:
    """Weekly snapshots ending this week: this week's taken from the log as it is, earlier weeks
    scaled from it along `trend` (the demo has no history to recompute them from)."""
    now = risk_exposure(program=ctx.program)
    this_week = services.week_start(ctx.today)
    weeks = len(trend)
    for i, share in enumerate(trend[:-1]):
        week = this_week - dt.timedelta(weeks=weeks - 1 - i)
        bands = {
            band: round(now[f"{band}_count"] * (share if band in ("high", "critical") else 1))
            for band in ("low", "medium", "high", "critical")
        }
        exposure = round(now["total_exposure"] * share)
        # the residual plan matured over the weeks: early on, little was assessed
        residual_share = min(1.0, 0.55 + 0.045 * i)
        residual = round(
            exposure - (now["total_exposure"] - now["residual_exposure"]) * residual_share
        )
        services.risk_snapshot_store(
            program=ctx.program,
            week=week,
            open_count=sum(bands.values()),
            low_count=bands["low"],
            medium_count=bands["medium"],
            high_count=bands["high"],
            critical_count=bands["critical"],
            total_exposure=exposure,
            residual_exposure=max(residual, 0),
            total_emv=(now["total_emv"] * Decimal(str(share))).quantize(Decimal("1.00")),
        )
    services.risk_snapshot_take(program=ctx.program, week=this_week)
    return weeks


def _backdate_risks(ctx: _Ctx, refs: list[str]) -> None:
    """Raised over the weeks before this one, one a week, oldest first (the log was built up over
    the program, not this morning): "new high risks this week" in a status report counts only
    what was really raised this week."""
    with bulk_writes_allowed():
        for weeks_ago, ref in enumerate(reversed(refs), start=1):
            raised = ctx.now - dt.timedelta(weeks=weeks_ago, days=1)
            Risk.objects.filter(pk=ctx.keys[f"risk:{ref}"].pk).update(created_at=raised)


def _build(ctx: _Ctx, risks, issues, assumptions, dependencies, actions, trend) -> dict:
    for ref, author, spec in risks:
        ctx.keys[f"risk:{ref}"] = _risk(ctx, ref, author, spec)
    _backdate_risks(ctx, [ref for ref, _, _ in risks])
    for ref, author, spec in issues:
        ctx.keys[f"issue:{ref}"] = _issue(ctx, ref, author, spec)
    for ref, author, spec in assumptions:
        ctx.keys[f"assumption:{ref}"] = _assumption(ctx, ref, author, spec)
    for ref, author, spec in dependencies:
        ctx.keys[f"dependency:{ref}"] = _dependency(ctx, ref, author, spec)
    for subject_ref, author, spec in actions:
        _action(ctx, subject_ref, author, spec)
    snapshots = _snapshots(ctx, trend)
    program = ctx.program
    return {
        "risks": Risk.objects.filter(program=program).count(),
        "issues": Issue.objects.filter(program=program).count(),
        "assumptions": Assumption.objects.filter(program=program).count(),
        "dependencies": Dependency.objects.filter(program=program).count(),
        "actions": Action.objects.filter(program=program).count(),
        "weekly snapshots": snapshots,
    }


@transaction.atomic
def build_demo(program: Program) -> dict | None:
    """The program's demo RAID log; None when it already has RAID data."""
    if has_raid_data(program=program):
        return None
    ctx = _Ctx(program)
    if program.code == "ERP":
        return _build(
            ctx, ERP_RISKS, ERP_ISSUES, ERP_ASSUMPTIONS, ERP_DEPENDENCIES, ERP_ACTIONS, ERP_TREND
        )
    if program.code == "CRM":
        return _build(
            ctx, CRM_RISKS, CRM_ISSUES, CRM_ASSUMPTIONS, CRM_DEPENDENCIES, CRM_ACTIONS, CRM_TREND
        )
    return None
