"""Demo status reports (seed_demo, through reporting/demo.py): eight weeks of published reports
ending with last week, and this week's report as a draft.

The story of the eight weeks (ERP): SPI drifts from 0.98 to 0.91 and CPI from 1.02 to 0.95 while
the forecast creeps over budget; risk exposure rises to 152 and falls back to 104 as the archive
decision is taken; a severity-1 defect is open for three weeks; milestones start to slip. Overall
goes amber -> red -> amber; in week 3 the program manager overrides risk to red, with the reason.
Each week carries a narrative and every workstream's commentary.

Each week's snapshot starts from `collect` for that week on today's data; the story's figures
(SPI, CPI, forecast, exposure, slips, defects) replace the computed ones and the ratings are
computed from them by the program's RAG rules, so every reason names the figure beside it. The
reports then go through the services (narrative, commentary, override, submit, publish) and are
backdated to the week's Friday. Other programs (CRM) get three published weeks as computed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from budgets.selectors.evm import program_today
from core.audit_guard import bulk_writes_allowed
from programs.models import Program, ProgramMembership, Role
from releases.models import OPEN_DEFECT_STATUSES, Defect

from . import rag
from .collect import collect, period_bounds
from .models import RagOverride, StatusReport, WorkstreamCommentary
from .periods import period_of, shift
from .selectors.common import thresholds_of
from .services import reports as services
from .snapshot import RagLine, Snapshot, from_json, to_json

D = Decimal
WEEKS = 8

# week 1 .. 8: SPI, CPI, forecast over budget (%), exposure, slipped milestones, open sev-1 and
# sev-2 defects, new high risks
STORY = [
    (D("0.98"), D("1.02"), D("-1.2"), 92, 0, 0, 1, 0),
    (D("0.97"), D("1.01"), D("-0.9"), 104, 1, 0, 2, 0),
    (D("0.96"), D("1.00"), D("-0.4"), 118, 2, 0, 2, 1),
    (D("0.95"), D("0.98"), D("0.6"), 137, 3, 1, 3, 1),
    (D("0.94"), D("0.97"), D("1.5"), 152, 4, 1, 4, 0),
    (D("0.93"), D("0.96"), D("2.4"), 141, 6, 2, 5, 0),
    (D("0.92"), D("0.96"), D("3.1"), 116, 8, 2, 7, 0),
    (D("0.91"), D("0.95"), D("3.6"), 104, 9, 3, 9, 0),  # the anchor: the program's own figures
]
# ERP rates risk exposure against its own size (17 risks): amber from 150, red from 200
ERP_THRESHOLDS = {"exposure_amber": D("150"), "exposure_red": D("200")}
OVERRIDE_WEEK = 3  # 1-based
OVERRIDE = (
    "risk",
    "red",
    "Exposure is just under the red line, but RSK-1 (the legacy archive decision) blocks mock "
    "load 3: if it is not decided by 30 Oct the wave 1 date moves. The score understates it.",
)

NARRATIVE = [
    {
        "headline": "Build is on plan; SIT preparation started and the budget is under plan.",
        "achievements": "Finance build sprint 6 closed with all stories accepted\n"
        "Interface specifications for MES and banking signed off\n"
        "Mock load 2 reconciled at 99.2 % of records",
        "next_steps": "Start SIT test case preparation\nPlan mock load 3 with the data owners",
        "decisions": "Steering committee approved the wave 1 scope freeze",
        "help_needed": "",
    },
    {
        "headline": "One milestone slipped a week; overall still amber, no action needed yet.",
        "achievements": "SIT test cases for order-to-cash written (212 of 240)\n"
        "Bank connectivity tested end to end with two of three banks",
        "next_steps": "Recover the supply chain build slip with two extra developers\n"
        "Run the first SIT dry run",
        "decisions": "Extra developers for supply chain approved within the budget",
        "help_needed": "",
    },
    {
        "headline": "Risk is red by my call: the legacy archive decision now blocks mock load 3.",
        "achievements": "SIT dry run passed 87 % of cases\nCut-over runbook draft 1 published",
        "next_steps": "Prepare options paper on the legacy archive for the steering committee\n"
        "Close the open design questions in warehouse management",
        "decisions": "",
        "help_needed": "Decide the legacy archive option by 30 Oct (options paper sent on Tuesday)",
    },
    {
        "headline": "Red: a severity-1 defect in the bank interface and slipping milestones.",
        "achievements": "SIT cycle 1 started on time\nArchive options paper presented",
        "next_steps": "Fix the payment-file defect and retest with all three banks\n"
        "Re-plan the SIT exit with the test manager",
        "decisions": "Steering committee asked for a costed archive option by next week",
        "help_needed": "Bank relationship managers to speed up test accounts for the retest",
    },
    {
        "headline": "Still red: four milestones behind, exposure at its peak; recovery plan "
        "drafted.",
        "achievements": "Payment-file defect root cause found (encoding of umlauts)\n"
        "Recovery plan for SIT exit drafted",
        "next_steps": "Approve the recovery plan\nDeploy the payment-file fix to the test system",
        "decisions": "Interim archive in the cloud chosen over the on-premise option",
        "help_needed": "Approve the recovery plan's weekend testing (overtime budget)",
    },
    {
        "headline": "Red: the archive is decided, but UAT found a second severity-1 defect.",
        "achievements": "Interim archive contract signed\n"
        "Payment-file fix passed the first two banks",
        "next_steps": "Finish the retest with the third bank\nTriage the UAT defects daily",
        "decisions": "Weekend testing approved for three weekends",
        "help_needed": "",
    },
    {
        "headline": "Red: exposure is falling, but eight milestones are behind the baseline.",
        "achievements": "Mock load 3 started on schedule\n"
        "Exposure down from 208 to 172 since the archive decision",
        "next_steps": "Complete mock load 3 reconciliation\nSIT cycle 2 entry review",
        "decisions": "",
        "help_needed": "",
    },
    {
        "headline": "Red: three severity-1 defects keep wave 1 from go-live; decide the re-plan.",
        "achievements": "Mock load 3 reconciled at 99.6 %\nSIT cycle 2 entry criteria met",
        "next_steps": "Fix and retest DEF-4, DEF-5 and DEF-18 before the go/no-go review\n"
        "Decide whether to re-baseline wave 1 or recover with more testers",
        "decisions": "Go/no-go for wave 1 postponed until the severity-1 defects are closed",
        "help_needed": "Steering committee: choose between re-baselining wave 1 and more testers",
    },
]

COMMENTARY = {  # workstream name -> one line a week (the lead's RAG is amber unless said)
    "Finance & Controlling": [
        ("green", "Build sprint 6 closed; all FI stories accepted by the key users."),
        ("green", "Month-end close scenarios written; waiting for SIT environment."),
        ("green", "SIT dry run: 91 % of finance cases passed."),
        ("amber", "Bank payment-file defect blocks the AP payment run tests."),
        ("red", "AP payment tests still blocked; we test the rest in parallel."),
        ("amber", "Payment fix passed two banks; AP tests resumed."),
        ("amber", "AP payment run passed with two banks; the third bank's retest is open."),
        ("green", "Month-end close dry run planned for next week."),
    ],
    "Supply Chain & Procurement": [
        ("green", "Purchase-to-pay build on plan."),
        ("amber", "Warehouse build one week late; two extra developers start Monday."),
        ("amber", "Catching up: half of the slip recovered."),
        ("amber", "Open design questions in warehouse management closed."),
        ("red", "Plant Brno data for stock transfer still missing; escalated."),
        ("amber", "Brno data received; stock transfer tests resumed."),
        ("amber", "Still three days behind on warehouse tests."),
        ("amber", "Warehouse tests done; UAT scripts in review with the plants."),
    ],
    "Data Migration": [
        ("green", "Mock load 2 reconciled at 99.2 %."),
        ("amber", "Legacy archive scope unclear; it affects mock load 3."),
        ("red", "Mock load 3 cannot be planned until the archive option is chosen."),
        ("red", "Options paper presented; waiting for the decision."),
        ("amber", "Interim cloud archive chosen; planning mock load 3 again."),
        ("amber", "Archive contract signed; extraction scripts adapted."),
        ("green", "Mock load 3 started on schedule."),
        ("green", "Mock load 3 reconciled at 99.6 %."),
    ],
    "Integration & Technical Architecture": [
        ("green", "MES and banking interface specifications signed off."),
        ("green", "Bank connectivity tested with two of three banks."),
        ("amber", "Third bank's test account still missing."),
        ("red", "Severity-1 defect in the payment-file interface (encoding)."),
        ("red", "Root cause found; the fix is in development."),
        ("amber", "Fix deployed to test; two of three banks passed."),
        ("amber", "Two of three banks passed; UAT raised new interface defects."),
        ("red", "Severity-1 defects in the interfaces block wave 1; fixes in test."),
    ],
}
DRAFT_COMMENTARY = [
    ("amber", "Delta load rehearsal planned for Saturday; two reconciliation reports still open."),
    ("green", "Month-end close dry run passed; 3 minor findings logged."),
]
GENERIC_COMMENTARY = [
    ("green", "On plan this week."),
    ("amber", "Slightly behind; the lead has a recovery plan."),
]


def _friday(period: str, zone: ZoneInfo, hour: int, minute: int = 0) -> dt.datetime:
    monday, _ = period_bounds(period)
    day = monday + dt.timedelta(days=4)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def _person(program: Program, role: str):
    row = (
        ProgramMembership.objects.filter(program=program, role=role)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return row.user if row else None


def _defect_keys(program: Program, severity: int) -> list[str]:
    return list(
        Defect.objects.filter(program=program, status__in=OPEN_DEFECT_STATUSES, severity=severity)
        .order_by("number")
        .values_list("key", flat=True)
    )


def _pad(keys: list[str], n: int, prefix: str) -> tuple[str, ...]:
    """`n` keys: the program's own first, then made-up ones when it has too few."""
    keys = list(keys[:n])
    while len(keys) < n:
        keys.append(f"{prefix}-{900 + len(keys)}")
    return tuple(keys)


