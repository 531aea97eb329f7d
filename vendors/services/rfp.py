"""RFPs and their evaluation: every write, atomic and audited.

The rules:

- Status steps: draft → open (needs a criterion and every weight above 0) → evaluation (needs a
  response and an evaluator) → decided (only through `rfp_select`); draft, open and evaluation
  may be cancelled. A decided or cancelled RFP is the record and does not change (`Refused`).
- Criteria and the scoring scale are frozen once any evaluation of the RFP is submitted:
  changing them then would silently re-weigh scores people already signed off.
- Evaluators are members whose role may evaluate (`rfp.evaluate`). Responses come from vendors
  of the program, one per vendor, while the RFP is open or in evaluation.
- An evaluation belongs to one evaluator and one response. Only that evaluator saves it (others
  get PermissionDenied), only while the RFP is in evaluation, each score a whole number from 0 to
  the scale (ValidationError naming the criterion). Submitting needs every criterion scored;
  afterwards the evaluation is immutable (`Refused`).
- Selecting a response records the decision in the governance decision log (options: every
  response with its weighted total and rank) and marks the RFP decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import audit_delete, audit_update, snapshot
from core.permissions import MATRIX
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership

from .. import rfp_scoring
from ..models import (
    Evaluation,
    EvaluationStatus,
    Rfp,
    RfpCriterion,
    RfpEvaluator,
    RfpResponse,
    RfpStatus,
    Score,
    Vendor,
    VendorStatus,
)
from ._base import check_member, check_same_program, create
from .errors import Refused

__all__ = [
    "criteria_save",
    "criterion_add",
    "criterion_delete",
    "criterion_update",
    "evaluation_save_scores",
    "evaluation_submit",
    "evaluator_add",
    "evaluator_remove",
    "response_add",
    "response_remove",
    "response_update",
    "rfp_create",
    "rfp_select",
    "rfp_transition",
    "rfp_update",
]

RFP_FIELDS = ("title", "description", "owner", "issued_on", "responses_due", "scale_max")
CRITERION_FIELDS = ("name", "description", "weight")
RESPONSE_FIELDS = ("received_on", "price", "summary")
CLOSED = (RfpStatus.DECIDED, RfpStatus.CANCELLED)
TRANSITIONS = {
    RfpStatus.OPEN: (RfpStatus.DRAFT,),
    RfpStatus.EVALUATION: (RfpStatus.OPEN,),
    RfpStatus.CANCELLED: (RfpStatus.DRAFT, RfpStatus.OPEN, RfpStatus.EVALUATION),
}
EVALUATOR_ROLES = MATRIX["rfp.evaluate"]


def program_today(program: Program) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(program.time_zone)).date()


STATE_PHRASES = {
    RfpStatus.DRAFT: "still a draft",
    RfpStatus.OPEN: "open for responses",
    RfpStatus.EVALUATION: "in evaluation",
    RfpStatus.DECIDED: "decided",
    RfpStatus.CANCELLED: "cancelled",
}


def state(rfp: Rfp) -> str:
    """The RFP's status as it reads in a sentence: "RFP-3 is {state}"."""
    return STATE_PHRASES.get(rfp.status, rfp.status)


