"""Reads of the RAID log for pages, the API, the escalation task and reports.

Lists are planned so that the number of queries does not grow with the rows: related names come
through `select_related` (or `.values()` rows for the big list pages), the heat map is a single
aggregate query, and the "overdue and escalated" view is one query per section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from programs.access import program_access_for_user
from programs.models import Program

from .choices import (
    IMPACT_LABELS,
    PROBABILITY_LABELS,
    RATINGS,
    SCORE_BAND_RANGES,
    RaidType,
    ScoreBand,
    score_band,
)
from .models import RAID_MODELS, Action, Issue, RaidItem, Risk, RiskSnapshot

# What each list row shows (`.values()` names): the list pages and the API's list rows.
COMMON_ROW_FIELDS = (
    "id", "key", "number", "title", "status", "owner_id", "owner__full_name", "owner__email",
    "workstream_id", "workstream__key", "workstream__name", "version", "updated_at",
)  # fmt: skip
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    RaidType.RISK: (
        *COMMON_ROW_FIELDS, "category", "probability", "impact", "score", "residual_probability",
        "residual_impact", "residual_score", "response_strategy", "proximity_date",
        "review_date", "emv",
    ),
    RaidType.ISSUE: (
        *COMMON_ROW_FIELDS, "severity", "priority", "due_date", "escalation_level",
        "raised_from_risk__key",
    ),
    RaidType.ASSUMPTION: (*COMMON_ROW_FIELDS, "validate_by"),
    RaidType.DEPENDENCY: (
        *COMMON_ROW_FIELDS, "direction", "needed_by", "giver_program__code",
        "giver_workstream__name", "giver_external", "receiver_program__code",
        "receiver_workstream__name", "receiver_external",
    ),
    RaidType.ACTION: (
        *COMMON_ROW_FIELDS, "due_date", "escalation_level", "completed_on", "subject_key",
        "content_type_id", "object_id",
    ),
}  # fmt: skip
# The date that makes an item of each type overdue (None: risks use their review date).
DUE_FIELD: dict[str, str] = {
    RaidType.RISK: "review_date",
    RaidType.ISSUE: "due_date",
    RaidType.ASSUMPTION: "validate_by",
    RaidType.DEPENDENCY: "needed_by",
    RaidType.ACTION: "due_date",
}


def model_for(raid_type: str) -> type[RaidItem]:
    try:
        return RAID_MODELS[raid_type]
    except KeyError:
        raise Http404("No such RAID type") from None


def _related(model: type[RaidItem]) -> tuple[str, ...]:
    extra: dict[type[RaidItem], tuple[str, ...]] = {
        Issue: ("raised_from_risk",),
    }
    return ("owner", "workstream", *extra.get(model, ()))


def raid_queryset(*, program: Program, raid_type: str) -> QuerySet:
    model = model_for(raid_type)
    return model.objects.filter(program=program).select_related(*_related(model))


def raid_list_for_user(*, user, program: Program | str, raid_type: str) -> QuerySet:
    """The program's items of one type, if `user` may see the RAID log (404 / 403 otherwise)."""
    code = program if isinstance(program, str) else program.code
    access = program_access_for_user(user=user, code=code)
    access.require("raid.view")
    return raid_queryset(program=access.program, raid_type=raid_type)


def risk_list_for_user(*, user, program: Program | str) -> QuerySet[Risk]:
    return raid_list_for_user(user=user, program=program, raid_type=RaidType.RISK)


def issue_list_for_user(*, user, program: Program | str) -> QuerySet[Issue]:
    return raid_list_for_user(user=user, program=program, raid_type=RaidType.ISSUE)


def action_list_for_user(*, user, program: Program | str) -> QuerySet[Action]:
    return raid_list_for_user(user=user, program=program, raid_type=RaidType.ACTION)


def raid_rows(*, program: Program, raid_type: str) -> QuerySet:
    """The list page's queryset (filter it, order it, then call `.values(*ROW_FIELDS[type])`)."""
    return model_for(raid_type).objects.filter(program=program)


