"""Escalation of overdue actions and issues, review reminders for risks, weekly exposure snapshots.

Celery beat runs these (risks/tasks.py, config/settings/celery.py); each is safe to run twice.

Escalation rule (the same for every program; the thresholds are in working days of the program
calendar: its schedule's working weekdays and holidays, Monday to Friday without a schedule):

    level 1  the owner                       from 1 working day overdue
    level 2  the workstream lead             from 3 working days overdue
    level 3  the program manager(s)          from 5 working days overdue
    level 4  the program sponsor             from 10 working days overdue

An item is overdue when it is open (issues: open or in progress; actions: open or in progress)
and its due date is before today in the program's time zone. A run raises each overdue item to
the level its lateness calls for and e-mails every level it reaches that was not e-mailed yet for
the item's current due date, once: each e-mail's idempotency key is item + due date + level, so
a retried or duplicated run, or two runs at once, never send it twice, and an item whose due date
moves escalates again from level 1 when it is late again. A level whose person is missing (no
owner, no workstream or no lead, no sponsor) or who was already told at a lower level (the owner
who also leads the workstream) is skipped, and the next level still follows on its day. The
escalation level and time are set through `raid_item_escalate`, with an entry in the item's
history naming who was notified, in the same transaction as the e-mails. Levels are never
lowered by a run (a program manager may have escalated an issue by hand). Nothing is sent before
SEND_FROM_HOUR in the program's time zone, so nobody gets an escalation at midnight.

Review reminders: on a risk's review date (or the first run after it) its owner gets one e-mail
per review date (`Risk.review_reminded_for` remembers it; key risk + review date).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from core.audit import _record
from core.models import AuditAction, OutboundEmail
from core.permissions import Role
from core.services import email_enqueue
from core.versioning import lock_current
from programs.choices import ProgramStatus
from programs.models import Program, ProgramMembership

from .choices import RISK_ACTIVE_STATUSES, EscalationLevel
from .models import Action, Issue, Risk
from .services import risk_snapshot_take

log = logging.getLogger(__name__)

MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)
SEND_FROM_HOUR = 7  # program time: runs before this hour send nothing (the next run does)
ESCALATED_MODELS: tuple[type[Issue] | type[Action], ...] = (Action, Issue)


@dataclass(frozen=True)
class Rule:
    """Escalate to `level` once an item is `after_working_days` working days overdue."""

    level: int
    audience: str  # owner | workstream_lead | program_manager | sponsor
    after_working_days: int

    @property
    def label(self) -> str:
        return str(EscalationLevel(self.level).label)


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(1, "owner", 1),
    Rule(2, "workstream_lead", 3),
    Rule(3, "program_manager", 5),
    Rule(4, "sponsor", 10),
)


def rules_for(program: Program) -> tuple[Rule, ...]:
    """The escalation rules of a program (the same defaults for all programs for now)."""
    return DEFAULT_RULES


# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------


def working_days_late(
    due: dt.date,
    today: dt.date,
    *,
    weekdays: Iterable[int] = MONDAY_TO_FRIDAY,
    holidays: Iterable[tuple[dt.date, dt.date]] = (),
) -> int:
    """Working days after `due` up to and including `today` (0 when `today` <= `due`).

    An action due on a Friday is 1 working day late on Monday, not on the weekend between.
    """
    if today <= due:
        return 0
    working = frozenset(weekdays)
    if not working:
        return 0
    first = due + dt.timedelta(days=1)
    span = (today - first).days + 1
    weeks, rest = divmod(span, 7)
    count = weeks * len(working)
    count += sum(1 for i in range(rest) if (first + dt.timedelta(days=i)).weekday() in working)
    off: set[dt.date] = set()
    for start, finish in holidays:
        day, last = max(start, first), min(finish, today)
        while day <= last:
            if day.weekday() in working:
                off.add(day)
            day += dt.timedelta(days=1)
    return count - len(off)


def level_for(days_late: int, rules: Iterable[Rule] = DEFAULT_RULES) -> int:
    """The highest level whose threshold `days_late` has reached (0: not escalated)."""
    level = 0
    for rule in rules:
        if days_late >= rule.after_working_days:
            level = max(level, rule.level)
    return level


def escalation_key(item: Issue | Action, due: dt.date, level: int) -> str:
    return f"raid-escalation:{item.RAID_TYPE}:{item.pk}:{due.isoformat()}:L{level}"


def review_key(risk: Risk, review_date: dt.date) -> str:
    return f"raid-review:{risk.pk}:{review_date.isoformat()}"


# ---------------------------------------------------------------------------------------------
# The program's clock and calendar
# ---------------------------------------------------------------------------------------------


def program_now(program: Program, now: dt.datetime | None = None) -> dt.datetime:
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(program.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return (now or timezone.now()).astimezone(zone)


def program_calendar(program: Program) -> tuple[tuple[int, ...], list[tuple[dt.date, dt.date]]]:
    """The program's working weekdays and holidays (from its schedule, if it has one)."""
    from schedules.models import Holiday, Schedule

    weekdays = Schedule.objects.filter(program=program).values_list("weekdays", flat=True).first()
    holidays = list(Holiday.objects.filter(program=program).values_list("start", "finish"))
    return tuple(weekdays or MONDAY_TO_FRIDAY), holidays


