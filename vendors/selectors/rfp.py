"""Reads for RFPs: the list, the evaluators' progress, one evaluation with what its author may
see of the others, the comparison matrix, and the evaluations waiting for someone.

Who sees which scores (pages and API both read through here):

- A draft evaluation is seen by its author only, by nobody else, ever.
- An assigned evaluator sees the others' submitted scores of a response only once they have
  submitted their own evaluation of it: until then that response is *sealed* for them, in the
  matrix too (being the RFP's owner or a manager does not lift it: independence comes first).
- Everyone else with `rfp.view` (the owner, managers, the rest of the program's side) sees the
  matrix built from submitted evaluations.
- Once the RFP is decided or cancelled nothing is sealed any more (drafts stay private).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from .. import rfp_scoring
from ..models import (
    Evaluation,
    EvaluationStatus,
    Rfp,
    RfpCriterion,
    RfpEvaluator,
    RfpResponse,
    RfpStatus,
    Score,
)

UNSEALED = (RfpStatus.DECIDED, RfpStatus.CANCELLED)


def _count(model, to_rfp: str, **filters) -> Coalesce:
    """A correlated COUNT(*) of `model` rows whose `to_rfp` path is the outer RFP (a subquery:
    no join fan-out between the counts)."""
    rows = (
        model.objects.filter(**{to_rfp: OuterRef("pk")}, **filters)
        .order_by()
        .values(to_rfp)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def rfp_list(*, program, status: str = "") -> QuerySet[Rfp]:
    """The program's RFPs with their counts (criteria, responses, evaluators, submitted
    evaluations) and the selected vendor, in one query."""
    rows = (
        Rfp.objects.filter(program=program)
        .select_related("owner", "selected_response__vendor", "decision")
        .annotate(
            criteria_count=_count(RfpCriterion, "rfp"),
            response_count=_count(RfpResponse, "rfp"),
            evaluator_count=_count(RfpEvaluator, "rfp"),
            submitted_count=_count(Evaluation, "response__rfp", status=EvaluationStatus.SUBMITTED),
        )
        .annotate(expected_count=F("response_count") * F("evaluator_count"))
        .order_by("-number")
    )
    return rows.filter(status=status) if status else rows


def rfp_status_counts(*, program) -> dict[str, int]:
    counts = dict.fromkeys(RfpStatus.values, 0)
    for row in Rfp.objects.filter(program=program).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def rfp_get(*, program, key: str) -> Rfp:
    rfp = (
        Rfp.objects.filter(program=program, key=(key or "").upper())
        .select_related("owner", "selected_response__vendor", "decision")
        .first()
    )
    if rfp is None:
        raise Http404(f"There is no RFP {key} in {program.code}.")
    rfp.program = program
    return rfp


def response_get(*, rfp: Rfp, pk: int) -> RfpResponse:
    response = RfpResponse.objects.filter(rfp=rfp, pk=pk).select_related("vendor").first()
    if response is None:
        raise Http404(f"{rfp.key} has no response {pk}.")
    response.rfp = rfp
    return response


def criteria_with_shares(*, rfp: Rfp) -> list[RfpCriterion]:
    """The criteria in order, each with `share`: its weight as % of the total (2 dp)."""
    criteria = list(rfp.criteria.all())
    shares = rfp_scoring.weight_shares(
        rfp_scoring.Criterion(c.pk, c.name, c.weight) for c in criteria
    )
    for c in criteria:
        c.share = shares[c.pk]
    return criteria


def is_evaluator(*, rfp: Rfp, user) -> bool:
    return RfpEvaluator.objects.filter(rfp=rfp, user=user).exists()


# --- progress (who has done what, never the scores) ---------------------------------------


@dataclass
class EvaluatorProgress:
    evaluator: RfpEvaluator
    cells: list[str]  # per response, in order: "submitted", "draft" or "" (not started)
    submitted: int
    drafts: int

    pairs: list = field(default_factory=list)  # (response, state), in the responses' order

    @property
    def done(self) -> bool:
        return bool(self.cells) and self.submitted == len(self.cells)


def evaluator_progress(*, rfp: Rfp, responses: list[RfpResponse]) -> list[EvaluatorProgress]:
    """Each evaluator's state per response (submitted / draft / not started): two queries."""
    evaluators = list(rfp.evaluators.select_related("user").order_by("user__full_name", "id"))
    states = {
        (row["evaluator_id"], row["response_id"]): row["status"]
        for row in Evaluation.objects.filter(response__rfp=rfp).values(
            "evaluator_id", "response_id", "status"
        )
    }
    progress = []
    for ev in evaluators:
        cells = [states.get((ev.user_id, r.pk), "") for r in responses]
        progress.append(
            EvaluatorProgress(
                evaluator=ev,
                cells=cells,
                submitted=cells.count(EvaluationStatus.SUBMITTED),
                drafts=cells.count(EvaluationStatus.DRAFT),
                pairs=list(zip(responses, cells, strict=True)),
            )
        )
    return progress


