"""The demo programs' change requests, decision log (and, from governance.demo_raci, the RACI
matrix and compliance register).

Everything goes through the services, as the people in the story did it: requests raised,
submitted, assessed, decided and implemented by the right person, so the timelines, audit
entries, decisions and e-mails are the real thing. Afterwards the timestamps are moved back to
the dates in the story (the audit trail keeps the day the demo was built: it is append-only).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from core.audit_guard import bulk_writes_allowed
from core.models import User
from programs.models import Program, Workstream
from schedules.models import Baseline, Item

from .models import ChangeRequest, ChangeRequestTransition, Decision
from .selectors.changes import change_policy_get
from .services import changes as change_services
from .services import decisions as decision_services

D = dt.date


@dataclass
class Step:
    verb: str  # submit, assess, approve, reject, defer, implement, close
    who: str  # e-mail of the person who took the step
    when: dt.datetime
    comment: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChangeSpec:
    title: str
    kind: str
    requester: str
    created: dt.datetime
    description: str
    reason: str
    workstream: str = ""
    needed_by: dt.date | None = None
    items: tuple[str, ...] = ()  # WBS item names
    estimate: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)


@dataclass
class DecisionSpec:
    title: str
    decision: str
    decided_by: str
    decided_on: dt.date | None
    context: str = ""
    rationale: str = ""
    forum: str = ""
    options: list[dict[str, str]] = field(default_factory=list)
    links: tuple[str, ...] = ()  # WBS item names or change request titles
    status: str = "decided"
    needed_by: dt.date | None = None
    supersedes: str = ""  # the title of the decision this one replaces


def _at(tz: str):
    zone = ZoneInfo(tz)

    def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
        return dt.datetime(year, month, day, hour, minute, tzinfo=zone)

    return at


PM, APM, ANA, FATIMA, DANIEL = (
    "pm@example.com", "coordinator@example.com", "contributor@example.com",
    "finance@example.com", "exec@example.com",
)  # fmt: skip
JULIEN, SARA, KENJI, LENA = (
    "j.moreau@example.com", "s.ibrahim@example.com", "k.tanaka@example.com", "l.novak@example.com",
)  # fmt: skip

_erp = _at("Europe/Berlin")

# fmt: off
ERP_CHANGES = [
    ChangeSpec(
        "Add the Brno plant's third warehouse to the EWM scope", "scope", JULIEN,
        _erp(2026, 6, 2, 9, 40),
        description="Extend extended warehouse management (EWM) to the third Brno warehouse "
        "(finished goods, 4,200 bin locations): fit-to-standard workshop, configuration of its "
        "storage types and putaway strategies, label printing, and RF scanners for 12 users.",
        reason="Brno consolidates its external finished-goods store into the new warehouse in "
        "March 2027. Without EWM it would run on paper next to two automated warehouses.",
        workstream="Supply Chain & Procurement",
        items=("Fit-to-standard: warehouse management (EWM)", "Configure EWM for the three plants",
               "Warehouse label printing and output management"),
        estimate={"schedule_impact_days": 10, "cost_impact": Decimal("70000.00")},
        steps=[
            Step("submit", JULIEN, _erp(2026, 6, 2, 9, 45)),
            Step("assess", APM, _erp(2026, 6, 5, 15, 10),
                 "Northwind re-estimated with the Brno layout: 8 more days of workshops and "
                 "configuration inside the wave 2 build window, no effect on wave 1.",
                 {"schedule_impact_days": 8, "cost_impact": Decimal("64000.00"),
                  "scope_impact": "One more warehouse (WH3) in EWM: storage types, putaway and "
                  "picking strategies, 12 RF users, label layouts.",
                  "risk_impact": "Adds load to the EWM build, already on the critical path of "
                  "wave 2; mitigated by using the WH1 template."}),
            Step("approve", PM, _erp(2026, 6, 9, 11, 0),
                 "Approved within the program's contingency. Use the WH1 template to keep the "
                 "configuration effort down."),
            Step("implement", APM, _erp(2026, 7, 17, 16, 30),
                 "Fit-to-standard workshop held on 16 July; configuration effort is in the plan.",
                 {"budget_reference": "CO-02 (contingency draw, 64,000 EUR)"}),
            Step("close", PM, _erp(2026, 7, 20, 9, 15),
                 "Scope, plan and budget updated. Closing."),
        ],
    ),
    ChangeSpec(
        "Move the wave 1 go-live from January to February 2027", "schedule", PM,
        _erp(2026, 7, 28, 17, 5),
        description="Re-plan wave 1: the Explore phase overran, so design sign-off, the finance "
        "build and UAT all move; the finance go-live moves from the January to the February "
        "2027 period end. Wave 2 keeps its July 2027 date.",
        reason="Legacy data quality was far worse than assumed (31% of vendor records are "
        "duplicates) and the pre-production hardware arrived six weeks late. Keeping January "
        "would cut UAT to eight days and skip the second mock load.",
        workstream="Finance & Controlling",
        needed_by=D(2026, 8, 11),
        items=("Wave 1 go-live: Finance on S/4HANA", "Profile legacy ECC data quality",
               "Provision QA and pre-production landscapes",
               "User acceptance test (finance key users)"),
        steps=[
            Step("submit", PM, _erp(2026, 7, 28, 17, 10)),
            Step("assess", APM, _erp(2026, 8, 4, 14, 0),
                 "Re-planned with the workstream leads: 20 working days on the wave 1 critical "
                 "path; Northwind's extended team and the data cleansing contractor add cost.",
                 {"schedule_impact_days": 20, "cost_impact": Decimal("185000.00"),
                  "scope_impact": "No scope change.",
                  "risk_impact": "February is a quarter-end month for the group: the first "
                  "close in S/4HANA coincides with quarterly reporting. Hypercare is staffed "
                  "for it."}),
            Step("approve", DANIEL, _erp(2026, 8, 11, 16, 45),
                 "Approved at the steering committee (Q3 re-plan). A January go-live with eight "
                 "days of UAT is not a risk I will take with the ledger."),
            Step("implement", PM, _erp(2026, 8, 11, 17, 30),
                 "Re-plan baselined as 'Re-plan Q3'.",
                 {"baseline": "Re-plan Q3",
                  "budget_reference": "CO-04 (contingency draw, 185,000 EUR)"}),
        ],
    ),
    ChangeSpec(
        "Replace the EBICS bank interface with a bank-hosted SWIFT connector", "cost", KENJI,
        _erp(2026, 9, 21, 11, 20),
        description="Drop the in-house EBICS interface and connect payments and statements "
        "through the lead bank's hosted SWIFT service (Alliance Lite2 for Business "
        "Applications).",
        reason="Two house banks delivered their EBICS test systems late and the connectivity "
        "test is now at risk; a hosted connector would take the bank-specific work off the "
        "critical path.",
        workstream="Integration & Technical Architecture",
        items=("Build banking interface (EBICS) and bank statement import",
               "Connectivity test with the house banks"),
        steps=[
            Step("submit", KENJI, _erp(2026, 9, 21, 11, 25)),
            Step("assess", APM, _erp(2026, 9, 25, 10, 0),
                 "Saves about five working days on the bank interface but adds a one-off "
                 "onboarding fee and 60,000 EUR a year in running costs.",
                 {"schedule_impact_days": -5, "cost_impact": Decimal("140000.00"),
                  "scope_impact": "Replaces the EBICS interface; the bank statement import "
                  "stays.",
                  "risk_impact": "New vendor dependency and a second security review; the "
                  "EBICS work already done is written off."}),
            Step("reject", DANIEL, _erp(2026, 10, 6, 15, 30),
                 "Rejected: the running cost is not in the business case, and both banks have "
                 "now delivered their EBICS test systems. Stay with EBICS and escalate through "
                 "the bank relationship managers if they slip again."),
        ],
    ),
    ChangeSpec(
        "Migrate the Brno plant's maintenance orders in wave 2", "scope", JULIEN,
        _erp(2026, 9, 30, 14, 0),
        description="Bring plant maintenance (PM) for the Brno plant into S/4HANA in wave 2: "
        "equipment and functional locations, maintenance plans and open orders.",
        reason="Brno's maintenance team runs on a spreadsheet since the old CMMS went out of "
        "support; the plant manager asked to include it.",
        workstream="Supply Chain & Procurement",
        items=("Configure production planning",),
        estimate={"schedule_impact_days": 6, "cost_impact": Decimal("42000.00")},
        steps=[
            Step("submit", JULIEN, _erp(2026, 9, 30, 14, 5)),
            Step("assess", APM, _erp(2026, 10, 8, 11, 30),
                 "Fits the budget but not the wave 2 team's capacity: the EWM build is already "
                 "on the critical path.",
                 {"schedule_impact_days": 6, "cost_impact": Decimal("42000.00"),
                  "scope_impact": "New module (PM) for one plant: 1,900 equipment records, "
                  "140 maintenance plans.",
                  "risk_impact": "Competes with the EWM build for the same consultants."}),
            Step("defer", PM, _erp(2026, 10, 13, 10, 0),
                 "Deferred until after the wave 2 go-live: plant maintenance goes into the "
                 "post-go-live roadmap. Resubmit in August 2027 with a plan for all three "
                 "plants."),
        ],
    ),
    ChangeSpec(
        "Move the wave 1 go-live to the March 2027 period end", "schedule", ANA,
        _erp(2026, 11, 16, 8, 50),
        description="Fallback plan: move the finance go-live from the February to the March "
        "2027 period end and use the four extra weeks for a third SIT cycle and a longer UAT.",
        reason="SIT cycle 1 is 65% complete against a plan of 100%; the bank interface defects "
        "are still open. If cycle 2 cannot start by 7 December, February is not safe.",
        workstream="Finance & Controlling",
        needed_by=D(2026, 12, 15),
        items=("Wave 1 go-live: Finance on S/4HANA", "User acceptance test (finance key users)",
               "Cut-over rehearsal: wave 1", "System integration test, cycle 1"),
        steps=[
            Step("submit", ANA, _erp(2026, 11, 16, 9, 0)),
            Step("assess", APM, _erp(2026, 11, 24, 17, 20),
                 "Assessed with Northwind and the finance key users: 15 working days and the "
                 "extended team. The steering committee on 15 December decides.",
                 {"schedule_impact_days": 15, "cost_impact": Decimal("95000.00"),
                  "scope_impact": "No scope change; a third SIT cycle is added.",
                  "risk_impact": "Lowers the go-live risk; March is the fiscal year end of "
                  "the French entity, so its close lands on the new system."}),
        ],
    ),
    ChangeSpec(
        "Extend wave 1 hypercare from four to six weeks", "cost", APM,
        _erp(2026, 11, 20, 13, 30),
        description="Keep the war room and Northwind's finance consultants for two more weeks "
        "after the wave 1 go-live, to cover the first quarter-end close.",
        reason="The first month-end close falls in hypercare week 3 and the first quarter-end "
        "in week 6; the finance controller wants the team on site for both.",
        workstream="Finance & Controlling",
        items=("Hypercare: wave 1", "First month-end close in S/4HANA"),
        estimate={"schedule_impact_days": 10, "cost_impact": Decimal("48000.00")},
        steps=[Step("submit", APM, _erp(2026, 11, 20, 13, 35))],
    ),
    ChangeSpec(
        "Add a second Northwind SIT team for SIT cycle 1", "cost", APM,
        _erp(2026, 11, 18, 9, 10),
        description="A second system integration test team from Northwind (four testers and a "
        "test lead) for the rest of SIT cycle 1 and all of cycle 2.",
        reason="Cycle 1 is behind: 65% executed with two weeks left, and fourteen SAF-T test "
        "scripts were added. One team cannot also retest the bank interface defects.",
        workstream="Finance & Controlling",
        items=("System integration test, cycle 1", "System integration test, cycle 2"),
        steps=[
            Step("submit", APM, _erp(2026, 11, 18, 9, 15)),
            Step("assess", LENA, _erp(2026, 11, 19, 12, 0),
                 "Recovers five working days of SIT; paid from the testing budget line.",
                 {"schedule_impact_days": -5, "cost_impact": Decimal("58000.00"),
                  "scope_impact": "No scope change.",
                  "risk_impact": "Less risk to the February go-live; onboarding takes three "
                  "days."}),
            Step("approve", PM, _erp(2026, 11, 20, 8, 30),
                 "Approved: start on Monday. Northwind invoices against the existing SOW rates."),
        ],
    ),
    ChangeSpec(
        "Add the Eindhoven quality lab (LIMS) interface", "scope", KENJI,
        _erp(2026, 11, 26, 16, 40),
        description="Interface inspection lots and results between S/4HANA quality management "
        "and the Eindhoven lab's LIMS (LabWare), instead of keying results twice.",
        reason="Eindhoven's quality team raised it in the wave 2 design review: double entry "
        "of about 300 results a day is error-prone and delays batch release.",
        workstream="Integration & Technical Architecture",
        items=("Configure quality inspection lots",),
        estimate={"schedule_impact_days": 12, "cost_impact": Decimal("55000.00")},
    ),
]

ERP_DECISIONS = [
    DecisionSpec(
        "Two go-live waves: finance first, then supply chain and plants",
        "Go live in two waves: Finance & Controlling at a period end in early 2027, then supply "
        "chain, warehouses and the three plants in summer 2027.",
        DANIEL, D(2026, 3, 2), forum="Program charter",
        context="One ECC system serves finance and three plants; a single cut-over would stop "
        "all plants and the ledger on the same weekend.",
        rationale="Finance can move at a period end without touching production; the plants "
        "get the summer shutdown as their window. The cost of temporary interfaces between "
        "the waves (about 90,000 EUR) is worth the lower risk.",
        options=[
            {"option": "Big bang", "pros": "One cut-over, no temporary interfaces.",
             "cons": "All plants and the ledger at risk on one weekend; no summer window."},
            {"option": "Two waves, finance first", "pros": "Period-end cut-over for finance; "
             "plants in the summer shutdown.", "cons": "Temporary interfaces for six months."},
            {"option": "Three waves, plant by plant", "pros": "Smallest blast radius.",
             "cons": "Finance would run on two systems for a year; longest program."},
        ],
        links=("Program charter approved", "Wave 1 go-live: Finance on S/4HANA",
               "Wave 2 go-live: supply chain and plants"),
    ),
    DecisionSpec(
        "Northwind Consulting selected as the system integrator",
        "Award the system integration contract to Northwind Consulting (fixed price for "
        "Explore, time and materials with a cap for Realize).",
        DANIEL, D(2026, 3, 13), forum="Steering committee SC-01",
        context="Three bids after the RFP; scored on S/4HANA finance references, plant "
        "experience, team and price.",
        rationale="Highest score on references and plant experience; the cap on Realize limits "
        "the time-and-materials risk. Second on price.",
        options=[
            {"option": "Northwind Consulting", "pros": "Best references; EWM team in Brno.",
             "cons": "Second-lowest price."},
            {"option": "Contoso Digital", "pros": "Lowest price.",
             "cons": "No plant references; offshore-heavy team."},
            {"option": "In-house with contractors", "pros": "Keeps the knowledge in house.",
             "cons": "No S/4HANA conversion experience in the IT team."},
        ],
        links=("Onboard system integrator (Northwind Consulting)",),
    ),
    DecisionSpec(
        "Brownfield conversion with selective data transition",
        "Convert the ECC system (brownfield) and take over only the data that is needed, "
        "instead of reimplementing from scratch.",
        PM, D(2026, 4, 14), forum="Architecture board AB-2026-09",
        context="Fifteen years of customising, some of it still needed in the plants.",
        rationale="Keeps the plant processes that work and the history auditors need, while "
        "leaving the unused custom code behind.",
        options=[
            {"option": "Greenfield", "pros": "Clean standard processes.",
             "cons": "Every process redesigned; history lost."},
            {"option": "Brownfield system conversion", "pros": "Fastest.",
             "cons": "Carries all old customising over."},
            {"option": "Selective data transition", "pros": "Keeps what is needed only.",
             "cons": "Needs a specialist tool and more testing."},
        ],
        links=("Solution architecture document",),
    ),
    DecisionSpec(
        "Migrate seven years of finance history to S/4HANA",
        "Migrate all open items and seven years of closed finance documents.",
        PM, D(2026, 4, 21), forum="Steering committee: Prepare review",
        context="Auditors and tax authorities may ask for ten years of records.",
        rationale="Keeps every document searchable in one system.",
        links=("Data migration strategy",),
    ),
    DecisionSpec(
        "Migrate two years of history; archive older ECC data read-only",
        "Migrate open items and two years of closed documents; keep older ECC data in a "
        "read-only archive for ten years.",
        DANIEL, D(2026, 6, 9), forum="Legacy archive decision meeting",
        context="Profiling showed seven years of history triples the load volume and the "
        "mock-load windows; 31% of vendor records are duplicates.",
        rationale="The archive meets the retention duty at a fraction of the migration "
        "effort; mock loads fit in a weekend again.",
        options=[
            {"option": "Seven years in S/4HANA", "pros": "One system for everything.",
             "cons": "Load windows of 40+ hours; more cleansing."},
            {"option": "Two years plus a read-only archive", "pros": "Short loads; retention "
             "met by the archive.", "cons": "Two places to search for old documents."},
        ],
        links=("Legacy archive decision", "Data migration strategy",
               "Decommission ECC 6.0 (read-only archive)"),
        supersedes="Migrate seven years of finance history to S/4HANA",
    ),
    DecisionSpec(
        "Keep the February wave 1 go-live or move to March",
        "To be decided at the steering committee: keep the February period-end go-live, or "
        "take the March fallback (CR-5).",
        DANIEL, None, status="proposed", needed_by=D(2026, 12, 15),
        forum="Steering committee: wave 1 readiness",
        context="SIT cycle 1 is behind; a second SIT team was approved (CR-7).",
        options=[
            {"option": "Keep February", "pros": "Plan and budget unchanged.",
             "cons": "UAT shortened if SIT slips again."},
            {"option": "Move to March", "pros": "Third SIT cycle and a full UAT.",
             "cons": "95,000 EUR; the French fiscal year end lands on the new system."},
        ],
        links=("Move the wave 1 go-live to the March 2027 period end",
               "Wave 1 go-live: Finance on S/4HANA",
               "Steering committee: wave 1 readiness"),
    ),
]

_crm = _at("Europe/London")

CRM_CHANGES = [
    ChangeSpec(
        "Add single sign-on with the customer identity provider to the portal", "scope", LENA,
        _crm(2026, 10, 5, 10, 0),
        description="Customers sign in to the service portal with their existing customer "
        "account (OpenID Connect with the group identity provider) instead of a separate "
        "portal password.",
        reason="The customer experience team will not launch a portal with a second password; "
        "the identity provider is already used by the web shop.",
        workstream="Service Desk",
        items=("Customer portal (Experience Cloud)",),
        steps=[
            Step("submit", LENA, _crm(2026, 10, 5, 10, 5)),
            Step("assess", APM, _crm(2026, 10, 9, 14, 0),
                 "Five more days on the portal; the identity team's time is free.",
                 {"schedule_impact_days": 5, "cost_impact": Decimal("14500.00"),
                  "scope_impact": "Single sign-on for portal users.",
                  "risk_impact": "Depends on the identity team's test tenant."}),
            Step("approve", PM, _crm(2026, 10, 12, 9, 30), "Approved."),
            Step("implement", APM, _crm(2026, 10, 20, 16, 0), "Portal estimate updated.",
                 {"budget_reference": "CRM contingency draw #1 (14,500 GBP)"}),
        ],
    ),
    ChangeSpec(
        "Add WhatsApp as a service channel", "scope", JULIEN, _crm(2026, 11, 23, 15, 0),
        description="Let customers open and follow service cases over WhatsApp Business.",
        reason="Two large customers asked for it in the discovery interviews.",
        workstream="Service Desk",
        items=("Case management and queues",),
    ),
]

CRM_DECISIONS = [
    DecisionSpec(
        "Salesforce Sales Cloud and Service Cloud as the CRM platform",
        "Standardise the B2B sales and service teams on Salesforce Sales Cloud and Service "
        "Cloud, with Experience Cloud for the customer portal.",
        PM, D(2026, 9, 8), forum="Investment committee",
        rationale="Best fit with the group's identity provider and the existing Marketing "
        "Cloud licences.",
        links=("Investment committee approval",),
    ),
]
# fmt: on


# ---------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, program: Program):
        self.program = program
        emails = {PM, APM, ANA, FATIMA, DANIEL, JULIEN, SARA, KENJI, LENA}
        self.users = {u.email: u for u in User.objects.filter(email__in=emails)}
        self.items = {
            i.name: i for i in Item.objects.filter(program=program).order_by("outline_path")
        }
        self.workstreams = {w.name: w for w in Workstream.objects.filter(program=program)}
        self.changes: dict[str, ChangeRequest] = {}
        self.decisions: dict[str, Decision] = {}

    def user(self, email: str) -> User:
        return self.users[email]

    def change(self, spec: ChangeSpec) -> ChangeRequest:
        items = [self.items[name] for name in spec.items if name in self.items]
        cr = change_services.change_request_create(
            actor=self.user(spec.requester),
            program=self.program,
            title=spec.title,
            kind=spec.kind,
            description=spec.description,
            reason=spec.reason,
            workstream=self.workstreams.get(spec.workstream),
            needed_by=spec.needed_by,
            affected_items=items,
            **spec.estimate,
        )
        moments = [spec.created]
        for step in spec.steps:
            fields = dict(step.fields)
            if "baseline" in fields:
                fields["baseline"] = Baseline.objects.filter(
                    program=self.program, name=fields["baseline"]
                ).first()
            service = change_services.TRANSITION_SERVICES[step.verb]
            cr = service(
                actor=self.user(step.who), change_request=cr, comment=step.comment, **fields
            )
            moments.append(step.when)
        self._backdate(cr, spec, moments)
        self.changes[spec.title] = cr
        return cr

    def _backdate(self, cr: ChangeRequest, spec: ChangeSpec, moments: list[dt.datetime]):
        """The story's dates on the timeline, the request and its decision."""
        transitions = list(ChangeRequestTransition.objects.filter(change_request=cr).order_by("id"))
        with bulk_writes_allowed():
            for transition, when in zip(transitions, moments, strict=True):
                ChangeRequestTransition.objects.filter(pk=transition.pk).update(at=when)
            submitted = [s.when for s in spec.steps if s.verb == "submit"]
            decided = [s.when for s in spec.steps if s.verb in ("approve", "reject", "defer")]
            ChangeRequest.objects.filter(pk=cr.pk).update(
                created_at=spec.created,
                updated_at=moments[-1],
                submitted_at=submitted[-1] if submitted else None,
                decided_at=decided[-1] if decided else None,
            )
            if cr.decision_id and decided:
                Decision.objects.filter(pk=cr.decision_id).update(
                    created_at=decided[-1],
                    updated_at=decided[-1],
                    decided_on=decided[-1].date(),
                )

    def decision(self, spec: DecisionSpec) -> Decision:
        links = []
        for name in spec.links:
            target = self.items.get(name) or self.changes.get(name)
            if target is not None:
                links.append(target)
        old = self.decisions.get(spec.supersedes) if spec.supersedes else None
        decision = decision_services.decision_record(
            actor=self.user(PM),
            program=self.program,
            title=spec.title,
            statement=spec.decision,
            context=spec.context,
            rationale=spec.rationale,
            options=spec.options,
            status=spec.status,
            decided_by=self.user(spec.decided_by),
            forum=spec.forum,
            decided_on=spec.decided_on,
            needed_by=spec.needed_by,
            links=links,
            supersedes=old,
            supersedes_version=old.version if old else None,
        )
        when = dt.datetime.combine(
            spec.decided_on or dt.date(2026, 11, 25), dt.time(17, 0), tzinfo=ZoneInfo("UTC")
        )
        with bulk_writes_allowed():
            Decision.objects.filter(pk=decision.pk).update(created_at=when, updated_at=when)
        self.decisions[spec.title] = decision
        return decision


