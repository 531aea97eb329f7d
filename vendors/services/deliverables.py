"""Contract deliverables (DLV-n): planning them, their acceptance criteria, the vendor's
submissions in rounds, the program's review of each round, and withdrawal.

The life of a deliverable:

    planned ──submit──▶ submitted ──review, every criterion met──▶ accepted
       ▲                    │
       │                    └──review, any criterion not met──▶ rejected ──submit──▶ submitted …
    (any state but accepted) ──withdraw──▶ withdrawn

- A submission (round n+1: a note and 1-10 files) comes from a portal user bound to the
  deliverable's vendor, or from program staff (deliverable.change) on the vendor's behalf.
  Files are checked by content (`DELIVERABLE_UPLOADS`), stored with their SHA-256, and never
  changed; a deliverable without acceptance criteria cannot be submitted.
- A review (deliverable.review roles) needs a decision on every criterion and a reason for each
  one not met; all met accepts the deliverable, anything else rejects the round.
- Criteria change only while nothing is awaiting review and the deliverable is still open; a
  criterion judged in a review is part of the acceptance record and never changes.
- Submissions, files, reviews and criterion results are never edited or deleted (the models
  refuse it too); a deliverable with submissions cannot be deleted, only withdrawn.

The reviewer is e-mailed when a round is submitted, the vendor's portal users when it is reviewed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import uploads
from core.audit import audit_create, audit_delete
from core.permissions import Role, role_can
from core.services import email_enqueue
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership

from ..models import (
    AcceptanceCriterion,
    Contract,
    ContractStatus,
    CriterionResult,
    Deliverable,
    DeliverableStatus,
    PaymentMilestone,
    PortalUser,
    Review,
    ReviewOutcome,
    Submission,
    SubmissionFile,
)
from ..selectors.portal import portal_vendor_for
from ._base import check_same_program, create
from .errors import Refused

__all__ = [
    "DELIVERABLE_UPLOADS",
    "MAX_FILES_PER_SUBMISSION",
    "criteria_locked_reason",
    "criteria_reorder",
    "criterion_add",
    "criterion_delete",
    "criterion_update",
    "deliverable_create",
    "deliverable_delete",
    "deliverable_review",
    "deliverable_submit",
    "deliverable_update",
    "deliverable_withdraw",
]

S = DeliverableStatus
EDITABLE = ("contract", "title", "description", "due_date", "wbs_item", "reviewer")
OPEN_CONTRACT = (ContractStatus.ACTIVE, ContractStatus.DRAFT)
WBS_KINDS = ("deliverable", "milestone")
MAX_FILES_PER_SUBMISSION = 10
VENDOR_UPLOAD_MAX_BYTES = 25 * 1024 * 1024  # settings.VENDOR_UPLOAD_MAX_BYTES overrides
DELIVERABLE_UPLOADS = uploads.UploadPolicy(
    extensions=(".pdf", ".docx", ".xlsx", ".pptx", ".zip", ".png", ".jpg", ".jpeg", ".txt",
                ".csv", ".md"),
    max_bytes_setting="VENDOR_UPLOAD_MAX_BYTES",
    default_max_bytes=VENDOR_UPLOAD_MAX_BYTES,
    accepted_text="a PDF, a Word, Excel or PowerPoint file (.docx, .xlsx, .pptx), a ZIP "
    "archive, an image (PNG, JPEG) or a text, Markdown or CSV file",
    files_noun="deliverable files",
    accepted_as="for deliverables",
    field="files",
)  # fmt: skip


# --- checks ---------------------------------------------------------------------------------


def _role(program: Program, user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    return (
        ProgramMembership.objects.filter(program=program, user=user)
        .values_list("role", flat=True)
        .first()
    )


def _check_contract(program: Program, contract: Contract | None) -> None:
    if contract is None:
        raise ValidationError({"contract": "Choose the contract or SOW it is owed under."})
    check_same_program(program, contract, "contract")
    if contract.status not in OPEN_CONTRACT:
        raise ValidationError(
            {
                "contract": f"{contract.key} is {contract.get_status_display().lower()}: "
                "deliverables are added to active or draft contracts."
            }
        )


def _check_wbs_item(program: Program, item) -> None:
    if item is None:
        return
    check_same_program(program, item, "wbs_item")
    if item.kind not in WBS_KINDS:
        raise ValidationError(
            {
                "wbs_item": f"{item.key} is a {item.get_kind_display().lower()}: link a WBS "
                "deliverable or milestone."
            }
        )


def _check_reviewer(program: Program, user) -> None:
    if user is None:
        return
    role = _role(program, user)
    if role is None:
        raise ValidationError({"reviewer": f"{user} is not a member of {program.code}."})
    if not role_can(role, "deliverable.review"):
        raise ValidationError(
            {
                "reviewer": f"{user} cannot review deliverables in {program.code} (program "
                "managers and coordinators do)."
            }
        )


def _refuse_if_closed(deliverable: Deliverable, what: str) -> None:
    if deliverable.status == S.ACCEPTED:
        raise Refused(
            f"{deliverable.key} was accepted: {what} no longer changes (it is part of the "
            "acceptance record)."
        )
    if deliverable.status == S.WITHDRAWN:
        raise Refused(f"{deliverable.key} was withdrawn: {what} no longer changes.")


def _refuse_criteria_change(deliverable: Deliverable) -> None:
    _refuse_if_closed(deliverable, "its acceptance criteria")
    if deliverable.status == S.SUBMITTED:
        raise Refused(
            f"Round {deliverable.rounds} of {deliverable.key} is awaiting review against these "
            "criteria: they cannot change until it has been reviewed."
        )


def criteria_locked_reason(deliverable: Deliverable) -> str | None:
    """Why the deliverable's criteria cannot change now, or None when they can."""
    try:
        _refuse_criteria_change(deliverable)
    except Refused as exc:
        return exc.reason
    return None


