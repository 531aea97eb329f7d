"""Reads of the vendor register: the filtered list with its counts (aggregated in the database,
so the query count does not grow with vendors), one vendor with its contacts, checklists,
contracts and history, the categories and the portal users."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.http import Http404
from django.utils import timezone

from core.models import AuditEntry, User
from core.permissions import Role
from programs.models import Program, ProgramMembership

from .. import invoicing
from ..models import (
    ChecklistItem,
    ChecklistKind,
    Contract,
    Deliverable,
    PortalUser,
    Vendor,
    VendorCategory,
    VendorContact,
    VendorStatus,
)
from ..models.vendors import STATUS_COLOURS, STATUS_ICONS

ACTIVE_CONTRACT = "active"
MONEY = DecimalField(max_digits=14, decimal_places=2)
INTERNAL_ROLES = [role for role in Role.values if role != Role.VENDOR]


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT over `queryset` (already filtered by `vendor=OuterRef("pk")`)."""
    counted = queryset.order_by().values("vendor").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(queryset: QuerySet[Vendor]) -> QuerySet[Vendor]:
    """Vendors annotated with `contract_count`, `active_value` (current value of active
    contracts), `open_items` and `overdue_items` (open checklist steps past their due date), and
    `primary_contact_name` / `primary_contact_email`: one subquery each, no join fan-out."""
    today = timezone.localdate()
    contracts = Contract.objects.filter(vendor=OuterRef("pk"))
    items = ChecklistItem.objects.filter(vendor=OuterRef("pk"), completed_on__isnull=True)
    active_value = (
        contracts.filter(status=ACTIVE_CONTRACT)
        .order_by()
        .values("vendor")
        .annotate(total=Sum("current_value"))
        .values("total")
    )
    primary = VendorContact.objects.filter(vendor=OuterRef("pk")).order_by("-is_primary", "name")
    return queryset.annotate(
        contract_count=_count(contracts),
        active_value=Coalesce(
            Subquery(active_value, output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY
        ),
        open_items=_count(items),
        overdue_items=_count(items.filter(due_date__lt=today)),
        primary_contact_name=Subquery(primary.values("name")[:1]),
        primary_contact_email=Subquery(primary.values("email")[:1]),
    )


class VendorFilterSet(django_filters.FilterSet):
    """One filter set for the vendor list page and the API."""

    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=VendorStatus.choices, empty_label="All statuses")
    category = django_filters.ModelChoiceFilter(
        queryset=VendorCategory.objects.none(),
        field_name="categories",
        empty_label="All categories",
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), field_name="relationship_owner", empty_label="Any owner"
    )
    attention = django_filters.ChoiceFilter(
        choices=[("overdue", "Overdue checklist items"), ("open", "Open checklist items")],
        method="by_attention",
        empty_label="Any checklist state",
        label="Checklist",
    )
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("number", "key"), ("status", "status"),
                ("active_value", "value"), ("open_items", "open"),
                ("updated_at", "updated")),
        label="Sort",
        empty_label="Sort: name",
    )  # fmt: skip

    class Meta:
        model = Vendor
        fields = ["q", "status", "category", "owner", "attention"]

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["category"].queryset = VendorCategory.objects.filter(program=program)
        self.filters["owner"].queryset = User.objects.filter(
            memberships__program=program, memberships__role__in=INTERNAL_ROLES
        ).order_by("full_name")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__iexact=value)
            | Q(name__icontains=value)
            | Q(legal_entity__icontains=value)
            | Q(registration_number__icontains=value)
            | Q(notes__icontains=value)
            | Q(contacts__name__icontains=value)
            | Q(contacts__email__icontains=value)
        ).distinct()

    def by_attention(self, queryset, name, value):
        if value == "overdue":
            return queryset.filter(overdue_items__gt=0)
        if value == "open":
            return queryset.filter(open_items__gt=0)
        return queryset


