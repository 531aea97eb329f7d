"""The demo deliverables: every review state, dated over the past months, files stored through
the service, no e-mail sent for the history."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.models import OutboundEmail
from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from schedules.models import Item
from vendors import demo_deliverables
from vendors.models import Deliverable, Review, Submission, SubmissionFile
from vendors.selectors import deliverables as selectors

from .deliverable_factories import media  # noqa: F401 - a fixture
from .factories import make_contract, make_portal_user, make_vendor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

NOW = dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)


@pytest.fixture
def built():
    with time_machine.travel(NOW, tick=False):
        program = ProgramFactory(code="ERP", time_zone="Europe/Berlin")
        manager = program.memberships.get(role=Role.MANAGER).user
        member(program, Role.COORDINATOR, email="coordinator@example.com")
        tom = member(program, Role.VENDOR, email="vendor@example.com").user
        northwind = make_vendor(program, name="Northwind Consulting")
        make_portal_user(program, northwind, user=tom)
        contoso = make_vendor(program, name="Contoso Data Services")
        item = Item.objects.create(
            program=program, key="TSK-9", name="Data migration strategy", kind="deliverable"
        )
        ctx = {
            "manager": manager,
            "vendors": {"northwind": northwind, "contoso": contoso},
            "contracts": {
                "nw_sow1": make_contract(program, northwind, end_date=dt.date(2027, 3, 31)),
                "ct_sow": make_contract(program, contoso, title="Data migration"),
            },
        }
        counts = demo_deliverables.build(program, ctx)
        rows = list(selectors.deliverable_list(program=program))
    return {"program": program, "ctx": ctx, "counts": counts, "rows": rows, "tom": tom,
            "item": item}  # fmt: skip


def test_every_state_is_there(built):
    rows = built["rows"]
    states = {d.status for d in rows}
    planned = [d for d in rows if d.status == "planned"]
    accepted = [d for d in rows if d.status == "accepted"]

    assert states == {"planned", "submitted", "rejected", "accepted", "withdrawn"}
    assert any(d.overdue for d in planned) and any(not d.overdue for d in planned)
    assert {d.rounds for d in accepted} == {1, 2}
    assert built["counts"] == {
        "deliverables": len(demo_deliverables.SPECS),
        "submission rounds": Submission.objects.count(),
    }
    assert set(built["ctx"]["deliverables"]) == {s.slug for s in demo_deliverables.SPECS}


def test_history_is_dated_over_the_past_months(built):
    submitted = sorted(Submission.objects.values_list("created_at", flat=True))
    reviews = Review.objects.values_list("created_at", "submission__created_at")

    assert submitted[0] < NOW - dt.timedelta(days=240)
    assert submitted[-1] < NOW
    assert all(reviewed > sent for reviewed, sent in reviews)
    first_pass = Review.objects.filter(submission__round=1, outcome="accepted").count()
    assert 0 < first_pass < Review.objects.filter(submission__round=1).count()
    late = [
        d
        for d in Deliverable.objects.exclude(first_submitted_at=None)
        if d.first_submitted_at.date() > d.due_date
    ]
    assert late  # some were late, for the on-time measure


def test_the_vendor_submitted_files_and_no_mail_went_out(built):
    assert SubmissionFile.objects.count() >= Submission.objects.count()
    assert set(Submission.objects.values_list("deliverable__vendor__name", flat=True)) == {
        "Northwind Consulting",
        "Contoso Data Services",
    }
    northwind = Submission.objects.filter(deliverable__vendor__name="Northwind Consulting")
    assert set(northwind.values_list("submitted_by", flat=True)) == {built["tom"].pk}
    assert not OutboundEmail.objects.exists()
    linked = Deliverable.objects.get(title="Data migration strategy")
    assert linked.wbs_item == built["item"]