def _refuse_if_judged(criterion: AcceptanceCriterion, verb: str) -> None:
    judged = (
        CriterionResult.objects.filter(criterion=criterion)
        .order_by("review__submission__round")
        .values_list("review__submission__round", flat=True)
        .first()
    )
    if judged is not None:
        raise Refused(
            f"This criterion was judged in the review of round {judged}; it is part of the "
            f"acceptance record and cannot be {verb}. Add a new criterion instead."
        )


def _lock(deliverable: Deliverable, expected_version: int | None) -> Deliverable:
    return lock_current(Deliverable, pk=deliverable.pk, expected_version=expected_version)


# --- deliverables ---------------------------------------------------------------------------


def _only(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}")
    return dict(fields)


def _criteria_texts(criteria: Iterable[str]) -> list[str]:
    return [text.strip() for text in criteria if text and text.strip()]


@transaction.atomic
def deliverable_create(
    *, actor, program: Program, criteria: Iterable[str] = (), **fields: Any
) -> Deliverable:
    """A deliverable owed under a contract (its vendor is the contract's), with its criteria."""
    fields = _only(fields)
    contract = fields.get("contract")
    _check_contract(program, contract)
    _check_wbs_item(program, fields.get("wbs_item"))
    _check_reviewer(program, fields.get("reviewer"))
    deliverable = create(
        Deliverable, actor=actor, program=program, vendor=contract.vendor, **fields
    )
    for position, text in enumerate(_criteria_texts(criteria), start=1):
        create(
            AcceptanceCriterion,
            actor=actor,
            program=program,
            deliverable=deliverable,
            position=position,
            text=text,
        )
    return deliverable


