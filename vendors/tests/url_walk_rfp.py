"""RFP rows for the URL walk (merged by vendors/tests/url_walk.py).

One RFP in evaluation with two criteria and one response (the walk's vendor). Every member whose
role may evaluate is assigned as an evaluator, so the scoring page and "my evaluation" API answer
them 200 (a member who is not assigned gets 403 from the page and the API: tested in
test_rfp_views / test_rfp_api).
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from core.permissions import MATRIX
from programs.models import ProgramMembership
from vendors.services import rfp as services
from vendors.views import rfp as views

SEGMENT = "vendors/"


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    rfp = services.rfp_create(actor=manager, program=program, title="Integration platform")
    criterion = services.criterion_add(actor=manager, rfp=rfp, name="Fit", weight=Decimal(60))
    services.criterion_add(actor=manager, rfp=rfp, name="Cost", weight=Decimal(40))
    evaluators = ProgramMembership.objects.filter(
        program=program, role__in=MATRIX["rfp.evaluate"]
    ).select_related("user")
    assignment = None
    for membership in evaluators:
        assigned = services.evaluator_add(actor=manager, rfp=rfp, user=membership.user)
        assignment = assignment or assigned
    rfp = services.rfp_transition(actor=manager, rfp=rfp, to="open")
    response = services.response_add(actor=manager, rfp=rfp, vendor=base["vendor"])
    services.rfp_transition(actor=manager, rfp=rfp, to="evaluation")
    # Routes under rfps/<key>/ take `pk` from the segment after it: criteria/<int:pk> from this
    # row, responses/ and evaluators/ from theirs (applied after it).
    return {
        "rfps": {"key": rfp.key, "pk": str(criterion.pk)},
        "responses": {"pk": str(response.pk)},
        "evaluators": {"pk": str(assignment.pk)},
    }


def _row(site, segment: str) -> dict[str, str]:
    return site.app_values.get(SEGMENT, {}).get(segment, {"key": "RFP-1", "pk": "1"})


def _url(name: str, site, **kwargs) -> str:
    key = _row(site, "rfps")["key"]
    return reverse(f"vendors:{name}", kwargs={"code": site.program.code, "key": key, **kwargs})


ALLOWED_GET = {
    views.RfpStatusView: lambda s: (302, _url("rfp_detail", s)),
    views.RfpEvaluatorRemoveView: lambda s: (302, _url("rfp_evaluators", s)),
}
ALLOWED_POST = {
    views.RfpCreateView: lambda s: (400, None),  # the empty form again, with its errors
    views.RfpEditView: lambda s: (400, None),
    views.RfpCriteriaView: lambda s: (400, None),  # no management form: nothing saved
    views.RfpEvaluatorsView: lambda s: (400, None),
    views.RfpResponseCreateView: lambda s: (400, None),
    views.RfpResponseEditView: lambda s: (400, None),
    views.RfpSelectView: lambda s: (400, None),
    # No "to": the refusal is shown on the RFP (nothing changes).
    views.RfpStatusView: lambda s: (302, _url("rfp_detail", s)),
    # The assigned evaluator removed (they have submitted nothing), back to the panel.
    views.RfpEvaluatorRemoveView: lambda s: (302, _url("rfp_evaluators", s)),
    # Removed (no evaluation submitted; no version sent: no check), back to the RFP.
    views.RfpResponseDeleteView: lambda s: (302, _url("rfp_detail", s) + "#responses"),
    # Every allowed role is an assigned evaluator: an empty sheet saves an empty draft.
    views.RfpScoreView: lambda s: (302, _url("rfp_score", s, pk=_row(s, "responses")["pk"])),
}
