"""Who a vendor-portal user is bound to."""

from __future__ import annotations

from ..models import PortalUser, Vendor


def portal_vendor_for(*, program, user) -> Vendor | None:
    """The vendor this member of `program` is bound to, or None (not bound, or not a vendor)."""
    binding = (
        PortalUser.objects.filter(program=program, membership__user=user)
        .select_related("vendor")
        .first()
    )
    return binding.vendor if binding else None
