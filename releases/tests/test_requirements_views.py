"""Requirement pages through the client: the list and its filters, the inline status step,
forms keeping input, the baseline refusal on the edit form, the detail page, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.permissions import Role
from releases.models import Requirement, RequirementRevision
from releases.services import requirements as services
from releases.tests import factories
from releases.tests.requirements_factories import change_request, requirement_in

pytestmark = pytest.mark.django_db


def url(name, program, **kwargs):
    return reverse(f"releases:{name}", kwargs={"code": program.code, **kwargs})


@pytest.fixture
def pm_client(client, manager):
    client.force_login(manager)
    return client


def _row_post(client, requirement, **data):
    data.setdefault("version", requirement.version)
    return client.post(
        url("requirement_row_status", requirement.program, key=requirement.key),
        data,
        HTTP_HX_REQUEST="true",
    )


# --- the list -------------------------------------------------------------------------------------


def test_list_shows_requirements_with_status_counts(pm_client, program):
    requirement_in(program, title="Parallel ledgers")
    requirement_in(program, "approved", title="Bank statement import")
    response = pm_client.get(url("requirement_list", program))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Parallel ledgers" in html and "Bank statement import" in html
    tabs = {value: count for value, _label, count, _colour in response.context["tabs"]}
    assert tabs["proposed"] == 1 and tabs["approved"] == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "approved"}, {"Bank statement import"}),
        ({"priority": "could"}, {"Cash forecast"}),
        ({"q": "ledger"}, {"Parallel ledgers"}),
        ({"q": "REQ-2"}, {"Bank statement import"}),
        ({"type": "non_functional"}, {"Cash forecast"}),
        ({"source": "regulation"}, {"Parallel ledgers"}),
    ],
)
def test_list_filters(pm_client, program, params, expected):
    requirement_in(program, title="Parallel ledgers", source="regulation")
    requirement_in(program, "approved", title="Bank statement import")
    requirement_in(
        program, title="Cash forecast", priority="could", type="non_functional",
        quality_attribute="performance",
    )  # fmt: skip
    response = pm_client.get(url("requirement_list", program), params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert {r.title for r in response.context["page_obj"]} == expected


def test_list_filter_by_owner_and_workstream(pm_client, program, users_by_role):
    coordinator = users_by_role[Role.COORDINATOR]
    workstream = factories._workstream(program)
    requirement_in(program, title="Mine", owner=coordinator, workstream=workstream)
    requirement_in(program, title="Other")
    response = pm_client.get(
        url("requirement_list", program), {"owner": coordinator.pk, "workstream": workstream.pk}
    )
    assert [r.title for r in response.context["page_obj"]] == ["Mine"]


def test_list_htmx_answers_the_table_partial(pm_client, program):
    requirement_in(program)
    response = pm_client.get(url("requirement_list", program), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="requirement-table"' in html and "<html" not in html


def test_list_queries_do_not_grow_with_rows(pm_client, program):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert pm_client.get(url("requirement_list", program)).status_code == 200
        return len(ctx.captured_queries)

    requirement_in(program, "approved")
    one = count()
    for _ in range(4):
        r = requirement_in(program, "in_delivery", owner=None)
        factories.make_case(program, requirements=[r])
        factories.make_defect(program, requirement=r)
    assert count() == one


# --- the inline status step -----------------------------------------------------------------------


def test_inline_approve_answers_the_row_and_asks_for_fresh_counts(pm_client, program):
    requirement = requirement_in(program)
    response = _row_post(pm_client, requirement, transition="approve")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "requirement-changed"
    assert f'id="req-{requirement.key}"' in response.content.decode()
    assert Requirement.objects.get(pk=requirement.pk).status == "approved"


def test_inline_reject_asks_for_the_reason_then_keeps_it(pm_client, program):
    requirement = requirement_in(program)
    ask = _row_post(pm_client, requirement, transition="reject")
    assert ask.status_code == 200
    assert f'id="req-reason-{requirement.key}"' in ask.content.decode()
    blank = _row_post(pm_client, requirement, transition="reject", reason=" ")
    assert blank.status_code == 422
    assert Requirement.objects.get(pk=requirement.pk).status == "proposed"
    done = _row_post(pm_client, requirement, transition="reject", reason="Duplicate of REQ-1.")
    assert done.status_code == 200
    after = Requirement.objects.get(pk=requirement.pk)
    assert (after.status, after.status_reason) == ("rejected", "Duplicate of REQ-1.")


def test_inline_step_on_a_stale_version_says_so_and_changes_nothing(pm_client, program, manager):
    requirement = requirement_in(program)
    services.requirement_update(
        actor=manager, requirement=requirement, expected_version=None, title="Renamed"
    )
    response = _row_post(pm_client, requirement, transition="approve")
    assert response.status_code == 409
    assert "changed REQ-1 meanwhile" in response.content.decode()
    assert Requirement.objects.get(pk=requirement.pk).status == "proposed"


def test_inline_verify_refused_shows_the_reason(pm_client, program):
    requirement = requirement_in(program, "in_delivery")
    response = _row_post(pm_client, requirement, transition="verify")
    assert response.status_code == 409
    assert "no test case is linked to it" in response.content.decode()


def test_inline_approve_by_a_coordinator_is_refused(client, program, users_by_role):
    requirement = requirement_in(program)
    client.force_login(users_by_role[Role.COORDINATOR])
    response = _row_post(client, requirement, transition="approve")
    assert response.status_code == 403
    assert Requirement.objects.get(pk=requirement.pk).status == "proposed"


def test_a_coordinator_is_offered_only_their_steps(client, program, users_by_role):
    requirement_in(program, "approved")
    client.force_login(users_by_role[Role.COORDINATOR])
    [row] = client.get(url("requirement_list", program)).context["page_obj"]
    assert [step.name for step in row.steps] == ["start"]


# --- forms ----------------------------------------------------------------------------------------


def test_create_with_errors_keeps_the_input(pm_client, program):
    response = pm_client.post(
        url("requirement_create", program),
        {"title": "Dunning letters", "statement": "", "type": "non_functional",
         "priority": "must", "source": "stakeholder"},
    )  # fmt: skip
    assert response.status_code == 400
    form = response.context["form"]
    assert "statement" in form.errors and "quality_attribute" in form.errors
    assert 'value="Dunning letters"' in response.content.decode()
    assert not Requirement.objects.exists()


def test_create_proposes_and_redirects(pm_client, program):
    response = pm_client.post(
        url("requirement_create", program),
        {"title": "Dunning letters", "statement": "The system shall dun.", "type": "functional",
         "priority": "must", "source": "stakeholder"},
    )  # fmt: skip
    requirement = Requirement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("requirement_detail", program, key=requirement.key)
    assert requirement.status == "proposed"


def _edit_data(requirement, **changes):
    data = {
        "version": requirement.version, "title": requirement.title,
        "statement": requirement.statement,
        "acceptance_criteria": requirement.acceptance_criteria, "type": requirement.type,
        "quality_attribute": requirement.quality_attribute, "priority": requirement.priority,
        "source": requirement.source, "source_detail": requirement.source_detail,
    }  # fmt: skip
    data.update(changes)
    return data


def test_editing_a_baselined_statement_without_a_cr_shows_the_refusal_and_keeps_input(
    pm_client, program
):
    requirement = requirement_in(program, "approved")
    response = pm_client.post(
        url("requirement_edit", program, key=requirement.key),
        _edit_data(requirement, statement="A new wording."),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is baselined (approved on" in html
    assert "needs an approved change request" in html
    assert "A new wording." in html
    assert 'name="change_request"' in html
    assert Requirement.objects.get(pk=requirement.pk).statement == requirement.statement


def test_editing_a_baselined_statement_with_an_approved_cr_writes_revision_2(pm_client, program):
    requirement = requirement_in(program, "approved")
    cr = change_request(program, "approved")
    response = pm_client.post(
        url("requirement_edit", program, key=requirement.key),
        _edit_data(requirement, statement="A new wording.", change_request=cr.pk,
                   revision_note="Per the CR."),
    )  # fmt: skip
    assert response.status_code == 302
    after = Requirement.objects.get(pk=requirement.pk)
    assert (after.statement, after.baseline_revision) == ("A new wording.", 2)
    assert RequirementRevision.objects.filter(requirement=after).count() == 2


def test_the_cr_picker_offers_only_approved_and_implemented_requests(pm_client, program):
    requirement = requirement_in(program, "approved")
    approved = change_request(program, "approved", title="Approved one")
    change_request(program, "draft", title="Draft one")
    response = pm_client.get(url("requirement_edit", program, key=requirement.key))
    choices = list(response.context["form"].fields["change_request"].queryset)
    assert choices == [approved]


def test_edit_on_a_stale_version_reports_the_conflict(pm_client, program, manager):
    requirement = requirement_in(program)
    data = _edit_data(requirement, title="Mine")
    services.requirement_update(
        actor=manager, requirement=requirement, expected_version=None, priority="could"
    )
    response = pm_client.post(url("requirement_edit", program, key=requirement.key), data)
    assert response.status_code == 400
    assert response.context["form"].conflict is not None
    assert Requirement.objects.get(pk=requirement.pk).title == requirement.title


# --- detail and steps -----------------------------------------------------------------------------


def test_detail_shows_links_results_and_the_revision_diff(pm_client, program, manager):
    requirement = requirement_in(program, "approved", statement="Close in five days.")
    case = factories.make_case(program, requirements=[requirement])
    cr = change_request(program, "approved")
    services.requirement_update(
        actor=manager, requirement=requirement, expected_version=None,
        statement="Close in <b>four</b> days.", change_request=cr,
    )  # fmt: skip
    page = pm_client.get(url("requirement_detail", program, key=requirement.key))
    assert page.status_code == 200
    assert case.key in page.content.decode() and cr.key in page.content.decode()
    revisions = pm_client.get(
        url("requirement_detail", program, key=requirement.key), {"tab": "revisions"}
    ).content.decode()
    assert '<del><span class="visually-hidden">[removed: </span>five' in revisions
    assert "&lt;b&gt;four&lt;/b&gt;" in revisions  # escaped, never markup
    history = pm_client.get(
        url("requirement_detail", program, key=requirement.key), {"tab": "history"}
    )
    assert history.status_code == 200


def test_detail_of_another_programs_requirement_is_404(client, program):
    from programs.tests.factories import ProgramFactory, manager_of

    other = ProgramFactory()
    requirement = requirement_in(other)
    client.force_login(manager_of(program))
    assert client.get(url("requirement_detail", other, key=requirement.key)).status_code == 404


def test_step_page_explains_a_refused_verify_and_post_answers_409(pm_client, program):
    requirement = requirement_in(program, "in_delivery")
    page = pm_client.get(url("requirement_verify", program, key=requirement.key))
    assert "no test case is linked to it" in page.content.decode()
    response = pm_client.post(
        url("requirement_verify", program, key=requirement.key), {"version": requirement.version}
    )
    assert response.status_code == 409
    assert Requirement.objects.get(pk=requirement.pk).status == "in_delivery"


def test_step_page_approves(pm_client, program):
    requirement = requirement_in(program)
    response = pm_client.post(
        url("requirement_approve", program, key=requirement.key), {"version": requirement.version}
    )
    assert response.status_code == 302
    assert Requirement.objects.get(pk=requirement.pk).status == "approved"


def test_defer_page_needs_a_reason(pm_client, program):
    requirement = requirement_in(program)
    response = pm_client.post(
        url("requirement_defer", program, key=requirement.key), {"version": requirement.version}
    )
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors


def test_delete_page_refuses_an_approved_requirement(pm_client, program):
    requirement = requirement_in(program, "approved")
    page = pm_client.get(url("requirement_delete", program, key=requirement.key))
    assert "only a proposed requirement can be deleted" in page.content.decode()
    response = pm_client.post(url("requirement_delete", program, key=requirement.key))
    assert response.status_code == 302
    assert Requirement.objects.filter(pk=requirement.pk).exists()


def test_the_status_tabs_reload_on_their_own(pm_client, program):
    requirement_in(program, "approved")
    response = pm_client.get(
        url("requirement_list", program), {"part": "tabs", "status": "approved"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<nav class="req-status-tabs" id="requirement-tabs"')
    assert "<table" not in html
