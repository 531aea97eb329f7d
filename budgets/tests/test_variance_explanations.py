"""The explanation workflow: finance requests (the owner is e-mailed once), the line's owner
or a manager writes, finance approves or returns; who may do what, and refusals change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from budgets.models import ExplanationStatus, VarianceExplanation
from budgets.services import variance as services
from core.errors import Refused
from core.models import OutboundEmail
from core.permissions import Role
from core.versioning import StaleVersionError
from programs.tests.factories import manager_of, member

from .factories import actual, make_line, plan
from .invoice_factories import finance_of
from .variance_factories import APR, AS_OF, FEB, JAN, MAY, D, worked_example

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(program):
    return worked_example(program)


@pytest.fixture
def requested(program, example):
    return services.explanation_request(
        actor=finance_of(program), line=example.b, month=JAN, as_of=AS_OF
    )


def test_request_keeps_the_figures_and_emails_the_owner_once(program, example, requested):
    assert requested.status == ExplanationStatus.REQUESTED
    assert (requested.plan, requested.actual) == (D("500.00"), D("8000.00"))
    assert requested.requested_by == finance_of(program)
    emails = OutboundEmail.objects.filter(
        idempotency_key=f"variance-explanation-requested:{requested.pk}"
    )
    assert emails.count() == 1
    email = emails.get()
    assert email.to == [example.owner.email]
    assert example.b.key in email.subject and "/variance/explanations/" in email.body_text


@pytest.mark.parametrize(
    ("month", "reason"),
    [(FEB, "within the thresholds"), (MAY, "not closed yet")],
)
def test_request_refused_within_thresholds_or_open_month(program, example, month, reason):
    with pytest.raises(Refused, match=reason):
        services.explanation_request(
            actor=finance_of(program), line=example.b, month=month, as_of=AS_OF
        )
    assert not VarianceExplanation.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_request_twice_is_refused(program, example, requested):
    with pytest.raises(Refused, match="exists already"):
        services.explanation_request(
            actor=finance_of(program), line=example.b, month=JAN, as_of=AS_OF
        )
    assert VarianceExplanation.objects.count() == 1


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.COORDINATOR, Role.VIEWER])
def test_only_finance_or_a_manager_requests(program, example, role):
    someone = member(program, role).user
    with pytest.raises(Refused, match="Only finance or a program manager"):
        services.explanation_request(actor=someone, line=example.b, month=JAN, as_of=AS_OF)
    assert not VarianceExplanation.objects.exists()


def test_a_manager_may_request(program, example):
    row = services.explanation_request(
        actor=manager_of(program), line=example.b, month=JAN, as_of=AS_OF
    )
    assert row.status == ExplanationStatus.REQUESTED


def test_request_all_requests_each_unrequested_variance(program, example):
    line = make_line(program, name="Over")
    plan(line, APR, "1000.00")
    actual(line, APR, "9000.00")
    finance = finance_of(program)
    created = services.explanation_request_all(actor=finance, program=program, as_of=AS_OF)
    assert {(e.line, e.month) for e in created} == {(example.b, JAN), (line, APR)}
    assert services.explanation_request_all(actor=finance, program=program, as_of=AS_OF) == []
    assert OutboundEmail.objects.count() == 1  # the new line has no owner: nobody to e-mail


def test_owner_writes_and_it_awaits_approval(example, requested):
    written = services.explanation_write(
        actor=example.owner, explanation=requested, text="  A licence true-up.  ",
        expected_version=requested.version,
    )  # fmt: skip
    assert written.status == ExplanationStatus.SUBMITTED
    assert written.text == "A licence true-up."
    assert written.explained_by == example.owner
    rewritten = services.explanation_write(
        actor=example.owner, explanation=written, text="A licence true-up for 2026.",
        expected_version=written.version,
    )  # fmt: skip
    assert rewritten.text == "A licence true-up for 2026."


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.FINANCE, Role.COORDINATOR])
def test_someone_else_may_not_write(program, example, requested, role):
    other = member(program, role).user
    with pytest.raises(Refused, match="Only the line's owner"):
        services.explanation_write(
            actor=other, explanation=requested, text="Not mine.",
            expected_version=requested.version,
        )  # fmt: skip
    requested.refresh_from_db()
    assert (requested.status, requested.text, requested.version) == ("requested", "", 1)


def test_a_manager_may_write_for_the_owner(program, requested):
    written = services.explanation_write(
        actor=manager_of(program), explanation=requested, text="Owner on leave; see CR-3.",
        expected_version=requested.version,
    )  # fmt: skip
    assert written.status == ExplanationStatus.SUBMITTED


def test_an_empty_text_is_a_field_error(example, requested):
    with pytest.raises(ValidationError) as exc:
        services.explanation_write(
            actor=example.owner, explanation=requested, text="   ", expected_version=1
        )
    assert "text" in exc.value.message_dict


def test_stale_version_is_refused(example, requested):
    with pytest.raises(StaleVersionError):
        services.explanation_write(
            actor=example.owner, explanation=requested, text="x", expected_version=9
        )


def written(example, requested):
    return services.explanation_write(
        actor=example.owner, explanation=requested, text="Licence true-up.",
        expected_version=requested.version,
    )  # fmt: skip


def test_approved_is_never_edited(program, example, requested):
    done = services.explanation_approve(
        actor=finance_of(program), explanation=written(example, requested), note="Fine.",
        expected_version=None,
    )  # fmt: skip
    assert (done.status, done.review_note, done.reviewed_by) == (
        "approved", "Fine.", finance_of(program),
    )  # fmt: skip
    for actor in (example.owner, manager_of(program)):
        with pytest.raises(Refused, match="never edited"):
            services.explanation_write(
                actor=actor, explanation=done, text="Changed.", expected_version=None
            )
    with pytest.raises(Refused, match="awaiting approval"):
        services.explanation_return(
            actor=finance_of(program), explanation=done, note="More.", expected_version=None
        )
    done.refresh_from_db()
    assert done.text == "Licence true-up." and done.status == "approved"


def test_approve_needs_a_written_explanation(program, requested):
    with pytest.raises(Refused, match="this is requested"):
        services.explanation_approve(
            actor=finance_of(program), explanation=requested, expected_version=None
        )


def test_return_needs_a_note_and_emails_the_owner(program, example, requested):
    submitted = written(example, requested)
    with pytest.raises(ValidationError) as exc:
        services.explanation_return(
            actor=finance_of(program), explanation=submitted, note=" ", expected_version=None
        )
    assert "note" in exc.value.message_dict
    returned = services.explanation_return(
        actor=finance_of(program), explanation=submitted, note="Which licences?",
        expected_version=submitted.version,
    )  # fmt: skip
    assert returned.status == ExplanationStatus.RETURNED
    mail = OutboundEmail.objects.get(idempotency_key__startswith="variance-explanation-returned:")
    assert mail.to == [example.owner.email] and "Which licences?" in mail.body_text
    again = services.explanation_write(
        actor=example.owner, explanation=returned, text="Twelve extra licences.",
        expected_version=returned.version,
    )  # fmt: skip
    assert again.status == ExplanationStatus.SUBMITTED


def test_the_owner_cannot_review(program, example, requested):
    submitted = written(example, requested)
    with pytest.raises(Refused, match="Only finance or a program manager"):
        services.explanation_approve(
            actor=example.owner, explanation=submitted, expected_version=None
        )
    submitted.refresh_from_db()
    assert submitted.status == ExplanationStatus.SUBMITTED


def test_every_step_is_audited(program, example, requested):
    from core.audit import history_for_object

    services.explanation_approve(
        actor=finance_of(program), explanation=written(example, requested), expected_version=None
    )
    actions = list(history_for_object(requested).order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "update"]
