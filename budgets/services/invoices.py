"""Vendor invoices (INV-n): receiving them, the vendor's portal submission, correction,
validation, approval into actuals, rejection and payment.

    received ──validate, no problem──▶ validated ──approve──▶ approved ──pay──▶ paid
        ▲  ◀──validate, problems found──┘   │
        └────── correct (re-validates) ─────┘
    received / validated ──reject (with a reason)──▶ rejected

- Receipt (finance, a coordinator or the manager) and the vendor's portal submission record the
  invoice with its lines, total = the sum of the lines (kept here, never typed), and validate it
  at once (`invoice_validation`): no problem -> validated, else received with its problems.
  The vendor's exact invoice number twice is refused outright. Lines without a budget line get
  the one tied to the contract when there is exactly one (not for portal submissions: the vendor
  does not see the budget, finance maps them).
- Approval (finance and the manager; above the program's approval limit only the manager;
  never whoever entered the invoice) checks again and books one cost entry per line (the
  line's budget line and month, source invoice) in the same transaction: an approved invoice is
  actuals.
- Approved and paid invoices are never edited; a rejected one is closed (the vendor sends a new
  invoice). Rejection and payment are e-mailed to the vendor's portal users, a portal
  submission to the program's finance members.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_delete
from core.domain import create
from core.errors import Refused
from core.permissions import Role, role_can
from core.services import email_enqueue
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership
from vendors.models import Contract, ContractStatus, PortalUser, Vendor
from vendors.selectors.portal import portal_vendor_for

from ..models import CostSource, Invoice, InvoiceLine, InvoiceStatus
from ..selectors.settings import budget_settings
from . import actuals
from .invoice_checks import (
    INVOICE_UPLOADS,
    check_contract,
    check_dates,
    check_document,
    check_number,
    clean_currency,
    clean_lines,
    default_budget_line,
    person_of,
    role_of,
)
from .invoice_validation import invoice_problems, money_text

__all__ = [
    "INVOICE_UPLOADS",
    "default_budget_line",
    "invoice_approve",
    "invoice_pay",
    "invoice_receive",
    "invoice_reject",
    "invoice_submit",
    "invoice_update",
    "invoice_validate",
]

S = InvoiceStatus
OPEN = (S.RECEIVED, S.VALIDATED)
EDITABLE = (
    "contract", "invoice_number", "invoice_date", "received_on", "due_date", "period_start",
    "period_end", "currency", "note",
)  # fmt: skip
LINE_FIELDS = ("description", "role", "quantity", "unit", "rate", "amount", "month", "budget_line")


def _lock(invoice: Invoice, expected_version: int | None) -> Invoice:
    return lock_current(Invoice, pk=invoice.pk, expected_version=expected_version)


# --- recording ------------------------------------------------------------------------------


def _write_lines(actor, invoice: Invoice, lines: list[dict]) -> Decimal:
    total = Decimal("0.00")
    for line in lines:
        create(InvoiceLine, actor=actor, program=invoice.program, invoice=invoice, **line)
        total += line["amount"]
    return total


def _record(
    *, actor, program: Program, contract: Contract | None, lines, vendor: Vendor | None,
    document, portal: bool, fields: dict[str, Any],
) -> Invoice:  # fmt: skip
    unknown = set(fields) - set(EDITABLE) - {"contract"}
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}")
    vendor = check_contract(program, contract, vendor)
    fields.setdefault("received_on", timezone.localdate())
    check_dates(program, fields)
    fields["invoice_number"] = check_number(vendor, fields.get("invoice_number", ""))
    fields["currency"] = clean_currency(fields.get("currency"), contract)
    cleaned = clean_lines(
        program, lines, fields["period_start"], portal=portal,
        default_line=None if portal else default_budget_line(contract),
    )  # fmt: skip
    check_document(document)
    if document is not None:
        fields["document"] = document
    invoice = create(
        Invoice,
        actor=actor,
        program=program,
        vendor=vendor,
        contract=contract,
        total=sum((line["amount"] for line in cleaned), Decimal("0.00")),
        submitted_by=person_of(actor),
        **fields,
    )
    stored = invoice.document.name if invoice.document else None
    try:
        _write_lines(actor, invoice, cleaned)
        return _validate(actor, _lock(invoice, None))
    except Exception:
        if stored:  # the rows roll back; the stored file goes with them
            invoice.document.storage.delete(stored)
        raise


@transaction.atomic
def invoice_receive(
    *, actor, program: Program, contract: Contract | None, lines: Iterable[Mapping[str, Any]],
    vendor: Vendor | None = None, document=None, **fields: Any,
) -> Invoice:  # fmt: skip
    """Record an invoice received from a vendor, with its lines (dicts of LINE_FIELDS; `amount`
    may be left out when quantity and rate give it; `month` defaults to the period's first
    month), and validate it."""
    return _record(
        actor=actor, program=program, contract=contract, lines=lines, vendor=vendor,
        document=document, portal=False, fields=dict(fields),
    )  # fmt: skip


@transaction.atomic
def invoice_submit(
    *, actor, program: Program, contract: Contract | None, lines: Iterable[Mapping[str, Any]],
    document, notify: bool = True, **fields: Any,
) -> Invoice:  # fmt: skip
    """The vendor's portal user sends an invoice for one of its own active contracts, with the
    PDF; budget lines are finance's to map. Finance members are e-mailed."""
    vendor = portal_vendor_for(program=program, user=actor)
    if vendor is None:
        raise PermissionDenied("Only a vendor's portal users submit invoices through the portal.")
    if contract is None or contract.program_id != program.pk or contract.vendor_id != vendor.pk:
        raise ValidationError({"contract": "Choose one of your company's contracts."})
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError(
            {"contract": f"{contract.key} is {contract.get_status_display().lower()}: invoices "
                         "are submitted for active contracts. Ask the program about it."}
        )  # fmt: skip
    if document is None:
        raise ValidationError({"document": "Attach the invoice as a PDF."})
    invoice = _record(
        actor=actor, program=program, contract=contract, lines=lines, vendor=vendor,
        document=document, portal=True, fields=dict(fields),
    )  # fmt: skip
    if notify:
        _notify_submitted(invoice)
    return invoice


