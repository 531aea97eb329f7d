"""Compliance API, under /api/v1/programs/<code>/governance/compliance/: obligations (CMP-n) with
If-Match versions, their history, evidence files (multipart upload, download, removal) and the
auditors' evidence package (a zip with an index.csv)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.renderers import ORJSONRenderer
from core.api.schema import (
    CONFLICT,
    ETAG,
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    update_schema,
)
from core.api.serializers import RowSerializer, UserRefSerializer, format_date, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet, RowListMixin
from programs.api.serializers import ActivitySerializer
from programs.api.views import ProgramScopedMixin
from programs.selectors import member_users

from ..models.compliance import ComplianceStatus, Evidence, Obligation, ObligationKind
from ..selectors import compliance as selectors
from ..services import compliance as services

MAX_ID = 2**63 - 1
CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The obligation key, e.g. CMP-3."
)
EVIDENCE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The evidence file's id."
)
OBLIGATION_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in title, reference, text "
                     "or control."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=ComplianceStatus.values),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=ObligationKind.values),
    OpenApiParameter("owner", OpenApiTypes.INT, description="The owner's user id."),
    OpenApiParameter("review", OpenApiTypes.STR, enum=["overdue", "soon"],
                     description="Reviews past their date, or due in the next 30 days."),
    OpenApiParameter("sort", OpenApiTypes.STR, description="key, reference, status, owner, "
                     "review or updated; prefix - for descending."),
]  # fmt: skip


class ObligationSerializer(RowSerializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. CMP-3.")
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ObligationKind.choices)
    reference = serializers.CharField(max_length=120, help_text='E.g. "GDPR Art. 32".')
    text = serializers.CharField(required=False, allow_blank=True, help_text="What it requires.")
    control = serializers.CharField(
        required=False, allow_blank=True, help_text="How the program meets it."
    )
    owner = UserRefSerializer(read_only=True)
    owner_id = serializers.IntegerField(
        write_only=True, min_value=1, max_value=MAX_ID, help_text="A program member's user id."
    )
    review_date = serializers.DateField()
    status = serializers.ChoiceField(
        choices=ComplianceStatus.choices,
        required=False,
        help_text="Becoming non_compliant e-mails the program managers at once.",
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, help_text="Findings of the last assessment."
    )
    status_changed_at = serializers.DateTimeField(read_only=True)
    escalation_level = serializers.IntegerField(
        read_only=True, help_text="Escalation steps taken since it became non-compliant."
    )
    last_escalation = serializers.CharField(read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you edited (or send If-Match)."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "owner_id" in attrs:
            program = self.context["program"]
            owner_id = attrs.pop("owner_id")
            owner = member_users(program=program).filter(pk=owner_id).first()
            if owner is None:
                raise serializers.ValidationError(
                    {"owner_id": [f"User {owner_id} is not a member of {program.code}."]}
                )
            attrs["owner"] = owner
        return attrs

    row_fields = (
        "id", "key", "title", "kind", "reference", "text", "control", "owner_id",
        "owner__full_name", "review_date", "status", "notes", "status_changed_at",
        "escalation_level", "last_escalation", "evidence_count", "version", "created_at",
        "updated_at",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": r["key"],
            "title": r["title"],
            "kind": r["kind"],
            "reference": r["reference"],
            "text": r["text"],
            "control": r["control"],
            "owner": user_ref(r["owner_id"], r["owner__full_name"]),
            "review_date": format_date(r["review_date"]),
            "status": r["status"],
            "notes": r["notes"],
            "status_changed_at": self.format_datetime(r["status_changed_at"]),
            "escalation_level": r["escalation_level"],
            "last_escalation": r["last_escalation"],
            "evidence_count": r["evidence_count"] or 0,
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class EvidenceSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    file = serializers.FileField(write_only=True, help_text="The file (multipart/form-data).")
    file_name = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="Bytes.")
    content_type = serializers.CharField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    uploaded_by = UserRefSerializer(read_only=True, allow_null=True)
    uploaded_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)

    row_fields = (
        "id", "obligation__key", "file_name", "size", "content_type", "sha256", "note",
        "uploaded_by_id", "uploaded_by__full_name", "created_at", "version",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        return {
            "id": r["id"],
            "file_name": r["file_name"],
            "size": r["size"],
            "content_type": r["content_type"],
            "sha256": r["sha256"],
            "note": r["note"],
            "uploaded_by": user_ref(r["uploaded_by_id"], r["uploaded_by__full_name"]),
            "uploaded_at": self.format_datetime(r["created_at"]),
            "download_url": (
                f"/api/v1/programs/{program.code}/governance/compliance/obligations/"
                f"{r['obligation__key']}/evidence/{r['id']}/download/"
            ),
            "version": r["version"],
        }


def _obligation(program, key: str) -> Obligation:
    obligation = selectors.obligation_list(program=program).filter(key=str(key).upper()).first()
    if obligation is None:
        raise Http404("No such obligation")
    return obligation


@extend_schema_view(
    list=list_schema(
        ObligationSerializer,
        parameters=[CODE, *OBLIGATION_FILTERS],
        description="The compliance register (paginated; `page_size` up to 500).",
    ),
    create=create_schema(ObligationSerializer, parameters=[CODE]),
    retrieve=retrieve_schema(ObligationSerializer, parameters=[CODE, KEY]),
    update=update_schema(ObligationSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(ObligationSerializer, parameters=[CODE, KEY]),
    destroy=destroy_schema(
        ObligationSerializer,
        parameters=[CODE, KEY],
        description="Refused (400) while the obligation has evidence files.",
    ),
)
@extend_schema(tags=["compliance"])
class ObligationViewSet(
    ProgramScopedMixin, VersionedMixin, RowListMixin, ServiceCrudMixin, ApiViewSet
):
    """Regulations, policies and contract clauses the program must meet."""

    service_target = "obligation"
    permission_actions = {
        "list": "compliance.view",
        "retrieve": "compliance.view",
        "create": "compliance.change",
        "update": "compliance.change",
        "partial_update": "compliance.change",
        "destroy": "compliance.change",
    }
    queryset = Obligation.objects.none()
    serializer_class = ObligationSerializer
    filterset_class = selectors.ObligationFilterSet

    def get_queryset(self):
        return selectors.obligation_list(program=self.program)

    def get_object(self) -> Obligation:
        return _obligation(self.program, self.kwargs["key"])

    def create_service(self, **kwargs) -> Obligation:
        return _obligation(self.program, services.obligation_create(**kwargs).key)

    def update_service(self, **kwargs) -> Obligation:
        return _obligation(self.program, services.obligation_update(**kwargs).key)

    def delete_service(self, **kwargs):
        services.obligation_delete(**kwargs)


@extend_schema_view(
    list=list_schema(ActivitySerializer, parameters=[CODE, KEY]),
)
@extend_schema(tags=["compliance"])
class ObligationHistoryViewSet(ProgramScopedMixin, RowListMixin, ApiViewSet):
    """Every change of the obligation and of its evidence files, escalation steps included."""

    permission_actions = {"list": "compliance.view"}
    serializer_class = ActivitySerializer
    filter_backends: list = []

    def get_queryset(self):
        obligation = _obligation(self.program, self.kwargs["key"])
        return selectors.obligation_history(obligation=obligation)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The evidence file.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


@extend_schema_view(
    list=list_schema(EvidenceSerializer, parameters=[CODE, KEY]),
    create=extend_schema(
        parameters=[CODE, KEY, ETAG],
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={
            201: EvidenceSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        description="Upload a file (`file`) with a `note`. Accepted: "
        + services.ACCEPTED_TYPES_TEXT
        + "; at most 20 MB by default. Refusals answer 400 on `file` with the reason.",
    ),
    retrieve=retrieve_schema(EvidenceSerializer, parameters=[CODE, KEY, EVIDENCE_ID]),
    destroy=destroy_schema(
        EvidenceSerializer,
        parameters=[CODE, KEY, EVIDENCE_ID],
        description="Remove an evidence file filed in error (the history keeps its SHA-256).",
    ),
)
@extend_schema(tags=["compliance"])
class EvidenceViewSet(
    ProgramScopedMixin, VersionedMixin, RowListMixin, ServiceCrudMixin, ApiViewSet
):
    """The evidence files of an obligation."""

    service_target = "evidence"
    permission_actions = {
        "list": "compliance.view",
        "retrieve": "compliance.view",
        "create": "compliance.evidence",
        "destroy": "compliance.change",
    }
    queryset = Evidence.objects.none()
    serializer_class = EvidenceSerializer
    filter_backends: list = []
    parser_classes = [MultiPartParser, FormParser]

    def obligation(self) -> Obligation:
        cached = getattr(self, "_obligation", None)
        if cached is None:
            cached = self._obligation = selectors.obligation_get(
                program=self.program, key=self.kwargs["key"]
            )
        return cached

    def get_queryset(self):
        return selectors.evidence_list(obligation=self.obligation())

    def get_object(self) -> Evidence:
        return selectors.evidence_get(obligation=self.obligation(), pk=self.kwargs["id"])

    def create(self, request, *args, **kwargs):
        # Not ServiceCrudMixin's: a multipart upload under the obligation, read back by its id.
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            evidence = services.evidence_add(
                actor=request.user,
                obligation=self.obligation(),
                upload=serializer.validated_data["file"],
                note=serializer.validated_data.get("note", ""),
            )
        return Response(
            self.get_serializer(self.get_object_for(evidence)).data, status=status.HTTP_201_CREATED
        )

    def get_object_for(self, evidence: Evidence) -> Evidence:
        return selectors.evidence_get(obligation=self.obligation(), pk=evidence.pk)

    def delete_service(self, **kwargs):
        services.evidence_delete(**kwargs)


class _DownloadMixin:
    """A file on success, a JSON error otherwise, whatever `Accept` says."""

    filter_backends: list = []
    renderer_classes = [ORJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class EvidenceDownloadView(_DownloadMixin, ProgramScopedMixin, ApiView):
    """The evidence file itself, as uploaded."""

    permission_actions = {"get": "compliance.view"}

    @extend_schema(
        operation_id="compliance_evidence_download",
        parameters=[CODE, KEY, EVIDENCE_ID],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, with its stored content type."
            ),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["compliance"],
    )
    def get(self, request, code: str, key: str, id: int):
        obligation = selectors.obligation_get(program=self.program, key=key)
        evidence = selectors.evidence_get(obligation=obligation, pk=id)
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The file of this evidence is missing from storage.") from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=evidence.file_name,
            content_type=evidence.content_type,
        )


class EvidencePackageView(_DownloadMixin, ProgramScopedMixin, ApiView):
    """The auditors' package: a zip with a folder per obligation and an index.csv."""

    permission_actions = {"get": "compliance.view"}

    @extend_schema(
        operation_id="compliance_evidence_package",
        parameters=[
            CODE,
            OpenApiParameter(
                "obligations",
                OpenApiTypes.STR,
                many=True,
                description="Obligation keys (repeat the parameter or separate with commas); "
                "all obligations when absent. An unknown key answers 404.",
            ),
        ],
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="index.csv (obligation_key, reference, title, status, owner, "
                "review_date, file_name, note, uploaded_by, uploaded_at, sha256, size_bytes) "
                "and a folder per obligation with its files.",
            ),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["compliance"],
    )
    def get(self, request, code: str):
        keys: list[str] = []
        for value in request.query_params.getlist("obligations"):
            keys += [k.strip() for k in value.split(",") if k.strip()]
        obligations = selectors.package_obligations(program=self.program, keys=keys)
        archive = selectors.evidence_package(program=self.program, obligations=obligations)
        return FileResponse(
            archive,
            as_attachment=True,
            filename=selectors.package_filename(self.program),
            content_type="application/zip",
        )
