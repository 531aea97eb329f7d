"""The ERP demo's forecasts: three re-forecasts (as of 31 August, 30 September and 31 October
2026) on a few lines, so the forecast movement shows: Northwind's SOW creeping up and slipping
a month into April 2027, Finance's internal FTEs rising with overtime, integration licences
repriced from January 2027 and Contoso's data migration a little over."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from programs.models import Program

from .months import month_range
from .services.forecasts import forecast_line_save

# (as-of date, line slug, first month, last month, monthly amount, note)
REFORECASTS = [
    (dt.date(2026, 8, 31), "fin_nw", dt.date(2026, 9, 1), dt.date(2027, 3, 1), "147000.00",
     "Design change requests add about 5 % to the build."),
    (dt.date(2026, 8, 31), "fin_fte", dt.date(2026, 9, 1), dt.date(2026, 12, 1), "40000.00",
     "Overtime for the unit-test phase."),
    (dt.date(2026, 9, 30), "fin_nw", dt.date(2026, 10, 1), dt.date(2027, 3, 1), "152000.00",
     "Second design iteration for the consolidation module."),
    (dt.date(2026, 9, 30), "fin_nw", dt.date(2027, 4, 1), dt.date(2027, 4, 1), "60000.00",
     "Hypercare moves into April 2027."),
    (dt.date(2026, 9, 30), "fin_fte", dt.date(2026, 10, 1), dt.date(2027, 3, 1), "41000.00",
     "Two contractors extended to March."),
    (dt.date(2026, 10, 31), "fin_nw", dt.date(2026, 11, 1), dt.date(2027, 3, 1), "150000.00",
     "Change order CO for the consolidation module agreed at a lower rate."),
    (dt.date(2026, 10, 31), "fin_nw", dt.date(2027, 4, 1), dt.date(2027, 4, 1), "90000.00",
     "Hypercare in April at full team."),
    (dt.date(2026, 10, 31), "fin_fte", dt.date(2026, 11, 1), dt.date(2027, 3, 1), "42000.00",
     "Key users back-filled until go-live."),
    (dt.date(2026, 10, 31), "int_licences", dt.date(2027, 1, 1), dt.date(2027, 9, 1),
     "22000.00", "Vendor price list 2027: +19 %."),
    (dt.date(2026, 10, 31), "dm_contoso", dt.date(2026, 11, 1), dt.date(2027, 2, 1),
     "55000.00", "Third mock load needs an extra week."),
]  # fmt: skip


def build(program: Program, ctx: dict) -> dict:
    actor = ctx["finance"]
    last = ctx["months"][-1]
    entries = 0
    for as_of, slug, first, until, amount, note in REFORECASTS:
        line = ctx["lines"][slug]
        months = month_range(first, min(until, last))
        _line, saved = forecast_line_save(
            actor=actor, line=line, amounts=dict.fromkeys(months, Decimal(amount)),
            expected_version=None, as_of=as_of, note=note,
        )  # fmt: skip
        entries += len(saved)
    return {"forecast entries": entries}
