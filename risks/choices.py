"""Choices and fixed scales of the RAID log (risks, assumptions, issues, dependencies, actions).

The scoring rules live here, in one place, so the model, the services, the heat map, the filters,
the importer and the demo all agree:

* ratings (probability, each impact, residual ratings) are whole numbers from 1 to 5;
* score = probability x the highest of the four impacts (1..25), residual score likewise;
* score bands: 1-4 low, 5-9 medium, 10-16 high, 20-25 critical (the usual 5x5 colouring);
* expected monetary value (EMV) = cost impact x the probability's percentage band
  (1 = 10 %, 2 = 30 %, 3 = 50 %, 4 = 70 %, 5 = 90 %: the middle of each fifth of the range).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.db import models

RATING_MIN = 1
RATING_MAX = 5
RATINGS = range(RATING_MIN, RATING_MAX + 1)

PROBABILITY_LABELS = {
    1: "Rare",
    2: "Unlikely",
    3: "Possible",
    4: "Likely",
    5: "Almost certain",
}
IMPACT_LABELS = {
    1: "Negligible",
    2: "Minor",
    3: "Moderate",
    4: "Major",
    5: "Severe",
}

# Probability rating -> percentage used for the expected monetary value.
PROBABILITY_PERCENT = {1: 10, 2: 30, 3: 50, 4: 70, 5: 90}

CENT = Decimal("0.01")


def probability_fraction(probability: int) -> Decimal:
    return Decimal(PROBABILITY_PERCENT[probability]) / 100


def expected_monetary_value(probability: int | None, cost: Decimal | None) -> Decimal:
    """EMV of a risk: cost impact x the probability's percentage, to the cent."""
    if not probability or probability not in PROBABILITY_PERCENT or not cost:
        return Decimal("0.00")
    return (Decimal(cost) * probability_fraction(probability)).quantize(
        CENT, rounding=ROUND_HALF_EVEN
    )


def risk_score(probability: int | None, impact: int | None) -> int | None:
    if not probability or not impact:
        return None
    return probability * impact


class ScoreBand(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


# band -> inclusive score range; every product of two ratings falls in exactly one band.
SCORE_BAND_RANGES: dict[str, tuple[int, int]] = {
    ScoreBand.LOW: (1, 4),
    ScoreBand.MEDIUM: (5, 9),
    ScoreBand.HIGH: (10, 16),
    ScoreBand.CRITICAL: (20, 25),
}


def score_band(score: int | None) -> str | None:
    if not score:
        return None
    for band, (low, high) in SCORE_BAND_RANGES.items():
        if low <= score <= high:
            return str(band)
    return None


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MONITORING = "monitoring", "Monitoring"
    OCCURRED = "occurred", "Occurred (issue raised)"
    CLOSED = "closed", "Closed"


RISK_ACTIVE_STATUSES = (RiskStatus.OPEN, RiskStatus.MONITORING)


class RiskCategory(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    DATA = "data", "Data"
    SCHEDULE = "schedule", "Schedule"
    FINANCIAL = "financial", "Financial"
    RESOURCE = "resource", "Resources & skills"
    VENDOR = "vendor", "Vendor & contract"
    SCOPE = "scope", "Scope & requirements"
    ORGANISATIONAL = "organisational", "Organisational change"
    COMPLIANCE = "compliance", "Regulatory & compliance"
    SECURITY = "security", "Security"


class ResponseStrategy(models.TextChoices):
    AVOID = "avoid", "Avoid"
    MITIGATE = "mitigate", "Mitigate"
    TRANSFER = "transfer", "Transfer"
    ACCEPT = "accept", "Accept"
    ESCALATE = "escalate", "Escalate"


class IssueStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


ISSUE_ACTIVE_STATUSES = (IssueStatus.OPEN, IssueStatus.IN_PROGRESS)


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class EscalationLevel(models.IntegerChoices):
    """Who an overdue issue or action has been escalated to (each level is e-mailed once)."""

    NONE = 0, "Not escalated"
    OWNER = 1, "Owner"
    WORKSTREAM_LEAD = 2, "Workstream lead"
    PROGRAM_MANAGER = 3, "Program manager"
    SPONSOR = 4, "Sponsor"


class AssumptionStatus(models.TextChoices):
    OPEN = "open", "To validate"
    VALIDATED = "validated", "Validated"
    INVALID = "invalid", "Proved false"
    CLOSED = "closed", "Closed"


ASSUMPTION_ACTIVE_STATUSES = (AssumptionStatus.OPEN,)


class DependencyDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound (we receive)"
    OUTBOUND = "outbound", "Outbound (we give)"


class DependencyStatus(models.TextChoices):
    OPEN = "open", "Open"
    AGREED = "agreed", "Agreed"
    AT_RISK = "at_risk", "At risk"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


DEPENDENCY_ACTIVE_STATUSES = (
    DependencyStatus.OPEN,
    DependencyStatus.AGREED,
    DependencyStatus.AT_RISK,
)


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


ACTION_ACTIVE_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class RaidType(models.TextChoices):
    """The five tabs of the RAID log; the value is the URL segment and the filter value."""

    RISK = "risks", "Risks"
    ISSUE = "issues", "Issues"
    ASSUMPTION = "assumptions", "Assumptions"
    DEPENDENCY = "dependencies", "Dependencies"
    ACTION = "actions", "Actions"
