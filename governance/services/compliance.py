"""Writes on the compliance register: obligations (CMP-n), their evidence files, the escalation of
non-compliance and the review reminders.

- An obligation that becomes non-compliant is escalated at once: the program managers get an
  e-mail and the step (`escalation_level`, `last_escalation`) is saved with the status change,
  so the history shows both in one entry.
- `obligation_escalations_run` (the periodic task) escalates again after REESCALATE_AFTER_DAYS
  and 2 x that (the sponsor is added from the second step), once per step.
- `obligation_review_reminders_run` reminds owners of reviews due within a week and again once
  the date has passed.

Every e-mail carries an idempotency key (obligation, non-compliance episode, step), so a retried
or duplicated task never sends one twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from core import uploads
from core.audit import audit_create, audit_delete
from core.keys import allocate_key
from core.models import OutboundEmail
from core.permissions import Role
from core.services import email_enqueue
from core.versioning import apply_changes, lock_current
from programs.choices import ProgramStatus
from programs.models import Program, ProgramMembership

from ..models.compliance import ComplianceStatus, Evidence, Obligation

OBLIGATION_EDITABLE = (
    "title", "kind", "reference", "text", "control", "owner", "review_date", "status", "notes",
)  # fmt: skip
REESCALATE_AFTER_DAYS = 14  # settings.COMPLIANCE_REESCALATE_DAYS overrides
MAX_ESCALATION_LEVEL = 3  # at once, after N days, after 2N days
REMINDER_DAYS_AHEAD = 7
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024  # settings.COMPLIANCE_EVIDENCE_MAX_BYTES overrides
ACCEPTED_TYPES_TEXT = (
    "a PDF, an image (PNG, JPEG), a text, Markdown or CSV file, an e-mail (.eml) or an "
    "Office or OpenDocument file (.docx, .xlsx, .pptx, .odt, .ods)"
)
EVIDENCE_UPLOADS = uploads.UploadPolicy(
    extensions=(".pdf", ".png", ".jpg", ".jpeg", ".txt", ".csv", ".md", ".eml", ".docx",
                ".xlsx", ".pptx", ".odt", ".ods"),
    max_bytes_setting="COMPLIANCE_EVIDENCE_MAX_BYTES",
    default_max_bytes=EVIDENCE_MAX_BYTES,
    accepted_text=ACCEPTED_TYPES_TEXT,
    files_noun="evidence files",
    accepted_as="as evidence",
    fallback_name="evidence",
)  # fmt: skip
EVIDENCE_TYPES = EVIDENCE_UPLOADS.extensions


def reescalate_after_days() -> int:
    return int(getattr(settings, "COMPLIANCE_REESCALATE_DAYS", REESCALATE_AFTER_DAYS))


def evidence_max_bytes() -> int:
    return EVIDENCE_UPLOADS.max_bytes()


def _only(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(OBLIGATION_EDITABLE)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    return fields


def _check_owner(program: Program, owner) -> None:
    if owner is None:
        raise ValidationError({"owner": "Every obligation needs an owner."})
    if not ProgramMembership.objects.filter(program=program, user=owner).exists():
        raise ValidationError({"owner": f"{owner} is not a member of {program.code}."})


# --- escalation -----------------------------------------------------------------------------------


def _people(users) -> str:
    names = [str(u) for u in users]
    return names[0] if len(names) == 1 else ", ".join(names)


def _program_day(program: Program, moment: dt.datetime) -> dt.date:
    """The calendar day of `moment` where the program is (e-mails speak the program's time)."""
    try:
        zone: dt.tzinfo = ZoneInfo(program.time_zone)
    except (KeyError, ValueError):  # an unknown zone name: the UTC day is good enough
        zone = dt.UTC
    return timezone.localtime(moment, zone).date()


def _escalation_recipients(program: Program, level: int):
    managers = [
        m.user
        for m in ProgramMembership.objects.filter(
            program=program, role=Role.MANAGER, user__is_active=True
        )
        .select_related("user")
        .order_by("user__full_name", "pk")
    ]
    sponsor = program.sponsor if level >= 2 and program.sponsor_id else None
    if sponsor is not None and (not sponsor.is_active or sponsor in managers):
        sponsor = None
    return managers, sponsor


def _escalation_step(obligation: Obligation, level: int, now: dt.datetime) -> tuple[str, Any]:
    """The history text of a step and what to e-mail (recipients, subject, body)."""
    program = obligation.program
    managers, sponsor = _escalation_recipients(program, level)
    who = (
        f"the program manager{'s' if len(managers) != 1 else ''} ({_people(managers)})"
        if managers
        else "no program manager (none is active)"
    )
    if sponsor is not None:
        who += f" and the sponsor ({sponsor})"
    when = date_format(_program_day(program, now), "j M Y")
    if level == 1:
        text = f"Step 1: e-mailed {who} on {when}."
    else:
        days = (now - obligation.status_changed_at).days
        text = f"Step {level}: still non-compliant after {days} days; e-mailed {who} on {when}."
    recipients = [u.email for u in managers] + ([sponsor.email] if sponsor else [])
    return text[:300], recipients


def _enqueue_escalation(obligation: Obligation, level: int, recipients: list[str]) -> None:
    if not recipients:
        return
    program = obligation.program
    episode = int(obligation.status_changed_at.timestamp())
    context = {
        "obligation": obligation,
        "program": program,
        "level": level,
        "days": (timezone.now() - obligation.status_changed_at).days,
        "link": settings.SITE_URL + obligation.get_absolute_url(),
    }
    subject = (
        f"[{program.code}] {obligation.key} is non-compliant: {obligation.reference}"
        if level == 1
        else f"[{program.code}] Still non-compliant ({context['days']} days): "
        f"{obligation.key} {obligation.reference}"
    )
    email_enqueue(
        to=recipients,
        subject=subject[:300],
        body_text=render_to_string("governance/email/compliance_escalation.txt", context),
        idempotency_key=f"compliance-escalation:{obligation.pk}:{episode}:{level}",
    )


def _status_changes(current: Obligation, new_status: str, now: dt.datetime) -> dict[str, Any]:
    """The bookkeeping a status change brings: when it changed and the escalation step."""
    if new_status == current.status:
        return {}
    changes: dict[str, Any] = {"status_changed_at": now}
    if new_status == ComplianceStatus.NON_COMPLIANT:
        changes["escalation_level"] = 1
    elif current.status == ComplianceStatus.NON_COMPLIANT:
        changes["escalation_level"] = 0
        changes["last_escalation"] = ""
    return changes


# --- obligations ----------------------------------------------------------------------------------


@transaction.atomic
def obligation_create(*, actor, program: Program, **fields: Any) -> Obligation:
    fields = _only(dict(fields))
    _check_owner(program, fields.get("owner"))
    now = timezone.now()
    obligation = Obligation(program=program, status_changed_at=now, **fields)
    recipients: list[str] = []
    if obligation.status == ComplianceStatus.NON_COMPLIANT:
        obligation.escalation_level = 1
        obligation.last_escalation, recipients = _escalation_step(obligation, 1, now)
    obligation.key = allocate_key(program_id=program.pk, prefix=Obligation.KEY_PREFIX)
    obligation.full_clean()
    obligation.save()
    audit_create(actor=actor, instance=obligation)
    if recipients:
        _enqueue_escalation(obligation, 1, recipients)
    return obligation


@transaction.atomic
def obligation_update(
    *, actor, obligation: Obligation, expected_version: int | None, **changes: Any
) -> Obligation:
    changes = _only(dict(changes))
    current = lock_current(Obligation, pk=obligation.pk, expected_version=expected_version)
    if "owner" in changes and changes["owner"] != current.owner:
        _check_owner(current.program, changes["owner"])
    now = timezone.now()
    bookkeeping = _status_changes(current, changes.get("status", current.status), now)
    recipients: list[str] = []
    if bookkeeping.get("escalation_level") == 1:
        bookkeeping["last_escalation"], recipients = _escalation_step(current, 1, now)
    updated = apply_changes(
        current, actor=actor, changes={**changes, **bookkeeping}, expected_version=None
    )
    if recipients:
        _enqueue_escalation(updated, 1, recipients)
    return updated


@transaction.atomic
def obligation_delete(*, actor, obligation: Obligation, expected_version: int | None) -> None:
    current = lock_current(Obligation, pk=obligation.pk, expected_version=expected_version)
    files = Evidence.objects.filter(obligation=current).count()
    if files:
        raise ValidationError(
            f"{current.key} has {files} evidence file{'s' if files != 1 else ''}; auditors may "
            "need them. Remove the evidence first if it really was filed in error."
        )
    audit_delete(actor=actor, instance=current)
    current.delete()


def _escalate(obligation_id: int, *, now: dt.datetime, after_days: int) -> bool:
    """Take the step that is due for one obligation; False when none is (or it was taken)."""
    with transaction.atomic():
        current = (
            Obligation.objects.select_for_update(of=("self",))
            .select_related("program", "program__sponsor")
            .filter(pk=obligation_id)
            .first()
        )
        if current is None or current.status != ComplianceStatus.NON_COMPLIANT:
            return False
        days = (now - current.status_changed_at).days
        due = min(MAX_ESCALATION_LEVEL, 1 + days // after_days)
        if due <= current.escalation_level:
            return False
        text, recipients = _escalation_step(current, due, now)
        updated = apply_changes(
            current,
            actor=None,
            changes={"escalation_level": due, "last_escalation": text},
            expected_version=None,
        )
        _enqueue_escalation(updated, due, recipients)
        return True


def obligation_escalations_run(*, now: dt.datetime | None = None) -> int:
    """Escalate every obligation still non-compliant after N (and 2N) days, once per step.

    Each obligation is escalated in its own transaction: one failure does not undo the others,
    and a run repeated (or retried) finds the step already taken."""
    now = now or timezone.now()
    after_days = max(1, reescalate_after_days())
    ids = list(
        Obligation.objects.filter(
            status=ComplianceStatus.NON_COMPLIANT,
            escalation_level__lt=MAX_ESCALATION_LEVEL,
            status_changed_at__lte=now - dt.timedelta(days=after_days),
        )
        .exclude(program__status=ProgramStatus.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(_escalate(pk, now=now, after_days=after_days) for pk in ids)


def obligation_review_reminders_run(*, today: dt.date | None = None) -> int:
    """E-mail owners of reviews due within a week (once) and of overdue reviews (once more).

    Returns how many reminders were queued by this run."""
    today = today or timezone.localdate()
    due = list(
        Obligation.objects.filter(review_date__lte=today + dt.timedelta(days=REMINDER_DAYS_AHEAD))
        .exclude(program__status=ProgramStatus.CLOSED)
        .filter(owner__is_active=True)
        .select_related("owner", "program")
        .order_by("pk")
    )
    keys = {
        o.pk: f"compliance-review:{o.pk}:{o.review_date.isoformat()}:"
        f"{'overdue' if o.review_date < today else 'due'}"
        for o in due
    }
    sent = set(
        OutboundEmail.objects.filter(idempotency_key__in=keys.values()).values_list(
            "idempotency_key", flat=True
        )
    )
    queued = 0
    for obligation in due:
        key = keys[obligation.pk]
        if key in sent:
            continue
        overdue = obligation.review_date < today
        context = {
            "obligation": obligation,
            "program": obligation.program,
            "overdue": overdue,
            "days": abs((obligation.review_date - today).days),
            "link": settings.SITE_URL + obligation.get_absolute_url(),
        }
        subject = (
            f"[{obligation.program.code}] Review overdue: {obligation.key} {obligation.reference}"
            if overdue
            else f"[{obligation.program.code}] Review due "
            f"{date_format(obligation.review_date, 'j M')}: {obligation.key} {obligation.reference}"
        )
        email_enqueue(
            to=[obligation.owner.email],
            subject=subject[:300],
            body_text=render_to_string("governance/email/compliance_review.txt", context),
            idempotency_key=key,
        )
        queued += 1
    return queued


# --- evidence -------------------------------------------------------------------------------------


def check_evidence_file(upload: UploadedFile) -> tuple[str, str, int]:
    """(clean name, content type, size) of an acceptable evidence file, or a ValidationError on
    `file` saying what is wrong with it (see core.uploads)."""
    checked = uploads.check_upload(upload, EVIDENCE_UPLOADS)
    return checked.name, checked.content_type, checked.size


@transaction.atomic
def evidence_add(
    *, actor, obligation: Obligation, upload: UploadedFile, note: str = ""
) -> Evidence:
    """Store an evidence file for the obligation (under MEDIA_ROOT), with its SHA-256."""
    name, content_type, size = check_evidence_file(upload)
    current = lock_current(Obligation, pk=obligation.pk, expected_version=None)
    evidence = Evidence(
        program_id=current.program_id,
        obligation=current,
        file_name=name,
        size=size,
        content_type=content_type,
        sha256=uploads.sha256_of(upload),
        note=(note or "").strip(),
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    evidence.file.save(name, upload, save=False)
    # The file is written first (its name goes into the row); if the row cannot be saved, the
    # file is deleted again.
    stored = evidence.file.name
    storage = evidence.file.storage
    try:
        evidence.full_clean()
        evidence.save()
        audit_create(actor=actor, instance=evidence)
    except Exception:
        storage.delete(stored)
        raise
    return evidence


@transaction.atomic
def evidence_delete(*, actor, evidence: Evidence, expected_version: int | None) -> None:
    """Remove an evidence file filed in error; the file goes once the removal commits."""
    current = lock_current(Evidence, pk=evidence.pk, expected_version=expected_version)
    stored, storage = current.file.name, current.file.storage
    audit_delete(actor=actor, instance=current)
    current.delete()
    transaction.on_commit(lambda: storage.delete(stored))


def escalation_summary(obligation: Obligation) -> str:
    """What the detail page says about the escalation of a non-compliant obligation."""
    if not obligation.is_non_compliant:
        return ""
    after = reescalate_after_days()
    if obligation.escalation_level >= MAX_ESCALATION_LEVEL:
        return "Escalated to the program manager and the sponsor; no further automatic steps."
    next_at = obligation.status_changed_at + dt.timedelta(days=after * obligation.escalation_level)
    day = date_format(_program_day(obligation.program, next_at), "j M Y")
    return f"Next escalation on {day} if it is still non-compliant."


__all__ = [
    "ComplianceStatus",
    "check_evidence_file",
    "evidence_add",
    "evidence_delete",
    "obligation_create",
    "obligation_delete",
    "obligation_escalations_run",
    "obligation_review_reminders_run",
    "obligation_update",
]
