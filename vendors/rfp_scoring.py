"""The RFP comparison engine: weighted totals, ranks and the spread between evaluators.

Plain data in, plain data out (no Django). The caller passes only *submitted* scores.

Arithmetic (all Decimal, never float):

- An evaluator's weighted total for a response, as a percentage of the best possible score:
  ``Σ w_i · s_i / (Σ w_i · scale_max) * 100``.
- A criterion's mean is the mean of the counted evaluators' scores for it; the response's
  weighted total is ``Σ w_i · mean_i / (Σ w_i · scale_max) * 100``, which is the same number as
  the mean of the evaluators' weighted totals.
- The spread between evaluators is ``max - min`` of their weighted totals (percentage points);
  the standard deviation is the population one (the panel is all the evaluators there are).
- Everything is computed exactly and rounded once, at the end, to 2 decimals with
  ROUND_HALF_UP (81.005 → 81.01). Ranks compare the rounded totals, so two responses shown
  with the same total share a rank ("1, 1, 3"); ties are listed by name.

Partial data: an evaluator's scores for a response count only when they cover every criterion.
An incomplete set (possible only if the caller hands one in) is left out whole and reported in
`ignored_evaluators`, so one missing score never skews a mean. A response without any complete
set has no total and no rank, is flagged ``not_evaluated`` and is listed after the ranked ones.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)
# Evaluators whose weighted totals for one response lie more than this many percentage points
# apart are flagged: the panel should talk before the numbers are trusted.
DISAGREEMENT_THRESHOLD = Decimal(15)

DISAGREE = "disagree"
SINGLE_EVALUATOR = "single_evaluator"
NOT_EVALUATED = "not_evaluated"
INCOMPLETE_IGNORED = "incomplete_ignored"
FLAG_LABELS = {
    DISAGREE: "Evaluators disagree",
    SINGLE_EVALUATOR: "Only one evaluation",
    NOT_EVALUATED: "Not evaluated yet",
    INCOMPLETE_IGNORED: "Incomplete evaluation left out",
}


def round2(value: Decimal) -> Decimal:
    """2 decimals, half up (the one rounding rule of this module)."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Criterion:
    id: Hashable
    name: str
    weight: Decimal


@dataclass(frozen=True)
class Response:
    id: Hashable
    name: str


@dataclass(frozen=True)
class ResponseResult:
    response: Response
    evaluators: tuple  # evaluator ids whose complete scores count, in the order given
    ignored_evaluators: tuple  # evaluator ids with an incomplete set, left out
    criterion_means: dict  # criterion id -> mean score (2 dp) or None
    criterion_spreads: dict  # criterion id -> max - min of the scores (int) or None
    evaluator_totals: dict  # evaluator id -> weighted total % (2 dp)
    total: Decimal | None  # weighted total % (2 dp)
    spread: Decimal | None  # max - min of evaluator totals (percentage points, 2 dp)
    stdev: Decimal | None  # population standard deviation of evaluator totals (2 dp)
    rank: int | None
    flags: tuple[str, ...] = ()

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS[f] for f in self.flags]

    @property
    def disagree(self) -> bool:
        return DISAGREE in self.flags


@dataclass(frozen=True)
class Comparison:
    criteria: tuple[Criterion, ...]
    scale_max: int
    weight_shares: dict  # criterion id -> share of the total weight in % (2 dp)
    results: tuple[ResponseResult, ...]  # ranked first (rank, then name), then the unranked
    threshold: Decimal = DISAGREEMENT_THRESHOLD
    evaluators: tuple = field(default=())  # every evaluator id counted anywhere, first seen first

    def result_for(self, response_id: Hashable) -> ResponseResult | None:
        return next((r for r in self.results if r.response.id == response_id), None)

    @property
    def ranked(self) -> tuple[ResponseResult, ...]:
        return tuple(r for r in self.results if r.rank is not None)


def weight_shares(criteria: Iterable[Criterion]) -> dict:
    """Each criterion's weight as a percentage of the total weight (2 dp); 0 when all are 0."""
    criteria = list(criteria)
    total = sum((c.weight for c in criteria), Decimal(0))
    if total <= 0:
        return {c.id: Decimal("0.00") for c in criteria}
    return {c.id: round2(c.weight * HUNDRED / total) for c in criteria}


def _check(criteria: list[Criterion], scale_max: int, scores: Mapping) -> Decimal:
    if not isinstance(scale_max, int) or scale_max < 1:
        raise ValueError("scale_max must be a whole number of at least 1.")
    if not criteria:
        raise ValueError("An RFP needs at least one criterion to compare responses.")
    if any(Decimal(c.weight) < 0 for c in criteria):
        raise ValueError("Weights cannot be negative.")
    total_weight = sum((Decimal(c.weight) for c in criteria), Decimal(0))
    if total_weight <= 0:
        raise ValueError("At least one criterion needs a weight above 0.")
    for key, score in scores.items():
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= scale_max:
            raise ValueError(f"Score {score!r} for {key!r} is not a whole number 0-{scale_max}.")
    return total_weight


