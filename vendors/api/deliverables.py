"""Deliverables API, under /api/v1/programs/<code>/vendors/: deliverables (CRUD with If-Match),
their acceptance criteria, submissions (multipart upload; on the vendor's behalf), the review
(a decision on every criterion), withdrawal and file downloads; and the vendor portal's view of
the caller's own vendor's deliverables, with submission and downloads.

References are keys (`contract: "CTR-2"`, `wbs_item: "TSK-12"`) or user ids (`reviewer_id`).
A step the deliverable's state does not allow (reviewing a round already reviewed, submitting
while a round awaits review, changing criteria under review) answers 409 with the reason; a
review without a decision on every criterion answers 400 listing them. Nothing changes then.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.renderers import ORJSONRenderer
from core.api.schema import (
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
from core.api.serializers import RowSerializer, UserRefSerializer, format_date, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet, RowListMixin
from programs.api.views import ProgramScopedMixin
from programs.models import Program
from programs.selectors import member_users
from schedules.models import Item

from ..models import AcceptanceCriterion, Contract, Deliverable, DeliverableStatus, Vendor
from ..selectors import deliverables as selectors
from ..selectors.portal import portal_vendor_for
from ..services import deliverables as services
from ._base import REFUSED, optional_version, refusals_as_409

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The deliverable's key, e.g. DLV-3."
)
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The row's id.")
FILTERS = [
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="Key, or words in title, contract, vendor."
    ),
    OpenApiParameter("vendor", OpenApiTypes.INT, description="The vendor's id."),
    OpenApiParameter("contract", OpenApiTypes.INT, description="The contract's id."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=DeliverableStatus.values),
    OpenApiParameter(
        "due",
        OpenApiTypes.STR,
        enum=["overdue", "soon", "open"],
        description="Overdue (planned or rejected, past due), due in 14 days, or still open.",
    ),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        description="due, key, title, vendor, status or updated; prefix - for descending.",
    ),
]
VERSION_HELP = "The version you edited (or send If-Match)."
ACCEPTED = (
    f"Up to {services.MAX_FILES_PER_SUBMISSION} files (`files`, repeated), each at most 25 MB by "
    f"default: {services.DELIVERABLE_UPLOADS.accepted_text}. Types are judged by content; "
    "refusals answer 400 on `files`, naming each file."
)


# --- serializers ----------------------------------------------------------------------------


class DeliverableVendorSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class DeliverableSerializer(RowSerializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. DLV-3.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    contract = serializers.CharField(
        source="contract_key", max_length=16, help_text="The contract's key, e.g. CTR-2."
    )
    contract_title = serializers.CharField(read_only=True)
    vendor = DeliverableVendorSerializer(read_only=True, help_text="The contract's vendor.")
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=DeliverableStatus.choices, read_only=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text="Not yet delivered (planned or rejected) and past its due date."
    )
    wbs_item = serializers.CharField(
        source="wbs_item_key",
        max_length=16,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The key of the WBS deliverable or milestone it fulfils, e.g. TSK-12; or null.",
    )
    reviewer = UserRefSerializer(read_only=True, allow_null=True)
    reviewer_id = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        help_text="A program manager or coordinator who reviews submissions.",
    )
    criteria = serializers.ListField(
        child=serializers.CharField(max_length=5000),
        write_only=True,
        required=False,
        help_text="On create: the acceptance criteria, in order.",
    )
    criteria_count = serializers.IntegerField(read_only=True)
    rounds = serializers.IntegerField(read_only=True, help_text="Submission rounds so far.")
    first_submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    withdrawn_reason = serializers.CharField(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    row_fields = (
        "key", "title", "description", "contract__key", "contract__title", "vendor__key",
        "vendor__name", "due_date", "status", "overdue", "wbs_item__key", "reviewer_id",
        "reviewer__full_name", "criteria_count", "rounds", "first_submitted_at", "accepted_at",
        "withdrawn_reason", "version", "created_at", "updated_at",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program: Program = self.context["program"]
        attrs.pop("version", None)
        if "contract_key" in attrs:
            key = attrs.pop("contract_key").strip().upper()
            contract = Contract.objects.filter(program=program, key=key).first()
            if contract is None:
                raise serializers.ValidationError(
                    {"contract": [f"There is no contract {key} in {program.code}."]}
                )
            attrs["contract"] = contract
        if "wbs_item_key" in attrs:
            key = (attrs.pop("wbs_item_key") or "").strip().upper()
            item = None
            if key:
                item = Item.objects.filter(program=program, key=key).first()
                if item is None:
                    raise serializers.ValidationError(
                        {"wbs_item": [f"There is no WBS item {key} in {program.code}."]}
                    )
            attrs["wbs_item"] = item
        if "reviewer_id" in attrs:
            user_id = attrs.pop("reviewer_id")
            reviewer = None
            if user_id is not None:
                reviewer = member_users(program=program).filter(pk=user_id).first()
                if reviewer is None:
                    raise serializers.ValidationError(
                        {"reviewer_id": [f"User {user_id} is not a member of {program.code}."]}
                    )
            attrs["reviewer"] = reviewer
        if "criteria" in attrs and self.instance is not None:
            raise serializers.ValidationError(
                {"criteria": ["Change criteria one by one under criteria/."]}
            )
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": r["key"],
            "title": r["title"],
            "description": r["description"],
            "contract": r["contract__key"],
            "contract_title": r["contract__title"],
            "vendor": {"key": r["vendor__key"], "name": r["vendor__name"]},
            "due_date": format_date(r["due_date"]),
            "status": r["status"],
            "overdue": bool(r["overdue"]),
            "wbs_item": r["wbs_item__key"],
            "reviewer": user_ref(r["reviewer_id"], r["reviewer__full_name"]),
            "criteria_count": r["criteria_count"] or 0,
            "rounds": r["rounds"],
            "first_submitted_at": self.format_datetime(r["first_submitted_at"]),
            "accepted_at": self.format_datetime(r["accepted_at"]),
            "withdrawn_reason": r["withdrawn_reason"],
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class AcceptanceCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.IntegerField(read_only=True, help_text="1, 2, 3 in their order.")
    text = serializers.CharField(max_length=5000, help_text="A statement a reviewer can check.")
    judged = serializers.BooleanField(
        read_only=True, help_text="Judged in a review: it never changes (409)."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class SubmissionFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    download_url = serializers.CharField()


class CriterionResultSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="The criterion's id.")
    number = serializers.IntegerField(help_text="Its number in the deliverable's order.")
    text = serializers.CharField()
    met = serializers.BooleanField()
    reason = serializers.CharField()


class RoundReviewSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["accepted", "rejected"])
    summary = serializers.CharField()
    reviewed_by = UserRefSerializer(allow_null=True)
    reviewed_at = serializers.DateTimeField()
    results = CriterionResultSerializer(many=True)


class SubmissionRoundSerializer(serializers.Serializer):
    """A round as recorded: never changed."""

    round = serializers.IntegerField()
    note = serializers.CharField()
    submitted_by = UserRefSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField()
    files = SubmissionFileSerializer(many=True)
    review = RoundReviewSerializer(allow_null=True, help_text="Null while awaiting review.")


class DeliverableDetailSerializer(DeliverableSerializer):
    """A deliverable with its criteria and every round, newest first (the acceptance record)."""

    criteria = AcceptanceCriterionSerializer(many=True, read_only=True)
    submissions = SubmissionRoundSerializer(many=True, read_only=True, help_text="Newest first.")


class PortalDeliverableDetailSerializer(DeliverableDetailSerializer):
    next_step = serializers.CharField(read_only=True, help_text="What to do next.")


class SubmissionUploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), help_text=ACCEPTED
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Optional: the deliverable version you saw."
    )


class CriterionDecisionSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="The criterion's id.")
    met = serializers.BooleanField(allow_null=True, help_text="True (met) or false (not met).")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Required when not met."
    )


class DeliverableReviewSerializer(serializers.Serializer):
    results = CriterionDecisionSerializer(many=True, help_text="A decision on every criterion.")
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Optional: the deliverable version you saw."
    )


class DeliverableWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="Why (the vendor sees it).")
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class CriteriaOrderSerializer(serializers.Serializer):
    order = serializers.ListField(
        child=serializers.IntegerField(), help_text="Every criterion id, in the new order."
    )


# --- shaping --------------------------------------------------------------------------------


def _file_url(program: Program, key: str, pk: int, *, portal: bool) -> str:
    base = f"/api/v1/programs/{program.code}/vendors/"
    return f"{base}{'portal/' if portal else ''}deliverables/{key}/files/{pk}/download/"


def criteria_data(deliverable: Deliverable) -> list[dict]:
    judged = selectors.criteria_judged(deliverable)
    return [
        {"id": c.pk, "number": n, "text": c.text, "judged": c.pk in judged, "version": c.version}
        for n, c in enumerate(deliverable.criteria.all(), start=1)
    ]


def rounds_data(deliverable: Deliverable, *, portal: bool) -> list[dict]:
    """Every round of a deliverable from `deliverable_detail` (no further queries)."""
    program = deliverable.program
    formatter = RowSerializer()
    out = []
    for r in selectors.rounds_of(deliverable):
        s = r.submission
        review = None
        if r.review is not None:
            review = {
                "outcome": r.review.outcome,
                "summary": r.review.summary,
                "reviewed_by": _person(r.review.reviewed_by),
                "reviewed_at": formatter.format_datetime(r.review.created_at),
                "results": [
                    {
                        "criterion": row["result"].criterion_id,
                        "number": row["number"],
                        "text": row["result"].criterion.text,
                        "met": row["result"].met,
                        "reason": row["result"].reason,
                    }
                    for row in r.results
                ],
            }
        out.append(
            {
                "round": s.round,
                "note": s.note,
                "submitted_by": _person(s.submitted_by),
                "submitted_at": formatter.format_datetime(s.created_at),
                "files": [
                    {
                        "id": f.pk,
                        "file_name": f.file_name,
                        "size": f.size,
                        "content_type": f.content_type,
                        "sha256": f.sha256,
                        "download_url": _file_url(program, deliverable.key, f.pk, portal=portal),
                    }
                    for f in r.files
                ],
                "review": review,
            }
        )
    return out


def _person(user) -> dict | None:
    return None if user is None else user_ref(user.pk, user.full_name)


def _row(program: Program, key: str, vendor: Vendor | None = None) -> dict:
    row = (
        selectors.deliverable_list(program=program, vendor=vendor)
        .filter(key=key)
        .values(*DeliverableSerializer.row_fields)
        .first()
    )
    if row is None:
        raise Http404("No such deliverable")
    return row


def detail_data(program: Program, key: str, *, vendor: Vendor | None = None) -> dict:
    deliverable = selectors.deliverable_detail(program=program, key=key, vendor=vendor)
    data = DeliverableSerializer(_row(program, deliverable.key, vendor)).data
    data["criteria"] = criteria_data(deliverable)
    data["submissions"] = rounds_data(deliverable, portal=vendor is not None)
    if vendor is not None:
        data["reviewer"] = None  # who reviews inside the program is internal
        data["next_step"] = selectors.next_step(deliverable)["text"]
    return data


DETAIL_RESPONSE = OpenApiResponse(
    DeliverableDetailSerializer,
    description="The deliverable with `criteria` [{id, number, text, judged, version}] and "
    "`submissions` (rounds, newest first: note, files with download_url, review with a result "
    "per criterion).",
)


# --- the program's API ----------------------------------------------------------------------


class DeliverableScopedMixin(ProgramScopedMixin):
    queryset = Deliverable.objects.none()  # the model, for the schema's path parameters

    def deliverable(self) -> Deliverable:
        return selectors.deliverable_get(program=self.program, key=self.kwargs["key"])

    def answer(self, deliverable: Deliverable, status_code: int = 200) -> Response:
        response = Response(detail_data(self.program, deliverable.key), status=status_code)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    def serialize_current(self, instance) -> dict:
        if isinstance(instance, Deliverable):
            return DeliverableSerializer(_row(self.program, instance.key)).data
        return AcceptanceCriterionSerializer(
            {"id": instance.pk, "number": 0, "text": instance.text, "judged": False,
             "version": instance.version}
        ).data  # fmt: skip


@extend_schema_view(
    list=list_schema(DeliverableSerializer, parameters=[CODE, *FILTERS]),
    create=create_schema(
        DeliverableSerializer,
        parameters=[CODE],
        description="A deliverable owed under an active or draft contract, with its `criteria`.",
    ),
    retrieve=extend_schema(
        parameters=[CODE, KEY],
        responses={200: DETAIL_RESPONSE, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
    update=update_schema(DeliverableSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(
        DeliverableSerializer,
        parameters=[CODE, KEY],
        description="Accepted or withdrawn deliverables no longer change (409).",
    ),
    destroy=destroy_schema(
        DeliverableSerializer,
        parameters=[CODE, KEY],
        description="Only before anything was submitted (409 otherwise: withdraw it instead).",
    ),
)
@extend_schema(tags=["deliverables"])
class DeliverableViewSet(
    DeliverableScopedMixin, VersionedMixin, RowListMixin, ServiceCrudMixin, ApiViewSet
):
    """What vendors owe under their contracts, reviewed against acceptance criteria."""

    service_target = "deliverable"
    permission_actions = {
        "list": "deliverable.view",
        "retrieve": "deliverable.view",
        "create": "deliverable.change",
        "update": "deliverable.change",
        "partial_update": "deliverable.change",
        "destroy": "deliverable.change",
    }
    queryset = Deliverable.objects.none()
    serializer_class = DeliverableSerializer
    filterset_class = selectors.DeliverableFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        return selectors.deliverable_list(program=self.program)

    def get_object(self) -> Deliverable:
        return self.deliverable()

    def answer_data(self, row: Deliverable) -> dict:
        return detail_data(self.program, row.key)  # with its criteria and rounds; a 412 has not

    def create_service(self, **kwargs):
        kwargs.setdefault("criteria", [])
        return services.deliverable_create(**kwargs)

    def update_service(self, **kwargs):
        return services.deliverable_update(**kwargs)

    def delete_service(self, **kwargs):
        services.deliverable_delete(**kwargs)


@extend_schema_view(
    list=extend_schema(
        parameters=[CODE, KEY],
        responses={
            200: AcceptanceCriterionSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
    create=extend_schema(
        parameters=[CODE, KEY],
        request=AcceptanceCriterionSerializer,
        responses={
            201: AcceptanceCriterionSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
        description="Adds a criterion at the end; refused (409) while a round awaits review or "
        "once the deliverable is accepted or withdrawn.",
    ),
    partial_update=update_schema(
        AcceptanceCriterionSerializer,
        parameters=[CODE, KEY, ID],
        description="A criterion judged in a review never changes (409).",
    ),
    update=update_schema(AcceptanceCriterionSerializer, parameters=[CODE, KEY, ID]),
    destroy=destroy_schema(
        AcceptanceCriterionSerializer,
        parameters=[CODE, KEY, ID],
        description="A criterion judged in a review is never removed (409).",
    ),
)
@extend_schema(tags=["deliverables"])
class CriterionViewSet(DeliverableScopedMixin, VersionedMixin, ApiViewSet):
    """The acceptance criteria of a deliverable, in order."""

    # Not ServiceCrudMixin: PATCH needs `text` as PUT does, the deliverable is found before the
    # body is checked, and answers carry the criterion's number read from the deliverable.

    permission_actions = {
        "list": "deliverable.view",
        "create": "deliverable.change",
        "update": "deliverable.change",
        "partial_update": "deliverable.change",
        "destroy": "deliverable.change",
    }
    queryset = AcceptanceCriterion.objects.none()
    serializer_class = AcceptanceCriterionSerializer
    filter_backends: list = []
    pagination_class = None

    def _detail(self) -> Deliverable:
        return selectors.deliverable_detail(program=self.program, key=self.kwargs["key"])

    def _criterion(self, deliverable: Deliverable) -> AcceptanceCriterion:
        for criterion in deliverable.criteria.all():
            if criterion.pk == self.kwargs["id"]:
                return criterion
        raise Http404("No such criterion")

    def _one(self, key: str, pk: int, status_code: int = 200) -> Response:
        deliverable = selectors.deliverable_detail(program=self.program, key=key)
        data = next(c for c in criteria_data(deliverable) if c["id"] == pk)
        return Response(data, status=status_code, headers={"ETag": f'"{data["version"]}"'})

    def list(self, request, *args, **kwargs):
        return Response(criteria_data(self._detail()))

    def create(self, request, *args, **kwargs):
        deliverable = self.deliverable()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            criterion = services.criterion_add(
                actor=request.user, deliverable=deliverable, text=serializer.validated_data["text"]
            )
        return self._one(deliverable.key, criterion.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs):
        deliverable = self._detail()
        criterion = self._criterion(deliverable)
        version = self.expected_version()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            services.criterion_update(
                actor=request.user,
                criterion=criterion,
                text=serializer.validated_data["text"],
                expected_version=version,
            )
        return self._one(deliverable.key, criterion.pk)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        criterion = self._criterion(self._detail())
        with refusals_as_409():
            services.criterion_delete(
                actor=request.user, criterion=criterion, expected_version=self.expected_version()
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CriteriaOrderView(DeliverableScopedMixin, ApiView):
    """Put the criteria in a new order."""

    permission_actions = {"post": "deliverable.change"}

    @extend_schema(
        operation_id="vendors_deliverable_criteria_order",
        parameters=[CODE, KEY],
        request=CriteriaOrderSerializer,
        responses={
            200: AcceptanceCriterionSerializer(many=True),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
        tags=["deliverables"],
    )
    def post(self, request, code: str, key: str):
        deliverable = self.deliverable()
        serializer = CriteriaOrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            services.criteria_reorder(
                actor=request.user,
                deliverable=deliverable,
                order=serializer.validated_data["order"],
            )
        return Response(criteria_data(selectors.deliverable_detail(program=self.program, key=key)))


def _submit(view, request, deliverable: Deliverable, *, portal: bool) -> Response:
    serializer = SubmissionUploadSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    with refusals_as_409():
        submission = services.deliverable_submit(
            actor=request.user,
            deliverable=deliverable,
            files=serializer.validated_data["files"],
            note=serializer.validated_data.get("note", ""),
            expected_version=serializer.validated_data.get("version"),
        )
    vendor = deliverable.vendor if portal else None
    detail = selectors.deliverable_detail(program=view.program, key=deliverable.key, vendor=vendor)
    data = next(r for r in rounds_data(detail, portal=portal) if r["round"] == submission.round)
    return Response(data, status=status.HTTP_201_CREATED)


SUBMIT_SCHEMA = {
    "request": {"multipart/form-data": SubmissionUploadSerializer},
    "responses": {
        201: SubmissionRoundSerializer,
        400: VALIDATION_ERROR,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: REFUSED,
        412: stale_response(DeliverableSerializer),
    },
}


class SubmissionListView(DeliverableScopedMixin, ApiView):
    """Rounds of a deliverable (newest first); POST records a round on the vendor's behalf."""

    permission_actions = {"get": "deliverable.view", "post": "deliverable.change"}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="vendors_deliverable_submission_list",
        parameters=[CODE, KEY],
        responses={
            200: SubmissionRoundSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["deliverables"],
    )
    def get(self, request, code: str, key: str):
        deliverable = selectors.deliverable_detail(program=self.program, key=key)
        return Response(rounds_data(deliverable, portal=False))

    @extend_schema(
        operation_id="vendors_deliverable_submit",
        parameters=[CODE, KEY],
        description="Submit a round for the vendor (files that reached the program another "
        "way). Allowed while planned or rejected. " + ACCEPTED,
        tags=["deliverables"],
        **SUBMIT_SCHEMA,
    )
    def post(self, request, code: str, key: str):
        return _submit(self, request, self.deliverable(), portal=False)


