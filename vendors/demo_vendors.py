"""Demo rows of the vendor register for ERP (called by vendors/demo.py): categories, contacts for
every vendor, their master data, and the on/offboarding checklists that tell each vendor's story.

- Northwind Consulting: onboarded in October 2025, every step done with its evidence.
- Contoso Data Services: activated before system access was granted (an override with its
  reason); that step is still open and overdue.
- Fabrikam Cloud: onboarded, now suspended after repeated SLA breaches (the reason is shown).
- Litware Training: the training pilot ended; offboarding done, every step with evidence.
- Tailspin Integration and Adatum Systems: prospects answering the integration-platform RFP.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.models import User
from programs.models import Program

from .services import vendors as services

CATEGORIES = [
    "Systems integration", "Data services", "Hosting", "Training", "Integration platform",
]  # fmt: skip
VENDOR_CATEGORIES = {
    "northwind": ["Systems integration"],
    "contoso": ["Data services"],
    "fabrikam": ["Hosting"],
    "litware": ["Training"],
    "tailspin": ["Integration platform", "Systems integration"],
    "adatum": ["Integration platform"],
}
MASTER_DATA = {
    # slug: registration number, website, address, notes
    "northwind": ("HRB 214455 (Munich)", "https://www.northwind.example",
                  "Leopoldstraße 112\n80802 München\nGermany",
                  "Systems integrator for Finance & Controlling and Supply Chain. MSA signed "
                  "3 Nov 2025; SOW 2 (hypercare) in negotiation."),
    "contoso": ("07731845", "https://contoso-data.example",
                "1 Dock Road\nLondon E16 1AH\nUnited Kingdom",
                "Data migration: three mock loads and the cut-over load."),
    "fabrikam": ("KvK 61839214", "https://fabrikam.cloud.example",
                 "Stationsplein 45\n3013 AK Rotterdam\nNetherlands",
                 "Managed hosting of the S/4HANA landscape (DEV, QAS, PRD)."),
    "litware": ("B 201.554", "https://litware-learning.example",
                "Rue de la Loi 23\n1040 Bruxelles\nBelgium",
                "Key-user training for the wave 0 pilot; contract completed March 2026."),
    "tailspin": ("CHE-412.775.901", "https://tailspin.example",
                 "Bahnhofstrasse 8\n8001 Zürich\nSwitzerland",
                 "Answered the integration-platform RFP."),
    "adatum": ("EIN 84-1938201", "https://adatum.example",
               "500 Market Street\nSan Francisco, CA 94105\nUSA",
               "Answered the integration-platform RFP."),
}  # fmt: skip
CONTACTS = {
    # slug: [(name, role, email, phone, primary)]
    "northwind": [
        ("Tom Becker", "Engagement lead", "tom.becker@northwind.example", "+49 89 2190 4410", True),
        ("Sabine Wolf", "Account manager", "sabine.wolf@northwind.example", "+49 89 2190 4402",
         False),
        ("Jonas Hartmann", "Solution architect, Finance", "jonas.hartmann@northwind.example", "",
         False),
    ],
    "contoso": [
        ("Olivia Grant", "Delivery manager", "o.grant@contoso-data.example", "+44 20 7946 0321",
         True),
        ("Ravi Patel", "Migration lead", "r.patel@contoso-data.example", "+44 20 7946 0388",
         False),
    ],
    "fabrikam": [
        ("Pieter de Vries", "Service delivery manager", "p.devries@fabrikam.cloud.example",
         "+31 10 714 2200", True),
        ("Fabrikam NOC", "24/7 operations", "noc@fabrikam.cloud.example", "+31 10 714 2299",
         False),
    ],
    "litware": [
        ("Claire Dubois", "Training lead", "claire.dubois@litware-learning.example",
         "+32 2 555 0142", True),
    ],
    "tailspin": [
        ("Marco Bernasconi", "Sales director", "m.bernasconi@tailspin.example", "+41 44 555 7710",
         True),
    ],
    "adatum": [
        ("Jessica Nguyen", "Account executive", "jessica.nguyen@adatum.example",
         "+1 415 555 0196", True),
    ],
}  # fmt: skip

D = dt.date
NORTHWIND_ONBOARDING = [
    # title, due, done, evidence
    ("NDA signed", D(2025, 9, 26), D(2025, 9, 24),
     "Mutual NDA signed by both parties 24 Sep 2025; DMS ref LEG-2025-4411."),
    ("Security review", D(2025, 10, 10), D(2025, 10, 8),
     "ISO 27001 certificate (valid to 2027) and SIG Lite questionnaire reviewed by IT security; "
     "no findings. Ticket SEC-1187."),
    ("Insurance certificate", D(2025, 10, 10), D(2025, 10, 6),
     "Professional indemnity EUR 10m certificate from Allianz, valid to 31 Dec 2026; filed in "
     "procurement folder NW-03."),
    ("Supplier master data created", D(2025, 10, 17), D(2025, 10, 15),
     "Supplier 100482 created in the legacy ERP; bank details verified by call-back."),
    ("System access granted", D(2025, 10, 31), D(2025, 10, 30),
     "12 named consultant accounts in SAP DEV/QAS, approved under access request AR-5521."),
]  # fmt: skip
FABRIKAM_ONBOARDING = [
    ("NDA signed", D(2025, 11, 14), D(2025, 11, 12),
     "NDA signed 12 Nov 2025; DMS ref LEG-2025-4590."),
    ("Security review", D(2025, 12, 5), D(2025, 12, 3),
     "SOC 2 Type II report 2025 reviewed; two low findings accepted by the CISO (SEC-1240)."),
    ("Insurance certificate", D(2025, 12, 5), D(2025, 12, 1),
     "Cyber liability EUR 5m certificate, valid to 30 Jun 2027."),
    ("Supplier master data created", D(2025, 12, 12), D(2025, 12, 10), "Supplier 100517 created."),
    ("System access granted", D(2025, 12, 19), D(2025, 12, 18),
     "Jump-host access for 4 named administrators, AR-5602."),
]  # fmt: skip
LITWARE_OFFBOARDING = [
    ("Access removed", D(2026, 4, 10), D(2026, 4, 2),
     "All 3 trainer accounts disabled 2 Apr 2026 (AR-6120); badge access revoked."),
    ("Assets returned", D(2026, 4, 17), D(2026, 4, 9),
     "2 loan laptops returned to IT service desk, asset tags 88121 and 88122."),
    ("Knowledge transfer completed", D(2026, 4, 24), D(2026, 4, 21),
     "Training materials and trainer notes handed to the Change & Training team; sign-off by "
     "Lena Novak 21 Apr."),
    ("Final invoice settled", D(2026, 5, 15), D(2026, 5, 12),
     "Final invoice LW-2026-031 paid 12 May 2026; no open items on the supplier account."),
]  # fmt: skip


def _user(email: str):
    return User.objects.filter(email=email).first()


def build(program: Program, ctx: dict) -> dict[str, int]:
    manager = ctx["manager"]
    vendors = ctx["vendors"]
    coordinator = _user("coordinator@example.com") or manager
    finance = _user("finance@example.com") or manager
    data_lead = _user("s.ibrahim@example.com") or manager
    trainer = _user("l.novak@example.com") or manager
    today = timezone.localdate()

    categories = {
        name: services.category_create(actor=manager, program=program, name=name)
        for name in CATEGORIES
    }
    for slug, vendor in list(vendors.items()):
        registration, website, address, notes = MASTER_DATA[slug]
        owner = {"contoso": data_lead, "litware": trainer, "fabrikam": coordinator}.get(
            slug, manager
        )
        vendors[slug] = services.vendor_update(
            actor=manager,
            vendor=vendor,
            expected_version=None,
            registration_number=registration,
            website=website,
            address=address,
            notes=notes,
            relationship_owner=owner,
            categories=[categories[name] for name in VENDOR_CATEGORIES[slug]],
        )

    contacts = 0
    for slug, rows in CONTACTS.items():
        for name, role, email, phone, primary in rows:
            services.contact_create(
                actor=manager,
                vendor=vendors[slug],
                name=name,
                role=role,
                email=email,
                phone=phone,
                is_primary=primary,
            )
            contacts += 1

    steps = 0

    def record(slug, kind, title, due, done=None, evidence="", owner=None):
        nonlocal steps
        steps += 1
        return services.checklist_item_record(
            actor=manager,
            vendor=vendors[slug],
            kind=kind,
            title=title,
            owner=owner or vendors[slug].relationship_owner,
            due_date=due,
            completed_on=done,
            completed_by=(owner or vendors[slug].relationship_owner) if done else None,
            evidence=evidence,
        )

    for title, due, done, evidence in NORTHWIND_ONBOARDING:
        record("northwind", "onboarding", title, due, done, evidence)
    for title, due, done, evidence in FABRIKAM_ONBOARDING:
        record("fabrikam", "onboarding", title, due, done, evidence)
    for title, due, done, evidence in LITWARE_OFFBOARDING:
        record("litware", "offboarding", title, due, done, evidence)

    # Contoso: four steps done; system access still open and overdue (the override below).
    record("contoso", "onboarding", "NDA signed", D(2026, 1, 9), D(2026, 1, 8),
           "NDA signed 8 Jan 2026; DMS ref LEG-2026-0107.")  # fmt: skip
    record("contoso", "onboarding", "Security review", D(2026, 1, 23), D(2026, 1, 22),
           "ISO 27001 certificate checked; data processing agreement signed (GDPR Art. 28), "
           "SEC-1302.", owner=coordinator)  # fmt: skip
    record("contoso", "onboarding", "Insurance certificate", D(2026, 1, 23), D(2026, 1, 20),
           "Professional indemnity GBP 5m, valid to 31 Jan 2027.", owner=finance)  # fmt: skip
    record("contoso", "onboarding", "Supplier master data created", D(2026, 1, 30),
           D(2026, 1, 29), "Supplier 100533 created; bank details verified.",
           owner=finance)  # fmt: skip
    record("contoso", "onboarding", "System access granted", today - dt.timedelta(days=9),
           owner=coordinator)  # fmt: skip
    vendors["contoso"] = services.vendor_update(
        actor=manager,
        vendor=vendors["contoso"],
        expected_version=None,
        status_reason=(
            "Activated with system access still open: mock load 3 could not wait. Contoso "
            "works on extracts we provide until its accounts in the migration cockpit are "
            "approved."
        ),
    )
    vendors["fabrikam"] = services.vendor_update(
        actor=manager,
        vendor=vendors["fabrikam"],
        expected_version=None,
        status_reason=(
            "Suspended after three P1 availability breaches of the PRD landscape in October "
            "(SLA 99.7 %, achieved 98.9 %). Service credits claimed; no new work orders until "
            "the recovery plan is accepted."
        ),
    )
    return {"vendor categories": len(categories), "contacts": contacts, "checklist steps": steps}
