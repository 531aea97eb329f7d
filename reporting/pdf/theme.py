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
