"""Testing API: test cases with nested steps and requirement keys; retire and restore. See
releases/api/testing.py."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.refusals import optional_version, refusals_as_409
from core.api.schema import (
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    update_schema,
)
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin

from ..models import (
    MoSCoW,
    TestCase,
    TestCaseStatus,
)
from ..selectors import testing as selectors
from ..services import testing_cases as case_services
from .testing import _responses
from .testing_serializers import (
    CASE_KEY,
    CODE,
    TAGS,
    CaseSerializer,
    case_data,
)

# --- test cases -----------------------------------------------------------------------------


class CaseScopedMixin(ProgramScopedMixin):
    queryset = TestCase.objects.none()

    def case(self) -> TestCase:
        return selectors.case_get(program=self.program, key=self.kwargs["key"])

    def case_answer(self, case: TestCase, status_code: int = 200) -> Response:
        fresh = selectors.case_list(program=self.program).prefetch_related("steps").get(pk=case.pk)
        return Response(
            case_data(fresh), status=status_code, headers={"ETag": f'"{fresh.version}"'}
        )

    def serialize_current(self, instance) -> dict:
        return case_data(instance)


CASE_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in title or objective."),
    OpenApiParameter("workstream", OpenApiTypes.INT),
    OpenApiParameter("status", OpenApiTypes.STR, enum=TestCaseStatus.values),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=MoSCoW.values),
    OpenApiParameter("requirement", OpenApiTypes.INT, description="The requirement's id."),
    OpenApiParameter(
        "result",
        OpenApiTypes.STR,
        enum=["pass", "fail", "blocked", "never"],
        description="The latest result in any cycle.",
    ),
]


@extend_schema_view(
    list=list_schema(CaseSerializer, parameters=[CODE, *CASE_FILTERS]),
    create=create_schema(CaseSerializer, parameters=[CODE]),
    retrieve=retrieve_schema(CaseSerializer, parameters=[CODE, CASE_KEY]),
    update=update_schema(CaseSerializer, parameters=[CODE, CASE_KEY]),
    partial_update=update_schema(
        CaseSerializer,
        parameters=[CODE, CASE_KEY],
        description="`steps` and `requirements`, when sent, replace the lists. A retired case "
        "answers 409.",
    ),
    destroy=destroy_schema(
        CaseSerializer,
        parameters=[CODE, CASE_KEY],
        description="Only while never planned into a cycle and without defects (409).",
    ),
)
@extend_schema(tags=TAGS)
class CaseViewSet(CaseScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Test cases with their steps and the requirements they verify."""

    service_target = "case"
    permission_actions = {
        "list": "test.view",
        "retrieve": "test.view",
        "create": "test.change",
        "update": "test.change",
        "partial_update": "test.change",
        "destroy": "test.change",
    }
    serializer_class = CaseSerializer
    filterset_class = selectors.CaseFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        return selectors.case_list(program=self.program).prefetch_related("steps")

    def list(self, request, *args, **kwargs):
        # Not the serializer's list: case_data answers, with the nested steps and requirements.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([case_data(c) for c in page])

    def get_object(self) -> TestCase:
        return self.case()

    def answer_data(self, row: TestCase) -> dict:
        return case_data(self.get_queryset().get(pk=row.pk))

    def create_service(self, **kwargs):
        return case_services.case_create(**kwargs)

    def update_service(self, **kwargs):
        return case_services.case_update(**kwargs)

    def delete_service(self, **kwargs):
        case_services.case_delete(**kwargs)


class CaseStepView(CaseScopedMixin, ApiView):
    """Retire (no longer planned) or restore (back as a draft) a case."""

    permission_actions = {"post": "test.change"}
    step = "retire"

    @extend_schema(
        parameters=[CODE, CASE_KEY],
        tags=TAGS,
        request=None,
        responses=_responses(CaseSerializer, stale=CaseSerializer),
    )
    def post(self, request, code: str, key: str):
        service = case_services.case_retire if self.step == "retire" else case_services.case_restore
        with refusals_as_409():
            case = service(
                actor=request.user, case=self.case(), expected_version=optional_version(request)
            )
        return self.case_answer(case)


class CaseRetireView(CaseStepView):
    step = "retire"


class CaseRestoreView(CaseStepView):
    step = "restore"
