"""Testing API: runs of a cycle (list, record with evidence and an optional defect), a defect
from an earlier run, evidence downloads. See releases/api/testing.py."""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED, refusals_as_409
from core.api.renderers import ORJSONRenderer
from core.api.schema import (
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    VALIDATION_ERROR,
)
from core.api.views import ApiView

from ..selectors import testing as selectors
from ..services import testing_runs as run_services
from .testing import CycleScopedMixin
from .testing_serializers import (
    CODE,
    CYCLE_KEY,
    FILE_ID,
    RUN_ID,
    TAGS,
    RaiseDefectSerializer,
    RunCreateSerializer,
    RunSerializer,
    run_data,
)


class RunListView(CycleScopedMixin, ApiView):
    """Runs of the cycle (newest first); POST records one."""

    permission_actions = {"get": "test.view", "post": "test.run"}
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="releases_test_cycle_runs",
        parameters=[CODE, CYCLE_KEY],
        tags=TAGS,
        responses={
            200: RunSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, code: str, key: str):
        cycle = self.cycle()
        paginator = StandardPagination()
        page = paginator.paginate_queryset(selectors.cycle_runs(cycle=cycle), request, view=self)
        return paginator.get_paginated_response(
            [run_data(r, self.program, cycle.key) for r in page]
        )

    @extend_schema(
        operation_id="releases_test_cycle_run_record",
        parameters=[CODE, CYCLE_KEY],
        tags=TAGS,
        request={
            "multipart/form-data": RunCreateSerializer,
            "application/json": RunCreateSerializer,
        },
        responses={
            201: RunSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
        description="Record a run of a planned case: pass, fail or blocked (notes required for "
        "fail and blocked), with evidence files (multipart) and optionally `raise_defect` to "
        "raise a defect from it in the same transaction. Its errors come back as "
        "`defect_<field>`; nothing is recorded then. A closed cycle answers 409.",
    )
    def post(self, request, code: str, key: str):
        cycle = self.cycle()
        serializer = RunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cycle_case = selectors.cycle_case_get(cycle=cycle, case_key=data["case"])
        defect = None
        if "raise_defect" in data:
            inner = RaiseDefectSerializer(
                data=data["raise_defect"], context={"program": self.program}
            )
            if not inner.is_valid():
                raise serializers.ValidationError({"raise_defect": inner.errors})
            defect = inner.validated_data
        with refusals_as_409():
            run = run_services.run_record(
                actor=request.user,
                cycle_case=cycle_case,
                result=data["result"],
                notes=data.get("notes", ""),
                build=data.get("build", ""),
                executed_at=data.get("executed_at"),
                files=request.FILES.getlist("evidence") if hasattr(request, "FILES") else [],
                raise_defect=defect,
            )
        fresh = selectors.cycle_runs(cycle=cycle).get(pk=run.pk)
        return Response(run_data(fresh, self.program, cycle.key), status=status.HTTP_201_CREATED)


class RunRaiseDefectView(CycleScopedMixin, ApiView):
    """Raise a defect from a failed or blocked run recorded earlier."""

    permission_actions = {"post": "defect.add"}

    @extend_schema(
        operation_id="releases_test_run_raise_defect",
        parameters=[CODE, CYCLE_KEY, RUN_ID],
        tags=TAGS,
        request=RaiseDefectSerializer,
        responses={
            201: RunSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
    )
    def post(self, request, code: str, key: str, pk: int):
        cycle = self.cycle()
        run = selectors.run_get(program=self.program, pk=pk)
        if run.cycle_case.cycle_id != cycle.pk:
            raise Http404("No such run in this cycle")
        serializer = RaiseDefectSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            run_services.run_raise_defect(actor=request.user, run=run, **serializer.validated_data)
        fresh = selectors.cycle_runs(cycle=cycle).get(pk=run.pk)
        return Response(run_data(fresh, self.program, cycle.key), status=status.HTTP_201_CREATED)


class EvidenceDownloadView(CycleScopedMixin, ApiView):
    """An evidence file, as an attachment."""

    permission_actions = {"get": "test.view"}
    renderer_classes = [ORJSONRenderer]
    filter_backends: list = []

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="releases_test_run_evidence_download",
        parameters=[CODE, CYCLE_KEY, RUN_ID, FILE_ID],
        tags=TAGS,
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, code: str, key: str, pk: int, id: int):
        found = selectors.evidence_get(program=self.program, pk=id)
        if found.run_id != pk or found.run.cycle_case.cycle.key != key.upper():
            raise Http404("No such evidence file")
        try:
            handle = found.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("This file is missing from storage.") from exc
        response = FileResponse(
            handle, as_attachment=True, filename=found.file_name, content_type=found.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
