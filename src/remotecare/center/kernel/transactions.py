"""The one transaction style: services take an open ``Connection`` and never open one.

Whoever starts a piece of work opens the transaction and hands its connection down: the
device API through the group committer (``group_commit.py``), pages and background tasks
through ``Transactions``, commands through ``Transactions`` too. So one operation that
spans packages (revoke an endpoint and cancel its commands) commits or rolls back whole.

Usage::

    transactions = Transactions(engine)
    with transactions.begin() as conn:
        revocation = certificates.revoke(conn, endpoint_id, "stolen")
    rows = await transactions.read_async(lambda conn: overview.devices(conn, actor))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy import Connection, Engine

__all__ = ["Transactions"]

T = TypeVar("T")


class Transactions:
    """Open transactions on one engine: ``begin`` to change, ``read`` to look."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading; whatever it wrote is rolled back."""
        with self.engine.connect() as conn:
            yield conn

    def run(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in a transaction of its own; its result once committed."""
        with self.begin() as conn:
            return work(conn)

    def look(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` on a reading connection."""
        with self.read() as conn:
            return work(conn)

    async def run_async(self, work: Callable[[Connection], T]) -> T:
        """``run`` on a worker thread, off the event loop."""
        return await asyncio.to_thread(self.run, work)

    async def read_async(self, work: Callable[[Connection], T]) -> T:
        """``look`` on a worker thread, off the event loop."""
        return await asyncio.to_thread(self.look, work)

    def dispose(self) -> None:
        self.engine.dispose()
