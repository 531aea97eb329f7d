"""Checking uploaded files before they are stored: size limit, allowed types, clean names, SHA-256.

A file's type is judged by its content, never by the content type the browser sent: the name's
extension must be one the upload policy allows, and the first bytes must match what such a file
starts with (a PDF with `%PDF-`, a PNG with its signature ...). A .zip must open as an archive,
and Office files (.docx, .xlsx, .pptx) must be archives holding their format's part (`word/`,
`xl/`, `ppt/`); text files (.txt, .csv, .md, .eml) must not contain NUL bytes. Every refusal
is a `ValidationError` on the form field, naming the file, and for size its size and the limit.

Each use declares an `UploadPolicy` (the extensions it takes, the setting holding its size limit,
how to name its files in messages); governance's compliance evidence and the vendors'
deliverable submissions are two.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError

HEAD_BYTES = 8192
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive, or an empty one


@dataclass(frozen=True)
class FileKind:
    """What a file with a given extension must be."""

    content_type: str  # the type it is stored and served with
    label: str  # "PDF", "Word document": used in "does not look like a ... file"
    magic: tuple[bytes, ...] | None  # how its content starts; None: text without NUL bytes
    # ZIP-based formats: None, no check beyond `magic`; "" the archive must open; "word/" ...
    # it must also hold a member whose name starts with this
    zip_part: str | None = None


_OOXML = "application/vnd.openxmlformats-officedocument."
KINDS: dict[str, FileKind] = {
    ".pdf": FileKind("application/pdf", "PDF", (b"%PDF-",)),
    ".png": FileKind("image/png", "PNG image", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": FileKind("image/jpeg", "JPEG image", (b"\xff\xd8\xff",)),
    ".jpeg": FileKind("image/jpeg", "JPEG image", (b"\xff\xd8\xff",)),
    ".txt": FileKind("text/plain", "text", None),
    ".csv": FileKind("text/csv", "CSV", None),
    ".md": FileKind("text/markdown", "text", None),
    ".log": FileKind("text/plain", "log", None),
    ".eml": FileKind("message/rfc822", "e-mail", None),
    ".zip": FileKind("application/zip", "ZIP archive", ZIP_MAGIC, ""),
    ".docx": FileKind(
        _OOXML + "wordprocessingml.document", "Word document", ZIP_MAGIC[:1], "word/"
    ),
    ".xlsx": FileKind(_OOXML + "spreadsheetml.sheet", "Excel workbook", ZIP_MAGIC[:1], "xl/"),
    ".pptx": FileKind(
        _OOXML + "presentationml.presentation", "PowerPoint presentation", ZIP_MAGIC[:1], "ppt/"
    ),
    ".odt": FileKind("application/vnd.oasis.opendocument.text", "OpenDocument text", ZIP_MAGIC[:1]),
    ".ods": FileKind(
        "application/vnd.oasis.opendocument.spreadsheet",
        "OpenDocument spreadsheet",
        ZIP_MAGIC[:1],
    ),
}


@dataclass(frozen=True)
class UploadPolicy:
    """Which files one kind of upload accepts, and how its messages speak of them."""

    extensions: tuple[str, ...]  # keys of KINDS, with the dot
    max_bytes_setting: str  # the setting that overrides the default limit
    default_max_bytes: int
    accepted_text: str  # "a PDF, an image (PNG, JPEG) ...": what to upload instead
    files_noun: str = "files"  # "evidence files can be at most 20.0 MB"
    accepted_as: str = "here"  # "is not a type accepted as evidence"
    field: str = "file"  # the form field errors are reported on
    fallback_name: str = "file"  # the name of a file whose name has nothing left

    def __post_init__(self):
        unknown = [ext for ext in self.extensions if ext not in KINDS]
        if unknown:
            raise ValueError(f"No FileKind for {unknown}: add them to core.uploads.KINDS")

    def max_bytes(self) -> int:
        return int(getattr(settings, self.max_bytes_setting, self.default_max_bytes))

    def accept_attribute(self) -> str:
        """For `<input type="file" accept=...>`: the browser offers only these files."""
        return ",".join(sorted(self.extensions))

    def help_text(self) -> str:
        return f"Up to {human_size(self.max_bytes())} each: {self.accepted_text}."


@dataclass(frozen=True)
class CheckedFile:
    name: str  # cleaned: no folders, no control characters, at most 255 characters
    content_type: str  # from the extension, confirmed by the content
    size: int


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def clean_file_name(name: str, fallback: str = "file") -> str:
    """The last part of an uploaded name, without control characters, at most 255 characters."""
    base = PurePath(str(name).replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    if not base:
        base = fallback
    stem, dot, ext = base.rpartition(".")
    if len(base) > 255:
        base = (stem[: 255 - len(ext) - 1] + "." + ext) if dot else base[:255]
    return base


def _zip_has_part(upload: IO[bytes], part: str) -> bool:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return not part or any(name.startswith(part) for name in names)


def _content_matches(upload, kind: FileKind) -> bool:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if kind.magic is None:
        return b"\x00" not in head
    if not any(head.startswith(magic) for magic in kind.magic):
        return False
    return kind.zip_part is None or _zip_has_part(upload, kind.zip_part)


def check_upload(upload, policy: UploadPolicy) -> CheckedFile:
    """The cleaned name, content type and size of an acceptable file, or a ValidationError on
    `policy.field` saying what is wrong with it."""
    name = clean_file_name(upload.name or "", policy.fallback_name)
    size = upload.size or 0
    limit = policy.max_bytes()

    def refuse(message: str) -> ValidationError:
        return ValidationError({policy.field: message})

    if size == 0:
        raise refuse(f"“{name}” is empty.")
    if size > limit:
        shown, allowed = human_size(size), human_size(limit)
        if shown == allowed:  # just over the limit: rounding would show the same figure
            shown, allowed = f"{size:,} bytes", f"{limit:,} bytes"
        raise refuse(f"“{name}” is {shown}; {policy.files_noun} can be at most {allowed}.")
    ext = PurePath(name).suffix.lower()
    if ext not in policy.extensions:
        raise refuse(
            f"“{name}” is not a type accepted {policy.accepted_as}. Upload {policy.accepted_text}."
        )
    kind = KINDS[ext]
    if not _content_matches(upload, kind):
        raise refuse(
            f"“{name}” does not look like a {kind.label} file: its content does not match its "
            f"name. Upload {policy.accepted_text}."
        )
    return CheckedFile(name=name, content_type=kind.content_type, size=size)


def sha256_of(upload) -> str:
    """The SHA-256 of the whole file (read in chunks; the file is left at its start)."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
