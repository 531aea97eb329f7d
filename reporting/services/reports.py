"""Status reports: open one for a period, refresh its figures, write its narrative and the
workstreams' commentary, override a RAG with a reason, and move it draft -> review -> published.

A draft (or a report in review) stores the figures of its last computation (`collect`, with the
program's thresholds) in `snapshot`, untouched by the narrative and the overrides; `compose`
lays the report's overrides, narrative and commentary over them whenever the report is read.
Publishing stores the composed snapshot (status "published", who and when) and freezes the
report: from then on every step is refused (`Refused`, 409 in the API) and the page, the PDFs
and any regenerated briefing draw from the stored figures.

    draft ──submit──▶ review ──publish──▶ published (frozen)
      ▲                 │
      └────return───────┘        the program manager may publish a draft directly
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from budgets.selectors.evm import program_today
from core.audit import audit_delete, audit_update
from core.audit import snapshot as audit_snapshot
from core.domain import create
from core.errors import Refused
from core.permissions import Role, role_can
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership, Workstream

from .. import rag
from ..collect import collect, period_bounds
from ..models import (
    DIMENSION_CHOICES,
    RagOverride,
    ReportSettings,
    ReportStatus,
    StatusReport,
    WorkstreamCommentary,
)
from ..models.settings import THRESHOLD_FIELDS
from ..periods import period_of
from ..selectors.common import thresholds_of
from ..snapshot import CommentaryLine, RagLine, Snapshot, from_json, to_json

__all__ = [
    "NARRATIVE_FIELDS",
    "commentary_delete",
    "commentary_save",
    "compose",
    "compose_snapshot",
    "override_remove",
    "override_set",
    "report_open",
    "report_publish",
    "report_refresh",
    "report_return",
    "report_settings_update",
    "report_submit",
    "report_update",
    "split_lines",
]

NARRATIVE_FIELDS = ("headline", "achievements", "next_steps", "decisions", "help_needed")
DIMENSIONS = dict(DIMENSION_CHOICES)
RATINGS = (rag.Rag.GREEN.value, rag.Rag.AMBER.value, rag.Rag.RED.value)
GREY = rag.Rag.GREY.value
BULLETS = ("- ", "* ", "• ", "– ")  # noqa: RUF001 (an en dash people type as a bullet)


def _user_name(user) -> str:
    return (user.get_full_name() or user.email) if user else ""


def role_of(program: Program, user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        ProgramMembership.objects.filter(program=program, user=user)
        .values_list("role", flat=True)
        .first()
    )


# --- composing the snapshot --------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """A narrative field's points: one per line, blank lines and typed bullets dropped."""
    points = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        for bullet in BULLETS:
            if line.startswith(bullet):
                line = line[len(bullet) :].strip()
        if line:
            points.append(line)
    return points


def compose_snapshot(
    base: Snapshot,
    *,
    overrides: dict[str, tuple[str, str]],
    narrative: dict[str, str],
    commentary: list[CommentaryLine],
    status: str,
    published_at: dt.datetime | None = None,
    published_by: str = "",
) -> Snapshot:
    """`base` (computed figures) with the manager's overrides {dimension: (rag, reason)}, the
    narrative and the commentary. An overridden line keeps the computed reason and says what the
    rules rated it (`computed_rag`); overall is the overall override when there is one, else the
    worst of the dimensions as overridden."""
    lines: list[RagLine] = []
    for dimension in rag.DIMENSIONS:
        line = base.rag_of(dimension) or RagLine(dimension, rag.Rag.GREY.value, "Not rated.")
        if dimension in overrides:
            value, reason = overrides[dimension]
            line = RagLine(dimension, value, line.reason, computed_rag=line.rag,
                           override_reason=reason)  # fmt: skip
        lines.append(line)
    worst = rag.overall((line.dimension, rag.Assessment(rag.Rag(line.rag), line.reason))
                        for line in lines)  # fmt: skip
    if "overall" in overrides:
        value, reason = overrides["overall"]
        lines.append(RagLine("overall", value, worst.reason, computed_rag=worst.rag.value,
                             override_reason=reason))  # fmt: skip
    else:
        lines.append(RagLine("overall", worst.rag.value, worst.reason))
    return dataclasses.replace(
        base,
        rag=lines,
        achievements=split_lines(narrative.get("achievements", "")),
        next_steps=split_lines(narrative.get("next_steps", "")),
        decisions=split_lines(narrative.get("decisions", "")),
        help_needed=split_lines(narrative.get("help_needed", "")),
        commentary=commentary,
        status=status,
        published_at=published_at,
        published_by=published_by,
    )


