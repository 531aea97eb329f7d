"""Program API routes (mounted under /api/v1/ in the `api_v1` namespace)."""

from django.urls import path

from . import views

programs = views.ProgramViewSet.as_view({"get": "list", "post": "create"})
program = views.ProgramDetailViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update"}
)
workstreams = views.WorkstreamViewSet.as_view({"get": "list", "post": "create"})
workstream = views.WorkstreamViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
members = views.MembershipViewSet.as_view({"get": "list", "post": "create"})
member = views.MembershipViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
activity = views.ActivityViewSet.as_view({"get": "list"})

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("programs/", programs, name="program_list"),
    path("programs/<str:code>/", program, name="program_detail"),
    path("programs/<str:code>/workstreams/", workstreams, name="workstream_list"),
    path("programs/<str:code>/workstreams/<str:key>/", workstream, name="workstream_detail"),
    path("programs/<str:code>/members/", members, name="member_list"),
    path("programs/<str:code>/members/<int:id>/", member, name="member_detail"),
    path("programs/<str:code>/activity/", activity, name="activity_list"),
]
