"""Vendors pages under /programs/<code>/vendors/ (the portal under .../vendors/portal/)."""

from . import urls_contracts, urls_deliverables, urls_performance, urls_rfp, urls_vendors

app_name = "vendors"

urlpatterns = [
    *urls_contracts.urlpatterns,
    *urls_deliverables.urlpatterns,
    *urls_performance.urlpatterns,
    *urls_rfp.urlpatterns,
    *urls_vendors.urlpatterns,  # last: its <str:key>/ routes would shadow the others
]
