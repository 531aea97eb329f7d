from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.ProgramListView.as_view(), name="program_list"),
    path("new/", views.ProgramCreateView.as_view(), name="program_create"),
    path("<str:code>/", views.ProgramHomeView.as_view(), name="program_home"),
    path("<str:code>/edit/", views.ProgramEditView.as_view(), name="program_edit"),
    path("<str:code>/workstreams/", views.WorkstreamListView.as_view(), name="workstream_list"),
    path(
        "<str:code>/workstreams/new/",
        views.WorkstreamCreateView.as_view(),
        name="workstream_create",
    ),
    path(
        "<str:code>/workstreams/<str:key>/",
        views.WorkstreamDetailView.as_view(),
        name="workstream_detail",
    ),
    path(
        "<str:code>/workstreams/<str:key>/edit/",
        views.WorkstreamEditView.as_view(),
        name="workstream_edit",
    ),
    path(
        "<str:code>/workstreams/<str:key>/inline/",
        views.WorkstreamInlineEditView.as_view(),
        name="workstream_inline",
    ),
    path(
        "<str:code>/workstreams/<str:key>/delete/",
        views.WorkstreamDeleteView.as_view(),
        name="workstream_delete",
    ),
    path("<str:code>/members/", views.MemberListView.as_view(), name="member_list"),
    path("<str:code>/members/add/", views.MemberAddView.as_view(), name="member_add"),
    path("<str:code>/members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path(
        "<str:code>/members/<int:pk>/remove/",
        views.MemberRemoveView.as_view(),
        name="member_remove",
    ),
    path("<str:code>/activity/", views.ActivityView.as_view(), name="activity"),
    path(
        "<str:code>/history/<str:app>/<str:model>/<str:object_id>/",
        views.ObjectHistoryView.as_view(),
        name="object_history",
    ),
]
