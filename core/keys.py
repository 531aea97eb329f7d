"""Per-program human keys (TSK-104, RSK-12): no gaps or duplicates under concurrency.

One INSERT ... ON CONFLICT DO UPDATE ... RETURNING statement increments the counter atomically,
so two transactions can never read the same value (PostgreSQL and SQLite 3.35+ both support it).
"""

from __future__ import annotations

from django.db import connection

from .models import KeySequence


def allocate_number(*, program_id: int, prefix: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers and return the last of them."""
    if count < 1:
        raise ValueError("count must be at least 1")
    table = connection.ops.quote_name(KeySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (program_id, prefix, last_value) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (program_id, prefix) DO UPDATE "
            f"SET last_value = {table}.last_value + %s RETURNING last_value",
            [program_id, prefix, count, count],
        )
        return cursor.fetchone()[0]


def allocate_keys(*, program_id: int, prefix: str, count: int) -> list[str]:
    """`count` new keys in one statement (imports create thousands of items at once)."""
    if count == 0:
        return []
    last = allocate_number(program_id=program_id, prefix=prefix, count=count)
    return [f"{prefix}-{n}" for n in range(last - count + 1, last + 1)]


def allocate_key(*, program_id: int, prefix: str) -> str:
    return f"{prefix}-{allocate_number(program_id=program_id, prefix=prefix)}"