def _budget(burn, spi: D, cpi: D, over: D):
    """The burn with the story's indices and forecast (the forecast curve rescaled to end at it;
    the workstreams' variances shifted evenly so they add up to it)."""
    if burn is None:
        return None
    eac = (burn.budget * (1 + over / 100)).quantize(D("0.01"))
    forecast = list(burn.forecast)
    known = [i for i, v in enumerate(forecast) if v is not None]
    if known and forecast[known[-1]] is not None:
        start, old_end = forecast[known[0]], forecast[known[-1]]
        if old_end != start:
            factor = (eac - start) / (old_end - start)
            forecast = [
                None if v is None else (start + (v - start) * factor).quantize(D("0.01"))
                for v in forecast
            ]
            forecast[known[-1]] = eac
    rows = list(burn.variance_by_workstream)
    if rows:
        shift_each = ((eac - burn.budget) - sum(v for _, v in rows)) / len(rows)
        rows = [(label, (v + shift_each).quantize(D("0.01"))) for label, v in rows]
    return dataclasses.replace(
        burn, spi=spi, cpi=cpi, forecast_at_completion=eac,
        variance_at_completion=burn.budget - eac, forecast=forecast,
        variance_by_workstream=rows,
    )  # fmt: skip


def _anchored(program: Program, week: int, anchor: Snapshot | None):
    """Week `week`'s story figures, moved so that the last published week is exactly what the
    program's data gives (`anchor`, computed for that week): the briefing, the dashboard and the
    portfolio then agree on the latest figures, and the earlier weeks tell how they came to be."""
    spi, cpi, over, exposure, slipped_n, sev1_n, sev2_n, new_high_n = STORY[week]
    last = STORY[-1]
    burn = anchor.budget if anchor else None
    if burn is not None and burn.spi is not None:
        spi = (burn.spi + spi - last[0]).quantize(D("0.01"))
    if burn is not None and burn.cpi is not None:
        cpi = (burn.cpi + cpi - last[1]).quantize(D("0.01"))
    if burn is not None and burn.budget:
        real_over = (burn.forecast_at_completion - burn.budget) / burn.budget * 100
        over = (real_over + over - last[2]).quantize(D("0.1"))
    if anchor is not None:
        exposure = max(0, anchor.risk_exposure + exposure - last[3])
    return spi, cpi, over, exposure, slipped_n, sev1_n, sev2_n, new_high_n