# --- the comparison -----------------------------------------------------------------------


def _engine_inputs(rfp: Rfp):
    criteria = list(rfp.criteria.all())
    responses = list(rfp.responses.select_related("vendor").order_by("vendor__name", "id"))
    scores = {
        (response_id, evaluator_id, criterion_id): score
        for response_id, evaluator_id, criterion_id, score in Score.objects.filter(
            evaluation__response__rfp=rfp, evaluation__status=EvaluationStatus.SUBMITTED
        ).values_list(
            "evaluation__response_id", "evaluation__evaluator_id", "criterion_id", "score"
        )
    }
    return criteria, responses, scores


def _compare(rfp: Rfp, criteria, responses, scores) -> rfp_scoring.Comparison | None:
    if not criteria or sum((c.weight for c in criteria), Decimal(0)) <= 0:
        return None
    return rfp_scoring.compare(
        criteria=[rfp_scoring.Criterion(c.pk, c.name, c.weight) for c in criteria],
        responses=[rfp_scoring.Response(r.pk, r.vendor.name) for r in responses],
        scale_max=rfp.scale_max,
        scores=scores,
    )


def rfp_comparison(*, rfp: Rfp) -> tuple[rfp_scoring.Comparison, list[RfpResponse]]:
    """The unsealed comparison of every response from submitted scores (for the selection,
    which the service records for everyone; not for showing to an evaluator)."""
    criteria, responses, scores = _engine_inputs(rfp)
    comparison = _compare(rfp, criteria, responses, scores)
    if comparison is None:
        raise ValueError(f"{rfp.key} has no weighted criteria to compare on.")
    return comparison, responses


@dataclass
class MatrixColumn:
    response: RfpResponse
    result: rfp_scoring.ResponseResult
    evaluator_totals: list[tuple[Any, Decimal]]  # (user, total) in the evaluators' order


@dataclass
class MatrixRow:
    criterion: RfpCriterion
    share: Decimal
    cells: list[tuple[Decimal | None, int | None]]  # per column: (mean, spread of scores)


