"""Change control API, under /api/v1/programs/<code>/governance/: change requests (CRUD with
If-Match), one address per workflow step, the timeline, the outcome and the program's policy.

Views are adapters: they resolve the program (404 for non-members), check the role (403),
validate with a serializer and call one service. A workflow step the request's state does not
allow answers 409 with the reason; one the person may not take (not the required approver,
someone else's request) answers 403 with the reason; nothing changes either way. Steps take an
optional If-Match (or `version`): with it, a request that changed since is refused with 412.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    PRECONDITION_REQUIRED,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    stale_response,
    update_schema,
)
from core.api.serializers import (
    ErrorSerializer,
)
from core.api.versioning import PreconditionRequired, VersionedMixin, expected_version
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin

from ..filtersets import ChangeRequestFilterSet
from ..models import ChangeControlPolicy, ChangeRequest, ChangeRequestTransition
from ..selectors import changes as selectors
from ..services import changes as services
from ..services.errors import TransitionRefused
from .change_serializers import (
    AssessSerializer,
    ChangePolicySerializer,
    ChangeRequestSerializer,
    ChangeRequestTransitionSerializer,
    ImplementSerializer,
    OutcomeSerializer,
    TransitionSerializer,
)

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The request's key, e.g. CR-7."
)
VERSION_HELP = "The version you edited (or send If-Match)."
REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="The request's state does not allow this step (e.g. approving a draft, "
    "reopening a closed request); `detail` says why. Nothing changed.",
)
NOT_THE_APPROVER = OpenApiResponse(
    ErrorSerializer,
    description="Your role does not allow this, or you are not the person the program's "
    "change control policy requires (e.g. the sponsor above its thresholds, not the requester "
    "themselves); `detail` says why. Nothing changed.",
)


@contextmanager
def refusals_as_answers() -> Iterator[None]:
    """A state refusal becomes 409 with its reason (permission refusals are already 403)."""
    try:
        yield
    except TransitionRefused as exc:
        raise Conflict(exc.reason) from exc


class Conflict(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def conflict_response(exc: Conflict) -> Response:
    return Response({"detail": exc.reason}, status=status.HTTP_409_CONFLICT)


def optional_version(request) -> int | None:
    """If-Match or `version` when given (checked), else None: steps need not send one."""
    try:
        return expected_version(request)
    except PreconditionRequired:
        return None


# --- views ----------------------------------------------------------------------------------

CHANGE_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in title or texts."),
    OpenApiParameter("status", OpenApiTypes.STR, description="draft, submitted, assessed, ..."),
    OpenApiParameter("kind", OpenApiTypes.STR, description="scope, schedule, cost, quality."),
    OpenApiParameter("requester", OpenApiTypes.INT, description="The requester's user id."),
    OpenApiParameter("workstream", OpenApiTypes.INT, description="Workstream id."),
    OpenApiParameter("approval", OpenApiTypes.STR, description="manager or sponsor."),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        description="key, title, status, needed_by, cost, days, updated (prefix - for descending).",
    ),
]


class ChangeScopedMixin(ProgramScopedMixin):
    """The program's policy (once per request) and a request found by its key."""

    def policy(self) -> ChangeControlPolicy:
        if not hasattr(self, "_policy"):
            self._policy = selectors.change_policy_get(program=self.program)
        return self._policy

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "_access", None) is not None:
            context["policy"] = self.policy()
        return context

    def change_request(self) -> ChangeRequest:
        return selectors.change_request_get(program=self.program, key=self.kwargs["key"])

    def answer(self, change_request: ChangeRequest, status_code: int = 200) -> Response:
        fresh = selectors.change_request_get(program=self.program, key=change_request.key)
        context = {"request": self.request, "program": self.program, "policy": self.policy()}
        return Response(ChangeRequestSerializer(fresh, context=context).data, status=status_code)


