"""The demo program's RACI matrix and compliance register (called from governance/demo.py).

ERP gets a believable matrix (the plan's key deliverables and milestones plus cutover, training
and hypercare activities; its people and two bodies as columns) and a register of GDPR, SOX ITGC,
contract and policy obligations in every status, with small generated evidence files (text,
CSV and PDF). A non-compliant access review has been escalated twice: once when it turned
non-compliant and again after the re-escalation period.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from core.audit_guard import bulk_writes_allowed
from core.models import User
from core.permissions import Role
from programs.models import Program, ProgramMembership
from schedules.models import Item, ItemKind

from .models import Obligation, RaciRow
from .services import compliance as compliance_services
from .services import raci as raci_services

PEOPLE = [  # the ERP team, left to right
    "exec@example.com",
    "pm@example.com",
    "coordinator@example.com",
    "contributor@example.com",
    "j.moreau@example.com",
    "s.ibrahim@example.com",
    "k.tanaka@example.com",
    "l.novak@example.com",
]
ROLES = ["Steering committee", "Data protection officer"]
SHORT = {
    "daniel": "exec@example.com",
    "priya": "pm@example.com",
    "marcus": "coordinator@example.com",
    "ana": "contributor@example.com",
    "julien": "j.moreau@example.com",
    "sara": "s.ibrahim@example.com",
    "kenji": "k.tanaka@example.com",
    "lena": "l.novak@example.com",
    "fatima": "finance@example.com",
    "sc": "Steering committee",
    "dpo": "Data protection officer",
}
# (plan item name, or None for an activity; activity name; letters)
ROWS: list[tuple[str | None, str, dict[str, str]]] = [
    ("Integrated program plan", "", {"daniel": "C", "priya": "AR", "marcus": "R", "ana": "C",
     "julien": "C", "sara": "C", "kenji": "C", "sc": "I"}),
    ("Finance solution design document", "", {"priya": "A", "ana": "R", "kenji": "C",
     "sara": "C", "sc": "I"}),
    ("Supply chain solution design document", "", {"priya": "A", "julien": "R", "kenji": "C",
     "sara": "C", "lena": "I"}),
    ("Solution architecture document", "", {"priya": "A", "kenji": "R", "marcus": "C",
     "ana": "C", "julien": "C", "dpo": "C"}),
    ("Data migration strategy", "", {"priya": "A", "sara": "R", "kenji": "C", "ana": "C",
     "julien": "C", "dpo": "C"}),
    ("Design sign-off", "", {"daniel": "A", "priya": "R", "ana": "C", "julien": "C",
     "kenji": "C", "sara": "C", "sc": "I"}),
    ("Mock load 2 reconciliation report", "", {"sara": "AR", "ana": "C", "julien": "C",
     "priya": "I"}),
    ("SOX controls documentation for S/4HANA finance", "", {"priya": "A", "ana": "R",
     "kenji": "C", "dpo": "I"}),
    ("UAT sign-off: wave 1", "", {"ana": "A", "lena": "R", "marcus": "R", "priya": "C",
     "sc": "I"}),
    ("Cut-over runbook: wave 1", "", {"priya": "A", "kenji": "R", "sara": "R", "marcus": "C",
     "ana": "C"}),
    ("Go/no-go decision: wave 1", "", {"sc": "A", "daniel": "R", "priya": "R", "ana": "C",
     "julien": "C", "kenji": "C", "sara": "C", "lena": "I"}),
    (None, "Data cutover rehearsal", {"marcus": "A", "sara": "R", "kenji": "R", "ana": "C",
     "priya": "I"}),
    (None, "End-user training delivery", {"lena": "AR", "ana": "C", "julien": "C",
     "priya": "I"}),
    (None, "Hypercare support rota", {"marcus": "A", "kenji": "R", "lena": "C", "priya": "I",
     "sc": "I"}),
]  # fmt: skip


def _pdf(title: str, lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(title)
    page.setFont("Helvetica-Bold", 14)
    page.drawString(56, 780, title)
    page.setFont("Helvetica", 10)
    y = 750
    for line in lines:
        page.drawString(56, y, line)
        y -= 16
    page.showPage()
    page.save()
    return buffer.getvalue()


# (key in OBLIGATIONS order) -> files: (name, content, note)
def _files() -> dict[int, list[tuple[str, bytes, str]]]:
    return {
        0: [
            (
                "pentest-summary-2026-10.pdf",
                _pdf(
                    "Penetration test summary: S/4HANA QA and production landscapes",
                    [
                        "Tester: Redline Security GmbH. Window: 5-16 October 2026.",
                        "Scope: SAP Fiori launchpad, Gateway, HANA database, jump hosts.",
                        "Findings: 0 critical, 1 high (fixed 21 Oct, retested), 4 medium.",
                        "Conclusion: technical measures appropriate to the risk (Art. 32(1)).",
                    ],
                ),
                "External penetration test; the one high finding was fixed and retested.",
            ),
            (
                "encryption-settings.txt",
                b"HANA data volume encryption: ON (AES-256)\nLog volume encryption: ON\n"
                b"Backup encryption: ON\nTLS 1.2+ enforced on all ICM ports\n"
                b"Checked by K. Tanaka, 2 Nov 2026\n",
                "Screen notes of the encryption settings in production.",
            ),
        ],
        1: [
            (
                "ropa-draft-v3.csv",
                b"processing_activity,data_subjects,categories,system,retention\n"
                b"Vendor invoices,Suppliers,Contact and bank data,S/4 FI-AP,10 years\n"
                b"Payroll postings,Employees,Salary totals,S/4 FI-GL,10 years\n"
                b"Customer credit checks,Customers,Credit limits,S/4 FI-AR,6 years\n",
                "Draft v3: HR master data and the vendor portal are still missing.",
            ),
        ],
        2: [
            (
                "dpia-signed.pdf",
                _pdf(
                    "Data protection impact assessment: ERP data migration",
                    [
                        "Processing: migration of customer, vendor and employee master data.",
                        "Risks assessed: 9; residual risk: low after masking in test systems.",
                        "DPO opinion: favourable (12 Aug 2026).",
                        "Signed: D. Okafor (sponsor), S. Ibrahim (data migration lead).",
                    ],
                ),
                "Signed DPIA with the DPO's opinion.",
            ),
        ],
        3: [
            (
                "dpa-northwind-signed.pdf",
                _pdf(
                    "Data processing agreement: Northwind Consulting",
                    [
                        "Annex to MSA NW-2026-014. Processor: Northwind Consulting Ltd.",
                        "Sub-processors listed in Schedule 2; EU/EEA processing only.",
                        "Signed 3 March 2026 by both parties.",
                    ],
                ),
                "Article 28 agreement, signed with the MSA.",
            ),
        ],
        4: [
            (
                "q3-access-review-status.txt",
                b"Q3 user access review, finance roles (S/4HANA QA and PRD)\n"
                b"Roles in scope: 212; reviewed: 131; open: 81\n"
                b"Leavers still active in QA: 14 (tickets raised 2 Nov)\n"
                b"Reviewer sign-off: not yet given\n",
                "Status of the overdue Q3 review.",
            ),
        ],
        5: [
            (
                "transport-approval-sample.csv",
                b"transport,description,approved_by,approved_on,imported_on\n"
                b"S4PK900412,GL account derivation fix,A. Souza,2026-11-10,2026-11-11\n"
                b"S4PK900418,Vendor payment block,M. Lee,2026-11-12,2026-11-12\n"
                b"S4PK900421,Fiori tile catalogue,,,2026-11-13\n",
                "Sample of 25 transports: one imported without approval (S4PK900421).",
            ),
        ],
        7: [
            (
                "hosting-attestation-2026.pdf",
                _pdf(
                    "Hosting location attestation 2026",
                    [
                        "Provider: Northwind Cloud Services.",
                        "Primary: Frankfurt (DE); disaster recovery: Amsterdam (NL).",
                        "No replication or support access from outside the EU.",
                    ],
                ),
                "Annual attestation required by MSA §14.2.",
            ),
        ],
        9: [
            (
                "restore-test-2026-11-24.txt",
                b"Restore test, QA system QS4, 24 Nov 2026\n"
                b"Full backup of 23 Nov: restored in 3 h 10 min\n"
                b"Log backups 23 Nov 18:00 - 24 Nov 06:00: NOT restorable (catalog gap)\n"
                b"Result: FAILED. Incident INC-20931 raised.\n",
                "The failed restore test that made this non-compliant.",
            ),
        ],
    }


def _obligations(today: dt.date) -> list[dict]:
    d = dt.timedelta
    return [
        {"title": "Security of processing in S/4HANA", "kind": "regulation",
         "reference": "GDPR Art. 32", "owner": "kenji", "status": "compliant",
         "review_date": today + d(45),
         "text": "Appropriate technical and organisational measures to ensure a level of "
                 "security appropriate to the risk, including encryption and regular testing.",
         "control": "Encryption at rest and in transit; yearly external penetration test; "
                    "findings fixed before go-live.",
         "notes": "Pen test of October: one high finding, fixed and retested."},
        {"title": "Record of processing activities for the new system", "kind": "regulation",
         "reference": "GDPR Art. 30", "owner": "sara", "status": "at_risk",
         "review_date": today + d(5),
         "text": "Maintain a record of processing activities under the controller's "
                 "responsibility.",
         "control": "Each workstream lists the processing in its area; the DPO reviews the "
                    "record before each go-live.",
         "notes": "HR master data and the vendor portal are not yet documented."},
        {"title": "DPIA for customer and employee data migration", "kind": "regulation",
         "reference": "GDPR Art. 35", "owner": "sara", "status": "compliant",
         "review_date": today + d(120),
         "text": "Assess the impact of processing likely to result in a high risk.",
         "control": "DPIA before the first mock load; masked data in every test system.",
         "notes": ""},
        {"title": "Processor agreement with Northwind Consulting", "kind": "regulation",
         "reference": "GDPR Art. 28", "owner": "priya", "status": "compliant",
         "review_date": today + d(200),
         "text": "Processing by a processor is governed by a contract binding it to the "
                 "controller.",
         "control": "Data processing agreement signed with the MSA; sub-processors approved.",
         "notes": ""},
        {"title": "User access reviews for S/4HANA finance roles", "kind": "regulation",
         "reference": "SOX ITGC AC-1", "owner": "fatima", "status": "non_compliant",
         "review_date": today - d(10),
         "text": "Access to financially significant systems is reviewed quarterly and "
                 "inappropriate access removed.",
         "control": "Quarterly review of every finance role by the role owner; leavers "
                    "removed within 24 hours.",
         "notes": "Q3 review not completed; 14 leavers still active in QA with "
                  "production-like data.",
         "backdate_days": 19},
        {"title": "Transports approved before import to production", "kind": "regulation",
         "reference": "SOX ITGC CM-2", "owner": "kenji", "status": "at_risk",
         "review_date": today + d(20),
         "text": "Changes to financially significant systems are approved before they reach "
                 "production.",
         "control": "ChaRM approval step; weekly sample of 25 transports checked.",
         "notes": "One transport of 25 imported without a recorded approval."},
        {"title": "Segregation of duties in the S/4HANA role design", "kind": "regulation",
         "reference": "SOX ITGC SD-1", "owner": "ana", "status": "not_assessed",
         "review_date": today + d(30),
         "text": "Incompatible duties (e.g. create vendor and pay vendor) are not held by "
                 "one person.",
         "control": "SoD rule set run against the role design before UAT.",
         "notes": ""},
        {"title": "Data stays in EU data centres", "kind": "contract",
         "reference": "Northwind MSA §14.2", "owner": "priya", "status": "compliant",
         "review_date": today + d(90),
         "text": "All customer data is stored and processed in the EU; no access from "
                 "outside the EU.",
         "control": "Annual hosting attestation; network rules reviewed at each release.",
         "notes": ""},
        {"title": "Named-user licences classified before go-live", "kind": "contract",
         "reference": "SAP licence agreement §9.3", "owner": "fatima",
         "status": "not_assessed", "review_date": today - d(3),
         "text": "Every named user is classified by licence type before productive use.",
         "control": "User classification report from USMM reviewed by finance.",
         "notes": ""},
        {"title": "Backups and a restore test before each go-live", "kind": "policy",
         "reference": "IT security policy ISP-7", "owner": "kenji",
         "status": "non_compliant", "review_date": today + d(7),
         "text": "Production systems are backed up daily and a full restore is tested "
                 "before each go-live.",
         "control": "Restore of the QA system from production backups two weeks before "
                    "cut-over.",
         "notes": "Restore test of 24 Nov failed: log backups not restorable."},
        {"title": "Legacy ECC archive kept for ten years", "kind": "policy",
         "reference": "Records retention policy RET-2", "owner": "sara", "status": "compliant",
         "review_date": today + d(150),
         "text": "Financial records are kept for ten years in a readable form.",
         "control": "Read-only archive of ECC with retention locks; access logged.",
         "notes": ""},
    ]  # fmt: skip


def _people(program: Program) -> dict[str, User]:
    members = {
        m.user.email: m.user
        for m in ProgramMembership.objects.filter(program=program).select_related("user")
    }
    return {short: members[email] for short, email in SHORT.items() if email in members}


def _build_raci(program: Program, people: dict[str, User], actor: User) -> int:
    columns = {}
    by_email = {u.email: (short, u) for short, u in people.items()}
    for email in PEOPLE:
        if email in by_email:
            short, user = by_email[email]
            columns[short] = raci_services.raci_column_create(
                actor=actor, program=program, kind="person", user=user
            )
    for role in ROLES:
        short = next(k for k, v in SHORT.items() if v == role)
        columns[short] = raci_services.raci_column_create(
            actor=actor, program=program, kind="role", role_name=role
        )
    items = {
        i.name: i
        for i in Item.objects.filter(
            program=program, kind__in=(ItemKind.DELIVERABLE, ItemKind.MILESTONE)
        )
    }
    rows = 0
    for item_name, activity, letters in ROWS:
        item = items.get(item_name) if item_name else None
        if item_name and item is None:
            continue  # a plan without this item: leave the row out
        cells = {columns[who]: letter for who, letter in letters.items() if who in columns}
        raci_services.raci_row_create(
            actor=actor, program=program, item=item, activity=activity, cells=cells
        )
        rows += 1
    return rows


def _build_register(program: Program, people: dict[str, User], actor: User) -> tuple[int, int]:
    today = timezone.localdate()
    files = _files()
    evidence = 0
    backdated = []
    for n, spec in enumerate(_obligations(today)):
        spec = dict(spec)
        days = spec.pop("backdate_days", 0)
        owner = people.get(spec.pop("owner")) or actor
        obligation = compliance_services.obligation_create(
            actor=actor, program=program, owner=owner, **spec
        )
        for name, content, note in files.get(n, []):
            compliance_services.evidence_add(
                actor=owner,
                obligation=obligation,
                upload=SimpleUploadedFile(name, content),
                note=note,
            )
            evidence += 1
        if days:
            backdated.append((obligation.pk, days))
    # The access review turned non-compliant weeks ago: its first escalation went out then, and
    # the periodic task now takes the second step (to the program manager and the sponsor).
    with bulk_writes_allowed():
        for pk, days in backdated:
            Obligation.objects.filter(pk=pk).update(
                status_changed_at=timezone.now() - dt.timedelta(days=days)
            )
    compliance_services.obligation_escalations_run()
    return Obligation.objects.filter(program=program).count(), evidence


@transaction.atomic
def build_raci_demo(program: Program) -> dict[str, int] | None:
    """Build ERP's matrix and register once; None when already built or not the ERP demo."""
    if program is None or program.code != "ERP":
        return None
    if (
        RaciRow.objects.filter(program=program).exists()
        or Obligation.objects.filter(program=program).exists()
    ):
        return None
    manager = (
        ProgramMembership.objects.filter(program=program, role=Role.MANAGER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if manager is None:
        return None
    people = _people(program)
    actor = manager.user
    rows = _build_raci(program, people, actor)
    obligations, evidence = _build_register(program, people, actor)
    return {
        "RACI rows": rows,
        "obligations": obligations,
        "evidence files": evidence,
    }
