"""Release readiness as plain logic: no Django, plain facts in, a checklist out.

A release is ready when it has at least one readiness criterion and every criterion is met. Each
criterion is judged from facts gathered by `releases.selectors.readiness` and comes back with a
one-line evidence text carrying the numbers and the keys of the rows behind it, so the page, the
API and the go/no-go record all say the same thing:

- no_open_defects (severity S): no open defect of severity S or worse (1 = critical) among the
  release's defects: those targeted at the release, and those linked to a scope requirement and
  targeted at no release (a defect explicitly targeted at a later release was deferred by a
  decision and does not block this one).
- pass_rate (threshold T %, cycle kind K): over the test cases planned into the release's cycles
  of kind K, the latest results that passed divided by those executed (pass, fail or blocked) is
  at least T. Exactly T meets it; nothing executed fails it.
- requirements_verified (priority P): every scope requirement of priority P is verified or
  accepted (rejected and deferred ones are out of the release; none in scope meets it).
- tests_executed: every case planned into the release's cycles has a result (none planned fails).
- backlog_done: every scope backlog item is done (removed ones do not count).
- signoffs: every sign-off asked for is given (none asked for fails: nobody has signed).
- rollback_approved: the release has a rollback plan and it is approved.
- manual: a person checked it and wrote down the evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

HUNDRED = Decimal(100)
VERIFIED = ("verified", "accepted")
OUT_OF_RELEASE = ("rejected", "deferred")
DONE = "done"
REMOVED = "removed"
EXECUTED = ("pass", "fail", "blocked")
APPROVED = "approved"
SHOWN_KEYS = 10  # keys named in an evidence line; the links carry them all

PRIORITY_LABELS = {"must": "Must", "should": "Should", "could": "Could", "wont": "Won't"}
CYCLE_LABELS = {
    "uat": "UAT",
    "integration": "Integration test",
    "regression": "Regression test",
    "performance": "Performance test",
}


# --- facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefectFact:
    key: str
    severity: int
    title: str = ""


@dataclass(frozen=True)
class CaseFact:
    """A test case planned into one of the release's cycles, with its latest result."""

    cycle_key: str
    cycle_kind: str
    case_key: str
    result: str  # not_run, pass, fail, blocked


@dataclass(frozen=True)
class RequirementFact:
    key: str
    priority: str
    status: str


@dataclass(frozen=True)
class BacklogFact:
    key: str
    status: str


@dataclass(frozen=True)
class SignoffFact:
    role: str
    signer: str
    signed: bool


@dataclass(frozen=True)
class RollbackFact:
    status: str  # draft, approved
    steps: int
    approved_by: str = ""
    approved_on: str = ""  # the day, as shown


@dataclass(frozen=True)
class Facts:
    """Everything readiness is judged on, for one release."""

    open_defects: Sequence[DefectFact] = ()
    cases: Sequence[CaseFact] = ()
    requirements: Sequence[RequirementFact] = ()
    backlog: Sequence[BacklogFact] = ()
    signoffs: Sequence[SignoffFact] = ()
    rollback: RollbackFact | None = None


