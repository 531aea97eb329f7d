"""A realistic snapshot (an ERP program in week 48) for the PDF tests, built by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from reporting.snapshot import (
    BudgetBurn,
    ChangeLine,
    DecisionLine,
    GanttLine,
    MilestoneLine,
    RagLine,
    ReleaseLine,
    RiskLine,
    Snapshot,
)

MONTHS = ["Mar 26", "Apr 26", "May 26", "Jun 26", "Jul 26", "Aug 26", "Sep 26", "Oct 26",
          "Nov 26", "Dec 26", "Jan 27", "Feb 27", "Mar 27"]  # fmt: skip


def _cumulative(values):
    total, out = D("0"), []
    for value in values:
        if value is None:
            out.append(None)
        else:
            total += D(value)
            out.append(total)
    return out


def sample(**overrides) -> Snapshot:
    plan = _cumulative([120000, 140000, 170000, 180000, 190000, 190000, 210000, 220000, 230000,
                        250000, 250000, 230000, 220000])  # fmt: skip
    actual = _cumulative([100000, 140000, 180000, 220000, 210000, 200000, 240000, 210000,
                          200000]) + [None] * 4  # fmt: skip
    forecast = [None] * 8 + [actual[8], actual[8] + 260000, actual[8] + 520000,
                             actual[8] + 760000, actual[8] + 990000]  # fmt: skip
    values = {
        "program_code": "ERP",
        "program_name": "ERP Migration to S/4HANA",
        "period": "2026-W48",
        "period_start": dt.date(2026, 11, 23),
        "period_end": dt.date(2026, 11, 29),
        "status_date": dt.date(2026, 11, 27),
        "generated_at": dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC),
        "currency": "EUR",
        "manager": "Priya Raman",
        "sponsor": "Daniel Okafor",
        "rag": [
            RagLine("schedule", "amber", "SPI 0.93 is below 0.95 and 2 milestones slipped "
                    "against the baseline (UAT exit, Go-live wave 1)."),
            RagLine("cost", "green", "CPI 1.02, forecast 1.2 % under budget."),
            RagLine("scope", "amber", "1 change request past its decision date (CR-5)."),
            RagLine("risk", "red", "Risk exposure 131 is at or above 120 and 1 new high risk "
                    "(RSK-14).", computed_rag="amber",
                    override_reason="The data-archive decision blocks mock load 3."),
            RagLine("quality", "red", "1 open severity-1 defect (DEF-3)."),
            RagLine("overall", "red", "Risk and quality are red."),
        ],
        "baseline_name": "Re-plan Q3",
        "milestones_due": [
            MilestoneLine("TSK-88", "SIT cycle 1 exit", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
            MilestoneLine("TSK-95", "Mock load 3 complete", dt.date(2026, 12, 11),
                          dt.date(2026, 12, 11)),
        ],
        "milestones_slipped": [
            MilestoneLine("TSK-97", "UAT exit", dt.date(2026, 12, 11), dt.date(2026, 12, 18),
                          slip_days=5),
            MilestoneLine("TSK-120", "Go-live wave 1", dt.date(2027, 1, 11), dt.date(2027, 2, 1),
                          slip_days=15),
        ],
        "milestones": [
            MilestoneLine("TSK-12", "Design sign-off", dt.date(2026, 6, 30), dt.date(2026, 7, 3),
                          done=True, slip_days=3),
            MilestoneLine("TSK-88", "SIT cycle 1 exit", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
            MilestoneLine("TSK-97", "UAT exit", dt.date(2026, 12, 11), dt.date(2026, 12, 18),
                          slip_days=5),
            MilestoneLine("TSK-120", "Go-live wave 1", dt.date(2027, 1, 11), dt.date(2027, 2, 1),
                          slip_days=15),
        ],
        "gantt": [
            GanttLine("TSK-80", "Wave 1 test and cut-over", dt.date(2026, 11, 2),
                      dt.date(2027, 2, 1), summary=True, percent_complete=35),
            GanttLine("TSK-96", "User acceptance test", dt.date(2026, 11, 16),
                      dt.date(2026, 12, 18), critical=True, percent_complete=40),
            GanttLine("TSK-120", "Go-live wave 1", dt.date(2027, 2, 1), dt.date(2027, 2, 1),
                      critical=True, milestone=True),
        ],
        "budget": BudgetBurn(
            currency="EUR", months=MONTHS, plan=plan, actual=actual, forecast=forecast,
            budget=D("2600000.00"), actual_to_date=actual[8],
            forecast_at_completion=D("2569000.00"), variance_at_completion=D("31000.00"),
            cpi=D("1.02"), spi=D("0.93"),
            variance_by_workstream=[("Finance & Controlling", D("-45000")),
                                    ("Data Migration", D("76000"))],
            today_index=8.9,
        ),
        "heat_map": [(4, 5, 2), (3, 4, 3), (2, 2, 5), (5, 3, 1)],
        "risk_exposure": 131,
        "top_risks": [
            RiskLine("RSK-14", "Legacy archive decision delays mock load 3", "risk", 20,
                     "Sara Ibrahim", "Open", dt.date(2026, 12, 4)),
            RiskLine("RSK-3", "Key users unavailable during year-end close", "risk", 16,
                     "Ana Souza", "Mitigating"),
        ],
        "top_issues": [
            RiskLine("ISS-4", "Bank test system down since 20 Nov", "issue", 15, "Kenji Tanaka",
                     "Open", dt.date(2026, 12, 1)),
        ],
        "decisions_needed": [
            DecisionLine("DEC-6", "Archive or migrate closed legacy years", dt.date(2026, 12, 4),
                         "Daniel Okafor"),
        ],
        "changes_awaiting": [
            ChangeLine("CR-5", "Extend wave 1 hypercare from four to six weeks", "assessed",
                       D("84000.00"), 0, dt.date(2026, 11, 20)),
        ],
        "releases": [
            ReleaseLine("REL-1", "1.0", "Wave 1: Finance go-live", dt.date(2027, 2, 1), False,
                        "Planned", ["1 open severity-1 defect: DEF-3",
                                    "UAT pass rate 91.7 % (55 of 60 executed) < 95 %"]),
        ],
        "help_needed": ["A decision on the legacy archive by 4 December (DEC-6)."],
    }  # fmt: skip
    values.update(overrides)
    return Snapshot(**values)
