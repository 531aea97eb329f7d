"""Defect pages through the client: list with filters and the summary strip, the inline status
change (htmx), the step page, forms keeping input, conflicts, deletion, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from releases.models import Defect
from releases.services import defects as services
from releases.tests import factories

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, program, **kwargs):
    return reverse(f"releases:{name}", kwargs={"code": program.code, **kwargs})


def raise_defect(program, actor, **fields):
    fields.setdefault("title", "Payment run skips vendor 4711")
    return services.defect_create(actor=actor, program=program, **fields)


@pytest.fixture
def client_of(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_list_shows_open_defects_with_the_summary_strip(program, manager, client_of):
    raise_defect(program, manager, title="Document splitting fails", severity=1)
    closed = raise_defect(program, manager, title="Old closed one")
    services.defect_transition(
        actor=manager, defect=closed, to="rejected", rejection_reason="cannot_reproduce"
    )

    response = client_of(manager).get(url("defect_list", program))

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["program_nav"] is not None
    assert "Document splitting fails" in html
    assert "Old closed one" not in html  # the page opens on open defects
    assert "Ageing of open defects" in html
    assert [s["count"] for s in response.context["summary"]["open_by_severity"]] == [1, 0, 0, 0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=all", ["DEF-1", "DEF-2", "DEF-3"]),
        ("state=closed", ["DEF-3"]),
        ("severity=1", ["DEF-1"]),
        ("status=triaged", ["DEF-2"]),
        ("q=splitting", ["DEF-1"]),
        ("q=def-2", ["DEF-2"]),
        ("state=all&priority=low", ["DEF-3"]),
    ],
)
def test_list_filters(program, manager, client_of, query, expected):
    raise_defect(program, manager, title="Document splitting fails", severity=1)
    triaged = raise_defect(program, manager, owner=manager)
    services.defect_transition(actor=manager, defect=triaged, to="triaged")
    rejected = raise_defect(program, manager, priority="low")
    services.defect_transition(
        actor=manager, defect=rejected, to="rejected", rejection_reason="cannot_reproduce"
    )

    response = client_of(manager).get(url("defect_list", program) + "?" + query, **HTMX)

    assert [d.key for d in response.context["page_obj"]] == expected
    assert "Ageing of open defects" not in response.content.decode()  # the table partial only


def test_filter_choices_are_scoped_to_the_program(program, manager, client_of):
    other = ProgramFactory()
    factories.make_release(other, version_label="9.9")
    factories.make_release(program, version_label="1.0")

    response = client_of(manager).get(url("defect_list", program))

    labels = [str(r) for r in response.context["filter"].filters["release"].queryset]
    assert labels == ["1.0"]


def test_list_query_count_does_not_grow_with_rows(program, manager, client_of, count_queries):
    client = client_of(manager)
    requirement = factories.make_requirement(program)
    release = factories.make_release(program)
    raise_defect(program, manager, owner=manager, requirement=requirement, target_release=release)
    with count_queries() as one:
        client.get(url("defect_list", program))
    for _ in range(3):
        raise_defect(
            program, member(program).user, owner=member(program).user,
            requirement=factories.make_requirement(program), target_release=release,
            test_case=factories.make_case(program),
        )  # fmt: skip
    with count_queries() as four:
        client.get(url("defect_list", program))

    assert len(four.captured_queries) == len(one.captured_queries)


def test_detail_shows_links_trail_and_steps(program, manager, client_of):
    requirement = factories.make_requirement(program, title="Three-way match")
    defect = raise_defect(program, manager, requirement=requirement, owner=manager,
                          comment="Found in UAT")  # fmt: skip
    services.defect_transition(actor=manager, defect=defect, to="triaged", comment="Agreed")

    response = client_of(manager).get(url("defect_detail", program, key=defect.key))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Three-way match" in html
    assert "Found in UAT" in html and "Agreed" in html
    assert [s.target for s in response.context["defect"].steps] == [
        "in_progress", "rejected", "deferred",
    ]  # fmt: skip
    assert len(response.context["transitions"]) == 2


def test_detail_of_another_program_is_404(program, manager, client_of):
    foreign = factories.make_defect(ProgramFactory())

    response = client_of(manager).get(url("defect_detail", program, key=foreign.key))

    assert response.status_code == 404


def test_create_keeps_the_input_on_error(program, manager, client_of):
    response = client_of(manager).post(
        url("defect_create", program),
        {"title": "", "description": "Steps: run F110", "severity": "1", "priority": "high"},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert "title" in form.errors
    assert "Steps: run F110</textarea>" in response.content.decode()
    assert Defect.objects.count() == 0


def test_create_refuses_another_programs_requirement(program, manager, client_of):
    foreign = factories.make_requirement(ProgramFactory())

    response = client_of(manager).post(
        url("defect_create", program),
        {"title": "X", "severity": "2", "priority": "medium", "requirement": foreign.pk},
    )

    assert response.status_code == 400
    assert "requirement" in response.context["form"].errors


def test_create_raises_and_redirects(program, manager, client_of):
    response = client_of(manager).post(
        url("defect_create", program),
        {"title": "Dunning letter in English", "severity": "3", "priority": "low"},
    )

    defect = Defect.objects.get()
    assert response.status_code == 302
    assert response["Location"] == defect.get_absolute_url()
    assert (defect.title, defect.severity, defect.status) == ("Dunning letter in English", 3, "new")


def test_viewers_cannot_raise_defects(program, client_of):
    viewer = member(program, Role.VIEWER).user

    response = client_of(viewer).post(url("defect_create", program), {"title": "X"})

    assert response.status_code == 403
    assert Defect.objects.count() == 0


def test_edit_shows_a_conflict_on_a_stale_version(program, manager, client_of):
    defect = raise_defect(program, manager)
    services.defect_update(actor=manager, defect=defect, expected_version=1, title="Renamed")

    response = client_of(manager).post(
        url("defect_edit", program, key=defect.key),
        {"title": "My title", "severity": "2", "priority": "medium", "version": "1"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "changed this while you were editing" in html
    assert 'value="My title"' in html
    assert Defect.objects.get(pk=defect.pk).title == "Renamed"


def test_edit_saves(program, manager, client_of):
    defect = raise_defect(program, manager)

    response = client_of(manager).post(
        url("defect_edit", program, key=defect.key),
        {"title": "Better title", "severity": "1", "priority": "urgent", "version": "1"},
    )

    assert response.status_code == 302
    defect.refresh_from_db()
    assert (defect.title, defect.severity, defect.priority, defect.version) == (
        "Better title", 1, "urgent", 2,
    )  # fmt: skip


def test_inline_status_shows_only_the_allowed_next_statuses(program, manager, client_of):
    defect = raise_defect(program, manager, owner=manager)

    response = client_of(manager).get(url("defect_status", program, key=defect.key), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tbody id="defect-{defect.key}"')
    for target in ("triaged", "rejected", "deferred"):
        assert f'value="{target}"' in html
    for target in ("in_progress", "fixed", "closed"):
        assert f'value="{target}"' not in html


def test_inline_status_prompts_for_what_the_step_needs(program, manager, client_of):
    defect = raise_defect(program, manager, owner=manager)
    services.defect_transition(actor=manager, defect=defect, to="triaged")
    services.defect_transition(actor=manager, defect=defect, to="in_progress")

    response = client_of(manager).get(
        url("defect_status", program, key=defect.key) + "?to=fixed", **HTMX
    )

    html = response.content.decode()
    assert 'name="resolution"' in html
    assert f'id="dfx-{defect.key}-resolution"' in html


def test_inline_status_change_answers_the_row(program, manager, client_of):
    defect = raise_defect(program, manager, owner=manager)

    response = client_of(manager).post(
        url("defect_status", program, key=defect.key),
        {"to": "triaged", "version": "1", "comment": "Agreed in the board"},
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "defects-changed"
    assert "Triaged" in response.content.decode()
    defect.refresh_from_db()
    assert defect.status == "triaged"
    assert defect.transitions.order_by("-id").first().comment == "Agreed in the board"


def test_inline_status_change_keeps_input_and_shows_the_reason(program, manager, client_of):
    defect = raise_defect(program, manager, owner=manager)
    services.defect_transition(actor=manager, defect=defect, to="rejected",
                               rejection_reason="cannot_reproduce")  # fmt: skip

    response = client_of(manager).post(
        url("defect_status", program, key=defect.key),
        {"to": "reopened", "version": "3", "comment": ""},
        **HTMX,
    )

    assert response.status_code == 400
    assert "comment" in response.context["form"].errors
    assert Defect.objects.get(pk=defect.pk).status == "rejected"


def test_inline_status_refusal_is_shown_in_the_row(program, manager, client_of):
    defect = raise_defect(program, manager, owner=manager, test_case=factories.make_case(program))
    for to, inputs in [("triaged", {}), ("in_progress", {}),
                       ("fixed", {"resolution": "Done", "fixed_in_build": "rc2"}),
                       ("retest", {})]:  # fmt: skip
        defect = services.defect_transition(actor=manager, defect=defect, to=to, **inputs)

    response = client_of(manager).post(
        url("defect_status", program, key=defect.key),
        {"to": "closed", "version": str(defect.version), "comment": "looks fine"},
        **HTMX,
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "record a passing run of TC-1" in html
    assert "looks fine" in html


def test_inline_status_without_htmx_goes_to_the_step_page(program, manager, client_of):
    defect = raise_defect(program, manager)

    response = client_of(manager).get(url("defect_status", program, key=defect.key) + "?to=triaged")

    assert response.status_code == 302
    assert response["Location"] == url("defect_transition", program, key=defect.key) + "?to=triaged"


def test_step_page_takes_the_step(program, manager, client_of):
    defect = raise_defect(program, manager, owner=manager)

    page = client_of(manager).get(url("defect_transition", program, key=defect.key) + "?to=triaged")
    response = client_of(manager).post(
        url("defect_transition", program, key=defect.key), {"to": "triaged", "version": "1"}
    )

    assert page.status_code == 200
    assert response.status_code == 302
    assert Defect.objects.get(pk=defect.pk).status == "triaged"


def test_step_in_the_modal_redirects_through_htmx(program, manager, client_of):
    defect = raise_defect(program, manager, owner=manager)

    response = client_of(manager).post(
        url("defect_transition", program, key=defect.key),
        {"to": "triaged", "version": "1"},
        **HTMX,
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == defect.get_absolute_url()


def test_step_page_refuses_an_illegal_move_with_the_next_steps(program, manager, client_of):
    defect = raise_defect(program, manager)

    response = client_of(manager).post(
        url("defect_transition", program, key=defect.key), {"to": "closed", "version": "1"}
    )

    assert response.status_code == 400
    assert "to" in response.context["form"].errors  # closed is not offered from new


def test_contributor_sees_no_reopen_of_a_closed_defect(program, manager, client_of):
    defect = raise_defect(program, manager)
    services.defect_transition(actor=manager, defect=defect, to="rejected",
                               rejection_reason="cannot_reproduce")  # fmt: skip
    contributor = member(program, Role.CONTRIBUTOR).user

    response = client_of(contributor).get(url("defect_detail", program, key=defect.key))

    assert response.context["defect"].steps == []
    assert "Only a program manager or coordinator can reopen" in response.content.decode()


def test_delete_by_the_reporter(program, client_of):
    reporter = member(program, Role.CONTRIBUTOR).user
    defect = raise_defect(program, reporter)

    response = client_of(reporter).post(
        url("defect_delete", program, key=defect.key), {"version": "1"}
    )

    assert response.status_code == 302
    assert not Defect.objects.filter(pk=defect.pk).exists()


def test_delete_refused_for_someone_else(program, manager, client_of):
    defect = raise_defect(program, manager)
    other = member(program, Role.CONTRIBUTOR).user

    response = client_of(other).post(url("defect_delete", program, key=defect.key), {})

    assert response.status_code == 302
    assert response["Location"] == defect.get_absolute_url()
    assert Defect.objects.filter(pk=defect.pk).exists()


def test_summary_partial(program, manager, client_of):
    raise_defect(program, manager, severity=1)

    response = client_of(manager).get(url("defect_summary", program), **HTMX)

    assert response.status_code == 200
    assert 'id="defect-summary"' in response.content.decode()


def test_summary_opened_as_a_page_goes_to_the_defect_list(program, manager, client_of):
    response = client_of(manager).get(url("defect_summary", program))

    assert response.status_code == 302
    assert response["Location"] == url("defect_list", program)