def _policy(program: Program, actor: User, **changes: Any) -> None:
    policy = change_policy_get(program=program)
    change_services.change_policy_update(
        actor=actor, program=program, expected_version=policy.version, **changes
    )


@transaction.atomic
def build_demo(program: Program) -> dict[str, int] | None:
    """The program's change requests and decision log; None when it has change requests."""
    if ChangeRequest.objects.filter(program=program).exists():
        return None
    builder = _Builder(program)
    if program.code == "ERP":
        changes, decisions = ERP_CHANGES, ERP_DECISIONS
        _policy(program, builder.user(PM), sponsor_cost_threshold=Decimal("75000.00"))
    elif program.code == "CRM":
        changes, decisions = CRM_CHANGES, CRM_DECISIONS
    else:
        return None
    # The decisions that came before the requests first, in the order they were taken.
    early = [d for d in decisions if d.decided_on and d.decided_on < dt.date(2026, 7, 1)]
    for spec in early:
        builder.decision(spec)
    for spec in changes:
        builder.change(spec)
    for spec in decisions:
        if spec not in early:
            builder.decision(spec)
    counts = {
        "change requests": ChangeRequest.objects.filter(program=program).count(),
        "decisions": Decision.objects.filter(program=program).count(),
    }
    raci = _raci_builder()
    if raci is not None:
        counts.update(raci(program) or {})
    return counts


def _raci_builder():
    """governance.demo_raci.build_raci_demo, once that part of the app exists."""
    try:
        module = importlib.import_module("governance.demo_raci")
    except ModuleNotFoundError as error:
        if error.name != "governance.demo_raci":
            raise
        return None
    return getattr(module, "build_raci_demo", None)
