"""API routes of requirements (included by releases/api/urls.py) under
/api/v1/programs/<code>/requirements/; names `releases_requirement_*` in namespace api_v1."""

from django.urls import path

from . import requirements as api

R = "programs/<str:code>/requirements/"
K = R + "<str:key>/"
urlpatterns: list = [
    path(
        R,
        api.RequirementViewSet.as_view({"get": "list", "post": "create"}),
        name="releases_requirement_list",
    ),
    path(
        K,
        api.RequirementViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="releases_requirement_detail",
    ),
    path(
        K + "revisions/",
        api.RequirementRevisionViewSet.as_view({"get": "list"}),
        name="releases_requirement_revisions",
    ),
    *[
        path(K + f"{name}/", view.as_view(), name=f"releases_requirement_{name}")
        for name, view in api.STEP_VIEWS.items()
    ],
]
