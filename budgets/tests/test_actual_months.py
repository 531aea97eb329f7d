"""The monthly actuals the ledger reads (ActualMonth) always equal the sums of the cost entries,
whichever service wrote them: manual entries created, moved and deleted, accruals and their
cancellation, GL imports and approved invoices (through cost_entry_create)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Q, Sum

from budgets.models import ActualMonth, CostEntry
from budgets.selectors.ledger import ACCRUAL_SOURCES, ledger
from budgets.services import actual_months, actuals
from budgets.services.gl_import import gl_import_run
from budgets.tests.actuals_factories import OCT, TODAY, gl_csv, make_budget, manual

pytestmark = pytest.mark.django_db
SEP = dt.date(2026, 9, 1)


def entry_sums(program) -> dict:
    rows = (
        CostEntry.objects.filter(program=program)
        .values_list("line_id", "month")
        .annotate(t=Sum("amount"), a=Sum("amount", filter=Q(source__in=ACCRUAL_SOURCES)))
        .order_by()
    )
    return {(line, month): (t, a or Decimal("0.00")) for line, month, t, a in rows}


def kept(program) -> dict:
    return {
        (r.line_id, r.month): (r.amount, r.accrued)
        for r in ActualMonth.objects.filter(program=program)
    }


@time_machine.travel(TODAY)
def test_every_service_that_books_costs_keeps_the_monthly_sums():
    budget = make_budget()
    program, finance = budget.program, budget.cast.finance
    first = manual(budget.travel, SEP, "100.00", actor=finance)
    manual(budget.travel, SEP, "-20.50", actor=finance)
    manual(budget.labour, OCT, "900.00", actor=finance)
    assert kept(program) == entry_sums(program)
    assert kept(program)[budget.travel.pk, SEP] == (Decimal("79.50"), Decimal("0.00"))

    # moving an entry to another line and month updates both; deleting empties a month
    first.refresh_from_db()
    moved = actuals.cost_entry_update(
        actor=finance, entry=first, expected_version=first.version, month=OCT,
        line=budget.ops_labour,
    )  # fmt: skip
    assert kept(program) == entry_sums(program)
    actuals.cost_entry_delete(actor=finance, entry=moved, expected_version=moved.version)
    assert (budget.ops_labour.pk, OCT) not in kept(program)
    assert kept(program) == entry_sums(program)

    accrual = actuals.accrual_create(
        actor=finance, program=program, line=budget.vendor_line, month=OCT, amount="5000.00",
        description="October work, invoice due in November",
    )  # fmt: skip
    assert kept(program)[budget.vendor_line.pk, OCT] == (Decimal("5000.00"), Decimal("5000.00"))
    accrual.refresh_from_db()
    actuals.accrual_cancel(
        actor=finance, accrual=accrual, expected_version=accrual.version, reason="Invoiced early"
    )
    assert kept(program) == entry_sums(program)

    rows = [["2026-10-31", "2026-10", "", "", budget.travel.key, "JE-1", "Taxi", "42.10", "EUR"]]
    gl_import_run(actor=finance, program=program, data=gl_csv(rows), filename="gl.csv")
    assert kept(program) == entry_sums(program)

    book = ledger(program)
    assert book.cell(budget.travel.pk, OCT).actual == Decimal("42.10")
    assert book.total().actual == sum(t for t, _a in entry_sums(program).values())
    # a rebuild from the entries finds exactly what the services kept
    before = kept(program)
    actual_months.rebuild(program.pk)
    assert kept(program) == before
