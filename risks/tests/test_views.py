"""The RAID pages through the client: the log's tabs, filters, sorting, paging and inline edits;
create, edit, delete, review and raise-issue; detail with history; heat map, trend, overdue;
roles and the program boundary; bad input and stale versions; query counts."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from core.models import AuditEntry
from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from programs.tests.test_views import first_tag, form_values, logged_in, messages_of, page_text
from risks import selectors, services
from risks.models import Action, Issue, Risk
from risks.tests.factories import (
    fresh,
    make_action,
    make_assumption,
    make_dependency,
    make_issue,
    make_risk,
)
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def url(name: str, **kwargs) -> str:
    return reverse(f"risks:{name}", kwargs={"code": "ERP", **kwargs})


def row_keys(response) -> list[str]:
    return re.findall(r'<tr id="row-([A-Z]+-\d+)"', response.content.decode())


def rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def form_of(response, field: str = "version") -> dict:
    """The form's values as a browser would post them (an empty multi-select sends nothing)."""
    values = form_values(response, field=field)
    if values.get("wbs_items") == "":
        del values["wbs_items"]
    return values


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


@pytest.fixture
def contributor(program):
    return member(program, Role.CONTRIBUTOR, full_name="Ana Souza").user


@pytest.fixture
def log(program, manager, contributor):
    """Three open risks of different scores, a closed one, one of each other type."""
    finance = WorkstreamFactory(program=program, name="Finance")
    make_risk(program, title="Vendor data", probability=4, impact_cost=5, category="data",
              owner=contributor, workstream=finance)  # fmt: skip  # RSK-1 score 20
    make_risk(program, title="Key users", probability=2, impact_cost=2, impact_schedule=2,
              impact_scope=2, impact_quality=2, owner=manager)  # fmt: skip  # RSK-2 score 4
    make_risk(program, title="Bank certification", probability=3, owner=manager)  # RSK-3: 9
    closed = make_risk(program, title="Sandbox late", probability=5, impact_cost=5)
    services.risk_update(actor=manager, risk=closed, expected_version=1, status="closed")
    make_issue(program, title="SIT backlog", owner=contributor, due_date=dt.date(2020, 1, 1))
    make_assumption(program, title="Freeze accepted", owner=manager)
    make_dependency(program, title="Bank EBICS", owner=manager)
    make_action(program, title="Cleanse vendors", owner=contributor,
                subject=Risk.objects.get(key="RSK-1"))  # fmt: skip
    return finance


# --- the log ---------------------------------------------------------------------------------


def test_log_opens_on_the_risks_tab_with_open_risks_by_score(log, manager):
    response = logged_in(manager).get(url("raid_log"))

    assert response.status_code == 200
    assert row_keys(response) == ["RSK-1", "RSK-3", "RSK-2"]
    tabs = {t["raid_type"]: t["count"] for t in response.context["tabs"]}
    assert tabs == {"risks": 3, "issues": 1, "assumptions": 1, "dependencies": 1, "actions": 1}
    text = page_text(response)
    assert "New risk" in text and "Vendor data" in text and "Sandbox late" not in text


@pytest.mark.parametrize(
    ("name", "keys"),
    [("issue_list", ["ISS-1"]), ("assumption_list", ["ASM-1"]),
     ("dependency_list", ["DEP-1"]), ("action_list", ["ACT-1"])],
)  # fmt: skip
def test_each_type_has_its_tab(log, manager, name, keys):
    response = logged_in(manager).get(url(name))

    assert response.status_code == 200
    assert row_keys(response) == keys


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("state=closed", ["RSK-4"]),
        ("state=all", ["RSK-4", "RSK-1", "RSK-3", "RSK-2"]),
        ("q=bank", ["RSK-3"]),
        ("q=rsk-2", ["RSK-2"]),
        ("category=data", ["RSK-1"]),
        ("band=critical", ["RSK-1"]),
        ("band=medium", ["RSK-3"]),
        ("probability=4&impact=5", ["RSK-1"]),
        ("sort=score", ["RSK-2", "RSK-3", "RSK-1"]),
        ("sort=-key", ["RSK-3", "RSK-2", "RSK-1"]),
        ("sort=title", ["RSK-3", "RSK-2", "RSK-1"]),
        ("probability=9", ["RSK-1", "RSK-3", "RSK-2"]),  # a bad value is ignored on the page
    ],
)
def test_risk_filters_and_sorting(log, manager, query, keys):
    response = logged_in(manager).get(url("risk_list") + "?" + query)

    assert row_keys(response) == keys


