"""SLAs, their measurements, and contractual escalations: every write, atomic and audited.

Rules worth knowing:

- An SLA belongs to a contract of the program (not a completed or terminated one); its vendor is
  the contract's. A percentage target lies between 0 and 100.
- A measurement covers exactly one period of its SLA (`vendors.periods`: weekly Monday-Sunday,
  monthly 1st-last day, quarterly), at most one per SLA and period, not in the future and not
  outside the contract's term. `breached` is computed from the SLA when the value is recorded
  or corrected. **Editing an SLA's target (or direction) does not rewrite recorded breaches**: a
  measurement was judged against the target that applied then; correcting its value judges it
  again against today's target.
- An escalation is raised at level 1-4 and only goes up (`escalation_escalate`, recorded with its
  reason); it is resolved or closed with an outcome, and may be reopened. Only an open escalation
  is edited, escalated, resolved or closed (otherwise `Refused`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import _record, audit_delete, diff, snapshot
from core.models import AuditAction
from core.versioning import apply_changes, lock_current
from programs.models import Program

from .. import periods
from ..models import (
    Contract,
    ContractStatus,
    Escalation,
    EscalationLevel,
    EscalationStatus,
    ServiceLevel,
    SLADirection,
    SLAMeasurement,
    SLAPeriod,
    Vendor,
)
from ._base import check_member, check_same_program, create
from .errors import Refused

__all__ = [
    "escalation_close",
    "escalation_create",
    "escalation_escalate",
    "escalation_from_breach_initial",
    "escalation_reopen",
    "escalation_resolve",
    "escalation_update",
    "measurement_delete",
    "measurement_record",
    "measurement_update",
    "program_today",
    "service_level_create",
    "service_level_set_active",
    "service_level_update",
]

SLA_FIELDS = ("contract", "metric", "target", "unit", "direction", "period")
ESCALATION_FIELDS = ("title", "reason", "owner", "contract", "raised_on", "respond_by")
CLOSED_CONTRACT = (ContractStatus.COMPLETED, ContractStatus.TERMINATED)


def program_today(program: Program) -> dt.date:
    """Today in the program's time zone."""
    return timezone.now().astimezone(ZoneInfo(program.time_zone)).date()


def is_percent(unit: str) -> bool:
    return (unit or "").strip().lower() in {"%", "percent", "pct"}


