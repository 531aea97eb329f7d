"""The vendor portal's home: the bound vendor, its contracts (read-only, with what is left to
invoice) and its open deliverables, with the way to the other portal pages."""

from __future__ import annotations

from django.utils import timezone
from django.views.generic import TemplateView

from ..selectors import vendors as selectors
from .mixins import PortalViewMixin


class PortalHomeView(PortalViewMixin, TemplateView):
    permission_action = "portal.view"
    template_name = "vendors/vendors/portal_home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            summary=selectors.portal_summary(vendor=self.vendor),
            today=timezone.localdate(),
            **kwargs,
        )