def raid_rows_by_ids(*, raid_type: str, ids: list[int]) -> list[dict[str, Any]]:
    """The list rows (`ROW_FIELDS`) of these items, in the order of `ids`.

    Lists fetch a page in two steps: the page's ids (filtered, sorted and sliced with no joins,
    which PostgreSQL plans well even before it has statistics on a freshly loaded table), then
    these rows with their owners and workstreams joined, for those ids only."""
    if not ids:
        return []
    model = model_for(raid_type)
    rows = {r["id"]: r for r in model.objects.filter(pk__in=ids).values(*ROW_FIELDS[raid_type])}
    return [rows[i] for i in ids if i in rows]


def raid_item_get(*, program: Program, raid_type: str, key: str) -> RaidItem:
    """One item of this program by its key (case-insensitive), or 404."""
    model = model_for(raid_type)
    item = (
        model.objects.filter(program=program, key=key.strip().upper())
        .select_related("program", *_related(model))
        .first()
    )
    if item is None:
        raise Http404(f"No such {model._meta.verbose_name} in this program")
    return item


def raid_item_by_key(*, program: Program, key: str) -> RaidItem | None:
    """An item of any type by its key (RSK-3, ACT-12), or None."""
    prefix = key.strip().upper().partition("-")[0]
    for model in RAID_MODELS.values():
        if prefix == model.KEY_PREFIX:
            return (
                model.objects.filter(program=program, key=key.strip().upper())
                .select_related("program", "owner", "workstream")
                .first()
            )
    return None


def subject_ref(subject: models.Model) -> str:
    """How the action form names `subject` (`?on=`): a RAID key, or `app_label.model:pk`."""
    if isinstance(subject, RaidItem):
        return subject.key
    return f"{subject._meta.app_label}.{subject._meta.model_name}:{subject.pk}"


def subject_by_ref(*, program: Program, ref: str) -> models.Model | None:
    """An object of this program named `app_label.model:pk` that actions may be attached to:
    it must belong to the program and have a key (a change request, a decision...)."""
    label, _, pk = ref.partition(":")
    app_label, _, model_name = label.partition(".")
    try:
        ct = ContentType.objects.get_by_natural_key(app_label, model_name)
    except ContentType.DoesNotExist:
        return None
    model = ct.model_class()
    if model is None or not pk.isdigit() or not hasattr(model, "key"):
        return None
    subject = model._default_manager.filter(pk=int(pk)).first()
    if subject is None or getattr(subject, "program_id", None) != program.pk:
        return None
    return subject


def wbs_items_of(item: RaidItem) -> list:
    return list(item.wbs_items.order_by("outline_path").only("key", "name", "wbs", "kind"))


# ---------------------------------------------------------------------------------------------
# Actions on a subject (RAID items here; decisions and change requests in governance)
# ---------------------------------------------------------------------------------------------


def action_list_for_subject(*, subject: models.Model) -> QuerySet[Action]:
    """The actions attached to `subject`, soonest due first (no due date last)."""
    ct = ContentType.objects.get_for_model(subject)
    return (
        Action.objects.filter(content_type=ct, object_id=subject.pk)
        .select_related("owner", "workstream", "program")
        .order_by(F("due_date").asc(nulls_last=True), "number")
    )


def action_subject(action: Action) -> models.Model | None:
    """The object an action is attached to, or None (stand-alone or since deleted)."""
    if action.content_type_id is None or action.object_id is None:
        return None
    model = ContentType.objects.get_for_id(action.content_type_id).model_class()
    if model is None:
        return None
    return model._default_manager.filter(pk=action.object_id).first()


# ---------------------------------------------------------------------------------------------
# Overdue and escalated
# ---------------------------------------------------------------------------------------------


def _overdue_q(raid_type: str, today: dt.date) -> Q:
    due = DUE_FIELD[raid_type]
    return Q(**{f"{due}__lt": today, "status__in": RAID_MODELS[raid_type].ACTIVE_STATUSES})


def raid_items_overdue(*, program: Program, today: dt.date) -> list[Issue | Action]:
    """Open issues and actions of the program past their due date, earliest first: what the
    escalation task works through. Owner, workstream lead and program sponsor come loaded."""
    related = ("owner", "workstream__lead", "program__sponsor")
    issues = list(
        Issue.objects.filter(program=program)
        .filter(_overdue_q(RaidType.ISSUE, today))
        .select_related(*related)
    )
    actions = list(
        Action.objects.filter(program=program)
        .filter(_overdue_q(RaidType.ACTION, today))
        .select_related(*related)
    )
    items: list[Issue | Action] = [*issues, *actions]
    items.sort(key=lambda i: (i.due_date, i.KEY_PREFIX, i.number))
    return items


