"""Release pages through the client: the list with readiness badges, the detail's banner and
checklist on every tab, the forms (input kept on error, conflicts), scope via htmx, the go/no-go
page with its override form, the refusals as messages, notes downloads, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import ProgramFactory, manager_of, member
from releases.models import GoNoGoReview, Release, ReleaseStatus
from releases.services import release_reviews, release_rollback
from releases.services import releases as services
from releases.tests import factories
from releases.tests.release_factories import held_review, ready_release

pytestmark = pytest.mark.django_db
TABS = ("readiness", "scope", "tests", "signoffs", "reviews", "rollback", "log", "notes")


@pytest.fixture
def program():
    return ProgramFactory(code="ERP")


@pytest.fixture
def manager(program):
    return manager_of(program)


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def url(name, program, **kwargs):
    return reverse(f"releases:{name}", kwargs={"code": program.code, **kwargs})


def detail(program, release, tab=""):
    base = url("release_detail", program, key=release.key)
    return f"{base}?tab={tab}" if tab else base


def _not_ready(program):
    """A release whose UAT pass rate is 90 % and which has a pending finance sign-off."""
    built = ready_release(program)
    factories.record_run(built.cycle_cases[0], "fail")
    finance = member(program, Role.FINANCE, full_name="Fiona Finance").user
    release_reviews.signoff_create(
        actor=built.manager, release=built.release, role="Finance", signer=finance
    )
    built.finance = finance
    return built


# --- list -----------------------------------------------------------------------------------


def test_list_shows_each_release_with_its_readiness_badge(client_for, program, manager):
    ready = ready_release(program)
    empty = factories.make_release(program, version_label="2.0", name="Operations")

    response = client_for(manager).get(url("release_list", program))

    assert response.status_code == 200
    text = response.content.decode()
    assert ready.release.key in text and empty.key in text
    assert "Ready" in text
    assert "Not ready: no readiness criteria" in text
    assert response.context["program_nav"] is not None


def test_list_says_how_many_criteria_fail(client_for, program, manager):
    _not_ready(program)

    response = client_for(manager).get(url("release_list", program))

    assert "Not ready: 2 of 5 criteria fail" in response.content.decode()


def test_list_filters_by_status(client_for, program, manager):
    factories.make_release(program, version_label="1.0")
    cancelled = factories.make_release(program, version_label="0.9")
    factories.set_state(cancelled, status=ReleaseStatus.CANCELLED)

    response = client_for(manager).get(url("release_list", program) + "?status=cancelled")

    assert [r.key for r in response.context["releases"]] == [cancelled.key]


def _list_queries(client, program):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url("release_list", program))
    assert response.status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_releases(client_for, program, manager):
    client = client_for(manager)
    ready_release(program)
    one = _list_queries(client, program)
    ready_release(program)
    ready_release(program)
    factories.make_release(program)

    assert _list_queries(client, program) == one


@pytest.mark.parametrize("tab", TABS)
def test_detail_queries_do_not_grow_with_rows(client_for, program, manager, tab):
    client = client_for(manager)
    built = _not_ready(program)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(detail(program, built.release, tab))
        assert response.status_code == 200
        return len(captured)

    first = held_review(built.release, manager)
    release_reviews.review_decide(actor=manager, review=first, decision="no_go")
    before = count()
    for n in range(3):
        extra = factories.make_requirement(program, priority="must")
        services.scope_add(actor=manager, release=built.release, requirements=[extra])
        factories.make_defect(program, severity=1, target_release=built.release)
        case = factories.make_case(program)
        factories.record_run(factories.plan_case(built.cycle, case), "fail")
        person = member(program, Role.VIEWER).user
        release_reviews.signoff_create(
            actor=manager, release=built.release, role=f"Role {n}", signer=person
        )
        release_rollback.rollback_step_add(
            actor=manager, release=built.release, action=f"Step {n}", owner=manager
        )
        release_rollback.log_entry_add(
            actor=manager, release=built.release, kind="note", occurred_at=built.release.created_at,
            summary=f"Note {n}",
        )  # fmt: skip
    held_review(built.release, manager)

    assert count() == before


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_the_not_ready_banner_with_reasons_and_the_checklist(
    client_for, program, manager
):
    built = _not_ready(program)
    defect = factories.make_defect(program, severity=1, target_release=built.release)

    response = client_for(manager).get(detail(program, built.release))

    text = response.content.decode()
    assert "Not ready: 3 of 5 criteria fail" in text
    assert f"1 open severity-1 defect: {defect.key}" in text
    assert "UAT pass rate 90.0 % (9 of 10 executed) &lt; 95 %" in text
    assert "Sign-offs collected: 1 of 2; pending: Finance (Fiona Finance)" in text
    assert "Must requirements verified: 1 of 1" in text  # the met ones are in the checklist
    checklist = response.context["checklist"]
    assert [row["result"].met for row in checklist] == [False, False, True, False, True]


def test_detail_shows_the_ready_banner(client_for, program, manager):
    built = ready_release(program)

    response = client_for(manager).get(detail(program, built.release))

    assert "Ready for go-live" in response.content.decode()


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_renders_for_a_viewer(client_for, program, tab):
    built = _not_ready(program)
    held_review(built.release, built.manager)
    viewer = member(program, Role.VIEWER).user

    response = client_for(viewer).get(detail(program, built.release, tab))

    assert response.status_code == 200
    assert response.context["tab"] == tab
    assert "Add criterion" not in response.content.decode()


def test_another_programs_release_is_404(client_for, program, manager):
    other = ProgramFactory(code="CRM")
    release = factories.make_release(other)

    response = client_for(manager).get(detail(program, release))

    assert response.status_code == 404


# --- release form ---------------------------------------------------------------------------


def test_create_release(client_for, program, manager):
    response = client_for(manager).post(
        url("release_create", program),
        {"version_label": "1.0", "name": "Finance go-live", "planned_date": "2027-02-01",
         "owner": manager.pk, "description": ""},
    )  # fmt: skip

    release = Release.objects.get(program=program)
    assert response.status_code == 302
    assert response["Location"] == detail(program, release)
    assert (release.version_label, release.status) == ("1.0", "planned")


def test_create_keeps_input_on_a_duplicate_version(client_for, program, manager):
    factories.make_release(program, version_label="1.0")

    response = client_for(manager).post(
        url("release_create", program),
        {"version_label": "1.0", "name": "Typed name", "planned_date": "2027-02-01"},
    )

    assert response.status_code == 400
    assert "already has a release with that version" in response.content.decode()
    assert 'value="Typed name"' in response.content.decode()


def test_edit_with_a_stale_version_shows_the_conflict(client_for, program, manager):
    release = factories.make_release(program, name="Old")
    stale = release.version
    services.release_update(actor=manager, release=release, expected_version=stale, name="New")

    response = client_for(manager).post(
        url("release_edit", program, key=release.key),
        {"version_label": release.version_label, "name": "Mine",
         "planned_date": release.planned_date.isoformat(), "version": stale},
    )  # fmt: skip

    assert response.status_code == 400
    assert "changed this while you were editing" in response.content.decode()
    release.refresh_from_db()
    assert release.name == "New"


def test_delete_is_refused_for_a_release_with_a_review(client_for, program, manager):
    release = factories.make_release(program)
    held_review(release, manager)

    response = client_for(manager).post(
        url("release_delete", program, key=release.key), {"version": release.version}
    )

    assert response.status_code == 302
    assert Release.objects.filter(pk=release.pk).exists()


def test_cancel_needs_a_reason(client_for, program, manager):
    release = factories.make_release(program)

    response = client_for(manager).post(
        url("release_cancel", program, key=release.key), {"reason": "", "version": release.version}
    )

    assert response.status_code == 400
    release.refresh_from_db()
    assert release.status == "planned"


# --- scope (htmx) ---------------------------------------------------------------------------


def test_scope_add_and_remove_through_htmx(client_for, program, manager):
    release = factories.make_release(program)
    requirement = factories.make_requirement(program)
    client = client_for(manager)

    added = client.post(
        url("release_scope_add", program, key=release.key),
        {"requirements": [requirement.pk]},
        HTTP_HX_REQUEST="true",
    )

    assert added.status_code == 200
    assert list(release.requirements.all()) == [requirement]
    assert f"Added to {release.key}: {requirement.key}." in added.content.decode()
    assert 'id="release-body"' in added.content.decode()
    assert "<html" not in added.content.decode()

    removed = client.post(
        url("release_scope_remove", program, key=release.key),
        {"item": requirement.key},
        HTTP_HX_REQUEST="true",
    )

    assert removed.status_code == 200
    assert not release.requirements.exists()


def test_scope_candidates_exclude_what_is_in_scope(client_for, program, manager):
    release = factories.make_release(program)
    inside = factories.make_requirement(program, title="Bank statement import")
    outside = factories.make_requirement(program, title="Bank connectivity")
    services.scope_add(actor=manager, release=release, requirements=[inside])

    response = client_for(manager).get(
        url("release_scope_search", program, key=release.key) + "?q=bank", HTTP_HX_REQUEST="true"
    )

    assert [r.key for r in response.context["requirement_candidates"]] == [outside.key]


def test_scope_candidates_opened_as_a_page_go_to_the_scope_tab(client_for, program, manager):
    release = factories.make_release(program)

    response = client_for(manager).get(url("release_scope_search", program, key=release.key))

    assert response.status_code == 302
    assert response["Location"] == url("release_detail", program, key=release.key) + "?tab=scope"


def test_scope_of_a_released_release_is_frozen(client_for, program, manager):
    release = factories.make_release(program)
    factories.set_state(release, status=ReleaseStatus.RELEASED)
    requirement = factories.make_requirement(program)

    response = client_for(manager).post(
        url("release_scope_add", program, key=release.key), {"requirements": [requirement.pk]}
    )

    assert response.status_code == 302
    assert not release.requirements.exists()


# --- criteria -------------------------------------------------------------------------------


def test_default_criteria_button_adds_five(client_for, program, manager):
    release = factories.make_release(program)

    client_for(manager).post(url("release_criteria_defaults", program, key=release.key))

    assert release.criteria.count() == 5


def test_criterion_form_keeps_input_and_names_the_missing_parameter(client_for, program, manager):
    release = factories.make_release(program)

    response = client_for(manager).post(
        url("release_criterion_create", program, key=release.key),
        {"kind": "pass_rate", "threshold": "", "cycle_kind": "uat", "label": "UAT gate"},
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "needs the pass rate threshold in percent" in text
    assert 'value="UAT gate"' in text
    assert not release.criteria.exists()


def test_manual_check_records_the_evidence(client_for, program, manager):
    release = factories.make_release(program)
    criterion = services.criterion_create(
        actor=manager, release=release, kind="manual", label="Cut-over rehearsal 2 completed"
    )

    response = client_for(manager).post(
        url("release_criterion_check", program, key=release.key, id=criterion.pk),
        {"evidence": "Rehearsal log CUT-2.", "version": criterion.version},
    )

    assert response.status_code == 302
    criterion.refresh_from_db()
    assert (criterion.manual_met, criterion.manual_checked_by) == (True, manager)


def test_the_modal_form_answers_hx_redirect(client_for, program, manager):
    release = factories.make_release(program)

    response = client_for(manager).post(
        url("release_criterion_create", program, key=release.key),
        {"kind": "signoffs"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == detail(program, release)


# --- sign-offs ------------------------------------------------------------------------------


def test_only_the_named_signer_sees_the_sign_button_and_can_sign(client_for, program, manager):
    release = factories.make_release(program)
    signer = member(program, Role.FINANCE, full_name="Fiona Finance").user
    other = member(program, Role.CONTRIBUTOR).user
    signoff = release_reviews.signoff_create(
        actor=manager, release=release, role="Finance", signer=signer
    )
    sign_url = url("release_signoff_sign", program, key=release.key, id=signoff.pk)

    page = client_for(other).get(detail(program, release, "signoffs")).content.decode()
    assert sign_url not in page
    refused = client_for(other).post(sign_url, {"comment": "", "version": signoff.version})
    assert refused.status_code == 400
    assert "Only Fiona Finance can give" in refused.content.decode()

    assert sign_url in client_for(signer).get(detail(program, release, "signoffs")).content.decode()
    signed = client_for(signer).post(sign_url, {"comment": "OK", "version": signoff.version})
    assert signed.status_code == 302
    signoff.refresh_from_db()
    assert signoff.signed_at is not None


# --- go/no-go -------------------------------------------------------------------------------


def _decide(client, program, review, **data):
    return client.post(
        url("release_review_decide", program, key=review.release.key, id=review.pk),
        {"version": review.version, "conditions": "", "override_reason": "", **data},
    )


def test_the_override_form_appears_only_for_the_manager_while_criteria_fail(
    client_for, program, manager
):
    built = _not_ready(program)
    executive = member(program, Role.EXECUTIVE, full_name="Eve Exec").user
    review = held_review(built.release, manager, attendees=[manager, executive])
    page = url("release_review_detail", program, key=built.release.key, id=review.pk)

    as_manager = client_for(manager).get(page).content.decode()
    assert 'name="override_reason"' in as_manager
    as_executive = client_for(executive).get(page).content.decode()
    assert 'name="override_reason"' not in as_executive
    assert "only the program manager can override" in as_executive


def test_go_is_refused_on_the_page_while_criteria_fail(client_for, program, manager):
    built = _not_ready(program)
    review = held_review(built.release, manager)

    response = _decide(client_for(manager), program, review, decision="go")

    assert response.status_code == 409
    assert "Go refused: 2 of 5 criteria fail" in response.content.decode()
    review.refresh_from_db()
    assert review.decision == ""
    built.release.refresh_from_db()
    assert built.release.status == "planned"


def test_override_without_reason_is_refused_on_the_page(client_for, program, manager):
    built = _not_ready(program)
    review = held_review(built.release, manager)

    response = _decide(client_for(manager), program, review, decision="go", override="on")

    assert response.status_code == 400
    assert "Write down why the release goes ahead" in response.content.decode()
    assert GoNoGoReview.objects.get(pk=review.pk).decision == ""


def test_manager_override_with_reason_records_go(client_for, program, manager):
    built = _not_ready(program)
    review = held_review(built.release, manager)

    response = _decide(
        client_for(manager), program, review, decision="go", override="on",
        override_reason="Finance signs tomorrow; the failing UAT case is a report layout.",
    )  # fmt: skip

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.decision, review.override) == ("go", True)
    page = client_for(manager).get(response["Location"]).content.decode()
    assert "Go decided although readiness criteria failed" in page
    assert "Finance signs tomorrow" in page


def test_executive_override_is_refused_on_the_page(client_for, program, manager):
    built = _not_ready(program)
    executive = member(program, Role.EXECUTIVE).user
    review = held_review(built.release, manager)

    response = _decide(
        client_for(executive), program, review, decision="go", override="on",
        override_reason="We must go.",
    )  # fmt: skip

    assert response.status_code == 409
    assert "Only the program manager can override" in response.content.decode()
    assert GoNoGoReview.objects.get(pk=review.pk).decision == ""


def test_attendee_votes_for_themself(client_for, program, manager):
    release = factories.make_release(program)
    attendee = member(program, Role.CONTRIBUTOR, full_name="Cleo Contributor").user
    review = held_review(release, manager, attendees=[manager, attendee])

    response = client_for(attendee).post(
        url("release_review_vote", program, key=release.key, id=review.pk),
        {"voter": attendee.pk, "vote": "no_go", "comment": ""},
    )

    assert response.status_code == 400
    assert "A no-go vote needs its reason." in response.content.decode()
    ok = client_for(attendee).post(
        url("release_review_vote", program, key=release.key, id=review.pk),
        {"voter": attendee.pk, "vote": "no_go", "comment": "Bank interface failing."},
    )
    assert ok.status_code == 302
    assert review.votes.get().vote == "no_go"


# --- rollback, log, notes -------------------------------------------------------------------


def test_rollback_approve_by_coordinator_is_refused_with_a_message(client_for, program, manager):
    release = factories.make_release(program)
    release_rollback.rollback_plan_save(actor=manager, release=release, owner=manager)
    release_rollback.rollback_step_add(actor=manager, release=release, action="Restore.")
    coordinator = member(program, Role.COORDINATOR).user

    response = client_for(coordinator).post(
        url("release_rollback_approve", program, key=release.key), follow=True
    )

    assert "Only the program manager approves the rollback plan." in response.content.decode()
    assert release.rollback_plan.status == "draft"


def test_log_form_keeps_input_when_the_outcome_is_missing(client_for, program, manager):
    release = factories.make_release(program)

    response = client_for(manager).post(
        url("release_log_create", program, key=release.key),
        {"kind": "deployment", "occurred_at": "2026-03-01T10:00", "environment": "Production",
         "succeeded": "", "summary": "Deployed build 1.0.3"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "Say whether the deployment succeeded." in response.content.decode()
    assert 'value="Deployed build 1.0.3"' in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "content_type", "heading"),
    [
        ("md", "text/markdown", "# Release 1.0: Finance"),
        ("txt", "text/plain", "Release 1.0: Finance"),
    ],
)
def test_release_notes_download(client_for, program, manager, kind, content_type, heading):
    release = factories.make_release(program, version_label="1.0", name="Finance")
    requirement = factories.make_requirement(program, title="Parallel ledgers")
    services.scope_add(actor=manager, release=release, requirements=[requirement])

    response = client_for(manager).get(
        url("release_notes", program, key=release.key) + f"?format={kind}"
    )

    assert response["Content-Type"] == f"{content_type}; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="ERP-{release.key}-release-notes-1.0.{kind}"'
    )
    body = response.content.decode()
    assert body.startswith(heading)
    assert f"{requirement.key}" in body and "Parallel ledgers" in body


def test_release_notes_unknown_format_is_404(client_for, program, manager):
    release = factories.make_release(program)

    response = client_for(manager).get(
        url("release_notes", program, key=release.key) + "?format=pdf"
    )

    assert response.status_code == 404


def test_a_production_deployment_after_go_marks_it_released(client_for, program, manager):
    release = factories.make_release(program)
    factories.set_state(release, status=ReleaseStatus.GO)

    client_for(manager).post(
        url("release_log_create", program, key=release.key),
        {"kind": "deployment", "occurred_at": "2026-03-01T10:00", "environment": "Production",
         "succeeded": "yes", "summary": "Go-live"},
    )  # fmt: skip

    release.refresh_from_db()
    assert release.status == ReleaseStatus.RELEASED
    assert release.released_at.date() == dt.date(2026, 3, 1)
