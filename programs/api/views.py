"""API for programs, workstreams, members and the activity feed (mounted under /api/v1/).

Views are adapters: resolve the program (404 for non-members), check the role (403), validate
with a serializer, call one service, answer with the object and its ETag. Every view declares
`permission_actions` (program-scoped) or `access_policy` (see `core.api.permissions`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from core.api.filters import ScopedFilterBackend
from core.api.permissions import AUTHENTICATED
from core.api.refusals import refusals_as_409
from core.api.schema import (
    UNAUTHORIZED,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    update_schema,
)
from core.api.versioning import ServiceUpdateMixin, VersionedMixin
from core.api.views import ApiView, ApiViewSet, RowListMixin
from core.models import AuditEntry
from core.permissions import can_create_programs

from .. import selectors, services
from ..access import ProgramAccess, program_access_for_user
from ..filtersets import ActivityFilterSet, MembershipFilterSet, WorkstreamFilterSet
from ..models import Program, ProgramMembership, Workstream
from .serializers import (
    ActivitySerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MeSerializer,
    ProgramSerializer,
    WorkstreamSerializer,
)

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The workstream key, e.g. WS-3."
)
MEMBER_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The membership id."
)


class ProgramScopedMixin:
    """Resolve `{code}` to a program the user is a member of (else 404) as `self.access`.

    `core.api.permissions.DeclaredAccess` calls `get_access()` and checks the role against
    `permission_actions[action]` before the handler runs. Domain apps reuse this mixin.
    """

    permission_actions: dict[str, str]
    filter_backends = [ScopedFilterBackend]

    def get_access(self) -> ProgramAccess:
        access = getattr(self, "_access", None)
        if access is None:
            access = self._access = program_access_for_user(
                user=self.request.user, code=self.kwargs["code"]
            )
        return access

    @property
    def program(self) -> Program:
        return self.get_access().program

    def get_serializer_context(self):
        context = super().get_serializer_context()
        access = getattr(self, "_access", None)
        if access is not None:  # absent while the schema generator inspects the view
            context.update(program=access.program, my_role=access.role)
        return context

    def get_filterset_extra_kwargs(self) -> dict:
        return {"program": self.program}


def _programs_for(user) -> QuerySet[Program]:
    """The user's programs with their role, in one query and without per-program counts."""
    my_role = ProgramMembership.objects.filter(program=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Program.objects.filter(memberships__user=user)
        .select_related("sponsor")
        .annotate(my_role=Subquery(my_role))
        .order_by("name", "pk")
    )


