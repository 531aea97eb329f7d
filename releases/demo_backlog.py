"""The ERP demo's backlog (seed_demo): three two-week sprints per active workstream (the last
one closed, the current one active, the next one planned, around today), about 45 items across
the four workstreams with WSJF scores, estimates, statuses and links to the requirements they
deliver, and a few cross-team dependencies (data migration needs integration's interfaces,
finance needs migrated data), one of them planned too late. Written through the backlog
services, so ranks, WSJF and the audit trail are as in real use.

Fills ctx["backlog"] (PBI key -> item) and ctx["iterations"] (name -> iteration).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from programs.models import WorkstreamStatus

from .services import backlog as services

# per workstream: capacity of (closed, active, planned) sprints and the sprint numbers
SPRINTS = {"FI": (24, 24, 20), "SC": (14, 20, 18), "DM": (16, 21, 20), "IT": (8, 24, 16)}
GOALS = {
    "FI": ("General ledger and parallel ledgers configured and unit-tested.",
           "Accounts payable and bank statement processing ready for SIT.",
           "Month-end close cockpit and e-invoicing ready for SIT."),
    "SC": ("Requisition approvals and plant-to-plant transfers working end to end.",
           "Goods receipt on handhelds and batch traceability demonstrated at Lyon.",
           "EWM bin structure for Brno and the MRP performance spike."),
    "DM": ("Customer and material masters cleansed for mock load 2.",
           "Supplier bank details and open items loaded and reconciled.",
           "Mock load 2 inside the 48-hour window."),
    "IT": ("Single sign-on and the transport route in place.",
           "MES and EBICS interfaces through the integration suite; role catalogue.",
           "Web-shop interface, monitoring and the supplier replication for migration."),
}  # fmt: skip
FIRST_NUMBER = 11
P, A, N = 0, 1, 2  # the closed (previous), active (now) and planned (next) sprint; None: backlog
D, IP, IR, RD, NW, RM = "done", "in_progress", "in_review", "ready", "new", "removed"

# (workstream, title, kind, MoSCoW, value, criticality, risk, size, points, status, sprint,
#  requirement title it delivers or "")
ITEMS = [
    ("FI", "Configure document splitting by profit centre and segment", "story", "must",
     13, 8, 8, 5, 8, D, P, "Post journal entries with document splitting"),
    ("FI", "Parallel ledger 0L/2L with IFRS and HGB accounting principles", "story", "must",
     20, 13, 8, 8, 13, D, P, "Parallel ledgers for IFRS and local GAAP"),
    ("FI", "Three-way match tolerance keys for AP invoice verification", "story", "must",
     13, 8, 5, 3, 5, IR, A, "Three-way match for supplier invoices"),
    ("FI", "CAMT.053 bank statement import with search strings", "story", "must",
     8, 8, 5, 5, 8, IP, A, "Automatic bank statement import"),
    ("FI", "Depreciation areas for book and tax valuation", "story", "must",
     8, 5, 5, 5, 5, IP, A, "Fixed-asset depreciation in two areas"),
    ("FI", "Month-end close cockpit task list", "story", "must",
     13, 13, 8, 8, 8, RD, N, "Month-end close in five working days"),
    ("FI", "XRechnung output for public-sector invoices", "story", "must",
     8, 13, 8, 5, 5, RD, N, "E-invoicing to public-sector customers"),
    ("FI", "Dunning forms in EN, DE, CS and NL", "story", "should",
     5, 3, 2, 3, 3, NW, None, "Dunning in the customer's language"),
    ("FI", "Intercompany reconciliation cockpit: matching rules", "story", "should",
     5, 5, 3, 5, 5, NW, None, "Intercompany reconciliation cockpit"),
    ("FI", "13-week cash-flow forecast prototype", "spike", "could",
     3, 2, 3, 3, 3, NW, None, "Cash-flow forecast for 13 weeks"),
    ("FI", "Reconcile migrated open items to the legacy trial balance", "task", "must",
     13, 13, 13, 5, 5, RD, A, "Open items reconciliation"),
    ("FI", "Posting period variant blocks prior periods after close", "bug", "must",
     8, 8, 5, 1, 2, D, P, ""),
    ("SC", "Approval workflow for purchase requisitions by amount", "story", "must",
     13, 8, 5, 5, 8, D, P, "Purchase requisition approval by amount"),
    ("SC", "Goods receipt on handheld scanners at the Lyon dock", "story", "must",
     13, 8, 5, 8, 8, IP, A, "Goods receipt with handheld scanners"),
    ("SC", "Batch where-used list from supplier to customer", "story", "must",
     13, 13, 13, 8, 8, IP, A, "Batch traceability from supplier to customer"),
    ("SC", "EWM storage bins for the three Brno warehouses", "epic", "must",
     20, 8, 8, 13, 13, RD, N, "Extended warehouse management in Brno"),
    ("SC", "GS1 label layout for handling units", "story", "should",
     5, 5, 2, 3, 3, IR, A, "Warehouse label printing"),
    ("SC", "MRP live run for all plants under two hours", "spike", "must",
     8, 8, 13, 5, 5, RD, N, "MRP run overnight for all plants"),
    ("SC", "Quality inspection lot on receipt of inspected materials", "story", "must",
     8, 5, 8, 5, 5, NW, None, "Quality inspection on receipt"),
    ("SC", "Two-step stock transfer between plants", "story", "must",
     8, 5, 3, 3, 5, D, P, "Stock transfer between plants"),
    ("SC", "Consignment stock at key customers", "story", "should",
     5, 3, 3, 5, 5, NW, None, "Consignment stock at customer sites"),
    ("SC", "Supplier punch-out catalogue for office supplies", "story", "should",
     3, 2, 1, 5, 5, NW, None, "Supplier catalogue punch-out"),
    ("SC", "Vendor evaluation scores on the buyer's worklist", "story", "could",
     2, 1, 1, 3, 3, NW, None, "Vendor evaluation scores"),
    ("SC", "Plant maintenance orders in Brno", "epic", "wont",
     3, 1, 1, 13, None, RM, None, "Plant maintenance orders in Brno"),
    ("DM", "Customer master: duplicate check and merge rules", "story", "must",
     13, 13, 8, 5, 8, D, P, "Customer master migrated and de-duplicated"),
    ("DM", "Supplier bank details: four-eyes verification load", "story", "must",
     13, 13, 20, 5, 5, IP, A, "Supplier master with bank details verified"),
    ("DM", "Material master: flag obsolete materials", "story", "must",
     8, 8, 5, 3, 3, D, P, "Material master cleansing"),
    ("DM", "Open purchase order load with open quantities", "story", "must",
     8, 13, 8, 5, 5, IR, A, "Open purchase orders migrated"),
    ("DM", "Open items load and reconciliation report", "story", "must",
     13, 13, 13, 8, 8, IP, A, "Open items reconciliation"),
    ("DM", "Mock load 2 within the 48-hour window", "task", "must",
     13, 20, 13, 13, 13, RD, N, "Mock load performance"),
    ("DM", "Rejected-records report per load", "story", "must",
     5, 8, 8, 3, 3, D, P, "Data-load error report"),
    ("DM", "Fixed-asset history with accumulated depreciation", "story", "must",
     8, 8, 5, 5, 5, RD, N, "Fixed-asset history migration"),
    ("DM", "Exclude contacts inactive for seven years (GDPR)", "story", "must",
     5, 8, 13, 2, 2, RD, A, "GDPR erasure of inactive contacts"),
    ("DM", "Three years of sales history for planning", "story", "should",
     5, 3, 2, 5, 5, NW, None, "Historic sales for three years"),
    ("DM", "Legacy attachment archive link", "spike", "could",
     2, 1, 2, 3, 3, NW, None, "Archive of legacy attachments"),
    ("DM", "Reusable migration templates for wave 2 plants", "story", "should",
     3, 2, 5, 5, 5, NW, None, "Reusable migration templates"),
    ("IT", "MES interface: production orders and confirmations", "epic", "must",
     20, 13, 13, 13, 13, IP, A, "Interface to the MES in every plant"),
    ("IT", "Web-shop order interface through the integration suite", "story", "must",
     13, 13, 8, 8, 8, RD, N, "E-commerce order interface"),
    ("IT", "EBICS connectivity to the four house banks", "story", "must",
     13, 13, 13, 5, 8, IR, A, "Bank connectivity through EBICS"),
    ("IT", "SAML single sign-on with the corporate identity provider", "story", "must",
     8, 8, 13, 3, 3, D, P, "Single sign-on with the corporate identity provider"),
    ("IT", "Business role catalogue and SoD rule set", "story", "must",
     8, 8, 13, 8, 8, IP, A, "Role-based authorisations"),
    ("IT", "Interface monitoring with alerts to the support team", "story", "must",
     5, 5, 8, 5, 5, RD, N, "Interface monitoring with alerts"),
    ("IT", "Supplier master replication to the data-migration staging area", "task", "must",
     8, 13, 8, 3, 3, RD, N, ""),
    ("IT", "LIMS interface for the Eindhoven lab", "story", "should",
     5, 3, 3, 8, 8, NW, None, "LIMS interface for the Eindhoven lab"),
    ("IT", "Transport route DEV → QA → PRD with approvals", "story", "must",
     5, 5, 8, 3, 3, D, P, "Transport management across landscapes"),
    ("IT", "Sandbox refresh automation", "spike", "could",
     2, 1, 3, 5, 5, NW, None, "Sandbox refresh each quarter"),
]  # fmt: skip

# (dependant title, what it needs first): across teams unless said otherwise
DEPENDENCIES = [
    ("Supplier bank details: four-eyes verification load",
     "Supplier master replication to the data-migration staging area"),  # planned too late
    ("Open items load and reconciliation report",
     "EBICS connectivity to the four house banks"),
    ("Reconcile migrated open items to the legacy trial balance",
     "Open items load and reconciliation report"),
    ("Open purchase order load with open quantities",
     "Approval workflow for purchase requisitions by amount"),
    ("Goods receipt on handheld scanners at the Lyon dock",
     "MES interface: production orders and confirmations"),
    ("CAMT.053 bank statement import with search strings",
     "EBICS connectivity to the four house banks"),
    ("Mock load 2 within the 48-hour window", "Open items load and reconciliation report"),
    ("Month-end close cockpit task list",
     "Three-way match tolerance keys for AP invoice verification"),
]  # fmt: skip

ASSIGNEES = {
    "FI": ("contributor@example.com", "l.novak@example.com"),
    "SC": ("j.moreau@example.com",),
    "DM": ("s.ibrahim@example.com",),
    "IT": ("k.tanaka@example.com",),
}
LABELS = {"FI": "wave-1, finance", "SC": "wave-2, logistics", "DM": "wave-1, migration",
          "IT": "wave-1, integration"}  # fmt: skip


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@transaction.atomic
def build(program, ctx: dict) -> dict:
    workstreams = ctx.get("workstreams") or {}
    manager = ctx.get("manager")
    if not workstreams or manager is None:
        return {}
    people = ctx.get("people") or {}
    requirements = {r.title: r for r in (ctx.get("requirements") or {}).values()}
    active_start = _monday(timezone.localdate()) - dt.timedelta(days=7)
    sprints: dict[str, list] = {}
    ctx["iterations"] = {}
    for code, capacities in SPRINTS.items():
        ws = workstreams.get(code)
        if ws is None or ws.status != WorkstreamStatus.ACTIVE:
            continue
        sprints[code] = []
        for offset, capacity in enumerate(capacities):
            start = active_start + dt.timedelta(days=14 * (offset - 1))
            iteration = services.iteration_create(
                actor=manager, program=program, workstream=ws,
                name=f"{code} Sprint {FIRST_NUMBER + offset}", start_date=start,
                end_date=start + dt.timedelta(days=13), capacity=Decimal(capacity),
                status="active" if offset == A else "planned",
                goal=GOALS[code][offset],
            )  # fmt: skip
            sprints[code].append(iteration)
            ctx["iterations"][iteration.name] = iteration
    by_title = {}
    ctx["backlog"] = {}
    counters: dict[str, int] = {}
    for ws_code, title, kind, moscow, bv, tc, rr, js, points, status, sprint, req in ITEMS:
        ws = workstreams.get(ws_code)
        if ws is None:
            continue
        emails = ASSIGNEES[ws_code]
        counters[ws_code] = counters.get(ws_code, 0) + 1
        assignee = people.get(emails[counters[ws_code] % len(emails)])
        row = services.backlog_item_create(
            actor=manager, program=program, workstream=ws, title=title, kind=kind,
            priority=moscow, business_value=bv, time_criticality=tc, risk_reduction=rr,
            job_size=js, estimate=None if points is None else Decimal(points),
            status=status if sprint != P else D,
            iteration=sprints[ws_code][sprint] if sprint is not None and ws_code in sprints
            else None,
            assignee=assignee if status != NW else None, labels=LABELS[ws_code],
            description=f"As the {ws.name} team we deliver: {title.lower()}.\n\n"
            "Acceptance: shown in the test system with production-like data and signed off "
            "by the process owner.",
            requirements=[requirements[req]] if req in requirements else [],
        )  # fmt: skip
        by_title[title] = row
        ctx["backlog"][row.key] = row
    for dependant, needed in DEPENDENCIES:
        if dependant in by_title and needed in by_title:
            services.backlog_dependency_add(
                actor=manager, item=by_title[dependant], depends_on=by_title[needed]
            )
    for code, iterations in sprints.items():
        services.iteration_close(
            actor=manager, iteration=iterations[P], expected_version=None, move_to=iterations[A]
        )
        services.backlog_rank_by_wsjf(actor=manager, workstream=workstreams[code])
    return {"backlog items": len(ctx["backlog"]), "iterations": len(ctx["iterations"])}
