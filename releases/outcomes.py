"""Requirements a change request added or changed, for its page in governance
(governance.outcomes)."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from governance.outcomes import Outcome

from .models import Requirement


def requirement_url(code: str, key: str) -> str:
    return reverse("releases:requirement_detail", kwargs={"code": code, "key": key})


def requirements_of(change_request, access) -> list[Outcome]:
    requirements = (
        Requirement.objects.filter(program_id=change_request.program_id)
        .filter(Q(change_requests=change_request) | Q(revisions__change_request=change_request))
        .distinct()
        .order_by("number")
    )
    can_view = access.can("requirement.view")
    code = change_request.program.code
    return [
        Outcome(
            kind="Requirement",
            key=requirement.key,
            title=requirement.title,
            url=requirement_url(code, requirement.key) if can_view else None,
            status=requirement.get_status_display(),
        )
        for requirement in requirements
    ]
