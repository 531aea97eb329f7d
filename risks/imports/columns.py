"""The columns an import understands (headers and their spellings) and how cells are read."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..choices import (
    RATING_MAX,
    RATING_MIN,
    ActionStatus,
    AssumptionStatus,
    DependencyDirection,
    DependencyStatus,
    IssueStatus,
    ResponseStrategy,
    RiskCategory,
    RiskStatus,
)
from .common import ACTION, ALL_TYPES, ASSUMPTION, DEPENDENCY, ISSUE, RISK


@dataclass(frozen=True)
class Column:
    field: str
    label: str  # the header our export and template write
    types: tuple[str, ...]
    kind: str
    aliases: tuple[str, ...] = ()
    help: str = ""
    example: str = ""


COMMON = ALL_TYPES
COLUMNS: tuple[Column, ...] = (
    Column("type", "Type", COMMON, "type", ("raid type", "item type", "record type", "log"),
           "Risk, Issue, Assumption, Dependency or Action.", "Risk"),
    Column("key", "Key", COMMON, "key",
           ("id", "ref", "reference", "ref no", "item id", "raid id", "no", "number", "#"),
           "Optional. Identifies the row inside the file, so issues and actions can link to it; "
           "the item gets a new key in this program.", "R-001"),
    Column("title", "Title", COMMON, "title",
           ("name", "summary", "subject", "headline", "short description", "risk title",
            "issue title", "action title", "assumption title", "dependency title", "risk name",
            "action item"),
           "Required, up to 300 characters.", "Legacy data quality delays the mock load"),
    Column("description", "Description", COMMON, "text", ("details", "detail", "notes")),
    Column("status", "Status", COMMON, "status", ("state",),
           "A status of the item's type, e.g. Open; empty: Open."),
    Column("owner", "Owner", COMMON, "member",
           ("owner email", "owner e mail", "assigned to", "assignee", "responsible",
            "action owner", "risk owner", "issue owner"),
           "E-mail address (or full name) of a program member.", "ana.souza@example.com"),
    Column("workstream", "Workstream", COMMON, "workstream",
           ("work stream", "stream", "workstream name", "workstream key"),
           "Name or key (WS-3) of a workstream of the program.", "Data Migration"),
    Column("wbs_items", "WBS items", COMMON, "wbs",
           ("wbs", "wbs item", "linked tasks", "tasks", "schedule items"),
           "Keys of schedule items, separated by commas (TSK-12, TSK-14)."),
    # risks
    Column("category", "Category", (RISK,), "choice", ("risk category",),
           "Technical, Data, Schedule, Financial, Resources & skills, ...", "Data"),
    Column("cause", "Cause", (RISK,), "text", ("because of",)),
    Column("event", "Event", (RISK,), "text", ("risk event", "there is a risk that")),
    Column("effect", "Effect", (RISK,), "text", ("consequence", "which would lead to")),
    Column("probability", "Probability", (RISK,), "rating", ("likelihood", "prob", "p"),
           "1-5 or Rare, Unlikely, Possible, Likely, Almost certain.", "4"),
    Column("impact", "Impact", (RISK,), "rating", ("overall impact", "i"),
           "1-5. Sets all four impacts when they are not given separately."),
    Column("impact_schedule", "Schedule impact", (RISK,), "rating",
           ("impact schedule", "time impact", "impact time"), "1-5 or Negligible ... Severe.",
           "4"),
    Column("impact_cost", "Cost impact", (RISK,), "rating", ("impact cost", "budget impact"),
           "1-5 (a rating; the amount goes in Cost impact amount).", "3"),
    Column("impact_scope", "Scope impact", (RISK,), "rating", ("impact scope",), "1-5.", "2"),
    Column("impact_quality", "Quality impact", (RISK,), "rating", ("impact quality",), "1-5.",
           "3"),
    Column("proximity_date", "Proximity date", (RISK,), "date", ("proximity",),
           "When the risk could occur at the earliest."),
    Column("response_strategy", "Response strategy", (RISK,), "choice",
           ("response", "strategy", "response type"),
           "Avoid, Mitigate, Transfer, Accept or Escalate.", "Mitigate"),
    Column("mitigation_plan", "Mitigation plan", (RISK,), "text",
           ("mitigation", "mitigating actions", "mitigation actions")),
    Column("contingency_plan", "Contingency plan", (RISK,), "text",
           ("contingency", "fallback plan", "fallback")),
    Column("trigger", "Trigger", (RISK,), "text", ("triggers", "early warning")),
    Column("residual_probability", "Residual probability", (RISK,), "rating",
           ("residual likelihood",), "1-5, with Residual impact (or neither)."),
    Column("residual_impact", "Residual impact", (RISK,), "rating", (), "1-5."),
    Column("cost_impact_amount", "Cost impact amount", (RISK,), "amount",
           ("cost impact value", "cost", "cost exposure", "financial impact", "estimated cost",
            "cost if occurs", "cost impact amount eur", "amount"),
           "In the program currency, `.` for decimals.", "120000.00"),
    Column("review_date", "Review date", (RISK,), "date", ("next review", "review by", "review")),
    Column("last_reviewed_on", "Last reviewed on", (RISK,), "date",
           ("last reviewed", "last review", "reviewed on")),
    # issues
    Column("severity", "Severity", (ISSUE,), "severity", (), "Low, Medium, High or Critical."),
    Column("priority", "Priority", (ISSUE,), "priority", (), "Low, Normal, High or Urgent."),
    Column("due_date", "Due date", (ISSUE, ACTION, DEPENDENCY, ASSUMPTION), "date",
           ("due", "due by", "target date", "deadline", "date due"),
           "Issues and actions; for a dependency its Needed by, for an assumption its Validate "
           "by."),
    Column("resolution", "Resolution", (ISSUE,), "text", ()),
    Column("resolved_on", "Resolved on", (ISSUE,), "date", ("resolved", "date resolved")),
    Column("raised_from_risk", "Raised from risk", (ISSUE,), "ref",
           ("from risk", "source risk", "related risk"),
           "The key of the risk (in the file or the program) that became this issue."),
    # assumptions
    Column("validate_by", "Validate by", (ASSUMPTION,), "date",
           ("validation date", "validate by date", "validate before")),
    Column("consequence_if_false", "Consequence if false", (ASSUMPTION,), "text",
           ("impact if false", "what breaks if false", "if false")),
    Column("validated_on", "Validated on", (ASSUMPTION,), "date", ("date validated",)),
    # dependencies
    Column("direction", "Direction", (DEPENDENCY,), "choice", ("inbound outbound",),
           "Inbound (we receive) or Outbound (we give)."),
    Column("giver_type", "Giver type", (DEPENDENCY,), "party_type", (),
           "Optional: Program, Workstream or External."),
    Column("giver", "Giver", (DEPENDENCY,), "party",
           ("from", "provider", "giving party", "supplier"),
           "A program code, a workstream of this program, or an external party."),
    Column("receiver_type", "Receiver type", (DEPENDENCY,), "party_type", ()),
    Column("receiver", "Receiver", (DEPENDENCY,), "party",
           ("to", "recipient", "receiving party", "consumer")),
    Column("needed_by", "Needed by", (DEPENDENCY,), "date",
           ("need by", "required by", "needed by date")),
    # actions
    Column("completed_on", "Completed on", (ACTION,), "date",
           ("completed", "done on", "date completed", "completion date")),
    Column("linked_to", "Linked to", (ACTION,), "ref",
           ("subject", "related item", "parent", "related to", "for item"),
           "The key of the risk, issue, assumption or dependency (in the file or the program) "
           "this action belongs to."),
)  # fmt: skip
# What our export writes that is computed, not imported.
COMPUTED_HEADERS = (
    "score", "residual score", "emv", "expected monetary value", "band", "score band",
    "escalation level", "escalated at", "created", "created at", "updated", "updated at",
    "owner name", "workstream name", "version", "subject type", "program", "currency",
)  # fmt: skip
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
# A date column a PM calls "Due date" means each type's own date.
TYPE_FIELD_ALIASES = {
    DEPENDENCY: {"due_date": "needed_by"},
    ASSUMPTION: {"due_date": "validate_by"},
}


def normalise_header(text: str) -> str:
    return " ".join(
        re.sub(r"[^0-9a-z#]+", " ", str(text).lower().replace("e-mail", "email")).split()
    )


def _strip_hint(text: str) -> str:
    return re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", str(text))


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.field.replace("_", " "), column.label, *column.aliases):
            index.setdefault(normalise_header(name), column.field)
    return index


HEADER_INDEX = _header_index()
COMPUTED = frozenset(normalise_header(h) for h in COMPUTED_HEADERS)


def match_header(text: str) -> str | None:
    """The field a header names, or None. `Cost impact (1-5)` -> impact_cost."""
    for candidate in (normalise_header(text), normalise_header(_strip_hint(text))):
        if candidate in HEADER_INDEX:
            return HEADER_INDEX[candidate]
    return None


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


class BadValue(Exception):
    pass


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, our export's formula guard removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        text = text[1:]  # the export's guard against formulas
    return text


def _word(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


GENERIC_RATINGS = {"very low": 1, "low": 2, "medium": 3, "moderate": 3, "high": 4, "very high": 5}


def parse_rating(value: Any, *, words: dict[int, str]) -> int:
    text = cell_text(value)
    lookup = {_word(label): n for n, label in words.items()} | GENERIC_RATINGS
    if _word(text) in lookup:
        return lookup[_word(text)]
    match = re.fullmatch(r"(\d+)(?:\s*[-\u2013:.]\s*\D.*)?", text)  # "4", "4 - Likely"
    if match is None:
        raise BadValue(
            f"“{text}” is not a rating: use {RATING_MIN}-{RATING_MAX} or "
            f"{', '.join(words.values())}."
        )
    number = int(match.group(1))
    if not RATING_MIN <= number <= RATING_MAX:
        raise BadValue(f"{number} is outside {RATING_MIN}-{RATING_MAX}.")
    return number


def parse_int_choice(value: Any, choices) -> int:
    text = cell_text(value)
    labels = {_word(label): v for v, label in choices.choices}
    if _word(text) in labels:
        return labels[_word(text)]
    if text.isdigit() and int(text) in choices.values:
        return int(text)
    raise BadValue(f"“{text}” is not one of {', '.join(str(lb) for _, lb in choices.choices)}.")


MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))  # an Excel serial date
    text = cell_text(value)
    try:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?", text)
        if match:
            return dt.date(*map(int, match.groups()))
        match = re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]{3})[a-z]*\.?[ ,-]+(\d{4})", text)
        if match and match.group(2).lower() in MONTHS:
            return dt.date(int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1)))
        match = re.fullmatch(r"([A-Za-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})", text)
        if match and match.group(1).lower() in MONTHS:
            return dt.date(int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2)))
    except ValueError as exc:
        raise BadValue(f"“{text}” is not a valid date ({exc}).") from exc
    if re.fullmatch(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", text):
        raise BadValue(f"“{text}” is ambiguous (day/month or month/day): write YYYY-MM-DD.")
    raise BadValue(f"“{text}” is not a date: write YYYY-MM-DD, e.g. 2026-03-31.")


MAX_AMOUNT = Decimal("999999999999.99")


def parse_amount(value: Any) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = cell_text(value)
        cleaned = re.sub(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|^[$€£¥]\s*|\s", "", text)
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
            cleaned = cleaned.replace(",", "")  # 1,250,000.00
        if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
            raise BadValue(f"“{text}” is not an amount: use digits with `.` for decimals.")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation as exc:  # pragma: no cover - the pattern above rules it out
            raise BadValue(f"“{text}” is not an amount.") from exc
    if amount < 0:
        raise BadValue("cannot be negative.")
    if amount > MAX_AMOUNT:
        raise BadValue("is too large (at most 999999999999.99).")
    if amount != amount.quantize(Decimal("0.01")):
        raise BadValue(f"{amount} has more than two decimals.")
    return amount.quantize(Decimal("0.01"))


def parse_choice(value: Any, choices, *, extra: dict[str, str] | None = None) -> str:
    text = cell_text(value)
    key = _word(text)
    lookup = {_word(v): v for v in choices.values}
    lookup |= {_word(str(label)): v for v, label in choices.choices}
    # "Occurred (issue raised)" is also just "Occurred"
    lookup |= {_word(_strip_hint(str(label))): v for v, label in choices.choices}
    lookup |= extra or {}
    if key in lookup:
        return lookup[key]
    names = ", ".join(_strip_hint(str(label)).strip() for _, label in choices.choices)
    raise BadValue(f"“{text}” is not one of {names}.")


STATUS_CHOICES = {RISK: RiskStatus, ISSUE: IssueStatus, ASSUMPTION: AssumptionStatus,
                  DEPENDENCY: DependencyStatus, ACTION: ActionStatus}  # fmt: skip
STATUS_EXTRA = {
    ISSUE: {"new": "open", "wip": "in_progress", "ongoing": "in_progress"},
    ACTION: {"new": "open", "complete": "done", "completed": "done", "wip": "in_progress",
             "ongoing": "in_progress", "not started": "open"},
    ASSUMPTION: {"to be validated": "open", "unvalidated": "open", "false": "invalid",
                 "confirmed": "validated"},
    DEPENDENCY: {"complete": "delivered", "done": "delivered"},
    RISK: {"active": "open", "monitor": "monitoring", "realised": "occurred",
           "realized": "occurred"},
}  # fmt: skip
CHOICE_COLUMNS = {
    "category": (RiskCategory, {"resources": "resource", "people": "resource",
                                "contract": "vendor", "regulatory": "compliance"}),
    "response_strategy": (ResponseStrategy, {"reduce": "mitigate", "share": "transfer",
                                             "tolerate": "accept", "terminate": "avoid",
                                             "treat": "mitigate"}),
    "direction": (DependencyDirection, {"in": "inbound", "we receive": "inbound",
                                        "out": "outbound", "we give": "outbound"}),
}  # fmt: skip
TYPE_WORDS = {
    **{_word(w): RISK for w in ("risk", "risks", "rsk")},
    **{_word(w): ISSUE for w in ("issue", "issues", "iss")},
    **{_word(w): ASSUMPTION for w in ("assumption", "assumptions", "asm")},
    **{_word(w): DEPENDENCY for w in ("dependency", "dependencies", "dep")},
    **{_word(w): ACTION for w in ("action", "actions", "act", "action item", "action items")},
}
PARTY_TYPES = {"program": "program", "programme": "program", "workstream": "workstream",
               "work stream": "workstream", "external": "external", "external party": "external",
               "third party": "external", "vendor": "external"}  # fmt: skip
SPLIT_KEYS = re.compile(r"[\s,;]+")
