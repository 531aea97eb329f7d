"""The ERP demo's requirements moved to where a program in SIT stands (seed_demo, right after
demo_base): most approved and baselined at the design sign-off, a dozen of wave 1's in delivery,
a few verified and accepted, four still proposed, two rejected, the "Won't" ones deferred, and
three baselined requirements reworded through the program's approved change requests, so their
revision history shows the differences.

Verified and accepted: the verify rule needs passing test runs, and the testing area's demo runs
after this one. Those few requirements are therefore moved with a plain audited write
(`_set_state`, like the test factories' `set_state`) instead of the verify service; their keys
are left in ctx["requirements_verified"] so the testing demo can give them passing runs.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction

from core.audit import audit_update, snapshot
from core.audit_guard import bulk_writes_allowed
from governance.choices import ChangeStatus
from governance.models import ChangeRequest

from .models import MoSCoW, Requirement, RequirementRevision, RequirementStatus
from .services import requirements as services

BERLIN = ZoneInfo("Europe/Berlin")
DESIGN_SIGNOFF = dt.datetime(2026, 5, 15, 16, 0, tzinfo=BERLIN)

# still proposed: (title, the change request that asks for it, by words of its title)
PROPOSED = {
    "LIMS interface for the Eindhoven lab": "quality lab (LIMS)",
    "Hypercare support for six weeks": "hypercare",
    "Sandbox refresh each quarter": None,
    "Supplier portal for order confirmations": None,
}
REJECTED = {
    "Cash-flow forecast for 13 weeks": "Treasury keeps its 13-week forecast in the bank's "
    "liquidity tool (Kyriba), which the group already pays for; rebuilding it in S/4HANA adds "
    "cost and nothing the treasurer needs. Decided at the design authority on 12 May 2026.",
    "Vendor evaluation scores": "Duplicate of the group's supplier-management platform, where "
    "procurement already scores suppliers each quarter; the ERP only feeds it delivery data "
    "through the existing interface.",
}
DEFERRED_REASONS = {
    "Legacy reporting of closed years": "Not needed for go-live: the closed years stay readable "
    "in the read-only ECC system until the archive project (2028) moves them to the group "
    "archive.",
    "Plant maintenance orders in Brno": "Deferred with its change request: plant maintenance "
    "goes into the post-go-live roadmap; it will be proposed again for all three plants in "
    "August 2027.",
}
# links to the change request that added it (words of the request's title)
ADDED_BY = {
    "Extended warehouse management in Brno": "third warehouse",
    "Plant maintenance orders in Brno": "maintenance orders",
}
# wave 1's requirements being built now
IN_DELIVERY = [
    "Post journal entries with document splitting",
    "Parallel ledgers for IFRS and local GAAP",
    "Three-way match for supplier invoices",
    "Automatic bank statement import",
    "E-invoicing to public-sector customers",
    "Audit trail of posted documents",
    "Segregation of duties for payments",
    "Supplier master with bank details verified",
    "Open items reconciliation",
    "Mock load performance",
    "Bank connectivity through EBICS",
    "Interface monitoring with alerts",
]
VERIFIED = [
    "Single sign-on with the corporate identity provider",
    "Data-load error report",
    "Role-based authorisations",
]
ACCEPTED = {  # title -> accepted on
    "Transport management across landscapes": dt.datetime(2026, 9, 18, 11, 0, tzinfo=BERLIN),
    "Encrypted data at rest": dt.datetime(2026, 10, 9, 15, 30, tzinfo=BERLIN),
}

# (requirement title, words of the change request's title, new statement, new criteria or None,
#  note, when)
REWORDINGS = [
    (
        "Cut-over runbook rehearsed twice",
        "January to February",
        "The cut-over runbook shall be rehearsed twice end to end before the February 2027 "
        "go-live; the second rehearsal shall run with production-sized data and finish inside "
        "the 48-hour cut-over window.",
        "Both rehearsals completed and timed, with the runbook updated after each.\n"
        "The second rehearsal finished within 48 hours with production-sized data.\n"
        "Signed off by the cut-over manager and the finance process owner.",
        "The re-plan moves go-live to February; the second rehearsal now doubles as the timed "
        "dress rehearsal.",
        dt.datetime(2026, 8, 12, 10, 15, tzinfo=BERLIN),
    ),
    (
        "Month-end close in five working days",
        "January to February",
        "Finance shall close the month in the new system in five working days or fewer from "
        "March 2027; the first close after go-live (February 2027, also a quarter-end) may take "
        "seven working days.",
        None,
        "February go-live: the first close is also the quarter-end close, so it gets two more "
        "days.",
        dt.datetime(2026, 8, 12, 10, 40, tzinfo=BERLIN),
    ),
    (
        "Bank connectivity through EBICS",
        "second Northwind SIT team",
        "Payment files and bank statements shall reach the house banks through EBICS; the "
        "connection to each house bank shall be tested in SIT cycle 1 and retested in cycle 2.",
        "Payments and CAMT.053 statements exchanged with each house bank in the test system.\n"
        "Each bank's connection retested in SIT cycle 2 after the fixes.\n"
        "Signed off by the process owner after UAT.\n"
        "No open severity 1 or 2 defect against it.",
        "The second SIT team retests every bank connection in cycle 2.",
        dt.datetime(2026, 11, 21, 9, 30, tzinfo=BERLIN),
    ),
]


def _cr(requests: list[ChangeRequest], words: str | None, statuses=None):
    if not words:
        return None
    for cr in requests:
        if words.lower() in cr.title.lower() and (statuses is None or cr.status in statuses):
            return cr
    return None


def _set_state(row: Requirement, actor, **values) -> Requirement:
    """Write non-editable state straight to the row, audited (see the module's docstring)."""
    before = snapshot(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.version += 1
    with bulk_writes_allowed():
        Requirement.objects.filter(pk=row.pk).update(version=row.version, **values)
    audit_update(actor=actor, instance=row, before=before)
    return row


def _backdate(requirement: Requirement, when: dt.datetime, revision: int) -> None:
    with bulk_writes_allowed():
        Requirement.objects.filter(pk=requirement.pk).update(approved_at=when)
        RequirementRevision.objects.filter(requirement=requirement, revision=revision).update(
            created_at=when, updated_at=when
        )


@transaction.atomic
def build(program, ctx: dict) -> dict:
    requirements: dict[str, Requirement] = ctx.get("requirements") or {
        r.key: r for r in Requirement.objects.filter(program=program).order_by("number")
    }
    manager = ctx.get("manager")
    if not requirements or manager is None:
        return {}
    by_title = {r.title: r for r in requirements.values()}
    requests = list(ChangeRequest.objects.filter(program=program).order_by("created_at"))
    allowed = (ChangeStatus.APPROVED, ChangeStatus.IMPLEMENTED)

    def step(title: str, name: str, reason: str = "") -> None:
        r = services.requirement_transition(
            actor=manager,
            requirement=by_title[title],
            transition=name,
            expected_version=None,
            reason=reason,
        )
        by_title[title] = r

    # links to the change requests that added or ask for a requirement
    for title, words in {**ADDED_BY, **{t: w for t, w in PROPOSED.items() if w}}.items():
        cr = _cr(requests, words)
        if cr is not None and title in by_title:
            by_title[title] = services.requirement_update(
                actor=manager,
                requirement=by_title[title],
                expected_version=None,
                change_requests=[cr],
            )

    for title, requirement in list(by_title.items()):
        if title in PROPOSED:
            continue
        if title in REJECTED:
            step(title, "reject", REJECTED[title])
        elif requirement.priority == MoSCoW.WONT:
            reason = DEFERRED_REASONS.get(title, "Won't have this time: out of the wave scope.")
            step(title, "defer", reason)
        else:
            step(title, "approve")
            _backdate(by_title[title], DESIGN_SIGNOFF, 1)

    reworded = 0
    for title, words, statement, criteria, note, when in REWORDINGS:
        cr = _cr(requests, words, allowed) or next(
            (c for c in requests if c.status in allowed), None
        )
        requirement = by_title.get(title)
        if cr is None or requirement is None or not requirement.is_baselined:
            continue
        changes = {"statement": statement}
        if criteria:
            changes["acceptance_criteria"] = criteria
        requirement = services.requirement_update(
            actor=manager,
            requirement=requirement,
            expected_version=None,
            change_request=cr,
            revision_note=note,
            **changes,
        )
        with bulk_writes_allowed():
            RequirementRevision.objects.filter(
                requirement=requirement, revision=requirement.baseline_revision
            ).update(created_at=when, updated_at=when)
        by_title[title] = requirement
        reworded += 1

    for title in IN_DELIVERY + VERIFIED + list(ACCEPTED):
        if title in by_title and by_title[title].status == RequirementStatus.APPROVED:
            step(title, "start")
    verified = []
    for title in VERIFIED + list(ACCEPTED):
        requirement = by_title.get(title)
        if requirement is not None and requirement.status == RequirementStatus.IN_DELIVERY:
            by_title[title] = _set_state(requirement, manager, status=RequirementStatus.VERIFIED)
            verified.append(requirement.key)
    for title, when in ACCEPTED.items():
        requirement = by_title.get(title)
        if requirement is not None and requirement.status == RequirementStatus.VERIFIED:
            step(title, "accept")
            with bulk_writes_allowed():
                Requirement.objects.filter(pk=requirement.pk).update(accepted_at=when)

    fresh = {
        r.key: r
        for r in Requirement.objects.filter(program=program)
        .select_related("workstream", "owner")
        .order_by("number")
    }
    ctx["requirements"] = fresh
    ctx["requirements_verified"] = verified
    statuses = [r.status for r in fresh.values()]
    return {
        "requirements approved or later": sum(s in services.BASELINED_STATUSES for s in statuses),
        "requirements reworded by change requests": reworded,
    }
