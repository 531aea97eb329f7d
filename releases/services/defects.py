"""Defects: raise, edit and move through the workflow (see models/defects.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from core.domain import check_member, check_same_program, create
from programs.models import Program

from ..models import Defect, DefectTransition

LINKS = ("workstream", "found_in_cycle", "test_case", "test_run", "requirement", "target_release")


def check_defect_fields(program: Program, fields: dict[str, Any]) -> None:
    for name in LINKS:
        if name in fields:
            check_same_program(program, fields[name], name)
    if "owner" in fields:
        check_member(program, fields["owner"], "owner")


@transaction.atomic
def defect_create(*, actor, program: Program, comment: str = "", **fields: Any) -> Defect:
    """Raise a defect (status new) and open its workflow trail."""
    check_defect_fields(program, fields)
    defect = create(Defect, actor=actor, program=program, **fields)
    DefectTransition.objects.create(
        program=program,
        defect=defect,
        from_status="",
        to_status=defect.status,
        by=actor,
        at=timezone.now(),
        comment=comment,
    )
    return defect