class ReviewView(DeliverableScopedMixin, ApiView):
    """Decide the round awaiting review: every criterion met accepts, any not met rejects."""

    permission_actions = {"post": "deliverable.review"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="vendors_deliverable_review",
        parameters=[CODE, KEY, IF_MATCH],
        request=DeliverableReviewSerializer,
        responses={
            201: SubmissionRoundSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(DeliverableSerializer),
        },
        description="`results`: a decision on every criterion ({criterion, met, reason}; a "
        "reason for each not met). Missing decisions answer 400 on `results`, naming each "
        "criterion; nothing is recorded. The vendor's portal users are e-mailed the outcome.",
        tags=["deliverables"],
    )
    def post(self, request, code: str, key: str):
        deliverable = self.deliverable()
        serializer = DeliverableReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = optional_version(request)
        with refusals_as_409():
            review = services.deliverable_review(
                actor=request.user,
                deliverable=deliverable,
                results=serializer.validated_data["results"],
                summary=serializer.validated_data.get("summary", ""),
                expected_version=version,
            )
        detail = selectors.deliverable_detail(program=self.program, key=key)
        data = next(
            r for r in rounds_data(detail, portal=False) if r["round"] == review.submission.round
        )
        return Response(data, status=status.HTTP_201_CREATED)


