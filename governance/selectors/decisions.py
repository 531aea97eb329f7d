"""Reads of the decision log: the list and its status counts, one decision with its links."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Model, QuerySet
from django.http import Http404

from programs.models import Program

from ..choices import DecisionStatus
from ..models import Decision, DecisionLink
from .links import LinkedItem, describe_targets


def decision_list(*, program: Program) -> QuerySet:
    """The program's decisions, newest first, with who decided, what replaced them and how many
    items each links to."""
    return (
        Decision.objects.filter(program=program)
        .select_related("decided_by", "superseded_by")
        .annotate(link_count=Count("links", distinct=True))
        .order_by("-id")
    )


def decision_status_counts(*, queryset: QuerySet) -> dict[str, int]:
    rows = queryset.order_by().values("status").annotate(n=Count("id", distinct=True))
    counts = dict.fromkeys(DecisionStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def decision_get(*, program: Program, key: str) -> Decision:
    decision = (
        Decision.objects.filter(program=program, key=str(key).strip().upper())
        .select_related("decided_by", "superseded_by")
        .first()
    )
    if decision is None:
        raise Http404("No such decision")
    decision.program = program
    return decision


def decision_links(*, decision: Decision) -> list[LinkedItem]:
    """What the decision links to, in the order linked (one query per kind of item)."""
    pairs = list(
        DecisionLink.objects.filter(decision=decision)
        .order_by("id")
        .values_list("content_type_id", "object_id")
    )
    return describe_targets(program=decision.program, pairs=pairs)


def decision_link_keys(*, decision: Decision) -> list[str]:
    return [item.key for item in decision_links(decision=decision)]


def decisions_linked_to(*, obj: Model) -> QuerySet:
    """Decisions that link to `obj` (a change request, a WBS item, a risk...), newest first."""
    ct = ContentType.objects.get_for_model(obj)
    ids = DecisionLink.objects.filter(content_type=ct, object_id=obj.pk).values("decision_id")
    return Decision.objects.filter(pk__in=ids).select_related("decided_by").order_by("-id")


def decisions_superseded_by(*, decision: Decision) -> QuerySet:
    return Decision.objects.filter(superseded_by=decision).order_by("id")