# ---------------------------------------------------------------------------------------------
# Escalating one item
# ---------------------------------------------------------------------------------------------


def _reachable(users: Iterable[Any]) -> list[Any]:
    return [u for u in users if u is not None and u.is_active and u.email]


def audience(item: Issue | Action, rule: Rule) -> tuple[list[Any], str]:
    """The people of one level, and why there is nobody when the list is empty."""
    program = item.program
    if rule.audience == "owner":
        people = _reachable([item.owner])
        return people, "" if people else "no owner"
    if rule.audience == "workstream_lead":
        if item.workstream is None:
            return [], "no workstream"
        people = _reachable([item.workstream.lead])
        return people, "" if people else f"{item.workstream} has no lead"
    if rule.audience == "program_manager":
        managers = (
            ProgramMembership.objects.filter(program=program, role=Role.MANAGER)
            .select_related("user")
            .order_by("user__email")
        )
        people = _reachable(m.user for m in managers)
        return people, "" if people else "no program manager"
    if rule.audience == "sponsor":
        people = _reachable([program.sponsor])
        return people, "" if people else f"{program.code} has no sponsor"
    raise ValueError(f"Unknown audience {rule.audience!r}")


def _person(user) -> str:
    return f"{user.full_name or user.email} <{user.email}>"


@dataclass
class Escalation:
    """What a run did to one item."""

    key: str
    level_before: int
    level_after: int
    days_late: int
    sent: list[tuple[int, list[str]]] = field(default_factory=list)  # (level, e-mails)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (level, why)

    @property
    def changed(self) -> bool:
        return bool(self.sent) or self.level_after != self.level_before


def _email(item, *, rule: Rule, days_late: int, to: list[Any], told: list[str]) -> dict:
    program = item.program
    kind = "issue" if isinstance(item, Issue) else "action"
    context = {
        "item": item,
        "kind": kind,
        "program": program,
        "rule": rule,
        "days_late": days_late,
        "recipients": to,
        "already_told": told,
        "link": settings.SITE_URL.rstrip("/") + item.get_absolute_url(),
        "site_name": settings.SITE_NAME,
    }
    late = f"{days_late} working day{'s' if days_late != 1 else ''} overdue"
    if rule.level == 1:
        subject = f"[{program.code}] Your {kind} {item.key} is overdue: {item.title}"
    else:
        subject = f"[{program.code}] Escalated to you ({rule.label.lower()}): {item.key} is {late}"
    return {
        "subject": subject[:300],
        "body_text": render_to_string("risks/email/escalation.txt", context),
    }


