"""Demo and benchmark schedules: a believable S/4HANA plan for ERP, a small CRM plan, scaled data.

The demo plans are declared as an outline (`_S` summaries, `_T` tasks, `_M` milestones, `_D`
deliverables) plus a list of links, created in bulk (audited with `audit_create_many`) and
scheduled once. Their history is then told through the services, as it happened: the original
plan is baselined, the Explore phase slips and the plan is re-baselined ("Re-plan Q3"), more
slips follow, progress is reported as of the status date, milestones are signed off and slipped
milestones get remediation plans. Weekly forecast snapshots feed the milestone trend chart.

`build_scaled_schedule` makes large synthetic programs for benchmarks in a constant number of
queries per batch of rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from core.audit import audit_create_many, audit_update, snapshot
from core.audit_guard import bulk_writes_allowed
from core.keys import allocate_keys
from core.models import User
from programs.models import Program, ProgramMembership, Workstream

from . import services
from .models import (
    MINUTES_PER_DAY,
    Baseline,
    Dependency,
    ForecastSnapshot,
    Holiday,
    Item,
    ItemKind,
    ItemStatus,
)

BATCH_SIZE = 1000  # rows per INSERT when building in bulk
DEMO_STATUS_DATE = dt.date(2026, 11, 27)  # the Friday of the demo's "today" (2026-11-28)

# ---------------------------------------------------------------------------------------------
# The outline as data
# ---------------------------------------------------------------------------------------------


@dataclass
class _Node:
    ref: str
    name: str
    kind: str
    days: float = 0
    ws: str | None = None
    owner: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    children: list[_Node] = field(default_factory=list)
    chain: bool = False  # link the leaf children finish-to-start in order


def _S(ref, name, *, children, ws=None, owner=None, chain=False) -> _Node:
    return _Node(ref, name, ItemKind.SUMMARY, 0, ws, owner, {}, list(children), chain)


def _T(ref, name, days, ws=None, owner=None, **extra) -> _Node:
    return _Node(ref, name, ItemKind.TASK, days, ws, owner, extra)


def _M(ref, name, ws=None, owner=None, **extra) -> _Node:
    return _Node(ref, name, ItemKind.MILESTONE, 0, ws, owner, extra)


def _D(ref, name, days, criteria, ws=None, owner=None, **extra) -> _Node:
    return _Node(ref, name, ItemKind.DELIVERABLE, days, ws, owner, extra | {"criteria": criteria})


D = dt.date
NO_WS = "-"  # an item outside any workstream under a summary that has one

ERP_WORKSTREAM_NAMES = {
    "FI": "Finance & Controlling",
    "SC": "Supply Chain & Procurement",
    "DM": "Data Migration",
    "IT": "Integration & Technical Architecture",
}
ERP_OWNERS = {
    "pm": "pm@example.com",
    "apm": "coordinator@example.com",
    "ana": "contributor@example.com",
    "fatima": "finance@example.com",
    "daniel": "exec@example.com",
    "tom": "vendor@example.com",
    "julien": "j.moreau@example.com",
    "sara": "s.ibrahim@example.com",
    "kenji": "k.tanaka@example.com",
    "lena": "l.novak@example.com",
}

# German public holidays (the program runs from Walldorf time, Europe/Berlin) and the plants'
# year-end shutdowns. Holidays on weekends are listed anyway: the calendar import keeps them too.
ERP_HOLIDAYS = [
    ("Good Friday", D(2026, 4, 3), D(2026, 4, 3)),
    ("Easter Monday", D(2026, 4, 6), D(2026, 4, 6)),
    ("Labour Day", D(2026, 5, 1), D(2026, 5, 1)),
    ("Ascension Day", D(2026, 5, 14), D(2026, 5, 14)),
    ("Whit Monday", D(2026, 5, 25), D(2026, 5, 25)),
    ("Day of German Unity", D(2026, 10, 3), D(2026, 10, 3)),
    ("Year-end shutdown", D(2026, 12, 24), D(2027, 1, 1)),
    ("Good Friday", D(2027, 3, 26), D(2027, 3, 26)),
    ("Easter Monday", D(2027, 3, 29), D(2027, 3, 29)),
    ("Labour Day", D(2027, 5, 1), D(2027, 5, 1)),
    ("Ascension Day", D(2027, 5, 6), D(2027, 5, 6)),
    ("Whit Monday", D(2027, 5, 17), D(2027, 5, 17)),
    ("Day of German Unity", D(2027, 10, 3), D(2027, 10, 3)),
    ("Year-end shutdown", D(2027, 12, 24), D(2027, 12, 31)),
]

_DAILY_RATE = {"FI": 1150, "SC": 1150, "DM": 980, "IT": 1250, None: 900}

# fmt: off
ERP_PLAN = [
    _S("prep", "Prepare", owner="pm", chain=True, children=[
        _M("prep.charter", "Program charter approved", owner="daniel", constraint="mso",
           constraint_date=D(2026, 3, 2)),
        _T("prep.mobilise", "Mobilise program team and PMO", 15, owner="apm"),
        _M("prep.kickoff", "Program kick-off"),
        _T("prep.gov", "Set up governance, RAID log and reporting cadence", 10, owner="apm"),
        _D("prep.plan", "Integrated program plan", 8,
           "Covers all four workstreams and both waves; resource-loaded; reviewed by the "
           "steering committee."),
        _M("prep.qg1", "Quality gate 1: Prepare complete"),
    ]),
    _S("prep.tech", "Technical set-up", ws="IT", owner="kenji", children=[
        _T("prep.si", "Onboard system integrator (Northwind Consulting)", 10, ws=NO_WS,
           owner="tom"),
        _T("prep.sandbox", "Provision sandbox and DEV landscape", 20),
        _T("prep.transport", "Transport and release management set-up", 5),
    ]),
    _S("explore", "Explore: fit-to-standard and design", owner="pm", children=[
        _S("fi.design.s", "Finance & Controlling design", ws="FI", owner="ana", chain=True,
           children=[
            _T("fi.gl", "Fit-to-standard: general ledger and chart of accounts", 10),
            _T("fi.apar", "Fit-to-standard: accounts payable and receivable", 8),
            _T("fi.fa", "Fit-to-standard: fixed assets", 5),
            _T("fi.co", "Fit-to-standard: controlling and profitability analysis", 8),
            _T("fi.tax", "Fit-to-standard: tax reporting (VAT, SAF-T)", 5),
            _T("fi.close", "Fit-to-standard: period-end close and reporting", 5),
            _T("fi.gaps", "Finance gap list and RICEFW estimate", 5),
            _D("fi.design", "Finance solution design document", 10,
               "Every fit-to-standard gap has a decision; the CFO's delegate and the finance "
               "process owners have signed."),
        ]),
        _S("sc.design.s", "Supply chain design", ws="SC", owner="julien", chain=True, children=[
            _T("sc.p2p", "Fit-to-standard: procure-to-pay", 10),
            _T("sc.inv", "Fit-to-standard: inventory management", 8),
            _T("sc.wm", "Fit-to-standard: warehouse management (EWM)", 10),
            _T("sc.pp", "Fit-to-standard: production planning and MES hand-off", 8),
            _T("sc.plants", "Plant walk-throughs (Lyon, Brno, Eindhoven)", 8),
            _T("sc.gaps", "Supply chain gap list and RICEFW estimate", 5),
            _D("sc.design", "Supply chain solution design document", 10,
               "Approved by the three plant managers and the head of procurement."),
        ]),
        _S("dm.strategy.s", "Data migration strategy", ws="DM", owner="sara", children=[
            _T("dm.profile", "Profile legacy ECC data quality", 15),
            _T("dm.objects", "Migration object list and load sequence", 8),
            _T("dm.tools", "Set up the migration cockpit and ETL tooling", 10, owner="tom"),
            _M("dm.archive", "Legacy archive decision", owner="pm"),
            _D("dm.governance", "Data ownership and governance model", 5,
               "A named business owner for each of the 38 migration objects."),
            _D("dm.strategy", "Data migration strategy", 5,
               "Tools, load sequence, reconciliation method and cleansing rules agreed with "
               "the workstream leads."),
        ]),
        _S("it.arch.s", "Integration and technical architecture", ws="IT", owner="kenji", children=[
            _T("it.inventory", "Interface inventory (MES, banking, e-commerce)", 10),
            _D("it.arch", "Solution architecture document", 10,
               "Reviewed by group IT architecture board; hosting and sizing confirmed."),
            _T("it.security", "Security and authorisation concept", 10),
            _T("it.sizing", "Hardware sizing and hosting contract", 8),
            _T("it.envs", "Provision QA and pre-production landscapes", 20,
               constraint="snet", constraint_date=D(2026, 6, 1)),
        ]),
        _S("ch.s", "Change management", owner="lena", children=[
            _T("ch.impact", "Change impact assessment", 15),
            _T("ch.comms", "Stakeholder and communication plan", 5),
            _T("ch.champions", "Build a network of 40 change champions", 10),
            _T("ch.tna", "Training needs analysis", 10),
        ]),
        _M("ex.signoff", "Design sign-off", owner="pm"),
    ]),
    _S("w1", "Realize: wave 1 (Finance)", owner="ana", ws="FI", children=[
        _S("w1.build.s", "Build: finance configuration", children=[
            _T("w1.cfg.gl", "Configure general ledger, ledgers and document splitting", 20),
            _T("w1.cfg.apar", "Configure AP/AR and the payment program", 12),
            _T("w1.cfg.fa", "Configure asset accounting", 8),
            _T("w1.cfg.bank", "Configure bank accounting and cash management", 8),
            _T("w1.cfg.co", "Configure controlling (cost centres, CO-PA)", 12),
            _T("w1.cfg.tax", "Configure tax reporting and SAF-T", 6),
            _T("w1.ricefw", "Develop finance RICEFW objects (24)", 45, owner="tom"),
            _T("w1.unit", "Unit test finance configuration", 15),
            _M("w1.build.done", "Finance build complete"),
        ]),
        _S("w1.int.s", "Interfaces: finance", ws="IT", owner="kenji", children=[
            _T("w1.bank", "Build banking interface (EBICS) and bank statement import", 25),
            _T("w1.cons", "Build consolidation interface to group reporting", 10),
            _T("w1.bank.test", "Connectivity test with the house banks", 5),
            _T("w1.einv", "Build e-invoicing interface to the tax authority", 10),
        ]),
        _S("w1.data.s", "Data migration: finance", ws="DM", owner="sara", chain=True, children=[
            _T("w1.m1", "Mock load 1: finance master data", 10),
            _D("w1.m1r", "Mock load 1 reconciliation report", 3,
               "Record counts and balances reconciled for every object; variances explained."),
            _T("w1.cleanse", "Cleansing sprint: vendors, customers, GL balances", 15),
            _T("w1.m2", "Mock load 2: full finance data with open items", 10),
            _D("w1.m2r", "Mock load 2 reconciliation report", 3,
               "Open items and GL balances reconcile to ECC to the cent."),
            _T("w1.m3", "Mock load 3: dress-rehearsal load", 8),
        ]),
        _S("w1.test.s", "Testing: wave 1", owner="apm", children=[
            _T("w1.sit1", "System integration test, cycle 1", 20),
            _T("w1.sit2", "System integration test, cycle 2", 15),
            _M("w1.sit.exit", "SIT exit criteria met"),
            _T("w1.perf", "Performance test: month-end close", 5, ws="IT", owner="kenji"),
            _T("w1.dr", "Disaster recovery test", 3, ws="IT", owner="kenji"),
            _T("w1.uat", "User acceptance test (finance key users)", 15, owner="ana"),
            _D("w1.uat.signoff", "UAT sign-off: wave 1", 2,
               "No open priority 1 or 2 defects; key users of every process have signed.",
               owner="ana"),
        ]),
        _S("w1.train.s", "Training and readiness: wave 1", ws=NO_WS, owner="lena", children=[
            _T("w1.ttt", "Train-the-trainer: finance", 5),
            _T("w1.enduser", "End-user training: finance (180 users)", 15),
            _T("w1.comms", "Go-live communications: finance", 10),
            _D("w1.readiness", "Business readiness assessment: finance", 3,
               "Every readiness criterion green or with an accepted mitigation."),
            _D("w1.sox", "SOX controls documentation for S/4HANA finance", 10,
               "Reviewed by internal audit; control owners named.", ws="FI", owner="ana"),
        ]),
        _S("w1.cut.s", "Cut-over: wave 1", ws="IT", owner="kenji", children=[
            _D("w1.runbook", "Cut-over runbook: wave 1", 5,
               "Every step has an owner, a duration and a rollback point."),
            _T("w1.rehearsal", "Cut-over rehearsal: wave 1", 5),
            _T("w1.warroom", "Hypercare support model and war room", 5, owner="apm"),
            _M("w1.gonogo", "Go/no-go decision: wave 1", ws=NO_WS, owner="daniel"),
            _T("w1.freeze", "Freeze legacy ECC finance postings", 2, ws="FI", owner="ana"),
            _T("w1.cutover", "Cut-over weekend and opening balance load", 3),
        ]),
        _M("w1.golive", "Wave 1 go-live: Finance on S/4HANA", owner="pm",
           deadline=D(2027, 2, 12)),
        _T("w1.hypercare", "Hypercare: wave 1", 20),
        _M("w1.close1", "First month-end close in S/4HANA", owner="fatima"),
    ]),
    _S("w2", "Realize: wave 2 (Supply chain and plants)", ws="SC", owner="julien", children=[
        _S("w2.build.s", "Build: supply chain configuration", children=[
            _T("w2.cfg.p2p", "Configure procure-to-pay", 20),
            _T("w2.cfg.inv", "Configure inventory management", 10),
            _T("w2.cfg.mm", "Configure material master and classification", 10),
            _T("w2.cfg.ewm", "Configure EWM for the three plants", 30),
            _T("w2.cfg.pp", "Configure production planning", 12),
            _T("w2.cfg.qm", "Configure quality inspection lots", 8),
            _T("w2.ricefw", "Develop supply chain RICEFW objects (31)", 50, owner="tom"),
            _T("w2.unit", "Unit test supply chain configuration", 15),
            _M("w2.build.done", "Supply chain build complete"),
        ]),
        _S("w2.int.s", "Interfaces: supply chain", ws="IT", owner="kenji", children=[
            _T("w2.mes", "Build MES interface (three plants)", 25),
            _T("w2.ecom", "Build e-commerce order interface", 15),
            _T("w2.edi", "Supplier EDI: orders, ASN, invoices", 15),
            _T("w2.labels", "Warehouse label printing and output management", 8),
        ]),
        _S("w2.data.s", "Data migration: supply chain", ws="DM", owner="sara", chain=True,
           children=[
            _T("w2.m1", "Mock load 1: materials, BOMs and vendors", 10),
            _T("w2.m2", "Mock load 2: open orders and stock", 10),
            _T("w2.m3", "Mock load 3: dress-rehearsal load", 8),
            _D("w2.recon", "Supply chain data reconciliation sign-off", 3,
               "Stock quantities and values per plant reconcile; open orders complete."),
        ]),
        _S("w2.test.s", "Testing: wave 2", owner="apm", children=[
            _T("w2.sit1", "SIT cycle 1: supply chain", 25),
            _T("w2.sit2", "SIT cycle 2: end-to-end order-to-cash and procure-to-pay", 25),
            _T("w2.regress", "Regression test of wave 1 finance processes", 5, ws="FI",
               owner="ana"),
            _T("w2.uat", "UAT: plants and procurement", 25, owner="julien"),
            _D("w2.uat.signoff", "UAT sign-off: wave 2", 2,
               "Plant managers and the head of procurement have signed; no open priority 1 "
               "defects.", owner="julien"),
        ]),
        _S("w2.train.s", "Training and readiness: wave 2", ws=NO_WS, owner="lena", children=[
            _T("w2.ttt", "Train-the-trainer: supply chain", 5),
            _T("w2.enduser", "End-user training: plants and warehouses (420 users)", 20),
            _T("w2.comms", "Go-live communications: plants", 10),
            _D("w2.readiness", "Plant readiness assessment", 3,
               "Each plant's readiness checklist signed by its plant manager."),
        ]),
        _S("w2.cut.s", "Cut-over: wave 2", ws="IT", owner="kenji", children=[
            _D("w2.runbook", "Cut-over runbook: wave 2", 5,
               "Includes the plant shutdown sequence and the stock count plan."),
            _T("w2.rehearsal", "Cut-over rehearsal: wave 2", 5),
            _T("w2.rota", "Plant-floor support rota for go-live", 5, owner="julien"),
            _M("w2.gonogo", "Go/no-go decision: wave 2", ws=NO_WS, owner="daniel"),
            _T("w2.mrpstop", "Stop legacy MRP runs", 1, ws="SC", owner="julien"),
            _T("w2.cutover", "Cut-over: plant shutdown weekend and stock count", 3),
        ]),
        _M("w2.golive", "Wave 2 go-live: supply chain and plants", owner="pm",
           deadline=D(2027, 7, 23)),
        _T("w2.hypercare", "Hypercare: wave 2", 30),
    ]),
    _S("close", "Closure and handover", owner="pm", children=[
        _T("cl.ecc", "Decommission ECC 6.0 (read-only archive)", 15, ws="IT", owner="kenji",
           constraint="fnlt", constraint_date=D(2027, 9, 24)),
        _D("cl.handover", "Handover to the SAP competence centre", 5,
           "Support model, runbooks and open defects accepted by the competence centre.",
           owner="apm"),
        _T("cl.lessons", "Lessons learned workshop", 2, owner="apm"),
        _T("cl.contracts", "Close the system integrator contract", 5, owner="fatima"),
        _D("cl.benefits", "Benefits realisation report", 5,
           "Baseline KPIs against the business case, signed by the sponsor.", owner="fatima"),
        _M("cl.close", "Program closure", owner="daniel"),
    ]),
    _S("gov", "Steering committee", owner="pm", children=[
        _M("gov.sc1", "Steering committee: Prepare review", constraint="snet",
           constraint_date=D(2026, 4, 28)),
        _M("gov.sc2", "Steering committee: design review", constraint="snet",
           constraint_date=D(2026, 7, 14)),
        _M("gov.sc3", "Steering committee: Q3 re-plan", constraint="snet",
           constraint_date=D(2026, 8, 11)),
        _M("gov.sc4", "Steering committee: wave 1 readiness", constraint="snet",
           constraint_date=D(2026, 12, 15)),
        _M("gov.sc5", "Steering committee: wave 2 readiness", constraint="snet",
           constraint_date=D(2027, 5, 25)),
        _M("gov.sc6", "Steering committee: wave 2 stabilisation", constraint="snet",
           constraint_date=D(2027, 7, 20)),
    ]),
]

# (predecessor, successor, type, lag in days or "NN%" of the predecessor's duration)
ERP_LINKS: list[tuple[str, str, str, float | str]] = [
    ("prep.mobilise", "prep.si", "SS", 5),
    ("prep.si", "prep.sandbox", "SS", 3),
    ("prep.sandbox", "prep.transport", "FF", 0),
    ("prep.sandbox", "prep.qg1", "FS", 0),
    ("prep.qg1", "explore", "FS", 0),
    # finance workshops overlap: controlling starts half-way through the GL workshops
    ("fi.gl", "fi.co", "SS", "50%"),
    ("sc.p2p", "sc.plants", "SS", 5),
    ("dm.profile", "dm.objects", "FS", 0),
    ("dm.objects", "dm.archive", "FS", 0),
    ("dm.archive", "dm.strategy", "FS", 0),
    ("dm.objects", "dm.governance", "SS", 3),
    ("dm.governance", "dm.strategy", "FF", 0),
    ("it.inventory", "it.arch", "FS", 0),
    ("it.arch", "it.security", "SS", 5),
    ("it.arch", "it.sizing", "FS", 0),
    ("it.sizing", "it.envs", "FS", 0),
    ("dm.objects", "dm.tools", "SS", 3),
    ("dm.tools", "w1.m1", "FS", 0),
    ("ch.impact", "ch.tna", "FS", 0),
    ("ch.tna", "w1.ttt", "FS", 0),
    ("w1.cfg.apar", "w1.cfg.bank", "FS", 0),
    ("w1.cfg.bank", "w1.unit", "FS", 0),
    ("w1.cfg.bank", "w1.bank.test", "FS", 0),
    ("ex.signoff", "w1.einv", "FS", 15),
    ("w1.einv", "w1.sit1", "FS", 0),
    ("w1.perf", "w1.dr", "FS", 0),
    ("w1.dr", "w1.gonogo", "FS", 0),
    ("w1.enduser", "w1.comms", "SS", 5),
    ("w1.comms", "w1.gonogo", "FS", 0),
    ("w1.runbook", "w1.warroom", "FS", 0),
    ("w1.warroom", "w1.gonogo", "FS", 0),
    ("w2.cfg.p2p", "w2.cfg.mm", "SS", 5),
    ("w2.cfg.mm", "w2.unit", "FS", 0),
    ("w2.enduser", "w2.comms", "SS", 10),
    ("w2.comms", "w2.gonogo", "FS", 0),
    ("w2.runbook", "w2.rota", "FS", 0),
    ("w2.rota", "w2.gonogo", "FS", 0),
    ("w2.hypercare", "cl.contracts", "FS", 0),
    ("cl.contracts", "cl.close", "FS", 0),
    ("ch.impact", "ch.comms", "FF", 2),
    ("ch.comms", "ch.champions", "FS", 0),
    ("fi.design", "ex.signoff", "FS", 0),
    ("sc.design", "ex.signoff", "FS", 0),
    ("dm.strategy", "ex.signoff", "FS", 0),
    ("it.arch", "ex.signoff", "FS", 0),
    ("it.security", "ex.signoff", "FS", 0),
    # wave 1 build
    ("ex.signoff", "w1.cfg.gl", "FS", 0),
    ("w1.cfg.gl", "w1.cfg.apar", "SS", 5),
    ("w1.cfg.gl", "w1.cfg.fa", "FS", 0),
    ("w1.cfg.gl", "w1.cfg.co", "SS", 5),
    ("w1.cfg.co", "w1.cfg.tax", "FS", 0),
    ("w1.cfg.gl", "w1.ricefw", "SS", 5),
    ("w1.ricefw", "w1.unit", "FF", 3),
    ("w1.cfg.apar", "w1.unit", "FS", 0),
    ("w1.cfg.fa", "w1.unit", "FS", 0),
    ("w1.cfg.tax", "w1.unit", "FS", 0),
    ("w1.unit", "w1.build.done", "FS", 0),
    ("it.envs", "w1.bank", "FS", 0),
    ("ex.signoff", "w1.bank", "FS", 0),
    ("w1.bank", "w1.bank.test", "FS", 0),
    ("ex.signoff", "w1.cons", "FS", 10),
    ("dm.strategy", "w1.m1", "FS", 0),
    ("w1.cfg.gl", "w1.m1", "FS", 0),
    ("w1.build.done", "w1.m2", "FS", 0),
    # testing
    ("w1.build.done", "w1.sit1", "FS", 0),
    ("w1.bank.test", "w1.sit1", "FS", 0),
    ("w1.cons", "w1.sit1", "FS", 0),
    ("w1.m1r", "w1.sit1", "FS", 0),
    ("w1.sit1", "w1.sit2", "FS", 2),
    ("w1.m2r", "w1.sit2", "FS", 0),
    ("w1.sit2", "w1.sit.exit", "FS", 0),
    ("w1.sit2", "w1.perf", "SS", 3),
    ("w1.sit.exit", "w1.uat", "FS", 0),
    ("w1.uat", "w1.uat.signoff", "FS", 0),
    ("w1.sit2", "w1.ttt", "FS", -3),
    ("w1.ttt", "w1.enduser", "FS", 0),
    ("w1.uat", "w1.enduser", "SS", 5),
    ("w1.enduser", "w1.readiness", "FF", 0),
    ("w1.build.done", "w1.sox", "FS", 0),
    ("w1.uat", "w1.runbook", "SS", 0),
    ("w1.m3", "w1.rehearsal", "FS", 0),
    ("w1.uat.signoff", "w1.m3", "FS", -2),
    ("w1.runbook", "w1.rehearsal", "FS", 0),
    ("w1.rehearsal", "w1.gonogo", "FS", 0),
    ("w1.uat.signoff", "w1.gonogo", "FS", 0),
    ("w1.readiness", "w1.gonogo", "FS", 0),
    ("w1.sox", "w1.gonogo", "FS", 0),
    ("w1.perf", "w1.gonogo", "FS", 0),
    ("w1.gonogo", "w1.cutover", "FS", 0),
    # the legacy system keeps posting until the cut-over weekend starts
    ("w1.cutover", "w1.freeze", "SF", 0),
    ("w1.cutover", "w1.golive", "FS", 0),
    ("w1.golive", "w1.hypercare", "FS", 0),
    ("w1.golive", "w1.close1", "FS", 15),
    # wave 2 build runs behind wave 1
    ("ex.signoff", "w2.cfg.p2p", "FS", 40),
    ("w2.cfg.p2p", "w2.cfg.inv", "SS", 5),
    ("w2.cfg.inv", "w2.cfg.ewm", "FS", 0),
    ("w2.cfg.p2p", "w2.cfg.pp", "FS", 0),
    ("w2.cfg.pp", "w2.cfg.qm", "FS", 0),
    ("w2.cfg.p2p", "w2.ricefw", "SS", 10),
    ("w2.ricefw", "w2.unit", "FF", 3),
    ("w2.cfg.ewm", "w2.unit", "FS", 0),
    ("w2.cfg.qm", "w2.unit", "FS", 0),
    ("w2.unit", "w2.build.done", "FS", 0),
    ("w1.bank", "w2.mes", "FS", 0),
    ("w2.mes", "w2.ecom", "SS", 10),
    ("w2.mes", "w2.edi", "FS", 0),
    ("w2.cfg.ewm", "w2.labels", "FS", 0),
    ("w1.m2r", "w2.m1", "FS", 0),
    ("w2.build.done", "w2.m2", "FS", 0),
    ("w2.build.done", "w2.sit1", "FS", 0),
    ("w2.edi", "w2.sit1", "FS", 0),
    ("w2.labels", "w2.sit1", "FS", 0),
    ("w2.m1", "w2.sit1", "FS", 0),
    ("w1.golive", "w2.sit1", "FS", 10),
    ("w2.sit1", "w2.sit2", "FS", 2),
    ("w2.m2", "w2.sit2", "FS", 0),
    ("w2.sit2", "w2.regress", "FF", 0),
    ("w2.sit2", "w2.uat", "FS", 0),
    ("w2.uat", "w2.uat.signoff", "FS", 0),
    ("w2.uat.signoff", "w2.m3", "FS", -2),
    ("w2.sit2", "w2.ttt", "FS", -5),
    ("w2.ttt", "w2.enduser", "FS", 0),
    ("w2.enduser", "w2.readiness", "FF", 0),
    ("w2.uat", "w2.runbook", "SS", 0),
    ("w2.runbook", "w2.rehearsal", "FS", 0),
    ("w2.m3", "w2.rehearsal", "FS", 0),
    ("w2.rehearsal", "w2.gonogo", "FS", 0),
    ("w2.recon", "w2.gonogo", "FS", 0),
    ("w2.readiness", "w2.gonogo", "FS", 0),
    ("w2.regress", "w2.gonogo", "FS", 0),
    ("w2.gonogo", "w2.cutover", "FS", 0),
    ("w2.cutover", "w2.mrpstop", "SF", 0),
    ("w2.cutover", "w2.golive", "FS", 0),
    ("w2.golive", "w2.hypercare", "FS", 0),
    # closure
    ("w2.hypercare", "cl.handover", "FF", 0),
    ("w2.golive", "cl.ecc", "FS", 10),
    ("w2.hypercare", "cl.lessons", "FS", 0),
    ("w2.hypercare", "cl.benefits", "FS", 0),
    ("cl.handover", "cl.close", "FS", 0),
    ("cl.lessons", "cl.close", "FS", 0),
    ("cl.benefits", "cl.close", "FS", 0),
    ("cl.ecc", "cl.close", "FS", 0),
]

# fmt: on
CRM_WORKSTREAM_NAMES = {"SALES": "Sales Cloud Rollout", "SERVICE": "Service Desk"}
CRM_OWNERS = {k: ERP_OWNERS[k] for k in ("pm", "apm", "julien", "lena", "fatima", "daniel")}
CRM_HOLIDAYS = [
    ("Christmas and Boxing Day", D(2026, 12, 25), D(2026, 12, 28)),
    ("New Year's Day", D(2027, 1, 1), D(2027, 1, 1)),
    ("Good Friday", D(2027, 3, 26), D(2027, 3, 26)),
    ("Easter Monday", D(2027, 3, 29), D(2027, 3, 29)),
    ("Early May bank holiday", D(2027, 5, 3), D(2027, 5, 3)),
    ("Spring bank holiday", D(2027, 5, 31), D(2027, 5, 31)),
]
# fmt: off
CRM_PLAN = [
    _S("disc", "Discovery", owner="pm", chain=True, children=[
        _T("disc.kickoff", "Kick-off and stakeholder interviews", 15),
        _T("disc.maps", "Current-state process maps", 12, owner="apm"),
        _D("disc.dpia", "Data protection impact assessment", 5,
           "Reviewed and accepted by the data protection officer."),
        _D("disc.backlog", "Prioritised requirements backlog", 5,
           "MoSCoW-ranked; sales and service leads have signed."),
        _M("disc.done", "Discovery complete"),
        _M("disc.funding", "Investment committee approval", owner="daniel", constraint="snet",
           constraint_date=D(2027, 1, 12)),
    ]),
    _S("sales", "Sales Cloud", ws="SALES", owner="julien", children=[
        _T("sales.opp", "Opportunity and pipeline configuration", 30),
        _T("sales.cpq", "CPQ quote templates", 25),
        _T("sales.o365", "Outlook and Teams integration", 15),
        _T("sales.data", "Sales data migration from the legacy CRM", 20),
        _M("sales.ready", "Sales Cloud ready for UAT"),
    ]),
    _S("service", "Service Desk", ws="SERVICE", owner="lena", children=[
        _T("service.cases", "Case management and queues", 25),
        _T("service.portal", "Customer portal (Experience Cloud)", 45),
        _T("service.kb", "Knowledge base migration", 20),
        _M("service.ready", "Service Desk ready for UAT"),
    ]),
    _S("deploy", "Test and deploy", owner="apm", children=[
        _T("deploy.uat", "User acceptance test", 20),
        _D("deploy.uat.signoff", "UAT sign-off", 3, "No open critical defects.", owner="pm"),
        _T("deploy.train.sales", "Sales team training", 10, ws="SALES", owner="julien"),
        _T("deploy.train.service", "Service agent training", 10, ws="SERVICE", owner="lena"),
        _M("deploy.golive", "CRM go-live", owner="pm"),
        _T("deploy.hypercare", "Hypercare", 20),
    ]),
]
CRM_LINKS: list[tuple[str, str, str, float | str]] = [
    ("disc.funding", "sales", "FS", 0),
    ("disc.funding", "service", "FS", 0),
    ("sales.opp", "sales.cpq", "FS", 0),
    ("sales.opp", "sales.o365", "SS", 5),
    ("sales.opp", "sales.data", "FS", 0),
    ("sales.cpq", "sales.ready", "FS", 0),
    ("sales.o365", "sales.ready", "FS", 0),
    ("sales.data", "sales.ready", "FS", 0),
    ("service.cases", "service.portal", "SS", 5),
    ("service.cases", "service.kb", "FS", 0),
    ("service.portal", "service.ready", "FS", 0),
    ("service.kb", "service.ready", "FF", 0),
    ("sales.ready", "deploy.uat", "FS", 0),
    ("service.ready", "deploy.uat", "FS", 0),
    ("deploy.uat", "deploy.uat.signoff", "FS", 0),
    ("deploy.uat", "deploy.train.sales", "FS", -3),
    ("deploy.uat", "deploy.train.service", "FS", -3),
    ("deploy.uat.signoff", "deploy.golive", "FS", 0),
    ("deploy.train.sales", "deploy.golive", "FS", 0),
    ("deploy.train.service", "deploy.golive", "FS", 0),
    ("deploy.golive", "deploy.hypercare", "FS", 0),
]
# Edits replayed through the services after the original baseline (the Explore phase overran)
# and after the re-plan: (ref, new duration in days, other fields) or ("link", pred, succ, lag).
ERP_REPLAN: list[tuple] = [
    ("dm.profile", 25, {"description": "Data quality in the vendor and material masters was "
     "far worse than the pre-study assumed: 31% of vendor records are duplicates."}),
    ("link", "dm.objects", "dm.archive", 10),
    ("sc.wm", 18, {"description": "Scope grew: the Brno plant's third warehouse joins EWM."}),
    ("fi.design", 15, {}),
    ("it.envs", 30, {"description": "Hardware for pre-production arrived six weeks late."}),
    ("w1.ricefw", 52, {"name": "Develop finance RICEFW objects (31)"}),
    ("w2.ricefw", 56, {}),
    ("w1.uat", 20, {}),
]
ERP_SLIPS_SINCE_REPLAN: list[tuple] = [
    ("w1.bank", 35, {"description": "The house banks delivered their EBICS test systems two "
     "weeks late."}),
    ("w1.ricefw", 58, {}),
    ("w1.sit1", 25, {"description": "Fourteen test scripts added for SAF-T tax reporting."}),
    ("w1.cleanse", 20, {}),
    ("w1.m1", 13, {}),
    ("link", "w1.bank.test", "w1.sit1", 3),
    ("w2.mes", 32, {}),
]
# percent complete of items behind at the status date; working days some finished early
ERP_BEHIND = {"w1.sit1": 65, "w2.ricefw": 55, "w2.labels": 20}
ERP_EARLY = {"fi.apar": 1, "w1.cfg.fa": 2, "ch.comms": 1}
ERP_SIGNOFFS = [
    ("prep.plan", "daniel", "Steering committee minutes SC-01, item 3: plan approved."),
    ("fi.design", "fatima", "Signed design document FI-SDD v1.3 in the project SharePoint."),
    ("sc.design", "julien", "Approval e-mails from the Lyon, Brno and Eindhoven plant managers "
     "(filed under SC-SDD v2.0)."),
    ("it.arch", "kenji", "Architecture board decision AB-2026-14."),
    ("dm.governance", "sara", "Data owner nominations confirmed by the COO's office."),
    ("w1.m1r", "ana", "Reconciliation workbook MOCK1-FI-RECON v2: all variances explained."),
]
ERP_REMEDIATION = [
    ("w1.golive", "Add a second SIT team from Northwind for cycle 1 (approved CR-7); run the "
     "mock load 3 reconciliation in parallel with UAT; the steering committee decides on "
     "15 December whether to keep the February period-end go-live or move to March."),
    ("w1.sit.exit", "Daily defect triage with the bank interface team; priority 1 defects fixed "
     "within 48 hours; test environment refreshes moved to weekends."),
    ("w2.golive", "Re-sequence the MES interface build plant by plant (Lyon first) so SIT cycle 1 "
     "can start on the first plant; the summer shutdown is the fallback window."),
]
CRM_SLIPS: list[tuple] = [
    ("service.portal", 50, {"description": "Single sign-on with the customer identity provider "
     "added to scope."}),
]
CRM_SIGNOFFS = [
    ("disc.backlog", "julien", "Backlog v1.0 signed in the sprint review."),
    ("disc.dpia", "pm", "DPO acceptance memo DPO-2026-31."),
]
# fmt: on


# ---------------------------------------------------------------------------------------------
# Building rows in bulk
# ---------------------------------------------------------------------------------------------


def _outline_codes(parent_wbs: str, parent_path: str, index: int) -> tuple[str, str]:
    """WBS code and outline path of the `index`-th child, exactly as `services.renumber`."""
    width = services.PATH_WIDTH
    wbs = f"{parent_wbs}.{index + 1}" if parent_wbs else str(index + 1)
    path = f"{parent_path}.{index:0{width}d}" if parent_path else f"{index:0{width}d}"
    return wbs, path


def _bulk_create_items(
    program: Program, actor, levels: list[list[Item]], *, audit: bool = True
) -> None:
    """Insert items level by level (parents first, so children get their ids), then audit."""
    count = sum(len(level) for level in levels)
    keys = iter(allocate_keys(program_id=program.pk, prefix=Item.KEY_PREFIX, count=count))
    for item in sorted((i for level in levels for i in level), key=lambda i: i.outline_path):
        item.key = next(keys)
    with bulk_writes_allowed():
        for level in levels:
            for item in level:
                if item.parent is not None:
                    item.parent = item.parent  # now saved: sets parent_id, keeps the object
            Item.objects.bulk_create(level, batch_size=BATCH_SIZE)
    if audit:
        audit_create_many(actor=actor, instances=[i for level in levels for i in level])


def _bulk_create_links(actor, links: list[Dependency]) -> None:
    with bulk_writes_allowed():
        Dependency.objects.bulk_create(links, batch_size=BATCH_SIZE)
    audit_create_many(actor=actor, instances=links)


def _bulk_create_holidays(program: Program, actor, holidays) -> None:
    rows = [Holiday(program=program, name=n, start=s, finish=f) for n, s, f in holidays]
    with bulk_writes_allowed():
        Holiday.objects.bulk_create(rows)
    audit_create_many(actor=actor, instances=rows)


@dataclass
class _Context:
    program: Program
    actor: Any
    workstreams: dict[str, Workstream]
    owners: dict[str, Any]
    items: dict[str, Item] = field(default_factory=dict)

    def ref(self, ref: str) -> Item:
        return self.items[ref]

    def refresh(self) -> None:
        """Reload every item (one query) after services have recomputed the schedule."""
        items = Item.objects.filter(program=self.program).select_related(
            "program", "parent", "workstream", "owner", "accepted_by"
        )
        by_pk = {i.pk: i for i in items}
        self.items = {ref: by_pk[item.pk] for ref, item in self.items.items()}


def _build_outline(ctx: _Context, plan: list[_Node], links_spec) -> list[Dependency]:
    """Create the plan's items and links in bulk; returns the links (already saved)."""
    levels: list[list[Item]] = []
    chains: list[tuple[str, str]] = []
    node_of: dict[str, _Node] = {}

    def walk(nodes, parent: Item | None, ws, owner, depth: int) -> None:
        while len(levels) <= depth:
            levels.append([])
        for index, node in enumerate(nodes):
            if node.ref in node_of:
                raise ValueError(f"duplicate demo reference {node.ref}")
            node_of[node.ref] = node
            n_ws = ws if node.ws is None else None if node.ws == NO_WS else node.ws
            n_owner = node.owner or owner
            wbs, path = _outline_codes(
                parent.wbs if parent else "", parent.outline_path if parent else "", index
            )
            extra = dict(node.extra)
            criteria = extra.pop("criteria", "")
            workstream = ctx.workstreams.get(n_ws) if n_ws else None
            item = Item(
                program=ctx.program,
                parent=parent,
                position=index,
                wbs=wbs,
                outline_path=path,
                depth=depth,
                kind=node.kind,
                name=node.name,
                workstream=workstream,
                owner=ctx.owners.get(n_owner) if n_owner else None,
                duration_minutes=round(node.days * MINUTES_PER_DAY),
                cost=Decimal(round(node.days * _DAILY_RATE.get(n_ws, 900) * 2)),
                acceptance_criteria=criteria,
                **extra,
            )
            levels[depth].append(item)
            ctx.items[node.ref] = item
            if node.children:
                walk(node.children, item, n_ws, n_owner, depth + 1)

    def collect_chains(nodes) -> None:
        for node in nodes:
            if node.children:
                if node.chain:
                    refs = [c.ref for c in node.children]
                    chains.extend(itertools.pairwise(refs))
                collect_chains(node.children)

    walk(plan, None, None, None, 0)
    collect_chains(plan)
    _bulk_create_items(ctx.program, ctx.actor, [level for level in levels if level])

    specs = [(a, b, "FS", 0) for a, b in chains] + list(links_spec)
    ancestors: dict[str, set[int]] = {}
    for ref, item in ctx.items.items():
        seen, p = set(), item.parent
        while p is not None:
            seen.add(p.pk)
            p = p.parent
        ancestors[ref] = seen
    links, pairs = [], set()
    for pred, succ, type_, lag in specs:
        a, b = ctx.items[pred], ctx.items[succ]
        if a.pk in ancestors[succ] or b.pk in ancestors[pred] or (a.pk, b.pk) in pairs:
            raise ValueError(f"bad demo link {pred} -> {succ}")
        pairs.add((a.pk, b.pk))
        pct = Decimal(lag[:-1]) if isinstance(lag, str) else None
        links.append(
            Dependency(
                program=ctx.program,
                predecessor=a,
                successor=b,
                type=type_,
                lag_minutes=0 if pct is not None else round(lag * MINUTES_PER_DAY),
                lag_percent=pct,
            )
        )
    _bulk_create_links(ctx.actor, links)
    return links


