"""Every stored text of a center's database, for tests that prove what is not kept: a
scan of every column of every row of every table (JSON as its text)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import Connection, select

from remotecare.center.tables import metadata

__all__ = ["stored_texts"]


def stored_texts(conn: Connection) -> Iterator[tuple[str, str]]:
    """``(table.column, text)`` for every non-empty, non-numeric value stored."""
    for table in metadata.sorted_tables:
        for row in conn.execute(select(table)).mappings():
            for column, value in row.items():
                if value is None or isinstance(value, bool | int | float):
                    continue
                text = json.dumps(value) if isinstance(value, dict | list) else str(value)
                yield f"{table.name}.{column}", text
