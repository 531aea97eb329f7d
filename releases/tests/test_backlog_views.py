"""Backlog pages through the client: the list (filters, inline status, flat queries), an item,
its forms (input kept, scores as a select), dependencies refused with the chain, the grooming
view (lead may reorder and plan, others read-only, flat queries, capacity warned), iterations
(form, close) and 404 for other programs' rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.tests.factories import ProgramFactory
from releases.models import BacklogItem, Iteration
from releases.services import backlog as services
from releases.tests.backlog_factories import (
    client,
    item,
    iteration,
    make_backlog,
    ranked,
    scored,
)

pytestmark = pytest.mark.django_db
BASE = "/programs/ERP/releases/backlog/"
MON = dt.date(2026, 11, 2)


@pytest.fixture
def bl(program):
    return make_backlog(program)


def _grow(bl, n: int, sprint) -> None:
    """n more items with dependencies both ways, across teams, planned, assigned, linked."""
    from releases.tests.factories import make_requirement

    requirement = make_requirement(bl.program)
    for _ in range(n):
        other = item(bl, bl.integration, iteration=None, assignee=bl.manager)
        row = scored(bl, 8, 3, iteration=sprint, assignee=bl.lead, requirements=[requirement])
        services.backlog_dependency_add(actor=bl.manager, item=row, depends_on=other)


def _queries(c, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_rows(bl):
    sprint = iteration(bl, "FI 1", MON, workstream=bl.finance)
    c = client(bl.manager)
    _grow(bl, 1, sprint)
    small = _queries(c, BASE)
    _grow(bl, 6, sprint)

    assert _queries(c, BASE) == small


def test_grooming_queries_do_not_grow_with_rows(bl):
    sprint = iteration(bl, "FI 1", MON, workstream=bl.finance)
    c = client(bl.manager)
    url = f"{BASE}grooming/?workstream={bl.finance.key}"
    _grow(bl, 1, sprint)
    small = _queries(c, url)
    _grow(bl, 6, sprint)

    assert _queries(c, url) == small


def test_list_filters_and_flags(bl):
    needed = item(bl, bl.integration, title="Bank interface")
    row = item(bl, title="Load balances", kind="bug", priority="must")
    item(bl, title="Unrelated story")
    services.backlog_dependency_add(actor=bl.manager, item=row, depends_on=needed)
    c = client(bl.viewer)

    html = c.get(BASE + "?cross_team=true").content.decode()
    assert "Load balances" in html and "Bank interface" in html
    assert "Unrelated story" not in html
    assert "Needs Integration" in html and "Needed by Finance" in html
    assert "Unrelated story" not in c.get(BASE + "?kind=bug").content.decode()
    partial = c.get(BASE + "?q=balances", HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="backlog-table"')


def test_list_filter_choices_are_scoped_to_the_program(bl):
    other = make_backlog(ProgramFactory(code="OTH"))
    iteration(other, "Secret sprint", MON)

    html = client(bl.manager).get(BASE).content.decode()

    assert "Secret sprint" not in html
    assert other.finance.key not in html or "Integration" in html


def test_inline_status_change_answers_the_row(bl):
    row = item(bl)
    c = client(bl.contributor)

    response = c.post(f"{BASE}{row.key}/status/", {"status": "in_progress", "version": 1},
                      HTTP_HX_REQUEST="true")  # fmt: skip

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith(f'<tr id="item-{row.key}"')
    row.refresh_from_db()
    assert row.status == "in_progress"
    stale = c.post(f"{BASE}{row.key}/status/", {"status": "done", "version": 1},
                   HTTP_HX_REQUEST="true")  # fmt: skip
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    row.refresh_from_db()
    assert row.status == "in_progress"


def test_viewer_cannot_change_status(bl):
    row = item(bl)

    assert client(bl.viewer).post(f"{BASE}{row.key}/status/", {"status": "done"}).status_code == 403


def test_create_form_keeps_input_and_explains_scores(bl):
    c = client(bl.manager)
    page = c.get(BASE + "new/").content.decode()
    assert '<option value="13">13</option>' in page and "cost of delay ÷ job size" in page

    response = c.post(BASE + "new/", {"title": "", "workstream": bl.finance.pk, "kind": "story",
                                      "status": "new", "priority": "must", "business_value": "8",
                                      "description": "Keep me"})  # fmt: skip
    assert response.status_code == 400
    assert "Keep me" in response.content.decode()
    assert response.context["form"]["business_value"].value() == "8"

    done = c.post(BASE + "new/", {"title": "Parallel ledgers", "workstream": bl.finance.pk,
                                  "kind": "story", "status": "new", "priority": "must",
                                  "business_value": "8", "time_criticality": "5",
                                  "risk_reduction": "3", "job_size": "2"})  # fmt: skip
    created = BacklogItem.objects.get(title="Parallel ledgers")
    assert done.status_code == 302 and created.wsjf == Decimal("8.00")


def test_create_refuses_another_workstreams_iteration_on_the_field(bl):
    theirs = iteration(bl, "INT 1", MON, workstream=bl.integration)

    response = client(bl.manager).post(BASE + "new/", {
        "title": "X", "workstream": bl.finance.pk, "kind": "story", "status": "new",
        "priority": "must", "iteration": theirs.pk,
    })  # fmt: skip

    assert response.status_code == 400
    assert "belongs to Integration" in str(response.context["form"].errors["iteration"])


def test_edit_with_a_stale_version_shows_the_conflict(bl):
    row = item(bl, title="Mine")
    services.backlog_item_update(actor=bl.manager, item=row, expected_version=1, title="Theirs")

    response = client(bl.manager).post(f"{BASE}{row.key}/edit/", {
        "title": "Mine again", "workstream": bl.finance.pk, "kind": "story", "status": "new",
        "priority": "should", "version": 1,
    })  # fmt: skip

    assert response.status_code == 409
    assert "changed this while you were editing" in response.content.decode()


def test_detail_shows_wsjf_breakdown_and_dependencies_both_ways(bl):
    interface = item(bl, bl.integration, title="Bank interface")
    row = scored(bl, 13, 5, title="Load bank balances")
    later = item(bl, title="Reconcile")
    services.backlog_dependency_add(actor=bl.manager, item=row, depends_on=interface)
    services.backlog_dependency_add(actor=bl.manager, item=later, depends_on=row)

    html = client(bl.viewer).get(f"{BASE}{row.key}/").content.decode()

    assert "3.00" in html and "cost of delay" in html  # (13 + 1 + 1) / 5
    assert "Cross-team: Integration" in html
    assert later.key in html and "Needed by" in html


def test_dependency_cycle_is_refused_on_the_page_with_the_chain(bl):
    a, b = item(bl), item(bl)
    services.backlog_dependency_add(actor=bl.manager, item=a, depends_on=b)

    response = client(bl.manager).post(f"{BASE}{b.key}/dependencies/", {"depends_on": a.pk})

    assert response.status_code == 400
    assert f"({b.key} → {a.key} → {b.key})" in response.content.decode()
    assert not b.depends_on.exists()


def test_other_programs_items_are_404(bl):
    other = make_backlog(ProgramFactory(code="OTH"))
    theirs = item(other)

    assert client(bl.manager).get(f"{BASE}{theirs.key}X/").status_code == 404
    foreign = f"/programs/OTH/releases/backlog/{theirs.key}/"
    assert client(bl.manager).get(foreign).status_code == 404


# --- grooming -----------------------------------------------------------------------------------


def test_lead_reorders_own_workstream_with_htmx(bl):
    a, b = item(bl), item(bl)
    c = client(bl.lead)

    response = c.post(f"{BASE}{b.key}/move/", {"direction": "up"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="grooming" data-moved="'
                                                         f'{b.key}"')  # fmt: skip
    assert ranked(bl.finance) == [b.key, a.key]


def test_lead_cannot_reorder_another_workstream_nor_can_a_contributor(bl):
    a, b = item(bl, bl.integration), item(bl, bl.integration)
    mine = item(bl)

    assert client(bl.lead).post(f"{BASE}{b.key}/move/", {"direction": "up"}).status_code == 403
    assert client(bl.contributor).post(f"{BASE}{mine.key}/move/",
                                       {"direction": "top"}).status_code == 403  # fmt: skip
    assert ranked(bl.integration) == [a.key, b.key]


def test_grooming_is_read_only_for_those_who_cannot_groom(bl):
    item(bl)
    url = f"{BASE}grooming/?workstream={bl.finance.key}"

    viewer = client(bl.viewer).get(url).content.decode()
    lead = client(bl.lead).get(url).content.decode()

    assert "Read-only" in viewer and 'name="direction"' not in viewer
    assert "Read-only" not in lead and 'name="direction"' in lead


def test_assign_inline_and_capacity_warning(bl):
    sprint = iteration(bl, "FI 1", MON, workstream=bl.finance, capacity=Decimal("5"))
    item(bl, estimate=Decimal("3"), iteration=sprint)
    row = item(bl, estimate=Decimal("5"))

    response = client(bl.lead).post(f"{BASE}{row.key}/assign/", {"iteration": sprint.pk},
                                    HTTP_HX_REQUEST="true")  # fmt: skip

    row.refresh_from_db()
    assert row.iteration == sprint
    assert "8 of 5 points" in response.content.decode() and "over by 3" in response.content.decode()


def test_assign_to_another_workstreams_iteration_answers_the_reason(bl):
    theirs = iteration(bl, "INT 1", MON, workstream=bl.integration)
    row = item(bl)

    response = client(bl.manager).post(f"{BASE}{row.key}/assign/", {"iteration": theirs.pk},
                                       HTTP_HX_REQUEST="true")  # fmt: skip

    assert response.status_code == 409 and "belongs to Integration" in response.content.decode()


def test_rank_by_wsjf_button(bl):
    low, high = scored(bl, 1, 8), scored(bl, 13, 2)

    response = client(bl.lead).post(f"{BASE}grooming/rank-by-wsjf/",
                                    {"workstream": bl.finance.key})  # fmt: skip

    assert response.status_code == 302
    assert ranked(bl.finance) == [high.key, low.key]


def test_grooming_wsjf_order_and_cross_team_named(bl):
    low, high = scored(bl, 1, 8, title="Low"), scored(bl, 13, 2, title="High")
    needed = item(bl, bl.integration, title="Interface")
    services.backlog_dependency_add(actor=bl.manager, item=low, depends_on=needed)

    html = (
        client(bl.viewer)
        .get(f"{BASE}grooming/?workstream={bl.finance.key}&order=wsjf")
        .content.decode()
    )

    assert html.index(high.key) < html.index(low.key)
    assert "Needs Integration · " + needed.key in html


# --- iterations ---------------------------------------------------------------------------------


def test_iteration_form_keeps_input_when_dates_are_backwards(bl):
    response = client(bl.manager).post(BASE + "iterations/new/", {
        "name": "FI Sprint 9", "start_date": "2026-11-16", "end_date": "2026-11-02",
        "status": "planned",
    })  # fmt: skip

    assert response.status_code == 400
    assert "on or after the start date" in response.content.decode()
    assert 'value="FI Sprint 9"' in response.content.decode()


def test_close_iteration_moves_open_items(bl):
    one = iteration(bl, "FI 1", MON, workstream=bl.finance)
    two = iteration(bl, "FI 2", MON + dt.timedelta(days=14), workstream=bl.finance)
    row = item(bl, iteration=one)
    c = client(bl.manager)

    page = c.get(f"{BASE}iterations/{one.pk}/close/")
    assert page.context["form"]["move_to"].value() == two.pk
    response = c.post(f"{BASE}iterations/{one.pk}/close/", {"version": 1, "move_to": two.pk})

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.iteration == two
    assert Iteration.objects.get(pk=one.pk).status == "closed"


def test_iterations_list_warns_over_capacity(bl):
    sprint = iteration(bl, "FI 1", MON, workstream=bl.finance, capacity=Decimal("2"))
    item(bl, estimate=Decimal("5"), iteration=sprint)

    html = client(bl.viewer).get(BASE + "iterations/").content.decode()

    assert "5 / 2 pts" in html and "+3" in html
