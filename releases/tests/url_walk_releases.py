"""Rows and expectations of the release pages and API for the URL-walking permission test
(tests/test_url_permissions.py, through releases/tests/url_walk.py).

The walked release (the base rows' REL) gets a manual criterion, a pending sign-off asked of
the manager, an undecided go/no-go review, a rollback plan with one step; POST-only steps and
the forms' empty POSTs answer as listed below.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from releases.services import release_reviews, release_rollback
from releases.services import releases as services
from releases.views import releases as pages
from releases.views import releases_actions as actions
from releases.views import releases_reviews as reviews


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    release = base["release"]
    criterion = services.criterion_create(
        actor=manager, release=release, kind="manual", label="Cut-over rehearsal done"
    )
    signoff = release_reviews.signoff_create(
        actor=manager, release=release, role="Business owner", signer=manager
    )
    review = release_reviews.review_create(
        actor=manager,
        release=release,
        held_at=timezone.now() - dt.timedelta(hours=1),
        attendees=[manager],
    )
    release_rollback.rollback_plan_save(actor=manager, release=release, owner=manager)
    step = release_rollback.rollback_step_add(
        actor=manager, release=release, action="Restore the backup.", owner=manager
    )
    return {
        "releases": {"key": release.key},
        "criteria": {"id": str(criterion.pk), "pk": str(criterion.pk)},
        "signoffs": {"id": str(signoff.pk), "pk": str(signoff.pk)},
        "reviews": {"id": str(review.pk), "pk": str(review.pk)},
        "rollback-steps": {"id": str(step.pk), "pk": str(step.pk)},
    }


def _rows(site, segment: str) -> dict:
    """The walked rows (placeholders while the walk is collected, before the site exists)."""
    return site.app_values.get("releases/", {}).get(segment, {})


def _key(site) -> str:
    return _rows(site, "releases").get("key", "REL-1")


def _detail(site, tab: str = "") -> str:
    url = reverse("releases:release_detail", kwargs={"code": site.program.code, "key": _key(site)})
    return f"{url}?tab={tab}" if tab else url


def _review(site) -> str:
    return reverse(
        "releases:release_review_detail",
        kwargs={
            "code": site.program.code,
            "key": _key(site),
            "id": _rows(site, "reviews").get("id", "1"),
        },
    )


def _to(tab: str = ""):
    return lambda site: (302, _detail(site, tab))


def _bad(site):
    return (400, None)


ALLOWED_GET: dict = {
    pages.ScopeAddView: _to("scope"),
    pages.ScopeCandidatesView: _to("scope"),  # the scope tab's htmx search, opened as a page
    pages.ScopeRemoveView: _to("scope"),
    actions.CriterionDeleteView: _to(),
    actions.CriteriaDefaultsView: _to(),
    actions.CriterionUncheckView: _to(),
    actions.SignoffDeleteView: _to("signoffs"),
    actions.RollbackPlanApproveView: _to("rollback"),
    actions.RollbackStepDeleteView: _to("rollback"),
    actions.RollbackStepMoveView: _to("rollback"),
    reviews.ReviewVoteView: lambda site: (302, _review(site)),
    reviews.ReviewDecideView: lambda site: (302, _review(site)),
}
ALLOWED_POST: dict = {
    pages.ReleaseCreateView: _bad,
    pages.ReleaseEditView: _bad,
    pages.ReleaseCancelView: _bad,
    pages.ReleaseDeleteView: _to(),  # refused: test cycles and defects point at it
    pages.ScopeAddView: _to("scope"),
    pages.ScopeRemoveView: _to("scope"),
    actions.CriterionCreateView: _bad,
    actions.CriterionEditView: _bad,
    actions.CriterionCheckView: _bad,
    actions.CriterionDeleteView: _to(),
    actions.CriteriaDefaultsView: _to(),
    actions.CriterionUncheckView: _to(),
    actions.SignoffCreateView: _bad,
    actions.SignoffSignView: _bad,
    actions.SignoffDeclineView: _bad,
    actions.SignoffDeleteView: _to("signoffs"),
    actions.RollbackPlanEditView: _bad,
    actions.RollbackPlanApproveView: _to("rollback"),
    actions.RollbackStepCreateView: _bad,
    actions.RollbackStepEditView: _bad,
    actions.RollbackStepDeleteView: _to("rollback"),
    actions.RollbackStepMoveView: _to("rollback"),
    actions.LogEntryCreateView: _bad,
    reviews.ReviewCreateView: _bad,
    reviews.ReviewEditView: _bad,
    reviews.ReviewVoteView: _bad,
    reviews.ReviewDecideView: _bad,
}
