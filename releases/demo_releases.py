"""Demo releases for the ERP program (seed_demo), after the requirements, backlog, testing and
defects demos: wave 1 (finance go-live) scoped with the FI, DM and IT requirements and some of
their backlog items, the five default criteria and a manual one (cut-over rehearsal 2, checked),
three sign-offs (the business owner signed; finance and IT operations pending), an approved
six-step rollback plan, a go/no-go review that decided no-go with conditions, and a log with a
pre-production deployment and an incident. Wave 1 is not ready, and says why: the open
severity-1 defect, the UAT pass rate, the Must requirements not yet verified, the sign-offs.
Wave 2 (operations) is planned with a small scope and the default criteria.

Every row goes through the services. Missing ctx keys (an area not built yet) are skipped.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .models import MoSCoW, Release
from .services import release_reviews as reviews
from .services import release_rollback as rollback
from .services import releases as services

WAVE1_WORKSTREAMS = ("FI", "DM", "IT")
ROLLBACK_STEPS = [
    # (action, owner e-mail, minutes)
    ("Declare the rollback: the cut-over lead informs the steering committee and freezes all "
     "postings in S/4HANA.", "pm@example.com", 15),
    ("Stop the interfaces: MES, e-commerce and EBICS bank connections are switched back to the "
     "legacy ECC endpoints.", "k.tanaka@example.com", 45),
    ("Reopen the legacy ECC system for postings (remove the read-only lock set at cut-over).",
     "k.tanaka@example.com", 30),
    ("Re-post the transactions entered in S/4HANA since go-live into ECC from the cut-over "
     "delta log.", "contributor@example.com", 240),
    ("Reconcile open items and bank balances in ECC against the cut-over trial balance.",
     "s.ibrahim@example.com", 180),
    ("Tell key users and the service desk that ECC is the system of record again; publish the "
     "lessons-learned meeting date.", "coordinator@example.com", 30),
]  # fmt: skip
WAVE2_TITLES = (
    "Purchase requisition approval by amount",
    "Goods receipt with handheld scanners",
    "Three plants on one inventory model",
    "Extended warehouse management in Brno",
    "Stock transfer between plants",
)


def _person(people: dict, email: str, fallback):
    return people.get(email) or fallback


def _wave1_scope(ctx: dict):
    workstreams = ctx.get("workstreams") or {}
    wanted = {workstreams[c].pk for c in WAVE1_WORKSTREAMS if c in workstreams}
    requirements = [
        r
        for r in (ctx.get("requirements") or {}).values()
        if r.workstream_id in wanted and r.priority != MoSCoW.WONT
    ]
    items = [b for b in (ctx.get("backlog") or {}).values() if b.workstream_id in wanted]
    return requirements, items[:12]


def _build_wave1(release: Release, ctx: dict, manager, people: dict, now) -> dict:
    requirements, items = _wave1_scope(ctx)
    services.scope_add(
        actor=manager, release=release, requirements=requirements, backlog_items=items
    )
    services.criteria_add_defaults(actor=manager, release=release)
    rehearsal = services.criterion_create(
        actor=manager, release=release, kind="manual", label="Cut-over rehearsal 2 completed"
    )
    services.criterion_check(
        actor=manager,
        criterion=rehearsal,
        evidence="Rehearsal 2 ran end to end over a weekend: 212 of 212 runbook steps done in "
        "41 h (window 48 h); timings in the cut-over log, SharePoint > ERP > Cut-over.",
        expected_version=rehearsal.version,
    )

    executive = _person(people, "exec@example.com", manager)
    finance = _person(people, "finance@example.com", manager)
    operations = _person(people, "k.tanaka@example.com", manager)
    owner_signoff = reviews.signoff_create(
        actor=manager, release=release, role="Business owner", signer=executive
    )
    reviews.signoff_sign(
        actor=executive,
        signoff=owner_signoff,
        comment="Business processes accepted in UAT; go-live support plan agreed.",
    )
    if finance != executive:
        reviews.signoff_create(actor=manager, release=release, role="Finance", signer=finance)
    if operations not in (executive, finance):
        reviews.signoff_create(
            actor=manager, release=release, role="IT operations", signer=operations
        )

    rollback.rollback_plan_save(
        actor=manager,
        release=release,
        owner=operations,
        trigger="Roll back if, by 18:00 on go-live Sunday, month-end postings or bank payment "
        "runs fail and cannot be fixed within two hours, or a severity-1 incident stops order "
        "intake. Point of no return: the first payment run on Monday 06:00.",
    )
    for action, email, minutes in ROLLBACK_STEPS:
        rollback.rollback_step_add(
            actor=manager,
            release=release,
            action=action,
            owner=_person(people, email, manager),
            duration_minutes=minutes,
        )
    rollback.rollback_plan_approve(actor=manager, release=release)

    rollback.log_entry_add(
        actor=manager,
        release=release,
        kind="deployment",
        occurred_at=now - dt.timedelta(days=12, hours=3),
        environment="Pre-production",
        succeeded=True,
        summary="Build 1.0-rc3 deployed to pre-production for UAT",
        details="Transports 1.0-rc3 (412 objects) imported without errors; smoke test passed.",
    )
    rollback.log_entry_add(
        actor=manager,
        release=release,
        kind="incident",
        occurred_at=now - dt.timedelta(days=9, hours=5),
        environment="Pre-production",
        summary="EBICS payment file rejected by the house bank",
        details="The bank rejected the pain.001 file (wrong character set in the ordering "
        "party name). Fixed in the payment medium format; retest scheduled in UAT.",
    )

    attendees = [p for p in dict.fromkeys([manager, executive, finance, operations]) if p]
    coordinator = ctx.get("coordinator")
    if coordinator is not None and coordinator not in attendees:
        attendees.append(coordinator)
    review = reviews.review_create(
        actor=manager,
        release=release,
        held_at=now - dt.timedelta(days=2, hours=4),
        attendees=attendees,
        notes="Readiness review ahead of the finance go-live. Reviewed the UAT "
        "summary, open defects, the cut-over plan and the sign-offs.",
    )
    votes = {
        executive: ("no_go", "Not while a severity-1 defect is open in payments."),
        finance: ("no_go", "The UAT pass rate is below 95 %; I will not sign before the retest."),
        operations: ("go", "Infrastructure and the rollback plan are ready."),
        coordinator: ("abstain", ""),
    }
    for voter, (vote, comment) in votes.items():
        if voter in attendees and voter != manager:
            reviews.review_vote(actor=voter, review=review, voter=voter, vote=vote, comment=comment)
    reviews.review_vote(
        actor=manager,
        review=review,
        voter=manager,
        vote="no_go",
        comment="Readiness criteria fail; we re-review after the UAT retest.",
    )
    reviews.review_decide(
        actor=manager,
        review=review,
        decision="no_go",
        conditions="Close the open severity-1 defect and retest it; UAT pass rate at least 95 % "
        "after the retest cycle; every Must requirement verified; finance and IT operations "
        "sign-offs collected. Next review in two weeks.",
    )
    return {"scope": len(requirements) + len(items)}


@transaction.atomic
def build(program, ctx: dict) -> dict:
    releases = ctx.get("releases") or {}
    manager = ctx.get("manager")
    if manager is None or not releases:
        return {}
    people = ctx.get("people") or {}
    now = timezone.now()
    counts = {"release criteria": 0}
    wave1 = releases.get("wave1")
    if wave1 is not None:
        _build_wave1(wave1, ctx, manager, people, now)
        counts["release criteria"] += wave1.criteria.count()
    wave2 = releases.get("wave2")
    if wave2 is not None:
        chosen = [r for r in (ctx.get("requirements") or {}).values() if r.title in WAVE2_TITLES]
        services.scope_add(actor=manager, release=wave2, requirements=chosen)
        services.criteria_add_defaults(actor=manager, release=wave2)
        counts["release criteria"] += wave2.criteria.count()
    return counts