@transaction.atomic
def deliverable_update(
    *, actor, deliverable: Deliverable, expected_version: int | None, **changes: Any
) -> Deliverable:
    """Change what is owed (title, due date, contract, WBS link, reviewer) while it is open."""
    changes = _only(changes)
    current = _lock(deliverable, expected_version)
    _refuse_if_closed(current, "it")
    program = current.program
    if "contract" in changes and changes["contract"] != current.contract:
        if current.rounds:
            raise ValidationError(
                {
                    "contract": f"{current.key} was already submitted under "
                    f"{current.contract.key}; it cannot move to another contract."
                }
            )
        _check_contract(program, changes["contract"])
        changes["vendor"] = changes["contract"].vendor
    if "wbs_item" in changes and changes["wbs_item"] != current.wbs_item:
        _check_wbs_item(program, changes["wbs_item"])
    if "reviewer" in changes and changes["reviewer"] != current.reviewer:
        _check_reviewer(program, changes["reviewer"])
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


@transaction.atomic
def deliverable_delete(*, actor, deliverable: Deliverable, expected_version: int | None) -> None:
    """Remove a deliverable recorded in error: only before anything was submitted."""
    current = _lock(deliverable, expected_version)
    rounds = Submission.objects.filter(deliverable=current).count()
    if rounds:
        raise Refused(
            f"{current.key} has {rounds} submitted round{'s' if rounds != 1 else ''}: they are "
            "part of the acceptance record. Withdraw it instead."
        )
    milestone = PaymentMilestone.objects.filter(deliverable=current).first()
    if milestone is not None:
        raise Refused(
            f"{current.key} pays the milestone “{milestone.title}”; unlink it from the "
            "milestone first."
        )
    for criterion in AcceptanceCriterion.objects.filter(deliverable=current):
        audit_delete(actor=actor, instance=criterion)
        criterion.delete()
    audit_delete(actor=actor, instance=current)
    current.delete()


@transaction.atomic
def deliverable_withdraw(
    *, actor, deliverable: Deliverable, reason: str, expected_version: int | None
) -> Deliverable:
    """The program no longer needs it: nothing more is submitted or reviewed."""
    current = _lock(deliverable, expected_version)
    _refuse_if_closed(current, "it")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why it is withdrawn (the vendor sees it)."})
    return apply_changes(
        current,
        actor=actor,
        changes={"status": S.WITHDRAWN, "withdrawn_reason": reason},
        expected_version=None,
        locked=True,
    )


# --- acceptance criteria --------------------------------------------------------------------


def _criterion_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the criterion: a statement a reviewer can check."})
    return text


@transaction.atomic
def criterion_add(*, actor, deliverable: Deliverable, text: str) -> AcceptanceCriterion:
    """A new criterion at the end of the list (not while a round awaits review)."""
    current = _lock(deliverable, None)
    _refuse_criteria_change(current)
    text = _criterion_text(text)
    last = AcceptanceCriterion.objects.filter(deliverable=current).aggregate(n=Max("position"))
    return create(
        AcceptanceCriterion,
        actor=actor,
        program=current.program,
        deliverable=current,
        position=(last["n"] or 0) + 1,
        text=text,
    )


@transaction.atomic
def criterion_update(
    *, actor, criterion: AcceptanceCriterion, text: str, expected_version: int | None
) -> AcceptanceCriterion:
    current_deliverable = _lock(criterion.deliverable, None)
    _refuse_criteria_change(current_deliverable)
    current = lock_current(AcceptanceCriterion, pk=criterion.pk, expected_version=expected_version)
    _refuse_if_judged(current, "changed")
    return apply_changes(
        current,
        actor=actor,
        changes={"text": _criterion_text(text)},
        expected_version=None,
        locked=True,
    )


@transaction.atomic
def criterion_delete(
    *, actor, criterion: AcceptanceCriterion, expected_version: int | None
) -> None:
    current_deliverable = _lock(criterion.deliverable, None)
    _refuse_criteria_change(current_deliverable)
    current = lock_current(AcceptanceCriterion, pk=criterion.pk, expected_version=expected_version)
    _refuse_if_judged(current, "removed")
    audit_delete(actor=actor, instance=current)
    current.delete()