def test_filter_by_owner_and_workstream(log, manager, contributor):
    client = logged_in(manager)

    assert row_keys(client.get(url("risk_list") + f"?owner={contributor.pk}")) == ["RSK-1"]
    assert row_keys(client.get(url("risk_list") + f"?workstream={log.pk}")) == ["RSK-1"]


def test_overdue_filter(log, manager):
    client = logged_in(manager)

    assert row_keys(client.get(url("issue_list") + "?overdue=true")) == ["ISS-1"]
    assert row_keys(client.get(url("issue_list") + "?overdue=false")) == []


def test_keys_sort_as_numbers(program, manager):
    for n in range(11):
        make_risk(program, title=f"Risk {n}")

    response = logged_in(manager).get(url("risk_list") + "?sort=key")

    assert row_keys(response)[:3] == ["RSK-1", "RSK-2", "RSK-3"]
    assert row_keys(response)[-1] == "RSK-11"


def test_paging_fifty_rows_a_page(program, manager):
    for n in range(52):
        make_risk(program, title=f"Risk {n}")
    client = logged_in(manager)

    first = client.get(url("risk_list") + "?sort=key")
    second = client.get(url("risk_list") + "?sort=key&page=2")

    assert len(row_keys(first)) == 50
    assert row_keys(second) == ["RSK-51", "RSK-52"]
    assert "Showing <strong>51</strong>\u2013<strong>52</strong>" in second.content.decode()


def test_htmx_filtering_returns_only_the_table(log, manager):
    response = logged_in(manager).get(url("risk_list") + "?q=vendor", headers=HX)

    assert first_tag(response) == ("div", "raid-table")
    assert row_keys(response) == ["RSK-1"]


def test_heat_map_cell_filter_shows_as_a_removable_chip(log, manager):
    response = logged_in(manager).get(url("risk_list") + "?probability=4&impact=5&state=open")

    chips = response.context["chips"]
    assert [(c["key"], c["value"]) for c in chips] == [("probability", "4"), ("impact", "5")]
    assert chips[0]["remove_url"] == "?state=open&impact=5"


def test_empty_states(program, manager):
    client = logged_in(manager)

    empty = page_text(client.get(url("risk_list")))
    nothing = page_text(client.get(url("risk_list") + "?q=zzz"))

    assert "No open risks" in empty and "New risk" in empty
    assert "Nothing matches these filters" in nothing and "Clear filters" in nothing


# --- roles -----------------------------------------------------------------------------------


def test_contributor_gets_editors_only_on_own_rows(log, contributor):
    response = logged_in(contributor).get(url("risk_list"))
    html = response.content.decode()

    assert 'aria-label="Edit RSK-1 in place"' in html
    assert 'aria-label="Edit RSK-3 in place"' not in html
    assert "Only its owner can edit RSK-3" in html
    assert logged_in(contributor).get(url("risk_inline", key="RSK-3")).status_code == 403
    assert logged_in(contributor).get(url("risk_edit", key="RSK-3")).status_code == 403


def test_viewer_reads_but_cannot_edit_and_vendor_and_strangers_are_kept_out(log, program):
    viewer = member(program, Role.VIEWER).user
    vendor = member(program, Role.VENDOR).user
    stranger = member(ProgramFactory(code="CRM"), Role.MANAGER).user

    page = logged_in(viewer).get(url("risk_list"))
    assert page.status_code == 200
    assert "data-row-edit" not in page.content.decode() and "New risk" not in page_text(page)
    assert logged_in(viewer).get(url("risk_create")).status_code == 403
    assert logged_in(vendor).get(url("raid_log")).status_code == 403
    assert logged_in(stranger).get(url("raid_log")).status_code == 404
    assert logged_in(stranger).get(url("risk_detail", key="RSK-1")).status_code == 404


