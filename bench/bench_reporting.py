"""Reporting benchmark: the weekly executive briefing of a large program, and a hundred programs'
briefings sent by real Celery workers.

Builds, in its own PostgreSQL database (dropped and rebuilt each run):
  - RPT-BIG: 5,000 WBS items and 5,000 links (schedules.demo.build_scaled_schedule) with a
    current baseline, 500 RAID items (350 risks, 150 issues) and 12 months of budget (200 lines
    = 20 workstreams x 10 categories, plan and forecast for each month, 20,000 actual cost
    entries in the closed months);
  - RPT001..RPT100: the same shape at a tenth of the size (500 items, 50 RAID items, 20 budget
    lines), each with one weekly subscription sending to one e-mail address.

(a) In this process, on the big program: `reporting.collect.collect` + `reporting.pdf.briefing`
    + `reporting.pdf.deck` (what one worker does for one briefing), cold and best of N, with the
    peak of the Python heap (tracemalloc) and the process's peak RSS (ru_maxrss). Reference in
    the same run: the same pipeline on a small program. Target (issue 8): at most 3 s.
(b) Two real Celery worker processes (`celery -A config worker --pool=solo`, production
    settings) on Redis (127.0.0.1:6379, a DB number of its own, flushed first), e-mail over SMTP
    to an aiosmtpd server in this process. The clock starts when `reporting.send_due_briefings`
    is enqueued (it finds the 100 due subscriptions and enqueues `reporting.deliver_briefing`
    for each: claim, snapshot, PDFs, outbox; the outbox tasks send the e-mails) and stops when
    the 100th e-mail has arrived. Prints the throughput, the mean time per program (end to end
    and from the deliveries' claims) and the ratio to the ideal of two workers doing nothing
    but (a)'s pipeline on the small programs. Checks one e-mail per program, each with both
    PDFs. Target (issue 8): at most 5 minutes.

    .venv/bin/python bench/bench_reporting.py [--repeat 3] [--programs 100] [--redis-db 11]

Ends with one line of JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import gc
import json
import os
import random
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
DB_URL = os.environ.get(
    "BENCH_REPORTING_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/programoffice_bench_reporting",
)
TARGET_ONE_S, TARGET_HUNDRED_S = 3.0, 300.0
MONTHS = 12
TODAY = dt.date.today()
FIRST_MONTH = (TODAY.replace(day=1) - dt.timedelta(days=31 * 7)).replace(day=1)  # 7 closed


def house():
    """bench_vendors' helpers (database, environment), pointed at this benchmark's database."""
    from bench import bench_vendors

    bench_vendors.DB_URL = DB_URL
    return bench_vendors


def month(index: int) -> dt.date:
    n = FIRST_MONTH.month - 1 + index
    return dt.date(FIRST_MONTH.year + n // 12, n % 12 + 1, 1)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def build_program(code: str, *, items: int, raid: int, workstreams: int, categories: int,
                  entries: int, rng: random.Random, manager, sponsor) -> object:  # fmt: skip
    """One program with a baselined schedule, a RAID log and 12 months of budget (bulk rows)."""
    from budgets.models import BudgetLine, CostCategory, CostEntry, ForecastEntry, PlanAmount
    from budgets.services import actual_months
    from core.audit_guard import bulk_writes_allowed
    from core.keys import allocate_number
    from core.permissions import Role
    from programs import services as program_services
    from programs.models import ProgramMembership, Workstream
    from risks.choices import IssueStatus, RiskCategory, RiskStatus
    from risks.models import Issue, Risk
    from schedules import services as schedule_services
    from schedules.demo import build_scaled_schedule

    program = program_services.program_create(
        actor=manager, code=code, name=f"Reporting benchmark {code}: {items:,} WBS items",
        start_date=month(0), end_date=month(MONTHS) - dt.timedelta(days=1), currency="EUR",
        time_zone="Europe/Berlin",
    )  # fmt: skip
    with bulk_writes_allowed():
        ProgramMembership.objects.create(program=program, user=sponsor, role=Role.EXECUTIVE)

    def bulk(model, objs):
        with bulk_writes_allowed():
            return model.objects.bulk_create(objs, batch_size=5000)

    def keyed(model, objs, prefix):
        last = allocate_number(program_id=program.pk, prefix=prefix, count=len(objs))
        for n, obj in enumerate(objs, last - len(objs) + 1):
            obj.key, obj.number = f"{prefix}-{n}", n
        return bulk(model, objs)

    ws = keyed(Workstream, [Workstream(program=program, name=f"Workstream {i:02d}")
                            for i in range(workstreams)], "WS")  # fmt: skip
    build_scaled_schedule(program, items=items, links=items, actor=manager, audit=False)
    schedule_services.baseline_create(actor=manager, program=program, name="Baseline 1")
    # RAID: 70 % risks, 30 % issues
    n_risks = raid * 7 // 10
    risks = []
    for i in range(n_risks):
        ratings = {f: rng.randint(1, 5) for f in Risk.RATING_FIELDS}
        risk = Risk(program=program, owner=manager, workstream=rng.choice(ws),
                    title=f"Risk {i}: vendor or data problem delays the next milestone",
                    status=rng.choices(list(RiskStatus.values), weights=[55, 15, 10, 20])[0],
                    category=rng.choice(list(RiskCategory.values)),
                    cost_impact_amount=Decimal(rng.randint(0, 400) * 1000), **ratings)  # fmt: skip
        risk.refresh_derived()
        risks.append(risk)
    keyed(Risk, risks, Risk.KEY_PREFIX)
    keyed(Issue, [
        Issue(program=program, owner=manager, workstream=rng.choice(ws),
              title=f"Issue {i}: an interface or environment is blocked",
              status=rng.choices(list(IssueStatus.values), weights=[40, 25, 20, 15])[0],
              severity=rng.randint(1, 4), priority=rng.randint(1, 4),
              due_date=TODAY + dt.timedelta(days=rng.randint(-20, 40)))
        for i in range(raid - n_risks)
    ], Issue.KEY_PREFIX)  # fmt: skip
    # budget: workstreams x categories lines, plan and forecast for 12 months, actuals
    cats = bulk(CostCategory, [CostCategory(program=program, name=f"Category {i:02d}", position=i)
                               for i in range(categories)])  # fmt: skip
    lines = keyed(BudgetLine, [BudgetLine(program=program, workstream=w, category=c,
                                          name=f"{w.name} / {c.name}") for w in ws for c in cats],
                  "BL")  # fmt: skip
    closed = [month(i) for i in range(MONTHS) if month(i) < TODAY.replace(day=1)]
    plans, forecasts = [], []
    for line in lines:
        monthly = Decimal(rng.randint(20, 400) * 250)
        for i in range(MONTHS):
            plans.append(PlanAmount(program=program, line=line, month=month(i), amount=monthly))
            forecasts.append(ForecastEntry(
                program=program, line=line, month=month(i), as_of=TODAY.replace(day=1),
                is_latest=True,
                amount=(monthly * Decimal(rng.uniform(0.8, 1.2))).quantize(Decimal("0.01")),
            ))  # fmt: skip
    bulk(PlanAmount, plans)
    bulk(ForecastEntry, forecasts)
    bulk(CostEntry, [
        CostEntry(program=program, line=lines[n % len(lines)], month=rng.choice(closed),
                  amount=Decimal(rng.randint(1000, 250000)) / 100, source="manual",
                  posted_on=TODAY, description=f"Entry {n}")
        for n in range(entries)
    ])  # fmt: skip
    actual_months.rebuild(program.pk)
    return program


def build(programs: int) -> dict:
    from core.models import User

    manager = User.objects.create_user(
        email="pm@example.com", password=secrets.token_urlsafe(16), full_name="Priya Raman",
        can_create_programs=True,
    )  # fmt: skip
    sponsor = User.objects.create_user(email="sponsor@example.com", full_name="Daniel Okafor")
    rng = random.Random(8)
    big = build_program("RPTBIG", items=5000, raid=500, workstreams=20, categories=10,
                        entries=20000, rng=rng, manager=manager, sponsor=sponsor)  # fmt: skip
    small = [
        build_program(f"RPT{n:03d}", items=500, raid=50, workstreams=5, categories=4,
                      entries=2000, rng=rng, manager=manager, sponsor=sponsor)
        for n in range(1, programs + 1)
    ]  # fmt: skip
    return {"manager": manager, "big": big, "small": small}


# ---------------------------------------------------------------------------------------------
# (a) one briefing in one process
# ---------------------------------------------------------------------------------------------


def period_of(program) -> str:
    from budgets.selectors.evm import program_today

    year, week, _ = program_today(program).isocalendar()
    return f"{year}-W{week:02d}"


def pipeline(program) -> dict:
    """collect + briefing + deck once; seconds of each step and the PDFs' sizes."""
    from reporting.collect import collect
    from reporting.pdf import briefing, deck

    t0 = time.perf_counter()
    snapshot = collect(program, period=period_of(program))
    t1 = time.perf_counter()
    one = briefing.render(snapshot)
    t2 = time.perf_counter()
    slides = deck.render(snapshot)
    t3 = time.perf_counter()
    return {"collect": t1 - t0, "briefing": t2 - t1, "deck": t3 - t2, "total": t3 - t0,
            "bytes": len(one) + len(slides), "snapshot": snapshot}  # fmt: skip


