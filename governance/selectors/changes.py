"""Reads of change control: the request list and its status counts, one request with what its
page shows, the timeline, what awaits someone's approval, and the program's policy."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce
from django.http import Http404

from core.permissions import Role
from programs.models import Program, ProgramMembership
from schedules.models import Item

from ..choices import CHANGE_STATUS_ORDER, ApprovalLevel, ChangeStatus
from ..models import ChangeControlPolicy, ChangeRequest, ChangeRequestTransition
from .links import objects_for_keys


def change_policy_get(*, program: Program) -> ChangeControlPolicy:
    """The program's policy, or the defaults (unsaved) while nobody has changed them."""
    policy = ChangeControlPolicy.objects.filter(program=program).first()
    if policy is None:
        policy = ChangeControlPolicy(program=program)
    policy.program = program
    return policy


def approval_level(change_request: ChangeRequest, policy: ChangeControlPolicy) -> str:
    """SPONSOR when either impact, up or down, is above the policy's threshold; else MANAGER."""
    cost = abs(change_request.cost_impact or Decimal("0"))
    days = abs(change_request.schedule_impact_days or 0)
    if cost > policy.sponsor_cost_threshold or days > policy.sponsor_schedule_threshold_days:
        return ApprovalLevel.SPONSOR
    return ApprovalLevel.MANAGER


def with_approval_level(queryset: QuerySet, policy: ChangeControlPolicy) -> QuerySet:
    """`approval_level` as SQL, so lists show and filter it without a query per row."""
    money = DecimalField(max_digits=14, decimal_places=2)
    cost = Abs(Coalesce("cost_impact", Value(Decimal("0")), output_field=money))
    days = Abs(Coalesce("schedule_impact_days", Value(0), output_field=IntegerField()))
    return queryset.annotate(cost_abs=cost, days_abs=days).annotate(
        approval_level=Case(
            When(
                Q(cost_abs__gt=policy.sponsor_cost_threshold)
                | Q(days_abs__gt=policy.sponsor_schedule_threshold_days),
                then=Value(ApprovalLevel.SPONSOR.value),
            ),
            default=Value(ApprovalLevel.MANAGER.value),
            output_field=CharField(),
        )
    )


def change_request_list(*, program: Program, policy: ChangeControlPolicy | None = None) -> QuerySet:
    """The program's requests with requester and workstream, newest first, each annotated with
    the approval level the policy gives it."""
    policy = policy or change_policy_get(program=program)
    queryset = ChangeRequest.objects.filter(program=program).select_related(
        "requester", "workstream"
    )
    return with_approval_level(queryset, policy).order_by("-created_at", "-id")


def change_request_status_counts(*, queryset: QuerySet) -> dict[str, int]:
    """Requests per status (every status, zeros included) in one aggregate query."""
    rows = queryset.order_by().values("status").annotate(n=Count("id", distinct=True))
    counts = dict.fromkeys(CHANGE_STATUS_ORDER, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def change_request_get(*, program: Program, key: str) -> ChangeRequest:
    """The program's request with this key (any case), or 404."""
    request = (
        ChangeRequest.objects.filter(program=program, key=str(key).strip().upper())
        .select_related(
            "requester", "workstream", "decided_by", "decision", "baseline", "baseline__created_by"
        )
        .first()
    )
    if request is None:
        raise Http404("No such change request")
    request.program = program
    return request


def affected_items(*, change_request: ChangeRequest) -> list[Item]:
    return list(change_request.affected_items.select_related("workstream").order_by("outline_path"))


def affected_keys_by_request(*, ids: list[int]) -> dict[int, list[str]]:
    """Request id -> its affected items' keys in outline order, for a page of requests (1 query)."""
    through = ChangeRequest.affected_items.through
    rows = (
        through.objects.filter(changerequest_id__in=ids)
        .order_by("item__outline_path")
        .values_list("changerequest_id", "item__key")
    )
    keys: dict[int, list[str]] = {pk: [] for pk in ids}
    for request_id, key in rows:
        keys[request_id].append(key)
    return keys


def items_for_keys(*, program: Program, keys: list[str], field: str = "affected_items"):
    """The program's WBS items with these keys, or a field error naming each unknown one."""
    return objects_for_keys(program=program, keys=keys, field=field, prefixes=(Item.KEY_PREFIX,))


def change_request_transitions(*, change_request: ChangeRequest) -> QuerySet:
    return ChangeRequestTransition.objects.filter(change_request=change_request).order_by(
        "at", "id"
    )


def manager_ids(*, program: Program) -> list[int]:
    return list(
        ProgramMembership.objects.filter(program=program, role=Role.MANAGER)
        .order_by("user__full_name")
        .values_list("user_id", flat=True)
    )


def change_request_pending_for(
    *, program: Program, user, role: str | None, policy: ChangeControlPolicy | None = None
) -> QuerySet:
    """Assessed requests waiting for this person's decision: the sponsor sees those above the
    thresholds, program managers those within them; never one's own unless the policy allows."""
    policy = policy or change_policy_get(program=program)
    levels = []
    if program.sponsor_id is not None and program.sponsor_id == user.pk:
        levels.append(ApprovalLevel.SPONSOR.value)
    if role == Role.MANAGER:
        levels.append(ApprovalLevel.MANAGER.value)
    queryset = change_request_list(program=program, policy=policy).filter(
        status=ChangeStatus.ASSESSED, approval_level__in=levels
    )
    if not policy.allow_self_approval:
        queryset = queryset.exclude(requester=user)
    return queryset.order_by("needed_by", "created_at", "id")
