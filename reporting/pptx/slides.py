"""The nine slides of the PowerPoint deck, in the PDF deck's order and words."""

from __future__ import annotations

import io

from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR
from pptx.util import Pt

from ..pdf import common
from ..pdf.common import DIMENSION_LABELS, money
from .charts import ChartSlides
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
    Cell,
    H,
    lines_of,
    rag_cell,
    rgb,
)


class Deck(ChartSlides):
    def title_slide(self):
        snap = self.snap
        self.new_slide("")
        self.shape(
            MSO_SHAPE.RECTANGLE, 0, 0, 28, H, RAG["red"] if snap.status == "draft" else PRIMARY
        ).name = "Side band"
        x, w = PAD + 23, BODY_W - 23
        self.text(
            x,
            140,
            w,
            80,
            common.shorten(snap.program_name, 90),
            size=30,
            bold=True,
            anchor=MSO_ANCHOR.BOTTOM,
            name="Program",
        )
        self.text(
            x,
            228,
            w,
            24,
            f"Executive update · week {snap.period} · status at {snap.status_date:%-d %B %Y}",
            size=16,
            colour=MUTED,
        )
        people = " · ".join(
            p
            for p in (
                f"Sponsor: {snap.sponsor}" if snap.sponsor else "",
                f"Program manager: {snap.manager}" if snap.manager else "",
            )
            if p
        )
        self.text(x, 256, w, 18, people, size=12, colour=MUTED)
        colour = {"published": MUTED, "draft": RAG["red"]}.get(snap.status, "8a5a00")
        self.text(
            x,
            276,
            w,
            18,
            common.status_line(snap),
            size=12,
            bold=True,
            colour=colour,
            name="Status",
        )
        overall = snap.rag_of("overall")
        if overall:
            self.pill(x, 306, overall.rag, w=96, h=28, size=13)
            paragraphs = [common.shorten(overall.reason, 220)]
            if common.override_text(overall):
                paragraphs.insert(
                    0, [(common.shorten(common.override_text(overall), 160), {"bold": True})]
                )
            self.text(x + 108, 308, w - 108, 60, paragraphs, size=14, name="Overall")

    def summary_slide(self):
        snap = self.snap
        self.new_slide(
            "Summary", "Status of each dimension, with why; the period in the workstreams' words"
        )
        has_words = snap.achievements or snap.next_steps or snap.commentary
        left_w = BODY_W * 0.56 if has_words else BODY_W
        widths = [80, 86, left_w - 166]
        rows = []
        for line in snap.rag:
            reason = common.shorten(line.reason, 150)
            override = common.override_text(line)
            why = (
                Cell(
                    f"{common.shorten(override, 150)}\nRules: {reason}", bold=True, muted_tail=True
                )
                if override
                else reason
            )
            rows.append(
                [DIMENSION_LABELS.get(line.dimension, line.dimension), rag_cell(line.rag), why]
            )
        self.table(
            PAD, BODY_TOP, widths, ["", "Status", "Why"], rows, size=12, row_h=36
        ).name = "RAG table"
        if not has_words:
            return
        x, w = PAD + left_w + 28, BODY_W - left_w - 28
        y = BODY_TOP
        lists = [
            (t, items)
            for t, items in (
                ("Achievements this period", snap.achievements),
                ("Next steps", snap.next_steps),
            )
            if items
        ]
        share = (BODY_BOTTOM - BODY_TOP) * (0.55 if snap.commentary else 1) / max(len(lists), 1)
        for title, items in lists:
            y += self.bullets(x, y, w, share, title, items, size=12, limit=140) + 10
        if snap.commentary:
            self.text(x, y, w, 20, "Workstreams", size=14, bold=True)
            y += 22
            for index, line in enumerate(snap.commentary):
                runs = [
                    (common.shorten(line.workstream, 50) + " ", {"bold": True}),
                    (common.shorten(line.text, 130), {}),
                ]
                height = lines_of(runs[0][0] + runs[1][0], w - 64, 11) * 13.5 + 6
                left = len(snap.commentary) - index
                if y + height + (16 if left > 1 else 0) > BODY_BOTTOM and index:
                    self.text(x, y, w, 16, common.more(left, "workstreams"), size=11, colour=MUTED)
                    break
                self.pill(x, y + 1, line.rag, w=56, h=15, size=7)
                self.text(
                    x + 64, y, w - 64, height, [runs], size=11, name=f"Commentary {line.workstream}"
                )
                y += height

    def changes_slide(self):
        snap = self.snap
        self.new_slide("Change requests", "Awaiting a decision")
        if not snap.changes_awaiting:
            self.empty("No change request is waiting for a decision.")
            return
        shown, hidden = common.take(snap.changes_awaiting, 8)
        self.table(
            PAD,
            BODY_TOP,
            [70, BODY_W - 490, 95, 140, 85, 100],
            ["Key", "Change", "Status", "Cost", "Schedule", "Decide by"],
            [
                [
                    c.key,
                    common.shorten(c.title, 90),
                    c.status,
                    money(c.cost_impact, snap.currency),
                    common.impact_days(c.schedule_impact_days),
                    common.date(c.needed_by),
                ]
                for c in shown
            ],
            more=common.more(hidden, "change requests") if hidden else "",
            row_h=40,
        ).name = "Change requests"

    def releases_slide(self):
        snap = self.snap
        self.new_slide("Releases and readiness")
        if not snap.releases:
            self.empty("No release is planned.")
            return
        shown, hidden = common.take(snap.releases, 5)
        rows = []
        for r in shown:
            failing = "; ".join(r.failing[:4])
            if len(r.failing) > 4:
                failing += f"; {common.more(len(r.failing) - 4)}"
            rows.append(
                [
                    common.shorten(f"{r.version} {r.name}", 60),
                    common.date(r.planned_date),
                    r.status,
                    ("Ready" if r.ready else "Not ready")
                    + (f": {common.shorten(failing, 200)}" if failing else ""),
                ]
            )
        frame = self.table(
            PAD,
            BODY_TOP,
            [230, 100, 85, BODY_W - 415],
            ["Release", "Planned", "Status", "Readiness"],
            rows,
            more=common.more(hidden, "releases") if hidden else "",
            row_h=60,
        )
        frame.name = "Releases"
        for index, r in enumerate(shown):  # "Ready" / "Not ready" in its colour, as in the PDF
            run = frame.table.cell(index + 1, 3).text_frame.paragraphs[0].runs[0]
            word = "Ready" if r.ready else "Not ready"
            rest = run.text[len(word) :]
            run.text = word
            run.font.bold = True
            run.font.color.rgb = rgb(RAG["green"] if r.ready else RAG["red"])
            if rest:
                tail = frame.table.cell(index + 1, 3).text_frame.paragraphs[0].add_run()
                tail.text = rest
                tail.font.name, tail.font.size = FONT, Pt(12)
                tail.font.color.rgb = rgb(INK)

    def asks_slide(self):
        snap = self.snap
        self.new_slide("Decisions and asks")
        if not snap.decisions_needed and not snap.help_needed and not snap.decisions:
            self.empty("No decision or help is needed this week.")
            return
        y = BODY_TOP
        if snap.decisions_needed:
            shown, hidden = common.take(snap.decisions_needed, 4)
            self.table(
                PAD,
                y,
                [80, BODY_W - 300, 100, 120],
                ["Key", "Decision needed", "By", "Owner"],
                [
                    [
                        d.key,
                        common.shorten(d.title, 100),
                        common.date(d.needed_by),
                        common.shorten(d.owner or "—", 30),
                    ]
                    for d in shown
                ],
                more=common.more(hidden, "decisions") if hidden else "",
                row_h=40,
            ).name = "Decisions needed"
            y += 40 * (len(shown) + 1 + (1 if hidden else 0)) + 20
        else:
            self.text(PAD, y, BODY_W, 20, "No decision is waiting.", size=13, colour=MUTED)
            y += 30
        columns = [
            (t, items)
            for t, items in (
                ("Help needed", snap.help_needed),
                ("Decisions taken this period", snap.decisions),
            )
            if items
        ]
        width = (BODY_W - 28 * (len(columns) - 1)) / max(len(columns), 1)
        for n, (title, items) in enumerate(columns):
            self.bullets(PAD + n * (width + 28), y, width, BODY_BOTTOM - y, title, items)

    def render(self) -> bytes:
        for slide in (
            self.title_slide,
            self.summary_slide,
            self.milestones_slide,
            self.gantt_slide,
            self.budget_slide,
            self.risks_slide,
            self.changes_slide,
            self.releases_slide,
            self.asks_slide,
        ):
            slide()
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()