def measure_one(program, repeat: int) -> dict:
    from reporting import pptx

    cold = pipeline(program)
    runs = [pipeline(program) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["total"])
    gc.collect()
    tracemalloc.start()
    pipeline(program)
    heap_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t0 = time.perf_counter()
    pptx.render(best["snapshot"])
    return {
        "cold_s": round(cold["total"], 3),
        "best_s": round(best["total"], 3),
        "collect_s": round(best["collect"], 3),
        "briefing_s": round(best["briefing"], 3),
        "deck_s": round(best["deck"], 3),
        "pptx_s": round(time.perf_counter() - t0, 3),
        "pdf_kib": best["bytes"] // 1024,
        "heap_peak_mib": round(heap_peak / 2**20, 1),
        "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


# ---------------------------------------------------------------------------------------------
# (b) a hundred programs through two workers
# ---------------------------------------------------------------------------------------------


class Inbox:
    def __init__(self):
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        pdfs = [part.get_filename() for part in parsed.iter_attachments()
                if part.get_content_type() == "application/pdf"]  # fmt: skip
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "pdfs": pdfs,
                                  "at": time.perf_counter()})  # fmt: skip
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subscribe(programs, manager) -> None:
    from reporting.services.subscriptions import subscription_create

    for program in programs:
        subscription_create(actor=manager, program=program, name="Weekly executive briefing",
                            emails=[f"exec-{program.code.lower()}@example.com"], weekday=0,
                            send_time=dt.time(7, 0))  # fmt: skip


