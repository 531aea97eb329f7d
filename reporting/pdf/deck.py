"""The executive deck: 16:9 PDF slides a sponsor can present, drawn from a stored `Snapshot`.

Slides: title; summary (RAG of each dimension with its reason); milestones (baseline vs current);
the next 90 days (Gantt); budget (burn S-curve and variance by workstream); risks (heat map and
the top risks); change requests awaiting a decision; releases and their readiness; decisions and
asks. Every slide has the same header band, type sizes and footer; a slide whose subject is
missing (no baseline, no budget, nothing open) says so in words.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence

from reportlab.graphics import renderPDF
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from core.templatetags.money import money

from ..snapshot import Snapshot
from . import charts, theme
from .briefing import DIMENSION_LABELS, FONT, RagPill, esc

W, H = 338.67 * mm, 190.5 * mm  # 13.33 x 7.5 in, PowerPoint's 16:9
PAD = 14 * mm
HEADER = 22 * mm
BODY_TOP = H - HEADER - 8 * mm
BODY_W = W - 2 * PAD
TEXT = 14
SMALL = 12


def _row_height(rows: int) -> float:
    """Rows as tall as the slide allows, between readable and bloated."""
    return max(16.0, min(34.0, (BODY_TOP - 30 * mm) / max(rows, 1)))


def _styles() -> dict[str, ParagraphStyle]:
    theme.register_fonts()
    base = ParagraphStyle("deck", fontName=theme.SANS, fontSize=TEXT, leading=TEXT * 1.3,
                          textColor=theme.INK)  # fmt: skip
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=SMALL, leading=SMALL * 1.3),
        "muted": ParagraphStyle(
            "muted", parent=base, fontSize=SMALL, leading=SMALL * 1.3, textColor=theme.MUTED
        ),
        "bold": ParagraphStyle("bold", parent=base, fontName=theme.SANS_BOLD),
        "cell": ParagraphStyle("cell", parent=base, fontSize=SMALL + 0.5, leading=SMALL * 1.35),
        "cell_bold": ParagraphStyle(
            "cell_bold",
            parent=base,
            fontName=theme.SANS_BOLD,
            fontSize=SMALL + 0.5,
            leading=SMALL * 1.35,
        ),
        "empty": ParagraphStyle(
            "empty", parent=base, fontSize=14, leading=18, textColor=theme.MUTED
        ),
    }


class Deck:
    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.s = _styles()
        self.buffer = io.BytesIO()
        self.canvas = Canvas(
            self.buffer, pagesize=(W, H), initialFontName=theme.SANS, pageCompression=1
        )
        self.canvas.setTitle(f"{snapshot.program_name}: executive deck {snapshot.period}")
        self.canvas.setAuthor("Program office")
        self.number = 0

    # --- frame ---------------------------------------------------------------------------------

    def slide(self, title: str, subtitle: str = "") -> Canvas:
        if self.number:
            self.canvas.showPage()
        self.number += 1
        c = self.canvas
        c.setFillColor(theme.PRIMARY)
        c.rect(0, H - 4, W, 4, stroke=0, fill=1)
        c.setFillColor(theme.INK)
        c.setFont(theme.SANS_BOLD, 24)
        c.drawString(PAD, H - 15 * mm, title)
        if subtitle:
            c.setFont(theme.SANS, SMALL + 1)
            c.setFillColor(theme.MUTED)
            c.drawString(PAD, H - 21 * mm, subtitle)
        c.setFont(theme.SANS, 8)
        c.setFillColor(theme.MUTED)
        c.drawString(PAD, 7 * mm, f"{self.snapshot.program_name} · {self.snapshot.period}")
        c.drawRightString(W - PAD, 7 * mm, str(self.number))
        return c

    def place(self, flowable, x: float, top: float, width: float) -> float:
        """Draw a flowable with its top at `top`; the y of its bottom."""
        _, height = flowable.wrapOn(self.canvas, width, top)
        flowable.drawOn(self.canvas, x, top - height)
        return top - height

    def drawing(self, drawing, x: float, top: float) -> float:
        renderPDF.draw(drawing, self.canvas, x, top - drawing.height)
        return top - drawing.height

    def empty(self, text: str, top: float = BODY_TOP) -> None:
        self.place(Paragraph(esc(text), self.s["empty"]), PAD, top - 10 * mm, BODY_W)

    def table(self, rows, widths, zebra=True) -> Table:
        table = Table(rows, colWidths=widths, repeatRows=1)
        commands = [
            *FONT,
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, 0), 1, theme.INK),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, theme.RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if zebra:
            commands += [("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f6f8fb"))
                         for i in range(2, len(rows), 2)]  # fmt: skip
        table.setStyle(TableStyle(commands))
        return table

    def header(self, labels: Sequence[str]) -> list:
        return [Paragraph(esc(label), self.s["cell_bold"]) for label in labels]

    def cell(self, text: str, bold: bool = False) -> Paragraph:
        return Paragraph(esc(text), self.s["cell_bold" if bold else "cell"])

    # --- slides --------------------------------------------------------------------------------

    def title_slide(self) -> None:
        snap = self.snapshot
        c = self.slide("")
        c.setFillColor(theme.PRIMARY)
        c.rect(0, 0, 10 * mm, H, stroke=0, fill=1)
        c.setFillColor(theme.INK)
        c.setFont(theme.SANS_BOLD, 30)
        c.drawString(PAD + 8 * mm, H * 0.58, snap.program_name)
        c.setFont(theme.SANS, 16)
        c.setFillColor(theme.MUTED)
        c.drawString(PAD + 8 * mm, H * 0.58 - 12 * mm,
                     f"Executive update · week {snap.period} · status at "
                     f"{snap.status_date:%d %B %Y}")  # fmt: skip
        people = " · ".join(p for p in (
            f"Sponsor: {snap.sponsor}" if snap.sponsor else "",
            f"Program manager: {snap.manager}" if snap.manager else "",
        ) if p)  # fmt: skip
        c.setFont(theme.SANS, 12)
        c.drawString(PAD + 8 * mm, H * 0.58 - 22 * mm, people)
        overall = snap.rag_of("overall")
        if overall:
            pill = RagPill(overall.rag, width=34 * mm, height=10 * mm, size=13)
            pill.wrapOn(c, 0, 0)
            pill.drawOn(c, PAD + 8 * mm, H * 0.58 - 42 * mm)
            self.place(Paragraph(esc(overall.reason), self.s["body"]), PAD + 46 * mm,
                       H * 0.58 - 33 * mm, BODY_W - 50 * mm)  # fmt: skip

    def summary_slide(self) -> None:
        self.slide("Summary", "Status of each dimension, with why")
        rows = [self.header(["", "Status", "Why"])]
        for line in self.snapshot.rag:
            reason = esc(line.reason)
            if line.override_reason:
                reason += (f"<br/><font color='#667382' size='{SMALL}'>Set by the program "
                           f"manager (rules: {esc(line.computed_rag)}): "
                           f"{esc(line.override_reason)}</font>")  # fmt: skip
            rows.append([self.cell(DIMENSION_LABELS.get(line.dimension, line.dimension), True),
                         RagPill(line.rag, width=26 * mm, height=6.5 * mm, size=9),
                         Paragraph(reason, self.s["cell"])])  # fmt: skip
        self.place(self.table(rows, [30 * mm, 32 * mm, BODY_W - 62 * mm]), PAD, BODY_TOP,
                   BODY_W)  # fmt: skip

    def milestones_slide(self) -> None:
        snap = self.snapshot
        subtitle = (f"Against the baseline “{snap.baseline_name}”" if snap.has_baseline and
                    snap.baseline_name else "Current plan")  # fmt: skip
        self.slide("Milestones", subtitle)
        if not snap.milestones:
            self.empty("No milestones in the plan yet.")
            return
        rows = [
            charts.MilestoneRow(
                m.name, m.baseline if snap.has_baseline else None, m.current, m.done, m.slip_days
            )
            for m in snap.milestones[:14]
        ]
        bottom = self.drawing(
            charts.milestone_chart(
                rows,
                width=BODY_W,
                today=snap.status_date,
                row_height=_row_height(len(rows)),
                font_size=SMALL,
            ),
            PAD,
            BODY_TOP,
        )
        if not snap.has_baseline:
            self.place(Paragraph("No baseline yet: slips cannot be measured.", self.s["muted"]),
                       PAD, bottom - 4 * mm, BODY_W)  # fmt: skip

    def gantt_slide(self) -> None:
        snap = self.snapshot
        end = snap.status_date + dt.timedelta(days=90)
        self.slide("The next 90 days", f"{snap.status_date:%d %b} – {end:%d %b %Y}; critical "  # noqa: RUF001
                   "work in red")  # fmt: skip
        if not snap.gantt:
            self.empty("No work is planned in the next 90 days.")
            return
        rows = [
            charts.GanttRow(g.name, g.start, g.finish, g.critical, g.milestone,
                            g.percent_complete, g.summary)
            for g in snap.gantt[:18]
        ]  # fmt: skip
        chart = charts.gantt(
            rows,
            start=snap.status_date,
            end=end,
            today=snap.status_date,
            width=BODY_W,
            row_height=_row_height(len(rows)),
            font_size=SMALL,
        )
        self.drawing(chart, PAD, BODY_TOP)

    def budget_slide(self) -> None:
        snap = self.snapshot
        burn = snap.budget
        self.slide("Budget", f"Cumulative plan, actual and forecast ({snap.currency})")
        if not snap.has_budget or burn is None:
            self.empty("The program has no budget yet: cost is not reported.")
            return
        chart = charts.line_chart(
            burn.months,
            [charts.Series("Plan", burn.plan, theme.SERIES["plan"]),
             charts.Series("Actual", burn.actual, theme.SERIES["actual"]),
             charts.Series("Forecast", burn.forecast, theme.SERIES["forecast"], dashed=True)],
            width=BODY_W * 0.6, height=BODY_TOP - 24 * mm, font_size=SMALL,
            references=[(burn.budget, "Budget")], today_index=burn.today_index,
        )  # fmt: skip
        self.drawing(chart, PAD, BODY_TOP)
        right = PAD + BODY_W * 0.64
        vac = burn.variance_at_completion
        figures = [
            ("Budget", money(burn.budget, burn.currency)),
            ("Actual to date", money(burn.actual_to_date, burn.currency)),
            ("Forecast at completion", money(burn.forecast_at_completion, burn.currency)),
            ("Variance at completion",
             money(abs(vac), burn.currency) + (" under" if vac >= 0 else " over")),
            ("CPI / SPI", " / ".join("—" if v is None else f"{v:.2f}" for v in (burn.cpi,
                                                                                 burn.spi))),
        ]  # fmt: skip
        rows = [[self.cell(label), self.cell(value, True)] for label, value in figures]
        table = self.table(
            [self.header(["Figure", "Value"]), *rows], [BODY_W * 0.15, BODY_W * 0.21]
        )
        top = self.place(table, right, BODY_TOP, BODY_W * 0.36)
        if burn.variance_by_workstream:
            self.place(Paragraph("Variance at completion by workstream (over budget in red)",
                                 self.s["muted"]), right, top - 5 * mm, BODY_W * 0.36)  # fmt: skip
            bars = charts.variance_bars([(n, v) for n, v in burn.variance_by_workstream[:8]],
                                        width=BODY_W * 0.36, font_size=SMALL - 1)  # fmt: skip
            self.drawing(bars, right, top - 11 * mm)

    def risks_slide(self) -> None:
        snap = self.snapshot
        self.slide("Risks", f"Open risks by probability and impact; exposure {snap.risk_exposure}")
        counts = {(p, i): n for p, i, n in snap.heat_map}
        self.drawing(charts.heat_map(counts, size=min(BODY_TOP - 20 * mm, 110 * mm),
                                     font_size=SMALL), PAD, BODY_TOP)  # fmt: skip
        left = PAD + 122 * mm
        lines = [*snap.top_risks[:5], *snap.top_issues[:3]]
        if not lines:
            self.empty("No open risk or issue.", BODY_TOP)
            return
        rows = [self.header(["Key", "Title", "Score", "Owner"])]
        rows += [[self.cell(r.key, True), self.cell(r.title), self.cell(str(r.score)),
                  self.cell(r.owner or "—")] for r in lines]  # fmt: skip
        width = BODY_W - 122 * mm
        self.place(self.table(rows, [26 * mm, width - 96 * mm, 22 * mm, 48 * mm]), left,
                   BODY_TOP, width)  # fmt: skip

    def changes_slide(self) -> None:
        snap = self.snapshot
        self.slide("Change requests", "Awaiting a decision")
        if not snap.changes_awaiting:
            self.empty("No change request is waiting for a decision.")
            return
        rows = [self.header(["Key", "Change", "Status", "Cost", "Schedule", "Decide by"])]
        for change in snap.changes_awaiting[:10]:
            days = change.schedule_impact_days
            rows.append([
                self.cell(change.key, True), self.cell(change.title), self.cell(change.status),
                self.cell(money(change.cost_impact, snap.currency)
                          if change.cost_impact is not None else "—"),
                self.cell("—" if days is None else f"{days:+d} d" if days else "none"),
                self.cell(f"{change.needed_by:%d %b %Y}" if change.needed_by else "—"),
            ])  # fmt: skip
        self.place(self.table(rows, [22 * mm, BODY_W - 166 * mm, 30 * mm, 44 * mm, 30 * mm,
                                     34 * mm]), PAD, BODY_TOP, BODY_W)  # fmt: skip

    def releases_slide(self) -> None:
        snap = self.snapshot
        self.slide("Releases and readiness")
        if not snap.releases:
            self.empty("No release is planned.")
            return
        rows = [self.header(["Release", "Planned", "Status", "Readiness"])]
        for release in snap.releases[:6]:
            readiness = "Ready" if release.ready else "Not ready"
            if release.failing:
                readiness += ": " + "; ".join(release.failing[:4])
            rows.append([
                self.cell(f"{release.version} {release.name}", True),
                self.cell(f"{release.planned_date:%d %b %Y}"), self.cell(release.status),
                Paragraph(f"<font color='{'#2fb344' if release.ready else '#d63939'}'>"
                          f"<b>{esc(readiness.split(':')[0])}</b></font>"
                          + esc(readiness[len(readiness.split(':')[0]):]), self.s["cell"]),
            ])  # fmt: skip
        self.place(self.table(rows, [80 * mm, 36 * mm, 30 * mm, BODY_W - 146 * mm]), PAD,
                   BODY_TOP, BODY_W)  # fmt: skip

    def asks_slide(self) -> None:
        snap = self.snapshot
        self.slide("Decisions and asks")
        top = BODY_TOP
        if snap.decisions_needed:
            rows = [self.header(["Key", "Decision needed", "By", "Owner"])]
            rows += [[self.cell(d.key, True), self.cell(d.title),
                      self.cell(f"{d.needed_by:%d %b %Y}" if d.needed_by else "—"),
                      self.cell(d.owner or "—")] for d in snap.decisions_needed[:6]]  # fmt: skip
            top = self.place(self.table(rows, [22 * mm, BODY_W - 110 * mm, 40 * mm, 48 * mm]),
                             PAD, top, BODY_W) - 8 * mm  # fmt: skip
        if snap.help_needed:
            self.place(Paragraph("<b>Help needed</b>", self.s["body"]), PAD, top, BODY_W)
            top -= 7 * mm
            for item in snap.help_needed[:6]:
                top = self.place(Paragraph(f"• {esc(item)}", self.s["body"]), PAD, top, BODY_W)
        if not snap.decisions_needed and not snap.help_needed:
            self.empty("No decision or help is needed this week.")

    SLIDES: tuple[Callable[[Deck], None], ...] = (
        title_slide, summary_slide, milestones_slide, gantt_slide, budget_slide, risks_slide,
        changes_slide, releases_slide, asks_slide,
    )  # fmt: skip

    def render(self) -> bytes:
        for slide in self.SLIDES:
            slide(self)
        self.canvas.save()
        return self.buffer.getvalue()


def render(snapshot: Snapshot) -> bytes:
    """The deck PDF's bytes."""
    return Deck(snapshot).render()
