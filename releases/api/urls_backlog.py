"""Backlog and iteration API routes (included by releases/api/urls.py); fixed paths come before
the `<str:key>/` ones."""

from django.urls import path

from . import backlog as api

B = "programs/<str:code>/backlog/"
I = "programs/<str:code>/iterations/"  # noqa: E741
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns = [
    path(B, api.BacklogItemViewSet.as_view(LIST), name="releases_backlog_list"),
    path(B + "import/", api.JiraImportApiView.as_view(), name="releases_backlog_import"),
    path(B + "<str:key>/", api.BacklogItemViewSet.as_view(ROW), name="releases_backlog_detail"),
    path(B + "<str:key>/move/", api.BacklogMoveView.as_view(), name="releases_backlog_move"),
    path(B + "<str:key>/assign/", api.BacklogAssignView.as_view(),
         name="releases_backlog_assign"),
    path(I, api.IterationViewSet.as_view(LIST), name="releases_iteration_list"),
    path(I + "<int:id>/", api.IterationViewSet.as_view(ROW), name="releases_iteration_detail"),
    path(I + "<int:id>/close/", api.IterationCloseView.as_view(), name="releases_iteration_close"),
]  # fmt: skip