def story_snapshot(
    program: Program, period: str, week: int, now: dt.datetime, anchor: Snapshot | None = None
) -> Snapshot:
    """Week `week` (0-based) of the story, as the raw figures a draft stores. The last week is
    the program's figures as computed for it, unchanged."""
    thresholds = thresholds_of(program)
    base = collect(program, period=period, thresholds=thresholds, now=now)
    status_date = now.date()
    if week == WEEKS - 1:
        return dataclasses.replace(
            base, status_date=status_date, generated_at=now.astimezone(dt.UTC), status="draft"
        )
    spi, cpi, over, exposure, slipped_n, sev1_n, sev2_n, new_high_n = _anchored(
        program, week, anchor
    )
    burn = _budget(base.budget, spi, cpi, over)
    live_slipped = sorted(base.milestones_slipped, key=lambda m: (m.current, m.key))
    factor = D(week + 1) / D(WEEKS)
    slipped = [
        dataclasses.replace(m, slip_days=max(1, int(m.slip_days * factor)))
        for m in live_slipped[:slipped_n]
    ]
    slipped.sort(key=lambda m: (-m.slip_days, m.current))
    due = [
        m
        for m in base.milestones
        if not m.done and status_date <= m.current <= status_date + dt.timedelta(days=30)
    ]
    highs = [r.key for r in base.top_risks if r.score >= 10]
    overdue = tuple(
        c.key for c in base.changes_awaiting if c.needed_by and c.needed_by < now.date()
    )
    ratings = rag.assess(
        rag.ScheduleFacts(
            has_baseline=base.has_baseline, spi=spi if burn else None,
            slipped_milestones=tuple(m.name for m in slipped), baseline_name=base.baseline_name,
        ),
        rag.CostFacts(
            has_budget=burn is not None, cpi=cpi if burn else None,
            overrun_percent=over if burn else None,
        ),
        rag.ScopeFacts(open_changes=len(base.changes_awaiting), overdue_changes=overdue),
        rag.RiskFacts(exposure=D(exposure), new_high_risks=_pad(highs, new_high_n, "RSK")),
        rag.QualityFacts(
            open_sev1=_pad(_defect_keys(program, 1), sev1_n, "DEF"),
            open_sev2=_pad(_defect_keys(program, 2), sev2_n, "DEF"),
        ),
        thresholds,
    )  # fmt: skip
    return dataclasses.replace(
        base, status_date=status_date, generated_at=now.astimezone(dt.UTC), budget=burn,
        risk_exposure=exposure,
        milestones_slipped=slipped, milestones_due=due, status="draft",
        rag=[RagLine(name, a.rag.value, a.reason) for name, a in ratings.items()],
    )  # fmt: skip


