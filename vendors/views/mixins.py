"""Bases for the vendors pages: internal pages are plain program views; portal pages also need
the vendor-role member's binding to one vendor, and show only that vendor's rows."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from programs.mixins import ProgramViewMixin

from ..selectors.portal import portal_vendor_for


class PortalViewMixin(ProgramViewMixin):
    """A page of the vendor portal: `self.vendor` is the one vendor the user is bound to.

    Every query of a portal view must be filtered by `self.vendor`; a key of another vendor's
    row answers 404, exactly like a key that does not exist.
    """

    permission_action = "portal.view"

    def check_access(self) -> None:
        self.vendor = portal_vendor_for(program=self.program, user=self.request.user)
        if self.vendor is None:
            raise PermissionDenied(
                "Your account is not linked to a vendor yet. Ask the program manager to link it."
            )

    def get_context_data(self, **kwargs):
        return super().get_context_data(vendor=self.vendor, portal=True, **kwargs)