@dataclass
class RfpMatrix:
    rfp: Rfp
    criteria: list[RfpCriterion]
    columns: list[MatrixColumn]  # visible responses, ranked first
    rows: list[MatrixRow]
    sealed: list[RfpResponse]  # responses withheld from this viewer until they submit
    unscored: list[RfpResponse]  # visible but no submitted evaluation yet
    viewer_is_evaluator: bool
    comparison: rfp_scoring.Comparison | None
    evaluators: list[Any] = field(default_factory=list)  # users with counted evaluations

    @property
    def ranked(self) -> list[MatrixColumn]:
        return [c for c in self.columns if c.result.rank is not None]

    @property
    def evaluator_rows(self) -> list[tuple[Any, list[Decimal | None]]]:
        """(user, their weighted total per column) for the matrix's evaluator rows."""
        return [
            (user, [dict(c.evaluator_totals).get(user) for c in self.columns])
            for user in self.evaluators
        ]

    @property
    def winner(self) -> MatrixColumn | None:
        ranked = self.ranked
        return ranked[0] if ranked and ranked[0].result.rank == 1 else None

    def chart_data(self) -> dict[str, Any]:
        """For the bar chart: each ranked response's total and evaluators' totals."""
        return {
            "labels": [c.response.vendor.name for c in self.ranked],
            "totals": [float(c.result.total) for c in self.ranked],
            "evaluators": [
                {
                    "name": str(user),
                    "totals": [float(dict(c.evaluator_totals).get(user) or 0) for c in self.ranked],
                }
                for user in self.evaluators
            ],
        }


def sealed_response_ids(
    *, rfp: Rfp, viewer_is_evaluator: bool, viewer_id: int, response_ids, submitted_pairs
) -> set[int]:
    """Responses whose submitted scores the viewer may not see yet: for an assigned evaluator,
    those they have not submitted themselves; nothing once the RFP is decided or cancelled.
    `submitted_pairs` holds (response id, evaluator id) of the submitted evaluations."""
    if rfp.status in UNSEALED or not viewer_is_evaluator:
        return set()
    return {r for r in response_ids if (r, viewer_id) not in submitted_pairs}


def rfp_matrix(*, rfp: Rfp, viewer) -> RfpMatrix:
    """The comparison `viewer` may see: submitted evaluations only, sealed responses left out
    (see the module docstring). A fixed number of queries, whatever the size."""
    criteria, responses, scores = _engine_inputs(rfp)
    submitted_pairs = {(r, e) for r, e, _c in scores}
    viewer_is_evaluator = is_evaluator(rfp=rfp, user=viewer)
    sealed_ids = sealed_response_ids(
        rfp=rfp,
        viewer_is_evaluator=viewer_is_evaluator,
        viewer_id=viewer.pk,
        response_ids=[r.pk for r in responses],
        submitted_pairs=submitted_pairs,
    )
    visible = [r for r in responses if r.pk not in sealed_ids]
    visible_scores = {k: v for k, v in scores.items() if k[0] not in sealed_ids}
    comparison = _compare(rfp, criteria, visible, visible_scores)
    shares = {c.pk: Decimal("0.00") for c in criteria}
    columns: list[MatrixColumn] = []
    counted_users: list[Any] = []
    if comparison is not None:
        shares = comparison.weight_shares
        user_ids = list(comparison.evaluators)
        users = {
            ev.user_id: ev.user
            for ev in RfpEvaluator.objects.filter(rfp=rfp, user_id__in=user_ids).select_related(
                "user"
            )
        }
        # Evaluators removed since cannot have submitted (the service refuses), so all are found.
        counted_users = sorted(
            (users[u] for u in user_ids if u in users), key=lambda u: (u.full_name, u.pk)
        )
        by_id = {r.pk: r for r in visible}
        for result in comparison.results:
            columns.append(
                MatrixColumn(
                    response=by_id[result.response.id],
                    result=result,
                    evaluator_totals=[
                        (u, result.evaluator_totals.get(u.pk)) for u in counted_users
                    ],
                )
            )
    rows = [
        MatrixRow(
            criterion=c,
            share=shares[c.pk],
            cells=[
                (col.result.criterion_means.get(c.pk), col.result.criterion_spreads.get(c.pk))
                for col in columns
            ],
        )
        for c in criteria
    ]
    return RfpMatrix(
        rfp=rfp,
        criteria=criteria,
        columns=columns,
        rows=rows,
        sealed=[r for r in responses if r.pk in sealed_ids],
        unscored=[c.response for c in columns if c.result.rank is None],
        viewer_is_evaluator=viewer_is_evaluator,
        comparison=comparison,
        evaluators=counted_users,
    )


