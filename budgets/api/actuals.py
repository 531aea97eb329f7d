"""Actuals API, under /api/v1/programs/<code>/budget/: cost entries (filtered and paginated;
manual ones created, changed with If-Match and deleted, the others read-only: 409 with the
reason), the general-ledger import (POST a file: 400 with every problem, or 201 with what was
booked; `?check=1` only checks) and accruals (post, list, read, cancel).

Money is a decimal string in the program's currency; months are `YYYY-MM`. A manual entry's
`amount` is positive and its `kind` says whether it is a cost or a credit (booked negative).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED, optional_version, refusals_as_409
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    PRECONDITION_REQUIRED,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    stale_response,
)
from core.api.versioning import VersionedMixin, expected_version
from core.api.views import ApiView
from core.uploads import check_upload
from programs.api.views import ProgramScopedMixin
from vendors.models import Contract, Vendor

from ..forms.actuals import CREDIT, amount_text
from ..models import AccrualStatus, BudgetLine, CostSource
from ..months import month_label, parse_month
from ..selectors import actuals as selectors
from ..services import actuals as services
from ..services import gl_import

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
PK = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The entry's id.")
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The accrual's key, e.g. ACR-2."
)
ENTRY_FILTERS = [
    OpenApiParameter("line", OpenApiTypes.STR, description="A budget line's key, e.g. BL-3."),
    OpenApiParameter("workstream", OpenApiTypes.STR, description="A workstream's key, e.g. WS-2."),
    OpenApiParameter("category", OpenApiTypes.INT, description="A cost category's id."),
    OpenApiParameter("month_from", OpenApiTypes.STR, description="YYYY-MM, inclusive."),
    OpenApiParameter("month_to", OpenApiTypes.STR, description="YYYY-MM, inclusive."),
    OpenApiParameter(
        "source", OpenApiTypes.STR, description="invoice, manual, gl_import, accrual, reversal."
    ),
    OpenApiParameter("vendor", OpenApiTypes.STR, description="A vendor's key, e.g. VND-1."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Words in description or reference."),
    OpenApiParameter("gl_import", OpenApiTypes.INT, description="The id of one GL import."),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Up to 500 (default 100)."),
]
KIND_CHOICES = [("cost", "Cost"), ("credit", "Credit (booked negative)")]


def _money(value) -> str:
    return f"{value:.2f}"


# --- cost entries -------------------------------------------------------------------------------


class CostEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    line = serializers.CharField(max_length=16, help_text="The budget line's key, e.g. BL-3.")
    line_name = serializers.CharField(read_only=True)
    workstream = serializers.CharField(read_only=True)
    month = serializers.CharField(max_length=10, help_text="YYYY-MM, inside the program.")
    kind = serializers.ChoiceField(
        choices=KIND_CHOICES, default="cost", help_text="A credit books `amount` negative."
    )
    amount = serializers.CharField(
        max_length=20, help_text="Positive, to the cent; the signed value is `signed_amount`."
    )
    signed_amount = serializers.DecimalField(14, 2, read_only=True)
    currency = serializers.CharField(read_only=True)
    source = serializers.ChoiceField(choices=CostSource.choices, read_only=True)
    editable = serializers.BooleanField(read_only=True, help_text="Only manual entries are.")
    posted_on = serializers.DateField(required=False, allow_null=True, help_text="Today if blank.")
    description = serializers.CharField(max_length=300)
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True)
    vendor = serializers.CharField(
        max_length=16, required=False, allow_blank=True, allow_null=True,
        help_text="A vendor's key, e.g. VND-1.",
    )  # fmt: skip
    accrual = serializers.CharField(read_only=True, allow_null=True)
    gl_import = serializers.IntegerField(read_only=True, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, entry):
        return {
            "id": entry.pk, "line": entry.line.key, "line_name": entry.line.name,
            "workstream": entry.line.workstream.name, "month": month_label(entry.month),
            "kind": CREDIT if entry.amount < 0 else "cost", "amount": _money(abs(entry.amount)),
            "signed_amount": _money(entry.amount), "currency": entry.program.currency,
            "source": entry.source, "editable": entry.source == CostSource.MANUAL,
            "posted_on": entry.posted_on.isoformat(), "description": entry.description,
            "reference": entry.reference, "vendor": entry.vendor.key if entry.vendor else None,
            "accrual": entry.accrual.key if entry.accrual else None,
            "gl_import": entry.gl_import_id, "version": entry.version,
            "created_at": serializers.DateTimeField().to_representation(entry.created_at),
        }  # fmt: skip

    def validate(self, attrs):
        program = self.context["program"]
        attrs.pop("version", None)
        out = {}
        if "line" in attrs:
            line = BudgetLine.objects.filter(program=program, key=attrs["line"].upper()).first()
            if line is None:
                raise serializers.ValidationError(
                    {"line": [f"{program.code} has no budget line {attrs['line']}."]}
                )
            out["line"] = line
        if "month" in attrs:
            try:
                out["month"] = parse_month(attrs["month"])
            except ValueError as exc:
                raise serializers.ValidationError({"month": [str(exc)]}) from None
        if "amount" in attrs:
            try:
                amount = amount_text(attrs["amount"])
            except ValidationError as exc:
                raise serializers.ValidationError({"amount": exc.messages}) from None
            kind = attrs.get("kind") or (
                CREDIT if self.instance is not None and self.instance.amount < 0 else "cost"
            )
            out["amount"] = -amount if kind == CREDIT else amount
        elif "kind" in attrs and self.instance is not None and self.partial:
            amount = abs(self.instance.amount)
            out["amount"] = -amount if attrs["kind"] == CREDIT else amount
        if "vendor" in attrs:
            key = (attrs["vendor"] or "").strip().upper()
            vendor = None
            if key:
                vendor = Vendor.objects.filter(program=program, key=key).first()
                if vendor is None:
                    raise serializers.ValidationError(
                        {"vendor": [f"{program.code} has no vendor {key}."]}
                    )
            out["vendor"] = vendor
        for name in ("posted_on", "description", "reference"):
            if name in attrs:
                out[name] = attrs[name]
        if "posted_on" in out and out["posted_on"] is None:
            out.pop("posted_on")
        return out


PAGE = inline_serializer(
    name="CostEntryPage",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "total": serializers.DecimalField(14, 2, help_text="The sum of every filtered entry."),
        "currency": serializers.CharField(),
        "results": CostEntrySerializer(many=True),
    },
)


class _EntryMixin(ProgramScopedMixin, VersionedMixin):
    serializer_class = CostEntrySerializer

    def get_serializer(self, *args, **kwargs):
        return CostEntrySerializer(*args, context={"program": self.program}, **kwargs)


class CostEntryListView(_EntryMixin, ApiView):
    permission_actions = {"get": "budget.view", "post": "actual.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_cost_entry_list",
        parameters=[CODE, *ENTRY_FILTERS],
        responses={200: PAGE, 400: VALIDATION_ERROR, 401: UNAUTHORIZED, 403: FORBIDDEN,
                   404: NOT_FOUND},
        description="Cost entries, newest month first, with the total of what is filtered.",
        tags=["budget"],
    )  # fmt: skip
    def get(self, request, code: str):
        filterset = selectors.CostEntryFilterSet(
            request.query_params, queryset=selectors.cost_entries(program=self.program),
            program=self.program,
        )  # fmt: skip
        if not filterset.is_valid():
            raise ValidationError({k: [str(m) for m in v] for k, v in filterset.errors.items()})
        rows = filterset.qs.select_related("program", "gl_import")
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        response = paginator.get_paginated_response(self.get_serializer(page, many=True).data)
        totals = selectors.cost_entry_totals(rows)
        response.data["total"] = _money(totals["total"])
        response.data["currency"] = self.program.currency
        return response

    @extend_schema(
        operation_id="budgets_cost_entry_create",
        parameters=[CODE, ETAG],
        request=CostEntrySerializer,
        responses={201: CostEntrySerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED,
                   403: FORBIDDEN, 404: NOT_FOUND},
        description="Book a manual entry; `kind: credit` books the amount negative.",
        tags=["budget"],
    )  # fmt: skip
    def post(self, request, code: str):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.cost_entry_create(actor=request.user, **serializer.validated_data)
        entry = selectors.cost_entry_get(program=self.program, pk=entry.pk)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


class CostEntryDetailView(_EntryMixin, ApiView):
    permission_actions = {
        "get": "budget.view", "put": "actual.change", "patch": "actual.change",
        "delete": "actual.change",
    }  # fmt: skip
    filter_backends: list = []

    def entry(self):
        return selectors.cost_entry_get(program=self.program, pk=self.kwargs["pk"])

    def serialize_current(self, instance) -> dict:
        return self.get_serializer(
            selectors.cost_entry_get(program=self.program, pk=instance.pk)
        ).data

    @extend_schema(
        operation_id="budgets_cost_entry_detail",
        parameters=[CODE, PK, ETAG],
        responses={200: CostEntrySerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["budget"],
    )
    def get(self, request, code: str, pk: int):
        return Response(self.get_serializer(self.entry()).data)

    def _update(self, request, partial: bool):
        entry = self.entry()
        version = expected_version(request)
        serializer = self.get_serializer(entry, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            services.cost_entry_update(
                actor=request.user, entry=entry, expected_version=version,
                **serializer.validated_data,
            )  # fmt: skip
        return Response(self.get_serializer(self.entry()).data)

    UPDATE = {
        "parameters": [CODE, PK, IF_MATCH, ETAG],
        "request": CostEntrySerializer,
        "responses": {
            200: CostEntrySerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED,
            403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED,
            412: stale_response(CostEntrySerializer), 428: PRECONDITION_REQUIRED,
        },
        "description": "Manual entries only: any other source answers 409 with the reason.",
        "tags": ["budget"],
    }  # fmt: skip

    @extend_schema(operation_id="budgets_cost_entry_update", **UPDATE)
    def put(self, request, code: str, pk: int):
        return self._update(request, partial=False)

    @extend_schema(operation_id="budgets_cost_entry_partial_update", **UPDATE)
    def patch(self, request, code: str, pk: int):
        return self._update(request, partial=True)

    @extend_schema(
        operation_id="budgets_cost_entry_delete",
        parameters=[CODE, PK, IF_MATCH],
        request=None,
        responses={204: None, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED,
                   412: stale_response(CostEntrySerializer), 428: PRECONDITION_REQUIRED},
        description="Manual entries only: any other source answers 409 with the reason.",
        tags=["budget"],
    )  # fmt: skip
    def delete(self, request, code: str, pk: int):
        entry = self.entry()
        version = expected_version(request)
        with refusals_as_409():
            services.cost_entry_delete(actor=request.user, entry=entry, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the GL import ------------------------------------------------------------------------------


class GLImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    rows = serializers.IntegerField()
    total = serializers.DecimalField(14, 2)
    imported_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, row):
        return {
            "id": row.pk, "filename": row.filename, "rows": row.rows, "total": _money(row.total),
            "imported_by": str(row.imported_by) if row.imported_by else None,
            "created_at": serializers.DateTimeField().to_representation(row.created_at),
        }  # fmt: skip


GL_RESULT = inline_serializer(
    name="GLImportResult",
    fields={
        "dry_run": serializers.BooleanField(),
        "rows": serializers.IntegerField(),
        "total": serializers.DecimalField(14, 2),
        "currency": serializers.CharField(),
        "import_id": serializers.IntegerField(allow_null=True),
        "ignored_columns": serializers.ListField(child=serializers.CharField()),
        "lines": serializers.ListField(child=serializers.DictField()),
    },
)
GL_PROBLEMS = inline_serializer(
    name="GLImportProblems",
    fields={
        "detail": serializers.CharField(),
        "problems": serializers.ListField(child=serializers.DictField(
            child=serializers.CharField()), help_text="[{where, column, message}], every one."),
    },
)  # fmt: skip
GL_UPLOAD = inline_serializer(
    name="GLImportUpload",
    fields={
        "file": serializers.FileField(help_text="A .csv or .xlsx extract."),
        "check": serializers.BooleanField(required=False, help_text="Only check; book nothing."),
    },
)


class GLImportView(ProgramScopedMixin, ApiView):
    permission_actions = {"get": "budget.view", "post": "actual.change"}
    filter_backends: list = []
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="budgets_gl_import_list",
        parameters=[CODE],
        responses={200: GLImportSerializer(many=True), 401: UNAUTHORIZED, 403: FORBIDDEN,
                   404: NOT_FOUND},
        description="The program's GL imports, newest first (the last 100).",
        tags=["budget"],
    )  # fmt: skip
    def get(self, request, code: str):
        rows = selectors.gl_imports(program=self.program)[:100]
        return Response(GLImportSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="budgets_gl_import",
        parameters=[CODE],
        request={"multipart/form-data": GL_UPLOAD},
        responses={200: GL_RESULT, 201: GL_RESULT, 400: GL_PROBLEMS, 401: UNAUTHORIZED,
                   403: FORBIDDEN, 404: NOT_FOUND},
        description="Imports every row or none: 400 lists every problem with its line; 201 "
        "says what was booked; with `check` 200 says what would be.",
        tags=["budget"],
    )  # fmt: skip
    def post(self, request, code: str):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "Send the extract as the multipart field `file`."})
        try:
            check_upload(upload, gl_import.UPLOAD)
        except ValidationError as exc:
            return Response(
                {"detail": "The file was refused; nothing was imported.",
                 "problems": [{"where": "", "column": "", "message": m}
                              for m in exc.message_dict["file"]]},
                status=status.HTTP_400_BAD_REQUEST,
            )  # fmt: skip
        dry_run = str(request.data.get("check") or request.query_params.get("check") or "")
        dry_run = dry_run.lower() in ("1", "true", "yes")
        try:
            plan = gl_import.gl_import_run(
                actor=request.user, program=self.program, data=upload.read(),
                filename=upload.name, dry_run=dry_run,
            )  # fmt: skip
        except gl_import.GLImportError as exc:
            return Response(
                {"detail": f"{len(exc.problems)} problem(s); nothing was imported.",
                 "problems": [p.as_dict() for p in exc.problems]},
                status=status.HTTP_400_BAD_REQUEST,
            )  # fmt: skip
        data = {**plan.as_dict(), "dry_run": dry_run, "currency": self.program.currency}
        return Response(data, status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


# --- accruals -----------------------------------------------------------------------------------


class AccrualSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    line = serializers.CharField(max_length=16, help_text="The budget line's key.")
    month = serializers.CharField(max_length=10, help_text="YYYY-MM: the month of the work.")
    amount = serializers.CharField(max_length=20, help_text="Positive, to the cent.")
    currency = serializers.CharField(read_only=True)
    description = serializers.CharField(max_length=300)
    contract = serializers.CharField(
        max_length=16, required=False, allow_blank=True, allow_null=True,
        help_text="A contract's key, e.g. CTR-2.",
    )  # fmt: skip
    status = serializers.ChoiceField(choices=AccrualStatus.choices, read_only=True)
    reverses_in = serializers.CharField(read_only=True, help_text="YYYY-MM")
    can_cancel_until = serializers.DateField(read_only=True)
    entries = serializers.ListField(child=serializers.DictField(), read_only=True)
    version = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, accrual):
        return {
            "key": accrual.key, "line": accrual.line.key, "month": month_label(accrual.month),
            "amount": _money(accrual.amount), "currency": accrual.program.currency,
            "description": accrual.description,
            "contract": accrual.contract.key if accrual.contract else None,
            "status": accrual.status,
            "reverses_in": month_label(services.next_month(accrual.month)),
            "can_cancel_until": services.cancel_deadline(accrual).isoformat(),
            "entries": [
                {"month": month_label(e.month), "source": e.source, "amount": _money(e.amount),
                 "posted_on": e.posted_on.isoformat()}
                for e in accrual.entries.all()
            ],
            "version": accrual.version,
            "created_at": serializers.DateTimeField().to_representation(accrual.created_at),
        }  # fmt: skip

    def validate(self, attrs):
        program = self.context["program"]
        line = BudgetLine.objects.filter(program=program, key=attrs["line"].upper()).first()
        if line is None:
            raise serializers.ValidationError(
                {"line": [f"{program.code} has no budget line {attrs['line']}."]}
            )
        try:
            month = parse_month(attrs["month"])
        except ValueError as exc:
            raise serializers.ValidationError({"month": [str(exc)]}) from None
        try:
            amount = amount_text(attrs["amount"])
        except ValidationError as exc:
            raise serializers.ValidationError({"amount": exc.messages}) from None
        contract = None
        key = (attrs.get("contract") or "").strip().upper()
        if key:
            contract = Contract.objects.filter(program=program, key=key).first()
            if contract is None:
                raise serializers.ValidationError(
                    {"contract": [f"{program.code} has no contract {key}."]}
                )
        return {"line": line, "month": month, "amount": amount, "contract": contract,
                "description": attrs["description"]}  # fmt: skip


class AccrualCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=250)
    version = serializers.IntegerField(required=False, min_value=1)


class _AccrualMixin(ProgramScopedMixin, VersionedMixin):
    def rows(self):
        return (
            selectors.accruals(program=self.program)
            .select_related("program")
            .prefetch_related("entries")
        )

    def answer(self, key: str, code: int = 200) -> Response:
        accrual = selectors.accrual_get(program=self.program, key=key)
        return Response(AccrualSerializer(accrual).data, status=code)

    def serialize_current(self, instance) -> dict:
        return AccrualSerializer(selectors.accrual_get(program=self.program, key=instance.key)).data


class AccrualListView(_AccrualMixin, ApiView):
    permission_actions = {"get": "budget.view", "post": "actual.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_accrual_list",
        parameters=[
            CODE,
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM"),
            OpenApiParameter("status", OpenApiTypes.STR, description="posted or cancelled"),
            OpenApiParameter("line", OpenApiTypes.STR, description="A budget line's key."),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: AccrualSerializer(many=True), 400: VALIDATION_ERROR, 401: UNAUTHORIZED,
                   403: FORBIDDEN, 404: NOT_FOUND},
        tags=["budget"],
    )  # fmt: skip
    def get(self, request, code: str):
        filterset = selectors.AccrualFilterSet(
            request.query_params, queryset=self.rows(), program=self.program
        )
        if not filterset.is_valid():
            raise ValidationError({k: [str(m) for m in v] for k, v in filterset.errors.items()})
        paginator = StandardPagination()
        page = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(AccrualSerializer(page, many=True).data)

    @extend_schema(
        operation_id="budgets_accrual_create",
        parameters=[CODE, ETAG],
        request=AccrualSerializer,
        responses={201: AccrualSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED,
                   403: FORBIDDEN, 404: NOT_FOUND},
        description="Books the accrual in its month and the reversal on the next month's 1st.",
        tags=["budget"],
    )  # fmt: skip
    def post(self, request, code: str):
        serializer = AccrualSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        accrual = services.accrual_create(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        return self.answer(accrual.key, status.HTTP_201_CREATED)


class AccrualDetailView(_AccrualMixin, ApiView):
    permission_actions = {"get": "budget.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_accrual_detail",
        parameters=[CODE, KEY, ETAG],
        responses={200: AccrualSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["budget"],
    )
    def get(self, request, code: str, key: str):
        return self.answer(key)


class AccrualCancelView(_AccrualMixin, ApiView):
    permission_actions = {"post": "actual.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_accrual_cancel",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=AccrualCancelSerializer,
        responses={200: AccrualSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED,
                   403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED,
                   412: stale_response(AccrualSerializer)},
        description="Books offsetting entries in both months (nothing is deleted). Refused "
        "(409) once the reversal month has closed, or when already cancelled.",
        tags=["budget"],
    )  # fmt: skip
    def post(self, request, code: str, key: str):
        accrual = selectors.accrual_get(program=self.program, key=key)
        version = optional_version(request)
        serializer = AccrualCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            services.accrual_cancel(
                actor=request.user, accrual=accrual, expected_version=version,
                reason=serializer.validated_data["reason"],
            )  # fmt: skip
        return self.answer(key)
