"""API route of one budget line (loaded last: `lines/<str:key>/` would shadow other areas'
`lines/...` routes)."""

from django.urls import path

from . import plan as api
from .urls_plan import ROW, B

urlpatterns: list = [
    path(B + "lines/<str:key>/", api.LineViewSet.as_view(ROW), name="budgets_line_detail"),
]
