"""A real Celery worker process and a real SMTP server for the integration tests.

The worker runs the test settings against the pytest-django test database and Redis DB 15 (on a
queue of its own), and sends e-mail over SMTP to an aiosmtpd server living in this process.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent.parent
WORKER_BOOT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 30, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Inbox:
    """Collects every message the SMTP server accepts."""

    def __init__(self):
        self.messages: list[dict] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": list(envelope.rcpt_tos),
                    "subject": str(parsed["Subject"]),
                    "to": str(parsed["To"]),
                    "body": parsed.get_body(preferencelist=("plain",)).get_content(),
                    "message": parsed,  # the whole message, for its attachments
                }
            )
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.messages)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


@pytest.fixture(scope="module")
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def smtp_inbox(smtp_server) -> Inbox:
    _, inbox = smtp_server
    inbox.clear()
    return inbox


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, smtp_server, tmp_path_factory):
    """Start `celery -A config worker` on the test database; stop it when the module is done."""
    controller, _ = smtp_server
    broker_url = settings.CELERY_BROKER_URL
    # A queue of our own: another test session on the same Redis DB (a second checkout, CI
    # jobs side by side) runs its own worker against its own test database, and must neither
    # take our tasks nor have its queue flushed by us. Stale tasks cannot reach a fresh queue.
    queue = f"pytest-{os.getpid()}-{socket.gethostname()}"
    saved_queue = celery_app.conf.task_default_queue
    client = redis.Redis.from_url(broker_url)
    client.delete(queue)
    celery_app.conf.task_default_queue = queue  # where .delay() in this process publishes

    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": database_url,
        "TEST_REDIS_URL": broker_url,
        "TEST_EMAIL_URL": f"smtp://{controller.hostname}:{controller.port}",
        "PYTHONUNBUFFERED": "1",
    }
    if db.get("PASSWORD"):
        env["TEST_DATABASE_URL"] = database_url.replace(
            f"//{db['USER']}@", f"//{db['USER']}:{db['PASSWORD']}@"
        )
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    log = log_path.open("w")
    hostname = f"pytest-{os.getpid()}@{socket.gethostname()}"
    process = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "celery"), "-A", "config", "worker",
            "--pool=solo", "--loglevel=INFO", "-n", hostname, "-Q", queue,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def stop():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        log.close()
        celery_app.conf.task_default_queue = saved_queue
        # the queue and kombu's bookkeeping for its exchange of the same name
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")

    try:
        # The worker answers a remote-control ping once it consumes.
        deadline = time.monotonic() + WORKER_BOOT_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited at start:\n{log_path.read_text()[-4000:]}")
            if celery_app.control.ping(destination=[hostname], timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{log_path.read_text()[-4000:]}")
    except BaseException:
        stop()
        raise
    yield process, log_path
    stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    controller, _ = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    return settings


@pytest.fixture
def eager_celery():
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture(scope="module")
def chain_worker(django_db_setup, smtp_server, tmp_path_factory):
    """A worker that, unlike the shared fixture's, also publishes to the test's own queue: the
    escalation task it runs enqueues the send tasks, and those must come back to it."""
    controller, _ = smtp_server
    broker_url = settings.CELERY_BROKER_URL
    queue = f"pytest-chain-{os.getpid()}-{socket.gethostname()}"
    saved_queue = celery_app.conf.task_default_queue
    client = redis.Redis.from_url(broker_url)
    client.delete(queue)
    celery_app.conf.task_default_queue = queue
    db = connection.settings_dict
    auth = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "TEST_REDIS_URL": broker_url,
        "TEST_EMAIL_URL": f"smtp://{controller.hostname}:{controller.port}",
        "PYTHONUNBUFFERED": "1",
    }
    hostname = f"pytest-chain-{os.getpid()}@{socket.gethostname()}"
    script = (
        "import django, sys; django.setup(); from config.celery import app; "
        "app.conf.task_default_queue = sys.argv[1]; "
        "app.worker_main(['worker', '--pool=solo', '--loglevel=INFO', '-n', sys.argv[2], "
        "'-Q', sys.argv[1], '--without-gossip', '--without-mingle', '--without-heartbeat'])"
    )
    log_path = tmp_path_factory.mktemp("chain-celery") / "worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(BASE_DIR / ".venv" / "bin" / "python"), "-c", script, queue, hostname],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def stop():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        log.close()
        celery_app.conf.task_default_queue = saved_queue
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")

    try:
        deadline = time.monotonic() + WORKER_BOOT_SECONDS
        while not celery_app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{log_path.read_text()[-4000:]}")
    except BaseException:
        stop()
        raise
    yield process, log_path
    stop()


# --- issue 8: the weekly briefing (workers that can be killed and restarted, a private Redis) ---

# The worker of the briefing tests: like chain_worker's (tasks it enqueues come back to its own
# queue), plus two test-only hooks read from its environment, so production code stays untouched:
# PYTEST_CLAIM_STALE_SECONDS overrides settings.REPORTING_CLAIM_STALE_SECONDS, and
# PYTEST_RENDER_DELAY makes the briefing renderer touch PYTEST_RENDER_MARKER and then sleep, so
# that a test can kill the worker in the middle of generating a briefing.
BRIEFING_WORKER_SCRIPT = """
import os, sys, time
import django
django.setup()
from django.conf import settings
if os.environ.get("PYTEST_CLAIM_STALE_SECONDS"):
    settings.REPORTING_CLAIM_STALE_SECONDS = float(os.environ["PYTEST_CLAIM_STALE_SECONDS"])
