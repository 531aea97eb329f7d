"""The executive deck as PowerPoint (.pptx, python-pptx) for those who edit it before presenting.

The same nine 16:9 slides as the PDF deck (reporting/pdf/deck.py), drawn from the same stored
`Snapshot` with the same words (reporting/pdf/common.py), colours (reporting/pdf/theme.py) and
font family (DejaVu Sans, named in every run): title; summary; milestones; the next 90 days;
budget; risks; change requests; releases and readiness; decisions and asks. Everything is an
editable native object: tables are PowerPoint tables, the budget S-curve and the variance by
workstream are PowerPoint charts holding the snapshot's figures, and the milestone chart, the
Gantt and the heat map are shapes. Lists are capped and end in "+ n more", as in the PDF.
"""

from __future__ import annotations

from ..snapshot import Snapshot
from .kit import SLIDE_TITLES
from .slides import Deck

__all__ = ["CONTENT_TYPE", "SLIDE_TITLES", "render"]

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def render(snapshot: Snapshot) -> bytes:
    """The deck as a .pptx file's bytes."""
    return Deck(snapshot).render()
