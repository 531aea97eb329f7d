"""The reference view: 100 workstream rows as JSON with nothing in between."""

from django.http import JsonResponse
from django.urls import path

from programs.models import Workstream


def rows(request, code):
    data = list(
        Workstream.objects.filter(program__code=code)
        .order_by("name")
        .values("id", "key", "name", "status", "description", "lead_id", "version")[:100]
    )
    return JsonResponse({"results": data})


urlpatterns = [path("ref/<str:code>/workstreams/", rows)]