@extend_schema_view(
    list=list_schema(ProgramSerializer, summary="Your programs"),
    create=create_schema(
        ProgramSerializer,
        summary="Start a program (you become its manager)",
        description="Needs the right to start programs (403 otherwise).",
    ),
)
@extend_schema(tags=["programs"])
class ProgramViewSet(VersionedMixin, RowListMixin, ApiViewSet):
    """The programs the user is a member of; starting a new one."""

    access_policy = AUTHENTICATED  # not program-scoped: lists only the user's own programs
    queryset = Program.objects.none()  # the model, for the schema; rows come from get_queryset
    serializer_class = ProgramSerializer
    filter_backends: list = []

    def get_queryset(self):
        return _programs_for(self.request.user)

    def create(self, request, *args, **kwargs):
        if not can_create_programs(request.user):
            raise PermissionDenied("You may not start programs; ask an administrator.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        program = services.program_create(actor=request.user, **serializer.validated_data)
        program = self.get_queryset().get(pk=program.pk)
        return Response(self.get_serializer(program).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=retrieve_schema(ProgramSerializer, parameters=[CODE]),
    update=update_schema(ProgramSerializer, parameters=[CODE]),
    partial_update=update_schema(ProgramSerializer, parameters=[CODE]),
)
@extend_schema(tags=["programs"])
class ProgramDetailViewSet(
    ProgramScopedMixin, VersionedMixin, ServiceUpdateMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """One program: read it, change it (programs are closed, not deleted)."""

    permission_actions = {
        "retrieve": "program.view",
        "update": "program.change",
        "partial_update": "program.change",
    }
    queryset = Program.objects.none()
    serializer_class = ProgramSerializer
    filter_backends: list = []

    update_target = "program"

    def update_service(self, **kwargs) -> Program:
        return services.program_update(**kwargs)

    def get_object(self) -> Program:
        return self.program


@extend_schema_view(
    list=list_schema(WorkstreamSerializer, parameters=[CODE]),
    create=create_schema(WorkstreamSerializer, parameters=[CODE]),
    retrieve=retrieve_schema(WorkstreamSerializer, parameters=[CODE, KEY]),
    update=update_schema(WorkstreamSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(WorkstreamSerializer, parameters=[CODE, KEY]),
    destroy=destroy_schema(WorkstreamSerializer, parameters=[CODE, KEY]),
)
@extend_schema(tags=["workstreams"])
class WorkstreamViewSet(
    ProgramScopedMixin,
    VersionedMixin,
    ServiceUpdateMixin,
    RowListMixin,
    mixins.RetrieveModelMixin,
    ApiViewSet,
):
    """The program's workstreams; each has a key (WS-3), a lead who is a member, a status."""

    permission_actions = {
        "list": "workstream.view",
        "retrieve": "workstream.view",
        "create": "workstream.add",
        "update": "workstream.change",
        "partial_update": "workstream.change",
        "destroy": "workstream.delete",
    }
    queryset = Workstream.objects.none()
    serializer_class = WorkstreamSerializer
    filterset_class = WorkstreamFilterSet
    update_target = "workstream"

    def update_service(self, **kwargs) -> Workstream:
        return services.workstream_update(**kwargs)

    def get_queryset(self):
        return selectors.workstream_list(program=self.program)

    def get_object(self) -> Workstream:
        return selectors.workstream_get(program=self.program, key=self.kwargs["key"])

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workstream = services.workstream_create(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        return Response(self.get_serializer(workstream).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        workstream = self.get_object()
        version = self.expected_version()
        with refusals_as_409():
            services.workstream_delete(
                actor=request.user, workstream=workstream, expected_version=version
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=list_schema(MembershipSerializer, parameters=[CODE]),
    create=create_schema(
        MembershipSerializer,
        request=MembershipCreateSerializer,
        parameters=[CODE],
        description="Someone without an account gets one and an e-mail to set a password.",
    ),
    retrieve=retrieve_schema(MembershipSerializer, parameters=[CODE, MEMBER_ID]),
    partial_update=update_schema(MembershipSerializer, parameters=[CODE, MEMBER_ID]),
    destroy=destroy_schema(MembershipSerializer, parameters=[CODE, MEMBER_ID]),
)
@extend_schema(tags=["members"])
class MembershipViewSet(
    ProgramScopedMixin,
    VersionedMixin,
    RowListMixin,
    mixins.RetrieveModelMixin,
    ApiViewSet,
):
    """Who is in the program and with which role; a program keeps at least one manager."""

    permission_actions = {
        "list": "membership.view",
        "retrieve": "membership.view",
        "create": "membership.manage",
        "partial_update": "membership.manage",
        "destroy": "membership.manage",
    }
    queryset = ProgramMembership.objects.none()
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet

    def get_queryset(self):
        return selectors.membership_list(program=self.program)

    def get_filterset_extra_kwargs(self) -> dict:
        return {}

    def get_object(self) -> ProgramMembership:
        return selectors.membership_get(program=self.program, pk=self.kwargs["id"])

    def create(self, request, *args, **kwargs):
        serializer = MembershipCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_add(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(membership, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=request.user,
            membership=membership,
            role=serializer.validated_data["role"],
            expected_version=version,
        )
        return Response(self.get_serializer(membership).data)

    def destroy(self, request, *args, **kwargs):
        membership = self.get_object()
        version = self.expected_version()
        services.membership_remove(
            actor=request.user, membership=membership, expected_version=version
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(list=list_schema(ActivitySerializer, parameters=[CODE]))
@extend_schema(tags=["activity"])
class ActivityViewSet(ProgramScopedMixin, RowListMixin, ApiViewSet):
    """The program's audit trail, newest first. Read-only: the trail cannot be edited."""

    permission_actions = {"list": "activity.view"}
    queryset = AuditEntry.objects.none()
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet

    def get_queryset(self):
        return selectors.activity_list(program=self.program)


class MeView(ApiView):
    """The signed-in user and their role in each program."""

    access_policy = AUTHENTICATED

    @extend_schema(
        operation_id="me_retrieve",
        responses={200: MeSerializer, 401: UNAUTHORIZED},
        tags=["auth"],
    )
    def get(self, request):
        user = request.user
        memberships = (
            ProgramMembership.objects.filter(user=user)
            .order_by("program__code")
            .values_list("program__code", "role")
        )
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "full_name": user.full_name,
                "job_title": user.job_title,
                "memberships": [{"program": code, "role": role} for code, role in memberships],
            }
        )
