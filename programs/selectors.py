"""Reads that shape programs, workstreams, members and activity for screens and the API."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from core.models import AuditEntry

from .models import Program, ProgramMembership, Workstream


def program_list_for_user(*, user, search: str = "", status: str = "") -> QuerySet[Program]:
    my_role = ProgramMembership.objects.filter(program=OuterRef("pk"), user=user).values("role")[:1]
    # Scope with a subquery, not a join on `memberships`: a join would also filter the rows that
    # Count("memberships") sees, and every program would report one member.
    mine = ProgramMembership.objects.filter(user=user).values("program_id")
    qs = (
        Program.objects.filter(pk__in=mine)
        .select_related("sponsor")
        .annotate(
            my_role=Subquery(my_role),
            workstream_count=Count("workstreams", distinct=True),
            member_count=Count("memberships", distinct=True),
        )
    )
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("name")


def workstream_list(*, program: Program) -> QuerySet[Workstream]:
    return Workstream.objects.filter(program=program).select_related("lead")


def workstream_get(*, program: Program, key: str) -> Workstream:
    try:
        return Workstream.objects.select_related("lead", "program").get(program=program, key=key)
    except Workstream.DoesNotExist as exc:
        raise Http404("No such workstream") from exc


def membership_list(*, program: Program) -> QuerySet[ProgramMembership]:
    return ProgramMembership.objects.filter(program=program).select_related("user")


def membership_get(*, program: Program, pk) -> ProgramMembership:
    try:
        return ProgramMembership.objects.select_related("user", "program").get(
            program=program, pk=pk
        )
    except (ProgramMembership.DoesNotExist, ValueError) as exc:
        raise Http404("No such member") from exc


def member_users(*, program: Program):
    """Users who may be picked (as lead, owner...) in this program: its members only."""
    from core.models import User

    return User.objects.filter(memberships__program=program, is_active=True).order_by("full_name")


def role_counts(*, program: Program) -> dict[str, int]:
    rows = (
        ProgramMembership.objects.filter(program=program)
        .values("role")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["role"]: r["n"] for r in rows}


def activity_list(*, program: Program) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(program_id=program.pk).select_related("content_type")


def activity_object_types(*, program: Program) -> list[ContentType]:
    ids = (
        AuditEntry.objects.filter(program_id=program.pk)
        .values_list("content_type_id", flat=True)
        .distinct()
        .order_by()
    )
    return sorted(ContentType.objects.filter(pk__in=list(ids)), key=lambda ct: ct.name)
