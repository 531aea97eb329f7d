"""Contracts API, under /api/v1/programs/<code>/vendors/: contracts (CRUD with If-Match), their
status steps, amendments (list and create only: never edited or deleted), payment milestones
and rate cards; and the vendor portal's read-only view of the caller's own contracts.

Money is a decimal string (`"1840000.00"`) with the contract's `currency`. A step the contract's
state does not allow (editing a signed contract's value, amending a draft, deleting a signed
contract) answers 409 with the reason; nothing changes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
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
from core.api.serializers import RowSerializer, UserRefSerializer, format_date, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin
from programs.models import Program
from programs.selectors import member_users

from ..filtersets_contracts import ContractFilterSet
from ..models import (
    Amendment,
    Contract,
    ContractKind,
    ContractStatus,
    ContractType,
    Deliverable,
    PaymentMilestone,
    PaymentMilestoneStatus,
    RateCardEntry,
    RateUnit,
    Vendor,
)
from ..models.common import MAX_MONEY
from ..selectors import contracts as selectors
from ..selectors.portal import portal_vendor_for
from ..services import contracts as services
from ._base import REFUSED, optional_version, refusals_as_409

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The contract's key, e.g. CTR-2."
)
PK = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The row's id.")
VERSION_HELP = "The version you edited (or send If-Match)."
FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in title, PO or vendor."),
    OpenApiParameter("vendor", OpenApiTypes.INT, description="The vendor's id."),
    OpenApiParameter("status", OpenApiTypes.STR, description="draft, active, on_hold, ..."),
    OpenApiParameter(
        "type", OpenApiTypes.STR, description="fixed_price, time_materials, retainer."
    ),
    OpenApiParameter("kind", OpenApiTypes.STR, description="master, sow, order."),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        description="key, title, vendor, status, type, value, invoiced, remaining, burn, end, "
        "start (- for descending).",
    ),
]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def money_field(**kwargs) -> serializers.DecimalField:
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    kwargs.setdefault("max_value", MAX_MONEY)
    kwargs.setdefault("min_value", Decimal("0"))
    return serializers.DecimalField(**kwargs)


# --- contracts ----------------------------------------------------------------------------------


class ContractSerializer(RowSerializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. CTR-2.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    vendor = serializers.CharField(
        source="vendor_key", max_length=16, help_text="The vendor's key, e.g. VND-1."
    )
    vendor_name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=ContractKind.choices, required=False)
    parent = serializers.CharField(
        source="parent_key",
        max_length=16,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The key of the master agreement it sits under, or null.",
    )
    type = serializers.ChoiceField(
        source="contract_type", choices=ContractType.choices, required=False
    )
    value = money_field(help_text="The value as signed, before amendments.")
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="ISO 4217; default: the program's."
    )
    current_value = serializers.DecimalField(
        14, 2, read_only=True, help_text="Value plus every amendment."
    )
    amendment_count = serializers.IntegerField(read_only=True)
    amendments_total = serializers.DecimalField(14, 2, read_only=True)
    invoiced = serializers.DecimalField(14, 2, read_only=True)
    remaining = serializers.DecimalField(
        14, 2, read_only=True, help_text="Value + amendments - invoiced."
    )
    milestones_total = serializers.DecimalField(14, 2, read_only=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="The end as signed.")
    current_end_date = serializers.DateField(read_only=True, help_text="The end after amendments.")
    po_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=ContractStatus.choices,
        required=False,
        help_text="On create: draft (default) or active (then signed_on is needed). Afterwards "
        "read-only: use status/.",
    )
    signed_on = serializers.DateField(required=False, allow_null=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    owner_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, min_value=1, help_text="A member."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    row_fields = (
        "id", "key", "title", "description", "vendor__key", "vendor__name", "kind",
        "parent__key", "contract_type", "value", "currency", "current_value", "amendment_count",
        "amendment_total", "invoiced", "remaining", "milestone_total", "start_date", "end_date",
        "current_end_date", "po_number", "status", "signed_on", "owner_id", "owner__full_name",
        "version", "created_at", "updated_at",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program: Program = self.context["program"]
        attrs.pop("version", None)
        creating = self.instance is None
        if "status" in attrs:
            if not creating:
                raise serializers.ValidationError({"status": ["Change the status with status/."]})
            if attrs["status"] not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
                raise serializers.ValidationError(
                    {"status": ["A new contract is a draft or active."]}
                )
            if attrs["status"] == ContractStatus.ACTIVE and not attrs.get("signed_on"):
                raise serializers.ValidationError(
                    {"signed_on": ["An active contract needs the date it was signed."]}
                )
        if "vendor_key" in attrs:
            key = attrs.pop("vendor_key").strip().upper()
            vendor = Vendor.objects.filter(program=program, key=key).first()
            if vendor is None:
                raise serializers.ValidationError(
                    {"vendor": [f"There is no vendor {key} in {program.code}."]}
                )
            attrs["vendor"] = vendor
        if "parent_key" in attrs:
            key = (attrs.pop("parent_key") or "").strip().upper()
            parent = None
            if key:
                parent = Contract.objects.filter(program=program, key=key).first()
                if parent is None:
                    raise serializers.ValidationError(
                        {"parent": [f"There is no contract {key} in {program.code}."]}
                    )
            attrs["parent"] = parent
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
        if "currency" in attrs:
            attrs["currency"] = attrs["currency"].upper()
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": r["key"],
            "title": r["title"],
            "description": r["description"],
            "vendor": r["vendor__key"],
            "vendor_name": r["vendor__name"],
            "kind": r["kind"],
            "parent": r["parent__key"],
            "type": r["contract_type"],
            "value": _money(r["value"]),
            "currency": r["currency"],
            "current_value": _money(r["current_value"]),
            "amendment_count": r["amendment_count"],
            "amendments_total": _money(r["amendment_total"]),
            "invoiced": _money(r["invoiced"]),
            "remaining": _money(r["remaining"]),
            "milestones_total": _money(r["milestone_total"]),
            "start_date": format_date(r["start_date"]),
            "end_date": format_date(r["end_date"]),
            "current_end_date": format_date(r["current_end_date"]),
            "po_number": r["po_number"],
            "status": r["status"],
            "signed_on": format_date(r["signed_on"]),
            "owner": user_ref(r["owner_id"], r["owner__full_name"]),
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class ContractScopedMixin(ProgramScopedMixin):
    def contract(self) -> Contract:
        return selectors.contract_for_update(program=self.program, key=self.kwargs["key"])

    def contract_row(self, key: str) -> dict:
        rows = selectors.contract_list(program=self.program).filter(key=key)
        row = rows.values(*ContractSerializer.row_fields).first()
        if row is None:
            raise Http404(f"No contract {key}")
        return row

    def answer(self, contract: Contract, status_code: int = 200) -> Response:
        return Response(
            ContractSerializer(self.contract_row(contract.key)).data, status=status_code
        )

    def serialize_current(self, instance) -> dict:
        if isinstance(instance, Contract):
            return ContractSerializer(self.contract_row(instance.key)).data
        return self.get_serializer(instance).data


@extend_schema_view(
    list=list_schema(ContractSerializer, parameters=[CODE, *FILTERS]),
    create=create_schema(
        ContractSerializer,
        parameters=[CODE],
        description="Records a contract: a draft (default), or an active one with `signed_on`.",
    ),
    retrieve=retrieve_schema(ContractSerializer, parameters=[CODE, KEY]),
    update=update_schema(ContractSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(
        ContractSerializer,
        parameters=[CODE, KEY],
        description="A signed contract keeps its value, currency, vendor and dates (409): "
        "record an amendment instead. A draft changes freely.",
    ),
    destroy=destroy_schema(
        ContractSerializer,
        parameters=[CODE, KEY],
        description="Only a draft without amendments, deliverables or SOWs can be deleted (409 "
        "otherwise).",
    ),
)
@extend_schema(tags=["contracts"])
class ContractViewSet(ContractScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The program's contracts and SOWs, with remaining value = value + amendments - invoiced."""

    service_target = "contract"
    permission_actions = {
        "list": "contract.view",
        "retrieve": "contract.view",
        "create": "contract.change",
        "update": "contract.change",
        "partial_update": "contract.change",
        "destroy": "contract.change",
    }
    queryset = Contract.objects.none()
    serializer_class = ContractSerializer
    filterset_class = ContractFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        return selectors.contract_list(program=self.program)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.values(*ContractSerializer.row_fields))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self):
        return self.contract()

    def create_service(self, **kwargs):
        kwargs.setdefault("owner", kwargs["actor"])
        return services.contract_create(**kwargs)

    def update_service(self, **kwargs):
        return services.contract_update(**kwargs)

    def delete_service(self, **kwargs):
        services.contract_delete(**kwargs)


class ContractStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ContractStatus.choices)
    signed_on = serializers.DateField(
        required=False, allow_null=True, help_text="Needed to activate a draft."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class ContractStatusView(ContractScopedMixin, VersionedMixin, ApiView):
    """Move a contract: draft -> active <-> on_hold -> completed / terminated."""

    permission_actions = {"post": "contract.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="vendors_contract_status",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=ContractStatusSerializer,
        responses={
            200: ContractSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(ContractSerializer),
        },
        description="Activating a draft needs `signed_on`; completing needs every deliverable "
        "accepted or withdrawn; completed and terminated contracts do not reopen (409).",
        tags=["contracts"],
    )
    def post(self, request, code: str, key: str):
        contract = self.contract()
        version = optional_version(request)
        serializer = ContractStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with refusals_as_409():
            contract = services.contract_set_status(
                actor=request.user,
                contract=contract,
                status=data["status"],
                signed_on=data.get("signed_on"),
                expected_version=version,
            )
        return self.answer(contract)


# --- amendments ---------------------------------------------------------------------------------


class AmendmentSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True, help_text="A1, A2 ... within the contract.")
    sequence = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=200)
    reason = serializers.CharField()
    value_change = money_field(
        min_value=-MAX_MONEY, required=False, help_text="Negative to reduce the value."
    )
    new_end_date = serializers.DateField(required=False, allow_null=True)
    effective_on = serializers.DateField()
    change_request = serializers.CharField(
        max_length=16,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The key of the approved or implemented change request that caused it.",
    )
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The contract's version you based it on."
    )

    row_fields = (
        "id", "sequence", "title", "reason", "value_change", "new_end_date", "effective_on",
        "change_request__key", "created_by_id", "created_by__full_name", "created_at",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        key = (attrs.pop("change_request", None) or "").strip().upper()
        if key:
            from governance.models import ChangeRequest

            program = self.context["program"]
            cr = ChangeRequest.objects.filter(program=program, key=key).first()
            if cr is None:
                raise serializers.ValidationError(
                    {"change_request": [f"There is no change request {key} in {program.code}."]}
                )
            attrs["change_request"] = cr
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": r["id"],
            "label": f"A{r['sequence']}",
            "sequence": r["sequence"],
            "title": r["title"],
            "reason": r["reason"],
            "value_change": _money(r["value_change"]),
            "new_end_date": format_date(r["new_end_date"]),
            "effective_on": format_date(r["effective_on"]),
            "change_request": r["change_request__key"],
            "created_by": user_ref(r["created_by_id"], r["created_by__full_name"]),
            "created_at": self.format_datetime(r["created_at"]),
        }


