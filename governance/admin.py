"""Admin views of governance are read-only: every change goes through the audited services."""

from django.contrib import admin

from programs.admin import ReadOnlyAdmin

from .models import ChangeControlPolicy, ChangeRequest, ChangeRequestTransition, Decision

# --- change control and the decision log --------------------------------------------------------


class ChangeRequestTransitionInline(admin.TabularInline):
    model = ChangeRequestTransition
    fields = ["at", "from_status", "to_status", "actor_name", "comment"]
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ["key", "title", "program", "kind", "status", "requester", "updated_at"]
    list_filter = ["program", "status", "kind"]
    search_fields = ["key", "title"]
    list_select_related = ["program", "requester"]
    inlines = [ChangeRequestTransitionInline]


@admin.register(ChangeControlPolicy)
class ChangeControlPolicyAdmin(ReadOnlyAdmin):
    list_display = [
        "program", "sponsor_cost_threshold", "sponsor_schedule_threshold_days",
        "allow_self_approval",
    ]  # fmt: skip
    list_select_related = ["program"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["key", "title", "program", "status", "decided_by", "decided_on"]
    list_filter = ["program", "status"]
    search_fields = ["key", "title"]
    list_select_related = ["program", "decided_by"]