def test_unknown_key_is_404(log, manager):
    assert logged_in(manager).get(url("risk_detail", key="RSK-99")).status_code == 404
    assert logged_in(manager).get(url("issue_detail", key="RSK-1")).status_code == 404


# --- inline edit -----------------------------------------------------------------------------


def test_inline_edit_get_returns_the_row_editor_with_the_version(log, manager):
    response = logged_in(manager).get(url("risk_inline", key="RSK-2"), headers=HX)

    assert first_tag(response) == ("tr", "row-RSK-2")
    values = form_values(response)
    assert values["version"] == "1"
    assert values["title"] == "Key users"


def test_inline_edit_saves_and_swaps_the_row_back(log, manager):
    client = logged_in(manager)
    values = form_values(client.get(url("risk_inline", key="RSK-2"), headers=HX))
    values.update(probability="5", impact_cost="4")

    response = client.post(url("risk_inline", key="RSK-2"), values, headers=HX)

    assert response.status_code == 200
    assert first_tag(response) == ("tr", "row-RSK-2")
    assert json.loads(response["HX-Trigger"]) == {"raid-saved": {"key": "RSK-2"}}
    risk = Risk.objects.get(key="RSK-2")
    assert (risk.probability, risk.impact, risk.score, risk.version) == (5, 4, 20, 2)
    assert ">20</span>" in response.content.decode()


def test_inline_edit_with_a_rating_out_of_range_is_refused_and_keeps_input(log, manager):
    client = logged_in(manager)
    values = form_values(client.get(url("risk_inline", key="RSK-2"), headers=HX))
    values.update(probability="7", title="Key users (edited)")
    before = rows(Risk)

    response = client.post(url("risk_inline", key="RSK-2"), values, headers=HX)

    assert response.status_code == 422
    assert "Choose a rating from 1 to 5." in page_text(response)
    assert form_values(response)["title"] == "Key users (edited)"
    assert rows(Risk) == before


def test_inline_edit_on_a_stale_row_shows_the_conflict_and_changes_nothing(log, manager):
    client = logged_in(manager)
    values = form_values(client.get(url("risk_inline", key="RSK-2"), headers=HX))
    risk = Risk.objects.get(key="RSK-2")
    services.risk_update(actor=manager, risk=risk, expected_version=1, title="Key users away")
    values.update(probability="3")
    before = rows(Risk)

    response = client.post(url("risk_inline", key="RSK-2"), values, headers=HX)

    assert response.status_code == 422
    text = page_text(response)
    assert "changed this while you were editing (Title: Key users → Key users away)" in text
    assert form_values(response)["version"] == "2"
    assert form_values(response)["title"] == "Key users away"  # theirs, since we left it
    assert rows(Risk) == before


# --- create, edit, delete --------------------------------------------------------------------


def test_create_a_risk_with_links(program, manager):
    item = ItemFactory(program=program, name="Mock load")
    client = logged_in(manager)
    form = form_of(client.get(url("risk_create")), field="title")
    form.update(title="Load rules", probability="4", impact_cost="5", cost_impact_amount="1000",
                wbs_items=[str(item.pk)])  # fmt: skip

    response = client.post(url("risk_create"), form)

    risk = Risk.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("risk_detail", key="RSK-1")
    assert (risk.title, risk.score, risk.emv, risk.owner) == (
        "Load rules", 20, Decimal("700.00"), manager,
    )  # fmt: skip
    assert list(risk.wbs_items.all()) == [item]
    assert messages_of(response) == ["RSK-1 Load rules created."]


def test_create_with_bad_input_keeps_what_was_typed_and_creates_nothing(program, manager):
    client = logged_in(manager)
    form = form_of(client.get(url("risk_create")), field="title")
    form.update(title="Load rules", probability="9", residual_probability="2",
                cost_impact_amount="-5")  # fmt: skip

    response = client.post(url("risk_create"), form)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["probability"] == ["Choose a rating from 1 to 5."]
    assert errors["residual_impact"] == [
        "Give both residual probability and residual impact, or neither."
    ]
    assert "cost_impact_amount" in errors
    assert form_values(response, field="title")["title"] == "Load rules"
    assert rows(Risk) == []


