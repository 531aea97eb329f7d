"""RAID log import from CSV or XLSX: every row is checked first, then all rows are created or none.

What a file may look like (the downloadable template shows it; `docs` on the import page lists
every column):

- **One table with a Type column** (a CSV file, or one sheet): each row says what it is (Risk,
  Issue, Assumption, Dependency or Action; singular or plural, any case).
- **A workbook with a sheet per type** named Risks, Issues, Assumptions, Dependencies and Actions
  (singular works too), as our XLSX export writes it. A sheet without a Type column takes its
  type from its name. Sheets that are neither (a cover page, lists) are skipped and named.
- Without a Type column or a telling sheet name, a row's key prefix decides (RSK-, ISS-, ASM-,
  DEP-, ACT-).

Headers are matched case-insensitively, ignoring spaces, punctuation and hints in parentheses
("Probability (1-5)" is Probability); common spellings are accepted (Likelihood, Assigned to,
Due, Work stream, ...). Columns that are not recognised are ignored and named in the result;
computed columns of our export (Score, EMV, Escalation level, ...) are ignored silently.

Keys identify rows inside the file: Issue's "Raised from risk" and Action's "Linked to" may name
a row of the file by its key (the file's rows come first), or an existing item of the program.
Every imported item gets a new key in the program. A row whose key and title are those of an item
of the program is refused: the file is most likely an export of this program, and importing it
would add the item twice.

Values: owners by e-mail address (or exact full name) of a program member; workstreams by name or
key (WS-3); ratings 1-5 as numbers or their words (Rare ... Almost certain, Negligible ...
Severe, Very low ... Very high); dates as YYYY-MM-DD (or real date cells, or "5 Mar 2026":
never 05/03/2026, which reads differently in Europe and the US); amounts with `.` decimals.
Each problem is reported with its line (CSV) or sheet and row (XLSX) and the column.

How it is written: every row is checked against the program first (`checking`: members,
workstreams, programs, keys and links, each cell's value), then built as an unsaved item with
the services' rules applied (a closing status stamps its date, a risk's score and EMV are
derived, a dependency side names one party) and validated by the model; only when every row
passes are they written, per type in a few statements (keys allocated in one, rows in batches,
WBS links, one creation entry per item in the audit trail, as `risks.services` records them),
all in one transaction. 1,000 rows take about a second where one service call per row took
forty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from core.audit import snapshot
from core.audit_guard import bulk_writes_allowed
from core.models import AuditAction, AuditEntry
from core.request_context import current_request_id
from programs.models import Program
from schedules.models import Item

from .. import services
from ..choices import IMPACT_LABELS, PROBABILITY_LABELS
from ..models import RAID_MODELS, Dependency, Issue, Risk
from ..selectors import raid_item_by_key
from .checking import Plan, PlannedRow, _sorted, check
from .columns import (
    COLUMN_BY_FIELD,
    COLUMNS,
    BadValue,
    Column,
    cell_text,
    match_header,
    parse_amount,
    parse_date,
    parse_rating,
)
from .common import (
    ALL_TYPES,
    APPLY_ORDER,
    MAX_BYTES,
    MAX_ROWS,
    TYPE_LABEL,
    Problem,
    RaidImportError,
)
from .reading import Table, read_tables

__all__ = [
    "ALL_TYPES", "COLUMNS", "COLUMN_BY_FIELD", "IMPACT_LABELS", "MAX_BYTES", "MAX_ROWS",
    "PROBABILITY_LABELS", "TYPE_LABEL", "BadValue", "Column", "ImportResult", "Plan",
    "PlannedRow", "Problem", "RaidImportError", "Table", "cell_text", "check", "import_raid",
    "match_header", "parse_amount", "parse_date", "parse_rating", "read_tables",
]  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    plan: Plan
    created: list[Any] = field(default_factory=list)
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return self.plan.counts

    @property
    def total(self) -> int:
        return self.plan.total

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": self.total if not self.dry_run else 0,
            "counts": self.counts,
            "notes": self.plan.notes,
            "items": [
                {
                    "line": row.where,
                    "type": row.raid_type,
                    "file_key": row.file_key,
                    "key": row.created_key,
                    "title": row.title,
                }
                for row in self.plan.rows
            ],
        }


def _target_label(name: str) -> str:
    if name in COLUMN_BY_FIELD:
        return COLUMN_BY_FIELD[name].label
    for side in ("giver", "receiver"):
        if name.startswith(f"{side}_"):
            return COLUMN_BY_FIELD[side].label
    if name in ("subject", "content_type", "object_id"):
        return COLUMN_BY_FIELD["linked_to"].label
    return ""


def _row_problems(where: str, exc: ValidationError) -> list[Problem]:
    if not hasattr(exc, "error_dict"):
        return [Problem(where, "", m) for m in exc.messages]
    found = []
    for name, errors in exc.message_dict.items():
        label = "" if name == NON_FIELD_ERRORS else _target_label(name) or name
        found += [Problem(where, label, m) for m in errors]
    return found


# Relations are checked by the plan (members, workstreams, programs, links), so the per-row
# validation leaves them out: Django would run one query per relation and row.
RELATIONS = (
    "program", "owner", "workstream", "raised_from_risk", "content_type", "giver_program",
    "giver_workstream", "receiver_program", "receiver_workstream", "key", "number",
)  # fmt: skip


def _build(row: PlannedRow, program: Program) -> Any:
    """The unsaved item of a row, with the services' rules applied (closing dates, a dependency
    side's other parties cleared, a risk's derived score and EMV); raises ValidationError."""
    model = RAID_MODELS[row.raid_type]
    fields = dict(row.fields)
    if model is Dependency:
        fields = services._complete_parties(fields)
    fields = services._status_dates(model, None, fields)
    item = model(program=program, **fields)
    if isinstance(item, Risk):
        item.refresh_derived()
    item.clean_fields(exclude=RELATIONS)
    item.clean()
    return item


def _link(item: Any, row: PlannedRow, made: dict[str, Any], program: Program) -> None:
    """Point an issue at its risk and an action at its subject: a row of the file (created
    just before) or an item the program had."""
    target = made.get(row.link.upper()) or raid_item_by_key(program=program, key=row.link)
    if isinstance(item, Issue):
        item.raised_from_risk = target
    else:
        item.content_type = ContentType.objects.get_for_model(target)
        item.object_id = target.pk
        item.subject_key = services.subject_key_of(target)


def _audit_rows(actor, items: list[Any], links: dict[int, list[str]]) -> None:
    """One creation entry per item (as core.audit.audit_create_many writes them, with the WBS
    links as the services record them), in a few INSERTs."""
    if not items:
        return
    user = actor if actor is not None and actor.is_authenticated else None
    request_id = current_request_id.get()
    content_type = ContentType.objects.get_for_model(items[0])
    entries = []
    for item in items:
        changes = {k: [None, v] for k, v in snapshot(item).items() if v not in (None, "")}
        if links.get(item.pk):
            changes["wbs_items"] = [None, links[item.pk]]
        entries.append(
            AuditEntry(
                actor=user,
                actor_name=str(user) if user else "system",
                request_id=request_id,
                program_id=item.program_id,
                action=AuditAction.CREATE,
                content_type=content_type,
                object_id=str(item.pk),
                object_repr=str(item)[:300],
                object_version=item.version,
                changes=changes,
            )
        )
    AuditEntry.objects.bulk_create(entries, batch_size=1000)


def _apply(plan: Plan, *, program: Program, actor) -> None:
    """Create every planned row: each is built and validated first (every refusal listed), then
    each type is written in a few statements (keys in one, rows in batches, WBS links, audit
    entries), risks first so that issues and actions can point at them."""
    problems: list[Problem] = []
    built: list[tuple[PlannedRow, Any]] = []
    for row in plan.rows:
        try:
            built.append((row, _build(row, program)))
        except ValidationError as exc:
            problems += _row_problems(row.where, exc)
    if problems:
        raise RaidImportError(problems)
    wbs_keys = {k for row in plan.rows for k in row.wbs_keys}
    wbs = dict(Item.objects.filter(program=program, key__in=wbs_keys).values_list("key", "pk"))
    made: dict[str, Any] = {}  # file key (upper) -> created item
    for raid_type in APPLY_ORDER:
        pairs = [(row, item) for row, item in built if row.raid_type == raid_type]
        if not pairs:
            continue
        model = RAID_MODELS[raid_type]
        keys = services.raid_keys_allocate(program=program, model=model, count=len(pairs))
        for (row, item), (key, number) in zip(pairs, keys, strict=True):
            item.key, item.number = key, number
            row.created_key = key
            if row.link:
                _link(item, row, made, program)
        items = [item for _, item in pairs]
        with bulk_writes_allowed():
            model.objects.bulk_create(items, batch_size=500)
        through = model.wbs_items.through
        source = model.wbs_items.field.m2m_field_name()
        target = model.wbs_items.field.m2m_reverse_field_name()
        links: dict[int, list[str]] = {}
        rows = []
        for row, item in pairs:
            if row.wbs_keys:
                links[item.pk] = sorted(row.wbs_keys, key=services._key_order)
                rows += [
                    through(**{f"{source}_id": item.pk, f"{target}_id": wbs[k]})
                    for k in row.wbs_keys
                ]
            if row.file_key:
                made[row.file_key.upper()] = item
        through.objects.bulk_create(rows, batch_size=1000)
        _audit_rows(actor, items, links)


class _DryRun(Exception):
    pass


def import_raid(
    *, actor, program: Program, data: bytes, filename: str = "", dry_run: bool = False
) -> ImportResult:
    """Import a CSV or XLSX RAID log into `program`: all rows, or none.

    Raises `RaidImportError` listing every problem (nothing is written then). With `dry_run`
    everything is checked and created as the import would, then rolled back: the result says
    what an import would create (the keys it shows are the ones it would get now).
    """
    if not data:
        raise RaidImportError([Problem("", "", "The file is empty.")])
    if len(data) > MAX_BYTES:
        raise RaidImportError(
            [Problem("", "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")]
        )
    tables = read_tables(data, filename)
    plan = check(program=program, actor=actor, tables=tables)
    result = ImportResult(plan=plan, dry_run=dry_run)
    try:
        with transaction.atomic():
            _apply(plan, program=program, actor=actor)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except RaidImportError as exc:
        raise RaidImportError(_sorted(exc.problems, tables)) from None
    except IntegrityError as exc:  # the database's own checks: nothing was written either
        raise RaidImportError(
            [Problem("", "", f"The database refused the import, nothing was saved: {exc}")]
        ) from exc
    return result