def _only(changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")


def _refuse_closed(rfp: Rfp, doing: str) -> None:
    if rfp.status in CLOSED:
        raise Refused(
            f"{rfp.key} is {state(rfp)}; it is kept as it was and {doing} is no longer possible."
        )


def has_submitted(rfp: Rfp) -> bool:
    return Evaluation.objects.filter(response__rfp=rfp, status=EvaluationStatus.SUBMITTED).exists()


def _refuse_frozen(rfp: Rfp, what: str) -> None:
    if has_submitted(rfp):
        raise Refused(
            f"Evaluations of {rfp.key} have been submitted, so its {what} can no longer change: "
            "submitted scores were given against them."
        )


def _check_dates(issued_on, responses_due) -> None:
    if issued_on and responses_due and responses_due < issued_on:
        raise ValidationError(
            {"responses_due": "Responses cannot be due before the RFP is issued."}
        )


def _delete_evaluations(actor, evaluations: Iterable[Evaluation]) -> None:
    """Drafts go with the evaluator or response they belong to; each score is audited."""
    for evaluation in evaluations:
        for score in evaluation.scores.select_related("criterion"):
            audit_delete(actor=actor, instance=score)
        audit_delete(actor=actor, instance=evaluation)
        evaluation.delete()  # the scores cascade (their deletion is audited above)


# --- the RFP ------------------------------------------------------------------------------


@transaction.atomic
def rfp_create(*, actor, program: Program, **fields: Any) -> Rfp:
    """A draft RFP; its owner defaults to `actor`."""
    _only(fields, RFP_FIELDS)
    if fields.get("owner") is None and actor is not None and actor.is_authenticated:
        fields["owner"] = actor
    check_member(program, fields.get("owner"), "owner")
    _check_dates(fields.get("issued_on"), fields.get("responses_due"))
    fields["title"] = (fields.get("title") or "").strip()
    return create(Rfp, actor=actor, program=program, status=RfpStatus.DRAFT, **fields)


@transaction.atomic
def rfp_update(*, actor, rfp: Rfp, expected_version: int | None, **changes: Any) -> Rfp:
    """Edit the texts, owner, dates and scale. The scale is frozen once an evaluation is
    submitted; a smaller scale is refused while draft scores above it exist."""
    _only(changes, RFP_FIELDS)
    current = lock_current(Rfp, pk=rfp.pk, expected_version=expected_version)
    _refuse_closed(current, "editing it")
    if "owner" in changes:
        check_member(current.program, changes["owner"], "owner")
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    _check_dates(
        changes.get("issued_on", current.issued_on),
        changes.get("responses_due", current.responses_due),
    )
    new_scale = changes.get("scale_max", current.scale_max)
    if new_scale != current.scale_max:
        _refuse_frozen(current, "scoring scale")
        highest = Score.objects.filter(evaluation__response__rfp=current).aggregate(m=Max("score"))
        if highest["m"] is not None and highest["m"] > new_scale:
            message = f"Draft scores up to {highest['m']} exist; the scale must cover them."
            raise ValidationError({"scale_max": message})
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


def _transition_problems(rfp: Rfp, to: str) -> list[str]:
    problems = []
    if to == RfpStatus.OPEN:
        criteria = list(rfp.criteria.all())
        if not criteria:
            problems.append("Add at least one evaluation criterion before issuing the RFP.")
        zero = [c.name for c in criteria if c.weight <= 0]
        if zero:
            problems.append(f"Give every criterion a weight above 0 (now 0: {', '.join(zero)}).")
    elif to == RfpStatus.EVALUATION:
        if not rfp.responses.exists():
            problems.append("Record at least one vendor response before starting the evaluation.")
        if not rfp.evaluators.exists():
            problems.append("Assign at least one evaluator before starting the evaluation.")
    return problems


@transaction.atomic
def rfp_transition(*, actor, rfp: Rfp, to: str, expected_version: int | None = None) -> Rfp:
    """One status step: issue it (open), start the evaluation, or cancel it. A decision is
    taken with `rfp_select`."""
    if to not in TRANSITIONS:
        raise ValidationError({"status": "Steps are open, evaluation and cancelled."})
    current = lock_current(Rfp, pk=rfp.pk, expected_version=expected_version)
    if current.status not in TRANSITIONS[to]:
        raise Refused(
            f"{current.key} is {state(current)}; it cannot move to "
            f"“{RfpStatus(to).label.lower()}” from there."
        )
    problems = _transition_problems(current, to)
    if problems:
        raise ValidationError({"status": problems})
    changes: dict[str, Any] = {"status": to}
    if to == RfpStatus.OPEN and current.issued_on is None:
        changes["issued_on"] = program_today(current.program)
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


# --- criteria -----------------------------------------------------------------------------


def _check_criteria_editable(rfp: Rfp) -> None:
    _refuse_closed(rfp, "changing its criteria")
    _refuse_frozen(rfp, "criteria")


@transaction.atomic
def criterion_add(
    *, actor, rfp: Rfp, name: str, weight: Decimal, description: str = ""
) -> RfpCriterion:
    rfp = lock_current(Rfp, pk=rfp.pk, expected_version=None)
    _check_criteria_editable(rfp)
    name = (name or "").strip()
    if rfp.criteria.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"{rfp.key} already has a criterion “{name}”."})
    last = rfp.criteria.aggregate(m=Max("position"))["m"]
    return create(
        RfpCriterion,
        actor=actor,
        program=rfp.program,
        rfp=rfp,
        name=name,
        weight=weight,
        description=description or "",
        position=0 if last is None else last + 1,
    )


