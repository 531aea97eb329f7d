"""The ERP demo budget's structure: six cost categories, eleven lines over the four workstreams
(three of them tied to Northwind's, Contoso's and Fabrikam's contracts), the original plan of
every month of the program (March 2026 to September 2027) and the two reserves."""

from __future__ import annotations

from decimal import Decimal

from core.audit import audit_create
from core.permissions import Role
from programs.models import Program, ProgramMembership
from vendors.models import Contract

from .models import Reserve, ReserveKind
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
    cells = 0
    for slug, ws, category, name, owner, contract, monthly, first, last in LINES:
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
            amount = (Decimal(monthly) * factor).quantize(Decimal("0.01"))
            structure.plan_set(actor=actor, line=line, month=months[index], amount=amount)
            cells += 1
    for kind, amount, note in RESERVES:
        reserve = Reserve(program=program, kind=kind, amount=Decimal(amount), note=note)
        reserve.full_clean()
        reserve.save()
        audit_create(actor=ctx["manager"], instance=reserve)
    return {
        "cost categories": len(CATEGORIES),
        "budget lines": len(ctx["lines"]),
        "planned months": cells,
        "reserves": len(RESERVES),
    }
