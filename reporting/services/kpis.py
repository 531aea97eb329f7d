"""Writes of the KPI registry: definitions (create, edit, delete, "add the standard KPIs"), the
weekly recording of every computed KPI, and manual values for the KPIs no source holds.

Rules, each refused with the reason:
- a KPI's source is a code of the registry (reporting/kpis.py) or "manual"; a computed KPI
  measures in its source's unit;
- its owner is a member of the program;
- target and thresholds agree with the direction: for lower-is-better, target <= amber <= red;
  for higher-is-better, target >= amber >= red (each where given);
- the source of a KPI with recorded values does not change (the history would mix two
  measures: make a new KPI), and such a KPI is deactivated rather than deleted;
- values of a computed KPI come from `record_week` only; people enter values for manual KPIs,
  with a note saying where the figure comes from, for a week not after this one.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.domain import check_member, create, delete, update
from core.errors import Refused
from programs.models import Program, ProgramMembership

from ..collect import period_bounds
from ..kpis import MANUAL, SOURCES, Measure
from ..models import KpiDefinition, KpiDirection, KpiValue
from ..selectors.kpis import current_period

__all__ = [
    "kpi_create",
    "kpi_delete",
    "kpi_standard_add",
    "kpi_update",
    "kpi_value_enter",
    "record_week",
]

logger = logging.getLogger(__name__)
PLACES = Decimal("0.0001")  # KpiValue.value keeps four decimal places


def _check(program: Program, fields: dict[str, Any]) -> None:
    """The definition rules on the definition as it would be saved; every problem at once."""
    errors: dict[str, list[str]] = {}
    source = fields.get("source") or MANUAL
    if source != MANUAL and source not in SOURCES:
        errors["source"] = [
            f"“{source}” is not a source the system computes; choose one or manual."
        ]
    try:
        check_member(program, fields.get("owner"), "owner")
    except ValidationError as error:
        errors.update(error.message_dict)
    direction = fields.get("direction") or KpiDirection.HIGHER
    lower = direction == KpiDirection.LOWER
    chain = [
        ("target", "the target", fields.get("target")),
        ("amber_threshold", "the amber threshold", fields.get("amber_threshold")),
        ("red_threshold", "the red threshold", fields.get("red_threshold")),
    ]
    given = [(name, label, value) for name, label, value in chain if value is not None]
    for (_n1, label1, v1), (name2, label2, v2) in pairwise(given):
        if (lower and v2 < v1) or (not lower and v2 > v1):
            better, word = ("lower", "at or above") if lower else ("higher", "at or below")
            errors.setdefault(name2, []).append(
                f"When {better} is better, {label2} must be {word} {label1} ({v1})."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def kpi_create(*, actor, program: Program, **fields: Any) -> KpiDefinition:
    """A new KPI definition. A computed one takes the registry's formula, unit and direction
    where the caller leaves them out."""
    source = fields.get("source") or MANUAL
    fields["source"] = source
    if source in SOURCES:
        defaults = SOURCES[source].definition_fields()
        for name in ("formula", "description", "category", "direction"):
            if not fields.get(name):
                fields[name] = defaults[name]
        fields["unit"] = defaults["unit"]  # the source measures in its own unit
        fields.setdefault("name", defaults["name"])
    _check(program, fields)
    return create(KpiDefinition, actor=actor, program=program, **fields)


@transaction.atomic
def kpi_update(
    *, actor, kpi: KpiDefinition, expected_version: int | None, **changes: Any
) -> KpiDefinition:
    current = KpiDefinition.objects.select_for_update().get(pk=kpi.pk)
    merged = {
        name: changes.get(name, getattr(current, name))
        for name in ("source", "direction", "target", "amber_threshold", "red_threshold")
    }
    merged["owner"] = changes.get("owner")  # an owner kept as it was is not checked again
    if (
        "source" in changes
        and changes["source"] != current.source
        and KpiValue.objects.filter(definition=current).exists()
    ):
        raise Refused(
            f"{current.key} has recorded values: its source cannot change, or its history would "
            "mix two measures. Deactivate it and add a new KPI instead."
        )
    _check(current.program, merged)
    if merged["source"] in SOURCES:
        changes["unit"] = SOURCES[merged["source"]].unit
    return update(current, actor=actor, expected_version=expected_version, **changes)


@transaction.atomic
def kpi_delete(*, actor, kpi: KpiDefinition, expected_version: int | None) -> None:
    if KpiValue.objects.filter(definition=kpi).exists():
        raise Refused(
            f"{kpi.key} has recorded values: deactivate it instead, so its history stays."
        )
    delete(kpi, actor=actor, expected_version=expected_version)


@transaction.atomic
def kpi_standard_add(*, actor, program: Program) -> list[KpiDefinition]:
    """A definition for every registry source the program has no KPI of yet (active or not),
    owned by the actor when a member; returns the new ones (none on a second call)."""
    Program.objects.select_for_update().filter(pk=program.pk).first()  # one adder at a time
    have = set(KpiDefinition.objects.filter(program=program).values_list("source", flat=True))
    owner = (
        actor
        if actor is not None
        and ProgramMembership.objects.filter(program=program, user=actor).exists()
        else None
    )
    return [
        create(
            KpiDefinition, actor=actor, program=program, owner=owner, **source.definition_fields()
        )
        for code, source in SOURCES.items()
        if code not in have
    ]


def _rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(PLACES)


@transaction.atomic
def record_week(program: Program, period: str, *, actor=None) -> dict[str, int]:
    """Compute every active computed KPI of the program for `period` into its KpiValue.

    Idempotent: a second run for the same week updates the values that changed and leaves the
    others alone (so a daily run keeps the week current and the week's last run stays).
    Returns counts: created, updated, unchanged, failed (a source that raised is logged and
    skipped, so one broken source does not stop the others)."""
    period_bounds(period)  # ValueError for a period that is not an ISO week
    definitions = list(
        KpiDefinition.objects.select_for_update()
        .filter(program=program, active=True)
        .exclude(source=MANUAL)
        .order_by("number")
    )
    wanted = [d for d in definitions if d.source in SOURCES]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    values: dict[str, Decimal | None] = {}
    measure = Measure(program, period)  # the sources share its EVM and budget reads
    for code in dict.fromkeys(d.source for d in wanted):
        try:
            with transaction.atomic():
                values[code] = SOURCES[code].fn(measure)
        except Exception:  # one broken source must not stop the week's others
            logger.exception("KPI source %s failed for %s %s", code, program.code, period)
    existing = {
        v.definition_id: v for v in KpiValue.objects.filter(definition__in=wanted, period=period)
    }
    for definition in wanted:
        if definition.source not in values:
            counts["failed"] += 1
            continue
        value = _rounded(values[definition.source])
        row = existing.get(definition.pk)
        if row is None:
            create(
                KpiValue, actor=actor, program=program, definition=definition, period=period,
                value=value, manual=False,
            )  # fmt: skip
            counts["created"] += 1
        elif row.value != value or row.manual:
            update(row, actor=actor, expected_version=None, value=value, manual=False)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts


@transaction.atomic
def kpi_value_enter(
    *,
    actor,
    kpi: KpiDefinition,
    period: str,
    value: Decimal,
    note: str,
    expected_version: int | None = None,
) -> KpiValue:
    """Enter (or correct) a manual KPI's value for a week; marked manual, with the note and
    who entered it. Refused for a computed KPI and for a week after this one."""
    if not kpi.is_manual:
        source = SOURCES.get(kpi.source)
        raise Refused(
            f"{kpi.key} is computed by the system ({source.name if source else kpi.source}) "
            "every week; only manual KPIs take typed-in values."
        )
    errors: dict[str, list[str]] = {}
    try:
        period_bounds(period)
    except ValueError as error:
        errors["period"] = [str(error)]
    else:
        if period > current_period(kpi.program):
            errors["period"] = [
                f"{period} has not begun yet; enter a value for this week or before."
            ]
    if value is None:
        errors["value"] = ["Enter the value."]
    if not (note or "").strip():
        errors["note"] = ["Say where the figure comes from (e.g. the survey and its date)."]
    if errors:
        raise ValidationError(errors)
    fields = {
        "value": _rounded(value),
        "note": note.strip(),
        "manual": True,
        "recorded_by": actor,
    }
    row = KpiValue.objects.select_for_update().filter(definition=kpi, period=period).first()
    if row is None:
        return create(
            KpiValue, actor=actor, program=kpi.program, definition=kpi, period=period, **fields
        )
    return update(row, actor=actor, expected_version=expected_version, **fields)