@extend_schema_view(
    list=list_schema(
        ChangeRequestSerializer,
        parameters=[CODE, *CHANGE_FILTERS],
        description="Newest first (paginated; `page_size` up to 500).",
    ),
    create=create_schema(
        ChangeRequestSerializer,
        parameters=[CODE],
        description="Raises a draft. Contributors raise their own; program managers and "
        "coordinators may name another member as `requester_id`.",
    ),
    retrieve=retrieve_schema(ChangeRequestSerializer, parameters=[CODE, KEY]),
    update=update_schema(
        ChangeRequestSerializer,
        parameters=[CODE, KEY],
        description="Only while draft, submitted or deferred (409 otherwise), by the requester "
        "or a program manager or coordinator (403 otherwise).",
    ),
    partial_update=update_schema(ChangeRequestSerializer, parameters=[CODE, KEY]),
    destroy=destroy_schema(
        ChangeRequestSerializer,
        parameters=[CODE, KEY],
        description="Only a draft can be deleted (409 otherwise).",
    ),
)
@extend_schema(tags=["change requests"])
class ChangeRequestViewSet(ChangeScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The program's change requests: what would change, why, its impact and where it is."""

    service_target = "change_request"
    permission_actions = {
        "list": "change.view",
        "retrieve": "change.view",
        "create": "change.add",
        "update": "change.add",  # narrowed by the service: the requester or managers/coordinators
        "partial_update": "change.add",
        "destroy": "change.add",
    }
    queryset = ChangeRequest.objects.none()
    serializer_class = ChangeRequestSerializer
    filterset_class = ChangeRequestFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        return selectors.change_request_list(program=self.program, policy=self.policy())

    def get_object(self) -> ChangeRequest:
        return self.change_request()

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        rows = queryset.values(*ChangeRequestSerializer.row_fields)
        page = self.paginate_queryset(rows)
        keys = selectors.affected_keys_by_request(ids=[row["id"] for row in page])
        for row in page:
            row["affected_items"] = keys[row["id"]]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def serialize_current(self, instance) -> dict:
        return self.answer(instance).data

    def create_service(self, **kwargs):
        return services.change_request_create(**kwargs)

    def update_service(self, **kwargs):
        return services.change_request_update(**kwargs)

    def delete_service(self, **kwargs):
        services.change_request_delete(**kwargs)


def _step_schema(name: str, request, description: str):
    return extend_schema(
        operation_id=f"change_request_{name}",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=request,
        responses={
            200: ChangeRequestSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: NOT_THE_APPROVER,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(ChangeRequestSerializer),
        },
        description=description,
        tags=["change requests"],
    )


class ChangeRequestStepView(ChangeScopedMixin, VersionedMixin, ApiView):
    """Base of the workflow step addresses (submit/, assess/, approve/ ...)."""

    filter_backends: list = []
    step = ""
    serializer_class: type[serializers.Serializer] = TransitionSerializer

    def serialize_current(self, instance) -> dict:
        return self.answer(instance).data

    def take(self, request):
        cr = self.change_request()
        version = optional_version(request)
        serializer = self.serializer_class(
            data=request.data, context={"program": self.program, "request": request}
        )
        serializer.is_valid(raise_exception=True)
        service = services.TRANSITION_SERVICES[self.step]
        try:
            with refusals_as_answers():
                cr = service(
                    actor=request.user,
                    change_request=cr,
                    expected_version=version,
                    **serializer.validated_data,
                )
        except Conflict as exc:
            return conflict_response(exc)
        return self.answer(cr)


class ChangeRequestSubmitView(ChangeRequestStepView):
    """Draft (or deferred) -> submitted, by the requester or a program manager/coordinator."""

    permission_actions = {"post": "change.add"}
    step = "submit"

    @_step_schema("submit", TransitionSerializer, "Needs a description and a reason (400).")
    def post(self, request, code: str, key: str):
        return self.take(request)


class ChangeRequestAssessView(ChangeRequestStepView):
    """Submitted -> assessed, with the impact; e-mails the approvers the policy requires."""

    permission_actions = {"post": "change.change"}
    step = "assess"
    serializer_class = AssessSerializer

    @_step_schema(
        "assess",
        AssessSerializer,
        "`schedule_impact_days` and `cost_impact` are required, here or already on the request.",
    )
    def post(self, request, code: str, key: str):
        return self.take(request)


class ChangeRequestApproveView(ChangeRequestStepView):
    """Assessed -> approved by the required approver; records a decision (DEC-n)."""

    permission_actions = {"post": "change.approve"}
    step = "approve"

    @_step_schema(
        "approve",
        TransitionSerializer,
        "The sponsor approves above the policy's thresholds, a program manager (or the sponsor) "
        "below; never the requester unless the policy allows it (403 with the reason).",
    )
    def post(self, request, code: str, key: str):
        return self.take(request)


class ChangeRequestRejectView(ChangeRequestStepView):
    """Assessed -> rejected by the required approver, with the reason; records a decision."""

    permission_actions = {"post": "change.approve"}
    step = "reject"

    @_step_schema("reject", TransitionSerializer, "`comment` is required.")
    def post(self, request, code: str, key: str):
        return self.take(request)


class ChangeRequestDeferView(ChangeRequestStepView):
    """Assessed -> deferred by the required approver, with the reason (resubmit later)."""

    permission_actions = {"post": "change.approve"}
    step = "defer"

    @_step_schema("defer", TransitionSerializer, "`comment` is required.")
    def post(self, request, code: str, key: str):
        return self.take(request)


class ChangeRequestImplementView(ChangeRequestStepView):
    """Approved -> implemented, optionally with the baseline and budget change it caused."""

    permission_actions = {"post": "change.change"}
    step = "implement"
    serializer_class = ImplementSerializer

    @_step_schema(
        "implement",
        ImplementSerializer,
        "`baseline_id` links an existing baseline; `new_baseline_name` saves one now "
        "(program managers only).",
    )
    def post(self, request, code: str, key: str):
        return self.take(request)


class ChangeRequestCloseView(ChangeRequestStepView):
    """Implemented, rejected or deferred -> closed; a closed request is never reopened."""

    permission_actions = {"post": "change.change"}
    step = "close"

    @_step_schema("close", TransitionSerializer, "Closing a deferred request needs `comment`.")
    def post(self, request, code: str, key: str):
        return self.take(request)


class ChangeRequestOutcomeView(ChangeScopedMixin, VersionedMixin, ApiView):
    """The baseline and budget change an approved request caused (record or correct)."""

    permission_actions = {"patch": "change.change"}
    filter_backends: list = []

    def serialize_current(self, instance) -> dict:
        return self.answer(instance).data

    @extend_schema(
        operation_id="change_request_outcome",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=OutcomeSerializer,
        responses={
            200: ChangeRequestSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(ChangeRequestSerializer),
            428: PRECONDITION_REQUIRED,
        },
        description="Only for approved, implemented or closed requests (409 otherwise).",
        tags=["change requests"],
    )
    def patch(self, request, code: str, key: str):
        cr = self.change_request()
        version = self.expected_version()
        serializer = OutcomeSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        kwargs: dict[str, Any] = {
            "new_baseline_name": data.get("new_baseline_name", ""),
            "budget_reference": data.get("budget_reference"),
        }
        if "baseline" in data:
            kwargs["baseline"] = data["baseline"]
        try:
            with refusals_as_answers():
                cr = services.change_request_record_outcome(
                    actor=request.user, change_request=cr, expected_version=version, **kwargs
                )
        except Conflict as exc:
            return conflict_response(exc)
        return self.answer(cr)


class TransitionPagination(StandardPagination):
    page_size = 100


@extend_schema_view(
    list=list_schema(
        ChangeRequestTransitionSerializer,
        parameters=[CODE, KEY],
        description="The request's timeline, oldest first: who moved it, from what to what, why.",
    )
)
@extend_schema(tags=["change requests"])
class ChangeRequestTransitionViewSet(ChangeScopedMixin, ApiViewSet):
    """The workflow steps a request went through."""

    permission_actions = {"list": "change.view"}
    queryset = ChangeRequestTransition.objects.none()
    serializer_class = ChangeRequestTransitionSerializer
    pagination_class = TransitionPagination
    filter_backends: list = []

    def get_serializer_context(self):
        return ProgramScopedMixin.get_serializer_context(self)  # no policy needed here

    def list(self, request, *args, **kwargs):
        cr = self.change_request()
        rows = selectors.change_request_transitions(change_request=cr).values(
            *ChangeRequestTransitionSerializer.row_fields
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ChangePolicyView(ChangeScopedMixin, VersionedMixin, ApiView):
    """The program's change control policy: above which impact the sponsor decides."""

    permission_actions = {"get": "change.view", "patch": "change.settings"}
    filter_backends: list = []

    def serialize_current(self, instance) -> dict:
        instance.program = self.program
        return ChangePolicySerializer(instance).data

    @extend_schema(
        operation_id="change_policy_retrieve",
        parameters=[CODE, ETAG],
        responses={200: ChangePolicySerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["change requests"],
    )
    def get(self, request, code: str):
        return Response(ChangePolicySerializer(self.policy()).data)

    @extend_schema(
        operation_id="change_policy_partial_update",
        parameters=[CODE, IF_MATCH, ETAG],
        request=ChangePolicySerializer,
        responses={
            200: ChangePolicySerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            412: stale_response(ChangePolicySerializer),
            428: PRECONDITION_REQUIRED,
        },
        description="Applies to requests still waiting for a decision.",
        tags=["change requests"],
    )
    def patch(self, request, code: str):
        version = self.expected_version()
        serializer = ChangePolicySerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = services.change_policy_update(
            actor=request.user,
            program=self.program,
            expected_version=version,
            **serializer.validated_data,
        )
        policy.program = self.program
        return Response(ChangePolicySerializer(policy).data)
