"""Budgets benchmark: the variance export of a program with 100,000 actual cost entries, and the
budget overview and variance pages of that program.

Builds, in its own PostgreSQL database (dropped and rebuilt each run), two programs of the same
shape: 200 budget lines (20 workstreams x 10 categories) with 24 months of plan and latest
forecasts, and actual cost entries spread over the closed months: BGT100K with 100,000 of them,
BGT10K with 10,000. Bulk-loaded, then ANALYZE. Measures:

  - the CSV export over HTTP (gunicorn, production settings): time to the first byte, to the
    first data row and to the end; the XLSX export to the end;
  - peak RSS (ru_maxrss) of a child process that runs each export for 10k and for 100k entries,
    and of the same child doing nothing but start Django (its baseline);
  - the queries of the overview and variance pages (`budgets:overview`, `budgets:variance`)
    for both programs (they must not grow with rows), and their p50/p90 (`wrk -t1 -c1`);
  - references measured in the same run: PostgreSQL writing the same line x month aggregate as
    CSV itself (`COPY ... TO STDOUT`, no Python) for the export, and a bare Django view (no
    middleware) running the ledger's four aggregate queries as JSON for the pages.

Targets (issue 6): first byte of the CSV under 1 s; peak memory that does not grow with rows;
the pages in at most 100 ms p50 with a query count that does not grow. Ends with one JSON line.

    .venv/bin/python bench/bench_budgets.py [--duration 8] [--workers 2] [--entries 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
DB_URL = os.environ.get(
    "BENCH_BUDGETS_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/programoffice_bench_budgets",
)
WORKSTREAMS, CATEGORIES, MONTHS = 20, 10, 24
FIRST_MONTH = dt.date(2025, 1, 1)
TARGET_P50_MS, TARGET_FIRST_BYTE_S = 100.0, 1.0


def house():
    """bench_vendors' helpers (database, gunicorn, wrk), pointed at this benchmark's database."""
    from bench import bench_vendors

    bench_vendors.DB_URL = DB_URL
    return bench_vendors


def month(index: int) -> dt.date:
    return dt.date(FIRST_MONTH.year + index // 12, index % 12 + 1, 1)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def build_program(code: str, entries: int, rng: random.Random, manager) -> dict:
    from budgets.models import BudgetLine, CostCategory, CostEntry, ForecastEntry, PlanAmount
    from budgets.services import actual_months
    from core.audit_guard import bulk_writes_allowed
    from core.keys import allocate_number
    from programs import services as program_services
    from programs.models import Workstream

    program = program_services.program_create(
        actor=manager, code=code, name=f"Budget benchmark, {entries:,} cost entries",
        start_date=dt.date(2025, 1, 6), end_date=dt.date(2026, 12, 31), currency="EUR",
        time_zone="Europe/Berlin",
    )  # fmt: skip
    today = dt.date.today().replace(day=1)
    closed = [month(i) for i in range(MONTHS) if month(i) < today] or [month(0)]

    def keyed(model, objs, prefix):
        last = allocate_number(program_id=program.pk, prefix=prefix, count=len(objs))
        for n, obj in enumerate(objs, last - len(objs) + 1):
            obj.key, obj.number = f"{prefix}-{n}", n
        return bulk(model, objs)

    def bulk(model, objs):
        with bulk_writes_allowed():
            return model.objects.bulk_create(objs, batch_size=5000)

    workstreams = keyed(Workstream, [
        Workstream(program=program, name=f"Workstream {i:02d}") for i in range(WORKSTREAMS)
    ], "WS")  # fmt: skip
    categories = bulk(CostCategory, [
        CostCategory(program=program, name=f"Category {i:02d}", position=i,
                     expense_type="capex" if i % 3 else "opex")
        for i in range(CATEGORIES)
    ])  # fmt: skip
    lines = keyed(BudgetLine, [
        BudgetLine(program=program, workstream=w, category=c, name=f"{w.name} / {c.name}")
        for w in workstreams for c in categories
    ], "BL")  # fmt: skip
    plans, forecasts = [], []
    for line in lines:
        monthly = Decimal(rng.randint(20, 400) * 250)
        for i in range(MONTHS):
            plans.append(PlanAmount(program=program, line=line, month=month(i), amount=monthly))
            forecasts.append(ForecastEntry(
                program=program, line=line, month=month(i), as_of=today, is_latest=True,
                amount=(monthly * Decimal(rng.uniform(0.8, 1.2))).quantize(Decimal("0.01")),
            ))  # fmt: skip
    bulk(PlanAmount, plans)
    bulk(ForecastEntry, forecasts)
    batch = []
    for n in range(entries):
        batch.append(CostEntry(
            program=program, line=lines[n % len(lines)], month=rng.choice(closed),
            amount=Decimal(rng.randint(-5000, 250000)) / 100, source="manual",
            posted_on=today, description=f"Entry {n}",
        ))  # fmt: skip
        if len(batch) == 20000:
            bulk(CostEntry, batch)
            batch = []
    if batch:
        bulk(CostEntry, batch)
    actual_months.rebuild(program.pk)  # the monthly sums the services keep, built once here
    return {"program": program, "lines": len(lines), "plan_months": len(plans),
            "forecasts": len(forecasts), "cost_entries": entries}  # fmt: skip


def build(entries: int) -> dict:
    import secrets

    from core.models import User

    manager = User.objects.create_user(
        email="finance@example.com", password=secrets.token_urlsafe(16), full_name="Fatima Diaz",
        can_create_programs=True,
    )  # fmt: skip
    rng = random.Random(6)
    big = build_program("BGT100K", entries, rng, manager)
    small = build_program("BGT10K", entries // 10, rng, manager)
    return {"manager": manager, "big": big, "small": small}


# ---------------------------------------------------------------------------------------------
# The child process for peak memory
# ---------------------------------------------------------------------------------------------


def child(code: str, kind: str) -> None:
    """Run one export to /dev/null; print the peak RSS (KiB, ru_maxrss) after Django's start and
    after the export, and the peak of the Python heap during the export (tracemalloc): the RSS
    high-water mark can hide a small export under memory freed at start-up."""
    import django

    django.setup()
    import openpyxl  # noqa: F401 - loaded before the baseline, as a worker has it

    from budgets import exports
    from programs.models import Program

    program = Program.objects.get(code=code)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    filters = exports.ReportFilters()
    tracemalloc.start()
    if kind == "csv":
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for chunk in exports.csv_stream(program, filters):
                sink.write(chunk)
    elif kind == "xlsx":
        with open(os.devnull, "wb") as sink:
            exports.xlsx_write(sink, program, filters)
    heap_peak = tracemalloc.get_traced_memory()[1] // 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"baseline_kib": baseline, "peak_kib": peak, "heap_peak_kib": heap_peak}))


def peak_rss(code: str, kind: str) -> dict:
    env = house().server_env("config.settings.production")
    out = subprocess.run(
        [PY, __file__, "--child", code, kind], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# The references
# ---------------------------------------------------------------------------------------------

AGGREGATE_SQL = """
COPY (
  SELECT l.key, l.name, m.month, COALESCE(p.amount, 0) AS plan, f.amount AS forecast,
         COALESCE(c.total, 0) AS actual, COALESCE(c.total, 0) - COALESCE(p.amount, 0) AS variance
  FROM budgets_budgetline l
  CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 month') AS m(month)
  LEFT JOIN budgets_planamount p ON p.line_id = l.id AND p.month = m.month
  LEFT JOIN budgets_forecastentry f ON f.line_id = l.id AND f.month = m.month AND f.is_latest
  LEFT JOIN (SELECT line_id, month, SUM(amount) AS total FROM budgets_costentry
             WHERE program_id = %(program)s GROUP BY line_id, month) c
         ON c.line_id = l.id AND c.month = m.month
  WHERE l.program_id = %(program)s ORDER BY l.number, m.month
) TO STDOUT WITH CSV HEADER
"""


def copy_reference(program) -> dict:
    """PostgreSQL writes the line x month aggregate as CSV itself: the floor for the export."""
    from django.db import connection

    sql = AGGREGATE_SQL % {
        "first": f"'{month(0)}'", "last": f"'{month(MONTHS - 1)}'", "program": program.pk,
    }  # fmt: skip
    sink = open(os.devnull, "w")  # noqa: SIM115 - closed below
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, sink)
    seconds = time.perf_counter() - start
    sink.close()
    return {"total_s": round(seconds, 3)}


def _reference_ledger(request, code):
    from django.http import JsonResponse

    from budgets.selectors.ledger import ledger
    from programs.models import Program

    book = ledger(Program.objects.get(code=code))
    total = book.total()
    return JsonResponse({"plan": str(total.plan), "actual": str(total.actual),
                         "eac": str(book.eac()), "lines": len(book.lines)})  # fmt: skip


def __getattr__(name: str):
    if name == "urlpatterns":
        from django.urls import path

        return [path("ref/<str:code>/ledger/", _reference_ledger)]
    raise AttributeError(name)


_reference_handler = None


def reference_app(environ, start_response):
    global _reference_handler
    if _reference_handler is None:
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        _reference_handler = get_wsgi_application()
        settings.ROOT_URLCONF = "bench.bench_budgets"
    return _reference_handler(environ, start_response)


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def download(url: str, headers: dict[str, str]) -> dict:
    """Time to the first byte, to the first data row (the second line) and to the end."""
    request = urllib.request.Request(url, headers=headers)
    start = time.perf_counter()
    first_byte = first_row = None
    size, newlines = 0, 0
    with urllib.request.urlopen(request, timeout=300) as response:
        assert response.status == 200, f"{url}: {response.status}"
        while True:
            chunk = response.read1(65536)
            if not chunk:
                break
            now = time.perf_counter() - start
            first_byte = first_byte if first_byte is not None else now
            newlines += chunk.count(b"\n")
            if first_row is None and newlines >= 2:
                first_row = now
            size += len(chunk)
    total = time.perf_counter() - start
    return {
        "first_byte_s": round(first_byte or total, 3),
        "first_row_s": round(first_row or total, 3),
        "total_s": round(total, 3),
        "bytes": size,
    }


def page_targets() -> dict[str, str]:
    """URL name -> label for the pages that exist (their areas may land separately)."""
    from django.urls import NoReverseMatch, reverse

    found = {}
    for name in ("budgets:overview", "budgets:variance"):
        try:
            reverse(name, kwargs={"code": "X"})
            found[name] = name.split(":")[1]
        except NoReverseMatch:
            print(f"  {name} does not exist yet: not measured")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--entries", type=int, default=100_000, help="cost entries (big program)")
    parser.add_argument("--child", nargs=2, metavar=("CODE", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    hv = house()
    os.environ.update(hv.server_env("config.settings.production"))
    print("Building the benchmark database ...", flush=True)
    t0 = time.perf_counter()
    hv.fresh_database()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    built = build(args.entries)
    with connection.cursor() as cursor:  # as autovacuum would after a bulk load
        cursor.execute("ANALYZE")
    sizes = {k: {n: v for n, v in built[k].items() if n != "program"} for k in ("big", "small")}
    print(f"  {sizes} in {time.perf_counter() - t0:.1f} s", flush=True)
    manager = built["manager"]
    big, small = built["big"]["program"], built["small"]["program"]
    headers = {"Cookie": f"sessionid={hv.session_cookie(manager)}"}

    # queries of the pages, in-process, for 10k and 100k entries
    pages = page_targets()
    client = Client()
    client.force_login(manager)
    queries: dict[str, dict[str, int]] = {}
    for name, label in pages.items():
        queries[label] = {}
        for program in (small, big):
            path = reverse(name, kwargs={"code": program.code})
            client.get(path)
            status, n = hv.queries_of(client, path)
            assert status == 200, f"{path} answered {status}"
            queries[label][program.code] = n

    # peak memory of each export in a child process
    memory = {f"{kind}_{p.code}": peak_rss(p.code, kind)
              for kind in ("none", "csv", "xlsx") for p in (small, big)}  # fmt: skip
    for key, value in memory.items():
        print(f"  peak RSS {key:14} {value['peak_kib'] / 1024:7.1f} MiB "
              f"(Django started: {value['baseline_kib'] / 1024:.1f} MiB), Python heap peak "
              f"of the export {value['heap_peak_kib'] / 1024:.1f} MiB", flush=True)  # fmt: skip

    copy_ref = copy_reference(big)
    results: dict[str, dict] = {}
    app = hv.Server("config.wsgi", "config.settings.production", args.workers, "/healthz")
    base = f"http://127.0.0.1:{app.port}"
    try:
        csv_url = base + reverse("budgets:export_csv", kwargs={"code": big.code})
        xlsx_url = base + reverse("budgets:export_xlsx", kwargs={"code": big.code})
        download(csv_url, headers)  # warm
        results["export_csv"] = download(csv_url, headers)
        results["export_xlsx"] = download(xlsx_url, headers)
        for key in ("export_csv", "export_xlsx"):
            print(f"  {key:22} {results[key]}", flush=True)
        for name, label in pages.items():
            path = reverse(name, kwargs={"code": big.code})
            hv.wrk(base + path, headers, 2)  # warm every worker
            results[f"page_{label}"] = {**hv.wrk(base + path, headers, args.duration),
                                        "queries": queries[label]}  # fmt: skip
            print(f"  page_{label:17} {results[f'page_{label}']}", flush=True)
    finally:
        app.stop()
    ref_path = f"/ref/{big.code}/ledger/"
    ref = hv.Server("bench.bench_budgets:reference_app", "bench.reference_settings",
                    args.workers, ref_path)  # fmt: skip
    try:
        hv.wrk(f"http://127.0.0.1:{ref.port}{ref_path}", {}, 2)
        results["reference_ledger_json"] = hv.wrk(
            f"http://127.0.0.1:{ref.port}{ref_path}", {}, args.duration
        )
    finally:
        ref.stop()

    reference_ms = results["reference_ledger_json"]["p50_ms"]
    csv_r, xlsx_r = results["export_csv"], results["export_xlsx"]
    print()
    print(
        f"Budgets benchmark: {sizes['big']['lines']} lines x {MONTHS} months, "
        f"{args.entries:,} cost entries (and {args.entries // 10:,}), gunicorn x{args.workers}"
    )
    print(
        f"CSV export   first byte {csv_r['first_byte_s']:.3f} s, first row "
        f"{csv_r['first_row_s']:.3f} s, total {csv_r['total_s']:.2f} s "
        f"({csv_r['bytes'] / 1e6:.1f} MB; PostgreSQL COPY of the same aggregate "
        f"{copy_ref['total_s']:.2f} s, x{csv_r['total_s'] / copy_ref['total_s']:.1f})"
    )
    print(f"XLSX export  total {xlsx_r['total_s']:.2f} s ({xlsx_r['bytes'] / 1e6:.1f} MB)")
    for kind in ("csv", "xlsx"):
        lo, hi = memory[f"{kind}_{small.code}"], memory[f"{kind}_{big.code}"]
        print(f"peak RSS {kind:4}  10k entries {lo['peak_kib'] / 1024:.1f} MiB, 100k entries "
              f"{hi['peak_kib'] / 1024:.1f} MiB (Django alone {hi['baseline_kib'] / 1024:.1f} MiB);"
              f" heap peak of the export {lo['heap_peak_kib'] / 1024:.1f} MiB vs "
              f"{hi['heap_peak_kib'] / 1024:.1f} MiB")  # fmt: skip
    summary: dict[str, dict] = {}
    for key in [k for k in results if k.startswith("page_")]:
        r = results[key]
        flat = len(set(r["queries"].values())) == 1
        ok = r["p50_ms"] <= TARGET_P50_MS and r["errors"] == 0 and flat
        summary[key] = {**r, "ratio_p50_to_reference": round(r["p50_ms"] / reference_ms, 2),
                        "queries_flat": flat, "meets_target": ok}  # fmt: skip
        print(f"{key:16} p50 {r['p50_ms']:7.2f} ms  p90 {r['p90_ms']:7.2f} ms  "
              f"x{r['p50_ms'] / reference_ms:5.1f} ref  queries {r['queries']}  "
              f"{'ok' if ok else 'MISSED'}")  # fmt: skip
    print(f"reference (bare Django, the ledger's aggregates as JSON) p50 {reference_ms:.2f} ms")
    growth = {
        f"{k}_{m}": round(memory[f"{k}_{big.code}"][m] / max(memory[f"{k}_{small.code}"][m], 1), 2)
        for k in ("csv", "xlsx")
        for m in ("peak_kib", "heap_peak_kib")
    }
    summary["export_csv"] = {
        **csv_r,
        "meets_target": csv_r["first_byte_s"] < TARGET_FIRST_BYTE_S,
        "ratio_total_to_copy": round(csv_r["total_s"] / copy_ref["total_s"], 1),
    }
    summary["export_xlsx"] = xlsx_r
    summary["reference_ledger_json"] = results["reference_ledger_json"]
    summary["reference_copy_csv"] = copy_ref
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared with PostgreSQL)")
    print(json.dumps({
        "benchmark": "budgets", "rows": sizes, "targets": {"p50_ms": TARGET_P50_MS,
        "csv_first_byte_s": TARGET_FIRST_BYTE_S}, "workers": args.workers, "results": summary,
        "peak_rss_kib": memory, "peak_rss_growth_100k_over_10k": growth,
        "load_average": round(os.getloadavg()[0], 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
