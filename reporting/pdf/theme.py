"""The look of every PDF: embedded fonts, the palette (the web UI's Tabler colours, so a RAG red
is the same red on screen and on paper) and type sizes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

SANS = "PO-Sans"
SANS_BOLD = "PO-Sans-Bold"
CONDENSED = "PO-Sans-Condensed"
CONDENSED_BOLD = "PO-Sans-Condensed-Bold"

_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    CONDENSED: "DejaVuSansCondensed.ttf",
    CONDENSED_BOLD: "DejaVuSansCondensed-Bold.ttf",
}


@cache
def register_fonts() -> None:
    """Register the embedded fonts once per process (a PDF must never fall back to Helvetica,
    which lacks € and ✓)."""
    for name, file in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    # the font reportlab's canvases and chart renderer start with: otherwise every page refers
    # to Helvetica, which is not embedded
    rl_config.canvas_basefontname = SANS
    rl_config.defaultGraphicsFontName = SANS
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD)
    pdfmetrics.registerFontFamily(CONDENSED, normal=CONDENSED, bold=CONDENSED_BOLD)


INK = colors.HexColor("#1d273b")  # body text
MUTED = colors.HexColor("#667382")  # captions, axes
RULE = colors.HexColor("#dce1e7")  # grid lines, table rules
PAPER = colors.white
PRIMARY = colors.HexColor("#206bc4")
PRIMARY_LIGHT = colors.HexColor("#a6c4e8")
GREEN = colors.HexColor("#2fb344")
AMBER = colors.HexColor("#f59f00")
RED = colors.HexColor("#d63939")
GREY = colors.HexColor("#929dab")
PURPLE = colors.HexColor("#ae3ec9")

RAG_COLOURS = {"green": GREEN, "amber": AMBER, "red": RED, "grey": GREY}
# series colours used by every chart: plan, actual, forecast, baseline
SERIES = {"plan": PRIMARY, "actual": GREEN, "forecast": AMBER, "baseline": GREY, "ev": PURPLE}

CAPTION = 7.5
BODY = 9.5
"""Point sizes; slides scale these up (see deck)."""

# The RAID log's score bands (risks.choices.SCORE_BAND_RANGES: low 1-4, medium 5-9, high 10-16,
# critical 20-25) in the RAID page's colours (static/css/raid.css): cell fill and ink, as hex so
# the PowerPoint export uses the very same values.
BAND_HEX = {
    "low": ("#d3f0dc", "#1b5e2f"),
    "medium": ("#fff1c2", "#6b4e00"),
    "high": ("#ffd8b0", "#7a3300"),
    "critical": ("#f8b8b8", "#7d1010"),
}
BAND_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
EMPTY_CELL_OPACITY = 0.45  # the RAID page fades cells that hold no risk


def faded_hex(hex_colour: str, opacity: float = EMPTY_CELL_OPACITY) -> str:
    """`hex_colour` seen at `opacity` on white paper (PDF and PowerPoint fills are opaque)."""
    value = hex_colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) for i in (0, 2, 4)]
    mixed = [round(255 - (255 - c) * opacity) for c in channels]
    return "#" + "".join(f"{c:02x}" for c in mixed)


RAG_HEX = {"green": "#2fb344", "amber": "#f59f00", "red": "#d63939", "grey": "#929dab"}
FONT_FAMILY = "DejaVu Sans"  # the family the embedded fonts belong to (named in the .pptx)
