"""The ERP demo's actuals for the closed months March to October 2026: internal labour and
integration licences come from two general-ledger extracts (imported through the GL import,
labour mapped by cost centre and GL account, licences by line key), travel from manual expense
entries (one of them a credit); some lines run over plan so variances show. Vendor-contract
lines get their actuals from invoices (the invoices area). Two October accruals for vendor work
not yet invoiced (Northwind, Contoso), reversed on 1 November."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from programs.models import Program

from .models import PlanAmount
from .months import add_months, month_label
from .services.actuals import accrual_create, cost_entry_create
from .services.gl_import import gl_import_run

FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 10, 1)
CENT = Decimal("0.01")

# line slug -> actual / plan per month from March (index 0); labour by cost centre + account
LABOUR = {
    "fin_fte": ("1.02", "0.98", "1.04", "1.07", "1.09", "1.11", "1.12", "1.10"),  # overtime
    "scp_fte": ("0.97", "1.00", "0.96", "0.99", "1.01", "0.98", "0.97", "1.00"),
    "dm_fte": ("0.91", "0.94", "0.98", "1.05", "1.16", "1.21", "1.18", "1.14"),  # mock loads
    "int_fte": ("1.00", "0.99", "1.01", "0.97", "0.95", "0.96", "1.00", "0.98"),
}
LICENCES = ("1.00", "1.00", "1.00", "1.00", "1.00", "1.00", "1.19", "1.19")  # from May: price up
# (line slug, month index, amount, description, reference)
TRAVEL = [
    ("fin_travel", 0, "2310.40", "Kick-off at the Lyon plant, 4 people", "EXP-2603-014"),
    ("fin_travel", 1, "3890.15", "Fit-gap workshops Lyon and Turin", "EXP-2604-022"),
    ("fin_travel", 2, "4720.00", "Design authority in Lyon", "EXP-2605-031"),
    ("fin_travel", 3, "5180.60", "Plant controller interviews", "EXP-2606-008"),
    ("fin_travel", 3, "-412.00", "Refund: cancelled rail tickets", "CR-2606-002"),
    ("fin_travel", 4, "3950.25", "Build sprint reviews on site", "EXP-2607-017"),
    ("fin_travel", 5, "1280.00", "Summer: one trip only", "EXP-2608-005"),
    ("fin_travel", 6, "6240.80", "Unit-test week with key users in Turin", "EXP-2609-026"),
    ("fin_travel", 7, "5710.35", "Integration test kick-off", "EXP-2610-019"),
    ("scp_travel", 1, "1420.00", "Warehouse walk-through Rotterdam", "EXP-2604-040"),
    ("scp_travel", 2, "2650.90", "Supplier portal workshops", "EXP-2605-044"),
    ("scp_travel", 3, "2980.00", "Plant visits Lyon and Antwerp", "EXP-2606-051"),
    ("scp_travel", 4, "3120.45", "MRP design workshops", "EXP-2607-033"),
    ("scp_travel", 5, "890.00", "One plant visit", "EXP-2608-012"),
    ("scp_travel", 6, "3310.70", "Procurement key-user training", "EXP-2609-047"),
    ("scp_travel", 7, "2760.00", "Cycle-count pilot in Antwerp", "EXP-2610-038"),
]
ACCRUALS = [
    ("fin_nw", "nw_sow1", "62500.00",
     "Northwind October build sprint 7, delivered and accepted, invoice due in November"),
    ("dm_contoso", "ct_sow", "18400.00", "Contoso mock load 2 data validation, not yet invoiced"),
]  # fmt: skip


def _month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def _plans(lines: dict) -> dict:
    rows = PlanAmount.objects.filter(line__in=[line.pk for line in lines.values()])
    return {(row.line_id, row.month): row.amount for row in rows}


def _extract(program: Program, ctx: dict, months: list[dt.date], plans: dict, start: int) -> bytes:
    """A GL extract as finance's system writes it, for `months` (index from March)."""
    lines, categories = ctx["lines"], ctx["categories"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Posting date", "Period", "GL account", "Cost centre", "Budget line",
                     "Document number", "Description", "Amount", "Currency"])  # fmt: skip
    document = start
    for index, month in months:
        for slug, factors in LABOUR.items():
            line = lines[slug]
            plan = plans.get((line.pk, month), Decimal("0"))
            amount = (plan * Decimal(factors[index]) + Decimal("37.41") * index).quantize(CENT)
            document += 1
            writer.writerow([
                _month_end(month).isoformat(), month_label(month),
                categories["labour"].gl_account, line.workstream.name, "",
                f"JE-{month:%Y%m}-{document:05d}", f"Payroll allocation {month:%B %Y}",
                f"{amount:.2f}", program.currency,
            ])  # fmt: skip
        line = lines["int_licences"]
        plan = plans.get((line.pk, month))
        if plan:
            document += 1
            amount = (plan * Decimal(LICENCES[index])).quantize(CENT)
            writer.writerow([
                (month + dt.timedelta(days=4)).isoformat(), month_label(month), "", "",
                line.key, f"AP-{month:%Y%m}-{document:05d}",
                f"Integration platform subscription {month:%B %Y}", f"{amount:.2f}",
                program.currency,
            ])  # fmt: skip
    return out.getvalue().encode()


def build(program: Program, ctx: dict) -> dict:
    actor = ctx["finance"]
    months = ctx["months"]
    closed = [(i, m) for i, m in enumerate(months) if FIRST <= m <= LAST]
    plans = _plans(ctx["lines"])
    imported = 0
    for name, part, start in (
        ("gl-extract-2026-03-to-06.csv", closed[:4], 1000),
        ("gl-extract-2026-07-to-10.csv", closed[4:], 5000),
    ):
        plan = gl_import_run(
            actor=actor, program=program, data=_extract(program, ctx, part, plans, start),
            filename=name,
        )  # fmt: skip
        imported += len(plan.rows)
    for slug, index, amount, description, reference in TRAVEL:
        month = months[index]
        cost_entry_create(
            actor=actor, line=ctx["lines"][slug], month=month, amount=Decimal(amount),
            posted_on=_month_end(month) - dt.timedelta(days=3), description=description,
            reference=reference,
        )  # fmt: skip
    for slug, contract, amount, description in ACCRUALS:
        accrual_create(
            actor=actor, program=program, line=ctx["lines"][slug], month=LAST,
            amount=Decimal(amount), description=description,
            contract=ctx["contracts"].get(contract),
        )  # fmt: skip
    return {
        "GL-imported cost entries": imported,
        "manual cost entries": len(TRAVEL),
        "accruals": len(ACCRUALS),
    }