@dataclass
class OverdueSection:
    raid_type: str
    label: str
    rows: list[dict[str, Any]]
    due_label: str
    empty_text: str


def overdue_and_escalated(*, program: Program, today: dt.date) -> list[OverdueSection]:
    """The "overdue and escalated" page: one query per section.

    Issues and actions that are overdue or escalated (still open); risks past their review date;
    assumptions not validated by their date; dependencies not delivered by the date needed.
    """
    sections = []
    specs = [
        (RaidType.ISSUE, "Issues overdue or escalated", "Due", True),
        (RaidType.ACTION, "Actions overdue or escalated", "Due", True),
        (RaidType.RISK, "Risk reviews overdue", "Review due", False),
        (RaidType.ASSUMPTION, "Assumptions past their validate-by date", "Validate by", False),
        (RaidType.DEPENDENCY, "Dependencies past their needed-by date", "Needed by", False),
    ]
    for raid_type, label, due_label, escalates in specs:
        model = RAID_MODELS[raid_type]
        q = _overdue_q(raid_type, today)
        if escalates:
            q |= Q(escalation_level__gt=0, status__in=model.ACTIVE_STATUSES)
        due = DUE_FIELD[raid_type]
        rows = list(
            model.objects.filter(program=program)
            .filter(q)
            .annotate(due=F(due))
            .order_by(F(due).asc(nulls_last=True), "number")
            .values(*ROW_FIELDS[raid_type], "due")
        )
        for row in rows:
            row["days_late"] = (today - row["due"]).days if row["due"] else None
            row["overdue"] = bool(row["due"] and row["due"] < today)
        sections.append(
            OverdueSection(
                raid_type=raid_type,
                label=label,
                rows=rows,
                due_label=due_label,
                empty_text=f"No {RaidType(raid_type).label.lower()} are overdue.",
            )
        )
    return sections


# ---------------------------------------------------------------------------------------------
# Heat map, exposure, trend
# ---------------------------------------------------------------------------------------------


@dataclass
class HeatCell:
    probability: int
    impact: int
    count: int
    band: str

    @property
    def score(self) -> int:
        return self.probability * self.impact


@dataclass
class HeatMap:
    """Rows from probability 5 down to 1 (as drawn), cells from impact 1 to 5."""

    rows: list[list[HeatCell]]
    total: int
    assessed: int = 0  # residual map: risks with a residual rating
    unassessed: int = 0

    @property
    def probability_labels(self) -> dict[int, str]:
        return PROBABILITY_LABELS

    @property
    def impact_labels(self) -> list[tuple[int, str]]:
        return list(IMPACT_LABELS.items())


@dataclass
class HeatMaps:
    current: HeatMap
    residual: HeatMap
    figures: dict[str, Any] = field(default_factory=dict)


def risk_heatmap(*, program: Program, queryset: QuerySet[Risk] | None = None) -> HeatMaps:
    """Counts of open risks per (probability, impact) cell, current and residual, plus the
    exposure figures, in ONE query: the current and the residual grouping, as UNION ALL.

    `queryset` narrows it (e.g. the page's workstream or owner filter). Exposure (the sum of
    scores) and the assessed count follow from the groups; the EMV is summed per group."""
    qs = queryset if queryset is not None else Risk.objects.filter(program=program)
    qs = qs.filter(status__in=Risk.ACTIVE_STATUSES).order_by()
    current = qs.values(kind=models.Value("c"), p=F("probability"), i=F("impact")).annotate(
        n=Count("id"), emv_sum=Sum("emv")
    )
    residual = (
        qs.filter(residual_score__isnull=False)
        .values(kind=models.Value("r"), p=F("residual_probability"), i=F("residual_impact"))
        .annotate(n=Count("id"), emv_sum=Sum("emv"))
    )
    counts: dict[tuple[str, int, int], int] = {}
    emv = Decimal("0")
    for row in current.union(residual, all=True):
        counts[(row["kind"], row["p"], row["i"])] = row["n"]
        if row["kind"] == "c":
            emv += row["emv_sum"] or Decimal("0")

    def grid(kind: str) -> list[list[HeatCell]]:
        return [
            [HeatCell(p, i, counts.get((kind, p, i), 0), score_band(p * i) or "") for i in RATINGS]
            for p in reversed(RATINGS)
        ]

    total = sum(n for (kind, _p, _i), n in counts.items() if kind == "c")
    assessed = sum(n for (kind, _p, _i), n in counts.items() if kind == "r")
    exposure = sum(p * i * n for (kind, p, i), n in counts.items() if kind == "c")
    return HeatMaps(
        current=HeatMap(rows=grid("c"), total=total),
        residual=HeatMap(
            rows=grid("r"), total=total, assessed=assessed, unassessed=total - assessed
        ),
        figures={
            "open": total,
            "exposure": exposure,
            "contingency_reserve": emv.quantize(Decimal("0.01")),
        },
    )


