"""Views over the whole log: the 5x5 heat map, the exposure trend, overdue and escalated items."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from programs.mixins import ProgramViewMixin

from .. import selectors, services
from ..choices import IMPACT_LABELS, PROBABILITY_LABELS, RaidType
from ..filtersets import HeatMapFilterSet
from ..models import Risk
from .common import TYPES, decorate

HEATMAP_FILTERS = ("workstream", "owner", "category")


class HeatMapView(ProgramViewMixin, TemplateView):
    """Open risks by probability and highest impact, now and after mitigation (residual).

    One aggregate query draws both maps; each cell opens the risks tab filtered to that cell
    (and to the map's own filters)."""

    permission_action = "raid.view"
    nav_section = "risks:raid_log"
    template_name = "risks/heat_map.html"

    def get_context_data(self, **kwargs):
        program = self.program
        data = QueryDict(mutable=True)
        for key in HEATMAP_FILTERS:
            if self.request.GET.get(key):
                data[key] = self.request.GET[key]
        filterset = HeatMapFilterSet(
            data or None, queryset=Risk.objects.filter(program=program), program=program
        )
        maps = selectors.risk_heatmap(program=program, queryset=filterset.qs)
        base = {k: v for k, v in data.items() if k in filterset.form.fields}
        risk_list = reverse("risks:risk_list", kwargs={"code": program.code})

        def cells(grid, prefix: str):
            rows = []
            for row in grid.rows:
                out = []
                for cell in row:
                    query = {**base, "state": "open"}
                    query[f"{prefix}probability"] = cell.probability
                    query[f"{prefix}impact"] = cell.impact
                    n = cell.count
                    risks = f"{n} open risk{'s' if n != 1 else ''}"
                    out.append(
                        {
                            "cell": cell,
                            "url": f"{risk_list}?{urlencode(query)}",
                            "title": f"{risks} with probability {cell.probability} and impact "
                            f"{cell.impact} (score {cell.score})",
                            "label": f"{risks}, probability {cell.probability}, "
                            f"impact {cell.impact}",
                        }
                    )
                p = row[0].probability
                rows.append({"probability": p, "label": PROBABILITY_LABELS[p], "cells": out})
            return rows

        return super().get_context_data(
            maps=maps,
            current_rows=cells(maps.current, ""),
            residual_rows=cells(maps.residual, "residual_"),
            impact_labels=list(IMPACT_LABELS.items()),
            filter=filterset,
            filtered=bool(data),
            figures=maps.figures,
            **kwargs,
        )


class TrendView(ProgramViewMixin, TemplateView):
    """Risk exposure week by week (the weekly snapshots), as a chart with a table beside it."""

    permission_action = "raid.view"
    nav_section = "risks:raid_log"
    template_name = "risks/trend.html"

    def get_context_data(self, **kwargs):
        program = self.program
        snapshots = selectors.risk_snapshots(program=program, weeks=26)
        now = selectors.risk_exposure(program=program)
        last = snapshots[-1] if snapshots else None
        first = snapshots[0] if snapshots else None
        return super().get_context_data(
            snapshots=snapshots,
            snapshots_desc=list(reversed(snapshots)),
            trend=selectors.exposure_trend(program=program, snapshots=snapshots),
            now=now,
            last=last,
            change=(last.total_exposure - first.total_exposure) if last and first else None,
            can_snapshot=self.access.can("raid.settings"),
            **kwargs,
        )


class SnapshotTakeView(ProgramViewMixin, TemplateView):
    """Take (or refresh) this week's exposure snapshot now rather than waiting for the job."""

    permission_action = "raid.settings"
    nav_section = "risks:raid_log"

    def get(self, request, code):
        return redirect("risks:trend", code=code)

    def post(self, request, code):
        snap = services.risk_snapshot_take(program=self.program)
        messages.success(
            request,
            f"Snapshot for the week of {snap.week_start:%-d %b %Y} taken: "
            f"exposure {snap.total_exposure} over {snap.open_count} open risks.",
        )
        return redirect("risks:trend", code=code)


class OverdueView(ProgramViewMixin, TemplateView):
    """Everything late or escalated, one section per type (a query per section)."""

    permission_action = "raid.view"
    nav_section = "risks:raid_log"
    template_name = "risks/overdue.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        sections = selectors.overdue_and_escalated(program=self.program, today=today)
        user, role = self.request.user, self.access.role
        for section in sections:
            section.rows = decorate(
                section.raid_type, section.rows, today=today, role=role, user=user
            )
            section.info = TYPES[section.raid_type]  # type: ignore[attr-defined]
        total = sum(len(s.rows) for s in sections)
        escalated = sum(
            1
            for s in sections
            if s.raid_type in (RaidType.ISSUE, RaidType.ACTION)
            for r in s.rows
            if r.get("escalation_level")
        )
        return super().get_context_data(
            sections=sections, total=total, escalated=escalated, today=today, **kwargs
        )
