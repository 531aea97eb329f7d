"""Change request pages through the client: the list (tabs, filters, sorting, paging, htmx), the
approver's queue, a request's page in each state, the forms keeping input, the workflow steps,
the outcome, the policy, deleting a draft and adding an action."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from governance.models import ChangeRequest, ChangeRequestTransition
from governance.selectors.changes import change_policy_get
from governance.services import changes as services
from governance.tests.factories_changes import make_cast, make_cr
from programs.tests.factories import ProgramFactory
from schedules import services as schedule_services
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cast(db):
    return make_cast()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, **kwargs) -> str:
    return reverse(f"governance:{name}", kwargs={"code": "ERP", **kwargs})


def text(response) -> str:
    return html.unescape(response.content.decode())


def squash(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def cr_in(cast, status, requester=None, **fields):
    fields.setdefault("schedule_impact_days", 3)
    fields.setdefault("cost_impact", Decimal("12000.00"))
    return make_cr(
        cast.program, requester or cast.contributor, status=status, actor_for=cast, **fields
    )


# --- the list ----------------------------------------------------------------------------------


def test_list_counts_every_status_and_filters_by_tab(cast):
    for status in ("draft", "draft", "submitted", "assessed", "approved", "closed"):
        cr_in(cast, status)
    client = client_for(cast.viewer)

    page = client.get(url("change_list"))

    assert page.status_code == 200
    tabs = dict(re.findall(r">(\w+) <span class=\"badge[^\"]*\">(\d+)<", text(page)))
    assert tabs == {
        "All": "6", "Draft": "2", "Submitted": "1", "Assessed": "1", "Approved": "1",
        "Rejected": "0", "Deferred": "0", "Implemented": "0", "Closed": "1",
    }  # fmt: skip
    drafts = client.get(url("change_list") + "?status=draft")
    assert [cr.status for cr in drafts.context["page_obj"]] == ["draft", "draft"]
    assert drafts.context["status"] == "draft"
    bogus = client.get(url("change_list") + "?status=nonsense")
    assert len(bogus.context["page_obj"].object_list) == 6


def test_list_filters_sorts_and_searches(cast):
    a = cr_in(cast, "draft", title="Brno warehouse", kind="scope")
    b = cr_in(cast, "draft", requester=cast.coordinator, title="Hypercare", kind="cost",
              cost_impact=Decimal("90000"))  # fmt: skip
    client = client_for(cast.pm)

    def keys(query: str) -> list[str]:
        return [cr.key for cr in client.get(url("change_list") + query).context["page_obj"]]

    assert keys("") == [b.key, a.key]
    assert keys("?kind=cost") == [b.key]
    assert keys(f"?requester={cast.contributor.pk}") == [a.key]
    assert keys("?q=brno") == [a.key]
    assert keys(f"?q={b.key.lower()}") == [b.key]
    assert keys("?approval=sponsor") == [b.key]
    assert keys("?sort=key") == [a.key, b.key]
    assert keys("?sort=-cost") == [b.key, a.key]
    counts = client.get(url("change_list") + "?kind=cost").context["tabs"]
    assert [(value, n) for value, _label, n, _c in counts if n] == [("draft", 1)]


def test_list_pages_and_keeps_the_filters(cast):
    for n in range(27):
        make_cr(cast.program, cast.contributor, title=f"Request {n}", kind="scope")
    client = client_for(cast.pm)
    first = client.get(url("change_list") + "?kind=scope")
    second = client.get(url("change_list") + "?kind=scope&page=2")
    assert len(first.context["page_obj"]) == 25
    assert len(second.context["page_obj"]) == 2
    assert "?kind=scope&amp;page=2" in first.content.decode()


def test_list_htmx_renders_the_table_with_the_status_for_the_filter_form(cast):
    cr_in(cast, "draft")
    response = client_for(cast.pm).get(url("change_list") + "?status=draft", **HX)
    body = text(response)
    assert body.lstrip().startswith('<div id="change-table"')
    oob = 'id="change-status-input" value="draft" hx-swap-oob="true">'
    assert f'<input type="hidden" name="status" {oob}' in body
    assert "<html" not in body


def test_list_empty_states(cast):
    pm = client_for(cast.pm)
    assert "No change requests yet" in text(pm.get(url("change_list")))
    assert "New change request" in text(pm.get(url("change_list")))
    assert "No change requests match" in text(pm.get(url("change_list") + "?q=zzz"))
    viewer = text(client_for(cast.viewer).get(url("change_list")))
    assert "will appear here" in viewer
    assert url("change_create") not in viewer


def test_list_scoping(cast):
    outsider = ProgramFactory(code="OTH").memberships.get().user
    assert client_for(outsider).get(url("change_list")).status_code == 404
    assert client_for(cast.vendor).get(url("change_list")).status_code == 403


@pytest.mark.parametrize("name", ["change_list", "change_pending"])
def test_list_pages_run_a_constant_number_of_queries(cast, count_queries, name):
    user = cast.sponsor
    cr_in(cast, "assessed", cost_impact=Decimal("90000"))
    client = client_for(user)
    client.get(url(name))
    with count_queries() as one:
        first = client.get(url(name))
    for _ in range(2):
        cr_in(cast, "assessed", cost_impact=Decimal("90000"),
              affected_items=[ItemFactory(program=cast.program)])  # fmt: skip
    with count_queries() as three:
        second = client.get(url(name))
    assert len(first.context["page_obj"]) == 1
    assert len(second.context["page_obj"]) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_pending_shows_what_waits_for_the_sponsor_with_the_decision_buttons(cast):
    big = cr_in(cast, "assessed", cost_impact=Decimal("90000"))
    small = cr_in(cast, "assessed")
    sponsor = text(client_for(cast.sponsor).get(url("change_pending")))
    assert big.key in sponsor and small.title not in sponsor.replace(big.title, "")
    assert url("change_approve", key=big.key) in sponsor
    pm = client_for(cast.pm).get(url("change_pending"))
    assert [cr.key for cr in pm.context["page_obj"]] == [small.key]
    assert client_for(cast.coordinator).get(url("change_pending")).status_code == 403
    list_page = text(client_for(cast.pm).get(url("change_list")))
    assert 'Waiting for me <span class="badge bg-primary text-white ms-2">1</span>' in list_page


# --- a request's page ----------------------------------------------------------------------------


def test_detail_offers_the_steps_a_person_may_take_and_explains_the_others(cast):
    cr = cr_in(cast, "assessed", cost_impact=Decimal("90000"))
    sponsor = text(client_for(cast.sponsor).get(url("change_detail", key=cr.key)))
    for step in ("approve", "reject", "defer"):
        assert f'href="{url("change_" + step, key=cr.key)}"' in sponsor
    pm = client_for(cast.pm).get(url("change_detail", key=cr.key))
    body = text(pm)
    assert f'href="{url("change_approve", key=cr.key)}"' not in body
    assert (
        body.count("needs the sponsor's decision (Daniel Okafor)") == 1
    )  # one reason, three buttons
    assert [group["allowed"] for group in pm.context["step_groups"]] == [False]
    assert [c.name for c in pm.context["step_groups"][0]["checks"]] == [
        "approve",
        "reject",
        "defer",
    ]
    assert "The sponsor decides because its cost impact of 90,000.00 EUR" in body


def test_detail_shows_the_impact_timeline_history_and_decision(cast):
    item = ItemFactory(program=cast.program, name="Configure EWM")
    cr = cr_in(cast, "closed", affected_items=[item])
    response = client_for(cast.viewer).get(url("change_detail", key=cr.key))
    page = squash(response)
    assert response.status_code == 200
    assert "+3 working days" in page and "+12,000.00 EUR" in page
    assert f"{item.key} Configure EWM" in page
    assert [t.to_status for t in response.context["transitions"]] == [
        "draft", "submitted", "assessed", "approved", "implemented", "closed",
    ]  # fmt: skip
    steps = [
        ("Ana Souza", "raised it"), ("Ana Souza", "submitted it"), ("Marcus Lee", "assessed it"),
        ("Priya Raman", "approved it"), ("Marcus Lee", "marked it implemented"),
        ("Marcus Lee", "closed it"),
    ]  # fmt: skip
    for who, did in steps:
        assert f"{who} {did}" in page
    assert len(response.context["history"]) == 6
    assert cr.decision.key in page
    assert "is closed. The record below is complete" in page
    assert [s["state"] for s in response.context["steps"]] == ["done"] * 5 + ["current"]


def test_detail_stepper_follows_a_rejection_to_closed(cast):
    cr = cr_in(cast, "rejected")
    cr = services.change_request_close(actor=cast.pm, change_request=cr, comment="Done.")
    steps = client_for(cast.pm).get(url("change_detail", key=cr.key)).context["steps"]
    assert [(s["label"], s["state"]) for s in steps] == [
        ("Draft", "done"), ("Submitted", "done"), ("Assessed", "done"), ("Rejected", "done"),
        ("Implemented", "skipped"), ("Closed", "current"),
    ]  # fmt: skip


def test_detail_of_another_program_or_an_unknown_key_is_404(cast):
    other = ProgramFactory(code="OTH")
    foreign = make_cr(other, other.memberships.get().user)
    client = client_for(cast.pm)
    assert client.get(url("change_detail", key="CR-99")).status_code == 404
    assert client.get(url("change_detail", key=foreign.key + "0")).status_code == 404
    assert client.get(url("change_detail", key="cr-1")).status_code == 404  # none in ERP yet


# --- forms ---------------------------------------------------------------------------------------


def test_create_keeps_the_input_and_names_unknown_items(cast):
    client = client_for(cast.contributor)
    response = client.post(
        url("change_create"),
        {"title": "LIMS interface", "kind": "scope", "description": "Quality lab.",
         "cost_impact": "abc", "affected_items": "TSK-404, nonsense"},
    )  # fmt: skip
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["cost_impact"] == ["Enter a number."]
    assert form.errors["affected_items"] == [
        "NONSENSE is not a WBS item key: they look like TSK-12.",
        "There is no TSK-404 in ERP.",
    ]
    page = text(response)
    assert 'value="LIMS interface"' in page and "Quality lab." in page
    assert "requester" not in form.fields  # contributors raise their own
    assert ChangeRequest.objects.count() == 0


def test_create_and_submit_in_one_go(cast):
    item = ItemFactory(program=cast.program, name="Build")
    response = client_for(cast.contributor).post(
        url("change_create"),
        {"title": "LIMS interface", "kind": "scope", "description": "Quality lab.",
         "reason": "Double entry.", "affected_items": item.key.lower(), "submit_now": "1"},
    )  # fmt: skip
    cr = ChangeRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("change_detail", key=cr.key)
    assert (cr.status, cr.requester, list(cr.affected_items.all())) == (
        "submitted", cast.contributor, [item],
    )  # fmt: skip
    assert messages_of(response) == ["CR-1 raised and submitted."]


def test_save_and_submit_without_a_reason_keeps_the_draft_and_says_why(cast):
    response = client_for(cast.contributor).post(
        url("change_create"),
        {"title": "Half done", "kind": "scope", "submit_now": "1"},
    )
    assert response.status_code == 400
    assert "CR-1 needs a description and a reason before it can be submitted." in text(response)
    # the draft is not half-saved: the whole request rolls back with the refused submit
    assert ChangeRequest.objects.count() == 0


def test_edit_pages_by_person_and_state(cast):
    cr = cr_in(cast, "draft")
    other = text(client_for(cast.other_contributor).get(url("change_edit", key=cr.key)))
    assert "This request cannot be edited now" in other
    assert "Only the requester (Ana Souza)" in other
    mine = client_for(cast.contributor).get(url("change_edit", key=cr.key))
    assert mine.context["form"].initial["title"] == cr.title
    assessed = cr_in(cast, "assessed")
    frozen = text(client_for(cast.pm).get(url("change_edit", key=assessed.key)))
    assert "its content and impact are frozen" in frozen


def test_edit_saves_or_reports_a_conflict_keeping_input(cast):
    cr = cr_in(cast, "draft")
    services.change_request_update(
        actor=cast.pm, change_request=cr, expected_version=1, title="Changed by Priya"
    )
    response = client_for(cast.contributor).post(
        url("change_edit", key=cr.key),
        {"version": "1", "title": "Changed by Ana", "kind": "scope", "reason": "New reason"},
    )
    assert response.status_code == 400
    assert "Priya Raman changed this while you were editing" in text(response)
    assert 'value="Changed by Ana"' in text(response)

    ok = client_for(cast.contributor).post(
        url("change_edit", key=cr.key),
        {"version": "2", "title": "Changed by Ana", "kind": "cost", "reason": "New reason"},
    )
    assert ok.status_code == 302
    cr.refresh_from_db()
    assert (cr.title, cr.kind, cr.reason, cr.version) == ("Changed by Ana", "cost", "New reason", 3)


# --- the steps ------------------------------------------------------------------------------------


def test_a_step_opens_as_a_modal_form_and_saves_with_a_redirect_for_htmx(cast):
    cr = cr_in(cast, "assessed")
    client = client_for(cast.pm)
    modal = client.get(url("change_approve", key=cr.key), **HX)
    assert modal.status_code == 200
    assert text(modal).lstrip().startswith('<form method="post"')
    assert 'hx-post="' + url("change_approve", key=cr.key) + '"' in text(modal)

    response = client.post(
        url("change_approve", key=cr.key), {"version": cr.version, "comment": "Go."}, **HX
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == url("change_detail", key=cr.key)
    cr.refresh_from_db()
    assert cr.status == "approved"
    assert messages_of(response) == ["CR-1 approved. The decision is recorded as DEC-1."]


def test_a_refused_step_answers_409_with_the_reason_and_changes_nothing(cast):
    cr = cr_in(cast, "assessed", cost_impact=Decimal("90000"))
    trail = AuditEntry.objects.count()
    response = client_for(cast.pm).post(
        url("change_approve", key=cr.key), {"version": cr.version}, **HX
    )
    assert response.status_code == 409
    assert "needs the sponsor's decision (Daniel Okafor)" in text(response)
    cr.refresh_from_db()
    assert cr.status == "assessed"
    assert AuditEntry.objects.count() == trail


def test_a_step_not_possible_now_explains_itself_on_get(cast):
    cr = cr_in(cast, "draft")
    page = text(client_for(cast.pm).get(url("change_approve", key=cr.key)))
    assert "You cannot approve CR-1 now" in page
    assert "CR-1 is draft; only an assessed request can be approved." in page
    assert "Approve CR-1</button>" not in page


def test_reject_without_a_reason_is_400_with_the_field_error(cast):
    cr = cr_in(cast, "assessed")
    response = client_for(cast.pm).post(url("change_reject", key=cr.key), {"version": cr.version})
    assert response.status_code == 400
    assert response.context["form"].errors["comment"] == [
        "Say why: the requester and the record need the reason."
    ]
    cr.refresh_from_db()
    assert cr.status == "assessed"


def test_assess_form_keeps_the_impact_and_reports_unknown_items(cast):
    cr = cr_in(cast, "submitted")
    response = client_for(cast.coordinator).post(
        url("change_assess", key=cr.key),
        {
            "version": cr.version,
            "schedule_impact_days": "4",
            "cost_impact": "",
            "affected_items": "TSK-77",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["cost_impact"] == ["This field is required."]
    assert errors["affected_items"] == ["There is no TSK-77 in ERP."]
    assert 'value="4"' in text(response)
    ok = client_for(cast.coordinator).post(
        url("change_assess", key=cr.key),
        {"version": cr.version, "schedule_impact_days": "4", "cost_impact": "2500.00"},
    )
    assert ok.status_code == 302
    cr.refresh_from_db()
    assert (cr.status, cr.schedule_impact_days, cr.cost_impact) == ("assessed", 4, Decimal("2500"))
    assert messages_of(ok)[-1] == "CR-1 assessed. It now waits for a program manager to decide."


def test_implement_can_save_a_new_baseline(cast):
    ItemFactory(program=cast.program, name="Build")
    cr = cr_in(cast, "approved")
    response = client_for(cast.pm).post(
        url("change_implement", key=cr.key),
        {"version": cr.version, "new_baseline_name": "After CR-1", "budget_reference": "CO-7"},
    )
    assert response.status_code == 302
    cr.refresh_from_db()
    assert (cr.status, cr.baseline.name, cr.budget_reference) == (
        "implemented",
        "After CR-1",
        "CO-7",
    )
    coordinator_form = client_for(cast.coordinator).get(url("change_implement", key=cr.key))
    assert "new_baseline_name" not in coordinator_form.context["form"].fields


def test_outcome_records_the_baseline_after_approval(cast):
    ItemFactory(program=cast.program, name="Build")
    baseline = schedule_services.baseline_create(actor=cast.pm, program=cast.program, name="B1")
    cr = cr_in(cast, "implemented")
    client = client_for(cast.coordinator)
    response = client.post(
        url("change_outcome", key=cr.key),
        {"version": cr.version, "baseline": baseline.pk, "budget_reference": "CO-3"},
    )
    assert response.status_code == 302
    cr.refresh_from_db()
    assert (cr.baseline, cr.budget_reference) == (baseline, "CO-3")
    draft = cr_in(cast, "draft")
    assert "only an approved request has an outcome" in text(
        client.get(url("change_outcome", key=draft.key))
    )


def test_delete_a_draft(cast):
    cr = cr_in(cast, "draft")
    assert "Delete draft" in text(
        client_for(cast.contributor).get(url("change_delete", key=cr.key))
    )
    response = client_for(cast.contributor).post(
        url("change_delete", key=cr.key), {"version": cr.version}
    )
    assert response["Location"] == url("change_list")
    assert not ChangeRequest.objects.exists()

    submitted = cr_in(cast, "submitted")
    refused = client_for(cast.pm).post(url("change_delete", key=submitted.key), {"version": "2"})
    assert refused["Location"] == url("change_detail", key=submitted.key)
    assert messages_of(refused) == [
        "CR-2 is submitted; only a draft can be deleted. Close or reject it instead, so the "
        "record stays."
    ]
    assert ChangeRequest.objects.filter(pk=submitted.pk).exists()


# --- the policy ---------------------------------------------------------------------------------


def test_policy_page_saves_and_keeps_bad_input(cast):
    client = client_for(cast.pm)
    assert client.get(url("change_policy")).context["form"].initial["sponsor_cost_threshold"] == (
        Decimal("50000.00")
    )
    bad = client.post(
        url("change_policy"),
        {"version": "1", "sponsor_cost_threshold": "-5", "sponsor_schedule_threshold_days": "x"},
    )
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {
        "sponsor_cost_threshold", "sponsor_schedule_threshold_days",
    }  # fmt: skip
    ok = client.post(
        url("change_policy"),
        {
            "version": "1",
            "sponsor_cost_threshold": "75000",
            "sponsor_schedule_threshold_days": "15",
        },
    )
    assert ok.status_code == 302
    assert change_policy_get(program=cast.program).sponsor_cost_threshold == 75000
    assert client_for(cast.coordinator).get(url("change_policy")).status_code == 403


# --- actions from the RAID log ----------------------------------------------------------------


def test_an_action_is_added_to_a_change_request(cast):
    from risks.models import Action

    cr = cr_in(cast, "approved")
    client = client_for(cast.coordinator)
    form = client.get(url("change_action_create", key=cr.key), **HX)
    assert form.status_code == 200
    bad = client.post(url("change_action_create", key=cr.key), {"title": "Onboard the team"})
    assert bad.status_code == 400
    assert 'value="Onboard the team"' in text(bad)

    response = client.post(
        url("change_action_create", key=cr.key),
        {"title": "Onboard the second SIT team", "owner": cast.contributor.pk,
         "due_date": "2026-12-04"},
        **HX,
    )  # fmt: skip

    assert response.status_code == 204
    action = Action.objects.get()
    assert (action.subject, action.owner, str(action.due_date)) == (
        cr, cast.contributor, "2026-12-04",
    )  # fmt: skip
    detail = client.get(url("change_detail", key=cr.key))
    assert [a.key for a in detail.context["raid"]["actions"]] == [action.key]
    assert "Onboard the second SIT team" in text(detail)
    assert ChangeRequestTransition.objects.filter(change_request=cr).count() == 4  # unchanged
