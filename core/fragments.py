"""Keys for cached page fragments: one digest over everything a block of rows shows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.utils import timezone


def fragment_key(*parts: object, rows: Iterable[Iterable[object]] = ()) -> str:
    """A digest of `parts`, the current time zone and each row's signature.

    Put in a row's signature every value the row displays (id, version, related names...); the
    same key then always means the same HTML, so cached fragments never need invalidating.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in (*parts, timezone.get_current_timezone_name()):
        digest.update(repr(part).encode())
        digest.update(b"\x1f")
    for row in rows:
        digest.update(repr(tuple(row)).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()