def test_action_created_on_an_item_from_the_modal(log, manager):
    client = logged_in(manager)
    form = form_of(client.get(url("action_create") + "?on=RSK-3", headers=HX), field="title")
    assert form["on"] == "RSK-3"
    form.update(title="Book certification slots", due_date="2026-12-01")

    response = client.post(url("action_create"), form, headers=HX)

    assert response.status_code == 204
    assert response["HX-Redirect"] == url("risk_detail", key="RSK-3") + "#actions"
    action = Action.objects.get(title="Book certification slots")
    assert (action.subject_key, action.subject) == ("RSK-3", Risk.objects.get(key="RSK-3"))


def test_edit_page_saves_and_reports_a_conflict(log, manager):
    client = logged_in(manager)
    form = form_of(client.get(url("issue_edit", key="ISS-1")))
    issue = Issue.objects.get(key="ISS-1")
    services.issue_update(actor=manager, issue=issue, expected_version=1, severity=4)
    form.update(resolution="Fixed by the SI")

    stale = client.post(url("issue_edit", key="ISS-1"), form)
    assert stale.status_code == 400
    assert "Someone else saved a change while you were editing" in text_of(stale)
    assert fresh(issue).resolution == ""

    again = client.post(url("issue_edit", key="ISS-1"), form_of(stale))
    assert again.status_code == 302
    issue = fresh(issue)
    assert (issue.resolution, issue.severity, issue.version) == ("Fixed by the SI", 4, 3)


def test_dependency_form_needs_exactly_one_party_per_side(program, manager):
    client = logged_in(manager)
    form = form_of(client.get(url("dependency_create")), field="title")
    form.update(title="Bank", giver_external="House bank", receiver_external="")

    response = client.post(url("dependency_create"), form)

    assert response.status_code == 400
    assert response.context["form"].errors["receiver_program"] == [
        "Name exactly one receiver: another program, a workstream or an external party."
    ]


def test_delete_removes_the_item_and_goes_back_to_its_list(log, manager):
    client = logged_in(manager)
    assert client.get(url("assumption_delete", key="ASM-1")).status_code == 200

    response = client.post(url("assumption_delete", key="ASM-1"), {"version": "1"})

    assert response.status_code == 302
    assert response["Location"] == url("assumption_list")
    assert row_keys(client.get(url("assumption_list"))) == []


# --- detail, review, raise issue -------------------------------------------------------------


def test_detail_shows_statement_actions_links_and_history(program, manager):
    item = ItemFactory(program=program, name="Mock load 2")
    risk = make_risk(program, title="Load fails", cause="Duplicates", event="loads fail",
                     effect="cut-over slips", wbs_items=[item])  # fmt: skip
    make_action(program, subject=risk, title="Cleanse vendors")
    services.risk_update(actor=manager, risk=risk, expected_version=1, probability=5)

    response = logged_in(manager).get(url("risk_detail", key="RSK-1"))

    text = text_of(response)
    assert "Because of Duplicates , there is a risk that loads fail , which would lead to" in text
    assert "Cleanse vendors" in text and "Mock load 2" in text
    assert [e.action for e in response.context["history"]] == ["update", "create"]


def test_review_from_the_detail_page(program, manager):
    risk = make_risk(program, probability=4)
    client = logged_in(manager)
    form = form_values(client.get(url("risk_detail", key="RSK-1")), field="next_review")
    next_review = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    form.update(probability="2", next_review=next_review)

    response = client.post(url("risk_review", key="RSK-1"), form)

    assert response.status_code == 302
    risk = fresh(risk)
    assert (risk.probability, risk.review_date.isoformat()) == (2, next_review)
    assert risk.last_reviewed_on is not None


