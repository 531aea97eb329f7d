"""The monthly scheduled export: due from 06:00 on the 1st in the program's time zone until the
3rd, e-mailed once per program, month and finance member with the report attached (XLSX and
CSV), never to other roles, not when turned off; core's e-mail attachments."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail

from budgets.exports import monthly
from budgets.models import BudgetSettings
from budgets.tasks import monthly_export_send_task
from core.models import OutboundEmail, OutboundEmailAttachment
from core.permissions import Role
from core.services import email_enqueue, email_send
from programs.tests.factories import member

from .exports_factories import column_total, parse_csv, small_budget

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def at(day: int, hour: int, month: int = 4) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=LONDON)


@pytest.fixture
def finance(program):
    small_budget(program)
    people = [member(program, Role.FINANCE, email=f"fin{i}@example.com").user for i in (1, 2)]
    member(program, Role.VIEWER)
    member(program, Role.EXECUTIVE)
    return people


@pytest.mark.parametrize(("now", "due"), [
    (at(1, 5), None), (at(1, 6), dt.date(2026, 4, 1)), (at(3, 23), dt.date(2026, 4, 1)),
    (at(4, 0), None), (at(30, 12, month=3), None),
])  # fmt: skip
def test_due_in_the_programs_time_zone(program, now, due):
    assert monthly.due_month(program, now) == due


def test_due_follows_the_programs_zone_not_utc(program):
    program.time_zone = "Pacific/Auckland"  # 1 April 06:00 there is 31 March 17:00 UTC
    assert monthly.due_month(program, dt.datetime(2026, 3, 31, 17, 30, tzinfo=dt.UTC)) == (
        dt.date(2026, 4, 1)
    )
    program.time_zone = "America/Los_Angeles"
    assert monthly.due_month(program, dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)) is None


def test_each_finance_member_gets_one_email_with_both_files(program, finance):
    first = monthly.monthly_exports_run(now=at(1, 7))
    again = monthly.monthly_exports_run(now=at(2, 9))

    assert first == {"programs": 1, "emails": 2, "failed": 0}
    assert again == {"programs": 0, "emails": 0, "failed": 0}
    rows = OutboundEmail.objects.filter(idempotency_key__startswith="budget-monthly-export:")
    assert sorted(r.to[0] for r in rows) == ["fin1@example.com", "fin2@example.com"]
    row = rows.get(to=["fin1@example.com"])
    assert row.idempotency_key == f"budget-monthly-export:{program.pk}:2026-04:{finance[0].pk}"
    assert row.subject == "[ERP] Budget variance report, April 2026"
    assert "March 2026: plan EUR 6250.50" in row.body_text
    names = sorted(a.filename for a in row.attachments.all())
    today = at(1, 7).date()
    assert names == [f"ERP-budget-variance-{today}.csv", f"ERP-budget-variance-{today}.xlsx"]
    csv_file = row.attachments.get(filename__endswith=".csv")
    assert csv_file.mimetype == "text/csv"
    assert column_total(parse_csv(bytes(csv_file.content))[1], "Plan") == Decimal("13250.50")


def test_a_finance_member_who_joins_later_gets_it_too(program, finance):
    monthly.monthly_exports_run(now=at(1, 7))
    member(program, Role.FINANCE, email="late@example.com")

    assert monthly.monthly_exports_run(now=at(2, 7))["emails"] == 1
    assert OutboundEmail.objects.filter(to=["late@example.com"]).count() == 1


def test_nothing_when_turned_off_or_not_due(program, finance):
    assert monthly.monthly_exports_run(now=at(15, 7))["emails"] == 0
    BudgetSettings.objects.create(program=program, monthly_export=False)
    assert monthly.monthly_exports_run(now=at(1, 7))["emails"] == 0
    assert not OutboundEmail.objects.exists()


def test_the_task_sends_the_attachments(
    program, finance, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        counts = monthly.monthly_exports_run(now=at(1, 7))
    assert counts["emails"] == 2
    for row in OutboundEmail.objects.all():
        email_send(email_id=row.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["fin1@example.com", "fin2@example.com"]
    message = email.message_from_bytes(
        mail.outbox[0].message().as_bytes(), policy=email.policy.default
    )
    parts = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    workbook = next(v for k, v in parts.items() if k.endswith(".xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(workbook))["Variance"]
    totals = list(sheet.iter_rows(values_only=True))[-1]
    assert Decimal(str(totals[9])) == Decimal("13250.50")
    assert Decimal(str(totals[11])) == Decimal("7599.85")


def test_the_task_runs_the_monthly_exports(program, finance, monkeypatch):
    monkeypatch.setattr(monthly, "due_month", lambda program, now=None: dt.date(2026, 4, 1))

    assert monthly_export_send_task.apply().get() == {"programs": 1, "emails": 2, "failed": 0}


def test_email_without_attachments_is_unchanged():
    row = email_enqueue(to=["a@example.com"], subject="Hi", body_text="Hello", idempotency_key="k1")
    email_send(email_id=row.pk)

    assert not OutboundEmailAttachment.objects.exists()
    assert mail.outbox[0].attachments == []


def test_email_attachments_are_kept_and_sent_once():
    files = [("a.csv", b"x,y\r\n1,2\r\n", "text/csv")]
    row = email_enqueue(to=["a@example.com"], subject="Hi", body_text="Hello",
                        idempotency_key="k2", attachments=files)  # fmt: skip
    email_enqueue(to=["a@example.com"], subject="Hi", body_text="Hello",
                  idempotency_key="k2", attachments=files)  # fmt: skip
    email_send(email_id=row.pk)
    email_send(email_id=row.pk)

    assert OutboundEmailAttachment.objects.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments == [("a.csv", "x,y\r\n1,2\r\n", "text/csv")]