from config.celery import app
app.conf.task_default_queue = sys.argv[1]
delay = float(os.environ.get("PYTEST_RENDER_DELAY") or 0)
if delay:
    import reporting.pdf.briefing as briefing
    import reporting.services.delivery, reporting.tasks  # noqa: F401 - to patch their references
    original = briefing.render
    def slow_render(snapshot):
        with open(os.environ["PYTEST_RENDER_MARKER"], "a") as marker:
            marker.write(f"{os.getpid()}\\n")
        time.sleep(delay)
        return original(snapshot)
    for module in list(sys.modules.values()):
        if (getattr(module, "__name__", "") or "").startswith("reporting"):
            for name, value in list(vars(module).items()):
                if value is original:
                    setattr(module, name, slow_render)
args = ["worker", f"--pool={sys.argv[3]}", f"--concurrency={sys.argv[4]}", "--loglevel=INFO",
        "-n", sys.argv[2], "-Q", sys.argv[1], "--without-gossip", "--without-mingle",
        "--without-heartbeat"]
app.worker_main(args)
"""


def client_app(broker_url: str):
    """A Celery app of the test's own that publishes to `broker_url` (results on the same Redis)
    without touching the project's app: tasks are sent by name, as beat sends them."""
    from celery import Celery

    app = Celery("pytest-briefing", broker=broker_url, backend=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json", accept_content=["json"], result_serializer="json",
        broker_connection_retry_on_startup=False,
        broker_transport_options={"visibility_timeout": 3600},
    )  # fmt: skip
    return app


class BriefingWorker:
    def __init__(self, process, log, log_path: Path, hostname: str, queue: str, app):
        self.process, self._log, self.log_path, self.hostname, self.queue, self.app = (
            process, log, log_path, hostname, queue, app,
        )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, in the middle of whatever it runs."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task

    def stop(self) -> None:
        self.terminate()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def briefing_workers(django_db_setup, smtp_server, tmp_path):
    """Start briefing workers: `start(broker_url=..., queue=..., pool="solo", concurrency=1,
    env={...})` returns a running `BriefingWorker` (answering a ping); all are stopped, and the
    queues on the shared Redis deleted, when the test ends."""
    controller, _ = smtp_server
    db = connection.settings_dict
    auth = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    database_url = f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    started: list[BriefingWorker] = []
    queues: set[tuple[str, str]] = set()

    def start(*, broker_url=None, queue=None, pool="solo", concurrency=1, env=None):
        broker_url = broker_url or settings.CELERY_BROKER_URL
        queue = queue or f"pytest-brief-{os.getpid()}-{socket.gethostname()}"
        if (broker_url, queue) not in queues:
            redis.Redis.from_url(broker_url).delete(queue)
            queues.add((broker_url, queue))
        hostname = f"pytest-brief-{len(started)}-{os.getpid()}@{socket.gethostname()}"
        log_path = tmp_path / f"worker-{len(started)}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [str(BASE_DIR / ".venv" / "bin" / "python"), "-c", BRIEFING_WORKER_SCRIPT, queue,
             hostname, pool, str(concurrency)],
            cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
                 "TEST_DATABASE_URL": database_url, "TEST_REDIS_URL": broker_url,
                 "TEST_EMAIL_URL": f"smtp://{controller.hostname}:{controller.port}",
                 "PYTHONUNBUFFERED": "1", **(env or {})},
        )  # fmt: skip
        worker = BriefingWorker(process, log, log_path, hostname, queue, client_app(broker_url))
        started.append(worker)
        deadline = time.monotonic() + WORKER_BOOT_SECONDS
        while not worker.app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{worker.log()[-4000:]}")
        return worker

    yield start
    for worker in started:  # all at once: each takes a few seconds to shut down
        worker.terminate()
    for worker in started:
        worker.stop()
    for broker_url, queue in queues:
        with contextlib.suppress(redis.ConnectionError):  # a private Redis already stopped
            redis.Redis.from_url(broker_url, socket_timeout=2).delete(
                queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
            )


class PrivateRedis:
    """A redis-server of one test's own (no persistence), which the test may stop and restart."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        if not shutil.which("redis-server"):
            pytest.fail("redis-server is missing (apt-get install redis-server): this test "
                        "stops and restarts a Redis of its own")  # fmt: skip
        with (self.directory / "redis.log").open("a") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.directory)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_timeout=1)

        def up():
            try:
                return client.ping()
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError((self.directory / "redis.log").read_text()) from None
                return False

        wait_for(up, timeout=20, interval=0.1, what="the private Redis to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