def _backdate(baseline: Baseline, when: dt.datetime) -> None:
    """A baseline taken months ago in the story: its timestamp says so."""
    with bulk_writes_allowed():
        Baseline.objects.filter(pk=baseline.pk).update(created_at=when, updated_at=when)
    baseline.created_at = baseline.updated_at = when


def _at(day: dt.date, hour: int, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=ZoneInfo(tz))


def _progress_edits(
    ctx: _Context, status_date: dt.date, behind: dict[str, int], early: dict[str, int]
) -> list[tuple[str, Any, dict[str, Any]]]:
    """Progress as of `status_date` from the dates the plan has now, as each owner reports it.

    Items that finished by the status date are complete with their dates as actuals (those in
    `early` finished that many working days earlier); items under way are started at their start
    with percent complete in line with elapsed time, except those in `behind` (ref -> percent).
    """
    cal = services.program_calendar(ctx.program)
    edits = []
    for ref, item in ctx.items.items():
        if item.kind == ItemKind.SUMMARY or item.start is None or item.start > status_date:
            continue
        changes: dict[str, Any]
        if item.finish <= status_date:
            finish = item.finish
            if ref in early and item.kind != ItemKind.MILESTONE:
                finish = max(item.start, cal.add_working_days(item.finish, -early[ref]))
            changes = {
                "actual_start": item.start,
                "actual_finish": finish,
                "percent_complete": 100,
                "status": ItemStatus.COMPLETE,
            }
        else:
            elapsed = cal.working_days(item.start, status_date)
            pct = min(95, round(100 * elapsed * MINUTES_PER_DAY / item.duration_minutes))
            changes = {
                "actual_start": item.start,
                "percent_complete": behind.get(ref, pct),
                "status": ItemStatus.IN_PROGRESS,
            }
        edits.append((ref, item.owner or ctx.actor, changes))
    return edits