def test_review_with_bad_input_re_renders_the_detail_page(program, manager):
    risk = make_risk(program, probability=4)
    client = logged_in(manager)
    form = form_values(client.get(url("risk_detail", key="RSK-1")), field="next_review")
    form.update(next_review="2000-01-01")

    response = client.post(url("risk_review", key="RSK-1"), form)

    assert response.status_code == 400
    assert response.context["review_form"].errors["next_review"] == [
        "The next review must be after today."
    ]
    assert fresh(risk).last_reviewed_on is None


def test_raise_an_issue_from_a_risk(log, manager):
    client = logged_in(manager)
    form = form_values(client.get(url("risk_raise_issue", key="RSK-3")), field="title")

    response = client.post(url("risk_raise_issue", key="RSK-3"), form)

    issue = Issue.objects.get(raised_from_risk__key="RSK-3")
    assert response["Location"] == url("issue_detail", key=issue.key)
    assert Risk.objects.get(key="RSK-3").status == "occurred"


def test_action_subject_link_goes_to_the_subject(log, manager):
    response = logged_in(manager).get(url("action_subject", key="ACT-1"))

    assert response["Location"] == url("risk_detail", key="RSK-1")


# --- heat map, trend, overdue ----------------------------------------------------------------


def test_heat_map_counts_open_risks_in_one_query(log, program, django_assert_num_queries):
    with django_assert_num_queries(1):
        maps = selectors.risk_heatmap(program=program)

    grid = {(c.probability, c.impact): c.count for row in maps.current.rows for c in row}
    assert (grid[(4, 5)], grid[(2, 2)], grid[(3, 3)], grid[(5, 5)]) == (1, 1, 1, 0)
    assert maps.current.total == 3
    assert maps.residual.assessed == 0


def test_heat_map_page_cells_link_to_the_filtered_list(log, manager):
    response = logged_in(manager).get(url("heat_map"))

    html = response.content.decode()
    link = url("risk_list") + "?state=open&amp;probability=4&amp;impact=5"
    assert f'href="{link}"' in html
    assert response.context["figures"] == {
        "open": 3,
        "exposure": 33,
        "contingency_reserve": Decimal("0.00"),
    }


def test_trend_shows_snapshots_and_the_table(log, program, manager):
    services.risk_snapshot_take(program=program, week=dt.date(2026, 11, 9))
    services.risk_snapshot_take(program=program, week=dt.date(2026, 11, 16))

    response = logged_in(manager).get(url("trend"))

    assert response.context["trend"]["exposure"] == [33, 33]
    assert response.context["trend"]["weeks"] == ["2026-11-09", "2026-11-16"]
    assert 'id="raid-trend-data"' in response.content.decode()
    assert "16 Nov 2026" in page_text(response)


def test_trend_without_snapshots_explains_itself(program, manager):
    assert "No snapshots yet" in page_text(logged_in(manager).get(url("trend")))


def test_manager_takes_this_weeks_snapshot(program, manager):
    make_risk(program)

    response = logged_in(manager).post(url("snapshot_take"))

    assert response["Location"] == url("trend")
    assert program.risk_snapshots.get().total_exposure == 9


def test_overdue_page_lists_late_and_escalated_items(log, program, manager):
    escalated = make_action(program, title="Escalated but not late")
    services.action_update(actor=None, action=escalated, expected_version=1, escalation_level=2)

    response = logged_in(manager).get(url("overdue"))

    sections = {s.raid_type: [r["key"] for r in s.rows] for s in response.context["sections"]}
    assert sections["issues"] == ["ISS-1"]
    assert sections["actions"] == [escalated.key]
    assert response.context["total"] == 2


# --- query counts ----------------------------------------------------------------------------


def _rows_of(kind: str, program, owner, n: int) -> None:
    ws = WorkstreamFactory(program=program, name="Ops")
    item = ItemFactory(program=program, name="Build")
    for i in range(n):
        common = {"owner": owner, "workstream": ws, "wbs_items": [item]}
        if kind == "risk":
            make_risk(program, title=f"R{i}", residual_probability=2, residual_impact=2, **common)
        elif kind == "issue":
            make_issue(program, title=f"I{i}", due_date=dt.date(2020, 1, 1), **common)
        elif kind == "assumption":
            make_assumption(program, title=f"A{i}", **common)
        elif kind == "dependency":
            make_dependency(program, title=f"D{i}", giver_workstream=ws, **common)
        else:
            make_action(program, title=f"X{i}", subject=make_risk(program), **common)


