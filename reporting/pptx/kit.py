"""The drawing kit of the PowerPoint export: slide geometry, colours and the primitives every
slide uses (text boxes, shapes, lines, RAG pills, native tables, bullet lists that stop before
the slide's edge), all in DejaVu Sans with no theme effects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt
from reportlab.pdfbase.pdfmetrics import stringWidth

from ..pdf import common, theme
from ..snapshot import Snapshot

W, H = 960.0, 540.0  # points: 13.33 x 7.5 in, PowerPoint's 16:9
PAD = 40.0
BODY_TOP = 85.0
BODY_BOTTOM = 505.0
BODY_W = W - 2 * PAD
FONT = theme.FONT_FAMILY
SLIDE_TITLES = (
    "",
    "Summary",
    "Milestones",
    "The next 90 days",
    "Budget",
    "Risks",
    "Change requests",
    "Releases and readiness",
    "Decisions and asks",
)

INK, MUTED, RULE, PRIMARY = "1d273b", "667382", "dce1e7", "206bc4"
ZEBRA, WHITE = "f6f8fb", "ffffff"
RAG = {name: value.lstrip("#") for name, value in theme.RAG_HEX.items()}
SERIES = {"plan": PRIMARY, "actual": RAG["green"], "forecast": RAG["amber"]}


@dataclass(frozen=True)
class Cell:
    text: str
    fill: str = ""  # hex; "" for the table's zebra
    colour: str = INK
    bold: bool = False
    muted_tail: bool = False  # lines after the first in grey (the rules' reason)


def rag_cell(rag: str) -> Cell:
    return Cell(
        "NOT RATED" if rag == "grey" else rag.upper(),
        fill=RAG.get(rag, RAG["grey"]),
        colour=INK if rag == "amber" else WHITE,
        bold=True,
    )


def pt(value: float) -> Emu:
    return Emu(round(value * 12700))


def plain(shape) -> None:
    """Drop the theme style python-pptx gives new shapes (its effect is a drop shadow): each
    shape states its own fill and line."""
    style = shape._element.find(qn("p:style"))
    if style is not None:
        shape._element.remove(style)


def lines_of(text: str, width: float, size: float, bold: bool = False) -> int:
    """How many lines `text` wraps to in `width` points (measured in the embedded DejaVu font,
    the font the slides name), so lists stop before the slide's edge."""
    theme.register_fonts()
    font = theme.SANS_BOLD if bold else theme.SANS
    space, lines, current = stringWidth(" ", font, size), 1, 0.0
    for word in text.split():
        wide = stringWidth(word, font, size)
        if current and current + space + wide > width:
            lines, current = lines + 1, wide
        else:
            current += (space if current else 0) + wide
    return lines


def rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