def _only(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")


def _audit_update(*, actor, instance, before: dict, extra: dict[str, list] | None = None) -> None:
    """The update entry with the changed columns plus `extra` {name: [before, after]}."""
    changes = diff(before, snapshot(instance))
    changes.update({k: v for k, v in (extra or {}).items() if v[0] != v[1]})
    if changes:
        _record(actor=actor, action=AuditAction.UPDATE, instance=instance, changes=changes)


def _text(value) -> str:
    return (value or "").strip()


# --- SLAs -----------------------------------------------------------------------------------


def _check_sla_values(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if "metric" in fields:
        fields["metric"] = _text(fields["metric"])
        if not fields["metric"]:
            errors["metric"] = "Say what is measured, e.g. Availability of the production system."
    if "unit" in fields:
        fields["unit"] = _text(fields["unit"])
        if not fields["unit"]:
            errors["unit"] = "Give the unit, e.g. %, hours, days."
    if fields.get("direction") not in (None, *SLADirection.values):
        errors["direction"] = "Choose at least (higher is better) or at most (lower is better)."
    if fields.get("period") not in (None, *SLAPeriod.values):
        errors["period"] = "Choose weekly, monthly or quarterly."
    target = fields.get("target")
    if target is not None:
        if target < 0:
            errors["target"] = "A target cannot be negative."
        elif is_percent(fields.get("unit", "")) and target > 100:
            errors["target"] = "A percentage target lies between 0 and 100."
    if errors:
        raise ValidationError(errors)


def _check_contract(program: Program, contract: Contract | None) -> None:
    if contract is None:
        raise ValidationError({"contract": "Choose the contract this service level belongs to."})
    check_same_program(program, contract, "contract")
    if contract.status in CLOSED_CONTRACT:
        raise ValidationError(
            {"contract": f"{contract.key} is {contract.get_status_display().lower()}; service "
             "levels are agreed on running contracts."}
        )  # fmt: skip


@transaction.atomic
def service_level_create(
    *, actor, program: Program, contract: Contract, **fields: Any
) -> ServiceLevel:
    """A service level on a contract of the program; its vendor is the contract's."""
    _only(fields, SLA_FIELDS[1:])
    _check_contract(program, contract)
    fields.setdefault("direction", SLADirection.AT_LEAST)
    fields.setdefault("period", SLAPeriod.MONTHLY)
    _check_sla_values(fields)
    return create(
        ServiceLevel,
        actor=actor,
        program=program,
        contract=contract,
        vendor_id=contract.vendor_id,
        **fields,
    )


@transaction.atomic
def service_level_update(
    *, actor, service_level: ServiceLevel, expected_version: int | None, **changes: Any
) -> ServiceLevel:
    """Edit an SLA. Recorded breaches stay as they were judged (see the module docstring); the
    period and the contract cannot change once measurements exist, or they would no longer fit."""
    _only(changes, SLA_FIELDS)
    current = lock_current(ServiceLevel, pk=service_level.pk, expected_version=expected_version)
    merged = {"unit": current.unit, **changes}
    if "target" in changes or "unit" in changes:
        merged.setdefault("target", current.target)
    _check_sla_values(merged)
    changes = {k: merged[k] for k in changes}
    measured = current.measurements.count()
    if measured and "period" in changes and changes["period"] != current.period:
        raise ValidationError(
            {"period": f"{measured} measurement{'s' if measured != 1 else ''} were recorded "
             f"{current.get_period_display().lower()}; the period cannot change. Deactivate this "
             "SLA and create a new one instead."}
        )  # fmt: skip
    contract = changes.get("contract")
    if contract is not None and contract.pk != current.contract_id:
        if measured:
            raise ValidationError(
                {"contract": "Measurements were recorded against this contract; it cannot change."}
            )
        _check_contract(current.program, contract)
        changes["vendor_id"] = contract.vendor_id
    return apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )


@transaction.atomic
def service_level_set_active(
    *, actor, service_level: ServiceLevel, active: bool, expected_version: int | None
) -> ServiceLevel:
    """Deactivate (no further measurements; history and scorecards keep the recorded ones) or
    reactivate an SLA."""
    current = lock_current(ServiceLevel, pk=service_level.pk, expected_version=expected_version)
    if current.is_active == active:
        state = "active" if active else "deactivated"
        raise Refused(f"This SLA is already {state}.")
    return apply_changes(
        current,
        actor=actor,
        changes={"is_active": active},
        expected_version=expected_version,
        locked=True,
    )


# --- measurements ---------------------------------------------------------------------------


def _clean_value(service_level: ServiceLevel, value) -> Decimal:
    if value is None or value == "":
        raise ValidationError({"value": "Enter the measured value."})
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"value": "Enter a number, e.g. 99.72."}) from None
    if not number.is_finite():
        raise ValidationError({"value": "Enter a number, e.g. 99.72."})
    if is_percent(service_level.unit) and not (0 <= number <= 100):
        raise ValidationError({"value": "A percentage lies between 0 and 100."})
    if number.as_tuple().exponent < -3 or abs(number) >= Decimal("1e9"):  # type: ignore[operator]
        raise ValidationError({"value": "Up to 9 digits before and 3 after the decimal point."})
    return number


