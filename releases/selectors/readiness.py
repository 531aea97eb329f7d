"""The facts readiness is judged on (see releases/readiness.py), gathered for one release or a
whole list of them in a fixed number of queries (eight), however many rows they hold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils import timezone

from .. import readiness as engine
from ..models import (
    OPEN_DEFECT_STATUSES,
    CycleCase,
    Defect,
    ReadinessCriterion,
    Release,
    ReleaseSignoff,
    RollbackPlan,
)

BacklogScope = Release.backlog_items.through
RequirementScope = Release.requirements.through


def _name(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


def _day(moment) -> str:
    """28 Nov 2026, in the current time zone; "" for None."""
    if moment is None:
        return ""
    day = timezone.localtime(moment).date()
    return f"{day.day} {day:%b %Y}"


def criterion_spec(criterion: ReadinessCriterion) -> engine.Criterion:
    """A criterion row as the engine reads it (manual_checked_by should be select_related)."""
    checked_by = criterion.manual_checked_by if criterion.manual_checked_by_id else None
    return engine.Criterion(
        kind=criterion.kind,
        id=criterion.pk,
        label=criterion.label,
        severity=criterion.severity,
        threshold=criterion.threshold,
        cycle_kind=criterion.cycle_kind,
        priority=criterion.priority,
        manual_met=criterion.manual_met,
        manual_evidence=criterion.manual_evidence,
        manual_checked_by=_name(checked_by),
        manual_checked_on=_day(criterion.manual_checked_at),
    )


def criteria_of(release_ids: Iterable[int]) -> dict[int, list[ReadinessCriterion]]:
    found: dict[int, list[ReadinessCriterion]] = defaultdict(list)
    for criterion in ReadinessCriterion.objects.filter(release_id__in=release_ids).select_related(
        "manual_checked_by"
    ):
        found[criterion.release_id].append(criterion)
    return found


def facts_for(release_ids: list[int]) -> dict[int, engine.Facts]:
    """Readiness facts per release id, in seven queries for any number of releases."""
    ids = list(release_ids)
    defects: dict[int, dict[str, engine.DefectFact]] = defaultdict(dict)
    open_ = Defect.objects.filter(status__in=OPEN_DEFECT_STATUSES)
    for row in open_.filter(target_release_id__in=ids).values(
        "key", "severity", "title", "target_release_id"
    ):
        defects[row["target_release_id"]][row["key"]] = engine.DefectFact(
            row["key"], row["severity"], row["title"]
        )
    # defects of a scope requirement that no release was chosen for
    linked = open_.filter(target_release__isnull=True, requirement__isnull=False)
    scope_of_requirement: dict[int, list[int]] = defaultdict(list)
    requirements: dict[int, list[engine.RequirementFact]] = defaultdict(list)
    for row in RequirementScope.objects.filter(release_id__in=ids).values(
        "release_id",
        "requirement_id",
        "requirement__key",
        "requirement__priority",
        "requirement__status",
    ):
        scope_of_requirement[row["requirement_id"]].append(row["release_id"])
        requirements[row["release_id"]].append(
            engine.RequirementFact(
                row["requirement__key"], row["requirement__priority"], row["requirement__status"]
            )
        )
    if scope_of_requirement:
        for row in linked.filter(requirement_id__in=list(scope_of_requirement)).values(
            "key", "severity", "title", "requirement_id"
        ):
            for release_id in scope_of_requirement[row["requirement_id"]]:
                defects[release_id][row["key"]] = engine.DefectFact(
                    row["key"], row["severity"], row["title"]
                )

    cases: dict[int, list[engine.CaseFact]] = defaultdict(list)
    for row in CycleCase.objects.filter(cycle__release_id__in=ids).values_list(
        "cycle__release_id", "cycle__key", "cycle__kind", "case__key", "last_result"
    ):
        cases[row[0]].append(engine.CaseFact(row[1], row[2], row[3], row[4]))

    backlog: dict[int, list[engine.BacklogFact]] = defaultdict(list)
    for release_id, key, status in BacklogScope.objects.filter(release_id__in=ids).values_list(
        "release_id", "backlogitem__key", "backlogitem__status"
    ):
        backlog[release_id].append(engine.BacklogFact(key, status))

    signoffs: dict[int, list[engine.SignoffFact]] = defaultdict(list)
    for signoff in ReleaseSignoff.objects.filter(release_id__in=ids).select_related("signer"):
        signoffs[signoff.release_id].append(
            engine.SignoffFact(signoff.role, _name(signoff.signer), signoff.signed_at is not None)
        )

    plans: dict[int, engine.RollbackFact] = {}
    for plan in (
        RollbackPlan.objects.filter(release_id__in=ids)
        .select_related("approved_by")
        .annotate(step_count=Count("steps"))
    ):
        plans[plan.release_id] = engine.RollbackFact(
            status=plan.status,
            steps=plan.step_count,
            approved_by=_name(plan.approved_by),
            approved_on=_day(plan.approved_at),
        )

    return {
        release_id: engine.Facts(
            open_defects=tuple(defects[release_id].values()),
            cases=tuple(cases[release_id]),
            requirements=tuple(requirements[release_id]),
            backlog=tuple(backlog[release_id]),
            signoffs=tuple(signoffs[release_id]),
            rollback=plans.get(release_id),
        )
        for release_id in ids
    }


def readiness_of_many(releases: Iterable[Release]) -> dict[int, engine.Readiness]:
    """Each release's readiness, in eight queries for the lot."""
    ids = [release.pk for release in releases]
    if not ids:
        return {}
    criteria = criteria_of(ids)
    facts = facts_for(ids)
    return {
        release_id: engine.evaluate(
            [criterion_spec(c) for c in criteria.get(release_id, [])], facts[release_id]
        )
        for release_id in ids
    }


def release_readiness(release: Release) -> engine.Readiness:
    return readiness_of_many([release])[release.pk]


def open_defect_filter(release: Release) -> Q:
    """The release's open defects as a filter (the same rule as facts_for)."""
    return Q(status__in=OPEN_DEFECT_STATUSES) & (
        Q(target_release=release) | Q(target_release__isnull=True, requirement__releases=release)
    )


def readiness_with_criteria(
    release: Release,
) -> tuple[engine.Readiness, list[ReadinessCriterion]]:
    """The release's readiness and its criterion rows (for their actions), in eight queries."""
    criteria = criteria_of([release.pk]).get(release.pk, [])
    facts = facts_for([release.pk])[release.pk]
    return engine.evaluate([criterion_spec(c) for c in criteria], facts), criteria
