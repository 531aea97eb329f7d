"""The ERP demo's vendor invoices, through the services, in every state; the approved ones are
the vendor lines' actuals for the closed months March to October 2026.

- Northwind (SOW 1, fixed price): the "Design signed off" milestone (EUR 368,000, March-June,
  paid) and "Build complete" (EUR 552,000, July-September, approved by the program manager,
  awaiting payment); October's build sprint is accrued by the actuals area, not invoiced. The
  second SIT team of amendment A2 is submitted by vendor@example.com through the portal: its lines
  are not mapped yet, so it stays received for finance.
- Contoso (time and materials at its rate card): monthly invoices March-September, paid (those
  above the EUR 50,000 approval limit approved by the program manager, the others by finance;
  entered by the coordinator, so nobody approves their own); October bills the migration
  developer at EUR 950 a day against the card's EUR 900 and fails validation; an extra August
  data-quality invoice already billed was rejected.
- Fabrikam (the monthly hosting retainer, plus a sandbox from August): March-September paid,
  October approved, November validated and waiting for approval.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from programs.models import Program

from .months import add_months
from .services import invoices as services

D = dt.date
CONTOSO_RATES = {
    "lead": ("Data migration lead", "1200.00"),
    "dev": ("Migration developer", "900.00"),
    "dq": ("Data quality analyst", "750.00"),
}
# month, lead days, developer days, data-quality days (Contoso, paid)
CONTOSO_MONTHS = [
    (D(2026, 3, 1), 8, 20, 4),
    (D(2026, 4, 1), 10, 26, 8),
    (D(2026, 5, 1), 12, 30, 12),
    (D(2026, 6, 1), 12, 32, 12),
    (D(2026, 7, 1), 10, 30, 10),
    (D(2026, 8, 1), 8, 24, 10),
    (D(2026, 9, 1), 12, 34, 14),
]
NW_DESIGN = [(D(2026, 3, 1), "78000.00"), (D(2026, 4, 1), "96000.00"),
             (D(2026, 5, 1), "98000.00"), (D(2026, 6, 1), "96000.00")]  # fmt: skip
NW_BUILD = [(D(2026, 7, 1), "184000.00"), (D(2026, 8, 1), "184000.00"),
            (D(2026, 9, 1), "184000.00")]  # fmt: skip
HOSTING = ("Managed hosting, S/4HANA production and QA", "12000.00")
SANDBOX = ("Additional sandbox system", "1800.00")


def _month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def _pdf(number: str, vendor: str, total: Decimal) -> SimpleUploadedFile:
    """A one-page invoice PDF, as a vendor would send it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(f"Invoice {number}")
    page.setFont("Helvetica-Bold", 16)
    page.drawString(72, 770, vendor)
    page.setFont("Helvetica", 11)
    page.drawString(72, 740, f"Invoice {number}")
    page.drawString(72, 722, f"Total EUR {total:,.2f}")
    page.showPage()
    page.save()
    return SimpleUploadedFile(f"{number}.pdf", buffer.getvalue(), content_type="application/pdf")


def _tm_line(kind: str, days: int, month: dt.date, rate: str | None = None) -> dict:
    role, card_rate = CONTOSO_RATES[kind]
    rate_value = Decimal(rate or card_rate)
    return {
        "description": f"{role}, {month:%B %Y}",
        "role": role,
        "quantity": Decimal(days),
        "unit": "day",
        "rate": rate_value,
        "amount": rate_value * days,
        "month": month,
    }


def _paid_on(day: dt.date) -> dt.date:
    return min(day, timezone.localdate())


