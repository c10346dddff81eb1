"""Storage: the engine (SQLAlchemy Core on SQLite, the embedded default with WAL, or
PostgreSQL), the one ``metadata`` every package's ``tables.py`` declares its tables on, and
the column types they share."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "Json",
    "RawJson",
    "UtcDateTime",
    "make_engine",
    "metadata",
    "sqlite_writer_lock",
]


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        """The conversion, remembered for the last few thousand values: a group commit binds
        the same few times over and over (one arrival time for the whole group, each
        reading's time in several columns), and each conversion costs three Python calls."""
        convert = super().bind_processor(dialect)
        if convert is None:
            return None
        done: dict[datetime, Any] = {}

        def process(value: Any) -> Any:
            if value is None:
                return None
            try:
                return done[value]
            except KeyError:
                if len(done) >= 4096:
                    done.clear()
                converted = done[value] = convert(value)
                return converted
            except TypeError:  # not hashable: no datetime, let the conversion say so
                return convert(value)

        return process


class RawJson(str):
    """JSON text already serialized (by pydantic, in Rust): stored as is, not encoded again.

    Only engines from ``make_engine`` know it; give it to no other engine.
    """

    __slots__ = ()


def _serialize_json(value: Any) -> str:
    if isinstance(value, RawJson):
        return str(value)
    return json.dumps(value)


Json = JSON().with_variant(JSONB(), "postgresql")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def sqlite_writer_lock(engine: Engine) -> Path | None:
    """The lock file next to a SQLite database that its processes' group commits take
    turns on (``group_commit.py``); None for other databases and for one in memory."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).with_name(Path(database).name + ".write-lock")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, full sync and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=_serialize_json)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # durable: a report acknowledged is on disk
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, json_serializer=_serialize_json
    )
