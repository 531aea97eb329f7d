"""Testing API under /api/v1/programs/<code>/: test cycles (CRUD by key with If-Match, stats,
status steps, planning and assignment, planned cases, runs with evidence and an optional defect
raised in the same step, defects from earlier runs, evidence downloads) and test cases (CRUD with
nested steps and requirement keys, retire, restore).

References are keys (`"TC-12"`, `"REQ-3"`, `"REL-1"`) or user ids (`owner_id`, `tester_id`). A
step the state does not allow (running in a closed cycle, deleting a cycle with runs, closing
with cases not run without `confirm`) answers 409 with the reason; nothing changes then.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED, optional_version, refusals_as_409
from core.api.schema import (
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    stale_response,
    update_schema,
)
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin
from programs.models import Program, Workstream

from ..models import (
    CycleCase,
    CycleKind,
    CycleStatus,
    TestCase,
    TestCycle,
)
from ..selectors import testing as selectors
from ..services import testing as services

# --- views ----------------------------------------------------------------------------------
from .testing_serializers import (
    CODE,
    CYCLE_KEY,
    TAGS,
    AssignSerializer,
    CycleCaseSerializer,
    CycleSerializer,
    CycleStatsSerializer,
    CycleStatusSerializer,
    PlanResultSerializer,
    PlanSerializer,
    _person,
    _user,
    cycle_case_data,
    cycle_data,
)


class CycleScopedMixin(ProgramScopedMixin):
    queryset = TestCycle.objects.none()

    def cycle(self) -> TestCycle:
        return selectors.cycle_get(program=self.program, key=self.kwargs["key"])

    def cycle_answer(self, cycle: TestCycle, status_code: int = 200) -> Response:
        fresh = selectors.cycle_get(program=self.program, key=cycle.key)
        data = cycle_data(fresh, selectors.stats_of(fresh))
        return Response(data, status=status_code, headers={"ETag": f'"{fresh.version}"'})


CYCLE_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in name or environment."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=CycleKind.values),
    OpenApiParameter("status", OpenApiTypes.STR, enum=CycleStatus.values),
    OpenApiParameter("release", OpenApiTypes.INT, description="The release's id."),
]


@extend_schema_view(
    list=list_schema(CycleSerializer, parameters=[CODE, *CYCLE_FILTERS]),
    create=create_schema(CycleSerializer, parameters=[CODE], description="A cycle, planned."),
    retrieve=retrieve_schema(CycleSerializer, parameters=[CODE, CYCLE_KEY]),
    update=update_schema(CycleSerializer, parameters=[CODE, CYCLE_KEY]),
    partial_update=update_schema(
        CycleSerializer, parameters=[CODE, CYCLE_KEY], description="A closed cycle answers 409."
    ),
    destroy=destroy_schema(
        CycleSerializer,
        parameters=[CODE, CYCLE_KEY],
        description="Only while nothing was run in it (409 otherwise).",
    ),
)
@extend_schema(tags=TAGS)
class CycleViewSet(CycleScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Test cycles with their progress."""

    service_target = "cycle"
    permission_actions = {
        "list": "test.view",
        "retrieve": "test.view",
        "create": "test.change",
        "update": "test.change",
        "partial_update": "test.change",
        "destroy": "test.change",
    }
    serializer_class = CycleSerializer
    filterset_class = selectors.CycleFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        return selectors.cycle_list(program=self.program)

    def list(self, request, *args, **kwargs):
        # Not the serializer's list: cycle_data answers, from the counts annotated on each row.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([cycle_data(c, selectors._stats(c)) for c in page])

    def get_object(self) -> TestCycle:
        return self.cycle()

    def serialize_current(self, instance) -> dict:
        return cycle_data(instance, selectors.stats_of(instance))

    def answer_data(self, row: TestCycle) -> dict:
        return self.serialize_current(selectors.cycle_get(program=self.program, key=row.key))

    def create_service(self, **kwargs):
        return services.cycle_create(**kwargs)

    def update_service(self, **kwargs):
        return services.cycle_update(**kwargs)

    def delete_service(self, **kwargs):
        services.cycle_delete(**kwargs)


