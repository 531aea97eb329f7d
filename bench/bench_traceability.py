"""Traceability benchmark: the matrix of 2,000 requirements, 6,000 test cases and 1,000 defects.

Builds, in its own PostgreSQL database (dropped and rebuilt each run), program TRACE2K with 2,000
requirements, 6,000 test cases (each linked to 1-3 requirements, planned into two cycles, most of
them run), 1,000 defects in every state, deliverables, change requests and three releases
(`releases.bench_data`, bulk-inserted), then ANALYZE; and TRACE50, the same shape at 1/40 of
the size, to show that the queries do not grow with the rows. Measures in-process through the
Django test client (production settings, a signed-in manager), ~30 requests each after a warm-up:

  - the matrix page (`releases:traceability`): the first page, a gap filter (`gap=failing`), a
    search (`q=invoice`), and the htmx fragment of a gap filter; the first page again with the
    rendered rows not in the fragment cache (every request renders them);
  - the CSV export of the whole matrix (2,000 rows), read to the end;
  - the selector alone (`matrix_page`, no rendering), to split database from template time.

Prints p50/p90 and the queries of each (TRACE50 vs TRACE2K), then one line of JSON.
Target (issue 7): p50 <= 250 ms for the matrix page with a query count that does not grow.

    .venv/bin/python bench/bench_traceability.py [--requests 30] [--requirements 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get(
    "BENCH_TRACEABILITY_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/programoffice_bench_traceability",
)
TARGET_P50_MS = 250.0
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}


def house():
    """bench_vendors' helpers (database, settings), pointed at this benchmark's database."""
    from bench import bench_vendors

    bench_vendors.DB_URL = DB_URL
    return bench_vendors


def build(requirements: int) -> dict:
    import secrets

    from core.models import User
    from programs import services as program_services
    from releases.bench_data import build_traceability

    manager = User.objects.create_user(
        email="pm@example.com", password=secrets.token_urlsafe(16), full_name="Priya Raman",
        can_create_programs=True,
    )  # fmt: skip
    built = {"manager": manager}
    for code, scale in (("TRACE2K", 1), ("TRACE50", 40)):
        program = program_services.program_create(
            actor=manager, code=code, name=f"Traceability benchmark {code}",
            start_date=dt.date(2026, 1, 5), end_date=dt.date(2027, 12, 31), currency="EUR",
            time_zone="Europe/Berlin",
        )  # fmt: skip
        counts = build_traceability(
            program, manager, requirements=requirements // scale,
            cases=3 * requirements // scale, defects=requirements // 2 // scale,
        )  # fmt: skip
        built[code] = {"program": program, "counts": counts}
    return built


def reuse() -> dict:
    """The programs and manager of the last run's database (`--reuse`)."""
    from core.models import User
    from programs.models import Program
    from releases.models import Defect, Requirement, TestCase, TestRun

    built: dict = {"manager": User.objects.get(email="pm@example.com")}
    for code in ("TRACE2K", "TRACE50"):
        program = Program.objects.get(code=code)
        counts = {
            "requirements": Requirement.objects.filter(program=program).count(),
            "test_cases": TestCase.objects.filter(program=program).count(),
            "case_links": TestCase.requirements.through.objects.filter(
                testcase__program=program
            ).count(),
            "runs": TestRun.objects.filter(program=program).count(),
            "defects": Defect.objects.filter(program=program).count(),
        }
        built[code] = {"program": program, "counts": counts}
    return built


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, repeat: int, warm: int = 3) -> dict:
    for _ in range(warm):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p90_ms": round(percentile(samples, 0.9), 1),
        "min_ms": round(min(samples), 1),
        "requests": repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per target")
    parser.add_argument("--requirements", type=int, default=2000)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database the last run built"
    )
    args = parser.parse_args()
    hv = house()
    os.environ.update(hv.server_env("config.settings.production"))
    t0 = time.perf_counter()
    if not args.reuse:
        print("Building the benchmark database ...", flush=True)
        hv.fresh_database()
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from releases.selectors import traceability as selectors

    built = reuse() if args.reuse else build(args.requirements)
    with connection.cursor() as cursor:  # as autovacuum would after a bulk load
        cursor.execute("ANALYZE")
    for code in ("TRACE2K", "TRACE50"):
        print(f"  {code}: {built[code]['counts']}", flush=True)
    print(f"  built in {time.perf_counter() - t0:.1f} s", flush=True)

    client = Client()
    client.force_login(built["manager"])
    targets = {
        "page_first": ({}, {}),
        "page_gap_failing": ({"gap": "failing"}, {}),
        "page_search": ({"q": "invoice"}, {}),
        "fragment_gap_failing": ({"gap": "failing"}, HTMX),
    }

    def get(code: str, params: dict, extra: dict, path: str = "releases:traceability"):
        response = client.get(reverse(path, kwargs={"code": code}), params, **extra)
        assert response.status_code == 200, f"{path} {params}: {response.status_code}"
        if response.streaming:
            return b"".join(response.streaming_content)
        return response.content

    def queries(code: str, params: dict, extra: dict, path: str = "releases:traceability") -> int:
        with CaptureQueriesContext(connection) as ctx:
            get(code, params, extra, path)
        return len(ctx.captured_queries)

    def selected(program, filters):
        with transaction.atomic():  # as in a request (ATOMIC_REQUESTS)
            return selectors.matrix_page(program, filters).rows

    results: dict[str, dict] = {}
    for name, (params, extra) in targets.items():
        counts = {code: queries(code, params, extra) for code in ("TRACE50", "TRACE2K")}
        stats = timed(lambda p=params, e=extra: get("TRACE2K", p, e), args.requests)
        results[name] = {**stats, "queries": counts}
        print(f"  {name:22} {results[name]}", flush=True)

    # the same first page with the rendered rows not cached yet (each request renders them)
    from django.core.cache import caches

    def cold_page():
        caches["fragments"].clear()
        return get("TRACE2K", {}, {})

    results["page_first_cold_rows"] = {
        **timed(cold_page, args.requests),
        "queries": results["page_first"]["queries"],
    }
    print(f"  {'page_first_cold_rows':22} {results['page_first_cold_rows']}", flush=True)

    csv_body = get("TRACE2K", {}, {}, "releases:traceability_csv")
    csv_rows = csv_body.count(b"\r\n") - 1
    counts = {
        code: queries(code, {}, {}, "releases:traceability_csv") for code in ("TRACE50", "TRACE2K")
    }
    stats = timed(lambda: get("TRACE2K", {}, {}, "releases:traceability_csv"),
                  max(args.requests // 3, 5), warm=1)  # fmt: skip
    results["export_csv"] = {**stats, "queries": counts, "rows": csv_rows,
                             "bytes": len(csv_body)}  # fmt: skip
    print(f"  {'export_csv':22} {results['export_csv']}", flush=True)

    program = built["TRACE2K"]["program"]
    for name, params in (("selector_first", {}), ("selector_gap_failing", {"gap": "failing"})):
        filters, _ = selectors.parse_filters(program, params)
        results[name] = timed(lambda f=filters: selected(program, f), args.requests)
        print(f"  {name:22} {results[name]}", flush=True)

    print()
    sizes = built["TRACE2K"]["counts"]
    print(f"Traceability benchmark: {sizes['requirements']:,} requirements, "
          f"{sizes['test_cases']:,} test cases ({sizes['case_links']:,} links, "
          f"{sizes['runs']:,} runs), {sizes['defects']:,} defects; test client, production "
          f"settings, {args.requests} requests each")  # fmt: skip
    summary: dict[str, dict] = {}
    for name, r in results.items():
        flat = "queries" not in r or len(set(r["queries"].values())) == 1
        page = name.startswith(("page_", "fragment_"))
        ok = (r["p50_ms"] <= TARGET_P50_MS and flat) if page else None
        summary[name] = {**r, "queries_flat": flat, "meets_target": ok}
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"{name:22} p50 {r['p50_ms']:7.1f} ms  p90 {r['p90_ms']:7.1f} ms  "
              f"queries {r.get('queries', '-')}  {verdict}")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(json.dumps({
        "benchmark": "traceability", "rows": sizes, "targets": {"p50_ms": TARGET_P50_MS},
        "results": summary, "load_average": round(os.getloadavg()[0], 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