def start_workers(env: dict, count: int, log_dir: Path) -> list[subprocess.Popen]:
    processes = []
    for n in range(1, count + 1):
        log = (log_dir / f"worker{n}.log").open("w")
        processes.append(subprocess.Popen(
            [CELERY, "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING",
             "-n", f"bench-reporting-{n}@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        ))  # fmt: skip
    return processes


def wait_workers(app, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if sum(1 for r in replies for name in r if name.startswith("bench-reporting-")) >= count:
            return
    raise RuntimeError("the workers did not start (see their logs)")


def stop_workers(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def measure_hundred(programs, manager, *, redis_db: int, per_program_s: float) -> dict:
    import redis
    from aiosmtpd.controller import Controller
    from django.db.models import Max, Min

    from config.celery import app
    from reporting.models import Delivery, DeliveryStatus
    from reporting.services.delivery import next_slot
    from reporting.tasks import send_due_briefings_task

    subscribe(programs, manager)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    broker = f"redis://127.0.0.1:6379/{redis_db}"
    redis.Redis.from_url(broker).flushdb()  # this benchmark's own DB number
    app.conf.broker_url = broker
    env = {**house().server_env("config.settings.production"), "CELERY_BROKER_URL": broker,
           "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "PYTHONUNBUFFERED": "1"}  # fmt: skip
    log_dir = Path(tempfile.gettempdir()) / "bench_reporting"
    log_dir.mkdir(exist_ok=True)
    workers = start_workers(env, 2, log_dir)
    try:
        wait_workers(app, 2)
        from reporting.models import Subscription

        # the first Monday 07:00 after the subscriptions were made: every one of them is due
        moment = next_slot(Subscription.objects.first()) + dt.timedelta(minutes=1)
        t0 = time.perf_counter()
        send_due_briefings_task.delay(now=moment.isoformat())
        deadline = t0 + 900
        while inbox.count() < len(programs) and time.perf_counter() < deadline:
            if any(w.poll() is not None for w in workers):
                raise RuntimeError(f"a worker died; logs in {log_dir}")
            time.sleep(0.25)
        elapsed = time.perf_counter() - t0
        time.sleep(3)  # anything sent twice would arrive now
    finally:
        stop_workers(workers)
        smtp.stop()
    messages = inbox.messages
    per_address: dict[str, int] = {}
    for message in messages:
        for address in message["to"]:
            per_address[address] = per_address.get(address, 0) + 1
    deliveries = Delivery.objects.filter(program__in=programs)
    span = deliveries.aggregate(first=Min("claimed_at"), last=Max("queued_at"))
    arrivals = sorted(m["at"] - t0 for m in messages)
    return {
        "programs": len(programs),
        "emails": len(messages),
        "duplicates": sum(n - 1 for n in per_address.values() if n > 1),
        "with_both_pdfs": sum(1 for m in messages if len(m["pdfs"]) == 2),
        "deliveries_sent_or_queued": deliveries.filter(
            status__in=(DeliveryStatus.SENT, DeliveryStatus.QUEUED)
        ).count(),
        "elapsed_s": round(elapsed, 1),
        "first_email_s": round(arrivals[0], 1) if arrivals else None,
        "mean_per_program_s": round(elapsed / max(len(messages), 1), 3),
        "worker_s_per_program": round(2 * elapsed / max(len(messages), 1), 3),
        "throughput_per_min": round(len(messages) / elapsed * 60, 1),
        "ideal_s": round(len(programs) * per_program_s / 2, 1),
        "ratio_to_ideal": round(elapsed / (len(programs) * per_program_s / 2), 2),
        "claims_span_s": round((span["last"] - span["first"]).total_seconds(), 1)
        if span["first"] and span["last"]
        else None,
        "logs": str(log_dir),
    }


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of (a), best taken")
    parser.add_argument("--programs", type=int, default=100, help="programs in (b)")
    parser.add_argument("--redis-db", type=int, default=11, help="Redis DB number for (b)")
    parser.add_argument("--skip-workers", action="store_true", help="only (a)")
    args = parser.parse_args()
    hv = house()
    os.environ.update(hv.server_env("config.settings.production"))
    os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
    print("Building the benchmark database ...", flush=True)
    t0 = time.perf_counter()
    hv.fresh_database()
    import django

    django.setup()
    from django.db import connection

    built = build(args.programs)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  1 program of 5,000 items and {args.programs} of 500 in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip

    big = measure_one(built["big"], args.repeat)
    small = measure_one(built["small"][0], args.repeat)
    print("\n(a) collect + briefing + deck, one process (s)")
    print(f"  {'':34} {'cold':>7} {'best':>7} {'collect':>8} {'briefing':>9} {'deck':>6} "
          f"{'pptx':>6} {'heap MiB':>9}")  # fmt: skip
    for label, r in (("5,000 items, 500 RAID, 12 months", big),
                     ("reference: 500 items, 50 RAID", small)):  # fmt: skip
        print(f"  {label:34} {r['cold_s']:7.3f} {r['best_s']:7.3f} {r['collect_s']:8.3f} "
              f"{r['briefing_s']:9.3f} {r['deck_s']:6.3f} {r['pptx_s']:6.3f} "
              f"{r['heap_peak_mib']:9.1f}")  # fmt: skip
    ratio = big["best_s"] / small["best_s"]
    print(
        f"  big / reference: {ratio:.2f}; peak RSS of this process {big['maxrss_mib']} MiB; "
        f"target <= {TARGET_ONE_S} s: {'met' if big['cold_s'] <= TARGET_ONE_S else 'MISSED'}"
    )

    hundred = None
    if not args.skip_workers:
        hundred = measure_hundred(built["small"], built["manager"], redis_db=args.redis_db,
                                  per_program_s=small["best_s"])  # fmt: skip
        print(f"\n(b) {hundred['programs']} programs, 2 Celery workers, Redis, SMTP")
        for key in ("emails", "duplicates", "with_both_pdfs", "deliveries_sent_or_queued",
                    "elapsed_s", "first_email_s", "mean_per_program_s", "worker_s_per_program",
                    "throughput_per_min", "ideal_s", "ratio_to_ideal"):  # fmt: skip
            print(f"  {key:28} {hundred[key]}")
        met = hundred["emails"] == hundred["programs"] and hundred["elapsed_s"] <= TARGET_HUNDRED_S
        print(
            f"  target <= {TARGET_HUNDRED_S:.0f} s with every e-mail once: "
            f"{'met' if met and not hundred['duplicates'] else 'MISSED'}"
        )
    print(json.dumps({
        "benchmark": "reporting",
        "targets": {"one_briefing_s": TARGET_ONE_S, "hundred_programs_s": TARGET_HUNDRED_S},
        "one": {"big": big, "reference": small, "ratio": round(ratio, 2),
                "meets_target": big["cold_s"] <= TARGET_ONE_S},
        "hundred": hundred,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
