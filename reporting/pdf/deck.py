"""The executive deck: 16:9 PDF slides a sponsor can present, drawn from a stored `Snapshot`.

Slides: title (with whose word the figures are); summary (RAG of each dimension with its reason
and the manager's overrides; achievements, next steps and the workstream leads' commentary);
milestones (baseline vs current); the next 90 days (Gantt); budget (burn S-curve and variance by
workstream); risks (the RAID log's heat map and the top risks); change requests awaiting a
decision; releases and their readiness; decisions needed and taken, and asks. Every slide has
the same header band, type sizes and footer; a slide whose subject is missing (no baseline, no
budget, nothing open) says so in words; whatever does not fit ends in "+ n more" (nothing is
drawn past the slide's edge); a draft carries a DRAFT mark on every slide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from ..snapshot import Snapshot
from . import charts, common, theme
from .briefing import FONT, RagPill, esc
from .common import DIMENSION_LABELS, money
from .slide_kit import (
    BODY_BOTTOM,
    BODY_TOP,
    BODY_W,
    GUTTER,
    MILESTONE_ROWS,
    PAD,
    SMALL,
    H,
    SlideFrame,
    row_height,
)


class Deck(SlideFrame):
    def title_slide(self) -> None:
        snap = self.snapshot
        c = self.slide("")
        c.setFillColor(theme.RED if snap.status == "draft" else theme.PRIMARY)
        c.rect(0, 0, 10 * mm, H, stroke=0, fill=1)
        x, width = PAD + 8 * mm, BODY_W - 8 * mm
        top = self.place(
            Paragraph(esc(common.shorten(snap.program_name, 90)), self.s["name"]),
            x,
            H * 0.70,
            width,
        )
        top = self.place(
            Paragraph(
                f"Executive update · week {esc(snap.period)} · status at "
                f"{snap.status_date:%-d %B %Y}",
                self.s["lead"],
            ),
            x,
            top - 3 * mm,
            width,
        )
        people = " · ".join(
            p
            for p in (
                f"Sponsor: {snap.sponsor}" if snap.sponsor else "",
                f"Program manager: {snap.manager}" if snap.manager else "",
            )
            if p
        )
        if people:
            top = self.place(Paragraph(esc(people), self.s["muted"]), x, top - 2 * mm, width)
        colour = {"published": "#667382", "draft": "#d63939"}.get(snap.status, "#8a5a00")
        top = self.place(
            Paragraph(
                f"<font color='{colour}'><b>{esc(common.status_line(snap))}</b></font>",
                self.s["small"],
            ),
            x,
            top - 2 * mm,
            width,
        )
        overall = snap.rag_of("overall")
        if overall:
            pill = RagPill(overall.rag, width=34 * mm, height=10 * mm, size=13)
            pill.wrapOn(c, 0, 0)
            pill.drawOn(c, x, top - 18 * mm)
            text = esc(common.shorten(overall.reason, 220))
            if common.override_text(overall):
                text = (
                    f"<b>{esc(common.shorten(common.override_text(overall), 160))}</b>"
                    f"<br/><font color='#667382'>Rules: {text}</font>"
                )
            self.place(Paragraph(text, self.s["body"]), x + 38 * mm, top - 8 * mm, width - 38 * mm)

    def _rag_table(self, width: float) -> Table:
        """The RAG of each dimension; reasons shortened further until it fits the slide."""
        for limit in (220, 150, 100, 60):
            rows = [self.header(["", "Status", "Why"])]
            for line in self.snapshot.rag:
                reason = esc(common.shorten(line.reason, limit))
                override = common.override_text(line)
                if override:
                    reason = (
                        f"<b>{esc(common.shorten(override, limit))}</b><br/>"
                        f"<font color='#667382' size='{SMALL - 1}'>Rules: {reason}</font>"
                    )
                rows.append(
                    [
                        self.cell(DIMENSION_LABELS.get(line.dimension, line.dimension), True),
                        RagPill(line.rag, width=24 * mm, height=6.5 * mm, size=9),
                        Paragraph(reason, self.s["cell"]),
                    ]
                )
            table = self.table(rows, [28 * mm, 30 * mm, width - 58 * mm])
            if table.wrapOn(self.canvas, width, H)[1] <= BODY_TOP - BODY_BOTTOM:
                break
        return table

    def summary_slide(self) -> None:
        snap = self.snapshot
        self.slide(
            "Summary", "Status of each dimension, with why; the period in the workstreams' words"
        )
        has_words = snap.achievements or snap.next_steps or snap.commentary
        left_w = BODY_W * 0.56 if has_words else BODY_W
        self.place(self._rag_table(left_w), PAD, BODY_TOP, left_w)
        if not has_words:
            return
        x = PAD + left_w + GUTTER
        width = BODY_W - left_w - GUTTER
        commentary = []
        for line in snap.commentary:
            row = Table(
                [
                    [
                        RagPill(line.rag, width=20 * mm, height=5.5 * mm, size=8),
                        Paragraph(
                            f"<b>{esc(common.shorten(line.workstream, 50))}</b> "
                            f"{esc(common.shorten(line.text, 150))}",
                            self.s["small"],
                        ),
                    ]
                ],
                colWidths=[22 * mm, width - 22 * mm],
            )
            row.setStyle(
                TableStyle(
                    [
                        *FONT,
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                    ]
                )
            )
            commentary.append(row)
        self.fit_sections(
            [
                ("Achievements this period", [self.bullet(t) for t in snap.achievements]),
                ("Next steps", [self.bullet(t) for t in snap.next_steps]),
                ("Workstreams", commentary),
            ],
            x,
            BODY_TOP,
            width,
        )

    def milestones_slide(self) -> None:
        snap = self.snapshot
        subtitle = (
            f"Against the baseline “{snap.baseline_name}”"
            if snap.has_baseline and snap.baseline_name
            else "Current plan"
        )
        self.slide("Milestones", subtitle)
        if not snap.milestones:
            self.empty(
                "No milestones in the plan yet."
                + ("" if snap.has_baseline else " No baseline yet: slips cannot be measured.")
            )
            return
        shown, hidden = common.chart_milestones(snap, MILESTONE_ROWS)
        rows = [
            charts.MilestoneRow(
                m.name, m.baseline if snap.has_baseline else None, m.current, m.done, m.slip_days
            )
            for m in shown
        ]
        bottom = self.drawing(
            charts.milestone_chart(
                rows,
                width=BODY_W,
                today=snap.status_date,
                row_height=row_height(len(rows)),
                font_size=SMALL,
            ),
            PAD,
            BODY_TOP,
        )
        notes = []
        if hidden:
            notes.append(f"{common.more(hidden, 'milestones')} (done earlier or due later)")
        if not snap.has_baseline:
            notes.append("No baseline yet: slips cannot be measured.")
        if notes:
            self.place(
                Paragraph(esc(" · ".join(notes)), self.s["muted"]), PAD, bottom - 4 * mm, BODY_W
            )

    def gantt_slide(self) -> None:
        snap = self.snapshot
        end = snap.status_date + dt.timedelta(days=90)
        self.slide(
            "The next 90 days",
            f"{common.period_range(snap.status_date, end)}; critical work in red",
        )
        if not snap.gantt:
            self.empty("No work is planned in the next 90 days.")
            return
        rows = [
            charts.GanttRow(
                g.name, g.start, g.finish, g.critical, g.milestone, g.percent_complete, g.summary
            )
            for g in snap.gantt[:18]
        ]
        chart = charts.gantt(
            rows,
            start=snap.status_date,
            end=end,
            today=snap.status_date,
            width=BODY_W,
            row_height=row_height(len(rows)),
            font_size=SMALL,
        )
        bottom = self.drawing(chart, PAD, BODY_TOP)
        if len(snap.gantt) > 18:
            self.place(
                Paragraph(esc(common.more(len(snap.gantt) - 18, "items")), self.s["muted"]),
                PAD,
                bottom - 3 * mm,
                BODY_W,
            )

    def budget_slide(self) -> None:
        snap = self.snapshot
        burn = snap.budget
        self.slide(
            "Budget",
            f"Cumulative plan, actual and forecast ({snap.currency})"
            if snap.has_budget and snap.budget
            else "",
        )
        if not snap.has_budget or burn is None:
            self.empty("The program has no budget yet: cost is not reported.")
            return
        chart = charts.line_chart(
            burn.months,
            [
                charts.Series("Plan", burn.plan, theme.SERIES["plan"]),
                charts.Series("Actual", burn.actual, theme.SERIES["actual"]),
                charts.Series("Forecast", burn.forecast, theme.SERIES["forecast"], dashed=True),
            ],
            width=BODY_W * 0.6,
            height=BODY_TOP - BODY_BOTTOM - 6 * mm,
            font_size=SMALL,
            references=[(burn.budget, "Budget")],
            today_index=burn.today_index,
        )
        self.drawing(chart, PAD, BODY_TOP)
        right, width = PAD + BODY_W * 0.64, BODY_W * 0.36
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
        rows = [[self.cell(label), self.cell(value, True)] for label, value in figures]
        table = self.table([self.header(["Figure", "Value"]), *rows], [width * 0.42, width * 0.58])
        top = self.place(table, right, BODY_TOP, width)
        if not snap.has_baseline:
            top = self.place(
                Paragraph("No schedule baseline: SPI cannot be measured.", self.s["muted"]),
                right,
                top - 2 * mm,
                width,
            )
        if burn.variance_by_workstream:
            top = self.place(
                Paragraph(
                    "Variance at completion by workstream (over budget in red)", self.s["muted"]
                ),
                right,
                top - 5 * mm,
                width,
            )
            space = top - 2 * mm - BODY_BOTTOM
            bar_h, font = 12, SMALL - 1
            count = max(
                1, min(len(burn.variance_by_workstream), int((space - font * 3) // (bar_h + 4)))
            )
            rows = list(burn.variance_by_workstream)
            hidden = len(rows) - count
            if hidden:  # the largest variances, in the budget page's order
                largest = sorted(rows, key=lambda row: -abs(row[1]))[:count]
                rows = [row for row in rows if row in largest][:count]
            bars = charts.variance_bars(rows, width=width, bar_height=bar_h, font_size=font)
            bottom = self.drawing(bars, right, top - 2 * mm)
            if hidden:
                self.place(
                    Paragraph(esc(common.more(hidden, "workstreams")), self.s["muted"]),
                    right,
                    bottom,
                    width,
                )

    def risks_slide(self) -> None:
        snap = self.snapshot
        self.slide(
            "Risks",
            f"Open risks by probability and impact (RAID log score bands); "
            f"exposure {snap.risk_exposure}",
        )
        counts = {(p, i): n for p, i, n in snap.heat_map}
        size = min(BODY_TOP - BODY_BOTTOM - 14 * mm, 108 * mm)
        self.drawing(charts.heat_map(counts, size=size, font_size=SMALL), PAD, BODY_TOP)
        left = PAD + size + GUTTER
        width = BODY_W - size - GUTTER
        lines = [*snap.top_risks[:5], *snap.top_issues[:3]]
        if not lines:
            self.empty("No open risk or issue.", BODY_TOP, left, width)
            return
        key_w = self.key_col([r.key for r in lines])
        rows = [
            [
                self.cell(r.key, True),
                self.cell(r.title, limit=90),
                self.cell(common.rating(r)),
                self.cell(r.owner or "—", limit=40),
            ]
            for r in lines
        ]
        notes = [
            common.more(n, noun)
            for n, noun in (
                (len(snap.top_risks[5:]), "risks"),
                (len(snap.top_issues[3:]), "issues"),
            )
            if n
        ]
        widths = [key_w, width - key_w - 70 * mm, 26 * mm, 44 * mm]
        table = self.fit_table(
            self.header(["Key", "Title", "Rating", "Owner"]),
            rows,
            widths,
            BODY_TOP - BODY_BOTTOM - (8 * mm if notes else 0),
        )
        bottom = self.place(table, left, BODY_TOP, width)
        if notes:
            self.place(
                Paragraph(esc(" · ".join(notes) + " in the RAID log"), self.s["muted"]),
                left,
                bottom - 2 * mm,
                width,
            )

    def changes_slide(self) -> None:
        snap = self.snapshot
        self.slide("Change requests", "Awaiting a decision")
        if not snap.changes_awaiting:
            self.empty("No change request is waiting for a decision.")
            return
        key_w = self.key_col([c.key for c in snap.changes_awaiting])
        rows = [
            [
                self.cell(c.key, True),
                self.cell(c.title, limit=110),
                self.cell(c.status),
                self.cell(money(c.cost_impact, snap.currency)),
                self.cell(common.impact_days(c.schedule_impact_days)),
                self.cell(common.date(c.needed_by)),
            ]
            for c in snap.changes_awaiting
        ]
        widths = [key_w, BODY_W - key_w - 150 * mm, 30 * mm, 52 * mm, 32 * mm, 36 * mm]
        header = self.header(["Key", "Change", "Status", "Cost", "Schedule", "Decide by"])
        self.place(
            self.fit_table(header, rows, widths, BODY_TOP - BODY_BOTTOM, "change requests"),
            PAD,
            BODY_TOP,
            BODY_W,
        )

    def releases_slide(self) -> None:
        snap = self.snapshot
        self.slide("Releases and readiness")
        if not snap.releases:
            self.empty("No release is planned.")
            return
        rows = []
        for release in snap.releases:
            word, colour = ("Ready", "#2fb344") if release.ready else ("Not ready", "#d63939")
            failing = "; ".join(release.failing[:4])
            if len(release.failing) > 4:
                failing += f"; {common.more(len(release.failing) - 4)}"
            rows.append(
                [
                    self.cell(f"{release.version} {release.name}", True, limit=70),
                    self.cell(common.date(release.planned_date)),
                    self.cell(release.status),
                    Paragraph(
                        f"<font color='{colour}'><b>{word}</b></font>"
                        + (": " + esc(common.shorten(failing, 260)) if failing else ""),
                        self.s["cell"],
                    ),
                ]
            )
        header = self.header(["Release", "Planned", "Status", "Readiness"])
        self.place(
            self.fit_table(
                header,
                rows,
                [80 * mm, 36 * mm, 30 * mm, BODY_W - 146 * mm],
                BODY_TOP - BODY_BOTTOM,
                "releases",
            ),
            PAD,
            BODY_TOP,
            BODY_W,
        )

    def asks_slide(self) -> None:
        snap = self.snapshot
        self.slide("Decisions and asks")
        top = BODY_TOP
        if not snap.decisions_needed and not snap.help_needed and not snap.decisions:
            self.empty("No decision or help is needed this week.")
            return
        if snap.decisions_needed:
            key_w = self.key_col([d.key for d in snap.decisions_needed])
            rows = [
                [
                    self.cell(d.key, True),
                    self.cell(d.title, limit=110),
                    self.cell(common.date(d.needed_by)),
                    self.cell(d.owner or "—", limit=40),
                ]
                for d in snap.decisions_needed
            ]
            header = self.header(["Key", "Decision needed", "By", "Owner"])
            room = (BODY_TOP - BODY_BOTTOM) * (0.55 if snap.help_needed or snap.decisions else 1)
            table = self.fit_table(
                header, rows, [key_w, BODY_W - key_w - 90 * mm, 38 * mm, 52 * mm], room, "decisions"
            )
            top = self.place(table, PAD, top, BODY_W) - 6 * mm
        else:
            top = (
                self.place(Paragraph("No decision is waiting.", self.s["muted"]), PAD, top, BODY_W)
                - 6 * mm
            )
        columns = [
            (title, items)
            for title, items in (
                ("Help needed", snap.help_needed),
                ("Decisions taken this period", snap.decisions),
            )
            if items
        ]
        width = (BODY_W - GUTTER * (len(columns) - 1)) / max(len(columns), 1)
        for n, (title, items) in enumerate(columns):
            self.fit_sections(
                [
                    (
                        title,
                        [
                            Paragraph(f"• {esc(common.shorten(t, 200))}", self.s["body"])
                            for t in items
                        ],
                    )
                ],
                PAD + n * (width + GUTTER),
                top,
                width,
            )

    SLIDES: tuple[Callable[[Deck], None], ...] = (
        title_slide,
        summary_slide,
        milestones_slide,
        gantt_slide,
        budget_slide,
        risks_slide,
        changes_slide,
        releases_slide,
        asks_slide,
    )

    def render(self) -> bytes:
        for slide in self.SLIDES:
            slide(self)
        self.canvas.save()
        return self.buffer.getvalue()


def render(snapshot: Snapshot) -> bytes:
    """The deck PDF's bytes."""
    return Deck(snapshot).render()
