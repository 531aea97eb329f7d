"""Deliverable services: creating them on open contracts, criteria rules, submission rounds by the
vendor (or on its behalf), reviews that need a decision on every criterion, the immutable
acceptance record, withdrawal and the e-mails."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from core.audit_guard import UnauditedWriteError, bulk_writes_allowed
from core.models import AuditEntry, OutboundEmail
from core.permissions import Role
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, member
from schedules.models import Item
from vendors.models import (
    AcceptanceCriterion,
    AcceptanceRecordError,
    CriterionResult,
    Deliverable,
    Review,
    Submission,
    SubmissionFile,
)
from vendors.services import deliverables as services
from vendors.services.errors import Refused

from .deliverable_factories import (
    CRITERIA,
    decisions,
    make_deliverable,
    media,  # noqa: F401 - a fixture
    review,
    submit,
    upload,
)
from .factories import fresh, make_contract, make_portal_user, make_vendor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def entries(instance) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(instance)
    return list(
        AuditEntry.objects.filter(content_type=ct, object_id=str(instance.pk)).order_by("id")
    )


@pytest.fixture
def vendor(program):
    return make_vendor(program, name="Northwind Consulting")


@pytest.fixture
def contract(program, vendor):
    return make_contract(program, vendor)


@pytest.fixture
def vendor_user(program, vendor):
    user = member(program, Role.VENDOR, email="tom@northwind.example").user
    make_portal_user(program, vendor, user=user)
    return user


@pytest.fixture
def deliverable(program, contract):
    return make_deliverable(program, contract)


def wbs_item(program, kind="deliverable", key="TSK-1"):
    return Item.objects.create(program=program, key=key, name="Design document", kind=kind)


# --- create, update, delete -----------------------------------------------------------------


def test_create_copies_the_vendor_numbers_the_criteria_and_audits(program, contract, manager):
    item = wbs_item(program)
    deliverable = make_deliverable(program, contract, wbs_item=item, reviewer=manager)

    assert (deliverable.key, deliverable.vendor, deliverable.status) == (
        "DLV-1",
        contract.vendor,
        "planned",
    )
    assert deliverable.wbs_item == item
    criteria = list(deliverable.criteria.order_by("position"))
    assert [(c.position, c.text) for c in criteria] == [(1, CRITERIA[0]), (2, CRITERIA[1])]
    assert entries(deliverable)[0].action == "create"
    assert all(entries(c) for c in criteria)


@pytest.mark.parametrize("status", ["on_hold", "completed", "terminated"])
def test_create_refuses_a_contract_that_is_not_active_or_draft(program, vendor, status):
    contract = make_contract(program, vendor, status=status)

    with pytest.raises(ValidationError) as exc:
        make_deliverable(program, contract)

    assert (
        "deliverables are added to active or draft contracts"
        in exc.value.message_dict["contract"][0]
    )
    assert not Deliverable.objects.exists()


def test_create_on_a_draft_contract_is_allowed(program, vendor):
    assert make_deliverable(program, make_contract(program, vendor, status="draft")).pk


def test_create_refuses_a_contract_of_another_program(program):
    other = make_contract(ProgramFactory())

    with pytest.raises(ValidationError) as exc:
        make_deliverable(program, other)

    assert exc.value.message_dict == {"contract": ["That belongs to another program."]}


def test_wbs_link_must_be_a_deliverable_or_milestone_of_the_program(program, contract):
    task = wbs_item(program, kind="task")
    foreign = wbs_item(ProgramFactory(), key="TSK-9")

    with pytest.raises(ValidationError) as exc:
        make_deliverable(program, contract, wbs_item=task)
    assert exc.value.message_dict["wbs_item"] == [
        "TSK-1 is a task: link a WBS deliverable or milestone."
    ]
    with pytest.raises(ValidationError) as exc:
        make_deliverable(program, contract, wbs_item=foreign)
    assert exc.value.message_dict["wbs_item"] == ["That belongs to another program."]
    milestone = wbs_item(program, kind="milestone", key="TSK-2")
    assert make_deliverable(program, contract, wbs_item=milestone).wbs_item == milestone


def test_reviewer_must_be_allowed_to_review(program, contract):
    contributor = member(program, Role.CONTRIBUTOR, full_name="Ana Souza").user
    coordinator = member(program, Role.COORDINATOR).user

    with pytest.raises(ValidationError) as exc:
        make_deliverable(program, contract, reviewer=contributor)

    assert exc.value.message_dict["reviewer"] == [
        "Ana Souza cannot review deliverables in ERP (program managers and coordinators do)."
    ]
    assert make_deliverable(program, contract, reviewer=coordinator).reviewer == coordinator


def test_update_is_version_checked_and_audited(deliverable, manager):
    updated = services.deliverable_update(
        actor=manager, deliverable=deliverable, expected_version=1, due_date=dt.date(2027, 1, 8)
    )

    assert (updated.due_date, updated.version) == (dt.date(2027, 1, 8), 2)
    assert entries(deliverable)[-1].changes["due_date"] == ["2026-12-18", "2027-01-08"]
    with pytest.raises(StaleVersionError):
        services.deliverable_update(
            actor=manager, deliverable=deliverable, expected_version=1, title="Changed"
        )
    assert fresh(deliverable).title == "Finance solution design document"


def test_moving_to_another_contract_moves_the_vendor_until_something_was_submitted(
    program, deliverable, manager
):
    other = make_contract(program, make_vendor(program, name="Contoso"), title="SOW 2")

    moved = services.deliverable_update(
        actor=manager, deliverable=deliverable, expected_version=1, contract=other
    )
    assert moved.vendor == other.vendor

    submit(moved)
    with pytest.raises(ValidationError) as exc:
        services.deliverable_update(
            actor=manager,
            deliverable=moved,
            expected_version=fresh(moved).version,
            contract=deliverable.contract,
        )
    assert "was already submitted under CTR-2" in exc.value.message_dict["contract"][0]


def test_an_accepted_deliverable_no_longer_changes(deliverable, manager):
    submit(deliverable)
    review(deliverable, True, True)

    with pytest.raises(Refused) as exc:
        services.deliverable_update(
            actor=manager,
            deliverable=deliverable,
            expected_version=fresh(deliverable).version,
            title="Renamed",
        )

    assert exc.value.reason.startswith("DLV-1 was accepted")


def test_delete_before_any_submission_removes_it_and_its_criteria(deliverable, manager):
    services.deliverable_delete(actor=manager, deliverable=deliverable, expected_version=1)

    assert not Deliverable.objects.exists()
    assert not AcceptanceCriterion.objects.exists()
    assert entries(deliverable)[-1].action == "delete"


def test_delete_after_a_submission_is_refused(deliverable, manager):
    submit(deliverable)

    with pytest.raises(Refused) as exc:
        services.deliverable_delete(
            actor=manager, deliverable=deliverable, expected_version=fresh(deliverable).version
        )

    assert exc.value.reason == (
        "DLV-1 has 1 submitted round: they are part of the acceptance record. Withdraw it instead."
    )
    assert Deliverable.objects.count() == 1


# --- criteria -------------------------------------------------------------------------------


def test_criteria_are_added_edited_reordered_and_removed_while_planned(deliverable, manager):
    first, second = deliverable.criteria.order_by("position")

    third = services.criterion_add(actor=manager, deliverable=deliverable, text="  Spell-checked ")
    services.criterion_update(actor=manager, criterion=first, text="Reworded", expected_version=1)
    services.criteria_reorder(
        actor=manager, deliverable=deliverable, order=[third.pk, first.pk, second.pk]
    )
    services.criterion_delete(actor=manager, criterion=second, expected_version=2)

    assert [c.text for c in deliverable.criteria.order_by("position")] == [
        "Spell-checked",
        "Reworded",
    ]
    assert [e.action for e in entries(second)] == ["create", "update", "delete"]


def test_reorder_needs_every_criterion_once(deliverable, manager):
    first, _ = deliverable.criteria.order_by("position")

    with pytest.raises(ValidationError) as exc:
        services.criteria_reorder(actor=manager, deliverable=deliverable, order=[first.pk])

    assert "exactly once" in exc.value.message_dict["order"][0]


def test_criteria_do_not_change_while_a_round_awaits_review(deliverable, manager):
    submit(deliverable)
    first = deliverable.criteria.order_by("position").first()

    for change in (
        lambda: services.criterion_add(actor=manager, deliverable=deliverable, text="More"),
        lambda: services.criterion_update(
            actor=manager, criterion=first, text="Other", expected_version=1
        ),
        lambda: services.criterion_delete(actor=manager, criterion=first, expected_version=1),
    ):
        with pytest.raises(Refused) as exc:
            change()
        assert exc.value.reason.startswith("Round 1 of DLV-1 is awaiting review")
    assert [c.text for c in deliverable.criteria.order_by("position")] == list(CRITERIA)


def test_a_judged_criterion_never_changes_but_new_ones_may_be_added(deliverable, manager):
    submit(deliverable)
    review(deliverable, True, "Not signed yet.")
    first = deliverable.criteria.order_by("position").first()

    with pytest.raises(Refused) as exc:
        services.criterion_update(actor=manager, criterion=first, text="x", expected_version=1)
    assert exc.value.reason.startswith("This criterion was judged in the review of round 1")
    with pytest.raises(Refused):
        services.criterion_delete(actor=manager, criterion=first, expected_version=1)

    added = services.criterion_add(actor=manager, deliverable=deliverable, text="Has an index")
    assert added.position == 3


def test_criteria_text_is_required(deliverable, manager):
    with pytest.raises(ValidationError) as exc:
        services.criterion_add(actor=manager, deliverable=deliverable, text="   ")

    assert list(exc.value.message_dict) == ["text"]


# --- submission -----------------------------------------------------------------------------


def test_the_vendor_submits_round_one_with_files_stored_and_hashed(deliverable, vendor_user):
    content = b"%PDF-1.7\nthe design\n%%EOF\n"

    submission = submit(
        deliverable,
        actor=vendor_user,
        files=[upload("design v1.pdf", content), upload("interfaces.csv", b"a,b\n1,2\n")],
    )

    current = fresh(deliverable)
    assert (current.status, current.rounds, submission.round) == ("submitted", 1, 1)
    assert current.first_submitted_at is not None
    assert submission.submitted_by == vendor_user
    pdf, csv = submission.files.order_by("id")
    assert (pdf.file_name, pdf.size, pdf.content_type) == (
        "design v1.pdf",
        len(content),
        "application/pdf",
    )
    assert pdf.sha256 == hashlib.sha256(content).hexdigest()
    assert (Path(settings.MEDIA_ROOT) / pdf.file.name).read_bytes() == content
    assert pdf.file.name.startswith(f"deliverables/{deliverable.program_id}/{submission.pk}/")
    assert csv.content_type == "text/csv"
    assert entries(current)[-1].changes["status"] == ["planned", "submitted"]


def test_staff_may_submit_on_the_vendors_behalf(deliverable, program):
    coordinator = member(program, Role.COORDINATOR).user

    submission = submit(deliverable, actor=coordinator)

    assert submission.submitted_by == coordinator


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.FINANCE, Role.VIEWER])
def test_other_roles_cannot_submit(deliverable, program, role):
    with pytest.raises(PermissionDenied):
        submit(deliverable, actor=member(program, role).user)

    assert not Submission.objects.exists()


def test_another_vendors_portal_user_cannot_submit(deliverable, program):
    other = make_portal_user(program, make_vendor(program, name="Contoso"))

    with pytest.raises(PermissionDenied) as exc:
        submit(deliverable, actor=other.membership.user)

    assert str(exc.value) == "You can submit only your own company's deliverables."
    assert fresh(deliverable).status == "planned"


def test_no_second_round_while_one_awaits_review(deliverable, vendor_user):
    submit(deliverable, actor=vendor_user)

    with pytest.raises(Refused) as exc:
        submit(deliverable, actor=vendor_user)

    assert exc.value.reason.startswith("Round 1 of DLV-1 is awaiting review")
    assert Submission.objects.count() == 1


def test_a_rejected_round_is_followed_by_round_two(deliverable, vendor_user):
    submit(deliverable, actor=vendor_user)
    first_at = fresh(deliverable).first_submitted_at
    review(deliverable, True, "The sign-off page is missing.")

    second = submit(deliverable, actor=vendor_user, note="Signed page added.")

    current = fresh(deliverable)
    assert (second.round, current.rounds, current.status) == (2, 2, "submitted")
    assert current.first_submitted_at == first_at


def test_nothing_is_submitted_without_criteria(program, contract, vendor_user):
    deliverable = make_deliverable(program, contract, criteria=())

    with pytest.raises(Refused) as exc:
        submit(deliverable, actor=vendor_user)

    assert "has no acceptance criteria yet" in exc.value.reason


def test_nothing_is_submitted_to_a_withdrawn_deliverable(deliverable, manager, vendor_user):
    services.deliverable_withdraw(
        actor=manager, deliverable=deliverable, reason="Descoped by CR-4.", expected_version=1
    )

    with pytest.raises(Refused) as exc:
        submit(deliverable, actor=vendor_user)

    assert exc.value.reason == "DLV-1 was withdrawn by the program: nothing more to submit."


def test_a_stale_version_is_refused_on_submission(deliverable, vendor_user, manager):
    services.deliverable_update(
        actor=manager, deliverable=deliverable, expected_version=1, title="Renamed"
    )

    with pytest.raises(StaleVersionError):
        services.deliverable_submit(
            actor=vendor_user, deliverable=deliverable, files=[upload()], expected_version=1
        )


def test_submission_emails_the_reviewer_once(program, contract, vendor_user):
    reviewer = member(program, Role.COORDINATOR, email="marcus@example.com").user
    deliverable = make_deliverable(program, contract, reviewer=reviewer)

    submission = submit(deliverable, actor=vendor_user, files=[upload("design.pdf")])

    [email] = OutboundEmail.objects.all()
    assert email.to == ["marcus@example.com"]
    assert email.subject == (
        "[ERP] DLV-1 submitted for review (round 1): Finance solution design document"
    )
    assert "- design.pdf (" in email.body_text
    assert "/programs/ERP/vendors/deliverables/DLV-1/review/" in email.body_text
    assert email.idempotency_key == f"deliverable-submitted:{submission.pk}"


def test_without_a_reviewer_the_contract_owner_then_the_managers_are_told(
    program, vendor, vendor_user, manager
):
    deliverable = make_deliverable(program, make_contract(program, vendor))

    submit(deliverable, actor=vendor_user)

    assert OutboundEmail.objects.get().to == [manager.email]


# --- review ---------------------------------------------------------------------------------


def test_all_criteria_met_accepts(deliverable, vendor_user, manager):
    submission = submit(deliverable, actor=vendor_user)

    result = review(deliverable, True, True, summary="Good work.")

    current = fresh(deliverable)
    assert (result.outcome, current.status) == ("accepted", "accepted")
    assert current.accepted_at is not None
    assert result.submission == submission
    assert result.reviewed_by == manager
    assert [r.met for r in result.results.order_by("criterion__position")] == [True, True]


def test_any_criterion_not_met_rejects_with_the_reasons_kept(deliverable, vendor_user):
    submit(deliverable, actor=vendor_user)

    result = review(deliverable, True, "No sign-off page.")

    assert (result.outcome, fresh(deliverable).status) == ("rejected", "rejected")
    assert fresh(deliverable).accepted_at is None
    not_met = result.results.get(met=False)
    assert (not_met.criterion.text, not_met.reason) == (CRITERIA[1], "No sign-off page.")


def test_a_review_needs_a_decision_on_every_criterion(deliverable, vendor_user, manager):
    submit(deliverable, actor=vendor_user)
    first, _ = deliverable.criteria.order_by("position")

    with pytest.raises(ValidationError) as exc:
        services.deliverable_review(
            actor=manager,
            deliverable=deliverable,
            results=[{"criterion": first.pk, "met": True, "reason": ""}],
        )

    assert exc.value.message_dict == {
        "results": [
            "Decide met or not met for every criterion; no decision on criterion 2 “Signed off "
            "by the finance design authority”."
        ]
    }
    assert not Review.objects.exists()
    assert fresh(deliverable).status == "submitted"


def test_a_criterion_not_met_needs_a_reason(deliverable, vendor_user, manager):
    submit(deliverable, actor=vendor_user)

    with pytest.raises(ValidationError) as exc:
        services.deliverable_review(
            actor=manager, deliverable=deliverable, results=decisions(deliverable, True, "  ")
        )

    assert exc.value.message_dict["results"] == [
        "Criterion 2 “Signed off by the finance design authority” is not met: say why, so the "
        "vendor knows what to fix."
    ]
    assert not CriterionResult.objects.exists()


def test_unknown_and_doubled_criteria_are_refused(deliverable, vendor_user, manager):
    submit(deliverable, actor=vendor_user)
    first, second = deliverable.criteria.order_by("position")
    other = make_deliverable(deliverable.program, deliverable.contract).criteria.first()

    with pytest.raises(ValidationError) as exc:
        services.deliverable_review(
            actor=manager,
            deliverable=deliverable,
            results=[
                {"criterion": first.pk, "met": True},
                {"criterion": first.pk, "met": False, "reason": "x"},
                {"criterion": second.pk, "met": True},
                {"criterion": other.pk, "met": True},
            ],
        )

    assert exc.value.message_dict["results"] == [
        "Criterion 1 “All 14 interfaces documented with owner and frequency” has two decisions.",
        f"Criterion {other.pk} is not one of DLV-1's acceptance criteria.",
    ]


def test_nothing_to_review_before_a_submission_or_after_the_review(deliverable, vendor_user):
    with pytest.raises(Refused) as exc:
        review(deliverable, True, True)
    assert (
        exc.value.reason == "Nothing of DLV-1 has been submitted yet: there is no round to review."
    )

    submit(deliverable, actor=vendor_user)
    review(deliverable, True, "Missing")
    with pytest.raises(Refused) as exc:
        review(deliverable, True, True)
    assert exc.value.reason.startswith("Round 1 of DLV-1 was already reviewed (rejected)")
    assert Review.objects.count() == 1


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.FINANCE, Role.VENDOR])
def test_only_reviewing_roles_review(deliverable, vendor_user, program, role):
    submit(deliverable, actor=vendor_user)
    actor = vendor_user if role == Role.VENDOR else member(program, role).user

    with pytest.raises(PermissionDenied):
        review(deliverable, True, True, actor=actor)

    assert not Review.objects.exists()


def test_a_deliverable_without_criteria_cannot_be_accepted(deliverable, vendor_user, manager):
    submit(deliverable, actor=vendor_user)
    with bulk_writes_allowed():  # criteria gone behind the services' back (e.g. an old import)
        AcceptanceCriterion.objects.filter(deliverable=deliverable).delete()

    with pytest.raises(Refused) as exc:
        services.deliverable_review(actor=manager, deliverable=deliverable, results=[])

    assert "a deliverable cannot be accepted without them" in exc.value.reason
    assert fresh(deliverable).status == "submitted"


def test_the_acceptance_record_cannot_be_changed_or_deleted(deliverable, vendor_user):
    submission = submit(deliverable, actor=vendor_user)
    result = review(deliverable, True, "Missing page.")
    rows = [submission, submission.files.get(), result, result.results.first()]

    for row in rows:
        with pytest.raises(AcceptanceRecordError):
            row.save()
        with pytest.raises(AcceptanceRecordError):
            row.delete()
    with pytest.raises(UnauditedWriteError):
        CriterionResult.objects.filter(review=result).update(reason="rewritten")
    assert CriterionResult.objects.get(met=False).reason == "Missing page."
    assert SubmissionFile.objects.count() == 1


def test_the_review_emails_the_vendors_portal_users(deliverable, vendor_user, program):
    other_vendor_user = make_portal_user(program, make_vendor(program, name="Contoso"))
    submit(deliverable, actor=vendor_user)

    result = review(deliverable, True, "The sign-off page is missing.")

    email = OutboundEmail.objects.get(idempotency_key=f"deliverable-reviewed:{result.pk}")
    assert email.to == ["tom@northwind.example"]
    assert other_vendor_user.membership.user.email not in email.to
    assert email.subject == ("[ERP] DLV-1 not accepted (round 1): Finance solution design document")
    assert "2. [NOT MET] Signed off by the finance design authority" in email.body_text
    assert "Why: The sign-off page is missing." in email.body_text
    assert "/programs/ERP/vendors/portal/deliverables/DLV-1/" in email.body_text


# --- withdraw -------------------------------------------------------------------------------


def test_withdraw_needs_a_reason_and_is_final(deliverable, manager):
    with pytest.raises(ValidationError) as exc:
        services.deliverable_withdraw(
            actor=manager, deliverable=deliverable, reason=" ", expected_version=1
        )
    assert list(exc.value.message_dict) == ["reason"]

    withdrawn = services.deliverable_withdraw(
        actor=manager, deliverable=deliverable, reason="Descoped by CR-4.", expected_version=1
    )
    assert (withdrawn.status, withdrawn.withdrawn_reason) == ("withdrawn", "Descoped by CR-4.")
    with pytest.raises(Refused):
        services.deliverable_withdraw(
            actor=manager, deliverable=deliverable, reason="Again", expected_version=2
        )


def test_an_accepted_deliverable_cannot_be_withdrawn(deliverable, vendor_user, manager):
    submit(deliverable, actor=vendor_user)
    review(deliverable, True, True)

    with pytest.raises(Refused):
        services.deliverable_withdraw(
            actor=manager,
            deliverable=deliverable,
            reason="Changed our mind",
            expected_version=fresh(deliverable).version,
        )
    assert fresh(deliverable).status == "accepted"