@transaction.atomic
def criterion_update(
    *, actor, criterion: RfpCriterion, expected_version: int | None, **changes: Any
) -> RfpCriterion:
    _only(changes, (*CRITERION_FIELDS, "position"))
    rfp = lock_current(Rfp, pk=criterion.rfp_id, expected_version=None)
    _check_criteria_editable(rfp)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        clash = rfp.criteria.filter(name__iexact=changes["name"]).exclude(pk=criterion.pk)
        if clash.exists():
            raise ValidationError(
                {"name": f"{rfp.key} already has a criterion “{changes['name']}”."}
            )
    return apply_changes(criterion, actor=actor, changes=changes, expected_version=expected_version)


@transaction.atomic
def criterion_delete(*, actor, criterion: RfpCriterion, expected_version: int | None) -> None:
    """Remove a criterion (and the draft scores given on it)."""
    rfp = lock_current(Rfp, pk=criterion.rfp_id, expected_version=None)
    _check_criteria_editable(rfp)
    current = lock_current(RfpCriterion, pk=criterion.pk, expected_version=expected_version)
    for score in Score.objects.filter(criterion=current).select_related("evaluation", "criterion"):
        audit_delete(actor=actor, instance=score)
        score.delete()
    audit_delete(actor=actor, instance=current)
    current.delete()


@transaction.atomic
def criteria_save(*, actor, rfp: Rfp, rows: list[dict[str, Any]]) -> list[RfpCriterion]:
    """Edit the criteria as one table: each row {id (None for a new one), name, weight,
    description, delete}; the rows' order becomes the criteria's order."""
    rfp = lock_current(Rfp, pk=rfp.pk, expected_version=None)
    _check_criteria_editable(rfp)
    existing = {c.pk: c for c in rfp.criteria.all()}
    kept = [r for r in rows if not r.get("delete")]
    names = [(r.get("name") or "").strip().casefold() for r in kept]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(
            {"name": f"Each criterion needs its own name ({', '.join(duplicates)})."}
        )
    for row in rows:
        if row.get("id") and row.get("delete") and row["id"] in existing:
            criterion_delete(actor=actor, criterion=existing.pop(row["id"]), expected_version=None)
    # Free the names first so that swapping two names does not trip the unique constraint.
    saved = []
    for position, row in enumerate(kept):
        fields = {
            "name": (row.get("name") or "").strip(),
            "weight": row["weight"],
            "description": row.get("description") or "",
            "position": position,
        }
        criterion = existing.get(row.get("id"))
        if criterion is None:
            criterion = create(RfpCriterion, actor=actor, program=rfp.program, rfp=rfp, **fields)
        else:
            if fields["name"] != criterion.name:
                clash = [
                    c
                    for c in existing.values()
                    if c.pk != criterion.pk and c.name == fields["name"]
                ]
                for other in clash:  # renamed away later in this save: park it under its id
                    apply_changes(
                        other, actor=actor, changes={"name": f"~{other.pk}"}, expected_version=None
                    )
                    other.name = f"~{other.pk}"
            criterion = apply_changes(criterion, actor=actor, changes=fields, expected_version=None)
            existing[criterion.pk] = criterion
        saved.append(criterion)
    return saved


# --- evaluators ---------------------------------------------------------------------------


@transaction.atomic
def evaluator_add(*, actor, rfp: Rfp, user) -> RfpEvaluator:
    """Assign a member whose role may evaluate (not viewers or vendor users)."""
    rfp = lock_current(Rfp, pk=rfp.pk, expected_version=None)
    _refuse_closed(rfp, "changing its evaluators")
    membership = ProgramMembership.objects.filter(program=rfp.program, user=user).first()
    if membership is None:
        raise ValidationError({"user": f"{user} is not a member of {rfp.program.code}."})
    if membership.role not in EVALUATOR_ROLES:
        raise ValidationError(
            {"user": f"{user} is a {membership.get_role_display().lower()} in "
             f"{rfp.program.code}; that role cannot evaluate."}
        )  # fmt: skip
    if rfp.evaluators.filter(user=user).exists():
        raise ValidationError({"user": f"{user} already evaluates {rfp.key}."})
    return create(RfpEvaluator, actor=actor, program=rfp.program, rfp=rfp, user=user)


