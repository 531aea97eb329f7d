"""The Gantt page and the milestone charts (pages under /programs/<code>/schedule/).

The Gantt page is a shell: static/js/gantt.js fetches the Gantt data from the API and draws
only the rows in view, so the page costs the same for 50 items as for 5,000. The milestone
pages render their data into the page (json_script) for Chart.js, with a table beside each
chart for screen readers and printing.
"""

from __future__ import annotations

from django.urls import reverse
from django.views.generic import TemplateView

from programs.mixins import ProgramViewMixin

from ..models import Item
from ..selectors.gantt import baseline_choices, milestone_chart, milestone_trend

KEY_SLOT = "__KEY__"  # replaced by an item key in the browser


class GanttView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.view"
    nav_section = "schedules:gantt"
    template_name = "schedules/gantt.html"

    def get_context_data(self, **kwargs):
        code = self.program.code
        return super().get_context_data(
            has_items=Item.objects.filter(program=self.program).exists(),
            can_edit=self.access.can("schedule.change"),
            baselines=baseline_choices(program=self.program),
            data_url=reverse("api_v1:gantt_data", kwargs={"code": code}),
            item_api_url=reverse("api_v1:item_detail", kwargs={"code": code, "key": KEY_SLOT}),
            item_page_url=reverse("schedules:item_detail", kwargs={"code": code, "key": KEY_SLOT}),
            **kwargs,
        )


class MilestoneChartView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.view"
    nav_section = "schedules:milestones"
    template_name = "schedules/milestone_chart.html"

    def get_context_data(self, **kwargs):
        chart = milestone_chart(self.program)
        late = [m for m in chart["milestones"] if m["late"]]
        return super().get_context_data(
            chart=chart,
            late_count=len(late),
            item_page_url=reverse(
                "schedules:item_detail", kwargs={"code": self.program.code, "key": KEY_SLOT}
            ),
            **kwargs,
        )


class MilestoneTrendView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.view"
    nav_section = "schedules:milestones"
    template_name = "schedules/milestone_trend.html"

    def get_context_data(self, **kwargs):
        trend = milestone_trend(self.program)
        rows = []
        for m in trend["milestones"]:
            cells, before = [], None
            for value in m["values"]:
                change = ""
                if value and before and value != before:
                    change = "later" if value > before else "earlier"
                cells.append({"value": value, "change": change})
                before = value or before
            rows.append({**m, "cells": cells})
        return super().get_context_data(trend=trend, rows=rows, **kwargs)