def _store_figures(report: StatusReport, snapshot: Snapshot) -> StatusReport:
    overall = snapshot.rag_of("overall")
    with bulk_writes_allowed():
        StatusReport.objects.filter(pk=report.pk).update(
            snapshot=to_json(snapshot), computed_at=snapshot.generated_at,
            overall_rag=overall.rag if overall else "",
        )  # fmt: skip
    report.refresh_from_db()
    return report


def _backdate(report: StatusReport, zone: ZoneInfo) -> None:
    """Created on the week's Monday, submitted and published on its Friday."""
    monday, _ = period_bounds(report.period)
    created = dt.datetime.combine(monday, dt.time(9, 0), tzinfo=zone)
    submitted = _friday(report.period, zone, 15, 10)
    published = _friday(report.period, zone, 17, 30).astimezone(dt.UTC)
    snapshot = from_json(report.snapshot)
    snapshot = dataclasses.replace(snapshot, published_at=published)
    with bulk_writes_allowed():
        StatusReport.objects.filter(pk=report.pk).update(
            created_at=created, updated_at=published, submitted_at=submitted,
            published_at=published, snapshot=to_json(snapshot),
        )  # fmt: skip
        for model in (WorkstreamCommentary, RagOverride):
            model.objects.filter(report=report).update(created_at=submitted, updated_at=submitted)


def _comment_actor(program: Program, workstream, fallback):
    lead = workstream.lead
    if lead is not None and services.can_comment(program, lead, workstream):
        return lead
    return fallback


