"""Group commit: many concurrent requests share one transaction and one disk flush.

Requests submit a function of a connection and await its result; a single writer thread
runs every waiting function in one transaction. If the shared transaction fails, each
function is retried alone, so one bad request cannot sink the others.

Work of one kind can also be *batched*: ``submit_batched(fn, item)`` queues ``item``, and
the writer calls ``fn(conn, items)`` once for all waiting items of that kind, so a group of
a hundred requests costs a handful of set-wise statements instead of hundreds.

Several processes on one SQLite file pass a ``writer_lock`` file: their groups then take
turns on it in the kernel (``flock``), which wakes the next writer the moment the lock is
free, instead of meeting on SQLite's own lock, whose busy handler sleeps up to 100 ms
between tries.

The writer takes a group's jobs only once it holds that lock, so that whatever arrived
while another process wrote joins this group rather than waiting for the next one.

On SQLite the write-ahead log is checkpointed by a thread of its own, outside the writer
lock, instead of by whichever commit crosses SQLite's 1,000-page mark (every few groups at
thousands of reports a second): a checkpoint copies and flushes megabytes, and inside a
commit it would hold every writer of every process back meanwhile. Should the log outgrow
``_WAL_PAGES_LIMIT`` anyway (readers holding old snapshots), a checkpoint is taken while
holding the writer lock, so that it completes and the next commit starts the log over.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

__all__ = ["FileLock", "GroupCommitter"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741
_MAX_GROUP = 512
_CHECKPOINT_EVERY_S = 0.25
_WAL_PAGES_LIMIT = 10_000  # about 40 MB of log: then checkpoint under the writer lock

BatchWork = Callable[[Connection, Sequence[Any]], Sequence[Any]]


def _deliver(jobs: list[_Job], results: list[tuple[bool, Any]]) -> None:
    for job, (ok, value) in zip(jobs, results, strict=True):
        if job.future.done():  # the request went away meanwhile
            continue
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


def _run_each(conn: Connection, works: Sequence[Callable[[Connection], Any]]) -> list[Any]:
    return [work(conn) for work in works]


@dataclass(slots=True)
class _Job:
    batch: BatchWork
    item: Any
    future: asyncio.Future[Any]


class FileLock:
    """An exclusive ``flock`` on a file, shared with other processes (and with other
    instances in this process: each has its own open file, so they exclude each other)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __str__(self) -> str:
        return str(self._path)


