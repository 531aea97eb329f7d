"""Budget overview and settings API, under /api/v1/programs/<code>/budget/.

Money is a decimal string (`"1840000.00"`) in the program's `currency`. The overview's figures
are the page's tiles (`budgets.selectors.overview`); settings are read and changed with
ETag / If-Match (412 with the current settings when stale).
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

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
from core.api.versioning import VersionedMixin
from core.api.views import ApiView
from core.fields import MAX_MONEY
from programs.api.views import ProgramScopedMixin

from ..models import BudgetSettings
from ..selectors.overview import budget_overview
from ..selectors.settings import budget_settings
from ..services.settings import FIELDS, budget_settings_update

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def amount_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(14, 2, read_only=True, **kwargs)


class BreakdownSerializer(serializers.Serializer):
    label = serializers.CharField()
    detail = serializers.CharField()
    budget = amount_field()
    actual = amount_field()
    eac = amount_field()
    variance = amount_field(help_text="EAC - budget.")


class ReserveSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="management or contingency.")
    amount = amount_field(help_text="Set aside.")
    balance = amount_field(help_text="Set aside plus movements (draws are negative).")


class OverviewSerializer(serializers.Serializer):
    currency = serializers.CharField()
    budget = amount_field(help_text="Current budget (BAC): original + approved change orders.")
    original = amount_field()
    change_orders = amount_field(help_text="Approved change orders.")
    committed = amount_field(
        help_text="Current value of the active, on-hold and completed contracts (this currency)."
    )
    actual = amount_field(help_text="Every cost entry booked, accruals included.")
    accrued = amount_field(help_text="The accrual part of actual.")
    forecast = amount_field(help_text="Outturn of the open months (forecast, else plan).")
    eac = amount_field(help_text="Closed months' actuals + the open months' outturn.")
    variance = amount_field(help_text="EAC - budget (positive = overspend expected).")
    unexplained = serializers.IntegerField(
        help_text="Closed-month variances beyond the thresholds without an approved explanation."
    )
    reserves = ReserveSerializer(many=True)
    by_workstream = BreakdownSerializer(many=True)
    by_category = BreakdownSerializer(many=True)
    by_expense_type = BreakdownSerializer(many=True)


def _breakdown(rows) -> list[dict]:
    return [
        {"label": r.label, "detail": r.detail, "budget": money(r.budget),
         "actual": money(r.actual), "eac": money(r.eac), "variance": money(r.variance)}
        for r in rows
    ]  # fmt: skip


class BudgetOverviewView(ProgramScopedMixin, ApiView):
    """The budget overview's figures."""

    permission_actions = {"get": "budget.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_overview_retrieve",
        parameters=[CODE],
        responses={200: OverviewSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["budget"],
    )
    def get(self, request, code: str):
        overview = budget_overview(self.program)
        f = overview.figures
        data = {
            "currency": f.currency,
            **{
                name: money(getattr(f, name))
                for name in (
                    "budget",
                    "original",
                    "change_orders",
                    "committed",
                    "actual",
                    "accrued",
                    "forecast",
                    "eac",
                    "variance",
                )
            },
            "unexplained": overview.unexplained,
            "reserves": [
                {"kind": r["kind"], "amount": money(r["amount"]), "balance": money(r["balance"])}
                for r in overview.reserves
            ],
            "by_workstream": _breakdown(overview.by_workstream),
            "by_category": _breakdown(overview.by_category),
            "by_expense_type": _breakdown(overview.by_expense_type),
        }
        return Response(data)


class BudgetSettingsSerializer(serializers.Serializer):
    currency = serializers.CharField(read_only=True)
    variance_percent = serializers.DecimalField(
        5, 2, min_value=Decimal("0"), max_value=Decimal("999.99"),
        help_text="A closed month's variance needs an explanation at this percentage of plan ...",
    )  # fmt: skip
    variance_amount = serializers.DecimalField(
        14, 2, min_value=Decimal("0"), max_value=MAX_MONEY,
        help_text="... and at least this amount (both thresholds must be reached).",
    )  # fmt: skip
    invoice_approval_limit = serializers.DecimalField(
        14, 2, min_value=Decimal("0"), max_value=MAX_MONEY,
        help_text="Finance approves invoices up to this total; larger ones need a manager.",
    )  # fmt: skip
    monthly_export = serializers.BooleanField(
        help_text="E-mail the variance report to finance on the 1st."
    )
    export_bom = serializers.BooleanField(help_text="Start CSV exports with a byte-order mark.")
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you edited (or send If-Match)."
    )

    def to_representation(self, instance: BudgetSettings) -> dict:
        return {
            "currency": instance.program.currency,
            "variance_percent": f"{instance.variance_percent:.2f}",
            "variance_amount": money(instance.variance_amount),
            "invoice_approval_limit": money(instance.invoice_approval_limit),
            "monthly_export": instance.monthly_export,
            "export_bom": instance.export_bom,
            "version": instance.version,
        }


class BudgetSettingsView(ProgramScopedMixin, VersionedMixin, ApiView):
    """The program's budget settings (defaults until first saved, as version 1)."""

    permission_actions = {"get": "budget.view", "put": "budget.settings"}
    filter_backends: list = []

    def serialize_current(self, instance) -> dict:
        instance.program = self.program
        return BudgetSettingsSerializer(instance).data

    @extend_schema(
        operation_id="budgets_settings_retrieve",
        parameters=[CODE, ETAG],
        responses={
            200: BudgetSettingsSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND,
        },
        tags=["budget"],
    )  # fmt: skip
    def get(self, request, code: str):
        return Response(BudgetSettingsSerializer(budget_settings(self.program)).data)

    @extend_schema(
        operation_id="budgets_settings_update",
        parameters=[CODE, IF_MATCH, ETAG],
        request=BudgetSettingsSerializer,
        responses={
            200: BudgetSettingsSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            412: stale_response(BudgetSettingsSerializer),
            428: PRECONDITION_REQUIRED,
        },
        description="Replaces every setting (a program manager or finance).",
        tags=["budget"],
    )
    def put(self, request, code: str):
        version = self.expected_version()
        serializer = BudgetSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k in FIELDS}
        row = budget_settings_update(
            actor=request.user, program=self.program, expected_version=version, **data
        )
        row.program = self.program
        return Response(BudgetSettingsSerializer(row).data)
