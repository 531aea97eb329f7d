"""The program dashboard page: the program's position now (RAG with reasons, milestones due,
budget burn, risk heat map, overdue actions, KPIs, recent activity)."""

from __future__ import annotations

from django.views.generic import TemplateView

from programs.mixins import ProgramViewMixin

from ..selectors.dashboard import IMPACT_AXIS, program_dashboard, rag_colour, sparkline_points


class ProgramDashboardView(ProgramViewMixin, TemplateView):
    permission_action = "dashboard.view"
    nav_section = "reporting:dashboard"
    template_name = "reporting/dashboard/dashboard.html"

    def get_context_data(self, **kwargs):
        dashboard = program_dashboard(self.program, with_activity=self.access.can("activity.view"))
        kpis = [
            {"card": card, "points": sparkline_points(card.series), "colour": rag_colour(card.rag)}
            for card in dashboard.kpis or []
        ]
        return super().get_context_data(
            dashboard=dashboard,
            snapshot=dashboard.snapshot,
            kpis=kpis,
            impact_labels=IMPACT_AXIS,
            currency=self.program.currency,
            can_activity=self.access.can("activity.view"),
            can_reports=self.access.can("report.view"),
            **kwargs,
        )