def _commentary(program: Program, report: StatusReport, week: int, fallback) -> int:
    count = 0
    for workstream in program.workstreams.select_related("lead").order_by("name"):
        lines = COMMENTARY.get(workstream.name)
        value, text = lines[week] if lines else GENERIC_COMMENTARY[week % 2]
        services.commentary_save(
            actor=_comment_actor(program, workstream, fallback), report=report,
            workstream=workstream, rag=value, text=text,
        )  # fmt: skip
        count += 1
    return count


def _narrative(report: StatusReport, actor, week: int) -> StatusReport:
    report.refresh_from_db()
    return services.report_update(
        actor=actor, report=report, expected_version=report.version, **NARRATIVE[week]
    )


def _publish(report: StatusReport, *, manager, coordinator, zone: ZoneInfo) -> StatusReport:
    report = services.report_submit(actor=coordinator or manager, report=report)
    report = services.report_publish(actor=manager, report=report)
    _backdate(report, zone)
    return report


@transaction.atomic
def build(program: Program, ctx: dict) -> dict:
    manager = _person(program, Role.MANAGER)
    if manager is None:
        return {}
    coordinator = _person(program, Role.COORDINATOR)
    zone = ZoneInfo(program.time_zone)
    this_week = period_of(program_today(program))
    storied = program.code == "ERP" or ctx.get("story_reports")
    weeks = WEEKS if storied else 3
    counts = {"published status reports": 0, "commentaries": 0, "overrides": 0}
    reports = {}
    if program.code == "ERP":
        services.report_settings_update(
            actor=manager, program=program, expected_version=None, **ERP_THRESHOLDS
        )
    last_period = shift(this_week, -1)
    anchor = (
        collect(program, period=last_period, thresholds=thresholds_of(program),
                now=_friday(last_period, zone, 16))
        if storied else None
    )  # fmt: skip
    for index in range(weeks):
        period = shift(this_week, index - weeks)
        report = services.report_open(actor=manager, program=program, period=period)
        if storied:
            week = index
            now = _friday(period, zone, 16)
            _store_figures(report, story_snapshot(program, period, week, now, anchor))
            _narrative(report, manager, week)
            counts["commentaries"] += _commentary(program, report, week, coordinator or manager)
            if week + 1 == OVERRIDE_WEEK:
                dimension, value, reason = OVERRIDE
                services.override_set(
                    actor=manager, report=report, dimension=dimension, rag=value, reason=reason
                )
                counts["overrides"] += 1
        else:
            week = index % 2
            now = _friday(period, zone, 16)
            figures = collect(
                program,
                period=period,
                thresholds=thresholds_of(program),
                now=now.astimezone(dt.UTC),
            )
            _store_figures(report, dataclasses.replace(figures, status_date=now.date(),
                                                       status="draft"))  # fmt: skip
            services.report_update(
                actor=manager, report=report, expected_version=report.version,
                headline="On plan; no decision needed from the steering committee this week.",
                achievements="Sprint review held with the sales managers\nPortal design signed off",
                next_steps="Start the service desk configuration",
            )  # fmt: skip
            counts["commentaries"] += _commentary(program, report, week, coordinator or manager)
        reports[period] = _publish(report, manager=manager, coordinator=coordinator, zone=zone)
        counts["published status reports"] += 1
    if storied:  # this week's report, open as a draft with the figures computed now
        draft = services.report_open(actor=manager, program=program, period=this_week)
        draft = services.report_update(
            actor=manager, report=draft, expected_version=draft.version,
            headline="Draft: wave 1 date holds only if the steering committee decides on "
            "re-baselining by Friday.",
            achievements="SIT cycle 2 started with 96 % of entry criteria met",
        )  # fmt: skip
        for workstream, (value, text) in zip(
            program.workstreams.select_related("lead").order_by("name")[:2], DRAFT_COMMENTARY,
            strict=False,
        ):  # fmt: skip
            services.commentary_save(
                actor=_comment_actor(program, workstream, coordinator or manager), report=draft,
                workstream=workstream, rag=value, text=text,
            )  # fmt: skip
        reports[this_week] = draft
        counts["draft status reports"] = 1
    ctx["status_reports"] = reports
    return counts
