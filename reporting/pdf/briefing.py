"""The executive briefing: one or two A4 pages an executive reads in two minutes, drawn from a
stored `Snapshot` only (reportlab Platypus).

Page order: the headline (program, period, whose word the figures are, overall RAG and its
reason), the RAG of each dimension with its one-sentence reason (and the manager's override),
achievements and next steps, workstream commentary, milestones slipped and due, budget burn (a
small chart and the figures), top risks and issues with owners, decisions needed and taken,
change requests awaiting approval, help needed. What the program lacks (no baseline, no budget)
is said, not left blank. Long lists end in "+ n more" and long text is shortened, tighter and
tighter until the briefing fits two pages.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from ..snapshot import MilestoneLine, RiskLine, Snapshot
from . import charts, common, theme
from .common import DIMENSION_LABELS, money

__all__ = ["DIMENSION_LABELS", "FONT", "RagPill", "esc", "key_width", "render"]

MARGIN = 16 * mm
FRAME_PADDING = 6  # Platypus frames keep 6 pt inside their edges
WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
MAX_PAGES = 2
# a table names its cells' font even when they hold paragraphs: never the unembedded Helvetica
FONT = [("FONTNAME", (0, 0), (-1, -1), theme.SANS)]
CELL_PADDING = 3


@dataclass(frozen=True)
class Limits:
    rows: int  # rows of each table (milestones, risks, decisions, changes)
    commentary: int  # workstreams
    bullets: int  # achievements, next steps, decisions taken, help needed
    text: int  # characters of a reason, a commentary or a bullet
    name: int  # characters of a title in a table


# each tried in turn until the briefing fits MAX_PAGES
LIMITS = (
    Limits(rows=5, commentary=8, bullets=5, text=260, name=110),
    Limits(rows=4, commentary=6, bullets=4, text=170, name=80),
    Limits(rows=3, commentary=4, bullets=3, text=120, name=60),
    Limits(rows=2, commentary=3, bullets=2, text=80, name=44),
)


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
            spaceBefore=7,
            spaceAfter=3,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=base, fontName=theme.SANS_BOLD, fontSize=8, leading=10
        ),
        "right": ParagraphStyle("right", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head_right": ParagraphStyle(
            "head_right",
            parent=base,
            fontName=theme.SANS_BOLD,
            fontSize=8,
            leading=10,
            alignment=TA_RIGHT,
        ),
        "more": ParagraphStyle(
            "more", parent=base, fontSize=7.5, leading=9.5, textColor=theme.MUTED
        ),
    }


def esc(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def key_width(keys: Sequence[str], size: float, padding: float = CELL_PADDING) -> float:
    """A key column as wide as its longest key in bold, so "DEC-10" never wraps."""
    widest = max((stringWidth(k, theme.SANS_BOLD, size) for k in keys), default=0)
    return max(widest, stringWidth("DEC-00", theme.SANS_BOLD, size)) + 2 * padding + 2


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


def _table(rows, widths, *, header=True, zebra=True, more: str = "") -> Table:
    """A ruled table; `more` ("+ 3 more") becomes a last muted row across every column."""
    s = styles()
    if more:
        rows = [*rows, [Paragraph(esc(more), s["more"])] + [""] * (len(widths) - 1)]
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, theme.RULE),
    ]
    if header:
        commands += [("LINEBELOW", (0, 0), (-1, 0), 0.8, theme.INK)]
    last = len(rows) - (1 if more else 0)
    if zebra:
        commands += [
            ("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f6f8fb"))
            for i in range(2 if header else 1, last, 2)
        ]
    if more:
        commands += [("SPAN", (0, -1), (-1, -1))]
    table.setStyle(TableStyle([*FONT, *commands]))
    return table


NUMERIC_HEADERS = {"Score", "Severity", "Cost", "Schedule"}


def _header_row(labels: Sequence[str], s) -> list:
    return [
        Paragraph(esc(label), s["head_right" if label in NUMERIC_HEADERS else "cell_bold"])
        for label in labels
    ]


def _more(hidden: int, noun: str = "") -> str:
    return common.more(hidden, noun) if hidden else ""


def _bullets(items: Sequence[str], s, limits: Limits, noun: str) -> list:
    shown, hidden = common.take(items, limits.bullets)
    flow = [Paragraph(f"• {esc(common.shorten(item, limits.text))}", s["body"]) for item in shown]
    if hidden:
        flow.append(Paragraph(esc(common.more(hidden, noun)), s["more"]))
    return flow


# --- sections ------------------------------------------------------------------------------------


def status_notice(snapshot: Snapshot, s) -> Flowable:
    """Whose word the figures are: a plain line when published, a coloured box otherwise."""
    text = esc(common.status_line(snapshot))
    if snapshot.status == "published":
        return Paragraph(text, s["muted"])
    tint, ink = ("#fbe3e3", "#7d1010") if snapshot.status == "draft" else ("#fff1c2", "#6b4e00")
    box = Table(
        [[Paragraph(f"<font color='{ink}'><b>{text}</b></font>", s["small"])]], colWidths=[WIDTH]
    )
    box.setStyle(
        TableStyle(
            [
                *FONT,
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(tint)),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return box


def headline(snapshot: Snapshot, s, limits: Limits) -> list:
    overall = snapshot.rag_of("overall")
    title = Paragraph(esc(snapshot.program_name), s["title"])
    sub = Paragraph(
        f"Executive briefing · week {esc(snapshot.period)} "
        f"({common.period_range(snapshot.period_start, snapshot.period_end)}) · "
        f"status at {common.date(snapshot.status_date)}",
        s["subtitle"],
    )
    pill = RagPill(overall.rag if overall else "grey", width=26 * mm, height=7 * mm, size=9)
    top = Table([[[title, sub], pill]], colWidths=[WIDTH - 30 * mm, 30 * mm])
    top.setStyle(
        TableStyle(
            [
                *FONT,
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    flow = [top, Spacer(1, 2), status_notice(snapshot, s)]
    if overall:
        text = f"<b>Overall {esc(overall.rag.upper())}:</b> {esc(overall.reason)}"
        if common.override_text(overall):
            text += f"<br/><b>{esc(common.override_text(overall))}</b>"
        flow += [Spacer(1, 3), Paragraph(text, s["body"])]
    return flow


def rag_table(snapshot: Snapshot, s, limits: Limits) -> list:
    rows = [_header_row(["Dimension", "Status", "Why"], s)]
    for line in snapshot.rag:
        if line.dimension == "overall":
            continue
        reason = esc(common.shorten(line.reason, limits.text))
        override = common.override_text(line)
        if override:
            reason = (
                f"<b>{esc(common.shorten(override, limits.text))}</b><br/>"
                f"<font color='#667382'>Rules: {reason}</font>"
            )
        rows.append(
            [
                Paragraph(DIMENSION_LABELS.get(line.dimension, line.dimension), s["cell_bold"]),
                RagPill(line.rag),
                Paragraph(reason, s["cell"]),
            ]
        )
    return [
        Paragraph("Status by dimension", s["h2"]),
        _table(rows, [24 * mm, 26 * mm, WIDTH - 50 * mm]),
    ]


def narrative(snapshot: Snapshot, s, limits: Limits) -> list:
    """Achievements and next steps side by side, then the workstream leads' commentary."""
    flow: list = []
    columns = [
        (title, _bullets(items, s, limits, noun))
        for title, items, noun in (
            ("Achievements this period", snapshot.achievements, ""),
            ("Next steps", snapshot.next_steps, ""),
        )
        if items
    ]
    if columns:
        cells = [[Paragraph(title, s["h2"]), *items] for title, items in columns]
        width = WIDTH / len(cells)
        table = Table([cells], colWidths=[width] * len(cells))
        table.setStyle(
            TableStyle(
                [*FONT, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]
            )
        )
        flow.append(KeepTogether(table))
    if snapshot.commentary:
        shown, hidden = common.take(snapshot.commentary, limits.commentary)
        rows = [_header_row(["Workstream", "Status", "Commentary"], s)]
        rows += [
            [
                Paragraph(esc(common.shorten(c.workstream, 60)), s["cell_bold"]),
                RagPill(c.rag),
                Paragraph(esc(common.shorten(c.text, limits.text)) or "—", s["cell"]),
            ]
            for c in shown
        ]
        flow.append(
            KeepTogether(
                [
                    Paragraph("Workstream commentary", s["h2"]),
                    _table(
                        rows, [36 * mm, 26 * mm, WIDTH - 62 * mm], more=_more(hidden, "workstreams")
                    ),
                ]
            )
        )
    return flow


