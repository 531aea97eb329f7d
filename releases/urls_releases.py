"""Release pages (included by releases/urls.py, loaded last): the list is the app's root
/programs/<code>/releases/, a release is /programs/<code>/releases/REL-1/ (`<str:key>/` comes
after every other area's fixed paths), its tabs' actions below it."""

from django.urls import path

from .views import releases as views
from .views import releases_actions as actions
from .views import releases_reviews as reviews

K = "<str:key>/"
C = K + "criteria/<int:id>/"
S = K + "signoffs/<int:id>/"
R = K + "reviews/<int:id>/"
ST = K + "rollback-steps/<int:id>/"
urlpatterns: list = [
    path("", views.ReleaseListView.as_view(), name="release_list"),
    path("new/", views.ReleaseCreateView.as_view(), name="release_create"),
    path(K, views.ReleaseDetailView.as_view(), name="release_detail"),
    path(K + "edit/", views.ReleaseEditView.as_view(), name="release_edit"),
    path(K + "cancel/", views.ReleaseCancelView.as_view(), name="release_cancel"),
    path(K + "delete/", views.ReleaseDeleteView.as_view(), name="release_delete"),
    path(K + "scope/candidates/", views.ScopeCandidatesView.as_view(), name="release_scope_search"),
    path(K + "scope/add/", views.ScopeAddView.as_view(), name="release_scope_add"),
    path(K + "scope/remove/", views.ScopeRemoveView.as_view(), name="release_scope_remove"),
    path(K + "notes/download/", views.ReleaseNotesDownloadView.as_view(), name="release_notes"),
    path(
        K + "criteria/new/", actions.CriterionCreateView.as_view(), name="release_criterion_create"
    ),
    path(
        K + "criteria/defaults/",
        actions.CriteriaDefaultsView.as_view(),
        name="release_criteria_defaults",
    ),
    path(C + "edit/", actions.CriterionEditView.as_view(), name="release_criterion_edit"),
    path(C + "delete/", actions.CriterionDeleteView.as_view(), name="release_criterion_delete"),
    path(C + "check/", actions.CriterionCheckView.as_view(), name="release_criterion_check"),
    path(C + "uncheck/", actions.CriterionUncheckView.as_view(), name="release_criterion_uncheck"),
    path(K + "signoffs/new/", actions.SignoffCreateView.as_view(), name="release_signoff_create"),
    path(S + "sign/", actions.SignoffSignView.as_view(), name="release_signoff_sign"),
    path(S + "decline/", actions.SignoffDeclineView.as_view(), name="release_signoff_decline"),
    path(S + "delete/", actions.SignoffDeleteView.as_view(), name="release_signoff_delete"),
    path(K + "reviews/new/", reviews.ReviewCreateView.as_view(), name="release_review_create"),
    path(R, reviews.ReviewDetailView.as_view(), name="release_review_detail"),
    path(R + "edit/", reviews.ReviewEditView.as_view(), name="release_review_edit"),
    path(R + "vote/", reviews.ReviewVoteView.as_view(), name="release_review_vote"),
    path(R + "decide/", reviews.ReviewDecideView.as_view(), name="release_review_decide"),
    path(K + "rollback/", actions.RollbackPlanEditView.as_view(), name="release_rollback_edit"),
    path(
        K + "rollback/approve/",
        actions.RollbackPlanApproveView.as_view(),
        name="release_rollback_approve",
    ),
    path(
        K + "rollback/steps/new/",
        actions.RollbackStepCreateView.as_view(),
        name="release_step_create",
    ),
    path(ST + "edit/", actions.RollbackStepEditView.as_view(), name="release_step_edit"),
    path(ST + "delete/", actions.RollbackStepDeleteView.as_view(), name="release_step_delete"),
    path(ST + "move/", actions.RollbackStepMoveView.as_view(), name="release_step_move"),
    path(K + "log/new/", actions.LogEntryCreateView.as_view(), name="release_log_create"),
]
