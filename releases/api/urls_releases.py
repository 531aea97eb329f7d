"""API routes of releases (included by releases/api/urls.py), under
/api/v1/programs/<code>/releases/; keys in URLs are REL-n."""

from django.urls import path

from . import release_criteria as criteria
from . import release_reviews as reviews
from . import release_rollback as rollback
from . import releases as api

P = "programs/<str:code>/releases/"
K = P + "<str:key>/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
EDIT = {"get": "retrieve", "put": "update", "patch": "partial_update"}

urlpatterns: list = [
    path(P, api.ReleaseViewSet.as_view(LIST), name="releases_release_list"),
    path(K, api.ReleaseViewSet.as_view(ROW), name="releases_release_detail"),
    path(K + "cancel/", api.ReleaseCancelView.as_view(), name="releases_release_cancel"),
    path(K + "readiness/", api.ReadinessView.as_view(), name="releases_release_readiness"),
    path(K + "scope/", api.ScopeView.as_view(), name="releases_release_scope"),
    path(K + "scope/add/", api.ScopeAddView.as_view(), name="releases_release_scope_add"),
    path(K + "scope/remove/", api.ScopeRemoveView.as_view(), name="releases_release_scope_remove"),
    path(K + "release-notes/", api.ReleaseNotesView.as_view(), name="releases_release_notes"),
    path(K + "criteria/", criteria.CriterionViewSet.as_view(LIST), name="releases_criterion_list"),
    path(
        K + "criteria/defaults/",
        criteria.CriteriaDefaultsView.as_view(),
        name="releases_criteria_defaults",
    ),
    path(
        K + "criteria/<int:id>/",
        criteria.CriterionViewSet.as_view(ROW),
        name="releases_criterion_detail",
    ),
    path(
        K + "criteria/<int:id>/check/",
        criteria.CriterionCheckView.as_view(),
        name="releases_criterion_check",
    ),
    path(
        K + "criteria/<int:id>/uncheck/",
        criteria.CriterionUncheckView.as_view(),
        name="releases_criterion_uncheck",
    ),
    path(K + "signoffs/", reviews.SignoffViewSet.as_view(LIST), name="releases_signoff_list"),
    path(
        K + "signoffs/<int:id>/",
        reviews.SignoffViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="releases_signoff_detail",
    ),
    path(
        K + "signoffs/<int:id>/sign/",
        reviews.SignoffSignView.as_view(),
        name="releases_signoff_sign",
    ),
    path(
        K + "signoffs/<int:id>/decline/",
        reviews.SignoffDeclineView.as_view(),
        name="releases_signoff_decline",
    ),
    path(K + "reviews/", reviews.ReviewViewSet.as_view(LIST), name="releases_review_list"),
    path(
        K + "reviews/<int:id>/", reviews.ReviewViewSet.as_view(EDIT), name="releases_review_detail"
    ),
    path(
        K + "reviews/<int:id>/votes/", reviews.ReviewVoteView.as_view(), name="releases_review_vote"
    ),
    path(
        K + "reviews/<int:id>/decide/",
        reviews.ReviewDecideView.as_view(),
        name="releases_review_decide",
    ),
    path(K + "rollback-plan/", rollback.RollbackPlanView.as_view(), name="releases_rollback_plan"),
    path(
        K + "rollback-plan/approve/",
        rollback.RollbackPlanApproveView.as_view(),
        name="releases_rollback_plan_approve",
    ),
    path(
        K + "rollback-plan/steps/",
        rollback.RollbackStepViewSet.as_view({"post": "create"}),
        name="releases_rollback_step_list",
    ),
    path(
        K + "rollback-steps/<int:id>/",
        rollback.RollbackStepViewSet.as_view(
            {"put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="releases_rollback_step_detail",
    ),
    path(K + "log/", rollback.LogEntryViewSet.as_view(LIST), name="releases_log_list"),
]
