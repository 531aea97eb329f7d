"""Budget structure pages: the plan grid (totals, filters, current view, constant queries), its
htmx row editor (permissions, a stale row, bad amounts keep what was typed), categories and
lines refused deletion in use, change orders through the form and the four-eyes decision, and
the reserves page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from budgets.models import ChangeOrder, ChangeOrderStatus, PlanAmount, ReserveMovement
from budgets.services import structure
from budgets.tests.factories import actual, make_category, make_line, plan
from budgets.tests.plan_factories import decide, make_order, make_reserve
from core.permissions import Role
from core.tests.factories import UserFactory
from programs.tests.factories import WorkstreamFactory

pytestmark = pytest.mark.django_db

GRID = "/programs/ERP/budget/plan/"
BASE = "/programs/ERP/budget/"
JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
HTMX = {"HTTP_HX_REQUEST": "true"}


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def line(program, manager):
    line = make_line(program, name="Northwind SOW 1")
    plan(line, JAN, "1000.00")
    plan(line, FEB, "2500.50")
    line.refresh_from_db()
    return line


def row_url(line) -> str:
    return f"{GRID}{line.key}/row/"


def months_post(line, version, **cells) -> dict:
    data = {"version": str(version)}
    data.update({f"m-{k.replace('_', '-')}": v for k, v in cells.items()})
    return data


# --- the grid -----------------------------------------------------------------------------------


def test_grid_shows_lines_by_workstream_with_totals(program, users_by_role, line):
    page = text(client(users_by_role["viewer"]).get(GRID))
    assert line.key in page and "Northwind SOW 1" in page
    assert line.workstream.name in page
    assert "3,500.50" in page  # the line's and the grand total
    assert "EUR 3,500.50" in page  # the summary, with the program currency
    assert "Edit the plan" not in page  # a viewer reads only


def test_grid_current_view_adds_approved_change_orders_and_is_read_only(
    program, users_by_role, line
):
    order = make_order(program, [(line, JAN, "500.00")], actor=users_by_role["finance"])
    decide(order, users_by_role["manager"])
    finance = client(users_by_role["finance"])

    original = text(finance.get(GRID))
    current = text(finance.get(GRID + "?view=current"))

    assert "3,500.50" in original and "Edit the plan" in original
    assert "4,000.50" in current and "Edit the plan" not in current
    assert "plan-changed" in current


def test_grid_filters_by_workstream(program, users_by_role, line):
    other = WorkstreamFactory(program=program, name="Data Migration")
    make_line(program, workstream=other, name="Contoso loads")
    page = text(client(users_by_role["viewer"]).get(f"{GRID}?ws={other.pk}"))
    assert "Contoso loads" in page and "Northwind SOW 1" not in page


def test_grid_query_count_does_not_grow_with_lines(program, users_by_role, line):
    viewer = client(users_by_role["viewer"])
    viewer.get(GRID)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as one:
        viewer.get(GRID)
    category = make_category(program, name="Labour", expense_type="opex")
    for n in range(4):
        extra = make_line(program, category=category, name=f"Team {n}")
        plan(extra, JAN, "10.00")
        plan(extra, dt.date(2026, 6, 1), "20.00")
    with CaptureQueriesContext(connection) as many:
        response = viewer.get(GRID)
    assert response.status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)


# --- the row editor -----------------------------------------------------------------------------


def test_finance_edits_a_row_and_gets_the_refreshed_grid(program, users_by_role, line):
    finance = client(users_by_role["finance"])
    editor = finance.get(row_url(line), **HTMX)
    assert editor.status_code == 200
    assert 'name="m-2026-02" id="line-BL-1-m-2026-02"' in text(editor)
    assert 'value="2500.50"' in text(editor)

    response = finance.post(
        row_url(line), months_post(line, line.version, **{"2026_01": "1200", "2026_03": "7.25"}),
        **HTMX,
    )  # fmt: skip

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#plan-grid"
    cells = dict(PlanAmount.objects.filter(line=line).values_list("month", "amount"))
    assert cells == {JAN: Decimal("1200.00"), dt.date(2026, 3, 1): Decimal("7.25")}
    assert "1,207.25" in text(response)


@pytest.mark.parametrize("role", ["contributor", "viewer", "executive", "coordinator", "vendor"])
def test_roles_without_budget_change_cannot_edit_a_row(program, users_by_role, line, role):
    user = client(users_by_role[role])
    assert user.get(row_url(line), **HTMX).status_code == 403
    response = user.post(row_url(line), months_post(line, line.version, **{"2026_01": "1"}))
    assert response.status_code == 403
    assert PlanAmount.objects.get(line=line, month=JAN).amount == Decimal("1000.00")


def test_a_non_member_gets_404(program, line):
    outsider = client(UserFactory())
    assert outsider.get(GRID).status_code == 404
    assert outsider.post(row_url(line), {}).status_code == 404


def test_a_stale_row_is_refused_with_who_changed_which_month_and_keeps_the_input(
    program, users_by_role, line
):
    seen = line.version
    structure.line_plan_set(
        actor=users_by_role["manager"], line=line, amounts={FEB: "3000.00"}, expected_version=seen
    )
    finance = client(users_by_role["finance"])

    response = finance.post(
        row_url(line), months_post(line, seen, **{"2026_01": "1111.11"}), **HTMX
    )

    page = text(response)
    assert response.status_code == 409
    manager_name = str(users_by_role["manager"])
    assert f"{manager_name} changed this row while you were editing" in page
    assert "2026-02: 2,500.50 → 3,000.00" in page
    assert 'value="1111.11"' in page
    line.refresh_from_db()
    assert f'name="version" value="{line.version}"' in page
    assert PlanAmount.objects.get(line=line, month=JAN).amount == Decimal("1000.00")


@pytest.mark.parametrize(
    ("bad", "message"),
    [("-10", "is negative"), ("ten", "is not an amount"), ("1.005", "more than two decimals")],
)
def test_a_bad_amount_refuses_the_row_with_a_message_on_that_cell(
    program, users_by_role, line, bad, message
):
    finance = client(users_by_role["finance"])
    response = finance.post(
        row_url(line), months_post(line, line.version, **{"2026_01": "5.00", "2026_02": bad}),
        **HTMX,
    )  # fmt: skip
    page = text(response)
    assert response.status_code == 400
    assert message in page
    assert "Nothing of BL-1 was saved" in page
    assert f'value="{bad}"' in page and 'value="5.00"' in page
    assert PlanAmount.objects.get(line=line, month=JAN).amount == Decimal("1000.00")


def test_the_row_editor_works_without_htmx(program, users_by_role, line):
    finance = client(users_by_role["finance"])
    response = finance.post(row_url(line), months_post(line, line.version, **{"2026_01": "-1"}))
    assert response.status_code == 400 and "is negative" in text(response)
    response = finance.post(row_url(line), months_post(line, line.version, **{"2026_01": "9"}))
    assert response.status_code == 302 and response["Location"].endswith("#line-BL-1")


# --- categories and lines -----------------------------------------------------------------------


def test_a_category_in_use_is_not_deleted_with_a_clear_message(program, users_by_role, line):
    finance = client(users_by_role["finance"])
    url = f"{BASE}categories/{line.category_id}/delete/"
    assert "1 budget line uses" in text(finance.get(url))
    response = finance.post(url, {"version": line.category.version}, follow=True)
    assert "used by 1 budget line (BL-1)" in text(response)


def test_category_form_keeps_input_on_error(program, users_by_role):
    finance = client(users_by_role["finance"])
    response = finance.post(f"{BASE}categories/new/", {"name": "", "gl_account": "620100"})
    assert response.status_code == 400
    assert 'value="620100"' in text(response)


def test_a_line_with_actuals_is_not_deleted_and_the_page_says_which(program, users_by_role, line):
    actual(line, JAN, "10.00")
    finance = client(users_by_role["finance"])
    page = text(finance.get(f"{BASE}lines/{line.key}/delete/"))
    assert "1 actual cost entry" in page
    response = finance.post(f"{BASE}lines/{line.key}/delete/", {}, follow=True)
    assert "cannot be deleted: it has 1 actual cost entry" in text(response)


def test_line_detail_shows_original_change_orders_and_current(program, users_by_role, line):
    decide(make_order(program, [(line, FEB, "-500.50")], actor=users_by_role["finance"]),
           users_by_role["manager"])  # fmt: skip
    page = text(client(users_by_role["viewer"]).get(f"{BASE}lines/{line.key}/"))
    assert "2,500.50" in page and "\u2212500.50" in page and "2,000.00" in page
    assert "CO-1" in page


def test_line_create_form(program, users_by_role):
    finance = client(users_by_role["finance"])
    category = make_category(program, name="Travel")
    ws = WorkstreamFactory(program=program, name="Finance")
    response = finance.post(
        f"{BASE}lines/new/", {"workstream": ws.pk, "category": category.pk, "name": "Plant trips"}
    )
    assert response.status_code == 302
    assert "Plant trips" in text(finance.get(response["Location"]))


# --- change orders ------------------------------------------------------------------------------


def amounts_post(rows, **fields) -> dict:
    data = {
        "title": "Second SIT team", "reason": "SIT cycle 1 is behind.",
        "amounts-TOTAL_FORMS": str(len(rows)), "amounts-INITIAL_FORMS": "0",
        "amounts-MIN_NUM_FORMS": "0", "amounts-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for i, (line, month, amount) in enumerate(rows):
        data.update({f"amounts-{i}-line": line, f"amounts-{i}-month": month,
                     f"amounts-{i}-amount": amount})  # fmt: skip
    data.update(fields)
    return data


def test_change_order_form_creates_a_draft_and_another_manager_approves(
    program, users_by_role, line
):
    finance = client(users_by_role["finance"])
    response = finance.post(
        f"{BASE}change-orders/new/",
        amounts_post([(line.pk, "2026-01", "250.00"), ("", "", "")]),
    )
    assert response.status_code == 302
    order = ChangeOrder.objects.get(program=program)
    assert order.status == ChangeOrderStatus.DRAFT and order.created_by == users_by_role["finance"]

    manager = client(users_by_role["manager"])
    page = text(manager.get(f"{BASE}change-orders/{order.key}/"))
    assert "Approve" in page and "+250.00" in page
    manager.post(f"{BASE}change-orders/{order.key}/decide/",
                 {"decision": "approve", "version": order.version})  # fmt: skip
    order.refresh_from_db()
    assert order.status == ChangeOrderStatus.APPROVED
    listing = text(finance.get(f"{BASE}change-orders/?status=approved"))
    assert order.key in listing and "EUR +250.00" in listing


def test_change_order_form_keeps_input_and_shows_row_errors(program, users_by_role, line):
    finance = client(users_by_role["finance"])
    response = finance.post(
        f"{BASE}change-orders/new/", amounts_post([(line.pk, "2026-01", "12.345")], title="Keep me")
    )
    page = text(response)
    assert response.status_code == 400
    assert "more than two decimals" in page and 'value="Keep me"' in page
    assert not ChangeOrder.objects.exists()


def test_the_author_is_told_someone_else_decides(program, users_by_role, line):
    manager = users_by_role["manager"]
    order = make_order(program, [(line, JAN, "5.00")], actor=manager)
    page = text(client(manager).get(f"{BASE}change-orders/{order.key}/"))
    assert "another manager or executive approves" in page
    response = client(manager).post(
        f"{BASE}change-orders/{order.key}/decide/",
        {"decision": "approve", "version": order.version},
        follow=True,
    )
    assert "four eyes" in text(response)
    order.refresh_from_db()
    assert order.status == ChangeOrderStatus.DRAFT


def test_change_order_pages_by_role(program, users_by_role, line):
    order = make_order(program, [(line, JAN, "5.00")])
    contributor = client(users_by_role["contributor"])
    assert contributor.get(f"{BASE}change-orders/{order.key}/").status_code == 200
    assert contributor.get(f"{BASE}change-orders/new/").status_code == 403
    assert client(users_by_role["coordinator"]).get(f"{BASE}change-orders/new/").status_code == 200
    assert (
        client(users_by_role["finance"])
        .post(f"{BASE}change-orders/{order.key}/decide/", {"decision": "approve"})
        .status_code
        == 403
    )
    assert client(users_by_role["vendor"]).get(f"{BASE}change-orders/").status_code == 403


@pytest.mark.parametrize("rows", [1, 3])
def test_change_order_list_queries_do_not_grow(program, users_by_role, line, rows, settings):
    for n in range(rows):
        make_order(program, [(line, JAN, f"{n + 1}.00")])
    viewer = client(users_by_role["viewer"])
    viewer.get(f"{BASE}change-orders/")
    with CaptureQueriesContext(connection) as ctx:
        viewer.get(f"{BASE}change-orders/")
    assert len(ctx.captured_queries) <= 8


# --- reserves -----------------------------------------------------------------------------------


def test_reserves_page_shows_balances_and_records_a_movement(program, users_by_role):
    make_reserve(program, "contingency", "400000.00")
    finance = client(users_by_role["finance"])
    response = finance.post(
        f"{BASE}reserves/movements/new/",
        {"reserve": "contingency", "on": "2026-05-04", "amount": "-185000", "reason": "Re-plan"},
    )
    assert response.status_code == 302
    page = text(finance.get(f"{BASE}reserves/"))
    assert "EUR 215,000.00" in page and "\u2212185,000.00" in page


def test_a_movement_on_a_reserve_not_set_up_is_refused(program, users_by_role):
    response = client(users_by_role["finance"]).post(
        f"{BASE}reserves/movements/new/",
        {"reserve": "management", "on": "2026-05-04", "amount": "-5", "reason": "Draw"},
    )
    assert response.status_code == 400
    assert "Set the management reserve&#x27;s amount first" in text(response)
    assert not ReserveMovement.objects.exists()


def test_reserve_amount_is_set_by_budget_change_only(program, users_by_role):
    url = f"{BASE}reserves/management/edit/"
    assert client(users_by_role["executive"]).post(url, {"amount": "5"}).status_code == 403
    response = client(users_by_role["finance"]).post(url, {"amount": "250000.00", "note": "x"})
    assert response.status_code == 302
    assert "EUR 250,000.00" in text(client(users_by_role["viewer"]).get(f"{BASE}reserves/"))
    assert client(users_by_role["finance"]).get(f"{BASE}reserves/nonsense/edit/").status_code == 404


def test_pages_answer_for_a_member(program, users_by_role, line):
    viewer = client(users_by_role["viewer"])
    for path in ("plan/", "lines/", "categories/", "change-orders/", "reserves/", "lines/BL-1/"):
        assert viewer.get(BASE + path).status_code == 200, path
    assert viewer.get(f"{BASE}lines/BL-99/").status_code == 404
    assert Role.VIEWER in Role.values


def test_a_change_requests_page_lists_the_change_orders_it_caused(db):
    from django.test import Client

    from budgets.tests.factories import make_line
    from budgets.tests.plan_factories import make_order
    from governance.tests.factories_changes import make_cast, make_cr

    cast = make_cast()
    line = make_line(cast.program, actor=cast.pm, name="Northwind SOW 1")
    approved = make_cr(cast.program, cast.contributor, status="approved", actor_for=cast)
    order = make_order(
        cast.program, [(line, dt.date(2026, 3, 1), "10.00")], change_request=approved,
        title="Wave 1 re-plan",
    )  # fmt: skip
    url = f"/programs/{cast.program.code}/governance/changes/{approved.key}/"
    client = Client()
    client.force_login(cast.pm)
    page = client.get(url).content.decode()
    assert f"/budget/change-orders/{order.key}/" in page and "Wave 1 re-plan" in page
    other = make_cr(cast.program, cast.contributor, status="approved", actor_for=cast)
    assert (
        order.key
        not in client.get(
            f"/programs/{cast.program.code}/governance/changes/{other.key}/"
        ).content.decode()
    )


def test_a_workstream_with_budget_lines_cannot_be_deleted_and_says_why(program, manager):
    from django.test import Client
    from rest_framework.test import APIClient

    from budgets.tests.factories import make_line
    from programs.models import Workstream

    line = make_line(program, name="Northwind SOW 1")
    ws = line.workstream
    client = Client()
    client.force_login(manager)
    url = f"/programs/{program.code}/workstreams/{ws.key}/delete/"
    response = client.post(url, {"version": ws.version}, follow=True)
    assert response.status_code == 200
    assert "is still used by 1 budget line." in response.content.decode()
    api = APIClient()
    api.force_authenticate(manager)
    answer = api.delete(
        f"/api/v1/programs/{program.code}/workstreams/{ws.key}/", HTTP_IF_MATCH=f'"{ws.version}"'
    )
    assert answer.status_code == 409 and "1 budget line." in answer.json()["detail"]
    assert Workstream.objects.filter(pk=ws.pk).exists()
