"""Sign-offs and go/no-go reviews of a release.

Sign-offs: the release asks a named person for a sign-off in a role (business owner, finance,
IT operations); only that person gives it, with a comment, or declines it with a reason, and may
withdraw a sign-off (a decline) while the release is planned. After the go decision they are
closed.

Go/no-go: a review (when it was held, who attended, notes) collects one vote per attendee (go,
no go with a reason, abstain) and ends with a decision by the program manager or an executive
(release.decide), with conditions. The readiness checklist is evaluated at that moment and kept
on the review. A go while any criterion fails is refused, unless the program manager records an
explicit override with a written reason (an executive cannot override). Go moves the release to
`go`; no-go keeps (or puts) it `planned`. A decided review never changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import _record
from core.domain import check_member, create, delete
from core.errors import Refused
from core.models import AuditAction
from core.permissions import MATRIX, Role
from core.versioning import apply_changes, lock_current

from ..models import (
    Decision,
    GoNoGoReview,
    GoNoGoVote,
    Release,
    ReleaseSignoff,
    ReleaseStatus,
    Vote,
)
from ..readiness import Readiness
from ..selectors.readiness import release_readiness
from .releases import role_of

__all__ = [
    "GoRefused",
    "review_create",
    "review_decide",
    "review_update",
    "review_vote",
    "signoff_create",
    "signoff_decline",
    "signoff_delete",
    "signoff_sign",
    "signoff_state",
    "snapshot_results",
    "snapshot_summary",
]

S = ReleaseStatus


class GoRefused(Refused):
    """A go decision while readiness criteria fail, without the program manager's override."""

    def __init__(self, reason: str, readiness: Readiness):
        self.readiness = readiness
        super().__init__(reason)

    @property
    def failing(self) -> list[dict]:
        return [r.as_dict() for r in self.readiness.failing]


def _person(user) -> str:
    return (user.full_name or user.email) if user is not None else "nobody"


# --- sign-offs ------------------------------------------------------------------------------


def _check_signoffs_open(release: Release) -> None:
    if release.status != S.PLANNED:
        raise Refused(
            f"{release.key} is {release.get_status_display().lower()}: its sign-offs are closed."
        )


@transaction.atomic
def signoff_create(*, actor, release: Release, role: str, signer) -> ReleaseSignoff:
    """Ask `signer` (a member of the program) for a sign-off in `role`."""
    current = lock_current(Release, pk=release.pk, expected_version=None)
    _check_signoffs_open(current)
    role = (role or "").strip()
    if not role:
        raise ValidationError({"role": "Name the role that signs, e.g. “Business owner”."})
    check_member(current.program, signer, "signer")
    if current.signoffs.filter(role__iexact=role).exists():
        raise ValidationError({"role": f"{current.key} already asks for a “{role}” sign-off."})
    return create(
        ReleaseSignoff,
        actor=actor,
        program=current.program,
        release=current,
        role=role,
        signer=signer,
    )


@transaction.atomic
def signoff_delete(*, actor, signoff: ReleaseSignoff, expected_version: int | None) -> None:
    """No longer ask for a sign-off (one that was given stays on the record)."""
    current = lock_current(ReleaseSignoff, pk=signoff.pk, expected_version=expected_version)
    _check_signoffs_open(current.release)
    if current.signed_at is not None:
        raise Refused(
            f"{_person(current.signer)} signed “{current.role}”: a given sign-off stays on the "
            "record; the signer can withdraw it."
        )
    delete(current, actor=actor, expected_version=None)


def _check_signer(current: ReleaseSignoff, actor) -> None:
    if actor is None or current.signer_id != actor.pk:
        raise Refused(
            f"Only {_person(current.signer)} can give or decline the “{current.role}” sign-off."
        )


@transaction.atomic
def signoff_sign(
    *, actor, signoff: ReleaseSignoff, comment: str = "", expected_version: int | None = None
) -> ReleaseSignoff:
    """The named signer signs, with an optional comment."""
    current = lock_current(ReleaseSignoff, pk=signoff.pk, expected_version=expected_version)
    _check_signer(current, actor)
    _check_signoffs_open(current.release)
    if current.signed_at is not None:
        raise Refused(f"“{current.role}” was already signed on {current.signed_at:%d %b %Y}.")
    return apply_changes(
        current,
        actor=actor,
        changes={"signed_at": timezone.now(), "comment": (comment or "").strip()},
        expected_version=expected_version,
        locked=True,
    )


