"""The group committer on a SQLite file, as worker processes share it: writes wait for the
writer lock together and go in one group, and the write-ahead log is checkpointed by a
thread of its own instead of growing or stalling the commits."""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, Table, Text, func, select

from remotecare.center.kernel.group_commit import GroupCommitter
from remotecare.center.kernel.storage import make_engine, sqlite_writer_lock

_metadata = MetaData()
_rows = Table("rows", _metadata, Column("id", Integer, primary_key=True), Column("body", Text))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'center.db'}")
    _metadata.create_all(engine)
    yield engine
    engine.dispose()


def _insert(conn: Connection, bodies: Sequence[str]) -> list[int]:
    conn.execute(_rows.insert(), [{"body": body} for body in bodies])
    return [len(body) for body in bodies]


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_rows)).scalar_one())


async def test_writes_that_wait_for_another_process_go_in_one_group(engine: Engine) -> None:
    lock = sqlite_writer_lock(engine)
    assert lock is not None
    committer = GroupCommitter(engine, writer_lock=lock)
    committer.start()
    other_process = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)  # its own open file
    try:
        fcntl.flock(other_process, fcntl.LOCK_EX)
        writes = [asyncio.ensure_future(committer.submit_batched(_insert, "x")) for _ in range(50)]
        await asyncio.sleep(0.3)  # the writer has taken the first write and waits for the lock
        assert not any(write.done() for write in writes)
        fcntl.flock(other_process, fcntl.LOCK_UN)
        assert await asyncio.wait_for(asyncio.gather(*writes), 10) == [1] * 50
    finally:
        os.close(other_process)
        await committer.stop()
    assert committer.groups_committed == 1  # taken once the lock was held: all fifty
    assert _count(engine) == 50


async def test_the_log_is_checkpointed_apart_and_stays_bounded(engine: Engine) -> None:
    database = Path(str(engine.url.database))
    committer = GroupCommitter(engine, writer_lock=sqlite_writer_lock(engine))
    committer.start()
    body = "r" * 4000  # about a page each
    deadline = time.monotonic() + 60
    try:
        # 12,000 pages (~48 MB) in 60 groups over 1.5 s or more: a log no one checkpointed
        # would hold them all (the commits no longer checkpoint it themselves).
        for _ in range(60):
            assert time.monotonic() < deadline
            await asyncio.gather(*(committer.submit_batched(_insert, body) for _ in range(200)))
            await asyncio.sleep(0.025)
    finally:
        await committer.stop()
    assert _count(engine) == 12_000
    wal = database.with_name(database.name + "-wal")
    assert wal.stat().st_size < 24 * 1024 * 1024, "the log grew as if never checkpointed"
    with engine.connect() as conn:  # and the database itself holds what was committed
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"


async def test_stop_commits_what_was_submitted(engine: Engine) -> None:
    committer = GroupCommitter(engine, writer_lock=sqlite_writer_lock(engine))
    committer.start()
    writes = [asyncio.ensure_future(committer.submit_batched(_insert, "y")) for _ in range(20)]
    await asyncio.sleep(0)  # submitted, not yet answered
    await committer.stop()
    assert [write.result() for write in writes] == [1] * 20
    assert _count(engine) == 20
    with pytest.raises(RuntimeError, match="stopped"):
        await committer.submit_batched(_insert, "z")


async def test_a_writer_lock_that_fails_answers_each_write_and_the_writer_goes_on(
    engine: Engine, tmp_path: Path
) -> None:
    not_a_file = tmp_path / "write-lock"
    not_a_file.mkdir()  # opening it for writing fails, as on a broken or read-only disk
    committer = GroupCommitter(engine, writer_lock=not_a_file)
    committer.start()
    try:
        for _ in range(2):  # the writer is still there for the second
            with pytest.raises(IsADirectoryError):
                await asyncio.wait_for(committer.submit_batched(_insert, "w"), 10)
    finally:
        await committer.stop()
    assert _count(engine) == 0
