"""Contracts and SOWs, their status, payment milestones, rate cards and amendments.

Once a contract is signed its value and dates are never overwritten: a change is a new
`Amendment` (numbered per contract under a lock on the contract row) and the contract's stored
`current_value` / `current_end_date` move with it in the same transaction. Milestone sums are
checked under the same lock, so two people adding milestones at once cannot exceed the value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError, Sum
from django.utils import timezone

from core.audit import audit_delete
from core.versioning import apply_changes, lock_current
from programs.models import Program

from ..invoicing import with_remaining
from ..models import (
    Amendment,
    Contract,
    ContractKind,
    ContractStatus,
    DeliverableStatus,
    PaymentMilestone,
    PaymentMilestoneStatus,
    RateCardEntry,
    RateUnit,
)
from ._base import check_member, check_same_program, create, delete
from .errors import Refused

__all__ = [
    "AMENDABLE_STATUSES",
    "CLOSED_STATUSES",
    "CR_STATUSES_FOR_AMENDMENTS",
    "TRANSITIONS",
    "amendment_create",
    "contract_create",
    "contract_delete",
    "contract_set_status",
    "contract_update",
    "format_money",
    "milestone_create",
    "milestone_delete",
    "milestone_update",
    "rate_create",
    "rate_delete",
    "rate_update",
]

S = ContractStatus
CLOSED_STATUSES = (S.COMPLETED, S.TERMINATED)
AMENDABLE_STATUSES = (S.ACTIVE, S.ON_HOLD)
# Fields a signed contract keeps as signed: changing them takes an amendment (or is pointless).
SIGNED_TERMS = ("value", "start_date", "end_date", "currency", "vendor")
CONTRACT_FIELDS = {
    "vendor", "kind", "parent", "title", "description", "contract_type", "value", "currency",
    "start_date", "end_date", "po_number", "owner", "signed_on",
}  # fmt: skip
# status -> the statuses it may move to (draft -> active needs a signature date).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.ACTIVE,),
    S.ACTIVE: (S.ON_HOLD, S.COMPLETED, S.TERMINATED),
    S.ON_HOLD: (S.ACTIVE, S.COMPLETED, S.TERMINATED),
    S.COMPLETED: (),
    S.TERMINATED: (),
}
CR_STATUSES_FOR_AMENDMENTS = ("approved", "implemented")
OPEN_DELIVERABLE_STATUSES = (
    DeliverableStatus.PLANNED,
    DeliverableStatus.SUBMITTED,
    DeliverableStatus.REJECTED,
)
ZERO = Decimal("0.00")


def format_money(amount: Decimal, currency: str) -> str:
    """`EUR 1,840,000.00`, `EUR -85,000.00`: amounts as error messages name them."""
    return f"{currency} {amount:,.2f}"


def _check_dates(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError(
            {"end_date": f"The end date is before the start date ({start:%d %b %Y})."}
        )


def _check_parent(program: Program, vendor, parent, kind: str | None) -> None:
    check_same_program(program, parent, "parent")
    if parent is None:
        return
    if parent.kind != ContractKind.MASTER:
        raise ValidationError({"parent": f"{parent.key} is not a master agreement."})
    if kind == ContractKind.MASTER:
        raise ValidationError({"parent": "A master agreement does not sit under another one."})
    if parent.vendor_id != getattr(vendor, "pk", None):
        raise ValidationError({"parent": "A SOW sits under a master agreement of the same vendor."})


@transaction.atomic
def contract_create(*, actor, program: Program, **fields: Any) -> Contract:
    """A new contract or SOW; its currency defaults to the program's.

    Usually created as a draft; an already signed contract may be recorded with its status and
    its signature date (required then, as by the forms and the API)."""
    if fields.get("status", S.DRAFT) != S.DRAFT and not fields.get("signed_on"):
        raise ValidationError(
            {"signed_on": "A contract recorded as signed needs its signature date."}
        )
    check_member(program, fields.get("owner"), "owner")
    check_same_program(program, fields.get("vendor"), "vendor")
    _check_parent(program, fields.get("vendor"), fields.get("parent"), fields.get("kind"))
    _check_dates(fields.get("start_date"), fields.get("end_date"))
    if not fields.get("currency"):
        fields["currency"] = program.currency
    value = fields.get("value")
    fields["current_value"] = value
    fields["current_end_date"] = fields.get("end_date")
    return create(Contract, actor=actor, program=program, **fields)


def _milestone_total(contract: Contract, *, exclude_pk: int | None = None) -> Decimal:
    rows = PaymentMilestone.objects.filter(contract=contract)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.aggregate(total=Sum("amount"))["total"] or ZERO


def _invoiced(contract: Contract) -> Decimal:
    row = with_remaining(Contract.objects.filter(pk=contract.pk)).values("invoiced").first()
    return row["invoiced"] if row else ZERO


@transaction.atomic
def contract_update(
    *, actor, contract: Contract, expected_version: int | None, **changes: Any
) -> Contract:
    """Edit a contract. A draft changes freely (its current value and end follow); a signed
    contract keeps its value, currency, vendor and dates: those change through an amendment."""
    unknown = set(changes) - CONTRACT_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}.")
    current = lock_current(Contract, pk=contract.pk, expected_version=expected_version)
    program = current.program
    touched = [
        name for name in SIGNED_TERMS
        if name in changes and getattr(current, name) != changes[name]
    ]  # fmt: skip
    if touched and current.status != S.DRAFT:
        labels = ", ".join(str(Contract._meta.get_field(n).verbose_name) for n in touched)
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}: its {labels} cannot be "
            "edited directly. Record an amendment instead, so the signed terms stay on record."
        )
    if "owner" in changes:
        check_member(program, changes["owner"], "owner")
    if "vendor" in changes:
        check_same_program(program, changes["vendor"], "vendor")
    if "parent" in changes or "vendor" in changes or "kind" in changes:
        parent = changes.get("parent", current.parent)
        if parent is not None and parent.pk == current.pk:
            raise ValidationError({"parent": "A contract cannot sit under itself."})
        kind = changes.get("kind", current.kind)
        if kind != ContractKind.MASTER and current.children.exists():
            raise ValidationError(
                {"kind": "SOWs sit under this master agreement; it stays a master agreement."}
            )
        _check_parent(program, changes.get("vendor", current.vendor), parent, kind)
    _check_dates(
        changes.get("start_date", current.start_date), changes.get("end_date", current.end_date)
    )
    if current.status == S.DRAFT:
        if "value" in changes:
            changes["current_value"] = changes["value"]
            milestones = _milestone_total(current)
            if changes["value"] is not None and milestones > changes["value"]:
                raise ValidationError(
                    {
                        "value": f"The payment milestones already total "
                        f"{format_money(milestones, current.currency)}; the value cannot be "
                        "less. Reduce the milestones first."
                    }
                )
        if "end_date" in changes:
            changes["current_end_date"] = changes["end_date"]
    return apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )


def _status_problem(contract: Contract, status: str, signed_on: dt.date | None) -> str:
    """Why `contract` may not move to `status` now, or ''."""
    label = ContractStatus(status).label.lower()
    if status == contract.status:
        return f"{contract.key} is already {label}."
    if status not in TRANSITIONS[contract.status]:
        if contract.status in CLOSED_STATUSES:
            return (
                f"{contract.key} is {contract.get_status_display().lower()}; a closed contract "
                "does not reopen. Record a new contract instead."
            )
        if contract.status == S.DRAFT:
            return (
                f"{contract.key} is a draft: activate it once it is signed, or delete the draft "
                "if it will not be signed."
            )
        return (
            f"{contract.key} cannot move from {contract.get_status_display().lower()} to {label}."
        )
    if status == S.ACTIVE and contract.status == S.DRAFT and not (signed_on or contract.signed_on):
        return f"Give the date {contract.key} was signed to activate it."
    if status == S.ACTIVE and contract.parent_id and contract.parent.status in CLOSED_STATUSES:
        return (
            f"Its master agreement {contract.parent.key} is "
            f"{contract.parent.get_status_display().lower()}; a SOW under it cannot be active."
        )
    if status in CLOSED_STATUSES and contract.kind == ContractKind.MASTER:
        open_children = list(
            contract.children.exclude(status__in=CLOSED_STATUSES)
            .order_by("number")
            .values_list("key", flat=True)
        )
        if open_children:
            return (
                f"SOWs under {contract.key} are still open ({', '.join(open_children)}); "
                "complete or terminate them first."
            )
    if status == S.COMPLETED:
        open_deliverables = list(
            contract.deliverables.filter(status__in=OPEN_DELIVERABLE_STATUSES)
            .order_by("number")
            .values_list("key", flat=True)
        )
        if open_deliverables:
            return (
                f"{contract.key} still has open deliverables ({', '.join(open_deliverables)}): "
                "each must be accepted or withdrawn before the contract is completed. "
                "Terminate it instead if the work stops early."
            )
    return ""


@transaction.atomic
def contract_set_status(
    *,
    actor,
    contract: Contract,
    status: str,
    expected_version: int | None = None,
    signed_on: dt.date | None = None,
) -> Contract:
    """Move a contract along draft -> active <-> on hold -> completed / terminated.

    Activating a draft needs the signature date (given here or already recorded)."""
    if status not in ContractStatus.values:
        raise ValidationError({"status": f"{status!r} is not a contract status."})
    current = lock_current(Contract, pk=contract.pk, expected_version=expected_version)
    problem = _status_problem(current, status, signed_on)
    if problem:
        raise Refused(problem)
    changes: dict[str, Any] = {"status": status}
    if signed_on is not None and current.status == S.DRAFT:
        if signed_on > timezone.localdate():
            raise ValidationError({"signed_on": "The signature date cannot be in the future."})
        changes["signed_on"] = signed_on
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


@transaction.atomic
def contract_delete(*, actor, contract: Contract, expected_version: int | None) -> None:
    """Delete a draft that was never signed, with its milestones and rate card."""
    current = lock_current(Contract, pk=contract.pk, expected_version=expected_version)
    if current.status != S.DRAFT:
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}; only a draft can be "
            "deleted. A signed contract is completed or terminated, and stays on record."
        )
    for what, keys in (
        ("SOWs sit under it", current.children.order_by("number").values_list("key", flat=True)),
        ("it has deliverables", current.deliverables.values_list("key", flat=True)),
        ("it has amendments", current.amendments.values_list("sequence", flat=True)),
    ):
        found = [str(k) for k in keys]
        if found:
            raise Refused(f"{current.key} cannot be deleted: {what} ({', '.join(found[:5])}).")
    for row in [*current.milestones.all(), *current.rates.all()]:
        audit_delete(actor=actor, instance=row)
        row.delete()
    audit_delete(actor=actor, instance=current)
    try:
        current.delete()
    except ProtectedError as exc:
        raise Refused(
            f"{current.key} cannot be deleted: other records point at it "
            f"({len(exc.protected_objects)}, e.g. SLAs or escalations)."
        ) from exc


# --- amendments ---------------------------------------------------------------------------------


def _check_change_request(program: Program, change_request) -> None:
    if change_request is None:
        return
    if change_request.program_id != program.pk:
        raise ValidationError({"change_request": "That change request belongs to another program."})
    if change_request.status not in CR_STATUSES_FOR_AMENDMENTS:
        raise ValidationError(
            {
                "change_request": f"{change_request.key} is "
                f"{change_request.get_status_display().lower()}; only an approved or implemented "
                "change request can cause an amendment."
            }
        )


@transaction.atomic
def amendment_create(
    *,
    actor,
    contract: Contract,
    title: str,
    reason: str,
    effective_on: dt.date,
    value_change: Decimal = ZERO,
    new_end_date: dt.date | None = None,
    change_request=None,
    expected_version: int | None = None,
) -> Amendment:
    """Record a change to a signed contract's value and/or end date as amendment A<n>.

    The contract row is locked, so concurrent amendments get consecutive numbers and each
    sees the value the other left. The value may go down but never below zero, below what the
    payment milestones total, or below what has been invoiced."""
    current = lock_current(Contract, pk=contract.pk, expected_version=expected_version)
    program = current.program
    if current.status not in AMENDABLE_STATUSES:
        if current.status == S.DRAFT:
            raise Refused(
                f"{current.key} is a draft: edit its value and dates directly. Amendments record "
                "changes to a signed contract."
            )
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}; a closed contract is not "
            "amended."
        )
    value_change = Decimal(value_change or 0)
    money = current.currency
    errors: dict[str, str] = {}
    if new_end_date is not None and new_end_date == current.current_end_date:
        new_end_date = None  # the same end: not a change
    if value_change == 0 and new_end_date is None:
        raise ValidationError(
            "An amendment changes the value, the end date or both: enter a value change or a "
            f"new end date (the contract ends on {current.current_end_date:%d %b %Y})."
        )
    if new_end_date is not None and new_end_date < current.start_date:
        errors["new_end_date"] = (
            f"The new end date is before the contract starts ({current.start_date:%d %b %Y})."
        )
    new_value = current.current_value + value_change
    if value_change < 0:
        milestones, invoiced = _milestone_total(current), _invoiced(current)
        floor = max(milestones, invoiced, ZERO)
        limit = f"A reduction can be at most {format_money(current.current_value - floor, money)}"
        if floor == milestones and floor > 0:
            limit += f" (the payment milestones total {format_money(milestones, money)})"
        elif floor > 0:
            limit += f" ({format_money(invoiced, money)} has already been invoiced)"
        if new_value < 0:
            errors["value_change"] = (
                f"This would make the contract value negative: current value "
                f"{format_money(current.current_value, money)} + change "
                f"{format_money(value_change, money)} = {format_money(new_value, money)}. "
                f"{limit}."
            )
        elif new_value < milestones:
            errors["value_change"] = (
                f"The payment milestones total {format_money(milestones, money)}, more than the "
                f"new value {format_money(new_value, money)}. {limit}; or reduce the milestones "
                "first."
            )
        elif new_value < invoiced:
            errors["value_change"] = (
                f"{format_money(invoiced, money)} has already been invoiced, more than the new "
                f"value {format_money(new_value, money)}. {limit}."
            )
    try:
        _check_change_request(program, change_request)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    last = current.amendments.aggregate(last=Max("sequence"))["last"] or 0
    amendment = create(
        Amendment,
        actor=actor,
        program=program,
        contract=current,
        sequence=last + 1,
        title=(title or "").strip(),
        reason=(reason or "").strip(),
        value_change=value_change,
        new_end_date=new_end_date,
        effective_on=effective_on,
        change_request=change_request,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    changes: dict[str, Any] = {"current_value": new_value}
    if new_end_date is not None:
        changes["current_end_date"] = new_end_date
    apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)
    amendment.contract = current
    return amendment


# --- payment milestones -------------------------------------------------------------------------


def _lock_contract(contract: Contract) -> Contract:
    return lock_current(Contract, pk=contract.pk, expected_version=None)


def _check_milestone(contract: Contract, *, amount, deliverable, exclude_pk=None) -> None:
    if deliverable is not None and deliverable.contract_id != contract.pk:
        raise ValidationError({"deliverable": f"Pick a deliverable of {contract.key}."})
    if amount is None:
        return
    others = _milestone_total(contract, exclude_pk=exclude_pk)
    if others + amount > contract.current_value:
        money = contract.currency
        raise ValidationError(
            {
                "amount": f"The milestones would total {format_money(others + amount, money)}, "
                f"more than the contract's current value "
                f"{format_money(contract.current_value, money)} (other milestones: "
                f"{format_money(others, money)}; at most {format_money(max(contract.current_value - others, ZERO), money)} "  # noqa: E501
                "is left for this one)."
            }
        )


def _refuse_if_closed(contract: Contract, what: str) -> None:
    if contract.status in CLOSED_STATUSES:
        raise Refused(
            f"{contract.key} is {contract.get_status_display().lower()}; its {what} is kept as it "
            "was."
        )


@transaction.atomic
def milestone_create(*, actor, contract: Contract, **fields: Any) -> PaymentMilestone:
    """A payment milestone; all milestones together may not exceed the current value."""
    current = _lock_contract(contract)
    _refuse_if_closed(current, "payment plan")
    _check_milestone(current, amount=fields.get("amount"), deliverable=fields.get("deliverable"))
    return create(
        PaymentMilestone, actor=actor, program=current.program, contract=current, **fields
    )


@transaction.atomic
def milestone_update(
    *, actor, milestone: PaymentMilestone, expected_version: int | None, **changes: Any
) -> PaymentMilestone:
    """Edit a milestone or move its status. Once invoiced or paid, its amount is fixed."""
    contract = _lock_contract(milestone.contract)
    current = lock_current(PaymentMilestone, pk=milestone.pk, expected_version=expected_version)
    amount_changes = "amount" in changes and changes["amount"] != current.amount
    edits = {n for n, v in changes.items() if n != "status" and getattr(current, n) != v}
    if contract.status in CLOSED_STATUSES and edits:
        raise Refused(
            f"{contract.key} is {contract.get_status_display().lower()}; its payment plan is kept "
            "as it was (only a milestone's status can still move)."
        )
    if amount_changes and current.status in (
        PaymentMilestoneStatus.INVOICED,
        PaymentMilestoneStatus.PAID,
    ):
        raise Refused(
            f"'{current.title}' is {current.get_status_display().lower()}; its amount is fixed."
        )
    _check_milestone(
        contract,
        amount=changes.get("amount", current.amount) if amount_changes else None,
        deliverable=changes.get("deliverable"),
        exclude_pk=current.pk,
    )
    return apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )


@transaction.atomic
def milestone_delete(*, actor, milestone: PaymentMilestone, expected_version: int | None) -> None:
    contract = _lock_contract(milestone.contract)
    _refuse_if_closed(contract, "payment plan")
    if milestone.status in (PaymentMilestoneStatus.INVOICED, PaymentMilestoneStatus.PAID):
        raise Refused(
            f"'{milestone.title}' is {milestone.get_status_display().lower()}; it stays in the "
            "payment plan."
        )
    delete(milestone, actor=actor, expected_version=expected_version)


# --- rate card ----------------------------------------------------------------------------------


def _check_rate_unique(contract: Contract, role: str, unit: str, exclude_pk=None) -> None:
    clash = RateCardEntry.objects.filter(contract=contract, role__iexact=role, unit=unit)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        unit_label = RateUnit(unit).label if unit in RateUnit.values else unit
        raise ValidationError(
            {"role": f"The rate card of {contract.key} already has {role} {unit_label}."}
        )


@transaction.atomic
def rate_create(*, actor, contract: Contract, role: str, rate, unit: str) -> RateCardEntry:
    """One line of the rate card: a role, its rate and unit (one line per role and unit)."""
    current = _lock_contract(contract)
    _refuse_if_closed(current, "rate card")
    role = (role or "").strip()
    _check_rate_unique(current, role, unit)
    return create(
        RateCardEntry,
        actor=actor,
        program=current.program,
        contract=current,
        role=role,
        rate=rate,
        unit=unit,
    )


@transaction.atomic
def rate_update(
    *, actor, entry: RateCardEntry, expected_version: int | None, **changes: Any
) -> RateCardEntry:
    """Change a rate-card line (`entry`; its price is the change `rate=`)."""
    contract = _lock_contract(entry.contract)
    _refuse_if_closed(contract, "rate card")
    current = lock_current(RateCardEntry, pk=entry.pk, expected_version=expected_version)
    if "role" in changes:
        changes["role"] = (changes["role"] or "").strip()
    _check_rate_unique(
        contract,
        changes.get("role", current.role),
        changes.get("unit", current.unit),
        exclude_pk=current.pk,
    )
    return apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )


@transaction.atomic
def rate_delete(*, actor, entry: RateCardEntry, expected_version: int | None) -> None:
    contract = _lock_contract(entry.contract)
    _refuse_if_closed(contract, "rate card")
    delete(entry, actor=actor, expected_version=expected_version)
