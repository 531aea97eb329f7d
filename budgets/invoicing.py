"""What budgets tells vendors: the amount invoiced against a contract (every invoice not
rejected), summed in the database for vendors' remaining value (vendors.invoicing)."""

from __future__ import annotations

from django.db import models
from django.db.models import OuterRef, Subquery, Sum

from .models import Invoice, InvoiceStatus


def invoiced_subquery() -> models.Expression:
    totals = (
        Invoice.objects.filter(contract=OuterRef("pk"))
        .exclude(status=InvoiceStatus.REJECTED)
        .values("contract")
        .annotate(total=Sum("total"))
        .values("total")
    )
    return Subquery(totals, output_field=models.DecimalField(max_digits=14, decimal_places=2))
