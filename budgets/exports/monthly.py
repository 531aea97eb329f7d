"""The monthly scheduled export: on the 1st of each month (in the program's time zone), the
variance report goes by e-mail, XLSX and CSV attached, to each of the program's finance members.

Idempotent: every e-mail carries the key program + month + member, so a duplicated or retried
run sends nothing twice, and a finance member who joins during the first days still gets it.
The beat schedule (config/settings/celery.py) runs the task hourly around the turn of the month;
a program is due from 06:00 on the 1st in its own time zone until the end of the 3rd (a worker
that was down at midnight catches up, a program created mid-month gets nothing until the 1st).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from core.models import OutboundEmail
from core.permissions import Role
from core.services import email_enqueue
from programs.choices import ProgramStatus
from programs.models import Program, ProgramMembership

from ..months import add_months, month_of
from ..selectors.settings import budget_settings
from . import csv_bytes, report_totals, xlsx_bytes
from .report import ReportFilters, Totals
from .writers import XLSX_TYPE, csv_number, export_filename

log = logging.getLogger(__name__)

SEND_FROM_HOUR = 6
DUE_UNTIL_DAY = 3
KEY_PREFIX = "budget-monthly-export"


def program_now(program: Program, now: dt.datetime | None = None) -> dt.datetime:
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(program.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return (now or timezone.now()).astimezone(zone)


def due_month(program: Program, now: dt.datetime | None = None) -> dt.date | None:
    """The month whose report is due now in the program's time zone (its first day), or None
    outside the window (the 1st from SEND_FROM_HOUR to the end of DUE_UNTIL_DAY)."""
    local = program_now(program, now)
    if local.day > DUE_UNTIL_DAY or (local.day == 1 and local.hour < SEND_FROM_HOUR):
        return None
    return month_of(local.date())


def export_key(program: Program, month: dt.date, user_id: int) -> str:
    return f"{KEY_PREFIX}:{program.pk}:{month:%Y-%m}:{user_id}"


def finance_members(program: Program) -> list:
    memberships = (
        ProgramMembership.objects.filter(program=program, role=Role.FINANCE)
        .select_related("user")
        .order_by("user__email")
    )
    return [m.user for m in memberships if m.user.is_active and m.user.email]


def _money(value: Decimal | None, currency: str) -> str:
    return f"{currency} {csv_number(value) or '-'}"


def _body(program: Program, month: dt.date, totals: Totals, closed: Totals) -> str:
    cell, last = totals.cell, add_months(month, -1)
    url = settings.SITE_URL + reverse("budgets:export_xlsx", kwargs={"code": program.code})
    c = program.currency
    return "\n".join(
        [
            f"The budget variance report of {program.code} · {program.name}, as of "
            f"{month:%B %Y}: months up to {last:%B %Y} are closed.",
            "",
            f"{last:%B %Y}: plan {_money(closed.cell.plan, c)}, "
            f"actual {_money(closed.cell.actual, c)}, "
            f"variance {_money(closed.cell.variance, c)}.",
            f"Whole budget: plan {_money(cell.plan, c)}, actual to date {_money(cell.actual, c)}, "
            f"estimate at completion {_money(totals.outturn, c)} "
            f"(variance at completion {_money(totals.outturn - cell.plan, c)}).",
            "",
            f"Attached: the report as an Excel workbook and as CSV ({totals.rows} rows, one per "
            "budget line and month, amounts in the program currency).",
            f"The latest figures at any time: {url}",
            "",
            "You receive this as a finance member of the program. A program manager or finance "
            "member can turn the monthly export off in the program's budget settings.",
        ]
    )


def monthly_export_send(program: Program, *, now: dt.datetime | None = None) -> int:
    """E-mail this month's report to every finance member of `program` who has not had it yet.
    Returns the number of e-mails enqueued (0 when not due, turned off or already sent)."""
    month = due_month(program, now)
    if month is None or not budget_settings(program).monthly_export:
        return 0
    people = finance_members(program)
    keys = {user.pk: export_key(program, month, user.pk) for user in people}
    done = set(
        OutboundEmail.objects.filter(idempotency_key__in=keys.values()).values_list(
            "idempotency_key", flat=True
        )
    )
    todo = [user for user in people if keys[user.pk] not in done]
    if not todo:
        return 0
    as_of = program_now(program, now).date()
    bom = budget_settings(program).export_bom
    workbook, totals = xlsx_bytes(
        program, ReportFilters(), as_of=as_of, exported_by="the monthly scheduled e-mail"
    )
    text = csv_bytes(program, ReportFilters(), as_of=as_of, bom=bom)
    last = add_months(month, -1)
    closed = report_totals(program, ReportFilters(first_month=last, last_month=last), as_of=as_of)
    attachments = [
        (export_filename(program, "xlsx", as_of), workbook, XLSX_TYPE),
        (export_filename(program, "csv", as_of), text, "text/csv"),
    ]
    subject = f"[{program.code}] Budget variance report, {month:%B %Y}"
    body = _body(program, month, totals, closed)
    with transaction.atomic():
        for user in todo:
            email_enqueue(
                to=[user.email],
                subject=subject,
                body_text=body,
                idempotency_key=keys[user.pk],
                attachments=attachments,
            )
    return len(todo)


def monthly_exports_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the monthly report of every active program that is due; one program's failure is
    logged and does not stop the others (the next hourly run retries it)."""
    counts = {"programs": 0, "emails": 0, "failed": 0}
    for program in Program.objects.filter(status=ProgramStatus.ACTIVE).order_by("pk"):
        try:
            sent = monthly_export_send(program, now=now)
        except DatabaseError:
            raise  # the task retries the whole run with backoff
        except Exception:
            log.exception("Monthly budget export of %s failed", program.code)
            counts["failed"] += 1
            continue
        if sent:
            counts["programs"] += 1
            counts["emails"] += sent
    return counts