@transaction.atomic
def invoice_update(
    *, actor, invoice: Invoice, expected_version: int | None,
    lines: Iterable[Mapping[str, Any]] | None = None, document=None, **changes: Any,
) -> Invoice:  # fmt: skip
    """Correct a received or validated invoice (its lines replace the old ones when given) and
    validate it again. Approved, paid and rejected invoices do not change."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}")
    current = _lock(invoice, expected_version)
    if current.status not in OPEN:
        instead = (
            "the vendor sends a new invoice"
            if current.status == S.REJECTED
            else "a credit note from the vendor corrects it"
        )
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}: it is no longer "
            f"corrected; {instead}."
        )
    program = current.program
    contract = changes.get("contract", current.contract)
    check_contract(program, contract, current.vendor)
    merged = {name: changes.get(name, getattr(current, name)) for name in EDITABLE}
    check_dates(program, merged)
    if "invoice_number" in changes:
        changes["invoice_number"] = check_number(
            current.vendor, changes["invoice_number"], exclude=current.pk
        )
    if "currency" in changes:
        changes["currency"] = clean_currency(changes["currency"], contract)
    if lines is not None:
        cleaned = clean_lines(
            program, lines, merged["period_start"], portal=False,
            default_line=default_budget_line(contract),
        )  # fmt: skip
        for old in list(current.lines.all()):
            audit_delete(actor=actor, instance=old)
            old.delete()
        changes["total"] = _write_lines(actor, current, cleaned)
    old_document = current.document.name if current.document else None
    if document is not None:
        check_document(document)
        changes["document"] = document
    updated = apply_changes(
        current, actor=actor, changes=changes, expected_version=None, locked=True
    )
    if document is not None and old_document and old_document != updated.document.name:
        storage, name = updated.document.storage, old_document
        transaction.on_commit(lambda: storage.delete(name))
    return _validate(actor, updated)


# --- the steps ------------------------------------------------------------------------------


def _validate(actor, invoice: Invoice) -> Invoice:
    problems = invoice_problems(invoice)
    return apply_changes(
        invoice,
        actor=actor,
        changes={
            "problems": problems,
            "validated_at": timezone.now(),
            "status": S.RECEIVED if problems else S.VALIDATED,
        },
        expected_version=None,
        locked=True,
    )


@transaction.atomic
def invoice_validate(*, actor, invoice: Invoice, expected_version: int | None = None) -> Invoice:
    """Check the invoice again (its contract or the other invoices may have moved): no problem
    makes it validated, any problem sends it back to received with the problems listed."""
    current = _lock(invoice, expected_version)
    if current.status not in OPEN:
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}: validation is for "
            "received or validated invoices."
        )
    return _validate(actor, current)


def _decided_at(on: dt.date | None) -> dt.datetime:
    if on is None:
        return timezone.now()
    return dt.datetime.combine(on, dt.time(12, 0), tzinfo=dt.UTC)


def approval_refusal(invoice: Invoice, actor) -> str | None:
    """Why `actor` may not approve `invoice` now (state, limit, own entry), else None."""
    if invoice.status != S.VALIDATED:
        if invoice.status == S.RECEIVED:
            count = len(invoice.problems or [])
            found = f" ({count} problem{'s' if count != 1 else ''} found)" if count else ""
            return f"{invoice.key} has not passed validation{found}: fix and validate it first."
        return f"{invoice.key} is {invoice.get_status_display().lower()}: it cannot be approved."
    if actor is not None and invoice.submitted_by_id == actor.pk:
        return f"You entered {invoice.key}: someone else approves it (four eyes)."
    limit = budget_settings(invoice.program).invoice_approval_limit
    role = role_of(invoice.program, actor)
    if invoice.total > limit and role != Role.MANAGER:
        return (
            f"{invoice.key} is {money_text(invoice.total, invoice.currency)}, above the "
            f"{money_text(limit, invoice.program.currency)} finance approves: the program "
            "manager approves it."
        )
    return None


@transaction.atomic
def invoice_approve(
    *, actor, invoice: Invoice, expected_version: int | None = None, on: dt.date | None = None
) -> Invoice:
    """Approve a validated invoice and book its lines as actuals (one cost entry per line, in
    the line's month, on its budget line). Checked again first: nothing changes on a refusal."""
    current = _lock(invoice, expected_version)
    if not role_can(role_of(current.program, actor), "invoice.approve"):
        raise PermissionDenied("Finance or the program manager approves invoices.")
    reason = approval_refusal(current, actor)
    if reason:
        raise Refused(reason)
    problems = invoice_problems(current)
    if problems:
        listed = " ".join(p["message"] for p in problems)
        raise Refused(
            f"{current.key} no longer passes validation: {listed} Validate it again to record "
            "the problems."
        )
    posted = on or timezone.localdate()
    for line in current.lines.select_related("budget_line__program").order_by("id"):
        actuals.cost_entry_create(
            actor=actor,
            line=line.budget_line,
            month=line.month,
            amount=line.amount,
            posted_on=posted,
            source=CostSource.INVOICE,
            invoice_line=line,
            vendor=current.vendor,
            reference=current.invoice_number,
            description=f"{current.key} {line.description}"[:300],
        )
    return apply_changes(
        current,
        actor=actor,
        changes={
            "status": S.APPROVED,
            "decided_by": person_of(actor),
            "decided_at": _decided_at(on),
        },
        expected_version=None,
        locked=True,
    )


@transaction.atomic
def invoice_reject(
    *, actor, invoice: Invoice, reason: str, expected_version: int | None = None,
    notify: bool = True, on: dt.date | None = None,
) -> Invoice:  # fmt: skip
    """Refuse a received or validated invoice; the vendor sees the reason (and is e-mailed)."""
    current = _lock(invoice, expected_version)
    if not role_can(role_of(current.program, actor), "invoice.approve"):
        raise PermissionDenied("Finance or the program manager rejects invoices.")
    if current.status not in OPEN:
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}: only received or "
            "validated invoices are rejected."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why it is rejected (the vendor sees it)."})
    updated = apply_changes(
        current,
        actor=actor,
        changes={
            "status": S.REJECTED,
            "rejection_reason": reason,
            "decided_by": person_of(actor),
            "decided_at": _decided_at(on),
        },
        expected_version=None,
        locked=True,
    )
    if notify:
        _notify_vendor(updated, "rejected")
    return updated


