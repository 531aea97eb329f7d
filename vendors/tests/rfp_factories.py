"""RFPs for tests, built through the services (keyed and audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.permissions import Role
from programs.tests.factories import ProgramFactory, manager_of, member
from vendors.models import Rfp, RfpCriterion, RfpResponse
from vendors.services import rfp as services
from vendors.tests.factories import make_vendor


def make_rfp(
    program,
    *,
    actor=None,
    title: str = "Integration platform",
    criteria=(("Functional fit", 50), ("SAP integration", 30), ("Total cost", 20)),
    scale_max: int = 5,
    vendors=(),
    evaluators=(),
    status: str = "draft",
) -> Rfp:
    """An RFP with `criteria`, and when `status` is "open" or "evaluation" the responses of
    `vendors` (names or Vendor rows) and the `evaluators` assigned."""
    actor = actor or manager_of(program)
    rfp = services.rfp_create(actor=actor, program=program, title=title, scale_max=scale_max)
    for name, weight in criteria:
        services.criterion_add(actor=actor, rfp=rfp, name=name, weight=Decimal(weight))
    for user in evaluators:
        services.evaluator_add(actor=actor, rfp=rfp, user=user)
    if status in ("open", "evaluation", "decided"):
        rfp = services.rfp_transition(actor=actor, rfp=rfp, to="open")
        for vendor in vendors:
            if isinstance(vendor, str):
                vendor = make_vendor(program, actor=actor, name=vendor, status="prospect")
            services.response_add(actor=actor, rfp=rfp, vendor=vendor)
    if status in ("evaluation", "decided"):
        rfp = services.rfp_transition(actor=actor, rfp=rfp, to="evaluation")
    return Rfp.objects.get(pk=rfp.pk)


def criteria_of(rfp: Rfp) -> list[RfpCriterion]:
    return list(rfp.criteria.order_by("position"))


def response_of(rfp: Rfp, vendor_name: str) -> RfpResponse:
    return rfp.responses.select_related("vendor").get(vendor__name=vendor_name)


def score(user, response: RfpResponse, values, *, submit: bool = True):
    """`user` scores `response` with `values` in criterion order, and submits unless told not."""
    criteria = criteria_of(response.rfp)
    services.evaluation_save_scores(
        actor=user, response=response, scores=dict(zip(criteria, values, strict=True))
    )
    if submit:
        return services.evaluation_submit(actor=user, response=response)
    return None


@dataclass
class Panel:
    """The worked example's program: a manager, two evaluators (E1 Erin, E2 Eli), a third
    evaluator who never submits (Dana), a viewer, and an RFP in evaluation with three vendors."""

    program: object
    pm: object
    e1: object
    e2: object
    dana: object
    viewer: object
    outsider: object
    rfp: Rfp
    extra: dict = field(default_factory=dict)

    def response(self, name: str) -> RfpResponse:
        return response_of(self.rfp, name)


def make_panel(*, code: str = "ERP") -> Panel:
    program = ProgramFactory(code=code, name="ERP migration")
    pm = manager_of(program)
    e1 = member(program, Role.CONTRIBUTOR, full_name="Erin One").user
    e2 = member(program, Role.FINANCE, full_name="Eli Two").user
    dana = member(program, Role.COORDINATOR, full_name="Dana Draft").user
    viewer = member(program, Role.VIEWER, full_name="Vic Viewer").user
    outsider = member(program, Role.CONTRIBUTOR, full_name="Otto Outside").user
    rfp = make_rfp(
        program,
        vendors=("Adatum", "Bluebird", "Contoso"),
        evaluators=(e1, e2, dana),
        status="evaluation",
    )
    return Panel(program, pm, e1, e2, dana, viewer, outsider, rfp)


# The worked example's scores (criteria 50/30/20, scale 0-5), as in test_rfp_scoring.
HAND = {
    "Adatum": ((4, 3, 5), (5, 3, 4)),
    "Bluebird": ((3, 5, 5), (3, 5, 5)),
    "Contoso": ((5, 5, 4), (2, 3, 2)),
}


def score_worked_example(panel: Panel) -> None:
    for vendor, (by_e1, by_e2) in HAND.items():
        score(panel.e1, panel.response(vendor), by_e1)
        score(panel.e2, panel.response(vendor), by_e2)