def _milestone_rows(lines: Sequence[MilestoneLine], s, slipped: bool, limits: Limits) -> list:
    rows = [_header_row(["Milestone", "Baseline", "Now", "Slip" if slipped else "Due"], s)]
    for line in lines:
        rows.append(
            [
                Paragraph(
                    f"{esc(common.shorten(line.name, limits.name))} "
                    f"<font color='#667382'>{esc(line.key)}</font>",
                    s["cell"],
                ),
                Paragraph(common.date(line.baseline), s["cell"]),
                Paragraph(common.date(line.current), s["cell"]),
                Paragraph(
                    f"+{line.slip_days} d"
                    if line.slip_days > 0
                    else ("done" if line.done else "on time"),
                    s["cell"],
                ),
            ]
        )
    return rows


def milestones(snapshot: Snapshot, s, limits: Limits) -> list:
    flow = [Paragraph("Milestones", s["h2"])]
    if not snapshot.has_baseline:
        flow.append(
            Paragraph(
                "The schedule has no baseline yet, so slips cannot be measured; "
                "dates shown are the current plan.",
                s["muted"],
            )
        )
    widths = [WIDTH - 66 * mm, 22 * mm, 22 * mm, 22 * mm]
    for lines, slipped, title in (
        (snapshot.milestones_slipped, True, "Slipped against the baseline"),
        (snapshot.milestones_due, False, "Due in the next 30 days"),
    ):
        if not lines:
            continue
        shown, hidden = common.take(lines, limits.rows)
        flow += [
            Paragraph(f"<b>{title} ({len(lines)})</b>", s["small"]),
            _table(_milestone_rows(shown, s, slipped, limits), widths, more=_more(hidden)),
            Spacer(1, 4),
        ]
    if not snapshot.milestones_slipped and not snapshot.milestones_due:
        flow.append(
            Paragraph("No milestone is due in the next 30 days and none has slipped.", s["body"])
        )
    return flow


