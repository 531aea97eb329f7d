"""The vendor portal's invoices API, under /api/v1/programs/<code>/budget/portal/invoices/: the
caller's own vendor's invoices (another vendor's key answers 404, like one that does not exist),
one with its lines, status, rejection reason and payment, and submitting one with its PDF
(multipart, `lines` as JSON text) for one of its active contracts. Nothing of the program's
budget (budget lines, validation problems, who approved) is shown."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api.schema import ETAG, FORBIDDEN, NOT_FOUND, UNAUTHORIZED
from core.api.views import ApiView
from vendors.models import Vendor
from vendors.selectors.portal import portal_vendor_for

from ..models import Invoice, InvoiceStatus
from ..selectors import invoices as selectors
from ..services import invoices as services
from .invoices import (
    CODE,
    KEY,
    WRITE_RESPONSES,
    InvoiceRowSerializer,
    InvoiceScopedMixin,
    InvoiceSerializer,
    invoice_data,
    paginated,
)

S = InvoiceStatus


class PortalInvoiceMixin(InvoiceScopedMixin):
    def vendor(self) -> Vendor:
        cached = getattr(self, "_vendor", None)
        if cached is None:
            cached = self._vendor = portal_vendor_for(program=self.program, user=self.request.user)
        if cached is None:
            raise PermissionDenied(
                "Your account is not linked to a vendor yet. Ask the program manager to link it."
            )
        return cached

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "vendor": self.vendor()}

    def answer(self, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.invoice_get(program=self.program, key=invoice.key, vendor=self.vendor())
        data = invoice_data(fresh, portal=True)
        return Response(data, status=code, headers={"ETag": f'"{data["version"]}"'})


class PortalInvoiceListView(PortalInvoiceMixin, ApiView):
    """Your company's invoices (newest first); POST submits one with its PDF."""

    permission_actions = {"get": "portal.invoice", "post": "portal.invoice"}
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="budgets_portal_invoice_list",
        parameters=[
            CODE,
            OpenApiParameter("status", OpenApiTypes.STR, enum=InvoiceStatus.values),
        ],
        responses={200: InvoiceRowSerializer(many=True), 401: UNAUTHORIZED, 403: FORBIDDEN},
        tags=["vendor portal"],
    )
    def get(self, request, code: str):
        queryset = selectors.invoice_list(program=self.program, vendor=self.vendor())
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in S.values:
                raise serializers.ValidationError(
                    {"status": [f"Choose one of {', '.join(S.values)}."]}
                )
            queryset = queryset.filter(status=wanted)
        return paginated(self, queryset, portal=True)

    @extend_schema(
        operation_id="budgets_portal_invoice_submit",
        parameters=[CODE],
        request={"multipart/form-data": InvoiceSerializer},
        responses={201: InvoiceSerializer, **WRITE_RESPONSES},
        description="Submits an invoice for one of your active contracts: multipart with the "
        "`document` PDF and `lines` as JSON text. The program's finance team is e-mailed.",
        tags=["vendor portal"],
    )
    def post(self, request, code: str):
        serializer = InvoiceSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("received_on", None)
        data.pop("note", None)
        invoice = services.invoice_submit(
            actor=request.user,
            program=self.program,
            lines=data.pop("lines"),
            document=data.pop("document", None),
            **data,
        )
        return self.answer(invoice, status.HTTP_201_CREATED)


class PortalInvoiceDetailView(PortalInvoiceMixin, ApiView):
    """One of your invoices: its lines, status, rejection reason and payment."""

    permission_actions = {"get": "portal.invoice"}

    @extend_schema(
        operation_id="budgets_portal_invoice_retrieve",
        parameters=[CODE, KEY, ETAG],
        responses={200: InvoiceSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        description="Another vendor's invoice answers 404, like one that does not exist.",
        tags=["vendor portal"],
    )
    def get(self, request, code: str, key: str):
        return self.answer(
            selectors.invoice_get(program=self.program, key=key, vendor=self.vendor())
        )
