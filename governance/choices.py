"""Choices of the governance models: change control and the decision log (RACI and compliance
keep theirs together further down)."""

from __future__ import annotations

from django.db import models

# --- change control -----------------------------------------------------------------------------


class ChangeKind(models.TextChoices):
    SCOPE = "scope", "Scope"
    SCHEDULE = "schedule", "Schedule"
    COST = "cost", "Cost"
    QUALITY = "quality", "Quality"


class ChangeStatus(models.TextChoices):
    """draft -> submitted -> assessed -> approved / rejected / deferred -> implemented -> closed;
    a deferred request can be resubmitted. The transitions live in services/changes.py."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ASSESSED = "assessed", "Assessed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"
    IMPLEMENTED = "implemented", "Implemented"
    CLOSED = "closed", "Closed"


# The order of the status tabs and of the workflow stepper.
CHANGE_STATUS_ORDER = [s.value for s in ChangeStatus]
# Tabler light badge colour per status.
CHANGE_STATUS_COLOURS = {
    ChangeStatus.DRAFT: "secondary",
    ChangeStatus.SUBMITTED: "azure",
    ChangeStatus.ASSESSED: "purple",
    ChangeStatus.APPROVED: "green",
    ChangeStatus.REJECTED: "red",
    ChangeStatus.DEFERRED: "yellow",
    ChangeStatus.IMPLEMENTED: "teal",
    ChangeStatus.CLOSED: "dark",
}


class ChangeTransitionName(models.TextChoices):
    """The workflow's verbs: each is one service (`change_request_<verb>`) and one API address."""

    SUBMIT = "submit", "Submit"
    ASSESS = "assess", "Assess"
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    DEFER = "defer", "Defer"
    IMPLEMENT = "implement", "Mark implemented"
    CLOSE = "close", "Close"


class ApprovalLevel(models.TextChoices):
    """Who decides on an assessed request, by the program's change control policy."""

    MANAGER = "manager", "Program manager"
    SPONSOR = "sponsor", "Sponsor"


# --- the decision log ---------------------------------------------------------------------------


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    DECIDED = "decided", "Decided"
    SUPERSEDED = "superseded", "Superseded"


DECISION_STATUS_COLOURS = {
    DecisionStatus.PROPOSED: "azure",
    DecisionStatus.DECIDED: "green",
    DecisionStatus.SUPERSEDED: "secondary",
}
