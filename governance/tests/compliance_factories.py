"""Building compliance registers for tests, through the services; evidence files go to a
temporary MEDIA_ROOT (the `media` fixture)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from governance.services import compliance as services
from programs.tests.factories import manager_of

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Evidence files land in a temporary folder, never in var/media."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def obligation(program, *, actor=None, **fields):
    owner = fields.pop("owner", None) or manager_of(program)
    values = {
        "title": "Security of processing",
        "kind": "regulation",
        "reference": "GDPR Art. 32",
        "text": "Appropriate technical and organisational measures.",
        "control": "Encryption at rest; yearly penetration test.",
        "review_date": dt.date(2026, 12, 15),
        "status": "compliant",
        **fields,
    }
    return services.obligation_create(
        actor=actor or manager_of(program), program=program, owner=owner, **values
    )


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def evidence(
    obligation, name="review.txt", content=b"Q3 access review: signed.\n", note="", actor=None
):
    return services.evidence_add(
        actor=actor or manager_of(obligation.program),
        obligation=obligation,
        upload=upload(name, content),
        note=note,
    )
