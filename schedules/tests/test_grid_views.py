"""The WBS grid and the item and link pages through the client: outline, filters, inline edits,
moves, bulk edits, stale versions, bad input, the program boundary and query counts."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from programs.tests.test_views import first_tag, form_values, logged_in, messages_of, page_text
from schedules import services
from schedules.filtersets import ItemFilterSet
from schedules.models import Constraint, Dependency, Item, ItemKind, ItemStatus
from schedules.selectors.grid import item_grid_rows
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
MONDAY = dt.date(2026, 1, 5)  # the programs' start date in the factories


def url(name: str, **kwargs) -> str:
    return reverse(f"schedules:{name}", kwargs={"code": "ERP", **kwargs})


def row_keys(response) -> list[str]:
    return re.findall(r'<tr id="item-(TSK-\d+)"', response.content.decode())


@pytest.fixture
def plan(program, manager):
    """1 Build > 1.1 Design, 1.2 Code; 2 Go-live (milestone). Design -> Code -> Go-live."""
    build = ItemFactory(program=program, name="Build")
    design = ItemFactory(program=program, name="Design", parent=build, duration_minutes=days(3))
    code = ItemFactory(program=program, name="Code", parent=build, duration_minutes=days(5))
    golive = ItemFactory(program=program, name="Go-live", kind=ItemKind.MILESTONE)
    link(design, code)
    link(code, golive)
    return {i.name: Item.objects.get(pk=i.pk) for i in (build, design, code, golive)}


def fresh(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


# --- the grid ---------------------------------------------------------------------------------


def test_grid_shows_the_outline_in_order_with_codes_depth_and_kinds(plan, manager):
    response = logged_in(manager).get(url("grid"))

    assert response.status_code == 200
    assert row_keys(response) == ["TSK-1", "TSK-2", "TSK-3", "TSK-4"]
    html = response.content.decode()
    assert re.search(r'class="wbs-name wbs-depth-1">\s*<span class="wbs-toggle-space"', html)
    assert 'class="wbs-name wbs-depth-0">' in html
    assert 'class="wbs-row wbs-summary' in html  # the summary row is styled (bold) and collapsible
    assert 'data-toggle aria-expanded="true" aria-label="Collapse 1 Build"' in html
    assert 'title="Milestone"' in html
    text = page_text(response)
    assert "1.2" in text and "Go-live" in text
    # Design 3 days from Mon 5 Jan, then Code 5 days: the summary spans 8 working days.
    assert fresh(plan["Code"]).finish == dt.date(2026, 1, 14)
    assert response.context["page_obj"][0].span_days == 8


def test_grid_htmx_filter_answers_the_table_only(plan, manager):
    response = logged_in(manager).get(url("grid") + "?q=code", headers=HX)

    assert response.status_code == 200
    assert first_tag(response) == ("div", "grid-table")
    assert "<html" not in response.content.decode()
    assert row_keys(response) == ["TSK-3"]


def test_grid_filters_by_workstream_owner_status_and_critical(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    ana = member(program, Role.CONTRIBUTOR, full_name="Ana").user
    a = ItemFactory(program=program, name="Ledger", workstream=ws, owner=ana)
    b = ItemFactory(program=program, name="Payroll", duration_minutes=days(1))
    services.item_update(actor=manager, item=b, expected_version=None, status="on_hold")
    client = logged_in(manager)

    def keys(query):
        return row_keys(client.get(url("grid") + "?" + query))

    assert keys(f"workstream={ws.pk}") == [a.key]
    assert keys(f"owner={ana.pk}") == [a.key]
    assert keys("status=on_hold") == [b.key]
    assert keys("critical=true") == [a.key]  # the longer of two parallel tasks
    assert keys("critical=false") == [b.key]
    assert keys("q=nothing-like-this") == []
    assert "No items match these filters" in page_text(client.get(url("grid") + "?q=zzz"))


@time_machine.travel(dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC), tick=False)
def test_late_means_past_deadline_overdue_or_behind_the_current_baseline(program, manager):
    on_time = ItemFactory(program=program, name="On time", duration_minutes=days(20))
    missed = ItemFactory(
        program=program, name="Missed deadline", duration_minutes=days(5), deadline=MONDAY
    )
    overdue = ItemFactory(program=program, name="Overdue", duration_minutes=days(2))
    done = ItemFactory(program=program, name="Done", duration_minutes=days(2))
    services.item_update(actor=manager, item=done, expected_version=None, percent_complete=100)
    slipping = ItemFactory(program=program, name="Slipping", duration_minutes=days(15))
    services.baseline_create(actor=manager, program=program, name="Plan")
    services.item_update(
        actor=manager, item=slipping, expected_version=None, duration_minutes=days(18)
    )

    def late(value):
        f = ItemFilterSet(
            {"late": value}, queryset=item_grid_rows(program=program), program=program
        )
        return sorted(i.name for i in f.qs)

    assert fresh(overdue).finish == dt.date(2026, 1, 6)
    assert late("true") == ["Missed deadline", "Overdue", "Slipping"]
    assert late("false") == ["Done", "On time"]
    assert {i.name: i.is_late for i in item_grid_rows(program=program)} == {
        "On time": False, "Missed deadline": True, "Overdue": True, "Done": False,
        "Slipping": True,
    }  # fmt: skip
    assert on_time.pk and missed.pk


def test_filter_choices_are_scoped_to_the_program(program, manager):
    WorkstreamFactory(program=program, name="Ours")
    other = ProgramFactory(code="OTH")
    WorkstreamFactory(program=other, name="Theirs")
    stranger = member(other, Role.CONTRIBUTOR, full_name="Stranger").user

    text = page_text(logged_in(manager).get(url("grid")))

    assert "Ours" in text
    assert "Theirs" not in text
    assert "Stranger" not in text
    response = logged_in(manager).get(url("grid") + f"?owner={stranger.pk}")
    assert response.status_code == 200
    assert response.context["filter"].errors  # not a choice here: no rows leak
    assert row_keys(response) == []


def test_grid_empty_states(program, users_by_role):
    manager_page = page_text(logged_in(users_by_role["manager"]).get(url("grid")))
    viewer_page = page_text(logged_in(users_by_role["viewer"]).get(url("grid")))

    assert "No schedule yet" in manager_page and "New item" in manager_page
    assert "No schedule yet" in viewer_page
    assert "The program manager or a coordinator builds the plan here." in viewer_page


def test_viewer_sees_no_edit_controls_and_contributor_only_progress_edits(plan, users_by_role):
    viewer = logged_in(users_by_role["viewer"]).get(url("grid")).content.decode()
    contributor = logged_in(users_by_role["contributor"]).get(url("grid")).content.decode()
    manager = logged_in(users_by_role["manager"]).get(url("grid")).content.decode()

    for marker in ("data-row-edit", "data-bulk-item", "data-move=", "New item"):
        assert marker not in viewer
    assert "data-row-edit" in contributor
    assert "data-bulk-item" not in contributor and "data-move=" not in contributor
    assert "New item" not in contributor
    for marker in ("data-row-edit", "data-bulk-item", 'data-move="indent"', "New item"):
        assert marker in manager


GRID_QUERIES = 14


@pytest.mark.parametrize("rows", [1, 3])
def test_grid_query_count_does_not_grow_with_rows(
    rows, program, manager, django_assert_num_queries
):
    ws = WorkstreamFactory(program=program, name="Finance")
    parent = ItemFactory(program=program, name="Phase")
    for n in range(rows):
        owner = member(program, Role.CONTRIBUTOR).user
        ItemFactory(program=program, name=f"Task {n}", parent=parent, owner=owner, workstream=ws)
    services.baseline_create(actor=manager, program=program, name="Plan")
    client = logged_in(manager)

    with django_assert_num_queries(GRID_QUERIES):
        response = client.get(url("grid"))

    assert response.status_code == 200
    assert len(response.context["page_obj"]) == rows + 1


# --- inline row edits -------------------------------------------------------------------------


def test_inline_edit_get_returns_the_row_editor(plan, manager):
    response = logged_in(manager).get(url("item_inline", key="TSK-2"), headers=HX)

    assert response.status_code == 200
    assert first_tag(response) == ("tr", "item-TSK-2")
    assert form_values(response) == {
        "version": str(plan["Design"].version), "name": "Design", "owner": "", "workstream": "",
        "duration_days": "3", "start": "2026-01-05", "finish": "2026-01-07",
        "percent_complete": "0", "status": "not_started",
    }  # fmt: skip


def test_inline_edit_saves_and_asks_the_grid_to_refresh(plan, manager):
    client = logged_in(manager)
    row = form_values(client.get(url("item_inline", key="TSK-2"), headers=HX))

    response = client.post(
        url("item_inline", key="TSK-2"),
        {**row, "name": "Design v2", "duration_days": "4"},
        headers=HX,
    )

    assert response.status_code == 200
    assert first_tag(response) == ("tr", "item-TSK-2")
    assert 'name="name"' not in response.content.decode()
    assert json.loads(response["HX-Trigger"]) == {"grid-refresh": {"focus": "item-TSK-2"}}
    design = fresh(plan["Design"])
    assert (design.name, design.duration_minutes, design.constraint) == (
        "Design v2", days(4), Constraint.ASAP,
    )  # fmt: skip
    assert fresh(plan["Code"]).start == dt.date(2026, 1, 9)  # the successor moved with it


def test_inline_edit_of_the_start_sets_a_constraint_and_of_the_finish_the_duration(plan, manager):
    client = logged_in(manager)
    row = form_values(client.get(url("item_inline", key="TSK-2"), headers=HX))
    client.post(url("item_inline", key="TSK-2"), {**row, "start": "2026-01-12"}, headers=HX)
    design = fresh(plan["Design"])
    assert (design.constraint, design.constraint_date, design.start) == (
        Constraint.SNET, dt.date(2026, 1, 12), dt.date(2026, 1, 12),
    )  # fmt: skip

    row = form_values(client.get(url("item_inline", key="TSK-2"), headers=HX))
    client.post(url("item_inline", key="TSK-2"), {**row, "finish": "2026-01-16"}, headers=HX)

    design = fresh(plan["Design"])
    assert (design.start, design.finish, design.duration_minutes) == (
        dt.date(2026, 1, 12), dt.date(2026, 1, 16), days(5),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"duration_days": "-2"}, "duration_days", "A duration cannot be negative."),
        ({"finish": "2026-01-02"}, "finish", "The finish cannot be before the start."),
        ({"percent_complete": "140"}, "percent_complete", "less than or equal to 100"),
        ({"start": "2090-01-05"}, "start", "is too far from the project start"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_inline_edit_bad_input_answers_422_keeps_input_and_changes_nothing(
    plan, manager, change, field, message
):
    client = logged_in(manager)
    row = form_values(client.get(url("item_inline", key="TSK-2"), headers=HX))
    before = fresh(plan["Design"])

    response = client.post(url("item_inline", key="TSK-2"), {**row, **change}, headers=HX)

    assert response.status_code == 422
    assert first_tag(response) == ("tr", "item-TSK-2")
    assert message in page_text(response)
    assert f'id="item-TSK-2-{field}_error"' in response.content.decode()
    assert form_values(response)[field] == next(iter(change.values()))
    after = fresh(plan["Design"])
    assert (after.version, after.duration_minutes, after.start) == (
        before.version, before.duration_minutes, before.start,
    )  # fmt: skip


def test_inline_edit_on_a_stale_version_shows_the_conflict_and_keeps_input(plan, users_by_role):
    ada, bob = users_by_role["manager"], users_by_role["coordinator"]
    b = logged_in(bob)
    row = form_values(b.get(url("item_inline", key="TSK-2"), headers=HX))
    services.item_update(actor=ada, item=plan["Design"], expected_version=None, name="Analysis")

    stale = b.post(url("item_inline", key="TSK-2"), {**row, "status": "on_hold"}, headers=HX)

    assert stale.status_code == 422
    assert "changed this while you were editing (Name: Design → Analysis)" in page_text(stale)
    kept = form_values(stale)
    assert (kept["name"], kept["status"]) == ("Analysis", "on_hold")
    assert fresh(plan["Design"]).status == ItemStatus.NOT_STARTED

    again = b.post(url("item_inline", key="TSK-2"), kept, headers=HX)

    assert again.status_code == 200
    design = fresh(plan["Design"])
    assert (design.name, design.status) == ("Analysis", ItemStatus.ON_HOLD)


def test_inline_cancel_returns_the_plain_row(plan, manager):
    response = logged_in(manager).get(url("item_inline", key="TSK-2") + "?cancel=1", headers=HX)

    assert response.status_code == 200
    assert first_tag(response) == ("tr", "item-TSK-2")
    assert "data-row-edit" in response.content.decode()


def test_contributor_inline_edits_only_progress(plan, users_by_role):
    client = logged_in(users_by_role["contributor"])
    row = form_values(client.get(url("item_inline", key="TSK-2"), headers=HX))
    assert set(row) == {"version", "percent_complete", "status", "actual_start", "actual_finish"}

    response = client.post(
        url("item_inline", key="TSK-2"),
        {**row, "percent_complete": "40", "name": "Renamed", "duration_days": "9"},
        headers=HX,
    )

    assert response.status_code == 200
    design = fresh(plan["Design"])
    assert (design.percent_complete, design.status, design.name, design.duration_minutes) == (
        40, ItemStatus.IN_PROGRESS, "Design", days(3),
    )  # fmt: skip
    assert design.actual_start == dt.date(2026, 1, 5)


def test_summary_row_editor_leaves_out_rolled_up_fields(plan, manager):
    row = form_values(logged_in(manager).get(url("item_inline", key="TSK-1"), headers=HX))

    assert set(row) == {"version", "name", "owner", "workstream"}


# --- moves ------------------------------------------------------------------------------------


def test_indent_by_htmx_answers_the_refreshed_grid_with_new_codes(plan, manager):
    client = logged_in(manager)
    golive = plan["Go-live"]

    response = client.post(
        url("item_move", key=golive.key),
        {"action": "indent", "version": golive.version},
        headers=HX,
    )

    assert response.status_code == 200
    assert first_tag(response) == ("div", "grid-table")
    assert 'data-focus="item-TSK-4"' in response.content.decode()
    assert "TSK-4 is now WBS 1.3." in page_text(response)
    assert (fresh(golive).parent_id, fresh(golive).wbs) == (plan["Build"].pk, "1.3")


def test_move_keeps_the_filters_it_was_sent(plan, manager):
    response = logged_in(manager).post(
        url("item_move", key="TSK-3"),
        {"action": "up", "version": plan["Code"].version, "q": "code"},
        headers=HX,
    )

    assert row_keys(response) == ["TSK-3"]
    assert fresh(plan["Code"]).wbs == "1.1"
    assert fresh(plan["Design"]).wbs == "1.2"


def test_refused_and_stale_moves_explain_and_change_nothing(plan, manager):
    client = logged_in(manager)
    build = plan["Build"]

    refused = client.post(
        url("item_move", key=build.key), {"action": "outdent", "version": build.version}, headers=HX
    )
    stale = client.post(
        url("item_move", key="TSK-4"), {"action": "indent", "version": 999}, headers=HX
    )

    assert refused.status_code == 400
    assert "This item is already at the top level." in page_text(refused)
    assert stale.status_code == 409
    assert "Nothing was moved" in page_text(stale)
    assert [i.wbs for i in Item.objects.order_by("pk")] == ["1", "1.1", "1.2", "2"]


def test_move_under_from_the_item_page(plan, manager):
    golive = plan["Go-live"]
    response = logged_in(manager).post(
        url("item_move", key=golive.key),
        {"action": "under", "parent": plan["Build"].pk, "version": golive.version},
    )

    assert response.status_code == 302
    assert response["Location"] == golive.get_absolute_url()
    assert fresh(golive).wbs == "1.3"


def test_move_under_a_linked_item_is_refused(plan, manager):
    code = plan["Code"]
    response = logged_in(manager).post(
        url("item_move", key="TSK-4"), {"action": "under", "parent": code.pk}, headers=HX
    )

    assert response.status_code == 400
    assert "cannot go under an item it is linked to" in page_text(response)
    assert fresh(plan["Go-live"]).parent_id is None


# --- bulk edit --------------------------------------------------------------------------------


def test_bulk_edit_sets_owner_status_and_workstream_on_ticked_rows(plan, manager, program):
    ws = WorkstreamFactory(program=program, name="Build team")
    ana = member(program, Role.CONTRIBUTOR, full_name="Ana").user
    design, code = plan["Design"], plan["Code"]

    response = logged_in(manager).post(
        url("bulk_edit"),
        {"items": [design.pk, code.pk], "owner": ana.pk, "status": "on_hold", "workstream": ws.pk},
        headers=HX,
    )

    assert response.status_code == 200
    assert first_tag(response) == ("div", "grid-table")
    assert "2 of 2 items changed." in page_text(response)
    for item in (fresh(design), fresh(code)):
        assert (item.owner_id, item.status, item.workstream_id) == (ana.pk, "on_hold", ws.pk)
    assert fresh(plan["Go-live"]).owner_id is None


def test_bulk_edit_can_clear_the_owner(plan, manager):
    services.item_update(actor=manager, item=plan["Code"], expected_version=None, owner=manager)

    logged_in(manager).post(url("bulk_edit"), {"items": [plan["Code"].pk], "owner": "none"})

    assert fresh(plan["Code"]).owner is None


def test_bulk_edit_bad_input_is_refused_and_changes_nothing(plan, manager):
    other_item = ItemFactory(program=ProgramFactory(code="OTH"), name="Not ours")
    client = logged_in(manager)

    nothing_ticked = client.post(url("bulk_edit"), {"status": "on_hold"}, headers=HX)
    nothing_chosen = client.post(url("bulk_edit"), {"items": [plan["Code"].pk]}, headers=HX)
    foreign = client.post(
        url("bulk_edit"), {"items": [other_item.pk], "status": "on_hold"}, headers=HX
    )

    assert nothing_ticked.status_code == 400
    assert "Tick at least one row first." in page_text(nothing_ticked)
    assert nothing_chosen.status_code == 400
    assert "Choose an owner, a status or a workstream to set." in page_text(nothing_chosen)
    assert foreign.status_code == 400
    assert fresh(other_item).status == ItemStatus.NOT_STARTED
    assert set(Item.objects.values_list("status", flat=True)) == {ItemStatus.NOT_STARTED}


# --- create, edit, detail, delete -------------------------------------------------------------


def test_create_modal_and_item_goes_last_under_its_parent(plan, manager, program):
    client = logged_in(manager)
    modal = client.get(url("item_create") + "?parent=TSK-1", headers=HX)
    assert first_tag(modal) == ("form", "item-form")
    values = form_values(modal, "name")
    assert values["parent"] == str(plan["Build"].pk)

    response = client.post(
        url("item_create"),
        {**values, "kind": "task", "name": "Test", "duration_days": "2"},
        headers=HX,
    )

    assert response.status_code == 204
    item = Item.objects.get(name="Test")
    assert response["HX-Redirect"] == url("grid") + f"?focus={item.key}"
    assert (item.wbs, item.duration_minutes, item.parent_id) == ("1.3", days(2), plan["Build"].pk)


def test_create_with_start_and_finish(program, manager):
    response = logged_in(manager).post(
        url("item_create"),
        {"kind": "task", "name": "Cutover", "start": "2026-01-12", "finish": "2026-01-16",
         "constraint": "asap"},
    )  # fmt: skip

    assert response.status_code == 302
    item = Item.objects.get(name="Cutover")
    assert (item.start, item.finish, item.duration_minutes) == (
        dt.date(2026, 1, 12), dt.date(2026, 1, 16), days(5),
    )  # fmt: skip


def test_create_milestone_with_acceptance_criteria(program, manager):
    logged_in(manager).post(
        url("item_create"),
        {"kind": "milestone", "name": "Sign-off", "start": "2026-02-02", "constraint": "asap",
         "acceptance_criteria": "Steering committee approves."},
    )  # fmt: skip

    item = Item.objects.get(name="Sign-off")
    assert (item.kind, item.finish, item.duration_minutes, item.acceptance_criteria) == (
        ItemKind.MILESTONE, dt.date(2026, 2, 2), 0, "Steering committee approves.",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"duration_days": "-1"}, "duration_days", "A duration cannot be negative."),
        ({"start": "2026-02-10", "finish": "2026-02-02"}, "finish", "The finish cannot be before"),
        ({"finish": "2026-02-02"}, "start", "Give the start too"),
        ({"start": "2026-01-12", "finish": "2026-01-16", "duration_days": "3"}, "duration_days",
         "Give either a finish date or a duration, not both."),
        ({"constraint": "mso"}, "constraint_date", "This constraint needs a date."),
        ({"start": "2120-01-01"}, "start", "is too far from the project start"),
    ],
)  # fmt: skip
def test_create_bad_input_rerenders_with_input_and_errors(program, manager, data, field, message):
    response = logged_in(manager).post(
        url("item_create"), {"kind": "task", "name": "Keep me", "constraint": "asap", **data}
    )

    assert response.status_code == 400
    assert message in page_text(response)
    values = form_values(response, "name")
    assert values["name"] == "Keep me"
    for key, value in data.items():
        assert values[key] == value
    assert Item.objects.count() == 0


def test_edit_page_saves_every_field_and_reports_conflicts(plan, users_by_role):
    ada, bob = users_by_role["manager"], users_by_role["coordinator"]
    client = logged_in(ada)
    values = form_values(client.get(url("item_edit", key="TSK-3")))
    assert {"description", "constraint", "deadline", "cost", "remediation_plan"} <= set(values)

    response = client.post(
        url("item_edit", key="TSK-3"),
        {**values, "description": "Write it", "deadline": "2026-01-30", "cost": "1500.00",
         "constraint": "fnlt", "constraint_date": "2026-01-30"},
    )  # fmt: skip

    assert response.status_code == 302
    code = fresh(plan["Code"])
    assert (code.description, code.deadline, str(code.cost), code.constraint) == (
        "Write it", dt.date(2026, 1, 30), "1500.00", Constraint.FNLT,
    )  # fmt: skip
    assert code.start == dt.date(2026, 1, 8)  # an unchanged start does not become a constraint

    b = logged_in(bob)
    b_values = form_values(b.get(url("item_edit", key="TSK-3")))
    services.item_update(actor=ada, item=code, expected_version=None, name="Build it")
    stale = b.post(url("item_edit", key="TSK-3"), {**b_values, "description": "Bob's"})

    assert stale.status_code == 400
    assert "Someone else saved a change while you were editing" in page_text(stale)
    assert form_values(stale)["description"] == "Bob's"
    assert fresh(plan["Code"]).description == "Write it"


def test_edit_finish_and_duration_together_is_refused(plan, manager):
    client = logged_in(manager)
    values = form_values(client.get(url("item_edit", key="TSK-3")))

    response = client.post(
        url("item_edit", key="TSK-3"), {**values, "finish": "2026-01-30", "duration_days": "2"}
    )

    assert response.status_code == 400
    assert "Change either the finish or the duration, not both at once." in page_text(response)
    assert fresh(plan["Code"]).duration_minutes == days(5)


def test_contributor_edit_page_has_progress_fields_only(plan, users_by_role):
    client = logged_in(users_by_role["contributor"])
    values = form_values(client.get(url("item_edit", key="TSK-3")))

    assert set(values) == {"version", "percent_complete", "status", "actual_start", "actual_finish"}
    response = client.post(url("item_edit", key="TSK-3"), {**values, "status": "complete"})
    assert response.status_code == 302
    code = fresh(plan["Code"])
    assert (code.status, code.percent_complete) == (ItemStatus.COMPLETE, 100)


def test_detail_page_shows_dates_floats_baseline_variance_and_links(plan, manager, program):
    services.baseline_create(actor=manager, program=program, name="Plan A")
    services.item_update(
        actor=manager, item=plan["Design"], expected_version=None, duration_minutes=days(5)
    )

    response = logged_in(manager).get(url("item_detail", key="TSK-3"))

    assert response.status_code == 200
    text = page_text(response)
    baseline = response.context["baseline"]
    assert baseline.baseline.name == "Plan A"
    assert (baseline.start_variance, baseline.finish_variance) == (2, 2)
    assert [lk.predecessor.key for lk in response.context["predecessors"]] == ["TSK-2"]
    assert [lk.successor.key for lk in response.context["successors"]] == ["TSK-4"]
    assert response.context["total_float_days"] == 0
    assert "Critical" in text
    assert (
        reverse(
            "programs:object_history",
            kwargs={
                "code": "ERP",
                "app": "schedules",
                "model": "item",
                "object_id": plan["Code"].pk,
            },
        )
        in response.content.decode()
    )


def test_delete_shows_the_count_below_and_removes_the_subtree(plan, manager):
    client = logged_in(manager)
    confirm = client.get(url("item_delete", key="TSK-1"))
    assert "2 items below it" in page_text(confirm)

    response = client.post(url("item_delete", key="TSK-1"), {"version": plan["Build"].version})

    assert response.status_code == 302
    assert list(Item.objects.values_list("key", "wbs")) == [("TSK-4", "1")]
    assert Dependency.objects.count() == 0


def test_delete_with_a_stale_version_deletes_nothing(plan, manager):
    response = logged_in(manager).post(url("item_delete", key="TSK-1"), {"version": 999})

    assert response.status_code == 302
    assert Item.objects.count() == 4


# --- links ------------------------------------------------------------------------------------


def test_link_create_edit_and_delete(plan, manager):
    client = logged_in(manager)
    modal = client.get(url("link_create", key="TSK-4") + "?direction=predecessor", headers=HX)
    assert first_tag(modal) == ("form", "link-form")

    created = client.post(
        url("link_create", key="TSK-4"),
        {"direction": "predecessor", "other": plan["Design"].pk, "type": "SS", "lag_days": "-1"},
        headers=HX,
    )

    assert created.status_code == 204
    link_row = Dependency.objects.get(predecessor=plan["Design"], successor=plan["Go-live"])
    assert (link_row.type, link_row.lag_minutes) == ("SS", days(-1))

    edit_values = form_values(client.get(url("link_edit", pk=link_row.pk) + "?from=TSK-4"))
    edited = client.post(url("link_edit", pk=link_row.pk), {**edit_values, "lag_days": "2.5"})
    assert edited.status_code == 302
    assert edited["Location"] == plan["Go-live"].get_absolute_url() + "#links"
    assert Dependency.objects.get(pk=link_row.pk).lag_minutes == days(2.5)

    deleted = client.post(
        url("link_delete", pk=link_row.pk), {"version": link_row.version + 1, "from": "TSK-4"}
    )
    assert deleted.status_code == 302
    assert not Dependency.objects.filter(pk=link_row.pk).exists()


def test_link_that_closes_a_cycle_names_it_and_keeps_input(plan, manager):
    response = logged_in(manager).post(
        url("link_create", key="TSK-2"),
        {"direction": "predecessor", "other": plan["Go-live"].pk, "type": "FS", "lag_days": "0"},
        headers=HX,
    )

    assert response.status_code == 400
    assert first_tag(response) == ("form", "link-form")
    assert "These links would close a loop: TSK-2 → TSK-3 → TSK-4 → TSK-2." in page_text(response)
    assert form_values(response, "other")["other"] == str(plan["Go-live"].pk)
    assert Dependency.objects.count() == 2


def test_link_into_a_summarys_own_line_is_refused(plan, manager):
    response = logged_in(manager).post(
        url("link_create", key="TSK-1"),
        {"direction": "successor", "other": plan["Design"].pk, "type": "FS", "lag_days": "0"},
    )

    assert response.status_code == 400
    assert "a summary cannot be linked to its own items" in page_text(response)


def test_stale_link_edit_shows_the_conflict(plan, manager):
    lk = Dependency.objects.get(predecessor=plan["Design"])
    client = logged_in(manager)
    values = form_values(client.get(url("link_edit", pk=lk.pk)))
    services.dependency_update(actor=manager, dependency=lk, expected_version=None, type="SS")

    response = client.post(url("link_edit", pk=lk.pk), {**values, "lag_days": "3"})

    assert response.status_code == 400
    assert "Someone else saved a change while you were editing" in page_text(response)
    assert Dependency.objects.get(pk=lk.pk).lag_minutes == 0


# --- sign-off ---------------------------------------------------------------------------------


def test_signoff_and_revoke(plan, users_by_role):
    exec_client = logged_in(users_by_role["executive"])
    golive = plan["Go-live"]
    page = exec_client.get(url("item_detail", key=golive.key))
    assert "Sign off TSK-4" in page_text(page)

    missing = exec_client.post(
        url("item_signoff", key=golive.key), {"version": golive.version, "evidence": " "}
    )
    assert missing.status_code == 400
    assert fresh(golive).accepted_at is None

    done = exec_client.post(
        url("item_signoff", key=golive.key),
        {"version": golive.version, "evidence": "Minutes SC-7"},
    )
    assert done.status_code == 302
    golive = fresh(golive)
    assert (golive.accepted_by, golive.acceptance_evidence) == (
        users_by_role["executive"], "Minutes SC-7",
    )  # fmt: skip
    assert "Accepted by" in page_text(exec_client.get(url("item_detail", key=golive.key)))

    exec_client.post(
        url("item_signoff", key=golive.key), {"action": "revoke", "version": golive.version}
    )
    assert fresh(golive).accepted_at is None


def test_signoff_of_a_task_is_refused(plan, manager):
    response = logged_in(manager).post(
        url("item_signoff", key="TSK-2"), {"version": plan["Design"].version, "evidence": "x"}
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Only milestones and deliverables are signed off."]
    assert fresh(plan["Design"]).accepted_at is None


# --- the program boundary ---------------------------------------------------------------------


def _all_urls(plan):
    lk = Dependency.objects.first()
    return {
        "grid": ("get", url("grid")),
        "bulk_edit": ("post", url("bulk_edit")),
        "item_create": ("get", url("item_create")),
        "item_detail": ("get", url("item_detail", key="TSK-2")),
        "item_edit": ("get", url("item_edit", key="TSK-2")),
        "item_inline": ("get", url("item_inline", key="TSK-2")),
        "item_move": ("post", url("item_move", key="TSK-2")),
        "item_delete": ("get", url("item_delete", key="TSK-2")),
        "item_signoff": ("post", url("item_signoff", key="TSK-4")),
        "link_create": ("get", url("link_create", key="TSK-2")),
        "link_edit": ("get", url("link_edit", pk=lk.pk)),
        "link_delete": ("get", url("link_delete", pk=lk.pk)),
    }


def test_non_members_get_404_everywhere(plan):
    outsider = member(ProgramFactory(code="OTH"), Role.MANAGER).user
    client = logged_in(outsider)

    for name, (method, address) in _all_urls(plan).items():
        assert getattr(client, method)(address).status_code == 404, name


EXPECTED = {
    # view: roles allowed (everyone else with a membership gets 403)
    "grid": {"manager", "coordinator", "contributor", "finance", "executive", "viewer"},
    "item_detail": {"manager", "coordinator", "contributor", "finance", "executive", "viewer"},
    "item_edit": {"manager", "coordinator", "contributor"},
    "item_inline": {"manager", "coordinator", "contributor"},
    "item_signoff": {"manager", "executive"},
}


def test_roles_get_403_where_the_matrix_says_so(plan, users_by_role):
    urls = _all_urls(plan)
    for role, user in users_by_role.items():
        client = logged_in(user)
        for name, (method, address) in urls.items():
            allowed = EXPECTED.get(name, {"manager", "coordinator"})
            status = getattr(client, method)(address).status_code
            assert (status != 403) == (role in allowed), (role, name, status)
            assert status != 500


def test_unknown_item_and_link_answer_404(plan, manager):
    client = logged_in(manager)

    assert client.get(url("item_detail", key="TSK-999")).status_code == 404
    assert client.get(url("link_edit", pk=999999)).status_code == 404
    other = ItemFactory(program=ProgramFactory(code="OTH"), name="Theirs")
    link_other = ItemFactory(program=other.program, name="Theirs too")
    foreign_link = link(other, link_other)
    assert client.get(url("link_edit", pk=foreign_link.pk)).status_code == 404


def test_contributors_get_no_editor_for_a_summary(plan, users_by_role):
    client = logged_in(users_by_role["contributor"])

    grid = client.get(url("grid")).content.decode()

    assert 'aria-label="Edit TSK-2 in place"' in grid
    assert 'aria-label="Edit TSK-1 in place"' not in grid
    assert client.get(url("item_inline", key="TSK-1"), headers=HX).status_code == 403
    assert client.get(url("item_edit", key="TSK-1")).status_code == 403


def test_yes_no_filters_show_the_chosen_value(plan, manager):
    html = logged_in(manager).get(url("grid") + "?late=true&critical=false").content.decode()

    assert '<option value="true" selected>Late only</option>' in html
    assert '<option value="" selected>Late: all</option>' not in html
    assert '<option value="false" selected>Not critical</option>' in html