class SlideKit:
    def __init__(self, snapshot: Snapshot):
        self.snap = snapshot
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = pt(W), pt(H)
        self.prs.core_properties.title = (
            f"{snapshot.program_name}: executive deck {snapshot.period}"
        )
        self.prs.core_properties.author = "Program office"
        self.blank = self.prs.slide_layouts[6]
        self.slide = None
        self.number = 0

    # --- primitives ----------------------------------------------------------------------------

    def text(
        self,
        x,
        y,
        w,
        h,
        paragraphs,
        *,
        size=14.0,
        colour=INK,
        bold=False,
        align=PP_ALIGN.LEFT,
        anchor=MSO_ANCHOR.TOP,
        name="",
    ):
        """A text box; `paragraphs` is a string or a list of paragraphs, each a string or a list
        of (text, {"bold", "colour", "size"}) runs."""
        box = self.slide.shapes.add_textbox(pt(x), pt(y), pt(w), pt(h))
        if name:
            box.name = name
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = anchor
        for side in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
            setattr(frame, side, 0)
        items = [paragraphs] if isinstance(paragraphs, str) else paragraphs
        for index, item in enumerate(items):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.alignment = align
            for text, style in [(item, {})] if isinstance(item, str) else item:
                run = paragraph.add_run()
                run.text = text
                font = run.font
                font.name = FONT
                font.size = Pt(style.get("size", size))
                font.bold = style.get("bold", bold)
                font.color.rgb = rgb(style.get("colour", colour))
        return box

    def shape(
        self,
        kind,
        x,
        y,
        w,
        h,
        fill: str,
        line: str | None = None,
        text: str = "",
        size=10.0,
        colour=WHITE,
        bold=True,
    ):
        shape = self.slide.shapes.add_shape(kind, pt(x), pt(y), pt(w), pt(h))
        plain(shape)
        shape.fill.solid()
        shape.fill.fore_color.rgb = rgb(fill)
        if line:
            shape.line.color.rgb = rgb(line)
            shape.line.width = Pt(0.75)
        else:
            shape.line.fill.background()
        frame = shape.text_frame
        for side in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
            setattr(frame, side, 0)
        if text:
            frame.text = text
            paragraph = frame.paragraphs[0]
            paragraph.alignment = PP_ALIGN.CENTER
            font = paragraph.runs[0].font
            font.name, font.size, font.bold = FONT, Pt(size), bold
            font.color.rgb = rgb(colour)
        return shape

    def line(self, x1, y1, x2, y2, colour=RULE, width=0.75, dash=None):
        connector = self.slide.shapes.add_connector(
            MSO_CONNECTOR.STRAIGHT, pt(x1), pt(y1), pt(x2), pt(y2)
        )
        plain(connector)
        connector.line.color.rgb = rgb(colour)
        connector.line.width = Pt(width)
        if dash:
            connector.line.dash_style = dash
        return connector

    def pill(self, x, y, rag: str, w=70.0, h=18.0, size=9.0):
        label = "NOT RATED" if rag == "grey" else rag.upper()
        shape = self.shape(
            MSO_SHAPE.ROUNDED_RECTANGLE,
            x,
            y,
            w,
            h,
            RAG.get(rag, RAG["grey"]),
            text=label,
            size=size,
            colour=INK if rag == "amber" else WHITE,
        )
        shape.name = f"RAG {label}"
        return shape

    def table(
        self,
        x,
        y,
        widths: Sequence[float],
        header: Sequence[str],
        rows: Sequence[Sequence[str | Cell]],
        *,
        more: str = "",
        size=12.0,
        bold_first=True,
        row_h=24.0,
    ):
        """A native table: a bold header, zebra rows, the first column bold (keys); a `Cell`
        sets its own fill and ink (the RAG cells)."""
        count = len(rows) + 1 + (1 if more else 0)
        frame = self.slide.shapes.add_table(
            count, len(widths), pt(x), pt(y), pt(sum(widths)), pt(row_h * count)
        )
        table = frame.table
        table.first_row, table.horz_banding = True, False
        for index, width in enumerate(widths):
            table.columns[index].width = pt(width)
        body = [list(header), *[list(r) for r in rows]]
        if more:
            body.append([Cell(more, colour=MUTED)] + [""] * (len(widths) - 1))
        for r, values in enumerate(body):
            table.rows[r].height = pt(row_h)
            for c, value in enumerate(values):
                spec = (
                    value
                    if isinstance(value, Cell)
                    else Cell(str(value), bold=r == 0 or (bold_first and c == 0))
                )
                cell = table.cell(r, c)
                cell.fill.solid()
                cell.fill.fore_color.rgb = rgb(spec.fill or (WHITE if r == 0 or r % 2 else ZEBRA))
                cell.margin_left = cell.margin_right = pt(5)
                cell.margin_top = cell.margin_bottom = pt(3)
                cell.vertical_anchor = MSO_ANCHOR.MIDDLE if spec.fill else MSO_ANCHOR.TOP
                cell.text_frame.word_wrap = True
                cell.text_frame.text = spec.text
                for number, paragraph in enumerate(cell.text_frame.paragraphs):
                    tail = spec.muted_tail and number > 0
                    if spec.fill:
                        paragraph.alignment = PP_ALIGN.CENTER
                    for run in paragraph.runs:
                        font = run.font
                        font.name, font.size = FONT, Pt(size * (0.9 if tail else 1))
                        font.bold = spec.bold and not tail
                        font.color.rgb = rgb(MUTED if tail else spec.colour)
        if more:
            table.cell(count - 1, 0).merge(table.cell(count - 1, len(widths) - 1))
        return frame

    def new_slide(self, title: str, subtitle: str = ""):
        self.slide = self.prs.slides.add_slide(self.blank)
        self.number += 1
        draft = self.snap.status == "draft"
        band = self.shape(MSO_SHAPE.RECTANGLE, 0, 0, W, 4, RAG["red"] if draft else PRIMARY)
        band.name = "Band"
        if title:
            self.text(PAD, 18, BODY_W - 120, 34, title, size=24, bold=True, name="Title")
        if draft:
            self.text(
                W - PAD - 120,
                22,
                120,
                24,
                "DRAFT",
                size=14,
                bold=True,
                colour=RAG["red"],
                align=PP_ALIGN.RIGHT,
                name="Draft mark",
            )
        if subtitle:
            self.text(PAD, 52, BODY_W, 20, subtitle, size=13, colour=MUTED, name="Subtitle")
        footer = f"{self.snap.program_name} · {self.snap.period}"
        if self.snap.status != "published":
            footer += " · " + common.status_line(self.snap).split(":")[0]
        self.text(PAD, H - 26, BODY_W - 40, 12, footer, size=8, colour=MUTED, name="Footer")
        self.text(
            W - PAD - 30,
            H - 26,
            30,
            12,
            str(self.number),
            size=8,
            colour=MUTED,
            align=PP_ALIGN.RIGHT,
            name="Slide number",
        )

    def empty(self, text: str, x=PAD, y=BODY_TOP + 20, w=BODY_W):
        self.text(x, y, w, 30, text, size=14, colour=MUTED, name="Empty")

    def bullets(
        self, x, y, w, room: float, title: str, items: Sequence[str], size=13.0, limit: int = 150
    ) -> float:
        """A titled bullet list holding as many items as fit `room` points (then "+ n more");
        the height it took."""
        leading = size * 1.2
        used = (size + 1) * 1.2 + 4
        texts = [f"• {common.shorten(item, limit)}" for item in items]
        shown = 0
        for text in texts:
            height = lines_of(text, w, size) * leading + 2
            reserve = leading if shown + 1 < len(texts) else 0
            if used + height + reserve > room and shown:
                break
            used, shown = used + height, shown + 1
        paragraphs = [[(title, {"bold": True, "size": size + 1})], *texts[:shown]]
        if shown < len(texts):
            paragraphs.append([(common.more(len(texts) - shown), {"colour": MUTED})])
            used += leading
        self.text(x, y, w, used, paragraphs, size=size, name=title)
        return used

    # --- slides --------------------------------------------------------------------------------

    def _time_axis(
        self,
        start: dt.date,
        end: dt.date,
        left: float,
        width: float,
        top: float,
        bottom: float,
        fmt: str,
    ):
        days = max((end - start).days, 1)

        def x_of(day: dt.date) -> float:
            return left + min(max((day - start).days, 0), days) / days * width

        month = start.replace(day=1)
        free_from = -1.0
        while month <= end:
            if month >= start:
                self.line(x_of(month), top, x_of(month), bottom)
                if x_of(month) >= free_from:
                    self.text(
                        x_of(month) + 2,
                        top - 18,
                        60,
                        14,
                        month.strftime(fmt),
                        size=11,
                        colour=MUTED,
                    )
                    free_from = x_of(month) + 46
            month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return x_of
