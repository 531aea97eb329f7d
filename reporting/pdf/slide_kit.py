"""The frame every slide of the PDF deck shares: 16:9 geometry, type sizes, the header band,
footer and DRAFT mark, and placing tables, charts and lists so that whatever does not fit
ends in "+ n more" instead of running off the slide."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.graphics import renderPDF
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from ..snapshot import Snapshot
from . import charts, common, theme
from .briefing import FONT, esc, key_width

W, H = 338.67 * mm, 190.5 * mm  # 13.33 x 7.5 in, PowerPoint's 16:9
PAD = 14 * mm
HEADER = 22 * mm
BODY_TOP = H - HEADER - 8 * mm
BODY_BOTTOM = 13 * mm  # above the footer
BODY_W = W - 2 * PAD
GUTTER = 10 * mm
TEXT = 14
SMALL = 12
CELL = SMALL + 0.5
MILESTONE_ROWS = 14


def row_height(rows: int) -> float:
    """Rows as tall as the slide allows, between readable and bloated."""
    return max(16.0, min(34.0, (BODY_TOP - 36 * mm) / max(rows, 1)))


def _styles() -> dict[str, ParagraphStyle]:
    theme.register_fonts()
    base = ParagraphStyle(
        "deck", fontName=theme.SANS, fontSize=TEXT, leading=TEXT * 1.3, textColor=theme.INK
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=SMALL, leading=SMALL * 1.3),
        "muted": ParagraphStyle(
            "muted", parent=base, fontSize=SMALL, leading=SMALL * 1.3, textColor=theme.MUTED
        ),
        "bold": ParagraphStyle("bold", parent=base, fontName=theme.SANS_BOLD),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=theme.SANS_BOLD,
            fontSize=TEXT,
            leading=TEXT * 1.3,
            spaceAfter=2,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=CELL, leading=SMALL * 1.35),
        "cell_bold": ParagraphStyle(
            "cell_bold",
            parent=base,
            fontName=theme.SANS_BOLD,
            fontSize=CELL,
            leading=SMALL * 1.35,
        ),
        "empty": ParagraphStyle(
            "empty", parent=base, fontSize=14, leading=18, textColor=theme.MUTED
        ),
        "name": ParagraphStyle(
            "name", parent=base, fontName=theme.SANS_BOLD, fontSize=30, leading=36
        ),
        "lead": ParagraphStyle("lead", parent=base, fontSize=16, leading=21, textColor=theme.MUTED),
    }


class SlideFrame:
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
        draft = self.snapshot.status == "draft"
        if draft:
            c.saveState()
            c.setFillColor(theme.RED)
            c.setFillAlpha(0.08)
            c.setFont(theme.SANS_BOLD, 150)
            c.translate(W / 2, H / 2)
            c.rotate(20)
            c.drawCentredString(0, -50, "DRAFT")
            c.restoreState()
        c.setFillColor(theme.RED if draft else theme.PRIMARY)
        c.rect(0, H - 4, W, 4, stroke=0, fill=1)
        c.setFillColor(theme.INK)
        c.setFont(theme.SANS_BOLD, 24)
        c.drawString(
            PAD, H - 15 * mm, charts.fit_text(title, BODY_W - 40 * mm, 24, theme.SANS_BOLD)
        )
        if draft:
            c.setFillColor(theme.RED)
            c.setFont(theme.SANS_BOLD, 14)
            c.drawRightString(W - PAD, H - 15 * mm, "DRAFT")
        if subtitle:
            c.setFont(theme.SANS, SMALL + 1)
            c.setFillColor(theme.MUTED)
            c.drawString(PAD, H - 21 * mm, charts.fit_text(subtitle, BODY_W, SMALL + 1))
        c.setFont(theme.SANS, 8)
        c.setFillColor(theme.MUTED)
        footer = f"{self.snapshot.program_name} · {self.snapshot.period}"
        if self.snapshot.status != "published":
            footer += " · " + common.status_line(self.snapshot).split(":")[0]
        c.drawString(PAD, 7 * mm, charts.fit_text(footer, BODY_W - 20 * mm, 8))
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

    def empty(self, text: str, top: float = BODY_TOP, x: float = PAD, width: float = BODY_W):
        self.place(Paragraph(esc(text), self.s["empty"]), x, top - 10 * mm, width)

    def table(self, rows, widths, zebra=True, more: str = "") -> Table:
        if more:
            rows = [*rows, [Paragraph(esc(more), self.s["muted"])] + [""] * (len(widths) - 1)]
        table = Table(rows, colWidths=widths, repeatRows=1)
        last = len(rows) - (1 if more else 0)
        commands = [
            *FONT,
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, 0), 1, theme.INK),
            ("LINEBELOW", (0, 1), (-1, last - 1), 0.4, theme.RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if zebra:
            commands += [
                ("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f6f8fb"))
                for i in range(2, last, 2)
            ]
        if more:
            commands += [("SPAN", (0, -1), (-1, -1))]
        table.setStyle(TableStyle(commands))
        return table

    def fit_table(self, header: list, rows: list, widths, height: float, noun: str = "") -> Table:
        """As many rows as fit `height`, then "+ n more"."""
        count = len(rows)
        while True:
            hidden = len(rows) - count
            table = self.table(
                [header, *rows[:count]], widths, more=common.more(hidden, noun) if hidden else ""
            )
            _, used = table.wrapOn(self.canvas, sum(widths), height)
            if used <= height or count <= 1:
                return table
            count -= 1

    def fit_sections(
        self,
        sections: Sequence[tuple[str, list[Flowable]]],
        x: float,
        top: float,
        width: float,
        bottom: float = BODY_BOTTOM,
        gap: float = 4 * mm,
    ) -> float:
        """Stack titled lists top-down, dropping the last items of the longest list (shown as
        "+ n more") until everything fits between `top` and `bottom`."""
        sections = [(title, items) for title, items in sections if items]
        caps = [len(items) for _, items in sections]

        def height_of(flowable) -> float:
            return flowable.wrapOn(self.canvas, width, H)[1]

        heights = [[height_of(item) for item in items] for _, items in sections]
        title_h = self.s["h3"].leading + 2
        more_h = self.s["muted"].leading + 2

        def total() -> float:
            return sum(
                title_h + sum(h[:cap]) + (more_h if cap < len(h) else 0) + gap
                for h, cap in zip(heights, caps, strict=True)
            )

        while total() > top - bottom and any(cap > 1 for cap in caps):
            longest = max(range(len(caps)), key=lambda i: (caps[i], -i))
            caps[longest] -= 1
        for (title, items), cap in zip(sections, caps, strict=True):
            top = self.place(Paragraph(esc(title), self.s["h3"]), x, top, width) - 2
            for item in items[:cap]:
                top = self.place(item, x, top, width)
            if cap < len(items):
                top = self.place(
                    Paragraph(esc(common.more(len(items) - cap)), self.s["muted"]),
                    x,
                    top - 2,
                    width,
                )
            top -= gap
        return top

    def header(self, labels: Sequence[str]) -> list:
        return [Paragraph(esc(label), self.s["cell_bold"]) for label in labels]

    def cell(self, text: str, bold: bool = False, limit: int = 120) -> Paragraph:
        return Paragraph(esc(common.shorten(text, limit)), self.s["cell_bold" if bold else "cell"])

    def bullet(self, text: str, limit: int = 160) -> Paragraph:
        return Paragraph(f"• {esc(common.shorten(text, limit))}", self.s["small"])

    def key_col(self, keys: Sequence[str]) -> float:
        return key_width(keys, CELL, padding=6)

    # --- slides --------------------------------------------------------------------------------