def vendor_list(*, program: Program) -> QuerySet[Vendor]:
    """The program's vendors with their counts, owner and categories (one prefetch query)."""
    return with_counts(
        Vendor.objects.filter(program=program)
        .select_related("relationship_owner")
        .prefetch_related("categories")
    ).order_by("name", "id")


def status_counts(*, program: Program) -> list[dict]:
    """Per status, in life-cycle order: value, label, colour, icon and how many vendors."""
    rows = dict(
        Vendor.objects.filter(program=program)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {
            "value": value,
            "label": label,
            "colour": STATUS_COLOURS[value],
            "icon": STATUS_ICONS[value],
            "count": rows.get(value, 0),
        }
        for value, label in VendorStatus.choices
    ]


def vendor_get(*, program: Program, key: str) -> Vendor:
    """The vendor with this key in `program` (with its counts), or 404."""
    vendor = (
        with_counts(Vendor.objects.filter(program=program, key=str(key).strip().upper()))
        .select_related("relationship_owner", "program", "program__sponsor")
        .prefetch_related("categories")
        .first()
    )
    if vendor is None:
        raise Http404("No such vendor")
    return vendor


def contact_list(*, vendor: Vendor) -> QuerySet[VendorContact]:
    return VendorContact.objects.filter(vendor=vendor).order_by("-is_primary", "name", "id")


