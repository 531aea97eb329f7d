"""Reading our PDFs back with independent readers: poppler (pdftotext, pdfinfo, pdffonts) for
text, word positions and fonts, and pypdf (pure Python, always installed with the dev extras) for
page counts and embedded fonts when poppler is missing."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

POPPLER = bool(shutil.which("pdftotext") and shutil.which("pdffonts"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")


def _run(args: list[str], pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            [*args, str(path), *([] if args[0] == "pdffonts" else ["-"])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout


def pages_text(pdf: bytes, layout: bool = True) -> list[str]:
    """Each page's text, whitespace collapsed to single spaces: as laid out on the page
    (pdftotext -layout: table rows read across) or in reading order (columns read down)."""
    text = _run(["pdftotext", "-layout"] if layout else ["pdftotext"], pdf)
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def raw_lines(pdf: bytes) -> list[str]:
    return _run(["pdftotext", "-layout"], pdf).splitlines()


def fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(font name, embedded) for every font poppler finds."""
    rows = _run(["pdffonts"], pdf).splitlines()[2:]
    found = []
    for row in rows:
        parts = row.split()
        # name type [encoding...] emb sub uni object id: emb is the fourth field from the end
        found.append((parts[0], parts[-5] == "yes"))
    return found


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def page_size(pdf: bytes) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return float(box.width), float(box.height)


def pypdf_fonts(pdf: bytes) -> dict[str, bool]:
    """Base font name -> whether its program is embedded, from every page's resources and every
    form XObject (the charts), as pypdf reads them."""
    found: dict[str, bool] = {}

    def visit(resources) -> None:
        if not resources:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            for child in font.get("/DescendantFonts") or []:
                descriptor = descriptor or child.get_object().get("/FontDescriptor")
            embedded = bool(descriptor) and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            found[str(font.get("/BaseFont"))] = embedded
        for xobject in (resources.get("/XObject") or {}).values():
            visit(xobject.get_object().get("/Resources"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        visit(page.get("/Resources"))
    return found


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
    r"(.*?)</word>"
)


def words(pdf: bytes) -> tuple[list[Word], list[tuple[float, float]]]:
    """Every word with its box (pdftotext -bbox), and each page's size."""
    out = _run(["pdftotext", "-bbox"], pdf)
    found, sizes = [], []
    for number, page in enumerate(out.split("<page ")[1:]):
        width, height = map(float, re.match(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        sizes.append((width, height))
        for match in WORD.finditer(page):
            x0, y0, x1, y1 = map(float, match.groups()[:4])
            found.append(Word(number, html.unescape(match.group(5)), x0, y0, x1, y1))
    return found, sizes


def overlaps(pdf: bytes, tolerance: float = 1.0) -> list[tuple[Word, Word]]:
    """Pairs of words on the same page whose boxes overlap by more than `tolerance` points each
    way (the DRAFT watermark, drawn huge across the page on purpose, is left out: no other
    text is 60 points tall)."""
    found, _ = words(pdf)
    found = [w for w in found if w.y1 - w.y0 < 60]  # the rotated watermark's letters
    pairs = []
    for page in {w.page for w in found}:
        on_page = sorted((w for w in found if w.page == page), key=lambda w: w.y0)
        for i, a in enumerate(on_page):
            for b in on_page[i + 1 :]:
                if b.y0 >= a.y1 - tolerance:
                    break
                if min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance and (
                    min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance
                ):
                    pairs.append((a, b))
    return pairs


def outside(pdf: bytes, margin: float = 0.0) -> list[Word]:
    """Words drawn (partly) off their page."""
    found, sizes = words(pdf)
    return [
        w
        for w in found
        if w.y1 - w.y0 < 60
        and (
            w.x0 < margin
            or w.y0 < margin
            or w.x1 > sizes[w.page][0] - margin
            or w.y1 > sizes[w.page][1] - margin
        )
    ]
