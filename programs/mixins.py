"""The base every program-scoped view uses: membership (404), role (403), navigation context."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator

from core.permissions import MATRIX

from .access import program_access_for_user

# The program navigation: (label, icon, url name, action needed). Each domain adds its section here.
PROGRAM_NAV = [
    ("Overview", "ti-layout-dashboard", "programs:program_home", "program.view"),
    ("Workstreams", "ti-git-branch", "programs:workstream_list", "workstream.view"),
    ("WBS", "ti-list-tree", "schedules:grid", "schedule.view"),
    ("Gantt", "ti-timeline", "schedules:gantt", "schedule.view"),
    ("Milestones", "ti-flag", "schedules:milestones", "schedule.view"),
    ("Baselines", "ti-git-compare", "schedules:baseline_list", "schedule.view"),
    ("Calendar", "ti-calendar", "schedules:calendar", "schedule.view"),
    ("Members", "ti-users", "programs:member_list", "membership.view"),
    ("Activity", "ti-history", "programs:activity", "activity.view"),
]


class ProgramViewMixin(LoginRequiredMixin):
    """Resolve `code` to a program the user belongs to and require `permission_action`."""

    permission_action: str = ""
    nav_section: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        assert self.permission_action in MATRIX, f"{type(self).__name__}: unknown permission_action"
        self.access = program_access_for_user(user=request.user, code=kwargs["code"])
        self.program = self.access.program
        self.access.require(self.permission_action)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs) if hasattr(super(), "get_context_data") else {}
        context.update(
            program=self.program,
            access=self.access,
            program_nav=[
                {"label": label, "icon": icon, "url_name": url, "active": url == self.nav_section}
                for label, icon, url, action in PROGRAM_NAV
                if self.access.can(action)
            ],
        )
        context.update(kwargs)
        return context


PAGE_SIZES = (25, 50, 100)


def paginate(request, queryset, per_page: int = 25):
    """A page of `queryset`; `?per_page=` may pick another of PAGE_SIZES, `?page=` out of range
    gives the last page rather than an error."""
    try:
        requested = int(request.GET.get("per_page", per_page))
    except ValueError:
        requested = per_page
    paginator = Paginator(queryset, requested if requested in PAGE_SIZES else per_page)
    return paginator.get_page(request.GET.get("page"))