def _figure(label: str, value: str, s) -> list:
    return [Paragraph(esc(label), s["muted"]), Paragraph(f"<b>{esc(value)}</b>", s["body"])]


def budget(snapshot: Snapshot, s, limits: Limits) -> list:
    flow = [Paragraph("Budget burn", s["h2"])]
    burn = snapshot.budget
    if not snapshot.has_budget or burn is None:
        flow.append(Paragraph("The program has no budget yet: cost is not reported.", s["body"]))
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
        height=46 * mm,
        references=[(burn.budget, "Budget")],
        today_index=burn.today_index,
    )
    figures = Table(
        [
            _figure("Budget (current)", money(burn.budget, currency), s),
            _figure("Actual to date", money(burn.actual_to_date, currency), s),
            _figure("Forecast at completion", money(burn.forecast_at_completion, currency), s),
            _figure(
                "Variance at completion",
                common.variance_text(burn.variance_at_completion, currency),
                s,
            ),
            _figure("CPI / SPI", f"{common.index(burn.cpi)} / {common.index(burn.spi)}", s),
        ],
        colWidths=[WIDTH * 0.15, WIDTH * 0.25],
    )
    figures.setStyle(
        TableStyle(
            [
                *FONT,
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, theme.RULE),
            ]
        )
    )
    flow.append(
        Table(
            [[chart, figures]],
            colWidths=[WIDTH * 0.6, WIDTH * 0.4],
            style=[
                *FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ],
        )
    )
    if not snapshot.has_baseline:
        flow.append(Paragraph("No schedule baseline: SPI cannot be measured.", s["muted"]))
    return flow


def _risk_rows(lines: Sequence[RiskLine], s, limits: Limits, rating: str) -> list:
    rows = [_header_row(["Key", "Title", rating, "Owner", "Status"], s)]
    for line in lines:
        rows.append(
            [
                Paragraph(esc(line.key), s["cell_bold"]),
                Paragraph(esc(common.shorten(line.title, limits.name)), s["cell"]),
                Paragraph(common.rating(line), s["right"]),
                Paragraph(esc(common.shorten(line.owner, 40)) or "—", s["cell"]),
                Paragraph(esc(line.status), s["cell"]),
            ]
        )
    return rows


def risks(snapshot: Snapshot, s, limits: Limits) -> list:
    flow = [Paragraph("Top risks and issues", s["h2"])]
    if not snapshot.top_risks and not snapshot.top_issues:
        return [*flow, Paragraph("No open risk or issue.", s["body"])]
    keys = [r.key for r in (*snapshot.top_risks, *snapshot.top_issues)]
    key_w = key_width(keys, 8)
    widths = [key_w, WIDTH - key_w - 80 * mm, 16 * mm, 36 * mm, 28 * mm]
    for title, lines, rating in (
        ("Risks", snapshot.top_risks, "Score"),
        ("Issues", snapshot.top_issues, "Severity"),
    ):
        if lines:
            shown, hidden = common.take(lines, limits.rows)
            flow += [
                Paragraph(f"<b>{title}</b>", s["small"]),
                _table(_risk_rows(shown, s, limits, rating), widths, more=_more(hidden)),
                Spacer(1, 4),
            ]
    return flow