@transaction.atomic
def criteria_reorder(
    *, actor, deliverable: Deliverable, order: list[int]
) -> list[AcceptanceCriterion]:
    """Put the criteria in `order` (every criterion id of the deliverable, once)."""
    current = _lock(deliverable, None)
    _refuse_criteria_change(current)
    criteria = {c.pk: c for c in AcceptanceCriterion.objects.filter(deliverable=current).order_by()}
    try:
        ids = [int(pk) for pk in order]
    except (TypeError, ValueError) as exc:
        raise ValidationError({"order": "List the criteria by their ids."}) from exc
    if sorted(ids) != sorted(criteria):
        raise ValidationError(
            {
                "order": f"List every criterion of {current.key} exactly once "
                f"(ids {sorted(criteria)})."
            }
        )
    result = []
    for position, pk in enumerate(ids, start=1):
        result.append(
            apply_changes(
                criteria[pk],
                actor=actor,
                changes={"position": position},
                expected_version=None,
                locked=True,
            )
        )
    return result


# --- submission -----------------------------------------------------------------------------


def _check_submitter(deliverable: Deliverable, actor) -> None:
    """A portal user of the deliverable's vendor, or program staff on the vendor's behalf."""
    program = deliverable.program
    bound_to = portal_vendor_for(program=program, user=actor)
    if bound_to is not None:
        if bound_to.pk != deliverable.vendor_id:
            raise PermissionDenied("You can submit only your own company's deliverables.")
        return
    if not role_can(_role(program, actor), "deliverable.change"):
        raise PermissionDenied(
            "Deliverables are submitted by the vendor's portal users, or by the program manager "
            "or a coordinator on the vendor's behalf."
        )


def _refuse_submission(deliverable: Deliverable) -> None:
    key = deliverable.key
    if deliverable.status == S.SUBMITTED:
        raise Refused(
            f"Round {deliverable.rounds} of {key} is awaiting review; a new round can be "
            "submitted once it has been reviewed."
        )
    if deliverable.status == S.ACCEPTED:
        raise Refused(f"{key} was accepted: nothing more to submit.")
    if deliverable.status == S.WITHDRAWN:
        raise Refused(f"{key} was withdrawn by the program: nothing more to submit.")
    if not AcceptanceCriterion.objects.filter(deliverable=deliverable).exists():
        raise Refused(
            f"{key} has no acceptance criteria yet: the program writes them before anything "
            "is submitted."
        )


def check_submission_files(files: list) -> list[uploads.CheckedFile]:
    """Every file checked (all problems reported at once, each naming its file)."""
    if not files:
        raise ValidationError({"files": "Attach at least one file."})
    if len(files) > MAX_FILES_PER_SUBMISSION:
        raise ValidationError(
            {
                "files": f"At most {MAX_FILES_PER_SUBMISSION} files a submission; "
                f"{len(files)} were chosen. Put related files in a ZIP archive."
            }
        )
    checked, problems = [], []
    for upload in files:
        try:
            checked.append(uploads.check_upload(upload, DELIVERABLE_UPLOADS))
        except ValidationError as exc:
            problems += exc.message_dict["files"]
    if problems:
        raise ValidationError({"files": problems})
    return checked


@transaction.atomic
def deliverable_submit(
    *,
    actor,
    deliverable: Deliverable,
    files: list,
    note: str = "",
    expected_version: int | None = None,
    notify: bool = True,
) -> Submission:
    """Round n+1: the note and files, stored with their SHA-256; the reviewer is e-mailed
    (`notify=False` records history without mail, e.g. the demo)."""
    current = _lock(deliverable, expected_version)
    _check_submitter(current, actor)
    _refuse_submission(current)
    checked = check_submission_files(list(files))
    program = current.program
    person = actor if actor is not None and actor.is_authenticated else None
    submission = create(
        Submission,
        actor=actor,
        program=program,
        deliverable=current,
        round=current.rounds + 1,
        note=(note or "").strip(),
        submitted_by=person,
    )
    stored: list[tuple[Any, str]] = []
    try:
        for upload, info in zip(files, checked, strict=True):
            row = SubmissionFile(
                program=program,
                submission=submission,
                file_name=info.name,
                size=info.size,
                content_type=info.content_type,
                sha256=uploads.sha256_of(upload),
            )
            row.file.save(info.name, upload, save=False)
            stored.append((row.file.storage, row.file.name))
            row.full_clean()
            row.save()
            audit_create(actor=actor, instance=row)
    except Exception:
        for storage, name in stored:  # the rows roll back; their files go with them
            storage.delete(name)
        raise
    now = timezone.now()
    changes: dict[str, Any] = {"status": S.SUBMITTED, "rounds": submission.round}
    if current.first_submitted_at is None:
        changes["first_submitted_at"] = now
    updated = apply_changes(
        current, actor=actor, changes=changes, expected_version=None, locked=True
    )
    if notify:
        _notify_submitted(updated, submission, files=checked)
    return submission