def _aligned_period(
    service_level: ServiceLevel, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    if start is None:
        raise ValidationError({"period_start": "Enter the first day of the measured period."})
    aligned = periods.check_sla_period(service_level.period, start, end)
    if aligned is None:
        expected = periods.sla_period_containing(service_level.period, start)
        field = "period_start" if expected[0] != start else "period_end"
        raise ValidationError(
            {field: f"This SLA is measured {service_level.get_period_display().lower()}: each "
             f"measurement covers {periods.sla_period_rule(service_level.period)}. "
             f"Did you mean {expected[0]:%-d %b %Y} to {expected[1]:%-d %b %Y}?"}
        )  # fmt: skip
    return aligned


def _check_period_allowed(service_level: ServiceLevel, start: dt.date, end: dt.date) -> None:
    today = program_today(service_level.program)
    if start > today:
        raise ValidationError({"period_start": "That period has not started yet."})
    contract = service_level.contract
    if end < contract.start_date or start > contract.current_end_date:
        raise ValidationError(
            {"period_start": f"{contract.key} runs from {contract.start_date:%-d %b %Y} to "
             f"{contract.current_end_date:%-d %b %Y}; this period lies outside it."}
        )  # fmt: skip


def _check_unique(service_level: ServiceLevel, start: dt.date, exclude_pk=None) -> None:
    clash = SLAMeasurement.objects.filter(service_level=service_level, period_start=start)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    existing = clash.first()
    if existing is not None:
        label = periods.sla_period_label(service_level.period, start)
        raise ValidationError(
            {"period_start": f"{label} already has a measurement ({existing.value.normalize():f} "
             f"{service_level.unit}); correct that one instead."}
        )  # fmt: skip


@transaction.atomic
def measurement_record(
    *,
    actor,
    service_level: ServiceLevel,
    period_start: dt.date | None,
    value,
    period_end: dt.date | None = None,
    note: str = "",
) -> SLAMeasurement:
    """Record the value of one period (its end follows from the SLA's period when not given);
    `breached` is judged against the SLA's current target and direction."""
    sla = (
        ServiceLevel.objects.select_for_update(of=("self",))
        .select_related("program", "contract", "vendor")
        .get(pk=service_level.pk)
    )
    if not sla.is_active:
        raise Refused("This SLA is deactivated; reactivate it to record measurements.")
    number = _clean_value(sla, value)
    start, end = _aligned_period(sla, period_start, period_end)
    _check_period_allowed(sla, start, end)
    _check_unique(sla, start)
    return create(
        SLAMeasurement,
        actor=actor,
        program=sla.program,
        service_level=sla,
        vendor_id=sla.vendor_id,
        period_start=start,
        period_end=end,
        value=number,
        breached=sla.is_breach(number),
        note=_text(note),
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )


@transaction.atomic
def measurement_update(
    *, actor, measurement: SLAMeasurement, expected_version: int | None, **changes: Any
) -> SLAMeasurement:
    """Correct a value, its note or its period; a new value is judged against today's target."""
    _only(changes, ("value", "note", "period_start", "period_end"))
    current = lock_current(SLAMeasurement, pk=measurement.pk, expected_version=expected_version)
    sla = (
        ServiceLevel.objects.select_related("program", "contract", "vendor")
        .get(pk=current.service_level_id)
    )  # fmt: skip
    current.service_level = sla
    if "value" in changes:
        changes["value"] = _clean_value(sla, changes["value"])
        if changes["value"] != current.value:
            changes["breached"] = sla.is_breach(changes["value"])
    if "note" in changes:
        changes["note"] = _text(changes["note"])
    if "period_start" in changes or "period_end" in changes:
        start = changes.get("period_start", current.period_start)
        start, end = _aligned_period(sla, start, changes.get("period_end"))
        if start != current.period_start:
            _check_period_allowed(sla, start, end)
            _check_unique(sla, start, exclude_pk=current.pk)
        changes["period_start"], changes["period_end"] = start, end
    return apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )


