"""Small helpers for the testing area's tests: evidence files and a planned case with a tester."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.permissions import Role
from programs.tests.factories import member
from releases.tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name: str = "screen.png", size: int | None = None) -> SimpleUploadedFile:
    body = PNG if size is None else PNG + b"\x00" * (size - len(PNG))
    return SimpleUploadedFile(name, body, content_type="image/png")


def text(name: str = "run.log", body: bytes = b"12:00 ERROR it broke\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="text/plain")


def planned(program, *, tester=None, cycle=None, **case_fields):
    """A cycle (given or new), a case and the case planned in it for `tester`."""
    cycle = cycle or factories.make_cycle(program)
    case = factories.make_case(program, **case_fields)
    return factories.plan_case(cycle, case, tester=tester)


def contributor(program):
    return member(program, Role.CONTRIBUTOR).user


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path
