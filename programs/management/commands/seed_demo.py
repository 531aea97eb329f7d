"""Build the demo: one user per role and a realistic ERP migration program. Safe to run twice.

`--scale N` adds N benchmark programs with many workstreams, members and activity, each with a
schedule of `--items` items (default 40 per workstream) and as many links.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from budgets import demo as budgets_demo
from core.models import User
from core.permissions import Role
from governance import demo as governance_demo
from programs import services
from programs.models import Program, ProgramMembership, Workstream
from releases import demo as releases_demo
from reporting import demo as reporting_demo
from risks import demo as risks_demo
from schedules import demo
from vendors import demo as vendors_demo

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo credential, printed by the run script

DEMO_USERS = [
    # email, full name, job title, role in ERP
    ("pm@example.com", "Priya Raman", "Program Manager", Role.MANAGER),
    ("coordinator@example.com", "Marcus Lee", "Assistant Program Manager", Role.COORDINATOR),
    ("contributor@example.com", "Ana Souza", "Finance Workstream Lead", Role.CONTRIBUTOR),
    ("finance@example.com", "Fatima Khan", "Program Finance Controller", Role.FINANCE),
    ("exec@example.com", "Daniel Okafor", "Chief Operating Officer", Role.EXECUTIVE),
    ("viewer@example.com", "Grace Kim", "Internal Audit", Role.VIEWER),
    ("vendor@example.com", "Tom Becker", "Engagement Lead, Northwind Consulting", Role.VENDOR),
]
EXTRA_MEMBERS = [
    ("j.moreau@example.com", "Julien Moreau", "Supply Chain Lead", Role.CONTRIBUTOR),
    ("s.ibrahim@example.com", "Sara Ibrahim", "Data Migration Lead", Role.CONTRIBUTOR),
    ("k.tanaka@example.com", "Kenji Tanaka", "Integration Architect", Role.CONTRIBUTOR),
    ("l.novak@example.com", "Lena Novak", "Change & Training Manager", Role.COORDINATOR),
]
ERP_WORKSTREAMS = [
    ("Finance & Controlling", "contributor@example.com",
     "General ledger, AP/AR, fixed assets and controlling move to S/4HANA Finance; "
     "month-end close in the new system by wave 1."),
    ("Supply Chain & Procurement", "j.moreau@example.com",
     "Purchase-to-pay, inventory and warehouse processes for the three EU plants."),
    ("Data Migration", "s.ibrahim@example.com",
     "Extract, cleanse and load master and open transactional data; three mock loads "
     "before cut-over."),
    ("Integration & Technical Architecture", "k.tanaka@example.com",
     "Interfaces to MES, banking and the e-commerce platform; environments and cut-over runbook."),
]  # fmt: skip
CRM_WORKSTREAMS = [
    ("Sales Cloud Rollout", "j.moreau@example.com", "Opportunity and quote management."),
    ("Service Desk", "l.novak@example.com", "Case management and customer portal."),
]


class Command(BaseCommand):
    help = "Create the demo users and programs (idempotent); --scale N adds benchmark programs."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, help="benchmark programs to add")
        parser.add_argument(
            "--workstreams", type=int, default=120, help="workstreams per benchmark program"
        )
        parser.add_argument("--members", type=int, default=30, help="members per benchmark program")
        parser.add_argument(
            "--items",
            type=int,
            default=None,
            help="schedule items (and links) per benchmark program; default 40 per workstream",
        )

    def handle(self, *args, scale: int, workstreams: int, members: int, items, **options):
        users = self._users()
        created = self._erp(users) + self._crm(users)
        self._plans()
        self._domains()
        items = 40 * workstreams if items is None else items
        for n in range(1, scale + 1):
            created += self._scale_program(n, users, workstreams, members, items)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready ({created} program(s) created this run).")
        )

    def _user(self, email, name, title, **extra) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, full_name=name, job_title=title, **extra
            )
        return user

    def _users(self) -> dict[str, User]:
        users = {
            email: self._user(email, name, title, can_create_programs=(role == Role.MANAGER))
            for email, name, title, role in DEMO_USERS + EXTRA_MEMBERS
        }
        if not User.objects.filter(email="admin@example.com").exists():
            User.objects.create_superuser(
                email="admin@example.com", password=DEMO_PASSWORD, full_name="Site Administrator"
            )
        return users

    def _plans(self) -> None:
        """The demo programs' schedules (built once: a program that has a plan keeps it)."""
        for code, build in [("ERP", demo.build_erp_plan), ("CRM", demo.build_crm_plan)]:
            program = Program.objects.filter(code=code).first()
            started = time.perf_counter()
            counts = build(program) if program else None
            if counts:
                self.stdout.write(
                    f"{code} schedule: {counts['items']} items, {counts['links']} links, "
                    f"{counts['baselines']} baseline(s), {counts['holidays']} holidays, "
                    f"{counts['forecast_snapshots']} forecast snapshots "
                    f"({time.perf_counter() - started:.1f} s)."
                )

    def _domains(self) -> None:
        """Each domain app's demo data for the demo programs, after the plans it links to. Each
        `build_demo(program)` builds once and returns its counts, or None when already there."""
        for app, builder in [
            ("RAID log", risks_demo),
            ("Governance", governance_demo),
            ("Vendors", vendors_demo),
            ("Budget", budgets_demo),
            ("Releases", releases_demo),
            ("Reporting", reporting_demo),
        ]:
            for code in ("ERP", "CRM"):
                program = Program.objects.filter(code=code).first()
                counts = builder.build_demo(program) if program else None
                if counts:
                    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
                    self.stdout.write(f"{code} {app}: {summary}.")

    @transaction.atomic
    def _erp(self, users) -> int:
        if Program.objects.filter(code="ERP").exists():
            return 0
        pm = users["pm@example.com"]
        program = services.program_create(
            actor=pm,
            code="ERP",
            name="ERP Migration to S/4HANA",
            description=(
                "Replace the 15-year-old ECC 6.0 system with S/4HANA across finance, supply chain "
                "and the three EU plants. Two go-live waves: finance first, then operations."
            ),
            start_date=dt.date(2026, 3, 2),
            end_date=dt.date(2027, 9, 30),
            currency="EUR",
            time_zone="Europe/Berlin",
            status="active",
        )
        for email, _name, _title, role in DEMO_USERS + EXTRA_MEMBERS:
            if role != Role.MANAGER:
                services.membership_add(actor=pm, program=program, email=email, role=role)
        services.program_update(
            actor=pm, program=program, expected_version=program.version,
            sponsor=users["exec@example.com"],
        )  # fmt: skip
        coordinator = users["coordinator@example.com"]
        for name, lead, description in ERP_WORKSTREAMS:
            services.workstream_create(
                actor=coordinator, program=program, name=name, lead=users[lead],
                description=description,
            )  # fmt: skip
        data = Workstream.objects.get(program=program, name="Data Migration")
        services.workstream_update(
            actor=pm, workstream=data, expected_version=data.version, status="on_hold",
            description=data.description + " Paused until the legacy archive decision is made.",
        )  # fmt: skip
        data.refresh_from_db()
        services.workstream_update(
            actor=coordinator, workstream=data, expected_version=data.version, status="active"
        )
        return 1

    @transaction.atomic
    def _crm(self, users) -> int:
        if Program.objects.filter(code="CRM").exists():
            return 0
        pm = users["pm@example.com"]
        program = services.program_create(
            actor=pm,
            code="CRM",
            name="Customer 360 CRM Rollout",
            description="Salesforce Sales and Service Cloud for the B2B sales teams.",
            start_date=dt.date(2026, 9, 1),
            end_date=dt.date(2027, 6, 30),
            currency="GBP",
            time_zone="Europe/London",
            status="proposed",
        )
        for email, role in [
            ("coordinator@example.com", Role.COORDINATOR),
            ("exec@example.com", Role.EXECUTIVE),
            ("finance@example.com", Role.FINANCE),
            ("j.moreau@example.com", Role.CONTRIBUTOR),
            ("l.novak@example.com", Role.CONTRIBUTOR),
        ]:
            services.membership_add(actor=pm, program=program, email=email, role=role)
        for name, lead, description in CRM_WORKSTREAMS:
            services.workstream_create(
                actor=pm, program=program, name=name, lead=users[lead], description=description
            )
        return 1

    @transaction.atomic
    def _scale_program(
        self, n: int, users, workstream_count: int, member_count: int, item_count: int
    ) -> int:
        code = f"SCALE{n:03d}"
        if Program.objects.filter(code=code).exists():
            return 0
        pm = users["pm@example.com"]
        program = services.program_create(
            actor=pm,
            code=code,
            name=f"Benchmark program {n}",
            description="Generated by seed_demo --scale for benchmarks.",
            start_date=dt.date(2026, 1, 5),
            end_date=dt.date(2028, 12, 22),
            currency="USD",
            time_zone="America/New_York",
        )
        roles = [Role.CONTRIBUTOR, Role.COORDINATOR, Role.VIEWER, Role.FINANCE, Role.EXECUTIVE]
        leads = []
        for i in range(member_count):
            user = self._user(f"bench{i:03d}@example.com", f"Bench Person {i:03d}", "Team member")
            if not ProgramMembership.objects.filter(program=program, user=user).exists():
                services.membership_add(
                    actor=pm, program=program, email=user.email, role=roles[i % len(roles)]
                )
            leads.append(user)
        statuses = ["active", "active", "active", "on_hold", "closed"]
        for i in range(workstream_count):
            ws = services.workstream_create(
                actor=pm, program=program, name=f"Workstream {i + 1:03d}",
                lead=leads[i % len(leads)] if leads else None,
                description=f"Scope item {i + 1} of {program.name}.",
                status="active",
            )  # fmt: skip
            if statuses[i % len(statuses)] != "active":
                services.workstream_update(
                    actor=pm, workstream=ws, expected_version=ws.version,
                    status=statuses[i % len(statuses)],
                )  # fmt: skip
        if item_count:
            counts = demo.build_scaled_schedule(
                program, items=item_count, links=item_count, actor=pm
            )
            self.stdout.write(f"{code} schedule: {counts['items']} items, {counts['links']} links.")
        return 1