# --- one evaluation, as its author sees it ------------------------------------------------


@dataclass
class PeerEvaluation:
    evaluator: Any
    submitted_at: Any
    comment: str
    scores: dict[int, Score]  # criterion id -> score


@dataclass
class EvaluationView:
    response: RfpResponse
    evaluation: Evaluation | None  # the viewer's own, draft or submitted (None: not started)
    scores: dict[int, Score]  # the viewer's own scores by criterion id
    peers_visible: bool
    peers: list[PeerEvaluation]  # others' submitted evaluations; [] unless peers_visible
    pending_peers: int  # others' evaluations not submitted (drafts or not started): a count only

    @property
    def submitted(self) -> bool:
        return self.evaluation is not None and self.evaluation.status == EvaluationStatus.SUBMITTED


def evaluation_view(*, response: RfpResponse, viewer) -> EvaluationView:
    """The viewer's own evaluation of `response` and, once they have submitted it (or the RFP is
    decided/cancelled), the others' submitted ones. Drafts of others are never read."""
    rfp = response.rfp
    own = (
        Evaluation.objects.filter(response=response, evaluator=viewer)
        .prefetch_related("scores")
        .first()
    )
    own_scores = {s.criterion_id: s for s in own.scores.all()} if own else {}
    own_submitted = own is not None and own.status == EvaluationStatus.SUBMITTED
    peers_visible = own_submitted or rfp.status in UNSEALED
    peers: list[PeerEvaluation] = []
    if peers_visible:
        submitted = (
            Evaluation.objects.filter(response=response, status=EvaluationStatus.SUBMITTED)
            .exclude(evaluator=viewer)
            .select_related("evaluator")
            .prefetch_related("scores")
            .order_by("evaluator__full_name", "id")
        )
        peers = [
            PeerEvaluation(
                evaluator=e.evaluator,
                submitted_at=e.submitted_at,
                comment=e.comment,
                scores={s.criterion_id: s for s in e.scores.all()},
            )
            for e in submitted
        ]
    others = RfpEvaluator.objects.filter(rfp=rfp).exclude(user=viewer).count()
    return EvaluationView(
        response=response,
        evaluation=own,
        scores=own_scores,
        peers_visible=peers_visible,
        peers=peers,
        pending_peers=max(others - len(peers), 0) if peers_visible else others,
    )


# --- what is waiting for someone ----------------------------------------------------------


@dataclass
class ToDo:
    rfp: Rfp
    response: RfpResponse
    status: str  # "draft" or "" (not started)


def my_evaluations_to_do(*, program, user) -> list[ToDo]:
    """Responses `user` still has to evaluate (RFPs in evaluation they are assigned to):
    three queries."""
    rfps = {
        ev.rfp_id: ev.rfp
        for ev in RfpEvaluator.objects.filter(
            user=user, rfp__program=program, rfp__status=RfpStatus.EVALUATION
        ).select_related("rfp")
    }
    if not rfps:
        return []
    states = dict(
        Evaluation.objects.filter(evaluator=user, response__rfp_id__in=rfps).values_list(
            "response_id", "status"
        )
    )
    todo = []
    for response in (
        RfpResponse.objects.filter(rfp_id__in=rfps)
        .select_related("vendor")
        .order_by("-rfp__number", "vendor__name")
    ):
        status = states.get(response.pk, "")
        if status != EvaluationStatus.SUBMITTED:
            rfp = rfps[response.rfp_id]
            rfp.program = program
            response.rfp = rfp
            todo.append(ToDo(rfp=rfp, response=response, status=status))
    return todo


def rfp_has_submitted(*, rfp: Rfp) -> bool:
    """Whether any evaluation is submitted (the criteria and the scale are then frozen)."""
    return Evaluation.objects.filter(response__rfp=rfp, status=EvaluationStatus.SUBMITTED).exists()
