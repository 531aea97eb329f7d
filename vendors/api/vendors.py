"""Vendor register API, under /api/v1/programs/<code>/vendors/: vendors (CRUD with If-Match; the
status moves by the register's rules), their contacts, checklist steps (with complete and
reopen), history and offboarding; categories; portal users; and `portal/me/`, the vendor a
portal user is bound to.

A step the vendor's state does not allow (deleting an active vendor, activating with open
onboarding steps without an override, completing a completed step) answers 409 with the reason;
nothing changes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
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
from core.api.views import ApiView, ApiViewSet, RowListMixin
from core.models import User
from programs.api.serializers import ActivitySerializer
from programs.api.views import ProgramScopedMixin

from ..forms.vendors import internal_members
from ..models import (
    ChecklistItem,
    ChecklistKind,
    PortalUser,
    Vendor,
    VendorCategory,
    VendorContact,
    VendorStatus,
)
from ..selectors import vendors as selectors
from ..selectors.portal import portal_vendor_for
from ..services import vendors as services
from ._base import REFUSED, optional_version, refusals_as_409

MAX_ID = 2**63 - 1
CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The vendor's key, e.g. VND-1."
)
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The row's id.")
VERSION_HELP = "The version you edited (or send If-Match)."
VENDOR_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in name, legal entity, "
                     "registration number, notes or a contact's name or e-mail."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=VendorStatus.values),
    OpenApiParameter("category", OpenApiTypes.INT, description="A category's id."),
    OpenApiParameter("owner", OpenApiTypes.INT, description="The relationship owner's user id."),
    OpenApiParameter("attention", OpenApiTypes.STR, enum=["open", "overdue"],
                     description="Vendors with open, or overdue, checklist steps."),
    OpenApiParameter("sort", OpenApiTypes.STR, description="name, key, status, value, open or "
                     "updated; prefix - for descending."),
]  # fmt: skip


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal('0')):.2f}"


def _member(program, user_id: int | None, field: str):
    """An internal member of the program by id (None for None), or a 400 on `field`."""
    if user_id is None:
        return None
    user = internal_members(program).filter(pk=user_id).first()
    if user is None:
        raise serializers.ValidationError(
            {field: [f"User {user_id} is not an internal member of {program.code}."]}
        )
    return user


# --- serializers ---------------------------------------------------------------------------------


class VendorCategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PrimaryContactSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)


class VendorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. VND-3.")
    name = serializers.CharField(max_length=200)
    legal_entity = serializers.CharField(max_length=300, required=False, allow_blank=True)
    registration_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=VendorStatus.choices,
        required=False,
        help_text="On create any of prospect, onboarding, active (default prospect). On update "
        "the life cycle rules apply: prospect → onboarding → active ⇄ suspended → offboarded "
        "(409 with the reason when not allowed).",
    )
    status_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Why it is in this status: required to suspend and to override open "
        "onboarding steps.",
    )
    override_open_items = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Activate although onboarding steps are open (needs `status_reason`).",
    )
    status_changed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    relationship_owner = UserRefSerializer(read_only=True, allow_null=True)
    relationship_owner_id = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="An internal member's user id, or null.",
    )
    categories = VendorCategoryRefSerializer(many=True, read_only=True)
    category_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        write_only=True,
        required=False,
        help_text="The ids of the vendor's categories (replaces them all).",
    )
    website = serializers.URLField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    primary_contact = PrimaryContactSerializer(read_only=True, allow_null=True)
    contract_count = serializers.IntegerField(read_only=True)
    active_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="Current value of its active contracts, in the program's currency.",
    )
    open_items = serializers.IntegerField(read_only=True, help_text="Open checklist steps.")
    overdue_items = serializers.IntegerField(
        read_only=True, help_text="Open checklist steps past their due date."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        attrs.pop("version", None)
        if "relationship_owner_id" in attrs:
            attrs["relationship_owner"] = _member(
                program, attrs.pop("relationship_owner_id"), "relationship_owner_id"
            )
        if "category_ids" in attrs:
            ids = set(attrs.pop("category_ids"))
            found = list(VendorCategory.objects.filter(program=program, pk__in=ids))
            missing = sorted(ids - {c.pk for c in found})
            if missing:
                raise serializers.ValidationError(
                    {"category_ids": [f"No category {', '.join(map(str, missing))} here."]}
                )
            attrs["categories"] = found
        if self.instance is None:
            attrs.pop("override_open_items", None)
            if attrs.get("status", VendorStatus.PROSPECT) not in (
                VendorStatus.PROSPECT,
                VendorStatus.ONBOARDING,
                VendorStatus.ACTIVE,
            ):
                raise serializers.ValidationError(
                    {"status": ["A new vendor is a prospect, in onboarding or active."]}
                )
        return attrs

    def to_representation(self, v: Vendor) -> dict[str, Any]:
        owner = v.relationship_owner
        primary = getattr(v, "primary_contact_name", None)
        return {
            "id": v.pk,
            "key": v.key,
            "name": v.name,
            "legal_entity": v.legal_entity,
            "registration_number": v.registration_number,
            "status": v.status,
            "status_reason": v.status_reason,
            "status_changed_at": format_datetime(v.status_changed_at),
            "relationship_owner": user_ref(owner.pk, owner.full_name) if owner else None,
            "categories": [{"id": c.pk, "name": c.name} for c in v.categories.all()],
            "website": v.website,
            "address": v.address,
            "notes": v.notes,
            "primary_contact": (
                {"name": primary, "email": v.primary_contact_email or ""} if primary else None
            ),
            "contract_count": v.contract_count,
            "active_value": _money(v.active_value),
            "open_items": v.open_items,
            "overdue_items": v.overdue_items,
            "version": v.version,
            "created_at": format_datetime(v.created_at),
            "updated_at": format_datetime(v.updated_at),
        }


class VendorContactSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    role = serializers.CharField(max_length=120, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(
        required=False,
        help_text="The one contact to call first; the vendor's first contact always is. Making "
        "another primary makes the previous one an ordinary contact.",
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        return attrs

    def to_representation(self, c: VendorContact) -> dict[str, Any]:
        return {
            "id": c.pk,
            "name": c.name,
            "role": c.role,
            "email": c.email,
            "phone": c.phone,
            "is_primary": c.is_primary,
            "version": c.version,
        }


class VendorChecklistItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(
        choices=ChecklistKind.choices, help_text="Which checklist (not changed after creation)."
    )
    title = serializers.CharField(max_length=200)
    position = serializers.IntegerField(
        required=False, min_value=0, max_value=32767, help_text="Order within the checklist."
    )
    owner = UserRefSerializer(read_only=True, allow_null=True)
    owner_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    due_date = serializers.DateField(required=False, allow_null=True)
    done = serializers.BooleanField(read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    completed_on = serializers.DateField(read_only=True, allow_null=True)
    completed_by = UserRefSerializer(read_only=True, allow_null=True)
    evidence = serializers.CharField(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "owner_id" in attrs:
            attrs["owner"] = _member(self.context["program"], attrs.pop("owner_id"), "owner_id")
        if self.instance is not None:
            attrs.pop("kind", None)
        elif "position" in attrs:
            attrs.pop("position")  # a new step goes at the end
        return attrs

    def to_representation(self, i: ChecklistItem) -> dict[str, Any]:
        done = i.completed_on is not None
        return {
            "id": i.pk,
            "kind": i.kind,
            "title": i.title,
            "position": i.position,
            "owner": user_ref(i.owner_id, i.owner.full_name) if i.owner_id else None,
            "due_date": format_date(i.due_date),
            "done": done,
            "overdue": bool(
                not done and i.due_date is not None and i.due_date < timezone.localdate()
            ),
            "completed_on": format_date(i.completed_on),
            "completed_by": (
                user_ref(i.completed_by_id, i.completed_by.full_name) if i.completed_by_id else None
            ),
            "evidence": i.evidence,
            "version": i.version,
        }


class ChecklistCompleteSerializer(serializers.Serializer):
    evidence = serializers.CharField(
        max_length=2000, help_text="What shows it was done, e.g. 'NDA signed 3 Mar, DMS 4411'."
    )
    completed_on = serializers.DateField(
        required=False, allow_null=True, help_text="Default today; not in the future."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class ChecklistReopenSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class OffboardingSerializer(serializers.Serializer):
    owner_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="Who owns the steps (default: the relationship owner).",
    )
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: in 30 days."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class VendorCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=80)
    vendor_count = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def to_representation(self, c: VendorCategory) -> dict[str, Any]:
        return {
            "id": c.pk,
            "name": c.name,
            "vendor_count": getattr(c, "vendor_count", 0),
            "version": c.version,
        }


class PortalBindingVendorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class VendorPortalUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    user = UserRefSerializer(read_only=True)
    email = serializers.EmailField(read_only=True)
    vendor = PortalBindingVendorSerializer(read_only=True)
    user_id = serializers.IntegerField(
        write_only=True, min_value=1, max_value=MAX_ID, help_text="A vendor-role member's id."
    )
    vendor_key = serializers.CharField(
        write_only=True, max_length=16, help_text="The vendor's key, e.g. VND-1."
    )
    version = serializers.IntegerField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        user = User.objects.filter(pk=attrs.pop("user_id"), memberships__program=program).first()
        if user is None:
            raise serializers.ValidationError({"user_id": [f"Not a member of {program.code}."]})
        key = attrs.pop("vendor_key").strip().upper()
        vendor = Vendor.objects.filter(program=program, key=key).first()
        if vendor is None:
            raise serializers.ValidationError({"vendor_key": [f"No vendor {key} here."]})
        return {"user": user, "vendor": vendor}

    def to_representation(self, b: PortalUser) -> dict[str, Any]:
        user = b.membership.user
        return {
            "id": b.pk,
            "user": user_ref(user.pk, user.full_name),
            "email": user.email,
            "vendor": {"id": b.vendor.pk, "key": b.vendor.key, "name": b.vendor.name},
            "version": b.version,
        }


class PortalVendorSerializer(serializers.Serializer):
    """The vendor a portal user is bound to, as the vendor sees itself."""

    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    legal_entity = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=VendorStatus.choices, read_only=True)
    relationship_owner = UserRefSerializer(read_only=True, allow_null=True)
    currency = serializers.CharField(read_only=True, help_text="The program's currency.")

    def to_representation(self, v: Vendor) -> dict[str, Any]:
        owner = v.relationship_owner
        return {
            "id": v.pk,
            "key": v.key,
            "name": v.name,
            "legal_entity": v.legal_entity,
            "status": v.status,
            "relationship_owner": user_ref(owner.pk, owner.full_name) if owner else None,
            "currency": v.program.currency,
        }


# --- vendors -------------------------------------------------------------------------------------


class VendorScopedMixin(ProgramScopedMixin):
    """The vendor named by `{key}` in the program (404 otherwise), looked up once."""

    def vendor(self) -> Vendor:
        cached = getattr(self, "_vendor", None)
        if cached is None:
            cached = self._vendor = selectors.vendor_get(
                program=self.program, key=self.kwargs["key"]
            )
        return cached


def _vendor_answer(program, vendor: Vendor) -> Vendor:
    return selectors.vendor_get(program=program, key=vendor.key)


@extend_schema_view(
    list=list_schema(
        VendorSerializer,
        parameters=[CODE, *VENDOR_FILTERS],
        description="The program's vendors with their counts (paginated; `page_size` up to 500).",
    ),
    create=create_schema(
        VendorSerializer,
        parameters=[CODE],
        description="A vendor created in onboarding gets the default onboarding checklist.",
    ),
    retrieve=retrieve_schema(VendorSerializer, parameters=[CODE, KEY]),
    update=update_schema(VendorSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(
        VendorSerializer,
        parameters=[CODE, KEY],
        description="A status change that the rules refuse answers 409 with the reason.",
    ),
    destroy=destroy_schema(
        VendorSerializer,
        parameters=[CODE, KEY],
        description="Only a prospect with nothing attached; otherwise 409 with the reason.",
    ),
)
@extend_schema(tags=["vendors"])
class VendorViewSet(VendorScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The program's vendors, from prospect to offboarded."""

    service_target = "vendor"
    permission_actions = {
        "list": "vendor.view",
        "retrieve": "vendor.view",
        "create": "vendor.change",
        "update": "vendor.change",
        "partial_update": "vendor.change",
        "destroy": "vendor.delete",
    }
    queryset = Vendor.objects.none()
    serializer_class = VendorSerializer
    filterset_class = selectors.VendorFilterSet

    def get_queryset(self):
        return selectors.vendor_list(program=self.program)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.vendor()).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vendor = services.vendor_create(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        data = self.get_serializer(_vendor_answer(self.program, vendor)).data
        return Response(data, status=status.HTTP_201_CREATED)

    def get_object(self):
        return self.vendor()

    def serialize_current(self, instance) -> dict[str, Any]:
        return self.get_serializer(_vendor_answer(self.program, instance)).data

    def update_service(self, **kwargs):
        return services.vendor_update(**kwargs)

    def delete_service(self, **kwargs):
        services.vendor_delete(**kwargs)


@extend_schema_view(list=list_schema(ActivitySerializer, parameters=[CODE, KEY]))
@extend_schema(tags=["vendors"])
class VendorHistoryViewSet(VendorScopedMixin, RowListMixin, ApiViewSet):
    """Every change of the vendor and of its contacts, checklist steps and portal users."""

    permission_actions = {"list": "vendor.view"}
    serializer_class = ActivitySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.vendor_history(vendor=self.vendor())


class VendorOffboardingView(VendorScopedMixin, ApiView):
    """Start offboarding: the default offboarding checklist is created."""

    permission_actions = {"post": "vendor.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="vendors_vendor_offboarding_start",
        parameters=[CODE, KEY, IF_MATCH],
        request=OffboardingSerializer,
        responses={
            201: VendorChecklistItemSerializer(many=True),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(VendorSerializer),
        },
        description="Creates the offboarding steps (access removed, assets returned, knowledge "
        "transfer completed, final invoice settled). 409 when offboarding already started or "
        "the vendor is a prospect or offboarded.",
        tags=["vendors"],
    )
    def post(self, request, code: str, key: str):
        vendor = self.vendor()
        version = optional_version(request)
        serializer = OffboardingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        owner = _member(self.program, data.get("owner_id"), "owner_id")
        with refusals_as_409():
            items = services.vendor_start_offboarding(
                actor=request.user,
                vendor=vendor,
                expected_version=version,
                owner=owner,
                due_date=data.get("due_date"),
            )
        rows = selectors.checklist_items(vendor=vendor).filter(pk__in=[i.pk for i in items])
        return Response(
            VendorChecklistItemSerializer(rows, many=True).data, status=status.HTTP_201_CREATED
        )

    def serialize_current(self, instance) -> dict[str, Any]:
        return VendorSerializer(_vendor_answer(self.program, instance)).data


# --- contacts ------------------------------------------------------------------------------------


@extend_schema_view(
    list=list_schema(VendorContactSerializer, parameters=[CODE, KEY]),
    create=create_schema(VendorContactSerializer, parameters=[CODE, KEY]),
    retrieve=retrieve_schema(VendorContactSerializer, parameters=[CODE, KEY, ID]),
    update=update_schema(VendorContactSerializer, parameters=[CODE, KEY, ID]),
    partial_update=update_schema(VendorContactSerializer, parameters=[CODE, KEY, ID]),
    destroy=destroy_schema(
        VendorContactSerializer,
        parameters=[CODE, KEY, ID],
        description="Removing the primary contact makes the next one (by name) primary.",
    ),
)
@extend_schema(tags=["vendors"])
class VendorContactViewSet(VendorScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The vendor's contacts; exactly one is primary once there is any."""

    service_target = "contact"
    permission_actions = {
        "list": "vendor.view",
        "retrieve": "vendor.view",
        "create": "vendor.change",
        "update": "vendor.change",
        "partial_update": "vendor.change",
        "destroy": "vendor.change",
    }
    queryset = VendorContact.objects.none()
    serializer_class = VendorContactSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.contact_list(vendor=self.vendor())

    def get_object(self) -> VendorContact:
        return selectors.contact_get(vendor=self.vendor(), pk=self.kwargs["id"])

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = services.contact_create(
            actor=request.user, vendor=self.vendor(), **serializer.validated_data
        )
        return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)

    def update_service(self, **kwargs):
        return services.contact_update(**kwargs)

    def delete_service(self, **kwargs):
        services.contact_delete(**kwargs)


# --- checklists ----------------------------------------------------------------------------------


@extend_schema_view(
    list=list_schema(
        VendorChecklistItemSerializer,
        parameters=[
            CODE,
            KEY,
            OpenApiParameter("kind", OpenApiTypes.STR, enum=ChecklistKind.values),
        ],
    ),
    create=create_schema(
        VendorChecklistItemSerializer,
        parameters=[CODE, KEY],
        description="A step at the end of its checklist; 409 for an offboarded vendor.",
    ),
    retrieve=retrieve_schema(VendorChecklistItemSerializer, parameters=[CODE, KEY, ID]),
    update=update_schema(VendorChecklistItemSerializer, parameters=[CODE, KEY, ID]),
    partial_update=update_schema(VendorChecklistItemSerializer, parameters=[CODE, KEY, ID]),
    destroy=destroy_schema(
        VendorChecklistItemSerializer,
        parameters=[CODE, KEY, ID],
        description="Only an open step (409 for a completed one: reopen it first).",
    ),
)
@extend_schema(tags=["vendors"])
class VendorChecklistViewSet(VendorScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The vendor's onboarding and offboarding steps. Completion has its own endpoints."""

    service_target = "item"
    permission_actions = {
        "list": "vendor.view",
        "retrieve": "vendor.view",
        "create": "vendor.change",
        "update": "vendor.change",
        "partial_update": "vendor.change",
        "destroy": "vendor.change",
    }
    queryset = ChecklistItem.objects.none()
    serializer_class = VendorChecklistItemSerializer
    filter_backends: list = []

    def get_queryset(self):
        rows = selectors.checklist_items(vendor=self.vendor())
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in ChecklistKind.values:
                raise serializers.ValidationError(
                    {"kind": [f"One of {', '.join(ChecklistKind.values)}."]}
                )
            rows = rows.filter(kind=kind)
        return rows

    def get_object(self) -> ChecklistItem:
        return selectors.checklist_item_get(vendor=self.vendor(), pk=self.kwargs["id"])

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            item = services.checklist_item_create(
                actor=request.user, vendor=self.vendor(), **serializer.validated_data
            )
        return Response(self.get_serializer(self.answer(item)).data, status=status.HTTP_201_CREATED)

    def answer(self, item: ChecklistItem) -> ChecklistItem:
        return selectors.checklist_item_get(vendor=self.vendor(), pk=item.pk)

    def serialize_current(self, instance) -> dict:
        return self.get_serializer(self.answer(instance)).data

    def update_service(self, **kwargs):
        return services.checklist_item_update(**kwargs)

    def delete_service(self, **kwargs):
        services.checklist_item_delete(**kwargs)


def _step_schema(operation_id: str, request, description: str):
    return extend_schema(
        operation_id=operation_id,
        parameters=[CODE, KEY, ID, IF_MATCH, ETAG],
        request=request,
        responses={
            200: VendorChecklistItemSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(VendorChecklistItemSerializer),
        },
        description=description,
        tags=["vendors"],
    )


class _ChecklistStepView(VendorScopedMixin, VersionedMixin, ApiView):
    permission_actions = {"post": "vendor.change"}
    filter_backends: list = []

    def item(self) -> ChecklistItem:
        return selectors.checklist_item_get(vendor=self.vendor(), pk=self.kwargs["id"])

    def serialize_current(self, instance) -> dict[str, Any]:
        return VendorChecklistItemSerializer(self.item()).data


class VendorChecklistCompleteView(_ChecklistStepView):
    """Mark a step done with its evidence."""

    @_step_schema(
        "vendors_checklist_item_complete",
        ChecklistCompleteSerializer,
        "Records who and when; the evidence is required. 409 when it is already done or the "
        "vendor is offboarded. The version is optional (checked when sent).",
    )
    def post(self, request, code: str, key: str, id: int):
        item = self.item()
        version = optional_version(request)
        serializer = ChecklistCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            services.checklist_item_complete(
                actor=request.user,
                item=item,
                evidence=serializer.validated_data["evidence"],
                completed_on=serializer.validated_data.get("completed_on"),
                expected_version=version,
            )
        return Response(VendorChecklistItemSerializer(self.item()).data)


class VendorChecklistReopenView(_ChecklistStepView):
    """Undo a completion recorded in error (the history keeps its evidence)."""

    @_step_schema(
        "vendors_checklist_item_reopen",
        ChecklistReopenSerializer,
        "409 when the step is not done or the vendor is offboarded.",
    )
    def post(self, request, code: str, key: str, id: int):
        item = self.item()
        version = optional_version(request)
        with refusals_as_409():
            services.checklist_item_reopen(actor=request.user, item=item, expected_version=version)
        return Response(VendorChecklistItemSerializer(self.item()).data)


# --- categories ----------------------------------------------------------------------------------


@extend_schema_view(
    list=list_schema(VendorCategorySerializer, parameters=[CODE]),
    create=create_schema(VendorCategorySerializer, parameters=[CODE]),
    retrieve=retrieve_schema(VendorCategorySerializer, parameters=[CODE, ID]),
    update=update_schema(VendorCategorySerializer, parameters=[CODE, ID]),
    partial_update=update_schema(VendorCategorySerializer, parameters=[CODE, ID]),
    destroy=destroy_schema(
        VendorCategorySerializer,
        parameters=[CODE, ID],
        description="Vendors that had it lose it (recorded in their history).",
    ),
)
@extend_schema(tags=["vendors"])
class VendorCategoryViewSet(ProgramScopedMixin, VersionedMixin, ApiViewSet):
    """What vendors supply; names are unique in the program (ignoring case)."""

    permission_actions = {
        "list": "vendor.view",
        "retrieve": "vendor.view",
        "create": "vendor.change",
        "update": "vendor.change",
        "partial_update": "vendor.change",
        "destroy": "vendor.change",
    }
    queryset = VendorCategory.objects.none()
    serializer_class = VendorCategorySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.category_list(program=self.program)

    def get_object(self) -> VendorCategory:
        category = self.get_queryset().filter(pk=self.kwargs["id"]).first()
        if category is None:
            raise Http404("No such category")
        return category

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_create(
            actor=request.user, program=self.program, name=serializer.validated_data["name"]
        )
        self.kwargs["id"] = category.pk
        return Response(self.get_serializer(self.get_object()).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs):
        category = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(category, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        if "name" in serializer.validated_data:
            services.category_rename(
                actor=request.user,
                category=category,
                name=serializer.validated_data["name"],
                expected_version=version,
            )
        return Response(self.get_serializer(self.get_object()).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.category_delete(
            actor=request.user, category=self.get_object(), expected_version=self.expected_version()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- portal users --------------------------------------------------------------------------------


@extend_schema_view(
    list=list_schema(VendorPortalUserSerializer, parameters=[CODE]),
    create=create_schema(
        VendorPortalUserSerializer,
        parameters=[CODE],
        description="Bind a vendor-role member to a vendor (one vendor each; not an offboarded "
        "one).",
    ),
    retrieve=retrieve_schema(VendorPortalUserSerializer, parameters=[CODE, ID]),
    destroy=destroy_schema(
        VendorPortalUserSerializer,
        parameters=[CODE, ID],
        description="Unbind: the member no longer sees the portal; the membership stays.",
    ),
)
@extend_schema(tags=["vendors"])
class VendorPortalUserViewSet(ProgramScopedMixin, VersionedMixin, ApiViewSet):
    """Which vendor each vendor-role member sees in the portal."""

    permission_actions = {
        "list": "vendor.view",
        "retrieve": "vendor.view",
        "create": "vendor.change",
        "destroy": "vendor.change",
    }
    queryset = PortalUser.objects.none()
    serializer_class = VendorPortalUserSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.portal_user_list(program=self.program)

    def get_object(self) -> PortalUser:
        return selectors.portal_user_get(program=self.program, pk=self.kwargs["id"])

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        binding = services.portal_user_bind(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        binding = selectors.portal_user_get(program=self.program, pk=binding.pk)
        return Response(self.get_serializer(binding).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.portal_user_unbind(
            actor=request.user, binding=self.get_object(), expected_version=self.expected_version()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the portal ----------------------------------------------------------------------------------


class PortalMeView(ProgramScopedMixin, ApiView):
    """The vendor the calling portal user is bound to."""

    permission_actions = {"get": "portal.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="vendors_portal_me",
        parameters=[CODE],
        responses={
            200: PortalVendorSerializer,
            401: UNAUTHORIZED,
            403: OpenApiResponse(
                FORBIDDEN.response,
                description="Not a vendor-role member, or not bound to a vendor yet.",
            ),
            404: NOT_FOUND,
        },
        tags=["vendor portal"],
    )
    def get(self, request, code: str):
        vendor = portal_vendor_for(program=self.program, user=request.user)
        if vendor is None:
            raise PermissionDenied(
                "Your account is not linked to a vendor yet. Ask the program manager to link it."
            )
        vendor = Vendor.objects.select_related("relationship_owner", "program").get(pk=vendor.pk)
        return Response(PortalVendorSerializer(vendor).data)
