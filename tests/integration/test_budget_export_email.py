"""The monthly budget export, run twice, e-mails each finance member exactly once over real SMTP
with the variance report attached (XLSX and CSV) holding the ledger's totals.

First the task runs twice in this process (eagerly, the e-mails going out over SMTP as the send
task delivers them), then twice through a real worker process, as a duplicated beat run would
(the worker fixture of test_raid_escalation: the send tasks come back to the same worker).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from decimal import Decimal

import openpyxl
import pytest

from budgets.models import BudgetSettings
from budgets.selectors.ledger import ledger
from budgets.tasks import monthly_export_send_task
from budgets.tests.factories import actual, make_line, plan
from core.models import OutboundEmail, OutboundEmailStatus
from core.permissions import Role
from programs.tests.factories import ProgramFactory, member

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


NOW = "2026-04-01T07:30:00+00:00"  # the worker takes it as its clock: 1 April, due


def finance_program(code: str):
    program = ProgramFactory(
        code=code, name=f"{code} rollout", time_zone="Europe/London",
        start_date=dt.date(2025, 1, 1), end_date=dt.date(2028, 12, 31),
    )  # fmt: skip
    BudgetSettings.objects.create(program=program, export_bom=True)
    people = [member(program, Role.FINANCE, email=f"fin{i}@{code.lower()}.example").user
              for i in (1, 2)]  # fmt: skip
    member(program, Role.VIEWER, email=f"viewer@{code.lower()}.example")
    line = make_line(program, name="=Northwind SOW 1")
    other = make_line(program, name="Internal FTEs")
    for month in (dt.date(2026, 1, 1), dt.date(2026, 2, 1)):
        plan(line, month, "10000.00")
        plan(other, month, "2500.25")
        actual(line, month, "9800.10")
        actual(other, month, "-12.35")
    return program, people


def messages_for(inbox, code: str) -> list[dict]:
    return [m for m in inbox.snapshot() if m["subject"].startswith(f"[{code}] Budget variance")]


def check_messages(inbox, program, people) -> None:
    messages = messages_for(inbox, program.code)
    assert sorted(m["rcpt_tos"][0] for m in messages) == sorted(p.email for p in people)
    book = ledger(program)
    for message in messages:
        files = {p.get_filename(): p.get_content() for p in message["message"].iter_attachments()}
        assert sorted(name.rsplit(".", 1)[1] for name in files) == ["csv", "xlsx"]
        workbook = next(v for k, v in files.items() if k.endswith(".xlsx"))
        totals = list(openpyxl.load_workbook(io.BytesIO(workbook))["Variance"].values)[-1]
        assert Decimal(str(totals[9])) == book.total().plan == Decimal("25000.50")
        assert Decimal(str(totals[11])) == book.total().actual == Decimal("19575.50")
        text = next(v for k, v in files.items() if k.endswith(".csv"))
        text = text.decode("utf-8") if isinstance(text, bytes) else text
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))
        assert sum(Decimal(r["Actual"]) for r in rows) == Decimal("19575.50")
        assert {r["Line"] for r in rows} == {"'=Northwind SOW 1", "Internal FTEs"}


def test_monthly_export_run_twice_emails_each_finance_member_once_over_smtp(
    smtp_settings,
    smtp_inbox,
    eager_celery,
):
    program, people = finance_program("BEX")

    first = monthly_export_send_task.delay(NOW).get()
    second = monthly_export_send_task.delay(NOW).get()

    assert first["emails"] == 2 and second["emails"] == 0
    rows = OutboundEmail.objects.filter(idempotency_key__contains=f":{program.pk}:")
    assert sorted(rows.values_list("status", "attempts")) == [(OutboundEmailStatus.SENT, 1)] * 2
    check_messages(smtp_inbox, program, people)


def test_duplicate_monthly_export_tasks_in_a_worker_send_once(chain_worker, smtp_inbox):
    program, people = finance_program("WEX")

    runs = [monthly_export_send_task.delay(NOW) for _ in range(2)]  # a duplicated beat run

    assert sorted(r.get(timeout=120)["emails"] for r in runs) == [0, 2]

    def all_sent():
        rows = OutboundEmail.objects.filter(idempotency_key__contains=f":{program.pk}:")
        statuses = list(rows.values_list("status", flat=True))
        return len(statuses) == 2 and set(statuses) == {OutboundEmailStatus.SENT}

    wait_for(all_sent, timeout=60, what="the two export e-mails to be sent")
    wait_for(lambda: len(messages_for(smtp_inbox, "WEX")) >= 2, timeout=10, what="SMTP delivery")
    assert monthly_export_send_task.delay(NOW).get(timeout=120)["emails"] == 0
    time.sleep(1)  # a duplicate would arrive now
    check_messages(smtp_inbox, program, people)