class WithdrawView(DeliverableScopedMixin, ApiView):
    """The program no longer needs the deliverable: nothing more is submitted or reviewed."""

    permission_actions = {"post": "deliverable.change"}

    @extend_schema(
        operation_id="vendors_deliverable_withdraw",
        parameters=[CODE, KEY, IF_MATCH],
        request=DeliverableWithdrawSerializer,
        responses={
            200: DETAIL_RESPONSE,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(DeliverableSerializer),
        },
        tags=["deliverables"],
    )
    def post(self, request, code: str, key: str):
        deliverable = self.deliverable()
        serializer = DeliverableWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = optional_version(request)
        with refusals_as_409():
            updated = services.deliverable_withdraw(
                actor=request.user,
                deliverable=deliverable,
                reason=serializer.validated_data["reason"],
                expected_version=version,
            )
        return self.answer(updated)


class _DownloadMixin:
    """A file on success, a JSON error otherwise, whatever `Accept` says."""

    filter_backends: list = []
    renderer_classes = [ORJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    def file_response(self, found):
        try:
            handle = found.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("This file is missing from storage.") from exc
        response = FileResponse(
            handle, as_attachment=True, filename=found.file_name, content_type=found.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


DOWNLOAD_RESPONSES = {
    (200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file as submitted, with its stored content type."
    ),
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
}


class FileDownloadView(_DownloadMixin, ProgramScopedMixin, ApiView):
    """A submitted file."""

    queryset = Deliverable.objects.none()
    permission_actions = {"get": "deliverable.view"}

    @extend_schema(
        operation_id="vendors_deliverable_file_download",
        parameters=[CODE, KEY, ID],
        responses=DOWNLOAD_RESPONSES,
        tags=["deliverables"],
    )
    def get(self, request, code: str, key: str, id: int):
        found = selectors.submission_file_get(program=self.program, key=key, pk=id)
        return self.file_response(found)


# --- the vendor portal ----------------------------------------------------------------------


class PortalScopedMixin(ProgramScopedMixin):
    """The vendor-role caller's one bound vendor; everything is filtered by it."""

    queryset = Deliverable.objects.none()  # the model, for the schema's path parameters

    def vendor(self) -> Vendor:
        cached = getattr(self, "_vendor", None)
        if cached is None:
            cached = self._vendor = portal_vendor_for(program=self.program, user=self.request.user)
        if cached is None:
            raise PermissionDenied(
                "Your account is not linked to a vendor yet. Ask the program manager to link it."
            )
        return cached


class PortalDeliverableSerializer(DeliverableSerializer):
    next_step = serializers.CharField(read_only=True, help_text="What to do next.")


@extend_schema_view(
    list=list_schema(
        PortalDeliverableSerializer,
        parameters=[CODE],
        description="Your company's deliverables (the vendor portal), by due date.",
    ),
    retrieve=retrieve_schema(
        PortalDeliverableDetailSerializer,
        parameters=[CODE, KEY],
        description="One of your deliverables with its criteria and every round with the "
        "program's review. Another vendor's key answers 404.",
    ),
)
@extend_schema(tags=["vendor portal"])
class PortalDeliverableViewSet(PortalScopedMixin, ApiViewSet):
    """The vendor portal's deliverables: only the caller's own vendor's."""

    permission_actions = {"list": "portal.view", "retrieve": "portal.view"}
    queryset = Deliverable.objects.none()
    serializer_class = PortalDeliverableSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        rows = selectors.portal_deliverable_list(program=self.program, vendor=self.vendor())
        page = self.paginate_queryset(
            rows.values(*DeliverableSerializer.row_fields, "not_met", "id")
        )
        data = DeliverableSerializer(page, many=True).data
        for row, raw in zip(data, page, strict=True):
            row["reviewer"] = None  # who reviews inside the program is internal
            row["next_step"] = selectors.next_step(_Row(raw))["text"]
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        data = detail_data(self.program, self.kwargs["key"], vendor=self.vendor())
        return Response(data, headers={"ETag": f'"{data["version"]}"'})


class _Row:
    """A list row as `next_step` reads a deliverable."""

    def __init__(self, raw: dict):
        self.status = raw["status"]
        self.due_date = raw["due_date"]
        self.rounds = raw["rounds"]
        self.not_met = raw["not_met"]


class PortalSubmitView(PortalScopedMixin, ApiView):
    """Submit the next round of one of your deliverables."""

    permission_actions = {"post": "portal.submit"}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="vendors_portal_deliverable_submit",
        parameters=[CODE, KEY],
        description="Allowed while the deliverable is planned or its last round was rejected. "
        + ACCEPTED,
        tags=["vendor portal"],
        **SUBMIT_SCHEMA,
    )
    def post(self, request, code: str, key: str):
        deliverable = selectors.deliverable_get(program=self.program, key=key, vendor=self.vendor())
        return _submit(self, request, deliverable, portal=True)


class PortalFileDownloadView(_DownloadMixin, PortalScopedMixin, ApiView):
    """A file of one of your deliverables' rounds."""

    permission_actions = {"get": "portal.view"}

    @extend_schema(
        operation_id="vendors_portal_deliverable_file_download",
        parameters=[CODE, KEY, ID],
        responses=DOWNLOAD_RESPONSES,
        tags=["vendor portal"],
    )
    def get(self, request, code: str, key: str, id: int):
        found = selectors.submission_file_get(
            program=self.program, key=key, pk=id, vendor=self.vendor()
        )
        return self.file_response(found)