@transaction.atomic
def raid_item_escalate(
    *,
    model: type[Issue] | type[Action],
    pk: int,
    today: dt.date,
    weekdays: Iterable[int] = MONDAY_TO_FRIDAY,
    holidays: Iterable[tuple[dt.date, dt.date]] = (),
    rules: tuple[Rule, ...] = DEFAULT_RULES,
) -> Escalation | None:
    """Escalate one overdue item as far as its lateness calls for (the system is the actor).

    The row is locked first, so two runs at once handle it one after the other; the second
    finds every e-mail recorded and changes nothing. None when the item is not overdue.
    """
    item = lock_current(model, pk=pk, expected_version=None)
    if not item.is_active or item.due_date is None or item.due_date >= today:
        return None
    due = item.due_date
    days = working_days_late(due, today, weekdays=weekdays, holidays=holidays)
    target = level_for(days, rules)
    result = Escalation(item.key, item.escalation_level, item.escalation_level, days)
    if target == 0:
        return result
    keys = {rule.level: escalation_key(item, due, rule.level) for rule in rules}
    recorded = dict(
        OutboundEmail.objects.filter(idempotency_key__in=keys.values()).values_list(
            "idempotency_key", "to"
        )
    )
    told: list[str] = []  # addresses already e-mailed about this due date
    for rule in sorted(rules, key=lambda r: r.level):
        if rule.level > target:
            break
        key = keys[rule.level]
        if key in recorded:
            told += [a for a in recorded[key] if a not in told]
            continue
        people, why = audience(item, rule)
        fresh = [u for u in people if u.email.lower() not in {t.lower() for t in told}]
        if not fresh:
            if people:
                names = ", ".join(_person(u) for u in people)
                why = f"{names} already notified"
            result.skipped.append((rule.level, why))
            continue
        addresses = [u.email for u in fresh]
        email_enqueue(
            to=addresses,
            idempotency_key=key,
            **_email(item, rule=rule, days_late=days, to=fresh, told=told),
        )
        result.sent.append((rule.level, [_person(u) for u in fresh]))
        told += addresses
    result.level_after = max(item.escalation_level, target)
    if result.changed:
        _save_escalation(item, result)
    return result


def _save_escalation(item: Issue | Action, result: Escalation) -> None:
    labels = {level.value: level.label for level in EscalationLevel}
    before = {"escalation_level": item.escalation_level, "escalated_at": item.escalated_at}
    item.escalation_level = result.level_after
    item.escalated_at = timezone.now()
    item.version += 1
    item.save(update_fields=["escalation_level", "escalated_at", "version", "updated_at"])
    changes: dict[str, list[Any]] = {}
    if before["escalation_level"] != item.escalation_level:
        changes["escalation_level"] = [before["escalation_level"], item.escalation_level]
    changes["escalated_at"] = [
        before["escalated_at"].isoformat() if before["escalated_at"] else None,
        item.escalated_at.isoformat(),
    ]
    changes["working_days_overdue"] = [None, result.days_late]
    if result.sent:
        changes["notified"] = [
            None,
            [f"{labels[level]}: {', '.join(people)}" for level, people in result.sent],
        ]
    if result.skipped:
        changes["not_notified"] = [
            None,
            [f"{labels[level]}: {why}" for level, why in result.skipped],
        ]
    _record(actor=None, action=AuditAction.UPDATE, instance=item, changes=changes)


def _overdue(program: Program, model, today: dt.date) -> list[int]:
    return list(
        model.objects.filter(program=program, status__in=model.ACTIVE_STATUSES, due_date__lt=today)
        .order_by("due_date", "number")
        .values_list("pk", flat=True)
    )


def escalate_program(program: Program, *, now: dt.datetime | None = None) -> list[Escalation]:
    """Escalate the program's overdue actions and issues; each item in its own transaction."""
    local = program_now(program, now)
    if local.hour < SEND_FROM_HOUR:
        return []
    today = local.date()
    weekdays, holidays = program_calendar(program)
    rules = rules_for(program)
    done: list[Escalation] = []
    for model in ESCALATED_MODELS:
        for pk in _overdue(program, model, today):
            result = raid_item_escalate(
                model=model, pk=pk, today=today, weekdays=weekdays, holidays=holidays, rules=rules
            )
            if result is not None and result.changed:
                done.append(result)
    return done


