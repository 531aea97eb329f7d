"""RFP pages: the sealing rule as evaluators see it, the scoring sheet (bounds, submit, read-only
afterwards), the matrix from submitted evaluations only, the selection, the forms, and constant
query counts for the list and the matrix."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.permissions import Role
from governance.models import Decision
from programs.tests.factories import ProgramFactory, manager_of, member
from vendors.models import Evaluation, Rfp, RfpCriterion, Score
from vendors.tests.factories import fresh
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


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, rfp, **kwargs) -> str:
    return reverse(f"vendors:{name}", kwargs={"code": rfp.program.code, "key": rfp.key, **kwargs})


def score_url(panel, vendor: str) -> str:
    return url("rfp_score", panel.rfp, pk=panel.response(vendor).pk)


def text(response) -> str:
    """The page's visible text, tags stripped, whitespace collapsed."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


# --- the sealing rule ---------------------------------------------------------------------


def test_an_evaluator_sees_nobody_elses_scores_until_they_submit_their_own(panel):
    fit, sap, cost = criteria_of(panel.rfp)
    adatum = panel.response("Adatum")
    # A (e1) submits with a telling comment; Dana keeps a draft with another.
    from vendors.services import rfp as services

    services.evaluation_save_scores(
        actor=panel.e1, response=adatum, scores={fit: 4, sap: 3, cost: 5},
        comments={fit: "Erin-secret-fit-note"},
    )  # fmt: skip
    services.evaluation_submit(actor=panel.e1, response=adatum)
    services.evaluation_save_scores(
        actor=panel.dana, response=adatum, scores={fit: 1}, comments={fit: "Dana-draft-note"}
    )
    b = client_for(panel.e2)

    before = b.get(score_url(panel, "Adatum"))
    assert before.status_code == 200
    assert "Erin-secret-fit-note" not in before.content.decode()
    assert "Dana-draft-note" not in before.content.decode()
    assert "Sealed until you submit your own evaluation of Adatum" in text(before)
    matrix = b.get(url("rfp_matrix", panel.rfp))
    assert "Adatum" not in [c.response.vendor.name for c in matrix.context["matrix"].columns]
    assert "3 responses sealed for you" in text(matrix)
    assert "78.00" not in text(matrix)  # Erin's total for Adatum (Σ w·s = 390 of 500)

    score(panel.e2, adatum, (5, 3, 4))
    after = b.get(score_url(panel, "Adatum"))
    assert "Erin-secret-fit-note" in after.content.decode()
    assert "Dana-draft-note" not in after.content.decode()  # drafts never leave their author
    columns = client_for(panel.e2).get(url("rfp_matrix", panel.rfp)).context["matrix"].columns
    assert [(c.response.vendor.name, c.result.total) for c in columns if c.result.rank] == [
        ("Adatum", Decimal("81.00"))
    ]


def test_the_matrix_counts_submitted_evaluations_only_for_everyone(panel):
    score_worked_example(panel)
    score(panel.dana, panel.response("Contoso"), (5, 5, 5), submit=False)  # a draft of 100 %
    for user in (panel.pm, panel.viewer, panel.outsider):
        page = client_for(user).get(url("rfp_matrix", panel.rfp))
        assert page.status_code == 200
        ranked = [
            (c.response.vendor.name, c.result.rank, c.result.total, c.result.spread)
            for c in page.context["matrix"].columns
        ]
        assert ranked == [
            ("Adatum", 1, Decimal("81.00"), Decimal("6.00")),
            ("Bluebird", 2, Decimal("80.00"), Decimal("0.00")),
            ("Contoso", 3, Decimal("71.00"), Decimal("50.00")),
        ]
        assert "Dana Draft" not in text(page)
    # The disagreement on Contoso is highlighted.
    assert 'rfp-disagree">50.00' in client_for(panel.pm).get(
        url("rfp_matrix", panel.rfp)
    ).content.decode().replace("\n", "")


def test_drafts_never_show_on_the_detail_page_only_progress(panel):
    score(panel.e1, panel.response("Adatum"), (4, 3, 5), submit=False)
    page = client_for(panel.pm).get(url("rfp_detail", panel.rfp))
    assert page.status_code == 200
    erin = next(p for p in page.context["progress"] if p.evaluator.user == panel.e1)
    assert erin.cells == ["draft", "", ""]
    assert "rfp-score" not in page.content.decode()


def test_once_decided_nothing_is_sealed(panel):
    score(panel.e1, panel.response("Adatum"), (4, 3, 5))
    from vendors.services import rfp as services

    services.rfp_select(
        actor=panel.pm, rfp=panel.rfp, response=panel.response("Adatum"), rationale="Only one"
    )
    page = client_for(panel.e2).get(url("rfp_matrix", panel.rfp))
    assert page.context["matrix"].sealed == []
    sheet = client_for(panel.e2).get(score_url(panel, "Adatum"))
    assert sheet.context["view"].peers_visible


