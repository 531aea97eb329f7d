"""The ERP demo budget's structure: six cost categories, eleven lines over the four workstreams
(three of them tied to Northwind's, Contoso's and Fabrikam's contracts), the original plan of
every month of the program (March 2026 to September 2027; lines whose spend follows the work
are phased from the schedule's current baseline, so earned value compares like with like), the
two reserves, and two change
orders: CO-1 approved (the wave 1 re-plan, caused by governance's implemented change request and
paid from the contingency reserve) and CO-2, a draft awaiting a decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.permissions import Role
from programs.models import Program, ProgramMembership
from schedules.models import Baseline, BaselineItem, ItemKind
from vendors.models import Contract

from . import evm
from .models import ReserveKind
from .months import month_range
from .services import structure
from .services.checks import program_months

CATEGORIES = [
    # slug, name, kind, expense type, GL account
    ("labour", "Internal labour", "labour", "opex", "610000"),
    ("vendor", "Vendor services", "vendor", "capex", "620100"),
    ("software", "Software licences", "software", "capex", "630200"),
    ("hosting", "Hardware and hosting", "hardware", "capex", "640300"),
    ("travel", "Travel", "travel", "opex", "650000"),
    ("training", "Training", "other", "opex", "660000"),
]

# contract title (vendors demo) -> slug
CONTRACTS = {
    "SOW 1: Design and build, Finance & Controlling": "nw_sow1",
    "Data migration services: three mock loads and cut-over": "ct_sow",
    "Managed hosting of the S/4HANA landscape": "fb_hosting",
}

LINES = [
    # slug, workstream name, category, line name, owner e-mail, contract slug, monthly plan,
    # first and last month index (0 = March 2026)
    ("fin_fte", "Finance & Controlling", "labour", "Internal FTEs", "contributor@example.com",
     None, "38000.00", 0, 18),
    ("fin_nw", "Finance & Controlling", "vendor", "Northwind SOW 1", "pm@example.com",
     "nw_sow1", "140000.00", 0, 12),
    ("fin_travel", "Finance & Controlling", "travel", "Travel to plants", "contributor@example.com",
     None, "4500.00", 0, 18),
    ("scp_fte", "Supply Chain & Procurement", "labour", "Internal FTEs", "j.moreau@example.com",
     None, "31000.00", 0, 18),
    ("scp_travel", "Supply Chain & Procurement", "travel", "Plant visits", "j.moreau@example.com",
     None, "3000.00", 1, 16),
    ("dm_contoso", "Data Migration", "vendor", "Contoso data migration", "s.ibrahim@example.com",
     "ct_sow", "52000.00", 0, 11),
    ("dm_fte", "Data Migration", "labour", "Internal FTEs", "s.ibrahim@example.com",
     None, "24000.00", 0, 18),
    ("int_hosting", "Integration & Technical Architecture", "hosting", "Fabrikam hosting",
     "k.tanaka@example.com", "fb_hosting", "12000.00", 0, 18),
    ("int_licences", "Integration & Technical Architecture", "software",
     "Integration platform licences", "k.tanaka@example.com", None, "18500.00", 2, 18),
    ("int_fte", "Integration & Technical Architecture", "labour", "Internal FTEs",
     "k.tanaka@example.com", None, "27000.00", 0, 18),
    ("fin_training", "Finance & Controlling", "training", "Key-user training",
     "l.novak@example.com", None, "9000.00", 8, 18),
]  # fmt: skip

# Lines whose spend follows the work: their plan is phased from the schedule's current baseline
# (SCHEDULED of it; the rest evenly), as a performance measurement baseline is. Hosting and
# licences are flat fees, kept flat.
SHAPED = {"labour", "vendor", "travel", "training"}
SCHEDULED = Decimal("0.8")
CENT = Decimal("0.01")


def _schedule_shapes(program: Program) -> dict[int, dict[dt.date, Decimal]]:
    """Per workstream, how its baseline work falls into months: each leaf item's baseline cost
    (or, without cost, its working days) spread evenly over its baseline dates."""
    baseline = Baseline.objects.filter(program=program, is_current=True).first()
    if baseline is None:
        return {}
    shapes: dict[int, dict[dt.date, Decimal]] = {}
    rows = BaselineItem.objects.filter(
        baseline=baseline, item__workstream__isnull=False, start__isnull=False,
        finish__isnull=False,
    ).exclude(item__kind=ItemKind.SUMMARY).values_list(
        "item__workstream_id", "start", "finish", "cost", "duration_minutes"
    )  # fmt: skip
    for workstream, start, finish, cost, minutes in rows:
        weight = cost or Decimal(minutes) / 480
        if weight <= 0 or finish < start:
            continue
        shape = shapes.setdefault(workstream, {})
        for month, part in evm.spread(Decimal(weight), start, finish).items():
            shape[month] = shape.get(month, Decimal(0)) + part
    return shapes


def _phased(amounts: dict[dt.date, Decimal], shape: dict[dt.date, Decimal]) -> dict:
    """The line's total over its months, SCHEDULED of it in the proportions of `shape` (the
    workstream's baseline work in those months, smoothed) and the rest as planned before; to
    the cent, the last month taking the rounding so the total is unchanged."""
    months = sorted(amounts)
    raw = [shape.get(m, Decimal(0)) for m in months]
    # a three-month moving average: people and vendors are not hired and let go month by month
    weights = [
        sum(raw[max(0, i - 1) : i + 2]) / len(raw[max(0, i - 1) : i + 2]) for i in range(len(raw))
    ]
    total_weight = sum(weights)
    if not months or total_weight <= 0:
        return amounts
    total = sum(amounts.values())
    phased, running = {}, Decimal(0)
    for month, weight in zip(months[:-1], weights[:-1], strict=True):
        value = amounts[month] * (1 - SCHEDULED) + total * SCHEDULED * weight / total_weight
        phased[month] = value.quantize(CENT)
        running += phased[month]
    phased[months[-1]] = total - running
    return phased


RESERVES = [
    (ReserveKind.MANAGEMENT, "250000.00", "Held by the sponsor for unknown unknowns."),
    (ReserveKind.CONTINGENCY, "400000.00", "For the identified risks (see the RAID log's EMV)."),
]


def build(program: Program, ctx: dict) -> dict:
    members = ProgramMembership.objects.filter(program=program).select_related("user")
    people = {m.user.email: m.user for m in members}
    ctx["people"] = people
    ctx["manager"] = next(m.user for m in members if m.role == Role.MANAGER)
    ctx["finance"] = next(m.user for m in members if m.role == Role.FINANCE)
    actor = ctx["finance"]
    contracts = {
        CONTRACTS[c.title]: c
        for c in Contract.objects.filter(program=program, title__in=list(CONTRACTS))
    }
    ctx["contracts"] = contracts
    ctx["categories"] = {}
    for position, (slug, name, kind, expense, gl) in enumerate(CATEGORIES):
        ctx["categories"][slug] = structure.category_create(
            actor=actor, program=program, name=name, kind=kind, expense_type=expense,
            gl_account=gl, position=position,
        )  # fmt: skip
    workstreams = {ws.name: ws for ws in program.workstreams.all()}
    months = month_range(*program_months(program))
    ctx["months"] = months
    ctx["lines"] = {}
    shapes = _schedule_shapes(program)
    cells = 0
    for slug, ws, category, name, owner, contract, monthly, first, last in LINES:
        amounts = {}
        line = structure.line_create(
            actor=actor,
            program=program,
            workstream=workstreams[ws],
            category=ctx["categories"][category],
            name=name,
            owner=people.get(owner),
            contract=contracts.get(contract) if contract else None,
        )
        ctx["lines"][slug] = line
        for index in range(first, min(last, len(months) - 1) + 1):
            # a gentle ramp: the first two months of a line at 60 % and 80 %
            factor = {first: Decimal("0.6"), first + 1: Decimal("0.8")}.get(index, Decimal("1"))
            amounts[months[index]] = (Decimal(monthly) * factor).quantize(Decimal("0.01"))
            cells += 1
        if category in SHAPED:
            amounts = _phased(amounts, shapes.get(workstreams[ws].pk, {}))
        structure.line_plan_set(
            actor=actor, line=line, amounts=amounts, expected_version=line.version
        )
    ctx["reserves"] = {
        kind: structure.reserve_set(
            actor=ctx["manager"], program=program, kind=kind, amount=amount, note=note
        )
        for kind, amount, note in RESERVES
    }
    orders = _change_orders(program, ctx)
    return {
        "cost categories": len(CATEGORIES),
        "budget lines": len(ctx["lines"]),
        "planned months": cells,
        "reserves": len(RESERVES),
        "change orders": orders,
        "reserve movements": 1,
    }


REPLAN_CR = "Move the wave 1 go-live from January to February 2027"
# line slug, month index (0 = March 2026), amount
REPLAN = [
    ("dm_contoso", 9, "30000.00"),
    ("dm_contoso", 10, "30000.00"),
    ("fin_nw", 10, "45000.00"),
    ("fin_nw", 11, "45000.00"),
    ("fin_fte", 11, "35000.00"),
]
TRAVEL_TO_TRAINING = [("fin_travel", 15, "-4500.00"), ("fin_training", 15, "4500.00")]


def _change_orders(program: Program, ctx: dict) -> int:
    """CO-1: the wave 1 re-plan (approved by the program manager, drawn from contingency);
    CO-2: travel moved to key-user training (a draft finance raised, awaiting a decision)."""
    from governance.models import ChangeRequest

    lines, months = ctx["lines"], ctx["months"]
    finance, manager = ctx["finance"], ctx["manager"]
    request = ChangeRequest.objects.filter(
        program=program, title=REPLAN_CR, status__in=structure.CR_STATUSES_FOR_CHANGE_ORDERS
    ).first()
    replan = structure.change_order_create(
        actor=finance,
        program=program,
        title="Wave 1 re-plan: extended Northwind team and a second mock load",
        reason="The finance go-live moved from January to February 2027 (steering committee, "
        "Q3 re-plan): Northwind keeps its extended team two more months, Contoso runs a "
        "second mock load, and the key users stay on the project through UAT.",
        change_request=request,
        amounts=[(lines[slug], months[i], Decimal(a)) for slug, i, a in REPLAN],
    )
    decided = dt.date.today()
    structure.change_order_decide(actor=manager, change_order=replan, approve=True, on=decided)
    structure.reserve_movement_create(
        actor=finance,
        reserve=ctx["reserves"][ReserveKind.CONTINGENCY],
        amount=-sum(Decimal(a) for _s, _i, a in REPLAN),
        on=decided,
        reason="Contingency draw for the wave 1 re-plan (legacy data quality and late "
        "pre-production hardware moved the finance go-live).",
        change_order=replan,
    )
    structure.change_order_create(
        actor=finance,
        program=program,
        title="Move plant-visit travel to key-user training",
        reason="Remote fit-to-standard sessions replaced the June 2027 plant visits; the money "
        "goes to a third key-user training wave for the Brno plant.",
        amounts=[(lines[slug], months[i], Decimal(a)) for slug, i, a in TRAVEL_TO_TRAINING],
    )
    ctx["change_orders"] = {"replan": replan}
    return 2
