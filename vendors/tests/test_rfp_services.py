"""RFP services: status steps and their preconditions, frozen criteria and scale, evaluators and
responses, scoring (bounds, assignment, immutability after submit) and the selection decision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry
from core.permissions import Role
from core.versioning import StaleVersionError
from governance.models import Decision, DecisionLink
from programs.tests.factories import ProgramFactory, manager_of, member
from vendors.models import Evaluation, Rfp, RfpCriterion, RfpEvaluator, RfpResponse, Score
from vendors.selectors.rfp import rfp_comparison
from vendors.services import rfp as services
from vendors.services.errors import Refused
from vendors.tests.factories import fresh, make_vendor
from vendors.tests.rfp_factories import (
    criteria_of,
    make_panel,
    make_rfp,
    score,
    score_worked_example,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel():
    return make_panel()


# --- the RFP and its steps ----------------------------------------------------------------


def test_create_allocates_a_key_defaults_the_owner_and_audits():
    program = ProgramFactory()
    pm = manager_of(program)
    rfp = services.rfp_create(actor=pm, program=program, title="  iPaaS  ")
    assert (rfp.key, rfp.title, rfp.owner, rfp.status, rfp.scale_max) == (
        "RFP-1", "iPaaS", pm, "draft", 5,
    )  # fmt: skip
    assert AuditEntry.objects.filter(object_repr="RFP-1 iPaaS", action="create").count() == 1


def test_create_refuses_a_non_member_owner_and_due_before_issue():
    program = ProgramFactory()
    other = member(ProgramFactory(), Role.MANAGER).user
    pm = manager_of(program)
    with pytest.raises(ValidationError) as error:
        services.rfp_create(actor=pm, program=program, title="X", owner=other)
    assert "owner" in error.value.message_dict
    import datetime as dt

    with pytest.raises(ValidationError) as error:
        services.rfp_create(
            actor=pm, program=program, title="X",
            issued_on=dt.date(2026, 3, 2), responses_due=dt.date(2026, 3, 1),
        )  # fmt: skip
    assert "responses_due" in error.value.message_dict
    assert Rfp.objects.count() == 0


def test_opening_needs_a_criterion_with_weight_above_zero():
    program = ProgramFactory()
    pm = manager_of(program)
    rfp = make_rfp(program, criteria=())
    with pytest.raises(ValidationError) as error:
        services.rfp_transition(actor=pm, rfp=rfp, to="open")
    assert error.value.message_dict["status"] == [
        "Add at least one evaluation criterion before issuing the RFP."
    ]
    services.criterion_add(actor=pm, rfp=rfp, name="Fit", weight=Decimal("0"))
    with pytest.raises(ValidationError) as error:
        services.rfp_transition(actor=pm, rfp=rfp, to="open")
    assert error.value.message_dict["status"] == [
        "Give every criterion a weight above 0 (now 0: Fit)."
    ]
    assert fresh(rfp).status == "draft"
    criterion = rfp.criteria.get()
    services.criterion_update(actor=pm, criterion=criterion, expected_version=1, weight=Decimal(3))
    opened = services.rfp_transition(actor=pm, rfp=rfp, to="open")
    assert opened.status == "open" and opened.issued_on is not None


def test_evaluation_needs_a_response_and_an_evaluator():
    program = ProgramFactory()
    pm = manager_of(program)
    rfp = make_rfp(program, status="open")
    with pytest.raises(ValidationError) as error:
        services.rfp_transition(actor=pm, rfp=rfp, to="evaluation")
    assert error.value.message_dict["status"] == [
        "Record at least one vendor response before starting the evaluation.",
        "Assign at least one evaluator before starting the evaluation.",
    ]
    services.response_add(actor=pm, rfp=rfp, vendor=make_vendor(program, status="prospect"))
    services.evaluator_add(actor=pm, rfp=rfp, user=pm)
    assert services.rfp_transition(actor=pm, rfp=rfp, to="evaluation").status == "evaluation"


def test_steps_out_of_order_are_refused_and_cancelled_is_final():
    program = ProgramFactory()
    pm = manager_of(program)
    rfp = make_rfp(program)
    with pytest.raises(Refused):
        services.rfp_transition(actor=pm, rfp=rfp, to="evaluation")
    with pytest.raises(ValidationError):
        services.rfp_transition(actor=pm, rfp=rfp, to="decided")
    services.rfp_transition(actor=pm, rfp=rfp, to="cancelled")
    for to in ("open", "cancelled"):
        with pytest.raises(Refused):
            services.rfp_transition(actor=pm, rfp=rfp, to=to)
    with pytest.raises(Refused):
        services.rfp_update(actor=pm, rfp=rfp, expected_version=None, title="Again")
    with pytest.raises(Refused):
        services.criterion_add(actor=pm, rfp=rfp, name="Late", weight=Decimal(1))
    assert fresh(rfp).status == "cancelled"


def test_update_checks_the_version():
    program = ProgramFactory()
    pm = manager_of(program)
    rfp = make_rfp(program)
    services.rfp_update(actor=pm, rfp=rfp, expected_version=1, title="New")
    with pytest.raises(StaleVersionError):
        services.rfp_update(actor=pm, rfp=rfp, expected_version=1, title="Newer")
    assert fresh(rfp).title == "New"


# --- criteria and scale frozen after a submission -----------------------------------------


def test_criteria_and_scale_freeze_once_an_evaluation_is_submitted(panel):
    criterion = criteria_of(panel.rfp)[0]
    # Drafts alone do not freeze anything.
    score(panel.e1, panel.response("Adatum"), (4, 3, 5), submit=False)
    services.criterion_update(
        actor=panel.pm, criterion=criterion, expected_version=None, weight=Decimal(45)
    )
    services.evaluation_submit(actor=panel.e1, response=panel.response("Adatum"))
    refusals = [
        lambda: services.criterion_update(
            actor=panel.pm, criterion=criterion, expected_version=None, weight=Decimal(10)
        ),
        lambda: services.criterion_add(actor=panel.pm, rfp=panel.rfp, name="New", weight=1),
        lambda: services.criterion_delete(
            actor=panel.pm, criterion=criterion, expected_version=None
        ),
        lambda: services.rfp_update(
            actor=panel.pm, rfp=panel.rfp, expected_version=None, scale_max=10
        ),
    ]
    for refused in refusals:
        with pytest.raises(Refused, match="submitted"):
            refused()
    assert fresh(criterion).weight == Decimal(45)
    assert (RfpCriterion.objects.count(), fresh(panel.rfp).scale_max) == (3, 5)
    # The title is not frozen.
    services.rfp_update(actor=panel.pm, rfp=panel.rfp, expected_version=None, title="iPaaS")


def test_scale_cannot_shrink_below_draft_scores(panel):
    score(panel.e1, panel.response("Adatum"), (5, 3, 4), submit=False)
    with pytest.raises(ValidationError) as error:
        services.rfp_update(actor=panel.pm, rfp=panel.rfp, expected_version=None, scale_max=4)
    assert error.value.message_dict == {
        "scale_max": ["Draft scores up to 5 exist; the scale must cover them."]
    }
    services.rfp_update(actor=panel.pm, rfp=panel.rfp, expected_version=None, scale_max=10)
    assert fresh(panel.rfp).scale_max == 10


def test_deleting_a_criterion_takes_its_draft_scores_with_it(panel):
    score(panel.e1, panel.response("Adatum"), (4, 3, 5), submit=False)
    criterion = criteria_of(panel.rfp)[2]
    services.criterion_delete(actor=panel.pm, criterion=criterion, expected_version=1)
    assert Score.objects.count() == 2
    assert AuditEntry.objects.filter(action="delete", object_repr="Total cost: 5").count() == 1


def test_criteria_save_edits_orders_adds_and_removes_in_one_go():
    program = ProgramFactory()
    pm = manager_of(program)
    rfp = make_rfp(program)
    fit, sap, cost = criteria_of(rfp)
    services.criteria_save(
        actor=pm,
        rfp=rfp,
        rows=[
            {"id": sap.pk, "name": "Functional fit", "weight": Decimal(40)},  # swap names
            {"id": fit.pk, "name": "SAP integration", "weight": Decimal(35)},
            {"id": cost.pk, "name": "Total cost", "weight": Decimal(20), "delete": True},
            {"id": None, "name": "Support", "weight": Decimal(5)},
        ],
    )
    assert [(c.pk, c.name, c.weight) for c in criteria_of(rfp)][:2] == [
        (sap.pk, "Functional fit", Decimal(40)),
        (fit.pk, "SAP integration", Decimal(35)),
    ]
    assert [c.name for c in criteria_of(rfp)] == ["Functional fit", "SAP integration", "Support"]
    with pytest.raises(ValidationError):
        services.criteria_save(
            actor=pm, rfp=rfp,
            rows=[{"id": None, "name": "A", "weight": 1}, {"id": None, "name": "a", "weight": 1}],
        )  # fmt: skip
    assert rfp.criteria.count() == 3


# --- evaluators and responses -------------------------------------------------------------


def test_evaluators_are_members_whose_role_may_evaluate(panel):
    stranger = member(ProgramFactory(), Role.MANAGER).user
    for user, message in [
        (panel.viewer, "viewer in ERP; that role cannot evaluate"),
        (stranger, "is not a member of ERP"),
        (panel.e1, "already evaluates"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.evaluator_add(actor=panel.pm, rfp=panel.rfp, user=user)
    vendor_user = member(panel.program, Role.VENDOR).user
    with pytest.raises(ValidationError, match="vendor in ERP"):
        services.evaluator_add(actor=panel.pm, rfp=panel.rfp, user=vendor_user)
    assert RfpEvaluator.objects.filter(rfp=panel.rfp).count() == 3


def test_an_evaluator_who_submitted_cannot_be_removed_one_with_drafts_can(panel):
    score(panel.e1, panel.response("Adatum"), (4, 3, 5))
    score(panel.dana, panel.response("Adatum"), (1, 1, 1), submit=False)
    with pytest.raises(Refused, match="submitted evaluations"):
        services.evaluator_remove(actor=panel.pm, evaluator=panel.rfp.evaluators.get(user=panel.e1))
    services.evaluator_remove(actor=panel.pm, evaluator=panel.rfp.evaluators.get(user=panel.dana))
    assert not Evaluation.objects.filter(evaluator=panel.dana).exists()
    assert Score.objects.count() == 3  # e1's submitted scores stay
    assert AuditEntry.objects.filter(
        action="delete", object_repr__startswith="Dana Draft on"
    ).exists()


def test_responses_one_per_vendor_of_the_program_while_open(panel):
    pm = panel.pm
    adatum = panel.response("Adatum").vendor
    with pytest.raises(ValidationError, match="already responded"):
        services.response_add(actor=pm, rfp=panel.rfp, vendor=adatum)
    elsewhere = make_vendor(ProgramFactory(), name="Elsewhere")
    with pytest.raises(ValidationError):
        services.response_add(actor=pm, rfp=panel.rfp, vendor=elsewhere)
    gone = make_vendor(panel.program, name="Gone", status="offboarded")
    with pytest.raises(ValidationError, match="offboarded"):
        services.response_add(actor=pm, rfp=panel.rfp, vendor=gone)
    draft = make_rfp(panel.program, title="Draft one")
    with pytest.raises(Refused, match="open or in evaluation"):
        services.response_add(actor=pm, rfp=draft, vendor=adatum)
    assert RfpResponse.objects.count() == 3


def test_a_response_with_a_submitted_evaluation_stays(panel):
    response = panel.response("Adatum")
    score(panel.e1, response, (4, 3, 5))
    with pytest.raises(Refused):
        services.response_remove(actor=panel.pm, response=response, expected_version=None)
    other = panel.response("Bluebird")
    score(panel.e1, other, (1, 1, None), submit=False)
    services.response_remove(actor=panel.pm, response=other, expected_version=1)
    names = RfpResponse.objects.order_by("vendor__name").values_list("vendor__name", flat=True)
    assert list(names) == ["Adatum", "Contoso"]


# --- scoring ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [6, -1, "7", "2.5", 2.5, True, "four"])
def test_a_score_outside_the_scale_is_refused_naming_the_criterion(panel, bad):
    response = panel.response("Adatum")
    fit, sap, _cost = criteria_of(panel.rfp)
    with pytest.raises(ValidationError) as error:
        services.evaluation_save_scores(
            actor=panel.e1, response=response, scores={fit.pk: 3, sap.pk: bad}
        )
    assert error.value.message_dict == {
        "scores": [f"SAP integration: give a whole number from 0 to 5 (got {bad!r})."]
    }
    assert not Evaluation.objects.exists() and not Score.objects.exists()


def test_scale_bounds_are_inclusive_and_none_clears(panel):
    response = panel.response("Adatum")
    fit, sap, cost = criteria_of(panel.rfp)
    services.evaluation_save_scores(
        actor=panel.e1, response=response, scores={fit: 0, sap: "5", cost: 2},
        comments={fit: " No workflow engine "},
    )  # fmt: skip
    evaluation = Evaluation.objects.get()
    assert {s.criterion.name: (s.score, s.comment) for s in evaluation.scores.all()} == {
        "Functional fit": (0, "No workflow engine"),
        "SAP integration": (5, ""),
        "Total cost": (2, ""),
    }
    services.evaluation_save_scores(actor=panel.e1, response=response, scores={cost: None})
    assert evaluation.scores.count() == 2
    assert (fresh(evaluation).status, fresh(evaluation).version) == ("draft", 3)


def test_only_the_assigned_evaluator_scores(panel):
    response = panel.response("Adatum")
    for user in (panel.outsider, panel.pm, panel.viewer):
        with pytest.raises(PermissionDenied, match="not an evaluator of RFP-1"):
            services.evaluation_save_scores(actor=user, response=response, scores={})
        with pytest.raises(PermissionDenied):
            services.evaluation_submit(actor=user, response=response)
    assert not Evaluation.objects.exists()


def test_scoring_only_while_in_evaluation():
    program = ProgramFactory()
    pm = manager_of(program)
    rfp = make_rfp(program, vendors=("Adatum",), evaluators=(pm,), status="open")
    response = rfp.responses.get()
    with pytest.raises(Refused, match="in evaluation"):
        services.evaluation_save_scores(actor=pm, response=response, scores={})
    assert not Evaluation.objects.exists()


def test_submit_needs_every_criterion_and_then_nothing_changes(panel):
    response = panel.response("Adatum")
    fit, sap, cost = criteria_of(panel.rfp)
    services.evaluation_save_scores(actor=panel.e1, response=response, scores={fit: 4})
    with pytest.raises(ValidationError) as error:
        services.evaluation_submit(actor=panel.e1, response=response)
    assert error.value.message_dict == {
        "scores": [
            "Score every criterion before submitting; not scored yet: SAP integration, Total cost."
        ]
    }
    assert Evaluation.objects.get().status == "draft"
    services.evaluation_save_scores(actor=panel.e1, response=response, scores={sap: 3, cost: 5})
    submitted = services.evaluation_submit(actor=panel.e1, response=response)
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    trail = AuditEntry.objects.count()
    with pytest.raises(Refused, match="submitted scores cannot be changed"):
        services.evaluation_save_scores(actor=panel.e1, response=response, scores={fit: 1})
    with pytest.raises(Refused):
        services.evaluation_submit(actor=panel.e1, response=response)
    assert sorted(Score.objects.values_list("score", flat=True)) == [3, 4, 5]
    assert AuditEntry.objects.count() == trail


def test_a_stale_evaluation_version_is_refused(panel):
    response = panel.response("Adatum")
    fit = criteria_of(panel.rfp)[0]
    first = services.evaluation_save_scores(actor=panel.e1, response=response, scores={fit: 4})
    services.evaluation_save_scores(
        actor=panel.e1, response=response, scores={fit: 3}, expected_version=first.version
    )
    with pytest.raises(StaleVersionError):
        services.evaluation_save_scores(
            actor=panel.e1, response=response, scores={fit: 1}, expected_version=first.version
        )
    assert Score.objects.get().score == 3


# --- the selection ------------------------------------------------------------------------


def test_selection_records_the_decision_with_options_rationale_and_links(panel):
    score_worked_example(panel)
    score(panel.dana, panel.response("Contoso"), (1, 1, None), submit=False)
    contoso = panel.response("Contoso")
    rfp = services.rfp_select(
        actor=panel.pm, rfp=panel.rfp, response=panel.response("Adatum"),
        rationale="Best functional fit; price within budget.", forum="Steering committee",
    )  # fmt: skip
    assert (rfp.status, rfp.selected_response.vendor.name, rfp.selection_rationale) == (
        "decided", "Adatum", "Best functional fit; price within budget.",
    )  # fmt: skip
    decision = Decision.objects.get()
    assert rfp.decision == decision
    assert (decision.title, decision.status, decision.decided_by, decision.forum) == (
        "Select Adatum for Integration platform", "decided", panel.pm, "Steering committee",
    )  # fmt: skip
    assert decision.rationale == "Best functional fit; price within budget."
    assert decision.statement == (
        "Adatum is selected for Integration platform (RFP-1): rank 1, weighted total 81.00%."
    )
    assert decision.context == (
        "RFP-1 “Integration platform”: 3 responses scored on 3 weighted criteria (Functional fit "
        "50.00%, SAP integration 30.00%, Total cost 20.00%), scale 0-5; 6 submitted evaluations "
        "counted, 1 unsubmitted drafts not counted."
    )
    assert decision.options == [
        {"option": "Adatum", "pros": "Rank 1 of 3, weighted total 81.00%. Strongest: Functional "
         "fit (4.50/5).", "cons": "Weakest: SAP integration (3.00/5)."},
        {"option": "Bluebird", "pros": "Rank 2 of 3, weighted total 80.00%. Strongest: SAP "
         "integration (5.00/5).", "cons": "Weakest: Functional fit (3.00/5)."},
        {"option": "Contoso", "pros": "Rank 3 of 3, weighted total 71.00%. Strongest: SAP "
         "integration (4.00/5).", "cons": "Weakest: Total cost (3.00/5). Evaluators disagree: "
         "50.00 points apart."},
    ]  # fmt: skip
    linked = {link.target.key for link in DecisionLink.objects.filter(decision=decision)}
    assert linked == {"RFP-1", panel.response("Adatum").vendor.key}
    assert contoso.pk != rfp.selected_response_id
    with pytest.raises(Refused):
        services.rfp_select(actor=panel.pm, rfp=rfp, response=contoso, rationale="Again")
    assert Decision.objects.count() == 1


def test_selection_needs_a_rationale_and_an_evaluated_response(panel):
    score(panel.e1, panel.response("Adatum"), (4, 3, 5))
    with pytest.raises(ValidationError) as error:
        services.rfp_select(
            actor=panel.pm, rfp=panel.rfp, response=panel.response("Adatum"), rationale="  "
        )
    assert "rationale" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.rfp_select(
            actor=panel.pm, rfp=panel.rfp, response=panel.response("Bluebird"), rationale="Cheap"
        )
    assert error.value.message_dict["response"] == [
        "Bluebird's response has no submitted evaluation yet; select a response the panel has "
        "scored."
    ]
    other = make_rfp(panel.program, title="Other", vendors=("Zed",), evaluators=(panel.e1,),
                     status="evaluation")  # fmt: skip
    with pytest.raises(ValidationError):
        services.rfp_select(
            actor=panel.pm, rfp=panel.rfp, response=other.responses.get(), rationale="Why not"
        )
    assert (fresh(panel.rfp).status, Decision.objects.count()) == ("evaluation", 0)


def test_the_comparison_uses_submitted_scores_only(panel):
    score_worked_example(panel)
    score(panel.dana, panel.response("Adatum"), (0, 0, 0), submit=False)  # a draft: not counted
    comparison, _responses = rfp_comparison(rfp=panel.rfp)
    assert [(r.response.name, r.rank, r.total) for r in comparison.results] == [
        ("Adatum", 1, Decimal("81.00")),
        ("Bluebird", 2, Decimal("80.00")),
        ("Contoso", 3, Decimal("71.00")),
    ]