# --- review ---------------------------------------------------------------------------------


def _refuse_review(deliverable: Deliverable) -> None:
    key = deliverable.key
    if deliverable.status == S.PLANNED:
        raise Refused(f"Nothing of {key} has been submitted yet: there is no round to review.")
    if deliverable.status == S.REJECTED:
        raise Refused(
            f"Round {deliverable.rounds} of {key} was already reviewed (rejected); the next "
            "round is the vendor's."
        )
    _refuse_if_closed(deliverable, "its review")


def _label(index: int, criterion: AcceptanceCriterion, *, start: bool = False) -> str:
    text = criterion.text if len(criterion.text) <= 70 else criterion.text[:69] + "…"
    return f"{'C' if start else 'c'}riterion {index} “{text}”"


def _decisions(
    criteria: list[AcceptanceCriterion], results: Iterable[Mapping[str, Any]], key: str
) -> dict[int, tuple[bool, str]]:
    """{criterion id: (met, reason)} for every criterion, or a ValidationError on `results`
    listing each criterion without a decision and each not met without a reason."""
    numbered = {c.pk: (i, c) for i, c in enumerate(criteria, start=1)}
    decided: dict[int, tuple[bool, str]] = {}
    problems: list[str] = []
    for result in results:
        raw = result.get("criterion")
        pk = getattr(raw, "pk", raw)
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            problems.append(f"{raw!r} is not a criterion id.")
            continue
        if pk not in numbered:
            problems.append(f"Criterion {pk} is not one of {key}'s acceptance criteria.")
            continue
        if pk in decided:
            problems.append(f"{_label(*numbered[pk], start=True)} has two decisions.")
            continue
        met = result.get("met")
        if met is None:
            continue  # reported below as missing
        reason = (result.get("reason") or "").strip()
        decided[pk] = (bool(met), reason)
    missing = [numbered[pk] for pk in numbered if pk not in decided]
    if missing:
        problems.append(
            f"Decide met or not met for every criterion; no decision on "
            f"{', '.join(_label(i, c) for i, c in missing)}."
        )
    for pk, (met, reason) in decided.items():
        if not met and not reason:
            problems.append(
                f"{_label(*numbered[pk], start=True)} is not met: say why, so the vendor "
                "knows what to fix."
            )
    if problems:
        raise ValidationError({"results": problems})
    return decided


