"""ERP demo: variance explanations in each state, on variances the other demos really produced.

Runs after the plan, forecast, actual and invoice demos. It reads the closed months beyond the
thresholds from the ledger (nothing is hard-coded), and takes the largest ones: one explained and
approved, one awaiting approval, one requested and one returned for more detail. Fewer
variances give fewer explanations; none gives none.
"""

from __future__ import annotations

from programs.models import Program

from .selectors.variance import unexplained_variances
from .services import variance as services

# (labour line?, overspent?) -> what the owner writes
TEXTS = {
    (True, True): "Overtime during the integration test cycle; it ends with the cycle and the "
    "forecast already includes it.",
    (True, False): "Hiring slipped: two of the planned internal FTEs started later than planned. "
    "The work moves to the following months; the total stays within budget.",
    (False, True): "The vendor billed the next sprint a month early; the contract total is "
    "unchanged and next month's forecast is reduced by the same amount.",
    (False, False): "The vendor's invoice for the month arrived late (partly accrued); the cost "
    "falls in the following month and the total is unchanged.",
}
RETURN_NOTE = "Which months does the cost move to? Please give the amounts so we can re-forecast."


def _text(row) -> str:
    return TEXTS[row.line.category.kind == "labour", row.variance > 0]


def _writer(explanation, ctx):
    """The line's owner when they may write it, else the program manager."""
    owner = explanation.line.owner
    return owner if owner and services.may_write(explanation, owner) else ctx["manager"]


def build(program: Program, ctx: dict) -> dict:
    finance, manager = ctx.get("finance"), ctx.get("manager")
    if finance is None or manager is None:
        return {}
    rows = sorted(
        unexplained_variances(program, state="not_requested"),
        key=lambda r: (-abs(r.variance), r.month, r.line.number),
    )
    # one per line where possible, so the four states show on different lines
    chosen, lines = [], set()
    for row in rows:
        if row.line.pk not in lines:
            chosen.append(row)
            lines.add(row.line.pk)
        if len(chosen) == 4:
            break
    chosen += [row for row in rows if row not in chosen][: 4 - len(chosen)]
    counts = {"approved": 0, "submitted": 0, "requested": 0, "returned": 0}
    outcomes = ("approved", "submitted", "requested", "returned")
    for row, outcome in zip(chosen, outcomes, strict=False):
        explanation = services.explanation_request(actor=finance, line=row.line, month=row.month)
        if outcome != "requested":
            explanation = services.explanation_write(
                actor=_writer(explanation, ctx), explanation=explanation, text=_text(row),
                expected_version=explanation.version,
            )  # fmt: skip
        if outcome == "approved":
            services.explanation_approve(
                actor=finance, explanation=explanation, note="Agreed; the forecast reflects it.",
                expected_version=explanation.version,
            )  # fmt: skip
        elif outcome == "returned":
            services.explanation_return(
                actor=finance, explanation=explanation, note=RETURN_NOTE,
                expected_version=explanation.version,
            )  # fmt: skip
        counts[outcome] += 1
    return {f"variance explanations {k}": v for k, v in counts.items() if v}