@extend_schema_view(
    list=list_schema(AmendmentSerializer, parameters=[CODE, KEY]),
    create=extend_schema(
        parameters=[CODE, KEY, IF_MATCH],
        request=AmendmentSerializer,
        responses={
            201: AmendmentSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(ContractSerializer),
        },
        description="Records amendment A<n> and moves the contract's current value and end. "
        "A value below zero, below the milestones or below what was invoiced is refused (400); "
        "a draft or closed contract is not amended (409). If-Match (the contract's ETag) is "
        "optional: when sent, an amendment based on stale figures answers 412.",
    ),
)
@extend_schema(tags=["contracts"])
class AmendmentViewSet(ContractScopedMixin, VersionedMixin, ApiViewSet):
    """A contract's amendments, in order. Recorded once, never edited or deleted."""

    permission_actions = {"list": "contract.view", "create": "contract.change"}
    queryset = Amendment.objects.none()
    serializer_class = AmendmentSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.amendment_list(contract=self.contract())

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset().values(*AmendmentSerializer.row_fields))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        contract = self.contract()
        version = optional_version(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            amendment = services.amendment_create(
                actor=request.user,
                contract=contract,
                expected_version=version,
                **serializer.validated_data,
            )
        row = selectors.amendment_list(contract=contract).filter(pk=amendment.pk)
        data = AmendmentSerializer(row.values(*AmendmentSerializer.row_fields).get()).data
        return Response(data, status=status.HTTP_201_CREATED)


# --- payment milestones and rate cards ----------------------------------------------------------


class MilestoneSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=200)
    due_date = serializers.DateField()
    amount = money_field()
    status = serializers.ChoiceField(choices=PaymentMilestoneStatus.choices, required=False)
    deliverable = serializers.CharField(
        max_length=16,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The key of a deliverable of this contract whose acceptance triggers payment.",
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    row_fields = ("id", "title", "due_date", "amount", "status", "deliverable__key", "version")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "deliverable" in attrs:
            key = (attrs.pop("deliverable") or "").strip().upper()
            deliverable = None
            if key:
                contract = self.context["contract"]
                deliverable = Deliverable.objects.filter(contract=contract, key=key).first()
                if deliverable is None:
                    raise serializers.ValidationError(
                        {"deliverable": [f"{contract.key} has no deliverable {key}."]}
                    )
            attrs["deliverable"] = deliverable
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": r["id"],
            "title": r["title"],
            "due_date": format_date(r["due_date"]),
            "amount": _money(r["amount"]),
            "status": r["status"],
            "deliverable": r["deliverable__key"],
            "version": r["version"],
        }


class RateSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    role = serializers.CharField(max_length=120)
    rate = money_field()
    unit = serializers.ChoiceField(choices=RateUnit.choices)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    row_fields = ("id", "role", "rate", "unit", "version")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": r["id"],
            "role": r["role"],
            "rate": _money(r["rate"]),
            "unit": r["unit"],
            "version": r["version"],
        }


class ContractPartViewSet(ContractScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Shared by milestones and rate-card lines: rows of one contract, edited with If-Match
    (created under the contract rather than the program)."""

    pagination_class = StandardPagination
    filter_backends: list = []
    permission_actions = {
        "list": "contract.view",
        "retrieve": "contract.view",
        "create": "contract.change",
        "update": "contract.change",
        "partial_update": "contract.change",
        "destroy": "contract.change",
    }
    model: type

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if "key" in self.kwargs and getattr(self, "_access", None) is not None:
            context["contract"] = self._contract()
        return context

    def _contract(self) -> Contract:
        if not hasattr(self, "_contract_row"):
            self._contract_row = self.contract()
        return self._contract_row

    def rows(self):
        return self.model.objects.filter(contract=self._contract())

    def get_object(self):
        return get_object_or_404(self.rows().select_related("contract"), pk=self.kwargs["pk"])

    def row_answer(self, row, status_code=200) -> Response:
        serializer_class = self.get_serializer_class()
        data = self.rows().filter(pk=row.pk).values(*serializer_class.row_fields).get()
        return Response(serializer_class(data).data, status=status_code)

    def serialize_current(self, instance) -> dict:
        serializer_class = self.get_serializer_class()
        data = self.rows().filter(pk=instance.pk).values(*serializer_class.row_fields).get()
        return serializer_class(data).data

    def list(self, request, *args, **kwargs):
        fields = self.get_serializer_class().row_fields
        page = self.paginate_queryset(self.ordered(self.rows()).values(*fields))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def ordered(self, queryset):
        return queryset

    def retrieve(self, request, *args, **kwargs):
        return self.row_answer(self.get_object())

    def create(self, request, *args, **kwargs):
        contract = self._contract()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            row = self.create_service(
                actor=request.user, contract=contract, **serializer.validated_data
            )
        return self.row_answer(row, status.HTTP_201_CREATED)


def _part_schema(serializer_class, what: str, rules: str):
    params = [CODE, KEY]
    return extend_schema_view(
        list=list_schema(serializer_class, parameters=params),
        create=create_schema(serializer_class, parameters=params, description=rules),
        retrieve=retrieve_schema(serializer_class, parameters=[*params, PK]),
        update=update_schema(serializer_class, parameters=[*params, PK], description=rules),
        partial_update=update_schema(serializer_class, parameters=[*params, PK], description=rules),
        destroy=destroy_schema(
            serializer_class, parameters=[*params, PK], description=f"Removes the {what}."
        ),
    )


@_part_schema(
    MilestoneSerializer,
    "payment milestone",
    "All milestones together may not exceed the contract's current value (400). An invoiced "
    "or paid milestone keeps its amount and is not deleted; a closed contract's plan is fixed "
    "except for milestone statuses (409).",
)
@extend_schema(tags=["contracts"])
class MilestoneViewSet(ContractPartViewSet):
    """A contract's payment milestones."""

    queryset = PaymentMilestone.objects.none()
    serializer_class = MilestoneSerializer
    model = PaymentMilestone
    service_target = "milestone"

    def ordered(self, queryset):
        return queryset.order_by("due_date", "id")

    def create_service(self, **kwargs):
        return services.milestone_create(**kwargs)

    def update_service(self, **kwargs):
        return services.milestone_update(**kwargs)

    def delete_service(self, **kwargs):
        return services.milestone_delete(**kwargs)


@_part_schema(
    RateSerializer,
    "rate-card line",
    "One line per role and unit (400 for a second one); a closed contract's rate card is "
    "fixed (409).",
)
@extend_schema(tags=["contracts"])
class RateViewSet(ContractPartViewSet):
    """A contract's rate card: roles, their rates and units."""

    queryset = RateCardEntry.objects.none()
    serializer_class = RateSerializer
    model = RateCardEntry
    service_target = "entry"

    def ordered(self, queryset):
        return queryset.order_by("role", "unit")

    def create_service(self, **kwargs):
        return services.rate_create(**kwargs)

    def update_service(self, **kwargs):
        return services.rate_update(**kwargs)

    def delete_service(self, **kwargs):
        return services.rate_delete(**kwargs)


# --- the vendor portal --------------------------------------------------------------------------


class PortalContractDetailSerializer(ContractSerializer):
    """A contract as its vendor sees it, with amendments, milestones and rate card."""

    amendments = AmendmentSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    rates = RateSerializer(many=True, read_only=True)

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        data = super().represent_row(r)
        data["owner"] = None  # who manages the contract inside the program is internal
        for name in ("amendments", "milestones", "rates"):
            data[name] = r.get(name, [])
        return data


class PortalScopedMixin(ProgramScopedMixin):
    """The vendor-role caller's one bound vendor; everything is filtered by it."""

    def vendor(self) -> Vendor:
        vendor = portal_vendor_for(program=self.program, user=self.request.user)
        if vendor is None:
            raise PermissionDenied(
                "Your account is not linked to a vendor yet. Ask the program manager to link it."
            )
        return vendor


@extend_schema_view(
    list=list_schema(
        ContractSerializer,
        parameters=[CODE],
        description="Your company's signed contracts (the vendor portal; read-only).",
    ),
    retrieve=retrieve_schema(
        PortalContractDetailSerializer,
        parameters=[CODE, KEY],
        description="One of your contracts with its amendments, payment milestones and rate "
        "card. Another vendor's key answers 404.",
    ),
)
@extend_schema(tags=["vendor portal"])
class PortalContractViewSet(PortalScopedMixin, ApiViewSet):
    """The vendor portal's contracts: only the caller's own vendor's, never drafts."""

    permission_actions = {"list": "portal.view", "retrieve": "portal.view"}
    queryset = Contract.objects.none()
    serializer_class = ContractSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        rows = selectors.contracts_for_vendor(vendor=self.vendor())
        page = self.paginate_queryset(rows.values(*ContractSerializer.row_fields))
        data = ContractSerializer(page, many=True).data
        for row in data:
            row["owner"] = None  # who manages the contract inside the program is internal
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        contract = selectors.portal_contract_get(vendor=self.vendor(), key=self.kwargs["key"])
        row = (
            selectors.contracts_for_vendor(vendor=self.vendor())
            .filter(pk=contract.pk)
            .values(*ContractSerializer.row_fields)
            .get()
        )
        row["amendments"] = AmendmentSerializer(
            selectors.amendment_list(contract=contract).values(*AmendmentSerializer.row_fields),
            many=True,
        ).data
        for amendment in row["amendments"]:
            amendment["change_request"] = None  # internal change control
            amendment["created_by"] = None
        row["milestones"] = MilestoneSerializer(
            selectors.milestone_list(contract=contract).values(*MilestoneSerializer.row_fields),
            many=True,
        ).data
        row["rates"] = RateSerializer(
            selectors.rate_list(contract=contract).values(*RateSerializer.row_fields), many=True
        ).data
        return Response(PortalContractDetailSerializer(row).data)