def _computed(program: Program, period: str, now: dt.datetime | None = None) -> Snapshot:
    return collect(program, period=period, thresholds=thresholds_of(program), now=now)


def _compose_report(
    report: StatusReport, *, base: Snapshot | None = None, status: str = "draft", **published
) -> Snapshot:
    if base is None:
        base = (
            from_json(report.snapshot)
            if report.snapshot
            else _computed(report.program, report.period)
        )
    overrides = {o.dimension: (o.rag, o.reason) for o in report.overrides.all()}
    commentary = [
        CommentaryLine(c.workstream.name, c.rag, c.text)
        for c in sorted(report.commentary.all(), key=lambda c: c.workstream.name)
    ]
    narrative = {name: getattr(report, name) for name in NARRATIVE_FIELDS}
    return compose_snapshot(
        base, overrides=overrides, narrative=narrative, commentary=commentary, status=status,
        **published,
    )  # fmt: skip


def compose(program: Program, period: str, report: StatusReport | None = None) -> Snapshot:
    """What the report of `period` says now: a published report's stored snapshot as published;
    a draft's (or one in review's) last computed figures with its overrides, narrative and
    commentary, status "draft"; without a report, figures computed now, status "computed".

    `report` saves the lookup when the caller has it (with `overrides` and `commentary`
    prefetched, it costs no further query)."""
    if report is None:
        report = (
            StatusReport.objects.filter(program=program, period=period)
            .prefetch_related("overrides", "commentary__workstream")
            .first()
        )
    if report is None:
        return _computed(program, period)
    if report.is_published and report.snapshot:
        return from_json(report.snapshot)
    return _compose_report(report)


def _overall(snapshot: Snapshot) -> str:
    line = snapshot.rag_of("overall")
    return line.rag if line else ""


# --- opening, refreshing, the narrative --------------------------------------------------------


def _check_period(program: Program, period: str) -> tuple[dt.date, dt.date]:
    period = (period or "").strip()
    try:
        start, end = period_bounds(period)
    except ValueError as error:
        raise ValidationError({"period": str(error)}) from None
    today = program_today(program)
    if start > today:
        this_week = period_of(today)
        raise ValidationError(
            {"period": f"{period} has not started yet: report on this week ({this_week}) or one "
                       "before it."}
        )  # fmt: skip
    return start, end


def _refuse_published(report: StatusReport, what: str) -> None:
    if report.status == ReportStatus.PUBLISHED:
        when = timezone.localtime(report.published_at).strftime("%d %b %Y") if (
            report.published_at) else "earlier"  # fmt: skip
        raise Refused(
            f"The {report.period} report was published on {when} and is frozen: {what} can no "
            "longer change."
        )


@transaction.atomic
def report_open(*, actor, program: Program, period: str) -> StatusReport:
    """A draft report for `period` with figures computed now with the program's thresholds."""
    period = (period or "").strip().upper()
    start, end = _check_period(program, period)
    existing = StatusReport.objects.filter(program=program, period=period).first()
    if existing is not None:
        raise Refused(
            f"{program.code} already has a report for {period} "
            f"({existing.get_status_display().lower()})."
        )
    now = timezone.now()
    snapshot = _computed(program, period, now)
    return create(
        StatusReport, actor=actor, program=program, period=period, period_start=start,
        period_end=end, snapshot=to_json(dataclasses.replace(snapshot, status="draft")),
        computed_at=now, overall_rag=_overall(snapshot), created_by=actor,
    )  # fmt: skip


def _locked(report: StatusReport, expected_version: int | None) -> StatusReport:
    return lock_current(StatusReport, pk=report.pk, expected_version=expected_version)


def _effective_overall(report: StatusReport, base: Snapshot | None = None) -> str:
    return _overall(_compose_report(report, base=base))


@transaction.atomic
def report_refresh(
    *, actor, report: StatusReport, expected_version: int | None = None
) -> StatusReport:
    """Compute the figures again (a draft or a report in review)."""
    current = _locked(report, expected_version)
    _refuse_published(current, "its figures")
    now = timezone.now()
    figures = dataclasses.replace(_computed(current.program, current.period, now), status="draft")
    return apply_changes(
        current, actor=actor, expected_version=None, locked=True,
        changes={"snapshot": to_json(figures), "computed_at": now,
                 "overall_rag": _effective_overall(current, figures)},
    )  # fmt: skip


