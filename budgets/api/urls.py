"""Budgets API under /api/v1/programs/<code>/budget/ (namespace `api_v1`; names `budgets_*`)."""

from ..urls import _area_patterns

urlpatterns = _area_patterns("budgets.api")