def contact_get(*, vendor: Vendor, pk) -> VendorContact:
    try:
        return VendorContact.objects.select_related("vendor").get(vendor=vendor, pk=int(pk))
    except (VendorContact.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such contact") from exc


def checklist_items(*, vendor: Vendor) -> QuerySet[ChecklistItem]:
    return (
        ChecklistItem.objects.filter(vendor=vendor)
        .select_related("owner", "completed_by")
        .order_by("kind", "position", "id")
    )


def checklist_item_get(*, vendor: Vendor, pk) -> ChecklistItem:
    try:
        return ChecklistItem.objects.select_related(
            "vendor", "vendor__program", "owner", "completed_by"
        ).get(vendor=vendor, pk=int(pk))
    except (ChecklistItem.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such checklist item") from exc


def checklists(*, vendor: Vendor) -> list[dict]:
    """The onboarding and offboarding checklists that exist, each with its items and progress:
    `{kind, label, items, done, total, pct, overdue}`; items carry `overdue`."""
    today = timezone.localdate()
    grouped: dict[str, list[ChecklistItem]] = {}
    for item in checklist_items(vendor=vendor):
        item.overdue = not item.is_done and item.due_date is not None and item.due_date < today
        grouped.setdefault(item.kind, []).append(item)
    result = []
    for kind, label in ChecklistKind.choices:
        items = grouped.get(kind)
        if not items:
            continue
        done = sum(1 for i in items if i.is_done)
        result.append(
            {
                "kind": kind,
                "label": label,
                "items": items,
                "done": done,
                "total": len(items),
                "pct": round(100 * done / len(items)),
                "overdue": sum(1 for i in items if i.overdue),
            }
        )
    return result


def vendor_contracts(*, vendor: Vendor) -> QuerySet[Contract]:
    """The vendor's contracts with `invoiced` and `remaining` (current value - invoiced)."""
    return invoicing.with_remaining(
        Contract.objects.filter(program_id=vendor.program_id, vendor=vendor).select_related(
            "parent"
        )
    ).order_by("-number")


def vendor_history(*, vendor: Vendor) -> QuerySet[AuditEntry]:
    """Changes of the vendor and of its contacts, checklist items and portal bindings (rows that
    point at the vendor, deleted ones included), newest first."""
    types = ContentType.objects.get_for_models(Vendor, VendorContact, ChecklistItem, PortalUser)
    children = [VendorContact, ChecklistItem, PortalUser]
    child_types = [types[model] for model in children]
    # Creations and deletions name the vendor; updates only what changed, so rows that still
    # exist are also matched by id.
    current = Q()
    for model in children:
        ids = (
            model.objects.filter(vendor=vendor)
            .annotate(text_id=Cast("pk", output_field=CharField()))
            .values("text_id")
        )
        current |= Q(content_type=types[model], object_id__in=Subquery(ids))
    return (
        AuditEntry.objects.filter(program_id=vendor.program_id)
        .filter(
            Q(content_type=types[Vendor], object_id=str(vendor.pk))
            | Q(content_type__in=child_types, changes__vendor__1__id=vendor.pk)
            | Q(content_type__in=child_types, changes__vendor__0__id=vendor.pk)
            | current
        )
        .select_related("content_type")
        .order_by("-timestamp", "-id")
    )


def category_list(*, program: Program) -> QuerySet[VendorCategory]:
    """The program's categories with how many vendors have each."""
    return (
        VendorCategory.objects.filter(program=program)
        .annotate(vendor_count=Count("vendors"))
        .order_by("name")
    )


def category_get(*, program: Program, pk) -> VendorCategory:
    try:
        return VendorCategory.objects.select_related("program").get(program=program, pk=int(pk))
    except (VendorCategory.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such category") from exc


def portal_user_list(*, program: Program) -> QuerySet[PortalUser]:
    return (
        PortalUser.objects.filter(program=program)
        .select_related("membership__user", "vendor")
        .order_by("vendor__name", "membership__user__full_name", "id")
    )


def portal_user_get(*, program: Program, pk) -> PortalUser:
    try:
        return PortalUser.objects.select_related("membership__user", "vendor").get(
            program=program, pk=int(pk)
        )
    except (PortalUser.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such portal user") from exc


def vendor_members(*, program: Program) -> QuerySet[ProgramMembership]:
    """The program's vendor-role members, with their binding if they have one."""
    return (
        ProgramMembership.objects.filter(program=program, role=Role.VENDOR)
        .select_related("user", "vendor_binding__vendor")
        .order_by("user__full_name", "user__email")
    )


def unbound_vendor_users(*, program: Program) -> QuerySet[User]:
    """Vendor-role members not bound to a vendor yet (the choices of the bind form)."""
    return User.objects.filter(
        memberships__program=program,
        memberships__role=Role.VENDOR,
        memberships__vendor_binding__isnull=True,
    ).order_by("full_name", "email")


def bindable_vendors(*, program: Program) -> QuerySet[Vendor]:
    return Vendor.objects.filter(program=program).exclude(status=VendorStatus.OFFBOARDED)


# --- the vendor portal -----------------------------------------------------------------------

OPEN_DELIVERABLE_STATUSES = ("planned", "submitted", "rejected")


def portal_summary(*, vendor: Vendor) -> dict:
    """What the portal's home shows the vendor: its contracts (with remaining value; drafts are
    the program's until signed) and its open deliverables (how many, the next one due)."""
    contracts = list(vendor_contracts(vendor=vendor).exclude(status="draft"))
    open_deliverables = Deliverable.objects.filter(
        program_id=vendor.program_id, vendor=vendor, status__in=OPEN_DELIVERABLE_STATUSES
    )
    currencies = {c.currency for c in contracts}
    totals = {
        "currency": currencies.pop() if len(currencies) == 1 else "",
        "current_value": sum((c.current_value for c in contracts), Decimal("0.00")),
        "invoiced": sum((c.invoiced for c in contracts), Decimal("0.00")),
        "remaining": sum((c.remaining for c in contracts), Decimal("0.00")),
    }
    return {
        "contracts": contracts,
        "totals": totals,
        "open_deliverables": open_deliverables.count(),
        "next_deliverable": open_deliverables.select_related("contract")
        .order_by("due_date", "number")
        .first(),
        "overdue_deliverables": open_deliverables.filter(due_date__lt=timezone.localdate()).count(),
    }
