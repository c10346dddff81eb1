"""The compact history's tables: a series per supply and per counter of a printer, and
its change-only samples as numbers.

Samples are keyed by (series, time), which is also the one index "this printer's series
between two times" needs; on SQLite they are stored WITHOUT ROWID, so that key is stored
once instead of in a table and an index. Their time is whole milliseconds since the epoch
(``EpochMilliseconds``): a few bytes, where a SQLite datetime is 26 characters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)

from remotecare.center.kernel.storage import metadata

__all__ = [
    "EpochMilliseconds",
    "counter_samples",
    "counter_series",
    "supply_samples",
    "supply_series",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


class EpochMilliseconds(TypeDecorator[datetime]):
    """An aware UTC datetime stored as whole milliseconds since 1970 (a number)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return (value - _EPOCH) // _MILLISECOND

    def process_result_value(self, value: int | None, dialect: Any) -> datetime | None:
        return None if value is None else _EPOCH + value * _MILLISECOND


# One supply position of one printer as it names itself: a cartridge whose description
# differs (another model, or a serial in the description) starts a series of its own.
supply_series = Table(
    "supply_series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("printer_id", ForeignKey("printers.id"), nullable=False),
    Column("supply_index", Integer, nullable=False),
    Column("description", String(256), nullable=False),
    Column("type", String(64), nullable=False),
    Column("colour", String(64)),
    Column("unit", String(64)),
    UniqueConstraint("printer_id", "supply_index", "description"),
)

supply_samples = Table(
    "supply_samples",
    metadata,
    Column("series_id", ForeignKey("supply_series.id"), nullable=False),
    Column("sampled_at", EpochMilliseconds, nullable=False),
    Column("level", Integer),  # None: the printer gave a special value (see state)
    Column("max_capacity", Integer),
    Column("state", String(16), nullable=False),
    PrimaryKeyConstraint("series_id", "sampled_at"),
    sqlite_with_rowid=False,
)

counter_series = Table(
    "counter_series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("printer_id", ForeignKey("printers.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("unit", String(64), nullable=False),
    UniqueConstraint("printer_id", "name", "unit"),
)

counter_samples = Table(
    "counter_samples",
    metadata,
    Column("series_id", ForeignKey("counter_series.id"), nullable=False),
    Column("sampled_at", EpochMilliseconds, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("series_id", "sampled_at"),
    sqlite_with_rowid=False,
)
