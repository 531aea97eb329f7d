"""Vendor performance rows for the URL walk (merged by vendors/tests/url_walk.py): an SLA on the
walk's contract with a breached measurement, and an open escalation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from vendors.services import performance as services
from vendors.views import performance as views

ROUTE_SEGMENT = "vendors/"


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    sla = services.service_level_create(
        actor=manager,
        program=program,
        contract=base["contract"],
        metric="Availability",
        target=Decimal("99.5"),
        unit="%",
    )
    measurement = services.measurement_record(
        actor=manager, service_level=sla, period_start=dt.date(2026, 3, 1), value=Decimal("98")
    )
    escalation = services.escalation_create(
        actor=manager,
        program=program,
        vendor=base["vendor"],
        title="Availability",
        reason="Below target.",
        raised_on=dt.date(2026, 4, 2),
    )
    return {
        "slas": {"pk": str(sla.pk)},
        "measurements": {"pk": str(measurement.pk)},
        "escalations": {"key": escalation.key},
        "scorecards": {"key": base["vendor"].key},
    }


def _values(site) -> dict:
    return site.app_values.get(ROUTE_SEGMENT, {})


def _sla_url(site, anchor: str = "") -> str:
    pk = _values(site).get("slas", {}).get("pk", "1")
    url = reverse("vendors:sla_detail", kwargs={"code": site.program.code, "pk": pk})
    return f"{url}#{anchor}" if anchor else url


ALLOWED_GET = {
    views.SLAActiveView: lambda s: (302, _sla_url(s)),
}
ALLOWED_POST = {
    # an empty form comes back with its errors
    views.SLACreateView: lambda s: (400, None),
    views.SLAEditView: lambda s: (400, None),
    views.MeasurementCreateView: lambda s: (400, None),
    views.MeasurementEditView: lambda s: (400, None),
    views.EscalationCreateView: lambda s: (400, None),
    views.EscalationFromBreachView: lambda s: (400, None),
    views.EscalationEditView: lambda s: (400, None),
    views.EscalationEscalateView: lambda s: (400, None),
    views.EscalationResolveView: lambda s: (400, None),
    views.EscalationCloseView: lambda s: (400, None),
    views.EscalationReopenView: lambda s: (400, None),
    # without `active=1` the SLA is deactivated; without a version nothing is checked
    views.SLAActiveView: lambda s: (302, _sla_url(s)),
    views.MeasurementDeleteView: lambda s: (302, _sla_url(s, "measurements")),
}
