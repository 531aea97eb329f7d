"""Admin views of the reporting app are read-only: every change goes through the services."""

from django.contrib import admin

from programs.admin import ReadOnlyAdmin

from .models import (
    Delivery,
    KpiDefinition,
    KpiValue,
    ReportSettings,
    StatusReport,
    Subscription,
)

for model in (Delivery, KpiDefinition, KpiValue, ReportSettings, StatusReport, Subscription):
    admin.site.register(model, ReadOnlyAdmin)
