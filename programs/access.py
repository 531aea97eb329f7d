"""The one way to reach a program as a user: membership, or a 404; role checks give 403."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from core.permissions import Role, role_can

from .models import Program, ProgramMembership


@dataclass(frozen=True)
class ProgramAccess:
    program: Program
    role: str

    def can(self, action: str) -> bool:
        return role_can(self.role, action)

    def require(self, action: str) -> None:
        if not self.can(action):
            raise PermissionDenied(
                f"Your role ({Role(self.role).label}) in {self.program.code} does not allow this."
            )

    @property
    def role_label(self) -> str:
        return Role(self.role).label


def program_access_for_user(*, user, code: str) -> ProgramAccess:
    """The program with this code and the user's role in it, or Http404 for non-members."""
    if not user.is_authenticated:
        raise Http404("No such program")
    membership = (
        ProgramMembership.objects.select_related("program", "program__sponsor")
        .filter(user=user, program__code=code)
        .only("role", "program")
        .order_by()[:1]
    )
    membership = membership[0] if membership else None
    if membership is None:
        raise Http404("No such program")
    return ProgramAccess(program=membership.program, role=membership.role)
