"""RFP API under /api/v1/programs/<code>/vendors/rfps/: RFPs, their criteria, evaluators and
responses, your own evaluation of a response (GET, PUT draft scores, POST submit), the
comparison matrix, the selection, and the evaluations waiting for you.

Scores follow the same sealing rule as the pages (`vendors.selectors.rfp`): drafts are seen by
their author only; an evaluator sees the others' submitted scores of a response once they have
submitted theirs; the matrix leaves out what the caller may not see yet.

Answers: 400 bad input (a score outside the scale names the criterion), 403 role or not an
assigned evaluator, 404 unknown or another program's, 409 a step the state refuses (editing a
submitted evaluation, changing frozen criteria), 412/428 versions as everywhere.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
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
from core.api.serializers import UserRefSerializer, format_date, format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from core.models import User
from programs.api.views import ProgramScopedMixin
from programs.models import ProgramMembership

from ..models import Evaluation, Rfp, RfpCriterion, RfpEvaluator, RfpResponse, RfpStatus, Vendor
from ..selectors import rfp as selectors
from ..services import rfp as services
from ._base import REFUSED, optional_version, refusals_as_409

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The RFP's key, e.g. RFP-2."
)
RESPONSE_PK = OpenApiParameter(
    "pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The response's id."
)
CRITERION_ID = OpenApiParameter(
    "pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The criterion's id."
)
EVALUATOR_ID = OpenApiParameter(
    "pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The assignment's id."
)
VERSION_HELP = "The version you edited (or send If-Match)."
TAGS = ["rfps"]


def _dec(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _vendor_ref(vendor: Vendor) -> dict[str, Any]:
    return {"key": vendor.key, "name": vendor.name}


class RfpVendorRefSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- RFPs ---------------------------------------------------------------------------------


class RfpSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=RfpStatus.choices,
        read_only=True,
        help_text="Change it with status/ (open, evaluation, cancelled) or select/ (decided).",
    )
    owner = UserRefSerializer(read_only=True, allow_null=True)
    owner_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, help_text="A member; default: you."
    )
    issued_on = serializers.DateField(required=False, allow_null=True)
    responses_due = serializers.DateField(required=False, allow_null=True)
    scale_max = serializers.IntegerField(
        min_value=2,
        max_value=100,
        required=False,
        help_text="Scores go from 0 to this number (default 5). Frozen once an evaluation is "
        "submitted.",
    )
    criteria_count = serializers.IntegerField(read_only=True)
    response_count = serializers.IntegerField(read_only=True)
    evaluator_count = serializers.IntegerField(read_only=True)
    submitted_count = serializers.IntegerField(
        read_only=True, help_text="Submitted evaluations (responses x evaluators when complete)."
    )
    selected_response = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The selected response's id."
    )
    selected_vendor = RfpVendorRefSerializer(read_only=True, allow_null=True)
    selection_rationale = serializers.CharField(read_only=True)
    decision = serializers.CharField(
        read_only=True, allow_null=True, help_text="The decision log entry, e.g. DEC-12."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "owner_id" in attrs:
            owner_id = attrs.pop("owner_id")
            attrs["owner"] = None
            if owner_id is not None:
                attrs["owner"] = _member(self.context["program"], owner_id, "owner_id")
        return attrs

    def to_representation(self, rfp) -> dict[str, Any]:
        selected = rfp.selected_response
        return {
            "key": rfp.key,
            "title": rfp.title,
            "description": rfp.description,
            "status": rfp.status,
            "owner": user_ref(rfp.owner_id, rfp.owner.full_name if rfp.owner else None),
            "issued_on": format_date(rfp.issued_on),
            "responses_due": format_date(rfp.responses_due),
            "scale_max": rfp.scale_max,
            "criteria_count": rfp.criteria_count,
            "response_count": rfp.response_count,
            "evaluator_count": rfp.evaluator_count,
            "submitted_count": rfp.submitted_count,
            "selected_response": rfp.selected_response_id,
            "selected_vendor": _vendor_ref(selected.vendor) if selected else None,
            "selection_rationale": rfp.selection_rationale,
            "decision": rfp.decision.key if rfp.decision_id else None,
            "version": rfp.version,
            "created_at": format_datetime(rfp.created_at),
            "updated_at": format_datetime(rfp.updated_at),
        }


def _member(program, user_id: int, field: str) -> User:
    membership = (
        ProgramMembership.objects.filter(program=program, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise serializers.ValidationError({field: [f"User {user_id} is not a member."]})
    return membership.user


class RfpScopedMixin(ProgramScopedMixin):
    filter_backends: list = []

    def rfp(self):
        if not hasattr(self, "_rfp"):
            self._rfp = selectors.rfp_get(program=self.program, key=self.kwargs["key"])
        return self._rfp

    def rfp_answer(self, rfp, status_code: int = 200) -> Response:
        fresh = selectors.rfp_list(program=self.program).get(pk=rfp.pk)
        response = Response(RfpSerializer(fresh).data, status=status_code)
        response["ETag"] = f'"{fresh.version}"'
        return response


@extend_schema_view(
    list=list_schema(
        RfpSerializer,
        parameters=[
            CODE,
            OpenApiParameter(
                "status", OpenApiTypes.STR, description="One status, e.g. evaluation."
            ),
        ],
    ),
    create=create_schema(RfpSerializer, parameters=[CODE], description="A draft RFP."),
    retrieve=retrieve_schema(RfpSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(
        RfpSerializer,
        parameters=[CODE, KEY],
        description="409 once decided or cancelled, or for the scale once an evaluation is "
        "submitted.",
    ),
)
@extend_schema(tags=TAGS)
class RfpViewSet(RfpScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The program's RFPs."""

    service_target = "rfp"
    permission_actions = {
        "list": "rfp.view",
        "retrieve": "rfp.view",
        "create": "rfp.change",
        "partial_update": "rfp.change",
    }
    queryset = Rfp.objects.none()
    serializer_class = RfpSerializer
    pagination_class = StandardPagination

    def list(self, request, *args, **kwargs):
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in RfpStatus.values:
            raise serializers.ValidationError(
                {"status": [f"One of {', '.join(RfpStatus.values)}."]}
            )
        rows = selectors.rfp_list(program=self.program, status=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(RfpSerializer(page, many=True).data)

    def get_object(self) -> Rfp:
        return self.rfp()

    def serialize_current(self, instance) -> dict:
        return RfpSerializer(selectors.rfp_list(program=self.program).get(pk=instance.pk)).data

    def create_service(self, **kwargs):
        return services.rfp_create(**kwargs)

    def update_service(self, **kwargs):
        return services.rfp_update(**kwargs)


class RfpStatusSerializer(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[(s, RfpStatus(s).label) for s in services.TRANSITIONS],
        help_text="open (issue it), evaluation, cancelled. A vendor is selected with select/.",
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


def _step_schema(operation_id: str, request, description: str, response=RfpSerializer):
    return extend_schema(
        operation_id=operation_id,
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=request,
        responses={
            200: response,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(response),
        },
        description=description,
        tags=TAGS,
    )


class RfpStatusView(RfpScopedMixin, VersionedMixin, ApiView):
    """One status step of an RFP."""

    permission_actions = {"post": "rfp.change"}

    @_step_schema(
        "vendors_rfp_status",
        RfpStatusSerializer,
        "draft -> open (needs criteria, every weight above 0) -> evaluation (needs a response "
        "and an evaluator); draft/open/evaluation -> cancelled. 400 lists what is missing; 409 "
        "for a step out of order.",
    )
    def post(self, request, code: str, key: str):
        rfp = self.rfp()
        version = optional_version(request)
        serializer = RfpStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            rfp = services.rfp_transition(
                actor=request.user,
                rfp=rfp,
                to=serializer.validated_data["to"],
                expected_version=version,
            )
        return self.rfp_answer(rfp)

    def serialize_current(self, instance) -> dict:
        return RfpSerializer(selectors.rfp_list(program=self.program).get(pk=instance.pk)).data


# --- criteria -----------------------------------------------------------------------------


class RfpCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    weight = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=1000,
        help_text="Relative weight; shares are weight / total.",
    )  # fmt: skip
    share = serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True, help_text="% of the total weight."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs

    def to_representation(self, c) -> dict[str, Any]:
        return {
            "id": c.pk,
            "position": c.position,
            "name": c.name,
            "description": c.description,
            "weight": _dec(c.weight),
            "share": _dec(getattr(c, "share", None)),
            "version": c.version,
        }


def _with_share(rfp, criterion: RfpCriterion) -> RfpCriterion:
    for c in selectors.criteria_with_shares(rfp=rfp):
        if c.pk == criterion.pk:
            return c
    return criterion


@extend_schema_view(
    list=list_schema(RfpCriterionSerializer, parameters=[CODE, KEY]),
    create=create_schema(
        RfpCriterionSerializer,
        parameters=[CODE, KEY],
        description="409 once an evaluation is submitted (the criteria are frozen).",
    ),
    retrieve=retrieve_schema(RfpCriterionSerializer, parameters=[CODE, KEY, CRITERION_ID]),
    partial_update=update_schema(RfpCriterionSerializer, parameters=[CODE, KEY, CRITERION_ID]),
    destroy=destroy_schema(RfpCriterionSerializer, parameters=[CODE, KEY, CRITERION_ID]),
)
@extend_schema(tags=TAGS)
class RfpCriterionViewSet(RfpScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """An RFP's weighted criteria."""

    service_target = "criterion"
    permission_actions = {
        "list": "rfp.view",
        "retrieve": "rfp.view",
        "create": "rfp.change",
        "partial_update": "rfp.change",
        "destroy": "rfp.change",
    }
    queryset = RfpCriterion.objects.none()
    serializer_class = RfpCriterionSerializer

    def get_object(self) -> RfpCriterion:
        return get_object_or_404(RfpCriterion, rfp=self.rfp(), pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        criteria = selectors.criteria_with_shares(rfp=self.rfp())
        return Response(RfpCriterionSerializer(criteria, many=True).data)  # every one, unpaged

    def answer_data(self, row: RfpCriterion) -> dict:
        return RfpCriterionSerializer(_with_share(self.rfp(), row)).data

    def create_parent(self) -> dict:
        return {"rfp": self.rfp()}

    def create_service(self, **kwargs):
        return services.criterion_add(**kwargs)

    def update_service(self, **kwargs):
        return services.criterion_update(**kwargs)

    def delete_service(self, **kwargs):
        services.criterion_delete(**kwargs)


# --- evaluators ---------------------------------------------------------------------------


class RfpEvaluatorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The assignment's id.")
    user = UserRefSerializer(read_only=True)
    user_id = serializers.IntegerField(write_only=True, help_text="A member who may evaluate.")
    submitted = serializers.IntegerField(read_only=True, help_text="Evaluations submitted.")
    drafts = serializers.IntegerField(read_only=True, help_text="Evaluations saved as drafts.")

    def to_representation(self, progress) -> dict[str, Any]:
        ev = progress.evaluator
        return {
            "id": ev.pk,
            "user": user_ref(ev.user_id, ev.user.full_name),
            "submitted": progress.submitted,
            "drafts": progress.drafts,
        }


@extend_schema_view(
    list=list_schema(RfpEvaluatorSerializer, parameters=[CODE, KEY]),
    create=create_schema(RfpEvaluatorSerializer, parameters=[CODE, KEY]),
    retrieve=retrieve_schema(RfpEvaluatorSerializer, parameters=[CODE, KEY, EVALUATOR_ID]),
    destroy=extend_schema(
        parameters=[CODE, KEY, EVALUATOR_ID],
        responses={
            204: OpenApiResponse(description="Removed (with their drafts)."),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
        description="409 once they have submitted an evaluation: it stays part of the record.",
    ),
)
@extend_schema(tags=TAGS)
class RfpEvaluatorViewSet(RfpScopedMixin, ApiViewSet):
    """Who evaluates an RFP, with their progress (never their scores)."""

    # Not ServiceCrudMixin: assignments carry no version (no If-Match) and answer with progress.

    permission_actions = {
        "list": "rfp.view",
        "retrieve": "rfp.view",
        "create": "rfp.change",
        "destroy": "rfp.change",
    }
    queryset = RfpEvaluator.objects.none()
    serializer_class = RfpEvaluatorSerializer

    def progress(self) -> list:
        rfp = self.rfp()
        responses = list(rfp.responses.order_by("vendor__name", "id"))
        return selectors.evaluator_progress(rfp=rfp, responses=responses)

    def one(self, evaluator_id: int):
        found = next((p for p in self.progress() if p.evaluator.pk == evaluator_id), None)
        if found is None:
            raise Http404("No such evaluator of this RFP.")
        return found

    def list(self, request, *args, **kwargs):
        return Response(RfpEvaluatorSerializer(self.progress(), many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(RfpEvaluatorSerializer(self.one(self.kwargs["pk"])).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _member(self.program, serializer.validated_data["user_id"], "user_id")
        with refusals_as_409():
            evaluator = services.evaluator_add(actor=request.user, rfp=self.rfp(), user=user)
        return Response(RfpEvaluatorSerializer(self.one(evaluator.pk)).data, status=201)

    def destroy(self, request, *args, **kwargs):
        evaluator = get_object_or_404(RfpEvaluator, rfp=self.rfp(), pk=self.kwargs["pk"])
        with refusals_as_409():
            services.evaluator_remove(actor=request.user, evaluator=evaluator)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- responses ----------------------------------------------------------------------------


class RfpResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    vendor = RfpVendorRefSerializer(read_only=True)
    vendor_key = serializers.CharField(
        write_only=True, help_text="The responding vendor's key, e.g. VND-5 (create only)."
    )
    received_on = serializers.DateField(
        required=False, allow_null=True, help_text="Default: today."
    )
    price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    summary = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        if self.instance is not None and "vendor_key" in attrs:
            raise serializers.ValidationError(
                {"vendor_key": ["The vendor of a response cannot change."]}
            )
        if self.instance is None:
            program = self.context["program"]
            key = attrs.pop("vendor_key").strip().upper()
            vendor = Vendor.objects.filter(program=program, key=key).first()
            if vendor is None:
                raise serializers.ValidationError(
                    {"vendor_key": [f"There is no vendor {key} in {program.code}."]}
                )
            attrs["vendor"] = vendor
        elif attrs.get("received_on", "") is None:
            attrs.pop("received_on")
        return attrs

    def to_representation(self, r) -> dict[str, Any]:
        return {
            "id": r.pk,
            "vendor": _vendor_ref(r.vendor),
            "received_on": format_date(r.received_on),
            "price": _dec(r.price),
            "summary": r.summary,
            "version": r.version,
        }


@extend_schema_view(
    list=list_schema(RfpResponseSerializer, parameters=[CODE, KEY]),
    create=create_schema(
        RfpResponseSerializer,
        parameters=[CODE, KEY],
        description="One per vendor, while the RFP is open or in evaluation (409 otherwise).",
    ),
    retrieve=retrieve_schema(RfpResponseSerializer, parameters=[CODE, KEY, RESPONSE_PK]),
    partial_update=update_schema(RfpResponseSerializer, parameters=[CODE, KEY, RESPONSE_PK]),
    destroy=destroy_schema(
        RfpResponseSerializer,
        parameters=[CODE, KEY, RESPONSE_PK],
        description="409 once an evaluation of it is submitted.",
    ),
)
@extend_schema(tags=TAGS)
class RfpResponseViewSet(RfpScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The vendors' responses to an RFP."""

    service_target = "response"
    permission_actions = {
        "list": "rfp.view",
        "retrieve": "rfp.view",
        "create": "rfp.change",
        "partial_update": "rfp.change",
        "destroy": "rfp.change",
    }
    queryset = RfpResponse.objects.none()
    serializer_class = RfpResponseSerializer

    def get_object(self) -> RfpResponse:
        return selectors.response_get(rfp=self.rfp(), pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        rows = self.rfp().responses.select_related("vendor").order_by("vendor__name", "id")
        return Response(RfpResponseSerializer(rows, many=True).data)  # every one, unpaged

    def create_parent(self) -> dict:
        return {"rfp": self.rfp()}

    def create_service(self, **kwargs):
        return services.response_add(**kwargs)

    def update_service(self, **kwargs):
        services.response_update(**kwargs)
        return self.get_object()

    def delete_service(self, **kwargs):
        services.response_remove(**kwargs)


# --- my evaluation ------------------------------------------------------------------------


class RfpScoreInSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="The criterion's id.")
    score = serializers.IntegerField(
        allow_null=True, help_text="A whole number from 0 to the RFP's scale; null clears it."
    )
    comment = serializers.CharField(required=False, allow_blank=True)


class RfpScoreOutSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()


class RfpPeerSerializer(serializers.Serializer):
    evaluator = UserRefSerializer()
    submitted_at = serializers.DateTimeField()
    comment = serializers.CharField()
    scores = RfpScoreOutSerializer(many=True)


class RfpEvaluationSerializer(serializers.Serializer):
    """Input: draft scores. Output: your evaluation and, once you have submitted it, the
    others' submitted ones."""

    response = serializers.IntegerField(read_only=True)
    vendor = RfpVendorRefSerializer(read_only=True)
    status = serializers.ChoiceField(choices=["not_started", "draft", "submitted"], read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, help_text="Overall.")
    scores = RfpScoreInSerializer(many=True, required=False, help_text="Criteria left out keep "
                               "their score.")  # fmt: skip
    version = serializers.IntegerField(
        required=False, min_value=1, allow_null=True, help_text=VERSION_HELP
    )
    scale_max = serializers.IntegerField(read_only=True)
    others_visible = serializers.BooleanField(
        read_only=True, help_text="False until you have submitted (the others' scores are sealed)."
    )
    others = RfpPeerSerializer(many=True, read_only=True)
    others_pending = serializers.IntegerField(
        read_only=True, help_text="Other evaluators who have not submitted (a count only)."
    )


def _evaluation_body(rfp, view: selectors.RfpEvaluationView) -> dict[str, Any]:
    criteria = list(rfp.criteria.all())
    own = view.evaluation

    def scores_of(scores: dict) -> list[dict[str, Any]]:
        return [
            {
                "criterion": c.pk,
                "name": c.name,
                "score": scores[c.pk].score if c.pk in scores else None,
                "comment": scores[c.pk].comment if c.pk in scores else "",
            }
            for c in criteria
        ]

    return {
        "response": view.response.pk,
        "vendor": _vendor_ref(view.response.vendor),
        "status": own.status if own else "not_started",
        "submitted_at": format_datetime(own.submitted_at) if own else None,
        "comment": own.comment if own else "",
        "scores": scores_of(view.scores),
        "version": own.version if own else None,
        "scale_max": rfp.scale_max,
        "others_visible": view.peers_visible,
        "others": [
            {
                "evaluator": user_ref(p.evaluator.pk, p.evaluator.full_name),
                "submitted_at": format_datetime(p.submitted_at),
                "comment": p.comment,
                "scores": scores_of(p.scores),
            }
            for p in view.peers
        ],
        "others_pending": view.pending_peers,
    }


class RfpEvaluationScopedMixin(RfpScopedMixin):
    def response_row(self) -> RfpResponse:
        return selectors.response_get(rfp=self.rfp(), pk=self.kwargs["pk"])

    def require_evaluator(self) -> None:
        if not selectors.is_evaluator(rfp=self.rfp(), user=self.request.user):
            raise PermissionDenied(
                f"You are not an evaluator of {self.rfp().key}; only its assigned evaluators "
                "score it."
            )

    def body(self) -> dict[str, Any]:
        row = self.response_row()
        return _evaluation_body(
            self.rfp(), selectors.evaluation_view(response=row, viewer=self.request.user)
        )

    def answer(self) -> Response:
        data = self.body()
        response = Response(data)
        if data["version"]:
            response["ETag"] = f'"{data["version"]}"'
        return response

    def serialize_current(self, instance: Evaluation) -> dict:
        return self.body()


EVALUATION_ERRORS = {
    400: VALIDATION_ERROR,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: REFUSED,
    412: stale_response(RfpEvaluationSerializer),
}


class RfpEvaluationView(RfpEvaluationScopedMixin, VersionedMixin, ApiView):
    """Your own evaluation of one response."""

    permission_actions = {"get": "rfp.evaluate", "put": "rfp.evaluate"}

    @extend_schema(
        operation_id="vendors_rfp_evaluation_retrieve",
        parameters=[CODE, KEY, RESPONSE_PK],
        responses={200: RfpEvaluationSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        description="403 unless you are an assigned evaluator. `others` stays empty until you "
        "have submitted (or the RFP is decided or cancelled); others' drafts are never shown.",
        tags=TAGS,
    )
    def get(self, request, code: str, key: str, pk: int):
        self.require_evaluator()
        return self.answer()

    @extend_schema(
        operation_id="vendors_rfp_evaluation_save",
        parameters=[CODE, KEY, RESPONSE_PK, IF_MATCH],
        request=RfpEvaluationSerializer,
        responses={200: RfpEvaluationSerializer, **EVALUATION_ERRORS},
        description="Save draft scores (the version is optional: without it the last save "
        "wins). 400 for a score outside 0..scale (the message names the criterion); 409 once "
        "submitted or when the RFP is not in evaluation.",
        tags=TAGS,
    )
    def put(self, request, code: str, key: str, pk: int):
        self.require_evaluator()
        row = self.response_row()
        version = optional_version(request)
        serializer = RfpEvaluationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entries = data.get("scores", [])
        with refusals_as_409():
            services.evaluation_save_scores(
                actor=request.user,
                response=row,
                scores={e["criterion"]: e["score"] for e in entries},
                comments={e["criterion"]: e["comment"] for e in entries if "comment" in e},
                comment=data.get("comment"),
                expected_version=version,
            )
        return self.answer()


class RfpEvaluationSubmitView(RfpEvaluationScopedMixin, VersionedMixin, ApiView):
    """Submit your evaluation of one response: then it cannot change."""

    permission_actions = {"post": "rfp.evaluate"}

    @extend_schema(
        operation_id="vendors_rfp_evaluation_submit",
        parameters=[CODE, KEY, RESPONSE_PK, IF_MATCH],
        request=None,
        responses={200: RfpEvaluationSerializer, **EVALUATION_ERRORS},
        description="400 naming the criteria not scored yet; 409 when already submitted.",
        tags=TAGS,
    )
    def post(self, request, code: str, key: str, pk: int):
        self.require_evaluator()
        row = self.response_row()
        version = optional_version(request)
        with refusals_as_409():
            services.evaluation_submit(actor=request.user, response=row, expected_version=version)
        return self.answer()


# --- the matrix, the selection, the to-do -------------------------------------------------


class RfpMatrixCellSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    mean = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    spread = serializers.IntegerField(allow_null=True, help_text="Max - min of the scores.")


class RfpEvaluatorTotalSerializer(serializers.Serializer):
    evaluator = UserRefSerializer()
    total = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class RfpMatrixResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = RfpVendorRefSerializer()
    rank = serializers.IntegerField(allow_null=True, help_text="Equal totals share a rank.")
    total = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="Weighted total, % of best."
    )
    spread = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="Max - min evaluator total."
    )
    stdev = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    flags = serializers.ListField(
        child=serializers.CharField(),
        help_text="disagree, single_evaluator, not_evaluated, incomplete_ignored.",
    )
    evaluations = serializers.IntegerField(help_text="Submitted evaluations counted.")
    criteria = RfpMatrixCellSerializer(many=True)
    evaluator_totals = RfpEvaluatorTotalSerializer(many=True)


class RfpMatrixSerializer(serializers.Serializer):
    rfp = serializers.CharField()
    status = serializers.CharField()
    scale_max = serializers.IntegerField()
    disagreement_threshold = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True
    )
    criteria = RfpCriterionSerializer(many=True)
    responses = RfpMatrixResponseSerializer(many=True, help_text="Ranked first, then unranked.")
    sealed = RfpResponseSerializer(
        many=True, help_text="Responses left out: you evaluate them and have not submitted yet."
    )


def _matrix_body(matrix: selectors.RfpMatrix) -> dict[str, Any]:
    shares = {row.criterion.pk: row.share for row in matrix.rows}
    for c in matrix.criteria:
        c.share = shares.get(c.pk)
    return {
        "rfp": matrix.rfp.key,
        "status": matrix.rfp.status,
        "scale_max": matrix.rfp.scale_max,
        "disagreement_threshold": _dec(matrix.comparison.threshold) if matrix.comparison else None,
        "criteria": RfpCriterionSerializer(matrix.criteria, many=True).data,
        "responses": [
            {
                "id": col.response.pk,
                "vendor": _vendor_ref(col.response.vendor),
                "rank": col.result.rank,
                "total": _dec(col.result.total),
                "spread": _dec(col.result.spread),
                "stdev": _dec(col.result.stdev),
                "flags": list(col.result.flags),
                "evaluations": len(col.result.evaluators),
                "criteria": [
                    {
                        "criterion": c.pk,
                        "mean": _dec(col.result.criterion_means.get(c.pk)),
                        "spread": col.result.criterion_spreads.get(c.pk),
                    }
                    for c in matrix.criteria
                ],
                "evaluator_totals": [
                    {"evaluator": user_ref(u.pk, u.full_name), "total": _dec(total)}
                    for u, total in col.evaluator_totals
                ],
            }
            for col in matrix.columns
        ],
        "sealed": RfpResponseSerializer(matrix.sealed, many=True).data,
    }


class RfpMatrixView(RfpScopedMixin, ApiView):
    """The comparison of an RFP's responses from submitted evaluations."""

    permission_actions = {"get": "rfp.view"}

    @extend_schema(
        operation_id="vendors_rfp_matrix",
        parameters=[CODE, KEY],
        responses={200: RfpMatrixSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        description="Drafts never count. If you evaluate this RFP, the responses you have not "
        "submitted yet are left out (listed in `sealed`) until you do.",
        tags=TAGS,
    )
    def get(self, request, code: str, key: str):
        matrix = selectors.rfp_matrix(rfp=self.rfp(), viewer=request.user)
        return Response(_matrix_body(matrix))


class RfpSelectSerializer(serializers.Serializer):
    response = serializers.IntegerField(help_text="The id of the selected response.")
    rationale = serializers.CharField(help_text="Why this vendor; kept in the decision log.")
    forum = serializers.CharField(required=False, allow_blank=True, max_length=200)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class RfpSelectView(RfpScopedMixin, VersionedMixin, ApiView):
    """Select the winning response: records a decision and marks the RFP decided."""

    permission_actions = {"post": "rfp.select"}

    @_step_schema(
        "vendors_rfp_select",
        RfpSelectSerializer,
        "Needs the RFP in evaluation (409 otherwise), a rationale, and a response with a "
        "submitted evaluation (400). The answer's `decision` is the decision log entry.",
    )
    def post(self, request, code: str, key: str):
        rfp = self.rfp()
        version = optional_version(request)
        serializer = RfpSelectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        chosen = rfp.responses.select_related("vendor").filter(pk=data["response"]).first()
        if chosen is None:
            raise serializers.ValidationError(
                {"response": [f"{rfp.key} has no response {data['response']}."]}
            )
        with refusals_as_409():
            rfp = services.rfp_select(
                actor=request.user,
                rfp=rfp,
                response=chosen,
                rationale=data["rationale"],
                forum=data.get("forum", ""),
                expected_version=version,
            )
        return self.rfp_answer(rfp)

    def serialize_current(self, instance) -> dict:
        return RfpSerializer(selectors.rfp_list(program=self.program).get(pk=instance.pk)).data


class RfpToDoSerializer(serializers.Serializer):
    rfp = serializers.CharField(help_text="The RFP's key.")
    title = serializers.CharField()
    response = serializers.IntegerField()
    vendor = RfpVendorRefSerializer()
    status = serializers.ChoiceField(choices=["not_started", "draft"])


class RfpMyEvaluationsView(ProgramScopedMixin, ApiView):
    """The responses waiting for your scores (RFPs in evaluation you are assigned to)."""

    permission_actions = {"get": "rfp.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="vendors_rfp_my_evaluations",
        parameters=[CODE],
        responses={200: RfpToDoSerializer(many=True), 401: UNAUTHORIZED, 403: FORBIDDEN,
                   404: NOT_FOUND},
        tags=TAGS,
    )  # fmt: skip
    def get(self, request, code: str):
        todo = selectors.my_evaluations_to_do(program=self.program, user=request.user)
        return Response(
            [
                {
                    "rfp": t.rfp.key,
                    "title": t.rfp.title,
                    "response": t.response.pk,
                    "vendor": _vendor_ref(t.response.vendor),
                    "status": t.status or "not_started",
                }
                for t in todo
            ]
        )
