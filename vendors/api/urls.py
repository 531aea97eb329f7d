"""Vendors API under /api/v1/programs/<code>/vendors/ (namespace `api_v1`; names `vendors_*`)."""

from . import urls_contracts, urls_deliverables, urls_performance, urls_rfp, urls_vendors

urlpatterns = [
    *urls_contracts.urlpatterns,
    *urls_deliverables.urlpatterns,
    *urls_performance.urlpatterns,
    *urls_rfp.urlpatterns,
    *urls_vendors.urlpatterns,  # last: its <str:key>/ routes would shadow the others
]
