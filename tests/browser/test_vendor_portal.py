"""Browser journey through the vendor portal: Tom (Northwind's portal user) signs in through the
login page, opens his deliverables, submits one with a file and sees it submitted; typing the
address of another vendor's deliverable gets him the 404 page. Priya (program manager) reviews
the round, rejecting one criterion with a reason, and Tom then sees that reason in his portal."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.tests.factories import ProgramFactory, member
from vendors import services as vendor_services
from vendors.models import Deliverable, Submission
from vendors.services import deliverables as deliverable_services

from .conftest import CSP_REPORTER, PageWatcher, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
REASON = "The sign-off page by the finance design authority is missing."


@pytest.fixture
def erp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    pm = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(
        code="ERP", name="ERP Migration to S/4HANA", manager=pm,
        start_date=dt.date(2026, 1, 5), end_date=dt.date(2027, 9, 30),
    )  # fmt: skip
    tom = member(program, Role.VENDOR, email="vendor@example.com", full_name="Tom Becker").user
    contracts = {}
    for name in ("Northwind Consulting", "Contoso Data Services"):
        vendor = vendor_services.vendor_create(
            actor=pm, program=program, name=name, status="active"
        )
        contracts[name] = vendor_services.contract_create(
            actor=pm, program=program, vendor=vendor, title=f"SOW: {name}",
            value=100_000, start_date=dt.date(2026, 1, 5), end_date=dt.date(2027, 3, 31),
            status="active", signed_on=dt.date(2026, 1, 5),
        )  # fmt: skip
    vendor_services.portal_user_bind(
        actor=pm, program=program, user=tom, vendor=contracts["Northwind Consulting"].vendor
    )
    ours = deliverable_services.deliverable_create(
        actor=pm, program=program, contract=contracts["Northwind Consulting"],
        title="Finance solution design document", due_date=dt.date(2027, 1, 15), reviewer=pm,
        criteria=["Every in-scope process has a to-be design",
                  "Signed off by the finance design authority"],
    )  # fmt: skip
    theirs = deliverable_services.deliverable_create(
        actor=pm, program=program, contract=contracts["Contoso Data Services"],
        title="Mock load 1 reconciliation report", due_date=dt.date(2027, 1, 22),
        criteria=["Record counts reconciled"],
    )  # fmt: skip
    return {"program": program, "ours": ours, "theirs": theirs}


@pytest.fixture
def sessions(browser, live_server):
    """One browser session per person, signed in through the login page, all watched."""
    opened = {}

    def session(email: str):
        if email not in opened:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            context.add_init_script(CSP_REPORTER)
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.watcher = PageWatcher(page, live_server.url)
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("E-mail address").fill(email)
            page.get_by_label("Password", exact=False).first.fill(DEFAULT_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live_server.url}/programs/**")
            opened[email] = (context, page)
        return opened[email][1]

    yield session
    for context, page in opened.values():
        page.watcher.assert_clean()
        context.close()


def test_vendor_submits_is_fenced_in_and_sees_the_review(sessions, live_server, erp):
    base = live_server.url
    ours, theirs = erp["ours"], erp["theirs"]

    # Tom opens his deliverables from the program's navigation: only Northwind's are there.
    tom = sessions("vendor@example.com")
    tom.goto(f"{base}/programs/ERP/")
    tom.get_by_role("navigation", name="ERP sections").get_by_role(
        "link", name="Deliverables"
    ).click()
    tom.wait_for_url(f"{base}/programs/ERP/vendors/portal/deliverables/")
    expect(tom.get_by_role("heading", level=1)).to_have_text("My deliverables")
    rows = tom.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ours.title)
    expect(tom.get_by_text(theirs.title)).to_have_count(0)

    # He submits it with a file and a note.
    rows.first.get_by_role("link", name=f"Submit {ours.key}").click()
    expect(tom.get_by_role("heading", level=1)).to_contain_text("Submit round 1")
    tom.get_by_label("Files").set_input_files(
        [{"name": "finance-design-v1.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    tom.get_by_label("Note").fill("Design v1.0 for review.")
    screenshot(tom, "vendor-portal-submit")
    tom.get_by_role("button", name="Submit for review").click()
    tom.wait_for_url(f"{base}/programs/ERP/vendors/portal/deliverables/{ours.key}/")
    expect(tom.get_by_text(f"Round 1 of {ours.key} submitted with 1 file")).to_be_visible()
    expect(tom.locator(".app-title-meta")).to_contain_text("Submitted, awaiting review")
    expect(tom.get_by_role("link", name="finance-design-v1.pdf")).to_be_visible()
    submission = Submission.objects.get(deliverable=ours)
    assert (submission.submitted_by.email, submission.files.count()) == ("vendor@example.com", 1)

    # Another vendor's deliverable, typed into the address bar: the 404 page.
    response = tom.goto(f"{base}/programs/ERP/vendors/portal/deliverables/{theirs.key}/")
    assert response.status == 404
    expect(tom.get_by_text("We couldn't find that page")).to_be_visible()
    expect(tom.get_by_text(theirs.title)).to_have_count(0)
    tom.watcher.problems[:] = [p for p in tom.watcher.problems if "status of 404" not in p]

    # Priya reviews the round: the first criterion met, the second not, with the reason.
    priya = sessions("pm@example.com")
    priya.goto(f"{base}/programs/ERP/vendors/deliverables/{ours.key}/")
    priya.get_by_role("link", name="Review round 1").click()
    criteria = list(ours.criteria.order_by("position"))
    priya.locator(f"label[for='id_met_{criteria[0].pk}_0']").click()
    priya.locator(f"label[for='id_met_{criteria[1].pk}_1']").click()
    priya.locator(f"#id_reason_{criteria[1].pk}").fill(REASON)
    screenshot(priya, "vendor-portal-review", full_page=True)
    priya.get_by_role("button", name="Record the review").click()
    priya.wait_for_url(f"{base}/programs/ERP/vendors/deliverables/{ours.key}/")
    expect(
        priya.get_by_text(f"Round 1 of {ours.key} rejected (1 criterion not met)")
    ).to_be_visible()
    assert Deliverable.objects.get(pk=ours.pk).status == "rejected"

    # Tom sees the reason in his portal, and may submit round 2.
    tom.goto(f"{base}/programs/ERP/vendors/portal/deliverables/{ours.key}/")
    expect(tom.locator(".dlv-result-not-met")).to_contain_text(REASON)
    expect(tom.get_by_text("Resubmit: 1 criterion not met in round 1.")).to_be_visible()
    expect(tom.get_by_role("link", name="Submit round 2")).to_be_visible()
    screenshot(tom, "vendor-portal-rejected", full_page=True)
