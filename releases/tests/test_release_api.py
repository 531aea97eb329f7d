"""The releases API through APIClient: CRUD by key with ETag/If-Match, readiness, scope,
criteria, sign-offs, the go decision (409 with the failing criteria, the manager's override,
400 without a reason, the executive's override refused), rollback plan, log, release notes."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import ProgramFactory, manager_of, member
from releases.models import Release
from releases.services import release_reviews
from releases.tests import factories
from releases.tests.release_factories import held_review, ready_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(code="ERP")


@pytest.fixture
def manager(program):
    return manager_of(program)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def base(program, key=""):
    url = f"/api/v1/programs/{program.code}/releases/"
    return f"{url}{key}/" if key else url


def test_create_read_update_delete_with_etags(program, manager):
    client = api(manager)

    created = client.post(
        base(program),
        {"version_label": "1.0", "name": "Finance", "planned_date": "2027-02-01",
         "owner_id": manager.pk},
        format="json",
    )  # fmt: skip

    assert created.status_code == 201
    key = created.data["key"]
    assert created["ETag"] == '"1"'
    assert created.data["readiness"] == {
        "ready": False,
        "summary": "Not ready: no readiness criteria",
    }
    listed = client.get(base(program))
    assert [r["key"] for r in listed.data] == [key]

    no_version = client.patch(base(program, key), {"name": "x"}, format="json")
    assert no_version.status_code == 428
    stale = client.patch(base(program, key), {"name": "x"}, format="json", HTTP_IF_MATCH='"9"')
    assert stale.status_code == 412
    updated = client.patch(
        base(program, key), {"name": "Finance go-live"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert updated.status_code == 200
    assert updated.data["name"] == "Finance go-live"
    assert updated["ETag"] == '"2"'

    deleted = client.delete(base(program, key), HTTP_IF_MATCH='"2"')
    assert deleted.status_code == 204
    assert not Release.objects.filter(program=program).exists()


def test_bad_fields_answer_400(program, manager):
    outsider = ProgramFactory(code="CRM").memberships.get().user

    response = api(manager).post(
        base(program),
        {"version_label": "", "planned_date": "soon", "owner_id": outsider.pk},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.data) >= {"version_label", "planned_date"}


def test_another_programs_release_is_404(program, manager):
    release = factories.make_release(ProgramFactory(code="CRM"))

    assert api(manager).get(base(program, release.key)).status_code == 404


def test_readiness_lists_criteria_with_evidence_and_links(program, manager):
    built = ready_release(program)
    defect = factories.make_defect(program, severity=1, target_release=built.release)

    response = api(manager).get(base(program, built.release.key) + "readiness/")

    assert response.status_code == 200
    assert response.data["ready"] is False
    assert response.data["summary"] == "Not ready: 1 of 5 criteria fails"
    first = response.data["criteria"][0]
    assert first["kind"] == "no_open_defects"
    assert first["met"] is False
    assert first["evidence"] == f"1 open severity-1 defect: {defect.key}"
    assert first["links"] == [{"kind": "defect", "key": defect.key}]


def test_scope_add_and_remove_by_key(program, manager):
    release = factories.make_release(program)
    requirement = factories.make_requirement(program)
    item = factories.make_backlog_item(program)
    client = api(manager)
    url = base(program, release.key) + "scope/"

    added = client.post(
        url + "add/",
        {"requirements": [requirement.key], "backlog_items": [item.key.lower()]},
        format="json",
    )

    assert added.status_code == 200
    assert added.data == {"requirements": [requirement.key], "backlog_items": [item.key]}
    scope = client.get(url).data
    assert [r["key"] for r in scope["requirements"]] == [requirement.key]
    missing = client.post(url + "add/", {"requirements": ["REQ-999"]}, format="json")
    assert missing.status_code == 400
    assert "REQ-999" in str(missing.data["requirements"])
    removed = client.post(url + "remove/", {"requirements": [requirement.key]}, format="json")
    assert removed.data["requirements"] == [requirement.key]


def test_criteria_crud_and_parameters_validated(program, manager):
    release = factories.make_release(program)
    client = api(manager)
    url = base(program, release.key) + "criteria/"

    bad = client.post(url, {"kind": "pass_rate", "threshold": "95"}, format="json")
    assert bad.status_code == 400
    assert "cycle_kind" in bad.data
    extra = client.post(url, {"kind": "signoffs", "severity": 1}, format="json")
    assert extra.status_code == 400
    assert "severity" in extra.data

    created = client.post(
        url, {"kind": "pass_rate", "threshold": "97.5", "cycle_kind": "uat"}, format="json"
    )
    assert created.status_code == 201
    assert created.data["threshold"] == "97.50"
    cid = created.data["id"]
    changed = client.patch(f"{url}{cid}/", {"threshold": "95"}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200
    assert changed.data["threshold"] == "95.00"
    defaults = client.post(url + "defaults/")
    assert [c["kind"] for c in defaults.data] == [
        "no_open_defects",
        "requirements_verified",
        "signoffs",
        "rollback_approved",
    ]  # the UAT pass rate of 95 % was there already
    assert client.delete(f"{url}{cid}/", HTTP_IF_MATCH='"2"').status_code == 204


def test_manual_check_needs_evidence_and_a_manual_kind(program, manager):
    release = factories.make_release(program)
    client = api(manager)
    url = base(program, release.key) + "criteria/"
    manual = client.post(url, {"kind": "manual", "label": "Rehearsal 2 done"}, format="json")
    auto = client.post(url, {"kind": "signoffs"}, format="json")

    empty = client.post(f"{url}{manual.data['id']}/check/", {"evidence": ""}, format="json")
    assert empty.status_code == 400
    wrong = client.post(f"{url}{auto.data['id']}/check/", {"evidence": "x"}, format="json")
    assert wrong.status_code == 409
    ok = client.post(f"{url}{manual.data['id']}/check/", {"evidence": "Log CUT-2"}, format="json")
    assert ok.status_code == 200
    assert ok.data["manual_met"] is True
    assert ok.data["manual_checked_by"]["id"] == manager.pk


def test_only_the_named_signer_signs(program, manager):
    release = factories.make_release(program)
    signer = member(program, Role.FINANCE).user
    client = api(manager)
    created = client.post(
        base(program, release.key) + "signoffs/",
        {"role": "Finance", "signer_id": signer.pk},
        format="json",
    )
    url = base(program, release.key) + f"signoffs/{created.data['id']}/"

    refused = client.post(url + "sign/", {}, format="json")
    assert refused.status_code == 409
    signed = api(signer).post(url + "sign/", {"comment": "Books ready."}, format="json")
    assert signed.status_code == 200
    assert signed.data["state"] == "signed"
    declined = api(signer).post(url + "decline/", {"comment": ""}, format="json")
    assert declined.status_code == 400


def _not_ready(program):
    built = ready_release(program)
    factories.record_run(built.cycle_cases[0], "fail")
    return built


def _decide(user, program, review, **data):
    url = base(program, review.release.key) + f"reviews/{review.pk}/decide/"
    return api(user).post(url, {"decision": "go", **data}, format="json")


def test_go_while_a_criterion_fails_is_409_with_the_failing_criteria(program, manager):
    built = _not_ready(program)
    review = held_review(built.release, manager)

    response = _decide(manager, program, review)

    assert response.status_code == 409
    assert response.data["summary"] == "Not ready: 1 of 5 criteria fails"
    assert [f["kind"] for f in response.data["failing"]] == ["pass_rate"]
    assert response.data["failing"][0]["evidence"] == (
        "UAT pass rate 90.0 % (9 of 10 executed) < 95 %"
    )
    review.refresh_from_db()
    assert review.decision == ""
    built.release.refresh_from_db()
    assert built.release.status == "planned"


def test_override_without_reason_is_400(program, manager):
    built = _not_ready(program)
    review = held_review(built.release, manager)

    response = _decide(manager, program, review, override=True, override_reason=" ")

    assert response.status_code == 400
    assert "override_reason" in response.data


def test_executive_override_is_409(program, manager):
    built = _not_ready(program)
    executive = member(program, Role.EXECUTIVE).user
    review = held_review(built.release, manager)

    response = _decide(executive, program, review, override=True, override_reason="We go.")

    assert response.status_code == 409
    assert "Only the program manager can override" in response.data["detail"]


def test_manager_override_is_recorded_with_the_checklist(program, manager):
    built = _not_ready(program)
    review = held_review(built.release, manager)

    response = _decide(
        manager, program, review, override=True, override_reason="Layout defect only.",
        conditions="Hypercare staffed for two weeks.",
    )  # fmt: skip

    assert response.status_code == 200
    assert response.data["decision"] == "go"
    assert response.data["override"] is True
    assert response.data["override_reason"] == "Layout defect only."
    assert response.data["readiness"]["summary"] == "Not ready: 1 of 5 criteria fails"
    assert len(response.data["readiness"]["criteria"]) == 5
    built.release.refresh_from_db()
    assert built.release.status == "go"
    again = _decide(manager, program, review, override=True, override_reason="x")
    assert again.status_code == 409


def test_ready_release_goes_without_override_and_executive_may_decide(program, manager):
    built = ready_release(program)
    executive = member(program, Role.EXECUTIVE).user
    review = held_review(built.release, manager)

    response = _decide(executive, program, review)

    assert response.status_code == 200
    assert response.data["override"] is False


def test_votes_by_attendees(program, manager):
    release = factories.make_release(program)
    attendee = member(program, Role.CONTRIBUTOR).user
    outsider = member(program, Role.VIEWER).user
    review = held_review(release, manager, attendees=[manager, attendee])
    url = base(program, release.key) + f"reviews/{review.pk}/votes/"

    assert api(outsider).post(url, {"vote": "go"}, format="json").status_code == 400
    ok = api(attendee).post(url, {"vote": "go", "comment": "UAT done."}, format="json")
    assert ok.status_code == 200
    assert ok.data["votes"][0]["vote"] == "go"


def test_rollback_plan_steps_and_approval(program, manager):
    release = factories.make_release(program)
    client = api(manager)
    url = base(program, release.key) + "rollback-plan/"

    assert client.get(url).status_code == 404
    written = client.put(url, {"owner_id": manager.pk, "trigger": "Posting fails."}, format="json")
    assert written.status_code == 200
    refused = client.post(url + "approve/")
    assert refused.status_code == 409
    step = client.post(
        url + "steps/", {"action": "Restore backup", "duration_minutes": 90}, format="json"
    )
    assert step.status_code == 201
    approved = client.post(url + "approve/")
    assert approved.status_code == 200
    assert approved.data["status"] == "approved"
    step_url = base(program, release.key) + f"rollback-steps/{step.data['id']}/"
    changed = client.patch(step_url, {"duration_minutes": 120}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200
    assert client.get(url).data["status"] == "draft"


def test_log_entries_and_release(program, manager):
    release = factories.make_release(program)
    factories.set_state(release, status="go")
    url = base(program, release.key) + "log/"

    missing = api(manager).post(
        url, {"kind": "deployment", "occurred_at": "2026-03-01T10:00:00Z", "summary": "Go-live",
              "environment": "Production"},
        format="json",
    )  # fmt: skip
    assert missing.status_code == 400
    assert "succeeded" in missing.data
    created = api(manager).post(
        url, {"kind": "deployment", "occurred_at": "2026-03-01T10:00:00Z", "summary": "Go-live",
              "environment": "Production", "succeeded": True},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201
    release.refresh_from_db()
    assert release.status == "released"
    assert [e["summary"] for e in api(manager).get(url).data] == ["Go-live"]


@pytest.mark.parametrize(("fmt", "ctype"), [("md", "text/markdown"), ("txt", "text/plain")])
def test_release_notes_as_files(program, manager, fmt, ctype):
    release = factories.make_release(program, version_label="1.0")

    response = api(manager).get(base(program, release.key) + f"release-notes/?format={fmt}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(ctype)
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "Release 1.0" in response.content.decode()


def test_release_notes_as_json(program, manager):
    release = factories.make_release(program)
    defect = factories.make_defect(program, severity=2, target_release=release)

    response = api(manager).get(base(program, release.key) + "release-notes/")

    assert response.status_code == 200
    assert response.data["known_issues"][0]["key"] == defect.key
    assert response.data["known_issues"][0]["severity"] == 2


def test_a_viewer_reads_but_does_not_write(program):
    release = factories.make_release(program)
    viewer = member(program, Role.VIEWER).user

    assert api(viewer).get(base(program, release.key)).status_code == 200
    response = api(viewer).post(base(program, release.key) + "criteria/defaults/")
    assert response.status_code == 403
    assert not release.criteria.exists()


def test_sign_offs_close_after_go(program, manager):
    built = ready_release(program)
    review = held_review(built.release, manager)
    release_reviews.review_decide(actor=manager, review=review, decision="go")
    signer = member(program, Role.FINANCE).user

    response = api(manager).post(
        base(program, built.release.key) + "signoffs/",
        {"role": "Finance", "signer_id": signer.pk},
        format="json",
    )

    assert response.status_code == 409