@transaction.atomic
def report_update(
    *, actor, report: StatusReport, expected_version: int | None, **changes: Any
) -> StatusReport:
    """The narrative: headline, achievements, next steps, decisions taken, help needed."""
    unknown = set(changes) - set(NARRATIVE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown report fields: {', '.join(sorted(unknown))}.")
    current = _locked(report, expected_version)
    _refuse_published(current, "its narrative")
    cleaned = {name: (value or "").strip() for name, value in changes.items()}
    return apply_changes(current, actor=actor, changes=cleaned, expected_version=None, locked=True)


# --- workflow ----------------------------------------------------------------------------------


def _move(current: StatusReport, *, actor, **changes: Any) -> StatusReport:
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


@transaction.atomic
def report_submit(
    *, actor, report: StatusReport, expected_version: int | None = None
) -> StatusReport:
    current = _locked(report, expected_version)
    _refuse_published(current, "its status")
    if current.status != ReportStatus.DRAFT:
        raise Refused(f"The {current.period} report is already in review.")
    return _move(current, actor=actor, status=ReportStatus.REVIEW,
                 submitted_at=timezone.now(), submitted_by=actor)  # fmt: skip


@transaction.atomic
def report_return(
    *, actor, report: StatusReport, expected_version: int | None = None
) -> StatusReport:
    current = _locked(report, expected_version)
    _refuse_published(current, "its status")
    if current.status != ReportStatus.REVIEW:
        raise Refused(f"The {current.period} report is a draft already.")
    return _move(current, actor=actor, status=ReportStatus.DRAFT)


@transaction.atomic
def report_publish(
    *, actor, report: StatusReport, expected_version: int | None = None
) -> StatusReport:
    """Freeze the report: store the composed snapshot, status "published", who and when."""
    current = _locked(report, expected_version)
    _refuse_published(current, "it")
    if not role_can(role_of(current.program, actor), "report.publish"):
        raise PermissionDenied("Only the program manager publishes a status report.")
    now = timezone.now()
    snapshot = _compose_report(
        current, status="published", published_at=now, published_by=_user_name(actor)
    )
    return _move(
        current, actor=actor, status=ReportStatus.PUBLISHED, snapshot=to_json(snapshot),
        overall_rag=_overall(snapshot), published_at=now, published_by=actor,
        submitted_at=current.submitted_at or now, submitted_by=current.submitted_by or actor,
    )  # fmt: skip


# --- overrides ---------------------------------------------------------------------------------


def _moved_on(current: StatusReport, *, actor) -> StatusReport:
    """The report changed through one of its rows (an override, a commentary): a new version
    (its ETag changes) and the overall RAG as overridden now, audited when it moved."""
    before = audit_snapshot(current)
    current.version += 1
    current.overall_rag = _effective_overall(current)
    current.save(update_fields=["version", "overall_rag", "updated_at"])
    audit_update(actor=actor, instance=current, before=before)
    return current


@transaction.atomic
def override_set(
    *, actor, report: StatusReport, dimension: str, rag: str, reason: str,
    expected_version: int | None = None,
) -> RagOverride:  # fmt: skip
    """The program manager's rating of `dimension` instead of the computed one; the reason is
    mandatory. Setting it again replaces the earlier override."""
    current = _locked(report, expected_version)
    _refuse_published(current, "its ratings")
    if not role_can(role_of(current.program, actor), "report.override"):
        raise PermissionDenied("Only the program manager overrides a rating.")
    reason = (reason or "").strip()
    errors = {}
    if dimension not in DIMENSIONS:
        errors["dimension"] = f"Choose one of {', '.join(DIMENSIONS)}."
    if rag not in RATINGS:
        errors["rag"] = "Choose green, amber or red."
    if not reason:
        errors["reason"] = (
            "Give the reason for the override: why the computed rating does not tell the truth. "
            "Executives read it next to the rating."
        )
    if errors:
        raise ValidationError(errors)
    existing = current.overrides.filter(dimension=dimension).first()
    if existing is not None:
        row = apply_changes(
            existing, actor=actor, changes={"rag": rag, "reason": reason, "by": actor},
            expected_version=None,
        )  # fmt: skip
    else:
        row = create(RagOverride, actor=actor, program=current.program, report=current,
                     dimension=dimension, rag=rag, reason=reason, by=actor)  # fmt: skip
    _moved_on(current, actor=actor)
    return row


@transaction.atomic
def override_remove(
    *, actor, report: StatusReport, dimension: str, expected_version: int | None = None
) -> StatusReport:
    """Back to the computed rating of `dimension`."""
    current = _locked(report, expected_version)
    _refuse_published(current, "its ratings")
    if not role_can(role_of(current.program, actor), "report.override"):
        raise PermissionDenied("Only the program manager overrides a rating.")
    row = current.overrides.filter(dimension=dimension).first()
    if row is None:
        raise Refused(f"{DIMENSIONS.get(dimension, dimension)} is not overridden.")
    audit_delete(actor=actor, instance=row)
    row.delete()
    return _moved_on(current, actor=actor)


# --- workstream commentary ---------------------------------------------------------------------


def can_comment(program: Program, actor, workstream: Workstream, role: str | None = None) -> bool:
    """Managers and coordinators write any workstream's commentary; a lead writes their own."""
    role = role if role is not None else role_of(program, actor)
    if role in (Role.MANAGER, Role.COORDINATOR):
        return True
    return (
        role_can(role, "report.change")
        and actor is not None
        and workstream.lead_id == getattr(actor, "pk", None)
    )


@transaction.atomic
def commentary_save(
    *, actor, report: StatusReport, workstream: Workstream, rag: str, text: str,
    expected_version: int | None = None,
) -> WorkstreamCommentary:  # fmt: skip
    """The workstream's paragraph and its lead's RAG (one per workstream: saved again, replaced).
    `expected_version` is the commentary's version when it exists."""
    current = _locked(report, None)
    _refuse_published(current, "its commentary")
    if workstream.program_id != current.program_id:
        raise ValidationError({"workstream": "That workstream belongs to another program."})
    if not can_comment(current.program, actor, workstream):
        raise PermissionDenied(
            f"Only the lead of {workstream.name}, a coordinator or the program manager writes "
            "its commentary."
        )
    text = (text or "").strip()
    errors = {}
    if rag not in (*RATINGS, GREY):
        errors["rag"] = "Choose green, amber, red or not rated."
    if not text:
        errors["text"] = "Write the commentary: what happened in the workstream this week."
    if errors:
        raise ValidationError(errors)
    existing = current.commentary.filter(workstream=workstream).first()
    if existing is not None:
        row = apply_changes(
            existing, actor=actor, changes={"rag": rag, "text": text, "author": actor},
            expected_version=expected_version,
        )  # fmt: skip
    else:
        row = create(WorkstreamCommentary, actor=actor, program=current.program, report=current,
                     workstream=workstream, rag=rag, text=text, author=actor)  # fmt: skip
    _moved_on(current, actor=actor)
    return row


@transaction.atomic
def commentary_delete(*, actor, report: StatusReport, workstream: Workstream) -> StatusReport:
    current = _locked(report, None)
    _refuse_published(current, "its commentary")
    if not can_comment(current.program, actor, workstream):
        raise PermissionDenied(
            f"Only the lead of {workstream.name}, a coordinator or the program manager removes "
            "its commentary."
        )
    row = current.commentary.filter(workstream=workstream).first()
    if row is None:
        raise Refused(f"{workstream.name} has no commentary in this report.")
    audit_delete(actor=actor, instance=row)
    row.delete()
    return _moved_on(current, actor=actor)


# --- the program's thresholds ------------------------------------------------------------------

# (amber field, red field, an index: red begins *below* a lower value, else at or above a higher)
PAIRS = (
    ("spi_amber", "spi_red", True),
    ("slipped_amber", "slipped_red", False),
    ("cpi_amber", "cpi_red", True),
    ("overrun_amber", "overrun_red", False),
    ("open_changes_amber", "open_changes_red", False),
    ("overdue_changes_amber", "overdue_changes_red", False),
    ("exposure_amber", "exposure_red", False),
    ("new_high_risks_amber", "new_high_risks_red", False),
    ("sev2_amber", "sev2_red", False),
)


def threshold_errors(values: dict[str, Any]) -> dict[str, str]:
    """Red must begin where amber has begun already: an index's red value at or below its amber
    value, a count's or amount's red value at or above its amber value."""
    errors = {}
    for amber, red, index in PAIRS:
        low, high = (values[red], values[amber]) if index else (values[amber], values[red])
        if low is None or high is None:
            continue
        if Decimal(str(low)) > Decimal(str(high)):
            errors[red] = (
                f"Red must begin at or below amber ({values[amber]}): an index is red below it."
                if index
                else f"Red must begin at or above amber ({values[amber]})."
            )
    return errors


@transaction.atomic
def report_settings_update(
    *, actor, program: Program, expected_version: int | None, **changes: Any
) -> ReportSettings:
    """The program's RAG thresholds; new reports and refreshed drafts are rated with them (a
    published report keeps the ratings it was published with)."""
    unknown = set(changes) - set(THRESHOLD_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    found = ReportSettings.objects.filter(program=program).first()
    if found is None:
        found = create(ReportSettings, actor=actor, program=program)
    current = lock_current(ReportSettings, pk=found.pk, expected_version=expected_version)
    errors = threshold_errors(
        {name: changes.get(name, getattr(current, name)) for name in THRESHOLD_FIELDS}
    )
    if errors:
        raise ValidationError(errors)
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)
