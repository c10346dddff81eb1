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
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

__all__ = ["GroupCommitter"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741
_MAX_GROUP = 512

BatchWork = Callable[[Connection, Sequence[Any]], Sequence[Any]]


def _run_each(conn: Connection, works: Sequence[Callable[[Connection], Any]]) -> list[Any]:
    return [work(conn) for work in works]


@dataclass(slots=True)
class _Job:
    batch: BatchWork
    item: Any
    future: asyncio.Future[Any]


class GroupCommitter:
    def __init__(
        self, engine: Engine, *, max_group: int = _MAX_GROUP, writer_lock: Path | None = None
    ) -> None:
        self._engine = engine
        self._max_group = max_group
        self._writer_lock = writer_lock
        self._lock_fd: int | None = None
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="group-commit")
        self._task: asyncio.Task[None] | None = None
        self.groups_committed = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    async def submit(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in the next group's transaction; its result once durable."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(_run_each, work, future))
        return await future

    async def submit_batched(
        self, batch: Callable[[Connection, Sequence[I]], Sequence[T]], item: I
    ) -> T:
        """Queue ``item`` for one call of ``batch(conn, items)`` with every waiting item of
        the same ``batch``; ``batch`` returns one result per item, in order."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(batch, item, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            while len(jobs) < self._max_group and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            results = await loop.run_in_executor(self._executor, self._commit, jobs)
            for job, (ok, value) in zip(jobs, results, strict=True):
                if job.future.done():
                    continue
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)

    @contextlib.contextmanager
    def _turn_to_write(self) -> Iterator[None]:
        """Hold the writer lock shared with the other processes, if there is one."""
        if self._writer_lock is None:
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._writer_lock, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _commit(self, jobs: list[_Job]) -> list[tuple[bool, Any]]:
        with self._turn_to_write():
            return self._commit_group(jobs)

    def _commit_group(self, jobs: list[_Job]) -> list[tuple[bool, Any]]:
        kinds: dict[BatchWork, list[int]] = {}
        for index, job in enumerate(jobs):
            kinds.setdefault(job.batch, []).append(index)
        try:
            results: list[tuple[bool, Any]] = [(False, None)] * len(jobs)
            with self._engine.begin() as conn:
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
