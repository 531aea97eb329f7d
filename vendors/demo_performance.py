"""Demo SLAs, measurements and escalations for the ERP program (called by vendors/demo.py).

Fabrikam's managed hosting breaches its availability and P1-response SLAs in recent months (the
reason Fabrikam is suspended) and has a level-2 escalation open and an earlier one resolved;
Northwind's defect turnaround and status reports mostly meet target, with one resolved level-1
escalation; Contoso's load reconciliation accuracy sits near its tight target. Measurements cover
the last twelve complete months (inside each contract's term), so the trend is always current.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from programs.models import Program

from . import periods
from .services import performance as services

SLAS = [
    # slug, contract, metric, direction, target, unit, values oldest -> newest (12 months), notes
    ("fb_availability", "fb_hosting", "Availability of the production landscape", "at_least",
     "99.5", "%", ["99.92", "99.85", "99.71", "99.64", "99.21", "99.80", "99.62", "99.12",
                   "99.70", "99.31", "99.58", "98.74"],
     {4: "Storage failover did not trigger; 5 h outage of PRD.",
      7: "Two unplanned outages (network, kernel patch).",
      9: "Unannounced maintenance window overran by 3 h.",
      11: "Database host failure; 9 h to restore from standby."}),
    ("fb_p1", "fb_hosting", "P1 incident response time", "at_most", "4", "hours",
     ["2.5", "3.0", "3.5", "3.9", "3.5", "3.2", "6.0", "3.5", "3.8", "7.0", "3.9", "5.0"],
     {6: "Two P1 incidents at night answered after 6 h.",
      9: "Night-time P1 answered after 7 h: the on-call engineer was ill."}),
    ("nw_defects", "nw_sow1", "Defect fix turnaround (severity 1-2)", "at_most", "5", "days",
     ["4.2", "4.8", "3.9", "5.5", "4.1", "4.4", "3.8", "4.9", "4.0", "3.6", "4.3", "4.1"],
     {3: "Integration test backlog after SIT 1."}),
    ("nw_reports", "nw_sow1", "Weekly status reports on time", "at_least", "95", "%",
     ["100", "100", "100", "90", "100", "100", "100", "95", "100", "100", "100", "100"],
     {3: "Two reports late during the team change."}),
    ("ct_reconciliation", "ct_sow", "Load reconciliation accuracy", "at_least", "99.8", "%",
     ["99.85", "99.90", "99.72", "99.92", "99.95", "99.81", "99.88", "99.90", "99.93",
      "99.86", "99.91", "99.94"],
     {2: "Mock load 1: 0.28 % of open items unreconciled (currency rounding)."}),
]  # fmt: skip


def _months(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the `count` complete months before `today`, oldest first."""
    latest = periods.Period.default(today)
    return [p.start for p in latest.trailing(count)]


def build(program: Program, ctx: dict) -> dict:
    manager = ctx["manager"]
    contracts = ctx["contracts"]
    vendors = ctx["vendors"]
    today = services.program_today(program)
    months = _months(today, 12)
    slas = {}
    measured = 0
    breaches = {}
    for slug, contract, metric, direction, target, unit, values, notes in SLAS:
        sla = services.service_level_create(
            actor=manager,
            program=program,
            contract=contracts[contract],
            metric=metric,
            direction=direction,
            target=Decimal(target),
            unit=unit,
            period="monthly",
        )
        slas[slug] = sla
        term = contracts[contract]
        for index, (start, value) in enumerate(zip(months, values, strict=True)):
            end = periods.sla_period_containing("monthly", start)[1]
            if end < term.start_date or start > term.current_end_date:
                continue
            measurement = services.measurement_record(
                actor=manager,
                service_level=sla,
                period_start=start,
                value=Decimal(value),
                note=notes.get(index, ""),
            )
            measured += 1
            if measurement.breached:
                breaches.setdefault(slug, []).append(measurement)
    ctx["service_levels"] = slas

    fabrikam, northwind = vendors["fabrikam"], vendors["northwind"]
    days = dt.timedelta
    resolved = services.escalation_create(
        actor=manager,
        program=program,
        vendor=fabrikam,
        contract=contracts["fb_hosting"],
        title="P1 incidents answered late at night",
        reason="Two P1 incidents in one month were answered after more than 4 hours; the "
        "order form requires a 24x7 on-call engineer.",
        owner=manager,
        raised_on=today - days(150),
        respond_by=today - days(140),
    )
    services.escalation_resolve(
        actor=manager,
        escalation=resolved,
        expected_version=resolved.version,
        outcome="Fabrikam extended the on-call rota to nights and weekends and credited 5 % of "
        "that month's fee.",
        resolved_on=today - days(128),
    )
    latest = breaches.get("fb_availability", [])[-1:] or [None]
    open_one = services.escalation_create(
        actor=manager,
        program=program,
        vendor=fabrikam,
        contract=contracts["fb_hosting"],
        title="Repeated availability breaches of the production landscape",
        reason="Availability has missed the 99.5 % target in four of the last eight months, "
        "with outages of up to 9 hours. Hosting is on hold until a remediation plan is agreed."
        + (
            f" Latest: {latest[0].value.normalize():f} % in {latest[0].period_start:%B %Y}."
            if latest[0] is not None
            else ""
        ),
        owner=manager,
        raised_on=today - days(40),
        respond_by=today - days(30),
    )
    open_one = services.escalation_escalate(
        actor=manager,
        escalation=open_one,
        expected_version=open_one.version,
        note="No remediation plan after 10 days; raised to the account executive and the "
        "program manager.",
        respond_by=today + days(7),
    )
    northwind_one = services.escalation_create(
        actor=manager,
        program=program,
        vendor=northwind,
        contract=contracts["nw_sow1"],
        title="Status reports late during the team change",
        reason="Two weekly status reports arrived after the Friday deadline.",
        owner=manager,
        raised_on=months[3] + days(20),
        respond_by=months[3] + days(27),
    )
    services.escalation_resolve(
        actor=manager,
        escalation=northwind_one,
        expected_version=northwind_one.version,
        outcome="Northwind named a deputy project manager who sends the report when the lead "
        "is away.",
        resolved_on=months[3] + days(26),
    )
    return {"service levels": len(slas), "SLA measurements": measured, "escalations": 3}
