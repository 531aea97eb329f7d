"""A small budget for the export tests: two workstreams, two lines (one with hostile text in
its names), three planned months, a forecast, actuals with a credit, made through the services."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from programs.tests.factories import WorkstreamFactory
from vendors.tests.factories import make_vendor

from .factories import actual, forecast, make_category, make_line, plan

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
AS_OF = dt.date(2026, 3, 15)  # January and February closed, March open
HOSTILE_LINE = '-Contoso "SOW 2", phase\n2'
HOSTILE_CATEGORY = '=HYPERLINK("http://evil.example","x")'
HOSTILE_VENDOR = "@Northwind, Ltd"


def small_budget(program) -> dict:
    finance = WorkstreamFactory(program=program, name="Finance & Controlling")
    data = WorkstreamFactory(program=program, name="+Data Migration")
    labour = make_category(program, name="Internal labour", kind="labour", expense_type="opex")
    hostile = make_category(program, name=HOSTILE_CATEGORY, kind="vendor", expense_type="capex")
    vendor = make_vendor(program, name=HOSTILE_VENDOR)
    fte = make_line(program, workstream=finance, category=labour, name="Internal FTEs")
    sow = make_line(program, workstream=data, category=hostile, name=HOSTILE_LINE, vendor=vendor)
    for month, amount in ((JAN, "1000.00"), (FEB, "1000.00"), (MAR, "1250.50")):
        plan(fte, month, amount)
    plan(sow, FEB, "5000.00")
    plan(sow, MAR, "5000.00")
    forecast(fte, MAR, "1300.00", as_of=dt.date(2026, 2, 20))
    forecast(sow, MAR, "4000.00", as_of=dt.date(2026, 2, 20))
    actual(fte, JAN, "900.10")
    actual(fte, JAN, "200.00")
    actual(fte, FEB, "1000.00")
    actual(sow, FEB, "5600.00")
    actual(sow, FEB, "-100.25", description="Credit note")
    return {"workstreams": (finance, data), "categories": (labour, hostile), "vendor": vendor,
            "lines": (fte, sow)}  # fmt: skip


def parse_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """An independent reading: the stdlib csv module over the decoded text."""
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def column_total(rows: list[dict[str, str]], name: str) -> Decimal:
    return sum((Decimal(r[name]) for r in rows if r[name] != ""), Decimal("0.00"))
