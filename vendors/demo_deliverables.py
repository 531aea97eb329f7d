"""Demo deliverables of the ERP program (called by vendors/demo.py): Northwind's and Contoso's
SOW deliverables over the past nine months, in every review state, with small generated files
submitted and reviewed through the services, then moved to the dates of the story so the
scorecards have history (on time or late, first pass or not).

States: planned (one not yet due, one overdue), submitted and awaiting review, rejected and
awaiting resubmission (with the reasons), accepted first time, accepted in round 2 after a
rejection, and withdrawn. Some are linked to the WBS deliverables of the ERP plan.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from core.audit_guard import bulk_writes_allowed
from core.permissions import Role
from programs.models import Program, ProgramMembership
from schedules.models import Item

from .models import CriterionResult, Deliverable, PortalUser, Review, Submission, SubmissionFile
from .services import deliverables as services

D = dt.date
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Round:
    submitted: dt.date
    note: str
    files: list[str]  # names; the content is generated from the name
    reviewed: dt.date | None = None
    verdicts: tuple = ()  # per criterion: True (met) or the reason it is not met
    summary: str = ""


@dataclass
class Spec:
    slug: str
    contract: str
    title: str
    due: dt.date
    criteria: list[str]
    description: str = ""
    wbs: str = ""  # the name of the ERP plan's WBS deliverable it fulfils
    reviewer: str = "coordinator@example.com"
    rounds: list[Round] = field(default_factory=list)
    withdrawn: str = ""  # the reason, when withdrawn


SPECS = [
    Spec(
        "nw_arch", "nw_sow1", "Solution architecture document", D(2026, 3, 27),
        ["Covers every S/4HANA component in scope, with its landscape (DEV, QA, PRD)",
         "Interfaces listed with direction, frequency and middleware",
         "Signed off by the integration architect"],
        "Target architecture of the finance release: components, landscapes, interfaces.",
        wbs="Solution architecture document", reviewer="pm@example.com",
        rounds=[
            Round(D(2026, 3, 26), "Architecture v1.0 for review.",
                  ["solution-architecture-v1.0.pdf"], D(2026, 4, 1),
                  (True, "The MES and banking interfaces have no frequency or middleware.",
                   "No sign-off page."),
                  "Good structure; the interface catalogue is incomplete."),
            Round(D(2026, 4, 10), "v1.1: interface catalogue completed, sign-off page added.",
                  ["solution-architecture-v1.1.pdf", "interface-catalogue.xlsx"],
                  D(2026, 4, 14), (True, True, True), "Accepted."),
        ],
    ),
    Spec(
        "nw_fi_design", "nw_sow1", "Finance solution design document", D(2026, 4, 17),
        ["Every in-scope process (GL, AP, AR, AA, CO) has a to-be design",
         "Fit-gap list with a decision on every gap",
         "Reviewed with the finance key users"],
        "The to-be design of finance and controlling.",
        wbs="Finance solution design document",
        rounds=[
            Round(D(2026, 4, 15), "Design document v1.0 and the fit-gap list.",
                  ["finance-design-v1.0.pdf", "fit-gap.csv"], D(2026, 4, 22),
                  (True, True, True), "Clear and complete. Thank you."),
        ],
    ),
    Spec(
        "nw_config", "nw_sow1", "Finance configuration workbook, build cycle 1", D(2026, 6, 26),
        ["All company codes and ledgers configured as designed",
         "Configuration transported to QA"],
        wbs="",
        rounds=[
            Round(D(2026, 7, 3), "Workbook for build cycle 1; transports listed on sheet 2.",
                  ["config-workbook-c1.xlsx"], D(2026, 7, 8), (True, True)),
        ],
    ),
    Spec(
        "nw_interfaces", "nw_sow1", "Interface specifications: banking and MES", D(2026, 8, 14),
        ["A functional and technical specification per interface",
         "Error handling and reprocessing described",
         "Test data defined for each interface"],
        rounds=[
            Round(D(2026, 8, 13), "Specifications for the 6 banking and 8 MES interfaces.",
                  ["interface-specs-v1.pdf"], D(2026, 8, 20),
                  (True, "Reprocessing of rejected bank statements is not described.",
                   "No test data for the MES goods-movement interfaces."),
                  "Two gaps; the rest is solid."),
            Round(D(2026, 8, 28), "v2: reprocessing chapter and MES test data added.",
                  ["interface-specs-v2.pdf", "mes-test-data.csv"], D(2026, 9, 2),
                  (True, True, True)),
        ],
    ),
    Spec(
        "nw_sox", "nw_sow1", "SOX controls documentation for S/4HANA finance", D(2026, 10, 30),
        ["Every key control mapped to its S/4HANA configuration or report",
         "Segregation-of-duties rule set delivered",
         "Reviewed by internal audit"],
        "Control documentation that internal audit relies on for the wave 1 go-live.",
        wbs="SOX controls documentation for S/4HANA finance", reviewer="pm@example.com",
        rounds=[
            Round(D(2026, 10, 28), "Controls matrix and the SoD rule set.",
                  ["sox-controls-matrix.xlsx", "sod-ruleset.csv"], D(2026, 11, 5),
                  ("12 of 48 key controls have no mapping (P2P and fixed assets).", True,
                   "Internal audit has not reviewed it yet; please book the session with "
                   "Grace Kim."),
                  "Please complete the mapping and the audit review, then resubmit."),
        ],
    ),
    Spec(
        "nw_unit_tests", "nw_sow1", "Unit test evidence: finance build", D(2026, 11, 20),
        ["Every build object has a passed unit test with evidence",
         "Defects found in unit test are closed or logged"],
        rounds=[
            Round(D(2026, 11, 24), "Unit test log and screenshots for the 212 build objects.",
                  ["unit-test-log.csv", "unit-test-summary.md"]),
        ],
    ),
    Spec(
        "nw_training", "nw_sow1", "Key-user training materials: finance", D(2026, 11, 13),
        ["One course per finance role, with exercises",
         "Materials in English and German"],
        "Materials for the key-user training before UAT.",
    ),
    Spec(
        "nw_runbook", "nw_sow1", "Cut-over runbook: wave 1", D(2027, 1, 22),
        ["Every step has an owner, a duration and a rollback",
         "Rehearsed once in the dress rehearsal",
         "Go/no-go criteria listed"],
        wbs="Cut-over runbook: wave 1", reviewer="pm@example.com",
    ),
    Spec(
        "nw_fa_conversion", "nw_sow1", "Data conversion design for fixed assets", D(2026, 9, 30),
        ["Mapping of every legacy asset class", "Depreciation recalculation approach"],
        withdrawn="Descoped: fixed assets migrate with the standard migration cockpit (CR-3), "
        "so no custom conversion is needed.",
    ),
    Spec(
        "ct_strategy", "ct_sow", "Data migration strategy", D(2026, 3, 13),
        ["Migration objects listed with source, owner and load method",
         "Three mock loads and the cut-over load planned",
         "Data quality rules agreed with the data owners"],
        wbs="Data migration strategy", reviewer="pm@example.com",
        rounds=[
            Round(D(2026, 3, 11), "Strategy v1.0.", ["migration-strategy-v1.pdf"],
                  D(2026, 3, 17), (True, True, True)),
        ],
    ),
    Spec(
        "ct_mock1", "ct_sow", "Mock load 1 reconciliation report", D(2026, 6, 12),
        ["Record counts reconciled for every migration object",
         "Financial balances reconciled to the cent",
         "Defects logged with owners"],
        wbs="Mock load 1 reconciliation report",
        rounds=[
            Round(D(2026, 6, 12), "Reconciliation of mock load 1.",
                  ["mock1-reconciliation.xlsx"], D(2026, 6, 17),
                  (True, "Open-item balances of 3 company codes differ (EUR 4,210.17).", True)),
            Round(D(2026, 6, 24), "Differences explained (FX revaluation timing) and cleared.",
                  ["mock1-reconciliation-v2.xlsx", "fx-difference-analysis.pdf"],
                  D(2026, 6, 26), (True, True, True)),
        ],
    ),
    Spec(
        "ct_mock2", "ct_sow", "Mock load 2 reconciliation report", D(2026, 9, 18),
        ["Record counts reconciled for every migration object",
         "Financial balances reconciled to the cent",
         "Load times measured against the cut-over window"],
        wbs="Mock load 2 reconciliation report",
        rounds=[
            Round(D(2026, 9, 23), "Mock load 2 reconciliation and load timings.",
                  ["mock2-reconciliation.xlsx", "load-timings.csv"], D(2026, 9, 29),
                  (True, True, True), "Clean run."),
        ],
    ),
    Spec(
        "ct_cleansing", "ct_sow", "Data cleansing status report, October", D(2026, 11, 6),
        ["Open cleansing items per object and owner",
         "Trend against the September report"],
        rounds=[
            Round(D(2026, 11, 5), "October status.", ["cleansing-status-oct.pdf"],
                  D(2026, 11, 10), (True, "No comparison with September is included.")),
        ],
    ),
    Spec(
        "ct_archive", "ct_sow", "Legacy archive extraction plan", D(2026, 11, 25),
        ["Every legacy table to archive listed with its retention",
         "Extraction tested on one company code"],
        rounds=[
            Round(D(2026, 11, 25), "Plan and the test extraction log for company code 1000.",
                  ["archive-plan.pdf", "extraction-test.txt"]),
        ],
    ),
    Spec(
        "ct_mock3", "ct_sow", "Mock load 3 reconciliation report", D(2026, 12, 11),
        ["Record counts reconciled for every migration object",
         "Financial balances reconciled to the cent",
         "Sign-off by the data owners"],
    ),
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


def _xlsx(title: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Summary")
    sheet.write_row(0, 0, ["Item", "Status", "Owner"])
    sheet.write_row(1, 0, [title, "Complete", "Northwind / Contoso"])
    book.close()
    return buffer.getvalue()


def _file(name: str, spec: Spec, round_: Round) -> SimpleUploadedFile:
    ext = name.rsplit(".", 1)[-1]
    if ext == "pdf":
        content = _pdf(
            spec.title,
            [f"File: {name}", f"Submitted {round_.submitted:%d %b %Y}.", round_.note,
             *spec.criteria],
        )  # fmt: skip
    elif ext == "xlsx":
        content = _xlsx(spec.title)
    elif ext == "csv":
        content = b"item,status,owner\n" + f"{spec.title},complete,vendor\n".encode()
    else:
        content = f"# {spec.title}\n\n{round_.note}\n".encode()
    return SimpleUploadedFile(name, content)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)


def _people(program: Program) -> dict[str, object]:
    members = ProgramMembership.objects.filter(program=program).select_related("user")
    return {m.user.email: m.user for m in members}


def _portal_user(program: Program, vendor):
    binding = (
        PortalUser.objects.filter(program=program, vendor=vendor)
        .select_related("membership__user")
        .first()
    )
    return binding.membership.user if binding else None


def _play(program: Program, spec: Spec, ctx: dict, people: dict, wbs: dict) -> Deliverable:
    manager = ctx["manager"]
    contract = ctx["contracts"][spec.contract]
    reviewer = people.get(spec.reviewer)
    membership = (
        ProgramMembership.objects.filter(program=program, user=reviewer).first()
        if reviewer
        else None
    )
    if membership is None or membership.role not in (Role.MANAGER, Role.COORDINATOR):
        reviewer = manager
    deliverable = services.deliverable_create(
        actor=manager,
        program=program,
        contract=contract,
        title=spec.title,
        description=spec.description,
        due_date=spec.due,
        wbs_item=wbs.get(spec.wbs),
        reviewer=reviewer,
        criteria=spec.criteria,
    )
    submitter = _portal_user(program, contract.vendor) or manager
    moments = []
    for round_ in spec.rounds:
        submission = services.deliverable_submit(
            actor=submitter,
            deliverable=deliverable,
            files=[_file(name, spec, round_) for name in round_.files],
            note=round_.note,
            notify=False,
        )
        review = None
        if round_.reviewed:
            review = services.deliverable_review(
                actor=reviewer,
                deliverable=deliverable,
                results=[
                    {"criterion": c.pk, "met": v is True, "reason": "" if v is True else v}
                    for c, v in zip(
                        deliverable.criteria.order_by("position", "id"), round_.verdicts,
                        strict=True,
                    )
                ],
                summary=round_.summary,
                notify=False,
            )  # fmt: skip
        moments.append((submission, round_, review))
    if spec.withdrawn:
        services.deliverable_withdraw(
            actor=manager, deliverable=deliverable, reason=spec.withdrawn, expected_version=None
        )
    _backdate(deliverable, spec, moments)
    return deliverable


def _backdate(deliverable: Deliverable, spec: Spec, moments) -> None:
    """The story's dates: created weeks before the due date, each round and review on its day."""
    start = max(deliverable.contract.start_date, spec.due - dt.timedelta(days=45))
    created = _at(min(start, timezone.localdate()), 9)
    last = created
    with bulk_writes_allowed():
        for submission, round_, review in moments:
            at = _at(round_.submitted, 10)
            Submission.objects.filter(pk=submission.pk).update(created_at=at, updated_at=at)
            SubmissionFile.objects.filter(submission=submission).update(
                created_at=at, updated_at=at
            )
            last = at
            if review is not None:
                at = _at(round_.reviewed, 15)
                Review.objects.filter(pk=review.pk).update(created_at=at, updated_at=at)
                CriterionResult.objects.filter(review=review).update(created_at=at, updated_at=at)
                last = at
        changes = {"created_at": created, "updated_at": max(last, created)}
        if moments:
            changes["first_submitted_at"] = _at(moments[0][1].submitted, 10)
        if (
            deliverable.accepted_at
            or Deliverable.objects.filter(pk=deliverable.pk, status="accepted").exists()
        ):
            changes["accepted_at"] = last
        if spec.withdrawn:
            changes["updated_at"] = _at(spec.due - dt.timedelta(days=20), 11)
        Deliverable.objects.filter(pk=deliverable.pk).update(**changes)


def build(program: Program, ctx: dict) -> dict[str, int]:
    """The deliverables of the demo contracts; `ctx["deliverables"]` gets them by slug."""
    people = _people(program)
    wbs = {
        item.name: item
        for item in Item.objects.filter(program=program, kind__in=services.WBS_KINDS)
    }
    ctx["deliverables"] = {}
    for spec in SPECS:
        if spec.contract not in ctx["contracts"]:
            continue
        ctx["deliverables"][spec.slug] = _play(program, spec, ctx, people, wbs)
    rounds = Submission.objects.filter(program=program).count()
    return {"deliverables": len(ctx["deliverables"]), "submission rounds": rounds}
