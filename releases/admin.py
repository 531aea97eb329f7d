"""Admin views of the releases app are read-only: every change goes through the audited
services (requirements, backlog, tests, defects, releases)."""

from django.contrib import admin

from programs.admin import ReadOnlyAdmin

from .models import (
    BacklogItem,
    CycleCase,
    Defect,
    DefectTransition,
    GoNoGoReview,
    GoNoGoVote,
    Iteration,
    ReadinessCriterion,
    Release,
    ReleaseLogEntry,
    ReleaseSignoff,
    Requirement,
    RequirementRevision,
    RollbackPlan,
    RollbackStep,
    RunEvidence,
    TestCase,
    TestCycle,
    TestRun,
    TestStep,
)


class ReadOnlyInline(admin.TabularInline):
    can_delete = False
    extra = 0
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- requirements ---------------------------------------------------------------------------------


class RequirementRevisionInline(ReadOnlyInline):
    model = RequirementRevision
    fields = ["revision", "title", "change_request", "note", "created_by", "created_at"]
    readonly_fields = fields


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdmin):
    list_display = ["key", "title", "program", "status", "priority", "type", "owner"]
    list_filter = ["program", "status", "priority", "type", "source"]
    search_fields = ["key", "title", "statement"]
    list_select_related = ["program", "owner"]
    inlines = [RequirementRevisionInline]


@admin.register(RequirementRevision)
class RequirementRevisionAdmin(ReadOnlyAdmin):
    list_display = ["requirement", "revision", "change_request", "created_by", "created_at"]
    list_filter = ["program"]
    list_select_related = ["requirement", "change_request", "created_by"]


# --- backlog --------------------------------------------------------------------------------------


@admin.register(Iteration)
class IterationAdmin(ReadOnlyAdmin):
    list_display = ["name", "program", "workstream", "start_date", "end_date", "status"]
    list_filter = ["program", "status"]
    list_select_related = ["program", "workstream"]


@admin.register(BacklogItem)
class BacklogItemAdmin(ReadOnlyAdmin):
    list_display = ["key", "title", "program", "workstream", "kind", "status", "priority", "wsjf"]
    list_filter = ["program", "status", "kind", "priority"]
    search_fields = ["key", "title", "external_key"]
    list_select_related = ["program", "workstream"]


# --- testing --------------------------------------------------------------------------------------


class TestStepInline(ReadOnlyInline):
    model = TestStep
    fields = ["position", "action", "expected"]
    readonly_fields = fields


@admin.register(TestCycle)
class TestCycleAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "program", "kind", "status", "release", "start_date"]
    list_filter = ["program", "kind", "status"]
    search_fields = ["key", "name"]
    list_select_related = ["program", "release"]


@admin.register(TestCase)
class TestCaseAdmin(ReadOnlyAdmin):
    list_display = ["key", "title", "program", "workstream", "priority", "status"]
    list_filter = ["program", "status", "priority"]
    search_fields = ["key", "title"]
    list_select_related = ["program", "workstream"]
    inlines = [TestStepInline]


@admin.register(CycleCase)
class CycleCaseAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "case", "tester", "last_result", "last_run_at"]
    list_filter = ["program", "last_result"]
    list_select_related = ["cycle", "case", "tester"]


class RunEvidenceInline(ReadOnlyInline):
    model = RunEvidence
    fields = ["file_name", "size", "content_type", "sha256"]
    readonly_fields = fields


@admin.register(TestRun)
class TestRunAdmin(ReadOnlyAdmin):
    list_display = ["cycle_case", "result", "executed_by", "executed_at", "build"]
    list_filter = ["program", "result"]
    list_select_related = ["cycle_case__cycle", "cycle_case__case", "executed_by"]
    inlines = [RunEvidenceInline]


# --- defects --------------------------------------------------------------------------------------


class DefectTransitionInline(ReadOnlyInline):
    model = DefectTransition
    fields = ["at", "from_status", "to_status", "by", "comment"]
    readonly_fields = fields


@admin.register(Defect)
class DefectAdmin(ReadOnlyAdmin):
    list_display = ["key", "title", "program", "severity", "priority", "status", "owner"]
    list_filter = ["program", "status", "severity", "priority"]
    search_fields = ["key", "title"]
    list_select_related = ["program", "owner"]
    inlines = [DefectTransitionInline]


# --- releases -------------------------------------------------------------------------------------


class ReadinessCriterionInline(ReadOnlyInline):
    model = ReadinessCriterion
    fields = ["position", "kind", "label", "manual_met", "manual_checked_by"]
    readonly_fields = fields


class ReleaseSignoffInline(ReadOnlyInline):
    model = ReleaseSignoff
    fields = ["role", "signer", "signed_at", "comment"]
    readonly_fields = fields


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ["key", "version_label", "name", "program", "status", "planned_date", "owner"]
    list_filter = ["program", "status"]
    search_fields = ["key", "version_label", "name"]
    list_select_related = ["program", "owner"]
    inlines = [ReadinessCriterionInline, ReleaseSignoffInline]


class GoNoGoVoteInline(ReadOnlyInline):
    model = GoNoGoVote
    fields = ["voter", "vote", "comment"]
    readonly_fields = fields


@admin.register(GoNoGoReview)
class GoNoGoReviewAdmin(ReadOnlyAdmin):
    list_display = ["release", "held_at", "decision", "decided_by", "override"]
    list_filter = ["program", "decision", "override"]
    list_select_related = ["release", "decided_by"]
    inlines = [GoNoGoVoteInline]


@admin.register(ReleaseLogEntry)
class ReleaseLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["release", "kind", "occurred_at", "environment", "summary", "succeeded"]
    list_filter = ["program", "kind"]
    list_select_related = ["release"]


class RollbackStepInline(ReadOnlyInline):
    model = RollbackStep
    fields = ["position", "action", "owner", "duration_minutes"]
    readonly_fields = fields


@admin.register(RollbackPlan)
class RollbackPlanAdmin(ReadOnlyAdmin):
    list_display = ["release", "status", "owner", "approved_by", "approved_at"]
    list_filter = ["program", "status"]
    list_select_related = ["release", "owner", "approved_by"]
    inlines = [RollbackStepInline]