@transaction.atomic
def deliverable_review(
    *,
    actor,
    deliverable: Deliverable,
    results: Iterable[Mapping[str, Any]],
    summary: str = "",
    expected_version: int | None = None,
    notify: bool = True,
) -> Review:
    """Judge the round awaiting review: `results` is [{criterion, met, reason}] with a decision
    on every criterion. All met accepts the deliverable; any not met rejects the round."""
    current = _lock(deliverable, expected_version)
    if not role_can(_role(current.program, actor), "deliverable.review"):
        raise PermissionDenied("Only the program manager or a coordinator reviews deliverables.")
    _refuse_review(current)
    criteria = list(AcceptanceCriterion.objects.filter(deliverable=current))
    if not criteria:
        raise Refused(
            f"{current.key} has no acceptance criteria: a deliverable cannot be accepted "
            "without them. Withdraw it, or ask the vendor to resubmit once criteria exist."
        )
    submission = Submission.objects.get(deliverable=current, round=current.rounds)
    if Review.objects.filter(submission=submission).exists():
        raise Refused(f"Round {submission.round} of {current.key} was already reviewed.")
    decided = _decisions(criteria, results, current.key)
    accepted = all(met for met, _ in decided.values())
    program = current.program
    review = create(
        Review,
        actor=actor,
        program=program,
        submission=submission,
        outcome=ReviewOutcome.ACCEPTED if accepted else ReviewOutcome.REJECTED,
        summary=(summary or "").strip(),
        reviewed_by=actor if actor is not None and actor.is_authenticated else None,
    )
    for criterion in criteria:
        met, reason = decided[criterion.pk]
        create(
            CriterionResult,
            actor=actor,
            program=program,
            review=review,
            criterion=criterion,
            met=met,
            reason=reason,
        )
    changes: dict[str, Any] = {"status": S.ACCEPTED if accepted else S.REJECTED}
    if accepted:
        changes["accepted_at"] = timezone.now()
    updated = apply_changes(
        current, actor=actor, changes=changes, expected_version=None, locked=True
    )
    if notify:
        _notify_reviewed(updated, submission, review, criteria, decided)
    return review


# --- e-mail ---------------------------------------------------------------------------------


def _program_managers(program: Program) -> list:
    return [
        m.user
        for m in ProgramMembership.objects.filter(
            program=program, role=Role.MANAGER, user__is_active=True
        )
        .select_related("user")
        .order_by("user__full_name", "pk")
    ]


def reviewer_recipients(deliverable: Deliverable) -> list:
    """Who is told of a new round: the reviewer, else the contract's owner, else the managers."""
    for person in (deliverable.reviewer, deliverable.contract.owner):
        if person is not None and person.is_active:
            return [person]
    return _program_managers(deliverable.program)


def _link(name: str, deliverable: Deliverable) -> str:
    path = reverse(name, kwargs={"code": deliverable.program.code, "key": deliverable.key})
    return settings.SITE_URL + path


def _notify_submitted(deliverable: Deliverable, submission: Submission, *, files) -> None:
    recipients = [u.email for u in reviewer_recipients(deliverable) if u.email]
    if not recipients:
        return
    program = deliverable.program
    context = {
        "deliverable": deliverable,
        "submission": submission,
        "files": files,
        "program": program,
        "link": _link("vendors:deliverable_review", deliverable),
    }
    email_enqueue(
        to=recipients,
        subject=(
            f"[{program.code}] {deliverable.key} submitted for review (round {submission.round}): "
            f"{deliverable.title}"
        )[:300],
        body_text=render_to_string("vendors/deliverables/email/submitted.txt", context),
        idempotency_key=f"deliverable-submitted:{submission.pk}",
    )


def _notify_reviewed(deliverable, submission, review, criteria, decided) -> None:
    users = [
        binding.membership.user
        for binding in PortalUser.objects.filter(
            vendor_id=deliverable.vendor_id, membership__user__is_active=True
        ).select_related("membership__user")
    ]
    recipients = sorted({u.email for u in users if u.email})
    if not recipients:
        return
    program = deliverable.program
    rows = [
        {"number": i, "text": c.text, "met": decided[c.pk][0], "reason": decided[c.pk][1]}
        for i, c in enumerate(criteria, start=1)
    ]
    accepted = review.outcome == ReviewOutcome.ACCEPTED
    context = {
        "deliverable": deliverable,
        "submission": submission,
        "review": review,
        "accepted": accepted,
        "rows": rows,
        "not_met": [r for r in rows if not r["met"]],
        "program": program,
        "link": _link("vendors:portal_deliverable_detail", deliverable),
    }
    outcome = "accepted" if accepted else f"not accepted (round {submission.round})"
    email_enqueue(
        to=recipients,
        subject=f"[{program.code}] {deliverable.key} {outcome}: {deliverable.title}"[:300],
        body_text=render_to_string("vendors/deliverables/email/reviewed.txt", context),
        idempotency_key=f"deliverable-reviewed:{review.pk}",
    )
