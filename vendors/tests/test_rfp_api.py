"""RFP API: your evaluation (GET, PUT draft, POST submit) with 400 out of scale and 409 after
submission, the sealing rule, the matrix on the worked example, the selection, status steps,
frozen criteria, and a constant query count for the list."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from governance.models import Decision
from programs.tests.factories import ProgramFactory, manager_of
from vendors.models import Evaluation, Rfp, Score
from vendors.tests.rfp_factories import (
    criteria_of,
    make_panel,
    make_rfp,
    score,
    score_worked_example,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/ERP/vendors/rfps/"


@pytest.fixture
def panel():
    return make_panel()


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def evaluation_url(panel, vendor: str, suffix: str = "") -> str:
    return f"{BASE}{panel.rfp.key}/responses/{panel.response(vendor).pk}/evaluation/{suffix}"


def test_my_evaluation_draft_submit_and_immutability(panel):
    fit, sap, cost = criteria_of(panel.rfp)
    client = api(panel.e1)
    empty = client.get(evaluation_url(panel, "Adatum"))
    assert empty.status_code == 200
    assert (empty.json()["status"], empty.json()["version"], empty.json()["scale_max"]) == (
        "not_started", None, 5,
    )  # fmt: skip
    saved = client.put(
        evaluation_url(panel, "Adatum"),
        {"scores": [{"criterion": fit.pk, "score": 4, "comment": "Good"},
                    {"criterion": sap.pk, "score": 3}], "comment": "Solid"},
        format="json",
    )  # fmt: skip
    assert saved.status_code == 200, saved.json()
    body = saved.json()
    assert body["status"] == "draft" and body["comment"] == "Solid"
    assert body["scores"] == [
        {"criterion": fit.pk, "name": "Functional fit", "score": 4, "comment": "Good"},
        {"criterion": sap.pk, "name": "SAP integration", "score": 3, "comment": ""},
        {"criterion": cost.pk, "name": "Total cost", "score": None, "comment": ""},
    ]
    assert saved["ETag"] == f'"{body["version"]}"'
    missing = client.post(evaluation_url(panel, "Adatum", "submit/"))
    assert missing.status_code == 400
    assert missing.json() == {
        "scores": ["Score every criterion before submitting; not scored yet: Total cost."]
    }
    client.put(
        evaluation_url(panel, "Adatum"),
        {"scores": [{"criterion": cost.pk, "score": 5}]},
        format="json",
    )
    submitted = client.post(evaluation_url(panel, "Adatum", "submit/"))
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    edit = client.put(
        evaluation_url(panel, "Adatum"),
        {"scores": [{"criterion": fit.pk, "score": 1}]},
        format="json",
    )
    assert edit.status_code == 409
    assert "submitted scores cannot be changed" in edit.json()["detail"]
    assert client.post(evaluation_url(panel, "Adatum", "submit/")).status_code == 409
    assert sorted(Score.objects.values_list("score", flat=True)) == [3, 4, 5]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (6, "SAP integration: give a whole number from 0 to 5 (got 6)."),
        (-1, "SAP integration: give a whole number from 0 to 5 (got -1)."),
    ],
)
def test_a_score_outside_the_scale_is_400_naming_the_criterion(panel, value, message):
    sap = criteria_of(panel.rfp)[1]
    response = api(panel.e1).put(
        evaluation_url(panel, "Adatum"),
        {"scores": [{"criterion": sap.pk, "score": value}]},
        format="json",
    )
    assert (response.status_code, response.json()) == (400, {"scores": [message]})
    assert not Evaluation.objects.exists()


def test_not_a_number_and_unknown_criteria_are_400(panel):
    client = api(panel.e1)
    nan = client.put(
        evaluation_url(panel, "Adatum"), {"scores": [{"criterion": 1, "score": "four"}]},
        format="json",
    )  # fmt: skip
    assert nan.status_code == 400
    other = make_rfp(panel.program, title="Other")
    foreign = criteria_of(other)[0]
    unknown = client.put(
        evaluation_url(panel, "Adatum"),
        {"scores": [{"criterion": foreign.pk, "score": 3}]},
        format="json",
    )
    assert unknown.status_code == 400
    assert unknown.json() == {"scores": [f"Criterion {foreign.pk} is not a criterion of RFP-1."]}


def test_only_assigned_evaluators_reach_their_evaluation(panel):
    fit = criteria_of(panel.rfp)[0]
    for user, expected in [(panel.outsider, 403), (panel.pm, 403), (panel.viewer, 403)]:
        assert api(user).get(evaluation_url(panel, "Adatum")).status_code == expected
        put = api(user).put(
            evaluation_url(panel, "Adatum"), {"scores": [{"criterion": fit.pk, "score": 3}]},
            format="json",
        )  # fmt: skip
        assert put.status_code == expected
    assert not Evaluation.objects.exists()
    other_program = ProgramFactory(code="CRM")
    stranger = manager_of(other_program)
    assert api(stranger).get(evaluation_url(panel, "Adatum")).status_code == 404


def test_others_stay_sealed_until_you_submit_and_drafts_never_show(panel):
    score(panel.e1, panel.response("Adatum"), (4, 3, 5))
    score(panel.dana, panel.response("Adatum"), (1, 1, 1), submit=False)
    b = api(panel.e2)
    before = b.get(evaluation_url(panel, "Adatum")).json()
    assert (before["others_visible"], before["others"], before["others_pending"]) == (
        False, [], 2,
    )  # fmt: skip
    matrix = b.get(f"{BASE}RFP-1/matrix/").json()
    assert matrix["responses"] == []
    assert [s["vendor"]["name"] for s in matrix["sealed"]] == ["Adatum", "Bluebird", "Contoso"]

    score(panel.e2, panel.response("Adatum"), (5, 3, 4))
    after = b.get(evaluation_url(panel, "Adatum")).json()
    assert after["others_visible"] is True
    assert [
        (o["evaluator"]["full_name"], [s["score"] for s in o["scores"]]) for o in after["others"]
    ] == [("Erin One", [4, 3, 5])]
    assert after["others_pending"] == 1  # Dana's draft: a count, never her scores
    matrix = b.get(f"{BASE}RFP-1/matrix/").json()
    assert [(r["vendor"]["name"], r["total"]) for r in matrix["responses"]] == [("Adatum", "81.00")]


def test_the_matrix_api_gives_the_hand_computed_ranking(panel):
    score_worked_example(panel)
    body = api(panel.pm).get(f"{BASE}RFP-1/matrix/").json()
    assert [
        (r["vendor"]["name"], r["rank"], r["total"], r["spread"], r["stdev"], r["flags"])
        for r in body["responses"]
    ] == [
        ("Adatum", 1, "81.00", "6.00", "3.00", []),
        ("Bluebird", 2, "80.00", "0.00", "0.00", []),
        ("Contoso", 3, "71.00", "50.00", "25.00", ["disagree"]),
    ]
    adatum = body["responses"][0]
    assert [c["mean"] for c in adatum["criteria"]] == ["4.50", "3.00", "4.50"]
    assert [(t["evaluator"]["full_name"], t["total"]) for t in adatum["evaluator_totals"]] == [
        ("Eli Two", "84.00"), ("Erin One", "78.00"),
    ]  # fmt: skip
    assert [c["share"] for c in body["criteria"]] == ["50.00", "30.00", "20.00"]
    assert body["disagreement_threshold"] == "15.00" and body["sealed"] == []


def test_select_records_the_decision_once(panel):
    score_worked_example(panel)
    adatum = panel.response("Adatum")
    client = api(panel.pm)
    no_reason = client.post(f"{BASE}RFP-1/select/", {"response": adatum.pk}, format="json")
    assert no_reason.status_code == 400
    unknown = client.post(
        f"{BASE}RFP-1/select/", {"response": 999999, "rationale": "x"}, format="json"
    )
    assert unknown.json() == {"response": ["RFP-1 has no response 999999."]}
    assert (
        api(panel.e1)
        .post(f"{BASE}RFP-1/select/", {"response": adatum.pk, "rationale": "x"}, format="json")
        .status_code
        == 403
    )
    chosen = client.post(
        f"{BASE}RFP-1/select/", {"response": adatum.pk, "rationale": "Best fit."}, format="json"
    )
    assert chosen.status_code == 200, chosen.json()
    decision = Decision.objects.get()
    assert chosen.json() | {"decision": decision.key} == chosen.json()
    assert (chosen.json()["status"], chosen.json()["selected_vendor"]["name"]) == (
        "decided",
        "Adatum",
    )
    again = client.post(
        f"{BASE}RFP-1/select/", {"response": adatum.pk, "rationale": "Again"}, format="json"
    )
    assert again.status_code == 409
    assert Decision.objects.count() == 1


def test_status_steps_and_frozen_criteria():
    program = ProgramFactory(code="ERP")
    pm = manager_of(program)
    client = api(pm)
    created = client.post(BASE, {"title": "Hosting", "scale_max": 10}, format="json")
    assert created.status_code == 201
    assert (created.json()["key"], created.json()["status"], created["ETag"]) == (
        "RFP-1",
        "draft",
        '"1"',
    )
    step = client.post(f"{BASE}RFP-1/status/", {"to": "open"}, format="json")
    assert (step.status_code, step.json()) == (
        400, {"status": ["Add at least one evaluation criterion before issuing the RFP."]},
    )  # fmt: skip
    assert (
        client.post(f"{BASE}RFP-1/status/", {"to": "evaluation"}, format="json").status_code == 409
    )
    crit = client.post(f"{BASE}RFP-1/criteria/", {"name": "Uptime", "weight": "3"}, format="json")
    assert crit.status_code == 201 and crit.json()["share"] == "100.00"
    assert (
        client.post(f"{BASE}RFP-1/status/", {"to": "open"}, format="json").json()["status"]
        == "open"
    )
    vendor = (
        make_rfp(program, title="x", vendors=("Fabrikam",), status="open").responses.get().vendor
    )
    resp = client.post(
        f"{BASE}RFP-1/responses/", {"vendor_key": vendor.key, "price": "1200.50"}, format="json"
    )
    assert resp.status_code == 201 and resp.json()["price"] == "1200.50"
    client.post(f"{BASE}RFP-1/evaluators/", {"user_id": pm.pk}, format="json")
    client.post(f"{BASE}RFP-1/status/", {"to": "evaluation"}, format="json")
    response_id = resp.json()["id"]
    rfp_url = f"{BASE}RFP-1/responses/{response_id}/evaluation/"
    client.put(rfp_url, {"scores": [{"criterion": crit.json()["id"], "score": 7}]}, format="json")
    assert client.post(rfp_url + "submit/").status_code == 200
    patch = client.patch(
        f"{BASE}RFP-1/criteria/{crit.json()['id']}/", {"weight": "5"}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip
    assert patch.status_code == 409
    version = Rfp.objects.get(key="RFP-1").version
    scale = client.patch(
        f"{BASE}RFP-1/", {"scale_max": 5}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert scale.status_code == 409
    assert "scoring scale" in scale.json()["detail"]
    assert client.patch(f"{BASE}RFP-1/", {"title": "Hosting 2"}, format="json").status_code == 428


@pytest.mark.parametrize("n", [1, 3])
def test_list_query_count_is_constant(n, django_assert_num_queries):
    program = ProgramFactory(code="ERP")
    pm = manager_of(program)
    for i in range(n):
        make_rfp(
            program, title=f"RFP {i}", vendors=(f"V{i}",), evaluators=(pm,), status="evaluation"
        )
    client = api(pm)
    # savepoint, token, access, count, page (one query with its counts), release
    with django_assert_num_queries(6):
        response = client.get(BASE)
    assert response.json()["count"] == n
    assert all(
        r["response_count"] == 1 and r["evaluator_count"] == 1 for r in response.json()["results"]
    )
