"""Admin views of schedules are read-only: every change goes through the audited services, which
also keep the WBS numbering and the computed dates right."""

from django.contrib import admin

from programs.admin import ReadOnlyAdmin

from .models import Baseline, BaselineItem, Dependency, Holiday, Item, Schedule


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ["program", "project_start", "status_date", "project_finish", "computed_at"]
    list_select_related = ["program"]
    exclude = ["feed_token"]  # a secret: the calendar page shows and rotates it


@admin.register(Holiday)
class HolidayAdmin(ReadOnlyAdmin):
    list_display = ["name", "program", "start", "finish"]
    list_filter = ["program"]
    list_select_related = ["program"]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = [
        "key", "wbs", "name", "kind", "program", "owner", "start", "finish", "percent_complete",
        "status", "critical",
    ]  # fmt: skip
    list_filter = ["program", "kind", "status", "critical"]
    search_fields = ["key", "name"]
    list_select_related = ["program", "owner"]
    ordering = ["program", "outline_path"]


@admin.register(Dependency)
class DependencyAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "program", "type", "lag_minutes"]
    list_filter = ["program", "type"]
    list_select_related = ["program", "predecessor", "successor"]


class BaselineItemInline(admin.TabularInline):
    model = BaselineItem
    fields = ["item", "start", "finish", "duration_minutes", "cost"]
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")


@admin.register(Baseline)
class BaselineAdmin(ReadOnlyAdmin):
    list_display = ["name", "program", "number", "is_current", "created_at", "created_by"]
    list_filter = ["program", "is_current"]
    list_select_related = ["program", "created_by"]
    inlines = [BaselineItemInline]
