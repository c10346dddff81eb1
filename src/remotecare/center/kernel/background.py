"""Background work beside ingest: a daemon thread that repeats one step until stopped.

Its writes take turns with the group commits of every worker process on a SQLite file
(``writing()`` holds the same lock file for one transaction), so that a background
transaction meets no busy SQLite writer and ingest waits at most one small batch.
"""

from __future__ import annotations

import abc
import logging
import threading
from contextlib import AbstractContextManager, nullcontext

from remotecare.center.kernel.group_commit import FileLock
from remotecare.center.kernel.storage import sqlite_writer_lock
from remotecare.center.kernel.transactions import Transactions

__all__ = ["BackgroundLoop"]

logger = logging.getLogger(__name__)


class BackgroundLoop(abc.ABC):
    """Runs ``step()`` on a thread of its own, resting as long as it asks, until stopped.

    Subclasses write with ``with self.writing(), self.transactions.begin() as conn: ...``
    and look at ``self.stopping`` inside long steps.
    """

    failure_rest_s = 5.0

    def __init__(self, name: str, transactions: Transactions) -> None:
        self._name = name
        self.transactions = transactions
        lock = sqlite_writer_lock(transactions.engine)
        self._lock = FileLock(lock) if lock is not None else None
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @abc.abstractmethod
    def step(self) -> float:
        """Do one round of work; the seconds to rest before the next."""

    def writing(self) -> AbstractContextManager[None]:
        """The writer lock of a SQLite file, held for one transaction (nothing otherwise)."""
        return self._lock.held() if self._lock is not None else nullcontext()

    def start(self) -> None:
        self.stopping.clear()  # a server started again after a stop
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the step in hand, then stop."""
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if self._lock is not None:
            self._lock.close()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                rest = self.step()
            except Exception:
                logger.exception("%s failed; trying again in %g s", self._name, self.failure_rest_s)
                rest = self.failure_rest_s
            self.stopping.wait(rest)
