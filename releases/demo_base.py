"""The ERP demo's requirements, releases, test cycles and test cases (seed_demo), which every
releases area builds on. Rows are created through `core.domain.create` (keyed and audited) in
their first state; each area's demo module moves them on with its own services.

Fills ctx with: manager, coordinator, people (email -> user), workstreams (code -> Workstream),
requirements (REQ key -> Requirement, in number order), releases ("wave1", "wave2" -> Release),
cycles ("sit", "uat" -> TestCycle), cases (TC key -> TestCase).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core.domain import create
from programs.models import ProgramMembership, Role, Workstream
from schedules.models import Item, ItemKind

from .models import (
    CycleKind,
    MoSCoW,
    QualityAttribute,
    Release,
    Requirement,
    RequirementSource,
    RequirementType,
    TestCase,
    TestCycle,
    TestStep,
)

WORKSTREAMS = {
    "FI": "Finance & Controlling",
    "SC": "Supply Chain & Procurement",
    "DM": "Data Migration",
    "IT": "Integration & Technical Architecture",
}
LEADS = {
    "FI": "contributor@example.com",
    "SC": "j.moreau@example.com",
    "DM": "s.ibrahim@example.com",
    "IT": "k.tanaka@example.com",
}
F, N = RequirementType.FUNCTIONAL, RequirementType.NON_FUNCTIONAL
MU, SH, CO, WO = MoSCoW.MUST, MoSCoW.SHOULD, MoSCoW.COULD, MoSCoW.WONT
ST, RG, CT = RequirementSource.STAKEHOLDER, RequirementSource.REGULATION, RequirementSource.CONTRACT

# (workstream, title, statement, priority, source, source detail, quality attribute or "")
REQUIREMENTS = [
    ("FI", "Post journal entries with document splitting",
     "The system shall split every journal entry by profit centre and segment so that a balance "
     "sheet can be drawn per segment.", MU, ST, "Group controlling", ""),
    ("FI", "Parallel ledgers for IFRS and local GAAP",
     "The system shall keep a leading IFRS ledger and a local-GAAP ledger for each of the three "
     "EU entities.", MU, RG, "IFRS 15 / HGB", ""),
    ("FI", "Month-end close in five working days",
     "Finance shall close the month in the new system in five working days or fewer.",
     MU, ST, "CFO", ""),
    ("FI", "Three-way match for supplier invoices",
     "The system shall block a supplier invoice for payment unless it matches its purchase order "
     "and goods receipt within the tolerance.", MU, ST, "Accounts payable", ""),
    ("FI", "Automatic bank statement import",
     "The system shall import the house banks' CAMT.053 statements every morning and clear "
     "matching open items.", MU, ST, "Treasury", ""),
    ("FI", "Fixed-asset depreciation in two areas",
     "The system shall depreciate fixed assets in a book area and a tax area.", MU, RG,
     "Local tax law", ""),
    ("FI", "Cost-centre planning upload",
     "Controllers shall upload the yearly cost-centre plan from a spreadsheet.", SH, ST,
     "Controlling", ""),
    ("FI", "Dunning in the customer's language",
     "The system shall send dunning letters in the customer's language (EN, DE, CS, NL).",
     SH, ST, "Credit management", ""),
    ("FI", "E-invoicing to public-sector customers",
     "The system shall send invoices to public-sector customers in XRechnung format.",
     MU, RG, "EU Directive 2014/55", ""),
    ("FI", "Intercompany reconciliation cockpit",
     "The system shall list unmatched intercompany items by partner and period.", SH, ST,
     "Group consolidation", ""),
    ("FI", "Cash-flow forecast for 13 weeks",
     "Treasury shall see a 13-week cash-flow forecast from open items and plans.", CO, ST,
     "Treasury", ""),
    ("FI", "Audit trail of posted documents",
     "Every posted document shall show who posted, changed or reversed it and when.",
     MU, RG, "GoBD", QualityAttribute.COMPLIANCE),
    ("FI", "Segregation of duties for payments",
     "No user shall be able to both create a supplier and release a payment to it.",
     MU, RG, "Internal control framework", QualityAttribute.SECURITY),
    ("FI", "Legacy reporting of closed years", "Auditors shall read the closed years of the old "
     "system for ten years after go-live.", WO, RG, "Retention rules", ""),
    ("SC", "Purchase requisition approval by amount",
     "Requisitions shall route to approvers by cost centre and amount thresholds.", MU, ST,
     "Procurement", ""),
    ("SC", "Supplier catalogue punch-out",
     "Requesters shall buy from supplier catalogues through punch-out.", SH, ST, "Procurement",
     ""),
    ("SC", "Goods receipt with handheld scanners",
     "Warehouse staff shall post goods receipts with handheld scanners at the dock.", MU, ST,
     "Plant logistics", ""),
    ("SC", "Batch traceability from supplier to customer",
     "The system shall trace any batch from supplier receipt to customer delivery in one query.",
     MU, RG, "EU food contact regulation", ""),
    ("SC", "Three plants on one inventory model",
     "The three EU plants shall run on one inventory and valuation model.", MU, ST,
     "COO", ""),
    ("SC", "Extended warehouse management in Brno",
     "The Brno plant's three warehouses shall run on EWM with bin-level stock.", MU, ST,
     "CR-1", ""),
    ("SC", "Warehouse label printing",
     "The system shall print GS1 labels for every handling unit.", SH, CT,
     "Northwind SOW 1, 4.2", ""),
    ("SC", "MRP run overnight for all plants",
     "Material requirements planning shall run overnight for all plants within two hours.",
     MU, ST, "Supply planning", QualityAttribute.PERFORMANCE),
    ("SC", "Vendor evaluation scores",
     "Buyers shall see each supplier's on-time and quality score.", CO, ST, "Procurement", ""),
    ("SC", "Consignment stock at customer sites",
     "The system shall manage consignment stock held at key customers.", SH, ST, "Sales ops", ""),
    ("SC", "Stock transfer between plants",
     "Planners shall move stock between plants with a two-step transfer.", MU, ST,
     "Plant logistics", ""),
    ("SC", "Quality inspection on receipt",
     "Receipts of inspected materials shall post to quality stock until released.", MU, RG,
     "ISO 9001", ""),
    ("SC", "Plant maintenance orders in Brno", "Brno's maintenance orders shall run in the new "
     "system.", WO, ST, "CR-4 (deferred)", ""),
    ("SC", "Supplier portal for order confirmations",
     "Suppliers shall confirm purchase orders in a web portal.", CO, ST, "Procurement", ""),
    ("DM", "Customer master migrated and de-duplicated",
     "All active customers shall be migrated with duplicates merged.", MU, ST,
     "Sales operations", ""),
    ("DM", "Supplier master with bank details verified",
     "Supplier bank details shall be migrated only after a four-eyes verification.", MU, RG,
     "Fraud prevention policy", QualityAttribute.SECURITY),
    ("DM", "Material master cleansing",
     "Obsolete materials shall be flagged and not migrated.", MU, ST, "Data governance", ""),
    ("DM", "Open purchase orders migrated",
     "Open purchase orders shall be migrated with their open quantities.", MU, ST,
     "Procurement", ""),
    ("DM", "Open items reconciliation",
     "Migrated open items shall reconcile to the legacy trial balance to the cent.", MU, RG,
     "External auditor", ""),
    ("DM", "Historic sales for three years",
     "Three years of sales history shall be loaded for planning.", SH, ST, "Supply planning", ""),
    ("DM", "Mock load performance",
     "A full mock load shall finish within the 48-hour cut-over window.", MU, ST,
     "Cut-over plan", QualityAttribute.PERFORMANCE),
    ("DM", "Data-load error report",
     "Each load shall produce a report of rejected records with reasons.", MU, ST,
     "Data governance", ""),
    ("DM", "Fixed-asset history migration",
     "Fixed assets shall be migrated with acquisition values and accumulated depreciation.",
     MU, RG, "Local tax law", ""),
    ("DM", "GDPR erasure of inactive contacts",
     "Contacts inactive for seven years shall not be migrated.", MU, RG, "GDPR Art. 5(1)(e)",
     QualityAttribute.COMPLIANCE),
    ("DM", "Archive of legacy attachments",
     "Legacy document attachments shall stay readable from the new system.", CO, ST,
     "Records management", ""),
    ("DM", "Reusable migration templates", "Migration templates shall be reusable for the wave "
     "2 plants.", SH, CT, "Northwind SOW 2, 3.1", QualityAttribute.MAINTAINABILITY),
    ("IT", "Interface to the MES in every plant",
     "Production orders and confirmations shall flow between S/4HANA and each plant's MES.",
     MU, ST, "Manufacturing", ""),
    ("IT", "E-commerce order interface",
     "Web-shop orders shall reach S/4HANA within five minutes.", MU, ST, "E-commerce",
     QualityAttribute.PERFORMANCE),
    ("IT", "Bank connectivity through EBICS",
     "Payment files shall reach the house banks through EBICS.", MU, CT, "Bank agreements", ""),
    ("IT", "Single sign-on with the corporate identity provider",
     "Users shall sign in with their corporate account (SAML 2.0).", MU, ST, "IT security",
     QualityAttribute.SECURITY),
    ("IT", "Role-based authorisations",
     "Access shall follow business roles approved by process owners.", MU, RG,
     "Internal control framework", QualityAttribute.SECURITY),
    ("IT", "Availability of 99.5 % in business hours",
     "The production system shall be available 99.5 % of business hours each month.", MU, CT,
     "Hosting contract", QualityAttribute.AVAILABILITY),
    ("IT", "Recovery within four hours",
     "After a data-centre loss the system shall be back within four hours, losing at most 15 "
     "minutes of data.", MU, CT, "Hosting contract", QualityAttribute.RELIABILITY),
    ("IT", "Response time of key transactions",
     "Key transactions shall answer within two seconds for 95 % of calls.", MU, ST,
     "Key users", QualityAttribute.PERFORMANCE),
    ("IT", "Interface monitoring with alerts",
     "Failed interface messages shall raise an alert to the support team within ten minutes.",
     MU, ST, "IT operations", QualityAttribute.RELIABILITY),
    ("IT", "LIMS interface for the Eindhoven lab",
     "Quality results shall flow from the Eindhoven LIMS to quality inspection lots.", SH, ST,
     "CR-7", ""),
    ("IT", "Transport management across landscapes",
     "Changes shall move DEV → QA → PRD only through approved transports.", MU, RG,
     "Change management policy", QualityAttribute.MAINTAINABILITY),
    ("IT", "Encrypted data at rest",
     "Databases and backups shall be encrypted at rest.", MU, RG, "Information security policy",
     QualityAttribute.SECURITY),
    ("IT", "Fiori launchpad on tablets",
     "Warehouse and plant users shall use the Fiori launchpad on tablets.", SH, ST,
     "Plant logistics", QualityAttribute.USABILITY),
    ("IT", "Print output to plant printers",
     "The system shall print to every plant's label and laser printers.", MU, ST,
     "Plant logistics", QualityAttribute.COMPATIBILITY),
    ("IT", "Cut-over runbook rehearsed twice",
     "The cut-over runbook shall be rehearsed twice end to end before go-live.", MU, ST,
     "Steering committee", ""),
    ("FI", "Hypercare support for six weeks",
     "Key users shall have hypercare support for six weeks after go-live.", SH, ST, "CR-5", ""),
    ("FI", "Training for 400 end users",
     "Every end user shall complete role-based training before go-live.", MU, ST,
     "Change & training", QualityAttribute.USABILITY),
    ("SC", "Accessible screens for warehouse staff",
     "Warehouse screens shall meet WCAG 2.1 AA.", CO, RG, "Accessibility policy",
     QualityAttribute.USABILITY),
    ("IT", "Sandbox refresh each quarter",
     "The training sandbox shall be refreshed from production each quarter.", CO, ST,
     "Change & training", ""),
    ("DM", "Legacy system read-only after go-live",
     "The legacy ECC system shall be read-only from the go-live weekend.", MU, ST, "CIO", ""),
]  # fmt: skip

# wave 1 (finance) ships the FI and DM requirements and the IT ones it needs
WAVE1_WORKSTREAMS = ("FI", "DM", "IT")


def _criteria(title: str, statement: str) -> str:
    return (
        f"Demonstrated in the test system with production-like data: {title.lower()}.\n"
        "Signed off by the process owner after UAT.\n"
        "No open severity 1 or 2 defect against it."
    )


def _people(program) -> dict:
    return {
        membership.user.email: membership.user
        for membership in ProgramMembership.objects.filter(program=program).select_related("user")
    }


def _manager(program):
    return (
        ProgramMembership.objects.filter(program=program, role=Role.MANAGER)
        .select_related("user")
        .first()
        .user
    )


def _deliverables_by_workstream(program) -> dict[int, list[Item]]:
    found: dict[int, list[Item]] = {}
    for item in Item.objects.filter(program=program, kind=ItemKind.DELIVERABLE).order_by(
        "position", "pk"
    ):
        found.setdefault(item.workstream_id, []).append(item)
    return found


STEPS = [
    ("Sign in as the key user of the process.", "The launchpad shows the role's tiles."),
    ("Prepare the test data named in the preconditions.", "The data is in the system."),
    ("Run the transaction under test with the data.", "The transaction completes without error."),
    ("Check the outcome against the requirement.", "The outcome meets every criterion."),
]


@transaction.atomic
def build(program, ctx: dict) -> dict:
    people = _people(program)
    manager = _manager(program)
    workstreams = {
        code: Workstream.objects.get(program=program, name=name)
        for code, name in WORKSTREAMS.items()
    }
    ctx.update(
        manager=manager,
        coordinator=people.get("coordinator@example.com", manager),
        people=people,
        workstreams=workstreams,
        requirements={},
        releases={},
        cycles={},
        cases={},
    )
    deliverables = _deliverables_by_workstream(program)
    for index, (ws, title, statement, priority, source, detail, quality) in enumerate(REQUIREMENTS):
        workstream = workstreams[ws]
        requirement = create(
            Requirement,
            actor=manager,
            program=program,
            workstream=workstream,
            title=title,
            statement=statement,
            type=N if quality else F,
            quality_attribute=quality,
            priority=priority,
            source=source,
            source_detail=detail,
            acceptance_criteria=_criteria(title, statement),
            owner=people.get(LEADS[ws], manager),
        )
        own = deliverables.get(workstream.pk) or []
        if own:
            requirement.deliverables.add(own[index % len(own)])
        ctx["requirements"][requirement.key] = requirement

    ctx["releases"]["wave1"] = create(
        Release,
        actor=manager,
        program=program,
        version_label="1.0",
        name="Wave 1: Finance go-live",
        description="S/4HANA Finance for the three EU entities, with the data and interfaces "
        "it needs.",
        planned_date=dt.date(2027, 2, 1),
        owner=manager,
    )
    ctx["releases"]["wave2"] = create(
        Release,
        actor=manager,
        program=program,
        version_label="2.0",
        name="Wave 2: Operations go-live",
        description="Supply chain, procurement and the Brno warehouses.",
        planned_date=dt.date(2027, 6, 7),
        owner=manager,
    )
    wave1 = ctx["releases"]["wave1"]
    ctx["cycles"]["sit"] = create(
        TestCycle,
        actor=manager,
        program=program,
        name="System integration test, cycle 1",
        kind=CycleKind.INTEGRATION,
        release=wave1,
        start_date=dt.date(2026, 10, 5),
        end_date=dt.date(2026, 11, 13),
        owner=people.get("k.tanaka@example.com", manager),
        environment="QA (SIT)",
        entry_criteria="Build 1.0-rc1 deployed; interfaces connected to the test MES and banks.",
        exit_criteria="Every case executed; no open severity 1 defect.",
    )
    ctx["cycles"]["uat"] = create(
        TestCycle,
        actor=manager,
        program=program,
        name="User acceptance test: finance key users",
        kind=CycleKind.UAT,
        release=wave1,
        start_date=dt.date(2026, 11, 16),
        end_date=dt.date(2026, 12, 18),
        owner=people.get("contributor@example.com", manager),
        environment="Pre-production",
        entry_criteria="SIT exit criteria met; key users trained.",
        exit_criteria="Pass rate at least 95 %; every Must requirement verified.",
    )
    for requirement in ctx["requirements"].values():
        if requirement.priority == MoSCoW.WONT:
            continue  # nothing is tested for what will not be built
        case = create(
            TestCase,
            actor=manager,
            program=program,
            workstream=requirement.workstream,
            title=f"Verify: {requirement.title}",
            objective=requirement.statement,
            preconditions="Test data set 'ERP-UAT-1' loaded; user roles assigned.",
            expected_result=f"The outcome meets every acceptance criterion of {requirement.key}.",
            priority=requirement.priority,
        )
        for position, (action, expected) in enumerate(STEPS, start=1):
            create(
                TestStep,
                actor=manager,
                program=program,
                case=case,
                position=position,
                action=action,
                expected=expected,
            )
        case.requirements.add(requirement)
        ctx["cases"][case.key] = case
    return {
        "requirements": len(ctx["requirements"]),
        "releases": len(ctx["releases"]),
        "test cycles": len(ctx["cycles"]),
        "test cases": len(ctx["cases"]),
    }