@transaction.atomic
def invoice_pay(
    *, actor, invoice: Invoice, paid_on: dt.date | None, payment_reference: str,
    expected_version: int | None = None, notify: bool = True,
) -> Invoice:  # fmt: skip
    """Record the payment of an approved invoice (finance); the vendor is e-mailed."""
    current = _lock(invoice, expected_version)
    if not role_can(role_of(current.program, actor), "invoice.pay"):
        raise PermissionDenied("Finance records payments.")
    if current.status != S.APPROVED:
        if current.status == S.PAID:
            raise Refused(f"{current.key} was already paid on {current.paid_on:%d %b %Y}.")
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}: only approved invoices "
            "are paid."
        )
    errors = {}
    if not isinstance(paid_on, dt.date):
        errors["paid_on"] = "Give the payment date."
    elif paid_on < current.invoice_date:
        errors["paid_on"] = f"Paid before the invoice date ({current.invoice_date:%d %b %Y})?"
    elif paid_on > timezone.localdate():
        errors["paid_on"] = "The payment date is in the future: record it once paid."
    reference = (payment_reference or "").strip()
    if not reference:
        errors["payment_reference"] = "Give the payment (bank or ERP) reference."
    elif len(reference) > 60:
        errors["payment_reference"] = "At most 60 characters."
    if errors:
        raise ValidationError(errors)
    updated = apply_changes(
        current,
        actor=actor,
        changes={"status": S.PAID, "paid_on": paid_on, "payment_reference": reference},
        expected_version=None,
        locked=True,
    )
    if notify:
        _notify_vendor(updated, "paid")
    return updated


