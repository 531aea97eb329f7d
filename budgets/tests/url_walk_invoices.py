"""Invoice rows for the URL walk (merged by budgets/tests/url_walk.py).

One invoice on the walk's contract (so of the vendor the walk's vendor user is bound to), mapped
to the walk's budget line and validated, entered by the manager, with a PDF: a fixed file under
MEDIA_ROOT written once and shared by every walk, so the walk leaves no file per run.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from budgets.services import invoices as services
from budgets.views import invoices as views
from budgets.views import portal_invoices as portal
from core.versioning import apply_changes

WALK_FILE = "invoices/url-walk/invoice.pdf"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    month = base["month"]
    invoice = services.invoice_receive(
        actor=manager,
        program=program,
        contract=base["contract"],
        invoice_number="WALK-1",
        invoice_date=month + dt.timedelta(days=27),
        received_on=month + dt.timedelta(days=28),
        period_start=month,
        period_end=month + dt.timedelta(days=27),
        lines=[{"description": "Design work", "amount": Decimal("400.00"), "month": month}],
    )
    path = Path(settings.MEDIA_ROOT) / WALK_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PDF)
    apply_changes(invoice, actor=manager, changes={"document": WALK_FILE}, expected_version=None)
    return {"invoices": {"key": invoice.key}}


def _detail(site) -> str:
    key = site.app_values.get("budget/", {}).get("invoices", {}).get("key", "INV-1")
    return reverse("budgets:invoice_detail", kwargs={"code": site.program.code, "key": key})


ALLOWED_GET = {
    # steps are posted from the invoice page; a GET goes back to it
    views.InvoiceValidateView: lambda s: (302, _detail(s)),
    views.InvoiceApproveView: lambda s: (302, _detail(s)),
    views.InvoicePayView: lambda s: (302, _detail(s)),  # validated, not approved: nothing to pay
}
ALLOWED_POST = {
    views.InvoiceCreateView: lambda s: (400, None),  # the empty form again, with its errors
    views.InvoiceEditView: lambda s: (400, None),
    views.InvoiceRejectView: lambda s: (400, None),  # a reason is required
    views.InvoiceValidateView: lambda s: (302, _detail(s)),
    views.InvoiceApproveView: lambda s: (302, _detail(s)),  # approved, or refused with a message
    views.InvoicePayView: lambda s: (302, _detail(s)),
    portal.PortalInvoiceCreateView: lambda s: (400, None),
}