@transaction.atomic
def measurement_delete(*, actor, measurement: SLAMeasurement, expected_version: int | None) -> None:
    current = lock_current(SLAMeasurement, pk=measurement.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    current.delete()


# --- escalations ----------------------------------------------------------------------------


def _check_escalation_refs(program: Program, vendor: Vendor, fields: dict[str, Any]) -> None:
    check_member(program, fields.get("owner"), "owner")
    contract = fields.get("contract")
    check_same_program(program, contract, "contract")
    if contract is not None and contract.vendor_id != vendor.pk:
        raise ValidationError({"contract": f"{contract.key} is not a contract of {vendor.name}."})
    for name in ("title", "reason"):
        if name in fields:
            fields[name] = _text(fields[name])
    if "title" in fields and not fields["title"]:
        raise ValidationError({"title": "Give the escalation a short title."})
    if "reason" in fields and not fields["reason"]:
        raise ValidationError({"reason": "Say why this is escalated."})
    raised, respond = fields.get("raised_on"), fields.get("respond_by")
    if raised and respond and respond < raised:
        raise ValidationError({"respond_by": "The response is due on or after the raise date."})


@transaction.atomic
def escalation_create(
    *,
    actor,
    program: Program,
    vendor: Vendor,
    title: str,
    reason: str,
    level: int = EscalationLevel.OPERATIONAL,
    contract: Contract | None = None,
    owner=None,
    raised_on: dt.date | None = None,
    respond_by: dt.date | None = None,
) -> Escalation:
    """Raise a contractual escalation with a vendor (ESC-n), open, at `level` (default 1)."""
    check_same_program(program, vendor, "vendor")
    fields: dict[str, Any] = {
        "title": title,
        "reason": reason,
        "contract": contract,
        "owner": owner,
        "raised_on": raised_on or program_today(program),
        "respond_by": respond_by,
    }
    _check_escalation_refs(program, vendor, fields)
    if level not in EscalationLevel.values:
        raise ValidationError({"level": "Choose a level from 1 to 4."})
    return create(
        Escalation,
        actor=actor,
        program=program,
        vendor=vendor,
        level=level,
        status=EscalationStatus.OPEN,
        **fields,
    )


def escalation_from_breach_initial(measurement: SLAMeasurement) -> dict[str, Any]:
    """What an escalation raised from a breached measurement starts with (level 1)."""
    sla = measurement.service_level
    if not measurement.breached:
        raise Refused("This measurement met its target; there is no breach to escalate.")
    label = periods.sla_period_label(sla.period, measurement.period_start)
    sign = "≥" if sla.direction == SLADirection.AT_LEAST else "≤"
    return {
        "vendor": sla.vendor,
        "contract": sla.contract,
        "level": EscalationLevel.OPERATIONAL,
        "title": f"SLA breach: {sla.metric}, {label}"[:300],
        "reason": (
            f"{sla.metric} measured {measurement.value.normalize():f} {sla.unit} for {label} "
            f"against the target of {sign} {sla.target.normalize():f} {sla.unit} agreed in "
            f"{sla.contract.key}."
        ),
    }


def _locked_escalation(escalation: Escalation, expected_version: int | None) -> Escalation:
    return lock_current(Escalation, pk=escalation.pk, expected_version=expected_version)


def _require_open(current: Escalation, doing: str) -> None:
    if current.status != EscalationStatus.OPEN:
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}; reopen it before {doing}."
        )


@transaction.atomic
def escalation_update(
    *, actor, escalation: Escalation, expected_version: int | None, **changes: Any
) -> Escalation:
    """Edit an open escalation's texts, owner, contract and dates (the level only goes up, with
    `escalation_escalate`)."""
    _only(changes, ESCALATION_FIELDS)
    current = _locked_escalation(escalation, expected_version)
    _require_open(current, "editing it")
    merged = {"raised_on": current.raised_on, "respond_by": current.respond_by, **changes}
    _check_escalation_refs(current.program, current.vendor, merged)
    changes = {k: merged[k] for k in changes}
    return apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )


