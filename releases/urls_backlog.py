"""Backlog, grooming, iteration and Jira import pages under /programs/<code>/releases/backlog/
(included by releases/urls.py). Fixed paths come before the `<str:key>/` routes."""

from django.urls import path

from .views import backlog as views
from .views import backlog_grooming as grooming
from .views import backlog_import as jira
from .views import backlog_iterations as iterations

B = "backlog/"
I = B + "iterations/"  # noqa: E741
K = B + "<str:key>/"

urlpatterns = [
    path(B, views.BacklogListView.as_view(), name="backlog_list"),
    path(B + "new/", views.BacklogCreateView.as_view(), name="backlog_create"),
    path(B + "grooming/", grooming.GroomingView.as_view(), name="backlog_grooming"),
    path(B + "grooming/rank-by-wsjf/", grooming.RankByWsjfView.as_view(),
         name="backlog_rank_by_wsjf"),
    path(B + "import/", jira.JiraImportView.as_view(), name="backlog_import"),
    path(I, iterations.IterationListView.as_view(), name="iteration_list"),
    path(I + "new/", iterations.IterationCreateView.as_view(), name="iteration_create"),
    path(I + "<int:pk>/edit/", iterations.IterationEditView.as_view(), name="iteration_edit"),
    path(I + "<int:pk>/close/", iterations.IterationCloseView.as_view(), name="iteration_close"),
    path(I + "<int:pk>/delete/", iterations.IterationDeleteView.as_view(),
         name="iteration_delete"),
    path(K, views.BacklogDetailView.as_view(), name="backlog_detail"),
    path(K + "edit/", views.BacklogEditView.as_view(), name="backlog_edit"),
    path(K + "delete/", views.BacklogDeleteView.as_view(), name="backlog_delete"),
    path(K + "status/", views.BacklogStatusView.as_view(), name="backlog_status"),
    path(K + "move/", grooming.ItemMoveView.as_view(), name="backlog_move"),
    path(K + "assign/", grooming.ItemAssignView.as_view(), name="backlog_assign"),
    path(K + "dependencies/", views.DependencyAddView.as_view(), name="backlog_dependency_add"),
    path(K + "dependencies/remove/", views.DependencyRemoveView.as_view(),
         name="backlog_dependency_remove"),
    path(K + "requirements/", views.RequirementLinkView.as_view(),
         name="backlog_requirement_link"),
    path(K + "requirements/remove/", views.RequirementUnlinkView.as_view(),
         name="backlog_requirement_unlink"),
]  # fmt: skip
