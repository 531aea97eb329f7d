"""Upload checks (core.uploads) as deliverable submissions use them: size limit from the setting,
types judged by content (never by the browser's content type), at most 10 files, clear messages
naming each file; a refused submission stores nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core import uploads
from vendors.models import Submission, SubmissionFile
from vendors.services import deliverables as services

from .deliverable_factories import (
    PDF,
    PNG,
    make_deliverable,
    media,  # noqa: F401 - a fixture
    office_file,
    submit,
    upload,
)
from .factories import fresh

POLICY = services.DELIVERABLE_UPLOADS
ACCEPTED = (
    "Upload a PDF, a Word, Excel or PowerPoint file (.docx, .xlsx, .pptx), a ZIP archive, an "
    "image (PNG, JPEG) or a text, Markdown or CSV file."
)


def check(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return uploads.check_upload(SimpleUploadedFile(name, content, content_type), POLICY)


def refusal(name: str, content: bytes) -> str:
    with pytest.raises(ValidationError) as exc:
        check(name, content)
    [message] = exc.value.message_dict["files"]
    return message


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("design.pdf", PDF, "application/pdf"),
        (
            "plan.docx",
            office_file("plan.docx", "word/document.xml"),
            uploads.KINDS[".docx"].content_type,
        ),
        (
            "model.xlsx",
            office_file("model.xlsx", "xl/workbook.xml"),
            uploads.KINDS[".xlsx"].content_type,
        ),
        (
            "deck.pptx",
            office_file("deck.pptx", "ppt/presentation.xml"),
            uploads.KINDS[".pptx"].content_type,
        ),
        ("bundle.zip", office_file("bundle.zip", "readme.txt"), "application/zip"),
        ("empty.zip", b"PK\x05\x06" + b"\x00" * 18, "application/zip"),
        ("diagram.png", PNG, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        ("notes.txt", "Grüße\n".encode(), "text/plain"),
        ("interfaces.csv", b"id,name\n1,Bank\n", "text/csv"),
        ("README.md", b"# Design\n", "text/markdown"),
    ],
)
def test_allowed_types_pass_with_their_content_type(name, content, content_type):
    checked = check(name, content)

    assert (checked.name, checked.content_type, checked.size) == (name, content_type, len(content))


def test_the_browsers_content_type_is_ignored():
    checked = check("notes.txt", b"plain words\n", content_type="application/pdf")

    assert checked.content_type == "text/plain"


@pytest.mark.parametrize(
    ("name", "content", "start"),
    [
        ("tool.exe", b"MZ\x90\x00", "“tool.exe” is not a type accepted for deliverables. "),
        ("page.html", b"<html>", "“page.html” is not a type accepted for deliverables. "),
        ("scan.pdf", b"GIF89a", "“scan.pdf” does not look like a PDF file: "),
        ("image.png", PDF, "“image.png” does not look like a PNG image file: "),
        ("plan.docx", PDF, "“plan.docx” does not look like a Word document file: "),
        # a ZIP renamed .docx: the archive lacks the word/ part
        ("plan.docx", office_file("x", "readme.txt"), "“plan.docx” does not look like a Word "),
        ("model.xlsx", office_file("x", "word/document.xml"), "“model.xlsx” does not look like "),
        ("notes.txt", b"MZ\x90\x00\x03", "“notes.txt” does not look like a text file: "),
        ("broken.zip", b"PK\x03\x04garbage", "“broken.zip” does not look like a ZIP archive file"),
    ],
)
def test_wrong_types_are_refused_by_name_or_content(name, content, start):
    message = refusal(name, content)

    assert message.startswith(start)
    assert message.endswith(ACCEPTED)


def test_empty_and_too_large_files_are_refused_with_size_and_limit(settings):
    settings.VENDOR_UPLOAD_MAX_BYTES = 2 * 1024 * 1024

    assert refusal("empty.pdf", b"") == "“empty.pdf” is empty."
    big = PDF + b"0" * (3 * 1024 * 1024)
    assert refusal("big.pdf", big) == ("“big.pdf” is 3 MB; deliverable files can be at most 2 MB.")


def test_a_file_just_over_the_limit_shows_exact_sizes(settings):
    settings.VENDOR_UPLOAD_MAX_BYTES = 25 * 1024 * 1024

    assert refusal("big.pdf", PDF + b"0" * (25 * 1024 * 1024)) == (
        f"“big.pdf” is {25 * 1024 * 1024 + len(PDF):,} bytes; deliverable files can be at most "
        "26,214,400 bytes."
    )


def test_the_default_limit_is_25_mb():
    assert POLICY.max_bytes() == 25 * 1024 * 1024
    assert POLICY.accept_attribute() == (
        ".csv,.docx,.jpeg,.jpg,.md,.pdf,.png,.pptx,.txt,.xlsx,.zip"
    )


def test_names_lose_folders_and_control_characters():
    assert check("..\\..\\etc/pass\x07wd.txt", b"ok\n").name == "passwd.txt"
    assert check("a" * 300 + ".pdf", PDF).name == "a" * 251 + ".pdf"


def test_sha256_reads_the_whole_file():
    file = SimpleUploadedFile("x.txt", b"abc" * 100_000)

    assert uploads.sha256_of(file) == hashlib.sha256(b"abc" * 100_000).hexdigest()
    assert file.read(3) == b"abc"  # left at its start


def test_a_policy_names_only_known_kinds():
    with pytest.raises(ValueError, match=r"No FileKind for \['.exe'\]"):
        uploads.UploadPolicy(
            extensions=(".exe",), max_bytes_setting="X", default_max_bytes=1, accepted_text=""
        )


# --- through the submission service ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("media")
def test_every_bad_file_is_reported_and_nothing_is_stored(program):
    deliverable = make_deliverable(program)

    with pytest.raises(ValidationError) as exc:
        submit(
            deliverable,
            files=[upload("ok.pdf"), upload("a.exe", b"MZ"), upload("b.pdf", b"not a pdf")],
        )

    messages = exc.value.message_dict["files"]
    assert [m.split("”")[0] for m in messages] == ["“a.exe", "“b.pdf"]
    assert not Submission.objects.exists()
    assert not SubmissionFile.objects.exists()
    assert list(Path(settings.MEDIA_ROOT).rglob("*.*")) == []
    assert fresh(deliverable).status == "planned"


@pytest.mark.django_db
@pytest.mark.usefixtures("media")
def test_at_most_ten_files_and_at_least_one(program):
    deliverable = make_deliverable(program)

    with pytest.raises(ValidationError) as many:
        submit(deliverable, files=[upload(f"{n}.pdf") for n in range(11)])
    with pytest.raises(ValidationError) as none:
        submit(deliverable, files=[])

    assert many.value.message_dict["files"] == [
        "At most 10 files a submission; 11 were chosen. Put related files in a ZIP archive."
    ]
    assert none.value.message_dict["files"] == ["Attach at least one file."]
    assert submit(deliverable, files=[upload(f"{n}.pdf") for n in range(10)]).files.count() == 10


@pytest.mark.django_db
@pytest.mark.usefixtures("media")
def test_a_failure_after_writing_removes_the_written_files(program, monkeypatch):
    deliverable = make_deliverable(program)
    original = uploads.sha256_of
    calls = []

    def failing(upload_):
        calls.append(upload_)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(upload_)

    monkeypatch.setattr(uploads, "sha256_of", failing)
    with pytest.raises(OSError):
        submit(deliverable, files=[upload("a.pdf"), upload("b.pdf")])

    assert list(Path(settings.MEDIA_ROOT).rglob("*.*")) == []
