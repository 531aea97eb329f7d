"""Releases API under /api/v1/programs/<code>/ (namespace `api_v1`; names `releases_*`), one URL
module per area (releases/api/urls_<area>.py)."""

from ..urls import _area_patterns

urlpatterns = _area_patterns("releases.api")