def _active_programs():
    return Program.objects.filter(status=ProgramStatus.ACTIVE).select_related("sponsor")


def _each_program(work, now: dt.datetime | None) -> dict[str, int]:
    """Run `work(program, now=now)` for every active program; one program's failure does not
    stop the others, and is raised at the end so the task retries (the finished ones are no-ops
    the second time)."""
    failure: Exception | None = None
    summary = {"programs": 0, "changed": 0}
    for program in _active_programs():
        summary["programs"] += 1
        try:
            summary["changed"] += len(work(program, now=now))
        except SoftTimeLimitExceeded:
            raise  # out of time: stop here, the next run goes on
        except Exception as exc:  # logged and re-raised after the other programs ran
            log.exception("RAID %s failed for %s", work.__name__, program.code)
            failure = failure or exc
    if failure is not None:
        raise failure
    return summary


def escalate_all(*, now: dt.datetime | None = None) -> dict[str, int]:
    return _each_program(escalate_program, now)


# ---------------------------------------------------------------------------------------------
# Review reminders
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def risk_review_remind(*, pk: int, today: dt.date) -> bool:
    """E-mail the owner of a risk that is due for review, once per review date."""
    risk = lock_current(Risk, pk=pk, expected_version=None)
    review = risk.review_date
    if (
        risk.status not in RISK_ACTIVE_STATUSES
        or review is None
        or review > today
        or risk.review_reminded_for == review
    ):
        return False
    owner = _reachable([risk.owner])
    if not owner:
        return False
    program = risk.program
    context = {
        "risk": risk,
        "program": program,
        "owner": owner[0],
        "today": today,
        "link": settings.SITE_URL.rstrip("/") + risk.get_absolute_url(),
        "site_name": settings.SITE_NAME,
    }
    when = "today" if review == today else f"since {review:%-d %b %Y}"
    email_enqueue(
        to=[owner[0].email],
        subject=f"[{program.code}] Risk {risk.key} is due for review {when}: {risk.title}"[:300],
        body_text=render_to_string("risks/email/review_reminder.txt", context),
        idempotency_key=review_key(risk, review),
    )
    risk.review_reminded_for = review
    risk.save(update_fields=["review_reminded_for"])  # bookkeeping: not a change of the risk
    _record(
        actor=None,
        action=AuditAction.UPDATE,
        instance=risk,
        changes={"review_reminder": [None, f"Sent to {_person(owner[0])} for {review}"]},
    )
    return True


def remind_program(program: Program, *, now: dt.datetime | None = None) -> list[int]:
    local = program_now(program, now)
    if local.hour < SEND_FROM_HOUR:
        return []
    today = local.date()
    due = (
        Risk.objects.filter(
            program=program,
            status__in=RISK_ACTIVE_STATUSES,
            review_date__lte=today,
            owner__isnull=False,
        )
        .exclude(review_reminded_for=F("review_date"))
        .order_by("review_date", "number")
        .values_list("pk", flat=True)
    )
    return [pk for pk in list(due) if risk_review_remind(pk=pk, today=today)]


def remind_all(*, now: dt.datetime | None = None) -> dict[str, int]:
    return _each_program(remind_program, now)


# ---------------------------------------------------------------------------------------------
# Weekly exposure snapshots
# ---------------------------------------------------------------------------------------------


def snapshot_program(program: Program, *, now: dt.datetime | None = None) -> list[Any]:
    """Refresh this week's exposure point (a week is one point: idempotent per week)."""
    return [risk_snapshot_take(program=program, week=program_now(program, now).date())]


def snapshot_all(*, now: dt.datetime | None = None) -> dict[str, int]:
    return _each_program(snapshot_program, now)
