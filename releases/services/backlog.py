"""The backlog: items (create, edit, delete, status), the lead's rank within a workstream,
planning into iterations, dependencies (no cycles) and requirement links; iterations (create,
edit, delete, close moving unfinished items on).

Rules:
- Ranks are 1..n within a workstream. Every reorder locks the workstream's row (so two leads
  moving items at once queue up) and renumbers the whole list; each rank that changed is
  audited (one INSERT for all of them).
- An item is planned only into an iteration of its program that is not closed and is its own
  workstream's or program-wide.
- An item depends only on items of its program, never on itself, never in a cycle (refused with
  the chain). A dependency on another workstream's item is a cross-team dependency.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from core.audit import _record, audit_delete
from core.audit_guard import bulk_writes_allowed
from core.domain import check_member, check_same_program, create
from core.errors import Refused
from core.models import AuditAction, AuditEntry
from core.request_context import current_request_id
from core.versioning import apply_changes, lock_current
from programs.models import Program, Workstream

from ..models import (
    OPEN_BACKLOG_STATUSES,
    BacklogItem,
    BacklogStatus,
    Iteration,
    IterationStatus,
    Requirement,
)

ITEM_FIELDS = (
    "workstream", "title", "description", "kind", "status", "priority", "business_value",
    "time_criticality", "risk_reduction", "job_size", "estimate", "iteration", "assignee",
    "external_key", "labels",
)  # fmt: skip
ITERATION_FIELDS = ("workstream", "name", "start_date", "end_date", "goal", "capacity", "status")
DIRECTIONS = ("top", "up", "down", "bottom")


# --- checks ---------------------------------------------------------------------------------------


def iteration_refusal(
    iteration: Iteration | None, workstream: Workstream, status: str | None = None
) -> str:
    """Why items of `workstream` cannot be planned into `iteration` ("" when they can). A closed
    iteration takes only finished items (`status` done or removed): its history."""
    if iteration is None:
        return ""
    finished = status in (BacklogStatus.DONE, BacklogStatus.REMOVED)
    if iteration.status == IterationStatus.CLOSED and not finished:
        return f"{iteration.name} is closed; plan into an open iteration."
    if iteration.workstream_id is not None and iteration.workstream_id != workstream.pk:
        return (
            f"{iteration.name} belongs to {iteration.workstream.name}; plan {workstream.name}'s "
            "items into its own iterations or a program-wide one."
        )
    return ""


def _check_links(program: Program, fields: dict[str, Any]) -> None:
    for name in ("workstream", "iteration"):
        if name in fields:
            check_same_program(program, fields[name], name)
    if "assignee" in fields:
        check_member(program, fields["assignee"], "assignee")


def _check_requirements(program: Program, requirements: Iterable[Requirement]) -> list:
    requirements = list(requirements)
    if any(r.program_id != program.pk for r in requirements):
        raise ValidationError({"requirements": "That requirement belongs to another program."})
    return requirements


def _lock_workstream(workstream_id: int) -> None:
    """Serialise rank changes of one workstream (reorders, new items, moves between streams)."""
    Workstream.objects.select_for_update().filter(pk=workstream_id).values_list("pk").first()


def _next_rank(workstream_id: int) -> int:
    last = BacklogItem.objects.filter(workstream_id=workstream_id).aggregate(n=Max("rank"))["n"]
    return (last or 0) + 1


# --- ranks ----------------------------------------------------------------------------------------


def _audit_field_changes(*, actor, rows: list[tuple[Any, str, Any, Any]]) -> None:
    """One audit entry per (row, field, before, after), in one INSERT."""
    if not rows:
        return
    user = actor if actor is not None and actor.is_authenticated else None
    content_type = ContentType.objects.get_for_model(rows[0][0], for_concrete_model=True)
    request_id = current_request_id.get()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=user, actor_name=str(user) if user else "system", request_id=request_id,
                program_id=row.program_id, action=AuditAction.UPDATE,
                content_type=content_type, object_id=str(row.pk), object_repr=str(row)[:300],
                object_version=row.version, changes={field: [before, after]},
            )
            for row, field, before, after in rows
        ]
    )  # fmt: skip


def _renumber(*, actor, items: list[BacklogItem]) -> int:
    """Give `items` (one workstream's, in their new order) ranks 1..n; audit what changed.
    Returns how many ranks changed."""
    changed = []
    for position, item in enumerate(items, start=1):
        if item.rank != position:
            changed.append((item, "rank", item.rank, position))
            item.rank = position
    if changed:
        with bulk_writes_allowed():
            BacklogItem.objects.bulk_update([row for row, *_ in changed], ["rank"])
        _audit_field_changes(actor=actor, rows=changed)
    return len(changed)


def _ranked(workstream_id: int) -> list[BacklogItem]:
    return list(
        BacklogItem.objects.filter(workstream_id=workstream_id)
        .select_related("workstream")
        .order_by("rank", "number")
    )


def _is_open(item: BacklogItem) -> bool:
    return item.status in OPEN_BACKLOG_STATUSES


@transaction.atomic
def backlog_item_move(
    *,
    actor,
    item: BacklogItem,
    position: int | None = None,
    before: BacklogItem | None = None,
    direction: str | None = None,
) -> BacklogItem:
    """Move `item` within its workstream's ranking: to `position` (1 first), in front of
    `before` (an item of the same workstream), or one step `up`/`down` past the next open item,
    or to the `top`/`bottom`. The whole list is renumbered under the workstream's lock."""
    given = [x for x in (position, before, direction) if x is not None]
    if len(given) != 1:
        raise ValidationError("Say where to move it: a position, an item to go before, or a step.")
    _lock_workstream(item.workstream_id)
    items = _ranked(item.workstream_id)
    current = next((row for row in items if row.pk == item.pk), None)
    if current is None:  # moved to another workstream meanwhile
        raise Refused(f"{item.key} is no longer in {item.workstream.name}; reload the page.")
    index = items.index(current)
    items.pop(index)
    if before is not None:
        if before.pk == current.pk:
            raise ValidationError({"before": f"{item.key} cannot go before itself."})
        target = next((row for row in items if row.pk == before.pk), None)
        if target is None:
            raise ValidationError(
                {"before": f"{before.key} is not in {current.workstream.name}'s backlog."}
            )
        new_index = items.index(target)
    elif position is not None:
        if position < 1:
            raise ValidationError({"position": "The position is 1 or more."})
        new_index = min(position - 1, len(items))
    elif direction == "top":
        new_index = 0
    elif direction == "bottom":
        new_index = len(items)
    elif direction == "up":
        earlier = [i for i in range(index) if _is_open(items[i])]
        new_index = earlier[-1] if earlier else 0
    elif direction == "down":
        later = [i for i in range(index, len(items)) if _is_open(items[i])]
        new_index = later[0] + 1 if later else len(items)
    else:
        raise ValidationError({"direction": f"Move top, up, down or bottom, not “{direction}”."})
    items.insert(new_index, current)
    _renumber(actor=actor, items=items)
    return current


@transaction.atomic
def backlog_rank_by_wsjf(*, actor, workstream: Workstream) -> int:
    """Set the workstream's ranks from WSJF: open items by WSJF (highest first, unscored last,
    ties keep their order), then finished ones. Returns how many ranks changed."""
    _lock_workstream(workstream.pk)
    items = _ranked(workstream.pk)
    open_items = [i for i in items if _is_open(i)]
    scored = sorted((i for i in open_items if i.wsjf is not None), key=lambda i: -i.wsjf)
    unscored = [i for i in open_items if i.wsjf is None]
    finished = [i for i in items if not _is_open(i)]
    return _renumber(actor=actor, items=[*scored, *unscored, *finished])


# --- items ----------------------------------------------------------------------------------------


@transaction.atomic
def backlog_item_create(
    *, actor, program: Program, requirements: Iterable[Requirement] = (), depends_on=(), **fields
) -> BacklogItem:
    """A new item at the bottom of its workstream's ranking."""
    _check_links(program, fields)
    workstream = fields.get("workstream")
    if workstream is None:
        raise ValidationError({"workstream": "Choose the workstream whose backlog it is in."})
    refusal = iteration_refusal(fields.get("iteration"), workstream, fields.get("status"))
    if refusal:
        raise ValidationError({"iteration": refusal})
    requirements = _check_requirements(program, requirements)
    _lock_workstream(workstream.pk)
    fields["rank"] = _next_rank(workstream.pk)
    item = create(BacklogItem, actor=actor, program=program, **fields)
    if requirements:
        _set_requirements(actor=actor, item=item, requirements=requirements)
    if depends_on:
        _set_dependencies(actor=actor, item=item, targets=list(depends_on))
    return item


@transaction.atomic
def backlog_item_update(
    *,
    actor,
    item: BacklogItem,
    expected_version: int | None,
    requirements: Iterable[Requirement] | None = None,
    depends_on: Iterable[BacklogItem] | None = None,
    **changes: Any,
) -> BacklogItem:
    """Edit an item. Moving it to another workstream puts it at the bottom of that ranking."""
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError(f"Not editable here: {', '.join(sorted(unknown))}.")
    if changes.get("workstream") is not None:  # workstream locks first, as every reorder takes
        for pk in sorted({item.workstream_id, changes["workstream"].pk}):
            _lock_workstream(pk)
    current = lock_current(BacklogItem, pk=item.pk, expected_version=expected_version)
    program = current.program
    _check_links(program, changes)
    workstream = changes.get("workstream", current.workstream)
    iteration = changes.get("iteration", current.iteration)
    moved = workstream.pk != current.workstream_id
    if moved or iteration != current.iteration:
        refusal = iteration_refusal(iteration, workstream, changes.get("status", current.status))
        if refusal and iteration == current.iteration:
            refusal = (
                f"It is planned into {iteration.name}, which {workstream.name} cannot use; "
                "choose another iteration or none."
            )
        if refusal:
            raise ValidationError({"iteration": refusal})
    if requirements is not None:
        requirements = _check_requirements(program, requirements)
    old = current.workstream_id
    if moved:
        changes["rank"] = _next_rank(workstream.pk)
    current = apply_changes(
        current, actor=actor, changes=changes, expected_version=None, locked=True
    )
    if moved:
        _renumber(actor=actor, items=_ranked(old))
    if requirements is not None:
        _set_requirements(actor=actor, item=current, requirements=requirements)
    if depends_on is not None:
        _set_dependencies(actor=actor, item=current, targets=list(depends_on))
    return current


@transaction.atomic
def backlog_item_set_status(
    *, actor, item: BacklogItem, status: str, expected_version: int | None = None
) -> BacklogItem:
    if status not in BacklogStatus.values:
        raise ValidationError({"status": f"“{status}” is not a backlog status."})
    return apply_changes(item, actor=actor, changes={"status": status},
                         expected_version=expected_version)  # fmt: skip


@transaction.atomic
def backlog_item_assign(
    *, actor, item: BacklogItem, iteration: Iteration | None, expected_version: int | None = None
) -> BacklogItem:
    """Plan the item into `iteration` (None: back to the backlog)."""
    current = lock_current(BacklogItem, pk=item.pk, expected_version=expected_version)
    check_same_program(current.program, iteration, "iteration")
    if iteration is not None and iteration.pk == current.iteration_id:
        return current
    refusal = iteration_refusal(iteration, current.workstream, current.status)
    if refusal:
        raise ValidationError({"iteration": refusal})
    return apply_changes(
        current, actor=actor, changes={"iteration": iteration}, expected_version=None, locked=True
    )


@transaction.atomic
def backlog_item_delete(*, actor, item: BacklogItem, expected_version: int | None) -> None:
    """Delete an item nothing depends on (others' dependencies would silently vanish)."""
    _lock_workstream(item.workstream_id)
    current = lock_current(BacklogItem, pk=item.pk, expected_version=expected_version)
    dependants = list(current.blocks.order_by("number").values_list("key", flat=True))
    if dependants:
        raise Refused(
            f"{', '.join(dependants)} depend{'s' if len(dependants) == 1 else ''} on "
            f"{current.key}; remove those dependencies first, or mark it removed."
        )
    audit_delete(actor=actor, instance=current)
    current.depends_on.clear()
    current.requirements.clear()
    workstream_id = current.workstream_id
    current.delete()
    _renumber(actor=actor, items=_ranked(workstream_id))


# --- dependencies and requirements -------------------------------------------------------------


def _keys(item_ids: Iterable[int]) -> dict[int, str]:
    return dict(BacklogItem.objects.filter(pk__in=list(item_ids)).values_list("pk", "key"))


def dependency_chain(*, program: Program, item: BacklogItem, target: BacklogItem) -> list[str]:
    """The keys from `target` back to `item` along existing dependencies ([] when `target` does
    not (transitively) depend on `item`): what adding "item depends on target" would close."""
    through = BacklogItem.depends_on.through
    edges: dict[int, list[int]] = {}
    for source, dest in through.objects.filter(from_backlogitem__program=program).values_list(
        "from_backlogitem_id", "to_backlogitem_id"
    ):
        edges.setdefault(source, []).append(dest)
    parents: dict[int, int | None] = {target.pk: None}
    queue = [target.pk]
    while queue:
        node = queue.pop(0)
        if node == item.pk:
            path = [node]
            while parents[path[-1]] is not None:
                path.append(parents[path[-1]])
            keys = _keys(path)
            return [keys[pk] for pk in reversed(path)]
        for dest in edges.get(node, ()):
            if dest not in parents:
                parents[dest] = node
                queue.append(dest)
    return []


def _check_dependency(item: BacklogItem, target: BacklogItem) -> None:
    if target.program_id != item.program_id:
        raise ValidationError({"depends_on": "That item belongs to another program."})
    if target.pk == item.pk:
        raise ValidationError({"depends_on": f"{item.key} cannot depend on itself."})
    chain = dependency_chain(program=item.program, item=item, target=target)
    if chain:
        cycle = " → ".join([item.key, *chain])
        raise ValidationError(
            {"depends_on": f"{item.key} cannot depend on {target.key}: {target.key} already "
                           f"depends on {item.key}, so it would be a cycle ({cycle})."}
        )  # fmt: skip


def _set_dependencies(*, actor, item: BacklogItem, targets: list[BacklogItem]) -> None:
    # two concurrent adds (in any workstreams) could close a cycle together: one at a time
    Program.objects.select_for_update().filter(pk=item.program_id).values_list("pk").first()
    before = set(item.depends_on.values_list("pk", flat=True))
    wanted = {t.pk: t for t in targets}
    for pk, target in wanted.items():
        if pk not in before:
            _check_dependency(item, target)
            item.depends_on.add(target)  # added one by one: a later check sees the earlier
    removed = before - set(wanted)
    if removed:
        item.depends_on.remove(*removed)
    if removed or set(wanted) - before:
        keys = _keys(before | set(wanted))
        _record(actor=actor, action=AuditAction.UPDATE, instance=item, changes={
            "depends_on": [sorted(keys[pk] for pk in before), sorted(keys[pk] for pk in wanted)]
        })  # fmt: skip


def _set_requirements(*, actor, item: BacklogItem, requirements: list[Requirement]) -> None:
    before = dict(item.requirements.values_list("pk", "key"))
    after = {r.pk: r.key for r in requirements}
    if set(before) == set(after):
        return
    item.requirements.set(requirements)
    _record(actor=actor, action=AuditAction.UPDATE, instance=item, changes={
        "requirements": [sorted(before.values()), sorted(after.values())]
    })  # fmt: skip


@transaction.atomic
def backlog_dependency_add(*, actor, item: BacklogItem, depends_on: BacklogItem) -> None:
    if item.depends_on.filter(pk=depends_on.pk).exists():
        raise ValidationError({"depends_on": f"{item.key} already depends on {depends_on.key}."})
    current = list(item.depends_on.all())
    _set_dependencies(actor=actor, item=item, targets=[*current, depends_on])


@transaction.atomic
def backlog_dependency_remove(*, actor, item: BacklogItem, depends_on: BacklogItem) -> None:
    current = [d for d in item.depends_on.all() if d.pk != depends_on.pk]
    _set_dependencies(actor=actor, item=item, targets=current)


@transaction.atomic
def backlog_requirement_link(*, actor, item: BacklogItem, requirement: Requirement) -> None:
    _check_requirements(item.program, [requirement])
    _set_requirements(actor=actor, item=item,
                      requirements=[*item.requirements.all(), requirement])  # fmt: skip


@transaction.atomic
def backlog_requirement_unlink(*, actor, item: BacklogItem, requirement: Requirement) -> None:
    rest = [r for r in item.requirements.all() if r.pk != requirement.pk]
    _set_requirements(actor=actor, item=item, requirements=rest)


# --- iterations -----------------------------------------------------------------------------------


@transaction.atomic
def iteration_create(*, actor, program: Program, **fields: Any) -> Iteration:
    check_same_program(program, fields.get("workstream"), "workstream")
    if fields.get("status") == IterationStatus.CLOSED:
        raise ValidationError({"status": "A new iteration is planned or active."})
    return create(Iteration, actor=actor, program=program, **fields)


@transaction.atomic
def iteration_update(
    *, actor, iteration: Iteration, expected_version: int | None, **changes: Any
) -> Iteration:
    current = lock_current(Iteration, pk=iteration.pk, expected_version=expected_version)
    check_same_program(current.program, changes.get("workstream"), "workstream")
    status = changes.get("status", current.status)
    if status == IterationStatus.CLOSED and current.status != IterationStatus.CLOSED:
        raise ValidationError(
            {"status": "Close the iteration with “Close iteration”: it moves unfinished items."}
        )
    if "workstream" in changes and changes["workstream"] != current.workstream:
        ws = changes["workstream"]
        others = (
            current.items.exclude(workstream=ws).order_by("number").values_list("key", flat=True)
            if ws is not None
            else []
        )
        if others:
            raise ValidationError(
                {"workstream": f"{', '.join(others[:10])} of other workstreams are planned into "
                               f"it; it can only belong to {ws.name} once they are moved."}
            )  # fmt: skip
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


@transaction.atomic
def iteration_delete(*, actor, iteration: Iteration, expected_version: int | None) -> None:
    current = lock_current(Iteration, pk=iteration.pk, expected_version=expected_version)
    planned = current.items.count()
    if planned:
        raise Refused(
            f"{planned} item{'s are' if planned != 1 else ' is'} planned into {current.name}; "
            "move them (or close the iteration) before deleting it."
        )
    audit_delete(actor=actor, instance=current)
    current.delete()


def next_iteration(iteration: Iteration) -> Iteration | None:
    """The open iteration of the same scope that starts next, where unfinished items go."""
    return (
        Iteration.objects.filter(
            program_id=iteration.program_id,
            workstream_id=iteration.workstream_id,
            start_date__gt=iteration.start_date,
        )
        .exclude(status=IterationStatus.CLOSED)
        .order_by("start_date", "name")
        .first()
    )


@transaction.atomic
def iteration_close(
    *, actor, iteration: Iteration, expected_version: int | None, move_to: Iteration | None
) -> int:
    """Close the iteration; its unfinished items go to `move_to` (None: back to the backlog).
    Returns how many items moved."""
    current = lock_current(Iteration, pk=iteration.pk, expected_version=expected_version)
    if current.status == IterationStatus.CLOSED:
        raise Refused(f"{current.name} is already closed.")
    if move_to is not None:
        check_same_program(current.program, move_to, "move_to")
        if move_to.pk == current.pk:
            raise ValidationError({"move_to": "Move the unfinished items to another iteration."})
    unfinished = list(
        current.items.filter(status__in=OPEN_BACKLOG_STATUSES)
        .select_for_update(of=("self",))
        .select_related("workstream")
        .order_by("number")
    )
    for item in unfinished:
        refusal = iteration_refusal(move_to, item.workstream)
        if refusal:
            raise ValidationError({"move_to": f"{item.key}: {refusal}"})
    moved = []
    for item in unfinished:
        moved.append((item, "iteration", _ref(current), _ref(move_to)))
        item.iteration = move_to
    if moved:
        with bulk_writes_allowed():
            BacklogItem.objects.bulk_update([row for row, *_ in moved], ["iteration"])
        _audit_field_changes(actor=actor, rows=moved)
    apply_changes(current, actor=actor, changes={"status": IterationStatus.CLOSED},
                  expected_version=None, locked=True)  # fmt: skip
    return len(moved)


def _ref(row) -> dict | None:
    return None if row is None else {"id": row.pk, "repr": str(row)}
