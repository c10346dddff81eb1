"""UtcDateTime stores one instant as one value on every backend, whatever zone it came in,
also when its conversion is remembered from an earlier, equal instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from remotecare.center.kernel.storage import UtcDateTime, make_engine


def test_equal_instants_in_other_zones_are_stored_alike_and_naive_ones_refused(
    database_url: str, tmp_path: Path
) -> None:
    url = database_url or f"sqlite:///{tmp_path}/times.db"
    engine = make_engine(url)
    table = Table(
        "times", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime)
    )
    table.metadata.create_all(engine)
    try:
        utc = datetime(2026, 11, 25, 9, 0, 0, 123456, tzinfo=UTC)
        tokyo = utc.astimezone(timezone(timedelta(hours=9)))
        with engine.begin() as conn:
            conn.execute(insert(table), [{"id": 1, "at": utc}, {"id": 2, "at": tokyo}])
            conn.execute(insert(table), [{"id": 3, "at": tokyo}, {"id": 4, "at": None}])
        with engine.connect() as conn:
            stored = dict(conn.execute(select(table.c.id, table.c.at)).all())
            raw = conn.execute(text("SELECT count(DISTINCT at) FROM times")).scalar_one()
        assert stored == {1: utc, 2: utc, 3: utc, 4: None}
        assert all(v is None or v.tzinfo is not None for v in stored.values())
        assert raw == 1  # the very same stored value, not three spellings of one instant
        naive = utc.replace(tzinfo=None)  # equal fields to a remembered value, but no zone
        with pytest.raises(Exception, match="naive datetime"), engine.begin() as conn:
            conn.execute(insert(table), [{"id": 5, "at": naive}])
    finally:
        table.metadata.drop_all(engine)
        engine.dispose()
