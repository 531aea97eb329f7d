"""Gantt data for the browser and scripts: GET /api/v1/programs/<code>/schedule/gantt/.

The body is rendered once with orjson; its hash is the ETag, so a client that sends
`If-None-Match` with the ETag it holds gets 304 (and no body) while nothing it shows changed.
"""

from __future__ import annotations

import hashlib

import orjson
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION_ERROR
from core.api.views import ApiView
from programs.api.views import CODE, ProgramScopedMixin

from ..selectors.gantt import GANTT_COLUMNS, LINK_COLUMNS, baseline_get, gantt_data

BASELINE = OpenApiParameter(
    "baseline",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    required=False,
    description="Id of the baseline whose dates fill baseline_start/baseline_finish "
    "(default: the current baseline).",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the Gantt data you hold; 304 without a body if it is unchanged.",
)
GANTT_ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 304],
    description="Fingerprint of this answer; send it back as If-None-Match.",
)


class GanttBaselineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_current = serializers.BooleanField()


class GanttWorkstreamSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class GanttDataSerializer(serializers.Serializer):
    """Documents the answer (the view writes it with orjson directly)."""

    program = serializers.CharField()
    today = serializers.DateField()
    status_date = serializers.DateField(allow_null=True)
    project_start = serializers.DateField()
    project_finish = serializers.DateField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    first_start = serializers.DateField(allow_null=True)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(), help_text="Working weekdays, 0 = Monday."
    )
    baseline = GanttBaselineSerializer(
        allow_null=True, help_text="The baseline in the baseline columns."
    )
    columns = serializers.ListField(
        child=serializers.CharField(),
        help_text="Names of the values in each row, in order: " + ", ".join(GANTT_COLUMNS) + ".",
    )
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="One array per item in outline order; dates ISO, total float in working days, "
        "parent/workstream/owner as ids.",
    )
    link_columns = serializers.ListField(
        child=serializers.CharField(), help_text=", ".join(LINK_COLUMNS)
    )
    links = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="[predecessor id, successor id, FS|SS|FF|SF, lag in working days]",
    )
    workstreams = serializers.DictField(
        child=GanttWorkstreamSerializer(), help_text="Workstream id -> key and name."
    )
    owners = serializers.DictField(child=serializers.CharField(), help_text="User id -> name.")


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags or "*" in tags


class GanttDataView(ProgramScopedMixin, ApiView):
    """The whole schedule as the Gantt draws it: items, links, baseline dates, key dates."""

    permission_actions = {"get": "schedule.view"}

    @extend_schema(
        operation_id="schedule_gantt_retrieve",
        summary="Gantt data (columns and row arrays)",
        parameters=[CODE, BASELINE, IF_NONE_MATCH, GANTT_ETAG],
        responses={
            200: GanttDataSerializer,
            400: VALIDATION_ERROR,
            304: OpenApiResponse(description="Unchanged since the ETag sent as If-None-Match."),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["schedule"],
    )
    def get(self, request, code):
        program = self.program
        raw = request.query_params.get("baseline", "").strip()
        baseline = None
        if raw:
            if not raw.isdigit() or len(raw) > 18:
                raise ValidationError(
                    {"baseline": [f"Give a baseline id, e.g. 3 (got {raw[:20]!r})."]}
                )
            baseline = baseline_get(program=program, pk=int(raw))
        body = orjson.dumps(gantt_data(program, baseline=baseline), option=orjson.OPT_NON_STR_KEYS)
        etag = _etag(body)
        if _matches(request.headers.get("If-None-Match"), etag):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(body, content_type="application/json")
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response