@dataclass(frozen=True)
class Criterion:
    """One readiness criterion with the parameters its kind reads."""

    kind: str
    id: int | None = None
    label: str = ""
    severity: int | None = None
    threshold: Decimal | None = None
    cycle_kind: str = ""
    priority: str = ""
    manual_met: bool = False
    manual_evidence: str = ""
    manual_checked_by: str = ""
    manual_checked_on: str = ""  # the day, as shown


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A row behind the evidence: kind is defect, requirement, case, cycle, backlog_item,
    signoff or rollback_plan; key its reference (or the sign-off's role)."""

    kind: str
    key: str


@dataclass(frozen=True)
class Result:
    criterion_id: int | None
    kind: str
    label: str
    met: bool
    evidence: str
    links: tuple[Link, ...] = ()

    def as_dict(self) -> dict:
        data = asdict(self)
        data["links"] = [asdict(link) for link in self.links]
        return data


@dataclass(frozen=True)
class Readiness:
    results: tuple[Result, ...] = ()
    failing: tuple[Result, ...] = field(default=())

    @property
    def ready(self) -> bool:
        return bool(self.results) and not self.failing

    @property
    def summary(self) -> str:
        """ "Ready", "Not ready: 3 of 5 criteria fail", "Not ready: no readiness criteria"."""
        if not self.results:
            return "Not ready: no readiness criteria"
        if not self.failing:
            return "Ready"
        total = len(self.results)
        count = len(self.failing)
        verb = "fails" if count == 1 else "fail"
        noun = "criterion" if total == 1 else "criteria"
        return f"Not ready: {count} of {total} {noun} {verb}"

    def as_list(self) -> list[dict]:
        return [result.as_dict() for result in self.results]


# --- wording --------------------------------------------------------------------------------


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _keys(keys: Sequence[str]) -> str:
    shown = ", ".join(keys[:SHOWN_KEYS])
    more = len(keys) - SHOWN_KEYS
    return f"{shown} and {more} more" if more > 0 else shown


def _percent(value: Decimal) -> str:
    """95.00 -> "95", 97.50 -> "97.5"."""
    return format(value.normalize(), "f")


def _severity_scope(severity: int) -> str:
    return "severity-1" if severity == 1 else f"severity 1–{severity}"  # noqa: RUF001


def cycle_label(kind: str) -> str:
    return CYCLE_LABELS.get(kind, kind or "Test")


def default_label(criterion: Criterion) -> str:
    """The generated wording of a criterion (shown when it has no label of its own)."""
    kind = criterion.kind
    if kind == "no_open_defects":
        severity = criterion.severity or 1
        if severity == 1:
            return "No open severity-1 defects"
        return f"No open defects of severity 1–{severity}"  # noqa: RUF001
    if kind == "pass_rate":
        threshold = _percent(criterion.threshold) if criterion.threshold is not None else "?"
        return f"{cycle_label(criterion.cycle_kind)} pass rate ≥ {threshold} %"
    if kind == "requirements_verified":
        priority = PRIORITY_LABELS.get(criterion.priority, criterion.priority or "All")
        return f"All {priority} requirements verified"
    if kind == "tests_executed":
        return "Every planned test executed"
    if kind == "backlog_done":
        return "Every backlog item in scope done"
    if kind == "signoffs":
        return "Sign-offs collected"
    if kind == "rollback_approved":
        return "Rollback plan approved"
    return "Checked by a person"


def rate_text(passed: int, executed: int, threshold: Decimal | None = None) -> str:
    """The pass rate to one decimal (half-even); a rate below the threshold that one decimal
    would round up to it (94.99 %) is shown to two decimals, rounded down."""
    rate = Decimal(passed) * HUNDRED / Decimal(executed)
    shown = rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    if threshold is not None and rate < threshold <= shown:
        shown = rate.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{shown} %"


# --- judging --------------------------------------------------------------------------------


def _no_open_defects(criterion: Criterion, facts: Facts) -> tuple[bool, str, list[Link]]:
    severity = criterion.severity or 1
    found = sorted(
        (d for d in facts.open_defects if d.severity <= severity),
        key=lambda d: (d.severity, _number(d.key)),
    )
    scope = _severity_scope(severity)
    if not found:
        return True, f"No open {scope} defects", []
    keys = [d.key for d in found]
    text = f"{_plural(len(found), f'open {scope} defect')}: {_keys(keys)}"
    return False, text, [Link("defect", key) for key in keys]


def _pass_rate(criterion: Criterion, facts: Facts) -> tuple[bool, str, list[Link]]:
    kind = criterion.cycle_kind
    label = cycle_label(kind)
    threshold = criterion.threshold if criterion.threshold is not None else HUNDRED
    cases = [c for c in facts.cases if c.cycle_kind == kind]
    cycles = sorted({c.cycle_key for c in cases}, key=_number)
    links = [Link("cycle", key) for key in cycles]
    if not cases:
        return False, f"No {label} cases planned for this release", links
    executed = [c for c in cases if c.result in EXECUTED]
    if not executed:
        return False, f"No {label} run executed ({_plural(len(cases), 'case')} planned)", links
    passed = sum(1 for c in executed if c.result == "pass")
    met = Decimal(passed) * HUNDRED >= threshold * Decimal(len(executed))
    rate = rate_text(passed, len(executed), threshold)
    text = f"{label} pass rate {rate} ({passed} of {len(executed)} executed)"
    text += f" {'≥' if met else '<'} {_percent(threshold)} %"
    not_run = len(cases) - len(executed)
    if not_run:
        text += f"; {not_run} not run"
    return met, text, links


def _requirements_verified(criterion: Criterion, facts: Facts) -> tuple[bool, str, list[Link]]:
    priority = criterion.priority
    label = PRIORITY_LABELS.get(priority, priority) if priority else "All"
    wanted = [
        r
        for r in facts.requirements
        if (not priority or r.priority == priority) and r.status not in OUT_OF_RELEASE
    ]
    if not wanted:
        return True, f"No {label} requirements in scope", []
    missing = sorted((r.key for r in wanted if r.status not in VERIFIED), key=_number)
    done = len(wanted) - len(missing)
    text = f"{label} requirements verified: {done} of {len(wanted)}"
    if not missing:
        return True, text, []
    return (
        False,
        f"{text}; not verified: {_keys(missing)}",
        [Link("requirement", key) for key in missing],
    )


def _tests_executed(criterion: Criterion, facts: Facts) -> tuple[bool, str, list[Link]]:
    if not facts.cases:
        return False, "No tests planned for this release", []
    not_run = sorted({c.case_key for c in facts.cases if c.result not in EXECUTED}, key=_number)
    executed = sum(1 for c in facts.cases if c.result in EXECUTED)
    text = f"Tests executed: {executed} of {len(facts.cases)}"
    if not not_run:
        return True, text, []
    return False, f"{text}; not run: {_keys(not_run)}", [Link("case", key) for key in not_run]


def _backlog_done(criterion: Criterion, facts: Facts) -> tuple[bool, str, list[Link]]:
    items = [b for b in facts.backlog if b.status != REMOVED]
    if not items:
        return True, "No backlog items in scope", []
    open_ = sorted((b.key for b in items if b.status != DONE), key=_number)
    text = f"Backlog items done: {len(items) - len(open_)} of {len(items)}"
    if not open_:
        return True, text, []
    return False, f"{text}; open: {_keys(open_)}", [Link("backlog_item", key) for key in open_]


def _signoffs(criterion: Criterion, facts: Facts) -> tuple[bool, str, list[Link]]:
    if not facts.signoffs:
        return False, "No sign-offs asked for yet", []
    pending = [s for s in facts.signoffs if not s.signed]
    text = f"Sign-offs collected: {len(facts.signoffs) - len(pending)} of {len(facts.signoffs)}"
    if not pending:
        return True, text, []
    names = "; ".join(f"{s.role} ({s.signer})" for s in pending)
    return False, f"{text}; pending: {names}", [Link("signoff", s.role) for s in pending]


def _rollback_approved(criterion: Criterion, facts: Facts) -> tuple[bool, str, list[Link]]:
    plan = facts.rollback
    if plan is None:
        return False, "No rollback plan", []
    steps = _plural(plan.steps, "step")
    link = [Link("rollback_plan", "rollback")]
    if plan.status == APPROVED:
        by = f" by {plan.approved_by}" if plan.approved_by else ""
        on = f" on {plan.approved_on}" if plan.approved_on else ""
        return True, f"Rollback plan approved{by}{on} ({steps})", link
    return False, f"Rollback plan is a draft ({steps}), not approved", link


def _manual(criterion: Criterion, facts: Facts) -> tuple[bool, str, list[Link]]:
    if not criterion.manual_met:
        return False, "Not checked yet", []
    by = criterion.manual_checked_by or "someone"
    on = f" on {criterion.manual_checked_on}" if criterion.manual_checked_on else ""
    evidence = " ".join(criterion.manual_evidence.split())
    return True, f"Checked by {by}{on}: {evidence}", []


JUDGES = {
    "no_open_defects": _no_open_defects,
    "pass_rate": _pass_rate,
    "requirements_verified": _requirements_verified,
    "tests_executed": _tests_executed,
    "backlog_done": _backlog_done,
    "signoffs": _signoffs,
    "rollback_approved": _rollback_approved,
    "manual": _manual,
}


def _number(key: str) -> tuple[str, int]:
    """REQ-12 sorts after REQ-7."""
    prefix, _, number = key.rpartition("-")
    return (prefix, int(number)) if number.isdigit() else (key, 0)


def evaluate_one(criterion: Criterion, facts: Facts) -> Result:
    judge = JUDGES.get(criterion.kind)
    label = criterion.label or default_label(criterion)
    if judge is None:
        return Result(criterion.id, criterion.kind, label, False, "Unknown kind of criterion")
    met, evidence, links = judge(criterion, facts)
    return Result(criterion.id, criterion.kind, label, met, evidence, tuple(links))


def evaluate(criteria: Iterable[Criterion], facts: Facts) -> Readiness:
    """Every criterion judged from the facts, in the order given."""
    results = tuple(evaluate_one(criterion, facts) for criterion in criteria)
    return Readiness(results=results, failing=tuple(r for r in results if not r.met))
