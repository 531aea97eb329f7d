"""Vendors benchmark: 500 contracts with remaining values, paged 50 at a time, and the scorecards.

Builds, in its own PostgreSQL database (dropped and rebuilt each run), program VND500 with
40 vendors and 500 contracts (a master agreement per vendor, SOWs and orders; about two
amendments per signed contract, three payment milestones and two rate-card lines each), 500 SLAs
with 5,000 monthly measurements over the last ten months, about 1,900 deliverables with their
submissions and reviews (first-pass and resubmission rounds), and 60 escalations, plus each
contract's and amendment's creation in the audit trail. Serves the app with gunicorn
(production settings) and measures, one request at a time (`wrk -t1 -c1`), p50 and p90 of:

  - the contract list page (HTML, 50 rows) default, filtered, sorted and paged, and the contract
    list API (`page_size=50`);
  - the scorecard pages (`vendors:scorecard_list`, `vendors:vendor_scorecard`), found by URL name;
  - a contract's page (not a target; for reference);
  - the reference: a bare Django view (no middleware) returning 50 contract rows as JSON.

Invoices: the 20,000 invoices issue 5 asks for (budgets' `Invoice`, one line each, in every
status) spread over the signed contracts; the invoiced amount and remaining value of every row
come from budgets' subquery registered with `vendors.invoicing` (rejected invoices excluded).

Also counts the queries of each request in-process (they must not grow with the rows). Target
(issue 5): p50 <= 40 ms for the contract list and the scorecards. Ends with one JSON line.

    .venv/bin/python bench/bench_vendors.py [--duration 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB_URL = os.environ.get(
    "BENCH_VENDORS_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/programoffice_bench_vendors",
)
CODE = "VND500"
TARGET_P50_MS = 40.0
VENDORS, CONTRACTS, MEASUREMENT_MONTHS = 40, 500, 10
INVOICES = 20_000
# invoice statuses in the proportions of a running program (weights out of 100)
INVOICE_STATUSES = (("paid", 70), ("approved", 10), ("validated", 8), ("received", 7),
                    ("rejected", 5))  # fmt: skip
SECRET_KEY = os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(60)


def server_env(settings: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=DB_URL,
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def fresh_database() -> None:
    import psycopg2
    from psycopg2 import sql

    name = DB_URL.rsplit("/", 1)[1]
    admin = psycopg2.connect(DB_URL.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    env = server_env("config.settings.production")
    for args in (("migrate", "--noinput", "-v", "0"), ("collectstatic", "--noinput", "-v", "0")):
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

SCOPES = (
    "Finance design and build", "Data migration", "Integration platform", "Testing services",
    "Hypercare and support", "Key-user training", "Warehouse management", "Reporting and BI",
    "Security and authorisations", "Cut-over", "Hosting", "Archiving", "Payroll interface",
)  # fmt: skip
METRICS = (
    ("Availability of the production system", "99.500", "%", "at_least"),
    ("Priority 1 incidents resolved within 4 hours", "95.000", "%", "at_least"),
    ("Defects reopened after fix", "5.000", "%", "at_most"),
    ("Mean time to restore", "6.000", "hours", "at_most"),
)
ROLES = ("Consultant", "Senior consultant", "Developer", "Test analyst", "Project manager")


@contextlib.contextmanager
def timestamps_as_given(*models):
    """Let bulk_create keep the `created_at` the bench sets (history spread over a year)."""
    fields = [m._meta.get_field("created_at") for m in models]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


def build(rng: random.Random) -> dict:
    """The program, 40 vendors, 500 contracts and everything the pages aggregate (bulk rows)."""
    from django.utils import timezone

    from core.audit import audit_create_many
    from core.audit_guard import bulk_writes_allowed
    from core.keys import allocate_number
    from core.models import User
    from core.permissions import Role
    from programs import services as program_services
    from programs.models import ProgramMembership
    from vendors.models import (
        Amendment,
        Contract,
        Deliverable,
        Escalation,
        PaymentMilestone,
        RateCardEntry,
        Review,
        ServiceLevel,
        SLAMeasurement,
        Submission,
        Vendor,
    )

    manager = User.objects.create_user(
        email="pm@example.com", password=secrets.token_urlsafe(16), full_name="Priya Raman",
        can_create_programs=True,
    )  # fmt: skip
    program = program_services.program_create(
        actor=manager, code=CODE, name="Vendors benchmark, 500 contracts",
        start_date=dt.date(2025, 1, 6), end_date=dt.date(2028, 12, 29), currency="EUR",
        time_zone="Europe/Berlin",
    )  # fmt: skip
    with bulk_writes_allowed():
        people = User.objects.bulk_create(
            [User(email=f"member{i}@example.com", full_name=f"Member {i:02d}") for i in range(10)]
        )
        ProgramMembership.objects.bulk_create(
            [ProgramMembership(program=program, user=u, role=Role.COORDINATOR) for u in people]
        )
    people.append(manager)
    today = dt.date.today()
    now = timezone.now()

    def keyed(model, objs):
        last = allocate_number(program_id=program.pk, prefix=model.KEY_PREFIX, count=len(objs))
        for n, obj in enumerate(objs, last - len(objs) + 1):
            obj.key, obj.number = f"{model.KEY_PREFIX}-{n}", n
        with bulk_writes_allowed():
            model.objects.bulk_create(objs, batch_size=1000)
        return objs

    def bulk(model, objs):
        with bulk_writes_allowed():
            return model.objects.bulk_create(objs, batch_size=2000)

    vendors = keyed(Vendor, [
        Vendor(program=program, name=f"Vendor {i:02d} {rng.choice(SCOPES).split()[0]} GmbH",
               legal_entity=f"Vendor {i:02d} GmbH",
               status="suspended" if i % 10 == 9 else "active", relationship_owner=manager)
        for i in range(VENDORS)
    ])  # fmt: skip

    # Contracts: one master per vendor, then SOWs and orders spread over the vendors.
    masters = []
    for v in vendors:
        start = today - dt.timedelta(days=rng.randint(400, 800))
        masters.append(Contract(
            program=program, vendor=v, kind="master", title=f"Master services agreement, {v.name}",
            contract_type="time_materials", value=Decimal("0.00"), current_value=Decimal("0.00"),
            currency="EUR", start_date=start, end_date=start + dt.timedelta(days=1460),
            current_end_date=start + dt.timedelta(days=1460), status="active",
            signed_on=start - dt.timedelta(days=20), owner=rng.choice(people),
        ))  # fmt: skip
    keyed(Contract, masters)
    statuses = ["active"] * 70 + ["on_hold"] * 10 + ["completed"] * 10 + ["terminated"] * 5
    statuses += ["draft"] * 5
    others = []
    for i in range(CONTRACTS - VENDORS):
        master = masters[i % VENDORS]
        start = today - dt.timedelta(days=rng.randint(30, 700))
        end = start + dt.timedelta(days=rng.randint(180, 720))
        value = Decimal(rng.randint(50, 2500) * 1000)
        status = rng.choice(statuses)
        kind = "order" if i % 7 == 0 else "sow"
        others.append(Contract(
            program=program, vendor=master.vendor, kind=kind,
            parent=master if kind == "sow" else None,
            title=f"{'SOW' if kind == 'sow' else 'Order'} {i + 1}: {rng.choice(SCOPES)}",
            contract_type=rng.choice(["fixed_price", "time_materials", "retainer"]),
            value=value, current_value=value, currency="EUR", start_date=start, end_date=end,
            current_end_date=end, status=status, po_number=f"PO-45000{i:05d}",
            signed_on=None if status == "draft" else start - dt.timedelta(days=14),
            owner=rng.choice(people),
        ))  # fmt: skip
    keyed(Contract, others)
    contracts = masters + others
    signed = [c for c in others if c.status != "draft"]

    # About two amendments per signed contract; current value and end follow.
    amendments = []
    for c in signed:
        up = (c.value * Decimal(rng.randint(0, 15)) / 100).quantize(Decimal("1000"))
        down = -(c.value * Decimal(rng.randint(0, 5)) / 100).quantize(Decimal("1000"))
        extension = c.end_date + dt.timedelta(days=rng.randint(30, 120))
        for seq, (change, end) in enumerate(
            [(up, None), (down, extension if rng.random() < 0.5 else None)], 1
        ):
            if change == 0 and end is None:
                end = extension
            amendments.append(Amendment(
                program=program, contract=c, sequence=seq, title=f"Amendment {seq}",
                reason="Agreed at the contract review.", value_change=change, new_end_date=end,
                effective_on=c.start_date + dt.timedelta(days=60 * seq), created_by=manager,
            ))  # fmt: skip
            c.current_value += change
            if end is not None:
                c.current_end_date = end
    bulk(Amendment, amendments)
    with bulk_writes_allowed():
        Contract.objects.bulk_update(signed, ["current_value", "current_end_date"], batch_size=500)

    milestones, rates = [], []
    for c in others:
        share = c.value * Decimal("0.3")
        for n in range(3):
            due = c.start_date + dt.timedelta(days=90 * (n + 1))
            state = "paid" if due < today - dt.timedelta(days=60) else (
                "invoiced" if due < today else "planned")  # fmt: skip
            milestones.append(PaymentMilestone(
                program=program, contract=c, title=f"Milestone {n + 1}", due_date=due,
                amount=share.quantize(Decimal("0.01")), status=state,
            ))  # fmt: skip
    for c in contracts:
        for role in rng.sample(ROLES, 2):
            rate = Decimal(rng.randint(600, 1800))
            rates.append(RateCardEntry(program=program, contract=c, role=role, rate=rate))
    bulk(PaymentMilestone, milestones)
    bulk(RateCardEntry, rates)

    # 500 SLAs (one per contract with work) x 10 monthly measurements = 5,000.
    month_starts = []
    first_of_month = today.replace(day=1)
    for back in range(MEASUREMENT_MONTHS, 0, -1):
        year, month = first_of_month.year, first_of_month.month - back
        while month < 1:
            year, month = year - 1, month + 12
        month_starts.append(dt.date(year, month, 1))
    sla_contracts = (signed * 2)[:CONTRACTS]
    slas = [
        ServiceLevel(
            program=program,
            contract=c,
            vendor=c.vendor,
            metric=m[0],
            target=Decimal(m[1]),
            unit=m[2],
            direction=m[3],
            period="monthly",
        )
        for c, m in ((c, METRICS[i % len(METRICS)]) for i, c in enumerate(sla_contracts))
    ]
    bulk(ServiceLevel, slas)
    measurements = []
    for sla in slas:
        for start in month_starts:
            end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            spread = sla.target * Decimal("0.04") if sla.unit == "%" else sla.target / 2
            value = (sla.target + spread * Decimal(rng.uniform(-1, 0.8))).quantize(Decimal("0.001"))
            measurements.append(SLAMeasurement(
                program=program, service_level=sla, vendor=sla.vendor, period_start=start,
                period_end=end, value=value, breached=sla.is_breach(value), recorded_by=manager,
            ))  # fmt: skip
    bulk(SLAMeasurement, measurements)

    # Deliverables over the last year, most submitted, reviewed once or twice.
    deliverables = []
    for c in signed:
        for n in range(4):
            due = today - dt.timedelta(days=rng.randint(-60, 330))
            deliverables.append(Deliverable(
                program=program, contract=c, vendor=c.vendor, title=f"Deliverable {n + 1}",
                due_date=due, reviewer=manager,
            ))  # fmt: skip
    plans = []
    for d in deliverables:
        if d.due_date > today or rng.random() < 0.1:
            continue  # not submitted yet
        submitted = dt.datetime.combine(d.due_date, dt.time(10), dt.UTC) + dt.timedelta(
            days=rng.randint(-5, 6)
        )
        first_ok = rng.random() < 0.7
        rounds = [(1, submitted, "accepted" if first_ok else "rejected")]
        if not first_ok:
            rounds.append((2, submitted + dt.timedelta(days=10),
                           "accepted" if rng.random() < 0.8 else "rejected"))  # fmt: skip
        if rng.random() < 0.08:  # the last round still awaits review
            rounds[-1] = (*rounds[-1][:2], None)
        d.first_submitted_at = submitted
        d.rounds = len(rounds)
        last = rounds[-1][2]
        d.status = {"accepted": "accepted", "rejected": "rejected", None: "submitted"}[last]
        if last == "accepted":
            d.accepted_at = rounds[-1][1] + dt.timedelta(days=3)
        plans.append((d, rounds))
    keyed(Deliverable, deliverables)
    submissions, reviews = [], []
    for d, rounds in plans:
        for number, at, outcome in rounds:
            sub = Submission(program=program, deliverable=d, round=number, note="Delivered.",
                             submitted_by=manager, created_at=at, updated_at=at)  # fmt: skip
            submissions.append((sub, outcome, at))
    with timestamps_as_given(Submission, Review):
        bulk(Submission, [s for s, _, _ in submissions])
        for sub, outcome, at in submissions:
            if outcome is not None:
                when = min(at + dt.timedelta(days=3), now)
                reviews.append(Review(
                    program=program, submission=sub, outcome=outcome, reviewed_by=manager,
                    summary="Reviewed against the criteria.", created_at=when, updated_at=when,
                ))  # fmt: skip
        bulk(Review, reviews)

    escalations = []
    for i in range(60):
        c = rng.choice(signed)
        raised = today - dt.timedelta(days=rng.randint(5, 330))
        resolved = raised + dt.timedelta(days=rng.randint(5, 40)) if i % 2 else None
        if resolved and resolved > today:
            resolved = None
        escalations.append(Escalation(
            program=program, vendor=c.vendor, contract=c, title=f"Escalation {i + 1}",
            reason="Missed SLA two months running.", owner=manager, raised_on=raised,
            resolved_on=resolved, status="resolved" if resolved else "open",
            outcome="Service credit agreed." if resolved else "",
        ))  # fmt: skip
    keyed(Escalation, escalations)

    invoices, invoice_lines = _invoices(program, manager, signed, rng, today, now, keyed, bulk)

    audit_create_many(actor=manager, instances=contracts)
    audit_create_many(actor=manager, instances=amendments)
    audit_create_many(actor=manager, instances=invoices)
    return {
        "program": program,
        "manager": manager,
        "vendors": vendors,
        "contracts": contracts,
        "counts": {
            "vendors": len(vendors), "contracts": len(contracts), "amendments": len(amendments),
            "payment_milestones": len(milestones), "rate_card_lines": len(rates),
            "slas": len(slas), "sla_measurements": len(measurements),
            "deliverables": len(deliverables), "submissions": len(submissions),
            "reviews": len(reviews), "escalations": len(escalations), "invoices": len(invoices),
            "invoice_lines": len(invoice_lines),
        },
    }  # fmt: skip


def _invoices(program, manager, signed, rng, today, now, keyed, bulk) -> tuple[list, list]:
    """INVOICES monthly invoices (one line each) over the signed contracts with a value, in
    every status, each contract invoiced for 20-90 % of its current value (rejected invoices
    do not count), so remaining values spread as in a running program."""
    from budgets.models import Invoice, InvoiceLine
    from budgets.months import add_months, month_range

    priced = [c for c in signed if c.current_value > 0 and c.start_date <= today]
    statuses = [status for status, weight in INVOICE_STATUSES for _ in range(weight)]
    per_contract, extra = divmod(INVOICES, len(priced))
    invoices = []
    for index, c in enumerate(priced):
        count = per_contract + (1 if index < extra else 0)
        share = c.current_value * Decimal(rng.randint(20, 90)) / 100 / count
        months = month_range(c.start_date, min(c.current_end_date, today))
        for n in range(count):
            month = months[n % len(months)]  # several invoices a month on long-running SOWs
            start = max(month, c.start_date)
            end = add_months(month, 1) - dt.timedelta(days=1)
            issued = min(end, today)
            status = rng.choice(statuses)
            decided = status in ("paid", "approved", "rejected")
            invoices.append(Invoice(
                program=program, vendor=c.vendor, contract=c,
                invoice_number=f"{c.key}-{n + 1:04d}", invoice_date=issued,
                received_on=issued, due_date=issued + dt.timedelta(days=30),
                period_start=start, period_end=max(end, start), currency="EUR",
                total=(share * Decimal(rng.uniform(0.6, 1.4))).quantize(Decimal("0.01")),
                status=status, problems=[] if status != "received" else [
                    {"code": "unmapped_line", "message": "Line 1 is not mapped."}],
                validated_at=now, submitted_by=manager,
                decided_by=manager if decided else None, decided_at=now if decided else None,
                rejection_reason="Not agreed." if status == "rejected" else "",
                paid_on=min(issued + dt.timedelta(days=28), today) if status == "paid" else None,
                payment_reference=f"PAY-{n:05d}" if status == "paid" else "",
            ))  # fmt: skip
    keyed(Invoice, invoices)
    lines = bulk(InvoiceLine, [
        InvoiceLine(program=program, invoice=i, month=i.period_start.replace(day=1),
                    description=f"Services {i.period_start:%B %Y}", amount=i.total)
        for i in invoices
    ])  # fmt: skip
    return invoices, lines


def session_cookie(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


# ---------------------------------------------------------------------------------------------
# The reference: a bare Django view returning 50 contract rows, served by gunicorn like the app
# (`gunicorn bench.bench_vendors:reference_app`, settings bench.reference_settings)
# ---------------------------------------------------------------------------------------------


def _reference_rows(request, code):
    from django.http import JsonResponse

    from vendors.models import Contract

    rows = list(
        Contract.objects.filter(program__code=code)
        .order_by("-number")
        .values("id", "key", "title", "vendor_id", "status", "contract_type", "value",
                "current_value", "currency", "start_date", "current_end_date", "version")[:50]
    )  # fmt: skip
    return JsonResponse({"results": rows})


def __getattr__(name: str):
    """`urlpatterns` for the reference server (ROOT_URLCONF = this module), built on demand."""
    if name == "urlpatterns":
        from django.urls import path

        return [path("ref/<str:code>/contracts/", _reference_rows)]
    raise AttributeError(name)


_reference_handler = None


def reference_app(environ, start_response):
    global _reference_handler
    if _reference_handler is None:
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        _reference_handler = get_wsgi_application()
        settings.ROOT_URLCONF = "bench.bench_vendors"
    return _reference_handler(environ, start_response)


# ---------------------------------------------------------------------------------------------
# Serving and measuring (as bench/bench_raid.py)
# ---------------------------------------------------------------------------------------------


class Server:
    def __init__(self, app: str, settings: str, workers: int, probe: str):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [GUNICORN, app, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--log-level", "warning"],
            cwd=ROOT, env=server_env(settings), start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 40
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{probe}", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn {app} did not answer {probe}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=20)


def wrk(url: str, headers: dict[str, str], seconds: int) -> dict:
    args = ["wrk", "-t1", "-c1", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    lat = {
        m.group(1): _ms(m.group(2))
        for m in re.finditer(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M)
    }
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = re.search(r"(\d+) requests in", out)
    return {
        "p50_ms": lat.get("50"),
        "p90_ms": lat.get("90"),
        "requests": int(requests.group(1)) if requests else 0,
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def fetch(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def queries_of(client, path: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    return response.status_code, len(ctx.captured_queries)


def targets(built: dict) -> dict[str, tuple[str, str, str]]:
    """name -> (path, auth kind, text the answer must contain); pages found by URL name."""
    from django.urls import reverse

    code = {"code": CODE}
    contracts = reverse("vendors:contract_list", kwargs=code)
    api = reverse("api_v1:vendors_contract_list", kwargs=code)
    vendor = built["vendors"][7]
    busiest = max(built["contracts"], key=lambda c: c.current_value)
    return {
        "page_contracts_default": (contracts, "session", "CTR-"),
        "page_contracts_vendor_by_remaining": (
            f"{contracts}?vendor={vendor.pk}&sort=-remaining", "session", "CTR-"),
        "page_contracts_active_by_end_p3": (
            f"{contracts}?status=active&sort=end&page=3", "session", "CTR-"),
        "page_contracts_search_type": (
            f"{contracts}?q=migration&type=time_materials", "session", "CTR-"),
        "api_contracts_default": (f"{api}?page_size=50", "token", "CTR-"),
        "api_contracts_active_by_remaining_p2": (
            f"{api}?page_size=50&status=active&sort=-remaining&page=2", "token", "CTR-"),
        "page_scorecards": (
            reverse("vendors:scorecard_list", kwargs=code), "session", built["vendors"][0].name),
        "page_vendor_scorecard": (
            reverse("vendors:vendor_scorecard", kwargs={**code, "key": vendor.key}), "session",
            vendor.name),
        "page_contract_detail": (
            reverse("vendors:contract_detail", kwargs={**code, "key": busiest.key}), "session",
            "Remaining value"),
    }  # fmt: skip


TARGETED = {  # what the issue's 40 ms target is about
    "page_contracts_default", "page_contracts_vendor_by_remaining",
    "page_contracts_active_by_end_p3", "page_contracts_search_type", "api_contracts_default",
    "api_contracts_active_by_remaining_p2", "page_scorecards", "page_vendor_scorecard",
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=5, help="random seed of the data")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    os.environ.update(server_env("config.settings.production"))
    print("Building the benchmark database ...", flush=True)
    t0 = time.perf_counter()
    fresh_database()
    import django

    django.setup()
    from django.test import Client
    from rest_framework.authtoken.models import Token

    built = build(random.Random(args.seed))
    from django.db import connection

    with connection.cursor() as cursor:  # as autovacuum would after a bulk load: fresh statistics
        cursor.execute("ANALYZE")
    counts = built["counts"]
    print(f"  {counts} in {time.perf_counter() - t0:.1f} s")
    print(f"  invoices: {counts['invoices']:,} (remaining value = current value - invoiced)")
    manager = built["manager"]
    token = Token.objects.create(user=manager).key
    headers = {
        "session": {"Cookie": f"sessionid={session_cookie(manager)}"},
        "token": {"Authorization": f"Token {token}"},
    }
    client = Client()
    client.force_login(manager)
    plan = targets(built)
    queries = {}
    for name, (path, _, _) in plan.items():
        client.get(path)  # warm
        status, n = queries_of(client, path)
        assert status == 200, f"{path} answered {status}"
        queries[name] = n

    results: dict[str, dict] = {}
    app = Server("config.wsgi", "config.settings.production", args.workers, "/healthz")
    base = f"http://127.0.0.1:{app.port}"
    try:
        for name, (path, auth, expect) in plan.items():
            status, body = fetch(base + path, headers[auth])
            assert status == 200 and expect.encode() in body, f"{path}: {status}"
            wrk(base + path, headers[auth], 2)  # warm every worker
            results[name] = {**wrk(base + path, headers[auth], args.duration),
                             "queries": queries[name], "bytes": len(body)}  # fmt: skip
            print(f"  {name:38} {results[name]}", flush=True)
    finally:
        app.stop()

    ref_path = f"/ref/{CODE}/contracts/"
    ref = Server("bench.bench_vendors:reference_app", "bench.reference_settings", args.workers,
                 ref_path)  # fmt: skip
    try:
        status, body = fetch(f"http://127.0.0.1:{ref.port}{ref_path}", {})
        assert status == 200 and body.count(b'"key"') == 50, "the reference must return 50 rows"
        wrk(f"http://127.0.0.1:{ref.port}{ref_path}", {}, 2)
        results["reference_bare_django"] = {
            **wrk(f"http://127.0.0.1:{ref.port}{ref_path}", {}, args.duration),
            "queries": 1, "bytes": len(body),
        }  # fmt: skip
        print(f"  {'reference_bare_django':38} {results['reference_bare_django']}", flush=True)
    finally:
        ref.stop()

    reference = results["reference_bare_django"]["p50_ms"]
    print()
    print(f"Vendors benchmark: {counts['contracts']} contracts, {counts['sla_measurements']:,} "
          f"SLA measurements, one request at a time (wrk -t1 -c1, {args.duration} s each), "
          f"gunicorn x{args.workers}")  # fmt: skip
    print(f"{'request':40} {'p50 ms':>8} {'p90 ms':>8} {'x ref':>7} {'queries':>8}  target")
    summary = {}
    for name, r in results.items():
        ratio = r["p50_ms"] / reference if reference else None
        flag = ""
        if name in TARGETED:
            flag = "ok" if r["p50_ms"] <= TARGET_P50_MS and r["errors"] == 0 else "MISSED"
        summary[name] = {**r, "ratio_p50_to_reference": round(ratio, 2) if ratio else None}
        if flag:
            summary[name]["meets_target"] = flag == "ok"
        print(f"{name:40} {r['p50_ms']:8.2f} {r['p90_ms']:8.2f} {ratio:7.1f} {r['queries']:8}  "
              f"{flag}")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared with PostgreSQL)")
    print(json.dumps({
        "benchmark": "vendors", "rows": counts, "target_p50_ms": TARGET_P50_MS,
        "workers": args.workers, "results": summary,
        "all_met": all(summary[n].get("meets_target", True) for n in summary),
        "invoices_note": f"{counts['invoices']} invoices; remaining value from budgets' subquery",
        "load_average": round(os.getloadavg()[0], 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