@transaction.atomic
def escalation_escalate(
    *,
    actor,
    escalation: Escalation,
    expected_version: int | None,
    note: str,
    owner=None,
    respond_by: dt.date | None = None,
) -> Escalation:
    """One level up (recorded in the history with `note`, the reason for escalating)."""
    current = _locked_escalation(escalation, expected_version)
    _require_open(current, "escalating it")
    if current.level >= max(EscalationLevel.values):
        raise Refused(f"{current.key} is already at the highest level (formal dispute).")
    note = _text(note)
    if not note:
        raise ValidationError({"note": "Say why it goes up a level."})
    check_member(current.program, owner, "owner")
    if respond_by is not None and respond_by < current.raised_on:
        raise ValidationError({"respond_by": "The response is due on or after the raise date."})
    before = snapshot(current)
    current.level += 1
    fields = ["level"]
    if owner is not None:
        current.owner = owner
        fields.append("owner")
    if respond_by is not None:
        current.respond_by = respond_by
        fields.append("respond_by")
    current.version += 1
    current.save(update_fields=[*fields, "version", "updated_at"])
    _audit_update(actor=actor, instance=current, before=before, extra={"note": [None, note]})
    return current


def _finish(
    *, actor, escalation, expected_version, status: str, outcome: str, on: dt.date | None
) -> Escalation:
    current = _locked_escalation(escalation, expected_version)
    verb = "resolving" if status == EscalationStatus.RESOLVED else "closing"
    _require_open(current, f"{verb} it again")
    outcome = _text(outcome)
    if not outcome:
        raise ValidationError({"outcome": "Record the outcome: what was agreed or why it ends."})
    on = on or program_today(current.program)
    if on < current.raised_on:
        raise ValidationError({"resolved_on": "It cannot end before it was raised."})
    before = snapshot(current)
    current.status, current.outcome, current.resolved_on = status, outcome, on
    current.version += 1
    current.save(update_fields=["status", "outcome", "resolved_on", "version", "updated_at"])
    _audit_update(actor=actor, instance=current, before=before)
    return current


@transaction.atomic
def escalation_resolve(
    *,
    actor,
    escalation: Escalation,
    expected_version: int | None,
    outcome: str,
    resolved_on: dt.date | None = None,
) -> Escalation:
    """Open -> resolved, with the outcome (what was agreed) and the date (default today)."""
    return _finish(
        actor=actor,
        escalation=escalation,
        expected_version=expected_version,
        status=EscalationStatus.RESOLVED,
        outcome=outcome,
        on=resolved_on,
    )


@transaction.atomic
def escalation_close(
    *,
    actor,
    escalation: Escalation,
    expected_version: int | None,
    outcome: str,
    resolved_on: dt.date | None = None,
) -> Escalation:
    """Open -> closed without resolution (withdrawn, overtaken), with the reason as outcome."""
    return _finish(
        actor=actor,
        escalation=escalation,
        expected_version=expected_version,
        status=EscalationStatus.CLOSED,
        outcome=outcome,
        on=resolved_on,
    )


@transaction.atomic
def escalation_reopen(
    *, actor, escalation: Escalation, expected_version: int | None, note: str
) -> Escalation:
    """Resolved/closed -> open again at the same level; the previous outcome stays in the
    history."""
    current = _locked_escalation(escalation, expected_version)
    if current.status == EscalationStatus.OPEN:
        raise Refused(f"{current.key} is already open.")
    note = _text(note)
    if not note:
        raise ValidationError({"note": "Say why it is reopened."})
    before = snapshot(current)
    current.status, current.outcome, current.resolved_on = EscalationStatus.OPEN, "", None
    current.version += 1
    current.save(update_fields=["status", "outcome", "resolved_on", "version", "updated_at"])
    _audit_update(actor=actor, instance=current, before=before, extra={"note": [None, note]})
    return current