# --- e-mail ---------------------------------------------------------------------------------


def _link(name: str, invoice: Invoice) -> str:
    path = reverse(name, kwargs={"code": invoice.program.code, "key": invoice.key})
    return settings.SITE_URL + path


def _notify_submitted(invoice: Invoice) -> None:
    program = invoice.program
    recipients = sorted(
        {
            m.user.email
            for m in ProgramMembership.objects.filter(
                program=program, role=Role.FINANCE, user__is_active=True
            ).select_related("user")
            if m.user.email
        }
    )
    if not recipients:
        return
    context = {
        "invoice": invoice,
        "program": program,
        "lines": list(invoice.lines.order_by("id")),
        "link": _link("budgets:invoice_detail", invoice),
    }
    email_enqueue(
        to=recipients,
        subject=(
            f"[{program.code}] {invoice.vendor.name} submitted invoice {invoice.invoice_number} "
            f"({invoice.key}, {money_text(invoice.total, invoice.currency)})"
        )[:300],
        body_text=render_to_string("budgets/invoices/email/submitted.txt", context),
        idempotency_key=f"invoice-submitted:{invoice.pk}",
    )


def _notify_vendor(invoice: Invoice, event: str) -> None:
    program = invoice.program
    recipients = sorted(
        {
            binding.membership.user.email
            for binding in PortalUser.objects.filter(
                program=program, vendor_id=invoice.vendor_id, membership__user__is_active=True
            ).select_related("membership__user")
            if binding.membership.user.email
        }
    )
    if not recipients:
        return
    context = {
        "invoice": invoice,
        "program": program,
        "link": _link("budgets:portal_invoice_detail", invoice),
    }
    what = "was paid" if event == "paid" else "was rejected"
    email_enqueue(
        to=recipients,
        subject=f"[{program.code}] Your invoice {invoice.invoice_number} {what}"[:300],
        body_text=render_to_string(f"budgets/invoices/email/{event}.txt", context),
        idempotency_key=f"invoice-{event}:{invoice.pk}",
    )