def _responses(ok, *, conflict: bool = True, stale=None) -> dict:
    responses = {200: ok, 400: VALIDATION_ERROR, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
    if conflict:
        responses[409] = REFUSED
    if stale is not None:
        responses[412] = stale_response(stale)
    return responses


class CycleStatsView(CycleScopedMixin, ApiView):
    """Progress of the cycle: totals, per requirement, per tester."""

    permission_actions = {"get": "test.view"}

    @extend_schema(
        operation_id="releases_test_cycle_stats",
        parameters=[CODE, CYCLE_KEY],
        tags=TAGS,
        responses={200: CycleStatsSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, code: str, key: str):
        cycle = self.cycle()
        only = TestCycle.objects.filter(pk=cycle.pk)
        return Response(
            {
                "stats": selectors.stats_of(cycle).as_dict(),
                "requirements": [
                    {"key": r["key"], "title": r["title"], "stats": r["stats"].as_dict()}
                    for r in selectors.requirement_stats(program=self.program, cycles=only)
                ],
                "testers": [
                    {
                        "tester": _person(t["id"], t["name"] if t["id"] else None),
                        "stats": t["stats"].as_dict(),
                    }
                    for t in selectors.tester_stats(cycle=cycle)
                ],
            }
        )


class CycleStatusView(CycleScopedMixin, ApiView):
    """start (planned -> active), close (active -> closed; `confirm` with cases not run),
    reopen (closed -> active)."""

    permission_actions = {"post": "test.change"}
    STEPS = {"start": services.cycle_start, "reopen": services.cycle_reopen}

    @extend_schema(
        operation_id="releases_test_cycle_status",
        parameters=[CODE, CYCLE_KEY],
        tags=TAGS,
        request=CycleStatusSerializer,
        responses=_responses(CycleSerializer, stale=CycleSerializer),
    )
    def post(self, request, code: str, key: str):
        cycle = self.cycle()
        serializer = CycleStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = optional_version(request)
        with refusals_as_409():
            if data["action"] == "close":
                cycle = services.cycle_close(
                    actor=request.user,
                    cycle=cycle,
                    expected_version=version,
                    confirm=data["confirm"],
                )
            else:
                cycle = self.STEPS[data["action"]](
                    actor=request.user, cycle=cycle, expected_version=version
                )
        return self.cycle_answer(cycle)

    def serialize_current(self, instance) -> dict:
        return cycle_data(instance, selectors.stats_of(instance))


def _cases(program: Program, keys: list[str], field: str = "cases") -> list[TestCase]:
    keys = [k.strip().upper() for k in keys]
    found = {c.key: c for c in TestCase.objects.filter(program=program, key__in=keys)}
    missing = [k for k in keys if k not in found]
    if missing:
        raise serializers.ValidationError(
            {field: [f"No test case {', '.join(missing)} in {program.code}."]}
        )
    return [found[k] for k in dict.fromkeys(keys)]


class CyclePlanView(CycleScopedMixin, ApiView):
    """Plan cases into the cycle (picked, a workstream's ready cases, the release's scope)."""

    permission_actions = {"post": "test.change"}

    @extend_schema(
        operation_id="releases_test_cycle_plan",
        parameters=[CODE, CYCLE_KEY],
        tags=TAGS,
        request=PlanSerializer,
        responses=_responses(PlanResultSerializer),
    )
    def post(self, request, code: str, key: str):
        cycle = self.cycle()
        serializer = PlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        program = self.program
        workstream = None
        if data.get("workstream") is not None:
            workstream = Workstream.objects.filter(program=program, pk=data["workstream"]).first()
            if workstream is None:
                raise serializers.ValidationError({"workstream": ["No such workstream."]})
        with refusals_as_409():
            result = services.cycle_plan(
                actor=request.user,
                cycle=cycle,
                cases=_cases(program, data.get("cases") or []),
                workstream=workstream,
                release_scope=data["release_scope"],
                tester=_user(program, data.get("tester_id"), "tester_id"),
            )
        return Response(
            {
                "added": [cc.case.key for cc in result.added],
                "already": result.already,
                "not_ready": result.not_ready,
            }
        )


class CycleAssignView(CycleScopedMixin, ApiView):
    """Give planned cases to a tester (null unassigns)."""

    permission_actions = {"post": "test.change"}

    @extend_schema(
        operation_id="releases_test_cycle_assign",
        parameters=[CODE, CYCLE_KEY],
        tags=TAGS,
        request=AssignSerializer,
        responses=_responses(CycleCaseSerializer(many=True)),
    )
    def post(self, request, code: str, key: str):
        cycle = self.cycle()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        keys = [k.strip().upper() for k in data["cases"]]
        planned = list(CycleCase.objects.filter(cycle=cycle, case__key__in=keys))
        missing = sorted(
            set(keys)
            - set(
                CycleCase.objects.filter(cycle=cycle, case__key__in=keys).values_list(
                    "case__key", flat=True
                )
            )
        )
        if missing:
            raise serializers.ValidationError(
                {"cases": [f"{', '.join(missing)} not planned in {cycle.key}."]}
            )
        with refusals_as_409():
            services.cycle_cases_assign(
                actor=request.user,
                cycle=cycle,
                cycle_cases=planned,
                tester=_user(self.program, data["tester_id"], "tester_id"),
            )
        rows = selectors.cycle_cases(cycle=cycle).filter(case__key__in=keys)
        return Response([cycle_case_data(cc) for cc in rows])


class CycleCaseListView(CycleScopedMixin, ApiView):
    """The cases planned in the cycle, with tester and latest result."""

    permission_actions = {"get": "test.view"}

    @extend_schema(
        operation_id="releases_test_cycle_cases",
        parameters=[CODE, CYCLE_KEY],
        tags=TAGS,
        responses={
            200: CycleCaseSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, code: str, key: str):
        return Response([cycle_case_data(cc) for cc in selectors.cycle_cases(cycle=self.cycle())])