@transaction.atomic
def evaluator_remove(*, actor, evaluator: RfpEvaluator) -> None:
    """Unassign an evaluator who has submitted nothing yet; their drafts go with them."""
    rfp = lock_current(Rfp, pk=evaluator.rfp_id, expected_version=None)
    _refuse_closed(rfp, "changing its evaluators")
    evaluations = Evaluation.objects.filter(response__rfp=rfp, evaluator_id=evaluator.user_id)
    if evaluations.filter(status=EvaluationStatus.SUBMITTED).exists():
        raise Refused(
            f"{evaluator.user} has submitted evaluations of {rfp.key}; they stay part of the "
            "record, so the evaluator cannot be removed."
        )
    _delete_evaluations(actor, evaluations.select_related("response__vendor", "evaluator"))
    current = RfpEvaluator.objects.select_related("user").get(pk=evaluator.pk)
    audit_delete(actor=actor, instance=current)
    current.delete()


# --- responses ----------------------------------------------------------------------------


@transaction.atomic
def response_add(
    *,
    actor,
    rfp: Rfp,
    vendor: Vendor,
    received_on: dt.date | None = None,
    price: Decimal | None = None,
    summary: str = "",
) -> RfpResponse:
    """Record a vendor's response (one per vendor) while the RFP is open or in evaluation."""
    rfp = lock_current(Rfp, pk=rfp.pk, expected_version=None)
    if rfp.status not in (RfpStatus.OPEN, RfpStatus.EVALUATION):
        raise Refused(
            f"{rfp.key} is {state(rfp)}; responses are recorded while it is open or in evaluation."
        )
    check_same_program(rfp.program, vendor, "vendor")
    if vendor.status == VendorStatus.OFFBOARDED:
        raise ValidationError({"vendor": f"{vendor.name} is offboarded."})
    if rfp.responses.filter(vendor=vendor).exists():
        raise ValidationError({"vendor": f"{vendor.name} has already responded to {rfp.key}."})
    return create(
        RfpResponse,
        actor=actor,
        program=rfp.program,
        rfp=rfp,
        vendor=vendor,
        received_on=received_on or program_today(rfp.program),
        price=price,
        summary=summary or "",
    )


@transaction.atomic
def response_update(
    *, actor, response: RfpResponse, expected_version: int | None, **changes: Any
) -> RfpResponse:
    _only(changes, RESPONSE_FIELDS)
    rfp = Rfp.objects.get(pk=response.rfp_id)
    _refuse_closed(rfp, "changing its responses")
    return apply_changes(response, actor=actor, changes=changes, expected_version=expected_version)


@transaction.atomic
def response_remove(*, actor, response: RfpResponse, expected_version: int | None) -> None:
    """Remove a response recorded by mistake: not once an evaluation of it was submitted."""
    rfp = lock_current(Rfp, pk=response.rfp_id, expected_version=None)
    _refuse_closed(rfp, "changing its responses")
    current = lock_current(RfpResponse, pk=response.pk, expected_version=expected_version)
    evaluations = Evaluation.objects.filter(response=current)
    if evaluations.filter(status=EvaluationStatus.SUBMITTED).exists():
        raise Refused(
            f"{current.vendor.name}'s response has submitted evaluations; it stays part of the "
            "record."
        )
    _delete_evaluations(actor, evaluations.select_related("response__vendor", "evaluator"))
    audit_delete(actor=actor, instance=current)
    current.delete()


# --- evaluations --------------------------------------------------------------------------


