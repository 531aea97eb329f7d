"""The one role x action matrix. Views, the API and templates all ask `role_can`/`user_can`.

A user reaches a program only through a membership; non-members get 404 (they must not learn
that the program exists), members whose role lacks the action get 403.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    MANAGER = "manager", "Program manager"
    COORDINATOR = "coordinator", "Coordinator"
    CONTRIBUTOR = "contributor", "Contributor"
    FINANCE = "finance", "Finance"
    EXECUTIVE = "executive", "Executive"
    VIEWER = "viewer", "Viewer"
    VENDOR = "vendor", "Vendor"


M, CO, CT, FI, EX, VI, VE = (
    Role.MANAGER,
    Role.COORDINATOR,
    Role.CONTRIBUTOR,
    Role.FINANCE,
    Role.EXECUTIVE,
    Role.VIEWER,
    Role.VENDOR,
)
INTERNAL = frozenset({M, CO, CT, FI, EX, VI})
EVERYONE = INTERNAL | {VE}

# action -> roles allowed. Domain apps add their actions here: the whole policy reads in one place.
MATRIX: dict[str, frozenset[Role]] = {
    "program.view": EVERYONE,
    "program.overview": INTERNAL,  # the overview page; vendor users land on their portal instead
    "program.change": frozenset({M}),
    "workstream.view": INTERNAL,
    "workstream.add": frozenset({M, CO}),
    "workstream.change": frozenset({M, CO}),
    "workstream.delete": frozenset({M}),
    "membership.view": INTERNAL,
    "membership.manage": frozenset({M}),
    "activity.view": INTERNAL,
    # schedules: the plan is internal; contributors report progress on their items
    "schedule.view": INTERNAL,
    "schedule.change": frozenset({M, CO}),
    "schedule.progress": frozenset({M, CO, CT}),
    "schedule.baseline": frozenset({M}),
    "schedule.import": frozenset({M}),
    "schedule.signoff": frozenset({M, EX}),
    "schedule.settings": frozenset({M}),
    # risks (the RAID log): everyone inside raises and updates; contributors only what they own
    # (a service rule); the program manager deletes and imports
    "raid.view": INTERNAL,
    "raid.add": frozenset({M, CO, CT}),
    "raid.change": frozenset({M, CO, CT}),
    "raid.delete": frozenset({M}),
    "raid.import": frozenset({M, CO}),
    "raid.settings": frozenset({M}),
    # governance: change requests (approval itself is decided by the program's approval rules:
    # the sponsor or the program manager), decisions, RACI, compliance
    "change.view": INTERNAL,
    "change.add": frozenset({M, CO, CT}),
    "change.change": frozenset({M, CO}),
    "change.approve": frozenset({M, EX}),
    "change.settings": frozenset({M}),
    "decision.view": INTERNAL,
    "decision.change": frozenset({M, CO}),
    "raci.view": INTERNAL,
    "raci.change": frozenset({M, CO}),
    "compliance.view": INTERNAL,
    "compliance.change": frozenset({M, CO}),
    "compliance.evidence": frozenset({M, CO, CT}),
    # vendors: the program's side sees every vendor; vendor users see only the portal of the one
    # vendor they are bound to (vendors.PortalUser) and nothing else of the program
    "vendor.view": INTERNAL,
    "vendor.change": frozenset({M, CO}),
    "vendor.delete": frozenset({M}),
    "contract.view": INTERNAL,
    "contract.change": frozenset({M, CO, FI}),
    "deliverable.view": INTERNAL,
    "deliverable.change": frozenset({M, CO}),
    "deliverable.review": frozenset({M, CO}),
    "sla.view": INTERNAL,
    "sla.change": frozenset({M, CO}),
    "sla.record": frozenset({M, CO, CT}),
    "escalation.view": INTERNAL,
    "escalation.change": frozenset({M, CO}),
    "rfp.view": INTERNAL,
    "rfp.change": frozenset({M, CO}),
    "rfp.evaluate": frozenset({M, CO, CT, FI, EX}),  # assigned evaluators only (a service rule)
    "rfp.select": frozenset({M}),
    "portal.view": frozenset({VE}),
    "portal.submit": frozenset({VE}),
    # budgets: every internal member reads the budget (line owners explain their variances);
    # finance and the program manager keep the books; the vendor portal sends invoices
    "budget.view": INTERNAL,
    "budget.change": frozenset({M, FI}),  # categories, lines, the plan grid, forecasts, reserves
    "budget.change_order": frozenset({M, CO, FI}),  # draft change orders
    "budget.approve": frozenset({M, EX}),  # approve or reject change orders
    "budget.settings": frozenset({M, FI}),
    "budget.export": frozenset({M, CO, FI, EX}),
    "actual.change": frozenset({M, FI}),  # manual cost entries, GL imports, accruals
    "invoice.view": INTERNAL,
    "invoice.change": frozenset({M, CO, FI}),  # receive, correct, validate
    "invoice.approve": frozenset({M, FI}),  # approve or reject (amount limits: a service rule)
    "invoice.pay": frozenset({FI}),
    "variance.explain": frozenset({M, CO, CT, FI}),  # the line's owner (a service rule)
    "variance.review": frozenset({M, FI}),  # request and approve explanations
    "portal.invoice": frozenset({VE}),
    # releases: everyone inside reads requirements, tests, defects and releases; the program
    # manager approves (baselines) and accepts requirements and decides go/no-go (an override of
    # a failing readiness criterion is the manager's alone: a service rule)
    "requirement.view": INTERNAL,
    "requirement.change": frozenset({M, CO, CT}),
    "requirement.approve": frozenset({M}),
    "backlog.view": INTERNAL,
    "backlog.change": frozenset({M, CO, CT}),
    "backlog.groom": frozenset({M, CO}),  # reorder and plan into iterations (workstream leads too)
    "backlog.import": frozenset({M, CO}),
    "test.view": INTERNAL,
    "test.change": frozenset({M, CO}),  # cycles, cases, assignment
    "test.run": frozenset({M, CO, CT}),  # record results and evidence
    "defect.view": INTERNAL,
    "defect.add": frozenset({M, CO, CT}),
    "defect.change": frozenset({M, CO, CT}),
    "release.view": INTERNAL,
    "release.change": frozenset({M, CO}),  # scope, criteria, sign-offs asked, rollback plan, log
    "release.signoff": INTERNAL,  # the named signer only (a service rule)
    "release.decide": frozenset({M, EX}),  # record the go/no-go decision
    "release.vote": INTERNAL,  # a go/no-go attendee's own vote (a service rule)
    # reporting: everyone inside reads reports and dashboards; coordinators and workstream leads
    # draft (leads their own commentary: a service rule); the program manager overrides a RAG
    # and publishes; subscriptions are the manager's and coordinators'
    "report.view": INTERNAL,
    "report.change": frozenset({M, CO, CT}),
    "report.publish": frozenset({M}),
    "report.override": frozenset({M}),
    "report.settings": frozenset({M}),
    "subscription.view": frozenset({M, CO, EX}),
    "subscription.change": frozenset({M, CO}),
    "subscription.send": frozenset({M, CO}),
    "kpi.view": INTERNAL,
    "kpi.change": frozenset({M, CO}),
    "kpi.record": frozenset({M, CO, FI}),  # manual KPI values
    "dashboard.view": INTERNAL,
}

ACTIONS = tuple(MATRIX)


def role_can(role: str | None, action: str) -> bool:
    if action not in MATRIX:
        raise KeyError(f"Unknown action {action!r}: add it to core.permissions.MATRIX")
    return role is not None and role in MATRIX[action]


def can_create_programs(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.can_create_programs))