class GroupCommitter:
    def __init__(
        self, engine: Engine, *, max_group: int = _MAX_GROUP, writer_lock: Path | None = None
    ) -> None:
        self._engine = engine
        self._max_group = max_group
        self._writer_lock = FileLock(writer_lock) if writer_lock is not None else None
        # Jobs pass from the event loop to the writer thread through a deque (appends and
        # pops are atomic) so that the writer takes them only once it holds the writer
        # lock: whatever arrived while another process was writing joins this group.
        self._pending: collections.deque[_Job] = collections.deque()
        self._wakeup = threading.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.groups_committed = 0
        # A SQLite file (the only database given a writer lock) is checkpointed apart.
        self._checkpointer: _Checkpointer | None = None
        if writer_lock is not None:
            self._checkpointer = _Checkpointer(engine, FileLock(writer_lock))

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._write, name="group-commit", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Commit what was submitted, then stop the writer."""
        self._stopping = True
        self._wakeup.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            await asyncio.sleep(0)  # the last group's results reach their requests
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._writer_lock is not None:
            self._writer_lock.close()

    async def submit(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in the next group's transaction; its result once durable."""
        result: T = await self._enqueue(_run_each, work)
        return result

    async def submit_batched(
        self, batch: Callable[[Connection, Sequence[I]], Sequence[T]], item: I
    ) -> T:
        """Queue ``item`` for one call of ``batch(conn, items)`` with every waiting item of
        the same ``batch``; ``batch`` returns one result per item, in order."""
        result: T = await self._enqueue(batch, item)
        return result

    def _enqueue(self, batch: BatchWork, item: Any) -> asyncio.Future[Any]:
        if self._stopping:
            raise RuntimeError("the group committer is stopped")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(_Job(batch, item, future))
        self._wakeup.set()
        return future

    def _write(self) -> None:
        """The writer thread: one group at a time, until stopped with nothing pending."""
        assert self._loop is not None
        while True:
            self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                jobs, results = self._commit()
                self._loop.call_soon_threadsafe(_deliver, jobs, results)
                if self._checkpointer is not None:
                    self._checkpointer.after_commit()
            if self._stopping:
                return

    def _commit(self) -> tuple[list[_Job], list[tuple[bool, Any]]]:
        jobs: list[_Job] = []
        try:
            if self._writer_lock is None:
                jobs = self._take()
                return jobs, self._commit_group(jobs)
            with self._writer_lock.held():
                jobs = self._take()
                return jobs, self._commit_group(jobs)
        except OSError as exc:  # the writer lock itself failed: answer the requests, go on
            logger.error("writer lock %s: %s", self._writer_lock, exc)
            jobs = jobs or self._take()
            return jobs, [(False, exc)] * len(jobs)

    def _take(self) -> list[_Job]:
        pending, jobs = self._pending, list[_Job]()
        while pending and len(jobs) < self._max_group:
            jobs.append(pending.popleft())
        return jobs

    def _commit_group(self, jobs: list[_Job]) -> list[tuple[bool, Any]]:
        kinds: dict[BatchWork, list[int]] = {}
        for index, job in enumerate(jobs):
            kinds.setdefault(job.batch, []).append(index)
        try:
            results: list[tuple[bool, Any]] = [(False, None)] * len(jobs)
            with self._engine.begin() as conn:
                if self._checkpointer is not None:
                    _checkpoint_apart(conn)
                for batch, indexes in kinds.items():
                    values = batch(conn, [jobs[i].item for i in indexes])
                    for i, value in zip(indexes, values, strict=True):
                        results[i] = (True, value)
            self.groups_committed += 1
            return results
        except Exception:
            if len(jobs) == 1:
                logger.exception("write failed")
                return [self._alone(jobs[0])]
            logger.warning("group of %d writes failed; retrying each alone", len(jobs))
            return [self._alone(job) for job in jobs]

    def _alone(self, job: _Job) -> tuple[bool, Any]:
        try:
            with self._engine.begin() as conn:
                return True, job.batch(conn, [job.item])[0]
        except Exception as exc:
            return False, exc


def _checkpoint_apart(conn: Connection) -> None:
    """Leave checkpoints to the checkpointer on this pooled connection (once per
    connection: the pool keeps ``info`` for as long as it keeps the connection)."""
    info = conn.connection.info
    if "checkpoints_apart" not in info:
        conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        info["checkpoints_apart"] = True


class _Checkpointer:
    """Checkpoints a SQLite write-ahead log from a thread of its own, at most every
    ``_CHECKPOINT_EVERY_S`` while groups are being committed."""

    def __init__(self, engine: Engine, writer_lock: FileLock) -> None:
        self._engine = engine
        self._writer_lock = writer_lock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint")
        self._running = False
        self._last = 0.0

    def after_commit(self) -> None:
        """Called by the writer after each group: start a checkpoint if one is due."""
        now = time.monotonic()
        if self._running or now - self._last < _CHECKPOINT_EVERY_S:
            return
        self._running, self._last = True, now
        self._executor.submit(self._checkpoint).add_done_callback(self._finished)

    def _finished(self, done: Any) -> None:
        self._running = False
        if done.exception() is not None:  # the next group tries again; the log only grows
            logger.warning("checkpoint failed: %s", done.exception())

    def _checkpoint(self) -> None:
        with self._engine.connect() as conn:
            # PASSIVE copies what it can without waiting for readers or writers.
            _busy, log_pages, _copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
            if log_pages > _WAL_PAGES_LIMIT:
                with self._writer_lock.held():
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._writer_lock.close()
