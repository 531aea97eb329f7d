"""A small budget for the forecasts, actuals, GL import and accrual tests: a program with every
role (governance's cast), two workstreams, a labour category booked to GL account 610000 and a
vendor category, and lines with a plan. Everything goes through the services."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.test import Client

from budgets.models import BudgetLine
from budgets.services import actuals, structure
from governance.tests.factories_changes import Cast, make_cast
from programs.tests.factories import WorkstreamFactory
from vendors.tests.factories import make_contract, make_vendor

NOV = dt.date(2026, 11, 1)
OCT = dt.date(2026, 10, 1)
TODAY = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)  # freeze here: November is the as-of month


@dataclass
class Budget:
    cast: Cast
    labour: BudgetLine  # Finance x labour (GL 610000)
    travel: BudgetLine  # Finance x travel (GL 650000)
    ops_labour: BudgetLine  # Operations x labour (GL 610000)
    vendor_line: BudgetLine  # Finance x vendor, on a contract

    @property
    def program(self):
        return self.cast.program


def make_budget(code: str = "ERP") -> Budget:
    cast = make_cast(code)
    program, pm = cast.program, cast.pm
    finance = WorkstreamFactory(program=program, name="Finance & Controlling", actor=pm)
    ops = WorkstreamFactory(program=program, name="Operations", actor=pm)

    def category(name, kind, gl):
        return structure.category_create(
            actor=pm, program=program, name=name, kind=kind, expense_type="opex", gl_account=gl
        )

    labour_cat = category("Internal labour", "labour", "610000")
    travel_cat = category("Travel", "travel", "650000")
    vendor_cat = category("Vendor services", "vendor", "620100")
    vendor = make_vendor(program, actor=pm, name="Northwind Consulting")
    contract = make_contract(program, vendor, actor=pm)

    def line(ws, cat, name, monthly, **extra):
        made = structure.line_create(
            actor=pm, program=program, workstream=ws, category=cat, name=name, **extra
        )
        for month in (dt.date(2026, m, 1) for m in range(1, 13)):
            structure.plan_set(actor=pm, line=made, month=month, amount=Decimal(monthly))
        return made

    return Budget(
        cast=cast,
        labour=line(finance, labour_cat, "Internal FTEs", "10000.00"),
        travel=line(finance, travel_cat, "Travel to plants", "1000.00"),
        ops_labour=line(ops, labour_cat, "Internal FTEs", "8000.00"),
        vendor_line=line(finance, vendor_cat, "Northwind SOW 1", "20000.00", contract=contract),
    )


def manual(line, month, amount, actor=None, **fields):
    fields.setdefault("description", "Expense claim")
    return actuals.cost_entry_create(
        actor=actor, line=line, month=month, amount=Decimal(amount), **fields
    )


HEADER = ["Posting date", "Period", "GL account", "Cost centre", "Budget line",
          "Document number", "Description", "Amount", "Currency"]  # fmt: skip


def gl_csv(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c
