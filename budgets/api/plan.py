"""Budget structure API, under /api/v1/programs/<code>/budget/: cost categories and budget lines
(CRUD with ETag / If-Match), and the time-phased plan: GET the grid as JSON, PUT one line's
months with the line's version.

Money is a decimal string to the cent (`"22800.00"`) in the program's `currency`; months are
`YYYY-MM`. A stale version answers 412 with the current state, a refusal (deleting a category
in use, a line with actuals) 409 with the reason, bad input 400 with field errors.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED
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
from core.api.serializers import UserRefSerializer
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin
from programs.models import Program, Workstream
from programs.selectors import member_users
from vendors.models import Contract, Vendor

from ..models import BudgetLine, CategoryKind, CostCategory, ExpenseType
from ..months import month_label, parse_month
from ..selectors import plan as selectors
from ..services import structure as services

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
LINE_KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The line's key, e.g. BL-3."
)
PK = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The row's id.")
VERSION_HELP = "The version you edited (or send If-Match)."
LINE_FILTERS = [
    OpenApiParameter("workstream", OpenApiTypes.STR, description="A workstream key, e.g. WS-2."),
    OpenApiParameter("category", OpenApiTypes.INT, description="A cost category id."),
]


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _scoped_key(model, program: Program, field: str, key: str, what: str):
    key = (key or "").strip().upper()
    if not key:
        return None
    row = model.objects.filter(program=program, key=key).first()
    if row is None:
        raise serializers.ValidationError({field: [f"There is no {what} {key} in {program.code}."]})
    return row


def line_filters(request, program: Program) -> dict[str, Any]:
    """`workstream` (key) and `category` (id) query parameters, checked (400 when unknown)."""
    params, result = request.query_params, {}
    if params.get("workstream"):
        ws = _scoped_key(Workstream, program, "workstream", params["workstream"], "workstream")
        result["workstream"] = ws.pk
    if params.get("category"):
        try:
            result["category"] = int(params["category"])
        except ValueError:
            raise serializers.ValidationError({"category": ["Give a category id."]}) from None
    return result


# --- cost categories ----------------------------------------------------------------------------


class CostCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=CategoryKind.choices, required=False)
    expense_type = serializers.ChoiceField(choices=ExpenseType.choices, required=False)
    gl_account = serializers.CharField(max_length=30, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=32000, required=False)
    line_count = serializers.IntegerField(read_only=True, help_text="Budget lines using it.")
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs

    def to_representation(self, c: CostCategory) -> dict[str, Any]:
        return {
            "id": c.pk,
            "name": c.name,
            "kind": c.kind,
            "expense_type": c.expense_type,
            "gl_account": c.gl_account,
            "position": c.position,
            "line_count": getattr(c, "line_count", None),
            "version": c.version,
        }


@extend_schema_view(
    list=list_schema(CostCategorySerializer, parameters=[CODE]),
    create=create_schema(CostCategorySerializer, parameters=[CODE]),
    retrieve=retrieve_schema(CostCategorySerializer, parameters=[CODE, PK]),
    update=update_schema(CostCategorySerializer, parameters=[CODE, PK]),
    partial_update=update_schema(CostCategorySerializer, parameters=[CODE, PK]),
    destroy=destroy_schema(
        CostCategorySerializer,
        parameters=[CODE, PK],
        description="Refused (409) while budget lines use the category.",
    ),
)
@extend_schema(tags=["budget structure"])
class CategoryViewSet(ProgramScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Cost categories: kind, capex or opex, GL account."""

    service_target = "category"
    permission_actions = {
        "list": "budget.view",
        "retrieve": "budget.view",
        "create": "budget.change",
        "update": "budget.change",
        "partial_update": "budget.change",
        "destroy": "budget.change",
    }
    queryset = CostCategory.objects.none()
    serializer_class = CostCategorySerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.category_list(program=self.program)

    def get_object(self):
        row = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        return row or selectors.category_get(program=self.program, pk=self.kwargs["pk"])

    def serialize_current(self, instance) -> dict:
        return CostCategorySerializer(self.get_queryset().get(pk=instance.pk)).data

    def create_service(self, **kwargs):
        return services.category_create(**kwargs)

    def update_service(self, **kwargs):
        return services.category_update(**kwargs)

    def delete_service(self, **kwargs):
        services.category_delete(**kwargs)


# --- budget lines -------------------------------------------------------------------------------


class BudgetLineSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="e.g. BL-3.")
    name = serializers.CharField(max_length=200)
    workstream = serializers.CharField(max_length=16, help_text="The workstream's key, e.g. WS-2.")
    workstream_name = serializers.CharField(read_only=True)
    category = serializers.IntegerField(min_value=1, help_text="The cost category's id.")
    category_name = serializers.CharField(read_only=True)
    expense_type = serializers.CharField(read_only=True, help_text="capex or opex (category's).")
    owner = UserRefSerializer(read_only=True, allow_null=True)
    owner_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, min_value=1, help_text="A member."
    )
    vendor = serializers.CharField(
        max_length=16, required=False, allow_null=True, allow_blank=True, help_text="VND-n."
    )
    contract = serializers.CharField(
        max_length=16, required=False, allow_null=True, allow_blank=True, help_text="CTR-n."
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        program: Program = self.context["program"]
        attrs.pop("version", None)
        if "workstream" in attrs:
            attrs["workstream"] = _scoped_key(
                Workstream, program, "workstream", attrs["workstream"], "workstream"
            )
            if attrs["workstream"] is None:
                raise serializers.ValidationError({"workstream": ["Give a workstream key."]})
        if "category" in attrs:
            category = CostCategory.objects.filter(program=program, pk=attrs["category"]).first()
            if category is None:
                raise serializers.ValidationError(
                    {"category": [f"There is no cost category {attrs['category']} in "
                                  f"{program.code}."]}
                )  # fmt: skip
            attrs["category"] = category
        if "vendor" in attrs:
            attrs["vendor"] = _scoped_key(Vendor, program, "vendor", attrs["vendor"], "vendor")
        if "contract" in attrs:
            attrs["contract"] = _scoped_key(
                Contract, program, "contract", attrs["contract"], "contract"
            )
        if "owner_id" in attrs:
            owner_id = attrs.pop("owner_id")
            owner = None
            if owner_id is not None:
                owner = member_users(program=program).filter(pk=owner_id).first()
                if owner is None:
                    raise serializers.ValidationError(
                        {"owner_id": [f"User {owner_id} is not a member of {program.code}."]}
                    )
            attrs["owner"] = owner
        return attrs

    def to_representation(self, line: BudgetLine) -> dict[str, Any]:
        return {
            "key": line.key,
            "name": line.name,
            "workstream": line.workstream.key,
            "workstream_name": line.workstream.name,
            "category": line.category_id,
            "category_name": line.category.name,
            "expense_type": line.category.expense_type,
            "owner": UserRefSerializer(line.owner).data if line.owner else None,
            "vendor": line.vendor.key if line.vendor else None,
            "contract": line.contract.key if line.contract else None,
            "notes": line.notes,
            "version": line.version,
        }


LINE_RELATIONS = ("workstream", "category", "owner", "vendor", "contract")


@extend_schema_view(
    list=list_schema(BudgetLineSerializer, parameters=[CODE, *LINE_FILTERS]),
    create=create_schema(BudgetLineSerializer, parameters=[CODE]),
    retrieve=retrieve_schema(BudgetLineSerializer, parameters=[CODE, LINE_KEY]),
    update=update_schema(BudgetLineSerializer, parameters=[CODE, LINE_KEY]),
    partial_update=update_schema(BudgetLineSerializer, parameters=[CODE, LINE_KEY]),
    destroy=destroy_schema(
        BudgetLineSerializer,
        parameters=[CODE, LINE_KEY],
        description="Refused (409, saying what) when the line has actuals, invoices, accruals, "
        "forecasts, change-order amounts or variance explanations; its plan goes with it.",
    ),
)
@extend_schema(tags=["budget structure"])
class LineViewSet(ProgramScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Budget lines (BL-n): one workstream x one cost category, optionally a vendor/contract."""

    service_target = "line"
    permission_actions = CategoryViewSet.permission_actions
    queryset = BudgetLine.objects.none()
    serializer_class = BudgetLineSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        rows = BudgetLine.objects.filter(program=self.program).select_related(*LINE_RELATIONS)
        filters = line_filters(self.request, self.program)
        if "workstream" in filters:
            rows = rows.filter(workstream_id=filters["workstream"])
        if "category" in filters:
            rows = rows.filter(category_id=filters["category"])
        return rows.order_by("number")

    def get_object(self):
        return selectors.line_get(program=self.program, key=self.kwargs["key"])

    def serialize_current(self, instance) -> dict:
        return BudgetLineSerializer(selectors.line_get(program=self.program, key=instance.key)).data

    def create_service(self, **kwargs):
        return services.line_create(**kwargs)

    def update_service(self, **kwargs):
        return services.line_update(**kwargs)

    def delete_service(self, **kwargs):
        services.line_delete(**kwargs)


# --- the plan -----------------------------------------------------------------------------------


class PlanLineSerializer(serializers.Serializer):
    """One line of the grid: `amounts` month -> amount (original plan, or current budget)."""

    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    workstream = serializers.CharField(read_only=True)
    category = serializers.CharField(read_only=True)
    expense_type = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    amounts = serializers.DictField(child=serializers.CharField(), read_only=True)
    total = serializers.CharField(read_only=True)


class PlanSerializer(serializers.Serializer):
    currency = serializers.CharField()
    view = serializers.ChoiceField(choices=["original", "current"])
    months = serializers.ListField(child=serializers.CharField())
    lines = PlanLineSerializer(many=True)
    totals = serializers.DictField(child=serializers.CharField(), help_text="Per month.")
    total = serializers.CharField()


class PlanLineWriteSerializer(serializers.Serializer):
    amounts = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True),
        help_text='Month -> original planned amount, e.g. {"2026-03": "22800.00"}; months left '
        "out keep their amount; empty or 0 clears a month.",
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


def _line_json(row: selectors.GridRow, months) -> dict[str, Any]:
    line = row.line
    return {
        "key": line.key,
        "name": line.name,
        "workstream": line.workstream.key,
        "category": line.category.name,
        "expense_type": line.category.expense_type,
        "version": line.version,
        "amounts": {month_label(m): money(a) for m, a in zip(months, row.amounts, strict=True)},
        "total": money(row.total),
    }


VIEW = OpenApiParameter(
    "view", OpenApiTypes.STR, enum=["original", "current"],
    description="original (default): the original plan; current: original + approved change "
    "orders.",
)  # fmt: skip


class PlanView(ProgramScopedMixin, ApiView):
    """The time-phased plan: a row per budget line, a column per program month."""

    permission_actions = {"get": "budget.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_plan",
        parameters=[CODE, VIEW, *LINE_FILTERS],
        responses={200: PlanSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED,
                   403: FORBIDDEN, 404: NOT_FOUND},
        tags=["budget structure"],
    )  # fmt: skip
    def get(self, request, code: str):
        current = request.query_params.get("view") == "current"
        filters = line_filters(request, self.program)
        grid = selectors.plan_grid(self.program, current=current, **filters)
        months = grid.months
        return Response(
            {
                "currency": self.program.currency,
                "view": "current" if current else "original",
                "months": [month_label(m) for m in months],
                "lines": [_line_json(r, months) for g in grid.groups for r in g.rows],
                "totals": {
                    month_label(m): money(t) for m, t in zip(months, grid.totals, strict=True)
                },
                "total": money(grid.total),
            }
        )


class PlanLineView(ProgramScopedMixin, VersionedMixin, ApiView):
    """One line's original plan: GET its months, PUT new amounts with the line's version."""

    permission_actions = {"get": "budget.view", "put": "budget.change"}
    filter_backends: list = []

    def answer(self, line: BudgetLine) -> Response:
        return Response(self.serialize_current(line))

    def serialize_current(self, instance) -> dict:
        line = selectors.line_get(program=self.program, key=instance.key)
        row = selectors.plan_line_row(self.program, line)
        return _line_json(row, selectors.program_month_list(self.program))

    @extend_schema(
        operation_id="budgets_plan_line",
        parameters=[CODE, LINE_KEY, ETAG],
        responses={200: PlanLineSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["budget structure"],
    )
    def get(self, request, code: str, key: str):
        return self.answer(selectors.line_get(program=self.program, key=key))

    @extend_schema(
        operation_id="budgets_plan_line_update",
        parameters=[CODE, LINE_KEY, IF_MATCH, ETAG],
        request=PlanLineWriteSerializer,
        responses={
            200: PlanLineSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(PlanLineSerializer),
            428: PRECONDITION_REQUIRED,
        },
        description="All or nothing: one bad amount (negative, not a number, more than two "
        "decimals) or a month outside the program answers 400 with an error per month, and "
        "nothing is saved. The line's version moves on when any month changes.",
        tags=["budget structure"],
    )
    def put(self, request, code: str, key: str):
        line = selectors.line_get(program=self.program, key=key)
        version = self.expected_version()
        serializer = PlanLineWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amounts, errors = {}, {}
        for text, value in serializer.validated_data["amounts"].items():
            try:
                amounts[parse_month(text)] = value
            except ValueError as exc:
                errors[text] = [str(exc)]
        if errors:
            raise serializers.ValidationError(errors)
        line = services.line_plan_set(
            actor=request.user, line=line, amounts=amounts, expected_version=version
        )
        return self.answer(line)
