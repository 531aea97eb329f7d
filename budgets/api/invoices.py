"""Invoices API, under /api/v1/programs/<code>/budget/invoices/: list (filters status, vendor,
contract, month, q), record with lines (JSON, or multipart with `lines` as JSON text and the
`document` PDF), one invoice with its lines and validation problems, correction (If-Match; 412
when stale), and the steps validate / approve / reject / pay (409 with the reason when the
invoice's state, the approval limit or the four-eyes rule refuses). The vendor portal's
equivalents under .../budget/portal/invoices/: the caller's own vendor's invoices only (another
vendor's key answers 404), and submitting one with its PDF.

Money is a decimal string (`"4500.00"`) with the invoice's `currency`; months are `YYYY-MM`.
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
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
from core.api.serializers import format_date, format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin
from vendors.models import Contract, RateUnit

from ..models import BudgetLine, Invoice, InvoiceStatus
from ..months import month_label
from ..selectors import invoices as selectors
from ..services import invoices as services

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The invoice's key, e.g. INV-4."
)
FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=InvoiceStatus.values),
    OpenApiParameter("vendor", OpenApiTypes.INT, description="The vendor's id."),
    OpenApiParameter("contract", OpenApiTypes.INT, description="The contract's id."),
    OpenApiParameter(
        "month", OpenApiTypes.STR, description="YYYY-MM: invoices whose period covers it."
    ),
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, vendor's number or vendor name."),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        description="key, date, due, total, vendor, status, received (- for descending).",
    ),
]
VERSION_HELP = "The version you edited (or send If-Match)."
S = InvoiceStatus


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- serializers ----------------------------------------------------------------------------


class InvoiceLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    description = serializers.CharField(max_length=300)
    role = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text="The rate-card role."
    )
    quantity = serializers.CharField(
        max_length=24, required=False, allow_null=True, allow_blank=True, help_text="e.g. 5.5"
    )
    unit = serializers.ChoiceField(
        choices=[("", "none"), *RateUnit.choices], required=False, allow_blank=True
    )
    rate = serializers.CharField(
        max_length=24, required=False, allow_null=True, allow_blank=True, help_text="e.g. 900.00"
    )
    amount = serializers.CharField(
        max_length=24,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="To the cent; left out: quantity x rate.",
    )
    month = serializers.CharField(
        max_length=10,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="YYYY-MM the cost is booked to; default: the period's first month.",
    )
    budget_line = serializers.CharField(
        max_length=16,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The budget line's key, e.g. BL-2 (ignored in the portal).",
    )
    budget_line_name = serializers.CharField(read_only=True, allow_null=True)


@extend_schema_field(InvoiceLineSerializer(many=True))
class LinesField(serializers.Field):
    """A list of lines, or (multipart) the same list as JSON text."""

    default_error_messages = {
        "invalid": "Give the lines as a list (as JSON text in a multipart form)."
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, list):
            self.fail("invalid")
        lines = InvoiceLineSerializer(data=data, many=True)
        lines.is_valid(raise_exception=True)
        return [dict(row) for row in lines.validated_data]

    def to_representation(self, value):
        return value


class InvoiceSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    vendor = serializers.CharField(read_only=True, help_text="The vendor's key (the contract's).")
    vendor_name = serializers.CharField(read_only=True)
    contract = serializers.CharField(max_length=16, help_text="The contract's key, e.g. CTR-3.")
    contract_title = serializers.CharField(read_only=True)
    invoice_number = serializers.CharField(max_length=60, help_text="The vendor's own number.")
    invoice_date = serializers.DateField()
    received_on = serializers.DateField(required=False, help_text="Default: today.")
    due_date = serializers.DateField(required=False, allow_null=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="ISO 4217; default: the contract's."
    )
    total = serializers.CharField(read_only=True, help_text="The sum of the lines.")
    status = serializers.ChoiceField(choices=S.choices, read_only=True)
    problems = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        read_only=True,
        help_text="What the last validation found: [{code, message}].",
    )
    validated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)
    document = serializers.FileField(
        required=False, write_only=True, help_text="The invoice PDF (multipart only)."
    )
    document_url = serializers.CharField(read_only=True, allow_null=True)
    rejection_reason = serializers.CharField(read_only=True)
    paid_on = serializers.DateField(read_only=True, allow_null=True)
    payment_reference = serializers.CharField(read_only=True)
    submitted_by = serializers.DictField(read_only=True, allow_null=True)
    decided_by = serializers.DictField(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    lines = LinesField()
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_contract(self, value: str) -> Contract:
        program = self.context["program"]
        contract = (
            Contract.objects.filter(program=program, key=value.strip().upper())
            .select_related("vendor")
            .first()
        )
        vendor = self.context.get("vendor")
        if contract is None or (vendor is not None and contract.vendor_id != vendor.pk):
            raise serializers.ValidationError(f"There is no contract {value} in {program.code}.")
        return contract

    def validate_lines(self, lines: list[dict]) -> list[dict]:
        program = self.context["program"]
        keys = {(row.get("budget_line") or "").strip().upper() for row in lines} - {""}
        found = {
            line.key: line for line in BudgetLine.objects.filter(program=program, key__in=keys)
        }
        missing = sorted(keys - set(found))
        if missing:
            raise serializers.ValidationError(
                f"There is no budget line {', '.join(missing)} in {program.code}."
            )
        for row in lines:
            key = (row.get("budget_line") or "").strip().upper()
            row["budget_line"] = found.get(key) if key else None
        return lines

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        return attrs


def invoice_data(invoice: Invoice, *, portal: bool = False) -> dict[str, Any]:
    """One invoice as the API answers it (lines included); the portal hides the budget."""
    program = invoice.program
    name = "budgets:portal_invoice_document" if portal else "budgets:invoice_document"
    lines = selectors.invoice_lines(invoice)
    data = {
        "key": invoice.key,
        "vendor": invoice.vendor.key,
        "vendor_name": invoice.vendor.name,
        "contract": invoice.contract.key,
        "contract_title": invoice.contract.title,
        "invoice_number": invoice.invoice_number,
        "invoice_date": format_date(invoice.invoice_date),
        "received_on": format_date(invoice.received_on),
        "due_date": format_date(invoice.due_date),
        "period_start": format_date(invoice.period_start),
        "period_end": format_date(invoice.period_end),
        "currency": invoice.currency,
        "total": _money(invoice.total),
        "status": invoice.status,
        "problems": [] if portal else list(invoice.problems or []),
        "validated_at": format_datetime(invoice.validated_at),
        "note": "" if portal else invoice.note,
        "document_url": (
            reverse(name, kwargs={"code": program.code, "key": invoice.key})
            if invoice.document
            else None
        ),
        "rejection_reason": invoice.rejection_reason,
        "paid_on": format_date(invoice.paid_on),
        "payment_reference": invoice.payment_reference,
        "submitted_by": None
        if portal or invoice.submitted_by is None
        else user_ref(invoice.submitted_by_id, invoice.submitted_by.full_name),
        "decided_by": None
        if portal or invoice.decided_by is None
        else user_ref(invoice.decided_by_id, invoice.decided_by.full_name),
        "decided_at": format_datetime(invoice.decided_at),
        "lines": [
            {
                "id": line.pk,
                "description": line.description,
                "role": line.role,
                "quantity": _money(line.quantity),
                "unit": line.unit,
                "rate": _money(line.rate),
                "amount": _money(line.amount),
                "month": month_label(line.month),
                "budget_line": None if portal or not line.budget_line else line.budget_line.key,
                "budget_line_name": None
                if portal or not line.budget_line
                else line.budget_line.name,
            }
            for line in lines
        ],
        "version": invoice.version,
        "created_at": format_datetime(invoice.created_at),
        "updated_at": format_datetime(invoice.updated_at),
    }
    return data


def list_rows(rows, *, portal: bool = False) -> list[dict[str, Any]]:
    """List rows: the invoice without its lines (`line_count` instead)."""
    return [
        {
            "key": r.key,
            "vendor": r.vendor.key,
            "vendor_name": r.vendor.name,
            "contract": r.contract.key,
            "contract_title": r.contract.title,
            "invoice_number": r.invoice_number,
            "invoice_date": format_date(r.invoice_date),
            "received_on": format_date(r.received_on),
            "due_date": format_date(r.due_date),
            "period_start": format_date(r.period_start),
            "period_end": format_date(r.period_end),
            "currency": r.currency,
            "total": _money(r.total),
            "status": r.status,
            "problems": [] if portal else list(r.problems or []),
            "line_count": r.line_count,
            "rejection_reason": r.rejection_reason,
            "paid_on": format_date(r.paid_on),
            "payment_reference": r.payment_reference,
            "version": r.version,
        }
        for r in rows
    ]


class InvoiceRowSerializer(serializers.Serializer):
    """A list row (the schema of list answers)."""

    key = serializers.CharField()
    vendor = serializers.CharField()
    vendor_name = serializers.CharField()
    contract = serializers.CharField()
    contract_title = serializers.CharField()
    invoice_number = serializers.CharField()
    invoice_date = serializers.DateField()
    received_on = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = serializers.CharField()
    total = serializers.CharField()
    status = serializers.ChoiceField(choices=S.choices)
    problems = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    line_count = serializers.IntegerField()
    rejection_reason = serializers.CharField()
    paid_on = serializers.DateField(allow_null=True)
    payment_reference = serializers.CharField()
    version = serializers.IntegerField()


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why; the vendor sees it.")
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class PaySerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    payment_reference = serializers.CharField(max_length=60)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class StepSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


# --- the program's invoices -----------------------------------------------------------------


class InvoiceScopedMixin(ProgramScopedMixin):
    queryset = Invoice.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def invoice(self) -> Invoice:
        return selectors.invoice_get(program=self.program, key=self.kwargs["key"])

    def get_serializer_context(self):
        return {"request": self.request, "program": self.program, "view": self}

    def serialize_current(self, instance) -> dict:
        return invoice_data(instance)

    def answer(self, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.invoice_get(program=self.program, key=invoice.key)
        data = invoice_data(fresh)
        return Response(data, status=code, headers={"ETag": f'"{data["version"]}"'})


def paginated(view, queryset, *, portal: bool = False) -> Response:
    paginator = StandardPagination()
    page = paginator.paginate_queryset(selectors.with_row_figures(queryset), view.request, view)
    return paginator.get_paginated_response(list_rows(page, portal=portal))


WRITE_RESPONSES = {
    400: VALIDATION_ERROR,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
}


class InvoiceListView(InvoiceScopedMixin, ApiView):
    """The program's invoices (newest first, 100 a page), and recording a received one."""

    permission_actions = {"get": "invoice.view", "post": "invoice.change"}

    @extend_schema(
        operation_id="budgets_invoice_list",
        parameters=[CODE, *FILTERS],
        responses={200: InvoiceRowSerializer(many=True), **WRITE_RESPONSES},
        tags=["invoices"],
    )
    def get(self, request, code: str):
        filterset = selectors.InvoiceFilterSet(
            request.query_params or None,
            queryset=selectors.invoice_list(program=self.program),
            program=self.program,
        )
        if filterset.is_bound and not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        return paginated(self, filterset.qs)

    @extend_schema(
        operation_id="budgets_invoice_create",
        parameters=[CODE, ETAG],
        request={
            "application/json": InvoiceSerializer,
            "multipart/form-data": InvoiceSerializer,
        },
        responses={201: InvoiceSerializer, **WRITE_RESPONSES},
        description="Records an invoice received from a vendor with its lines and validates it "
        "at once (status validated, or received with `problems`). The vendor's same invoice "
        "number twice, bad amounts (negative, not a number, more than two decimals), an "
        "unknown currency or a period outside the program answer 400 and record nothing.",
        tags=["invoices"],
    )
    def post(self, request, code: str):
        serializer = InvoiceSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        invoice = services.invoice_receive(
            actor=request.user,
            program=self.program,
            lines=data.pop("lines"),
            document=data.pop("document", None),
            **data,
        )
        return self.answer(invoice, status.HTTP_201_CREATED)


