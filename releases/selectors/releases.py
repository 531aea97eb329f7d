"""Reads of releases for their pages, the API and release notes: the list with scope sizes and
readiness, one release with everything the detail page shows (each part in a fixed number of
queries), the scope candidates, and the release notes built from the scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from ..models import (
    OPEN_DEFECT_STATUSES,
    BacklogItem,
    BacklogStatus,
    CycleCase,
    Defect,
    GoNoGoReview,
    GoNoGoVote,
    ReadinessCriterion,
    Release,
    ReleaseLogEntry,
    ReleaseSignoff,
    ReleaseStatus,
    Requirement,
    RequirementStatus,
    RollbackPlan,
    RollbackStep,
    RunResult,
    TestCycle,
)
from .readiness import readiness_of_many

STATUS_COLOURS = {
    ReleaseStatus.PLANNED: "azure",
    ReleaseStatus.GO: "green",
    ReleaseStatus.RELEASED: "teal",
    ReleaseStatus.ROLLED_BACK: "orange",
    ReleaseStatus.CANCELLED: "secondary",
}
STATUS_ICONS = {
    ReleaseStatus.PLANNED: "ti-calendar-event",
    ReleaseStatus.GO: "ti-player-play",
    ReleaseStatus.RELEASED: "ti-rocket",
    ReleaseStatus.ROLLED_BACK: "ti-arrow-back-up",
    ReleaseStatus.CANCELLED: "ti-ban",
}


def release_list(*, program) -> QuerySet[Release]:
    return (
        Release.objects.filter(program=program)
        .select_related("owner")
        .annotate(
            requirement_count=Count("requirements", distinct=True),
            backlog_count=Count("backlog_items", distinct=True),
        )
        .order_by("planned_date", "number")
    )


def releases_with_readiness(*, program, status: str = "") -> list[Release]:
    """Every release of the program (optionally of one status) with `readiness` attached, in a
    fixed number of queries."""
    rows = release_list(program=program)
    if status:
        rows = rows.filter(status=status)
    releases = list(rows)
    readiness = readiness_of_many(releases)
    for release in releases:
        release.readiness = readiness[release.pk]
        release.status_colour = STATUS_COLOURS[release.status]
    return releases


def release_get(*, program, key: str) -> Release:
    release = (
        Release.objects.filter(program=program, key=(key or "").upper())
        .select_related("owner", "program")
        .first()
    )
    if release is None:
        raise Http404("No such release")
    return release


# --- the detail page's parts ----------------------------------------------------------------


def criteria(release: Release) -> list[ReadinessCriterion]:
    return list(release.criteria.select_related("manual_checked_by"))


def scope_requirements(release: Release) -> list[Requirement]:
    return list(
        release.requirements.select_related("workstream", "owner").order_by(
            "workstream__name", "number"
        )
    )


def scope_backlog(release: Release) -> list[BacklogItem]:
    return list(
        release.backlog_items.select_related("workstream", "assignee").order_by(
            "workstream__name", "rank", "number"
        )
    )


@dataclass
class CycleRow:
    cycle: TestCycle
    planned: int
    executed: int
    passed: int
    failed: int
    blocked: int

    @property
    def not_run(self) -> int:
        return self.planned - self.executed

    @property
    def pass_rate(self) -> Decimal | None:
        if not self.executed:
            return None
        rate = Decimal(self.passed) * 100 / Decimal(self.executed)
        return rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)

    @property
    def progress(self) -> int:
        return round(100 * self.executed / self.planned) if self.planned else 0


def cycles(release: Release) -> list[CycleRow]:
    executed = Q(cycle_cases__last_result__in=(RunResult.PASS, RunResult.FAIL, RunResult.BLOCKED))
    rows = (
        release.test_cycles.select_related("owner")
        .annotate(
            planned=Count("cycle_cases"),
            executed=Count("cycle_cases", filter=executed),
            passed=Count("cycle_cases", filter=Q(cycle_cases__last_result=RunResult.PASS)),
            failed=Count("cycle_cases", filter=Q(cycle_cases__last_result=RunResult.FAIL)),
            blocked=Count("cycle_cases", filter=Q(cycle_cases__last_result=RunResult.BLOCKED)),
        )
        .order_by("start_date", "number")
    )
    return [CycleRow(c, c.planned, c.executed, c.passed, c.failed, c.blocked) for c in rows]


def defects(release: Release) -> list[Defect]:
    """Defects targeted at the release, open ones first, worst first."""
    rows = (
        Defect.objects.filter(program_id=release.program_id, target_release=release)
        .select_related("owner", "requirement")
        .order_by("severity", "number")
    )
    found = list(rows)
    found.sort(key=lambda d: (d.status not in OPEN_DEFECT_STATUSES, d.severity, d.number))
    return found


def signoffs(release: Release) -> list[ReleaseSignoff]:
    return list(release.signoffs.select_related("signer"))


def reviews(release: Release) -> list[GoNoGoReview]:
    return list(
        release.reviews.select_related("decided_by").prefetch_related(
            "attendees",
            Prefetch("votes", queryset=GoNoGoVote.objects.select_related("voter")),
        )
    )


def review_get(release: Release, pk) -> GoNoGoReview:
    review = (
        release.reviews.filter(pk=pk)
        .select_related("decided_by", "release", "program")
        .prefetch_related(
            "attendees", Prefetch("votes", queryset=GoNoGoVote.objects.select_related("voter"))
        )
        .first()
    )
    if review is None:
        raise Http404("No such review")
    return review


def rollback_plan(release: Release) -> RollbackPlan | None:
    return (
        RollbackPlan.objects.filter(release=release)
        .select_related("owner", "approved_by")
        .prefetch_related(Prefetch("steps", queryset=RollbackStep.objects.select_related("owner")))
        .first()
    )


def rollback_step_get(release: Release, pk) -> RollbackStep:
    step = RollbackStep.objects.filter(pk=pk, plan__release=release).select_related("plan").first()
    if step is None:
        raise Http404("No such step")
    return step


def log_entries(release: Release) -> list[ReleaseLogEntry]:
    return list(release.log.select_related("recorded_by"))


def criterion_get(release: Release, pk) -> ReadinessCriterion:
    criterion = release.criteria.filter(pk=pk).select_related("manual_checked_by").first()
    if criterion is None:
        raise Http404("No such criterion")
    return criterion


def signoff_get(release: Release, pk) -> ReleaseSignoff:
    signoff = release.signoffs.filter(pk=pk).select_related("signer", "release").first()
    if signoff is None:
        raise Http404("No such sign-off")
    return signoff


def tab_counts(release: Release) -> dict[str, int]:
    """The badge of each tab, in one query."""
    row = Release.objects.filter(pk=release.pk).aggregate(
        requirements=Count("requirements", distinct=True),
        backlog=Count("backlog_items", distinct=True),
        cycles=Count("test_cycles", distinct=True),
        signoffs=Count("signoffs", distinct=True),
        reviews=Count("reviews", distinct=True),
        log=Count("log", distinct=True),
    )
    row["scope"] = row["requirements"] + row["backlog"]
    return row


# --- scope candidates -----------------------------------------------------------------------


def requirement_candidates(release: Release, *, q: str = "", workstream: str = "", limit=50):
    """Requirements of the program not yet in the scope (rejected ones left out)."""
    rows = (
        Requirement.objects.filter(program_id=release.program_id)
        .exclude(releases=release)
        .exclude(status=RequirementStatus.REJECTED)
        .select_related("workstream")
        .order_by("number")
    )
    if q:
        rows = rows.filter(Q(key__iexact=q.strip()) | Q(title__icontains=q.strip()))
    if workstream:
        rows = rows.filter(workstream_id=workstream)
    return list(rows[:limit])


def backlog_candidates(release: Release, *, q: str = "", workstream: str = "", limit=50):
    rows = (
        BacklogItem.objects.filter(program_id=release.program_id)
        .exclude(releases=release)
        .exclude(status=BacklogStatus.REMOVED)
        .select_related("workstream")
        .order_by("workstream__name", "rank", "number")
    )
    if q:
        rows = rows.filter(Q(key__iexact=q.strip()) | Q(title__icontains=q.strip()))
    if workstream:
        rows = rows.filter(workstream_id=workstream)
    return list(rows[:limit])


# --- release notes --------------------------------------------------------------------------


@dataclass
class NotesGroup:
    name: str
    rows: list = field(default_factory=list)


@dataclass
class ReleaseNotes:
    release: Release
    features: list[NotesGroup]  # scope requirements (not deferred or rejected) by workstream
    done_items: list[BacklogItem]
    known_issues: list[Defect]
    deferred: list  # requirements deferred or rejected, and backlog items not done


def release_notes(release: Release) -> ReleaseNotes:
    """What the release brings, from its scope (four queries)."""
    groups: dict[str, NotesGroup] = {}
    deferred: list = []
    for requirement in scope_requirements(release):
        if requirement.status in (RequirementStatus.DEFERRED, RequirementStatus.REJECTED):
            deferred.append(requirement)
            continue
        name = requirement.workstream.name if requirement.workstream else "Program-wide"
        groups.setdefault(name, NotesGroup(name)).rows.append(requirement)
    done = []
    for item in scope_backlog(release):
        if item.status == BacklogStatus.DONE:
            done.append(item)
        elif item.status != BacklogStatus.REMOVED:
            deferred.append(item)
    known = list(
        Defect.objects.filter(
            program_id=release.program_id,
            target_release=release,
            status__in=OPEN_DEFECT_STATUSES,
        ).order_by("severity", "number")
    )
    return ReleaseNotes(release, list(groups.values()), done, known, deferred)


def cycle_case_count(release: Release) -> int:
    return CycleCase.objects.filter(cycle__release=release).count()


SEVERITY_WORDS = {1: "critical", 2: "major", 3: "minor", 4: "cosmetic"}


def _md(text: str) -> str:
    """Plain text safe inside a Markdown line (no accidental emphasis, links or headings)."""
    text = " ".join(str(text).split())
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def _heading(release: Release) -> str:
    title = f"Release {release.version_label}"
    if release.name:
        title += f": {release.name}"
    return title


def _dated(release: Release) -> str:
    if release.released_at:
        return f"Released {release.released_at:%d %B %Y}"
    return f"Planned for {release.planned_date:%d %B %Y} ({release.get_status_display().lower()})"


def _deferred_line(row) -> str:
    if isinstance(row, Requirement):
        return f"{row.key} {row.title} ({row.get_status_display().lower()})"
    return f"{row.key} {row.title} (backlog item, {row.get_status_display().lower()})"


def notes_as_markdown(notes: ReleaseNotes) -> str:
    release = notes.release
    lines = [f"# {_md(_heading(release))}", "", f"{release.key} · {_dated(release)}", ""]
    if release.description:
        lines += [_md(release.description), ""]
    lines += ["## What is in this release", ""]
    if not notes.features:
        lines += ["No requirements in the scope.", ""]
    for group in notes.features:
        lines += [f"### {_md(group.name)}", ""]
        lines += [f"- **{r.key}** {_md(r.title)}" for r in group.rows]
        lines.append("")
    if notes.done_items:
        lines += ["## Backlog items done", ""]
        lines += [f"- **{b.key}** {_md(b.title)}" for b in notes.done_items]
        lines.append("")
    lines += ["## Known issues", ""]
    if notes.known_issues:
        lines += [
            f"- **{d.key}** (severity {d.severity}, {SEVERITY_WORDS.get(d.severity, '')}) "
            f"{_md(d.title)}"
            for d in notes.known_issues
        ]
    else:
        lines.append("No open defects are targeted at this release.")
    lines.append("")
    if notes.deferred:
        lines += ["## Deferred or not done", ""]
        lines += [f"- {_md(_deferred_line(row))}" for row in notes.deferred]
        lines.append("")
    return "\n".join(lines)


def notes_as_text(notes: ReleaseNotes) -> str:
    release = notes.release
    heading = _heading(release)
    lines = [heading, "=" * len(heading), f"{release.key} · {_dated(release)}", ""]
    if release.description:
        lines += [" ".join(release.description.split()), ""]

    def section(title: str) -> None:
        lines.extend([title, "-" * len(title)])

    section("What is in this release")
    if not notes.features:
        lines.append("No requirements in the scope.")
    for group in notes.features:
        lines.append(f"{group.name}:")
        lines += [f"  * {r.key} {' '.join(r.title.split())}" for r in group.rows]
    lines.append("")
    if notes.done_items:
        section("Backlog items done")
        lines += [f"  * {b.key} {' '.join(b.title.split())}" for b in notes.done_items]
        lines.append("")
    section("Known issues")
    if notes.known_issues:
        lines += [
            f"  * {d.key} (severity {d.severity}) {' '.join(d.title.split())}"
            for d in notes.known_issues
        ]
    else:
        lines.append("No open defects are targeted at this release.")
    lines.append("")
    if notes.deferred:
        section("Deferred or not done")
        lines += [f"  * {_deferred_line(row)}" for row in notes.deferred]
        lines.append("")
    return "\n".join(lines)


def notes_filename(release: Release, extension: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in release.version_label)
    return f"{release.program.code}-{release.key}-release-notes-{safe}.{extension}"
