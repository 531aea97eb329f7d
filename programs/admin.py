"""Admin views of programs are read-only: every change goes through the audited services."""

from django.contrib import admin

from .models import Program, ProgramMembership, Workstream


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Program)
class ProgramAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "status", "start_date", "end_date", "currency"]
    search_fields = ["code", "name"]
    list_filter = ["status"]


@admin.register(Workstream)
class WorkstreamAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "program", "lead", "status"]
    list_filter = ["program", "status"]
    list_select_related = ["program", "lead"]


@admin.register(ProgramMembership)
class ProgramMembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "program", "role"]
    list_filter = ["program", "role"]
    list_select_related = ["program", "user"]
