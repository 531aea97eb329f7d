"""Reporting API under /api/v1/programs/<code>/ (namespace `api_v1`; names `reporting_*`), one URL
module per area (reporting/api/urls_<area>.py); the portfolio under /api/v1/portfolio/."""

from ..urls import _area_patterns

urlpatterns = _area_patterns("reporting.api")
