"""Baseline pages through the client: list, save, set current, delete, compare, remediation."""

from __future__ import annotations

import html

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory
from schedules import services
from schedules.models import Baseline, BaselineItem, Item
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, **kwargs) -> str:
    return reverse(f"schedules:{name}", kwargs=kwargs)


def text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def plan(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance", actor=manager)
    build = ItemFactory(
        program=program, name="Build ledger", duration_minutes=days(5), workstream=ws, actor=manager
    )
    golive = ItemFactory(program=program, name="Go-live", kind="milestone", actor=manager)
    link(build, golive, actor=manager)
    return {"build": build, "golive": golive, "ws": ws}


def slip(manager, item: Item, extra_days: int) -> None:
    item.refresh_from_db()
    services.item_update(
        actor=manager,
        item=item,
        expected_version=item.version,
        duration_minutes=item.duration_minutes + days(extra_days),
    )


# --- the list and saving ------------------------------------------------------------------------


def test_baseline_list_empty_state_offers_to_save_one(program, manager, plan):
    response = logged_in(manager).get(url("baseline_list", code="ERP"))
    assert response.status_code == 200
    assert "No baselines yet" in text(response)
    assert url("baseline_create", code="ERP") in text(response)


def test_baseline_list_for_a_viewer_has_no_save_button(program, users_by_role, plan):
    response = logged_in(users_by_role["viewer"]).get(url("baseline_list", code="ERP"))
    assert response.status_code == 200
    assert url("baseline_create", code="ERP") not in text(response)


def test_save_baseline_through_the_modal_form(program, manager, plan):
    client = logged_in(manager)
    form = client.get(url("baseline_create", code="ERP"), headers=HX)
    assert form.status_code == 200
    assert "<html" not in form.content.decode()
    response = client.post(
        url("baseline_create", code="ERP"),
        {"name": "Original plan", "note": "Agreed at kick-off", "make_current": "on"},
        headers=HX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("baseline_list", code="ERP")
    baseline = Baseline.objects.get(program=program)
    assert (baseline.name, baseline.note, baseline.is_current) == (
        "Original plan",
        "Agreed at kick-off",
        True,
    )
    assert baseline.created_by == manager
    assert BaselineItem.objects.filter(baseline=baseline).count() == 2
    page = client.get(url("baseline_list", code="ERP"))
    assert "Original plan" in text(page) and "Current" in text(page)


def test_save_baseline_with_a_duplicate_name_keeps_the_input(program, manager, plan):
    services.baseline_create(actor=manager, program=program, name="Original")
    response = logged_in(manager).post(
        url("baseline_create", code="ERP"), {"name": "Original", "note": "second try"}
    )
    assert response.status_code == 400
    assert "already has a baseline with that name" in text(response)
    assert "second try" in text(response)
    assert Baseline.objects.filter(program=program).count() == 1


def test_save_baseline_without_a_name_is_refused(program, manager, plan):
    response = logged_in(manager).post(url("baseline_create", code="ERP"), {"name": "  "})
    assert response.status_code == 400
    assert "This field is required." in text(response)
    assert not Baseline.objects.exists()


def test_coordinator_may_not_save_baselines(program, users_by_role, plan):
    client = logged_in(users_by_role["coordinator"])
    assert client.get(url("baseline_create", code="ERP")).status_code == 403
    assert client.post(url("baseline_create", code="ERP"), {"name": "X"}).status_code == 403
    assert not Baseline.objects.exists()


def test_non_member_gets_404_everywhere(program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    other = ProgramFactory(code="HR")
    outsider = other.memberships.get(role=Role.MANAGER).user
    client = logged_in(outsider)
    for name, kwargs in [
        ("baseline_list", {}),
        ("baseline_compare", {"pk": baseline.pk}),
        ("baseline_delete", {"pk": baseline.pk}),
        ("remediation_edit", {"key": plan["golive"].key}),
    ]:
        assert client.get(url(name, code="ERP", **kwargs)).status_code == 404, name
    response = client.post(url("baseline_delete", code="ERP", pk=baseline.pk))
    assert response.status_code == 404
    assert Baseline.objects.filter(pk=baseline.pk).exists()


def test_a_baseline_of_another_program_is_not_found(program, manager, plan):
    other = ProgramFactory(code="HR", manager=manager)
    foreign = services.baseline_create(actor=manager, program=other, name="Theirs")
    client = logged_in(manager)
    assert client.get(url("baseline_compare", code="ERP", pk=foreign.pk)).status_code == 404
    assert client.post(url("baseline_delete", code="ERP", pk=foreign.pk)).status_code == 404
    assert client.post(url("baseline_set_current", code="ERP", pk=foreign.pk)).status_code == 404
    assert Baseline.objects.filter(pk=foreign.pk).exists()


def test_set_current_moves_the_badge(program, manager, plan):
    first = services.baseline_create(actor=manager, program=program, name="Original")
    second = services.baseline_create(actor=manager, program=program, name="Re-plan")
    first.refresh_from_db()
    response = logged_in(manager).post(
        url("baseline_set_current", code="ERP", pk=first.pk), {"version": first.version}
    )
    assert response.status_code == 302
    assert response["Location"] == url("baseline_list", code="ERP")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_current, second.is_current) == (True, False)
    assert "“Original” is now the current baseline" in messages_of(response)[0]


def test_set_current_on_a_stale_version_changes_nothing(program, manager, plan):
    first = services.baseline_create(actor=manager, program=program, name="Original")
    services.baseline_create(actor=manager, program=program, name="Re-plan")
    first.refresh_from_db()
    services.baseline_update(
        actor=manager, baseline=first, expected_version=first.version, note="edited"
    )
    response = logged_in(manager).post(
        url("baseline_set_current", code="ERP", pk=first.pk), {"version": first.version}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.is_current is False
    assert "was changed by someone else" in messages_of(response)[0]


def test_set_current_get_goes_back_to_the_list(program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    response = logged_in(manager).get(url("baseline_set_current", code="ERP", pk=baseline.pk))
    assert response.status_code == 302
    assert response["Location"] == url("baseline_list", code="ERP")


def test_delete_baseline_asks_then_deletes(program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    client = logged_in(manager)
    confirm = client.get(url("baseline_delete", code="ERP", pk=baseline.pk))
    assert confirm.status_code == 200
    assert "This is the current baseline" in text(confirm)
    response = client.post(
        url("baseline_delete", code="ERP", pk=baseline.pk), {"version": baseline.version}
    )
    assert response.status_code == 302
    assert not Baseline.objects.filter(pk=baseline.pk).exists()
    assert not BaselineItem.objects.filter(baseline_id=baseline.pk).exists()


def test_baseline_list_queries_do_not_grow_with_baselines(program, manager, plan, count_queries):
    client = logged_in(manager)
    services.baseline_create(actor=manager, program=program, name="B1")
    client.get(url("baseline_list", code="ERP"))  # warm caches (content types, session)
    with count_queries() as one:
        client.get(url("baseline_list", code="ERP"))
    services.baseline_create(actor=manager, program=program, name="B2")
    services.baseline_create(actor=manager, program=program, name="B3")
    with count_queries() as three:
        response = client.get(url("baseline_list", code="ERP"))
    assert len(response.context["baselines"]) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


# --- comparison ---------------------------------------------------------------------------------


def test_compare_page_shows_variances_and_slipped_milestones(program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    slip(manager, plan["build"], 7)
    response = logged_in(manager).get(url("baseline_compare", code="ERP", pk=baseline.pk))
    assert response.status_code == 200
    page = text(response)
    assert "Plan vs “Original”" in page
    summary = response.context["summary"]
    assert (summary.slipped, summary.worst_slip_days, summary.finish_variance_days) == (2, 7, 7)
    assert [r["key"] for r in response.context["slipped"]] == [plan["golive"].key]
    assert "+7 days late" in page
    assert "No remediation plan yet." in page
    assert url("remediation_edit", code="ERP", key=plan["golive"].key) in page
    assert 'class="text-danger fw-medium" title="7 working days later than the baseline">+7<' in (
        response.content.decode()
    )


def test_compare_filters_only_slipped_and_by_workstream(program, manager, plan):
    other_ws = WorkstreamFactory(program=program, name="HR", actor=manager)
    ItemFactory(program=program, name="Payroll", workstream=other_ws, actor=manager)
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    slip(manager, plan["build"], 1)
    client = logged_in(manager)
    compare = url("baseline_compare", code="ERP", pk=baseline.pk)

    slipped = client.get(compare + "?slipped=1", headers=HX)
    assert slipped.status_code == 200
    assert "<html" not in slipped.content.decode()
    assert [r["name"] for r in slipped.context["page_obj"]] == ["Build ledger", "Go-live"]

    by_ws = client.get(compare + f"?workstream={other_ws.pk}", headers=HX)
    assert [r["name"] for r in by_ws.context["page_obj"]] == ["Payroll"]

    none = client.get(compare + f"?slipped=1&workstream={other_ws.pk}")
    assert "No items match these filters" in text(none)
    assert client.get(compare + "?workstream=abc").status_code == 200  # junk is ignored


def test_compare_picker_redirects_to_the_chosen_baseline(program, manager, plan):
    first = services.baseline_create(actor=manager, program=program, name="Original")
    second = services.baseline_create(actor=manager, program=program, name="Re-plan")
    client = logged_in(manager)
    response = client.get(
        url("baseline_compare", code="ERP", pk=second.pk) + f"?baseline={first.pk}&slipped=1"
    )
    assert response.status_code == 302
    assert response["Location"] == url("baseline_compare", code="ERP", pk=first.pk) + "?slipped=1"
    bad = client.get(url("baseline_compare", code="ERP", pk=second.pk) + "?baseline=nope")
    assert bad.status_code == 404


def test_compare_page_queries_do_not_grow_with_items(program, manager, count_queries):
    client = logged_in(manager)
    task = ItemFactory(program=program, name="Work", duration_minutes=days(2), actor=manager)
    link(task, ItemFactory(program=program, name="M0", kind="milestone", actor=manager))
    baseline = services.baseline_create(actor=manager, program=program, name="B")
    slip(manager, task, 9)
    compare = url("baseline_compare", code="ERP", pk=baseline.pk)
    client.get(compare)
    with count_queries() as one:
        first = client.get(compare)
    services.baseline_delete(actor=manager, baseline=baseline, expected_version=None)
    for i in (1, 2):
        link(task, ItemFactory(program=program, name=f"M{i}", kind="milestone", actor=manager))
        ItemFactory(program=program, name=f"Extra {i}", actor=manager)
    task.refresh_from_db()
    services.item_update(
        actor=manager, item=task, expected_version=task.version, duration_minutes=days(2)
    )
    baseline = services.baseline_create(actor=manager, program=program, name="B")
    slip(manager, task, 9)
    compare = url("baseline_compare", code="ERP", pk=baseline.pk)
    with count_queries() as three:
        again = client.get(compare)
    assert len(first.context["slipped"]) == 1 and len(again.context["slipped"]) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_compare_with_an_empty_plan_says_so(program, manager):
    baseline = services.baseline_create(actor=manager, program=program, name="Empty")
    response = logged_in(manager).get(url("baseline_compare", code="ERP", pk=baseline.pk))
    assert response.status_code == 200
    assert "The plan has no items" in text(response)
    assert "No milestone has slipped beyond the threshold" in text(response)


# --- remediation plans --------------------------------------------------------------------------


@pytest.fixture
def slipped(program, manager, plan):
    services.baseline_create(actor=manager, program=program, name="Original")
    slip(manager, plan["build"], 8)
    plan["golive"].refresh_from_db()
    return plan["golive"]


def test_remediation_inline_edit_saves_and_swaps_back(program, users_by_role, slipped):
    client = logged_in(users_by_role["coordinator"])
    edit = client.get(url("remediation_edit", code="ERP", key=slipped.key), headers=HX)
    assert edit.status_code == 200
    assert f'id="remediation-{slipped.key}"' in edit.content.decode()
    assert 'name="version"' in edit.content.decode()
    response = client.post(
        url("remediation_edit", code="ERP", key=slipped.key),
        {"version": slipped.version, "remediation_plan": "Add a second data-migration team."},
        headers=HX,
    )
    assert response.status_code == 200
    assert "Add a second data-migration team." in text(response)
    assert "<form" not in response.content.decode()
    slipped.refresh_from_db()
    assert slipped.remediation_plan == "Add a second data-migration team."


def test_remediation_cancel_returns_the_text(program, manager, slipped):
    response = logged_in(manager).get(
        url("remediation_edit", code="ERP", key=slipped.key) + "?cancel=1", headers=HX
    )
    assert response.status_code == 200
    assert "No remediation plan yet." in text(response)


def test_remediation_stale_edit_is_refused_with_409_and_keeps_the_input(
    program, manager, users_by_role, slipped
):
    services.item_update(
        actor=manager,
        item=slipped,
        expected_version=slipped.version,
        remediation_plan="Manager's plan",
    )
    response = logged_in(users_by_role["coordinator"]).post(
        url("remediation_edit", code="ERP", key=slipped.key),
        {"version": slipped.version, "remediation_plan": "Coordinator's plan"},
        headers=HX,
    )
    assert response.status_code == 409
    page = text(response)
    assert "changed this while you were editing" in page
    assert "Coordinator's plan" in page
    current = Item.objects.get(pk=slipped.pk)
    assert current.remediation_plan == "Manager's plan"
    assert f'name="version" value="{current.version}"' in response.content.decode()


def test_remediation_needs_schedule_change(program, users_by_role, slipped):
    for role in ("contributor", "viewer", "executive"):
        response = logged_in(users_by_role[role]).post(
            url("remediation_edit", code="ERP", key=slipped.key),
            {"version": slipped.version, "remediation_plan": "Not mine to plan"},
        )
        assert response.status_code == 403, role
    slipped.refresh_from_db()
    assert slipped.remediation_plan == ""


def test_remediation_without_javascript_is_a_page_that_returns(program, manager, slipped):
    client = logged_in(manager)
    baseline = Baseline.objects.get(program=program)
    back = url("baseline_compare", code="ERP", pk=baseline.pk) + "?slipped=1"
    page = client.get(url("remediation_edit", code="ERP", key=slipped.key) + f"?next={back}")
    assert page.status_code == 200
    assert "<html" in page.content.decode()
    response = client.post(
        url("remediation_edit", code="ERP", key=slipped.key),
        {"version": slipped.version, "remediation_plan": "Re-plan cut-over", "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back
    slipped.refresh_from_db()
    evil = client.post(
        url("remediation_edit", code="ERP", key=slipped.key),
        {"version": slipped.version, "remediation_plan": "x", "next": "https://evil.example/"},
    )
    assert evil.status_code == 302
    assert evil["Location"] == url("baseline_compare", code="ERP", pk=baseline.pk)


def test_remediation_of_an_unknown_item_is_404(program, manager, slipped):
    response = logged_in(manager).post(
        url("remediation_edit", code="ERP", key="TSK-999"), {"version": 1, "remediation_plan": "x"}
    )
    assert response.status_code == 404


def test_remediation_with_a_missing_version_keeps_the_input(program, manager, slipped):
    response = logged_in(manager).post(
        url("remediation_edit", code="ERP", key=slipped.key),
        {"remediation_plan": "Typed text"},
        headers=HX,
    )
    assert response.status_code == 400
    assert "Typed text" in text(response)
    slipped.refresh_from_db()
    assert slipped.remediation_plan == ""
