"""Demo contract details for the ERP program (called by vendors/demo.py): payment milestones,
rate cards and amendments on the demo contracts.

Northwind SOW 1 has two amendments: A1 extends it to the end of April 2027 after the wave 1
go-live moved (CR "Move the wave 1 go-live ..."), A2 adds the second SIT team (the approved CR
"Add a second Northwind SIT team ..."). Contoso's migration SOW was reduced when the legacy
archive left the scope. Change requests are linked only when the governance demo made them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.audit_guard import bulk_writes_allowed

from .models import Amendment
from .services import contracts as services

D = dt.date

RATES = {
    # contract slug: [(role, rate, unit)]
    "nw_msa": [
        ("Engagement manager", "1650.00", "day"),
        ("Solution architect", "1550.00", "day"),
        ("Senior SAP FI/CO consultant", "1350.00", "day"),
        ("SAP consultant", "1150.00", "day"),
        ("ABAP developer", "980.00", "day"),
        ("Test analyst", "850.00", "day"),
    ],
    "nw_sow1": [
        ("Engagement manager", "1600.00", "day"),
        ("Senior SAP FI/CO consultant", "1300.00", "day"),
        ("SAP consultant", "1100.00", "day"),
        ("ABAP developer", "950.00", "day"),
        ("Test analyst", "820.00", "day"),
    ],
    "nw_sow2": [
        ("Application support consultant", "1050.00", "day"),
        ("On-call support (outside office hours)", "145.00", "hour"),
    ],
    "ct_sow": [
        ("Data migration lead", "1200.00", "day"),
        ("Migration developer", "900.00", "day"),
        ("Data quality analyst", "750.00", "day"),
    ],
    "fb_hosting": [
        ("Managed hosting, S/4HANA production and QA", "12000.00", "month"),
        ("Additional sandbox system", "1800.00", "month"),
        ("Unplanned restore or refresh", "2400.00", "unit"),
    ],
}

MILESTONES = {
    # contract slug: [(title, due, amount, status)]
    "nw_sow1": [
        ("Mobilisation and project plan", D(2026, 1, 30), "184000.00", "paid"),
        ("Design signed off (Explore phase)", D(2026, 6, 26), "368000.00", "paid"),
        ("Build complete, unit tested", D(2026, 10, 30), "552000.00", "invoiced"),
        ("System integration test exit", D(2026, 12, 18), "368000.00", "due"),
        ("Go-live and hypercare exit", D(2027, 3, 31), "368000.00", "planned"),
    ],
    "ct_sow": [
        ("Mock load 1 reconciled", D(2026, 6, 12), "150000.00", "paid"),
        ("Mock load 2 reconciled", D(2026, 9, 25), "150000.00", "invoiced"),
        ("Mock load 3 reconciled", D(2026, 12, 11), "125000.00", "planned"),
        ("Cut-over load and sign-off", D(2027, 2, 12), "100000.00", "planned"),
    ],
    "nw_sow2": [
        ("Hypercare, first month", D(2027, 2, 26), "140000.00", "planned"),
        ("Hypercare, second month", D(2027, 3, 31), "140000.00", "planned"),
    ],
}

SIGNED = {  # read by vendors/demo.py when it creates the contracts
    "nw_msa": D(2025, 10, 20),
    "nw_sow1": D(2025, 12, 15),
    "ct_sow": D(2026, 1, 19),
    "fb_hosting": D(2025, 12, 10),
    "lw_training": D(2025, 8, 14),
}

AMENDMENTS = [
    # contract slug, title, reason, value change, new end, effective, CR title, recorded at
    ("nw_sow1", "Extension to the end of April 2027",
     "The wave 1 go-live moved from January to February 2027 (re-plan Q3). Hypercare and the "
     "first quarter-end close now fall in March and April; the SOW runs one month longer at no "
     "extra cost, as agreed with Northwind's account manager.",
     "0.00", D(2027, 4, 30), D(2026, 8, 17),
     "Move the wave 1 go-live from January to February 2027", dt.datetime(2026, 8, 17, 10, 30)),
    ("nw_sow1", "Second SIT team for SIT cycles 1 and 2",
     "Four testers and a test lead from Northwind join for the rest of SIT cycle 1 and all of "
     "cycle 2, at the SOW's rate card (58 test analyst days and 12 lead days, fixed price).",
     "58000.00", None, D(2026, 11, 23),
     "Add a second Northwind SIT team for SIT cycle 1", dt.datetime(2026, 11, 20, 14, 0)),
    ("ct_sow", "Legacy archive removed from the migration scope",
     "The 2009-2014 archive stays read-only in the legacy system (decided at the data "
     "governance board), so the third mock load and the cut-over load are smaller.",
     "-40000.00", None, D(2026, 10, 1), None, dt.datetime(2026, 9, 28, 11, 15)),
]  # fmt: skip


def _change_request(program, title: str | None):
    """The governance demo's request with this title when it may cause an amendment."""
    if title is None:
        return None
    from governance.models import ChangeRequest

    cr = ChangeRequest.objects.filter(program=program, title=title).first()
    if cr is None or cr.status not in services.CR_STATUSES_FOR_AMENDMENTS:
        return None
    return cr


def build(program, ctx: dict) -> dict:
    """Rate cards, payment milestones and amendments on the demo contracts."""
    manager, contracts = ctx["manager"], ctx["contracts"]
    rates = milestones = 0
    ctx["payment_milestones"] = {}
    for slug, lines in RATES.items():
        for role, rate, unit in lines:
            services.rate_create(
                actor=manager, contract=contracts[slug], role=role, rate=Decimal(rate), unit=unit
            )
            rates += 1
    for slug, rows in MILESTONES.items():
        for title, due, amount, status in rows:
            milestone = services.milestone_create(
                actor=manager,
                contract=contracts[slug],
                title=title,
                due_date=due,
                amount=Decimal(amount),
                status=status,
            )
            ctx["payment_milestones"][(slug, title)] = milestone
            milestones += 1
    ctx["amendments"] = []
    for slug, title, reason, change, end, effective, cr_title, recorded in AMENDMENTS:
        amendment = services.amendment_create(
            actor=manager,
            contract=contracts[slug],
            title=title,
            reason=reason,
            value_change=Decimal(change),
            new_end_date=end,
            effective_on=effective,
            change_request=_change_request(program, cr_title),
        )
        when = recorded.replace(tzinfo=dt.UTC)
        with bulk_writes_allowed():
            Amendment.objects.filter(pk=amendment.pk).update(created_at=when, updated_at=when)
        contracts[slug] = amendment.contract  # the current value and version moved on
        ctx["amendments"].append(amendment)
    for slug, contract in contracts.items():
        contracts[slug] = type(contract).objects.get(pk=contract.pk)
    return {
        "payment milestones": milestones,
        "rate card lines": rates,
        "amendments": len(ctx["amendments"]),
    }