def _band_count(band: str) -> Count:
    low, high = SCORE_BAND_RANGES[band]
    return Count("id", filter=Q(score__gte=low, score__lte=high))


def risk_exposure(*, program: Program) -> dict[str, Any]:
    """The program's open-risk figures now, in one aggregate query: counts by score band, total
    exposure (sum of scores), residual exposure (residual score, or the score where not yet
    assessed) and total EMV (the contingency reserve)."""
    figures = Risk.objects.filter(program=program, status__in=Risk.ACTIVE_STATUSES).aggregate(
        open_count=Count("id"),
        low_count=_band_count(ScoreBand.LOW),
        medium_count=_band_count(ScoreBand.MEDIUM),
        high_count=_band_count(ScoreBand.HIGH),
        critical_count=_band_count(ScoreBand.CRITICAL),
        total_exposure=Coalesce(Sum("score"), 0),
        residual_exposure=Coalesce(
            Sum(Coalesce("residual_score", "score", output_field=IntegerField())), 0
        ),
        total_emv=Coalesce(Sum("emv"), Decimal("0.00"), output_field=models.DecimalField()),
    )
    figures["total_emv"] = Decimal(figures["total_emv"]).quantize(Decimal("0.01"))
    return figures


def risk_snapshots(*, program: Program, weeks: int = 26) -> list[RiskSnapshot]:
    """The last `weeks` weekly snapshots, oldest first."""
    rows = list(RiskSnapshot.objects.filter(program=program).order_by("-week_start")[:weeks])
    rows.reverse()
    return rows


def exposure_trend(
    *, program: Program, weeks: int = 26, snapshots: list[RiskSnapshot] | None = None
) -> dict[str, Any]:
    """The trend chart's data, from `snapshots` when the caller has them already."""
    snaps = snapshots if snapshots is not None else risk_snapshots(program=program, weeks=weeks)
    return {
        "weeks": [s.week_start.isoformat() for s in snaps],
        "exposure": [s.total_exposure for s in snaps],
        "residual": [s.residual_exposure for s in snaps],
        "open": [s.open_count for s in snaps],
        "critical": [s.critical_count for s in snaps],
        "high": [s.high_count for s in snaps],
        "medium": [s.medium_count for s in snaps],
        "low": [s.low_count for s in snaps],
        "emv": [f"{s.total_emv:.2f}" for s in snaps],
    }


def raid_tab_counts(*, program: Program) -> dict[str, int]:
    """Open items per type, for the tab badges: one query (a subquery per type)."""
    subqueries = {}
    for raid_type, model in RAID_MODELS.items():
        subqueries[f"n_{raid_type}"] = models.Subquery(
            model.objects.filter(program=models.OuterRef("pk"), status__in=model.ACTIVE_STATUSES)
            .order_by()
            .values("program")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=models.IntegerField(),
        )
    row = Program.objects.filter(pk=program.pk).values(**subqueries).first()
    counts: dict[str, Any] = dict(row) if row else {}
    return {raid_type: counts.get(f"n_{raid_type}") or 0 for raid_type in RAID_MODELS}


def has_raid_data(*, program: Program) -> bool:
    return any(m.objects.filter(program=program).exists() for m in RAID_MODELS.values())
