"""The ERP demo's defects (seed_demo): about thirty defects of finance, supply chain, migration and
integration testing, in every status of the workflow, raised over the last six weeks.

Each defect is raised with `defect_create` and moved through the workflow with
`defect_transition` (so its trail and audit entries are the real ones). A closed defect linked
to a test case gets its passing retest through the testing area's `run_record` when that case is
planned in a cycle; otherwise it is closed with a written verification. Then, and only here in
the demo, the dates are moved into the past with a plain write (`bulk_writes_allowed`): when it
was raised (`created_at`), each step of its trail, `resolved_at`, `closed_at` and the retest
runs, so ageing and mean time to fix show meaningful figures. The audit entries keep the time
the demo ran.

Reads ctx (see demo_base): manager, coordinator, people, workstreams, requirements, releases,
cycles, cases; and, when the testing demo ran first, `failed_runs` (failed TestRuns, linked to
the defects of their case) and `raised_defects` (defects it raised from runs: triaged here).
Puts ctx["defects"] = {key: Defect}.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.audit_guard import bulk_writes_allowed

from .models import CycleCase, CycleStatus, Defect, DefectTransition, TestRun
from .services import defects as services

NEW, TRI, WIP, FIX, RET, REO, CLO, REJ, DEF = (
    "new", "triaged", "in_progress", "fixed", "retest", "reopened", "closed", "rejected",
    "deferred",
)  # fmt: skip
PATHS = {
    NEW: (),
    TRI: (TRI,),
    WIP: (TRI, WIP),
    FIX: (TRI, WIP, FIX),
    RET: (TRI, WIP, FIX, RET),
    REO: (TRI, WIP, FIX, RET, REO),
    CLO: (TRI, WIP, FIX, RET, CLO),
    REJ: (REJ,),
    DEF: (TRI, DEF),
}
PM, COORD, FI, SC, DM, IT = (
    "pm@example.com", "coordinator@example.com", "contributor@example.com",
    "j.moreau@example.com", "s.ibrahim@example.com", "k.tanaka@example.com",
)  # fmt: skip

# (status, severity, priority, workstream, requirement title starts with, title, description,
#  days ago raised, owner, target release, cycle, extra)
DEFECTS = [
    (
        WIP,
        1,
        "urgent",
        "FI",
        "Post journal entries with document splitting",
        "Document splitting fails for profit centre PC-2310 postings",
        "Steps: post a vendor invoice (FB60) with two lines on cost centres of PC-2310.\n"
        "Expected: the entry is split by profit centre and segment.\n"
        "Actual: error GLT2 201 'Balancing field Profit Center in line item 002 not filled'; the "
        "document cannot be posted.",
        9,
        FI,
        "wave1",
        "sit",
        {},
    ),
    (
        TRI,
        1,
        "urgent",
        "IT",
        "Bank connectivity through EBICS",
        "EBICS upload of SEPA payment file rejected by Deutsche Bank test system",
        "The payment run's pain.001 file is rejected with EBICS return code 091116 (signature "
        "invalid). The bank's test certificate was renewed on the bank side last week.",
        4,
        IT,
        "wave1",
        "sit",
        {},
    ),
    (
        NEW,
        2,
        "high",
        "FI",
        "Three-way match for supplier invoices",
        "Invoice within tolerance still blocked for payment (three-way match)",
        "PO 4500012877, GR of 100 PC, invoice of 100 PC at 0.8 % above PO price (tolerance 2 %). "
        "The invoice is blocked with reason P (price).",
        2,
        None,
        None,
        "uat",
        {},
    ),
    (
        NEW,
        3,
        "medium",
        "SC",
        "Warehouse label printing",
        "Handling-unit label prints the batch number truncated to 8 characters",
        "Label layout ZHU_LABEL_01 on the Zebra printers in Brno cuts batch 2026-11-004512 to "
        "'2026-11-'.",
        1,
        None,
        None,
        "sit",
        {},
    ),
    (
        NEW,
        4,
        "low",
        "IT",
        "Fiori launchpad on tablets",
        "Launchpad tile 'Post goods receipt' shows the English title for Czech users",
        "Language CS; the tile subtitle is translated, the title is not.",
        0,
        None,
        None,
        "uat",
        {},
    ),
    (
        TRI,
        2,
        "high",
        "DM",
        "Open items reconciliation",
        "Migrated open customer items differ from legacy by EUR 1,204.37 in company 1100",
        "Reconciliation report after mock load 3: 14 items of customer 200417 missing; they have a "
        "posting date in a closed legacy period.",
        34,
        DM,
        "wave1",
        "sit",
        {},
    ),
    (
        TRI,
        3,
        "medium",
        "SC",
        "Stock transfer between plants",
        "Stock transfer order between Brno and Eindhoven ignores the shipping point",
        "STO 4500013002 picks shipping point BR01 instead of BR02 for material 100-340.",
        6,
        SC,
        "wave2",
        "sit",
        {},
    ),
    (
        WIP,
        2,
        "high",
        "IT",
        "Interface to the MES in every plant",
        "MES production confirmations duplicated after an IDoc retry",
        "When the MES resends IDoc type CONF21 after a timeout, the confirmation is posted twice "
        "and the order shows 200 % yield.",
        16,
        IT,
        "wave1",
        "sit",
        {},
    ),
    (
        WIP,
        2,
        "high",
        "FI",
        "Parallel ledgers for IFRS and local GAAP",
        "Local-GAAP ledger 2L receives IFRS-only valuation adjustment",
        "Foreign-currency valuation run for ledger 0L also posts to 2L for accounts flagged "
        "IFRS-only.",
        13,
        FI,
        "wave1",
        "uat",
        {},
    ),
    (
        WIP,
        3,
        "medium",
        "DM",
        "Customer master migrated and de-duplicated",
        "Duplicate check lets through customers differing only in legal form",
        "'Novák s.r.o.' and 'Novák spol. s r.o.' are both created as business partners.",
        38,
        DM,
        "wave1",
        "sit",
        {},
    ),
    (
        FIX,
        2,
        "high",
        "FI",
        "Automatic bank statement import",
        "CAMT.053 import stops at the first statement with a negative opening balance",
        "Import job for house bank KB01 ends with 'Amount must be positive' for statement "
        "2026/214.",
        21,
        FI,
        "wave1",
        "sit",
        {
            "resolution": "Mapping of CdtDbtInd for opening balances corrected in the import "
            "format (transport DEVK904488).",
            "build": "1.0-rc2",
        },
    ),
    (
        FIX,
        3,
        "medium",
        "SC",
        "Goods receipt with handheld scanners",
        "Scanner goods receipt screen times out after 60 seconds of inactivity",
        "Warehouse staff lose the entered quantities when the RF session times out.",
        17,
        SC,
        "wave2",
        "sit",
        {
            "resolution": "RF session timeout raised to 10 minutes for the warehouse role.",
            "build": "",
        },
    ),
    (
        RET,
        2,
        "high",
        "FI",
        "E-invoicing to public-sector customers",
        "XRechnung output misses the buyer reference (BT-10)",
        "Invoices to public-sector customers are rejected by the Peppol gateway: BT-10 Leitweg-ID "
        "is empty although it is maintained on the customer.",
        24,
        FI,
        "wave1",
        "uat",
        {
            "resolution": "BT-10 mapped from the customer's Leitweg-ID field in the output form.",
            "build": "1.0-rc3",
        },
    ),
    (
        RET,
        3,
        "medium",
        "IT",
        "Single sign-on with the corporate identity provider",
        "SSO login loops back to the login page in Safari on iPad",
        "SAML response accepted but the session cookie is not set (SameSite).",
        15,
        IT,
        "wave1",
        "uat",
        {
            "resolution": "SameSite=None; Secure set on the Web Dispatcher cookie.",
            "build": "1.0-rc3",
        },
    ),
    (
        REO,
        1,
        "urgent",
        "FI",
        "Segregation of duties for payments",
        "Payment run can be released by the user who created the proposal",
        "User FI_AP_03 created and released proposal 20261104-AP1 of EUR 412,000: the SoD rule "
        "does not fire.",
        27,
        FI,
        "wave1",
        "uat",
        {
            "resolution": "Release authorisation split into two roles.",
            "build": "1.0-rc2",
            "reopen": "Retest in build 1.0-rc3 failed: a user holding both roles through a "
            "composite role can still release their own proposal.",
        },
    ),
    (
        REO,
        3,
        "medium",
        "DM",
        "Data-load error report",
        "Data-load error report omits rows rejected by the duplicate check",
        "The error report after mock load 3 lists 1,022 errors; the load log shows 1,187.",
        20,
        DM,
        "wave1",
        "sit",
        {
            "resolution": "Duplicate-check rejections written to the error report.",
            "build": "1.0-rc2",
            "reopen": "Still 40 rows missing: rejections from the address check are not reported.",
        },
    ),
    (
        CLO,
        2,
        "high",
        "FI",
        "Month-end close in five working days",
        "Accrual reversal job posts in the wrong period on the first working day",
        "The reversal of month-end accruals posts to period 11 instead of 12 when run before "
        "06:00 CET.",
        40,
        FI,
        "wave1",
        "sit",
        {
            "resolution": "Job scheduled in the company's time zone; posting date derived from "
            "the run date.",
            "build": "1.0-rc1",
        },
    ),
    (
        CLO,
        3,
        "medium",
        "FI",
        "Dunning in the customer's language",
        "Dunning letter in Czech shows the English salutation",
        "Dunning level 2 for customers with language CS starts with 'Dear Sir or Madam'.",
        36,
        FI,
        "wave1",
        "uat",
        {"resolution": "Czech text module added to the dunning form.", "build": "1.0-rc2"},
    ),
    (
        CLO,
        2,
        "high",
        "IT",
        "Response time of key transactions",
        "Sales order creation takes 9 seconds with 50 lines",
        "VA01 with 50 items: 9.1 s on average in the performance test; the target is 2 s.",
        38,
        IT,
        "wave1",
        "sit",
        {
            "resolution": "Missing index on the pricing condition table created.",
            "build": "1.0-rc2",
            "verified": "Performance test rerun by K. Tanaka: 1.4 s average over 200 orders.",
        },
    ),
    (
        CLO,
        4,
        "low",
        "SC",
        "Vendor evaluation scores",
        "Vendor evaluation list sorts the score as text (100 before 20)",
        "ME6H list: scores sorted lexically.",
        33,
        SC,
        "wave2",
        None,
        {
            "resolution": "Column type changed to numeric in the list layout.",
            "build": "1.0-rc2",
            "verified": "Checked in QA by the purchasing key user.",
        },
    ),
    (
        CLO,
        3,
        "medium",
        "DM",
        "Supplier master with bank details verified",
        "IBAN check rejects valid Dutch IBANs with lowercase letters",
        "NL91abna0417164300 is refused; the load file contains lowercase IBANs.",
        41,
        DM,
        "wave1",
        "sit",
        {
            "resolution": "IBANs upper-cased in the migration template before the check.",
            "build": "1.0-rc1",
        },
    ),
    (
        REJ,
        1,
        "urgent",
        "FI",
        "Post journal entries with document splitting",
        "Cannot post vendor invoice for profit centre PC-2310",
        "FB60 fails with a profit-centre error for PC-2310.",
        8,
        None,
        "wave1",
        "uat",
        {
            "reason": "duplicate",
            "duplicate": 0,
            "comment": "Same root cause as the document-splitting defect raised in SIT.",
        },
    ),
    (
        REJ,
        3,
        "medium",
        "SC",
        "MRP run overnight for all plants",
        "MRP run creates no planned orders for material 300-120",
        "Material 300-120 shows demand but the overnight MRP run creates nothing.",
        26,
        None,
        None,
        "sit",
        {
            "reason": "not_a_defect",
            "comment": "Works as designed: the material has MRP type ND (no planning) in "
            "plant 1200, as agreed in the design workshop.",
        },
    ),
    (
        REJ,
        4,
        "low",
        "IT",
        "Print output to plant printers",
        "Delivery note printed twice on printer BRN-WH-07",
        "Reported once by the Brno warehouse.",
        22,
        None,
        None,
        "uat",
        {
            "reason": "cannot_reproduce",
            "comment": "Printed 40 delivery notes on BRN-WH-07 with the reporter: no duplicates.",
        },
    ),
    (
        DEF,
        3,
        "medium",
        "SC",
        "Consignment stock at customer sites",
        "Consignment fill-up does not copy the customer's PO number",
        "Order type KB: the customer PO number is empty on the delivery.",
        30,
        SC,
        "wave1",
        "sit",
        {"comment": "Consignment goes live with wave 2 (Operations); agreed in the test board."},
    ),
    (
        DEF,
        4,
        "low",
        "SC",
        "Accessible screens for warehouse staff",
        "Focus outline invisible on the RF goods-issue screen",
        "Keyboard users cannot see which field has focus on the RF screens.",
        28,
        SC,
        "wave1",
        None,
        {"comment": "RF screens are redesigned for wave 2."},
    ),
]


def _requirement(ctx, starts: str):
    return next(
        (r for r in ctx.get("requirements", {}).values() if r.title.startswith(starts)), None
    )


def _case_for(ctx, requirement):
    if requirement is None:
        return None
    return next(
        (c for c in ctx.get("cases", {}).values()
         if requirement in c.requirements.all()),
        None,
    )  # fmt: skip


def _failed_runs_by_case(ctx) -> dict[int, TestRun]:
    """Failed runs of the testing demo that no defect was raised from yet, by case."""
    found: dict[int, TestRun] = {}
    for run in ctx.get("failed_runs") or []:
        if run.defects.exists():
            continue
        found.setdefault(run.cycle_case.case_id, run)
    return found


def _open_cycle_case(case):
    return CycleCase.objects.filter(case=case).exclude(cycle__status=CycleStatus.CLOSED).first()


def _can_retest(case) -> bool:
    try:
        from .services.testing_runs import run_record  # noqa: F401
    except ImportError:  # the testing area is not there yet
        return False
    return _open_cycle_case(case) is not None


def _retest_pass(manager, case, build: str):
    """A passing retest of `case` through the testing service, or None without one."""
    if not _can_retest(case):
        return None
    from .services.testing_runs import run_record

    cycle_case = _open_cycle_case(case)
    return run_record(
        actor=manager,
        cycle_case=cycle_case,
        result="pass",
        notes="Retest after the fix: passed.",
        build=build,
    )


def _step_inputs(step: str, spec_extra: dict, owner, ctx, made: list) -> dict:
    if step == TRI:
        return {"owner": owner, "comment": "Severity and priority confirmed in the defect board."}
    if step == WIP:
        return {}
    if step == FIX:
        return {"resolution": spec_extra["resolution"],
                "fixed_in_build": spec_extra.get("build", "")}  # fmt: skip
    if step == RET:
        return {"fixed_in_build": spec_extra.get("build") or "1.0-rc3",
                "comment": "Transported to QA."}  # fmt: skip
    if step == REO:
        return {"comment": spec_extra["reopen"]}
    if step == CLO:
        return {"comment": spec_extra.get("verified", "Retest passed.")}
    if step == REJ:
        inputs = {"rejection_reason": spec_extra["reason"], "comment": spec_extra["comment"]}
        if spec_extra.get("duplicate") is not None:
            inputs["duplicate_of"] = made[spec_extra["duplicate"]]
        return inputs
    if step == DEF:
        inputs = {"comment": spec_extra["comment"]}
        wave2 = ctx.get("releases", {}).get("wave2")
        if wave2 is not None:
            inputs["target_release"] = wave2
        return inputs
    return {}


def _backdate(defect: Defect, raised: dt.datetime, now: dt.datetime, runs: list) -> None:
    """Spread the trail from `raised` to a little before now (the demo's plain write)."""
    trail = list(DefectTransition.objects.filter(defect=defect).order_by("at", "id"))
    steps = len(trail) - 1
    span = (now - dt.timedelta(hours=5)) - raised
    times = [raised + span * (i / max(steps, 1)) * 0.85 for i in range(len(trail))]
    resolved = None
    for record, at in zip(trail, times, strict=True):
        DefectTransition.objects.filter(pk=record.pk).update(at=at)
        if record.to_status == "fixed":
            resolved = at
    closed = times[-1] if trail[-1].to_status in ("closed", "rejected", "deferred") else None
    values = {"created_at": raised, "updated_at": times[-1]}
    if defect.resolved_at is not None:
        values["resolved_at"] = resolved
    if defect.closed_at is not None:
        values["closed_at"] = closed
    with bulk_writes_allowed():
        Defect.objects.filter(pk=defect.pk).update(**values)
        for run in runs:  # the retest ran between the fix and the close
            at = (resolved or raised) + ((closed or now) - (resolved or raised)) / 2
            TestRun.objects.filter(pk=run.pk).update(executed_at=at)
            CycleCase.objects.filter(pk=run.cycle_case_id, last_run_at=run.executed_at).update(
                last_run_at=at
            )


@transaction.atomic
def build(program, ctx: dict) -> dict:
    manager = ctx.get("manager")
    if manager is None:
        return {}
    people = ctx.get("people", {})
    workstreams = ctx.get("workstreams", {})
    releases = ctx.get("releases", {})
    cycles = ctx.get("cycles", {})
    failed = _failed_runs_by_case(ctx)
    now = timezone.now()
    made: list[Defect] = []
    runs_of: dict[int, list] = {}
    raised_at: dict[int, dt.datetime] = {}
    for spec in DEFECTS:
        (status, severity, priority, ws, req_title, title, description, days, owner_email,
         release, cycle, extra) = spec  # fmt: skip
        requirement = _requirement(ctx, req_title)
        case = _case_for(ctx, requirement)
        owner = people.get(owner_email, manager) if owner_email else None
        reporter = people.get(FI if ws == "FI" else COORD, manager)
        fields = {
            "title": title,
            "description": description,
            "severity": severity,
            "priority": priority,
            "workstream": workstreams.get(ws),
            "requirement": requirement,
            "target_release": releases.get(release) if release else None,
            "found_in_cycle": cycles.get(cycle) if cycle else None,
        }
        if case is not None:
            if status == CLO and "verified" not in extra and not _can_retest(case):
                extra = {**extra, "verified": "Retested by the key user in QA: passed."}
            elif "verified" not in extra:
                fields["test_case"] = case
                run = failed.pop(case.pk, None)
                if run is not None:
                    fields.update(test_run=run, found_in_cycle=run.cycle_case.cycle)
        defect = services.defect_create(
            actor=reporter, program=program, comment="Found in testing.", **fields
        )
        runs: list = []
        for step in PATHS[status]:
            actor = manager if step in (TRI, DEF, REJ) else (owner or manager)
            if step == CLO and defect.test_case_id:
                retest = _retest_pass(manager, defect.test_case, extra.get("build", ""))
                if retest is not None:
                    runs.append(retest)
            inputs = _step_inputs(step, extra, owner or manager, ctx, made)
            defect = services.defect_transition(actor=actor, defect=defect, to=step, **inputs)
        made.append(defect)
        runs_of[defect.pk] = runs
        raised_at[defect.pk] = now - dt.timedelta(days=days, hours=3 + len(made) % 7)
    for defect in made:
        _backdate(defect, raised_at[defect.pk], now, runs_of[defect.pk])
    raised = ctx.get("raised_defects") or []
    raised = list(raised.values()) if isinstance(raised, dict) else list(raised)
    for defect in raised[:1]:
        if defect.status == "new":
            services.defect_transition(
                actor=manager, defect=defect, to=TRI, owner=defect.owner or manager,
                comment="Confirmed in the defect board.",
            )  # fmt: skip
    for defect in raised:  # raised with their failed run: as old as the run
        if defect.test_run_id:
            run_at = TestRun.objects.get(pk=defect.test_run_id).executed_at
            _backdate(defect, run_at, now, [])
    ctx["defects"] = {d.key: d for d in Defect.objects.filter(program=program).order_by("number")}
    return {"defects": len(ctx["defects"])}