def _evaluation_for_write(*, actor, response: RfpResponse, expected_version: int | None):
    """The actor's evaluation of `response`, locked (created as an empty draft when missing),
    after the checks every write shares: in evaluation, assigned, not yet submitted."""
    rfp = Rfp.objects.select_related("program").get(pk=response.rfp_id)
    if actor is None or not RfpEvaluator.objects.filter(rfp=rfp, user=actor).exists():
        raise PermissionDenied(
            f"You are not an evaluator of {rfp.key}; only its assigned evaluators score it."
        )
    if rfp.status != RfpStatus.EVALUATION:
        raise Refused(f"{rfp.key} is {state(rfp)}; scores are recorded while it is in evaluation.")
    evaluation = Evaluation.objects.filter(response=response, evaluator=actor).first()
    if evaluation is None:
        evaluation = create(
            Evaluation, actor=actor, program=rfp.program, response=response, evaluator=actor
        )
    evaluation = lock_current(Evaluation, pk=evaluation.pk, expected_version=expected_version)
    if evaluation.status == EvaluationStatus.SUBMITTED:
        raise Refused(
            f"You submitted your evaluation of {response.vendor.name} on "
            f"{timezone.localtime(evaluation.submitted_at):%d %b %Y}; submitted scores cannot be "
            "changed."
        )
    return rfp, evaluation


def _score_value(value: Any, criterion: RfpCriterion, scale: int) -> int | None:
    """A whole number 0..scale (an int or its digits as text); None or "" clears the score."""
    if value is None or value == "":
        return None
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 0 <= number <= scale:
        raise ValidationError(
            f"{criterion.name}: give a whole number from 0 to {scale} (got {value!r})."
        )
    return number