def build(program: Program, ctx: dict) -> dict:
    people, contracts, lines = ctx["people"], ctx["contracts"], ctx["lines"]
    manager, finance = ctx["manager"], ctx["finance"]
    coordinator = people.get("coordinator@example.com", manager)
    limit = Decimal("50000.00")
    made: list = []

    def receive(actor, contract, number, period, line_rows, received, **extra):
        first, last = period
        invoice = services.invoice_receive(
            actor=actor, program=program, contract=contract, invoice_number=number,
            invoice_date=extra.pop("invoice_date", last), received_on=received,
            due_date=received + dt.timedelta(days=30), period_start=first, period_end=last,
            lines=line_rows, **extra,
        )  # fmt: skip
        made.append(invoice)
        return invoice

    def approve(invoice, on, entered_by):
        approver = manager if invoice.total > limit or entered_by == finance else finance
        return services.invoice_approve(actor=approver, invoice=invoice, on=on)

    def pay(invoice, on, reference):
        return services.invoice_pay(
            actor=finance, invoice=invoice, paid_on=_paid_on(on), payment_reference=reference,
            notify=False,
        )  # fmt: skip

    # Northwind: fixed-price milestones, entered by finance, approved by the program manager
    nw = contracts["nw_sow1"]
    design = receive(
        finance, nw, "NW-2026-0031", (D(2026, 3, 2), D(2026, 6, 30)),
        [{"description": f"Milestone 2 “Design signed off”: Explore phase, {m:%B %Y}",
          "amount": Decimal(a), "month": m, "budget_line": lines["fin_nw"]}
         for m, a in NW_DESIGN],
        D(2026, 7, 1), document=_pdf("NW-2026-0031", "Northwind Consulting", Decimal("368000")),
        note="Milestone 2 of SOW 1: the finance design was accepted on 26 June.",
    )  # fmt: skip
    pay(approve(design, D(2026, 7, 3), finance), D(2026, 7, 31), "PAY-2026-07-118")
    build = receive(
        finance, nw, "NW-2026-0058", (D(2026, 7, 1), D(2026, 9, 30)),
        [{"description": f"Milestone 3 “Build complete, unit tested”: build sprints, {m:%B %Y}",
          "amount": Decimal(a), "month": m, "budget_line": lines["fin_nw"]}
         for m, a in NW_BUILD],
        D(2026, 11, 2), invoice_date=D(2026, 10, 30),
        document=_pdf("NW-2026-0058", "Northwind Consulting", Decimal("552000")),
    )  # fmt: skip
    approve(build, D(2026, 11, 4), finance)

    # Contoso: time and materials at the rate card, entered by the coordinator
    ct = contracts["ct_sow"]
    for index, (month, lead, dev, dq) in enumerate(CONTOSO_MONTHS, start=1):
        invoice = receive(
            coordinator, ct, f"CDS-2026-{80 + index:04d}", (month, _month_end(month)),
            [_tm_line("lead", lead, month), _tm_line("dev", dev, month),
             _tm_line("dq", dq, month)],
            _month_end(month) + dt.timedelta(days=3),
        )  # fmt: skip
        approved = approve(invoice, _month_end(month) + dt.timedelta(days=8), coordinator)
        pay(approved, _month_end(month) + dt.timedelta(days=30), f"PAY-{month:%Y-%m}-2{index:02d}")
    extra = receive(
        coordinator, ct, "CDS-2026-0719", (D(2026, 8, 1), D(2026, 8, 31)),
        [{**_tm_line("dq", 6, D(2026, 8, 1)),
          "description": "Additional data quality days, mock load 2"}],
        D(2026, 9, 14),
    )  # fmt: skip
    services.invoice_reject(
        actor=finance, invoice=extra, on=D(2026, 9, 16), notify=False,
        reason="These six data-quality days are already on invoice CDS-2026-0086 (August). "
        "We do not pay them twice; please send a credit note if the August invoice was short.",
    )  # fmt: skip
    october = D(2026, 10, 1)
    receive(
        coordinator, ct, "CDS-2026-0088", (october, _month_end(october)),
        [_tm_line("lead", 11, october), _tm_line("dev", 32, october, rate="950.00"),
         _tm_line("dq", 12, october)],
        D(2026, 11, 4),
    )  # fmt: skip

    # Fabrikam: the hosting retainer (and a sandbox from August), entered by the coordinator
    fb = contracts["fb_hosting"]
    for month in [add_months(D(2026, 3, 1), i) for i in range(9)]:
        rows = [{"description": f"{HOSTING[0]}, {month:%B %Y}", "role": HOSTING[0],
                 "quantity": Decimal(1), "unit": "month", "rate": Decimal(HOSTING[1]),
                 "amount": Decimal(HOSTING[1]), "month": month}]  # fmt: skip
        if month >= D(2026, 8, 1):
            rows.append({"description": f"{SANDBOX[0]}, {month:%B %Y}", "role": SANDBOX[0],
                         "quantity": Decimal(1), "unit": "month", "rate": Decimal(SANDBOX[1]),
                         "amount": Decimal(SANDBOX[1]), "month": month})  # fmt: skip
        invoice = receive(
            coordinator, fb, f"FAB-{month:%y%m}-HOST", (month, _month_end(month)), rows,
            month + dt.timedelta(days=2), invoice_date=month,
        )  # fmt: skip
        if month <= october:
            approved = approve(invoice, month + dt.timedelta(days=6), coordinator)
            if month < october:
                pay(
                    approved, month + dt.timedelta(days=28), f"PAY-{month:%Y-%m}-3{month.month:02d}"
                )

    # Northwind's portal user submits the second SIT team's first week (amendment A2)
    vendor_user = people.get("vendor@example.com")
    if vendor_user is not None:
        rows = [
            {"description": "Second SIT team: test analysts, 23-27 November 2026",
             "role": "Test analyst", "quantity": Decimal(15), "unit": "day",
             "rate": Decimal("820.00")},
            {"description": "Second SIT team: test lead, 23-27 November 2026",
             "role": "Engagement manager", "quantity": Decimal(2), "unit": "day",
             "rate": Decimal("1600.00")},
        ]  # fmt: skip
        submitted = services.invoice_submit(
            actor=vendor_user, program=program, contract=nw, lines=rows, notify=False,
            invoice_number="NW-2026-0077", invoice_date=D(2026, 11, 27),
            received_on=D(2026, 11, 27), due_date=D(2026, 12, 27),
            period_start=D(2026, 11, 23), period_end=D(2026, 11, 27),
            document=_pdf("NW-2026-0077", "Northwind Consulting", Decimal("15500")),
        )  # fmt: skip
        made.append(submitted)
    return {"invoices": len(made)}
