"""A realistic snapshot (an ERP program in week 48) for the PDF tests, built by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace as dataclass_replace
from decimal import Decimal as D

from reporting.snapshot import (
    BudgetBurn,
    ChangeLine,
    CommentaryLine,
    DecisionLine,
    GanttLine,
    MilestoneLine,
    RagLine,
    ReleaseLine,
    RiskLine,
    Snapshot,
)

MONTHS = [
    "Mar 26",
    "Apr 26",
    "May 26",
    "Jun 26",
    "Jul 26",
    "Aug 26",
    "Sep 26",
    "Oct 26",
    "Nov 26",
    "Dec 26",
    "Jan 27",
    "Feb 27",
    "Mar 27",
]


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
    plan = _cumulative(
        [
            120000,
            140000,
            170000,
            180000,
            190000,
            190000,
            210000,
            220000,
            230000,
            250000,
            250000,
            230000,
            220000,
        ]
    )
    actual = (
        _cumulative([100000, 140000, 180000, 220000, 210000, 200000, 240000, 210000, 200000])
        + [None] * 4
    )
    forecast = [None] * 8 + [
        actual[8],
        actual[8] + 260000,
        actual[8] + 520000,
        actual[8] + 760000,
        actual[8] + 990000,
    ]
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
            RagLine(
                "schedule",
                "amber",
                "SPI 0.93 is below 0.95 and 2 milestones slipped "
                "against the baseline (UAT exit, Go-live wave 1).",
            ),
            RagLine("cost", "green", "CPI 1.02, forecast 1.2 % under budget."),
            RagLine("scope", "amber", "1 change request past its decision date (CR-5)."),
            RagLine(
                "risk",
                "red",
                "Risk exposure 131 is at or above 120 and 1 new high risk (RSK-14).",
                computed_rag="amber",
                override_reason="The data-archive decision blocks mock load 3.",
            ),
            RagLine("quality", "red", "1 open severity-1 defect (DEF-3)."),
            RagLine("overall", "red", "Risk and quality are red."),
        ],
        "baseline_name": "Re-plan Q3",
        "milestones_due": [
            MilestoneLine("TSK-88", "SIT cycle 1 exit", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
            MilestoneLine(
                "TSK-95", "Mock load 3 complete", dt.date(2026, 12, 11), dt.date(2026, 12, 11)
            ),
        ],
        "milestones_slipped": [
            MilestoneLine(
                "TSK-97", "UAT exit", dt.date(2026, 12, 11), dt.date(2026, 12, 18), slip_days=5
            ),
            MilestoneLine(
                "TSK-120", "Go-live wave 1", dt.date(2027, 1, 11), dt.date(2027, 2, 1), slip_days=15
            ),
        ],
        "milestones": [
            MilestoneLine(
                "TSK-12",
                "Design sign-off",
                dt.date(2026, 6, 30),
                dt.date(2026, 7, 3),
                done=True,
                slip_days=3,
            ),
            MilestoneLine("TSK-88", "SIT cycle 1 exit", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
            MilestoneLine(
                "TSK-97", "UAT exit", dt.date(2026, 12, 11), dt.date(2026, 12, 18), slip_days=5
            ),
            MilestoneLine(
                "TSK-120", "Go-live wave 1", dt.date(2027, 1, 11), dt.date(2027, 2, 1), slip_days=15
            ),
        ],
        "gantt": [
            GanttLine(
                "TSK-80",
                "Wave 1 test and cut-over",
                dt.date(2026, 11, 2),
                dt.date(2027, 2, 1),
                summary=True,
                percent_complete=35,
            ),
            GanttLine(
                "TSK-96",
                "User acceptance test",
                dt.date(2026, 11, 16),
                dt.date(2026, 12, 18),
                critical=True,
                percent_complete=40,
            ),
            GanttLine(
                "TSK-120",
                "Go-live wave 1",
                dt.date(2027, 2, 1),
                dt.date(2027, 2, 1),
                critical=True,
                milestone=True,
            ),
        ],
        "budget": BudgetBurn(
            currency="EUR",
            months=MONTHS,
            plan=plan,
            actual=actual,
            forecast=forecast,
            budget=D("2600000.00"),
            actual_to_date=actual[8],
            forecast_at_completion=D("2569000.00"),
            variance_at_completion=D("31000.00"),
            cpi=D("1.02"),
            spi=D("0.93"),
            variance_by_workstream=[
                ("Finance & Controlling", D("-45000")),
                ("Data Migration", D("76000")),
            ],
            today_index=8.9,
        ),
        "heat_map": [(4, 5, 2), (3, 4, 3), (2, 2, 5), (5, 3, 1)],
        "risk_exposure": 131,
        "top_risks": [
            RiskLine(
                "RSK-14",
                "Legacy archive decision delays mock load 3",
                "risk",
                20,
                "Sara Ibrahim",
                "Open",
                dt.date(2026, 12, 4),
            ),
            RiskLine(
                "RSK-3",
                "Key users unavailable during year-end close",
                "risk",
                16,
                "Ana Souza",
                "Mitigating",
            ),
        ],
        "top_issues": [
            RiskLine(
                "ISS-4",
                "Bank test system down since 20 Nov",
                "issue",
                4,
                "Kenji Tanaka",
                "Open",
                dt.date(2026, 12, 1),
            ),
        ],
        "decisions_needed": [
            DecisionLine(
                "DEC-6",
                "Archive or migrate closed legacy years",
                dt.date(2026, 12, 4),
                "Daniel Okafor",
            ),
        ],
        "changes_awaiting": [
            ChangeLine(
                "CR-5",
                "Extend wave 1 hypercare from four to six weeks",
                "assessed",
                D("84000.00"),
                0,
                dt.date(2026, 11, 20),
            ),
        ],
        "releases": [
            ReleaseLine(
                "REL-1",
                "1.0",
                "Wave 1: Finance go-live",
                dt.date(2027, 2, 1),
                False,
                "Planned",
                [
                    "1 open severity-1 defect: DEF-3",
                    "UAT pass rate 91.7 % (55 of 60 executed) < 95 %",
                ],
            ),
        ],
        "help_needed": ["A decision on the legacy archive by 4 December (DEC-6)."],
        "achievements": [
            "SIT cycle 1 started on time with 412 test cases.",
            "Mock load 2 reconciled to the cent for GL balances.",
        ],
        "next_steps": [
            "Close the 14 open SIT defects of severity 2.",
            "Dress rehearsal of the cut-over on 12 December.",
        ],
        "decisions": ["Freeze the chart of accounts from 1 December (DEC-5)."],
        "commentary": [
            CommentaryLine("Finance & Controlling", "green", "Design is frozen; SIT on track."),
            CommentaryLine(
                "Data Migration",
                "amber",
                "Mock load 3 waits for the archive decision (DEC-6); two weeks of float left.",
            ),
            CommentaryLine("Testing", "red", "Bank test system down since 20 Nov (ISS-4)."),
        ],
        "status": "published",
        "published_at": dt.datetime(2026, 11, 27, 16, 30, tzinfo=dt.UTC),
        "published_by": "Priya Raman",
    }
    values.update(overrides)
    return Snapshot(**values)


LONG = (
    "Harmonise the intercompany reconciliation and settlement process across all forty-two "
    "legal entities of the group including the newly acquired subsidiaries in Brazil"
)


def crowded(n: int = 100, **overrides) -> Snapshot:
    """A draft with `n` items in every list, long names and long texts: what must never
    overflow the briefing's two pages or a slide."""
    base = sample()
    day = dt.date(2026, 11, 27)
    milestones = [
        MilestoneLine(
            f"TSK-{1000 + i}",
            f"{LONG} ({i})",
            day + dt.timedelta(days=i),
            day + dt.timedelta(days=i + i % 7),
            done=i < 10,
            slip_days=i % 7,
        )
        for i in range(n)
    ]
    values = {
        "program_name": "Global Finance Transformation, Shared Services Consolidation and "
        "S/4HANA Migration Programme for the European and Latin American Regions",
        "status": "draft",
        "published_at": None,
        "published_by": "",
        "rag": [
            RagLine(
                line.dimension,
                line.rag,
                f"{line.reason} {LONG}.",
                computed_rag="green" if line.dimension == "cost" else "",
                override_reason=LONG if line.dimension == "cost" else "",
            )
            for line in base.rag
        ],
        "milestones": milestones,
        "milestones_due": milestones[10:],
        "milestones_slipped": [m for m in milestones if m.slip_days],
        "gantt": [
            GanttLine(
                f"TSK-{2000 + i}",
                f"{LONG} {i}",
                day + dt.timedelta(days=i),
                day + dt.timedelta(days=i + 20),
                critical=i % 3 == 0,
            )
            for i in range(n)
        ],
        "budget": dataclass_replace(
            base.budget,
            variance_by_workstream=[(f"{LONG[:40]} {i}", D(i * 1000 - 50000)) for i in range(n)],
        ),
        "top_risks": [
            RiskLine(
                f"RSK-{100 + i}",
                LONG,
                "risk",
                20,
                "Maximiliana Featherstonehaugh-Vanderbilt",
                "Open",
            )
            for i in range(n)
        ],
        "top_issues": [
            RiskLine(f"ISS-{100 + i}", LONG, "issue", 3, "Kenji Tanaka", "Open") for i in range(n)
        ],
        "decisions_needed": [
            DecisionLine(f"DEC-{10 + i}", LONG, day, "Daniel Okafor") for i in range(n)
        ],
        "changes_awaiting": [
            ChangeLine(f"CR-{12 + i}", LONG, "Assessed", D("1234567.89"), -12, day)
            for i in range(n)
        ],
        "releases": [
            ReleaseLine(f"REL-{i}", f"{i}.0", LONG, day, i % 2 == 0, "Planned", [LONG] * 6)
            for i in range(n)
        ],
        "achievements": [f"{LONG} {i}" for i in range(n)],
        "next_steps": [f"{LONG} {i}" for i in range(n)],
        "decisions": [f"{LONG} {i}" for i in range(n)],
        "help_needed": [f"{LONG} {i}" for i in range(n)],
        "commentary": [
            CommentaryLine(
                f"Workstream {i} {LONG[:30]}", ("green", "amber", "red", "grey")[i % 4], LONG * 3
            )
            for i in range(n)
        ],
    }
    values.update(overrides)
    return dataclass_replace(base, **values)


def bare(**overrides) -> Snapshot:
    """A new program: no baseline, no budget, nothing open, no report written (computed)."""
    values = {
        "status": "computed",
        "published_at": None,
        "published_by": "",
        "has_baseline": False,
        "baseline_name": "",
        "has_budget": False,
        "budget": None,
        "milestones_due": [],
        "milestones_slipped": [],
        "milestones": [],
        "gantt": [],
        "heat_map": [],
        "risk_exposure": 0,
        "top_risks": [],
        "top_issues": [],
        "decisions_needed": [],
        "changes_awaiting": [],
        "releases": [],
        "achievements": [],
        "next_steps": [],
        "decisions": [],
        "help_needed": [],
        "commentary": [],
        "rag": [
            RagLine("schedule", "grey", "No baseline yet: schedule is not rated."),
            RagLine("cost", "grey", "No budget yet: cost is not rated."),
            RagLine("scope", "green", "No change request is open."),
            RagLine("risk", "green", "Risk exposure 0 is below 60."),
            RagLine("quality", "green", "No open severity-1 or severity-2 defect."),
            RagLine("overall", "green", "Every rated dimension is green."),
        ],
    }
    values.update(overrides)
    return sample(**values)