@transaction.atomic
def signoff_decline(
    *, actor, signoff: ReleaseSignoff, comment: str, expected_version: int | None = None
) -> ReleaseSignoff:
    """The named signer declines (or withdraws a sign-off given earlier), saying why."""
    current = lock_current(ReleaseSignoff, pk=signoff.pk, expected_version=expected_version)
    _check_signer(current, actor)
    _check_signoffs_open(current.release)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Say why, so the release team knows what to fix."})
    return apply_changes(
        current,
        actor=actor,
        changes={"signed_at": None, "comment": comment},
        expected_version=expected_version,
        locked=True,
    )


def signoff_state(signoff: ReleaseSignoff) -> str:
    """signed, declined (not signed, with the signer's reason) or pending."""
    if signoff.signed_at is not None:
        return "signed"
    return "declined" if signoff.comment else "pending"


# --- go/no-go reviews -----------------------------------------------------------------------


def _check_attendees(release: Release, attendees: Iterable) -> list:
    attendees = list(dict.fromkeys(attendees))
    for person in attendees:
        check_member(release.program, person, "attendees")
    return attendees


def _check_undecided(review: GoNoGoReview) -> None:
    if review.decision:
        raise Refused(
            f"The go/no-go review of {review.held_at:%d %b %Y} was decided "
            f"({review.get_decision_display().lower()}): it cannot change any more."
        )


def _record_attendees(*, actor, review: GoNoGoReview, before: list[str], after: list[str]):
    if before != after:
        _record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=review,
            changes={"attendees": [", ".join(before) or None, ", ".join(after) or None]},
        )


@transaction.atomic
def review_create(
    *, actor, release: Release, held_at, attendees: Iterable = (), notes: str = ""
) -> GoNoGoReview:
    current = lock_current(Release, pk=release.pk, expected_version=None)
    if current.status not in (S.PLANNED, S.GO):
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}: there is no go/no-go "
            "decision left to take."
        )
    open_review = current.reviews.filter(decision="").order_by("held_at").first()
    if open_review is not None:
        raise Refused(
            f"The go/no-go review of {open_review.held_at:%d %b %Y} is not decided yet: "
            "decide it before holding another."
        )
    attendees = _check_attendees(current, attendees)
    review = create(
        GoNoGoReview,
        actor=actor,
        program=current.program,
        release=current,
        held_at=held_at,
        notes=(notes or "").strip(),
    )
    if attendees:
        review.attendees.set(attendees)
        _record_attendees(
            actor=actor, review=review, before=[], after=[_person(a) for a in attendees]
        )
    return review


@transaction.atomic
def review_update(
    *,
    actor,
    review: GoNoGoReview,
    expected_version: int | None,
    attendees: Iterable | None = None,
    **changes: Any,
) -> GoNoGoReview:
    """Change when it was held, the notes or the attendees of an undecided review (an attendee
    who voted stays)."""
    current = lock_current(GoNoGoReview, pk=review.pk, expected_version=expected_version)
    _check_undecided(current)
    unknown = set(changes) - {"held_at", "notes"}
    if unknown:
        raise ValidationError(f"Unknown review fields: {', '.join(sorted(unknown))}.")
    if "notes" in changes:
        changes["notes"] = (changes["notes"] or "").strip()
    if attendees is not None:
        attendees = _check_attendees(current.release, attendees)
        voted = {v.voter_id: v.voter for v in current.votes.select_related("voter")}
        dropped = [voter for pk, voter in voted.items() if pk not in {a.pk for a in attendees}]
        if dropped:
            raise ValidationError(
                {"attendees": f"{', '.join(_person(p) for p in dropped)} voted: they attended."}
            )
    version = current.version
    current = apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )
    if attendees is not None:
        before = sorted(_person(a) for a in current.attendees.all())
        after = sorted(_person(a) for a in attendees)
        if before != after:
            current.attendees.set(attendees)
            if current.version == version:  # only the attendees changed: move the version on
                current.version += 1
                current.save(update_fields=["version", "updated_at"])
            _record_attendees(actor=actor, review=current, before=before, after=after)
    return current


