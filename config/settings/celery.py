"""Celery: broker and schedule. The embedded default is kombu's filesystem transport (no server)."""

from celery.schedules import crontab

from .base import VAR_DIR, env

CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=env.str("REDIS_URL", default="filesystem://")
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    # the transport needs its folders; make them so that any command can enqueue a task
    for _folder in (_queue, VAR_DIR / "celery" / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "retry-unsent-email": {
        "task": "core.outbound_email_retry_pending",
        "schedule": crontab(minute="*/10"),
    },
    "clear-expired-sessions": {
        "task": "core.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=17),
    },
    "expire-old-login-attempts": {
        "task": "core.access_attempts_expire",
        "schedule": crontab(hour=3, minute=29),
    },
    # RAID log (risks/escalation.py): each run is idempotent, and sends nothing before 07:00 in
    # a program's time zone, so hourly runs reach every time zone on its morning.
    "raid-escalate-overdue": {
        "task": "risks.raid_escalate_overdue",
        "schedule": crontab(minute=5),
    },
    "raid-risk-review-reminders": {
        "task": "risks.risk_review_remind",
        "schedule": crontab(minute=35),
    },
    "raid-risk-snapshots": {  # one point per program and week; daily runs keep it current
        "task": "risks.risk_snapshots_take",
        "schedule": crontab(hour=22, minute=50),
    },
    # Budgets (budgets/tasks.py): the variance report to finance members on the 1st of each
    # month in the program's time zone; hourly on the days a 1st can fall on somewhere on earth
    # (from the 28th UTC for zones ahead of UTC), idempotent per program, month and member.
    "budget-monthly-export": {
        "task": "budgets.monthly_export_send",
        "schedule": crontab(minute=50, day_of_month="1-3,28-31"),
    },
    # Earned value: this month's snapshot of every active program (the S-curve's EV history);
    # daily, the month's last run stays.
    "budget-evm-snapshots": {
        "task": "budgets.evm_snapshots_take",
        "schedule": crontab(hour=23, minute=20),
    },
    # Compliance register (governance/tasks.py): review reminders and re-escalation, idempotent.
    "compliance-reviews-and-escalations": {
        "task": "governance.compliance_reviews_and_escalations",
        "schedule": crontab(hour=6, minute=40),
    },
    # Reporting (reporting/tasks.py): the weekly briefings. Each subscription is due from its
    # weekday and time in the program's time zone; the scan also re-sends what a dead worker or a
    # down broker left behind. Idempotent: one delivery per subscription and period.
    "reporting-send-due-briefings": {
        "task": "reporting.send_due_briefings",
        "schedule": crontab(minute="*/5"),
    },
    # KPIs (reporting/tasks_kpis.py): this week's value of every computed KPI of every active
    # program; daily, a re-run updates the week's values, so the week's last run stays.
    "reporting-record-kpis": {
        "task": "reporting.record_kpis",
        "schedule": crontab(hour=22, minute=40),
    },
}