def asks(snapshot: Snapshot, s, limits: Limits) -> list:
    decisions = [Paragraph("Decisions needed", s["h2"])]
    if snapshot.decisions_needed:
        shown, hidden = common.take(snapshot.decisions_needed, limits.rows)
        key_w = key_width([d.key for d in shown], 8)
        rows = [_header_row(["Key", "Decision", "Needed by", "Owner"], s)]
        rows += [
            [
                Paragraph(esc(d.key), s["cell_bold"]),
                Paragraph(esc(common.shorten(d.title, limits.name)), s["cell"]),
                Paragraph(common.date(d.needed_by), s["cell"]),
                Paragraph(esc(common.shorten(d.owner, 40)) or "—", s["cell"]),
            ]
            for d in shown
        ]
        decisions.append(
            _table(rows, [key_w, WIDTH - key_w - 60 * mm, 24 * mm, 36 * mm], more=_more(hidden))
        )
    else:
        decisions.append(Paragraph("No decision is waiting.", s["body"]))
    flow = [KeepTogether(decisions)]
    if snapshot.decisions:
        flow.append(
            KeepTogether(
                [
                    Paragraph("Decisions taken this period", s["h2"]),
                    *_bullets(snapshot.decisions, s, limits, ""),
                ]
            )
        )
    changes = [Paragraph("Change requests awaiting approval", s["h2"])]
    if snapshot.changes_awaiting:
        shown, hidden = common.take(snapshot.changes_awaiting, limits.rows)
        key_w = key_width([c.key for c in shown], 8)
        rows = [_header_row(["Key", "Change", "Cost", "Schedule", "Decide by"], s)]
        for change in shown:
            rows.append(
                [
                    Paragraph(esc(change.key), s["cell_bold"]),
                    Paragraph(esc(common.shorten(change.title, limits.name)), s["cell"]),
                    Paragraph(money(change.cost_impact, snapshot.currency), s["right"]),
                    Paragraph(common.impact_days(change.schedule_impact_days), s["right"]),
                    Paragraph(common.date(change.needed_by), s["cell"]),
                ]
            )
        changes.append(
            _table(
                rows,
                [key_w, WIDTH - key_w - 86 * mm, 36 * mm, 20 * mm, 30 * mm],
                more=_more(hidden),
            )
        )
    else:
        changes.append(Paragraph("No change request is waiting for approval.", s["body"]))
    flow.append(KeepTogether(changes))
    if snapshot.help_needed:
        flow.append(
            KeepTogether(
                [Paragraph("Help needed", s["h2"]), *_bullets(snapshot.help_needed, s, limits, "")]
            )
        )
    return flow


# --- pages ---------------------------------------------------------------------------------------


def _decorate(snapshot: Snapshot):
    def draw(canvas, doc):
        canvas.saveState()
        if snapshot.status == "draft":  # a draft can never pass for the published briefing
            canvas.setFillColor(theme.RED)
            canvas.setFillAlpha(0.10)
            canvas.setFont(theme.SANS_BOLD, 110)
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(50)
            canvas.drawCentredString(0, -40, "DRAFT")
            canvas.rotate(-50)
            canvas.translate(-A4[0] / 2, -A4[1] / 2)
            canvas.setFillAlpha(1)
        canvas.setFont(theme.SANS, 7)
        canvas.setFillColor(theme.MUTED)
        canvas.drawString(
            MARGIN,
            9 * mm,
            f"{snapshot.program_code} · {snapshot.period} · "
            f"generated {snapshot.generated_at:%Y-%m-%d %H:%M} UTC"
            + (" · DRAFT" if snapshot.status == "draft" else ""),
        )
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {doc.page}")
        canvas.setStrokeColor(theme.RED if snapshot.status == "draft" else theme.PRIMARY)
        canvas.setLineWidth(2)
        canvas.line(MARGIN, A4[1] - 10 * mm, A4[0] - MARGIN, A4[1] - 10 * mm)
        canvas.restoreState()

    return draw


def _build(snapshot: Snapshot, limits: Limits) -> tuple[bytes, int]:
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
        *headline(snapshot, s, limits),
        *rag_table(snapshot, s, limits),
        *narrative(snapshot, s, limits),
        KeepTogether(milestones(snapshot, s, limits)),
        KeepTogether(budget(snapshot, s, limits)),
        KeepTogether(risks(snapshot, s, limits)),
        *asks(snapshot, s, limits),
    ]
    decorate = _decorate(snapshot)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue(), doc.page


def render(snapshot: Snapshot) -> bytes:
    """The briefing PDF's bytes: the fullest version that fits two pages."""
    pdf = b""
    for limits in LIMITS:
        pdf, pages = _build(snapshot, limits)
        if pages <= MAX_PAGES:
            break
    return pdf
