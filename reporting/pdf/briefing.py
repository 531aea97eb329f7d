"""The executive briefing: one or two A4 pages an executive reads in two minutes, drawn from a
stored `Snapshot` only (reportlab Platypus).

Page order: the headline (program, period, overall RAG and its reason), the RAG of each
dimension with its one-sentence reason, milestones due and slipped, budget burn (a small chart
and the four figures), top risks and issues with owners, decisions needed, change requests
awaiting approval. What the program lacks (no baseline, no budget) is said, not left blank.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from core.templatetags.money import money

from ..snapshot import MilestoneLine, RiskLine, Snapshot
from . import charts, theme

MARGIN = 16 * mm
FRAME_PADDING = 6  # Platypus frames keep 6 pt inside their edges
WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
# a table names its cells' font even when they hold paragraphs: never the unembedded Helvetica
FONT = [("FONTNAME", (0, 0), (-1, -1), theme.SANS)]
DIMENSION_LABELS = {
    "schedule": "Schedule",
    "cost": "Cost",
    "scope": "Scope",
    "risk": "Risk",
    "quality": "Quality",
    "overall": "Overall",
}


def styles() -> dict[str, ParagraphStyle]:
    theme.register_fonts()
    base = ParagraphStyle(
        "body", fontName=theme.SANS, fontSize=8.5, leading=11, textColor=theme.INK
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "muted": ParagraphStyle(
            "muted", parent=base, fontSize=7.5, leading=9.5, textColor=theme.MUTED
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=theme.SANS_BOLD, fontSize=16, leading=20
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=9.5, leading=12, textColor=theme.MUTED
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=theme.SANS_BOLD,
            fontSize=10.5,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=base, fontName=theme.SANS_BOLD, fontSize=8, leading=10
        ),
        "right": ParagraphStyle("right", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
    }


def esc(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class RagPill(Flowable):
    """A coloured rounded label: GREEN / AMBER / RED / NOT RATED."""

    def __init__(self, rag: str, width: float = 22 * mm, height: float = 5.2 * mm, size=7.5):
        super().__init__()
        self.rag, self.width, self.height, self.size = rag, width, height, size

    def draw(self):
        canvas = self.canv
        canvas.setFillColor(theme.RAG_COLOURS.get(self.rag, theme.GREY))
        canvas.roundRect(0, 0, self.width, self.height, 2.2, stroke=0, fill=1)
        canvas.setFillColor(colors.white if self.rag != "amber" else theme.INK)
        canvas.setFont(theme.SANS_BOLD, self.size)
        label = "NOT RATED" if self.rag == "grey" else self.rag.upper()
        canvas.drawCentredString(self.width / 2, (self.height - self.size) / 2 + 1.2, label)


def _table(rows, widths, *, header=True, zebra=True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, theme.RULE),
    ]
    if header:
        commands += [("LINEBELOW", (0, 0), (-1, 0), 0.8, theme.INK)]
    if zebra:
        commands += [
            ("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f6f8fb"))
            for i in range(2 if header else 1, len(rows), 2)
        ]
    table.setStyle(TableStyle([*FONT, *commands]))
    return table


def _header_row(labels: Sequence[str], s) -> list:
    return [Paragraph(esc(label), s["cell_bold"]) for label in labels]


def _date(value) -> str:
    return value.strftime("%d %b %Y") if value else "—"


def headline(snapshot: Snapshot, s) -> list:
    overall = snapshot.rag_of("overall")
    title = Paragraph(esc(snapshot.program_name), s["title"])
    sub = Paragraph(
        f"Executive briefing · week {esc(snapshot.period)} "
        f"({_date(snapshot.period_start)} – {_date(snapshot.period_end)}) · "  # noqa: RUF001
        f"status at {_date(snapshot.status_date)}",
        s["subtitle"],
    )
    pill = RagPill(overall.rag if overall else "grey", width=26 * mm, height=7 * mm, size=9)
    top = Table([[[title, sub], pill]], colWidths=[WIDTH - 30 * mm, 30 * mm])
    top.setStyle(TableStyle([*FONT, ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                             ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                             ("LEFTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
    flow = [top]
    if overall:
        flow.append(Spacer(1, 3))
        flow.append(Paragraph(f"<b>Overall {esc(overall.rag.upper())}:</b> "
                              f"{esc(overall.reason)}", s["body"]))  # fmt: skip
    return flow


def rag_table(snapshot: Snapshot, s) -> list:
    rows = [_header_row(["Dimension", "Status", "Why"], s)]
    for line in snapshot.rag:
        if line.dimension == "overall":
            continue
        reason = esc(line.reason)
        if line.override_reason:
            reason += (
                f"<br/><font color='#667382'>Set by the program manager (the rules said "
                f"{esc(line.computed_rag)}): {esc(line.override_reason)}</font>"
            )
        rows.append([
            Paragraph(DIMENSION_LABELS.get(line.dimension, line.dimension), s["cell_bold"]),
            RagPill(line.rag),
            Paragraph(reason, s["cell"]),
        ])  # fmt: skip
    return [Paragraph("Status by dimension", s["h2"]),
            _table(rows, [24 * mm, 26 * mm, WIDTH - 50 * mm])]  # fmt: skip


def _milestone_rows(lines: Sequence[MilestoneLine], s, slipped: bool) -> list:
    rows = [_header_row(["Milestone", "Baseline", "Now", "Slip" if slipped else "Due"], s)]
    for line in lines:
        rows.append([
            Paragraph(f"{esc(line.name)} <font color='#667382'>{esc(line.key)}</font>",
                      s["cell"]),
            Paragraph(_date(line.baseline), s["cell"]),
            Paragraph(_date(line.current), s["cell"]),
            Paragraph(f"+{line.slip_days} d" if line.slip_days > 0 else
                      ("done" if line.done else "on time"), s["cell"]),
        ])  # fmt: skip
    return rows


def milestones(snapshot: Snapshot, s) -> list:
    flow = [Paragraph("Milestones", s["h2"])]
    if not snapshot.has_baseline:
        flow.append(Paragraph("The schedule has no baseline yet, so slips cannot be measured; "
                              "dates shown are the current plan.", s["muted"]))  # fmt: skip
    widths = [WIDTH - 66 * mm, 22 * mm, 22 * mm, 22 * mm]
    if snapshot.milestones_slipped:
        flow.append(Paragraph(f"<b>Slipped against the baseline "
                              f"({len(snapshot.milestones_slipped)})</b>", s["small"]))  # fmt: skip
        flow.append(_table(_milestone_rows(snapshot.milestones_slipped, s, True), widths))
        flow.append(Spacer(1, 4))
    if snapshot.milestones_due:
        flow.append(Paragraph(f"<b>Due in the next 30 days ({len(snapshot.milestones_due)})</b>",
                              s["small"]))  # fmt: skip
        flow.append(_table(_milestone_rows(snapshot.milestones_due, s, False), widths))
    if not snapshot.milestones_slipped and not snapshot.milestones_due:
        flow.append(Paragraph("No milestone is due in the next 30 days and none has slipped.",
                              s["body"]))  # fmt: skip
    return flow


def _figure(label: str, value: str, s) -> list:
    return [Paragraph(esc(label), s["muted"]), Paragraph(f"<b>{esc(value)}</b>", s["body"])]


def _index(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.01'))}"


def budget(snapshot: Snapshot, s) -> list:
    flow = [Paragraph("Budget burn", s["h2"])]
    burn = snapshot.budget
    if not snapshot.has_budget or burn is None:
        flow.append(Paragraph("The program has no budget yet: cost is not reported.", s["muted"]))
        return flow
    currency = burn.currency
    chart = charts.line_chart(
        burn.months,
        [
            charts.Series("Plan", burn.plan, theme.SERIES["plan"]),
            charts.Series("Actual", burn.actual, theme.SERIES["actual"]),
            charts.Series("Forecast", burn.forecast, theme.SERIES["forecast"], dashed=True),
        ],
        width=WIDTH * 0.58,
        height=48 * mm,
        references=[(burn.budget, "Budget")],
        today_index=burn.today_index,
    )
    vac = burn.variance_at_completion
    figures = Table(
        [
            _figure("Budget (current)", money(burn.budget, currency), s),
            _figure("Actual to date", money(burn.actual_to_date, currency), s),
            _figure("Forecast at completion", money(burn.forecast_at_completion, currency), s),
            _figure(
                "Variance at completion",
                money(abs(vac), currency) + (" under" if vac >= 0 else " over"),
                s,
            ),
            _figure("CPI / SPI", f"{_index(burn.cpi)} / {_index(burn.spi)}", s),
        ],
        colWidths=[WIDTH * 0.15, WIDTH * 0.25],
    )
    figures.setStyle(TableStyle([*FONT, ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                 ("LINEBELOW", (0, 0), (-1, -2), 0.4, theme.RULE)]))  # fmt: skip
    flow.append(Table([[chart, figures]], colWidths=[WIDTH * 0.6, WIDTH * 0.4],
                      style=[*FONT, ("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("LEFTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
    return flow


def _risk_rows(lines: Sequence[RiskLine], s) -> list:
    rows = [_header_row(["Key", "Title", "Score", "Owner", "Status"], s)]
    for line in lines:
        rows.append([
            Paragraph(esc(line.key), s["cell_bold"]),
            Paragraph(esc(line.title), s["cell"]),
            Paragraph(str(line.score), s["right"]),
            Paragraph(esc(line.owner) or "—", s["cell"]),
            Paragraph(esc(line.status), s["cell"]),
        ])  # fmt: skip
    return rows


def risks(snapshot: Snapshot, s) -> list:
    flow = [Paragraph("Top risks and issues", s["h2"])]
    lines = [*snapshot.top_risks[:5], *snapshot.top_issues[:5]]
    if not lines:
        return [*flow, Paragraph("No open risk or issue.", s["body"])]
    widths = [16 * mm, WIDTH - 92 * mm, 12 * mm, 36 * mm, 28 * mm]
    if snapshot.top_risks:
        flow += [Paragraph("<b>Risks</b>", s["small"]),
                 _table(_risk_rows(snapshot.top_risks[:5], s), widths), Spacer(1, 4)]  # fmt: skip
    if snapshot.top_issues:
        flow += [Paragraph("<b>Issues</b>", s["small"]),
                 _table(_risk_rows(snapshot.top_issues[:5], s), widths)]  # fmt: skip
    return flow


def asks(snapshot: Snapshot, s) -> list:
    decisions = [Paragraph("Decisions needed", s["h2"])]
    if snapshot.decisions_needed:
        rows = [_header_row(["Key", "Decision", "Needed by", "Owner"], s)]
        rows += [
            [Paragraph(esc(d.key), s["cell_bold"]), Paragraph(esc(d.title), s["cell"]),
             Paragraph(_date(d.needed_by), s["cell"]), Paragraph(esc(d.owner) or "—", s["cell"])]
            for d in snapshot.decisions_needed
        ]  # fmt: skip
        decisions.append(_table(rows, [16 * mm, WIDTH - 76 * mm, 24 * mm, 36 * mm]))
    else:
        decisions.append(Paragraph("No decision is waiting.", s["body"]))
    changes = [Paragraph("Change requests awaiting approval", s["h2"])]
    if snapshot.changes_awaiting:
        rows = [_header_row(["Key", "Change", "Cost", "Schedule", "Decide by"], s)]
        for change in snapshot.changes_awaiting:
            days = change.schedule_impact_days
            rows.append([
                Paragraph(esc(change.key), s["cell_bold"]),
                Paragraph(esc(change.title), s["cell"]),
                Paragraph(money(change.cost_impact, snapshot.currency)
                          if change.cost_impact is not None else "—", s["right"]),
                Paragraph("—" if days is None else f"{days:+d} d" if days else "none",
                          s["right"]),
                Paragraph(_date(change.needed_by), s["cell"]),
            ])  # fmt: skip
        changes.append(_table(rows, [16 * mm, WIDTH - 100 * mm, 34 * mm, 20 * mm, 30 * mm]))
    else:
        changes.append(Paragraph("No change request is waiting for approval.", s["body"]))
    flow = [KeepTogether(decisions), KeepTogether(changes)]
    if snapshot.help_needed:
        flow.append(KeepTogether([
            Paragraph("Help needed", s["h2"]),
            *[Paragraph(f"• {esc(item)}", s["body"]) for item in snapshot.help_needed],
        ]))  # fmt: skip
    return flow


def _footer(snapshot: Snapshot):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(theme.SANS, 7)
        canvas.setFillColor(theme.MUTED)
        canvas.drawString(MARGIN, 9 * mm, f"{snapshot.program_code} · {snapshot.period} · "
                          f"generated {snapshot.generated_at:%Y-%m-%d %H:%M} UTC")  # fmt: skip
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {doc.page}")
        canvas.setStrokeColor(theme.PRIMARY)
        canvas.setLineWidth(2)
        canvas.line(MARGIN, A4[1] - 10 * mm, A4[0] - MARGIN, A4[1] - 10 * mm)
        canvas.restoreState()

    return draw


def render(snapshot: Snapshot) -> bytes:
    """The briefing PDF's bytes."""
    s = styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"{snapshot.program_name}: executive briefing {snapshot.period}",
        author="Program office",
        initialFontName=theme.SANS,
    )
    story = [
        *headline(snapshot, s),
        *rag_table(snapshot, s),
        KeepTogether(milestones(snapshot, s)),
        KeepTogether(budget(snapshot, s)),
        KeepTogether(risks(snapshot, s)),
        *asks(snapshot, s),
    ]
    doc.build(story, onFirstPage=_footer(snapshot), onLaterPages=_footer(snapshot))
    return buffer.getvalue()
