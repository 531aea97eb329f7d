"""Per-program human keys (TSK-104, RSK-12): no gaps or duplicates under concurrency.

One INSERT ... ON CONFLICT DO UPDATE ... RETURNING statement increments the counter atomically,
so two transactions can never read the same value (PostgreSQL and SQLite 3.35+ both support it).
"""

from __future__ import annotations

from django.db import connection

from .models import KeySequence


def allocate_number(*, program_id: int, prefix: str) -> int:
    table = connection.ops.quote_name(KeySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (program_id, prefix, last_value) VALUES (%s, %s, 1) "  # noqa: S608
            "ON CONFLICT (program_id, prefix) DO UPDATE "
            f"SET last_value = {table}.last_value + 1 RETURNING last_value",
            [program_id, prefix],
        )
        return cursor.fetchone()[0]


def allocate_key(*, program_id: int, prefix: str) -> str:
    return f"{prefix}-{allocate_number(program_id=program_id, prefix=prefix)}"
