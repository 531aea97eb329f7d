"""The slides of the PowerPoint deck that are charts: milestones, the next 90 days (Gantt),
budget (a native line chart and bar chart of the snapshot's figures) and risks (the heat map
as shapes, in the RAID log's bands and colours)."""

from __future__ import annotations

import datetime as dt

from pptx.chart.data import CategoryChartData
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Pt

from ..pdf import charts, common, theme
from ..pdf.common import money
from .kit import (
    BODY_BOTTOM,
    BODY_TOP,
    BODY_W,
    FONT,
    INK,
    MUTED,
    PAD,
    PRIMARY,
    RAG,
    RULE,
    SERIES,
    WHITE,
    SlideKit,
    W,
    pt,
    rgb,
)


class ChartSlides(SlideKit):
    def milestones_slide(self):
        snap = self.snap
        self.new_slide(
            "Milestones",
            f"Against the baseline “{snap.baseline_name}”"
            if snap.has_baseline and snap.baseline_name
            else "Current plan",
        )
        if not snap.milestones:
            self.empty(
                "No milestones in the plan yet."
                + ("" if snap.has_baseline else " No baseline yet: slips cannot be measured.")
            )
            return
        shown, hidden = common.chart_milestones(snap, 14)
        dates = [
            d for m in shown for d in (m.baseline if snap.has_baseline else None, m.current) if d
        ] + [snap.status_date]
        start, end = min(dates).replace(day=1), max(dates) + dt.timedelta(days=20)
        row_h = min(30.0, (BODY_BOTTOM - BODY_TOP - 60) / len(shown))
        top, label_w = BODY_TOP + 22, BODY_W * 0.34
        x_of = self._time_axis(
            start, end, PAD + label_w, BODY_W - label_w - 40, top, top + row_h * len(shown), "%b %y"
        )
        for index, m in enumerate(shown):
            y = top + index * row_h
            cy, r = y + row_h / 2, min(row_h * 0.32, 8)
            self.text(
                PAD,
                y + 2,
                label_w - 6,
                row_h - 2,
                charts.fit_text(m.name, label_w - 12, 12),
                size=12,
                anchor=MSO_ANCHOR.MIDDLE,
                name=f"Milestone {m.key}",
            )
            slip = m.slip_days
            colour = (
                RAG["green"] if m.done or slip <= 0 else RAG["amber"] if slip <= 10 else RAG["red"]
            )
            baseline = m.baseline if snap.has_baseline else None
            if baseline and baseline != m.current:
                self.line(x_of(baseline), cy, x_of(m.current), cy, colour, 1.25)
            if baseline:
                self.shape(
                    MSO_SHAPE.DIAMOND, x_of(baseline) - r, cy - r, 2 * r, 2 * r, WHITE, line=MUTED
                )
            self.shape(MSO_SHAPE.DIAMOND, x_of(m.current) - r, cy - r, 2 * r, 2 * r, colour)
            if slip > 0:
                self.text(
                    x_of(m.current) + r + 3, cy - 8, 50, 16, f"+{slip} d", size=11, colour=colour
                )
        today = x_of(snap.status_date)
        self.line(
            today, top, today, top + row_h * len(shown), RAG["red"], 1, MSO_LINE_DASH_STYLE.DASH
        )
        notes = []
        if hidden:
            notes.append(f"{common.more(hidden, 'milestones')} (done earlier or due later)")
        if not snap.has_baseline:
            notes.append("No baseline yet: slips cannot be measured.")
        if notes:
            self.text(
                PAD,
                top + row_h * len(shown) + 8,
                BODY_W,
                16,
                " · ".join(notes),
                size=12,
                colour=MUTED,
            )

    def gantt_slide(self):
        snap = self.snap
        end = snap.status_date + dt.timedelta(days=90)
        self.new_slide(
            "The next 90 days",
            f"{common.period_range(snap.status_date, end)}; critical work in red",
        )
        if not snap.gantt:
            self.empty("No work is planned in the next 90 days.")
            return
        rows = snap.gantt[:18]
        row_h = min(30.0, (BODY_BOTTOM - BODY_TOP - 60) / len(rows))
        top, label_w = BODY_TOP + 22, BODY_W * 0.32
        x_of = self._time_axis(
            snap.status_date,
            end,
            PAD + label_w,
            BODY_W - label_w - 8,
            top,
            top + row_h * len(rows),
            "%b %Y",
        )
        for index, g in enumerate(rows):
            y = top + index * row_h
            self.text(
                PAD,
                y + 2,
                label_w - 6,
                row_h - 2,
                charts.fit_text(
                    g.name, label_w - 12, 12, theme.SANS_BOLD if g.summary else theme.SANS
                ),
                size=12,
                bold=g.summary,
                anchor=MSO_ANCHOR.MIDDLE,
                name=f"Task {g.key}",
            )
            colour = RAG["red"] if g.critical else (INK if g.summary else PRIMARY)
            if g.milestone:
                if snap.status_date <= g.finish <= end:
                    r = row_h * 0.36
                    self.shape(
                        MSO_SHAPE.DIAMOND,
                        x_of(g.finish) - r,
                        y + row_h / 2 - r,
                        2 * r,
                        2 * r,
                        colour,
                    )
                    self.text(
                        x_of(g.finish) + r + 3,
                        y + row_h / 2 - 8,
                        60,
                        16,
                        f"{g.finish:%d %b}",
                        size=10,
                        colour=MUTED,
                    )
                continue
            x0, x1 = x_of(g.start), x_of(g.finish + dt.timedelta(days=1))
            if x1 <= x0:
                continue
            bar_h = row_h * (0.3 if g.summary else 0.55)
            bar = self.shape(
                MSO_SHAPE.RECTANGLE,
                x0,
                y + (row_h - bar_h) / 2,
                x1 - x0,
                bar_h,
                theme.faded_hex(colour, 0.35),
            )
            bar.name = f"Bar {g.key}"
            done_x = x_of(charts.done_until(g.start, g.finish, g.percent_complete))
            if g.percent_complete and done_x > x0:
                self.shape(
                    MSO_SHAPE.RECTANGLE,
                    x0,
                    y + (row_h - bar_h) / 2,
                    min(done_x, x1) - x0,
                    bar_h,
                    colour,
                )
        today = x_of(snap.status_date)
        self.line(
            today, top, today, top + row_h * len(rows), RAG["red"], 1, MSO_LINE_DASH_STYLE.DASH
        )

    def budget_slide(self):
        snap, burn = self.snap, self.snap.budget
        self.new_slide(
            "Budget",
            f"Cumulative plan, actual and forecast ({snap.currency})"
            if snap.has_budget and snap.budget
            else "",
        )
        if not snap.has_budget or burn is None:
            self.empty("The program has no budget yet: cost is not reported.")
            return
        data = CategoryChartData(number_format="#,##0")
        data.categories = list(burn.months)
        for name, values in (
            ("Plan", burn.plan),
            ("Actual", burn.actual),
            ("Forecast", burn.forecast),
            ("Budget", [burn.budget] * len(burn.months)),
        ):
            data.add_series(name, [None if v is None else float(v) for v in values])
        frame = self.slide.shapes.add_chart(
            XL_CHART_TYPE.LINE,
            pt(PAD),
            pt(BODY_TOP),
            pt(BODY_W * 0.6),
            pt(BODY_BOTTOM - BODY_TOP),
            data,
        )
        frame.name = "Budget S-curve"
        chart = frame.chart
        chart.font.name, chart.font.size = FONT, Pt(11)
        chart.has_legend = True
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
        chart.category_axis.tick_labels.font.size = Pt(9)
        chart.category_axis.format.line.color.rgb = rgb(MUTED)
        chart.value_axis.has_major_gridlines = True
        chart.value_axis.major_gridlines.format.line.color.rgb = rgb(RULE)
        chart.value_axis.tick_labels.number_format = '#,##0,"k"'
        chart.value_axis.tick_labels.number_format_is_linked = False
        colours = [
            (SERIES["plan"], None),
            (SERIES["actual"], None),
            (SERIES["forecast"], MSO_LINE_DASH_STYLE.DASH),
            (INK, MSO_LINE_DASH_STYLE.ROUND_DOT),
        ]
        for series, (colour, dash) in zip(chart.plots[0].series, colours, strict=True):
            series.smooth = False
            series.marker.style = XL_MARKER_STYLE.NONE
            series.format.line.color.rgb = rgb(colour)
            series.format.line.width = Pt(2 if dash != MSO_LINE_DASH_STYLE.ROUND_DOT else 1)
            if dash:
                series.format.line.dash_style = dash
        x, w = PAD + BODY_W * 0.64, BODY_W * 0.36
        figures = [
            ("Budget", money(burn.budget, burn.currency)),
            ("Actual to date", money(burn.actual_to_date, burn.currency)),
            ("Forecast at completion", money(burn.forecast_at_completion, burn.currency)),
            (
                "Variance at completion",
                common.variance_text(burn.variance_at_completion, burn.currency),
            ),
            ("CPI / SPI", f"{common.index(burn.cpi)} / {common.index(burn.spi)}"),
        ]
        self.table(
            x,
            BODY_TOP,
            [w * 0.42, w * 0.58],
            ["Figure", "Value"],
            [list(f) for f in figures],
            bold_first=False,
            row_h=26,
        ).name = "Budget figures"
        y = BODY_TOP + 26 * 6 + 14
        if not snap.has_baseline:
            self.text(
                x, y, w, 16, "No schedule baseline: SPI cannot be measured.", size=11, colour=MUTED
            )
            y += 20
        if burn.variance_by_workstream:
            rows = list(burn.variance_by_workstream)
            count = max(1, min(len(rows), int((BODY_BOTTOM - y - 18 - 30 - 22) // 20)))
            hidden = len(rows) - count
            if hidden:
                largest = sorted(rows, key=lambda row: -abs(row[1]))[:count]
                rows = [row for row in rows if row in largest][:count]
            self.text(
                x,
                y,
                w,
                16,
                "Variance at completion by workstream (over budget in red)",
                size=11,
                colour=MUTED,
            )
            data = CategoryChartData(number_format='#,##0,"k"')
            data.categories = [common.shorten(name, 28) for name, _ in rows]
            data.add_series("Variance", [float(v) for _, v in rows])
            height = max(90, 30 + 20 * len(rows))
            frame = self.slide.shapes.add_chart(
                XL_CHART_TYPE.BAR_CLUSTERED, pt(x), pt(y + 18), pt(w), pt(height), data
            )
            frame.name = "Variance by workstream"
            chart = frame.chart
            chart.font.name, chart.font.size = FONT, Pt(9)
            chart.has_legend = False
            chart.category_axis.reverse_order = True
            chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
            chart.value_axis.visible = False
            chart.value_axis.has_major_gridlines = False
            plot = chart.plots[0]
            plot.gap_width = 60
            plot.has_data_labels = True
            plot.data_labels.number_format = '+#,##0,"k";-#,##0,"k";0'
            plot.data_labels.number_format_is_linked = False
            plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
            plot.data_labels.font.size = Pt(9)
            series = plot.series[0]
            series.invert_if_negative = False
            for index, (_, value) in enumerate(rows):
                point = series.points[index].format.fill
                point.solid()
                point.fore_color.rgb = rgb(RAG["red"] if value > 0 else RAG["green"])
            if hidden:
                self.text(
                    x,
                    y + 22 + height,
                    w,
                    16,
                    common.more(hidden, "workstreams"),
                    size=11,
                    colour=MUTED,
                )

    def risks_slide(self):
        snap = self.snap
        self.new_slide(
            "Risks",
            "Open risks by probability and impact (RAID log score bands); "
            f"exposure {snap.risk_exposure}",
        )
        counts = {(p, i): n for p, i, n in snap.heat_map}
        cell, left, top = 56.0, PAD + 36, BODY_TOP + 4
        for probability in range(5, 0, -1):
            y = top + (5 - probability) * cell
            self.text(
                left - 20,
                y,
                14,
                cell,
                str(probability),
                size=12,
                colour=MUTED,
                anchor=MSO_ANCHOR.MIDDLE,
                align=PP_ALIGN.RIGHT,
            )
            for impact in range(1, 6):
                n = counts.get((probability, impact), 0)
                fill, ink = theme.BAND_HEX[common.band_of(probability * impact)]
                shape = self.shape(
                    MSO_SHAPE.ROUNDED_RECTANGLE,
                    left + (impact - 1) * cell + 2,
                    y + 2,
                    cell - 4,
                    cell - 4,
                    fill if n else theme.faded_hex(fill),
                    text=str(n) if n else "·",
                    size=18 if n else 12,
                    colour=ink if n else MUTED,
                )
                shape.name = f"Heat {probability}x{impact}"
        for impact in range(1, 6):
            self.text(
                left + (impact - 1) * cell,
                top + 5 * cell + 2,
                cell,
                16,
                str(impact),
                size=12,
                colour=MUTED,
                align=PP_ALIGN.CENTER,
            )
        self.text(left, top + 5 * cell + 18, 5 * cell, 16, "Impact", size=12, align=PP_ALIGN.CENTER)
        self.text(PAD - 8, top + 2.5 * cell - 8, 30, 16, "Prob.", size=11)
        x = left
        for index, (band, low, high) in enumerate(common.BANDS):
            y = top + 5 * cell + 42 + (index // 2) * 18
            x = left + (index % 2) * 140
            self.shape(MSO_SHAPE.ROUNDED_RECTANGLE, x, y + 2, 11, 11, theme.BAND_HEX[band][0])
            self.text(
                x + 16,
                y,
                120,
                14,
                f"{theme.BAND_LABELS[band]} {low}–{high}",  # noqa: RUF001
                size=10,
                colour=MUTED,
            )
        tx = left + 5 * cell + 30
        tw = W - PAD - tx
        lines = [*snap.top_risks[:5], *snap.top_issues[:3]]
        if not lines:
            self.empty("No open risk or issue.", tx, BODY_TOP + 10, tw)
            return
        notes = [
            common.more(n, noun)
            for n, noun in (
                (len(snap.top_risks[5:]), "risks"),
                (len(snap.top_issues[3:]), "issues"),
            )
            if n
        ]
        self.table(
            tx,
            BODY_TOP,
            [62, tw - 62 - 170, 70, 100],
            ["Key", "Title", "Rating", "Owner"],
            [
                [
                    r.key,
                    common.shorten(r.title, 70),
                    common.rating(r),
                    common.shorten(r.owner or "—", 30),
                ]
                for r in lines
            ],
            more=" · ".join(notes) + " in the RAID log" if notes else "",
            size=11,
            row_h=40,
        ).name = "Top risks"