@transaction.atomic
def evaluation_save_scores(
    *,
    actor,
    response: RfpResponse,
    scores: Mapping[Any, Any],
    comments: Mapping[Any, str] | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Evaluation:
    """Save the actor's draft scores for `response`: {criterion or its id: score or None}.

    A score is a whole number from 0 to the RFP's scale; None clears it. Criteria left out keep
    their score. Only the assigned evaluator writes their own evaluation, only in evaluation,
    and never after submitting it.
    """
    rfp, evaluation = _evaluation_for_write(
        actor=actor, response=response, expected_version=expected_version
    )
    criteria = {c.pk: c for c in rfp.criteria.all()}
    comments = {getattr(k, "pk", k): v for k, v in (comments or {}).items()}
    wanted: dict[int, int | None] = {}
    problems: list[str] = []
    for key, value in scores.items():
        criterion = criteria.get(getattr(key, "pk", key))
        if criterion is None:
            problems.append(f"Criterion {getattr(key, 'pk', key)} is not a criterion of {rfp.key}.")
            continue
        try:
            wanted[criterion.pk] = _score_value(value, criterion, rfp.scale_max)
        except ValidationError as exc:
            problems += exc.messages
    if problems:
        raise ValidationError({"scores": problems})
    existing = {s.criterion_id: s for s in evaluation.scores.select_related("criterion")}
    for criterion_id, value in wanted.items():
        row = existing.get(criterion_id)
        note = (comments.get(criterion_id) or "").strip() if criterion_id in comments else None
        if value is None:
            if row is not None:
                audit_delete(actor=actor, instance=row)
                row.delete()
            continue
        if row is None:
            create(
                Score,
                actor=actor,
                program=rfp.program,
                evaluation=evaluation,
                criterion=criteria[criterion_id],
                score=value,
                comment=note or "",
            )
        else:
            changes: dict[str, Any] = {"score": value}
            if note is not None:
                changes["comment"] = note
            apply_changes(row, actor=actor, changes=changes, expected_version=None, locked=True)
    before = snapshot(evaluation)
    if comment is not None:
        evaluation.comment = comment.strip()
    evaluation.version += 1
    evaluation.save(update_fields=["comment", "version", "updated_at"])
    audit_update(actor=actor, instance=evaluation, before=before)
    return evaluation


@transaction.atomic
def evaluation_submit(
    *, actor, response: RfpResponse, expected_version: int | None = None
) -> Evaluation:
    """Submit the actor's evaluation of `response`: every criterion scored, then immutable."""
    rfp, evaluation = _evaluation_for_write(
        actor=actor, response=response, expected_version=expected_version
    )
    scored = set(evaluation.scores.values_list("criterion_id", flat=True))
    missing = [c.name for c in rfp.criteria.all() if c.pk not in scored]
    if missing:
        raise ValidationError(
            {"scores": [f"Score every criterion before submitting; not scored yet: "
                        f"{', '.join(missing)}."]}
        )  # fmt: skip
    before = snapshot(evaluation)
    evaluation.status = EvaluationStatus.SUBMITTED
    evaluation.submitted_at = timezone.now()
    evaluation.version += 1
    evaluation.save(update_fields=["status", "submitted_at", "version", "updated_at"])
    audit_update(actor=actor, instance=evaluation, before=before)
    return evaluation


# --- the selection ------------------------------------------------------------------------


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _option(result: rfp_scoring.ResponseResult, comparison, response: RfpResponse, currency: str):
    """One option of the decision: the response, its total and rank, best and weakest criteria."""
    names = {c.id: c.name for c in comparison.criteria}
    scale = comparison.scale_max
    means = {c: m for c, m in result.criterion_means.items() if m is not None}
    count = len(comparison.ranked)
    pros, cons = [], []
    if result.rank is not None:
        pros.append(f"Rank {result.rank} of {count}, weighted total {_fmt(result.total)}%.")
        best = max(means, key=lambda c: means[c])
        worst = min(means, key=lambda c: means[c])
        pros.append(f"Strongest: {names[best]} ({_fmt(means[best])}/{scale}).")
        cons.append(f"Weakest: {names[worst]} ({_fmt(means[worst])}/{scale}).")
        if result.disagree:
            cons.append(f"Evaluators disagree: {_fmt(result.spread)} points apart.")
    else:
        cons.append("No submitted evaluation: not ranked.")
    if response.price is not None:
        pros.append(f"Price {currency} {response.price:,.2f}.")
    return {"option": response.vendor.name[:300], "pros": " ".join(pros), "cons": " ".join(cons)}


@transaction.atomic
def rfp_select(
    *,
    actor,
    rfp: Rfp,
    response: RfpResponse,
    rationale: str,
    forum: str = "",
    expected_version: int | None = None,
) -> Rfp:
    """Select `response`: record the decision (options = every response with its total and rank,
    the rationale, links to the RFP and the vendor) and mark the RFP decided."""
    from governance.models.decisions import MAX_OPTIONS
    from governance.services.decisions import decision_record

    from ..selectors.rfp import rfp_comparison

    current = lock_current(Rfp, pk=rfp.pk, expected_version=expected_version)
    if current.status != RfpStatus.EVALUATION:
        raise Refused(
            f"{current.key} is {state(current)}; a vendor is selected at the end of the evaluation."
        )
    if response.rfp_id != current.pk:
        raise ValidationError({"response": f"That response does not belong to {current.key}."})
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationError({"rationale": "Say why this vendor: the decision log keeps it."})
    comparison, responses = rfp_comparison(rfp=current)
    result = comparison.result_for(response.pk)
    if result is None or result.rank is None:
        raise ValidationError(
            {"response": f"{response.vendor.name}'s response has no submitted evaluation yet; "
             "select a response the panel has scored."}
        )  # fmt: skip
    by_id = {r.pk: r for r in responses}
    options = [
        _option(r, comparison, by_id[r.response.id], current.program.currency)
        for r in comparison.results
    ][:MAX_OPTIONS]
    drafts = Evaluation.objects.filter(response__rfp=current, status=EvaluationStatus.DRAFT).count()
    counted = sum(len(r.evaluators) for r in comparison.results)
    context = (
        f"{current.key} “{current.title}”: {len(responses)} responses scored on "
        f"{len(comparison.criteria)} weighted criteria ("
        + ", ".join(
            f"{c.name} {_fmt(comparison.weight_shares[c.id])}%" for c in comparison.criteria
        )
        + f"), scale 0-{current.scale_max}; {counted} submitted evaluations counted"
        + (f", {drafts} unsubmitted drafts not counted." if drafts else ".")
    )
    decision = decision_record(
        actor=actor,
        program=current.program,
        title=f"Select {response.vendor.name} for {current.title}"[:300],
        statement=(
            f"{response.vendor.name} is selected for {current.title} ({current.key}): rank "
            f"{result.rank}, weighted total {_fmt(result.total)}%."
        ),
        context=context,
        options=options,
        rationale=rationale,
        decided_by=actor if actor is not None and actor.is_authenticated else None,
        forum=forum,
        links=[current, response.vendor],
    )
    return apply_changes(
        current,
        actor=actor,
        changes={
            "status": RfpStatus.DECIDED,
            "selected_response": response,
            "selection_rationale": rationale,
            "decision": decision,
        },
        expected_version=None,
        locked=True,
    )
