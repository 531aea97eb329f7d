"""The vendor register's rows for the URL walk (merged by vendors/tests/url_walk.py): a contact,
an open onboarding step and a category of the walk's vendor, and its portal binding."""

from __future__ import annotations

from django.urls import reverse

from vendors.models import PortalUser
from vendors.services import vendors as services
from vendors.views import vendors as views

ROUTE_SEGMENT = "vendors/"


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    vendor = base["vendor"]
    contact = services.contact_create(actor=manager, vendor=vendor, name="Tom Becker")
    step = services.checklist_item_create(
        actor=manager, vendor=vendor, kind="onboarding", title="NDA signed"
    )
    category = services.category_create(actor=manager, program=program, name="Hosting")
    values = {
        "contacts": {"pk": str(contact.pk), "id": str(contact.pk)},
        "checklist": {"pk": str(step.pk), "id": str(step.pk)},
        "categories": {"pk": str(category.pk), "id": str(category.pk)},
    }
    binding = PortalUser.objects.filter(vendor=vendor).first()
    if binding is not None:
        values["portal-users"] = {"pk": str(binding.pk), "id": str(binding.pk)}
    return values


def _value(site, segment: str, name: str, default: str) -> str:
    return site.app_values.get(ROUTE_SEGMENT, {}).get(segment, {}).get(name, default)


def _vendor_url(site, anchor: str = "") -> tuple[int, str]:
    key = _value(site, "vendors", "key", "VND-1")
    url = reverse("vendors:vendor_detail", kwargs={"code": site.program.code, "key": key})
    return (302, url + anchor)


def _step_anchor(site) -> tuple[int, str]:
    return _vendor_url(site, f"#step-{_value(site, 'checklist', 'pk', '1')}")


def _bad_form(site):
    return (400, None)  # an empty form comes back with its errors


def _list(name: str):
    return lambda s: (302, reverse(f"vendors:{name}", kwargs={"code": s.program.code}))


V = views
ALLOWED_GET: dict = {
    V.ChecklistItemReopenView: _step_anchor,
    V.CategoryCreateView: _list("category_list"),
    V.PortalUserBindView: _list("portal_users"),
}
ALLOWED_POST: dict = {
    V.VendorCreateView: _bad_form,
    V.VendorEditView: _bad_form,
    V.VendorStatusView: _bad_form,
    V.VendorOffboardingView: _bad_form,  # no version
    V.VendorDeleteView: _vendor_url,  # refused: the walk's vendor is active
    V.ContactFormView: _bad_form,
    V.ContactDeleteView: lambda s: _vendor_url(s, "#contacts"),
    V.ChecklistItemFormView: _bad_form,
    V.ChecklistItemCompleteView: _bad_form,  # no evidence
    V.ChecklistItemReopenView: _step_anchor,  # refused: the step is open
    V.ChecklistItemDeleteView: lambda s: _vendor_url(s, "#checklist-onboarding"),
    V.CategoryCreateView: _bad_form,
    V.CategoryEditView: _bad_form,
    V.CategoryDeleteView: _list("category_list"),
    V.PortalUserBindView: _bad_form,
    V.PortalUserUnbindView: _list("portal_users"),
}
