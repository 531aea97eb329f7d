"""The base every program-scoped view uses: membership (404), role (403), navigation context."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator

from core.permissions import MATRIX

from .access import program_access_for_user

# The program navigation: (label, icon, url name, action needed), or a group (label, icon,
# [entries]) shown as a menu. Each domain adds its section here.
PROGRAM_NAV = [
    ("Overview", "ti-layout-dashboard", "programs:program_home", "program.overview"),
    ("Workstreams", "ti-git-branch", "programs:workstream_list", "workstream.view"),
    (
        "Schedule",
        "ti-calendar-time",
        [
            ("WBS", "ti-list-tree", "schedules:grid", "schedule.view"),
            ("Gantt", "ti-timeline", "schedules:gantt", "schedule.view"),
            ("Milestones", "ti-flag", "schedules:milestones", "schedule.view"),
            ("Baselines", "ti-git-compare", "schedules:baseline_list", "schedule.view"),
            ("Calendar", "ti-calendar", "schedules:calendar", "schedule.view"),
        ],
    ),
    ("RAID log", "ti-alert-triangle", "risks:raid_log", "raid.view"),
    (
        "Governance",
        "ti-gavel",
        [
            ("Changes", "ti-arrows-exchange", "governance:change_list", "change.view"),
            ("Decisions", "ti-gavel", "governance:decision_list", "decision.view"),
            ("RACI", "ti-table", "governance:raci", "raci.view"),
            ("Compliance", "ti-shield-check", "governance:compliance_list", "compliance.view"),
        ],
    ),
    (
        "Vendors",
        "ti-building-store",
        [
            ("Vendors", "ti-building-store", "vendors:vendor_list", "vendor.view"),
            ("Contracts", "ti-file-certificate", "vendors:contract_list", "contract.view"),
            ("Deliverables", "ti-package", "vendors:deliverable_list", "deliverable.view"),
            ("Scorecards", "ti-gauge", "vendors:scorecard_list", "sla.view"),
            ("SLAs", "ti-activity-heartbeat", "vendors:sla_list", "sla.view"),
            ("Escalations", "ti-urgent", "vendors:escalation_list", "escalation.view"),
            ("RFPs", "ti-scale", "vendors:rfp_list", "rfp.view"),
        ],
    ),
    (
        "Budget",
        "ti-coin",
        [
            ("Overview", "ti-report-money", "budgets:overview", "budget.view"),
            ("Plan", "ti-table", "budgets:plan", "budget.view"),
            ("Change orders", "ti-arrows-diff", "budgets:change_order_list", "budget.view"),
            ("Forecasts", "ti-trending-up", "budgets:forecasts", "budget.view"),
            ("Actuals", "ti-receipt", "budgets:actuals", "budget.view"),
            ("Invoices", "ti-file-invoice", "budgets:invoice_list", "invoice.view"),
            ("Accruals", "ti-clock-dollar", "budgets:accrual_list", "budget.view"),
            ("Variance", "ti-chart-bar", "budgets:variance", "budget.view"),
            ("Earned value", "ti-chart-line", "budgets:evm", "budget.view"),
        ],
    ),
    (
        "Delivery",
        "ti-rocket",
        [
            ("Requirements", "ti-list-check", "releases:requirement_list", "requirement.view"),
            ("Traceability", "ti-route", "releases:traceability", "requirement.view"),
            ("Backlog", "ti-stack-2", "releases:backlog_list", "backlog.view"),
            ("Test cycles", "ti-test-pipe", "releases:cycle_list", "test.view"),
            ("Defects", "ti-bug", "releases:defect_list", "defect.view"),
            ("Releases", "ti-rocket", "releases:release_list", "release.view"),
        ],
    ),
    (
        "Reports",
        "ti-presentation-analytics",
        [
            ("Dashboard", "ti-gauge", "reporting:dashboard", "dashboard.view"),
            ("Status reports", "ti-report", "reporting:report_list", "report.view"),
            ("KPIs", "ti-target-arrow", "reporting:kpi_list", "kpi.view"),
            ("Briefings", "ti-mail-forward", "reporting:subscription_list", "subscription.view"),
            ("Delivery log", "ti-mail-check", "reporting:delivery_list", "subscription.view"),
            ("Report settings", "ti-adjustments", "reporting:report_settings", "report.settings"),
        ],
    ),
    # the vendor portal: what a vendor-role member sees instead of the program's pages
    ("Our portal", "ti-home", "vendors:portal_home", "portal.view"),
    ("Contracts", "ti-file-certificate", "vendors:portal_contract_list", "portal.view"),
    ("Deliverables", "ti-package", "vendors:portal_deliverables", "portal.view"),
    ("SLAs", "ti-activity-heartbeat", "vendors:portal_slas", "portal.view"),
    ("Scorecard", "ti-gauge", "vendors:portal_scorecard", "portal.view"),
    ("Invoices", "ti-file-invoice", "budgets:portal_invoices", "portal.invoice"),
    ("Members", "ti-users", "programs:member_list", "membership.view"),
    ("Activity", "ti-history", "programs:activity", "activity.view"),
]


def program_nav(access, active: str) -> list[dict]:
    """The navigation `access` may see: entries it lacks the action for are left out, a group
    with none left disappears, and the group holding the active page is marked active."""
    nav = []
    for entry in PROGRAM_NAV:
        if isinstance(entry[2], list):
            label, icon, children = entry
            items = [
                {"label": c[0], "icon": c[1], "url_name": c[2], "active": c[2] == active}
                for c in children
                if access.can(c[3])
            ]
            if items:
                nav.append(
                    {"label": label, "icon": icon, "children": items,
                     "active": any(i["active"] for i in items)}
                )  # fmt: skip
        elif access.can(entry[3]):
            label, icon, url, _action = entry
            nav.append({"label": label, "icon": icon, "url_name": url, "active": url == active})
    return nav


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
        self.check_access()
        return super().dispatch(request, *args, **kwargs)

    def check_access(self) -> None:
        """A further check after the role's (e.g. the vendor portal's binding); raise
        PermissionDenied or Http404 to refuse."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs) if hasattr(super(), "get_context_data") else {}
        context.update(
            program=self.program,
            access=self.access,
            program_nav=program_nav(self.access, self.nav_section),
        )
        context.update(kwargs)
        return context


PAGE_SIZES = (25, 50, 100)


def paginate(request, queryset, per_page: int = 25, count: int | None = None):
    """A page of `queryset`; `?per_page=` may pick another of PAGE_SIZES, `?page=` out of range
    gives the last page rather than an error. A view that already knows how many rows match
    (e.g. from its totals query) passes `count` and saves the COUNT query."""
    try:
        requested = int(request.GET.get("per_page", per_page))
    except ValueError:
        requested = per_page
    paginator = Paginator(queryset, requested if requested in PAGE_SIZES else per_page)
    if count is not None:
        paginator.count = count  # a cached_property: the instance value wins
    return paginator.get_page(request.GET.get("page"))