@transaction.atomic
def review_vote(*, actor, review: GoNoGoReview, voter, vote: str, comment: str = "") -> GoNoGoVote:
    """An attendee's vote (recorded by the attendee, or by the release team for them); voting
    again replaces the earlier vote until the decision."""
    current = lock_current(GoNoGoReview, pk=review.pk, expected_version=None)
    _check_undecided(current)
    if vote not in Vote.values:
        raise ValidationError({"vote": f"Vote one of: {', '.join(Vote.values)}."})
    if voter is None or not current.attendees.filter(pk=voter.pk).exists():
        raise ValidationError({"voter": f"{_person(voter)} is not an attendee of this review."})
    if actor is None or (
        actor.pk != voter.pk and role_of(current.program, actor) not in MATRIX["release.change"]
    ):
        raise Refused("Attendees vote for themselves; the release team can record votes for them.")
    comment = (comment or "").strip()
    if vote == Vote.NO_GO and not comment:
        raise ValidationError({"comment": "A no-go vote needs its reason."})
    existing = current.votes.filter(voter=voter).first()
    if existing is None:
        return create(
            GoNoGoVote,
            actor=actor,
            program=current.program,
            review=current,
            voter=voter,
            vote=vote,
            comment=comment,
        )
    return apply_changes(
        existing,
        actor=actor,
        changes={"vote": vote, "comment": comment},
        expected_version=None,
    )


def _why(readiness: Readiness) -> str:
    """ "3 of 5 criteria fail", or "the release has no readiness criteria"."""
    if not readiness.results:
        return "the release has no readiness criteria"
    return readiness.summary.removeprefix("Not ready: ")


def _refusal_text(readiness: Readiness) -> str:
    reasons = _why(readiness)
    if readiness.results:
        reasons += f" ({'; '.join(r.label for r in readiness.failing)})"
    return (
        f"Go refused: {reasons}. Only the program manager can decide go anyway, with an "
        "explicit override and a written reason."
    )


@transaction.atomic
def review_decide(
    *,
    actor,
    review: GoNoGoReview,
    decision: str,
    conditions: str = "",
    override: bool = False,
    override_reason: str = "",
    expected_version: int | None = None,
) -> GoNoGoReview:
    """Record the decision of the review, with the readiness checklist as it stands now."""
    current = lock_current(GoNoGoReview, pk=review.pk, expected_version=expected_version)
    _check_undecided(current)
    release = lock_current(Release, pk=current.release_id, expected_version=None)
    role = role_of(release.program, actor)
    if role not in MATRIX["release.decide"]:
        raise Refused("Only the program manager or an executive records the go/no-go decision.")
    if decision not in Decision.values:
        raise ValidationError({"decision": f"Decide one of: {', '.join(Decision.values)}."})
    if release.status not in (S.PLANNED, S.GO):
        raise Refused(
            f"{release.key} is {release.get_status_display().lower()}: there is no go/no-go "
            "decision left to take."
        )
    if decision == Decision.GO and release.status == S.GO:
        raise Refused(f"{release.key} already has a go decision.")
    readiness = release_readiness(release)
    override_reason = (override_reason or "").strip()
    overridden = False
    if decision == Decision.GO and not readiness.ready:
        if not override:
            raise GoRefused(_refusal_text(readiness), readiness)
        if role != Role.MANAGER:
            raise Refused(
                f"Only the program manager can override failing readiness criteria "
                f"({_why(readiness)}); the {Role(role).label.lower()} "
                "cannot."
            )
        if not override_reason:
            raise ValidationError(
                {
                    "override_reason": "Write down why the release goes ahead although "
                    f"{_why(readiness)}."
                }
            )
        overridden = True
    current = apply_changes(
        current,
        actor=actor,
        changes={
            "decision": decision,
            "conditions": (conditions or "").strip(),
            "decided_by": actor,
            "decided_at": timezone.now(),
            "readiness": {
                "summary": readiness.summary,
                "ready": readiness.ready,
                "criteria": readiness.as_list(),
            },
            "override": overridden,
            "override_reason": override_reason if overridden else "",
        },
        expected_version=expected_version,
        locked=True,
    )
    status = S.GO if decision == Decision.GO else S.PLANNED
    if release.status != status:
        apply_changes(
            release, actor=actor, changes={"status": status}, expected_version=None, locked=True
        )
    return current


def snapshot_results(review: GoNoGoReview) -> list[dict]:
    """The checklist stored on a decided review (criteria with met, evidence and links)."""
    data = review.readiness
    if isinstance(data, dict):
        return list(data.get("criteria") or [])
    return list(data or [])


def snapshot_summary(review: GoNoGoReview) -> str:
    data = review.readiness
    return data.get("summary", "") if isinstance(data, dict) else ""