LIST_QUERIES = 12


@pytest.mark.parametrize("kind", ["risk", "issue", "assumption", "dependency", "action"])
@pytest.mark.parametrize("n", [1, 3])
def test_list_page_queries_do_not_grow_with_rows(
    kind, n, program, manager, django_assert_num_queries
):
    _rows_of(kind, program, member(program, Role.CONTRIBUTOR).user, n)
    client = logged_in(manager)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url(f"{kind}_list"))

    assert len(row_keys(response)) == n


@pytest.mark.parametrize("n", [1, 3])
def test_overdue_heat_map_and_trend_queries_do_not_grow(n, program, manager, count_queries):
    owner = member(program, Role.CONTRIBUTOR).user
    _rows_of("risk", program, owner, n)
    for i in range(n):
        make_issue(program, title=f"Late {i}", due_date=dt.date(2020, 1, 1), owner=owner)
        make_action(program, title=f"Late {i}", due_date=dt.date(2020, 1, 1), owner=owner)
        week = dt.date(2026, 1, 5) + dt.timedelta(weeks=i)
        services.risk_snapshot_take(program=program, week=week)
    client = logged_in(manager)
    counts = {}
    for name in ("overdue", "heat_map", "trend"):
        with count_queries() as ctx:
            assert client.get(url(name)).status_code == 200
        counts[name] = len(ctx.captured_queries)

    assert counts == {"overdue": 11, "heat_map": 9, "trend": 8}


def test_refused_posts_change_nothing(log, program):
    viewer = member(program, Role.VIEWER).user
    client = logged_in(viewer)
    before = (rows(Risk), AuditEntry.objects.count())

    names = [("risk_create", {}), ("risk_inline", {"key": "RSK-1"}),
             ("risk_delete", {"key": "RSK-1"}), ("risk_review", {"key": "RSK-1"})]  # fmt: skip
    for name, kwargs in names:
        assert client.post(url(name, **kwargs), {"title": "x", "version": "1"}).status_code == 403

    assert (rows(Risk), AuditEntry.objects.count()) == before


# --- actions on other apps' objects ----------------------------------------------------------


def test_action_on_another_apps_object_by_reference(log, program, manager):
    ws = log  # a workstream: it has a program and a key, like a change request or a decision
    client = logged_in(manager)
    ref = f"programs.workstream:{ws.pk}"
    form = form_of(client.get(url("action_create") + f"?on={ref}", headers=HX), field="title")
    assert form["on"] == ref
    form.update(title="Brief the finance team")

    response = client.post(url("action_create"), form, headers=HX)

    action = Action.objects.get(title="Brief the finance team")
    assert response["HX-Redirect"] == ws.get_absolute_url() + "#actions"
    assert (action.subject, action.subject_key) == (ws, ws.key)


@pytest.mark.parametrize(
    "ref", ["programs.workstream:999999", "core.user:1", "nope.nothing:1", "RSK-99", "ACT-1"]
)
def test_action_on_an_unknown_or_foreign_subject_is_404(log, manager, ref):
    other = WorkstreamFactory(program=ProgramFactory(code="CRM"), name="Sales")
    ref = ref.replace("999999", str(other.pk))

    assert logged_in(manager).get(url("action_create") + f"?on={ref}").status_code == 404


def test_subject_actions_card_for_other_apps(log, program, manager):
    ws = log
    make_action(program, subject=ws, title="Brief the team")

    html = render_to_string(
        "risks/_subject_actions.html",
        {"subject": ws, "actions": list(selectors.action_list_for_subject(subject=ws)),
         "can_add": True},
    )  # fmt: skip

    assert "Brief the team" in html
    assert f"?on=programs.workstream%3A{ws.pk}" in html
