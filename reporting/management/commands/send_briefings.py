"""`manage.py send_briefings [--now ISO-DATETIME] [--program CODE] [--dry-run]`: the periodic
scan run by hand: deliver every due briefing here and now (the e-mails are sent in this process
too), printing what was sent, skipped or failed. Idempotent like the task: a briefing already
sent for its period is not sent again."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from config.celery import app as celery_app
from programs.models import Program
from reporting.models import DeliveryKind
from reporting.services import delivery as services


class Command(BaseCommand):
    help = "Send every briefing that is due (weekly slots passed, or left behind by a failure)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Pretend it is this moment (ISO 8601, e.g. 2026-11-30T07:05+01:00; UTC when "
            "no offset is given).",
        )
        parser.add_argument("--program", help="Only this program's subscriptions (its code).")
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; send nothing."
        )

    def handle(self, *args, now=None, program=None, dry_run=False, **options):
        moment = self._moment(now)
        scope = None
        if program:
            scope = Program.objects.filter(code=program.upper()).first()
            if scope is None:
                raise CommandError(f"There is no program {program.upper()}.")
        pairs = services.due(moment, program=scope)
        manual = services.due_manual(moment, program=scope)
        jobs = [
            (s.program.code, s.name, s.pk, period, DeliveryKind.SCHEDULED.value, None)
            for s, period in pairs
        ] + [
            (d.subscription.program.code, d.subscription.name, d.subscription_id, d.period,
             d.kind, str(d.pk))
            for d in manual
        ]  # fmt: skip
        if not jobs:
            self.stdout.write(f"Nothing is due at {moment:%Y-%m-%d %H:%M %Z}.")
            return
        if dry_run:
            for code, name, _, period, kind, _ in jobs:
                self.stdout.write(f"due: {code} · {name} · week {period} ({kind})")
            self.stdout.write(f"{len(jobs)} due; nothing sent (--dry-run).")
            return
        failed = self._deliver_all(jobs)
        if failed:
            raise CommandError(f"{failed} of {len(jobs)} briefings failed; they will be retried.")

    def _moment(self, value: str | None) -> dt.datetime:
        if not value:
            return timezone.now()
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--now {value!r} is not an ISO 8601 date and time.") from None
        return moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC)

    def _deliver_all(self, jobs) -> int:
        failed = 0
        saved = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True  # e-mails and their confirmation, in here
        try:
            for code, name, subscription_id, period, kind, delivery_id in jobs:
                label = f"{code} · {name} · week {period}"
                try:
                    delivery = services.deliver(
                        subscription_id=subscription_id, period=period, kind=kind,
                        delivery_id=delivery_id,
                    )  # fmt: skip
                except Exception as exc:  # recorded on the delivery; report and go on
                    failed += 1
                    self.stderr.write(f"failed: {label}: {type(exc).__name__}: {exc}")
                    continue
                delivery = self._send_emails(delivery)
                who = ", ".join(delivery.recipients) or "nobody"
                if delivery.status == "skipped":
                    self.stdout.write(f"skipped: {label}: {delivery.last_error}")
                else:
                    self.stdout.write(f"{delivery.status}: {label} to {who}")
        finally:
            celery_app.conf.task_always_eager = saved
        return failed

    def _send_emails(self, delivery):
        """Send the delivery's e-mails here (each once: the outbox locks and marks them), then
        bring the delivery up to date. An SMTP failure is left to the outbox's retries."""
        from core.services import email_send

        delivery.refresh_from_db()
        for email_id in (
            services.delivery_emails(delivery).filter(status="pending").values_list("pk", flat=True)
        ):
            try:
                email_send(email_id=email_id)
            except Exception as exc:  # recorded on the e-mail; the outbox retries it
                self.stderr.write(f"e-mail {email_id} not sent yet: {type(exc).__name__}: {exc}")
        return services.delivery_sync(delivery)
