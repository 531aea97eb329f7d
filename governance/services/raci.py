"""Writes on the RACI matrix: columns (people or roles), rows (plan items or activities) and the
letters of each row, saved with the row.

Every row keeps the rule: exactly one A (Accountable) and at least one R (Responsible). A save
that would break it is refused with a ValidationError naming the row, and nothing is written.
Every write first locks the program's columns (in id order), so two people changing the matrix
at once queue instead of checking the rule against letters that are about to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from core.audit import audit_create, audit_delete, audit_update, snapshot
from core.audit_guard import bulk_writes_allowed
from core.versioning import StaleVersionError, apply_changes, lock_current
from programs.models import Program, ProgramMembership
from schedules.models import Item, ItemKind

from ..models.raci import (
    LETTER_TEXT,
    RaciCell,
    RaciColumn,
    RaciColumnKind,
    RaciRow,
    normalise_letter,
    raci_rule_problems,
)

ROW_ITEM_KINDS = (ItemKind.DELIVERABLE, ItemKind.MILESTONE)
SUMMARY_ORDER = ("A", "AR", "R", "C", "I")
_UNSET: Any = object()


# --- helpers --------------------------------------------------------------------------------------


def _lock_matrix(program: Program) -> dict[int, RaciColumn]:
    """Lock the program's columns (id order) and return them by id, in grid order."""
    locked = list(
        RaciColumn.objects.select_for_update()
        .filter(program=program)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not locked:
        return {}
    columns = RaciColumn.objects.filter(pk__in=locked).select_related("user")
    return {c.pk: c for c in sorted(columns, key=lambda c: (c.position, c.pk))}


def _letters_of(row: RaciRow) -> dict[int, str]:
    return dict(RaciCell.objects.filter(row=row).values_list("column_id", "letter"))


def clean_cells(columns: Mapping[int, RaciColumn], cells: Mapping[Any, Any]) -> dict[int, str]:
    """{column or column id: letter} -> {column id: stored letter}, empties dropped.

    Unknown columns and letters are refused (as errors on `cells`)."""
    letters: dict[int, str] = {}
    errors = []
    for key, value in cells.items():
        try:
            column_id = key.pk if isinstance(key, RaciColumn) else int(key)
        except (TypeError, ValueError):
            errors.append(f"{key!r} is not a column of this matrix.")
            continue
        column = columns.get(column_id)
        if column is None:
            errors.append(f"Column {key} is not in this matrix (it may have been removed).")
            continue
        try:
            letter = normalise_letter(value)
        except ValueError:
            errors.append(
                f"{column.label}: {value!r} is not a RACI letter; use R, A, A/R, C or I "
                "(or leave it empty)."
            )
            continue
        if letter:
            letters[column_id] = letter
    if errors:
        raise ValidationError({"cells": errors})
    return letters


def assignments_text(columns: Mapping[int, RaciColumn], letters: Mapping[int, str]) -> str:
    """ "A: Priya Raman; R: Ana Souza, Steering committee; I: …" in grid order."""
    parts = []
    for letter in SUMMARY_ORDER:
        who = [c.label for c_id, c in columns.items() if letters.get(c_id) == letter]
        if who:
            parts.append(f"{LETTER_TEXT[letter]}: {', '.join(who)}")
    return "; ".join(parts)


def check_rule(label: str, columns: Mapping[int, RaciColumn], letters: Mapping[int, str]) -> None:
    problems = raci_rule_problems(
        label, [(columns[c_id].label, letter) for c_id, letter in letters.items()]
    )
    if problems:
        raise ValidationError({"cells": problems})


def _check_item(program: Program, item: Item | None) -> None:
    if item is None:
        return
    if item.program_id != program.pk:
        raise ValidationError({"item": "That item belongs to another program."})
    if item.kind not in ROW_ITEM_KINDS:
        raise ValidationError(
            {"item": f"{item.key} is a {item.get_kind_display().lower()}; rows of the matrix "
             "are deliverables, milestones or free-text activities."}
        )  # fmt: skip


def _write_cells(row: RaciRow, old: Mapping[int, str], new: Mapping[int, str]) -> None:
    """Replace the row's cells: the row's audit entry (its `assignments`) records the change."""
    gone = [c_id for c_id, letter in old.items() if new.get(c_id) != letter]
    added = [
        RaciCell(program_id=row.program_id, row=row, column_id=c_id, letter=letter)
        for c_id, letter in new.items()
        if old.get(c_id) != letter
    ]
    with bulk_writes_allowed():
        if gone:
            RaciCell.objects.filter(row=row, column_id__in=gone).delete()
        if added:
            RaciCell.objects.bulk_create(added)


def _next_position(queryset) -> int:
    top = queryset.aggregate(top=Max("position"))["top"]
    return 1 if top is None else top + 1


def _renumber(model, ordered_ids: list[int]) -> None:
    """Positions 1..n in this order. Not a versioned change: reordering must not make anyone's
    open edit of a row stale; the moved object's own audit entry records the move."""
    objects = model.objects
    with bulk_writes_allowed():
        for position, pk in enumerate(ordered_ids, start=1):
            objects.filter(pk=pk).exclude(position=position).update(position=position)


def _moved_index(ordered_ids: list[int], pk: int, *, delta: int | None, index: int | None) -> int:
    here = ordered_ids.index(pk)
    target = here + delta if delta is not None else index
    if target is None:
        raise ValidationError("Say where to move it.")
    return max(0, min(len(ordered_ids) - 1, target))


# --- columns --------------------------------------------------------------------------------------


def _check_member(program: Program, user) -> None:
    if (
        user is not None
        and not ProgramMembership.objects.filter(program=program, user=user).exists()
    ):
        raise ValidationError({"user": f"{user} is not a member of {program.code}."})


def _column_fields(kind: str, user, role_name: str) -> dict[str, Any]:
    if kind == RaciColumnKind.PERSON:
        return {"kind": kind, "user": user, "role_name": ""}
    if kind == RaciColumnKind.ROLE:
        return {"kind": kind, "user": None, "role_name": (role_name or "").strip()}
    raise ValidationError({"kind": "A column is a person or a role."})


@transaction.atomic
def raci_column_create(
    *, actor, program: Program, kind: str, user=None, role_name: str = ""
) -> RaciColumn:
    _lock_matrix(program)
    fields = _column_fields(kind, user, role_name)
    _check_member(program, fields["user"])
    column = RaciColumn(program=program, **fields)
    column.position = _next_position(RaciColumn.objects.filter(program=program))
    column.full_clean()
    column.save()
    audit_create(actor=actor, instance=column)
    return column


@transaction.atomic
def raci_column_update(
    *, actor, column: RaciColumn, expected_version: int | None, **changes: Any
) -> RaciColumn:
    unknown = set(changes) - {"kind", "user", "role_name"}
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    program = column.program
    _lock_matrix(program)
    current = lock_current(RaciColumn, pk=column.pk, expected_version=expected_version)
    fields = _column_fields(
        changes.get("kind", current.kind),
        changes.get("user", current.user),
        changes.get("role_name", current.role_name),
    )
    if fields["user"] is not None and fields["user"] != current.user:
        _check_member(program, fields["user"])
    return apply_changes(current, actor=actor, changes=fields, expected_version=None)


@transaction.atomic
def raci_column_move(
    *,
    actor,
    column: RaciColumn,
    expected_version: int | None,
    delta: int | None = None,
    index: int | None = None,
) -> RaciColumn:
    """Move a column left (delta -1) or right (+1), or to `index` (0 = first)."""
    columns = _lock_matrix(column.program)
    current = lock_current(RaciColumn, pk=column.pk, expected_version=expected_version)
    order = list(columns)
    target = _moved_index(order, current.pk, delta=delta, index=index)
    if order.index(current.pk) == target:
        return current
    before = snapshot(current)
    order.remove(current.pk)
    order.insert(target, current.pk)
    _renumber(RaciColumn, order)
    current.position = target + 1
    audit_update(actor=actor, instance=current, before=before)
    return current


@transaction.atomic
def raci_column_delete(*, actor, column: RaciColumn, expected_version: int | None) -> int:
    """Remove a column and its letters. Refused while it holds a row's only A or only R.

    Returns how many rows lost a letter (each is saved and audited with its new assignments)."""
    columns = _lock_matrix(column.program)
    current = lock_current(RaciColumn, pk=column.pk, expected_version=expected_version)
    remaining = {c_id: c for c_id, c in columns.items() if c_id != current.pk}
    rows = list(
        RaciRow.objects.select_for_update(of=("self",))
        .filter(cells__column=current)
        .select_related("item")
        .order_by("position", "pk")
    )
    letters_by_row: dict[int, dict[int, str]] = {row.pk: {} for row in rows}
    for row_id, column_id, letter in RaciCell.objects.filter(row__in=rows).values_list(
        "row_id", "column_id", "letter"
    ):
        letters_by_row[row_id][column_id] = letter
    blocked = []
    for row in rows:
        left = {c: v for c, v in letters_by_row[row.pk].items() if c != current.pk}
        if raci_rule_problems(row.label, [(remaining[c].label, v) for c, v in left.items()]):
            blocked.append(f"“{row.label}”")
    if blocked:
        listed = ", ".join(blocked[:5]) + (
            f" and {len(blocked) - 5} more" if len(blocked) > 5 else ""
        )
        raise ValidationError(
            f"{current.label} holds the only A or the only R of {len(blocked)} "
            f"row{'s' if len(blocked) != 1 else ''}: {listed}. Give those rows another "
            "accountable or responsible person first; nothing was removed."
        )
    for row in rows:
        before = snapshot(row)
        left = {c: v for c, v in letters_by_row[row.pk].items() if c != current.pk}
        row.assignments = assignments_text(remaining, left)
        row.version += 1
        row.save(update_fields=["assignments", "version", "updated_at"])
        audit_update(actor=actor, instance=row, before=before)
    audit_delete(actor=actor, instance=current)
    current.delete()
    return len(rows)


# --- rows -----------------------------------------------------------------------------------------


@transaction.atomic
def raci_row_create(
    *,
    actor,
    program: Program,
    cells: Mapping[Any, Any],
    item: Item | None = None,
    activity: str = "",
) -> RaciRow:
    """A new row with its letters (which must keep the rule)."""
    columns = _lock_matrix(program)
    if not columns:
        raise ValidationError(
            {"cells": "Add the people and roles (the columns) before adding rows."}
        )
    _check_item(program, item)
    row = RaciRow(program=program, item=item, activity=(activity or "").strip())
    if item is not None:
        row.activity = item.name[:300]  # the row's name if the item leaves the plan
    letters = clean_cells(columns, cells)
    check_rule(row.label, columns, letters)
    row.assignments = assignments_text(columns, letters)
    row.position = _next_position(RaciRow.objects.filter(program=program))
    row.full_clean()
    row.save()
    _write_cells(row, {}, letters)
    audit_create(actor=actor, instance=row)
    return row


@transaction.atomic
def raci_row_update(
    *,
    actor,
    row: RaciRow,
    expected_version: int | None,
    cells: Mapping[Any, Any] | None = None,
    item: Item | None = _UNSET,
    activity: str = _UNSET,
) -> RaciRow:
    """Change a row's letters (`cells` replaces them all) and/or what the row stands for."""
    program = row.program
    columns = _lock_matrix(program)
    current = lock_current(RaciRow, pk=row.pk, expected_version=expected_version)
    before = snapshot(current)
    old = _letters_of(current)
    new = old if cells is None else clean_cells(columns, cells)
    changed: list[str] = []
    if item is not _UNSET and item != current.live_item:
        _check_item(program, item)
        current.item = item
        changed.append("item")
    if current.item_id is not None and current.live_item is not None:
        name = current.item.name[:300]
        if current.activity != name:
            current.activity = name
            changed.append("activity")
    elif activity is not _UNSET and (activity or "").strip() != current.activity:
        current.activity = (activity or "").strip()
        changed.append("activity")
    if "item" in changed and current.item_id is None and not current.activity:
        raise ValidationError({"activity": "Name the activity, or choose a plan item."})
    check_rule(current.label, columns, new)
    text = assignments_text(columns, new)
    if text != current.assignments:
        current.assignments = text
        changed.append("assignments")
    if not changed and new == old:
        return current
    # A row whose plan item was deleted keeps its (dangling) reference; only a new item is checked.
    current.full_clean(exclude=None if "item" in changed else ["item"])
    current.version += 1
    current.save(update_fields=[*dict.fromkeys(changed), "version", "updated_at"])
    _write_cells(current, old, new)
    audit_update(actor=actor, instance=current, before=before)
    return current


@transaction.atomic
def raci_cell_set(
    *, actor, row: RaciRow, column: RaciColumn, letter: str | None, expected_version: int | None
) -> RaciRow:
    """Set (or clear, with "" / None) one letter of a row; the row must still keep the rule."""
    if column.program_id != row.program_id:
        raise ValidationError({"column": "That column belongs to another program."})
    _lock_matrix(row.program)
    current = lock_current(RaciRow, pk=row.pk, expected_version=expected_version)
    letters: dict[Any, Any] = dict(_letters_of(current))
    letters[column.pk] = letter or ""
    return raci_row_update(actor=actor, row=current, expected_version=None, cells=letters)


@transaction.atomic
def raci_row_move(
    *,
    actor,
    row: RaciRow,
    expected_version: int | None,
    delta: int | None = None,
    index: int | None = None,
) -> RaciRow:
    """Move a row up (delta -1) or down (+1), or to `index` (0 = top)."""
    _lock_matrix(row.program)
    current = lock_current(RaciRow, pk=row.pk, expected_version=expected_version)
    order = list(
        RaciRow.objects.filter(program_id=current.program_id)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    target = _moved_index(order, current.pk, delta=delta, index=index)
    if order.index(current.pk) == target:
        return current
    before = snapshot(current)
    order.remove(current.pk)
    order.insert(target, current.pk)
    _renumber(RaciRow, order)
    current.position = target + 1
    audit_update(actor=actor, instance=current, before=before)
    return current


@transaction.atomic
def raci_row_delete(*, actor, row: RaciRow, expected_version: int | None) -> None:
    _lock_matrix(row.program)
    current = lock_current(RaciRow, pk=row.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    current.delete()


__all__ = [
    "StaleVersionError",
    "assignments_text",
    "check_rule",
    "clean_cells",
    "raci_cell_set",
    "raci_column_create",
    "raci_column_delete",
    "raci_column_move",
    "raci_column_update",
    "raci_row_create",
    "raci_row_delete",
    "raci_row_move",
    "raci_row_update",
]