def _apply_edits(ctx: _Context, edits: list[tuple[str, Any, dict[str, Any]]]) -> None:
    """Apply (ref, actor, changes) edits: what `apply_changes` does (version bump, audit entry
    with before/after) without re-reading, locking and re-validating each row, and without
    rescheduling: the values are built consistent above and one recompute follows."""
    now = timezone.now()
    for ref, actor, changes in edits:
        item = ctx.items[ref]
        before = snapshot(item)
        for name, value in changes.items():
            setattr(item, name, value)
        item.version += 1
        with bulk_writes_allowed():  # a plain UPDATE per row: bulk_update's CASE is slower here
            Item.objects.filter(pk=item.pk).update(**changes, version=item.version, updated_at=now)
        audit_update(actor=actor, instance=item, before=before)


def _sign_off_edit(ctx: _Context, ref: str, by: str, evidence: str, tz: str):
    item = ctx.items[ref]
    accepted = _weekday_on_or_after(item.actual_finish or item.finish)
    return (
        ref,
        ctx.owners[by],
        {
            "accepted_by": ctx.owners[by],
            "accepted_at": _at(accepted, 15, tz),
            "acceptance_evidence": evidence,
        },
    )


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _forecast_history(
    ctx: _Context, original: Baseline, replan: Baseline, status_date: dt.date, weeks: int = 16
) -> int:
    """Weekly forecast finishes of every milestone, drifting from the re-plan to today's forecast.

    Before the re-plan the forecast sits half-way between the original plan and the re-plan (the
    slip was being recognised); after it, each milestone's slip since the re-plan is recognised
    in steps. Milestones already reached keep their actual date.
    """
    cal = services.program_calendar(ctx.program)
    milestones = [i for i in ctx.items.values() if i.kind == ItemKind.MILESTONE and i.finish]
    planned = {}
    for baseline in (original, replan):
        planned[baseline.pk] = dict(
            baseline.items.filter(item__in=milestones).values_list("item_id", "finish")
        )
    replan_day = replan.created_at.date()
    rows = []
    for k in range(weeks, -1, -1):
        as_of = status_date - dt.timedelta(weeks=k)
        for item in milestones:
            b1, b2 = planned[original.pk].get(item.pk), planned[replan.pk].get(item.pk)
            if b1 is None or b2 is None:
                continue
            if item.actual_finish and item.actual_finish <= as_of:
                finish = item.actual_finish
            elif as_of < replan_day:
                finish = cal.add_working_days(b1, (cal.variance_days(b1, b2) or 0) // 2)
            else:
                share = (as_of - replan_day).days / max(1, (status_date - replan_day).days)
                step = int(share * 4) / 4  # the slip shows up at a few status reviews
                slip = cal.variance_days(b2, item.finish) or 0
                finish = cal.add_working_days(b2, round(slip * step)) if slip else b2
                if finish <= as_of and not item.actual_finish:
                    finish = item.finish
            rows.append(
                ForecastSnapshot(program=ctx.program, item=item, as_of=as_of, finish=finish)
            )
    with bulk_writes_allowed():
        ForecastSnapshot.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return len(rows)


def _context(program: Program, owners: dict[str, str], ws_names: dict[str, str]) -> _Context:
    by_email = {u.email: u for u in User.objects.filter(email__in=owners.values())}
    members = set(
        ProgramMembership.objects.filter(program=program).values_list("user__email", flat=True)
    )
    ws_by_name = {w.name: w for w in Workstream.objects.filter(program=program)}
    manager = ProgramMembership.objects.filter(program=program, role="manager").first()
    return _Context(
        program=program,
        actor=manager.user if manager else None,
        workstreams={k: ws_by_name[v] for k, v in ws_names.items() if v in ws_by_name},
        owners={k: by_email[e] for k, e in owners.items() if e in by_email and e in members},
    )


def _setup_schedule(ctx: _Context, holidays, *, project_start: dt.date) -> None:
    schedule = services.schedule_for(ctx.program)
    services.schedule_update(
        actor=ctx.actor,
        program=ctx.program,
        expected_version=schedule.version,
        project_start=project_start,
        slip_threshold_days=5,
    )
    _bulk_create_holidays(ctx.program, ctx.actor, holidays)


# ---------------------------------------------------------------------------------------------
# The two demo programs
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def build_erp_plan(program: Program) -> dict[str, int] | None:
    """The ERP program's plan and its history up to the status date. None if it has a plan."""
    if Item.objects.filter(program=program).exists():
        return None
    tz = program.time_zone
    ctx = _context(program, ERP_OWNERS, ERP_WORKSTREAM_NAMES)
    _setup_schedule(ctx, ERP_HOLIDAYS, project_start=program.start_date)
    _build_outline(ctx, ERP_PLAN, ERP_LINKS)
    services.renumber(program)
    services.recompute(program)
    ctx.refresh()

    original = services.baseline_create(
        actor=ctx.actor,
        program=program,
        name="Original plan",
        note="Approved by the steering committee at quality gate 1.",
    )
    _backdate(original, _at(dt.date(2026, 4, 21), 17, tz))

    _replay(ctx, ERP_REPLAN)
    replan = services.baseline_create(
        actor=ctx.actor,
        program=program,
        name="Re-plan Q3",
        note="Re-plan after the design phase overran; approved by the steering committee on "
        "11 August 2026. Wave 1 go-live moves from January to February.",
    )
    _backdate(replan, _at(dt.date(2026, 8, 11), 17, tz))
    _replay(ctx, ERP_SLIPS_SINCE_REPLAN)
    _report_status(ctx, ERP_BEHIND, ERP_EARLY, ERP_SIGNOFFS, ERP_REMEDIATION)
    snapshots = _forecast_history(ctx, original, replan, DEMO_STATUS_DATE)
    return _counts(program, snapshots)


def _replay(ctx: _Context, changes: list[tuple]) -> None:
    """Edits through the services, one by one, as people made them (each reschedules)."""
    ctx.refresh()
    for change in changes:
        if change[0] == "link":
            _, pred, succ, lag_days = change
            link = Dependency.objects.get(predecessor=ctx.ref(pred), successor=ctx.ref(succ))
            services.dependency_update(
                actor=ctx.actor,
                dependency=link,
                expected_version=link.version,
                lag_minutes=round(lag_days * MINUTES_PER_DAY),
            )
            continue
        ref, days, fields = change
        item = ctx.items[ref]
        minutes = round(days * MINUTES_PER_DAY)
        ctx.items[ref] = services.item_update(
            actor=item.owner or ctx.actor,
            item=item,
            expected_version=item.version,
            duration_minutes=minutes,
            cost=(item.cost * minutes / item.duration_minutes).quantize(Decimal("1")),
            **fields,
        )
    ctx.refresh()


def _report_status(ctx: _Context, behind, early, signoffs, remediation) -> None:
    """Progress, sign-offs and remediation plans as of the status date, then reschedule."""
    tz = ctx.program.time_zone
    _apply_edits(ctx, _progress_edits(ctx, DEMO_STATUS_DATE, behind, early))
    edits = [
        _sign_off_edit(ctx, ref, by, evidence, tz)
        for ref, by, evidence in signoffs
        if ctx.items[ref].percent_complete == 100
    ]
    edits += [(ref, ctx.actor, {"remediation_plan": plan}) for ref, plan in remediation]
    if edits:
        _apply_edits(ctx, edits)
    schedule = services.schedule_for(ctx.program)
    services.schedule_update(
        actor=ctx.actor,
        program=ctx.program,
        expected_version=schedule.version,
        status_date=DEMO_STATUS_DATE,
    )
    ctx.refresh()


def _counts(program: Program, snapshots: int = 0) -> dict[str, int]:
    return {
        "items": Item.objects.filter(program=program).count(),
        "links": Dependency.objects.filter(program=program).count(),
        "baselines": Baseline.objects.filter(program=program).count(),
        "holidays": Holiday.objects.filter(program=program).count(),
        "forecast_snapshots": ForecastSnapshot.objects.filter(program=program).count(),
    }


@transaction.atomic
def build_crm_plan(program: Program) -> dict[str, int] | None:
    """A small plan for the CRM program: one baseline, discovery done. None if it has a plan."""
    if Item.objects.filter(program=program).exists():
        return None
    ctx = _context(program, CRM_OWNERS, CRM_WORKSTREAM_NAMES)
    _setup_schedule(ctx, CRM_HOLIDAYS, project_start=program.start_date)
    _build_outline(ctx, CRM_PLAN, CRM_LINKS)
    services.renumber(program)
    services.recompute(program)
    baseline = services.baseline_create(
        actor=ctx.actor,
        program=program,
        name="Initial plan",
        note="Agreed with Sales and Service leadership at the end of the kick-off.",
    )
    _backdate(baseline, _at(dt.date(2026, 9, 11), 16, program.time_zone))
    _replay(ctx, CRM_SLIPS)
    _report_status(ctx, {}, {}, CRM_SIGNOFFS, [])
    return _counts(program)


# ---------------------------------------------------------------------------------------------
# Scaled schedules for benchmarks
# ---------------------------------------------------------------------------------------------

_LINK_MIX = ["FS"] * 14 + ["SS"] * 3 + ["FF"] * 2 + ["SF"]  # ~70% FS, 15% SS, 10% FF, 5% SF


@transaction.atomic
def build_scaled_schedule(
    program: Program,
    items: int = 5000,
    links: int = 5000,
    seed: int = 1,
    *,
    actor=None,
    audit: bool = True,
) -> dict[str, int]:
    """Add a synthetic plan of exactly `items` items and `links` links to `program`, in bulk.

    The outline has one phase per ~500 items and one group per ~25 items; the rest are tasks
    (every 10th a deliverable, each group's last item a milestone) with 1-15 day durations,
    a few start-no-earlier-than constraints and deadlines, owners and workstreams from the
    program. Links join leaves to one of the 30 leaves before them (so there is no loop), of
    all four types (about 70% FS, 15% SS, 10% FF, 5% SF), a fifth with a lag or a lead.
    The queries are a fixed number per batch of `BATCH_SIZE` rows, whatever the size.
    Creations are audited like any import; `audit=False` skips the trail (about half the time)
    for benchmarks that only need the rows.
    """
    if items < 1 or links < 0:
        raise ValueError("items must be at least 1 and links not negative")
    if Item.objects.filter(program=program).exists():
        raise ValueError(f"{program.code} already has a schedule")
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    services.schedule_for(program)
    workstreams = list(Workstream.objects.filter(program=program).order_by("pk"))
    owners = [
        m.user for m in ProgramMembership.objects.filter(program=program).select_related("user")
    ]
    phases = max(1, round(items / 500)) if items >= 3 else 0
    groups = max(0, round(items / 25)) if items >= 30 else 0
    leaves_n = items - phases - groups
    max_links = sum(min(30, i) for i in range(leaves_n))
    if links > max_links:
        raise ValueError(f"{items} items allow at most {max_links} links")
    levels: list[list[Item]] = [[], [], []]
    start = program.start_date

    def new(parent: Item | None, index: int, depth: int, **fields) -> Item:
        wbs, path = _outline_codes(
            parent.wbs if parent else "", parent.outline_path if parent else "", index
        )
        item = Item(
            program=program, parent=parent, position=index, wbs=wbs, outline_path=path,
            depth=depth, **fields,
        )  # fmt: skip
        levels[depth].append(item)
        return item

    phase_items = [
        new(None, p, 0, kind=ItemKind.SUMMARY, name=f"Phase {p + 1}", duration_minutes=0)
        for p in range(phases)
    ]
    group_items = []
    per_phase = _split(groups, phases)
    for p, count in enumerate(per_phase):
        for g in range(count):
            ws = workstreams[len(group_items) % len(workstreams)] if workstreams else None
            group_items.append(
                new(phase_items[p], g, 1, kind=ItemKind.SUMMARY, duration_minutes=0,
                    name=f"Work package {len(group_items) + 1}", workstream=ws)
            )  # fmt: skip
    containers: list[Item | None] = group_items or phase_items or [None]
    leaves: list[Item] = []
    for c, count in enumerate(_split(leaves_n, len(containers))):
        parent = containers[c]
        depth = 0 if parent is None else parent.depth + 1
        for i in range(count):
            n = len(leaves) + 1
            last = i == count - 1 and count > 1
            kind = (
                ItemKind.MILESTONE if last
                else ItemKind.DELIVERABLE if n % 10 == 0
                else ItemKind.TASK
            )  # fmt: skip
            fields: dict[str, Any] = {
                "kind": kind,
                "name": f"{kind.label} {n}",
                "duration_minutes": 0 if last else rng.randint(1, 15) * MINUTES_PER_DAY,
                "workstream": parent.workstream if parent is not None else None,
                "owner": owners[n % len(owners)] if owners else None,
                "cost": Decimal(rng.randint(0, 40) * 500),
            }
            if n % 50 == 7:
                fields["constraint"] = "snet"
                fields["constraint_date"] = start + dt.timedelta(weeks=n // 25)
            if last and n % 4 == 0:
                fields["deadline"] = start + dt.timedelta(weeks=4 + n // 20)
            leaves.append(new(parent, i, depth, **fields))
    _bulk_create_items(program, actor, [level for level in levels if level], audit=audit)

    n = len(leaves)
    pairs: set[tuple[int, int]] = set()
    rows = []
    k = 0
    while len(rows) < links:
        j = 1 + (k % (n - 1))
        k += 1
        i = rng.randint(max(0, j - 30), j - 1)
        a, b = leaves[i], leaves[j]
        if (a.pk, b.pk) in pairs:
            continue
        pairs.add((a.pk, b.pk))
        lag = rng.choice([-2, -1, 1, 2, 3, 5]) * MINUTES_PER_DAY if rng.random() < 0.2 else 0
        rows.append(
            Dependency(
                program=program, predecessor=a, successor=b, type=rng.choice(_LINK_MIX),
                lag_minutes=lag,
            )
        )  # fmt: skip
    if audit:
        _bulk_create_links(actor, rows)
    else:
        with bulk_writes_allowed():
            Dependency.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    services.recompute(program)
    return {"items": items, "links": len(rows)}


def _split(total: int, parts: int) -> list[int]:
    """`total` spread as evenly as possible over `parts` (earlier parts get the remainder)."""
    if parts <= 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if p < extra else 0) for p in range(parts)]
