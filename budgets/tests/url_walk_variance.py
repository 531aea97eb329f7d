"""Variance's rows and expectations for the URL walk (merged by budgets/tests/url_walk.py).

The walk's line gets an actual far above its plan, so its month needs an explanation; finance
requests it (as of the month after) and the explanation gives the `<int:pk>` routes their row.
Steps are POST only (GET: 405); an empty POST re-renders the form (400) or, for a request,
goes back to the unexplained list with the reason.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from budgets.months import add_months
from budgets.services import actuals
from budgets.services import variance as services
from budgets.views import overview as overview_views
from budgets.views import variance as views
from core.permissions import Role
from programs.models import ProgramMembership


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    line, month = base["line"], base["month"]
    actuals.cost_entry_create(actor=manager, line=line, month=month, amount=Decimal("9000.00"))
    finance = ProgramMembership.objects.filter(program=program, role=Role.FINANCE).first()
    explanation = services.explanation_request(
        actor=finance.user if finance else manager, line=line, month=month,
        as_of=add_months(month, 1),
    )  # fmt: skip
    return {"explanations": {"pk": str(explanation.pk)}}


def _unexplained(site) -> str:
    return reverse("budgets:unexplained", kwargs={"code": site.program.code})


POST_ONLY = (
    views.ExplanationRequestView,
    views.ExplanationRequestAllView,
    views.ExplanationWriteView,
    views.ExplanationReviewView,
)
ALLOWED_GET: dict = {view: (lambda s: (405, None)) for view in POST_ONLY}
ALLOWED_POST = {
    overview_views.BudgetSettingsView: lambda s: (400, None),  # the form again, with errors
    views.ExplanationRequestView: lambda s: (302, _unexplained(s)),  # no line: the reason
    views.ExplanationRequestAllView: lambda s: (302, _unexplained(s)),
    views.ExplanationWriteView: lambda s: (400, None),
    views.ExplanationReviewView: lambda s: (400, None),
}