def _stdev(values: list[Decimal]) -> Decimal:
    mean = sum(values, Decimal(0)) / len(values)
    variance = sum(((v - mean) ** 2 for v in values), Decimal(0)) / len(values)
    return variance.sqrt()


def compare(
    *,
    criteria: Iterable[Criterion],
    responses: Iterable[Response],
    scale_max: int,
    scores: Mapping[tuple[Hashable, Hashable, Hashable], int],
    threshold: Decimal = DISAGREEMENT_THRESHOLD,
) -> Comparison:
    """Compare `responses` on `criteria` from submitted `scores`
    {(response id, evaluator id, criterion id): score}.

    Scores of unknown responses or criteria are ignored; the order of evaluators is the order in
    which they first appear in `scores`.
    """
    criteria = tuple(criteria)
    responses = tuple(responses)
    total_weight = _check(list(criteria), scale_max, scores)
    criterion_ids = [c.id for c in criteria]
    weights = {c.id: Decimal(c.weight) for c in criteria}
    known_responses = {r.id for r in responses}
    best = total_weight * scale_max  # Σ w_i · scale_max

    # response -> evaluator -> criterion -> score
    by_response: dict = {r.id: {} for r in responses}
    evaluator_order: dict = {}
    for (response_id, evaluator_id, criterion_id), score in scores.items():
        if response_id not in known_responses or criterion_id not in weights:
            continue
        by_response[response_id].setdefault(evaluator_id, {})[criterion_id] = score
        evaluator_order.setdefault(evaluator_id, len(evaluator_order))

    partial: list[dict] = []
    for response in responses:
        sets = by_response[response.id]
        ordered = sorted(sets, key=evaluator_order.__getitem__)
        complete = [e for e in ordered if all(c in sets[e] for c in criterion_ids)]
        ignored = tuple(e for e in ordered if e not in complete)
        flags: list[str] = []
        exact_totals = {
            e: sum(weights[c] * sets[e][c] for c in criterion_ids) * HUNDRED / best
            for e in complete
        }
        if complete:
            n = len(complete)
            means = {
                c: round2(Decimal(sum(sets[e][c] for e in complete)) / n) for c in criterion_ids
            }
            spreads_by_criterion = {
                c: max(sets[e][c] for e in complete) - min(sets[e][c] for e in complete)
                for c in criterion_ids
            }
            totals = list(exact_totals.values())
            total = round2(sum(totals, Decimal(0)) / n)
            spread = round2(max(totals) - min(totals))
            stdev = round2(_stdev(totals))
            if n == 1:
                flags.append(SINGLE_EVALUATOR)
            elif spread > threshold:
                flags.append(DISAGREE)
        else:
            means = dict.fromkeys(criterion_ids)
            spreads_by_criterion = dict.fromkeys(criterion_ids)
            total = spread = stdev = None
            flags.append(NOT_EVALUATED)
        if ignored:
            flags.append(INCOMPLETE_IGNORED)
        partial.append(
            {
                "response": response,
                "evaluators": tuple(complete),
                "ignored_evaluators": ignored,
                "criterion_means": means,
                "criterion_spreads": spreads_by_criterion,
                "evaluator_totals": {e: round2(t) for e, t in exact_totals.items()},
                "total": total,
                "spread": spread,
                "stdev": stdev,
                "flags": tuple(flags),
            }
        )

    ranked = sorted(
        (p for p in partial if p["total"] is not None),
        key=lambda p: (-p["total"], p["response"].name.casefold(), str(p["response"].id)),
    )
    unranked = sorted(
        (p for p in partial if p["total"] is None),
        key=lambda p: (p["response"].name.casefold(), str(p["response"].id)),
    )
    results = []
    previous_total, previous_rank = None, 0
    for position, p in enumerate(ranked, start=1):
        rank = previous_rank if p["total"] == previous_total else position
        previous_total, previous_rank = p["total"], rank
        results.append(ResponseResult(rank=rank, **p))
    results += [ResponseResult(rank=None, **p) for p in unranked]
    return Comparison(
        criteria=criteria,
        scale_max=scale_max,
        weight_shares=weight_shares(criteria),
        results=tuple(results),
        threshold=threshold,
        evaluators=tuple(sorted(evaluator_order, key=evaluator_order.__getitem__)),
    )