# --- the scoring sheet --------------------------------------------------------------------


def test_scoring_outside_the_scale_keeps_the_input_and_saves_nothing(panel):
    fit, sap, _cost = criteria_of(panel.rfp)
    response = client_for(panel.e1).post(
        score_url(panel, "Adatum"),
        {f"score_{fit.pk}": "7", f"score_{sap.pk}": "3", f"note_{fit.pk}": "Great fit",
         "action": "save"},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give a whole number from 0 to 5." in page
    assert 'value="7"' in page and "Great fit" in page
    assert not Evaluation.objects.exists() and not Score.objects.exists()


def test_save_draft_then_submit_then_read_only(panel):
    fit, sap, cost = criteria_of(panel.rfp)
    client = client_for(panel.e1)
    here = score_url(panel, "Adatum")
    saved = client.post(here, {f"score_{fit.pk}": "4", "action": "save"})
    assert (saved.status_code, saved["Location"]) == (302, here)
    evaluation = Evaluation.objects.get()
    incomplete = client.post(
        here, {f"score_{fit.pk}": "4", "action": "submit", "version": evaluation.version}
    )
    assert incomplete.status_code == 400
    assert "not scored yet: SAP integration, Total cost" in text(incomplete)
    assert fresh(evaluation).status == "draft"
    version = fresh(evaluation).version
    done = client.post(
        here,
        {f"score_{fit.pk}": "4", f"score_{sap.pk}": "3", f"score_{cost.pk}": "5",
         "action": "submit", "version": version},
    )  # fmt: skip
    assert done.status_code == 302
    assert fresh(evaluation).status == "submitted"
    sheet = client.get(here)
    assert sheet.context["editable"] is False
    assert 'name="action"' not in sheet.content.decode()
    again = client.post(here, {f"score_{fit.pk}": "1", "action": "save"}, follow=True)
    assert "submitted scores cannot be changed" in text(again)
    assert sorted(Score.objects.values_list("score", flat=True)) == [3, 4, 5]


def test_a_stale_sheet_keeps_the_input_and_says_so(panel):
    fit = criteria_of(panel.rfp)[0]
    client = client_for(panel.e1)
    here = score_url(panel, "Adatum")
    client.post(here, {f"score_{fit.pk}": "4"})
    client.post(here, {f"score_{fit.pk}": "3", "version": "2"})
    stale = client.post(here, {f"score_{fit.pk}": "1", "version": "2"})
    assert stale.status_code == 409
    assert "another window" in text(stale) and 'value="1"' in stale.content.decode()
    assert Score.objects.get().score == 3


def test_only_assigned_evaluators_open_the_sheet(panel):
    here = score_url(panel, "Adatum")
    assert client_for(panel.outsider).get(here).status_code == 403
    assert client_for(panel.pm).get(here).status_code == 403  # the manager is not on the panel
    assert client_for(panel.viewer).get(here).status_code == 403  # role lacks rfp.evaluate
    assert client_for(panel.outsider).post(here, {"action": "save"}).status_code == 403
    assert not Evaluation.objects.exists()


# --- selection, criteria, steps, forms ----------------------------------------------------


def test_selecting_records_the_decision_and_links_to_it(panel):
    score_worked_example(panel)
    client = client_for(panel.pm)
    form = client.get(url("rfp_select", panel.rfp))
    assert form.status_code == 200
    assert form.context["form"].initial["response"] == panel.response("Adatum").pk
    empty = client.post(url("rfp_select", panel.rfp), {"version": 1})
    assert empty.status_code == 400
    assert Decision.objects.count() == 0
    chosen = client.post(
        url("rfp_select", panel.rfp),
        {"response": panel.response("Adatum").pk, "rationale": "Best fit.",
         "version": fresh(panel.rfp).version},
    )  # fmt: skip
    assert chosen.status_code == 302
    decision = Decision.objects.get()
    detail = client.get(url("rfp_detail", panel.rfp))
    decision_url = reverse(
        "governance:decision_detail", kwargs={"code": "ERP", "key": decision.key}
    )
    assert decision_url in detail.content.decode()
    assert "Adatum was selected" in text(detail)
    assert client_for(panel.e1).get(url("rfp_select", panel.rfp)).status_code == 403


def test_criteria_page_edits_weights_and_is_frozen_after_a_submission(panel):
    client = client_for(panel.pm)
    fit, sap, cost = criteria_of(panel.rfp)
    data = {
        "criteria-TOTAL_FORMS": "4", "criteria-INITIAL_FORMS": "3",
        "criteria-0-id": fit.pk, "criteria-0-name": "Functional fit", "criteria-0-weight": "40",
        "criteria-1-id": sap.pk, "criteria-1-name": "SAP integration", "criteria-1-weight": "30",
        "criteria-2-id": cost.pk, "criteria-2-name": "Total cost", "criteria-2-weight": "20",
        "criteria-3-name": "Support", "criteria-3-weight": "10",
    }  # fmt: skip
    assert client.post(url("rfp_criteria", panel.rfp), data).status_code == 302
    assert [c.weight for c in criteria_of(panel.rfp)] == [40, 30, 20, 10]
    bad = dict(data, **{"criteria-3-weight": ""})
    assert client.post(url("rfp_criteria", panel.rfp), bad).status_code == 400
    score(panel.e1, panel.response("Adatum"), (1, 2, 3, 4))
    assert "can no longer change" in text(client.get(url("rfp_criteria", panel.rfp)))
    refused = client.post(url("rfp_criteria", panel.rfp), dict(data, **{"criteria-0-weight": "5"}))
    assert refused.status_code == 409
    assert RfpCriterion.objects.get(pk=fit.pk).weight == 40


def test_create_issue_and_status_steps_through_the_pages():
    program = ProgramFactory(code="ERP")
    pm = manager_of(program)
    client = client_for(pm)
    created = client.post(
        reverse("vendors:rfp_create", kwargs={"code": "ERP"}),
        {"title": "Hosting", "scale_max": "10"},
    )
    rfp = Rfp.objects.get()
    assert created["Location"] == url("rfp_criteria", rfp)
    assert (rfp.owner, rfp.scale_max) == (pm, 10)
    refused = client.post(url("rfp_status", rfp), {"to": "open", "version": 1}, follow=True)
    assert "Add at least one evaluation criterion" in text(refused)
    assert fresh(rfp).status == "draft"
    from vendors.services import rfp as services

    services.criterion_add(actor=pm, rfp=rfp, name="Uptime", weight=Decimal(1))
    client.post(url("rfp_status", rfp), {"to": "open", "version": fresh(rfp).version})
    assert fresh(rfp).status == "open"
    contributor = member(program, Role.CONTRIBUTOR).user
    assert (
        client_for(contributor).post(url("rfp_status", rfp), {"to": "cancelled"}).status_code == 403
    )
    assert fresh(rfp).status == "open"


def test_bad_forms_keep_what_was_typed(panel):
    client = client_for(panel.pm)
    response = client.post(
        reverse("vendors:rfp_create", kwargs={"code": "ERP"}),
        {"title": "Data archiving", "scale_max": "1"},
    )
    assert response.status_code == 400
    assert 'value="Data archiving"' in response.content.decode()
    edit = client.post(
        url("rfp_edit", panel.rfp), {"title": "Renamed", "scale_max": "5", "version": "99"}
    )
    assert edit.status_code == 409
    assert fresh(panel.rfp).title == "Integration platform"


# --- query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 3])
def test_list_query_count_is_constant(n, django_assert_num_queries):
    program = ProgramFactory(code="ERP")
    pm = manager_of(program)
    for i in range(n):
        make_rfp(program, title=f"RFP {i}", vendors=(f"V{i}",), evaluators=(pm,),
                 status="evaluation")  # fmt: skip
    client = client_for(pm)
    client.get(reverse("vendors:rfp_list", kwargs={"code": "ERP"}))  # warm caches
    # savepoint, session, user, access, status counts, count, page, to-do (assignments,
    # evaluations, responses), release, the program switcher
    with django_assert_num_queries(12):
        page = client.get(reverse("vendors:rfp_list", kwargs={"code": "ERP"}))
    assert len(page.context["page_obj"].object_list) == n
    assert len(page.context["todo"]) == n


@pytest.mark.parametrize("n", [1, 3])
def test_matrix_query_count_is_constant(n, django_assert_num_queries):
    program = ProgramFactory(code="ERP")
    pm = manager_of(program)
    evaluators = [member(program, Role.CONTRIBUTOR).user for _ in range(n)]
    rfp = make_rfp(program, vendors=[f"V{i}" for i in range(n)], evaluators=evaluators,
                   status="evaluation")  # fmt: skip
    for user in evaluators:
        for response in rfp.responses.all():
            score(user, response, (3, 4, 5))
    client = client_for(pm)
    matrix_url = url("rfp_matrix", rfp)
    client.get(matrix_url)
    # savepoint, session, user, access, rfp, criteria, responses, scores (one query), is the
    # viewer an evaluator, evaluator users, release, the program switcher
    with django_assert_num_queries(12):
        page = client.get(matrix_url)
    assert len(page.context["matrix"].columns) == n
    # (50x3 + 30x4 + 20x5) / 500 = 370 / 500
    assert all(c.result.total == Decimal("74.00") for c in page.context["matrix"].columns)
