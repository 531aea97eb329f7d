"""List endpoint and page benchmark: seed at scale, serve with gunicorn, load with wrk.

Measures, for 100-row workstream and activity lists (JSON API and HTML pages):
  - latency of one request at a time (p50, p90; wrk -t1 -c1)
  - throughput under load (requests/s; wrk -t2 -c16, as the issue's reference points)
and the same for a bare Django view returning 100 rows, served the same way in the same run.
Targets: p50 <= 15 ms and >= 400 requests/s. Ends with one line of JSON.

    .venv/bin/python bench/run_lists.py [--duration 10] [--workers 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/programoffice_bench"
)
CODE = "SCALE001"
TARGET_P50_MS = 15.0
TARGET_RPS = 400.0
SECRET_KEY = secrets.token_urlsafe(60)  # one per run: sessions made by the seeder must verify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(settings: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=DB_URL,
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def prepare_database(scale_workstreams: int) -> dict[str, str]:
    """Fresh database, migrated and seeded; returns an API token and a session cookie."""
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
    run = lambda *args: subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: E731
    run("migrate", "--noinput", "-v", "0")
    run("seed_demo", "--scale", "1", "--workstreams", str(scale_workstreams), "--members", "30")
    run("collectstatic", "--noinput", "-v", "0")
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", SESSION_SNIPPET],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


SESSION_SNIPPET = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from core.models import User
user = User.objects.get(email="pm@example.com")
token, _ = Token.objects.get_or_create(user=user)
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
print(json.dumps({"token": token.key, "session": s.session_key}))
"""


class Server:
    def __init__(self, settings: str, workers: int, probe: str = "/healthz"):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [GUNICORN, "config.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers",
             str(workers), "--log-level", "warning"],
            cwd=ROOT, env=server_env(settings), start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{probe}", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()  # never leave a half-started server behind
        raise RuntimeError(f"gunicorn ({settings}) did not answer {probe}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # it may have died already
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=20)


def wrk(url: str, headers: dict[str, str], *, threads: int, conns: int, seconds: int) -> dict:
    args = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = {
        m.group(1): _ms(m.group(2))
        for m in re.finditer(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M)
    }
    return {"rps": rps, "p50_ms": lat.get("50"), "p90_ms": lat.get("90"), "p99_ms": lat.get("99"),
            "errors": int(non2xx.group(1)) if non2xx else 0}  # fmt: skip


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def check(url: str, headers: dict[str, str], expect: str) -> None:
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read().decode()
    assert expect in body, f"{url} did not contain {expect!r}"


def measure(url: str, headers: dict[str, str], seconds: int) -> dict:
    wrk(url, headers, threads=1, conns=4, seconds=2)  # warm every worker
    single = wrk(url, headers, threads=1, conns=1, seconds=seconds)
    loaded = wrk(url, headers, threads=2, conns=16, seconds=seconds)
    return {
        "p50_ms": single["p50_ms"],
        "p90_ms": single["p90_ms"],
        "rps": loaded["rps"],
        "loaded_p50_ms": loaded["p50_ms"],
        "errors": single["errors"] + loaded["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    print("Seeding the benchmark database ...", flush=True)
    creds = prepare_database(scale_workstreams=150)
    api = {"Authorization": f"Token {creds['token']}"}
    page = {"Cookie": f"sessionid={creds['session']}"}

    results: dict[str, dict] = {}
    server = Server("config.settings.production", args.workers)
    base = f"http://127.0.0.1:{server.port}"
    targets = {
        "api_workstreams": (f"{base}/api/v1/programs/{CODE}/workstreams/?page_size=100", api,
                            "WS-100"),
        "api_activity": (f"{base}/api/v1/programs/{CODE}/activity/?page_size=100", api,
                         '"changes"'),
        "page_workstreams": (f"{base}/programs/{CODE}/workstreams/?per_page=100", page, "WS-100"),
        "page_activity": (f"{base}/programs/{CODE}/activity/?per_page=100", page, "Workstream 1"),
    }  # fmt: skip
    try:
        for name, (url, headers, expect) in targets.items():
            check(url, headers, expect)
            results[name] = measure(url, headers, args.duration)
            print(f"  {name:18} {results[name]}", flush=True)
    finally:
        server.stop()

    ref_server = Server("bench.reference_settings", args.workers, probe=f"/ref/{CODE}/workstreams/")
    try:
        url = f"http://127.0.0.1:{ref_server.port}/ref/{CODE}/workstreams/"
        check(url, {}, "WS-1")
        results["reference_bare_django"] = measure(url, {}, args.duration)
        print(f"  {'reference':18} {results['reference_bare_django']}", flush=True)
    finally:
        ref_server.stop()

    ref = results["reference_bare_django"]
    print(f"\n{'endpoint':20} {'p50 ms':>8} {'p90 ms':>8} {'req/s':>8} {'x ref rps':>10}  target")
    summary = {}
    for name, r in results.items():
        ok = r["p50_ms"] <= TARGET_P50_MS and r["rps"] >= TARGET_RPS and r["errors"] == 0
        ratio = r["rps"] / ref["rps"]
        summary[name] = {**r, "rps_ratio_to_reference": round(ratio, 3)}
        if name != "reference_bare_django":
            summary[name]["meets_target"] = ok
        flag = "" if name == "reference_bare_django" else ("ok" if ok else "MISSED")
        print(
            f"{name:20} {r['p50_ms']:8.2f} {r['p90_ms']:8.2f} {r['rps']:8.1f} {ratio:10.2f}  {flag}"
        )
    print(json.dumps({"benchmark": "lists", "targets": {"p50_ms": TARGET_P50_MS, "rps": TARGET_RPS},
                      "workers": args.workers, "results": summary}))  # fmt: skip


if __name__ == "__main__":
    main()
