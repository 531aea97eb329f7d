"""Deliverables for tests, through the services: created with criteria, submitted with files
(stored under a temporary MEDIA_ROOT: the `media` fixture), reviewed."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from programs.tests.factories import manager_of
from vendors.services import deliverables as services

from .factories import make_contract

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CRITERIA = (
    "All 14 interfaces documented with owner and frequency",
    "Signed off by the finance design authority",
)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Submitted files land in a temporary folder, never in var/media."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def upload(name: str = "design.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def office_file(name: str = "plan.docx", part: str = "word/document.xml") -> bytes:
    """A minimal ZIP with the part an Office format must hold."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def make_deliverable(program, contract=None, *, actor=None, criteria=CRITERIA, **fields: Any):
    fields.setdefault("title", "Finance solution design document")
    fields.setdefault("due_date", dt.date(2026, 12, 18))
    return services.deliverable_create(
        actor=actor or manager_of(program),
        program=program,
        contract=contract or make_contract(program),
        criteria=criteria,
        **fields,
    )


def submit(deliverable, actor=None, files=None, note="Version 1.0 for review."):
    return services.deliverable_submit(
        actor=actor or manager_of(deliverable.program),
        deliverable=deliverable,
        files=files if files is not None else [upload()],
        note=note,
    )


def decisions(deliverable, *verdicts) -> list[dict]:
    """[{criterion, met, reason}] in criterion order: a verdict is True (met) or a reason."""
    criteria = list(deliverable.criteria.order_by("position", "id"))
    return [
        {"criterion": c.pk, "met": v is True, "reason": "" if v is True else v}
        for c, v in zip(criteria, verdicts, strict=True)
    ]


def review(deliverable, *verdicts, actor=None, summary=""):
    return services.deliverable_review(
        actor=actor or manager_of(deliverable.program),
        deliverable=deliverable,
        results=decisions(deliverable, *verdicts),
        summary=summary,
    )