class InvoiceDetailView(InvoiceScopedMixin, VersionedMixin, ApiView):
    """One invoice with its lines and validation problems; PUT/PATCH corrects it."""

    permission_actions = {
        "get": "invoice.view",
        "put": "invoice.change",
        "patch": "invoice.change",
    }

    @extend_schema(
        operation_id="budgets_invoice_retrieve",
        parameters=[CODE, KEY, ETAG],
        responses={200: InvoiceSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["invoices"],
    )
    def get(self, request, code: str, key: str):
        return self.answer(self.invoice())

    def _update(self, request, *, partial: bool):
        invoice = self.invoice()
        version = self.expected_version()
        serializer = InvoiceSerializer(
            invoice, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with refusals_as_409():
            updated = services.invoice_update(
                actor=request.user,
                invoice=invoice,
                expected_version=version,
                lines=data.pop("lines", None),
                document=data.pop("document", None),
                **data,
            )
        return self.answer(updated)

    UPDATE = {
        "parameters": [CODE, KEY, IF_MATCH, ETAG],
        "request": {
            "application/json": InvoiceSerializer,
            "multipart/form-data": InvoiceSerializer,
        },
        "responses": {
            200: InvoiceSerializer,
            **WRITE_RESPONSES,
            409: REFUSED,
            412: stale_response(InvoiceSerializer),
            428: PRECONDITION_REQUIRED,
        },
        "description": "Corrects a received or validated invoice (lines, when given, replace "
        "the old ones) and validates it again. Approved, paid and rejected invoices answer 409.",
        "tags": ["invoices"],
    }

    @extend_schema(operation_id="budgets_invoice_update", **UPDATE)
    def put(self, request, code: str, key: str):
        return self._update(request, partial=False)

    @extend_schema(operation_id="budgets_invoice_partial_update", **UPDATE)
    def patch(self, request, code: str, key: str):
        return self._update(request, partial=True)


def _step_schema(operation: str, request, description: str):
    return extend_schema(
        operation_id=operation,
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=request,
        responses={
            200: InvoiceSerializer,
            **WRITE_RESPONSES,
            409: REFUSED,
            412: stale_response(InvoiceSerializer),
        },
        description=description + " If-Match (or `version`) is optional; when sent, a stale "
        "one answers 412.",
        tags=["invoices"],
    )


class _StepView(InvoiceScopedMixin, VersionedMixin, ApiView):
    parser_classes = [JSONParser, FormParser]

    def post(self, request, code: str, key: str):
        invoice = self.invoice()
        version = optional_version(request)
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        with refusals_as_409():
            updated = self.step(invoice=invoice, expected_version=version, **data)
        return self.answer(updated)


class InvoiceValidateView(_StepView):
    permission_actions = {"post": "invoice.change"}
    serializer_class = StepSerializer

    @_step_schema(
        "budgets_invoice_validate",
        StepSerializer,
        "Validates a received or validated invoice again: no problem -> validated, else "
        "received with `problems`.",
    )
    def post(self, request, code: str, key: str):
        return super().post(request, code, key)

    def step(self, **kwargs):
        return services.invoice_validate(actor=self.request.user, **kwargs)


class InvoiceApproveView(_StepView):
    permission_actions = {"post": "invoice.approve"}
    serializer_class = StepSerializer

    @_step_schema(
        "budgets_invoice_approve",
        StepSerializer,
        "Approves a validated invoice and books each line as a cost entry (actuals). 409 when "
        "it is not validated, when it is above the program's approval limit and the caller is "
        "not the program manager, when the caller entered it, or when validation no longer "
        "passes.",
    )
    def post(self, request, code: str, key: str):
        return super().post(request, code, key)

    def step(self, **kwargs):
        return services.invoice_approve(actor=self.request.user, **kwargs)


class InvoiceRejectView(_StepView):
    permission_actions = {"post": "invoice.approve"}
    serializer_class = RejectSerializer

    @_step_schema(
        "budgets_invoice_reject",
        RejectSerializer,
        "Rejects a received or validated invoice with a reason (the vendor sees it and is "
        "e-mailed). 409 for approved, paid or rejected invoices.",
    )
    def post(self, request, code: str, key: str):
        return super().post(request, code, key)

    def step(self, **kwargs):
        return services.invoice_reject(actor=self.request.user, **kwargs)


class InvoicePayView(_StepView):
    permission_actions = {"post": "invoice.pay"}
    serializer_class = PaySerializer

    @_step_schema(
        "budgets_invoice_pay",
        PaySerializer,
        "Records the payment of an approved invoice (finance); the vendor is e-mailed. 409 "
        "unless approved.",
    )
    def post(self, request, code: str, key: str):
        return super().post(request, code, key)

    def step(self, **kwargs):
        return services.invoice_pay(actor=self.request.user, **kwargs)
